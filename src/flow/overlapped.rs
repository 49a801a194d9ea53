//! Overlapped operations that may still be pending when a function returns: a local
//! `OVERLAPPED`/`WSAOVERLAPPED` passed to `WSARecv`, `ReadFile`, `DeviceIoControl`... and a path
//! from the call to an exit with no completed wait in between. A forward dataflow over the
//! function's control-flow graph ([`crate::flow::cfg`]) whose state is the set of operations that
//! may be pending.

use tree_sitter::Node;

use crate::facts::{unwrap_parens, Call, DeclKind, Facts, Platform};
use crate::flow::cfg::{Cfg, Item};
use crate::node::NodeExt;

/// Overlapped operations, with the index of their `OVERLAPPED` argument.
pub const OPERATIONS: &[(&str, usize)] = &[
    ("WSARecv", 5),
    ("WSASend", 5),
    ("WSARecvFrom", 7),
    ("WSASendTo", 7),
    ("WSAIoctl", 7),
    ("ReadFile", 4),
    ("WriteFile", 4),
    ("DeviceIoControl", 7),
    ("AcceptEx", 7),
    ("ConnectEx", 6),
    ("TransmitFile", 4),
];

/// Waits, with the index of their timeout: after one that waits without a time limit
/// (`INFINITE`), the operations of the function are complete; after one with a limit, only on
/// the branch where it reports the object signalled (`== WAIT_OBJECT_0`). A completion port
/// dequeue counts as complete whatever its timeout. `GetOverlappedResult` counts only with
/// `bWait` TRUE (checked apart).
const WAITS: &[(&str, usize)] = &[
    ("WaitForSingleObject", 1),
    ("WaitForSingleObjectEx", 1),
    ("WaitForMultipleObjects", 3),
    ("WaitForMultipleObjectsEx", 3),
    ("WSAWaitForMultipleEvents", 3),
    ("MsgWaitForMultipleObjects", 3),
    ("MsgWaitForMultipleObjectsEx", 2),
    ("SignalObjectAndWait", 2),
];

/// Completion port dequeues.
const DEQUEUES: &[&str] = &["GetQueuedCompletionStatus", "GetQueuedCompletionStatusEx"];

/// Results of a wait that say the object was signalled.
const SIGNALLED: &[&str] = &["WAIT_OBJECT_0", "WSA_WAIT_EVENT_0"];

/// Whether a timeout argument means no limit.
fn infinite(facts: &Facts, arg: Option<Node>) -> bool {
    arg.is_some_and(|a| matches!(facts.text_of(a).trim(), "INFINITE" | "WSA_INFINITE"))
}

/// Calls that touch an `OVERLAPPED` without completing it.
const NO_WAIT: &[&str] = &[
    "CancelIo",
    "CancelIoEx",
    "memset",
    "ZeroMemory",
    "SecureZeroMemory",
];

/// An operation that may be pending at an exit.
#[derive(Clone, Debug)]
pub struct Pending<'t> {
    pub call: Node<'t>,
    /// The name of the operation (`WSARecv`).
    pub operation: String,
    /// The local `OVERLAPPED` it was given.
    pub overlapped: String,
    /// The exit: a `return`, or the closing brace of the body.
    pub exit: Node<'t>,
}

/// The local, non-static `OVERLAPPED` named by an argument (`&ov`, `&ctx.ov` is not local).
fn local_overlapped(facts: &Facts, arg: Node) -> Option<String> {
    let arg = unwrap_parens(arg);
    if arg.kind_name() != "pointer_expression"
        || arg.field("operator").is_none_or(|o| o.kind_name() != "&")
    {
        return None;
    }
    let inner = unwrap_parens(arg.field("argument")?);
    if inner.kind_name() != "identifier" {
        return None;
    }
    let name = facts.text_of(inner);
    let decl = facts.decl_of(name, inner.start_byte())?;
    let ty = decl.ty.trim_start_matches("struct ").trim();
    if decl.kind != DeclKind::Local
        || decl.pointer
        || !matches!(ty, "OVERLAPPED" | "WSAOVERLAPPED" | "_OVERLAPPED")
    {
        return None;
    }
    // `static OVERLAPPED ov;` outlives the frame.
    let line_start = facts.text[..decl.range.start]
        .iter()
        .rposition(|&b| b == b'\n' || b == b';' || b == b'{')
        .map_or(0, |i| i + 1);
    let before = &facts.text[line_start..decl.range.start];
    if before.windows(6).any(|w| w == b"static") {
        return None;
    }
    Some(name.to_string())
}

