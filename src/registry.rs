//! Every built-in rule, sorted by code, and selection by code or prefix.

use crate::config::Config;
use crate::rules::{self, Rule};

/// The built-in rules, sorted by code: the list of `rules!` in `src/rules/mod.rs`.
pub static RULES: &[&dyn Rule] = rules::BUILT_IN;

/// The rule with this exact code (case-insensitive).
pub fn find(code: &str) -> Option<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .find(|r| r.meta().code.eq_ignore_ascii_case(code))
}

/// Whether `code` is matched by a selector: an exact code or a prefix (`WSA1`, `WSA`), or `ALL`.
pub fn matches(selector: &str, code: &str) -> bool {
    selector.eq_ignore_ascii_case("ALL")
        || code
            .to_ascii_uppercase()
            .starts_with(&selector.to_ascii_uppercase())
}

/// Whether a rule runs under `select` / `ignore` (the longer, more specific selector wins, as in
/// ruff: `select = ["WSA"]`, `ignore = ["WSA2"]`, `select = ["WSA201"]` runs WSA201).
pub fn is_selected(code: &str, select: &[String], ignore: &[String]) -> bool {
    let best = |list: &[String]| {
        list.iter()
            .filter(|s| matches(s, code))
            .map(|s| {
                if s.eq_ignore_ascii_case("ALL") {
                    0
                } else {
                    s.len()
                }
            })
            .max()
    };
    let selected = if select.is_empty() {
        Some(0)
    } else {
        best(select)
    };
    match (selected, best(ignore)) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(s), Some(i)) => s > i,
    }
}

/// The built-in rules the config selects.
pub fn selected(config: &Config) -> Vec<&'static dyn Rule> {
    RULES
        .iter()
        .copied()
        .filter(|r| is_selected(r.meta().code, &config.select, &config.ignore))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selection_by_prefix() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(is_selected("WSA201", &[], &[]));
        assert!(is_selected("WSA201", &s(&["WSA2"]), &[]));
        assert!(!is_selected("WSA101", &s(&["WSA2"]), &[]));
        assert!(!is_selected("WSA201", &[], &s(&["WSA2"])));
        assert!(is_selected("WSA201", &s(&["WSA201"]), &s(&["WSA2"])));
        assert!(!is_selected("WSA202", &s(&["WSA201"]), &s(&["WSA2"])));
        assert!(is_selected("wsa001", &s(&["ALL"]), &[]));
    }
}
