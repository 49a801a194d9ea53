//! LSP positions and byte offsets in the parse text, in the position encoding negotiated with
//! the client: UTF-16 code units (the protocol's default), UTF-8 bytes or UTF-32 characters.
//! A byte that is not valid UTF-8 (a Windows-1252 byte of a file read from disk) counts as one
//! unit in every encoding, as `Source` counts it as one character.

use lsp_types::{Position, PositionEncodingKind, Range};
use tree_sitter::{InputEdit, Point};

use crate::source::Source;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PosEnc {
    Utf8,
    Utf16,
    Utf32,
}

impl PosEnc {
    /// UTF-16 whenever the client accepts it (every client must), so that positions agree with
    /// what clients that ignore the negotiation compute; otherwise the first encoding the client
    /// offers that we speak.
    pub fn negotiate(offered: Option<&[PositionEncodingKind]>) -> PosEnc {
        let Some(offered) = offered.filter(|o| !o.is_empty()) else {
            return PosEnc::Utf16;
        };
        if offered.contains(&PositionEncodingKind::UTF16) {
            return PosEnc::Utf16;
        }
        offered
            .iter()
            .find_map(|k| match k.as_str() {
                "utf-8" => Some(PosEnc::Utf8),
                "utf-32" => Some(PosEnc::Utf32),
                _ => None,
            })
            .unwrap_or(PosEnc::Utf16)
    }

    pub fn kind(self) -> PositionEncodingKind {
        match self {
            PosEnc::Utf8 => PositionEncodingKind::UTF8,
            PosEnc::Utf16 => PositionEncodingKind::UTF16,
            PosEnc::Utf32 => PositionEncodingKind::UTF32,
        }
    }

    fn width(self, ch: char) -> usize {
        match self {
            PosEnc::Utf8 => ch.len_utf8(),
            PosEnc::Utf16 => ch.len_utf16(),
            PosEnc::Utf32 => 1,
        }
    }

    /// The number of units in `bytes`.
    pub fn units(self, bytes: &[u8]) -> usize {
        bytes
            .utf8_chunks()
            .map(|c| {
                let valid = match self {
                    PosEnc::Utf8 => c.valid().len(),
                    PosEnc::Utf16 => c.valid().encode_utf16().count(),
                    PosEnc::Utf32 => c.valid().chars().count(),
                };
                valid + c.invalid().len()
            })
            .sum()
    }

    /// The byte offset within `line` (a line's text without its ending) of `units` units,
    /// clamped to the line's end; an offset inside a character moves to its end.
    pub fn offset_in_line(self, line: &[u8], units: u32) -> usize {
        let units = units as usize;
        let mut seen = 0;
        let mut offset = 0;
        for chunk in line.utf8_chunks() {
            for ch in chunk.valid().chars() {
                if seen >= units {
                    return offset;
                }
                seen += self.width(ch);
                offset += ch.len_utf8();
            }
            for _ in chunk.invalid() {
                if seen >= units {
                    return offset;
                }
                seen += 1;
                offset += 1;
            }
        }
        offset
    }
}

/// The LSP position of a byte offset of a source.
pub fn position(source: &Source, offset: usize, enc: PosEnc) -> Position {
    let offset = offset.min(source.text.len());
    let line = source.line_index(offset);
    let start = source.line_range(line + 1).start.min(offset);
    Position {
        line: line as u32,
        character: enc.units(&source.text[start..offset]) as u32,
    }
}

pub fn range(source: &Source, bytes: std::ops::Range<usize>, enc: PosEnc) -> Range {
    Range {
        start: position(source, bytes.start, enc),
        end: position(source, bytes.end.max(bytes.start), enc),
    }
}

/// The byte offset of an LSP position in `text`: a line past the end is the end of the text, a
/// column past the end of its line is the end of the line (before its line ending).
pub fn offset(text: &str, pos: Position, enc: PosEnc) -> usize {
    locate(text, pos, enc).0
}

/// `offset`, with the row and byte column tree-sitter counts in.
fn locate(text: &str, pos: Position, enc: PosEnc) -> (usize, Point) {
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut row = 0;
    for _ in 0..pos.line {
        match memchr_newline(&bytes[start..]) {
            Some(i) => {
                start += i + 1;
                row += 1;
            }
            None => {
                let column = bytes.len() - start;
                return (bytes.len(), Point { row, column });
            }
        }
    }
    let mut end = memchr_newline(&bytes[start..]).map_or(bytes.len(), |i| start + i);
    if end > start && bytes[end - 1] == b'\r' {
        end -= 1;
    }
    let column = enc.offset_in_line(&bytes[start..end], pos.character);
    (start + column, Point { row, column })
}

fn memchr_newline(bytes: &[u8]) -> Option<usize> {
    bytes.iter().position(|&b| b == b'\n')
}

