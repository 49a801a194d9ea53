//! WSA205 reuseaddr-port-hijack.

use crate::diagnostic::{Fix, Severity};
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct ReuseaddrPortHijack;

pub static META: RuleMeta = RuleMeta {
    code: "WSA205",
    name: "reuseaddr-port-hijack",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "`SO_REUSEADDR` on a bound Windows socket lets another process steal its port",
    docs: DOCS,
    queries: &[query!("wsa205-reuseaddr-port-hijack.scm")],
    needles: &["SO_REUSEADDR"],
    tags: &["security", "winsock", "external/cwe/cwe-605"],
    precision: "high",
    security_severity: Some("6.5"),
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds `setsockopt(s, SOL_SOCKET, SO_REUSEADDR, ...)` on a socket that the same function binds,
in code compiled for Windows, when the function does not also use `SO_EXCLUSIVEADDRUSE`. A
multicast receiver (one that joins a group with `IP_ADD_MEMBERSHIP`, `WSAJoinLeaf`...) is no
exception: the group's traffic is shared anyway, but another process binding the same port
also takes the unicast datagrams sent to it. Silent in POSIX branches (`#ifndef _WIN32`, the
`#else` of `#ifdef _WIN32`) and in files that never see Winsock, where `SO_REUSEADDR` only skips
the `TIME_WAIT` wait.

## Why is this bad?
On POSIX systems `SO_REUSEADDR` lets a server restart while old connections sit in
`TIME_WAIT`. On Windows it means something else: any other socket with the option may bind the
very same address and port, even while the first is listening, and which socket then receives
the traffic is undefined. A local process can hijack the port and read or answer the
connections meant for the server (CWE-605).

## Example
```c
BOOL on = TRUE;
setsockopt(s, SOL_SOCKET, SO_REUSEADDR, (const char *)&on, sizeof on);
bind(s, (struct sockaddr *)&addr, sizeof addr);
```

## Use instead
```c
BOOL on = TRUE;
setsockopt(s, SOL_SOCKET, SO_EXCLUSIVEADDRUSE, (const char *)&on, sizeof on);
bind(s, (struct sockaddr *)&addr, sizeof addr);
```

## Fix safety
No automatic fix: a multicast receiver may rely on several of its own sockets sharing the
port, which `SO_EXCLUSIVEADDRUSE` forbids. The suggestion names the cure.

## References
- Microsoft Learn, "Using SO_REUSEADDR and SO_EXCLUSIVEADDRUSE".
- CWE-605: Multiple Binds to the Same Port.
"#;

impl Rule for ReuseaddrPortHijack {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let (Some(call_node), Some(socket), Some(level)) =
            (m.get("call"), m.get("socket"), m.get("level"))
        else {
            return;
        };
        let facts = ctx.facts;
        let Some(call) = facts.windows_sol_socket_option(call_node, socket, level) else {
            return;
        };
        let Some(func_index) = call.function else {
            return;
        };
        let func = &facts.functions[func_index];
        let body = &ctx.text[func.body.byte_range()];
        if contains(body, b"SO_EXCLUSIVEADDRUSE") {
            return;
        }
        let key = facts.socket_key(socket);
        let Some(bind) = facts.calls_in(func.body.byte_range()).find(|c| {
            c.function == Some(func_index)
                && c.name == "bind"
                && !c.member
                && !facts.never_windows(c.node.start_byte())
                && c.arg(0).is_some_and(|a| facts.socket_key(a) == key)
        }) else {
            return;
        };
        let func_name = ctx.function_name(call_node.start_byte());
        ctx.report(
            META.diag(
                call_node.byte_range(),
                format!(
                    "`SO_REUSEADDR` on `{key}`, which `{func_name}` binds, lets another process bind the same port and take its traffic"
                ),
            )
            .with_related(bind.node.byte_range(), format!("`{key}` is bound here"))
            .with_fix(Fix::suggestion("set `SO_EXCLUSIVEADDRUSE` instead")),
        );
    }
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}
