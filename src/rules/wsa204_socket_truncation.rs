//! WSA204 socket-truncation.

use tree_sitter::Node;

use crate::diagnostic::{Fix, Severity};
use crate::facts::{unwrap_casts, Facts};
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct SocketTruncation;

pub static META: RuleMeta = RuleMeta {
    code: "WSA204",
    name: "socket-truncation",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "a SOCKET stored in a 32-bit integer is truncated on 64-bit Windows",
    docs: DOCS,
    queries: &[
        query!("wsa204-socket-truncation.scm"),
        query!("wsa204-socket-truncation.cpp.scm", cpp),
    ],
    needles: &["SOCKET", "socket", "accept"],
    tags: &["correctness", "portability", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds a `SOCKET` stored in an `int`, `long`, `unsigned`, `DWORD` or another 32-bit integer: a
declaration with an initializer, an assignment to a variable or field of such a type, or a
cast (`(int)s`, `static_cast<int>(s)`, `int(s)`, `DWORD(s)`). The value is a variable declared
`SOCKET` (or a typedef of it), or, in code only Windows compiles (a Windows branch, or a
Windows file with no POSIX side), the result of `socket`, `accept` or `WSASocket`. Left alone:
casts passed to `printf`-style or logging calls and to `select` (whose first argument Windows
ignores), casts inside arithmetic, and code only compiled for other systems.

## Why is this bad?
`SOCKET` is `UINT_PTR`: 64 bits on 64-bit Windows. Winsock hands out values that usually fit in
32 bits, so the truncation goes unnoticed in testing, but nothing guarantees it; and
`INVALID_SOCKET` stored in an `int` becomes `-1`, which then no longer compares equal to
`INVALID_SOCKET` once widened back through an unsigned type.

## Example
```c
int fd = accept(listener, NULL, NULL);
```

## Use instead
```c
SOCKET fd = accept(listener, NULL, NULL);
```

## Fix safety
No automatic fix: the variable's other uses (printing, arithmetic, `< 0` checks) change with
its type. The suggestion names the cure.

## References
- Microsoft Learn, "Socket Data Type" and "Porting Socket Applications to Winsock".
"#;

/// Integer types narrower than a pointer on 64-bit Windows.
const NARROW: &[&str] = &[
    "int",
    "signed",
    "signed int",
    "unsigned",
    "unsigned int",
    "long",
    "long int",
    "signed long",
    "unsigned long",
    "unsigned long int",
    "short",
    "unsigned short",
    "DWORD",
    "ULONG",
    "LONG",
    "UINT",
    "INT",
    "u_int",
    "u_long",
    "int32_t",
    "uint32_t",
    "__int32",
];

/// `const int` -> `int`, with spaces collapsed.
fn normalize(ty: &str) -> String {
    ty.split_whitespace()
        .filter(|w| !matches!(*w, "const" | "volatile" | "static" | "register"))
        .collect::<Vec<_>>()
        .join(" ")
}

fn is_narrow(ty: &str) -> bool {
    NARROW.contains(&normalize(ty).as_str())
}

/// Calls whose arguments are only printed, or ignored on Windows.
fn harmless_consumer(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower == "select"
        || lower.contains("printf")
        || lower.contains("log")
        || lower.contains("trace")
        || lower.contains("debug")
}

impl SocketTruncation {
    /// What the stored value is, for the message: "`s` is a SOCKET" or "`socket` returns a
    /// SOCKET", or `None` when it is not a SOCKET.
    fn what(ctx: &Ctx, value: Node, offset: usize) -> Option<String> {
        let facts = ctx.facts;
        let inner = unwrap_casts(value);
        if inner.kind_name() == "call_expression" {
            let call = facts.call_of(inner)?;
            // In the unmarked parts of portable code, `int fd = socket(...)` is as often the
            // POSIX half's descriptor (`windows_only`).
            if facts.socket_types.creators.contains(&call.name)
                && !call.member
                && facts.windows_only(offset)
            {
                return Some(format!("`{}` returns a SOCKET", call.name));
            }
            return None;
        }
        // A cast to the narrow type is reported as a cast; here the value itself must be one.
        if facts.has_socket_type(inner) {
            return Some(format!("`{}` is a SOCKET", facts.socket_key(inner)));
        }
        None
    }
}

impl Rule for SocketTruncation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let facts = ctx.facts;
        if let Some(cast) = m.get("cast") {
            let Some(crate::facts::Cast { ty, value }) = facts.cast_of(cast) else {
                return;
            };
            let ty_text = ctx.text_of(ty);
            if !is_narrow(ty_text) || facts.never_windows(cast.start_byte()) {
                return;
            }
            if !consumer_matters(facts, cast) {
                return;
            }
            let Some(what) = Self::what(ctx, value, cast.start_byte()) else {
                return;
            };
            let ty = normalize(ty_text);
            ctx.report(
                META.diag(
                    cast.byte_range(),
                    format!("{what}, which is pointer-sized; the cast to `{ty}` truncates it on 64-bit Windows"),
                )
                .with_fix(Fix::suggestion("keep the value as a `SOCKET`")),
            );
            return;
        }
        let (Some(store), Some(target), Some(value)) =
            (m.get("store"), m.get("target"), m.get("value"))
        else {
            return;
        };
        if facts.never_windows(store.start_byte()) {
            return;
        }
        // A cast in the value is reported as a cast.
        let mut bare = value;
        while bare.kind_name() == "parenthesized_expression" {
            match bare.named_child(0) {
                Some(inner) => bare = inner,
                None => break,
            }
        }
        if facts.cast_of(bare).is_some() {
            return;
        }
        let (ty, name) = if store.kind_name() == "init_declarator" {
            let Some(decl) = store.parent() else { return };
            let Some(ty) = decl.field("type") else {
                return;
            };
            let (name, pointer) = crate::facts::declarator_name(target);
            let Some(name) = name else { return };
            if pointer || target.kind_name() == "array_declarator" {
                return;
            }
            (ctx.text_of(ty).to_string(), ctx.text_of(name).to_string())
        } else {
            let Some(ty) = facts.declared_type(target) else {
                return;
            };
            let key = facts.socket_key(target);
            let pointer = match target.kind_name() {
                "identifier" => facts
                    .decl_of(ctx.text_of(target), target.start_byte())
                    .is_some_and(|d| d.pointer),
                _ => false,
            };
            if pointer {
                return;
            }
            (ty, key)
        };
        if !is_narrow(&ty) {
            return;
        }
        let Some(what) = Self::what(ctx, value, store.start_byte()) else {
            return;
        };
        let ty = normalize(&ty);
        ctx.report(
            META.diag(
                store.byte_range(),
                format!("{what}, which is pointer-sized; storing it in the `{ty}` `{name}` truncates it on 64-bit Windows"),
            )
            .with_fix(Fix::suggestion(format!("declare `{name}` as `SOCKET`"))),
        );
    }
}

/// Whether a cast's result is kept: not printed, not ignored, not part of arithmetic.
fn consumer_matters(facts: &Facts, cast: Node) -> bool {
    let mut node = cast;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "parenthesized_expression" => node = parent,
            "binary_expression" | "unary_expression" | "update_expression" => return false,
            "argument_list" => {
                let Some(call) = parent.parent().and_then(|c| facts.call_of(c)) else {
                    return true;
                };
                return !harmless_consumer(&call.name);
            }
            _ => return true,
        }
    }
    true
}
