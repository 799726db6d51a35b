//! The command line as a CI pipeline uses it: exit codes, formats, stdin, config.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::*;

fn code(args: &[&str]) -> i32 {
    modelvet(args).status.code().expect("exit code")
}

fn fx(rel: &str) -> String {
    fixture(rel).to_string_lossy().into_owned()
}

#[test]
fn exit_codes_follow_the_contract() {
    assert_eq!(code(&["scan", &fx("benign/torch_zip_state_dict.pt")]), 0);
    assert_eq!(
        code(&["scan", &fx("malicious/evasion03_posix_system.pkl")]),
        1
    );
    assert_eq!(code(&["scan", &fx("limits/gzip_bomb_300mb.pkl.gz")]), 2);
    assert_eq!(code(&["scan", "/definitely/not/here.pt"]), 3);
    assert_eq!(code(&["scan"]), 3);
    assert_eq!(
        code(&["scan", "--format", "xml", &fx("benign/numpy_int64.npy")]),
        3
    );
    // A finding wins over incomplete: a malicious file next to a truncated one.
    assert_eq!(
        code(&[
            "scan",
            &fx("malicious/evasion03_posix_system.pkl"),
            &fx("limits/gzip_bomb_300mb.pkl.gz")
        ]),
        1
    );
}

#[test]
fn fail_on_threshold() {
    let io = fx("malicious/evasion13_io_fileio.pkl");
    assert_eq!(code(&["scan", &io]), 1);
    assert_eq!(code(&["scan", "--fail-on", "high", &io]), 1);
    assert_eq!(code(&["scan", "--fail-on", "critical", &io]), 0);
    let sk = fx("formats/rule_mv104_framework_class.pkl");
    assert_eq!(code(&["scan", &sk]), 0, "framework classes are low");
    assert_eq!(code(&["scan", "--fail-on", "low", &sk]), 1);
}

#[test]
fn unrecognized_content_counts_only_when_expected() {
    let dir = tempfile::tempdir().unwrap();
    let blob: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8 | 0x80)
        .collect();
    std::fs::write(dir.path().join("notes.dat"), &blob).unwrap();
    assert_eq!(
        code(&["scan", dir.path().to_str().unwrap()]),
        0,
        "an unclaimed binary in a directory walk is listed only"
    );
    assert_eq!(
        code(&["scan", dir.path().join("notes.dat").to_str().unwrap()]),
        2,
        "named explicitly"
    );
    std::fs::write(dir.path().join("model.bin"), &blob).unwrap();
    assert_eq!(
        code(&["scan", dir.path().to_str().unwrap()]),
        2,
        "its name claims a model"
    );
    std::fs::write(dir.path().join("README.md"), "# a model\n").unwrap();
    std::fs::remove_file(dir.path().join("model.bin")).unwrap();
    assert_eq!(code(&["scan", dir.path().to_str().unwrap()]), 0);
}

