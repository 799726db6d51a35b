//! Registry-scale scanning on one machine: `scan --targets-from` (a record per target,
//! `--resume`, bounded concurrency) and the content-addressed verdict cache (`--cache`),
//! on local files and on repositories served by the loopback Hub stand-in.

mod common;
#[path = "common/hub_server.rs"]
mod hub_server;

use std::path::Path;
use std::process::{Command, Output};

use hub_server::{FixtureRepo, HubServer};
use serde_json::Value;

const MALICIOUS: &str = "malicious/evasion03_posix_system.pkl";
const TORCH_PAYLOAD: &str = "malicious/evasion08_torch_zip_payload.pt";
const BENIGN: &str = "real/lpips_v0.1_alex.pth";

fn bytes(rel: &str) -> Vec<u8> {
    std::fs::read(common::fixture(rel)).unwrap()
}

fn run(args: &[&str], cwd: &Path, endpoint: Option<&str>) -> Output {
    let mut c = Command::new(env!("CARGO_BIN_EXE_modelvet"));
    c.args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_OFFLINE")
        .env("HF_HOME", cwd.join("hf-home"));
    if let Some(e) = endpoint {
        c.env("HF_ENDPOINT", e);
    }
    c.output().expect("binary runs")
}

fn records(text: &str) -> (Vec<Value>, Value) {
    let mut lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("every line is JSON"))
        .collect();
    let summary = lines.pop().expect("a summary line");
    assert_eq!(summary["kind"], "summary", "{summary}");
    for r in &lines {
        assert_eq!(r["kind"], "target", "{r}");
    }
    (lines, summary)
}

fn by_target(records: &[Value], target: &str) -> Value {
    let found: Vec<&Value> = records.iter().filter(|r| r["target"] == target).collect();
    assert_eq!(found.len(), 1, "{target} recorded {} times", found.len());
    found[0].clone()
}

/// A folder with three model files (one malicious, one copy of it under another folder, one
/// benign), a truncated pickle, and a target list naming them with a comment, a blank line,
/// a duplicate and a path that does not exist.
fn local_tree(dir: &Path) -> Vec<String> {
    for (rel, data) in [
        ("a/model.pkl", bytes(MALICIOUS)),
        ("b/model.pkl", bytes(MALICIOUS)),
        ("c/lpips.pth", bytes(BENIGN)),
        ("d/payload.pt", bytes(TORCH_PAYLOAD)),
    ] {
        let p = dir.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, data).unwrap();
    }
    // A benign pickle cut before its STOP opcode: incomplete, never clean.
    std::fs::write(
        dir.join("d/truncated.pkl"),
        b"\x80\x02}q\x00X\x01\x00\x00\x00aq\x01K\x01s",
    )
    .unwrap();
    let targets = ["a/model.pkl", "b", "c/lpips.pth", "d", "missing.pt"];
    std::fs::write(
        dir.join("targets.txt"),
        format!(
            "# models to vet\n{}\n\n{}\n",
            targets.join("\n"),
            targets[0]
        ),
    )
    .unwrap();
    targets.iter().map(|s| s.to_string()).collect()
}

