//! Per file: read -> decode -> prefilter -> parse -> facts -> one query pass -> flow checks ->
//! diagnostics. Parallel over files (one tree per worker at a time), then the project-wide
//! phase, then suppressions.

use std::collections::HashMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use tree_sitter::{
    ParseOptions, ParseState, Parser, QueryCursor, QueryCursorOptions, QueryCursorState,
    StreamingIterator, Tree,
};

use crate::config::Config;
use crate::diagnostic::{Finding, Severity};
use crate::facts::Facts;
use crate::flow::lifecycle::{problems_by_want, Want};
use crate::lang::{self, Lang};
use crate::prefilter::Prefilter;
use crate::query::{CombinedQuery, QueryFileError};
use crate::registry;
pub use crate::report::{Report, SuppressionUse};
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
    /// Lets one large file at a time be parsed (see `LargeFiles`).
    large: LargeFiles,
    /// Project headers read so far, and whether each includes a Winsock header.
    headers: std::sync::Mutex<HashMap<PathBuf, bool>>,
    /// What the command line named: a project named in part is read whole for the facts of
    /// the project-wide phase (see `project`). `None`: only the files given are read.
    pub scope: Option<crate::project::Scope>,
    /// The model of each project met so far, built when its first file is linted.
    projects: std::sync::Mutex<HashMap<Root, Arc<std::sync::OnceLock<Arc<ProjectModel>>>>>,
    roots: std::sync::Mutex<crate::project::Roots>,
    /// The config file's directory, resolved: what its globs are relative to (`None` without a
    /// config file).
    config_dir: Option<PathBuf>,
    /// The config's `exclude` globs.
    exclude: globset::GlobSet,
    /// The config's `per-file-ignores`: each glob, and the selectors it turns off.
    per_file_ignores: Vec<(globset::GlobSet, Vec<String>)>,
}

/// A project as the lint of its files sees it: its index (see `project::index`), and the
/// config and filters with the project's own creators and closers added to `[resources]`.
pub struct ProjectModel {
    pub index: crate::project::index::Index,
    config: Config,
    prefilter: Prefilter,
    needles: crate::partial::Needles,
}

/// What the lint of one file knows of its project.
#[derive(Clone, Copy)]
struct Known<'a> {
    config: &'a Config,
    prefilter: &'a Prefilter,
    needles: &'a crate::partial::Needles,
    imports: Option<&'a crate::project::index::Imports>,
}

/// The project a file belongs to (`project::root_of`); `None` is the run itself.
type Root = Option<PathBuf>;

/// Project headers larger than this are not read for their includes.
const HEADER_MAX_BYTES: u64 = 1 << 20;

/// How many project headers the pre-filter remembers at most.
const HEADER_CACHE_ENTRIES: usize = 1024;

/// Files of at least this many bytes are parsed one at a time.
const LARGE_FILE_BYTES: usize = 256 << 10;

/// A tree takes about fifteen times its file's size, so the peak memory of a run is set by its
/// largest files. Two of them parsed at once by chance (more likely the more large files a tree
/// holds) would raise the peak with the size of the tree: a worker waits for another one's
/// large file to be done before parsing its own. A worker that meets its own large file again
/// (rayon may run another file's work on a thread while it waits) goes on, and no wait lasts
/// more than a few seconds, so that no arrangement of work can deadlock.
#[derive(Default)]
struct LargeFiles {
    /// The thread parsing a large file, and how many of its files it is in.
    owner: std::sync::Mutex<Option<(std::thread::ThreadId, usize)>>,
    done: std::sync::Condvar,
}

impl LargeFiles {
    fn enter(&self) -> LargeFile<'_> {
        let me = std::thread::current().id();
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut owner = self.owner.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            match &mut *owner {
                None => *owner = Some((me, 1)),
                Some((id, depth)) if *id == me => *depth += 1,
                Some(_) => {
                    let left = deadline.saturating_duration_since(Instant::now());
                    if !left.is_zero() {
                        owner = self
                            .done
                            .wait_timeout(owner, left)
                            .unwrap_or_else(|e| e.into_inner())
                            .0;
                        continue;
                    }
                    // Waited long enough: parse alongside rather than risk a stall.
                    return LargeFile { gate: None };
                }
            }
            return LargeFile { gate: Some(self) };
        }
    }
}

/// A large file being parsed; leaving lets the next one in.
struct LargeFile<'a> {
    gate: Option<&'a LargeFiles>,
}

impl Drop for LargeFile<'_> {
    fn drop(&mut self) {
        // The file's tree is gone: its pages go back before the next large one is parsed.
        trim();
        let Some(gate) = self.gate else { return };
        let mut owner = gate.owner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some((_, depth)) = &mut *owner {
            *depth -= 1;
            if *depth == 0 {
                *owner = None;
                gate.done.notify_one();
            }
        }
    }
}

/// The work one file may spend in the parser, and again in the query pass: a guard against
/// hangs on pathological input, far above what any real file needs. It is counted in steps (the
/// progress callbacks tree-sitter makes after a fixed amount of work: 100 parser operations, or
/// 1,000 units of query work), not in time, so that a file is cut at the same point on an idle
/// machine and on a loaded one, and its findings do not depend on the load. Real code takes
/// about 6,000 parser steps and 2,000 query steps per MiB.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct StepBudget {
    base: u64,
    per_mib: u64,
}

const PARSE_STEPS: StepBudget = StepBudget {
    base: 100_000,
    per_mib: 100_000,
};

