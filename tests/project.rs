//! Project roots through the binary: a run that names some files of a project gives the
//! project-wide answers of a run over the whole project, and two projects in one run never
//! share facts.

use std::path::Path;

use assert_cmd::Command;

const STARTUP: &str = "#include <winsock2.h>\nint net_init(void)\n{\n    WSADATA d;\n    return WSAStartup(MAKEWORD(2, 2), &d);\n}\n";
const CLEANUP: &str = "#include <winsock2.h>\nvoid net_fini(void)\n{\n    WSACleanup();\n}\n";

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// The gcc-format lines of a run in `dir` over `args`.
fn lines(dir: &Path, args: &[&str]) -> Vec<String> {
    let out = Command::cargo_bin("wsalint")
        .unwrap()
        .current_dir(dir)
        .args(["--format", "gcc", "--exit-zero"])
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

/// A checkout whose `WSAStartup` is in `src/` and whose `WSACleanup` is in `lib/`.
fn project(top: &Path) {
    std::fs::create_dir_all(top.join("app/.git")).unwrap();
    write(&top.join("app/src/init.c"), STARTUP);
    write(&top.join("app/lib/fini.c"), CLEANUP);
}

#[test]
fn naming_one_file_reads_the_rest_of_its_project() {
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path();
    project(top);
    // The whole project, the staged file alone, and the same file named from elsewhere.
    assert_eq!(lines(&top.join("app"), &["."]), Vec::<String>::new());
    assert_eq!(
        lines(&top.join("app"), &["src/init.c"]),
        Vec::<String>::new()
    );
    let absolute = top.join("app/src/init.c");
    assert_eq!(
        lines(top, &[absolute.to_str().unwrap()]),
        Vec::<String>::new()
    );
    // Without the cleanup, the staged file still gets its finding.
    std::fs::remove_file(top.join("app/lib/fini.c")).unwrap();
    assert_eq!(
        lines(&top.join("app"), &["src/init.c"]),
        ["src/init.c:5:12: warning: `WSAStartup` is called, but nothing in the project calls `WSACleanup` [WSA105]"]
    );
}

#[test]
fn two_projects_in_one_run_keep_their_facts_apart() {
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path();
    project(top);
    // A second project (its own config file) that starts Winsock and never cleans up.
    write(&top.join("tool/wsalint.toml"), "");
    write(&top.join("tool/main.c"), STARTUP);
    assert_eq!(
        lines(top, &["app", "tool"]),
        ["tool/main.c:5:12: warning: `WSAStartup` is called, but nothing in the project calls `WSACleanup` [WSA105]"]
    );
}

#[test]
fn a_file_outside_the_named_paths_is_not_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path();
    project(top);
    // Another file of the project holds a finding; the run names only `src/init.c`, so it
    // reads `bad.c` for its facts and reports nothing of it.
    write(
        &top.join("app/src/bad.c"),
        "#include <winsock2.h>\nint f(SOCKET s)\n{\n    return s < 0;\n}\n",
    );
    assert_eq!(
        lines(&top.join("app"), &["src/init.c"]),
        Vec::<String>::new()
    );
    assert_eq!(lines(&top.join("app"), &["src"]).len(), 1);
}

#[test]
fn a_staged_file_sees_facts_of_the_three_project_wide_rules_in_other_files() {
    let tmp = tempfile::tempdir().unwrap();
    let app = tmp.path().join("app");
    std::fs::create_dir_all(app.join(".git")).unwrap();
    // WSA211: the receive loop ends on any error; another file turns the reset off.
    let receiver = "#include <winsock2.h>\nvoid serve(SOCKET s)\n{\n    char b[512];\n    struct sockaddr_in from;\n    int len = sizeof from;\n    for (;;) {\n        if (recvfrom(s, b, sizeof b, 0, (struct sockaddr *)&from, &len) == SOCKET_ERROR)\n            break;\n    }\n}\n";
    let off = "#include <winsock2.h>\nvoid quiet(SOCKET s)\n{\n    BOOL off = FALSE;\n    DWORD n;\n    WSAIoctl(s, SIO_UDP_CONNRESET, &off, sizeof off, NULL, 0, &n, NULL, NULL);\n}\n";
    // WSA214: the accepted socket is shut down; another file sets its context.
    let server = "#include <winsock2.h>\n#include <mswsock.h>\nint serve_one(SOCKET l, SOCKET a, char *buf, OVERLAPPED *ov)\n{\n    DWORD got;\n    AcceptEx(l, a, buf, 0, 32, 32, &got, ov);\n    return shutdown(a, SD_SEND);\n}\n";
    let context = "#include <winsock2.h>\n#include <mswsock.h>\nvoid done(SOCKET l, SOCKET a)\n{\n    setsockopt(a, SOL_SOCKET, SO_UPDATE_ACCEPT_CONTEXT, (char *)&l, sizeof l);\n}\n";
    // WSA107: the socket is created here; another file starts children inheriting handles.
    let net = "#include <winsock2.h>\nvoid handle(SOCKET c);\nvoid serve_conn(SOCKET l)\n{\n    SOCKET c = accept(l, NULL, NULL);\n    handle(c);\n}\n";
    let spawn = "#include <windows.h>\nBOOL run(char *cmd, STARTUPINFOA *si, PROCESS_INFORMATION *pi)\n{\n    return CreateProcessA(NULL, cmd, NULL, NULL, TRUE, 0, NULL, NULL, si, pi);\n}\n";
    for (name, text) in [
        ("receiver.c", receiver),
        ("server.c", server),
        ("net.c", net),
        ("lib/spawn.c", spawn),
    ] {
        write(&app.join(name), text);
    }
    let staged = ["receiver.c", "server.c", "net.c"];
    assert_eq!(
        lines(&app, &staged),
        [
            "net.c:5:16: warning: `c` from `accept` is inheritable, and `CreateProcessA` starts children that inherit handles (lib/spawn.c:4): a child keeps it open after this process closes it [WSA107]",
            "receiver.c:8:13: warning: `recvfrom` on the UDP socket `s` fails with `WSAECONNRESET` when an earlier datagram met a closed port, and that failure ends receiving: one vanished peer stops the receiver [WSA211]",
            "server.c:7:12: warning: `shutdown` on `a` fails: `AcceptEx` gave it no connected state, and nothing in the project sets `SO_UPDATE_ACCEPT_CONTEXT` on it [WSA214]",
        ]
    );
    write(&app.join("lib/quiet.c"), off);
    write(&app.join("lib/done.c"), context);
    assert_eq!(
        lines(&app, &staged),
        ["net.c:5:16: warning: `c` from `accept` is inheritable, and `CreateProcessA` starts children that inherit handles (lib/spawn.c:4): a child keeps it open after this process closes it [WSA107]"]
    );
    std::fs::remove_file(app.join("lib/spawn.c")).unwrap();
    assert_eq!(lines(&app, &staged), Vec::<String>::new());
}

