//! The fixture harness: every C/C++ file under `fixtures/` declares its expected diagnostics
//! inline, as comments under the code with a caret run marking the exact columns:
//!
//! ```c
//!     if (s < 0) {
//!     //  ^^^^^ WSA201 `s` is a SOCKET, which is unsigned, so `s < 0` is never true
//! ```
//!
//! An expectation applies to the nearest non-expectation line above it; a run of `-` marks a
//! related location of a finding of that code. Every rule runs on every fixture; any finding
//! without an expectation fails, and any expectation without a finding fails. Each fixture
//! directory is one run (so the project-wide phase sees its files together), with the
//! directory's `wsalint.toml` (and the custom rules it names) when it has one.
//!
//! `NAME.c.fixed` is the file `NAME.c` after `wsalint --fix` (safe fixes only, the same code
//! path as the command line: overlapping fixes wait, the file keeps its encoding and line
//! endings). The harness applies the fixes, compares the bytes, applies them again to the result
//! (nothing may change) and re-parses it (no new syntax errors). A fixture with safe fixes needs
//! a `.fixed` file, and a `.fixed` file needs a fixture with safe fixes.
//! Each directory runs twice: with every file cut into the parts that may matter (as large files
//! are, see `partial`), and with every file parsed whole; both must meet the expectations.
//!
//! An expectation whose message ends in `...` is a prefix: it is met by a finding whose message
//! starts with the text before the `...` (exact messages are paired first).
//!
//! `WSALINT_BLESS=1 cargo test --test fixtures` rewrites the `.fixed` files, and writes the
//! findings of every file that does not meet its expectations into it as proposed expectations
//! (an expectation line under the code for each unexpected finding, none for a missing one; the
//! run still fails): review the diff, keep what is intended, and run again.
//!
//! Every message of a built-in rule on the fixtures (its related locations' and fix's too)
//! follows the voice: it starts lowercase (or with a backtick), ends without a period, and puts
//! code names (`WSAStartup`, `INVALID_SOCKET`, `recv()`, `winsock2.h`) in backticks.
//!
//! A file may declare `// fixture-select: WSA209, WSA2` (codes or prefixes) on a line of its
//! own: then only findings of those codes are compared in that file, so a rule's fixture states
//! its own rule's findings and not those of every rule that also fires on the same code. Every
//! rule still runs on it, and every file without the line is compared whole.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use wsalint::config::Config;
use wsalint::engine::{Engine, Worker};
use wsalint::fix::{self, FixOptions};
use wsalint::lang;
use wsalint::source::{char_count, Source};

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Expect {
    path: String,
    line: usize,
    column: usize,
    end_column: usize,
    related: bool,
    code: String,
    message: String,
    /// The line of the expectation comment (0 for a finding).
    at: usize,
}

impl Expect {
    /// Everything a finding and its expectation share, but the message.
    fn place(&self) -> (&str, usize, usize, usize, bool, &str) {
        let e = self;
        (&e.path, e.line, e.column, e.end_column, e.related, &e.code)
    }

    /// Whether the finding `actual` meets this expectation: the same place, and the same
    /// message, or (`exact` false) one that starts with this message's prefix ending in `...`.
    fn met_by(&self, actual: &Expect, exact: bool) -> bool {
        self.place() == actual.place()
            && match self.message.strip_suffix("...") {
                Some(prefix) if !exact => actual.message.starts_with(prefix),
                _ => self.message == actual.message,
            }
    }
}

impl std::fmt::Display for Expect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}-{} {}{} {}",
            self.path,
            self.line,
            self.column,
            self.end_column,
            if self.related { "related " } else { "" },
            self.code,
            self.message
        )
    }
}

/// Pairs findings with expectations, exact messages first, then prefixes: what is left is
/// (missing expectations, unexpected findings).
fn pair(mut expected: Vec<Expect>, actual: Vec<Expect>) -> (Vec<Expect>, Vec<Expect>) {
    let mut unpaired = actual;
    for exact in [true, false] {
        let mut left = Vec::new();
        for a in unpaired {
            match expected.iter().position(|e| e.met_by(&a, exact)) {
                Some(i) => {
                    expected.remove(i);
                }
                None => left.push(a),
            }
        }
        unpaired = left;
    }
    (expected, unpaired)
}

