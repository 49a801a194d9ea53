//! rustc-style diagnostics through codespan-reporting: the snippet, primary and secondary
//! labels, a `help:` with the fix, the KB reference, and a summary line.

use std::collections::BTreeMap;
use std::io::{self, Write};

use codespan_reporting::diagnostic::{Diagnostic, Label, Severity as CsSeverity};
use codespan_reporting::files::SimpleFiles;
use codespan_reporting::term::{self, termcolor};

use crate::diagnostic::{Applicability, Finding, Severity};
use crate::output::{self, OutputOptions, Printer, Tally};
use crate::registry;
use crate::source::sanitize_for_terminal;
use crate::walk::Warning;

pub struct Human;

impl Printer for Human {
    fn findings(
        &mut self,
        findings: &[Finding],
        opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let mut files = SimpleFiles::new();
        let mut ids: BTreeMap<std::path::PathBuf, usize> = BTreeMap::new();
        let config = term::Config::default();
        for f in output::visible(findings) {
            let id = *ids.entry(f.path.clone()).or_insert_with(|| {
                files.add(
                    sanitize_for_terminal(&f.path_str()),
                    f.source.display_text(),
                )
            });
            let diag = to_codespan(f, id);
            let mut buf: Vec<u8> = Vec::new();
            let result = if opts.color {
                let mut w = termcolor::Ansi::new(&mut buf);
                term::emit_to_write_style(&mut w, &config, &files, &diag)
            } else {
                let mut w = termcolor::NoColor::new(&mut buf);
                term::emit_to_write_style(&mut w, &config, &files, &diag)
            };
            if let Err(e) = result {
                // A span outside the file would be a bug in a rule; say so rather than panic.
                writeln!(
                    out,
                    "{}: internal error rendering {}: {e}",
                    f.path_str(),
                    f.code
                )?;
                continue;
            }
            out.write_all(&buf)?;
        }
        Ok(())
    }

    fn end(
        &mut self,
        tally: &Tally,
        _warnings: &[Warning],
        opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        if !opts.quiet {
            writeln!(out, "{}", summary(tally, opts))?;
        }
        Ok(())
    }
}

fn to_codespan(f: &Finding, id: usize) -> Diagnostic<usize> {
    let severity = match f.severity {
        Severity::Error => CsSeverity::Error,
        Severity::Warning => CsSeverity::Warning,
        Severity::Note => CsSeverity::Note,
    };
    let mut labels = vec![Label::primary(id, f.location.range.clone())];
    for r in &f.related {
        labels.push(
            Label::secondary(id, r.location.range.clone())
                .with_message(sanitize_for_terminal(&r.message)),
        );
    }
    let mut notes = Vec::new();
    if let Some(fix) = &f.fix {
        let tag = match fix.applicability {
            Applicability::Safe => " (safe fix: --fix)",
            Applicability::Unsafe if !fix.edits.is_empty() => " (unsafe fix: --unsafe-fixes)",
            _ => "",
        };
        notes.push(format!(
            "help: {}{tag}",
            sanitize_for_terminal(&fix.message)
        ));
    }
    if let Some(rule) = registry::find(&f.code) {
        let meta = rule.meta();
        let source = if meta.source.is_empty() {
            String::new()
        } else {
            format!("{}; ", meta.source)
        };
        notes.push(format!(
            "note: {source}`wsalint explain {}` ({})",
            meta.code, meta.name
        ));
    } else {
        // Custom rules and the suppression pseudo-rules.
        notes.push(format!(
            "note: `wsalint explain {}` ({})",
            f.code,
            sanitize_for_terminal(&f.name)
        ));
    }
    Diagnostic::new(severity)
        .with_code(f.code.clone())
        .with_message(sanitize_for_terminal(&f.message))
        .with_labels(labels)
        .with_notes(notes)
}

/// "Found 3 findings (1 error, 2 warnings) in 2 of 14 files; 1 fixable with --fix."
pub fn summary(tally: &Tally, opts: &OutputOptions) -> String {
    let plural = |n: usize, word: &str| {
        if n == 1 {
            format!("{n} {word}")
        } else {
            format!("{n} {word}s")
        }
    };
    let mut text = if tally.findings() == 0 {
        format!("No findings in {}.", plural(tally.files_checked, "file"))
    } else {
        let mut parts = Vec::new();
        for (n, word) in [
            (tally.errors, "error"),
            (tally.warnings, "warning"),
            (tally.notes, "note"),
        ] {
            if n > 0 {
                parts.push(plural(n, word));
            }
        }
        format!(
            "Found {} ({}) in {} of {}.",
            plural(tally.findings(), "finding"),
            parts.join(", "),
            tally.files_with_findings,
            plural(tally.files_checked, "file")
        )
    };
    let safe = tally.safe_fixes;
    if opts.fixes_applied > 0 {
        text.push_str(&format!(
            " Applied {} {}, {safe} fixable with --fix remaining.",
            opts.fixes_applied,
            if opts.fixes_applied == 1 {
                "fix"
            } else {
                "fixes"
            }
        ));
    } else if safe > 0 {
        text.push_str(&format!(" {safe} fixable with --fix."));
    }
    if tally.suppressed > 0 {
        text.push_str(&format!(" {} suppressed.", tally.suppressed));
    }
    text
}
