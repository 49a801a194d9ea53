//! The project index: what each file of a project tells the others, computed once per run.
//!
//! Every file of the project is scanned (`scan::FileScan`: includes, macro renames, type
//! aliases); the functions that may wrap a socket's creation or close are parsed, and their
//! shapes give the project's function summaries (`summary`). A file is then linted knowing the
//! renames and aliases of every project header it includes, transitively, and the project's
//! own creators and closers.
//!
//! Includes are resolved as a compiler would find the project's own headers: a quoted include
//! next to the including file first, then (quoted or angled) among the project's files by the
//! path written, the candidate nearest the including file winning. Headers outside the project
//! are never read; an include cycle ends where it started.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use super::scan::{FileScan, Include};
use super::summary::{self, Shape, Summaries};
use crate::config::Config;
use crate::facts::Facts;

/// Files larger than this are left out of the index (the lint itself warns about them).
const MAX_INDEXED_BYTES: u64 = 4 << 20;

/// Functions longer than this are not read for their summary: wrappers are short.
const MAX_WRAPPER_BYTES: usize = 4 << 10;

/// How many rounds of wrappers of wrappers are looked for (each round parses the functions
/// that call what the previous round found).
const SUMMARY_ROUNDS: usize = 3;

/// What the headers a file includes define for it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Imports {
    pub renames: HashMap<String, String>,
    pub typedefs: HashMap<String, String>,
    /// One of these headers includes a Windows header (`winsock2.h`, `windows.h`): the file
    /// is Windows code though it names no Windows header itself.
    pub windows_header: bool,
    /// The platform macros these headers define (see `FileScan::platform_macros`).
    pub platform_macros: HashMap<String, crate::facts::Platform>,
}

impl Imports {
    pub fn is_empty(&self) -> bool {
        self.renames.is_empty()
            && self.typedefs.is_empty()
            && !self.windows_header
            && self.platform_macros.is_empty()
    }
}

/// The index of one project.
#[derive(Debug, Default)]
pub struct Index {
    /// By resolved path.
    files: HashMap<PathBuf, FileScan>,
    /// Resolved paths by file name (`compat.h`), for includes found among the project's files.
    by_name: HashMap<String, Vec<PathBuf>>,
    /// The project files each file includes, in include order (`resolve`d once for the run).
    edges: HashMap<PathBuf, Vec<PathBuf>>,
    pub summaries: Summaries,
}

impl Index {
    /// Indexes `files` (the project's files, as its walk finds them), with `threads` threads.
    /// Files that cannot be read are left out: the lint of each file says why.
    pub fn build(files: &[PathBuf], config: &Config, threads: usize) -> Index {
        let resolved: Vec<PathBuf> = files
            .iter()
            .filter_map(|p| std::fs::canonicalize(p).ok())
            .collect();
        // A header's definitions count in its includers; a source file's only in itself, where
        // its own facts read them.
        let scans = in_parallel(&resolved, threads, |path, _| {
            let text = read(path, config)?;
            Some(if is_source(path) {
                FileScan::includes_of(&text)
            } else {
                FileScan::of(&text)
            })
        });
        let mut index = Index::default();
        for (path, scan) in resolved.iter().zip(scans) {
            if let Some(mut scan) = scan {
                // A header that renames a Winsock function itself (`#define send(a, b, c, d)
                // FreeRTOS_send(...)`) is the port layer of another system: such renames are
                // neither imported nor needles.
                scan.renames
                    .retain(|k, _| !crate::facts::library::is_library_call(k));
                if let Some(name) = path.file_name() {
                    index
                        .by_name
                        .entry(name.to_string_lossy().into_owned())
                        .or_default()
                        .push(path.clone());
                }
                index.files.insert(path.clone(), scan);
            }
        }
        index.edges = index
            .files
            .iter()
            .map(|(path, scan)| {
                let headers = scan.includes.iter().filter_map(|i| index.resolve(path, i));
                (path.clone(), headers.map(Path::to_path_buf).collect())
            })
            .collect();
        index.summaries = index.summarize(&resolved, config, threads);
        index
    }

