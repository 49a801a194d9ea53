; WSA205 reuseaddr-port-hijack
; `setsockopt(s, level, SO_REUSEADDR, ...)`. Rust decides whether the call is Winsock's, whether
; the level is `SOL_SOCKET`, whether `s` is bound in the same function, and whether
; `SO_EXCLUSIVEADDRUSE` is set there too.
(call_expression
  function: (_) @callee
  arguments: (argument_list
    .
    (_) @socket
    .
    (_) @level
    .
    (identifier) @option
    (#eq? @option "SO_REUSEADDR"))) @call
