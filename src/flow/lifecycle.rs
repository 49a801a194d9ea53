//! The lifecycle of sockets and `addrinfo` lists inside one function, over its control-flow
//! graph: a forward dataflow whose state is, per tracked variable, the set of what it may hold
//! on the paths reaching a point (nothing of ours, an open resource, a closed one, one that has
//! escaped, or something we do not own).
//!
//! The resource model comes from `[resources]` in the config: creators, closers (users add their
//! wrappers), owners (functions that take ownership) and validity checks (`sock_ok(s)`).
//! A resource escapes when it is returned, stored anywhere but a plain local, passed to a
//! function outside the model, or has its address taken; passing it to a Winsock call
//! (`send`, `connect`, `setsockopt`, `FD_SET`...) is a use. Branches that test a creation's
//! result (`s == INVALID_SOCKET`, `s < 0`, `!s`, `getaddrinfo(...) != 0`, `rc != 0` for the
//! status of a lookup, configured `valid_checks`) refine the state, so failed creations do not
//! leak and cleanup code guarded by a validity test is understood.

use std::collections::HashMap;

use tree_sitter::Node;

use crate::config::Config;
use crate::facts::{unwrap_casts, unwrap_parens, Call, DeclKind, Facts};
use crate::flow::cfg::{Cfg, Item};
use crate::node::NodeExt;

/// What a tracked resource is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Socket,
    AddrInfo,
}

/// Lookups that return an `addrinfo` list, with the index of the result argument.
pub const LOOKUPS: &[(&str, usize)] = &[
    ("getaddrinfo", 3),
    ("GetAddrInfoA", 3),
    ("GetAddrInfoW", 3),
    ("GetAddrInfoEx", 5),
    ("GetAddrInfoExA", 5),
    ("GetAddrInfoExW", 5),
];

/// The calls that free an `addrinfo` list.
pub const FREERS: &[&str] = &[
    "freeaddrinfo",
    "FreeAddrInfoA",
    "FreeAddrInfoW",
    "FreeAddrInfoEx",
    "FreeAddrInfoExA",
    "FreeAddrInfoExW",
];

/// Closers of portable code besides the configured ones (`close(fd)` in a POSIX branch).
const PORTABLE_CLOSERS: &[&str] = &["close", "_close"];

/// Calls that use a socket without taking it over (a use, not an escape).
pub const USES: &[&str] = &[
    "send",
    "recv",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "connect",
    "bind",
    "listen",
    "accept",
    "accept4",
    "WSAAccept",
    "AcceptEx",
    "setsockopt",
    "getsockopt",
    "ioctlsocket",
    "ioctl",
    "fcntl",
    "shutdown",
    "getsockname",
    "getpeername",
    "WSASend",
    "WSARecv",
    "WSASendTo",
    "WSARecvFrom",
    "WSASendMsg",
    "WSARecvMsg",
    "WSAIoctl",
    "WSAConnect",
    "WSAConnectByNameA",
    "WSAConnectByNameW",
    "WSAEventSelect",
    "WSAAsyncSelect",
    "WSADuplicateSocket",
    "WSADuplicateSocketA",
    "WSADuplicateSocketW",
    "WSAGetOverlappedResult",
    "TransmitFile",
    "ConnectEx",
    "DisconnectEx",
    "WSASendDisconnect",
    "WSARecvDisconnect",
    "FD_SET",
    "FD_CLR",
    "FD_ISSET",
    "read",
    "write",
];

/// Something wrong on a path.
#[derive(Clone, Debug)]
pub enum Problem<'t> {
    /// A resource created at `created` is still open at `at`.
    Leak {
        kind: Kind,
        var: String,
        created: Node<'t>,
        at: Node<'t>,
        how: LeakHow,
    },
    /// `second` closes what `first` already closed.
    DoubleClose {
        var: String,
        second: Node<'t>,
        first: Node<'t>,
    },
    /// `at` (a call to `callee`) uses what `close` closed.
    UseAfterClose {
        var: String,
        at: Node<'t>,
        callee: String,
        close: Node<'t>,
    },
}

/// Where a leak happens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakHow {
    Return,
    End,
    Overwrite,
    Scope,
}

/// Which problems a caller wants (each rule asks only for its own).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Want {
    SocketLeak,
    AddrInfoLeak,
    Closes,
}

impl Want {
    pub const ALL: [Want; 3] = [Want::SocketLeak, Want::AddrInfoLeak, Want::Closes];

    /// The rules that report these problems.
    pub fn codes(self) -> &'static [&'static str] {
        match self {
            Want::SocketLeak => &["WSA101"],
            Want::AddrInfoLeak => &["WSA104"],
            Want::Closes => &["WSA102", "WSA103"],
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// The resource model of a run.
pub struct Model<'c> {
    config: &'c Config,
}

impl<'c> Model<'c> {
    pub fn new(config: &'c Config) -> Model<'c> {
        Model { config }
    }

    fn is_creator(&self, call: &Call) -> bool {
        !call.member
            && !call.written.trim_start_matches("::").contains("::")
            && self.config.resources.is_creator(&call.name)
    }

    fn lookup_result(&self, call: &Call) -> Option<usize> {
        if call.member {
            return None;
        }
        LOOKUPS
            .iter()
            .find(|(n, _)| *n == call.name)
            .map(|(_, i)| *i)
    }

    fn is_closer(&self, call: &Call) -> bool {
        !call.member
            && (self.config.resources.is_closer(&call.name)
                || PORTABLE_CLOSERS.contains(&call.name.as_str())
                || FREERS.contains(&call.name.as_str()))
    }

    fn is_use(&self, call: &Call) -> bool {
        !call.member && USES.contains(&call.name.as_str())
    }

    /// Whether a call cannot assign a variable of the program: a call of the model (creators,
    /// closers, lookups, uses, validity checks) or a known call of the C runtime, Winsock or
    /// Windows, and any call that prints or logs.
    fn leaves_variables_alone(&self, call: &Call) -> bool {
        if call.member {
            return crate::facts::library::is_output_call(&call.name);
        }
        self.is_creator(call)
            || self.lookup_result(call).is_some()
            || self.is_closer(call)
            || self.is_use(call)
            || self.is_valid_check(call)
            || crate::facts::library::is_library_call(&call.name)
    }

    fn is_owner(&self, call: &Call) -> bool {
        self.config.resources.owners.contains(&call.name)
    }

    fn is_valid_check(&self, call: &Call) -> bool {
        self.config.resources.valid_checks.contains(&call.name)
    }

    /// Whether a function holds a call this analysis is about, for `want`.
    pub fn relevant(&self, facts: &Facts, func: usize, want: Want) -> bool {
        let f = &facts.functions[func];
        facts
            .calls_in(f.body.byte_range())
            .filter(|c| c.function == Some(func))
            .any(|c| match want {
                Want::SocketLeak => self.is_creator(c),
                Want::AddrInfoLeak => self.lookup_result(c).is_some(),
                Want::Closes => {
                    self.is_closer(c)
                        && !FREERS.contains(&c.name.as_str())
                        && (!PORTABLE_CLOSERS.contains(&c.name.as_str())
                            || c.args.iter().any(|a| facts.holds_socket(*a)))
                }
            })
    }
}

/// The problems `want` asks for in every function of a file that holds a relevant call.
pub fn problems_in_file<'t>(facts: &'t Facts<'t>, config: &Config, want: Want) -> Vec<Problem<'t>> {
    let found = problems_by_want(facts, config, &[want]);
    found.into_iter().flat_map(|(_, p)| p).collect()
}

/// The problems each of `wants` asks for in every function of a file that holds a call
/// relevant to it, in the order of the functions. Functions are analyzed in parallel: the
/// language server lints one large file at a time, and `check` lints many (there, rayon's
/// workers are busy with other files anyway).
pub fn problems_by_want<'t>(
    facts: &'t Facts<'t>,
    config: &Config,
    wants: &[Want],
) -> Vec<(Want, Vec<Problem<'t>>)> {
    use rayon::prelude::*;
    let model = Model::new(config);
    let relevant: Vec<(usize, Vec<Want>)> = (0..facts.functions.len())
        .filter_map(|f| {
            let wanted: Vec<Want> = wants
                .iter()
                .copied()
                .filter(|&w| model.relevant(facts, f, w))
                .collect();
            (!wanted.is_empty()).then_some((f, wanted))
        })
        .collect();
    let found: Vec<Vec<(Want, Vec<Problem<'t>>)>> = relevant
        .par_iter()
        .with_min_len(4)
        .map(|(f, wanted)| analyze_for(facts, &model, *f, wanted))
        .collect();
    let mut out: Vec<(Want, Vec<Problem<'t>>)> = wants.iter().map(|&w| (w, Vec::new())).collect();
    for (want, problems) in found.into_iter().flatten() {
        if let Some((_, all)) = out.iter_mut().find(|(w, _)| *w == want) {
            all.extend(problems);
        }
    }
    out
}

/// The function that frees what `lookup` returns.
pub fn freer_of(lookup: &str) -> &'static str {
    match lookup {
        "GetAddrInfoW" => "FreeAddrInfoW",
        "GetAddrInfoEx" | "GetAddrInfoExA" => "FreeAddrInfoEx",
        "GetAddrInfoExW" => "FreeAddrInfoExW",
        _ => "freeaddrinfo",
    }
}

/// A variable (or field path) the analysis follows.
#[derive(Clone, Debug, PartialEq)]
struct Var {
    key: String,
    /// The identifier the key starts with (`c` for `c->fd`).
    base: String,
    /// A plain local of the function: only these can leak.
    local: bool,
    /// A global, a static or a field reached through a pointer or `this`: a function the
    /// analysis cannot see into may assign it.
    shared: bool,
    /// The scope of a local (its compound statement).
    scope: Option<std::ops::Range<usize>>,
    /// What a lookup fills (a list pointer: non-null means valid).
    kind_hint: Option<Kind>,
}

#[derive(Clone, Copy, Debug)]
enum Ev<'t> {
    Create {
        var: usize,
        call: Node<'t>,
    },
    Close {
        var: usize,
        call: Node<'t>,
    },
    Use {
        var: usize,
        call: Node<'t>,
    },
    Escape {
        var: usize,
    },
    /// Assigned an invalid value (`INVALID_SOCKET`, `NULL`) or declared without one.
    Reset {
        var: usize,
        at: Node<'t>,
    },
    /// Assigned something else.
    Assign {
        var: usize,
        at: Node<'t>,
    },
    /// Written through something we cannot follow: no longer ours to judge.
    Forget {
        var: usize,
    },
    /// A flag variable takes a constant (or an unknown value).
    Flag {
        flag: usize,
        value: Option<Val>,
    },
}

/// The value of a flag: a number, or a named constant the file does not define.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
enum Val {
    Int(i64),
    /// Index into `Analysis::symbols`.
    Sym(usize),
}

/// What a leaf condition says about a flag: `f == K` (or `f != K` negated), or `f` (non-zero).
#[derive(Clone, Copy, Debug)]
struct FlagTest {
    flag: usize,
    eq: Option<Val>,
    negate: bool,
}

/// The most flag valuations kept apart at one point; beyond it they merge.
const MAX_ENTRIES: usize = 8;
/// The most flags followed per function.
const MAX_FLAGS: usize = 4;

/// One disjunct of the state: flag values and what each tracked variable may hold.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Entry<'t> {
    flags: Vec<Option<Val>>,
    vars: Vec<VarState<'t>>,
}

