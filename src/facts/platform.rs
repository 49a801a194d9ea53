//! Platform branches: which code is compiled only for non-Windows targets, and which never is
//! (`#if 0`). Rules about Windows semantics stay silent in both.

use std::ops::Range;

use crate::node::NodeExt;
use tree_sitter::Node;

/// Macros that are defined exactly when compiling for Windows.
pub const WINDOWS_MACROS: &[&str] = &[
    "_WIN32",
    "WIN32",
    "_WIN64",
    "WIN64",
    "_MSC_VER",
    "__MINGW32__",
    "__MINGW64__",
    "_WINDOWS",
    "__WIN32__",
    "__NT__",
    "_WINSOCKAPI_",
    "_WINSOCK2API_",
];

/// Macros defined only on targets that are not Windows: code under `#ifdef __linux__` is
/// never compiled for Windows (but its `#else` may or may not be).
pub const NON_WINDOWS_MACROS: &[&str] = &[
    "__linux__",
    "__linux",
    "__APPLE__",
    "__MACH__",
    "__FreeBSD__",
    "__OpenBSD__",
    "__NetBSD__",
    "__DragonFly__",
    "__sun",
    "__ANDROID__",
    "__unix__",
    "__unix",
    "__HAIKU__",
    "LINUX",
    "linux",
    "__gnu_linux__",
];

/// Headers that only Windows code includes.
pub const WINDOWS_HEADERS: &[&str] = &[
    "winsock2.h",
    "winsock.h",
    "windows.h",
    "ws2tcpip.h",
    "mswsock.h",
    "ws2def.h",
    "ws2ipdef.h",
    "afxsock.h",
    "afxwin.h",
    "afx.h",
    "winbase.h",
    "stdafx.h",
    "tchar.h",
];

/// Whether a file is Windows code at all: it includes a Windows header, has an
/// `#ifdef _WIN32` branch, calls a Winsock-only function (`WSA*`, `closesocket`,
/// `ioctlsocket`) or declares a `SOCKET`. A pure POSIX file (a `unix/` directory of a portable
/// library) is none of these, and rules about Windows semantics leave it alone.
pub fn is_windows_code(facts: &crate::facts::Facts) -> bool {
    includes_windows_header(facts)
        || facts
            .regions
            .iter()
            .any(|r| r.platform == Platform::Windows)
        || facts
            .calls
            .iter()
            .any(|c| !c.member && matches!(c.name.as_str(), "closesocket" | "ioctlsocket"))
        || names_winsock(facts)
}

/// Whether a file is written for Windows alone, though it may reach Winsock only through a
/// project header (`stdafx.h`, `net.h`): it includes a Windows header, declares a `SOCKET` or
/// calls a `WSA*` function, and has no platform branch and no POSIX header. Portable code marks
/// its Windows parts (`#ifdef _WIN32`), and what it leaves unmarked is shared; `closesocket`
/// alone is no sign either (lwIP has one).
pub fn is_windows_program(facts: &crate::facts::Facts) -> bool {
    (includes_windows_header(facts) || names_winsock(facts) || names_win32(facts))
        && !facts
            .regions
            .iter()
            .any(|r| r.platform == Platform::Windows)
        && !facts.has_posix_side()
}

fn includes_windows_header(facts: &crate::facts::Facts) -> bool {
    facts.windows_through_includes || facts.includes.iter().any(|i| is_windows_header(&i.header))
}

/// Whether an `#include`d header is Winsock's own (`winsock2.h`, `ws2tcpip.h`...), by its
/// base name in any case.
pub fn is_winsock_header(header: &str) -> bool {
    const WINSOCK: &[&str] = &["winsock2.h", "winsock.h", "ws2tcpip.h", "mswsock.h"];
    let base = header.rsplit(['/', '\\']).next().unwrap_or(header);
    WINSOCK.iter().any(|h| h.eq_ignore_ascii_case(base))
}

/// Whether an `#include`d header (`winsock2.h`, `<sys\\windows.h>`) is one of Windows's.
pub fn is_windows_header(header: &str) -> bool {
    let base = header.rsplit(['/', '\\']).next().unwrap_or(header);
    WINDOWS_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(base))
}

/// Win32 functions no other system has (a port defines its own under `#ifndef _WIN32`).
const WIN32_CALLS: &[&str] = &[
    "GetProcAddress",
    "LoadLibraryA",
    "LoadLibraryW",
    "LoadLibraryExA",
    "LoadLibraryExW",
    "FreeLibrary",
    "GetModuleHandleA",
    "GetModuleHandleW",
    "CreateThread",
    "_beginthreadex",
    "WaitForSingleObject",
    "WaitForMultipleObjects",
    "CloseHandle",
    "GetLastError",
    "CreateEventA",
    "CreateEventW",
    "SetEvent",
    "MessageBoxA",
    "MessageBoxW",
    "OutputDebugStringA",
    "OutputDebugStringW",
];

/// Win32 handle and Winsock structure types.
const WIN32_TYPES: &[&str] = &[
    "HANDLE",
    "HMODULE",
    "HINSTANCE",
    "HWND",
    "WSADATA",
    "WSABUF",
    "WSAOVERLAPPED",
    "OVERLAPPED",
    "SOCKADDR",
    "SOCKADDR_IN",
    "PSOCKADDR",
];

/// The file calls a Win32 function or declares a Win32 handle or Winsock structure.
fn names_win32(facts: &crate::facts::Facts) -> bool {
    facts
        .calls
        .iter()
        .any(|c| !c.member && WIN32_CALLS.contains(&c.name.as_str()))
        || facts.decls.iter().any(|d| {
            let ty = d.ty.trim_start_matches("const ").trim();
            WIN32_TYPES.contains(&ty)
        })
}

/// The file calls a `WSA*` function or declares a `SOCKET`.
fn names_winsock(facts: &crate::facts::Facts) -> bool {
    facts
        .calls
        .iter()
        .any(|c| !c.member && c.name.starts_with("WSA"))
        || facts.decls.iter().any(|d| {
            let ty = d.ty.trim_start_matches("const ").trim();
            ty == "SOCKET" || ty == "::SOCKET"
        })
}

