//! SARIF 2.1.0 for code scanning: every rule's metadata in `tool.driver`, results with regions,
//! related locations, fixes and fingerprints, URIs relative to `%SRCROOT%` (the current
//! directory), suppressed findings with their `suppressions`, and one notification per skipped
//! file. Built from serde-sarif's types, which are generated from the OASIS schema.

use std::collections::BTreeMap;
use std::io::{self, Seek, Write};
use std::path::{Path, PathBuf};

use serde_sarif::sarif;

use crate::diagnostic::{path_string, Applicability, Finding, Severity, SuppressionKind};
use crate::output::{OutputOptions, Printer, Tally};
use crate::registry;
use crate::rules::RuleMeta;
use crate::source::Position;
use crate::walk::Warning;

/// Writes the results to a temporary file as the files are done, and the log around them at
/// the end.
#[derive(Default)]
pub struct Sarif {
    rules: Vec<sarif::ReportingDescriptor>,
    index: BTreeMap<String, usize>,
    spill: Option<io::BufWriter<std::fs::File>>,
    results: usize,
}

/// The base every relative URI is resolved against: the directory wsalint ran in.
pub const SRCROOT: &str = "%SRCROOT%";
/// The key of wsalint's own fingerprint in `partialFingerprints`.
pub const FINGERPRINT_KEY: &str = "wsalint/v1";
const SCHEMA: &str = "https://json.schemastore.org/sarif-2.1.0.json";

/// The text that stands for the results while the rest of the log is serialized.
const RESULTS_SLOT: &str = "\"results\": []";

impl Printer for Sarif {
    fn begin(&mut self, _opts: &OutputOptions, _out: &mut dyn Write) -> io::Result<()> {
        for rule in registry::RULES {
            self.descriptor_index(&rule.meta().code.to_string(), || descriptor(rule.meta()));
        }
        // Results go to a temporary file as the files are done: the log around them needs the
        // whole run (rules of custom codes, notifications), the results do not.
        self.spill = Some(io::BufWriter::new(tempfile::tempfile()?));
        Ok(())
    }

    fn findings(
        &mut self,
        findings: &[Finding],
        _opts: &OutputOptions,
        _out: &mut dyn Write,
    ) -> io::Result<()> {
        for f in findings {
            let index = self.descriptor_index(&f.code, || other_descriptor(f));
            let text = serde_json::to_string_pretty(&result(f, index))?;
            let sep = if self.results == 0 { "" } else { "," };
            let spill = self
                .spill
                .as_mut()
                .ok_or_else(|| io::Error::other("SARIF results before the log began"))?;
            write!(
                spill,
                "{sep}\n{RESULT_INDENT}{}",
                text.replace('\n', &format!("\n{RESULT_INDENT}"))
            )?;
            self.results += 1;
        }
        Ok(())
    }

    fn end(
        &mut self,
        _tally: &Tally,
        warnings: &[Warning],
        opts: &OutputOptions,
        out: &mut dyn Write,
    ) -> io::Result<()> {
        let cwd = std::env::current_dir().unwrap_or_default();
        let rules = std::mem::take(&mut self.rules);
        let log = to_sarif(rules, warnings, &cwd, !opts.incomplete);
        let text = serde_json::to_string_pretty(&log)?;
        let Some(at) = text.find(RESULTS_SLOT) else {
            return Err(io::Error::other("the SARIF log has no results"));
        };
        out.write_all(&text.as_bytes()[..at])?;
        out.write_all(b"\"results\": [")?;
        if let Some(spill) = self.spill.take() {
            let mut file = spill.into_inner().map_err(|e| e.into_error())?;
            file.seek(io::SeekFrom::Start(0))?;
            io::copy(&mut file, out)?;
        }
        if self.results > 0 {
            // The closing bracket lines up with the key.
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            write!(out, "\n{}", &text[line_start..at])?;
        }
        out.write_all(&text.as_bytes()[at + RESULTS_SLOT.len() - 1..])?;
        writeln!(out)
    }
}

/// Where each result starts in the log: `{ "runs": [ { "results": [`.
const RESULT_INDENT: &str = "        ";

