//! `--statistics`: the findings counted per rule instead of the findings, as ruff prints them -
//! a table (code, name, count, fixable) with a total, or the same rows as JSON.

use std::io::{self, Write};

use serde::Serialize;

use crate::diagnostic::Finding;
use crate::output::{OutputOptions, Printer, Tally};
use crate::source::sanitize_for_terminal;
use crate::walk::Warning;

pub struct Statistics {
    /// A JSON list rather than a table.
    pub json: bool,
}

/// One row: a rule's findings that are not suppressed, and how many of them `--fix` fixes.
#[derive(Serialize)]
struct Row<'a> {
    code: &'a str,
    name: &'a str,
    count: usize,
    fixable: usize,
}

impl Printer for Statistics {
    fn findings(
        &mut self,
        _findings: &[Finding],
        _opts: &OutputOptions,
        _out: &mut dyn Write,
    ) -> io::Result<()> {
        // Counted in the tally; the table comes at the end.
        Ok(())
    }

    fn end(
        &mut self,
        tally: &Tally,
        _warnings: &[Warning],
        _opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        // The most frequent rule first, as in ruff; then by code.
        let mut rows: Vec<Row> = tally
            .by_rule
            .iter()
            .map(|((code, name), n)| Row {
                code,
                name,
                count: n.count,
                fixable: n.fixable,
            })
            .collect();
        rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(b.code)));
        if self.json {
            let text = serde_json::to_string_pretty(&rows)?;
            return writeln!(out, "{text}");
        }
        let total: usize = rows.iter().map(|r| r.count).sum();
        let fixable: usize = rows.iter().map(|r| r.fixable).sum();
        let code_width = rows.iter().map(|r| r.code.len()).max().unwrap_or(0).max(5);
        let name_width = rows.iter().map(|r| r.name.len()).max().unwrap_or(0).max(4);
        let count_width = total.to_string().len().max(5);
        writeln!(
            out,
            "{:<code_width$}  {:<name_width$}  {:>count_width$}  fixable",
            "code", "name", "count"
        )?;
        for r in &rows {
            writeln!(
                out,
                "{:<code_width$}  {:<name_width$}  {:>count_width$}  {:>7}",
                sanitize_for_terminal(r.code),
                sanitize_for_terminal(r.name),
                r.count,
                r.fixable
            )?;
        }
        writeln!(
            out,
            "{:<code_width$}  {:<name_width$}  {total:>count_width$}  {fixable:>7}",
            "total", ""
        )
    }
}
