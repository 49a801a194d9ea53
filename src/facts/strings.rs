//! String arguments in every Windows spelling: `"x"`, `L"x"`, `u"x"`, `u8"x"`, `TEXT("x")`,
//! `_T("x")`, `__TEXT("x")`, `_TEXT("x")`, `R"(x)"`, and adjacent literals `"a" "b"`.

use crate::node::NodeExt;
use tree_sitter::Node;

/// Macros that wrap a literal and change only its character width.
const TEXT_MACROS: &[&str] = &["TEXT", "_T", "__TEXT", "_TEXT", "__T", "L"];

/// Whether a callee is one of the macros that only change a literal's width (`TEXT`, `_T`).
pub fn is_text_macro(name: &str) -> bool {
    TEXT_MACROS.contains(&name)
}

/// The value of a string expression, with its escapes left as written, or `None` when the
/// expression is not a literal (a variable, a computed name: a DLL name the tool cannot know).
pub fn string_value(node: Node, text: &[u8]) -> Option<String> {
    // `TEXT(TEXT(...))` nests without bound: peeled in a loop, never by recursion.
    let mut node = crate::facts::unwrap_parens(node);
    while node.kind_name() == "call_expression" {
        let name = node.field("function")?.utf8_text(text).ok()?;
        let args = node.field("arguments")?;
        if !TEXT_MACROS.contains(&name) || args.named_child_count() != 1 {
            return None;
        }
        node = crate::facts::unwrap_parens(args.named_child(0)?);
    }
    match node.kind_name() {
        "string_literal" | "raw_string_literal" => literal_value(node, text),
        "concatenated_string" => {
            // Its parts are literals (or macros such as `PRIu64`, which have no known value).
            let mut out = String::new();
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                let child = crate::facts::unwrap_parens(child);
                if !matches!(child.kind_name(), "string_literal" | "raw_string_literal") {
                    return None;
                }
                out.push_str(&literal_value(child, text)?);
            }
            Some(out)
        }
        _ => None,
    }
}

/// The value of one string literal, with its escapes left as written.
fn literal_value(node: Node, text: &[u8]) -> Option<String> {
    let mut out = String::new();
    let mut cursor = node.walk();
    let mut any = false;
    for child in node.named_children(&mut cursor) {
        match child.kind_name() {
            "string_content" | "escape_sequence" | "raw_string_content" => {
                out.push_str(&String::from_utf8_lossy(&text[child.byte_range()]));
                any = true;
            }
            _ => {}
        }
    }
    if !any && node.kind_name() == "raw_string_literal" {
        return None;
    }
    Some(out)
}

/// Whether a string value names `dll`: case-insensitive, with or without a directory prefix and
/// the `.dll` extension, escaped backslashes included (`"C:\\Windows\\System32\\IPHLPAPI.DLL"`).
pub fn names_dll(value: &str, dll: &str) -> bool {
    let base = value.rsplit(['\\', '/']).next().unwrap_or(value);
    strip_dll(base).eq_ignore_ascii_case(strip_dll(dll))
}

fn strip_dll(name: &str) -> &str {
    let name = name.trim();
    // Compared as bytes: the name may hold any characters, and a cut inside one must not panic.
    let cut = name.len().saturating_sub(4);
    if name.len() > 4 && name.as_bytes()[cut..].eq_ignore_ascii_case(b".dll") {
        &name[..cut]
    } else {
        name
    }
}

/// Whether a statement only produces text: it prints or logs (`printf("IPX\n")`), copies or
/// formats a string (`strcpy(buf, "SPX")`), returns or assigns a string (`return "IPX";`,
/// `name = TEXT("SPX");`), or breaks; a block of such statements. A catalog that names
/// protocols does this; code that handles one opens, binds or sets something.
pub fn only_describes(node: Node, text: &[u8]) -> bool {
    // Blocks nest without bound: their statements are checked from a work list.
    let mut work = vec![node];
    while let Some(node) = work.pop() {
        match node.kind_name() {
            "compound_statement" | "else_clause" => {
                let mut cursor = node.walk();
                work.extend(node.named_children(&mut cursor));
            }
            _ => {
                if !describes(node, text) {
                    return false;
                }
            }
        }
    }
    true
}

