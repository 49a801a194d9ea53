//! Meta-tests: the conventions every rule must keep, enforced rather than remembered.

use std::collections::BTreeSet;
use std::path::Path;

use wsalint::lang::Lang;
use wsalint::query::compile_one;
use wsalint::registry::RULES;

const SECTIONS: &[&str] = &[
    "## What it does",
    "## Why is this bad?",
    "## Example",
    "## Use instead",
    "## Fix safety",
    "## References",
];

#[test]
fn codes_are_unique_and_sorted() {
    let codes: Vec<&str> = RULES.iter().map(|r| r.meta().code).collect();
    let mut sorted = codes.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(
        codes, sorted,
        "the registry must be sorted by code, without duplicates"
    );
}

/// Codes, names and default severities are the public contract of `RULES.md`.
#[test]
fn registry_agrees_with_the_catalog() {
    let catalog = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/RULES.md");
    let Ok(text) = std::fs::read_to_string(&catalog) else {
        eprintln!(
            "note: {} not found; catalog check skipped",
            catalog.display()
        );
        return;
    };
    let mut rows = Vec::new();
    for line in text.lines() {
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        if cells.len() > 4 && cells[1].starts_with("WSA") && cells[1].len() == 6 {
            let severity = cells[3].split_whitespace().next().unwrap_or("").to_string();
            rows.push((cells[1].to_string(), cells[2].to_string(), severity));
        }
    }
    assert!(rows.len() >= 19, "could not read the catalog's tables");
    for rule in RULES {
        let m = rule.meta();
        let row = rows
            .iter()
            .find(|r| r.0 == m.code)
            .unwrap_or_else(|| panic!("{} is not in RULES.md", m.code));
        assert_eq!(row.1, m.name, "{}: name differs from RULES.md", m.code);
        assert_eq!(
            row.2,
            m.severity.as_str(),
            "{}: severity differs from RULES.md",
            m.code
        );
    }
}

#[test]
fn every_rule_has_docs_in_the_fixed_sections() {
    for rule in RULES {
        let m = rule.meta();
        for s in SECTIONS {
            assert!(m.docs.contains(s), "{}: docs lack `{s}`", m.code);
        }
        if !m.source.is_empty() {
            let refs = &m.docs[m.docs.find("## References").unwrap()..];
            for kb in m.source.split(", ") {
                assert!(refs.contains(kb), "{}: References do not name {kb}", m.code);
            }
        }
        assert!(
            !m.summary.is_empty() && !m.summary.ends_with('.'),
            "{}: summary",
            m.code
        );
    }
}

#[test]
fn every_rule_has_a_query_or_a_flow_check_and_needles() {
    for rule in RULES {
        let m = rule.meta();
        assert!(
            !m.queries.is_empty() || m.flow,
            "{}: no query and no flow check",
            m.code
        );
        assert!(!m.needles.is_empty(), "{}: no pre-filter needles", m.code);
    }
}

/// Every query compiles against both grammars (C++-only files against C++), and its header
/// names the rule that owns it.
#[test]
fn every_query_compiles_and_names_its_rule() {
    let mut used = BTreeSet::new();
    for rule in RULES {
        let m = rule.meta();
        for q in m.queries {
            used.insert(q.file);
            for lang in Lang::ALL {
                if q.cpp_only && lang != Lang::Cpp {
                    continue;
                }
                if let Err(e) = compile_one(q, lang) {
                    panic!("{e} (grammar {})", lang.name());
                }
            }
            let header = format!("; {} {}", m.code, m.name);
            assert!(
                q.text.starts_with(&header),
                "{}: must start with `{header}`",
                q.file
            );
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().to_string();
        if name.ends_with(".scm") {
            assert!(
                used.contains(name.as_str()),
                "queries/{name} belongs to no rule"
            );
        }
    }
}

/// Every rule has a fixture folder with at least one positive and one trap (the voice of the
/// messages on the fixtures is checked by `tests/fixtures.rs`).
#[test]
fn every_rule_has_positives_and_traps() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
    for rule in RULES {
        let m = rule.meta();
        let dir = root.join(format!("{}-{}", m.code.to_ascii_lowercase(), m.name));
        assert!(
            dir.is_dir(),
            "{}: no fixture folder {}",
            m.code,
            dir.display()
        );
        let mut positives = 0;
        let mut traps = 0;
        for e in std::fs::read_dir(&dir).unwrap().flatten() {
            let name = e.file_name().to_string_lossy().to_string();
            if name.ends_with(".fixed") || name.ends_with(".toml") {
                continue;
            }
            let text = String::from_utf8_lossy(&std::fs::read(e.path()).unwrap()).to_string();
            if name.starts_with("trap-") {
                traps += 1;
            } else if text.contains(&format!(" {} ", m.code)) {
                positives += 1;
            }
        }
        assert!(
            positives >= 1,
            "{}: no positive fixture in {}",
            m.code,
            dir.display()
        );
        assert!(
            traps >= 1,
            "{}: no trap fixture in {}",
            m.code,
            dir.display()
        );
    }
}

