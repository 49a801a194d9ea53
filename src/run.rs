//! What each subcommand does. Returns the process exit code: 0 no finding at or above the
//! threshold, 1 findings, 2 usage, config or I/O error.

use std::collections::HashMap;
use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use clap::CommandFactory;
use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

use crate::baseline::Baseline;
use crate::cli::{CheckArgs, Cli, ColorChoice, Command, RulesFormat, Threshold};
use crate::config::{Config, ConfigError};
use crate::custom;
use crate::diagnostic::{path_string, Severity};
use crate::engine::{Engine, FileOutcome, Worker};
use crate::fix::{self, FixOptions, FixRun};
use crate::report::Report;

/// `--fix` applies fixes, lints again and applies what is new, at most this many times.
const MAX_FIX_ROUNDS: usize = 10;
use crate::output::{self, Format, OutputOptions, Tally};
use crate::registry;
use crate::rules::RuleMeta;
use crate::selector;
use crate::source::{sanitize_for_terminal, Source};
use crate::unused;
use crate::walk::{self, WalkOptions, Warning};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

pub fn main(cli: Cli) -> i32 {
    match cli.command {
        Some(Command::Check(args)) => check(args),
        Some(Command::Rules { format, config }) => rules(format, config.as_ref()),
        Some(Command::Explain { code, config }) => explain(&code, config.as_ref()),
        Some(Command::Server) => crate::server::run(crate::server::Options::default()),
        Some(Command::Completions { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "wsalint", &mut script);
            print_bytes(&script)
        }
        Some(Command::Man) => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => print_bytes(&page),
                Err(e) => {
                    eprintln!("error: cannot render the manual page: {e}");
                    EXIT_ERROR
                }
            }
        }
        None => check(cli.check),
    }
}

/// Writes generated text (a completion script, the manual page) to standard output; a closed
/// pipe ends it quietly. The text is built first: the generators panic on a write error.
fn print_bytes(bytes: &[u8]) -> i32 {
    let mut out = std::io::stdout().lock();
    match report_written(out.write_all(bytes).and_then(|_| out.flush())) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

/// Every rule the config knows: built-in, LINT001/LINT002 and the config's custom rules. A config
/// or custom rule that cannot be loaded is printed as an error.
fn known_rules(config: Option<&PathBuf>) -> Result<Vec<&'static RuleMeta>, i32> {
    let color = use_color(ColorChoice::Auto, std::io::stderr().is_terminal());
    let config = load_config(config).map_err(|e| {
        print_config_error(&e, color);
        EXIT_ERROR
    })?;
    let custom = custom::load(&config).map_err(|e| {
        print_located_error("invalid custom rule", &e, color);
        EXIT_ERROR
    })?;
    Ok(selector::catalog(&custom))
}

/// One rule of `wsalint rules --format json`.
#[derive(serde::Serialize)]
struct RuleOut<'a> {
    code: &'a str,
    name: &'a str,
    severity: &'a str,
    fix: &'a str,
    source: &'a str,
    summary: &'a str,
    /// `builtin`, `suppression` (LINT001, LINT002) or `custom`.
    kind: &'a str,
}

