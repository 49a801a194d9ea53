//! WSA211 udp-connreset-kills-receiver.

use tree_sitter::Node;

use crate::diagnostic::{Finding, Fix, Severity};
use crate::facts::order::{FailsWith, Outcome};
use crate::facts::{unwrap_parens, Call, Facts, Loop, Platform};
use crate::node::NodeExt;
use crate::rules::{Ctx, Deferred, FixKind, Rule, RuleMeta};

pub struct UdpConnresetKillsReceiver;

pub static META: RuleMeta = RuleMeta {
    code: "WSA211",
    name: "udp-connreset-kills-receiver",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "a UDP receive loop ends on `WSAECONNRESET`, which one unreachable peer causes",
    docs: DOCS,
    queries: &[],
    // The file that turns `SIO_UDP_CONNRESET` off must be read too, or the project-wide phase
    // would believe nothing does.
    needles: &[
        "recvfrom",
        "WSARecvFrom",
        "SOCK_DGRAM",
        "IPPROTO_UDP",
        "SIO_UDP_CONNRESET",
    ],
    tags: &["reliability", "winsock"],
    precision: "medium",
    security_severity: None,
    flow: true,
};

const DOCS: &str = r#"## What it does
Finds a receive loop on a datagram socket (one the file creates with `SOCK_DGRAM` or
`IPPROTO_UDP`, or one read with `recvfrom` or `WSARecvFrom` into a sender address) in Windows
code whose failure ends receiving for every error but the ones it names (`WSAEWOULDBLOCK`,
`WSAEMSGSIZE`, `WSAEINTR`...): the failure branch leaves the loop (`break`, `return`, a flag the
loop condition reads), closes the socket or ends the process, or the loop condition itself stops
at the first failure (`while ((n = recvfrom(...)) > 0)`). Looks at the whole project (the
directory of the nearest `wsalint.toml`, else the checkout): when any file of it names
`SIO_UDP_CONNRESET` (turning it off with `WSAIoctl`), nothing is reported. Not a finding: a
failure branch that goes on receiving (`continue`) or that tests `WSAECONNRESET` itself, a
loop that leaves on `WSAEWOULDBLOCK` as well (it drains a non-blocking socket for an event loop
that calls it again, so leaving it ends nothing; closing the socket there still does), a
socket the file connects (a connected UDP socket may want the reset), a receive outside a loop.

## Why is this bad?
When a datagram sent with `sendto` reaches a port where nothing listens, the peer answers with
an ICMP port-unreachable, and Windows reports it as `WSAECONNRESET` on the next receive of the
socket that sent it, whichever peer that receive was for. A server that treats every receive
error as fatal stops serving everyone as soon as one client goes away.

## Example
```c
for (;;) {
    int n = recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &len);
    if (n == SOCKET_ERROR) {
        if (WSAGetLastError() == WSAEWOULDBLOCK)
            continue;
        break; /* WSAECONNRESET from any peer ends the server */
    }
    answer(s, buf, n, &from, len);
}
```

## Use instead
```c
BOOL off = FALSE;
DWORD bytes = 0;
WSAIoctl(s, SIO_UDP_CONNRESET, &off, sizeof off, NULL, 0, &bytes, NULL, NULL);
```
Or go on receiving after `WSAECONNRESET` (`if (err == WSAECONNRESET) continue;`).

## Fix safety
No automatic fix: whether the reset means anything to the program is its author's call. The
suggestion names both cures.

## References
- Microsoft Learn, "WSAIoctl function": `SIO_UDP_CONNRESET`.
- Microsoft Learn, "recvfrom function": `WSAECONNRESET` on a UDP datagram socket.
"#;

/// Receive calls that tell who sent a datagram.
const FROM_CALLS: &[&str] = &["recvfrom", "WSARecvFrom"];
/// Receive calls that read datagrams on a socket created for them.
const PLAIN_CALLS: &[&str] = &["recv", "WSARecv"];
/// Error codes a receive loop may special-case without making the reset any less fatal.
const OTHER_CODES: &[&str] = &[
    "WSAEWOULDBLOCK",
    "WSAEMSGSIZE",
    "WSAEINTR",
    "WSAETIMEDOUT",
    "WSAEINPROGRESS",
    "WSA_IO_PENDING",
    "ERROR_IO_PENDING",
    "EWOULDBLOCK",
    "EAGAIN",
    "EINTR",
    "EMSGSIZE",
];

