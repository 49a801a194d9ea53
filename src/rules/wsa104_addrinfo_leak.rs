//! WSA104 addrinfo-leak.

use crate::diagnostic::{Fix, Severity};
use crate::flow::lifecycle::{freer_of, LeakHow, Problem, Want};
use crate::rules::{Ctx, FixKind, Rule, RuleMeta};

pub struct AddrinfoLeak;

pub static META: RuleMeta = RuleMeta {
    code: "WSA104",
    name: "addrinfo-leak",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "an addrinfo list from getaddrinfo is not freed on some path out of the function",
    docs: DOCS,
    queries: &[],
    needles: &["getaddrinfo"],
    tags: &["reliability", "resource-leak", "winsock"],
    precision: "high",
    security_severity: None,
    flow: true,
};

const DOCS: &str = r#"## What it does
Follows the result list of `getaddrinfo`, `GetAddrInfoW` and `GetAddrInfoExA/W` (the variable
whose address is passed as the result) along every path of the function, and reports the lookup
when some path returns or ends without `freeaddrinfo`, `FreeAddrInfoW` or `FreeAddrInfoEx(W)`
and without the list escaping (returned, stored through an out-parameter or into a field,
passed to a function outside the resource model).

Paths on which the lookup failed do not leak: `if (getaddrinfo(...) != 0) return`,
`rc = getaddrinfo(...); if (rc) return`, `if (res == NULL)` are understood, and so are the
labels of a `switch` on the status (`switch (getaddrinfo(...)) { case 0: ...; case EAI_AGAIN:
...; default: ... }`: a label other than `case 0:` is a failure). Walking the list
with a cursor (`for (ai = res; ai; ai = ai->ai_next)`) and passing the cursor to functions is
a use of the list, not a hand-over.

## Why is this bad?
Each lookup allocates the whole list (one node per address, plus canonical names). A resolver
loop or a retry path that forgets to free it leaks memory on every call; services that resolve
names on each connection grow without bound.

## Example
```c
SOCKET dial(const char *host, const char *port)
{
    struct addrinfo hints = {0}, *res, *ai;
    if (getaddrinfo(host, port, &hints, &res) != 0)
        return INVALID_SOCKET;
    for (ai = res; ai; ai = ai->ai_next) {
        SOCKET s = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);
        if (s != INVALID_SOCKET && connect(s, ai->ai_addr, (int)ai->ai_addrlen) == 0)
            return s;          /* res leaks here */
        if (s != INVALID_SOCKET)
            closesocket(s);
    }
    freeaddrinfo(res);
    return INVALID_SOCKET;
}
```

## Use instead
```c
        if (s != INVALID_SOCKET && connect(s, ai->ai_addr, (int)ai->ai_addrlen) == 0) {
            freeaddrinfo(res);
            return s;
        }
```

## Fix safety
No automatic fix: the free belongs on the leaking path, which may need restructuring.

## References
- Microsoft Learn: getaddrinfo function (ws2tcpip.h) and freeaddrinfo function.
"#;

impl Rule for AddrinfoLeak {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, ctx: &mut Ctx) {
        let facts = ctx.facts;
        for p in ctx.problems(Want::AddrInfoLeak) {
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
            let Some(call) = facts.call_of(created) else {
                continue;
            };
            let lookup = call.name.clone();
            let freer = freer_of(&lookup);
            let func = ctx.function_name(created.start_byte());
            let related = match how {
                LeakHow::Return => format!("`{var}` leaks here, not freed at this exit"),
                LeakHow::End => format!("`{var}` leaks here, not freed at the end of `{func}`"),
                LeakHow::Overwrite => format!("`{var}` is overwritten here before it is freed"),
                LeakHow::Scope => format!("`{var}` goes out of scope here before it is freed"),
            };
            ctx.report(
                META.diag(
                    created.byte_range(),
                    format!("`{var}` from `{lookup}` is not freed on every path out of `{func}`"),
                )
                .with_related(at.byte_range(), related)
                .with_fix(Fix::suggestion(format!(
                    "free `{var}` with `{freer}` before it leaks"
                ))),
            );
        }
    }
}
