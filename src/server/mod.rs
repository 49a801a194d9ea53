//! `wsalint server`: the Language Server Protocol over stdio.
//!
//! Three threads besides the transport's reader and writer: the main loop answers requests and
//! keeps the open documents' text (incremental sync); the lint thread lints documents after a
//! change (debounced) and publishes their diagnostics; a background thread indexes the
//! workspace's files once for the project-wide phase. Every lint goes through `Engine`, the
//! same rules, config and suppressions as `check` (see `lint.rs`).

mod actions;
mod lint;
mod position;
mod transport;
mod uri;

use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use lsp_server::{ErrorCode, Message, Notification, Request, RequestId, Response};
use lsp_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams, DidCloseTextDocumentParams,
    DidOpenTextDocumentParams, DidSaveTextDocumentParams, PublishDiagnosticsParams, SaveOptions,
    ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextDocumentSyncSaveOptions, Uri,
};
use tree_sitter::{InputEdit, Tree};

use crate::config::CONFIG_NAMES;
use crate::diagnostic::Finding;
use crate::engine::Worker;
use crate::lang::{self, Lang};
use crate::rules::Rule;
use crate::source::{Encoding, Source};

use lint::{lock, Engines, Index};
use position::PosEnc;
use transport::{Outbox, Outgoing};

/// How the server behaves; the defaults are what `wsalint server` uses.
pub struct Options {
    /// Rules added to the built-in ones (custom rules, or test rules).
    pub extra_rules: Vec<&'static dyn Rule>,
    /// Changes that come faster than this are linted together, once the typing pauses.
    pub debounce: Duration,
    /// The longest a burst of changes defers its lint.
    pub max_wait: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            extra_rules: Vec::new(),
            debounce: Duration::from_millis(150),
            max_wait: Duration::from_millis(500),
        }
    }
}

/// Runs the server on stdin and stdout; returns the exit code (0 after `shutdown` and `exit`).
pub fn run(options: Options) -> i32 {
    serve(std::io::stdin(), std::io::stdout(), options)
}

/// Runs the server on any pair of streams.
pub fn serve(
    input: impl Read + Send + 'static,
    output: impl Write + Send + 'static,
    options: Options,
) -> i32 {
    let (in_tx, in_rx) = mpsc::channel();
    let outbox = Arc::new(Outbox::default());
    let out = outbox.clone();
    let spawned = std::thread::Builder::new()
        .name("wsalint-lsp-reader".into())
        .spawn(move || transport::read_loop(BufReader::new(input), in_tx))
        .and_then(|_| {
            std::thread::Builder::new()
                .name("wsalint-lsp-writer".into())
                .spawn(move || transport::write_loop(output, &out))
        });
    let writer = match spawned {
        Ok(w) => w,
        Err(e) => {
            eprintln!("wsalint server: cannot start: {e}");
            return 2;
        }
    };
    let code = session(in_rx, outbox.clone(), options);
    // The writer finishes with the messages waiting; do not wait for it long: a message still
    // in flight at `exit` is of no use to anyone.
    outbox.close();
    let deadline = Instant::now() + Duration::from_millis(200);
    while !writer.is_finished() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    code
}

/// An open document.
struct Doc {
    text: String,
    version: i32,
    /// Its local path, for `file:` URIs.
    path: Option<PathBuf>,
    /// The path findings carry when there is no file (`untitled.c`).
    fallback: PathBuf,
    /// The latest lint of this version, for code actions.
    last: Option<Arc<Linted>>,
    /// The syntax tree of an earlier text, the edits made since, and a counter bumped whenever
    /// the tree is replaced (a lint stores its tree only if no other lint did meanwhile).
    tree: Option<(Lang, Tree)>,
    edits: Vec<InputEdit>,
    tree_base: u64,
    /// The URI as the client spelled it, when that was not a valid URI (`uri::parse_lenient`).
    spelled: Option<String>,
}

impl Doc {
    fn drop_tree(&mut self) {
        self.tree = None;
        self.edits.clear();
        self.tree_base += 1;
    }
}

