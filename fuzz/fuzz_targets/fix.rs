//! Arbitrary bytes linted as `lint` does, then fixed as `wsalint --fix` fixes: the safe fixes
//! applied, the text linted again and what is new fixed, until nothing changes. The rounds must
//! settle within ten, every fixed text must decode, and every round's findings keep the span
//! invariants.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use wsalint::source::Source;
use wsalint_fuzz::{check_fixes_settle, check_spans, engine, lint, on_worker, path_for};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = Source::decode(data) else {
        return;
    };
    let source = Arc::new(source);
    on_worker(|| {
        let path = path_for(&source.text);
        let name = path.display().to_string();
        let report = lint(engine(false), path, &source);
        check_spans(&name, &source, &report.findings);
        check_fixes_settle(&name, engine(false), path, &source, report);
    });
});