impl Sarif {
    /// The index of the descriptor of `code`, added by `make` when it is new.
    fn descriptor_index(
        &mut self,
        code: &String,
        make: impl FnOnce() -> sarif::ReportingDescriptor,
    ) -> usize {
        if let Some(&i) = self.index.get(code) {
            return i;
        }
        self.index.insert(code.clone(), self.rules.len());
        self.rules.push(make());
        self.rules.len() - 1
    }
}

/// The descriptor of a rule outside the registry: a suppression pseudo-rule (LINT00x) or a
/// custom rule.
fn other_descriptor(f: &Finding) -> sarif::ReportingDescriptor {
    if let Some(meta) = crate::unused::find(&f.code) {
        return descriptor(meta);
    }
    sarif::ReportingDescriptor::builder()
        .id(f.code.clone())
        .name(f.name.clone())
        .short_description(text_only(&f.name))
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(level_str(f.severity))
                .build(),
        )
        .build()
}

/// The log of one run, with an empty `results` where the printer puts them; `root` is the
/// directory `%SRCROOT%` stands for.
fn to_sarif(
    rules: Vec<sarif::ReportingDescriptor>,
    warnings: &[Warning],
    root: &Path,
    successful: bool,
) -> sarif::Sarif {
    let notifications: Vec<sarif::Notification> = warnings
        .iter()
        .map(|w| {
            let shown = display_path(&w.path, root);
            sarif::Notification::builder()
                .level("warning")
                .message(message(&format!("{}: {}", path_string(&shown), w.message)))
                .locations(vec![sarif::Location::builder()
                    .physical_location(
                        sarif::PhysicalLocation::builder()
                            .artifact_location(artifact(&shown))
                            .build(),
                    )
                    .build()])
                .build()
        })
        .collect();
    let mut invocation = sarif::Invocation::builder()
        .execution_successful(successful)
        .build();
    if !notifications.is_empty() {
        invocation.tool_execution_notifications = Some(notifications);
    }

    let driver = sarif::ToolComponent::builder()
        .name("wsalint")
        .full_name(format!("wsalint {}", env!("CARGO_PKG_VERSION")))
        .version(env!("CARGO_PKG_VERSION"))
        .semantic_version(env!("CARGO_PKG_VERSION"))
        .information_uri(env!("CARGO_PKG_REPOSITORY"))
        .rules(rules)
        .build();

    let mut base = BTreeMap::new();
    base.insert(
        SRCROOT.to_string(),
        sarif::ArtifactLocation::builder()
            .uri(directory_uri(root))
            .build(),
    );
    let run = sarif::Run::builder()
        .tool(sarif::Tool::builder().driver(driver).build())
        .original_uri_base_ids(base)
        .invocations(vec![invocation])
        .column_kind("unicodeCodePoints")
        .results(Vec::new())
        .build();

    sarif::Sarif::builder()
        .schema(SCHEMA)
        .version("2.1.0")
        .runs(vec![run])
        .build()
}

/// A rule's `reportingDescriptor`: the same docs as `wsalint explain`.
fn descriptor(meta: &RuleMeta) -> sarif::ReportingDescriptor {
    let explain = meta.explain();
    let full = meta.section("What it does").unwrap_or(meta.summary);
    let mut tags: Vec<String> = meta.tags.iter().map(|t| t.to_string()).collect();
    let mut extra = BTreeMap::new();
    extra.insert("precision".to_string(), meta.precision.into());
    extra.insert(
        "problem.severity".to_string(),
        problem_severity(meta.severity).into(),
    );
    if let Some(score) = meta.security_severity {
        extra.insert("security-severity".to_string(), score.into());
        // Code scanning files a result under security only when its rule is tagged so.
        if !tags.iter().any(|t| t == "security") {
            tags.push("security".to_string());
        }
    }
    sarif::ReportingDescriptor::builder()
        .id(meta.code)
        .name(meta.name)
        .short_description(text_only(meta.summary))
        .full_description(text_only(full))
        .help(
            sarif::MultiformatMessageString::builder()
                .text(explain.clone())
                .markdown(explain)
                .build(),
        )
        .help_uri(meta.help_uri())
        .default_configuration(
            sarif::ReportingConfiguration::builder()
                .level(level_str(meta.severity))
                .build(),
        )
        .properties(
            sarif::PropertyBag::builder()
                .tags(tags)
                .additional_properties(extra)
                .build(),
        )
        .build()
}

