//! JSON-RPC over a byte stream with `Content-Length` framing, tolerant of bad input: a message
//! that is not JSON, or not a JSON-RPC message, is reported on stderr and skipped instead of
//! ending the session (lsp-server's own stdio transport stops at the first bad message). The
//! session ends only at the end of the input, or when the reader meets an I/O error.

use std::io::{BufRead, Read, Write};
use std::sync::mpsc::{Receiver, Sender};

use lsp_server::{ErrorCode, Message, RequestId, Response};

/// A single message larger than this is skipped (its body is read and dropped), so that a
/// broken or hostile client cannot make the server allocate without limit.
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// What the reader hands the main loop.
pub enum Incoming {
    Message(Message),
    /// A request that could not be understood but carried an id: it gets an error response.
    Invalid(RequestId, String),
}

/// Reads framed messages until the end of the input and sends them to `tx`. Returns when the
/// input ends, the input fails, or the receiver is gone.
pub fn read_loop(mut input: impl BufRead, tx: Sender<Incoming>) {
    loop {
        match read_frame(&mut input) {
            Ok(Frame::Eof) => return,
            Ok(Frame::Skipped(why)) => eprintln!("wsalint server: skipped a message: {why}"),
            Ok(Frame::Body(body)) => {
                let Some(incoming) = decode(&body) else {
                    continue;
                };
                if tx.send(incoming).is_err() {
                    return;
                }
            }
            Err(e) => {
                eprintln!("wsalint server: cannot read the input: {e}");
                return;
            }
        }
    }
}

/// Writes every message sent to `rx` until all senders are gone or the output fails (a client
/// that went away).
pub fn write_loop(mut output: impl Write, rx: Receiver<Message>) {
    for msg in rx {
        if msg.write(&mut output).is_err() {
            // Dropping the receiver makes every later send fail at once: nothing piles up.
            return;
        }
    }
    let _ = output.flush();
}

/// An error response to a request that was not understood.
pub fn invalid_request(id: RequestId, why: String) -> Message {
    Message::Response(Response::new_err(
        id,
        ErrorCode::InvalidRequest as i32,
        format!("invalid request: {why}"),
    ))
}

enum Frame {
    Eof,
    Body(Vec<u8>),
    Skipped(String),
}

fn read_frame(input: &mut impl BufRead) -> std::io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad_length = None;
    let mut saw_header = false;
    let mut line = Vec::new();
    loop {
        line.clear();
        // Header lines are short; a "line" without a newline for 64 KiB is garbage.
        let n = input
            .by_ref()
            .take(64 * 1024)
            .read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Frame::Eof);
        }
        let text = String::from_utf8_lossy(&line);
        let text = text.trim_end_matches(['\r', '\n']);
        if text.is_empty() {
            if saw_header {
                break;
            }
            // Blank lines between messages are tolerated.
            continue;
        }
        saw_header = true;
        if let Some((name, value)) = text.split_once(':') {
            if name.trim().eq_ignore_ascii_case("content-length") {
                match value.trim().parse::<usize>() {
                    Ok(n) => length = Some(n),
                    Err(_) => bad_length = Some(value.trim().to_string()),
                }
            }
        }
    }
    let Some(length) = length else {
        return Ok(Frame::Skipped(match bad_length {
            Some(v) => format!("bad Content-Length `{v}`"),
            None => "no Content-Length header".into(),
        }));
    };
    if length > MAX_MESSAGE {
        let skipped = std::io::copy(
            &mut input.by_ref().take(length as u64),
            &mut std::io::sink(),
        )?;
        if (skipped as usize) < length {
            return Ok(Frame::Eof);
        }
        return Ok(Frame::Skipped(format!(
            "{length} bytes is over the limit of {MAX_MESSAGE} bytes"
        )));
    }
    let mut body = Vec::with_capacity(length);
    input.by_ref().take(length as u64).read_to_end(&mut body)?;
    if body.len() < length {
        // The input ended inside a message.
        return Ok(Frame::Eof);
    }
    Ok(Frame::Body(body))
}

/// One message body: a JSON-RPC message, an error for a request that cannot be understood, or
/// nothing (reported on stderr).
fn decode(body: &[u8]) -> Option<Incoming> {
    let value: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("wsalint server: skipped a message that is not JSON: {e}");
            return None;
        }
    };
    let id = value.get("id").and_then(|id| match id {
        serde_json::Value::Number(n) => Some(RequestId::from(i32::try_from(n.as_i64()?).ok()?)),
        serde_json::Value::String(s) => Some(RequestId::from(s.clone())),
        _ => None,
    });
    let invalid = |why: String| {
        eprintln!("wsalint server: skipped a malformed message: {why}");
        id.clone().map(|id| Incoming::Invalid(id, why))
    };
    match value.get("method") {
        Some(serde_json::Value::String(_)) | None => {}
        Some(_) => return invalid("`method` is not a string".into()),
    }
    match serde_json::from_value::<Message>(value) {
        Ok(m) => Some(Incoming::Message(m)),
        Err(e) => invalid(e.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8]) -> Vec<String> {
        let (tx, rx) = std::sync::mpsc::channel();
        read_loop(std::io::Cursor::new(input.to_vec()), tx);
        rx.iter()
            .map(|i| match i {
                Incoming::Message(Message::Notification(n)) => n.method,
                Incoming::Message(Message::Request(r)) => format!("req {}", r.method),
                Incoming::Message(Message::Response(_)) => "response".into(),
                Incoming::Invalid(id, _) => format!("invalid {id}"),
            })
            .collect()
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn bad_messages_are_skipped_and_reading_goes_on() {
        let mut input = String::new();
        input += &frame(r#"{"jsonrpc":"2.0","method":"a"}"#);
        input += &frame("{not json");
        input += &frame(r#"{"jsonrpc":"2.0","id":7,"method":5}"#);
        input += "Content-Length: abc\r\n\r\n";
        input += "\r\n";
        input += &frame(r#"{"jsonrpc":"2.0","id":1,"method":"b"}"#);
        input += "Content-Length: 500\r\n\r\n{\"trunc";
        assert_eq!(frames(input.as_bytes()), ["a", "invalid 7", "req b"]);
    }

    #[test]
    fn lf_only_headers_are_accepted() {
        let body = r#"{"jsonrpc":"2.0","method":"x"}"#;
        let input = format!("Content-Length: {}\n\n{body}", body.len());
        assert_eq!(frames(input.as_bytes()), ["x"]);
    }
}