/// Whether a macro is defined exactly when compiling for Windows: one of `WINDOWS_MACROS`, or
/// a project's own platform macro built from a Windows token (`ZMQ_HAVE_WINDOWS`,
/// `USE_WINSOCK`, `HAVE_WINSOCK2_H`). Macros for a subset of Windows (`_WIN32_WCE`,
/// `ZMQ_HAVE_WINDOWS_UWP`), version macros (`_WIN32_WINNT`) and switches that turn something
/// off (`CURL_DISABLE_WINDOWS_SSPI`) are not: their negation does not mean "not Windows".
pub fn is_windows_macro(name: &str) -> bool {
    if WINDOWS_MACROS.contains(&name) {
        return true;
    }
    let tokens: Vec<&str> = name.split('_').filter(|t| !t.is_empty()).collect();
    let windows = tokens.iter().any(|t| {
        matches!(
            *t,
            "WIN32" | "WIN64" | "WINDOWS" | "WINSOCK" | "WINSOCK2" | "MSVC"
        )
    });
    let subset_or_switch = tokens.iter().any(|t| {
        matches!(
            *t,
            "WCE"
                | "CE"
                | "UWP"
                | "WINNT"
                | "PHONE"
                | "APP"
                | "STORE"
                | "LEAN"
                | "DISABLE"
                | "DISABLED"
                | "NO"
                | "NOT"
                | "WITHOUT"
                | "VER"
                | "VERSION"
        )
    });
    windows && !subset_or_switch && !is_include_guard(&tokens)
}

/// `WIN32_INTEROP_FDAPI_H`, `__WINSOCK_UTIL_H__`: an include guard, not a platform macro
/// (`HAVE_WINSOCK2_H` is a platform macro: it says a header exists).
fn is_include_guard(tokens: &[&str]) -> bool {
    let last = tokens.last().copied().unwrap_or("");
    matches!(
        last,
        "H" | "HPP" | "HXX" | "HH" | "INCLUDED" | "GUARD" | "INC"
    ) && tokens.first().is_some_and(|t| *t != "HAVE")
}

/// Socket options and flags that the Windows SDK never defines: `#ifdef SO_REUSEPORT` holds
/// code for other systems only (its `#else` may still be Windows or not).
pub const NON_WINDOWS_OPTIONS: &[&str] = &[
    "SO_NOSIGPIPE",
    "SO_REUSEPORT",
    "SO_REUSEPORT_LB",
    "SO_BINDTODEVICE",
    "SO_PEERCRED",
    "SO_PASSCRED",
    "MSG_NOSIGNAL",
    "MSG_MORE",
    "TCP_CORK",
    "TCP_NOPUSH",
    "TCP_DEFER_ACCEPT",
    "TCP_QUICKACK",
    "RO_MSGFILTER",
    "IP_RECVDSTADDR",
    "F_SETNOSIGPIPE",
];

/// Whether a project's configuration macro names a facility that Windows lacks
/// (`EVENT__HAVE_SETRLIMIT`, `HAVE_EVENTFD`, `USE_NETLINK`, `HAVE_KQUEUE`).
fn names_non_windows_facility(tokens: &[&str]) -> bool {
    tokens.iter().any(|t| {
        matches!(
            t.to_ascii_uppercase().as_str(),
            "SETRLIMIT" | "GETRLIMIT" | "EVENTFD" | "KQUEUE" | "EPOLL" | "NETLINK" | "INOTIFY"
        )
    })
}

/// Whether a macro is defined only when compiling for one particular other system (`__linux__`,
/// `__APPLE__`, a project's `OS_LINUX` or `ZMQ_HAVE_OPENVMS`), or only where a facility that
/// Windows lacks exists (`SO_REUSEPORT`, `EVENT__HAVE_SETRLIMIT`).
pub fn is_other_os_macro(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "linux", "unix", "__unix", "__linux", "__sun", "_AIX", "__hpux",
    ];
    if EXACT.contains(&name) || NON_WINDOWS_OPTIONS.contains(&name) {
        return true;
    }
    let tokens: Vec<&str> = name.split('_').filter(|t| !t.is_empty()).collect();
    let os = tokens.iter().any(|t| {
        matches!(
            t.to_ascii_uppercase().as_str(),
            "LINUX"
                | "APPLE"
                | "DARWIN"
                | "MACOS"
                | "OSX"
                | "UNIX"
                | "FREEBSD"
                | "NETBSD"
                | "OPENBSD"
                | "DRAGONFLY"
                | "ANDROID"
                | "SOLARIS"
                | "QNX"
                | "HAIKU"
                | "CYGWIN"
                | "HPUX"
                | "VXWORKS"
                | "OPENVMS"
                | "AMIGA"
                | "AMIGAOS"
                | "EMSCRIPTEN"
        )
    });
    let switch = tokens
        .iter()
        .any(|t| matches!(*t, "DISABLE" | "DISABLED" | "NO" | "NOT" | "WITHOUT"));
    (os || names_non_windows_facility(&tokens)) && !switch && !is_windows_macro(name)
}

/// What a preprocessor branch says about where its code is compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Platform {
    /// Only when compiling for Windows.
    Windows,
    /// Never when compiling for Windows (the POSIX side of portable code).
    NonWindows,
    /// Never at all (`#if 0`).
    Dead,
    /// Depends on something else.
    Unknown,
    /// Only on one particular other system (`#ifdef __linux__`): never on Windows, but its
    /// negation says nothing. Recorded in regions as `NonWindows`.
    OtherOs,
    /// On Windows and perhaps elsewhere (`defined(_WIN32) || defined(__amigaos__)`): says
    /// nothing itself, but its negation is never Windows.
    WindowsOrOther,
}

impl Platform {
    fn negate(self) -> Platform {
        match self {
            Platform::Windows => Platform::NonWindows,
            Platform::NonWindows => Platform::Windows,
            // The `#else` of `#if 0` is always compiled; of `#if 1` never, but nobody writes it.
            // "Not Linux" is not Windows.
            Platform::Dead | Platform::Unknown | Platform::OtherOs => Platform::Unknown,
            Platform::WindowsOrOther => Platform::NonWindows,
        }
    }
}

/// A byte range of code under one preprocessor branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub range: Range<usize>,
    pub platform: Platform,
}

