//! Output formats, one module each, behind one trait. Rules never print; printers never decide.

pub mod gcc;
pub mod github;
pub mod human;
pub mod json;
pub mod msvc;
pub mod sarif;

use std::io::{self, Write};

use crate::engine::Report;

#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Human,
    Json,
    Sarif,
    Github,
    Gcc,
    Msvc,
}

/// What every printer may need besides the report.
#[derive(Clone, Debug, Default)]
pub struct OutputOptions {
    pub color: bool,
    /// Print no summary and no per-file warnings.
    pub quiet: bool,
    /// Print counts per rule.
    pub statistics: bool,
    /// Fixes applied in this run (for the summary).
    pub fixes_applied: usize,
    /// A path named on the command line could not be linted (exit code 2; SARIF's
    /// `executionSuccessful` is false).
    pub incomplete: bool,
}

pub trait Printer {
    fn print(&self, report: &Report, opts: &OutputOptions, out: &mut dyn Write) -> io::Result<()>;
}

pub fn printer(format: Format) -> Box<dyn Printer> {
    match format {
        Format::Human => Box::new(human::Human),
        Format::Json => Box::new(json::Json),
        Format::Sarif => Box::new(sarif::Sarif),
        Format::Github => Box::new(github::Github),
        Format::Gcc => Box::new(gcc::Gcc),
        Format::Msvc => Box::new(msvc::Msvc),
    }
}