/// How a receive failure ends receiving.
enum Exit<'t> {
    /// The loop ends: a `break`, a `return`, a `throw`, a flag the loop condition reads, or the
    /// loop condition itself.
    Loop(Node<'t>),
    /// The socket is closed.
    Close(Node<'t>),
    /// The process or thread ends.
    Process(Node<'t>),
}

impl Rule for UdpConnresetKillsReceiver {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, ctx: &mut Ctx) {
        let facts = ctx.facts;
        if names_connreset_off(ctx) {
            ctx.defer(&META, "connreset-off", None);
        }
        for call in &facts.calls {
            if call.member {
                continue;
            }
            let from = FROM_CALLS.contains(&call.name.as_str());
            if !from && !PLAIN_CALLS.contains(&call.name.as_str()) {
                continue;
            }
            let at = call.node.start_byte();
            if facts.never_windows(at)
                || !facts.windows_code(at)
                || facts.in_error(call.node.byte_range())
            {
                continue;
            }
            let Some(socket) = call.arg(0) else {
                continue;
            };
            let key = facts.socket_key(socket);
            let datagram = facts.created_as_datagram(&key);
            // `recvfrom(s, buf, len, 0, NULL, NULL)` on a socket the file does not create could
            // read a stream: a receiver that never learns who sent a datagram shows no UDP.
            let from_address = if call.name == "recvfrom" { 4 } else { 5 };
            let learns_peer = from
                && call
                    .arg(from_address)
                    .is_some_and(|a| !matches!(ctx.text_of(a).trim(), "NULL" | "0" | "nullptr"));
            if datagram == Some(false)
                || (datagram.is_none() && !learns_peer)
                || connected(facts, &key)
            {
                continue;
            }
            let loops = facts.loops_in_function_around(at);
            let Some(receive_loop) = loops.first() else {
                continue;
            };
            let Some(exit) = fatal_exit(facts, call, receive_loop, &key) else {
                continue;
            };
            let (exit_node, related) = match exit {
                Exit::Loop(n) => (
                    n,
                    "the receive loop ends here on `WSAECONNRESET`".to_string(),
                ),
                Exit::Close(n) => (n, format!("`{key}` is closed here on `WSAECONNRESET`")),
                Exit::Process(n) => (n, "the process ends here on `WSAECONNRESET`".to_string()),
            };
            let name = &call.name;
            let diag = META
                .diag(
                    call.node.byte_range(),
                    format!(
                        "`{name}` on the UDP socket `{key}` fails with `WSAECONNRESET` when an earlier datagram met a closed port, and that failure ends receiving: one vanished peer stops the receiver"
                    ),
                )
                .with_related(exit_node.byte_range(), related)
                .with_fix(Fix::suggestion(format!(
                    "turn `SIO_UDP_CONNRESET` off on `{key}` with `WSAIoctl`, or go on receiving after `WSAECONNRESET`"
                )));
            ctx.defer(&META, "candidate", Some(diag));
        }
    }

    fn finish(&self, deferred: &[&Deferred<Finding>]) -> Vec<Finding> {
        if deferred.iter().any(|d| d.key == "connreset-off") {
            return Vec::new();
        }
        deferred
            .iter()
            .filter(|d| d.key == "candidate")
            .filter_map(|d| d.item.clone())
            .collect()
    }
}

/// Whether the file names `SIO_UDP_CONNRESET` in code a Windows build compiles (outside the
/// `#define` that some projects make of it): it turns the reset off somewhere.
fn names_connreset_off(ctx: &Ctx) -> bool {
    const NAME: &str = "SIO_UDP_CONNRESET";
    if !ctx.text.windows(NAME.len()).any(|w| w == NAME.as_bytes()) {
        return false;
    }
    let mut found = false;
    crate::facts::walk_pruned(ctx.root, |n| {
        if found || matches!(n.kind_name(), "preproc_def" | "comment") {
            return false;
        }
        if n.kind_name() == "identifier"
            && ctx.text_of(n) == NAME
            && ctx.facts.platform_at(n.start_byte()) != Platform::Dead
        {
            found = true;
        }
        true
    });
    found
}

/// Whether the file connects the socket `key` (a connected datagram socket may want the reset).
fn connected(facts: &Facts, key: &str) -> bool {
    facts.calls.iter().any(|c| {
        !c.member
            && matches!(c.name.as_str(), "connect" | "WSAConnect")
            && c.arg(0).is_some_and(|a| facts.socket_key(a) == key)
    })
}

/// How a failure of `call` ends receiving in `receive_loop`, when it does for `WSAECONNRESET`.
fn fatal_exit<'t>(
    facts: &Facts<'t>,
    call: &Call<'t>,
    receive_loop: &Loop<'t>,
    key: &str,
) -> Option<Exit<'t>> {
    let fails = if call.name.starts_with("WSA") {
        FailsWith::NonZero
    } else {
        FailsWith::Negative
    };
    let var = facts.stored_in(call.node);
    // `while ((n = recvfrom(...)) > 0)`: the first failure ends the loop.
    if let Some(cond) = receive_loop.condition {
        if Facts::within(call.node, cond) {
            let (when_true, when_false) = facts.test(cond, call.node, var.as_deref(), fails);
            let ends = when_true == Some(Outcome::Success) && when_false == Some(Outcome::Failure);
            return (ends && !mentions_reset(facts, cond)).then_some(Exit::Loop(cond));
        }
    }
    let body = receive_loop.body?;
    if !Facts::within(call.node, body) {
        return None;
    }
    // The first `if` after the call, in the loop, that tests its result for failure.
    let mut branch = None;
    crate::facts::walk_pruned(body, |n| {
        if branch.is_some() || n.end_byte() <= call.node.start_byte() {
            return false;
        }
        let after = n.start_byte() >= call.node.end_byte()
            || n.field("condition")
                .is_some_and(|c| Facts::within(call.node, c));
        if n.kind_name() == "if_statement" && after {
            if let Some(cond) = n.field("condition") {
                let (when_true, when_false) = facts.test(cond, call.node, var.as_deref(), fails);
                let side = match (when_true, when_false) {
                    (Some(Outcome::Failure), _) => Some(("consequence", cond)),
                    (Some(Outcome::Success), Some(Outcome::Failure)) => Some(("alternative", cond)),
                    _ => None,
                };
                if let Some((field, cond)) = side {
                    branch = Some((n.field(field), cond));
                    return false;
                }
            }
        }
        !matches!(n.kind_name(), "function_definition" | "lambda_expression")
    });
    let (branch, cond) = branch?;
    if mentions_reset(facts, cond) {
        return None;
    }
    scan(facts, branch?, receive_loop, key)
}

