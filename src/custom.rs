//! Custom rules: a user's tree-sitter query file with a metadata header in comments, run through
//! the same engine, suppressions, baseline and output formats as the built-in rules.
//!
//! ```scheme
//! ; code: ACME001
//! ; name: raw-closesocket
//! ; severity: warning
//! ; message: `{{callee}}` bypasses `net_close`, which also clears the connection table
//! ; capture: call
//! ; help: call `net_close` instead
//! (call_expression
//!   function: (identifier) @callee
//!   (#eq? @callee "closesocket")) @call
//! ```
//!
//! Keys: `code` (letters then digits, never `WSA...` or `LINT...`), `name` (kebab-case),
//! `message` (`{{capture}}` is replaced by the captured text) are required; `severity`
//! (note, warning, error; default warning), `capture` (the node to report; default the first
//! capture), `needles` (comma list of literals a matching file must contain; default: derived
//! from the `#eq?` / `#any-of?` literals of each pattern when every pattern has one and no
//! alternation or optional part, else every file is parsed), `summary`, `help` (shown as the
//! fix suggestion), `language` (`both`, the default, or `cpp` for C++-only node types).
//!
//! Besides tree-sitter's predicates, `(#call? @callee "name" ...)` keeps a call (or its callee)
//! that calls one of the global functions named, however it is spelled (`f`, `::f`, `std::f`).

use std::collections::HashSet;
use std::ops::Range;
use std::path::{Path, PathBuf};

use crate::config::{Config, ConfigError};
use crate::diagnostic::{Fix, Severity};
use crate::lang::Lang;
use crate::query::compile_one;
use crate::rules::{Ctx, FixKind, Match, QuerySource, Rule, RuleMeta};

/// A loaded custom rule.
#[derive(Debug)]
pub struct CustomRule {
    meta: &'static RuleMeta,
    capture: String,
    message: String,
    help: Option<String>,
}

const KEYS: &[&str] = &[
    "code", "name", "severity", "message", "capture", "needles", "summary", "help", "language",
];

impl Rule for CustomRule {
    fn meta(&self) -> &'static RuleMeta {
        self.meta
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let Some(node) = m
            .get(&self.capture)
            .or_else(|| m.captures.first().map(|c| c.node))
        else {
            return;
        };
        let message = interpolate(&self.message, |name| {
            m.get(name).map(|n| {
                let text = ctx
                    .text_of(n)
                    .split_whitespace()
                    .collect::<Vec<_>>()
                    .join(" ");
                shorten(&text, 80)
            })
        });
        let mut diag = self.meta.diag(node.byte_range(), message);
        if let Some(help) = &self.help {
            diag = diag.with_fix(Fix::suggestion(help.clone()));
        }
        ctx.report(diag);
    }
}

fn shorten(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_string();
    }
    let cut: String = text.chars().take(max - 3).collect();
    format!("{cut}...")
}

