//! WSA001 iphlpapi-load-cycle (KB836769).

use tree_sitter::Node;

use crate::diagnostic::{Finding, Fix, Severity};
use crate::facts::strings::{is_text_macro, names_dll, string_value};
use crate::facts::{Call, Facts};
use crate::node::NodeExt;
use crate::query;
use crate::rules::{Ctx, Deferred, FixKind, Match, Rule, RuleMeta};

pub struct IphlpapiLoadCycle;

pub static META: RuleMeta = RuleMeta {
    code: "WSA001",
    name: "iphlpapi-load-cycle",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "KB836769",
    summary:
        "iphlpapi.dll loaded and freed in the same function leaks a TCP/IP driver handle per call",
    docs: DOCS,
    queries: &[query!("wsa001-iphlpapi-load-cycle.scm")],
    needles: &["iphlpapi", "LoadLibrary"],
    tags: &["reliability", "resource-leak", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds a function that loads `iphlpapi.dll` (through `LoadLibrary`, `LoadLibraryA/W`,
`LoadLibraryExA/W`, or a loader function of the project's own that passes its argument on to
them) and frees the same handle with `FreeLibrary` or `FreeLibraryAndExitThread` in the same
function. The DLL name is recognised in every spelling: `"iphlpapi.dll"`, `L"..."`,
`TEXT("...")`, `_T("...")`, with or without `.dll` or a directory, in any case. The finding is an
error when the load sits in a loop.

## Why is this bad?
Every unload of `iphlpapi.dll` leaks a handle to the TCP/IP driver (KB836769). A program that
loads and frees it on every call - to read adapter information once a minute, say - keeps
growing its handle count until the server runs out of resources.

## Example
```c
DWORD get_adapters(void)
{
    HMODULE h = LoadLibrary(TEXT("iphlpapi.dll"));
    /* ... GetProcAddress(h, "GetAdaptersInfo") ... */
    FreeLibrary(h);
    return 0;
}
```

## Use instead
Load the DLL once and keep the handle for the life of the process (free it only at shutdown,
if at all), or link `iphlpapi.lib` and call the IP Helper functions directly:
```c
static HMODULE g_iphlpapi;

DWORD get_adapters(void)
{
    if (g_iphlpapi == NULL)
        g_iphlpapi = LoadLibrary(TEXT("iphlpapi.dll"));
    /* ... */
    return 0;
}
```

## Fix safety
No automatic fix: where to keep the handle is a design choice. The suggestion names the cure.

## Configuration
`dlls` in `wsalint.toml` lists the DLLs to watch (default: `["iphlpapi.dll"]`);
`[resources] loaders` names loader functions wsalint cannot see the body of.

## References
- KB836769: Handle leak in an IP helper function in Windows Server 2003.
"#;

/// The system calls that load a DLL by name (first argument).
const LOADERS: &[&str] = &[
    "LoadLibrary",
    "LoadLibraryA",
    "LoadLibraryW",
    "LoadLibraryEx",
    "LoadLibraryExA",
    "LoadLibraryExW",
    "AfxLoadLibrary",
    "AfxLoadLibraryEx",
];

/// The calls that free a DLL handle (first argument).
const FREERS: &[&str] = &["FreeLibrary", "FreeLibraryAndExitThread", "AfxFreeLibrary"];

/// Parameter types that carry a file name.
const STRING_TYPES: &[&str] = &[
    "char",
    "wchar_t",
    "TCHAR",
    "WCHAR",
    "CHAR",
    "LPCSTR",
    "LPCWSTR",
    "LPCTSTR",
    "LPSTR",
    "LPWSTR",
    "LPTSTR",
    "PCSTR",
    "PCWSTR",
    "PCTSTR",
    "string",
    "wstring",
    "CString",
    "std::string",
    "std::wstring",
    "tstring",
];

impl Rule for IphlpapiLoadCycle {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let (Some(load), Some(dll_node)) = (m.get("load"), m.get("dll")) else {
            return;
        };
        let facts = ctx.facts;
        let Some(call) = facts.call_of(load) else {
            return;
        };
        // `TEXT(TEXT("x"))` matches at every level: only the call that loads is read (reading
        // the value at every level of a deep nesting is quadratic).
        if is_text_macro(&call.name) {
            return;
        }
        let Some(value) = string_value(dll_node, ctx.text) else {
            return;
        };
        let Some(dll) = ctx.config.dlls.iter().find(|d| names_dll(&value, d)) else {
            return;
        };
        if facts.not_for_windows(load.start_byte()) {
            return;
        }
        let Some(pair) = pair_with_free(facts, call, dll) else {
            return;
        };
        let known_loader = LOADERS.contains(&call.name.as_str())
            || ctx.config.resources.loaders.contains(&call.name)
            || local_loaders(facts)
                .iter()
                .any(|(name, _)| *name == call.name);
        if known_loader {
            ctx.report(pair);
        } else if !call.member {
            // A loader defined in another file decides in the project-wide phase.
            ctx.defer(&META, format!("via:{}", call.name), Some(pair));
        }
    }

    fn check_file(&self, ctx: &mut Ctx) {
        let facts = ctx.facts;
        for (name, _) in local_loaders(facts) {
            ctx.defer(&META, format!("loader:{name}"), None);
        }
    }

    fn finish(&self, deferred: &[&Deferred<Finding>]) -> Vec<Finding> {
        let loaders: std::collections::HashSet<&str> = deferred
            .iter()
            .filter_map(|d| d.key.strip_prefix("loader:"))
            .collect();
        deferred
            .iter()
            .filter(|d| {
                d.key
                    .strip_prefix("via:")
                    .is_some_and(|callee| loaders.contains(callee))
            })
            .filter_map(|d| d.item.clone())
            .collect()
    }
}

/// The finding for a load whose handle is freed in the same function, if it is.
fn pair_with_free(facts: &Facts, call: &Call, dll: &str) -> Option<crate::diagnostic::Diagnostic> {
    let func_index = call.function?;
    let func = &facts.functions[func_index];
    let handle = assigned_handle(facts, call.node)?;
    let free = facts.calls_in(func.body.byte_range()).find(|c| {
        c.function == Some(func_index)
            && FREERS.contains(&c.name.as_str())
            && c.node.start_byte() > call.node.start_byte()
            && c.arg(0).is_some_and(|a| facts.socket_key(a) == handle)
    })?;
    if escapes(facts, func.body, &handle) {
        return None;
    }
    let func_name = func.name.clone();
    let in_loop = !facts
        .loops_in_function_around(call.node.start_byte())
        .is_empty();
    let message = if in_loop {
        format!("`{dll}` is loaded into `{handle}` and freed on every iteration of a loop in `{func_name}`")
    } else {
        format!("`{dll}` is loaded into `{handle}` and freed on every call to `{func_name}`")
    };
    let diag = META
        .diag(call.node.byte_range(), message)
        .with_related(
            free.node.byte_range(),
            format!("`{handle}` is freed here, which leaks a TCP/IP driver handle"),
        )
        .with_fix(Fix::suggestion(format!(
            "load `{dll}` once and keep the handle, or link `{}` and call its functions directly",
            lib_name(dll)
        )));
    Some(if in_loop {
        diag.with_severity(Severity::Error)
    } else {
        diag
    })
}

/// Whether the handle leaves the function (returned, or copied somewhere that outlives it), or
/// is a global: the frees are then error-path cleanups, not a per-call cycle.
fn escapes(facts: &Facts, body: Node, handle: &str) -> bool {
    if facts
        .decl_of(handle, body.start_byte())
        .is_some_and(|d| d.kind == crate::facts::DeclKind::Global)
    {
        return true;
    }
    let mut found = false;
    crate::facts::walk(body, |n| {
        if found {
            return;
        }
        let value = match n.kind_name() {
            "return_statement" => n.named_child(0),
            "assignment_expression" => n.field("right"),
            _ => None,
        };
        found = value.is_some_and(|v| facts.socket_key(v) == handle);
    });
    found
}

/// `iphlpapi.dll` -> `iphlpapi.lib`.
fn lib_name(dll: &str) -> String {
    let base = dll.strip_suffix(".dll").unwrap_or(dll);
    format!("{base}.lib")
}

/// The variable a load's result is stored in: `h = Load(...)`, `HMODULE h = Load(...)`,
/// `if ((h = Load(...)) == NULL)`.
fn assigned_handle(facts: &Facts, load: Node) -> Option<String> {
    let mut node = load;
    while let Some(parent) = node.parent() {
        match parent.kind_name() {
            "parenthesized_expression" | "cast_expression" => node = parent,
            "init_declarator" => {
                let (name, _) = crate::facts::declarator_name(parent);
                return name.map(|n| facts.text_of(n).to_string());
            }
            "assignment_expression" => {
                let left = parent.field("left")?;
                return Some(facts.socket_key(left));
            }
            _ => return None,
        }
    }
    None
}

/// The loader functions this file defines: a function with a string parameter that calls
/// `LoadLibrary*` with something other than a literal. Returns (name, function index).
fn local_loaders<'f>(facts: &'f Facts) -> Vec<(&'f str, usize)> {
    let mut out: Vec<(&str, usize)> = Vec::new();
    for call in facts
        .calls
        .iter()
        .filter(|c| LOADERS.contains(&c.name.as_str()))
    {
        let Some(fi) = call.function else { continue };
        let Some(arg) = call.arg(0) else { continue };
        if string_value(arg, facts.text).is_some() {
            continue;
        }
        let func = &facts.functions[fi];
        if func.name.is_empty() || out.iter().any(|(_, i)| *i == fi) {
            continue;
        }
        let takes_name = func.params.iter().any(|p| {
            let ty = p.ty.trim_start_matches("const ").trim();
            STRING_TYPES.contains(&ty)
                && (p.pointer || !matches!(ty, "char" | "wchar_t" | "TCHAR" | "WCHAR" | "CHAR"))
        });
        if takes_name {
            out.push((func.short_name(), fi));
        }
    }
    out
}