/// Whether the function shows that its file operations are asynchronous: a `ReadFile` with an
/// `OVERLAPPED` on a handle opened without `FILE_FLAG_OVERLAPPED` is synchronous (the structure
/// only gives the offset). Evidence: `ERROR_IO_PENDING`, an event in the structure, a wait for
/// its result.
fn asynchronous(facts: &Facts, body: Node) -> bool {
    let text = &facts.text[body.byte_range()];
    [
        &b"IO_PENDING"[..],
        b"hEvent",
        b"GetOverlappedResult",
        b"GetQueuedCompletionStatus",
    ]
    .iter()
    .any(|n| memchr::memmem::find(text, n).is_some())
}

/// What a call does to the pending set.
enum Effect {
    Start(usize),
    /// The operations of the mask are complete.
    Complete(u64),
    None,
}

/// The operations that may still be pending at an exit of each function of the file.
pub fn pending_at_exits<'t>(facts: &Facts<'t>) -> Vec<Pending<'t>> {
    let mut out = Vec::new();
    for (fi, f) in facts.functions.iter().enumerate() {
        let calls: Vec<&Call<'t>> = facts
            .calls_in(f.body.byte_range())
            .filter(|c| c.function == Some(fi) && !c.member)
            .collect();
        // Asked only of a function with a file operation: the scan reads the whole body (of
        // every nested lambda too).
        let async_body = std::cell::OnceCell::new();
        // The operations: (call, its OVERLAPPED).
        let ops: Vec<(&Call<'t>, String)> = calls
            .iter()
            .filter_map(|c| {
                let &(_, index) = OPERATIONS.iter().find(|(n, _)| *n == c.name)?;
                let is_file = matches!(
                    c.name.as_str(),
                    "ReadFile" | "WriteFile" | "DeviceIoControl"
                );
                if is_file && !*async_body.get_or_init(|| asynchronous(facts, f.body)) {
                    return None;
                }
                if facts.platform_at(c.node.start_byte()) == Platform::Dead {
                    return None;
                }
                Some((*c, local_overlapped(facts, c.arg(index)?)?))
            })
            .take(64)
            .collect();
        if ops.is_empty() {
            continue;
        }
        let all: u64 = if ops.len() == 64 {
            u64::MAX
        } else {
            (1u64 << ops.len()) - 1
        };
        // The operations whose structure, or whose handle, an argument names: the object a
        // wait is for (`ov.hEvent`, the file handle, `&ov`). Any, when it names none of them
        // (an array of events).
        let waited_for = |arg: Option<Node>| -> u64 {
            let Some(arg) = arg else { return all };
            let t = facts.text_of(arg);
            let mut mask = 0u64;
            for (i, (op, ov)) in ops.iter().enumerate() {
                let handle = op.arg(0).map(|h| facts.text_of(h).trim());
                // `ov.hEvent = ev;` or `ev = ov.hEvent;` make `ev` the event of `ov`.
                let event_of_ov = facts.assignments.iter().any(|a| {
                    a.function == Some(fi)
                        && ((mentions(&a.target, ov) && facts.text_of(a.value).trim() == t.trim())
                            || (a.target == t.trim() && mentions(facts.text_of(a.value), ov)))
                });
                if mentions(t, ov)
                    || event_of_ov
                    || handle.is_some_and(|h| !h.is_empty() && t.trim() == h)
                {
                    mask |= 1 << i;
                }
            }
            if mask == 0 && !matches!(arg.kind_name(), "identifier" | "field_expression") {
                all
            } else {
                mask
            }
        };
        let effect = |c: &Call<'t>| -> Effect {
            if let Some(i) = ops.iter().position(|(o, _)| o.node.id() == c.node.id()) {
                return Effect::Start(i);
            }
            let name = c.name.as_str();
            if let Some(&(_, timeout)) = WAITS.iter().find(|(n, _)| *n == name) {
                if !infinite(facts, c.arg(timeout)) {
                    return Effect::None;
                }
                // One object: the operations it belongs to; several: any of them.
                let single = matches!(name, "WaitForSingleObject" | "WaitForSingleObjectEx");
                return Effect::Complete(if single { waited_for(c.arg(0)) } else { all });
            }
            if DEQUEUES.contains(&name) {
                return Effect::Complete(all);
            }
            let result_of = matches!(
                name,
                "GetOverlappedResult" | "WSAGetOverlappedResult" | "GetOverlappedResultEx"
            );
            if result_of {
                let waits = if name == "GetOverlappedResultEx" {
                    infinite(facts, c.arg(3))
                } else {
                    c.arg(3).is_some_and(|w| {
                        !matches!(facts.text_of(w).trim(), "FALSE" | "false" | "0")
                    })
                };
                return if waits {
                    Effect::Complete(waited_for(c.arg(1)))
                } else {
                    Effect::None
                };
            }
            // A helper given the structure may wait for it: not ours to judge.
            let mut mask = 0u64;
            for (i, (_, ov)) in ops.iter().enumerate() {
                if c.args.iter().any(|a| mentions(facts.text_of(*a), ov)) {
                    mask |= 1 << i;
                }
            }
            if mask != 0 && !NO_WAIT.contains(&name) {
                return Effect::Complete(mask);
            }
            Effect::None
        };
        let cfg = Cfg::of_function(f.body, facts);
        // Forward dataflow: the operations that may be pending at the start of each block.
        let n = cfg.blocks.len();
        let mut at_start: Vec<Option<u64>> = vec![None; n];
        at_start[cfg.entry] = Some(0);
        let mut work = vec![cfg.entry];
        // The first exit (in the text) each operation may be pending at.
        let mut first_exit: Vec<Option<Node<'t>>> = vec![None; ops.len()];
        let mut steps = 0usize;
        while let Some(b) = work.pop() {
            steps += 1;
            if steps > 20 * n + 1000 {
                break;
            }
            let mut state = at_start[b].unwrap_or(0);
            for item in &cfg.blocks[b].items {
                match *item {
                    Item::Stmt(node) | Item::Cond(node) => {
                        for c in calls.iter().filter(|c| Facts::within(c.node, node)) {
                            match effect(c) {
                                Effect::Start(i) => state |= 1 << i,
                                Effect::Complete(mask) => state &= !mask,
                                Effect::None => {}
                            }
                        }
                    }
                    Item::Exit(at) => {
                        for (i, slot) in first_exit.iter_mut().enumerate() {
                            if state & (1 << i) != 0
                                && slot.is_none_or(|e| at.start_byte() < e.start_byte())
                            {
                                *slot = Some(at);
                            }
                        }
                    }
                    Item::ScopeEnd { .. } => {}
                }
            }
            for e in &cfg.blocks[b].succs {
                let mut next = state;
                if let Some((leaf, outcome)) = e.cond {
                    // A wait that saw its object signalled (through a variable, the object is
                    // not known: any); an error that is not "pending".
                    if not_pending(facts, leaf, outcome) || signalled(facts, leaf, outcome) {
                        next = 0;
                    }
                }
                let merged = at_start[e.to].map_or(next, |s| s | next);
                if at_start[e.to] != Some(merged) {
                    at_start[e.to] = Some(merged);
                    work.push(e.to);
                }
            }
        }
        for ((call, ov), exit) in ops.iter().zip(first_exit) {
            let Some(exit) = exit else { continue };
            out.push(Pending {
                call: call.node,
                operation: call.name.clone(),
                overlapped: ov.clone(),
                exit,
            });
        }
    }
    out
}

