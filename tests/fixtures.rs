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
//! `WSALINT_BLESS=1 cargo test --test fixtures` rewrites the `.fixed` files; review the diff.
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
    let mut checked = 0;
    for ((dir, files), whole) in by_dir.iter().flat_map(|d| [(d, false), (d, true)]) {
        let mode = if whole { " (parsed whole)" } else { "" };
        let config_path = dir.join("wsalint.toml");
        let config = if config_path.is_file() {
            Config::load(&config_path).unwrap_or_else(|e| panic!("{e}"))
        } else {
            Config::default()
        };
        let custom = wsalint::custom::load(&config).unwrap_or_else(|e| panic!("{e}"));
        let mut engine = Engine::new(config, custom).unwrap();
        // Every fixture is cut into its parts as a large file would be; and parsed whole.
        engine.partial = !whole;
        engine.partial_min_bytes = 0;
        // Each fixture directory is a project of its own: what its headers define and what its
        // functions do counts in each of its files.
        let model = engine.model_of(files);
        let mut worker = Worker::new();
        let mut outcomes = Vec::new();
        let mut expected = Vec::new();
        let mut sources = Vec::new();
        let mut selects: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for file in files {
            let rel = file.strip_prefix(&root).unwrap();
            let shown = format!("fixtures/{}", rel.to_string_lossy());
            let raw = std::fs::read(file).unwrap();
            let source = Source::decode(&raw).unwrap_or_else(|e| panic!("{shown}: {e}"));
            expected.extend(expectations(&shown, &source));
            if let Some(select) = fixture_select(&source) {
                assert!(
                    !select.is_empty(),
                    "{shown}: `fixture-select:` names no code"
                );
                selects.insert(shown.clone(), select);
            }
            let source = std::sync::Arc::new(source);
            sources.push((file.clone(), shown.clone(), source.clone()));
            outcomes.push(engine.lint_source_in(Path::new(&shown), source, &mut worker, &model));
            checked += 1;
        }
        let report = engine.finish(outcomes);
        let mut actual = Vec::new();
        let compared = |path: &str, code: &str| {
            selects
                .get(path)
                .is_none_or(|select| select.iter().any(|s| wsalint::registry::matches(s, code)))
        };
        for e in &expected {
            assert!(
                compared(&e.path, &e.code),
                "{e}: an expectation of a code the file's `fixture-select:` leaves out"
            );
        }
        for f in report.visible() {
            if !compared(&f.path_str(), &f.code) {
                continue;
            }
            let line = f.location.start.line;
            actual.push(Expect {
                path: f.path_str(),
                line,
                column: f.location.start.column,
                end_column: end_column_on_line(&f.source, line, f.location.end),
                related: false,
                code: f.code.clone(),
                message: f.message.clone(),
            });
            for r in &f.related {
                let line = r.location.start.line;
                actual.push(Expect {
                    path: f.path_str(),
                    line,
                    column: r.location.start.column,
                    end_column: end_column_on_line(&f.source, line, r.location.end),
                    related: true,
                    code: f.code.clone(),
                    message: r.message.clone(),
                });
            }
        }
        if !whole {
            for (file, shown, source) in &sources {
                check_fixed(&engine, &report, file, shown, source, &mut failures);
            }
        }
        actual.sort();
        expected.sort();
        let mut missing = expected.clone();
        let mut unexpected = Vec::new();
        for a in actual {
            match missing.iter().position(|e| *e == a) {
                Some(i) => {
                    missing.remove(i);
                }
                None => unexpected.push(a),
            }
        }
        for m in missing {
            failures.push(format!("missing{mode}:    {m}"));
        }
        for u in unexpected {
            failures.push(format!("unexpected{mode}: {u}"));
        }
    }
    assert!(checked > 0);
    assert!(
        failures.is_empty(),
        "{} fixture mismatches:\n{}",
        failures.len(),
        failures.join("\n")
    );
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
