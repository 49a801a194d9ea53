//! `wsalint.toml` / `.wsalint.toml`: for each file the nearest one above it (`project::config_in`),
//! or `--config`.
//! Unknown keys and bad values are errors that name the file, line and key.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::diagnostic::Severity;
use crate::rules::RuleMeta;
use crate::selector;

pub const CONFIG_NAMES: [&str; 2] = ["wsalint.toml", ".wsalint.toml"];

/// Default socket creators.
pub const CREATORS: &[&str] = &[
    "socket",
    "WSASocket",
    "WSASocketA",
    "WSASocketW",
    "accept",
    "WSAAccept",
];

/// Default socket closers.
pub const CLOSERS: &[&str] = &["closesocket"];

/// The resource model, like a cppcheck library file: users add their wrappers.
#[derive(Clone, Debug, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Resources {
    /// Types whose values hold a socket (`curl_socket_t`, `evutil_socket_t`).
    #[serde(default)]
    pub socket_types: Vec<String>,
    /// Types that are the unsigned `SOCKET` under another name.
    #[serde(default)]
    pub unsigned_socket_types: Vec<String>,
    /// Functions that return a new socket, besides `socket`, `WSASocket*`, `accept`, `WSAAccept`.
    #[serde(default)]
    pub creators: Vec<String>,
    /// Functions that close a socket, besides `closesocket` (`sclose`, `Curl_closesocket`).
    #[serde(default)]
    pub closers: Vec<String>,
    /// Functions that take ownership of a socket passed to them.
    #[serde(default)]
    pub owners: Vec<String>,
    /// Functions that load a DLL by name, besides `LoadLibrary*` and the wrappers wsalint finds.
    #[serde(default)]
    pub loaders: Vec<String>,
    /// Macros or functions that test a socket for validity (`sock_ok(s)` is true on success).
    #[serde(default)]
    pub valid_checks: Vec<String>,
}

impl Resources {
    pub fn creators(&self) -> impl Iterator<Item = &str> {
        CREATORS
            .iter()
            .copied()
            .chain(self.creators.iter().map(String::as_str))
    }

    pub fn closers(&self) -> impl Iterator<Item = &str> {
        CLOSERS
            .iter()
            .copied()
            .chain(self.closers.iter().map(String::as_str))
    }

    pub fn is_closer(&self, name: &str) -> bool {
        self.closers().any(|c| c == name)
    }

    pub fn is_creator(&self, name: &str) -> bool {
        self.creators().any(|c| c == name)
    }
}

/// The parsed configuration, with defaults for everything.
#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// Rule codes or prefixes to run (default: all).
    #[serde(default)]
    pub select: Vec<String>,
    /// Rule codes or prefixes to skip.
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Per-rule severity overrides.
    #[serde(default)]
    pub severity: BTreeMap<String, String>,
    /// Globs of paths not to lint, relative to the config's directory.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Rules not reported in the files a glob matches (relative to the config's directory),
    /// as ruff's `per-file-ignores`: `"tests/**" = ["WSA101"]`.
    #[serde(default, rename = "per-file-ignores")]
    pub per_file_ignores: BTreeMap<String, Vec<String>>,
    #[serde(default)]
    pub resources: Resources,
    /// DLLs whose load/free cycle WSA001 reports.
    #[serde(default = "default_dlls")]
    pub dlls: Vec<String>,
    /// Query files of user rules, relative to the config file.
    #[serde(default)]
    pub custom_rules: Vec<String>,
    /// Files larger than this many bytes are skipped with a warning.
    #[serde(default = "default_max_file_size")]
    pub max_file_size: u64,
    /// Report suppression comments that suppress nothing (`--report-unused-suppressions`).
    #[serde(default)]
    pub report_unused_suppressions: bool,
    /// Where the config file was read from (not a key).
    #[serde(skip)]
    pub path: Option<PathBuf>,
    /// The config file's text, to place errors found after parsing (not a key).
    #[serde(skip)]
    pub text: String,
}

fn default_dlls() -> Vec<String> {
    vec!["iphlpapi.dll".to_string()]
}

pub const DEFAULT_MAX_FILE_SIZE: u64 = 8 * 1024 * 1024;

fn default_max_file_size() -> u64 {
    DEFAULT_MAX_FILE_SIZE
}

