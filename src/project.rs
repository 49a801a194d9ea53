//! Project roots: which project a file belongs to, for the project-wide phase.
//!
//! A project is the directory of the nearest `wsalint.toml` or `.wsalint.toml` above a file,
//! else of the nearest version-control root (`.git`, `.hg`, `.svn`); files with neither above
//! them belong to the run itself (the directories given). The project-wide phase (`Rule::finish`) judges each project on its own, so two
//! projects linted in one run never see each other's facts; and a run that names only some
//! files of a project (a pre-commit hook names the staged files) reads the rest of the project
//! for its facts (see `Engine::stream` and `Scope`).

pub mod index;
pub mod scan;
pub mod summary;

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::config::CONFIG_NAMES;
use crate::walk::WalkOptions;

/// Entries that mark the root of a version-control checkout (`.git` is a file in a worktree
/// or a submodule).
const VCS_MARKERS: &[&str] = &[".git", ".hg", ".svn"];

/// The nearest config file (`wsalint.toml`, else `.wsalint.toml`) in `dir` or above it: the
/// one search for a config, which both a file's settings (`check`, the language server) and
/// its project root come from. `dir` is searched as given; callers resolve it first when it
/// may hold `..` or links.
pub fn config_in(dir: &Path) -> Option<PathBuf> {
    dir.ancestors().find_map(|d| {
        CONFIG_NAMES
            .iter()
            .map(|name| d.join(name))
            .find(|candidate| candidate.is_file())
    })
}

/// The directory of the file at `path`, resolved (`canonicalize`); `None` when it cannot be
/// (a buffer the editor has not saved, in a directory that does not exist).
pub fn dir_of(path: &Path) -> Option<PathBuf> {
    let dir = path.parent().unwrap_or(Path::new(""));
    std::fs::canonicalize(if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    })
    .ok()
}

/// `path` without `.` and `..` components, resolved as text (for a path that does not exist,
/// which `canonicalize` cannot resolve).
pub fn normalize(path: &Path) -> PathBuf {
    use std::path::Component;
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir => {
                if !out.pop() {
                    out.push("..");
                }
            }
            other => out.push(other),
        }
    }
    out
}

/// The root of the project of the file at `path` (see the module docs), or `None` when no
/// config file or checkout is above it (or its directory cannot be resolved, as for a buffer
/// the editor has not saved): such files belong to the run.
pub fn root_of(path: &Path) -> Option<PathBuf> {
    let start = dir_of(path)?;
    if let Some(config) = config_in(&start) {
        return config.parent().map(Path::to_path_buf);
    }
    start
        .ancestors()
        .find(|d| VCS_MARKERS.iter().any(|m| d.join(m).exists()))
        .map(Path::to_path_buf)
}

/// `root_of`, remembered per directory: a run asks once per directory, not once per file.
#[derive(Default)]
pub struct Roots {
    by_dir: HashMap<PathBuf, Option<PathBuf>>,
}

impl Roots {
    /// The project root of the file at `path`.
    pub fn of(&mut self, path: &Path) -> Option<PathBuf> {
        let dir = path.parent().unwrap_or(Path::new("")).to_path_buf();
        // Directories come in path order: a bounded cache keeps the run's memory flat.
        if self.by_dir.len() > 4096 {
            self.by_dir.clear();
        }
        self.by_dir
            .entry(dir)
            .or_insert_with(|| root_of(path))
            .clone()
    }
}

/// What a command-line run names, so that the project-wide phase can read the rest of a
/// project whose files were named only in part.
#[derive(Clone, Default)]
pub struct Scope {
    /// The paths named on the command line, resolved (`canonicalize`).
    pub named: Vec<PathBuf>,
    /// How the rest of a project is walked (the same `.gitignore` and `exclude` rules).
    pub walk: WalkOptions,
}

impl Scope {
    pub fn new(paths: &[PathBuf], walk: WalkOptions) -> Scope {
        Scope {
            named: paths
                .iter()
                .filter_map(|p| std::fs::canonicalize(p).ok())
                .collect(),
            walk,
        }
    }

    /// Whether the run walked the whole project at `root` (a named path is the root or above
    /// it), so that there is nothing more to read.
    pub fn covers(&self, root: &Path) -> bool {
        self.named.iter().any(|n| root.starts_with(n))
    }

    /// Whether `file` (resolved) was read by the run already: it is, or is under, a named path.
    pub fn named_already(&self, file: &Path) -> bool {
        self.named.iter().any(|n| file.starts_with(n))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_nearest_config_then_vcs_root_then_the_directory() {
        let tmp = tempfile::tempdir().unwrap();
        let top = std::fs::canonicalize(tmp.path()).unwrap();
        let repo = top.join("repo");
        let lib = repo.join("vendor/lib");
        let plain = top.join("plain/src");
        for d in [&lib, &plain, &repo.join(".git")] {
            std::fs::create_dir_all(d).unwrap();
        }
        std::fs::write(lib.join("wsalint.toml"), "").unwrap();
        // A directory that does not exist cannot be placed.
        assert_eq!(root_of(&repo.join("src/net.c")), None);
        std::fs::create_dir_all(repo.join("src")).unwrap();
        assert_eq!(root_of(&repo.join("src/net.c")), Some(repo.clone()));
        std::fs::create_dir_all(lib.join("x")).unwrap();
        // The config file wins over the checkout around it.
        assert_eq!(root_of(&lib.join("x/y.c")), Some(lib.clone()));
        // Without a marker below `top` (the temporary directory may sit in a checkout, so only
        // that the answer is not below `top` is asserted).
        let root = root_of(&plain.join("a.c"));
        assert!(
            root.as_ref().is_none_or(|r| !r.starts_with(&top)),
            "{root:?}"
        );
        // A `.git` file (a worktree) marks a root too.
        let worktree = top.join("wt");
        std::fs::create_dir_all(worktree.join("src")).unwrap();
        std::fs::write(worktree.join(".git"), "gitdir: elsewhere\n").unwrap();
        assert_eq!(root_of(&worktree.join("src/a.c")), Some(worktree));
    }

    #[test]
    fn normalize_resolves_dots_as_text() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d.c")),
            Path::new("/a/c/d.c")
        );
        assert_eq!(normalize(Path::new("../x/../y")), Path::new("../y"));
    }

    #[test]
    fn unresolvable_paths_belong_to_the_run() {
        assert_eq!(root_of(Path::new("/no/such/dir/a.c")), None);
    }

    #[test]
    fn scope_knows_what_was_named() {
        let tmp = tempfile::tempdir().unwrap();
        let top = std::fs::canonicalize(tmp.path()).unwrap();
        std::fs::create_dir_all(top.join("src")).unwrap();
        std::fs::write(top.join("src/a.c"), "").unwrap();
        let scope = Scope::new(&[top.join("src/a.c")], WalkOptions::default());
        assert!(!scope.covers(&top));
        assert!(scope.named_already(&top.join("src/a.c")));
        assert!(!scope.named_already(&top.join("src/b.c")));
        let scope = Scope::new(std::slice::from_ref(&top), WalkOptions::default());
        assert!(scope.covers(&top.join("sub")));
        assert!(scope.covers(&top));
    }
}
