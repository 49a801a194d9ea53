//! Partial parsing: most of a large file is functions that name nothing a rule looks at, and
//! parsing them is most of the cost of a run. A lexer that only knows comments, strings,
//! preprocessor lines, braces, parentheses and semicolons cuts the file into top-level items;
//! the parser then reads only the items that may matter (`Parser::set_included_ranges`), with
//! every position still that of the whole file.
//!
//! What is always parsed: preprocessor lines, `extern "C"` and namespace braces, and any item
//! the lexer is not sure about. What may be left out: a function definition whose text holds
//! no needle (no rule's literal, no configured name, no call a rule looks for in helper
//! functions such as `Sleep`, no suppression comment, no `#define`), and a declaration that
//! holds none either and declares no name that the kept items use. A file whose braces do not balance, or balance differently in the branches of an
//! `#if`, is parsed whole, and so is a file where a partial parse has a syntax error (the
//! engine's job: it retries whole).

use std::collections::HashSet;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};
use tree_sitter::{Point, Range};

use crate::source::Source;

/// Files smaller than this are parsed whole: cutting them saves less than it costs.
pub const MIN_BYTES: usize = 4 * 1024;

/// The names that keep a function in the parse.
pub struct Needles {
    /// Rule needles and configured names, lowercase. An identifier holds one when it is one,
    /// ASCII case-insensitively (`GetAddrInfoW` for `getaddrinfo`), with any prefix or suffix
    /// that starts with a capital (`LoadLibraryExW`, `WSASend` for `send`), or as its last
    /// `_`-separated part (`INVALID_SOCKET`, `AF_IPX`); not `close` in `fclose`, `closedir` or
    /// `close_conn`.
    names: HashSet<Vec<u8>>,
    /// The types that hold a socket: a global or field declared with one names a socket.
    socket_types: Vec<Vec<u8>>,
    /// Whole identifiers: the calls rules look for inside the helper functions of a file.
    words: HashSet<&'static [u8]>,
    /// DLL and header names, suppression comments: anywhere in the text (strings, comments),
    /// ASCII case-insensitively.
    anywhere: Option<AhoCorasick>,
}

/// Literals that occur in strings and comments in any case.
const ANY_CASE: &[&str] = &[
    "iphlpapi", "wsnwlink", "wsipx", "ws2_32", "mswsock", "wsalint", "NOLINT",
];

/// Words that are never the name a declaration declares.
const KEYWORDS: &[&[u8]] = &[
    b"void",
    b"char",
    b"short",
    b"int",
    b"long",
    b"float",
    b"double",
    b"signed",
    b"unsigned",
    b"const",
    b"volatile",
    b"static",
    b"extern",
    b"struct",
    b"union",
    b"enum",
    b"typedef",
    b"inline",
    b"bool",
    b"auto",
    b"register",
    b"class",
    b"public",
    b"private",
    b"protected",
    b"virtual",
    b"override",
    b"final",
    b"template",
    b"typename",
    b"sizeof",
    b"return",
    b"if",
    b"else",
    b"while",
    b"for",
    b"do",
    b"switch",
    b"case",
    b"default",
    b"noexcept",
    b"explicit",
    b"operator",
    b"friend",
    b"using",
    b"namespace",
    b"decltype",
    b"constexpr",
];

/// Identifiers longer than this are never a needle.
const MAX_NAME: usize = 96;