/// Trees are kept for documents up to this size (a tree takes many times its text's memory),
/// and for this many edits between two lints.
const TREE_MAX_BYTES: usize = 2 * 1024 * 1024;
const TREE_MAX_EDITS: usize = 10_000;

/// The result of linting one version of a document.
struct Linted {
    version: i32,
    source: Arc<Source>,
    findings: Vec<Finding>,
    /// Why the document was not linted (it is over the size cap).
    skipped: Option<String>,
}

/// What the lint thread is told.
enum LintEvent {
    /// A document was opened: lint it now.
    Open(Uri),
    /// A document changed: lint it now, or after the burst it is part of.
    Change(Uri),
    Closed(Uri),
    /// Relint every open document (a config file may have changed).
    All,
    /// A C/C++ file changed or vanished on disk: update the index.
    Disk(PathBuf),
}

/// Everything the threads share.
struct State {
    enc: PosEnc,
    roots: Vec<PathBuf>,
    docs: Mutex<HashMap<Uri, Doc>>,
    engines: Engines,
    index: Mutex<Index>,
    /// Config files whose error is published, with the file it is published on.
    config_errors: Mutex<HashMap<PathBuf, PathBuf>>,
    out: Arc<Outbox>,
    lint_tx: Mutex<Sender<LintEvent>>,
}

impl State {
    fn send(&self, msg: impl Into<Message>) {
        // The writer is gone only when the client is: the outbox drops the message then.
        self.out.send(msg.into());
    }

    fn notify<N: lsp_types::notification::Notification>(&self, params: N::Params) {
        self.send(Notification::new(N::METHOD.to_string(), params));
    }

    fn tell(&self, event: LintEvent) {
        let _ = lock(&self.lint_tx).send(event);
    }

