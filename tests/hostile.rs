//! Hostile input, generated at test time: whatever a repository holds, a run ends in a clear
//! warning or correct findings, exits 0 or 1, and never hangs. The timeout on every command is a
//! hang guard, not a speed assertion.

use std::path::Path;
use std::process::Output;
use std::time::Duration;

use assert_cmd::Command;

/// Generous: a debug build on a loaded 2-core machine. A hang is minutes, not seconds.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// A WSA001 finding at line 4, column 17 (the `LoadLibraryA` call).
const LEAK: &str = "#include <windows.h>\nvoid f(void)\n{\n    HMODULE h = LoadLibraryA(\"iphlpapi.dll\");\n    FreeLibrary(h);\n}\n";
const LEAK_GCC: &str =
    "4:17: warning: `iphlpapi.dll` is loaded into `h` and freed on every call to `f` [WSA001]";

fn run(dir: &Path, args: &[&str]) -> Output {
    let out = run_any(dir, args);
    let code = out.status.code();
    assert!(
        matches!(code, Some(0) | Some(1)),
        "exit {code:?} for {args:?}\nstdout: {}\nstderr: {}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn gcc(dir: &Path, file: &str) -> Output {
    run(dir, &["--format", "gcc", file])
}

fn utf16(text: &str, le: bool) -> Vec<u8> {
    let mut raw = if le {
        vec![0xFF, 0xFE]
    } else {
        vec![0xFE, 0xFF]
    };
    for u in text.encode_utf16() {
        raw.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
    }
    raw
}

/// A small deterministic generator (xorshift), so a failure reproduces.
fn noise(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 24) as u8
        })
        .collect()
}

