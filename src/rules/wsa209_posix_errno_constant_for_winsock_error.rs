//! WSA209 posix-errno-constant-for-winsock-error.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use crate::diagnostic::{Diagnostic, Finding, Fix, Severity};
use crate::facts::errors::{errno_constant, ErrnoConstant, WinsockError};
use crate::facts::{unwrap_parens, Facts};
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, Deferred, FixKind, IncludeGraph, Match, Rule, RuleMeta};

pub struct PosixErrnoConstantForWinsockError;

pub static META: RuleMeta = RuleMeta {
    code: "WSA209",
    name: "posix-errno-constant-for-winsock-error",
    severity: Severity::Error,
    fix: FixKind::Suggestion,
    source: "",
    summary: "a Winsock error code compared with a CRT `errno` constant, which never equals it",
    docs: DOCS,
    queries: &[query!("wsa209-posix-errno-constant-for-winsock-error.scm")],
    needles: &[
        "WSAGetLastError",
        "EWOULDBLOCK",
        "EAGAIN",
        "EINPROGRESS",
        "EALREADY",
        "EINTR",
        "ECONNRESET",
        "ECONNREFUSED",
        "ECONNABORTED",
        "ETIMEDOUT",
        "ENOTCONN",
        "EISCONN",
        "EADDRINUSE",
        "ENOBUFS",
        "EMSGSIZE",
    ],
    tags: &["correctness", "portability", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds a Winsock error code compared (`==`, `!=`, a `case` label) with a constant of the C
runtime's `errno.h` (`EWOULDBLOCK`, `EAGAIN`, `EINPROGRESS`, `EALREADY`, `EINTR`, `ECONNRESET`,
`ECONNREFUSED`, `ETIMEDOUT`, `ENOTCONN`, `EADDRINUSE`, `ENOBUFS`, `EMSGSIZE`...) in code compiled
for Windows. The Winsock error code is `WSAGetLastError()`, a variable last set from it in the
same function, or a macro or function of the project that yields it (`#define SOCK_ERRNO
WSAGetLastError()`, `static int sock_error(void) { return WSAGetLastError(); }`), in the file
or in a header it includes. Also finds the pending test of a non-blocking `connect` that
accepts `WSAEINPROGRESS` but never `WSAEWOULDBLOCK`. Left alone: a constant the file or a
header it includes maps onto Winsock's (`#undef EWOULDBLOCK` and `#define EWOULDBLOCK
WSAEWOULDBLOCK`, or a plain `#define EWOULDBLOCK WSAEWOULDBLOCK`), a value the project has
translated (`err = map_error(WSAGetLastError())`), and the POSIX branch of portable code. A
mapping under `#ifndef EWOULDBLOCK` is reported with the comparison: it never applies.

## Why is this bad?
Winsock's error codes are its own: `WSAEWOULDBLOCK` is 10035, `WSAEINPROGRESS` 10036. Since
Visual Studio 2010, `errno.h` defines the POSIX names too, with the C runtime's values
(`EWOULDBLOCK` is 140, `EINPROGRESS` 112), so `WSAGetLastError() == EWOULDBLOCK` is never
true: a non-blocking `send` or `recv` that would block is taken for a failure and the
connection is dropped. A mapping guarded by `#ifndef EWOULDBLOCK` was written for older
compilers, where `errno.h` did not define the name; now the guard skips it. And a non-blocking
`connect` on Windows fails with `WSAEWOULDBLOCK`, not `WSAEINPROGRESS` as on POSIX systems: a
pending test for `WSAEINPROGRESS` alone fails every connection.

## Example
```c
if (send(s, buf, len, 0) == SOCKET_ERROR) {
    int err = WSAGetLastError();
    if (err == EWOULDBLOCK)
        return 0;
    return -1;
}
```

## Use instead
```c
if (send(s, buf, len, 0) == SOCKET_ERROR) {
    int err = WSAGetLastError();
    if (err == WSAEWOULDBLOCK)
        return 0;
    return -1;
}
```

## Fix safety
No automatic fix: portable code may share the comparison with a POSIX build, where the `WSAE*`
name does not exist; the cure may be a mapping in the project's portability header instead.
The suggestion names the Winsock constant.

## References
- Microsoft Learn, "Windows Sockets Error Codes" and "Error Codes - errno, h_errno and
  WSAGetLastError".
- Microsoft Learn, "errno constants": the POSIX supplement added in Visual Studio 2010.
"#;

impl Rule for PosixErrnoConstantForWinsockError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let Some(constant) = m.get("const") else {
            return;
        };
        let facts = ctx.facts;
        let offset = constant.start_byte();
        if facts.never_windows(offset) {
            return;
        }
        let value = if let Some(v) = m.get("value") {
            v
        } else if let Some(v) = m.get("case").and_then(switch_value) {
            v
        } else {
            return;
        };
        let Some(source) = facts.winsock_error_of(value) else {
            return;
        };
        let name = ctx.text_of(constant);
        let file = ctx.file_name();
        let unresolved = unresolved_name(&source).unwrap_or_default().to_string();
        let described = describe(&source);
        let mapping = facts.errno_mapping(name, offset);
        let in_progress = name == "WSAEINPROGRESS"
            || mapping.as_ref().is_some_and(|m| {
                !m.guarded && name == "EINPROGRESS" && maps_to(facts, name, "WSAEINPROGRESS")
            });
        if in_progress {
            let Some(connect) = pending_connect(facts, offset) else {
                return;
            };
            let diag = in_progress_diag(&described, name, test_range(m, constant), connect);
            ctx.defer(
                &META,
                format!("cmp:{unresolved}:WSAEINPROGRESS:{file}"),
                Some(diag),
            );
            return;
        }
        let Some(errno) = errno_constant(name) else {
            return;
        };
        // A header may map `EINPROGRESS` onto `WSAEINPROGRESS`: then the test after `connect`
        // is the pending test that misses `WSAEWOULDBLOCK`.
        if name == "EINPROGRESS" && mapping.is_none() {
            if let Some(connect) = pending_connect(facts, offset) {
                let diag = in_progress_diag(&described, name, test_range(m, constant), connect);
                ctx.defer(&META, format!("inprogress:{unresolved}:{file}"), Some(diag));
            }
        }
        // `err == WSAEWOULDBLOCK || err == EWOULDBLOCK`, `case WSAEWOULDBLOCK: case
        // EWOULDBLOCK:`: the Winsock code is tested too, and the CRT's is only dead weight.
        if also_tests(ctx, m, constant, errno.winsock) {
            return;
        }
        let mut message = format!(
            "{described} is compared with `{name}` ({}), never Winsock's `{}` ({})",
            crt_value(errno),
            errno.winsock,
            errno.winsock_value
        );
        let mut diag_related = Vec::new();
        match &mapping {
            Some(m) if !m.guarded => return,
            Some(m) => {
                message.push_str(&guard_note(name, None));
                diag_related.push((m.directive.clone(), "the guarded mapping".to_string()));
            }
            None => {}
        }
        if let WinsockError::Variable { name: var, at, .. } = &source {
            diag_related.insert(0, (at.clone(), format!("`{var}` is set here")));
        }
        let mut diag = META
            .diag(constant.byte_range(), message)
            .with_fix(Fix::suggestion(format!("compare with `{}`", errno.winsock)));
        for (range, text) in diag_related {
            diag = diag.with_related(range, text);
        }
        ctx.defer(&META, format!("cmp:{unresolved}:{name}:{file}"), Some(diag));
    }

    fn check_file(&self, ctx: &mut Ctx) {
        let facts = ctx.facts;
        let file = ctx.file_name();
        let mut keys = Vec::new();
        for errno in crate::facts::errors::ERRNO_CONSTANTS {
            // A guarded mapping is no mapping: Visual C++'s `errno.h` defines the constant.
            let mapped = facts
                .errno_mapping(errno.name, facts.text.len())
                .is_some_and(|m| !m.guarded);
            if mapped {
                keys.push(format!("map:{}:{file}", errno.name));
                if maps_to(facts, errno.name, "WSAEINPROGRESS") {
                    keys.push(format!("inprogress-map:{file}"));
                }
            }
        }
        for name in facts.error_sources().keys() {
            keys.push(format!("source:{name}:{file}"));
        }
        for key in keys {
            ctx.defer(&META, key, None);
        }
        ctx.defer_includes(&META);
    }

    /// Keeps a finding when its error code is confirmed (by the file, or by a header it
    /// includes for a name the file does not define) and no header it includes maps the
    /// constant onto Winsock's. Only decides which findings stand: a finding is kept by its
    /// position, so the two findings a comparison may get have different spans.
    fn finish(&self, deferred: &[&Deferred<Finding>]) -> Vec<Finding> {
        let mut maps: HashMap<&str, HashSet<&str>> = HashMap::new();
        let mut sources: HashMap<&str, HashSet<&str>> = HashMap::new();
        let mut in_progress_maps: HashSet<&str> = HashSet::new();
        for d in deferred {
            let mut parts = d.key.split(':');
            match (parts.next(), parts.next(), parts.next(), parts.next()) {
                (Some("map"), Some(name), Some(file), None) => {
                    maps.entry(name).or_default().insert(file);
                }
                (Some("inprogress-map"), Some(file), None, None) => {
                    in_progress_maps.insert(file);
                }
                (Some("source"), Some(name), Some(file), None) => {
                    sources.entry(name).or_default().insert(file);
                }
                _ => {}
            }
        }
        let graph = IncludeGraph::from_deferred(deferred);
        let mut out = Vec::new();
        for d in deferred {
            // `EINPROGRESS` after `connect`, reported only where a header maps it onto
            // `WSAEINPROGRESS`.
            let (unresolved, name, file, in_progress) =
                if let Some(rest) = d.key.strip_prefix("inprogress:") {
                    let Some((unresolved, file)) = rest.split_once(':') else {
                        continue;
                    };
                    (unresolved, "EINPROGRESS", file, true)
                } else if let Some(rest) = d.key.strip_prefix("cmp:") {
                    let mut parts = rest.splitn(3, ':');
                    let (Some(unresolved), Some(name), Some(file)) =
                        (parts.next(), parts.next(), parts.next())
                    else {
                        continue;
                    };
                    (unresolved, name, file, false)
                } else {
                    continue;
                };
            let Some(finding) = d.item.clone() else {
                continue;
            };
            // A name the file does not know must be the Winsock error in a header it includes.
            if !unresolved.is_empty()
                && !sources
                    .get(unresolved)
                    .is_some_and(|files| graph.reaches(file, files))
            {
                continue;
            }
            if in_progress {
                if graph.reaches(file, &in_progress_maps) {
                    out.push(finding);
                }
                continue;
            }
            if maps.get(name).is_some_and(|f| graph.reaches(file, f)) {
                continue;
            }
            out.push(finding);
        }
        out
    }
}

