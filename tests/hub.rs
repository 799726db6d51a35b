//! The Hub as a provenance anchor, against a loopback stand-in of the Hub
//! (tests/common/hub_server.rs): a local copy compared with a commit's published hashes,
//! the client's redirects, ranges, errors and token handling, and the offline check of a
//! Hugging Face cache.
//!
//! Settings are passed as a `HubConfig` built here, never through the process
//! environment, so the tests can run in parallel.

mod common;
#[path = "common/hub_server.rs"]
mod hub_server;

use std::fs;
use std::io::Read;
use std::path::Path;

use hub_server::{git_blob_sha1_hex, sha256_hex, FixtureRepo, HubServer, Override};
use modelvet::hub::{self, HubClient, HubConfig, HubErrorKind, RepoRef, Token};
use modelvet::provenance::outcome::{Verification, VerifyStatus};
use serde_json::json;

const TOKEN: &str = "hf_TestSecretTokenValue123";

fn weights(n: usize, seed: u8) -> Vec<u8> {
    (0..n)
        .map(|i| ((i * 7 + seed as usize) % 251) as u8)
        .collect()
}

fn model_repo(id: &str) -> FixtureRepo {
    FixtureRepo::model(id)
        .with_ref("dev")
        .file(
            ".gitattributes",
            "*.safetensors filter=lfs diff=lfs merge=lfs -text\n*.bin filter=lfs diff=lfs merge=lfs -text\n",
        )
        .file("config.json", "{\"model_type\": \"bert\"}\n")
        .file("tokenizer/vocab.txt", "[PAD]\n[UNK]\nhello\n")
        .lfs("model.safetensors", weights(5000, 1))
        .lfs("sub/weights.bin", vec![b'A'; 3000])
}

fn config(server: &HubServer, home: &Path) -> HubConfig {
    HubConfig::for_endpoint(&server.endpoint, home)
}

fn local_copy(repo: &FixtureRepo) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    repo.write_to(dir.path());
    dir
}

/// The token is nowhere in the result, and the result follows its JSON schema.
fn assert_no_token(v: &Verification) {
    let json = v.render_json();
    common::assert_valid_verification(&serde_json::from_str(&json).expect("JSON"));
    let text = v.render_text();
    let debug = format!("{v:?}");
    for out in [&json, &text, &debug] {
        assert!(!out.contains(TOKEN), "the token leaked into:\n{out}");
    }
}

#[test]
fn mock_hashes_agree_with_python_hashlib_and_git() {
    // hashlib.sha256(b"hello world\n").hexdigest(); `git hash-object` of the same bytes.
    assert_eq!(
        sha256_hex(b"hello world\n"),
        "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
    );
    assert_eq!(
        git_blob_sha1_hex(b"hello world\n"),
        "3b18e512dba79e4c8300dd08aeb37f8e728b8dad"
    );
}

#[test]
fn a_matching_copy_verifies_and_pagination_is_followed() {
    let repo = model_repo("org/model");
    let commit = repo.commit();
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    // huggingface_hub's local_dir metadata and Git's folder are not repository content.
    fs::create_dir_all(local.path().join(".cache/huggingface/download")).unwrap();
    fs::write(
        local.path().join(".cache/huggingface/download/x.metadata"),
        "m",
    )
    .unwrap();
    fs::create_dir_all(local.path().join(".git")).unwrap();
    fs::write(local.path().join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();

    let v = hub::verify_against(
        local.path(),
        "hf://org/model",
        &config(&server, home.path()),
    );
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
    assert_eq!(v.exit_code(), 0);
    assert_eq!(v.method, "hub");
    assert_eq!(v.files.matched, 5);
    let remote = v.remote.as_ref().unwrap();
    assert_eq!(remote.repo, "hf://org/model");
    assert_eq!(remote.revision, "main");
    assert_eq!(remote.commit.as_deref(), Some(commit.as_str()));
    assert_eq!(remote.endpoint, server.endpoint);
    assert!(
        v.checks.iter().any(|c| c
            == &format!(
                "2 file(s) compared by LFS SHA-256, 3 by git blob SHA-1 against commit {commit}"
            )),
        "{:?}",
        v.checks
    );
    // 2 directories + 5 files at 2 entries a page = 4 pages, each read once.
    let tree: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|r| r.target.contains("/tree/"))
        .collect();
    assert_eq!(tree.len(), 4, "{tree:?}");
    assert!(
        tree[0].target.contains(&format!("/tree/{commit}?")),
        "the tree of the commit, not of the branch"
    );
    assert!(tree[1].target.contains("cursor=2"));
    let revision = server
        .requests()
        .into_iter()
        .find(|r| r.target.contains("/revision/"))
        .unwrap();
    assert_eq!(
        revision.target,
        "/api/models/org/model/revision/main?blobs=true&securityStatus=true"
    );
    assert!(revision.authorization.is_none());
}

