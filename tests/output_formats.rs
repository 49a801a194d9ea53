//! The machine-readable formats: SARIF structure, fingerprints that survive edits above a
//! finding, GitHub annotations that no file name or message can break out of, and JSON fields.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assert_cmd::Command;
use serde_json::Value;

use wsalint::diagnostic::{Diagnostic, Edit, Finding, Fix, Severity};
use wsalint::output::{self, Format, OutputOptions};
use wsalint::registry;
use wsalint::source::Source;
use wsalint::Report;

fn wsalint() -> Command {
    Command::cargo_bin("wsalint").unwrap()
}

const LEAK: &str = "#include <windows.h>\nvoid f(void)\n{\n    HMODULE h = LoadLibraryA(\"iphlpapi.dll\");\n    FreeLibrary(h);\n}\n";

/// Runs wsalint in `dir` with `args` and returns standard output.
fn stdout(dir: &Path, args: &[&str]) -> String {
    let out = wsalint().current_dir(dir).args(args).output().unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "exit {:?}: {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn sarif(dir: &Path, paths: &[&str]) -> Value {
    let mut args = vec!["--format", "sarif"];
    args.extend_from_slice(paths);
    serde_json::from_str(&stdout(dir, &args)).unwrap()
}

fn results(log: &Value) -> &Vec<Value> {
    log["runs"][0]["results"].as_array().unwrap()
}

fn region(loc: &Value) -> [i64; 4] {
    let r = &loc["physicalLocation"]["region"];
    ["startLine", "startColumn", "endLine", "endColumn"].map(|k| r[k].as_i64().unwrap())
}

#[test]
fn sarif_of_the_fixtures_has_rules_indices_relative_uris_and_regions() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let log = sarif(root, &["fixtures"]);
    assert_eq!(log["version"], "2.1.0");
    let run = &log["runs"][0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "wsalint");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert!(driver["informationUri"]
        .as_str()
        .unwrap()
        .starts_with("https://"));
    let rules = driver["rules"].as_array().unwrap();
    // The built-in rules, then the custom rules of the fixtures' own configs (each directory's
    // `wsalint.toml` applies to its files).
    let custom: Vec<&str> = rules[registry::RULES.len()..]
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert_eq!(custom, ["ACME001", "ACME003"]);

    // Every rule carries the docs `wsalint explain` prints, and its SARIF properties.
    for (rule, reg) in rules.iter().zip(registry::RULES) {
        let meta = reg.meta();
        assert_eq!(rule["id"], meta.code);
        assert_eq!(rule["name"], meta.name);
        assert_eq!(rule["shortDescription"]["text"], meta.summary);
        assert!(!rule["fullDescription"]["text"].as_str().unwrap().is_empty());
        let explain = stdout(root, &["explain", meta.code]);
        assert_eq!(rule["help"]["text"].as_str().unwrap(), explain.trim_end());
        assert_eq!(rule["help"]["markdown"], rule["help"]["text"]);
        assert_eq!(rule["helpUri"], meta.help_uri().as_str());
        assert_eq!(
            rule["defaultConfiguration"]["level"],
            meta.severity.as_str()
        );
        assert_eq!(rule["properties"]["precision"], meta.precision);
        assert!(rule["properties"]["problem.severity"].is_string());
        for tag in meta.tags {
            assert!(rule["properties"]["tags"]
                .as_array()
                .unwrap()
                .contains(&Value::from(*tag)));
        }
        assert_eq!(
            rule["properties"]["security-severity"].as_str(),
            meta.security_severity
        );
    }

    let base = run["originalUriBaseIds"]["%SRCROOT%"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        base.starts_with("file:///") && base.ends_with('/'),
        "{base}"
    );
    assert_eq!(run["invocations"][0]["executionSuccessful"], true);

    // The same findings, in the same order, as the JSON format's positions. SARIF also keeps
    // the suppressed ones, which JSON leaves out and counts.
    let json: Value =
        serde_json::from_str(&stdout(root, &["--format", "json", "fixtures"])).unwrap();
    let diags = json["diagnostics"].as_array().unwrap();
    let (suppressed, res): (Vec<&Value>, Vec<&Value>) = results(&log)
        .iter()
        .partition(|r| r["suppressions"].is_array());
    assert_eq!(json["summary"]["suppressed"], suppressed.len());
    assert!(!res.is_empty());
    assert_eq!(res.len(), diags.len());
    for (r, d) in res.iter().zip(diags) {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert_eq!(r["ruleId"], d["code"]);
        assert_eq!(r["level"], d["severity"]);
        assert_eq!(r["message"]["text"], d["message"]);
        let loc = &r["locations"][0];
        let art = &loc["physicalLocation"]["artifactLocation"];
        assert_eq!(art["uriBaseId"], "%SRCROOT%");
        let uri = art["uri"].as_str().unwrap();
        assert!(uri.starts_with("fixtures/") && !uri.contains(':'), "{uri}");
        assert_eq!(uri, d["path"].as_str().unwrap().replace(' ', "%20"));
        let expect = ["line", "column", "end_line", "end_column"].map(|k| d[k].as_i64().unwrap());
        assert_eq!(region(loc), expect);
        assert_eq!(
            r["partialFingerprints"]["wsalint/v1"], d["fingerprint"],
            "{uri}"
        );
        let related = r["relatedLocations"].as_array().map_or(&[][..], |v| v);
        let d_related = d["related"].as_array().unwrap();
        assert_eq!(related.len(), d_related.len());
        for (i, (rl, dl)) in related.iter().zip(d_related).enumerate() {
            assert_eq!(rl["id"], i as u64 + 1);
            assert_eq!(rl["message"]["text"], dl["message"]);
            let expect =
                ["line", "column", "end_line", "end_column"].map(|k| dl[k].as_i64().unwrap());
            assert_eq!(region(rl), expect);
        }
    }
    // Fixture findings with related locations exist, so the loop above checked some.
    assert!(res.iter().any(|r| r["relatedLocations"].is_array()));
}

