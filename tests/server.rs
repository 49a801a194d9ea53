//! `wsalint server` as editors run it: the binary over stdio, JSON-RPC with Content-Length
//! framing in and out.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const WAIT: Duration = Duration::from_secs(120);

struct Client {
    child: Child,
    stdin: Option<ChildStdin>,
    rx: Receiver<Value>,
    /// Notifications received while waiting for something else.
    seen: Vec<Value>,
    next_id: i64,
}

fn file_uri(path: &Path) -> String {
    let mut out = String::from("file://");
    for b in path.to_str().unwrap().bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Client {
    fn spawn() -> Client {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wsalint"))
            .arg("server")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut r = BufReader::new(stdout);
            loop {
                let mut len = 0;
                loop {
                    let mut line = String::new();
                    if r.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let line = line.trim_end();
                    if line.is_empty() {
                        break;
                    }
                    if let Some(v) = line.strip_prefix("Content-Length: ") {
                        len = v.parse().unwrap();
                    }
                }
                let mut body = vec![0; len];
                if r.read_exact(&mut body).is_err() {
                    return;
                }
                if tx.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Client {
            stdin: child.stdin.take(),
            child,
            rx,
            seen: Vec::new(),
            next_id: 1,
        }
    }

    /// Starts a server and initializes it on `root`.
    fn start(root: &Path) -> Client {
        let mut c = Client::spawn();
        let r = c.request(
            "initialize",
            json!({
                "processId": null,
                "rootUri": file_uri(root),
                "capabilities": {"general": {"positionEncodings": ["utf-8", "utf-16"]}},
            }),
        );
        assert_eq!(r["result"]["capabilities"]["positionEncoding"], "utf-16");
        assert_eq!(
            r["result"]["capabilities"]["textDocumentSync"]["change"], 2,
            "incremental sync"
        );
        c.notify("initialized", json!({}));
        c
    }

    fn raw(&mut self, bytes: &[u8]) {
        let stdin = self.stdin.as_mut().unwrap();
        stdin.write_all(bytes).unwrap();
        stdin.flush().unwrap();
    }

    fn send(&mut self, v: Value) {
        let body = serde_json::to_vec(&v).unwrap();
        let mut msg = format!("Content-Length: {}\r\n\r\n", body.len()).into_bytes();
        msg.extend(body);
        self.raw(&msg);
    }

    fn notify(&mut self, method: &str, params: Value) {
        self.send(json!({"jsonrpc": "2.0", "method": method, "params": params}));
    }

    fn request(&mut self, method: &str, params: Value) -> Value {
        let id = self.next_id;
        self.next_id += 1;
        self.send(json!({"jsonrpc": "2.0", "id": id, "method": method, "params": params}));
        self.response(id)
    }

    fn recv(&mut self, deadline: Instant) -> Option<Value> {
        match self
            .rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
        {
            Ok(v) => Some(v),
            Err(RecvTimeoutError::Timeout) => None,
            Err(RecvTimeoutError::Disconnected) => None,
        }
    }

    fn response(&mut self, id: i64) -> Value {
        let deadline = Instant::now() + WAIT;
        loop {
            let v = self
                .recv(deadline)
                .unwrap_or_else(|| panic!("no response to request {id}"));
            if v.get("method").is_none() && v["id"] == id {
                return v;
            }
            self.seen.push(v);
        }
    }

    /// The next diagnostics published for `uri` that satisfy `pred`.
    fn diagnostics_until(&mut self, uri: &str, pred: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        let deadline = Instant::now() + WAIT;
        let mut last = None;
        loop {
            let v = if self.seen.is_empty() {
                self.recv(deadline)
            } else {
                Some(self.seen.remove(0))
            };
            let Some(v) = v else {
                panic!("no matching diagnostics for {uri}; last: {last:?}");
            };
            if v["method"] == "textDocument/publishDiagnostics" && v["params"]["uri"] == uri {
                let d = v["params"]["diagnostics"].as_array().unwrap().clone();
                if pred(&d) {
                    return d;
                }
                last = Some(d);
            }
        }
    }

    fn open(&mut self, uri: &str, text: &str) {
        self.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "c", "version": 1, "text": text}}),
        );
    }

    fn change(&mut self, uri: &str, version: i64, changes: Value) {
        self.notify(
            "textDocument/didChange",
            json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": changes}),
        );
    }

    fn code_actions(&mut self, uri: &str, range: Value, only: Option<&[&str]>) -> Vec<Value> {
        let mut context = json!({"diagnostics": []});
        if let Some(only) = only {
            context["only"] = json!(only);
        }
        let r = self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": range, "context": context}),
        );
        r["result"].as_array().unwrap().clone()
    }

    /// `shutdown` then `exit`: the exit code.
    fn shutdown(mut self) -> Option<i32> {
        let r = self.request("shutdown", Value::Null);
        assert!(r["error"].is_null(), "{r}");
        self.notify("exit", Value::Null);
        self.wait_exit()
    }

    fn wait_exit(&mut self) -> Option<i32> {
        let deadline = Instant::now() + WAIT;
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status.code();
            }
            assert!(Instant::now() < deadline, "the server did not exit");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Client {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const LEAK: &str = r#"#include <windows.h>
int adapters(void)
{
    HMODULE h;
    /* Größe 😀 */ h = LoadLibraryA("iphlpapi.dll");
    FreeLibrary(h);
    return 0;
}
"#;

fn codes(d: &[Value]) -> Vec<String> {
    d.iter()
        .map(|d| d["code"].as_str().unwrap().to_string())
        .collect()
}

fn utf16_len(s: &str) -> u64 {
    s.encode_utf16().count() as u64
}

/// The UTF-16 position of the first `needle` in `text`.
fn pos_of(text: &str, needle: &str) -> Value {
    let at = text.find(needle).unwrap();
    let line = text[..at].matches('\n').count();
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    json!({"line": line, "character": utf16_len(&text[start..at])})
}

/// Applies LSP text edits (UTF-16 positions) to a text.
fn apply_edits(text: &str, edits: &[Value]) -> String {
    let offset = |p: &Value| {
        let line = p["line"].as_u64().unwrap() as usize;
        let ch = p["character"].as_u64().unwrap() as usize;
        let start: usize = text.split_inclusive('\n').take(line).map(str::len).sum();
        let mut units = 0;
        let mut off = start;
        for c in text[start..].chars() {
            if units >= ch || c == '\n' || c == '\r' {
                break;
            }
            units += c.len_utf16();
            off += c.len_utf8();
        }
        off
    };
    let mut edits: Vec<(usize, usize, String)> = edits
        .iter()
        .map(|e| {
            (
                offset(&e["range"]["start"]),
                offset(&e["range"]["end"]),
                e["newText"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    edits.sort_by_key(|e| std::cmp::Reverse(e.0));
    let mut out = text.to_string();
    for (a, b, t) in edits {
        out.replace_range(a..b, &t);
    }
    out
}

#[test]
fn diagnostics_on_open_change_and_close_at_utf16_positions() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.c");
    std::fs::write(&path, LEAK).unwrap();
    let uri = file_uri(&path);
    let mut c = Client::start(dir.path());
    c.open(&uri, LEAK);
    let d = c.diagnostics_until(&uri, |d| !d.is_empty());
    assert_eq!(codes(&d), ["WSA001"]);
    let d = &d[0];
    assert_eq!(d["source"], "wsalint");
    assert_eq!(d["severity"], 2);
    assert_eq!(d["range"]["start"], pos_of(LEAK, "LoadLibraryA"));
    assert_eq!(d["range"]["end"], pos_of(LEAK, ";\n    FreeLibrary"));
    assert!(d["codeDescription"]["href"]
        .as_str()
        .unwrap()
        .ends_with("#wsa001-iphlpapi-load-cycle"));
    let related = &d["relatedInformation"][0];
    assert_eq!(related["location"]["uri"], uri.as_str());
    assert_eq!(
        related["location"]["range"]["start"],
        pos_of(LEAK, "FreeLibrary")
    );
    assert!(d["message"].as_str().unwrap().contains("`adapters`"));

    // Typing non-ASCII text before the load moves the finding by UTF-16 units.
    let at = pos_of(LEAK, " h = LoadLibraryA");
    c.change(
        &uri,
        2,
        json!([{"range": {"start": at, "end": at}, "text": "𝄞é"}]),
    );
    let text2 = LEAK.replace(" */ h = ", " */𝄞é h = ");
    let d = c.diagnostics_until(&uri, |d| {
        d.first()
            .is_some_and(|d| d["range"]["start"] == pos_of(&text2, "LoadLibraryA"))
    });
    assert_eq!(codes(&d), ["WSA001"]);

    // An unsaved edit that deletes the FreeLibrary line clears the finding.
    let start = pos_of(&text2, "    FreeLibrary");
    let end = pos_of(&text2, "    return 0;");
    c.change(
        &uri,
        3,
        json!([{"range": {"start": start, "end": end}, "text": ""}]),
    );
    c.diagnostics_until(&uri, |d| d.is_empty());

    // A full-text change brings it back; closing clears it.
    c.change(&uri, 4, json!([{"text": LEAK}]));
    c.diagnostics_until(&uri, |d| d.len() == 1);
    c.notify(
        "textDocument/didClose",
        json!({"textDocument": {"uri": uri}}),
    );
    c.diagnostics_until(&uri, |d| d.is_empty());
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn ignore_action_inserts_the_suppression_comment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("net.c");
    let crlf = LEAK.replace('\n', "\r\n");
    let uri = file_uri(&path);
    let mut c = Client::start(dir.path());
    c.open(&uri, &crlf);
    let d = c.diagnostics_until(&uri, |d| !d.is_empty());
    let actions = c.code_actions(&uri, d[0]["range"].clone(), None);
    let ignore = actions
        .iter()
        .find(|a| a["title"] == "ignore `WSA001` on this line")
        .unwrap_or_else(|| panic!("{actions:?}"));
    assert_eq!(ignore["kind"], "quickfix");
    assert_eq!(ignore["diagnostics"][0]["code"], "WSA001");
    // WSA001 has no edit to apply (a suggestion) and no safe fix: no other action.
    assert_eq!(actions.len(), 1, "{actions:?}");
    let edits = ignore["edit"]["changes"][uri.as_str()].as_array().unwrap();
    let fixed = apply_edits(&crlf, edits);
    assert_eq!(
        fixed,
        crlf.replace(
            "\"iphlpapi.dll\");\r\n",
            "\"iphlpapi.dll\"); // wsalint-ignore WSA001\r\n"
        )
    );
    c.change(&uri, 2, json!([{"text": fixed}]));
    c.diagnostics_until(&uri, |d| d.is_empty());

    // Only source actions asked for: nothing (no safe fix in the file).
    let only = c.code_actions(&uri, d[0]["range"].clone(), Some(&["source.fixAll"]));
    assert!(only.is_empty(), "{only:?}");
    // A document that is not open has no actions.
    let none = c.code_actions(
        &file_uri(&dir.path().join("gone.c")),
        d[0]["range"].clone(),
        None,
    );
    assert!(none.is_empty());
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn config_applies_is_reread_and_a_broken_one_is_shown_on_the_config_file() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("wsalint.toml");
    std::fs::write(&cfg, "ignore = [\"WSA001\"]\n").unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    let path = dir.path().join("src/net.c");
    std::fs::write(&path, LEAK).unwrap();
    let uri = file_uri(&path);
    let cfg_uri = file_uri(&cfg);
    let mut c = Client::start(dir.path());
    c.open(&uri, LEAK);
    c.diagnostics_until(&uri, |d| d.is_empty());

    // A broken config: an error on the config file, and the defaults meanwhile.
    std::fs::write(&cfg, "ignore = [\"WSA001\"]\nbogus_key = 1\n").unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": cfg_uri, "type": 2}]}),
    );
    let d = c.diagnostics_until(&cfg_uri, |d| !d.is_empty());
    assert_eq!(d[0]["range"]["start"]["line"], 1);
    assert!(d[0]["message"].as_str().unwrap().contains("bogus_key"));
    assert_eq!(d[0]["severity"], 1);
    c.diagnostics_until(&uri, |d| codes(d) == ["WSA001"]);

    // Fixed and saved: the error goes away and the config applies again.
    std::fs::write(&cfg, "ignore = [\"WSA0\"]\n").unwrap();
    c.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": cfg_uri}}),
    );
    c.diagnostics_until(&cfg_uri, |d| d.is_empty());
    c.diagnostics_until(&uri, |d| d.is_empty());

    // Severity overrides from the config, noticed without any notification (mtime).
    std::fs::write(&cfg, "[severity]\nWSA001 = \"error\"\n").unwrap();
    c.change(
        &uri,
        2,
        json!([{"text": LEAK.replace("return 0", "return 1")}]),
    );
    let d = c.diagnostics_until(&uri, |d| !d.is_empty());
    assert_eq!(d[0]["severity"], 1);
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn loader_wrappers_in_other_files_come_from_the_workspace_index() {
    let dir = tempfile::tempdir().unwrap();
    let fixture =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/wsa001-loader-in-another-file");
    let loader = std::fs::read_to_string(fixture.join("syslib.c")).unwrap();
    // The loader's file is UTF-16 on disk, as Visual Studio sometimes saves it.
    let mut utf16 = vec![0xFF, 0xFE];
    for u in loader.encode_utf16() {
        utf16.extend(u.to_le_bytes());
    }
    std::fs::write(dir.path().join("syslib.c"), utf16).unwrap();
    let poller = std::fs::read_to_string(fixture.join("netinfo.cpp")).unwrap();
    let path = dir.path().join("netinfo.cpp");
    std::fs::write(&path, &poller).unwrap();
    let uri = file_uri(&path);
    let mut c = Client::start(dir.path());
    c.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "cpp", "version": 1, "text": poller}}),
    );
    let d = c.diagnostics_until(&uri, |d| !d.is_empty());
    assert_eq!(codes(&d), ["WSA001"]);
    assert_eq!(d[0]["severity"], 1, "in a loop: an error");
    assert_eq!(d[0]["range"]["start"], pos_of(&poller, "sys_load(L"));
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn bad_input_never_stops_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Client::spawn();
    // Before initialize: an error, not a crash.
    let r = c.request("textDocument/codeAction", json!({}));
    assert_eq!(r["error"]["code"], -32002);
    c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    c.notify("initialized", json!({}));
    // Not JSON, a header without a length, a request with a bad method: skipped or refused.
    c.raw(b"Content-Length: 9\r\n\r\n{not json");
    c.raw(b"X-Nothing: 1\r\n\r\n");
    c.send(json!({"jsonrpc": "2.0", "id": 900, "method": 5}));
    assert_eq!(c.response(900)["error"]["code"], -32600);
    let r = c.request("textDocument/hover", json!({}));
    assert_eq!(
        r["error"]["code"], -32601,
        "unknown requests: MethodNotFound"
    );
    let r = c.request("textDocument/codeAction", json!({"nonsense": true}));
    assert_eq!(r["error"]["code"], -32602);
    // Changes to a document that was never opened, saves of files that vanished.
    c.change("file:///nowhere/x.c", 2, json!([{"text": "int x;"}]));
    let gone = file_uri(&dir.path().join("gone.c"));
    c.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": gone}}),
    );
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [{"uri": gone, "type": 3}]}),
    );
    // A document whose file does not exist, half typed.
    let uri = file_uri(&dir.path().join("half.c"));
    c.open(
        &uri,
        "void f(void) {\n    HMODULE h = LoadLibraryA(\"iphlpapi.dll\");\n    FreeLibrary(h",
    );
    c.diagnostics_until(&uri, |_| true);
    // A range past the end of the document.
    let far = json!({"line": 999, "character": 999});
    c.change(
        &uri,
        2,
        json!([{"range": {"start": far, "end": far}, "text": ");\n}\n"}]),
    );
    let d = c.diagnostics_until(&uri, |d| !d.is_empty());
    assert_eq!(codes(&d), ["WSA001"]);
    // An untitled buffer is linted too.
    c.open("untitled:Untitled-1", LEAK);
    c.diagnostics_until("untitled:Untitled-1", |d| d.len() == 1);
    assert_eq!(c.shutdown(), Some(0));
}