    /// The function summaries of the project, from the shapes of the functions that call a
    /// creator or a closer (the model's, the config's, then those found in earlier rounds).
    fn summarize(&self, files: &[PathBuf], config: &Config, threads: usize) -> Summaries {
        let known_creators: Vec<&str> = config.resources.creators().collect();
        let known_closers: Vec<&str> = config.resources.closers().collect();
        let mut shapes: Vec<Shape> = Vec::new();
        let mut summaries = Summaries::default();
        let mut wanted: Vec<String> = known_creators
            .iter()
            .chain(&known_closers)
            .map(|s| s.to_string())
            .collect();
        for _ in 0..SUMMARY_ROUNDS {
            if wanted.is_empty() {
                break;
            }
            let names: Vec<&str> = wanted.iter().map(String::as_str).collect();
            let finder = aho_corasick::AhoCorasick::new(&names).ok();
            let needles = crate::partial::Needles::new(&names, &[], &[]);
            let round = in_parallel(files, threads, |path, worker| {
                let text = read(path, config)?;
                let finder = finder.as_ref()?;
                finder.find(&text[..])?;
                Some(self.shapes_of(path, &text, &needles, config, worker))
            });
            for found in round.into_iter().flatten() {
                {
                    for s in found {
                        if !shapes.contains(&s) {
                            shapes.push(s);
                        }
                    }
                }
            }
            let next = summary::summarize(&shapes, &known_creators, &known_closers);
            wanted = next
                .creators
                .iter()
                .chain(&next.closers)
                .filter(|n| !summaries.creators.contains(n) && !summaries.closers.contains(n))
                .cloned()
                .collect();
            summaries = next;
        }
        summaries
    }

    /// The shapes of the functions of one file that name one of the `needles`, parsing only
    /// them.
    fn shapes_of(
        &self,
        path: &Path,
        text: &[u8],
        needles: &crate::partial::Needles,
        config: &Config,
        worker: &mut crate::engine::Worker,
    ) -> Vec<Shape> {
        let Ok(source) = crate::source::Source::decode(text) else {
            return Vec::new();
        };
        let lang = crate::lang::choose(path, &source.text);
        let plan = crate::partial::plan(&source, needles, crate::partial::MIN_BYTES);
        let parser = worker.parser(lang);
        let tree = match plan {
            // Small files are parsed whole.
            None if source.text.len() <= crate::partial::MIN_BYTES => {
                crate::engine::parse_planned(parser, &source.text, None, true)
            }
            // A large file the planner cannot cut would be parsed whole: its wrappers are left
            // out rather than paying for that parse.
            None => None,
            // Wrappers are short: long items are left out, and a cut parse with a syntax error
            // is not retried whole.
            Some(ranges) => {
                let short: Vec<tree_sitter::Range> = ranges
                    .into_iter()
                    .filter(|r| r.end_byte - r.start_byte <= MAX_WRAPPER_BYTES)
                    .collect();
                crate::engine::parse_planned(parser, &source.text, Some(&short), false)
            }
        };
        let Some(tree) = tree else {
            return Vec::new();
        };
        let imports = self.imports(path);
        let facts = Facts::build_with(tree.root_node(), &source.text, config, Some(&imports));
        summary::shapes(&facts)
    }

    /// The names the project's macros rename to something `wanted` (`swrite`, renamed to
    /// `send`) and the aliases its typedefs make of a socket type (`sock_t`, given the socket
    /// types `holding`), in every file: what may stand in a file for a name a rule looks for.
    pub fn definitions<'a>(
        &'a self,
        wanted: impl Fn(&str) -> bool,
        holding: &[&'a str],
    ) -> (Vec<&'a str>, Vec<&'a str>) {
        let mut names: Vec<&str> = Vec::new();
        let mut types: Vec<&str> = holding.to_vec();
        for scan in self.files.values() {
            names.extend(
                scan.renames
                    .iter()
                    .filter(|(_, target)| wanted(target))
                    .map(|(name, _)| name.as_str()),
            );
        }
        // Aliases of aliases: a few rounds.
        for _ in 0..3 {
            for scan in self.files.values() {
                for (alias, ty) in &scan.typedefs {
                    let base = ty.rsplit(' ').next().unwrap_or(ty);
                    if types.contains(&base) && !types.contains(&alias.as_str()) {
                        types.push(alias);
                    }
                }
            }
        }
        types.drain(..holding.len().min(types.len()));
        names.sort_unstable();
        names.dedup();
        types.sort_unstable();
        (names, types)
    }