#[test]
fn random_binary_is_skipped_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = noise(200_000, 0x9E37_79B9_7F4A_7C15);
    raw[10] = 0;
    std::fs::write(dir.path().join("blob.c"), &raw).unwrap();
    let out = run(dir.path(), &["blob.c"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("warning: blob.c: skipped: binary file"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn random_bytes_without_nul_are_linted_as_windows_1252() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw: Vec<u8> = noise(300_000, 42).into_iter().map(|b| b.max(1)).collect();
    raw.extend_from_slice(b"\nLoadLibrary iphlpapi IPX SPX wsnwlink {{{((( /* \"");
    std::fs::write(dir.path().join("noise.c"), &raw).unwrap();
    run(dir.path(), &["noise.c"]);
}

#[test]
fn nul_bytes_in_valid_code_are_binary() {
    let dir = tempfile::tempdir().unwrap();
    let mut raw = LEAK.as_bytes().to_vec();
    raw.insert(30, 0);
    std::fs::write(dir.path().join("nul.c"), &raw).unwrap();
    let out = run(dir.path(), &["nul.c"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("warning: nul.c: skipped: binary file (contains NUL bytes)"));
}

#[test]
fn windows_1252_text_reports_character_columns() {
    let dir = tempfile::tempdir().unwrap();
    // `é` and `ü` as single Windows-1252 bytes, one of them on the finding's line.
    let text = LEAK
        .replace("void f(void)", "/* Gr\u{1}\u{1}e */ void f(void)")
        .replace("    HMODULE h", "/*\u{2}*/HMODULE h");
    let raw: Vec<u8> = text
        .bytes()
        .map(|b| match b {
            1 => 0xFC,
            2 => 0xE9,
            b => b,
        })
        .collect();
    assert!(std::str::from_utf8(&raw).is_err());
    std::fs::write(dir.path().join("cp1252.c"), &raw).unwrap();
    let out = gcc(dir.path(), "cp1252.c");
    assert_eq!(
        stdout(&out),
        format!("cp1252.c:{}\n", LEAK_GCC.replace("4:17", "4:18"))
    );
    // The human snippet shows the text lossily, never raw bytes that are not UTF-8.
    let human = run(dir.path(), &["cp1252.c"]);
    assert!(std::str::from_utf8(&human.stdout).is_ok());
    assert!(
        stdout(&human).contains("/*?*/HMODULE h"),
        "{}",
        stdout(&human)
    );
}

#[test]
fn utf16_with_bom_both_orders_with_and_without_crlf() {
    let dir = tempfile::tempdir().unwrap();
    for le in [true, false] {
        for crlf in [false, true] {
            let text = if crlf {
                LEAK.replace('\n', "\r\n")
            } else {
                LEAK.to_string()
            };
            let name = format!("u16-{}-{}.c", if le { "le" } else { "be" }, crlf);
            std::fs::write(dir.path().join(&name), utf16(&text, le)).unwrap();
            let out = gcc(dir.path(), &name);
            assert_eq!(stdout(&out), format!("{name}:{LEAK_GCC}\n"));
            assert_eq!(out.status.code(), Some(1));
            let json = run(dir.path(), &["--format", "json", &name]);
            let v: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
            let d = &v["diagnostics"][0];
            assert_eq!(
                (d["line"].as_u64(), d["column"].as_u64()),
                (Some(4), Some(17))
            );
            assert_eq!(d["end_line"].as_u64(), Some(4));
        }
    }
}

#[test]
fn utf16_without_a_valid_pairing_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    // A lone high surrogate, and an odd trailing byte.
    let mut raw = utf16("int x;", true);
    raw.extend_from_slice(&[0x00, 0xD8, 0x41]);
    std::fs::write(dir.path().join("bad16.c"), &raw).unwrap();
    let out = run(dir.path(), &["bad16.c"]);
    assert!(
        stderr(&out).contains("bad16.c: skipped"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn utf8_bom_is_not_counted_as_a_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bom.c"), format!("\u{FEFF}{LEAK}")).unwrap();
    let out = gcc(dir.path(), "bom.c");
    assert_eq!(stdout(&out), format!("bom.c:{LEAK_GCC}\n"));
    // On the first line too.
    let first =
        "\u{FEFF}void f(void) { HMODULE h = LoadLibraryA(\"iphlpapi.dll\"); FreeLibrary(h); }\n";
    std::fs::write(dir.path().join("bom1.c"), first).unwrap();
    let out = gcc(dir.path(), "bom1.c");
    assert!(
        stdout(&out).starts_with("bom1.c:1:28: warning:"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn empty_files_are_clean() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("empty.c"), b"").unwrap();
    std::fs::write(dir.path().join("bom-only.c"), b"\xEF\xBB\xBF").unwrap();
    std::fs::write(dir.path().join("u16-only.c"), b"\xFF\xFE").unwrap();
    std::fs::write(dir.path().join("newlines.h"), b"\r\n\n\r\r").unwrap();
    let out = run(dir.path(), &["."]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(stderr(&out), "");
    assert_eq!(stdout(&out), "No findings in 4 files.\n");
}

/// 60,000-deep nesting, with a needle so that the file is parsed and every rule runs on it.
fn deep(open: &str, close: &str) -> String {
    let n = 60_000;
    let mut s = String::with_capacity(n * (open.len() + close.len()) + 200);
    s.push_str("void f(void) { HMODULE h = LoadLibraryA(\"iphlpapi.dll\"); FreeLibrary(h);\n");
    for _ in 0..n {
        s.push_str(open);
    }
    s.push_str("closesocket(s);");
    for _ in 0..n {
        s.push_str(close);
    }
    s.push_str("\n}\n");
    s
}

#[test]
fn deep_nesting_does_not_overflow() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("braces.c", deep("{", "}")),
        ("parens.c", deep("x = (", "0);")),
        ("ifs.c", deep("if (a) ", "")),
        ("ifs-braced.c", deep("if (a) {", "}")),
        ("unclosed.c", deep("{ (", "")),
    ];
    for (name, text) in &cases {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    for (name, _) in &cases {
        let out = gcc(dir.path(), name);
        // The leak on the first line is found whatever follows it, or (input that tree-sitter
        // handles slowly, in a debug build on a loaded machine) the run says it stopped early.
        // Blocks that never close make the whole file one syntax error, where no function is
        // left to hold a finding: that run only has to end cleanly.
        let slow = name.starts_with("unclosed") || name.starts_with("parens");
        let stopped = stderr(&out).contains(&format!("warning: {name}: the query pass stopped"))
            || stderr(&out).contains(&format!("warning: {name}: skipped: parsing took more"));
        let unclosed = name.starts_with("unclosed") && matches!(out.status.code(), Some(0 | 1));
        assert!(
            stdout(&out).starts_with(&format!("{name}:1:28: warning: `iphlpapi.dll`"))
                || (slow && stopped)
                || unclosed,
            "{name}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
}

#[test]
fn a_single_6_mb_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut s = String::from(
        "void f(void) { HMODULE h = LoadLibraryA(\"iphlpapi.dll\"); FreeLibrary(h); }",
    );
    while s.len() < 6 << 20 {
        s.push_str(" int a = b + c * (d - e); /* ü */ static const char *t = \"closesocket\";");
    }
    std::fs::write(dir.path().join("line.c"), &s).unwrap();
    let out = gcc(dir.path(), "line.c");
    assert!(
        stdout(&out).starts_with("line.c:1:28: warning:"),
        "{}",
        stdout(&out)
    );
    // Human output renders the snippet of a 6 MB line without choking.
    run(dir.path(), &["line.c"]);
}

fn big_file(size: usize) -> String {
    let mut s = String::with_capacity(size + 4096);
    let mut i = 0;
    while s.len() < size {
        s.push_str(&format!(
            "static int fn_{i}(SOCKET s, char *buf, int len)\n{{\n    int n = recv(s, buf, len, 0);\n    if (n == SOCKET_ERROR) {{ closesocket(s); return -1; }}\n    return n;\n}}\n"
        ));
        i += 1;
    }
    s.push_str(LEAK);
    s
}

#[test]
fn a_10_mb_file_hits_the_size_cap_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("big.c"), big_file(10 << 20)).unwrap();
    let out = run(dir.path(), &["big.c"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(
        stderr(&out).contains("warning: big.c: skipped: ")
            && stderr(&out).contains("over the size cap of 8388608 bytes (max_file_size)"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn unterminated_comments_and_strings() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        ("comment.c", format!("{LEAK}/* never closed\nint x;\n")),
        (
            "string.c",
            format!("{LEAK}const char *s = \"never closed\nint x;\n"),
        ),
        ("char.c", format!("{LEAK}char c = 'x\n")),
        ("raw.cpp", format!("{LEAK}auto s = R\"delim(never closed\n")),
        ("directive.c", format!("{LEAK}#if 1\n#ifdef _WIN32\n")),
        (
            "early.c",
            "void f(void) { HMODULE h = LoadLibraryA(\"iphlpapi.dll\"".to_string(),
        ),
    ];
    for (name, text) in &cases {
        std::fs::write(dir.path().join(name), text).unwrap();
        let out = gcc(dir.path(), name);
        for line in stdout(&out).lines() {
            assert!(line.starts_with(&format!("{name}:")), "{line}");
        }
    }
    // Text after the valid part does not move the finding.
    let out = gcc(dir.path(), "comment.c");
    assert_eq!(stdout(&out), format!("comment.c:{LEAK_GCC}\n"));
}

#[test]
fn cpp_garbage() {
    let dir = tempfile::tempdir().unwrap();
    let garbage = "template<template<class...> class T, auto... V> requires (sizeof...(V) > 0) \
        struct X : T<decltype([]<class U>(U&&u) -> decltype(auto) { co_return u; })> {\n\
        operator SOCKET() &&; };;;; }}} ))) <<<>>> :: ::: LoadLibrary iphlpapi closesocket \
        #define X(a, ...) a ## __VA_ARGS__ #a\n\
        [[nodiscard]] auto f() -> int = delete; = = = ; int main() try { throw; } catch (...) {}\n";
    let mut text = String::new();
    for i in 0..200 {
        text.push_str(&garbage[i % 37..]);
        text.push_str(garbage);
    }
    text.push_str(LEAK);
    std::fs::write(dir.path().join("garbage.cpp"), &text).unwrap();
    std::fs::write(dir.path().join("garbage.h"), &text).unwrap();
    let out = run(dir.path(), &["--format", "json", "."]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for d in v["diagnostics"].as_array().unwrap() {
        assert!(d["line"].as_u64().unwrap() >= 1);
        assert!(d["column"].as_u64().unwrap() >= 1);
    }
}

#[test]
fn a_directory_named_like_a_source_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("x.c")).unwrap();
    std::fs::write(dir.path().join("x.c").join("inner.c"), LEAK).unwrap();
    let out = run(dir.path(), &["--format", "gcc", "."]);
    assert_eq!(stdout(&out), format!("x.c/inner.c:{LEAK_GCC}\n"));
    assert_eq!(stderr(&out), "");
}

#[cfg(unix)]
#[test]
fn symlink_loops_and_dangling_links() {
    use std::os::unix::fs::symlink;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("src")).unwrap();
    std::fs::write(root.join("src/ok.c"), LEAK).unwrap();
    symlink(".", root.join("src/loop")).unwrap();
    symlink("..", root.join("src/up")).unwrap();
    symlink("self.c", root.join("src/self.c")).unwrap();
    symlink("a.c", root.join("src/b.c")).unwrap();
    symlink("b.c", root.join("src/a.c")).unwrap();
    symlink("nowhere.c", root.join("src/dangling.c")).unwrap();
    let out = run(root, &["--format", "gcc", "src"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), format!("src/ok.c:{LEAK_GCC}\n"));
    let err = stderr(&out);
    // `src/up` leads out of the tree and back into it: each file is still linted once.
    for (name, why) in [
        ("src/loop", "symbolic link loop"),
        ("src/self.c", "symbolic link loop"),
        ("src/a.c", "symbolic link loop"),
        ("src/b.c", "symbolic link loop"),
        ("src/dangling.c", "no such file or directory"),
    ] {
        assert!(
            err.lines()
                .any(|l| l == format!("warning: {name}: skipped: {why}")),
            "no warning for {name}:\n{err}"
        );
    }
    assert!(!err.contains(&root.display().to_string()), "{err}");
}

#[cfg(unix)]
#[test]
fn a_fifo_named_like_a_source_file_never_blocks() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("x.c");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: a valid NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    std::fs::write(dir.path().join("ok.c"), LEAK).unwrap();
    // Walked and named explicitly: neither blocks waiting for a writer.
    let out = run(dir.path(), &["--format", "gcc", "."]);
    assert_eq!(stdout(&out), format!("ok.c:{LEAK_GCC}\n"));
    assert!(stderr(&out).contains("warning: x.c: skipped: not a regular file"));
    let out = run(dir.path(), &["x.c"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stderr(&out).contains("warning: x.c: skipped: not a regular file"));
}

#[test]
fn control_characters_never_reach_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    // ANSI escapes and C1 controls in the source text, on the finding's line and in the code
    // the message quotes.
    let text = LEAK.replace(
        "    HMODULE h",
        "/* \x1b[2J\x1b]0;pwned\x07 \u{9b}31m \u{202e} */ HMODULE h",
    );
    std::fs::write(dir.path().join("esc.c"), &text).unwrap();
    #[cfg(unix)]
    std::fs::write(dir.path().join("name\x1b[31mred\x07.c"), &text).unwrap();
    for format in ["human", "gcc", "msvc"] {
        let out = run(dir.path(), &["--format", format, "--color", "never", "."]);
        assert_eq!(out.status.code(), Some(1));
        for (what, bytes) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
            let s = String::from_utf8_lossy(bytes);
            assert!(
                !s.chars()
                    .any(|c| (c.is_control() && c != '\n' && c != '\t') || c == '\u{202e}'),
                "{format} {what} holds a control character: {s:?}"
            );
        }
        #[cfg(unix)]
        assert!(stdout(&out).contains("name?[31mred?.c"), "{}", stdout(&out));
    }
    // The human snippet keeps the columns of the carets under the code.
    let out = run(dir.path(), &["--color", "never", "esc.c"]);
    let s = stdout(&out);
    let code_line = s.lines().find(|l| l.contains("HMODULE h")).unwrap();
    let caret_line = s.lines().find(|l| l.contains('^')).unwrap();
    let column = |line: &str, pat: &str| line.find(pat).map(|i| line[..i].chars().count());
    assert_eq!(
        column(code_line, "LoadLibraryA"),
        column(caret_line, "^"),
        "{s}"
    );
}

#[test]
fn paths_stay_relative_as_given() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("a/b")).unwrap();
    std::fs::write(dir.path().join("a/b/leak.c"), LEAK).unwrap();
    std::fs::write(dir.path().join("a/b/bin.c"), b"\0\0").unwrap();
    let abs = dir.path().canonicalize().unwrap().display().to_string();
    for args in [
        &["--format", "gcc", "a"][..],
        &["--format", "gcc", "./a"][..],
        &["--format", "gcc", "a/b/leak.c", "a/b/bin.c"][..],
        &["--format", "msvc", "a"][..],
        &["--format", "json", "a"][..],
        &["--format", "human", "a"][..],
    ] {
        let out = run(dir.path(), args);
        let all = format!("{}{}", stdout(&out), stderr(&out));
        assert!(!all.contains(&abs), "{args:?}: {all}");
        assert!(all.contains("leak.c"), "{args:?}: {all}");
        assert!(all.contains("bin.c"), "{args:?}: {all}");
    }
    // Absolute paths below the current directory are shown relative to it.
    let leak = dir.path().canonicalize().unwrap().join("a/b/leak.c");
    let out = Command::cargo_bin("wsalint")
        .unwrap()
        .current_dir(dir.path().canonicalize().unwrap())
        .timeout(HANG_GUARD)
        .args(["--format", "gcc", leak.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(stdout(&out), format!("a/b/leak.c:{LEAK_GCC}\n"));
}

/// A run whose exit code is not asserted (0, 1 or 2), still under the hang guard.
fn run_any(dir: &Path, args: &[&str]) -> Output {
    Command::cargo_bin("wsalint")
        .unwrap()
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .timeout(HANG_GUARD)
        .args(args)
        .output()
        .unwrap()
}

/// 20,000 levels of every kind of nesting C and C++ allow (each kind overflowed the stack at
/// 3,500 to 8,000 levels, or took minutes, before), each with a function that holds a WSA001
/// finding: every file ends with that finding, and a file nested past the query's depth limit
/// says so. (100,000 levels take seconds each in a release build; in a debug build on a loaded
/// machine, minutes for all.)
#[test]
fn twenty_thousand_levels_of_every_kind_of_nesting() {
    let n = 20_000;
    let rep = |s: &str| s.repeat(n);
    let list = |s: &str, sep: &str| vec![s; n].join(sep);
    let head = "#include <winsock2.h>\nvoid f(SOCKET s, struct t *x, int p) { HMODULE h = \
                LoadLibraryA(\"iphlpapi.dll\"); FreeLibrary(h);\n";
    let else_ifs: String = (1..n)
        .map(|i| format!(" else if (p == {i}) closesocket(s);"))
        .collect();
    let bodies = [
        (
            "braces.c",
            format!("{}closesocket(s);{}", rep("{"), rep("}")),
        ),
        (
            "ipx.c",
            format!("if (p == AF_IPX) {}x;{}", rep("{"), rep("}")),
        ),
        ("arrow.c", format!("closesocket(x{});", rep("->a"))),
        (
            "text.c",
            format!(
                "h = LoadLibrary({}\"iphlpapi.dll\"{});",
                rep("TEXT("),
                rep(")")
            ),
        ),
        (
            "and.c",
            format!("while ({}) closesocket(s);", list("p", " && ")),
        ),
        ("plus.c", format!("closesocket({});", list("s", " + "))),
        (
            "parens.c",
            format!("if ({}s == -1{}) closesocket(s);", rep("("), rep(")")),
        ),
        (
            "ternary.c",
            format!("s = {}s; closesocket(s);", rep("p ? s : ")),
        ),
        ("casts.c", format!("closesocket({}s);", rep("(SOCKET)"))),
        (
            "calls.c",
            format!("closesocket({}s{});", rep("g("), rep(")")),
        ),
        ("not.c", format!("if ({}s) closesocket(s);", rep("!"))),
        (
            "subscript.c",
            format!("closesocket({}0{});", rep("a["), rep("]")),
        ),
        (
            "else-if.c",
            format!("if (p == 0) closesocket(s);{else_ifs}"),
        ),
        ("ifs.c", format!("{}closesocket(s);", rep("if (p) "))),
        ("whiles.c", format!("{}closesocket(s);", rep("while (p) "))),
        (
            "do.c",
            format!("{}closesocket(s);{}", rep("do { "), rep(" } while (p);")),
        ),
        (
            "init.c",
            format!("int v = {}0{}; closesocket(s);", rep("{"), rep("}")),
        ),
        ("comma.c", format!("closesocket(({}));", list("s", ", "))),
        (
            "assign.c",
            format!(
                "{}socket(AF_INET, SOCK_STREAM, 0); closesocket(s);",
                rep("s = ")
            ),
        ),
        (
            "switch.c",
            format!(
                "switch (p) {{ {}closesocket(s);{}",
                rep("case 0: switch (p) { "),
                rep(" }") + " }"
            ),
        ),
        ("addr.c", format!("closesocket({}s);", rep("*&"))),
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut files: Vec<(String, String)> = bodies
        .into_iter()
        .map(|(name, body)| (name.to_string(), format!("{head}{body}\n}}\n")))
        .collect();
    let leak = "void f(void) { HMODULE h = LoadLibraryA(\"iphlpapi.dll\"); FreeLibrary(h); }\n";
    files.push((
        "pp-parens.c".into(),
        format!(
            "#if {}defined(_WIN32){}\n{leak}#endif\n",
            rep("("),
            rep(")")
        ),
    ));
    files.push((
        "pp-and.c".into(),
        format!("#if {}\n{leak}#endif\n", list("defined(_WIN32)", " && ")),
    ));
    files.push((
        "pp-nested.c".into(),
        format!("{}{leak}{}", rep("#ifdef _WIN32\n"), rep("#endif\n")),
    ));
    files.push((
        "pp-elif.c".into(),
        format!(
            "#if A\nint a;\n{}#else\n{leak}#endif\n",
            rep("#elif B\nint b;\n")
        ),
    ));
    files.push((
        "struct.c".into(),
        format!("{}SOCKET s;{}\n{leak}", rep("struct a { "), rep(" };")),
    ));
    files.push((
        "namespaces.cpp".into(),
        format!("{}{leak}{}", rep("namespace a { "), rep("}")),
    ));
    files.push((
        "lambdas.cpp".into(),
        format!(
            "{leak}void g(SOCKET s) {{ auto l = {}closesocket(s);{} }}\n",
            rep("[&]() { return "),
            rep(" };")
        ),
    ));
    for (name, text) in &files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    // One run over all of them (the files are linted side by side); the guard is per file.
    let out = Command::cargo_bin("wsalint")
        .unwrap()
        .current_dir(dir.path())
        .timeout(HANG_GUARD * files.len() as u32)
        .args(["--format", "gcc", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let deep = |name: &str| {
        format!("warning: {name}: code nested deeper than 2000 levels is not searched: findings may be incomplete")
    };
    for warning in stderr(&out).lines() {
        assert!(
            files.iter().any(|(name, _)| warning == deep(name)),
            "{warning}"
        );
    }
    for (name, text) in &files {
        // The finding, unless the function is itself nested past the limit (and the run says
        // so): an `#elif` chain nests each branch in the one before.
        let line = text[..text.find("LoadLibraryA").unwrap()]
            .matches('\n')
            .count()
            + 1;
        let found = format!("{name}:{line}:");
        let past_limit =
            ["pp-nested.c", "pp-elif.c", "namespaces.cpp", "struct.c"].contains(&name.as_str());
        assert!(
            stdout(&out)
                .lines()
                .any(|l| l.starts_with(&found) && l.ends_with("[WSA001]"))
                || (past_limit && stderr(&out).lines().any(|l| l == deep(name))),
            "{name}: {}{}",
            stdout(&out),
            stderr(&out)
        );
    }
}

/// An `#include` and a declaration at every level of a deep `else { if` chain: each finds its
/// preprocessor branch and its block in a few steps. Walking up to the top of the file from
/// each one (tree-sitter finds a parent by descending from the root) took minutes at 10,000
/// levels in a release build (found by fuzzing).
#[test]
fn includes_and_declarations_at_every_level_of_deep_nesting() {
    let n = 10_000;
    let dir = tempfile::tempdir().unwrap();
    let name = "else-includes.c";
    let text = format!(
        "void g(SOCKET s, int p) {{\n{}{}}}\n{LEAK}",
        "if (p) closesocket(s); else {\n#include \"a.h\"\nint a;\n".repeat(n),
        "}".repeat(n)
    );
    std::fs::write(dir.path().join(name), &text).unwrap();
    let line = text[..text.find("LoadLibraryA").unwrap()]
        .matches('\n')
        .count()
        + 1;
    let out = gcc(dir.path(), name);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "{name}:{line}:{}\n",
            &LEAK_GCC[LEAK_GCC.find(':').unwrap() + 1..]
        ),
    );
}

/// A Winsock call tested for failure, with `WSAGetLastError()` read on its failure branch, at
/// every level of 1,000 nested `if`s, and a stale read in another function: finding the branch
/// of each read walked from each identifier of each `if` condition on the way up to the top of
/// the file (cubic: 500 levels took 20 s in a release build). Past the query's depth limit the
/// reads are not searched, and the run says so.
#[test]
fn error_reads_at_every_level_of_nested_ifs() {
    let n = 1_000;
    let dir = tempfile::tempdir().unwrap();
    let name = "reads.c";
    let text = format!(
        "#include <winsock2.h>\nvoid g(SOCKET s, char *b, int e) {{\n{}}}\n\
         void f(SOCKET s, char *b, int p, int e) {{\n{}{}\n}}\n",
        "if (recv(s, b, 1, 0) == SOCKET_ERROR) { closesocket(s); e = WSAGetLastError(); }\n",
        "if (p) { int r = recv(s, b, 1, 0);\nif (r == SOCKET_ERROR) e = WSAGetLastError();\n"
            .repeat(n),
        "}".repeat(n)
    );
    std::fs::write(dir.path().join(name), text).unwrap();
    let out = gcc(dir.path(), name);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        format!(
            "{name}:3:61: warning: `WSAGetLastError()` is read after `closesocket`, which may \
             overwrite the error of `recv` [WSA208]\n"
        )
    );
    assert_eq!(
        stderr(&out),
        format!(
            "warning: {name}: code nested deeper than 2000 levels is not searched: findings may \
             be incomplete\n"
        )
    );
}

#[test]
fn one_file_of_many_small_functions_is_linear() {
    // Each function declares its own `s`: a lookup must not read every other function's.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("many.c"), big_file(1 << 20)).unwrap();
    let out = gcc(dir.path(), "many.c");
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).ends_with("[WSA001]\n"), "{}", stdout(&out));
    assert_eq!(stderr(&out), "");
}

#[test]
fn a_100_kb_dll_name_in_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "dlls = [\"{}\", \"{}\", \"iphlpapi.dll\"]\n",
        "a".repeat(100_000),
        "a.".repeat(50_000)
    );
    std::fs::write(dir.path().join("wsalint.toml"), config).unwrap();
    std::fs::write(dir.path().join("leak.c"), LEAK).unwrap();
    let out = gcc(dir.path(), "leak.c");
    assert_eq!(stdout(&out), format!("leak.c:{LEAK_GCC}\n"));
}

