//! WSA106 overlapped-buffer-outlives-frame.

use crate::diagnostic::{Fix, Severity};
use crate::flow::overlapped::pending_at_exits;
use crate::node::NodeExt;
use crate::rules::{Ctx, FixKind, Rule, RuleMeta};

pub struct OverlappedBufferOutlivesFrame;

pub static META: RuleMeta = RuleMeta {
    code: "WSA106",
    name: "overlapped-buffer-outlives-frame",
    severity: Severity::Error,
    fix: FixKind::Suggestion,
    source: "",
    summary: "a local `OVERLAPPED` given to an operation that may still be pending when the function returns",
    docs: DOCS,
    queries: &[],
    needles: &["OVERLAPPED"],
    tags: &["correctness", "winsock", "external/cwe/cwe-562"],
    precision: "medium",
    security_severity: None,
    flow: true,
};

const DOCS: &str = r#"## What it does
Finds a local `OVERLAPPED` or `WSAOVERLAPPED` passed to an overlapped operation (`WSARecv`,
`WSARecvFrom`, `WSASend`, `WSASendTo`, `WSAIoctl`, `AcceptEx`, `ConnectEx`, `TransmitFile`,
`ReadFile`, `WriteFile`, `DeviceIoControl`) and a path from the call to a `return` (or the end of
the function) with no completed wait in between: `GetOverlappedResult`/`WSAGetOverlappedResult`
on that structure with `bWait` TRUE, `WaitForSingleObject` on its event (`ov.hEvent`, or the
variable it was set from) or on the handle of the operation, a wait on several objects
(`WaitForMultipleObjects`, `WSAWaitForMultipleEvents`), `GetQueuedCompletionStatus`. A wait
with a time limit completes the operation only on the branch that sees `WAIT_OBJECT_0`.
The function's control-flow graph is followed path by path. Left alone: a failure branch where
the operation never started (the error is tested and is not `ERROR_IO_PENDING` /
`WSA_IO_PENDING`), a `static` structure or one the caller owns, a NULL overlapped, a structure
handed to a helper (which may wait for it), and `ReadFile`/`WriteFile`/`DeviceIoControl` in a
function that shows no sign of asynchronous I/O (no `IO_PENDING`, `hEvent`, or wait for a
result): on a handle opened without `FILE_FLAG_OVERLAPPED` the structure only gives the offset
and the call is synchronous. Local data buffers are not followed yet.

## Why is this bad?
An overlapped operation that returned `WSA_IO_PENDING` (or succeeded on a socket bound to a
completion port) goes on in the kernel after the call returns. When it completes, the system
writes the result into the `OVERLAPPED` structure (and the data into the buffers) at the address
it was given. If that address was in the stack frame of a function that has returned, the
kernel overwrites whatever lives there now: corrupted locals and return addresses, crashes far
from the cause, and a completion port that hands back a pointer to garbage.

## Example
```c
int post_receive(SOCKET s, WSABUF *buf)
{
    WSAOVERLAPPED ov = {0};
    DWORD flags = 0;
    if (WSARecv(s, buf, 1, NULL, &flags, &ov, NULL) == SOCKET_ERROR &&
        WSAGetLastError() != WSA_IO_PENDING)
        return -1;
    return 0; /* the receive may still be running */
}
```

## Use instead
```c
struct io { WSAOVERLAPPED ov; char data[4096]; };

int post_receive(SOCKET s, struct io *io, WSABUF *buf)
{
    DWORD flags = 0;
    if (WSARecv(s, buf, 1, NULL, &flags, &io->ov, NULL) == SOCKET_ERROR &&
        WSAGetLastError() != WSA_IO_PENDING)
        return -1;
    return 0; /* io lives until the completion is dequeued */
}
```
or wait for the operation (`WSAGetOverlappedResult(s, &ov, &n, TRUE, &flags)`) before
returning.

## Fix safety
No automatic fix: the structure must move to storage that lives until the completion, which
is a design change. The suggestion names the cure.

## References
- Microsoft Learn, "WSARecv function" and "OVERLAPPED structure": the structure must remain
  valid for the duration of the overlapped operation.
- CWE-562: Return of Stack Variable Address.
"#;

impl Rule for OverlappedBufferOutlivesFrame {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_file(&self, ctx: &mut Ctx) {
        for p in pending_at_exits(ctx.facts) {
            let (op, ov) = (&p.operation, &p.overlapped);
            let func = ctx.function_name(p.call.start_byte());
            let related = if p.exit.kind_name() == "}" {
                format!("`{func}` ends here while `{op}` may still be pending")
            } else {
                format!("`{func}` returns here while `{op}` may still be pending")
            };
            ctx.report(
                META.diag(
                    p.call.byte_range(),
                    format!(
                        "`{op}` may still write into the local `{ov}` after `{func}` returns"
                    ),
                )
                .with_related(p.exit.byte_range(), related)
                .with_fix(Fix::suggestion(format!(
                    "keep `{ov}` in storage that outlives the operation, or wait for it to complete before returning"
                ))),
            );
        }
    }
}