#[test]
fn a_big_file_and_a_burst_of_changes() {
    let dir = tempfile::tempdir().unwrap();
    let uri = file_uri(&dir.path().join("big.c"));
    let mut big = String::with_capacity(5_300_000);
    let mut n = 0;
    while big.len() < 5_000_000 {
        big.push_str(&format!(
            "int work_{n}(int a, int b)\n{{\n    /* Größe */ int c = a * b + {n};\n    return c - a;\n}}\n"
        ));
        n += 1;
    }
    big.push_str(LEAK);
    let mut c = Client::start(dir.path());
    c.open(&uri, &big);
    let d = c.diagnostics_until(&uri, |d| !d.is_empty());
    assert_eq!(codes(&d), ["WSA001"]);

    // 100 changes in about a second: the server keeps up, and the last text wins.
    let small = file_uri(&dir.path().join("burst.c"));
    c.open(&small, LEAK);
    c.diagnostics_until(&small, |d| d.len() == 1);
    let mut text = LEAK.to_string();
    for i in 0..100 {
        let at = pos_of(&text, "    return 0;");
        let insert = format!("    x{i}();\n");
        c.change(
            &small,
            2 + i,
            json!([{"range": {"start": at, "end": at}, "text": insert}]),
        );
        text = text.replace("    return 0;", &format!("{insert}    return 0;"));
        std::thread::sleep(Duration::from_millis(10));
    }
    let free = pos_of(&text, "    FreeLibrary");
    let after = pos_of(&text, "    x0();");
    c.change(
        &small,
        200,
        json!([{"range": {"start": free, "end": after}, "text": ""}]),
    );
    let started = Instant::now();
    c.diagnostics_until(&small, |d| d.is_empty());
    assert!(started.elapsed() < Duration::from_secs(10));
    let r = c.request("shutdown", Value::Null);
    assert!(r["error"].is_null());
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(), Some(0));
}