/// What a leaf condition says about a variable: when true / when false, whether it holds a
/// valid resource (`Some(true)`), none (`Some(false)`), or nothing is learned.
#[derive(Clone, Copy, Debug)]
struct Test {
    var: usize,
    when_true: Option<bool>,
    when_false: Option<bool>,
    /// The test is of a close's result: `Some(false)` means the close failed.
    close: bool,
}

const NONE: u8 = 1;
const OPEN: u8 = 2;
const CLOSED: u8 = 4;
const ESCAPED: u8 = 8;
const UNKNOWN: u8 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct VarState<'t> {
    bits: u8,
    created: Option<Node<'t>>,
    closed: Option<Node<'t>>,
}

fn earlier<'t>(a: Option<Node<'t>>, b: Option<Node<'t>>) -> Option<Node<'t>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(if y.start_byte() < x.start_byte() {
            y
        } else {
            x
        }),
        (x, None) => x,
        (None, y) => y,
    }
}

impl<'t> VarState<'t> {
    fn join(&mut self, other: &VarState<'t>) -> bool {
        let before = *self;
        self.bits |= other.bits;
        self.created = earlier(self.created, other.created);
        self.closed = earlier(self.closed, other.closed);
        *self != before
    }
}

/// The analysis of one function.
struct Analysis<'a, 't> {
    facts: &'a Facts<'t>,
    model: &'a Model<'a>,
    func: usize,
    vars: Vec<Var>,
    by_key: HashMap<String, usize>,
    /// Plain locals that copy a tracked variable: their escapes are its escapes.
    aliases: HashMap<String, usize>,
    /// Status variables of lookups: `rc = getaddrinfo(..., &res)` maps `rc` to `res`.
    status: HashMap<String, usize>,
    /// Local error flags whose constant values keep paths apart (`rc = -1` ... `if (rc != 0)`).
    flags: Vec<String>,
    symbols: Vec<String>,
}

/// Runs the analysis over one function and returns what `want` asks for.
pub fn analyze<'t>(
    facts: &'t Facts<'t>,
    model: &Model,
    func: usize,
    want: Want,
) -> Vec<Problem<'t>> {
    let found = analyze_for(facts, model, func, &[want]);
    found.into_iter().flat_map(|(_, p)| p).collect()
}

/// Runs the analysis over one function for each of `wants`. Wants that follow the same
/// variables share one control-flow graph and one pass over it: the pass depends on the
/// variables alone, and only what is read from its findings differs.
fn analyze_for<'t>(
    facts: &'t Facts<'t>,
    model: &Model,
    func: usize,
    wants: &[Want],
) -> Vec<(Want, Vec<Problem<'t>>)> {
    let f = &facts.functions[func];
    // Tree-sitter's guesses inside syntax errors make paths up.
    if facts.in_error(f.body.byte_range()) {
        return Vec::new();
    }
    let mut passes: Vec<(Analysis, Vec<Want>)> = Vec::new();
    for &want in wants {
        let mut a = Analysis {
            facts,
            model,
            func,
            vars: Vec::new(),
            by_key: HashMap::new(),
            aliases: HashMap::new(),
            status: HashMap::new(),
            flags: Vec::new(),
            symbols: Vec::new(),
        };
        a.collect_vars(want);
        if a.vars.is_empty() {
            continue;
        }
        let same = passes
            .iter_mut()
            .find(|(b, _)| b.vars == a.vars && b.status == a.status);
        match same {
            Some((_, shared)) => shared.push(want),
            None => passes.push((a, vec![want])),
        }
    }
    if passes.is_empty() {
        return Vec::new();
    }
    let cfg = Cfg::of_function(f.body, facts);
    let mut out = Vec::new();
    for (mut a, shared) in passes {
        a.collect_aliases(&cfg);
        a.collect_flags(&cfg);
        let sink = a.run(&cfg);
        for want in shared {
            out.push((want, sink.clone().finish(&a, want)));
        }
    }
    out
}

/// The key of an expression that names a variable or a field path (`s`, `c->fd`,
/// `this->m_sock`), or `None`.
fn key_of(facts: &Facts, node: Node) -> Option<String> {
    let node = unwrap_casts(node);
    if !matches!(node.kind_name(), "identifier" | "field_expression") {
        return None;
    }
    let key = facts.socket_key(node);
    let valid = key.split("->").flat_map(|p| p.split('.')).all(|p| {
        !p.is_empty()
            && !p.as_bytes()[0].is_ascii_digit()
            && p.bytes().all(crate::lang::is_ident_byte)
    });
    valid.then_some(key)
}

/// Whether the text of `node` holds one of `words` as a whole word.
fn mentions(text: &[u8], node: Node, words: &[String]) -> bool {
    let text = &text[node.byte_range()];
    words
        .iter()
        .any(|w| crate::lang::has_word(text, w.as_bytes()))
}

fn base_of(key: &str) -> &str {
    key.split("->")
        .next()
        .and_then(|p| p.split('.').next())
        .unwrap_or(key)
}

/// Names that hold no resource: `INVALID_SOCKET`, `CURL_SOCKET_BAD`, `-1`, `NULL`, `nullptr`.
fn is_invalid_constant(facts: &Facts, node: Node) -> bool {
    let node = unwrap_casts(node);
    let t = facts.text_of(node).trim();
    match node.kind_name() {
        "null" | "nullptr" => true,
        "number_literal" => t == "0" || t == "-1",
        "unary_expression" => matches!(t.replace(' ', "").as_str(), "-1" | "~0"),
        "identifier" => {
            t == "NULL"
                || t == "SOCKET_ERROR"
                || (t
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b == b'_' || b.is_ascii_digit())
                    && (t.contains("INVALID") || t.ends_with("_BAD")))
        }
        _ => false,
    }
}

/// `0`, `NO_ERROR`, `ERROR_SUCCESS`, `S_OK`: a status that says the call succeeded.
fn is_success_status(facts: &Facts, node: Node) -> bool {
    let node = unwrap_casts(node);
    let t = facts.text_of(node).trim();
    matches!(t, "0" | "NO_ERROR" | "ERROR_SUCCESS" | "S_OK" | "0L")
}

/// How many parentheses, casts and arms `value_context` goes up through: each occurrence walks
/// up, so a chain of 100,000 `?:` would be quadratic.
const MAX_VALUE_WRAPPERS: usize = 32;

/// The node whose value an expression passes on: up through parentheses, casts and the arms
/// of `?:` and `,`; no parent past `MAX_VALUE_WRAPPERS` of them.
fn value_context<'t>(facts: &Facts<'t>, mut node: Node<'t>) -> (Node<'t>, Option<Node<'t>>) {
    for _ in 0..MAX_VALUE_WRAPPERS {
        let Some(p) = facts.parent(node) else { break };
        let through = match p.kind_name() {
            "parenthesized_expression" | "cast_expression" => true,
            "conditional_expression" => p.field("condition") != Some(node),
            "comma_expression" => p.field("right") == Some(node),
            _ => false,
        };
        if !through {
            return (node, Some(p));
        }
        node = p;
    }
    (node, None)
}

impl<'a, 't> Analysis<'a, 't> {
    fn var(&mut self, key: String, facts: &Facts, at: Node) -> usize {
        if let Some(&i) = self.by_key.get(&key) {
            return i;
        }
        let func = &facts.functions[self.func];
        let decl = (!key.contains("->") && !key.contains('.'))
            .then(|| facts.decl_of(&key, at.start_byte()))
            .flatten();
        let local = decl.is_some_and(|d| {
            d.kind == DeclKind::Local
                && func.node.byte_range().contains(&d.range.start)
                && !is_static(facts, func.node, d.range.clone())
        });
        let scope = decl.filter(|_| local).map(|d| d.scope.clone());
        // `c.fd` of a local struct or a parameter passed by value is no other function's.
        let base = base_of(&key);
        let shared = key.contains("->")
            || facts
                .decl_of(base, at.start_byte())
                .is_none_or(|d| match d.kind {
                    DeclKind::Local => is_static(facts, func.node, d.range.clone()),
                    DeclKind::Param => false,
                    DeclKind::Global | DeclKind::Field => true,
                });
        self.vars.push(Var {
            base: base.to_string(),
            key: key.clone(),
            local,
            shared,
            scope,
            kind_hint: None,
        });
        self.by_key.insert(key, self.vars.len() - 1);
        self.vars.len() - 1
    }

    /// The words that every mention of a followed variable, alias or flag holds: each
    /// variable's base (`c` of `c->fd`), each alias and flag name. `None` when one is not a name.
    fn followed_words(&self) -> Option<Vec<String>> {
        let bases = self.vars.iter().map(|v| v.base.as_str());
        let names = self.aliases.keys().chain(&self.flags).map(String::as_str);
        let mut words: Vec<String> = Vec::new();
        for word in bases.chain(names) {
            if word.is_empty() || !word.bytes().all(crate::lang::is_ident_byte) {
                return None;
            }
            if !words.iter().any(|w| w == word) {
                words.push(word.to_string());
            }
        }
        Some(words)
    }

    /// The variables created, closed or freed in the function.
    fn collect_vars(&mut self, want: Want) {
        let facts = self.facts;
        let body = facts.functions[self.func].body;
        let func = self.func;
        for call in facts
            .calls_in(body.byte_range())
            .filter(|c| c.function == Some(func))
        {
            if self.model.is_creator(call) {
                if want != Want::AddrInfoLeak {
                    if let Some(k) = self.created_into(call.node).and_then(|t| key_of(facts, t)) {
                        self.var(k, facts, call.node);
                    }
                }
            } else if let Some(i) = self.model.lookup_result(call) {
                if want == Want::AddrInfoLeak {
                    if let Some(k) = lookup_target(facts, call, i) {
                        let v = self.var(k, facts, call.node);
                        if let Some(s) =
                            creation_target(facts, call.node).and_then(|t| key_of(facts, t))
                        {
                            self.status.insert(s, v);
                        }
                    }
                }
            } else if self.model.is_closer(call) {
                let freer = FREERS.contains(&call.name.as_str());
                if (want == Want::AddrInfoLeak) != freer && want != Want::SocketLeak {
                    continue;
                }
                // `close(fd)` closes files too: follow only what holds a socket.
                let portable = PORTABLE_CLOSERS.contains(&call.name.as_str());
                for arg in &call.args {
                    if portable && !facts.holds_socket(*arg) {
                        continue;
                    }
                    if let Some(k) = key_of(facts, *arg) {
                        self.var(k, facts, call.node);
                    }
                }
            }
        }
        if want == Want::SocketLeak && !self.vars.iter().any(|v| v.local) {
            self.vars.clear();
        }
        if want == Want::AddrInfoLeak && !self.vars.iter().any(|v| v.local) {
            self.vars.clear();
        }
    }