fn result(f: &Finding, rule_index: usize) -> sarif::Result {
    let primary = sarif::Location::builder()
        .physical_location(physical(&f.path, f.location.start, f.location.end))
        .build();
    let related: Vec<sarif::Location> = f
        .related
        .iter()
        .enumerate()
        .map(|(i, r)| {
            sarif::Location::builder()
                .id(i as i64 + 1)
                .physical_location(physical(&f.path, r.location.start, r.location.end))
                .message(message(&r.message))
                .build()
        })
        .collect();
    let mut fingerprints = BTreeMap::new();
    fingerprints.insert(FINGERPRINT_KEY.to_string(), f.fingerprint.clone());

    let mut res = sarif::Result::builder()
        .rule_id(f.code.clone())
        .rule_index(rule_index as i64)
        .level(match f.severity {
            Severity::Error => sarif::ResultLevel::Error,
            Severity::Warning => sarif::ResultLevel::Warning,
            Severity::Note => sarif::ResultLevel::Note,
        })
        .message(message(&f.message))
        .locations(vec![primary])
        .partial_fingerprints(fingerprints)
        .build();
    if !related.is_empty() {
        res.related_locations = Some(related);
    }
    if let Some(fix) = &f.fix {
        if fix.edits.is_empty() {
            // A suggestion without an edit: SARIF's `fixes` need a change, so keep the advice
            // as a property.
            let mut extra = BTreeMap::new();
            extra.insert("help".to_string(), fix.message.clone().into());
            res.properties = Some(
                sarif::PropertyBag::builder()
                    .additional_properties(extra)
                    .build(),
            );
        } else {
            let replacements = fix
                .edits
                .iter()
                .map(|e| {
                    let mut r = sarif::Replacement::builder()
                        .deleted_region(region(
                            f.source.position(e.range.start),
                            f.source.position(e.range.end),
                        ))
                        .build();
                    if !e.content.is_empty() {
                        r.inserted_content =
                            Some(sarif::ArtifactContent::builder().text(&e.content).build());
                    }
                    r
                })
                .collect::<Vec<_>>();
            let mut extra = BTreeMap::new();
            extra.insert(
                "applicability".to_string(),
                applicability(fix.applicability).into(),
            );
            res.fixes = Some(vec![sarif::Fix::builder()
                .description(message(&fix.message))
                .artifact_changes(vec![sarif::ArtifactChange::builder()
                    .artifact_location(artifact(&f.path))
                    .replacements(replacements)
                    .build()])
                .properties(
                    sarif::PropertyBag::builder()
                        .additional_properties(extra)
                        .build(),
                )
                .build()]);
        }
    }
    if let Some(s) = &f.suppression {
        let kind = match s.kind {
            SuppressionKind::InSource => "inSource",
            SuppressionKind::External => "external",
        };
        let mut sup = sarif::Suppression::builder().kind(kind).build();
        sup.justification = s.justification.clone();
        res.suppressions = Some(vec![sup]);
    }
    res
}

fn physical(path: &Path, start: Position, end: Position) -> sarif::PhysicalLocation {
    sarif::PhysicalLocation::builder()
        .artifact_location(artifact(path))
        .region(region(start, end))
        .build()
}

/// 1-based lines and columns in characters; the end column is exclusive, as in SARIF.
fn region(start: Position, end: Position) -> sarif::Region {
    sarif::Region::builder()
        .start_line(start.line as i64)
        .start_column(start.column as i64)
        .end_line(end.line as i64)
        .end_column(end.column as i64)
        .build()
}

/// A relative path becomes a URI reference against `%SRCROOT%`; a path outside the current
/// directory stays an absolute `file:` URI.
fn artifact(path: &Path) -> sarif::ArtifactLocation {
    if path.is_absolute() {
        sarif::ArtifactLocation::builder()
            .uri(file_uri(path))
            .build()
    } else {
        sarif::ArtifactLocation::builder()
            .uri(encode_path(&path_string(path)))
            .uri_base_id(SRCROOT)
            .build()
    }
}

