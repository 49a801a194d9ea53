; WSA204 socket-truncation
; A value stored into a declared variable, assigned, or cast (C casts here, C++ casts in the
; .cpp.scm file). Rust decides whether the value is a SOCKET and whether the destination type is
; narrower than a pointer.
(init_declarator
  declarator: (_) @target
  value: (_) @value) @store

(assignment_expression
  left: (_) @target
  operator: "="
  right: (_) @value) @store

(cast_expression) @cast
