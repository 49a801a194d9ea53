; WSA204 socket-truncation
; A value stored into a declared variable, assigned, or cast. Rust decides whether the value is
; a SOCKET and whether the destination type is narrower than a pointer.
(init_declarator
  declarator: (_) @target
  value: (_) @value) @store

(assignment_expression
  left: (_) @target
  operator: "="
  right: (_) @value) @store

(cast_expression
  type: (type_descriptor) @type
  value: (_) @value) @cast
