//! Living with wsalint in a real codebase, through the binary: suppressions and unused ones,
//! every config key and config error, baselines, custom rules in every format, and stdin.

use std::path::{Path, PathBuf};

use assert_cmd::Command;

fn wsalint() -> Command {
    let mut c = Command::cargo_bin("wsalint").unwrap();
    c.env("NO_COLOR", "1");
    c
}

/// A WSA001 finding at 4:17 (`LoadLibraryA(...)`), freed at line 5.
const LEAK: &str = "#include <windows.h>\nvoid f(void)\n{\n    HMODULE h = LoadLibraryA(\"iphlpapi.dll\");\n    FreeLibrary(h);\n}\n";
const LEAK_GCC: &str =
    "warning: `iphlpapi.dll` is loaded into `h` and freed on every call to `f` [WSA001]";

struct Out {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run_in(dir: &Path, args: &[&str]) -> Out {
    run_with(dir, args, None)
}

fn run_with(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> Out {
    let mut cmd = wsalint();
    cmd.current_dir(dir).args(args);
    if let Some(input) = stdin {
        cmd.write_stdin(input.to_vec());
    }
    let out = cmd.output().unwrap();
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).unwrap();
    }
    std::fs::write(&path, text).unwrap();
    path
}

fn json(out: &Out) -> serde_json::Value {
    serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
}

/// The leak with `comment` at the end of the load line (`Same`) or on a line of its own above
/// it (`Above`) or at the top of the file (`Top`).
enum At {
    Same,
    Above,
    Top,
}