    /// The variable a creation's result goes to (see `creation_target`), when the value
    /// assigned is a creation: `v6 ? socket(...) : socket(...)` is, `have ? have : socket(...)`
    /// is not (the variable may hold what it was given).
    fn created_into(&self, call: Node<'t>) -> Option<Node<'t>> {
        let target = creation_target(self.facts, call)?;
        let (value, _) = value_context(self.facts, call);
        is_creation(self, value).then_some(target)
    }

    /// `tmp = s` and `SOCKET tmp = s` where `tmp` is a plain local that is not followed itself.
    fn collect_aliases(&mut self, cfg: &Cfg<'t>) {
        let facts = self.facts;
        let followed = self.followed_words();
        for block in &cfg.blocks {
            for item in &block.items {
                let (Item::Stmt(n) | Item::Cond(n)) = item else {
                    continue;
                };
                if followed
                    .as_ref()
                    .is_some_and(|w| !mentions(facts.text, *n, w))
                {
                    continue;
                }
                crate::facts::walk(*n, |node| {
                    let (target, value) = match node.kind_name() {
                        "assignment_expression" => (node.field("left"), node.field("right")),
                        "init_declarator" => (
                            node.field("declarator")
                                .and_then(|d| crate::facts::declarator_name(d).0),
                            node.field("value"),
                        ),
                        _ => return,
                    };
                    let (Some(t), Some(v)) = (target, value) else {
                        return;
                    };
                    let Some(vk) = key_of(facts, v) else { return };
                    let Some(&var) = self.by_key.get(&vk) else {
                        return;
                    };
                    if t.kind_name() != "identifier" {
                        return;
                    }
                    let name = facts.text_of(t);
                    if self.by_key.contains_key(name) {
                        return;
                    }
                    let local = facts.decl_of(name, t.start_byte()).is_some_and(|d| {
                        d.kind == DeclKind::Local
                            && !is_static(facts, facts.functions[self.func].node, d.range.clone())
                    });
                    if local {
                        self.aliases.insert(name.to_string(), var);
                    }
                });
            }
        }
    }

    /// The events of one statement or condition, in evaluation order.
    fn events(&self, item: Node<'t>) -> Vec<(usize, Ev<'t>)> {
        let facts = self.facts;
        let mut out: Vec<(usize, Ev<'t>)> = Vec::new();
        // `for (SOCKET fd : fds)`: each iteration binds a new value.
        // (`parent` walks down from the root: only asked of what can be such a declarator, or
        // deeply nested code turns quadratic.)
        let followed_by_colon = || {
            let rest = facts.text.get(item.end_byte()..).unwrap_or_default();
            let rest = rest.trim_ascii_start();
            rest.starts_with(b":") && !rest.starts_with(b"::")
        };
        let maybe_declarator = item.kind_name().ends_with("declarator")
            || (item.kind_name() == "identifier" && followed_by_colon());
        let range_for = maybe_declarator
            .then(|| facts.parent(item))
            .flatten()
            .filter(|p| p.kind_name() == "for_range_loop" && p.field("declarator") == Some(item));
        if range_for.is_some() {
            let name = crate::facts::declarator_name(item)
                .0
                .map(|n| facts.text_of(n))
                .unwrap_or_else(|| facts.text_of(item));
            if let Some(&var) = self.by_key.get(name) {
                out.push((item.end_byte(), Ev::Forget { var }));
            }
            return out;
        }
        crate::facts::walk_pruned(item, |node| {
            let mut descend = true;
            match node.kind_name() {
                "lambda_expression" => {
                    // Whatever a lambda captures may live on after the function.
                    crate::facts::walk(node, |n| {
                        if n.kind_name() == "identifier" {
                            let name = facts.text_of(n);
                            for (i, v) in self.vars.iter().enumerate() {
                                if v.key == name || v.base == name {
                                    out.push((n.start_byte(), Ev::Escape { var: i }));
                                }
                            }
                            if let Some(&i) = self.aliases.get(name) {
                                out.push((n.start_byte(), Ev::Escape { var: i }));
                            }
                        }
                    });
                    descend = false;
                }
                "call_expression" => self.call_events(node, &mut out),
                // `Socket owned(raw);` parses as a function declaration whose parameter type
                // is `raw`: C++'s most vexing parse hands the socket to a constructor.
                "type_identifier" => {
                    if let Some(&var) = self.by_key.get(facts.text_of(node)) {
                        if facts.enclosing_kind(node, &["parameter_list"]).is_some() {
                            out.push((node.start_byte(), Ev::Escape { var }));
                        }
                    }
                }
                "assignment_expression" => {
                    if let Some(left) = node.field("left") {
                        let op = node.field("operator").map(|o| o.kind_name());
                        let value = node.field("right");
                        self.write_events(left, value.filter(|_| op == Some("=")), node, &mut out);
                    }
                }
                "update_expression" => {
                    if let Some(arg) = node.field("argument") {
                        self.write_events(arg, None, node, &mut out);
                    }
                }
                "pointer_expression" if !self.flags.is_empty() => {
                    let addr = node.field("operator").map(|o| o.kind_name()) == Some("&");
                    let name = node
                        .field("argument")
                        .map(|a| facts.text_of(unwrap_parens(a)));
                    if let (true, Some(flag)) = (
                        addr,
                        name.and_then(|n| self.flags.iter().position(|f| f == n)),
                    ) {
                        out.push((node.end_byte(), Ev::Flag { flag, value: None }));
                    }
                }
                "declaration" => {
                    let mut cursor = node.walk();
                    for d in node.children_by_field_name("declarator", &mut cursor) {
                        let (name, pointer) = crate::facts::declarator_name(d);
                        let Some(name) = name else { continue };
                        let value = (d.kind_name() == "init_declarator")
                            .then(|| d.field("value"))
                            .flatten();
                        let key = facts.text_of(name);
                        // A fresh `cp` means fresh `cp->fd`.
                        for (i, v) in self.vars.iter().enumerate() {
                            if v.key != key && v.base == key {
                                out.push((d.end_byte(), Ev::Forget { var: i }));
                            }
                        }
                        if let Some(flag) = self.flags.iter().position(|f| f == key) {
                            let value = (d.kind_name() == "init_declarator")
                                .then(|| d.field("value"))
                                .flatten()
                                .and_then(|v| self.const_value(v));
                            out.push((d.end_byte(), Ev::Flag { flag, value }));
                            continue;
                        }
                        let Some(&var) = self.by_key.get(key) else {
                            continue;
                        };
                        let _ = pointer;
                        match value {
                            None => out.push((d.end_byte(), Ev::Reset { var, at: d })),
                            Some(v) if is_invalid_constant(facts, v) => {
                                out.push((d.end_byte(), Ev::Reset { var, at: d }))
                            }
                            Some(v) if is_creation(self, v) => {}
                            // A fresh variable takes something we do not own.
                            Some(_) => out.push((d.end_byte(), Ev::Forget { var })),
                        }
                    }
                }
                // An identifier is its own key: looked up without building one.
                "identifier" => {
                    let key = facts.text_of(node);
                    if let Some(&var) = self.by_key.get(key) {
                        self.occurrence(node, var, false, &mut out);
                        descend = false;
                    } else if let Some(&var) = self.aliases.get(key) {
                        self.occurrence(node, var, true, &mut out);
                        descend = false;
                    }
                }
                "field_expression" => {
                    if let Some(key) = key_of(facts, node) {
                        if let Some(&var) = self.by_key.get(&key) {
                            self.occurrence(node, var, false, &mut out);
                            descend = false;
                        } else if let Some(&var) = self.aliases.get(&key) {
                            self.occurrence(node, var, true, &mut out);
                            descend = false;
                        }
                    }
                }
                _ => {}
            }
            descend
        });
        // Evaluation order: by position, a write after what it evaluates.
        out.sort_by_key(|(pos, _)| *pos);
        out
    }

    fn call_events(&self, node: Node<'t>, out: &mut Vec<(usize, Ev<'t>)>) {
        let facts = self.facts;
        let Some(call) = facts.call_of(node) else {
            return;
        };
        let end = node.end_byte();
        if self.model.is_creator(call) {
            if let Some(k) = self.created_into(node).and_then(|t| key_of(facts, t)) {
                if let Some(&var) = self.by_key.get(&k) {
                    out.push((end, Ev::Create { var, call: node }));
                }
            }
        } else if let Some(i) = self.model.lookup_result(call) {
            if let Some(k) = lookup_target(facts, call, i) {
                if let Some(&var) = self.by_key.get(&k) {
                    out.push((end, Ev::Create { var, call: node }));
                }
            }
        }
    }

    /// A write to `left` (with the assigned value for a plain `=`).
    fn write_events(
        &self,
        left: Node<'t>,
        value: Option<Node<'t>>,
        at: Node<'t>,
        out: &mut Vec<(usize, Ev<'t>)>,
    ) {
        let facts = self.facts;
        let Some(key) = key_of(facts, left) else {
            return;
        };
        let end = at.end_byte();
        // Fields reached through what is written are no longer the ones we followed.
        for (i, v) in self.vars.iter().enumerate() {
            if v.key != key && (v.base == key || v.key.starts_with(&format!("{key}->"))) {
                out.push((end, Ev::Forget { var: i }));
            }
        }
        if let Some(flag) = self.flags.iter().position(|f| *f == key) {
            let value = value.and_then(|v| self.const_value(v));
            out.push((end, Ev::Flag { flag, value }));
            return;
        }
        let Some(&var) = self.by_key.get(&key) else {
            return;
        };
        match value {
            Some(v) if is_creation(self, v) => {}
            Some(v) if is_invalid_constant(facts, v) => out.push((end, Ev::Reset { var, at })),
            _ => out.push((end, Ev::Assign { var, at })),
        }
    }

    /// An occurrence of a tracked variable (or of an alias of one): what its context does.
    fn occurrence(&self, node: Node<'t>, var: usize, alias: bool, out: &mut Vec<(usize, Ev<'t>)>) {
        let facts = self.facts;
        let (value, parent) = value_context(facts, node);
        let Some(parent) = parent else {
            // Wrapped too deep to follow: where the value goes is unknown, so it escapes.
            out.push((node.start_byte(), Ev::Escape { var }));
            return;
        };
        let pos = node.start_byte();
        let escape = (pos, Ev::Escape { var });
        match parent.kind_name() {
            "argument_list" => {
                let Some(call_node) = facts
                    .parent(parent)
                    .filter(|p| p.kind_name() == "call_expression")
                else {
                    // A constructor argument: `Socket sock(s);`, `new Conn(s)`.
                    out.push(escape);
                    return;
                };
                let Some(call) = facts.call_of(call_node) else {
                    out.push(escape);
                    return;
                };
                let pos = call_node.end_byte();
                if self.model.is_owner(call) {
                    out.push((pos, Ev::Escape { var }));
                } else if alias {
                    // An element of a list walked through an alias is used, not handed over.
                    let list = self.vars[var].kind_hint == Some(Kind::AddrInfo);
                    if (!list || self.model.is_closer(call))
                        && !self.model.is_use(call)
                        && self.check_polarity(call).is_none()
                    {
                        out.push((pos, Ev::Escape { var }));
                    }
                } else if self.model.is_closer(call) {
                    out.push((
                        pos,
                        Ev::Close {
                            var,
                            call: call_node,
                        },
                    ));
                } else if self.model.is_use(call) {
                    out.push((
                        call_node.start_byte(),
                        Ev::Use {
                            var,
                            call: call_node,
                        },
                    ));
                } else if self.check_polarity(call).is_some()
                    || self.model.lookup_result(call).is_some()
                    || self.model.is_creator(call)
                    || formats(facts, call, value)
                {
                } else {
                    out.push((pos, Ev::Escape { var }));
                }
            }
            "assignment_expression" => {
                if parent.field("left") == Some(value) {
                    return;
                }
                let target = parent.field("left");
                let to_alias = target
                    .and_then(|t| key_of(facts, t))
                    .is_some_and(|k| self.aliases.contains_key(&k));
                if !to_alias || alias {
                    out.push(escape);
                }
            }
            "init_declarator" => {
                if parent.field("value") != Some(value) {
                    return;
                }
                let target = parent
                    .field("declarator")
                    .and_then(|d| crate::facts::declarator_name(d).0)
                    .map(|n| facts.text_of(n));
                let to_alias = target.is_some_and(|k| self.aliases.contains_key(k));
                if !to_alias || alias {
                    out.push(escape);
                }
            }
            "return_statement"
            | "co_return_statement"
            | "initializer_list"
            | "initializer_pair"
            | "compound_literal_expression"
            | "field_initializer"
            | "lambda_capture_specifier"
            | "throw_statement" => out.push(escape),
            "pointer_expression" => {
                // `&s`: the callee may store or overwrite it.
                let op = parent.field("operator").map(|o| o.kind_name());
                if op == Some("&") && !self.is_lookup_result(parent) {
                    out.push((pos, Ev::Forget { var }));
                    for (i, v) in self.vars.iter().enumerate() {
                        if i != var && v.base == self.vars[var].key {
                            out.push((pos, Ev::Forget { var: i }));
                        }
                    }
                }
            }
            "update_expression" => {}
            _ => {}
        }
    }

    /// Whether `&x` is the result argument of a lookup.
    fn is_lookup_result(&self, addr: Node) -> bool {
        let Some(list) = self
            .facts
            .parent(addr)
            .filter(|p| p.kind_name() == "argument_list")
        else {
            return false;
        };
        let Some(call) = self.facts.parent(list).and_then(|c| self.facts.call_of(c)) else {
            return false;
        };
        self.model
            .lookup_result(call)
            .is_some_and(|i| call.arg(i) == Some(addr))
    }

    /// What a leaf condition tests.
    fn tests(&self, leaf: Node<'t>) -> Vec<Test> {
        let facts = self.facts;
        let leaf = unwrap_parens(leaf);
        let mut out = self.close_tests(leaf);
        if !out.is_empty() {
            return out;
        }
        match leaf.kind_name() {
            "binary_expression" => {
                let op = leaf.field("operator").map(|o| o.kind_name()).unwrap_or("");
                let (Some(l), Some(r)) = (leaf.field("left"), leaf.field("right")) else {
                    return out;
                };
                // Put the subject on the left: `INVALID_SOCKET == s` -> `s == INVALID_SOCKET`.
                let (subject, constant, op) = if self.subjects(l).is_empty() {
                    (r, l, flip(op))
                } else {
                    (l, r, op)
                };
                return self.compare(subject, constant, op);
            }
            "case_statement" => return self.case_tests(leaf),
            "call_expression" => {
                if let Some(call) = facts.call_of(leaf) {
                    if let Some(valid) = self.check_polarity(call) {
                        for arg in &call.args {
                            if let Some(&var) =
                                key_of(facts, *arg).and_then(|k| self.by_key.get(&k))
                            {
                                out.push(Test {
                                    var,
                                    when_true: Some(valid),
                                    when_false: Some(!valid),
                                    close: false,
                                });
                            }
                        }
                        return out;
                    }
                }
                self.truthiness(leaf, &mut out);
            }
            "identifier" => {
                if let Some(test) = self.flag_test(leaf) {
                    let tested = self.tests(test);
                    if !tested.is_empty() {
                        return tested;
                    }
                }
                self.truthiness(leaf, &mut out);
            }
            _ => self.truthiness(leaf, &mut out),
        }
        out
    }

    /// What `subject op constant` says about the variables the subject stands for.
    fn compare(&self, subject: Node<'t>, constant: Node<'t>, op: &str) -> Vec<Test> {
        let facts = self.facts;
        let mut out = Vec::new();
        for (var, status) in self.subjects(subject) {
            let valid_when_true = if status {
                let success = is_success_status(facts, constant);
                match op {
                    "==" if success => Some(true),
                    "!=" if success => Some(false),
                    "==" => Some(false),
                    "<" if success => Some(false),
                    ">=" if success => Some(true),
                    _ => None,
                }
            } else {
                let invalid =
                    is_invalid_constant(facts, constant) || self.is_foreign_constant(constant);
                let zero = facts.text_of(unwrap_casts(constant)).trim() == "0";
                match op {
                    "==" if invalid => Some(false),
                    "!=" if invalid => Some(true),
                    "<" | "<=" if zero => Some(false),
                    ">=" | ">" if zero => Some(true),
                    ">" if is_minus_one(facts, constant) => Some(true),
                    _ => None,
                }
            };
            if let Some(v) = valid_when_true {
                out.push(Test {
                    var,
                    when_true: Some(v),
                    when_false: Some(!v),
                    close: false,
                });
            }
        }
        out
    }

    /// A `case` of a `switch` on a lookup's status or a socket (`switch (getaddrinfo(...))`,
    /// `switch (rc = getaddrinfo(...))`, `switch (rc)`): `case 0:` is the success, another
    /// label a failure; `default:` is whatever the other labels are not (a failure when one of
    /// them is `case 0:`).
    fn case_tests(&self, case: Node<'t>) -> Vec<Test> {
        let facts = self.facts;
        let Some(switch) = facts
            .enclosing_kind(case, &["switch_statement"])
            .filter(|s| {
                s.field("body")
                    .is_some_and(|b| facts.parent(case).is_some_and(|p| p == b))
            })
        else {
            return Vec::new();
        };
        let Some(cond) = switch.field("condition") else {
            return Vec::new();
        };
        let subject = if cond.kind_name() == "condition_clause" {
            match cond.field("value") {
                Some(v) if !v.kind_name().ends_with("declaration") => v,
                _ => return Vec::new(),
            }
        } else {
            cond
        };
        let subject = unwrap_parens(subject);
        if let Some(value) = case.field("value") {
            return self.compare(subject, value, "==");
        }
        // `default:` is true when the value differs from every label.
        let Some(body) = switch.field("body") else {
            return Vec::new();
        };
        let mut cursor = body.walk();
        let labels: Vec<Node<'t>> = body
            .named_children(&mut cursor)
            .filter(|c| c.kind_name() == "case_statement")
            .filter_map(|c| c.field("value"))
            .collect();
        labels
            .into_iter()
            .map(|v| self.compare(subject, v, "!="))
            .find(|t| !t.is_empty())
            .unwrap_or_default()
    }

    /// `bool ok = (s != INVALID_SOCKET); ... if (ok)`: a local flag initialized with a test
    /// and not assigned since tests what its initializer tests.
    fn flag_test(&self, leaf: Node<'t>) -> Option<Node<'t>> {
        let facts = self.facts;
        let name = facts.text_of(leaf);
        let decl = facts.decl_of(name, leaf.start_byte())?;
        if decl.kind != crate::facts::DeclKind::Local || decl.pointer {
            return None;
        }
        let init = decl.init.clone()?;
        if init.end > leaf.start_byte() {
            return None;
        }
        let body = facts.functions[self.func].body;
        let value = unwrap_parens(body.descendant_for_byte_range(init.start, init.end)?);
        if value.kind_name() != "binary_expression" {
            return None;
        }
        // Not assigned, incremented or taken the address of between the two.
        let mut changed = false;
        let (from, to) = (init.end, leaf.start_byte());
        crate::facts::walk_pruned(body, |n| {
            // Nothing under a node that ends before the gap or starts after it lies in it.
            if changed || n.end_byte() < from || n.start_byte() > to {
                return false;
            }
            if n.start_byte() < from || n.end_byte() > to {
                return true;
            }
            let target = match n.kind_name() {
                "assignment_expression" => n.field("left"),
                "update_expression" => n.field("argument"),
                "pointer_expression" => n.field("argument"),
                _ => None,
            };
            changed = target.is_some_and(|t| facts.text_of(unwrap_parens(t)) == name);
            true
        });
        (!changed).then_some(value)
    }

    /// `if (closesocket(s) == SOCKET_ERROR)`: on the failure branch the socket is not known
    /// to be closed (a later close there is a retry, not a double close).
    fn close_tests(&self, leaf: Node<'t>) -> Vec<Test> {
        let facts = self.facts;
        let closer = |n: Node<'t>| {
            let n = unwrap_casts(n);
            (n.kind_name() == "call_expression")
                .then(|| facts.call_of(n))
                .flatten()
                .filter(|c| self.model.is_closer(c))
        };
        let (call, fail_when_true) = match leaf.kind_name() {
            "binary_expression" => {
                let op = leaf.field("operator").map(|o| o.kind_name()).unwrap_or("");
                let (Some(l), Some(r)) = (leaf.field("left"), leaf.field("right")) else {
                    return Vec::new();
                };
                let (call, constant, op) = match (closer(l), closer(r)) {
                    (Some(c), _) => (c, r, op),
                    (None, Some(c)) => (c, l, flip(op)),
                    _ => return Vec::new(),
                };
                let zero = facts.text_of(unwrap_casts(constant)).trim() == "0";
                let error = !zero && is_invalid_constant(facts, constant);
                let fail = match op {
                    "==" if zero => false,
                    "!=" if zero => true,
                    "<" if zero => true,
                    ">=" if zero => false,
                    "==" if error => true,
                    "!=" if error => false,
                    _ => return Vec::new(),
                };
                (call, fail)
            }
            "call_expression" => match closer(leaf) {
                Some(c) => (c, true),
                None => return Vec::new(),
            },
            _ => return Vec::new(),
        };
        call.args
            .iter()
            .filter_map(|a| key_of(facts, *a).and_then(|k| self.by_key.get(&k).copied()))
            .map(|var| Test {
                var,
                when_true: Some(!fail_when_true),
                when_false: Some(fail_when_true),
                close: true,
            })
            .collect()
    }

    /// The constant an expression is: a number, `TRUE`/`FALSE`, `NULL`, a `#define`d number,
    /// or a named constant (an all-caps name the file does not declare as a variable).
    fn const_value(&self, node: Node<'t>) -> Option<Val> {
        let facts = self.facts;
        let node = unwrap_casts(node);
        let text = facts.text_of(node).trim();
        if let Some(n) = parse_int(text) {
            return Some(Val::Int(n));
        }
        match node.kind_name() {
            "true" => Some(Val::Int(1)),
            "false" | "null" | "nullptr" => Some(Val::Int(0)),
            "identifier" => {
                match text {
                    "TRUE" => return Some(Val::Int(1)),
                    "FALSE" | "NULL" => return Some(Val::Int(0)),
                    _ => {}
                }
                if let Some(d) = facts.defines.iter().find(|d| d.name == text) {
                    return parse_int(d.value.trim_matches(|c| c == '(' || c == ')')).map(Val::Int);
                }
                let constant_like = text
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_');
                if constant_like && facts.decl_of(text, node.start_byte()).is_none() {
                    let i = self.symbols.iter().position(|s| s == text)?;
                    return Some(Val::Sym(i));
                }
                None
            }
            _ => None,
        }
    }

    /// Local flags tested against constants in the function's conditions.
    fn collect_flags(&mut self, cfg: &Cfg<'t>) {
        let facts = self.facts;
        let func = facts.functions[self.func].node;
        let mut leaves = Vec::new();
        for b in &cfg.blocks {
            for e in &b.succs {
                if let Some((leaf, true)) = e.cond.filter(|c| c.0.kind_name() != "case_statement") {
                    leaves.push(unwrap_parens(leaf));
                }
            }
        }
        // Named constants first (so that `const_value` can name them), then the flags.
        for leaf in &leaves {
            crate::facts::walk(*leaf, |n| {
                if n.kind_name() == "identifier" {
                    let t = facts.text_of(n);
                    if t.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                        && !self.symbols.iter().any(|s| s == t)
                    {
                        self.symbols.push(t.to_string());
                    }
                }
            });
        }
        for leaf in leaves {
            let candidate = match leaf.kind_name() {
                "identifier" => Some(leaf),
                "binary_expression" => {
                    let op = leaf.field("operator").map(|o| o.kind_name());
                    let (l, r) = (leaf.field("left"), leaf.field("right"));
                    match (op, l, r) {
                        (Some("==" | "!="), Some(l), Some(r)) => {
                            let (l, r) = (unwrap_parens(l), unwrap_parens(r));
                            if l.kind_name() == "identifier" && self.const_value(r).is_some() {
                                Some(l)
                            } else if r.kind_name() == "identifier" && self.const_value(l).is_some()
                            {
                                Some(r)
                            } else {
                                None
                            }
                        }
                        _ => None,
                    }
                }
                _ => None,
            };
            let Some(id) = candidate else { continue };
            let name = facts.text_of(id);
            if self.by_key.contains_key(name)
                || self.status.contains_key(name)
                || self.flags.iter().any(|f| f == name)
                || self.flags.len() >= MAX_FLAGS
            {
                continue;
            }
            let local = facts.decl_of(name, id.start_byte()).is_some_and(|d| {
                d.kind == DeclKind::Local && !d.pointer && !is_static(facts, func, d.range.clone())
            });
            if local {
                self.flags.push(name.to_string());
            }
        }
    }

    /// What a leaf condition says about the flags.
    fn flag_tests(&self, leaf: Node<'t>) -> Vec<FlagTest> {
        let facts = self.facts;
        let leaf = unwrap_parens(leaf);
        let flag = |n: Node| {
            let n = unwrap_parens(n);
            (n.kind_name() == "identifier")
                .then(|| self.flags.iter().position(|f| f == facts.text_of(n)))
                .flatten()
        };
        match leaf.kind_name() {
            "identifier" => flag(leaf)
                .map(|f| FlagTest {
                    flag: f,
                    eq: None,
                    negate: false,
                })
                .into_iter()
                .collect(),
            "binary_expression" => {
                let op = leaf.field("operator").map(|o| o.kind_name());
                let (Some(l), Some(r)) = (leaf.field("left"), leaf.field("right")) else {
                    return Vec::new();
                };
                let (f, k) = match (flag(l), flag(r)) {
                    (Some(f), _) => (f, r),
                    (None, Some(f)) => (f, l),
                    _ => return Vec::new(),
                };
                let Some(k) = self.const_value(k) else {
                    return Vec::new();
                };
                match op {
                    Some("==") => vec![FlagTest {
                        flag: f,
                        eq: Some(k),
                        negate: false,
                    }],
                    Some("!=") => vec![FlagTest {
                        flag: f,
                        eq: Some(k),
                        negate: true,
                    }],
                    _ => Vec::new(),
                }
            }
            _ => Vec::new(),
        }
    }

    /// A validity check: `Some(true)` when the call is true for a valid socket (configured
    /// `valid_checks`, or a macro of the file such as `#define SOCK_OK(s) ((s) !=
    /// INVALID_SOCKET)`), `Some(false)` for a macro that is true for an invalid one
    /// (`#define BAD_SOCK(s) ((s) == INVALID_SOCKET)`).
    fn check_polarity(&self, call: &Call) -> Option<bool> {
        if self.model.is_valid_check(call) {
            return Some(true);
        }
        let def = self
            .facts
            .defines
            .iter()
            .find(|d| d.function_like && d.name == call.name)?;
        let body: String = def.value.chars().filter(|c| !c.is_whitespace()).collect();
        let invalid = ["INVALID_SOCKET", "-1", "SOCKET_ERROR"]
            .iter()
            .any(|k| body.contains(k))
            || body.contains("<0");
        // Only a pure comparison: `CLOSESOCK(s)` that tests and closes is no check.
        let statement = body.contains(';') || body.contains('{') || body.starts_with("if(");
        if !invalid || statement || body.contains("&&") || body.contains("||") {
            return None;
        }
        if body.contains("!=") || body.contains(">=0") || body.contains(">-1") {
            Some(true)
        } else if body.contains("==") || body.contains("<0") {
            Some(false)
        } else {
            None
        }
    }

    /// A name that is no variable of this file (`retired_fd`, `ARES_SOCKET_BAD` from a
    /// header): compared for (in)equality with a socket, it is the invalid value.
    fn is_foreign_constant(&self, node: Node<'t>) -> bool {
        let node = unwrap_casts(node);
        match node.kind_name() {
            "identifier" => {
                let name = self.facts.text_of(node);
                !self.by_key.contains_key(name)
                    && self.facts.decl_of(name, node.start_byte()).is_none()
            }
            "qualified_identifier" => true,
            _ => false,
        }
    }

    /// A bare value as a condition: a status is true on failure; a pointer or socket is
    /// null on failure.
    fn truthiness(&self, leaf: Node<'t>, out: &mut Vec<Test>) {
        for (var, status) in self.subjects(leaf) {
            if status {
                out.push(Test {
                    var,
                    when_true: Some(false),
                    when_false: Some(true),
                    close: false,
                });
            } else {
                // `if (s)`: a non-zero SOCKET may still be INVALID_SOCKET; a non-null list is
                // valid. `if (!s)`: zero holds nothing either way.
                let list = self.vars[var].kind_hint == Some(Kind::AddrInfo);
                out.push(Test {
                    var,
                    when_true: list.then_some(true),
                    when_false: Some(false),
                    close: false,
                });
            }
        }
    }

    /// The variables an operand of a condition stands for: (var, is a status of a lookup).
    fn subjects(&self, node: Node<'t>) -> Vec<(usize, bool)> {
        let facts = self.facts;
        let node = unwrap_casts(node);
        let mut out = Vec::new();
        match node.kind_name() {
            "assignment_expression" => {
                if let Some(k) = node.field("left").and_then(|l| key_of(facts, l)) {
                    if let Some(&v) = self.by_key.get(&k) {
                        out.push((v, false));
                    } else if let Some(&v) = self.status.get(&k) {
                        out.push((v, true));
                    }
                }
                if out.is_empty() {
                    if let Some(r) = node.field("right") {
                        return self.subjects(r);
                    }
                }
            }
            "call_expression" => {
                if let Some(call) = facts.call_of(node) {
                    if let Some(i) = self.model.lookup_result(call) {
                        if let Some(&v) =
                            lookup_target(facts, call, i).and_then(|k| self.by_key.get(&k))
                        {
                            out.push((v, true));
                        }
                    }
                }
            }
            _ => {
                if let Some(k) = key_of(facts, node) {
                    if let Some(&v) = self.by_key.get(&k) {
                        out.push((v, false));
                    } else if let Some(&v) = self.status.get(&k) {
                        out.push((v, true));
                    }
                }
            }
        }
        out
    }

    /// The pass over the function's paths; what each want asks for is read from its sink.
    fn run(&mut self, cfg: &Cfg<'t>) -> Sink<'t> {
        // Kind hints for truthiness: a variable a lookup fills is a list pointer.
        let facts = self.facts;
        let body = facts.functions[self.func].body;
        let func = self.func;
        for call in facts
            .calls_in(body.byte_range())
            .filter(|c| c.function == Some(func))
        {
            if let Some(i) = self.model.lookup_result(call) {
                if let Some(&v) = lookup_target(facts, call, i).and_then(|k| self.by_key.get(&k)) {
                    self.vars[v].kind_hint = Some(Kind::AddrInfo);
                }
            }
        }
        // Events per block, tests per edge: computed once. Every event is about a name the
        // analysis follows, so a statement that does not mention one has none, but for the
        // calls that may assign a shared variable (`wi_init()` opening the global listener
        // again): those are known up front, and only when a shared variable is followed.
        let followed = self.followed_words();
        let shared: Vec<usize> = (0..self.vars.len())
            .filter(|&v| self.vars[v].shared)
            .collect();
        let reassigning: Vec<Node<'t>> = if shared.is_empty() {
            Vec::new()
        } else {
            facts
                .calls_in(body.byte_range())
                .filter(|c| c.function == Some(func) && !self.model.leaves_variables_alone(c))
                .map(|c| c.node)
                .collect()
        };
        let events: Vec<Vec<BlockEv<'t>>> = cfg
            .blocks
            .iter()
            .map(|b| {
                let mut evs = Vec::new();
                for item in &b.items {
                    match item {
                        Item::Stmt(n) | Item::Cond(n) => {
                            let first =
                                reassigning.partition_point(|c| c.start_byte() < n.start_byte());
                            let calls = reassigning[first..]
                                .iter()
                                .take_while(|c| c.start_byte() < n.end_byte())
                                .filter(|c| c.end_byte() <= n.end_byte());
                            let mut item_evs = if followed
                                .as_ref()
                                .is_none_or(|w| mentions(facts.text, *n, w))
                            {
                                self.events(*n)
                            } else {
                                Vec::new()
                            };
                            let before = item_evs.len();
                            for call in calls {
                                let forget = shared
                                    .iter()
                                    .map(|&var| (call.end_byte(), Ev::Forget { var }));
                                item_evs.extend(forget);
                            }
                            if item_evs.len() != before {
                                // Stable: a forget after what the call's arguments do.
                                item_evs.sort_by_key(|(pos, _)| *pos);
                            }
                            evs.extend(item_evs.into_iter().map(|(_, e)| BlockEv::Ev(e)))
                        }
                        Item::ScopeEnd { scope, at } => evs.push(BlockEv::Scope(*scope, *at)),
                        Item::Exit(at) => evs.push(BlockEv::Exit(*at)),
                    }
                }
                evs
            })
            .collect();
        let mut tests: HashMap<usize, Vec<Test>> = HashMap::new();
        for b in &cfg.blocks {
            for e in &b.succs {
                if let Some((leaf, _)) = e.cond {
                    tests.entry(leaf.id()).or_insert_with(|| self.tests(leaf));
                }
            }
        }
        let initial: Vec<VarState<'t>> = self
            .vars
            .iter()
            .map(|v| VarState {
                bits: if v.local { NONE } else { UNKNOWN },
                created: None,
                closed: None,
            })
            .collect();
        let mut flag_tests: HashMap<usize, Vec<FlagTest>> = HashMap::new();
        if !self.flags.is_empty() {
            for b in &cfg.blocks {
                for e in &b.succs {
                    if let Some((leaf, _)) = e.cond {
                        flag_tests
                            .entry(leaf.id())
                            .or_insert_with(|| self.flag_tests(leaf));
                    }
                }
            }
        }
        let n = cfg.blocks.len();
        let mut state_in: Vec<Vec<Entry<'t>>> = vec![Vec::new(); n];
        state_in[cfg.entry].push(Entry {
            flags: vec![None; self.flags.len()],
            vars: initial,
        });
        let mut queue: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
        let mut queued = vec![false; n];
        queue.push_back(cfg.entry);
        queued[cfg.entry] = true;
        let mut sink = Sink::default();
        while let Some(b) = queue.pop_front() {
            queued[b] = false;
            for mut entry in state_in[b].clone() {
                self.transfer(&events[b], &mut entry, &mut sink, false);
                for e in &cfg.blocks[b].succs {
                    let mut next = entry.clone();
                    if let Some((leaf, outcome)) = e.cond {
                        let id = leaf.id();
                        let var_tests = tests.get(&id).map_or(&[][..], |t| t);
                        let f_tests = flag_tests.get(&id).map_or(&[][..], |t| t);
                        if !refine(&mut next.vars, var_tests, outcome)
                            || !refine_flags(&mut next.flags, f_tests, outcome)
                        {
                            continue;
                        }
                    }
                    if add_entry(&mut state_in[e.to], next) && !queued[e.to] {
                        queued[e.to] = true;
                        queue.push_back(e.to);
                    }
                }
            }
        }
        // Report from the fixed point.
        for (b, events) in events.iter().enumerate() {
            for mut entry in state_in[b].clone() {
                self.transfer(events, &mut entry, &mut sink, true);
            }
        }
        sink
    }

    fn transfer(
        &self,
        events: &[BlockEv<'t>],
        entry: &mut Entry<'t>,
        sink: &mut Sink<'t>,
        report: bool,
    ) {
        let state = &mut entry.vars;
        for ev in events {
            match *ev {
                BlockEv::Ev(Ev::Flag { flag, value }) => entry.flags[flag] = value,
                BlockEv::Ev(Ev::Create { var, call }) => {
                    let s = &mut state[var];
                    // The other arm of `v6 ? socket(...) : socket(...)`: one of the two runs.
                    if s.created.is_some_and(|c| other_arm(self.facts, c, call)) {
                        continue;
                    }
                    if report && self.vars[var].local && s.bits & OPEN != 0 {
                        sink.leak(s.created, call, LeakHow::Overwrite);
                    }
                    let held = if self.vars[var].local { OPEN } else { ESCAPED };
                    *s = VarState {
                        bits: held | NONE,
                        created: Some(call),
                        closed: None,
                    };
                }
                BlockEv::Ev(Ev::Close { var, call }) => {
                    let s = &mut state[var];
                    // A close retried in a loop while it fails (`rc = close(fd)` until it
                    // stops saying EAGAIN) is not a second close.
                    let retried = s.closed == Some(call)
                        && self
                            .facts
                            .parent(call)
                            .is_some_and(|p| p.kind_name() != "expression_statement");
                    if report && s.bits & CLOSED != 0 && !retried {
                        if let Some(first) = s.closed {
                            sink.double.push((var, call, first));
                        }
                    }
                    let had = s.bits & (OPEN | ESCAPED | UNKNOWN | CLOSED) != 0;
                    if s.bits & CLOSED == 0 {
                        s.closed = Some(call);
                    }
                    s.bits = (s.bits & NONE) | if had { CLOSED } else { 0 };
                    if s.bits == 0 {
                        s.bits = NONE;
                    }
                }
                BlockEv::Ev(Ev::Use { var, call }) => {
                    let s = &state[var];
                    if report && s.bits & CLOSED != 0 {
                        if let Some(close) = s.closed {
                            sink.used.push((var, call, close));
                        }
                    }
                }
                BlockEv::Ev(Ev::Escape { var }) => {
                    let s = &mut state[var];
                    if s.bits & OPEN != 0 {
                        s.bits = (s.bits & !OPEN) | ESCAPED;
                    }
                }
                BlockEv::Ev(Ev::Reset { var, at }) => {
                    let s = &mut state[var];
                    if report && self.vars[var].local && s.bits & OPEN != 0 {
                        sink.leak(s.created, at, LeakHow::Overwrite);
                    }
                    *s = VarState {
                        bits: NONE,
                        created: None,
                        closed: None,
                    };
                }
                BlockEv::Ev(Ev::Assign { var, at }) => {
                    let s = &mut state[var];
                    if report && self.vars[var].local && s.bits & OPEN != 0 {
                        sink.leak(s.created, at, LeakHow::Overwrite);
                    }
                    *s = VarState {
                        bits: UNKNOWN,
                        created: None,
                        closed: None,
                    };
                }
                BlockEv::Ev(Ev::Forget { var }) => {
                    state[var] = VarState {
                        bits: UNKNOWN,
                        created: None,
                        closed: None,
                    };
                }
                BlockEv::Scope(scope, at) => {
                    for (i, v) in self.vars.iter().enumerate() {
                        if v.scope.as_ref() == Some(&scope.byte_range()) {
                            let s = &mut state[i];
                            if report && s.bits & OPEN != 0 {
                                sink.leak(s.created, at, LeakHow::Scope);
                            }
                            *s = VarState {
                                bits: NONE,
                                created: None,
                                closed: None,
                            };
                        }
                    }
                }
                BlockEv::Exit(at) => {
                    if !report {
                        continue;
                    }
                    for (i, v) in self.vars.iter().enumerate() {
                        if v.local && state[i].bits & OPEN != 0 {
                            let how = if at.kind_name() == "}" {
                                LeakHow::End
                            } else {
                                LeakHow::Return
                            };
                            sink.leak(state[i].created, at, how);
                        }
                    }
                }
            }
        }
    }
}

#[derive(Clone, Copy, Debug)]
enum BlockEv<'t> {
    Ev(Ev<'t>),
    Scope(Node<'t>, Node<'t>),
    Exit(Node<'t>),
}

/// What the reporting pass found, deduplicated.
#[derive(Clone, Default)]
struct Sink<'t> {
    /// Creation -> the earliest place it leaks.
    leaks: Vec<(Node<'t>, Node<'t>, LeakHow)>,
    double: Vec<(usize, Node<'t>, Node<'t>)>,
    used: Vec<(usize, Node<'t>, Node<'t>)>,
}

impl<'t> Sink<'t> {
    fn leak(&mut self, created: Option<Node<'t>>, at: Node<'t>, how: LeakHow) {
        let Some(created) = created else { return };
        if let Some(l) = self.leaks.iter_mut().find(|l| l.0 == created) {
            if at.start_byte() < l.1.start_byte() {
                l.1 = at;
                l.2 = how;
            }
        } else {
            self.leaks.push((created, at, how));
        }
    }

    fn finish(mut self, a: &Analysis<'_, 't>, want: Want) -> Vec<Problem<'t>> {
        let facts = a.facts;
        let mut out = Vec::new();
        match want {
            Want::SocketLeak | Want::AddrInfoLeak => {
                self.leaks.sort_by_key(|l| l.0.start_byte());
                for (created, at, how) in self.leaks {
                    let Some(call) = facts.call_of(created) else {
                        continue;
                    };
                    let kind = if a.model.lookup_result(call).is_some() {
                        Kind::AddrInfo
                    } else {
                        Kind::Socket
                    };
                    let var = if kind == Kind::AddrInfo {
                        a.model
                            .lookup_result(call)
                            .and_then(|i| lookup_target(facts, call, i))
                    } else {
                        creation_target(facts, created).and_then(|t| key_of(facts, t))
                    };
                    let Some(var) = var else { continue };
                    let wanted = (kind == Kind::AddrInfo) == (want == Want::AddrInfoLeak);
                    if wanted {
                        out.push(Problem::Leak {
                            kind,
                            var,
                            created,
                            at,
                            how,
                        });
                    }
                }
            }
            Want::Closes => {
                self.double.sort_by_key(|d| d.1.start_byte());
                self.double.dedup_by_key(|d| d.1.id());
                for (var, second, first) in self.double {
                    out.push(Problem::DoubleClose {
                        var: a.vars[var].key.clone(),
                        second,
                        first,
                    });
                }
                self.used.sort_by_key(|d| d.1.start_byte());
                self.used.dedup_by_key(|d| d.1.id());
                for (var, at, close) in self.used {
                    let callee = facts
                        .call_of(at)
                        .map(|c| c.name.clone())
                        .unwrap_or_default();
                    out.push(Problem::UseAfterClose {
                        var: a.vars[var].key.clone(),
                        at,
                        callee,
                        close,
                    });
                }
            }
        }
        out
    }
}

/// Applies what a leaf's outcome says; false when the edge cannot be taken.
fn refine(state: &mut [VarState], tests: &[Test], outcome: bool) -> bool {
    for t in tests {
        let valid = if outcome { t.when_true } else { t.when_false };
        let s = &mut state[t.var];
        if t.close {
            if valid == Some(false) && s.bits & CLOSED != 0 {
                s.bits = (s.bits & !CLOSED) | UNKNOWN;
                s.closed = None;
            }
            continue;
        }
        match valid {
            Some(true) => s.bits &= !NONE,
            Some(false) => s.bits &= NONE | UNKNOWN,
            None => {}
        }
        if s.bits == 0 {
            return false;
        }
    }
    true
}

/// A format call (`printf`, `logmsg`, `infof`): a string literal with a conversion (`%`)
/// comes before `arg`, so the socket is printed, not handed over. A literal without one is a
/// name or a label: `xTaskCreate(echo_task, "echo", 512, (void *)(uintptr_t)fd, ...)` hands
/// the socket to a task.
fn formats(facts: &Facts, call: &Call, arg: Node) -> bool {
    call.args
        .iter()
        .take_while(|a| a.id() != arg.id())
        .any(|a| {
            let a = unwrap_parens(*a);
            let literal = matches!(
                a.kind_name(),
                "string_literal" | "concatenated_string" | "raw_string_literal"
            ) || crate::facts::strings::string_value(a, facts.text).is_some();
            literal && facts.text_of(a).contains('%')
        })
}

/// `0`, `-1`, `0x10`, `5u`, `1L`.
fn parse_int(text: &str) -> Option<i64> {
    let t = text.replace(' ', "");
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest.to_string()),
        None => (false, t),
    };
    let t = t.trim_end_matches(['u', 'U', 'l', 'L']);
    let n = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        i64::from_str_radix(hex, 16).ok()?
    } else {
        t.parse::<i64>().ok()?
    };
    Some(if neg { -n } else { n })
}

