//! C or C++: the grammars, the extension table, and the choice for headers.

use std::path::Path;

use tree_sitter::Language;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Lang {
    C,
    Cpp,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::C, Lang::Cpp];

    pub fn grammar(self) -> Language {
        match self {
            Lang::C => tree_sitter_c::LANGUAGE.into(),
            Lang::Cpp => tree_sitter_cpp::LANGUAGE.into(),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Lang::C => "C",
            Lang::Cpp => "C++",
        }
    }

    pub fn index(self) -> usize {
        self as usize
    }
}

/// What an extension says about a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    C,
    Cpp,
    /// `.h`: C or C++, decided from the text.
    Header,
}

/// The extension table of the design: files with these extensions are linted when a directory
/// is walked; a file named explicitly is linted whatever its extension.
pub fn kind_of(path: &Path) -> Option<Kind> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "c" => Some(Kind::C),
        "h" => Some(Kind::Header),
        "cc" | "cpp" | "cxx" | "c++" | "hh" | "hpp" | "hxx" | "inl" | "ipp" => Some(Kind::Cpp),
        _ => None,
    }
}

/// Picks the grammar for a file: by extension, and for `.h` headers (and unknown extensions) by
/// C++-only constructs in the text, so that C++ headers of a C++ project parse as C++.
pub fn choose(path: &Path, text: &[u8]) -> Lang {
    match kind_of(path) {
        Some(Kind::C) => Lang::C,
        Some(Kind::Cpp) => Lang::Cpp,
        Some(Kind::Header) | None => {
            if looks_like_cpp(text) {
                Lang::Cpp
            } else {
                Lang::C
            }
        }
    }
}

/// Tokens that only C++ has. A header that uses any of them as code is C++.
fn looks_like_cpp(text: &[u8]) -> bool {
    static FINDER: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    let finder = FINDER.get_or_init(|| {
        aho_corasick::AhoCorasick::new([
            "namespace ",
            "class ",
            "template<",
            "template <",
            "public:",
            "private:",
            "protected:",
            "::",
            "nullptr",
            "static_cast<",
            "reinterpret_cast<",
            "#include <string>",
            "#include <vector>",
            "#include <memory>",
            "std::",
        ])
        // The patterns are plain literals: building cannot fail.
        .expect("valid literals")
    });
    finder.find_iter(text).any(|m| {
        // `class ` inside `struct sockaddr_class` or an identifier is not C++: require a word
        // boundary before the token.
        m.start() == 0 || !is_ident_byte(text[m.start() - 1])
    })
}

pub fn is_ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Whether `text` holds `word` as a whole identifier: `s` in `close(s)`, not in `s_len` or
/// `sizeof`.
pub fn has_word(text: &[u8], word: &[u8]) -> bool {
    let edge = |i: usize| text.get(i).is_none_or(|&b| !is_ident_byte(b));
    !word.is_empty()
        && memchr::memmem::find_iter(text, word)
            .any(|i| (i == 0 || edge(i - 1)) && edge(i + word.len()))
}

#[cfg(test)]
mod tests {
    #[test]
    fn whole_words_only() {
        assert!(has_word(b"close(s);", b"s"));
        assert!(has_word(b"s", b"s"));
        assert!(!has_word(b"n = s_len + sizeof x;", b"s"));
        assert!(has_word(b"c->fd = 1", b"fd"));
        assert!(!has_word(b"x", b""));
    }

    use super::*;

    #[test]
    fn extension_table() {
        assert_eq!(kind_of(Path::new("a.C")), Some(Kind::C));
        assert_eq!(kind_of(Path::new("a.c++")), Some(Kind::Cpp));
        assert_eq!(kind_of(Path::new("a.inl")), Some(Kind::Cpp));
        assert_eq!(kind_of(Path::new("a.h")), Some(Kind::Header));
        assert_eq!(kind_of(Path::new("a.txt")), None);
    }

    #[test]
    fn headers_follow_their_text() {
        assert_eq!(choose(Path::new("x.h"), b"int f(void);"), Lang::C);
        assert_eq!(
            choose(Path::new("x.h"), b"namespace net { class Conn; }"),
            Lang::Cpp
        );
        assert_eq!(choose(Path::new("x.h"), b"struct my_class x;"), Lang::C);
    }

    #[test]
    fn grammars_load() {
        for lang in Lang::ALL {
            let mut parser = tree_sitter::Parser::new();
            parser.set_language(&lang.grammar()).unwrap();
            assert!(parser.parse("int x;", None).is_some());
        }
    }
}