/// What the preprocessor branches among `regions` that hold `offset` say about it: `Dead`
/// inside `#if 0`, `NonWindows` inside any POSIX-side branch, `Windows` inside only Windows
/// ones, else `Unknown`.
pub fn platform_in(regions: &[Region], offset: usize) -> Platform {
    let mut result = Platform::Unknown;
    for r in regions {
        if r.range.contains(&offset) {
            match r.platform {
                Platform::Dead => return Platform::Dead,
                Platform::NonWindows => result = Platform::NonWindows,
                Platform::Windows if result == Platform::Unknown => result = Platform::Windows,
                _ => {}
            }
        }
    }
    result
}

/// The regions a `#if`/`#ifdef`/`#ifndef` node opens (its body and its `#elif`/`#else` chain).
pub fn regions_of(node: Node, text: &[u8], branches: &[Range<usize>], out: &mut Vec<Region>) {
    let first = match node.child(0) {
        Some(c) => c,
        None => return,
    };
    if let Some(body) = posix_only_body(node, text, branches) {
        out.push(Region {
            range: body,
            platform: Platform::NonWindows,
        });
        // The `#else` of `#ifdef __linux__` may be Windows or another POSIX: say nothing.
        push_chain(
            node,
            Platform::Unknown,
            Platform::Unknown,
            text,
            branches,
            out,
        );
        return;
    }
    let platform = match node.kind_name() {
        "preproc_ifdef" => {
            let name = node
                .field("name")
                .and_then(|n| n.utf8_text(text).ok())
                .unwrap_or("");
            let windows = if is_windows_macro(name) {
                Platform::Windows
            } else if is_other_os_macro(name) {
                Platform::OtherOs
            } else {
                Platform::Unknown
            };
            let directive = first.utf8_text(text).unwrap_or("");
            // `#ifndef GUARD` + `#define GUARD`: an include guard says nothing about platforms.
            let guard = node
                .named_child(1)
                .filter(|d| d.kind_name() == "preproc_def")
                .and_then(|d| d.field("name"))
                .and_then(|n| n.utf8_text(text).ok())
                == Some(name);
            if guard {
                return;
            }
            if directive.contains("ifndef") {
                windows.negate()
            } else {
                windows
            }
        }
        "preproc_if" | "preproc_elif" => match node.field("condition") {
            Some(cond) => classify(cond, text),
            None => Platform::Unknown,
        },
        "preproc_else" => return,
        _ => return,
    };
    push_chain(node, platform, Platform::Unknown, text, branches, out);
}

/// The offset of the next `#elif`, `#else` or `#endif` that closes the branch starting at
/// `from` (the end of a `#if` line), counting nested `#if`s, read from the text.
pub fn next_directive_at_depth(text: &[u8], from: usize) -> usize {
    let mut depth = 0usize;
    let mut pos = match text
        .get(from..)
        .and_then(|t| t.iter().position(|&b| b == b'\n'))
    {
        Some(i) => from + i + 1,
        None => return text.len(),
    };
    while pos < text.len() {
        let end = text[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..end];
        let trimmed: &[u8] = {
            let start = line
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(line.len());
            &line[start..]
        };
        if let Some(rest) = trimmed.strip_prefix(b"#") {
            let start = rest
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            let word: Vec<u8> = rest[start..]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic())
                .copied()
                .collect();
            match word.as_slice() {
                b"if" | b"ifdef" | b"ifndef" => depth += 1,
                b"endif" if depth == 0 => return pos,
                b"endif" => depth -= 1,
                b"elif" | b"else" | b"elifdef" | b"elifndef" if depth == 0 => return pos,
                _ => {}
            }
        }
        pos = end;
    }
    text.len()
}

/// A branch's platform as the text says it, and whether it is exactly "not Windows" (so that
/// its `#else` is Windows) or only one POSIX target (`#ifdef __linux__`).
type TextPlatform = (Platform, bool);

/// The platform a conditional's branch selects, from its directive (`if`, `ifdef`, `ifndef`,
/// `elif`) and condition text (see `classify_text`).
pub(crate) fn branch_platform(directive: &str, rest: &str) -> Platform {
    let directive = if directive == "elif" { "if" } else { directive };
    classify_text(directive, rest).0
}

/// Classifies a simple `#if`/`#ifdef` condition from its text: `NAME`, `defined(NAME)`,
/// `!defined NAME`, `0`, and `&&` chains of those.
fn classify_text(directive: &str, rest: &str) -> TextPlatform {
    let rest = rest.split("//").next().unwrap_or("");
    let rest = rest.split("/*").next().unwrap_or("").trim();
    let name_platform = |name: &str, negated: bool| -> TextPlatform {
        let name = name.trim();
        if WINDOWS_MACROS.contains(&name) {
            if negated {
                (Platform::NonWindows, true)
            } else {
                (Platform::Windows, true)
            }
        } else if NON_WINDOWS_MACROS.contains(&name) && !negated {
            (Platform::NonWindows, false)
        } else {
            (Platform::Unknown, false)
        }
    };
    match directive {
        "ifdef" => name_platform(rest, false),
        "ifndef" => name_platform(rest, true),
        _ => {
            if rest.contains("||") {
                return (Platform::Unknown, false);
            }
            let mut result = (Platform::Unknown, false);
            let parts = rest.split("&&").count();
            for part in rest.split("&&") {
                let mut t = part.trim();
                while let Some(inner) = t.strip_prefix('(').and_then(|x| x.strip_suffix(')')) {
                    t = inner.trim();
                }
                let (negated, t) = match t.strip_prefix('!') {
                    Some(x) => (true, x.trim()),
                    None => (false, t),
                };
                let t = t.strip_prefix("defined").map_or(t, |x| x.trim());
                let t = t.trim_start_matches('(').trim_end_matches(')').trim();
                let p = if !negated && !t.is_empty() && t.bytes().all(|b| b == b'0') {
                    (Platform::Dead, false)
                } else if t.bytes().all(crate::lang::is_ident_byte) {
                    name_platform(t, negated)
                } else {
                    (Platform::Unknown, false)
                };
                result = match (result.0, p.0) {
                    (Platform::Dead, _) | (_, Platform::Dead) => (Platform::Dead, false),
                    (Platform::NonWindows, _) => result,
                    (_, Platform::NonWindows) => p,
                    (Platform::Windows, _) => result,
                    (_, Platform::Windows) => p,
                    _ => result,
                };
            }
            // `#if defined(_WIN32) && X`: its `#else` may still be Windows.
            if parts > 1 {
                result.1 = false;
            }
            result
        }
    }
}

