//! Every committed fixture's JSON report, byte for byte, against the snapshot in
//! `testdata/golden/reports/`. The snapshots were taken before the format registry and the
//! parallel driver; a refactor that changes any verdict, finding, fact or order fails here.
//! A deliberate change is re-recorded with `MODELVET_UPDATE_GOLDEN=1 cargo test --test
//! report_snapshots` and shows up in review as a diff of the snapshot files.

mod common;

use std::path::PathBuf;
use std::process::Command;

const CATEGORIES: &[&str] = &[
    "benign",
    "formats",
    "limits",
    "malicious",
    "real",
    "robustness",
];

/// Every file and folder directly under a fixture category, as a path relative to the repo.
fn inputs() -> Vec<String> {
    let mut out = Vec::new();
    for category in CATEGORIES {
        let dir = common::repo().join("testdata/fixtures").join(category);
        let mut names: Vec<String> = std::fs::read_dir(&dir)
            .expect("fixture category exists")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        out.extend(
            names
                .into_iter()
                .map(|n| format!("testdata/fixtures/{category}/{n}")),
        );
    }
    out
}

fn snapshot_path(input: &str) -> PathBuf {
    let rel = input
        .strip_prefix("testdata/fixtures/")
        .expect("fixture path");
    common::repo()
        .join("testdata/golden/reports")
        .join(format!("{}.json", rel.replace('/', "__")))
}

fn report_of(input: &str) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(common::repo())
        .args(["scan", "--no-config", "--format", "json", input])
        .env("NO_COLOR", "1")
        .output()
        .expect("binary runs");
    assert!(
        out.status.code().is_some_and(|c| c <= 2),
        "{input}: exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn first_difference(expected: &[u8], got: &[u8]) -> String {
    let e = String::from_utf8_lossy(expected);
    let g = String::from_utf8_lossy(got);
    for (n, (a, b)) in e.lines().zip(g.lines()).enumerate() {
        if a != b {
            return format!("line {}:\n  snapshot: {a}\n  now:      {b}", n + 1);
        }
    }
    format!(
        "lengths differ: snapshot {} lines, now {} lines",
        e.lines().count(),
        g.lines().count()
    )
}

#[test]
fn every_fixture_report_matches_its_snapshot() {
    let update = std::env::var_os("MODELVET_UPDATE_GOLDEN").is_some();
    let inputs = inputs();
    assert!(inputs.len() > 150, "fixture tree looks incomplete");
    let mut failures = Vec::new();
    for input in &inputs {
        let got = report_of(input);
        let path = snapshot_path(input);
        if update {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(&path, &got).expect("write snapshot");
            continue;
        }
        match std::fs::read(&path) {
            Ok(expected) if expected == got => {}
            Ok(expected) => {
                failures.push(format!("{input}: {}", first_difference(&expected, &got)))
            }
            Err(e) => failures.push(format!("{input}: no snapshot at {} ({e})", path.display())),
        }
    }
    if !update {
        let dir = common::repo().join("testdata/golden/reports");
        let stale: Vec<String> = std::fs::read_dir(&dir)
            .expect("snapshot folder")
            .map(|e| e.expect("entry").path())
            .filter(|p| !inputs.iter().any(|i| snapshot_path(i) == *p))
            .map(|p| p.display().to_string())
            .collect();
        assert!(stale.is_empty(), "snapshots without a fixture: {stale:?}");
    }
    assert!(
        failures.is_empty(),
        "{} of {} reports differ from their snapshot (re-record deliberate changes with \
         MODELVET_UPDATE_GOLDEN=1):\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

#[test]
fn reports_are_the_same_with_one_thread_or_many() {
    // The parallel driver must give the bytes a sequential scan gives, whatever the
    // number of worker threads and however the work interleaves.
    for input in ["testdata/fixtures/malicious", "testdata/fixtures"] {
        let sequential = report_with_threads(input, "1");
        for threads in ["2", "8"] {
            assert!(
                report_with_threads(input, threads) == sequential,
                "{input}: the report with {threads} threads differs from the sequential one"
            );
        }
    }
}

fn report_with_threads(input: &str, threads: &str) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .current_dir(common::repo())
        .args(["scan", "--no-config", "--format", "json", input])
        .env("RAYON_NUM_THREADS", threads)
        .output()
        .expect("binary runs");
    out.stdout
}

#[test]
fn boms_are_the_same_with_one_thread_or_many() {
    let bom = |input: &str, threads: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
            .current_dir(common::repo())
            .args(["bom", input])
            .env("RAYON_NUM_THREADS", threads)
            .env("SOURCE_DATE_EPOCH", "1700000000")
            .output()
            .expect("binary runs");
        assert!(!out.stdout.is_empty(), "{input}: no BOM written");
        out.stdout
    };
    for input in [
        "testdata/fixtures/formats",
        "testdata/fixtures/formats/hf_model_card_full",
    ] {
        let sequential = bom(input, "1");
        assert!(
            bom(input, "8") == sequential,
            "{input}: the BOM with 8 threads differs from the sequential one"
        );
    }
}