/// `only_describes` for one statement that is not a block.
fn describes(node: Node, text: &[u8]) -> bool {
    let is_string = |n: Node| string_value(n, text).is_some();
    match node.kind_name() {
        "break_statement" | "comment" => true,
        "return_statement" => node.named_child(0).is_some_and(is_string),
        "expression_statement" => {
            let Some(e) = node.named_child(0).map(crate::facts::unwrap_parens) else {
                return true;
            };
            match e.kind_name() {
                "call_expression" => e.field("function").is_some_and(|f| {
                    let name = f.utf8_text(text).unwrap_or("");
                    let name = name.rsplit(['.', '>', ':']).next().unwrap_or(name);
                    let lower = name.to_ascii_lowercase();
                    crate::facts::library::is_output_call(name)
                        || ["puts", "cpy", "cat", "format", "append"]
                            .iter()
                            .any(|w| lower.contains(w))
                }),
                "assignment_expression" => e.field("right").is_some_and(is_string),
                _ => false,
            }
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lang::Lang;

    #[test]
    fn names_ending_in_multibyte_characters() {
        assert!(!names_dll("\u{1F4A9}.la", "iphlpapi.dll"));
        assert!(!names_dll("~\u{bd}\u{ac}{\u{bd}", "iphlpapi.dll"));
        assert!(names_dll("\u{e9}\\IPHLPAPI.DLL", "iphlpapi.dll"));
    }

    fn value_of(lang: Lang, expr: &str) -> Option<String> {
        let code = format!("void f(void) {{ g({expr}); }}");
        let mut parser = tree_sitter::Parser::new();
        parser.set_language(&lang.grammar()).unwrap();
        let tree = parser.parse(&code, None).unwrap();
        let mut first_args = None;
        crate::facts::walk(tree.root_node(), |node| {
            if node.kind_name() == "argument_list" && first_args.is_none() {
                first_args = node.named_child(0);
            }
        });
        string_value(first_args.expect("g has an argument"), code.as_bytes())
    }

    #[test]
    fn every_spelling() {
        for lang in Lang::ALL {
            for expr in [
                "\"iphlpapi.dll\"",
                "L\"iphlpapi.dll\"",
                "u\"iphlpapi.dll\"",
                "TEXT(\"iphlpapi.dll\")",
                "_T(\"iphlpapi.dll\")",
                "__TEXT(\"iphlpapi.dll\")",
                "\"iphlpapi\" \".dll\"",
                "(\"iphlpapi.dll\")",
            ] {
                assert_eq!(
                    value_of(lang, expr).as_deref(),
                    Some("iphlpapi.dll"),
                    "{expr} in {lang:?}"
                );
            }
            assert_eq!(value_of(lang, "name"), None);
            assert_eq!(value_of(lang, "GetName()"), None);
        }
    }

    #[test]
    fn dll_names() {
        assert!(names_dll("iphlpapi.dll", "iphlpapi.dll"));
        assert!(names_dll("IPHLPAPI", "iphlpapi.dll"));
        assert!(names_dll(
            "C:\\\\Windows\\\\System32\\\\IpHlpApi.DLL",
            "iphlpapi.dll"
        ));
        assert!(names_dll("system32/iphlpapi.dll", "iphlpapi"));
        assert!(!names_dll("ws2_32.dll", "iphlpapi.dll"));
        assert!(!names_dll("iphlpapi2.dll", "iphlpapi.dll"));
        // Multi-byte characters where the extension would be.
        assert!(!names_dll("日本", "iphlpapi.dll"));
        assert!(!names_dll("x😀", "iphlpapi.dll"));
        assert!(!names_dll("日本.dll", "iphlpapi.dll"));
    }

    #[test]
    fn statements_that_only_describe() {
        let describes = |stmt: &str| {
            let code = format!("void f(void) {{ {stmt} }}");
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&Lang::C.grammar()).unwrap();
            let tree = parser.parse(&code, None).unwrap();
            let body = tree.root_node().named_child(0).unwrap();
            let body = body.child_by_field_name("body").unwrap();
            only_describes(body, code.as_bytes())
        };
        assert!(describes("printf(\"IPX\\n\"); break;"));
        assert!(describes("return TEXT(\"SPX\");"));
        assert!(describes("name = \"IPX\"; strcpy(buf, name);"));
        assert!(!describes("proto = NSPROTO_IPX;"));
        assert!(!describes("printf(\"spx\\n\"); return 2;"));
        assert!(!describes("s = socket(AF_IPX, SOCK_DGRAM, 0);"));
    }
}
