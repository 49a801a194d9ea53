; WSA207 fd-setsize-after-include
; A `#define FD_SETSIZE`. Rust decides whether a Winsock header was included before it.
(preproc_def
  name: (identifier) @name
  (#eq? @name "FD_SETSIZE")) @define
