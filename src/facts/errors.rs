//! Error-code facts: the CRT's `errno` constants and their Winsock counterparts, which
//! expressions hold a Winsock error code (`WSAGetLastError()`, a variable set from it, a macro or
//! function of the project that yields it), and whether the file maps a constant onto Winsock's.

use std::collections::HashMap;
use std::ops::Range;

use tree_sitter::Node;

use crate::facts::{unwrap_casts, walk_pruned, Facts};
use crate::node::NodeExt;

/// A CRT `errno` constant that code compares Winsock errors with by mistake.
#[derive(Debug, PartialEq, Eq)]
pub struct ErrnoConstant {
    pub name: &'static str,
    /// Its value in the Visual C++ runtime.
    pub crt_value: u32,
    /// Defined by `errno.h` only since Visual Studio 2010 (the POSIX supplement), rather than
    /// since the first runtime.
    pub since_vs2010: bool,
    /// The Winsock error code meant.
    pub winsock: &'static str,
    pub winsock_value: u32,
}

const fn c(
    name: &'static str,
    crt_value: u32,
    since_vs2010: bool,
    winsock: &'static str,
    winsock_value: u32,
) -> ErrnoConstant {
    ErrnoConstant {
        name,
        crt_value,
        since_vs2010,
        winsock,
        winsock_value,
    }
}

/// The CRT constants with a Winsock counterpart, with the values of `errno.h` and `winerror.h`.
/// Constants the Visual C++ runtime does not define (`ESHUTDOWN`, `EHOSTDOWN`) are left out: code
/// that compiles with them has defined them itself.
pub const ERRNO_CONSTANTS: &[ErrnoConstant] = &[
    c("EINTR", 4, false, "WSAEINTR", 10004),
    c("EBADF", 9, false, "WSAEBADF", 10009),
    c("EAGAIN", 11, false, "WSAEWOULDBLOCK", 10035),
    c("EACCES", 13, false, "WSAEACCES", 10013),
    c("EFAULT", 14, false, "WSAEFAULT", 10014),
    c("EINVAL", 22, false, "WSAEINVAL", 10022),
    c("EMFILE", 24, false, "WSAEMFILE", 10024),
    c("EADDRINUSE", 100, true, "WSAEADDRINUSE", 10048),
    c("EADDRNOTAVAIL", 101, true, "WSAEADDRNOTAVAIL", 10049),
    c("EAFNOSUPPORT", 102, true, "WSAEAFNOSUPPORT", 10047),
    c("EALREADY", 103, true, "WSAEALREADY", 10037),
    c("ECONNABORTED", 106, true, "WSAECONNABORTED", 10053),
    c("ECONNREFUSED", 107, true, "WSAECONNREFUSED", 10061),
    c("ECONNRESET", 108, true, "WSAECONNRESET", 10054),
    c("EDESTADDRREQ", 109, true, "WSAEDESTADDRREQ", 10039),
    c("EHOSTUNREACH", 110, true, "WSAEHOSTUNREACH", 10065),
    c("EINPROGRESS", 112, true, "WSAEINPROGRESS", 10036),
    c("EISCONN", 113, true, "WSAEISCONN", 10056),
    c("EMSGSIZE", 115, true, "WSAEMSGSIZE", 10040),
    c("ENETDOWN", 116, true, "WSAENETDOWN", 10050),
    c("ENETRESET", 117, true, "WSAENETRESET", 10052),
    c("ENETUNREACH", 118, true, "WSAENETUNREACH", 10051),
    c("ENOBUFS", 119, true, "WSAENOBUFS", 10055),
    c("ENOPROTOOPT", 123, true, "WSAENOPROTOOPT", 10042),
    c("ENOTCONN", 126, true, "WSAENOTCONN", 10057),
    c("ENOTSOCK", 128, true, "WSAENOTSOCK", 10038),
    c("EOPNOTSUPP", 130, true, "WSAEOPNOTSUPP", 10045),
    c("EPROTONOSUPPORT", 135, true, "WSAEPROTONOSUPPORT", 10043),
    c("EPROTOTYPE", 136, true, "WSAEPROTOTYPE", 10041),
    c("ETIMEDOUT", 138, true, "WSAETIMEDOUT", 10060),
    c("EWOULDBLOCK", 140, true, "WSAEWOULDBLOCK", 10035),
];

