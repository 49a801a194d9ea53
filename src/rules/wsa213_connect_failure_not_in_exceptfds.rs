//! WSA213 connect-failure-not-in-exceptfds.

use crate::diagnostic::{Fix, Severity};
use crate::facts::winsock::fd_set_key;
use crate::facts::{unwrap_casts, Call, Facts};
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct ConnectFailureNotInExceptfds;

pub static META: RuleMeta = RuleMeta {
    code: "WSA213",
    name: "connect-failure-not-in-exceptfds",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "a non-blocking connect waited for without `exceptfds`: a refused connection looks like a timeout",
    docs: DOCS,
    queries: &[query!("wsa213-connect-failure-not-in-exceptfds.scm")],
    needles: &["select", "WSAPoll"],
    tags: &["correctness", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds a `select` that waits for a non-blocking `connect` of the same function (its socket set
non-blocking with `ioctlsocket(s, FIONBIO, ...)`, or the result compared with
`WSAEWOULDBLOCK`/`EINPROGRESS`) with the socket in `writefds` and `exceptfds` either `NULL` or
a set that never gets the socket, in code compiled for Windows. Also finds `WSAPoll` used to
wait for such a connect. Left alone: an `exceptfds` that holds the socket (or is filled by a
copy or a helper the rule cannot follow), a blocking `connect`, code only compiled for other
systems (there a failed connect makes the socket writable).

## Why is this bad?
On Windows a non-blocking `connect` that fails (refused, unreachable, timed out) never makes
the socket writable: Winsock reports the failure only in `exceptfds`. A `select` that watches
`writefds` alone returns 0 when its timeout expires, so a refused connection is reported as a
timeout after the whole wait, or, with no timeout, blocks for good. `WSAPoll` did not report a
failed connect at all before Windows 10 version 2004.

## Example
```c
FD_ZERO(&wfds);
FD_SET(s, &wfds);
if (select(0, NULL, &wfds, NULL, &tv) == 0)
    return ETIMEDOUT;
```

## Use instead
```c
FD_ZERO(&wfds);
FD_SET(s, &wfds);
FD_ZERO(&efds);
FD_SET(s, &efds);
if (select(0, NULL, &wfds, &efds, &tv) == 0)
    return ETIMEDOUT;
if (FD_ISSET(s, &efds))
    return connect_error(s); /* getsockopt(s, SOL_SOCKET, SO_ERROR, ...) */
```

## Fix safety
No automatic fix: the code must also handle the socket when `select` returns it in
`exceptfds`. The suggestion names the cure.

## References
- Microsoft Learn, "select function": for a non-blocking `connect`, `exceptfds` reports a failed
  connection attempt and `writefds` only a successful one.
- Microsoft Learn, "WSAPoll function": before Windows 10 version 2004, a failed connect was not
  reported.
"#;

impl Rule for ConnectFailureNotInExceptfds {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let Some(call_node) = m.get("call") else {
            return;
        };
        let facts: &Facts = ctx.facts;
        let Some(call) = facts.call_of(call_node) else {
            return;
        };
        let at = call_node.start_byte();
        if call.member || facts.calls_own_function(call) || !facts.windows_code(at) {
            return;
        }
        match call.name.as_str() {
            "select" => check_select(ctx, call),
            "WSAPoll" => check_poll(ctx, call),
            _ => {}
        }
    }
}

/// The non-blocking `connect` of `socket` that `wait` may wait for: before it in the same
/// function, on a path that reaches it.
fn pending_connect<'a, 't>(
    facts: &'a Facts<'t>,
    wait: &Call<'t>,
    socket: &str,
) -> Option<&'a Call<'t>> {
    let func = wait.function?;
    let body = facts.functions[func].body;
    facts
        .calls_in(body.start_byte()..wait.node.start_byte())
        .filter(|c| {
            c.function == Some(func)
                && c.name == "connect"
                && !c.member
                && c.arg(0).is_some_and(|a| facts.socket_key(a) == socket)
                && !Facts::exclusive(c.node, wait.node)
                && facts.branch_reaches(c.node.start_byte(), wait.node.start_byte())
                && facts.reaches(c.node, wait.node, &|_| false)
        })
        .last()
        .filter(|c| facts.nonblocking_connect(c))
}

fn check_select(ctx: &mut Ctx, call: &Call) {
    let facts = ctx.facts;
    let (Some(func), Some(write), Some(except), Some(timeout)) =
        (call.function, call.arg(2), call.arg(3), call.arg(4))
    else {
        return;
    };
    let Some(write_set) = fd_set_key(facts, write) else {
        return;
    };
    let except_set = fd_set_key(facts, except);
    let except_use = except_set.as_ref().map(|e| facts.fd_set_use(func, e));
    if except_use.as_ref().is_some_and(|u| u.unknown) {
        return;
    }
    let written = facts.fd_set_use(func, &write_set);
    for socket in &written.sockets {
        if except_set.as_deref() == Some(write_set.as_str())
            || except_use
                .as_ref()
                .is_some_and(|u| u.sockets.iter().any(|s| s == socket))
        {
            continue;
        }
        let Some(connect) = pending_connect(facts, call, socket) else {
            continue;
        };
        let outcome = if fd_set_key(facts, timeout).is_none() {
            "blocks the wait for good"
        } else {
            "looks like a timeout"
        };
        let wait = match &except_set {
            None => {
                format!("`select` waits for the pending connect of `{socket}` with no `exceptfds`")
            }
            Some(e) => format!(
                "`select` waits for the pending connect of `{socket}`, but `{e}` never holds it"
            ),
        };
        ctx.report(
            META.diag(
                call.node.byte_range(),
                format!(
                    "{wait}: Winsock reports a failed connect only in `exceptfds`, so a refused connection {outcome}"
                ),
            )
            .with_related(connect.node.byte_range(), format!("`{socket}` starts connecting here"))
            .with_fix(Fix::suggestion(format!(
                "add `{socket}` to `exceptfds` and treat it as failed there"
            ))),
        );
        return;
    }
}

fn check_poll(ctx: &mut Ctx, call: &Call) {
    let facts = ctx.facts;
    let (Some(func), Some(fds)) = (call.function, call.arg(0)) else {
        return;
    };
    let Some(array) = fd_set_key(facts, fds) else {
        return;
    };
    let base = |key: &str| key.split(['[', '.']).next().unwrap_or("").to_string();
    let array = base(&array);
    // The sockets the function puts in the array: `pfd.fd = s`, `pfd[0].fd = s`,
    // `WSAPOLLFD pfd = { s, POLLWRNORM, 0 }`.
    let mut sockets = Vec::new();
    for a in facts
        .assignments
        .iter()
        .filter(|a| a.function == Some(func))
    {
        let target = facts.socket_key(a.target_node);
        if base(&target) != array {
            continue;
        }
        let value = unwrap_casts(a.value);
        if target.ends_with(".fd") || target.ends_with("->fd") {
            sockets.push(facts.socket_key(value));
        } else if value.kind_name() == "initializer_list" {
            sockets.extend(value.named_child(0).map(|v| facts.socket_key(v)));
        }
    }
    for socket in &sockets {
        let Some(connect) = pending_connect(facts, call, socket) else {
            continue;
        };
        ctx.report(
            META.diag(
                call.node.byte_range(),
                format!(
                    "`WSAPoll` waits for the pending connect of `{socket}`: before Windows 10 2004 it does not report a failed connect, so a refused connection looks like a timeout"
                ),
            )
            .with_related(connect.node.byte_range(), format!("`{socket}` starts connecting here"))
            .with_fix(Fix::suggestion(format!(
                "wait with `select` and `{socket}` in `exceptfds`"
            ))),
        );
        return;
    }
}
