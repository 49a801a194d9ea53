//! Socket-ness of an expression. Two answers kept apart:
//! - *holds a socket*: declared with a socket type (`SOCKET`, a configured type such as
//!   `curl_socket_t`, a typedef of either), or assigned from a creator (`socket`, `accept`...).
//!   Enough for lifecycle rules.
//! - *has the unsigned `SOCKET` type*: declared `SOCKET` (or a typedef of it, or a configured
//!   unsigned type). Needed by rules about signedness and truncation: libevent's
//!   `evutil_socket_t` is `intptr_t` on purpose, so its `fd < 0` is right.

use std::collections::{HashMap, HashSet};

use tree_sitter::Node;

use crate::config::Config;
use crate::facts::{unwrap_casts, value_arms, DeclKind, Facts};
use crate::node::NodeExt;

/// Expressions longer than this are never the same object as another spelling.
const MAX_KEY_BYTES: usize = 512;

/// The socket types and creators in force for one file.
#[derive(Clone, Debug, Default)]
pub struct SocketTypes {
    /// Types whose values hold a socket.
    pub holding: HashSet<String>,
    /// Types that are the unsigned, pointer-sized `SOCKET`.
    pub unsigned: HashSet<String>,
    /// Calls that return a new socket.
    pub creators: HashSet<String>,
}

impl SocketTypes {
    pub fn new(config: &Config, typedefs: &HashMap<String, String>) -> SocketTypes {
        let res = &config.resources;
        let mut unsigned: HashSet<String> = ["SOCKET".to_string()].into_iter().collect();
        unsigned.extend(res.unsigned_socket_types.iter().cloned());
        let mut holding = unsigned.clone();
        holding.extend(res.socket_types.iter().cloned());
        // Typedefs made in the file: `typedef SOCKET sock_t;` (a few rounds for chains).
        for _ in 0..3 {
            for (alias, ty) in typedefs {
                let ty = normalize_type(ty);
                if unsigned.contains(&ty) {
                    unsigned.insert(alias.clone());
                }
                if holding.contains(&ty) {
                    holding.insert(alias.clone());
                }
            }
        }
        let creators = res.creators().map(str::to_string).collect();
        SocketTypes {
            holding,
            unsigned,
            creators,
        }
    }
}

/// Members of well-known frameworks that hold a socket, for files that use them without
/// declaring them: MFC's `CAsyncSocket::m_hSocket`.
fn framework_field(name: &str) -> Option<String> {
    (name == "m_hSocket").then(|| "SOCKET".to_string())
}

/// `struct conn` -> `conn`, `class Conn` -> `Conn`.
fn strip_tag(ty: &str) -> &str {
    ty.trim_start_matches("struct ")
        .trim_start_matches("class ")
        .trim_start_matches("union ")
        .trim()
}

/// `const SOCKET` -> `SOCKET`, `::SOCKET` -> `SOCKET`.
pub(crate) fn normalize_type(ty: &str) -> String {
    let ty = ty
        .trim()
        .trim_start_matches("const ")
        .trim_start_matches("volatile ")
        .trim();
    ty.rsplit("::").next().unwrap_or(ty).trim().to_string()
}

impl<'t> Facts<'t> {
    /// Whether the expression holds a socket (see the module docs).
    pub fn holds_socket(&self, expr: Node) -> bool {
        let expr = unwrap_casts(expr);
        if expr.kind_name() == "call_expression" {
            return self.is_creator_call(expr);
        }
        if expr.kind_name() == "conditional_expression" {
            return value_arms(expr)
                .into_iter()
                .any(|v| self.is_creator_call(v));
        }
        if let Some(ty) = self.declared_type(expr) {
            if self.socket_types.holding.contains(&ty) {
                return true;
            }
        }
        self.assigned_from_creator(expr)
    }

    /// Whether `node` is a call to a creator of the file's socket model (`socket(...)`).
    fn is_creator_call(&self, node: Node) -> bool {
        node.kind_name() == "call_expression"
            && self
                .call_of(node)
                .is_some_and(|c| self.socket_types.creators.contains(&c.name))
    }