/// The CRT constant of this name.
pub fn errno_constant(name: &str) -> Option<&'static ErrnoConstant> {
    ERRNO_CONSTANTS.iter().find(|c| c.name == name)
}

/// How a name of the project yields the Winsock error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SourceKind {
    /// A macro whose value is `WSAGetLastError()` (`#define SOCK_ERRNO WSAGetLastError()`).
    Macro,
    /// A function that returns `WSAGetLastError()` on Windows.
    Function,
}

impl SourceKind {
    /// How messages say it: "`SOCK_ERRNO`, which {how} `WSAGetLastError()`".
    pub fn how(self) -> &'static str {
        match self {
            SourceKind::Macro => "expands to",
            SourceKind::Function => "returns",
        }
    }
}

/// Where an expression's Winsock error code comes from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WinsockError {
    /// `WSAGetLastError()` itself (also through a rename: `#define sock_errno WSAGetLastError`).
    Direct,
    /// A macro or function of the file: `SOCK_ERRNO`, `GetSocketError()`.
    Named { shown: String, kind: SourceKind },
    /// A name the file neither declares nor defines (`SOCK_ERRNO`, `sock_errno()`): a header
    /// of the project may define it as the Winsock error. `name` is the bare name.
    Unresolved { name: String, shown: String },
    /// A variable last set, before the use and in the same function, from one of the above.
    Variable {
        name: String,
        from: Box<WinsockError>,
        /// The assignment.
        at: Range<usize>,
    },
}

/// A `#define` of a CRT constant the file makes in a Windows build.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrnoMapping {
    pub directive: Range<usize>,
    /// Under `#ifndef NAME` or `#if !defined(NAME)`: skipped wherever `errno.h` already
    /// defines the constant, as Visual C++ 2010 and later do.
    pub guarded: bool,
}

/// The value of `#define NAME WSAGetLastError()` (parentheses aside) makes `NAME` the error.
fn is_wsa_error_text(value: &str) -> bool {
    let mut v = value.trim();
    while let Some(inner) = v.strip_prefix('(').and_then(|r| r.strip_suffix(')')) {
        v = inner.trim();
    }
    let compact: String = v.chars().filter(|c| !c.is_whitespace()).collect();
    compact == "WSAGetLastError()" || compact == "::WSAGetLastError()"
}

impl<'t> Facts<'t> {
    /// The macros and functions of the file that yield the Winsock error code on Windows, by
    /// name: `#define SOCK_ERRNO WSAGetLastError()`, and a function whose every return outside
    /// non-Windows branches returns `WSAGetLastError()` (`static int sock_error(void) {
    /// #ifdef _WIN32 return WSAGetLastError(); #else return errno; #endif }`).
    pub fn error_sources(&self) -> &HashMap<String, SourceKind> {
        self.error_sources.get_or_init(|| {
            let mut out = HashMap::new();
            for d in &self.defines {
                if is_wsa_error_text(&d.value) && !self.never_windows(d.directive.start) {
                    out.insert(d.name.clone(), SourceKind::Macro);
                }
            }
            for f in &self.functions {
                if f.name.is_empty() || !f.params.is_empty() {
                    continue;
                }
                let mut returns = 0;
                let mut all = true;
                walk_pruned(f.body, |n| {
                    if n.kind_name() == "lambda_expression" {
                        return false;
                    }
                    if n.kind_name() == "return_statement" && !self.never_windows(n.start_byte()) {
                        returns += 1;
                        let direct = n
                            .named_child(0)
                            .is_some_and(|v| self.is_wsa_error_call(unwrap_casts(v)));
                        all &= direct;
                    }
                    true
                });
                if returns > 0 && all {
                    out.insert(f.short_name().to_string(), SourceKind::Function);
                }
            }
            out
        })
    }

    /// Whether `node` is a call of `WSAGetLastError` (after the file's renames), or a macro of
    /// the file whose value is one.
    fn is_wsa_error_call(&self, node: Node) -> bool {
        match node.kind_name() {
            "call_expression" => self
                .call_of(node)
                .is_some_and(|c| !c.member && c.name == "WSAGetLastError" && c.args.is_empty()),
            "identifier" => {
                let name = self.text_of(node);
                self.defines
                    .iter()
                    .any(|d| d.name == name && is_wsa_error_text(&d.value))
            }
            _ => false,
        }
    }

