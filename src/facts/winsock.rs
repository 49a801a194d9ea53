//! Winsock facts: whether code is compiled for Windows with Winsock in sight, which calls report
//! their errors through `WSAGetLastError()`, and which Winsock call an `if` tests for failure.

use tree_sitter::Node;

use crate::facts::{unwrap_casts, unwrap_parens, Call, Facts, Include, Platform};
use crate::node::NodeExt;

/// Headers that declare Winsock (directly or through `windows.h`).
pub const WINSOCK_HEADERS: &[&str] = &[
    "winsock2.h",
    "winsock.h",
    "ws2tcpip.h",
    "windows.h",
    "mswsock.h",
    "ws2def.h",
];

/// Socket headers that no Windows toolchain has (MinGW included).
pub const POSIX_ONLY_HEADERS: &[&str] = &[
    "sys/socket.h",
    "netinet/in.h",
    "netinet/tcp.h",
    "arpa/inet.h",
    "sys/un.h",
    "netdb.h",
];

/// The headers after which `FD_SETSIZE` is fixed (WSA207).
pub const FD_SET_HEADERS: &[&str] = &["winsock2.h", "winsock.h", "windows.h", "ws2tcpip.h"];

/// Calls that report failure through `WSAGetLastError()` (and never through `errno`).
pub const WINSOCK_CALLS: &[&str] = &[
    "accept",
    "bind",
    "closesocket",
    "connect",
    "gethostbyaddr",
    "gethostbyname",
    "getpeername",
    "getsockname",
    "getsockopt",
    "ioctlsocket",
    "listen",
    "recv",
    "recvfrom",
    "select",
    "send",
    "sendto",
    "setsockopt",
    "shutdown",
    "socket",
    "WSAAccept",
    "WSAAsyncSelect",
    "WSACleanup",
    "WSAConnect",
    "WSADuplicateSocket",
    "WSADuplicateSocketA",
    "WSADuplicateSocketW",
    "WSAEnumNetworkEvents",
    "WSAEventSelect",
    "WSAGetOverlappedResult",
    "WSAIoctl",
    "WSAPoll",
    "WSARecv",
    "WSARecvFrom",
    "WSASend",
    "WSASendTo",
    "WSASocket",
    "WSASocketA",
    "WSASocketW",
    "WSAWaitForMultipleEvents",
];

/// Winsock calls that return zero on success (and `SOCKET_ERROR` on failure).
const ZERO_ON_SUCCESS: &[&str] = &[
    "bind",
    "closesocket",
    "connect",
    "getpeername",
    "getsockname",
    "getsockopt",
    "ioctlsocket",
    "listen",
    "setsockopt",
    "shutdown",
    "WSAAsyncSelect",
    "WSACleanup",
    "WSAConnect",
    "WSAEnumNetworkEvents",
    "WSAEventSelect",
    "WSAIoctl",
    "WSARecv",
    "WSARecvFrom",
    "WSASend",
    "WSASendTo",
    "WSAStartup",
];

/// Whether a call reports its failure through `WSAGetLastError()`.
pub fn is_winsock_call(name: &str) -> bool {
    WINSOCK_CALLS.contains(&name)
}

/// Whether a call is a Winsock function at all: one that sets the last error or returns its
/// error (`is_winsock_failure`), or a resolver call (`getaddrinfo`, `getnameinfo`...).
pub fn is_winsock_api(name: &str) -> bool {
    is_winsock_failure(name)
        || matches!(
            name,
            "getaddrinfo"
                | "GetAddrInfoW"
                | "GetAddrInfoExW"
                | "freeaddrinfo"
                | "FreeAddrInfoW"
                | "getnameinfo"
                | "GetNameInfoW"
                | "gethostname"
                | "WSASetLastError"
        )
}

/// Winsock calls that return their error code and set neither `errno` nor
/// `WSAGetLastError()`: `WSAStartup` fails before there is a last error to set.
pub const RETURNS_ITS_ERROR: &[&str] = &["WSAStartup"];

/// Whether a call is a Winsock call whose failure an `if` may handle: one that reports through
/// `WSAGetLastError()`, or one that returns its error code (`RETURNS_ITS_ERROR`).
pub fn is_winsock_failure(name: &str) -> bool {
    is_winsock_call(name) || RETURNS_ITS_ERROR.contains(&name)
}

/// CRT calls that reach the operating system (files, streams, the console, processes): they
/// set `errno` on failure, and the Win32 calls under them may set the thread's last error even
/// when they succeed.
pub const CRT_IO_CALLS: &[&str] = &[
    "fopen",
    "_wfopen",
    "fopen_s",
    "_wfopen_s",
    "freopen",
    "_fdopen",
    "fclose",
    "_fcloseall",
    "fflush",
    "fread",
    "fwrite",
    "fgets",
    "fgetws",
    "fputs",
    "fputws",
    "fgetc",
    "fputc",
    "getc",
    "putc",
    "getchar",
    "putchar",
    "gets",
    "gets_s",
    "puts",
    "_putws",
    "ungetc",
    "fseek",
    "_fseeki64",
    "ftell",
    "_ftelli64",
    "fgetpos",
    "fsetpos",
    "rewind",
    "setvbuf",
    "tmpfile",
    "remove",
    "_wremove",
    "rename",
    "_wrename",
    "_unlink",
    "unlink",
    "_mkdir",
    "mkdir",
    "_rmdir",
    "rmdir",
    "_chdir",
    "chdir",
    "_stat",
    "_stat64",
    "stat",
    "_fstat",
    "fstat",
    "_access",
    "access",
    "_open",
    "_wopen",
    "_sopen_s",
    "open",
    "_read",
    "read",
    "_write",
    "write",
    "_close",
    "close",
    "_lseek",
    "lseek",
    "_commit",
    "_dup",
    "dup",
    "_dup2",
    "dup2",
    "_pipe",
    "_popen",
    "_pclose",
    "system",
    "_spawnl",
    "_spawnv",
    "_execl",
    "_execv",
];

/// CRT calls that set `errno` on failure without reaching the operating system: memory,
/// number conversions, math.
pub const CRT_ERRNO_CALLS: &[&str] = &[
    "malloc",
    "calloc",
    "realloc",
    "_aligned_malloc",
    "_strdup",
    "strdup",
    "_wcsdup",
    "strtol",
    "strtoul",
    "strtoll",
    "strtoull",
    "_strtoi64",
    "_strtoui64",
    "strtod",
    "strtof",
    "strtold",
    "wcstol",
    "wcstoul",
    "wcstoll",
    "wcstoull",
    "wcstod",
    "_wtoi",
    "atof",
    "mbstowcs",
    "wcstombs",
    "mbstowcs_s",
    "wcstombs_s",
    "strtok_s",
    "strcpy_s",
    "strncpy_s",
    "strcat_s",
    "strncat_s",
    "wcscpy_s",
    "wcsncpy_s",
    "wcscat_s",
    "memcpy_s",
    "memmove_s",
    "sprintf_s",
    "_itoa_s",
    "sqrt",
    "pow",
    "log",
    "log10",
    "exp",
];

/// Whether a CRT call reports its failure through `errno`.
pub fn sets_errno(name: &str) -> bool {
    CRT_IO_CALLS.contains(&name) || CRT_ERRNO_CALLS.contains(&name)
}