#[test]
fn a_branch_is_reported_with_its_commit() {
    let repo = model_repo("org/model");
    let commit = repo.commit();
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    let v = hub::verify_against(local.path(), "org/model@dev", &config(&server, home.path()));
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
    let remote = v.remote.as_ref().unwrap();
    assert_eq!(remote.revision, "dev");
    assert_eq!(remote.commit.as_deref(), Some(commit.as_str()));
    assert!(
        v.checks[0].contains(&format!("revision dev resolved to commit {commit}")),
        "{:?}",
        v.checks
    );
    assert!(v
        .render_text()
        .contains(&format!("@ dev -> commit {commit}")));

    // A commit named directly works too, and a Hub URL with the endpoint in it.
    let url = format!("{}/org/model/tree/{commit}", server.endpoint);
    let v = hub::verify_against(local.path(), &url, &config(&server, home.path()));
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
    assert_eq!(v.checks[0], format!("revision is commit {commit}"));
}

#[test]
fn changed_missing_and_extra_files_are_named() {
    let repo = model_repo("org/model");
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    fs::write(
        local.path().join("config.json"),
        "{\"model_type\": \"evil\"}\n",
    )
    .unwrap();
    let mut w = weights(5000, 1);
    w[100] ^= 1;
    fs::write(local.path().join("model.safetensors"), &w).unwrap();
    fs::write(local.path().join("tokenizer/vocab.txt"), "short").unwrap();
    fs::remove_file(local.path().join("sub/weights.bin")).unwrap();
    fs::write(local.path().join("extra.py"), "import os\n").unwrap();

    let v = hub::verify_against(
        local.path(),
        "hf://org/model",
        &config(&server, home.path()),
    );
    assert_eq!(v.status, VerifyStatus::Failed, "{}", v.render_text());
    assert_eq!(v.exit_code(), 1);
    let changed: Vec<(&str, &str)> = v
        .files
        .changed
        .iter()
        .map(|c| (c.name.as_str(), c.algorithm.as_str()))
        .collect();
    assert_eq!(
        changed,
        vec![
            ("config.json", "gitsha1"),
            ("model.safetensors", "sha256"),
            ("tokenizer/vocab.txt", "size")
        ]
    );
    let safetensors = &v.files.changed[1];
    assert_eq!(safetensors.expected, sha256_hex(&weights(5000, 1)));
    assert_eq!(safetensors.actual, sha256_hex(&w));
    assert_eq!(v.files.missing, vec!["sub/weights.bin"]);
    assert_eq!(v.files.extra, vec!["extra.py"]);
    assert_eq!(v.files.matched, 1);
    let text = v.render_text();
    for name in [
        "changed: config.json",
        "missing: sub/weights.bin",
        "extra: extra.py",
    ] {
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn a_clone_without_git_lfs_is_explained() {
    let repo = model_repo("org/model");
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    let pointer = repo.files["sub/weights.bin"].pointer();
    fs::write(local.path().join("sub/weights.bin"), &pointer).unwrap();
    let v = hub::verify_against(
        local.path(),
        "hf://org/model",
        &config(&server, home.path()),
    );
    assert_eq!(v.status, VerifyStatus::Failed);
    assert_eq!(v.files.changed[0].name, "sub/weights.bin");
    assert_eq!(v.files.changed[0].algorithm, "size");
    assert!(v.notes[0].contains("Git LFS pointer"), "{:?}", v.notes);
}

#[test]
fn a_tampered_download_is_caught_and_ranges_work() {
    let genuine = weights(4096, 9);
    let mut evil = genuine.clone();
    evil[10..20].copy_from_slice(b"EVILBYTES!");
    let repo = FixtureRepo::model("org/tampered")
        .file("config.json", "{}\n")
        .lfs("model.bin", genuine.clone())
        .tamper("model.bin", evil.clone());
    let commit = repo.commit();
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let cfg = config(&server, home.path());
    let client = HubClient::new(&cfg).unwrap();
    let r = RepoRef::parse("org/tampered").unwrap();

    // The metadata describes the genuine bytes...
    let head = client.head_file(&r, &commit, "model.bin").unwrap();
    assert_eq!(head.status, 302);
    assert_eq!(head.commit.as_deref(), Some(commit.as_str()));
    assert_eq!(head.sha256(), Some(sha256_hex(&genuine)));
    assert_eq!(head.linked_size, Some(4096));
    assert!(head.location.as_deref().unwrap().starts_with(&server.cdn));

    // ...while the download serves others: a user who downloaded it has them locally.
    let local = tempfile::tempdir().unwrap();
    for f in ["config.json", "model.bin"] {
        let mut reader = client.get_file(&r, &commit, f).unwrap();
        let mut bytes = Vec::new();
        reader.read_to_end(&mut bytes).unwrap();
        fs::write(local.path().join(f), bytes).unwrap();
    }
    assert_eq!(fs::read(local.path().join("model.bin")).unwrap(), evil);
    let part = client.get_range(&r, &commit, "model.bin", 8, 23).unwrap();
    assert_eq!(part, evil[8..24]);
    let tail = client
        .get_range(&r, &commit, "model.bin", 4090, 5000)
        .unwrap();
    assert_eq!(tail, evil[4090..]);
    let past = client
        .get_range(&r, &commit, "model.bin", 5000, 5010)
        .unwrap_err();
    assert!(past.message.contains("past the end"), "{past}");
    assert!(client.get_range(&r, &commit, "model.bin", 5, 4).is_err());

    let v = hub::verify_against(local.path(), "org/tampered", &cfg);
    assert_eq!(v.status, VerifyStatus::Failed, "{}", v.render_text());
    assert_eq!(v.files.changed.len(), 1);
    assert_eq!(v.files.changed[0].name, "model.bin");
    assert_eq!(v.files.changed[0].expected, sha256_hex(&genuine));
    assert_eq!(v.files.changed[0].actual, sha256_hex(&evil));

    let ranges: Vec<_> = server
        .requests()
        .into_iter()
        .filter(|q| q.server == "cdn" && q.range.is_some())
        .map(|q| q.range.unwrap())
        .collect();
    assert_eq!(
        ranges,
        vec!["bytes=8-23", "bytes=4090-5000", "bytes=5000-5010"]
    );
}

#[test]
fn non_lfs_heads_follow_the_relative_redirect() {
    let repo = model_repo("org/model");
    let commit = repo.commit();
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let client = HubClient::new(&config(&server, home.path())).unwrap();
    let r = RepoRef::parse("org/model").unwrap();
    let head = client.head_file(&r, "main", "config.json").unwrap();
    assert_eq!(head.status, 200);
    assert_eq!(head.commit.as_deref(), Some(commit.as_str()));
    assert_eq!(
        head.git_blob_sha1(),
        Some(git_blob_sha1_hex(b"{\"model_type\": \"bert\"}\n"))
    );
    assert_eq!(head.size(), Some(23));
    assert_eq!(head.location, None);
    let targets: Vec<String> = server.requests().into_iter().map(|q| q.target).collect();
    assert_eq!(
        targets,
        vec![
            "/org/model/resolve/main/config.json".to_string(),
            format!("/api/resolve-cache/models/org/model/{commit}/config.json"),
        ]
    );
    let bytes = client.get_range(&r, &commit, "config.json", 0, 4).unwrap();
    assert_eq!(bytes, b"{\"mod");
}

#[test]
fn a_gated_repository_needs_the_token_which_never_leaves_the_endpoint() {
    let repo = model_repo("org/gated").gated(TOKEN);
    let commit = repo.commit();
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);

    let v = hub::verify_against(
        local.path(),
        "hf://org/gated",
        &config(&server, home.path()),
    );
    assert_eq!(v.status, VerifyStatus::Incomplete, "{}", v.render_text());
    assert_eq!(v.exit_code(), 2);
    let problem = &v.problems[0];
    assert!(problem.contains("gated"), "{problem}");
    assert!(problem.contains("HF_TOKEN"), "{problem}");
    assert!(problem.contains("GatedRepo"), "{problem}");

    let wrong = config(&server, home.path()).with_token(Token::new("hf_wrong").unwrap());
    let v = hub::verify_against(local.path(), "hf://org/gated", &wrong);
    assert_eq!(v.status, VerifyStatus::Incomplete);
    assert!(
        v.problems[0].contains("was sent and does not grant access"),
        "{:?}",
        v.problems
    );

    let cfg = config(&server, home.path()).with_token(Token::new(TOKEN).unwrap());
    assert!(!format!("{cfg:?}").contains(TOKEN));
    server.clear_requests();
    let v = hub::verify_against(local.path(), "hf://org/gated", &cfg);
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
    assert_no_token(&v);
    let expected = format!("Bearer {TOKEN}");
    assert!(server
        .requests()
        .iter()
        .all(|q| q.authorization.as_deref() == Some(expected.as_str())));

    // Downloads: the hub gets the token, the CDN on another origin never does.
    server.clear_requests();
    let client = HubClient::new(&cfg).unwrap();
    let r = RepoRef::parse("org/gated").unwrap();
    let mut body = Vec::new();
    client
        .get_file(&r, &commit, "sub/weights.bin")
        .unwrap()
        .read_to_end(&mut body)
        .unwrap();
    assert_eq!(body, vec![b'A'; 3000]);
    let reqs = server.requests();
    assert_eq!(reqs.len(), 2, "{reqs:?}");
    assert_eq!(
        (reqs[0].server, reqs[0].authorization.is_some()),
        ("hub", true)
    );
    assert_eq!(
        (reqs[1].server, reqs[1].authorization.is_some()),
        ("cdn", false)
    );

    // A failure with the token set does not show it either.
    let changed = local_copy(&repo);
    fs::write(changed.path().join("config.json"), "{}").unwrap();
    let v = hub::verify_against(changed.path(), "hf://org/gated", &cfg);
    assert_eq!(v.status, VerifyStatus::Failed);
    assert_no_token(&v);
    let e = client.head_file(&r, &commit, "nope.bin").unwrap_err();
    assert!(!format!("{e} {e:?}").contains(TOKEN));
}

#[test]
fn the_token_is_not_sent_to_a_host_the_user_named_in_a_url() {
    let repo = model_repo("org/model");
    let server = HubServer::start(vec![repo.clone()]);
    let other = HubServer::start(vec![]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    // The token belongs to `other` (the configured endpoint); the URL names `server`.
    let cfg = config(&other, home.path()).with_token(Token::new(TOKEN).unwrap());
    let url = format!("{}/org/model", server.endpoint);
    let v = hub::verify_against(local.path(), &url, &cfg);
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
    assert!(
        v.notes.iter().any(|n| n.contains("token is not sent")),
        "{:?}",
        v.notes
    );
    assert!(!server.requests().is_empty());
    assert!(server.requests().iter().all(|q| q.authorization.is_none()));
    assert!(other.requests().is_empty());
    assert_no_token(&v);
}

#[test]
fn offline_is_incomplete_and_sends_nothing() {
    let repo = model_repo("org/model");
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    let mut cfg = config(&server, home.path());
    cfg.offline = true;
    let v = hub::verify_against(local.path(), "hf://org/model", &cfg);
    assert_eq!(v.status, VerifyStatus::Incomplete);
    assert!(v.problems[0].contains("HF_HUB_OFFLINE"), "{:?}", v.problems);
    assert!(server.requests().is_empty());

    // Read from the environment the same way.
    let vars = [
        ("HF_ENDPOINT", server.endpoint.as_str()),
        ("HF_HUB_OFFLINE", "1"),
        ("HF_HOME", "/nonexistent"),
    ];
    let cfg = HubConfig::from_vars(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    });
    assert!(cfg.offline);
    let e = HubClient::new(&cfg)
        .unwrap()
        .revision_info(&RepoRef::parse("org/model").unwrap())
        .unwrap_err();
    assert_eq!(e.kind, HubErrorKind::Offline);
    assert!(server.requests().is_empty());
}

#[test]
fn not_found_messages_say_what_was_not_found() {
    let repo = model_repo("org/model");
    let commit = repo.commit();
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    let cfg = config(&server, home.path());

    let v = hub::verify_against(local.path(), "hf://org/absent", &cfg);
    assert_eq!(v.status, VerifyStatus::Incomplete);
    assert!(
        v.problems[0].contains("repository not found"),
        "{:?}",
        v.problems
    );
    assert!(v.problems[0].contains("RepoNotFound"), "{:?}", v.problems);

    let v = hub::verify_against(local.path(), "hf://org/model@v9", &cfg);
    assert_eq!(v.status, VerifyStatus::Incomplete);
    assert!(
        v.problems[0].contains("revision v9 not found"),
        "{:?}",
        v.problems
    );
    assert!(
        v.problems[0].contains("RevisionNotFound"),
        "{:?}",
        v.problems
    );

    let client = HubClient::new(&cfg).unwrap();
    let e = client
        .head_file(&RepoRef::parse("org/model").unwrap(), &commit, "nope.bin")
        .unwrap_err();
    assert_eq!(e.kind, HubErrorKind::NotFound);
    assert_eq!(e.error_code.as_deref(), Some("EntryNotFound"));
    assert!(e.message.contains("nope.bin: file not found"), "{e}");

    let v = hub::verify_against(local.path(), "not a repo", &cfg);
    assert_eq!(v.status, VerifyStatus::Incomplete);
    assert!(v.problems[0].contains("not a Hub repository"));

    let v = hub::verify_against(&local.path().join("absent"), "org/model", &cfg);
    assert_eq!(v.status, VerifyStatus::Incomplete);
}

#[test]
fn server_errors_are_retried_a_bounded_number_of_times() {
    let repo = model_repo("org/model");
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    let cfg = config(&server, home.path());
    server.fail_next(2);
    let v = hub::verify_against(local.path(), "hf://org/model", &cfg);
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());

    server.fail_next(100);
    server.clear_requests();
    let v = hub::verify_against(local.path(), "hf://org/model", &cfg);
    assert_eq!(v.status, VerifyStatus::Incomplete);
    assert!(v.problems[0].contains("HTTP 503"), "{:?}", v.problems);
    assert_eq!(server.requests().len(), 3);
    server.fail_next(0);

    // Nothing listens here: a connection failure, retried, then incomplete.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = closed.local_addr().unwrap();
    drop(closed);
    let dead = HubConfig::for_endpoint(&format!("http://{addr}"), home.path());
    let v = hub::verify_against(local.path(), "hf://org/model", &dead);
    assert_eq!(v.status, VerifyStatus::Incomplete);
    assert!(
        v.problems[0].contains("could not reach the Hub"),
        "{:?}",
        v.problems
    );
}

