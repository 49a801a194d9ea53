//! What the fuzz targets share: the engines (built once per process), the one worker thread
//! they lint on, and the invariants every report must keep.

use std::cell::RefCell;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use wsalint::config::Config;
use wsalint::diagnostic::{Finding, Fix};
use wsalint::engine::{Engine, Worker};
use wsalint::fix::{self, FixOptions};
use wsalint::lang::{self, Lang};
use wsalint::source::Source;
use wsalint::Report;

/// The default config with every rule, parsed whole (`partial` false) or with partial parsing
/// forced on for every size: built once per process.
pub fn engine(partial: bool) -> &'static Engine {
    static ENGINES: OnceLock<(Engine, Engine)> = OnceLock::new();
    let (cut, whole) = ENGINES.get_or_init(|| {
        let mut cut = Engine::new(Config::default(), Vec::new()).expect("built-in rules");
        cut.partial = true;
        cut.partial_min_bytes = 0;
        let mut whole = Engine::new(Config::default(), Vec::new()).expect("built-in rules");
        whole.partial = false;
        (cut, whole)
    });
    if partial {
        cut
    } else {
        whole
    }
}

/// Runs `work` on the one thread of rayon's global pool, as `wsalint check --jobs 1` lints: on
/// a pool thread, with its stack (the default 2 MiB), not on libFuzzer's larger main stack. A
/// panic there is re-raised here.
pub fn on_worker<T: Send>(work: impl FnOnce() -> T + Send) -> T {
    static POOL: OnceLock<()> = OnceLock::new();
    POOL.get_or_init(|| {
        // Fails only when the pool already exists: it is used as it is.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build_global();
    });
    rayon::scope(|_| work())
}

thread_local! {
    /// The parsers and query cursor of the pool thread, kept between inputs as a `check` worker
    /// keeps them between files.
    static WORKER: RefCell<Worker> = RefCell::new(Worker::new());
}

/// The name the input is linted under: `fuzz.cpp` when it holds C++-only tokens (as a `.h`
/// header is told apart), else `fuzz.c`. One lint per input, and the mutator can switch.
pub fn path_for(text: &[u8]) -> &'static Path {
    match lang::choose(Path::new("fuzz.h"), text) {
        Lang::Cpp => Path::new("fuzz.cpp"),
        Lang::C => Path::new("fuzz.c"),
    }
}

/// `wsalint check` of one file: `Engine::lint_source`, then `Engine::finish` (the project-wide
/// phase and suppressions). Call on the pool thread (see `on_worker`).
pub fn lint(engine: &Engine, path: &Path, source: &Arc<Source>) -> Report {
    let outcome = WORKER.with_borrow_mut(|worker| engine.lint_source(path, source.clone(), worker));
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

/// Line and character column (1-based) of every byte offset of `text`, counted without
/// `Source`'s index: each invalid UTF-8 byte is a character, a character's inner offsets are
/// `None`.
pub fn positions(text: &[u8]) -> Vec<Option<(usize, usize)>> {
    let mut out = Vec::with_capacity(text.len() + 1);
    let (mut line, mut column) = (1, 1);
    let mut step = |out: &mut Vec<_>, len: usize, newline: bool| {
        out.push(Some((line, column)));
        out.extend(std::iter::repeat_n(None, len - 1));
        if newline {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    };
    for chunk in text.utf8_chunks() {
        for ch in chunk.valid().chars() {
            step(&mut out, ch.len_utf8(), ch == '\n');
        }
        for _ in chunk.invalid() {
            step(&mut out, 1, false);
        }
    }
    out.push(Some((line, column)));
    assert_eq!(out.len(), text.len() + 1);
    out
}

/// Every finding's range, related range and fix-edit range lies inside the text of `source`,
/// on character boundaries, and every line and column agrees with its byte offset.
pub fn check_spans(what: &str, source: &Source, findings: &[Finding]) {
    if findings.is_empty() {
        return;
    }
    let text = &source.text;
    let len = text.len();
    let at = positions(text);
    let in_text = |r: &std::ops::Range<usize>| {
        r.start <= r.end && r.end <= len && at[r.start].is_some() && at[r.end].is_some()
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
                    Some((pos.line, pos.column)),
                    at[offset],
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

/// (code, range, message) of every finding, suppressed ones included, sorted.
pub fn summary(report: &Report) -> Vec<(String, usize, usize, String)> {
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
pub fn safe_fixes(report: &Report) -> Vec<&Fix> {
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
pub fn check_fixes_settle(
    what: &str,
    engine: &Engine,
    path: &Path,
    source: &Arc<Source>,
    report: Report,
) {
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
