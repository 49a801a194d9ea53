//! Arbitrary decodable bytes parsed (as C, or as C++ when they hold C++-only tokens) and read
//! into the facts every rule works from, with no rule run. Any panic, stack overflow or
//! endless walk is a finding; so is a fact outside the text.

#![no_main]

use std::cell::RefCell;

use libfuzzer_sys::fuzz_target;
use tree_sitter::Parser;
use wsalint::config::Config;
use wsalint::engine::parse_planned;
use wsalint::facts::Facts;
use wsalint::lang::{self, Lang};
use wsalint::source::Source;
use wsalint_fuzz::{on_worker, path_for};

thread_local! {
    static PARSERS: RefCell<[Option<Parser>; 2]> = const { RefCell::new([None, None]) };
}

fn config() -> &'static Config {
    static CONFIG: std::sync::OnceLock<Config> = std::sync::OnceLock::new();
    CONFIG.get_or_init(Config::default)
}

fn check(text: &[u8], lang: Lang) {
    PARSERS.with_borrow_mut(|parsers| {
        let parser = parsers[lang.index()].get_or_insert_with(|| {
            let mut p = Parser::new();
            p.set_language(&lang.grammar()).expect("bundled grammar");
            p
        });
        // `None`: the parse ran out of its budget, as `check` reports.
        let Some(tree) = parse_planned(parser, text, None, true) else {
            return;
        };
        let facts = Facts::build(tree.root_node(), text, config());
        let len = text.len();
        let inside = |r: &std::ops::Range<usize>| r.start <= r.end && r.end <= len;
        for c in &facts.calls {
            assert!(
                inside(&c.node.byte_range()),
                "call {:?}",
                c.node.byte_range()
            );
        }
        for r in facts.branches.iter().chain(&facts.errors) {
            assert!(inside(r), "range {r:?} outside the text (len {len})");
        }
        for r in facts.records.values() {
            assert!(inside(r), "record {r:?} outside the text (len {len})");
        }
    });
}

fuzz_target!(|data: &[u8]| {
    let Ok(source) = Source::decode(data) else {
        return;
    };
    let text = source.text.as_slice();
    on_worker(|| check(text, lang::choose(path_for(text), text)));
});
