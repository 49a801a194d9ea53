; WSA213 connect-failure-not-in-exceptfds
; A `select` or `WSAPoll` call. Rust looks for a non-blocking `connect` it waits for, in the same
; function, and for that socket in `exceptfds`.
(call_expression
  function: (_) @callee
  (#call? @callee "select" "WSAPoll")) @call
