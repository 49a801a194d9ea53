//! WSA212 winsock-in-dllmain.

use crate::diagnostic::{Fix, Severity};
use crate::facts::Call;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct WinsockInDllmain;

pub static META: RuleMeta = RuleMeta {
    code: "WSA212",
    name: "winsock-in-dllmain",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary:
        "a Winsock call made under the loader lock, from `DllMain` or an `atexit` handler of a DLL",
    docs: DOCS,
    queries: &[query!("wsa212-winsock-in-dllmain.scm")],
    needles: &["DllMain"],
    tags: &["correctness", "reliability", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds Winsock calls (`WSAStartup`, `WSACleanup`, `socket`, `closesocket`, `connect`,
`getaddrinfo`...) that `DllMain` makes, directly or through functions of the same file that it
calls (at any depth), and, in a file that defines `DllMain`, those of the handlers it registers
with `atexit` or `_onexit`, which a DLL runs at unload. Left alone: work `DllMain` only
schedules (a function handed to `CreateThread`, `QueueUserWorkItem` or `InitOnceExecuteOnce`,
a flag read later), and code in non-Windows branches. Functions of other files, and the
constructors and destructors of static objects, are not followed.

## Why is this bad?
`DllMain` runs under the loader lock. `WSAStartup` loads further DLLs (the Winsock providers),
and `WSACleanup` and `closesocket` may wait for threads that need the loader lock to end: either
can deadlock the process at load or unload. The documentation of both functions says not to
call them from `DllMain`.

## Example
```c
BOOL WINAPI DllMain(HINSTANCE h, DWORD reason, LPVOID reserved)
{
    WSADATA wsa;
    if (reason == DLL_PROCESS_ATTACH)
        WSAStartup(MAKEWORD(2, 2), &wsa);
    else if (reason == DLL_PROCESS_DETACH)
        WSACleanup();
    return TRUE;
}
```

## Use instead
```c
static INIT_ONCE once = INIT_ONCE_STATIC_INIT;

static BOOL CALLBACK start_winsock(PINIT_ONCE o, PVOID p, PVOID *c)
{
    WSADATA wsa;
    return WSAStartup(MAKEWORD(2, 2), &wsa) == 0;
}

/* Called by every exported function before it uses a socket. */
static void ensure_winsock(void)
{
    InitOnceExecuteOnce(&once, start_winsock, NULL, NULL);
}

/* Exported: the host calls it before unloading the DLL. */
void lib_shutdown(void)
{
    WSACleanup();
}
```

## Fix safety
No automatic fix: initialisation and cleanup have to move to points the DLL's users call. The
suggestion names the cure.

## References
- Microsoft Learn, "DllMain entry point" and "Dynamic-Link Library Best Practices".
- Microsoft Learn, "WSAStartup function" and "WSACleanup function": not to be called from
  `DllMain`.
"#;

impl Rule for WinsockInDllmain {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let Some(name) = m.get("name") else {
            return;
        };
        let facts = ctx.facts;
        // The name of a definition: `BOOL WINAPI DllMain(...) { ... }`.
        let Some(index) = facts.functions.iter().position(|f| {
            f.short_name() == "DllMain"
                && f.node.start_byte() <= name.start_byte()
                && name.end_byte() <= f.body.start_byte()
        }) else {
            return;
        };
        if facts.never_windows(name.start_byte()) {
            return;
        }
        let dll_main = name.byte_range();
        for (call, via) in facts.winsock_calls_reached(index) {
            let message = match via {
                None => format!(
                    "`{}` is called from `DllMain`, under the loader lock",
                    call.name
                ),
                Some(v) => format!(
                    "`{}` runs under the loader lock: `DllMain` reaches it through `{}`",
                    call.name, v.name
                ),
            };
            report(
                ctx,
                call,
                message,
                dll_main.clone(),
                "`DllMain` is defined here",
            );
        }
        // `atexit` handlers of a DLL run when it unloads, under the loader lock.
        let handlers: Vec<(&Call, usize)> = facts
            .calls
            .iter()
            .filter(|c| !c.member && matches!(c.name.as_str(), "atexit" | "_onexit"))
            .filter(|c| !facts.never_windows(c.node.start_byte()))
            .filter_map(|c| {
                let handler = crate::facts::unwrap_casts(c.arg(0)?);
                let handler = ctx.text_of(handler).trim_start_matches('&');
                let index = facts
                    .functions
                    .iter()
                    .position(|f| !f.name.is_empty() && f.short_name() == handler)?;
                Some((c, index))
            })
            .collect();
        for (registration, handler) in handlers {
            let handler_name = facts.functions[handler].short_name().to_string();
            for (call, _) in facts.winsock_calls_reached(handler) {
                let message = format!(
                    "`{}` runs under the loader lock: `{handler_name}` is an `atexit` handler of a DLL, run when it unloads",
                    call.name
                );
                report(
                    ctx,
                    call,
                    message,
                    registration.node.byte_range(),
                    "the handler is registered here",
                );
            }
        }
    }
}

fn report(
    ctx: &mut Ctx,
    call: &Call,
    message: String,
    related: std::ops::Range<usize>,
    related_message: &str,
) {
    let fix = match call.name.as_str() {
        "WSACleanup" => "clean up in an exported shutdown function the host calls instead",
        _ => "do this on first use (for example with `InitOnceExecuteOnce`), outside `DllMain`",
    };
    ctx.report(
        META.diag(call.node.byte_range(), message)
            .with_related(related, related_message)
            .with_fix(Fix::suggestion(fix)),
    );
}