/// Parses an expectation comment: `//   ^^^^ CODE message` or `//   ---- CODE message`.
/// Returns (first column, end column exclusive, related, code, message).
fn parse_expectation(line: &str) -> Option<(usize, usize, bool, String, String)> {
    let trimmed = line.trim_start();
    let rest = trimmed.strip_prefix("//")?;
    let marks_at = rest.find(|c: char| c != ' ')?;
    let marks = &rest[marks_at..];
    let mark = marks.chars().next()?;
    if mark != '^' && mark != '-' {
        return None;
    }
    let run = marks.chars().take_while(|&c| c == mark).count();
    let after = marks[run..].strip_prefix(' ')?;
    let (code, message) = after.split_once(' ').unwrap_or((after, ""));
    let letters = code.bytes().take_while(u8::is_ascii_uppercase).count();
    if letters < 2
        || code.len() - letters < 3
        || !code[letters..].bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let prefix = line.len() - trimmed.len() + 2 + marks_at;
    let column = char_count(&line.as_bytes()[..prefix]) + 1;
    Some((
        column,
        column + run,
        mark == '-',
        code.to_string(),
        message.trim_end().to_string(),
    ))
}

/// The expectations a fixture declares.
fn expectations(shown: &str, source: &Source) -> Vec<Expect> {
    let mut out = Vec::new();
    let mut target = 0usize;
    for line in 1..=source.line_count() {
        let text = source.slice_str(source.line_range(line));
        match parse_expectation(&text) {
            Some((column, end_column, related, code, message)) => {
                assert!(
                    target > 0,
                    "{shown}:{line}: expectation above any code line"
                );
                out.push(Expect {
                    path: shown.to_string(),
                    line: target,
                    column,
                    end_column,
                    related,
                    code,
                    message,
                    at: line,
                });
            }
            None => target = line,
        }
    }
    out
}

/// The selectors of a `// fixture-select: CODES` line, if the file has one.
fn fixture_select(source: &Source) -> Option<Vec<String>> {
    (1..=source.line_count()).find_map(|line| {
        let text = source.slice_str(source.line_range(line));
        let rest = text.trim().strip_prefix("//")?.trim_start();
        let codes = rest.strip_prefix("fixture-select:")?;
        Some(
            codes
                .split(',')
                .map(|c| c.trim().to_string())
                .filter(|c| !c.is_empty())
                .collect(),
        )
    })
}

/// The end column as a caret run can show it: on the first line, or the end of that line.
fn end_column_on_line(source: &Source, start_line: usize, end: wsalint::source::Position) -> usize {
    if end.line == start_line {
        end.column
    } else {
        char_count(&source.text[source.line_range(start_line)]) + 1
    }
}

fn fixture_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().flatten().collect();
    entries.sort_by_key(|e| e.path());
    for e in entries {
        let path = e.path();
        if path.is_dir() {
            fixture_files(&path, out);
        } else if lang::kind_of(&path).is_some() {
            out.push(path);
        }
    }
}

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// Whether `WSALINT_BLESS=1` asks to write `.fixed` files and proposed expectations.
fn blessing() -> bool {
    std::env::var_os("WSALINT_BLESS").is_some_and(|v| v == "1")
}

/// One fixture file of a run.
struct Fixture {
    file: PathBuf,
    shown: String,
    source: std::sync::Arc<Source>,
    /// The codes of its `// fixture-select:` line, if it has one.
    select: Option<Vec<String>>,
}

impl Fixture {
    /// Whether a finding of `code` in this file is compared with its expectations.
    fn compares(&self, code: &str) -> bool {
        self.select
            .as_ref()
            .is_none_or(|select| select.iter().any(|s| wsalint::registry::matches(s, code)))
    }
}

