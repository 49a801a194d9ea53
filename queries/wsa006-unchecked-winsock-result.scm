; WSA006 unchecked-winsock-result
; A call whose result is thrown away: the whole expression statement is the call. Rust resolves
; the callee (macro renames, `::send`), checks the arity of the Winsock function, and leaves
; POSIX-only code alone.
(expression_statement
  (call_expression
    function: (_) @callee) @call)