impl Default for Config {
    fn default() -> Config {
        Config {
            select: Vec::new(),
            ignore: Vec::new(),
            severity: BTreeMap::new(),
            exclude: Vec::new(),
            per_file_ignores: BTreeMap::new(),
            resources: Resources::default(),
            dlls: default_dlls(),
            custom_rules: Vec::new(),
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            report_unused_suppressions: false,
            path: None,
            text: String::new(),
        }
    }
}

/// A config error, placed in its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConfigError {
    pub path: PathBuf,
    /// Byte range of the offending key or value, when known.
    pub span: Option<std::ops::Range<usize>>,
    /// 1-based; 0 when the error is about the whole file (it cannot be read).
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// The file's text, for rendering the error with a snippet.
    pub text: String,
}

impl ConfigError {
    /// An error at byte range `span` of the file `path` whose text is `text` (line and column
    /// 1:1 without a span).
    pub fn at(
        path: &Path,
        text: &str,
        span: Option<std::ops::Range<usize>>,
        message: String,
    ) -> ConfigError {
        let (line, column) = span
            .as_ref()
            .map(|s| line_col(text, s.start))
            .unwrap_or((1, 1));
        ConfigError {
            path: path.to_path_buf(),
            span,
            line,
            column,
            message,
            text: text.to_string(),
        }
    }
}

impl std::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            return write!(f, "{}", self.message);
        }
        write!(
            f,
            "{}:{}:{}: {}",
            self.path.display(),
            self.line,
            self.column,
            self.message
        )
    }
}

/// The most a config file, or a file it names, may hold: far above any real one, and a bound
/// on what a hostile checkout can make the run read.
pub const MAX_NAMED_FILE_SIZE: u64 = 1 << 20;

/// Reads a file that a project's own files name (a discovered config, its `custom_rules`):
/// only a regular file (not `/dev/zero`, a FIFO, `/dev/stdin`), only inside `root` once links
/// are followed (not `/proc/self/environ`, whose text an error snippet would print), and at
/// most `MAX_NAMED_FILE_SIZE` bytes. `root` is `None` for a file named on the command line,
/// which may be anywhere. The error says why, without the file's text.
pub fn read_named_file(path: &Path, root: Option<&Path>) -> Result<String, String> {
    use std::io::Read;
    let describe = |e: std::io::Error| crate::walk::describe_io(&e);
    let real = std::fs::canonicalize(path).map_err(|e| {
        // `/dev/stdin` leads to `/proc/self/fd/0`, which leads to a pipe.
        match std::fs::symlink_metadata(path) {
            Ok(m) if m.file_type().is_symlink() => {
                format!("it is a link that cannot be followed ({})", describe(e))
            }
            _ => describe(e),
        }
    })?;
    if let Some(root) = root {
        let root = match root.as_os_str().is_empty() {
            true => Path::new("."),
            false => root,
        };
        let root = std::fs::canonicalize(root).map_err(describe)?;
        if !real.starts_with(&root) {
            return Err(format!(
                "it leads outside the project (to `{}`)",
                real.display()
            ));
        }
    }
    let meta = std::fs::metadata(&real).map_err(describe)?;
    if !meta.is_file() {
        return Err("not a regular file".to_string());
    }
    let too_big = || format!("larger than {MAX_NAMED_FILE_SIZE} bytes");
    if meta.len() > MAX_NAMED_FILE_SIZE {
        return Err(too_big());
    }
    // The length can change between the check and the read: the read is bounded too.
    let mut raw = Vec::new();
    std::fs::File::open(&real)
        .and_then(|f| f.take(MAX_NAMED_FILE_SIZE + 1).read_to_end(&mut raw))
        .map_err(describe)?;
    if raw.len() as u64 > MAX_NAMED_FILE_SIZE {
        return Err(too_big());
    }
    String::from_utf8(raw).map_err(|_| "not valid UTF-8".to_string())
}

