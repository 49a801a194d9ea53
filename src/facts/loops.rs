//! Loops: whether a loop is unbounded, bounded by a small constant, and whether its body backs
//! off (sleeps or waits with a timeout) between iterations.

use tree_sitter::Node;

use crate::facts::{unwrap_parens, Facts};
use crate::node::NodeExt;

/// Calls that make a loop wait between iterations.
pub const BACKOFF_CALLS: &[&str] = &[
    "Sleep",
    "SleepEx",
    "WaitForSingleObject",
    "WaitForSingleObjectEx",
    "WaitForMultipleObjects",
    "WaitForMultipleObjectsEx",
    "MsgWaitForMultipleObjects",
    "MsgWaitForMultipleObjectsEx",
    "SignalObjectAndWait",
    "select",
    "poll",
    "WSAPoll",
    "WSAWaitForMultipleEvents",
    "sleep_for",
    "sleep_until",
    "usleep",
    "nanosleep",
    "sleep",
    "Sleep_ms",
    "epoll_wait",
    "GetQueuedCompletionStatus",
    "GetQueuedCompletionStatusEx",
    "apr_sleep",
    "g_usleep",
    "uv_sleep",
    "msleep",
    "SDL_Delay",
    "vTaskDelay",
    "osDelay",
    "k_sleep",
    "k_msleep",
];

/// Calls that block until something outside the loop happens (a client connects, a message or
/// a key arrives): a loop around them is paced by its input, not tight.
pub const PACING_CALLS: &[&str] = &[
    "accept",
    "WSAAccept",
    "GetMessage",
    "GetMessageA",
    "GetMessageW",
    "WaitMessage",
    "ConnectNamedPipe",
    "getchar",
    "getch",
    "_getch",
    "fgets",
    "gets",
    "scanf",
    "getline",
    "ReadConsole",
    "ReadConsoleA",
    "ReadConsoleW",
    "pthread_cond_wait",
    "pthread_cond_timedwait",
    "msgrcv",
    "mq_receive",
];

/// Reads that block on their first argument: they pace a loop when they read from something
/// else than the socket the loop itself churns (a request channel, a pipe).
pub const BLOCKING_READS: &[&str] = &[
    "recv",
    "recvfrom",
    "WSARecv",
    "WSARecvFrom",
    "ReadFile",
    "read",
];

/// C++ member functions that block (`cv.wait(lock)`).
pub const MEMBER_WAITS: &[&str] = &["wait", "wait_for", "wait_until"];

/// Words that name a back-off helper (`backoff(&delay)`, `wait_before_retry()`,
/// `RetryDelay(ms)`), matched case-insensitively in the name of a callee whose body is in
/// another file: its name is then the only evidence of what it does.
const BACKOFF_WORDS: &[&str] = &[
    "sleep", "backoff", "back_off", "delay", "throttle", "wait", "pause", "yield",
];

/// System calls whose names hold a back-off word but that do not wait between attempts
/// (`sched_yield` returns at once when nothing else runs; `CreateWaitableTimer` only makes a
/// timer).
const NOT_BACKOFFS: &[&str] = &[
    "sched_yield",
    "pthread_yield",
    "SwitchToThread",
    "CreateWaitableTimer",
    "CreateWaitableTimerA",
    "CreateWaitableTimerW",
    "CreateWaitableTimerEx",
    "CreateWaitableTimerExA",
    "CreateWaitableTimerExW",
    "OpenWaitableTimer",
    "OpenWaitableTimerA",
    "OpenWaitableTimerW",
    "SetWaitableTimer",
    "SetWaitableTimerEx",
    "CancelWaitableTimer",
    "RegisterWaitForSingleObject",
    "UnregisterWait",
    "UnregisterWaitEx",
];

/// Whether the name of a callee the file does not define says that it backs off. The calls
/// whose waits depend on their arguments (`BACKOFF_CALLS`: `Sleep(0)`, `select` without a
/// timeout) are judged by `Loop::backoff`, not by name, and a name that turns a delay off
/// (`set_nodelay`, `TCP_NODELAY`) says the opposite.
fn names_a_backoff(name: &str) -> bool {
    if BACKOFF_CALLS.contains(&name) || NOT_BACKOFFS.contains(&name) {
        return false;
    }
    let lower = name
        .to_ascii_lowercase()
        .replace("nodelay", "")
        .replace("no_delay", "");
    BACKOFF_WORDS.iter().any(|w| lower.contains(w))
}