fn leak_with(comment: &str, at: At) -> String {
    let load = "    HMODULE h = LoadLibraryA(\"iphlpapi.dll\");";
    match at {
        At::Same => LEAK.replace(load, &format!("{load} {comment}")),
        At::Above => LEAK.replace(load, &format!("    {comment}\n{load}")),
        At::Top => format!("{comment}\n{LEAK}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Suppressions

#[test]
fn every_suppression_form_hides_the_finding() {
    let dir = tempfile::tempdir().unwrap();
    let forms = [
        ("// wsalint-ignore WSA001 -- cached at startup", At::Same),
        ("/* wsalint-ignore WSA001 */", At::Same),
        ("// wsalint-ignore: WSA001", At::Same),
        ("// wsalint-ignore", At::Same),
        ("// wsalint-ignore WSA0", At::Same),
        ("// wsalint-ignore-next-line WSA001, WSA005", At::Above),
        (
            "/* wsalint-ignore-next-line WSA001 -- reviewed */",
            At::Above,
        ),
        ("// wsalint-ignore-file WSA001", At::Top),
        ("/* wsalint-ignore-file */", At::Top),
        ("// NOLINT(wsalint-WSA001)", At::Same),
        ("// NOLINT(bugprone-branch-clone, wsalint-WSA001)", At::Same),
        ("// NOLINT", At::Same),
        ("// NOLINTNEXTLINE(wsalint-WSA001)", At::Above),
    ];
    for (i, (comment, at)) in forms.into_iter().enumerate() {
        let name = format!("form{i}.c");
        write(dir.path(), &name, &leak_with(comment, at));
        let out = run_in(dir.path(), &["--format", "json", &name]);
        let log = json(&out);
        assert_eq!(out.code, 0, "{comment}: {}", out.stdout);
        assert_eq!(log["summary"]["findings"], 0, "{comment}");
        assert_eq!(log["summary"]["suppressed"], 1, "{comment}");
    }
}

#[test]
fn suppressions_that_do_not_cover_the_finding_leave_it() {
    let dir = tempfile::tempdir().unwrap();
    let misses = [
        ("// wsalint-ignore WSA005", At::Same),
        ("// wsalint-ignore WSA0011", At::Same),
        ("// wsalint-ignore-next-line WSA001", At::Same),
        ("// wsalint-ignore WSA001", At::Above),
        ("// NOLINT(bugprone-branch-clone)", At::Same),
        ("// wsalint-ignored WSA001", At::Same),
        ("// NOLINTNEXTLINE(wsalint-WSA001)", At::Top),
    ];
    for (i, (comment, at)) in misses.into_iter().enumerate() {
        let name = format!("miss{i}.c");
        write(dir.path(), &name, &leak_with(comment, at));
        let out = run_in(dir.path(), &["--format", "gcc", &name]);
        assert_eq!(out.code, 1, "{comment}");
        assert!(out.stdout.contains(LEAK_GCC), "{comment}: {}", out.stdout);
    }
}

#[test]
fn suppression_reasons_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(
        dir.path(),
        "a.c",
        &leak_with("// wsalint-ignore WSA001 -- cached at startup", At::Same),
    );
    let engine = wsalint::Engine::new(wsalint::config::Config::default(), Vec::new()).unwrap();
    let report = engine.run(&[path], Some(1));
    let s = report.findings[0].suppression.as_ref().unwrap();
    assert_eq!(s.kind, wsalint::diagnostic::SuppressionKind::InSource);
    assert_eq!(s.justification.as_deref(), Some("cached at startup"));
}

/// Applies the JSON fixes of every diagnostic with `code` to `text` (what `--fix` does with safe
/// fixes), back to front.
fn apply_fixes(text: &str, log: &serde_json::Value, codes: &[&str]) -> String {
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    for d in log["diagnostics"].as_array().unwrap() {
        if !codes.iter().any(|c| d["code"] == *c) {
            continue;
        }
        assert_eq!(d["fix"]["applicability"], "safe");
        for e in d["fix"]["edits"].as_array().unwrap() {
            edits.push((
                e["start_byte"].as_u64().unwrap() as usize,
                e["end_byte"].as_u64().unwrap() as usize,
                e["content"].as_str().unwrap().to_string(),
            ));
        }
    }
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (s, e, c) in edits {
        out.replace_range(s..e, &c);
    }
    out
}

const SUPPRESSIONS: &str = "\
#include <windows.h>
void f(void)
{
    HMODULE h = LoadLibraryA(\"iphlpapi.dll\"); // wsalint-ignore WSA001, WSA005 -- cached
    FreeLibrary(h);
}

int g(void) { return 0; } /* wsalint-ignore WSA001 */
    // wsalint-ignore-next-line WSA005
int k;
int m; // NOLINT(bugprone-x, wsalint-WSA005)
int n; // wsalint-ignore WSA999 -- typo
";

#[test]
fn unused_suppressions_are_reported_with_a_fix_that_removes_them() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.c", SUPPRESSIONS);
    // Off by default.
    assert_eq!(run_in(dir.path(), &["s.c"]).code, 0);
    let out = run_in(
        dir.path(),
        &["--report-unused-suppressions", "--format", "gcc", "s.c"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "\
s.c:4:47: warning: `WSA005` in this suppression suppresses nothing [LINT001]
s.c:8:27: warning: the suppression of `WSA001` suppresses nothing [LINT001]
s.c:9:5: warning: the suppression of `WSA005` suppresses nothing [LINT001]
s.c:11:8: warning: the suppression of `WSA005` suppresses nothing [LINT001]
s.c:12:8: warning: `WSA999` is not a rule code [LINT002]
"
    );
    // The fixes remove the dead code, the comment, the whole line, the wsalint entry only.
    let log = json(&run_in(
        dir.path(),
        &["--report-unused-suppressions", "--format", "json", "s.c"],
    ));
    let fixed = apply_fixes(SUPPRESSIONS, &log, &["LINT001"]);
    assert_eq!(
        fixed,
        "\
#include <windows.h>
void f(void)
{
    HMODULE h = LoadLibraryA(\"iphlpapi.dll\"); // wsalint-ignore WSA001 -- cached
    FreeLibrary(h);
}

int g(void) { return 0; }
int k;
int m; // NOLINT(bugprone-x)
int n; // wsalint-ignore WSA999 -- typo
"
    );
    let fixed = apply_fixes(SUPPRESSIONS, &log, &["LINT001", "LINT002"]);
    assert!(
        fixed.ends_with("int m; // NOLINT(bugprone-x)\nint n;\n"),
        "{fixed}"
    );
    // Once fixed, nothing is left to report and the real finding stays suppressed.
    write(dir.path(), "s.c", &fixed);
    let out = run_in(
        dir.path(),
        &["--report-unused-suppressions", "--format", "json", "s.c"],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(json(&out)["summary"]["suppressed"], 1);
}

#[test]
fn unused_suppressions_respect_the_selection() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.c", SUPPRESSIONS);
    // WSA005 did not run: its suppressions may be needed, so they are not called unused.
    let out = run_in(
        dir.path(),
        &[
            "--report-unused-suppressions",
            "--select",
            "WSA001",
            "--format",
            "gcc",
            "s.c",
        ],
    );
    assert_eq!(
        out.stdout,
        "\
s.c:8:27: warning: the suppression of `WSA001` suppresses nothing [LINT001]
s.c:12:8: warning: `WSA999` is not a rule code [LINT002]
"
    );
    // A file no rule could match is still read for its suppressions.
    write(dir.path(), "t.c", "int x; // wsalint-ignore WSA001\n");
    let out = run_in(
        dir.path(),
        &["--format", "gcc", "--report-unused-suppressions", "t.c"],
    );
    assert_eq!(
        out.stdout,
        "t.c:1:8: warning: the suppression of `WSA001` suppresses nothing [LINT001]\n"
    );
    // The pseudo-rules can be ignored like any rule, and turned on from the config.
    write(
        dir.path(),
        "wsalint.toml",
        "report_unused_suppressions = true\nignore = [\"LINT001\"]\n",
    );
    let out = run_in(dir.path(), &["--format", "gcc", "s.c"]);
    assert_eq!(
        out.stdout,
        "s.c:12:8: warning: `WSA999` is not a rule code [LINT002]\n"
    );
    let out = run_in(dir.path(), &["explain", "LINT001"]);
    assert!(out.stdout.starts_with("# LINT001 unused-suppression"));
}

// ---------------------------------------------------------------------------------------------
// Config: every key

#[test]
fn select_ignore_and_severity_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.c", LEAK);
    write(dir.path(), "ipx.c", "#include <wsipx.h>\n");
    let gcc = |d: &Path, extra: &[&str]| {
        let mut args = vec!["--format", "gcc"];
        args.extend_from_slice(extra);
        run_in(d, &args).stdout
    };
    write(dir.path(), "wsalint.toml", "select = [\"WSA005\"]\n");
    assert_eq!(
        gcc(dir.path(), &[]),
        "ipx.c:1:10: warning: `wsipx.h` declares IPX/SPX, which Windows no longer ships after Windows XP [WSA005]\n"
    );
    // `--select` starts a new selection, as in ruff.
    assert_eq!(
        gcc(dir.path(), &["--select", "WSA001"]),
        format!("a.c:4:17: {LEAK_GCC}\n")
    );
    write(dir.path(), "wsalint.toml", "ignore = [\"WSA005\"]\n");
    assert_eq!(gcc(dir.path(), &[]), format!("a.c:4:17: {LEAK_GCC}\n"));
    // `--ignore` adds to the config's.
    assert_eq!(gcc(dir.path(), &["--ignore", "WSA001"]), "");
    // A longer selector wins: `WSA0` ignored, `WSA001` selected.
    write(
        dir.path(),
        "wsalint.toml",
        "select = [\"WSA001\"]\nignore = [\"WSA0\"]\n[severity]\nWSA001 = \"error\"\n",
    );
    assert_eq!(
        gcc(dir.path(), &[]),
        format!("a.c:4:17: {}\n", LEAK_GCC.replace("warning:", "error:"))
    );
    let out = run_in(dir.path(), &["--severity-threshold", "error", "a.c"]);
    assert_eq!(out.code, 1);
}

#[test]
fn exclude_and_max_file_size_from_the_config_and_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.c", LEAK);
    write(dir.path(), "vendor/b.c", LEAK);
    write(
        dir.path(),
        "gen/big.c",
        &format!("{LEAK}{}", "/* padding */\n".repeat(100)),
    );
    write(dir.path(), "wsalint.toml", "exclude = [\"vendor\"]\n");
    let out = run_in(dir.path(), &["--format", "gcc"]);
    assert_eq!(
        out.stdout,
        format!("gen/big.c:4:17: {LEAK_GCC}\nsrc/a.c:4:17: {LEAK_GCC}\n")
    );
    let out = run_in(dir.path(), &["--format", "gcc", "--exclude", "gen/**"]);
    assert_eq!(out.stdout, format!("src/a.c:4:17: {LEAK_GCC}\n"));
    write(
        dir.path(),
        "wsalint.toml",
        "exclude = [\"vendor\"]\nmax_file_size = 1000\n",
    );
    let out = run_in(dir.path(), &["--format", "gcc"]);
    assert_eq!(out.stdout, format!("src/a.c:4:17: {LEAK_GCC}\n"));
    assert!(
        out.stderr
            .contains("warning: gen/big.c: skipped: 1504 bytes is over the size cap of 1000 bytes"),
        "{}",
        out.stderr
    );
}

#[test]
fn dlls_and_loaders_reach_wsa001() {
    let dir = tempfile::tempdir().unwrap();
    let code = "#include <windows.h>\nHMODULE my_load(const char *name);\nvoid f(void)\n{\n    HMODULE h = my_load(\"dnsapi.dll\");\n    FreeLibrary(h);\n}\n";
    write(dir.path(), "a.c", code);
    assert_eq!(run_in(dir.path(), &["--format", "gcc"]).stdout, "");
    write(
        dir.path(),
        "wsalint.toml",
        "dlls = [\"dnsapi.dll\"]\n[resources]\nloaders = [\"my_load\"]\n",
    );
    let out = run_in(dir.path(), &["--format", "gcc"]);
    assert_eq!(
        out.stdout,
        "a.c:5:17: warning: `dnsapi.dll` is loaded into `h` and freed on every call to `f` [WSA001]\n"
    );
}

#[test]
fn resource_wrappers_are_accepted_and_reach_the_prefilter() {
    let dir = tempfile::tempdir().unwrap();
    // Nothing here names a built-in needle: the file is parsed only because of the config.
    write(
        dir.path(),
        "a.c",
        "void f(int h)\n{\n    my_release(h);\n}\n",
    );
    let parsed =
        |d: &Path| json(&run_in(d, &["--format", "json"]))["summary"]["files_parsed"].clone();
    assert_eq!(parsed(dir.path()), 0);
    for key in ["closers", "creators", "owners"] {
        write(
            dir.path(),
            "wsalint.toml",
            &format!("[resources]\n{key} = [\"my_release\"]\n"),
        );
        assert_eq!(parsed(dir.path()), 1, "{key}");
    }
    write(
        dir.path(),
        "wsalint.toml",
        "[resources]\nsocket_types = [\"curl_socket_t\"]\nunsigned_socket_types = [\"my_socket\"]\nvalid_checks = [\"sock_ok\"]\n",
    );
    assert_eq!(run_in(dir.path(), &[]).code, 0);
}

#[test]
fn config_is_found_upwards_or_given() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/net/a.c", LEAK);
    write(dir.path(), ".wsalint.toml", "ignore = [\"WSA001\"]\n");
    let sub = dir.path().join("src/net");
    assert_eq!(run_in(&sub, &["a.c"]).code, 0);
    write(
        dir.path(),
        "strict.toml",
        "[severity]\nWSA001 = \"error\"\n",
    );
    let out = run_in(
        &sub,
        &["--config", "../../strict.toml", "--format", "gcc", "a.c"],
    );
    assert_eq!(
        out.stdout,
        format!("a.c:4:17: {}\n", LEAK_GCC.replace("warning:", "error:"))
    );
}

/// Each file takes the nearest config above it, wherever wsalint runs from (`cd /tmp &&
/// wsalint ~/proj/src` uses `~/proj/wsalint.toml`); a nested config wins below it; `--config`
/// applies to every file.
#[test]
fn config_is_found_per_file_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let top = std::fs::canonicalize(dir.path()).unwrap();
    write(
        &top,
        "proj/wsalint.toml",
        "[severity]\nWSA001 = \"error\"\n",
    );
    write(&top, "proj/src/a.c", LEAK);
    write(
        &top,
        "proj/vendor/lib/wsalint.toml",
        "ignore = [\"WSA001\"]\n",
    );
    write(&top, "proj/vendor/lib/b.c", LEAK);
    write(&top, "other/c.c", LEAK);
    std::fs::create_dir_all(top.join("elsewhere")).unwrap();
    let elsewhere = top.join("elsewhere");
    let error = LEAK_GCC.replace("warning:", "error:");
    let out = run_in(&elsewhere, &["--format", "gcc", "../proj"]);
    assert_eq!(out.stdout, format!("../proj/src/a.c:4:17: {error}\n"));
    assert_eq!(out.code, 1);
    // Files named one by one, of three configs (the defaults for `other/`).
    let out = run_in(
        &elsewhere,
        &[
            "--format",
            "gcc",
            "../proj/src/a.c",
            "../proj/vendor/lib/b.c",
            "../other/c.c",
        ],
    );
    assert_eq!(
        out.stdout,
        format!("../other/c.c:4:17: {LEAK_GCC}\n../proj/src/a.c:4:17: {error}\n")
    );
    // An absolute path, as a pre-commit hook or an editor passes it.
    let abs = top.join("proj/src");
    let out = run_in(&elsewhere, &["--format", "gcc", abs.to_str().unwrap()]);
    assert_eq!(
        out.stdout,
        format!("{}:4:17: {error}\n", abs.join("a.c").display())
    );
    // `--config` wins for every file.
    let out = run_in(
        &elsewhere,
        &[
            "--config",
            "../proj/vendor/lib/wsalint.toml",
            "../proj",
            "../other",
        ],
    );
    assert_eq!(
        (out.code, out.stdout.as_str()),
        (0, "No findings in 3 files.\n"),
        "{}",
        out.stderr
    );
    // A broken config under a named directory is an error (exit 2); the others are linted.
    write(
        &top,
        "proj/vendor/lib/wsalint.toml",
        "ignore = [\"WSA1O1\"]\n",
    );
    let out = run_in(&elsewhere, &["--format", "gcc", "../proj"]);
    assert_eq!(out.code, 2);
    assert_eq!(out.stdout, format!("../proj/src/a.c:4:17: {error}\n"));
    // Shown as a path is: relative to the current directory when below it.
    let broken = top.join("proj/vendor/lib/wsalint.toml");
    assert_located(
        &out.stderr,
        "invalid config",
        &format!("{}:1:11:", broken.display()),
    );
}

