; WSA005 ipx-spx-socket
; An IPX/SPX address family or protocol.
((identifier) @ipx
  (#any-of? @ipx "AF_IPX" "PF_IPX" "NSPROTO_IPX" "NSPROTO_SPX" "NSPROTO_SPXII"))

; The IPX/SPX headers.
(preproc_include
  path: [(system_lib_string) (string_literal)] @header
  (#match? @header "(?i)^[<\"](wsipx|wsnwlink)\\.h[>\"]$"))
