//! `modelvet inventory` on the fixture application (testdata/gen_inventory.py): every
//! reference it holds is found with its file, line, kind and id, the false friends are
//! not, each finding sits on its reference, the JSON follows its schema, SARIF is valid,
//! model files in the tree carry the scan's verdict, and the policy's allowed_repos apply.

mod common;

use std::collections::BTreeSet;
use std::fs;
use std::path::Path;
use std::process::Command;

use common::*;
use serde_json::Value;

const APP: &str = "testdata/fixtures/inventory/app";

fn inventory_in(cwd: &Path, args: &[&str]) -> (Value, i32) {
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .arg("inventory")
        .args(args)
        .args(["--format", "json", "--no-config"])
        .current_dir(cwd)
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("no JSON ({e}): {}", String::from_utf8_lossy(&out.stderr)));
    (doc, out.status.code().unwrap())
}

fn id_text(v: &Value) -> Option<String> {
    match v["source"].as_str() {
        Some("literal") | Some("constant") => v["value"].as_str().map(str::to_string),
        _ => None,
    }
}

#[test]
fn the_fixture_application_gives_exactly_its_references_and_findings() {
    let (doc, code) = inventory_in(&repo().join(APP), &["."]);
    assert_eq!(code, 1, "unpinned models are medium findings");
    assert_valid_inventory(&doc);
    let expected: Vec<Value> =
        serde_json::from_slice(&fs::read(fixture("inventory/expected.json")).unwrap()).unwrap();
    let found: BTreeSet<(String, u64, String, Option<String>)> = doc["references"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["file"]
                    .as_str()
                    .unwrap()
                    .trim_start_matches("./")
                    .to_string(),
                r["line"].as_u64().unwrap(),
                r["kind"].as_str().unwrap().to_string(),
                id_text(&r["id"]),
            )
        })
        .collect();
    let wanted: BTreeSet<(String, u64, String, Option<String>)> = expected
        .iter()
        .map(|e| {
            (
                e["file"].as_str().unwrap().to_string(),
                e["line"].as_u64().unwrap(),
                e["kind"].as_str().unwrap().to_string(),
                e["id"].as_str().map(str::to_string),
            )
        })
        .collect();
    let missing: Vec<_> = wanted.difference(&found).collect();
    let extra: Vec<_> = found.difference(&wanted).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "missing {missing:#?}\nnot expected {extra:#?}"
    );
    // Each reference raises exactly the rules the generator lists for it.
    for e in &expected {
        let file = e["file"].as_str().unwrap();
        let line = e["line"].as_u64().unwrap();
        let r = doc["references"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| {
                r["file"].as_str().unwrap().trim_start_matches("./") == file
                    && r["line"] == line
                    && r["kind"] == e["kind"]
                    && id_text(&r["id"]).as_deref() == e["id"].as_str()
            })
            .unwrap();
        let rules: BTreeSet<&str> = r["findings"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|x| x.as_str().unwrap())
            .collect();
        let want: BTreeSet<&str> = e["rules"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(rules, want, "{file}:{line}");
    }
    // Pinned by constants, aliased imports, client objects, dynamic values.
    let at = |file: &str, line: u64| {
        doc["references"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["file"].as_str().unwrap().ends_with(file) && r["line"] == line)
            .unwrap()
            .clone()
    };
    assert_eq!(at("app/main.py", 20)["pinned"], true);
    assert_eq!(at("app/main.py", 20)["revision"]["name"], "PINNED");
    assert_eq!(
        at("app/main.py", 21)["api"],
        "transformers.AutoModel.from_pretrained"
    );
    assert_eq!(at("app/main.py", 26)["id"]["source"], "dynamic");
    assert_eq!(
        at("app/main.py", 34)["api"],
        "openai.OpenAI().chat.completions.create"
    );
    // Nothing from the false friends.
    assert!(!doc.to_string().contains("acme/not-a-model"));
    assert!(!doc.to_string().contains("acme/local-helper"));
    assert!(!doc.to_string().contains("acme/other-model"));
    assert!(!doc.to_string().contains("acme/markdown-only"));
    // Frameworks from requirements.txt.
    let frameworks: Vec<&str> = doc["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        frameworks,
        ["openai", "torch", "transformers", "transformers"]
    );
    // The notebook's references name their code cell; uv.lock gives the locked version.
    let cells: BTreeSet<u64> = doc["references"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["file"].as_str().unwrap().ends_with("explore.ipynb"))
        .map(|r| r["cell"].as_u64().unwrap())
        .collect();
    assert_eq!(cells, [3, 4].into());
    let locked = doc["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].as_str().unwrap().ends_with("uv.lock"))
        .unwrap();
    assert_eq!(locked["requirement"], "==4.57.1");
    // Both model files were scanned and are clean.
    let files: Vec<&Value> = doc["references"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["kind"] == "artifact")
        .collect();
    assert_eq!(files.len(), 2);
    assert!(files.iter().all(|f| f["verdict"] == "clean"), "{files:?}");
}

#[test]
fn sarif_places_each_finding_on_its_line() {
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(["inventory", ".", "--format", "sarif", "--no-config"])
        .current_dir(repo().join(APP))
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_valid_sarif(&text);
    let sarif: Value = serde_json::from_str(&text).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let chat = results
        .iter()
        .find(|r| {
            r["ruleId"] == "MV1402"
                && r["locations"][0]["physicalLocation"]["region"]["startLine"] == 22
        })
        .expect("trust_remote_code on line 22");
    assert!(
        chat["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("app/main.py")
    );
}

#[test]
fn a_malicious_model_file_in_the_tree_carries_its_verdict_and_the_policy_applies() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("svc");
    for rel in ["app/main.py", "configs/train.yaml"] {
        let to = root.join(rel);
        fs::create_dir_all(to.parent().unwrap()).unwrap();
        fs::copy(fixture(&format!("inventory/app/{rel}")), &to).unwrap();
    }
    fs::copy(
        fixture("malicious/evasion01_runpy_run_code.pkl"),
        root.join("weights.pkl"),
    )
    .unwrap();
    fs::write(
        root.join("modelvet.toml"),
        "[policy]\nallowed_repos = [\"acme/*\"]\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(["inventory", "svc", "--format", "json"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(1));
    let pickle = doc["references"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "artifact")
        .unwrap();
    assert_eq!(pickle["verdict"], "findings (worst critical)");
    // distilbert is outside acme/*: MV1405, and only there.
    let not_allowed: Vec<u64> = doc["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "MV1405")
        .map(|f| f["line"].as_u64().unwrap())
        .collect();
    assert_eq!(not_allowed, [23]);
}

#[test]
fn a_source_file_over_the_size_limit_is_incomplete_not_clean() {
    let dir = tempfile::tempdir().unwrap();
    let big = "x = 1\n".repeat((modelvet::inventory::MAX_SOURCE_BYTES as usize) / 6 + 10);
    fs::write(dir.path().join("big.py"), big).unwrap();
    let (doc, code) = inventory_in(dir.path(), &["."]);
    assert_eq!(code, 2);
    assert!(doc["incomplete"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("MAX_SOURCE_BYTES"));
}

#[path = "common/hub_server.rs"]
mod hub_server;

#[test]
fn vet_scans_each_referenced_revision_over_range_reads_and_only_when_asked() {
    use hub_server::{FixtureRepo, HubServer};
    let good = FixtureRepo::model("acme/good")
        .file("config.json", br#"{"model_type": "llama"}"#.to_vec())
        .lfs(
            "model.safetensors",
            fs::read(fixture("formats/st_tiny_pt.safetensors")).unwrap(),
        );
    let good_commit = good.commit();
    let bad = FixtureRepo::model("acme/bad").lfs(
        "pytorch_model.bin",
        fs::read(fixture("malicious/evasion01_runpy_run_code.pkl")).unwrap(),
    );
    let server = HubServer::start(vec![good, bad]);
    let dir = tempfile::tempdir().unwrap();
    fs::write(
        dir.path().join("serve.py"),
        format!(
            "from transformers import AutoModel\n\
             a = AutoModel.from_pretrained('acme/good', revision='{good_commit}')\n\
             b = AutoModel.from_pretrained('acme/bad')\n"
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let run = |vet: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_modelvet"));
        cmd.args(["inventory", ".", "--format", "json", "--no-config"])
            .current_dir(dir.path())
            .env("HF_ENDPOINT", &server.endpoint)
            .env("HF_HOME", home.path())
            .env_remove("HF_TOKEN")
            .env_remove("HF_HUB_OFFLINE");
        if vet {
            cmd.arg("--vet");
        }
        let out = cmd.output().unwrap();
        let doc: Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr)));
        (doc, out.status.code().unwrap())
    };
    // Offline by default: no request reaches the Hub.
    let (doc, _) = run(false);
    assert!(server.requests().is_empty(), "{:?}", server.requests());
    assert!(doc["references"][0].get("vetted").is_none());

    let (doc, code) = run(true);
    assert_valid_inventory(&doc);
    assert_eq!(code, 1, "the referenced malicious model fails the run");
    let by_repo = |repo: &str| {
        doc["references"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["hub_repo"] == repo)
            .unwrap()
            .clone()
    };
    let good = by_repo("acme/good");
    assert_eq!(good["verdict"], "clean");
    assert_eq!(good["vetted"]["commit"], good_commit.as_str());
    let bad = by_repo("acme/bad");
    assert_eq!(bad["verdict"], "findings (worst critical)");
    let read = bad["vetted"]["bytes_read"].as_u64().unwrap();
    assert!(read > 0 && read <= bad["vetted"]["bytes_total"].as_u64().unwrap());
    // The application BOM carries the verdicts: the malicious model's finding is a
    // vulnerability of that model's component.
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(["bom", ".", "--application", "--vet", "--no-config"])
        .current_dir(dir.path())
        .env("HF_ENDPOINT", &server.endpoint)
        .env("HF_HOME", home.path())
        .env("SOURCE_DATE_EPOCH", "1700000000")
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_OFFLINE")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let bom: Value = serde_json::from_slice(&out.stdout).unwrap();
    let critical = bom["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["ratings"][0]["severity"] == "critical")
        .expect("the vetted model's finding");
    assert_eq!(critical["affects"][0]["ref"], "model:acme/bad@unpinned");
    let good_component = bom["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "acme/good")
        .unwrap();
    assert!(good_component["properties"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "modelvet:vet:verdict" && p["value"] == "clean"));

    // The remote file's finding is in the report, under the resolved commit.
    assert!(doc["findings"].as_array().unwrap().iter().any(|f| f["file"]
        .as_str()
        .unwrap()
        .starts_with("hf://acme/bad@")
        && f["severity"] == "critical"));
}

#[test]
fn a_model_folder_in_the_tree_is_scanned_not_read_as_configuration() {
    // A committed Hugging Face folder with a tokenizer.json over MAX_SOURCE_BYTES: the
    // scan judges the folder; the inventory does not read its JSON as the application's
    // configuration (so it is neither a reference nor incomplete).
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("assets/model");
    fs::create_dir_all(&model).unwrap();
    for e in fs::read_dir(fixture("formats/hf_sharded_ok")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), model.join(e.file_name())).unwrap();
    }
    let vocab = "x".repeat(modelvet::inventory::MAX_SOURCE_BYTES as usize + 1);
    fs::write(
        model.join("tokenizer.json"),
        format!("{{\"model\": {{\"vocab\": \"{vocab}\"}}}}"),
    )
    .unwrap();
    fs::write(dir.path().join("main.py"), "print('hello')\n").unwrap();
    let (doc, code) = inventory_in(dir.path(), &["."]);
    assert_eq!(code, 0, "{:#}", doc["incomplete"]);
    assert!(doc["incomplete"].as_array().unwrap().is_empty());
    assert!(doc["references"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["kind"] == "artifact"));
}

#[test]
fn a_folder_of_the_tree_named_like_a_repository_is_local_not_the_hub() {
    // transformers loads `outputs/best` from disk when the folder exists.
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("outputs/best")).unwrap();
    fs::write(
        dir.path().join("train.py"),
        "from transformers import AutoModel\n\
         a = AutoModel.from_pretrained('outputs/best')\n\
         b = AutoModel.from_pretrained('acme/remote')\n",
    )
    .unwrap();
    let (doc, _) = inventory_in(dir.path(), &["."]);
    let refs = doc["references"].as_array().unwrap();
    let local = refs.iter().find(|r| r["line"] == 2).unwrap();
    assert!(local.get("hub_repo").is_none(), "{local}");
    assert!(local.get("findings").is_none());
    let remote = refs.iter().find(|r| r["line"] == 3).unwrap();
    assert_eq!(remote["hub_repo"], "acme/remote");
    assert_eq!(remote["findings"][0], "MV1401");
}
