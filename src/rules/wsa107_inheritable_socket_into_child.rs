//! WSA107 inheritable-socket-into-child.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::diagnostic::{Finding, Fix, Severity};
use crate::facts::winsock::{wsasocket_no_inherit, WSASOCKET_CALLS};
use crate::facts::{unwrap_casts, Call, DeclKind, Facts};
use crate::node::NodeExt;
use crate::rules::{Ctx, Deferred, FixKind, Rule, RuleMeta};

pub struct InheritableSocketIntoChild;

pub static META: RuleMeta = RuleMeta {
    code: "WSA107",
    name: "inheritable-socket-into-child",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "a socket stays inheritable in a project that starts children inheriting handles",
    docs: DOCS,
    queries: &[],
    // The files that start children, protect sockets or hand them over must be read too.
    needles: &[
        "CreateProcess",
        "SetHandleInformation",
        "socket",
        "WSASocket",
        "accept",
        "hStdInput",
        "hStdOutput",
        "hStdError",
    ],
    tags: &["security", "reliability", "winsock"],
    precision: "medium",
    security_severity: None,
    flow: true,
};

const DOCS: &str = r#"## What it does
Looks at the whole project (the directory of the nearest `wsalint.toml`, else the checkout):
when a file of it starts a child process with `CreateProcess*(..., bInheritHandles = TRUE, ...)`
in the socket's directory or in a directory above or below it (a repository of independent
programs, such as a tree of samples, is not one program),
reports each socket created in Windows code (`socket`, `accept`, `WSAAccept`, `WSASocketA/W`
without `WSA_FLAG_NO_HANDLE_INHERIT`) and stored in a variable or field that nothing makes
non-inheritable: no `SetHandleInformation(s, HANDLE_FLAG_INHERIT, ...)` on it in the function
that creates it (or, for a field, anywhere in the file), in a project function it is passed to
that calls `SetHandleInformation` on its parameter, or in a caller that receives it from its
creator. Not a finding: a child started with a `STARTUPINFOEX` whose
`PROC_THREAD_ATTRIBUTE_HANDLE_LIST` names the handles it gets, a `bInheritHandles` the code does
not spell as `TRUE`, a socket handed to the child on purpose (placed in `hStdInput`,
`hStdOutput` or `hStdError`).

## Why is this bad?
Winsock handles are inheritable by default. A child started with `bInheritHandles` TRUE gets a
copy of every inheritable handle of the parent, sockets included: the parent's listening ports
stay bound and its connections stay open for as long as the child lives, even after the parent
closes them, so a peer never sees the connection end and a restarted server cannot bind its
port.

## Example
```c
SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
/* ... elsewhere in the project ... */
CreateProcessW(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, &si, &pi);
```

## Use instead
```c
SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, IPPROTO_TCP, NULL, 0,
                      WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT);
/* or */
SetHandleInformation((HANDLE)s, HANDLE_FLAG_INHERIT, 0);
```

## Fix safety
No automatic fix: a socket may be meant for the child. The suggestion names the cure.

## References
- Microsoft Learn, "WSASocketW function": `WSA_FLAG_NO_HANDLE_INHERIT`.
- Microsoft Learn, "SetHandleInformation function" and "Inheritance" (processes and threads).
"#;

/// Calls that create a socket, with the name the message gives them.
const CREATORS: &[&str] = &["socket", "accept", "WSAAccept"];
/// `CreateProcess*` calls, with the index of their `bInheritHandles` argument.
const SPAWNS: &[(&str, usize)] = &[
    ("CreateProcess", 4),
    ("CreateProcessA", 4),
    ("CreateProcessW", 4),
    ("CreateProcessAsUser", 5),
    ("CreateProcessAsUserA", 5),
    ("CreateProcessAsUserW", 5),
];
/// The `STARTUPINFO` fields a handle is handed to the child in.
const STD_HANDLES: &[&str] = &["hStdInput", "hStdOutput", "hStdError"];

const SPAWN: &str = "spawn\t";
const CANDIDATE: &str = "candidate\t";
const PROTECTOR: &str = "protector\t";
const PROTECTS_RESULT: &str = "protects-result\t";
const HANDED: &str = "handed\t";
/// How every message ends.
const REST: &str = ": a child keeps it open after this process closes it";

