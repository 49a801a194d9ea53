//! Puts the commit into `--version` when the crate is built from its own git work tree: one
//! `git rev-parse` per build-script run, and nothing at all (the bare version) without git or
//! outside a work tree (a source tarball, a vendored copy inside another repository).

use std::path::{Path, PathBuf};
use std::process::Command;

fn git(dir: &Path, args: &[&str]) -> Option<String> {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?;
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// `abc1234def56 2026-12-07` and the files whose change means another commit, when `dir` is the
/// top of a work tree.
fn commit(dir: &Path) -> Option<(String, Vec<PathBuf>)> {
    let top = PathBuf::from(git(dir, &["rev-parse", "--show-toplevel"])?);
    if top.canonicalize().ok()? != dir.canonicalize().ok()? {
        return None;
    }
    let info = git(dir, &["log", "-1", "--format=%h %cs"])?;
    let git_dir = PathBuf::from(git(dir, &["rev-parse", "--absolute-git-dir"])?);
    let common = dir.join(git(dir, &["rev-parse", "--git-common-dir"])?);
    let mut watch = vec![git_dir.join("HEAD"), common.join("packed-refs")];
    if let Some(branch) = git(dir, &["symbolic-ref", "-q", "HEAD"]) {
        watch.push(common.join(branch));
    }
    // A file that does not exist would make every build run the script again.
    watch.retain(|p| p.exists());
    Some((info, watch))
}

fn main() {
    let version = std::env::var("CARGO_PKG_VERSION").unwrap_or_default();
    let dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    println!("cargo:rerun-if-changed=build.rs");
    let shown = match commit(&dir) {
        Some((info, watch)) => {
            for p in watch {
                println!("cargo:rerun-if-changed={}", p.display());
            }
            format!("{version} ({info})")
        }
        None => {
            // A checkout where git failed this time (busy, or not installed yet): try again
            // when the repository changes, rather than never.
            let git_dir = dir.join(".git");
            if git_dir.exists() {
                println!("cargo:rerun-if-changed={}", git_dir.display());
            }
            version
        }
    };
    println!("cargo:rustc-env=WSALINT_VERSION={shown}");
}