/// Regions of `#if` chains with simple conditions, read from the text with the preprocessor's
/// own nesting - also where tree-sitter could not place the directives in the tree.
/// Whether the first non-blank line of `rest` is `#define NAME` for `name`.
fn next_line_defines(rest: &[u8], name: &str) -> bool {
    let name = name.split_whitespace().next().unwrap_or("");
    let line = rest
        .split(|&b| b == b'\n')
        .map(|l| String::from_utf8_lossy(l).trim().to_string())
        .find(|l| !l.is_empty())
        .unwrap_or_default();
    let Some(after) = line.strip_prefix('#') else {
        return false;
    };
    let mut words = after.split_whitespace();
    !name.is_empty() && words.next() == Some("define") && words.next() == Some(name)
}

pub fn textual_regions(text: &[u8], out: &mut Vec<Region>) {
    struct Frame {
        body_start: usize,
        /// An include guard (`#ifndef X` followed by `#define X`).
        guard: bool,
        current: TextPlatform,
        /// What the branches so far exclude: `NonWindows` once a Windows branch was seen.
        earlier: Vec<TextPlatform>,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let end = text[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..end];
        let indent = line
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(line.len());
        if line.get(indent) == Some(&b'#') {
            let rest = String::from_utf8_lossy(&line[indent + 1..]);
            let rest = rest.trim_start();
            let word: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect();
            let args = rest[word.len()..].trim();
            let close = |f: &Frame, out: &mut Vec<Region>| {
                let effective = if f.earlier.contains(&(Platform::Windows, true)) {
                    Platform::NonWindows
                } else {
                    f.current.0
                };
                if effective != Platform::Unknown && f.body_start < pos {
                    out.push(Region {
                        range: f.body_start..pos,
                        platform: effective,
                    });
                }
            };
            match word.as_str() {
                "if" | "ifdef" | "ifndef" => {
                    // `#ifndef GUARD` + `#define GUARD`: an include guard says nothing about
                    // platforms.
                    let guard = word == "ifndef" && next_line_defines(&text[end..], args);
                    stack.push(Frame {
                        body_start: end,
                        guard,
                        current: if guard {
                            (Platform::Unknown, false)
                        } else {
                            classify_text(&word, args)
                        },
                        earlier: Vec::new(),
                    })
                }
                "elif" | "else" | "elifdef" | "elifndef" => {
                    if let Some(mut f) = stack.pop() {
                        close(&f, out);
                        let previous = f.current;
                        f.earlier.push(previous);
                        f.current = if word == "else" {
                            match f.earlier.as_slice() {
                                [(Platform::Windows, true)] => (Platform::NonWindows, true),
                                [(Platform::NonWindows, true)] => (Platform::Windows, true),
                                _ => (Platform::Unknown, false),
                            }
                        } else {
                            let w = if word == "elif" { "if" } else { &word[2..] };
                            classify_text(w, args)
                        };
                        f.body_start = end;
                        stack.push(f);
                    }
                }
                "endif" => {
                    if let Some(f) = stack.pop() {
                        close(&f, out);
                    }
                }
                // `#ifdef _WIN32` / `#error "not for Windows"` / `#endif`: no Windows build
                // compiles the file. Only when the branch tests exactly Windows, inside include
                // guards and exact platform tests alone (`#if _MSC_VER < 1200` around it says
                // something else).
                "error" => {
                    let exact = |f: &Frame| f.guard || f.current.1;
                    let windows = stack.last().is_some_and(|f| {
                        f.current == (Platform::Windows, true) && f.earlier.is_empty()
                    });
                    if windows && stack.iter().all(exact) {
                        out.push(Region {
                            range: 0..text.len(),
                            platform: Platform::NonWindows,
                        });
                    }
                }
                _ => {}
            }
        }
        pos = end;
    }
}

/// The body of every `#if`/`#ifdef`/`#ifndef`/`#elif`/`#else` branch, whatever its condition,
/// read from the text with the preprocessor's own nesting, sorted by start.
pub fn branch_bodies(text: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut pos = 0;
    while pos < text.len() {
        let end = text[pos..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| pos + i + 1);
        let line = &text[pos..end];
        let indent = line
            .iter()
            .position(|b| !b.is_ascii_whitespace())
            .unwrap_or(line.len());
        if line.get(indent) == Some(&b'#') {
            let rest = &line[indent + 1..];
            let skip = rest
                .iter()
                .position(|b| !b.is_ascii_whitespace())
                .unwrap_or(rest.len());
            let word: Vec<u8> = rest[skip..]
                .iter()
                .take_while(|b| b.is_ascii_alphabetic())
                .copied()
                .collect();
            match word.as_slice() {
                b"if" | b"ifdef" | b"ifndef" => open.push(end),
                b"elif" | b"else" | b"elifdef" | b"elifndef" => {
                    if let Some(start) = open.pop() {
                        out.push(start..pos);
                        open.push(end);
                    }
                }
                b"endif" => {
                    if let Some(start) = open.pop() {
                        out.push(start..pos);
                    }
                }
                _ => {}
            }
        }
        pos = end;
    }
    out.sort_by_key(|r| r.start);
    out
}

/// The body of `#ifdef __linux__` / `#if defined(__APPLE__)`: code for one POSIX target.
fn posix_only_body(node: Node, text: &[u8], branches: &[Range<usize>]) -> Option<Range<usize>> {
    let name = match node.kind_name() {
        "preproc_ifdef" => {
            let directive = node.child(0)?.utf8_text(text).ok()?;
            if directive.contains("ifndef") {
                return None;
            }
            node.field("name")?.utf8_text(text).ok()?
        }
        "preproc_if" => {
            let cond = node.field("condition")?;
            match cond.kind_name() {
                "identifier" => cond.utf8_text(text).ok()?,
                "preproc_defined" => cond
                    .utf8_text(text)
                    .ok()?
                    .trim_start_matches("defined")
                    .trim()
                    .trim_start_matches('(')
                    .trim_end_matches(')')
                    .trim(),
                _ => return None,
            }
        }
        _ => return None,
    };
    if !NON_WINDOWS_MACROS.contains(&name) {
        return None;
    }
    let start = node
        .field("condition")
        .or_else(|| node.field("name"))?
        .end_byte();
    let end = node
        .field("alternative")
        .map_or(node.end_byte(), |a| a.start_byte())
        .min(branch_end(text, branches, start));
    (start < end).then_some(start..end)
}