/// Lints one fixture directory as one run, with its `wsalint.toml` when it has one: cut into
/// parts as a large file would be, or (`whole`) parsed whole.
fn lint_dir(
    root: &Path,
    dir: &Path,
    files: &[PathBuf],
    whole: bool,
) -> (Engine, Vec<Fixture>, wsalint::Report) {
    let config_path = dir.join("wsalint.toml");
    let config = if config_path.is_file() {
        Config::load(&config_path).unwrap_or_else(|e| panic!("{e}"))
    } else {
        Config::default()
    };
    let custom = wsalint::custom::load(&config).unwrap_or_else(|e| panic!("{e}"));
    let mut engine = Engine::new(config, custom).unwrap();
    engine.partial = !whole;
    engine.partial_min_bytes = 0;
    // Each fixture directory is a project of its own: what its headers define and what its
    // functions do counts in each of its files.
    let model = engine.model_of(files);
    let mut worker = Worker::new();
    let mut outcomes = Vec::new();
    let mut fixtures = Vec::new();
    for file in files {
        let rel = file.strip_prefix(root).unwrap();
        let shown = format!("fixtures/{}", rel.to_string_lossy());
        let raw = std::fs::read(file).unwrap();
        let source = Source::decode(&raw).unwrap_or_else(|e| panic!("{shown}: {e}"));
        let select = fixture_select(&source);
        assert!(
            select.as_ref().is_none_or(|s| !s.is_empty()),
            "{shown}: `fixture-select:` names no code"
        );
        let source = std::sync::Arc::new(source);
        outcomes.push(engine.lint_source_in(
            Path::new(&shown),
            source.clone(),
            &mut worker,
            &model,
        ));
        fixtures.push(Fixture {
            file: file.clone(),
            shown,
            source,
            select,
        });
    }
    let report = engine.finish(outcomes);
    (engine, fixtures, report)
}

/// The compared findings of a run, and their related locations, as expectations would state
/// them.
fn findings(report: &wsalint::Report, fixtures: &[Fixture]) -> Vec<Expect> {
    let mut actual = Vec::new();
    for f in report.visible() {
        let path = f.path_str();
        if !fixtures
            .iter()
            .any(|x| x.shown == path && x.compares(&f.code))
        {
            continue;
        }
        let mut push = |location: &wsalint::diagnostic::Location, related, message: &str| {
            let line = location.start.line;
            actual.push(Expect {
                path: path.clone(),
                line,
                column: location.start.column,
                end_column: end_column_on_line(&f.source, line, location.end),
                related,
                code: f.code.clone(),
                message: message.to_string(),
                at: 0,
            });
        };
        push(&f.location, false, &f.message);
        for r in &f.related {
            push(&r.location, true, &r.message);
        }
    }
    actual
}

/// Runs every fixture directory and compares findings with expectations.
#[test]
fn fixtures_match_their_expectations() {
    let root = fixtures_root();
    let mut files = Vec::new();
    fixture_files(&root, &mut files);
    assert!(!files.is_empty(), "no fixtures found");
    let mut by_dir: BTreeMap<PathBuf, Vec<PathBuf>> = BTreeMap::new();
    for f in files {
        by_dir
            .entry(f.parent().unwrap().to_path_buf())
            .or_default()
            .push(f);
    }
    let mut failures = Vec::new();
    let mut proposed = Vec::new();
    for ((dir, files), whole) in by_dir.iter().flat_map(|d| [(d, false), (d, true)]) {
        let mode = if whole { " (parsed whole)" } else { "" };
        let (engine, fixtures, report) = lint_dir(&root, dir, files, whole);
        let mut expected = Vec::new();
        for x in &fixtures {
            for e in expectations(&x.shown, &x.source) {
                assert!(
                    x.compares(&e.code),
                    "{e}: an expectation of a code the file's `fixture-select:` leaves out"
                );
                expected.push(e);
            }
        }
        if !whole {
            for x in &fixtures {
                check_fixed(
                    &engine,
                    &report,
                    &x.file,
                    &x.shown,
                    &x.source,
                    &mut failures,
                );
            }
            check_voice(&report, &mut failures);
        }
        let (missing, unexpected) = pair(expected, findings(&report, &fixtures));
        if !whole && blessing() {
            for x in &fixtures {
                if propose(x, &missing, &unexpected, &mut failures) {
                    proposed.push(x.shown.clone());
                }
            }
        }
        for m in missing {
            failures.push(format!("missing{mode}:    {m}"));
        }
        for u in unexpected {
            failures.push(format!("unexpected{mode}: {u}"));
        }
    }
    let hint = if proposed.is_empty() {
        "`WSALINT_BLESS=1 cargo test --test fixtures` writes the findings into the files as \
         proposed expectations"
            .to_string()
    } else {
        format!(
            "proposed expectations written into {}: review `git diff fixtures/`, keep what is \
             intended, and run again",
            proposed.join(", ")
        )
    };
    assert!(
        failures.is_empty(),
        "{} fixture mismatches:\n{}\n{hint}",
        failures.len(),
        failures.join("\n")
    );
}

