//! Function summaries: which functions of a project create a socket or close one passed to
//! them, inferred from their bodies, across files and through wrappers of wrappers.
//!
//! A body is read once into a `Shape` (what it does with its parameters and what it returns,
//! by callee name); the summaries are then a fixed point over the shapes of the whole project,
//! so that `conn_close(c)` calling `sock_close(c->fd)` calling `closesocket(fd)` makes both
//! wrappers closers whatever the order the files were read in.

use std::collections::HashSet;

use tree_sitter::Node;

use crate::facts::{unwrap_casts, DeclKind, Facts};
use crate::node::NodeExt;

/// What one function definition does, by name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shape {
    /// The name without a class or namespace qualifier.
    pub name: String,
    /// Callees given one of the parameters on every path through the body (not under a
    /// condition that is not about that parameter, not in a loop): `closesocket` for
    /// `void sclose(SOCKET s) { if (s != INVALID_SOCKET) closesocket(s); }`.
    pub passes_param_to: Vec<String>,
    /// Callees whose result the function returns, directly or through a local assigned from
    /// them: `socket` for `SOCKET open_tcp(void) { SOCKET s = socket(...); ...; return s; }`.
    pub returns_result_of: Vec<String>,
}

/// The shapes of the named functions defined in a file (lambdas and functions local to the
/// file, `static`, are left out: their names mean something else in other files).
pub fn shapes(facts: &Facts) -> Vec<Shape> {
    let mut out = Vec::new();
    for (index, f) in facts.functions.iter().enumerate() {
        if f.name.is_empty() || is_static(f.node, facts) {
            continue;
        }
        let params: Vec<&str> = f
            .params
            .iter()
            .filter(|p| p.kind == DeclKind::Param && !p.pointer)
            .map(|p| p.name.as_str())
            .collect();
        let mut shape = Shape {
            name: f.short_name().to_string(),
            ..Shape::default()
        };
        for call in facts.calls_in(f.body.byte_range()) {
            if call.function != Some(index) || call.member {
                continue;
            }
            let passed: Vec<&str> = call
                .args
                .iter()
                .map(|a| unwrap_casts(*a))
                .filter(|a| a.kind_name() == "identifier")
                .map(|a| facts.text_of(a))
                .filter(|a| params.contains(a))
                .collect();
            if !passed.is_empty() && on_every_path(call.node, f.body, facts, &passed) {
                shape.passes_param_to.push(call.name.clone());
            }
        }
        // Only a function declared to return a socket creates one: `int` functions return
        // what a creator returned as an error code (`if (fd < 0) return fd;`) as often.
        let returns_socket = f
            .node
            .field("declarator")
            .is_some_and(|d| d.kind_name() == "function_declarator")
            && f.node.field("type").is_some_and(|t| {
                let ty = crate::facts::sockets::normalize_type(facts.text_of(t));
                facts.socket_types.holding.contains(&ty)
            });
        crate::facts::walk_pruned(f.body, |n| {
            if !returns_socket {
                return false;
            }
            // A lambda's `return` is not the function's.
            if n.kind_name() == "lambda_expression" {
                return false;
            }
            if n.kind_name() == "return_statement" {
                if let Some(value) = n.named_child(0) {
                    returned_calls(facts, index, value, &mut shape.returns_result_of);
                }
            }
            true
        });
        shape.passes_param_to.sort();
        shape.passes_param_to.dedup();
        shape.returns_result_of.sort();
        shape.returns_result_of.dedup();
        if !shape.passes_param_to.is_empty() || !shape.returns_result_of.is_empty() {
            out.push(shape);
        }
    }
    out
}

/// Whether the definition at `node` is `static` (local to its file).
fn is_static(node: Node, facts: &Facts) -> bool {
    let mut cursor = node.walk();
    let is = node
        .children(&mut cursor)
        .any(|c| c.kind_name() == "storage_class_specifier" && facts.text_of(c).trim() == "static");
    is
}

/// Whether `call` runs whenever the body runs to its end: no loop around it, and every `if`,
/// `switch` or `?:` around it tests one of `params`, the parameters it is given
/// (`if (s != INVALID_SOCKET)`).
fn on_every_path<'t>(call: Node<'t>, body: Node<'t>, facts: &Facts<'t>, params: &[&str]) -> bool {
    let mut node = call;
    while let Some(parent) = facts.parent(node) {
        if parent.id() == body.id() {
            return true;
        }
        match parent.kind_name() {
            "for_statement" | "while_statement" | "do_statement" | "for_range_loop"
            | "lambda_expression" => return false,
            "if_statement" | "switch_statement" | "conditional_expression" => {
                let condition = parent.field("condition").map(|c| facts.text_of(c));
                let about_param = condition.is_some_and(|c| {
                    params
                        .iter()
                        .any(|p| crate::lang::has_word(c.as_bytes(), p.as_bytes()))
                });
                // The condition itself runs on every path.
                let in_condition = parent
                    .field("condition")
                    .is_some_and(|c| c.id() == node.id());
                if !about_param && !in_condition {
                    return false;
                }
            }
            _ => {}
        }
        node = parent;
    }
    false
}

