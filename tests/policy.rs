//! Policy as code: the `[policy]` table's model rules (formats, remote code, licences,
//! signatures), each a finding of its own rule that suppressions and `--fail-on` apply to,
//! enforced by `scan`, `bom` and `verify`.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

fn scan_json(dir: &Path, args: &[&str]) -> (i32, Value, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(dir)
        .args(["scan", "--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    if stdout.is_empty() {
        return (out.status.code().unwrap(), Value::Null, stderr);
    }
    assert_valid_report(&stdout);
    (
        out.status.code().unwrap(),
        serde_json::from_str(&stdout).unwrap(),
        stderr,
    )
}

fn fired(report: &Value, rule: &str) -> Vec<(String, String)> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            a["findings"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|f| f["rule"] == rule)
                .map(|f| {
                    (
                        a["path"].as_str().unwrap().to_string(),
                        f["message"].as_str().unwrap().to_string(),
                    )
                })
        })
        .collect()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        if e.file_type().unwrap().is_file() {
            std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
        }
    }
}

fn policy(dir: &Path, text: &str) {
    std::fs::write(dir.join("modelvet.toml"), text).unwrap();
}

#[test]
fn denied_and_unlisted_formats() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixture("formats/hf_sharded_ok"), &root.join("llm"));
    std::fs::copy(
        fixture("benign/torch_zip_state_dict.pt"),
        root.join("head.pt"),
    )
    .unwrap();

    // No pickle family in production: a clean torch checkpoint fails on its format alone.
    policy(root, "[policy]\ndeny_formats = [\"pickle-family\"]\n");
    let (code, report, _) = scan_json(root, &["."]);
    assert_eq!(code, 1);
    let hits = fired(&report, "MV1201");
    assert!(
        hits.iter()
            .any(|(p, m)| p == "./head.pt" && m.contains("torch-zip is denied")),
        "{hits:?}"
    );
    assert!(hits.iter().all(|(p, _)| !p.contains("llm/")), "{hits:?}");

    // Only safetensors and GGUF: the text files of a model folder are not judged.
    policy(
        root,
        "[policy]\nallow_formats = [\"safetensors\", \"gguf\"]\n",
    );
    let (code, report, _) = scan_json(root, &["llm"]);
    assert_eq!(code, 0, "{report:#}");
    let (code, report, _) = scan_json(root, &["head.pt"]);
    assert_eq!(code, 1);
    assert_eq!(fired(&report, "MV1201").len(), 1);

    // The policy's findings follow the gate and the suppressions like any other.
    policy(
        root,
        "fail_on = \"critical\"\n[policy]\nallow_formats = [\"safetensors\"]\n",
    );
    let (code, _, _) = scan_json(root, &["head.pt"]);
    assert_eq!(code, 0);

    // A format name the reports do not use is a configuration error.
    policy(root, "[policy]\ndeny_formats = [\"pytorch\"]\n");
    let (code, _, err) = scan_json(root, &["head.pt"]);
    assert_eq!(code, 3);
    assert!(err.contains("not a format name"), "{err}");
}

#[test]
fn remote_code_is_denied_when_the_policy_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixture("formats/hf_remote_code"), &root.join("m"));
    policy(root, "fail_on = \"critical\"\n");
    let (code, report, _) = scan_json(root, &["m"]);
    assert_eq!(code, 0);
    assert!(fired(&report, "MV1205").is_empty());
    policy(
        root,
        "fail_on = \"critical\"\n[policy]\ndeny_remote_code = true\n[rules]\nMV1205 = \"critical\"\n",
    );
    let (code, report, _) = scan_json(root, &["m"]);
    assert_eq!(code, 1);
    let hits = fired(&report, "MV1205");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].0.ends_with("config.json"), "{hits:?}");
}

#[test]
fn licences_from_the_model_card_against_allow_and_deny_lists() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixture("formats/hf_sharded_ok"), &root.join("llm")); // apache-2.0
    policy(
        root,
        "[policy]\nlicenses_allow = [\"Apache-2.0\", \"mit\"]\n",
    );
    let (code, report, _) = scan_json(root, &["llm"]);
    assert_eq!(code, 0, "{report:#}");
    policy(root, "[policy]\nlicenses_deny = [\"apache-2.0\"]\n");
    let (code, report, _) = scan_json(root, &["llm"]);
    assert_eq!(code, 1);
    let hits = fired(&report, "MV1204");
    assert_eq!(
        hits,
        vec![(
            "llm/README.md".to_string(),
            "licence apache-2.0 is denied by the policy (licenses_deny)".to_string()
        )]
    );
    policy(root, "[policy]\nlicenses_allow = [\"mit\"]\n");
    let (code, report, _) = scan_json(root, &["llm"]);
    assert_eq!(code, 1);
    assert!(fired(&report, "MV1204")[0].1.contains("not among"));
    // No licence stated while an allow list is set.
    std::fs::remove_file(root.join("llm/README.md")).unwrap();
    let (code, report, _) = scan_json(root, &["llm"]);
    assert_eq!(code, 1);
    let hits = fired(&report, "MV1204");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].1.starts_with("no licence is stated"), "{hits:?}");
}

#[test]
fn every_model_folder_must_carry_a_signature_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let model = root.join("llm");
    copy_dir(&fixture("formats/hf_sharded_ok"), &model);
    // An Ed25519 key pair (the RFC 8410 test vector).
    std::fs::write(root.join("signing.pem"), "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n").unwrap();
    std::fs::write(root.join("trusted.pub"), "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n").unwrap();
    policy(root, "[policy.require_signature]\nkey = \"trusted.pub\"\n");

    let (code, report, _) = scan_json(root, &["llm"]);
    assert_eq!(code, 1);
    let hits = fired(&report, "MV1202");
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert!(hits[0].1.contains("no model.sig signature"), "{hits:?}");

    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(root)
        .args(["sign", "llm", "--key", "signing.pem"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (code, report, _) = scan_json(root, &["llm"]);
    assert_eq!(code, 0, "{report:#}");
    // `verify` takes its trust from the policy when no flag names one.
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(root)
        .args(["verify", "llm"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // A changed file: the signature no longer verifies, for scan and verify alike.
    std::fs::write(model.join("config.json"), "{}\n").unwrap();
    let (code, report, _) = scan_json(root, &["llm"]);
    assert_eq!(code, 1);
    assert!(fired(&report, "MV1202")[0].1.contains("does not verify"));
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(root)
        .args(["verify", "llm"])
        .output()
        .unwrap();
    assert_ne!(out.status.code(), Some(0));

    // `config` shows the policy in force.
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(root)
        .args(["config"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[policy.require_signature]"), "{text}");
    assert!(text.contains("trusted.pub"), "{text}");
}

#[test]
fn the_bom_carries_the_policys_findings() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy_dir(&fixture("formats/hf_sharded_ok"), &root.join("llm"));
    policy(root, "[policy]\nlicenses_deny = [\"apache-2.0\"]\n");
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(root)
        .args(["bom", "llm", "-o", "bom.json"])
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bom = std::fs::read_to_string(root.join("bom.json")).unwrap();
    assert!(
        bom.contains("MV1204"),
        "the licence finding is a BOM vulnerability"
    );
}
