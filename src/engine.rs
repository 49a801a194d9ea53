//! Per file: read -> decode -> prefilter -> parse -> facts -> one query pass -> flow checks ->
//! diagnostics. Parallel over files (one tree per worker at a time), then the project-wide
//! phase, then suppressions.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use rayon::prelude::*;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use tree_sitter::{
    ParseOptions, ParseState, Parser, QueryCursor, QueryCursorOptions, QueryCursorState,
    StreamingIterator, Tree,
};

use crate::config::Config;
use crate::diagnostic::{Finding, Severity};
use crate::facts::Facts;
use crate::flow::lifecycle::{problems_in_file, Want};
use crate::lang::{self, Lang};
use crate::prefilter::Prefilter;
use crate::query::{CombinedQuery, QueryFileError};
use crate::registry;
use crate::rules::{Ctx, Deferred, Match, Rule};
use crate::source::Source;
use crate::suppress::{self, SuppressionComment};
use crate::walk::{describe_io, Warning};

/// The rules, their compiled queries and the pre-filter: built once per run.
pub struct Engine {
    pub config: Config,
    pub rules: Vec<&'static dyn Rule>,
    queries: [CombinedQuery; 2],
    prefilter: Prefilter,
    /// The literals that keep a function in a partial parse (see `partial`).
    needles: crate::partial::Needles,
    /// Parse only the parts of a large file that may matter (on by default; the language server
    /// turns it off to reparse edits incrementally).
    pub partial: bool,
    /// Files under this many bytes are parsed whole.
    pub partial_min_bytes: usize,
    severity: HashMap<String, Severity>,
    /// Where relative display paths start (the current directory).
    pub cwd: PathBuf,
}

/// Wall time one file may spend in the parser, and again in the query pass: a guard against
/// hangs on pathological input, far above what any real file needs (30 s, plus 10 s per MiB).
fn time_budget(bytes: usize) -> Duration {
    Duration::from_secs(30 + 10 * (bytes as u64 >> 20))
}

/// Trees deeper than this are not searched for the start of a match below it: the query cursor
/// stores start depths in 16 bits, and past 65,535 levels its states are never retired.
const MAX_START_DEPTH: u32 = 50_000;

fn over_budget(started: Instant, budget: Duration) -> ControlFlow<()> {
    if started.elapsed() > budget {
        ControlFlow::Break(())
    } else {
        ControlFlow::Continue(())
    }
}

/// What one worker keeps between files: a parser per language and a query cursor.
pub struct Worker {
    parsers: [Option<Parser>; 2],
    cursor: QueryCursor,
}

impl Default for Worker {
    fn default() -> Self {
        Worker::new()
    }
}

impl Worker {
    pub fn new() -> Worker {
        let mut cursor = QueryCursor::new();
        cursor.set_max_start_depth(Some(MAX_START_DEPTH));
        Worker {
            parsers: [None, None],
            cursor,
        }
    }

    fn parser(&mut self, lang: Lang) -> &mut Parser {
        self.parsers[lang.index()].get_or_insert_with(|| {
            let mut p = Parser::new();
            // The grammars are compiled in and match the tree-sitter version: cannot fail.
            p.set_language(&lang.grammar())
                .expect("bundled grammar matches tree-sitter");
            p
        })
    }
}

/// The outcome of one file.
#[derive(Default)]
pub struct FileOutcome {
    pub path: PathBuf,
    pub findings: Vec<Finding>,
    pub deferred: Vec<Deferred<Finding>>,
    pub comments: Vec<SuppressionComment>,
    /// The file's text, kept when it holds suppression comments.
    pub source: Option<Arc<Source>>,
    pub warning: Option<Warning>,
    /// The file passed the pre-filter and was parsed.
    pub parsed: bool,
    pub bytes: usize,
}

/// The result of a whole run.
#[derive(Default)]
pub struct Report {
    /// Every finding, suppressed ones included (`suppression` is set), sorted by path and
    /// position.
    pub findings: Vec<Finding>,
    pub warnings: Vec<Warning>,
    pub files_checked: usize,
    pub files_parsed: usize,
    pub bytes: usize,
    /// Every suppression comment of the linted files, with what it suppressed.
    pub suppressions: Vec<SuppressionUse>,
}

/// A suppression comment and what it suppressed in this run.
#[derive(Clone, Debug)]
pub struct SuppressionUse {
    pub path: PathBuf,
    pub source: Arc<Source>,
    pub comment: SuppressionComment,
    pub usage: suppress::Usage,
}