/// The span of the pending test after `connect`: the comparison, or `case NAME`. (The constant
/// alone is the span of the other finding a header's mapping may rule out.)
fn test_range(m: &Match, constant: Node) -> std::ops::Range<usize> {
    match (m.get("compare"), m.get("case")) {
        (Some(compare), _) => compare.byte_range(),
        (None, Some(case)) => case.start_byte()..constant.end_byte(),
        (None, None) => constant.byte_range(),
    }
}

/// The finding of a pending test after `connect` that knows only `WSAEINPROGRESS`.
fn in_progress_diag(
    described: &str,
    name: &str,
    range: std::ops::Range<usize>,
    connect: std::ops::Range<usize>,
) -> Diagnostic {
    let message = format!(
        "{described} is compared with `{name}` after `connect`, but a non-blocking `connect` on Windows fails with `WSAEWOULDBLOCK` (10035), so every pending connection is taken for a failure"
    );
    META.diag(range, message)
        .with_related(connect, "the non-blocking `connect`")
        .with_fix(Fix::suggestion("accept `WSAEWOULDBLOCK` as pending too"))
}

/// Whether the test around `constant` also names the Winsock constant `winsock`: the whole
/// condition of `&&`/`||` a comparison belongs to, or the labels of a `case`'s `switch`.
fn also_tests(ctx: &Ctx, m: &Match, constant: Node, winsock: &str) -> bool {
    let scope = if let Some(compare) = m.get("compare") {
        let mut top = compare;
        while let Some(p) = top.parent() {
            let logical = p.kind_name() == "binary_expression"
                && p.field("operator")
                    .is_some_and(|o| matches!(ctx.text_of(o), "&&" | "||"));
            if !(logical || p.kind_name() == "parenthesized_expression") {
                break;
            }
            top = p;
        }
        top
    } else {
        match constant.parent().and_then(|c| c.parent()) {
            Some(body) => body,
            None => return false,
        }
    };
    let mut found = false;
    crate::facts::walk(scope, |n| {
        found |= n.kind_name() == "identifier" && ctx.text_of(n) == winsock;
    });
    found
}

