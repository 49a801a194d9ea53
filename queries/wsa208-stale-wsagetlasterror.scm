; WSA208 stale-wsagetlasterror
; A call to `WSAGetLastError()`. Rust finds the failed Winsock call it is meant to explain and any
; call in between that may overwrite the error.
(call_expression
  function: (identifier) @name
  (#eq? @name "WSAGetLastError")) @read