/// `per-file-ignores` (ruff's): globs relative to the config's directory, from any directory;
/// a rule turned off in a file does not make its suppressions there unused. `exclude` globs are
/// relative to the config's directory too.
#[test]
fn per_file_ignores_and_exclude_are_relative_to_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let proj = std::fs::canonicalize(dir.path()).unwrap().join("proj");
    write(
        &proj,
        "wsalint.toml",
        "exclude = [\"src/gen/**\"]\n[per-file-ignores]\n\"tests/**\" = [\"iphlpapi-load-cycle\"]\n\"fixture_*.c\" = [\"WSA0\"]\n",
    );
    write(&proj, "src/a.c", LEAK);
    write(&proj, "src/gen/g.c", LEAK);
    write(&proj, "src/fixture_1.c", LEAK);
    write(
        &proj,
        "tests/t.c",
        &leak_with("// wsalint-ignore WSA001", At::Same),
    );
    for (cwd, arg, shown) in [
        (proj.clone(), ".", "src/a.c"),
        (proj.join("src"), "..", "../src/a.c"),
    ] {
        let out = run_in(
            &cwd,
            &["--format", "gcc", "--report-unused-suppressions", arg],
        );
        assert_eq!(
            out.stdout,
            format!("{shown}:4:17: {LEAK_GCC}\n"),
            "from {cwd:?}"
        );
    }
    // Without the table, every file shows (and the comment in tests/t.c is used).
    let text = std::fs::read_to_string(proj.join("wsalint.toml")).unwrap();
    write(
        &proj,
        "wsalint.toml",
        text.split("[per-file").next().unwrap(),
    );
    let out = run_in(&proj, &["--format", "gcc", "--report-unused-suppressions"]);
    assert_eq!(
        out.stdout,
        format!("src/a.c:4:17: {LEAK_GCC}\nsrc/fixture_1.c:4:17: {LEAK_GCC}\n")
    );
}

