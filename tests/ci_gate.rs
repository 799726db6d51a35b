//! The CI gate: `--fail-on none|info`, accepted findings (`[[ignore]]` entries and
//! `--baseline`), fingerprints that do not depend on how a path was typed, and a summary
//! that agrees across text, JSON and SARIF.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

const IO_FILEIO: &str = "malicious/evasion13_io_fileio.pkl"; // MV102, high
const POSIX_SYSTEM: &str = "malicious/evasion03_posix_system.pkl"; // MV101, critical
const ONNX_FUNCTION: &str = "formats/onnx/local_function.onnx"; // MV806, info only

fn run_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_in(dir: &Path, args: &[&str]) -> (i32, Value) {
    let mut all = vec!["scan", "--format", "json"];
    all.extend_from_slice(args);
    let (code, out, err) = run_in(dir, &all);
    assert_valid_report(&out);
    (
        code,
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}{err}")),
    )
}

fn findings(report: &Value) -> Vec<&Value> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["findings"].as_array().unwrap())
        .collect()
}

fn place(dir: &Path, rel: &str, name: &str) {
    std::fs::create_dir_all(dir.join(name).parent().unwrap()).unwrap();
    std::fs::copy(fixture(rel), dir.join(name)).unwrap();
}

#[test]
fn fail_on_none_reports_only_and_fail_on_info_fails_on_anything() {
    let dir = tempfile::tempdir().unwrap();
    place(dir.path(), POSIX_SYSTEM, "bad.pkl");
    place(dir.path(), ONNX_FUNCTION, "fn.onnx");

    let (code, out, _) = run_in(dir.path(), &["scan", "--fail-on", "none", "bad.pkl"]);
    assert_eq!(code, 0);
    assert!(out.contains("passed: 1 file(s)"), "{out}");
    assert!(out.contains("1 critical"), "{out}");
    assert!(out.contains("(fail-on none)"), "{out}");
    // Errors still fail a report-only run.
    let (code, _, _) = run_in(
        dir.path(),
        &["scan", "--fail-on", "none", "bad.pkl", "missing.pkl"],
    );
    assert_eq!(code, 3);
    let (code, report) = json_in(dir.path(), &["--fail-on", "none", "bad.pkl"]);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["fail_on"], "none");

    // An informational finding passes the default gate and fails `info`.
    let (code, out, _) = run_in(dir.path(), &["scan", "fn.onnx"]);
    assert_eq!(code, 0);
    assert!(out.contains("1 info"), "info findings are counted: {out}");
    assert!(
        !out.contains("clean"),
        "never `clean` next to a finding: {out}"
    );
    let (code, _, _) = run_in(dir.path(), &["scan", "--fail-on", "info", "fn.onnx"]);
    assert_eq!(code, 1);

    // The config can say the same.
    std::fs::write(dir.path().join("modelvet.toml"), "fail_on = \"none\"\n").unwrap();
    let (code, _, _) = run_in(dir.path(), &["scan", "bad.pkl"]);
    assert_eq!(code, 0);
    // A download must name the severity that blocks it.
    let (code, _, err) = run_in(
        dir.path(),
        &["scan", "hf://org/name", "--download", "cache"],
    );
    assert_eq!(code, 3, "{err}");
    assert!(err.contains("--fail-on none"), "{err}");
}

