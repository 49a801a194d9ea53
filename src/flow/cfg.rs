//! An intra-procedural control-flow graph built from the tree-sitter tree of a C or C++ function
//! body (or lambda): `if`/`else`, `switch` with fall-through, `for`/`while`/`do`, range `for`,
//! `break`, `continue`, `return`, `goto` and labels, `try`/`catch`, `__try` (a `return` or
//! `__leave` inside one with a `__finally` runs that block first; other jumps out of it do not
//! yet), preprocessor branches inside bodies, and short-circuit conditions (`&&`, `||`, `!`)
//! split into one block per leaf test, with the leaf and its outcome on each edge (and the label
//! on each edge from a `switch` to a `case`).
//!
//! Built with an explicit work stack (never recursion on nesting depth) in one pass over the
//! statements: linear in the size of the body (the `__finally` blocks built again for each
//! `return` are capped at twice its size; beyond, a `return` leaves directly).

use std::collections::HashMap;

use crate::node::NodeExt;
use tree_sitter::Node;

/// Something a block does, in order.
#[derive(Clone, Copy, Debug)]
pub enum Item<'t> {
    /// A statement evaluated as a whole: an expression statement, a declaration, the value of a
    /// `return`, a `switch` value, a `for` update, a `case` label is not one.
    Stmt(Node<'t>),
    /// A leaf condition evaluated for a branch (the outgoing edges carry its outcome).
    Cond(Node<'t>),
    /// Leaving the scope of a compound statement at `at` (its closing brace, or a `break` /
    /// `continue` that jumps out of it).
    ScopeEnd { scope: Node<'t>, at: Node<'t> },
    /// Leaving the function at `at` (a `return`, `throw`, or the body's closing brace).
    Exit(Node<'t>),
}

/// An edge, taken unconditionally or when a leaf condition has the given outcome. The edge
/// from a `switch` to one of its labels carries the `case_statement` with `true`: the value
/// equals the label's (for `default`, none of the others).
#[derive(Clone, Copy, Debug)]
pub struct Edge<'t> {
    pub to: usize,
    pub cond: Option<(Node<'t>, bool)>,
}

#[derive(Clone, Debug, Default)]
pub struct Block<'t> {
    pub items: Vec<Item<'t>>,
    pub succs: Vec<Edge<'t>>,
}

/// The graph: `entry` starts the body; every exit (`Item::Exit`) flows into `exit`.
#[derive(Clone, Debug)]
pub struct Cfg<'t> {
    pub blocks: Vec<Block<'t>>,
    pub entry: usize,
    pub exit: usize,
}