fn rules(format: RulesFormat, config: Option<&PathBuf>) -> i32 {
    let rules = match known_rules(config) {
        Ok(r) => r,
        Err(code) => return code,
    };
    let kind = |m: &RuleMeta| {
        if registry::find(m.code).is_some() {
            "builtin"
        } else if unused::find(m.code).is_some() {
            "suppression"
        } else {
            "custom"
        }
    };
    let mut out = std::io::stdout().lock();
    let written = match format {
        RulesFormat::Json => {
            let list: Vec<RuleOut> = rules
                .iter()
                .map(|m| RuleOut {
                    code: m.code,
                    name: m.name,
                    severity: m.severity.as_str(),
                    fix: m.fix.as_str(),
                    source: m.source,
                    summary: m.summary,
                    kind: kind(m),
                })
                .collect();
            serde_json::to_string_pretty(&list)
                .map_err(std::io::Error::from)
                .and_then(|text| writeln!(out, "{text}"))
        }
        RulesFormat::Text => {
            let width = rules.iter().map(|m| m.code.len()).max().unwrap_or(0).max(7);
            let name_width = rules
                .iter()
                .map(|m| m.name.len())
                .max()
                .unwrap_or(0)
                .max(32);
            let mut text = format!(
                "{:<width$} {:<name_width$} severity fix        source\n",
                "code", "name"
            );
            for m in &rules {
                let source = match (m.source, kind(m)) {
                    ("", "custom") => "custom rule",
                    ("", _) => "-",
                    (s, _) => s,
                };
                text.push_str(&format!(
                    "{:<width$} {:<name_width$} {:<8} {:<10} {}\n",
                    m.code,
                    sanitize_for_terminal(m.name),
                    m.severity.as_str(),
                    m.fix.as_str(),
                    source
                ));
            }
            out.write_all(text.as_bytes())
        }
    };
    match report_written(written.and_then(|_| out.flush())) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

fn explain(code: &str, config: Option<&PathBuf>) -> i32 {
    // The built-in rules and the pseudo-rules need no config; a custom rule does.
    let builtin = selector::catalog(&[]);
    let found = match selector::find(code, &builtin) {
        Some(m) => Ok(Ok(m)),
        None => known_rules(config).map(|rules| selector::find(code, &rules).ok_or(rules)),
    };
    let meta = match found {
        Ok(Ok(m)) => m,
        Ok(Err(rules)) => {
            eprintln!(
                "error: {} (see `wsalint rules`)",
                selector::unknown(code, "a rule code or name", &rules)
            );
            return EXIT_ERROR;
        }
        Err(code) => return code,
    };
    let mut out = std::io::stdout().lock();
    let written = writeln!(out, "{}", meta.explain()).and_then(|_| out.flush());
    match report_written(written) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

/// Loads the config of the current directory (`rules`, `explain`): `--config`, else the
/// nearest one upwards, else defaults.
pub fn load_config(explicit: Option<&PathBuf>) -> Result<Config, ConfigError> {
    if let Some(p) = explicit {
        return Config::load(p);
    }
    let path = std::env::current_dir().ok().and_then(|d| {
        // Shown relative to the current directory, like every other path.
        crate::project::config_in(&d).map(|p| p.strip_prefix(&d).map(PathBuf::from).unwrap_or(p))
    });
    match path {
        // A discovered config is the checkout's own file: it stays inside its directory.
        Some(p) => Config::load_discovered(&p),
        None => Ok(Config::default()),
    }
}

/// Prints a config error with its snippet, like any diagnostic.
pub fn print_config_error(e: &ConfigError, color: bool) {
    print_located_error("invalid config", e, color)
}

/// Prints an error placed in a file (config or custom rule) with its snippet.
pub fn print_located_error(title: &str, e: &ConfigError, color: bool) {
    let name = sanitize_for_terminal(&e.path.display().to_string());
    let mut stderr = std::io::stderr().lock();
    if let (Some(span), false) = (&e.span, e.text.is_empty()) {
        let file = SimpleFile::new(name.clone(), e.text.clone());
        let diag = Diagnostic::error()
            .with_message(format!("{title}: {}", e.message))
            .with_labels(vec![Label::primary((), span.clone())]);
        let mut buf = Vec::new();
        let ok = if color {
            term::emit_to_write_style(
                &mut termcolor::Ansi::new(&mut buf),
                &term::Config::default(),
                &file,
                &diag,
            )
        } else {
            term::emit_to_write_style(
                &mut termcolor::NoColor::new(&mut buf),
                &term::Config::default(),
                &file,
                &diag,
            )
        };
        if ok.is_ok() {
            // The snippet's header names the file, line and column: said once.
            let _ = stderr.write_all(&buf);
            return;
        }
    }
    let _ = if e.line == 0 {
        // The file itself is the problem (it cannot be read): no position to give.
        writeln!(stderr, "error: {}", sanitize_for_terminal(&e.message))
    } else {
        writeln!(
            stderr,
            "error: {title}: {}:{}:{}: {}",
            name,
            e.line,
            e.column,
            sanitize_for_terminal(&e.message)
        )
    };
}

/// `--color auto` follows the environment as other tools do: `NO_COLOR` (not empty) turns colors
/// off, then `FORCE_COLOR` or `CLICOLOR_FORCE` (not empty, not `0`) turn them on when the output
/// is not a terminal (a CI log); otherwise colors go to a terminal only.
fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    let set = |name: &str| std::env::var_os(name).is_some_and(|v| !v.is_empty());
    let forced = |name: &str| set(name) && std::env::var_os(name).is_some_and(|v| v != "0");
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto if set("NO_COLOR") => false,
        ColorChoice::Auto => to_terminal || forced("FORCE_COLOR") || forced("CLICOLOR_FORCE"),
    }
}

/// Standard input is linted when the only path is `-`, or when `--stdin-filename` is given
/// without paths. Returns the name it is linted as.
fn stdin_name(args: &CheckArgs) -> Result<Option<PathBuf>, String> {
    let dash = args.paths.iter().any(|p| p.as_os_str() == "-");
    if dash && args.paths.len() > 1 {
        return Err("`-` (standard input) must be the only path".into());
    }
    if (dash || args.stdin_filename.is_some())
        && (args.fix || args.unsafe_fixes || args.diff || args.add_ignore)
    {
        return Err(
            "`--fix`, `--diff` and `--add-ignore` write files: they do not apply to standard input"
                .into(),
        );
    }
    match (&args.stdin_filename, dash || args.paths.is_empty()) {
        (Some(name), true) => Ok(Some(name.clone())),
        (Some(_), false) => {
            Err("`--stdin-filename` names standard input: pass `-` as the only path".into())
        }
        (None, _) if dash => Ok(Some(PathBuf::from("<stdin>"))),
        (None, _) => Ok(None),
    }
}

