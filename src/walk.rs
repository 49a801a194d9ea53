//! Which files to lint: explicit paths (any extension) and directories (the extension table),
//! .gitignore respected unless `--no-ignore`, `--exclude` globs, symlink loops and non-regular
//! files skipped with a warning naming the file. Nothing here opens a file, so nothing blocks.

use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};

use crate::lang;

/// A file skipped, or a path that could not be read, with why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub path: PathBuf,
    pub message: String,
}

#[derive(Clone, Default)]
pub struct WalkOptions {
    pub no_ignore: bool,
    pub exclude: Vec<String>,
    /// Entries the walk skips, with what is below them, besides `exclude` (what each file's
    /// config excludes, relative to the config's directory).
    pub prune: Option<Prune>,
}

/// Whether the walk skips an entry (and what is below it).
pub type Prune = std::sync::Arc<dyn Fn(&Path) -> bool + Send + Sync>;

#[derive(Debug, Default)]
pub struct Walked {
    pub files: Vec<PathBuf>,
    pub warnings: Vec<Warning>,
    /// An explicit path did not exist (an I/O error: exit 2).
    pub missing: bool,
}

/// Builds the exclusion set; a bad glob is an error message.
pub fn exclude_set(globs: &[String]) -> Result<GlobSet, String> {
    let mut b = GlobSetBuilder::new();
    for g in globs {
        let glob = Glob::new(g).map_err(|e| format!("bad --exclude glob `{g}`: {}", e.kind()))?;
        b.add(glob);
        // `vendor` or `vendor/` also excludes everything below it.
        let trimmed = g.trim_end_matches('/');
        if !trimmed.contains('*') {
            if let Ok(below) = Glob::new(&format!("{trimmed}/**")) {
                b.add(below);
            }
        }
    }
    b.build().map_err(|e| e.to_string())
}

/// Whether `path` is excluded: the glob matches the path (without a leading `./`), its name,
/// or any trailing part of it (`build/**` excludes `src/build/x.c`).
pub fn is_excluded(set: &GlobSet, path: &Path) -> bool {
    if set.is_empty() {
        return false;
    }
    let path = path.strip_prefix(".").unwrap_or(path);
    if set.is_match(path) {
        return true;
    }
    if path.file_name().is_some_and(|n| set.is_match(n)) {
        return true;
    }
    let comps: Vec<_> = path.components().collect();
    (1..comps.len()).any(|i| set.is_match(comps[i..].iter().collect::<PathBuf>()))
}

/// Walks the given paths and collects every file, sorted (the language server's index, the
/// parse-only benchmark). `check` streams them instead (`Walk`).
pub fn discover(paths: &[PathBuf], opts: &WalkOptions) -> Result<Walked, String> {
    let mut walk = Walk::new(paths, opts)?;
    let mut files: Vec<PathBuf> = walk.by_ref().collect();
    files.sort();
    Ok(Walked {
        files,
        warnings: walk.warnings,
        missing: walk.missing,
    })
}

/// The files to lint, found one at a time while they are linted, so that a run never holds the
/// list of a whole tree: first the files named explicitly, then each directory walked in path
/// order (entries sorted by name, depth first). A file reached twice is linted once, under the
/// first of its names: a directory reached again (through a link, or named inside another one
/// named) is not walked again, and a file that may have another name (a hard link, a file also
/// named explicitly) is checked against the ones seen. What is remembered is one id per
/// directory and per such file, not one per file.
pub struct Walk {
    files: std::vec::IntoIter<PathBuf>,
    dirs: std::vec::IntoIter<PathBuf>,
    current: Option<ignore::Walk>,
    root: PathBuf,
    no_ignore: bool,
    exclude: GlobSet,
    prune: Option<Prune>,
    /// Ids of the directories walked (shared with the walker's entry filter).
    seen_dirs: std::sync::Arc<std::sync::Mutex<std::collections::HashSet<FileId>>>,
    /// Ids of the files that may be reached under another name.
    seen_files: std::collections::HashSet<FileId>,
    /// Files that could not be walked, in the order met.
    pub warnings: Vec<Warning>,
    /// An explicit path did not exist (an I/O error: exit 2).
    pub missing: bool,
    /// The explicit paths that do not exist (each also has its warning).
    pub missing_paths: Vec<PathBuf>,
}

