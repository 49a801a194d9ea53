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

/// The regions a `#if`/`#ifdef`/`#ifndef` node opens (its body and its `#elif`/`#else` chain).
pub fn regions_of(node: Node, text: &[u8], out: &mut Vec<Region>) {
    let first = match node.child(0) {
        Some(c) => c,
        None => return,
    };
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
            // `#ifndef GUARD` + `#define GUARD`: an include guard says nothing about platforms.
            let guard = node
                .named_child(1)
                .filter(|d| d.kind() == "preproc_def")
                .and_then(|d| d.child_by_field_name("name"))
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
        "preproc_if" | "preproc_elif" => match node.child_by_field_name("condition") {
            Some(cond) => classify(cond, text),
            None => Platform::Unknown,
        },
        "preproc_else" => return,
        _ => return,
    };
    push_chain(node, platform, Platform::Unknown, text, out);
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
    let body_end = alternative.map_or(node.end_byte(), |a| a.start_byte());
    // A branch reached only when an earlier `#ifdef _WIN32` was false is non-Windows code.
    let effective = if earlier_excluded == Platform::NonWindows || platform == Platform::OtherOs {
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

impl crate::facts::Facts<'_> {
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
            let Some(name) = node.child_by_field_name("name") else {
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
                .child_by_field_name("alternative")
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
                    let windows = |p| matches!(p, Platform::Windows | Platform::WindowsOrOther);
                    if l == r {
                        l
                    } else if non_windows(l) && non_windows(r) {
                        Platform::OtherOs
                    } else if (windows(l) && r != Platform::Dead)
                        || (windows(r) && l != Platform::Dead)
                    {
                        Platform::WindowsOrOther
                    } else if l == Platform::Dead {
                        r
                    } else if r == Platform::Dead {
                        l
                    } else {
                        Platform::Unknown
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
    fn nested_inside_a_function() {
        let code =
            "void f(int s) {\n#ifdef _WIN32\n  closesocket(s);\n#else\n  close(s);\n#endif\n}\n";
        assert_eq!(platform_of(code, "closesocket"), Platform::Windows);
        assert_eq!(platform_of(code, "close(s)"), Platform::NonWindows);
    }
}