/// Whether `text` names `var` as a whole word.
fn mentions(text: &str, var: &str) -> bool {
    crate::lang::has_word(text.as_bytes(), var.as_bytes())
}

/// Whether a leaf condition with this outcome says a wait saw its object signalled
/// (`WaitForSingleObject(ov.hEvent, 5000) == WAIT_OBJECT_0` is true, `rc != WAIT_OBJECT_0` is
/// false).
fn signalled(facts: &Facts, leaf: Node, outcome: bool) -> bool {
    compares_with(facts, leaf, outcome, SIGNALLED) == Some(true)
}

/// Whether a leaf condition with this outcome says its operand equals one of `constants`:
/// `Some(true)` when it does, `Some(false)` when it does not, `None` when the leaf compares
/// with none of them.
fn compares_with(facts: &Facts, leaf: Node, outcome: bool, constants: &[&str]) -> Option<bool> {
    let mut leaf = unwrap_parens(leaf);
    let mut outcome = outcome;
    while leaf.kind_name() == "unary_expression"
        && leaf.field("operator").is_some_and(|o| o.kind_name() == "!")
    {
        outcome = !outcome;
        leaf = unwrap_parens(leaf.field("argument")?);
    }
    if leaf.kind_name() != "binary_expression" {
        return None;
    }
    let named = |n: Option<Node>| n.is_some_and(|n| constants.contains(&facts.text_of(n).trim()));
    if !named(leaf.field("left")) && !named(leaf.field("right")) {
        return None;
    }
    match leaf.field("operator").map(|o| o.kind_name()) {
        Some("==") => Some(outcome),
        Some("!=") => Some(!outcome),
        _ => None,
    }
}

