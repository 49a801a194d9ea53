//! WSA206 deprecated-winsock-api.

use crate::diagnostic::{Fix, Severity};
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct DeprecatedWinsockApi;

pub static META: RuleMeta = RuleMeta {
    code: "WSA206",
    name: "deprecated-winsock-api",
    severity: Severity::Note,
    fix: FixKind::Suggestion,
    source: "",
    summary: "IPv4-only resolver or address conversion call, some returning a per-thread buffer the next call overwrites",
    docs: DOCS,
    queries: &[query!("wsa206-deprecated-winsock-api.scm")],
    needles: &[
        "gethostbyname",
        "gethostbyaddr",
        "inet_addr",
        "inet_ntoa",
        "WSAAsyncGetHostBy",
    ],
    tags: &["maintainability", "portability", "winsock"],
    precision: "very-high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds calls to `gethostbyname`, `gethostbyaddr`, `inet_addr`, `inet_ntoa`,
`WSAAsyncGetHostByName` and `WSAAsyncGetHostByAddr` in code compiled for Windows (a file that
includes a Winsock header, a Windows-only branch, or a file written for Windows alone that
reaches Winsock through a project header: it names `SOCKET`, a `WSA*` function, a Win32
function or handle type, or includes `windows.h` or `stdafx.h`, and has no platform branch and
no POSIX side). Left alone: code only compiled for other
systems, files that never see Winsock, a call of the file's own function of that name (a free
replacement, or a method of the class around an unqualified call: `::inet_addr` and calls
outside the class still mean Winsock's), and a name the file's macros redirect elsewhere.

## Why is this bad?
These functions only know IPv4. `gethostbyname`, `gethostbyaddr` and `inet_ntoa` return
pointers into one buffer per thread that the next such call on the thread overwrites (Winsock
keeps them per thread, so they are thread-safe; the trap is a second call, see WSA215);
`inet_addr` returns `INADDR_NONE` both for an error and for the valid address
`255.255.255.255` (a constant dotted literal such as `"127.0.0.1"` cannot hit that, so only
IPv4 is said there); the
`WSAAsyncGetHostBy*` calls tie name resolution to a window's message loop. Microsoft marks them
deprecated: newer SDKs warn unless `_WINSOCK_DEPRECATED_NO_WARNINGS` is defined.

## Example
```c
struct hostent *h = gethostbyname(host);
addr.sin_addr.s_addr = inet_addr("127.0.0.1");
```

## Use instead
```c
struct addrinfo hints = {0}, *res;
hints.ai_family = AF_UNSPEC;
hints.ai_socktype = SOCK_STREAM;
if (getaddrinfo(host, "80", &hints, &res) == 0) { /* ... */ freeaddrinfo(res); }
inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
```

## Fix safety
No automatic fix: the replacements take different arguments and return their results
differently. The suggestion names the replacement.

## References
- Microsoft Learn, "gethostbyname function" and "inet_addr function": deprecated, use
  `getaddrinfo` and `inet_pton`.
"#;

/// (deprecated call, what is wrong with it, its replacement).
const CALLS: &[(&str, &str, &str)] = &[
    (
        "gethostbyname",
        "is IPv4-only and returns a per-thread buffer that the next lookup overwrites",
        "getaddrinfo",
    ),
    (
        "gethostbyaddr",
        "is IPv4-only and returns a per-thread buffer that the next lookup overwrites",
        "getnameinfo",
    ),
    (
        "inet_addr",
        "is IPv4-only and cannot tell `255.255.255.255` from an error",
        "inet_pton",
    ),
    (
        "inet_ntoa",
        "is IPv4-only and returns a per-thread buffer that the next call overwrites",
        "inet_ntop",
    ),
    (
        "WSAAsyncGetHostByName",
        "is IPv4-only and ties name resolution to a window's message loop",
        "GetAddrInfoExW",
    ),
    (
        "WSAAsyncGetHostByAddr",
        "is IPv4-only and ties name resolution to a window's message loop",
        "GetNameInfoW",
    ),
];

impl Rule for DeprecatedWinsockApi {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let (Some(call_node), Some(callee)) = (m.get("call"), m.get("callee")) else {
            return;
        };
        let facts = ctx.facts;
        let Some(call) = facts.call_of(call_node) else {
            return;
        };
        if call.member || !matches!(callee.kind_name(), "identifier" | "qualified_identifier") {
            return;
        }
        // `#define inet_ntoa my_inet_ntoa` or a redirect elsewhere changed the call.
        let Some(&(name, why, instead)) = CALLS.iter().find(|(n, _, _)| *n == call.name) else {
            return;
        };
        // The project's own replacement of that name, or a method of the class around the
        // call (`::inet_addr` is never the method).
        if facts.calls_own_function(call) {
            return;
        }
        if !facts.windows_code(call_node.start_byte()) {
            return;
        }
        // The name, without a `::` qualifier.
        let name_node = if callee.kind_name() == "qualified_identifier" {
            callee.field("name").unwrap_or(callee)
        } else {
            callee
        };
        // A constant dotted address cannot be `255.255.255.255` by mistake: only IPv4 is wrong.
        let why = if name == "inet_addr" && call.arg(0).is_some_and(|a| dotted_literal(a, ctx.text))
        {
            "is IPv4-only"
        } else {
            why
        };
        ctx.report(
            META.diag(name_node.byte_range(), format!("`{name}` {why}"))
                .with_fix(Fix::suggestion(format!("use `{instead}` instead"))),
        );
    }
}

/// Whether `node` is a string literal of a dotted IPv4 address other than `255.255.255.255`.
fn dotted_literal(node: tree_sitter::Node, text: &[u8]) -> bool {
    let Some(value) = crate::facts::strings::string_value(node, text) else {
        return false;
    };
    let parts: Vec<&str> = value.split('.').collect();
    parts.len() == 4
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 3 && p.bytes().all(|b| b.is_ascii_digit()))
        && value != "255.255.255.255"
}

#[cfg(test)]
mod tests {
    use super::dotted_literal;

    /// `dotted_literal` of the first string literal in `code`.
    fn dotted(code: &str) -> bool {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_c::LANGUAGE.into())
            .expect("the C grammar loads");
        let tree = parser.parse(code, None).expect("a tree");
        let mut found = None;
        crate::facts::walk(tree.root_node(), |n| {
            if found.is_none() && n.kind() == "string_literal" {
                found = Some(dotted_literal(n, code.as_bytes()));
            }
        });
        found.expect("a string literal")
    }

    #[test]
    fn dotted_addresses() {
        assert!(dotted("long a = inet_addr(\"127.0.0.1\");"));
        assert!(dotted("long a = inet_addr((\"10.1.2.3\"));"));
        assert!(!dotted("long a = inet_addr(\"255.255.255.255\");"));
        assert!(!dotted("long a = inet_addr(\"localhost\");"));
        assert!(!dotted("long a = inet_addr(\"1.2.3\");"));
        assert!(!dotted("long a = inet_addr(\"1.2.3.4.5\");"));
    }
}
