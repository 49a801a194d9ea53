; WSA004 socket-churn-loop
; Every loop; Rust decides whether it never ends, never backs off, and creates and closes a
; socket on each iteration (creators and closers come from the resource model).
[
  (for_statement)
  (while_statement)
  (do_statement)
] @loop