/// A project whose header renames `send`, typedefs its `SOCKET` and declares wrappers that
/// another file defines.
fn wrapped_project(top: &Path) {
    std::fs::create_dir_all(top.join("app/.git")).unwrap();
    write(
        &top.join("app/include/net.h"),
        "#ifdef _WIN32\n#include <winsock2.h>\ntypedef SOCKET sock_t;\n#define swrite(s, b, n) send(s, b, n, 0)\n#endif\n\
         sock_t net_open(void);\nvoid net_close(sock_t s);\n",
    );
    write(
        &top.join("app/lib/net.c"),
        "#include <net.h>\nsock_t net_open(void) { return socket(AF_INET, SOCK_STREAM, 0); }\n\
         void net_close(sock_t s) { closesocket(s); }\n",
    );
    write(
        &top.join("app/src/client.c"),
        "#include <net.h>\nint fetch(int fail)\n{\n    sock_t s = net_open();\n    if (fail)\n        return -1;\n    swrite(s, \"x\", 1);\n    net_close(s);\n    return 0;\n}\n\
         int keep(sock_t s)\n{\n    int saved = s;\n    return saved;\n}\n",
    );
}

#[test]
fn headers_and_wrappers_elsewhere_count_in_a_file_named_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path();
    wrapped_project(top);
    let client = lines(&top.join("app"), &["src/client.c"]);
    let codes: Vec<&str> = client.iter().filter_map(|l| l.rsplit('[').next()).collect();
    // The leak of what `net_open` made, the discarded `send` behind `swrite`, the `sock_t`
    // truncated: each needs a fact another file holds.
    assert_eq!(codes, ["WSA101]", "WSA006]", "WSA204]"], "{client:#?}");
    // The run over the whole project says the same of the file.
    let whole: Vec<String> = lines(&top.join("app"), &["."])
        .into_iter()
        .filter(|l| l.starts_with("src/client.c"))
        .map(|l| l.replacen("./", "", 1))
        .collect();
    assert_eq!(whole, client);
    // Without the wrappers' definitions, nothing says `net_open` makes a socket.
    std::fs::remove_file(top.join("app/lib/net.c")).unwrap();
    let alone = lines(&top.join("app"), &["src/client.c"]);
    assert!(alone.iter().all(|l| !l.contains("WSA101")), "{alone:#?}");
}

/// What the config excludes is no part of the project: a run that names one file reads the
/// rest of the project without it, as a run over the whole project walks without it; the
/// exclusion holds from any directory (globs are relative to the config's directory).
#[test]
fn excluded_files_give_no_facts_to_a_file_named_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let top = tmp.path();
    project(top);
    write(&top.join("app/wsalint.toml"), "exclude = [\"lib/**\"]\n");
    let finding = "`WSAStartup` is called, but nothing in the project calls `WSACleanup` [WSA105]";
    assert_eq!(
        lines(&top.join("app"), &["."]),
        [format!("src/init.c:5:12: warning: {finding}")]
    );
    assert_eq!(
        lines(&top.join("app"), &["src/init.c"]),
        [format!("src/init.c:5:12: warning: {finding}")]
    );
    assert_eq!(
        lines(&top.join("app/src"), &["init.c"]),
        [format!("init.c:5:12: warning: {finding}")]
    );
}