#[test]
fn ignore_entries_accept_findings_visibly_until_they_expire_or_the_file_changes() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    place(root, IO_FILEIO, "models/reader.pkl");
    place(root, POSIX_SYSTEM, "models/cmd.pkl");
    let sha = |name: &str| {
        use sha2::Digest;
        let bytes = std::fs::read(root.join(name)).unwrap();
        hex::encode(sha2::Sha256::digest(bytes))
    };
    let cmd_sha = sha("models/cmd.pkl");
    let reader_sha = sha("models/reader.pkl");
    let config = |expires: &str, sha: &str| {
        format!(
            "[[ignore]]\nrule = \"MV102\"\npath = \"models/reader.pkl\"\nsha256 = \"{reader_sha}\"\nreason = \"reads its own vocabulary file\"\nexpires = \"{expires}\"\n\n\
             [[ignore]]\nrule = \"pickle-exec-global\"\npath = \"models/*.pkl\"\nsha256 = \"{sha}\"\nreason = \"vendored test fixture\"\n"
        )
    };
    std::fs::write(root.join("modelvet.toml"), config("2999-12-31", &cmd_sha)).unwrap();
    let (code, report) = json_in(root, &["models"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["suppressed"], 2);
    assert_eq!(report["summary"]["findings"]["high"], 0);
    let accepted: Vec<&Value> = findings(&report)
        .into_iter()
        .filter(|f| f["suppressed"].is_object())
        .collect();
    assert_eq!(accepted.len(), 2);
    assert!(accepted.iter().any(
        |f| f["suppressed"]["reason"] == "reads its own vocabulary file"
            && f["suppressed"]["kind"] == "config"
    ));
    assert_eq!(report["suppressions"][0]["state"], "active");
    assert_eq!(report["suppressions"][0]["matched"], 1);

    // SARIF keeps them, as suppressions GitHub shows as dismissed.
    let (_, sarif, _) = run_in(root, &["scan", "--format", "sarif", "models"]);
    assert_valid_sarif(&sarif);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    for r in results {
        assert_eq!(r["suppressions"][0]["kind"], "external");
        assert_eq!(r["suppressions"][0]["status"], "accepted");
    }
    // Text hides them unless -v, and counts them.
    let (_, text, _) = run_in(root, &["scan", "models"]);
    assert!(text.contains("2 suppressed"), "{text}");
    assert!(!text.contains("MV102"), "{text}");
    let (_, text, _) = run_in(root, &["scan", "-v", "models"]);
    assert!(
        text.contains("(suppressed by config: reads its own vocabulary file)"),
        "{text}"
    );

    // Expired: the finding fails again, and the text says why.
    std::fs::write(root.join("modelvet.toml"), config("2001-01-01", &cmd_sha)).unwrap();
    let (code, text, _) = run_in(root, &["scan", "models"]);
    assert_eq!(code, 1);
    assert!(text.contains("expired on 2001-01-01"), "{text}");

    // A changed file is flagged again: the pinned hash no longer matches.
    std::fs::write(
        root.join("modelvet.toml"),
        config("2999-12-31", &"0".repeat(64)),
    )
    .unwrap();
    let (code, report) = json_in(root, &["models"]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["findings"]["critical"], 1);

    // Accepting a code-execution rule without pinning the file is refused.
    std::fs::write(
        root.join("modelvet.toml"),
        "[[ignore]]\nrule = \"MV101\"\npath = \"*.pkl\"\nreason = \"x\"\n",
    )
    .unwrap();
    let (code, _, err) = run_in(root, &["scan", "models"]);
    assert_eq!(code, 3);
    assert!(err.contains("sha256"), "{err}");
}

#[test]
fn a_baseline_accepts_known_findings_and_fails_only_new_ones() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    place(root, IO_FILEIO, "models/reader.pkl");
    let (code, out, _) = run_in(root, &["scan", "--format", "json", "models"]);
    assert_eq!(code, 1);
    std::fs::write(root.join("baseline.json"), &out).unwrap();

    // The same finding, reached through another spelling of the path and from another
    // folder of the work tree, is known.
    let abs = root.join("models").display().to_string();
    let (code, report) = json_in(
        &root.join("models"),
        &["--baseline", "../baseline.json", &abs],
    );
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(findings(&report)[0]["suppressed"]["kind"], "baseline");

    // A new finding fails.
    place(root, POSIX_SYSTEM, "models/new.pkl");
    let (code, report) = json_in(root, &["--baseline", "baseline.json", "./models/"]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["suppressed"], 1);
    assert_eq!(report["summary"]["findings"]["critical"], 1);

    // A file that is not a modelvet report is a usage error, before any scan.
    std::fs::write(root.join("other.json"), "{\"a\": 1}").unwrap();
    let (code, _, err) = run_in(root, &["scan", "--baseline", "other.json", "models"]);
    assert_eq!(code, 3);
    assert!(err.contains("not a modelvet JSON report"), "{err}");
}

