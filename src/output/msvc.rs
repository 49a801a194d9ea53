//! `path(line,col): warning CODE: message`, the shape Visual Studio's error list reads.

use std::io::{self, Write};

use crate::diagnostic::{Finding, Severity};
use crate::output::{OutputOptions, Printer, Tally};
use crate::source::sanitize_for_terminal;
use crate::walk::Warning;

pub struct Msvc;

impl Printer for Msvc {
    fn findings(
        &mut self,
        findings: &[Finding],
        _opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        for f in findings.iter().filter(|f| f.suppression.is_none()) {
            // Visual Studio knows error, warning and message (shown as info).
            let category = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "message",
            };
            writeln!(
                out,
                "{}({},{}): {} {}: {}",
                sanitize_for_terminal(&f.path_str()).replace('/', std::path::MAIN_SEPARATOR_STR),
                f.location.start.line,
                f.location.start.column,
                category,
                f.code,
                sanitize_for_terminal(&f.message)
            )?;
        }
        Ok(())
    }

    fn end(
        &mut self,
        _tally: &Tally,
        _warnings: &[Warning],
        _opts: &OutputOptions,
        _out: &mut dyn Write,
    ) -> io::Result<()> {
        Ok(())
    }
}
