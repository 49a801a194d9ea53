//! Bytes on disk -> the text tree-sitter parses, and back for `--fix`.
//!
//! The parse text is UTF-8 for UTF-8 and UTF-16 files (the BOM stripped, UTF-16 transcoded) and
//! the raw bytes for everything else: old Windows code is full of Windows-1252 comments, which
//! tree-sitter parses as bytes like any other. Every invalid UTF-8 byte counts as one character,
//! so columns match what an editor that opened the file as Windows-1252 shows.

use std::ops::Range;

/// How a file was stored on disk, so that `--fix` can write it back byte for byte.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// UTF-8 without a BOM, or any bytes that are not valid UTF-8 (kept as they are).
    Utf8,
    Utf8Bom,
    Utf16Le,
    Utf16Be,
}

impl Encoding {
    pub fn label(self) -> &'static str {
        match self {
            Encoding::Utf8 => "utf-8",
            Encoding::Utf8Bom => "utf-8 with BOM",
            Encoding::Utf16Le => "utf-16le",
            Encoding::Utf16Be => "utf-16be",
        }
    }
}

/// Why a file's bytes cannot be analyzed.
#[derive(Debug, PartialEq, Eq)]
pub enum DecodeError {
    Binary,
    BadUtf16,
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            DecodeError::Binary => write!(f, "binary file (contains NUL bytes)"),
            DecodeError::BadUtf16 => write!(f, "malformed UTF-16 (unpaired surrogates)"),
        }
    }
}

/// A 1-based line and a 1-based column counted in characters.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Position {
    pub line: usize,
    pub column: usize,
}

/// One source file: its parse text, how to get back to disk bytes, and a line index.
#[derive(Debug)]
pub struct Source {
    pub text: Vec<u8>,
    pub encoding: Encoding,
    /// The file uses CRLF line endings (the first line ending decides).
    pub crlf: bool,
    line_starts: Vec<usize>,
    /// For each line, how many earlier lines have the same trimmed text (for fingerprints):
    /// computed once, on first use.
    repeats: std::sync::OnceLock<Vec<u32>>,
}

