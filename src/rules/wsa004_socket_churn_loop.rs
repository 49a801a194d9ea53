//! WSA004 socket-churn-loop (Q171996, Q148336).

use crate::diagnostic::{Fix, Severity};
use crate::facts::order::is_jump;
use crate::facts::{Call, Facts};
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct SocketChurnLoop;

pub static META: RuleMeta = RuleMeta {
    code: "WSA004",
    name: "socket-churn-loop",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "Q171996, Q148336",
    summary:
        "a socket created and closed on every iteration of an endless loop that never backs off",
    docs: DOCS,
    queries: &[query!("wsa004-socket-churn-loop.scm")],
    needles: &["socket"],
    tags: &["reliability", "performance", "resource-leak", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds a socket created (`socket`, `WSASocket`, `WSASocketA/W`, or a creator named in the
configuration) and closed (`closesocket` or a configured closer, also through a macro rename
such as `#define CLOSE_SOCKET closesocket`) on every iteration of an endless loop -
`for (;;)`, `while (1)`, `while (TRUE)`, `do ... while (1)` - that never waits between
iterations.

Not a finding:
- a bounded retry loop (`for (i = 0; i < 3; i++)`), or a loop with any other condition;
- a loop that backs off: `Sleep`/`SleepEx` with a non-zero delay, a wait with a timeout
  (`WaitForSingleObject(Ex)`, `WaitForMultipleObjects(Ex)`, `WSAWaitForMultipleEvents`),
  `select`, `poll`/`WSAPoll` with a timeout, `std::this_thread::sleep_for`, `usleep`,
  `nanosleep`. A `select` with a NULL or zero `timeval`, or a `poll`/`WSAPoll` of `0` or `-1`
  ms, waits on the socket or not at all: it does not back off between attempts;
- a loop that calls a helper of the same file that backs off, or a helper whose body is in
  another file and whose name says it backs off: it holds `sleep`, `backoff`/`back_off`,
  `delay`, `throttle`, `wait`, `pause` or `yield` (`backoff(&delay)`, `wait_before_retry()`,
  `RetryDelay(ms)`), in any case, but not `nodelay`;
- a loop paced by outside input: an `accept` loop that closes accepted clients, a loop that
  blocks in `recv`/`recvfrom`/`ReadFile` on another socket or pipe, `GetMessage`, a
  condition variable's `wait`;
- code in POSIX branches and `#if 0`.

## Why is this bad?
Creating and closing sockets in a tight loop - the `socket`, `setsockopt`, `connect`, `send`,
`closesocket` sequence - leaked non-paged pool on Windows NT 4.0 because the I/O completion APCs
never got to run (Q171996), and leaked kernel memory on Windows 95 (Q148336). Today it still
fills the port range with connections in TIME_WAIT, after which `connect` and `bind` fail with
WSAEADDRINUSE or WSAENOBUFS - and when the peer is down, the loop spins at full speed.

## Example
```c
for (;;) {
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (connect(s, (SOCKADDR *)&server, sizeof(server)) == 0)
        send(s, report, len, 0);
    closesocket(s);
}
```

## Use instead
Keep one connection open and reuse it, or pool connections; when a new connection per attempt
is really needed, back off between attempts:
```c
DWORD delay = 100;
for (;;) {
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (connect(s, (SOCKADDR *)&server, sizeof(server)) == 0) {
        serve(s);
        delay = 100;
    }
    closesocket(s);
    Sleep(delay);
    delay = min(delay * 2, 30000);
}
```

## Fix safety
No automatic fix: reusing a connection or choosing a back-off is a design decision. The
suggestion names the cure.

## References
- Q171996: Winsock function calls generate non-paged pool memory leak (Windows NT 3.51/4.0).
- Q148336: memory leak in Windows 95 kernel using Windows Sockets.
"#;

/// The calls that create a new socket of the program's own (not an accepted client).
const CHURN_CREATORS: &[&str] = &["socket", "WSASocket", "WSASocketA", "WSASocketW"];

impl Rule for SocketChurnLoop {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let Some(loop_node) = m.get("loop") else {
            return;
        };
        let facts = ctx.facts;
        let Some(lp) = facts.loops.iter().find(|l| l.node.id() == loop_node.id()) else {
            return;
        };
        if !lp.unbounded || lp.bounded || lp.once || facts.not_for_windows(loop_node.start_byte()) {
            return;
        }
        let func = facts.function_at(loop_node.start_byte());
        let resources = &ctx.config.resources;
        let is_creator = |c: &Call| {
            !c.member
                && (CHURN_CREATORS.contains(&c.name.as_str())
                    || resources.creators.contains(&c.name))
        };
        let mut reports = Vec::new();
        for create in facts.calls_in(loop_node.byte_range()) {
            if create.function != func || !is_creator(create) {
                continue;
            }
            // The innermost endless loop around the creation is the one that churns.
            let innermost = facts
                .loops_in_function_around(create.node.start_byte())
                .into_iter()
                .find(|l| l.unbounded);
            if innermost.map(|l| l.node.id()) != Some(loop_node.id()) {
                continue;
            }
            let Some(sock) = facts.stored_in(create.node) else {
                continue;
            };
            let Some(close) = facts.calls_in(loop_node.byte_range()).find(|c| {
                c.function == func
                    && !c.member
                    && resources.is_closer(&c.name)
                    && c.arg(0).is_some_and(|a| facts.socket_key(a) == sock)
                    && !leaves_loop_after(facts, c)
            }) else {
                continue;
            };
            if lp.paced_by(facts, &sock).is_some() {
                continue;
            }
            let func_name = ctx.function_name(create.node.start_byte());
            reports.push(
                META.diag(
                    create.node.byte_range(),
                    format!(
                        "`{sock}` is created and closed on every iteration of an endless loop in `{func_name}` that never backs off"
                    ),
                )
                .with_related(lp.header(), "this loop never ends and never waits between iterations")
                .with_related(close.node.byte_range(), format!("`{sock}` is closed here on every iteration"))
                .with_fix(Fix::suggestion(
                    "reuse one connection (or a pool of them), or back off between attempts with a growing delay",
                )),
            );
        }
        for d in reports {
            ctx.report(d);
        }
    }
}

/// Whether the statement right after a close leaves the loop (`closesocket(s); break;`): the
/// loop then does not go round again after closing.
fn leaves_loop_after(facts: &Facts, close: &Call) -> bool {
    let mut stmt = close.node;
    while let Some(p) = stmt.parent() {
        if p.kind_name() == "expression_statement" {
            stmt = p;
            break;
        }
        if !matches!(
            p.kind_name(),
            "parenthesized_expression" | "cast_expression"
        ) {
            return false;
        }
        stmt = p;
    }
    let mut next = stmt.next_named_sibling();
    while let Some(n) = next.filter(|n| n.kind_name() == "comment") {
        next = n.next_named_sibling();
    }
    next.is_some_and(|n| {
        matches!(
            n.kind_name(),
            "break_statement" | "return_statement" | "goto_statement"
        ) || is_jump(n, facts.text) && n.kind_name() != "continue_statement"
    })
}
