//! Baselines: `--write-baseline FILE` records today's findings, `--baseline FILE` hides them.
//!
//! A finding is matched by code, path and fingerprint (`Finding::fingerprint`: the rule, the
//! path, the trimmed text of the finding's line and of what it points at, and how many earlier
//! lines carry the same text), never by line number: a finding that moves down because code was
//! added above it stays hidden, while a new finding of the same rule in the same file shows.
//! Hidden findings are suppressed with kind `external`, so SARIF lists them as suppressions.
//! Paths are as wsalint shows them, relative to the current directory: run from the same
//! directory that wrote the baseline.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::diagnostic::{Finding, Suppression, SuppressionKind};

/// The version of the file format.
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Baseline {
    pub version: u32,
    pub findings: Vec<Entry>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub code: String,
    pub path: String,
    pub fingerprint: String,
    /// For people reading the file; not used to match.
    #[serde(default)]
    pub line: usize,
    #[serde(default)]
    pub message: String,
}

impl Baseline {
    /// The findings not suppressed in the source (findings a previous baseline hid are kept, so
    /// rewriting a baseline never drops them).
    pub fn from_findings<'a>(findings: impl IntoIterator<Item = &'a Finding>) -> Baseline {
        let mut entries: Vec<Entry> = findings
            .into_iter()
            .filter(|f| {
                f.suppression
                    .as_ref()
                    .is_none_or(|s| s.kind == SuppressionKind::External)
            })
            .map(|f| Entry {
                code: f.code.clone(),
                path: f.path_str(),
                fingerprint: f.fingerprint.clone(),
                line: f.location.start.line,
                message: f.message.clone(),
            })
            .collect();
        entries.sort_by(|a, b| (&a.path, a.line, &a.code).cmp(&(&b.path, b.line, &b.code)));
        Baseline {
            version: VERSION,
            findings: entries,
        }
    }

    pub fn to_json(&self) -> String {
        // A struct of strings and numbers always serializes.
        let mut s = serde_json::to_string_pretty(self).expect("baseline serializes");
        s.push('\n');
        s
    }

    /// Reads a baseline; the error says what is wrong and where.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let shown = path.display();
        let text = std::fs::read_to_string(path).map_err(|e| {
            format!(
                "cannot read baseline `{shown}`: {}",
                crate::walk::describe_io(&e)
            )
        })?;
        Baseline::parse(&text).map_err(|e| format!("`{shown}` is not a wsalint baseline: {e}"))
    }

    pub fn parse(text: &str) -> Result<Baseline, String> {
        let b: Baseline = serde_json::from_str(text).map_err(|e| e.to_string())?;
        if b.version != VERSION {
            return Err(format!(
                "version {} is not supported (expected {VERSION})",
                b.version
            ));
        }
        Ok(b)
    }

    /// Marks the findings the baseline records as suppressed (kind external). Each entry hides
    /// one finding. Returns how many were hidden.
    /// What matches findings against the baseline, one file after another: each entry hides
    /// one finding.
    pub fn matcher(&self) -> Matcher {
        let mut left: HashMap<(String, String, String), usize> = HashMap::new();
        for e in &self.findings {
            *left
                .entry((e.code.clone(), e.path.clone(), e.fingerprint.clone()))
                .or_default() += 1;
        }
        Matcher { left }
    }
}

/// The entries of a baseline not yet matched in this run.
pub struct Matcher {
    left: HashMap<(String, String, String), usize>,
}

impl Matcher {
    /// Marks the findings the baseline records as suppressed (`external`); returns how many.
    pub fn apply(&mut self, findings: &mut [Finding], justification: &str) -> usize {
        let mut hidden = 0;
        for f in findings.iter_mut().filter(|f| f.suppression.is_none()) {
            let key = (f.code.clone(), f.path_str(), f.fingerprint.clone());
            if let Some(n) = self.left.get_mut(&key).filter(|n| **n > 0) {
                *n -= 1;
                hidden += 1;
                f.suppression = Some(Suppression {
                    kind: SuppressionKind::External,
                    justification: Some(justification.to_string()),
                });
            }
        }
        hidden
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_files_say_why() {
        assert!(Baseline::parse("{").unwrap_err().contains("line 1"));
        assert!(Baseline::parse(r#"{"version": 7, "findings": []}"#)
            .unwrap_err()
            .contains("version 7"));
        assert!(
            Baseline::parse(r#"{"version": 1, "findings": [{"code": "WSA001"}]}"#)
                .unwrap_err()
                .contains("missing field `path`")
        );
        assert_eq!(
            Baseline::parse(r#"{"version": 1, "findings": []}"#).unwrap(),
            Baseline {
                version: 1,
                findings: vec![]
            }
        );
    }
}
