//! `path:line:col: severity: message [CODE]`, as gcc and clang print, for editors' quickfix lists.

use std::io::{self, Write};

use crate::diagnostic::Finding;
use crate::output::{OutputOptions, Printer, Tally};
use crate::source::sanitize_for_terminal;
use crate::walk::Warning;

pub struct Gcc;

impl Printer for Gcc {
    fn findings(
        &mut self,
        findings: &[Finding],
        _opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        for f in findings.iter().filter(|f| f.suppression.is_none()) {
            writeln!(
                out,
                "{}:{}:{}: {}: {} [{}]",
                sanitize_for_terminal(&f.path_str()),
                f.location.start.line,
                f.location.start.column,
                f.severity.as_str(),
                sanitize_for_terminal(&f.message),
                f.code
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
