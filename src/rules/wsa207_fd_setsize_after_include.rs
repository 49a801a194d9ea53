//! WSA207 fd-setsize-after-include.

use crate::diagnostic::{Fix, Severity};
use crate::facts::winsock::FD_SET_HEADERS;
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct FdSetsizeAfterInclude;

pub static META: RuleMeta = RuleMeta {
    code: "WSA207",
    name: "fd-setsize-after-include",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "`FD_SETSIZE` defined after the Winsock header: `fd_set` still holds 64 sockets",
    docs: DOCS,
    queries: &[query!("wsa207-fd-setsize-after-include.scm")],
    needles: &["FD_SETSIZE"],
    tags: &["correctness", "winsock"],
    precision: "very-high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds `#define FD_SETSIZE` after an `#include` of `<winsock2.h>`, `<winsock.h>`,
`<ws2tcpip.h>` or `<windows.h>` in the same file (a `#undef` in between does not help). Left
alone: a define that comes first, and one in code only compiled for other systems.

## Why is this bad?
Winsock sizes `fd_set` when its header is read: `FD_SETSIZE` defaults to 64 and the struct is
declared with that many slots. Defining it afterwards changes nothing (or, with `#undef`, makes
`FD_SETSIZE` disagree with the struct), so a server that expects 1024 sockets per `select`
silently handles 64: `FD_SET` ignores the rest.

## Example
```c
#include <winsock2.h>
#define FD_SETSIZE 1024
```

## Use instead
```c
#define FD_SETSIZE 1024
#include <winsock2.h>
```
or define it for the whole project on the compiler's command line (`/DFD_SETSIZE=1024`).

## Fix safety
No automatic fix: moving a definition above the includes can change other headers. The
suggestion names the cure.

## References
- Microsoft Learn, "select function" and "Maximum Number of Sockets Supported": define
  `FD_SETSIZE` before including `winsock2.h`.
"#;

impl Rule for FdSetsizeAfterInclude {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let (Some(define), Some(name)) = (m.get("define"), m.get("name")) else {
            return;
        };
        let facts = ctx.facts;
        if facts.never_windows(define.start_byte()) {
            return;
        }
        let Some(include) = facts
            .winsock_includes(FD_SET_HEADERS)
            .find(|i| i.directive.end <= define.start_byte())
        else {
            return;
        };
        let end = define
            .field("value")
            .map_or(name.end_byte(), |v| v.end_byte());
        let header = &include.header;
        // The value node may hold trailing spaces: trim them off the span.
        let text = ctx.text;
        let mut end = end;
        while end > name.end_byte() && text[end - 1].is_ascii_whitespace() {
            end -= 1;
        }
        ctx.report(
            META.diag(
                define.start_byte()..end,
                format!("`FD_SETSIZE` is defined after `<{header}>`, so `fd_set` still holds 64 sockets"),
            )
            .with_related(
                include.range.clone(),
                "`fd_set` is declared here, with the default size",
            )
            .with_fix(Fix::suggestion(
                "define `FD_SETSIZE` before the first Winsock `#include`",
            )),
        );
    }
}