/// A project's own name for "the target is Windows": `MG_ARCH == MG_ARCH_WIN32`,
/// `OS == OS_WINDOWS`.
fn names_windows_target(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.ends_with("_WIN32") || upper.ends_with("_WIN64") || upper.ends_with("_WINDOWS")
}

/// Pushes the body of `node` (under `platform`, combined with what the earlier branches of the
/// chain exclude) and walks its `alternative` chain (in a loop: a chain of `#elif`s is as long
/// as the file makes it).
fn push_chain(
    node: Node,
    platform: Platform,
    earlier_excluded: Platform,
    text: &[u8],
    branches: &[Range<usize>],
    out: &mut Vec<Region>,
) {
    let (mut node, mut platform, mut earlier_excluded) = (node, platform, earlier_excluded);
    loop {
        let alternative = node.field("alternative");
        let body_start = node
            .field("condition")
            .or_else(|| node.field("name"))
            .map_or(node.start_byte(), |n| n.end_byte());
        // tree-sitter may nest a directive wrongly when it splits a C statement (`} else if`
        // across `#if`): the preprocessor's own nesting, read from the text, bounds the body.
        let body_end = alternative
            .map_or(node.end_byte(), |a| a.start_byte())
            .min(branch_end(text, branches, body_start));
        // A branch reached only when an earlier `#ifdef _WIN32` was false is non-Windows code.
        let effective = if earlier_excluded == Platform::NonWindows || platform == Platform::OtherOs
        {
            Platform::NonWindows
        } else if platform == Platform::WindowsOrOther {
            Platform::Unknown
        } else {
            platform
        };
        if effective != Platform::Unknown && body_start < body_end {
            out.push(Region {
                range: body_start..body_end,
                platform: effective,
            });
        }
        let Some(alt) = alternative else { return };
        // What the next branch knows: none of the branches so far was taken.
        let excluded = match (platform, earlier_excluded) {
            (Platform::Windows | Platform::WindowsOrOther, _) | (_, Platform::NonWindows) => {
                Platform::NonWindows
            }
            _ => Platform::Unknown,
        };
        (platform, earlier_excluded) = match alt.kind_name() {
            "preproc_elif" | "preproc_elifdef" => {
                let own = match alt.field("condition") {
                    Some(cond) => classify(cond, text),
                    None => Platform::Unknown,
                };
                (own, excluded)
            }
            _ => {
                // `#else`: the negation of the single branch before it, or what the chain
                // excludes.
                let own = if excluded == Platform::NonWindows {
                    Platform::NonWindows
                } else if earlier_excluded == Platform::Unknown {
                    platform.negate()
                } else {
                    Platform::Unknown
                };
                (own, Platform::Unknown)
            }
        };
        node = alt;
    }
}

/// `next_directive_at_depth`, looked up in the file's `branch_bodies` (sorted by start) when a
/// branch starts at the end of the line of `from`: scanning the text for each of many nested
/// `#if`s is quadratic.
fn branch_end(text: &[u8], branches: &[Range<usize>], from: usize) -> usize {
    let line_end = match text
        .get(from..)
        .and_then(|t| t.iter().position(|&b| b == b'\n'))
    {
        Some(i) => from + i + 1,
        None => return text.len(),
    };
    let i = branches.partition_point(|b| b.start < line_end);
    match branches.get(i) {
        Some(b) if b.start == line_end => b.end,
        _ => next_directive_at_depth(text, from),
    }
}

impl crate::facts::Facts<'_> {
    /// `#ifdef X` where `X` is a platform macro of the project's headers (`macros`, see
    /// `project::index::Imports`) that the file does not define itself: its body is code of
    /// that platform, and for a Windows macro its `#else` is not Windows code.
    pub(crate) fn add_project_macro_regions(
        &mut self,
        ifdefs: &[Node],
        macros: &std::collections::HashMap<String, Platform>,
    ) {
        if macros.is_empty() {
            return;
        }
        let mut extra = Vec::new();
        for node in ifdefs {
            let directive = node.child(0).and_then(|c| c.utf8_text(self.text).ok());
            let Some(name) = node.field("name") else {
                continue;
            };
            let name_text = self.text_of(name);
            if self.defines.iter().any(|d| d.name == name_text) {
                continue;
            }
            let Some(&platform) = macros.get(name_text) else {
                continue;
            };
            let negated = directive.is_none_or(|d| d.contains("ifndef"));
            let alternative = node.field("alternative");
            let body_end = alternative.map_or(node.end_byte(), |a| a.start_byte());
            // The branch that holds when the macro is defined, and the one that holds when not.
            let (defined, undefined) = if negated {
                (
                    alternative.map(|a| a.byte_range()),
                    Some(name.end_byte()..body_end),
                )
            } else {
                (
                    Some(name.end_byte()..body_end),
                    alternative.map(|a| a.byte_range()),
                )
            };
            if let Some(range) = defined.filter(|r| r.start < r.end) {
                extra.push(Region { range, platform });
            }
            // Not defined: not the Windows build when the macro is Windows's; says nothing of
            // a POSIX macro (other systems may leave it undefined too).
            if platform == Platform::Windows {
                if let Some(range) = undefined.filter(|r| r.start < r.end) {
                    extra.push(Region {
                        range,
                        platform: Platform::NonWindows,
                    });
                }
            }
        }
        self.regions.extend(extra);
    }

    /// `#ifdef X` where the file defines `X` only in non-Windows code, before the test
    /// (`#ifndef _WIN32` ... `#define USE_POLL` ... `#ifdef USE_POLL`): its body is non-Windows
    /// code too.
    pub(crate) fn add_posix_only_macro_regions(&mut self, ifdefs: &[Node]) {
        let mut extra = Vec::new();
        for node in ifdefs {
            let directive = node.child(0).and_then(|c| c.utf8_text(self.text).ok());
            if directive.is_none_or(|d| d.contains("ifndef")) {
                continue;
            }
            let Some(name) = node.field("name") else {
                continue;
            };
            let name_text = self.text_of(name);
            let mut defs = self
                .defines
                .iter()
                .filter(|d| d.name == name_text)
                .peekable();
            if defs.peek().is_none() {
                continue;
            }
            let posix_only = defs.all(|d| {
                d.directive.end <= node.start_byte()
                    && matches!(
                        self.platform_at(d.directive.start),
                        Platform::NonWindows | Platform::Dead
                    )
            });
            if !posix_only {
                continue;
            }
            let end = node
                .field("alternative")
                .map_or(node.end_byte(), |a| a.start_byte());
            if name.end_byte() < end {
                extra.push(Region {
                    range: name.end_byte()..end,
                    platform: Platform::NonWindows,
                });
            }
        }
        self.regions.extend(extra);
    }
}