const QUERY_STEPS: StepBudget = StepBudget {
    base: 50_000,
    per_mib: 50_000,
};

impl StepBudget {
    /// The steps a file of `bytes` bytes may take.
    fn steps(self, bytes: usize) -> u64 {
        self.base + self.per_mib * (bytes as u64 >> 20)
    }
}

/// The steps a pass has taken, against its budget.
struct Steps {
    taken: std::sync::atomic::AtomicU64,
    budget: u64,
    /// The CPU time of the thread that takes the steps when it took the first, in nanoseconds
    /// (0 before): some work is not counted in steps (the query cursor looks up each node's
    /// field through its ancestors, a cost per node that grows with the depth of an unclosed
    /// file), so CPU time is a second bound, which load does not change either.
    cpu_start: std::sync::atomic::AtomicU64,
    cpu_budget: Duration,
    /// Set once the CPU bound is passed.
    over_cpu: std::sync::atomic::AtomicBool,
}

/// CPU time per file and pass, the second bound of a `Steps`: 30 s plus 10 s per MiB.
fn cpu_budget(bytes: usize) -> Duration {
    Duration::from_secs(30 + 10 * (bytes as u64 >> 20))
}

/// The CPU time the calling thread has used (wall time where the platform has no such clock).
fn thread_cpu_time() -> Duration {
    #[cfg(unix)]
    {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: a valid pointer to a timespec; the clock id is a constant.
        if unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0 {
            return Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32);
        }
    }
    static START: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    START.get_or_init(Instant::now).elapsed()
}

impl Steps {
    fn new(budget: StepBudget, bytes: usize) -> Steps {
        Steps {
            taken: std::sync::atomic::AtomicU64::new(0),
            budget: budget.steps(bytes),
            cpu_start: std::sync::atomic::AtomicU64::new(0),
            cpu_budget: cpu_budget(bytes),
            over_cpu: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// One more step: `Break` once the budget is spent.
    fn step(&self) -> ControlFlow<()> {
        use std::sync::atomic::Ordering::Relaxed;
        let taken = self.taken.fetch_add(1, Relaxed);
        if taken % 64 == 0 {
            let now = thread_cpu_time().as_nanos().max(1) as u64;
            let start = match self.cpu_start.compare_exchange(0, now, Relaxed, Relaxed) {
                Ok(_) => now,
                Err(start) => start,
            };
            if Duration::from_nanos(now.saturating_sub(start)) > self.cpu_budget {
                self.over_cpu.store(true, Relaxed);
            }
        }
        if self.spent() {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }

    fn spent(&self) -> bool {
        use std::sync::atomic::Ordering::Relaxed;
        self.taken.load(Relaxed) > self.budget || self.over_cpu.load(Relaxed)
    }

    /// The budget, for messages.
    fn describe(&self) -> String {
        format!(
            "{} steps or {} seconds of CPU time",
            self.budget,
            self.cpu_budget.as_secs()
        )
    }
}

/// Trees deeper than this are not searched for the start of a match below it (the run says so):
/// the query cursor keeps a state for each level a match may have started at and visits them
/// all at every node, which is quadratic in the depth (3,000 nested calls took more than the
/// whole time budget). Real code stays far below it: an `else if` chain of a thousand branches
/// is 2,000 levels deep.
const MAX_START_DEPTH: u32 = 2_000;

/// Whether the tree under `root` is deeper than `limit` levels (an iterative walk that stops at
/// the first node that deep).
fn deeper_than(root: tree_sitter::Node, limit: u32) -> bool {
    let mut cursor = root.walk();
    let mut depth = 0u32;
    loop {
        if cursor.goto_first_child() {
            depth += 1;
            if depth > limit {
                return true;
            }
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return false;
            }
            depth -= 1;
        }
    }
}

/// `--jobs N` capped at the parallelism the machine has: more threads than cores only contend
/// (`--jobs 100000` would start thousands of them).
fn max_jobs(n: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
    n.min(cores)
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

    /// This worker's parser for `lang`, made on first use.
    pub(crate) fn parser(&mut self, lang: Lang) -> &mut Parser {
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
        let (prefilter, needles, pass_all) = filters(&rules, &config, &[], &[]);
        let severity = config
            .severity
            .iter()
            .filter_map(|(code, s)| Some((code.to_ascii_uppercase(), Severity::parse(s)?)))
            .collect();
        let cwd = std::env::current_dir().unwrap_or_else(|_| PathBuf::from("."));
        let config_dir = config
            .path
            .as_ref()
            .and_then(|p| crate::project::dir_of(&cwd.join(p)));
        // The globs were checked when the config was read.
        let exclude = crate::walk::exclude_set(&config.exclude).unwrap_or_default();
        let per_file_ignores = config
            .per_file_ignores
            .iter()
            .filter_map(|(glob, codes)| {
                let set = crate::walk::exclude_set(std::slice::from_ref(glob)).ok()?;
                Some((set, codes.clone()))
            })
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
            cwd,
            large: LargeFiles::default(),
            headers: std::sync::Mutex::default(),
            scope: None,
            projects: Default::default(),
            roots: Default::default(),
            config_dir,
            exclude,
            per_file_ignores,
        })
    }

