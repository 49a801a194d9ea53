//! Platform branches: which code is compiled only for non-Windows targets, and which never is
//! (`#if 0`). Rules about Windows semantics stay silent in both.

use std::ops::Range;

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
];

/// Whether a file is Windows code at all: it includes a Windows header, has an
/// `#ifdef _WIN32` branch, calls a Winsock-only function (`WSA*`, `closesocket`,
/// `ioctlsocket`) or declares a `SOCKET`. A pure POSIX file (a `unix/` directory of a portable
/// library) is none of these, and rules about Windows semantics leave it alone.
pub fn is_windows_code(facts: &crate::facts::Facts) -> bool {
    facts.includes.iter().any(|i| {
        let base = i.header.rsplit(['/', '\\']).next().unwrap_or(&i.header);
        WINDOWS_HEADERS.iter().any(|h| h.eq_ignore_ascii_case(base))
    }) || facts
        .regions
        .iter()
        .any(|r| r.platform == Platform::Windows)
        || facts.calls.iter().any(|c| {
            !c.member
                && (c.name.starts_with("WSA")
                    || matches!(c.name.as_str(), "closesocket" | "ioctlsocket"))
        })
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
    let windows = tokens
        .iter()
        .any(|t| matches!(*t, "WIN32" | "WIN64" | "WINDOWS" | "WINSOCK" | "WINSOCK2"));
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
    windows && !subset_or_switch
}

/// Whether a macro is defined only when compiling for one particular other system (`__linux__`,
/// `__APPLE__`, a project's `OS_LINUX` or `ZMQ_HAVE_OPENVMS`).
pub fn is_other_os_macro(name: &str) -> bool {
    const EXACT: &[&str] = &[
        "linux", "unix", "__unix", "__linux", "__sun", "_AIX", "__hpux",
    ];
    if EXACT.contains(&name) {
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
    os && !switch && !is_windows_macro(name)
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
}

impl Platform {
    fn negate(self) -> Platform {
        match self {
            Platform::Windows => Platform::NonWindows,
            Platform::NonWindows => Platform::Windows,
            // The `#else` of `#if 0` is always compiled; of `#if 1` never, but nobody writes it.
            // "Not Linux" is not Windows.
            Platform::Dead | Platform::Unknown | Platform::OtherOs => Platform::Unknown,
        }
    }
}

/// A byte range of code under one preprocessor branch.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Region {
    pub range: Range<usize>,
    pub platform: Platform,
}