/// Calls that leave the thread's last error alone: error accessors, byte order, memory and
/// string helpers, and the `FD_*` macros.
const KEEPS_LAST_ERROR: &[&str] = &[
    "WSAGetLastError",
    "GetLastError",
    "WSASetLastError",
    "SetLastError",
    "htons",
    "htonl",
    "ntohs",
    "ntohl",
    "memset",
    "memcpy",
    "memmove",
    "memcmp",
    "strlen",
    "wcslen",
    "strcmp",
    "strncmp",
    "strcpy",
    "strncpy",
    "strcat",
    "strchr",
    "strstr",
    "lstrlenA",
    "lstrlenW",
    "FD_ISSET",
    "FD_SET",
    "FD_CLR",
    "FD_ZERO",
    "assert",
    "_ASSERT",
    "_ASSERTE",
    "ZeroMemory",
    "SecureZeroMemory",
    "CopyMemory",
    "sizeof",
    "min",
    "max",
    "abs",
];

/// Win32 calls that set the thread's last error (which `WSAGetLastError()` reads too), or
/// show a window, which runs a message loop that calls many more.
const SETS_LAST_ERROR: &[&str] = &[
    "CloseHandle",
    "WriteFile",
    "ReadFile",
    "CreateFileA",
    "CreateFileW",
    "CreateFile",
    "WriteConsoleA",
    "WriteConsoleW",
    "WriteConsole",
    "OutputDebugString",
    "OutputDebugStringA",
    "OutputDebugStringW",
    "MessageBox",
    "MessageBoxA",
    "MessageBoxW",
    "MessageBoxEx",
    "MessageBoxExA",
    "MessageBoxExW",
    "MessageBeep",
    "FormatMessage",
    "FormatMessageA",
    "FormatMessageW",
    "LoadString",
    "LoadStringA",
    "LoadStringW",
    "SetWindowText",
    "SetWindowTextA",
    "SetWindowTextW",
    "SetDlgItemText",
    "SetDlgItemTextA",
    "SetDlgItemTextW",
    "SendMessage",
    "SendMessageA",
    "SendMessageW",
    "PostMessage",
    "PostMessageA",
    "PostMessageW",
    "ReportEvent",
    "ReportEventA",
    "ReportEventW",
    "Sleep",
    "SleepEx",
    "syslog",
];

/// Whether a (non-member) call may overwrite the thread's last error. The rule: a Winsock
/// call; a Win32 call known to set it (`SETS_LAST_ERROR`) or an MFC global (`Afx...`, which
/// wraps Win32: `AfxMessageBox`); a CRT call that reaches the operating system
/// (`CRT_IO_CALLS`: `fputs`, `fwrite`, `fclose`...); or an output, logging or message-box call
/// by its name (`library::is_output_call`, and `ShowMsgBox`, `ReportError`). Calls known to
/// keep it (`KEEPS_LAST_ERROR`) and any other name - the project's arithmetic or parsing helpers, an
/// upper-case macro such as `MAKEWORD` - do not.
pub fn may_set_last_error(name: &str) -> bool {
    if KEEPS_LAST_ERROR.contains(&name) {
        return false;
    }
    if is_winsock_call(name)
        || SETS_LAST_ERROR.contains(&name)
        || CRT_IO_CALLS.contains(&name)
        || (name.starts_with("Afx") && name.len() > 3)
    {
        return true;
    }
    let lower = name.to_ascii_lowercase();
    !lower.contains("lasterror")
        && (crate::facts::library::is_output_call(name)
            || ["report", "messagebox", "msgbox"]
                .iter()
                .any(|w| lower.contains(w)))
}

/// The file name of a header as written (`sys/socket.h` -> `socket.h`), lowercased.
fn base_name(header: &str) -> String {
    header
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(header)
        .to_ascii_lowercase()
}

/// Structs that hold a time as seconds and a fraction (`struct timeval`, `struct timeb`,
/// `struct timespec`), by their bare names, and Winsock's typedefs of `timeval`.
const TIME_STRUCTS: &[&str] = &[
    "timeval",
    "TIMEVAL",
    "timeb",
    "_timeb",
    "__timeb32",
    "__timeb64",
    "timespec",
];

/// What an option value points to, as far as the file says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pointee {
    /// A seconds-and-fractions struct: the object as written, the struct's bare name.
    TimeStruct { object: String, ty: &'static str },
    /// An object declared with another type (a `DWORD` of milliseconds).
    Other,
    /// The file does not say (a `char *` buffer, an expression).
    Unknown,
}

/// Winsock's pointer typedefs of `timeval`.
const TIME_STRUCT_POINTERS: &[&str] = &["PTIMEVAL", "LPTIMEVAL"];

/// The bare type name of a type as written: `const struct timeval` -> `timeval`.
fn bare_type(ty: &str) -> &str {
    ty.split_whitespace()
        .rfind(|w| !matches!(*w, "const" | "volatile" | "struct" | "union"))
        .unwrap_or("")
}

impl<'t> Facts<'t> {
    /// The seconds-and-fractions struct type (`timeval`, `timeb`, `timespec`) that the type as
    /// written names, through the file's typedefs (`typedef struct timeval my_tv;`): its bare
    /// name, and whether the type is a pointer to it (`LPTIMEVAL`).
    pub fn time_struct_type(&self, ty: &str) -> Option<(&'static str, bool)> {
        let mut name = bare_type(ty).to_string();
        for _ in 0..4 {
            if let Some(t) = TIME_STRUCTS.iter().find(|t| **t == name) {
                return Some((t, false));
            }
            if TIME_STRUCT_POINTERS.contains(&name.as_str()) {
                return Some(("timeval", true));
            }
            match self.typedefs.get(&name) {
                Some(next) => name = bare_type(next).to_string(),
                None => return None,
            }
        }
        None
    }

    /// The time struct an option value points to (`&tv`, `(char *)&tv`, `tvp` declared
    /// `struct timeval *`, `&conn->timeout` of a field declared in the file), with the name of
    /// the object as written.
    pub fn time_struct_pointee(&self, value: Node) -> Pointee {
        let value = unwrap_casts(value);
        let (object, address_taken) = match value.kind_name() {
            "pointer_expression"
                if value
                    .field("operator")
                    .is_some_and(|o| self.text_of(o) == "&") =>
            {
                match value.field("argument") {
                    Some(a) => (a, true),
                    None => return Pointee::Unknown,
                }
            }
            _ => (value, false),
        };
        let name_node = match object.kind_name() {
            "identifier" => object,
            "field_expression" => match object.field("field") {
                Some(f) => f,
                None => return Pointee::Unknown,
            },
            _ => return Pointee::Unknown,
        };
        let Some(decl) = self.decl_of(self.text_of(name_node), object.start_byte()) else {
            return Pointee::Unknown;
        };
        match self.time_struct_type(&decl.ty) {
            Some((ty, typedef_pointer)) => {
                let pointer = decl.pointer || typedef_pointer;
                // `&tv` of a struct, or `tvp` of a pointer to one.
                if pointer != address_taken {
                    Pointee::TimeStruct {
                        object: self.text_of(object).to_string(),
                        ty,
                    }
                } else {
                    Pointee::Unknown
                }
            }
            // A pointer to bytes says nothing of what it points to.
            None if decl.pointer
                && !address_taken
                && matches!(bare_type(&decl.ty), "char" | "void" | "BYTE" | "uint8_t") =>
            {
                Pointee::Unknown
            }
            None => Pointee::Other,
        }
    }

