//! Facts every rule can ask for, built once per file in one iterative walk over the tree and
//! tested on their own: functions, calls (with macro renames and C++ spellings resolved),
//! declarations, loops, platform branches, comments and includes.
//!
//! # Which fact answers which question
//!
//! A rule reaches the facts as `ctx.facts` ([`Facts`], built once per file by
//! [`Facts::build`], or [`Facts::build_with`] what the file's project headers define, which is
//! how the engine builds them: see `project::index`); offsets are byte offsets into the file's text (`node.start_byte()`). `tests/registry.rs` checks that every method of `Facts`
//! is listed here and that every name listed exists.
//!
//! **Calls and declarations**
//! - Which calls does the file make? [`Facts::calls`] (each a [`Call`]: `name` after macro
//!   renames and qualifiers, `written`, `args`, `member`, its `function`); the calls inside a
//!   range: [`Facts::calls_in`]; the calls to some names: [`Facts::calls_named`]; the call a
//!   node is: [`Facts::call_of`].
//! - Which function is `f`, and which one holds this offset? [`Facts::functions`],
//!   [`Facts::function_at`]; does the file define `f`? [`Facts::defines`]; which functions
//!   call one of these (wrappers)? [`Facts::functions_calling`].
//! - Does this call mean the file's own function (a method, a replacement) rather than the
//!   library's? [`Facts::calls_own_function`], [`Facts::member_function_at`]; the class around
//!   an offset: [`Facts::class_at`].
//! - What does a macro rename to? [`Facts::resolve_rename`] (`#define close closesocket`); the
//!   global function a callee names however spelled: [`global_callee`].
//! - Where is a name declared, with which type? [`Facts::decl_of`] (at an offset, scopes and
//!   branches considered), [`Facts::decls_named`], [`Facts::outer_decls_named`] (globals and fields), [`Facts::declared_type`]; what is assigned
//!   where: [`Facts::assignments`].
//! - Is this expression a cast, and to what? [`Facts::cast_of`]; what is under the casts and
//!   parentheses? [`unwrap_casts`], [`unwrap_parens`], [`value_arms`] (each arm of a `?:`).
//! - The text of a node: [`Facts::text_of`]; an ancestor of some kinds: [`Facts::enclosing_kind`] (or [`enclosing_kind`] without the facts), the parent of a node on deep code: [`Facts::parent`]; a
//!   declarator's name: [`declarator_name`]; is one node inside another? [`Facts::within`];
//!   walking a subtree without recursion: [`walk`], [`walk_pruned`].
//! - Does a finding rest on a syntax error? [`Facts::rests_on_error`], [`Facts::in_error`].
//!
//! **Sockets** (see [`sockets`] for the two answers kept apart)
//! - Does this expression hold a socket? [`Facts::holds_socket`] (lifecycle rules); is it a
//!   local copy of one (`HANDLE h = (HANDLE)s`)? [`Facts::holds_socket_or_copy`]; does it have
//!   the unsigned `SOCKET` type (signedness, truncation)? [`Facts::has_socket_type`].
//! - Was it assigned from a creator (`socket`, `accept`...)? [`Facts::assigned_from_creator`];
//!   created as a datagram socket? [`Facts::created_as_datagram`].
//! - One key for one object however spelled: [`Facts::socket_key`]; the object a value lives
//!   in: [`Facts::value_object`].
//!
//! **Platform**: is this code built for Windows?
//! - Rules about Windows semantics stay silent where [`Facts::never_windows`] holds: no Windows
//!   build compiles the offset (a non-Windows branch, `#if 0`, or a file that cannot be built
//!   for Windows). This is the usual question.
//! - Is the offset positively Windows code with Winsock? [`Facts::windows_code`]; compiled
//!   *only* for Windows (no POSIX side that could share it)? [`Facts::windows_only`].
//! - Narrower: only the branches around the offset (`#ifndef _WIN32`, `#if 0`), not the file:
//!   [`Facts::not_for_windows`]; what they say: [`Facts::platform_at`] (a [`Platform`]); does a
//!   declaration's branch reach a use? [`Facts::branch_reaches`].
//! - The file as a whole: [`Facts::includes_winsock`], [`Facts::winsock_includes`],
//!   [`Facts::posix_only_file`], [`Facts::has_posix_side`], and the fields
//!   `windows_code` / `windows_program` ([`platform::is_windows_code`],
//!   [`platform::is_windows_program`]); a platform macro: [`platform::is_windows_macro`],
//!   [`platform::is_other_os_macro`].
//!
//! **Order and outcomes** (within one function)
//! - Which variable holds a call's result? [`Facts::stored_in`]; is the call known to have
//!   failed or succeeded at a node? [`Facts::outcome_at`] (an [`order::Outcome`], given how it
//!   fails: [`order::FailsWith`]).
//! - Can control get from one node to another? [`Facts::reaches`]; does a node run on every
//!   path to another? [`Facts::runs_before`]; the first call between two nodes that does:
//!   [`Facts::call_between`]; are two nodes in exclusive branches? [`Facts::exclusive`]; is a
//!   statement a jump? [`order::is_jump`]; are two values alive at once in one expression?
//!   [`order::held_together`].
//! - Which Winsock call's failure does an `if` test? [`Facts::failed_winsock_call`],
//!   [`Facts::tested_calls`], [`Facts::is_success_test`]; is a node on a call's failure path?
//!   [`Facts::failure_branch_of`], [`Facts::failure_label_of`] (through `goto fail`).
//!
//! **Winsock calls and errors**
//! - Is a name a Winsock function? [`winsock::is_winsock_api`]; one reporting through
//!   `WSAGetLastError()`? [`winsock::is_winsock_call`]; one whose failure an `if` handles?
//!   [`winsock::is_winsock_failure`]; may it overwrite the last error?
//!   [`winsock::may_set_last_error`]; does a CRT call set `errno`? [`winsock::sets_errno`].
//! - Which Winsock calls run when a function runs (through the file's functions)?
//!   [`Facts::winsock_calls_reached`]; is a `connect` non-blocking?
//!   [`Facts::nonblocking_connect`]; `WSASocket` flags: [`winsock::wsasocket_overlapped`],
//!   [`winsock::wsasocket_no_inherit`]; an `fd_set` and what a function does with it:
//!   [`winsock::fd_set_key`], [`Facts::fd_set_use`].
//! - `setsockopt(s, SOL_SOCKET, ...)` built for Windows: [`Facts::windows_sol_socket_option`];
//!   time structs behind an option value or length: [`Facts::time_struct_type`],
//!   [`Facts::time_struct_pointee`], [`Facts::time_struct_size`].
//! - Where does a Winsock error code come from? [`Facts::winsock_error_of`] (a
//!   [`errors::WinsockError`]); the file's macros and functions yielding it:
//!   [`Facts::error_sources`]; its `#define` of a CRT `errno` constant:
//!   [`Facts::errno_mapping`]; the CRT constant of a name: [`errors::errno_constant`].
//!
//! **Loops**
//! - Which loops hold an offset (innermost first; a loop that runs once is none)?
//!   [`Facts::loops_around`], [`Facts::loops_in_function_around`] (each a [`Loop`]:
//!   `unbounded`, `bounded`, `once`).
//! - What keeps a loop from spinning? [`Loop::backoff`], [`Loop::paced_by`]; its header for a
//!   label: [`Loop::header`]; a constant condition: [`loops::is_constant_true`],
//!   [`loops::is_constant_false`].
//!
//! **Strings**
//! - The value of a string literal (`"..."`, `L"..."`, `TEXT("...")`):
//!   [`strings::string_value`]; does it name a DLL? [`strings::names_dll`]; does a statement
//!   only produce text (print, copy a name)? [`strings::only_describes`].
//!
//! **Library**
//! - Is a call a known C runtime, Winsock or Windows call (it cannot assign the program's
//!   variables)? [`library::is_library_call`]; does it print or log?
//!   [`library::is_output_call`].

pub mod errors;
pub mod library;
pub mod loops;
pub mod order;
pub mod platform;
pub mod sockets;
pub mod strings;
pub mod winsock;

