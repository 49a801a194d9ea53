; WSA203 errno-for-winsock-error
; A read of `errno`, or a call to `perror`. Rust decides whether it sits where the failure of a
; Winsock call is handled, in code compiled for Windows. `#call?` also takes `::perror`,
; `std::perror`.
((identifier) @errno
  (#eq? @errno "errno"))

(call_expression
  function: (_) @perror
  (#call? @perror "perror")) @call