/// Lints standard input as the file `name`: decoded like a file, shown as `name`. The config's
/// `exclude` globs (relative to its directory) and `--exclude` apply to the name as they do to a
/// file named on the command line.
fn lint_stdin(engine: &Engine, name: &Path, cli_exclude: &[String]) -> Report {
    let shown = engine.display_path(name);
    let excluded_here =
        walk::exclude_set(cli_exclude).is_ok_and(|set| walk::is_excluded(&set, &shown));
    if excluded_here || engine.config_excludes(&shown) {
        return Report::default();
    }
    let max = engine.config.max_file_size;
    let mut raw = Vec::new();
    let read = std::io::stdin()
        .lock()
        .take(max.saturating_add(1))
        .read_to_end(&mut raw);
    let skip = |message: String| FileOutcome {
        path: shown.clone(),
        warning: Some(Warning {
            path: shown.clone(),
            message,
        }),
        ..FileOutcome::default()
    };
    let outcome = if let Err(e) = read {
        skip(format!(
            "skipped: cannot read standard input: {}",
            walk::describe_io(&e)
        ))
    } else if raw.len() as u64 > max {
        skip(format!(
            "skipped: over the size cap of {max} bytes (max_file_size)"
        ))
    } else {
        match Source::decode(&raw) {
            Ok(source) => engine.lint_source(&shown, Arc::new(source), &mut Worker::new()),
            Err(e) => skip(format!("skipped: {e}")),
        }
    };
    engine.finish(vec![outcome])
}

/// What one config file makes of a `check` run, with the command line's options on top: the
/// engine, and what the report needs of it.
struct Setup {
    engine: Engine,
    /// The codes of every rule that exists (built-in and the config's custom rules).
    known: Vec<&'static str>,
}

impl Setup {
    /// Builds the setup of the config file at `path` (`None`: the defaults). Errors are printed;
    /// the exit code is returned.
    fn build(args: &CheckArgs, path: Option<&Path>, color: bool) -> Result<Setup, i32> {
        let loaded = match path {
            // `--config` may name a file anywhere; a found one is the checkout's own.
            Some(p) if args.config.as_deref() == Some(p) => Config::load(p),
            Some(p) => Config::load_discovered(p),
            None => Ok(Config::default()),
        };
        let mut config = loaded.map_err(|e| {
            print_config_error(&e, color);
            EXIT_ERROR
        })?;
        let custom_rules = custom::load(&config).map_err(|e| {
            let title = if e.path.extension().is_some_and(|x| x == "toml") {
                "invalid config"
            } else {
                "invalid custom rule"
            };
            print_located_error(title, &e, color);
            EXIT_ERROR
        })?;
        // Every selector names a rule that exists: a typo is an error, not a run that checks
        // nothing.
        let catalog = selector::catalog(&custom_rules);
        config.resolve_rules(&catalog).map_err(|e| {
            print_config_error(&e, color);
            EXIT_ERROR
        })?;
        let resolve = |flag: &str, list: &[String]| -> Result<Vec<String>, i32> {
            list.iter()
                .map(|s| {
                    selector::resolve(s, &catalog).map_err(|e| {
                        eprintln!("error: `{flag}`: {e}");
                        EXIT_ERROR
                    })
                })
                .collect()
        };
        let select = resolve("--select", &args.select)?;
        let ignore = resolve("--ignore", &args.ignore)?;
        if !select.is_empty() {
            // As in ruff, a `--select` starts a new selection: the config's `select` and
            // `ignore` no longer apply, only `--ignore`.
            config.select = select;
            config.ignore.clear();
        }
        config.ignore.extend(ignore);
        if let Some(n) = args.max_file_size {
            config.max_file_size = n;
        }
        config.report_unused_suppressions |= args.report_unused_suppressions;
        let known = registry::RULES
            .iter()
            .chain(custom_rules.iter())
            .map(|r| r.meta().code)
            .collect();
        let mut engine = Engine::new(config, custom_rules).map_err(|e| {
            eprintln!("error: {}", sanitize_for_terminal(&e.to_string()));
            EXIT_ERROR
        })?;
        engine.partial &= !args.full_parse;
        if engine.rules.is_empty() && !args.quiet {
            let whose = match path {
                Some(p) => format!(" of `{}`", sanitize_for_terminal(&path_string(p))),
                None => String::new(),
            };
            eprintln!(
                "warning: the selection{whose} holds no rule: nothing is checked (see \
                 `--select`, `--ignore` and the config's `select` and `ignore`)"
            );
        }
        Ok(Setup { engine, known })
    }
}