use std::collections::HashMap;
use std::ops::Range;

use tree_sitter::Node;

use crate::config::Config;
use crate::node::NodeExt;
pub use loops::Loop;
pub use platform::{Platform, Region};

/// Calls every node of the tree under `root` in document order, without recursion (real code
/// nests deeply enough to overflow a recursive walk).
pub fn walk<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>)) {
    walk_pruned(root, |n| {
        visit(n);
        true
    });
}

/// `walk`, skipping what is under the nodes for which `visit` returns false.
pub fn walk_pruned<'t>(root: Node<'t>, mut visit: impl FnMut(Node<'t>) -> bool) {
    // A cursor never moves past the node it starts on: no sibling or parent of `root` is seen.
    let mut cursor = root.walk();
    loop {
        if visit(cursor.node()) && cursor.goto_first_child() {
            continue;
        }
        while !cursor.goto_next_sibling() {
            if !cursor.goto_parent() {
                return;
            }
        }
    }
}

/// The name a macro renames to, from its value: `#define close closesocket` renames `close`
/// to `closesocket`; `#define sclose(x) closesocket(x)` renames `sclose` to `closesocket` (a
/// function-like macro whose body calls one function). `None` for any other value.
pub fn rename_target(value: &str, function_like: bool) -> Option<&str> {
    let value = value.trim();
    if function_like {
        // One call: the `(` after the name closes at the end of the body.
        let open = value.find('(')?;
        let mut depth = 0usize;
        for (i, b) in value.bytes().enumerate().skip(open) {
            match b {
                b'(' => depth += 1,
                b')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 && i + 1 != value.len() {
                        return None;
                    }
                }
                _ => {}
            }
        }
        Some(value[..open].trim())
            .filter(|f| !f.is_empty() && f.bytes().all(crate::lang::is_ident_byte))
            .filter(|_| value.ends_with(')'))
    } else {
        Some(value).filter(|v| {
            !v.is_empty()
                && v.bytes().all(crate::lang::is_ident_byte)
                && !v.as_bytes()[0].is_ascii_digit()
        })
    }
}

/// What encloses the nodes passed so far while building the facts, by node id (see
/// `Facts::enclosing_kind_memo`): the field list around a field, the block, function, `for` or
/// lambda around a variable, the preprocessor branch around an `#include`.
#[derive(Default)]
struct Scopes<'t> {
    fields: HashMap<usize, Option<Node<'t>>>,
    locals: HashMap<usize, Option<Node<'t>>>,
    conditions: HashMap<usize, Option<Node<'t>>>,
}

/// Nodes deeper than this have their parent recorded in `Facts::parent`: tree-sitter finds a
/// node's parent by descending from the root, so walking up from a node `d` levels deep costs
/// `d` steps per level, which on deeply nested input (100,000 levels) is quadratic per node.
const RECORDED_PARENT_DEPTH: usize = 64;

/// The parents of the nodes under `root` that are deeper than `RECORDED_PARENT_DEPTH`, by node
/// id, from one iterative walk (usually empty: real code is shallower).
fn deep_parents<'t>(root: Node<'t>) -> HashMap<usize, Node<'t>> {
    let mut out = HashMap::new();
    let mut cursor = root.walk();
    let mut ancestors: Vec<Node<'t>> = Vec::new();
    loop {
        let node = cursor.node();
        if cursor.goto_first_child() {
            ancestors.push(node);
            if ancestors.len() > RECORDED_PARENT_DEPTH {
                out.insert(cursor.node().id(), node);
            }
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                if ancestors.len() > RECORDED_PARENT_DEPTH {
                    if let Some(&p) = ancestors.last() {
                        out.insert(cursor.node().id(), p);
                    }
                }
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
            ancestors.pop();
        }
    }
}

/// Strips parentheses, casts (C and C++) and `*`/`&` wrappers that do not change which object
/// an expression names.
pub fn unwrap_parens(mut node: Node) -> Node {
    loop {
        let next = match node.kind_name() {
            "parenthesized_expression" => node.named_child(0),
            "cast_expression" => node.field("value"),
            _ => None,
        };
        match next {
            Some(n) => node = n,
            None => return node,
        }
    }
}

/// Strips casts, including C++ named casts (`static_cast<HANDLE>(s)`), to the operand.
pub fn unwrap_casts(node: Node) -> Node {
    let mut node = unwrap_parens(node);
    loop {
        if node.kind_name() == "call_expression" {
            let func = node.field("function");
            let is_named_cast = func.is_some_and(|f| {
                f.kind_name() == "template_function"
                    && f.field("name").is_some_and(|n| {
                        matches!(
                            n.kind_name(),
                            "identifier" | "static_cast" | "reinterpret_cast" | "const_cast"
                        )
                    })
            });
            let named = func.and_then(|f| f.child(0)).map(|n| n.kind_name());
            if is_named_cast
                || matches!(
                    named,
                    Some("static_cast" | "reinterpret_cast" | "const_cast" | "dynamic_cast")
                )
            {
                if let Some(arg) = node.field("arguments").and_then(|a| a.named_child(0)) {
                    node = unwrap_parens(arg);
                    continue;
                }
            }
        }
        return node;
    }
}

/// The expressions a value may come from: the value itself through parentheses and casts, or
/// each arm of a conditional expression (`v6 ? socket(AF_INET6, ...) : socket(AF_INET, ...)`),
/// arms of nested ones included. Never empty.
pub fn value_arms(node: Node) -> Vec<Node> {
    let mut out = Vec::new();
    let mut work = vec![node];
    while let Some(n) = work.pop() {
        let n = unwrap_casts(n);
        match (
            n.kind_name(),
            n.field("consequence"),
            n.field("alternative"),
        ) {
            ("conditional_expression", Some(c), Some(a)) => {
                work.push(a);
                work.push(c);
            }
            _ => out.push(n),
        }
    }
    out
}

/// The function a callee names when it is the global one, however spelled: `f`, `::f`,
/// `std::f`, `::std::f` all name `f`. A member (`obj.f`), a function of a namespace or class
/// (`Conn::f`) or a template (`f<T>`) names another function: `None`.
pub fn global_callee<'a>(callee: Node, text: &'a [u8]) -> Option<&'a str> {
    if !matches!(callee.kind_name(), "identifier" | "qualified_identifier") {
        return None;
    }
    let written = std::str::from_utf8(&text[callee.byte_range()]).ok()?.trim();
    let name = written.strip_prefix("::").unwrap_or(written).trim_start();
    let name = name
        .strip_prefix("std")
        .and_then(|rest| rest.trim_start().strip_prefix("::"))
        .unwrap_or(name)
        .trim_start();
    (!name.is_empty() && name.bytes().all(crate::lang::is_ident_byte)).then_some(name)
}

/// Integer types Windows and C code name without a keyword, which C++ code also casts to
/// with the functional notation (`DWORD(s)`, `unsigned(s)`).
const INTEGER_TYPE_NAMES: &[&str] = &[
    "unsigned",
    "signed",
    "DWORD",
    "ULONG",
    "LONG",
    "UINT",
    "INT",
    "WORD",
    "SHORT",
    "USHORT",
    "BYTE",
    "BOOL",
    "u_int",
    "u_long",
    "u_short",
    "int32_t",
    "uint32_t",
    "int64_t",
    "uint64_t",
    "intptr_t",
    "uintptr_t",
    "size_t",
    "UINT_PTR",
    "ULONG_PTR",
    "DWORD_PTR",
    "INT_PTR",
    "LONG_PTR",
    "__int32",
    "__int64",
    "SOCKET",
    "HANDLE",
];

/// A conversion of `value` to the type `ty`.
#[derive(Clone, Copy, Debug)]
pub struct Cast<'t> {
    /// The type as written: the `type_descriptor` of `(T)x` and `static_cast<T>(x)`, the
    /// callee of `T(x)`.
    pub ty: Node<'t>,
    pub value: Node<'t>,
}

/// A function definition or a C++ lambda.
#[derive(Clone, Debug)]
pub struct Function<'t> {
    pub node: Node<'t>,
    /// The declared name (`Conn::close` for a C++ method), empty for a lambda.
    pub name: String,
    pub body: Node<'t>,
    pub params: Vec<Decl>,
}