    /// Lints the current text of a document.
    fn lint(self: &Arc<State>, uri: &Uri, worker: &mut Worker) -> Option<Arc<Linted>> {
        let (text, version, path, fallback, old, base, edits_len) = {
            let docs = lock(&self.docs);
            let doc = docs.get(uri)?;
            // The tree of the earlier text, brought up to date with the edits since.
            let old = doc.tree.clone().map(|(lang, mut tree)| {
                for e in &doc.edits {
                    tree.edit(e);
                }
                (lang, tree)
            });
            (
                doc.text.clone(),
                doc.version,
                doc.path.clone(),
                doc.fallback.clone(),
                old,
                doc.tree_base,
                doc.edits.len(),
            )
        };
        let dir = path
            .as_deref()
            .and_then(Path::parent)
            .or(self.roots.first().map(PathBuf::as_path));
        let (configured, changed) = self.engines.for_dir(dir);
        self.sync_config_error(&configured);
        if changed {
            self.config_changed();
        }
        let shown = match &path {
            Some(p) => configured.engine.display_path(p),
            None => fallback,
        };
        let linted = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            lint::lint_text(
                &configured,
                path.as_deref(),
                &shown,
                text.into_bytes(),
                old.as_ref().map(|(l, t)| (*l, t)),
                &self.index,
                worker,
            )
        }));
        let lint::Linted {
            source,
            findings,
            tree,
            skipped,
        } = match linted {
            Ok(r) => r,
            Err(_) => {
                eprintln!(
                    "wsalint server: internal error while linting {}",
                    uri.as_str()
                );
                *worker = Worker::new();
                return None;
            }
        };
        let linted = Arc::new(Linted {
            version,
            source,
            findings,
            skipped,
        });
        if let Some(doc) = lock(&self.docs).get_mut(uri) {
            if doc.version == version {
                doc.last = Some(linted.clone());
            }
            if doc.tree_base == base {
                doc.tree = tree.filter(|_| linted.source.text.len() <= TREE_MAX_BYTES);
                doc.edits.drain(..edits_len);
                doc.tree_base += 1;
            }
        }
        Some(linted)
    }

    /// Publishes a lint if its document is still open at that version (a newer version has a
    /// lint of its own on the way).
    fn publish(&self, uri: &Uri, linted: &Linted) {
        let docs = lock(&self.docs);
        if docs.get(uri).is_none_or(|d| d.version != linted.version) {
            return;
        }
        let mut diagnostics: Vec<lsp_types::Diagnostic> = linted
            .findings
            .iter()
            .map(|f| actions::to_lsp(f, uri, self.enc))
            .collect();
        if let Some(why) = &linted.skipped {
            // No finding is not the same as not linted: say so where the user looks.
            diagnostics.push(lsp_types::Diagnostic {
                severity: Some(lsp_types::DiagnosticSeverity::INFORMATION),
                source: Some("wsalint".into()),
                message: why.clone(),
                ..lsp_types::Diagnostic::default()
            });
        }
        let spelled = docs.get(uri).and_then(|d| d.spelled.as_deref());
        self.publish_diagnostics(uri, spelled, diagnostics, Some(linted.version));
    }

    /// Publishes a document's diagnostics under the URI as the client spelled it (`spelled`,
    /// when it was not a valid URI and was read leniently), so that the client finds its
    /// document.
    fn publish_diagnostics(
        &self,
        uri: &Uri,
        spelled: Option<&str>,
        diagnostics: Vec<lsp_types::Diagnostic>,
        version: Option<i32>,
    ) {
        let params = PublishDiagnosticsParams {
            uri: uri.clone(),
            diagnostics,
            version,
        };
        let Ok(mut params) = serde_json::to_value(params) else {
            return;
        };
        if let Some(spelled) = spelled {
            params["uri"] = spelled.into();
        }
        use lsp_types::notification::Notification as _;
        self.send(Notification::new(
            lsp_types::notification::PublishDiagnostics::METHOD.to_string(),
            params,
        ));
    }

    /// The lint of a document's current version: the latest one, or a fresh one.
    fn current(self: &Arc<State>, uri: &Uri, worker: &mut Worker) -> Option<Arc<Linted>> {
        {
            let docs = lock(&self.docs);
            let doc = docs.get(uri)?;
            if let Some(last) = doc.last.as_ref().filter(|l| l.version == doc.version) {
                return Some(last.clone());
            }
        }
        self.lint(uri, worker)
    }

    /// Publishes a config's error as a diagnostic on the file at fault (the config file or a
    /// custom rule's query file), or clears it once fixed or once the config file is gone.
    fn sync_config_error(&self, configured: &lint::Configured) {
        let mut published = lock(&self.config_errors);
        let at_fault = configured.error.as_ref().map(|e| {
            if e.path.is_absolute() {
                e.path.clone()
            } else {
                configured.engine.cwd.join(&e.path)
            }
        });
        let stale: Vec<PathBuf> = published
            .iter()
            .filter(|(config, file)| {
                !config.is_file()
                    || (configured.config_path.as_ref() == Some(*config)
                        && at_fault.as_ref() != Some(*file))
            })
            .map(|(config, _)| config.clone())
            .collect();
        for config in stale {
            if let Some(uri) = published.remove(&config).and_then(|f| uri::from_path(&f)) {
                self.notify::<lsp_types::notification::PublishDiagnostics>(
                    PublishDiagnosticsParams {
                        uri,
                        diagnostics: Vec::new(),
                        version: None,
                    },
                );
            }
        }
        let (Some(e), Some(file), Some(config)) =
            (&configured.error, at_fault, configured.config_path.clone())
        else {
            return;
        };
        let Some(uri) = uri::from_path(&file) else {
            return;
        };
        let src = Source::from_text(e.text.clone().into_bytes(), Encoding::Utf8);
        let range = match &e.span {
            Some(span) if !src.text.is_empty() => position::range(&src, span.clone(), self.enc),
            _ => {
                // A line and a character column (1-based) without a span.
                let at = lsp_types::Position {
                    line: e.line.saturating_sub(1) as u32,
                    character: e.column.saturating_sub(1) as u32,
                };
                lsp_types::Range { start: at, end: at }
            }
        };
        let diagnostic = lsp_types::Diagnostic {
            range,
            severity: Some(lsp_types::DiagnosticSeverity::ERROR),
            source: Some("wsalint".into()),
            message: format!(
                "invalid config: {} (wsalint runs without it meanwhile)",
                e.message
            ),
            ..lsp_types::Diagnostic::default()
        };
        self.notify::<lsp_types::notification::PublishDiagnostics>(PublishDiagnosticsParams {
            uri,
            diagnostics: vec![diagnostic],
            version: None,
        });
        published.insert(config, file);
    }

    /// A config file changed: index again with the new settings and relint what is open.
    fn config_changed(self: &Arc<State>) {
        self.start_index();
        self.tell(LintEvent::All);
    }

    fn start_index(self: &Arc<State>) {
        if self.roots.is_empty() {
            return;
        }
        let generation = {
            let mut index = lock(&self.index);
            index.reset();
            index.generation
        };
        let state = self.clone();
        let spawned = std::thread::Builder::new()
            .name("wsalint-lsp-index".into())
            .spawn(move || {
                if lint::index_workspace(&state.roots, &state.engines, &state.index, generation) {
                    state.tell(LintEvent::All);
                }
            });
        if spawned.is_err() {
            lock(&self.index).ready = true;
        }
    }
}

