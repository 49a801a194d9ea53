//! WSA006 unchecked-winsock-result (Q159254, Q198663).

use crate::diagnostic::{Fix, Severity};
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct UncheckedWinsockResult;

pub static META: RuleMeta = RuleMeta {
    code: "WSA006",
    name: "unchecked-winsock-result",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "Q159254, Q198663",
    summary: "the result of a Winsock call that fails with WSAENOBUFS is thrown away",
    docs: DOCS,
    queries: &[query!("wsa006-unchecked-winsock-result.scm")],
    needles: &[
        "WSAStartup",
        "bind",
        "connect",
        "listen",
        "setsockopt",
        "ioctlsocket",
        "WSAIoctl",
        "send",
    ],
    tags: &["reliability", "error-handling", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds calls to `WSAStartup`, `bind`, `connect`, `listen`, `setsockopt`, `ioctlsocket`,
`WSAIoctl`, `send` and `WSASend` whose result is thrown away: the call is a statement of its
own. A call is only taken for the Winsock function when it has that function's number of
arguments and is not a member call (`sock.connect(ep)`, Qt's `connect(...)` with four
arguments) or a call qualified with a namespace other than the global one (`std::bind`), and
an unqualified call inside a C++ class that declares a member function of that name is taken
for the member, as is a call in a file that defines its own function of that name.

The rule looks at Windows code only: files that include a Windows header, have a
`#ifdef _WIN32` branch, call a `WSA*` function or `closesocket`, or declare a `SOCKET`. In such
a file, code in a POSIX branch (`#ifndef _WIN32`, the `#else` of `#ifdef _WIN32`) and in
`#if 0` is left alone: there `connect(fd, ...)` is the POSIX call on a file descriptor.

## Why is this bad?
These calls fail in ordinary operation, not only in exotic ones. When the stack runs out of
buffers they fail with `WSAENOBUFS` - on Windows 95 after WSIPX's heap is exhausted
(Q159254), on Windows 95/98 after duplicated sockets pile up in CLOSE_WAIT (Q198663). Code that
ignores the result carries on with an unbound, unconnected or unconfigured socket and fails
later, far from the cause. `send` and `WSASend` may also succeed with fewer bytes than asked:
the rest is silently lost. (A zero-length `send`, which code uses to re-arm `FD_WRITE`, cannot
write in part; its failure still goes unnoticed, and the message says only that.)

## Example
```c
WSAStartup(MAKEWORD(2, 2), &wsa);
s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
connect(s, (struct sockaddr *)&addr, sizeof(addr));
send(s, buf, len, 0);
```

## Use instead
```c
if (WSAStartup(MAKEWORD(2, 2), &wsa) != 0)
    return FALSE;
s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
if (connect(s, (struct sockaddr *)&addr, sizeof(addr)) == SOCKET_ERROR) {
    int err = WSAGetLastError();
    closesocket(s);
    return report(err);
}
for (int sent = 0; sent < len; ) {
    int n = send(s, buf + sent, len - sent, 0);
    if (n == SOCKET_ERROR)
        return report(WSAGetLastError());
    sent += n;
}
```
A result that is deliberately ignored says so with a cast: `(void)setsockopt(...)`.

## Fix safety
No automatic fix: what to do on failure depends on the program. The suggestion names the check.

## References
- Q159254: Windows Sockets programs using WSIPX may not work (`bind` fails with WSAENOBUFS).
- Q198663: closesocket() on a duplicated socket fails to clean up (`connect` fails with
  WSAENOBUFS).
"#;

/// The Winsock functions whose result must be looked at, with their number of arguments.
const CHECKED: &[(&str, usize)] = &[
    ("WSAStartup", 2),
    ("bind", 3),
    ("connect", 3),
    ("listen", 2),
    ("setsockopt", 5),
    ("ioctlsocket", 3),
    ("WSAIoctl", 9),
    ("send", 4),
    ("WSASend", 7),
];

impl Rule for UncheckedWinsockResult {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let Some(node) = m.get("call") else { return };
        let facts = ctx.facts;
        if !facts.windows_code || facts.not_for_windows(node.start_byte()) {
            return;
        }
        let Some(call) = facts.call_of(node) else {
            return;
        };
        // `::send` is the global function; `std::bind`, `QObject::connect` are not.
        let written = call.written.trim();
        if call.member || (written.contains("::") && !written.starts_with("::")) {
            return;
        }
        let name = call.name.as_str();
        // Inside a C++ class that has its own `connect`, an unqualified call may be the member;
        // a file that defines its own `send` calls that one.
        if !written.starts_with("::")
            && (facts.member_function_at(name, node.start_byte())
                || facts.functions.iter().any(|f| f.name == name))
        {
            return;
        }
        // A macro that renames the call may fill in arguments: its arity is its own.
        let renamed = call.renamed_by_macro();
        if !CHECKED
            .iter()
            .any(|(n, arity)| *n == name && (renamed || call.args.len() == *arity))
        {
            return;
        }
        // `send(s, NULL, 0, 0)` re-arms `FD_WRITE`: nothing can be written in part.
        let zero_length = name == "send"
            && call
                .arg(2)
                .is_some_and(|n| facts.text_of(crate::facts::unwrap_parens(n)).trim() == "0");
        // The call as written: `swrite`, which calls `send`.
        let shown = if renamed {
            format!("`{}`, which calls `{name}`,", written.trim_start_matches("::"))
        } else {
            format!("`{name}`")
        };
        let (message, fix) = match name {
            "WSAStartup" => (
                "the result of `WSAStartup` is discarded, so a failed start-up goes unnoticed"
                    .to_string(),
                "check that `WSAStartup` returns 0 before using Winsock".to_string(),
            ),
            "send" | "WSASend" if !zero_length => (
                format!(
                    "the result of {shown} is discarded, so a failure or a partial write goes unnoticed"
                ),
                format!(
                    "compare the result of `{name}` with `SOCKET_ERROR`, read `WSAGetLastError()`, and send the rest when fewer bytes went out"
                ),
            ),
            _ => (
                format!(
                    "the result of {shown} is discarded, so a failure such as `WSAENOBUFS` goes unnoticed"
                ),
                format!(
                    "compare the result of `{name}` with `SOCKET_ERROR` and read `WSAGetLastError()`"
                ),
            ),
        };
        ctx.report(
            META.diag(node.byte_range(), message)
                .with_fix(Fix::suggestion(fix)),
        );
    }
}