/// The expectation line that states `e` (`//` at column 1, the marks at `e.column`), or `None`
/// when the column is left of where the marks can start.
fn expectation_line(e: &Expect) -> Option<String> {
    let pad = e.column.checked_sub(3)?;
    let mark = if e.related { "-" } else { "^" };
    let run = e.end_column.saturating_sub(e.column).max(1);
    Some(format!(
        "//{}{} {} {}",
        " ".repeat(pad),
        mark.repeat(run),
        e.code,
        e.message
    ))
}

/// Writes the findings of `x` as proposed expectations: drops the lines of its missing
/// expectations and adds one under the code for each unexpected finding. Whether it wrote.
fn propose(
    x: &Fixture,
    missing: &[Expect],
    unexpected: &[Expect],
    failures: &mut Vec<String>,
) -> bool {
    let drop: Vec<usize> = missing
        .iter()
        .filter(|e| e.path == x.shown)
        .map(|e| e.at)
        .collect();
    let mut add: BTreeMap<usize, Vec<String>> = BTreeMap::new();
    for u in unexpected.iter().filter(|u| u.path == x.shown) {
        match expectation_line(u) {
            Some(line) => add.entry(u.line).or_default().push(line),
            None => failures.push(format!(
                "not written:  {u} (the marks cannot start left of column 3)"
            )),
        }
    }
    if drop.is_empty() && add.is_empty() {
        return false;
    }
    let source = &x.source;
    let count = source.line_count();
    let is_expectation =
        |line: usize| parse_expectation(&source.slice_str(source.line_range(line))).is_some();
    let mut text = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    for line in 1..=count {
        let start = source.line_range(line).start;
        let end = if line < count {
            source.line_range(line + 1).start
        } else {
            source.text.len()
        };
        if !drop.contains(&line) {
            text.extend_from_slice(&source.text[start..end]);
        }
        pending.extend(add.remove(&line).unwrap_or_default());
        // New expectations go under the code line and the expectations already below it.
        if !pending.is_empty() && (line == count || !is_expectation(line + 1)) {
            if !text.is_empty() && !text.ends_with(b"\n") {
                text.extend_from_slice(source.newline().as_bytes());
            }
            for p in pending.drain(..) {
                text.extend_from_slice(p.as_bytes());
                text.extend_from_slice(source.newline().as_bytes());
            }
        }
    }
    std::fs::write(&x.file, source.encode(&text)).unwrap();
    true
}

