//! WSA210 sockopt-timeout-as-timeval.

use crate::diagnostic::{Fix, Severity};
use crate::facts::winsock::Pointee;
use crate::query;
use crate::rules::{Ctx, FixKind, Match, Rule, RuleMeta};

pub struct SockoptTimeoutAsTimeval;

pub static META: RuleMeta = RuleMeta {
    code: "WSA210",
    name: "sockopt-timeout-as-timeval",
    severity: Severity::Error,
    fix: FixKind::Suggestion,
    source: "",
    summary: "`SO_RCVTIMEO`/`SO_SNDTIMEO` given a `struct timeval`, where Windows reads a `DWORD` of milliseconds",
    docs: DOCS,
    queries: &[query!("wsa210-sockopt-timeout-as-timeval.scm")],
    needles: &["SO_RCVTIMEO", "SO_SNDTIMEO"],
    tags: &["correctness", "portability", "winsock"],
    precision: "high",
    security_severity: None,
    flow: false,
};

const DOCS: &str = r#"## What it does
Finds `setsockopt(s, SOL_SOCKET, SO_RCVTIMEO or SO_SNDTIMEO, optval, optlen)` in code compiled
for Windows where `optval` points to a `struct timeval` or another seconds-and-fractions struct
(`struct timeb`, `struct timespec`, Winsock's `TIMEVAL`, or a typedef of one made in the file),
or where `optlen` is the `sizeof` of one. Left alone: a `DWORD` (or `int`) of milliseconds, the
POSIX branch of portable code (`#ifndef _WIN32`, the `#else` of `#ifdef _WIN32`), and files that
cannot be built for Windows.

## Why is this bad?
POSIX systems take these timeouts as a `struct timeval`. Windows takes a `DWORD` of
milliseconds and reads the first four bytes of whatever it is given: the `tv_sec` field. A
timeout of `{5, 0}` (five seconds) becomes 5 milliseconds, and one of `{0, 500000}` (half a
second) becomes 0, which means no timeout at all: the receive that should give up blocks
forever.

## Example
```c
struct timeval tv = {5, 0};
setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&tv, sizeof tv);
```

## Use instead
```c
DWORD ms = 5 * 1000;
setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, (const char *)&ms, sizeof ms);
```

## Fix safety
No automatic fix: the value has to be converted where it is computed, and portable code keeps
the `struct timeval` for its other builds. The suggestion gives the conversion.

## References
- Microsoft Learn, "SOL_SOCKET socket options": `SO_RCVTIMEO` and `SO_SNDTIMEO` are `DWORD`
  values in milliseconds.
"#;

impl Rule for SockoptTimeoutAsTimeval {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_match(&self, ctx: &mut Ctx, m: &Match) {
        let (Some(call_node), Some(socket), Some(level), Some(option), Some(optval), Some(optlen)) = (
            m.get("call"),
            m.get("socket"),
            m.get("level"),
            m.get("option"),
            m.get("optval"),
            m.get("optlen"),
        ) else {
            return;
        };
        let facts = ctx.facts;
        if facts
            .windows_sol_socket_option(call_node, socket, level)
            .is_none()
        {
            return;
        }
        // A value declared with another type (a `DWORD` of milliseconds) is right, whatever
        // the length says; an unknown one is judged by its length.
        let (what, ty) = match facts.time_struct_pointee(optval) {
            Pointee::Other => return,
            Pointee::TimeStruct { object, ty } => (format!("the `struct {ty}` `{object}`"), ty),
            Pointee::Unknown => match facts.time_struct_size(optlen) {
                Some(ty) => (format!("a `struct {ty}`"), ty),
                None => return,
            },
        };
        let what = if ty == "TIMEVAL" {
            what.replace("`struct TIMEVAL`", "`TIMEVAL`")
        } else {
            what
        };
        let opt = ctx.text_of(option);
        let message = format!(
            "`{opt}` on Windows reads a `DWORD` of milliseconds, not {what}: its seconds count as milliseconds, and a timeout under one second as none"
        );
        let fix = match ty {
            "timeb" | "_timeb" | "__timeb32" | "__timeb64" => {
                "pass a `DWORD` of milliseconds instead (`time * 1000 + millitm`)"
            }
            "timespec" => {
                "pass a `DWORD` of milliseconds instead (`tv_sec * 1000 + tv_nsec / 1000000`)"
            }
            _ => "pass a `DWORD` of milliseconds instead (`tv_sec * 1000 + tv_usec / 1000`)",
        };
        ctx.report(
            META.diag(call_node.byte_range(), message)
                .with_fix(Fix::suggestion(fix)),
        );
    }
}
