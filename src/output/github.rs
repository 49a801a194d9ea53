//! GitHub Actions workflow commands: one annotation per finding
//! (`::warning file=...,line=...,col=...,endLine=...,endColumn=...,title=...::message`) and one
//! per skipped file. Properties and messages are escaped as the Actions runner unescapes them,
//! so that no file name or message can end the command early or start another one.

use std::io::{self, Write};

use crate::diagnostic::{path_string, Applicability, Finding, Severity};
use crate::output::{self, OutputOptions, Printer, Tally};
use crate::walk::Warning;

pub struct Github;

impl Printer for Github {
    fn findings(
        &mut self,
        findings: &[Finding],
        _opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        for f in output::visible(findings) {
            let command = match f.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Note => "notice",
            };
            let mut text = f.message.clone();
            if let Some(fix) = &f.fix {
                let tag = match fix.applicability {
                    Applicability::Safe if !fix.edits.is_empty() => " (safe fix: --fix)",
                    Applicability::Unsafe if !fix.edits.is_empty() => {
                        " (unsafe fix: --unsafe-fixes)"
                    }
                    _ => "",
                };
                text.push_str(&format!("\nhelp: {}{tag}", fix.message));
            }
            writeln!(
                out,
                "::{command} file={},line={},col={},endLine={},endColumn={},title={}::{}",
                escape_property(&f.path_str()),
                f.location.start.line,
                f.location.start.column,
                f.location.end.line,
                f.location.end.column,
                escape_property(&format!("{} {}", f.code, f.name)),
                escape_data(&text)
            )?;
        }
        Ok(())
    }

    fn end(
        &mut self,
        _tally: &Tally,
        warnings: &[Warning],
        _opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        for w in warnings {
            let path = path_string(&w.path);
            writeln!(
                out,
                "::warning file={},title={}::{}",
                escape_property(&path),
                escape_property("wsalint skipped a file"),
                escape_data(&format!("{path}: {}", w.message))
            )?;
        }
        Ok(())
    }
}

/// A command's message: `%`, CR and LF are the characters the runner unescapes; other control
/// characters (an escape sequence for the log viewer) are replaced, as for a terminal.
pub fn escape_data(s: &str) -> String {
    let escaped = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    crate::source::sanitize_for_terminal(&escaped)
}

/// A property value: as data, plus `:` (ends the properties) and `,` (ends a property).
pub fn escape_property(s: &str) -> String {
    escape_data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_keeps_one_line() {
        assert_eq!(
            escape_data("50% done\r\n::error::x"),
            "50%25 done%0D%0A::error::x"
        );
    }

    #[test]
    fn properties_cannot_end_early() {
        assert_eq!(
            escape_property("a,b:c%d\ne"),
            "a%2Cb%3Ac%25d%0Ae".to_string()
        );
        // `%` first, so an escape in the input is not read back as one.
        assert_eq!(escape_property("%3A"), "%253A");
    }

    #[test]
    fn control_characters_are_replaced() {
        assert_eq!(escape_data("a\x1b]0;t\x07\u{202e}b\r\n"), "a?]0;t??b%0D%0A");
        assert_eq!(escape_property("x\x1b[31m.c"), "x?[31m.c");
    }
}