/// The value a `case` label is compared with: its `switch`'s condition.
fn switch_value(case: Node) -> Option<Node> {
    let switch = case
        .parent()?
        .parent()
        .filter(|s| s.kind_name() == "switch_statement")?;
    let mut cond = switch.field("condition")?;
    // C++ wraps it in a `condition_clause`.
    if cond.kind_name() == "condition_clause" {
        cond = cond.field("value").or_else(|| cond.named_child(0))?;
    }
    Some(unwrap_parens(cond))
}

/// The name a header must confirm as the Winsock error, if the file does not know it.
fn unresolved_name(source: &WinsockError) -> Option<&str> {
    match source {
        WinsockError::Unresolved { name, .. } => Some(name),
        WinsockError::Variable { from, .. } => unresolved_name(from),
        _ => None,
    }
}

/// The error code as messages name it: "`WSAGetLastError()`", "`err`, set from
/// `WSAGetLastError()`,", "`SOCK_ERRNO`, which expands to `WSAGetLastError()`,".
fn describe(source: &WinsockError) -> String {
    match source {
        WinsockError::Direct => "`WSAGetLastError()`".to_string(),
        WinsockError::Named { shown, kind } => {
            format!("`{shown}`, which {} `WSAGetLastError()`,", kind.how())
        }
        WinsockError::Unresolved { shown, .. } => {
            format!("`{shown}`, the project's `WSAGetLastError()`,")
        }
        WinsockError::Variable { name, from, .. } => {
            let from = match from.as_ref() {
                WinsockError::Named { shown, .. } | WinsockError::Unresolved { shown, .. } => {
                    format!("`{shown}`")
                }
                _ => "`WSAGetLastError()`".to_string(),
            };
            format!("`{name}`, set from {from},")
        }
    }
}

