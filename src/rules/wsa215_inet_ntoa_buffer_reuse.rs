//! WSA215 inet-ntoa-buffer-reuse.

use tree_sitter::Node;

use crate::diagnostic::{Fix, Severity};
use crate::facts::order::held_together;
use crate::facts::{Call, DeclKind, Facts};
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct InetNtoaBufferReuse;

pub static META: RuleMeta = RuleMeta {
    code: "WSA215",
    name: "inet-ntoa-buffer-reuse",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "two results of `inet_ntoa` (or `gethostbyname`) in use at once share one buffer",
    docs: DOCS,
    queries: &[query!("wsa215-inet-ntoa-buffer-reuse.scm")],
    needles: &["inet_ntoa", "gethostbyname", "gethostbyaddr"],
    tags: &["correctness", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds two results of `inet_ntoa`, or of `gethostbyname`/`gethostbyaddr` (which share one
`hostent`), in use at the same time:
- both in one call's arguments or one expression
  (`printf("%s -> %s", inet_ntoa(a), inet_ntoa(b))`, `strcmp(inet_ntoa(a), inet_ntoa(b))`);
- a result saved in a pointer (`char *from = inet_ntoa(a);`) that is read after a second call
  in the same function.

Left alone: a first result copied before the second call (`strcpy`, `strdup`, `snprintf` into a
buffer, a `std::string`), calls sequenced by `&&`, `||` or `,`, the two arms of `?:`, a C++
stream (`std::cout << inet_ntoa(a) << inet_ntoa(b)` writes the first before making the
second), a result used up by a call before the other is needed (`strlen(inet_ntoa(a))` beside
another `strlen(inet_ntoa(b))`), and a saved pointer that is not read after the second call.

## Why is this bad?
Each of these functions returns a pointer into one buffer per thread (on other systems, one
static buffer), and every call overwrites it. Two results in use at once are one and the same
text: the log line prints the same address twice (which one depends on the compiler's
argument order), the comparison is always equal, and the saved `hostent` now describes the
second host.

## Example
```c
printf("%s -> %s\n", inet_ntoa(from.sin_addr), inet_ntoa(to.sin_addr));
```

## Use instead
```c
char src[INET_ADDRSTRLEN], dst[INET_ADDRSTRLEN];
inet_ntop(AF_INET, &from.sin_addr, src, sizeof src);
inet_ntop(AF_INET, &to.sin_addr, dst, sizeof dst);
printf("%s -> %s\n", src, dst);
```

## Fix safety
No automatic fix: the copy needs a buffer of the right size and a place to declare it. The
suggestion names the cure.

## References
- Microsoft Learn, "inet_ntoa function": the string stays valid only until the next Windows
  Sockets call on the same thread.
- Microsoft Learn, "gethostbyname function": only one `hostent` is allocated per thread, shared
  by `gethostbyname` and `gethostbyaddr`.
"#;

/// The buffer a call returns: `inet_ntoa`'s string, or the `hostent` that `gethostbyname` and
/// `gethostbyaddr` share.
fn buffer_of(name: &str) -> Option<u8> {
    match name {
        "inet_ntoa" => Some(0),
        "gethostbyname" | "gethostbyaddr" => Some(1),
        _ => None,
    }
}

/// Whether two calls return the same buffer.
fn same_buffer(a: &str, b: &str) -> bool {
    buffer_of(a).is_some() && buffer_of(a) == buffer_of(b)
}

/// What the second result reads when it overwrites the first.
fn consequence(name: &str) -> &'static str {
    if name == "inet_ntoa" {
        "the same address"
    } else {
        "the same `hostent`"
    }
}

/// Pointer types of the Windows headers that hold these results.
const POINTER_TYPES: &[&str] = &[
    "LPSTR",
    "PSTR",
    "LPCSTR",
    "PCSTR",
    "LPHOSTENT",
    "PHOSTENT",
    "auto",
];

/// The call as written, shortened when its arguments are long.
fn shown(ctx: &Ctx, call: &Call) -> String {
    let text: String = ctx
        .text_of(call.node)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    if text.len() <= 40 {
        text
    } else {
        format!("{}(...)", call.name)
    }
}

impl Rule for InetNtoaBufferReuse {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let Some(call_node) = m.get("call") else {
            return;
        };
        let facts = ctx.facts;
        let Some(second) = facts.call_of(call_node) else {
            return;
        };
        if second.member || facts.calls_own_function(second) {
            return;
        }
        let offset = call_node.start_byte();
        if matches!(
            facts.platform_at(offset),
            crate::facts::platform::Platform::Dead
        ) {
            return;
        }
        let Some(func) = second.function else {
            return;
        };
        let earlier: Vec<&Call> = facts
            .calls_in(facts.functions[func].body.byte_range())
            .filter(|c| {
                c.function == Some(func)
                    && c.node.end_byte() <= offset
                    && !c.member
                    && same_buffer(&c.name, &second.name)
                    && !facts.calls_own_function(c)
            })
            .collect();
        // The nearest earlier call first.
        for first in earlier.iter().rev() {
            if held_together(first.node, call_node) {
                let name = &second.name;
                let what = consequence(name);
                ctx.report(
                    META.diag(
                        call_node.byte_range(),
                        format!(
                            "`{}` overwrites the buffer of `{}` in the same expression, so both show {what}",
                            shown(ctx, second),
                            shown(ctx, first)
                        ),
                    )
                    .with_related(first.node.byte_range(), format!("the first `{}` result", first.name))
                    .with_fix(Fix::suggestion(fix_title(name))),
                );
                return;
            }
        }
        for first in earlier.iter().rev() {
            if let Some((var, use_node)) = saved_and_read_after(facts, first, second) {
                let name = &second.name;
                let what = consequence(name);
                ctx.report(
                    META.diag(
                        call_node.byte_range(),
                        format!(
                            "`{}` overwrites the buffer `{var}` points to, and `{var}` is read afterwards, so it shows {what}",
                            shown(ctx, second)
                        ),
                    )
                    .with_related(first.node.byte_range(), format!("`{var}` is saved from this call"))
                    .with_related(use_node.byte_range(), format!("`{var}` is read here"))
                    .with_fix(Fix::suggestion(fix_title(name))),
                );
                return;
            }
        }
    }
}