/// Applies what a leaf's outcome says about the flags; false when the edge cannot be taken.
fn refine_flags(flags: &mut [Option<Val>], tests: &[FlagTest], outcome: bool) -> bool {
    for t in tests {
        let slot = &mut flags[t.flag];
        match t.eq {
            Some(k) => {
                let holds = outcome != t.negate;
                let known = match (*slot, k) {
                    (Some(Val::Int(a)), Val::Int(b)) => Some(a == b),
                    (Some(Val::Sym(a)), Val::Sym(b)) => Some(a == b),
                    _ => None,
                };
                match known {
                    Some(v) if v != holds => return false,
                    None if holds => *slot = Some(k),
                    _ => {}
                }
            }
            None => match *slot {
                Some(Val::Int(n)) if (n != 0) != outcome => return false,
                None if !outcome => *slot = Some(Val::Int(0)),
                _ => {}
            },
        }
    }
    true
}

/// Adds `entry` to the state at a block; true when that changed it.
fn add_entry<'t>(state: &mut Vec<Entry<'t>>, entry: Entry<'t>) -> bool {
    if let Some(e) = state.iter_mut().find(|e| e.flags == entry.flags) {
        return e
            .vars
            .iter_mut()
            .zip(&entry.vars)
            .fold(false, |c, (o, x)| o.join(x) | c);
    }
    if state.len() < MAX_ENTRIES {
        state.push(entry);
        return true;
    }
    // Too many valuations: merge into the last entry, forgetting flags that disagree.
    let last = state.len() - 1;
    let e = &mut state[last];
    let mut changed = false;
    for (f, x) in e.flags.iter_mut().zip(&entry.flags) {
        if *f != *x && f.is_some() {
            *f = None;
            changed = true;
        }
    }
    changed
        | e.vars
            .iter_mut()
            .zip(&entry.vars)
            .fold(false, |c, (o, x)| o.join(x) | c)
}

