//! Child lookups by field id. `Node::child_by_field_name` scans the grammar's field names with
//! `strncmp` on every call, and the analyses ask for a field of most nodes they visit: the ids
//! of the fields they use are looked up once per grammar.

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

/// For each grammar (by `Lang::index`): its number of node kinds, which tells the grammars
/// apart, and the ids of `NAMES` (0 where the grammar has no such field).
fn tables() -> &'static [(usize, [u16; NAMES.len()]); 2] {
    static TABLES: OnceLock<[(usize, [u16; NAMES.len()]); 2]> = OnceLock::new();
    TABLES.get_or_init(|| {
        [Lang::C, Lang::Cpp].map(|lang| {
            let grammar = lang.grammar();
            let ids = NAMES.map(|n| grammar.field_id_for_name(n).map_or(0, |id| id.get()));
            (grammar.node_kind_count(), ids)
        })
    })
}

pub trait FieldExt<'t> {
    /// The child in field `name`, as `child_by_field_name` finds it.
    fn field(&self, name: &str) -> Option<Node<'t>>;
}

impl<'t> FieldExt<'t> for Node<'t> {
    fn field(&self, name: &str) -> Option<Node<'t>> {
        let slot = NAMES.iter().position(|n| *n == name);
        let kinds = self.language().node_kind_count();
        let table = tables().iter().find(|(count, _)| *count == kinds);
        match (slot, table) {
            (Some(i), Some((_, ids))) if ids[i] != 0 => self.child_by_field_id(ids[i]),
            (Some(_), Some(_)) => None,
            _ => self.child_by_field_name(name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every field, in both grammars, is the child `child_by_field_name` finds.
    #[test]
    fn fields_by_id_are_fields_by_name() {
        let text = "int f(int a) { if (a < 1) { a = a + 1; } else return a; for (;;) g(a); }\n";
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
                let mut cursor = node.walk();
                stack.extend(node.children(&mut cursor));
            }
            assert!(found > 10, "{found}");
        }
    }
}