impl Rule for InheritableSocketIntoChild {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, ctx: &mut Ctx) {
        let facts = ctx.facts;
        let spawns = defer_spawns(ctx);
        // Handles handed to the child on purpose.
        for a in &facts.assignments {
            let target = ctx.text_of(a.target_node);
            let field = target.rsplit(['.', '>']).next().unwrap_or("").trim();
            let key = facts.socket_key(a.value);
            // A local is handed over in its own function (see `candidate`); a field anywhere.
            if STD_HANDLES.contains(&field) && (key.contains("->") || key.contains('.')) {
                ctx.defer(&META, format!("{HANDED}{}", last_part(&key)), None);
            }
        }
        // Functions that protect their parameter, and callers that protect what a creator gave.
        for f in &facts.functions {
            for set in protections(facts, f.body.byte_range()) {
                let Some(target) = set.arg(0) else { continue };
                let key = facts.socket_key(target);
                if f.params.iter().any(|p| p.name == key) {
                    ctx.defer(&META, format!("{PROTECTOR}{}", f.short_name()), None);
                }
                for a in facts.assignments.iter().filter(|a| {
                    a.function == set.function
                        && facts.socket_key(a.target_node) == key
                        && a.value.end_byte() <= set.node.start_byte()
                }) {
                    if let Some(c) = facts.call_of(unwrap_casts(a.value)) {
                        ctx.defer(&META, format!("{PROTECTS_RESULT}{}", c.name), None);
                    }
                }
            }
        }
        for call in &facts.calls {
            let Some((key, mut diag)) = candidate(ctx, call) else {
                continue;
            };
            // A child started in the same file is named as a related location; one started
            // elsewhere is named in the message by the project-wide phase.
            if let Some(spawn) = spawns.first() {
                diag.message = format!(
                    "{} and `{}` starts children that inherit handles{REST}",
                    diag.message, spawn.name
                );
                diag = diag.with_related(
                    spawn.node.byte_range(),
                    "children inherit the handles here".to_string(),
                );
            }
            ctx.defer(&META, key, Some(diag));
        }
    }

    fn finish(&self, deferred: &[&Deferred<Finding>]) -> Vec<Finding> {
        let spawns: Vec<(&str, &str, PathBuf)> = deferred
            .iter()
            .filter_map(|d| {
                let (name, place) = d.key.strip_prefix(SPAWN)?.split_once('\t')?;
                let path = place.rsplit_once(':').map_or(place, |(p, _)| p);
                Some((name, place, directory_of(Path::new(path))))
            })
            .collect();
        if spawns.is_empty() {
            return Vec::new();
        }
        let facts: HashSet<&str> = deferred
            .iter()
            .filter(|d| d.item.is_none())
            .map(|d| d.key.as_str())
            .collect();
        let mut out = Vec::new();
        for d in deferred {
            let (Some(rest), Some(item)) = (d.key.strip_prefix(CANDIDATE), d.item.as_ref()) else {
                continue;
            };
            let mut parts = rest.split('\t');
            let key = parts.next().unwrap_or("");
            if facts.contains(format!("{HANDED}{}", last_part(key)).as_str()) {
                continue;
            }
            let covered = parts.any(|p| {
                let (kind, name) = p.split_once(':').unwrap_or(("", p));
                match kind {
                    "arg" => facts.contains(format!("{PROTECTOR}{name}").as_str()),
                    "ret" => facts.contains(format!("{PROTECTS_RESULT}{name}").as_str()),
                    _ => false,
                }
            });
            if covered {
                continue;
            }
            // A child started in a directory unrelated to the socket's is another program of
            // the repository (a tree of independent samples is not one program).
            let dir = directory_of(&item.path);
            let Some(&(name, place, _)) = spawns
                .iter()
                .filter(|(_, _, d)| d.starts_with(&dir) || dir.starts_with(d))
                .min_by(|a, b| a.1.cmp(b.1))
            else {
                continue;
            };
            let mut finding = item.clone();
            if !finding.message.ends_with(REST) {
                finding.message = format!(
                    "{} and `{name}` starts children that inherit handles ({place}){REST}",
                    finding.message
                );
            }
            out.push(finding);
        }
        out
    }
}

/// The directory of a file, canonical when the file exists (the files of one project may be
/// named relative to the run or found by a walk from its root).
fn directory_of(path: &Path) -> PathBuf {
    let path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
    path.parent().map(Path::to_path_buf).unwrap_or_default()
}

/// The last part of a key (`conn->sock` -> `sock`), which names a field wherever it is reached.
fn last_part(key: &str) -> &str {
    key.rsplit(['.', '>']).next().unwrap_or(key)
}

/// The `SetHandleInformation(h, HANDLE_FLAG_INHERIT, ...)` calls in a range: each settles the
/// inheritance of `h`, one way or the other.
fn protections<'a, 't>(
    facts: &'a Facts<'t>,
    range: std::ops::Range<usize>,
) -> impl Iterator<Item = &'a Call<'t>> + 'a {
    facts.calls_in(range).filter(move |c| {
        !c.member
            && c.name == "SetHandleInformation"
            && c.arg(1)
                .is_some_and(|a| facts.text_of(a).contains("HANDLE_FLAG_INHERIT"))
    })
}