impl Walk {
    /// Checks the explicit paths now (a missing one is a warning and sets `missing`); the
    /// directories are walked as the files are asked for.
    pub fn new(paths: &[PathBuf], opts: &WalkOptions) -> Result<Walk, String> {
        let exclude = exclude_set(&opts.exclude)?;
        let mut warnings = Vec::new();
        let mut missing_paths = Vec::new();
        let (mut files, mut dirs) = (Vec::new(), Vec::new());
        for root in paths {
            let meta = match std::fs::metadata(root) {
                Ok(m) => m,
                Err(e) => {
                    let message = if std::fs::symlink_metadata(root).is_ok() {
                        format!("cannot follow link: {}", describe_io(&e))
                    } else {
                        format!("cannot read: {}", describe_io(&e))
                    };
                    warnings.push(Warning {
                        path: root.clone(),
                        message,
                    });
                    missing_paths.push(root.clone());
                    continue;
                }
            };
            if meta.is_file() {
                // Named explicitly: linted whatever its extension, unless excluded.
                if !is_excluded(&exclude, root) {
                    files.push(root.clone());
                }
            } else if meta.is_dir() {
                dirs.push(root.clone());
            } else {
                warnings.push(Warning {
                    path: root.clone(),
                    message: "skipped: not a regular file (a FIFO, socket or device)".into(),
                });
            }
        }
        files.sort();
        files.dedup();
        dirs.sort();
        dirs.dedup();
        // Explicit files are linted first; a walk that meets one again skips it.
        let mut seen_files = std::collections::HashSet::new();
        files.retain(|p| file_id(p).is_none_or(|id| seen_files.insert(id)));
        Ok(Walk {
            files: files.into_iter(),
            dirs: dirs.into_iter(),
            current: None,
            root: PathBuf::new(),
            no_ignore: opts.no_ignore,
            exclude,
            prune: opts.prune.clone(),
            seen_dirs: Default::default(),
            seen_files,
            warnings,
            missing: !missing_paths.is_empty(),
            missing_paths,
        })
    }

    /// The walker of the next directory named, unless that directory was walked already.
    fn next_dir(&mut self) -> Option<ignore::Walk> {
        loop {
            let root = self.dirs.next()?;
            let first = file_id(&root).is_none_or(|id| lock(&self.seen_dirs).insert(id));
            if first {
                self.root = root.clone();
                return Some(self.walker(&root));
            }
        }
    }

    fn walker(&self, root: &Path) -> ignore::Walk {
        let mut builder = ignore::WalkBuilder::new(root);
        let no_ignore = self.no_ignore;
        builder
            .follow_links(true)
            .git_ignore(!no_ignore)
            .git_global(!no_ignore)
            .git_exclude(!no_ignore)
            .ignore(!no_ignore)
            .parents(!no_ignore)
            .require_git(false)
            .hidden(true)
            .sort_by_file_name(|a, b| a.cmp(b));
        let exclude = self.exclude.clone();
        let prune = self.prune.clone();
        let seen = self.seen_dirs.clone();
        builder.filter_entry(move |e| {
            if is_excluded(&exclude, e.path()) || prune.as_ref().is_some_and(|p| p(e.path())) {
                return false;
            }
            // A directory walked already (through a link to it) is not walked again. Links
            // that loop are reported by the walker before they get here.
            let is_dir = e.file_type().is_some_and(|t| t.is_dir());
            !is_dir || file_id(e.path()).is_none_or(|id| lock(&seen).insert(id))
        });
        builder.build()
    }
}

impl Iterator for Walk {
    type Item = PathBuf;

    fn next(&mut self) -> Option<PathBuf> {
        if let Some(file) = self.files.next() {
            return Some(file);
        }
        loop {
            if self.current.is_none() {
                self.current = Some(self.next_dir()?);
            }
            let Some(entry) = self.current.as_mut().and_then(Iterator::next) else {
                self.current = None;
                continue;
            };
            let entry = match entry {
                Ok(e) => e,
                Err(err) => {
                    self.warnings.push(walk_warning(&self.root, &err));
                    continue;
                }
            };
            let Some(ft) = entry.file_type() else {
                continue;
            };
            let path = entry.path();
            if ft.is_dir() || lang::kind_of(path).is_none() {
                continue;
            }
            if !ft.is_file() {
                self.warnings.push(Warning {
                    path: path.to_path_buf(),
                    message: "skipped: not a regular file (a FIFO, socket or device)".into(),
                });
                continue;
            }
            if let Some((id, other_names)) = id_and_links(path) {
                if self.seen_files.contains(&id) {
                    continue;
                }
                if other_names {
                    self.seen_files.insert(id);
                }
            }
            return Some(entry.into_path());
        }
    }
}

fn lock<T>(m: &std::sync::Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(unix)]
type FileId = (u64, u64);
#[cfg(not(unix))]
type FileId = PathBuf;

#[cfg(unix)]
fn file_id(path: &Path) -> Option<FileId> {
    id_and_links(path).map(|(id, _)| id)
}

#[cfg(not(unix))]
fn file_id(path: &Path) -> Option<FileId> {
    std::fs::canonicalize(path).ok()
}

