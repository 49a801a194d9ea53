//! JSON-RPC over a byte stream with `Content-Length` framing, tolerant of bad input: a message
//! that is not JSON, or not a JSON-RPC message, gets an error response (or is reported on
//! stderr when it cannot have one) and is skipped instead of ending the session (lsp-server's
//! own stdio transport stops at the first bad message). A frame whose `Content-Length` is not a
//! number, is missing or is wrong leaves the reader where the next `Content-Length:` starts,
//! however it is glued to what came before. The session ends only at the end of the input, or
//! when the reader meets an I/O error.
//!
//! The way out is an `Outbox`: a client that stops reading while edits keep coming holds only
//! the latest diagnostics of each document, not every superseded one.

use std::collections::VecDeque;
use std::io::{BufRead, Read, Write};
use std::sync::mpsc::Sender;
use std::sync::{Condvar, Mutex};

use lsp_server::{ErrorCode, Message, RequestId, Response};

use super::lint::lock;

/// A single message larger than this is skipped (its body is read and dropped), so that a
/// broken or hostile client cannot make the server allocate without limit.
pub const MAX_MESSAGE: usize = 64 * 1024 * 1024;

/// The header every frame starts with, in lower case (header names are case-insensitive).
const LENGTH_HEADER: &[u8] = b"content-length:";

/// What the reader hands the main loop.
pub enum Incoming {
    Message(Message),
    /// A request that could not be understood but carried an id: it gets an error response.
    Invalid(RequestId, String),
    /// A message that is not JSON, or not a JSON-RPC message and without an id: it gets an
    /// error response whose id is `null`, as JSON-RPC asks.
    Unreadable(ErrorCode, String),
}

