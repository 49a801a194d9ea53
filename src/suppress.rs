//! Suppression comments, read from the comment nodes the facts walk already collected:
//! `// wsalint-ignore CODES -- reason` (same line), `// wsalint-ignore-next-line CODES`,
//! `// wsalint-ignore-file CODES`, and clang-tidy's `NOLINT(wsalint-CODE)` /
//! `NOLINTNEXTLINE(wsalint-CODE)`. No code means every code.

use std::ops::Range;

use crate::diagnostic::{Finding, Suppression, SuppressionKind};
use crate::registry;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// The line the comment is on.
    Line,
    /// The line after the comment.
    NextLine,
    /// The whole file.
    File,
}

/// One suppression comment of a file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuppressionComment {
    pub scope: Scope,
    /// Codes or prefixes; empty means every code.
    pub codes: Vec<String>,
    pub reason: Option<String>,
    /// The comment's byte range and 1-based first and last lines.
    pub range: Range<usize>,
    pub line: usize,
    pub end_line: usize,
}

impl SuppressionComment {
    fn covers(&self, code: &str, line: usize) -> bool {
        let line_ok = match self.scope {
            Scope::Line => line == self.line,
            Scope::NextLine => line == self.end_line + 1,
            Scope::File => true,
        };
        line_ok && (self.codes.is_empty() || self.codes.iter().any(|c| registry::matches(c, code)))
    }
}

/// Parses the text of one comment (with its `//` or `/* */`).
pub fn parse(comment: &str) -> Option<(Scope, Vec<String>, Option<String>)> {
    let body = comment
        .trim()
        .trim_start_matches("//")
        .trim_start_matches("/*")
        .trim_end_matches("*/")
        .trim();
    if let Some(rest) = body.strip_prefix("wsalint-ignore") {
        let (scope, rest) = if let Some(r) = rest.strip_prefix("-next-line") {
            (Scope::NextLine, r)
        } else if let Some(r) = rest.strip_prefix("-file") {
            (Scope::File, r)
        } else {
            (Scope::Line, rest)
        };
        // `wsalint-ignored` or `wsalint-ignore-foo` is not ours.
        if !(rest.is_empty() || rest.starts_with(char::is_whitespace) || rest.starts_with(':')) {
            return None;
        }
        let rest = rest.trim_start_matches(':');
        let (codes, reason) = match rest.split_once(" -- ") {
            Some((c, r)) => (c, Some(r.trim().to_string()).filter(|r| !r.is_empty())),
            None => match rest.trim().strip_prefix("--") {
                Some(r) => ("", Some(r.trim().to_string()).filter(|r| !r.is_empty())),
                None => (rest, None),
            },
        };
        let codes = codes
            .split([',', ' ', '\t'])
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect();
        return Some((scope, codes, reason));
    }
    // clang-tidy: NOLINT, NOLINT(checks), NOLINTNEXTLINE(checks).
    let idx = body.find("NOLINT")?;
    let rest = &body[idx + "NOLINT".len()..];
    let (scope, rest) = match rest.strip_prefix("NEXTLINE") {
        Some(r) => (Scope::NextLine, r),
        None if rest.starts_with("BEGIN") || rest.starts_with("END") => return None,
        None => (Scope::Line, rest),
    };
    let Some(args) = rest.strip_prefix('(') else {
        // A bare NOLINT silences every check, ours included.
        return Some((scope, Vec::new(), None));
    };
    let args = args.split(')').next().unwrap_or("");
    let mut codes = Vec::new();
    let mut ours = false;
    for check in args.split(',').map(str::trim) {
        if check == "*" || check == "wsalint-*" {
            ours = true;
            codes.clear();
            break;
        }
        if let Some(code) = check.strip_prefix("wsalint-") {
            ours = true;
            codes.push(code.trim_end_matches('*').to_string());
        }
    }
    let reason = rest
        .split_once(')')
        .map(|(_, r)| r.trim().trim_start_matches(':').trim().to_string())
        .filter(|r| !r.is_empty());
    ours.then_some((scope, codes, reason))
}

/// What one comment suppressed: anything at all, and which of its codes did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    pub any: bool,
    /// One entry per code of the comment.
    pub codes: Vec<bool>,
}

/// Marks the findings that a suppression comment covers, preferring a line comment over a
/// file-wide one. Returns, for each comment, what it suppressed.
pub fn apply(findings: &mut [Finding], comments: &[SuppressionComment]) -> Vec<Usage> {
    let mut used: Vec<Usage> = comments
        .iter()
        .map(|c| Usage {
            any: false,
            codes: vec![false; c.codes.len()],
        })
        .collect();
    for f in findings.iter_mut() {
        if f.suppression.is_some() {
            continue;
        }
        let line = f.location.start.line;
        let covering = |file: bool| {
            comments
                .iter()
                .position(|c| (c.scope == Scope::File) == file && c.covers(&f.code, line))
        };
        if let Some(i) = covering(false).or_else(|| covering(true)) {
            used[i].any = true;
            if let Some(k) = comments[i]
                .codes
                .iter()
                .position(|c| registry::matches(c, &f.code))
            {
                used[i].codes[k] = true;
            }
            f.suppression = Some(Suppression {
                kind: SuppressionKind::InSource,
                justification: comments[i].reason.clone(),
            });
        }
    }
    used
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms() {
        assert_eq!(
            parse("// wsalint-ignore WSA001"),
            Some((Scope::Line, vec!["WSA001".into()], None))
        );
        assert_eq!(
            parse("/* wsalint-ignore-next-line WSA001, WSA101 -- cached at startup */"),
            Some((
                Scope::NextLine,
                vec!["WSA001".into(), "WSA101".into()],
                Some("cached at startup".into())
            ))
        );
        assert_eq!(
            parse("// wsalint-ignore-file"),
            Some((Scope::File, vec![], None))
        );
        assert_eq!(
            parse("// NOLINT(wsalint-WSA201)"),
            Some((Scope::Line, vec!["WSA201".into()], None))
        );
        assert_eq!(
            parse("// NOLINTNEXTLINE(bugprone-foo, wsalint-WSA202)"),
            Some((Scope::NextLine, vec!["WSA202".into()], None))
        );
        assert_eq!(parse("// NOLINT(bugprone-foo)"), None);
        assert_eq!(parse("// NOLINT"), Some((Scope::Line, vec![], None)));
        assert_eq!(parse("// wsalint-ignored"), None);
        assert_eq!(parse("// plain comment"), None);
    }
}
