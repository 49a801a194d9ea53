//! `--fix`, `--unsafe-fixes` and `--diff` on temporary copies: exact bytes in every encoding,
//! idempotence, files left untouched by `--diff`, files that changed under the run, and fixes
//! rolled back because they would break the syntax.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use wsalint::config::Config;
use wsalint::diagnostic::{Diagnostic, Edit, Finding, Fix, Severity};
use wsalint::engine::{Engine, Report};
use wsalint::fix::{self, FixOptions};
use wsalint::source::Source;

fn wsalint() -> Command {
    Command::cargo_bin("wsalint").unwrap()
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Every file under `dir` with its bytes.
fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(p.clone(), std::fs::read(&p).unwrap());
            }
        }
    }
    out
}

fn copy_dir(from: &Path, to: &Path) {
    for (path, bytes) in snapshot(from) {
        let dest = to.join(path.strip_prefix(from).unwrap());
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::write(dest, bytes).unwrap();
    }
}

#[test]
fn fix_writes_the_fixed_bytes_in_every_encoding_twice_in_a_row() {
    let names = [
        "fix-crlf.c",
        "fix-utf8-bom.c",
        "fix-utf16le-bom-crlf.c",
        "fix-utf16be-bom.c",
        "fix-windows-1252.c",
    ];
    for name in names {
        let dir = tempfile::tempdir().unwrap();
        let src = fixtures().join("encodings").join(name);
        let want = std::fs::read(format!("{}.fixed", src.display())).unwrap();
        let file = dir.path().join(name);
        std::fs::copy(&src, &file).unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o640)).unwrap();
        }
        let out = wsalint()
            .current_dir(dir.path())
            .args(["--fix", "--color", "never", name])
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert_eq!(out.status.code(), Some(0), "{name}: {stdout}");
        assert!(
            stdout.contains("Applied 2 fixes, 0 fixable with --fix remaining."),
            "{name}: {stdout}"
        );
        assert_eq!(std::fs::read(&file).unwrap(), want, "{name}: first --fix");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&file).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o640, "{name}: permissions kept");
        }
        wsalint()
            .current_dir(dir.path())
            .args(["--fix", name])
            .assert()
            .code(0);
        assert_eq!(std::fs::read(&file).unwrap(), want, "{name}: second --fix");
        // Nothing else was left in the directory (no temporary files).
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1, "{name}");
    }
}

#[test]
fn diff_prints_the_fixes_and_leaves_every_file_untouched() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures(), dir.path());
    let before = snapshot(dir.path());
    let out = wsalint()
        .current_dir(dir.path())
        .args(["--diff", "--unsafe-fixes", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.contains("--- a/wsa202-close-on-socket/session.cpp\n"),
        "{diff}"
    );
    assert!(
        diff.contains(
            "-    ~Session() { ::close(sock_); }\n+    ~Session() { ::closesocket(sock_); }\n"
        ),
        "{diff}"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("Would apply "), "{stderr}");
    assert_eq!(snapshot(dir.path()), before, "--diff wrote to a file");
}

#[test]
fn fix_on_the_whole_fixture_tree_produces_every_fixed_file() {
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&fixtures(), dir.path());
    wsalint()
        .current_dir(dir.path())
        .args(["--fix", "--quiet", "."])
        .assert()
        .code(1);
    let after = snapshot(dir.path());
    let mut checked = 0;
    for (path, bytes) in &after {
        let Some(name) = path.to_str().and_then(|p| p.strip_suffix(".fixed")) else {
            continue;
        };
        assert_eq!(
            after.get(Path::new(name)),
            Some(bytes),
            "{name} after --fix differs from its .fixed file"
        );
        checked += 1;
    }
    assert!(checked >= 5);
    // A second run changes nothing.
    wsalint()
        .current_dir(dir.path())
        .args(["--fix", "--quiet", "."])
        .assert()
        .code(1);
    assert_eq!(snapshot(dir.path()), after);
}