impl Needles {
    /// `names`: the literals of the selected rules and every name the config adds;
    /// `socket_types`: `SOCKET` and the configured socket types; `helper_calls`: the calls the
    /// selected rules look for inside the file's own helper functions (`Rule::helper_calls`),
    /// to which the facts add the loops' back-offs (`loops::BACKOFF_CALLS`): a helper around
    /// one of them stays in the parse for the loop or hand-off that calls it.
    pub fn new(names: &[&str], socket_types: &[&str], helper_calls: &[&'static str]) -> Needles {
        let mut anywhere: Vec<&str> = ANY_CASE.to_vec();
        // Cut like the pre-filter's needles (a superset of the items, built in linear time).
        anywhere.extend(
            names
                .iter()
                .filter(|n| !is_identifier(n))
                .map(|n| crate::prefilter::cut(n)),
        );
        anywhere.sort_unstable();
        anywhere.dedup();
        Needles {
            names: names
                .iter()
                .filter(|n| is_identifier(n))
                .map(|n| n.to_ascii_lowercase().into_bytes())
                .collect(),
            socket_types: socket_types.iter().map(|t| t.as_bytes().to_vec()).collect(),
            words: crate::facts::loops::BACKOFF_CALLS
                .iter()
                .chain(helper_calls)
                .map(|c| c.as_bytes())
                .collect(),
            anywhere: AhoCorasickBuilder::new()
                .ascii_case_insensitive(true)
                .match_kind(MatchKind::LeftmostFirst)
                .build(&anywhere)
                .ok(),
        }
    }

    /// Whether the identifier `id` names something a rule looks at.
    pub fn names(&self, id: &[u8]) -> bool {
        if id.len() > MAX_NAME {
            return false;
        }
        if self.words.contains(id) {
            return true;
        }
        let mut lower = [0u8; MAX_NAME];
        let lower = &mut lower[..id.len()];
        lower.copy_from_slice(id);
        lower.make_ascii_lowercase();
        let known = |s: &[u8]| self.names.contains(s);
        if known(lower) {
            return true;
        }
        // `LoadLibraryExW`, `WSASend`: cut before each capital, keep either side.
        if (1..id.len())
            .any(|k| id[k].is_ascii_uppercase() && (known(&lower[..k]) || known(&lower[k..])))
        {
            return true;
        }
        // `INVALID_SOCKET`: the part after each `_`.
        (0..id.len()).any(|k| id[k] == b'_' && k + 1 < id.len() && known(&lower[k + 1..]))
    }
}

fn is_identifier(s: &str) -> bool {
    !s.is_empty()
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

/// A top-level item of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Item {
    start: usize,
    end: usize,
    /// A function definition: may be left out when it holds no needle.
    function: bool,
    /// Holds a `#define`, `#undef`, `#include` or `#pragma`: always parsed.
    directive: bool,
    /// Its identifiers, as a range of `Lexed::idents`.
    idents: std::ops::Range<usize>,
}

/// A `#define NAME body`: `NAME` stands for what the body names.
struct Define {
    name: (usize, usize),
    /// The body's identifiers, as a range of `Lexed::idents`.
    body: std::ops::Range<usize>,
}

/// An identifier of the file.
#[derive(Clone, Copy)]
struct Ident {
    s: usize,
    e: usize,
    /// After `.` or `->`: a member, which only the file's own names can be (`c->listener`),
    /// never a call a rule knows (`c->send` is not `send`).
    member: bool,
}

/// The file cut into items.
struct Lexed {
    items: Vec<Item>,
    /// Identifiers, in file order.
    idents: Vec<Ident>,
    defines: Vec<Define>,
}

/// What a `{` at the top level opens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Brace {
    /// `extern "C" {`, `namespace x {`: what is inside is top level too.
    Transparent,
    Block,
}

/// One `#if` being read: the brace state where its first branch ended.
struct Conditional {
    first_end: Option<(usize, usize)>,
}

