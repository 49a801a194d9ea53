; WSA209 posix-errno-constant-for-winsock-error
; A CRT errno constant (or `WSAEINPROGRESS`) on one side of `==` / `!=`, or as a `case` label.
; Rust decides whether the other side (the `switch` value) is a Winsock error code, whether the
; project maps the constant onto Winsock's, and whether the code is compiled for Windows.
(binary_expression
  left: (_) @value
  operator: ["==" "!="]
  right: (identifier) @const
  (#any-of? @const "EINTR" "EBADF" "EAGAIN" "EACCES" "EFAULT" "EINVAL" "EMFILE" "EADDRINUSE"
    "EADDRNOTAVAIL" "EAFNOSUPPORT" "EALREADY" "ECONNABORTED" "ECONNREFUSED" "ECONNRESET"
    "EDESTADDRREQ" "EHOSTUNREACH" "EINPROGRESS" "EISCONN" "EMSGSIZE" "ENETDOWN" "ENETRESET"
    "ENETUNREACH" "ENOBUFS" "ENOPROTOOPT" "ENOTCONN" "ENOTSOCK" "EOPNOTSUPP" "EPROTONOSUPPORT"
    "EPROTOTYPE" "ETIMEDOUT" "EWOULDBLOCK" "WSAEINPROGRESS")) @compare

(binary_expression
  left: (identifier) @const
  operator: ["==" "!="]
  right: (_) @value
  (#any-of? @const "EINTR" "EBADF" "EAGAIN" "EACCES" "EFAULT" "EINVAL" "EMFILE" "EADDRINUSE"
    "EADDRNOTAVAIL" "EAFNOSUPPORT" "EALREADY" "ECONNABORTED" "ECONNREFUSED" "ECONNRESET"
    "EDESTADDRREQ" "EHOSTUNREACH" "EINPROGRESS" "EISCONN" "EMSGSIZE" "ENETDOWN" "ENETRESET"
    "ENETUNREACH" "ENOBUFS" "ENOPROTOOPT" "ENOTCONN" "ENOTSOCK" "EOPNOTSUPP" "EPROTONOSUPPORT"
    "EPROTOTYPE" "ETIMEDOUT" "EWOULDBLOCK" "WSAEINPROGRESS")) @compare

(case_statement
  value: (identifier) @const
  (#any-of? @const "EINTR" "EBADF" "EAGAIN" "EACCES" "EFAULT" "EINVAL" "EMFILE" "EADDRINUSE"
    "EADDRNOTAVAIL" "EAFNOSUPPORT" "EALREADY" "ECONNABORTED" "ECONNREFUSED" "ECONNRESET"
    "EDESTADDRREQ" "EHOSTUNREACH" "EINPROGRESS" "EISCONN" "EMSGSIZE" "ENETDOWN" "ENETRESET"
    "ENETUNREACH" "ENOBUFS" "ENOPROTOOPT" "ENOTCONN" "ENOTSOCK" "EOPNOTSUPP" "EPROTONOSUPPORT"
    "EPROTOTYPE" "ETIMEDOUT" "EWOULDBLOCK" "WSAEINPROGRESS")) @case