/// Whether a leaf condition with this outcome says the operation never started: the error is
/// not `ERROR_IO_PENDING`/`WSA_IO_PENDING` (`WSAGetLastError() != WSA_IO_PENDING` is true,
/// `err == ERROR_IO_PENDING` is false).
fn not_pending(facts: &Facts, leaf: Node, outcome: bool) -> bool {
    compares_with(
        facts,
        leaf,
        outcome,
        &["ERROR_IO_PENDING", "WSA_IO_PENDING"],
    ) == Some(false)
}

#[cfg(test)]
mod tests {
    use crate::facts::tests::facts_of;
    use crate::lang::Lang;

    /// (operation, overlapped, line of the exit) for each pending operation in `code`.
    fn pending(code: &str) -> Vec<(String, String, usize)> {
        facts_of(Lang::C, code, |f| {
            super::pending_at_exits(f)
                .into_iter()
                .map(|p| (p.operation, p.overlapped, p.exit.start_position().row + 1))
                .collect()
        })
    }

    #[test]
    fn returns_while_a_receive_is_pending() {
        let code = "int f(SOCKET s, WSABUF *b) {\n\
                    WSAOVERLAPPED ov; DWORD n, fl = 0;\n\
                    if (WSARecv(s, b, 1, &n, &fl, &ov, NULL) == SOCKET_ERROR) {\n\
                    if (WSAGetLastError() != WSA_IO_PENDING) return -1;\n\
                    }\n\
                    return 0;\n\
                    }";
        assert_eq!(pending(code), vec![("WSARecv".into(), "ov".into(), 6)]);
    }