    /// The time struct an option length measures: `sizeof(struct timeval)`, `sizeof tv` or
    /// `sizeof(tv)` of one.
    pub fn time_struct_size(&self, len: Node) -> Option<&'static str> {
        let len = unwrap_casts(len);
        if len.kind_name() != "sizeof_expression" {
            return None;
        }
        if let Some(ty) = len.field("type") {
            return self
                .time_struct_type(self.text_of(ty))
                .filter(|(_, pointer)| !pointer)
                .map(|(t, _)| t);
        }
        let value = crate::facts::unwrap_parens(len.field("value")?);
        let name_node = match value.kind_name() {
            "identifier" => value,
            "field_expression" => value.field("field")?,
            _ => return None,
        };
        let decl = self.decl_of(self.text_of(name_node), value.start_byte())?;
        let (ty, pointer) = self.time_struct_type(&decl.ty)?;
        (!pointer && !decl.pointer).then_some(ty)
    }

    /// The Winsock calls (`is_winsock_api`) that run when the file's function `root` runs: its
    /// own, and those of the file's functions it calls directly, at any depth (not through
    /// pointers: a thread or work item it starts runs later). Each comes with the call in
    /// `root` that leads to it (`None` for `root`'s own).
    pub fn winsock_calls_reached(&self, root: usize) -> Vec<(&Call<'t>, Option<&Call<'t>>)> {
        let mut out = Vec::new();
        let mut seen = std::collections::HashSet::from([root]);
        let mut queue: std::collections::VecDeque<(usize, Option<&Call<'t>>)> =
            std::collections::VecDeque::from([(root, None)]);
        while let Some((index, via)) = queue.pop_front() {
            let body = self.functions[index].body.byte_range();
            for call in self.calls_in(body) {
                if call.member || call.function != Some(index) {
                    continue;
                }
                if self.never_windows(call.node.start_byte()) {
                    continue;
                }
                if is_winsock_api(&call.name) {
                    out.push((call, via));
                    continue;
                }
                let callee = self
                    .functions
                    .iter()
                    .position(|f| !f.name.is_empty() && f.short_name() == call.name);
                if let Some(callee) = callee {
                    if seen.insert(callee) {
                        queue.push_back((callee, via.or(Some(call))));
                    }
                }
            }
        }
        out
    }

    /// The `#include`s of Winsock headers that a Windows build can reach, in document order.
    pub fn winsock_includes<'a>(
        &'a self,
        headers: &'a [&str],
    ) -> impl Iterator<Item = &'a Include> + 'a {
        self.includes.iter().filter(move |i| {
            headers.contains(&base_name(&i.header).as_str())
                && !self.not_for_windows(i.directive.start)
        })
    }

    /// Whether a Windows build of this file sees Winsock: it includes a Winsock header outside
    /// non-Windows branches.
    pub fn includes_winsock(&self) -> bool {
        self.winsock_includes(WINSOCK_HEADERS).next().is_some()
    }

    /// Whether the file cannot be built for Windows at all: it includes a POSIX-only socket
    /// header (`<sys/socket.h>`, `<netinet/in.h>`...) unconditionally.
    pub fn posix_only_file(&self) -> bool {
        self.includes
            .iter()
            .any(|i| !i.conditional && POSIX_ONLY_HEADERS.contains(&i.header.as_str()))
    }

    /// Code no Windows build compiles: a non-Windows branch, `#if 0`, or anything outside a
    /// Windows branch of a file that cannot be built for Windows (`posix_only_file`).
    pub fn never_windows(&self, offset: usize) -> bool {
        match self.platform_at(offset) {
            Platform::NonWindows | Platform::OtherOs | Platform::Dead => true,
            Platform::Windows => false,
            Platform::Unknown | Platform::WindowsOrOther => self.posix_only_file(),
        }
    }

    /// Whether the file also builds for other systems: it has a non-Windows branch, or includes
    /// a POSIX header (`<unistd.h>`, `<sys/socket.h>`...), even under a feature test.
    pub fn has_posix_side(&self) -> bool {
        self.regions
            .iter()
            .any(|r| matches!(r.platform, Platform::NonWindows | Platform::OtherOs))
            || self.includes.iter().any(|i| {
                let h = i.header.as_str();
                POSIX_ONLY_HEADERS.contains(&h)
                    || matches!(
                        h,
                        "unistd.h" | "sys/select.h" | "sys/ioctl.h" | "poll.h" | "sys/time.h"
                    )
            })
    }

    /// Whether only a Windows build compiles the code at `offset`: a Windows branch, or
    /// Windows code (`windows_code`) in a file without a POSIX side (`has_posix_side`). In the
    /// unmarked parts of portable code, a value kept in an `int` is the POSIX half's descriptor
    /// as often as it is a truncated `SOCKET`.
    pub fn windows_only(&self, offset: usize) -> bool {
        match self.platform_at(offset) {
            Platform::Windows => true,
            Platform::Unknown => self.windows_code(offset) && !self.has_posix_side(),
            _ => false,
        }
    }

    /// The call at `call_node` when it is Winsock's `setsockopt(socket, SOL_SOCKET, ...)` in
    /// code built for Windows (Windows code, or a socket of the unsigned SOCKET type outside a
    /// POSIX-only branch): the socket-level options whose Windows meaning WSA205 and WSA210
    /// judge.
    pub fn windows_sol_socket_option(
        &self,
        call_node: Node<'t>,
        socket: Node<'t>,
        level: Node<'t>,
    ) -> Option<&Call<'t>> {
        let call = self.call_of(call_node)?;
        if call.member || call.name != "setsockopt" || self.text_of(level).trim() != "SOL_SOCKET" {
            return None;
        }
        let offset = call_node.start_byte();
        if self.never_windows(offset)
            || !(self.windows_code(offset) || self.has_socket_type(socket))
        {
            return None;
        }
        Some(call)
    }

    /// Whether the code at `offset` is compiled for Windows with Winsock: not in a non-Windows
    /// branch, and either in a Windows branch, or in a file that includes no POSIX-only socket
    /// header unconditionally and either includes Winsock itself or is written for Windows
    /// alone (`platform::is_windows_program`: it reaches Winsock through a project header).
    /// A POSIX-only file is not Windows code, whatever it calls.
    pub fn windows_code(&self, offset: usize) -> bool {
        match self.platform_at(offset) {
            Platform::NonWindows | Platform::OtherOs | Platform::Dead => false,
            Platform::Windows => true,
            Platform::Unknown | Platform::WindowsOrOther => {
                !self.posix_only_file() && (self.includes_winsock() || self.windows_program)
            }
        }
    }

    /// The Winsock call whose failure an `if` statement tests: a Winsock call in its condition
    /// (`if (connect(...) == SOCKET_ERROR)`, `if (WSAStartup(...) != 0)`), or the Winsock call last assigned, before the
    /// `if` and in the same function, to a variable the condition reads
    /// (`rc = send(...); if (rc == SOCKET_ERROR)`).
    pub fn failed_winsock_call(&self, if_node: Node) -> Option<&Call<'t>> {
        let cond = if_node.field("condition")?;
        let calls: Vec<&Call<'t>> = self
            .calls_in(cond.byte_range())
            .filter(|c| !c.member && c.name != "WSAGetLastError")
            .collect();
        if let Some(call) = calls.iter().find(|c| is_winsock_failure(&c.name)) {
            return Some(call);
        }
        // A call compared with `SOCKET_ERROR` or `INVALID_SOCKET` reports through
        // `WSAGetLastError()` whatever its name (`idealsendbacklognotify`, a wrapper).
        let text = self.text_of(cond);
        if text.contains("SOCKET_ERROR") || text.contains("INVALID_SOCKET") {
            if let Some(call) = calls.first() {
                return Some(call);
            }
        }
        // `if (fwrite(buf, 1, n, out) != (size_t)n)` after `n = recv(...)` tests `fwrite`,
        // which reports through `errno`: `n` is only what it is compared with.
        if self.tested_calls(cond).iter().any(|c| sets_errno(&c.name)) {
            return None;
        }
        self.calls_assigned_to_condition(if_node)
            .into_iter()
            .find(|c| is_winsock_failure(&c.name) && !c.member)
    }

    /// The calls whose results the condition of `if_node` reads through variables: for each
    /// identifier of the condition, the call last assigned to it before the `if`, in the same
    /// function.
    fn calls_assigned_to_condition(&self, if_node: Node) -> Vec<&Call<'t>> {
        let Some(cond) = if_node.field("condition") else {
            return Vec::new();
        };
        let func = self.function_at(if_node.start_byte());
        let mut found = Vec::new();
        crate::facts::walk(cond, |n| {
            // The condition's own operands, not the arguments of a call it makes (looked for
            // up to the condition only: the `if` may be nested thousands of levels deep).
            if n.kind_name() != "identifier"
                || std::iter::successors(self.parent(n), |p| self.parent(*p))
                    .take_while(|p| p.id() != cond.id())
                    .any(|p| p.kind_name() == "argument_list")
            {
                return;
            }
            let name = self.text_of(n);
            let last = self
                .assignments
                .iter()
                .filter(|a| {
                    a.function == func
                        && a.target == name
                        && a.value.end_byte() <= if_node.start_byte()
                })
                .max_by_key(|a| a.value.start_byte());
            if let Some(a) = last {
                let v = unwrap_casts(a.value);
                if v.kind_name() == "call_expression" {
                    found.extend(self.call_of(v));
                }
            }
        });
        found
    }

    /// The `if` before `stmt` in its block that leaves the block when a Winsock call succeeds
    /// (`if (connect(s, sa, len) == 0) return s;`, no `else`), with that call: what follows
    /// runs only when the call failed. The search stops at a statement that uses the result
    /// of another Winsock call or of a CRT call that sets `errno` (bare calls such as
    /// `closesocket(s);` or `printf(...)` pass).
    fn guard_before(&self, stmt: Node<'t>) -> Option<(Node<'t>, &Call<'t>)> {
        let mut sib = stmt.prev_named_sibling();
        while let Some(s) = sib {
            if s.kind_name() == "if_statement" && s.field("alternative").is_none() {
                let leaves = s.field("consequence").is_some_and(|c| {
                    let last = if c.kind_name() == "compound_statement" {
                        let mut cursor = c.walk();
                        let children = c.named_children(&mut cursor);
                        children.filter(|n| n.kind_name() != "comment").last()
                    } else {
                        Some(c)
                    };
                    last.is_some_and(|l| crate::facts::order::is_jump(l, self.text))
                });
                let guarded = self.failed_winsock_call(s).filter(|call| {
                    let Some(cond) = s.field("condition") else {
                        return false;
                    };
                    if self.is_success_test(cond) {
                        return true;
                    }
                    // `connect(...) == 0`, `!bind(...)`: only for calls that return zero on
                    // success (`recv(...) == 0` is a closed connection).
                    let var = self.stored_in(call.node);
                    let fails = crate::facts::order::FailsWith::NonZero;
                    ZERO_ON_SUCCESS.contains(&call.name.as_str())
                        && self.test(cond, call.node, var.as_deref(), fails).0
                            == Some(crate::facts::order::Outcome::Success)
                });
                if let (true, Some(call)) = (leaves, guarded) {
                    return Some((s, call));
                }
            }
            let bare_call = s.kind_name() == "expression_statement"
                && s.named_child(0)
                    .is_some_and(|e| e.kind_name() == "call_expression");
            let uses_a_result = !bare_call
                && self
                    .calls_in(s.byte_range())
                    .any(|c| is_winsock_failure(&c.name) || sets_errno(&c.name));
            if uses_a_result {
                return None;
            }
            sib = s.prev_named_sibling();
        }
        None
    }

    /// The innermost `if` statement whose consequence (not its `else`) contains `node`, inside
    /// the same function, with the Winsock call it tests for failure; or a guard before `node`
    /// that leaves when the call succeeds (`if (connect(...) == 0) return s;`, see
    /// `guard_before`).
    pub fn failure_branch_of(&self, node: Node<'t>) -> Option<(Node<'t>, &Call<'t>)> {
        let mut child = node;
        let mut cur = self.parent(node);
        while let Some(n) = cur {
            match n.kind_name() {
                "function_definition" | "lambda_expression" => return None,
                "compound_statement" => {
                    if let Some(found) = self.guard_before(child) {
                        return Some(found);
                    }
                }
                "if_statement" => {
                    let within =
                        |field: &str| n.field(field).is_some_and(|c| Facts::within(child, c));
                    let (in_condition, in_then, in_else) = (
                        within("condition"),
                        within("consequence"),
                        within("alternative"),
                    );
                    let success_test = n
                        .field("condition")
                        .is_some_and(|c| self.is_success_test(c));
                    // An inner `if` that tests another call: whatever `node` reads there is
                    // about that call, not about an outer Winsock call. `WSAGetLastError()`
                    // only reads the outer call's error (`if (WSAGetLastError() !=
                    // WSAEWOULDBLOCK)`).
                    let tests_a_call = n.field("condition").is_some_and(|c| {
                        self.calls_in(c.byte_range())
                            .any(|call| call.name != "WSAGetLastError")
                    }) || self
                        .calls_assigned_to_condition(n)
                        .iter()
                        .any(|call| call.name != "WSAGetLastError");
                    let failure_side =
                        in_condition || (in_then && !success_test) || (in_else && success_test);
                    if failure_side {
                        if let Some(call) = self.failed_winsock_call(n) {
                            if call.node.end_byte() <= node.start_byte() {
                                return Some((n, call));
                            }
                        }
                        if !in_condition && tests_a_call {
                            return None;
                        }
                    } else if (in_then || in_else) && tests_a_call {
                        // The success side of a test, or the `else` of a failure test.
                        return None;
                    }
                }
                _ => {}
            }
            child = n;
            cur = self.parent(n);
        }
        None
    }

    /// The Winsock call whose failure leads to `node` through a label: `node` runs after
    /// `fail:` by falling through from the label, nothing falls into the label from the
    /// statement before it, and every `goto fail` of the function is on the failure path of a
    /// Winsock call (`failure_branch_of`): `if (connect(...) == SOCKET_ERROR) goto fail; ...
    /// return s; fail: perror("connect");`. Returns the `if` and the call of the last such
    /// `goto` before the label (the first after it when all jump back). The search gives up
    /// when `node` sits in an `if` or a loop of its own, or when a statement between the label
    /// and `node` jumps or uses the result of a Winsock call or of a CRT call that sets `errno`.
    pub fn failure_label_of(&self, node: Node<'t>) -> Option<(Node<'t>, &Call<'t>)> {
        // The statement that holds `node`, directly in a block.
        let mut stmt = node;
        loop {
            let parent = stmt.parent()?;
            match parent.kind_name() {
                "compound_statement" => break,
                "if_statement"
                | "for_statement"
                | "for_range_loop"
                | "while_statement"
                | "do_statement"
                | "switch_statement"
                | "case_statement"
                | "try_statement"
                | "catch_clause"
                | "function_definition"
                | "lambda_expression" => return None,
                _ => stmt = parent,
            }
        }
        let uses_a_result = |s: Node| {
            let bare_call = s.kind_name() == "expression_statement"
                && s.named_child(0)
                    .is_some_and(|e| e.kind_name() == "call_expression");
            !bare_call
                && self
                    .calls_in(s.byte_range())
                    .any(|c| is_winsock_failure(&c.name) || sets_errno(&c.name))
        };
        // Back to the label, through statements that fall through without using a result.
        let mut cur = stmt;
        let labeled = loop {
            // The statement under a label (`fail: closesocket(s);`) runs before `node` unless it
            // holds `node`.
            let mut inner = cur;
            while inner.kind_name() == "labeled_statement" {
                match inner.named_children(&mut inner.walk()).last() {
                    Some(i) => inner = i,
                    None => break,
                }
            }
            if !Facts::within(node, inner)
                && (crate::facts::order::is_jump(inner, self.text) || uses_a_result(inner))
            {
                return None;
            }
            if cur.kind_name() == "labeled_statement" {
                break cur;
            }
            cur = cur.prev_named_sibling()?;
            while cur.kind_name() == "comment" {
                cur = cur.prev_named_sibling()?;
            }
        };
        // Nothing falls into the label: the statement before it jumps.
        let mut before = labeled.prev_named_sibling()?;
        while before.kind_name() == "comment" {
            before = before.prev_named_sibling()?;
        }
        if !crate::facts::order::is_jump(before, self.text) {
            return None;
        }
        let label = self.text_of(labeled.field("label")?);
        let func = self.function_at(labeled.start_byte())?;
        let mut gotos = Vec::new();
        crate::facts::walk(self.functions[func].body, |n| {
            if n.kind_name() == "goto_statement"
                && n.field("label").is_some_and(|l| self.text_of(l) == label)
            {
                gotos.push(n);
            }
        });
        let mut jumps = Vec::new();
        for goto in gotos {
            let (if_node, call) = self.failure_branch_of(goto)?;
            if !is_winsock_failure(&call.name) || call.member {
                return None;
            }
            jumps.push((goto.start_byte(), if_node, call));
        }
        let at = labeled.start_byte();
        jumps
            .iter()
            .filter(|(g, _, _)| *g < at)
            .max_by_key(|(g, _, _)| *g)
            .or_else(|| jumps.first())
            .map(|&(_, if_node, call)| (if_node, call))
    }

    /// The calls a condition tests, one per operand of its `||` / `&&` chain:
    /// `bind(...) != 0 || listen(...) != 0` tests `bind` and `listen`. Short-circuit evaluation
    /// makes them alternatives: the branch runs after the last one evaluated, so none of them
    /// stands between another's failure and the branch. An operand tests a call when it
    /// compares the call's result (`call(...) == SOCKET_ERROR`, `(rc = call(...)) != 0`) or
    /// negates it (`!call(...)`), or is a bare Winsock call; a bare call of another function
    /// (`&& log_failure("bind")`) runs between the test and the branch.
    pub fn tested_calls(&self, cond: Node) -> Vec<&Call<'t>> {
        let mut operands = vec![cond];
        let mut out = Vec::new();
        while let Some(op) = operands.pop() {
            let op = unwrap_test(op);
            if op.kind_name() == "binary_expression"
                && matches!(
                    op.field("operator").map(|o| o.kind_name()),
                    Some("||" | "&&")
                )
            {
                operands.extend(op.field("right"));
                operands.extend(op.field("left"));
                continue;
            }
            let compared = if op.kind_name() == "binary_expression"
                && matches!(
                    op.field("operator").map(|o| o.kind_name()),
                    Some("==" | "!=" | "<" | "<=" | ">" | ">=")
                ) {
                [op.field("left"), op.field("right")]
                    .into_iter()
                    .flatten()
                    .map(|side| self.call_of(self.tested_value(side)))
                    .find(Option::is_some)
                    .flatten()
            } else if op.kind_name() == "unary_expression"
                && op.field("operator").map(|o| o.kind_name()) == Some("!")
            {
                op.field("argument")
                    .and_then(|a| self.call_of(self.tested_value(a)))
            } else {
                self.call_of(self.tested_value(op))
                    .filter(|c| is_winsock_failure(&c.name))
            };
            out.extend(compared.filter(|c| !c.member));
        }
        out
    }

    /// The value a test compares: `call(...)` in `(rc = call(...))`, `(int)call(...)`,
    /// `(SOCKET)(v[1] = socket(...))`.
    fn tested_value(&self, node: Node<'t>) -> Node<'t> {
        let mut node = node;
        for _ in 0..8 {
            node = unwrap_casts(node);
            if let Some(cast) = self.cast_of(node) {
                node = cast.value;
            } else if node.kind_name() == "assignment_expression" {
                match node.field("right") {
                    Some(right) => node = right,
                    None => break,
                }
            } else {
                break;
            }
        }
        node
    }

    /// Whether a condition tests for success, so that its `else` is the failure branch:
    /// `x != SOCKET_ERROR`, `s != INVALID_SOCKET` (either order), `n > 0`, `n >= 0`.
    pub fn is_success_test(&self, cond: Node) -> bool {
        let mut c = cond;
        while matches!(
            c.kind_name(),
            "parenthesized_expression" | "condition_clause"
        ) {
            match c.field("value").or_else(|| c.named_child(0)) {
                Some(inner) => c = inner,
                None => return false,
            }
        }
        if c.kind_name() != "binary_expression" {
            return false;
        }
        let op = c.field("operator").map(|o| o.kind_name());
        let (Some(l), Some(r)) = (c.field("left"), c.field("right")) else {
            return false;
        };
        let (l, r) = (self.text_of(l).trim(), self.text_of(r).trim());
        let invalid = |t: &str| t == "SOCKET_ERROR" || t == "INVALID_SOCKET";
        match op {
            Some("!=") => invalid(l) || invalid(r),
            Some(">") | Some(">=") => r == "0",
            Some("<") | Some("<=") => l == "0",
            _ => false,
        }
    }
}