fn flip(op: &str) -> &str {
    match op {
        "<" => ">",
        ">" => "<",
        "<=" => ">=",
        ">=" => "<=",
        o => o,
    }
}

fn is_minus_one(facts: &Facts, node: Node) -> bool {
    facts.text_of(unwrap_casts(node)).replace(' ', "") == "-1"
}

/// Whether a value assigned is a creation: a creator's result, or a conditional expression
/// whose arms are creations or hold nothing (`ok ? socket(...) : INVALID_SOCKET`).
fn is_creation(a: &Analysis, value: Node) -> bool {
    let v = unwrap_casts(value);
    let v = if v.kind_name() == "assignment_expression" {
        v.field("right").map_or(v, unwrap_casts)
    } else {
        v
    };
    let creates = |n: Node| {
        n.kind_name() == "call_expression"
            && a.facts.call_of(n).is_some_and(|c| a.model.is_creator(c))
    };
    let arms = crate::facts::value_arms(v);
    arms.iter().any(|&n| creates(n))
        && arms
            .iter()
            .all(|&n| creates(n) || is_invalid_constant(a.facts, n))
}

/// Whether `a` and `b` are in the two arms of one conditional expression (looked for inside
/// the statement that holds `a`).
fn other_arm<'t>(facts: &Facts<'t>, a: Node<'t>, b: Node<'t>) -> bool {
    let mut cur = facts.parent(a);
    while let Some(p) = cur {
        let kind = p.kind_name();
        if kind.ends_with("statement") || kind == "declaration" {
            return false;
        }
        if Facts::within(b, p) {
            return p.kind_name() == "conditional_expression" && Facts::exclusive(a, b);
        }
        cur = facts.parent(p);
    }
    false
}