/// The lint thread: debounces changes per document, lints, publishes.
// `Uri` caches parts of itself in cells, but hashes and compares by its text alone.
#[allow(clippy::mutable_key_type)]
fn lint_loop(state: Arc<State>, rx: Receiver<LintEvent>, debounce: Duration, max_wait: Duration) {
    let mut worker = Worker::new();
    let mut pending: HashMap<Uri, Instant> = HashMap::new();
    // For each document in a burst of changes: when the burst started, and its latest change.
    let mut bursts: HashMap<Uri, (Instant, Instant)> = HashMap::new();
    loop {
        let event = match pending.values().min() {
            Some(&deadline) => {
                match rx.recv_timeout(deadline.saturating_duration_since(Instant::now())) {
                    Ok(e) => Some(e),
                    Err(RecvTimeoutError::Timeout) => None,
                    Err(RecvTimeoutError::Disconnected) => return,
                }
            }
            None => match rx.recv() {
                Ok(e) => Some(e),
                Err(_) => return,
            },
        };
        let now = Instant::now();
        match event {
            Some(LintEvent::Open(uri)) => {
                pending.insert(uri, now);
            }
            Some(LintEvent::Change(uri)) => {
                let deadline = match bursts.get(&uri) {
                    Some(&(first, last)) if now.duration_since(last) < debounce => {
                        bursts.insert(uri.clone(), (first, now));
                        (now + debounce).min(first + max_wait)
                    }
                    _ => {
                        bursts.insert(uri.clone(), (now, now));
                        now
                    }
                };
                pending.insert(uri, deadline);
            }
            Some(LintEvent::Closed(uri)) => {
                pending.remove(&uri);
                bursts.remove(&uri);
            }
            Some(LintEvent::All) => {
                let open: Vec<Uri> = lock(&state.docs).keys().cloned().collect();
                for uri in open {
                    pending.insert(uri, now);
                }
            }
            Some(LintEvent::Disk(path)) => {
                let open = lock(&state.docs)
                    .values()
                    .any(|d| d.path.as_deref() == Some(path.as_path()));
                let changed = if !path.is_file() {
                    lock(&state.index).remove_disk(&path)
                } else if open {
                    false
                } else {
                    let deferred = lint::index_file(&state.engines, &path, &mut worker);
                    lock(&state.index).set_disk(path, deferred)
                };
                if changed {
                    state.tell(LintEvent::All);
                }
            }
            None => {}
        }
        let now = Instant::now();
        let due: Vec<Uri> = pending
            .iter()
            .filter(|(_, d)| **d <= now)
            .map(|(u, _)| u.clone())
            .collect();
        for uri in due {
            pending.remove(&uri);
            if let Some(linted) = state.lint(&uri, &mut worker) {
                state.publish(&uri, &linted);
            }
        }
        bursts.retain(|_, (_, last)| now.duration_since(*last) < debounce * 4);
    }
}

/// Whether a document is C or C++: by its language id or its extension.
fn is_c_family(language: &str, path: Option<&Path>, uri: &Uri) -> bool {
    matches!(
        language,
        "c" | "cpp" | "cuda" | "cuda-cpp" | "objective-c" | "objective-cpp"
    ) || path
        .or(Some(Path::new(uri.as_str())))
        .is_some_and(|p| lang::kind_of(p).is_some())
}