    /// Whether `path` (resolved) is a file of the project.
    pub fn contains(&self, path: &Path) -> bool {
        self.files.contains_key(path)
    }

    /// The project file an `#include` of `from` names, if it is one.
    pub fn resolve(&self, from: &Path, include: &Include) -> Option<&Path> {
        let written = Path::new(&include.header);
        if include.quoted {
            if let Some(dir) = from.parent() {
                let next_to = normalize(&dir.join(written));
                if let Some((p, _)) = self.files.get_key_value(&next_to) {
                    return Some(p);
                }
            }
        }
        let name = written.file_name()?.to_string_lossy();
        let wanted: Vec<_> = written.components().collect();
        self.by_name
            .get(name.as_ref())?
            .iter()
            .filter(|p| {
                let have: Vec<_> = p.components().collect();
                have.ends_with(&wanted)
            })
            .max_by_key(|p| shared_prefix(p, from))
            .map(PathBuf::as_path)
    }

    /// What the project headers `file` (resolved) includes, directly or through other headers,
    /// define for it; a nearer header's definition wins over a farther one's.
    pub fn imports(&self, file: &Path) -> Imports {
        let mut imports = Imports::default();
        if !self.files.contains_key(file) {
            return imports;
        }
        // A file built for another system is not made Windows code by a portable header it
        // includes.
        let elsewhere = for_another_system(file);
        let mut seen: HashSet<&Path> = HashSet::from([file]);
        let headers_of = |f: &Path| {
            self.edges
                .get(f)
                .into_iter()
                .flatten()
                .map(PathBuf::as_path)
        };
        let mut queue: std::collections::VecDeque<&Path> = headers_of(file).collect();
        while let Some(header) = queue.pop_front() {
            if !seen.insert(header) {
                continue;
            }
            let Some(scan) = self.files.get(header) else {
                continue;
            };
            for (k, v) in &scan.renames {
                if !imports.renames.contains_key(k) {
                    imports.renames.insert(k.clone(), v.clone());
                }
            }
            for (k, v) in &scan.typedefs {
                if !imports.typedefs.contains_key(k) {
                    imports.typedefs.insert(k.clone(), v.clone());
                }
            }
            for (k, v) in &scan.platform_macros {
                if !imports.platform_macros.contains_key(k) {
                    imports.platform_macros.insert(k.clone(), *v);
                }
            }
            imports.windows_header |= scan
                .includes
                .iter()
                .any(|i| i.for_windows && crate::facts::platform::is_winsock_header(&i.header));
            queue.extend(headers_of(header));
        }
        imports.windows_header &= !elsewhere;
        imports
    }
}

/// Directories whose files are built for another system than Windows.
const OTHER_SYSTEM_DIRS: &[&str] = &[
    "unix", "posix", "linux", "netware", "dos", "os2", "darwin", "macos", "freebsd", "openbsd",
    "netbsd", "solaris", "haiku", "vms", "amiga", "zephyr", "freertos", "lwip",
];

/// Whether a file is built for another system than Windows by its path: under a directory
/// named for one (`unix/`, `netware/`), or named for one (`pcap-bt-monitor-linux.c`,
/// `sock_posix.c`) and not for Windows too (`compat_win32_unix.c`).
fn for_another_system(file: &Path) -> bool {
    let mut dirs = file.components().rev().skip(1);
    let in_dir = dirs.any(|c| {
        let c = c.as_os_str().to_string_lossy().to_ascii_lowercase();
        OTHER_SYSTEM_DIRS.contains(&c.as_str())
    });
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    let words: Vec<&str> = stem.split(['-', '_', '.']).collect();
    let named = words.iter().any(|w| OTHER_SYSTEM_DIRS.contains(w))
        && !words.iter().any(|w| {
            matches!(
                *w,
                "win" | "win32" | "win64" | "windows" | "winsock" | "wsa"
            )
        });
    in_dir || named
}