#[test]
fn a_client_that_goes_away_ends_the_server() {
    let mut c = Client::start(tempfile::tempdir().unwrap().path());
    c.open("untitled:x", LEAK);
    drop(c.stdin.take());
    assert!(c.wait_exit().is_some());

    // `exit` without `shutdown`: exit code 1, as the protocol says.
    let mut c = Client::spawn();
    c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    c.notify("exit", Value::Null);
    assert_eq!(c.wait_exit(), Some(1));
}

#[test]
fn safe_fixes_as_quick_fixes_and_fix_all() {
    let text = "#include <winsock2.h>\nvoid f(void)\n{\n    SOCKET s = socket(AF_INET, SOCK_STREAM, 0); /* é😀 */ if (s < 0)\n        return;\n    SOCKET t = socket(AF_INET, SOCK_STREAM, 0);\n    if (t <= 0) {\n        closesocket(s);\n        return;\n    }\n    closesocket(s);\n    closesocket(t);\n}\n";
    let dir = tempfile::tempdir().unwrap();
    let uri = file_uri(&dir.path().join("fix.c"));
    let mut c = Client::start(dir.path());
    c.open(&uri, text);
    let d = c.diagnostics_until(&uri, |d| codes(d) == ["WSA201", "WSA201"]);
    assert_eq!(d[0]["range"]["start"], pos_of(text, "s < 0"));
    assert_eq!(d[0]["severity"], 1);
    let actions = c.code_actions(&uri, d[0]["range"].clone(), Some(&["quickfix"]));
    let fix = &actions[0];
    assert_eq!(fix["kind"], "quickfix");
    assert_eq!(fix["isPreferred"], true);
    let one = apply_edits(
        text,
        fix["edit"]["changes"][uri.as_str()].as_array().unwrap(),
    );
    assert_eq!(one, text.replace("s < 0", "s == INVALID_SOCKET"));
    assert_eq!(actions[1]["title"], "ignore `WSA201` on this line");

    let all = c.code_actions(&uri, d[0]["range"].clone(), Some(&["source.fixAll"]));
    assert_eq!(all.len(), 1, "{all:?}");
    assert_eq!(all[0]["kind"], "source.fixAll.wsalint");
    let fixed = apply_edits(
        text,
        all[0]["edit"]["changes"][uri.as_str()].as_array().unwrap(),
    );
    assert_eq!(
        fixed,
        text.replace("s < 0", "s == INVALID_SOCKET")
            .replace("t <= 0", "t == INVALID_SOCKET")
    );
    c.change(&uri, 2, json!([{"text": fixed}]));
    c.diagnostics_until(&uri, |d| d.is_empty());
    assert_eq!(c.shutdown(), Some(0));
}