/// The `CreateProcess*` calls of the file whose `bInheritHandles` is `TRUE`, unless their
/// function lists the handles the child gets (`PROC_THREAD_ATTRIBUTE_HANDLE_LIST`); each is
/// deferred as a fact `spawn\t<call>\t<path>:<line>`.
fn defer_spawns<'a, 't>(ctx: &mut Ctx<'a, 't>) -> Vec<&'a Call<'t>> {
    let facts = ctx.facts;
    let mut out = Vec::new();
    for call in &facts.calls {
        let Some(&(_, index)) = SPAWNS.iter().find(|(n, _)| *n == call.name) else {
            continue;
        };
        if call.member || facts.never_windows(call.node.start_byte()) {
            continue;
        }
        let inherit = call.arg(index).map(|a| ctx.text_of(a).trim());
        if !matches!(inherit, Some("TRUE" | "true" | "1")) {
            continue;
        }
        let listed = call.function.is_some_and(|f| {
            ctx.text_of(facts.functions[f].body)
                .contains("PROC_THREAD_ATTRIBUTE_HANDLE_LIST")
        });
        if listed {
            continue;
        }
        let line = call.node.start_position().row + 1;
        let path = crate::diagnostic::path_string(ctx.path);
        ctx.defer(&META, format!("{SPAWN}{}\t{path}:{line}", call.name), None);
        out.push(call);
    }
    out
}

/// A socket creation that nothing in its file makes non-inheritable, as a held finding keyed
/// `candidate\t<socket>\targ:<function>...\tret:<creator>`: the project functions it is passed
/// to, and the function that returns it, which other files may show to protect it.
fn candidate(ctx: &Ctx, call: &Call) -> Option<(String, crate::diagnostic::Diagnostic)> {
    let facts = ctx.facts;
    let wsasocket = WSASOCKET_CALLS.contains(&call.name.as_str());
    if call.member || !(wsasocket || CREATORS.contains(&call.name.as_str())) {
        return None;
    }
    let at = call.node.start_byte();
    if facts.never_windows(at) || !facts.windows_code(at) || facts.in_error(call.node.byte_range())
    {
        return None;
    }
    if wsasocket && wsasocket_no_inherit(call, ctx.text) != Some(false) {
        return None;
    }
    let key = facts.stored_in(call.node)?;
    let func = call.function?;
    let body = facts.functions[func].body;
    let field = key.contains("->") || key.contains('.');
    let global = !field
        && facts
            .decl_of(&key, at)
            .is_some_and(|d| d.kind == DeclKind::Global);
    // Settled in the file: in the creating function, or anywhere for a field or global.
    let settled = protections(facts, 0..ctx.text.len()).any(|c| {
        c.arg(0).is_some_and(|a| {
            let k = facts.socket_key(a);
            (c.function == Some(func) && k == key)
                || (field && last_part(&k) == last_part(&key))
                || (global && k == key)
        })
    });
    let handed = facts.assignments.iter().any(|a| {
        a.function == Some(func)
            && STD_HANDLES.contains(&last_part(ctx.text_of(a.target_node)).trim())
            && facts.socket_key(a.value) == key
    });
    if settled || handed {
        return None;
    }
    let mut parts = vec![format!("{CANDIDATE}{key}")];
    for c in facts.calls_in(body.byte_range()) {
        if c.function == Some(func)
            && c.node.start_byte() > at
            && c.args.iter().any(|a| facts.socket_key(*a) == key)
        {
            parts.push(format!("arg:{}", c.name));
        }
    }
    let returned = facts.text_of(body).contains("return") && {
        let mut found = false;
        crate::facts::walk(body, |n| {
            if n.kind_name() == "return_statement"
                && n.named_child(0).is_some_and(|v| facts.socket_key(v) == key)
            {
                found = true;
            }
        });
        found
    };
    if returned {
        parts.push(format!("ret:{}", facts.functions[func].short_name()));
    }
    let creator = &call.name;
    let fix = if wsasocket {
        format!("add `WSA_FLAG_NO_HANDLE_INHERIT` to the flags of `{creator}`")
    } else {
        format!(
            "call `SetHandleInformation((HANDLE){key}, HANDLE_FLAG_INHERIT, 0)` after `{creator}`"
        )
    };
    let diag = META
        .diag(
            call.node.byte_range(),
            format!("`{key}` from `{creator}` is inheritable,"),
        )
        .with_fix(Fix::suggestion(fix));
    Some((parts.join("\t"), diag))
}
