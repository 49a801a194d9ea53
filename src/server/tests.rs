//! The session in-process, with a rule that carries fixes (a safe one and an unsafe one), to
//! check the code actions on fix edits whatever the built-in rules offer.

use std::io::{Read, Write};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::diagnostic::{Edit, Fix, Severity};
use crate::rules::{Ctx, FixKind, Rule, RuleMeta};

use super::{serve, Options};

struct TestFix;

static META: RuleMeta = RuleMeta {
    code: "WSA999",
    name: "test-fix",
    severity: Severity::Error,
    fix: FixKind::Safe,
    source: "",
    summary: "a rule with fixes, for the server's tests",
    docs: "",
    queries: &[],
    needles: &["s <"],
    tags: &[],
    precision: "high",
    security_severity: None,
    flow: true,
};

impl Rule for TestFix {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    /// `s < 0` gets a safe fix, `s <= 0` an unsafe one.
    fn check_file(&self, ctx: &mut Ctx) {
        let text = ctx.text;
        for (needle, safe) in [(&b"s < 0"[..], true), (&b"s <= 0"[..], false)] {
            let mut from = 0;
            while let Some(i) = text[from..].windows(needle.len()).position(|w| w == needle) {
                let at = from + i;
                let range = at..at + needle.len();
                let edits = vec![Edit::replace(range.clone(), "s == INVALID_SOCKET")];
                let fix = if safe {
                    Fix::safe("compare with `INVALID_SOCKET`", edits)
                } else {
                    Fix::unsafe_("compare with `INVALID_SOCKET`", edits)
                };
                ctx.report(META.diag(range, "`s` is never negative").with_fix(fix));
                from = at + needle.len();
            }
        }
    }
}

struct ChannelReader {
    rx: Receiver<Vec<u8>>,
    buf: Vec<u8>,
}

impl Read for ChannelReader {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.buf.is_empty() {
            match self.rx.recv() {
                Ok(b) => self.buf = b,
                Err(_) => return Ok(0),
            }
        }
        let n = out.len().min(self.buf.len());
        out[..n].copy_from_slice(&self.buf[..n]);
        self.buf.drain(..n);
        Ok(n)
    }
}

struct ChannelWriter(Sender<Vec<u8>>, Option<Arc<Mutex<()>>>);

impl Write for ChannelWriter {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let _open = self
            .1
            .as_ref()
            .map(|g| g.lock().unwrap_or_else(|e| e.into_inner()));
        let _ = self.0.send(b.to_vec());
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

struct Session {
    to_server: Option<Sender<Vec<u8>>>,
    from_server: Receiver<Vec<u8>>,
    pending: Vec<u8>,
    server: Option<std::thread::JoinHandle<i32>>,
}

impl Session {
    fn start() -> Session {
        Session::start_with(None, Options::default())
    }

    /// A session whose writes wait while `gate` is held (a client that stops reading).
    fn start_with(gate: Option<Arc<Mutex<()>>>, options: Options) -> Session {
        let (in_tx, in_rx) = mpsc::channel();
        let (out_tx, out_rx) = mpsc::channel();
        let server = std::thread::spawn(move || {
            let options = Options {
                extra_rules: vec![&TestFix],
                ..options
            };
            serve(
                ChannelReader {
                    rx: in_rx,
                    buf: Vec::new(),
                },
                ChannelWriter(out_tx, gate),
                options,
            )
        });
        let mut s = Session {
            to_server: Some(in_tx),
            from_server: out_rx,
            pending: Vec::new(),
            server: Some(server),
        };
        s.send(json!({"jsonrpc": "2.0", "id": 0, "method": "initialize",
            "params": {"capabilities": {"general": {"positionEncodings": ["utf-32"]}}}}));
        let init = s.next();
        assert_eq!(init["result"]["capabilities"]["positionEncoding"], "utf-32");
        s
    }

    fn send(&mut self, v: Value) {
        let body = serde_json::to_vec(&v).unwrap();
        let mut msg = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        msg.extend(body);
        self.to_server.as_ref().unwrap().send(msg).unwrap();
    }

    /// The next message from the server.
    fn next(&mut self) -> Value {
        loop {
            if let Some(end) = self.pending.windows(4).position(|w| w == b"\r\n\r\n") {
                let header = String::from_utf8_lossy(&self.pending[..end]).to_string();
                let len: usize = header
                    .trim()
                    .strip_prefix("Content-Length: ")
                    .unwrap()
                    .parse()
                    .unwrap();
                if self.pending.len() >= end + 4 + len {
                    let body: Vec<u8> = self.pending.drain(..end + 4 + len).collect();
                    return serde_json::from_slice(&body[end + 4..]).unwrap();
                }
            }
            let chunk = self
                .from_server
                .recv_timeout(Duration::from_secs(60))
                .expect("the server answers");
            self.pending.extend(chunk);
        }
    }

    fn request(&mut self, id: i64, method: &str, params: Value) -> Value {
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        loop {
            let v = self.next();
            if v["id"] == id {
                return v["result"].clone();
            }
        }
    }