impl Function<'_> {
    /// The name without a class or namespace qualifier.
    pub fn short_name(&self) -> &str {
        self.name.rsplit("::").next().unwrap_or(&self.name)
    }
}

/// A call expression with its callee resolved.
#[derive(Clone, Debug)]
pub struct Call<'t> {
    pub node: Node<'t>,
    /// The callee after macro renames and qualifiers: `::closesocket` -> `closesocket`,
    /// `close` under `#define close closesocket` -> `closesocket`, `conn.Close` -> `Close`.
    pub name: String,
    /// The callee as written in the source (`::closesocket`, `close`, `conn.Close`).
    pub written: String,
    /// The callee node (for spans: the function name).
    pub callee: Node<'t>,
    /// A member call (`obj.f()`, `p->f()`): `name` is the member.
    pub member: bool,
    pub args: Vec<Node<'t>>,
    /// Index into `Facts::functions` of the innermost enclosing function.
    pub function: Option<usize>,
}

impl<'t> Call<'t> {
    pub fn arg(&self, i: usize) -> Option<Node<'t>> {
        self.args.get(i).copied()
    }

    /// Whether a macro renamed the callee (`swrite` under `#define swrite(s, b, n) send(s, b,
    /// n, 0)`): the call as written is the macro's, whose arity is its own. Qualifiers and
    /// member access are not renames (`::send`, `std::send`, `conn.Close`).
    pub fn renamed_by_macro(&self) -> bool {
        let last = self
            .written
            .rsplit(['.', ':', '>'])
            .next()
            .unwrap_or(&self.written);
        last != self.name
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeclKind {
    Global,
    Local,
    Param,
    Field,
}

/// A declared name with its type as written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decl {
    pub name: String,
    /// The type specifier as written (`SOCKET`, `unsigned int`, `struct conn`).
    pub ty: String,
    pub pointer: bool,
    pub kind: DeclKind,
    /// Where the name is visible: the function (or block) for locals and parameters, the
    /// struct for fields, the whole file for globals.
    pub scope: Range<usize>,
    /// The declarator's range (the name, for spans).
    pub range: Range<usize>,
    /// The initializer, when declared with one (`SOCKET s = socket(...)`).
    pub init: Option<Range<usize>>,
}

/// An assignment `name = value` (or an initialization) inside a function.
#[derive(Clone, Debug)]
pub struct Assignment<'t> {
    /// The assigned expression as written (`s`, `conn->sock`).
    pub target: String,
    pub target_node: Node<'t>,
    pub value: Node<'t>,
    pub function: Option<usize>,
}

/// A `#include`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Include {
    /// The header as written, without quotes or angle brackets (`winsock2.h`).
    pub header: String,
    pub range: Range<usize>,
    /// The range of the `#include` directive (for ordering against `#define`s).
    pub directive: Range<usize>,
    /// Under an `#if`/`#ifdef` (any condition), rather than included unconditionally.
    pub conditional: bool,
}

/// A `#define NAME value`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Define {
    pub name: String,
    pub name_range: Range<usize>,
    pub value: String,
    pub directive: Range<usize>,
    pub function_like: bool,
}

/// Everything a rule may ask about one file.
pub struct Facts<'t> {
    pub text: &'t [u8],
    pub functions: Vec<Function<'t>>,
    pub calls: Vec<Call<'t>>,
    pub decls: Vec<Decl>,
    /// Indices into `decls` by name: name lookups run for every identifier a rule asks about.
    decl_index: HashMap<String, Vec<usize>>,
    /// The globals and fields of each name (indices into `decls`, in document order).
    outer_index: HashMap<String, Vec<usize>>,
    /// The locals and parameters of each name, nested by scope (see `ScopedDecls`).
    local_index: HashMap<String, ScopedDecls>,
    /// For each function, the innermost function around it (lambdas nest).
    function_parents: Vec<Option<usize>>,
    /// The parents of deeply nested nodes (see `Facts::parent`).
    parents: HashMap<usize, Node<'t>>,
    pub assignments: Vec<Assignment<'t>>,
    pub loops: Vec<Loop<'t>>,
    pub regions: Vec<Region>,
    /// The body of every preprocessor branch (`#if`, `#elif`, `#else`), whatever its condition,
    /// read from the text, sorted by start.
    pub branches: Vec<Range<usize>>,
    pub comments: Vec<Node<'t>>,
    pub includes: Vec<Include>,
    pub defines: Vec<Define>,
    /// Renames made by the file's own macros: `#define close closesocket` maps `close` to
    /// `closesocket`; `#define sclose(x) closesocket(x)` maps `sclose` to `closesocket`.
    pub renames: HashMap<String, String>,
    /// Type aliases made in the file: `typedef SOCKET sock_t;` maps `sock_t` to `SOCKET`.
    pub typedefs: HashMap<String, String>,
    /// Nodes of ERROR and MISSING kinds: findings inside them rest on tree-sitter's guesswork.
    pub errors: Vec<Range<usize>>,
    pub socket_types: sockets::SocketTypes,
    /// Struct, class and union bodies by name (and by the typedef names given to them):
    /// `struct conn { SOCKET sock; }` maps `conn` to the range of its field list.
    pub records: HashMap<String, Range<usize>>,
    /// Member functions declared or defined inside a class body: (name, the class's field list).
    pub methods: Vec<(String, Range<usize>)>,
    /// The short names of the functions defined in the file, built when first asked for.
    defined: std::sync::OnceLock<std::collections::HashSet<String>>,
    /// The macros and functions that yield the Winsock error, built when first asked for
    /// (see `errors::error_sources`).
    error_sources: std::sync::OnceLock<HashMap<String, errors::SourceKind>>,
    /// A project header the file includes, directly or not, includes a Windows header (see
    /// `project::index::Imports`).
    pub windows_through_includes: bool,
    /// The file is Windows code at all (see `platform::is_windows_code`).
    pub windows_code: bool,
    /// The file is written for Windows alone (see `platform::is_windows_program`).
    pub windows_program: bool,
}

