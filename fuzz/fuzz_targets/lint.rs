//! Arbitrary bytes through the path of `wsalint check`: decode, lint as `.c` and as `.cpp`, with
//! the file cut into parts (partial parsing forced on for every size) and parsed whole, then the
//! project-wide phase and suppressions (`Engine::finish`). Any panic is a finding; so is a broken
//! invariant:
//!
//! - every finding's range (and related range) and every fix edit's range lies inside the parse
//!   text and on a character boundary (an invalid UTF-8 byte is a character of its own);
//! - the line and column of every location agree with its byte offset, counted independently;
//! - partial and whole parsing report the same findings (code, range, message) when the file
//!   parses without syntax errors;
//! - the safe fixes settle: fixing, linting again and fixing what is new (as `--fix` does)
//!   stops changing the text within ten rounds.
//!
//! The API use mirrors `tests/properties.rs` and `tests/fixtures.rs`.

#![no_main]

use std::path::Path;
use std::sync::{Arc, OnceLock};

use libfuzzer_sys::fuzz_target;
use wsalint::config::Config;
use wsalint::diagnostic::{Finding, Fix};
use wsalint::engine::{Engine, Worker};
use wsalint::fix::{self, FixOptions};
use wsalint::lang;
use wsalint::source::{char_count, Source};
use wsalint::Report;

/// (partial parsing forced on for every size, parsed whole): default config, every rule.
fn engines() -> &'static (Engine, Engine) {
    static ENGINES: OnceLock<(Engine, Engine)> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let mut partial = Engine::new(Config::default(), Vec::new()).expect("built-in rules");
        partial.partial = true;
        partial.partial_min_bytes = 0;
        let mut whole = Engine::new(Config::default(), Vec::new()).expect("built-in rules");
        whole.partial = false;
        (partial, whole)
    })
}

fn lint(engine: &Engine, path: &Path, source: &Arc<Source>) -> Report {
    let outcome = engine.lint_source(path, source.clone(), &mut Worker::new());
    let report = engine.finish(vec![outcome]);
    for w in &report.warnings {
        // The engine turns a panic in a rule into this warning (libFuzzer's panic hook aborts
        // before that, but be sure).
        assert!(
            !w.message.contains("internal error"),
            "{}: {}",
            path.display(),
            w.message
        );
    }
    report
}

/// `boundary[i]`: byte offset `i` is not inside a valid multi-byte UTF-8 character.
fn boundaries(text: &[u8]) -> Vec<bool> {
    let mut out = Vec::with_capacity(text.len() + 1);
    for chunk in text.utf8_chunks() {
        for ch in chunk.valid().chars() {
            out.push(true);
            out.extend(std::iter::repeat_n(false, ch.len_utf8() - 1));
        }
        out.extend(std::iter::repeat_n(true, chunk.invalid().len()));
    }
    out.push(true);
    assert_eq!(out.len(), text.len() + 1);
    out
}

/// Line and column of `offset` counted independently of `Source`'s index (as in
/// `tests/properties.rs`).
fn expected_position(text: &[u8], offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    (line, char_count(&before[line_start..]) + 1)
}

fn check_spans(what: &str, source: &Source, findings: &[Finding]) {
    let text = &source.text;
    let len = text.len();
    let boundary = boundaries(text);
    let in_text = |r: &std::ops::Range<usize>| {
        r.start <= r.end && r.end <= len && boundary[r.start] && boundary[r.end]
    };
    for f in findings {
        assert_eq!(
            f.source.text, source.text,
            "{what}: {} carries another text",
            f.code
        );
        let mut locations = vec![(&f.location, "location")];
        locations.extend(f.related.iter().map(|r| (&r.location, "related location")));
        for (loc, kind) in locations {
            assert!(
                in_text(&loc.range),
                "{what}: {} {kind} {:?} outside the text (len {len}) or inside a character",
                f.code,
                loc.range
            );
            for (end, pos, offset) in [
                ("start", loc.start, loc.range.start),
                ("end", loc.end, loc.range.end),
            ] {
                assert_eq!(
                    (pos.line, pos.column),
                    expected_position(text, offset),
                    "{what}: {} {kind} {:?}: {end} position disagrees with the offset",
                    f.code,
                    loc.range
                );
            }
        }
        if let Some(fix) = &f.fix {
            for e in &fix.edits {
                assert!(
                    in_text(&e.range),
                    "{what}: {} fix edit {:?} outside the text (len {len}) or inside a character",
                    f.code,
                    e.range
                );
            }
        }
    }
}