/// The config file of each file of a run (`--config`, else the nearest one above the file, as
/// ruff and clang-tidy find theirs), and the setup of each config file met, built when its
/// first file is.
struct Setups {
    args: CheckArgs,
    color: bool,
    /// The current directory, resolved: config paths are shown relative to it.
    cwd: PathBuf,
    /// The config file of each directory (as the walk names it) met so far.
    by_dir: Mutex<HashMap<PathBuf, Option<PathBuf>>>,
    /// Each config's setup; `None` when it could not be built (said once).
    built: Mutex<HashMap<Option<PathBuf>, Option<Arc<Setup>>>>,
    /// What the walk does, for the project-wide phase's `Scope`.
    scope: crate::project::Scope,
}

impl Setups {
    fn new(args: CheckArgs, color: bool, scope: crate::project::Scope) -> Setups {
        let cwd = std::env::current_dir().unwrap_or_default();
        Setups {
            args,
            color,
            cwd: std::fs::canonicalize(&cwd).unwrap_or(cwd),
            by_dir: Mutex::default(),
            built: Mutex::default(),
            scope,
        }
    }

    /// The config file of the file at `path` (as a path is shown: relative to the current
    /// directory when below it); `None` for the defaults.
    fn config_of(&self, path: &Path) -> Option<PathBuf> {
        if let Some(explicit) = &self.args.config {
            return Some(explicit.clone());
        }
        let parent = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let mut by_dir = lock(&self.by_dir);
        // Directories come in path order: a bounded cache keeps the run's memory flat.
        if by_dir.len() > 4096 {
            by_dir.clear();
        }
        by_dir
            .entry(parent)
            .or_insert_with(|| {
                // A name whose directory does not exist (`--stdin-filename`) is placed where it
                // says.
                let dir = crate::project::dir_of(path).unwrap_or_else(|| {
                    let parent = path.parent().unwrap_or(Path::new(""));
                    crate::project::normalize(&self.cwd.join(parent))
                });
                crate::project::config_in(&dir)
                    .map(|p| p.strip_prefix(&self.cwd).map(PathBuf::from).unwrap_or(p))
            })
            .clone()
    }

    /// The config file that applies in the directory `dir`.
    fn config_in_dir(&self, dir: &Path) -> Option<PathBuf> {
        self.config_of(&dir.join("*"))
    }

    /// The setup of a config file; `None` when it cannot be built (the error is printed once).
    fn get(&self, config: &Option<PathBuf>) -> Option<Arc<Setup>> {
        let mut built = lock(&self.built);
        built
            .entry(config.clone())
            .or_insert_with(|| {
                let mut setup = Setup::build(&self.args, config.as_deref(), self.color).ok()?;
                setup.engine.scope = Some(self.scope.clone());
                Some(Arc::new(setup))
            })
            .clone()
    }

    /// Whether the config of the entry at `path` (a file or a directory, as the walk names it)
    /// excludes it: the walk skips it, and what is below it.
    fn excludes(&self, path: &Path) -> bool {
        self.get(&self.config_of(path))
            .is_some_and(|setup| setup.engine.config_excludes(path))
    }

    /// Whether a config could not be built: the run exits 2.
    fn failed(&self) -> bool {
        lock(&self.built).values().any(Option::is_none)
    }
}

/// Locks a mutex even if a thread panicked while holding it: the maps stay consistent between
/// statements.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The files of a walk whose config is `config`, as the walk finds them; the others are set
/// aside by config, for their own turn. A tree with one config streams whole.
struct Route<'a> {
    files: &'a mut walk::Walk,
    setups: &'a Setups,
    config: Option<PathBuf>,
    setup: Option<Arc<Setup>>,
    aside: &'a mut Aside,
}

/// Files set aside by config, the configs in the order met.
#[derive(Default)]
struct Aside(Vec<(Option<PathBuf>, Vec<PathBuf>)>);

impl Aside {
    fn push(&mut self, config: Option<PathBuf>, file: PathBuf) {
        match self.0.iter_mut().find(|(c, _)| *c == config) {
            Some((_, files)) => files.push(file),
            None => self.0.push((config, vec![file])),
        }
    }
}

impl Iterator for Route<'_> {
    type Item = PathBuf;

    fn next(&mut self) -> Option<PathBuf> {
        loop {
            let file = self.files.next()?;
            let config = self.setups.config_of(&file);
            if config != self.config {
                self.aside.push(config, file);
                continue;
            }
            match &self.setup {
                Some(setup) if !setup.engine.config_excludes(&file) => return Some(file),
                // Excluded by its config, or its config is broken (said already).
                _ => continue,
            }
        }
    }
}

