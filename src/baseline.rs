//! Baselines: `--write-baseline FILE` records today's findings, `--baseline FILE` hides them.
//!
//! A finding is matched by code, path and fingerprint (`Finding::fingerprint`: the rule, the
//! path, the trimmed text of the finding's line and of what it points at, and how many earlier
//! lines carry the same text), never by line number: a finding that moves down because code was
//! added above it stays hidden, while a new finding of the same rule in the same file shows.
//! Hidden findings are suppressed with kind `external`, so SARIF lists them as suppressions.
//! Paths are relative to the baseline file's directory (`/` separators), so a baseline works
//! from any directory; version 1 files, whose paths were relative to the directory wsalint ran
//! in, are still read that way.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::diagnostic::{
    normalize, path_string, relative_to, Finding, Suppression, SuppressionKind,
};

/// The version of the file format: 2 has paths relative to the baseline's directory.
pub const VERSION: u32 = 2;

/// Version 1: paths relative to the current directory.
const VERSION_CWD_PATHS: u32 = 1;

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
    /// rewriting a baseline never drops them), for a baseline written to `file`.
    pub fn from_findings<'a>(
        findings: impl IntoIterator<Item = &'a Finding>,
        file: &Path,
    ) -> Baseline {
        let paths = Paths::new(file, VERSION);
        let mut entries: Vec<Entry> = findings
            .into_iter()
            .filter(|f| {
                f.suppression
                    .as_ref()
                    .is_none_or(|s| s.kind == SuppressionKind::External)
            })
            .map(|f| Entry {
                code: f.code.clone(),
                path: paths.of(&f.path),
                fingerprint: paths.fingerprint(f),
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
        if b.version != VERSION && b.version != VERSION_CWD_PATHS {
            return Err(format!(
                "version {} is not supported (expected {VERSION})",
                b.version
            ));
        }
        Ok(b)
    }

    /// What matches findings against the baseline read from `file`, one file after another:
    /// each entry hides one finding.
    pub fn matcher(&self, file: &Path) -> Matcher {
        let mut left: HashMap<(String, String, String), usize> = HashMap::new();
        for e in &self.findings {
            *left
                .entry((e.code.clone(), e.path.clone(), e.fingerprint.clone()))
                .or_default() += 1;
        }
        Matcher {
            left,
            paths: Paths::new(file, self.version),
        }
    }
}

/// How a finding's path (as shown: relative to the current directory, or absolute) is written
/// in a baseline.
struct Paths {
    cwd: PathBuf,
    /// The baseline's directory, absolute; None for version 1 (paths as shown).
    base: Option<PathBuf>,
}

impl Paths {
    fn new(file: &Path, version: u32) -> Paths {
        let cwd = std::env::current_dir().unwrap_or_default();
        let base = (version != VERSION_CWD_PATHS).then(|| {
            let dir = file.parent().unwrap_or(Path::new(""));
            normalize(&cwd.join(dir))
        });
        Paths { cwd, base }
    }

    /// The finding's fingerprint over its path as the baseline writes it (the fingerprint holds
    /// the path).
    fn fingerprint(&self, f: &Finding) -> String {
        match &self.base {
            Some(_) => f.fingerprint_as(Path::new(&self.of(&f.path))),
            None => f.fingerprint.clone(),
        }
    }

    fn of(&self, path: &Path) -> String {
        match &self.base {
            Some(base) => {
                let abs = normalize(&self.cwd.join(path));
                path_string(&relative_to(&abs, base).unwrap_or(abs))
            }
            None => path_string(path),
        }
    }
}

/// The entries of a baseline not yet matched in this run.
pub struct Matcher {
    left: HashMap<(String, String, String), usize>,
    paths: Paths,
}

impl Matcher {
    /// Marks the findings the baseline records as suppressed (`external`); returns how many.
    pub fn apply(&mut self, findings: &mut [Finding], justification: &str) -> usize {
        let mut hidden = 0;
        for f in findings.iter_mut().filter(|f| f.suppression.is_none()) {
            let key = (
                f.code.clone(),
                self.paths.of(&f.path),
                self.paths.fingerprint(f),
            );
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
            Baseline::parse(r#"{"version": 2, "findings": [{"code": "WSA001"}]}"#)
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
        assert!(Baseline::parse(r#"{"version": 2, "findings": []}"#).is_ok());
    }
}
