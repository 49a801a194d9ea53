//! Linting an editor buffer with the engine `check` uses: the config found from the document's
//! directory upwards (re-read when its file changes), the buffer's unsaved text through
//! `Engine::lint_source`, then `Engine::finish` over the buffer's outcome and what the workspace
//! index knows of every other file (loader wrappers, project-wide facts), so that suppressions
//! and the project-wide phase are the very code `check` runs.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::SystemTime;

use tree_sitter::Tree;

use crate::config::{Config, ConfigError};
use crate::custom;
use crate::diagnostic::Finding;
use crate::engine::{Engine, FileOutcome, Worker};
use crate::lang::Lang;
use crate::rules::{Deferred, Rule};
use crate::source::{Encoding, Source};
use crate::walk;

/// Locks a mutex even if a thread panicked while holding it: the data is plain maps that stay
/// consistent between statements.
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// What identifies a config file's contents on disk without reading it.
type Stamp = (Option<SystemTime>, u64);

fn stamp_of(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok(), m.len()))
}

/// An engine built from one config file (or from the defaults).
pub struct Configured {
    pub engine: Engine,
    stamp: Option<Stamp>,
    /// The config file, when there is one.
    pub config_path: Option<PathBuf>,
    /// Why the config file could not be used (the engine then runs on the defaults).
    pub error: Option<ConfigError>,
}

