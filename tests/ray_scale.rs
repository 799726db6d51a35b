//! `modelvet.ray` on a local Ray cluster (a head node and a second node, each with its own
//! raylet and worker processes, all on 127.0.0.1; testdata/scale/ray_cluster_run.py) over
//! 200 repositories served by the loopback Hub stand-in. The verdicts must equal the
//! single-machine `scan --targets-from`, every target must be scanned exactly once, and a
//! worker killed mid-run must cost nothing: no record lost, none duplicated.

mod common;
#[path = "common/hub_server.rs"]
mod hub_server;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use hub_server::{FixtureRepo, HubServer};
use serde_json::Value;

const REPOS: usize = 200;

/// Two clusters at once would starve each other on a small machine.
static ONE_CLUSTER: Mutex<()> = Mutex::new(());

fn python() -> Option<PathBuf> {
    match std::env::var_os("MODELVET_SCALE_PYTHON") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("skipped: MODELVET_SCALE_PYTHON unset (scripts/test.sh sets it to .venv-scale, with Ray)");
            None
        }
    }
}

/// A small safetensors file; `tag` goes into its metadata, so different tags are
/// different blobs and equal tags the same one.
fn safetensors(tag: &str) -> Vec<u8> {
    let mut header = format!(
        "{{\"__metadata__\":{{\"tag\":\"{tag}\"}},\"w\":{{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}}}"
    );
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(&[0u8; 8]);
    out
}

/// 200 repositories: every third shares one weights blob (a model republished), every
/// tenth carries a malicious pickle, every 25th a truncated one (incomplete).
fn hub() -> (HubServer, Vec<String>) {
    let malicious = std::fs::read(common::fixture("malicious/evasion03_posix_system.pkl")).unwrap();
    let mut repos = Vec::new();
    let mut targets = Vec::new();
    for i in 0..REPOS {
        let id = format!("org/m{i:03}");
        let tag = if i % 3 == 0 {
            "shared".to_string()
        } else {
            format!("own-{i}")
        };
        let mut repo = FixtureRepo::model(&id)
            .file("config.json", "{\"model_type\": \"bert\"}\n")
            .lfs("model.safetensors", safetensors(&tag));
        if i % 10 == 0 {
            repo = repo.lfs("extra.pkl", malicious.clone());
        }
        if i % 25 == 1 {
            repo = repo.lfs(
                "cut.pkl",
                b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s".to_vec(),
            );
        }
        repos.push(repo);
        targets.push(format!("hf://{id}"));
    }
    (HubServer::start(repos), targets)
}

/// Target -> (verdict, exit code, findings by severity, each artifact's path, status and rules).
fn outcomes(jsonl: &str) -> BTreeMap<String, Value> {
    let mut out = BTreeMap::new();
    for line in jsonl.lines() {
        let r: Value = serde_json::from_str(line).unwrap();
        if r["kind"] != "target" {
            continue;
        }
        let artifacts: Vec<Value> = r["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                let rules: Vec<Value> = a["findings"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|f| f["rule"].clone())
                    .collect();
                serde_json::json!([a["path"], a["status"], rules])
            })
            .collect();
        let target = r["target"].as_str().unwrap().to_string();
        let value = serde_json::json!([r["verdict"], r["exit_code"], r["findings"], artifacts]);
        assert!(
            out.insert(target.clone(), value).is_none(),
            "{target} recorded twice"
        );
    }
    out
}

fn env_of(c: &mut Command, server: &HubServer, home: &Path) {
    c.env("HF_ENDPOINT", &server.endpoint)
        .env("HF_HOME", home)
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_OFFLINE")
        .env("MODELVET_BINARY", env!("CARGO_BIN_EXE_modelvet"))
        .env(
            "PYTHONPATH",
            Path::new(env!("CARGO_MANIFEST_DIR")).join("python"),
        );
}

struct Setup {
    server: HubServer,
    dir: tempfile::TempDir,
    targets_file: PathBuf,
    single: BTreeMap<String, Value>,
}

