//! `path:line:col: severity: message [CODE]`, as gcc and clang print, for editors' quickfix lists.

use std::io::{self, Write};

use crate::engine::Report;
use crate::output::{OutputOptions, Printer};
use crate::source::sanitize_for_terminal;

pub struct Gcc;

impl Printer for Gcc {
    fn print(&self, report: &Report, _opts: &OutputOptions, out: &mut dyn Write) -> io::Result<()> {
        for f in report.visible() {
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
}
