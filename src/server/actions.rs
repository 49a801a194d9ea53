//! Findings as LSP diagnostics, and the code actions on them: each fix with edits as a
//! `quickfix` (safe fixes preferred), "ignore CODE on this line", and `source.fixAll.wsalint`
//! with every safe fix of the file that does not overlap another.

use std::collections::HashMap;
use std::ops::Range;
use std::str::FromStr;

use lsp_types::{
    CodeAction, CodeActionKind, CodeActionOrCommand, CodeDescription, DiagnosticRelatedInformation,
    DiagnosticSeverity, Location, NumberOrString, TextEdit, Uri, WorkspaceEdit,
};

use crate::diagnostic::{Applicability, Edit, Finding, Severity};
use crate::registry;
use crate::source::Source;
use crate::suppress::{self, Scope};

use super::position::{self, PosEnc};

/// The kind of the fix-all action.
pub const FIX_ALL: &str = "source.fixAll.wsalint";

/// A finding as the client shows it.
pub fn to_lsp(f: &Finding, uri: &Uri, enc: PosEnc) -> lsp_types::Diagnostic {
    let source = &f.source;
    let severity = match f.severity {
        Severity::Error => DiagnosticSeverity::ERROR,
        Severity::Warning => DiagnosticSeverity::WARNING,
        Severity::Note => DiagnosticSeverity::INFORMATION,
    };
    let mut message = f.message.clone();
    if let Some(fix) = f.fix.as_ref().filter(|x| x.edits.is_empty()) {
        message.push_str("\nhelp: ");
        message.push_str(&fix.message);
    }
    let related: Vec<_> = f
        .related
        .iter()
        .map(|r| DiagnosticRelatedInformation {
            location: Location {
                uri: uri.clone(),
                range: position::range(source, r.location.range.clone(), enc),
            },
            message: r.message.clone(),
        })
        .collect();
    let href = registry::find(&f.code).and_then(|r| Uri::from_str(&r.meta().help_uri()).ok());
    lsp_types::Diagnostic {
        range: position::range(source, f.location.range.clone(), enc),
        severity: Some(severity),
        code: Some(NumberOrString::String(f.code.clone())),
        code_description: href.map(|href| CodeDescription { href }),
        source: Some("wsalint".into()),
        message,
        related_information: (!related.is_empty()).then_some(related),
        tags: None,
        data: None,
    }
}

/// Whether a client that asked for `only` these kinds wants an action of `kind`.
fn wanted(only: Option<&[CodeActionKind]>, kind: &str) -> bool {
    let Some(only) = only else {
        return true;
    };
    only.iter().any(|o| {
        let o = o.as_str();
        kind == o || (kind.starts_with(o) && kind.as_bytes().get(o.len()) == Some(&b'.'))
    })
}

/// The code actions for the findings that touch `range` (byte offsets) of the document.
pub fn code_actions(
    findings: &[Finding],
    source: &Source,
    uri: &Uri,
    range: Range<usize>,
    only: Option<&[CodeActionKind]>,
    enc: PosEnc,
) -> Vec<CodeActionOrCommand> {
    let mut out = Vec::new();
    let touching = findings.iter().filter(|f| {
        let r = &f.location.range;
        r.start <= range.end && range.start <= r.end
    });
    let quickfix = wanted(only, CodeActionKind::QUICKFIX.as_str());
    for f in touching {
        if !quickfix {
            break;
        }
        let diag = to_lsp(f, uri, enc);
        if let Some(fix) = f.fix.as_ref().filter(|x| !x.edits.is_empty()) {
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: fix.message.clone(),
                kind: Some(CodeActionKind::QUICKFIX),
                diagnostics: Some(vec![diag.clone()]),
                edit: Some(workspace_edit(uri, source, &fix.edits, enc)),
                is_preferred: Some(fix.applicability == Applicability::Safe),
                ..CodeAction::default()
            }));
        }
        out.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: format!("ignore `{}` on this line", f.code),
            kind: Some(CodeActionKind::QUICKFIX),
            diagnostics: Some(vec![diag]),
            edit: Some(workspace_edit(uri, source, &[ignore_edit(source, f)], enc)),
            is_preferred: Some(false),
            ..CodeAction::default()
        }));
    }
    if wanted(only, FIX_ALL) {
        let edits = fix_all_edits(findings);
        if !edits.is_empty() {
            out.push(CodeActionOrCommand::CodeAction(CodeAction {
                title: "apply every safe wsalint fix".into(),
                kind: Some(CodeActionKind::from(FIX_ALL)),
                edit: Some(workspace_edit(uri, source, &edits, enc)),
                ..CodeAction::default()
            }));
        }
    }
    out
}

fn workspace_edit(uri: &Uri, source: &Source, edits: &[Edit], enc: PosEnc) -> WorkspaceEdit {
    let edits = edits
        .iter()
        .map(|e| TextEdit {
            range: position::range(source, e.range.clone(), enc),
            new_text: e.content.clone(),
        })
        .collect();
    WorkspaceEdit {
        changes: Some(HashMap::from([(uri.clone(), edits)])),
        ..WorkspaceEdit::default()
    }
}