impl<'t> Facts<'t> {
    /// Builds the facts of a file in one walk over its tree.
    pub fn build(root: Node<'t>, text: &'t [u8], config: &Config) -> Facts<'t> {
        Facts::build_with(root, text, config, None)
    }

    /// `build`, knowing what the project headers the file includes define (see
    /// `project::index`): their renames and type aliases hold in the file unless it makes its
    /// own.
    pub fn build_with(
        root: Node<'t>,
        text: &'t [u8],
        config: &Config,
        imports: Option<&crate::project::index::Imports>,
    ) -> Facts<'t> {
        let mut facts = Facts {
            text,
            functions: Vec::new(),
            calls: Vec::new(),
            decls: Vec::new(),
            assignments: Vec::new(),
            loops: Vec::new(),
            regions: Vec::new(),
            branches: platform::branch_bodies(text),
            comments: Vec::new(),
            includes: Vec::new(),
            defines: Vec::new(),
            renames: imports.map(|i| i.renames.clone()).unwrap_or_default(),
            typedefs: imports.map(|i| i.typedefs.clone()).unwrap_or_default(),
            errors: Vec::new(),
            socket_types: sockets::SocketTypes::default(),
            decl_index: HashMap::new(),
            windows_through_includes: imports.is_some_and(|i| i.windows_header),
            outer_index: HashMap::new(),
            local_index: HashMap::new(),
            function_parents: Vec::new(),
            parents: deep_parents(root),
            windows_code: false,
            windows_program: false,
            records: HashMap::new(),
            methods: Vec::new(),
            defined: Default::default(),
            error_sources: Default::default(),
        };
        let mut raw_calls = Vec::new();
        let mut ifdefs = Vec::new();
        let mut scopes = Scopes::default();
        walk(root, |node| match node.kind_name() {
            "function_definition" | "lambda_expression" => facts.add_function(node),
            "call_expression" => raw_calls.push(node),
            "declaration" | "field_declaration" => facts.add_declaration(node, root, &mut scopes),
            "init_declarator" | "assignment_expression" => facts.add_assignment(node),
            "for_statement" | "while_statement" | "do_statement" | "for_range_loop" => {
                facts.loops.push(Loop::new(node, text))
            }
            "preproc_ifdef" | "preproc_if" => {
                platform::regions_of(node, text, &facts.branches, &mut facts.regions);
                if node.kind_name() == "preproc_ifdef" {
                    ifdefs.push(node);
                }
            }
            "comment" => facts.comments.push(node),
            "preproc_include" => facts.add_include(node, &mut scopes),
            "preproc_def" | "preproc_function_def" => facts.add_define(node),
            "type_definition" => facts.add_typedef(node),
            "struct_specifier" | "class_specifier" | "union_specifier" => facts.add_record(node),
            "ERROR" => facts.errors.push(node.byte_range()),
            _ => {
                if node.is_missing() {
                    facts.errors.push(node.byte_range());
                }
            }
        });
        // Directives tree-sitter could not place (an `#if` splitting `} else if`) are read from
        // the text as well: for simple conditions the text says the same as the tree.
        platform::textual_regions(text, &mut facts.regions);
        // Functions were pushed in document order; nested lambdas follow their parent.
        for node in raw_calls {
            facts.add_call(node);
        }
        facts.add_posix_only_macro_regions(&ifdefs);
        if let Some(imports) = imports {
            facts.add_project_macro_regions(&ifdefs, &imports.platform_macros);
        }
        for (i, d) in facts.decls.iter().enumerate() {
            facts.decl_index.entry(d.name.clone()).or_default().push(i);
            if !matches!(d.kind, DeclKind::Local | DeclKind::Param) {
                facts.outer_index.entry(d.name.clone()).or_default().push(i);
            }
        }
        facts.local_index = ScopedDecls::index(&facts.decls);
        facts.socket_types = sockets::SocketTypes::new(config, &facts.typedefs);
        facts.windows_code = platform::is_windows_code(&facts);
        facts.windows_program = platform::is_windows_program(&facts);
        facts
    }

    /// The parent of a node of this file's tree, as `Node::parent` finds it, without its cost
    /// on deeply nested code.
    pub fn parent(&self, node: Node<'t>) -> Option<Node<'t>> {
        match self.parents.get(&node.id()) {
            Some(&p) => Some(p),
            None => node.parent(),
        }
    }

    /// The innermost ancestor of `node` of one of `kinds` (see `enclosing_kind`).
    pub fn enclosing_kind(&self, node: Node<'t>, kinds: &[&str]) -> Option<Node<'t>> {
        let mut cur = self.parent(node);
        while let Some(n) = cur {
            if kinds.contains(&n.kind_name()) {
                return Some(n);
            }
            cur = self.parent(n);
        }
        None
    }

    /// Whether the file defines a function of this short name (`open` for `Conn::open`).
    pub fn defines(&self, short_name: &str) -> bool {
        self.defined
            .get_or_init(|| {
                let names = self.functions.iter().map(|f| f.short_name().to_string());
                names.collect()
            })
            .contains(short_name)
    }

    pub fn text_of(&self, node: Node) -> &'t str {
        std::str::from_utf8(&self.text[node.byte_range()]).unwrap_or("")
    }

    fn add_function(&mut self, node: Node<'t>) {
        let Some(body) = node.field("body") else {
            return;
        };
        let declarator = node.field("declarator");
        let func_decl = declarator.and_then(find_function_declarator);
        let name = func_decl
            .and_then(|d| d.field("declarator"))
            .map(|n| self.text_of(n).to_string())
            .unwrap_or_default();
        let mut params = Vec::new();
        let param_list = func_decl.and_then(|d| d.field("parameters")).or_else(|| {
            // A lambda: `[&](SOCKET s) { ... }`.
            declarator.and_then(|d| d.field("parameters"))
        });
        if let Some(list) = param_list {
            let mut cursor = list.walk();
            for p in list.named_children(&mut cursor) {
                if !matches!(
                    p.kind_name(),
                    "parameter_declaration" | "optional_parameter_declaration"
                ) {
                    continue;
                }
                let ty = p
                    .field("type")
                    .map(|t| self.text_of(t).to_string())
                    .unwrap_or_default();
                if let Some(d) = p.field("declarator") {
                    let (name_node, pointer) = declarator_name(d);
                    if let Some(n) = name_node {
                        params.push(Decl {
                            name: self.text_of(n).to_string(),
                            ty,
                            pointer,
                            kind: DeclKind::Param,
                            scope: node.byte_range(),
                            range: n.byte_range(),
                            init: None,
                        });
                    }
                }
            }
        }
        self.decls.extend(params.iter().cloned());
        if let Some(list) = self
            .parent(node)
            .filter(|p| p.kind_name() == "field_declaration_list")
        {
            let short = name.rsplit("::").next().unwrap_or(&name).to_string();
            self.methods.push((short, list.byte_range()));
        }
        // Functions come in document order: the ones already here tell which holds this one.
        let parent = self.function_at(node.start_byte());
        self.function_parents.push(parent);
        self.functions.push(Function {
            node,
            name,
            body,
            params,
        });
    }

    /// `enclosing_kind`, remembering in `memo` the answer for every ancestor passed on the way
    /// up: each node walks up only to the first ancestor already answered, not to the root
    /// (thousands of declarations in an `#if`/`#else` chain thousands of levels deep).
    fn enclosing_kind_memo(
        &self,
        node: Node<'t>,
        kinds: &[&str],
        memo: &mut HashMap<usize, Option<Node<'t>>>,
    ) -> Option<Node<'t>> {
        let mut passed = Vec::new();
        let mut cur = self.parent(node);
        let found = loop {
            let Some(n) = cur else { break None };
            if kinds.contains(&n.kind_name()) {
                break Some(n);
            }
            if let Some(&known) = memo.get(&n.id()) {
                break known;
            }
            passed.push(n.id());
            cur = self.parent(n);
        };
        for id in passed {
            memo.insert(id, found);
        }
        found
    }

    fn add_declaration(&mut self, node: Node<'t>, root: Node<'t>, scopes: &mut Scopes<'t>) {
        let Some(ty_node) = node.field("type") else {
            return;
        };
        let ty = self.text_of(ty_node).to_string();
        let field = node.kind_name() == "field_declaration";
        let scope_node = if field {
            self.enclosing_kind_memo(node, &["field_declaration_list"], &mut scopes.fields)
                .unwrap_or(root)
        } else {
            self.enclosing_kind_memo(
                node,
                &[
                    "compound_statement",
                    "function_definition",
                    "for_statement",
                    "lambda_expression",
                ],
                &mut scopes.locals,
            )
            .unwrap_or(root)
        };
        let kind = if field {
            DeclKind::Field
        } else if scope_node == root || scope_node.kind_name() == "translation_unit" {
            DeclKind::Global
        } else {
            DeclKind::Local
        };
        let mut cursor = node.walk();
        for d in node.children_by_field_name("declarator", &mut cursor) {
            let init = (d.kind_name() == "init_declarator")
                .then(|| d.field("value").map(|v| v.byte_range()))
                .flatten();
            // Inside a class, a function declarator declares a method.
            if field {
                if let Some(m) = find_function_declarator(d).and_then(|f| f.field("declarator")) {
                    self.methods
                        .push((self.text_of(m).to_string(), scope_node.byte_range()));
                    continue;
                }
            }
            let (name_node, pointer) = declarator_name(d);
            let Some(n) = name_node else { continue };
            // A function prototype is not a variable.
            if has_function_declarator(d) {
                continue;
            }
            self.decls.push(Decl {
                name: self.text_of(n).to_string(),
                ty: ty.clone(),
                pointer,
                kind,
                scope: scope_node.byte_range(),
                range: n.byte_range(),
                init,
            });
        }
    }

    fn add_assignment(&mut self, node: Node<'t>) {
        let (target, value) = if node.kind_name() == "init_declarator" {
            let target = node.field("declarator").and_then(|d| declarator_name(d).0);
            (target, node.field("value"))
        } else {
            let op = node.field("operator").map(|o| o.kind_name());
            if op != Some("=") {
                return;
            }
            (node.field("left"), node.field("right"))
        };
        if let (Some(t), Some(v)) = (target, value) {
            self.assignments.push(Assignment {
                target: self.text_of(t).to_string(),
                target_node: t,
                value: v,
                function: self.function_at(node.start_byte()),
            });
        }
    }

    fn add_call(&mut self, node: Node<'t>) {
        let Some(callee) = node.field("function") else {
            return;
        };
        let written = self.text_of(callee).to_string();
        let (base, member) = match callee.kind_name() {
            "identifier" => (written.clone(), false),
            "qualified_identifier" => (
                written.rsplit("::").next().unwrap_or("").trim().to_string(),
                false,
            ),
            "field_expression" => (
                callee
                    .field("field")
                    .map(|f| self.text_of(f).to_string())
                    .unwrap_or_default(),
                true,
            ),
            "template_function" => (
                callee
                    .field("name")
                    .map(|f| {
                        self.text_of(f)
                            .rsplit("::")
                            .next()
                            .unwrap_or("")
                            .to_string()
                    })
                    .unwrap_or_default(),
                false,
            ),
            _ => return,
        };
        let name = if member {
            base
        } else {
            self.resolve_rename(&base)
        };
        let args = node
            .field("arguments")
            .map(|a| {
                let mut cursor = a.walk();
                a.named_children(&mut cursor)
                    .filter(|c| c.kind_name() != "comment")
                    .collect()
            })
            .unwrap_or_default();
        let function = self.function_at(node.start_byte());
        self.calls.push(Call {
            node,
            name,
            written,
            callee,
            member,
            args,
            function,
        });
    }

    /// The cast `node` is, if it is one: a C cast `(T)x`, a C++ named cast (`static_cast<T>(x)`,
    /// `reinterpret_cast`, `const_cast`, `dynamic_cast`), or a functional cast `T(x)` of a
    /// primitive type (`int(s)`), of an integer type Windows names (`DWORD(s)`,
    /// `unsigned(s)`) or of a type the file names with `typedef` - unless the file defines a
    /// function of that name. `(SOCKET)(x)` of such a type is a C cast the parser took for a
    /// call.
    pub fn cast_of(&self, node: Node<'t>) -> Option<Cast<'t>> {
        match node.kind_name() {
            "cast_expression" => Some(Cast {
                ty: node.field("type")?,
                value: node.field("value")?,
            }),
            "call_expression" => {
                let callee = node.field("function")?;
                let args = node.field("arguments")?;
                let mut cursor = args.walk();
                let mut values = args
                    .named_children(&mut cursor)
                    .filter(|a| a.kind_name() != "comment");
                let (Some(value), None) = (values.next(), values.next()) else {
                    return None;
                };
                let ty = match callee.kind_name() {
                    "template_function" => {
                        let name = callee.field("name")?;
                        if !matches!(
                            self.text_of(name),
                            "static_cast" | "reinterpret_cast" | "const_cast" | "dynamic_cast"
                        ) {
                            return None;
                        }
                        let types = callee.field("arguments")?;
                        types.named_child(0)?
                    }
                    "primitive_type" | "sized_type_specifier" => callee,
                    // `(SOCKET)(x)`, which a C parser that does not know the type reads as a
                    // call through a parenthesized name.
                    "identifier" | "parenthesized_expression" => {
                        let callee = if callee.kind_name() == "parenthesized_expression" {
                            callee
                                .named_child(0)
                                .filter(|n| n.kind_name() == "identifier")?
                        } else {
                            callee
                        };
                        let name = self.text_of(callee);
                        let is_type =
                            INTEGER_TYPE_NAMES.contains(&name) || self.typedefs.contains_key(name);
                        if !is_type || self.defines(name) {
                            return None;
                        }
                        callee
                    }
                    _ => return None,
                };
                Some(Cast { ty, value })
            }
            _ => None,
        }
    }

    /// Follows the file's own macro renames (at most a few steps: macros may be circular).
    pub fn resolve_rename(&self, name: &str) -> String {
        let mut current = name;
        for _ in 0..4 {
            match self.renames.get(current) {
                Some(next) if next != current => current = next,
                _ => break,
            }
        }
        current.to_string()
    }

    fn add_include(&mut self, node: Node<'t>, scopes: &mut Scopes<'t>) {
        if let Some(path) = node.field("path") {
            let header = self
                .text_of(path)
                .trim_matches(|c| c == '<' || c == '>' || c == '"')
                .to_string();
            let conditional = self
                .enclosing_kind_memo(
                    node,
                    &[
                        "preproc_if",
                        "preproc_ifdef",
                        "preproc_elif",
                        "preproc_else",
                        "preproc_elifdef",
                    ],
                    &mut scopes.conditions,
                )
                .is_some();
            self.includes.push(Include {
                header,
                range: path.byte_range(),
                directive: node.byte_range(),
                conditional,
            });
        }
    }

    fn add_define(&mut self, node: Node<'t>) {
        let Some(name_node) = node.field("name") else {
            return;
        };
        let name = self.text_of(name_node).to_string();
        let value = node
            .field("value")
            .map(|v| self.text_of(v).trim().to_string())
            .unwrap_or_default();
        let function_like = node.kind_name() == "preproc_function_def";
        let target = rename_target(&value, function_like);
        // `#define CLOSE_FD(s) close(s)` in the POSIX branch does not undo the Windows
        // branch's `#define CLOSE_FD(s) closesocket(s)`: the facts describe the Windows build.
        if let Some(t) = target.filter(|_| !self.not_for_windows(node.start_byte())) {
            self.renames.insert(name.clone(), t.to_string());
        }
        self.defines.push(Define {
            name,
            name_range: name_node.byte_range(),
            value,
            directive: node.byte_range(),
            function_like,
        });
    }

    fn add_record(&mut self, node: Node<'t>) {
        let Some(body) = node.field("body") else {
            return;
        };
        if let Some(name) = node.field("name") {
            let name = self.text_of(name);
            let short = name.rsplit("::").next().unwrap_or(name).trim().to_string();
            self.records.insert(short, body.byte_range());
        }
        // `typedef struct { ... } conn_t;`
        if let Some(parent) = self
            .parent(node)
            .filter(|p| p.kind_name() == "type_definition")
        {
            let mut cursor = parent.walk();
            for d in parent.children_by_field_name("declarator", &mut cursor) {
                if let (Some(n), false) = declarator_name(d) {
                    self.records
                        .insert(self.text_of(n).to_string(), body.byte_range());
                }
            }
        }
    }

    fn add_typedef(&mut self, node: Node<'t>) {
        let Some(ty) = node.field("type") else {
            return;
        };
        // `typedef int sock_t;` in the POSIX branch does not undo `typedef SOCKET sock_t;`:
        // the facts describe the Windows build. (Regions are known here: a `#if` is visited
        // before the code under it.)
        if self.not_for_windows(node.start_byte()) {
            return;
        }
        let ty = self.text_of(ty).to_string();
        let mut cursor = node.walk();
        for d in node.children_by_field_name("declarator", &mut cursor) {
            let (name, pointer) = declarator_name(d);
            if let (Some(n), false) = (name, pointer) {
                self.typedefs
                    .insert(self.text_of(n).to_string(), ty.clone());
            }
        }
    }

    /// Index of the innermost function (or lambda) containing `offset`.
    pub fn function_at(&self, offset: usize) -> Option<usize> {
        // Functions are in document order and nest only as lambdas: the last one that starts
        // before `offset` and contains it is the innermost.
        // Those around `offset` are the last one that starts before it and the ones it nests
        // in, so only that chain is read (not every function before `offset`).
        let end = self
            .functions
            .partition_point(|f| f.node.start_byte() <= offset);
        let mut cur = end.checked_sub(1);
        while let Some(i) = cur {
            if self.functions[i].node.end_byte() > offset {
                return Some(i);
            }
            cur = self.function_parents.get(i).copied().flatten();
        }
        None
    }

    /// The calls inside `range`, in document order.
    pub fn calls_in(&self, range: Range<usize>) -> impl Iterator<Item = &Call<'t>> {
        let start = self
            .calls
            .partition_point(|c| c.node.start_byte() < range.start);
        self.calls[start..]
            .iter()
            .take_while(move |c| c.node.start_byte() < range.end)
            .filter(move |c| c.node.end_byte() <= range.end)
    }

    /// The calls of a function body to any of `names`.
    pub fn calls_named<'a>(&'a self, names: &'a [&str]) -> impl Iterator<Item = &'a Call<'t>> + 'a {
        self.calls
            .iter()
            .filter(move |c| names.contains(&c.name.as_str()))
    }

    /// The call whose node is `node`.
    pub fn call_of(&self, node: Node) -> Option<&Call<'t>> {
        let i = self
            .calls
            .partition_point(|c| c.node.start_byte() < node.start_byte());
        self.calls[i..]
            .iter()
            .take_while(|c| c.node.start_byte() == node.start_byte())
            .find(|c| c.node.id() == node.id())
    }

    /// The loops containing `offset`, innermost first. A loop that runs once (`Loop::once`) is
    /// no loop and is left out.
    pub fn loops_around(&self, offset: usize) -> impl Iterator<Item = &Loop<'t>> {
        let mut around: Vec<&Loop<'t>> = self
            .loops
            .iter()
            .filter(|l| !l.once && l.node.start_byte() <= offset && offset < l.node.end_byte())
            .collect();
        around.sort_by_key(|l| std::cmp::Reverse(l.node.start_byte()));
        around.into_iter()
    }

    /// The loops containing `offset` inside the same function, innermost first.
    pub fn loops_in_function_around(&self, offset: usize) -> Vec<&Loop<'t>> {
        let func = self.function_at(offset).map(|i| &self.functions[i]);
        self.loops_around(offset)
            .filter(|l| {
                func.is_none_or(|f| f.node.byte_range().contains(&l.node.start_byte()))
                    && self.function_at(l.node.start_byte())
                        == func.and_then(|f| self.function_at(f.node.start_byte()))
            })
            .collect()
    }

    /// What the preprocessor branches around `offset` say.
    pub fn platform_at(&self, offset: usize) -> Platform {
        platform::platform_in(&self.regions, offset)
    }

    /// Code that is never compiled for Windows (a POSIX branch or `#if 0`): rules about
    /// Windows semantics stay silent there.
    pub fn not_for_windows(&self, offset: usize) -> bool {
        matches!(
            self.platform_at(offset),
            Platform::NonWindows | Platform::Dead
        )
    }

    /// Whether a range overlaps a syntax error (tree-sitter's guesswork).
    /// Whether a finding at `range` rests on tree-sitter's guesswork: a syntax error (ERROR or
    /// MISSING) lies within it, or the code it points at sits in an ERROR node with no
    /// statement or declaration in between (tree-sitter could not make it one). Code that a
    /// large ERROR node merely wraps (a macro the parser cannot expand around a function) is
    /// parsed into proper statements, and a finding there does not rest on the error.
    pub fn rests_on_error(&self, root: Node<'t>, range: Range<usize>) -> bool {
        if !self.in_error(range.clone()) {
            return false;
        }
        if self
            .errors
            .iter()
            .any(|e| range.start <= e.start && e.end <= range.end)
        {
            return true;
        }
        let mut node = root.descendant_for_byte_range(range.start, range.end);
        while let Some(n) = node {
            let kind = n.kind_name();
            if kind == "ERROR" {
                return true;
            }
            if kind.ends_with("_statement")
                || kind.ends_with("declaration")
                || matches!(kind, "function_definition" | "translation_unit")
            {
                return false;
            }
            node = self.parent(n);
        }
        false
    }

    pub fn in_error(&self, range: Range<usize>) -> bool {
        self.errors
            .iter()
            .any(|e| e.start < range.end.max(range.start + 1) && range.start < e.end)
    }

    /// The declaration a name refers to at `offset`: the innermost local or parameter whose
    /// scope contains it, else a global, else a struct or class field of that name. Of locals
    /// declared in sibling preprocessor branches (`SOCKET l` under `#if A`, `int l` under
    /// `#else`), the one whose branch holds the use; none when the use sits outside all of
    /// them and they disagree on the type.
    /// The declarations of `name`, in document order.
    pub fn decls_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Decl> + 'a {
        self.decl_index
            .get(name)
            .into_iter()
            .flatten()
            .map(move |&i| &self.decls[i])
    }

    /// The globals and fields named `name`, in document order.
    pub fn outer_decls_named<'a>(&'a self, name: &str) -> impl Iterator<Item = &'a Decl> + 'a {
        self.outer_index
            .get(name)
            .into_iter()
            .flatten()
            .map(move |&i| &self.decls[i])
    }

    pub fn decl_of(&self, name: &str, offset: usize) -> Option<&Decl> {
        if let Some(d) = self
            .local_index
            .get(name)
            .and_then(|scoped| self.local_decl(scoped, offset))
        {
            return d;
        }
        let mut best: Option<&Decl> = None;
        for d in self.outer_decls_named(name) {
            match d.kind {
                DeclKind::Local | DeclKind::Param => {}
                DeclKind::Global => {
                    if best.is_none_or(|b| b.kind == DeclKind::Field) {
                        best = Some(d);
                    }
                }
                DeclKind::Field => {
                    if best.is_none() {
                        best = Some(d);
                    }
                }
            }
        }
        best
    }

    /// `decl_of` among the locals and parameters of one name: `None` when none is in scope at
    /// `offset`, `Some(None)` when those in scope disagree. The ones in scope are the chain of
    /// scopes around `offset`, tightest scope and latest declaration first, so the first that
    /// reaches `offset` is the one `decl_of` picks; the rest of the chain is read only when
    /// none reaches it.
    fn local_decl(&self, scoped: &ScopedDecls, offset: usize) -> Option<Option<&Decl>> {
        let decl = |k: usize| &self.decls[scoped.order[k]];
        let last = scoped
            .order
            .partition_point(|&i| self.decls[i].scope.start <= offset);
        let mut cur = last.checked_sub(1);
        while let Some(k) = cur.filter(|&k| !decl(k).scope.contains(&offset)) {
            cur = scoped.parent[k];
        }
        let mut chain = std::iter::successors(cur, |&k| scoped.parent[k])
            .map(decl)
            .filter(|d| d.range.start <= offset);
        let first = chain.next()?;
        let Some(second) = chain.next() else {
            return Some(Some(first));
        };
        let mut rest = [first, second].into_iter().chain(chain);
        if let Some(d) = rest
            .by_ref()
            .find(|d| self.branch_reaches(d.range.start, offset))
        {
            return Some(Some(d));
        }
        // None reaches `offset`: the tightest, unless one of its scope says another type.
        let conflict = std::iter::successors(cur, |&k| scoped.parent[k])
            .map(decl)
            .filter(|d| d.range.start <= offset)
            .take_while(|d| d.scope == first.scope)
            .any(|d| d.ty != first.ty);
        Some((!conflict).then_some(first))
    }

    /// Whether code at `from` reaches `to` as far as the preprocessor goes: every branch that
    /// holds `from` also holds `to` (a declaration under `#if A` does not reach its `#else`).
    pub fn branch_reaches(&self, from: usize, to: usize) -> bool {
        let end = self.branches.partition_point(|b| b.start <= from);
        self.branches[..end]
            .iter()
            .all(|b| !b.contains(&from) || b.contains(&to))
    }

    /// Whether `node` lies inside `outer` (or is it).
    pub fn within(node: Node, outer: Node) -> bool {
        outer.start_byte() <= node.start_byte() && node.end_byte() <= outer.end_byte()
    }
}