/// The file's id, and whether it may be met again under another name (a hard link).
#[cfg(unix)]
fn id_and_links(path: &Path) -> Option<(FileId, bool)> {
    use std::os::unix::fs::MetadataExt;
    let m = std::fs::metadata(path).ok()?;
    Some(((m.dev(), m.ino()), m.nlink() > 1))
}

#[cfg(not(unix))]
fn id_and_links(path: &Path) -> Option<(FileId, bool)> {
    file_id(path).map(|id| (id, true))
}

fn walk_warning(root: &Path, err: &ignore::Error) -> Warning {
    // Dig the path and the loop out of ignore's nested error.
    let mut path = root.to_path_buf();
    let mut e = err;
    let message;
    loop {
        match e {
            ignore::Error::WithPath { path: p, err } => {
                path = p.clone();
                e = err;
            }
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                e = err
            }
            ignore::Error::Loop { child, .. } => {
                path = child.clone();
                message = "skipped: symbolic link loop".into();
                break;
            }
            ignore::Error::Io(io) => {
                // The walker wraps the OS error with its path; show the OS error alone.
                let inner = io
                    .get_ref()
                    .and_then(|e| e.source())
                    .and_then(|e| e.downcast_ref::<std::io::Error>())
                    .unwrap_or(io);
                message = format!("skipped: {}", describe_io(inner));
                break;
            }
            other => {
                message = format!("skipped: {other}");
                break;
            }
        }
    }
    Warning { path, message }
}

/// An I/O error without the "(os error N)" noise.
pub fn describe_io(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::NotFound => "no such file or directory".into(),
        std::io::ErrorKind::PermissionDenied => "permission denied".into(),
        #[cfg(unix)]
        _ if e.raw_os_error() == Some(libc::ELOOP) => "symbolic link loop".into(),
        _ => {
            let s = e.to_string();
            match s.find(" (os error") {
                Some(i) => s[..i].to_lowercase(),
                None => s,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusion_matches_names_and_trailing_parts() {
        let set = exclude_set(&["vendor".into(), "*.gen.c".into(), "build/**".into()]).unwrap();
        assert!(is_excluded(&set, Path::new("./vendor/x.c")));
        assert!(is_excluded(&set, Path::new("src/a.gen.c")));
        assert!(is_excluded(&set, Path::new("src/build/x.c")));
        assert!(!is_excluded(&set, Path::new("src/net.c")));
    }

    fn names(files: impl Iterator<Item = PathBuf>, root: &Path) -> Vec<String> {
        files
            .map(|p| p.strip_prefix(root).unwrap().display().to_string())
            .collect()
    }

    #[test]
    fn files_come_in_path_order_and_each_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        for f in ["b/z.c", "b/a.c", "a/y.c", "a.c", "a/sub/x.h", "b/notes.txt"] {
            std::fs::create_dir_all(root.join(f).parent().unwrap()).unwrap();
            std::fs::write(root.join(f), "int x;\n").unwrap();
        }
        #[cfg(unix)]
        {
            // A link to a directory walked already, and a second name of a file.
            std::os::unix::fs::symlink(root.join("a"), root.join("c")).unwrap();
            std::fs::hard_link(root.join("b/z.c"), root.join("b/zz.c")).unwrap();
        }
        let walk = Walk::new(
            &[root.join("b/a.c"), root.to_path_buf()],
            &Default::default(),
        );
        let files = names(walk.unwrap(), root);
        // The file named explicitly first; then the walk, depth first with names sorted (as
        // paths sort), without `b/a.c` again, `c` (the same directory as `a`) or `b/zz.c`.
        assert_eq!(files, ["b/a.c", "a/sub/x.h", "a/y.c", "a.c", "b/z.c"]);
        let walked = discover(&[root.to_path_buf()], &Default::default()).unwrap();
        let mut sorted = walked.files.clone();
        sorted.sort();
        assert_eq!(walked.files, sorted);
        assert_eq!(walked.files.len(), 5);
    }

    #[test]
    fn a_directory_named_inside_another_is_walked_once() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        std::fs::create_dir_all(root.join("src/net")).unwrap();
        std::fs::write(root.join("src/net/tcp.c"), "int x;\n").unwrap();
        std::fs::write(root.join("src/main.c"), "int x;\n").unwrap();
        let paths = [root.join("src/net"), root.join("src")];
        let files = names(Walk::new(&paths, &Default::default()).unwrap(), root);
        assert_eq!(files, ["src/main.c", "src/net/tcp.c"]);
    }

    #[test]
    fn missing_paths_are_known_before_the_walk() {
        let dir = tempfile::tempdir().unwrap();
        let walk = Walk::new(&[dir.path().join("gone")], &Default::default()).unwrap();
        assert!(walk.missing);
        assert_eq!(walk.warnings.len(), 1);
        assert_eq!(walk.count(), 0);
    }
}
