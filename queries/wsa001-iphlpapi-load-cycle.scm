; WSA001 iphlpapi-load-cycle
; A call that passes a DLL name as a literal, in any Windows spelling: a load through
; LoadLibrary*, or through a loader the project wrote itself. Rust decides whether the name is a
; configured DLL, whether the callee loads, and whether the handle is freed in the same function.
(call_expression
  function: (_) @callee
  arguments: (argument_list
    [
      (string_literal)
      (concatenated_string)
      (call_expression
        function: (identifier) @text-macro
        (#any-of? @text-macro "TEXT" "_T" "__TEXT" "_TEXT" "__T"))
    ] @dll)) @load
