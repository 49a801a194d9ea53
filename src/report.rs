//! What a run found, apart from how it was found: every finding (suppressed ones marked), the
//! files it skipped, the counts, and what each suppression comment suppressed. The engine fills
//! it; the printers, `--fix` and the unused-suppression checks read it, and none of them needs
//! the engine.

use std::path::PathBuf;
use std::sync::Arc;

use crate::diagnostic::Finding;
use crate::source::Source;
use crate::suppress::{self, SuppressionComment};
use crate::walk::Warning;

/// The result of a whole run.
#[derive(Default)]
pub struct Report {
    /// Every finding, suppressed ones included (`suppression` is set), sorted by path and
    /// position.
    pub findings: Vec<Finding>,
    pub warnings: Vec<Warning>,
    pub files_checked: usize,
    pub files_parsed: usize,
    pub bytes: usize,
    /// Every suppression comment of the linted files, with what it suppressed.
    pub suppressions: Vec<SuppressionUse>,
}

/// A suppression comment and what it suppressed in this run.
#[derive(Clone, Debug)]
pub struct SuppressionUse {
    pub path: PathBuf,
    pub source: Arc<Source>,
    pub comment: SuppressionComment,
    pub usage: suppress::Usage,
}

impl Report {
    /// Findings that are not suppressed.
    pub fn visible(&self) -> impl Iterator<Item = &Finding> {
        visible(&self.findings)
    }

    /// Adds one file's findings and suppression comments.
    pub fn absorb(&mut self, file: Report) {
        self.findings.extend(file.findings);
        self.suppressions.extend(file.suppressions);
    }

    /// Orders findings and suppression comments by path: a stream hands on the files that
    /// waited for the project-wide phase last.
    pub fn sort_by_path(&mut self) {
        self.findings.sort_by(|a, b| a.path.cmp(&b.path));
        self.suppressions.sort_by(|a, b| a.path.cmp(&b.path));
    }

    /// Nothing found and no suppression comment seen.
    pub fn is_empty(&self) -> bool {
        self.findings.is_empty() && self.suppressions.is_empty()
    }
}

/// The findings that are not suppressed: what every format but SARIF prints.
pub fn visible(findings: &[Finding]) -> impl Iterator<Item = &Finding> {
    findings.iter().filter(|f| f.suppression.is_none())
}
