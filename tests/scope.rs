//! What a folder scan leaves out: default excludes, the tree's ignore files, `--exclude`
//! and config `exclude`, symbolic links, and named paths that do not exist.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

fn copy(rel: &str, to: &Path) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::copy(fixture(rel), to).unwrap();
}

fn write(to: &Path, text: &str) {
    std::fs::create_dir_all(to.parent().unwrap()).unwrap();
    std::fs::write(to, text).unwrap();
}

const MALICIOUS: &str = "malicious/evasion03_posix_system.pkl";
const BENIGN_PICKLE: &str = "benign/plain_types_p4.pkl";

/// An ordinary ML application repository: sources, a virtual environment with installed
/// packages (whose test data includes an unsafe pickle, as real ones do), Git metadata,
/// node_modules, caches, a build folder, and `models/` with safetensors shards and a pickle.
fn app_repo(root: &Path, malicious_model: bool) {
    write(
        &root.join("src/train.py"),
        "import torch\nmodel = torch.load('models/head.pkl')\n",
    );
    write(
        &root.join("src/serve.py"),
        "from transformers import AutoModel\n",
    );
    write(&root.join("pyproject.toml"), "[project]\nname = \"app\"\n");
    write(&root.join(".gitignore"), "__pycache__/\n*.log\n");
    let site = root.join(".venv/lib/python3.11/site-packages");
    write(&site.join("pkg/__init__.py"), "x = 1\n");
    copy(MALICIOUS, &site.join("pkg/tests/data/unsafe.pkl"));
    copy(MALICIOUS, &root.join(".git/lfs/objects/ab/cd/abcd"));
    write(&root.join(".git/HEAD"), "ref: refs/heads/main\n");
    copy(MALICIOUS, &root.join("node_modules/pkg/model.pkl"));
    copy(
        MALICIOUS,
        &root.join("src/__pycache__/train.cpython-311.pyc"),
    );
    copy(MALICIOUS, &root.join("build/lib/app/model.pkl"));
    write(&root.join("run.log"), "started\n");
    for shard in [
        "model-00001-of-00002.safetensors",
        "model-00002-of-00002.safetensors",
        "model.safetensors.index.json",
        "config.json",
    ] {
        copy(
            &format!("formats/hf_sharded_ok/{shard}"),
            &root.join("models/llm").join(shard),
        );
    }
    copy(
        if malicious_model {
            MALICIOUS
        } else {
            BENIGN_PICKLE
        },
        &root.join("models/head.pkl"),
    );
}

fn scan_json_in(dir: &Path, args: &[&str]) -> (i32, Value) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(dir)
        .arg("scan")
        .args(["--format", "json"])
        .args(args)
        .output()
        .unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    assert_valid_report(&String::from_utf8_lossy(&out.stdout));
    (out.status.code().unwrap(), report)
}

fn paths(report: &Value) -> Vec<String> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["path"].as_str().unwrap().to_string())
        .collect()
}

fn flagged(report: &Value) -> Vec<String> {
    report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| !a["findings"].as_array().unwrap().is_empty())
        .map(|a| a["path"].as_str().unwrap().to_string())
        .collect()
}