/// `--show-settings FILE`: which config applies to the file and what it makes of it - whether
/// it is excluded, the rules that run in it with their severity, the size cap.
fn show_settings(setups: &Setups, file: &Path) -> i32 {
    let config = setups.config_of(file);
    let Some(setup) = setups.get(&config) else {
        return EXIT_ERROR;
    };
    let engine = &setup.engine;
    let shown = engine.display_path(file);
    let name = |p: &Path| sanitize_for_terminal(&path_string(p));
    let mut text = format!("file: {}\n", name(&shown));
    text.push_str(&match (&config, &setups.args.config) {
        (Some(p), Some(_)) => format!("config: {} (--config)\n", name(p)),
        (Some(p), None) => format!("config: {}\n", name(p)),
        (None, _) => "config: none (the defaults)\n".to_string(),
    });
    let cli_excluded =
        walk::exclude_set(&setups.args.exclude).is_ok_and(|set| walk::is_excluded(&set, &shown));
    text.push_str(if engine.config_excludes(&shown) {
        "excluded: yes (the config's `exclude`)\n"
    } else if cli_excluded {
        "excluded: yes (`--exclude`)\n"
    } else {
        "excluded: no\n"
    });
    let off = engine.per_file_ignored(&shown);
    if !off.is_empty() {
        text.push_str(&format!("per-file-ignores: {}\n", off.join(", ")));
    }
    text.push_str(&format!("max_file_size: {}\n", engine.config.max_file_size));
    let rules: Vec<&RuleMeta> = engine
        .rules
        .iter()
        .map(|r| r.meta())
        .filter(|m| !off.iter().any(|o| registry::matches(o, m.code)))
        .collect();
    let width = rules.iter().map(|m| m.name.len()).max().unwrap_or(0);
    text.push_str(&format!("rules: {}\n", rules.len()));
    for m in rules {
        let severity = engine
            .config
            .severity
            .get(m.code)
            .map_or(m.severity.as_str(), String::as_str);
        text.push_str(&format!(
            "  {:<8} {:<width$} {severity}\n",
            m.code,
            sanitize_for_terminal(m.name)
        ));
    }
    let mut out = std::io::stdout().lock();
    match report_written(out.write_all(text.as_bytes()).and_then(|_| out.flush())) {
        Ok(()) => EXIT_OK,
        Err(code) => code,
    }
}