/// Where a creator's result goes: `s = socket(...)`, `SOCKET s = socket(...)`,
/// `(s = socket(...)) == INVALID_SOCKET`, through casts, parentheses and the arms of `?:`.
fn creation_target<'t>(facts: &Facts<'t>, call: Node<'t>) -> Option<Node<'t>> {
    let mut node = call;
    while let Some(p) = facts.parent(node) {
        match p.kind_name() {
            "parenthesized_expression" | "cast_expression" => node = p,
            "conditional_expression" if p.field("condition") != Some(node) => node = p,
            "assignment_expression" => {
                if p.field("right") != Some(node) {
                    return None;
                }
                let op = p.field("operator").map(|o| o.kind_name());
                return (op == Some("=")).then(|| p.field("left")).flatten();
            }
            "init_declarator" => {
                return p
                    .field("declarator")
                    .and_then(|d| crate::facts::declarator_name(d).0);
            }
            _ => return None,
        }
    }
    None
}

/// The variable a lookup fills: `&res` at the result index.
fn lookup_target(facts: &Facts, call: &Call, index: usize) -> Option<String> {
    let arg = unwrap_parens(call.arg(index)?);
    if arg.kind_name() != "pointer_expression" {
        return None;
    }
    let op = arg.field("operator").map(|o| o.kind_name());
    if op != Some("&") {
        return None;
    }
    key_of(facts, arg.field("argument")?)
}