/// The spellings of `WSASocket`.
pub const WSASOCKET_CALLS: &[&str] = &["WSASocket", "WSASocketA", "WSASocketW"];

/// Whether the flags of a `WSASocket(A|W)` call include `WSA_FLAG_OVERLAPPED`: `Some(true)` when
/// they name it (or are a number with its bit, `0x01`), `Some(false)` when they are made only of
/// numbers and other `WSA_FLAG_*` constants joined by `|` or `+` (`0`,
/// `WSA_FLAG_NO_HANDLE_INHERIT`), `None` when they read anything else (a variable, a project
/// macro) or the call has no flags argument.
pub fn wsasocket_overlapped(call: &Call, text: &[u8]) -> Option<bool> {
    wsasocket_flag(call, text, "WSA_FLAG_OVERLAPPED", 0x01)
}

/// Whether the flags of a `WSASocket(A|W)` call include `WSA_FLAG_NO_HANDLE_INHERIT` (0x80),
/// read as `wsasocket_overlapped` reads `WSA_FLAG_OVERLAPPED`.
pub fn wsasocket_no_inherit(call: &Call, text: &[u8]) -> Option<bool> {
    wsasocket_flag(call, text, "WSA_FLAG_NO_HANDLE_INHERIT", 0x80)
}

/// Whether the flags of a `WSASocket(A|W)` call include the flag `name` of value `bit`, when the
/// flags are made only of numbers and `WSA_FLAG_*` constants joined by `|` or `+`.
fn wsasocket_flag(call: &Call, text: &[u8], name: &str, bit: u64) -> Option<bool> {
    if !WSASOCKET_CALLS.contains(&call.name.as_str()) {
        return None;
    }
    let flags = call.arg(5)?;
    let mut found = false;
    let mut work = vec![flags];
    while let Some(n) = work.pop() {
        let n = unwrap_parens(n);
        match n.kind_name() {
            "binary_expression" => {
                let op = n.field("operator").map(|o| o.kind_name());
                if !matches!(op, Some("|" | "+")) {
                    return None;
                }
                work.extend(n.field("left"));
                work.extend(n.field("right"));
            }
            "number_literal" => {
                let t = n
                    .utf8_text(text)
                    .ok()?
                    .trim_end_matches(['u', 'U', 'l', 'L']);
                let value = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
                    Some(hex) => u64::from_str_radix(hex, 16).ok()?,
                    None => t.parse::<u64>().ok()?,
                };
                found |= value & bit != 0;
            }
            "identifier" => match n.utf8_text(text).ok()? {
                flag if flag == name => found = true,
                other if other.starts_with("WSA_FLAG_") => {}
                _ => return None,
            },
            _ => return None,
        }
    }
    Some(found)
}