/// The locals and parameters of one name, for `decl_of`: their scopes are ranges of one tree,
/// so they nest or are apart, and the ones that hold an offset form a chain.
#[derive(Debug, Default)]
struct ScopedDecls {
    /// Indices into `decls`, by scope start, the wider scope first, then by declaration.
    order: Vec<usize>,
    /// For each entry of `order`, the previous entry whose scope holds its scope (the one
    /// declared before it in the same scope, or one of an enclosing scope).
    parent: Vec<Option<usize>>,
}

impl ScopedDecls {
    fn index(decls: &[Decl]) -> HashMap<String, ScopedDecls> {
        let mut out: HashMap<String, ScopedDecls> = HashMap::new();
        for (i, d) in decls.iter().enumerate() {
            if matches!(d.kind, DeclKind::Local | DeclKind::Param) {
                out.entry(d.name.clone()).or_default().order.push(i);
            }
        }
        for scoped in out.values_mut() {
            scoped.order.sort_by_key(|&i| {
                let d = &decls[i];
                (d.scope.start, std::cmp::Reverse(d.scope.end), d.range.start)
            });
            scoped.parent = nesting(scoped.order.iter().map(|&i| decls[i].scope.clone()));
        }
        out
    }
}

/// For ranges sorted by start (the wider first on a tie) that nest or are apart, the index of
/// the nearest earlier one that holds each.
fn nesting(ranges: impl Iterator<Item = Range<usize>>) -> Vec<Option<usize>> {
    let mut parents = Vec::new();
    let mut open: Vec<(usize, Range<usize>)> = Vec::new();
    for (i, r) in ranges.enumerate() {
        while open
            .last()
            .is_some_and(|(_, o)| !(o.start <= r.start && r.end <= o.end))
        {
            open.pop();
        }
        parents.push(open.last().map(|(k, _)| *k));
        open.push((i, r));
    }
    parents
}

