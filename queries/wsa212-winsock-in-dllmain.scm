; WSA212 winsock-in-dllmain
; The name `DllMain`. Rust decides whether it names a function the file defines, and follows the
; calls it makes (and, in that file, the `atexit` handlers it registers anywhere) to Winsock.
((identifier) @name
  (#eq? @name "DllMain"))
