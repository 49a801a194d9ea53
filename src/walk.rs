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

#[derive(Default)]
pub struct WalkOptions {
    pub no_ignore: bool,
    pub exclude: Vec<String>,
}

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

/// Walks the given paths.
pub fn discover(paths: &[PathBuf], opts: &WalkOptions) -> Result<Walked, String> {
    let exclude = exclude_set(&opts.exclude)?;
    let mut out = Walked::default();
    for root in paths {
        let meta = match std::fs::metadata(root) {
            Ok(m) => m,
            Err(e) => {
                let message = if std::fs::symlink_metadata(root).is_ok() {
                    format!("cannot follow link: {}", describe_io(&e))
                } else {
                    format!("cannot read: {}", describe_io(&e))
                };
                out.warnings.push(Warning {
                    path: root.clone(),
                    message,
                });
                out.missing = true;
                continue;
            }
        };
        if meta.is_file() {
            // Named explicitly: linted whatever its extension, unless excluded.
            if !is_excluded(&exclude, root) {
                out.files.push(root.clone());
            }
            continue;
        }
        if !meta.is_dir() {
            out.warnings.push(Warning {
                path: root.clone(),
                message: "skipped: not a regular file (a FIFO, socket or device)".into(),
            });
            continue;
        }
        walk_dir(root, opts, &exclude, &mut out);
    }
    out.files.sort();
    out.files.dedup();
    // A file reached twice (through a link to a directory above it, a hard link) is linted once,
    // under the first of its names.
    let mut seen = std::collections::HashSet::new();
    out.files
        .retain(|p| file_id(p).is_none_or(|id| seen.insert(id)));
    Ok(out)
}

#[cfg(unix)]
fn file_id(path: &Path) -> Option<(u64, u64)> {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(path).ok().map(|m| (m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn file_id(path: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(path).ok()
}

fn walk_dir(root: &Path, opts: &WalkOptions, exclude: &GlobSet, out: &mut Walked) {
    let mut builder = ignore::WalkBuilder::new(root);
    builder
        .follow_links(true)
        .git_ignore(!opts.no_ignore)
        .git_global(!opts.no_ignore)
        .git_exclude(!opts.no_ignore)
        .ignore(!opts.no_ignore)
        .parents(!opts.no_ignore)
        .require_git(false)
        .hidden(true);
    let exclude_dirs = exclude.clone();
    builder.filter_entry(move |e| !is_excluded(&exclude_dirs, e.path()));
    for entry in builder.build() {
        let entry = match entry {
            Ok(e) => e,
            Err(err) => {
                out.warnings.push(walk_warning(root, &err));
                continue;
            }
        };
        let Some(ft) = entry.file_type() else {
            continue;
        };
        if ft.is_dir() {
            continue;
        }
        let path = entry.path();
        if lang::kind_of(path).is_none() {
            continue;
        }
        if ft.is_file() {
            out.files.push(path.to_path_buf());
        } else {
            out.warnings.push(Warning {
                path: path.to_path_buf(),
                message: "skipped: not a regular file (a FIFO, socket or device)".into(),
            });
        }
    }
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
}