/// Error codes that say a non-blocking `connect` is still in progress.
const CONNECT_PENDING: &[&str] = &[
    "WSAEWOULDBLOCK",
    "EINPROGRESS",
    "WSAEINPROGRESS",
    "EWOULDBLOCK",
];

/// The object an `fd_set` argument names: `&wfds` -> `wfds`, `(fd_set *)&s->w` -> `s->w`, a
/// pointer `w` -> `w`; `None` for `NULL`, `0` and `nullptr`.
pub fn fd_set_key(facts: &Facts, arg: Node) -> Option<String> {
    let mut n = unwrap_parens(arg);
    if n.kind_name() == "pointer_expression"
        && n.field("operator").is_some_and(|o| o.kind_name() == "&")
    {
        n = unwrap_parens(n.field("argument")?);
    }
    let text = facts.text_of(n).trim();
    if matches!(text, "NULL" | "0" | "nullptr" | "0L") || n.kind_name() == "null" {
        return None;
    }
    Some(facts.socket_key(n))
}

/// What a function does with one `fd_set`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FdSetUse {
    /// The sockets `FD_SET` puts in it (by `socket_key`).
    pub sockets: Vec<String>,
    /// It is also filled some other way: assigned, copied into (`memcpy(&efds, &wfds, ...)`),
    /// or passed to another function (a helper): its content is unknown.
    pub unknown: bool,
}

