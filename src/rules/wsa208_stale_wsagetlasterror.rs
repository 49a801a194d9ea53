//! WSA208 stale-wsagetlasterror.

use std::ops::Range;

use tree_sitter::Node;

use crate::diagnostic::{Fix, Severity};
use crate::facts::winsock::may_set_last_error;
use crate::facts::Facts;
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct StaleWsaGetLastError;

pub static META: RuleMeta = RuleMeta {
    code: "WSA208",
    name: "stale-wsagetlasterror",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "`WSAGetLastError()` read after another call that may have overwritten the error",
    docs: DOCS,
    queries: &[query!("wsa208-stale-wsagetlasterror.scm")],
    needles: &["WSAGetLastError"],
    tags: &["correctness", "winsock"],
    precision: "medium",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds `WSAGetLastError()` read in the failure branch of a Winsock call (`if (connect(...) ==
SOCKET_ERROR) { ... }`, or `if (rc == SOCKET_ERROR)` after `rc = send(...)`) after another call
on the way that may overwrite the error: another Winsock call such as `closesocket`, a
`printf`-style or logging call, a message box (`MessageBox`, `AfxMessageBox`), CRT file I/O
(`fputs`, `fclose`), `OutputDebugString`, `CloseHandle`, `WriteFile`... Macros such as `FD_SET`
and the code's own helpers (`backoff_ms`) are not taken to touch the error. A call on a
branch that leaves the block (`return`, `break`, `goto`) is not on the way, nor are calls tested
together in one condition (`bind(...) != 0 || listen(...) != 0`): short-circuit evaluation
enters the branch right after the one that failed.

## Why is this bad?
`WSAGetLastError()` returns the last error of the calling thread, and nearly every call may set
it: a successful `closesocket` may reset it, a logging call that writes a file may replace it.
The code then reports, or retries on, an error that is not the one of the failed call: a
`WSAEWOULDBLOCK` turns into 0 and a would-block is treated as a hard failure.

## Example
```c
if (send(s, buf, len, 0) == SOCKET_ERROR) {
    closesocket(s);
    log_error("send failed: %d", WSAGetLastError());
}
```

## Use instead
```c
if (send(s, buf, len, 0) == SOCKET_ERROR) {
    int err = WSAGetLastError();
    closesocket(s);
    log_error("send failed: %d", err);
}
```

## Fix safety
No automatic fix: the read must move above calls that may have side effects in between. The
suggestion names the cure.

## References
- Microsoft Learn, "WSAGetLastError function": call it immediately after the failed function.
"#;

/// Whether a statement may leave the enclosing block instead of falling through.
fn has_jump(node: Node) -> bool {
    let mut found = false;
    crate::facts::walk(node, |n| {
        if matches!(
            n.kind_name(),
            "return_statement"
                | "break_statement"
                | "continue_statement"
                | "goto_statement"
                | "throw_statement"
        ) {
            found = true;
        }
    });
    found
}

/// The ranges executed before `read` on its way from the start of `stop`: for each ancestor of
/// `read` below `stop`, its earlier siblings that fall through.
fn ranges_on_the_way(read: Node, stop: Node) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut node = read;
    while let Some(parent) = node.parent() {
        // Only statements run in order; the arguments of one call do not.
        let ordered = matches!(
            parent.kind_name(),
            "compound_statement" | "if_statement" | "case_statement" | "labeled_statement"
        );
        let mut sib = if !ordered {
            None
        } else if parent.kind_name() == "if_statement" {
            // Only the condition runs before either branch: the branches exclude each other.
            parent.field("condition").filter(|c| c.id() != node.id())
        } else {
            node.prev_named_sibling()
        };
        while let Some(s) = sib {
            if s.kind_name() != "comment" && !has_jump(s) {
                out.push(s.byte_range());
            }
            sib = if parent.kind_name() == "if_statement" {
                None
            } else {
                s.prev_named_sibling()
            };
        }
        if parent.id() == stop.id() {
            break;
        }
        node = parent;
    }
    out
}

impl Rule for StaleWsaGetLastError {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let Some(read) = m.get("read") else { return };
        let facts: &Facts = ctx.facts;
        if facts.never_windows(read.start_byte()) {
            return;
        }
        let Some((if_node, failed)) = facts.failure_branch_of(read) else {
            return;
        };
        // `WSAStartup` returns its error and leaves the last error alone: nothing to go stale.
        if !crate::facts::winsock::is_winsock_call(&failed.name) {
            return;
        }
        let after = failed.node.end_byte();
        let ranges = ranges_on_the_way(read, if_node);
        // `bind(...) != 0 || listen(...) != 0`: the branch sees the error of the last one run.
        let alternatives = if_node
            .field("condition")
            .map(|c| facts.tested_calls(c))
            .unwrap_or_default();
        let Some(function) = facts.function_at(read.start_byte()) else {
            return;
        };
        let overwriting = facts
            .calls_in(failed.node.end_byte()..read.start_byte())
            .filter(|c| {
                c.node.start_byte() >= after
                    && c.function == Some(function)
                    && !c.member
                    && may_set_last_error(&c.name)
                    && !Facts::within(read, c.node)
                    && !alternatives.iter().any(|a| a.node.id() == c.node.id())
                    && ranges
                        .iter()
                        .any(|r| r.start <= c.node.start_byte() && c.node.end_byte() <= r.end)
            })
            // An argument that reads the error itself keeps it (`log("%d", WSAGetLastError())`).
            .find(|c| {
                !facts
                    .calls_in(c.node.byte_range())
                    .any(|inner| inner.name == "WSAGetLastError")
            });
        let Some(between) = overwriting else { return };
        let (failed_name, between_name) = (&failed.name, &between.name);
        ctx.report(
            META.diag(
                read.byte_range(),
                format!("`WSAGetLastError()` is read after `{between_name}`, which may overwrite the error of `{failed_name}`"),
            )
            .with_related(
                between.node.byte_range(),
                format!("`{between_name}` may overwrite the error here"),
            )
            .with_fix(Fix::suggestion(format!(
                "read `WSAGetLastError()` right after `{failed_name}` fails"
            ))),
        );
    }
}
