//! What each subcommand does. Returns the process exit code: 0 no finding at or above the
//! threshold, 1 findings, 2 usage, config or I/O error.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use codespan_reporting::diagnostic::{Diagnostic, Label};
use codespan_reporting::files::SimpleFile;
use codespan_reporting::term::{self, termcolor};

use crate::cli::{CheckArgs, Cli, ColorChoice, Command, Threshold};
use crate::config::{Config, ConfigError};
use crate::diagnostic::Severity;
use crate::engine::Engine;
use crate::output::{self, Format, OutputOptions};
use crate::registry;
use crate::source::sanitize_for_terminal;
use crate::walk::{self, WalkOptions};

pub const EXIT_OK: i32 = 0;
pub const EXIT_FINDINGS: i32 = 1;
pub const EXIT_ERROR: i32 = 2;

pub fn main(cli: Cli) -> i32 {
    match cli.command {
        Some(Command::Check(args)) => check(args),
        Some(Command::Rules) => rules(),
        Some(Command::Explain { code }) => explain(&code),
        None => check(cli.check),
    }
}

fn rules() -> i32 {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "code    name                             severity fix        source"
    );
    for rule in registry::RULES {
        let m = rule.meta();
        let _ = writeln!(
            out,
            "{:<7} {:<32} {:<8} {:<10} {}",
            m.code,
            m.name,
            m.severity.as_str(),
            m.fix.as_str(),
            if m.source.is_empty() { "-" } else { m.source }
        );
    }
    EXIT_OK
}

fn explain(code: &str) -> i32 {
    let Some(rule) = registry::find(code) else {
        eprintln!(
            "error: unknown rule `{}` (see `wsalint rules`)",
            sanitize_for_terminal(code)
        );
        return EXIT_ERROR;
    };
    println!("{}", rule.meta().explain());
    EXIT_OK
}

/// Loads the config: `--config`, else the nearest one upwards, else defaults.
pub fn load_config(explicit: Option<&PathBuf>) -> Result<Config, ConfigError> {
    let path = match explicit {
        Some(p) => Some(p.clone()),
        None => std::env::current_dir()
            .ok()
            .and_then(|d| Config::discover(&d)),
    };
    match path {
        Some(p) => Config::load(&p),
        None => Ok(Config::default()),
    }
}

/// Prints a config error with its snippet, like any diagnostic.
pub fn print_config_error(e: &ConfigError, color: bool) {
    let name = sanitize_for_terminal(&e.path.display().to_string());
    let mut stderr = std::io::stderr().lock();
    if let (Some(span), false) = (&e.span, e.text.is_empty()) {
        let file = SimpleFile::new(name.clone(), e.text.clone());
        let diag = Diagnostic::error()
            .with_message(format!("invalid config: {}", e.message))
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
            let _ = stderr.write_all(&buf);
        }
    }
    let _ = writeln!(
        stderr,
        "error: {}:{}:{}: {}",
        name, e.line, e.column, e.message
    );
}

fn use_color(choice: ColorChoice, to_terminal: bool) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            to_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    }
}

fn check(args: CheckArgs) -> i32 {
    let stderr_color = use_color(args.color, std::io::stderr().is_terminal());
    let mut config = match load_config(args.config.as_ref()) {
        Ok(c) => c,
        Err(e) => {
            print_config_error(&e, stderr_color);
            return EXIT_ERROR;
        }
    };
    if !args.select.is_empty() {
        config.select = args.select.clone();
    }
    config.ignore.extend(args.ignore.iter().cloned());
    config.exclude.extend(args.exclude.iter().cloned());
    if let Some(n) = args.max_file_size {
        config.max_file_size = n;
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let walked = match walk::discover(
        &paths,
        &WalkOptions {
            no_ignore: args.no_ignore,
            exclude: config.exclude.clone(),
        },
    ) {
        Ok(w) => w,
        Err(e) => {
            eprintln!("error: {}", sanitize_for_terminal(&e));
            return EXIT_ERROR;
        }
    };
    let engine = match Engine::new(config, Vec::new()) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("error: {}", sanitize_for_terminal(&e.to_string()));
            return EXIT_ERROR;
        }
    };
    let mut report = engine.run(&walked.files, args.jobs);
    let mut warnings = walked.warnings;
    warnings.append(&mut report.warnings);
    report.warnings = warnings;
    for w in &mut report.warnings {
        w.path = engine.display_path(&w.path);
    }

    let format = args.format.unwrap_or(Format::Human);
    let to_terminal = args.output.is_none() && std::io::stdout().is_terminal();
    let opts = OutputOptions {
        color: format == Format::Human && use_color(args.color, to_terminal),
        quiet: args.quiet,
        statistics: args.statistics,
        fixes_applied: 0,
        incomplete: walked.missing,
    };
    if !args.quiet {
        let mut err = std::io::stderr().lock();
        for w in &report.warnings {
            let _ = writeln!(
                err,
                "warning: {}: {}",
                sanitize_for_terminal(&crate::diagnostic::path_string(
                    &engine.display_path(&w.path)
                )),
                sanitize_for_terminal(&w.message)
            );
        }
    }
    let printer = output::printer(format);
    let written = match &args.output {
        Some(path) => {
            let mut buf = Vec::new();
            printer
                .print(&report, &opts, &mut buf)
                .and_then(|_| std::fs::write(path, &buf))
        }
        None => {
            let mut out = std::io::stdout().lock();
            printer
                .print(&report, &opts, &mut out)
                .and_then(|_| out.flush())
        }
    };
    if let Err(e) = written {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("error: cannot write the report: {e}");
            return EXIT_ERROR;
        }
    }
    if walked.missing {
        return EXIT_ERROR;
    }
    let threshold = match args.severity_threshold.unwrap_or(Threshold::Note) {
        Threshold::Note => Severity::Note,
        Threshold::Warning => Severity::Warning,
        Threshold::Error => Severity::Error,
    };
    if !args.exit_zero && report.visible().any(|f| f.severity >= threshold) {
        EXIT_FINDINGS
    } else {
        EXIT_OK
    }
}