/// What a config excludes is not walked at all, from any directory: a symlink loop or a FIFO
/// in an excluded tree earns no warning.
#[cfg(unix)]
#[test]
fn the_walk_skips_what_a_config_excludes() {
    let dir = tempfile::tempdir().unwrap();
    let proj = std::fs::canonicalize(dir.path()).unwrap().join("proj");
    write(&proj, "wsalint.toml", "exclude = [\"src/vendor\"]\n");
    write(&proj, "src/a.c", LEAK);
    write(&proj, "src/vendor/b.c", LEAK);
    std::os::unix::fs::symlink(".", proj.join("src/vendor/again")).unwrap();
    let fifo = proj.join("src/vendor/pipe.c");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    for (cwd, arg, shown) in [
        (proj.clone(), ".", "src/a.c"),
        (proj.join("src"), ".", "a.c"),
        (dir.path().to_path_buf(), "proj", "proj/src/a.c"),
    ] {
        let out = run_in(&cwd, &["--format", "gcc", arg]);
        assert_eq!(
            out.stdout,
            format!("{shown}:4:17: {LEAK_GCC}\n"),
            "from {cwd:?}"
        );
        assert_eq!(out.stderr, "", "from {cwd:?}");
    }
}

/// `--show-settings FILE`: the config that applies and what it makes of the file.
#[test]
fn show_settings_names_the_config_and_the_rules_that_run() {
    let dir = tempfile::tempdir().unwrap();
    let top = std::fs::canonicalize(dir.path()).unwrap();
    write(
        &top,
        "proj/wsalint.toml",
        "select = [\"WSA001\", \"socket-leak\"]\nexclude = [\"gen\"]\n[severity]\nWSA101 = \"error\"\n[per-file-ignores]\n\"tests/**\" = [\"WSA001\"]\n",
    );
    std::fs::create_dir_all(top.join("elsewhere")).unwrap();
    let config = top.join("proj/wsalint.toml");
    let out = run_in(
        &top.join("elsewhere"),
        &["--show-settings", "../proj/tests/t.c"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        format!(
            "file: ../proj/tests/t.c\nconfig: {}\nexcluded: no\nper-file-ignores: WSA001\n\
             max_file_size: 8388608\nrules: 1\n  WSA101   socket-leak error\n",
            config.display()
        )
    );
    let out = run_in(&top.join("proj"), &["--show-settings", "gen/x.c"]);
    assert_eq!(
        out.stdout,
        "file: gen/x.c\nconfig: wsalint.toml\nexcluded: yes (the config's `exclude`)\n\
         max_file_size: 8388608\nrules: 2\n  WSA001   iphlpapi-load-cycle warning\n  \
         WSA101   socket-leak         error\n"
    );
    let out = run_in(&top.join("elsewhere"), &["--show-settings", "x.c"]);
    assert!(
        out.stdout
            .starts_with("file: x.c\nconfig: none (the defaults)\nexcluded: no\n"),
        "{}",
        out.stdout
    );
}

// ---------------------------------------------------------------------------------------------
// Config: every error

#[test]
fn config_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.c", LEAK);
    let cases: &[(&str, &str)] = &[
        ("bogus = 1\n", "wsalint.toml:1:1: `bogus`: unknown field `bogus`, expected one of `select`, `ignore`, `severity`, `exclude`, `per-file-ignores`, `resources`, `dlls`, `custom_rules`, `max_file_size`, `report_unused_suppressions`"),
        ("[resources]\ncloser = [\"x\"]\n", "wsalint.toml:2:1: `resources.closer`: unknown field `closer`, expected one of `socket_types`, `unsigned_socket_types`, `creators`, `closers`, `owners`, `loaders`, `valid_checks`"),
        ("max_file_size = \"big\"\n", "wsalint.toml:1:17: `max_file_size`: invalid type: string \"big\", expected u64"),
        ("select = \"WSA001\"\n", "wsalint.toml:1:10: `select`: invalid type: string \"WSA001\", expected a sequence"),
        ("dlls = [1]\n", "wsalint.toml:1:9: `dlls`: invalid type: integer `1`, expected a string"),
        ("report_unused_suppressions = \"yes\"\n", "wsalint.toml:1:30: `report_unused_suppressions`: invalid type: string \"yes\", expected a boolean"),
        ("select = [\n", "wsalint.toml:1:11: `select`: unclosed array, expected `]`"),
        ("[severity]\nWSA001 = \"loud\"\n", "wsalint.toml:2:10: `severity.WSA001`: unknown severity `loud` (expected note, warning or error)"),
        ("[severity]\n\"bad code\" = \"error\"\n", "wsalint.toml:2:1: `severity`: `bad code` is not a rule code or name"),
        ("select = [\"???\"]\n", "wsalint.toml:1:11: `select`: `???` is not a rule code, prefix or name"),
        ("ignore = [\"WSA001\", \"1x\"]\n", "wsalint.toml:1:21: `ignore`: `1x` is not a rule code, prefix or name"),
        ("select = [\"WSA999\"]\n", "wsalint.toml:1:11: `select`: `WSA999` is not a rule code, prefix or name"),
        ("select = [\"WSA001\"]\nignore = [\"WSA1O1\"]\n", "wsalint.toml:2:11: `ignore`: `WSA1O1` is not a rule code, prefix or name; did you mean `WSA101` (socket-leak)?"),
        ("[severity]\nWSA001 = \"error\"\nsocket-leek = \"error\"\n", "wsalint.toml:3:1: `severity`: `socket-leek` is not a rule code or name; did you mean `socket-leak` (WSA101)?"),
        ("[severity]\nWSA1 = \"error\"\n", "wsalint.toml:2:1: `severity`: `WSA1` is not a rule code or name"),
        ("exclude = [\"a/{b\"]\n", "wsalint.toml:1:12: `exclude`: bad glob `a/{b`: unclosed alternate group; missing '}' (maybe escape '{' with '[{]'?)"),
        ("custom_rules = [\"rules/none.scm\"]\n", "wsalint.toml:1:17: `custom_rules`: cannot read `rules/none.scm`: no such file or directory"),
    ];
    for (toml, expected) in cases {
        write(dir.path(), "wsalint.toml", toml);
        let out = run_in(dir.path(), &["a.c"]);
        assert_eq!(out.code, 2, "{toml}");
        assert_located(&out.stderr, "invalid config", expected);
        assert_eq!(out.stdout, "");
    }
    // A config file that cannot be read has no position to show.
    let out = run_in(dir.path(), &["--config", "nope.toml", "a.c"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr,
        "error: cannot read config file `nope.toml`: no such file or directory\n"
    );
}

/// The error `path:line:col: message` said once, rendered with codespan like a diagnostic: the
/// title and message (which may go on), then the file, line and column above the snippet. An
/// expectation that ends after `line:` checks the line only.
fn assert_located(stderr: &str, title: &str, expected: &str) {
    let mut parts = expected.splitn(4, ':');
    let (file, line, col) = (
        parts.next().unwrap(),
        parts.next().unwrap(),
        parts.next().unwrap(),
    );
    match parts.next() {
        Some(message) => assert!(
            stderr.starts_with(&format!("error: {title}: {}", message.trim_start())),
            "{expected}\n{stderr}"
        ),
        None => assert!(stderr.starts_with(&format!("error: {title}: ")), "{stderr}"),
    }
    let location = if col.is_empty() {
        format!("┌─ {file}:{line}:")
    } else {
        format!("┌─ {file}:{line}:{col}\n")
    };
    assert!(stderr.contains(&location), "{expected}\n{stderr}");
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error")).count(),
        1,
        "said once: {stderr}"
    );
}

