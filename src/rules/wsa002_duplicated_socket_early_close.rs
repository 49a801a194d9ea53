//! WSA002 duplicated-socket-early-close (Q198663).

use tree_sitter::Node;

use crate::diagnostic::{Fix, Severity};
use crate::facts::order::{FailsWith, Outcome};
use crate::facts::{unwrap_casts, Call, Facts};
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct DuplicatedSocketEarlyClose;

pub static META: RuleMeta = RuleMeta {
    code: "WSA002",
    name: "duplicated-socket-early-close",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "Q198663",
    summary:
        "a socket closed right after WSADuplicateSocket, before the other process took it over",
    docs: DOCS,
    queries: &[query!("wsa002-duplicated-socket-early-close.scm")],
    needles: &["WSADuplicateSocket"],
    tags: &["reliability", "resource-leak", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds a `closesocket(s)` (or a closer of the resource model, or MFC's `Close()` on the socket
object) that follows `WSADuplicateSocketA/W(s, ...)` in the same function, on a path where
nothing waits for the other process to take the socket over. A hand-off wait is
`WaitForSingleObject(Ex)`, `WaitForMultipleObjects(Ex)`, `MsgWaitForMultipleObjects(Ex)`,
`SignalObjectAndWait`, `WSAWaitForMultipleEvents`, `ReadFile`, `recv`/`WSARecv` of an
acknowledgement, `GetOverlappedResult`, a C++ `wait`/`join`, a function of the same file that
calls one of them, or - for a duplication into the own process - the `WSASocket` call that
opens the copy from the protocol information. A wait counts only when it runs on every path
to the close: not one under `if (wait_for_helper)` alone, nor in the body of a loop that may
run no time; a wait in a loop condition, in a `do` or `for (;;)` body, or on an `if` arm whose
other arm waits, leaves or is the failure of the duplication does.

Not a finding: the close on the failure branch of the duplication
(`if (WSADuplicateSocket(...) == SOCKET_ERROR) { closesocket(s); return; }`, also through a
result variable or a `goto` to a cleanup label), a close after a wait, a close in another
function, a close of a different socket, and code in POSIX branches or `#if 0`.

## Why is this bad?
On Windows 95 and 98, `closesocket` on a socket that was duplicated into another process does
not clean up the connection: it stays in CLOSE_WAIT or FIN_WAIT_2 for good. After a few dozen
hand-offs the stack's 100 TCP sockets are used up and every `connect` fails with WSAENOBUFS
(Q198663). On every Windows, closing before the other process has opened its copy races with
the hand-off itself.

## Example
```c
WSAPROTOCOL_INFO info;
WSADuplicateSocket(s, pi.dwProcessId, &info);
WriteFile(pipe, &info, sizeof(info), &written, NULL);
closesocket(s);
```

## Use instead
Close the parent's socket only after the child has signalled that it took the socket over:
```c
if (WSADuplicateSocket(s, pi.dwProcessId, &info) == SOCKET_ERROR) {
    closesocket(s);
    return WSAGetLastError();
}
WriteFile(pipe, &info, sizeof(info), &written, NULL);
WaitForSingleObject(child_ready, INFINITE);
closesocket(s);
```

## Fix safety
No automatic fix: the hand-off protocol between the processes has to be designed. The
suggestion names the cure.

## References
- Q198663: closesocket() on a duplicated socket fails to clean up (Windows 95/98).
"#;

/// Calls that wait for the other process to acknowledge the hand-off.
pub const HANDOFF_WAITS: &[&str] = &[
    "WaitForSingleObject",
    "WaitForSingleObjectEx",
    "WaitForMultipleObjects",
    "WaitForMultipleObjectsEx",
    "MsgWaitForMultipleObjects",
    "MsgWaitForMultipleObjectsEx",
    "SignalObjectAndWait",
    "WSAWaitForMultipleEvents",
    "ReadFile",
    "ReadFileEx",
    "recv",
    "recvfrom",
    "WSARecv",
    "WSARecvFrom",
    "GetOverlappedResult",
    "GetOverlappedResultEx",
    "WSAGetOverlappedResult",
    "WaitForInputIdle",
];

/// C++ member functions that block until another thread or process is done.
const MEMBER_WAITS: &[&str] = &["wait", "wait_for", "wait_until", "join"];

impl Rule for DuplicatedSocketEarlyClose {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let Some(node) = m.get("dup") else { return };
        let facts = ctx.facts;
        let Some(dup) = facts.call_of(node) else {
            return;
        };
        if dup.member || !is_duplication(&dup.name) || facts.not_for_windows(node.start_byte()) {
            return;
        }
        let Some(func) = dup.function else { return };
        let Some(sock) = dup.arg(0).map(|a| facts.socket_key(a)) else {
            return;
        };
        let wrappers = facts.functions_calling(HANDOFF_WAITS);
        let is_wait = |c: &Call| {
            if c.member {
                MEMBER_WAITS.contains(&c.name.as_str())
            } else {
                HANDOFF_WAITS.contains(&c.name.as_str())
                    || wrappers.contains(&c.name)
                    || opens_the_copy(facts, c, dup)
            }
        };
        let body = facts.functions[func].body;
        for close in facts.calls_in(body.byte_range()) {
            if close.function != Some(func)
                || close.node.start_byte() < node.end_byte()
                || facts.not_for_windows(close.node.start_byte())
            {
                continue;
            }
            if closed_socket(facts, ctx, close).as_deref() != Some(sock.as_str()) {
                continue;
            }
            if !unguarded_close(facts, node, close.node, &is_wait) {
                continue;
            }
            // A later duplication of the same socket owns this close.
            let later = facts
                .calls_in(node.end_byte()..close.node.start_byte())
                .any(|d| {
                    d.function == Some(func)
                        && !d.member
                        && is_duplication(&d.name)
                        && d.arg(0).map(|a| facts.socket_key(a)).as_deref() == Some(sock.as_str())
                        && unguarded_close(facts, d.node, close.node, &is_wait)
                });
            if later {
                continue;
            }
            let dup_name = &dup.name;
            ctx.report(
                META.diag(
                    close.node.byte_range(),
                    format!(
                        "`{sock}` is closed after `{dup_name}` without waiting for the other process to take it over"
                    ),
                )
                .with_related(
                    node.byte_range(),
                    format!("`{sock}` is duplicated for another process here"),
                )
                .with_fix(Fix::suggestion(format!(
                    "close `{sock}` only after the other process signals that it has taken the socket over"
                ))),
            );
        }
    }
}

/// `WSASocket(..., &info, ...)` with the duplication's protocol information: the copy is open
/// (a duplication into the own process), so the hand-off is complete.
fn opens_the_copy(facts: &Facts, call: &Call, dup: &Call) -> bool {
    matches!(
        call.name.as_str(),
        "WSASocket" | "WSASocketA" | "WSASocketW"
    ) && match (call.arg(3), dup.arg(2)) {
        (Some(info), Some(target)) => {
            let key = |n: Node| {
                let k = facts.socket_key(n);
                k.trim_start_matches('&').to_string()
            };
            key(info) == key(target)
        }
        _ => false,
    }
}

fn is_duplication(name: &str) -> bool {
    matches!(
        name,
        "WSADuplicateSocket" | "WSADuplicateSocketA" | "WSADuplicateSocketW"
    )
}

/// The socket a call closes: `closesocket(s)` and the resource model's closers by their first
/// argument; MFC's `sock.Close()` closes `sock.m_hSocket`, a bare `Close()` in a method closes
/// the object's own `m_hSocket`.
fn closed_socket(facts: &Facts, ctx: &Ctx, call: &Call) -> Option<String> {
    if !call.member && ctx.config.resources.is_closer(&call.name) {
        return call.arg(0).map(|a| facts.socket_key(a));
    }
    if call.name != "Close" || !call.args.is_empty() {
        return None;
    }
    if call.member {
        let object = call.callee.field("argument")?;
        let op = if facts.text_of(call.callee).contains("->") {
            "->"
        } else {
            "."
        };
        let object = facts.socket_key(unwrap_casts(object));
        if object == "this" {
            return Some("m_hSocket".to_string());
        }
        return Some(format!("{object}{op}m_hSocket"));
    }
    let in_method = call
        .function
        .is_some_and(|f| facts.functions[f].name.contains("::"));
    in_method.then(|| "m_hSocket".to_string())
}

/// Whether `close` can follow the duplication `dup` with no hand-off wait between: it is not
/// on the failure branch, can be reached from the duplication, is not exclusive with it, and no
/// wait lies between them.
fn unguarded_close(facts: &Facts, dup: Node, close: Node, is_wait: &dyn Fn(&Call) -> bool) -> bool {
    if facts.outcome_at(dup, close, FailsWith::NonZero) == Some(Outcome::Failure) {
        return false;
    }
    if Facts::exclusive(dup, close) {
        return false;
    }
    let on_failure =
        |g: Node| facts.outcome_at(dup, g, FailsWith::NonZero) == Some(Outcome::Failure);
    if !facts.reaches(dup, close, &on_failure) {
        return false;
    }
    facts
        .call_between(dup, FailsWith::NonZero, close, is_wait)
        .is_none()
}
