; WSA201 invalid-socket-comparison
; An ordering comparison of a value with a literal (`s < 0`, `0 > s`, `s > -1`). Rust decides
; whether the value has the unsigned SOCKET type, whether the literal is `0` or `-1`, and whether
; the operator makes the check wrong. `==` and `!=` work (`-1` converts to `INVALID_SOCKET`).
(binary_expression
  left: (_) @value
  operator: _ @op
  right: [(number_literal) (unary_expression)] @literal
  (#any-of? @op "<" "<=" ">" ">=")) @cmp

(binary_expression
  left: [(number_literal) (unary_expression)] @literal
  operator: _ @op
  right: (_) @value
  (#any-of? @op "<" "<=" ">" ">=")) @cmp