/// (code, range, message) of every finding, suppressed ones included, in report order.
fn summary(report: &Report) -> Vec<(String, usize, usize, String)> {
    let mut v: Vec<_> = report
        .findings
        .iter()
        .map(|f| {
            (
                f.code.clone(),
                f.location.range.start,
                f.location.range.end,
                f.message.clone(),
            )
        })
        .collect();
    v.sort();
    v
}

/// The safe fixes of the visible findings (as `tests/fixtures.rs` and `wsalint --fix`).
fn safe_fixes(report: &Report) -> Vec<&Fix> {
    let opts = FixOptions {
        unsafe_fixes: false,
        write: true,
    };
    report
        .visible()
        .filter_map(|f| f.fix.as_ref())
        .filter(|f| opts.wants(f))
        .collect()
}

/// `wsalint --fix` applies the safe fixes, lints again and applies what is new, for at most
/// `MAX_ROUNDS` rounds (a fix can uncover a finding that the broken code around it hid): the
/// rounds must settle, and every intermediate text must decode and keep its spans right.
fn check_fixes_settle(what: &str, engine: &Engine, path: &Path, source: &Arc<Source>, report: Report) {
    const MAX_ROUNDS: usize = 10;
    let mut source = source.clone();
    let mut report = report;
    for _ in 0..MAX_ROUNDS {
        let fixes = safe_fixes(&report);
        if fixes.is_empty() {
            return;
        }
        let fixed = fix::fix_text(path, &source, &fixes);
        if fixed.applied.is_empty() || fixed.text == source.text {
            return;
        }
        let bytes = source.encode(&fixed.text);
        let again = match Source::decode(&bytes) {
            Ok(s) => Arc::new(s),
            Err(e) => panic!("{what}: the fixed file no longer decodes: {e}"),
        };
        report = lint(engine, path, &again);
        check_spans(&format!("{what} (after --fix)"), &again, &report.findings);
        source = again;
    }
    panic!("{what}: --fix does not settle in {MAX_ROUNDS} rounds");
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = Source::decode(data) else {
        return;
    };
    let source = Arc::new(source);
    let (partial, whole) = engines();
    for name in ["fuzz.c", "fuzz.cpp"] {
        let path = Path::new(name);
        let cut = lint(partial, path, &source);
        check_spans(&format!("{name} (partial)"), &source, &cut.findings);
        let full = lint(whole, path, &source);
        check_spans(&format!("{name} (whole)"), &source, &full.findings);

        // Where the whole file parses cleanly, cutting it changes nothing. Around syntax
        // errors the two parses recover differently (a left-out broken function cannot
        // mislead the recovery of the next one), so only the invariants above hold there.
        let clean = fix::syntax_errors(lang::choose(path, &source.text), &source.text) == 0;
        let (a, b) = (summary(&cut), summary(&full));
        if clean && a != b {
            let only_partial: Vec<_> = a.iter().filter(|x| !b.contains(x)).collect();
            let only_whole: Vec<_> = b.iter().filter(|x| !a.contains(x)).collect();
            panic!(
                "{name}: partial and whole parsing disagree\n  only with partial parsing: \
                 {only_partial:#?}\n  only when parsed whole: {only_whole:#?}"
            );
        }

        check_fixes_settle(&format!("{name} (partial)"), partial, path, &source, cut);
        check_fixes_settle(&format!("{name} (whole)"), whole, path, &source, full);
    }
});
