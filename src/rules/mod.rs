//! The rule trait, its metadata, and the context a rule sees.
//!
//! A rule is a query (in `queries/`) that finds shapes, plus Rust that decides meaning by asking
//! the facts. The engine runs one combined query per language over each tree and routes every
//! match to its rule by pattern index; after the pass, each rule may look at the whole file
//! (`check_file`, for flow checks), and after all files, at what every file deferred
//! (`finish`, the project-wide phase).

/// Declares each rule's module and lists the rules in `BUILT_IN` (which `registry::RULES`
/// serves): one line per rule, `module::Type`, sorted by code.
macro_rules! rules {
    ($($module:ident::$rule:ident,)*) => {
        $(pub mod $module;)*

        /// Every built-in rule, sorted by code.
        pub static BUILT_IN: &[&dyn Rule] = &[$(&$module::$rule),*];
    };
}

// The built-in rules, one line each, sorted by code (`tests/registry.rs` checks the order).
// Codes are forever.
rules! {
    wsa001_iphlpapi_load_cycle::IphlpapiLoadCycle,
    wsa002_duplicated_socket_early_close::DuplicatedSocketEarlyClose,
    wsa003_duplicatehandle_on_socket::DuplicatehandleOnSocket,
    wsa004_socket_churn_loop::SocketChurnLoop,
    wsa005_ipx_spx_socket::IpxSpxSocket,
    wsa006_unchecked_winsock_result::UncheckedWinsockResult,
    wsa007_overlapped_less_socket_timeout::OverlappedLessSocketTimeout,
    wsa101_socket_leak::SocketLeak,
    wsa102_socket_double_close::SocketDoubleClose,
    wsa103_socket_use_after_close::SocketUseAfterClose,
    wsa104_addrinfo_leak::AddrinfoLeak,
    wsa105_wsastartup_without_cleanup::WsastartupWithoutCleanup,
    wsa106_overlapped_buffer_outlives_frame::OverlappedBufferOutlivesFrame,
    wsa107_inheritable_socket_into_child::InheritableSocketIntoChild,
    wsa201_invalid_socket_comparison::InvalidSocketComparison,
    wsa202_close_on_socket::CloseOnSocket,
    wsa203_errno_for_winsock_error::ErrnoForWinsockError,
    wsa204_socket_truncation::SocketTruncation,
    wsa205_reuseaddr_port_hijack::ReuseaddrPortHijack,
    wsa206_deprecated_winsock_api::DeprecatedWinsockApi,
    wsa207_fd_setsize_after_include::FdSetsizeAfterInclude,
    wsa208_stale_wsagetlasterror::StaleWsaGetLastError,
    wsa209_posix_errno_constant_for_winsock_error::PosixErrnoConstantForWinsockError,
    wsa210_sockopt_timeout_as_timeval::SockoptTimeoutAsTimeval,
    wsa211_udp_connreset_kills_receiver::UdpConnresetKillsReceiver,
    wsa212_winsock_in_dllmain::WinsockInDllmain,
    wsa213_connect_failure_not_in_exceptfds::ConnectFailureNotInExceptfds,
    wsa214_acceptex_missing_update_context::AcceptexMissingUpdateContext,
    wsa215_inet_ntoa_buffer_reuse::InetNtoaBufferReuse,
}

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::path::Path;

use tree_sitter::{Node, QueryCapture};

use crate::config::Config;
use crate::diagnostic::{Diagnostic, Finding, Fix, Related, Severity};
use crate::facts::Facts;
use crate::lang::Lang;
use crate::source::Source;

/// What kind of fix a rule offers (for `wsalint rules` and SARIF).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixKind {
    None,
    Safe,
    Unsafe,
    Suggestion,
}

impl FixKind {
    pub fn as_str(self) -> &'static str {
        match self {
            FixKind::None => "-",
            FixKind::Safe => "safe",
            FixKind::Unsafe => "unsafe",
            FixKind::Suggestion => "suggestion",
        }
    }
}

/// A query file behind a rule.
#[derive(Clone, Copy, Debug)]
pub struct QuerySource {
    /// The file name under `queries/` (or the user's path for a custom rule).
    pub file: &'static str,
    pub text: &'static str,
    /// Only for the C++ grammar (`*.cpp.scm`).
    pub cpp_only: bool,
}

/// Embeds `queries/NAME` at compile time.
#[macro_export]
macro_rules! query {
    ($file:literal) => {
        $crate::rules::QuerySource {
            file: $file,
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/queries/", $file)),
            cpp_only: false,
        }
    };
    ($file:literal, cpp) => {
        $crate::rules::QuerySource {
            file: $file,
            text: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/queries/", $file)),
            cpp_only: true,
        }
    };
}