/// A frame whose Content-Length is not a number, is missing or is one byte short costs that
/// frame alone: the server reads on from the next header and answers every later request, and
/// a body that is not JSON gets JSON-RPC's parse error (with a null id).
#[test]
fn broken_frames_never_make_the_server_deaf() {
    let mut c = Client::spawn();
    c.request(
        "initialize",
        json!({"processId": null, "rootUri": null, "capabilities": {}}),
    );
    c.notify("initialized", json!({}));
    let body = br#"{"jsonrpc":"2.0","id":77,"method":"shutdown"}"#;
    let broken: [(&str, Vec<u8>); 3] = [
        ("not a number", b"Content-Length: 4O\r\n\r\n".to_vec()),
        (
            "missing",
            b"Content-Type: application/json\r\n\r\n".to_vec(),
        ),
        (
            "one byte short",
            format!("Content-Length: {}\r\n\r\n", body.len() - 1).into_bytes(),
        ),
    ];
    for (why, header) in broken {
        c.raw(&[header, body.to_vec()].concat());
        let r = c.request("textDocument/hover", json!({}));
        assert_eq!(r["error"]["code"], -32601, "after a frame with {why}: {r}");
    }
    let parse_errors: Vec<&Value> = c
        .seen
        .iter()
        .filter(|v| v["id"].is_null() && v["error"]["code"] == -32700)
        .collect();
    assert_eq!(parse_errors.len(), 1, "{:?}", c.seen);
    // None of the broken frames was taken for the `shutdown` it carried.
    assert!(c.seen.iter().all(|v| v["id"] != 77), "{:?}", c.seen);
    assert_eq!(c.shutdown(), Some(0));
}

