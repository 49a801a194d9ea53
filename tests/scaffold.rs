//! `scripts/new-rule` cannot rot: run in a copy of the checkout, it writes a rule file, a query
//! that compiles against both grammars, a fixture folder with a positive and a trap, and the
//! rule's line in the `rules!` list, in code order. The ignored test (run by `.ci/run`) goes
//! further: in a full copy, the generated rule builds and passes the fixtures and registry tests.

use std::path::{Path, PathBuf};
use std::process::Command;

use wsalint::lang::Lang;
use wsalint::query::compile_one;
use wsalint::rules::QuerySource;

fn checkout() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Copies `parts` of the checkout (files or folders) into `to`.
fn copy_checkout(to: &Path, parts: &[&str]) {
    for part in parts {
        let from = checkout().join(part);
        if from.is_dir() {
            copy_tree(&from, &to.join(part));
        } else {
            std::fs::create_dir_all(to.join(part).parent().unwrap()).unwrap();
            std::fs::copy(&from, to.join(part)).unwrap();
        }
    }
}

/// Runs `scripts/new-rule ARGS` in the copy at `root`: (success, stdout and stderr).
fn new_rule(root: &Path, args: &[&str]) -> (bool, String) {
    let out = Command::new("python3")
        .arg(root.join("scripts/new-rule"))
        .args(args)
        .output()
        .expect("python3 runs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn new_rule_writes_the_three_places_and_the_list_entry() {
    let dir = tempfile::tempdir().unwrap();
    // No `../shared` beside the copy: the catalog is not asked.
    let root = dir.path().join("wsalint");
    copy_checkout(&root, &["scripts/new-rule", "src/rules/mod.rs"]);
    std::fs::create_dir_all(root.join("queries")).unwrap();
    std::fs::create_dir_all(root.join("fixtures")).unwrap();
    let (ok, out) = new_rule(
        &root,
        &["WSA150", "socket-left-open", "--severity", "error"],
    );
    assert!(ok, "{out}");

    let rule = read(root.join("src/rules/wsa150_socket_left_open.rs"));
    assert!(rule.starts_with("//! WSA150 socket-left-open.\n"), "{rule}");
    assert!(rule.contains("pub struct SocketLeftOpen;"), "{rule}");
    assert!(rule.contains("severity: Severity::Error,"), "{rule}");
    assert!(
        rule.contains("query!(\"wsa150-socket-left-open.scm\")"),
        "{rule}"
    );
    for section in [
        "## What it does",
        "## Why is this bad?",
        "## Example",
        "## Use instead",
        "## Fix safety",
        "## References",
    ] {
        assert!(rule.contains(section), "{section}");
    }

    let query = read(root.join("queries/wsa150-socket-left-open.scm"));
    assert!(query.starts_with("; WSA150 socket-left-open\n"), "{query}");
    let source = QuerySource {
        file: "wsa150-socket-left-open.scm",
        text: Box::leak(query.into_boxed_str()),
        cpp_only: false,
    };
    for lang in Lang::ALL {
        if let Err(e) = compile_one(&source, lang) {
            panic!("{e} ({})", lang.name());
        }
    }

    let fixtures = root.join("fixtures/wsa150-socket-left-open");
    let positive = read(fixtures.join("example.c"));
    assert!(
        positive.contains("// fixture-select: WSA150\n"),
        "{positive}"
    );
    assert!(
        positive.contains("\n//  ^^^^^^^^^^^^ WSA150 `TODO_call` is called here\n"),
        "{positive}"
    );
    let trap = read(fixtures.join("trap-look-alike.c"));
    assert!(!trap.contains(" WSA150 `"), "{trap}");

    // The list keeps code order: WSA150 between WSA107 and WSA201.
    let list = read(root.join("src/rules/mod.rs"));
    let at = |entry: &str| list.find(entry).unwrap_or_else(|| panic!("no {entry}"));
    let entry = at("    wsa150_socket_left_open::SocketLeftOpen,\n");
    assert!(at("    wsa107_") < entry && entry < at("    wsa201_"));
    let original = read(checkout().join("src/rules/mod.rs"));
    assert_eq!(list.lines().count(), original.lines().count() + 1);

    // Nothing is overwritten: the same code, or the same name, is refused.
    let (ok, out) = new_rule(&root, &["WSA150", "another-name"]);
    assert!(
        !ok && out.contains("WSA150 is already in the `rules!` list"),
        "{out}"
    );
    let (ok, out) = new_rule(&root, &["WSA151", "socket-left-open"]);
    assert!(
        !ok && out.contains("the name `socket-left-open` is taken"),
        "{out}"
    );
    let (ok, out) = new_rule(&root, &["WSA15", "x"]);
    assert!(!ok && out.contains("is not a rule code"), "{out}");
    assert_eq!(read(root.join("src/rules/mod.rs")), list);
}

/// The generated rule builds and passes as generated, in a full copy of the checkout. Its
/// target directory is `WSALINT_SCAFFOLD_TARGET_DIR` when set (CI gives the checkout's own, so
/// only the copied crate is compiled: run the test binary itself then, as cargo holds that
/// directory's lock while it runs tests), else one under `target/tmp`, kept between runs:
/// minutes the first time. The copy's package is renamed: cargo names a package's artifacts
/// by its name and its path inside the workspace, so a copy of the same name would overwrite
/// the checkout's own in a shared directory.
#[test]
#[ignore = "builds a copy of the crate; run by .ci/run"]
fn a_new_rule_builds_and_passes_its_fixtures() {
    let work = Path::new(env!("CARGO_TARGET_TMPDIR")).join("scaffold");
    let root = work.join("wsalint");
    if root.exists() {
        std::fs::remove_dir_all(&root).unwrap();
    }
    copy_checkout(
        &root,
        &[
            "Cargo.toml",
            "Cargo.lock",
            "build.rs",
            "README.md",
            "LICENSE",
            "src",
            "queries",
            "fixtures",
            "tests",
            "benches",
            "docs",
            "scripts",
        ],
    );
    let manifest = read(root.join("Cargo.toml"));
    let renamed = manifest
        .replacen(
            "[package]\nname = \"wsalint\"",
            "[package]\nname = \"wsalint-scaffold\"",
            1,
        )
        .replacen("[lib]\n", "[lib]\nname = \"wsalint\"\n", 1);
    assert!(renamed.contains("wsalint-scaffold") && renamed.contains("[lib]\nname"));
    std::fs::write(root.join("Cargo.toml"), renamed).unwrap();
    let (ok, out) = new_rule(&root, &["WSA999", "scaffold-check"]);
    assert!(ok, "{out}");
    let target = std::env::var_os("WSALINT_SCAFFOLD_TARGET_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| work.join("target"));
    let cargo = |args: &[&str], bless: bool| {
        let mut cmd = Command::new(env!("CARGO"));
        cmd.current_dir(&root)
            .args(args)
            .env("CARGO_TARGET_DIR", &target)
            .env_remove("WSALINT_BLESS");
        if bless {
            cmd.env("WSALINT_BLESS", "1");
        }
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "cargo {}:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    cargo(&["test", "--test", "registry"], true);
    cargo(&["test", "--test", "fixtures", "--test", "registry"], false);
    if target != work.join("target") {
        // The copy's `wsalint` took the checkout's place in the shared directory: removed, the
        // checkout's own is linked there again by its next build.
        let exe = format!("wsalint{}", std::env::consts::EXE_SUFFIX);
        std::fs::remove_file(target.join("debug").join(exe)).ok();
    }
    let readme = read(root.join("README.md"));
    assert!(
        readme.contains("| scaffold-check | warning |"),
        "README table"
    );
}