    /// Where the Winsock error code `expr` holds comes from, if it holds one: see
    /// `WinsockError`. A variable counts when its last assignment before `expr`, in the same
    /// function and outside non-Windows branches, is such a source; `err =
    /// translate(WSAGetLastError())` is a translated value, not the Winsock code.
    pub fn winsock_error_of(&self, expr: Node<'t>) -> Option<WinsockError> {
        let expr = unwrap_casts(expr);
        if let Some(source) = self.direct_winsock_error(expr) {
            return Some(source);
        }
        if !matches!(expr.kind_name(), "identifier" | "field_expression") {
            return None;
        }
        let name = self.text_of(expr);
        let offset = expr.start_byte();
        let function = self.function_at(offset)?;
        let last = self
            .assignments
            .iter()
            .filter(|a| {
                a.target == name
                    && a.function == Some(function)
                    && a.value.end_byte() <= offset
                    && !self.never_windows(a.value.start_byte())
            })
            .max_by_key(|a| a.value.start_byte());
        if let Some(a) = last {
            let from = self.direct_winsock_error(unwrap_casts(a.value))?;
            let at = a
                .target_node
                .parent()
                .map_or(a.value.byte_range(), |p| p.byte_range());
            return Some(WinsockError::Variable {
                name: name.to_string(),
                from: Box::new(from),
                at,
            });
        }
        None
    }

    /// `WSAGetLastError()`, a source of the file, or an unknown name that may be one.
    fn direct_winsock_error(&self, expr: Node<'t>) -> Option<WinsockError> {
        match expr.kind_name() {
            "call_expression" => {
                let call = self.call_of(expr)?;
                if call.member || !call.args.is_empty() {
                    return None;
                }
                if call.name == "WSAGetLastError" {
                    // Renamed by a macro (`#define sock_errno() WSAGetLastError()`): messages
                    // name what the code wrote.
                    let written = call.written.trim_start_matches("::");
                    if written != "WSAGetLastError" && call.callee.kind_name() == "identifier" {
                        return Some(WinsockError::Named {
                            shown: format!("{written}()"),
                            kind: SourceKind::Macro,
                        });
                    }
                    return Some(WinsockError::Direct);
                }
                if call.callee.kind_name() != "identifier" {
                    return None;
                }
                let shown = format!("{}()", call.written);
                if let Some(&kind) = self.error_sources().get(&call.name) {
                    return Some(WinsockError::Named { shown, kind });
                }
                // A function or macro of the file that is something else.
                if self.defines(&call.name) || self.defines.iter().any(|d| d.name == call.name) {
                    return None;
                }
                Some(WinsockError::Unresolved {
                    name: call.name.clone(),
                    shown,
                })
            }
            "identifier" => {
                let name = self.text_of(expr);
                if let Some(&kind) = self.error_sources().get(name) {
                    return Some(WinsockError::Named {
                        shown: name.to_string(),
                        kind,
                    });
                }
                let offset = expr.start_byte();
                let known = self.decl_of(name, offset).is_some()
                    || self.defines.iter().any(|d| d.name == name)
                    || self.function_at(offset).is_some_and(|f| {
                        self.assignments
                            .iter()
                            .any(|a| a.target == name && a.function == Some(f))
                    });
                (!known).then(|| WinsockError::Unresolved {
                    name: name.to_string(),
                    shown: name.to_string(),
                })
            }
            _ => None,
        }
    }

    /// The file's `#define` of the CRT constant `name` that a Windows build sees before
    /// `offset`: the last one, guarded or not.
    pub fn errno_mapping(&self, name: &str, offset: usize) -> Option<ErrnoMapping> {
        self.defines
            .iter()
            .filter(|d| {
                d.name == name
                    && !d.function_like
                    && d.directive.start < offset
                    && !self.never_windows(d.directive.start)
            })
            .last()
            .map(|d| ErrnoMapping {
                directive: d.directive.clone(),
                guarded: self.guarded_define(name, d.directive.start),
            })
    }