/// A unit of pending work for the builder.
enum Task<'t> {
    Stmt(Node<'t>),
    /// Continue in `block`.
    SetCur(usize),
    /// Jump from the current block to `block`; what follows is unreachable until a `SetCur`.
    Goto(usize),
    /// Build a condition into the current block.
    Cond {
        expr: Node<'t>,
        on_true: usize,
        on_false: usize,
    },
    PushJump(Jump),
    PopJump,
    PushScope(Node<'t>),
    PopScope,
    ScopeEnd(Node<'t>, Node<'t>),
    /// Enter or leave the body of a `__try` with a `__finally`.
    PushFinally(Finally<'t>),
    PopFinally,
    /// Keep only the first `n` enclosing `__finally` blocks (while one runs for a `return`).
    TruncFinally(usize),
    /// Put back the enclosing `__finally` blocks of a `return` once its copies are built.
    RestoreFinally(Vec<Finally<'t>>),
    /// The `return` at this node leaves the function (after its `__finally` blocks ran).
    Exit(Node<'t>),
}

/// A `__try` body with a `__finally`: a `return` inside runs the `__finally` block first, and
/// `__leave` jumps to it.
#[derive(Clone, Copy)]
struct Finally<'t> {
    body: Node<'t>,
    /// Where the `__try` body ends: the block that runs the `__finally`.
    join: usize,
}

/// Where `break` and `continue` go from inside a loop or `switch`.
#[derive(Clone, Copy)]
struct Jump {
    brk: usize,
    cont: Option<usize>,
    /// For a `switch`: the dispatch block (edges to each `case`) and whether a `default` was seen.
    switch: Option<usize>,
    /// The depth of the scope stack when the loop or switch began.
    scopes: usize,
}

struct Builder<'t, 'd> {
    text: &'t [u8],
    blocks: Vec<Block<'t>>,
    cur: usize,
    exit: usize,
    jumps: Vec<Jump>,
    /// Switches that have a `default`, by dispatch block.
    defaults: Vec<usize>,
    scopes: Vec<Node<'t>>,
    /// The `__try` bodies with a `__finally` around the current statement, innermost last.
    finallies: Vec<Finally<'t>>,
    /// Bytes of `__finally` blocks built again so far, against the cap.
    copied: usize,
    labels: HashMap<&'t str, usize>,
    /// The body: its closing brace is the function's end, not a scope end.
    root: Node<'t>,
    /// `#if 0` and the like: code the compiler never sees.
    dead: &'d dyn Fn(Node<'t>) -> bool,
}

impl<'t> Cfg<'t> {
    /// Builds the graph of a function body (a `compound_statement`, or an expression body).
    /// `dead` tells which preprocessor branches are never compiled (`#if 0`).
    /// The graph of a function body, leaving out the preprocessor branches the compiler never
    /// sees (`#if 0`): a branch is dead when the code after its condition (or name) is.
    pub fn of_function(body: Node<'t>, facts: &crate::facts::Facts<'t>) -> Cfg<'t> {
        let dead = |n: Node<'t>| {
            let start = n
                .field("condition")
                .or_else(|| n.field("name"))
                .map_or(n.start_byte(), |c| c.end_byte());
            facts.platform_at(start) == crate::facts::Platform::Dead
        };
        Cfg::build(body, facts.text, &dead)
    }

    pub fn build(body: Node<'t>, text: &'t [u8], dead: &dyn Fn(Node<'t>) -> bool) -> Cfg<'t> {
        let mut b = Builder {
            text,
            blocks: vec![Block::default(), Block::default()],
            cur: 0,
            exit: 1,
            jumps: Vec::new(),
            defaults: Vec::new(),
            scopes: Vec::new(),
            finallies: Vec::new(),
            copied: 0,
            labels: HashMap::new(),
            root: body,
            dead,
        };
        let mut stack = vec![Task::Stmt(body)];
        while let Some(task) = stack.pop() {
            b.run(task, &mut stack);
        }
        // The end of the body: the closing brace.
        let end = last_token(body);
        b.push(Item::Exit(end));
        let exit = b.exit;
        b.edge(b.cur, exit, None);
        Cfg {
            blocks: b.blocks,
            entry: 0,
            exit,
        }
    }

    /// Predecessor lists (for tests and analyses that want them).
    pub fn preds(&self) -> Vec<Vec<usize>> {
        let mut preds = vec![Vec::new(); self.blocks.len()];
        for (i, b) in self.blocks.iter().enumerate() {
            for e in &b.succs {
                preds[e.to].push(i);
            }
        }
        preds
    }
}

/// The last child token of a node (a body's closing brace), or the node itself.
fn last_token(node: Node) -> Node {
    let mut n = node;
    while let Some(c) = n.child(n.child_count().saturating_sub(1)) {
        if c.child_count() == 0 {
            return c;
        }
        n = c;
    }
    n
}

impl<'t> Builder<'t, '_> {
    fn new_block(&mut self) -> usize {
        self.blocks.push(Block::default());
        self.blocks.len() - 1
    }

    fn push(&mut self, item: Item<'t>) {
        let cur = self.cur;
        self.blocks[cur].items.push(item);
    }

    fn edge(&mut self, from: usize, to: usize, cond: Option<(Node<'t>, bool)>) {
        self.blocks[from].succs.push(Edge { to, cond });
    }

    /// Jumps from the current block and continues in a fresh, unreachable one.
    fn jump(&mut self, to: usize) {
        self.edge(self.cur, to, None);
        self.cur = self.new_block();
    }

    fn label(&mut self, name: &'t str) -> usize {
        if let Some(&b) = self.labels.get(name) {
            return b;
        }
        let b = self.new_block();
        self.labels.insert(name, b);
        b
    }

    fn text_of(&self, node: Node) -> &'t str {
        std::str::from_utf8(&self.text[node.byte_range()]).unwrap_or("")
    }

    /// Scope ends for every compound statement above `depth`, innermost first, at `at`.
    fn leave_scopes(&mut self, depth: usize, at: Node<'t>) {
        for i in (depth..self.scopes.len()).rev() {
            let scope = self.scopes[i];
            self.push(Item::ScopeEnd { scope, at });
        }
    }

    fn run(&mut self, task: Task<'t>, stack: &mut Vec<Task<'t>>) {
        match task {
            Task::Stmt(node) => self.stmt(node, stack),
            Task::SetCur(b) => self.cur = b,
            Task::Goto(b) => self.jump(b),
            Task::Cond {
                expr,
                on_true,
                on_false,
            } => self.cond(expr, on_true, on_false),
            Task::PushJump(j) => self.jumps.push(j),
            Task::PopJump => {
                if let Some(j) = self.jumps.pop() {
                    if let Some(dispatch) = j.switch {
                        if !self.defaults.contains(&dispatch) {
                            self.edge(dispatch, j.brk, None);
                        }
                    }
                }
            }
            Task::PushScope(n) => self.scopes.push(n),
            Task::PopScope => {
                self.scopes.pop();
            }
            Task::ScopeEnd(scope, at) => self.push(Item::ScopeEnd { scope, at }),
            Task::PushFinally(f) => self.finallies.push(f),
            Task::PopFinally => {
                self.finallies.pop();
            }
            Task::TruncFinally(n) => self.finallies.truncate(n),
            Task::RestoreFinally(all) => self.finallies = all,
            Task::Exit(at) => {
                self.push(Item::Exit(at));
                let exit = self.exit;
                self.jump(exit);
            }
        }
    }

    /// Splits a condition into leaf tests: the current block evaluates the first leaf, and each
    /// further leaf of `&&` / `||` gets a block of its own.
    fn cond(&mut self, expr: Node<'t>, on_true: usize, on_false: usize) {
        let entry = self.cur;
        let mut work = vec![(expr, entry, on_true, on_false)];
        while let Some((e, block, t, f)) = work.pop() {
            let e = strip_parens(e);
            match e.kind_name() {
                "binary_expression" => {
                    let op = e.field("operator").map(|o| o.kind_name());
                    let (Some(l), Some(r)) = (e.field("left"), e.field("right")) else {
                        self.leaf(e, block, t, f);
                        continue;
                    };
                    match op {
                        Some("&&" | "and") => {
                            let rb = self.new_block();
                            work.push((r, rb, t, f));
                            work.push((l, block, rb, f));
                        }
                        Some("||" | "or") => {
                            let rb = self.new_block();
                            work.push((r, rb, t, f));
                            work.push((l, block, t, rb));
                        }
                        _ => self.leaf(e, block, t, f),
                    }
                }
                "unary_expression"
                    if e.field("operator")
                        .is_some_and(|o| matches!(o.kind_name(), "!" | "not")) =>
                {
                    match e.field("argument") {
                        Some(a) => work.push((a, block, f, t)),
                        None => self.leaf(e, block, t, f),
                    }
                }
                _ => self.leaf(e, block, t, f),
            }
        }
        // The caller decides where to continue.
        self.cur = self.new_block();
    }

    fn leaf(&mut self, e: Node<'t>, block: usize, t: usize, f: usize) {
        self.blocks[block].items.push(Item::Cond(e));
        if t == f {
            self.edge(block, t, None);
        } else {
            self.edge(block, t, Some((e, true)));
            self.edge(block, f, Some((e, false)));
        }
    }

    /// A condition as written in `if`, `while`, `switch`: C's parenthesized expression or
    /// C++'s condition clause (an init statement runs first; a declaration is evaluated as a
    /// statement and the branch is not refined).
    fn condition_of(&mut self, cond: Node<'t>) -> Option<Node<'t>> {
        if cond.kind_name() == "condition_clause" {
            if let Some(init) = cond.field("initializer") {
                self.push(Item::Stmt(init));
            }
            let value = cond.field("value")?;
            if value.kind_name() == "declaration" || value.kind_name() == "condition_declaration" {
                self.push(Item::Stmt(value));
                return None;
            }
            return Some(value);
        }
        Some(cond)
    }

    fn stmt(&mut self, node: Node<'t>, stack: &mut Vec<Task<'t>>) {
        match node.kind_name() {
            "compound_statement" | "declaration_list" => {
                stack.push(Task::PopScope);
                if let Some(close) = node.child(node.child_count().saturating_sub(1)) {
                    if node != self.root {
                        stack.push(Task::ScopeEnd(node, close));
                    }
                }
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
                for c in children.into_iter().rev() {
                    stack.push(Task::Stmt(c));
                }
                stack.push(Task::PushScope(node));
            }
            "if_statement" => {
                let then_b = self.new_block();
                let join = self.new_block();
                let alt = node
                    .field("alternative")
                    .map(|a| {
                        if a.kind_name() == "else_clause" {
                            a.named_child(0).unwrap_or(a)
                        } else {
                            a
                        }
                    })
                    .filter(|a| a.kind_name() != "else_clause");
                let else_b = if alt.is_some() {
                    self.new_block()
                } else {
                    join
                };
                let cond = node.field("condition").and_then(|c| self.condition_of(c));
                // Pushed in reverse: the condition first, then the branches, then the join.
                stack.push(Task::SetCur(join));
                if let Some(a) = alt {
                    stack.push(Task::Goto(join));
                    stack.push(Task::Stmt(a));
                    stack.push(Task::SetCur(else_b));
                }
                stack.push(Task::Goto(join));
                if let Some(c) = node.field("consequence") {
                    stack.push(Task::Stmt(c));
                }
                stack.push(Task::SetCur(then_b));
                match cond {
                    Some(c) => stack.push(Task::Cond {
                        expr: c,
                        on_true: then_b,
                        on_false: else_b,
                    }),
                    None => {
                        self.edge(self.cur, then_b, None);
                        self.edge(self.cur, else_b, None);
                    }
                }
            }
            "while_statement" => {
                let head = self.new_block();
                let body_b = self.new_block();
                let after = self.new_block();
                self.edge(self.cur, head, None);
                self.cur = head;
                let cond = node.field("condition").and_then(|c| self.condition_of(c));
                stack.push(Task::SetCur(after));
                stack.push(Task::PopJump);
                stack.push(Task::Goto(head));
                if let Some(b) = node.field("body") {
                    stack.push(Task::Stmt(b));
                }
                stack.push(Task::SetCur(body_b));
                stack.push(Task::PushJump(Jump {
                    brk: after,
                    cont: Some(head),
                    switch: None,
                    scopes: self.scopes.len(),
                }));
                self.branch(cond, head, body_b, after, stack);
            }
            "do_statement" => {
                let body_b = self.new_block();
                let cond_b = self.new_block();
                let after = self.new_block();
                self.edge(self.cur, body_b, None);
                stack.push(Task::SetCur(after));
                match node.field("condition") {
                    // `do { ... } while (TRUE);`: only a `break` leaves.
                    Some(c) if is_constant_true(c, self.text) => stack.push(Task::Goto(body_b)),
                    // `do { ... } while (0)`: a block to `break` out of, run once.
                    Some(c) if crate::facts::loops::is_constant_false(c, self.text) => {
                        stack.push(Task::Goto(after))
                    }
                    Some(c) => stack.push(Task::Cond {
                        expr: c,
                        on_true: body_b,
                        on_false: after,
                    }),
                    None => stack.push(Task::Goto(after)),
                }
                stack.push(Task::SetCur(cond_b));
                stack.push(Task::PopJump);
                stack.push(Task::Goto(cond_b));
                if let Some(b) = node.field("body") {
                    stack.push(Task::Stmt(b));
                }
                stack.push(Task::PushJump(Jump {
                    brk: after,
                    cont: Some(cond_b),
                    switch: None,
                    scopes: self.scopes.len(),
                }));
                stack.push(Task::SetCur(body_b));
            }
            "for_statement" => {
                let mut cursor = node.walk();
                for init in node.children_by_field_name("initializer", &mut cursor) {
                    self.push(Item::Stmt(init));
                }
                let head = self.new_block();
                let body_b = self.new_block();
                let update_b = self.new_block();
                let after = self.new_block();
                self.edge(self.cur, head, None);
                self.cur = head;
                let cond = node.field("condition");
                let mut cursor = node.walk();
                let updates: Vec<Node<'t>> =
                    node.children_by_field_name("update", &mut cursor).collect();
                for u in updates {
                    self.blocks[update_b].items.push(Item::Stmt(u));
                }
                self.edge(update_b, head, None);
                stack.push(Task::SetCur(after));
                stack.push(Task::PopJump);
                stack.push(Task::Goto(update_b));
                if let Some(b) = node.field("body") {
                    stack.push(Task::Stmt(b));
                }
                stack.push(Task::SetCur(body_b));
                stack.push(Task::PushJump(Jump {
                    brk: after,
                    cont: Some(update_b),
                    switch: None,
                    scopes: self.scopes.len(),
                }));
                self.branch(cond, head, body_b, after, stack);
            }
            "for_range_loop" => {
                if let Some(r) = node.field("right") {
                    self.push(Item::Stmt(r));
                }
                let head = self.new_block();
                let body_b = self.new_block();
                let after = self.new_block();
                self.edge(self.cur, head, None);
                // Each iteration binds the loop variable afresh.
                if let Some(d) = node.field("declarator") {
                    self.blocks[head].items.push(Item::Stmt(d));
                }
                self.edge(head, body_b, None);
                self.edge(head, after, None);
                stack.push(Task::SetCur(after));
                stack.push(Task::PopJump);
                stack.push(Task::Goto(head));
                if let Some(b) = node.field("body") {
                    stack.push(Task::Stmt(b));
                }
                stack.push(Task::SetCur(body_b));
                stack.push(Task::PushJump(Jump {
                    brk: after,
                    cont: Some(head),
                    switch: None,
                    scopes: self.scopes.len(),
                }));
            }
            "switch_statement" => {
                if let Some(c) = node.field("condition") {
                    if let Some(v) = self.condition_of(c) {
                        self.push(Item::Stmt(strip_parens(v)));
                    }
                }
                let dispatch = self.cur;
                let after = self.new_block();
                // Code before the first `case` is unreachable.
                self.cur = self.new_block();
                stack.push(Task::SetCur(after));
                stack.push(Task::PopJump);
                stack.push(Task::Goto(after));
                if let Some(b) = node.field("body") {
                    stack.push(Task::Stmt(b));
                }
                stack.push(Task::PushJump(Jump {
                    brk: after,
                    cont: None,
                    switch: Some(dispatch),
                    scopes: self.scopes.len(),
                }));
            }
            "case_statement" => {
                let case_b = self.new_block();
                if let Some(dispatch) = self.jumps.iter().rev().find_map(|j| j.switch) {
                    self.edge(dispatch, case_b, Some((node, true)));
                    if node.field("value").is_none() {
                        self.defaults.push(dispatch);
                    }
                }
                // Fall-through from the case above.
                self.edge(self.cur, case_b, None);
                self.cur = case_b;
                let value = node.field("value");
                let mut cursor = node.walk();
                let children: Vec<Node<'t>> = node
                    .named_children(&mut cursor)
                    .filter(|c| Some(*c) != value)
                    .collect();
                for c in children.into_iter().rev() {
                    stack.push(Task::Stmt(c));
                }
            }
            "labeled_statement" => {
                let name = node.field("label").map(|l| self.text_of(l)).unwrap_or("");
                let b = self.label(name);
                self.edge(self.cur, b, None);
                self.cur = b;
                let label = node.field("label");
                let mut cursor = node.walk();
                let inner: Vec<Node<'t>> = node
                    .named_children(&mut cursor)
                    .filter(|c| Some(*c) != label)
                    .collect();
                for c in inner.into_iter().rev() {
                    stack.push(Task::Stmt(c));
                }
            }
            "goto_statement" => {
                let name = node.field("label").map(|l| self.text_of(l)).unwrap_or("");
                let b = self.label(name);
                self.jump(b);
            }
            "break_statement" => {
                if let Some(j) = self.jumps.last().copied() {
                    self.leave_scopes(j.scopes, node);
                    self.jump(j.brk);
                } else {
                    self.cur = self.new_block();
                }
            }
            "continue_statement" => {
                if let Some(j) = self.jumps.iter().rev().find(|j| j.cont.is_some()).copied() {
                    self.leave_scopes(j.scopes, node);
                    if let Some(c) = j.cont {
                        self.jump(c);
                    }
                } else {
                    self.cur = self.new_block();
                }
            }
            "return_statement" | "co_return_statement" | "throw_statement" => {
                self.push(Item::Stmt(node));
                let cost: usize = self
                    .finallies
                    .iter()
                    .map(|f| f.body.byte_range().len())
                    .sum();
                let cap = 2 * self.root.byte_range().len();
                if self.finallies.is_empty() || self.copied + cost > cap {
                    self.push(Item::Exit(node));
                    let exit = self.exit;
                    self.jump(exit);
                    return;
                }
                // `return` inside `__try`: each `__finally` around it runs, innermost first,
                // each built again on this path with only the blocks outside it in force.
                self.copied += cost;
                let all = self.finallies.clone();
                stack.push(Task::RestoreFinally(all.clone()));
                stack.push(Task::Exit(node));
                for (i, f) in all.iter().enumerate() {
                    stack.push(Task::Stmt(f.body));
                    stack.push(Task::TruncFinally(i));
                }
            }
            "seh_leave_statement" => {
                // To the end of the innermost `__try`: its `__finally` when it has one.
                let innermost = crate::facts::enclosing_kind(node, &["seh_try_statement"]);
                let guarded = self.finallies.last().copied().filter(|f| {
                    f.body.parent().and_then(|c| c.parent()) == innermost && innermost.is_some()
                });
                match guarded {
                    Some(f) => self.jump(f.join),
                    None => self.push(Item::Stmt(node)),
                }
            }
            "try_statement" | "seh_try_statement" => {
                let after = self.new_block();
                let body_b = self.new_block();
                let start = self.cur;
                self.edge(start, body_b, None);
                let mut handlers = Vec::new();
                let mut finally = None;
                let mut cursor = node.walk();
                for c in node.named_children(&mut cursor) {
                    match c.kind_name() {
                        "catch_clause" | "seh_except_clause" => handlers.push(c),
                        "seh_finally_clause" => finally = Some(c),
                        _ => {}
                    }
                }
                let join = if finally.is_some() {
                    self.new_block()
                } else {
                    after
                };
                stack.push(Task::SetCur(after));
                if let Some(f) = finally {
                    stack.push(Task::Goto(after));
                    if let Some(b) = f.field("body") {
                        stack.push(Task::Stmt(b));
                    }
                    stack.push(Task::SetCur(join));
                }
                for h in handlers.into_iter().rev() {
                    let hb = self.new_block();
                    // A handler runs when anything in the body throws: from the body's start.
                    self.edge(start, hb, None);
                    stack.push(Task::Goto(join));
                    if let Some(b) = h.field("body") {
                        stack.push(Task::Stmt(b));
                    }
                    stack.push(Task::SetCur(hb));
                }
                stack.push(Task::Goto(join));
                let guarded = finally.and_then(|f| f.field("body"));
                if guarded.is_some() {
                    stack.push(Task::PopFinally);
                }
                if let Some(b) = node.field("body") {
                    stack.push(Task::Stmt(b));
                }
                if let Some(body) = guarded {
                    stack.push(Task::PushFinally(Finally { body, join }));
                }
                stack.push(Task::SetCur(body_b));
            }
            "preproc_if" | "preproc_ifdef" | "preproc_elif" | "preproc_elifdef"
            | "preproc_else" => self.preproc(node, stack),
            "expression_statement" if self.no_return(node) => {
                // `exit(1)`, `abort()`: the path ends here, and the process releases everything.
                self.push(Item::Stmt(node));
                self.cur = self.new_block();
            }
            "comment" | ";" | "empty_statement" => {}
            "function_definition" | "class_specifier" | "struct_specifier" => {}
            _ => self.push(Item::Stmt(node)),
        }
    }

    /// A statement that calls a function that never returns.
    fn no_return(&self, stmt: Node<'t>) -> bool {
        let Some(call) = stmt
            .named_child(0)
            .filter(|c| c.kind_name() == "call_expression")
        else {
            return false;
        };
        let name = call
            .field("function")
            .map(|f| {
                self.text_of(f)
                    .trim_start_matches("::")
                    .trim_start_matches("std::")
            })
            .unwrap_or("");
        NO_RETURN.contains(&name)
    }

    /// A loop head: the condition when there is one, else straight into the body.
    fn branch(
        &mut self,
        cond: Option<Node<'t>>,
        head: usize,
        body_b: usize,
        after: usize,
        stack: &mut Vec<Task<'t>>,
    ) {
        match cond {
            Some(c) if !is_constant_true(c, self.text) => stack.push(Task::Cond {
                expr: c,
                on_true: body_b,
                on_false: after,
            }),
            Some(c) => {
                self.blocks[head].items.push(Item::Stmt(c));
                self.edge(head, body_b, None);
            }
            None => self.edge(head, body_b, None),
        }
    }

    /// A preprocessor conditional in a body: each branch is a path; `#if 0` branches are not.
    fn preproc(&mut self, node: Node<'t>, stack: &mut Vec<Task<'t>>) {
        let start = self.cur;
        let join = self.new_block();
        let mut branches: Vec<Vec<Node<'t>>> = Vec::new();
        let mut has_else = false;
        let mut cur = Some(node);
        while let Some(n) = cur {
            cur = n.field("alternative");
            if n.kind_name() == "preproc_else" {
                has_else = true;
            }
            if (self.dead)(n) {
                continue;
            }
            let skip = [n.field("condition"), n.field("name"), cur];
            let mut cursor = n.walk();
            let stmts: Vec<Node<'t>> = n
                .named_children(&mut cursor)
                .filter(|c| !skip.contains(&Some(*c)))
                .collect();
            branches.push(stmts);
        }
        stack.push(Task::SetCur(join));
        for stmts in branches {
            let b = self.new_block();
            self.edge(start, b, None);
            stack.push(Task::Goto(join));
            for s in stmts.into_iter().rev() {
                stack.push(Task::Stmt(s));
            }
            stack.push(Task::SetCur(b));
        }
        if !has_else {
            self.edge(start, join, None);
        }
    }
}

/// Calls after which a path does not go on.
pub const NO_RETURN: &[&str] = &[
    "exit",
    "_exit",
    "_Exit",
    "quick_exit",
    "abort",
    "ExitProcess",
    "ExitThread",
    "TerminateProcess",
    "FatalExit",
    "FatalAppExitA",
    "FatalAppExitW",
    "longjmp",
    "siglongjmp",
    "err",
    "errx",
    "__builtin_unreachable",
    "terminate",
];

/// Removes parentheses around a condition (C's `if (x)` and nested ones).
fn strip_parens(mut node: Node) -> Node {
    while node.kind_name() == "parenthesized_expression" {
        match node.named_child(0) {
            Some(n) if n.kind_name() != "comment" => node = n,
            _ => break,
        }
    }
    node
}

fn is_constant_true(cond: Node, text: &[u8]) -> bool {
    crate::facts::loops::is_constant_true(cond, text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    /// Builds the graph of the first function of `code` and returns the statement texts on
    /// every path from entry to exit (loops are followed at most once per edge).
    fn paths(lang: Lang, code: &str) -> Vec<String> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let mut body = None;
        crate::facts::walk(tree.root_node(), |n| {
            if body.is_none() && n.kind_name() == "function_definition" {
                body = n.field("body");
            }
        });
        let no_dead = |_: Node| false;
        let cfg = Cfg::build(body.unwrap(), code.as_bytes(), &no_dead);
        let text = |n: Node| n.utf8_text(code.as_bytes()).unwrap().to_string();
        let mut out = Vec::new();
        // Depth-first over (block, path so far, edges used).
        let mut work = vec![(
            cfg.entry,
            Vec::<String>::new(),
            Vec::<(usize, usize)>::new(),
        )];
        while let Some((b, mut path, used)) = work.pop() {
            for item in &cfg.blocks[b].items {
                match item {
                    Item::Stmt(n) => path.push(text(*n).trim_end_matches(';').to_string()),
                    Item::Cond(n) => path.push(format!("?{}", text(*n))),
                    Item::Exit(n) if n.kind_name() == "}" => path.push("end".into()),
                    _ => {}
                }
            }
            if b == cfg.exit {
                out.push(path.join(" "));
                continue;
            }
            for e in &cfg.blocks[b].succs {
                if used.iter().filter(|u| **u == (b, e.to)).count() >= 2 {
                    continue;
                }
                let mut p = path.clone();
                if let Some((c, v)) = e.cond {
                    let last = format!("?{}", text(c));
                    if p.last() == Some(&last) {
                        p.pop();
                        p.push(format!("{}{}", if v { "+" } else { "!" }, text(c)));
                    }
                }
                let mut u = used.clone();
                u.push((b, e.to));
                work.push((e.to, p, u));
            }
        }
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn goto_cleanup_reaches_the_label() {
        let code = "int f(void) { a(); if (b()) goto out; c(); out: d(); return 0; }";
        assert_eq!(
            paths(Lang::C, code),
            vec![
                "a() !b() c() d() return 0".to_string(),
                "a() +b() d() return 0".to_string(),
            ]
        );
    }

    #[test]
    fn switch_falls_through() {
        let code =
            "void f(int x) { switch (x) { case 1: a(); case 2: b(); break; default: c(); } d(); }";
        assert_eq!(
            paths(Lang::C, code),
            vec!["x a() b() d() end", "x b() d() end", "x c() d() end"]
        );
        // Without a default, the switch may match nothing.
        let code = "void f(int x) { switch (x) { case 1: a(); break; } d(); }";
        assert_eq!(paths(Lang::C, code), vec!["x a() d() end", "x d() end"]);
    }

    #[test]
    fn early_return_inside_a_loop() {
        let code = "int f(void) { while (more()) { if (bad()) return 1; step(); } return 0; }";
        let p = paths(Lang::C, code);
        assert!(p.contains(&"+more() +bad() return 1".to_string()), "{p:?}");
        assert!(p.contains(&"!more() return 0".to_string()), "{p:?}");
        assert!(
            p.contains(&"+more() !bad() step() !more() return 0".to_string()),
            "{p:?}"
        );
    }

    #[test]
    fn short_circuit_conditions_split_into_leaves() {
        let code = "void f(void) { if (a() && !b()) x(); else y(); }";
        assert_eq!(
            paths(Lang::C, code),
            vec!["!a() y() end", "+a() !b() x() end", "+a() +b() y() end"]
        );
        let code = "void f(void) { if (a() || b()) x(); }";
        assert_eq!(
            paths(Lang::C, code),
            vec!["!a() !b() end", "!a() +b() x() end", "+a() x() end"]
        );
    }

    #[test]
    fn loops_break_continue_and_do_while() {
        let code = "void f(void) { for (i = 0; i < n; i++) { if (a()) continue; if (b()) break; c(); } d(); }";
        let p = paths(Lang::C, code);
        assert!(
            p.contains(&"i = 0 +i < n !a() +b() d() end".to_string()),
            "{p:?}"
        );
        assert!(
            p.contains(&"i = 0 +i < n +a() i++ !i < n d() end".to_string()),
            "{p:?}"
        );
        let code = "void f(void) { do { a(); } while (b()); c(); }";
        let p = paths(Lang::C, code);
        assert!(p.contains(&"a() !b() c() end".to_string()), "{p:?}");
        assert!(
            p.contains(&"a() +b() a() !b() c() end".to_string()),
            "{p:?}"
        );
    }

    #[test]
    fn preprocessor_branches_are_alternatives() {
        let code = "void f(int s) {\n#ifdef _WIN32\n closesocket(s);\n#else\n close(s);\n#endif\n}";
        assert_eq!(
            paths(Lang::C, code),
            vec!["close(s) end", "closesocket(s) end"]
        );
    }

    #[test]
    fn cpp_try_and_condition_clauses() {
        let code = "void f() { try { a(); } catch (...) { b(); } if (int x = g(); x > 0) c(); }";
        let p = paths(Lang::Cpp, code);
        assert!(
            p.contains(&"a() int x = g() +x > 0 c() end".to_string()),
            "{p:?}"
        );
        assert!(
            p.contains(&"b() int x = g() !x > 0 end".to_string()),
            "{p:?}"
        );
    }

    #[test]
    fn a_return_inside_try_runs_the_finally_block() {
        let code = "int f(void) { a(); __try { if (b()) return 1; __try { if (c()) return 2; \
                    if (d()) __leave; e(); } __finally { g(); } } __finally { h(); } return 0; }";
        let p = paths(Lang::C, code);
        assert_eq!(
            p,
            vec![
                "a() !b() !c() !d() e() g() h() return 0",
                "a() !b() !c() +d() g() h() return 0",
                "a() !b() +c() return 2 g() h()",
                "a() +b() return 1 h()",
            ]
        );
    }

    #[test]
    fn deep_nesting_and_huge_switches_stay_cheap() {
        let depth = 60_000;
        let code = format!(
            "void f(void) {{ {} x(); {} }}",
            "{".repeat(depth),
            "}".repeat(depth)
        );
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Lang::C.grammar()).unwrap();
        let tree = parser.parse(&code, None).unwrap();
        let body = tree
            .root_node()
            .named_child(0)
            .unwrap()
            .field("body")
            .unwrap();
        let no_dead = |_: Node| false;
        let cfg = Cfg::build(body, code.as_bytes(), &no_dead);
        assert!(cfg.blocks.len() < 10);

        let cases: String = (0..2000)
            .map(|i| format!("case {i}: a{i}(); break;\n"))
            .collect();
        let code = format!("void f(int x) {{ switch (x) {{ {cases} }} }}");
        let tree = parser.parse(&code, None).unwrap();
        let body = tree
            .root_node()
            .named_child(0)
            .unwrap()
            .field("body")
            .unwrap();
        let start = std::time::Instant::now();
        let cfg = Cfg::build(body, code.as_bytes(), &no_dead);
        assert!(cfg.blocks.len() > 2000);
        assert!(start.elapsed().as_secs() < 2);
    }
}
