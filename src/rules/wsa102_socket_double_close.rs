//! WSA102 socket-double-close.

use crate::diagnostic::{Fix, Severity};
use crate::flow::lifecycle::Problem;
use crate::rules::{Ctx, FixKind, Rule, RuleMeta};

pub struct SocketDoubleClose;

pub static META: RuleMeta = RuleMeta {
    code: "WSA102",
    name: "socket-double-close",
    severity: Severity::Error,
    fix: FixKind::Suggestion,
    source: "",
    summary: "a socket is closed twice on one path without being reassigned in between",
    docs: DOCS,
    queries: &[],
    needles: &["closesocket"],
    tags: &["reliability", "correctness", "winsock"],
    precision: "high",
    security_severity: None,
    flow: true,
};

const DOCS: &str = r#"## What it does
Finds a `closesocket(s)` (or a configured closer such as `sclose`) that some path through the
function reaches after an earlier close of the same `s`, with no assignment to `s` in between.
Cleanup guarded by a validity test after a reset (`closesocket(s); s = INVALID_SOCKET;` then
`if (s != INVALID_SOCKET) closesocket(s);`) is fine, and so are closes of `c->fd` in a loop that
moves `c` along a list.

## Why is this bad?
Socket handles are reused: once closed, the same value may already name a socket that another
thread just opened, and the second `closesocket` closes *that* one. The symptom is a connection
that dies at random elsewhere in the program; with `WSAENOTSOCK` as the best case.

## Example
```c
if (send(s, buf, len, 0) == SOCKET_ERROR) {
    closesocket(s);
    log_error("send failed");
}
closesocket(s);
```

## Use instead
```c
if (send(s, buf, len, 0) == SOCKET_ERROR)
    log_error("send failed");
closesocket(s);
s = INVALID_SOCKET;
```

## Fix safety
No automatic fix. Setting the variable to `INVALID_SOCKET` right after the close, and guarding
later closes with a validity test, makes a second close harmless.

## References
- Microsoft Learn: closesocket function (winsock.h), Remarks.
"#;

impl Rule for SocketDoubleClose {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, ctx: &mut Ctx) {
        for p in ctx.close_problems() {
            let Problem::DoubleClose { var, second, first } = p else {
                continue;
            };
            ctx.report(
                META.diag(
                    second.byte_range(),
                    format!("`{var}` is closed twice: a path reaches here after it was closed"),
                )
                .with_related(
                    first.byte_range(),
                    if first == second {
                        format!("`{var}` is closed here on an earlier iteration of the loop")
                    } else {
                        format!("`{var}` is first closed here")
                    },
                )
                .with_fix(Fix::suggestion(format!(
                    "set `{var}` to `INVALID_SOCKET` after the first close"
                ))),
            );
        }
    }
}