/// Everything users and outputs know about a rule. The docs are written once, here, in fixed
/// sections (What it does / Why is this bad? / Example / Use instead / Fix safety / References):
/// `wsalint explain`, `wsalint rules` and SARIF help all read them.
#[derive(Debug)]
pub struct RuleMeta {
    pub code: &'static str,
    pub name: &'static str,
    pub severity: Severity,
    pub fix: FixKind,
    /// The KB articles behind the rule, or empty.
    pub source: &'static str,
    /// One line, for tables and SARIF shortDescription.
    pub summary: &'static str,
    /// Markdown documentation.
    pub docs: &'static str,
    pub queries: &'static [QuerySource],
    /// Literal needles: a file that contains none of them cannot produce a finding and is never
    /// parsed (matched ASCII case-insensitively).
    pub needles: &'static [&'static str],
    /// SARIF tags.
    pub tags: &'static [&'static str],
    /// SARIF precision: `very-high`, `high`, `medium`.
    pub precision: &'static str,
    /// GitHub's security-severity (0.0-10.0) for security rules.
    pub security_severity: Option<&'static str>,
    /// The rule runs a flow check in `check_file` (a rule needs a query or a flow check).
    pub flow: bool,
}

impl RuleMeta {
    /// A diagnostic of this rule at `range`.
    pub fn diag(&self, range: Range<usize>, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code: self.code.to_string(),
            name: self.name.to_string(),
            severity: self.severity,
            range,
            message: message.into(),
            related: Vec::new(),
            fix: None,
        }
    }

    /// The rule's full documentation as `wsalint explain` prints it (also SARIF's `help`).
    pub fn explain(&self) -> String {
        let source = if self.source.is_empty() {
            String::new()
        } else {
            format!(", {}", self.source)
        };
        format!(
            "# {} {} ({}, fix: {}{source})\n\n{}\n\n{}",
            self.code,
            self.name,
            self.severity.as_str(),
            self.fix.as_str(),
            self.summary,
            self.docs.trim_end()
        )
    }

    /// The text of one `## NAME` section of the docs, without its heading.
    pub fn section(&self, name: &str) -> Option<&'static str> {
        let heading = format!("## {name}\n");
        let start = self.docs.find(&heading)? + heading.len();
        let rest = &self.docs[start..];
        let end = rest.find("\n## ").map_or(rest.len(), |i| i + 1);
        Some(rest[..end].trim())
    }

    /// The link to the rule's documentation: its section of `docs/rules.md`, which
    /// `tests/registry.rs` keeps equal to what `wsalint explain` prints.
    pub fn help_uri(&self) -> String {
        format!(
            "https://github.com/wsalint/wsalint/blob/main/docs/rules.md#{}-{}",
            self.code.to_ascii_lowercase(),
            self.name
        )
    }
}

impl Diagnostic {
    pub fn with_related(mut self, range: Range<usize>, message: impl Into<String>) -> Diagnostic {
        self.related.push(Related {
            range,
            message: message.into(),
        });
        self
    }

    pub fn with_fix(mut self, fix: Fix) -> Diagnostic {
        self.fix = Some(fix);
        self
    }

    pub fn with_severity(mut self, severity: Severity) -> Diagnostic {
        self.severity = severity;
        self
    }
}

/// One match of a rule's query, with its captures by name.
pub struct Match<'a, 't> {
    /// The pattern's index within the rule's own queries (in file order).
    pub pattern: usize,
    pub captures: &'a [QueryCapture<'t>],
    pub names: &'a [&'a str],
}

impl<'t> Match<'_, 't> {
    /// The first node captured as `name`.
    pub fn get(&self, name: &str) -> Option<Node<'t>> {
        self.nodes(name).next()
    }

    /// Every node captured as `name`.
    pub fn nodes<'b>(&'b self, name: &'b str) -> impl Iterator<Item = Node<'t>> + 'b {
        self.captures
            .iter()
            .filter(move |c| self.names.get(c.index as usize) == Some(&name))
            .map(|c| c.node)
    }
}

/// Something a file tells the project-wide phase: a fact (`loader:my_load`) or a finding that
/// holds only if other files agree.
#[derive(Clone, Debug)]
pub struct Deferred<D> {
    pub code: &'static str,
    pub key: String,
    pub item: Option<D>,
}

/// What a rule sees of the file being linted.
pub struct Ctx<'a, 't> {
    pub path: &'a Path,
    pub source: &'a Source,
    pub text: &'t [u8],
    pub lang: Lang,
    pub root: Node<'t>,
    pub facts: &'a Facts<'t>,
    pub config: &'a Config,
    pub(crate) diagnostics: Vec<Diagnostic>,
    pub(crate) deferred: Vec<Deferred<Diagnostic>>,
    /// The flow analyses of the file (indexed by `Want::index`), run once whichever rules ask
    /// (WSA102 and WSA103 share one); the engine may fill them ahead, in parallel.
    pub(crate) flows: [std::cell::OnceCell<Vec<crate::flow::lifecycle::Problem<'a>>>; 3],
}

impl<'a> Ctx<'a, '_> {
    /// The problems `want` finds in every function of the file.
    pub fn problems(
        &self,
        want: crate::flow::lifecycle::Want,
    ) -> Vec<crate::flow::lifecycle::Problem<'a>> {
        self.flows[want.index()]
            .get_or_init(|| crate::flow::lifecycle::problems_in_file(self.facts, self.config, want))
            .clone()
    }

    /// Double closes and uses after close in every function of the file.
    pub fn close_problems(&self) -> Vec<crate::flow::lifecycle::Problem<'a>> {
        self.problems(crate::flow::lifecycle::Want::Closes)
    }
}