/// The edits of every safe fix, skipping a fix that overlaps one already taken (in order of
/// position), sorted by position.
pub fn fix_all_edits(findings: &[Finding]) -> Vec<Edit> {
    let mut fixes: Vec<&[Edit]> = findings
        .iter()
        .filter_map(|f| f.fix.as_ref())
        .filter(|f| f.applicability == Applicability::Safe && !f.edits.is_empty())
        .map(|f| f.edits.as_slice())
        .collect();
    fixes.sort_by_key(|edits| edits.iter().map(|e| e.range.start).min());
    let mut taken: Vec<Edit> = Vec::new();
    for edits in fixes {
        let clashes = edits.iter().any(|e| {
            taken.iter().any(|t| {
                // Two edits clash when their ranges overlap, or when both insert at one spot.
                (e.range.start < t.range.end && t.range.start < e.range.end)
                    || (e.range.start == t.range.start
                        && (e.range.is_empty() || t.range.is_empty()))
            })
        });
        if !clashes && !taken.iter().any(|t| edits.contains(t)) {
            taken.extend(edits.iter().cloned());
        }
    }
    taken.sort_by_key(|e| (e.range.start, e.range.end));
    taken
}

/// The edit that adds `// wsalint-ignore CODE` at the end of the finding's first line: into an
/// ignore comment that is already there, or as a block comment before a line continuation (a
/// line comment would swallow the next line of the macro).
pub fn ignore_edit(source: &Source, f: &Finding) -> Edit {
    let line = source.line_range(f.location.start.line);
    let text = &source.text[line.clone()];
    let end = line.start
        + text
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .map_or(0, |i| i + 1);
    let content = &source.text[line.start..end];
    if let Some(at) = content.windows(2).rposition(|w| w == b"//") {
        let comment = String::from_utf8_lossy(&content[at..]);
        if let Some((Scope::Line, codes, None)) = suppress::parse(&comment) {
            if !codes.is_empty() && !comment.contains("--") {
                return Edit::replace(end..end, format!(", {}", f.code));
            }
        }
    }
    if content.last() == Some(&b'\\') {
        let at = end - 1;
        let pad = if at > line.start && source.text[at - 1] == b' ' {
            ""
        } else {
            " "
        };
        return Edit::replace(at..at, format!("{pad}/* wsalint-ignore {} */ ", f.code));
    }
    let pad = if end > line.start { " " } else { "" };
    Edit::replace(end..end, format!("{pad}// wsalint-ignore {}", f.code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Diagnostic, Fix};
    use crate::source::Encoding;
    use std::path::PathBuf;
    use std::sync::Arc;

    fn finding(src: &Arc<Source>, needle: &str, fix: Option<Fix>) -> Finding {
        let text = std::str::from_utf8(&src.text).unwrap();
        let at = text.find(needle).unwrap();
        let d = Diagnostic {
            code: "WSA900".into(),
            name: "test".into(),
            severity: Severity::Error,
            range: at..at + needle.len(),
            message: "m".into(),
            related: Vec::new(),
            fix,
        };
        Finding::new(d, PathBuf::from("t.c"), src.clone())
    }

    fn apply(text: &[u8], mut edits: Vec<Edit>) -> String {
        let mut out = text.to_vec();
        edits.sort_by_key(|e| std::cmp::Reverse(e.range.start));
        for e in edits {
            out.splice(e.range, e.content.into_bytes());
        }
        String::from_utf8(out).unwrap()
    }

    fn src(text: &str) -> Arc<Source> {
        Arc::new(Source::from_text(text.as_bytes().to_vec(), Encoding::Utf8))
    }

    #[test]
    fn ignore_comment_respects_line_endings_and_existing_comments() {
        let s = src("int a;\r\n  if (s < 0)  \r\nx;\n");
        let f = finding(&s, "s < 0", None);
        assert_eq!(
            apply(&s.text, vec![ignore_edit(&s, &f)]),
            "int a;\r\n  if (s < 0) // wsalint-ignore WSA900  \r\nx;\n"
        );
        let s = src("if (s < 0) // wsalint-ignore WSA201\n");
        let f = finding(&s, "s < 0", None);
        assert_eq!(
            apply(&s.text, vec![ignore_edit(&s, &f)]),
            "if (s < 0) // wsalint-ignore WSA201, WSA900\n"
        );
        let s = src("#define BAD(s) ((s) < 0) \\\n  + 1\n");
        let f = finding(&s, "(s) < 0", None);
        assert_eq!(
            apply(&s.text, vec![ignore_edit(&s, &f)]),
            "#define BAD(s) ((s) < 0) /* wsalint-ignore WSA900 */ \\\n  + 1\n"
        );
    }

    #[test]
    fn fix_all_takes_safe_non_overlapping_fixes() {
        let s = src("a < 0; b < 0; c < 0;");
        let fix = |range: Range<usize>, to: &str, safe: bool| {
            let e = vec![Edit::replace(range, to)];
            Some(if safe {
                Fix::safe("f", e)
            } else {
                Fix::unsafe_("f", e)
            })
        };
        let findings = vec![
            finding(&s, "a < 0", fix(0..5, "A", true)),
            finding(&s, "a < 0", fix(2..3, "X", true)),
            finding(&s, "b < 0", fix(7..12, "B", false)),
            finding(&s, "c < 0", fix(14..19, "C", true)),
        ];
        assert_eq!(apply(&s.text, fix_all_edits(&findings)), "A; b < 0; C;");
    }

    #[test]
    fn kinds_filter_actions() {
        let only = [CodeActionKind::SOURCE_FIX_ALL];
        assert!(wanted(Some(&only), FIX_ALL));
        assert!(!wanted(Some(&only), "quickfix"));
        assert!(wanted(Some(&[CodeActionKind::SOURCE]), FIX_ALL));
        assert!(!wanted(
            Some(&[CodeActionKind::from("source.fix")]),
            FIX_ALL
        ));
        assert!(wanted(None, "quickfix"));
    }
}