#[test]
fn a_hostile_or_inconsistent_hub_is_never_trusted() {
    let repo = model_repo("org/model");
    let commit = repo.commit();
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    let sha1 = git_blob_sha1_hex(b"x");
    let cases: Vec<(Override, &str)> = vec![
        (
            // The tree lists a hash the revision API does not.
            Override {
                prefix: "/api/models/org/model/tree/".into(),
                status: 200,
                headers: vec![],
                body: serde_json::to_vec(
                    &json!([{"type": "file", "oid": sha1, "size": 1, "path": "config.json"}]),
                )
                .unwrap(),
            },
            "disagree",
        ),
        (
            Override {
                prefix: "/api/models/org/model/revision/".into(),
                status: 200,
                headers: vec![],
                body: serde_json::to_vec(&json!({"sha": commit, "siblings": [
                    {"rfilename": "../../etc/passwd", "size": 1, "blobId": sha1}]}))
                .unwrap(),
            },
            "'..'",
        ),
        (
            Override {
                prefix: "/api/models/org/model/revision/".into(),
                status: 200,
                headers: vec![],
                body: b"{\"sha\": [1, 2".to_vec(),
            },
            "not the JSON expected",
        ),
        (
            Override {
                prefix: "/api/models/org/model/tree/".into(),
                status: 200,
                headers: vec![(
                    "Link".into(),
                    "<http://127.0.0.2:1/steal>; rel=\"next\"".into(),
                )],
                body: b"[]".to_vec(),
            },
            "leaves",
        ),
        (
            Override {
                prefix: "/api/models/org/model/revision/".into(),
                status: 302,
                headers: vec![(
                    "Location".into(),
                    "/api/models/org/model/revision/main".into(),
                )],
                body: vec![],
            },
            "redirects",
        ),
    ];
    for (o, expect) in cases {
        let server = HubServer::start(vec![repo.clone()]);
        server.add_override(o);
        let v = hub::verify_against(
            local.path(),
            "hf://org/model",
            &config(&server, home.path()),
        );
        assert_eq!(v.status, VerifyStatus::Incomplete, "{}", v.render_text());
        assert!(v.problems[0].contains(expect), "{expect}: {:?}", v.problems);
    }
}

