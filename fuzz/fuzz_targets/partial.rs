//! Arbitrary bytes linted twice, as `lint` does: once with partial parsing forced on at every
//! size (`partial_min_bytes = 0`) and once parsed whole. Both keep the span invariants, and they
//! report the same findings (code, range, message) when the file parses without syntax errors.
//! Around syntax errors the two parses recover differently (a broken function that is left out
//! cannot mislead the recovery of the next one), so there only the span invariants hold; so do
//! they when either lint says its findings may be incomplete (code nested past the query's
//! depth limit in one parse may sit at a shallow depth in the other).

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use wsalint::fix;
use wsalint::lang;
use wsalint::source::Source;
use wsalint_fuzz::{check_spans, engine, lint, on_worker, path_for, summary};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = Source::decode(data) else {
        return;
    };
    let source = Arc::new(source);
    on_worker(|| {
        let path = path_for(&source.text);
        let name = path.display();
        let cut = lint(engine(true), path, &source);
        check_spans(&format!("{name} (partial)"), &source, &cut.findings);
        let full = lint(engine(false), path, &source);
        check_spans(&format!("{name} (whole)"), &source, &full.findings);
        let (a, b) = (summary(&cut), summary(&full));
        let incomplete = !cut.warnings.is_empty() || !full.warnings.is_empty();
        if a == b
            || incomplete
            || fix::syntax_errors(lang::choose(path, &source.text), &source.text) != 0
        {
            return;
        }
        let only_partial: Vec<_> = a.iter().filter(|x| !b.contains(x)).collect();
        let only_whole: Vec<_> = b.iter().filter(|x| !a.contains(x)).collect();
        panic!(
            "{name}: partial and whole parsing disagree\n  only with partial parsing: \
             {only_partial:#?}\n  only when parsed whole: {only_whole:#?}"
        );
    });
});
