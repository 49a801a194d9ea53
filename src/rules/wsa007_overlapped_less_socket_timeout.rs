//! WSA007 overlapped-less-socket-timeout.

use crate::diagnostic::{Fix, Severity};
use crate::facts::winsock::wsasocket_overlapped;
use crate::facts::{unwrap_casts, Facts};
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct OverlappedLessSocketTimeout;

pub static META: RuleMeta = RuleMeta {
    code: "WSA007",
    name: "overlapped-less-socket-timeout",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "Q181610",
    summary:
        "`SO_RCVTIMEO`/`SO_SNDTIMEO` on a socket made without `WSA_FLAG_OVERLAPPED` never fires",
    docs: DOCS,
    queries: &[query!("wsa007-overlapped-less-socket-timeout.scm")],
    needles: &["SO_RCVTIMEO", "SO_SNDTIMEO"],
    tags: &["correctness", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds `setsockopt(s, SOL_SOCKET, SO_RCVTIMEO or SO_SNDTIMEO, ...)` on a socket that the same
function created with `WSASocket`, `WSASocketA` or `WSASocketW` and flags that lack
`WSA_FLAG_OVERLAPPED` (`0`, or only other `WSA_FLAG_*` constants). Left alone: sockets made by
`socket()` (they are overlapped), flags that include `WSA_FLAG_OVERLAPPED`, flags the function
cannot show (a variable, a project macro), and a socket given another value between its
creation and the `setsockopt`.

## Why is this bad?
Winsock implements the send and receive timeouts on top of overlapped I/O. On a socket opened
without the overlapped attribute the option is accepted and then ignored: a blocking `recv`
waits until data arrives or the connection drops, however long that takes, and a `send` to a
peer that stopped reading blocks for good. The timeout the code relies on to give up never
comes.

## Example
```c
SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, 0);
DWORD ms = 5000;
setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms);
```

## Use instead
```c
SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0, WSA_FLAG_OVERLAPPED);
DWORD ms = 5000;
setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms);
```
or wait with `select` and a timeout before the blocking call.

## Fix safety
No automatic fix: an overlapped socket behaves differently when it is later passed to
`ReadFile`/`WriteFile` without an `OVERLAPPED` structure. The suggestion names the cure.

## References
- Q181610, "SO_RCVTIMEO and SO_SNDTIMEO do not work on a socket created without
  WSA_FLAG_OVERLAPPED" (summary in `kb/`).
- Microsoft Learn, "SOL_SOCKET socket options": the socket must be created with
  `WSA_FLAG_OVERLAPPED` for the timeouts to take effect.
"#;

impl Rule for OverlappedLessSocketTimeout {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let (Some(call_node), Some(socket), Some(option)) =
            (m.get("call"), m.get("socket"), m.get("option"))
        else {
            return;
        };
        let facts: &Facts = ctx.facts;
        let Some(call) = facts.call_of(call_node) else {
            return;
        };
        if call.member || call.name != "setsockopt" || facts.never_windows(call_node.start_byte()) {
            return;
        }
        let Some(func) = call.function else {
            return;
        };
        let key = facts.socket_key(socket);
        let at = call_node.start_byte();
        // The value `s` last got before the `setsockopt`, on a path that reaches it.
        let Some(creation) = facts
            .assignments
            .iter()
            .filter(|a| {
                a.function == Some(func)
                    && a.value.end_byte() <= at
                    && facts.socket_key(a.target_node) == key
            })
            .last()
        else {
            return;
        };
        let value = unwrap_casts(creation.value);
        let Some(created) = facts.call_of(value) else {
            return;
        };
        if created.member
            || wsasocket_overlapped(created, ctx.text) != Some(false)
            || Facts::exclusive(value, call_node)
            || !facts.branch_reaches(value.start_byte(), at)
            || !facts.reaches(value, call_node, &|_| false)
        {
            return;
        }
        let option = ctx.text_of(option);
        let (creator, blocking) = (
            &created.name,
            if option == "SO_RCVTIMEO" {
                "receive"
            } else {
                "send"
            },
        );
        ctx.report(
            META.diag(
                call_node.byte_range(),
                format!(
                    "`{option}` never takes effect on `{key}`: `{creator}` created it without `WSA_FLAG_OVERLAPPED`, so a blocking {blocking} waits forever"
                ),
            )
            .with_related(
                value.byte_range(),
                format!("`{key}` is created here without `WSA_FLAG_OVERLAPPED`"),
            )
            .with_fix(Fix::suggestion(format!(
                "add `WSA_FLAG_OVERLAPPED` to the flags of `{creator}`"
            ))),
        );
    }
}