impl Source {
    /// Decodes raw file bytes. Binary content (NUL bytes outside UTF-16) is an error.
    pub fn decode(raw: &[u8]) -> Result<Source, DecodeError> {
        let (text, encoding) = if let Some(rest) = raw.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
            (rest.to_vec(), Encoding::Utf8Bom)
        } else if raw.starts_with(&[0xFF, 0xFE]) {
            (decode_utf16(raw, encoding_rs::UTF_16LE)?, Encoding::Utf16Le)
        } else if raw.starts_with(&[0xFE, 0xFF]) {
            (decode_utf16(raw, encoding_rs::UTF_16BE)?, Encoding::Utf16Be)
        } else {
            (raw.to_vec(), Encoding::Utf8)
        };
        if memchr_nul(&text) {
            return Err(DecodeError::Binary);
        }
        Ok(Source::from_text(text, encoding))
    }

    /// A source from text that is already the parse text (stdin, an editor buffer).
    pub fn from_text(text: Vec<u8>, encoding: Encoding) -> Source {
        let mut line_starts = vec![0];
        line_starts.extend(memchr_iter_newlines(&text));
        let crlf = text
            .iter()
            .position(|&b| b == b'\n')
            .is_some_and(|i| i > 0 && text[i - 1] == b'\r');
        Source {
            text,
            encoding,
            crlf,
            line_starts,
            repeats: std::sync::OnceLock::new(),
        }
    }

    /// How many lines before `line` (1-based) have the same text, surrounding blanks aside.
    pub fn earlier_copies(&self, line: usize) -> usize {
        let repeats = self.repeats.get_or_init(|| {
            let mut seen: std::collections::HashMap<&[u8], u32> = std::collections::HashMap::new();
            (1..=self.line_starts.len())
                .map(|l| {
                    let n = seen
                        .entry(self.text[self.line_range(l)].trim_ascii())
                        .or_insert(0);
                    *n += 1;
                    *n - 1
                })
                .collect()
        });
        repeats.get(line.wrapping_sub(1)).map_or(0, |&n| n as usize)
    }

    /// The bytes to write back to disk for this parse text, in the file's own encoding.
    pub fn encode(&self, text: &[u8]) -> Vec<u8> {
        match self.encoding {
            Encoding::Utf8 => text.to_vec(),
            Encoding::Utf8Bom => [&[0xEF, 0xBB, 0xBF][..], text].concat(),
            Encoding::Utf16Le | Encoding::Utf16Be => {
                // UTF-16 parse text is always valid UTF-8: it was transcoded from UTF-16, and
                // edits only ever insert Rust strings.
                let s = String::from_utf8_lossy(text);
                let le = self.encoding == Encoding::Utf16Le;
                let mut out = if le {
                    vec![0xFF, 0xFE]
                } else {
                    vec![0xFE, 0xFF]
                };
                for unit in s.encode_utf16() {
                    let b = if le {
                        unit.to_le_bytes()
                    } else {
                        unit.to_be_bytes()
                    };
                    out.extend_from_slice(&b);
                }
                out
            }
        }
    }

    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }

    /// Byte range of a 1-based line, without its line ending.
    pub fn line_range(&self, line: usize) -> Range<usize> {
        let start = self.line_starts[(line - 1).min(self.line_starts.len() - 1)];
        let mut end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next - 1);
        if end > start && self.text[end - 1] == b'\r' {
            end -= 1;
        }
        start..end.max(start)
    }

    /// The 0-based line index holding byte `offset`.
    pub fn line_index(&self, offset: usize) -> usize {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        }
    }

    /// The 0-based line and byte column of a byte offset (tree-sitter's `Point`).
    pub fn line_and_byte(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        (line, offset - self.line_starts[line])
    }

    /// Line and character column of a byte offset (clamped into the text).
    pub fn position(&self, offset: usize) -> Position {
        let offset = offset.min(self.text.len());
        let line = self.line_index(offset);
        let start = self.line_starts[line];
        Position {
            line: line + 1,
            column: char_count(&self.text[start..offset]) + 1,
        }
    }

    /// The column of `offset` in UTF-16 code units, 0-based (for the language server).
    pub fn utf16_column(&self, offset: usize) -> usize {
        let offset = offset.min(self.text.len());
        let start = self.line_starts[self.line_index(offset)];
        self.text[start..offset]
            .utf8_chunks()
            .map(|c| c.valid().encode_utf16().count() + c.invalid().len())
            .sum()
    }

    /// The byte offset of a 0-based line and UTF-16 column (the language server's positions).
    pub fn offset_of_utf16(&self, line: usize, col: usize) -> usize {
        if line >= self.line_starts.len() {
            return self.text.len();
        }
        let range = self.line_range(line + 1);
        let mut units = 0;
        let mut offset = range.start;
        for chunk in self.text[range.clone()].utf8_chunks() {
            for ch in chunk.valid().chars() {
                if units >= col {
                    return offset;
                }
                units += ch.len_utf16();
                offset += ch.len_utf8();
            }
            for _ in chunk.invalid() {
                if units >= col {
                    return offset;
                }
                units += 1;
                offset += 1;
            }
        }
        offset.min(range.end)
    }

    /// The text as a string for display: every byte that is not valid UTF-8, and every control
    /// character other than tab and line endings, becomes `?`, so byte offsets stay valid and no
    /// escape sequence from a file reaches a terminal.
    pub fn display_text(&self) -> String {
        let mut out = String::with_capacity(self.text.len());
        for chunk in self.text.utf8_chunks() {
            for ch in chunk.valid().chars() {
                if is_unsafe_for_terminal(ch) && !matches!(ch, '\t' | '\n' | '\r') {
                    // As many `?` as the character has bytes: offsets stay valid.
                    out.extend(std::iter::repeat_n('?', ch.len_utf8()));
                } else {
                    out.push(ch);
                }
            }
            for _ in chunk.invalid() {
                out.push('?');
            }
        }
        out
    }

    /// The text of a byte range, lossily decoded (for messages).
    pub fn slice_str(&self, range: Range<usize>) -> String {
        let range = range.start.min(self.text.len())..range.end.min(self.text.len());
        String::from_utf8_lossy(&self.text[range]).into_owned()
    }

    /// The line ending this file uses.
    pub fn newline(&self) -> &'static str {
        if self.crlf {
            "\r\n"
        } else {
            "\n"
        }
    }
}