/// The largest constant bound that still makes a loop a bounded retry.
pub const SMALL_BOUND: i64 = 1000;

#[derive(Clone, Debug)]
pub struct Loop<'t> {
    pub node: Node<'t>,
    pub body: Option<Node<'t>>,
    pub condition: Option<Node<'t>>,
    /// No condition, or a constant-true one (`1`, `TRUE`, `true`, `!0`).
    pub unbounded: bool,
    /// The condition compares a counter with a constant (`i < 3`, `n <= MAX_RETRIES`).
    pub bounded: bool,
    /// The body runs at most once, so this is no loop (`Facts::loops_around` leaves it out):
    /// `do { ... } while (0)`, a body whose last statement is an unconditional `break` or
    /// `return` with no `continue` of this loop (`while (1) { ...; break; }`), and a counter
    /// that allows one pass (`for (i = 0; i < 1; i++)`). See `runs_once`.
    pub once: bool,
}

impl<'t> Loop<'t> {
    pub fn new(node: Node<'t>, text: &[u8]) -> Loop<'t> {
        let body = node.field("body");
        let condition = node.field("condition");
        let unbounded = match node.kind_name() {
            "for_range_loop" => false,
            "for_statement" => condition.is_none_or(|c| is_constant_true(c, text)),
            _ => condition.is_some_and(|c| is_constant_true(c, text)),
        };
        let bounded = condition.is_some_and(|c| is_counter_bound(c, text))
            || node.kind_name() == "for_range_loop";
        let once = runs_once(node, body, condition, text);
        Loop {
            node,
            body,
            condition,
            unbounded,
            bounded,
            once,
        }
    }

    /// The first call in the loop that backs off: `Sleep(n)` with `n != 0`, a wait with a
    /// timeout that is not zero, `select`/`poll`/`WSAPoll` with a timeout that is neither zero
    /// nor absent (`select(..., NULL)` and `poll(..., -1)` block on the sockets for as long
    /// as it takes: they wait for the socket, not between attempts).
    pub fn backoff<'f>(&self, facts: &'f Facts<'t>) -> Option<&'f crate::facts::Call<'t>> {
        facts.calls_in(self.node.byte_range()).find(|c| {
            BACKOFF_CALLS.contains(&c.name.as_str())
                && !zero_timeout(c, facts.text)
                && !select_without_backoff(c, facts)
        })
    }
}

impl<'t> Loop<'t> {
    /// The first call in the loop that keeps it from spinning: a back-off, a call that waits
    /// for outside input, or a blocking read from anything but `churned` (the key of the socket
    /// the loop creates and closes).
    pub fn paced_by<'f>(
        &self,
        facts: &'f Facts<'t>,
        churned: &str,
    ) -> Option<&'f crate::facts::Call<'t>> {
        if let Some(b) = self.backoff(facts) {
            return Some(b);
        }
        // Helpers of the same file that sleep or wait (`retry_delay(n)` around `Sleep`).
        let waiting_helpers = facts.functions_calling(BACKOFF_CALLS);
        let defined_here = |name: &str| facts.functions.iter().any(|f| f.short_name() == name);
        facts.calls_in(self.node.byte_range()).find(|c| {
            if c.member {
                return MEMBER_WAITS.contains(&c.name.as_str());
            }
            PACING_CALLS.contains(&c.name.as_str())
                || waiting_helpers.contains(&c.name)
                || (!defined_here(&c.name) && names_a_backoff(&c.name))
                || (BLOCKING_READS.contains(&c.name.as_str())
                    && c.arg(0).is_some_and(|a| facts.socket_key(a) != churned))
        })
    }

    /// The loop's header, for labels: `for (;;)`, `while (1)`, or `do` of a do-while.
    pub fn header(&self) -> std::ops::Range<usize> {
        let start = self.node.start_byte();
        match (self.node.kind_name(), self.body) {
            ("do_statement", _) => start..start + 2,
            (_, Some(body)) if body.start_byte() > start => {
                // Up to the closing parenthesis before the body.
                let mut end = body.start_byte();
                let mut cursor = self.node.walk();
                for c in self.node.children(&mut cursor) {
                    if c.end_byte() <= body.start_byte() {
                        end = c.end_byte();
                    }
                }
                start..end
            }
            _ => self.node.byte_range(),
        }
    }
}

