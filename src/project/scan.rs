//! What a file tells the rest of its project, read from its text without parsing it: the
//! headers it includes, the renames its macros make and the type aliases it declares, as the
//! Windows build sees them. Every file of a project is read this way once per run (see
//! `index`), so the reading must cost little more than a scan of the bytes.

use std::collections::HashMap;

use crate::facts::platform::{self, Platform};

/// One `#include` of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    /// As written, without the quotes or brackets: `net/compat.h`.
    pub header: String,
    /// `#include "x.h"` (searched next to the file first) rather than `#include <x.h>`.
    pub quoted: bool,
    /// Whether the Windows build compiles it for sure: it is under a Windows condition
    /// (`#ifdef _WIN32`), or under no condition but the header's include guard. An include under
    /// a condition of the project's own (`#if MG_ARCH == MG_ARCH_WIN32`) may be for any build.
    pub for_windows: bool,
}

/// What one file defines for the files that include it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FileScan {
    pub includes: Vec<Include>,
    /// Macro renames: `#define sclose(x) closesocket(x)` maps `sclose` to `closesocket`
    /// (see `facts::rename_target`).
    pub renames: HashMap<String, String>,
    /// Type aliases: `typedef SOCKET sock_t;` maps `sock_t` to `SOCKET`.
    pub typedefs: HashMap<String, String>,
    /// The project's own platform macros: a macro every definition of which sits in a
    /// Windows branch (`#ifdef _WIN32` ... `#define USE_WINSOCK 1`) maps to `Windows`; in a
    /// non-Windows one (`#ifndef _WIN32` ... `#define MHD_POSIX_SOCKETS 1`) to `NonWindows`.
    pub platform_macros: HashMap<String, Platform>,
}

/// A conditional open around a directive (see `FileScan::of`).
struct Level {
    /// An include guard: `#ifndef X` followed by `#define X`.
    guard: bool,
    /// The current branch tests the platform only (`#ifdef _WIN32`, `#elif defined(_WIN32)`).
    platform: bool,
}

impl FileScan {
    /// Reads the directives and typedefs of `text`. Definitions in branches never compiled for
    /// Windows (`#ifndef _WIN32`, `#if 0`) are left out: the facts describe the Windows build.
    pub fn of(text: &[u8]) -> FileScan {
        let code = blank_comments_and_strings(text);
        let mut regions = Vec::new();
        platform::textual_regions(&code, &mut regions);
        let for_windows = |offset: usize| {
            !matches!(
                platform::platform_in(&regions, offset),
                Platform::NonWindows | Platform::Dead
            )
        };
        let mut scan = FileScan::default();
        // The conditionals open around each directive: whether each is an include guard
        // (`#ifndef X` followed by `#define X`), and whether its branch tests the platform and
        // nothing else.
        let mut open: Vec<Level> = Vec::new();
        let mut guard_candidate: Option<String> = None;
        for (start, line) in directive_lines(&code) {
            let trimmed = line.trim_start();
            if let Some(directive) = trimmed.strip_prefix('#') {
                let directive = directive.trim_start();
                let word: String = directive
                    .chars()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect();
                let is_guard = guard_candidate
                    .take()
                    .is_some_and(|g| defined_name(directive) == Some(g.as_str()));
                if is_guard {
                    if let Some(top) = open.last_mut() {
                        top.guard = true;
                    }
                }
                let rest = &directive[word.len()..];
                let platform_test = || platform::branch_platform(&word, rest) != Platform::Unknown;
                match word.as_str() {
                    "if" | "ifdef" => open.push(Level {
                        guard: false,
                        platform: platform_test(),
                    }),
                    "elif" => {
                        if let Some(top) = open.last_mut() {
                            top.platform = platform_test();
                        }
                    }
                    "ifndef" => {
                        open.push(Level {
                            guard: false,
                            platform: platform_test(),
                        });
                        guard_candidate = directive[word.len()..]
                            .split_whitespace()
                            .next()
                            .map(str::to_string);
                    }
                    "endif" => {
                        open.pop();
                    }
                    _ => {}
                }
                let unconditional = open.iter().all(|level| level.guard);
                let sure =
                    unconditional || platform::platform_in(&regions, start) == Platform::Windows;
                let before = scan.includes.len();
                scan.add_directive(text, start, directive, for_windows(start));
                if scan.includes.len() > before {
                    if let Some(last) = scan.includes.last_mut() {
                        last.for_windows = sure;
                    }
                }
                if let Some(name) = defined_name(directive) {
                    // A macro defined on Windows under a further condition (`#ifdef _WIN32`,
                    // then `#if WINAPI_FAMILY_PARTITION(...)`, `#define CURL_WINDOWS_UWP`)
                    // names a kind of Windows build: its absence says nothing of the platform.
                    let only_platform = open.iter().all(|level| level.guard || level.platform);
                    let here = match platform::platform_in(&regions, start) {
                        Platform::Windows if only_platform => Platform::Windows,
                        Platform::NonWindows => Platform::NonWindows,
                        _ => Platform::Unknown,
                    };
                    let entry = scan.platform_macros.entry(name.to_string()).or_insert(here);
                    if *entry != here {
                        *entry = Platform::Unknown;
                    }
                }
            }
        }
        scan.platform_macros.retain(|_, p| *p != Platform::Unknown);
        for (at, statement) in typedef_statements(&code) {
            if for_windows(at) {
                if let Some((alias, ty)) = parse_typedef(&statement) {
                    scan.typedefs.insert(alias, ty);
                }
            }
        }
        scan
    }

