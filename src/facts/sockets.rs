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
use crate::facts::{unwrap_casts, Facts};

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

/// `const SOCKET` -> `SOCKET`, `::SOCKET` -> `SOCKET`.
fn normalize_type(ty: &str) -> String {
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
        if expr.kind() == "call_expression" {
            return self
                .call_of(expr)
                .is_some_and(|c| self.socket_types.creators.contains(&c.name));
        }
        if let Some(ty) = self.declared_type(expr) {
            if self.socket_types.holding.contains(&ty) {
                return true;
            }
        }
        self.assigned_from_creator(expr)
    }

    /// Whether the expression has the unsigned `SOCKET` type by declaration.
    pub fn has_socket_type(&self, expr: Node) -> bool {
        let expr = unwrap_casts(expr);
        self.declared_type(expr)
            .is_some_and(|ty| self.socket_types.unsigned.contains(&ty))
    }

    /// The declared type (normalized) of an identifier, field access or array element.
    pub fn declared_type(&self, expr: Node) -> Option<String> {
        let expr = unwrap_casts(expr);
        match expr.kind() {
            "identifier" => {
                let d = self.decl_of(self.text_of(expr), expr.start_byte())?;
                Some(normalize_type(&d.ty))
            }
            "field_expression" => {
                let field = expr.child_by_field_name("field")?;
                let d = self
                    .decls
                    .iter()
                    .find(|d| d.kind == super::DeclKind::Field && d.name == self.text_of(field))?;
                Some(normalize_type(&d.ty))
            }
            "subscript_expression" => {
                let arr = expr.child_by_field_name("argument")?;
                let arr = unwrap_casts(arr);
                if arr.kind() == "identifier" {
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

    /// Whether the same expression (by its normalized text) is assigned the result of a creator
    /// inside the same function, or at file level for a field or global.
    pub fn assigned_from_creator(&self, expr: Node) -> bool {
        let key = self.socket_key(expr);
        if key.is_empty() {
            return false;
        }
        let func = self.function_at(expr.start_byte());
        let is_local = expr.kind() == "identifier"
            && self
                .decl_of(self.text_of(expr), expr.start_byte())
                .is_some_and(|d| matches!(d.kind, super::DeclKind::Local | super::DeclKind::Param));
        self.assignments.iter().any(|a| {
            (!is_local || a.function == func) && self.key_text(a.target_node) == key && {
                let v = unwrap_casts(a.value);
                v.kind() == "call_expression"
                    && self
                        .call_of(v)
                        .is_some_and(|c| self.socket_types.creators.contains(&c.name))
            }
        })
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

    /// (holds a socket, has the SOCKET type) for the first argument of each call to `use`.
    fn socketness(lang: Lang, code: &str, config: &Config) -> Vec<(bool, bool)> {
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        let tree = parser.parse(code, None).unwrap();
        let facts = Facts::build(tree.root_node(), code.as_bytes(), config);
        let mut out = Vec::new();
        walk(tree.root_node(), |n| {
            if n.kind() == "call_expression"
                && n.child_by_field_name("function")
                    .is_some_and(|f| facts.text_of(f) == "use")
            {
                let arg = n
                    .child_by_field_name("arguments")
                    .unwrap()
                    .named_child(0)
                    .unwrap();
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
    fn configured_types_hold_but_are_not_unsigned() {
        let mut config = Config::default();
        config.resources.socket_types = vec!["evutil_socket_t".into()];
        let code = "void f(evutil_socket_t fd) { use(fd); }";
        assert_eq!(socketness(Lang::C, code, &config), vec![(true, false)]);
    }

    #[test]
    fn cpp_casts_and_members() {
        let code = "class Conn { SOCKET m_sock; void f(); };\n\
            void Conn::f() { use(reinterpret_cast<HANDLE>(m_sock)); use(static_cast<HANDLE>(this->m_sock)); }";
        let got = socketness(Lang::Cpp, code, &Config::default());
        assert_eq!(got, vec![(true, true), (true, true)]);
    }
}