/// Whether a wait call is made with a zero timeout (a poll, not a back-off).
fn zero_timeout(call: &crate::facts::Call, text: &[u8]) -> bool {
    let timeout_arg = match call.name.as_str() {
        "Sleep" | "SleepEx" | "usleep" | "sleep" => call.arg(0),
        "WaitForSingleObject" | "WaitForSingleObjectEx" => call.arg(1),
        "WaitForMultipleObjects" | "WaitForMultipleObjectsEx" => call.arg(3),
        "WSAWaitForMultipleEvents" => call.arg(3),
        "poll" | "WSAPoll" => call.arg(2),
        _ => None,
    };
    timeout_arg.is_some_and(|a| {
        let t = unwrap_parens(a).utf8_text(text).unwrap_or("").trim();
        t == "0" || t == "0L" || t == "0u"
    })
}

/// Whether a `select`, `poll` or `WSAPoll` has no timeout (a NULL `timeval`, a negative
/// `poll` timeout) or a zero one (a `timeval` of the same function that is only ever zero:
/// `struct timeval tv = {0, 0};`, `tv.tv_sec = 0; tv.tv_usec = 0;`).
fn select_without_backoff(call: &crate::facts::Call, facts: &Facts) -> bool {
    let text_of = |n: Node| unwrap_parens(n).utf8_text(facts.text).unwrap_or("").trim();
    match call.name.as_str() {
        "poll" | "WSAPoll" => call
            .arg(2)
            .is_some_and(|a| matches!(text_of(a), "-1" | "INFINITE")),
        "select" => {
            let Some(timeout) = call.arg(4) else {
                return false;
            };
            let timeout = crate::facts::unwrap_casts(timeout);
            if matches!(text_of(timeout), "NULL" | "nullptr" | "0") {
                return true;
            }
            // `&tv`
            let tv = (timeout.kind_name() == "pointer_expression")
                .then(|| timeout.field("argument"))
                .flatten()
                .filter(|a| a.kind_name() == "identifier");
            tv.is_some_and(|tv| zero_timeval(facts, text_of(tv), call))
        }
        _ => false,
    }
}

/// Whether the `timeval` `name` of the function around `call` only ever holds zero: declared
/// there, and every value stored into it (its initializer, its fields) is zero; at least one
/// such store.
fn zero_timeval(facts: &Facts, name: &str, call: &crate::facts::Call) -> bool {
    let Some(decl) = facts.decl_of(name, call.node.start_byte()) else {
        return false;
    };
    if decl.kind != crate::facts::DeclKind::Local || decl.pointer {
        return false;
    }
    // `0`, or an initializer list of zeros (`{0, 0}`, `{0}`, `{}`).
    let is_zero = |t: &str| {
        let t = t.trim();
        let inner = t
            .strip_prefix('{')
            .and_then(|t| t.strip_suffix('}'))
            .unwrap_or(t);
        inner.split(',').all(|v| {
            let v = v.trim();
            matches!(v, "0" | "0L" | "0u" | "0UL") || (v.is_empty() && t.starts_with('{'))
        })
    };
    let mut stores = 0;
    if let Some(init) = &decl.init {
        let init = std::str::from_utf8(&facts.text[init.clone()]).unwrap_or("");
        if !is_zero(init) {
            return false;
        }
        stores += 1;
    }
    for a in &facts.assignments {
        if a.function != call.function {
            continue;
        }
        let target = a.target.replace(' ', "");
        let field = target
            .strip_prefix(name)
            .is_some_and(|rest| rest.starts_with('.'));
        if field || target == name {
            let value = a.value.utf8_text(facts.text).unwrap_or("");
            if !is_zero(value) {
                return false;
            }
            stores += 1;
        }
    }
    stores > 0
}

/// Whether a loop's body runs at most once (see `Loop::once`).
fn runs_once(node: Node, body: Option<Node>, condition: Option<Node>, text: &[u8]) -> bool {
    if node.kind_name() == "do_statement" && condition.is_some_and(|c| is_constant_false(c, text)) {
        return true;
    }
    if node.kind_name() == "for_statement" && one_pass_counter(node, text) {
        return true;
    }
    body.is_some_and(ends_in_exit)
}