    /// Only the includes of `text`: what the index needs of a source file, whose own
    /// definitions its facts read when it is linted (no other file includes it).
    pub fn includes_of(text: &[u8]) -> FileScan {
        let mut scan = FileScan::default();
        for (start, line) in directive_lines(text) {
            let directive = line.trim_start().trim_start_matches('#').trim_start();
            if directive.starts_with("include") {
                scan.add_directive(text, start, directive, true);
            }
        }
        scan
    }

    fn add_directive(&mut self, text: &[u8], start: usize, directive: &str, for_windows: bool) {
        if let Some(rest) = directive.strip_prefix("include") {
            // The path was blanked with the strings: read it from the original text.
            let offset = start + directive_offset(text, start, "include");
            let rest_of_file = &text[offset.min(text.len())..];
            let line_end = memchr::memchr(b'\n', rest_of_file).unwrap_or(rest_of_file.len());
            let original = String::from_utf8_lossy(&rest_of_file[..line_end]);
            let original = original.trim_start();
            let (open, close) = match original.chars().next() {
                Some('"') => ('"', '"'),
                Some('<') => ('<', '>'),
                _ => return,
            };
            let _ = rest;
            if let Some(end) = original[1..].find(close) {
                self.includes.push(Include {
                    header: original[1..1 + end].trim().to_string(),
                    quoted: open == '"',
                    for_windows: false,
                });
            }
            return;
        }
        let Some(rest) = directive.strip_prefix("define") else {
            return;
        };
        if !rest.starts_with(char::is_whitespace) || !for_windows {
            return;
        }
        let rest = rest.trim_start();
        let name_len = rest
            .bytes()
            .take_while(|b| crate::lang::is_ident_byte(*b))
            .count();
        if name_len == 0 {
            return;
        }
        let name = &rest[..name_len];
        let after = &rest[name_len..];
        // A function-like macro has its `(` right after the name.
        let (function_like, value) = match after.strip_prefix('(') {
            Some(params) => match params.find(')') {
                Some(end) => (true, params[end + 1..].trim()),
                None => return,
            },
            None => (false, after.trim()),
        };
        if let Some(target) = crate::facts::rename_target(value, function_like) {
            self.renames.insert(name.to_string(), target.to_string());
        }
    }
}

/// The name a `#define` directive (without its `#`) defines.
fn defined_name(directive: &str) -> Option<&str> {
    let rest = directive.strip_prefix("define")?;
    if !rest.starts_with(char::is_whitespace) {
        return None;
    }
    let rest = rest.trim_start();
    let len = rest
        .bytes()
        .take_while(|b| crate::lang::is_ident_byte(*b))
        .count();
    (len > 0).then(|| &rest[..len])
}

/// Where the word after `#` of the directive line at `start` ends (`include` in
/// `#  include "x.h"`), relative to `start`.
fn directive_offset(text: &[u8], start: usize, word: &str) -> usize {
    let line = &text[start..];
    let hash = line.iter().position(|&b| b == b'#').unwrap_or(0);
    let after = &line[hash + 1..];
    let ws = after.iter().take_while(|b| b.is_ascii_whitespace()).count();
    hash + 1 + ws + word.len()
}