impl<'t> Facts<'t> {
    /// Whether `connect` is a non-blocking connect in the function: the function sets its
    /// socket non-blocking with `ioctlsocket(s, FIONBIO, ...)` before it, or compares an error
    /// with `WSAEWOULDBLOCK`/`EINPROGRESS` after it.
    pub fn nonblocking_connect(&self, connect: &Call<'t>) -> bool {
        let (Some(func), Some(sock)) = (connect.function, connect.arg(0)) else {
            return false;
        };
        let key = self.socket_key(sock);
        let body = self.functions[func].body;
        let made_nonblocking = self
            .calls_in(body.start_byte()..connect.node.start_byte())
            .any(|c| {
                c.function == Some(func)
                    && c.name == "ioctlsocket"
                    && c.arg(0).is_some_and(|a| self.socket_key(a) == key)
                    && c.arg(1)
                        .is_some_and(|a| self.text_of(a).trim() == "FIONBIO")
            });
        if made_nonblocking {
            return true;
        }
        let mut pending = false;
        crate::facts::walk_pruned(body, |n| {
            if pending || n.end_byte() <= connect.node.start_byte() {
                return false;
            }
            if n.kind_name() == "identifier" && CONNECT_PENDING.contains(&self.text_of(n)) {
                pending = true;
            }
            true
        });
        pending
    }

    /// What the function `func` does with the `fd_set` named `set` (see `fd_set_key`), apart
    /// from `FD_ZERO`, `FD_ISSET`, `FD_CLR` and `select`.
    pub fn fd_set_use(&self, func: usize, set: &str) -> FdSetUse {
        let body = self.functions[func].body;
        let mut out = FdSetUse::default();
        for c in self.calls_in(body.byte_range()) {
            if c.function != Some(func) {
                continue;
            }
            let holds =
                |i: usize| c.arg(i).and_then(|a| fd_set_key(self, a)).as_deref() == Some(set);
            match c.name.as_str() {
                "FD_SET" => {
                    if holds(1) {
                        out.sockets.extend(c.arg(0).map(|s| self.socket_key(s)));
                    }
                }
                "FD_ZERO" | "FD_ISSET" | "FD_CLR" | "select" => {}
                // Only the destination of a copy is filled.
                "memcpy" | "memmove" | "CopyMemory" | "RtlCopyMemory" => out.unknown |= holds(0),
                _ => {
                    if (0..c.args.len()).any(holds) {
                        out.unknown = true;
                    }
                }
            }
        }
        out.unknown |= self
            .assignments
            .iter()
            .any(|a| a.function == Some(func) && self.socket_key(a.target_node) == set);
        out
    }
}

/// A condition without its parentheses (and C++'s `condition_clause`).
fn unwrap_test(mut node: Node) -> Node {
    while matches!(
        node.kind_name(),
        "parenthesized_expression" | "condition_clause"
    ) {
        match node.field("value").or_else(|| node.named_child(0)) {
            Some(inner) => node = inner,
            None => break,
        }
    }
    node
}

#[cfg(test)]
mod tests {
    use crate::facts::tests::facts_of;
    use crate::facts::walk;
    use crate::lang::Lang;
    use crate::node::NodeExt;

    /// What `wsasocket_overlapped` says of the first `WSASocket*` call in `body`.
    fn overlapped(body: &str) -> Option<bool> {
        let code = format!("void f(DWORD fl) {{ SOCKET s = {body}; }}");
        facts_of(Lang::C, &code, |f| {
            let call = f.calls.iter().find(|c| c.name.starts_with("WSASocket"))?;
            super::wsasocket_overlapped(call, f.text)
        })
    }

    #[test]
    fn wsasocket_flags_read_when_constant() {
        let call = |flags: &str| {
            overlapped(&format!(
                "WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, 0, {flags})"
            ))
        };
        assert_eq!(call("0"), Some(false));
        assert_eq!(call("WSA_FLAG_NO_HANDLE_INHERIT"), Some(false));
        assert_eq!(call("(DWORD)0x80"), Some(false));
        assert_eq!(call("WSA_FLAG_OVERLAPPED"), Some(true));
        assert_eq!(
            call("WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT"),
            Some(true)
        );
        assert_eq!(call("0x01"), Some(true));
        assert_eq!(call("1"), Some(true));
        assert_eq!(call("fl"), None);
        assert_eq!(call("fl | WSA_FLAG_NO_HANDLE_INHERIT"), None);
        assert_eq!(call("MY_SOCKET_FLAGS"), None);
        assert_eq!(
            overlapped("WSASocketA(AF_INET, SOCK_STREAM, 0, NULL, 0)"),
            None
        );
    }

