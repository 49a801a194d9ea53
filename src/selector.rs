//! Rule selectors as users write them in `--select`, `--ignore`, `select`, `ignore` and
//! `[severity]`: checked against the rules that exist, so a typo is an error with a suggestion
//! rather than a run that checks nothing.
//!
//! A selector is `ALL`, a rule's code (`WSA101`), a prefix of codes (`WSA1`, `WSA`, `LINT`,
//! `ACME`), or a rule's name (`socket-leak`), all case-insensitive. A severity key names one
//! rule: a code or a name.

use crate::rules::{Rule, RuleMeta};
use crate::{registry, unused};

/// Every rule a selector can name: the built-in rules, the suppression pseudo-rules (LINT001,
/// LINT002) and the custom rules.
pub fn catalog(custom: &[&'static dyn Rule]) -> Vec<&'static RuleMeta> {
    registry::RULES
        .iter()
        .map(|r| r.meta())
        .chain([&unused::UNUSED, &unused::UNKNOWN])
        .chain(custom.iter().map(|r| r.meta()))
        .collect()
}

/// The selector as the run uses it: `ALL`, or an upper-case code or prefix of a known rule (a
/// name becomes its rule's code). The error says what is wrong and suggests a fix.
pub fn resolve(selector: &str, rules: &[&RuleMeta]) -> Result<String, String> {
    let s = selector.trim();
    if s.eq_ignore_ascii_case("ALL") {
        return Ok("ALL".to_string());
    }
    if let Some(m) = by_name(s, rules) {
        return Ok(m.code.to_string());
    }
    let upper = s.to_ascii_uppercase();
    let letters = letters_of(&upper);
    if !letters.is_empty()
        && rules.iter().any(|m| {
            letters_of(m.code).eq_ignore_ascii_case(letters) && starts_with(m.code, &upper)
        })
    {
        return Ok(upper);
    }
    Err(unknown(s, "a rule code, prefix or name", rules))
}

/// The code of the one rule a severity key names (a code or a name).
pub fn resolve_code(key: &str, rules: &[&RuleMeta]) -> Result<String, String> {
    let k = key.trim();
    match find(k, rules) {
        Some(m) => Ok(m.code.to_string()),
        None => Err(unknown(k, "a rule code or name", rules)),
    }
}

/// The rule named `name` (case-insensitive; `_` for `-` is accepted).
pub fn by_name<'a>(name: &str, rules: &[&'a RuleMeta]) -> Option<&'a RuleMeta> {
    let name = name.replace('_', "-");
    rules
        .iter()
        .copied()
        .find(|m| m.name.eq_ignore_ascii_case(&name))
}

/// The rule a code or a name stands for.
pub fn find<'a>(code_or_name: &str, rules: &[&'a RuleMeta]) -> Option<&'a RuleMeta> {
    rules
        .iter()
        .copied()
        .find(|m| m.code.eq_ignore_ascii_case(code_or_name))
        .or_else(|| by_name(code_or_name, rules))
}

/// "`X` is not a rule code or name; did you mean `WSA101` (socket-leak)?"
pub fn unknown(input: &str, what: &str, rules: &[&RuleMeta]) -> String {
    let shown = crate::source::sanitize_for_terminal(input);
    let mut text = format!("`{shown}` is not {what}");
    if let Some(star) = input.find('*') {
        // A glob: the part before it may be a prefix.
        let head = &input[..star];
        text.push_str(" (selectors are prefixes, not globs)");
        if let Ok(prefix) = resolve(head, rules) {
            text.push_str(&format!("; did you mean `{prefix}`?"));
        }
        return text;
    }
    if let Some(hint) = did_you_mean(input, rules) {
        text.push_str(&format!("; did you mean {hint}?"));
    }
    text
}

/// The code or name closest to `input`, shown with the other half: "`WSA101` (socket-leak)" or
/// "`socket-leak` (WSA101)". None when nothing is close.
pub fn did_you_mean(input: &str, rules: &[&RuleMeta]) -> Option<String> {
    const MIN_SIMILARITY: f64 = 0.7;
    let input = input.to_ascii_lowercase().replace('_', "-");
    let mut best: Option<(f64, String)> = None;
    for m in rules {
        for (candidate, shown) in [
            (m.code, format!("`{}` ({})", m.code, m.name)),
            (m.name, format!("`{}` ({})", m.name, m.code)),
        ] {
            let score =
                strsim::normalized_damerau_levenshtein(&input, &candidate.to_ascii_lowercase());
            if score >= MIN_SIMILARITY && best.as_ref().is_none_or(|(b, _)| score > *b) {
                best = Some((score, shown));
            }
        }
    }
    best.map(|(_, shown)| shown)
}

fn letters_of(code: &str) -> &str {
    let n = code.bytes().take_while(u8::is_ascii_alphabetic).count();
    &code[..n]
}

fn starts_with(code: &str, upper_prefix: &str) -> bool {
    code.to_ascii_uppercase().starts_with(upper_prefix)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all() -> Vec<&'static RuleMeta> {
        catalog(&[])
    }

    #[test]
    fn codes_prefixes_names_and_all_resolve() {
        let rules = all();
        assert_eq!(resolve("all", &rules).unwrap(), "ALL");
        assert_eq!(resolve("wsa101", &rules).unwrap(), "WSA101");
        assert_eq!(resolve("WSA1", &rules).unwrap(), "WSA1");
        assert_eq!(resolve("WSA", &rules).unwrap(), "WSA");
        assert_eq!(resolve("LINT001", &rules).unwrap(), "LINT001");
        assert_eq!(resolve("LINT", &rules).unwrap(), "LINT");
        assert_eq!(resolve("socket-leak", &rules).unwrap(), "WSA101");
        assert_eq!(resolve("Socket_Leak", &rules).unwrap(), "WSA101");
        assert_eq!(resolve_code("socket-leak", &rules).unwrap(), "WSA101");
        assert_eq!(resolve_code("wsa101", &rules).unwrap(), "WSA101");
    }

    #[test]
    fn unknown_selectors_are_errors_with_a_suggestion() {
        let rules = all();
        for bad in ["WSA999", "WS", "WSA9", "W", "ACME", "", "socket", "101"] {
            assert!(resolve(bad, &rules).is_err(), "{bad}");
        }
        assert!(resolve_code("WSA1", &rules).is_err());
        let e = resolve("WSA1O1", &rules).unwrap_err();
        assert_eq!(
            e,
            "`WSA1O1` is not a rule code, prefix or name; did you mean `WSA101` (socket-leak)?"
        );
        let e = resolve("socket-leek", &rules).unwrap_err();
        assert!(e.ends_with("did you mean `socket-leak` (WSA101)?"), "{e}");
        let e = resolve("WSA*", &rules).unwrap_err();
        assert_eq!(
            e,
            "`WSA*` is not a rule code, prefix or name (selectors are prefixes, not globs); did you mean `WSA`?"
        );
        let e = resolve("zzzzzz", &rules).unwrap_err();
        assert!(!e.contains("did you mean"), "{e}");
    }
}