/// The innermost ancestor of `node` of one of `kinds`.
pub fn enclosing_kind<'t>(node: Node<'t>, kinds: &[&str]) -> Option<Node<'t>> {
    let mut cur = node.parent();
    while let Some(n) = cur {
        if kinds.contains(&n.kind_name()) {
            return Some(n);
        }
        cur = n.parent();
    }
    None
}

/// The `function_declarator` inside a declarator (through pointers and references).
fn find_function_declarator(mut d: Node) -> Option<Node> {
    for _ in 0..16 {
        if d.kind_name() == "function_declarator" {
            return Some(d);
        }
        d = d.field("declarator").or_else(|| {
            // reference_declarator has no field name for its inner declarator.
            (d.kind_name() == "reference_declarator")
                .then(|| d.named_child(0))
                .flatten()
        })?;
    }
    None
}

fn has_function_declarator(d: Node) -> bool {
    let mut cur = Some(d);
    while let Some(n) = cur {
        if n.kind_name() == "function_declarator" {
            return true;
        }
        cur = n.field("declarator");
    }
    false
}

/// The declared name of a declarator and whether it is a pointer.
pub fn declarator_name(d: Node) -> (Option<Node>, bool) {
    let mut node = d;
    let mut pointer = false;
    for _ in 0..32 {
        match node.kind_name() {
            "identifier" | "field_identifier" | "type_identifier" => return (Some(node), pointer),
            "pointer_declarator" | "reference_declarator" => {
                pointer |= node.kind_name() == "pointer_declarator";
                match node.field("declarator").or_else(|| node.named_child(0)) {
                    Some(n) => node = n,
                    None => return (None, pointer),
                }
            }
            "init_declarator"
            | "array_declarator"
            | "parenthesized_declarator"
            | "attributed_declarator" => {
                match node.field("declarator").or_else(|| node.named_child(0)) {
                    Some(n) => node = n,
                    None => return (None, pointer),
                }
            }
            _ => return (None, pointer),
        }
    }
    (None, pointer)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::lang::Lang;

    /// Parses `code` and hands its facts to `f`.
    pub fn facts_of<R>(lang: Lang, code: &str, f: impl FnOnce(&Facts) -> R) -> R {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let config = Config::default();
        let facts = Facts::build(tree.root_node(), code.as_bytes(), &config);
        f(&facts)
    }

    /// Each declaration's scope and each include's condition, as the walk up from it finds
    /// them, whether or not an earlier one has already answered for the ancestors they share.
    #[test]
    fn scopes_and_conditions_of_nested_declarations_and_includes() {
        let code = "#include <a.h>
#ifdef _WIN32
#include <b.h>
struct S { int x; struct T { int y; } t; };
#endif
int g;
void f(void) {
#if A
    int a;
    { int b;
#include \"c.h\"
      for (int i = 0;;) { int c; }
    }
    int d;
#endif
}
";
        facts_of(Lang::C, code, |facts| {
            let includes: Vec<_> = facts
                .includes
                .iter()
                .map(|i| (i.header.as_str(), i.conditional))
                .collect();
            assert_eq!(includes, [("a.h", false), ("b.h", true), ("c.h", true)]);
            let decls: Vec<_> = facts
                .decls
                .iter()
                .map(|d| {
                    let scope = &code[d.scope.clone()];
                    (d.name.as_str(), d.kind, &scope[..scope.len().min(8)])
                })
                .collect();
            assert_eq!(
                decls,
                [
                    ("x", DeclKind::Field, "{ int x;"),
                    ("t", DeclKind::Field, "{ int x;"),
                    ("y", DeclKind::Field, "{ int y;"),
                    ("g", DeclKind::Global, "#include"),
                    ("a", DeclKind::Local, "{\n#if A\n"),
                    ("b", DeclKind::Local, "{ int b;"),
                    ("i", DeclKind::Local, "for (int"),
                    ("c", DeclKind::Local, "{ int c;"),
                    ("d", DeclKind::Local, "{\n#if A\n"),
                ]
            );
        });
    }

    #[test]
    fn findings_rest_on_errors_only_where_the_parser_guessed() {
        // Whether the first occurrence of `needle` rests on an error.
        let rests = |code: &str, needle: &str| {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&Lang::C.grammar()).unwrap();
            let tree = parser.parse(code, None).unwrap();
            let facts = Facts::build(tree.root_node(), code.as_bytes(), &Config::default());
            let at = code.find(needle).expect("the needle");
            facts.rests_on_error(tree.root_node(), at..at + needle.len())
        };
        let clean = "void f(SOCKET s) { if (s < 0) return; }";
        assert!(!rests(clean, "s < 0"));
        // A missing parenthesis inside the finding's own code.
        assert!(rests(
            "void f(SOCKET s) { if (s < 0 return; }",
            "if (s < 0 return;"
        ));
        // An error elsewhere in the file.
        let elsewhere = "void f(SOCKET s) { if (s < 0) return; }\nvoid g(void) { int = ; }";
        assert!(!rests(elsewhere, "s < 0"));
        // An ERROR node wraps the whole function (the line above it is cut off), but the
        // body is parsed into proper statements.
        let wrapped = "int x = (\nvoid f(SOCKET s) { if (s < 0) return; }";
        assert!(!rests(wrapped, "s < 0"));
        // Garbage the parser made a comparison of.
        assert!(rests(
            "int a[] = { [ void f(SOCKET s) { if (s < 0) return; } };",
            "s < 0"
        ));
    }

    #[test]
    fn calls_resolve_renames_and_qualifiers() {
        let code = "#define close closesocket\n#define sclose(x) closesocket(x)\n\
                    void f(SOCKET s) { close(s); sclose(s); ::closesocket(s); c.Close(); }";
        let names = facts_of(Lang::Cpp, code, |f| {
            f.calls
                .iter()
                .map(|c| (c.name.clone(), c.member, c.renamed_by_macro()))
                .collect::<Vec<_>>()
        });
        assert_eq!(
            names,
            vec![
                ("closesocket".to_string(), false, true),
                ("closesocket".to_string(), false, true),
                ("closesocket".to_string(), false, false),
                ("Close".to_string(), true, false),
            ]
        );
    }

    #[test]
    fn global_callees_drop_only_the_global_and_std_qualifiers() {
        let code =
            "void f(SOCKET s) { WSAGetLastError(); ::WSAGetLastError(); std::perror(\"x\");\n\
                    :: std :: perror(\"x\"); Conn::closesocket(s); c.closesocket(); stdclose(s); }";
        let names = facts_of(Lang::Cpp, code, |f| {
            f.calls
                .iter()
                .map(|c| global_callee(c.callee, f.text).map(str::to_string))
                .collect::<Vec<_>>()
        });
        assert_eq!(
            names,
            vec![
                Some("WSAGetLastError".to_string()),
                Some("WSAGetLastError".to_string()),
                Some("perror".to_string()),
                Some("perror".to_string()),
                None,
                None,
                Some("stdclose".to_string()),
            ]
        );
    }

    #[test]
    fn casts_in_every_spelling() {
        let code = "typedef unsigned conn_id;\nDWORD Checksum(DWORD x) { return x; }\n\
                    void f(SOCKET s) { use((int)s, static_cast<DWORD>(s), int(s), DWORD(s),\n\
                    conn_id(s), std::move(s), helper(s), Checksum(s), reinterpret_cast<HANDLE>(s)); }";
        let got = facts_of(Lang::Cpp, code, |f| {
            let mut out = Vec::new();
            walk(f.functions[1].body, |n| {
                if matches!(n.kind_name(), "cast_expression" | "call_expression") {
                    if let Some(c) = f.cast_of(n) {
                        out.push(format!("{}:{}", f.text_of(c.ty), f.text_of(c.value)));
                    }
                }
            });
            out
        });
        assert_eq!(
            got,
            vec![
                "int:s",
                "DWORD:s",
                "int:s",
                "DWORD:s",
                "conn_id:s",
                "HANDLE:s"
            ]
        );
    }

    #[test]
    fn posix_branch_macros_and_typedefs_do_not_override() {
        let code = "#ifdef _WIN32\n#define CLOSE_FD(s) closesocket(s)\ntypedef SOCKET fd_t;\n\
                    #else\n#define CLOSE_FD(s) close(s)\ntypedef int fd_t;\n#endif\n\
                    void f(fd_t s) { CLOSE_FD(s); }";
        facts_of(Lang::C, code, |f| {
            assert_eq!(f.calls[0].name, "closesocket");
            assert_eq!(f.typedefs.get("fd_t").map(String::as_str), Some("SOCKET"));
        });
    }

    #[test]
    fn functions_and_params() {
        let code = "static int Conn::open(SOCKET s, int *n) { return 0; }\n\
                    void g(void) { auto l = [](SOCKET t) { return t; }; }";
        facts_of(Lang::Cpp, code, |f| {
            assert_eq!(f.functions.len(), 3);
            assert_eq!(f.functions[0].name, "Conn::open");
            assert_eq!(f.functions[0].short_name(), "open");
            assert_eq!(f.functions[0].params[0].ty, "SOCKET");
            assert!(f.functions[0].params[1].pointer);
            assert_eq!(f.functions[2].params[0].name, "t");
            let inner = code.find("return t").unwrap();
            assert_eq!(f.function_at(inner), Some(2));
        });
    }

    #[test]
    fn declarations_have_scopes() {
        let code = "SOCKET g;\nstruct conn { SOCKET sock; int n; };\n\
                    void f(void) { int g = 0; SOCKET s = socket(2, 1, 0); }\n\
                    void h(void) { use(g); }";
        facts_of(Lang::C, code, |f| {
            let in_f = code.find("SOCKET s =").unwrap();
            assert_eq!(f.decl_of("g", in_f).unwrap().ty, "int");
            let in_h = code.find("use(g)").unwrap();
            assert_eq!(f.decl_of("g", in_h).unwrap().ty, "SOCKET");
            assert_eq!(f.decl_of("sock", in_h).unwrap().kind, DeclKind::Field);
            assert!(f.decl_of("s", in_f + 10).unwrap().init.is_some());
            let branches = "void k(void) {\n#ifdef _WIN32\nSOCKET l;\nuse(l);\n#else\nint l;\nuse(l);\n#endif\n}";
            facts_of(Lang::C, branches, |f| {
                let first = branches.find("use(l)").unwrap();
                let second = branches.rfind("use(l)").unwrap();
                assert_eq!(f.decl_of("l", first).unwrap().ty, "SOCKET");
                assert_eq!(f.decl_of("l", second).unwrap().ty, "int");
            });
            assert!(f.decl_of("s", in_h).is_none());
        });
    }

    #[test]
    fn declarations_in_sibling_branches_of_unknown_conditions() {
        let code = "int pair(int *r)\n{\n#if defined(USE_IOCP)\n    SOCKET l = WSASocketW(2, 1, 0, 0, 0, 0);\n\
                    closesocket(l);\n    return 0;\n#elif defined(HAVE_VMS)\n    long l = open_vms();\n    a(l);\n\
                    #else\n    int l = open_socket(2, 1, 0);\n    if (l == -1)\n        return -1;\n    close(l);\n\
                    #endif\n    after(l);\n}\n";
        facts_of(Lang::C, code, |f| {
            let ty = |marker: &str| {
                f.decl_of("l", code.find(marker).unwrap())
                    .map(|d| d.ty.clone())
            };
            assert_eq!(ty("closesocket(l)").as_deref(), Some("SOCKET"));
            assert_eq!(ty("a(l)").as_deref(), Some("long"));
            assert_eq!(ty("l == -1").as_deref(), Some("int"));
            assert_eq!(ty("close(l)").as_deref(), Some("int"));
            // After the chain, the declarations disagree: unknown.
            assert_eq!(ty("after(l)"), None);
        });
        // One declaration under a feature test reaches the code after it.
        let code = "void f(void)\n{\n#ifdef HAVE_X\n    SOCKET s = socket(2, 1, 0);\n#endif\n    use(s);\n}\n";
        facts_of(Lang::C, code, |f| {
            let at = code.find("use(s)").unwrap();
            assert_eq!(f.decl_of("s", at).unwrap().ty, "SOCKET");
        });
        // Shadowing in a nested block is not a conflict.
        let code =
            "void g(SOCKET s)\n{\n#ifdef A\n    { int s = 0; use(s); }\n#endif\n    last(s);\n}\n";
        facts_of(Lang::C, code, |f| {
            assert_eq!(
                f.decl_of("s", code.find("use(s)").unwrap()).unwrap().ty,
                "int"
            );
            assert_eq!(
                f.decl_of("s", code.find("last(s)").unwrap()).unwrap().ty,
                "SOCKET"
            );
        });
    }

    #[test]
    fn deep_nesting_does_not_overflow() {
        let depth = 60_000;
        let code = format!(
            "void f(void) {{ {} x; {} }}",
            "{".repeat(depth),
            "}".repeat(depth)
        );
        let n = facts_of(Lang::C, &code, |f| f.functions.len());
        assert_eq!(n, 1);
    }

    /// The scoped index answers as a scan of every declaration would: the tightest scope, the
    /// latest declaration before the use, parameters, shadowing, siblings that do not hold the
    /// use, and globals behind them.
    #[test]
    fn declarations_by_scope() {
        let code = "int s;
void f(SOCKET s) { g(s); { HANDLE s; g(s); { g(s); } } g(s);
                    { char s; } g(s); { long s; long t; g(s); } }
void h(void) { g(s); }
                    void k(u_int s) { auto l = [&](float s) { g(s); }; g(s); }
";
        facts_of(Lang::Cpp, code, |f| {
            let uses: Vec<usize> = code.match_indices("g(s)").map(|(i, _)| i + 2).collect();
            let types: Vec<Option<&str>> = uses
                .iter()
                .map(|&at| f.decl_of("s", at).map(|d| d.ty.as_str()))
                .collect();
            assert_eq!(
                types,
                [
                    Some("SOCKET"),
                    Some("HANDLE"),
                    Some("HANDLE"),
                    Some("SOCKET"),
                    Some("SOCKET"),
                    Some("long"),
                    Some("int"),
                    Some("float"),
                    Some("u_int"),
                ]
            );
            // Functions: the innermost around an offset, none between them.
            let lambda = code.find("[&]").unwrap();
            assert_eq!(
                f.function_at(lambda + 12)
                    .map(|i| f.functions[i].name.as_str()),
                Some("")
            );
            assert_eq!(
                f.function_at(uses[8]).map(|i| f.functions[i].name.as_str()),
                Some("k")
            );
            assert_eq!(f.function_at(code.find("void h").unwrap() - 1), None);
        });
    }
}