/// A source file (`.c`, `.cpp`...), not a header: nothing includes it.
fn is_source(path: &Path) -> bool {
    path.extension().and_then(|e| e.to_str()).is_some_and(|e| {
        matches!(
            e.to_ascii_lowercase().as_str(),
            "c" | "cc" | "cpp" | "cxx" | "c++"
        )
    })
}

/// Reads a file of the project for the index, `None` when it cannot be read or is too large.
fn read(path: &Path, config: &Config) -> Option<Vec<u8>> {
    crate::engine::read_regular_file(path, config.max_file_size.min(MAX_INDEXED_BYTES)).ok()
}

/// `a/b/../c` -> `a/c`, without touching the file system (the joined path may not exist).
fn normalize(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in path.components() {
        match c {
            std::path::Component::CurDir => {}
            std::path::Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

/// How many leading components two paths share.
fn shared_prefix(a: &Path, b: &Path) -> usize {
    a.components()
        .zip(b.components())
        .take_while(|(x, y)| x == y)
        .count()
}

/// `work` over every item on `threads` plain threads (not the run's thread pool: the index is
/// built while that pool's workers wait for it), results in the items' order.
fn in_parallel<T: Send>(
    items: &[PathBuf],
    threads: usize,
    work: impl Fn(&Path, &mut crate::engine::Worker) -> Option<T> + Sync,
) -> Vec<Option<T>> {
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<T>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, 64) {
            s.spawn(|| {
                let mut worker = crate::engine::Worker::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some(path) = items.get(i) else { break };
                    // A bug on one file must not take the index down: the file is left out.
                    let r = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        work(path, &mut worker)
                    }));
                    let r = match r {
                        Ok(r) => r,
                        Err(_) => {
                            worker = crate::engine::Worker::new();
                            None
                        }
                    };
                    if let Ok(mut all) = results.lock() {
                        all[i] = r;
                    }
                }
            });
        }
    });
    results.into_inner().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(files: &[(&str, &str)]) -> (tempfile::TempDir, Vec<PathBuf>) {
        let tmp = tempfile::tempdir().unwrap();
        let mut paths = Vec::new();
        for (name, text) in files {
            let p = tmp.path().join(name);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(&p, text).unwrap();
            paths.push(p);
        }
        (tmp, paths)
    }

    fn canon(p: &Path) -> PathBuf {
        std::fs::canonicalize(p).unwrap()
    }

    #[test]
    fn includes_resolve_next_to_the_file_then_in_the_project() {
        let (_tmp, paths) = project(&[
            (
                "src/net.c",
                "#include \"compat.h\"\n#include <proj/sock.h>\n#include <winsock2.h>\n",
            ),
            ("src/compat.h", "#define sclose(s) closesocket(s)\n"),
            ("src/win.c", "#include \"compat.h\"\n"),
            (
                "src/winonly.h",
                "#ifdef _WIN32\n#include <winsock2.h>\n#define USE_WINSOCK 1\n#endif\n",
            ),
            ("src/user.c", "#include \"winonly.h\"\n"),
            ("include/compat.h", "#define sclose(s) close(s)\n"),
            (
                "include/proj/sock.h",
                "typedef SOCKET sock_t;\n#include \"deep.h\"\n",
            ),
            (
                "include/proj/deep.h",
                "#define swrite(s, b, n) send(s, b, n, 0)\n#include \"sock.h\"\n",
            ),
        ]);
        let index = Index::build(&paths, &Config::default(), 2);
        let imports = index.imports(&canon(&paths[0]));
        // The header next to the file wins over the one of the same name elsewhere.
        assert_eq!(
            imports.renames.get("sclose").map(String::as_str),
            Some("closesocket")
        );
        // Angled includes of the project's own headers, transitively, through a cycle.
        assert_eq!(
            imports.renames.get("swrite").map(String::as_str),
            Some("send")
        );
        assert_eq!(
            imports.typedefs.get("sock_t").map(String::as_str),
            Some("SOCKET")
        );
        // A header that is not the project's is not read.
        assert_eq!(imports.renames.len(), 2, "{:?}", imports.renames);
        assert_eq!(
            index
                .imports(&canon(&paths[4]))
                .platform_macros
                .get("USE_WINSOCK"),
            Some(&crate::facts::Platform::Windows)
        );
        // `winsock2.h` is named by the file itself, not by a project header.
        assert!(!imports.windows_header);
        assert!(!index.imports(&canon(&paths[2])).windows_header);
        assert!(index.imports(&canon(&paths[4])).windows_header);
    }

    #[test]
    fn port_layers_and_other_systems_are_not_windows() {
        let (_tmp, paths) = project(&[
            ("src/unix/io.c", "#include \"../net.h\"\n"),
            ("src/io.c", "#include \"net.h\"\n"),
            (
                "src/net.h",
                "#ifdef _WIN32\n#include <winsock2.h>\n#endif\n#include \"port.h\"\n",
            ),
            (
                "src/port.h",
                "#define send(a, b, c, d) FreeRTOS_send(a, b, c, d)\n#define sclose(s) closesocket(s)\n\
                 #if ARCH == ARCH_WIN32\n#include <winsock2.h>\n#endif\n",
            ),
            ("src/embedded.c", "#include \"port.h\"\n"),
            ("src/bt-monitor-linux.c", "#include \"net.h\"\n"),
            ("src/sock_win32_posix.c", "#include \"net.h\"\n"),
            ("src/tool_doswin.c", "#include \"net.h\"\n"),
        ]);
        let index = Index::build(&paths, &Config::default(), 1);
        let unix = index.imports(&canon(&paths[0]));
        let portable = index.imports(&canon(&paths[1]));
        assert!(!unix.windows_header && portable.windows_header);
        assert!(
            !portable.renames.contains_key("send"),
            "{:?}",
            portable.renames
        );
        assert!(portable.renames.contains_key("sclose"));
        // `winsock2.h` under a condition of the project's own may be for any build.
        assert!(!index.imports(&canon(&paths[4])).windows_header);
        // Named for another system, unless for Windows too.
        let windows = |i: usize| index.imports(&canon(&paths[i])).windows_header;
        assert_eq!((windows(5), windows(6), windows(7)), (false, true, true));
    }

    #[test]
    fn a_header_not_included_defines_nothing_for_a_file() {
        let (_tmp, paths) = project(&[
            ("a.c", "int main(void) { return 0; }\n"),
            ("b.h", "#define close closesocket\n"),
        ]);
        let index = Index::build(&paths, &Config::default(), 1);
        assert!(index.imports(&canon(&paths[0])).is_empty());
    }

    #[test]
    fn summaries_across_three_files() {
        let (_tmp, paths) = project(&[
            (
                "sock.c",
                "#include <winsock2.h>\nvoid sock_close(SOCKET s) { if (s != INVALID_SOCKET) closesocket(s); }\n\
                 SOCKET sock_open(void) { SOCKET s = socket(AF_INET, SOCK_STREAM, 0); return s; }\n",
            ),
            (
                "conn.c",
                "#include \"conn.h\"\nvoid conn_close(struct conn *c, SOCKET fd) { sock_close(fd); c->fd = -1; }\n",
            ),
            (
                "dial.c",
                "SOCKET dial(const char *host) { return sock_open(); }\nvoid trace(SOCKET s) { printf(\"%d\", (int)s); }\n",
            ),
        ]);
        let index = Index::build(&paths, &Config::default(), 2);
        assert_eq!(index.summaries.closers, vec!["conn_close", "sock_close"]);
        assert_eq!(index.summaries.creators, vec!["dial", "sock_open"]);
    }

    #[test]
    fn unreadable_and_binary_files_are_left_out() {
        let (tmp, mut paths) = project(&[("a.c", "\u{0}\u{1}#define x(")]);
        paths.push(tmp.path().join("missing.c"));
        let index = Index::build(&paths, &Config::default(), 1);
        assert!(index.summaries.closers.is_empty());
    }
}