/// The items of `text`, or `None` when its braces cannot be trusted.
fn items(text: &[u8]) -> Option<Lexed> {
    let mut out = Vec::new();
    let mut idents: Vec<Ident> = Vec::new();
    let mut defines: Vec<Define> = Vec::new();
    let mut first_ident = 0usize;
    let mut stack: Vec<Brace> = Vec::new();
    // Depth of `Block` braces (transparent ones do not count).
    let mut depth = 0usize;
    let mut conds: Vec<Conditional> = Vec::new();
    // Inside a later branch of an `#if` (`#else`, `#elif`): braces there are not counted.
    let mut skipping = 0usize;

    // The item being read.
    let mut start = 0usize;
    let mut tokens: Vec<&[u8]> = Vec::new();
    let mut significant = false;
    let mut paren = 0usize;
    let mut saw_paren = false;
    let mut saw_eq = false;
    let mut function = false;
    let mut directive = false;
    // `#if`s opened and not closed in the item, and whether it holds an `#else` or `#endif` of
    // an `#if` outside it: leaving such an item out would break the conditional.
    let mut item_conds = 0usize;
    let mut item_broken = false;
    let mut last: &[u8] = b"";

    let n = text.len();
    let mut i = 0usize;
    let mut line_start = true;
    macro_rules! end_item {
        ($end:expr, $function:expr) => {{
            out.push(Item {
                start,
                end: $end,
                function: $function,
                directive: directive || item_broken || item_conds != 0,
                idents: first_ident..idents.len(),
            });
            first_ident = idents.len();
            start = $end;
            tokens.clear();
            significant = false;
            paren = 0;
            saw_paren = false;
            saw_eq = false;
            function = false;
            directive = false;
            item_conds = 0;
            item_broken = false;
            last = b"";
        }};
    }
    while i < n {
        let b = text[i];
        match b {
            b'\n' => {
                line_start = true;
                i += 1;
                continue;
            }
            b' ' | b'\t' | b'\r' | b'\x0b' | b'\x0c' => {
                i += 1;
                continue;
            }
            b'#' if line_start => {
                let end = directive_end(text, i);
                let name = directive_name(&text[i + 1..end]);
                // Between items (in a skipped branch too): an item of its own, always parsed.
                let own_item = !significant && depth == 0;
                match name {
                    b"if" | b"ifdef" | b"ifndef" => {
                        if skipping > 0 {
                            skipping += 1;
                        } else {
                            conds.push(Conditional { first_end: None });
                        }
                        item_conds += 1;
                    }
                    b"elif" | b"else" | b"elifdef" | b"elifndef" => {
                        if skipping <= 1 {
                            let c = conds.last_mut()?;
                            if skipping == 0 {
                                c.first_end = Some((depth, stack.len()));
                            }
                            skipping = 1;
                        }
                        item_broken |= item_conds == 0;
                    }
                    b"endif" => {
                        if skipping > 1 {
                            skipping -= 1;
                        } else {
                            let c = conds.pop()?;
                            if skipping == 1 {
                                skipping = 0;
                                if c.first_end? != (depth, stack.len()) {
                                    return None;
                                }
                            }
                        }
                        if item_conds == 0 {
                            item_broken = true;
                        } else {
                            item_conds -= 1;
                        }
                    }
                    b"define" => {
                        directive = true;
                        if let Some(d) = define(text, i + 1, end, &mut idents) {
                            defines.push(d);
                        }
                    }
                    b"undef" | b"include" | b"pragma" | b"include_next" | b"import" => {
                        directive = true
                    }
                    _ => {}
                }
                if own_item {
                    out.push(Item {
                        start,
                        end,
                        function: false,
                        directive: true,
                        idents: first_ident..idents.len(),
                    });
                    first_ident = idents.len();
                    start = end;
                    directive = false;
                    item_conds = 0;
                    item_broken = false;
                }
                i = end;
                line_start = true;
                continue;
            }
            _ => {}
        }
        line_start = false;
        // Comments, strings and character literals hold no braces.
        if b == b'/' && text.get(i + 1) == Some(&b'/') {
            i = line_comment_end(text, i);
            continue;
        }
        if b == b'/' && text.get(i + 1) == Some(&b'*') {
            i = find(text, i + 2, b"*/").map_or(n, |e| e + 2);
            continue;
        }
        if skipping > 0 {
            if b.is_ascii_alphabetic() || b == b'_' {
                let e = ident_end(text, i);
                push_ident(text, &mut idents, i, e);
                i = e;
            } else {
                i = skip_literal(text, i).unwrap_or(i + 1);
            }
            continue;
        }
        if b == b'"' || (b == b'\'' && !(i > 0 && text[i - 1].is_ascii_digit())) {
            let end = skip_literal(text, i).unwrap_or(i + 1);
            if depth == 0 {
                significant = true;
                tokens.push(&text[i..end]);
                last = &text[i..end];
            }
            i = end;
            continue;
        }
        if b.is_ascii_alphanumeric() || b == b'_' {
            let s = i;
            i = ident_end(text, i);
            if !b.is_ascii_digit() {
                push_ident(text, &mut idents, s, i);
            }
            // A raw string: R"x(...)x" (with any prefix).
            if text.get(i) == Some(&b'"') && text[s..i].ends_with(b"R") {
                i = raw_string_end(text, i).unwrap_or(i + 1);
                last = b"\"";
                significant = true;
                continue;
            }
            if depth == 0 {
                significant = true;
                if tokens.len() < 8 {
                    tokens.push(&text[s..i]);
                }
                last = &text[s..i];
            }
            continue;
        }
        if depth > 0 {
            match b {
                b'{' => {
                    stack.push(Brace::Block);
                    depth += 1;
                }
                b'}' => {
                    if stack.pop()? == Brace::Block {
                        depth -= 1;
                    }
                    if depth == 0 && function {
                        end_item!(i + 1, true);
                    }
                }
                _ => {}
            }
            i += 1;
            continue;
        }
        significant = true;
        match b {
            b'(' => {
                paren += 1;
                saw_paren = true;
            }
            b')' => paren = paren.saturating_sub(1),
            b'=' if paren == 0 => {
                // `==`, `<=`, `>=`, `!=` are not an initializer; at the top level they are rare.
                saw_eq = true;
            }
            b';' if paren == 0 => {
                end_item!(i + 1, false);
                i += 1;
                continue;
            }
            b'{' => {
                if transparent(&tokens) {
                    stack.push(Brace::Transparent);
                    end_item!(i + 1, false);
                    i += 1;
                    continue;
                }
                function = saw_paren && !saw_eq && paren == 0 && ends_signature(last);
                stack.push(Brace::Block);
                depth += 1;
            }
            b'}' => {
                // The end of a transparent brace: an item of its own.
                if stack.pop()? != Brace::Transparent {
                    return None;
                }
                end_item!(i + 1, false);
                i += 1;
                continue;
            }
            _ => {}
        }
        last = &text[i..i + 1];
        i += 1;
    }
    if depth != 0 || !conds.is_empty() {
        return None;
    }
    if start < n {
        out.push(Item {
            start,
            end: n,
            function: false,
            directive: true,
            idents: first_ident..idents.len(),
        });
    }
    Some(Lexed {
        items: out,
        idents,
        defines,
    })
}