    /// Whether the expression has the unsigned `SOCKET` type by declaration.
    pub fn has_socket_type(&self, expr: Node) -> bool {
        let expr = unwrap_casts(expr);
        self.declared_type(expr)
            .is_some_and(|ty| self.socket_types.unsigned.contains(&ty))
    }

    /// The declared type (normalized) of an identifier, field access or array element.
    pub fn declared_type(&self, expr: Node) -> Option<String> {
        // `x->a->a->...` nests without bound: the fields are peeled down to the object they
        // start from, whose type is found first, then followed back up one field at a time.
        let mut fields = Vec::new();
        let mut base = Some(unwrap_casts(expr));
        while let Some(e) = base.filter(|e| e.kind_name() == "field_expression") {
            fields.push(e.field("field"));
            base = e.field("argument").map(unwrap_casts);
        }
        let Some(outer) = fields.pop() else {
            return self.declared_type_of_name(unwrap_casts(expr));
        };
        // The record of the object the innermost field is read from.
        let mut record = base.and_then(|obj| {
            if obj.kind_name() == "this" {
                return self.class_at(obj.start_byte());
            }
            self.record_named(&self.declared_type_of_name(obj)?)
        });
        let mut ty = None;
        for field in fields.into_iter().rev().chain([outer]) {
            ty = field.and_then(|f| self.field_type(f, record.as_ref()));
            record = ty.as_deref().and_then(|t| self.record_named(t));
        }
        ty
    }

    /// The type of the field `field` of an object of record `record` (any field of that name
    /// when the record is unknown).
    fn field_type(&self, field: Node, record: Option<&std::ops::Range<usize>>) -> Option<String> {
        let name = self.text_of(field);
        let own = record.and_then(|range| self.field_in(range, name));
        let d = own.or_else(|| {
            self.outer_decls_named(name)
                .find(|d| d.kind == DeclKind::Field)
        });
        match d {
            Some(d) => Some(normalize_type(&d.ty)),
            None => framework_field(name),
        }
    }

    /// `declared_type` of an expression that is not a field access.
    fn declared_type_of_name(&self, expr: Node) -> Option<String> {
        match expr.kind_name() {
            "identifier" => {
                let name = self.text_of(expr);
                match self.decl_of(name, expr.start_byte()) {
                    Some(d) if d.kind == DeclKind::Field => {
                        // A bare member inside a method: the field of the method's own class.
                        let own = self
                            .class_at(expr.start_byte())
                            .and_then(|range| self.field_in(&range, name));
                        Some(normalize_type(&own.unwrap_or(d).ty))
                    }
                    Some(d) => Some(normalize_type(&d.ty)),
                    None => framework_field(name),
                }
            }
            "subscript_expression" => {
                let arr = expr.field("argument")?;
                let arr = unwrap_casts(arr);
                if arr.kind_name() == "identifier" {
                    let d = self.decl_of(self.text_of(arr), arr.start_byte())?;
                    Some(normalize_type(&d.ty))
                } else {
                    None
                }
            }
            "qualified_identifier" => {
                let name = self.text_of(expr).rsplit("::").next()?.trim();
                let d = self.decl_of(name, expr.start_byte())?;
                Some(normalize_type(&d.ty))
            }
            _ => None,
        }
    }

    /// The field list of the struct or class named by a declared type (`struct conn *` ->
    /// `conn`'s, through the file's typedefs).
    fn record_named(&self, ty: &str) -> Option<std::ops::Range<usize>> {
        let ty = strip_tag(ty);
        if let Some(r) = self.records.get(ty) {
            return Some(r.clone());
        }
        let alias = self.typedefs.get(ty)?;
        self.records.get(strip_tag(&normalize_type(alias))).cloned()
    }

    /// The class whose method (or inline member function) holds `offset`.
    pub fn class_at(&self, offset: usize) -> Option<std::ops::Range<usize>> {
        let func = &self.functions[self.function_at(offset)?];
        if let Some((class, _)) = func.name.rsplit_once("::") {
            let class = class.rsplit("::").next().unwrap_or(class);
            return self.records.get(class).cloned();
        }
        self.records
            .values()
            .filter(|r| r.contains(&func.node.start_byte()))
            .min_by_key(|r| r.len())
            .cloned()
    }

