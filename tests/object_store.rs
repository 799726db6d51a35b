//! Object-store targets against real storage APIs on 127.0.0.1: S3 from moto's server mode,
//! started by testdata/scale/s3_stand_in.py with objects put through boto3, and Azure Blob
//! from Azurite, Microsoft's emulator, with blobs put by azure-storage-blob. Header-only
//! reads of a large object, verdicts equal to the local scan of the same bytes, the
//! verdict cache keyed by object version, `--download` of what passed, and credentials
//! that never reach the output.

#![cfg(feature = "object-stores")]

mod common;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

use serde_json::{json, Value};

const SECRET: &str = "modelvet-test-secret";

struct Stand {
    child: Child,
    endpoint: String,
}

impl Drop for Stand {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The registry-scale venv's Python, with moto, boto3 and azure-storage-blob
/// (`MODELVET_SCALE_PYTHON`), or `None` with a message.
fn python() -> Option<PathBuf> {
    match std::env::var_os("MODELVET_SCALE_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!(
                "skipped: MODELVET_SCALE_PYTHON unset (scripts/test.sh sets it to .venv-scale)"
            );
            None
        }
    }
}

const BIG: u64 = 256 * 1024 * 1024;

fn start(dir: &Path) -> Option<Stand> {
    let python = python()?;
    let fixture = |rel: &str| common::fixture(rel).display().to_string();
    let spec = json!({
        "bucket": "models",
        "objects": {
            "org/bad/config.json": {"text": "{\"model_type\": \"bert\"}\n"},
            "org/bad/pytorch_model.bin": {"file": fixture("malicious/evasion08_torch_zip_payload.pt")},
            "org/good/lpips.pth": {"file": fixture("real/lpips_v0.1_alex.pth")},
            "org/copy/lpips.pth": {"file": fixture("real/lpips_v0.1_alex.pth")},
            "org/big/model.safetensors": {"sparse_safetensors": BIG},
        }
    });
    let spec_path = dir.join("spec.json");
    std::fs::write(&spec_path, spec.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scale/s3_stand_in.py");
    let mut child = Command::new(python)
        .arg(script)
        .arg(&spec_path)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the S3 stand-in starts");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let endpoint = line
        .strip_prefix("READY ")
        .unwrap_or_else(|| panic!("the S3 stand-in did not start: {line:?}"))
        .trim()
        .to_string();
    Some(Stand { child, endpoint })
}

fn run(stand: &Stand, cwd: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env("AWS_ENDPOINT_URL", &stand.endpoint)
        .env("AWS_ACCESS_KEY_ID", "modelvet-test")
        .env("AWS_SECRET_ACCESS_KEY", SECRET)
        .env("AWS_REGION", "us-east-1")
        .env("HOME", cwd)
        .output()
        .expect("binary runs")
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

#[test]
fn s3_targets_are_scanned_over_ranged_gets() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stand) = start(dir.path()) else {
        return;
    };
    let cwd = dir.path();

    // A prefix: the torch payload is found, as in the local scan of the same file.
    let out = run(
        &stand,
        cwd,
        &["scan", "s3://models/org/bad", "--format", "json"],
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out);
    common::assert_valid_report(&report.to_string());
    let section = &report["remote"][0];
    assert_eq!(section["source"], "s3");
    assert_eq!(section["repo"], "s3://models/org/bad");
    assert_eq!(section["commit"].as_str().unwrap().len(), 64);
    assert_eq!(section["files"].as_array().unwrap().len(), 2);
    assert!(section["files"][0]["etag"].is_string());
    let local = common::modelvet(&[
        "scan",
        common::fixture("malicious/evasion08_torch_zip_payload.pt")
            .to_str()
            .unwrap(),
        "--format",
        "json",
    ]);
    let local: Value = serde_json::from_slice(&local.stdout).unwrap();
    let remote_bin: Vec<&Value> = report["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["file"] == "pytorch_model.bin")
        .collect();
    let local_arts = local["artifacts"].as_array().unwrap();
    assert_eq!(remote_bin.len(), local_arts.len());
    for (r, l) in remote_bin.iter().zip(local_arts) {
        assert_eq!(r["format"], l["format"]);
        let rules = |a: &Value| -> Vec<Value> {
            a["findings"]
                .as_array()
                .unwrap()
                .iter()
                .map(|f| f["rule"].clone())
                .collect()
        };
        assert_eq!(rules(r), rules(l));
    }

    // A 256 MiB safetensors object: its header is read, not its data.
    let out = run(
        &stand,
        cwd,
        &[
            "scan",
            "s3://models/org/big/model.safetensors",
            "--format",
            "json",
        ],
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = json_of(&out);
    let totals = &report["remote"][0]["totals"];
    assert_eq!(totals["bytes_total"], BIG);
    let read = totals["bytes_read"].as_u64().unwrap();
    assert!(read <= 128 * 1024, "read {read} bytes of a 256 MiB object");
    assert_eq!(report["artifacts"][0]["format"], "safetensors");

    // Missing objects and buckets leave the target unchecked (exit 2), never clean.
    let out = run(&stand, cwd, &["scan", "s3://models/org/none"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run(&stand, cwd, &["scan", "s3://no-such-bucket/x"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains(SECRET), "{stderr}");
    // A malformed URL is a usage error.
    let out = run(&stand, cwd, &["scan", "s3://models/a/../b"]);
    assert_eq!(out.status.code(), Some(3));
}

#[test]
fn store_verdicts_are_cached_by_object_version_and_passed_objects_downloaded() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stand) = start(dir.path()) else {
        return;
    };
    let cwd = dir.path();
    let scan = |target: &str, extra: &[&str]| -> (Option<i32>, Value) {
        let mut args = vec!["scan", target, "--format", "json", "--cache", "cache"];
        args.extend_from_slice(extra);
        let out = run(&stand, cwd, &args);
        (out.status.code(), json_of(&out))
    };
    let (code, first) = scan("s3://models/org/good", &[]);
    assert_eq!(code, Some(0));
    assert!(first["remote"][0]["totals"]["bytes_read"].as_u64().unwrap() > 0);
    let (_, again) = scan("s3://models/org/good", &[]);
    assert_eq!(again["remote"][0]["files"][0]["hash_check"], "cached");
    assert_eq!(again["remote"][0]["totals"]["bytes_read"], 0);
    assert_eq!(again["artifacts"][0]["facts"]["verdict_cache"]["hit"], true);
    assert_eq!(again["summary"]["verdict"], "clean");
    // Another object with the same bytes is another version: read again.
    let (_, copy) = scan("s3://models/org/copy", &[]);
    assert!(copy["remote"][0]["totals"]["bytes_read"].as_u64().unwrap() > 0);

    // --download writes what passed, nothing of what did not.
    let (code, good) = scan("s3://models/org/good", &["--download", "dl"]);
    assert_eq!(code, Some(0));
    assert_eq!(
        good["remote"][0]["download"]["files"][0]["status"],
        "downloaded"
    );
    assert_eq!(
        std::fs::read(cwd.join("dl/models/org/good/lpips.pth")).unwrap(),
        std::fs::read(common::fixture("real/lpips_v0.1_alex.pth")).unwrap()
    );
    let (code, bad) = scan("s3://models/org/bad", &["--download", "dl"]);
    assert_eq!(code, Some(1));
    for f in bad["remote"][0]["download"]["files"].as_array().unwrap() {
        assert_eq!(f["status"], "skipped", "{f}");
    }
    assert!(!cwd.join("dl/models/org/bad").exists());
}

#[test]
fn a_batch_mixes_store_hub_and_local_targets() {
    let dir = tempfile::tempdir().unwrap();
    let Some(stand) = start(dir.path()) else {
        return;
    };
    let cwd = dir.path();
    std::fs::write(
        cwd.join("targets.txt"),
        format!(
            "s3://models/org/good\ns3://models/org/bad\n{}\n",
            common::fixture("real/lpips_v0.1_alex.pth").display()
        ),
    )
    .unwrap();
    let out = run(
        &stand,
        cwd,
        &["scan", "--targets-from", "targets.txt", "--format", "jsonl"],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout).unwrap();
    let recs: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let good = recs
        .iter()
        .find(|r| r["target"] == "s3://models/org/good")
        .unwrap();
    assert_eq!(good["source"], "s3");
    assert_eq!(good["verdict"], "clean");
    assert_eq!(good["commit"].as_str().unwrap().len(), 64);
    let bad = recs
        .iter()
        .find(|r| r["target"] == "s3://models/org/bad")
        .unwrap();
    assert_eq!(bad["verdict"], "findings");
    assert!(!text.contains(SECRET));
}

/// Azurite (Microsoft's Azure Storage emulator, from npm) on 127.0.0.1, or `None` with a
/// message when npm's packages are not installed.
struct Azurite {
    child: Child,
    endpoint: String,
}

impl Drop for Azurite {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_azurite(dir: &Path) -> Option<Azurite> {
    let modules = match std::env::var_os("MODELVET_NODE_MODULES") {
        Some(m) => PathBuf::from(m),
        None => {
            eprintln!("skipped: MODELVET_NODE_MODULES unset (scripts/test.sh installs Azurite from npm when npm is present)");
            return None;
        }
    };
    let bin = modules.join(".bin/azurite-blob");
    assert!(
        bin.exists(),
        "{} is missing: rerun scripts/test.sh",
        bin.display()
    );
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let child = Command::new(bin)
        .args([
            "--blobHost",
            "127.0.0.1",
            "--blobPort",
            &port.to_string(),
            "--silent",
            "--skipApiVersionCheck",
            "--location",
        ])
        .arg(dir.join("azurite"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("azurite starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "azurite did not listen on {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    Some(Azurite {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    })
}

#[test]
fn az_targets_are_read_from_azurite() {
    let dir = tempfile::tempdir().unwrap();
    let Some(python) = python() else { return };
    let Some(azurite) = start_azurite(dir.path()) else {
        return;
    };
    let fixture = |rel: &str| common::fixture(rel).display().to_string();
    let put = Command::new(python)
        .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scale/azurite_put.py"))
        .arg(format!("{}/devstoreaccount1", azurite.endpoint))
        .arg("models")
        .arg(format!(
            "org/bad/pytorch_model.bin={}",
            fixture("malicious/evasion08_torch_zip_payload.pt")
        ))
        .arg(format!(
            "org/good/lpips.pth={}",
            fixture("real/lpips_v0.1_alex.pth")
        ))
        .output()
        .unwrap();
    assert!(
        put.status.success(),
        "{}",
        String::from_utf8_lossy(&put.stderr)
    );
    let scan = |target: &str| -> (Option<i32>, Value) {
        let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
            .args(["scan", target, "--format", "json"])
            .current_dir(dir.path())
            .env("AZURE_STORAGE_USE_EMULATOR", "true")
            .env("AZURITE_BLOB_STORAGE_URL", &azurite.endpoint)
            .env("HOME", dir.path())
            .output()
            .unwrap();
        (out.status.code(), json_of(&out))
    };
    let (code, bad) = scan("az://models/org/bad");
    assert_eq!(code, Some(1));
    common::assert_valid_report(&bad.to_string());
    assert_eq!(bad["remote"][0]["source"], "az");
    let member = bad["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|a| a["path"] == "pytorch_model.bin!archive/data.pkl")
        .expect("the pickle member");
    assert_eq!(member["findings"][0]["rule"], "MV101");
    let (code, good) = scan("az://models/org/good/lpips.pth");
    assert_eq!(code, Some(0));
    assert_eq!(good["summary"]["verdict"], "clean");
}