fn ident_end(text: &[u8], mut i: usize) -> usize {
    while i < text.len() && (text[i].is_ascii_alphanumeric() || text[i] == b'_') {
        i += 1;
    }
    i
}

/// Records the identifier `s..e`, and whether it is a member (`c->send`, `conn.close`).
fn push_ident(text: &[u8], idents: &mut Vec<Ident>, s: usize, e: usize) {
    let before = text[..s].trim_ascii_end();
    let member = before.ends_with(b".") || before.ends_with(b"->");
    idents.push(Ident { s, e, member });
}

/// The name and body identifiers of the `#define` whose text (after `#`) is `from..to`.
fn define(text: &[u8], from: usize, to: usize, idents: &mut Vec<Ident>) -> Option<Define> {
    let line = &text[from..to];
    let at = |p: usize| from + p;
    // Past `define`.
    let mut p = line.iter().position(|b| !matches!(b, b' ' | b'\t'))?;
    p += 6;
    while p < line.len() && matches!(line[p], b' ' | b'\t') {
        p += 1;
    }
    let name_start = p;
    let name_end = ident_end(text, at(p)) - from;
    if name_end == name_start {
        return None;
    }
    let first = idents.len();
    let mut q = name_end;
    while q < line.len() {
        let b = line[q];
        if b.is_ascii_alphabetic() || b == b'_' {
            let e = ident_end(text, at(q)) - from;
            idents.push(Ident {
                s: at(q),
                e: at(e),
                member: false,
            });
            q = e;
        } else if b == b'"' || b == b'\'' {
            q = skip_literal(text, at(q)).map_or(line.len(), |e| e - from);
        } else {
            q += 1;
        }
    }
    Some(Define {
        name: (at(name_start), at(name_end)),
        body: first..idents.len(),
    })
}

/// `extern "C" {`, `namespace a::b {`, `inline namespace v1 {`, `namespace {`.
fn transparent(tokens: &[&[u8]]) -> bool {
    match tokens {
        [b"extern", lit] => *lit == b"\"C\"" || *lit == b"\"C++\"",
        [b"namespace", ..] | [b"inline", b"namespace", ..] => true,
        _ => false,
    }
}

/// What a function's signature ends with before its body: `)`, or a qualifier.
fn ends_signature(last: &[u8]) -> bool {
    matches!(
        last,
        b")" | b"const" | b"noexcept" | b"override" | b"final" | b"volatile" | b"mutable" | b"try"
    )
}

fn find(text: &[u8], from: usize, what: &[u8]) -> Option<usize> {
    text.get(from..)?
        .windows(what.len())
        .position(|w| w == what)
        .map(|p| p + from)
}