/// The regions a `#if`/`#ifdef`/`#ifndef` node opens (its body and its `#elif`/`#else` chain).
pub fn regions_of(node: Node, text: &[u8], out: &mut Vec<Region>) {
    let first = match node.child(0) {
        Some(c) => c,
        None => return,
    };
    if let Some(body) = posix_only_body(node, text) {
        out.push(Region {
            range: body,
            platform: Platform::NonWindows,
        });
        // The `#else` of `#ifdef __linux__` may be Windows or another POSIX: say nothing.
        push_chain(node, Platform::Unknown, Platform::Unknown, text, out);
        return;
    }
    let platform = match node.kind() {
        "preproc_ifdef" => {
            let name = node
                .child_by_field_name("name")
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
            if directive.contains("ifndef") {
                windows.negate()
            } else {
                windows
            }
        }
        "preproc_if" | "preproc_elif" => match node.child_by_field_name("condition") {
            Some(cond) => classify(cond, text),
            None => Platform::Unknown,
        },
        "preproc_else" => return,
        _ => return,
    };
    push_chain(node, platform, Platform::Unknown, text, out);
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

/// The body of `#ifdef __linux__` / `#if defined(__APPLE__)`: code for one POSIX target.
fn posix_only_body(node: Node, text: &[u8]) -> Option<Range<usize>> {
    let name = match node.kind() {
        "preproc_ifdef" => {
            let directive = node.child(0)?.utf8_text(text).ok()?;
            if directive.contains("ifndef") {
                return None;
            }
            node.child_by_field_name("name")?.utf8_text(text).ok()?
        }
        "preproc_if" => {
            let cond = node.child_by_field_name("condition")?;
            match cond.kind() {
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
        .child_by_field_name("condition")
        .or_else(|| node.child_by_field_name("name"))?
        .end_byte();
    let end = node
        .child_by_field_name("alternative")
        .map_or(node.end_byte(), |a| a.start_byte())
        .min(next_directive_at_depth(text, start));
    (start < end).then_some(start..end)
}

/// A project's own name for "the target is Windows": `MG_ARCH == MG_ARCH_WIN32`,
/// `OS == OS_WINDOWS`.
fn names_windows_target(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.ends_with("_WIN32") || upper.ends_with("_WIN64") || upper.ends_with("_WINDOWS")
}

/// Pushes the body of `node` (under `platform`, combined with what the earlier branches of the
/// chain exclude) and walks its `alternative` chain.
fn push_chain(
    node: Node,
    platform: Platform,
    earlier_excluded: Platform,
    text: &[u8],
    out: &mut Vec<Region>,
) {
    let alternative = node.child_by_field_name("alternative");
    let body_start = node
        .child_by_field_name("condition")
        .or_else(|| node.child_by_field_name("name"))
        .map_or(node.start_byte(), |n| n.end_byte());
    // tree-sitter may nest a directive wrongly when it splits a C statement (`} else if`
    // across `#if`): the preprocessor's own nesting, read from the text, bounds the body.
    let body_end = alternative
        .map_or(node.end_byte(), |a| a.start_byte())
        .min(next_directive_at_depth(text, body_start));
    // A branch reached only when an earlier `#ifdef _WIN32` was false is non-Windows code.
    let effective = if earlier_excluded == Platform::NonWindows || platform == Platform::OtherOs {
        Platform::NonWindows
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
        (Platform::Windows, _) | (_, Platform::NonWindows) => Platform::NonWindows,
        _ => Platform::Unknown,
    };
    match alt.kind() {
        "preproc_elif" | "preproc_elifdef" => {
            let own = match alt.child_by_field_name("condition") {
                Some(cond) => classify(cond, text),
                None => Platform::Unknown,
            };
            push_chain(alt, own, excluded, text, out);
        }
        _ => {
            // `#else`: the negation of the single branch before it, or what the chain excludes.
            let own = if excluded == Platform::NonWindows {
                Platform::NonWindows
            } else if earlier_excluded == Platform::Unknown {
                platform.negate()
            } else {
                Platform::Unknown
            };
            push_chain(alt, own, Platform::Unknown, text, out);
        }
    }
}

/// Classifies a `#if` condition.
pub fn classify(cond: Node, text: &[u8]) -> Platform {
    let raw = cond.utf8_text(text).unwrap_or("").trim();
    match cond.kind() {
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
        "parenthesized_expression" => match cond.named_child(0) {
            Some(inner) => classify(inner, text),
            None => Platform::Unknown,
        },
        "unary_expression" => {
            let op = cond.child_by_field_name("operator").map(|o| o.kind());
            match (op, cond.child_by_field_name("argument")) {
                (Some("!"), Some(arg)) => match classify(arg, text) {
                    Platform::Dead => Platform::Unknown,
                    p => p.negate(),
                },
                _ => Platform::Unknown,
            }
        }
        "binary_expression" => {
            let op = cond.child_by_field_name("operator").map(|o| o.kind());
            let (Some(l), Some(r)) = (
                cond.child_by_field_name("left"),
                cond.child_by_field_name("right"),
            ) else {
                return Platform::Unknown;
            };
            let (l, r) = (classify(l, text), classify(r, text));
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
                    if l == r {
                        l
                    } else if non_windows(l) && non_windows(r) {
                        Platform::OtherOs
                    } else if l == Platform::Dead {
                        r
                    } else if r == Platform::Dead {
                        l
                    } else {
                        Platform::Unknown
                    }
                }
                Some(op @ ("==" | "!=")) => {
                    let (Some(ln), Some(rn)) = (
                        cond.child_by_field_name("left"),
                        cond.child_by_field_name("right"),
                    ) else {
                        return Platform::Unknown;
                    };
                    let windows = [ln, rn].into_iter().any(|n| {
                        n.kind() == "identifier"
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
    fn project_platform_macros() {
        use crate::facts::platform::is_windows_macro;
        for yes in [
            "ZMQ_HAVE_WINDOWS",
            "USE_WINSOCK",
            "HAVE_WINSOCK2_H",
            "EVENT__HAVE_WIN32",
        ] {
            assert!(is_windows_macro(yes), "{yes}");
        }
        for no in [
            "_WIN32_WCE",
            "ZMQ_HAVE_WINDOWS_UWP",
            "_WIN32_WINNT",
            "CURL_DISABLE_WINDOWS_SSPI",
            "WIN32_LEAN_AND_MEAN",
            "HAVE_SYS_SOCKET_H",
            "DARWIN",
        ] {
            assert!(!is_windows_macro(no), "{no}");
        }
        let code = "#if defined ZMQ_HAVE_EVENTFD\nint a;\n#elif defined ZMQ_HAVE_WINDOWS\nint b;\n\
                    #elif defined ZMQ_HAVE_OPENVMS\nint c;\n#endif\n\
                    #if !defined _WIN32_WCE && !defined ZMQ_HAVE_WINDOWS_UWP\nint d;\n#endif\n";
        assert_eq!(platform_of(code, "int a"), Platform::Unknown);
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
    fn nested_inside_a_function() {
        let code =
            "void f(int s) {\n#ifdef _WIN32\n  closesocket(s);\n#else\n  close(s);\n#endif\n}\n";
        assert_eq!(platform_of(code, "closesocket"), Platform::Windows);
        assert_eq!(platform_of(code, "close(s)"), Platform::NonWindows);
    }
}
