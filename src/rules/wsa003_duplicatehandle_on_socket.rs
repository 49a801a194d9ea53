//! WSA003 duplicatehandle-on-socket (Q198663).

use crate::diagnostic::{Fix, Severity};
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct DuplicatehandleOnSocket;

pub static META: RuleMeta = RuleMeta {
    code: "WSA003",
    name: "duplicatehandle-on-socket",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "Q198663",
    summary:
        "a socket shared with DuplicateHandle instead of WSADuplicateSocket is never cleaned up",
    docs: DOCS,
    queries: &[query!("wsa003-duplicatehandle-on-socket.scm")],
    needles: &["DuplicateHandle"],
    tags: &["reliability", "resource-leak", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds `DuplicateHandle` calls whose source handle (the second argument) is a socket, however it
is spelled: `(HANDLE)s`, `reinterpret_cast<HANDLE>(conn.sock)`, a `SOCKET` field of a struct or
class declared in the same file, MFC's `m_hSocket`, a socket type named in the configuration,
or a local `HANDLE` that was only ever given a socket. `DuplicateHandle` of a process, thread,
event, pipe or file handle is left alone, as is code in `#if 0` and POSIX branches.

## Why is this bad?
A socket is not just a kernel handle: the Winsock provider keeps state for it in the owning
process. A handle duplicated with `DuplicateHandle` bypasses that state. On Windows 95 the
duplicated connection is never cleaned up: sockets pile up in CLOSE_WAIT and FIN_WAIT_2 until
`connect` fails with WSAENOBUFS (Q198663). On every Windows, the duplicate does not work with
layered service providers (firewalls, proxies, VPN clients), which is why Microsoft documents
`WSADuplicateSocket` as the only way to share a socket with another process.

## Example
```c
HANDLE child_sock;
DuplicateHandle(GetCurrentProcess(), (HANDLE)s, pi.hProcess, &child_sock,
                0, FALSE, DUPLICATE_SAME_ACCESS);
```

## Use instead
```c
WSAPROTOCOL_INFOW info;
if (WSADuplicateSocketW(s, pi.dwProcessId, &info) == SOCKET_ERROR)
    return WSAGetLastError();
/* send `info` to the child, which calls
   WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0, 0) */
```

## Fix safety
No automatic fix: the child process must be changed to open the socket from the protocol
information. The suggestion names both halves.

## References
- Q198663: closesocket() on a duplicated socket fails to clean up (the same problem exists with
  `DuplicateHandle` on Windows 95).
"#;

impl Rule for DuplicatehandleOnSocket {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let Some(node) = m.get("dup") else { return };
        let facts = ctx.facts;
        let Some(call) = facts.call_of(node) else {
            return;
        };
        if call.member || call.name != "DuplicateHandle" || call.args.len() != 7 {
            return;
        }
        if facts.not_for_windows(node.start_byte()) {
            return;
        }
        let Some(source) = call.arg(1) else { return };
        if !facts.holds_socket_or_copy(source) {
            return;
        }
        let sock = facts.socket_key(source);
        ctx.report(
            META.diag(
                node.byte_range(),
                format!(
                    "`DuplicateHandle` duplicates the socket `{sock}`, which is never cleaned up and breaks with layered providers"
                ),
            )
            .with_fix(Fix::suggestion(format!(
                "share `{sock}` with `WSADuplicateSocket` and open it in the target with `WSASocket(FROM_PROTOCOL_INFO, ...)`"
            ))),
        );
    }
}
