//! Order and paths inside one function body: which branch of an `if` a node sits on with
//! respect to a call's result (the failure branch of
//! `if (WSADuplicateSocket(...) == SOCKET_ERROR)`), whether one node can be reached from another
//! by falling through (no `return`, `goto`, `break`... in between, unless a label lets control
//! back in), whether two nodes sit in exclusive branches, and which calls lie between two nodes.

use tree_sitter::Node;

use crate::facts::{unwrap_parens, Call, Facts};
use crate::node::NodeExt;

/// What a call's result says at some point of the code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Success,
    Failure,
}

impl Outcome {
    fn negate(self) -> Outcome {
        match self {
            Outcome::Success => Outcome::Failure,
            Outcome::Failure => Outcome::Success,
        }
    }
}

/// How a call reports failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailsWith {
    /// Zero on success, non-zero (`SOCKET_ERROR`, an error code) on failure: `WSADuplicateSocket`,
    /// `bind`, `WSAStartup`.
    NonZero,
    /// Zero (`FALSE`, `NULL`) on failure: `DuplicateHandle`, `ReadFile`.
    Zero,
    /// A count on success and `SOCKET_ERROR` (-1) on failure: `recv`, `recvfrom`, `send`.
    /// Zero is neither (a closed connection, an empty datagram): `n <= 0` takes in the failure,
    /// `n > 0` leaves it out, `n == 0` says nothing of it.
    Negative,
}

/// Constants that stand for a zero result.
const ZERO: &[&str] = &[
    "0",
    "NO_ERROR",
    "ERROR_SUCCESS",
    "FALSE",
    "false",
    "NULL",
    "nullptr",
];
/// Constants that stand for `SOCKET_ERROR`.
const MINUS_ONE: &[&str] = &["SOCKET_ERROR", "-1", "INVALID_SOCKET"];

/// Statements that never fall through to the next one.
pub fn is_jump(stmt: Node, text: &[u8]) -> bool {
    match stmt.kind_name() {
        "return_statement" | "goto_statement" | "break_statement" | "continue_statement"
        | "throw_statement" => true,
        "expression_statement" => stmt.named_child(0).is_some_and(|e| {
            let e = unwrap_parens(e);
            match e.kind_name() {
                "throw_expression" => true,
                "call_expression" => e.field("function").is_some_and(|f| {
                    let name = f.utf8_text(text).unwrap_or("");
                    let name = name.rsplit("::").next().unwrap_or(name);
                    matches!(
                        name,
                        "exit" | "_exit" | "abort" | "ExitProcess" | "ExitThread" | "_endthreadex"
                    )
                }),
                _ => false,
            }
        }),
        _ => false,
    }
}

impl<'t> Facts<'t> {
    /// The variable a call's result is stored in: `rc = f(...)`, `int rc = f(...)`,
    /// `(rc = f(...)) == -1`.
    pub fn stored_in(&self, call: Node) -> Option<String> {
        let mut node = call;
        while let Some(parent) = node.parent() {
            match parent.kind_name() {
                "parenthesized_expression" | "cast_expression" => node = parent,
                "init_declarator" => {
                    let (name, _) = crate::facts::declarator_name(parent);
                    return name.map(|n| self.text_of(n).to_string());
                }
                "assignment_expression" => {
                    if parent.field("right").map(|r| r.id()) != Some(node.id()) {
                        return None;
                    }
                    let left = parent.field("left")?;
                    return Some(self.socket_key(left));
                }
                _ => return None,
            }
        }
        None
    }

    /// Which outcome of `call` is known to hold at `node`, from the `if` statements around
    /// `node` that test the call's result - directly (`if (f(...) == SOCKET_ERROR)`, `if (f())`,
    /// `if (!f())`) or through the variable it was stored in (`rc = f(...); if (rc != 0)`).
    /// A branch taken when the call fails *or* something else fails counts as failure: it is
    /// the error path.
    pub fn outcome_at(&self, call: Node, node: Node, fails: FailsWith) -> Option<Outcome> {
        let var = self.stored_in(call);
        let func = self.function_at(call.start_byte());
        let mut child = node;
        while let Some(parent) = child.parent() {
            if parent.kind_name() == "if_statement" && self.function_at(parent.start_byte()) == func
            {
                let cond = parent.field("condition");
                let in_cond = cond.is_some_and(|c| Facts::within(node, c));
                let tests_after = parent.start_byte() >= call.end_byte()
                    || cond.is_some_and(|c| Facts::within(call, c));
                if !in_cond && tests_after {
                    if let Some(cond) = cond {
                        let (when_true, when_false) = self.test(cond, call, var.as_deref(), fails);
                        let in_consequence = parent
                            .field("consequence")
                            .is_some_and(|c| Facts::within(node, c));
                        let known = if in_consequence {
                            when_true
                        } else {
                            when_false
                        };
                        if known.is_some() {
                            return known;
                        }
                    }
                }
            }
            if matches!(
                parent.kind_name(),
                "function_definition" | "lambda_expression"
            ) {
                break;
            }
            child = parent;
        }
        None
    }

