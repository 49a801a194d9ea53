//! Diagnostics about suppression comments themselves (`--report-unused-suppressions`), as two
//! pseudo-rules outside the `WSA` catalog:
//! - `LINT001 unused-suppression`: a comment, or one code of it, that suppresses nothing;
//! - `LINT002 unknown-suppression-code`: a comment that names a code no rule has.
//!
//! Both carry a safe fix that removes the comment (the whole line when it holds nothing else),
//! or only the dead code from the comment's list. A comment is only called unused when every
//! rule its codes name ran: under `--select WSA0`, `// wsalint-ignore WSA201` may well be needed,
//! so it is left alone. clang-tidy's bare `NOLINT` and `NOLINT(*)` belong to clang-tidy too and
//! are never reported; in `NOLINT(bugprone-x, wsalint-WSA001)` only the `wsalint-` entry goes.

use std::ops::Range;
use std::sync::Arc;

use crate::diagnostic::{Diagnostic, Edit, Finding, Fix, Severity};
use crate::registry;
use crate::report::{Report, SuppressionUse};
use crate::rules::{FixKind, RuleMeta};
use crate::source::Source;

pub static UNUSED: RuleMeta = RuleMeta {
    code: "LINT001",
    name: "unused-suppression",
    severity: Severity::Warning,
    fix: FixKind::Safe,
    source: "",
    summary: "A suppression comment, or a code in it, that suppresses nothing",
    docs: UNUSED_DOCS,
    queries: &[],
    needles: &[],
    tags: &["maintainability"],
    precision: "very-high",
    security_severity: None,
    flow: false,
};

pub static UNKNOWN: RuleMeta = RuleMeta {
    code: "LINT002",
    name: "unknown-suppression-code",
    severity: Severity::Warning,
    fix: FixKind::Safe,
    source: "",
    summary: "A suppression comment names a code that no rule has",
    docs: UNKNOWN_DOCS,
    queries: &[],
    needles: &[],
    tags: &["maintainability"],
    precision: "very-high",
    security_severity: None,
    flow: false,
};

const UNUSED_DOCS: &str = r#"## What it does
Reported with `--report-unused-suppressions` (or `report_unused_suppressions = true` in
`wsalint.toml`): a `wsalint-ignore` or `NOLINT(wsalint-...)` comment that suppresses no finding,
or a code in its list that suppresses none. It is not part of the `WSA` catalog.

## Why is this bad?
A stale suppression hides the next real finding on that line, and tells readers that a problem
exists where there is none.

## Example
```c
closesocket(s); // wsalint-ignore WSA101 -- fixed long ago
```

## Use instead
```c
closesocket(s);
```

## Fix safety
Safe: the fix removes only the comment (the whole line when it holds nothing else), or only the
dead code from the comment's list. A comment is reported only when every rule it names ran, so
`--select` never makes a needed suppression look unused; `NOLINT` without `wsalint-` belongs to
clang-tidy and is never touched.

## References
- ruff's `RUF100` and clang-tidy's `NOLINT` documentation.
"#;

const UNKNOWN_DOCS: &str = r#"## What it does
Reported with `--report-unused-suppressions`: a suppression comment naming a code or prefix that
matches no built-in or custom rule (`// wsalint-ignore WSA999`).

## Why is this bad?
A typo in a suppression silences nothing, and the finding it was meant for still shows - or
worse, a later rule with that code is silenced before anyone sees it.

## Example
```c
closesocket(s); // wsalint-ignore WSA10l
```

## Use instead
```c
closesocket(s); // wsalint-ignore WSA101
```

## Fix safety
Safe: the fix removes the unknown code from the list, or the comment when it was the only one.

## References
- `wsalint rules` lists every code.
"#;

/// The pseudo-rule with this code.
pub fn find(code: &str) -> Option<&'static RuleMeta> {
    [&UNUSED, &UNKNOWN]
        .into_iter()
        .find(|m| m.code.eq_ignore_ascii_case(code))
}

/// Which rules exist and which ran, to tell an unused suppression from one for a rule that was
/// not selected.
pub struct RuleSet<'a> {
    /// Every known code: built-in and custom.
    pub known: &'a [&'a str],
    /// The codes of the rules that ran.
    pub active: &'a [&'a str],
}