fn is_config_file(path: &Path) -> bool {
    path.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| CONFIG_NAMES.contains(&n))
}

/// What the client said in `initialize`.
struct ClientInfo {
    enc: PosEnc,
    roots: Vec<PathBuf>,
    watch: bool,
}

fn client_info(params: &serde_json::Value) -> ClientInfo {
    let offered: Option<Vec<lsp_types::PositionEncodingKind>> = params
        .pointer("/capabilities/general/positionEncodings")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    let mut roots = Vec::new();
    if let Some(folders) = params.get("workspaceFolders").and_then(|f| f.as_array()) {
        for f in folders {
            if let Some(p) = f
                .get("uri")
                .and_then(|u| u.as_str())
                .and_then(|u| Uri::from_str(u).ok())
                .and_then(|u| uri::to_path(&u))
            {
                roots.push(p);
            }
        }
    }
    if roots.is_empty() {
        if let Some(p) = params
            .get("rootUri")
            .and_then(|u| u.as_str())
            .and_then(|u| Uri::from_str(u).ok())
            .and_then(|u| uri::to_path(&u))
        {
            roots.push(p);
        } else if let Some(p) = params.get("rootPath").and_then(|p| p.as_str()) {
            roots.push(PathBuf::from(p));
        }
    }
    roots.retain(|r| r.is_absolute() && r.is_dir());
    ClientInfo {
        enc: PosEnc::negotiate(offered.as_deref()),
        roots,
        watch: params
            .pointer("/capabilities/workspace/didChangeWatchedFiles/dynamicRegistration")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
    }
}

fn capabilities(enc: PosEnc) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(enc.kind()),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions {
                    include_text: Some(false),
                })),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::from(actions::FIX_ALL),
            ]),
            ..CodeActionOptions::default()
        })),
        ..ServerCapabilities::default()
    }
}

fn error_response(id: RequestId, code: ErrorCode, message: impl Into<String>) -> Message {
    Message::Response(Response::new_err(id, code as i32, message.into()))
}

/// The whole conversation with one client; returns the exit code.
fn session(rx: Receiver<transport::Incoming>, out: Arc<Outbox>, options: Options) -> i32 {
    use transport::Incoming;
    // 1. Wait for `initialize`.
    let (init_id, info) = loop {
        let Ok(incoming) = rx.recv() else {
            return 1;
        };
        match incoming {
            Incoming::Message(Message::Request(req)) if req.method == "initialize" => {
                break (req.id, client_info(&req.params));
            }
            Incoming::Message(Message::Request(req)) => {
                out.send(error_response(
                    req.id,
                    ErrorCode::ServerNotInitialized,
                    "the server is not initialized",
                ));
            }
            Incoming::Message(Message::Notification(n)) if n.method == "exit" => return 1,
            Incoming::Invalid(id, why) => out.send(transport::invalid_request(id, why)),
            Incoming::Unreadable(code, why) => out.send(Outgoing::Unanswerable(code, why)),
            Incoming::Message(_) => {}
        }
    };
    let result = lsp_types::InitializeResult {
        capabilities: capabilities(info.enc),
        server_info: Some(ServerInfo {
            name: "wsalint".into(),
            version: Some(env!("CARGO_PKG_VERSION").into()),
        }),
    };
    out.send(Message::Response(Response::new_ok(init_id, result)));

    let (lint_tx, lint_rx) = mpsc::channel();
    let state = Arc::new(State {
        enc: info.enc,
        roots: info.roots,
        docs: Mutex::new(HashMap::new()),
        engines: Engines::new(options.extra_rules),
        index: Mutex::new(Index::default()),
        config_errors: Mutex::new(HashMap::new()),
        out: out.clone(),
        lint_tx: Mutex::new(lint_tx),
    });
    {
        let state = state.clone();
        let (debounce, max_wait) = (options.debounce, options.max_wait);
        if let Err(e) = std::thread::Builder::new()
            .name("wsalint-lsp-lint".into())
            .spawn(move || lint_loop(state, lint_rx, debounce, max_wait))
        {
            eprintln!("wsalint server: cannot start the lint thread: {e}");
            return 2;
        }
    }
    if state.roots.is_empty() {
        lock(&state.index).ready = true;
    } else {
        state.start_index();
    }

    // 2. The main loop.
    let mut worker = Worker::new();
    let mut shutdown = false;
    while let Ok(incoming) = rx.recv() {
        let msg = match incoming {
            Incoming::Message(m) => m,
            Incoming::Invalid(id, why) => {
                state.send(transport::invalid_request(id, why));
                continue;
            }
            Incoming::Unreadable(code, why) => {
                state.out.send(Outgoing::Unanswerable(code, why));
                continue;
            }
        };
        match msg {
            Message::Request(req) => {
                if shutdown {
                    state.send(error_response(
                        req.id,
                        ErrorCode::InvalidRequest,
                        "the server is shutting down",
                    ));
                    continue;
                }
                if req.method == "shutdown" {
                    shutdown = true;
                    state.send(Message::Response(Response::new_ok(
                        req.id,
                        serde_json::Value::Null,
                    )));
                    continue;
                }
                handle_request(&state, req, &mut worker);
            }
            Message::Notification(n) => {
                if n.method == "exit" {
                    return if shutdown { 0 } else { 1 };
                }
                if n.method == "initialized" && info.watch {
                    register_watchers(&state);
                }
                handle_notification(&state, n);
            }
            // Answers to our own requests (watcher registration): nothing to do.
            Message::Response(_) => {}
        }
    }
    // The input ended: the client is gone.
    if shutdown {
        0
    } else {
        1
    }
}