/// The CRT value as messages give it: "140 since Visual Studio 2010", "4 in the C runtime".
fn crt_value(errno: &ErrnoConstant) -> String {
    if errno.since_vs2010 {
        format!("{} since Visual Studio 2010", errno.crt_value)
    } else {
        format!("{} in the C runtime", errno.crt_value)
    }
}

/// Why a mapping under `#ifndef NAME` does not help.
fn guard_note(name: &str, header: Option<&str>) -> String {
    let place = header.map_or(String::new(), |h| format!(" in `{h}`"));
    format!(
        "; the `#ifndef {name}` mapping{place} is skipped, since `errno.h` defines `{name}` (Visual Studio 2010 and later)"
    )
}

/// Whether the file's last `#define name` before the end has the value `value`.
fn maps_to(facts: &Facts, name: &str, value: &str) -> bool {
    facts
        .defines
        .iter()
        .rfind(|d| d.name == name && !d.function_like)
        .is_some_and(|d| d.value == value)
}

/// The `connect` (or `WSAConnect`) before `offset` in its function, when the function never
/// names `EWOULDBLOCK` (nor `WSAEWOULDBLOCK`): its pending test knows only `WSAEINPROGRESS`.
fn pending_connect(facts: &Facts, offset: usize) -> Option<std::ops::Range<usize>> {
    let index = facts.function_at(offset)?;
    let body = facts.functions[index].body;
    let mut would_block = false;
    crate::facts::walk(body, |n| {
        would_block |= n.kind_name() == "identifier" && facts.text_of(n).ends_with("EWOULDBLOCK");
    });
    if would_block {
        return None;
    }
    facts
        .calls_in(body.byte_range())
        .filter(|c| {
            !c.member
                && c.function == Some(index)
                && matches!(c.name.as_str(), "connect" | "WSAConnect")
                && c.node.end_byte() <= offset
                && !facts.never_windows(c.node.start_byte())
        })
        .last()
        .map(|c| c.node.byte_range())
}