fn check(args: CheckArgs) -> i32 {
    let stderr_color = use_color(args.color, std::io::stderr().is_terminal());
    let stdin = match stdin_name(&args) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    // `--exclude` globs apply to the paths as walked; each config's `exclude` to the paths
    // relative to its directory (`Engine::config_excludes`).
    let mut walk_options = WalkOptions {
        no_ignore: args.no_ignore,
        exclude: args.exclude.clone(),
        prune: None,
    };
    if let Err(e) = walk::exclude_set(&walk_options.exclude) {
        eprintln!("error: {}", sanitize_for_terminal(&e));
        return EXIT_ERROR;
    }
    // A project named in part (a pre-commit run names the staged files) is read whole for the
    // facts of the project-wide phase.
    // (That reading skips what each config excludes itself: `Engine::complete_projects`.)
    let setups = Arc::new(Setups::new(
        args.clone(),
        stderr_color,
        crate::project::Scope::new(&paths, walk_options.clone()),
    ));
    // The walk skips what each entry's config excludes, and what is below it.
    walk_options.prune = Some({
        let setups = setups.clone();
        Arc::new(move |path: &Path| setups.excludes(path))
    });
    if let Some(file) = &args.show_settings {
        return show_settings(&setups, file);
    }
    // The configs of the paths named are read first: an error in one stops the run before any
    // output. Configs further down are read when their first file is.
    let named: Vec<Option<PathBuf>> = match &stdin {
        Some(name) => vec![setups.config_of(name)],
        None => paths
            .iter()
            .map(|p| {
                if p.is_dir() {
                    setups.config_in_dir(p)
                } else {
                    setups.config_of(p)
                }
            })
            .collect(),
    };
    let mut first = None;
    for config in &named {
        match setups.get(config) {
            Some(setup) => {
                first.get_or_insert(setup);
            }
            None => return EXIT_ERROR,
        }
    }
    // Every setup shows paths the same way (relative to the current directory).
    let Some(shown) = first else {
        return EXIT_ERROR;
    };
    let display = &shown.engine;
    let baseline = match &args.baseline {
        Some(path) => match Baseline::load(path) {
            Ok(b) => Some(b),
            Err(e) => {
                eprintln!("error: {}", sanitize_for_terminal(&e));
                return EXIT_ERROR;
            }
        },
        None => None,
    };
    // The explicit paths are checked now; the files are found while they are linted, anew for
    // each analysis (`--fix` lints again after each round).
    let walk = || walk::Walk::new(&paths, &walk_options);
    let missing_paths = match &stdin {
        Some(_) => Vec::new(),
        None => match walk() {
            Ok(w) => w.missing_paths,
            Err(e) => {
                eprintln!("error: {}", sanitize_for_terminal(&e));
                return EXIT_ERROR;
            }
        },
    };
    let missing = !missing_paths.is_empty();
    let format = args.format.unwrap_or(Format::Human);
    if missing
        && paths.iter().all(|p| missing_paths.contains(p))
        && !matches!(format, Format::Json | Format::Sarif)
    {
        // Nothing to lint: the error is all there is to say (JSON and SARIF still write their
        // log, which records it).
        for w in walk().map(|w| w.warnings).unwrap_or_default() {
            print_path_error(display, &w);
        }
        return EXIT_ERROR;
    }
    let why = args
        .baseline
        .as_ref()
        .map(|p| format!("recorded in baseline `{}`", path_string(p)));
    // A count of the files read on a terminal's standard error, for a long run.
    let progress = crate::progress::Progress::for_check(args.quiet || stdin.is_some());
    // Findings the baseline hid, over every analysis of the run.
    let baseline_hid = std::sync::atomic::AtomicUsize::new(0);
    // One analysis: lint, and for each file as it is done, report suppressions that suppress
    // nothing, hide what the baseline records and hand the file to `emit`.
    let analyze = |emit: &mut (dyn FnMut(Report) + Send)| -> Report {
        let mut matcher = baseline
            .as_ref()
            .zip(args.baseline.as_ref())
            .map(|(b, path)| b.matcher(path));
        let mut each = |setup: &Setup, mut file: Report| {
            let config = &setup.engine.config;
            if config.report_unused_suppressions {
                // A rule `per-file-ignores` turns off in this file did not run in it.
                let off = file
                    .suppressions
                    .first()
                    .map(|s| setup.engine.per_file_ignored(&s.path))
                    .unwrap_or_default();
                let active: Vec<&str> = setup
                    .engine
                    .rules
                    .iter()
                    .map(|r| r.meta().code)
                    .filter(|code| !off.iter().any(|o| registry::matches(o, code)))
                    .collect();
                let rules = unused::RuleSet {
                    known: &setup.known,
                    active: &active,
                };
                let mut ignore = config.ignore.clone();
                ignore.extend(off.iter().map(|o| o.to_string()));
                unused::report(&mut file, &rules, &config.select, &ignore);
            }
            if let (Some(m), Some(why)) = (matcher.as_mut(), &why) {
                let hidden = m.apply(&mut file.findings, why);
                baseline_hid.fetch_add(hidden, std::sync::atomic::Ordering::Relaxed);
            }
            emit(file);
        };
        match &stdin {
            Some(name) => {
                let Some(setup) = setups.get(&setups.config_of(name)) else {
                    return Report::default();
                };
                let mut report = lint_stdin(&setup.engine, name, &args.exclude);
                each(
                    &setup,
                    Report {
                        findings: std::mem::take(&mut report.findings),
                        suppressions: std::mem::take(&mut report.suppressions),
                        ..Report::default()
                    },
                );
                report
            }
            None => {
                let Ok(mut files) = walk() else {
                    return Report::default();
                };
                let mut total = Report::default();
                let add = |report: Report, total: &mut Report| {
                    total.warnings.extend(report.warnings);
                    total.files_checked += report.files_checked;
                    total.files_parsed += report.files_parsed;
                    total.bytes += report.bytes;
                };
                // The files of the first config met stream as the walk finds them; those of
                // other configs (a nested `wsalint.toml`, a second project named) wait for
                // their config's turn.
                let mut aside = Aside::default();
                if let Some(file) = files.next() {
                    let config = setups.config_of(&file);
                    let setup = setups.get(&config);
                    let mut first = std::iter::once(file);
                    let mut route = Route {
                        files: &mut files,
                        setups: &setups,
                        config,
                        setup: setup.clone(),
                        aside: &mut aside,
                    };
                    if let Some(setup) = setup {
                        let first = first.filter(|f| !setup.engine.config_excludes(f));
                        let mut routed = first.chain(&mut route).inspect(|_| progress.file_read());
                        let report = setup
                            .engine
                            .stream(&mut routed, args.jobs, &mut |file| each(&setup, file));
                        add(report, &mut total);
                    } else {
                        first.by_ref().for_each(drop);
                        route.by_ref().for_each(drop);
                    }
                }
                for (config, list) in std::mem::take(&mut aside.0) {
                    let Some(setup) = setups.get(&config) else {
                        continue;
                    };
                    let mut list = list
                        .into_iter()
                        .filter(|f| !setup.engine.config_excludes(f))
                        .inspect(|_| progress.file_read());
                    let report = setup
                        .engine
                        .stream(&mut list, args.jobs, &mut |file| each(&setup, file));
                    add(report, &mut total);
                }
                files.warnings.append(&mut total.warnings);
                total.warnings = files.warnings;
                total
            }
        }
    };
    // The same, keeping every file: for what needs the whole run.
    let collect = || -> Report {
        let mut all = Report::default();
        let mut report = analyze(&mut |file| all.absorb(file));
        report.absorb(all);
        report.sort_by_path();
        report
    };
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let mut opts = OutputOptions {
        color: format == Format::Human && use_color(args.color, to_terminal),
        quiet: args.quiet,
        statistics: args.statistics,
        fixes_applied: 0,
        incomplete: missing,
    };
    let threshold = match args.severity_threshold.unwrap_or(Threshold::Note) {
        Threshold::Note => Severity::Note,
        Threshold::Warning => Severity::Warning,
        Threshold::Error => Severity::Error,
    };
    let exit = |tally: &Tally| {
        // A config met under a named directory could not be read (the error is printed).
        if missing || setups.failed() {
            EXIT_ERROR
        } else if !args.exit_zero && tally.any_at_least(threshold) {
            EXIT_FINDINGS
        } else {
            EXIT_OK
        }
    };
    // A baseline that hides nothing while findings show was most likely written for other
    // paths (or is stale): say so rather than let every old finding come back unexplained.
    let warn_unmatched_baseline = |tally: &Tally| {
        let (Some(b), Some(path)) = (&baseline, &args.baseline) else {
            return;
        };
        let hid = baseline_hid.load(std::sync::atomic::Ordering::Relaxed);
        if !args.quiet && !b.findings.is_empty() && hid == 0 && tally.findings() > 0 {
            eprintln!(
                "warning: none of the {} entries of baseline `{}` matches a finding (its paths are \
                 relative to its directory; a version 1 baseline's to where it was written)",
                b.findings.len(),
                sanitize_for_terminal(&path_string(path))
            );
        }
    };
    let mut out = match open_output(args.output.as_ref()) {
        Ok(out) => out,
        Err(e) => {
            eprintln!("error: {e}");
            return EXIT_ERROR;
        }
    };

    if !(args.fix
        || args.unsafe_fixes
        || args.diff
        || args.add_ignore
        || args.write_baseline.is_some())
    {
        // The usual run: each file is printed as soon as it is done.
        let mut printer = output::printer_for(format, &opts);
        let mut tally = Tally::default();
        let mut written = printer.begin(&opts, &mut out);
        let mut report = analyze(&mut |file| {
            tally.add(&file.findings);
            if written.is_ok() {
                written = progress.suspend(|| {
                    printer
                        .findings(&file.findings, &opts, &mut out)
                        .and_then(|_| out.flush())
                });
            }
        });
        progress.finish();
        tally.files_checked = report.files_checked;
        tally.files_parsed = report.files_parsed;
        print_warnings(display, &mut report.warnings, &missing_paths, args.quiet);
        warn_unmatched_baseline(&tally);
        if stdin.is_none() && report.files_checked == 0 && report.warnings.is_empty() && !args.quiet
        {
            let shown: Vec<String> = paths
                .iter()
                .map(|p| format!("`{}`", sanitize_for_terminal(&path_string(p))))
                .collect();
            eprintln!(
                "warning: no C or C++ file found in {} (excluded and git-ignored files do not count)",
                shown.join(", ")
            );
        }
        if written.is_ok() {
            written = printer
                .end(&tally, &report.warnings, &opts, &mut out)
                .and_then(|_| out.flush());
        }
        return match report_written(written) {
            Ok(()) => exit(&tally),
            Err(code) => code,
        };
    }

    let mut report = collect();
    progress.finish();
    if args.add_ignore {
        let done = fix::add_ignores(&report, !args.diff);
        print_warnings(display, &mut report.warnings, &missing_paths, args.quiet);
        if args.diff {
            return print_diff(&args, &done);
        }
        if !args.quiet {
            for w in &done.warnings {
                eprintln!(
                    "warning: {}: {}",
                    sanitize_for_terminal(&path_string(&w.path)),
                    sanitize_for_terminal(&w.message)
                );
            }
            let (n, files) = (done.applied, done.files);
            eprintln!(
                "Added {n} suppression {} to {files} {}.",
                if n == 1 { "comment" } else { "comments" },
                if files == 1 { "file" } else { "files" }
            );
        }
        return if missing || setups.failed() || !done.warnings.is_empty() {
            EXIT_ERROR
        } else {
            EXIT_OK
        };
    }
    if args.fix || args.unsafe_fixes || args.diff {
        let fix_opts = FixOptions {
            unsafe_fixes: args.unsafe_fixes,
            write: !args.diff,
        };
        let mut done = fix::run(&report, fix_opts);
        if args.diff {
            return print_diff(&args, &done);
        }
        opts.fixes_applied = done.applied;
        let mut warnings = std::mem::take(&mut done.warnings);
        // A fix can uncover a finding that the code around it hid (a syntax error the fix
        // removed): fix again until nothing changes, as a second `--fix` would.
        let mut rounds = 1;
        while done.files > 0 {
            // What remains is what a fresh run of the fixed files finds.
            report = collect();
            if rounds == MAX_FIX_ROUNDS {
                break;
            }
            rounds += 1;
            done = fix::run(&report, fix_opts);
            opts.fixes_applied += done.applied;
            // A fix rolled back in one round is rolled back again in the next: said once.
            for w in std::mem::take(&mut done.warnings) {
                if !warnings
                    .iter()
                    .any(|o| o.path == w.path && o.message == w.message)
                {
                    warnings.push(w);
                }
            }
        }
        report.warnings.extend(warnings);
    }
    if let Some(path) = &args.write_baseline {
        let b = Baseline::from_findings(&report.findings, path);
        if let Err(e) = std::fs::write(path, b.to_json()) {
            eprintln!(
                "error: cannot write baseline `{}`: {}",
                sanitize_for_terminal(&path.display().to_string()),
                walk::describe_io(&e)
            );
            return EXIT_ERROR;
        }
        if !args.quiet {
            eprintln!(
                "wrote {} finding{} to baseline `{}`",
                b.findings.len(),
                if b.findings.len() == 1 { "" } else { "s" },
                sanitize_for_terminal(&path.display().to_string())
            );
        }
        return if missing || setups.failed() {
            EXIT_ERROR
        } else {
            EXIT_OK
        };
    }
    print_warnings(display, &mut report.warnings, &missing_paths, args.quiet);
    let mut tally = Tally::default();
    tally.add(&report.findings);
    warn_unmatched_baseline(&tally);
    let written = output::print(format, &report, &opts, &mut out).and_then(|_| out.flush());
    match report_written(written) {
        Ok(()) => exit(&tally),
        Err(code) => code,
    }
}

