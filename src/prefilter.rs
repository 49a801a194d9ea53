//! The literal pre-filter: a file that cannot produce a finding is never decoded further or
//! parsed. Two questions, both answered on raw bytes at memchr/aho-corasick speed:
//! - does the file hold a needle of a selected rule (`socket`, `closesocket`, `LoadLibrary`...)?
//! - is it Windows code at all: does it name a Windows header, type, macro or Winsock-only call?
//!
//! Every built-in rule is about Winsock, so a built-in needle counts only in a file that also
//! holds a Windows marker: the POSIX files of a portable networking library mention `socket`
//! and `close` everywhere but can hold no Winsock finding. A file may also reach Winsock
//! through a header of its project that includes it (the engine reads the headers a file
//! includes with quotes, next to it: see `includes_winsock`). Needles the user configured (custom
//! rules, resource wrappers, DLL names, suppression comments) count on their own.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Case-sensitive spellings that only Windows code uses.
const MARKERS: &[&str] = &[
    "SOCKET",
    "WSA",
    "_WIN32",
    "WIN32",
    "_WIN64",
    "_MSC_VER",
    "__MINGW32__",
    "__MINGW64__",
    "_WINDOWS",
    "__CYGWIN__",
    "closesocket",
    "ioctlsocket",
    "LoadLibrary",
    "FreeLibrary",
    "DuplicateHandle",
    "HANDLE",
    "DWORD",
    "HMODULE",
    "AF_IPX",
    "NSPROTO_",
];

/// Header and DLL names, matched ASCII case-insensitively (`Winsock2.h`, `WINDOWS.H`).
const MARKERS_ANY_CASE: &[&str] = &[
    "winsock",
    "windows.h",
    "iphlpapi",
    "mswsock",
    "ws2tcpip",
    "ws2_32",
    "ws2def",
    "afxsock",
    "wsipx",
    "wsnwlink",
];

pub struct Prefilter {
    /// Every file passes (a rule without needles could match anything).
    pass_all: bool,
    /// Built-in rules' needles: they count only together with a Windows marker.
    gated: Option<AhoCorasick>,
    markers: AhoCorasick,
    markers_any_case: AhoCorasick,
    /// Needles that count on their own.
    ungated: Option<AhoCorasick>,
}

/// Needles are cut to this many bytes: a file that holds a needle holds its start, so the
/// filter passes the same files or a few more, and a config's 100 KB `dlls` name no longer
/// takes the automaton's build quadratic time (41 s for one repeated letter).
const MAX_NEEDLE: usize = 64;

/// `needle`, cut to at most `MAX_NEEDLE` bytes on a character boundary.
pub fn cut(needle: &str) -> &str {
    let mut end = needle.len().min(MAX_NEEDLE);
    while !needle.is_char_boundary(end) {
        end -= 1;
    }
    &needle[..end]
}

fn finder(list: &[&str], any_case: bool) -> Option<AhoCorasick> {
    let mut list: Vec<&str> = list
        .iter()
        .map(|n| cut(n))
        .filter(|n| !n.is_empty())
        .collect();
    list.sort_unstable();
    list.dedup();
    if list.is_empty() {
        return None;
    }
    AhoCorasickBuilder::new()
        .ascii_case_insensitive(any_case)
        .match_kind(MatchKind::LeftmostFirst)
        .build(&list)
        .ok()
}

impl Prefilter {
    /// A filter over built-in rules' `gated` needles (matched ASCII case-insensitively, and
    /// only in Windows code) and `ungated` ones (on their own).
    pub fn new(gated: &[&str], ungated: &[&str], pass_all: bool) -> Prefilter {
        Prefilter {
            pass_all,
            gated: finder(gated, true),
            // Literal lists: building cannot fail.
            markers: finder(MARKERS, false).expect("markers"),
            markers_any_case: finder(MARKERS_ANY_CASE, true).expect("markers"),
            ungated: finder(ungated, true),
        }
    }

    /// Whether the text names anything only Windows code names.
    pub fn is_windows_code(&self, text: &[u8]) -> bool {
        self.markers.is_match(text) || self.markers_any_case.is_match(text)
    }

    /// Whether `text` may hold a finding.
    pub fn may_match(&self, text: &[u8]) -> bool {
        self.verdict(text) == Verdict::Pass
    }