    /// The file at `path` (as given, or relative to the current directory) relative to the
    /// config file's directory, which the config's globs are relative to; as given when there
    /// is no config file or the file is not below its directory.
    pub fn config_relative(&self, path: &Path) -> PathBuf {
        let as_given = || path.strip_prefix("./").unwrap_or(path).to_path_buf();
        let Some(base) = &self.config_dir else {
            return as_given();
        };
        let full = self.cwd.join(path);
        let resolved = match crate::project::dir_of(&full).zip(full.file_name()) {
            Some((dir, name)) => dir.join(name),
            // A file whose directory does not exist (`--stdin-filename`, `--show-settings`).
            None => crate::project::normalize(&full),
        };
        match resolved.strip_prefix(base).ok() {
            Some(rel) => rel.to_path_buf(),
            None => as_given(),
        }
    }

    /// Whether the config's `exclude` globs exclude the file at `path`.
    pub fn config_excludes(&self, path: &Path) -> bool {
        !self.exclude.is_empty()
            && crate::walk::is_excluded(&self.exclude, &self.config_relative(path))
    }

    /// The selectors the config's `per-file-ignores` turn off in the file at `path`: those of
    /// every glob that matches its path (relative to the config's directory) or its name.
    pub fn per_file_ignored(&self, path: &Path) -> Vec<&str> {
        if self.per_file_ignores.is_empty() {
            return Vec::new();
        }
        let rel = self.config_relative(path);
        let name = rel.file_name().map(PathBuf::from).unwrap_or_default();
        self.per_file_ignores
            .iter()
            .filter(|(set, _)| set.is_match(&rel) || set.is_match(&name))
            .flat_map(|(_, codes)| codes.iter().map(String::as_str))
            .collect()
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

    /// Lints files in parallel, runs the project-wide phase and applies suppressions: the whole
    /// report, findings sorted by path and position.
    pub fn run(&self, files: &[PathBuf], jobs: Option<usize>) -> Report {
        let mut all = Report::default();
        let mut files = files.iter().cloned();
        let mut report = self.stream(&mut files, jobs, &mut |file: Report| all.absorb(file));
        report.absorb(all);
        report.sort_by_path();
        report
    }

    /// Lints files in parallel and hands each file's findings and suppression comments to
    /// `emit` as soon as the file is done, in the order `files` gives them (a walk gives path
    /// order), so that a run holds at most a few files at a time whatever the size of the tree;
    /// `files` is read as the workers need files, so it may find them as it goes. A file holding a finding that only the
    /// project-wide phase can decide (`Ctx::defer` with a diagnostic) is linted again once
    /// every file is read, and handed on then, after the others. Returns the counts and the
    /// warnings.
    pub fn stream(
        &self,
        files: &mut (dyn Iterator<Item = PathBuf> + Send),
        jobs: Option<usize>,
        emit: &mut (dyn FnMut(Report) + Send),
    ) -> Report {
        map_large_blocks();
        let totals = Counts::default();
        // The facts every file defers, by project and rule: their keys are all they are.
        let mut project: HashMap<(Root, &'static str), Vec<String>> = HashMap::new();
        let mut roots = crate::project::Roots::default();
        let mut held: Vec<PathBuf> = Vec::new();
        // The conditional items of the held files, without their text, with their project.
        let mut held_items: Vec<(Root, Deferred<Finding>)> = Vec::new();
        let mut warnings: Vec<Warning> = Vec::new();
        let run = || {
            // First pass: every file; what it defers without a finding is kept as a fact.
            ordered(
                files,
                |path, worker| {
                    let mut o = self.lint_path(&path, worker);
                    totals.add(&o);
                    let (facts, items): (Vec<_>, Vec<_>) = std::mem::take(&mut o.deferred)
                        .into_iter()
                        .partition(|d| d.item.is_none());
                    let hold = !items.is_empty();
                    let items: Vec<Deferred<Finding>> = items
                        .into_iter()
                        .map(|d| Deferred {
                            item: d.item.map(|f| f.without_text()),
                            ..d
                        })
                        .collect();
                    let warning = o.warning.take();
                    let file = (!hold).then(|| self.finish_file(o));
                    (path, facts, items, warning, file)
                },
                |(path, facts, items, warning, file)| {
                    if !facts.is_empty() || !items.is_empty() {
                        let root = roots.of(&path);
                        for d in facts {
                            project
                                .entry((root.clone(), d.code))
                                .or_default()
                                .push(d.key);
                        }
                        if !items.is_empty() {
                            held.push(path);
                            held_items.extend(items.into_iter().map(|d| (root.clone(), d)));
                        }
                    }
                    warnings.extend(warning);
                    if let Some(file) = file.filter(|f| !f.is_empty()) {
                        emit(file);
                    }
                },
            );
            // The held items, decided at once against the facts of every file: a rule decides
            // each item from the facts and the item alone.
            // What `finish` made of each kept item (it may reword it or add related locations).
            type Id = (String, PathBuf, std::ops::Range<usize>);
            let mut kept: HashMap<Id, Finding> = HashMap::new();
            // A project named in part is read whole for its facts (a pre-commit run names the
            // staged files only).
            self.complete_projects(&held_items, &mut project);
            let mut groups: Vec<(&Root, &'static str)> =
                held_items.iter().map(|(r, d)| (r, d.code)).collect();
            groups.sort();
            groups.dedup();
            for rule in &self.rules {
                let code = rule.meta().code;
                for &(root, _) in groups.iter().filter(|g| g.1 == code) {
                    let mine = held_items
                        .iter()
                        .filter(|(r, d)| d.code == code && r == root)
                        .map(|(_, d)| d);
                    let facts: Vec<Deferred<Finding>> = project
                        .get(&(root.clone(), code))
                        .into_iter()
                        .flatten()
                        .map(|key| Deferred {
                            code,
                            key: key.clone(),
                            item: None,
                        })
                        .collect();
                    let all: Vec<&Deferred<Finding>> = facts.iter().chain(mine).collect();
                    for f in rule.finish(&all) {
                        let id = (f.code.clone(), f.path.clone(), f.location.range.clone());
                        kept.insert(id, f);
                    }
                }
            }
            // Nothing of the first pass is needed past this point but what was kept.
            drop(held_items);
            drop(std::mem::take(&mut project));
            // Second pass: the held files, linted again for their text, with the items kept.
            let kept = &kept;
            ordered(
                &mut held.into_iter(),
                |path, worker| {
                    let mut o = self.lint_path(&path, worker);
                    let items = std::mem::take(&mut o.deferred).into_iter();
                    o.findings
                        .extend(items.filter_map(|d| d.item).filter_map(|mut f| {
                            let id = (f.code.clone(), f.path.clone(), f.location.range.clone());
                            let finished = kept.get(&id)?;
                            f.message.clone_from(&finished.message);
                            f.related.clone_from(&finished.related);
                            Some(f)
                        }));
                    let warning = o.warning.take();
                    (warning, self.finish_file(o))
                },
                |(warning, file)| {
                    // The file changed or vanished since the first pass.
                    warnings.extend(warning);
                    if !file.is_empty() {
                        emit(file);
                    }
                },
            );
        };
        match jobs.map(max_jobs) {
            Some(n) if n > 0 => match rayon::ThreadPoolBuilder::new().num_threads(n).build() {
                Ok(pool) => pool.install(run),
                Err(_) => run(),
            },
            _ => run(),
        }
        warnings.sort_by(|a, b| a.path.cmp(&b.path));
        // A file linted again for the project-wide phase says the same thing twice.
        warnings.dedup_by(|a, b| a.path == b.path && a.message == b.message);
        Report {
            warnings,
            files_checked: totals.checked.into_inner(),
            files_parsed: totals.parsed.into_inner(),
            bytes: totals.bytes.into_inner(),
            ..Report::default()
        }
    }

    /// The project-wide phase and suppressions over the outcomes of every file.
    pub fn finish(&self, outcomes: Vec<FileOutcome>) -> Report {
        let (checked, parsed, bytes) = (
            outcomes.len(),
            outcomes.iter().filter(|o| o.parsed).count(),
            outcomes.iter().map(|o| o.bytes).sum(),
        );
        let mut report = Report::default();
        // What files defer, by project and rule: two projects never see each other's facts.
        let mut deferred: HashMap<(Root, &'static str), Vec<Deferred<Finding>>> = HashMap::new();
        let mut roots = crate::project::Roots::default();
        let mut by_path: std::collections::BTreeMap<PathBuf, FileOutcome> = Default::default();
        for mut o in outcomes {
            report.warnings.extend(o.warning.take());
            if !o.deferred.is_empty() {
                let root = roots.of(&o.path);
                for d in std::mem::take(&mut o.deferred) {
                    deferred.entry((root.clone(), d.code)).or_default().push(d);
                }
            }
            match by_path.entry(o.path.clone()) {
                std::collections::btree_map::Entry::Vacant(v) => {
                    v.insert(o);
                }
                std::collections::btree_map::Entry::Occupied(mut e) => {
                    let file = e.get_mut();
                    file.findings.append(&mut o.findings);
                    file.comments.append(&mut o.comments);
                    file.source = file.source.take().or(o.source);
                }
            }
        }
        let mut groups: Vec<_> = deferred.into_iter().collect();
        groups.sort_by(|a, b| a.0.cmp(&b.0));
        for rule in &self.rules {
            let code = rule.meta().code;
            for (_, items) in groups.iter().filter(|((_, c), _)| *c == code) {
                let items: Vec<&Deferred<Finding>> = items.iter().collect();
                for f in rule.finish(&items) {
                    let file = by_path
                        .entry(f.path.clone())
                        .or_insert_with(|| FileOutcome {
                            path: f.path.clone(),
                            ..FileOutcome::default()
                        });
                    file.findings.push(f);
                }
            }
        }
        for (_, o) in by_path {
            let file = self.finish_file(o);
            report.findings.extend(file.findings);
            report.suppressions.extend(file.suppressions);
        }
        report.warnings.sort_by(|a, b| a.path.cmp(&b.path));
        report.files_checked = checked;
        report.files_parsed = parsed;
        report.bytes = bytes;
        report
    }

    /// Reads the files of each project that holds a conditional finding but was named only in
    /// part (see `Scope`), for the facts the project-wide phase needs: only the rules with such
    /// findings run, and nothing these files hold is reported.
    fn complete_projects(
        &self,
        held_items: &[(Root, Deferred<Finding>)],
        project: &mut HashMap<(Root, &'static str), Vec<String>>,
    ) {
        let Some(scope) = &self.scope else {
            return;
        };
        let mut partial: Vec<&PathBuf> = held_items
            .iter()
            .filter_map(|(r, _)| r.as_ref())
            .filter(|r| !scope.covers(r))
            .collect();
        partial.sort();
        partial.dedup();
        if partial.is_empty() {
            return;
        }
        let mut codes: Vec<&'static str> = held_items.iter().map(|(_, d)| d.code).collect();
        codes.sort();
        codes.dedup();
        let config = Config {
            select: codes.iter().map(|c| c.to_string()).collect(),
            ignore: Vec::new(),
            report_unused_suppressions: false,
            ..self.config.clone()
        };
        let Ok(index) = Engine::new(config, Vec::new()) else {
            return;
        };
        for root in partial {
            let Ok(mut walk) = crate::walk::Walk::new(std::slice::from_ref(root), &scope.walk)
            else {
                continue;
            };
            // What the config excludes is no part of the project, as in a whole run.
            let mut unnamed = std::iter::from_fn(|| walk.next())
                .filter(|p| std::fs::canonicalize(p).is_ok_and(|p| !scope.named_already(&p)))
                .filter(|p| !self.config_excludes(p));
            ordered(
                &mut unnamed,
                |path, worker| index.lint_path(&path, worker).deferred,
                |deferred| {
                    for d in deferred.into_iter().filter(|d| d.item.is_none()) {
                        project
                            .entry((Some(root.clone()), d.code))
                            .or_default()
                            .push(d.key);
                    }
                },
            );
        }
    }

    /// One file's findings, finished: configured severities, sorted by position, without
    /// duplicates, and its suppression comments applied (with what each suppressed).
    fn finish_file(&self, o: FileOutcome) -> Report {
        let mut findings = o.findings;
        let ignored = self.per_file_ignored(&o.path);
        if !ignored.is_empty() {
            findings.retain(|f| !ignored.iter().any(|i| registry::matches(i, &f.code)));
        }
        for f in &mut findings {
            if let Some(s) = self.severity.get(&f.code) {
                f.severity = *s;
            }
        }
        findings.sort_by(|a, b| {
            (&a.path, a.location.range.start, &a.code).cmp(&(
                &b.path,
                b.location.range.start,
                &b.code,
            ))
        });
        findings.dedup_by(|a, b| {
            a.path == b.path
                && a.code == b.code
                && a.location == b.location
                && a.message == b.message
        });
        let mut suppressions = Vec::new();
        if let (false, Some(source)) = (o.comments.is_empty(), o.source) {
            let usage = suppress::apply(&mut findings, &o.comments);
            for (comment, usage) in o.comments.into_iter().zip(usage) {
                suppressions.push(SuppressionUse {
                    path: o.path.clone(),
                    source: source.clone(),
                    comment,
                    usage,
                });
            }
        }
        Report {
            findings,
            suppressions,
            ..Report::default()
        }
    }

    /// The model of the project of the file at `path`, built on first use: for a run that
    /// names what it lints (`scope`), the project around the file, or the paths named when
    /// no project is around it. `None` for text linted alone (an editor buffer, stdin).
    pub fn project_of(&self, path: &Path) -> Option<Arc<ProjectModel>> {
        let scope = self.scope.as_ref()?;
        let root = self.roots.lock().ok()?.of(path);
        let cell = self
            .projects
            .lock()
            .ok()?
            .entry(root.clone())
            .or_default()
            .clone();
        let model = cell.get_or_init(|| {
            let paths = match &root {
                Some(r) => vec![r.clone()],
                None => scope.named.clone(),
            };
            let files: Vec<PathBuf> = crate::walk::Walk::new(&paths, &scope.walk)
                .map(|w| w.collect())
                .unwrap_or_default();
            self.model_of(&files)
        });
        Some(model.clone())
    }

    /// The model of the project made of `files`.
    pub fn model_of(&self, files: &[PathBuf]) -> Arc<ProjectModel> {
        let threads = rayon::current_num_threads();
        let index = crate::project::index::Index::build(files, &self.config, threads);
        let mut config = self.config.clone();
        let res_types = (
            self.config.resources.socket_types.clone(),
            self.config.resources.unsigned_socket_types.clone(),
        );
        let res = &mut config.resources;
        for (list, found) in [
            (&mut res.creators, &index.summaries.creators),
            (&mut res.closers, &index.summaries.closers),
        ] {
            list.extend(found.iter().cloned());
        }
        // What the project's headers rename to or alias keeps a function in a partial parse.
        let mut holding = vec!["SOCKET"];
        for list in [&res_types.0, &res_types.1] {
            holding.extend(list.iter().map(String::as_str));
        }
        let (names, types) = index.definitions(|t| self.needles.names(t.as_bytes()), &holding);
        let (prefilter, needles, _) = filters(&self.rules, &config, &names, &types);
        Arc::new(ProjectModel {
            index,
            config,
            prefilter,
            needles,
        })
    }

    /// What the lint of the file at `path` knows: its project's model when there is one.
    fn known<'a>(
        &'a self,
        model: Option<&'a ProjectModel>,
        imports: Option<&'a crate::project::index::Imports>,
    ) -> Known<'a> {
        match model {
            Some(m) => Known {
                config: &m.config,
                prefilter: &m.prefilter,
                needles: &m.needles,
                imports,
            },
            None => Known {
                config: &self.config,
                prefilter: &self.prefilter,
                needles: &self.needles,
                imports: None,
            },
        }
    }

    /// Whether the file at `path` may hold a finding (see `prefilter`): a file that names
    /// nothing Windows itself may reach Winsock through a header of its project, next to it
    /// (`#include "compat.h"`, which includes `winsock2.h` under `#ifdef _WIN32`).
    fn may_match(&self, known: Known, path: &Path, text: &[u8]) -> bool {
        match known.prefilter.verdict(text) {
            crate::prefilter::Verdict::Pass => return true,
            crate::prefilter::Verdict::Skip => return false,
            crate::prefilter::Verdict::NoMarker => {}
        }
        let dir = path.parent().unwrap_or(Path::new(""));
        crate::prefilter::quoted_includes(text)
            .into_iter()
            .any(|name| {
                let header = dir.join(name);
                let known = self
                    .headers
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .get(&header)
                    .copied();
                known.unwrap_or_else(|| {
                    let winsock = read_regular_file(&header, HEADER_MAX_BYTES)
                        .is_ok_and(|t| crate::prefilter::includes_winsock(&t));
                    let mut headers = self.headers.lock().unwrap_or_else(|e| e.into_inner());
                    // Files come in path order, so the headers asked about are those of the
                    // directories at hand: a bounded cache keeps a run's memory flat.
                    if headers.len() >= HEADER_CACHE_ENTRIES {
                        headers.clear();
                    }
                    headers.insert(header, winsock);
                    winsock
                })
            })
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
        let model = self.project_of(path);
        let resolved = model
            .as_ref()
            .and_then(|_| std::fs::canonicalize(path).ok());
        let imports = model
            .as_ref()
            .zip(resolved.as_ref())
            .map(|(m, p)| m.index.imports(p));
        let known = self.known(model.as_deref(), imports.as_ref());
        // UTF-16 must be decoded before the needles can be seen; any other file that holds no
        // needle is never decoded or parsed (a NUL byte still earns its warning).
        let utf16 = raw.starts_with(&[0xFF, 0xFE]) || raw.starts_with(&[0xFE, 0xFF]);
        if !utf16 && !self.may_match(known, path, &raw) {
            if raw.contains(&0) {
                return skip(format!("skipped: {}", crate::source::DecodeError::Binary));
            }
            return FileOutcome {
                path: shown,
                bytes: raw.len(),
                ..FileOutcome::default()
            };
        }
        let _large = (raw.len() >= LARGE_FILE_BYTES).then(|| self.large.enter());
        let source = match Source::decode(&raw) {
            Ok(s) => s,
            Err(e) => return skip(format!("skipped: {e}")),
        };
        drop(raw);
        // The needles are ASCII: the decoded text passes as its bytes did (UTF-16 aside).
        let filtered = !utf16;
        self.lint_decoded(&shown, Arc::new(source), None, worker, filtered, known)
            .0
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

    /// `lint_source` as a file of the project `model` (see `model_of`).
    pub fn lint_source_in(
        &self,
        path: &Path,
        source: Arc<Source>,
        worker: &mut Worker,
        model: &ProjectModel,
    ) -> FileOutcome {
        let imports = std::fs::canonicalize(path)
            .ok()
            .map(|p| model.index.imports(&p));
        let known = self.known(Some(model), imports.as_ref());
        self.lint_decoded(path, source, None, worker, false, known)
            .0
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
        self.lint_decoded(path, source, old, worker, false, self.known(None, None))
    }

    /// `lint_source_reusing`, told whether the pre-filter has passed the text already.
    fn lint_decoded(
        &self,
        path: &Path,
        source: Arc<Source>,
        old: Option<(Lang, &Tree)>,
        worker: &mut Worker,
        filtered: bool,
        known: Known,
    ) -> (FileOutcome, Option<(Lang, Tree)>) {
        let mut outcome = FileOutcome {
            path: path.to_path_buf(),
            bytes: source.text.len(),
            ..FileOutcome::default()
        };
        if !filtered && !self.may_match(known, path, &source.text) {
            return (outcome, None);
        }
        outcome.parsed = true;
        let lang = lang::choose(path, &source.text);
        let old = old.filter(|(l, _)| *l == lang).map(|(_, t)| t);
        let text = source.text.as_slice();
        let steps = Steps::new(PARSE_STEPS, text.len());
        let mut in_budget = |_: &ParseState| steps.step();
        let plan = match old {
            None if self.partial => {
                crate::partial::plan(&source, known.needles, self.partial_min_bytes)
            }
            _ => None,
        };
        let parser = worker.parser(lang);
        let parsed = parse_within(parser, text, plan.as_deref(), old, &mut in_budget);
        let Some(tree) = parsed else {
            // A cancelled parse would resume on the next file.
            parser.reset();
            outcome.warning = Some(Warning {
                path: path.to_path_buf(),
                message: format!(
                    "skipped: parsing took more than its budget of {}",
                    steps.describe()
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
            self.lint_tree(path, &source, (lang, &tree), worker, &mut o, known);
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
        (lang, tree): (Lang, &Tree),
        worker: &mut Worker,
        outcome: &mut FileOutcome,
        known: Known,
    ) {
        let text = source.text.as_slice();
        let steps = Steps::new(QUERY_STEPS, text.len());
        let combined = &self.queries[lang.index()];
        let names = combined.query.capture_names();
        // Two strands meet in the rules: the facts then the flow analyses, which need only the
        // facts; and the query pass then its matches, which need the facts too. On an idle core
        // (the language server lints one file at a time) the strands run side by side, the
        // query strand waiting for the facts only if its pass ends first.
        let wanted: Vec<Want> = Want::ALL
            .into_iter()
            .filter(|w| {
                self.rules
                    .iter()
                    .any(|r| w.codes().contains(&r.meta().code))
            })
            .collect();
        let cursor = &mut worker.cursor;
        let built = std::sync::OnceLock::new();
        // Dropped when the facts are built, or when building them panics.
        let (facts_done, facts_ready) = std::sync::mpsc::sync_channel::<()>(0);
        let (flows, ctx) = rayon::join(
            || {
                let facts = built.get_or_init(|| {
                    Facts::build_with(tree.root_node(), text, known.config, known.imports)
                });
                drop(facts_done);
                problems_by_want(facts, known.config, &wanted)
            },
            || {
                let facts_ready = facts_ready;
                let mut in_budget = |_: &QueryCursorState| steps.step();
                let mut found: Vec<(usize, Vec<tree_sitter::QueryCapture>)> = Vec::new();
                let mut matches = cursor.matches_with_options(
                    &combined.query,
                    tree.root_node(),
                    text,
                    QueryCursorOptions::new().progress_callback(&mut in_budget),
                );
                while let Some(m) = matches.next() {
                    if !combined.holds(m.pattern_index, m.captures(), text) {
                        continue;
                    }
                    found.push((m.pattern_index, m.captures().to_vec()));
                }
                let _ = facts_ready.recv();
                let mut ctx = Ctx {
                    path,
                    source,
                    text,
                    lang,
                    root: tree.root_node(),
                    facts: built.get()?,
                    config: known.config,
                    diagnostics: Vec::new(),
                    deferred: Vec::new(),
                    flows: Default::default(),
                };
                for (pattern_index, captures) in &found {
                    let (rule, pattern) = combined.route[*pattern_index];
                    let mm = Match {
                        pattern,
                        captures,
                        names,
                    };
                    self.rules[rule].check_match(&mut ctx, &mm);
                }
                Some(ctx)
            },
        );
        // Without facts the first strand panicked, and `join` passed the panic on.
        let (Some(mut ctx), Some(facts)) = (ctx, built.get()) else {
            return;
        };
        for (w, problems) in flows {
            let _ = ctx.flows[w.index()].set(problems);
        }
        if steps.spent() {
            outcome.warning = Some(Warning {
                path: path.to_path_buf(),
                message: format!(
                    "the query pass stopped after its budget of {}: findings may be \
                     incomplete",
                    steps.describe()
                ),
            });
        } else if deeper_than(tree.root_node(), MAX_START_DEPTH) {
            outcome.warning = Some(Warning {
                path: path.to_path_buf(),
                message: format!(
                    "code nested deeper than {MAX_START_DEPTH} levels is not searched: findings \
                     may be incomplete"
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
            if facts.rests_on_error(tree.root_node(), d.range.clone()) {
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

/// The pre-filter and the needles of a partial parse for `rules` under `config`: the rules'
/// literals and the names the config adds; and for the needles, the macro `names` and type
/// aliases (`types`) of a project, which may stand for what a rule looks for.
fn filters(
    rules: &[&'static dyn Rule],
    config: &Config,
    names: &[&str],
    types: &[&str],
) -> (Prefilter, crate::partial::Needles, bool) {
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
    socket_types.extend(types.iter().copied());
    all.extend(socket_types.iter().copied());
    all.extend(names.iter().copied());
    let helper_calls: Vec<&'static str> = rules
        .iter()
        .flat_map(|r| r.helper_calls().iter().copied())
        .collect();
    let needles = crate::partial::Needles::new(&all, &socket_types, &helper_calls);
    (prefilter, needles, pass_all)
}

/// Parses `text`, only the `plan`ned ranges when there is a plan (see `partial`), whole when
/// there is none or when the partial parse has a syntax error across a cut (`None` then, with
/// `whole_on_error` false); `None` when the parse ran out of time.
pub fn parse_planned(
    parser: &mut Parser,
    text: &[u8],
    plan: Option<&[tree_sitter::Range]>,
    whole_on_error: bool,
) -> Option<Tree> {
    let steps = Steps::new(PARSE_STEPS, text.len());
    let mut in_budget = |_: &ParseState| steps.step();
    let tree = match plan {
        Some(ranges) if !whole_on_error => {
            let _ = parser.set_included_ranges(ranges);
            let tree = parser.parse_with_options(
                &mut |i, _| text.get(i..).unwrap_or_default(),
                None,
                Some(ParseOptions::new().progress_callback(&mut in_budget)),
            );
            let _ = parser.set_included_ranges(&[]);
            tree.filter(|t| !crate::partial::broken(t, ranges))
        }
        _ => parse_within(parser, text, plan, None, &mut in_budget),
    };
    if tree.is_none() {
        parser.reset();
    }
    tree
}

/// `parse_planned`, reusing `old` and with the caller's budget.
fn parse_within<F: FnMut(&ParseState) -> ControlFlow<()>>(
    parser: &mut Parser,
    text: &[u8],
    plan: Option<&[tree_sitter::Range]>,
    old: Option<&Tree>,
    in_budget: &mut F,
) -> Option<Tree> {
    let mut parse = |parser: &mut Parser, ranges: &[tree_sitter::Range]| {
        // Ordered, disjoint ranges inside the text: cannot be refused.
        let _ = parser.set_included_ranges(ranges);
        let tree = parser.parse_with_options(
            &mut |i, _| text.get(i..).unwrap_or_default(),
            old,
            Some(ParseOptions::new().progress_callback(in_budget)),
        );
        if !ranges.is_empty() {
            let _ = parser.set_included_ranges(&[]);
        }
        tree
    };
    let mut parsed = None;
    if let Some(ranges) = plan {
        // A syntax error across a cut: the file is parsed whole instead.
        parsed = parse(parser, ranges).filter(|t| !crate::partial::broken(t, ranges));
    }
    if parsed.is_none() {
        parsed = parse(parser, &[]);
    }
    parsed
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

/// Files counted by the workers of a run.
#[derive(Default)]
struct Counts {
    checked: std::sync::atomic::AtomicUsize,
    parsed: std::sync::atomic::AtomicUsize,
    bytes: std::sync::atomic::AtomicUsize,
}

impl Counts {
    fn add(&self, o: &FileOutcome) {
        use std::sync::atomic::Ordering::Relaxed;
        self.checked.fetch_add(1, Relaxed);
        self.parsed.fetch_add(usize::from(o.parsed), Relaxed);
        self.bytes.fetch_add(o.bytes, Relaxed);
    }
}

/// Runs `produce` for each item of `source` on the threads of the current pool, taking items in
/// order, and hands each result to `consume` in that order as soon as every earlier one is
/// handed on. Workers take the next item only when they are free, so what waits for an earlier
/// result is at most a few items, and what is read of `source` is what is being worked on,
/// however long it is.
fn ordered<I, T: Send>(
    source: &mut (dyn Iterator<Item = I> + Send),
    produce: impl Fn(I, &mut Worker) -> T + Sync,
    consume: impl FnMut(T) + Send,
) {
    let source = std::sync::Mutex::new((0usize, source));
    let state = std::sync::Mutex::new((0, std::collections::BTreeMap::new(), consume));
    let threads = rayon::current_num_threads().max(1);
    rayon::scope(|s| {
        for _ in 0..threads {
            s.spawn(|_| {
                let mut worker = Worker::new();
                loop {
                    let next = {
                        let mut guard = source.lock().unwrap_or_else(|e| e.into_inner());
                        let (count, items) = &mut *guard;
                        items.next().map(|item| {
                            *count += 1;
                            (*count - 1, item)
                        })
                    };
                    let Some((i, item)) = next else {
                        break;
                    };
                    let item = produce(item, &mut worker);
                    give_back_memory(i);
                    // A panic while consuming is re-raised by the scope; the data is still
                    // whole for the other workers.
                    let mut guard = state.lock().unwrap_or_else(|e| e.into_inner());
                    let (done, ready, consume) = &mut *guard;
                    ready.insert(i, item);
                    while let Some(item) = ready.remove(done) {
                        *done += 1;
                        consume(item);
                    }
                }
            });
        }
    });
}

/// Hands freed memory back to the system now and then (`MemoryHooks::release`). glibc keeps the
/// pages of freed trees while a small allocation that lives on sits above them, so without this
/// the resident size of a run grew with the number of files linted, though what was live did
/// not.
fn give_back_memory(files_done: usize) {
    if files_done % 64 == 63 {
        trim();
    }
}

/// What the program running the engine does to its allocator: `before_run` once at the start
/// of each run, `release` to hand freed memory back to the system after a large file's tree is
/// dropped and every 64 files. The library leaves the allocator alone; the `wsalint` binary
/// tunes glibc's here (see `main.rs`), and a program embedding the library may do the same.
#[derive(Clone, Copy, Debug)]
pub struct MemoryHooks {
    pub before_run: fn(),
    pub release: fn(),
}

static MEMORY_HOOKS: std::sync::OnceLock<MemoryHooks> = std::sync::OnceLock::new();

/// Sets the allocator hooks of every run in this process; the first call wins.
pub fn set_memory_hooks(hooks: MemoryHooks) {
    let _ = MEMORY_HOOKS.set(hooks);
}

fn map_large_blocks() {
    if let Some(hooks) = MEMORY_HOOKS.get() {
        (hooks.before_run)();
    }
}

fn trim() {
    if let Some(hooks) = MEMORY_HOOKS.get() {
        (hooks.release)();
    }
}

#[cfg(test)]
mod tests {
    use super::LargeFiles;
    use super::{max_jobs, StepBudget, Steps};
    use std::ops::ControlFlow;

    #[test]
    fn jobs_are_capped_at_the_cores() {
        let cores = std::thread::available_parallelism().map_or(1, |c| c.get());
        assert_eq!(max_jobs(100_000), cores);
        assert_eq!(max_jobs(1), 1);
    }

    /// The budget is a count of steps: the same file stops at the same step whatever the load.
    #[test]
    fn budgets_count_steps() {
        let budget = StepBudget {
            base: 3,
            per_mib: 2,
        };
        assert_eq!(budget.steps(1 << 20), 5);
        let steps = Steps::new(budget, 100);
        for _ in 0..3 {
            assert_eq!(steps.step(), ControlFlow::Continue(()));
        }
        assert!(!steps.spent());
        assert_eq!(steps.step(), ControlFlow::Break(()));
        assert!(steps.spent());
    }
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::mpsc;

    /// One large file at a time across threads; a thread that is already in goes on.
    #[test]
    fn large_files_are_parsed_one_at_a_time() {
        let gate = LargeFiles::default();
        let inside = AtomicBool::new(false);
        let (entered, first_in) = mpsc::channel();
        std::thread::scope(|s| {
            s.spawn(|| {
                let _outer = gate.enter();
                // The same thread meets a large file again while in one: no deadlock.
                let _inner = gate.enter();
                inside.store(true, Ordering::SeqCst);
                entered.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(100));
                inside.store(false, Ordering::SeqCst);
            });
            first_in.recv().unwrap();
            let _second = gate.enter();
            assert!(!inside.load(Ordering::SeqCst), "two large files at once");
        });
        // Everyone left: the next one gets in at once and holds the gate.
        let held = gate.enter();
        assert!(held.gate.is_some());
    }
}