#[test]
fn sarif_of_an_empty_run_has_every_rule_and_no_result() {
    let dir = tempfile::tempdir().unwrap();
    let log = sarif(dir.path(), &["."]);
    assert_eq!(results(&log).len(), 0);
    assert_eq!(
        log["runs"][0]["tool"]["driver"]["rules"]
            .as_array()
            .unwrap()
            .len(),
        registry::RULES.len()
    );
}

#[test]
fn sarif_keeps_suppressed_findings_and_names_skipped_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("net io")).unwrap();
    std::fs::write(
        dir.path().join("net io/sup.c"),
        LEAK.replace(
            "\"iphlpapi.dll\");",
            "\"iphlpapi.dll\"); // wsalint-ignore WSA001 -- loaded once per process here",
        ),
    )
    .unwrap();
    std::fs::write(dir.path().join("plain.c"), LEAK).unwrap();
    std::fs::write(dir.path().join("blob.c"), b"int x;\0\0\x01\x02").unwrap();
    let log = sarif(dir.path(), &["."]);
    let res = results(&log);
    assert_eq!(res.len(), 2);
    let sup: Vec<&Value> = res
        .iter()
        .filter(|r| r["suppressions"].is_array())
        .collect();
    assert_eq!(sup.len(), 1);
    assert_eq!(
        sup[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "net%20io/sup.c"
    );
    assert_eq!(sup[0]["suppressions"][0]["kind"], "inSource");
    assert_eq!(
        sup[0]["suppressions"][0]["justification"],
        "loaded once per process here"
    );
    let inv = &log["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], true);
    let notes = inv["toolExecutionNotifications"].as_array().unwrap();
    assert_eq!(notes.len(), 1);
    assert_eq!(notes[0]["level"], "warning");
    assert_eq!(
        notes[0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "blob.c"
    );
    assert!(notes[0]["message"]["text"]
        .as_str()
        .unwrap()
        .starts_with("blob.c: "));
}

#[test]
fn sarif_marks_baselined_findings_external_and_describes_lint_rules() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("old.c"),
        LEAK.replace(
            "FreeLibrary(h);",
            "FreeLibrary(h); // wsalint-ignore WSA005",
        ),
    )
    .unwrap();
    wsalint()
        .current_dir(dir.path())
        .args(["--quiet", "--write-baseline", "base.json", "old.c"])
        .output()
        .unwrap();
    let log = sarif(
        dir.path(),
        &[
            "--baseline",
            "base.json",
            "--report-unused-suppressions",
            ".",
        ],
    );
    let res = results(&log);
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let wsa = res.iter().find(|r| r["ruleId"] == "WSA001").unwrap();
    assert_eq!(wsa["suppressions"][0]["kind"], "external");
    let lint = res.iter().find(|r| r["ruleId"] == "LINT001").unwrap();
    let rule = &rules[lint["ruleIndex"].as_u64().unwrap() as usize];
    assert_eq!(rule["id"], "LINT001");
    assert_eq!(rule["name"], "unused-suppression");
    assert!(rule["help"]["text"]
        .as_str()
        .unwrap()
        .contains("## What it does"));
    // The registry's rules come first, in order; the rest follow.
    assert_eq!(rules.len(), registry::RULES.len() + 1);
}