    /// What the filter makes of `text`, in one scan per automaton.
    pub fn verdict(&self, text: &[u8]) -> Verdict {
        if self.pass_all || self.ungated.as_ref().is_some_and(|f| f.is_match(text)) {
            Verdict::Pass
        } else if !self.gated.as_ref().is_some_and(|f| f.is_match(text)) {
            Verdict::Skip
        } else if self.is_windows_code(text) {
            Verdict::Pass
        } else {
            Verdict::NoMarker
        }
    }
}

/// What the pre-filter makes of a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// It may hold a finding.
    Pass,
    /// It holds a built-in needle but names nothing Windows itself: it may still be Windows
    /// code through a project header (see `includes_winsock`).
    NoMarker,
    /// It cannot hold a finding.
    Skip,
}

/// The headers a file includes with quotes (`#include "compat.h"`): the project's own.
pub fn quoted_includes(text: &[u8]) -> Vec<&str> {
    text.split(|&b| b == b'\n')
        .filter_map(|line| {
            let rest = line.trim_ascii_start().strip_prefix(b"#")?;
            let rest = rest.trim_ascii_start().strip_prefix(b"include")?;
            let rest = rest.trim_ascii_start().strip_prefix(b"\"")?;
            let end = memchr::memchr(b'"', rest)?;
            std::str::from_utf8(&rest[..end]).ok()
        })
        .collect()
}

/// Whether a header's text includes a Winsock header itself (`#include <winsock2.h>`, under
/// `#ifdef _WIN32` or not): a file that includes it is compiled with Winsock on Windows (the
/// portable wrapper `compat.h` of a small project). `windows.h` alone does not count: half of
/// every Windows program includes it for other reasons.
pub fn includes_winsock(text: &[u8]) -> bool {
    text.split(|&b| b == b'\n').any(|line| {
        let Some(rest) = line.trim_ascii_start().strip_prefix(b"#") else {
            return false;
        };
        let Some(rest) = rest.trim_ascii_start().strip_prefix(b"include") else {
            return false;
        };
        let rest = rest.trim_ascii();
        let name = rest
            .strip_prefix(b"<")
            .or_else(|| rest.strip_prefix(b"\""))
            .and_then(|r| r.split(|&b| b == b'>' || b == b'"').next())
            .unwrap_or_default();
        crate::facts::platform::is_winsock_header(&String::from_utf8_lossy(name))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_needles_count_in_windows_code() {
        let p = Prefilter::new(&["closesocket", "socket", "close"], &[], false);
        assert!(p.may_match(b"#include <Winsock2.h>\nint s = socket(2, 1, 0);"));
        assert!(p.may_match(b"SOCKET s = socket(2, 1, 0); close(s);"));
        assert!(p.may_match(b"#ifdef _WIN32\n#endif\nclose(fd);"));
        // A POSIX file of a portable library: needles, but nothing Windows.
        assert!(!p.may_match(b"#include <sys/socket.h>\nint fd = socket(2, 1, 0); close(fd);"));
        assert!(!p.may_match(b"int main(void) { return 0; }"));
    }

    #[test]
    fn project_headers_that_include_winsock() {
        let p = Prefilter::new(&["getaddrinfo"], &[], false);
        let file = b"#include \"compat.h\"\n #  include \"net/util.h\" // helpers\n\
                     #include <stdio.h>\nint f(void) { return getaddrinfo(0, 0, 0, 0); }";
        assert_eq!(p.verdict(file), Verdict::NoMarker);
        assert_eq!(quoted_includes(file), ["compat.h", "net/util.h"]);
        assert!(includes_winsock(
            b"#ifdef _WIN32\n#  include <WinSock2.h>\n#endif\n"
        ));
        assert!(!includes_winsock(
            b"#include <windows.h>\n#include <sys/socket.h>\n"
        ));
        assert_eq!(
            p.verdict(b"#include <winsock2.h>\ngetaddrinfo();"),
            Verdict::Pass
        );
        assert_eq!(p.verdict(b"int main(void) { return 0; }"), Verdict::Skip);
    }

    #[test]
    fn configured_needles_count_alone() {
        let p = Prefilter::new(&["socket"], &["sclose", "iphlpapi"], false);
        assert!(p.may_match(b"void f(int s) { sclose(s); }"));
        assert!(!p.may_match(b"void f(int s) { socket(s); }"));
        assert!(Prefilter::new(&[], &[], true).may_match(b"anything"));
        assert!(!Prefilter::new(&[], &[], false).may_match(b"SOCKET"));
    }
}