    #[test]
    fn a_completed_wait_or_a_failure_is_no_exit_while_pending() {
        let waited = "int f(SOCKET s, WSABUF *b) { WSAOVERLAPPED ov; DWORD n, fl = 0;\n\
                      if (WSARecv(s, b, 1, &n, &fl, &ov, NULL) == SOCKET_ERROR &&\n\
                      WSAGetLastError() != WSA_IO_PENDING) return -1;\n\
                      WSAGetOverlappedResult(s, &ov, &n, TRUE, &fl); return n; }";
        assert_eq!(pending(waited), vec![]);
        let no_wait = "int f(SOCKET s, WSABUF *b) { WSAOVERLAPPED ov; DWORD n, fl = 0;\n\
                      WSARecv(s, b, 1, &n, &fl, &ov, NULL);\n\
                      WSAGetOverlappedResult(s, &ov, &n, FALSE, &fl); return n; }";
        assert_eq!(pending(no_wait).len(), 1);
        let event = "int f(HANDLE h, char *buf) { OVERLAPPED ov = {0}; DWORD n;\n\
                     ov.hEvent = CreateEvent(NULL, TRUE, FALSE, NULL);\n\
                     if (!ReadFile(h, buf, 10, NULL, &ov) && GetLastError() != ERROR_IO_PENDING) return 0;\n\
                     WaitForSingleObject(ov.hEvent, INFINITE); return 1; }";
        assert_eq!(pending(event), vec![]);
        let timed_out = "int f(HANDLE h, char *buf) { OVERLAPPED ov = {0}; DWORD n;\n\
                         ov.hEvent = CreateEvent(NULL, TRUE, FALSE, NULL);\n\
                         ReadFile(h, buf, 10, NULL, &ov);\n\
                         if (WaitForSingleObject(ov.hEvent, 100) == WAIT_TIMEOUT) return 0;\n\
                         return 1; }";
        assert_eq!(pending(timed_out).len(), 1);
        let signalled = "int f(HANDLE h, char *buf) { OVERLAPPED ov = {0}; DWORD n;\n\
                         ov.hEvent = CreateEvent(NULL, TRUE, FALSE, NULL);\n\
                         ReadFile(h, buf, 10, NULL, &ov);\n\
                         if (WaitForSingleObject(ov.hEvent, 100) == WAIT_OBJECT_0) return 1;\n\
                         CancelIo(h); GetOverlappedResult(h, &ov, &n, TRUE); return 0; }";
        assert_eq!(pending(signalled), vec![]);
        let other_object = "int f(HANDLE h, char *buf, HANDLE lock) { OVERLAPPED ov = {0};\n\
                            ov.hEvent = CreateEvent(NULL, TRUE, FALSE, NULL);\n\
                            ReadFile(h, buf, 10, NULL, &ov);\n\
                            WaitForSingleObject(lock, INFINITE); return 1; }";
        assert_eq!(pending(other_object).len(), 1);
        let own_event = "int f(HANDLE h, char *buf) { OVERLAPPED ov = {0};\n\
                         HANDLE ev = CreateEvent(NULL, TRUE, FALSE, NULL); ov.hEvent = ev;\n\
                         ReadFile(h, buf, 10, NULL, &ov);\n\
                         WaitForSingleObject(ev, INFINITE); return 1; }";
        assert_eq!(pending(own_event), vec![]);
        let the_handle = "int f(HANDLE h, char *buf) { OVERLAPPED ov = {0};\n\
                          if (!ReadFile(h, buf, 10, NULL, &ov) && GetLastError() != ERROR_IO_PENDING) return 0;\n\
                          WaitForSingleObject(h, INFINITE); return 1; }";
        assert_eq!(pending(the_handle), vec![]);
    }

    #[test]
    fn synchronous_handles_static_and_caller_structures_are_left_alone() {
        // An OVERLAPPED that only gives the offset of a synchronous read.
        let offset = "int f(HANDLE h, char *buf) { OVERLAPPED ov = {0}; DWORD n;\n\
                      ov.Offset = 512; return ReadFile(h, buf, 10, &n, &ov); }";
        assert_eq!(pending(offset), vec![]);
        let stat = "int f(SOCKET s, WSABUF *b) { static WSAOVERLAPPED ov; DWORD n, fl = 0;\n\
                    WSARecv(s, b, 1, &n, &fl, &ov, NULL); return 0; }";
        assert_eq!(pending(stat), vec![]);
        let param = "int f(SOCKET s, WSABUF *b, WSAOVERLAPPED *ov) { DWORD n, fl = 0;\n\
                     WSARecv(s, b, 1, &n, &fl, ov, NULL); return 0; }";
        assert_eq!(pending(param), vec![]);
        let null = "int f(SOCKET s, WSABUF *b) { DWORD n, fl = 0;\n\
                    WSARecv(s, b, 1, &n, &fl, NULL, NULL); return 0; }";
        assert_eq!(pending(null), vec![]);
    }
}