impl Config {
    /// Reads and validates a config file named on the command line (`--config`).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::load_within(path, None)
    }

    /// Reads and validates a config file found by search (`project::config_in`): the
    /// checkout's own file, so it must stay inside its own directory.
    pub fn load_discovered(path: &Path) -> Result<Config, ConfigError> {
        Config::load_within(path, Some(path.parent().unwrap_or(Path::new(""))))
    }

    /// Reads and validates a config file; a discovered one must stay inside its own directory
    /// (`root`), see `read_named_file`.
    pub fn load_within(path: &Path, root: Option<&Path>) -> Result<Config, ConfigError> {
        // No position: the file itself is the problem (line 0 says so).
        let text = read_named_file(path, root).map_err(|why| ConfigError {
            path: path.to_path_buf(),
            span: None,
            line: 0,
            column: 0,
            message: format!("cannot read config file `{}`: {why}", path.display()),
            text: String::new(),
        })?;
        Config::parse(&text, path)
    }

    /// Parses config text; `path` is for messages and for resolving relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Config, ConfigError> {
        let error_at = |span: Option<std::ops::Range<usize>>, message: String| {
            ConfigError::at(path, text, span, message)
        };
        let mut config: Config = toml::from_str(text).map_err(|e| {
            let message = e.message().trim().to_string();
            // serde names the problem, not always the key: name the key the span sits in.
            let message = match e.span().and_then(|s| key_at(text, s.start)) {
                Some(key) => format!("`{key}`: {message}"),
                None => message,
            };
            error_at(e.span(), message)
        })?;
        config.path = Some(path.to_path_buf());
        config.text = text.to_string();
        // Values serde cannot check: severities and rule codes.
        for (code, sev) in &config.severity {
            if Severity::parse(sev).is_none() {
                let span = find_span(text, sev);
                return Err(error_at(
                    span,
                    format!(
                        "`severity.{code}`: unknown severity `{sev}` (expected note, warning or error)"
                    ),
                ));
            }
        }
        for glob in &config.exclude {
            if let Err(e) = globset::Glob::new(glob) {
                return Err(error_at(
                    find_span(text, glob),
                    format!("`exclude`: bad glob `{glob}`: {}", e.kind()),
                ));
            }
        }
        for glob in config.per_file_ignores.keys() {
            if let Err(e) = globset::Glob::new(glob) {
                return Err(error_at(
                    find_span_after(text, "[per", glob),
                    format!("`per-file-ignores`: bad glob `{glob}`: {}", e.kind()),
                ));
            }
        }
        Ok(config)
    }

    /// Checks `select`, `ignore` and the `[severity]` keys against the rules that exist
    /// (`selector::catalog`) and writes them as the run uses them: names become codes, codes
    /// upper case. An unknown code, prefix or name is an error placed in the file.
    pub fn resolve_rules(&mut self, rules: &[&RuleMeta]) -> Result<(), ConfigError> {
        let path = self.path.clone().unwrap_or_default();
        let text = self.text.clone();
        let error_at = |span: Option<std::ops::Range<usize>>, message: String| {
            ConfigError::at(&path, &text, span, message)
        };
        for key in ["select", "ignore"] {
            let list = if key == "select" {
                &mut self.select
            } else {
                &mut self.ignore
            };
            for item in list.iter_mut() {
                match selector::resolve(item, rules) {
                    Ok(resolved) => *item = resolved,
                    Err(e) => {
                        return Err(error_at(
                            find_span_after(&text, key, item),
                            format!("`{key}`: {e}"),
                        ))
                    }
                }
            }
        }
        let mut severity = BTreeMap::new();
        for (key, level) in std::mem::take(&mut self.severity) {
            match selector::resolve_code(&key, rules) {
                Ok(code) => {
                    severity.insert(code, level);
                }
                Err(e) => {
                    return Err(error_at(
                        find_span_after(&text, "[severity]", &key),
                        format!("`severity`: {e}"),
                    ))
                }
            }
        }
        self.severity = severity;
        for (glob, list) in self.per_file_ignores.iter_mut() {
            for item in list.iter_mut() {
                match selector::resolve(item, rules) {
                    Ok(resolved) => *item = resolved,
                    Err(e) => {
                        return Err(error_at(
                            find_span_after(&text, "[per", item),
                            format!("`per-file-ignores.\"{glob}\"`: {e}"),
                        ))
                    }
                }
            }
        }
        Ok(())
    }

    /// The directory relative paths in the config are resolved against.
    pub fn base_dir(&self) -> PathBuf {
        self.path
            .as_ref()
            .and_then(|p| p.parent())
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."))
    }
}

