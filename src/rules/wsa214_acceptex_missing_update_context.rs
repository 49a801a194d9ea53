//! WSA214 acceptex-missing-update-context.

use tree_sitter::Node;

use crate::diagnostic::{Finding, Fix, Severity};
use crate::facts::{unwrap_casts, Call, Facts, Platform};
use crate::node::NodeExt;
use crate::rules::{Ctx, Deferred, FixKind, Rule, RuleMeta};

pub struct AcceptexMissingUpdateContext;

pub static META: RuleMeta = RuleMeta {
    code: "WSA214",
    name: "acceptex-missing-update-context",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "a socket accepted with `AcceptEx` (or connected with `ConnectEx`) is used without `SO_UPDATE_ACCEPT_CONTEXT`",
    docs: DOCS,
    queries: &[],
    // The file that sets the option must be read too, or the project-wide phase would believe
    // nothing does.
    needles: &[
        "AcceptEx",
        "ConnectEx",
        "SO_UPDATE_ACCEPT_CONTEXT",
        "SO_UPDATE_CONNECT_CONTEXT",
        "SIO_GET_EXTENSION_FUNCTION_POINTER",
    ],
    tags: &["correctness", "winsock"],
    precision: "medium",
    security_severity: None,
    flow: true,
};

const DOCS: &str = r#"## What it does
Finds a socket accepted with `AcceptEx` (or connected with `ConnectEx`) that the same function
then passes to `getpeername`, `getsockname`, `shutdown`, `getsockopt`, `setsockopt` or
`TransmitFile`, or that another function of the file passes to `getpeername`, `getsockname`,
`shutdown` or `TransmitFile` through the same field (`conn->sock`), when no file of the project
(the directory of the nearest `wsalint.toml`, else the checkout) names
`SO_UPDATE_ACCEPT_CONTEXT` (`SO_UPDATE_CONNECT_CONTEXT`). `AcceptEx` and `ConnectEx` are
recognised by name (`AcceptEx`, `lpfnAcceptEx`, `pConnectEx`, with their argument counts) and
through the pointer a `WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)` of `WSAID_ACCEPTEX` or
`WSAID_CONNECTEX` fills. Also reports `SO_UPDATE_ACCEPT_CONTEXT` set before the `AcceptEx` that
accepts on the socket, and set with a value that is not the listening socket (a `BOOL`, the
accepted socket itself).

## Why is this bad?
A socket that `AcceptEx` accepted (or `ConnectEx` connected) does not carry the state of a
connected socket until the option is set on it after the operation completes: `getpeername`
and `getsockname` fail or return nothing, `shutdown` fails with `WSAENOTCONN`, and socket
options the listening socket had are not inherited. The option takes the listening socket as
its value; set before the accept completes, or with another value, it does nothing.

## Example
```c
/* the AcceptEx completed */
getpeername(accepted, (struct sockaddr *)&peer, &len); /* fails: WSAENOTCONN */
```

## Use instead
```c
setsockopt(accepted, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&listener,
           sizeof listener);
getpeername(accepted, (struct sockaddr *)&peer, &len);
```

## Fix safety
No automatic fix: the option belongs where the completion is handled, which wsalint cannot
always see. The suggestion names the call.

## References
- Microsoft Learn, "AcceptEx function": `SO_UPDATE_ACCEPT_CONTEXT`.
- Microsoft Learn, "LPFN_CONNECTEX callback function": `SO_UPDATE_CONNECT_CONTEXT`.
"#;

/// Calls that need the state the option gives an accepted or connected socket.
const USES: &[&str] = &[
    "getpeername",
    "getsockname",
    "shutdown",
    "getsockopt",
    "setsockopt",
    "TransmitFile",
];
/// Of those, the ones no program makes before the socket is connected.
const CONNECTED_USES: &[&str] = &["getpeername", "getsockname", "shutdown", "TransmitFile"];

/// One of the two extension functions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ext {
    Accept,
    Connect,
}

impl Ext {
    fn name(self) -> &'static str {
        match self {
            Ext::Accept => "AcceptEx",
            Ext::Connect => "ConnectEx",
        }
    }
    fn option(self) -> &'static str {
        match self {
            Ext::Accept => "SO_UPDATE_ACCEPT_CONTEXT",
            Ext::Connect => "SO_UPDATE_CONNECT_CONTEXT",
        }
    }
    fn verb(self) -> &'static str {
        match self {
            Ext::Accept => "accepted",
            Ext::Connect => "connected",
        }
    }
    /// The argument that is the socket the operation gives state to.
    fn socket_arg(self) -> usize {
        match self {
            Ext::Accept => 1,
            Ext::Connect => 0,
        }
    }
    fn args(self) -> usize {
        match self {
            Ext::Accept => 8,
            Ext::Connect => 7,
        }
    }
}

