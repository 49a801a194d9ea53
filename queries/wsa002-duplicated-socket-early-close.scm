; WSA002 duplicated-socket-early-close
; A call to `WSADuplicateSocket`, `WSADuplicateSocketA` or `WSADuplicateSocketW`; Rust looks for
; a close of the same socket later in the function with no hand-off wait on the path between.
(call_expression
  function: (_) @callee
  (#call? @callee "WSADuplicateSocket" "WSADuplicateSocketA" "WSADuplicateSocketW")) @dup