/// What breaks the voice of a message: it starts with an uppercase letter, ends with a period,
/// or names code outside backticks (a word with `_`, `()`, `.h`, or an uppercase letter after
/// its first lowercase one: `WSAStartup`, `closeSocket`; all-capital words such as `SOCKET` or
/// `DLL` pass as prose).
fn voice_fault(message: &str) -> Option<String> {
    if message.starts_with(|c: char| c.is_uppercase()) {
        return Some("starts with an uppercase letter".into());
    }
    if message.ends_with('.') {
        return Some("ends with a period".into());
    }
    let prose: String = message.split('`').step_by(2).collect::<Vec<_>>().join(" ");
    let bytes = prose.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        if !(bytes[i].is_ascii_alphabetic() || bytes[i] == b'_') {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        let word = &prose[start..i];
        let rest = &prose[i..];
        let camel = word
            .find(|c: char| c.is_ascii_lowercase())
            .is_some_and(|l| word[l..].contains(|c: char| c.is_ascii_uppercase()));
        // `WSAStartup`: capitals, then a capitalised word (`IPv4` is prose).
        let capitals = word.bytes().take_while(u8::is_ascii_uppercase).count();
        let acronym_then_word = capitals >= 2
            && word[capitals..]
                .bytes()
                .take_while(u8::is_ascii_lowercase)
                .count()
                >= 2;
        let named = word.contains('_')
            || camel
            || acronym_then_word
            || rest.starts_with("()")
            || rest.starts_with(".h ")
            || rest == ".h";
        if named {
            return Some(format!("names `{word}` outside backticks"));
        }
    }
    None
}

/// Checks the voice of every message of a built-in rule in `report`.
fn check_voice(report: &wsalint::Report, failures: &mut Vec<String>) {
    for f in report.visible() {
        if wsalint::registry::find(&f.code).is_none() {
            continue;
        }
        let messages = std::iter::once(&f.message)
            .chain(f.related.iter().map(|r| &r.message))
            .chain(f.fix.as_ref().map(|x| &x.message));
        for m in messages {
            if let Some(fault) = voice_fault(m) {
                failures.push(format!(
                    "voice:      {} {}: {m}: {fault}",
                    f.path_str(),
                    f.code
                ));
            }
        }
    }
}

/// The safe fixes of the visible findings in `shown`.
fn safe_fixes<'r>(report: &'r wsalint::Report, shown: &str) -> Vec<&'r wsalint::diagnostic::Fix> {
    let opts = FixOptions {
        unsafe_fixes: false,
        write: true,
    };
    report
        .visible()
        .filter(|f| f.path_str() == shown)
        .filter_map(|f| f.fix.as_ref())
        .filter(|f| opts.wants(f))
        .collect()
}

/// Compares the fixed file with `NAME.fixed`, then checks idempotence and the re-parse.
fn check_fixed(
    engine: &Engine,
    report: &wsalint::Report,
    file: &Path,
    shown: &str,
    source: &Source,
    failures: &mut Vec<String>,
) {
    let expected_path = PathBuf::from(format!("{}.fixed", file.display()));
    let fixes = safe_fixes(report, shown);
    if fixes.is_empty() {
        if expected_path.exists() {
            failures.push(format!("stale:      {shown}.fixed (no safe fix applies)"));
        }
        return;
    }
    let fixed = fix::fix_text(Path::new(shown), source, &fixes);
    if !fixed.rolled_back.is_empty() {
        failures.push(format!("rolled back: {shown}: a fix breaks the syntax"));
    }
    let bytes = source.encode(&fixed.text);
    if std::env::var_os("WSALINT_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&expected_path, &bytes).unwrap();
    }
    match std::fs::read(&expected_path) {
        Ok(want) if want == bytes => {}
        Ok(want) => failures.push(format!(
            "fix differs: {shown}.fixed (WSALINT_BLESS=1 rewrites it)\n{}",
            fix::unified_diff(shown, &want, &bytes)
        )),
        Err(_) => failures.push(format!(
            "no .fixed:  {shown} has safe fixes (WSALINT_BLESS=1 writes {shown}.fixed)"
        )),
    }
    // A second run over the fixed file changes nothing, and the fixed file parses no worse.
    let again = Source::decode(&bytes).unwrap();
    let lang = lang::choose(Path::new(shown), &again.text);
    if fix::syntax_errors(lang, &again.text) > fix::syntax_errors(lang, &source.text) {
        failures.push(format!("new errors: {shown} after its fixes"));
    }
    let again = std::sync::Arc::new(again);
    let outcome = engine.lint_source(Path::new(shown), again.clone(), &mut Worker::new());
    let second = engine.finish(vec![outcome]);
    let fixes = safe_fixes(&second, shown);
    let twice = fix::fix_text(Path::new(shown), &again, &fixes);
    if twice.text != again.text {
        failures.push(format!(
            "not idempotent: {shown}: a second --fix changes it\n{}",
            fix::unified_diff(shown, &again.text, &twice.text)
        ));
    }
}

