//! The diagnostics model, kept apart from rendering: rules push these, output modules print them.

use std::ops::Range;
use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::source::{Position, Source};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }

    pub fn parse(s: &str) -> Option<Severity> {
        match s {
            "note" | "info" => Some(Severity::Note),
            "warning" => Some(Severity::Warning),
            "error" => Some(Severity::Error),
            _ => None,
        }
    }
}

/// Whether a fix may be applied without review.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Applicability {
    /// Applied by `--fix`: keeps the program's meaning apart from the bug it fixes.
    Safe,
    /// Applied by `--unsafe-fixes`: right in the usual case, but worth a look.
    Unsafe,
    /// Shown only: a direction, not an edit to apply blindly.
    Suggestion,
}

/// A byte-range replacement in the parse text of a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    #[serde(skip)]
    pub range: Range<usize>,
    pub content: String,
}

impl Edit {
    pub fn replace(range: Range<usize>, content: impl Into<String>) -> Edit {
        Edit {
            range,
            content: content.into(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fix {
    pub applicability: Applicability,
    /// An imperative that says what the edit does ("compare with `INVALID_SOCKET`").
    pub message: String,
    /// Empty for a suggestion that only describes the cure.
    pub edits: Vec<Edit>,
}

impl Fix {
    pub fn suggestion(message: impl Into<String>) -> Fix {
        Fix {
            applicability: Applicability::Suggestion,
            message: message.into(),
            edits: Vec::new(),
        }
    }

    pub fn safe(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Safe,
            message: message.into(),
            edits,
        }
    }

    pub fn unsafe_(message: impl Into<String>, edits: Vec<Edit>) -> Fix {
        Fix {
            applicability: Applicability::Unsafe,
            message: message.into(),
            edits,
        }
    }
}

/// A secondary location: a byte range in the same file, with what it shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Related {
    pub range: Range<usize>,
    pub message: String,
}

/// What a rule reports, in byte ranges of the file it was found in.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    pub range: Range<usize>,
    pub message: String,
    pub related: Vec<Related>,
    pub fix: Option<Fix>,
}

/// A resolved location: path, byte range, start and end (end column exclusive, 1-based).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub range: Range<usize>,
    pub start: Position,
    pub end: Position,
}

impl Location {
    pub fn new(source: &Source, range: Range<usize>) -> Location {
        Location {
            start: source.position(range.start),
            end: source.position(range.end),
            range,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RelatedLocation {
    pub location: Location,
    pub message: String,
}

/// Why a finding is not shown.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Suppression {
    /// `inSource` for a comment, `external` for a baseline.
    pub kind: SuppressionKind,
    pub justification: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuppressionKind {
    InSource,
    External,
}

/// A diagnostic placed in its file, ready for every output format.
#[derive(Clone, Debug)]
pub struct Finding {
    pub code: String,
    pub name: String,
    pub severity: Severity,
    /// The path as shown to the user (relative to the current directory when below it).
    pub path: PathBuf,
    pub location: Location,
    pub message: String,
    pub related: Vec<RelatedLocation>,
    pub fix: Option<Fix>,
    /// Stable across unrelated edits: a hash of the code, the path and the finding's own line.
    pub fingerprint: String,
    pub suppression: Option<Suppression>,
    /// The file's text, for snippets and fixes; shared by every finding of the file.
    pub source: Arc<Source>,
}

impl Finding {
    /// The finding without the file's text (its positions are already resolved): for what is
    /// kept across a whole run or workspace, where holding every file's text would not do.
    pub fn without_text(&self) -> Finding {
        static EMPTY: std::sync::OnceLock<Arc<Source>> = std::sync::OnceLock::new();
        let empty = EMPTY
            .get_or_init(|| Arc::new(Source::from_text(Vec::new(), crate::source::Encoding::Utf8)));
        Finding {
            source: empty.clone(),
            ..self.clone()
        }
    }

    pub fn new(diag: Diagnostic, path: PathBuf, source: Arc<Source>) -> Finding {
        let location = Location::new(&source, diag.range.clone());
        let related = diag
            .related
            .into_iter()
            .map(|r| RelatedLocation {
                location: Location::new(&source, r.range),
                message: r.message,
            })
            .collect();
        let fingerprint = fingerprint(&diag.code, &path, &source, &location);
        Finding {
            code: diag.code,
            name: diag.name,
            severity: diag.severity,
            path,
            location,
            message: diag.message,
            related,
            fix: diag.fix,
            fingerprint,
            suppression: None,
            source,
        }
    }

    /// The fingerprint the finding would have if its path were shown as `path` (a baseline's
    /// paths are relative to the baseline, not to the current directory).
    pub fn fingerprint_as(&self, path: &std::path::Path) -> String {
        fingerprint(&self.code, path, &self.source, &self.location)
    }

    /// The path with forward slashes, as every machine-readable format prints it.
    pub fn path_str(&self) -> String {
        path_string(&self.path)
    }
}

pub fn path_string(path: &std::path::Path) -> String {
    let s = path.to_string_lossy();
    if cfg!(windows) {
        s.replace('\\', "/")
    } else {
        s.into_owned()
    }
}

/// `path` with `.` dropped and `..` applied to what precedes it, without asking the file system.
pub fn normalize(path: &std::path::Path) -> std::path::PathBuf {
    use std::path::Component;
    let mut out = std::path::PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir
                if matches!(out.components().next_back(), Some(Component::Normal(_))) =>
            {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out
}

/// `path` relative to `base` (both absolute and normalized), climbing with `..` where they part;
/// None when they share no root (another drive).
pub fn relative_to(path: &std::path::Path, base: &std::path::Path) -> Option<std::path::PathBuf> {
    use std::path::Component;
    let p: Vec<_> = path.components().collect();
    let b: Vec<_> = base.components().collect();
    let common = p.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let rooted = |c: &Component| matches!(c, Component::Prefix(_) | Component::RootDir);
    if common == 0 || !p[..common].iter().any(rooted) {
        return None;
    }
    let mut out = std::path::PathBuf::new();
    for _ in common..b.len() {
        out.push("..");
    }
    out.extend(&p[common..]);
    Some(out)
}

/// A fingerprint that survives edits elsewhere in the file: the rule, the path, the trimmed text
/// of the finding's line and the text it points at, and how many earlier lines of the file
/// carry the same text (so that two identical lines stay apart).
fn fingerprint(code: &str, path: &std::path::Path, source: &Source, loc: &Location) -> String {
    let own = source.slice_str(source.line_range(loc.start.line));
    let key = own.trim();
    let occurrence = source.earlier_copies(loc.start.line);
    let spot = source.slice_str(loc.range.clone());
    let mut h = Fnv::new();
    for part in [
        code,
        &path_string(path),
        key,
        spot.trim(),
        &occurrence.to_string(),
    ] {
        h.write(part.as_bytes());
        h.write(&[0xff]);
    }
    format!("{:016x}", h.finish())
}

/// FNV-1a, 64 bits: a stable hash (std's hasher may change between Rust releases).
struct Fnv(u64);

impl Fnv {
    fn new() -> Fnv {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= u64::from(b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    fn finish(&self) -> u64 {
        self.0
    }
}