    fn diagnostics(&mut self, version: i64) -> Vec<Value> {
        loop {
            let v = self.next();
            if v["method"] == "textDocument/publishDiagnostics" && v["params"]["version"] == version
            {
                return v["params"]["diagnostics"].as_array().unwrap().clone();
            }
        }
    }
}

fn only(actions: &Value, kind: &str) -> Vec<Value> {
    actions
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["kind"] == kind)
        .cloned()
        .collect()
}

#[test]
fn fixes_become_quickfixes_and_fix_all() {
    let text = "void f(int s)\n{\n    /* é😀 */ if (s < 0) return;\n    if (s <= 0) return;\n    if (s < 0) return;\n}\n";
    let uri = "untitled:fixes";
    let mut s = Session::start();
    s.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
        {"uri": uri, "languageId": "c", "version": 1, "text": text}}}),
    );
    let d = s.diagnostics(1);
    assert_eq!(d.len(), 3, "{d:?}");
    // UTF-32: the emoji is one character.
    assert_eq!(d[0]["range"]["start"], json!({"line": 2, "character": 17}));
    assert_eq!(d[0]["code"], "WSA999");

    let at = |d: &Value| json!({"textDocument": {"uri": uri}, "range": d["range"], "context": {"diagnostics": []}});
    let actions = s.request(1, "textDocument/codeAction", at(&d[0]));
    let quick = only(&actions, "quickfix");
    assert_eq!(quick.len(), 2, "the fix and the ignore action: {quick:?}");
    assert_eq!(quick[0]["title"], "compare with `INVALID_SOCKET`");
    assert_eq!(quick[0]["isPreferred"], true);
    let edit = &quick[0]["edit"]["changes"][uri][0];
    assert_eq!(edit["newText"], "s == INVALID_SOCKET");
    assert_eq!(edit["range"], d[0]["range"]);
    assert_eq!(quick[1]["title"], "ignore `WSA999` on this line");
    let ignore = &quick[1]["edit"]["changes"][uri][0];
    assert_eq!(
        ignore["range"]["start"],
        json!({"line": 2, "character": 31})
    );
    assert_eq!(ignore["newText"], " // wsalint-ignore WSA999");

    // The unsafe fix is offered, not preferred.
    let actions = s.request(2, "textDocument/codeAction", at(&d[1]));
    assert_eq!(only(&actions, "quickfix")[0]["isPreferred"], false);

    // Fix all: the two safe fixes, not the unsafe one.
    let mut params = at(&d[0]);
    params["context"]["only"] = json!(["source.fixAll"]);
    let actions = s.request(3, "textDocument/codeAction", params);
    assert_eq!(actions.as_array().unwrap().len(), 1, "{actions}");
    let all = &actions[0];
    assert_eq!(all["kind"], "source.fixAll.wsalint");
    let edits = all["edit"]["changes"][uri].as_array().unwrap();
    assert_eq!(edits.len(), 2);
    assert_eq!(edits[0]["range"], d[0]["range"]);
    assert_eq!(edits[1]["range"], d[2]["range"]);

    // Applying the fixes (as the client would) clears the findings they fix.
    let fixed = text.replace("s < 0", "s == INVALID_SOCKET");
    s.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": uri, "version": 2}, "contentChanges": [{"text": fixed}]}}),
    );
    let d = s.diagnostics(2);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0]["range"]["start"]["line"], 3);

    s.request(4, "shutdown", Value::Null);
    s.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    assert_eq!(s.server.take().unwrap().join().unwrap(), 0);
    drop(s.to_server.take());
}

/// A client that stops reading while edits keep coming (a frozen editor): once it reads again,
/// it gets the latest diagnostics of its document, not one publish per superseded edit.
#[test]
fn a_client_that_stops_reading_gets_only_the_latest_diagnostics() {
    let gate = Arc::new(Mutex::new(()));
    let options = Options {
        debounce: Duration::from_millis(1),
        max_wait: Duration::from_millis(1),
        ..Options::default()
    };
    let mut s = Session::start_with(Some(gate.clone()), options);
    let uri = "untitled:frozen";
    let frozen = gate.lock().unwrap();
    s.send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
        {"uri": uri, "languageId": "c", "version": 1, "text": "void f(int s) { if (s < 0) return; }\n"}}}),
    );
    let last = 40;
    for version in 2..=last {
        let text = format!(
            "void f(int s) {{ {} }}\n",
            "if (s < 0) return; ".repeat(version)
        );
        s.send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version}, "contentChanges": [{"text": text}]}}),
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Every edit is linted while the client reads nothing.
    std::thread::sleep(Duration::from_millis(1500));
    drop(frozen);
    let mut publishes = 0;
    loop {
        let v = s.next();
        if v["method"] == "textDocument/publishDiagnostics" {
            publishes += 1;
            if v["params"]["version"] == last {
                assert_eq!(v["params"]["diagnostics"].as_array().unwrap().len(), last);
                break;
            }
        }
    }
    // The one being written when the client froze, and the latest.
    assert!(publishes <= 2, "{publishes} publishes");
    s.request(1, "shutdown", Value::Null);
    s.send(json!({"jsonrpc": "2.0", "method": "exit"}));
    assert_eq!(s.server.take().unwrap().join().unwrap(), 0);
    drop(s.to_server.take());
}