#[test]
fn jobs_beyond_the_machine_are_capped() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..8 {
        std::fs::write(dir.path().join(format!("leak{i}.c")), LEAK).unwrap();
    }
    let out = run(dir.path(), &["--format", "gcc", "--jobs", "100000", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out).lines().count(), 8, "{}", stdout(&out));
    assert_eq!(stderr(&out), "");
}

/// The config a cloned repository holds names `custom_rules` it must not read: each run ends
/// with a clear error at once (no hang on `/dev/stdin`, no unbounded read of `/dev/zero`), and
/// never shows what the file holds.
#[cfg(unix)]
#[test]
fn custom_rules_outside_the_project_or_not_regular_files_are_refused() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("repo");
    std::fs::create_dir(&project).unwrap();
    std::fs::write(project.join("leak.c"), LEAK).unwrap();
    std::fs::write(root.path().join("outside.scm"), "; code: ABC001\n").unwrap();
    std::os::unix::fs::symlink("/proc/self/environ", project.join("env.scm")).unwrap();
    for (entry, why) in [
        ("/proc/self/environ", "leads outside the project"),
        ("env.scm", "leads outside the project"),
        ("/dev/zero", "leads outside the project"),
        ("/dev/stdin", "leads outside the project"),
        ("../outside.scm", "leads outside the project"),
        (".", "not a regular file"),
    ] {
        std::fs::write(
            project.join("wsalint.toml"),
            format!("custom_rules = [\"{entry}\"]\n"),
        )
        .unwrap();
        let out = Command::cargo_bin("wsalint")
            .unwrap()
            .current_dir(&project)
            .env("WSALINT_TEST_SECRET", "hunter2-in-the-environment")
            .timeout(HANG_GUARD)
            .args(["leak.c"])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{entry}: {err}");
        // `/dev/stdin` leads outside, or to a pipe that has no name.
        let link = entry == "/dev/stdin" && err.contains("a link that cannot be followed");
        assert!(
            err.contains("`custom_rules`: cannot read") && (err.contains(why) || link),
            "{entry}: {err}"
        );
        assert!(!err.contains("hunter2"), "{entry}: {err}");
        assert!(!stdout(&out).contains("hunter2"), "{entry}");
    }
    // A custom rule inside the project, reached through a link inside it, still loads.
    std::fs::create_dir(project.join("rules")).unwrap();
    std::fs::write(
        project.join("rules/raw.scm"),
        "; code: ABC001\n; name: raw-closesocket\n; severity: warning\n; message: raw call\n\
         ((call_expression function: (identifier) @f) @match (#eq? @f \"FreeLibrary\"))\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("rules/raw.scm", project.join("linked.scm")).unwrap();
    std::fs::write(
        project.join("wsalint.toml"),
        "custom_rules = [\"linked.scm\"]\n",
    )
    .unwrap();
    let out = run_any(&project, &["--format", "gcc", "leak.c"]);
    assert!(
        stdout(&out).contains("[ABC001]"),
        "{}{}",
        stdout(&out),
        stderr(&out)
    );
}