/// The end of a `//` comment: the end of its line, or of the next one after a backslash.
fn line_comment_end(text: &[u8], mut i: usize) -> usize {
    while i < text.len() {
        if text[i] == b'\n' {
            let escaped = text[..i].ends_with(b"\\") || text[..i].ends_with(b"\\\r");
            if !escaped {
                return i;
            }
        }
        i += 1;
    }
    i
}

/// The end of the preprocessor line at `i` (its `\n`, continuations and comments included).
fn directive_end(text: &[u8], mut i: usize) -> usize {
    while i < text.len() {
        match text[i] {
            b'\n' => {
                let escaped = text[..i].ends_with(b"\\") || text[..i].ends_with(b"\\\r");
                if !escaped {
                    return i;
                }
            }
            b'/' if text.get(i + 1) == Some(&b'*') => {
                i = find(text, i + 2, b"*/").map_or(text.len(), |e| e + 2);
                continue;
            }
            b'/' if text.get(i + 1) == Some(&b'/') => return line_comment_end(text, i),
            b'"' | b'\'' => {
                i = skip_literal(text, i).unwrap_or(i + 1);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    i
}

/// The directive's name: `define` in `#  define X`.
fn directive_name(rest: &[u8]) -> &[u8] {
    let s = rest
        .iter()
        .position(|b| !matches!(b, b' ' | b'\t'))
        .unwrap_or(rest.len());
    let e = rest[s..]
        .iter()
        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
        .map_or(rest.len(), |p| p + s);
    &rest[s..e]
}

/// The end of the string or character literal at `i`: past its closing quote, or at the end of
/// its line when it has none.
fn skip_literal(text: &[u8], i: usize) -> Option<usize> {
    let quote = *text.get(i)?;
    if quote != b'"' && quote != b'\'' {
        return None;
    }
    let mut j = i + 1;
    while j < text.len() {
        match text[j] {
            b'\\' => j += 2,
            b'\n' => return Some(j),
            c if c == quote => return Some(j + 1),
            _ => j += 1,
        }
    }
    Some(text.len())
}

/// The end of the raw string whose `"` is at `i`: `"delim( ... )delim"`.
fn raw_string_end(text: &[u8], i: usize) -> Option<usize> {
    let open = i
        + 1
        + text
            .get(i + 1..)?
            .iter()
            .take(17)
            .position(|&b| b == b'(')?;
    let delim = &text[i + 1..open];
    let mut close = Vec::with_capacity(delim.len() + 2);
    close.push(b')');
    close.extend_from_slice(delim);
    close.push(b'"');
    Some(find(text, open + 1, &close).map_or(text.len(), |e| e + close.len()))
}

/// The ranges of `text` to parse, or `None` to parse all of it.
/// Files under `min_bytes` are parsed whole.
pub fn plan(source: &Source, needles: &Needles, min_bytes: usize) -> Option<Vec<Range>> {
    let text = source.text.as_slice();
    if text.len() < min_bytes {
        return None;
    }
    let lexed = items(text)?;
    let ident = |k: usize| {
        let id = lexed.idents[k];
        &text[id.s..id.e]
    };
    // Names the file gives to what rules look at: `#define sclose closesocket`,
    // `typedef SOCKET sock_t;`, `SOCKET listener;` (a global or a field), `SOCKET open_conn(...);`.
    let mut local: HashSet<&[u8]> = HashSet::new();
    let mut types: Vec<&[u8]> = needles.socket_types.iter().map(Vec::as_slice).collect();
    let names = |k: usize, local: &HashSet<&[u8]>| {
        let id = ident(k);
        local.contains(id) || (!lexed.idents[k].member && needles.names(id))
    };
    for d in &lexed.defines {
        if d.body.clone().any(|k| names(k, &local)) {
            local.insert(&text[d.name.0..d.name.1]);
        }
    }
    for it in lexed.items.iter().filter(|it| !it.function) {
        let ids: Vec<&[u8]> = it.idents.clone().map(ident).collect();
        let typedef = ids.first() == Some(&&b"typedef"[..]);
        for (k, id) in ids.iter().enumerate() {
            if !types.contains(id) {
                continue;
            }
            if typedef {
                if let Some(alias) = ids.last() {
                    types.push(alias);
                    local.insert(alias);
                }
                break;
            }
            if let Some(next) = ids.get(k + 1) {
                local.insert(next);
            }
        }
    }
    let needed = |it: &Item| {
        it.directive
            || it.idents.clone().any(|k| names(k, &local))
            || needles
                .anywhere
                .as_ref()
                .is_some_and(|a| a.is_match(&text[it.start..it.end]))
    };
    let needed: Vec<bool> = lexed.items.iter().map(needed).collect();
    // A declaration that names nothing a rule looks at is kept when it declares a name the
    // needed items use: the type of `sock` in `sock = socket(...)`, the fields of a struct.
    let used: HashSet<&[u8]> = lexed
        .items
        .iter()
        .zip(&needed)
        .filter(|(_, n)| **n)
        .flat_map(|(it, _)| it.idents.clone().map(ident))
        .collect();
    let declares_used = |it: &Item| {
        it.idents.clone().any(|k| {
            let id = lexed.idents[k];
            let next = text[id.e..].iter().find(|b| !b.is_ascii_whitespace());
            matches!(
                next,
                Some(b';' | b',' | b'=' | b'[' | b'(' | b')' | b':' | b'{')
            ) && !KEYWORDS.contains(&&text[id.s..id.e])
                && used.contains(&text[id.s..id.e])
        })
    };
    let keep = |(it, needed): (&Item, &bool)| *needed || (!it.function && declares_used(it));
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut left_out = 0usize;
    for (it, n) in lexed.items.iter().zip(&needed) {
        if !keep((it, n)) {
            left_out += it.end - it.start;
            continue;
        }
        match spans.last_mut() {
            Some(last) if last.1 == it.start => last.1 = it.end,
            _ => spans.push((it.start, it.end)),
        }
    }
    // Not worth it for a few functions.
    if left_out < text.len() / 8 {
        return None;
    }
    let point = |offset: usize| {
        let (row, column) = source.line_and_byte(offset);
        Point { row, column }
    };
    Some(
        spans
            .into_iter()
            .map(|(s, e)| Range {
                start_byte: s,
                end_byte: e,
                start_point: point(s),
                end_point: point(e),
            })
            .collect(),
    )
}

/// Whether the parse of `ranges` went wrong where the file was cut: a syntax error that runs
/// across a left-out part. Errors inside one kept part are the file's own (a full parse has
/// them too); an error across a cut means the cut or the recovery differs from a full parse,
/// and the file is then parsed whole.
pub fn broken(tree: &tree_sitter::Tree, ranges: &[Range]) -> bool {
    let root = tree.root_node();
    if !root.has_error() {
        return false;
    }
    let crosses = |start: usize, end: usize| {
        // The first kept part that ends after `start`: the error crosses a cut when it runs
        // past that part's end.
        let i = ranges.partition_point(|r| r.end_byte <= start);
        ranges.get(i).is_some_and(|r| end > r.end_byte)
    };
    let mut cursor = root.walk();
    loop {
        let node = cursor.node();
        // A root that is all error (a full parse of the file has it too) is looked into.
        let is_root = node == root;
        if node.is_error() && !is_root && crosses(node.start_byte(), node.end_byte()) {
            return true;
        }
        if node.has_error() && (is_root || !node.is_error()) && cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(code: &str) -> Option<Vec<(String, bool)>> {
        Some(
            items(code.as_bytes())?
                .items
                .into_iter()
                .map(|it| (code[it.start..it.end].trim().to_string(), it.function))
                .filter(|(t, _)| !t.is_empty())
                .collect(),
        )
    }

    #[test]
    fn functions_declarations_and_directives_are_items() {
        let code = "#include <winsock2.h>\nstatic int n;\nstruct s { int a; } g;\n\
                    int f(int x) { if (x) { return 1; } return 0; }\n\
                    int a[] = { 1, 2 };\n";
        assert_eq!(
            kinds(code).unwrap(),
            vec![
                ("#include <winsock2.h>".into(), false),
                ("static int n;".into(), false),
                ("struct s { int a; } g;".into(), false),
                (
                    "int f(int x) { if (x) { return 1; } return 0; }".into(),
                    true
                ),
                ("int a[] = { 1, 2 };".into(), false),
            ]
        );
    }

    #[test]
    fn extern_c_and_namespaces_are_transparent() {
        let code = "extern \"C\" {\nint f(void) { return 1; }\n}\n\
                    namespace a::b { void g() const { } }\n";
        let k = kinds(code).unwrap();
        assert!(k.contains(&("int f(void) { return 1; }".into(), true)));
        assert!(k.contains(&("void g() const { }".into(), true)));
    }

    #[test]
    fn braces_in_strings_comments_and_else_branches_do_not_count() {
        let code = "int f(void) {\n  puts(\"{\"); /* { */ // {\n  char c = '{';\n}\n\
                    #ifdef _WIN32\nint g(SOCKET s) {\n#else\nint g(int s) {\n#endif\n  return 0;\n}\n";
        let k = kinds(code).unwrap();
        assert_eq!(k.iter().filter(|(_, f)| *f).count(), 2, "{k:?}");
    }

    #[test]
    fn unbalanced_files_are_not_cut() {
        assert!(items(b"int f(void) {\n").is_none());
        assert!(items(b"}\n").is_none());
        assert!(items(b"#ifdef A\nint f() {\n#else\nint g;\n#endif\n").is_none());
        assert!(items(b"#ifdef A\nint f() {\n#endif\n").is_none());
        assert!(items(b"#endif\n").is_none());
    }

    #[test]
    fn raw_strings_and_digit_separators() {
        let code = "int f() { auto s = R\"x({)x\"; int n = 1'000; return n; }\nint g;\n";
        let k = kinds(code).unwrap();
        assert_eq!(k.len(), 2, "{k:?}");
    }

    #[test]
    fn functions_without_needles_are_left_out() {
        let filler = "static int pad(int x) { return x * 2 + 1; }\n".repeat(600);
        let code = format!(
            "#include <winsock2.h>\n#define sclose(x) closesocket(x)\ntypedef SOCKET sock_t;\n\
             struct conn {{ SOCKET listener; int n; }};\nstatic int g_sock;\n\
             struct unrelated {{ int a; }};\n{filler}\
             void f(void) {{ SOCKET s = socket(2, 1, 0); g_sock = s; }}\n\
             static void wait_a_bit(void) {{ Sleep(10); }}\n\
             static void wait_child(HANDLE h) {{ WaitForInputIdle(h, 10); }}\n\
             static void not_asked(HANDLE h) {{ GetOverlappedResult(h, 0, 0, 1); }}\n\
             static void g(int x) {{ sclose(x); }}\n\
             static int h(sock_t x) {{ return x < 0; }}\n\
             static int k(struct conn *c) {{ return listener_of(c)->listener == 0; }}\n\
             static void fine(FILE *f) {{ fclose(f); puts(\"send\"); /* socket */ c->send = 0; }}\n"
        );
        let needles = Needles::new(
            &["socket", "closesocket"],
            &["SOCKET"],
            &["WaitForInputIdle"],
        );
        let source = Source::from_text(code.clone().into_bytes(), crate::source::Encoding::Utf8);
        let ranges = plan(&source, &needles, MIN_BYTES).unwrap();
        let kept: String = ranges
            .iter()
            .map(|r| &code[r.start_byte..r.end_byte])
            .collect();
        assert!(kept.contains("#include <winsock2.h>"));
        assert!(kept.contains("SOCKET s = socket"));
        assert!(
            kept.contains("Sleep(10)"),
            "a helper around a backoff call stays"
        );
        assert!(
            kept.contains("WaitForInputIdle(h, 10)"),
            "a helper around a call a rule asks for stays"
        );
        assert!(
            !kept.contains("GetOverlappedResult"),
            "a helper around a call no rule asks for"
        );
        assert!(
            kept.contains("sclose(x); }"),
            "a macro for closesocket is a needle"
        );
        assert!(
            kept.contains("return x < 0"),
            "a typedef of SOCKET is a needle"
        );
        assert!(
            kept.contains("->listener == 0"),
            "a field of type SOCKET is a needle"
        );
        assert!(
            !kept.contains("fclose(f)"),
            "needles in strings, comments, members"
        );
        assert!(!kept.contains("pad(int x)"));
        assert!(
            kept.contains("static int g_sock;"),
            "a global the kept code uses"
        );
        assert!(
            !kept.contains("struct unrelated"),
            "a declaration nothing uses"
        );
        for r in &ranges {
            let line = code[..r.start_byte].matches('\n').count();
            assert_eq!(r.start_point.row, line);
        }
    }
}