    /// What a condition says about `call`'s outcome: (when it is true, when it is false).
    pub(crate) fn test(
        &self,
        cond: Node,
        call: Node,
        var: Option<&str>,
        fails: FailsWith,
    ) -> (Option<Outcome>, Option<Outcome>) {
        let cond = strip_condition(cond);
        if self.is_result(cond, call, var) {
            let truthy = match fails {
                FailsWith::NonZero => Outcome::Failure,
                FailsWith::Zero => Outcome::Success,
                // A count and `SOCKET_ERROR` are both true.
                FailsWith::Negative => return (None, None),
            };
            return (Some(truthy), Some(truthy.negate()));
        }
        match cond.kind_name() {
            "unary_expression" => {
                let op = cond.field("operator").map(|o| o.kind_name());
                match (op, cond.field("argument")) {
                    (Some("!"), Some(arg)) => {
                        let (t, f) = self.test(arg, call, var, fails);
                        (f, t)
                    }
                    _ => (None, None),
                }
            }
            "binary_expression" => {
                let op = cond.field("operator").map(|o| o.kind_name()).unwrap_or("");
                let (Some(l), Some(r)) = (cond.field("left"), cond.field("right")) else {
                    return (None, None);
                };
                match op {
                    "||" => {
                        let (lt, lf) = self.test(l, call, var, fails);
                        let (rt, rf) = self.test(r, call, var, fails);
                        let fail_side =
                            lt == Some(Outcome::Failure) || rt == Some(Outcome::Failure);
                        // Both operands false: every failure-shaped test is known false.
                        let when_false = if lt == Some(Outcome::Failure) {
                            lf
                        } else if rt == Some(Outcome::Failure) {
                            rf
                        } else {
                            None
                        };
                        (fail_side.then_some(Outcome::Failure), when_false)
                    }
                    "&&" => {
                        let (lt, _) = self.test(l, call, var, fails);
                        let (rt, _) = self.test(r, call, var, fails);
                        let when_true = lt.or(rt);
                        let success_side =
                            lt == Some(Outcome::Success) || rt == Some(Outcome::Success);
                        // One operand false: the call may have failed.
                        let when_false = success_side.then_some(Outcome::Failure);
                        (when_true, when_false)
                    }
                    "==" | "!=" | "<" | "<=" | ">" | ">=" => {
                        let (constant, flipped) = if self.is_result(l, call, var) {
                            (r, false)
                        } else if self.is_result(r, call, var) {
                            (l, true)
                        } else {
                            return (None, None);
                        };
                        let c = self
                            .text_of(unwrap_parens(constant))
                            .trim()
                            .replace(' ', "");
                        let op = if flipped { flip(op) } else { op };
                        let is_zero = ZERO.contains(&c.as_str());
                        let is_minus_one = MINUS_ONE.contains(&c.as_str());
                        // The outcome when the comparison is true.
                        let when_true = match (op, fails) {
                            ("==", FailsWith::NonZero) if is_zero => Some(Outcome::Success),
                            ("==", FailsWith::NonZero) if is_minus_one => Some(Outcome::Failure),
                            ("!=", FailsWith::NonZero) if is_zero => Some(Outcome::Failure),
                            ("!=", FailsWith::NonZero) if is_minus_one => Some(Outcome::Success),
                            ("<", FailsWith::NonZero) if is_zero => Some(Outcome::Failure),
                            (">=", FailsWith::NonZero) if is_zero => Some(Outcome::Success),
                            ("==", FailsWith::Zero) if is_zero => Some(Outcome::Failure),
                            ("!=", FailsWith::Zero) if is_zero => Some(Outcome::Success),
                            ("==", FailsWith::Negative) if is_minus_one => Some(Outcome::Failure),
                            ("!=", FailsWith::Negative) if is_minus_one => Some(Outcome::Success),
                            ("<" | "<=", FailsWith::Negative) if is_zero => Some(Outcome::Failure),
                            (">" | ">=", FailsWith::Negative) if is_zero => Some(Outcome::Success),
                            _ => None,
                        };
                        (when_true, when_true.map(Outcome::negate))
                    }
                    _ => (None, None),
                }
            }
            _ => (None, None),
        }
    }

