//! WSA203 errno-for-winsock-error.

use crate::diagnostic::{Fix, Severity};
use crate::facts::Facts;
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct ErrnoForWinsockError;

pub static META: RuleMeta = RuleMeta {
    code: "WSA203",
    name: "errno-for-winsock-error",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "`errno` or `perror` used for a Winsock failure, which sets `WSAGetLastError()`",
    docs: DOCS,
    queries: &[query!("wsa203-errno-for-winsock-error.scm")],
    needles: &["errno", "perror"],
    tags: &["correctness", "portability", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds `errno` (and so `strerror(errno)`) read, or `perror` called, where the failure of a
Winsock call is handled: in the condition or the body of an `if` that tests the result of
`connect`, `send`, `recv`, `socket`, `WSARecv`... (directly, or through a variable assigned
from it just before), or after an `if` that leaves when the call succeeds (`if (connect(...) ==
0) return s;`), or after a label that only the failure branches of Winsock calls jump to (`if
(connect(...) == SOCKET_ERROR) goto fail; ... return s; fail: perror("connect");`), in code
compiled for Windows. An `if` that tests a CRT call (`fwrite`, `fclose`, `strtol`...) is about
that call's `errno`. `WSAStartup` is reported too: it returns its error code and sets neither
`errno` nor `WSAGetLastError()`. Left alone: the POSIX branch of portable code, files that
never see Winsock, a file that defines `errno` itself, and a local variable that happens to be
called `errno`, and `errno` the code itself set from `WSAGetLastError()` after the failure.

## Why is this bad?
Winsock functions do not set `errno`. Their error code is read with `WSAGetLastError()`. Code
that tests `errno == EWOULDBLOCK` after a non-blocking `send` never sees the condition (and on
MSVC `EWOULDBLOCK` is not even `WSAEWOULDBLOCK`); `perror("connect")` prints whatever an earlier
CRT call left behind, often "No error".

## Example
```c
if (connect(s, sa, len) == SOCKET_ERROR) {
    perror("connect");
    return -1;
}
```

## Use instead
```c
if (connect(s, sa, len) == SOCKET_ERROR) {
    fprintf(stderr, "connect: error %d\n", WSAGetLastError());
    return -1;
}
```

## Fix safety
No automatic fix: error codes and messages differ (`WSAECONNREFUSED` is not `ECONNREFUSED`).
The suggestion names the cure.

## References
- Microsoft Learn, "Error Codes - errno, h_errno and WSAGetLastError".
"#;

/// `node` (a read of `errno` or a `perror` call) where the failure of a Winsock call is handled
/// in Windows code: the statement that handles it and the failed call.
fn judge<'a, 't>(
    facts: &'a Facts<'t>,
    node: tree_sitter::Node<'t>,
    is_perror: bool,
) -> Option<(tree_sitter::Node<'t>, &'a crate::facts::Call<'t>)> {
    if !is_perror {
        // `errno = 0` writes it; a variable or macro of the file's own is not the CRT's.
        let written = node.parent().is_some_and(|p| {
            p.kind_name() == "assignment_expression"
                && p.field("left").is_some_and(|l| l.id() == node.id())
        });
        if written
            || facts.decl_of("errno", node.start_byte()).is_some()
            || facts.defines.iter().any(|d| d.name == "errno")
        {
            return None;
        }
    }
    let offset = node.start_byte();
    if facts.never_windows(offset) {
        return None;
    }
    let (if_node, failed) = facts
        .failure_branch_of(node)
        .or_else(|| facts.failure_label_of(node))?;
    // A wrapper compared with `SOCKET_ERROR` may well set `errno` itself; only a Winsock
    // call by name is known not to.
    if !crate::facts::winsock::is_winsock_failure(&failed.name) {
        return None;
    }
    let windows_evidence = facts.windows_code(offset)
        || failed.arg(0).is_some_and(|a| facts.has_socket_type(a))
        || if_node.field("condition").is_some_and(|c| {
            let t = facts.text_of(c);
            t.contains("SOCKET_ERROR") || t.contains("INVALID_SOCKET")
        });
    if !windows_evidence {
        return None;
    }
    // `errno = wsa_error_to_errno(WSAGetLastError())` after the failure: the code set it.
    let set_before = facts.assignments.iter().any(|a| {
        a.target == "errno"
            && a.function == failed.function
            && failed.node.end_byte() <= a.value.start_byte()
            && a.value.end_byte() <= offset
    });
    (!set_before).then_some((if_node, failed))
}

/// Whether the handling of `failed` inside `within` already has its finding: one finding per
/// failing call (`errno != EWOULDBLOCK && errno != EINTR` is one mistake). Matches come in
/// document order, so an earlier read of `errno` for the same failure was reported just before;
/// the check looks back only over this rule's findings inside `within`, so a condition of
/// thousands of `errno` reads stays linear.
fn reported_before(ctx: &Ctx, within: tree_sitter::Node, failed: &crate::facts::Call) -> bool {
    let named = format!("`{}`", failed.name);
    ctx.diagnostics
        .iter()
        .rev()
        .filter(|d| d.code == META.code)
        .take_while(|d| d.range.start >= within.start_byte())
        .any(|d| {
            d.range.start >= failed.node.end_byte()
                && d.range.end <= within.end_byte()
                && d.message.contains(&named)
        })
}

impl Rule for ErrnoForWinsockError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let (node, is_perror) = if let Some(e) = m.get("errno") {
            (e, false)
        } else if let Some(call) = m.get("call") {
            (call, true)
        } else {
            return;
        };
        let facts = ctx.facts;
        let Some((if_node, failed)) = judge(facts, node, is_perror) else {
            return;
        };
        if reported_before(ctx, if_node, failed) {
            return;
        }
        let name = &failed.name;
        // `WSAStartup` returns its error code: that code, not `WSAGetLastError()`, is the cure.
        let returns_its_error = !crate::facts::winsock::is_winsock_call(name);
        let message = match (is_perror, returns_its_error) {
            (true, false) => format!("`perror` prints `errno`, which `{name}` does not set"),
            (false, false) => {
                format!("`{name}` reports its error through `WSAGetLastError()`, not `errno`")
            }
            (true, true) => format!(
                "`perror` prints `errno`, which `{name}` does not set: its error is the code it returned"
            ),
            (false, true) => {
                format!("`{name}` returns its error code and does not set `errno`")
            }
        };
        let fix = if returns_its_error {
            format!("report the code `{name}` returned instead")
        } else {
            "read `WSAGetLastError()` instead".to_string()
        };
        ctx.report(
            META.diag(node.byte_range(), message)
                .with_fix(Fix::suggestion(fix)),
        );
    }
}