/// A discovered config that is a link out of its directory is refused the same way (one named
/// on the command line is the user's choice); one that is not a regular file is not a config
/// (the run goes on with the defaults, never blocked or filling memory).
#[cfg(unix)]
#[test]
fn a_discovered_config_must_be_a_regular_file_of_its_directory() {
    for target in ["/proc/self/environ", "/dev/zero", "/dev/stdin"] {
        let dir = tempfile::tempdir().unwrap();
        std::os::unix::fs::symlink(target, dir.path().join("wsalint.toml")).unwrap();
        std::fs::write(dir.path().join("leak.c"), LEAK).unwrap();
        let out = Command::cargo_bin("wsalint")
            .unwrap()
            .current_dir(dir.path())
            .env("WSALINT_TEST_SECRET", "hunter2-in-the-environment")
            .timeout(HANG_GUARD)
            .args(["leak.c"])
            .output()
            .unwrap();
        let err = stderr(&out);
        assert!(!err.contains("hunter2"), "{target}: {err}");
        if target == "/proc/self/environ" {
            assert_eq!(out.status.code(), Some(2), "{target}: {err}");
            assert!(
                err.contains(
                    "cannot read config file `wsalint.toml`: it leads outside the project"
                ),
                "{target}: {err}"
            );
        } else {
            assert_eq!(out.status.code(), Some(1), "{target}: {err}");
            assert!(stdout(&out).contains("[WSA001]") || stdout(&out).contains("WSA001"));
        }
    }
}

