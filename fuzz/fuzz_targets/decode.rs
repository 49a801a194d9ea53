//! Arbitrary bytes through `Source::decode` alone. Any panic is a finding; so is a broken
//! invariant:
//!
//! - encoding the decoded text gives back the input bytes (what `--fix` writes keeps every byte
//!   it did not edit);
//! - the line and column of every offset agree with the text, counted independently;
//! - the language server's UTF-16 columns lead back to the same offset.

#![no_main]

use libfuzzer_sys::fuzz_target;
use wsalint::source::Source;
use wsalint_fuzz::positions;

fuzz_target!(|data: &[u8]| {
    let Ok(source) = Source::decode(data) else {
        return;
    };
    assert_eq!(
        source.encode(&source.text),
        data,
        "{:?}: encoding the text does not give back the file",
        source.encoding
    );
    let text = &source.text;
    let at = positions(text);
    assert_eq!(
        source.line_count(),
        at.last().map_or(1, |p| p.map_or(1, |(line, _)| line)),
        "line count"
    );
    for (offset, pos) in at.iter().enumerate() {
        let Some((line, column)) = *pos else {
            continue;
        };
        // Each conversion reads the line from its start: 32 offsets of a line and its end.
        let range = source.line_range(line);
        let stride = (range.len() / 32).max(1);
        if offset < range.end && (offset - range.start) % stride != 0 {
            continue;
        }
        let got = source.position(offset);
        assert_eq!(
            (got.line, got.column),
            (line, column),
            "position of {offset}"
        );
        // Offsets past the end of a line's text (inside its CRLF) are clamped to it.
        if offset > range.end {
            continue;
        }
        let units = source.utf16_column(offset);
        assert_eq!(
            source.offset_of_utf16(line - 1, units),
            offset,
            "UTF-16 column {units} of line {line} does not lead back to {offset}"
        );
    }
});
