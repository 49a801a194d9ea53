//! WSA202 close-on-socket.

use std::collections::{HashMap, HashSet};

use crate::diagnostic::{Edit, Finding, Fix, Severity};
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, Deferred, FixKind, IncludeGraph, Match, Rule, RuleMeta};

pub struct CloseOnSocket;

pub static META: RuleMeta = RuleMeta {
    code: "WSA202",
    name: "close-on-socket",
    severity: Severity::Error,
    fix: FixKind::Safe,
    source: "",
    summary: "`close` on a SOCKET closes a CRT file descriptor, not the socket, which leaks",
    docs: DOCS,
    queries: &[query!("wsa202-close-on-socket.scm")],
    needles: &["close"],
    tags: &["correctness", "resource-leak", "portability", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds `close(s)` and `_close(s)` where `s` holds a socket (declared `SOCKET` or a configured
socket type, or assigned from `socket`/`accept`/`WSASocket`), in code compiled for Windows: a
file that includes a Winsock header, or a Windows-only branch. A plain `int` assigned from
`socket` counts only in Windows-only code: a Windows branch, or a Windows file with no POSIX
side (no non-Windows branch, no `<unistd.h>` or `<sys/socket.h>`); elsewhere in portable code
it is as likely the POSIX half's descriptor, under a project macro such as `USE_NETLINK`. Left
alone: the POSIX branch of portable code (`#ifndef _WIN32`, the `#else` of `#ifdef _WIN32`,
`#ifdef SO_REUSEPORT`), files that never see Winsock, and files that rename the call
(`#define close closesocket`) themselves or in a header they include (a header that is part of
the run).

## Why is this bad?
On Windows a socket is not a C runtime file descriptor. `close` and `_close` look the value up
in the CRT's descriptor table: at best they fail with `EBADF` and the socket stays open (a
handle and its buffers leak, the peer never sees the connection end); at worst they close an
unrelated file that happens to have that number.

## Example
```c
SOCKET s = accept(listener, NULL, NULL);
/* ... */
close(s);
```

## Use instead
```c
closesocket(s);
```

## Fix safety
The fix is safe: it renames the call to `closesocket`, which takes the same argument and also
returns 0 on success. In a file that also builds for other systems, outside its Windows
branches, the fix is unsafe: those builds may have no `closesocket`.

## References
- Microsoft Learn, "closesocket function"; "Porting Socket Applications to Winsock".
"#;

impl Rule for CloseOnSocket {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let (Some(call_node), Some(callee), Some(socket)) =
            (m.get("call"), m.get("callee"), m.get("socket"))
        else {
            return;
        };
        let facts = ctx.facts;
        let Some(call) = facts.call_of(call_node) else {
            return;
        };
        // `#define close closesocket` made the call right; `conn.close()` is another close.
        if call.member || !matches!(callee.kind_name(), "identifier" | "qualified_identifier") {
            return;
        }
        if !matches!(call.name.as_str(), "close" | "_close") || call.args.len() != 1 {
            return;
        }
        let offset = call_node.start_byte();
        if facts.never_windows(offset) || !facts.holds_socket(socket) {
            return;
        }
        let typed = facts
            .declared_type(socket)
            .is_some_and(|t| facts.socket_types.holding.contains(&t));
        // An `int fd = socket(...)` is a socket on every system: it is Windows's bug only where
        // only Windows compiles it. In portable code the POSIX half is often marked by macros
        // that say nothing known (`USE_NETLINK`, `OS_LINUX` from a project header).
        let windows_only = facts.windows_only(offset);
        if !typed && !windows_only {
            return;
        }
        // Rename the function name only (`::close` keeps its qualifier).
        let name_node = if callee.kind_name() == "qualified_identifier" {
            callee.field("name").unwrap_or(callee)
        } else {
            callee
        };
        let written = ctx.text_of(name_node);
        let key = facts.socket_key(socket);
        let message = format!(
            "`{written}` closes a CRT file descriptor, not the socket `{key}`, which leaks"
        );
        let edits = vec![Edit::replace(name_node.byte_range(), "closesocket")];
        // Outside Windows-only code, other builds of the file may have no `closesocket`.
        let fix = if windows_only {
            Fix::safe("call `closesocket` instead", edits)
        } else {
            Fix::unsafe_("call `closesocket` instead", edits)
        };
        // A header the file includes may rename the call (`#define close closesocket`): the
        // project-wide phase decides.
        let diag = META.diag(call_node.byte_range(), message).with_fix(fix);
        let file = ctx.file_name();
        ctx.defer(&META, format!("call:{}:{file}", call.name), Some(diag));
    }

    fn check_file(&self, ctx: &mut Ctx) {
        let facts = ctx.facts;
        let file = ctx.file_name();
        for name in ["close", "_close"] {
            let renamed = facts.defines.iter().any(|d| {
                d.name == name
                    && !facts.never_windows(d.directive.start)
                    && facts.resolve_rename(name) != name
            });
            if renamed {
                ctx.defer(&META, format!("rename:{name}:{file}"), None);
            }
        }
        ctx.defer_includes(&META);
    }

    /// Keeps a finding unless a header its file includes (directly, or through other files of
    /// the run) renames the call.
    fn finish(&self, deferred: &[&Deferred<Finding>]) -> Vec<Finding> {
        let mut renamers: HashMap<&str, HashSet<&str>> = HashMap::new();
        for d in deferred {
            if let Some(rest) = d.key.strip_prefix("rename:") {
                if let Some((name, file)) = rest.split_once(':') {
                    renamers.entry(name).or_default().insert(file);
                }
            }
        }
        let graph = IncludeGraph::from_deferred(deferred);
        deferred
            .iter()
            .filter(|d| {
                let Some((name, file)) =
                    d.key.strip_prefix("call:").and_then(|r| r.split_once(':'))
                else {
                    return false;
                };
                renamers
                    .get(name)
                    .is_none_or(|files| !graph.reaches(file, files))
            })
            .filter_map(|d| d.item.clone())
            .collect()
    }
}