/// The path as the user sees it: relative to `root` when below it, without a leading `./`.
fn display_path(path: &Path, root: &Path) -> PathBuf {
    if path.is_absolute() {
        if let Ok(rel) = path.strip_prefix(root) {
            return rel.to_path_buf();
        }
    }
    path.strip_prefix("./").unwrap_or(path).to_path_buf()
}

fn file_uri(path: &Path) -> String {
    let s = path_string(path);
    let b = s.as_bytes();
    if b.len() >= 2 && b[0].is_ascii_alphabetic() && b[1] == b':' {
        // `C:/src` on Windows: the drive's colon is part of the path.
        format!("file:///{}:{}", &s[..1], encode_path(&s[2..]))
    } else {
        format!("file://{}", encode_path(&s))
    }
}

fn directory_uri(dir: &Path) -> String {
    let uri = file_uri(dir);
    if uri.ends_with('/') {
        uri
    } else {
        format!("{uri}/")
    }
}

/// Percent-encodes everything a URI path may not hold as is (spaces, `%`, `#`, `?`, `:`,
/// non-ASCII, control characters), keeping `/` as the separator.
pub fn encode_path(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        // `:` is encoded too: in a relative reference it would read as a scheme.
        let keep = b.is_ascii_alphanumeric()
            || matches!(
                b,
                b'/' | b'-'
                    | b'.'
                    | b'_'
                    | b'~'
                    | b'!'
                    | b'$'
                    | b'&'
                    | b'\''
                    | b'('
                    | b')'
                    | b'*'
                    | b'+'
                    | b','
                    | b';'
                    | b'='
                    | b'@'
            );
        if keep {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn message(text: &str) -> sarif::Message {
    sarif::Message::builder().text(text).build()
}

fn text_only(text: &str) -> sarif::MultiformatMessageString {
    sarif::MultiformatMessageString::builder()
        .text(text)
        .build()
}

fn level_str(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "note",
    }
}

/// GitHub's `problem.severity`: error, warning or recommendation.
fn problem_severity(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
        Severity::Note => "recommendation",
    }
}

fn applicability(a: Applicability) -> &'static str {
    match a {
        Applicability::Safe => "safe",
        Applicability::Unsafe => "unsafe",
        Applicability::Suggestion => "suggestion",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_percent_encoded() {
        assert_eq!(encode_path("src/net io.c"), "src/net%20io.c");
        assert_eq!(encode_path("a%b#c?.c"), "a%25b%23c%3F.c");
        assert_eq!(encode_path("x:y.c"), "x%3Ay.c");
        assert_eq!(
            file_uri(Path::new("C:/src/a b.c")),
            "file:///C:/src/a%20b.c"
        );
        assert_eq!(encode_path("r\u{e9}seau.c"), "r%C3%A9seau.c");
    }

    static SECURITY_RULE: RuleMeta = RuleMeta {
        code: "WSA999",
        name: "test-rule",
        severity: Severity::Error,
        fix: crate::rules::FixKind::None,
        source: "",
        summary: "a test rule",
        docs: "## What it does\nFinds a thing.\n\n## Why is this bad?\nIt is.\n",
        queries: &[],
        needles: &[],
        tags: &["winsock"],
        precision: "high",
        security_severity: Some("7.5"),
        flow: true,
    };

    #[test]
    fn security_rules_carry_their_score_and_the_security_tag() {
        let d = serde_json::to_value(descriptor(&SECURITY_RULE)).unwrap();
        assert_eq!(d["properties"]["security-severity"], "7.5");
        assert_eq!(
            d["properties"]["tags"],
            serde_json::json!(["winsock", "security"])
        );
        assert_eq!(d["properties"]["problem.severity"], "error");
        assert_eq!(d["defaultConfiguration"]["level"], "error");
        assert_eq!(d["fullDescription"]["text"], "Finds a thing.");
        assert_eq!(d["help"]["text"], SECURITY_RULE.explain());
    }

    #[test]
    fn uris_of_directories_end_with_a_slash() {
        assert_eq!(
            directory_uri(Path::new("/home/u/my src")),
            "file:///home/u/my%20src/"
        );
        assert_eq!(directory_uri(Path::new("/")), "file:///");
    }
}
