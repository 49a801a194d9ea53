//! `path:line:col: severity: message [CODE]`, as gcc and clang print, for editors' quickfix lists.

use std::io::{self, Write};

use crate::diagnostic::Finding;
use crate::output::{self, OutputOptions, Printer};
use crate::source::sanitize_for_terminal;

pub struct Gcc;

impl Printer for Gcc {
    fn findings(
        &mut self,
        findings: &[Finding],
        _opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        for f in output::visible(findings) {
            writeln!(
                out,
                "{}:{}:{}: {}: {} [{}]",
                output::line_start_path(&f.path_str(), "/"),
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