/// Control characters (C0, DEL, C1: the stuff of ANSI escapes) and the bidirectional
/// formatting characters that make a terminal show text in another order than it is stored.
pub fn is_unsafe_for_terminal(ch: char) -> bool {
    ch.is_control()
        || matches!(ch, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Number of characters in `bytes`, counting each invalid UTF-8 byte as one.
pub fn char_count(bytes: &[u8]) -> usize {
    bytes
        .utf8_chunks()
        .map(|c| c.valid().chars().count() + c.invalid().len())
        .sum()
}

fn decode_utf16(raw: &[u8], enc: &'static encoding_rs::Encoding) -> Result<Vec<u8>, DecodeError> {
    let (text, had_errors) = enc.decode_with_bom_removal(raw);
    if had_errors {
        return Err(DecodeError::BadUtf16);
    }
    Ok(text.into_owned().into_bytes())
}

fn memchr_nul(text: &[u8]) -> bool {
    text.contains(&0)
}

fn memchr_iter_newlines(text: &[u8]) -> impl Iterator<Item = usize> + '_ {
    text.iter()
        .enumerate()
        .filter(|(_, &b)| b == b'\n')
        .map(|(i, _)| i + 1)
}

/// Replaces control characters in a name (a path, a message) for a terminal.
pub fn sanitize_for_terminal(s: &str) -> String {
    s.chars()
        .map(|c| if is_unsafe_for_terminal(c) { '?' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_columns_count_characters() {
        let src = Source::decode("/* é */ x\n  y".as_bytes()).unwrap();
        assert_eq!(src.position(9), Position { line: 1, column: 9 });
        assert_eq!(src.position(13), Position { line: 2, column: 3 });
    }

    #[test]
    fn windows_1252_bytes_count_one_each() {
        let raw = b"/* Gr\xf6\xdfe */ x\n";
        let src = Source::decode(raw).unwrap();
        assert_eq!(src.encoding, Encoding::Utf8);
        let x = raw.iter().position(|&b| b == b'x').unwrap();
        assert_eq!(src.position(x).column, 13);
        assert_eq!(src.display_text().as_bytes()[x], b'x');
    }

    #[test]
    fn utf16_le_and_be_round_trip() {
        for le in [true, false] {
            let text = "int a;\r\n/* é */ int b;\r\n";
            let mut raw = if le {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for u in text.encode_utf16() {
                raw.extend(if le { u.to_le_bytes() } else { u.to_be_bytes() });
            }
            let src = Source::decode(&raw).unwrap();
            assert_eq!(src.text, text.as_bytes());
            assert!(src.crlf);
            assert_eq!(src.encode(&src.text), raw);
            let b = text.find('b').unwrap();
            assert_eq!(
                src.position(b),
                Position {
                    line: 2,
                    column: 13
                }
            );
        }
    }

    #[test]
    fn bom_is_stripped_and_restored() {
        let raw = b"\xEF\xBB\xBFint x;";
        let src = Source::decode(raw).unwrap();
        assert_eq!(src.text, b"int x;");
        assert_eq!(src.position(4).column, 5);
        assert_eq!(src.encode(&src.text), raw);
    }

    #[test]
    fn nul_bytes_are_binary() {
        assert_eq!(Source::decode(b"ab\0cd").unwrap_err(), DecodeError::Binary);
    }

    #[test]
    fn utf16_offsets_for_the_language_server() {
        let src = Source::from_text("a😀b\nxy".as_bytes().to_vec(), Encoding::Utf8);
        assert_eq!(src.utf16_column(5), 3);
        assert_eq!(src.offset_of_utf16(0, 3), 5);
        assert_eq!(src.offset_of_utf16(1, 1), 8);
        assert_eq!(src.offset_of_utf16(7, 0), src.text.len());
    }

    #[test]
    fn display_text_neutralises_escapes_and_keeps_offsets() {
        let text = "a\x1b[31mb\u{9b}c\u{202e}d\te\r\n\x07";
        let src = Source::from_text(text.as_bytes().to_vec(), Encoding::Utf8);
        let shown = src.display_text();
        assert_eq!(shown, "a?[31mb??c???d\te\r\n?");
        assert_eq!(shown.len(), text.len());
        assert_eq!(sanitize_for_terminal("x\u{9b}\u{2067}y\n"), "x??y?");
    }

    #[test]
    fn line_range_excludes_crlf() {
        let src = Source::from_text(b"ab\r\ncd".to_vec(), Encoding::Utf8);
        assert_eq!(src.line_range(1), 0..2);
        assert_eq!(src.line_range(2), 4..6);
    }
}