#[test]
fn hub_scan_verdicts_are_notes_only() {
    let repo = model_repo("org/model").security(
        "sub/weights.bin",
        json!({"status": "unsafe", "avScan": {"status": "safe"}, "pickleImportScan": {"status": "unsafe"}}),
    );
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    let v = hub::verify_against(
        local.path(),
        "hf://org/model",
        &config(&server, home.path()),
    );
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
    assert_eq!(
        v.notes,
        vec![
            "Hub scan (advisory): sub/weights.bin: unsafe (avScan: safe, pickleImportScan: unsafe)"
        ]
    );
}

#[test]
fn datasets_use_their_own_paths() {
    let repo = FixtureRepo::dataset("org/data")
        .file("data.csv", "a,b\n1,2\n")
        .lfs("data.parquet", weights(777, 3));
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    let v = hub::verify_against(
        local.path(),
        "hf://datasets/org/data",
        &config(&server, home.path()),
    );
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
    assert!(server
        .requests()
        .iter()
        .any(|q| q.target.starts_with("/api/datasets/org/data/revision/main")));
}

// ---- the Hugging Face cache ----

/// A cache the way huggingface_hub lays it out, for `repo` at its commit.
fn build_cache(root: &Path, repo: &FixtureRepo) -> std::path::PathBuf {
    let folder = root.join(format!("{}--{}", repo.kind, repo.id.replace('/', "--")));
    let commit = repo.commit();
    fs::create_dir_all(folder.join("blobs")).unwrap();
    fs::create_dir_all(folder.join("refs")).unwrap();
    fs::write(folder.join("refs/main"), &commit).unwrap();
    for (path, f) in &repo.files {
        let blob = folder.join("blobs").join(f.etag());
        fs::write(&blob, &f.bytes).unwrap();
        let link = folder.join("snapshots").join(&commit).join(path);
        fs::create_dir_all(link.parent().unwrap()).unwrap();
        let depth = path.matches('/').count() + 2;
        let target = format!("{}blobs/{}", "../".repeat(depth), f.etag());
        symlink(&target, &link);
    }
    folder
}

