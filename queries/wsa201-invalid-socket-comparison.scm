; WSA201 invalid-socket-comparison
; A comparison of a value with a literal (`s < 0`, `0 > s`, `s == -1`). Rust decides whether the
; value has the unsigned SOCKET type, whether the literal is `0` or `-1`, and whether the
; operator makes the check wrong.
(binary_expression
  left: (_) @value
  operator: _ @op
  right: [(number_literal) (unary_expression)] @literal) @cmp

(binary_expression
  left: [(number_literal) (unary_expression)] @literal
  operator: _ @op
  right: (_) @value) @cmp
