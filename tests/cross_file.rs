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
