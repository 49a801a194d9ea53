//! The rules' queries, compiled once: one combined query per language, and a route from each
//! pattern back to its rule.

use tree_sitter::{Node, Query, QueryCapture, QueryPredicateArg};

use crate::lang::Lang;
use crate::rules::{QuerySource, Rule};

/// A query error placed in its file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryFileError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl std::fmt::Display for QueryFileError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}:{}:{}: invalid query: {}",
            self.file, self.line, self.column, self.message
        )
    }
}

/// One language's combined query.
pub struct CombinedQuery {
    pub query: Query,
    /// For each pattern of the combined query: (index of the rule in the engine's rule list,
    /// index of the pattern within that rule's queries).
    pub route: Vec<(usize, usize)>,
    /// For each pattern: its `#call?` predicates.
    calls: Vec<Vec<CallPredicate>>,
}

/// `(#call? @capture "name" ...)`: the captured call (or its callee) calls one of the named
/// functions, however the global function is spelled: `f(...)`, `::f(...)`, `std::f(...)`
/// (`crate::facts::global_callee`). A member call (`obj.f()`) or a function of the project's
/// own namespace or class (`Conn::f()`) is another function.
#[derive(Debug)]
struct CallPredicate {
    capture: u32,
    names: Vec<String>,
}

impl CallPredicate {
    fn holds(&self, captures: &[QueryCapture], text: &[u8]) -> bool {
        captures
            .iter()
            .filter(|c| c.index == self.capture)
            .all(|c| {
                callee_of(c.node)
                    .and_then(|callee| crate::facts::global_callee(callee, text))
                    .is_some_and(|name| self.names.iter().any(|n| n == name))
            })
    }
}

/// The callee of a captured call expression, or the captured callee itself.
fn callee_of(node: Node) -> Option<Node> {
    if node.kind() == "call_expression" {
        node.child_by_field_name("function")
    } else {
        Some(node)
    }
}

/// Compiles one query file alone (to validate it and to place errors in it).
pub fn compile_one(source: &QuerySource, lang: Lang) -> Result<Query, QueryFileError> {
    Query::new(&lang.grammar(), source.text).map_err(|e| QueryFileError {
        file: source.file.to_string(),
        line: e.row + 1,
        column: e.column + 1,
        message: format!("{:?}: {}", e.kind, e.message.trim()),
    })
}

impl CombinedQuery {
    /// Concatenates the queries of `rules` that apply to `lang` and compiles them once.
    pub fn build(rules: &[&dyn Rule], lang: Lang) -> Result<CombinedQuery, QueryFileError> {
        let mut text = String::new();
        // (start offset in `text`, rule index, patterns of that rule before this file)
        let mut chunks: Vec<(usize, usize)> = Vec::new();
        for (ri, rule) in rules.iter().enumerate() {
            for source in rule.meta().queries {
                if source.cpp_only && lang != Lang::Cpp {
                    continue;
                }
                chunks.push((text.len(), ri));
                text.push_str(source.text);
                text.push('\n');
            }
        }
        let query = match Query::new(&lang.grammar(), &text) {
            Ok(q) => q,
            Err(_) => {
                // Find the file at fault and report the error in its own coordinates.
                for rule in rules {
                    for source in rule.meta().queries {
                        if source.cpp_only && lang != Lang::Cpp {
                            continue;
                        }
                        compile_one(source, lang)?;
                    }
                }
                return Err(QueryFileError {
                    file: "<combined>".into(),
                    line: 1,
                    column: 1,
                    message: "the combined query does not compile".into(),
                });
            }
        };
        let mut route = Vec::with_capacity(query.pattern_count());
        let mut per_rule = vec![0usize; rules.len()];
        for p in 0..query.pattern_count() {
            let start = query.start_byte_for_pattern(p);
            let chunk = chunks.partition_point(|(s, _)| *s <= start) - 1;
            let rule = chunks[chunk].1;
            route.push((rule, per_rule[rule]));
            per_rule[rule] += 1;
        }
        let calls = (0..query.pattern_count())
            .map(|p| {
                let predicates = query.general_predicates(p).iter();
                let calls = predicates.filter(|p| &*p.operator == "call?");
                calls
                    .filter_map(|p| {
                        let mut capture = None;
                        let mut names = Vec::new();
                        for arg in &p.args {
                            match arg {
                                QueryPredicateArg::Capture(c) => capture = Some(*c),
                                QueryPredicateArg::String(s) => names.push(s.to_string()),
                            }
                        }
                        Some(CallPredicate {
                            capture: capture?,
                            names,
                        })
                    })
                    .collect()
            })
            .collect();
        Ok(CombinedQuery {
            query,
            route,
            calls,
        })
    }

    /// Whether a match of `pattern` satisfies the pattern's own predicates that tree-sitter
    /// leaves to us (`#call?`).
    pub fn holds(&self, pattern: usize, captures: &[QueryCapture], text: &[u8]) -> bool {
        self.calls
            .get(pattern)
            .is_none_or(|calls| calls.iter().all(|c| c.holds(captures, text)))
    }
}