impl Rule for AcceptexMissingUpdateContext {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, ctx: &mut Ctx) {
        let facts = ctx.facts;
        for ext in [Ext::Accept, Ext::Connect] {
            if names_identifier(ctx, ext.option()) {
                ctx.defer(&META, ext.option(), None);
            }
        }
        let pointers = extension_pointers(facts);
        let calls: Vec<(Ext, &Call)> = facts
            .calls
            .iter()
            .filter_map(|c| extension_of(facts, c, &pointers).map(|e| (e, c)))
            .filter(|(_, c)| !facts.never_windows(c.node.start_byte()))
            .collect();
        for &(ext, call) in &calls {
            let Some(socket) = call.arg(ext.socket_arg()) else {
                continue;
            };
            let key = facts.socket_key(socket);
            let Some(used) = first_use(facts, call, &key) else {
                continue;
            };
            let option = ext.option();
            let name = ext.name();
            let used_key = used.arg(0).map(|a| facts.socket_key(a)).unwrap_or_default();
            let diag = META
                .diag(
                    used.node.byte_range(),
                    format!(
                        "`{}` on `{used_key}` fails: `{name}` gave it no connected state, and nothing in the project sets `{option}` on it",
                        used.name
                    ),
                )
                .with_related(
                    call.node.byte_range(),
                    format!("`{key}` is {} here by `{name}`", ext.verb()),
                )
                .with_fix(Fix::suggestion(format!(
                    "set `{option}` on `{key}` when the `{name}` completes"
                )));
            ctx.defer(&META, format!("use:{option}"), Some(diag));
        }
        check_options(ctx, &calls);
    }

    fn finish(&self, deferred: &[&Deferred<Finding>]) -> Vec<Finding> {
        let set = |option: &str| deferred.iter().any(|d| d.key == option);
        deferred
            .iter()
            .filter_map(|d| {
                let option = d.key.strip_prefix("use:")?;
                (!set(option)).then(|| d.item.clone()).flatten()
            })
            .collect()
    }
}

/// Whether the file names `name` in code a Windows build compiles, outside comments and
/// `#define`s.
fn names_identifier(ctx: &Ctx, name: &str) -> bool {
    if !ctx.text.windows(name.len()).any(|w| w == name.as_bytes()) {
        return false;
    }
    let mut found = false;
    crate::facts::walk_pruned(ctx.root, |n| {
        if found || matches!(n.kind_name(), "preproc_def" | "comment") {
            return false;
        }
        found = n.kind_name() == "identifier"
            && ctx.text_of(n) == name
            && ctx.facts.platform_at(n.start_byte()) != Platform::Dead;
        true
    });
    found
}

/// The variables a `WSAIoctl(SIO_GET_EXTENSION_FUNCTION_POINTER)` fills with `AcceptEx` or
/// `ConnectEx`, by key: the GUID argument names `WSAID_ACCEPTEX`/`WSAID_CONNECTEX`, or is a
/// variable the file gives that value.
fn extension_pointers(facts: &Facts) -> Vec<(String, Ext)> {
    let mut out = Vec::new();
    for call in facts
        .calls
        .iter()
        .filter(|c| !c.member && c.name == "WSAIoctl")
    {
        let (Some(code), Some(guid), Some(target)) = (call.arg(1), call.arg(2), call.arg(4)) else {
            continue;
        };
        if facts.text_of(code).trim() != "SIO_GET_EXTENSION_FUNCTION_POINTER" {
            continue;
        }
        let guid_key = facts.socket_key(address_of(guid));
        let mut text = facts.text_of(guid).to_string();
        for a in facts
            .assignments
            .iter()
            .filter(|a| facts.socket_key(a.target_node) == guid_key)
        {
            text.push_str(facts.text_of(a.value));
        }
        for d in facts.decls_named(&guid_key) {
            if let Some(init) = &d.init {
                text.push_str(std::str::from_utf8(&facts.text[init.clone()]).unwrap_or(""));
            }
        }
        let ext = if text.contains("WSAID_ACCEPTEX") {
            Ext::Accept
        } else if text.contains("WSAID_CONNECTEX") {
            Ext::Connect
        } else {
            continue;
        };
        out.push((facts.socket_key(address_of(target)), ext));
    }
    out
}

/// `x` of `&x`, through casts.
fn address_of(node: Node) -> Node {
    let n = unwrap_casts(node);
    if n.kind_name() == "pointer_expression"
        && n.field("operator").is_some_and(|o| o.kind_name() == "&")
    {
        if let Some(arg) = n.field("argument") {
            return unwrap_casts(arg);
        }
    }
    n
}