/// Standard output, or the file `--output` names (created before the run, so that a path that
/// cannot be written stops it before any work).
fn open_output(path: Option<&PathBuf>) -> Result<Box<dyn Write + Send>, String> {
    match path {
        Some(path) => std::fs::File::create(path)
            .map(|f| Box::new(std::io::BufWriter::new(f)) as Box<dyn Write + Send>)
            .map_err(|e| {
                format!(
                    "cannot write the report to `{}`: {}",
                    sanitize_for_terminal(&path.display().to_string()),
                    walk::describe_io(&e)
                )
            }),
        None => Ok(Box::new(std::io::BufWriter::new(std::io::stdout()))),
    }
}

/// A write error other than a closed pipe is an error of the run.
fn report_written(written: std::io::Result<()>) -> Result<(), i32> {
    match written {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            eprintln!("error: cannot write the report: {e}");
            Err(EXIT_ERROR)
        }
        _ => Ok(()),
    }
}

/// The files that could not be linted, on standard error, shown as paths are shown. A path named
/// on the command line that does not exist is an error (it makes the exit code 2), said even
/// under `--quiet`.
fn print_warnings(engine: &Engine, warnings: &mut [Warning], missing: &[PathBuf], quiet: bool) {
    let is_missing: Vec<bool> = warnings.iter().map(|w| missing.contains(&w.path)).collect();
    for (w, &m) in warnings.iter_mut().zip(&is_missing) {
        if m {
            print_path_error(engine, w);
        }
        w.path = engine.display_path(&w.path);
    }
    if quiet {
        return;
    }
    let mut err = std::io::stderr().lock();
    for (w, _) in warnings.iter().zip(&is_missing).filter(|(_, &m)| !m) {
        let _ = writeln!(
            err,
            "warning: {}: {}",
            sanitize_for_terminal(&path_string(&w.path)),
            sanitize_for_terminal(&w.message)
        );
    }
}