    /// The field `name` declared in the field list `range`.
    fn field_in(&self, range: &std::ops::Range<usize>, name: &str) -> Option<&super::Decl> {
        self.outer_decls_named(name)
            .find(|d| d.kind == DeclKind::Field && d.scope == *range)
    }

    /// Whether the expression holds a socket, or is a local copy of one: `HANDLE h = (HANDLE)s;`
    /// then `h`. Only copies made in the same function count, and only when every value the
    /// variable is given there holds a socket.
    pub fn holds_socket_or_copy(&self, expr: Node) -> bool {
        if self.holds_socket(expr) {
            return true;
        }
        let expr = unwrap_casts(expr);
        if expr.kind_name() != "identifier" {
            return false;
        }
        let name = self.text_of(expr);
        let is_local = self
            .decl_of(name, expr.start_byte())
            .is_some_and(|d| matches!(d.kind, DeclKind::Local | DeclKind::Param));
        if !is_local {
            return false;
        }
        let func = self.function_at(expr.start_byte());
        let mut values = self
            .assignments
            .iter()
            .filter(|a| a.function == func && a.target == name)
            .filter(|a| a.target_node.start_byte() < expr.start_byte())
            .map(|a| a.value)
            .peekable();
        values.peek().is_some() && values.all(|v| self.holds_socket(v))
    }

    /// Whether the same expression (by its normalized text) is assigned the result of a creator
    /// inside the same function, or at file level for a field or global.
    pub fn assigned_from_creator(&self, expr: Node) -> bool {
        let key = self.socket_key(expr);
        if key.is_empty() {
            return false;
        }
        let func = self.function_at(expr.start_byte());
        let local = (expr.kind_name() == "identifier")
            .then(|| self.decl_of(self.text_of(expr), expr.start_byte()))
            .flatten()
            .filter(|d| matches!(d.kind, DeclKind::Local | DeclKind::Param));
        self.assignments.iter().any(|a| {
            let at = a.target_node.start_byte();
            // A local's own assignments only: not those of a namesake declared in a sibling
            // `#if` branch (`SOCKET l = WSASocket(...)` under `#if A`, `int l` under `#else`).
            let same_object = match local {
                Some(d) => {
                    a.function == func
                        && self
                            .decl_of(self.text_of(expr), at)
                            .is_some_and(|other| other.range == d.range)
                }
                None => true,
            };
            // `s = v6 ? socket(AF_INET6, ...) : socket(AF_INET, ...)`: either arm counts.
            same_object
                && self.key_text(a.target_node) == key
                && value_arms(a.value)
                    .into_iter()
                    .any(|v| self.is_creator_call(v))
        })
    }

