; WSA204 socket-truncation
; C++ casts written as calls: `static_cast<int>(s)`, `int(s)`, `DWORD(s)`. Rust decides which
; calls are casts (`Facts::cast_of`), then treats them as the C casts of the other query.
(call_expression
  function: [
    (template_function)
    (primitive_type)
    (identifier)
  ]
  arguments: (argument_list
    .
    (_)
    .)) @cast
