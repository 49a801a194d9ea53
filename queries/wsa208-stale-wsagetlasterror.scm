; WSA208 stale-wsagetlasterror
; A call to `WSAGetLastError()`. Rust finds the failed Winsock call it is meant to explain and any
; call in between that may overwrite the error. `#call?` also takes `::WSAGetLastError()`.
(call_expression
  function: (_) @name
  (#call? @name "WSAGetLastError")) @read