#[test]
fn unknown_selectors_on_the_command_line_are_errors_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.c", LEAK);
    let cases: &[(&[&str], &str)] = &[
        (&["--select", "WSA999"], "`--select`: `WSA999` is not a rule code, prefix or name"),
        (&["--select", "WSA1O1"], "`--select`: `WSA1O1` is not a rule code, prefix or name; did you mean `WSA101` (socket-leak)?"),
        (&["--select", "WSA*"], "`--select`: `WSA*` is not a rule code, prefix or name (selectors are prefixes, not globs); did you mean `WSA`?"),
        (&["--ignore", "WSA001,socket-leek"], "`--ignore`: `socket-leek` is not a rule code, prefix or name; did you mean `socket-leak` (WSA101)?"),
        (&["--select", "WS"], "`--select`: `WS` is not a rule code, prefix or name"),
    ];
    for (args, expected) in cases {
        let mut all = args.to_vec();
        all.push("a.c");
        let out = run_in(d, &all);
        assert_eq!(out.code, 2, "{args:?}");
        assert_eq!(out.stderr, format!("error: {expected}\n"), "{args:?}");
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn names_prefixes_all_and_pseudo_rules_select() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.c", LEAK);
    let codes = |args: &[&str]| {
        let mut all = vec!["--format", "json"];
        all.extend_from_slice(args);
        all.push("a.c");
        let out = run_in(d, &all);
        assert_ne!(out.code, 2, "{args:?}: {}", out.stderr);
        json(&out)["diagnostics"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["code"].as_str().unwrap().to_string())
            .collect::<Vec<_>>()
    };
    for select in [
        "iphlpapi-load-cycle",
        "IPHLPAPI_LOAD_CYCLE",
        "wsa001",
        "WSA0",
        "WSA",
        "ALL",
    ] {
        assert_eq!(codes(&["--select", select]), ["WSA001"], "{select}");
    }
    assert!(codes(&["--ignore", "iphlpapi-load-cycle"]).is_empty());
    assert!(codes(&["--ignore", "LINT001,LINT"]).contains(&"WSA001".to_string()));
    // A name in the config, for a severity too.
    write(
        d,
        "wsalint.toml",
        "select = [\"iphlpapi-load-cycle\"]\n[severity]\niphlpapi-load-cycle = \"error\"\n",
    );
    let out = run_in(d, &["--format", "gcc", "a.c"]);
    assert!(out.stdout.contains(": error: "), "{}", out.stdout);
    std::fs::remove_file(d.join("wsalint.toml")).unwrap();
    // A selection with no rule in it runs, and says so.
    let out = run_in(d, &["--select", "WSA001", "--ignore", "WSA001", "a.c"]);
    assert_eq!(out.code, 0);
    assert!(
        out.stderr
            .starts_with("warning: the selection holds no rule: nothing is checked"),
        "{}",
        out.stderr
    );
    let out = run_in(d, &["--select", "WSA001", "a.c"]);
    assert_eq!(out.stderr, "");
}

// ---------------------------------------------------------------------------------------------
// Baseline

#[test]
fn baseline_round_trip_survives_edits_above_and_shows_new_findings() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.c", LEAK);
    write(dir.path(), "b.c", "#include <wsipx.h>\n");
    let out = run_in(dir.path(), &["--write-baseline", "baseline.json"]);
    assert_eq!(out.code, 0);
    assert_eq!(out.stdout, "");
    assert!(out
        .stderr
        .contains("wrote 2 findings to baseline `baseline.json`"));
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("baseline.json")).unwrap())
            .unwrap();
    assert_eq!(recorded["version"], 2);
    let first = &recorded["findings"][0];
    assert_eq!(first["code"], "WSA001");
    assert_eq!(first["path"], "a.c");
    assert_eq!(first["line"], 4);
    assert_eq!(
        first["message"],
        "`iphlpapi.dll` is loaded into `h` and freed on every call to `f`"
    );
    assert_eq!(first["fingerprint"].as_str().unwrap().len(), 16);

    let out = run_in(dir.path(), &["--baseline", "baseline.json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert!(out.stdout.contains("No findings in 2 files. 2 suppressed."));

    // Twenty lines added above: the finding moves down and stays hidden.
    let moved = format!("{}{LEAK}", "/* a new comment line */\n".repeat(20));
    write(dir.path(), "a.c", &moved);
    let out = run_in(
        dir.path(),
        &["--baseline", "baseline.json", "--format", "json"],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(json(&out)["summary"]["suppressed"], 2);

    // A new finding of the same rule in the same file shows; the old one stays hidden. Its line
    // is the same text as the old one's, in a new function.
    let grown = format!("{moved}void g(void)\n{{\n    HMODULE h = LoadLibraryA(\"iphlpapi.dll\");\n    FreeLibrary(h);\n}}\n");
    write(dir.path(), "a.c", &grown);
    let out = run_in(
        dir.path(),
        &["--baseline", "baseline.json", "--format", "gcc"],
    );
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "a.c:29:17: warning: `iphlpapi.dll` is loaded into `h` and freed on every call to `g` [WSA001]\n"
    );

    // Rewriting the baseline keeps what the old one hid.
    let out = run_in(
        dir.path(),
        &[
            "--baseline",
            "baseline.json",
            "--write-baseline",
            "baseline.json",
        ],
    );
    assert!(out.stderr.contains("wrote 3 findings"), "{}", out.stderr);
    assert_eq!(run_in(dir.path(), &["--baseline", "baseline.json"]).code, 0);
}

#[test]
fn baseline_paths_are_relative_to_the_baseline_from_any_directory() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "src/net/a.c", LEAK);
    // Written from a subdirectory, read from the top and from another subdirectory.
    let out = run_in(&d.join("src"), &["--write-baseline", "../baseline.json"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let recorded: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("baseline.json")).unwrap()).unwrap();
    assert_eq!(recorded["findings"][0]["path"], "src/net/a.c");
    for (cwd, baseline, paths) in [
        (d.to_path_buf(), "baseline.json", "."),
        (d.join("src/net"), "../../baseline.json", "."),
        (d.join("src"), "../baseline.json", "net/a.c"),
    ] {
        let out = run_in(&cwd, &["--baseline", baseline, "--format", "json", paths]);
        assert_eq!(out.code, 0, "{}: {}", cwd.display(), out.stdout);
        assert_eq!(json(&out)["summary"]["suppressed"], 1);
        assert_eq!(out.stderr, "");
    }
    // A version 1 baseline keeps its meaning: paths relative to where it is run from.
    let shown = json(&run_in(&d.join("src"), &["--format", "json"]));
    let finding = &shown["diagnostics"][0];
    let v1 = serde_json::json!({"version": 1, "findings": [{
        "code": "WSA001",
        "path": "net/a.c",
        "fingerprint": finding["fingerprint"],
    }]});
    write(d, "old.json", &v1.to_string());
    let out = run_in(
        &d.join("src"),
        &["--baseline", "../old.json", "--format", "json"],
    );
    assert_eq!(out.code, 0, "{}", out.stdout);
    assert_eq!(json(&out)["summary"]["suppressed"], 1);
    // Entries that match nothing while findings show: a warning says why they may not.
    let out = run_in(d, &["--baseline", "old.json", "--format", "gcc"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stderr,
        "warning: none of the 1 entries of baseline `old.json` matches a finding (its paths are \
         relative to its directory; a version 1 baseline's to where it was written)\n"
    );
}

