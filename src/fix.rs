//! Applying fixes: the only module that writes source files.
//!
//! Fixes are byte-range edits on a file's parse text (`Source::text`). Per file they are sorted,
//! a fix whose edits overlap an already accepted one waits for the next run, the rest are applied
//! back to front, and the result is re-encoded in the file's own encoding (UTF-16 LE/BE with BOM,
//! UTF-8 with or without BOM, any other bytes untouched outside the edits) and line endings.
//! Before anything is written the result is re-parsed: a fix that adds syntax errors is rolled
//! back with a warning. Writes are atomic (a temporary file in the same directory, then a rename,
//! permissions kept) and refused when the file's bytes changed since they were read.

use std::io::Write;
use std::path::{Component, Path, PathBuf};

use similar::TextDiff;

use crate::diagnostic::{Applicability, Edit, Finding, Fix};
use crate::lang::{self, Lang};
use crate::report::Report;
use crate::source::Source;
use crate::walk::Warning;

/// Which fixes to apply, and whether to write them or only show them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FixOptions {
    /// Also apply fixes marked unsafe (those that have edits).
    pub unsafe_fixes: bool,
    /// Write the fixed files (`--fix`); otherwise only compute the diff (`--diff`).
    pub write: bool,
}

impl FixOptions {
    /// Whether a fix is applied under these options.
    pub fn wants(&self, fix: &Fix) -> bool {
        !fix.edits.is_empty()
            && match fix.applicability {
                Applicability::Safe => true,
                Applicability::Unsafe => self.unsafe_fixes,
                Applicability::Suggestion => false,
            }
    }
}

/// What a fix run did.
#[derive(Debug, Default)]
pub struct FixRun {
    /// Fixes applied (written, or that would be written under `--diff`).
    pub applied: usize,
    /// Files changed (or that would change).
    pub files: usize,
    /// The unified diff of every change, in path order.
    pub diff: String,
    /// Files not written and fixes rolled back, one warning each.
    pub warnings: Vec<Warning>,
}

/// The result of applying fixes to one text.
#[derive(Debug, PartialEq, Eq)]
pub struct Fixed {
    pub text: Vec<u8>,
    /// Indices (into the fixes given) of the fixes applied.
    pub applied: Vec<usize>,
    /// Indices of the fixes held back because they overlap an applied one.
    pub deferred: Vec<usize>,
    /// Indices of the fixes rolled back because they add syntax errors.
    pub rolled_back: Vec<usize>,
}

/// Whether two edits may not be applied together: their ranges overlap, or both insert at the
/// same offset (their order would be a guess).
fn conflict(a: &Edit, b: &Edit) -> bool {
    (a.range.start < b.range.end && b.range.start < a.range.end) || a.range.start == b.range.start
}

/// The content of an edit with the file's line endings.
fn with_line_endings(content: &str, crlf: bool) -> String {
    if !crlf || !content.contains('\n') {
        return content.to_string();
    }
    let mut out = String::with_capacity(content.len() + 8);
    let mut prev = '\0';
    for ch in content.chars() {
        if ch == '\n' && prev != '\r' {
            out.push('\r');
        }
        out.push(ch);
        prev = ch;
    }
    out
}

/// Applies `edits` (sorted, non-overlapping) back to front.
fn splice(text: &[u8], edits: &[&Edit], crlf: bool) -> Vec<u8> {
    let mut out = text.to_vec();
    for edit in edits.iter().rev() {
        let content = with_line_endings(&edit.content, crlf);
        out.splice(edit.range.clone(), content.into_bytes());
    }
    out
}

/// Picks the fixes that can be applied together: in order of their first edit, a fix is taken
/// when none of its edits conflicts with an edit already taken and all of them lie inside the
/// text. Returns (taken, deferred) as indices into `fixes`.
pub fn select(text_len: usize, fixes: &[&Fix]) -> (Vec<usize>, Vec<usize>) {
    let mut order: Vec<usize> = (0..fixes.len())
        .filter(|&i| !fixes[i].edits.is_empty())
        .collect();
    order.sort_by_key(|&i| {
        let first = fixes[i].edits.iter().map(|e| e.range.start).min();
        (first, i)
    });
    let mut taken: Vec<usize> = Vec::new();
    let mut deferred = Vec::new();
    let mut accepted: Vec<&Edit> = Vec::new();
    for i in order {
        let fix = fixes[i];
        let in_bounds = fix
            .edits
            .iter()
            .all(|e| e.range.start <= e.range.end && e.range.end <= text_len);
        let self_conflict = fix
            .edits
            .iter()
            .enumerate()
            .any(|(j, a)| fix.edits[j + 1..].iter().any(|b| conflict(a, b)));
        if !in_bounds || self_conflict {
            continue;
        }
        if fix
            .edits
            .iter()
            .any(|e| accepted.iter().any(|a| conflict(a, e)))
        {
            deferred.push(i);
            continue;
        }
        accepted.extend(fix.edits.iter());
        taken.push(i);
    }
    (taken, deferred)
}

