//! `file:` URIs and paths, both ways (percent-encoding, Windows drive letters).

use std::path::{Path, PathBuf};
use std::str::FromStr;

use lsp_types::Uri;

/// The local path of a `file:` URI; `None` for other schemes (`untitled:`) and bad encodings.
pub fn to_path(uri: &Uri) -> Option<PathBuf> {
    let s = uri.as_str();
    let rest = s
        .strip_prefix("file://")
        .or_else(|| s.strip_prefix("FILE://"))?;
    // `file:///abs/path`, or `file://host/share` (a UNC path).
    let (host, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let path = path.split(['?', '#']).next().unwrap_or("");
    let decoded = percent_decode(path)?;
    if cfg!(windows) {
        let trimmed = decoded.strip_prefix('/').unwrap_or(&decoded);
        let is_drive = trimmed.as_bytes().get(1) == Some(&b':');
        let p = if !host.is_empty() && host != "localhost" {
            format!("//{host}/{trimmed}")
        } else if is_drive {
            trimmed.to_string()
        } else {
            decoded.clone()
        };
        Some(PathBuf::from(p.replace('/', "\\")))
    } else if host.is_empty() || host == "localhost" {
        Some(PathBuf::from(decoded))
    } else {
        None
    }
}

/// The `file:` URI of an absolute path.
pub fn from_path(path: &Path) -> Option<Uri> {
    let s = path.to_str()?.replace('\\', "/");
    let s = if s.starts_with('/') {
        s
    } else {
        format!("/{s}")
    };
    let mut out = String::from("file://");
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok()
}

/// A URI as a client sent it, made valid when it is not as written: raw non-ASCII characters
/// and others a URI cannot hold (a space) are percent-encoded, and a `%` that starts no escape
/// (`%ZZ`) stands for itself (`%25ZZ`). `None` when even then it is not a URI (no scheme).
pub fn parse_lenient(s: &str) -> Option<Uri> {
    if let Ok(u) = Uri::from_str(s) {
        return Some(u);
    }
    let bytes = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 16);
    for (i, &b) in bytes.iter().enumerate() {
        let escape = bytes
            .get(i + 1..i + 3)
            .is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit));
        if b == b'%' && !escape {
            out.push_str("%25");
        } else if b.is_ascii_alphanumeric() || b"-._~:/?#@!$&'()*+,;=%".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    Uri::from_str(&out).ok().filter(|u| u.scheme().is_some())
}

/// Makes every `uri` string in a message's params valid (`parse_lenient`), in place. Returns
/// each URI that had to be rewritten with the client's own spelling, to be answered in it; or
/// the first one that is not a URI at all.
pub fn repair_params(params: &mut serde_json::Value) -> Result<Vec<(Uri, String)>, String> {
    let mut rewritten = Vec::new();
    // Walked with a stack: params nest as deep as the client likes.
    let mut stack = vec![params];
    while let Some(v) = stack.pop() {
        match v {
            serde_json::Value::Object(map) => {
                for (key, value) in map.iter_mut() {
                    match value {
                        serde_json::Value::String(s) if key == "uri" => {
                            if Uri::from_str(s).is_ok() {
                                continue;
                            }
                            let Some(uri) = parse_lenient(s) else {
                                return Err(s.clone());
                            };
                            let spelled = std::mem::replace(s, uri.as_str().to_string());
                            rewritten.push((uri, spelled));
                        }
                        _ => stack.push(value),
                    }
                }
            }
            serde_json::Value::Array(items) => stack.extend(items.iter_mut()),
            _ => {}
        }
    }
    Ok(rewritten)
}

fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_spaces_and_non_ascii() {
        if cfg!(windows) {
            return;
        }
        let p = Path::new("/tmp/my dir/Größe#1.c");
        let uri = from_path(p).unwrap();
        assert_eq!(uri.as_str(), "file:///tmp/my%20dir/Gr%C3%B6%C3%9Fe%231.c");
        assert_eq!(to_path(&uri).unwrap(), p);
        let vscode = Uri::from_str("file:///tmp/x%3A/a.c").unwrap();
        assert_eq!(to_path(&vscode).unwrap(), Path::new("/tmp/x:/a.c"));
    }

    /// Raw non-ASCII and a `%` that starts no escape are not valid in a URI: such URIs are
    /// read as the client meant them, not dropped.
    #[test]
    fn invalid_uris_are_read_leniently() {
        assert!(Uri::from_str("file:///tmp/é 1.c").is_err());
        assert!(Uri::from_str("file:///tmp/%ZZ.c").is_err());
        let raw = parse_lenient("file:///tmp/é 1.c").unwrap();
        assert_eq!(raw.as_str(), "file:///tmp/%C3%A9%201.c");
        let bad = parse_lenient("file:///tmp/%ZZ%41.c").unwrap();
        assert_eq!(bad.as_str(), "file:///tmp/%25ZZ%41.c");
        if !cfg!(windows) {
            assert_eq!(to_path(&raw).unwrap(), Path::new("/tmp/é 1.c"));
            assert_eq!(to_path(&bad).unwrap(), Path::new("/tmp/%ZZA.c"));
        }
        assert_eq!(parse_lenient("no scheme at all"), None);
        let mut params = serde_json::json!({"textDocument": {"uri": "file:///a/é.c"},
            "changes": [{"uri": "file:///ok.c"}, {"uri": "file:///%zz"}]});
        let rewritten = repair_params(&mut params).unwrap();
        assert_eq!(params["textDocument"]["uri"], "file:///a/%C3%A9.c");
        assert_eq!(params["changes"][1]["uri"], "file:///%25zz");
        let mut spelled: Vec<&str> = rewritten.iter().map(|(_, s)| s.as_str()).collect();
        spelled.sort();
        assert_eq!(spelled, ["file:///%zz", "file:///a/é.c"]);
        let mut params = serde_json::json!({"textDocument": {"uri": "::"}});
        assert_eq!(repair_params(&mut params), Err("::".to_string()));
    }

    #[test]
    fn other_schemes_have_no_path() {
        let u = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(to_path(&u), None);
    }
}
