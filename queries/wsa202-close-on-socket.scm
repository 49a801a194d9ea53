; WSA202 close-on-socket
; `close(x)` or `_close(x)` (also `::close`). Rust decides whether the call still means the CRT
; after the file's macros, whether `x` holds a socket, and whether the code is built for Windows.
(call_expression
  function: (_) @callee
  arguments: (argument_list . (_) @socket)
  (#call? @callee "close" "_close")) @call