/// Applies the fixes `indices` of `fixes` to `text`.
fn apply_indices(text: &[u8], fixes: &[&Fix], indices: &[usize], crlf: bool) -> Vec<u8> {
    let mut edits: Vec<&Edit> = indices
        .iter()
        .flat_map(|&i| fixes[i].edits.iter())
        .collect();
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    splice(text, &edits, crlf)
}

/// The number of syntax errors (ERROR and MISSING nodes) in `text` parsed as `lang`.
pub fn syntax_errors(lang: Lang, text: &[u8]) -> usize {
    let mut parser = tree_sitter::Parser::new();
    if parser.set_language(&lang.grammar()).is_err() {
        return 0;
    }
    let Some(tree) = parser.parse(text, None) else {
        return usize::MAX;
    };
    if !tree.root_node().has_error() {
        return 0;
    }
    let mut count = 0;
    crate::facts::walk(tree.root_node(), |n| {
        if n.is_error() || n.is_missing() {
            count += 1;
        }
    });
    count
}

/// Applies `fixes` to the parse text of `source` (the file `path`, for the grammar): the
/// non-overlapping ones together; when the result has more syntax errors than the original,
/// the fixes are tried one by one and each one that adds errors is rolled back.
pub fn fix_text(path: &Path, source: &Source, fixes: &[&Fix]) -> Fixed {
    let text = &source.text;
    let (taken, deferred) = select(text.len(), fixes);
    if taken.is_empty() {
        return Fixed {
            text: text.clone(),
            applied: Vec::new(),
            deferred,
            rolled_back: Vec::new(),
        };
    }
    let lang = lang::choose(path, text);
    let before = syntax_errors(lang, text);
    let all = apply_indices(text, fixes, &taken, source.crlf);
    if syntax_errors(lang, &all) <= before {
        return Fixed {
            text: all,
            applied: taken,
            deferred,
            rolled_back: Vec::new(),
        };
    }
    // Some fix breaks the syntax: keep the ones that do not, one at a time.
    let mut kept: Vec<usize> = Vec::new();
    let mut rolled_back = Vec::new();
    for &i in &taken {
        let mut trial = kept.clone();
        trial.push(i);
        let result = apply_indices(text, fixes, &trial, source.crlf);
        if syntax_errors(lang, &result) <= before {
            kept = trial;
        } else {
            rolled_back.push(i);
        }
    }
    Fixed {
        text: apply_indices(text, fixes, &kept, source.crlf),
        applied: kept,
        deferred,
        rolled_back,
    }
}

/// The path a diff header names after `a/` and `b/`: relative to the current directory, with
/// `..` for a file outside it (as `git diff --no-index ../x.c` writes it; `git apply
/// --unsafe-paths` applies it). A path that cannot be made relative (another drive) loses its
/// root, as git writes an absolute path.
fn diff_path(path: &Path) -> String {
    let relative = if path.is_absolute() {
        std::env::current_dir()
            .ok()
            .and_then(|cwd| crate::diagnostic::relative_to(path, &cwd))
            .unwrap_or_else(|| {
                path.components()
                    .filter(|c| matches!(c, Component::Normal(_)))
                    .collect()
            })
    } else {
        path.to_path_buf()
    };
    crate::diagnostic::path_string(&relative)
}

/// A file name in a diff header as git writes one: in double quotes with C escapes when it
/// holds a control character, a quote or a backslash (a newline in a name would forge a
/// `+++` line, an escape sequence would reach the terminal); bidirectional formatting
/// characters are escaped too, byte by byte. `git apply` reads both forms.
fn diff_name(prefix: &str, path: &str) -> String {
    let name = format!("{prefix}{path}");
    let unsafe_char = crate::source::is_unsafe_for_terminal;
    if !name
        .chars()
        .any(|c| c == '"' || c == '\\' || unsafe_char(c))
    {
        return name;
    }
    let mut out = String::from("\"");
    for c in name.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\{b:03o}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A unified diff of one file's parse text before and after, lossily shown as UTF-8.
pub fn unified_diff(path: &str, before: &[u8], after: &[u8]) -> String {
    let old = String::from_utf8_lossy(before);
    let new = String::from_utf8_lossy(after);
    let diff = TextDiff::from_lines(old.as_ref(), new.as_ref());
    let mut out = diff
        .unified_diff()
        .context_radius(3)
        .header(&diff_name("a/", path), &diff_name("b/", path))
        .to_string();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push('\n');
    }
    out
}