/// Which extension function a call calls: by its name (`AcceptEx`, `lpfnAcceptEx`,
/// `m_pConnectEx`, not `GetAcceptExSockaddrs`) or through a pointer a `WSAIoctl` filled, with
/// the argument count of that function.
fn extension_of(facts: &Facts, call: &Call, pointers: &[(String, Ext)]) -> Option<Ext> {
    let callee = facts.socket_key(call.callee);
    let lower = call.name.to_ascii_lowercase();
    let ext = if let Some((_, e)) = pointers.iter().find(|(k, _)| *k == callee) {
        *e
    } else if lower.contains("acceptex") && !lower.contains("sockaddrs") {
        Ext::Accept
    } else if lower.contains("connectex") {
        Ext::Connect
    } else {
        return None;
    };
    (call.args.len() == ext.args()).then_some(ext)
}

/// The first call after `ext_call` that needs the socket `key` to be connected: in the same
/// function, any of `USES` on it (the option itself aside); in another function of the file,
/// one of `CONNECTED_USES` on the same field (`ctx->sock` and `c->sock`).
fn first_use<'a, 't>(facts: &'a Facts<'t>, ext_call: &Call<'t>, key: &str) -> Option<&'a Call<'t>> {
    let field = key
        .rsplit_once("->")
        .or_else(|| key.rsplit_once('.'))
        .map(|(_, f)| f);
    facts.calls.iter().find(|c| {
        if c.member || !USES.contains(&c.name.as_str()) || facts.never_windows(c.node.start_byte())
        {
            return false;
        }
        let Some(socket) = c.arg(0) else {
            return false;
        };
        let sets_context = c.name == "setsockopt"
            && c.arg(2)
                .is_some_and(|o| facts.text_of(o).contains("_CONTEXT"));
        if sets_context {
            return false;
        }
        let used = facts.socket_key(socket);
        if c.function == ext_call.function {
            c.node.start_byte() >= ext_call.node.end_byte() && used == key
        } else {
            let used_field = used
                .rsplit_once("->")
                .or_else(|| used.rsplit_once('.'))
                .map(|(_, f)| f);
            CONNECTED_USES.contains(&c.name.as_str()) && field.is_some() && used_field == field
        }
    })
}

/// `SO_UPDATE_ACCEPT_CONTEXT` set before the `AcceptEx` of the same function that accepts on
/// that socket, or with a value that is not the listening socket.
fn check_options(ctx: &mut Ctx, calls: &[(Ext, &Call)]) {
    let facts = ctx.facts;
    let option = Ext::Accept.option();
    for set in facts
        .calls
        .iter()
        .filter(|c| !c.member && c.name == "setsockopt")
    {
        let (Some(socket), Some(opt), Some(value)) = (set.arg(0), set.arg(2), set.arg(3)) else {
            continue;
        };
        if facts.text_of(opt).trim() != option || facts.never_windows(set.node.start_byte()) {
            continue;
        }
        let key = facts.socket_key(socket);
        // Posted later in the same function, with no loop around both (a loop sets the option
        // on the socket the previous pass accepted).
        let later = calls.iter().find(|(ext, c)| {
            *ext == Ext::Accept
                && c.function == set.function
                && c.node.start_byte() >= set.node.end_byte()
                && c.arg(1).is_some_and(|a| facts.socket_key(a) == key)
                && !facts
                    .loops_in_function_around(set.node.start_byte())
                    .iter()
                    .any(|l| Facts::within(c.node, l.node))
        });
        if let Some((_, accept)) = later {
            ctx.report(
                META.diag(
                    set.node.byte_range(),
                    format!("`{option}` on `{key}` has no effect: it is set before `AcceptEx` accepts a connection on `{key}`"),
                )
                .with_related(accept.node.byte_range(), format!("`{key}` is accepted here by `AcceptEx`"))
                .with_fix(Fix::suggestion(format!(
                    "set `{option}` after the `AcceptEx` completes"
                ))),
            );
            continue;
        }
        let given = address_of(value);
        let given_key = facts.socket_key(given);
        let what = if given_key == key {
            Some("the accepted socket itself".to_string())
        } else if given.kind_name() == "identifier" {
            facts
                .decl_of(&given_key, given.start_byte())
                .filter(|d| !d.pointer)
                .map(|d| d.ty.clone())
                .filter(|ty| {
                    matches!(
                        ty.as_str(),
                        "BOOL" | "bool" | "int" | "DWORD" | "BOOLEAN" | "char"
                    )
                })
                .map(|ty| format!("a `{ty}`"))
        } else {
            None
        };
        if let Some(what) = what {
            ctx.report(
                META.diag(
                    value.byte_range(),
                    format!("`{option}` on `{key}` is given `{given_key}` ({what}), but it takes the listening socket: the accepted socket gets no state"),
                )
                .with_fix(Fix::suggestion(
                    "pass the listening socket: `(char *)&listener, sizeof listener`",
                )),
            );
        }
    }
}