/// The Hub, the target list, and the single-machine verdicts to compare with.
fn setup() -> Setup {
    let (server, targets) = hub();
    let dir = tempfile::tempdir().unwrap();
    let targets_file = dir.path().join("targets.txt");
    std::fs::write(&targets_file, targets.join("\n") + "\n").unwrap();
    let mut c = Command::new(env!("CARGO_BIN_EXE_modelvet"));
    c.args(["scan", "--targets-from"])
        .arg(&targets_file)
        .args(["--format", "jsonl", "--no-config"])
        .current_dir(dir.path());
    env_of(&mut c, &server, dir.path());
    let out = c.output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let single = outcomes(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(single.len(), REPOS);
    let verdicts: Vec<&Value> = single.values().map(|v| &v[0]).collect();
    for v in ["clean", "findings", "incomplete"] {
        assert!(
            verdicts.iter().any(|x| **x == v),
            "the corpus has {v} targets"
        );
    }
    server.clear_requests();
    Setup {
        server,
        dir,
        targets_file,
        single,
    }
}

fn run_cluster(python: &Path, s: &Setup, out: &Path, kill_worker: bool) -> Value {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/scale/ray_cluster_run.py");
    let work = s
        .dir
        .path()
        .join(if kill_worker { "work-kill" } else { "work" });
    let mut c = Command::new(python);
    c.arg(script)
        .arg("--targets")
        .arg(&s.targets_file)
        .arg("--out")
        .arg(out)
        .arg("--work")
        .arg(&work)
        .current_dir(s.dir.path());
    if kill_worker {
        c.arg("--kill-worker");
    }
    env_of(&mut c, &s.server, s.dir.path());
    let done = c.output().expect("the cluster script runs");
    let stdout = String::from_utf8_lossy(&done.stdout);
    let result: Value = stdout
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| {
            panic!(
                "no result from the cluster script: {stdout}\n{}",
                String::from_utf8_lossy(&done.stderr)
            )
        });
    assert!(
        done.status.success(),
        "{result}\n{}",
        String::from_utf8_lossy(&done.stderr)
    );
    result
}

#[test]
fn a_ray_cluster_gives_the_single_machine_verdicts_and_scans_each_target_once() {
    let Some(python) = python() else { return };
    let _one = ONE_CLUSTER.lock().unwrap_or_else(|p| p.into_inner());
    let s = setup();
    let out = s.dir.path().join("ray.jsonl");
    let result = run_cluster(&python, &s, &out, false);
    assert_eq!(result["exit_code"], 1, "{result}");
    let text = std::fs::read_to_string(&out).unwrap();
    let summary: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(summary["scanned"], REPOS);
    let ray = outcomes(&text);
    assert_eq!(ray.len(), REPOS);
    for (target, expected) in &s.single {
        assert_eq!(ray.get(target), Some(expected), "{target}");
    }
    // Exactly once: each repository's revision was resolved by one scan only.
    let mut resolved: BTreeMap<String, usize> = BTreeMap::new();
    for r in s.server.requests() {
        if let Some(rest) = r.target.strip_prefix("/api/models/") {
            if rest.contains("/revision/") {
                let repo = rest.split("/revision/").next().unwrap().to_string();
                *resolved.entry(repo).or_default() += 1;
            }
        }
    }
    assert_eq!(resolved.len(), REPOS, "every repository was resolved");
    let twice: Vec<_> = resolved.iter().filter(|(_, n)| **n != 1).collect();
    assert!(twice.is_empty(), "resolved more than once: {twice:?}");
}

#[test]
fn a_worker_killed_mid_run_loses_and_duplicates_nothing() {
    let Some(python) = python() else { return };
    let _one = ONE_CLUSTER.lock().unwrap_or_else(|p| p.into_inner());
    let s = setup();
    // Slow enough that a shard is still running when its worker is killed.
    s.server.set_delay_ms(20);
    let out = s.dir.path().join("ray-kill.jsonl");
    let result = run_cluster(&python, &s, &out, true);
    assert!(
        result["killed_pid"].is_u64(),
        "no worker was killed: {result}"
    );
    assert_eq!(result["nodes"], 2, "{result}");
    let text = std::fs::read_to_string(&out).unwrap();
    let ray = outcomes(&text);
    assert_eq!(ray.len(), REPOS, "a target was lost");
    for (target, expected) in &s.single {
        assert_eq!(ray.get(target), Some(expected), "{target}");
    }
    // The Dataset form: the same verdicts, every file served by the cache the run filled.
    let dataset = result["dataset"].as_object().expect("dataset verdicts");
    assert_eq!(dataset.len(), 20);
    for (target, row) in dataset {
        let expected = &s.single[target];
        assert_eq!(row[0], expected[0], "{target}");
        assert_eq!(row[1], expected[1], "{target}");
        if expected[0] != "incomplete" {
            assert!(row[2].as_u64().unwrap() >= 2, "{target}: {row}");
        }
    }
}
