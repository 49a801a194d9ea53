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