#[test]
fn stdin_is_scanned_by_content() {
    // A torch zip: stdin is spooled so random-access formats work too.
    let bytes = std::fs::read(fixture("malicious/evasion08_torch_zip_payload.pt")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(["scan", "--format", "json", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&bytes).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json = String::from_utf8(out.stdout).unwrap();
    assert_valid_report(&json);
    assert!(json.contains("\"file\": \"-\""));
    assert!(json.contains("\"format\": \"torch-zip\""), "{json}");
}

#[test]
fn json_and_sarif_outputs_validate_and_keep_paths_relative() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("r.sarif");
    let status = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(repo())
        .args([
            "scan",
            "--format",
            "sarif",
            "--output",
            out.to_str().unwrap(),
            "testdata/fixtures/malicious",
        ])
        .status()
        .unwrap();
    assert_eq!(status.code(), Some(1));
    let sarif = std::fs::read_to_string(&out).unwrap();
    assert_valid_sarif(&sarif);
    let doc: serde_json::Value = serde_json::from_str(&sarif).unwrap();
    let results = doc["runs"][0]["results"].as_array().unwrap();
    assert!(results.len() > 100);
    for r in results {
        let uri = r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap();
        assert!(uri.starts_with("testdata/fixtures/malicious/"), "{uri}");
        assert!(!uri.contains('!') && !uri.contains("(pos"), "{uri}");
    }
    let member_result = results
        .iter()
        .find(|r| r["locations"][0]["logicalLocations"].is_array())
        .expect("a member finding");
    assert_eq!(
        member_result["locations"][0]["logicalLocations"][0]["kind"],
        "member"
    );

    let json = modelvet(&["scan", "--format", "json", &fx("benign")]);
    assert_eq!(json.status.code(), Some(0));
    assert_valid_report(&String::from_utf8(json.stdout).unwrap());
}

#[test]
fn text_output_is_grouped_and_plain_without_a_terminal() {
    let out = modelvet(&["scan", &fx("malicious/evasion08_nested_zip.zip")]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        !text.contains('\x1b'),
        "no colour when NO_COLOR is set and stdout is a pipe"
    );
    assert!(text.contains("CRITICAL"), "{text}");
    assert!(text.contains("exit 1"), "{text}");
    let out = modelvet(&["scan", "--quiet", &fx("benign/numpy_int64.npy")]);
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
}

#[test]
fn config_extends_the_allowlist_but_never_for_code_execution() {
    let dir = tempfile::tempdir().unwrap();
    let pkl = dir.path().join("model.pkl");
    std::fs::write(&pkl, b"\x80\x02cmypkg.models\nNet\n)\x81}b.").unwrap();
    assert_eq!(
        code(&["scan", pkl.to_str().unwrap()]),
        1,
        "unknown global is medium"
    );
    std::fs::write(
        dir.path().join("modelvet.toml"),
        "[policy]\nallow = [\"mypkg.models:Net\"]\n",
    )
    .unwrap();
    assert_eq!(
        code(&["scan", pkl.to_str().unwrap()]),
        0,
        "allowed by the discovered config"
    );
    assert_eq!(code(&["scan", "--no-config", pkl.to_str().unwrap()]), 1);
    std::fs::write(
        dir.path().join("modelvet.toml"),
        "[policy]\nallow = [\"os:system\"]\n",
    )
    .unwrap();
    let out = modelvet(&["scan", pkl.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("refusing"));
    std::fs::write(dir.path().join("modelvet.toml"), "").unwrap();
    std::fs::write(
        dir.path().join("pyproject.toml"),
        "[tool.modelvet]\nfail_on = \"critical\"\n",
    )
    .unwrap();
    std::fs::remove_file(dir.path().join("modelvet.toml")).unwrap();
    assert_eq!(
        code(&["scan", pkl.to_str().unwrap()]),
        0,
        "pyproject fail_on applies"
    );
}

#[test]
fn symlinks_do_not_leave_the_tree() {
    let outside = tempfile::tempdir().unwrap();
    let evil = outside.path().join("evil.pkl");
    std::fs::copy(fixture("malicious/evasion03_posix_system.pkl"), &evil).unwrap();
    let tree = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink(&evil, tree.path().join("model.bin")).unwrap();
    let out = modelvet(&["scan", "--format", "json", tree.path().to_str().unwrap()]);
    assert_eq!(
        out.status.code(),
        Some(2),
        "not followed, and the name claims a model"
    );
    let json = String::from_utf8(out.stdout).unwrap();
    assert!(json.contains("leaves the scanned tree"));
    std::fs::copy(
        fixture("malicious/evasion03_posix_system.pkl"),
        tree.path().join("inside.dat"),
    )
    .unwrap();
    std::os::unix::fs::symlink(tree.path().join("inside.dat"), tree.path().join("link.pkl"))
        .unwrap();
    let out = modelvet(&["scan", "--format", "json", tree.path().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn rules_doc_is_generated_from_the_catalog() {
    let out = modelvet(&["rules", "--markdown"]);
    let committed = std::fs::read_to_string(repo().join("docs/rules.md")).unwrap();
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        committed,
        "docs/rules.md is stale: run `cargo run -- rules --markdown > docs/rules.md`"
    );
    let list = String::from_utf8(modelvet(&["rules"]).stdout).unwrap();
    assert!(list.contains("MV101") && list.contains("pickle-exec-global"));
    let version = String::from_utf8(modelvet(&["--version"]).stdout).unwrap();
    assert!(
        version.contains(modelvet::rules::CATALOG_VERSION),
        "{version}"
    );
}

#[test]
fn hashes_are_the_files_sha256() {
    use sha2::Digest;
    let path = fixture("benign/torch_zip_state_dict.pt");
    let r = scan(&[&path]);
    let top = r.artifacts.iter().find(|a| a.member.is_none()).unwrap();
    let want = modelvet::source::hex(&sha2::Sha256::digest(std::fs::read(&path).unwrap()));
    assert_eq!(top.sha256.as_deref(), Some(want.as_str()));
    let path = fixture("benign/plain_types_p4.pkl");
    let r = scan(&[&path]);
    let want = modelvet::source::hex(&sha2::Sha256::digest(std::fs::read(&path).unwrap()));
    assert_eq!(r.artifacts[0].sha256.as_deref(), Some(want.as_str()));
    let out = modelvet(&[
        "scan",
        "--no-hash",
        "--format",
        "json",
        path.to_str().unwrap(),
    ]);
    assert!(!String::from_utf8(out.stdout).unwrap().contains("sha256"));
}

#[test]
fn the_output_path_is_checked_before_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.pkl");
    std::fs::copy(
        repo().join("testdata/fixtures/benign/torch_zip_state_dict.pt"),
        &model,
    )
    .unwrap();
    let before = std::fs::read(&model).unwrap();
    let run = |out: &std::path::Path| {
        Command::new(env!("CARGO_BIN_EXE_modelvet"))
            .args(["scan", "-o", out.to_str().unwrap(), model.to_str().unwrap()])
            .output()
            .unwrap()
    };
    // The report must not replace the model it describes.
    let out = run(&model);
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("is an input of this scan"));
    assert_eq!(std::fs::read(&model).unwrap(), before);
    // A folder that does not exist is refused up front.
    let out = run(&dir.path().join("missing/report.txt"));
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("does not exist"));
    // A good path gets the report, and standard error still gets the summary line.
    let report = dir.path().join("report.txt");
    let out = run(&report);
    assert_eq!(out.status.code(), Some(0));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("exit 0") && stderr.contains("report written to"),
        "{stderr}"
    );
    assert!(std::fs::read_to_string(&report).unwrap().contains("clean"));
}