    /// The object an expression's value lives in: through parentheses and casts, and through
    /// an assignment to what it assigns (`(s = socket(...))` -> `s`). The node itself otherwise.
    pub fn value_object<'n>(&self, expr: Node<'n>) -> Node<'n> {
        let inner = unwrap_casts(expr);
        if inner.kind_name() == "assignment_expression"
            && inner
                .field("operator")
                .is_some_and(|o| o.kind_name() == "=")
        {
            if let Some(left) = inner.field("left") {
                return unwrap_casts(left);
            }
        }
        inner
    }

    /// What the file asks for when it creates the socket `key` (a `socket_key`) with `socket`
    /// or `WSASocket(A|W)`: `Some(true)` when every such creation asks for datagrams
    /// (`SOCK_DGRAM` or `IPPROTO_UDP`), `Some(false)` when one asks for a stream (`SOCK_STREAM`,
    /// `IPPROTO_TCP`) or says neither (a variable), `None` when the file creates no socket of
    /// that name.
    pub fn created_as_datagram(&self, key: &str) -> Option<bool> {
        let mut kinds = self
            .assignments
            .iter()
            .filter(|a| self.key_text(a.target_node) == key)
            .flat_map(|a| value_arms(a.value))
            .filter_map(|v| self.call_of(v))
            .filter(|c| {
                !c.member
                    && matches!(
                        c.name.as_str(),
                        "socket" | "WSASocketA" | "WSASocketW" | "WSASocket"
                    )
            })
            .map(|c| {
                let arg = |i: usize| c.arg(i).map(|a| self.text_of(a)).unwrap_or("");
                arg(1).contains("SOCK_DGRAM") || arg(2).trim() == "IPPROTO_UDP"
            })
            .peekable();
        kinds.peek()?;
        Some(kinds.all(|datagram| datagram))
    }

    /// A key that names the same object however it is spelled: casts and parentheses removed,
    /// whitespace dropped, `this->` removed (`(HANDLE)this->m_sock` -> `m_sock`).
    pub fn socket_key(&self, expr: Node) -> String {
        self.key_text(unwrap_casts(expr))
    }

    fn key_text(&self, expr: Node) -> String {
        let raw = self.text_of(expr);
        if raw.len() > MAX_KEY_BYTES {
            // Too long to name a socket; comparing it would make deeply nested expressions
            // quadratic. A key of its own that equals no other node's.
            return format!("\u{0}{}", expr.start_byte());
        }
        let text: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
        text.strip_prefix("this->").unwrap_or(&text).to_string()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::facts::{walk, Facts};
    use crate::lang::Lang;
    use crate::node::NodeExt;

    /// (holds a socket, has the SOCKET type) for the first argument of each call to `use`.
    fn socketness(lang: Lang, code: &str, config: &Config) -> Vec<(bool, bool)> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let facts = Facts::build(tree.root_node(), code.as_bytes(), config);
        let mut out = Vec::new();
        walk(tree.root_node(), |n| {
            if n.kind_name() == "call_expression"
                && n.field("function")
                    .is_some_and(|f| facts.text_of(f) == "use")
            {
                let arg = n.field("arguments").unwrap().named_child(0).unwrap();
                out.push((facts.holds_socket(arg), facts.has_socket_type(arg)));
            }
        });
        out
    }

    #[test]
    fn declared_and_created_sockets() {
        let code = "typedef SOCKET sock_t;\nstruct conn { SOCKET sock; };\n\
            void f(int fd, struct conn *c) {\n\
              SOCKET s; sock_t t; int a = socket(2, 1, 0); int b;\n\
              use(s); use(t); use(a); use(fd); use(c->sock); use((HANDLE)s); use(b);\n\
            }";
        let got = socketness(Lang::C, code, &Config::default());
        assert_eq!(
            got,
            vec![
                (true, true),
                (true, true),
                (true, false),
                (false, false),
                (true, true),
                (true, true),
                (false, false),
            ]
        );
    }

    #[test]
    fn sockets_created_in_either_arm_of_a_conditional() {
        let code = "void f(int v6, int n) {\n\
              int a = v6 ? socket(23, 1, 0) : socket(2, 1, 0); int b;\n\
              b = n > 0 ? (int)accept(l, 0, 0) : -1; int c = v6 ? n : 0;\n\
              use(a); use(b); use(c); use(v6 ? socket(23, 2, 0) : -1);\n\
            }";
        let got = socketness(Lang::C, code, &Config::default());
        assert_eq!(
            got,
            vec![(true, false), (true, false), (false, false), (true, false)]
        );
    }

    #[test]
    fn creators_assigned_to_a_namesake_in_a_sibling_branch_do_not_count() {
        let code = "int pair(void)\n{\n#if defined(USE_IOCP)\n    SOCKET l = WSASocketW(2, 1, 0, 0, 0, 0);\n\
                    use(l);\n#else\n    int l = open_pipe();\n    use(l);\n#endif\n\
                    int fd = -1;\n#ifdef HAVE_IPV6\n    fd = socket(23, 1, 0);\n#endif\n    use(fd);\n    return 0;\n}\n";
        let got = socketness(Lang::C, code, &Config::default());
        // An assignment under a feature test still reaches the code after it.
        assert_eq!(got, vec![(true, true), (false, false), (true, false)]);
    }

    #[test]
    fn configured_types_hold_but_are_not_unsigned() {
        let mut config = Config::default();
        config.resources.socket_types = vec!["evutil_socket_t".into()];
        let code = "void f(evutil_socket_t fd) { use(fd); }";
        assert_eq!(socketness(Lang::C, code, &config), vec![(true, false)]);
    }

    #[test]
    fn assignments_in_conditions_name_their_target() {
        let code = "void f(void) { SOCKET s; if ((s = socket(2, 1, 0)) < 0) use((s = 0)); }";
        let got = socketness(Lang::C, code, &Config::default());
        // `(s = 0)` as an expression is not a declared object...
        assert_eq!(got, vec![(false, false)]);
        // ...but the object it stores into is.
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Lang::C.grammar()).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let facts = Facts::build(tree.root_node(), code.as_bytes(), &Config::default());
        let mut objects = Vec::new();
        walk(tree.root_node(), |n| {
            if n.kind_name() == "binary_expression" {
                let left = n.field("left").unwrap();
                let obj = facts.value_object(left);
                objects.push((facts.text_of(obj).to_string(), facts.has_socket_type(obj)));
            }
        });
        assert_eq!(objects, vec![("s".to_string(), true)]);
    }

    #[test]
    fn fields_resolve_through_the_object_type() {
        let code = "struct pipe_end { int sock; };\nstruct conn { SOCKET sock; };\n\
            typedef struct { HANDLE sock; } file_t;\n\
            void f(struct pipe_end *p, struct conn *c, file_t *h) {\n\
              use(p->sock); use(c->sock); use(h->sock); use(m_hSocket);\n\
            }";
        let got = socketness(Lang::C, code, &Config::default());
        assert_eq!(
            got,
            vec![(false, false), (true, true), (false, false), (true, true)]
        );
    }

    #[test]
    fn copies_of_a_socket() {
        let code = "void f(SOCKET s, HANDLE ev) {\n\
            HANDLE h = (HANDLE)s; HANDLE e = ev; HANDLE m; m = (HANDLE)s; m = ev;\n\
            use(h); use(e); use(m);\n\
            }";
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&Lang::C.grammar()).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let config = Config::default();
        let facts = Facts::build(tree.root_node(), code.as_bytes(), &config);
        let uses: Vec<bool> = facts
            .calls
            .iter()
            .filter(|c| c.name == "use")
            .map(|c| facts.holds_socket_or_copy(c.args[0]))
            .collect();
        assert_eq!(uses, vec![true, false, false]);
    }

    #[test]
    fn members_of_the_own_class() {
        let code = "class Pipe { HANDLE m_sock; void f(); };\n\
            class Conn { SOCKET m_sock; void f(); };\n\
            void Pipe::f() { use(m_sock); }\nvoid Conn::f() { use(m_sock); use(this->m_sock); }";
        let got = socketness(Lang::Cpp, code, &Config::default());
        assert_eq!(got, vec![(false, false), (true, true), (true, true)]);
    }

    #[test]
    fn cpp_casts_and_members() {
        let code = "class Conn { SOCKET m_sock; void f(); };\n\
            void Conn::f() { use(reinterpret_cast<HANDLE>(m_sock)); use(static_cast<HANDLE>(this->m_sock)); }";
        let got = socketness(Lang::Cpp, code, &Config::default());
        assert_eq!(got, vec![(true, true), (true, true)]);
    }

    #[test]
    fn datagram_sockets_by_their_creation() {
        let code = "struct c { SOCKET u; };\n\
            void f(struct c *p, int t) { SOCKET a = socket(AF_INET, SOCK_DGRAM, 0);\n\
            SOCKET b = WSASocketW(AF_INET6, 0, IPPROTO_UDP, NULL, 0, 0);\n\
            p->u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);\n\
            SOCKET d = socket(AF_INET, SOCK_STREAM, 0);\n\
            SOCKET e = socket(AF_INET, t, 0); SOCKET g = accept(d, 0, 0); }";
        crate::facts::tests::facts_of(Lang::C, code, |f| {
            let kinds: Vec<Option<bool>> = ["a", "b", "p->u", "d", "e", "g", "h"]
                .iter()
                .map(|k| f.created_as_datagram(k))
                .collect();
            assert_eq!(
                kinds,
                vec![
                    Some(true),
                    Some(true),
                    Some(true),
                    Some(false),
                    Some(false),
                    None,
                    None
                ]
            );
        });
    }
}