/// Classifies a `#if` condition. Conditions nest without bound (`((((...))))`, a chain of
/// `&&`): they are evaluated from a work list, operands before their operator.
pub fn classify(cond: Node, text: &[u8]) -> Platform {
    enum Task<'t> {
        Eval(Node<'t>),
        Not,
        Binary(Node<'t>),
    }
    let mut tasks = vec![Task::Eval(cond)];
    let mut values: Vec<Platform> = Vec::new();
    while let Some(task) = tasks.pop() {
        match task {
            Task::Eval(cond) => match cond.kind_name() {
                "parenthesized_expression" => match cond.named_child(0) {
                    Some(inner) => tasks.push(Task::Eval(inner)),
                    None => values.push(Platform::Unknown),
                },
                "unary_expression" => {
                    let op = cond.field("operator").map(|o| o.kind_name());
                    match (op, cond.field("argument")) {
                        (Some("!"), Some(arg)) => {
                            tasks.push(Task::Not);
                            tasks.push(Task::Eval(arg));
                        }
                        _ => values.push(Platform::Unknown),
                    }
                }
                "binary_expression" => match (cond.field("left"), cond.field("right")) {
                    (Some(l), Some(r)) => {
                        tasks.push(Task::Binary(cond));
                        tasks.push(Task::Eval(r));
                        tasks.push(Task::Eval(l));
                    }
                    _ => values.push(Platform::Unknown),
                },
                _ => values.push(classify_operand(cond, text)),
            },
            Task::Not => {
                let p = values.pop().unwrap_or(Platform::Unknown);
                values.push(match p {
                    Platform::Dead => Platform::Unknown,
                    p => p.negate(),
                });
            }
            Task::Binary(cond) => {
                let r = values.pop().unwrap_or(Platform::Unknown);
                let l = values.pop().unwrap_or(Platform::Unknown);
                values.push(combine(cond, l, r, text));
            }
        }
    }
    values.pop().unwrap_or(Platform::Unknown)
}

/// `classify` for a condition without operators: a number, a macro, `defined(X)`.
fn classify_operand(cond: Node, text: &[u8]) -> Platform {
    let raw = cond.utf8_text(text).unwrap_or("").trim();
    match cond.kind_name() {
        "number_literal" => {
            let digits = raw.trim_end_matches(['u', 'U', 'l', 'L']);
            if digits.chars().all(|c| c == '0') {
                Platform::Dead
            } else {
                Platform::Unknown
            }
        }
        "identifier" => {
            if is_windows_macro(raw) {
                Platform::Windows
            } else if is_other_os_macro(raw) {
                Platform::OtherOs
            } else {
                Platform::Unknown
            }
        }
        "preproc_defined" => {
            let name = raw
                .trim_start_matches("defined")
                .trim()
                .trim_start_matches('(')
                .trim_end_matches(')')
                .trim();
            if is_windows_macro(name) {
                Platform::Windows
            } else if is_other_os_macro(name) {
                Platform::OtherOs
            } else {
                Platform::Unknown
            }
        }
        _ => Platform::Unknown,
    }
}

/// `classify` for a binary operator whose operands classify as `l` and `r`.
fn combine(cond: Node, l: Platform, r: Platform, text: &[u8]) -> Platform {
    let op = cond.field("operator").map(|o| o.kind_name());
    match op {
        Some("&&") => {
            if l == Platform::Dead || r == Platform::Dead {
                Platform::Dead
            } else if l == Platform::NonWindows || r == Platform::NonWindows {
                Platform::NonWindows
            } else if l == Platform::OtherOs || r == Platform::OtherOs {
                Platform::OtherOs
            } else if l == Platform::Windows || r == Platform::Windows {
                Platform::Windows
            } else {
                Platform::Unknown
            }
        }
        Some("||") => {
            let non_windows = |p| matches!(p, Platform::NonWindows | Platform::OtherOs);
            let windows = |p| matches!(p, Platform::Windows | Platform::WindowsOrOther);
            if l == r {
                l
            } else if non_windows(l) && non_windows(r) {
                Platform::OtherOs
            } else if (windows(l) && r != Platform::Dead) || (windows(r) && l != Platform::Dead) {
                Platform::WindowsOrOther
            } else if l == Platform::Dead {
                r
            } else if r == Platform::Dead {
                l
            } else {
                Platform::Unknown
            }
        }
        Some(op @ ("==" | "!=")) => {
            let (Some(ln), Some(rn)) = (cond.field("left"), cond.field("right")) else {
                return Platform::Unknown;
            };
            let windows = [ln, rn].into_iter().any(|n| {
                n.kind_name() == "identifier"
                    && names_windows_target(n.utf8_text(text).unwrap_or(""))
            });
            match (windows, op) {
                (true, "==") => Platform::Windows,
                (true, _) => Platform::NonWindows,
                _ => Platform::Unknown,
            }
        }
        _ => Platform::Unknown,
    }
}

#[cfg(test)]
mod tests {
    use crate::facts::{tests::facts_of, Platform};
    use crate::lang::Lang;

    fn platform_of(code: &str, marker: &str) -> Platform {
        let at = code.find(marker).expect("marker");
        facts_of(Lang::C, code, |facts| facts.platform_at(at))
    }

    #[test]
    fn ifdef_else_and_ifndef() {
        let code = "#ifdef _WIN32\nint a;\n#else\nint b;\n#endif\nint c;\n";
        assert_eq!(platform_of(code, "int a"), Platform::Windows);
        assert_eq!(platform_of(code, "int b"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int c"), Platform::Unknown);
        let code = "#ifndef WIN32\nint a;\n#else\nint b;\n#endif\n";
        assert_eq!(platform_of(code, "int a"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int b"), Platform::Windows);
    }

    #[test]
    fn a_file_that_refuses_windows_is_never_windows() {
        let refused =
            "#ifndef NET_H\n#define NET_H\n#ifdef _WIN32\n#error \"POSIX only\"\n#endif\n\
                       #endif\nint c;\n";
        assert_eq!(platform_of(refused, "int c"), Platform::NonWindows);
        // An old compiler refused, or Windows without something: other Windows builds compile it.
        for kept in [
            "#ifdef _WIN32\n#if _MSC_VER < 1200\n#error \"too old\"\n#endif\n#endif\nint c;\n",
            "#if defined(_WIN32) && !defined(HAVE_WINSOCK2)\n#error \"no\"\n#endif\nint c;\n",
            "#ifdef USE_WATT32\nint w;\n#elif defined(_WIN32)\n#error \"no\"\n#endif\nint c;\n",
            "#ifndef _WIN32\n#error \"Windows only\"\n#endif\nint c;\n",
        ] {
            assert_eq!(platform_of(kept, "int c"), Platform::Unknown, "{kept}");
        }
    }

    #[test]
    fn if_conditions() {
        let code = "#if !defined(_WIN32) && !defined(__CYGWIN__)\nint a;\n#endif\n\
                    #if defined(_WIN32) || defined(_WIN64)\nint b;\n#endif\n\
                    #if 0\nint c;\n#else\nint d;\n#endif\n\
                    #if defined _MSC_VER\nint e;\n#elif defined(__linux__)\nint f;\n#else\nint g;\n#endif\n";
        assert_eq!(platform_of(code, "int a"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int b"), Platform::Windows);
        assert_eq!(platform_of(code, "int c"), Platform::Dead);
        assert_eq!(platform_of(code, "int d"), Platform::Unknown);
        assert_eq!(platform_of(code, "int e"), Platform::Windows);
        assert_eq!(platform_of(code, "int f"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int g"), Platform::NonWindows);
    }

    #[test]
    fn misnested_directives_end_at_their_own_endif() {
        // `#if` splitting an `else if` chain: tree-sitter may close it at a later `#endif`.
        let code = "#if ENABLE\nstatic void f(int fd) {\n  if (fd < 0) {\n\
                    #if ARCH == ARCH_THREADX\n    if (errno != EAGAIN)\n#endif\n      err(fd);\n\
                    #if (ARCH != ARCH_WIN32) && !RTOS\n  } else if ((long) fd >= FD_SETSIZE) {\n\
                    h(fd);\n#endif\n  } else if ((c = alloc()) == NULL) {\n    k();\n  }\n}\n\
                    void later(void) { tail(); }\n#endif\n";
        assert_eq!(platform_of(code, "tail()"), Platform::Unknown);
    }

    #[test]
    fn directives_tree_sitter_could_not_place() {
        let code = "void f(int a, int s) {\n  if (a == 1) {\n    g();\n#ifndef _WIN32\n\
                    } else if (a > 1) {\n    setsockopt(s);\n#endif\n  } else {\n    k();\n  }\n  tail();\n}\n";
        assert_eq!(platform_of(code, "setsockopt"), Platform::NonWindows);
        assert_eq!(platform_of(code, "tail()"), Platform::Unknown);
        assert_eq!(platform_of(code, "g()"), Platform::Unknown);
    }

    #[test]
    fn text_conditions() {
        use super::classify_text;
        assert_eq!(classify_text("ifdef", "_WIN32").0, Platform::Windows);
        assert_eq!(
            classify_text("ifndef", "WIN32 /* x */").0,
            Platform::NonWindows
        );
        assert_eq!(
            classify_text("if", "!defined(_WIN32) && !defined(__CYGWIN__)").0,
            Platform::NonWindows
        );
        assert_eq!(
            classify_text("if", "defined(_WIN32) || defined(X)").0,
            Platform::Unknown
        );
        assert_eq!(classify_text("if", "0").0, Platform::Dead);
        assert_eq!(
            classify_text("ifdef", "__linux__"),
            (Platform::NonWindows, false)
        );
        assert_eq!(classify_text("ifndef", "__linux__").0, Platform::Unknown);
    }

    #[test]
    fn posix_only_and_project_spellings() {
        let code = "#ifdef __linux__\nint a;\n#else\nint b;\n#endif\n\
                    #if MG_ARCH == MG_ARCH_WIN32 && MG_ENABLE_WINSOCK\nint c;\n\
                    #elif MG_ENABLE_RL\nint d;\n#endif\n\
                    #if defined(__APPLE__)\nint e;\n#endif\n";
        assert_eq!(platform_of(code, "int a"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int b"), Platform::Unknown);
        assert_eq!(platform_of(code, "int c"), Platform::Windows);
        assert_eq!(platform_of(code, "int d"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int e"), Platform::NonWindows);
    }

    #[test]
    fn windows_code_or_not() {
        let windows = |code: &str| facts_of(Lang::C, code, |f| f.windows_code);
        assert!(windows("#include <winsock2.h>\nint x;"));
        assert!(windows("#include \"sys/Windows.h\"\nint x;"));
        assert!(windows("#ifdef _WIN32\nint a;\n#endif\n"));
        assert!(windows("void f(void) { WSACleanup(); }"));
        assert!(windows("void f(SOCKET s) { }"));
        assert!(!windows(
            "#include <sys/socket.h>\nvoid f(int fd) { close(fd); }"
        ));
        assert!(!windows("void f(int fd) { connect(fd, 0, 0); }"));
    }

    #[test]
    fn windows_programs_reach_winsock_through_their_headers() {
        let program = |code: &str| facts_of(Lang::C, code, |f| f.windows_program);
        assert!(program("#include \"stdafx.h\"\nint x;"));
        assert!(program("#include \"net.h\"\nvoid f(SOCKET s) { }"));
        assert!(program(
            "#include \"net.h\"\nvoid f(void) { WSACleanup(); }"
        ));
        // Portable code marks its Windows parts; what it leaves unmarked is shared.
        assert!(!program(
            "#include \"net.h\"\n#ifdef _WIN32\nvoid f(SOCKET s) { }\n#endif\nint x;"
        ));
        assert!(program(
            "#include \"plugin.h\"\nvoid f(HMODULE h) { GetProcAddress(h, \"x\"); }"
        ));
        assert!(!program("#include <unistd.h>\nvoid f(SOCKET s) { }"));
        // lwIP has a `closesocket` of its own.
        assert!(!program(
            "#include \"lwip/sockets.h\"\nvoid f(int s) { closesocket(s); }"
        ));
    }

    #[test]
    fn project_platform_macros() {
        use crate::facts::platform::is_windows_macro;
        for yes in [
            "ZMQ_HAVE_WINDOWS",
            "USE_WINSOCK",
            "HAVE_WINSOCK2_H",
            "EVENT__HAVE_WIN32",
            "_MSVC_",
        ] {
            assert!(is_windows_macro(yes), "{yes}");
        }
        for no in [
            "_WIN32_WCE",
            "WIN32_INTEROP_FDAPI_H",
            "__WINSOCK_UTIL_H__",
            "ZMQ_HAVE_WINDOWS_UWP",
            "_WIN32_WINNT",
            "CURL_DISABLE_WINDOWS_SSPI",
            "WIN32_LEAN_AND_MEAN",
            "HAVE_SYS_SOCKET_H",
            "DARWIN",
        ] {
            assert!(!is_windows_macro(no), "{no}");
        }
        assert!(is_windows_macro("HAVE_WINSOCK2_H"));
        let guard = "#ifndef _WIN32\n#define _WIN32\nint z;\n#endif\n";
        assert_eq!(platform_of(guard, "int z"), Platform::Unknown);
        let code = "#if defined ZMQ_HAVE_EVENTFD\nint a;\n#elif defined ZMQ_HAVE_WINDOWS\nint b;\n\
                    #elif defined ZMQ_HAVE_OPENVMS\nint c;\n#endif\n\
                    #if !defined _WIN32_WCE && !defined ZMQ_HAVE_WINDOWS_UWP\nint d;\n#endif\n";
        // Windows has no `eventfd`.
        assert_eq!(platform_of(code, "int a"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int b"), Platform::Windows);
        assert_eq!(platform_of(code, "int c"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int d"), Platform::Unknown);
    }

    #[test]
    fn other_systems_are_not_windows_but_their_negation_is_not_windows_either() {
        let code =
            "#ifdef OS_LINUX\nint a;\n#elif defined(OS_WIN)\nint b;\n#else\nint c;\n#endif\n\
                    #ifndef __APPLE__\nint d;\n#else\nint e;\n#endif\n\
                    #if defined(__linux__) || defined(__FreeBSD__)\nint f;\n#else\nint g;\n#endif\n\
                    #if !defined(__linux__)\nint h;\n#endif\n";
        assert_eq!(platform_of(code, "int a"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int b"), Platform::Unknown);
        assert_eq!(platform_of(code, "int c"), Platform::Unknown);
        assert_eq!(platform_of(code, "int d"), Platform::Unknown);
        // The `#else` of `#ifndef __APPLE__` is Apple-only, but "not not Apple" is not tracked:
        // unknown is the safe answer.
        assert_eq!(platform_of(code, "int e"), Platform::Unknown);
        assert_eq!(platform_of(code, "int f"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int g"), Platform::Unknown);
        assert_eq!(platform_of(code, "int h"), Platform::Unknown);
    }

    #[test]
    fn the_negation_of_windows_or_more_is_not_windows() {
        let code = "#if defined(_WIN32) || defined(__amigaos__)\nint a;\n#else\nint b;\n#endif\n\
                    #if !(defined(_WIN32) || defined(__amigaos__) || defined(__amigaos4__))\nint c;\n#endif\n\
                    #if defined(_WIN32) || defined(FOO)\nint d;\n#elif defined(BAR)\nint e;\n#endif\n";
        assert_eq!(platform_of(code, "int a"), Platform::Unknown);
        assert_eq!(platform_of(code, "int b"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int c"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int d"), Platform::Unknown);
        assert_eq!(platform_of(code, "int e"), Platform::NonWindows);
    }

    #[test]
    fn macros_defined_only_for_posix_mark_posix_code() {
        let code = "#ifdef _WIN32\n#include <winsock2.h>\n#else\n#define IGNORE_EINTR\n#define BOTH\n#endif\n\
                    #define BOTH\n\
                    #ifdef IGNORE_EINTR\nint a;\n#else\nint b;\n#endif\n\
                    #ifdef BOTH\nint c;\n#endif\n#ifdef ELSEWHERE\nint d;\n#endif\n";
        assert_eq!(platform_of(code, "int a"), Platform::NonWindows);
        assert_eq!(platform_of(code, "int b"), Platform::Unknown);
        assert_eq!(platform_of(code, "int c"), Platform::Unknown);
        assert_eq!(platform_of(code, "int d"), Platform::Unknown);
    }

    #[test]
    fn options_and_facilities_windows_lacks() {
        let code = "#if defined(SO_NOSIGPIPE)\nint a;\n#endif\n\
                    #ifdef SO_REUSEPORT /* no SO_REUSEPORT in Windows */\nint b;\n#else\nint c;\n#endif\n\
                    #ifdef EVENT__HAVE_SETRLIMIT\nint d;\n#endif\n\
                    #ifdef USE_NETLINK\nint e;\n#endif\n\
                    #if defined(_WIN32)\nint f;\n#elif defined(RO_MSGFILTER)\nint g;\n#endif\n\
                    #ifdef MSG_NOSIGNAL\nint h;\n#endif\n#ifdef TCP_CORK\nint i;\n#endif\n\
                    #ifdef SO_KEEPALIVE\nint j;\n#endif\n#ifdef HAVE_NO_EPOLL\nint k;\n#endif\n";
        for (marker, expected) in [
            ("int a", Platform::NonWindows),
            ("int b", Platform::NonWindows),
            // The `#else` of `#ifdef SO_REUSEPORT` is Windows or a system without the option.
            ("int c", Platform::Unknown),
            ("int d", Platform::NonWindows),
            ("int e", Platform::NonWindows),
            ("int f", Platform::Windows),
            ("int g", Platform::NonWindows),
            ("int h", Platform::NonWindows),
            ("int i", Platform::NonWindows),
            ("int j", Platform::Unknown),
            ("int k", Platform::Unknown),
        ] {
            assert_eq!(platform_of(code, marker), expected, "{marker}");
        }
    }

    #[test]
    fn nested_inside_a_function() {
        let code =
            "void f(int s) {\n#ifdef _WIN32\n  closesocket(s);\n#else\n  close(s);\n#endif\n}\n";
        assert_eq!(platform_of(code, "closesocket"), Platform::Windows);
        assert_eq!(platform_of(code, "close(s)"), Platform::NonWindows);
    }
}
