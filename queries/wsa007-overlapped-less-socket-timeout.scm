; WSA007 overlapped-less-socket-timeout
; `setsockopt(s, level, SO_RCVTIMEO or SO_SNDTIMEO, ...)`. Rust looks for the `WSASocket` call
; that created `s` in the same function and reads its flags.
(call_expression
  function: (_) @callee
  arguments: (argument_list
    .
    (_) @socket
    .
    (_)
    .
    (identifier) @option
    (#any-of? @option "SO_RCVTIMEO" "SO_SNDTIMEO"))
  (#call? @callee "setsockopt")) @call
