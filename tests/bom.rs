//! `modelvet bom`: the CycloneDX documents validate under the CycloneDX project's own
//! library (strict JSON validator, 1.6 and 1.7), and say what the artifacts say: real
//! digests, mapped licences, findings tied to the right file, lineage, datasets, the
//! signature result. One golden document is compared byte for byte.

mod common;
#[path = "common/hub_server.rs"]
mod hub_server;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;
use sha2::{Digest, Sha256};

use common::{fixture, repo};

const EPOCH: &str = "1700000000";

fn bom(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .arg("bom")
        .args(args)
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("NO_COLOR", "1")
        .current_dir(repo())
        .output()
        .expect("binary runs")
}

fn bom_json(args: &[&str]) -> (Value, Output) {
    let out = bom(args);
    let doc = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "bom {args:?} wrote no JSON ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (doc, out)
}

fn code(out: &Output) -> i32 {
    out.status.code().expect("exit code")
}

/// The reference Python (the venv scripts/test.sh builds, with cyclonedx-python-lib).
fn python() -> Option<PathBuf> {
    match std::env::var_os("MODELVET_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("MODELVET_PYTHON is unset: CycloneDX validation by cyclonedx-python-lib skipped (scripts/test.sh sets it)");
            None
        }
    }
}

/// Validates every document with cyclonedx-python-lib's JsonStrictValidator.
/// Both CycloneDX projects' validators: the Python library (when the test venv is there)
/// and the JavaScript one (when scripts/test.sh installed it: MODELVET_NODE_MODULES).
fn assert_valid(paths: &[PathBuf]) {
    match std::env::var_os("MODELVET_NODE_MODULES") {
        Some(modules) => {
            let mut node = Command::new("node");
            node.arg(repo().join("testdata/validate_cyclonedx.mjs"))
                .env("NODE_PATH", &modules);
            assert_validator_accepts(node, "@cyclonedx/cyclonedx-library", paths);
        }
        None => eprintln!(
            "skipped the @cyclonedx/cyclonedx-library check: MODELVET_NODE_MODULES is not set"
        ),
    }
    if let Some(python) = python() {
        let mut py = Command::new(python);
        py.arg(repo().join("testdata/validate_cyclonedx.py"));
        assert_validator_accepts(py, "cyclonedx-python-lib", paths);
    }
}

/// Runs a validator script on `paths`: it must succeed and call each one valid.
fn assert_validator_accepts(mut validator: Command, name: &str, paths: &[PathBuf]) {
    let out = validator.args(paths).output().expect("the validator runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name} rejected a BOM:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.contains(": valid CycloneDX"))
            .count(),
        paths.len(),
        "{text}"
    );
}

fn sha256_file(p: &Path) -> String {
    hex::encode(Sha256::digest(fs::read(p).expect("readable")))
}

fn props(v: &Value) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for p in v["properties"].as_array().into_iter().flatten() {
        out.entry(p["name"].as_str().unwrap().to_string())
            .or_default()
            .push(p["value"].as_str().unwrap().to_string());
    }
    out
}

/// The model component of a one-model BOM: in components[], where consumers read it;
/// metadata.component names it and points at it.
fn model_of(doc: &Value) -> &Value {
    let subject = &doc["metadata"]["component"];
    let target = doc["dependencies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["ref"] == subject["bom-ref"])
        .expect("the subject has a dependencies entry")["dependsOn"][0]
        .clone();
    doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["bom-ref"] == target)
        .expect("the model is among the components")
}

fn all_bom_refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            if let Some(r) = m.get("bom-ref").and_then(Value::as_str) {
                out.push(r.to_string());
            }
            m.values().for_each(|x| all_bom_refs(x, out));
        }
        Value::Array(a) => a.iter().for_each(|x| all_bom_refs(x, out)),
        _ => {}
    }
}

const FULL_CARD: &str = "testdata/fixtures/formats/hf_model_card_full";

#[test]
fn every_bom_validates_under_1_6_and_1_7() {
    let inputs = [
        FULL_CARD,
        "testdata/fixtures/formats/hf_sharded_ok",
        "testdata/fixtures/formats/hf_chat_template_ssti",
        "testdata/fixtures/formats/st_tiny_pt.safetensors",
        "testdata/fixtures/formats/gguf_tiny_llama.gguf",
        "testdata/fixtures/formats/gguf_chat_template_ssti.gguf",
        "testdata/fixtures/formats/onnx/mlp_benign.onnx",
        "testdata/fixtures/formats/keras_dense_ok.keras",
        "testdata/fixtures/formats/keras_lambda.h5",
        "testdata/fixtures/formats/savedmodel/benign",
        "testdata/fixtures/benign/numpy_float32.npy",
        "testdata/fixtures/benign/torch_zip_state_dict.pt",
        "testdata/fixtures/benign/sklearn_logreg.joblib",
        "testdata/fixtures/benign/plain_types_p4.pkl.gz",
        "testdata/fixtures/malicious/evasion01_runpy_run_code.pkl",
        "testdata/fixtures/malicious",
    ];
    let dir = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        for spec in ["1.6", "1.7"] {
            let path = dir.path().join(format!("bom-{i}-{spec}.cdx.json"));
            let out = bom(&[input, "--spec", spec, "-o", path.to_str().unwrap()]);
            assert!(
                matches!(code(&out), 0..=2),
                "{input}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            let doc: Value = serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
            assert_eq!(doc["specVersion"], spec);
            // Our own reference check ran before writing; check bom-refs are unique here too.
            let mut refs = Vec::new();
            all_bom_refs(&doc, &mut refs);
            let unique: std::collections::BTreeSet<_> = refs.iter().collect();
            assert_eq!(unique.len(), refs.len(), "{input}: duplicate bom-ref");
            written.push(path);
        }
    }
    assert_valid(&written);
}

