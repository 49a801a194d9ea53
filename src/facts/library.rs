//! Calls of the C runtime, Winsock and the Windows API whose effects are known: they write
//! only through the arguments they are given and never assign a variable of the program. A
//! call to anything else (a function of the project, defined in this file or another) may
//! assign any global, static or field it can reach.

use crate::facts::loops::BACKOFF_CALLS;
use crate::facts::winsock::is_winsock_call;

/// C runtime and Windows calls that touch no variable of the program behind its back.
const LIBRARY_CALLS: &[&str] = &[
    // Memory and strings.
    "memset",
    "memcpy",
    "memmove",
    "memcmp",
    "memchr",
    "memcpy_s",
    "memmove_s",
    "ZeroMemory",
    "SecureZeroMemory",
    "CopyMemory",
    "MoveMemory",
    "FillMemory",
    "bzero",
    "malloc",
    "calloc",
    "realloc",
    "free",
    "strlen",
    "wcslen",
    "strnlen",
    "strcmp",
    "strncmp",
    "stricmp",
    "_stricmp",
    "strnicmp",
    "_strnicmp",
    "strcasecmp",
    "strncasecmp",
    "wcscmp",
    "_wcsicmp",
    "strcpy",
    "strncpy",
    "strcpy_s",
    "strncpy_s",
    "wcscpy",
    "wcsncpy",
    "wcscpy_s",
    "strcat",
    "strncat",
    "strcat_s",
    "wcscat",
    "wcscat_s",
    "strchr",
    "strrchr",
    "strstr",
    "strtok",
    "strtok_s",
    "strdup",
    "_strdup",
    "lstrlen",
    "lstrlenA",
    "lstrlenW",
    "lstrcpy",
    "lstrcpyA",
    "lstrcpyW",
    "lstrcmp",
    "lstrcmpA",
    "lstrcmpW",
    "lstrcmpi",
    "lstrcmpiA",
    "lstrcmpiW",
    "atoi",
    "atol",
    "strtol",
    "strtoul",
    "_tcslen",
    "_tcscpy",
    "_tcscmp",
    "_T",
    "TEXT",
    "_TEXT",
    // Output.
    "puts",
    "fputs",
    "putchar",
    "fwrite",
    "fflush",
    "perror",
    "MessageBox",
    "MessageBoxA",
    "MessageBoxW",
    "OutputDebugString",
    "OutputDebugStringA",
    "OutputDebugStringW",
    "assert",
    "_ASSERT",
    "_ASSERTE",
    // Errors, byte order, addresses, time.
    "GetLastError",
    "SetLastError",
    "WSAGetLastError",
    "WSASetLastError",
    "WSAStartup",
    "htons",
    "htonl",
    "ntohs",
    "ntohl",
    "inet_addr",
    "inet_ntoa",
    "inet_pton",
    "inet_ntop",
    "InetPtonA",
    "InetPtonW",
    "InetNtopA",
    "InetNtopW",
    "gethostname",
    "FD_ZERO",
    "FD_SET",
    "FD_CLR",
    "FD_ISSET",
    "MAKEWORD",
    "LOBYTE",
    "HIBYTE",
    "time",
    "GetTickCount",
    "GetTickCount64",
    // Synchronization.
    "EnterCriticalSection",
    "LeaveCriticalSection",
    "SetEvent",
    "ResetEvent",
    // C++ casts, parsed as calls.
    "static_cast",
    "reinterpret_cast",
    "const_cast",
    "dynamic_cast",
];

/// Whether a call to `name` (a plain function, not a member) is a known call of the C runtime,
/// Winsock or Windows: it cannot assign a variable of the program.
pub fn is_library_call(name: &str) -> bool {
    LIBRARY_CALLS.contains(&name)
        || is_winsock_call(name)
        || BACKOFF_CALLS.contains(&name)
        || is_output_call(name)
}

/// Whether `name` prints or logs: `printf`, `fprintf`, `sprintf_s`, `dprintf`, `log_error`,
/// `LogMessage`, `TRACE`, `vnclog.Print`. Judged by the words of the name (split at `_` and
/// at case changes), so that `Login` or `dialog` are not taken for logging.
pub fn is_output_call(name: &str) -> bool {
    const WORDS: &[&str] = &[
        "log", "logf", "logger", "logmsg", "syslog", "trace", "tracef", "debug", "dbg", "print",
        "println", "warn", "warning",
    ];
    words(name).iter().any(|w| {
        let w = w.to_ascii_lowercase();
        WORDS.contains(&w.as_str()) || w.ends_with("printf") || w.ends_with("trace")
    })
}

/// The words of an identifier: `LogError` -> `Log`, `Error`; `log_msg` -> `log`, `msg`;
/// `LOG_ERROR` -> `LOG`, `ERROR`.
fn words(name: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in name.split('_').filter(|p| !p.is_empty()) {
        let bytes = part.as_bytes();
        let mut start = 0;
        for i in 1..bytes.len() {
            // A capital after a lowercase letter or a digit starts a word (`logError`).
            if bytes[i].is_ascii_uppercase() && !bytes[i - 1].is_ascii_uppercase() {
                out.push(&part[start..i]);
                start = i;
            }
        }
        out.push(&part[start..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn output_calls_by_their_words() {
        for name in [
            "printf",
            "fprintf",
            "sprintf_s",
            "dprintf",
            "_snprintf",
            "log_error",
            "LogMessage",
            "TRACE",
            "ATLTRACE",
            "Print",
            "DEBUG_PRINT",
            "syslog",
        ] {
            assert!(is_output_call(name), "{name}");
        }
        for name in [
            "Login",
            "Logon",
            "dialog",
            "Reconnect",
            "wi_init",
            "backlog",
        ] {
            assert!(!is_output_call(name), "{name}");
        }
    }

    #[test]
    fn library_calls() {
        for name in [
            "send",
            "closesocket",
            "Sleep",
            "memset",
            "strcpy",
            "WSAGetLastError",
        ] {
            assert!(is_library_call(name), "{name}");
        }
        for name in ["wi_init", "Reconnect", "OpenListener"] {
            assert!(!is_library_call(name), "{name}");
        }
    }
}