#[test]
fn each_target_gets_one_record_with_the_verdict_a_single_scan_gives() {
    let dir = tempfile::tempdir().unwrap();
    let targets = local_tree(dir.path());
    let out = run(
        &[
            "scan",
            "--targets-from",
            "targets.txt",
            "--format",
            "jsonl",
            "--jobs",
            "3",
        ],
        dir.path(),
        None,
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (recs, summary) = records(&String::from_utf8(out.stdout).unwrap());
    assert_eq!(recs.len(), targets.len());
    for t in &targets {
        let rec = by_target(&recs, t);
        let single = run(&["scan", t, "--format", "json"], dir.path(), None);
        let report: Value = serde_json::from_slice(&single.stdout).unwrap_or(Value::Null);
        assert_eq!(
            rec["exit_code"],
            Value::from(single.status.code().unwrap()),
            "{t}"
        );
        if single.status.code() != Some(3) {
            assert_eq!(rec["verdict"], report["summary"]["verdict"], "{t}");
            assert_eq!(rec["findings"], report["summary"]["findings"], "{t}");
            assert_eq!(rec["artifacts"], report["artifacts"], "{t}");
        }
        assert!(rec["elapsed_ms"].is_u64(), "{rec}");
    }
    assert_eq!(by_target(&recs, "a/model.pkl")["verdict"], "findings");
    assert_eq!(by_target(&recs, "c/lpips.pth")["verdict"], "clean");
    assert_eq!(
        by_target(&recs, "c/lpips.pth")["bytes_read"],
        Value::from(bytes(BENIGN).len())
    );
    // The truncated pickle makes folder d incomplete, the torch payload makes it fail.
    assert_eq!(by_target(&recs, "d")["verdict"], "findings");
    let missing = by_target(&recs, "missing.pt");
    assert_eq!(missing["verdict"], "error");
    assert!(
        missing["error"].as_str().unwrap().contains("missing.pt"),
        "{missing}"
    );
    assert_eq!(summary["targets"], 6);
    assert_eq!(summary["duplicates"], 1);
    assert_eq!(summary["scanned"], 5);
    assert_eq!(summary["exit_code"], 1);

    // Text: one line per target, then the summary line.
    let text = run(&["scan", "--targets-from", "targets.txt"], dir.path(), None);
    let text = String::from_utf8(text.stdout).unwrap();
    assert_eq!(text.lines().count(), targets.len() + 1, "{text}");
    assert!(
        text.lines()
            .any(|l| l.starts_with("clean") && l.contains("c/lpips.pth")),
        "{text}"
    );
}

#[test]
fn a_clean_only_batch_exits_0_and_an_incomplete_one_2() {
    let dir = tempfile::tempdir().unwrap();
    local_tree(dir.path());
    std::fs::write(dir.path().join("clean.txt"), "c/lpips.pth\n").unwrap();
    let out = run(
        &["scan", "--targets-from", "clean.txt", "--format", "jsonl"],
        dir.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(0));
    std::fs::write(
        dir.path().join("partial.txt"),
        "c/lpips.pth\nd/truncated.pkl\n",
    )
    .unwrap();
    let out = run(
        &["scan", "--targets-from", "partial.txt", "--format", "jsonl"],
        dir.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn resume_skips_what_is_recorded_and_redoes_a_record_cut_short() {
    let dir = tempfile::tempdir().unwrap();
    let targets = local_tree(dir.path());
    let full = run(
        &[
            "scan",
            "--targets-from",
            "targets.txt",
            "--format",
            "jsonl",
            "--jobs",
            "1",
        ],
        dir.path(),
        None,
    );
    let text = String::from_utf8(full.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    // Two whole records, then half of the third: a run killed while writing.
    let cut = format!(
        "{}\n{}\n{}",
        lines[0],
        lines[1],
        &lines[2][..lines[2].len() / 2]
    );
    let out_path = dir.path().join("out.jsonl");
    std::fs::write(&out_path, cut).unwrap();
    let resumed = run(
        &[
            "scan",
            "--targets-from",
            "targets.txt",
            "--format",
            "jsonl",
            "--resume",
            "out.jsonl",
        ],
        dir.path(),
        None,
    );
    assert_eq!(resumed.status.code(), Some(1));
    assert!(resumed.stdout.is_empty(), "records go to the resumed file");
    let (recs, summary) = records(&std::fs::read_to_string(&out_path).unwrap());
    assert_eq!(recs.len(), targets.len(), "each target exactly once");
    for t in &targets {
        by_target(&recs, t);
    }
    assert_eq!(summary["already_recorded"], 2);
    assert_eq!(summary["scanned"], 3);
    // Resumed again: nothing left to scan; the exit code still covers every record.
    let again = run(
        &[
            "scan",
            "--targets-from",
            "targets.txt",
            "--format",
            "jsonl",
            "--resume",
            "out.jsonl",
        ],
        dir.path(),
        None,
    );
    assert_eq!(again.status.code(), Some(1));
    let text = std::fs::read_to_string(&out_path).unwrap();
    let last: Value = serde_json::from_str(text.lines().last().unwrap()).unwrap();
    assert_eq!(last["scanned"], 0);
    assert_eq!(last["already_recorded"], 5);
    // Text lines could not be resumed from.
    let text = run(
        &[
            "scan",
            "--targets-from",
            "targets.txt",
            "--resume",
            "out.jsonl",
        ],
        dir.path(),
        None,
    );
    assert_eq!(text.status.code(), Some(3));
    // A file that is not a record list is refused, not overwritten.
    std::fs::write(dir.path().join("other.jsonl"), "{\"a\": 1}\n").unwrap();
    let refused = run(
        &[
            "scan",
            "--targets-from",
            "targets.txt",
            "--format",
            "jsonl",
            "--resume",
            "other.jsonl",
        ],
        dir.path(),
        None,
    );
    assert_eq!(refused.status.code(), Some(3));
    assert_eq!(
        std::fs::read_to_string(dir.path().join("other.jsonl")).unwrap(),
        "{\"a\": 1}\n"
    );
}

#[test]
fn target_lists_are_bounded() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("long.txt"), "x".repeat(9 * 1024)).unwrap();
    let out = run(
        &["scan", "--targets-from", "long.txt", "--format", "jsonl"],
        dir.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("MAX_BATCH_TARGET_BYTES"));
    let out = run(
        &["scan", "--targets-from", "long.txt", "--format", "sarif"],
        dir.path(),
        None,
    );
    assert_eq!(out.status.code(), Some(3));
}

/// Artifacts without the cache's own mark and without finding fingerprints (which name the
/// path or repository), to compare a cached verdict with a fresh one.
fn without_cache_mark(mut artifacts: Value) -> Value {
    for a in artifacts.as_array_mut().unwrap() {
        for f in a["findings"].as_array_mut().unwrap() {
            f.as_object_mut().unwrap().remove("fingerprint");
        }
        if let Some(facts) = a.get_mut("facts").and_then(Value::as_object_mut) {
            facts.remove("verdict_cache");
            if facts.is_empty() {
                a.as_object_mut().unwrap().remove("facts");
            }
        }
    }
    artifacts
}

#[test]
fn the_cache_gives_the_same_verdict_for_the_same_bytes_under_another_path() {
    let dir = tempfile::tempdir().unwrap();
    local_tree(dir.path());
    let scan = |target: &str, extra: &[&str]| -> Value {
        let mut args = vec!["scan", target, "--format", "json", "--cache", "cache"];
        args.extend_from_slice(extra);
        let out = run(&args, dir.path(), None);
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first = scan("a/model.pkl", &[]);
    assert!(first["artifacts"][0]["facts"]
        .get("verdict_cache")
        .is_none());
    // The same bytes in another folder: a hit, reported as such, with the same findings.
    let second = scan("b/model.pkl", &[]);
    assert_eq!(
        second["artifacts"][0]["facts"]["verdict_cache"]["hit"],
        true
    );
    assert_eq!(
        second["artifacts"][0]["facts"]["verdict_cache"]["content"],
        format!(
            "sha256:{}",
            first["artifacts"][0]["sha256"].as_str().unwrap()
        )
    );
    assert_eq!(second["summary"]["verdict"], "findings");
    let rebased = serde_json::to_string(&first["artifacts"])
        .unwrap()
        .replace("a/model.pkl", "b/model.pkl");
    assert_eq!(
        without_cache_mark(second["artifacts"].clone()),
        without_cache_mark(serde_json::from_str::<Value>(&rebased).unwrap())
    );
    common::assert_valid_report(&second.to_string());
    // A torch zip with members comes back whole, members and their findings included.
    let zip_first = scan("d/payload.pt", &[]);
    let zip_again = scan("d/payload.pt", &[]);
    assert_eq!(
        zip_again["artifacts"][0]["facts"]["verdict_cache"]["hit"],
        true
    );
    assert_eq!(
        without_cache_mark(zip_again["artifacts"].clone()),
        without_cache_mark(zip_first["artifacts"].clone())
    );
    // An incomplete verdict is never stored: scanned again each time.
    let truncated = scan("d/truncated.pkl", &[]);
    assert_eq!(truncated["summary"]["verdict"], "incomplete");
    let truncated = scan("d/truncated.pkl", &[]);
    assert!(truncated["artifacts"][0]["facts"]
        .get("verdict_cache")
        .is_none());
}

#[test]
fn a_policy_change_misses_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    local_tree(dir.path());
    let scan = |config: Option<&str>| -> Value {
        let mut args = vec![
            "scan",
            "c/lpips.pth",
            "--format",
            "json",
            "--cache",
            "cache",
        ];
        if let Some(c) = config {
            args.extend_from_slice(&["--config", c]);
        } else {
            args.push("--no-config");
        }
        serde_json::from_slice(&run(&args, dir.path(), None).stdout).unwrap()
    };
    scan(None);
    assert_eq!(
        scan(None)["artifacts"][0]["facts"]["verdict_cache"]["hit"],
        true
    );
    std::fs::write(
        dir.path().join("strict.toml"),
        "[rules]\nMV104 = \"high\"\n",
    )
    .unwrap();
    let strict = scan(Some("strict.toml"));
    assert!(strict["artifacts"][0]["facts"]
        .get("verdict_cache")
        .is_none());
    assert_eq!(
        scan(Some("strict.toml"))["artifacts"][0]["facts"]["verdict_cache"]["hit"],
        true
    );
}

/// Two repositories that share one LFS blob (a fine-tune republished under another name,
/// a mirror), and a third with its own bytes.
fn shared_blob_hub() -> HubServer {
    let weights = bytes(TORCH_PAYLOAD);
    let pickle = bytes(MALICIOUS);
    HubServer::start(vec![
        FixtureRepo::model("org/original")
            .file("config.json", "{\"model_type\": \"bert\"}\n")
            .lfs("pytorch_model.bin", weights.clone())
            .lfs("extra.pkl", pickle.clone()),
        FixtureRepo::model("mirror/copy")
            .file("config.json", "{\"model_type\": \"bert\"}\n")
            .lfs("pytorch_model.bin", weights)
            .lfs("extra.pkl", pickle),
        FixtureRepo::model("org/other").lfs("lpips.pth", bytes(BENIGN)),
    ])
}

#[test]
fn a_blob_judged_in_one_repository_is_not_read_again_in_another() {
    let server = shared_blob_hub();
    let dir = tempfile::tempdir().unwrap();
    let scan = |target: &str| -> Value {
        let out = run(
            &["scan", target, "--format", "json", "--cache", "cache"],
            dir.path(),
            Some(&server.endpoint),
        );
        serde_json::from_slice(&out.stdout).unwrap()
    };
    let first = scan("hf://org/original");
    assert!(first["remote"][0]["totals"]["bytes_read"].as_u64().unwrap() > 0);
    server.clear_requests();
    let copy = scan("hf://mirror/copy");
    let files = copy["remote"][0]["files"].as_array().unwrap();
    for f in files {
        assert_eq!(f["hash_check"], "cached", "{f}");
        assert_eq!(f["bytes_read"], 0, "{f}");
    }
    assert_eq!(copy["remote"][0]["totals"]["bytes_read"], 0);
    let reads: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.target.contains("/resolve/"))
        .collect();
    assert!(
        reads.is_empty(),
        "file reads made for cached blobs: {}",
        reads.len()
    );
    assert_eq!(copy["summary"]["verdict"], first["summary"]["verdict"]);
    assert_eq!(copy["summary"]["findings"], first["summary"]["findings"]);
    assert_eq!(
        without_cache_mark(copy["artifacts"].clone()),
        without_cache_mark(first["artifacts"].clone()),
        "same paths in both repositories, so the same artifacts"
    );
    common::assert_valid_report(&copy.to_string());
    // Other bytes are read as usual.
    let other = scan("hf://org/other");
    assert!(other["remote"][0]["totals"]["bytes_read"].as_u64().unwrap() > 0);
}

#[test]
fn a_remote_batch_records_revision_bytes_and_cache_hits() {
    let server = shared_blob_hub();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("targets.txt"),
        "hf://org/original\nhf://mirror/copy@main\nhf://org/other\nhf://org/absent\n",
    )
    .unwrap();
    let out = run(
        &[
            "scan",
            "--targets-from",
            "targets.txt",
            "--format",
            "jsonl",
            "--cache",
            "cache",
            "--jobs",
            "1",
        ],
        dir.path(),
        Some(&server.endpoint),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (recs, summary) = records(&String::from_utf8(out.stdout).unwrap());
    let original = by_target(&recs, "hf://org/original");
    assert_eq!(original["source"], "hf");
    assert_eq!(original["commit"].as_str().unwrap().len(), 40);
    assert!(original["bytes_read"].as_u64().unwrap() > 0);
    assert!(original["requests"].as_u64().unwrap() > 0);
    let copy = by_target(&recs, "hf://mirror/copy@main");
    assert_eq!(copy["revision"], "main");
    assert_eq!(copy["bytes_read"], 0);
    assert_eq!(copy["cache"]["hits"], 3);
    assert_eq!(copy["verdict"], original["verdict"]);
    let absent = by_target(&recs, "hf://org/absent");
    assert_eq!(absent["verdict"], "incomplete");
    assert!(absent["error"].is_string(), "{absent}");
    assert_eq!(summary["cache"]["hits"], 3);
}

/// Wall seconds, peak RSS (KiB) and CPU seconds (user + system) of a command, from
/// /usr/bin/time -v.
fn timed(c: Command) -> (Output, f64, u64, f64) {
    let mut t = Command::new("/usr/bin/time");
    t.arg("-v").arg(c.get_program()).args(c.get_args());
    for (k, v) in c.get_envs() {
        match v {
            Some(v) => t.env(k, v),
            None => t.env_remove(k),
        };
    }
    if let Some(d) = c.get_current_dir() {
        t.current_dir(d);
    }
    let start = std::time::Instant::now();
    let out = t.output().expect("time runs");
    let wall = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    let rss = stderr
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or(0);
    let seconds = |label: &str| -> f64 {
        stderr
            .lines()
            .find_map(|l| l.trim().strip_prefix(label))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(0.0)
    };
    let cpu = seconds("User time (seconds): ") + seconds("System time (seconds): ");
    (out, wall, rss, cpu)
}

/// Registry-scale numbers for docs/scale.md (run by `bash benches/scale.sh`, release build):
/// targets per second of local and remote batches on this machine, bytes and requests per
/// repository of a typical Hub layout, and cache hits against misses.
#[test]
#[ignore = "measurement: run by benches/scale.sh"]
fn measure_batch_scale() {
    let local_n: usize = std::env::var("SCALE_LOCAL_TARGETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let remote_n: usize = std::env::var("SCALE_REMOTE_TARGETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(300);
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let malicious = bytes(MALICIOUS);
    // Local: one folder per target, a config and a safetensors file each (its own bytes),
    // a malicious pickle in every tenth.
    let mut local_targets = String::new();
    for i in 0..local_n {
        let d = root.join(format!("local/m{i:05}"));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(
            d.join("config.json"),
            format!("{{\"model_type\": \"bert\", \"id\": {i}}}\n"),
        )
        .unwrap();
        let header = format!("{{\"__metadata__\":{{\"i\":\"{i}\"}},\"w\":{{\"dtype\":\"F32\",\"shape\":[1024],\"data_offsets\":[0,4096]}}}}");
        let mut st = (header.len() as u64).to_le_bytes().to_vec();
        st.extend_from_slice(header.as_bytes());
        st.extend_from_slice(&[0u8; 4096]);
        std::fs::write(d.join("model.safetensors"), st).unwrap();
        if i % 10 == 0 {
            std::fs::write(d.join("extra.pkl"), &malicious).unwrap();
        }
        local_targets.push_str(&format!("{}\n", d.display()));
    }
    std::fs::write(root.join("local.txt"), &local_targets).unwrap();

    // Remote: a typical transformers repository: card, configs, a 2 MiB tokenizer.json of
    // its own, and a 1 GiB safetensors. Every repository's weights differ except in every
    // third, which republishes one shared blob (a fine-tune copied, a mirror).
    let shared = hub_server::sparse_safetensors(1 << 30);
    let mut repos = Vec::new();
    let mut remote_targets = String::new();
    for i in 0..remote_n {
        let id = format!("org/r{i:04}");
        let tokenizer = format!(
            "{{\"version\": \"1.0\", \"model\": {{\"vocab\": {{\"{}\": 0}}}}, \"pad\": \"{}\"}}",
            i,
            "x".repeat(2 << 20)
        );
        let weights = if i % 3 == 0 {
            shared.clone()
        } else {
            // Its own header (so its own blob) over 1 GiB of zeros.
            let header = format!("{{\"__metadata__\":{{\"r\":\"{i}\"}},\"w\":{{\"dtype\":\"F32\",\"shape\":[268435456],\"data_offsets\":[0,1073741824]}}}}");
            let mut head = (header.len() as u64).to_le_bytes().to_vec();
            head.extend_from_slice(header.as_bytes());
            let len = head.len() as u64 + (1 << 30);
            hub_server::Sparse::new_unhashed(len, vec![(0, head)], &format!("{i}"))
        };
        repos.push(
            FixtureRepo::model(&id)
                .file(
                    "README.md",
                    format!(
                        "---\nlicense: mit\n---\n# Model {i}\n{}\n",
                        "Text. ".repeat(500)
                    ),
                )
                .file(
                    "config.json",
                    "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"]}\n",
                )
                .file(
                    "generation_config.json",
                    "{\"do_sample\": true, \"temperature\": 0.7}\n",
                )
                .file("tokenizer_config.json", "{\"model_max_length\": 4096}\n")
                .file("special_tokens_map.json", "{\"eos_token\": \"</s>\"}\n")
                .file("tokenizer.json", tokenizer)
                .sparse_lfs("model.safetensors", weights),
        );
        remote_targets.push_str(&format!("hf://{id}\n"));
    }
    let server = HubServer::start(repos);
    // The Hub lists up to 1,000 entries per page; the stand-in's default of 2 exercises
    // pagination in the other tests.
    server.set_page_size(1000);
    std::fs::write(root.join("remote.txt"), &remote_targets).unwrap();

    let run_batch =
        |list: &str, cache: Option<&str>, jobs: &str| -> (Vec<Value>, Value, f64, u64, f64) {
            let mut c = Command::new(env!("CARGO_BIN_EXE_modelvet"));
            c.args([
                "scan",
                "--targets-from",
                list,
                "--format",
                "jsonl",
                "--no-config",
                "-o",
                "out.jsonl",
                "--jobs",
                jobs,
            ])
            .current_dir(root)
            .env("HF_ENDPOINT", &server.endpoint)
            .env("HF_HOME", root.join("hf-home"))
            .env_remove("HF_TOKEN");
            if let Some(dir) = cache {
                c.args(["--cache", dir]);
            }
            let (out, wall, rss, cpu) = timed(c);
            assert!(
                matches!(out.status.code(), Some(0..=2)),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            let (recs, summary) =
                records(&std::fs::read_to_string(root.join("out.jsonl")).unwrap());
            (recs, summary, wall, rss, cpu)
        };
    println!("\n| run | targets | wall s | targets/s | CPU ms / target | peak RSS MiB | bytes read / target | requests / target | cache hits |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    let row = |name: &str, list: &str, cache: Option<&str>, jobs: &str| {
        let (recs, summary, wall, rss, cpu) = run_batch(list, cache, jobs);
        let n = recs.len() as f64;
        let bytes: f64 = recs
            .iter()
            .filter_map(|r| r["bytes_read"].as_u64())
            .sum::<u64>() as f64;
        let requests: f64 = recs
            .iter()
            .filter_map(|r| r["requests"].as_u64())
            .sum::<u64>() as f64;
        let hits = summary["cache"]["hits"].as_u64().unwrap_or(0);
        println!(
            "| {name} | {} | {wall:.2} | {:.0} | {:.2} | {:.1} | {:.0} | {:.1} | {hits} |",
            recs.len(),
            n / wall,
            cpu * 1000.0 / n,
            rss as f64 / 1024.0,
            bytes / n,
            requests / n
        );
    };
    row("local, no cache, --jobs 2", "local.txt", None, "2");
    row(
        "local, cache cold, --jobs 2",
        "local.txt",
        Some("cache-local"),
        "2",
    );
    row(
        "local, cache warm, --jobs 2",
        "local.txt",
        Some("cache-local"),
        "2",
    );
    row("remote, no cache, --jobs 2", "remote.txt", None, "2");
    row("remote, no cache, --jobs 16", "remote.txt", None, "16");
    row(
        "remote, cache cold, --jobs 16",
        "remote.txt",
        Some("cache-remote"),
        "16",
    );
    row(
        "remote, cache warm, --jobs 16",
        "remote.txt",
        Some("cache-remote"),
        "16",
    );

    // The reference per-target loop a registry would run today, when the bench venv has it.
    if let Some(picklescan) = std::env::var_os("SCALE_PICKLESCAN") {
        let sample: Vec<&str> = local_targets.lines().take(200).collect();
        let start = std::time::Instant::now();
        for t in &sample {
            let _ = Command::new(&picklescan).args(["-p", t]).output().unwrap();
        }
        let wall = start.elapsed().as_secs_f64();
        println!(
            "| picklescan -p per target (first {}) | {} | {wall:.2} | {:.0} | | | | | |",
            sample.len(),
            sample.len(),
            sample.len() as f64 / wall
        );
    }
}
