//! The binary as users run it: exit codes, formats, and bad input that must not stop a run.

use std::path::Path;

use assert_cmd::Command;

fn wsalint() -> Command {
    let mut c = Command::cargo_bin("wsalint").unwrap();
    // The tests decide colors themselves.
    for var in ["NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE"] {
        c.env_remove(var);
    }
    c
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

/// MSBuild's canonical message, as its `CanonicalError` class reads a tool's output line:
/// `origin: [subcategory ]category [code]: text`, category `error` or `warning` only, the origin
/// `file(location)`. A line that does not match is dropped from the build's errors and warnings.
fn msbuild_canonical(line: &str) -> Option<(String, String, String, String, String)> {
    let message = regex::Regex::new(concat!(
        r"(?i)^\s*(((?<ORIGIN>(((\d+>)?[a-zA-Z]?:[^:]*)|([^:]*))):)|())",
        r"(?<SUBCATEGORY>(()|([^:]*? )))",
        r"(?<CATEGORY>(error|warning))",
        r"( \s*(?<CODE>[^: ]*))?\s*:",
        r"(?<TEXT>.*)$",
    ))
    .unwrap();
    let origin =
        regex::Regex::new(r"(?i)^(\d+>)?(?<FILENAME>.*)\((?<LOCATION>[,0-9-]*)\)\s*$").unwrap();
    let m = message.captures(line)?;
    let o = origin.captures(m["ORIGIN"].trim())?;
    Some((
        o["FILENAME"].trim().to_string(),
        o["LOCATION"].to_string(),
        m["CATEGORY"].to_string(),
        m["CODE"].trim().to_string(),
        m["TEXT"].trim().to_string(),
    ))
}

#[test]
fn msvc_lines_of_every_severity_are_msbuild_errors_or_warnings() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.c"), LEAK).unwrap();
    std::fs::write(
        dir.path().join("old.c"),
        "#include <winsock2.h>\nvoid g(const char *h)\n{\n    gethostbyname(h);\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("wsalint.toml"),
        "[severity]\nWSA001 = \"error\"\n",
    )
    .unwrap();
    let out = wsalint()
        .current_dir(dir.path())
        .args(["--format", "msvc", "--select", "WSA001,WSA206,WSA005", "."])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    let parsed: Vec<_> = lines
        .iter()
        .map(|l| msbuild_canonical(l).unwrap_or_else(|| panic!("MSBuild drops {l}")))
        .collect();
    assert_eq!(
        (
            parsed[0].0.as_str(),
            parsed[0].1.as_str(),
            parsed[0].2.as_str(),
            parsed[0].3.as_str()
        ),
        ("bad.c", "4,17", "error", "WSA001")
    );
    assert_eq!(
        (
            parsed[1].0.as_str(),
            parsed[1].1.as_str(),
            parsed[1].2.as_str(),
            parsed[1].3.as_str()
        ),
        ("old.c", "4,5", "warning", "WSA206")
    );
    assert!(parsed[1].4.contains("gethostbyname"), "{}", parsed[1].4);
    // The pattern is MSBuild's: a line with another category is not one of its messages.
    assert!(msbuild_canonical("old.c(4,5): message WSA206: text").is_none());
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
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.c"), LEAK).unwrap();
    // Nothing to lint: the error alone, no summary.
    let out = wsalint()
        .current_dir(dir.path())
        .arg("no/such/dir")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: no/such/dir: cannot read: no such file or directory\n"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "");
    // With another path, the run goes on and the missing one is still an error.
    let out = wsalint()
        .current_dir(dir.path())
        .args(["--format", "gcc", "gone.c", "bad.c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: gone.c: cannot read: no such file or directory\n"
    );
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("bad.c:4:17: "));
    wsalint().args(["explain", "WSA999"]).assert().code(2);
    wsalint().args(["--format", "nope", "."]).assert().code(2);
}

