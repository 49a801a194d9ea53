//! WSA005 ipx-spx-socket (Q159254).

use tree_sitter::Node;

use crate::diagnostic::{Fix, Severity};
use crate::facts::strings::only_describes;
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct IpxSpxSocket;

pub static META: RuleMeta = RuleMeta {
    code: "WSA005",
    name: "ipx-spx-socket",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "Q159254",
    summary: "IPX/SPX sockets: removed after Windows XP, and WSIPX bind fails with WSAENOBUFS",
    docs: DOCS,
    queries: &[query!("wsa005-ipx-spx-socket.scm")],
    needles: &["IPX", "SPX", "wsnwlink"],
    tags: &["portability", "reliability", "winsock"],
    precision: "very-high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds uses of the IPX/SPX protocol family: `AF_IPX`, `PF_IPX`, `NSPROTO_IPX`, `NSPROTO_SPX`,
`NSPROTO_SPXII`, and `#include <wsipx.h>` or `<wsnwlink.h>`. One finding per use. Code in a
non-Windows branch (`#ifndef _WIN32`, Linux had its own IPX) and in `#if 0` is left alone, and
so is a constant that only names the protocol: a `case` label or a `==`/`!=` test whose
branches only produce text (a protocol catalog: `case NSPROTO_IPX: return "IPX";`,
`if (p == AF_IPX) printf("IPX")`), `#ifdef AF_IPX`, a fallback `#define`. A test that guards
real handling (`if (family == AF_IPX) proto = NSPROTO_IPX;`) is a use.

## Why is this bad?
Windows dropped IPX/SPX after Windows XP: these sockets fail on every supported version. On
Windows 95, WSIPX's `bind` fails with WSAENOBUFS once IFSMGR's heap is exhausted, after enough
sockets have come and gone (Q159254).

## Example
```c
#include <wsipx.h>

SOCKET s = socket(AF_IPX, SOCK_DGRAM, NSPROTO_IPX);
```

## Use instead
```c
SOCKET s = socket(AF_INET6, SOCK_DGRAM, IPPROTO_UDP);
```

## Fix safety
No automatic fix: moving to TCP/IP changes addressing, not just a constant.

## References
- Q159254: WSIPX bind fails with WSAENOBUFS (Windows 95).
"#;

impl Rule for IpxSpxSocket {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let (node, message) = if let Some(id) = m.get("ipx") {
            // `#ifdef AF_IPX` asks whether IPX exists; it does not use it.
            let parent = id.parent().map(|p| p.kind_name());
            if matches!(parent, Some("preproc_ifdef" | "preproc_defined")) {
                return;
            }
            // Naming the protocol to describe one is not using it: `case NSPROTO_IPX:` in a
            // switch that prints a protocol catalog, `info->iProtocol == NSPROTO_SPX`, and a
            // fallback `#define NSPROTO_IPX 1000`. Creating, binding and registering use it.
            if is_description(id, ctx.text) {
                return;
            }
            let name = ctx.text_of(id);
            let what = if name.contains("SPX") { "SPX" } else { "IPX" };
            (
                id,
                format!("`{name}` selects {what}, which Windows no longer ships after Windows XP"),
            )
        } else if let Some(header) = m.get("header") {
            let name = ctx.text_of(header).trim_matches(['<', '>', '"']);
            (
                header,
                format!(
                    "`{name}` declares IPX/SPX, which Windows no longer ships after Windows XP"
                ),
            )
        } else {
            return;
        };
        if ctx.facts.not_for_windows(node.start_byte()) {
            return;
        }
        ctx.report(
            META.diag(node.byte_range(), message)
                .with_fix(Fix::suggestion("move to TCP/IP (`AF_INET` or `AF_INET6`)")),
        );
    }
}

/// Whether the constant only names the protocol: a `case` label or a side of `==`/`!=` whose
/// branches only produce text (`case NSPROTO_IPX: return "IPX";`, `if (p == AF_IPX)
/// printf("IPX")`, `p == NSPROTO_SPX ? "SPX" : "?"`), or the name a `#define` gives it. A
/// comparison that guards real handling (`if (family == AF_IPX) proto = NSPROTO_IPX;`) or
/// whose result is kept is a use.
fn is_description(id: Node, text: &[u8]) -> bool {
    let Some(parent) = id.parent() else {
        return false;
    };
    match parent.kind_name() {
        "case_statement" if parent.field("value") == Some(id) => {
            // `case NSPROTO_SPX: case NSPROTO_SPXII: return "SPX";`: an empty case runs the
            // next one's statements.
            let mut case = Some(parent);
            while let Some(c) = case {
                let mut cursor = c.walk();
                let body: Vec<Node> = c
                    .named_children(&mut cursor)
                    .filter(|n| Some(*n) != c.field("value") && n.kind_name() != "comment")
                    .collect();
                if !body.is_empty() {
                    return body.iter().all(|s| only_describes(*s, text));
                }
                case = c
                    .next_named_sibling()
                    .filter(|n| n.kind_name() == "case_statement");
            }
            false
        }
        "binary_expression"
            if parent
                .field("operator")
                .is_some_and(|op| matches!(op.kind_name(), "==" | "!=")) =>
        {
            // Up through `||`, `&&`, `!` and parentheses to what the test decides.
            let mut test = parent;
            while let Some(up) = test.parent() {
                let logical = match up.kind_name() {
                    "parenthesized_expression" | "condition_clause" => true,
                    "binary_expression" => up
                        .field("operator")
                        .is_some_and(|op| matches!(op.kind_name(), "||" | "&&")),
                    "unary_expression" => up.field("operator").map(|o| o.kind_name()) == Some("!"),
                    _ => false,
                };
                if !logical {
                    break;
                }
                test = up;
            }
            let Some(decider) = test.parent() else {
                return false;
            };
            let branches = match decider.kind_name() {
                "if_statement" if decider.field("condition") == Some(test) => {
                    [decider.field("consequence"), decider.field("alternative")]
                }
                "conditional_expression" if decider.field("condition") == Some(test) => {
                    return picks_a_string(decider, text);
                }
                _ => return false,
            };
            branches
                .into_iter()
                .flatten()
                .all(|b| only_describes(b, text))
        }
        "preproc_def" | "preproc_function_def" => parent.field("name") == Some(id),
        _ => false,
    }
}

/// `p == NSPROTO_SPX ? "SPX" : p == NSPROTO_IPX ? "IPX" : "?"`: every arm is a string.
fn picks_a_string(conditional: Node, text: &[u8]) -> bool {
    let mut arms = vec![conditional];
    while let Some(arm) = arms.pop() {
        let arm = crate::facts::unwrap_parens(arm);
        if arm.kind_name() == "conditional_expression" {
            arms.extend(arm.field("consequence"));
            arms.extend(arm.field("alternative"));
        } else if crate::facts::strings::string_value(arm, text).is_none() {
            return false;
        }
    }
    true
}