/// Applies the fixes of every visible finding of `report` (suppressed findings are never fixed).
pub fn run(report: &Report, opts: FixOptions) -> FixRun {
    each_file(report, opts.write, |_, group| {
        group
            .iter()
            .filter_map(|f| f.fix.as_ref())
            .filter(|f| opts.wants(f))
            .cloned()
            .collect()
    })
}

/// `--add-ignore`: a `// wsalint-ignore CODES` on the line of each visible finding (the
/// suppression checks LINT001 and LINT002 aside), written like fixes. A line that already has a
/// `wsalint-ignore` comment gets the codes added to it; a line that ends in another comment, or
/// is continued with a backslash, gets a block comment before it. Findings a comment hides are
/// not visible, so a second run adds nothing.
pub fn add_ignores(report: &Report, write: bool) -> FixRun {
    each_file(report, write, |path, group| {
        let mut lines: std::collections::BTreeMap<usize, Vec<&str>> = Default::default();
        for f in group.iter().filter(|f| !f.code.starts_with("LINT")) {
            let codes = lines.entry(f.location.start.line).or_default();
            if !codes.contains(&f.code.as_str()) {
                codes.push(&f.code);
            }
        }
        let Some(first) = group.first() else {
            return Vec::new();
        };
        let source = &first.source;
        let comments = comment_ranges(lang::choose(path, &source.text), &source.text);
        lines
            .into_iter()
            .map(|(line, mut codes)| {
                codes.sort_unstable();
                ignore_fix(source, &comments, line, &codes.join(", "))
            })
            .collect()
    })
}

/// The fix that suppresses `codes` on `line`.
fn ignore_fix(
    source: &Source,
    comments: &[std::ops::Range<usize>],
    line: usize,
    codes: &str,
) -> Fix {
    const DIRECTIVE: &[u8] = b"wsalint-ignore";
    let text = &source.text;
    let range = source.line_range(line);
    let on_line: Vec<&std::ops::Range<usize>> = comments
        .iter()
        .filter(|c| c.start >= range.start && c.start < range.end)
        .collect();
    let same_line_directive = on_line.iter().find_map(|c| {
        let comment = String::from_utf8_lossy(&text[(*c).clone()]);
        let (scope, _, _) = crate::suppress::parse(&comment)?;
        let at = memchr::memmem::find(&text[(*c).clone()], DIRECTIVE)?;
        (scope == crate::suppress::Scope::Line).then_some(c.start + at + DIRECTIVE.len())
    });
    let block = format!("/* wsalint-ignore {codes} */ ");
    let edit = if let Some(mut at) = same_line_directive {
        // `wsalint-ignore: A` or `wsalint-ignore A`: the new codes go first.
        if text.get(at) == Some(&b':') {
            at += 1;
        }
        Edit::replace(at..at, format!(" {codes},"))
    } else if let Some(c) = on_line
        .iter()
        .find(|c| c.end > range.end || (c.end == range.end && text[c.start..].starts_with(b"//")))
    {
        // A comment runs to the end of the line or past it: a comment after it would be inside.
        Edit::replace(c.start..c.start, block)
    } else if text[range.clone()].trim_ascii_end().ends_with(b"\\") {
        // A continued line (a macro): a line comment would swallow the backslash, and the
        // grammar takes no comment right before it, so the comment opens the line.
        let indent = text[range.clone()]
            .iter()
            .take_while(|b| b.is_ascii_whitespace())
            .count();
        let at = range.start + indent;
        Edit::replace(at..at, block)
    } else {
        Edit::replace(range.end..range.end, format!(" // wsalint-ignore {codes}"))
    };
    Fix {
        applicability: Applicability::Safe,
        message: format!("suppress {codes} on this line"),
        edits: vec![edit],
    }
}

