//! Pre-download vetting (`modelvet scan hf://...`) against the loopback Hub stand-in
//! (tests/common/hub_server.rs): each fixture repository flagged as it should be, with
//! assertions on the bytes and requests it cost.
//!
//! The large files are sparse (real header bytes, zeros elsewhere, served per range), so a
//! 2 GiB safetensors and a 1 GiB torch zip cost no memory. Settings are passed as a
//! `HubConfig`, never through the process environment, except for CLI runs (child processes).

mod common;
#[path = "common/hub_server.rs"]
mod hub_server;

use std::sync::OnceLock;
use std::time::Instant;

use hub_server::{sparse_safetensors, FixtureRepo, HubServer, Override, Sparse};
use modelvet::hub::{self, HashCheck, HubConfig, HubErrorKind, RemoteScan, Token};
use modelvet::policy::Policy;
use modelvet::provenance::outcome::VerifyStatus;
use modelvet::report::{Report, Severity, Status};
use modelvet::scan::ScanOptions;
use serde_json::json;

const GIB: u64 = 1 << 30;

fn fixture_bytes(rel: &str) -> Vec<u8> {
    std::fs::read(common::fixture(rel)).unwrap()
}

/// A member of a stored zip: bytes, or `n` zero bytes that are never materialised.
enum Member {
    Bytes(Vec<u8>),
    Zeros(u64),
}

/// CRC-32 of `n` zero bytes, fed in 1 MiB chunks.
fn crc_of_zeros(n: u64) -> u32 {
    let zeros = vec![0u8; 1 << 20];
    let mut crc = flate2::Crc::new();
    let mut left = n;
    while left > 0 {
        let k = left.min(zeros.len() as u64) as usize;
        crc.update(&zeros[..k]);
        left -= k as u64;
    }
    crc.sum()
}