impl Configured {
    fn build(path: Option<PathBuf>, extra: &[&'static dyn Rule]) -> Configured {
        let stamp = path.as_deref().and_then(stamp_of);
        let loaded = match &path {
            Some(p) => Config::load_discovered(p),
            None => Ok(Config::default()),
        };
        let (mut config, mut error) = match loaded {
            Ok(c) => (c, None),
            Err(e) => (Config::default(), Some(e)),
        };
        // The config's custom rules, loaded as `check` loads them; a broken one is reported
        // and the others run.
        let mut rules = extra.to_vec();
        match custom::load(&config) {
            Ok(r) => rules.extend(r),
            Err(e) => error = error.or(Some(e)),
        }
        // An unknown code in `select`, `ignore` or `[severity]` is reported like `check` does;
        // the lists then stand as written (they select nothing unknown).
        if let Err(e) = config.resolve_rules(&crate::selector::catalog(&rules)) {
            error = error.or(Some(e));
        }
        let engine = match Engine::new(config, rules) {
            Ok(e) => e,
            Err(e) => {
                // A custom rule's query does not compile: report it on the config file and run
                // the built-in rules with the defaults.
                error.get_or_insert_with(|| ConfigError {
                    path: path.clone().unwrap_or_default(),
                    span: None,
                    line: 1,
                    column: 1,
                    message: e.to_string(),
                    text: String::new(),
                });
                default_engine(extra)
            }
        };
        // Edits reparse the document's last tree incrementally; that tree is whole.
        let mut engine = engine;
        engine.partial = false;
        Configured {
            engine,
            stamp,
            config_path: path,
            error,
        }
    }

    /// Whether the config excludes `path` (globs are relative to the config's directory).
    pub fn excludes(&self, path: &Path) -> bool {
        self.engine.config_excludes(path)
    }
}

fn default_engine(extra: &[&'static dyn Rule]) -> Engine {
    Engine::new(Config::default(), extra.to_vec())
        .or_else(|_| Engine::new(Config::default(), Vec::new()))
        // The built-in queries are compiled against both grammars by the test suite.
        .expect("the built-in rules compile")
}

/// One engine per config file, rebuilt when the file's modification time or size changes.
pub struct Engines {
    extra: Vec<&'static dyn Rule>,
    cache: Mutex<HashMap<Option<PathBuf>, Arc<Configured>>>,
}

impl Engines {
    pub fn new(extra: Vec<&'static dyn Rule>) -> Engines {
        Engines {
            extra,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The engine for a file in `dir` (config discovery from `dir` upwards), and whether a
    /// config file was read anew because it changed or appeared.
    pub fn for_dir(&self, dir: Option<&Path>) -> (Arc<Configured>, bool) {
        let path = dir.and_then(crate::project::config_in);
        let stamp = path.as_deref().and_then(stamp_of);
        let mut cache = lock(&self.cache);
        let seen_before = !cache.is_empty();
        match cache.get(&path) {
            Some(c) if c.stamp == stamp => return (c.clone(), false),
            Some(_) => {}
            None if path.is_none() || !seen_before => {
                let c = Arc::new(Configured::build(path.clone(), &self.extra));
                cache.insert(path, c.clone());
                return (c, false);
            }
            None => {}
        }
        let c = Arc::new(Configured::build(path.clone(), &self.extra));
        cache.insert(path, c.clone());
        (c, true)
    }
}

/// What the workspace's files tell the project-wide phase, by absolute path: only the deferred
/// items (facts and conditional findings) are kept, without the files' text.
#[derive(Default)]
pub struct Index {
    disk: HashMap<PathBuf, Vec<Deferred<Finding>>>,
    /// The open documents' latest unsaved state, which wins over what is on disk.
    open: HashMap<PathBuf, Vec<Deferred<Finding>>>,
    /// The background walk has finished.
    pub ready: bool,
    /// Bumped when a new walk starts; an older walk stops at its next file.
    pub generation: u64,
}

impl Index {
    pub fn set_disk(&mut self, path: PathBuf, deferred: Vec<Deferred<Finding>>) -> bool {
        let deferred = strip(deferred);
        let before = self.disk.get(&path).map(|d| keys(d));
        let changed =
            before.as_ref() != Some(&keys(&deferred)) && !(before.is_none() && deferred.is_empty());
        if deferred.is_empty() {
            self.disk.remove(&path);
        } else {
            self.disk.insert(path, deferred);
        }
        changed
    }

    pub fn remove_disk(&mut self, path: &Path) -> bool {
        self.disk.remove(path).is_some()
    }

    pub fn set_open(&mut self, path: PathBuf, deferred: Vec<Deferred<Finding>>) {
        self.open.insert(path, strip(deferred));
    }

    pub fn close(&mut self, path: &Path) {
        self.open.remove(path);
    }

    pub fn reset(&mut self) {
        self.disk.clear();
        self.ready = false;
        self.generation += 1;
    }

    /// Every other file's deferred items, as outcomes for `Engine::finish`.
    fn others(&self, except: Option<&Path>) -> Vec<FileOutcome> {
        let open = self.open.iter();
        let disk = self
            .disk
            .iter()
            .filter(|(p, _)| !self.open.contains_key(*p));
        open.chain(disk)
            .filter(|(p, d)| Some(p.as_path()) != except && !d.is_empty())
            .map(|(p, d)| FileOutcome {
                path: p.clone(),
                deferred: d.clone(),
                ..FileOutcome::default()
            })
            .collect()
    }
}

fn keys(d: &[Deferred<Finding>]) -> Vec<(&'static str, String)> {
    let mut k: Vec<_> = d.iter().map(|d| (d.code, d.key.clone())).collect();
    k.sort();
    k
}

/// Drops the text a deferred finding holds (its positions are already resolved): the index
/// keeps facts, not whole files.
fn strip(mut deferred: Vec<Deferred<Finding>>) -> Vec<Deferred<Finding>> {
    for d in &mut deferred {
        if let Some(f) = &mut d.item {
            *f = f.without_text();
        }
    }
    deferred
}

/// Lints a buffer's text as the file `path` (`shown` is the path findings carry) and returns
/// the findings of this file that are not suppressed. Project-wide findings (those only the
/// project phase reports) wait for the index to be ready, so that a half-known workspace never
/// shows a finding that the other files would refute.
pub fn lint_text(
    configured: &Configured,
    path: Option<&Path>,
    shown: &Path,
    text: Vec<u8>,
    old: Option<(Lang, &Tree)>,
    index: &Mutex<Index>,
    worker: &mut Worker,
) -> Linted {
    let source = Arc::new(Source::from_text(text, Encoding::Utf8));
    let engine = &configured.engine;
    let max = engine.config.max_file_size;
    if source.text.len() as u64 > max {
        // `check` skips such a file with a warning; the editor is told why it sees nothing.
        let skipped = format!(
            "wsalint does not lint this file: {} bytes is over the size cap of {max} bytes \
             (`max_file_size` in wsalint.toml)",
            source.text.len()
        );
        return Linted {
            source,
            findings: Vec::new(),
            tree: None,
            skipped: Some(skipped),
        };
    }
    if path.is_some_and(|p| configured.excludes(p)) {
        return Linted {
            source,
            findings: Vec::new(),
            tree: None,
            skipped: None,
        };
    }
    let (outcome, tree) = engine.lint_source_reusing(shown, source.clone(), old, worker);
    let own: Vec<_> = outcome
        .findings
        .iter()
        .map(|f| (f.code.clone(), f.location.range.clone()))
        .collect();
    let (mut outcomes, ready) = {
        let mut index = lock(index);
        if let Some(p) = path {
            index.set_open(p.to_path_buf(), outcome.deferred.clone());
        }
        (index.others(path), index.ready)
    };
    outcomes.insert(0, outcome);
    let report = engine.finish(outcomes);
    let findings = report
        .findings
        .into_iter()
        .filter(|f| f.path == shown && f.suppression.is_none())
        .filter(|f| {
            ready
                || own
                    .iter()
                    .any(|(c, r)| *c == f.code && *r == f.location.range)
        })
        .collect();
    Linted {
        source,
        findings,
        tree,
        skipped: None,
    }
}

/// What a lint of a buffer gives: its text, its findings, and its syntax tree for the next
/// lint to reuse.
pub struct Linted {
    pub source: Arc<Source>,
    pub findings: Vec<Finding>,
    pub tree: Option<(Lang, Tree)>,
    /// Why the buffer was not linted at all, when that is worth telling (it is too large).
    pub skipped: Option<String>,
}

/// The most files the background index reads; a bigger workspace is indexed in part.
pub const MAX_INDEXED: usize = 20_000;

/// Reads every C/C++ file under `roots` (walked like `check` walks them) into the index, one
/// file at a time, stopping early when a newer walk starts. Returns false when it was stopped.
pub fn index_workspace(
    roots: &[PathBuf],
    engines: &Engines,
    index: &Mutex<Index>,
    generation: u64,
) -> bool {
    let mut worker = Worker::new();
    let mut count = 0;
    for root in roots {
        let (configured, _) = engines.for_dir(Some(root));
        let opts = walk::WalkOptions {
            no_ignore: false,
            exclude: configured.engine.config.exclude.clone(),
            prune: None,
        };
        let Ok(walked) = walk::discover(std::slice::from_ref(root), &opts) else {
            continue;
        };
        for file in walked.files {
            if count >= MAX_INDEXED || lock(index).generation != generation {
                return lock(index).generation == generation;
            }
            count += 1;
            let deferred = index_file(engines, &file, &mut worker);
            let mut index = lock(index);
            if index.generation != generation {
                return false;
            }
            index.set_disk(file, deferred);
        }
    }
    let mut index = lock(index);
    if index.generation != generation {
        return false;
    }
    index.ready = true;
    true
}

/// What one file on disk defers to the project-wide phase.
pub fn index_file(engines: &Engines, file: &Path, worker: &mut Worker) -> Vec<Deferred<Finding>> {
    let (configured, _) = engines.for_dir(file.parent());
    if configured.excludes(file) {
        return Vec::new();
    }
    let engine = &configured.engine;
    let linted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        engine.lint_path(file, worker).deferred
    }));
    match linted {
        Ok(d) => d,
        Err(_) => {
            *worker = Worker::new();
            Vec::new()
        }
    }
}
