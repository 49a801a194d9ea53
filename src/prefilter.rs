//! The literal pre-filter: a file that cannot produce a finding is never decoded further or
//! parsed. Two questions, both answered on raw bytes at memchr/aho-corasick speed:
//! - does the file hold a needle of a selected rule (`socket`, `closesocket`, `LoadLibrary`...)?
//! - is it Windows code at all: does it name a Windows header, type, macro or Winsock-only call?
//!
//! Every built-in rule is about Winsock, so a built-in needle counts only in a file that also
//! holds a Windows marker: the POSIX files of a portable networking library mention `socket`
//! and `close` everywhere but can hold no Winsock finding. Needles the user configured (custom
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

fn finder(list: &[&str], any_case: bool) -> Option<AhoCorasick> {
    let mut list: Vec<&str> = list.iter().copied().filter(|n| !n.is_empty()).collect();
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
        self.pass_all
            || self.ungated.as_ref().is_some_and(|f| f.is_match(text))
            || (self.gated.as_ref().is_some_and(|f| f.is_match(text)) && self.is_windows_code(text))
    }
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
    fn configured_needles_count_alone() {
        let p = Prefilter::new(&["socket"], &["sclose", "iphlpapi"], false);
        assert!(p.may_match(b"void f(int s) { sclose(s); }"));
        assert!(!p.may_match(b"void f(int s) { socket(s); }"));
        assert!(Prefilter::new(&[], &[], true).may_match(b"anything"));
        assert!(!Prefilter::new(&[], &[], false).may_match(b"SOCKET"));
    }
}
