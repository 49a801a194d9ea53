//! The command line: every subcommand and flag in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::output::Format;

#[derive(Parser, Debug)]
#[command(
    name = "wsalint",
    // The package version, and the commit when built from a git work tree (build.rs).
    version = env!("WSALINT_VERSION"),
    about = "Finds Windows Sockets (Winsock) misuse in C and C++ code",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub check: CheckArgs,
}

// Parsed once per run: the size of `CheckArgs` does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Lint files and directories (the default command)
    Check(CheckArgs),
    /// Print every rule (built-in, LINT001/LINT002 and the config's custom rules): code, name,
    /// severity, fix kind, source
    Rules {
        /// Output format
        #[arg(long, value_enum, default_value = "text")]
        format: RulesFormat,
        /// Config file whose custom rules are listed (default: the nearest one upwards)
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Print a rule's full documentation
    Explain {
        /// The rule's code or name, e.g. WSA101 or socket-leak
        code: String,
        /// Config file whose custom rules are known (default: the nearest one upwards)
        #[arg(long, value_name = "FILE")]
        config: Option<PathBuf>,
    },
    /// Run the language server over stdio (for editors)
    Server,
    /// Print the shell completion script for SHELL (bash, zsh, fish, elvish, powershell)
    Completions {
        /// The shell, e.g. bash
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff): `wsalint man > wsalint.1`, or `wsalint man | man -l -`
    Man,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    #[default]
    Text,
    Json,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    #[default]
    Auto,
    Always,
    Never,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Threshold {
    Note,
    Warning,
    Error,
}

#[derive(Args, Clone, Debug, Default)]
pub struct CheckArgs {
    /// Files and directories to lint (default: the current directory)
    pub paths: Vec<PathBuf>,
    /// Output format
    #[arg(long, value_enum)]
    pub format: Option<Format>,
    /// Write the report to FILE instead of standard output
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Rule codes or prefixes to run (comma list; replaces the config's `select`)
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub select: Vec<String>,
    /// Rule codes or prefixes to skip (comma list; added to the config's `ignore`)
    #[arg(long, value_delimiter = ',', value_name = "CODES")]
    pub ignore: Vec<String>,
    /// The lowest severity that makes the exit code 1
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub severity_threshold: Option<Threshold>,
    /// Config file for every file (default: for each file, the nearest wsalint.toml or
    /// .wsalint.toml above it)
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Print which config applies to FILE and what it makes of it (exclusion, the rules that
    /// run, their severity), then exit
    #[arg(long, value_name = "FILE")]
    pub show_settings: Option<PathBuf>,
    /// Paths to skip (glob; repeatable; added to the config's `exclude`)
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Do not respect .gitignore and .ignore files
    #[arg(long)]
    pub no_ignore: bool,
    /// Files larger than this many bytes are skipped with a warning
    #[arg(long, value_name = "BYTES")]
    pub max_file_size: Option<u64>,
    /// Worker threads (default and most: one per core)
    #[arg(long, short = 'j', value_name = "N")]
    pub jobs: Option<usize>,
    /// Colors in human output (auto: on a terminal, unless NO_COLOR is set)
    #[arg(long, value_enum, default_value = "auto")]
    pub color: ColorChoice,
    /// Print findings only: no summary, no skipped-file warnings
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Exit 0 even when there are findings
    #[arg(long)]
    pub exit_zero: bool,
    /// Print the number of findings per rule
    #[arg(long)]
    pub statistics: bool,
    /// Report suppression comments that suppress nothing (LINT001) or name unknown codes
    /// (LINT002)
    #[arg(long)]
    pub report_unused_suppressions: bool,
    /// Hide the findings recorded in FILE (see --write-baseline)
    #[arg(long, value_name = "FILE")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in FILE and exit 0
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Lint standard input as if it were this file (pass `-` as the path)
    #[arg(long, value_name = "NAME")]
    pub stdin_filename: Option<PathBuf>,
    /// Apply safe fixes to the files
    #[arg(long)]
    pub fix: bool,
    /// Also apply unsafe fixes that have an edit (implies --fix unless --diff)
    #[arg(long)]
    pub unsafe_fixes: bool,
    /// Print the fixes as a unified diff and write nothing
    #[arg(long)]
    pub diff: bool,
    /// Add a `// wsalint-ignore CODE` comment on the line of each finding (with --diff: show
    /// them and write nothing)
    #[arg(long, conflicts_with_all = ["fix", "unsafe_fixes", "write_baseline"])]
    pub add_ignore: bool,
    /// Parse every file whole, even the functions that cannot hold a finding (slower; the
    /// findings are the same)
    #[arg(long)]
    pub full_parse: bool,
}