/// Replaces `{{name}}` with what `value` gives (left as is when the capture is absent).
fn interpolate(template: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        match after.find("}}") {
            Some(close) => {
                let name = after[..close].trim();
                match value(name) {
                    Some(v) => out.push_str(&v),
                    None => out.push_str(&rest[open..open + 2 + close + 2]),
                }
                rest = &after[close + 2..];
            }
            None => {
                out.push_str(&rest[open..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{{name}}` placeholders of a message.
fn placeholders(template: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        out.push(after[..close].trim().to_string());
        rest = &after[close + 2..];
    }
    out
}

/// Loads the config's `custom_rules` (paths relative to the config file). Each must be a
/// regular file inside the config's directory, of bounded size (see
/// `config::read_named_file`): a cloned repository's config names no file elsewhere. Errors are
/// placed in the query file, or in the config file when the query file cannot be read.
pub fn load(config: &Config) -> Result<Vec<&'static dyn Rule>, ConfigError> {
    let base = config.base_dir();
    let mut rules: Vec<&'static dyn Rule> = Vec::new();
    let mut codes: HashSet<String> = HashSet::new();
    for entry in &config.custom_rules {
        let path = base.join(entry);
        let text = crate::config::read_named_file(&path, Some(&base)).map_err(|why| {
            config_error(
                config,
                entry,
                format!("`custom_rules`: cannot read `{}`: {why}", path.display()),
            )
        })?;
        let rule = parse(&text, &shown(&path))?;
        if !codes.insert(rule.meta.code.to_string()) {
            return Err(error_at(
                &shown(&path),
                &text,
                header_span(&text, "code"),
                format!("code `{}` is used by another custom rule", rule.meta.code),
            ));
        }
        rules.push(Box::leak(Box::new(rule)));
    }
    Ok(rules)
}

fn shown(path: &Path) -> PathBuf {
    let cwd = std::env::current_dir().unwrap_or_default();
    path.strip_prefix(&cwd)
        .map(Path::to_path_buf)
        .unwrap_or_else(|_| path.to_path_buf())
}

/// An error on the config's `custom_rules` entry `entry`.
fn config_error(config: &Config, entry: &str, message: String) -> ConfigError {
    let path = config.path.clone().unwrap_or_default();
    // The text the config was parsed from, not the file again (it may have changed).
    let text = config.text.clone();
    let quoted = format!("\"{entry}\"");
    let span = text.find(&quoted).map(|i| i..i + quoted.len()).or_else(|| {
        text.find("custom_rules")
            .map(|i| i..i + "custom_rules".len())
    });
    error_at(&path, &text, span, message)
}

fn error_at(path: &Path, text: &str, span: Option<Range<usize>>, message: String) -> ConfigError {
    ConfigError::at(path, text, span, message)
}

/// The header: `; key: value` lines before the first line that is not a comment or blank.
/// Returns (key, value, byte range of the value) in order.
fn header(text: &str) -> Vec<(String, String, Range<usize>)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset;
        offset += line.len();
        let trimmed = line.trim();
        if trimmed.is_empty() {
            continue;
        }
        let Some(body) = trimmed.strip_prefix(';') else {
            break;
        };
        let body = body.trim_start_matches(';').trim();
        let Some((key, value)) = body.split_once(':') else {
            continue;
        };
        let key = key.trim();
        // Prose such as `; Finds raw calls: ...` is not a key; a lowercase word is.
        if key.is_empty()
            || !key
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b == b'_' || b == b'-')
        {
            continue;
        }
        let value_start = start + line.find(':').map_or(0, |i| i + 1);
        let value = value.trim();
        let lead = text[value_start..].len() - text[value_start..].trim_start().len();
        let vs = value_start + lead;
        out.push((key.to_string(), value.to_string(), vs..vs + value.len()));
    }
    out
}

fn header_span(text: &str, key: &str) -> Option<Range<usize>> {
    header(text)
        .into_iter()
        .find(|(k, _, _)| k == key)
        .map(|(_, _, r)| r)
}

/// Parses and compiles one custom rule; `path` is the file as shown in errors.
pub fn parse(text: &str, path: &Path) -> Result<CustomRule, ConfigError> {
    let err = |span: Option<Range<usize>>, message: String| error_at(path, text, span, message);
    let fields = header(text);
    let get = |key: &str| fields.iter().find(|(k, _, _)| k == key).cloned();
    for (key, _, range) in &fields {
        if !KEYS.contains(&key.as_str()) {
            let start = text[..range.start]
                .rfind(key.as_str())
                .unwrap_or(range.start);
            return Err(err(
                Some(start..start + key.len()),
                format!(
                    "unknown header key `{key}` (expected one of: {})",
                    KEYS.join(", ")
                ),
            ));
        }
    }
    let first_line = Some(0..text.lines().next().map_or(0, str::len));
    let required = |field: Option<(String, String, Range<usize>)>, key: &str| {
        field.filter(|(_, v, _)| !v.is_empty()).ok_or_else(|| {
            err(
                first_line.clone(),
                format!("missing header line `; {key}: ...`"),
            )
        })
    };
    let (_, code, code_span) = required(get("code"), "code")?;
    let letters = code.bytes().take_while(u8::is_ascii_uppercase).count();
    if letters == 0 || letters == code.len() || !code[letters..].bytes().all(|b| b.is_ascii_digit())
    {
        return Err(err(
            Some(code_span),
            format!(
                "`{code}` is not a rule code: use uppercase letters then digits, like `ACME001`"
            ),
        ));
    }
    for reserved in ["WSA", "LINT"] {
        if code.starts_with(reserved) {
            return Err(err(
                Some(code_span),
                format!(
                    "`{code}` collides with wsalint's own `{reserved}` codes: pick another prefix, like `ACME001`"
                ),
            ));
        }
    }
    let (_, name, name_span) = required(get("name"), "name")?;
    if !name
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(err(
            Some(name_span),
            format!("`{name}` is not a rule name: use kebab-case, like `raw-closesocket`"),
        ));
    }
    let (_, message, message_span) = required(get("message"), "message")?;
    let severity = match get("severity") {
        None => Severity::Warning,
        Some((_, v, span)) => Severity::parse(&v).ok_or_else(|| {
            err(
                Some(span),
                format!("unknown severity `{v}` (expected note, warning or error)"),
            )
        })?,
    };
    let cpp_only = match get("language") {
        None => false,
        Some((_, v, span)) => match v.as_str() {
            "both" | "c" | "c, cpp" => false,
            "cpp" | "c++" => true,
            _ => {
                return Err(err(
                    Some(span),
                    format!("unknown language `{v}` (expected both or cpp)"),
                ))
            }
        },
    };
    let file: &'static str = Box::leak(path.to_string_lossy().into_owned().into_boxed_str());
    let source = QuerySource {
        file,
        text: Box::leak(text.to_string().into_boxed_str()),
        cpp_only,
    };
    let langs: &[Lang] = if cpp_only {
        &[Lang::Cpp]
    } else {
        &[Lang::C, Lang::Cpp]
    };
    let mut compiled = None;
    for &lang in langs {
        match compile_one(&source, lang) {
            Ok(q) => {
                compiled.get_or_insert(q);
            }
            Err(e) => {
                let offset = offset_of(text, e.line, e.column);
                let grammar = if cpp_only {
                    String::new()
                } else {
                    format!(
                        " (with the {} grammar; `; language: cpp` limits a rule to C++)",
                        lang.name()
                    )
                };
                return Err(err(
                    Some(offset..(offset + 1).min(text.len()).max(offset)),
                    format!("invalid query: {}{grammar}", e.message),
                ));
            }
        }
    }
    // `compiled` is set: `langs` is never empty and every compile succeeded.
    let query = compiled.expect("at least one grammar compiled");
    if query.pattern_count() == 0 {
        return Err(err(first_line, "the query has no pattern".into()));
    }
    let names = query.capture_names();
    let capture = match get("capture") {
        Some((_, v, span)) => {
            let v = v.trim_start_matches('@').to_string();
            if !names.contains(&v.as_str()) {
                return Err(err(Some(span), format!("the query has no capture `@{v}`")));
            }
            v
        }
        None => match names.first() {
            Some(n) => n.to_string(),
            None => {
                return Err(err(
                    first_line,
                    "the query captures nothing: add a capture such as `@call` to report".into(),
                ))
            }
        },
    };
    for p in placeholders(&message) {
        if !names.contains(&p.as_str()) {
            return Err(err(
                Some(message_span),
                format!("the message uses `{{{{{p}}}}}`, but the query has no capture `@{p}`"),
            ));
        }
    }
    let needles: Vec<String> = match get("needles") {
        Some((_, v, _)) => v
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        None => {
            let starts: Vec<usize> = (0..query.pattern_count())
                .map(|p| query.start_byte_for_pattern(p))
                .collect();
            derive_needles(text, &starts)
        }
    };
    let needles: &'static [&'static str] = Box::leak(
        needles
            .into_iter()
            .map(|n| &*Box::leak(n.into_boxed_str()))
            .collect::<Vec<&'static str>>()
            .into_boxed_slice(),
    );
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    let summary = get("summary")
        .map(|(_, v, _)| v)
        .unwrap_or_else(|| format!("Custom rule from `{}`", path.display()));
    let docs = format!(
        "## What it does\n{summary}\n\n## References\n- Custom rule: `{}`\n",
        path.display()
    );
    let help = get("help").map(|(_, v, _)| v).filter(|v| !v.is_empty());
    let meta: &'static RuleMeta = Box::leak(Box::new(RuleMeta {
        code: leak(code),
        name: leak(name),
        severity,
        fix: if help.is_some() {
            FixKind::Suggestion
        } else {
            FixKind::None
        },
        source: "",
        summary: leak(summary),
        docs: leak(docs),
        queries: Box::leak(vec![source].into_boxed_slice()),
        needles,
        tags: &["custom"],
        precision: "medium",
        security_severity: None,
        flow: false,
    }));
    Ok(CustomRule {
        meta,
        capture,
        message,
        help,
    })
}

/// Byte offset of a 1-based line and column (column in bytes, as tree-sitter counts).
fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return (offset + column.saturating_sub(1)).min(offset + l.len());
        }
        offset += l.len();
    }
    text.len()
}

/// Literals every match must contain: for each pattern, the strings of its `#eq?`,
/// `#any-of?` and `#call?` predicates. A pattern with an alternation or an optional part may match without
/// them, and a pattern without such a literal could match anything: then there are no needles
/// and every file is parsed.
fn derive_needles(text: &str, starts: &[usize]) -> Vec<String> {
    let mut all = Vec::new();
    for (i, &start) in starts.iter().enumerate() {
        let end = starts.get(i + 1).copied().unwrap_or(text.len());
        let pattern = strip_comments(&text[start..end]);
        if has_alternation_or_optional(&pattern) {
            return Vec::new();
        }
        let mut found = Vec::new();
        for pred in ["(#eq?", "(#any-of?", "(#call?"] {
            let mut rest = pattern.as_str();
            while let Some(at) = rest.find(pred) {
                let after = &rest[at + pred.len()..];
                let close = after.find(')').unwrap_or(after.len());
                let args = &after[..close];
                found.extend(strings_in(args));
                rest = &after[close..];
            }
        }
        found.retain(|s| !s.is_empty());
        if found.is_empty() {
            return Vec::new();
        }
        all.extend(found);
    }
    all.sort();
    all.dedup();
    all
}

fn strip_comments(pattern: &str) -> String {
    let mut out = String::new();
    for line in pattern.lines() {
        let mut in_str = false;
        let mut escaped = false;
        for ch in line.chars() {
            if !in_str && ch == ';' {
                break;
            }
            if in_str && !escaped && ch == '"' {
                in_str = false;
            } else if !in_str && ch == '"' {
                in_str = true;
            }
            escaped = in_str && !escaped && ch == '\\';
            out.push(ch);
        }
        out.push('\n');
    }
    out
}

/// `[...]`, `?` or `*` outside strings (not the `?` of a predicate name).
fn has_alternation_or_optional(pattern: &str) -> bool {
    let mut in_str = false;
    let mut escaped = false;
    let mut prev = ' ';
    for ch in pattern.chars() {
        if in_str {
            if !escaped && ch == '"' {
                in_str = false;
            }
            escaped = !escaped && ch == '\\';
            if !in_str {
                prev = '"';
            }
            continue;
        }
        match ch {
            '"' => in_str = true,
            '[' => return true,
            '?' | '*' if !(prev.is_ascii_alphanumeric() || prev == '_' || prev == '-') => {
                return true
            }
            _ => {}
        }
        if !ch.is_whitespace() {
            prev = ch;
        }
    }
    false
}

/// The string literals in predicate arguments.
fn strings_in(args: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut chars = args.chars();
    while let Some(ch) = chars.next() {
        if ch != '"' {
            continue;
        }
        let mut s = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => {
                    if let Some(n) = chars.next() {
                        s.push(n);
                    }
                }
                '"' => break,
                _ => s.push(c),
            }
        }
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const RULE: &str = "; code: ACME001\n; name: raw-closesocket\n; severity: error\n; message: `{{callee}}` bypasses `net_close`\n; capture: call\n(call_expression\n  function: (identifier) @callee\n  (#eq? @callee \"closesocket\")) @call\n";

    #[test]
    fn a_rule_parses_with_derived_needles() {
        let r = parse(RULE, Path::new("acme.scm")).unwrap();
        assert_eq!(r.meta.code, "ACME001");
        assert_eq!(r.meta.severity, Severity::Error);
        assert_eq!(r.meta.needles, ["closesocket"]);
        assert_eq!(r.capture, "call");
    }

    #[test]
    fn needles_only_when_every_pattern_requires_one() {
        let q = "(identifier) @a (#any-of? @a \"foo\" \"bar\")\n(call_expression function: (identifier) @f (#eq? @f \"baz\"))";
        let starts = [0, q.find("(call_expression").unwrap()];
        assert_eq!(derive_needles(q, &starts), ["bar", "baz", "foo"]);
        assert!(derive_needles("(identifier) @a", &[0]).is_empty());
        let optional = "(call_expression (identifier)? @a (#eq? @a \"x\"))";
        assert!(derive_needles(optional, &[0]).is_empty());
        let alt = "[(identifier) @a (number_literal)] (#eq? @a \"x\")";
        assert!(derive_needles(alt, &[0]).is_empty());
    }

    #[test]
    fn errors_point_into_the_file() {
        let e = parse(&RULE.replace("ACME001", "WSA900"), Path::new("r.scm")).unwrap_err();
        assert_eq!((e.line, e.column), (1, 9));
        assert!(e.message.contains("collides"), "{}", e.message);
        let e = parse(
            &RULE.replace("(identifier)", "(identifer)"),
            Path::new("r.scm"),
        )
        .unwrap_err();
        assert_eq!(e.line, 7);
        assert!(e.message.contains("invalid query"), "{}", e.message);
        let e = parse(
            &RULE.replace("; capture: call", "; captur: call"),
            Path::new("r.scm"),
        )
        .unwrap_err();
        assert!(
            e.message.contains("unknown header key `captur`"),
            "{}",
            e.message
        );
        let e = parse(&RULE.replace("{{callee}}", "{{nope}}"), Path::new("r.scm")).unwrap_err();
        assert!(e.message.contains("no capture `@nope`"), "{}", e.message);
    }

    #[test]
    fn interpolation() {
        let v = |n: &str| (n == "a").then(|| "x".to_string());
        assert_eq!(interpolate("{{a}} and {{b}} {{", v), "x and {{b}} {{");
    }
}