#[test]
fn a_directory_without_c_files_says_so() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("notes.txt"), "socket()\n").unwrap();
    let out = wsalint().current_dir(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "warning: no C or C++ file found in `.` (excluded and git-ignored files do not count)\n"
    );
    std::fs::write(dir.path().join("ok.c"), "int x;\n").unwrap();
    let out = wsalint().current_dir(dir.path()).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), "");
}

/// Runs wsalint with its standard output closed before it writes: it must exit quietly.
fn closed_pipe(args: &[&str]) -> std::process::Output {
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("wsalint"))
        .args(args)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    child.wait_with_output().unwrap()
}

#[test]
fn a_closed_pipe_ends_the_output_quietly() {
    for args in [
        &["explain", "WSA001"][..],
        &["rules"][..],
        &["rules", "--format", "json"][..],
    ] {
        let out = closed_pipe(args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

#[test]
fn force_color_and_clicolor_force_color_a_pipe_unless_no_color() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.c"), LEAK).unwrap();
    let colored = |env: &[(&str, &str)]| {
        let mut cmd = wsalint();
        cmd.current_dir(dir.path()).arg("bad.c");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let out = cmd.output().unwrap();
        out.stdout.contains(&0x1b)
    };
    assert!(!colored(&[]));
    assert!(colored(&[("FORCE_COLOR", "1")]));
    assert!(colored(&[("CLICOLOR_FORCE", "1")]));
    assert!(!colored(&[("FORCE_COLOR", "0")]));
    assert!(!colored(&[("FORCE_COLOR", "1"), ("NO_COLOR", "1")]));
}

#[test]
fn version_carries_the_commit_when_built_from_git() {
    let out = wsalint().arg("--version").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let version = env!("CARGO_PKG_VERSION");
    let shape =
        regex::Regex::new(r"^wsalint (\S+)( \(([0-9a-f]{7,}) \d{4}-\d{2}-\d{2}\))?\n$").unwrap();
    let caps = shape.captures(&text).unwrap_or_else(|| panic!("{text}"));
    assert_eq!(&caps[1], version);
    // Built from this work tree with git at hand: the commit is there (build.rs).
    let root = env!("CARGO_MANIFEST_DIR");
    let head = std::process::Command::new("git")
        .args(["-C", root, "rev-parse", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    if let Some(head) = head {
        let commit = caps
            .get(3)
            .map(|m| m.as_str())
            .unwrap_or_else(|| panic!("{text}"));
        assert!(head.starts_with(commit), "{head} {text}");
    }
}

#[test]
fn diff_headers_of_a_file_outside_the_current_directory_climb_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let (cwd, out_dir) = (dir.path().join("cwd"), dir.path().join("out"));
    std::fs::create_dir_all(&cwd).unwrap();
    std::fs::create_dir_all(&out_dir).unwrap();
    let file = out_dir.join("cmp.c");
    std::fs::write(
        &file,
        "#include <winsock2.h>\nvoid f(SOCKET s) { if (s < 0) return; }\n",
    )
    .unwrap();
    let out = wsalint()
        .current_dir(&cwd)
        .arg("--diff")
        .arg(&file)
        .output()
        .unwrap();
    let diff = String::from_utf8_lossy(&out.stdout);
    assert!(
        diff.starts_with("--- a/../out/cmp.c\n+++ b/../out/cmp.c\n"),
        "{diff}"
    );
}

#[test]
fn rules_and_explain() {
    let out = wsalint().arg("rules").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("WSA001  iphlpapi-load-cycle"), "{text}");
    assert!(text.contains("LINT001 unused-suppression"), "{text}");
    assert!(text.contains("LINT002 unknown-suppression-code"), "{text}");
    let out = wsalint().args(["explain", "wsa005"]).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.starts_with("# WSA005 ipx-spx-socket"), "{text}");
    assert!(text.contains("## Why is this bad?"));
    // The name every diagnostic carries works too.
    for name in ["socket-leak", "Socket-Leak", "unused-suppression"] {
        let out = wsalint().args(["explain", name]).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{name}");
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(
            text.starts_with("# ") && text.contains(&name.to_lowercase()),
            "{text}"
        );
    }
    let out = wsalint().args(["explain", "socket-leek"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "error: `socket-leek` is not a rule code or name; did you mean `socket-leak` (WSA101)? (see `wsalint rules`)\n"
    );
    let out = wsalint().args(["explain", "WSA1O1"]).output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("did you mean `WSA101` (socket-leak)?"));
}

#[test]
fn rules_as_json_list_every_rule() {
    let dir = tempfile::tempdir().unwrap();
    let out = wsalint()
        .current_dir(dir.path())
        .args(["rules", "--format", "json"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let list = list.as_array().unwrap();
    assert_eq!(list.len(), wsalint::registry::RULES.len() + 2);
    for (rule, item) in wsalint::registry::RULES.iter().zip(list) {
        let m = rule.meta();
        assert_eq!(item["code"], m.code);
        assert_eq!(item["name"], m.name);
        assert_eq!(item["severity"], m.severity.as_str());
        assert_eq!(item["fix"], m.fix.as_str());
        assert_eq!(item["summary"], m.summary);
        assert_eq!(item["kind"], "builtin");
    }
    let last = &list[list.len() - 1];
    assert_eq!(
        (&last["code"], &last["name"], &last["kind"]),
        (
            &"LINT002".into(),
            &"unknown-suppression-code".into(),
            &"suppression".into()
        )
    );
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

/// Files are printed as they are done, in path order; a file whose finding waits for the
/// project-wide phase (a `WSAStartup` whose `WSACleanup` may be in another file) comes after
/// the others, decided against every file of the run.
#[test]
fn files_stream_in_path_order_and_project_wide_findings_come_last() {
    let dir = tempfile::tempdir().unwrap();
    let startup =
        "#include <winsock2.h>\nint init(void) { WSADATA d; return WSAStartup(0x202, &d); }\n";
    std::fs::write(dir.path().join("a_init.c"), startup).unwrap();
    std::fs::write(dir.path().join("b.c"), LEAK).unwrap();
    std::fs::write(dir.path().join("c.c"), LEAK).unwrap();
    let run = |dir: &Path| {
        let out = wsalint()
            .current_dir(dir)
            .args(["--format", "gcc", "-j", "2", "."])
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let leak = |file: &str| {
        format!("{file}:4:17: warning: `iphlpapi.dll` is loaded into `h` and freed on every call to `f` [WSA001]\n")
    };
    assert_eq!(
        run(dir.path()),
        format!(
            "{}{}a_init.c:2:36: warning: `WSAStartup` is called, but nothing in the project calls `WSACleanup` [WSA105]\n",
            leak("b.c"),
            leak("c.c")
        )
    );
    // A cleanup in a file linted after it balances the startup.
    std::fs::write(
        dir.path().join("z.c"),
        "void fini(void) { WSACleanup(); }\n",
    )
    .unwrap();
    assert_eq!(run(dir.path()), format!("{}{}", leak("b.c"), leak("c.c")));
}

/// The JSON log is written as the files are done and is still one well-formed object.
#[test]
fn streamed_json_is_one_object_with_every_finding() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["a.c", "b.c", "c.c"] {
        std::fs::write(dir.path().join(name), LEAK).unwrap();
    }
    let out = wsalint()
        .current_dir(dir.path())
        .args(["--format", "json", "."])
        .output()
        .unwrap();
    let log: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let paths: Vec<&str> = log["diagnostics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert_eq!(paths, ["a.c", "b.c", "c.c"]);
    assert_eq!(log["summary"]["findings"], 3);
    assert_eq!(log["summary"]["files_checked"], 3);
}

#[test]
fn a_file_reaches_winsock_through_a_project_header() {
    // The fixture's sources without their expectation comments, which name rule codes (and
    // so a Windows marker of their own): the header alone must make them Windows code.
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/wsa104-winsock-through-a-project-header");
    let dir = tempfile::tempdir().unwrap();
    for name in [
        "netcompat.h",
        "unixnet.h",
        "fetch.c",
        "trap-unix-only-header.c",
    ] {
        let text = std::fs::read_to_string(fixture.join(name)).unwrap();
        let code: String = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .map(|l| format!("{l}\n"))
            .collect();
        let source = name.ends_with(".c");
        assert!(
            !source || !code.contains("WSA") && !code.contains("SOCKET"),
            "{name}"
        );
        std::fs::write(dir.path().join(name), code).unwrap();
    }
    let out = wsalint()
        .current_dir(dir.path())
        .args(["--format", "gcc", "--exit-zero", "."])
        .output()
        .unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "fetch.c:14:9: warning: `res` from `getaddrinfo` is not freed on every path out of \
         `fetch_status` [WSA104]\n"
    );
}

/// Shell completions and the manual page come from the same command-line definition, so every
/// flag is in them.
#[test]
fn completions_and_the_manual_page_know_every_flag() {
    let run = |args: &[&str]| {
        let out = wsalint().args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let bash = run(&["completions", "bash"]);
    assert!(bash.contains("_wsalint()"), "{bash}");
    assert!(bash.contains("--show-settings"));
    assert!(bash.contains("--severity-threshold"));
    let zsh = run(&["completions", "zsh"]);
    assert!(zsh.starts_with("#compdef wsalint\n"), "{zsh}");
    let fish = run(&["completions", "fish"]);
    assert!(fish.contains("complete -c wsalint"), "{fish}");
    let man = run(&["man"]);
    assert!(man.contains("\n.TH wsalint 1 "), "{man}");
    assert!(man.contains(r"\-\-show\-settings"));
    let out = wsalint().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A long run on a terminal shows its progress on standard error, and clears it; a pipe, CI and
/// `--quiet` never see it. The terminal is a pseudo-terminal from util-linux's `script`.
#[cfg(target_os = "linux")]
#[test]
fn progress_shows_on_a_terminal_only() {
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("skipped: no `script` to make a terminal with");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // 7,500 small functions: a few seconds for a debug build with one worker.
    let body: String = (0..2500)
        .map(|n| format!("int work_{n}(SOCKET s)\n{{\n    if (s == INVALID_SOCKET) return -1;\n    return closesocket(s);\n}}\n"))
        .collect();
    for name in ["a.c", "b.c", "c.c"] {
        std::fs::write(
            dir.path().join(name),
            format!("#include <winsock2.h>\n{body}"),
        )
        .unwrap();
    }
    let bin = env!("CARGO_BIN_EXE_wsalint");
    let on_terminal = |extra: &str, ci: Option<&str>| {
        let mut cmd = std::process::Command::new("script");
        cmd.args(["-qec", &format!("'{bin}' --jobs 1 {extra} .")])
            .arg("/dev/null")
            .current_dir(dir.path())
            .env("TERM", "xterm")
            .env("WSALINT_PROGRESS_DELAY_MS", "0");
        for var in [
            "CI",
            "GITHUB_ACTIONS",
            "TF_BUILD",
            "GITLAB_CI",
            "BUILDKITE",
            "JENKINS_URL",
        ] {
            cmd.env_remove(var);
        }
        if let Some(value) = ci {
            cmd.env("CI", value);
        }
        String::from_utf8_lossy(&cmd.output().unwrap().stdout).into_owned()
    };
    let shown = on_terminal("", None);
    assert!(shown.contains("linting file 1 ("), "{shown:?}");
    // Cleared before the summary, which ends the output alone on its line.
    assert!(
        shown.ends_with("\u{1b}[2KNo findings in 3 files.\r\n"),
        "{shown:?}"
    );
    for (extra, ci) in [("", Some("true")), ("--quiet", None)] {
        let out = on_terminal(extra, ci);
        assert!(!out.contains("linting file"), "{extra} {ci:?}: {out:?}");
    }
    let piped = wsalint()
        .current_dir(dir.path())
        .args(["--jobs", "1", "."])
        .env_remove("CI")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&piped.stderr), "");
}