#[test]
fn diff_of_clean_code_is_empty_and_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("ok.c"), "int main(void) { return 0; }\n").unwrap();
    wsalint()
        .current_dir(dir.path())
        .args(["--diff", "ok.c"])
        .assert()
        .code(0)
        .stdout("");
}

/// Lints `file` with the default config, as the command line does.
fn lint(file: &Path) -> Report {
    let engine = Engine::new(Config::default(), Vec::new()).unwrap();
    engine.run(&[file.to_path_buf()], Some(1))
}

#[test]
fn a_file_changed_between_read_and_write_is_not_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("client.c");
    let code = "#include <winsock2.h>\nvoid f(SOCKET s)\n{\n    close(s);\n}\n";
    std::fs::write(&file, code).unwrap();
    let report = lint(&file);
    assert_eq!(report.visible().count(), 1);
    // Someone saves the file while the run is under way.
    let edited = format!("{code}/* edited meanwhile */\n");
    std::fs::write(&file, &edited).unwrap();
    let done = fix::run(
        &report,
        FixOptions {
            unsafe_fixes: false,
            write: true,
        },
    );
    assert_eq!(done.applied, 0);
    assert_eq!(done.warnings.len(), 1);
    assert!(
        done.warnings[0]
            .message
            .contains("the file changed since it was read"),
        "{}",
        done.warnings[0].message
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), edited);
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
}

#[test]
fn a_fix_that_would_break_the_syntax_is_rolled_back_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("server.c");
    let code = "#include <winsock2.h>\nint f(SOCKET s)\n{\n    return s < 0;\n}\nint g(SOCKET s)\n{\n    close(s);\n    return 0;\n}\n";
    std::fs::write(&file, code).unwrap();
    let mut report = lint(&file);
    assert_eq!(report.visible().count(), 2);
    // A fix as a careless rule could write it: it opens a brace that never closes.
    let source: Arc<Source> = report.findings[0].source.clone();
    let at = code.find("return s").unwrap();
    let bad = Diagnostic {
        code: "WSA999".into(),
        name: "careless".into(),
        severity: Severity::Warning,
        range: at..at + 6,
        message: "m".into(),
        related: Vec::new(),
        fix: Some(Fix::safe(
            "open a block",
            vec![Edit::replace(at..at + 6, "{ return")],
        )),
    };
    let path = report.findings[0].path.clone();
    report.findings.push(Finding::new(bad, path, source));
    let done = fix::run(
        &report,
        FixOptions {
            unsafe_fixes: false,
            write: true,
        },
    );
    assert_eq!(done.warnings.len(), 1, "{:?}", done.warnings);
    assert!(
        done.warnings[0].message.starts_with(
            "fix rolled back: \"open a block\" at line 4 would introduce a syntax error"
        ),
        "{}",
        done.warnings[0].message
    );
    // The other fixes went in; the bad one did not.
    assert_eq!(done.applied, 2);
    let now = std::fs::read_to_string(&file).unwrap();
    assert_eq!(
        now,
        code.replace("s < 0", "s == INVALID_SOCKET")
            .replace("close(s)", "closesocket(s)")
    );
}

#[test]
fn unsafe_fixes_are_not_applied_by_fix_alone() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.c");
    let code = "#include <winsock2.h>\nint f(SOCKET s)\n{\n    return s;\n}\n";
    std::fs::write(&file, code).unwrap();
    let report = lint(&file);
    let source = Arc::new(Source::decode(code.as_bytes()).unwrap());
    let mut report = Report {
        files_checked: report.files_checked,
        ..Report::default()
    };
    let at = code.find("return s").unwrap() + 7;
    let diag = Diagnostic {
        code: "WSA999".into(),
        name: "maybe".into(),
        severity: Severity::Warning,
        range: at..at + 1,
        message: "m".into(),
        related: Vec::new(),
        fix: Some(Fix::unsafe_(
            "cast",
            vec![Edit::replace(at..at + 1, "(int)s")],
        )),
    };
    report
        .findings
        .push(Finding::new(diag, file.clone(), source));
    let safe_only = fix::run(
        &report,
        FixOptions {
            unsafe_fixes: false,
            write: true,
        },
    );
    assert_eq!(safe_only.applied, 0);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), code);
    let with_unsafe = fix::run(
        &report,
        FixOptions {
            unsafe_fixes: true,
            write: true,
        },
    );
    assert_eq!(with_unsafe.applied, 1);
    assert!(std::fs::read_to_string(&file)
        .unwrap()
        .contains("return (int)s;"));
}