/// Reads framed messages until the end of the input and sends them to `tx`. Returns when the
/// input ends, the input fails, or the receiver is gone.
pub fn read_loop(mut input: impl BufRead, tx: Sender<Incoming>) {
    // What a frame read too far (the start of the next frame, inside a body that was longer
    // than the message): read again as headers before the rest of the input.
    let mut pushback: Vec<u8> = Vec::new();
    loop {
        let mut src = std::io::Cursor::new(std::mem::take(&mut pushback)).chain(input.by_ref());
        let frame = read_frame(&mut src);
        let (rest, _) = src.into_inner();
        let at = (rest.position() as usize).min(rest.get_ref().len());
        pushback = rest.into_inner().split_off(at);
        match frame {
            Ok(Frame::Eof) => return,
            Ok(Frame::Skipped(why)) => eprintln!("wsalint server: skipped a message: {why}"),
            Ok(Frame::Body(body)) => {
                let parsed = serde_json::from_slice(&body).or_else(|e| match resync_point(&body) {
                    Some(at) => {
                        // The message was shorter than its Content-Length: the next frame starts
                        // inside the body.
                        eprintln!(
                            "wsalint server: a message was {at} bytes, not {} as its \
                             Content-Length said; reading on from the next header",
                            body.len()
                        );
                        let mut next = body[at..].to_vec();
                        next.append(&mut pushback);
                        pushback = next;
                        serde_json::from_slice(&body[..at])
                    }
                    None => Err(e),
                });
                let incoming = match parsed {
                    Ok(value) => decode(value),
                    Err(e) => {
                        eprintln!("wsalint server: a message that is not JSON: {e}");
                        Incoming::Unreadable(
                            ErrorCode::ParseError,
                            format!("parse error: the message is not JSON: {e}"),
                        )
                    }
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

/// Where the next frame starts inside a body that is not JSON: at the last `Content-Length:`
/// in it, or at its end when the body ends with the start of that header (a Content-Length
/// that was too large by a few bytes). `None` when it holds neither.
fn resync_point(body: &[u8]) -> Option<usize> {
    if let Some(at) = rfind_header(body) {
        return Some(at);
    }
    (1..LENGTH_HEADER.len())
        .rev()
        .find(|&n| {
            body.len() >= n && body[body.len() - n..].eq_ignore_ascii_case(&LENGTH_HEADER[..n])
        })
        .map(|n| body.len() - n)
}

/// The offset of the last `Content-Length:` (any case) in `bytes`.
fn rfind_header(bytes: &[u8]) -> Option<usize> {
    bytes
        .windows(LENGTH_HEADER.len())
        .rposition(|w| w.eq_ignore_ascii_case(LENGTH_HEADER))
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

/// Header lines are short: a "line" without a newline for this long is garbage, read in pieces.
const MAX_LINE: u64 = 64 * 1024;

fn read_frame(input: &mut impl BufRead) -> std::io::Result<Frame> {
    let mut length: Option<usize> = None;
    let mut bad_length = None;
    let mut saw_header = false;
    // Bytes read that belong to no frame (the rest of a broken one), before the next header.
    let mut garbage = 0usize;
    let mut line = Vec::new();
    // The end of a piece of a long line, where a `Content-Length:` may start.
    let mut carry = Vec::new();
    loop {
        line.clear();
        line.append(&mut carry);
        let carried = line.len();
        let n = input.by_ref().take(MAX_LINE).read_until(b'\n', &mut line)?;
        if n == 0 {
            return Ok(Frame::Eof);
        }
        if !line.ends_with(b"\n") {
            // A piece of a long line: garbage, but the next header may start at its end.
            let keep = match rfind_header(&line) {
                Some(at) if line.len() - at < 1024 => at,
                _ => line.len().saturating_sub(LENGTH_HEADER.len() - 1),
            };
            garbage += keep.saturating_sub(carried);
            carry = line.split_off(keep);
            saw_header = true;
            continue;
        }
        let text = line.strip_suffix(b"\n").unwrap_or(&line);
        let text = text.strip_suffix(b"\r").unwrap_or(text);
        if text.is_empty() {
            if saw_header {
                break;
            }
            // Blank lines between messages are tolerated.
            continue;
        }
        saw_header = true;
        match rfind_header(text) {
            Some(at) => {
                if at > 0 || garbage > 0 || length.is_some() || bad_length.is_some() {
                    // A header glued to the end of a broken frame, or a second Content-Length:
                    // a frame starts here.
                    garbage += at;
                    length = None;
                }
                let value = String::from_utf8_lossy(&text[at + LENGTH_HEADER.len()..]);
                match value.trim().parse::<usize>() {
                    Ok(n) => {
                        length = Some(n);
                        bad_length = None;
                    }
                    Err(_) => bad_length = Some(value.trim().to_string()),
                }
            }
            // Another header (`Content-Type`), or garbage: skipped.
            None if length.is_none() && !text.contains(&b':') => garbage += line.len(),
            None => {}
        }
    }
    if garbage > 0 && length.is_some() {
        eprintln!("wsalint server: skipped {garbage} bytes before a Content-Length header");
    }
    let Some(length) = length else {
        return Ok(Frame::Skipped(match bad_length {
            Some(v) => format!("bad Content-Length `{}`", v.escape_debug()),
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

/// One message: a JSON-RPC message, or an error for one that cannot be understood.
fn decode(value: serde_json::Value) -> Incoming {
    let id = value.get("id").and_then(|id| match id {
        serde_json::Value::Number(n) => Some(RequestId::from(i32::try_from(n.as_i64()?).ok()?)),
        serde_json::Value::String(s) => Some(RequestId::from(s.clone())),
        _ => None,
    });
    let invalid = |why: String| {
        eprintln!("wsalint server: a malformed message: {why}");
        match id.clone() {
            Some(id) => Incoming::Invalid(id, why),
            None => {
                Incoming::Unreadable(ErrorCode::InvalidRequest, format!("invalid request: {why}"))
            }
        }
    };
    if !value.is_object() {
        return invalid("not a JSON object".into());
    }
    match value.get("method") {
        Some(serde_json::Value::String(_)) | None => {}
        Some(_) => return invalid("`method` is not a string".into()),
    }
    match serde_json::from_value::<Message>(value) {
        Ok(m) => Incoming::Message(m),
        Err(e) => invalid(e.to_string()),
    }
}

/// A message for the client.
pub enum Outgoing {
    Message(Message),
    /// An error response to a message whose id could not be read: `"id": null`.
    Unanswerable(ErrorCode, String),
}

impl From<Message> for Outgoing {
    fn from(m: Message) -> Outgoing {
        Outgoing::Message(m)
    }
}

impl Outgoing {
    /// The document whose diagnostics this message publishes.
    fn published_uri(&self) -> Option<&str> {
        match self {
            Outgoing::Message(Message::Notification(n))
                if n.method == "textDocument/publishDiagnostics" =>
            {
                n.params.get("uri")?.as_str()
            }
            _ => None,
        }
    }

    fn write(&self, output: &mut impl Write) -> std::io::Result<()> {
        match self {
            Outgoing::Message(m) => m.write(output),
            Outgoing::Unanswerable(code, message) => {
                let body = serde_json::json!({
                    "jsonrpc": "2.0",
                    "id": null,
                    "error": {"code": *code as i32, "message": message},
                })
                .to_string();
                write!(output, "Content-Length: {}\r\n\r\n{body}", body.len())?;
                output.flush()
            }
        }
    }
}

/// Messages waiting for a client that reads slowly, or not at all (a frozen editor).
pub const MAX_QUEUED: usize = 4096;

/// The messages on their way to the client, in order. Diagnostics published for a document
/// replace those still waiting for it (only the latest ones mean anything), and past
/// `MAX_QUEUED` waiting messages new ones are dropped, so that a client that stops reading
/// while edits keep coming costs a bounded amount of memory.
#[derive(Default)]
pub struct Outbox {
    queue: Mutex<Queue>,
    ready: Condvar,
}

#[derive(Default)]
struct Queue {
    messages: VecDeque<Outgoing>,
    /// No more messages are taken (the session is over, or the client is gone).
    closed: bool,
    /// Messages dropped because the queue was full, said once on stderr.
    dropped: usize,
}

impl Outbox {
    /// Queues a message for the writer.
    pub fn send(&self, msg: impl Into<Outgoing>) {
        let msg = msg.into();
        let mut queue = lock(&self.queue);
        if queue.closed {
            return;
        }
        if let Some(uri) = msg.published_uri() {
            if let Some(waiting) = queue
                .messages
                .iter_mut()
                .find(|m| m.published_uri() == Some(uri))
            {
                *waiting = msg;
                return;
            }
        }
        if queue.messages.len() >= MAX_QUEUED {
            if queue.dropped == 0 {
                eprintln!(
                    "wsalint server: the client reads no messages; dropping what does not fit \
                     in {MAX_QUEUED} waiting ones"
                );
            }
            queue.dropped += 1;
            return;
        }
        queue.messages.push_back(msg);
        self.ready.notify_one();
    }

    /// The next message to write, waiting for one; `None` once the outbox is closed and empty.
    fn next(&self) -> Option<Outgoing> {
        let mut queue = lock(&self.queue);
        loop {
            if let Some(m) = queue.messages.pop_front() {
                return Some(m);
            }
            if queue.closed {
                return None;
            }
            queue = self.ready.wait(queue).unwrap_or_else(|e| e.into_inner());
        }
    }

    /// Takes no more messages: the writer finishes with those waiting.
    pub fn close(&self) {
        lock(&self.queue).closed = true;
        self.ready.notify_all();
    }

    /// The client is gone: what waits is dropped, and every later message at once.
    fn abandon(&self) {
        let mut queue = lock(&self.queue);
        queue.closed = true;
        queue.messages.clear();
        self.ready.notify_all();
    }

    #[cfg(test)]
    fn waiting(&self) -> usize {
        lock(&self.queue).messages.len()
    }
}

/// Writes every message of `outbox` until it is closed and empty, or the output fails (a client
/// that went away).
pub fn write_loop(mut output: impl Write, outbox: &Outbox) {
    while let Some(msg) = outbox.next() {
        if msg.write(&mut output).is_err() {
            outbox.abandon();
            return;
        }
    }
    let _ = output.flush();
}

#[cfg(test)]
mod tests {
    use super::*;
    use lsp_server::Notification;

    fn frames(input: &[u8]) -> Vec<String> {
        let (tx, rx) = std::sync::mpsc::channel();
        read_loop(std::io::Cursor::new(input.to_vec()), tx);
        rx.iter()
            .map(|i| match i {
                Incoming::Message(Message::Notification(n)) => n.method,
                Incoming::Message(Message::Request(r)) => format!("req {}", r.method),
                Incoming::Message(Message::Response(_)) => "response".into(),
                Incoming::Invalid(id, _) => format!("invalid {id}"),
                Incoming::Unreadable(code, _) => format!("unreadable {}", code as i32),
            })
            .collect()
    }

    fn frame(body: &str) -> String {
        format!("Content-Length: {}\r\n\r\n{body}", body.len())
    }

    #[test]
    fn bad_messages_are_answered_or_skipped_and_reading_goes_on() {
        let mut input = String::new();
        input += &frame(r#"{"jsonrpc":"2.0","method":"a"}"#);
        input += &frame("{not json");
        input += &frame(r#"{"jsonrpc":"2.0","id":7,"method":5}"#);
        input += &frame(r#"{"jsonrpc":"2.0","method":5}"#);
        input += &frame("[1]");
        input += "Content-Length: abc\r\n\r\n";
        input += "\r\n";
        input += &frame(r#"{"jsonrpc":"2.0","id":1,"method":"b"}"#);
        input += "Content-Length: 500\r\n\r\n{\"trunc";
        assert_eq!(
            frames(input.as_bytes()),
            [
                "a",
                "unreadable -32700",
                "invalid 7",
                "unreadable -32600",
                "unreadable -32600",
                "req b"
            ]
        );
    }

    #[test]
    fn lf_only_headers_are_accepted() {
        let body = r#"{"jsonrpc":"2.0","method":"x"}"#;
        let input = format!("Content-Length: {}\n\n{body}", body.len());
        assert_eq!(frames(input.as_bytes()), ["x"]);
    }

    /// Each broken frame costs at most itself: the frame after it is read.
    #[test]
    fn a_broken_frame_is_followed_by_the_next_one() {
        let a = r#"{"jsonrpc":"2.0","method":"a"}"#;
        let b = r#"{"jsonrpc":"2.0","id":2,"method":"b"}"#;
        let c = r#"{"jsonrpc":"2.0","method":"c"}"#;
        let cases = [
            // Not a number; then its body is glued to the next header.
            format!("Content-Length: 3x\r\n\r\n{a}{}{}", frame(b), frame(c)),
            // No Content-Length at all.
            format!("Content-Type: x\r\n\r\n{a}{}{}", frame(b), frame(c)),
            // One byte short: the last `}` is glued to the next header.
            format!(
                "Content-Length: {}\r\n\r\n{a}{}{}",
                a.len() - 1,
                frame(b),
                frame(c)
            ),
            // One byte too many, and far too many: the next frames are inside the body.
            format!(
                "Content-Length: {}\r\n\r\n{a}{}{}",
                a.len() + 1,
                frame(b),
                frame(c)
            ),
            format!(
                "Content-Length: {}\r\n\r\n{a}{}{}{}",
                a.len() + 40,
                frame(b),
                frame(c),
                frame(c)
            ),
            // The header's name in another case, after a long line of garbage.
            format!(
                "{}CONTENT-LENGTH: {}\r\n\r\n{b}{}",
                "x".repeat(200_000),
                b.len(),
                frame(c)
            ),
        ];
        for (i, input) in cases.iter().enumerate() {
            let got = frames(input.as_bytes());
            let tail: Vec<&str> = got
                .iter()
                .map(String::as_str)
                .filter(|m| m.starts_with("req") || *m == "c")
                .collect();
            assert_eq!(tail[..2], ["req b", "c"], "case {i}: {got:?}");
        }
    }

    fn publish(uri: &str, version: i32) -> Message {
        Message::Notification(Notification::new(
            "textDocument/publishDiagnostics".into(),
            serde_json::json!({"uri": uri, "diagnostics": [], "version": version}),
        ))
    }

    /// A client that stops reading: each document's latest diagnostics wait, not every
    /// superseded one, and the queue never grows past its bound.
    #[test]
    fn only_the_latest_diagnostics_of_a_document_wait() {
        let outbox = Outbox::default();
        for v in 1..=200 {
            outbox.send(publish("file:///a.c", v));
            outbox.send(publish("file:///b.c", v));
        }
        outbox.send(Message::Response(Response::new_ok(
            RequestId::from(1),
            serde_json::Value::Null,
        )));
        assert_eq!(outbox.waiting(), 3);
        let first = outbox.next().unwrap();
        assert_eq!(first.published_uri(), Some("file:///a.c"));
        let Outgoing::Message(Message::Notification(n)) = first else {
            panic!("a notification")
        };
        assert_eq!(n.params["version"], 200);
        for i in 0..MAX_QUEUED * 2 {
            outbox.send(publish(&format!("file:///{i}.c"), 1));
        }
        assert_eq!(outbox.waiting(), MAX_QUEUED);
        outbox.close();
        let mut out = Vec::new();
        write_loop(&mut out, &outbox);
        assert_eq!(outbox.waiting(), 0);
        assert!(out.starts_with(b"Content-Length: "));
    }

    #[test]
    fn an_unanswerable_message_gets_a_null_id() {
        let mut out = Vec::new();
        Outgoing::Unanswerable(ErrorCode::ParseError, "parse error".into())
            .write(&mut out)
            .unwrap();
        let text = String::from_utf8(out).unwrap();
        let body = text.split("\r\n\r\n").nth(1).unwrap();
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"jsonrpc": "2.0", "id": null,
                "error": {"code": -32700, "message": "parse error"}})
        );
    }
}
