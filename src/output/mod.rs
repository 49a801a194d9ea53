//! Output formats, one module each, behind one trait. Rules never print; printers never decide.

pub mod gcc;
pub mod github;
pub mod human;
pub mod json;
pub mod msvc;
pub mod sarif;
pub mod statistics;

use std::collections::BTreeMap;
use std::io::{self, Write};

use crate::diagnostic::{Applicability, Finding, Severity};
use crate::report::Report;
use crate::walk::Warning;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Gcc,
    Msvc,
}

/// What every printer may need besides the report.
#[derive(Clone, Debug, Default)]
pub struct OutputOptions {
    pub color: bool,
    /// Print no summary and no per-file warnings.
    pub quiet: bool,
    /// Print counts per rule.
    pub statistics: bool,
    /// Fixes applied in this run (for the summary).
    pub fixes_applied: usize,
    /// A path named on the command line could not be linted (exit code 2; SARIF's
    /// `executionSuccessful` is false).
    pub incomplete: bool,
}

/// A printer sees the findings file by file, as the run finishes them, and the counts and
/// skipped files once at the end: a run over a large tree never holds all its findings.
pub trait Printer: Send {
    /// Before the first file.
    fn begin(&mut self, _opts: &OutputOptions, _out: &mut dyn Write) -> io::Result<()> {
        Ok(())
    }

    /// The findings of one file (or of several, sorted by path), suppressed ones included.
    fn findings(
        &mut self,
        findings: &[Finding],
        opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()>;

    /// After the last file: what needs the whole run (nothing, for a format of one line per
    /// finding).
    fn end(
        &mut self,
        _tally: &Tally,
        _warnings: &[Warning],
        _opts: &OutputOptions,
        _out: &mut dyn Write,
    ) -> io::Result<()> {
        Ok(())
    }
}

pub use crate::report::visible;

/// A path at the start of a line of the line formats (gcc, msvc), so that no file name turns
/// the line into something else: control characters replaced, and a name that starts with `::`
/// (`::error title=X::a.c`, which a GitHub Actions log reads as a workflow command) led by the
/// current directory (`./::error title=X::a.c`, the same file).
pub fn line_start_path(path: &str, separator: &str) -> String {
    let path = crate::source::sanitize_for_terminal(path);
    if path.starts_with("::") {
        format!(".{separator}{path}")
    } else {
        path
    }
}

/// The printer of `format`, or of the statistics table when `--statistics` asks for it (JSON
/// for `json`, text for every other format).
pub fn printer_for(format: Format, opts: &OutputOptions) -> Box<dyn Printer> {
    if opts.statistics {
        Box::new(statistics::Statistics {
            json: format == Format::Json,
        })
    } else {
        printer(format)
    }
}

pub fn printer(format: Format) -> Box<dyn Printer> {
    match format {
        Format::Human => Box::new(human::Human),
        Format::Json => Box::new(json::Json::default()),
        Format::Sarif => Box::new(sarif::Sarif::default()),
        Format::Github => Box::new(github::Github),
        Format::Gcc => Box::new(gcc::Gcc),
        Format::Msvc => Box::new(msvc::Msvc),
    }
}

/// Prints a whole report at once.
pub fn print(
    format: Format,
    report: &Report,
    opts: &OutputOptions,
    out: &mut dyn Write,
) -> io::Result<()> {
    let mut printer = printer_for(format, opts);
    let mut tally = Tally {
        files_checked: report.files_checked,
        files_parsed: report.files_parsed,
        ..Tally::default()
    };
    tally.add(&report.findings);
    printer.begin(opts, out)?;
    printer.findings(&report.findings, opts, out)?;
    printer.end(&tally, &report.warnings, opts, out)
}

/// What a run found, counted as the files go by: for the summary, `--statistics` and the exit
/// code.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    pub files_checked: usize,
    pub files_parsed: usize,
    /// Files with a finding that is not suppressed.
    pub files_with_findings: usize,
    pub errors: usize,
    pub warnings: usize,
    pub notes: usize,
    pub suppressed: usize,
    /// Findings `--fix` would fix.
    pub safe_fixes: usize,
    /// Findings that are not suppressed, by code and name.
    pub by_rule: BTreeMap<(String, String), RuleCount>,
}

/// The findings of one rule, for `--statistics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RuleCount {
    pub count: usize,
    /// Those `--fix` would fix.
    pub fixable: usize,
}

impl Tally {
    /// Counts findings; a file's findings come in one call, or in the calls of one report.
    pub fn add(&mut self, findings: &[Finding]) {
        let mut paths = std::collections::BTreeSet::new();
        for f in findings {
            if f.suppression.is_some() {
                self.suppressed += 1;
                continue;
            }
            paths.insert(&f.path);
            match f.severity {
                Severity::Error => self.errors += 1,
                Severity::Warning => self.warnings += 1,
                Severity::Note => self.notes += 1,
            }
            let safe = f
                .fix
                .as_ref()
                .is_some_and(|x| x.applicability == Applicability::Safe && !x.edits.is_empty());
            self.safe_fixes += usize::from(safe);
            let rule = self
                .by_rule
                .entry((f.code.clone(), f.name.clone()))
                .or_default();
            rule.count += 1;
            rule.fixable += usize::from(safe);
        }
        self.files_with_findings += paths.len();
    }

    /// Findings that are not suppressed.
    pub fn findings(&self) -> usize {
        self.errors + self.warnings + self.notes
    }

    /// Whether a finding that is not suppressed is at `severity` or above.
    pub fn any_at_least(&self, severity: Severity) -> bool {
        match severity {
            Severity::Error => self.errors > 0,
            Severity::Warning => self.errors + self.warnings > 0,
            Severity::Note => self.findings() > 0,
        }
    }
}
