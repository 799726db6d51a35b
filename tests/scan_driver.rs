//! The local scan driver: a Hugging Face cache is walked once (a blob and the snapshot
//! link naming it are one artifact), and the parallel scan reports what a sequential one
//! does.

mod common;

use std::os::unix::fs::symlink;

fn artifacts(stdout: &[u8]) -> Vec<serde_json::Value> {
    let doc: serde_json::Value = serde_json::from_slice(stdout).expect("JSON report");
    doc["artifacts"].as_array().unwrap().clone()
}

#[test]
fn a_cache_blob_and_its_snapshot_link_are_one_artifact() {
    let dir = tempfile::tempdir().unwrap();
    let repo = dir.path().join("models--org--model");
    let blobs = repo.join("blobs");
    let snap = repo.join("snapshots/0123456789abcdef0123456789abcdef01234567");
    std::fs::create_dir_all(&blobs).unwrap();
    std::fs::create_dir_all(snap.join("sub")).unwrap();
    std::fs::create_dir_all(repo.join("refs")).unwrap();
    std::fs::write(
        repo.join("refs/main"),
        "0123456789abcdef0123456789abcdef01234567",
    )
    .unwrap();
    std::fs::write(blobs.join("aaaa"), common::SYSTEM_PICKLE).unwrap();
    std::fs::write(blobs.join("bbbb"), b"{\"model_type\": \"bert\"}").unwrap();
    std::fs::write(blobs.join("orphan"), common::SYSTEM_PICKLE).unwrap();
    symlink("../../../blobs/aaaa", snap.join("sub/model.pkl")).unwrap();
    symlink("../../blobs/bbbb", snap.join("config.json")).unwrap();

    let out = common::modelvet(&[
        "scan",
        "--no-config",
        "--format",
        "json",
        repo.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let paths: Vec<String> = artifacts(&out.stdout)
        .iter()
        .map(|a| a["path"].as_str().unwrap().to_string())
        .collect();
    let root = repo.to_str().unwrap();
    let snap_shown = format!("{root}/snapshots/0123456789abcdef0123456789abcdef01234567");
    assert_eq!(
        paths,
        vec![
            format!("{root}/blobs/orphan"),
            format!("{root}/refs/main"),
            format!("{snap_shown}/config.json"),
            format!("{snap_shown}/sub/model.pkl"),
        ],
        "each blob is one artifact, named by its snapshot link; the orphan blob stays"
    );
    let pickle = artifacts(&out.stdout)
        .into_iter()
        .find(|a| a["path"].as_str().unwrap().ends_with("model.pkl"))
        .unwrap();
    assert_eq!(pickle["findings"][0]["severity"], "critical");
    assert_eq!(pickle["sha256"].as_str().unwrap().len(), 64);

    // A blob the user names is scanned even when a named link reaches it too.
    let blob = repo.join("blobs/aaaa");
    let link = snap.join("sub/model.pkl");
    let out = common::modelvet(&[
        "scan",
        "--no-config",
        "--format",
        "json",
        blob.to_str().unwrap(),
        link.to_str().unwrap(),
    ]);
    assert_eq!(artifacts(&out.stdout).len(), 2);

    // A snapshot scanned on its own still reaches its blobs through the links.
    let out = common::modelvet(&["scan", "--no-config", "--format", "json", &snap_shown]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(artifacts(&out.stdout).len(), 2);
}

#[test]
fn blobs_outside_a_cache_repository_are_not_merged() {
    // A folder merely named `blobs` with a link to one of its files: both are scanned.
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("blobs")).unwrap();
    std::fs::write(dir.path().join("blobs/a.pkl"), common::SYSTEM_PICKLE).unwrap();
    symlink("blobs/a.pkl", dir.path().join("latest.pkl")).unwrap();
    let out = common::modelvet(&[
        "scan",
        "--no-config",
        "--format",
        "json",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(artifacts(&out.stdout).len(), 2);
}

#[test]
fn parallel_scan_of_many_files_equals_the_sequential_scan() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..64 {
        let sub = dir.path().join(format!("m{:02}", i % 7));
        std::fs::create_dir_all(&sub).unwrap();
        let body: &[u8] = if i % 5 == 0 {
            common::SYSTEM_PICKLE
        } else {
            b"\x80\x02}q\x00."
        };
        std::fs::write(sub.join(format!("f{i:03}.pkl")), body).unwrap();
    }
    let run = |threads: &str| {
        std::process::Command::new(env!("CARGO_BIN_EXE_modelvet"))
            .args([
                "scan",
                "--no-config",
                "--format",
                "json",
                dir.path().to_str().unwrap(),
            ])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap()
    };
    let sequential = run("1");
    assert_eq!(sequential.status.code(), Some(1));
    assert_eq!(artifacts(&sequential.stdout).len(), 64);
    for threads in ["2", "16"] {
        let parallel = run(threads);
        assert_eq!(parallel.status.code(), Some(1));
        assert!(
            parallel.stdout == sequential.stdout,
            "{threads} threads differ"
        );
    }
}

#[test]
fn a_pickle_that_used_to_crash_the_vm_is_refused_and_its_neighbour_still_flagged() {
    // Member a.pkl calls os.system; member b.pkl is the 10-byte pickle whose SETITEM
    // crosses a MARK (CPython refuses it), which used to panic the VM and, with it, drop
    // every finding of the file. The finding stands, and b.pkl is an underflow (MV110).
    // What a real panic keeps is tested in src/scan/mod.rs.
    let crash: &[u8] = b"\x80\x02(NN(}sl.";
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.zip");
    std::fs::write(
        &path,
        common::stored_zip(&[("a.pkl", common::SYSTEM_PICKLE), ("b.pkl", crash)]),
    )
    .unwrap();
    let (doc, code) = common::scan_json(&[&path]);
    assert_eq!(code, Some(1), "{doc:#}");
    let arts = doc["artifacts"].as_array().unwrap();
    assert!(
        arts.iter().all(|a| a.get("internal_error").is_none()),
        "{doc:#}"
    );
    let kept = arts.iter().find(|a| a["member"] == "a.pkl").unwrap();
    assert_eq!(kept["findings"][0]["severity"], "critical");
    let refused = arts.iter().find(|a| a["member"] == "b.pkl").unwrap();
    assert_eq!(refused["status"], "incomplete");
    assert_eq!(refused["findings"][0]["rule"], "MV110");
}

#[test]
fn a_loader_config_that_could_not_be_read_makes_the_run_incomplete() {
    // config.json steers transformers (auto_map names remote code). One that cannot be
    // read through (here cut off after its auto_map) is not checked, so the run is
    // incomplete (exit 2), never clean.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("config.json"),
        br#"{"auto_map": {"AutoModel": "modeling.Net"}, "threshold": "#,
    )
    .unwrap();
    let (doc, code) = common::scan_json(&[dir.path()]);
    assert_eq!(code, Some(2), "{doc:#}");
    let a = &doc["artifacts"][0];
    assert_eq!(a["status"], "incomplete");
    assert_eq!(a["expected"], true);
    // Python's json reads `NaN`, and so does this reader: the auto_map is found.
    std::fs::write(
        dir.path().join("config.json"),
        br#"{"auto_map": {"AutoModel": "modeling.Net"}, "threshold": NaN}"#,
    )
    .unwrap();
    let (doc, code) = common::scan_json(&[dir.path()]);
    assert_eq!(code, Some(1), "{doc:#}");
    assert_eq!(doc["artifacts"][0]["findings"][0]["rule"], "MV1001");
    // A valid one is read through and the run is clean.
    std::fs::write(
        dir.path().join("config.json"),
        br#"{"model_type": "bert", "architectures": ["BertModel"]}"#,
    )
    .unwrap();
    let (doc, code) = common::scan_json(&[dir.path()]);
    assert_eq!(code, Some(0), "{doc:#}");
}
