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

    #[test]
    fn other_schemes_have_no_path() {
        let u = Uri::from_str("untitled:Untitled-1").unwrap();
        assert_eq!(to_path(&u), None);
    }
}