    #[test]
    fn nonblocking_connects() {
        let pending = |body: &str| {
            let code = format!("void f(SOCKET s, SOCKET t, u_long on) {{ {body} }}");
            facts_of(Lang::C, &code, |f| {
                let c = f.calls.iter().find(|c| c.name == "connect").unwrap();
                f.nonblocking_connect(c)
            })
        };
        assert!(pending("ioctlsocket(s, FIONBIO, &on); connect(s, sa, n);"));
        assert!(pending(
            "if (connect(s, sa, n) == SOCKET_ERROR && WSAGetLastError() != WSAEWOULDBLOCK) return;"
        ));
        assert!(pending(
            "rc = connect(s, sa, n); if (rc < 0 && errno == EINPROGRESS) wait();"
        ));
        assert!(!pending("connect(s, sa, n); send(s, b, 1, 0);"));
        assert!(!pending("ioctlsocket(t, FIONBIO, &on); connect(s, sa, n);"));
        assert!(!pending("if (recv(s, b, 1, 0) < 0 && WSAGetLastError() == WSAEWOULDBLOCK) return; connect(s, sa, n);"));
    }

    #[test]
    fn what_a_function_puts_in_an_fd_set() {
        let code =
            "void f(SOCKET s, fd_set *out) { fd_set w, e, x, y; FD_ZERO(&w); FD_SET(s, &w); \
                    FD_ZERO(&e); memcpy(&x, &w, sizeof w); y = w; \
                    select(0, NULL, &w, &e, NULL); FD_ISSET(s, &e); }";
        facts_of(Lang::C, code, |f| {
            let use_of = |set: &str| f.fd_set_use(0, set);
            assert_eq!(use_of("w").sockets, vec!["s".to_string()]);
            assert!(!use_of("w").unknown);
            assert_eq!(use_of("e"), super::FdSetUse::default());
            assert!(use_of("x").unknown);
            assert!(use_of("y").unknown);
            let select = f.calls.iter().find(|c| c.name == "select").unwrap();
            assert_eq!(super::fd_set_key(f, select.arg(1).unwrap()), None);
            assert_eq!(
                super::fd_set_key(f, select.arg(2).unwrap()).as_deref(),
                Some("w")
            );
        });
    }

    #[test]
    fn winsock_calls_reached_through_the_files_functions() {
        let code = "static void net_init(void) { WSADATA d; WSAStartup(0x202, &d); helper(); }\n\
                    static void helper(void) { SOCKET s = socket(2, 1, 0); net_init(); }\n\
                    static DWORD WINAPI later(LPVOID p) { closesocket(0); return 0; }\n\
                    BOOL root(void) { net_init(); CreateThread(0, 0, later, 0, 0, 0); \n\
                    #ifndef _WIN32\n close(0);\n #endif\n return TRUE; }";
        let found = facts_of(Lang::C, code, |f| {
            let root = f.functions.iter().position(|x| x.name == "root").unwrap();
            f.winsock_calls_reached(root)
                .iter()
                .map(|(c, via)| (c.name.clone(), via.map(|v| v.name.clone())))
                .collect::<Vec<_>>()
        });
        let via = Some("net_init".to_string());
        assert_eq!(
            found,
            vec![
                ("WSAStartup".to_string(), via.clone()),
                ("socket".to_string(), via),
            ]
        );
    }

    #[test]
    fn time_structs_behind_option_values_and_lengths() {
        let code = "typedef struct timeval my_tv;\n\
                    struct conn { struct timeval timeout; };\n\
                    void f(SOCKET s, const struct timeval *tvp, struct conn *c) {\n\
                    struct timeval tv; my_tv t2; DWORD ms; TIMEVAL t3;\n\
                    g((char *)&tv, sizeof(tv));\n\
                    g((const char *)tvp, sizeof *tvp);\n\
                    g(&t2, sizeof t2);\n\
                    g(&c->timeout, sizeof(struct timeval));\n\
                    g((char *)&ms, sizeof(ms));\n\
                    g(&t3, sizeof(struct timeb));\n\
                    g(buf, 8);\n\
                    }\n\
                    void h(const char *bytes) { g(bytes, sizeof(struct timeval)); }";
        let found = facts_of(Lang::C, code, |f| {
            f.calls
                .iter()
                .filter(|c| c.name == "g")
                .map(|c| {
                    let value = match f.time_struct_pointee(c.arg(0).unwrap()) {
                        super::Pointee::TimeStruct { object, ty } => format!("{object}:{ty}"),
                        other => format!("{other:?}"),
                    };
                    (value, f.time_struct_size(c.arg(1).unwrap()))
                })
                .collect::<Vec<_>>()
        });
        let found: Vec<(&str, Option<&str>)> =
            found.iter().map(|(v, l)| (v.as_str(), *l)).collect();
        assert_eq!(
            found,
            vec![
                ("tv:timeval", Some("timeval")),
                ("tvp:timeval", None),
                ("t2:timeval", Some("timeval")),
                ("c->timeout:timeval", Some("timeval")),
                ("Other", None),
                ("t3:TIMEVAL", Some("timeb")),
                ("Unknown", None),
                ("Unknown", Some("timeval")),
            ]
        );
    }

    #[test]
    fn wsasocket_no_inherit_flag() {
        let call = |flags: &str| {
            let code = format!(
                "void f(DWORD fl) {{ SOCKET s = WSASocketW(AF_INET, SOCK_STREAM, 0, NULL, 0, {flags}); }}"
            );
            facts_of(Lang::C, &code, |f| {
                let call = f.calls.iter().find(|c| c.name.starts_with("WSASocket"))?;
                super::wsasocket_no_inherit(call, f.text)
            })
        };
        assert_eq!(
            call("WSA_FLAG_OVERLAPPED | WSA_FLAG_NO_HANDLE_INHERIT"),
            Some(true)
        );
        assert_eq!(call("0x81"), Some(true));
        assert_eq!(call("WSA_FLAG_OVERLAPPED"), Some(false));
        assert_eq!(call("0"), Some(false));
        assert_eq!(call("fl"), None);
    }

    #[test]
    fn calls_that_may_set_the_last_error() {
        use super::may_set_last_error;
        for name in [
            "closesocket",
            "AfxMessageBox",
            "MessageBoxW",
            "fputs",
            "fclose",
            "printf",
        ] {
            assert!(may_set_last_error(name), "{name}");
        }
        for name in [
            "FD_SET",
            "MAKEWORD",
            "htons",
            "backoff_ms",
            "GetLastError",
            "strtol",
        ] {
            assert!(!may_set_last_error(name), "{name}");
        }
    }

    #[test]
    fn tested_calls_are_the_operands_of_a_logical_chain() {
        let code = "void f(SOCKET s) {\n\
              if (bind(s, 0, 0) != 0 || (listen(s, 4) == SOCKET_ERROR)) {}\n\
              if ((rc = ioctlsocket(s, 0, 0)) != 0 || !SetHandleInformation(0, 0, 0) || send(s, 0, 0, 0)) {}\n\
              if (setsockopt(s, 0, 0, 0, 0) == SOCKET_ERROR && log_failure(\"x\")) {}\n\
              if (0 || INVALID_SOCKET == (SOCKET)(v[1] = socket(2, 1, 0))) {}\n\
            }";
        let got = facts_of(Lang::C, code, |f| {
            let mut out = Vec::new();
            walk(f.functions[0].body, |n| {
                if n.kind_name() == "if_statement" {
                    let cond = n.field("condition").unwrap();
                    let names: Vec<&str> = f
                        .tested_calls(cond)
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect();
                    out.push(names.join(" "));
                }
            });
            out
        });
        assert_eq!(
            got,
            vec![
                "bind listen",
                "ioctlsocket SetHandleInformation send",
                "setsockopt",
                "socket"
            ]
        );
    }