/// The byte ranges of the comments of a text.
fn comment_ranges(lang: Lang, text: &[u8]) -> Vec<std::ops::Range<usize>> {
    let mut parser = tree_sitter::Parser::new();
    if parser.set_language(&lang.grammar()).is_err() {
        return Vec::new();
    }
    let Some(tree) = parser.parse(text, None) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    crate::facts::walk(tree.root_node(), |n| {
        if n.kind() == "comment" {
            out.push(n.byte_range());
        }
    });
    out
}

/// For each file of `report` with visible findings, the fixes `fixes_of` makes from them,
/// applied and written (or only shown as a diff) the one way files are written.
fn each_file(
    report: &Report,
    write: bool,
    mut fixes_of: impl FnMut(&Path, &[&Finding]) -> Vec<Fix>,
) -> FixRun {
    let mut result = FixRun::default();
    let mut start = 0;
    let findings = &report.findings;
    while start < findings.len() {
        let path = findings[start].path.clone();
        let end = start
            + findings[start..]
                .iter()
                .take_while(|f| f.path == path)
                .count();
        let group: Vec<&Finding> = findings[start..end]
            .iter()
            .filter(|f| f.suppression.is_none())
            .collect();
        start = end;
        if group.is_empty() {
            continue;
        }
        let owned = fixes_of(&path, &group);
        let fixes: Vec<&Fix> = owned.iter().collect();
        if fixes.is_empty() {
            continue;
        }
        let source = &group[0].source;
        let shown = diff_path(&path);
        let fixed = fix_text(&path, source, &fixes);
        for &i in &fixed.rolled_back {
            let line = fixes[i]
                .edits
                .first()
                .map_or(1, |e| source.position(e.range.start).line);
            result.warnings.push(Warning {
                path: path.clone(),
                message: format!(
                    "fix rolled back: \"{}\" at line {line} would introduce a syntax error",
                    fixes[i].message
                ),
            });
        }
        if fixed.applied.is_empty() || fixed.text == source.text {
            continue;
        }
        if write {
            if let Err(message) = write_fixed(&path, source, &fixed.text) {
                result.warnings.push(Warning {
                    path: path.clone(),
                    message,
                });
                continue;
            }
        }
        result
            .diff
            .push_str(&unified_diff(&shown, &source.text, &fixed.text));
        result.applied += fixed.applied.len();
        result.files += 1;
    }
    result
}

/// The directory a fixed file must stay in once links are followed: the project of `path`
/// (the nearest directory above it, as written, with a config file or a checkout marker), else
/// the directory `path` names. Found without following links, so that a link in the tree
/// (`vendor -> /usr/include`) does not move the project along with it.
fn fix_root(path: &Path) -> Option<PathBuf> {
    let cwd = std::env::current_dir().ok()?;
    let mut abs = PathBuf::new();
    for part in cwd.join(path).components() {
        match part {
            std::path::Component::ParentDir => {
                abs.pop();
            }
            std::path::Component::CurDir => {}
            other => abs.push(other),
        }
    }
    let dir = abs.parent()?;
    let marked = |markers: &[&str]| {
        dir.ancestors()
            .find(|d| markers.iter().any(|m| d.join(m).exists()))
            .map(Path::to_path_buf)
    };
    let root = marked(&["wsalint.toml", ".wsalint.toml"])
        .or_else(|| marked(&[".git", ".hg", ".svn"]))
        .unwrap_or_else(|| dir.to_path_buf());
    std::fs::canonicalize(root).ok()
}