fn fix_title(name: &str) -> String {
    if name == "inet_ntoa" {
        "copy the first result, or use `inet_ntop` with two buffers".to_string()
    } else {
        "copy what you need from the first `hostent` before the next lookup, or use `getaddrinfo`"
            .to_string()
    }
}

/// When `first`'s result is saved in a local pointer that is read after `second` (and not
/// given another value in between): the variable and the read.
fn saved_and_read_after<'t>(
    facts: &Facts<'t>,
    first: &Call<'t>,
    second: &Call<'t>,
) -> Option<(String, Node<'t>)> {
    let var = facts.stored_in(first.node)?;
    let decl = facts.decl_of(&var, first.node.start_byte())?;
    if !matches!(decl.kind, DeclKind::Local | DeclKind::Param)
        || !(decl.pointer || POINTER_TYPES.contains(&decl.ty.as_str()))
    {
        return None;
    }
    let (a, b) = (first.node, second.node);
    if Facts::exclusive(a, b)
        || !facts.branch_reaches(a.start_byte(), b.start_byte())
        || !facts.reaches(a, b, &|_| false)
    {
        return None;
    }
    let func = first.function?;
    let body = facts.functions[func].body;
    // Another value given to the variable after the first call ends the saved pointer.
    let reassigned_before = |at: usize| {
        facts.assignments.iter().any(|x| {
            x.function == Some(func)
                && x.target == var
                && x.value.start_byte() > a.end_byte()
                && x.value.start_byte() < at
        })
    };
    let mut found = None;
    crate::facts::walk_pruned(body, |n| {
        if found.is_some() {
            return false;
        }
        if n.kind_name() != "identifier" || facts.text_of(n) != var {
            return true;
        }
        if Facts::within(n, b) || n.start_byte() < a.end_byte() {
            return false;
        }
        let after = n.start_byte() >= b.end_byte() && facts.reaches(b, n, &|_| false);
        let beside = n.end_byte() <= b.start_byte() && held_together(n, b);
        if !(after || beside) || Facts::exclusive(n, b) || is_assigned(n) {
            return false;
        }
        if reassigned_before(n.start_byte()) {
            return false;
        }
        if facts.decl_of(&var, n.start_byte()).map(|d| d.range.clone()) != Some(decl.range.clone())
        {
            return false;
        }
        found = Some(n);
        false
    });
    found.map(|n| (var, n))
}

/// Whether an identifier is the target of an assignment (`from = ...`).
fn is_assigned(n: Node) -> bool {
    n.parent().is_some_and(|p| {
        p.kind_name() == "assignment_expression"
            && p.field("left").is_some_and(|l| l.id() == n.id())
    })
}