    /// Whether `expr` is the call itself, an assignment of it, or the variable it was stored in.
    fn is_result(&self, expr: Node, call: Node, var: Option<&str>) -> bool {
        let expr = unwrap_parens(expr);
        if expr.id() == call.id() {
            return true;
        }
        if expr.kind_name() == "assignment_expression" {
            return expr
                .field("right")
                .is_some_and(|r| unwrap_parens(r).id() == call.id());
        }
        expr.kind_name() == "identifier" && var.is_some_and(|v| self.text_of(expr) == v)
    }

    /// Whether `a` and `b` sit in exclusive branches: the consequence and the alternative of one
    /// `if`, the two arms of a `?:`, or two cases of one `switch`.
    pub fn exclusive(a: Node, b: Node) -> bool {
        let mut cur = a.parent();
        while let Some(p) = cur {
            if Facts::within(b, p) {
                let arm_of = |n: Node| {
                    let mut c = p.walk();
                    let found = p
                        .children(&mut c)
                        .find(|ch| Facts::within(n, *ch))
                        .map(|ch| (ch.id(), ch.kind_name()));
                    found
                };
                return match p.kind_name() {
                    "if_statement" => {
                        let fa = field_containing(p, a);
                        let fb = field_containing(p, b);
                        matches!(
                            (fa, fb),
                            (Some("consequence"), Some("alternative"))
                                | (Some("alternative"), Some("consequence"))
                        )
                    }
                    "conditional_expression" => {
                        let fa = field_containing(p, a);
                        let fb = field_containing(p, b);
                        matches!(
                            (fa, fb),
                            (Some("consequence"), Some("alternative"))
                                | (Some("alternative"), Some("consequence"))
                        )
                    }
                    "compound_statement"
                        if p.parent()
                            .is_some_and(|s| s.kind_name() == "switch_statement") =>
                    {
                        match (arm_of(a), arm_of(b)) {
                            (Some((ia, "case_statement")), Some((ib, "case_statement"))) => {
                                ia != ib
                            }
                            _ => false,
                        }
                    }
                    _ => false,
                };
            }
            cur = p.parent();
        }
        false
    }

    /// Whether control can get from `from` to `to` (later in the same function) without
    /// leaving: no `return`, `goto`, `break`, `continue`, `throw` or `exit` in between in the
    /// blocks that hold `to`, unless a label between lets control back in through a `goto`
    /// that itself comes after `from` and that `skip_goto` does not rule out.
    pub fn reaches(&self, from: Node, to: Node, skip_goto: &dyn Fn(Node) -> bool) -> bool {
        self.reaches_depth(from, to, skip_goto, 0)
    }

    fn reaches_depth(
        &self,
        from: Node,
        to: Node,
        skip_goto: &dyn Fn(Node) -> bool,
        depth: usize,
    ) -> bool {
        if depth > 4 || to.start_byte() < from.end_byte() {
            return depth <= 4 && to.start_byte() >= from.end_byte();
        }
        let mut block = to.parent();
        while let Some(b) = block {
            if matches!(b.kind_name(), "function_definition" | "lambda_expression") {
                break;
            }
            if b.kind_name() == "compound_statement" {
                let mut blocked = false;
                let mut cursor = b.walk();
                for s in b.named_children(&mut cursor) {
                    if s.start_byte() > to.start_byte() {
                        break;
                    }
                    if s.end_byte() <= from.end_byte() || s.start_byte() < from.end_byte() {
                        // Before `from`, or holding it: `from`'s own statement may exit on
                        // some branch but not on all.
                        if !Facts::within(to, s) {
                            continue;
                        }
                    }
                    // A label lets control back in.
                    if let Some(label) = label_of(s, self.text) {
                        if blocked {
                            blocked = !self.goto_reaches(from, label, skip_goto, depth);
                        }
                    }
                    if Facts::within(to, s) {
                        break;
                    }
                    if is_jump(s, self.text) {
                        blocked = true;
                    }
                }
                if blocked {
                    return false;
                }
            }
            block = b.parent();
        }
        true
    }

    /// Whether some `goto label` after `from` is reachable from it and not ruled out.
    fn goto_reaches(
        &self,
        from: Node,
        label: &str,
        skip_goto: &dyn Fn(Node) -> bool,
        depth: usize,
    ) -> bool {
        let Some(fi) = self.function_at(from.start_byte()) else {
            return false;
        };
        let body = self.functions[fi].body;
        let mut gotos = Vec::new();
        crate::facts::walk(body, |n| {
            if n.kind_name() == "goto_statement"
                && n.start_byte() >= from.end_byte()
                && n.field("label").is_some_and(|l| self.text_of(l) == label)
            {
                gotos.push(n);
            }
        });
        gotos
            .into_iter()
            .any(|g| !skip_goto(g) && self.reaches_depth(from, g, skip_goto, depth + 1))
    }