    #[test]
    fn success_tests_make_the_else_the_failure_branch() {
        let code = "void f(SOCKET s, PVOID p) {\n\
              if (connect(s, 0, 0) != SOCKET_ERROR) { if (send(s, 0, 0, 0) != SOCKET_ERROR) { a(); } else { b(); } } else { c(); }\n\
              if (SOCKET_ERROR == idealsendbacklognotify(s, p, 0)) { d(); }\n\
              if (s != INVALID_SOCKET) { int rc = WSAIoctl(s, 0, 0, 0, 0, 0, 0, 0, 0); if (rc == SOCKET_ERROR && GetLastError() == 1) { } else { e(); } }\n\
            }";
        let got = facts_of(Lang::C, code, |f| {
            let mut out = Vec::new();
            walk(f.functions[0].body, |n| {
                if n.kind_name() == "call_expression" {
                    let name = f.text_of(n.field("function").unwrap());
                    if matches!(name, "a" | "b" | "c" | "d" | "e") {
                        let tested = f.failure_branch_of(n).map(|(_, c)| c.name.clone());
                        out.push((name.to_string(), tested));
                    }
                }
            });
            out
        });
        assert_eq!(
            got,
            vec![
                ("a".into(), None),
                ("b".into(), Some("send".into())),
                ("c".into(), Some("connect".into())),
                ("d".into(), Some("idealsendbacklognotify".into())),
                ("e".into(), None),
            ]
        );
    }

    #[test]
    fn windows_code_needs_a_winsock_header_or_a_windows_branch() {
        let posix = "#include <sys/socket.h>\nvoid f(void) { g(); }\n";
        let at = posix.find("g()").unwrap();
        assert!(!facts_of(Lang::C, posix, |f| f.windows_code(at)));
        let win = "#include <winsock2.h>\nvoid f(void) { g(); }\n";
        let at = win.find("g()").unwrap();
        assert!(facts_of(Lang::C, win, |f| f.windows_code(at)));
        let portable = "#ifdef _WIN32\n#include <winsock2.h>\n#else\n#include <unistd.h>\n#endif\n\
                        void f(void) {\n#ifndef _WIN32\n  a();\n#endif\n  b();\n}\n";
        facts_of(Lang::C, portable, |f| {
            assert!(!f.windows_code(portable.find("a()").unwrap()));
            assert!(f.windows_code(portable.find("b()").unwrap()));
        });
        let unbuildable = "#include <sys/socket.h>\n#ifdef WIN32\n#include <winsock2.h>\n#endif\nvoid f(void) { e(); }";
        let at = unbuildable.find("e()").unwrap();
        assert!(!facts_of(Lang::C, unbuildable, |f| f.windows_code(at)));
        let only_posix_include =
            "#ifndef _WIN32\n#include <winsock2.h>\n#endif\nvoid f(void) { c(); }";
        let at = only_posix_include.find("c()").unwrap();
        assert!(!facts_of(Lang::C, only_posix_include, |f| f.windows_code(at)));
    }

    #[test]
    fn windows_only_code_needs_a_windows_branch_or_a_file_without_a_posix_side() {
        let win = "#include <winsock2.h>\nvoid f(void) { g(); }\n";
        assert!(facts_of(Lang::C, win, |f| f.windows_only(win.find("g()").unwrap())));
        let portable = "#ifdef _WIN32\n#include <winsock2.h>\n#else\n#include <unistd.h>\n#endif\n\
                        void f(void) {\n#ifdef _WIN32\n  a();\n#endif\n#ifdef USE_IOCP\n  b();\n#endif\n  c();\n}\n";
        facts_of(Lang::C, portable, |f| {
            assert!(f.has_posix_side());
            assert!(f.windows_only(portable.find("a()").unwrap()));
            assert!(!f.windows_only(portable.find("b()").unwrap()));
            assert!(!f.windows_only(portable.find("c()").unwrap()));
        });
        let feature = "#include <winsock2.h>\n#ifdef HAVE_UNISTD_H\n#include <unistd.h>\n#endif\n\
                       void f(void) { d(); }\n";
        facts_of(Lang::C, feature, |f| {
            assert!(f.has_posix_side());
            assert!(!f.windows_only(feature.find("d()").unwrap()));
        });
        let linux_only =
            "#include <winsock2.h>\n#ifdef __linux__\nint x;\n#endif\nvoid f(void) { e(); }\n";
        facts_of(Lang::C, linux_only, |f| {
            assert!(!f.windows_only(linux_only.find("e()").unwrap()));
        });
        let dead = "#include <winsock2.h>\n#if 0\nint x;\n#endif\nvoid f(void) { h(); }\n";
        facts_of(Lang::C, dead, |f| {
            assert!(!f.has_posix_side());
            assert!(f.windows_only(dead.find("h()").unwrap()));
        });
    }

    /// For each call of a one-letter marker function (`a()`, `b()`...) in the first function of
    /// `code`: the Winsock call whose failure branch it is on.
    fn tested_calls(code: &str) -> Vec<(String, Option<String>)> {
        facts_of(Lang::C, code, |f| {
            let mut out = Vec::new();
            walk(f.functions[0].body, |n| {
                if n.kind_name() == "call_expression" && n.named_child_count() > 0 {
                    let name = f.text_of(n.field("function").unwrap());
                    if matches!(name, "a" | "b" | "c" | "d" | "e" | "g" | "h" | "k" | "m") {
                        let tested = f.failure_branch_of(n).map(|(_, c)| c.name.clone());
                        out.push((name.to_string(), tested));
                    }
                }
            });
            out
        })
    }

    #[test]
    fn code_after_a_success_guard_is_on_the_failure_path() {
        let code = "void f(SOCKET s) {\n\
              for (;;) { if (connect(s, 0, 0) == 0) return; a(); closesocket(s); b(); }\n\
              if (!bind(s, 0, 0)) { log(); return; } c();\n\
              int n = recv(s, 0, 0, 0); if (n == 0) return; d();\n\
              if (listen(s, 1) != 0) return; e();\n\
              if (send(s, 0, 0, 0) != SOCKET_ERROR) return; int rc = shutdown(s, 1); g();\n\
            }";
        let got = tested_calls(code);
        assert_eq!(
            got,
            vec![
                ("a".into(), Some("connect".into())),
                ("b".into(), Some("connect".into())),
                ("c".into(), Some("bind".into())),
                ("d".into(), None),
                ("e".into(), None),
                ("g".into(), None),
            ]
        );
    }

    #[test]
    fn failure_branches_find_the_tested_call() {
        let code = "void f(SOCKET s) {\n\
              if (connect(s, 0, 0) == SOCKET_ERROR) { a(); if (!fopen(0, 0)) { e(); } FILE *f = fopen(0, 0); if (!f) { e(); } if (v) { g(); } }\n\
              int rc = send(s, 0, 0, 0);\n\
              if (rc < 0) { b(); } else { c(); }\n\
              rc = compute();\n\
              if (rc < 0) { d(); }\n\
              if (WSAStartup(0x202, &wsa) != 0) { h(); }\n\
              if (recv(s, 0, 0, 0) < 0) { if (WSAGetLastError() != WSAEWOULDBLOCK) { k(); } else { m(); } }\n\
            }";
        let got = tested_calls(code);
        assert_eq!(
            got,
            vec![
                ("a".into(), Some("connect".into())),
                ("e".into(), None),
                ("e".into(), None),
                ("g".into(), Some("connect".into())),
                ("b".into(), Some("send".into())),
                ("c".into(), None),
                ("d".into(), None),
                ("h".into(), Some("WSAStartup".into())),
                ("k".into(), Some("recv".into())),
                ("m".into(), Some("recv".into())),
            ]
        );
    }
}
