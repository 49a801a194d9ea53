//! `{"version", "diagnostics": [...], "summary": {...}}`, snake_case, one object.

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::{Applicability, Finding};
use crate::output::{self, OutputOptions, Printer, Tally};
use crate::walk::Warning;

/// Writes the log as the findings come: `{"version", "diagnostics": [` first, each finding as
/// its file is done, and `], "skipped", "summary"}` at the end.
#[derive(Default)]
pub struct Json {
    written: usize,
}

/// A file that could not be linted, with why.
#[derive(Serialize)]
struct Skipped<'a> {
    path: String,
    message: &'a str,
}

#[derive(Serialize)]
struct Diag<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'static str,
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
    related: Vec<RelatedOut<'a>>,
    fix: Option<FixOut<'a>>,
    fingerprint: &'a str,
}

#[derive(Serialize)]
struct RelatedOut<'a> {
    path: String,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    message: &'a str,
}

#[derive(Serialize)]
struct FixOut<'a> {
    applicability: Applicability,
    message: &'a str,
    edits: Vec<EditOut<'a>>,
}

#[derive(Serialize)]
struct EditOut<'a> {
    /// Byte offsets into the file's text (after BOM removal and UTF-16 decoding).
    start_byte: usize,
    end_byte: usize,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    content: &'a str,
}

#[derive(Serialize)]
struct Summary {
    files_checked: usize,
    files_parsed: usize,
    findings: usize,
    errors: usize,
    warnings: usize,
    notes: usize,
    suppressed: usize,
    skipped_files: usize,
}

fn diag(f: &Finding) -> Diag<'_> {
    Diag {
        code: &f.code,
        name: &f.name,
        severity: f.severity.as_str(),
        path: f.path_str(),
        line: f.location.start.line,
        column: f.location.start.column,
        end_line: f.location.end.line,
        end_column: f.location.end.column,
        message: &f.message,
        related: f
            .related
            .iter()
            .map(|r| RelatedOut {
                path: f.path_str(),
                line: r.location.start.line,
                column: r.location.start.column,
                end_line: r.location.end.line,
                end_column: r.location.end.column,
                message: &r.message,
            })
            .collect(),
        fix: f.fix.as_ref().map(|x| FixOut {
            applicability: x.applicability,
            message: &x.message,
            edits: x
                .edits
                .iter()
                .map(|e| {
                    let s = f.source.position(e.range.start);
                    let t = f.source.position(e.range.end);
                    EditOut {
                        start_byte: e.range.start,
                        end_byte: e.range.end,
                        line: s.line,
                        column: s.column,
                        end_line: t.line,
                        end_column: t.column,
                        content: &e.content,
                    }
                })
                .collect(),
        }),
        fingerprint: &f.fingerprint,
    }
}

impl Printer for Json {
    fn begin(&mut self, _opts: &OutputOptions, out: &mut dyn Write) -> io::Result<()> {
        write!(
            out,
            "{{\n  \"version\": {},\n  \"diagnostics\": [",
            serde_json::to_string(env!("CARGO_PKG_VERSION"))?
        )
    }

    fn findings(
        &mut self,
        findings: &[Finding],
        _opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        for f in output::visible(findings) {
            let sep = if self.written == 0 { "" } else { "," };
            write!(out, "{sep}\n    {}", indented(&diag(f), 4)?)?;
            self.written += 1;
        }
        Ok(())
    }

    fn end(
        &mut self,
        tally: &Tally,
        warnings: &[Warning],
        _opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let skipped: Vec<Skipped> = warnings
            .iter()
            .map(|w| Skipped {
                path: crate::diagnostic::path_string(&w.path),
                message: &w.message,
            })
            .collect();
        let summary = Summary {
            files_checked: tally.files_checked,
            files_parsed: tally.files_parsed,
            findings: tally.findings(),
            errors: tally.errors,
            warnings: tally.warnings,
            notes: tally.notes,
            suppressed: tally.suppressed,
            skipped_files: warnings.len(),
        };
        let close = if self.written == 0 { "]" } else { "\n  ]" };
        writeln!(
            out,
            "{close},\n  \"skipped\": {},\n  \"summary\": {}\n}}",
            indented(&skipped, 2)?,
            indented(&summary, 2)?
        )
    }
}

/// `value` as pretty JSON whose lines after the first are indented by `by` spaces: the layout
/// of a value nested in the log.
fn indented(value: &impl Serialize, by: usize) -> io::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    Ok(text.replace('\n', &format!("\n{}", " ".repeat(by))))
}