fn register_watchers(state: &State) {
    let globs = [
        "**/wsalint.toml",
        "**/.wsalint.toml",
        "**/*.{c,h,cc,cpp,cxx,c++,hh,hpp,hxx,inl,ipp}",
    ];
    let watchers: Vec<_> = globs
        .iter()
        .map(|g| lsp_types::FileSystemWatcher {
            glob_pattern: lsp_types::GlobPattern::String(g.to_string()),
            kind: None,
        })
        .collect();
    let params = lsp_types::RegistrationParams {
        registrations: vec![lsp_types::Registration {
            id: "wsalint-watch".into(),
            method: "workspace/didChangeWatchedFiles".into(),
            register_options: serde_json::to_value(
                lsp_types::DidChangeWatchedFilesRegistrationOptions { watchers },
            )
            .ok(),
        }],
    };
    state.send(Request::new(
        RequestId::from("wsalint-watch".to_string()),
        "client/registerCapability".into(),
        params,
    ));
}

fn handle_request(state: &Arc<State>, mut req: Request, worker: &mut Worker) {
    if let Err(bad) = uri::repair_params(&mut req.params) {
        state.send(error_response(
            req.id,
            ErrorCode::InvalidParams,
            format!("`{bad}` is not a URI"),
        ));
        return;
    }
    match req.method.as_str() {
        "textDocument/codeAction" => {
            let params: CodeActionParams = match serde_json::from_value(req.params) {
                Ok(p) => p,
                Err(e) => {
                    state.send(error_response(
                        req.id,
                        ErrorCode::InvalidParams,
                        format!("bad codeAction params: {e}"),
                    ));
                    return;
                }
            };
            let uri = &params.text_document.uri;
            let actions = state.current(uri, worker).map(|linted| {
                let text = std::str::from_utf8(&linted.source.text).unwrap_or("");
                let a = position::offset(text, params.range.start, state.enc);
                let b = position::offset(text, params.range.end, state.enc);
                actions::code_actions(
                    &linted.findings,
                    &linted.source,
                    uri,
                    a.min(b)..a.max(b),
                    params.context.only.as_deref(),
                    state.enc,
                )
            });
            // A document that is not open (or vanished) has no actions.
            state.send(Message::Response(Response::new_ok(
                req.id,
                actions.unwrap_or_default(),
            )));
        }
        _ => state.send(error_response(
            req.id,
            ErrorCode::MethodNotFound,
            format!("unknown method `{}`", req.method),
        )),
    }
}