    /// Whether the `#define` of `name` at `offset` sits under `#ifndef name` or
    /// `#if !defined(name)` (possibly with other conditions and-ed to it).
    fn guarded_define(&self, name: &str, offset: usize) -> bool {
        let text = self.text;
        self.branches.iter().any(|b| {
            if !b.contains(&offset) {
                return false;
            }
            // The directive line that opens the branch ends just before its body.
            let head_end = b.start.min(text.len());
            let line_start = text[..head_end.saturating_sub(1)]
                .iter()
                .rposition(|&c| c == b'\n')
                .map_or(0, |i| i + 1);
            let line = String::from_utf8_lossy(&text[line_start..head_end]);
            let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
            let ifndef = compact == format!("#ifndef{name}");
            let not_defined = compact.starts_with("#if")
                && !compact.contains("||")
                && (compact.contains(&format!("!defined({name})"))
                    || line.contains(&format!("!defined {name}")));
            ifndef || not_defined
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::tests::facts_of;
    use crate::lang::Lang;

    /// The source of the expression that ends the `if` condition comparing with `EWOULDBLOCK`.
    fn source_of(code: &str) -> Option<WinsockError> {
        facts_of(Lang::C, code, |f| {
            let at = code.find("== EWOULDBLOCK").unwrap();
            let mut found = None;
            crate::facts::walk(f.functions.last().unwrap().body, |n| {
                if n.kind_name() == "binary_expression" && n.end_byte() == at + 14 {
                    found = n.field("left");
                }
            });
            f.winsock_error_of(found.unwrap())
        })
    }

    #[test]
    fn the_winsock_error_and_what_holds_it() {
        assert_eq!(
            source_of("void f(void) { if (WSAGetLastError() == EWOULDBLOCK) g(); }"),
            Some(WinsockError::Direct)
        );
        let via_variable =
            source_of("void f(void) { int e = WSAGetLastError(); if (e == EWOULDBLOCK) g(); }");
        assert!(
            matches!(via_variable, Some(WinsockError::Variable { ref name, .. }) if name == "e")
        );
        let macro_ = source_of(
            "#define SOCK_ERRNO WSAGetLastError()\nvoid f(void) { if (SOCK_ERRNO == EWOULDBLOCK) g(); }",
        );
        assert_eq!(
            macro_,
            Some(WinsockError::Named {
                shown: "SOCK_ERRNO".into(),
                kind: SourceKind::Macro
            })
        );
        let function = source_of(
            "static int sock_err(void) {\n#ifdef _WIN32\nreturn WSAGetLastError();\n#else\nreturn errno;\n#endif\n}\n\
             void f(void) { if (sock_err() == EWOULDBLOCK) g(); }",
        );
        assert_eq!(
            function,
            Some(WinsockError::Named {
                shown: "sock_err()".into(),
                kind: SourceKind::Function
            })
        );
        let unknown = source_of("void f(void) { if (SOCK_ERRNO == EWOULDBLOCK) g(); }");
        assert!(
            matches!(unknown, Some(WinsockError::Unresolved { ref name, .. }) if name == "SOCK_ERRNO")
        );
    }

    #[test]
    fn translated_and_unrelated_values_are_not_the_winsock_error() {
        // Translated to an errno value by the project.
        assert_eq!(
            source_of(
                "void f(void) { int e = map_error(WSAGetLastError()); if (e == EWOULDBLOCK) g(); }"
            ),
            None
        );
        // The last assignment wins.
        assert_eq!(
            source_of(
                "void f(void) { int e = WSAGetLastError(); e = map(e); if (e == EWOULDBLOCK) g(); }"
            ),
            None
        );
        // A parameter, a local of the file's own function.
        assert_eq!(
            source_of("void f(int e) { if (e == EWOULDBLOCK) g(); }"),
            None
        );
        assert_eq!(
            source_of("static int other(void) { return errno; }\nvoid f(void) { if (other() == EWOULDBLOCK) g(); }"),
            None
        );
    }

    #[test]
    fn mappings_guarded_or_not() {
        let code = "#ifndef EWOULDBLOCK\n#define EWOULDBLOCK WSAEWOULDBLOCK\n#endif\n\
                    #undef EINPROGRESS\n#define EINPROGRESS WSAEINPROGRESS\n\
                    #if !defined(EALREADY) && defined(_WIN32)\n#define EALREADY WSAEALREADY\n#endif\n\
                    #ifndef _WIN32\n#define ECONNRESET WSAECONNRESET\n#endif\nint x;\n";
        facts_of(Lang::C, code, |f| {
            let end = code.len();
            assert!(f.errno_mapping("EWOULDBLOCK", end).unwrap().guarded);
            assert!(!f.errno_mapping("EINPROGRESS", end).unwrap().guarded);
            assert!(f.errno_mapping("EALREADY", end).unwrap().guarded);
            assert_eq!(f.errno_mapping("ECONNRESET", end), None);
            assert_eq!(f.errno_mapping("EINPROGRESS", 0), None);
        });
    }
}