/// Writes the fixed parse text `text` of `source` back to `path` in the file's own encoding,
/// unless the file changed since `source` was read. A symbolic link is followed only to a file
/// inside the project (see `fix_root`): a cloned repository's `x.c -> ~/.bashrc` is never
/// rewritten. The file is replaced atomically (a temporary file, then a rename), except when
/// that would lose something (see `write_in_place`).
pub fn write_fixed(path: &Path, source: &Source, text: &[u8]) -> Result<(), String> {
    // Write to the file a symbolic link points to, not over the link.
    let target: PathBuf =
        std::fs::canonicalize(path).map_err(|e| format!("not fixed: cannot resolve: {e}"))?;
    let root = fix_root(path).ok_or("not fixed: cannot resolve its project")?;
    if !target.starts_with(&root) {
        return Err(format!(
            "not fixed: it leads outside the project (to `{}`)",
            crate::source::sanitize_for_terminal(&target.display().to_string())
        ));
    }
    let original = source.encode(&source.text);
    let unchanged = || -> Result<(), String> {
        let now = crate::engine::read_regular_file(&target, i64::MAX as u64)
            .map_err(|m| format!("not fixed: {}", m.trim_start_matches("skipped: ")))?;
        if now != original {
            return Err("not fixed: the file changed since it was read".to_string());
        }
        Ok(())
    };
    unchanged()?;
    let meta = std::fs::metadata(&target)
        .map_err(|e| format!("not fixed: cannot read its permissions: {e}"))?;
    if write_in_place(&meta) {
        return overwrite(&target, &source.encode(text), unchanged);
    }
    let permissions = meta.permissions();
    let dir = target
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let bytes = source.encode(text);
    let io = |e: std::io::Error| format!("not fixed: cannot write: {e}");
    let mut tmp = tempfile::Builder::new()
        .prefix(".wsalint-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(io)?;
    tmp.write_all(&bytes).map_err(io)?;
    tmp.as_file().set_permissions(permissions).map_err(io)?;
    tmp.as_file().sync_all().map_err(io)?;
    // Narrow the window: check again just before the rename (the temporary file is removed when
    // `tmp` is dropped on this early return).
    unchanged()?;
    tmp.persist(&target).map_err(|e| io(e.error))?;
    Ok(())
}

/// Whether a file is written in place rather than replaced: a replacement is a new file, so a
/// file with several hard links would keep its old text under its other names, and a file of
/// another owner (a run as root over a user's tree) would become the runner's.
#[cfg(unix)]
fn write_in_place(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::MetadataExt;
    // SAFETY: `geteuid` has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    meta.nlink() > 1 || meta.uid() != me
}

#[cfg(not(unix))]
fn write_in_place(_meta: &std::fs::Metadata) -> bool {
    false
}

/// Writes `bytes` over the file `target` (a resolved path) in place, checking just before that
/// it still holds what was read: opened without following a link and without creating a file,
/// refused unless it is the same regular file, truncated to the new length after the write.
fn overwrite(
    target: &Path,
    bytes: &[u8],
    unchanged: impl Fn() -> Result<(), String>,
) -> Result<(), String> {
    let io = |e: std::io::Error| format!("not fixed: cannot write: {e}");
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK);
    }
    let before = std::fs::symlink_metadata(target).map_err(io)?;
    let mut file = options.open(target).map_err(io)?;
    let opened = file.metadata().map_err(io)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if !opened.is_file() || (opened.dev(), opened.ino()) != (before.dev(), before.ino()) {
            return Err("not fixed: the file changed since it was read".to_string());
        }
    }
    #[cfg(not(unix))]
    let _ = (before, &opened);
    unchanged()?;
    file.write_all(bytes).map_err(io)?;
    file.set_len(bytes.len() as u64).map_err(io)?;
    file.sync_all().map_err(io)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Encoding;

    fn fix(edits: &[(usize, usize, &str)]) -> Fix {
        Fix::safe(
            "test",
            edits
                .iter()
                .map(|&(s, e, c)| Edit::replace(s..e, c))
                .collect(),
        )
    }

    #[test]
    fn overlapping_fixes_wait_for_the_next_run() {
        let src = Source::from_text(b"int a = b < 0;\n".to_vec(), Encoding::Utf8);
        let f1 = fix(&[(10, 11, "=="), (12, 13, "X")]);
        let f2 = fix(&[(12, 13, "Y")]);
        let f3 = fix(&[(0, 3, "long")]);
        let fixed = fix_text(Path::new("a.c"), &src, &[&f1, &f2, &f3]);
        assert_eq!(fixed.text, b"long a = b == X;\n");
        assert_eq!(fixed.applied, vec![2, 0]);
        assert_eq!(fixed.deferred, vec![1]);
    }

    #[test]
    fn insertions_at_the_same_offset_conflict() {
        let f1 = fix(&[(3, 3, "x")]);
        let f2 = fix(&[(3, 3, "y")]);
        assert_eq!(select(10, &[&f1, &f2]), (vec![0], vec![1]));
        let out_of_bounds = fix(&[(8, 12, "z")]);
        assert_eq!(select(10, &[&out_of_bounds]), (vec![], vec![]));
    }

    #[test]
    fn crlf_files_keep_crlf_in_inserted_lines() {
        let src = Source::from_text(b"int a;\r\nint b;\r\n".to_vec(), Encoding::Utf8);
        let f = fix(&[(8, 8, "int c;\n")]);
        let fixed = fix_text(Path::new("a.c"), &src, &[&f]);
        assert_eq!(fixed.text, b"int a;\r\nint c;\r\nint b;\r\n");
    }

    #[test]
    fn a_fix_that_breaks_syntax_is_rolled_back_alone() {
        let code = b"int f(void) { return a < 0; }\nint g;\n";
        let src = Source::from_text(code.to_vec(), Encoding::Utf8);
        let good = fix(&[(30, 33, "long")]);
        let bad = fix(&[(27, 28, "{")]);
        let fixed = fix_text(Path::new("a.c"), &src, &[&good, &bad]);
        assert_eq!(fixed.rolled_back, vec![1]);
        assert_eq!(fixed.applied, vec![0]);
        assert_eq!(fixed.text, b"int f(void) { return a < 0; }\nlong g;\n");
    }

    #[test]
    fn windows_1252_bytes_outside_edits_stay() {
        let code = b"/* Gr\xf6\xdfe */ int a;\n";
        let src = Source::decode(code).unwrap();
        let at = code.iter().position(|&b| b == b'a').unwrap();
        let f = fix(&[(at, at + 1, "b")]);
        let fixed = fix_text(Path::new("a.c"), &src, &[&f]);
        assert_eq!(src.encode(&fixed.text), b"/* Gr\xf6\xdfe */ int b;\n");
    }

    #[test]
    fn ignore_comments_fit_the_line() {
        let fixed = |text: &str, line: usize| {
            let source = Source::decode(text.as_bytes()).unwrap();
            let comments = comment_ranges(Lang::C, &source.text);
            let fix = ignore_fix(&source, &comments, line, "WSA201");
            let fixed = fix_text(Path::new("a.c"), &source, &[&fix]);
            String::from_utf8(fixed.text).unwrap()
        };
        assert_eq!(fixed("f();\n", 1), "f(); // wsalint-ignore WSA201\n");
        assert_eq!(
            fixed("f(); // NOLINT(x)\n", 1),
            "f(); /* wsalint-ignore WSA201 */ // NOLINT(x)\n"
        );
        assert_eq!(
            fixed("f(); // wsalint-ignore: WSA206 -- why\n", 1),
            "f(); // wsalint-ignore: WSA201, WSA206 -- why\n"
        );
        assert_eq!(
            fixed("#define M(s) \\\n  f(s); \\\n  g()\n", 2),
            "#define M(s) \\\n  /* wsalint-ignore WSA201 */ f(s); \\\n  g()\n"
        );
        // A `-next-line` comment on the line is about the next line: a comment of its own.
        assert_eq!(
            fixed("f(); /* wsalint-ignore-next-line WSA1 */\n", 1),
            "f(); /* wsalint-ignore-next-line WSA1 */ // wsalint-ignore WSA201\n"
        );
    }

    #[test]
    fn diff_paths_outside_the_current_directory_climb() {
        let rel = |p: &str, b: &str| crate::diagnostic::relative_to(Path::new(p), Path::new(b));
        assert_eq!(rel("/tmp/x/a.c", "/tmp/y"), Some(PathBuf::from("../x/a.c")));
        assert_eq!(rel("/tmp/y/a.c", "/tmp/y"), Some(PathBuf::from("a.c")));
        assert_eq!(rel("/a.c", "/tmp/y"), Some(PathBuf::from("../../a.c")));
        assert_eq!(diff_path(Path::new("src/a.c")), "src/a.c");
    }

    #[test]
    fn diff_names_both_sides() {
        let d = unified_diff("x.c", b"a\nb\n", b"a\nc\n");
        assert!(d.starts_with("--- a/x.c\n+++ b/x.c\n"), "{d}");
        assert!(d.contains("-b\n+c\n"), "{d}");
    }

    #[test]
    fn diff_names_are_quoted_as_git_quotes_them() {
        let d = unified_diff("x\n+++ b/evil.c\x1b[2J\u{202e}\"\\.c", b"a\n", b"b\n");
        let header = "--- \"a/x\\n+++ b/evil.c\\033[2J\\342\\200\\256\\\"\\\\.c\"\n";
        assert!(d.starts_with(header), "{d}");
        assert_eq!(d.lines().filter(|l| l.starts_with("+++")).count(), 1, "{d}");
        assert!(!d.chars().any(|c| c == '\x1b' || c == '\u{202e}'), "{d}");
        // Plain names stay as they are, non-ASCII letters included.
        assert!(unified_diff("é.c", b"a\n", b"b\n").starts_with("--- a/é.c\n"));
    }
}