/// A file with a safe fix (`close` on a socket).
const FIXABLE: &str = "#include <winsock2.h>\nvoid f(SOCKET s)\n{\n    close(s);\n}\n";

#[cfg(unix)]
#[test]
fn fix_never_writes_through_a_link_that_leaves_the_project() {
    let root = tempfile::tempdir().unwrap();
    let project = root.path().join("repo");
    std::fs::create_dir_all(project.join(".git")).unwrap();
    let victim = root.path().join("victim.c");
    std::fs::write(&victim, FIXABLE).unwrap();
    std::os::unix::fs::symlink("../victim.c", project.join("x.c")).unwrap();
    std::os::unix::fs::symlink(root.path(), project.join("vendor")).unwrap();
    for name in ["x.c", "vendor/victim.c"] {
        let out = run(&project, &["--fix", name]);
        assert_eq!(out.status.code(), Some(1), "{name}");
        assert!(
            stderr(&out).contains(&format!(
                "warning: {name}: not fixed: it leads outside the project"
            )),
            "{name}: {}",
            stderr(&out)
        );
        assert_eq!(std::fs::read_to_string(&victim).unwrap(), FIXABLE);
    }
    // A link inside the project is followed.
    std::fs::write(project.join("real.c"), FIXABLE).unwrap();
    std::os::unix::fs::symlink("real.c", project.join("inner.c")).unwrap();
    let out = run(&project, &["--fix", "inner.c"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(std::fs::read_to_string(project.join("real.c"))
        .unwrap()
        .contains("closesocket(s)"));
}

#[cfg(unix)]
#[test]
fn fix_keeps_hard_links_and_the_owner() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a.c");
    std::fs::write(&file, FIXABLE).unwrap();
    std::fs::hard_link(&file, dir.path().join("b.c")).unwrap();
    let inode = std::fs::metadata(&file).unwrap().ino();
    let out = run(dir.path(), &["--fix", "a.c"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let fixed = FIXABLE.replace("close(s)", "closesocket(s)");
    // The same file under both names, fixed.
    assert_eq!(std::fs::metadata(&file).unwrap().ino(), inode);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), fixed);
    assert_eq!(
        std::fs::read_to_string(dir.path().join("b.c")).unwrap(),
        fixed
    );
    // Run as root over another user's file, the file stays that user's.
    // SAFETY: `geteuid` has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        let other = dir.path().join("other.c");
        std::fs::write(&other, FIXABLE).unwrap();
        std::os::unix::fs::chown(&other, Some(4242), Some(4242)).unwrap();
        let out = run(dir.path(), &["--fix", "other.c"]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let meta = std::fs::metadata(&other).unwrap();
        assert_eq!((meta.uid(), meta.gid()), (4242, 4242));
        assert_eq!(std::fs::read_to_string(&other).unwrap(), fixed);
    }
}

#[cfg(unix)]
#[test]
fn file_names_cannot_forge_lines_or_commands() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("::error title=X::a.c"), LEAK).unwrap();
    for (format, start) in [("gcc", "./::error"), ("msvc", ".\\::error")] {
        let out = run(dir.path(), &["--format", format, "."]);
        assert_eq!(out.status.code(), Some(1));
        for line in stdout(&out).lines().chain(stderr(&out).lines()) {
            assert!(!line.starts_with("::"), "{format}: {line}");
        }
        let start = if format == "msvc" && cfg!(unix) {
            "./::error"
        } else {
            start
        };
        assert!(
            stdout(&out).starts_with(start),
            "{format}: {}",
            stdout(&out)
        );
    }
    // `--diff`: a newline in a name forges no `+++` header, an escape reaches no terminal.
    let evil = "x\n+++ y.c\x1b[2J.c";
    std::fs::write(dir.path().join(evil), FIXABLE).unwrap();
    let out = run(dir.path(), &["--diff", evil]);
    assert_eq!(out.status.code(), Some(1));
    let diff = stdout(&out);
    assert_eq!(
        diff.lines().filter(|l| l.starts_with("+++")).count(),
        1,
        "{diff}"
    );
    assert!(
        diff.starts_with("--- \"a/x\\n+++ y.c\\033[2J.c\"\n"),
        "{diff}"
    );
    assert!(!diff.contains('\x1b'), "{diff}");
}

#[test]
fn the_help_line_escapes_control_characters() {
    let dir = tempfile::tempdir().unwrap();
    // A DLL name of the config, quoted by the message and by the fix's help.
    let dll = "evil\u{1b}]0;pwned\u{7}.dll";
    std::fs::write(
        dir.path().join("wsalint.toml"),
        "dlls = [\"evil\\u001b]0;pwned\\u0007.dll\"]\n",
    )
    .unwrap();
    std::fs::write(dir.path().join("esc.c"), LEAK.replace("iphlpapi.dll", dll)).unwrap();
    for format in ["human", "gcc", "msvc", "github"] {
        let out = run(
            dir.path(),
            &["--format", format, "--color", "never", "esc.c"],
        );
        assert_eq!(out.status.code(), Some(1));
        let s = stdout(&out);
        assert!(
            !s.chars().any(|c| c.is_control() && c != '\n'),
            "{format}: {s:?}"
        );
        if format == "human" {
            assert!(s.contains("= help: load `evil?]0;pwned?.dll` once"), "{s}");
        }
    }
}
