//! Arbitrary bytes through the path of `wsalint check`: decode, one lint with every rule
//! (`Engine::lint_source`, as `fuzz.cpp` when the input holds C++-only tokens, else as
//! `fuzz.c`; parsed whole), then the project-wide phase and suppressions (`Engine::finish`). Any
//! panic is a finding; so is a broken invariant: every finding's range (and related range) and
//! every fix edit's range lies inside the parse text and on a character boundary (an invalid
//! UTF-8 byte is a character of its own), and the line and column of every location agree with
//! its byte offset, counted independently.
//!
//! `partial` checks the partial parser against this; `fix` checks that the fixes settle.

#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use wsalint::source::Source;
use wsalint_fuzz::{check_spans, engine, lint, on_worker, path_for};

fuzz_target!(|data: &[u8]| {
    let Ok(source) = Source::decode(data) else {
        return;
    };
    let source = Arc::new(source);
    on_worker(|| {
        let path = path_for(&source.text);
        let report = lint(engine(false), path, &source);
        check_spans(&path.display().to_string(), &source, &report.findings);
    });
});