#[test]
fn fingerprints_do_not_depend_on_how_the_path_was_typed() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    place(root, IO_FILEIO, "m/a.pkl");
    let fp = |cwd: &Path, arg: &str| {
        let (_, report) = json_in(cwd, &[arg]);
        findings(&report)[0]["fingerprint"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let first = fp(root, "m/a.pkl");
    assert_eq!(first.len(), 32);
    assert_eq!(fp(root, "./m/a.pkl"), first);
    assert_eq!(fp(root, "m"), first);
    assert_eq!(fp(&root.join("m"), "a.pkl"), first);
    assert_eq!(
        fp(&root.join("m"), &root.join("m/a.pkl").display().to_string()),
        first
    );
    assert_eq!(fp(&root.join("m"), "../m/./a.pkl"), first);
}

#[test]
fn summaries_agree_across_formats() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    place(root, IO_FILEIO, "a.pkl");
    place(root, ONNX_FUNCTION, "b.onnx");
    place(root, "benign/torch_zip_state_dict.pt", "c.pt");
    let (_, report) = json_in(root, &["."]);
    let s = &report["summary"];
    assert_eq!(s["files"], 3);
    let (_, text, _) = run_in(root, &["scan", "."]);
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with(&format!(
            "FINDINGS: 3 file(s) ({} artifacts with members)",
            s["artifacts"]
        )),
        "{last}"
    );
    assert!(last.contains("1 high, 1 info"), "{last}");
    let (_, sarif, _) = run_in(root, &["scan", "--format", "sarif", "."]);
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"].as_array().unwrap().len() as u64,
        s["findings"]
            .as_object()
            .unwrap()
            .values()
            .map(|v| v.as_u64().unwrap())
            .sum::<u64>()
            + s["suppressed"].as_u64().unwrap()
    );
}