fn handle_notification(state: &Arc<State>, mut n: Notification) {
    // A URI that is not valid as written (raw non-ASCII, `%ZZ`) is read as the client meant
    // it; one that is no URI at all is said, not dropped in silence.
    let spellings = match uri::repair_params(&mut n.params) {
        Ok(s) => s,
        Err(bad) => {
            eprintln!("wsalint server: `{}`: {bad:?} is not a URI", n.method);
            state.notify::<lsp_types::notification::ShowMessage>(lsp_types::ShowMessageParams {
                typ: lsp_types::MessageType::ERROR,
                message: format!("wsalint cannot lint `{bad}`: it is not a URI"),
            });
            return;
        }
    };
    match n.method.as_str() {
        "textDocument/didOpen" => {
            let Ok(p) = serde_json::from_value::<DidOpenTextDocumentParams>(n.params) else {
                return;
            };
            let doc = p.text_document;
            let path = uri::to_path(&doc.uri);
            if !is_c_family(&doc.language_id, path.as_deref(), &doc.uri) {
                return;
            }
            let ext = if doc.language_id == "c" { "c" } else { "cpp" };
            lock(&state.docs).insert(
                doc.uri.clone(),
                Doc {
                    text: doc.text,
                    version: doc.version,
                    path,
                    fallback: PathBuf::from(format!("untitled.{ext}")),
                    last: None,
                    tree: None,
                    edits: Vec::new(),
                    tree_base: 0,
                    spelled: spellings
                        .into_iter()
                        .find(|(u, _)| *u == doc.uri)
                        .map(|(_, s)| s),
                },
            );
            state.tell(LintEvent::Open(doc.uri));
        }
        "textDocument/didChange" => {
            let Ok(p) = serde_json::from_value::<DidChangeTextDocumentParams>(n.params) else {
                return;
            };
            let uri = p.text_document.uri;
            {
                let mut docs = lock(&state.docs);
                let Some(doc) = docs.get_mut(&uri) else {
                    return;
                };
                for change in p.content_changes {
                    match position::apply_change(
                        &mut doc.text,
                        change.range,
                        &change.text,
                        state.enc,
                    ) {
                        Some(edit) => doc.edits.push(edit),
                        None => doc.drop_tree(),
                    }
                }
                if doc.edits.len() > TREE_MAX_EDITS {
                    doc.drop_tree();
                }
                doc.version = p.text_document.version;
                doc.last = None;
            }
            state.tell(LintEvent::Change(uri));
        }
        "textDocument/didClose" => {
            let Ok(p) = serde_json::from_value::<DidCloseTextDocumentParams>(n.params) else {
                return;
            };
            let uri = p.text_document.uri;
            let mut docs = lock(&state.docs);
            if let Some(doc) = docs.remove(&uri) {
                if let Some(path) = &doc.path {
                    lock(&state.index).close(path);
                    // What is on disk now counts for the project-wide phase again.
                    state.tell(LintEvent::Disk(path.clone()));
                }
                state.publish_diagnostics(&uri, doc.spelled.as_deref(), Vec::new(), None);
            }
            drop(docs);
            state.tell(LintEvent::Closed(uri));
        }
        "textDocument/didSave" => {
            let Ok(p) = serde_json::from_value::<DidSaveTextDocumentParams>(n.params) else {
                return;
            };
            if let Some(path) = uri::to_path(&p.text_document.uri) {
                disk_changed(state, path);
            }
        }
        "workspace/didChangeWatchedFiles" => {
            let Ok(p) = serde_json::from_value::<DidChangeWatchedFilesParams>(n.params) else {
                return;
            };
            for change in p.changes {
                if let Some(path) = uri::to_path(&change.uri) {
                    disk_changed(state, path);
                }
            }
        }
        _ => {}
    }
}

/// A file was saved, created, changed or deleted on disk.
fn disk_changed(state: &Arc<State>, path: PathBuf) {
    if is_config_file(&path) {
        // The next lint sees the new modification time and reads the file again.
        state.tell(LintEvent::All);
    } else if lang::kind_of(&path).is_some() {
        state.tell(LintEvent::Disk(path));
    }
}

#[cfg(test)]
mod tests;
