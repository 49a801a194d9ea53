//! WSA105 wsastartup-without-cleanup.

use crate::diagnostic::{Finding, Fix, Severity};
use crate::facts::Platform;
use crate::node::NodeExt;
use crate::rules::{Ctx, Deferred, FixKind, Rule, RuleMeta};

pub struct WsastartupWithoutCleanup;

pub static META: RuleMeta = RuleMeta {
    code: "WSA105",
    name: "wsastartup-without-cleanup",
    severity: Severity::Warning,
    fix: FixKind::Suggestion,
    source: "",
    summary: "WSAStartup is called but never balanced by WSACleanup, or is called in a loop",
    docs: DOCS,
    queries: &[],
    // The file that calls `WSACleanup` must be read too, or the project-wide phase would
    // believe there is none.
    needles: &["WSAStartup", "WSACleanup"],
    tags: &["reliability", "resource-leak", "winsock"],
    precision: "medium",
    security_severity: None,
    flow: true,
};

const DOCS: &str = r#"## What it does
Looks at the whole project (the directory of the nearest `wsalint.toml`, else the checkout;
a run that names some of its files, as a pre-commit hook does, reads the rest for this): when
no file of the project calls `WSACleanup` (or refers to it, as in
`atexit(WSACleanup)` or a `GetProcAddress` of it), reports one finding at the first
`WSAStartup` call (in path order) that names every other call site, and reports
each `WSAStartup` called inside a loop: in its body, even when the body calls `WSACleanup` too,
or in its condition (a retry until it succeeds). The `do { ... } while (0)` block that error
handling breaks out of is no loop. A `WSACleanup` in code the compiler never sees (`#if 0`)
does not count.

## Why is this bad?
Every successful `WSAStartup` takes a reference on the Winsock DLL and its per-process
resources; `WSACleanup` releases it. A DLL or plug-in that starts Winsock without cleaning up
keeps those resources after it is unloaded, and a loop that starts Winsock on each iteration
piles up references that the matching cleanups never reach. Even balanced, starting and
stopping the stack per iteration (or retrying `WSAStartup` in a loop, which fails only for a
wrong version or a broken installation, not for anything a retry fixes) belongs once at
start-up instead.

## Example
```c
int net_init(void)
{
    WSADATA wsa;
    return WSAStartup(MAKEWORD(2, 2), &wsa);
}
/* ... and nothing anywhere calls WSACleanup */
```

## Use instead
```c
int net_init(void)
{
    WSADATA wsa;
    return WSAStartup(MAKEWORD(2, 2), &wsa);
}

void net_shutdown(void)
{
    WSACleanup();
}
```

## Fix safety
No automatic fix: the cleanup belongs at shutdown, which wsalint cannot pick.

## References
- Microsoft Learn: WSAStartup function and WSACleanup function (winsock.h).
"#;

const STARTUP: &str = "WSAStartup";
const CLEANUP: &str = "WSACleanup";

impl Rule for WsastartupWithoutCleanup {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, ctx: &mut Ctx) {
        let facts = ctx.facts;
        if refers_to_cleanup(ctx) {
            ctx.defer(&META, "cleanup", None);
        }
        for call in facts
            .calls
            .iter()
            .filter(|c| !c.member && c.name == STARTUP)
        {
            let at = call.node.start_byte();
            let loops = facts.loops_in_function_around(at);
            // Every loop counts, a retry in its condition and a body that cleans up too: the
            // call belongs once at start-up. `do { ... } while (0)` runs once.
            let looping = loops.iter().find(|l| !l.once);
            if let Some(l) = looping {
                let func = ctx.function_name(at);
                ctx.report(
                    META.diag(
                        call.node.byte_range(),
                        format!("`WSAStartup` is called on every iteration of a loop in `{func}`"),
                    )
                    .with_related(l.header(), "the loop around the call".to_string())
                    .with_fix(Fix::suggestion(
                        "call `WSAStartup` once before the loop, and `WSACleanup` once at shutdown",
                    )),
                );
            } else {
                let diag = META
                    .diag(
                        call.node.byte_range(),
                        "`WSAStartup` is called, but nothing in the project calls `WSACleanup`",
                    )
                    .with_fix(Fix::suggestion(
                        "call `WSACleanup` once for each successful `WSAStartup`, at shutdown",
                    ));
                ctx.defer(&META, "startup", Some(diag));
            }
        }
    }

    fn finish(&self, deferred: &[&Deferred<Finding>]) -> Vec<Finding> {
        if deferred.iter().any(|d| d.key == "cleanup") {
            return Vec::new();
        }
        let mut startups: Vec<&Finding> = deferred
            .iter()
            .filter(|d| d.key == "startup")
            .filter_map(|d| d.item.as_ref())
            .collect();
        startups.sort_by(|a, b| {
            (&a.path, a.location.range.start).cmp(&(&b.path, b.location.range.start))
        });
        let Some((first, others)) = startups.split_first() else {
            return Vec::new();
        };
        // One missing cleanup, one finding: the other call sites are named, those of the same
        // file as related locations.
        let mut finding = (*first).clone();
        if !others.is_empty() {
            let sites: Vec<String> = others
                .iter()
                .map(|f| format!("{}:{}", f.path_str(), f.location.start.line))
                .collect();
            let n = others.len();
            let places = if n == 1 { "place" } else { "places" };
            finding.message = format!(
                "`WSAStartup` is called here and in {n} other {places} ({}), but nothing in the project calls `WSACleanup`",
                sites.join(", ")
            );
            for other in others.iter().filter(|f| f.path == first.path) {
                finding.related.push(crate::diagnostic::RelatedLocation {
                    location: other.location.clone(),
                    message: "`WSAStartup` is called here too".to_string(),
                });
            }
        }
        vec![finding]
    }
}