#[test]
fn sarif_marks_a_run_with_a_missing_path_unsuccessful() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("plain.c"), LEAK).unwrap();
    let out = wsalint()
        .current_dir(dir.path())
        .args(["--format", "sarif", "plain.c", "gone.c"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let inv = &log["runs"][0]["invocations"][0];
    assert_eq!(inv["executionSuccessful"], false);
    assert_eq!(
        inv["toolExecutionNotifications"][0]["locations"][0]["physicalLocation"]
            ["artifactLocation"]["uri"],
        "gone.c"
    );
    assert_eq!(results(&log).len(), 1);
}

/// A report built in process, for what no built-in rule produces yet (edits, hostile messages).
fn report_with(path: &str, text: &str, diags: Vec<Diagnostic>) -> Report {
    let source = Arc::new(Source::decode(text.as_bytes()).unwrap());
    Report {
        findings: diags
            .into_iter()
            .map(|d| Finding::new(d, PathBuf::from(path), source.clone()))
            .collect(),
        files_checked: 1,
        files_parsed: 1,
        ..Report::default()
    }
}

fn print(format: Format, report: &Report) -> String {
    let mut buf = Vec::new();
    output::print(format, report, &OutputOptions::default(), &mut buf).unwrap();
    String::from_utf8(buf).unwrap()
}

fn diag(range: std::ops::Range<usize>, message: &str) -> Diagnostic {
    let meta = registry::RULES[0].meta();
    Diagnostic {
        code: meta.code.to_string(),
        name: meta.name.to_string(),
        severity: Severity::Warning,
        range,
        message: message.to_string(),
        related: Vec::new(),
        fix: None,
    }
}

#[test]
fn sarif_fixes_carry_replacements_with_deleted_regions() {
    let text = "int main(void)\n{\n    if (s < 0) return 1;\n}\n";
    let start = text.find("s < 0").unwrap();
    let end = start + "s < 0".len();
    let d = diag(start..end, "`s` is a SOCKET").with_fix(Fix::safe(
        "compare with `INVALID_SOCKET`",
        vec![Edit::replace(start..end, "s == INVALID_SOCKET")],
    ));
    let deletion = text.find(" return 1").unwrap();
    let d2 = diag(deletion..deletion + 9, "drop it").with_fix(Fix::unsafe_(
        "remove the return",
        vec![Edit::replace(deletion..deletion + 9, "")],
    ));
    let report = report_with("src/a.c", text, vec![d, d2]);
    let out = print(Format::Sarif, &report);
    // CI validates this log with check-sarif.
    std::fs::write(
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("with-fixes.sarif"),
        &out,
    )
    .unwrap();
    let log: Value = serde_json::from_str(&out).unwrap();
    let res = results(&log);
    let fix = &res[0]["fixes"][0];
    assert_eq!(fix["description"]["text"], "compare with `INVALID_SOCKET`");
    assert_eq!(fix["properties"]["applicability"], "safe");
    let change = &fix["artifactChanges"][0];
    assert_eq!(change["artifactLocation"]["uri"], "src/a.c");
    assert_eq!(change["artifactLocation"]["uriBaseId"], "%SRCROOT%");
    let rep = &change["replacements"][0];
    assert_eq!(
        rep["deletedRegion"],
        serde_json::json!({"startLine": 3, "startColumn": 9, "endLine": 3, "endColumn": 14})
    );
    assert_eq!(rep["insertedContent"]["text"], "s == INVALID_SOCKET");
    // A pure deletion has no inserted content.
    let rep2 = &res[1]["fixes"][0]["artifactChanges"][0]["replacements"][0];
    assert!(rep2.get("insertedContent").is_none());
    assert_eq!(res[1]["fixes"][0]["properties"]["applicability"], "unsafe");
}

fn fingerprints(dir: &Path) -> Vec<(i64, String)> {
    results(&sarif(dir, &["."]))
        .iter()
        .map(|r| {
            (
                r["locations"][0]["physicalLocation"]["region"]["startLine"]
                    .as_i64()
                    .unwrap(),
                r["partialFingerprints"]["wsalint/v1"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            )
        })
        .collect()
}

#[test]
fn fingerprints_survive_lines_inserted_above() {
    let dir = tempfile::tempdir().unwrap();
    let two = format!("{LEAK}{}", LEAK.replace("void f(", "void g("));
    std::fs::write(dir.path().join("a.c"), &two).unwrap();
    let before = fingerprints(dir.path());
    assert_eq!(before.len(), 2);
    // Two findings on identical lines still get distinct fingerprints.
    assert_ne!(before[0].1, before[1].1);

    let edited = format!(
        "/* net.c - adapters */\n#include <stdio.h>\n\nstatic int count;\n\n{}",
        two.replacen(
            "    FreeLibrary(h);\n}\n",
            "    FreeLibrary(h);\n    count++;\n}\n",
            1
        )
    );
    std::fs::write(dir.path().join("a.c"), &edited).unwrap();
    let after = fingerprints(dir.path());
    assert_eq!(after.len(), 2);
    assert_eq!(after[0].0, before[0].0 + 5);
    assert_eq!(after[1].0, before[1].0 + 6);
    assert_eq!(after[0].1, before[0].1);
    assert_eq!(after[1].1, before[1].1);

    // Line endings are not part of the code: CRLF keeps the fingerprints.
    std::fs::write(dir.path().join("a.c"), edited.replace('\n', "\r\n")).unwrap();
    assert_eq!(fingerprints(dir.path()), after);

    // Changing the finding's own line changes its fingerprint, and only its.
    let at = edited.rfind("HMODULE h =").unwrap();
    let mut renamed = edited.clone();
    renamed.replace_range(at..at + "HMODULE h =".len(), "HMODULE h  =");
    std::fs::write(dir.path().join("a.c"), renamed).unwrap();
    let changed = fingerprints(dir.path());
    assert_eq!(changed[0].1, before[0].1);
    assert_ne!(changed[1].1, before[1].1);
}

/// Reads one workflow command back as the Actions runner does: the command name, its
/// properties (unescaped) and its message (unescaped).
fn parse_command(line: &str) -> (String, Vec<(String, String)>, String) {
    let unescape_data = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%")
    };
    let unescape_prop = |s: &str| {
        s.replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%3A", ":")
            .replace("%2C", ",")
            .replace("%25", "%")
    };
    let rest = line.strip_prefix("::").expect("a command starts with ::");
    let end = rest.find("::").expect("a command has a message part");
    let (head, message) = (&rest[..end], &rest[end + 2..]);
    let (name, props) = head.split_once(' ').unwrap_or((head, ""));
    let props = props
        .split(',')
        .filter(|p| !p.is_empty())
        .map(|p| {
            let (k, v) = p.split_once('=').expect("key=value");
            (k.to_string(), unescape_prop(v))
        })
        .collect();
    (name.to_string(), props, unescape_data(message))
}

#[test]
fn github_annotations_survive_hostile_file_names() {
    let dir = tempfile::tempdir().unwrap();
    let names = [
        "evil\n::error file=x.c,line=1::owned.c",
        "50%0A,line=9:col=1.c",
        "a,b:c::d.c",
        "cr\rlf.c",
        "plain.c",
    ];
    for name in names {
        std::fs::write(dir.path().join(name), LEAK).unwrap();
    }
    std::fs::write(dir.path().join("bin\n::error::x.c"), b"\0\0\0").unwrap();
    let names: Vec<&str> = names.to_vec();
    let mut args = vec!["--format", "github"];
    args.extend(&names);
    args.push("bin\n::error::x.c");
    let out = stdout(dir.path(), &args);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), names.len() + 1, "{out}");
    let mut seen = Vec::new();
    for line in &lines[..names.len()] {
        let (command, props, message) = parse_command(line);
        assert_eq!(command, "warning");
        let get = |k: &str| {
            props
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        seen.push(get("file").unwrap());
        assert_eq!(get("line").as_deref(), Some("4"));
        assert_eq!(get("col").as_deref(), Some("17"));
        assert_eq!(get("endLine").as_deref(), Some("4"));
        assert_eq!(get("endColumn").as_deref(), Some("45"));
        assert_eq!(get("title").as_deref(), Some("WSA001 iphlpapi-load-cycle"));
        assert_eq!(props.len(), 6, "{line}");
        assert!(message.starts_with("`iphlpapi.dll` is loaded into `h`"));
        assert!(message.contains("\nhelp: "));
    }
    seen.sort();
    let mut expected: Vec<String> = names.iter().map(|n| n.to_string()).collect();
    expected.sort();
    assert_eq!(seen, expected);
    let (command, props, message) = parse_command(lines[names.len()]);
    assert_eq!(command, "warning");
    assert_eq!(
        props[0],
        ("file".to_string(), "bin\n::error::x.c".to_string())
    );
    assert!(message.starts_with("bin\n::error::x.c: "), "{message}");
}