    /// The first call after `from` (a call that fails as `fails` says) and before `to`, in the
    /// same function, that `pred` accepts and that runs on every path on which `from` succeeded
    /// and reaches `to` (see `runs_before`).
    pub fn call_between(
        &self,
        from: Node,
        fails: FailsWith,
        to: Node,
        pred: impl Fn(&Call<'t>) -> bool,
    ) -> Option<&Call<'t>> {
        let func = self.function_at(to.start_byte());
        let accepted = |n: Node| {
            self.call_of(n)
                .is_some_and(|c| c.function == func && pred(c))
        };
        self.calls_in(from.end_byte()..to.start_byte())
            .filter(|c| c.function == func)
            .find(|c| pred(c) && self.runs_before(c.node, to, &accepted, Some((from, fails))))
    }

    /// Whether `node`, which comes before `to`, runs on every path that reaches `to` from before
    /// the construct holding both: it is not on a branch `to` can be reached without (an `if`
    /// arm whose other arm neither does the like of it (`like`), nor leaves, nor is the failure
    /// branch of `after` (a call before `node`), a `case`, the right operand of `&&`/`||`, the
    /// body of a loop that may run no time, a handler), nor on a branch exclusive with `to`. A
    /// loop condition and the body of `do`/`for (;;)` run at least once.
    pub fn runs_before(
        &self,
        node: Node,
        to: Node,
        like: &dyn Fn(Node) -> bool,
        after: Option<(Node, FailsWith)>,
    ) -> bool {
        // The branch of `stmt` taken when its condition is `outcome` is the failure of `after`.
        let fails_there = |stmt: Node, outcome: bool| {
            let Some((call, fails)) = after else {
                return false;
            };
            let Some(cond) = stmt.field("condition") else {
                return false;
            };
            if stmt.start_byte() < call.end_byte() && !Facts::within(call, cond) {
                return false;
            }
            let var = self.stored_in(call);
            let (t, f) = self.test(cond, call, var.as_deref(), fails);
            (if outcome { t } else { f }) == Some(Outcome::Failure)
        };
        let arm_does = |arm: Option<Node>| {
            arm.is_some_and(|a| {
                let a = if a.kind_name() == "else_clause" {
                    a.named_child(0).unwrap_or(a)
                } else {
                    a
                };
                self.leaves(a)
                    || self
                        .calls_in(a.byte_range())
                        .any(|c| Facts::within(c.node, a) && like(c.node))
            })
        };
        let mut child = node;
        while let Some(p) = child.parent() {
            let field = field_of(p, child);
            if Facts::within(to, p) {
                // Where the two meet: `node` must come first on one path.
                return match p.kind_name() {
                    "if_statement" | "conditional_expression" => {
                        field == Some("condition") || field_of_node(p, to) == field
                    }
                    _ => !Facts::exclusive(node, to),
                };
            }
            let covered = match p.kind_name() {
                "if_statement" => match field {
                    Some("consequence") => {
                        arm_does(p.field("alternative")) || fails_there(p, false)
                    }
                    Some("alternative") => arm_does(p.field("consequence")) || fails_there(p, true),
                    _ => true,
                },
                "else_clause" => true,
                "conditional_expression" => match field {
                    Some("consequence") => arm_does(p.field("alternative")),
                    Some("alternative") => arm_does(p.field("consequence")),
                    _ => true,
                },
                "binary_expression" => {
                    let op = p.field("operator").map(|o| o.kind_name());
                    field != Some("right") || !matches!(op, Some("&&" | "||" | "and" | "or"))
                }
                "while_statement" | "for_range_loop" => field == Some("condition"),
                "for_statement" => match field {
                    Some("body") => p
                        .field("condition")
                        .is_none_or(|c| crate::facts::loops::is_constant_true(c, self.text)),
                    Some("update") => false,
                    _ => true,
                },
                "case_statement" | "catch_clause" | "seh_except_clause" => false,
                "function_definition" | "lambda_expression" => return false,
                _ => true,
            };
            if !covered {
                return false;
            }
            child = p;
        }
        false
    }

    /// Whether a statement always leaves: a jump, or a block that ends with one.
    fn leaves(&self, mut stmt: Node) -> bool {
        // Blocks nest without bound: followed to their last statement in a loop.
        while stmt.kind_name() == "compound_statement" {
            let mut cursor = stmt.walk();
            let last = stmt
                .named_children(&mut cursor)
                .filter(|c| c.kind_name() != "comment")
                .last();
            match last {
                Some(l) => stmt = l,
                None => return false,
            }
        }
        is_jump(stmt, self.text)
    }
}