/// Whether the declaration at `range` is `static` or `extern` (not a plain local).
fn is_static<'t>(facts: &Facts<'t>, func: Node<'t>, range: std::ops::Range<usize>) -> bool {
    let Some(mut n) = func.descendant_for_byte_range(range.start, range.end) else {
        return false;
    };
    while n.kind_name() != "declaration" {
        match facts.parent(n) {
            Some(p) if p != func => n = p,
            _ => return false,
        }
    }
    let mut cursor = n.walk();
    let found = n.children(&mut cursor).any(|c| {
        c.kind_name() == "storage_class_specifier"
            && matches!(facts.text_of(c), "static" | "extern" | "thread_local")
    });
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    /// Asking for every want at once finds what asking for each alone finds, whether the wants
    /// follow the same variables (one shared pass) or not (a freed list is followed only by
    /// the leak and list analyses).
    #[test]
    fn wants_asked_together_find_what_each_finds_alone() {
        let code = r#"
            void same(void) { SOCKET s = socket(2, 1, 0); closesocket(s); closesocket(s); }
            void leak(void) { SOCKET s = socket(2, 1, 0); if (s == INVALID_SOCKET) return; }
            void mixed(const char *h) {
                struct addrinfo *res = NULL;
                SOCKET s = socket(2, 1, 0);
                if (getaddrinfo(h, "80", NULL, &res) != 0) return;
                closesocket(s);
                send(s, "x", 1, 0);
                freeaddrinfo(res);
            }
        "#;
        let config = Config::default();
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Lang::C.grammar()).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let facts = Facts::build(tree.root_node(), code.as_bytes(), &config);
        let together = problems_by_want(&facts, &config, &Want::ALL);
        let mut found = 0;
        for (want, problems) in together {
            let alone = problems_in_file(&facts, &config, want);
            assert_eq!(format!("{problems:?}"), format!("{alone:?}"), "{want:?}");
            found += problems.len();
        }
        assert!(found >= 3, "{found}");
    }

    /// A name counts only as a whole word: `s` is not in `sizeof addr` or `s_len`, and a key
    /// with spaces or `this->` in it still leaves its first name in the text.
    #[test]
    fn mentions_whole_words_only() {
        let code =
            "void f(void) { memset(&addr, 0, sizeof addr); n = s_len; close(s); c -> fd = 1; }";
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Lang::C.grammar()).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let mut statements = Vec::new();
        crate::facts::walk(tree.root_node(), |n| {
            if n.kind_name() == "expression_statement" {
                statements.push(n);
            }
        });
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let found = |w: &[&str]| {
            statements
                .iter()
                .map(|n| mentions(code.as_bytes(), *n, &words(w)))
                .collect::<Vec<_>>()
        };
        assert_eq!(found(&["s"]), [false, false, true, false]);
        assert_eq!(found(&["addr"]), [true, false, false, false]);
        assert_eq!(found(&["c", "s_len"]), [false, true, false, true]);
        assert_eq!(base_of("c->fd"), "c");
    }

    /// The problems `want` finds in every function of `code`, as short strings.
    fn problems(lang: Lang, code: &str, config: &Config, want: Want) -> Vec<String> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let facts = Facts::build(tree.root_node(), code.as_bytes(), config);
        let model = Model::new(config);
        let text = |n: Node| n.utf8_text(code.as_bytes()).unwrap().to_string();
        let mut out = Vec::new();
        for f in 0..facts.functions.len() {
            if !model.relevant(&facts, f, want) {
                continue;
            }
            for p in analyze(&facts, &model, f, want) {
                out.push(match p {
                    Problem::Leak { var, at, how, .. } => {
                        format!("leak {var} at {} ({how:?})", text(at))
                    }
                    Problem::DoubleClose { var, second, first } => {
                        format!("double {var}: {} after {}", text(second), text(first))
                    }
                    Problem::UseAfterClose { var, at, close, .. } => {
                        format!("use {var}: {} after {}", text(at), text(close))
                    }
                });
            }
        }
        out
    }

    fn leaks(code: &str) -> Vec<String> {
        problems(Lang::C, code, &Config::default(), Want::SocketLeak)
    }

    #[test]
    fn error_path_after_connect_leaks() {
        let code = "int f(void) { SOCKET s = socket(2, 1, 0);\n\
            if (s == INVALID_SOCKET) return -1;\n\
            if (connect(s, 0, 0) != 0) return -2;\n\
            closesocket(s); return 0; }";
        assert_eq!(leaks(code), vec!["leak s at return -2; (Return)"]);
    }

    #[test]
    fn goto_cleanup_and_failed_creation_do_not_leak() {
        let code = "int f(void) { int rc = -1; SOCKET s = INVALID_SOCKET;\n\
            s = socket(2, 1, 0); if (s == INVALID_SOCKET) goto out;\n\
            if (connect(s, 0, 0) != 0) goto out;\n\
            rc = 0;\n\
            out:\n if (s != INVALID_SOCKET) closesocket(s);\n return rc; }";
        assert!(leaks(code).is_empty(), "{:?}", leaks(code));
        let code =
            "int f(void) { SOCKET s; if ((s = socket(2, 1, 0)) == INVALID_SOCKET) return 1;\n\
            closesocket(s); return 0; }";
        assert!(leaks(code).is_empty(), "{:?}", leaks(code));
    }

    #[test]
    fn error_flags_keep_paths_apart() {
        let code = "int f(SOCKET *out) { int rc = -1; SOCKET s = socket(2, 1, 0);\n\
            if (s == INVALID_SOCKET) goto done;\n\
            if (connect(s, 0, 0) != 0) goto done;\n\
            *out = s; rc = 0;\n\
            done:\n if (rc != 0 && s != INVALID_SOCKET) closesocket(s);\n return rc; }";
        assert!(leaks(code).is_empty(), "{:?}", leaks(code));
        let code = "#define ERR 1\nint f(SOCKET l) { int err = 0; SOCKET c;\n\
            while (err == 0) { c = accept(l, 0, 0); if (c == INVALID_SOCKET) break;\n\
              if (recv(c, 0, 0, 0) < 0) { err = ERR; }\n\
              if (err == 0) { closesocket(c); c = INVALID_SOCKET; } }\n\
            if (c != INVALID_SOCKET) closesocket(c); return err; }";
        assert!(leaks(code).is_empty(), "{:?}", leaks(code));
        // Without the flag's help the leak is still found.
        let code = "int f(void) { int ok = 0; SOCKET s = socket(2, 1, 0);\n\
            if (s == INVALID_SOCKET) return -1;\n\
            if (connect(s, 0, 0) == 0) ok = 1;\n\
            if (ok) closesocket(s);\n return ok; }";
        assert_eq!(leaks(code), vec!["leak s at return ok; (Return)"]);
    }

    #[test]
    fn candidate_loop_closes_failed_attempts() {
        let code =
            "SOCKET f(struct addrinfo *res) { SOCKET s = INVALID_SOCKET; struct addrinfo *ai;\n\
            for (ai = res; ai; ai = ai->ai_next) {\n\
              s = socket(ai->ai_family, 1, 0);\n\
              if (s == INVALID_SOCKET) continue;\n\
              if (connect(s, ai->ai_addr, 0) == 0) break;\n\
              closesocket(s); s = INVALID_SOCKET; }\n\
            return s; }";
        assert!(leaks(code).is_empty(), "{:?}", leaks(code));
        // Forgetting to close the failed attempt overwrites it on the next iteration.
        let code =
            "SOCKET f(struct addrinfo *res) { SOCKET s = INVALID_SOCKET; struct addrinfo *ai;\n\
            for (ai = res; ai; ai = ai->ai_next) {\n\
              s = socket(ai->ai_family, 1, 0);\n\
              if (s == INVALID_SOCKET) continue;\n\
              if (connect(s, ai->ai_addr, 0) == 0) break; }\n\
            return s; }";
        assert_eq!(
            leaks(code),
            vec!["leak s at socket(ai->ai_family, 1, 0) (Overwrite)"]
        );
    }

    #[test]
    fn creations_in_a_conditional_expression() {
        let code = "SOCKET f(int v6) { SOCKET s = v6 ? socket(23, 1, 0) : socket(2, 1, 0);\n\
            if (s == INVALID_SOCKET) return s;\n\
            if (bind(s, 0, 0) != 0) return INVALID_SOCKET;\n\
            return s; }";
        assert_eq!(
            leaks(code),
            vec!["leak s at return INVALID_SOCKET; (Return)"]
        );
        // One arm runs: the other is no overwrite, and a loop closing each is fine.
        let code = "void f(int v6, int n) { int i; for (i = 0; i < n; i++) {\n\
            SOCKET s = v6 ? socket(23, 1, 0) : socket(2, 1, 0);\n\
            if (s == INVALID_SOCKET) continue; closesocket(s); } }";
        assert!(leaks(code).is_empty(), "{:?}", leaks(code));
        let code = "int f(int ok) { SOCKET s; s = ok ? socket(2, 1, 0) : INVALID_SOCKET;\n\
            if (s == INVALID_SOCKET) return 0; return send(s, 0, 0, 0); }";
        assert_eq!(
            leaks(code),
            vec!["leak s at return send(s, 0, 0, 0); (Return)"]
        );
        // The caller's socket or a new one: not ours to judge.
        let code = "void f(SOCKET have) { SOCKET s = have ? have : socket(2, 1, 0);\n\
            send(s, 0, 0, 0); if (!have) closesocket(s); }";
        assert!(leaks(code).is_empty(), "{:?}", leaks(code));
    }

    #[test]
    fn escapes_end_tracking() {
        let code = "int f(struct conn *c, SOCKET *out) { SOCKET s = socket(2, 1, 0);\n\
            if (s == INVALID_SOCKET) return -1;\n\
            if (c) { c->sock = s; return 0; }\n\
            *out = s; return 1; }";
        assert!(leaks(code).is_empty(), "{:?}", leaks(code));
        let code = "void f(void) { SOCKET s = socket(2, 1, 0); start_worker(s); }";
        assert!(leaks(code).is_empty(), "{:?}", leaks(code));
        let code = "void f(void) { SOCKET s = socket(2, 1, 0); send(s, \"x\", 1, 0); }";
        assert_eq!(leaks(code), vec!["leak s at } (End)"]);
        // A string before the socket is a format only when it holds a conversion.
        let code = "void f(void) { SOCKET s = socket(2, 1, 0);\n\
            spawn(run, \"worker\", (void *)(uintptr_t) s); }";
        assert!(leaks(code).is_empty(), "{:?}", leaks(code));
        let code = "void f(void) { SOCKET s = socket(2, 1, 0); trace(L\"sock %Iu\", s); }";
        assert_eq!(leaks(code), vec!["leak s at } (End)"]);
    }

    #[test]
    fn loop_scoped_socket_leaks_at_continue() {
        let code = "void f(SOCKET l) { for (;;) { SOCKET c = accept(l, 0, 0);\n\
            if (c == INVALID_SOCKET) continue;\n\
            if (recv(c, 0, 0, 0) <= 0) continue;\n\
            closesocket(c); } }";
        assert_eq!(leaks(code), vec!["leak c at continue; (Scope)"]);
    }

    #[test]
    fn double_close_and_use_after_close() {
        let cfg = Config::default();
        let code = "void f(SOCKET s, int err) { if (err) { closesocket(s); }\n\
            send(s, 0, 0, 0); closesocket(s); }";
        assert_eq!(
            problems(Lang::C, code, &cfg, Want::Closes),
            vec![
                "double s: closesocket(s) after closesocket(s)",
                "use s: send(s, 0, 0, 0) after closesocket(s)"
            ]
        );
        let code = "void f(SOCKET s) { closesocket(s); s = INVALID_SOCKET;\n\
            if (s != INVALID_SOCKET) closesocket(s); }";
        assert!(problems(Lang::C, code, &cfg, Want::Closes).is_empty());
        let code = "void f(struct conn *list) { struct conn *c;\n\
            for (c = list; c; c = c->next) closesocket(c->fd); }";
        assert!(problems(Lang::C, code, &cfg, Want::Closes).is_empty());
    }

    #[test]
    fn calls_of_the_project_may_reassign_shared_sockets() {
        let cfg = Config::default();
        // A global, a field through a pointer: `reopen()` may store a new socket there.
        let code = "SOCKET g; int reopen(void);\n\
            void f(void) { while (run) { reopen(); closesocket(g); } }\n\
            void h(struct conn *c) { closesocket(c->fd); reopen(); send(c->fd, 0, 0, 0); }";
        assert!(problems(Lang::C, code, &cfg, Want::Closes).is_empty());
        // Known calls cannot: printing, sleeping, Winsock.
        let code = "SOCKET g;\n\
            void f(void) { closesocket(g); printf(\"%d\", WSAGetLastError()); Sleep(1);\n\
            closesocket(g); }";
        assert_eq!(
            problems(Lang::C, code, &cfg, Want::Closes),
            vec!["double g: closesocket(g) after closesocket(g)"]
        );
        // Nor can any call reach a local or a parameter passed by value.
        let code = "int reopen(void);\n\
            void f(SOCKET s) { closesocket(s); reopen(); closesocket(s); }";
        assert_eq!(
            problems(Lang::C, code, &cfg, Want::Closes),
            vec!["double s: closesocket(s) after closesocket(s)"]
        );
    }

    #[test]
    fn closing_a_file_twice_is_not_a_socket_problem() {
        let cfg = Config::default();
        let code = "void f(int fd) { close(fd); close(fd); }";
        assert!(problems(Lang::C, code, &cfg, Want::Closes).is_empty());
        let code = "void f(void) { int fd = socket(2, 1, 0); close(fd); close(fd); }";
        assert_eq!(
            problems(Lang::C, code, &cfg, Want::Closes),
            vec!["double fd: close(fd) after close(fd)"]
        );
    }

    #[test]
    fn addrinfo_lists() {
        let cfg = Config::default();
        let code = "int f(const char *h) { struct addrinfo *res, *ai; int rc;\n\
            if (getaddrinfo(h, \"80\", 0, &res) != 0) return -1;\n\
            for (ai = res; ai; ai = ai->ai_next) { if (try_one(ai)) return 1; }\n\
            freeaddrinfo(res); return 0; }";
        assert_eq!(
            problems(Lang::C, code, &cfg, Want::AddrInfoLeak),
            vec!["leak res at return 1; (Return)"]
        );
        let code = "int f(const char *h) { struct addrinfo *res = NULL; int rc;\n\
            rc = getaddrinfo(h, \"80\", 0, &res); if (rc) return -1;\n\
            use_list(res->ai_addr); freeaddrinfo(res); return 0; }";
        assert!(problems(Lang::C, code, &cfg, Want::AddrInfoLeak).is_empty());
        let code = "int f(const char *h, struct addrinfo **out) { struct addrinfo *res;\n\
            int rc = getaddrinfo(h, \"80\", 0, &res); if (rc != 0) return rc;\n\
            *out = res; return 0; }";
        assert!(problems(Lang::C, code, &cfg, Want::AddrInfoLeak).is_empty());
    }

    #[test]
    fn switch_labels_on_the_status_or_the_socket() {
        let cfg = Config::default();
        let code = "int f(const char *h) { struct addrinfo *res; int rc;\n\
            rc = getaddrinfo(h, \"80\", 0, &res);\n\
            switch (rc) { case EAI_AGAIN: case EAI_NONAME: return 1; case 0: break; default: return -1; }\n\
            freeaddrinfo(res); return 0; }";
        assert!(problems(Lang::C, code, &cfg, Want::AddrInfoLeak).is_empty());
        // `default:` beside a failure label alone may be the success.
        let code = "int f(const char *h) { struct addrinfo *res;\n\
            switch (getaddrinfo(h, \"80\", 0, &res)) { case EAI_AGAIN: return 2; default: break; }\n\
            return 0; }";
        assert_eq!(
            problems(Lang::C, code, &cfg, Want::AddrInfoLeak),
            vec!["leak res at return 0; (Return)"]
        );
        let code = "SOCKET f(SOCKET l) { SOCKET s = accept(l, 0, 0);\n\
            switch (s) { case INVALID_SOCKET: return INVALID_SOCKET; default: break; }\n\
            if (send(s, \"x\", 1, 0) < 0) return 0;\n\
            return s; }";
        assert_eq!(leaks(code), vec!["leak s at return 0; (Return)"]);
    }

    #[test]
    fn validity_macros_of_the_file() {
        let code = "#define SOCK_OK(s) ((s) != INVALID_SOCKET)\n\
            #define BAD_SOCK(s) ((s) == INVALID_SOCKET)\n\
            int f(void) { SOCKET s = socket(2, 1, 0); if (!SOCK_OK(s)) return 1;\n\
            closesocket(s); return 0; }\n\
            #define CLOSESOCK(s) if (INVALID_SOCKET != s) { closesocket(s); }\n\
            int h(void) { SOCKET s = socket(2, 1, 0); CLOSESOCK(s); return 0; }\n\
            int g(void) { SOCKET s = socket(2, 1, 0); if (BAD_SOCK(s)) return 1;\n\
            return send(s, 0, 0, 0); }";
        // The checks neither hand the socket over nor leak it on the failed path.
        assert_eq!(
            leaks(code),
            vec!["leak s at return send(s, 0, 0, 0); (Return)"]
        );
    }

    #[test]
    fn configured_closers_and_valid_checks() {
        let mut cfg = Config::default();
        cfg.resources.closers = vec!["sclose".into()];
        cfg.resources.valid_checks = vec!["sock_ok".into()];
        let code = "int f(void) { SOCKET s = socket(2, 1, 0); if (!sock_ok(s)) return 1;\n\
            sclose(s); return 0; }";
        assert!(problems(Lang::C, code, &cfg, Want::SocketLeak).is_empty());
    }

    /// Cost: a 5,000-line function, a 2,000-case switch and 60,000-deep nesting, each with
    /// sockets to follow, stay well under a second each in a release build.
    #[test]
    fn large_functions_stay_fast() {
        let mut long = String::from("int f(void) { SOCKET s = INVALID_SOCKET; int rc = 0;\n");
        for i in 0..1250 {
            long.push_str(&format!(
                "s = socket(2, 1, 0);\nif (s == INVALID_SOCKET) goto out;\n\
                 if (send(s, \"x\", 1, 0) < {i}) rc++;\nclosesocket(s); s = INVALID_SOCKET;\n"
            ));
        }
        long.push_str("out: if (s != INVALID_SOCKET) closesocket(s); return rc; }");
        let cases: String = (0..2000)
            .map(|i| format!("case {i}: closesocket(s); s = socket(2, 1, 0); break;\n"))
            .collect();
        let switch = format!(
            "void g(int x) {{ SOCKET s = socket(2, 1, 0); switch (x) {{ {cases} }} closesocket(s); }}"
        );
        let depth = 60_000;
        let deep = format!(
            "void h(void) {{ SOCKET s = socket(2, 1, 0); {} send(s, 0, 0, 0); {} }}",
            "{".repeat(depth),
            "}".repeat(depth)
        );
        let config = Config::default();
        for (code, expect) in [(&long, 0), (&switch, 0), (&deep, 1)] {
            let start = std::time::Instant::now();
            let mut found = 0;
            for want in [Want::SocketLeak, Want::Closes] {
                found += problems(Lang::C, code, &config, want).len();
            }
            assert_eq!(found, expect);
            assert!(start.elapsed().as_secs() < 20, "{:?}", start.elapsed());
        }
    }
}