#[cfg(unix)]
fn symlink(target: &str, link: &Path) {
    std::os::unix::fs::symlink(target, link).unwrap();
}

#[cfg(not(unix))]
fn symlink(_target: &str, _link: &Path) {
    panic!("these cache tests need symbolic links");
}

#[cfg(unix)]
#[test]
fn a_good_cache_verifies_and_its_snapshot_verifies_against_the_hub() {
    let repo = model_repo("org/model");
    let other = FixtureRepo::model("org/other").file("README.md", "# hi\n");
    let cache = tempfile::tempdir().unwrap();
    let folder = build_cache(cache.path(), &repo);
    build_cache(cache.path(), &other);
    fs::create_dir_all(cache.path().join(".locks/models--org--model")).unwrap();

    let v = hub::verify_cache(cache.path(), None);
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
    assert_eq!(v.method, "hf-cache");
    assert_eq!(v.files.matched, 6);
    assert!(
        v.checks[0].contains("6 blob(s) in 2 repositories"),
        "{:?}",
        v.checks
    );
    assert!(
        v.checks[0].contains("2 by SHA-256, 4 by git blob SHA-1"),
        "{:?}",
        v.checks
    );

    let v = hub::verify_cache(cache.path(), Some("org/model"));
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
    assert_eq!(v.files.matched, 5);
    let v = hub::verify_cache(cache.path(), Some("hf://org/absent"));
    assert_eq!(v.status, VerifyStatus::Incomplete);

    // The snapshot folder is all links into ../../blobs: compared with the Hub as is.
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let snapshot = folder.join("snapshots").join(repo.commit());
    let v = hub::verify_against(&snapshot, "org/model", &config(&server, home.path()));
    assert_eq!(v.status, VerifyStatus::Verified, "{}", v.render_text());
    assert_eq!(v.files.matched, 5);
}