#[test]
fn bad_baselines_are_errors() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "a.c", LEAK);
    let cases: &[(&str, &str)] = &[
        ("{", "error: `b.json` is not a wsalint baseline: EOF while parsing an object at line 1 column 1"),
        ("[]", "error: `b.json` is not a wsalint baseline: invalid length 0, expected struct Baseline with 2 elements at line 1 column 2"),
        ("{\"version\": 3, \"findings\": []}", "error: `b.json` is not a wsalint baseline: version 3 is not supported (expected 2)"),
        ("{\"version\": 1, \"findings\": [{\"code\": \"WSA001\", \"path\": \"a.c\"}]}", "error: `b.json` is not a wsalint baseline: missing field `fingerprint` at line 1 column 61"),
    ];
    for (text, expected) in cases {
        write(dir.path(), "b.json", text);
        let out = run_in(dir.path(), &["--baseline", "b.json", "a.c"]);
        assert_eq!(out.code, 2, "{text}");
        assert_eq!(out.stderr.trim_end(), *expected);
    }
    let out = run_in(dir.path(), &["--baseline", "none.json", "a.c"]);
    assert_eq!(out.code, 2);
    assert_eq!(
        out.stderr.trim_end(),
        "error: cannot read baseline `none.json`: no such file or directory"
    );
}

// ---------------------------------------------------------------------------------------------
// Custom rules

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap().flatten() {
        let target = to.join(e.file_name());
        if e.path().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), &target).unwrap();
        }
    }
}

fn custom_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/custom-rules");
    copy_dir(&fixture, dir.path());
    dir
}

const ACME_MESSAGE: &str =
    "`closesocket` closes `table[slot].sock` behind the connection table's back";

