; WSA210 sockopt-timeout-as-timeval
; `setsockopt(s, level, SO_RCVTIMEO or SO_SNDTIMEO, optval, optlen)`. Rust decides whether the
; call is Winsock's `setsockopt` at `SOL_SOCKET`, whether `optval` or `optlen` names a
; seconds-and-fractions struct, and whether the code is compiled for Windows.
(call_expression
  function: (_) @callee
  arguments: (argument_list
    .
    (_) @socket
    .
    (_) @level
    .
    (identifier) @option
    .
    (_) @optval
    .
    (_) @optlen
    .
    (#any-of? @option "SO_RCVTIMEO" "SO_SNDTIMEO"))) @call