#[cfg(unix)]
#[test]
fn fix_through_a_symbolic_link_writes_the_target_and_keeps_the_link() {
    let dir = tempfile::tempdir().unwrap();
    let target = dir.path().join("real.c");
    let code = "#include <winsock2.h>\nvoid f(SOCKET s)\n{\n    close(s);\n}\n";
    std::fs::write(&target, code).unwrap();
    std::os::unix::fs::symlink("real.c", dir.path().join("link.c")).unwrap();
    wsalint()
        .current_dir(dir.path())
        .args(["--fix", "link.c"])
        .assert()
        .code(0);
    let link = std::fs::symlink_metadata(dir.path().join("link.c")).unwrap();
    assert!(link.file_type().is_symlink(), "the link was replaced");
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        code.replace("close(s)", "closesocket(s)")
    );
}

#[test]
fn fix_goes_on_until_nothing_is_left_to_fix() {
    // The stray `R` hides the `close` call from the rules until the comparison is fixed: a
    // second round of the same `--fix` run fixes it too (found by the fuzz target).
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.cpp");
    std::fs::write(
        &file,
        "#include <winsock2.h>\nint pe(SOCKET s)\n{\n  R if (s < 0)\n    close(s);\n}\n",
    )
    .unwrap();
    let out = wsalint()
        .current_dir(dir.path())
        .args(["--fix", "--color", "never", "a.cpp"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("Applied 2 fixes, 0 fixable with --fix remaining."),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read_to_string(&file).unwrap(),
        "#include <winsock2.h>\nint pe(SOCKET s)\n{\n  R if (s == INVALID_SOCKET)\n    closesocket(s);\n}\n"
    );
}

#[test]
fn add_ignore_suppresses_every_finding_once_keeping_encoding_and_line_endings() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let text = "#include <winsock2.h>\r\nvoid f(SOCKET s) { if (s <= 0) return; } // NOLINT(x)\r\nvoid g(SOCKET s) { if (s < 0) return; }\r\n";
    std::fs::write(d.join("crlf.c"), text).unwrap();
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(
        text.replace("\r\n", "\n")
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes()),
    );
    std::fs::write(d.join("wide.c"), &utf16).unwrap();
    let out = wsalint()
        .current_dir(d)
        .args(["--add-ignore", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Added 4 suppression comments to 2 files.\n"
    );
    let expected = "#include <winsock2.h>\r\nvoid f(SOCKET s) { if (s <= 0) return; } /* wsalint-ignore WSA201 */ // NOLINT(x)\r\nvoid g(SOCKET s) { if (s < 0) return; } // wsalint-ignore WSA201\r\n";
    assert_eq!(std::fs::read_to_string(d.join("crlf.c")).unwrap(), expected);
    let mut wide = vec![0xff, 0xfe];
    wide.extend(
        expected
            .replace("\r\n", "\n")
            .encode_utf16()
            .flat_map(|u| u.to_le_bytes()),
    );
    assert_eq!(std::fs::read(d.join("wide.c")).unwrap(), wide);
    // Nothing is left to suppress: a second run changes nothing, and the lint is clean.
    let before = snapshot(d);
    let out = wsalint()
        .current_dir(d)
        .args(["--add-ignore", "."])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Added 0 suppression comments to 0 files.\n"
    );
    assert_eq!(snapshot(d), before);
    wsalint().current_dir(d).arg(".").assert().code(0);
}
