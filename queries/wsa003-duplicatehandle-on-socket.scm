; WSA003 duplicatehandle-on-socket
; A call to `DuplicateHandle`; Rust decides whether its source handle (the second argument)
; holds a socket, however it is cast.
(call_expression
  function: (_) @callee
  (#call? @callee "DuplicateHandle")) @dup
