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

/// Every rule has a fixture folder with at least one positive and one trap, and every
/// message in its fixtures follows the voice: lowercase start, no trailing period.
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