#[cfg(unix)]
#[test]
fn a_damaged_cache_names_every_bad_entry() {
    let repo = model_repo("org/model");
    let cache = tempfile::tempdir().unwrap();
    let folder = build_cache(cache.path(), &repo);
    let commit = repo.commit();
    let snap = folder.join("snapshots").join(&commit);
    let name = "models--org--model";

    // A corrupted blob.
    let st = repo.files["model.safetensors"].etag();
    let mut w = fs::read(folder.join("blobs").join(&st)).unwrap();
    w[0] ^= 0xff;
    fs::write(folder.join("blobs").join(&st), &w).unwrap();
    // A link out of the cache, and a dangling one.
    let outside = tempfile::NamedTempFile::new().unwrap();
    fs::remove_file(snap.join("config.json")).unwrap();
    symlink(outside.path().to_str().unwrap(), &snap.join("config.json"));
    fs::remove_file(snap.join("sub/weights.bin")).unwrap();
    symlink(
        &format!("../../../blobs/{}", "0".repeat(64)),
        &snap.join("sub/weights.bin"),
    );
    // A ref to a snapshot that is not there, an interrupted download.
    fs::create_dir_all(folder.join("refs/pr")).unwrap();
    fs::write(folder.join("refs/pr/1"), "f".repeat(40)).unwrap();
    fs::write(folder.join("blobs/abc.incomplete"), "partial").unwrap();

    let v = hub::verify_cache(cache.path(), Some("org/model"));
    assert_eq!(v.status, VerifyStatus::Failed, "{}", v.render_text());
    let changed: Vec<&str> = v.files.changed.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(
        changed,
        vec![
            format!("{name}/blobs/{st}"),
            format!("{name}/snapshots/{commit}/config.json"),
        ]
    );
    assert_eq!(v.files.changed[0].actual, sha256_hex(&w));
    assert_eq!(v.files.changed[1].algorithm, "link-target");
    assert_eq!(
        v.files.missing,
        vec![
            format!("{name}/snapshots/{commit}/sub/weights.bin"),
            format!("{name}/snapshots/{}", "f".repeat(40)),
        ]
    );
    let problems = v.problems.join("\n");
    for needle in [
        "abc.incomplete: an interrupted download",
        "dangling link",
        "leaves this repository's blobs",
        "refs/pr/1: names commit",
    ] {
        assert!(problems.contains(needle), "{needle}: {problems}");
    }

    // The same folder compared with the Hub: the link out of the cache is not followed.
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let v = hub::verify_against(&snap, "org/model", &config(&server, home.path()));
    assert_eq!(v.status, VerifyStatus::Failed);
    assert!(v.files.missing.contains(&"config.json".to_string()));
    assert!(
        v.problems
            .iter()
            .any(|p| p.contains("config.json: symbolic link to") && p.contains("not followed")),
        "{:?}",
        v.problems
    );
}