/// Whether code names the reset (`WSAECONNRESET`, `ECONNRESET`) outside comments: it handles
/// it on purpose.
fn mentions_reset(facts: &Facts, node: Node) -> bool {
    if !facts.text_of(node).contains("CONNRESET") {
        return false;
    }
    let mut found = false;
    crate::facts::walk_pruned(node, |n| {
        if found || n.kind_name() == "comment" {
            return false;
        }
        found = n.kind_name() == "identifier" && facts.text_of(n).contains("CONNRESET");
        true
    });
    found
}

/// The statements of a block, or the statement itself.
fn statements(node: Node) -> Vec<Node> {
    if node.kind_name() == "compound_statement" {
        let mut cursor = node.walk();
        node.named_children(&mut cursor)
            .filter(|n| n.kind_name() != "comment")
            .collect()
    } else {
        vec![node]
    }
}

/// Reads a failure branch in order for what it does with an error that is not one of
/// `OTHER_CODES`: the first way it ends receiving, or `None` when it goes on receiving
/// (`continue`), handles `WSAECONNRESET` itself, jumps elsewhere (`goto`) or falls through.
/// Nested blocks are followed with a stack, not by recursion.
fn scan<'t>(
    facts: &Facts<'t>,
    branch: Node<'t>,
    receive_loop: &Loop<'t>,
    key: &str,
) -> Option<Exit<'t>> {
    let mut stack: Vec<(Vec<Node<'t>>, usize)> = vec![(statements(branch), 0)];
    // A loop that also leaves on `WSAEWOULDBLOCK` (or on a test of its own) drains a
    // non-blocking socket for an event loop that calls it again: leaving it ends nothing.
    let mut drain = false;
    while let Some((stmts, i)) = stack.last_mut() {
        let Some(&stmt) = stmts.get(*i) else {
            stack.pop();
            continue;
        };
        *i += 1;
        match stmt.kind_name() {
            "continue_statement" | "goto_statement" => return None,
            "return_statement" | "throw_statement" => return (!drain).then_some(Exit::Loop(stmt)),
            "break_statement" => {
                return (leaves(stmt, receive_loop) && !drain).then_some(Exit::Loop(stmt));
            }
            "compound_statement" => stack.push((statements(stmt), 0)),
            "if_statement" | "switch_statement" if mentions_reset(facts, stmt) => return None,
            "if_statement" => {
                let Some(cond) = stmt.field("condition") else {
                    continue;
                };
                // `if (err != WSAEWOULDBLOCK)`: its consequence is what every other error does;
                // `if (err == WSAEWOULDBLOCK) ... else`: its alternative is.
                let test = error_test(facts, cond);
                let other = match test {
                    Some(true) => stmt.field("consequence"),
                    Some(false) => stmt.field("alternative"),
                    None => None,
                };
                if test != Some(true) {
                    drain |= stmt.field("consequence").is_some_and(|c| {
                        statements(c).iter().any(|s| match s.kind_name() {
                            "return_statement" | "throw_statement" => true,
                            "break_statement" => leaves(*s, receive_loop),
                            _ => false,
                        })
                    });
                }
                if let Some(other) = other {
                    stack.push((statements(other), 0));
                }
            }
            "expression_statement" => {
                if crate::facts::order::is_jump(stmt, facts.text) {
                    return Some(Exit::Process(stmt));
                }
                let closes = facts.calls_in(stmt.byte_range()).any(|c| {
                    !c.member
                        && c.name == "closesocket"
                        && c.arg(0).is_some_and(|a| facts.socket_key(a) == key)
                });
                if closes {
                    return Some(Exit::Close(stmt));
                }
                if !drain && clears_loop_flag(facts, stmt, receive_loop) {
                    return Some(Exit::Loop(stmt));
                }
            }
            _ => {}
        }
    }
    None
}

