//! Node lookups without string work on every call, for the analyses' hot loops:
//! - fields by id: `Node::child_by_field_name` scans the grammar's field names with `strncmp`,
//!   so the ids of the fields the analyses use are looked up once per grammar;
//! - kind names from a table: `Node::kind` measures the grammar's C string and checks it is
//!   UTF-8 on every call, so each grammar's names are read once.

use std::sync::OnceLock;

use tree_sitter::Node;

use crate::lang::Lang;

/// The fields the rules and analyses ask for.
const NAMES: [&str; 19] = [
    "left",
    "right",
    "condition",
    "operator",
    "value",
    "name",
    "declarator",
    "body",
    "argument",
    "function",
    "type",
    "label",
    "alternative",
    "arguments",
    "parameters",
    "field",
    "consequence",
    "path",
    "initializer",
];

/// What is read once from a grammar.
struct Grammar {
    /// The number of node kinds, which tells the grammars apart.
    kind_count: usize,
    /// The ids of `NAMES` (0 where the grammar has no such field).
    fields: [u16; NAMES.len()],
    /// The name of each node kind, by kind id.
    kinds: Vec<Box<str>>,
}

/// The grammars, by `Lang::index`.
fn grammars() -> &'static [Grammar; 2] {
    static GRAMMARS: OnceLock<[Grammar; 2]> = OnceLock::new();
    GRAMMARS.get_or_init(|| {
        [Lang::C, Lang::Cpp].map(|lang| {
            let grammar = lang.grammar();
            let kind_count = grammar.node_kind_count();
            Grammar {
                kind_count,
                fields: NAMES.map(|n| grammar.field_id_for_name(n).map_or(0, |id| id.get())),
                kinds: (0..kind_count)
                    .map(|id| grammar.node_kind_for_id(id as u16).unwrap_or("").into())
                    .collect(),
            }
        })
    })
}

fn grammar_of(node: &Node) -> Option<&'static Grammar> {
    let kind_count = node.language().node_kind_count();
    grammars().iter().find(|g| g.kind_count == kind_count)
}

pub trait NodeExt<'t> {
    /// The child in field `name`, as `child_by_field_name` finds it.
    fn field(&self, name: &str) -> Option<Node<'t>>;
    /// The node's kind, as `Node::kind` names it.
    fn kind_name(&self) -> &'t str;
}

impl<'t> NodeExt<'t> for Node<'t> {
    fn field(&self, name: &str) -> Option<Node<'t>> {
        let slot = NAMES.iter().position(|n| *n == name);
        match (slot, grammar_of(self)) {
            (Some(i), Some(g)) if g.fields[i] != 0 => self.child_by_field_id(g.fields[i]),
            (Some(_), Some(_)) => None,
            _ => self.child_by_field_name(name),
        }
    }

    fn kind_name(&self) -> &'t str {
        grammar_of(self)
            .and_then(|g| g.kinds.get(usize::from(self.kind_id())))
            .map(|k| &**k)
            .unwrap_or_else(|| self.kind())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field, in both grammars, is the child `child_by_field_name` finds, and every kind
    /// name is the one `Node::kind` gives.
    #[test]
    fn fields_by_id_are_fields_by_name() {
        let text = "int f(int a) { if (a < 1) { a = a + 1; } else return a; for (;;) g(a); }\n\
                    struct S { int m; }; int h(struct S *p) { return p->m +; }\n";
        for lang in [Lang::C, Lang::Cpp] {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&lang.grammar()).unwrap();
            let tree = parser.parse(text, None).unwrap();
            let mut stack = vec![tree.root_node()];
            let mut found = 0;
            while let Some(node) = stack.pop() {
                for name in NAMES.iter().chain(&["no_such_field"]) {
                    assert_eq!(node.field(name), node.child_by_field_name(name), "{name}");
                    found += usize::from(node.field(name).is_some());
                }
                assert_eq!(node.kind_name(), node.kind());
                let mut cursor = node.walk();
                stack.extend(node.children(&mut cursor));
            }
            assert!(found > 10, "{found}");
        }
    }
}