/// A document over the size cap is told why it has no findings; document URIs that are not
/// valid as written (raw non-ASCII, a `%` that starts no escape) are linted and answered in the
/// client's own spelling, and one that is no URI at all gets a message.
#[test]
fn big_documents_and_odd_uris_are_never_dropped_in_silence() {
    let dir = tempfile::tempdir().unwrap();
    let mut c = Client::start(dir.path());
    let root = dir.path().to_str().unwrap();
    for uri in [
        format!("file://{root}/Größe 1.c"),
        format!("file://{root}/100%ZZ.c"),
    ] {
        c.open(&uri, LEAK);
        let d = c.diagnostics_until(&uri, |d| !d.is_empty());
        assert_eq!(codes(&d), ["WSA001"], "{uri}");
    }
    let big = file_uri(&dir.path().join("big.c"));
    let mut text = LEAK.to_string();
    text.push_str(&"int filler;\n".repeat(10 * 1024 * 1024 / 12));
    c.open(&big, &text);
    let d = c.diagnostics_until(&big, |d| !d.is_empty());
    assert_eq!(d.len(), 1, "{d:?}");
    assert_eq!(d[0]["severity"], 3, "information");
    let message = d[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "wsalint does not lint this file: {} bytes is over the size cap of 8388608 bytes",
            text.len()
        )),
        "{message}"
    );
    c.open("no scheme at all", LEAK);
    let deadline = Instant::now() + WAIT;
    let shown = loop {
        let v = c.recv(deadline).expect("a message about the URI");
        if v["method"] == "window/showMessage" {
            break v;
        }
    };
    assert_eq!(shown["params"]["type"], 1);
    assert_eq!(
        shown["params"]["message"],
        "wsalint cannot lint `no scheme at all`: it is not a URI"
    );
    assert_eq!(c.shutdown(), Some(0));
}

/// The editor agrees with `check` on `per-file-ignores`: globs relative to the config's
/// directory turn a rule off in the files they match, and nowhere else.
#[test]
fn per_file_ignores_apply_in_the_editor() {
    let dir = tempfile::tempdir().unwrap();
    let root = std::fs::canonicalize(dir.path()).unwrap();
    std::fs::write(
        root.join("wsalint.toml"),
        "[per-file-ignores]\n\"tests/**\" = [\"iphlpapi-load-cycle\"]\n",
    )
    .unwrap();
    let mut c = Client::start(&root);
    for (file, expected) in [("tests/t.c", vec![]), ("src/a.c", vec!["WSA001"])] {
        let path = root.join(file);
        write_file(&path, LEAK);
        let uri = file_uri(&path);
        c.open(&uri, LEAK);
        let d = c.diagnostics_until(&uri, |_| true);
        assert_eq!(codes(&d), expected, "{file}");
    }
    assert_eq!(c.shutdown(), Some(0));
}

fn write_file(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}
