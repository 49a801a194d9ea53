//! The rules' queries, compiled once: one combined query per language, and a route from each
//! pattern back to its rule.

use tree_sitter::Query;

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
        Ok(CombinedQuery { query, route })
    }
}