/// Whether two expressions of one full expression are evaluated before either value is used,
/// and one of them is still the value itself then: they meet in one argument list, initializer
/// list or operator (`printf("%s %s", inet_ntoa(a), inet_ntoa(b))`, `strcmp(inet_ntoa(a),
/// inet_ntoa(b))`), not across a sequence point (`&&`, `||`, `,`, the condition of `?:`), not in
/// the two arms of a `?:`, and not across C++'s stream `<<`/`>>` (the left side has been written
/// out before the right is evaluated). A value passes unchanged through parentheses, casts,
/// member and element access (`h->h_name`, `h->h_addr_list[0]`), the arms of a `?:` and the
/// right of a comma; a call that takes it (`std::string(inet_ntoa(a))`, `strlen(...)`) uses it
/// up. Neither may hold the other.
pub fn held_together(a: Node, b: Node) -> bool {
    if Facts::within(a, b) || Facts::within(b, a) {
        return false;
    }
    let mut meet = a.parent();
    while let Some(m) = meet {
        if Facts::within(b, m) {
            break;
        }
        meet = m.parent();
    }
    let Some(meet) = meet else {
        return false;
    };
    let together = match meet.kind_name() {
        "argument_list" | "initializer_list" => true,
        "binary_expression" => !meet
            .field("operator")
            .is_some_and(|o| matches!(o.kind_name(), "&&" | "||" | "and" | "or" | "<<" | ">>")),
        _ => false,
    };
    together && (reaches_unchanged(a, meet) || reaches_unchanged(b, meet))
}

/// Whether the value of `node` reaches its ancestor `up` as it is (see `held_together`).
fn reaches_unchanged(node: Node, up: Node) -> bool {
    let mut child = node;
    while let Some(p) = child.parent() {
        if p.id() == up.id() {
            return true;
        }
        let unchanged = match p.kind_name() {
            "parenthesized_expression" | "cast_expression" => true,
            "field_expression" | "subscript_expression" => {
                p.field("argument").is_some_and(|a| a.id() == child.id())
            }
            "conditional_expression" => {
                matches!(field_of(p, child), Some("consequence" | "alternative"))
            }
            "comma_expression" => field_of(p, child) == Some("right"),
            _ => false,
        };
        if !unchanged {
            return false;
        }
        child = p;
    }
    false
}

/// The field of `parent` that is `child` itself.
fn field_of(parent: Node, child: Node) -> Option<&'static str> {
    [
        "condition",
        "consequence",
        "alternative",
        "body",
        "update",
        "initializer",
        "right",
        "left",
    ]
    .into_iter()
    .find(|f| {
        let mut cursor = parent.walk();
        let found = parent
            .children_by_field_name(f, &mut cursor)
            .any(|c| c.id() == child.id());
        found
    })
}

/// The field of `parent` whose node holds `n`.
fn field_of_node(parent: Node, n: Node) -> Option<&'static str> {
    let mut c = n;
    while let Some(p) = c.parent() {
        if p.id() == parent.id() {
            return field_of(parent, c);
        }
        c = p;
    }
    None
}

impl<'t> Facts<'t> {
    /// Whether an unqualified call to `name` at `offset` may be a call of a member function:
    /// the class of the method around it declares a member of that name, or the file defines
    /// `Class::name` for that class (`connect(host, port, ms)` inside `class Socket`).
    pub fn member_function_at(&self, name: &str, offset: usize) -> bool {
        let Some(fi) = self.function_at(offset) else {
            return false;
        };
        if let Some((class, _)) = self.functions[fi].name.rsplit_once("::") {
            let qualified = format!("{class}::{name}");
            if self.functions.iter().any(|f| f.name == qualified) {
                return true;
            }
        }
        let Some(body) = self.class_at(offset) else {
            return false;
        };
        self.methods.iter().any(|(n, r)| n == name && *r == body)
    }

    /// Whether a call means a function this file defines rather than the library function of
    /// that name: a member call (`ep.inet_addr()`); a free function of that name defined in
    /// the file (a replacement); or, for an unqualified call, a member function of the class
    /// around the call (`member_function_at`). `::inet_addr(...)` names the free function: a
    /// method of that name defined elsewhere in the file does not change it.
    pub fn calls_own_function(&self, call: &Call) -> bool {
        if call.member {
            return true;
        }
        let name = call.name.as_str();
        let free = self.functions.iter().any(|f| {
            f.name == name
                && f.node
                    .parent()
                    .is_none_or(|p| p.kind_name() != "field_declaration_list")
        });
        if free {
            return true;
        }
        let qualified = call.written.trim_start().starts_with("::");
        !qualified && self.member_function_at(name, call.node.start_byte())
    }

    /// The functions of this file (by short name) whose body calls one of `names`: wrappers
    /// such as `wait_for_child(h)` around `WaitForSingleObject`.
    pub fn functions_calling(&self, names: &[&str]) -> std::collections::HashSet<String> {
        self.calls
            .iter()
            .filter(|c| names.contains(&c.name.as_str()))
            .filter_map(|c| c.function)
            .map(|fi| self.functions[fi].short_name().to_string())
            .filter(|n| !n.is_empty())
            .collect()
    }
}

