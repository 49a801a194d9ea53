//! The binary as users run it: exit codes, formats, and bad input that must not stop a run.

use std::path::Path;

use assert_cmd::Command;

fn wsalint() -> Command {
    Command::cargo_bin("wsalint").unwrap()
}

const LEAK: &str = "#include <windows.h>\nvoid f(void)\n{\n    HMODULE h = LoadLibraryA(\"iphlpapi.dll\");\n    FreeLibrary(h);\n}\n";

#[test]
fn findings_exit_1_and_clean_code_exits_0() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.c"), LEAK).unwrap();
    std::fs::write(dir.path().join("good.c"), "int main(void) { return 0; }\n").unwrap();
    let out = wsalint()
        .current_dir(dir.path())
        .args(["--format", "gcc", "bad.c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "bad.c:4:17: warning: `iphlpapi.dll` is loaded into `h` and freed on every call to `f` [WSA001]\n"
    );
    wsalint()
        .current_dir(dir.path())
        .arg("good.c")
        .assert()
        .code(0);
    wsalint()
        .current_dir(dir.path())
        .args(["--exit-zero", "bad.c"])
        .assert()
        .code(0);
    wsalint()
        .current_dir(dir.path())
        .args(["--severity-threshold", "error", "bad.c"])
        .assert()
        .code(0);
    wsalint()
        .current_dir(dir.path())
        .args(["--ignore", "WSA0", "bad.c"])
        .assert()
        .code(0);
}

#[test]
fn msvc_format_and_human_summary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.c"), LEAK).unwrap();
    let out = wsalint()
        .current_dir(dir.path())
        .args(["--format", "msvc", "."])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "bad.c(4,17): warning WSA001: `iphlpapi.dll` is loaded into `h` and freed on every call to `f`\n"
    );
    let out = wsalint()
        .current_dir(dir.path())
        .env("NO_COLOR", "1")
        .arg(".")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("warning[WSA001]"), "{text}");
    assert!(text.contains("┌─ bad.c:4:17"), "{text}");
    assert!(text.contains("help: load `iphlpapi.dll` once"), "{text}");
    assert!(text.contains("KB836769"), "{text}");
    assert!(
        text.contains("Found 1 finding (1 warning) in 1 of 1 file."),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no color on a pipe");
}

#[test]
fn missing_path_and_unknown_rule_exit_2() {
    wsalint().arg("no/such/dir").assert().code(2);
    wsalint().args(["explain", "WSA999"]).assert().code(2);
    wsalint().args(["--format", "nope", "."]).assert().code(2);
}

#[test]
fn rules_and_explain() {
    let out = wsalint().arg("rules").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("WSA001  iphlpapi-load-cycle"), "{text}");
    let out = wsalint().args(["explain", "wsa005"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("# WSA005 ipx-spx-socket"), "{text}");
    assert!(text.contains("## Why is this bad?"));
}

fn warnings_of(dir: &Path) -> (Option<i32>, String) {
    let out = wsalint()
        .current_dir(dir)
        .args(["--format", "gcc", "."])
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stderr).to_string(),
    )
}

#[cfg(unix)]
#[test]
fn fifo_binary_and_symlink_loop_are_skipped_with_one_warning_each() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::write(p.join("bad.c"), LEAK).unwrap();
    std::fs::write(p.join("blob.c"), b"\x7fELF\0\0\0binary\0").unwrap();
    let fifo = std::ffi::CString::new(p.join("pipe.c").to_str().unwrap()).unwrap();
    // SAFETY: mkfifo with a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    std::os::unix::fs::symlink(p.join("loop"), p.join("loop/../loop2")).ok();
    std::fs::create_dir(p.join("sub")).unwrap();
    std::os::unix::fs::symlink("..", p.join("sub/up")).unwrap();
    std::os::unix::fs::symlink("nowhere.c", p.join("dangling.c")).unwrap();
    let (code, stderr) = warnings_of(p);
    assert_eq!(code, Some(1), "the run goes on and reports bad.c: {stderr}");
    assert_eq!(stderr.matches("pipe.c").count(), 1, "{stderr}");
    assert!(
        stderr.contains("pipe.c: skipped: not a regular file"),
        "{stderr}"
    );
    assert!(stderr.contains("blob.c: skipped: binary file"), "{stderr}");
    assert!(stderr.contains("symbolic link loop"), "{stderr}");
    assert!(stderr.contains("dangling.c"), "{stderr}");
}

/// A string literal with multi-byte characters beside a Winsock call once crashed the DLL-name
/// check and, with it, the whole run.
#[test]
fn multibyte_string_literals_do_not_stop_the_run() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("greet.c"),
        "#include <winsock2.h>\nvoid greet(SOCKET s) { puts(\"日本\"); puts(\"😀\"); send(s, \"안녕\", 6, 0); }\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("bad.c"), LEAK).unwrap();
    let out = wsalint()
        .current_dir(dir.path())
        .args(["--format", "gcc", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("bad.c:4:17:"), "{text}");
    assert!(
        text.contains("greet.c:2:"),
        "the send result is unchecked: {text}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("panicked"));
}