/// The dotted key (`resources.closers`) whose line holds `offset`, or whose value spans it.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let offset = offset.min(text.len());
    let upto = &text[..offset];
    let line_start = upto.rfind('\n').map_or(0, |i| i + 1);
    let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
    let mut lines: Vec<&str> = text[..line_start].lines().collect();
    lines.push(&text[line_start..line_end]);
    let mut key = None;
    let mut table = None;
    for line in lines.iter().rev() {
        let t = line.trim();
        if let Some(header) = t.strip_prefix('[') {
            table = Some(header.trim_end_matches(']').trim().to_string());
            break;
        }
        if key.is_none() {
            if let Some((k, _)) = t.split_once('=') {
                let k = k.trim().trim_matches('"');
                if !k.is_empty() && !k.contains(['[', ',', '{']) {
                    key = Some(k.to_string());
                }
            }
        }
    }
    match (table, key) {
        (Some(t), Some(k)) => Some(format!("{t}.{k}")),
        (Some(t), None) => Some(t),
        (None, k) => k,
    }
}

fn find_span(text: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    let quoted = format!("\"{needle}\"");
    text.find(&quoted)
        .map(|i| i..i + quoted.len())
        .or_else(|| text.find(needle).map(|i| i..i + needle.len()))
}

/// `needle` where it first appears after the line that starts with `anchor` (the key of a list,
/// or a table header), else anywhere.
fn find_span_after(text: &str, anchor: &str, needle: &str) -> Option<std::ops::Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.trim_start().starts_with(anchor) {
            if let Some(r) = find_span(&text[offset..], needle) {
                return Some(r.start + offset..r.end + offset);
            }
        }
        offset += line.len();
    }
    find_span(text, needle)
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_config_parses() {
        let text = r#"
select = ["WSA0", "WSA101"]
ignore = ["WSA206"]
exclude = ["vendor/**"]
dlls = ["iphlpapi.dll", "dnsapi.dll"]
max_file_size = 1000
[severity]
WSA004 = "error"
[resources]
socket_types = ["curl_socket_t"]
closers = ["sclose"]
"#;
        let c = Config::parse(text, Path::new("wsalint.toml")).unwrap();
        assert_eq!(c.select, ["WSA0", "WSA101"]);
        assert_eq!(c.resources.closers, ["sclose"]);
        assert!(c.resources.is_closer("sclose"));
        assert!(c.resources.is_closer("closesocket"));
        assert_eq!(c.max_file_size, 1000);
    }

    #[test]
    fn per_file_ignores_take_globs_and_selectors() {
        let text = "[per-file-ignores]\n\"tests/**\" = [\"socket-leak\", \"wsa2\"]\n";
        let mut c = Config::parse(text, Path::new("wsalint.toml")).unwrap();
        c.resolve_rules(&selector::catalog(&[])).unwrap();
        assert_eq!(c.per_file_ignores["tests/**"], ["WSA101", "WSA2"]);
        let e =
            Config::parse("[per-file-ignores]\n\"a/[\" = []\n", Path::new("w.toml")).unwrap_err();
        assert_eq!((e.line, e.column), (2, 1));
        assert!(
            e.message.starts_with("`per-file-ignores`: bad glob `a/[`"),
            "{}",
            e.message
        );
        let text = "select = [\"WSA1\"]\n[per-file-ignores]\n\"x.c\" = [\"WSA1\", \"WSA1O1\"]\n";
        let mut c = Config::parse(text, Path::new("w.toml")).unwrap();
        let e = c.resolve_rules(&selector::catalog(&[])).unwrap_err();
        assert_eq!((e.line, e.column), (3, 18));
        assert!(e.message.contains("did you mean `WSA101`"), "{}", e.message);
    }

    #[test]
    fn unknown_key_names_line_and_key() {
        let text = "select = [\"WSA0\"]\nbogus = 1\n";
        let e = Config::parse(text, Path::new("wsalint.toml")).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("bogus"), "{}", e.message);
    }

    #[test]
    fn bad_values_are_errors() {
        let e = Config::parse("[severity]\nWSA001 = \"loud\"\n", Path::new("w.toml")).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("loud"));
        let rules = selector::catalog(&[]);
        let mut c = Config::parse("select = [\"???\"]\n", Path::new("w.toml")).unwrap();
        let e = c.resolve_rules(&rules).unwrap_err();
        assert!(e.message.contains("???"));
        let e = Config::parse("max_file_size = \"big\"\n", Path::new("w.toml")).unwrap_err();
        assert_eq!(e.line, 1);
        assert!(e.message.starts_with("`max_file_size`: "), "{}", e.message);
        let e = Config::parse(
            "[resources]\nclosers = [\n  \"a\",\n  1,\n]\n",
            Path::new("w.toml"),
        )
        .unwrap_err();
        assert_eq!(e.line, 4);
        assert!(
            e.message.starts_with("`resources.closers`: "),
            "{}",
            e.message
        );
    }
}
