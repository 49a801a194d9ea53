//! `{"version", "diagnostics": [...], "summary": {...}}`, snake_case, one object.

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::{Applicability, Finding};
use crate::engine::Report;
use crate::output::{OutputOptions, Printer};

pub struct Json;

#[derive(Serialize)]
struct Log<'a> {
    version: &'static str,
    diagnostics: Vec<Diag<'a>>,
    /// Files that could not be linted, with why.
    skipped: Vec<Skipped<'a>>,
    summary: Summary,
}

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
    fn print(&self, report: &Report, _opts: &OutputOptions, out: &mut dyn Write) -> io::Result<()> {
        let visible: Vec<&Finding> = report.visible().collect();
        let count = |s| visible.iter().filter(|f| f.severity == s).count();
        use crate::diagnostic::Severity::*;
        let log = Log {
            version: env!("CARGO_PKG_VERSION"),
            diagnostics: visible.iter().map(|f| diag(f)).collect(),
            skipped: report
                .warnings
                .iter()
                .map(|w| Skipped {
                    path: crate::diagnostic::path_string(&w.path),
                    message: &w.message,
                })
                .collect(),
            summary: Summary {
                files_checked: report.files_checked,
                files_parsed: report.files_parsed,
                findings: visible.len(),
                errors: count(Error),
                warnings: count(Warning),
                notes: count(Note),
                suppressed: report.findings.len() - visible.len(),
                skipped_files: report.warnings.len(),
            },
        };
        serde_json::to_writer_pretty(&mut *out, &log)?;
        writeln!(out)
    }
}