impl RuleSet<'_> {
    fn matching<'b>(list: &'b [&'b str], selector: &'b str) -> impl Iterator<Item = &'b str> + 'b {
        list.iter()
            .copied()
            .filter(move |c| registry::matches(selector, c))
    }

    fn is_known(&self, selector: &str) -> bool {
        Self::matching(self.known, selector).next().is_some()
            || find(selector).is_some()
            || registry::matches(selector, "LINT001")
    }

    /// Every rule the selector names ran, so finding nothing is conclusive.
    fn all_ran(&self, selector: &str) -> bool {
        Self::matching(self.known, selector).all(|c| self.active.contains(&c))
    }
}

/// Appends LINT001 and LINT002 findings for the report's suppression comments (when those
/// codes are selected).
pub fn report(report: &mut Report, rules: &RuleSet, select: &[String], ignore: &[String]) {
    let on = |code: &str| {
        !ignore.iter().any(|i| registry::matches(i, code)) || {
            // An exact `select` of the code wins over an `ignore` of a prefix, as for rules.
            select.iter().any(|s| s.eq_ignore_ascii_case(code))
        }
    };
    let mut found = Vec::new();
    for s in &report.suppressions {
        let text = s.source.slice_str(s.comment.range.clone());
        let nolint = !text.contains("wsalint-ignore");
        if on(UNKNOWN.code) {
            for code in &s.comment.codes {
                if !rules.is_known(code) {
                    found.push(finding(
                        s,
                        &UNKNOWN,
                        format!("`{code}` is not a rule code"),
                        &[code.as_str()],
                        nolint,
                    ));
                }
            }
        }
        if !on(UNUSED.code) {
            continue;
        }
        if s.comment.codes.is_empty() {
            // A bare NOLINT is clang-tidy's as much as ours.
            let all_ran = rules.known.iter().all(|c| rules.active.contains(c));
            if !s.usage.any && !nolint && all_ran {
                found.push(finding(
                    s,
                    &UNUSED,
                    "this suppression suppresses nothing".into(),
                    &[],
                    nolint,
                ));
            }
            continue;
        }
        let dead: Vec<&str> = s
            .comment
            .codes
            .iter()
            .zip(&s.usage.codes)
            .filter(|(c, used)| !**used && rules.is_known(c) && rules.all_ran(c))
            .map(|(c, _)| c.as_str())
            .collect();
        let unknown = s
            .comment
            .codes
            .iter()
            .filter(|c| !rules.is_known(c))
            .count();
        if dead.is_empty() {
            continue;
        }
        let message = if dead.len() + unknown == s.comment.codes.len() && !s.usage.any {
            format!(
                "the suppression of {} suppresses nothing",
                quoted_list(&dead)
            )
        } else {
            format!(
                "{} in this suppression suppresses nothing",
                quoted_list(&dead)
            )
        };
        found.push(finding(s, &UNUSED, message, &dead, nolint));
    }
    report.findings.extend(found);
    report.findings.sort_by(|a, b| {
        (&a.path, a.location.range.start, &a.code).cmp(&(&b.path, b.location.range.start, &b.code))
    });
}