impl Report {
    /// Findings that are not suppressed.
    pub fn visible(&self) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(|f| f.suppression.is_none())
    }
}

/// Why an engine could not be built.
#[derive(Debug)]
pub enum EngineError {
    Query(QueryFileError),
}

impl std::fmt::Display for EngineError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EngineError::Query(e) => write!(f, "{e}"),
        }
    }
}

impl Engine {
    /// Compiles the queries of the selected built-in rules and of `extra` (custom) rules.
    pub fn new(config: Config, extra: Vec<&'static dyn Rule>) -> Result<Engine, EngineError> {
        let mut rules = registry::selected(&config);
        rules.extend(
            extra
                .into_iter()
                .filter(|r| registry::is_selected(r.meta().code, &config.select, &config.ignore)),
        );
        let queries = [
            CombinedQuery::build(&rules, Lang::C).map_err(EngineError::Query)?,
            CombinedQuery::build(&rules, Lang::Cpp).map_err(EngineError::Query)?,
        ];
        // Built-in rules' needles count only in Windows code; what the user configured counts
        // on its own (see `prefilter`).
        let builtin: Vec<&str> = rules
            .iter()
            .filter(|r| registry::find(r.meta().code).is_some())
            .flat_map(|r| r.meta().needles.iter().copied())
            .collect();
        let mut ungated: Vec<&str> = rules
            .iter()
            .filter(|r| registry::find(r.meta().code).is_none())
            .flat_map(|r| r.meta().needles.iter().copied())
            .collect();
        ungated.extend(config.dlls.iter().map(|d| d.trim_end_matches(".dll")));
        let res = &config.resources;
        for list in [&res.creators, &res.closers, &res.owners, &res.loaders] {
            ungated.extend(list.iter().map(String::as_str));
        }
        // Unused suppressions can only be found in files that are parsed.
        if config.report_unused_suppressions {
            ungated.extend(["wsalint-ignore", "NOLINT"]);
        }
        // A rule without needles could match anything: every file passes.
        let pass_all = rules.iter().any(|r| r.meta().needles.is_empty());
        let prefilter = Prefilter::new(&builtin, &ungated, pass_all);
        let mut all = builtin.clone();
        all.extend(ungated.iter().copied());
        all.extend(config.resources.valid_checks.iter().map(String::as_str));
        let mut socket_types = vec!["SOCKET"];
        for list in [&res.socket_types, &res.unsigned_socket_types] {
            socket_types.extend(list.iter().map(String::as_str));
        }
        all.extend(socket_types.iter().copied());
        let needles = crate::partial::Needles::new(&all, &socket_types);
        let severity = config
            .severity
            .iter()
            .filter_map(|(code, s)| Some((code.to_ascii_uppercase(), Severity::parse(s)?)))
            .collect();
        Ok(Engine {
            config,
            rules,
            queries,
            prefilter,
            needles,
            partial: !pass_all,
            partial_min_bytes: crate::partial::MIN_BYTES,
            severity,
            cwd: std::env::current_dir().unwrap_or_else(|_| PathBuf::from(".")),
        })
    }

    /// The path as shown: relative to the current directory when below it.
    pub fn display_path(&self, path: &Path) -> PathBuf {
        if path.is_absolute() {
            if let Ok(rel) = path.strip_prefix(&self.cwd) {
                return rel.to_path_buf();
            }
        }
        path.strip_prefix("./").unwrap_or(path).to_path_buf()
    }

