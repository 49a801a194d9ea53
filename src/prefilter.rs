//! The literal pre-filter: a file that contains none of the selected rules' needles cannot
//! produce a finding, so it is never decoded further or parsed.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

pub struct Prefilter {
    finder: Option<AhoCorasick>,
}

impl Prefilter {
    /// A filter over `needles` (ASCII case-insensitive). No needles at all means every file
    /// passes (a custom rule without literals could match anything).
    pub fn new<'a>(needles: impl IntoIterator<Item = &'a str>, pass_all: bool) -> Prefilter {
        let mut list: Vec<&str> = needles.into_iter().filter(|n| !n.is_empty()).collect();
        list.sort_unstable();
        list.dedup();
        if pass_all || list.is_empty() {
            return Prefilter { finder: None };
        }
        let finder = AhoCorasickBuilder::new()
            .ascii_case_insensitive(true)
            .match_kind(MatchKind::LeftmostFirst)
            .build(&list)
            .ok();
        Prefilter { finder }
    }

    /// Whether `text` may hold a finding.
    pub fn may_match(&self, text: &[u8]) -> bool {
        match &self.finder {
            Some(f) => f.is_match(text),
            None => true,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn needles_decide() {
        let p = Prefilter::new(["closesocket", "IPHLPAPI"], false);
        assert!(p.may_match(b"x = LoadLibrary(\"iphlpapi.dll\");"));
        assert!(p.may_match(b"closesocket(s);"));
        assert!(!p.may_match(b"int main(void) { return 0; }"));
        assert!(Prefilter::new([], false).may_match(b"anything"));
    }
}
