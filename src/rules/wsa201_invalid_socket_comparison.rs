//! WSA201 invalid-socket-comparison.

use tree_sitter::Node;

use crate::diagnostic::{Edit, Fix, Severity};
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct InvalidSocketComparison;

pub static META: RuleMeta = RuleMeta {
    code: "WSA201",
    name: "invalid-socket-comparison",
    severity: Severity::Error,
    fix: FixKind::Safe,
    source: "",
    summary:
        "a SOCKET ordered against `0` or `-1`: SOCKET is unsigned, so the error check is wrong",
    docs: DOCS,
    queries: &[query!("wsa201-invalid-socket-comparison.scm")],
    needles: &["SOCKET"],
    tags: &["correctness", "portability", "winsock"],
    precision: "very-high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds a value of type `SOCKET` (declared `SOCKET`, a typedef of it, or a type listed in
`[resources] unsigned_socket_types`) compared with `< 0`, `<= 0`, `>= 0` or `> -1`, in either
order, including the common `(s = socket(...)) < 0`. Code that is only
compiled for other systems (`#ifndef _WIN32`, the `#else` of `#ifdef _WIN32`) is left alone,
and so is an `int fd`, a signed socket type such as libevent's `evutil_socket_t`, and a
comparison of a signed copy (`(int)s < 0`, where `INVALID_SOCKET` becomes -1 on purpose).
`s == -1`, `s != -1` and `s == SOCKET_ERROR` are not reported: `-1` converts to
`INVALID_SOCKET`, so these checks work; spelling them `INVALID_SOCKET` is a matter of style.

## Why is this bad?
On Windows, `SOCKET` is `UINT_PTR`: unsigned and pointer-sized. Failure is `INVALID_SOCKET`,
the largest value, not a negative number. `s < 0` is never true, so the error path never runs
and the program carries on with an invalid socket; `s >= 0` is always true; `s > -1` is never
true, because `-1` converts to `INVALID_SOCKET`.

## Example
```c
SOCKET s;
if ((s = socket(AF_INET, SOCK_STREAM, 0)) < 0)
    return -1;
```

## Use instead
```c
SOCKET s;
if ((s = socket(AF_INET, SOCK_STREAM, 0)) == INVALID_SOCKET)
    return -1;
```

## Fix safety
The fix is safe: it replaces the operator and the literal with `== INVALID_SOCKET` or
`!= INVALID_SOCKET` and keeps the rest of the expression as written: the new check is the one
the code meant.

## References
- Microsoft Learn, "Socket Data Type": `SOCKET` is unsigned; check against `INVALID_SOCKET`.
"#;

/// How a comparison `socket OP literal` reads, once normalized to the socket on the left.
struct Verdict {
    /// `==` or `!=`: what the fixed comparison is.
    fixed_op: &'static str,
    /// The end of the message after "`s` is a SOCKET, which is unsigned, ".
    why: &'static str,
}

fn verdict(op: &str, literal: &str) -> Option<Verdict> {
    let v = |fixed_op, why| Some(Verdict { fixed_op, why });
    match (op, literal) {
        ("<", "0") => v("==", "is never true"),
        ("<=", "0") => v("==", "is true only for 0, never for `INVALID_SOCKET`"),
        (">=", "0") => v("!=", "is always true"),
        (">", "-1") => v("!=", "is never true: `-1` converts to `INVALID_SOCKET`"),
        _ => None,
    }
}

/// The operator that reads the same with its operands swapped (`0 > s` is `s < 0`).
fn mirrored(op: &str) -> &str {
    match op {
        "<" => ">",
        ">" => "<",
        "<=" => ">=",
        ">=" => "<=",
        other => other,
    }
}

/// `0` or `-1` (also `-1` spelled as a unary minus), else `None`.
fn literal_value(node: Node, text: &[u8]) -> Option<&'static str> {
    let raw: String = node
        .utf8_text(text)
        .ok()?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    match raw.as_str() {
        "0" => Some("0"),
        "-1" => Some("-1"),
        _ => None,
    }
}

/// Whether the compared expression is cast to a type other than a SOCKET type before the
/// comparison (through parentheses).
fn cast_to_other_type(facts: &crate::facts::Facts, value: Node) -> bool {
    let mut node = value;
    loop {
        match node.kind_name() {
            "parenthesized_expression" => match node.named_child(0) {
                Some(inner) => node = inner,
                None => return false,
            },
            "cast_expression" => {
                let ty = node
                    .field("type")
                    .map(|t| facts.text_of(t).trim().to_string())
                    .unwrap_or_default();
                if !facts.socket_types.unsigned.contains(&ty) {
                    return true;
                }
                match node.field("value") {
                    Some(inner) => node = inner,
                    None => return false,
                }
            }
            _ => return false,
        }
    }
}

impl Rule for InvalidSocketComparison {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let (Some(cmp), Some(value), Some(op), Some(literal)) =
            (m.get("cmp"), m.get("value"), m.get("op"), m.get("literal"))
        else {
            return;
        };
        let facts = ctx.facts;
        let Some(lit) = literal_value(literal, ctx.text) else {
            return;
        };
        let socket_left = value.start_byte() < literal.start_byte();
        let written_op = ctx.text_of(op);
        let op_norm = if socket_left {
            written_op
        } else {
            mirrored(written_op)
        };
        let Some(verdict) = verdict(op_norm, lit) else {
            return;
        };
        // `(int)s < 0` compares a signed copy on purpose: `INVALID_SOCKET` becomes -1.
        if cast_to_other_type(facts, value) {
            return;
        }
        let object = facts.value_object(value);
        if !facts.has_socket_type(object) || facts.never_windows(cmp.start_byte()) {
            return;
        }
        let name = facts.socket_key(object);
        let message = format!(
            "`{name}` is a SOCKET, which is unsigned, so `{name} {op_norm} {lit}` {}",
            verdict.why
        );
        let fix = Fix::safe(
            format!("compare with `{} INVALID_SOCKET`", verdict.fixed_op),
            vec![
                Edit::replace(op.byte_range(), verdict.fixed_op),
                Edit::replace(literal.byte_range(), "INVALID_SOCKET"),
            ],
        );
        ctx.report(META.diag(cmp.byte_range(), message).with_fix(fix));
    }
}