    /// Lints files in parallel, runs the project-wide phase and applies suppressions.
    pub fn run(&self, files: &[PathBuf], jobs: Option<usize>) -> Report {
        use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
        let (checked, parsed, bytes) = (
            AtomicUsize::new(0),
            AtomicUsize::new(0),
            AtomicUsize::new(0),
        );
        // Only the outcomes with something in them are kept: a run over a large tree keeps
        // nothing of its clean files but their count.
        let lint_all = || -> Vec<FileOutcome> {
            files
                .par_iter()
                .map_init(Worker::new, |worker, path| self.lint_path(path, worker))
                .filter_map(|o| {
                    checked.fetch_add(1, Relaxed);
                    parsed.fetch_add(usize::from(o.parsed), Relaxed);
                    bytes.fetch_add(o.bytes, Relaxed);
                    let empty = o.findings.is_empty()
                        && o.deferred.is_empty()
                        && o.comments.is_empty()
                        && o.warning.is_none();
                    (!empty).then_some(o)
                })
                .collect()
        };
        let outcomes = match jobs {
            Some(n) if n > 0 => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
                Ok(pool) => pool.install(lint_all),
                Err(_) => lint_all(),
            },
            _ => lint_all(),
        };
        let mut report = self.finish_outcomes(outcomes);
        report.files_checked = checked.into_inner();
        report.files_parsed = parsed.into_inner();
        report.bytes = bytes.into_inner();
        report
    }

    /// The project-wide phase and suppressions over the outcomes of every file.
    pub fn finish(&self, outcomes: Vec<FileOutcome>) -> Report {
        let (checked, parsed, bytes) = (
            outcomes.len(),
            outcomes.iter().filter(|o| o.parsed).count(),
            outcomes.iter().map(|o| o.bytes).sum(),
        );
        let mut report = self.finish_outcomes(outcomes);
        report.files_checked = checked;
        report.files_parsed = parsed;
        report.bytes = bytes;
        report
    }

    /// `finish`, without the file counts.
    fn finish_outcomes(&self, outcomes: Vec<FileOutcome>) -> Report {
        let mut report = Report::default();
        let mut deferred: HashMap<&'static str, Vec<Deferred<Finding>>> = HashMap::new();
        let mut comments: HashMap<PathBuf, (Arc<Source>, Vec<SuppressionComment>)> = HashMap::new();
        for o in outcomes {
            report.warnings.extend(o.warning);
            report.findings.extend(o.findings);
            for d in o.deferred {
                deferred.entry(d.code).or_default().push(d);
            }
            if let (false, Some(source)) = (o.comments.is_empty(), o.source) {
                comments.insert(o.path, (source, o.comments));
            }
        }
        for rule in &self.rules {
            let items = deferred.remove(rule.meta().code).unwrap_or_default();
            let found = rule.finish(&items);
            report.findings.extend(found);
        }
        for f in &mut report.findings {
            if let Some(s) = self.severity.get(&f.code) {
                f.severity = *s;
            }
        }
        // Suppressions, file by file.
        report.findings.sort_by(|a, b| {
            (&a.path, a.location.range.start, &a.code).cmp(&(
                &b.path,
                b.location.range.start,
                &b.code,
            ))
        });
        report.findings.dedup_by(|a, b| {
            a.path == b.path
                && a.code == b.code
                && a.location == b.location
                && a.message == b.message
        });
        let mut spans: HashMap<PathBuf, std::ops::Range<usize>> = HashMap::new();
        let mut start = 0;
        while start < report.findings.len() {
            let path = &report.findings[start].path;
            let end = start
                + report.findings[start..]
                    .iter()
                    .take_while(|f| &f.path == path)
                    .count();
            spans.insert(path.clone(), start..end);
            start = end;
        }
        let mut comments: Vec<_> = comments.into_iter().collect();
        comments.sort_by(|a, b| a.0.cmp(&b.0));
        for (path, (source, list)) in comments {
            let span = spans.get(&path).cloned().unwrap_or(0..0);
            let usage = suppress::apply(&mut report.findings[span], &list);
            for (comment, usage) in list.into_iter().zip(usage) {
                report.suppressions.push(SuppressionUse {
                    path: path.clone(),
                    source: source.clone(),
                    comment,
                    usage,
                });
            }
        }
        report.warnings.sort_by(|a, b| a.path.cmp(&b.path));
        report
    }

    /// Reads and lints one file. Nothing here blocks on a FIFO or panics on bad bytes.
    pub fn lint_path(&self, path: &Path, worker: &mut Worker) -> FileOutcome {
        let shown = self.display_path(path);
        let skip = |message: String| FileOutcome {
            path: shown.clone(),
            warning: Some(Warning {
                path: shown.clone(),
                message,
            }),
            ..FileOutcome::default()
        };
        let raw = match read_regular_file(path, self.config.max_file_size) {
            Ok(raw) => raw,
            Err(message) => return skip(message),
        };
        // UTF-16 must be decoded before the needles can be seen; any other file that holds no
        // needle is never decoded or parsed (a NUL byte still earns its warning).
        let utf16 = raw.starts_with(&[0xFF, 0xFE]) || raw.starts_with(&[0xFE, 0xFF]);
        if !utf16 && !self.prefilter.may_match(&raw) {
            if raw.contains(&0) {
                return skip(format!("skipped: {}", crate::source::DecodeError::Binary));
            }
            return FileOutcome {
                path: shown,
                bytes: raw.len(),
                ..FileOutcome::default()
            };
        }
        let source = match Source::decode(&raw) {
            Ok(s) => s,
            Err(e) => return skip(format!("skipped: {e}")),
        };
        drop(raw);
        self.lint_source(&shown, Arc::new(source), worker)
    }

    /// Lints decoded text as the file `path` (stdin and editor buffers come in here too).
    pub fn lint_source(
        &self,
        path: &Path,
        source: Arc<Source>,
        worker: &mut Worker,
    ) -> FileOutcome {
        self.lint_source_reusing(path, source, None, worker).0
    }

    /// `lint_source`, reusing `old`: the tree of the file's previous text with every edit since
    /// applied (`Tree::edit`), so that tree-sitter reparses only what changed (the language
    /// server keeps the last tree of each open document). Also returns the new tree.
    pub fn lint_source_reusing(
        &self,
        path: &Path,
        source: Arc<Source>,
        old: Option<(Lang, &Tree)>,
        worker: &mut Worker,
    ) -> (FileOutcome, Option<(Lang, Tree)>) {
        let mut outcome = FileOutcome {
            path: path.to_path_buf(),
            bytes: source.text.len(),
            ..FileOutcome::default()
        };
        if !self.prefilter.may_match(&source.text) {
            return (outcome, None);
        }
        outcome.parsed = true;
        let lang = lang::choose(path, &source.text);
        let old = old.filter(|(l, _)| *l == lang).map(|(_, t)| t);
        let text = source.text.as_slice();
        let budget = time_budget(text.len());
        let started = Instant::now();
        let mut in_budget = |_: &ParseState| over_budget(started, budget);
        let plan = match old {
            None if self.partial => {
                crate::partial::plan(&source, &self.needles, self.partial_min_bytes)
            }
            _ => None,
        };
        let parser = worker.parser(lang);
        let mut parse = |parser: &mut Parser, ranges: &[tree_sitter::Range]| {
            // Ordered, disjoint ranges inside the text: cannot be refused.
            let _ = parser.set_included_ranges(ranges);
            let tree = parser.parse_with_options(
                &mut |i, _| text.get(i..).unwrap_or_default(),
                old,
                Some(ParseOptions::new().progress_callback(&mut in_budget)),
            );
            if !ranges.is_empty() {
                let _ = parser.set_included_ranges(&[]);
            }
            tree
        };
        let mut parsed = None;
        if let Some(ranges) = &plan {
            // A syntax error across a cut: the file is parsed whole instead.
            parsed = parse(parser, ranges).filter(|t| !crate::partial::broken(t, ranges));
        }
        if parsed.is_none() {
            parsed = parse(parser, &[]);
        }
        let Some(tree) = parsed else {
            // A cancelled parse would resume on the next file.
            parser.reset();
            outcome.warning = Some(Warning {
                path: path.to_path_buf(),
                message: format!(
                    "skipped: parsing took longer than {} seconds",
                    budget.as_secs()
                ),
            });
            return (outcome, None);
        };
        // A bug in one rule must not end the run: the file is reported as not analyzed and the
        // other files go on.
        let pass = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut o = FileOutcome {
                path: outcome.path.clone(),
                bytes: outcome.bytes,
                parsed: true,
                ..FileOutcome::default()
            };
            self.lint_tree(path, &source, lang, &tree, worker, &mut o);
            o
        }));
        match pass {
            Ok(o) => outcome = o,
            Err(panic) => {
                *worker = Worker::new();
                let what = panic
                    .downcast_ref::<&str>()
                    .map(|s| s.to_string())
                    .or_else(|| panic.downcast_ref::<String>().cloned())
                    .unwrap_or_default();
                outcome.warning = Some(Warning {
                    path: path.to_path_buf(),
                    message: format!("skipped: internal error while analyzing this file: {what}"),
                });
            }
        }
        (outcome, Some((lang, tree)))
    }

    /// The pass over one parsed tree: facts, the query, flow checks, suppression comments.
    fn lint_tree(
        &self,
        path: &Path,
        source: &Arc<Source>,
        lang: Lang,
        tree: &Tree,
        worker: &mut Worker,
        outcome: &mut FileOutcome,
    ) {
        let text = source.text.as_slice();
        let budget = time_budget(text.len());
        let combined = &self.queries[lang.index()];
        let names = combined.query.capture_names();
        let started = Instant::now();
        // The facts and the query pass do not need each other: on an idle core (the language
        // server lints one file at a time) they run side by side; the matches are kept until
        // both are done.
        let cursor = &mut worker.cursor;
        let (facts, matches) = rayon::join(
            || Facts::build(tree.root_node(), text, &self.config),
            || {
                let mut in_budget = |_: &QueryCursorState| over_budget(started, budget);
                let mut found: Vec<(usize, Vec<tree_sitter::QueryCapture>)> = Vec::new();
                let mut matches = cursor.matches_with_options(
                    &combined.query,
                    tree.root_node(),
                    text,
                    QueryCursorOptions::new().progress_callback(&mut in_budget),
                );
                while let Some(m) = matches.next() {
                    found.push((m.pattern_index, m.captures().to_vec()));
                }
                found
            },
        );
        let mut ctx = Ctx {
            path,
            source,
            text,
            lang,
            root: tree.root_node(),
            facts: &facts,
            config: &self.config,
            diagnostics: Vec::new(),
            deferred: Vec::new(),
            flows: Default::default(),
        };
        // The flow analyses the selected rules will ask for run while the matches are checked.
        let wanted: Vec<Want> = Want::ALL
            .into_iter()
            .filter(|w| {
                self.rules
                    .iter()
                    .any(|r| w.codes().contains(&r.meta().code))
            })
            .collect();
        let (flows, ()) = rayon::join(
            || {
                wanted
                    .iter()
                    .map(|&w| (w, problems_in_file(&facts, &self.config, w)))
                    .collect::<Vec<_>>()
            },
            || {
                for (pattern_index, captures) in &matches {
                    let (rule, pattern) = combined.route[*pattern_index];
                    let mm = Match {
                        pattern,
                        captures,
                        names,
                    };
                    self.rules[rule].check_match(&mut ctx, &mm);
                }
            },
        );
        for (w, problems) in flows {
            let _ = ctx.flows[w.index()].set(problems);
        }
        if started.elapsed() > budget {
            outcome.warning = Some(Warning {
                path: path.to_path_buf(),
                message: format!(
                    "the query pass stopped after {} seconds: findings may be incomplete",
                    budget.as_secs()
                ),
            });
        }
        for rule in &self.rules {
            rule.check_file(&mut ctx);
        }
        let Ctx {
            diagnostics,
            deferred,
            ..
        } = ctx;
        outcome.comments = facts
            .comments
            .iter()
            .filter_map(|c| {
                let raw = std::str::from_utf8(&text[c.byte_range()]).ok()?;
                let (scope, codes, reason) = suppress::parse(raw)?;
                Some(SuppressionComment {
                    scope,
                    codes,
                    reason,
                    range: c.byte_range(),
                    line: c.start_position().row + 1,
                    end_line: c.end_position().row + 1,
                })
            })
            .collect();
        if !outcome.comments.is_empty() {
            outcome.source = Some(source.clone());
        }
        let to_finding = |mut d: crate::diagnostic::Diagnostic| {
            if facts.in_error(d.range.clone()) {
                d.message
                    .push_str(" (the code around it has syntax errors)");
            }
            Finding::new(d, path.to_path_buf(), source.clone())
        };
        outcome.findings = diagnostics.into_iter().map(to_finding).collect();
        outcome.deferred = deferred
            .into_iter()
            .map(|d| Deferred {
                code: d.code,
                key: d.key,
                item: d.item.map(to_finding),
            })
            .collect();
    }
}