/// Whether a `break` leaves the receive loop (not a `switch` or an inner loop).
fn leaves(stmt: Node, receive_loop: &Loop) -> bool {
    crate::facts::enclosing_kind(
        stmt,
        &[
            "for_statement",
            "while_statement",
            "do_statement",
            "for_range_loop",
            "switch_statement",
        ],
    )
    .is_some_and(|t| t.id() == receive_loop.node.id())
}

/// What a condition says of the error codes it tests: `Some(true)` for tests that every code
/// but `OTHER_CODES` passes (`err != WSAEWOULDBLOCK && err != WSAEINTR`), `Some(false)` for
/// tests that only `OTHER_CODES` pass (`WSAGetLastError() == WSAEWOULDBLOCK || ...`), `None`
/// for anything else.
fn error_test(facts: &Facts, cond: Node) -> Option<bool> {
    let mut work = vec![cond];
    let mut verdict: Option<bool> = None;
    while let Some(n) = work.pop() {
        let n = unwrap_parens(n);
        let n = if n.kind_name() == "condition_clause" {
            n.named_child(0)?
        } else {
            n
        };
        let n = unwrap_parens(n);
        if n.kind_name() != "binary_expression" {
            return None;
        }
        let op = n.field("operator").map(|o| o.kind_name())?;
        let (l, r) = (n.field("left")?, n.field("right")?);
        let this = match op {
            "&&" | "||" => {
                work.push(l);
                work.push(r);
                Some(op == "&&")
            }
            "!=" | "==" => {
                let code = |x: Node| OTHER_CODES.contains(&facts.text_of(unwrap_parens(x)).trim());
                if !(code(l) || code(r)) {
                    return None;
                }
                Some(op == "!=")
            }
            _ => return None,
        };
        match (verdict, this) {
            (Some(v), Some(t)) if v != t => return None,
            _ => verdict = this,
        }
    }
    verdict
}

/// Whether a statement gives the flag that the loop condition reads the value that ends the
/// loop: `running = 0` under `while (running)`, `done = 1` under `while (!done)`.
fn clears_loop_flag(facts: &Facts, stmt: Node, receive_loop: &Loop) -> bool {
    let Some(cond) = receive_loop.condition else {
        return false;
    };
    let Some(e) = stmt.named_child(0).map(unwrap_parens) else {
        return false;
    };
    if e.kind_name() != "assignment_expression"
        || e.field("operator").map(|o| o.kind_name()) != Some("=")
    {
        return false;
    }
    let (Some(target), Some(value)) = (e.field("left"), e.field("right")) else {
        return false;
    };
    let target = facts.text_of(target).trim();
    let value = facts.text_of(value).trim();
    let zero = matches!(value, "0" | "false" | "FALSE");
    let one = matches!(value, "1" | "true" | "TRUE");
    let mut c = unwrap_parens(cond);
    if c.kind_name() == "condition_clause" {
        match c.named_child(0) {
            Some(inner) => c = unwrap_parens(inner),
            None => return false,
        }
    }
    if c.kind_name() == "unary_expression"
        && c.field("operator").map(|o| o.kind_name()) == Some("!")
    {
        let negated = c
            .field("argument")
            .map(|a| facts.text_of(unwrap_parens(a)).trim());
        return one && negated == Some(target);
    }
    zero && facts.text_of(c).trim() == target
}