#[test]
fn a_custom_rule_runs_in_every_format() {
    let dir = custom_project();
    let d = dir.path();
    let out = run_in(d, &["--format", "gcc"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        format!("connection-table.c:23:5: warning: {ACME_MESSAGE} [ACME001]\n")
    );
    let out = run_in(d, &["--format", "msvc"]);
    assert_eq!(
        out.stdout,
        format!("connection-table.c(23,5): warning ACME001: {ACME_MESSAGE}\n")
    );
    let out = run_in(d, &["--format", "json"]);
    let log = json(&out);
    let diag = &log["diagnostics"][0];
    assert_eq!(diag["code"], "ACME001");
    assert_eq!(diag["name"], "raw-closesocket");
    assert_eq!(diag["severity"], "warning");
    assert_eq!(diag["path"], "connection-table.c");
    assert_eq!(
        (diag["line"].clone(), diag["column"].clone()),
        (23.into(), 5.into())
    );
    assert_eq!(diag["end_column"], 34);
    assert_eq!(diag["message"], ACME_MESSAGE);
    assert_eq!(diag["fix"]["applicability"], "suggestion");
    assert_eq!(diag["fix"]["message"], "call `net_close` instead");
    assert_eq!(log["summary"]["suppressed"], 2);
    let out = run_in(d, &[]);
    for part in [
        &format!("warning[ACME001]: {ACME_MESSAGE}"),
        "┌─ connection-table.c:23:5",
        "= help: call `net_close` instead",
        "= note: `wsalint explain ACME001` (raw-closesocket)",
        "Found 1 finding (1 warning) in 1 of 2 files. 2 suppressed.",
    ] {
        assert!(out.stdout.contains(part), "{part}\n{}", out.stdout);
    }
    for rule in ["ACME001", "raw-closesocket"] {
        let out = run_in(d, &["explain", rule]);
        assert!(
            out.stdout
                .starts_with("# ACME001 raw-closesocket (warning, fix: suggestion)"),
            "{}",
            out.stdout
        );
    }
    let out = run_in(d, &["explain", "raw-closesoket"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr
            .contains("did you mean `raw-closesocket` (ACME001)?"),
        "{}",
        out.stderr
    );
    // `rules` lists the custom rules after the built-in ones.
    let out = run_in(d, &["rules"]);
    let last = out.stdout.lines().last().unwrap();
    assert!(
        last.starts_with("ACME001 raw-closesocket ") && last.ends_with(" custom rule"),
        "{last}"
    );
    let out = run_in(d, &["rules", "--format", "json"]);
    let log = json(&out);
    let last = log.as_array().unwrap().last().unwrap();
    assert_eq!(last["code"], "ACME001");
    assert_eq!(last["kind"], "custom");
    // A custom rule that does not load is an error, not a shorter list.
    write(d, "rules/acme001-raw-closesocket.scm", "(oops\n");
    let out = run_in(d, &["rules"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.starts_with("error: invalid custom rule"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_custom_rule_obeys_selection_severity_and_baselines() {
    let dir = custom_project();
    let d = dir.path();
    assert_eq!(run_in(d, &["--ignore", "ACME"]).code, 0);
    assert_eq!(run_in(d, &["--select", "WSA"]).code, 0);
    let toml = std::fs::read_to_string(d.join("wsalint.toml")).unwrap();
    write(
        d,
        "wsalint.toml",
        &format!("{toml}\n[severity]\nACME001 = \"error\"\n"),
    );
    let out = run_in(d, &["--format", "gcc"]);
    assert_eq!(
        out.stdout,
        format!("connection-table.c:23:5: error: {ACME_MESSAGE} [ACME001]\n")
    );
    assert_eq!(run_in(d, &["--write-baseline", "b.json"]).code, 0);
    assert_eq!(run_in(d, &["--baseline", "b.json"]).code, 0);
    // The fixture's own suppression is used: nothing is unused.
    let out = run_in(d, &["--report-unused-suppressions", "--baseline", "b.json"]);
    assert_eq!(out.code, 0, "{}", out.stdout);
}

#[test]
fn custom_rule_errors_point_into_the_query_file() {
    let dir = custom_project();
    let d = dir.path();
    let rule_path = d.join("rules/acme001-raw-closesocket.scm");
    let rule = std::fs::read_to_string(&rule_path).unwrap();
    let cases: &[(String, &str)] = &[
        (
            rule.replace("(identifier) @callee", "(identifer) @callee"),
            "rules/acme001-raw-closesocket.scm:11:14: invalid query: NodeType: \"identifer\" (with the C grammar; `; language: cpp` limits a rule to C++)",
        ),
        (
            rule.replace("(#eq? @callee", "(#eq? @calee"),
            "rules/acme001-raw-closesocket.scm:13:",
        ),
        (
            rule.replace("ACME001", "WSA901"),
            "rules/acme001-raw-closesocket.scm:1:9: `WSA901` collides with wsalint's own `WSA` codes: pick another prefix, like `ACME001`",
        ),
        (
            rule.replace("; code: ACME001\n", ""),
            "rules/acme001-raw-closesocket.scm:1:1: missing header line `; code: ...`",
        ),
        (
            rule.replace("; severity: warning", "; severity: loud"),
            "rules/acme001-raw-closesocket.scm:3:13: unknown severity `loud` (expected note, warning or error)",
        ),
        (
            rule.replace("; capture: call", "; capture: nope"),
            "rules/acme001-raw-closesocket.scm:5:12: the query has no capture `@nope`",
        ),
        (
            rule.replace("; help:", "; hint:"),
            "rules/acme001-raw-closesocket.scm:6:3: unknown header key `hint`",
        ),
        (
            rule.replace("{{sock}}", "{{socket}}"),
            "rules/acme001-raw-closesocket.scm:4:12: the message uses `{{socket}}`, but the query has no capture `@socket`",
        ),
        (
            rule.replace("raw-closesocket", "Raw Close"),
            "rules/acme001-raw-closesocket.scm:2:9: `Raw Close` is not a rule name: use kebab-case, like `raw-closesocket`",
        ),
    ];
    for (text, expected) in cases {
        std::fs::write(&rule_path, text).unwrap();
        let out = run_in(d, &[]);
        assert_eq!(out.code, 2, "{expected}");
        assert_located(&out.stderr, "invalid custom rule", expected);
    }
    // Two files with one code.
    std::fs::write(&rule_path, &rule).unwrap();
    write(d, "rules/copy.scm", &rule);
    write(
        d,
        "wsalint.toml",
        "custom_rules = [\"rules/acme001-raw-closesocket.scm\", \"rules/copy.scm\"]\n",
    );
    let out = run_in(d, &[]);
    assert_eq!(out.code, 2);
    assert_located(
        &out.stderr,
        "invalid custom rule",
        "rules/copy.scm:1:9: code `ACME001` is used by another custom rule",
    );
}

// ---------------------------------------------------------------------------------------------
// stdin

#[test]
fn stdin_is_linted_as_the_given_file_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let lint = |args: &[&str]| {
        let mut all = vec!["check", "--stdin-filename", "src/net.c"];
        all.extend_from_slice(args);
        all.push("-");
        run_with(d, &all, Some(LEAK.as_bytes()))
    };
    let out = lint(&["--format", "gcc"]);
    assert_eq!(out.code, 1);
    assert_eq!(out.stdout, format!("src/net.c:4:17: {LEAK_GCC}\n"));
    let out = lint(&["--format", "msvc"]);
    let sep = std::path::MAIN_SEPARATOR;
    assert!(
        out.stdout
            .starts_with(&format!("src{sep}net.c(4,17): warning WSA001: ")),
        "{}",
        out.stdout
    );
    let out = lint(&["--format", "json"]);
    let log = json(&out);
    assert_eq!(log["diagnostics"][0]["path"], "src/net.c");
    assert_eq!(log["diagnostics"][0]["related"][0]["path"], "src/net.c");
    assert_eq!(log["summary"]["files_checked"], 1);
    let out = lint(&[]);
    assert!(out.stdout.contains("┌─ src/net.c:4:17"), "{}", out.stdout);
    assert!(out.stdout.contains("in 1 of 1 file."), "{}", out.stdout);
    // Without a name, `-` is shown as `<stdin>`; UTF-16 input is decoded like a file.
    let mut utf16 = vec![0xff, 0xfe];
    utf16.extend(LEAK.encode_utf16().flat_map(|u| u.to_le_bytes()));
    let out = run_with(d, &["--format", "gcc", "-"], Some(&utf16));
    assert_eq!(out.stdout, format!("<stdin>:4:17: {LEAK_GCC}\n"));
    // Binary input is skipped with a warning naming it.
    let out = run_with(d, &["--stdin-filename", "x.c", "-"], Some(b"\0\0\0"));
    assert_eq!(out.code, 0);
    assert!(
        out.stderr.contains("warning: x.c: skipped: binary file"),
        "{}",
        out.stderr
    );
}

#[test]
fn stdin_finds_the_config_from_the_given_name_and_honours_exclude() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "proj/wsalint.toml",
        "exclude = [\"gen\"]\n[severity]\nWSA001 = \"error\"\n",
    );
    let out = run_with(
        d,
        &["--format", "gcc", "--stdin-filename", "proj/src/net.c", "-"],
        Some(LEAK.as_bytes()),
    );
    assert_eq!(
        out.stdout,
        format!(
            "proj/src/net.c:4:17: {}\n",
            LEAK_GCC.replace("warning:", "error:")
        )
    );
    let out = run_with(
        d,
        &["--format", "gcc", "--stdin-filename", "proj/gen/net.c", "-"],
        Some(LEAK.as_bytes()),
    );
    assert_eq!((out.code, out.stdout.as_str()), (0, ""));
    let out = run_with(
        d,
        &["--stdin-filename", "net.c", "a.c"],
        Some(LEAK.as_bytes()),
    );
    assert_eq!(out.code, 2);
    assert!(out
        .stderr
        .contains("`--stdin-filename` names standard input"));
    let out = run_with(d, &["-", "a.c"], Some(LEAK.as_bytes()));
    assert_eq!(out.code, 2);
}

// ---------------------------------------------------------------------------------------------
// Reporting options

#[test]
fn statistics_threshold_exit_zero_and_quiet() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(d, "a.c", LEAK);
    write(d, "b.c", &LEAK.replace("void f", "void g"));
    write(d, "ipx.c", "#include <wsipx.h>\n");
    write(d, "bin.c", "\0binary");
    write(d, "u.c", "int x; // wsalint-ignore WSA001\n");
    // The table alone, most frequent rule first, with the fixable count and a total; skipped
    // files still warn on stderr.
    let out = run_in(d, &["--statistics", "--report-unused-suppressions"]);
    assert_eq!(out.code, 1);
    assert_eq!(
        out.stdout,
        "code     name                 count  fixable\n\
         WSA001   iphlpapi-load-cycle      2        0\n\
         LINT001  unused-suppression       1        1\n\
         WSA005   ipx-spx-socket           1        0\n\
         total                             4        1\n"
    );
    // The same rows in JSON; the other formats print the table.
    let out = run_in(
        d,
        &[
            "--statistics",
            "--report-unused-suppressions",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        json(&out),
        serde_json::json!([
            {"code": "WSA001", "name": "iphlpapi-load-cycle", "count": 2, "fixable": 0},
            {"code": "LINT001", "name": "unused-suppression", "count": 1, "fixable": 1},
            {"code": "WSA005", "name": "ipx-spx-socket", "count": 1, "fixable": 0},
        ])
    );
    let out = run_in(
        d,
        &["--statistics", "--format", "gcc", "--select", "WSA005"],
    );
    assert_eq!(
        out.stdout,
        "code    name            count  fixable\n\
         WSA005  ipx-spx-socket      1        0\n\
         total                       1        0\n"
    );
    std::fs::remove_file(d.join("u.c")).unwrap();
    let out = run_in(d, &["--statistics"]);
    assert!(out.stderr.contains("warning: bin.c: skipped: binary file"));

    let out = run_in(d, &["--quiet"]);
    assert_eq!(out.code, 1);
    assert!(!out.stdout.contains("Found"), "{}", out.stdout);
    assert_eq!(out.stderr, "");

    assert_eq!(run_in(d, &["--exit-zero"]).code, 0);
    assert_eq!(run_in(d, &["--severity-threshold", "warning"]).code, 1);
    assert_eq!(run_in(d, &["--severity-threshold", "error"]).code, 0);
    write(d, "wsalint.toml", "[severity]\nWSA005 = \"error\"\n");
    assert_eq!(run_in(d, &["--severity-threshold", "error"]).code, 1);
    assert_eq!(
        run_in(d, &["--severity-threshold", "error", "--exit-zero"]).code,
        0
    );
    write(
        d,
        "wsalint.toml",
        "[severity]\nWSA001 = \"note\"\nWSA005 = \"note\"\n",
    );
    assert_eq!(run_in(d, &["--severity-threshold", "warning"]).code, 0);
    assert_eq!(run_in(d, &[]).code, 1);
}

// ---------------------------------------------------------------------------------------------
// SARIF, GitHub annotations and --fix with what this file covers

#[test]
fn custom_rules_stdin_and_baselines_in_sarif_and_github() {
    let dir = custom_project();
    let d = dir.path();
    let out = run_in(d, &["--format", "github"]);
    assert_eq!(
        out.stdout,
        format!("::warning file=connection-table.c,line=23,col=5,endLine=23,endColumn=34,title=ACME001 raw-closesocket::{ACME_MESSAGE}%0Ahelp: call `net_close` instead\n")
    );
    let sarif = |out: &Out| -> serde_json::Value {
        serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", out.stdout))
    };
    let log = sarif(&run_in(d, &["--format", "sarif"]));
    let run = &log["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    let acme = rules.iter().position(|r| r["id"] == "ACME001").unwrap();
    let results = run["results"].as_array().unwrap();
    assert_eq!(results.len(), 3);
    let shown: Vec<_> = results
        .iter()
        .filter(|r| r.get("suppressions").is_none())
        .collect();
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0]["ruleId"], "ACME001");
    assert_eq!(shown[0]["ruleIndex"], acme);
    assert_eq!(shown[0]["message"]["text"], ACME_MESSAGE);
    let reasons: Vec<_> = results
        .iter()
        .filter_map(|r| r.get("suppressions"))
        .map(|s| (s[0]["kind"].clone(), s[0]["justification"].clone()))
        .collect();
    assert_eq!(
        reasons,
        [
            ("inSource".into(), "the one place that may".into()),
            ("inSource".into(), "never entered in the table".into())
        ]
    );
    // A baseline turns the shown finding into an external suppression.
    assert_eq!(run_in(d, &["--write-baseline", "b.json"]).code, 0);
    let out = run_in(d, &["--format", "sarif", "--baseline", "b.json"]);
    assert_eq!(out.code, 0);
    let log = sarif(&out);
    let external: Vec<_> = log["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["suppressions"][0]["kind"] == "external")
        .collect();
    assert_eq!(external.len(), 1);
    assert_eq!(
        external[0]["suppressions"][0]["justification"],
        "recorded in baseline `b.json`"
    );

    // Standard input, named, in both formats.
    let input = LEAK.as_bytes();
    let args = |f: &'static str| ["--format", f, "--stdin-filename", "src/net.c", "-"];
    let out = run_with(d, &args("github"), Some(input));
    assert!(
        out.stdout
            .starts_with("::warning file=src/net.c,line=4,col=17,"),
        "{}",
        out.stdout
    );
    let log = sarif(&run_with(d, &args("sarif"), Some(input)));
    let loc = &log["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert_eq!(loc["artifactLocation"]["uri"], "src/net.c");
    assert_eq!(loc["region"]["startLine"], 4);
}

#[test]
fn fix_removes_unused_suppressions() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "s.c", SUPPRESSIONS);
    let out = run_in(
        dir.path(),
        &["--report-unused-suppressions", "--fix", "s.c"],
    );
    // LINT002's fix and LINT001's fix on the same line wait for a second run if they overlap;
    // what is left afterwards is stable.
    let once = std::fs::read_to_string(dir.path().join("s.c")).unwrap();
    assert!(
        once.contains("// wsalint-ignore WSA001 -- cached\n"),
        "{once}"
    );
    assert!(
        once.contains("int g(void) { return 0; }\nint k;\n"),
        "{once}"
    );
    assert!(once.contains("int m; // NOLINT(bugprone-x)\n"), "{once}");
    assert!(once.ends_with("int n;\n"), "{once}");
    assert_eq!(out.code, 0, "{}", out.stdout);
    let again = run_in(
        dir.path(),
        &["--report-unused-suppressions", "--fix", "s.c"],
    );
    assert_eq!(again.code, 0);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("s.c")).unwrap(),
        once
    );
    let out = run_with(
        dir.path(),
        &["--fix", "--stdin-filename", "s.c", "-"],
        Some(b""),
    );
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("do not apply to standard input"),
        "{}",
        out.stderr
    );
}
