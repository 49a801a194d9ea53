//! WSA101 socket-leak.

use crate::diagnostic::{Fix, Severity};
use crate::flow::lifecycle::{LeakHow, Problem, Want};
use crate::rules::{Ctx, FixKind, Rule, RuleMeta};

pub struct SocketLeak;

pub static META: RuleMeta = RuleMeta {
    code: "WSA101",
    name: "socket-leak",
    severity: Severity::Error,
    fix: FixKind::Suggestion,
    source: "",
    summary: "a socket created in a function is not closed on some path out of it",
    docs: DOCS,
    queries: &[],
    needles: &["socket", "accept"],
    tags: &["reliability", "resource-leak", "winsock"],
    precision: "high",
    security_severity: None,
    flow: true,
};

const DOCS: &str = r#"## What it does
Follows every socket a function creates (`socket`, `WSASocketA/W`, `accept`, `WSAAccept`, and
the `[resources] creators` of the config) into a local variable along every path of the
function's control-flow graph: `if`/`else`, `switch` with fall-through, loops, `break`,
`continue`, `return`, `goto` and labels, and MSVC's `__try`/`__finally` (a `return` or
`__leave` inside `__try` runs the `__finally` block first). It reports the creation when some
path reaches a `return`, the end of the function, the end of the variable's scope (a loop
iteration), or an assignment that overwrites the variable while the socket is still open,
without closing it (`closesocket`, or a configured closer such as `sclose`) and without the
socket escaping.

A socket escapes when it is returned, stored in a field, a global, an array or through an
out-parameter (`*out = s`), captured by a lambda, or passed to a function outside the resource
model (which may take ownership). Passing it to a Winsock call (`send`, `recv`, `connect`,
`bind`, `setsockopt`, `ioctlsocket`, `FD_SET`...) is a use, not an escape. Paths on which the
creation failed do not leak: branches that test `s == INVALID_SOCKET`, `s != INVALID_SOCKET`,
`s < 0`, `!s`, a configured `valid_checks` macro such as `sock_ok(s)`, or a validity macro
the file defines (`#define SOCK_OK(s) ((s) != INVALID_SOCKET)`) are understood, so the
`goto cleanup;` idiom with `if (s != INVALID_SOCKET) closesocket(s);` is fine. Local error
flags tested against constants (`rc = -1; ... if (rc != 0) closesocket(s);`) keep their paths
apart, and a `do { ... } while (0)` block runs once.

## Why is this bad?
Every leaked socket holds a handle, non-paged pool and often a port until the process exits.
The classic shape is an error path: `connect` fails and the function returns its error code,
forgetting the socket it just created. A server that leaks on each failed client runs out of
handles or ephemeral ports under load.

## Example
```c
int connect_to(const struct sockaddr *sa, int len)
{
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return -1;
    if (connect(s, sa, len) == SOCKET_ERROR)
        return -1;            /* s leaks here */
    closesocket(s);
    return 0;
}
```

## Use instead
```c
int connect_to(const struct sockaddr *sa, int len)
{
    int rc = -1;
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return -1;
    if (connect(s, sa, len) == SOCKET_ERROR)
        goto out;
    rc = 0;
out:
    closesocket(s);
    return rc;
}
```

## Fix safety
No automatic fix: where the socket should be closed (or who should own it) is a design choice.
The suggestion names the exit where it leaks.

## Configuration
`[resources]` in `wsalint.toml`: `creators` (functions that return a new socket), `closers`
(your wrappers: `sclose`, `Curl_closesocket`), `owners` (functions that take ownership of a
socket passed to them), `valid_checks` (macros that are true for a valid socket).

## References
- Microsoft Learn: closesocket function (winsock.h).
"#;

impl Rule for SocketLeak {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, ctx: &mut Ctx) {
        let facts = ctx.facts;
        for p in ctx.problems(Want::SocketLeak) {
            let Problem::Leak {
                var,
                created,
                at,
                how,
                ..
            } = p
            else {
                continue;
            };
            let func = ctx.function_name(created.start_byte());
            let mut at_range = at.byte_range();
            let related = match how {
                // The same creation on the next iteration: point at the loop that repeats it.
                LeakHow::Overwrite if at == created => {
                    match facts.loops_in_function_around(created.start_byte()).first() {
                        Some(l) => {
                            at_range = l.header();
                            format!("`{var}` is still open when this loop runs the creation again")
                        }
                        None => format!("`{var}` is overwritten here while still open"),
                    }
                }
                LeakHow::Return => format!("`{var}` leaks here, still open at this exit"),
                LeakHow::End => format!("`{var}` leaks here, still open at the end of `{func}`"),
                LeakHow::Overwrite => format!("`{var}` is overwritten here while still open"),
                LeakHow::Scope => format!("`{var}` goes out of scope here while still open"),
            };
            ctx.report(
                META.diag(
                    created.byte_range(),
                    format!("socket `{var}` is not closed on every path out of `{func}`"),
                )
                .with_related(at_range, related)
                .with_fix(Fix::suggestion(format!(
                    "close `{var}` with `closesocket` before it leaks, or hand it to an owner"
                ))),
            );
        }
    }
}