/// The table of every rule (code, name, default severity, fix, source), each code linking to
/// its section of `docs/rules.md` through `link` (`""` on that page itself).
fn rule_table(link: &str) -> String {
    let mut table =
        String::from("| code | name | severity | fix | source |\n|---|---|---|---|---|\n");
    for rule in RULES {
        let m = rule.meta();
        table.push_str(&format!(
            "| [{}]({link}#{}-{}) | {} | {} | {} | {} |\n",
            m.code,
            m.code.to_ascii_lowercase(),
            m.name,
            m.name,
            m.severity.as_str(),
            m.fix.as_str(),
            if m.source.is_empty() { "-" } else { m.source }
        ));
    }
    table
}

/// Compares a generated file with `page`; `WSALINT_BLESS=1` writes `page` first.
fn check_generated(relative: &str, page: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(relative);
    if std::env::var_os("WSALINT_BLESS").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, page).unwrap();
    }
    let current = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        current == page,
        "{relative} is out of date: run `WSALINT_BLESS=1 cargo test --test registry` and review \
         the diff"
    );
}

/// `docs/rules.md` is the page every rule's `helpUri` points at: the same text as `wsalint
/// explain`, one section per rule. `WSALINT_BLESS=1 cargo test --test registry` rewrites it.
#[test]
fn rules_page_is_current() {
    let mut page = String::from(
        "# wsalint rules\n\nGenerated from the rules' own documentation (`wsalint explain CODE` \
         prints the same text).\n\n",
    );
    page.push_str(&rule_table(""));
    for rule in RULES {
        let m = rule.meta();
        page.push_str(&format!("\n## {} {}\n\n", m.code, m.name));
        // Demote the rule's own headings one level under its section.
        let body = m.explain();
        let body = body.split_once('\n').map_or("", |(_, rest)| rest).trim();
        let mut in_code = false;
        for line in body.lines() {
            if line.starts_with("```") {
                in_code = !in_code;
            }
            if line.starts_with('#') && !in_code {
                page.push('#');
            }
            page.push_str(line);
            page.push('\n');
        }
        let anchor = format!("{}-{}", m.code.to_ascii_lowercase(), m.name);
        assert!(m.help_uri().ends_with(&format!("#{anchor}")), "{}", m.code);
    }
    check_generated("docs/rules.md", &page);
}

/// The README's table of rules, between its `<!-- rules -->` and `<!-- /rules -->` lines, is
/// generated from the registry like `docs/rules.md`: `WSALINT_BLESS=1 cargo test --test
/// registry` rewrites it.
#[test]
fn readme_rule_table_is_current() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let (start, end) = ("<!-- rules -->\n", "<!-- /rules -->\n");
    let from = readme
        .find(start)
        .expect("README.md has no `<!-- rules -->` line")
        + start.len();
    let to = from
        + readme[from..]
            .find(end)
            .expect("README.md has no `<!-- /rules -->` line");
    let page = format!(
        "{}{}{}",
        &readme[..from],
        rule_table("docs/rules.md"),
        &readme[to..]
    );
    check_generated("README.md", &page);
}

/// The index at the top of `src/facts/mod.rs` maps questions to the facts that answer them:
/// every method of `Facts` is listed there, and every name it links to exists.
#[test]
fn facts_index_lists_every_fact() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/facts");
    let mut methods = BTreeSet::new();
    let mut names = BTreeSet::new();
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let module = entry
            .path()
            .file_stem()
            .unwrap()
            .to_string_lossy()
            .to_string();
        names.insert(module);
        let mut in_facts = false;
        for line in text.lines() {
            if line.starts_with("#[cfg(test)]") {
                break;
            }
            if line.starts_with("impl") {
                in_facts = line.contains(" Facts<") || line.contains("::Facts<");
            } else if line == "}" {
                in_facts = false;
            }
            let item = line.trim_start();
            for keyword in ["pub fn ", "pub struct ", "pub enum ", "pub mod ", "pub "] {
                let Some(rest) = item.strip_prefix(keyword) else {
                    continue;
                };
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if keyword == "pub " && !rest[name.len()..].starts_with(':') {
                    continue;
                }
                if in_facts && keyword == "pub fn " && line.starts_with("    pub fn") {
                    methods.insert(name.clone());
                }
                names.insert(name);
                break;
            }
        }
    }
    assert!(methods.len() > 40, "could not read the methods of `Facts`");
    let doc: String = std::fs::read_to_string(dir.join("mod.rs"))
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut linked = BTreeSet::new();
    for link in doc.split("[`").skip(1) {
        let path = link.split("`]").next().unwrap();
        let last = path.rsplit("::").next().unwrap();
        assert!(
            names.contains(last),
            "src/facts/mod.rs: the index names `{path}`, which src/facts/ does not define"
        );
        if let Some(method) = path.strip_prefix("Facts::") {
            linked.insert(method.to_string());
        }
    }
    for m in &methods {
        assert!(
            linked.contains(m),
            "`Facts::{m}` is missing from the index in src/facts/mod.rs: add it under the \
             question it answers"
        );
    }
}