/// The field of `parent` (`consequence`, `alternative`, `condition`) whose node holds `n`.
fn field_containing<'a>(parent: Node<'a>, n: Node) -> Option<&'static str> {
    ["consequence", "alternative", "condition"]
        .into_iter()
        .find(|f| parent.field(f).is_some_and(|c| Facts::within(n, c)))
}

/// The label of a labeled statement (`done: closesocket(s);`).
fn label_of<'a>(stmt: Node, text: &'a [u8]) -> Option<&'a str> {
    (stmt.kind_name() == "labeled_statement")
        .then(|| stmt.field("label"))
        .flatten()
        .and_then(|l| l.utf8_text(text).ok())
}

/// `a < b` read from the other side is `b > a`.
fn flip(op: &str) -> &str {
    match op {
        "<" => ">",
        ">" => "<",
        "<=" => ">=",
        ">=" => "<=",
        o => o,
    }
}

fn strip_condition(mut cond: Node) -> Node {
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
    use super::{FailsWith, Outcome};
    use crate::facts::tests::facts_of;
    use crate::facts::Facts;
    use crate::lang::Lang;

    /// The outcome of the first call to `dup` at the first call to `close`.
    fn outcome(body: &str, fails: FailsWith) -> Option<Outcome> {
        let code = format!("int f(SOCKET s) {{ int rc; {body} return 0; }}");
        facts_of(Lang::C, &code, |f| {
            let dup = f.calls.iter().find(|c| c.name == "dup").unwrap().node;
            let close = f.calls.iter().find(|c| c.name == "close").unwrap().node;
            f.outcome_at(dup, close, fails)
        })
    }

    /// Whether the first two calls to `ntoa` in `expr` are held together.
    fn together(expr: &str) -> bool {
        let code = format!("void f(void) {{ {expr}; }}");
        facts_of(Lang::Cpp, &code, |f| {
            let calls: Vec<_> = f.calls.iter().filter(|c| c.name == "ntoa").collect();
            super::held_together(calls[0].node, calls[1].node)
        })
    }

    #[test]
    fn values_held_together_in_one_expression() {
        assert!(together(r#"printf("%s %s", ntoa(a), ntoa(b))"#));
        assert!(together("strcmp(ntoa(a), ntoa(b))"));
        assert!(together(r#"log(h ? ntoa(a) : "-", ntoa(b))"#));
        assert!(together("use(ntoa(a)->h_name, ntoa(b)->h_addr_list[0])"));
        assert!(together("std::string(ntoa(a)) + ntoa(b)"));
        assert!(together("char *v[] = { ntoa(a), ntoa(b) }"));
        // One is used up by a call, the other is not: the order decides which text both see.
        assert!(together(r#"printf("%d %s", strlen(ntoa(a)), ntoa(b))"#));
    }

    #[test]
    fn values_sequenced_or_used_up() {
        assert!(!together("ntoa(a) && ntoa(b)"));
        assert!(!together("ntoa(a) || ntoa(b)"));
        assert!(!together("x = ntoa(a), y = ntoa(b)"));
        assert!(!together("c ? ntoa(a) : ntoa(b)"));
        assert!(!together("ntoa(a)[0] ? ntoa(b) : 0"));
        assert!(!together("std::cout << ntoa(a) << ntoa(b)"));
        assert!(!together("g(strlen(ntoa(a)), strlen(ntoa(b)))"));
        assert!(!together("ntoa(ntoa(a))"));
    }

    #[test]
    fn failure_branch_of_a_direct_test() {
        let nz = FailsWith::NonZero;
        let fail = Some(Outcome::Failure);
        let ok = Some(Outcome::Success);
        assert_eq!(
            outcome("if (dup(s) == SOCKET_ERROR) { close(s); }", nz),
            fail
        );
        assert_eq!(outcome("if (SOCKET_ERROR == dup(s)) close(s);", nz), fail);
        assert_eq!(
            outcome("if (dup(s) != 0) { close(s); return 1; }", nz),
            fail
        );
        assert_eq!(outcome("if (dup(s)) close(s);", nz), fail);
        assert_eq!(outcome("if (!dup(s)) close(s);", nz), ok);
        assert_eq!(outcome("if (dup(s) == 0) { } else { close(s); }", nz), fail);
        assert_eq!(outcome("if (dup(s) != SOCKET_ERROR) { close(s); }", nz), ok);
        assert_eq!(outcome("if (dup(s) < 0) close(s);", nz), fail);
        assert_eq!(outcome("dup(s); close(s);", nz), None);
        assert_eq!(outcome("if (dup(s) == 0) { } close(s);", nz), None);
    }

    #[test]
    fn failure_branch_of_a_count() {
        let neg = FailsWith::Negative;
        let fail = Some(Outcome::Failure);
        let ok = Some(Outcome::Success);
        assert_eq!(
            outcome("rc = dup(s); if (rc == SOCKET_ERROR) close(s);", neg),
            fail
        );
        assert_eq!(outcome("if ((rc = dup(s)) <= 0) close(s);", neg), fail);
        assert_eq!(outcome("if (dup(s) < 0) close(s);", neg), fail);
        assert_eq!(outcome("if (dup(s) > 0) { } else { close(s); }", neg), fail);
        assert_eq!(outcome("if (dup(s) >= 0) close(s);", neg), ok);
        assert_eq!(outcome("if (0 < dup(s)) close(s);", neg), ok);
        assert_eq!(outcome("if (dup(s) == 0) close(s);", neg), None);
        assert_eq!(outcome("if (dup(s)) close(s);", neg), None);
        assert_eq!(outcome("if (!dup(s)) close(s);", neg), None);
    }

    #[test]
    fn failure_branch_through_a_variable() {
        let nz = FailsWith::NonZero;
        let fail = Some(Outcome::Failure);
        assert_eq!(
            outcome(
                "rc = dup(s); if (rc == SOCKET_ERROR) { close(s); return 1; }",
                nz
            ),
            fail
        );
        assert_eq!(outcome("int r = dup(s); if (r) { close(s); }", nz), fail);
        assert_eq!(
            outcome("if ((rc = dup(s)) == SOCKET_ERROR) { close(s); }", nz),
            fail
        );
        assert_eq!(
            outcome("rc = dup(s); if (rc == 0) { close(s); }", nz),
            Some(Outcome::Success)
        );
        // An `if` before the call says nothing about it.
        assert_eq!(outcome("if (rc) { rc = dup(s); close(s); }", nz), None);
    }

    #[test]
    fn compound_conditions_and_zero_failing_calls() {
        let nz = FailsWith::NonZero;
        assert_eq!(
            outcome("if (x || dup(s) != 0) { close(s); }", nz),
            Some(Outcome::Failure)
        );
        assert_eq!(
            outcome("if (x && dup(s) == 0) { y(); } else { close(s); }", nz),
            Some(Outcome::Failure)
        );
        let z = FailsWith::Zero;
        assert_eq!(outcome("if (!dup(s)) close(s);", z), Some(Outcome::Failure));
        assert_eq!(outcome("if (dup(s)) close(s);", z), Some(Outcome::Success));
        assert_eq!(
            outcome("if (dup(s) == FALSE) close(s);", z),
            Some(Outcome::Failure)
        );
    }

    fn reaches(body: &str) -> bool {
        let code = format!("int f(SOCKET s) {{ int rc; {body} }}");
        facts_of(Lang::C, &code, |f| {
            let dup = f.calls.iter().find(|c| c.name == "dup").unwrap().node;
            let close = f.calls.iter().find(|c| c.name == "close").unwrap().node;
            let skip = |g: tree_sitter::Node| {
                f.outcome_at(dup, g, FailsWith::NonZero) == Some(Outcome::Failure)
            };
            f.reaches(dup, close, &skip)
        })
    }

    #[test]
    fn falling_through_and_labels() {
        assert!(reaches("dup(s); send_info(); close(s); return 0;"));
        assert!(reaches("if (dup(s) != 0) return 1; close(s); return 0;"));
        assert!(!reaches("dup(s); return 0; close(s);"));
        assert!(!reaches(
            "if (dup(s) != 0) goto fail; hand_off(); return 0; fail: close(s); return 1;"
        ));
        assert!(reaches(
            "if (dup(s) != 0) goto fail; if (x) goto fail; return 0; fail: close(s); return 1;"
        ));
        assert!(reaches("dup(s); goto done; done: close(s); return 0;"));
        assert!(reaches(
            "{ dup(s); } { if (x) return 1; } close(s); return 0;"
        ));
    }

    #[test]
    fn member_functions_shadow_free_functions() {
        let code = "class Sock {\n  int connect(const char *h, int p, int ms);\n\
                    void open() { connect(h, 80, 5); }\n};\n\
                    class Plain { void open(SOCKET s) { connect(s, a, n); } };\n\
                    int Conn::bind(int a, int b, int c) { return 0; }\n\
                    void Conn::start() { bind(1, 2, 3); }\nvoid free_fn(void) { bind(s, a, n); }";
        facts_of(Lang::Cpp, code, |f| {
            let at = |m: &str| code.find(m).unwrap();
            assert!(f.member_function_at("connect", at("connect(h, 80")));
            assert!(!f.member_function_at("connect", at("connect(s, a")));
            assert!(f.member_function_at("bind", at("bind(1, 2")));
            assert!(!f.member_function_at("bind", at("bind(s, a")));
        });
    }

    #[test]
    fn calls_of_own_functions() {
        let code =
            "class Endpoint {\n  unsigned long inet_addr() const { return inet_addr(m_host); }\n\
                    unsigned long resolve() const { return inet_addr(); }\n\
                    unsigned long global() const { return ::inet_addr(m_host); }\n};\n\
                    unsigned long parse(const char *d) { return inet_addr(d); }\n\
                    char *inet_ntoa(struct in_addr a) { return buf; }\n\
                    void show(struct in_addr a) { puts(inet_ntoa(a)); puts(::inet_ntoa(a)); }";
        facts_of(Lang::Cpp, code, |f| {
            let own: Vec<bool> = f
                .calls
                .iter()
                .filter(|c| c.name.starts_with("inet_"))
                .map(|c| f.calls_own_function(c))
                .collect();
            assert_eq!(own, vec![true, true, false, false, true, true]);
        });
    }

    #[test]
    fn wrappers_of_a_call() {
        let code = "static void wait_ack(HANDLE h) { WaitForSingleObject(h, INFINITE); }\n\
                    void Conn::sync() { wait_ack(m_ack); }\nvoid other(void) { Sleep(1); }";
        facts_of(Lang::Cpp, code, |f| {
            let w = f.functions_calling(&["WaitForSingleObject"]);
            assert!(w.contains("wait_ack"));
            assert_eq!(w.len(), 1);
        });
    }

    #[test]
    fn exclusive_branches() {
        let code = "void f(int k) { if (k) { a(); } else { b(); } c();\n\
                    switch (k) { case 1: d(); break; case 2: e(); break; } }";
        facts_of(Lang::C, code, |f| {
            let n = |name: &str| f.calls.iter().find(|c| c.name == name).unwrap().node;
            assert!(Facts::exclusive(n("a"), n("b")));
            assert!(!Facts::exclusive(n("a"), n("c")));
            assert!(Facts::exclusive(n("d"), n("e")));
        });
    }

    #[test]
    fn calls_between_two_nodes() {
        let code = "void f(SOCKET s) { dup(s); if (x) { wait(h); } else { close(s); } \
                    wait2(h); close(s); }";
        let fails = FailsWith::NonZero;
        facts_of(Lang::C, code, |f| {
            let dup = f.calls.iter().find(|c| c.name == "dup").unwrap().node;
            let closes: Vec<_> = f.calls.iter().filter(|c| c.name == "close").collect();
            let is_wait = |c: &crate::facts::Call| c.name.starts_with("wait");
            assert!(f
                .call_between(dup, fails, closes[0].node, is_wait)
                .is_none());
            // `wait` runs only when `x`: `wait2` is the one on every path.
            assert_eq!(
                f.call_between(dup, fails, closes[1].node, is_wait)
                    .unwrap()
                    .name,
                "wait2"
            );
        });
        // A wait on one arm counts when the other arm leaves, waits too, or is the failure of
        // the duplication; a wait in a loop counts when the loop runs at least once.
        let code = "void f(SOCKET s, int x) {\n\
            if (dup(s) != 0) { log(); } else { wait(h); } close(s);\n\
            if (x) wait(h); else return; close(s);\n\
            if (x) wait(h); else wait(g); close(s);\n\
            if (x) wait(h); close(s);\n\
            while (wait(h) == 258) pump(); close(s);\n\
            do { rc = wait(h); } while (rc == 258); close(s);\n\
            for (;;) { if (wait(h) == 0) break; } close(s);\n\
            while (more()) { wait(h); } close(s);\n\
            for (i = 0; i < n; i++) wait(h); close(s);\n\
            x && wait(h); close(s);\n\
            switch (x) { case 1: wait(h); break; } close(s);\n\
            }";
        facts_of(Lang::C, code, |f| {
            let closes: Vec<_> = f.calls.iter().filter(|c| c.name == "close").collect();
            let covered: Vec<bool> = closes
                .iter()
                .map(|close| {
                    let line = close.node.start_position().row;
                    let wait = f
                        .calls
                        .iter()
                        .find(|c| c.name == "wait" && c.node.start_position().row == line)
                        .unwrap();
                    let dup = f.calls.iter().find(|c| c.name == "dup").unwrap().node;
                    let like =
                        |n: tree_sitter::Node| f.call_of(n).is_some_and(|c| c.name == "wait");
                    f.runs_before(wait.node, close.node, &like, Some((dup, fails)))
                })
                .collect();
            assert_eq!(
                covered,
                [true, true, true, false, true, true, true, false, false, false, false]
            );
        });
    }
}