fn quoted_list(codes: &[&str]) -> String {
    codes
        .iter()
        .map(|c| format!("`{c}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A finding on the comment, with a fix that removes `codes` from it (or all of it when no code
/// would be left).
fn finding(
    s: &SuppressionUse,
    meta: &'static RuleMeta,
    message: String,
    codes: &[&str],
    nolint: bool,
) -> Finding {
    let edits = removal(&s.source, &s.comment.range, &s.comment.codes, codes, nolint);
    let title = if edits.whole {
        "remove the suppression comment".to_string()
    } else {
        format!("remove {} from the suppression", quoted_list(codes))
    };
    let diag = Diagnostic {
        code: meta.code.to_string(),
        name: meta.name.to_string(),
        severity: meta.severity,
        range: s.comment.range.clone(),
        message,
        related: Vec::new(),
        fix: Some(Fix::safe(title, edits.edits)),
    };
    Finding::new(diag, s.path.clone(), Arc::clone(&s.source))
}

struct Removal {
    whole: bool,
    edits: Vec<Edit>,
}

/// The edits that take `dead` out of the comment at `range`.
fn removal(
    source: &Source,
    range: &Range<usize>,
    all: &[String],
    dead: &[&str],
    nolint: bool,
) -> Removal {
    let text = &source.text[range.clone()];
    let whole_comment = || Removal {
        whole: true,
        edits: vec![Edit::replace(remove_comment(source, range), "")],
    };
    if nolint {
        let Some(open) = find_bytes(text, b"NOLINT") else {
            return whole_comment();
        };
        let Some(close) = text[open..].iter().position(|&b| b == b')') else {
            return whole_comment();
        };
        let inner_start = match text[open..open + close].iter().position(|&b| b == b'(') {
            Some(p) => open + p + 1,
            None => return whole_comment(),
        };
        let entries = split_list(text, inner_start..open + close);
        let ours = |e: &Range<usize>| text[e.clone()].starts_with(b"wsalint-");
        let is_dead = |e: &Range<usize>| {
            let code = String::from_utf8_lossy(&text[e.start + 8..e.end]);
            let code = code.trim_end_matches('*');
            dead.iter().any(|d| d.eq_ignore_ascii_case(code))
        };
        let keep = entries.iter().filter(|e| !(ours(e) && is_dead(e))).count();
        if keep == 0 {
            // Nothing left in the parentheses: drop `NOLINT(...)`, or the whole comment when it
            // says nothing else.
            let marker = leading_marker(text);
            if text[marker..open].iter().all(u8::is_ascii_whitespace) {
                return whole_comment();
            }
            let mut start = open;
            while start > marker && matches!(text[start - 1], b' ' | b'\t') {
                start -= 1;
            }
            return Removal {
                whole: false,
                edits: vec![Edit::replace(
                    range.start + start..range.start + open + close + 1,
                    "",
                )],
            };
        }
        let doomed: Vec<_> = entries
            .iter()
            .enumerate()
            .filter(|(_, e)| ours(e) && is_dead(e))
            .map(|(i, _)| i)
            .collect();
        return Removal {
            whole: false,
            edits: list_edits(text, range.start, &entries, &doomed),
        };
    }
    if dead.len() >= all.len() {
        return whole_comment();
    }
    // `wsalint-ignore CODES -- reason`: the codes sit between the directive and ` -- `.
    let Some(directive) = find_bytes(text, b"wsalint-ignore") else {
        return whole_comment();
    };
    let mut start = directive + b"wsalint-ignore".len();
    for tail in [&b"-next-line"[..], b"-file"] {
        if text[start..].starts_with(tail) {
            start += tail.len();
        }
    }
    let end = find_bytes(&text[start..], b" -- ")
        .map(|p| start + p)
        .or_else(|| find_bytes(&text[start..], b"*/").map(|p| start + p))
        .unwrap_or(text.len());
    let entries = split_codes(text, start..end);
    let doomed: Vec<_> = entries
        .iter()
        .enumerate()
        .filter(|(_, e)| {
            let code = String::from_utf8_lossy(&text[(*e).clone()]);
            dead.iter().any(|d| d.eq_ignore_ascii_case(&code))
        })
        .map(|(i, _)| i)
        .collect();
    if doomed.len() >= entries.len() {
        return whole_comment();
    }
    Removal {
        whole: false,
        edits: list_edits(text, range.start, &entries, &doomed),
    }
}

/// Edits removing entries `doomed` of a list: each entry with the separator after it, or, for
/// the last entry kept out, the separator before it.
fn list_edits(text: &[u8], base: usize, entries: &[Range<usize>], doomed: &[usize]) -> Vec<Edit> {
    let mut edits: Vec<Range<usize>> = Vec::new();
    for &i in doomed {
        let e = &entries[i];
        let r = if let Some(next) = entries.get(i + 1) {
            e.start..next.start
        } else if i > 0 {
            entries[i - 1].end..e.end
        } else {
            e.clone()
        };
        edits.push(r);
    }
    // Removing the last two entries of `a, b, c` must not overlap: merge touching ranges.
    edits.sort_by_key(|r| r.start);
    let mut merged: Vec<Range<usize>> = Vec::new();
    for r in edits {
        match merged.last_mut() {
            Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
            _ => merged.push(r),
        }
    }
    let _ = text;
    merged
        .into_iter()
        .map(|r| Edit::replace(base + r.start..base + r.end, ""))
        .collect()
}

/// Entries of a comma list in `range` (trimmed).
fn split_list(text: &[u8], range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = range.start;
    for i in range.start..=range.end {
        if i == range.end || text[i] == b',' {
            let mut s = start;
            let mut e = i;
            while s < e && text[s].is_ascii_whitespace() {
                s += 1;
            }
            while e > s && text[e - 1].is_ascii_whitespace() {
                e -= 1;
            }
            if s < e {
                out.push(s..e);
            }
            start = i + 1;
        }
    }
    out
}

/// Codes in `range`, separated by commas or blanks (as `suppress::parse` reads them).
fn split_codes(text: &[u8], range: Range<usize>) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut i = range.start;
    while i < range.end {
        if matches!(text[i], b',' | b' ' | b'\t' | b':') {
            i += 1;
            continue;
        }
        let s = i;
        while i < range.end && !matches!(text[i], b',' | b' ' | b'\t') {
            i += 1;
        }
        out.push(s..i);
    }
    out
}

/// Where the comment's text starts after `//` or `/*`.
fn leading_marker(text: &[u8]) -> usize {
    if text.starts_with(b"//") || text.starts_with(b"/*") {
        2
    } else {
        0
    }
}

fn find_bytes(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// The byte range that removes a comment: its whole line(s) when nothing else is on them,
/// else the comment and the blanks before it.
fn remove_comment(source: &Source, range: &Range<usize>) -> Range<usize> {
    let text = &source.text;
    let first = source.line_index(range.start) + 1;
    let last = source.line_index(range.end.saturating_sub(1).max(range.start)) + 1;
    let line_start = source.line_range(first).start;
    let line_end = source.line_range(last).end;
    let blank = |r: Range<usize>| text[r].iter().all(|b| matches!(b, b' ' | b'\t'));
    if blank(line_start..range.start) && blank(range.end..line_end) {
        // The line ending goes too (CRLF included), unless this is the last line.
        let next = if last < source.line_count() {
            source.line_range(last + 1).start
        } else {
            text.len()
        };
        return line_start..next;
    }
    let mut start = range.start;
    while start > line_start && matches!(text[start - 1], b' ' | b'\t') {
        start -= 1;
    }
    start..range.end
}

#[cfg(test)]
mod tests {
    use super::*;

    fn apply(text: &str, range: Range<usize>, all: &[&str], dead: &[&str]) -> String {
        let source = Source::decode(text.as_bytes()).unwrap();
        let all: Vec<String> = all.iter().map(|s| s.to_string()).collect();
        let nolint = !text[range.clone()].contains("wsalint-ignore");
        let r = removal(&source, &range, &all, dead, nolint);
        let mut out = text.to_string();
        let mut edits = r.edits;
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        for e in edits {
            out.replace_range(e.range, &e.content);
        }
        out
    }

    fn span(text: &str, comment: &str) -> Range<usize> {
        let i = text.find(comment).unwrap();
        i..i + comment.len()
    }

    #[test]
    fn whole_line_or_comment_only() {
        let t = "a();\n    // wsalint-ignore-next-line WSA001\nb();\n";
        let r = span(t, "// wsalint-ignore-next-line WSA001");
        assert_eq!(apply(t, r, &["WSA001"], &["WSA001"]), "a();\nb();\n");
        let t = "b(); /* wsalint-ignore WSA001 */\r\nc();\r\n";
        let r = span(t, "/* wsalint-ignore WSA001 */");
        assert_eq!(apply(t, r, &["WSA001"], &["WSA001"]), "b();\r\nc();\r\n");
        let t = "b(); // wsalint-ignore";
        let r = span(t, "// wsalint-ignore");
        assert_eq!(apply(t, r, &[], &[]), "b();");
    }

    #[test]
    fn one_code_of_a_list() {
        let t = "b(); // wsalint-ignore WSA001, WSA005 -- reason\n";
        let r = span(t, "// wsalint-ignore WSA001, WSA005 -- reason");
        assert_eq!(
            apply(t, r.clone(), &["WSA001", "WSA005"], &["WSA005"]),
            "b(); // wsalint-ignore WSA001 -- reason\n"
        );
        assert_eq!(
            apply(t, r, &["WSA001", "WSA005"], &["WSA001"]),
            "b(); // wsalint-ignore WSA005 -- reason\n"
        );
    }

    #[test]
    fn nolint_keeps_other_checks() {
        let t = "b(); // NOLINT(bugprone-x, wsalint-WSA001)\n";
        let r = span(t, "// NOLINT(bugprone-x, wsalint-WSA001)");
        assert_eq!(
            apply(t, r, &["WSA001"], &["WSA001"]),
            "b(); // NOLINT(bugprone-x)\n"
        );
        let t = "b(); // keep this NOLINT(wsalint-WSA001)\n";
        let r = span(t, "// keep this NOLINT(wsalint-WSA001)");
        assert_eq!(apply(t, r, &["WSA001"], &["WSA001"]), "b(); // keep this\n");
        let t = "b(); // NOLINT(wsalint-WSA001)\n";
        let r = span(t, "// NOLINT(wsalint-WSA001)");
        assert_eq!(apply(t, r, &["WSA001"], &["WSA001"]), "b();\n");
    }
}