/// Whether the file calls `WSACleanup` or names it (`atexit(WSACleanup)`, a `GetProcAddress`
/// of `"WSACleanup"`), outside comments and code the compiler never sees (`#if 0`).
fn refers_to_cleanup(ctx: &Ctx) -> bool {
    let text = ctx.text;
    if !text.windows(CLEANUP.len()).any(|w| w == CLEANUP.as_bytes()) {
        return false;
    }
    let mut found = false;
    crate::facts::walk(ctx.root, |n| {
        if found {
            return;
        }
        found = match n.kind_name() {
            "identifier" | "string_content" => {
                ctx.text_of(n) == CLEANUP && ctx.facts.platform_at(n.start_byte()) != Platform::Dead
            }
            _ => false,
        };
    });
    found
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::Arc;

    use crate::config::Config;
    use crate::engine::{Engine, Worker};
    use crate::source::Source;

    /// The messages of a run of WSA105 alone over in-memory files.
    fn run(files: &[(&str, &str)]) -> Vec<String> {
        let config = Config {
            select: vec!["WSA105".into()],
            ..Config::default()
        };
        let engine = Engine::new(config, Vec::new()).unwrap();
        let mut worker = Worker::new();
        let outcomes = files
            .iter()
            .map(|(p, t)| {
                let source = Arc::new(Source::decode(t.as_bytes()).unwrap());
                engine.lint_source(Path::new(p), source, &mut worker)
            })
            .collect();
        engine
            .finish(outcomes)
            .findings
            .iter()
            .map(|f| f.message.clone())
            .collect()
    }

    const STARTUP: &str = "int init(void) { WSADATA d; return WSAStartup(0x202, &d); }";

    #[test]
    fn a_cleanup_in_another_file_balances_the_startup() {
        assert_eq!(
            run(&[("a.c", STARTUP)]),
            vec!["`WSAStartup` is called, but nothing in the project calls `WSACleanup`"]
        );
        // The file that only cleans up passes the pre-filter on its own needle.
        let cleanup = "void fini(void) { WSACleanup(); }";
        assert!(run(&[("a.c", STARTUP), ("b.c", cleanup)]).is_empty());
        let at_exit = "void reg(void) { atexit((void (*)(void))WSACleanup); }";
        assert!(run(&[("a.c", STARTUP), ("b.c", at_exit)]).is_empty());
        // A cleanup the compiler never sees is none.
        let disabled = "void fini(void) {\n#if 0\n    WSACleanup();\n#endif\n}";
        assert_eq!(run(&[("a.c", STARTUP), ("b.c", disabled)]).len(), 1);
    }

    #[test]
    fn one_finding_per_project_names_every_call_site() {
        let again = "int again(void) { WSADATA d; return WSAStartup(0x202, &d); }";
        assert_eq!(
            run(&[("b.c", again), ("a.c", STARTUP), ("c.c", again)]),
            vec![
                "`WSAStartup` is called here and in 2 other places (b.c:1, c.c:1), but nothing in the project calls `WSACleanup`"
            ]
        );
    }
}