/// The callees whose result `value` (a returned expression of the function `function`) is:
/// a call, or a local the function assigns from calls.
fn returned_calls(facts: &Facts, function: usize, value: Node, out: &mut Vec<String>) {
    for arm in crate::facts::value_arms(value) {
        let arm = unwrap_casts(arm);
        match arm.kind_name() {
            "call_expression" => {
                if let Some(c) = facts.call_of(arm).filter(|c| !c.member) {
                    out.push(c.name.clone());
                }
            }
            "identifier" => {
                let name = facts.text_of(arm);
                for a in facts
                    .assignments
                    .iter()
                    .filter(|a| a.function == Some(function) && a.target == name)
                {
                    let v = unwrap_casts(a.value);
                    if v.kind_name() == "call_expression" {
                        if let Some(c) = facts.call_of(v).filter(|c| !c.member) {
                            out.push(c.name.clone());
                        }
                    }
                }
            }
            _ => {}
        }
    }
}

/// The functions of a project that create and that close sockets, beyond those already known.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summaries {
    pub creators: Vec<String>,
    pub closers: Vec<String>,
}

/// The fixed point over the shapes of a project: a function that passes its parameter to a
/// closer on every path is a closer; one that returns what a creator returns is a creator.
/// `known_*` are the model's own (`closesocket`, the config's `[resources]`); a function whose
/// name is defined twice with different shapes counts when one of them qualifies.
pub fn summarize(shapes: &[Shape], known_creators: &[&str], known_closers: &[&str]) -> Summaries {
    let mut creators: HashSet<&str> = known_creators.iter().copied().collect();
    let mut closers: HashSet<&str> = known_closers.iter().copied().collect();
    let mut out = Summaries::default();
    // Each round adds at least one name, so rounds are bounded by the number of shapes.
    loop {
        let mut grew = false;
        for s in shapes {
            if !closers.contains(s.name.as_str())
                && s.passes_param_to
                    .iter()
                    .any(|c| closers.contains(c.as_str()))
            {
                closers.insert(&s.name);
                out.closers.push(s.name.clone());
                grew = true;
            }
            if !creators.contains(s.name.as_str())
                && s.returns_result_of
                    .iter()
                    .any(|c| creators.contains(c.as_str()))
            {
                creators.insert(&s.name);
                out.creators.push(s.name.clone());
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    out.creators.sort();
    out.closers.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn shapes_of(src: &str) -> Vec<Shape> {
        let mut parser = tree_sitter::Parser::new();
        parser
            .set_language(&tree_sitter_c::LANGUAGE.into())
            .unwrap();
        let tree = parser.parse(src, None).unwrap();
        let facts = Facts::build(tree.root_node(), src.as_bytes(), &Config::default());
        shapes(&facts)
    }

    #[test]
    fn a_closer_closes_its_parameter_on_every_path() {
        let s = shapes_of(
            "void sclose(SOCKET s) { if (s != INVALID_SOCKET) closesocket(s); }\n\
             void maybe(SOCKET s, int f) { if (f) closesocket(s); }\n\
             void looped(SOCKET s) { while (x) closesocket(s); }\n\
             static void mine(SOCKET s) { closesocket(s); }\n\
             void other(SOCKET s) { closesocket(g); }\n",
        );
        let names: Vec<(&str, &[String])> = s
            .iter()
            .map(|s| (s.name.as_str(), s.passes_param_to.as_slice()))
            .collect();
        assert_eq!(names, vec![("sclose", &["closesocket".to_string()][..])]);
    }

    #[test]
    fn a_creator_returns_what_a_creator_returned() {
        let s = shapes_of(
            "SOCKET open_tcp(void) { SOCKET s; s = socket(AF_INET, SOCK_STREAM, 0); if (s == INVALID_SOCKET) return INVALID_SOCKET; return s; }\n\
             SOCKET direct(int v6) { return v6 ? socket(AF_INET6, 1, 0) : socket(AF_INET, 1, 0); }\n\
             int size(void) { return 4; }\n\
             int init(struct h *h) { int fd = socket(AF_INET, 1, 0); if (fd < 0) return fd; h->fd = fd; return 0; }\n\
             SOCKET *table(void) { return socket(AF_INET, 1, 0); }\n",
        );
        let names: Vec<(&str, &[String])> = s
            .iter()
            .map(|s| (s.name.as_str(), s.returns_result_of.as_slice()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("open_tcp", &["socket".to_string()][..]),
                ("direct", &["socket".to_string()][..])
            ]
        );
    }

    #[test]
    fn wrappers_of_wrappers_across_files_in_any_order() {
        let outer = Shape {
            name: "conn_close".into(),
            passes_param_to: vec!["sock_close".into(), "log".into()],
            ..Shape::default()
        };
        let inner = Shape {
            name: "sock_close".into(),
            passes_param_to: vec!["closesocket".into()],
            ..Shape::default()
        };
        let maker = Shape {
            name: "dial".into(),
            returns_result_of: vec!["open_tcp".into()],
            ..Shape::default()
        };
        let opener = Shape {
            name: "open_tcp".into(),
            returns_result_of: vec!["socket".into()],
            ..Shape::default()
        };
        let logger = Shape {
            name: "trace".into(),
            passes_param_to: vec!["printf".into()],
            ..Shape::default()
        };
        let s = summarize(
            &[outer, logger, maker, inner, opener],
            &["socket"],
            &["closesocket"],
        );
        assert_eq!(s.closers, vec!["conn_close", "sock_close"]);
        assert_eq!(s.creators, vec!["dial", "open_tcp"]);
        // Known names are not repeated.
        let again = summarize(
            &[Shape {
                name: "closesocket".into(),
                passes_param_to: vec!["closesocket".into()],
                ..Shape::default()
            }],
            &[],
            &["closesocket"],
        );
        assert!(again.closers.is_empty());
    }
}