#[test]
fn a_hugging_face_folder_becomes_one_model_with_its_card_lineage_and_datasets() {
    let (doc, out) = bom_json(&[FULL_CARD]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let model = model_of(&doc);
    assert_eq!(model["type"], "machine-learning-model");
    assert_eq!(model["licenses"][0]["license"]["id"], "Apache-2.0");

    // Every file, with its real SHA-256.
    let files = model["components"].as_array().unwrap();
    let on_disk: Vec<_> = fs::read_dir(repo().join(FULL_CARD))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(files.len(), on_disk.len());
    for path in &on_disk {
        let name = path.file_name().unwrap().to_str().unwrap();
        let c = files.iter().find(|c| c["name"] == name).expect(name);
        assert_eq!(c["type"], "file");
        assert_eq!(c["hashes"][0]["alg"], "SHA-256");
        assert_eq!(c["hashes"][0]["content"], sha256_file(path), "{name}");
        assert_eq!(
            props(c)["modelvet:file:size"],
            vec![fs::metadata(path).unwrap().len().to_string()]
        );
    }

    // Lineage: the base model with its purl and the relation.
    let ancestor = &model["pedigree"]["ancestors"][0];
    assert_eq!(ancestor["purl"], "pkg:huggingface/modelvet/tiny-llama-base");
    assert_eq!(
        props(ancestor)["modelvet:base_model:relation"],
        vec!["finetune"]
    );

    // Datasets: data components referenced from the model card and the dependencies.
    let data: Vec<&Value> = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "data")
        .collect();
    assert_eq!(data.len(), 2);
    let fixture_corpus = data
        .iter()
        .find(|d| d["name"] == "modelvet/fixture-corpus")
        .unwrap();
    assert_eq!(
        fixture_corpus["purl"],
        "pkg:huggingface/modelvet/fixture-corpus?repository_url=https://huggingface.co/datasets"
    );
    let card = &model["modelCard"];
    let params = &card["modelParameters"];
    let dataset_refs: Vec<&str> = params["datasets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["ref"].as_str().unwrap())
        .collect();
    assert!(dataset_refs.contains(&fixture_corpus["bom-ref"].as_str().unwrap()));
    let deps = doc["dependencies"].as_array().unwrap();
    let model_deps = deps.iter().find(|d| d["ref"] == model["bom-ref"]).unwrap();
    let depends: Vec<&str> = model_deps["dependsOn"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d.as_str().unwrap())
        .collect();
    for f in files {
        assert!(depends.contains(&f["bom-ref"].as_str().unwrap()));
    }
    assert!(depends.contains(&fixture_corpus["bom-ref"].as_str().unwrap()));

    // What config.json, the card and the weights say.
    assert_eq!(params["task"], "text-generation");
    assert_eq!(params["architectureFamily"], "llama");
    assert_eq!(params["modelArchitecture"], "LlamaForCausalLM");
    assert_eq!(params["inputs"][0]["format"], "text");
    let card_props = props(card);
    // 16x8 + 8x8 + 16x8 + 8 + 16x8 parameters across the two shards.
    assert_eq!(card_props["cdx:ai-ml:model:parameter:count"], vec!["456"]);
    assert_eq!(card_props["modelvet:parameter:count"], vec!["456"]);
    assert_eq!(
        card_props["cdx:ai-ml:model:hyperparameter:context_length"],
        vec!["64"]
    );
    // One comma-separated list of ISO 639-1 codes, as the taxonomy defines it.
    assert_eq!(card_props["cdx:ai-ml:model:languages"], vec!["en,fr"]);
    assert!(!card_props.contains_key("cdx:ai-ml:model:language"));
    assert_eq!(card_props["modelvet:template:chat:sha256"].len(), 1);
    // Nothing under cdx: that the taxonomy does not define.
    for name in card_props.keys().chain(props(model).keys()) {
        if let Some(rest) = name.strip_prefix("cdx:") {
            assert!(
                ["ai-ml:model:parameter:count", "ai-ml:model:languages",].contains(&rest)
                    || rest.starts_with("ai-ml:model:hyperparameter:")
                    || rest.starts_with("ai-ml:tokenizer:hyperparameter:"),
                "{name} is not in the cdx:ai-ml taxonomy"
            );
        }
    }
    assert_eq!(
        card_props["cdx:ai-ml:model:hyperparameter:rope_theta"],
        vec!["10000.0"]
    );
    assert!(
        doc.get("vulnerabilities").is_none(),
        "a clean model has none"
    );
}

#[test]
fn model_card_text_and_eval_results_reach_the_model_card() {
    let (doc, _) = bom_json(&[FULL_CARD]);
    let card = &model_of(&doc)["modelCard"];
    let metrics = card["quantitativeAnalysis"]["performanceMetrics"]
        .as_array()
        .expect("metrics from model-index");
    assert_eq!(metrics.len(), 3);
    assert_eq!(metrics[0]["type"], "accuracy");
    assert_eq!(metrics[0]["value"], "0.25");
    assert_eq!(metrics[0]["slice"], "Fixture QA (test)");
    let c = &card["considerations"];
    assert!(c["technicalLimitations"][0]
        .as_str()
        .unwrap()
        .contains("random numbers"));
    assert!(c["useCases"][0].as_str().unwrap().contains("Testing tools"));
    let p = props(&c["environmentalConsiderations"]);
    assert_eq!(p["modelvet:card:co2_eq_emissions_grams"], vec!["12.5"]);
}

#[test]
fn nothing_is_invented_for_a_bare_weight_file() {
    let (doc, out) = bom_json(&["testdata/fixtures/benign/numpy_float32.npy"]);
    assert_eq!(code(&out), 0);
    let model = model_of(&doc);
    assert_eq!(model["name"], "numpy_float32.npy");
    for absent in ["licenses", "purl", "version", "supplier", "pedigree"] {
        assert!(model.get(absent).is_none(), "{absent} was invented");
    }
    let card = &model["modelCard"];
    assert!(card.get("modelParameters").is_none());
    assert!(card.get("considerations").is_none());

    let out = bom(&[
        "testdata/fixtures/benign/numpy_float32.npy",
        "--completeness",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("[ ] License"), "{text}");
    assert!(text.contains("[ ] Model identifier"), "{text}");
    assert!(text.contains("[x] Hash value and algorithm"), "{text}");
    assert!(
        !text.contains("\"bomFormat\""),
        "the BOM went to stdout: {text}"
    );
}

#[test]
fn completeness_lists_what_a_full_card_provides() {
    let out = bom(&[FULL_CARD, "--completeness"]);
    let text = String::from_utf8_lossy(&out.stdout);
    for present in [
        "[x] Licence",
        "[x] Architecture and number of parameters",
        "[x] Maximum input size (context length)",
        "[x] Modality and format of inputs and outputs",
        "[x] Data used for training, testing and validation",
        "[x] Evaluation results (models with systemic risk only)",
        "[x] Dataset identity and provenance",
    ] {
        assert!(text.contains(present), "{present} missing in\n{text}");
    }
    // A local folder has no Hub identity: those stay missing.
    assert!(text.contains("[ ] Model identifier"), "{text}");
    assert!(text.contains("[ ] Producer"), "{text}");
    // Emissions are not energy, and a library name without its version is half an item.
    assert!(
        text.contains("[~] Known or estimated energy consumption"),
        "{text}"
    );
    assert!(text.contains("[~] Versions of relevant software"), "{text}");
}

/// The JSON listing (`--completeness --format json`) holds exactly the elements of the
/// tables in docs/completeness.md, in order, with their references; statuses and sources
/// are what the full card and a verified signature give.
#[test]
fn completeness_json_follows_the_documented_table() {
    let doc = fs::read_to_string(repo().join("docs/completeness.md")).unwrap();
    let mut tables: BTreeMap<String, Vec<(String, String, String)>> = BTreeMap::new();
    let mut current = String::new();
    for line in doc.lines() {
        if let Some(p) = line.strip_prefix("## `").and_then(|l| l.strip_suffix('`')) {
            current = p.to_string();
        } else if let Some(row) = line.strip_prefix("| `") {
            let cells: Vec<&str> = row.trim_end_matches('|').split(" | ").collect();
            tables.entry(current.clone()).or_default().push((
                cells[0].trim_end_matches('`').to_string(),
                cells[1].trim().to_string(),
                cells[2].trim().to_string(),
            ));
        }
    }
    assert_eq!(tables.len(), 3, "{tables:?}");

    let out = bom(&[FULL_CARD, "--completeness", "--format", "json"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let profiles = json["profiles"].as_array().unwrap();
    assert_eq!(profiles.len(), 3);
    for p in profiles {
        let listed: Vec<(String, String, String)> = p["elements"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                assert!(matches!(
                    e["status"].as_str(),
                    Some("present" | "partial" | "missing")
                ));
                assert_eq!(e["source"].is_null(), e["status"] == "missing", "{e}");
                (
                    e["id"].as_str().unwrap().to_string(),
                    e["label"].as_str().unwrap().to_string(),
                    e["reference"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        assert_eq!(
            &listed,
            &tables[p["profile"].as_str().unwrap()],
            "{}",
            p["profile"]
        );
    }
    let element = |profile: &str, id: &str| -> Value {
        profiles.iter().find(|p| p["profile"] == profile).unwrap()["elements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()
            .clone()
    };
    // Context length is an Annex XII item, not an Annex XI one; hashes and producer are
    // G7 items only.
    assert_eq!(
        element("eu-ai-act-annex-xii", "context-length")["status"],
        "present"
    );
    let xi: Vec<&str> = tables["eu-ai-act-annex-xi"]
        .iter()
        .map(|(id, _, _)| id.as_str())
        .collect();
    for not_xi in ["context-length", "hashes", "producer"] {
        assert!(!xi.contains(&not_xi), "{not_xi} is not an Annex XI item");
    }
    assert_eq!(element("eu-ai-act-annex-xi", "energy")["status"], "partial");
    assert_eq!(
        element("g7-sbom-for-ai", "metadata.signature")["status"],
        "missing"
    );
    // --format without --completeness is a usage error.
    assert_eq!(code(&bom(&[FULL_CARD, "--format", "json"])), 3);
}

#[test]
fn findings_become_vulnerabilities_affecting_their_file() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    fs::create_dir(&model).unwrap();
    fs::copy(
        fixture("malicious/evasion01_runpy_run_code.pkl"),
        model.join("evil.pkl"),
    )
    .unwrap();
    fs::copy(
        fixture("formats/st_tiny_pt.safetensors"),
        model.join("model.safetensors"),
    )
    .unwrap();
    fs::write(model.join("config.json"), "{\"model_type\": \"bert\"}\n").unwrap();
    let (doc, out) = bom_json(&[model.to_str().unwrap()]);
    assert_eq!(code(&out), 1, "a critical finding exits 1");
    let files = model_of(&doc)["components"].as_array().unwrap();
    let file_ref = |name: &str| {
        files.iter().find(|f| f["name"] == name).unwrap()["bom-ref"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let vulns = doc["vulnerabilities"].as_array().expect("vulnerabilities");
    assert!(!vulns.is_empty());
    for v in vulns {
        assert_eq!(v["affects"][0]["ref"], file_ref("evil.pkl"));
        assert_eq!(v["source"]["name"], "modelvet");
        assert!(v["id"].as_str().unwrap().starts_with("MV"));
        assert!(v["detail"].as_str().unwrap().contains("evil.pkl"));
        assert!(!v["recommendation"].as_str().unwrap().is_empty());
    }
    let critical = vulns
        .iter()
        .find(|v| v["ratings"][0]["severity"] == "critical")
        .expect("a critical rating");
    assert_eq!(critical["cwes"][0], 502);
    // The clean safetensors file is named nowhere in the vulnerabilities.
    let safe = file_ref("model.safetensors");
    assert!(vulns
        .iter()
        .all(|v| v["affects"][0]["ref"] != safe.as_str()));
    assert_eq!(
        props(
            files
                .iter()
                .find(|f| f["name"] == "model.safetensors")
                .unwrap()
        )["modelvet:scan:findings"],
        vec!["0"]
    );
}

#[test]
fn the_same_input_gives_the_same_bytes_and_the_serial_follows_the_content() {
    let a = bom(&[FULL_CARD]);
    let b = bom(&[FULL_CARD]);
    assert_eq!(a.stdout, b.stdout);
    let doc: Value = serde_json::from_slice(&a.stdout).unwrap();
    let serial = doc["serialNumber"].as_str().unwrap();
    assert!(
        serial.starts_with("urn:uuid:") && serial.len() == 45,
        "{serial}"
    );
    assert_eq!(doc["metadata"]["timestamp"], "2023-11-14T22:13:20Z");

    let later = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(["bom", FULL_CARD])
        .env("SOURCE_DATE_EPOCH", "1700000001")
        .current_dir(repo())
        .output()
        .unwrap();
    let later: Value = serde_json::from_slice(&later.stdout).unwrap();
    assert_ne!(later["serialNumber"], doc["serialNumber"]);
    // A name-based UUID (version 5, RFC 4122 variant).
    assert_eq!(&serial[23..24], "5", "{serial}");
    assert!(matches!(&serial[28..29], "8" | "9" | "a" | "b"), "{serial}");

    let bad = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(["bom", FULL_CARD])
        .env("SOURCE_DATE_EPOCH", "yesterday")
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(code(&bad), 3);
    assert!(String::from_utf8_lossy(&bad.stderr).contains("SOURCE_DATE_EPOCH"));
}

/// Regenerate with `MODELVET_UPDATE_GOLDEN=1 cargo test --test bom golden`.
#[test]
fn golden_bom_is_byte_for_byte_identical() {
    let golden = repo().join("testdata/golden/hf_model_card_full.cdx.json");
    let out = bom(&[FULL_CARD]);
    assert_eq!(code(&out), 0);
    if std::env::var_os("MODELVET_UPDATE_GOLDEN").is_some() {
        fs::create_dir_all(golden.parent().unwrap()).unwrap();
        fs::write(&golden, &out.stdout).unwrap();
    }
    let expected = fs::read(&golden).expect("golden BOM committed");
    assert!(
        expected == out.stdout,
        "the BOM differs from {}; if the change is intended, regenerate it (see this test's doc)",
        golden.display()
    );
    assert_valid(&[golden]);
}

/// A Hugging Face cache snapshot names its repository and commit: the BOM gets a purl,
/// a version and the Hub references without any network access.
#[test]
fn a_cache_snapshot_is_identified_as_its_hub_revision() {
    let dir = tempfile::tempdir().unwrap();
    let commit = "0123456789abcdef0123456789abcdef01234567";
    let snapshot = dir
        .path()
        .join("models--modelvet--tiny-llama-chat/snapshots")
        .join(commit);
    fs::create_dir_all(&snapshot).unwrap();
    for entry in fs::read_dir(repo().join(FULL_CARD)).unwrap() {
        let p = entry.unwrap().path();
        fs::copy(&p, snapshot.join(p.file_name().unwrap())).unwrap();
    }
    let (doc, out) = bom_json(&[snapshot.to_str().unwrap()]);
    assert_eq!(code(&out), 0);
    let model = model_of(&doc);
    assert_eq!(model["name"], "modelvet/tiny-llama-chat");
    assert_eq!(model["version"], commit);
    assert_eq!(
        model["purl"],
        format!("pkg:huggingface/modelvet/tiny-llama-chat@{commit}")
    );
    assert_eq!(model["supplier"]["name"], "modelvet");
    let kinds: Vec<&str> = model["externalReferences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["type"].as_str().unwrap())
        .collect();
    // The Hub's own links first, then the card's (repository, demo, paper, leaderboard).
    assert_eq!(
        kinds,
        [
            "vcs",
            "distribution",
            "model-card",
            "vcs",
            "website",
            "documentation",
            "quality-metrics"
        ]
    );
    assert_eq!(props(model)["modelvet:hub:source"], vec!["hf-cache"]);

    // A repository of GGUF quantisations (no config.json) is still one model.
    let snapshot = dir
        .path()
        .join("models--modelvet--tiny-gguf/snapshots")
        .join(commit);
    fs::create_dir_all(&snapshot).unwrap();
    for name in ["gguf_tiny_llama.gguf", "gguf_v2_tiny.gguf"] {
        fs::copy(fixture(&format!("formats/{name}")), snapshot.join(name)).unwrap();
    }
    let (doc, out) = bom_json(&[snapshot.to_str().unwrap()]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let model = model_of(&doc);
    assert_eq!(model["type"], "machine-learning-model");
    assert_eq!(model["name"], "modelvet/tiny-gguf");
    assert_eq!(model["components"].as_array().unwrap().len(), 2);
    let models = doc["components"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["type"] == "machine-learning-model")
        .count();
    assert_eq!(models, 1, "no second model");
    // metadata.component names the same model, with the same identity and root digest.
    let subject = &doc["metadata"]["component"];
    assert_eq!(subject["purl"], model["purl"]);
    assert_eq!(subject["hashes"], model["hashes"]);
}

const ED25519_KEY: &str = "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEINTuctv5E1hK1bbY8fdp+K06/nwoy/HU++CXqI9EdVhC\n-----END PRIVATE KEY-----\n";
const ED25519_PUB: &str = "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuE=\n-----END PUBLIC KEY-----\n";

#[test]
fn a_signed_model_carries_the_verification_as_properties_and_a_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model");
    fs::create_dir(&model).unwrap();
    for entry in fs::read_dir(repo().join("testdata/fixtures/formats/hf_sharded_ok")).unwrap() {
        let p = entry.unwrap().path();
        fs::copy(&p, model.join(p.file_name().unwrap())).unwrap();
    }
    let key = dir.path().join("key.pem");
    let public = dir.path().join("pub.pem");
    fs::write(&key, ED25519_KEY).unwrap();
    fs::write(&public, ED25519_PUB).unwrap();
    let signed = common::modelvet(&[
        "sign",
        model.to_str().unwrap(),
        "--key",
        key.to_str().unwrap(),
    ]);
    assert_eq!(
        code(&signed),
        0,
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );

    let out_path = dir.path().join("signed.cdx.json");
    let out = bom(&[
        model.to_str().unwrap(),
        "--key",
        public.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_str(&fs::read_to_string(&out_path).unwrap()).unwrap();
    let model_c = model_of(&doc);
    let p = props(model_c);
    assert_eq!(p["modelvet:signature:status"], vec!["verified"]);
    assert_eq!(p["modelvet:signature:method"], vec!["ed25519-key"]);
    assert!(p.contains_key("modelvet:signature:key-sha256"));
    let claim = &doc["declarations"]["claims"][0];
    assert_eq!(claim["target"], model_c["bom-ref"]);
    assert_eq!(claim["predicate"], "All files match the signed manifest");
    assert_eq!(
        claim["evidence"][0],
        doc["declarations"]["evidence"][0]["bom-ref"]
    );
    let evidence: Value = serde_json::from_str(
        doc["declarations"]["evidence"][0]["data"][0]["contents"]["attachment"]["content"]
            .as_str()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(evidence["status"], "verified");
    // One pass: every file's SHA-256 came from the scan's read, none was read again.
    let files_on_disk = fs::read_dir(&model).unwrap().count() - 1; // model.sig is left out
    assert!(
        evidence["checks"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c.as_str().unwrap()
                == format!("{files_on_disk} file digest(s) taken from the scan's own read of the same bytes")),
        "{evidence:#}"
    );

    // Change a byte: the declaration turns into counter-evidence and the exit code into 1.
    let shard = model.join("model-00001-of-00002.safetensors");
    let mut bytes = fs::read(&shard).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    fs::write(&shard, bytes).unwrap();
    let tampered = dir.path().join("tampered.cdx.json");
    let out = bom(&[
        model.to_str().unwrap(),
        "--key",
        public.to_str().unwrap(),
        "--spec",
        "1.7",
        "-o",
        tampered.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 1);
    let doc2: Value = serde_json::from_str(&fs::read_to_string(&tampered).unwrap()).unwrap();
    let p = props(model_of(&doc2));
    assert_eq!(p["modelvet:signature:status"], vec!["failed"]);
    assert_eq!(
        p["modelvet:signature:file-changed"],
        vec!["model-00001-of-00002.safetensors"]
    );
    assert!(doc2["declarations"]["claims"][0].get("evidence").is_none());
    assert_eq!(
        doc2["declarations"]["attestations"][0]["map"][0]["conformance"]["score"],
        0.0
    );
    assert_valid(&[out_path, tampered]);
}

#[test]
fn usage_errors_exit_3() {
    let out = bom(&["testdata/does-not-exist"]);
    assert_eq!(code(&out), 3);
    let out = bom(&[FULL_CARD, "--spec", "1.5"]);
    assert_eq!(code(&out), 3);
}

/// `bom hf://...`: the revision is vetted over range reads (nothing downloaded), and the
/// BOM carries the commit, the purl, the Hub's LFS SHA-256 for files it did not read whole
/// (marked as such), computed SHA-256 for the ones it did, and the findings.
#[test]
fn a_hub_revision_gets_a_bom_without_downloading_it() {
    use hub_server::{FixtureRepo, HubServer};
    let card = repo().join(FULL_CARD);
    let weights = fs::read(fixture("formats/st_tiny_pt.safetensors")).unwrap();
    let evil = fs::read(fixture("malicious/evasion01_runpy_run_code.pkl")).unwrap();
    let fixture_repo = FixtureRepo::model("modelvet/tiny-llama-chat")
        .file("README.md", fs::read(card.join("README.md")).unwrap())
        .file("config.json", fs::read(card.join("config.json")).unwrap())
        .lfs("model.safetensors", weights.clone())
        .lfs("extra/optimizer.pkl", evil)
        .sparse_lfs("big.safetensors", hub_server::sparse_safetensors(64 << 20));
    let big_sha256 = fixture_repo_sha256(&fixture_repo, "big.safetensors");
    let commit = fixture_repo.commit();
    let server = HubServer::start(vec![fixture_repo]);
    let home = tempfile::tempdir().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let out_path = dir.path().join("hub.cdx.json");
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args([
            "bom",
            "hf://modelvet/tiny-llama-chat@main",
            "-o",
            out_path.to_str().unwrap(),
        ])
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .env("HF_ENDPOINT", &server.endpoint)
        .env("HF_HOME", home.path())
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_OFFLINE")
        .output()
        .unwrap();
    assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_str(&fs::read_to_string(&out_path).unwrap()).unwrap();
    let model = model_of(&doc);
    assert_eq!(model["name"], "modelvet/tiny-llama-chat");
    assert_eq!(model["version"], commit.as_str());
    let purl = model["purl"].as_str().unwrap();
    assert!(
        purl.starts_with(&format!(
            "pkg:huggingface/modelvet/tiny-llama-chat@{commit}?repository_url="
        )),
        "a mirror endpoint is named in the purl: {purl}"
    );
    assert_eq!(props(model)["modelvet:hub:revision"], vec!["main"]);
    let files = model["components"].as_array().unwrap();
    let file = |name: &str| files.iter().find(|f| f["name"] == name).expect(name);
    let st = file("model.safetensors");
    assert_eq!(
        st["hashes"][0]["content"],
        hex::encode(Sha256::digest(&weights))
    );
    assert_eq!(
        props(st)["modelvet:hash:source"],
        vec!["computed"],
        "read whole: small"
    );
    let big = file("big.safetensors");
    assert_eq!(big["hashes"][0]["content"], big_sha256.as_str());
    assert_eq!(
        props(big)["modelvet:hash:source"],
        vec!["hub-lfs"],
        "64 MiB read through its header only: the hash is the Hub's"
    );
    let cfg = file("config.json");
    assert_eq!(
        cfg["hashes"][0]["content"],
        sha256_file(&card.join("config.json"))
    );
    assert!(props(cfg).contains_key("modelvet:hub:git-blob-sha1"));
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    assert!(vulns
        .iter()
        .all(|v| v["affects"][0]["ref"] == file("extra/optimizer.pkl")["bom-ref"]));
    let meta = props(&doc["metadata"]);
    assert!(meta.contains_key("modelvet:remote:bytes-read"));
    assert_eq!(model["licenses"][0]["license"]["id"], "Apache-2.0");
    assert_valid(&[out_path]);

    // Signature checks need the files.
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(["bom", "hf://modelvet/tiny-llama-chat", "--key", "pub.pem"])
        .env("HF_ENDPOINT", &server.endpoint)
        .output()
        .unwrap();
    assert_eq!(code(&out), 3);
    // A repository that is not there: no BOM, exit 2.
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(["bom", "hf://modelvet/absent"])
        .env("HF_ENDPOINT", &server.endpoint)
        .env("HF_HOME", home.path())
        .env_remove("HF_TOKEN")
        .output()
        .unwrap();
    assert_eq!(code(&out), 2);
    assert!(out.stdout.is_empty());
}

fn fixture_repo_sha256(repo: &hub_server::FixtureRepo, path: &str) -> String {
    repo.files.get(path).expect("fixture file").sha256()
}

#[test]
fn a_folder_named_four_ways_gives_the_same_bytes_and_no_local_path() {
    // Four models (three folders and a single pickle) and a loose file: the collection, its
    // refs, names and the findings' locations all come from the folder, however it is
    // spelled.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("m");
    for (from, to) in [
        ("formats/hf_sharded_ok", "llm"),
        ("formats/hf_model_card_full", "card"),
        ("formats/hf_remote_code", "code"),
    ] {
        fs::create_dir_all(root.join(to)).unwrap();
        for e in fs::read_dir(fixture(from)).unwrap() {
            let e = e.unwrap();
            fs::copy(e.path(), root.join(to).join(e.file_name())).unwrap();
        }
    }
    fs::copy(fixture("benign/plain_types_p4.pkl"), root.join("extra.pkl")).unwrap();
    fs::write(root.join("notes.txt"), "not a model\n").unwrap();
    let run = |cwd: &Path, input: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
            .args(["bom", input])
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .current_dir(cwd)
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(1),
            "the remote code is a finding; {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let absolute = root.display().to_string();
    let spelled = [
        run(dir.path(), "m"),
        run(dir.path(), "./m/"),
        run(Path::new("/"), &absolute),
        run(&root, "."),
    ];
    for other in &spelled[1..] {
        assert!(
            other == &spelled[0],
            "a spelling of the input changed the BOM"
        );
    }
    let text = String::from_utf8(spelled[0].clone()).unwrap();
    assert!(!text.contains(&absolute) && !text.contains(&*dir.path().to_string_lossy()));
    let doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["metadata"]["component"]["name"], "m");
    let details: Vec<&str> = doc["vulnerabilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.iter().any(|d| d.contains(" in code/config.json ")),
        "{details:?}"
    );
    assert!(
        text.contains("\"model:extra.pkl/extra.pkl\""),
        "the single-file model is named from the folder"
    );
    assert!(
        text.contains("\"file:notes.txt\""),
        "a loose file is named from the folder"
    );

    // Every component with a bom-ref has a dependencies entry; leaves have an empty one.
    let mut refs = Vec::new();
    for c in doc["components"].as_array().unwrap() {
        all_bom_refs(c, &mut refs);
    }
    let deps = doc["dependencies"].as_array().unwrap();
    for r in &refs {
        assert!(
            deps.iter().any(|d| d["ref"] == *r.as_str()),
            "no dependencies entry for {r}"
        );
    }
    for leaf in ["model:extra.pkl/extra.pkl", "file:notes.txt"] {
        let entry = deps.iter().find(|d| d["ref"] == leaf).unwrap();
        assert_eq!(entry["dependsOn"], serde_json::json!([]), "{leaf}");
    }
    assert_valid(&[write_temp(&text)]);
}

fn write_temp(text: &str) -> PathBuf {
    let f = tempfile::Builder::new()
        .suffix(".cdx.json")
        .tempfile()
        .unwrap();
    let (_, path) = f.keep().unwrap();
    fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_model_is_a_component_hashed_with_the_root_digest_model_signing_computes() {
    let (doc, _) = bom_json(&[FULL_CARD]);
    let model = model_of(&doc);
    let hash = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(["hash", FULL_CARD])
        .current_dir(repo())
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&hash.stdout);
    let root = text
        .lines()
        .find_map(|l| l.strip_prefix("sha256:"))
        .and_then(|l| l.split_whitespace().next())
        .expect("modelvet hash prints the root digest");
    assert_eq!(model["hashes"][0]["alg"], "SHA-256");
    assert_eq!(model["hashes"][0]["content"], root);
    assert_eq!(doc["metadata"]["component"]["hashes"], model["hashes"]);
    assert_ne!(doc["metadata"]["component"]["bom-ref"], model["bom-ref"]);
    let composition = &doc["compositions"][0];
    assert_eq!(composition["aggregate"], "complete");
    assert_eq!(
        composition["assemblies"],
        serde_json::json!([model["bom-ref"]])
    );
}

#[test]
fn the_javascript_validator_rejects_a_broken_bom() {
    let Some(modules) = std::env::var_os("MODELVET_NODE_MODULES") else {
        eprintln!(
            "skipped: MODELVET_NODE_MODULES is not set (scripts/test.sh sets it when npm is there)"
        );
        return;
    };
    let (mut doc, _) = bom_json(&[FULL_CARD]);
    doc["components"][0]["type"] = Value::from("modelz");
    let path = write_temp(&doc.to_string());
    let out = Command::new("node")
        .arg(repo().join("testdata/validate_cyclonedx.mjs"))
        .arg(&path)
        .env("NODE_PATH", &modules)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("INVALID"));
}

#[test]
fn an_in_house_model_gets_the_facts_the_user_declares_marked_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("m");
    fs::create_dir(&model).unwrap();
    for e in fs::read_dir(fixture("formats/hf_sharded_ok")).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), model.join(e.file_name())).unwrap();
    }
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_modelvet"))
            .arg("bom")
            .args(args)
            .env("SOURCE_DATE_EPOCH", EPOCH)
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    // From the configuration's [bom], with the command line winning for the version.
    fs::write(
        dir.path().join("modelvet.toml"),
        "[bom]\nname = \"acme-llm\"\nversion = \"1.0.0\"\nsupplier = \"ACME Corp\"\npurl = \"pkg:generic/acme/acme-llm@2.1.0\"\nrelease_date = \"2026-11-30\"\n",
    )
    .unwrap();
    let out = run(&["m", "--version", "2.1.0"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let m = model_of(&doc);
    assert_eq!(m["name"], "acme-llm");
    assert_eq!(m["version"], "2.1.0");
    assert_eq!(m["supplier"]["name"], "ACME Corp");
    assert_eq!(m["purl"], "pkg:generic/acme/acme-llm@2.1.0");
    let p = props(m);
    assert_eq!(p["modelvet:release-date"], vec!["2026-11-30"]);
    assert_eq!(
        p["modelvet:declared-by-user"],
        vec!["name,version,supplier,purl,release-date"]
    );
    assert_eq!(doc["metadata"]["component"]["purl"], m["purl"]);
    let path = write_temp(&String::from_utf8_lossy(&out.stdout));
    assert_valid(&[path]);

    // The completeness listing says where each value came from.
    let out = run(&["m", "--completeness", "--format", "json"]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let g7 = &json["profiles"][0]["elements"];
    let version = g7
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "model.version")
        .unwrap();
    assert_eq!(version["status"], "present");
    assert_eq!(version["source"], "declared by the user");

    // Nothing declared, nothing marked.
    let out = run(&["m", "--no-config"]);
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(!props(model_of(&doc)).contains_key("modelvet:declared-by-user"));

    // Values that are not what they claim are usage errors.
    for bad in [
        &["m", "--no-config", "--purl", "acme-llm"][..],
        &["m", "--no-config", "--release-date", "30/11/2026"],
        &["m", "--no-config", "--name", " "],
    ] {
        assert_eq!(code(&run(bad)), 3, "{bad:?}");
    }
    fs::write(dir.path().join("modelvet.toml"), "[bom]\nowner = \"x\"\n").unwrap();
    assert_eq!(code(&run(&["m"])), 3, "an unknown [bom] key is an error");
}

#[test]
fn a_trainer_written_card_gives_hyperparameters_and_framework_versions() {
    // README.md written by transformers' own TrainingSummary (testdata/gen_formats.py).
    let (doc, out) = bom_json(&["testdata/fixtures/formats/hf_trainer_card"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let card_props = props(&model_of(&doc)["modelCard"]);
    assert_eq!(
        card_props["modelvet:card:training:learning_rate"],
        vec!["2e-05"]
    );
    assert_eq!(card_props["modelvet:card:training:num_epochs"], vec!["1"]);
    assert_eq!(
        card_props["modelvet:card:framework_version"],
        vec!["Transformers 5.25.0", "Tokenizers 0.23.3"]
    );
    // The Trainer's "More information needed" sections are placeholders, not content.
    assert!(!card_props.contains_key("modelvet:card:training_data"));
    let path = write_temp(&doc.to_string());
    assert_valid(&[path]);

    let out = bom(&[
        "testdata/fixtures/formats/hf_trainer_card",
        "--completeness",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let status = |profile: &str, id: &str| -> String {
        json["profiles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|p| p["profile"] == profile)
            .unwrap()["elements"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["id"] == id)
            .unwrap()["status"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        status("eu-ai-act-annex-xii", "software-versions"),
        "present"
    );
    assert_eq!(status("eu-ai-act-annex-xi", "design-training"), "partial");
    assert_eq!(status("eu-ai-act-annex-xi", "compute"), "missing");
    // The full card states hardware (partial compute) but no framework versions.
    let out = bom(&[FULL_CARD, "--completeness", "--format", "json"]);
    let full: Value = serde_json::from_slice(&out.stdout).unwrap();
    let xii = &full["profiles"][2]["elements"];
    let software = xii
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "software-versions")
        .unwrap();
    assert_eq!(software["status"], "partial");
}

/// The parameter count of the float model the quantized folders were made from
/// (testdata/gen_lineage.py, TRUE_PARAMETERS).
const TINY_LLAMA_PARAMETERS: &str = "45248";

#[test]
fn quantized_checkpoints_count_the_weights_not_their_packed_storage() {
    // (folder, quantization, how the count was unpacked)
    let cases = [
        (
            "hf_gptq_4bit",
            "gptq 4-bit",
            "4-bit weights packed 8 to an I32 qweight word",
        ),
        (
            "hf_awq_4bit",
            "awq 4-bit",
            "4-bit weights packed 8 to an I32 qweight word",
        ),
        (
            "hf_bnb_nf4",
            "bitsandbytes 4-bit nf4",
            "bitsandbytes 4-bit weights packed two to a byte",
        ),
    ];
    let mut written = Vec::new();
    for (folder, quantization, method) in cases {
        let (doc, out) = bom_json(&[&format!("testdata/fixtures/formats/{folder}")]);
        assert_eq!(
            code(&out),
            0,
            "{folder}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let card = props(&model_of(&doc)["modelCard"]);
        assert_eq!(
            card["modelvet:parameter:count"],
            vec![TINY_LLAMA_PARAMETERS],
            "{folder}"
        );
        assert_eq!(card["cdx:ai-ml:model:parameter:count"], vec!["45248"]);
        assert_eq!(
            card["cdx:ai-ml:model:hyperparameter:quantization"],
            vec![quantization],
            "{folder}"
        );
        assert!(
            card["modelvet:parameter:count:method"][0].starts_with(method),
            "{folder}: {:?}",
            card["modelvet:parameter:count:method"]
        );
        written.push(write_temp(&doc.to_string()));
    }
    assert_valid(&written);

    // The packed words without the config that states their width: no count at all,
    // rather than the 11,360 stored elements.
    let (doc, _) = bom_json(&["testdata/fixtures/formats/hf_gptq_no_config"]);
    let card = props(&model_of(&doc)["modelCard"]);
    assert!(!card.contains_key("modelvet:parameter:count"), "{card:?}");
    assert!(!card.contains_key("cdx:ai-ml:model:parameter:count"));

    // GGUF counts its tensors' logical dimensions whatever the quant type.
    let (doc, _) = bom_json(&["testdata/fixtures/formats/gguf_base_models.gguf"]);
    let card = props(&model_of(&doc)["modelCard"]);
    assert_eq!(card["modelvet:parameter:count"], vec!["4160"]);
    assert_eq!(
        card["cdx:ai-ml:model:hyperparameter:quantization"],
        vec!["MOSTLY_Q4_0"]
    );
}

/// An ancestor's name, purl and properties.
type AncestorSeen = (String, Option<String>, BTreeMap<String, Vec<String>>);

fn ancestors(model: &Value) -> Vec<AncestorSeen> {
    model["pedigree"]["ancestors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|a| {
            (
                a["name"].as_str().unwrap().to_string(),
                a["purl"].as_str().map(str::to_string),
                props(a),
            )
        })
        .collect()
}

#[test]
fn lineage_comes_from_the_card_the_adapter_config_and_gguf_metadata() {
    // A LoRA adapter whose card and adapter_config.json name the same base: one ancestor,
    // an adapter of it, named by both; the tune method is the taxonomy's `lora`.
    let (doc, out) = bom_json(&["testdata/fixtures/formats/hf_peft_lora"]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let model = model_of(&doc);
    let found = ancestors(model);
    assert_eq!(found.len(), 1, "{found:?}");
    let (name, purl, p) = &found[0];
    assert_eq!(name, "modelvet/tiny-llama");
    assert_eq!(purl.as_deref(), Some("pkg:huggingface/modelvet/tiny-llama"));
    assert_eq!(p["modelvet:base_model:relation"], vec!["adapter"]);
    assert_eq!(
        p["modelvet:base_model:source"],
        vec!["model-card,adapter_config.json"]
    );
    let model_props = props(model);
    assert_eq!(
        model_props["cdx:ai-ml:model:parameter:tune_methods"],
        vec!["lora"]
    );
    assert_eq!(model_props["modelvet:layout"], vec!["peft-adapter"]);
    // lora_A and lora_B of q_proj and v_proj: 4 x 8 x 64.
    assert_eq!(
        props(&model["modelCard"])["modelvet:parameter:count"],
        vec!["2048"]
    );

    // A pinned commit in adapter_config.json becomes the purl's version.
    let (doc, _) = bom_json(&["testdata/fixtures/formats/hf_peft_ia3_pinned"]);
    let found = ancestors(model_of(&doc));
    assert_eq!(
        found[0].1.as_deref(),
        Some("pkg:huggingface/meta-llama/Llama-3.2-1B@4e20de362430cd3b72f300e6b0f18e50e7166e08")
    );
    assert_eq!(
        props(model_of(&doc))["cdx:ai-ml:model:parameter:tune_methods"],
        vec!["adapter"]
    );

    // GGUF general.base_model.*: a Hub repo_url gives a purl; a name alone stays a name,
    // with its version.
    let (doc, _) = bom_json(&["testdata/fixtures/formats/gguf_base_models.gguf"]);
    let model = model_of(&doc);
    let found = ancestors(model);
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, "modelvet/tiny-llama");
    assert_eq!(found[0].2["modelvet:base_model:source"], vec!["gguf"]);
    assert!(!found[0].2.contains_key("modelvet:base_model:relation"));
    assert_eq!(found[1].0, "In-house Llama");
    assert_eq!(found[1].1, None);
    assert_eq!(model["pedigree"]["ancestors"][1]["version"], "2.1");

    let written: Vec<PathBuf> = [
        "testdata/fixtures/formats/hf_peft_lora",
        "testdata/fixtures/formats/gguf_base_models.gguf",
    ]
    .iter()
    .map(|input| write_temp(&bom_json(&[input]).0.to_string()))
    .collect();
    assert_valid(&written);

    // The adapter's method is part of the Annex XI design and training element.
    let out = bom(&[
        "testdata/fixtures/formats/hf_peft_lora",
        "--completeness",
        "--format",
        "json",
    ]);
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    let design = json["profiles"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|p| p["elements"].as_array().unwrap())
        .find(|e| e["id"] == "design-training")
        .unwrap();
    assert_eq!(design["status"], "partial");
    assert_eq!(design["source"], "adapter_config.json");
}

#[test]
fn the_cards_description_links_metric_sources_and_emissions_use_native_fields() {
    let model_in = |spec: &str| {
        let (doc, out) = bom_json(&[FULL_CARD, "--spec", spec]);
        assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
        model_of(&doc).clone()
    };
    let m = model_in("1.7");
    // The text under the card's title.
    assert_eq!(
        m["description"],
        "A 1-layer, 8-wide chat model for modelvet's fixtures. Random weights."
    );
    let refs: Vec<(String, String, String)> = m["externalReferences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["type"].as_str().unwrap().to_string(),
                r["url"].as_str().unwrap().to_string(),
                r["comment"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let has = |kind: &str, url: &str| refs.iter().any(|(k, u, _)| k == kind && u == url);
    assert!(
        has("vcs", "https://github.com/modelvet/tiny-llama-chat"),
        "{refs:?}"
    );
    assert!(has(
        "website",
        "https://huggingface.co/spaces/modelvet/tiny-llama-chat-demo"
    ));
    assert!(has("citation", "https://arxiv.org/abs/1910.09700"));
    assert!(has(
        "quality-metrics",
        "https://huggingface.co/spaces/modelvet/fixture-leaderboard"
    ));
    // "Paper [optional]: [More Information Needed]" is a placeholder, not a link.
    assert!(!refs.iter().any(|(_, u, _)| u.contains("More Information")));
    // 1.6 has no citation type: the paper is documentation there.
    let m16 = model_in("1.6");
    assert!(m16["externalReferences"]
        .as_array()
        .unwrap()
        .iter()
        .any(|r| r["type"] == "documentation" && r["url"] == "https://arxiv.org/abs/1910.09700"));
    // A metric's name follows its type when it says more.
    let metrics = &m["modelCard"]["quantitativeAnalysis"]["performanceMetrics"];
    assert_eq!(metrics[0]["type"], "accuracy");
    assert_eq!(metrics[2]["type"], "acc_norm (normalized accuracy)");
    // Emissions sit in environmentalConsiderations, not among the card's properties.
    let env = props(&m["modelCard"]["considerations"]["environmentalConsiderations"]);
    assert_eq!(env["modelvet:card:co2_eq_emissions_grams"], vec!["12.5"]);
    assert_eq!(
        env["modelvet:card:co2_eq_emissions:geographical_location"],
        vec!["Frankfurt, Germany"]
    );
    assert!(!props(&m["modelCard"]).contains_key("modelvet:card:co2_eq_emissions_grams"));
    let written = ["1.6", "1.7"]
        .iter()
        .map(|spec| write_temp(&bom_json(&[FULL_CARD, "--spec", spec]).0.to_string()))
        .collect::<Vec<_>>();
    assert_valid(&written);
}

#[test]
fn findings_are_also_a_vex_document_that_points_into_the_bom() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for spec in ["1.6", "1.7"] {
        let bom_path = dir.path().join(format!("bom-{spec}.cdx.json"));
        let vex_path = dir.path().join(format!("vex-{spec}.cdx.json"));
        let out = bom(&[
            "testdata/fixtures/formats/hf_remote_code",
            "--spec",
            spec,
            "-o",
            bom_path.to_str().unwrap(),
            "--vex",
            vex_path.to_str().unwrap(),
        ]);
        assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
        let main: Value = serde_json::from_slice(&fs::read(&bom_path).unwrap()).unwrap();
        let vex: Value = serde_json::from_slice(&fs::read(&vex_path).unwrap()).unwrap();
        let serial = main["serialNumber"].as_str().unwrap();
        let uuid = serial.strip_prefix("urn:uuid:").unwrap();
        assert_ne!(vex["serialNumber"], main["serialNumber"]);
        assert_eq!(vex["metadata"]["component"]["name"], "hf_remote_code");
        let statements = vex["vulnerabilities"].as_array().unwrap();
        let findings = main["vulnerabilities"].as_array().unwrap();
        assert_eq!(statements.len(), findings.len());
        assert!(statements.len() >= 2, "MV1001 and MV1002 at least");
        // Each statement is the BOM's finding, affecting the same component by BOM-Link.
        for (s, f) in statements.iter().zip(findings) {
            assert_eq!(s["id"], f["id"]);
            assert_eq!(s["analysis"]["state"], "in_triage");
            let link = s["affects"][0]["ref"].as_str().unwrap();
            let fragment = link
                .strip_prefix(&format!("urn:cdx:{uuid}/1#"))
                .unwrap_or_else(|| panic!("{link} is not a BOM-Link into {serial}"));
            assert_eq!(fragment, f["affects"][0]["ref"].as_str().unwrap());
        }
        written.push(vex_path);
    }
    assert_valid(&written);
}

/// Runs testdata/interop/bom_signature_tool.py (sigstore-models + cryptography).
fn bom_signature_tool(python: &Path, args: &[&Path]) -> Output {
    Command::new(python)
        .arg(repo().join("testdata/interop/bom_signature_tool.py"))
        .args(args)
        .output()
        .expect("the independent BOM signature tool runs")
}

#[test]
fn a_signed_bom_verifies_here_and_independently_and_a_changed_byte_fails() {
    let dir = tempfile::tempdir().unwrap();
    let key = dir.path().join("key.pem");
    let public = dir.path().join("key.pub");
    fs::write(&key, ED25519_KEY).unwrap();
    fs::write(&public, ED25519_PUB).unwrap();
    let bom_path = dir.path().join("bom.cdx.json");
    let out = bom(&[
        FULL_CARD,
        "-o",
        bom_path.to_str().unwrap(),
        "--sign-key",
        key.to_str().unwrap(),
        "--completeness",
        "--format",
        "json",
    ]);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stderr));
    let bundle = dir.path().join("bom.cdx.json.sigstore.json");
    assert!(bundle.exists());
    // The BOM says how it is signed, and the G7 author signature is now present.
    let doc: Value = serde_json::from_slice(&fs::read(&bom_path).unwrap()).unwrap();
    let meta = props(&doc["metadata"]);
    assert_eq!(
        meta["modelvet:bom-signature:bundle"],
        vec!["bom.cdx.json.sigstore.json"]
    );
    assert_eq!(meta["modelvet:bom-signature:key-type"], vec!["Ed25519"]);
    let completeness: Value = serde_json::from_slice(&out.stdout).unwrap();
    let signature = completeness["profiles"][0]["elements"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "metadata.signature")
        .unwrap();
    assert_eq!(signature["status"], "present");
    assert_eq!(signature["source"], "bom --sign-key");
    assert_valid(std::slice::from_ref(&bom_path));

    let verify = |bom: &Path, sig: &Path, key: &Path| {
        Command::new(env!("CARGO_BIN_EXE_modelvet"))
            .args(["verify-bom", bom.to_str().unwrap(), "--key"])
            .arg(key)
            .arg("--signature")
            .arg(sig)
            .output()
            .unwrap()
    };
    let out = verify(&bom_path, &bundle, &public);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));

    // Any changed byte, even trailing whitespace, fails; so does another key.
    let changed = dir.path().join("changed.cdx.json");
    let mut bytes = fs::read(&bom_path).unwrap();
    bytes.push(b'\n');
    fs::write(&changed, &bytes).unwrap();
    let out = verify(&changed, &bundle, &public);
    assert_eq!(code(&out), 1);
    assert!(String::from_utf8_lossy(&out.stdout).contains("changed after signing"));
    let other = dir.path().join("other.pub");
    fs::write(
        &other,
        "-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAGb9ECWmEzf6FQbrBZ9w7lshQhqowtrbLDFw4rXAxZuI=\n-----END PUBLIC KEY-----\n",
    )
    .unwrap();
    assert_eq!(code(&verify(&bom_path, &bundle, &other)), 1);
    assert_eq!(
        code(&verify(&bom_path, &dir.path().join("absent.sig"), &public)),
        3
    );

    // An independent implementation (sigstore-models, cryptography) checks ours, and
    // modelvet checks one it made with an ECDSA key.
    let Some(python) = python() else {
        return;
    };
    let out = bom_signature_tool(&python, &[Path::new("verify"), &bom_path, &bundle, &public]);
    assert!(
        out.status.success(),
        "the independent verifier refused: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = bom_signature_tool(&python, &[Path::new("verify"), &changed, &bundle, &public]);
    assert!(!out.status.success(), "a changed BOM must be refused");
    let ec_key = dir.path().join("ec.pem");
    let ec_pub = dir.path().join("ec.pub");
    let out = Command::new(&python)
        .arg(repo().join("testdata/interop/model_signing_tool.py"))
        .args(["keygen", "p256"])
        .args([&ec_key, &ec_pub])
        .output()
        .unwrap();
    assert!(out.status.success());
    let theirs = dir.path().join("theirs.sigstore.json");
    let out = bom_signature_tool(&python, &[Path::new("sign"), &bom_path, &theirs, &ec_key]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = verify(&bom_path, &theirs, &ec_pub);
    assert_eq!(code(&out), 0, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(code(&verify(&changed, &theirs, &ec_pub)), 1);
    // And ours, made with the ECDSA key, verifies there too.
    let ours = dir.path().join("ours-ec.cdx.json");
    let out = bom(&[
        FULL_CARD,
        "-o",
        ours.to_str().unwrap(),
        "--sign-key",
        ec_key.to_str().unwrap(),
    ]);
    assert_eq!(code(&out), 0);
    let ours_bundle = dir.path().join("ours-ec.cdx.json.sigstore.json");
    let out = bom_signature_tool(
        &python,
        &[Path::new("verify"), &ours, &ours_bundle, &ec_pub],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Validates SPDX 3.0.1 documents with spdx3-validate (JSON schema and SHACL) through
/// testdata/validate_spdx3.py, which serves it the vendored SPDX files.
fn assert_valid_spdx(python: &Path, paths: &[PathBuf]) {
    let out = Command::new(python)
        .arg(repo().join("testdata/validate_spdx3.py"))
        .args(paths)
        .output()
        .expect("the SPDX validator runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "spdx3-validate rejected a document:\n{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        text.lines()
            .filter(|l| l.ends_with(": valid SPDX 3.0.1"))
            .count(),
        paths.len(),
        "{text}"
    );
}

fn spdx_nodes<'a>(doc: &'a Value, kind: &str) -> Vec<&'a Value> {
    doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["type"] == kind)
        .collect()
}

/// The relationships of one type from `from`: their `to` ids.
fn spdx_related(doc: &Value, from: &str, kind: &str) -> Vec<String> {
    spdx_nodes(doc, "Relationship")
        .into_iter()
        .filter(|r| r["from"] == from && r["relationshipType"] == kind)
        .flat_map(|r| r["to"].as_array().unwrap().iter())
        .map(|t| t.as_str().unwrap().to_string())
        .collect()
}

fn spdx_by_id<'a>(doc: &'a Value, id: &str) -> &'a Value {
    doc["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["spdxId"] == id)
        .unwrap_or_else(|| panic!("{id} is not in the graph"))
}

#[test]
fn spdx_3_output_validates_and_says_what_the_cyclonedx_bom_says() {
    let dir = tempfile::tempdir().unwrap();
    let inputs = [
        FULL_CARD,
        "testdata/fixtures/formats/hf_remote_code",
        "testdata/fixtures/formats/hf_peft_lora",
        "testdata/fixtures/formats/gguf_base_models.gguf",
    ];
    let mut written = Vec::new();
    for (i, input) in inputs.iter().enumerate() {
        let path = dir.path().join(format!("doc-{i}.spdx.json"));
        let out = bom(&[input, "--spdx", "-o", path.to_str().unwrap()]);
        assert!(
            matches!(code(&out), 0 | 1),
            "{input}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        written.push(path);
    }
    let read = |p: &Path| -> Value { serde_json::from_slice(&fs::read(p).unwrap()).unwrap() };

    // The full card: one AI package with the CycloneDX model's facts.
    let doc = read(&written[0]);
    assert_eq!(
        doc["@context"],
        "https://spdx.org/rdf/3.0.1/spdx-context.jsonld"
    );
    let (cdx, _) = bom_json(&[FULL_CARD]);
    let cdx_model = model_of(&cdx);
    let model = spdx_nodes(&doc, "ai_AIPackage")
        .into_iter()
        .find(|p| p["name"] == cdx_model["name"])
        .expect("the model is an ai_AIPackage");
    assert_eq!(model["software_primaryPurpose"], "model");
    assert_eq!(
        model["verifiedUsing"][0]["hashValue"],
        cdx_model["hashes"][0]["content"]
    );
    assert_eq!(model["description"], cdx_model["description"]);
    assert_eq!(model["ai_domain"][0], "text-generation");
    let id = model["spdxId"].as_str().unwrap();
    // Files: the same set, with the same SHA-256.
    let files = spdx_related(&doc, id, "contains");
    let cdx_files = cdx_model["components"].as_array().unwrap();
    assert_eq!(files.len(), cdx_files.len());
    for f in &files {
        let node = spdx_by_id(&doc, f);
        let same = cdx_files
            .iter()
            .find(|c| c["name"] == node["name"])
            .unwrap();
        assert_eq!(
            node["verifiedUsing"][0]["hashValue"],
            same["hashes"][0]["content"]
        );
    }
    // Licences: declared from the card, concluded as no assertion.
    let declared = spdx_related(&doc, id, "hasDeclaredLicense");
    assert_eq!(
        spdx_by_id(&doc, &declared[0])["simplelicensing_licenseExpression"],
        "Apache-2.0"
    );
    assert_eq!(
        spdx_related(&doc, id, "hasConcludedLicense"),
        ["https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense"]
    );
    // Datasets it was trained on, and the base model it descends from.
    let trained: Vec<String> = spdx_related(&doc, id, "trainedOn")
        .iter()
        .map(|d| spdx_by_id(&doc, d)["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        trained,
        ["modelvet/fixture-corpus", "modelvet/fixture-instructions"]
    );
    let bases = spdx_related(&doc, id, "descendantOf");
    assert_eq!(
        spdx_by_id(&doc, &bases[0])["name"],
        "modelvet/tiny-llama-base"
    );
    let metrics = model["ai_metric"].as_array().unwrap();
    assert_eq!(metrics[0]["key"], "accuracy on Fixture QA (test)");
    assert_eq!(metrics[0]["value"], "0.25");

    // Findings: a vulnerability per CycloneDX finding, associated with the file and under
    // investigation.
    let doc = read(&written[1]);
    let (cdx, _) = bom_json(&["testdata/fixtures/formats/hf_remote_code"]);
    let vulns = spdx_nodes(&doc, "security_Vulnerability");
    assert_eq!(
        vulns.len(),
        cdx["vulnerabilities"].as_array().unwrap().len()
    );
    assert_eq!(
        spdx_nodes(
            &doc,
            "security_VexUnderInvestigationVulnAssessmentRelationship"
        )
        .len(),
        vulns.len()
    );

    // The adapter descends from its base; the GGUF names two bases.
    let doc = read(&written[2]);
    assert_eq!(spdx_nodes(&doc, "ai_AIPackage").len(), 2);
    let doc = read(&written[3]);
    assert_eq!(spdx_nodes(&doc, "ai_AIPackage").len(), 3);

    // What the user declares: the supplier, the release time, marked as declared.
    let declared_path = dir.path().join("declared.spdx.json");
    let out = bom(&[
        "testdata/fixtures/formats/hf_peft_lora",
        "--spdx",
        "-o",
        declared_path.to_str().unwrap(),
        "--supplier",
        "ACME Corp",
        "--release-date",
        "2026-11-30",
    ]);
    assert_eq!(code(&out), 0);
    let doc = read(&declared_path);
    let adapter = spdx_nodes(&doc, "ai_AIPackage")
        .into_iter()
        .find(|p| p["software_primaryPurpose"] == "model" && p.get("suppliedBy").is_some())
        .expect("the declared supplier");
    assert_eq!(
        spdx_by_id(&doc, adapter["suppliedBy"].as_str().unwrap())["name"],
        "ACME Corp"
    );
    assert_eq!(adapter["releaseTime"], "2026-11-30T00:00:00Z");
    assert!(adapter["comment"].as_str().unwrap().contains("supplier"));
    written.push(declared_path);

    // The same input gives the same bytes.
    let again = dir.path().join("again.spdx.json");
    bom(&[FULL_CARD, "--spdx", "-o", again.to_str().unwrap()]);
    assert_eq!(fs::read(&again).unwrap(), fs::read(&written[0]).unwrap());

    let Some(python) = python() else {
        return;
    };
    assert_valid_spdx(&python, &written);
    // The validator is live: a relationship type SPDX does not define is refused.
    let mut broken = read(&written[2]);
    for n in broken["@graph"].as_array_mut().unwrap() {
        if n["type"] == "Relationship" {
            n["relationshipType"] = "derivedFromModel".into();
            break;
        }
    }
    let bad = dir.path().join("broken.spdx.json");
    fs::write(&bad, broken.to_string()).unwrap();
    let out = Command::new(&python)
        .arg(repo().join("testdata/validate_spdx3.py"))
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success(), "a broken document must be refused");
}

#[test]
fn an_application_bom_lists_what_the_inventory_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut written = Vec::new();
    for spec in ["1.6", "1.7"] {
        let path = dir.path().join(format!("app-{spec}.cdx.json"));
        let out = bom(&[
            "testdata/fixtures/inventory/app",
            "--application",
            "--spec",
            spec,
            "-o",
            path.to_str().unwrap(),
        ]);
        assert_eq!(code(&out), 1, "{}", String::from_utf8_lossy(&out.stderr));
        written.push(path);
    }
    assert_valid(&written);
    let doc: Value = serde_json::from_slice(&fs::read(&written[0]).unwrap()).unwrap();
    let app = &doc["metadata"]["component"];
    assert_eq!(app["type"], "application");
    assert_eq!(app["name"], "app");
    let components = doc["components"].as_array().unwrap();
    let by_ref = |r: &str| {
        components
            .iter()
            .find(|c| c["bom-ref"] == r)
            .unwrap_or_else(|| panic!("no component {r}"))
    };
    // Pinned: the commit is the version and in the purl; unpinned: said so, no version.
    let pinned = by_ref("model:acme/detector@89abcdef0123456789abcdef0123456789abcdef");
    assert_eq!(
        pinned["purl"],
        "pkg:huggingface/acme/detector@89abcdef0123456789abcdef0123456789abcdef"
    );
    let unpinned = by_ref("model:acme/chat-7b@unpinned");
    assert!(unpinned.get("version").is_none());
    assert_eq!(props(unpinned)["modelvet:inventory:pinned"], vec!["false"]);
    assert_eq!(
        props(unpinned)["modelvet:inventory:reference"],
        vec!["app/main.py:22 transformers.AutoModelForCausalLM.from_pretrained"]
    );
    assert_eq!(by_ref("dataset:acme/reviews@unpinned")["type"], "data");
    assert_eq!(by_ref("library:torch")["purl"], "pkg:pypi/torch@2.6.0");
    assert_eq!(
        by_ref("file:models/classifier.safetensors")["hashes"][0]["alg"],
        "SHA-256"
    );
    // Hosted models are services with their provider.
    let services = doc["services"].as_array().unwrap();
    let gpt = services
        .iter()
        .find(|s| s["bom-ref"] == "service:openai/gpt-4o")
        .unwrap();
    assert_eq!(gpt["provider"]["name"], "OpenAI");
    // The application depends on every component and service.
    let deps = doc["dependencies"].as_array().unwrap();
    let top = deps.iter().find(|d| d["ref"] == "application").unwrap();
    assert_eq!(
        top["dependsOn"].as_array().unwrap().len(),
        components.len() + services.len()
    );
    // One vulnerability per inventory finding, each on the component it concerns.
    let vulns = doc["vulnerabilities"].as_array().unwrap();
    assert_eq!(vulns.len(), 21);
    let on = |rule: &str, line: &str| {
        vulns
            .iter()
            .find(|v| v["id"] == rule && props(v)["modelvet:location"][0].ends_with(line))
            .unwrap()["affects"][0]["ref"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(on("MV1402", "main.py:22"), "model:acme/chat-7b@unpinned");
    assert_eq!(on("MV1403", "main.py:29"), "application");
    assert_eq!(on("MV1404", "main.py:34"), "service:openai/gpt-4o");
    // A notebook finding sits on its model too (its place is a cell, not a file line).
    let nb = vulns
        .iter()
        .find(|v| v["id"] == "MV1401" && v["description"].as_str().unwrap().starts_with("cell 3"))
        .unwrap();
    assert_eq!(nb["affects"][0]["ref"], "model:acme/nb-model@unpinned");
}