#[test]
fn expectation_syntax() {
    assert_eq!(
        parse_expectation("    //  ^^^^^ WSA201 `s` is a SOCKET"),
        Some((9, 14, false, "WSA201".into(), "`s` is a SOCKET".into()))
    );
    assert_eq!(
        parse_expectation("\t// --- WSA001 freed here"),
        Some((5, 8, true, "WSA001".into(), "freed here".into()))
    );
    assert_eq!(parse_expectation("    // ---- a separator"), None);
    assert_eq!(parse_expectation("    x = y; // ^^ WSA201 m"), None);
}

#[test]
fn fixture_select_syntax() {
    let source = Source::decode(b"int x;\n// fixture-select: WSA209, WSA1\n").unwrap();
    assert_eq!(
        fixture_select(&source),
        Some(vec!["WSA209".to_string(), "WSA1".to_string()])
    );
    let source = Source::decode(b"int x; // fixture-select WSA209\n").unwrap();
    assert_eq!(fixture_select(&source), None);
}

#[test]
fn prefix_expectations_pair_after_exact_ones() {
    let at = |message: &str| Expect {
        path: "a.c".into(),
        line: 3,
        column: 5,
        end_column: 9,
        related: false,
        code: "WSA201".into(),
        message: message.into(),
        at: 0,
    };
    let expected = vec![at("`s` is..."), at("`s` is a SOCKET")];
    let actual = vec![at("`s` is a SOCKET"), at("`s` is unsigned")];
    let (missing, unexpected) = pair(expected, actual);
    assert!(missing.is_empty() && unexpected.is_empty());
    let (missing, unexpected) = pair(vec![at("`t` is...")], vec![at("`s` is a SOCKET")]);
    assert_eq!((missing.len(), unexpected.len()), (1, 1));
    // Without `...` a prefix is no match.
    let (missing, _) = pair(vec![at("`s` is")], vec![at("`s` is a SOCKET")]);
    assert_eq!(missing.len(), 1);
}

#[test]
fn proposed_expectations_read_back_as_the_findings() {
    let e = Expect {
        path: "a.c".into(),
        line: 1,
        column: 5,
        end_column: 11,
        related: true,
        code: "WSA001".into(),
        message: "`h` is freed here".into(),
        at: 0,
    };
    let line = expectation_line(&e).unwrap();
    assert_eq!(line, "//  ------ WSA001 `h` is freed here");
    assert_eq!(
        parse_expectation(&line),
        Some((5, 11, true, "WSA001".into(), "`h` is freed here".into()))
    );
    assert_eq!(expectation_line(&Expect { column: 2, ..e }), None);
}

#[test]
fn voice_of_messages() {
    for good in [
        "`s` is a SOCKET, which is unsigned, so `s < 0` is never true",
        "`WSACleanup` runs under the loader lock: `on_unload` is an `atexit` handler of a DLL",
        "move to TCP/IP (`AF_INET` or `AF_INET6`)",
        "`inet_ntoa` is IPv4-only",
    ] {
        assert_eq!(voice_fault(good), None, "{good}");
    }
    for bad in [
        "The socket `s` leaks",
        "`s` leaks.",
        "`s` is compared with INVALID_SOCKET",
        "call WSAStartup first",
        "call closeSocket first",
        "recv() may return 0",
        "include winsock2.h first",
    ] {
        assert!(voice_fault(bad).is_some(), "{bad}");
    }
}