#[test]
fn github_messages_cannot_start_another_command() {
    let text = "int s;\n";
    let report = report_with(
        "dir,x:y/%z.c",
        text,
        vec![diag(0..3, "50% of `s`\r\n::error file=a.c::injected")],
    );
    let out = print(Format::Github, &report);
    assert_eq!(
        out,
        "::warning file=dir%2Cx%3Ay/%25z.c,line=1,col=1,endLine=1,endColumn=4,\
         title=WSA001 iphlpapi-load-cycle::50%25 of `s`%0D%0A::error file=a.c::injected\n"
    );
}

#[test]
fn json_has_the_documented_fields() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("bad.c"), LEAK).unwrap();
    std::fs::write(dir.path().join("blob.c"), b"\0\0").unwrap();
    let json: Value =
        serde_json::from_str(&stdout(dir.path(), &["--format", "json", "."])).unwrap();
    let keys = |v: &Value| {
        let mut k: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        k.sort();
        k
    };
    assert_eq!(
        keys(&json),
        ["diagnostics", "skipped", "summary", "version"]
    );
    assert_eq!(json["version"], env!("CARGO_PKG_VERSION"));
    let d = &json["diagnostics"][0];
    assert_eq!(
        keys(d),
        [
            "code",
            "column",
            "end_column",
            "end_line",
            "fingerprint",
            "fix",
            "line",
            "message",
            "name",
            "path",
            "related",
            "severity"
        ]
    );
    assert_eq!(d["code"], "WSA001");
    assert_eq!(d["name"], "iphlpapi-load-cycle");
    assert_eq!(d["severity"], "warning");
    assert_eq!(d["path"], "bad.c");
    assert_eq!(
        [&d["line"], &d["column"], &d["end_line"], &d["end_column"]],
        [4, 17, 4, 45]
    );
    assert_eq!(
        keys(&d["related"][0]),
        [
            "column",
            "end_column",
            "end_line",
            "line",
            "message",
            "path"
        ]
    );
    assert_eq!(d["related"][0]["line"], 5);
    assert_eq!(keys(&d["fix"]), ["applicability", "edits", "message"]);
    assert_eq!(d["fix"]["applicability"], "suggestion");
    assert_eq!(json["skipped"][0]["path"], "blob.c");
    assert!(json["skipped"][0]["message"]
        .as_str()
        .unwrap()
        .contains("binary"));
    let s = &json["summary"];
    assert_eq!(s["files_checked"], 2);
    assert_eq!(s["findings"], 1);
    assert_eq!(s["warnings"], 1);
    assert_eq!(s["skipped_files"], 1);
    assert_eq!(s["suppressed"], 0);
}

#[test]
fn json_edits_have_byte_offsets_and_positions() {
    let text = "int x;\nint s = 0;\n";
    let start = text.find("s = 0").unwrap();
    let d = diag(start..start + 1, "`s`").with_fix(Fix::safe(
        "rename `s`",
        vec![Edit::replace(start..start + 1, "sock")],
    ));
    let json: Value =
        serde_json::from_str(&print(Format::Json, &report_with("a.c", text, vec![d]))).unwrap();
    let e = &json["diagnostics"][0]["fix"]["edits"][0];
    assert_eq!(e["start_byte"], start);
    assert_eq!(e["end_byte"], start + 1);
    assert_eq!(
        [&e["line"], &e["column"], &e["end_line"], &e["end_column"]],
        [2, 5, 2, 6]
    );
    assert_eq!(e["content"], "sock");
    assert_eq!(json["skipped"], Value::Array(Vec::new()));
}
