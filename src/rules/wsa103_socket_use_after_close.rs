//! WSA103 socket-use-after-close.

use crate::diagnostic::{Fix, Severity};
use crate::flow::lifecycle::Problem;
use crate::rules::{Ctx, FixKind, Rule, RuleMeta};

pub struct SocketUseAfterClose;

pub static META: RuleMeta = RuleMeta {
    code: "WSA103",
    name: "socket-use-after-close",
    severity: Severity::Error,
    fix: FixKind::Suggestion,
    source: "",
    summary: "a socket is passed to a Winsock call after it was closed on the same path",
    docs: DOCS,
    queries: &[],
    needles: &["closesocket"],
    tags: &["reliability", "correctness", "winsock"],
    precision: "high",
    security_severity: None,
    flow: true,
};

const DOCS: &str = r#"## What it does
Finds a socket passed to a Winsock call (`send`, `recv`, `connect`, `bind`, `listen`,
`setsockopt`, `shutdown`, `ioctlsocket`, `WSASend`, `FD_SET`...) on a path where it was already
closed with `closesocket` (or a configured closer) and not reassigned since.

## Why is this bad?
After `closesocket` the handle value is free for reuse: the call fails with `WSAENOTSOCK` at
best, and at worst acts on an unrelated socket another thread just opened - sending your data
on someone else's connection.

## Example
```c
closesocket(s);
shutdown(s, SD_BOTH);
```

## Use instead
```c
shutdown(s, SD_BOTH);
closesocket(s);
s = INVALID_SOCKET;
```

## Fix safety
No automatic fix: the order of the calls, or the path that closes too early, needs a look.

## References
- Microsoft Learn: closesocket function (winsock.h), Remarks.
"#;

impl Rule for SocketUseAfterClose {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, ctx: &mut Ctx) {
        for p in ctx.close_problems() {
            let Problem::UseAfterClose {
                var,
                at,
                callee,
                close,
            } = p
            else {
                continue;
            };
            ctx.report(
                META.diag(
                    at.byte_range(),
                    format!("`{var}` is passed to `{callee}` after it was closed"),
                )
                .with_related(close.byte_range(), format!("`{var}` is closed here"))
                .with_fix(Fix::suggestion(format!("close `{var}` after its last use"))),
            );
        }
    }
}