#[test]
fn sarif_locations_are_relative_to_the_source_root_and_carry_what_code_scanning_needs() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join(".git")).unwrap();
    place(&root, IO_FILEIO, "models/a.pkl");
    place(&root, "limits/gzip_bomb_300mb.pkl.gz", "models/bomb.pkl.gz");
    let outside = dir.path().join("elsewhere");
    place(&outside, POSIX_SYSTEM, "b.pkl");
    let abs_a = root.join("models/a.pkl").display().to_string();
    let outside_b = outside.join("b.pkl").display().to_string();

    let sarif_of = |cwd: &Path, args: &[&str]| -> Value {
        let mut all = vec!["scan", "--format", "sarif"];
        all.extend_from_slice(args);
        let (_, out, err) = run_in(cwd, &all);
        assert_valid_sarif(&out);
        serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {err}"))
    };
    let sarif = sarif_of(&root.join("models"), &[&abs_a, &outside_b, "bomb.pkl.gz"]);
    let run = &sarif["runs"][0];
    let root_uri = run["originalUriBaseIds"]["SRCROOT"]["uri"]
        .as_str()
        .unwrap();
    assert!(
        root_uri.starts_with("file:///") && root_uri.ends_with("/repo/"),
        "{root_uri}"
    );
    assert_eq!(run["automationDetails"]["id"], "modelvet/scan/");
    let results = run["results"].as_array().unwrap();
    let loc = |r: &Value| r["locations"][0]["physicalLocation"].clone();
    let in_root = results
        .iter()
        .find(|r| r["ruleId"] == "MV102")
        .expect("the io finding");
    assert_eq!(loc(in_root)["artifactLocation"]["uri"], "models/a.pkl");
    assert_eq!(loc(in_root)["artifactLocation"]["uriBaseId"], "SRCROOT");
    assert_eq!(loc(in_root)["region"]["startLine"], 1);
    let out_of_root = results
        .iter()
        .find(|r| r["ruleId"] == "MV101")
        .expect("the os.system finding");
    let uri = loc(out_of_root)["artifactLocation"]["uri"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        uri.starts_with("file:///") && uri.ends_with("/elsewhere/b.pkl"),
        "{uri}"
    );
    assert!(loc(out_of_root)["artifactLocation"]
        .get("uriBaseId")
        .is_none());
    // The incomplete bomb is a notification, with its location.
    let notes = run["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(notes.iter().any(|n| n["message"]["text"]
        .as_str()
        .unwrap()
        .contains("not fully checked")
        && n["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            == "models/bomb.pkl.gz"));
    // Every rule links to its documentation.
    for rule in run["tool"]["driver"]["rules"].as_array().unwrap() {
        let id = rule["id"].as_str().unwrap().to_ascii_lowercase();
        assert!(rule["helpUri"]
            .as_str()
            .unwrap()
            .ends_with(&format!("docs/rules.md#{id}")));
    }
    // The same finding typed another way has the same fingerprint; a file named twice is
    // one result.
    let again = sarif_of(&root, &["models/a.pkl", "./models/", "models"]);
    let fps: Vec<&Value> = again["runs"][0]["results"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["ruleId"] == "MV102")
        .map(|r| &r["partialFingerprints"]["modelvet/v1"])
        .collect();
    assert_eq!(fps, vec![&in_root["partialFingerprints"]["modelvet/v1"]]);
}

#[test]
fn github_annotations_and_json_lines() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join(".git")).unwrap();
    place(root, IO_FILEIO, "models/a.pkl");
    place(root, "benign/torch_zip_state_dict.pt", "models/ok.pt");
    let (code, out, _) = run_in(root, &["scan", "--format", "github", "models"]);
    assert_eq!(code, 1);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(
        lines[0],
        "::error file=models/a.pkl,line=1,title=MV102 pickle-io-global (high)::imports io.FileIO (file or network access) (called)"
    );
    assert!(lines.last().unwrap().starts_with("FINDINGS: 2 file(s)"));

    let (code, out, _) = run_in(root, &["scan", "--format", "jsonl", "models"]);
    assert_eq!(code, 1);
    let objects: Vec<Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let (last, artifacts) = objects.split_last().unwrap();
    assert_eq!(last["kind"], "summary");
    assert_eq!(
        last["summary"]["artifacts"].as_u64().unwrap() as usize,
        artifacts.len()
    );
    assert!(artifacts.iter().all(|a| a["kind"] == "artifact"));
    assert!(artifacts
        .iter()
        .any(|a| a["path"] == "models/a.pkl" && a["findings"][0]["rule"] == "MV102"));
}

