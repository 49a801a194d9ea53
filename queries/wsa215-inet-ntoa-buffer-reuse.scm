; WSA215 inet-ntoa-buffer-reuse
; A call to a function that returns a per-thread buffer (`inet_ntoa`, `gethostbyname`,
; `gethostbyaddr`). Rust looks for an earlier call of the same buffer whose result is still in
; use: in the same expression, or saved in a pointer that is read after this call.
(call_expression
  function: (_) @callee
  (#call? @callee "inet_ntoa" "gethostbyname" "gethostbyaddr")) @call
