; WSA206 deprecated-winsock-api
; A call to an IPv4-only, thread-unsafe resolver or address converter. Rust decides whether the
; name still means the Winsock function after the file's macros and its own definitions.
(call_expression
  function: (_) @callee
  (#call? @callee "gethostbyname" "gethostbyaddr" "inet_addr" "inet_ntoa" "WSAAsyncGetHostByName"
    "WSAAsyncGetHostByAddr")) @call
