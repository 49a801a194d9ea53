//! `path(line,col): warning CODE: message`, the shape Visual Studio's error list reads.
//!
//! MSBuild's canonical-error parser (its `CanonicalError` class) takes only the categories
//! `error` and `warning`: a line with any other word is dropped, so a note is printed as a
//! warning (its code still tells what it is; `wsalint rules` lists the severities).

use std::io::{self, Write};

use crate::diagnostic::{Finding, Severity};
use crate::output::{self, OutputOptions, Printer};
use crate::source::sanitize_for_terminal;

pub struct Msvc;

impl Printer for Msvc {
    fn findings(
        &mut self,
        findings: &[Finding],
        _opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        for f in output::visible(findings) {
            let category = match f.severity {
                Severity::Error => "error",
                Severity::Warning | Severity::Note => "warning",
            };
            writeln!(
                out,
                "{}({},{}): {} {}: {}",
                output::line_start_path(&f.path_str(), "/")
                    .replace('/', std::path::MAIN_SEPARATOR_STR),
                f.location.start.line,
                f.location.start.column,
                category,
                f.code,
                sanitize_for_terminal(&f.message)
            )?;
        }
        Ok(())
    }
}