/// A stored (method 0) zip built from the APPNOTE layout: local headers with data, the
/// central directory, the end record. Sizes stay under 4 GiB (no zip64 needed).
fn sparse_zip(members: &[(&str, Member)]) -> Sparse {
    let mut pieces: Vec<(u64, Vec<u8>)> = Vec::new();
    let mut cur: Vec<u8> = Vec::new();
    let mut cur_start = 0u64;
    let mut pos = 0u64;
    let mut central = Vec::new();
    for (name, m) in members {
        let (crc, size) = match m {
            Member::Bytes(b) => {
                let mut c = flate2::Crc::new();
                c.update(b);
                (c.sum(), b.len() as u64)
            }
            Member::Zeros(n) => (crc_of_zeros(*n), *n),
        };
        let offset = pos;
        let mut local = Vec::new();
        local.extend(0x0403_4b50u32.to_le_bytes());
        local.extend(20u16.to_le_bytes()); // version needed
        local.extend(0u16.to_le_bytes()); // flags
        local.extend(0u16.to_le_bytes()); // stored
        local.extend(0u32.to_le_bytes()); // time, date
        local.extend(crc.to_le_bytes());
        local.extend((size as u32).to_le_bytes());
        local.extend((size as u32).to_le_bytes());
        local.extend((name.len() as u16).to_le_bytes());
        local.extend(0u16.to_le_bytes());
        local.extend(name.as_bytes());
        cur.extend(&local);
        pos += local.len() as u64;
        match m {
            Member::Bytes(b) => {
                cur.extend(b);
                pos += size;
            }
            Member::Zeros(n) => {
                pieces.push((cur_start, std::mem::take(&mut cur)));
                pos += n;
                cur_start = pos;
            }
        }
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend(20u16.to_le_bytes()); // made by
        central.extend(20u16.to_le_bytes()); // needed
        central.extend(0u16.to_le_bytes());
        central.extend(0u16.to_le_bytes());
        central.extend(0u32.to_le_bytes());
        central.extend(crc.to_le_bytes());
        central.extend((size as u32).to_le_bytes());
        central.extend((size as u32).to_le_bytes());
        central.extend((name.len() as u16).to_le_bytes());
        central.extend([0u8; 6]); // extra, comment lengths, disk
        central.extend([0u8; 6]); // internal, external attributes
        central.extend((offset as u32).to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_offset = pos;
    cur.extend(&central);
    cur.extend(0x0605_4b50u32.to_le_bytes());
    cur.extend([0u8; 4]);
    cur.extend((members.len() as u16).to_le_bytes());
    cur.extend((members.len() as u16).to_le_bytes());
    cur.extend((central.len() as u32).to_le_bytes());
    cur.extend((cd_offset as u32).to_le_bytes());
    cur.extend(0u16.to_le_bytes());
    pos += central.len() as u64 + 22;
    pieces.push((cur_start, cur));
    Sparse::new(pos, pieces)
}

/// The real torch zip with a malicious data.pkl from the fixtures (written by torch's
/// layout in testdata/generate.py), with its storage `data/0` grown to `storage` zero bytes.
fn malicious_torch_zip(storage: u64) -> Sparse {
    let src = fixture_bytes("malicious/evasion08_torch_zip_payload.pt");
    let mut zip = zip_members(&src);
    let members: Vec<(&str, Member)> = zip
        .iter_mut()
        .map(|(name, bytes)| {
            let m = if name == "archive/data/0" {
                Member::Zeros(storage)
            } else {
                Member::Bytes(std::mem::take(bytes))
            };
            (name.as_str(), m)
        })
        .collect();
    sparse_zip(&members)
}

/// The stored members of a small zip, via its central directory.
fn zip_members(z: &[u8]) -> Vec<(String, Vec<u8>)> {
    let u16_at = |i: usize| u16::from_le_bytes([z[i], z[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes(z[i..i + 4].try_into().unwrap()) as usize;
    let eocd = (0..z.len() - 21)
        .rev()
        .find(|&i| u32_at(i) == 0x0605_4b50)
        .unwrap();
    let (count, mut p) = (u16_at(eocd + 10), u32_at(eocd + 16));
    let mut out = Vec::new();
    for _ in 0..count {
        assert_eq!(u16_at(p + 10), 0, "stored members only");
        let size = u32_at(p + 20);
        let (nlen, elen, clen) = (u16_at(p + 28), u16_at(p + 30), u16_at(p + 32));
        let name = String::from_utf8(z[p + 46..p + 46 + nlen].to_vec()).unwrap();
        let lh = u32_at(p + 42);
        let data = lh + 30 + u16_at(lh + 26) + u16_at(lh + 28);
        out.push((name, z[data..data + size].to_vec()));
        p += 46 + nlen + elen + clen;
    }
    out
}

/// A small real safetensors file (its data past the first 64 KiB) made here by the format:
/// used where a file must be read only in part.
fn small_safetensors(data_len: usize, fill: u8) -> Vec<u8> {
    let mut header = format!(
        "{{\"w\":{{\"dtype\":\"U8\",\"shape\":[{data_len}],\"data_offsets\":[0,{data_len}]}}}}"
    );
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut v = (header.len() as u64).to_le_bytes().to_vec();
    v.extend(header.as_bytes());
    v.extend(vec![fill; data_len]);
    v
}

struct Fixtures {
    server: HubServer,
    home: tempfile::TempDir,
}

/// The modelvet binary pointed at the stand-in Hub, with no token and online.
fn hub_cli(f: &Fixtures) -> std::process::Command {
    let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_modelvet"));
    c.env("HF_ENDPOINT", &f.server.endpoint)
        .env("HF_HOME", f.home.path())
        .env_remove("HF_TOKEN")
        .env_remove("HF_HUB_OFFLINE");
    c
}

/// One server for the read-only tests (the sparse hashes are computed once).
fn fixtures() -> &'static Fixtures {
    static F: OnceLock<Fixtures> = OnceLock::new();
    F.get_or_init(|| {
        let config = "{\"model_type\": \"llama\", \"architectures\": [\"LlamaForCausalLM\"]}\n";
        let safe = FixtureRepo::model("org/safe-2g")
            .file("config.json", config)
            .sparse_lfs("model.safetensors", sparse_safetensors(2 * GIB));
        let torch = FixtureRepo::model("org/torch-1g")
            .file("config.json", config)
            .sparse_lfs("pytorch_model.bin", malicious_torch_zip(GIB));
        let gguf = FixtureRepo::model("org/gguf-template").lfs(
            "model.gguf",
            fixture_bytes("formats/gguf_chat_template_ssti.gguf"),
        );
        let real = fixture_bytes("formats/gguf_tiny_llama.gguf");
        let mut tampered = real.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 0xff;
        let mismatch = FixtureRepo::model("org/lfs-mismatch")
            .file("config.json", config)
            .lfs("model.gguf", real)
            .tamper("model.gguf", tampered);
        let disguised = FixtureRepo::model("org/disguised").lfs(
            "model.safetensors",
            fixture_bytes("malicious/evasion03_posix_system.pkl"),
        );
        let advisory = FixtureRepo::model("org/advisory")
            .file("config.json", config)
            .lfs("model.safetensors", small_safetensors(1000, 1))
            .security(
                "model.safetensors",
                json!({"status": "unsafe", "pickleImportScan": {"status": "unsafe"}}),
            );
        let gated = FixtureRepo::model("org/gated")
            .file("config.json", config)
            .gated("hf_secret_token");
        let flaky = FixtureRepo::model("org/flaky")
            .file("config.json", config)
            .lfs("model.safetensors", small_safetensors(1000, 2));
        let dataset = FixtureRepo::dataset("org/data").file(
            "data.pkl",
            fixture_bytes("malicious/evasion03_posix_system.pkl"),
        );
        let server = HubServer::start(vec![
            safe, torch, gguf, mismatch, disguised, advisory, gated, flaky, dataset,
        ]);
        server.set_page_size(100);
        Fixtures {
            server,
            home: tempfile::tempdir().unwrap(),
        }
    })
}

fn config() -> HubConfig {
    let f = fixtures();
    HubConfig::for_endpoint(&f.server.endpoint, f.home.path())
}

fn opts() -> ScanOptions {
    ScanOptions {
        cache: None,
        hash: true,
        policy: Policy::new(),
        progress: false,
        scope: Default::default(),
    }
}

fn vet(input: &str) -> RemoteScan {
    hub::scan_remote(input, &config(), &opts()).expect("repository scanned")
}

fn report(scan: &RemoteScan) -> Report {
    modelvet::scan::build_report(
        vec![scan.repo.to_string()],
        scan.artifacts.clone(),
        Severity::Medium,
    )
}

fn rules_of(scan: &RemoteScan, file: &str) -> Vec<&'static str> {
    scan.artifacts
        .iter()
        .filter(|a| a.file == file)
        .flat_map(|a| a.findings.iter().map(|f| f.rule))
        .collect()
}

fn read_of<'a>(scan: &'a RemoteScan, path: &str) -> &'a hub::RemoteFileRead {
    scan.files.iter().find(|f| f.path == path).unwrap()
}

#[test]
fn safe_2gib_safetensors_is_clean_from_its_header() {
    let scan = vet("hf://org/safe-2g");
    let r = report(&scan);
    assert_eq!(r.summary.verdict, "clean", "{:#?}", scan.artifacts);
    let st = read_of(&scan, "model.safetensors");
    assert_eq!(st.size, 2 * GIB + 88);
    // The head prefetch (64 KiB) holds the header; the 2 GiB of data are never read.
    assert!(st.bytes_read <= 64 * 1024, "read {}", st.bytes_read);
    assert_eq!(st.requests, 1);
    assert_eq!(st.hash_check, HashCheck::NotReadWhole);
    // config.json was read whole and matches its Git blob id.
    assert_eq!(read_of(&scan, "config.json").hash_check, HashCheck::Match);
    assert!(scan.read_ratio() < 0.005, "ratio {}", scan.read_ratio());
    assert_eq!(scan.commit.len(), 40);
    let top = scan
        .artifacts
        .iter()
        .find(|a| a.path == "model.safetensors")
        .unwrap();
    assert_eq!(top.format, "safetensors");
    assert_eq!(top.status, Status::Complete);
}

#[test]
fn malicious_pickle_inside_a_1gib_torch_zip() {
    let f = fixtures();
    let scan = vet("hf://org/torch-1g@main");
    let pkl = scan
        .artifacts
        .iter()
        .find(|a| a.path == "pytorch_model.bin!archive/data.pkl")
        .unwrap_or_else(|| panic!("data.pkl not scanned: {:#?}", scan.artifacts));
    assert!(
        pkl.findings
            .iter()
            .any(|x| x.rule == "MV101" && x.severity == Severity::Critical),
        "{:#?}",
        pkl.findings
    );
    assert_eq!(report(&scan).summary.exit_code, 1);
    let z = read_of(&scan, "pytorch_model.bin");
    assert!(z.size > GIB);
    assert!(z.bytes_read < 256 * 1024, "read {}", z.bytes_read);
    // The end record and central directory came in one request (the tail prefetch).
    let tail_from = z.size - 65_557;
    let tail_requests: Vec<_> = f
        .server
        .requests()
        .into_iter()
        .filter(|r| r.server == "cdn" && r.target.contains("/org/torch-1g/"))
        .filter_map(|r| r.range)
        .filter(|range| {
            let start: u64 = range
                .trim_start_matches("bytes=")
                .split('-')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            start >= tail_from - 4096
        })
        .collect();
    assert_eq!(tail_requests.len(), 1, "{tail_requests:?}");
    assert!(scan.read_ratio() < 0.005);
}

#[test]
fn gguf_with_injected_chat_template() {
    let scan = vet("hf://org/gguf-template");
    assert!(rules_of(&scan, "model.gguf").contains(&"MV703"));
    assert_eq!(report(&scan).summary.exit_code, 1);
}

#[test]
fn lfs_hash_that_does_not_match_the_content() {
    let scan = vet("hf://org/lfs-mismatch");
    let g = read_of(&scan, "model.gguf");
    assert_eq!(g.hash_check, HashCheck::Mismatch);
    assert!(rules_of(&scan, "model.gguf").contains(&"MV503"));
    assert_eq!(read_of(&scan, "config.json").hash_check, HashCheck::Match);
    assert!(!rules_of(&scan, "config.json").contains(&"MV503"));
    assert_eq!(report(&scan).summary.exit_code, 1);
}

#[test]
fn formats_by_content_not_by_name() {
    let scan = vet("hf://org/disguised");
    let rules = rules_of(&scan, "model.safetensors");
    assert!(rules.contains(&"MV101"), "{rules:?}");
    assert!(rules.contains(&"MV501"), "{rules:?}");
    // Datasets too.
    let scan = vet("hf://datasets/org/data");
    assert!(rules_of(&scan, "data.pkl").contains(&"MV101"));
}

#[test]
fn hub_verdict_is_advisory() {
    let scan = vet("hf://org/advisory");
    let r = report(&scan);
    // The Hub calls the file unsafe; modelvet's own scan is what decides.
    assert_eq!(r.summary.verdict, "clean", "{:#?}", scan.artifacts);
    let section = scan.section("");
    let f = section
        .files
        .iter()
        .find(|f| f.path == "model.safetensors")
        .unwrap();
    assert!(f
        .hub_scan_advisory
        .as_deref()
        .is_some_and(|a| a.contains("unsafe")));
}

#[test]
fn auth_and_not_found_are_clear() {
    let e = hub::scan_remote("hf://org/gated", &config(), &opts()).unwrap_err();
    assert_eq!(e.kind, Some(HubErrorKind::Auth));
    assert!(e.message.contains("gated"), "{}", e.message);
    assert!(e.message.contains("HF_TOKEN"), "{}", e.message);
    assert_eq!(e.exit_code(), 2);
    let with_token = config().with_token(Token::new("hf_secret_token").unwrap());
    let scan = hub::scan_remote("hf://org/gated", &with_token, &opts()).unwrap();
    assert_eq!(report(&scan).summary.verdict, "clean");

    let e = hub::scan_remote("hf://org/missing", &config(), &opts()).unwrap_err();
    assert_eq!(e.kind, Some(HubErrorKind::NotFound));
    assert!(e.message.contains("not found"), "{}", e.message);
    assert_eq!(e.exit_code(), 2);
    let e = hub::scan_remote("hf://org/safe-2g@no-such-branch", &config(), &opts()).unwrap_err();
    assert!(e.message.contains("revision"), "{}", e.message);
    let e = hub::scan_remote("hf://../x", &config(), &opts()).unwrap_err();
    assert_eq!(e.exit_code(), 3);
}

#[test]
fn persistent_failures_end_incomplete_never_clean() {
    let f = fixtures();
    f.server.add_override(Override {
        prefix: "/cdn/models/org/flaky/".into(),
        status: 503,
        headers: vec![],
        body: b"down".to_vec(),
    });
    let scan = vet("hf://org/flaky");
    let st = read_of(&scan, "model.safetensors");
    assert!(st.error.is_some());
    // Tried, retried (inside the client), then stopped: the error is sticky.
    assert!(st.requests <= 2, "{} requests", st.requests);
    let a = scan
        .artifacts
        .iter()
        .find(|a| a.path == "model.safetensors")
        .unwrap();
    assert_ne!(a.status, Status::Complete);
    let r = report(&scan);
    assert_eq!(r.summary.exit_code, 2);
    assert_eq!(r.summary.verdict, "incomplete");
    let tries = f
        .server
        .requests()
        .iter()
        .filter(|r| r.server == "cdn" && r.target.starts_with("/cdn/models/org/flaky/"))
        .count();
    assert!(tries >= 3, "retried: {tries}");
}

#[test]
fn transient_failures_are_retried() {
    let server = HubServer::start(vec![FixtureRepo::model("org/retry")
        .file("config.json", "{}\n")
        .lfs("model.safetensors", small_safetensors(100, 3))]);
    server.fail_next(2);
    let home = tempfile::tempdir().unwrap();
    let cfg = HubConfig::for_endpoint(&server.endpoint, home.path());
    let scan = hub::scan_remote("hf://org/retry", &cfg, &opts()).unwrap();
    assert_eq!(report(&scan).summary.verdict, "clean");
}

#[test]
fn prefetch_concurrency_is_bounded() {
    let mut repo = FixtureRepo::model("org/many");
    for i in 0..12 {
        repo = repo.file(&format!("f{i:02}.json"), format!("{{\"i\": {i}}}\n"));
    }
    let server = HubServer::start(vec![repo]);
    server.set_page_size(100);
    let home = tempfile::tempdir().unwrap();
    let cfg = HubConfig::for_endpoint(&server.endpoint, home.path());
    server.set_delay_ms(40);
    let t = Instant::now();
    let scan = hub::scan_remote("hf://org/many", &cfg, &opts()).unwrap();
    let max = server.max_in_flight();
    assert!(max <= hub::MAX_CONCURRENT_REQUESTS, "max in flight {max}");
    assert!(max >= 2, "prefetch ran in parallel: max in flight {max}");
    assert_eq!(report(&scan).summary.verdict, "clean");
    // 12 files x 2 hops x 40 ms would take ~1 s one at a time.
    assert!(t.elapsed().as_millis() < 2000);
}

/// Serves `repo` as `hf://org/dl`, scans it, and downloads what the scan allows into a
/// fresh folder: the scan, the download section, the folder and the artifacts after it.
fn scan_and_download(
    repo: FixtureRepo,
) -> (
    hub::RemoteScan,
    modelvet::report::DownloadSection,
    tempfile::TempDir,
    Vec<modelvet::report::Artifact>,
) {
    let server = HubServer::start(vec![repo]);
    let home = tempfile::tempdir().unwrap();
    let cfg = HubConfig::for_endpoint(&server.endpoint, home.path());
    let scan = hub::scan_remote("hf://org/dl", &cfg, &opts()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut arts = scan.artifacts.clone();
    let d = hub::download_passed(&scan, &cfg, Severity::Medium, dir.path(), &mut arts, "");
    (scan, d, dir, arts)
}

#[test]
fn download_writes_a_repository_that_passed_and_verifies() {
    let config_json = "{\"model_type\": \"bert\"}\n";
    let good = small_safetensors(200_000, 7);
    let repo = FixtureRepo::model("org/dl")
        .file("config.json", config_json)
        .lfs("model.safetensors", good.clone())
        .lfs("sub/shard.safetensors", good.clone());
    let commit = repo.commit();
    let (_, d, dir, _) = scan_and_download(repo);
    assert!(
        d.files.iter().all(|f| f.status == "downloaded"),
        "{:?}",
        d.files
    );
    let folder = dir.path().join("models--org--dl");
    let snap = folder.join("snapshots").join(&commit);
    assert_eq!(std::fs::read(snap.join("model.safetensors")).unwrap(), good);
    assert_eq!(
        std::fs::read(snap.join("sub/shard.safetensors")).unwrap(),
        good
    );
    // One blob for the two identical shards, one for the config; no temporary file.
    let blobs: Vec<_> = std::fs::read_dir(folder.join("blobs")).unwrap().collect();
    assert_eq!(blobs.len(), 2);
    assert_eq!(
        std::fs::read_to_string(folder.join("refs/main")).unwrap(),
        commit
    );
    let v = hub::verify_cache(dir.path(), Some("org/dl"));
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
}

#[test]
fn download_writes_nothing_when_any_file_did_not_pass() {
    // evil.pkl is flagged: a snapshot of the rest, or a ref, would let an online
    // from_pretrained fetch the flagged file unvetted.
    let repo = FixtureRepo::model("org/dl")
        .file("config.json", "{\"model_type\": \"bert\"}\n")
        .lfs("model.safetensors", small_safetensors(200_000, 7))
        .lfs(
            "evil.pkl",
            fixture_bytes("malicious/evasion03_posix_system.pkl"),
        );
    let (_, d, dir, _) = scan_and_download(repo);
    assert_eq!(d.files.len(), 3);
    for f in &d.files {
        assert_eq!(f.status, "skipped", "{f:?}");
        assert!(f.reason.as_deref().unwrap().contains("evil.pkl"), "{f:?}");
    }
    assert!(!dir.path().join("models--org--dl").exists());
}

#[test]
fn download_rolls_back_when_a_file_is_not_the_hubs() {
    // The shard's last byte differs from what the Hub lists (past the header, so the scan
    // passes it): the download refuses it (MV503) and keeps nothing of the repository.
    let good = small_safetensors(200_000, 7);
    let mut bad = good.clone();
    let last = bad.len() - 1;
    bad[last] ^= 1;
    let repo = FixtureRepo::model("org/dl")
        .file("config.json", "{\"model_type\": \"bert\"}\n")
        .lfs("model.safetensors", good.clone())
        .lfs("sub/shard.safetensors", good.clone())
        .tamper("sub/shard.safetensors", bad);
    let (scan, d, dir, arts) = scan_and_download(repo);
    assert_eq!(
        read_of(&scan, "sub/shard.safetensors").hash_check,
        HashCheck::NotReadWhole
    );
    let status = |p: &str| d.files.iter().find(|f| f.path == p).unwrap().status;
    assert_eq!(status("sub/shard.safetensors"), "hash-mismatch");
    assert_eq!(status("config.json"), "skipped");
    assert_eq!(status("model.safetensors"), "skipped");
    let folder = dir.path().join("models--org--dl");
    assert!(!folder.join("refs").exists());
    assert!(!folder.join("snapshots").join(scan.commit.as_str()).exists());
    let blobs: Vec<_> = std::fs::read_dir(folder.join("blobs")).unwrap().collect();
    assert!(blobs.is_empty(), "{blobs:?}");
    // The refusal is a finding on the file, so the exit code is not 0.
    let r = modelvet::scan::build_report(vec!["hf://org/dl".into()], arts, Severity::Medium);
    assert!(
        r.artifacts
            .iter()
            .any(|a| a.path == "sub/shard.safetensors"
                && a.findings.iter().any(|f| f.rule == "MV503"))
    );
    assert_eq!(r.summary.exit_code, 1);
}

#[test]
fn cli_scan_json_text_and_download() {
    let f = fixtures();
    let out = hub_cli(f)
        .args(["scan", "--format", "json", "hf://org/safe-2g"])
        .output()
        .unwrap();
    let json = String::from_utf8(out.stdout).unwrap();
    common::assert_valid_report(&json);
    assert_eq!(out.status.code(), Some(0), "{json}");
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let remote = &v["remote"][0];
    assert_eq!(remote["repo"], "hf://org/safe-2g");
    assert_eq!(remote["commit"].as_str().unwrap().len(), 40);
    assert!(remote["totals"]["read_ratio"].as_f64().unwrap() < 0.005);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(["scan", "--download", "/nonexistent", "Cargo.toml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));

    let text = hub_cli(f)
        .args([
            "scan",
            "--color",
            "never",
            "hf://org/gguf-template",
            "hf://org/advisory",
        ])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert_eq!(text.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains("hf://org/gguf-template@main  commit "),
        "{stdout}"
    );
    assert!(
        stdout.contains(": read ") && stdout.contains("%) in "),
        "{stdout}"
    );
    assert!(stdout.contains("Hub scan (advisory"), "{stdout}");

    let offline = hub_cli(f)
        .args(["scan", "hf://org/safe-2g"])
        .env("HF_HUB_OFFLINE", "1")
        .output()
        .unwrap();
    assert_eq!(offline.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&offline.stderr).contains("HF_HUB_OFFLINE"));
}

/// Whole-command time and memory on loopback, for benches/remote.sh: run with
/// `cargo test --release --test remote_scan -- --ignored --nocapture measure`.
#[test]
#[ignore]
fn measure_whole_command() {
    let f = fixtures();
    for repo in [
        "hf://org/safe-2g",
        "hf://org/torch-1g",
        "hf://org/gguf-template",
        "hf://org/lfs-mismatch",
    ] {
        let scan = vet(repo);
        println!(
            "{repo}: read {} of {} bytes ({:.5}%) in {} requests",
            scan.bytes_read,
            scan.bytes_total,
            scan.read_ratio() * 100.0,
            scan.requests
        );
        let out = std::process::Command::new("/usr/bin/time")
            .arg("-v")
            .arg(env!("CARGO_BIN_EXE_modelvet"))
            .args(["scan", "--quiet", repo])
            .env("HF_ENDPOINT", &f.server.endpoint)
            .env("HF_HOME", f.home.path())
            .env_remove("HF_TOKEN")
            .env_remove("HF_HUB_OFFLINE")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        for line in stderr.lines() {
            if line.contains("Elapsed (wall clock)") || line.contains("Maximum resident") {
                println!("  {}", line.trim());
            }
        }
    }
}

/// A real torch zip with 200 tensors (written by torch's layout in testdata/generate.py),
/// its storages grown to 1 MiB of zeros each, so every local header
/// sits in a block of its own: the zip walker's cross-check of each local header must not
/// cost 200 sequential round trips. They are fetched before the scan, four at a time.
#[test]
fn local_headers_of_a_torch_zip_are_fetched_concurrently_before_the_scan() {
    let src = fixture_bytes("benign/torch_zip_200_tensors.pt");
    let zip = zip_members(&src);
    // Each storage grown to 1 MiB of zeros: torch only needs a record at least as large
    // as the storage's elements.
    let members: Vec<(String, Member)> = zip
        .into_iter()
        .map(|(name, bytes)| {
            let m = if name.starts_with("torch_zip_200_tensors/data/") {
                Member::Zeros(1 << 20)
            } else {
                Member::Bytes(bytes)
            };
            (name, m)
        })
        .collect();
    let refs: Vec<(&str, Member)> = members
        .iter()
        .map(|(n, m)| {
            (
                n.as_str(),
                match m {
                    Member::Bytes(b) => Member::Bytes(b.clone()),
                    Member::Zeros(z) => Member::Zeros(*z),
                },
            )
        })
        .collect();
    let server = HubServer::start(vec![
        FixtureRepo::model("org/spread").sparse_lfs("pytorch_model.bin", sparse_zip(&refs))
    ]);
    let home = tempfile::tempdir().unwrap();
    let cfg = HubConfig::for_endpoint(&server.endpoint, home.path());
    server.set_delay_ms(10);
    let t = Instant::now();
    let scan = hub::scan_remote("hf://org/spread", &cfg, &opts()).unwrap();
    let elapsed = t.elapsed();
    let r = report(&scan);
    assert_eq!(r.summary.verdict, "clean", "{:#?}", scan.artifacts);
    let z = read_of(&scan, "pytorch_model.bin");
    assert!(z.size > 200 << 20);
    // One block per local header (plus head, tail and central directory).
    assert!(z.requests >= 200, "{} requests", z.requests);
    assert!(z.bytes_read < 2 << 20, "read {}", z.bytes_read);
    // A single file: only the local-header prefetch can put several requests in flight.
    let max = server.max_in_flight();
    assert!(
        (2..=hub::MAX_CONCURRENT_REQUESTS).contains(&max),
        "max in flight {max}"
    );
    // 400+ requests of 10 ms one after the other would take over 4 s.
    eprintln!("scan took {elapsed:?}");
    assert!(elapsed.as_millis() < 3000, "took {elapsed:?}");
}

#[test]
fn the_policy_judges_hub_sources_and_pinned_revisions() {
    let f = fixtures();
    let dir = tempfile::tempdir().unwrap();
    let scan = |args: &[&str]| -> (i32, serde_json::Value) {
        let out = hub_cli(f)
            .current_dir(dir.path())
            .args(["scan", "--format", "json"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            serde_json::from_slice(&out.stdout)
                .unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&out.stderr))),
        )
    };
    let messages = |r: &serde_json::Value| -> Vec<String> {
        r["artifacts"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|a| a["findings"].as_array().unwrap().clone())
            .filter(|f| f["rule"] == "MV1203")
            .map(|f| f["message"].as_str().unwrap().to_string())
            .collect()
    };
    std::fs::write(
        dir.path().join("modelvet.toml"),
        "[policy]\nallowed_repos = [\"other/*\", \"org/flaky\"]\nrequire_pinned_revision = true\n",
    )
    .unwrap();
    let (code, report) = scan(&["hf://org/safe-2g"]);
    assert_eq!(code, 1);
    let found = messages(&report);
    assert_eq!(found.len(), 2, "{found:?}");
    assert!(found[0].contains("org/safe-2g is not among the policy's allowed_repos"));
    assert!(found[1].contains("revision `main` is not a commit"));
    let commit = report["remote"][0]["commit"].as_str().unwrap().to_string();

    std::fs::write(
        dir.path().join("modelvet.toml"),
        "[policy]\nallowed_repos = [\"org/*\"]\nrequire_pinned_revision = true\n",
    )
    .unwrap();
    let (code, report) = scan(&[&format!("hf://org/safe-2g@{commit}")]);
    assert_eq!(code, 0, "{report:#}");
    assert!(messages(&report).is_empty());
}