#[test]
fn configuration_errors_are_loud_wherever_the_configuration_lives() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    place(root, IO_FILEIO, "a.pkl");
    // A typo under [tool.modelvet] in pyproject.toml fails as loudly as in modelvet.toml.
    std::fs::write(
        root.join("pyproject.toml"),
        "[project]\nname = \"app\"\n[tool.modelvet]\nfail_onn = \"critical\"\n",
    )
    .unwrap();
    let (code, _, err) = run_in(root, &["scan", "a.pkl"]);
    assert_eq!(code, 3);
    assert!(err.contains("unknown field `fail_onn`"), "{err}");
    // Standard input and hf:// targets find the configuration from the current folder.
    let stdin_scan = |cwd: &Path| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_modelvet"))
            .current_dir(cwd)
            .args(["scan", "-"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        use std::io::Write;
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(&std::fs::read(fixture(IO_FILEIO)).unwrap());
        child.wait().unwrap().code().unwrap()
    };
    assert_eq!(
        stdin_scan(root),
        3,
        "the broken pyproject.toml is found for `-`"
    );
    std::fs::write(
        root.join("pyproject.toml"),
        "[project]\nname = \"app\"\n[tool.modelvet]\nfail_on = \"critical\"\n",
    )
    .unwrap();
    assert_eq!(stdin_scan(root), 0, "fail_on = critical applies to `-`");

    // `modelvet config` shows the effective configuration and where it came from.
    let (code, out, _) = run_in(root, &["config"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("# from "), "{out}");
    assert!(out.contains("pyproject.toml"), "{out}");
    assert!(out.contains("fail_on = \"critical\""), "{out}");
    let empty = tempfile::tempdir().unwrap();
    let (code, out, _) = run_in(empty.path(), &["config"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("built-in defaults") && out.contains("# default"),
        "{out}"
    );
}

#[test]
fn a_git_lfs_pointer_says_what_it_is_and_how_to_fetch_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let pointer = format!(
        "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize 4000000\n",
        "ab".repeat(32)
    );
    // Any pointer, whatever its name: what it stands for was not checked.
    for name in ["model.safetensors", "weights.data"] {
        std::fs::write(dir.path().join(name), &pointer).unwrap();
        let (code, out, _) = run_in(dir.path(), &["scan", name]);
        assert_eq!(code, 2, "{out}");
        assert!(
            out.contains("a Git LFS pointer to a 4000000 byte file"),
            "{out}"
        );
        assert!(out.contains("git lfs pull"), "{out}");
    }
    // Text that only starts like one is text.
    std::fs::write(
        dir.path().join("notes.txt"),
        "version https://git-lfs.github.com/spec/v1 is the pointer format\n",
    )
    .unwrap();
    let (code, _, _) = run_in(dir.path(), &["scan", "notes.txt"]);
    assert_eq!(code, 0);
}

#[test]
fn text_lists_problems_groups_repeats_and_shows_clean_files_only_with_v() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for i in 0..8 {
        place(root, IO_FILEIO, &format!("m{i}.pkl"));
    }
    place(root, POSIX_SYSTEM, "z.pkl");
    place(root, "benign/torch_zip_state_dict.pt", "ok.pt");
    let (code, out, _) = run_in(root, &["scan", "."]);
    assert_eq!(code, 1);
    assert_eq!(out.matches("MV102 imports io.FileIO").count(), 5, "{out}");
    assert!(
        out.contains("MV102 pickle-io-global also in 3 more file(s) (-v lists them)"),
        "{out}"
    );
    assert!(out.contains("MV101 imports posix.system"), "{out}");
    assert!(!out.contains("ok.pt"), "clean files only with -v: {out}");
    let (_, out, _) = run_in(root, &["scan", "-v", "."]);
    assert_eq!(out.matches("MV102 imports io.FileIO").count(), 8, "{out}");
    assert!(out.contains("clean  ./ok.pt"), "{out}");
}

#[test]
fn findings_in_text_files_point_at_their_line() {
    let (_, out, _) = run_in(
        &repo(),
        &[
            "scan",
            "--format",
            "github",
            "--no-config",
            "testdata/fixtures/formats/hf_remote_code/config.json",
            "testdata/fixtures/formats/mlflow_custom_loader/MLmodel",
        ],
    );
    assert!(
        out.contains("hf_remote_code/config.json,line=17,title=MV1001"),
        "{out}"
    );
    assert!(
        out.contains("mlflow_custom_loader/MLmodel,line=6,title=MV1004"),
        "{out}"
    );
    let (_, sarif, _) = run_in(
        &repo(),
        &[
            "scan",
            "--format",
            "sarif",
            "--no-config",
            "testdata/fixtures/formats/hf_remote_code/config.json",
        ],
    );
    let sarif: Value = serde_json::from_str(&sarif).unwrap();
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"],
        17
    );
}
