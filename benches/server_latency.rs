//! The time from a `didChange` to its `publishDiagnostics` on a 5,000-line C file, measured
//! end to end through `wsalint server` over stdio as an editor sees it.
//! Run: `cargo bench --bench server_latency` (edits are spaced out past the debounce window, so
//! each one is linted at once, as a single keystroke after a pause is).

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

const EDITS: usize = 40;

/// About 5,000 lines of Winsock code: clients, servers, adapter polling, some of it buggy.
fn source() -> String {
    let mut out =
        String::from("#include <winsock2.h>\n#include <windows.h>\n#include <iphlpapi.h>\n\n");
    let mut i = 0;
    while out.lines().count() < 5_000 {
        out.push_str(&format!(
            r#"/* Connection {i}: Größe der Puffer prüfen */
static int connect_{i}(const char *host, unsigned short port)
{{
    struct sockaddr_in addr;
    SOCKET s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
    if (s == INVALID_SOCKET)
        return -1;
    memset(&addr, 0, sizeof addr);
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = inet_addr(host);
    if (connect(s, (struct sockaddr *)&addr, sizeof addr) == SOCKET_ERROR) {{
        closesocket(s);
        return -1;
    }}
    send(s, "ping", 4, 0);
    closesocket(s);
    return 0;
}}

static DWORD adapters_{i}(void)
{{
    HMODULE h = LoadLibraryA("iphlpapi.dll");
    DWORD n = 0;
    if (h != NULL) {{
        n = GetTickCount() % {m};
        FreeLibrary(h);
    }}
    return n;
}}

"#,
            m = i + 7
        ));
        i += 1;
    }
    out
}

/// The CPU time a process has used so far, from /proc (Linux only).
fn cpu_ms(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after the last `)`.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // SAFETY: sysconf has no preconditions.
    let hz = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Some(ticks * 1000.0 / hz)
}

fn main() {
    let exe = env!("CARGO_BIN_EXE_wsalint");
    let dir = std::env::temp_dir().join(format!("wsalint-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let text = source();
    let lines = text.lines().count();
    let path = dir.join("bench.c");
    std::fs::write(&path, &text).unwrap();
    let uri = format!("file://{}", path.display());

    let mut child = Command::new(exe)
        .arg("server")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel::<(Instant, Value)>();
    std::thread::spawn(move || {
        let mut r = BufReader::new(stdout);
        loop {
            let mut len = 0;
            loop {
                let mut line = String::new();
                if r.read_line(&mut line).unwrap_or(0) == 0 {
                    return;
                }
                if line.trim().is_empty() {
                    break;
                }
                if let Some(v) = line.trim().strip_prefix("Content-Length: ") {
                    len = v.parse().unwrap();
                }
            }
            let mut body = vec![0; len];
            if r.read_exact(&mut body).is_err() {
                return;
            }
            let _ = tx.send((Instant::now(), serde_json::from_slice(&body).unwrap()));
        }
    });
    let mut send = |v: Value| {
        let body = serde_json::to_vec(&v).unwrap();
        write!(stdin, "Content-Length: {}\r\n\r\n", body.len()).unwrap();
        stdin.write_all(&body).unwrap();
        stdin.flush().unwrap();
    };
    let wait_version = |version: i64| -> (Instant, usize) {
        loop {
            let (at, v) = rx
                .recv_timeout(Duration::from_secs(60))
                .expect("diagnostics");
            if v["method"] == "textDocument/publishDiagnostics" && v["params"]["version"] == version
            {
                return (at, v["params"]["diagnostics"].as_array().unwrap().len());
            }
        }
    };

    send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"processId": null, "rootUri": format!("file://{}", dir.display()), "capabilities": {}}}));
    send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));
    let opened = Instant::now();
    send(
        json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
        {"uri": uri, "languageId": "c", "version": 1, "text": text}}}),
    );
    let (at, findings) = wait_version(1);
    println!(
        "{lines} lines, {} bytes: first diagnostics {:.1} ms after didOpen ({findings} findings)",
        text.len(),
        at.duration_since(opened).as_secs_f64() * 1000.0
    );

    let pid = child.id();
    let cpu_before = cpu_ms(pid);
    let mut times = Vec::new();
    for k in 0..EDITS {
        std::thread::sleep(Duration::from_millis(250));
        // Type a character into a comment in the middle of the file.
        let line = lines / 2 + k;
        let version = 2 + k as i64;
        let sent = Instant::now();
        send(
            json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
            "textDocument": {"uri": uri, "version": version},
            "contentChanges": [{"range": {"start": {"line": line, "character": 0},
                "end": {"line": line, "character": 0}}, "text": " "}]}}),
        );
        let (at, _) = wait_version(version);
        times.push(at.duration_since(sent).as_secs_f64() * 1000.0);
    }
    let cpu = cpu_ms(pid)
        .zip(cpu_before)
        .map(|(after, before)| after - before);
    times.sort_by(|a, b| a.total_cmp(b));
    let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
    println!(
        "didChange -> publishDiagnostics over {EDITS} edits: min {:.1} ms, median {:.1} ms, p90 {:.1} ms, max {:.1} ms",
        times[0],
        pct(0.5),
        pct(0.9),
        times[times.len() - 1]
    );
    if let Some(cpu) = cpu {
        println!(
            "server CPU time per edit: {:.1} ms (user + system, all threads; wall-clock figures above include waiting for a core on a busy machine)",
            cpu / EDITS as f64
        );
    }
    send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    send(json!({"jsonrpc": "2.0", "method": "exit"}));
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