/// The text with comments replaced by spaces and the contents of string and character
/// literals by `_`, byte for byte (offsets and newlines stay), so that a scan for directives
/// and typedefs never reads one inside a comment or a string.
pub fn blank_comments_and_strings(text: &[u8]) -> Vec<u8> {
    let mut out = text.to_vec();
    let mut i = 0;
    while i < out.len() {
        match (out[i], out.get(i + 1).copied()) {
            (b'/', Some(b'/')) => {
                while i < out.len() && out[i] != b'\n' {
                    // A line comment continued by a backslash goes on.
                    if out[i] == b'\\' && out.get(i + 1) == Some(&b'\n') {
                        out[i] = b' ';
                        i += 2;
                        continue;
                    }
                    out[i] = b' ';
                    i += 1;
                }
            }
            (b'/', Some(b'*')) => {
                let end = out[i + 2..]
                    .windows(2)
                    .position(|w| w == b"*/")
                    .map_or(out.len(), |p| i + 2 + p + 2);
                for b in &mut out[i..end] {
                    if *b != b'\n' {
                        *b = b' ';
                    }
                }
                i = end;
            }
            (quote @ (b'"' | b'\''), _) => {
                i += 1;
                while i < out.len() && out[i] != quote && out[i] != b'\n' {
                    if out[i] == b'\\' && i + 1 < out.len() {
                        out[i] = b'_';
                        i += 1;
                    }
                    if out[i] != b'\n' {
                        out[i] = b'_';
                    }
                    i += 1;
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    out
}

/// The preprocessor directives of `text`, each as its logical line (backslash-newline joins
/// physical lines) with the offset where it starts; other lines are skipped without copying.
fn directive_lines(text: &[u8]) -> impl Iterator<Item = (usize, String)> + '_ {
    let mut pos = 0;
    std::iter::from_fn(move || {
        while pos < text.len() {
            let start = pos;
            let end = memchr::memchr(b'\n', &text[pos..]).map_or(text.len(), |i| pos + i);
            let first = text[pos..end].iter().position(|b| !b.is_ascii_whitespace());
            if first.is_none_or(|f| text[pos + f] != b'#') {
                // A line continued by a backslash continues a directive only if it began one.
                pos = end + 1;
                continue;
            }
            let mut line = String::new();
            let mut from = pos;
            loop {
                let end = memchr::memchr(b'\n', &text[from..]).map_or(text.len(), |i| from + i);
                let physical = String::from_utf8_lossy(&text[from..end]);
                let physical = physical.trim_end_matches('\r');
                from = end + 1;
                match physical.strip_suffix('\\') {
                    Some(joined) if end < text.len() => {
                        line.push_str(joined);
                        line.push(' ');
                    }
                    _ => {
                        line.push_str(physical);
                        break;
                    }
                }
            }
            pos = from;
            return Some((start, line));
        }
        None
    })
}

/// Every `typedef ...;` statement outside a brace block of the text (file level, or within
/// `extern "C" { }`), with where it starts; preprocessor lines are not statements.
fn typedef_statements(code: &[u8]) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(found) = memchr::memmem::find(&code[from..], b"typedef") {
        let at = from + found;
        from = at + 7;
        let before_ok = at == 0 || !crate::lang::is_ident_byte(code[at - 1]);
        let after_ok = code
            .get(at + 7)
            .is_none_or(|b| !crate::lang::is_ident_byte(*b));
        if !before_ok || !after_ok {
            continue;
        }
        let Some(len) = code[at..].iter().position(|&b| b == b';') else {
            break;
        };
        // Long statements are struct bodies or function types, not aliases.
        if len > 256 {
            continue;
        }
        let statement = String::from_utf8_lossy(&code[at + 7..at + len]).into_owned();
        out.push((at, statement));
    }
    out
}

/// `typedef SOCKET sock_t` -> (`sock_t`, `SOCKET`); `None` for pointers, function types,
/// arrays, struct bodies and anything with more than one declarator.
fn parse_typedef(statement: &str) -> Option<(String, String)> {
    if statement.contains(['{', '}', '(', ')', '[', '*', '&', ',', '#', '<']) {
        return None;
    }
    let words: Vec<&str> = statement.split_whitespace().collect();
    let (alias, ty) = words.split_last()?;
    let is_ident = |w: &str| {
        !w.is_empty()
            && w.bytes().all(crate::lang::is_ident_byte)
            && !w.as_bytes()[0].is_ascii_digit()
    };
    if ty.is_empty() || !is_ident(alias) || !ty.iter().all(|w| is_ident(w) || w.contains("::")) {
        return None;
    }
    Some((alias.to_string(), ty.join(" ")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan(text: &str) -> FileScan {
        FileScan::of(text.as_bytes())
    }

    #[test]
    fn includes_quoted_and_angled() {
        let s = scan("#include \"net/compat.h\"\n#  include <winsock2.h>\n// #include \"no.h\"\n");
        assert_eq!(
            s.includes,
            vec![
                Include {
                    header: "net/compat.h".into(),
                    quoted: true,
                    for_windows: true
                },
                Include {
                    header: "winsock2.h".into(),
                    quoted: false,
                    for_windows: true
                }
            ]
        );
    }

    #[test]
    fn renames_as_the_windows_build_sees_them() {
        let s = scan(
            "#ifdef _WIN32\n#define sclose(x) closesocket(x)\n#define swrite(s, b, n) \\\n    send(s, b, n, 0)\n\
             #else\n#define sclose(x) close(x)\n#endif\n#define LOG(x) printf(\"%d\", x); fflush(stdout)\n\
             #define ERRNO WSAGetLastError()\n",
        );
        assert_eq!(
            s.renames.get("sclose").map(String::as_str),
            Some("closesocket")
        );
        assert_eq!(s.renames.get("swrite").map(String::as_str), Some("send"));
        assert!(!s.renames.contains_key("LOG"), "{:?}", s.renames);
        // An object-like macro renames only to a name (`errors` reads `ERRNO` on its own).
        assert!(!s.renames.contains_key("ERRNO"), "{:?}", s.renames);
    }

    #[test]
    fn typedefs_plain_aliases_only() {
        let s = scan(
            "typedef SOCKET sock_t;\n#ifndef _WIN32\ntypedef int fd_t;\n#else\ntypedef SOCKET fd_t;\n#endif\n\
             typedef struct { SOCKET s; } conn_t;\ntypedef int (*cb_t)(SOCKET);\ntypedef SOCKET *psock;\n\
             /* typedef int hidden; */\ntypedef unsigned long long u64_t;\n",
        );
        assert_eq!(s.typedefs.get("sock_t").map(String::as_str), Some("SOCKET"));
        assert_eq!(s.typedefs.get("fd_t").map(String::as_str), Some("SOCKET"));
        assert_eq!(
            s.typedefs.get("u64_t").map(String::as_str),
            Some("unsigned long long")
        );
        for absent in ["conn_t", "cb_t", "psock", "hidden"] {
            assert!(
                !s.typedefs.contains_key(absent),
                "{absent}: {:?}",
                s.typedefs
            );
        }
    }

    #[test]
    fn the_project_s_own_platform_macros() {
        let s = scan(
            "#ifndef _WIN32\n#define MHD_POSIX_SOCKETS 1\n#define BOTH 1\n#else\n#define USE_WINSOCK\n#define BOTH 2\n#endif\n\
             #ifdef USE_WATT32\n#define W 1\n#elif defined(_WIN32)\n#define USE_WINSOCK2 2\n\
             #if WINAPI_FAMILY_PARTITION(WINAPI_PARTITION_APP)\n#define CURL_WINDOWS_UWP\n#endif\n#endif\n\
             #define EVERYWHERE 1\n#ifdef HAVE_CONFIG\n#define MAYBE 1\n#endif\n",
        );
        let mut found: Vec<(&str, Platform)> = s
            .platform_macros
            .iter()
            .map(|(k, v)| (k.as_str(), *v))
            .collect();
        found.sort_by_key(|f| f.0);
        assert_eq!(
            found,
            vec![
                ("MHD_POSIX_SOCKETS", Platform::NonWindows),
                ("USE_WINSOCK", Platform::Windows),
                ("USE_WINSOCK2", Platform::Windows)
            ]
        );
    }

    #[test]
    fn a_source_file_gives_its_includes_only() {
        let s = FileScan::includes_of(b"#include \"net.h\"\n#define sclose closesocket\nint x;\n");
        assert_eq!(s.includes.len(), 1);
        assert!(s.renames.is_empty());
    }

    #[test]
    fn strings_and_comments_hide_directives() {
        let s = scan("const char *x = \"#define close closesocket\";\n/*\n#define a b\n*/\n");
        assert!(s.renames.is_empty(), "{:?}", s.renames);
    }

    #[test]
    fn binary_and_unterminated_input_do_not_panic() {
        for text in [
            &b"#define"[..],
            b"#define x(",
            b"\"unterminated",
            b"/* open",
            b"typedef",
            b"#include \"",
            b"\xff\xfe\x00#\x00d",
            b"\\",
        ] {
            let _ = FileScan::of(text);
        }
    }
}
