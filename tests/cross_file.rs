//! Judgements that need the files beside a file: ONNX external data named by a model in
//! the same folder, and Python files by the model folder around them.

mod common;

use common::*;
use modelvet::report::{Report, Status};

fn artifact<'r>(r: &'r Report, name: &str) -> &'r modelvet::report::Artifact {
    r.artifacts
        .iter()
        .find(|a| a.path.ends_with(name))
        .unwrap_or_else(|| panic!("{name} in the report"))
}

#[test]
fn onnx_external_data_is_checked_data_only_when_a_model_names_it() {
    let dir = tempfile::tempdir().unwrap();
    let src = fixture("formats/onnx/external_bin");
    for name in ["model.onnx", "weights.bin"] {
        std::fs::copy(src.join(name), dir.path().join(name)).unwrap();
    }
    // Unrecognised bytes under a model's name that no model names stay not checked.
    std::fs::write(
        dir.path().join("other.bin"),
        [0u8, 0xff, 0x13, 0x80].repeat(16),
    )
    .unwrap();
    let r = scan(&[dir.path()]);
    let data = artifact(&r, "weights.bin");
    assert_eq!(data.format, "onnx-external-data");
    assert_eq!(data.status, Status::Complete);
    assert!(data.facts["referenced_by"]
        .as_str()
        .unwrap()
        .ends_with("model.onnx"));
    let other = artifact(&r, "other.bin");
    assert_eq!(other.format, "unrecognized");
    assert_eq!(other.status, Status::Incomplete);
    assert_eq!(r.exit_code(), 2, "other.bin is not checked");

    // Without the model, weights.bin is unrecognised content under a model's name.
    std::fs::remove_file(dir.path().join("model.onnx")).unwrap();
    std::fs::remove_file(dir.path().join("other.bin")).unwrap();
    let r = scan(&[dir.path()]);
    assert_eq!(artifact(&r, "weights.bin").status, Status::Incomplete);
}

#[test]
fn python_files_are_judged_by_the_folder_around_them() {
    let fired = |r: &Report, name: &str| {
        artifact(r, name)
            .findings
            .iter()
            .filter(|f| f.rule == "MV1002")
            .map(|f| f.severity)
            .collect::<Vec<_>>()
    };
    let r = scan(&[&fixture("formats/hf_remote_code")]);
    assert_eq!(
        fired(&r, "modeling_x.py"),
        [modelvet::report::Severity::Medium]
    );
    let r = scan(&[&fixture("formats/hf_helper_script")]);
    assert_eq!(
        fired(&r, "convert_checkpoint.py"),
        [modelvet::report::Severity::Low]
    );
    let r = scan(&[&fixture("formats/code_base_script")]);
    assert!(fired(&r, "train.py").is_empty());
    // The same file scanned alone is in no model folder.
    let r = scan(&[&fixture("formats/hf_remote_code/modeling_x.py")]);
    assert!(fired(&r, "modeling_x.py").is_empty());
}

/// A `.keras` whose only layer is a `TorchModuleWrapper` carrying `payload`.
fn keras_with_torch_module(payload: &[u8]) -> Vec<u8> {
    use base64::Engine as _;
    let module = base64::engine::general_purpose::STANDARD.encode(payload);
    let config = serde_json::json!({
        "module": "keras", "class_name": "Sequential", "config": {"name": "s", "layers": [
            {"module": "keras.layers", "class_name": "TorchModuleWrapper",
             "config": {"name": "t", "module": module}, "registered_name": null}
        ]}, "registered_name": null
    });
    common::stored_zip(&[("config.json", config.to_string().as_bytes())])
}

#[test]
fn a_torch_module_payload_is_scanned_and_nesting_is_bounded() {
    let dir = tempfile::tempdir().unwrap();
    // One level: the pickle inside is scanned as a member and its os.system is found.
    let one = keras_with_torch_module(&common::stored_zip(&[(
        "archive/data.pkl",
        common::SYSTEM_PICKLE,
    )]));
    let path = dir.path().join("one.keras");
    std::fs::write(&path, &one).unwrap();
    let (doc, code) = common::scan_json(&[&path]);
    assert_eq!(code, Some(1), "{doc:#}");
    let rules: Vec<&str> = doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| a["findings"].as_array().unwrap())
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert!(
        rules.contains(&"MV906") && rules.contains(&"MV101"),
        "{rules:?}"
    );
    // A payload inside a payload is not followed: the limit is reported, never clean.
    let two = keras_with_torch_module(&one);
    let path = dir.path().join("two.keras");
    std::fs::write(&path, &two).unwrap();
    let (doc, _) = common::scan_json(&[&path]);
    let text = doc.to_string();
    assert!(text.contains("MAX_EMBEDDED_NESTING"), "{doc:#}");
}