#[test]
fn an_absent_or_empty_cache_is_incomplete() {
    let dir = tempfile::tempdir().unwrap();
    let v = hub::verify_cache(&dir.path().join("nope"), None);
    assert_eq!(v.status, VerifyStatus::Incomplete);
    let v = hub::verify_cache(dir.path(), None);
    assert_eq!(v.status, VerifyStatus::Incomplete);
    assert!(v.problems[0].contains("nothing to verify"));
    let v = hub::verify_cache(dir.path(), Some("../x"));
    assert_eq!(v.status, VerifyStatus::Incomplete);
}

// ---- through the binary, with the HF_* variables set on the child only ----

fn modelvet(args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_modelvet"));
    cmd.args(args);
    for var in [
        "HF_ENDPOINT",
        "HF_TOKEN",
        "HUGGING_FACE_HUB_TOKEN",
        "HF_TOKEN_PATH",
        "HF_HOME",
        "HF_HUB_CACHE",
        "HUGGINGFACE_HUB_CACHE",
        "HF_HUB_OFFLINE",
    ] {
        cmd.env_remove(var);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn the_cli_verifies_against_the_hub_and_never_prints_the_token() {
    let repo = model_repo("org/gated").gated(TOKEN);
    let commit = repo.commit();
    let server = HubServer::start(vec![repo.clone()]);
    let home = tempfile::tempdir().unwrap();
    let local = local_copy(&repo);
    let dir = local.path().to_str().unwrap();
    let home_s = home.path().to_str().unwrap();
    let env = [
        ("HF_ENDPOINT", server.endpoint.as_str()),
        ("HF_HOME", home_s),
        ("HF_TOKEN", TOKEN),
    ];

    for format in ["json", "text"] {
        let out = modelvet(
            &[
                "verify",
                dir,
                "--against",
                "hf://org/gated@dev",
                "--format",
                format,
            ],
            &env,
        );
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{stdout}{stderr}");
        assert!(stdout.contains(&commit), "{stdout}");
        assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));
    }
    let out = modelvet(
        &[
            "verify",
            dir,
            "--against",
            "hf://org/gated",
            "--format",
            "json",
        ],
        &env,
    );
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["status"], "verified");
    assert_eq!(doc["method"], "hub");
    assert_eq!(doc["remote"]["commit"], commit.as_str());

    // The token from $HF_HOME/token works the same way.
    fs::write(home.path().join("token"), format!("{TOKEN}\n")).unwrap();
    let out = modelvet(&["verify", dir, "--against", "hf://org/gated"], &env[..2]);
    assert_eq!(out.status.code(), Some(0));

    // Without a token: incomplete, exit 2, and a message that says what to do.
    fs::remove_file(home.path().join("token")).unwrap();
    let out = modelvet(&["verify", dir, "--against", "hf://org/gated"], &env[..2]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("HF_TOKEN"), "{stdout}");

    // A changed file: exit 1, the file named, no token anywhere.
    fs::write(local.path().join("config.json"), "{}").unwrap();
    let out = modelvet(&["verify", dir, "--against", "hf://org/gated"], &env);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stdout}{stderr}");
    assert!(stdout.contains("changed: config.json"), "{stdout}");
    assert!(!stdout.contains(TOKEN) && !stderr.contains(TOKEN));

    // Offline: nothing sent, exit 2.
    server.clear_requests();
    let mut offline = env.to_vec();
    offline.push(("HF_HUB_OFFLINE", "1"));
    let out = modelvet(&["verify", dir, "--against", "hf://org/gated"], &offline);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stdout).contains("HF_HUB_OFFLINE"));
    assert!(server.requests().is_empty());
}

#[cfg(unix)]
#[test]
fn the_cli_checks_a_cache() {
    let repo = model_repo("org/model");
    let home = tempfile::tempdir().unwrap();
    let folder = build_cache(&home.path().join("hub"), &repo);
    let home_s = home.path().to_str().unwrap();
    let out = modelvet(&["verify", "--hf-cache"], &[("HF_HOME", home_s)]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("hf-cache"), "{stdout}");

    let blob = folder.join("blobs").join(repo.files["config.json"].etag());
    fs::write(&blob, "{}").unwrap();
    let cache = home.path().join("hub");
    let out = modelvet(
        &[
            "verify",
            "--hf-cache",
            "org/model",
            "--cache-dir",
            cache.to_str().unwrap(),
        ],
        &[],
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("models--org--model/blobs/"), "{stdout}");
}