/// Reads a regular file without ever blocking: opened non-blocking, checked to be a regular
/// file after opening (a FIFO swapped in after the walk is caught here), capped in size.
pub fn read_regular_file(path: &Path, max_size: u64) -> Result<Vec<u8>, String> {
    let mut opts = std::fs::OpenOptions::new();
    opts.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.custom_flags(libc::O_NONBLOCK);
    }
    let file = opts
        .open(path)
        .map_err(|e| format!("skipped: cannot read: {}", describe_io(&e)))?;
    let meta = file
        .metadata()
        .map_err(|e| format!("skipped: cannot read: {}", describe_io(&e)))?;
    if meta.is_dir() {
        return Err("skipped: is a directory".into());
    }
    if !meta.is_file() {
        return Err("skipped: not a regular file (a FIFO, socket or device)".into());
    }
    if meta.len() > max_size {
        return Err(format!(
            "skipped: {} bytes is over the size cap of {} bytes (max_file_size)",
            meta.len(),
            max_size
        ));
    }
    let mut raw = Vec::with_capacity(meta.len() as usize);
    file.take(max_size + 1)
        .read_to_end(&mut raw)
        .map_err(|e| format!("skipped: cannot read: {}", describe_io(&e)))?;
    if raw.len() as u64 > max_size {
        return Err(format!(
            "skipped: over the size cap of {max_size} bytes (max_file_size)"
        ));
    }
    Ok(raw)
}
