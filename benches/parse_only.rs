//! The bound wsalint must beat: parse every C/C++ file of the given paths with the same walk,
//! decoding, grammars and thread count as `wsalint check`, and nothing else.
//!
//! `cargo run --release --example parse-only -- [-j N] PATH...` prints one line:
//! `files=N bytes=N lines=N parse_seconds=S`.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use rayon::prelude::*;
use wsalint::engine::read_regular_file;
use wsalint::lang::{self, Lang};
use wsalint::source::Source;
use wsalint::walk::{self, WalkOptions};

fn main() {
    let mut jobs = None;
    let mut paths = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "-j" | "--jobs" => jobs = args.next().and_then(|n| n.parse::<usize>().ok()),
            _ => paths.push(PathBuf::from(a)),
        }
    }
    if paths.is_empty() {
        paths.push(PathBuf::from("."));
    }
    let started = Instant::now();
    let walked = match walk::discover(&paths, &WalkOptions::default()) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let bytes = AtomicUsize::new(0);
    let lines = AtomicUsize::new(0);
    let files = AtomicUsize::new(0);
    let parse_all = || {
        walked.files.par_iter().for_each_init(
            || [new_parser(Lang::C), new_parser(Lang::Cpp)],
            |parsers, path| {
                let Ok(raw) = read_regular_file(path, 8 << 20) else {
                    return;
                };
                let Ok(source) = Source::decode(&raw) else {
                    return;
                };
                let lang = lang::choose(path, &source.text);
                if parsers[lang.index()].parse(&source.text, None).is_some() {
                    files.fetch_add(1, Ordering::Relaxed);
                    bytes.fetch_add(raw.len(), Ordering::Relaxed);
                    lines.fetch_add(source.line_count(), Ordering::Relaxed);
                }
            },
        )
    };
    match jobs.and_then(|n| rayon::ThreadPoolBuilder::new().num_threads(n).build().ok()) {
        Some(pool) => pool.install(parse_all),
        None => parse_all(),
    }
    println!(
        "files={} bytes={} lines={} parse_seconds={:.3}",
        files.into_inner(),
        bytes.into_inner(),
        lines.into_inner(),
        started.elapsed().as_secs_f64()
    );
}

fn new_parser(lang: Lang) -> tree_sitter::Parser {
    let mut p = tree_sitter::Parser::new();
    if let Err(e) = p.set_language(&lang.grammar()) {
        eprintln!("error: {e}");
        std::process::exit(2);
    }
    p
}