impl<'t> Ctx<'_, 't> {
    pub fn report(&mut self, diag: Diagnostic) {
        self.diagnostics.push(diag);
    }

    /// Hands a fact or a conditional finding to the project-wide phase (`Rule::finish`).
    pub fn defer(
        &mut self,
        meta: &'static RuleMeta,
        key: impl Into<String>,
        diag: Option<Diagnostic>,
    ) {
        self.deferred.push(Deferred {
            code: meta.code,
            key: key.into(),
            item: diag,
        });
    }

    pub fn text_of(&self, node: Node) -> &'t str {
        self.facts.text_of(node)
    }

    /// The file name of the file being linted (`net/compat.h` -> `compat.h`), as the
    /// project-wide phase names files in `IncludeGraph`.
    pub fn file_name(&self) -> String {
        base_name(&self.path.to_string_lossy())
    }

    /// Hands the file's `#include`s to the project-wide phase, for `IncludeGraph`.
    pub fn defer_includes(&mut self, meta: &'static RuleMeta) {
        if self.facts.includes.is_empty() {
            return;
        }
        let headers: Vec<String> = self
            .facts
            .includes
            .iter()
            .map(|i| base_name(&i.header))
            .collect();
        let key = format!("{INCLUDES}{}:{}", self.file_name(), headers.join(":"));
        self.defer(meta, key, None);
    }

    /// The name of the function around `offset`, for messages (`<lambda>` for a lambda,
    /// `<file>` at file level).
    pub fn function_name(&self, offset: usize) -> String {
        match self.facts.function_at(offset) {
            Some(i) if !self.facts.functions[i].name.is_empty() => {
                self.facts.functions[i].name.clone()
            }
            Some(_) => "<lambda>".to_string(),
            None => "<file>".to_string(),
        }
    }
}

/// The prefix of the keys `Ctx::defer_includes` hands to the project-wide phase.
const INCLUDES: &str = "includes:";

/// The file name of a path or an `#include`d header (`../tests/testutil.hpp` -> `testutil.hpp`).
pub fn base_name(path: &str) -> String {
    path.rsplit(['/', '\\']).next().unwrap_or(path).to_string()
}

/// Which files of a run include which, by file name, as each file told the project-wide phase
/// (`Ctx::defer_includes`): how a rule learns what the headers a file includes define, when
/// those headers are files of the run.
pub struct IncludeGraph<'a> {
    includes: HashMap<&'a str, Vec<&'a str>>,
}

impl<'a> IncludeGraph<'a> {
    pub fn from_deferred<D>(deferred: &[&'a Deferred<D>]) -> IncludeGraph<'a> {
        let mut includes: HashMap<&str, Vec<&str>> = HashMap::new();
        for d in deferred {
            if let Some(rest) = d.key.strip_prefix(INCLUDES) {
                let mut parts = rest.split(':');
                if let Some(file) = parts.next() {
                    includes.entry(file).or_default().extend(parts);
                }
            }
        }
        IncludeGraph { includes }
    }

    /// Whether `file` includes, directly or through other files of the run, one of `files`.
    pub fn reaches(&self, file: &str, files: &HashSet<&str>) -> bool {
        let mut seen: HashSet<&str> = HashSet::new();
        let mut queue: Vec<&str> = self.includes.get(file).cloned().unwrap_or_default();
        while let Some(h) = queue.pop() {
            if !seen.insert(h) {
                continue;
            }
            if files.contains(h) {
                return true;
            }
            if let Some(next) = self.includes.get(h) {
                queue.extend(next.iter().copied());
            }
        }
        false
    }
}

/// A rule: metadata, plus any of the three hooks.
pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// Called for every match of one of the rule's query patterns.
    fn check_match(&self, _ctx: &mut Ctx, _m: &Match) {}

    /// Called once per file after the query pass (flow checks).
    fn check_file(&self, _ctx: &mut Ctx) {}

    /// Calls the rule looks for inside the file's own helper functions
    /// (`Facts::functions_calling`): a function around one of them stays in a partial parse
    /// (see `partial`), or the rule would not see the wrapper.
    fn helper_calls(&self) -> &'static [&'static str] {
        &[]
    }

    /// The project-wide phase: what every file deferred for this rule, in path order.
    fn finish(&self, _deferred: &[&Deferred<Finding>]) -> Vec<Finding> {
        Vec::new()
    }
}