/// `error: PATH: why`, for a path named on the command line that cannot be linted.
fn print_path_error(engine: &Engine, w: &Warning) {
    eprintln!(
        "error: {}: {}",
        sanitize_for_terminal(&path_string(&engine.display_path(&w.path))),
        sanitize_for_terminal(&w.message)
    );
}

/// `--diff`: the diff on standard output (or `--output`), warnings and a summary on standard
/// error; nothing is written. Exit 1 when some fix would apply.
fn print_diff(args: &CheckArgs, done: &FixRun) -> i32 {
    let written = match &args.output {
        Some(path) => std::fs::write(path, &done.diff),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(done.diff.as_bytes())
                .and_then(|_| out.flush())
        }
    };
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the diff: {e}");
            return EXIT_ERROR;
        }
    }
    if !args.quiet {
        let mut err = std::io::stderr().lock();
        for w in &done.warnings {
            let _ = writeln!(
                err,
                "warning: {}: {}",
                sanitize_for_terminal(&crate::diagnostic::path_string(&w.path)),
                sanitize_for_terminal(&w.message)
            );
        }
        let (fixes, files) = (done.applied, done.files);
        let _ = writeln!(
            err,
            "Would apply {fixes} {} to {files} {}.",
            if fixes == 1 { "fix" } else { "fixes" },
            if files == 1 { "file" } else { "files" }
        );
    }
    if done.applied > 0 && !args.exit_zero {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