fn skipped(report: &Value) -> Vec<(String, String)> {
    report["scope"]["skipped"]
        .as_array()
        .map(|s| {
            s.iter()
                .map(|p| {
                    (
                        p["path"].as_str().unwrap().to_string(),
                        p["rule"].as_str().unwrap().to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_ordinary_app_repository_passes_and_a_malicious_model_is_the_only_finding() {
    let dir = tempfile::tempdir().unwrap();
    app_repo(dir.path(), false);
    let (code, report) = scan_json_in(dir.path(), &["."]);
    assert_eq!(code, 0, "{report:#}");
    let seen = paths(&report);
    for excluded in [
        ".venv",
        ".git/",
        "node_modules",
        "__pycache__",
        "build/",
        "run.log",
    ] {
        assert!(
            seen.iter().all(|p| !p.contains(excluded)),
            "{excluded} in {seen:?}"
        );
    }
    assert!(seen.iter().any(|p| p.ends_with("models/head.pkl")));
    assert!(seen
        .iter()
        .any(|p| p.ends_with("model-00002-of-00002.safetensors")));
    let left_out: Vec<String> = skipped(&report).into_iter().map(|(p, _)| p).collect();
    for expected in [
        "./.git",
        "./.gitignore",
        "./.venv",
        "./build",
        "./node_modules",
        "./run.log",
        "./src/__pycache__",
    ] {
        if expected == "./.gitignore" {
            continue;
        }
        assert!(left_out.contains(&expected.to_string()), "{left_out:?}");
    }

    let dir = tempfile::tempdir().unwrap();
    app_repo(dir.path(), true);
    let (code, report) = scan_json_in(dir.path(), &["."]);
    assert_eq!(code, 1);
    assert_eq!(flagged(&report), vec!["./models/head.pkl".to_string()]);

    // Turning the scope off finds the unsafe pickles the excluded folders hold.
    let (code, report) = scan_json_in(dir.path(), &[".", "--no-default-excludes"]);
    assert_eq!(code, 1);
    assert!(flagged(&report).len() >= 5, "{:?}", flagged(&report));
    assert!(report.get("scope").is_none_or(|s| s["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .all(|p| p["reason"] != "default-exclude")));
}

#[test]
fn the_trees_ignore_files_apply_and_no_ignore_turns_them_off() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(&root.join(".gitignore"), "*.pkl\n!keep.pkl\n");
    copy(MALICIOUS, &root.join("models/hidden.pkl"));
    copy(BENIGN_PICKLE, &root.join("models/keep.pkl"));
    // A deeper ignore file overrides a higher one; `.ignore` overrides `.gitignore`.
    write(&root.join("sub/.gitignore"), "!*.pkl\n");
    copy(MALICIOUS, &root.join("sub/reincluded.pkl"));
    write(&root.join("other/.gitignore"), "!*.pkl\n");
    write(&root.join("other/.ignore"), "*.pkl\n");
    copy(MALICIOUS, &root.join("other/ripgrep_ignored.pkl"));

    let (code, report) = scan_json_in(root, &["."]);
    assert_eq!(code, 1);
    assert_eq!(flagged(&report), vec!["./sub/reincluded.pkl".to_string()]);
    assert!(paths(&report).contains(&"./models/keep.pkl".to_string()));
    let left_out = skipped(&report);
    assert!(left_out.contains(&("./models/hidden.pkl".into(), ".gitignore: *.pkl".into())));
    assert!(left_out.contains(&(
        "./other/ripgrep_ignored.pkl".into(),
        "./other/.ignore: *.pkl".into()
    )));

    // The text report names the model the tree's own .gitignore hides.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(root)
        .args(["scan", "."])
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("skipped  ./models/hidden.pkl  (.gitignore: *.pkl)"),
        "{text}"
    );

    let (code, report) = scan_json_in(root, &[".", "--no-ignore"]);
    assert_eq!(code, 1);
    assert_eq!(flagged(&report).len(), 3, "{:?}", flagged(&report));
}

#[test]
fn ignore_files_above_the_scanned_folder_apply_up_to_the_work_tree_root() {
    let dir = tempfile::tempdir().unwrap();
    let outer = dir.path();
    // An ignore file above the Git work tree is not the tree's and does not apply.
    write(&outer.join(".gitignore"), "*.bin\n");
    let repo = outer.join("repo");
    write(&repo.join(".git/HEAD"), "ref: refs/heads/main\n");
    write(&repo.join(".gitignore"), "checkpoints/\n");
    write(&repo.join(".git/info/exclude"), "*.tmp\n");
    copy(MALICIOUS, &repo.join("models/checkpoints/old.pkl"));
    copy(MALICIOUS, &repo.join("models/scratch.tmp"));
    copy(MALICIOUS, &repo.join("models/weights.bin"));

    let (code, report) = scan_json_in(&repo.join("models"), &["."]);
    assert_eq!(code, 1);
    assert_eq!(flagged(&report), vec!["./weights.bin".to_string()]);
    let rules: Vec<String> = skipped(&report).into_iter().map(|(_, r)| r).collect();
    assert!(
        rules
            .iter()
            .any(|r| r.ends_with(".gitignore: checkpoints/")),
        "{rules:?}"
    );
    assert!(
        rules
            .iter()
            .any(|r| r.ends_with(".git/info/exclude: *.tmp")),
        "{rules:?}"
    );
}

#[test]
fn exclude_patterns_from_the_command_line_and_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    copy(MALICIOUS, &root.join("legacy/old.pkl"));
    copy(MALICIOUS, &root.join("models/a.bak"));
    copy(MALICIOUS, &root.join("models/legacy/kept.pkl"));
    copy(BENIGN_PICKLE, &root.join("models/ok.pkl"));

    // `/legacy` is anchored at the current folder; `*.bak` matches at any depth.
    let (code, report) = scan_json_in(root, &[".", "--exclude", "/legacy", "--exclude", "*.bak"]);
    assert_eq!(code, 1);
    assert_eq!(
        flagged(&report),
        vec!["./models/legacy/kept.pkl".to_string()]
    );
    assert!(skipped(&report).contains(&("./legacy".into(), "--exclude: /legacy".into())));

    // The config's patterns are anchored at the config's folder, wherever the scan runs.
    write(
        &root.join("modelvet.toml"),
        "exclude = [\"/legacy\", \"*.bak\", \"models/legacy/\"]\n",
    );
    let (code, report) = scan_json_in(&root.join("models"), &["."]);
    assert_eq!(code, 0, "{report:#}");
    let (code, _) = scan_json_in(root, &["."]);
    assert_eq!(code, 0);

    // A named file is scanned even when a pattern or a default exclude matches it.
    let (code, report) = scan_json_in(root, &["models/a.bak"]);
    assert_eq!(code, 1, "{report:#}");

    // A bad pattern is a usage error, not a silently smaller scan.
    let (code, _) = {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_modelvet"))
            .current_dir(root)
            .args(["scan", ".", "--exclude", "a{b", "--no-config"])
            .output()
            .unwrap();
        (out.status.code().unwrap(), ())
    };
    assert_eq!(code, 3);
}

#[test]
fn symbolic_links_are_followed_only_when_asked_and_loops_end() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("tree");
    let elsewhere = dir.path().join("elsewhere");
    copy(MALICIOUS, &elsewhere.join("outside.pkl"));
    copy(BENIGN_PICKLE, &root.join("models/ok.pkl"));
    std::os::unix::fs::symlink(&elsewhere, root.join("models/linked")).unwrap();
    std::os::unix::fs::symlink(&root, root.join("models/loop")).unwrap();
    std::os::unix::fs::symlink(elsewhere.join("outside.pkl"), root.join("direct.pkl")).unwrap();

    let (code, report) = scan_json_in(&root, &["."]);
    assert_eq!(
        code, 2,
        "a link to a model out of the tree is not checked: {report:#}"
    );
    assert!(flagged(&report).is_empty());

    let (code, report) = scan_json_in(&root, &[".", "--follow-symlinks"]);
    assert_eq!(code, 1);
    let mut hits = flagged(&report);
    hits.sort();
    assert_eq!(
        hits,
        vec![
            "./direct.pkl".to_string(),
            "./models/linked/outside.pkl".to_string()
        ]
    );
    // The loop back to the root is walked once.
    assert_eq!(
        paths(&report)
            .iter()
            .filter(|p| p.ends_with("ok.pkl"))
            .count(),
        1
    );
}

#[test]
fn a_missing_input_is_an_error_artifact_and_the_rest_is_scanned() {
    let dir = tempfile::tempdir().unwrap();
    copy(BENIGN_PICKLE, &dir.path().join("ok.pkl"));
    copy(MALICIOUS, &dir.path().join("bad.pkl"));

    let (code, report) = scan_json_in(dir.path(), &["missing.pt", "ok.pkl"]);
    assert_eq!(code, 3);
    assert_eq!(report["summary"]["verdict"], "error");
    let missing = &report["artifacts"][0];
    assert_eq!(missing["path"], "missing.pt");
    assert_eq!(missing["status"], "error");
    assert_eq!(missing["input_error"], true);
    assert!(paths(&report).contains(&"ok.pkl".to_string()));

    // A finding still wins: the report says both.
    let (code, report) = scan_json_in(dir.path(), &["missing.pt", "bad.pkl"]);
    assert_eq!(code, 1);
    assert_eq!(report["summary"]["errors"], 1);
}

#[test]
fn an_oversized_ignore_file_is_not_applied_and_is_noted() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let mut big = String::from("*.pkl\n");
    while big.len() <= 70 * 1024 {
        big.push_str("# padding padding padding padding padding padding padding\n");
    }
    write(&root.join(".gitignore"), &big);
    copy(MALICIOUS, &root.join("bad.pkl"));
    let (code, report) = scan_json_in(root, &["."]);
    assert_eq!(code, 1, "the walk scans more, never less");
    let notes = report["scope"]["notes"].as_array().unwrap();
    assert!(notes[0]
        .as_str()
        .unwrap()
        .contains("larger than MAX_IGNORE_FILE_BYTES"));
}

#[test]
fn file_lists_from_pre_commit_are_judged_as_a_walk_judges_them() {
    // pre-commit and `git ls-files` name every file: fonts and images, a vendored
    // package's test pickle, a config-excluded legacy folder.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("assets")).unwrap();
    std::fs::write(
        root.join("assets/font.woff2"),
        [0x77, 0x4f, 0x46, 0x32, 0, 1, 0xff, 0x80, 7, 9],
    )
    .unwrap();
    std::fs::write(
        root.join("assets/weights.bin"),
        [0x13, 0x37, 0xff, 0x80, 0, 1, 2, 3],
    )
    .unwrap();
    copy(MALICIOUS, &root.join("vendor/.venv/lib/unsafe.pkl"));
    copy(MALICIOUS, &root.join("legacy/old.pkl"));
    copy(BENIGN_PICKLE, &root.join("models/ok.pkl"));
    write(&root.join("modelvet.toml"), "exclude = [\"/legacy\"]\n");
    let listed = [
        "assets/font.woff2",
        "vendor/.venv/lib/unsafe.pkl",
        "legacy/old.pkl",
        "models/ok.pkl",
    ];

    // Named as usual: every one is scanned, the font makes the run incomplete.
    let mut args = vec!["--no-hash"];
    args.extend(listed);
    let (code, report) = scan_json_in(root, &args);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(
        flagged(&report),
        vec![
            "legacy/old.pkl".to_string(),
            "vendor/.venv/lib/unsafe.pkl".to_string()
        ]
    );
    let font = &report["artifacts"][0];
    assert_eq!(font["path"], "assets/font.woff2");
    assert_eq!(
        (&font["status"], &font["expected"]),
        (&Value::from("incomplete"), &Value::from(true))
    );

    // As a file list: excludes apply to named paths and the font is not an error.
    let mut args = vec!["--no-hash", "--force-exclude", "--skip-unrecognized"];
    args.extend(listed);
    let (code, report) = scan_json_in(root, &args);
    assert_eq!(code, 0, "{report:#}");
    let skipped = skipped(&report);
    assert!(
        skipped.contains(&(
            "vendor/.venv/lib/unsafe.pkl".into(),
            "default exclude: .venv".into()
        )),
        "{skipped:?}"
    );
    assert!(
        skipped
            .iter()
            .any(|(p, r)| p == "legacy/old.pkl" && r.ends_with("modelvet.toml: /legacy")),
        "{skipped:?}"
    );

    // A file whose name claims a model is still incomplete when its content is unknown.
    let (code, report) = scan_json_in(
        root,
        &[
            "--no-hash",
            "--force-exclude",
            "--skip-unrecognized",
            "assets/weights.bin",
            "models/ok.pkl",
        ],
    );
    assert_eq!(code, 2, "{report:#}");
}