/// A body whose last statement leaves the loop (`break`, `return`), with no `continue` that
/// starts this loop again (one inside a nested loop continues that loop).
fn ends_in_exit(body: Node) -> bool {
    let last = if body.kind_name() == "compound_statement" {
        let mut cursor = body.walk();
        let statements: Vec<Node> = body
            .named_children(&mut cursor)
            .filter(|c| c.kind_name() != "comment")
            .collect();
        match statements.last() {
            Some(&last) => last,
            None => return false,
        }
    } else {
        body
    };
    if !matches!(last.kind_name(), "break_statement" | "return_statement") {
        return false;
    }
    let mut continues = false;
    crate::facts::walk_pruned(body, |n| {
        match n.kind_name() {
            "continue_statement" => continues = true,
            "for_statement" | "while_statement" | "do_statement" | "for_range_loop" => {
                return false
            }
            // Code tree-sitter could not place may hide a `continue`.
            "ERROR" => continues = true,
            _ => {}
        }
        !continues
    });
    !continues
}

/// `for (i = 0; i < 1; i++)`, `for (int i = 0; i <= 0; ++i)`: a counter that allows one pass.
fn one_pass_counter(node: Node, text: &[u8]) -> bool {
    let t = |n: Node| {
        n.utf8_text(text)
            .unwrap_or("")
            .replace(char::is_whitespace, "")
    };
    let (Some(init), Some(cond), Some(update)) = (
        node.field("initializer"),
        node.field("condition"),
        node.field("update"),
    ) else {
        return false;
    };
    // `i=0` or `int i=0` (the declaration's text ends with the assignment).
    let init = init.utf8_text(text).unwrap_or("");
    let Some((var, start)) = init.trim().trim_end_matches(';').rsplit_once('=') else {
        return false;
    };
    let var = var
        .trim()
        .rsplit(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .next()
        .unwrap_or("");
    let Ok(start) = start.trim().parse::<i64>() else {
        return false;
    };
    if var.is_empty() {
        return false;
    }
    let update = t(update);
    if ![format!("{var}++"), format!("++{var}"), format!("{var}+=1")].contains(&update) {
        return false;
    }
    let cond = t(unwrap_condition(cond));
    let bound = |op: &str| {
        cond.strip_prefix(var)
            .and_then(|r| r.strip_prefix(op))
            .and_then(|b| b.parse::<i64>().ok())
    };
    bound("<") == Some(start + 1) || bound("<=") == Some(start) || bound("!=") == Some(start + 1)
}

/// `0`, `FALSE`, `false`, `(0)`: the condition of `do { ... } while (0)`.
pub fn is_constant_false(cond: Node, text: &[u8]) -> bool {
    let cond = unwrap_condition(cond);
    let t = cond.utf8_text(text).unwrap_or("").trim();
    matches!(t, "0" | "FALSE" | "false" | "0L" | "0u")
}

/// `1`, `TRUE`, `true`, `!0`, `(1)`, `1 == 1`.
pub fn is_constant_true(cond: Node, text: &[u8]) -> bool {
    let cond = unwrap_condition(cond);
    let t = cond.utf8_text(text).unwrap_or("").trim();
    match cond.kind_name() {
        "number_literal" => t
            .trim_end_matches(['u', 'U', 'l', 'L'])
            .parse::<i64>()
            .is_ok_and(|n| n != 0),
        "true" => true,
        "identifier" => matches!(t, "TRUE" | "true" | "FOREVER"),
        "unary_expression" => {
            t.starts_with('!')
                && cond
                    .field("argument")
                    .is_some_and(|a| a.utf8_text(text).unwrap_or("").trim() == "0")
        }
        _ => false,
    }
}

/// `i < 3`, `tries <= MAX_RETRIES`, `n-- > 0`, `attempt < kAttempts`: a counter against a
/// constant (a number or an all-caps / `k`-prefixed name).
fn is_counter_bound(cond: Node, text: &[u8]) -> bool {
    // `&&` combinations are bounded when either side is; their chains are taken from a work
    // list (a chain of any length is one level of recursion per `&&` otherwise).
    let mut work = vec![cond];
    while let Some(cond) = work.pop() {
        let cond = unwrap_condition(cond);
        if cond.kind_name() != "binary_expression" {
            continue;
        }
        let op = cond.field("operator").map(|o| o.kind_name()).unwrap_or("");
        if op == "&&" {
            work.extend(
                [cond.field("right"), cond.field("left")]
                    .into_iter()
                    .flatten(),
            );
        } else if compares_with_constant(cond, op, text) {
            return true;
        }
    }
    false
}

/// `is_counter_bound` for one comparison `cond` with operator `op`.
fn compares_with_constant(cond: Node, op: &str, text: &[u8]) -> bool {
    if !matches!(op, "<" | "<=" | ">" | ">=" | "!=") {
        return false;
    }
    let is_const = |n: Node| {
        let n = unwrap_parens(n);
        let t = n.utf8_text(text).unwrap_or("").trim();
        match n.kind_name() {
            "number_literal" => t
                .trim_end_matches(['u', 'U', 'l', 'L'])
                .parse::<i64>()
                .is_ok_and(|v| v.abs() <= SMALL_BOUND),
            "identifier" => {
                (t.len() > 1
                    && t.bytes()
                        .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_'))
                    || (t.starts_with('k') && t[1..].starts_with(|c: char| c.is_ascii_uppercase()))
            }
            _ => false,
        }
    };
    let left = cond.field("left");
    let right = cond.field("right");
    left.is_some_and(is_const) || right.is_some_and(is_const)
}

fn unwrap_condition(mut cond: Node) -> Node {
    // `while (x)`: the condition is a parenthesized_expression; `for (;x;)`: the expression.
    loop {
        match cond.kind_name() {
            "parenthesized_expression" | "condition_clause" => match cond.named_child(0) {
                Some(n) => cond = n,
                None => return cond,
            },
            _ => return cond,
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::facts::tests::facts_of;
    use crate::lang::Lang;

    fn loop_facts(body: &str) -> (bool, bool, bool) {
        let code = format!("void f(void) {{ {body} }}");
        facts_of(Lang::C, &code, |f| {
            let l = &f.loops[0];
            (l.unbounded, l.bounded, l.backoff(f).is_some())
        })
    }

    #[test]
    fn boundedness() {
        assert_eq!(loop_facts("for (;;) { g(); }"), (true, false, false));
        assert_eq!(loop_facts("while (1) { g(); }"), (true, false, false));
        assert_eq!(loop_facts("while (TRUE) { g(); }"), (true, false, false));
        assert_eq!(loop_facts("while (!0) { g(); }"), (true, false, false));
        assert_eq!(loop_facts("do { g(); } while (1);"), (true, false, false));
        assert_eq!(
            loop_facts("for (i = 0; i < 3; i++) { g(); }"),
            (false, true, false)
        );
        assert_eq!(
            loop_facts("while (tries++ < MAX_TRIES) { g(); }"),
            (false, true, false)
        );
        assert_eq!(
            loop_facts("while (running) { g(); }"),
            (false, false, false)
        );
    }

    #[test]
    fn do_while_false_runs_once() {
        let once = |body: &str| {
            let code = format!("void f(void) {{ {body} }}");
            facts_of(Lang::C, &code, |f| f.loops[0].once)
        };
        assert!(once("do { g(); } while (0);"));
        assert!(once("do { if (x) break; g(); } while (FALSE);"));
        assert!(!once("do { g(); } while (more());"));
        assert!(!once("while (0) { g(); }"));
    }

    #[test]
    fn loops_ending_in_an_exit_or_with_one_pass_run_once() {
        let once = |body: &str| {
            let code = format!("void f(void) {{ {body} }}");
            facts_of(Lang::C, &code, |f| f.loops[0].once)
        };
        assert!(once("while (1) { g(); break; }"));
        assert!(once("for (;;) { if (x) { h(); } g(); return; }"));
        assert!(once("while (1) { g(); break; /* done */ }"));
        assert!(once(
            "while (1) { for (i = 0; i < n; i++) { if (x) continue; } break; }"
        ));
        assert!(once("for (i = 0; i < 1; i++) { g(); }"));
        assert!(once("for (int i = 0; i <= 0; ++i) { g(); }"));
        assert!(once("for (i = 2; i < 3; i += 1) { g(); }"));
        // A `continue` of this loop starts it again; a conditional exit is no end.
        assert!(!once("while (1) { if (x) continue; g(); break; }"));
        assert!(!once("while (1) { g(); if (x) break; }"));
        assert!(!once(
            "for (;;) { switch (x) { case 1: continue; } break; }"
        ));
        assert!(!once("for (i = 0; i < 2; i++) { g(); }"));
        assert!(!once("for (i = 0; i < 1; i--) { g(); }"));
        assert!(!once("while (1) { }"));
    }

    #[test]
    fn loops_that_run_once_are_not_around_anything() {
        let around = |body: &str| {
            let code = format!("void f(void) {{ {body} }}");
            facts_of(Lang::C, &code, |f| {
                let at = code.find("g()").expect("a call of g");
                f.loops_around(at).count()
            })
        };
        assert_eq!(around("while (1) { g(); break; }"), 0);
        assert_eq!(around("for (;;) { do { g(); } while (0); }"), 1);
        assert_eq!(around("for (;;) { g(); }"), 1);
    }

    #[test]
    fn pacing_by_outside_input() {
        let paced = |body: &str| {
            let code = format!("void f(SOCKET ctl) {{ SOCKET s; {body} }}");
            facts_of(Lang::C, &code, |f| f.loops[0].paced_by(f, "s").is_some())
        };
        assert!(paced(
            "for (;;) { c = accept(ctl, 0, 0); s = socket(2, 1, 0); closesocket(s); }"
        ));
        assert!(paced(
            "for (;;) { recv(ctl, b, 1, 0); s = socket(2, 1, 0); closesocket(s); }"
        ));
        assert!(!paced(
            "for (;;) { s = socket(2, 1, 0); recv(s, b, 1, 0); closesocket(s); }"
        ));
        assert!(!paced(
            "for (;;) { s = socket(2, 1, 0); Sleep(0); closesocket(s); }"
        ));
        assert!(paced(
            "while (1) { s = socket(2, 1, 0); closesocket(s); Sleep(100); }"
        ));
    }

    #[test]
    fn loop_headers() {
        let code = "void f(void) { for (;;) { g(); } while (1) x(); do { y(); } while (1); }";
        facts_of(Lang::C, code, |f| {
            let h: Vec<&str> = f
                .loops
                .iter()
                .map(|l| std::str::from_utf8(&f.text[l.header()]).unwrap())
                .collect();
            assert_eq!(h, vec!["for (;;)", "while (1)", "do"]);
        });
    }

    #[test]
    fn backoff_needs_a_real_timeout() {
        assert!(loop_facts("for (;;) { Sleep(1000); }").2);
        assert!(!loop_facts("for (;;) { Sleep(0); }").2);
        assert!(loop_facts("for (;;) { WaitForSingleObject(h, 500); }").2);
        assert!(!loop_facts("for (;;) { WaitForSingleObject(h, 0); }").2);
    }

    #[test]
    fn select_and_poll_back_off_only_with_a_timeout() {
        assert!(loop_facts("struct timeval tv = {1, 0}; for (;;) { select(0, r, 0, 0, &tv); }").2);
        assert!(loop_facts("struct timeval tv; for (;;) { tv.tv_sec = 0; tv.tv_usec = 500000; select(0, r, 0, 0, &tv); }").2);
        assert!(loop_facts("for (;;) { select(0, r, 0, 0, timeout); }").2);
        assert!(!loop_facts("for (;;) { select(0, r, 0, 0, NULL); }").2);
        assert!(!loop_facts("struct timeval tv = {0, 0}; for (;;) { select(0, r, 0, 0, &tv); }").2);
        assert!(!loop_facts("struct timeval tv; tv.tv_sec = 0; tv.tv_usec = 0; for (;;) { select(0, r, 0, 0, &tv); }").2);
        assert!(loop_facts("for (;;) { poll(fds, 1, 250); }").2);
        assert!(!loop_facts("for (;;) { poll(fds, 1, 0); }").2);
        assert!(!loop_facts("for (;;) { WSAPoll(fds, 1, -1); }").2);
    }

    #[test]
    fn helper_names_that_back_off() {
        for name in [
            "backoff",
            "Back_Off_Retry",
            "wait_before_retry",
            "RetryDelay",
            "throttle",
        ] {
            assert!(super::names_a_backoff(name), "{name}");
        }
        for name in [
            "update_stats",
            "set_nodelay",
            "SetNoDelay",
            "Sleep",
            "sched_yield",
        ] {
            assert!(!super::names_a_backoff(name), "{name}");
        }
    }
}