/// Applies one `didChange` content change to a document's text: a ranged change replaces its
/// range (a reversed range is put in order) and returns the edit for the document's syntax
/// tree; a change without a range replaces the whole text and returns nothing.
pub fn apply_change(
    text: &mut String,
    range: Option<Range>,
    new_text: &str,
    enc: PosEnc,
) -> Option<InputEdit> {
    let Some(range) = range else {
        text.clear();
        text.push_str(new_text);
        return None;
    };
    let mut a = locate(text, range.start, enc);
    let mut b = locate(text, range.end, enc);
    if a.0 > b.0 {
        std::mem::swap(&mut a, &mut b);
    }
    // Offsets come from character boundaries of a `str`: always valid to splice at.
    text.replace_range(a.0..b.0, new_text);
    let new_end_position = match new_text.rfind('\n') {
        Some(i) => Point {
            row: a.1.row + new_text.bytes().filter(|&c| c == b'\n').count(),
            column: new_text.len() - i - 1,
        },
        None => Point {
            row: a.1.row,
            column: a.1.column + new_text.len(),
        },
    };
    Some(InputEdit {
        start_byte: a.0,
        old_end_byte: b.0,
        new_end_byte: a.0 + new_text.len(),
        start_position: a.1,
        old_end_position: b.1,
        new_end_position,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::Encoding;

    fn pos(line: u32, character: u32) -> Position {
        Position { line, character }
    }

    #[test]
    fn utf16_counts_surrogate_pairs() {
        let text = "a😀é b\nxy";
        let src = Source::from_text(text.as_bytes().to_vec(), Encoding::Utf8);
        let b = text.find('b').unwrap();
        assert_eq!(position(&src, b, PosEnc::Utf16), pos(0, 5));
        assert_eq!(position(&src, b, PosEnc::Utf32), pos(0, 4));
        assert_eq!(position(&src, b, PosEnc::Utf8), pos(0, b as u32));
        for enc in [PosEnc::Utf8, PosEnc::Utf16, PosEnc::Utf32] {
            let p = position(&src, b, enc);
            assert_eq!(offset(text, p, enc), b);
        }
        assert_eq!(offset(text, pos(1, 1), PosEnc::Utf16), text.len() - 1);
    }

    #[test]
    fn offsets_clamp_to_lines_and_text() {
        let text = "ab\r\ncd\n";
        assert_eq!(offset(text, pos(0, 99), PosEnc::Utf16), 2);
        assert_eq!(offset(text, pos(1, 0), PosEnc::Utf16), 4);
        assert_eq!(offset(text, pos(2, 0), PosEnc::Utf16), 7);
        assert_eq!(offset(text, pos(9, 3), PosEnc::Utf16), 7);
        // Inside a surrogate pair: the end of the character.
        assert_eq!(offset("😀x", pos(0, 1), PosEnc::Utf16), 4);
    }

    #[test]
    fn windows_1252_bytes_count_one() {
        let src = Source::from_text(b"/* \xe9 */ x".to_vec(), Encoding::Utf8);
        assert_eq!(position(&src, 9, PosEnc::Utf16), pos(0, 9));
        assert_eq!(position(&src, 9, PosEnc::Utf8), pos(0, 9));
    }

    #[test]
    fn ranged_changes_apply_in_utf16() {
        let mut text = String::from("/* é😀 */ if (s < 0)\nreturn;\n");
        let r = Range {
            start: pos(0, 14),
            end: pos(0, 19),
        };
        apply_change(&mut text, Some(r), "s == INVALID_SOCKET", PosEnc::Utf16);
        assert_eq!(text, "/* é😀 */ if (s == INVALID_SOCKET)\nreturn;\n");
        let r = Range {
            start: pos(1, 0),
            end: pos(2, 0),
        };
        apply_change(&mut text, Some(r), "", PosEnc::Utf16);
        assert_eq!(text, "/* é😀 */ if (s == INVALID_SOCKET)\n");
        assert_eq!(apply_change(&mut text, None, "int x;", PosEnc::Utf16), None);
        assert_eq!(text, "int x;");
    }

    #[test]
    fn ranged_changes_give_tree_edits() {
        let mut text = String::from("ab\ncd😀ef\n");
        let r = Range {
            start: pos(1, 4),
            end: pos(1, 5),
        };
        let e = apply_change(&mut text, Some(r), "X\nYZ", PosEnc::Utf16).unwrap();
        assert_eq!(text, "ab\ncd😀X\nYZf\n");
        assert_eq!((e.start_byte, e.old_end_byte, e.new_end_byte), (9, 10, 13));
        assert_eq!(e.start_position, Point { row: 1, column: 6 });
        assert_eq!(e.old_end_position, Point { row: 1, column: 7 });
        assert_eq!(e.new_end_position, Point { row: 2, column: 2 });
    }

    #[test]
    fn negotiation_prefers_utf16() {
        let k = |v: &[&'static str]| {
            v.iter()
                .map(|s| PositionEncodingKind::new(s))
                .collect::<Vec<_>>()
        };
        assert_eq!(PosEnc::negotiate(None), PosEnc::Utf16);
        assert_eq!(
            PosEnc::negotiate(Some(&k(&["utf-8", "utf-16"]))),
            PosEnc::Utf16
        );
        assert_eq!(PosEnc::negotiate(Some(&k(&["utf-8"]))), PosEnc::Utf8);
        assert_eq!(PosEnc::negotiate(Some(&k(&["utf-32"]))), PosEnc::Utf32);
        assert_eq!(PosEnc::negotiate(Some(&k(&["latin1"]))), PosEnc::Utf16);
    }
}
