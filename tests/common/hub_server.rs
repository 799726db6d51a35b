//! A loopback stand-in for the Hugging Face Hub, for tests.
//!
//! Two listeners on 127.0.0.1: the "hub" (API and `resolve` URLs) and a "cdn" on another
//! port, so a redirect between them crosses origins as the real Hub's LFS downloads do.
//! Every hash it advertises is computed here from the fixture bytes with the `sha2` and
//! `sha1` crates, never with modelvet's own digest code, so the tests stay independent.
//!
//! HTTP/1.1 with `Connection: close`, one thread per connection: enough for a client test,
//! not a general server.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use serde_json::{json, Value};
use sha1::Sha1;
use sha2::{Digest, Sha256};

pub fn sha256_hex(data: &[u8]) -> String {
    hex(&Sha256::digest(data))
}

/// `git hash-object`: SHA-1 over `"blob <len>\0" + data`.
pub fn git_blob_sha1_hex(data: &[u8]) -> String {
    let mut h = Sha1::new();
    h.update(format!("blob {}\0", data.len()).as_bytes());
    h.update(data);
    hex(&h.finalize())
}

fn sha1_hex(data: &[u8]) -> String {
    hex(&Sha1::digest(data))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// One file of a fixture repository.
#[derive(Clone, Debug)]
pub struct FixtureFile {
    pub bytes: Vec<u8>,
    pub lfs: bool,
    /// Bytes served for downloads instead of `bytes` (a tampered CDN); the metadata still
    /// describes `bytes`.
    pub served: Option<Vec<u8>>,
    /// `securityFileStatus` in the tree API.
    pub security: Option<Value>,
    /// Large content that is never materialised (then `bytes` is empty).
    pub sparse: Option<Arc<Sparse>>,
}

/// Content of `len` bytes: zeros except for the given pieces. Served per range and in
/// chunks, so a 2 GiB file costs only its pieces in memory. Its SHA-256 is computed once,
/// with aws-lc-rs (not modelvet's digest module), feeding the zero runs in 1 MiB chunks.
#[derive(Debug, Clone)]
pub struct Sparse {
    pub len: u64,
    /// (offset, bytes), sorted, not overlapping.
    pub pieces: Vec<(u64, Vec<u8>)>,
    pub sha256: String,
}

impl Sparse {
    pub fn new(len: u64, mut pieces: Vec<(u64, Vec<u8>)>) -> Sparse {
        pieces.sort_by_key(|p| p.0);
        let zeros = vec![0u8; 1 << 20];
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        let mut pos = 0u64;
        let feed_zeros = |ctx: &mut aws_lc_rs::digest::Context, mut n: u64| {
            while n > 0 {
                let k = n.min(zeros.len() as u64) as usize;
                ctx.update(&zeros[..k]);
                n -= k as u64;
            }
        };
        for (off, bytes) in &pieces {
            assert!(*off >= pos, "pieces overlap");
            feed_zeros(&mut ctx, off - pos);
            ctx.update(bytes);
            pos = off + bytes.len() as u64;
        }
        assert!(pos <= len, "pieces past the end");
        feed_zeros(&mut ctx, len - pos);
        Sparse {
            len,
            sha256: hex(ctx.finish().as_ref()),
            pieces,
        }
    }

    /// A sparse file whose published SHA-256 is derived from `tag` and its pieces rather
    /// than computed over every byte: for measurements with many large files that are
    /// never read whole (a whole read would report a hash mismatch).
    pub fn new_unhashed(len: u64, mut pieces: Vec<(u64, Vec<u8>)>, tag: &str) -> Sparse {
        pieces.sort_by_key(|p| p.0);
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(tag.as_bytes());
        for (off, bytes) in &pieces {
            ctx.update(&off.to_le_bytes());
            ctx.update(bytes);
        }
        Sparse {
            len,
            sha256: hex(ctx.finish().as_ref()),
            pieces,
        }
    }

    /// Bytes `start..end` (the caller bounds the length).
    pub fn slice(&self, start: u64, end: u64) -> Vec<u8> {
        let mut out = vec![0u8; (end - start) as usize];
        for (off, bytes) in &self.pieces {
            let (ps, pe) = (*off, off + bytes.len() as u64);
            let (s, e) = (ps.max(start), pe.min(end));
            if s < e {
                out[(s - start) as usize..(e - start) as usize]
                    .copy_from_slice(&bytes[(s - ps) as usize..(e - ps) as usize]);
            }
        }
        out
    }
}

impl FixtureFile {
    pub fn sha256(&self) -> String {
        match &self.sparse {
            Some(sp) => sp.sha256.clone(),
            None => sha256_hex(&self.bytes),
        }
    }

    /// Content length.
    pub fn len(&self) -> u64 {
        self.sparse
            .as_ref()
            .map_or(self.bytes.len() as u64, |sp| sp.len)
    }

    /// The Git pointer file Git LFS stores in place of the content.
    pub fn pointer(&self) -> Vec<u8> {
        format!(
            "version https://git-lfs.github.com/spec/v1\noid sha256:{}\nsize {}\n",
            self.sha256(),
            self.len()
        )
        .into_bytes()
    }

    /// The Git object id: of the content, or of the pointer for LFS files.
    pub fn blob_id(&self) -> String {
        if self.lfs {
            git_blob_sha1_hex(&self.pointer())
        } else {
            git_blob_sha1_hex(&self.bytes)
        }
    }

    /// What `ETag`/`X-Linked-Etag` carry, and the Hugging Face cache names the blob.
    pub fn etag(&self) -> String {
        if self.lfs {
            self.sha256()
        } else {
            self.blob_id()
        }
    }

    fn served_bytes(&self) -> &[u8] {
        self.served.as_deref().unwrap_or(&self.bytes)
    }
}

/// A repository at one commit; branch and tag names resolve to that commit.
#[derive(Clone, Debug)]
pub struct FixtureRepo {
    /// `models`, `datasets` or `spaces`.
    pub kind: String,
    pub id: String,
    pub refs: Vec<String>,
    pub files: BTreeMap<String, FixtureFile>,
    /// A gated repository: every request needs `Authorization: Bearer <token>`.
    pub token: Option<String>,
    pub scans_done: bool,
}

impl FixtureRepo {
    pub fn model(id: &str) -> FixtureRepo {
        FixtureRepo {
            kind: "models".into(),
            id: id.into(),
            refs: vec!["main".into()],
            files: BTreeMap::new(),
            token: None,
            scans_done: true,
        }
    }

    pub fn dataset(id: &str) -> FixtureRepo {
        FixtureRepo {
            kind: "datasets".into(),
            ..FixtureRepo::model(id)
        }
    }

    pub fn file(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> FixtureRepo {
        self.files.insert(
            path.into(),
            FixtureFile {
                bytes: bytes.into(),
                lfs: false,
                served: None,
                security: None,
                sparse: None,
            },
        );
        self
    }

    pub fn lfs(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> FixtureRepo {
        self.files.insert(
            path.into(),
            FixtureFile {
                bytes: bytes.into(),
                lfs: true,
                served: None,
                security: None,
                sparse: None,
            },
        );
        self
    }

    /// A large LFS file that is never materialised (see [`Sparse`]).
    pub fn sparse_lfs(mut self, path: &str, content: Sparse) -> FixtureRepo {
        self.files.insert(
            path.into(),
            FixtureFile {
                bytes: Vec::new(),
                lfs: true,
                served: None,
                security: None,
                sparse: Some(Arc::new(content)),
            },
        );
        self
    }

    /// Downloads of `path` serve `bytes`, while the metadata describes the original.
    pub fn tamper(mut self, path: &str, bytes: impl Into<Vec<u8>>) -> FixtureRepo {
        if let Some(f) = self.files.get_mut(path) {
            f.served = Some(bytes.into());
        }
        self
    }

    pub fn security(mut self, path: &str, status: Value) -> FixtureRepo {
        if let Some(f) = self.files.get_mut(path) {
            f.security = Some(status);
        }
        self
    }

    pub fn gated(mut self, token: &str) -> FixtureRepo {
        self.token = Some(token.into());
        self
    }

    pub fn with_ref(mut self, name: &str) -> FixtureRepo {
        self.refs.push(name.into());
        self
    }

    /// A commit id that changes with any file: SHA-1 over the repository's content.
    pub fn commit(&self) -> String {
        let mut h = Sha1::new();
        h.update(format!("{}/{}\0", self.kind, self.id).as_bytes());
        for (path, f) in &self.files {
            h.update(format!("{path}\0{}\0{}\0", f.etag(), f.lfs).as_bytes());
        }
        hex(&h.finalize())
    }

    fn resolve(&self, rev: &str) -> Option<String> {
        let commit = self.commit();
        (rev == commit || self.refs.iter().any(|r| r == rev)).then_some(commit)
    }

    /// Writes the files into `dir` as a download would.
    pub fn write_to(&self, dir: &std::path::Path) {
        for (path, f) in &self.files {
            let p = dir.join(path);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, &f.bytes).unwrap();
        }
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Recorded {
    /// `hub` or `cdn`.
    pub server: &'static str,
    pub method: String,
    /// Path and query, as sent.
    pub target: String,
    pub range: Option<String>,
    /// The `Authorization` header, as sent.
    pub authorization: Option<String>,
}

/// A canned answer for every request whose path starts with `prefix`.
#[derive(Clone, Debug)]
pub struct Override {
    pub prefix: String,
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

struct Shared {
    repos: Mutex<Vec<FixtureRepo>>,
    requests: Mutex<Vec<Recorded>>,
    overrides: Mutex<Vec<Override>>,
    page_size: AtomicUsize,
    fail_next: AtomicUsize,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
    delay_ms: AtomicUsize,
    stop: AtomicBool,
    hub: String,
    cdn: String,
}

pub struct HubServer {
    /// `http://127.0.0.1:<port>`: use as HF_ENDPOINT.
    pub endpoint: String,
    /// Origin of the CDN LFS downloads are redirected to.
    pub cdn: String,
    shared: Arc<Shared>,
    threads: Vec<JoinHandle<()>>,
}

impl HubServer {
    pub fn start(repos: Vec<FixtureRepo>) -> HubServer {
        let hub = TcpListener::bind("127.0.0.1:0").expect("bind hub");
        let cdn = TcpListener::bind("127.0.0.1:0").expect("bind cdn");
        let endpoint = format!("http://{}", hub.local_addr().unwrap());
        let cdn_origin = format!("http://{}", cdn.local_addr().unwrap());
        let shared = Arc::new(Shared {
            repos: Mutex::new(repos),
            requests: Mutex::new(Vec::new()),
            overrides: Mutex::new(Vec::new()),
            page_size: AtomicUsize::new(2),
            fail_next: AtomicUsize::new(0),
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
            delay_ms: AtomicUsize::new(0),
            stop: AtomicBool::new(false),
            hub: endpoint.clone(),
            cdn: cdn_origin.clone(),
        });
        let threads = vec![
            spawn_listener(hub, "hub", shared.clone()),
            spawn_listener(cdn, "cdn", shared.clone()),
        ];
        HubServer {
            endpoint,
            cdn: cdn_origin,
            shared,
            threads,
        }
    }

    /// Entries per page of the tree API (2 by default, so pagination is always exercised).
    pub fn set_page_size(&self, n: usize) {
        self.shared.page_size.store(n.max(1), Ordering::SeqCst);
    }

    /// The next `n` requests to the hub listener answer 503.
    pub fn fail_next(&self, n: usize) {
        self.shared.fail_next.store(n, Ordering::SeqCst);
    }

    /// Every answer waits this long first (to make concurrency observable).
    pub fn set_delay_ms(&self, ms: usize) {
        self.shared.delay_ms.store(ms, Ordering::SeqCst);
    }

    /// Most requests being answered at once since the start (or the last reset).
    pub fn max_in_flight(&self) -> usize {
        self.shared.max_in_flight.load(Ordering::SeqCst)
    }

    pub fn reset_max_in_flight(&self) {
        self.shared.max_in_flight.store(0, Ordering::SeqCst);
    }

    pub fn add_override(&self, o: Override) {
        self.shared.overrides.lock().unwrap().push(o);
    }

    pub fn add_repo(&self, repo: FixtureRepo) {
        self.shared.repos.lock().unwrap().push(repo);
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.requests.lock().unwrap().clone()
    }

    pub fn clear_requests(&self) {
        self.shared.requests.lock().unwrap().clear();
    }
}

impl Drop for HubServer {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake both accept loops so they see the flag.
        for origin in [&self.endpoint, &self.cdn] {
            if let Some(addr) = origin.strip_prefix("http://") {
                let _ = TcpStream::connect(addr);
            }
        }
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn spawn_listener(
    listener: TcpListener,
    name: &'static str,
    shared: Arc<Shared>,
) -> JoinHandle<()> {
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            if shared.stop.load(Ordering::SeqCst) {
                break;
            }
            let Ok(stream) = stream else { continue };
            let shared = shared.clone();
            std::thread::spawn(move || {
                let _ = handle(stream, name, &shared);
            });
        }
    })
}

struct Request {
    method: String,
    target: String,
    headers: Vec<(String, String)>,
}

impl Request {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    /// A range of sparse content, written in chunks instead of `body`.
    sparse: Option<(Arc<Sparse>, u64, u64)>,
}

impl Reply {
    fn new(status: u16) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: Vec::new(),
            sparse: None,
        }
    }

    fn header(mut self, k: &str, v: impl Into<String>) -> Reply {
        self.headers.push((k.into(), v.into()));
        self
    }

    fn json(v: &Value) -> Reply {
        Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: serde_json::to_vec(v).unwrap(),
            sparse: None,
        }
    }

    fn error(status: u16, code: &str, message: &str) -> Reply {
        Reply::new(status)
            .header("X-Error-Code", code)
            .header("X-Error-Message", message)
            .header("Content-Type", "application/json")
            .with_body(serde_json::to_vec(&json!({ "error": message })).unwrap())
    }

    fn with_body(mut self, body: Vec<u8>) -> Reply {
        self.body = body;
        self
    }
}

fn read_request(stream: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if buf.len() > 64 * 1024 || stream.read(&mut byte).ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
    }
    let text = String::from_utf8(buf).ok()?;
    let mut lines = text.split("\r\n");
    let mut first = lines.next()?.split(' ');
    let method = first.next()?.to_string();
    let target = first.next()?.to_string();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Some(Request {
        method,
        target,
        headers,
    })
}

fn handle(mut stream: TcpStream, server: &'static str, shared: &Shared) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    // The head and the body go out in separate writes: with Nagle's algorithm the body
    // waits for the client's delayed ACK of the head (40 ms on Linux), which made every
    // request cost 40 ms on loopback.
    stream.set_nodelay(true)?;
    let Some(req) = read_request(&mut stream) else {
        return Ok(());
    };
    shared.requests.lock().unwrap().push(Recorded {
        server,
        method: req.method.clone(),
        target: req.target.clone(),
        range: req.header("range").map(str::to_string),
        authorization: req.header("authorization").map(str::to_string),
    });
    let now = shared.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    shared.max_in_flight.fetch_max(now, Ordering::SeqCst);
    let delay = shared.delay_ms.load(Ordering::SeqCst);
    if delay > 0 {
        std::thread::sleep(Duration::from_millis(delay as u64));
    }
    let reply = route(&req, server, shared);
    // Counted until the answer is ready: the client cannot send its next request before
    // it has read this one, so the count never includes a finished request.
    shared.in_flight.fetch_sub(1, Ordering::SeqCst);
    write_reply(&mut stream, &req, reply)
}

fn write_reply(stream: &mut TcpStream, req: &Request, reply: Reply) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", reply.status, reason(reply.status));
    for (k, v) in &reply.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    let body_len = match &reply.sparse {
        Some((_, s, e)) => e - s,
        None => reply.body.len() as u64,
    };
    if !reply
        .headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("content-length"))
    {
        head.push_str(&format!("Content-Length: {body_len}\r\n"));
    }
    head.push_str("Connection: close\r\n\r\n");
    stream.write_all(head.as_bytes())?;
    if req.method != "HEAD" {
        match &reply.sparse {
            Some((sp, s, e)) => {
                let mut pos = *s;
                while pos < *e {
                    let next = (pos + (4 << 20)).min(*e);
                    stream.write_all(&sp.slice(pos, next))?;
                    pos = next;
                }
            }
            None => stream.write_all(&reply.body)?,
        }
    }
    stream.flush()?;
    let _ = stream.shutdown(Shutdown::Write);
    Ok(())
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        302 => "Found",
        307 => "Temporary Redirect",
        401 => "Unauthorized",
        404 => "Not Found",
        416 => "Range Not Satisfiable",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Ok(v) = u8::from_str_radix(&s[i + 1..i + 3], 16) {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn encode_path(p: &str) -> String {
    p.split('/')
        .map(|seg| {
            seg.bytes()
                .map(|b| {
                    if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                        (b as char).to_string()
                    } else {
                        format!("%{b:02X}")
                    }
                })
                .collect::<String>()
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn route(req: &Request, server: &'static str, shared: &Shared) -> Reply {
    let (path, query) = req.target.split_once('?').unwrap_or((&req.target, ""));
    for o in shared.overrides.lock().unwrap().iter() {
        if path.starts_with(&o.prefix) {
            let mut r = Reply::new(o.status).with_body(o.body.clone());
            r.headers = o.headers.clone();
            return r;
        }
    }
    if server == "hub" {
        let failing = shared.fail_next.load(Ordering::SeqCst);
        if failing > 0 {
            shared.fail_next.store(failing - 1, Ordering::SeqCst);
            return Reply::error(503, "ServiceUnavailable", "try again");
        }
    }
    let segs: Vec<&str> = path.trim_start_matches('/').split('/').collect();
    let repos = shared.repos.lock().unwrap();
    let find = |kind: &str, org: &str, name: &str| {
        let id = decode(&format!("{org}/{name}"));
        repos.iter().find(|r| r.kind == kind && r.id == id).cloned()
    };
    if server == "cdn" {
        // /cdn/{kind}/{org}/{name}/{commit}/{path...}
        if segs.len() >= 6 && segs[0] == "cdn" {
            if let Some(repo) = find(segs[1], segs[2], segs[3]) {
                let file_path = decode(&segs[5..].join("/"));
                if let Some(f) = repo.files.get(&file_path) {
                    return serve_file(req, f, Vec::new());
                }
            }
        }
        return Reply::error(404, "EntryNotFound", "no such object");
    }
    // /api/resolve-cache/{kind}/{org}/{name}/{commit}/{path...}
    if segs.len() >= 7 && segs[0] == "api" && segs[1] == "resolve-cache" {
        let Some(repo) = find(segs[2], segs[3], segs[4]) else {
            return Reply::error(404, "RepoNotFound", "Repository not found");
        };
        if let Some(r) = check_auth(req, &repo) {
            return r;
        }
        let commit = decode(segs[5]);
        let file_path = decode(&segs[6..].join("/"));
        return match repo.files.get(&file_path) {
            Some(f) if repo.resolve(&commit).is_some() => serve_file(
                req,
                f,
                vec![
                    ("ETag".into(), format!("\"{}\"", f.etag())),
                    ("X-Repo-Commit".into(), repo.commit()),
                ],
            ),
            _ => Reply::error(404, "EntryNotFound", "Entry not found"),
        };
    }
    // /api/{kind}/{org}/{name}/{revision|tree}/{rev}
    if segs.len() >= 6 && segs[0] == "api" && ["models", "datasets", "spaces"].contains(&segs[1]) {
        let Some(repo) = find(segs[1], segs[2], segs[3]) else {
            return Reply::error(404, "RepoNotFound", "Repository not found");
        };
        if let Some(r) = check_auth(req, &repo) {
            return r;
        }
        let rev = decode(&segs[5..].join("/"));
        let Some(commit) = repo.resolve(&rev) else {
            return Reply::error(404, "RevisionNotFound", "Invalid rev id");
        };
        return match segs[4] {
            "revision" => Reply::json(&revision_json(&repo, &commit, query)),
            "tree" => tree_page(
                &repo,
                query,
                &shared.hub,
                path,
                shared.page_size.load(Ordering::SeqCst),
            ),
            _ => Reply::error(404, "", "Not found"),
        };
    }
    // /[datasets/|spaces/]{org}/{name}/resolve/{rev}/{path...}
    let (kind, rest) = match segs.first() {
        Some(&"datasets") => ("datasets", &segs[1..]),
        Some(&"spaces") => ("spaces", &segs[1..]),
        _ => ("models", &segs[..]),
    };
    if rest.len() >= 5 && rest[2] == "resolve" {
        let Some(repo) = find(kind, rest[0], rest[1]) else {
            return Reply::error(404, "RepoNotFound", "Repository not found");
        };
        if let Some(r) = check_auth(req, &repo) {
            return r;
        }
        let rev = decode(rest[3]);
        let Some(commit) = repo.resolve(&rev) else {
            return Reply::error(404, "RevisionNotFound", "Invalid rev id");
        };
        let file_path = decode(&rest[4..].join("/"));
        let Some(f) = repo.files.get(&file_path) else {
            return Reply::error(404, "EntryNotFound", "Entry not found");
        };
        let enc = encode_path(&file_path);
        if f.lfs {
            return Reply::new(302)
                .header(
                    "Location",
                    format!("{}/cdn/{kind}/{}/{commit}/{enc}", shared.cdn, repo.id),
                )
                .header("X-Repo-Commit", commit)
                .header("X-Linked-Etag", format!("\"{}\"", f.sha256()))
                .header("X-Linked-Size", f.len().to_string())
                .header("ETag", format!("\"{}\"", f.sha256()));
        }
        // The Hub answers non-LFS files through a relative redirect to its cache route.
        return Reply::new(307)
            .header(
                "Location",
                format!("/api/resolve-cache/{kind}/{}/{commit}/{enc}", repo.id),
            )
            .header("X-Repo-Commit", commit);
    }
    Reply::error(404, "", "Not found")
}

fn check_auth(req: &Request, repo: &FixtureRepo) -> Option<Reply> {
    let token = repo.token.as_ref()?;
    let expected = format!("Bearer {token}");
    if req.header("authorization") == Some(expected.as_str()) {
        None
    } else {
        Some(Reply::error(
            401,
            "GatedRepo",
            "Access to this repository is restricted",
        ))
    }
}

fn revision_json(repo: &FixtureRepo, commit: &str, _query: &str) -> Value {
    let siblings: Vec<Value> = repo
        .files
        .iter()
        .map(|(path, f)| {
            let mut s = json!({
                "rfilename": path,
                "size": f.len(),
                "blobId": f.blob_id(),
            });
            if f.lfs {
                s["lfs"] = json!({
                    "sha256": f.sha256(),
                    "size": f.len(),
                    "pointerSize": f.pointer().len(),
                });
            }
            s
        })
        .collect();
    let flagged: Vec<Value> = repo
        .files
        .iter()
        .filter(|(_, f)| {
            f.security
                .as_ref()
                .and_then(|s| s.get("status"))
                .and_then(Value::as_str)
                .is_some_and(|s| s != "safe")
        })
        .map(|(p, f)| json!({"path": p, "level": f.security.as_ref().unwrap()["status"]}))
        .collect();
    json!({
        "_id": "0123456789abcdef01234567",
        "id": repo.id,
        "modelId": repo.id,
        "sha": commit,
        "private": false,
        "disabled": false,
        "gated": if repo.token.is_some() { json!("manual") } else { json!(false) },
        "lastModified": "2026-01-01T00:00:00.000Z",
        "cardData": {"license": "apache-2.0"},
        "siblings": siblings,
        "securityRepoStatus": {"scansDone": repo.scans_done, "filesWithIssues": flagged},
        "tags": ["test"],
    })
}

fn tree_page(repo: &FixtureRepo, query: &str, hub: &str, path: &str, page_size: usize) -> Reply {
    // Directories first, as entries of a recursive listing.
    let mut dirs = std::collections::BTreeSet::new();
    for p in repo.files.keys() {
        let mut acc = String::new();
        let parts: Vec<&str> = p.split('/').collect();
        for part in &parts[..parts.len() - 1] {
            if !acc.is_empty() {
                acc.push('/');
            }
            acc.push_str(part);
            dirs.insert(acc.clone());
        }
    }
    let mut entries: Vec<Value> = dirs
        .iter()
        .map(|d| json!({"type": "directory", "oid": sha1_hex(d.as_bytes()), "size": 0, "path": d}))
        .collect();
    for (p, f) in &repo.files {
        let mut e = json!({
            "type": "file",
            "oid": f.blob_id(),
            "size": f.len(),
            "path": p,
            "lastCommit": {"id": repo.commit(), "title": "fixture", "date": "2026-01-01T00:00:00.000Z"},
        });
        if f.lfs {
            e["lfs"] =
                json!({"oid": f.sha256(), "size": f.len(), "pointerSize": f.pointer().len()});
        }
        e["securityFileStatus"] = f
            .security
            .clone()
            .unwrap_or_else(|| json!({"status": "safe", "avScan": {"status": "safe"}}));
        entries.push(e);
    }
    let start: usize = query
        .split('&')
        .find_map(|kv| kv.strip_prefix("cursor="))
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let end = (start + page_size).min(entries.len());
    let page: Vec<Value> = entries[start.min(end)..end].to_vec();
    let mut reply = Reply::json(&Value::Array(page));
    if end < entries.len() {
        reply = reply.header(
            "Link",
            format!("<{hub}{path}?recursive=true&expand=true&cursor={end}>; rel=\"next\""),
        );
    }
    reply
}

fn serve_file(req: &Request, f: &FixtureFile, headers: Vec<(String, String)>) -> Reply {
    match (&f.sparse, &f.served) {
        (Some(sp), None) => serve_sparse(req, sp, headers),
        _ => serve_bytes(req, f.served_bytes(), headers),
    }
}

/// The inclusive byte range a `Range: bytes=a-b` header asks of `len` bytes:
/// `Ok(None)` without the header, `Err(())` when it cannot be satisfied (416).
fn requested_range(req: &Request, len: u64) -> Result<Option<(u64, u64)>, ()> {
    let Some(range) = req.header("range") else {
        return Ok(None);
    };
    let spec = range.strip_prefix("bytes=").unwrap_or("");
    let (s, e) = spec.split_once('-').unwrap_or(("", ""));
    let start: u64 = s.parse().unwrap_or(u64::MAX);
    let end: u64 = if e.is_empty() {
        len.saturating_sub(1)
    } else {
        e.parse().unwrap_or(0)
    };
    if start >= len || end < start {
        return Err(());
    }
    Ok(Some((start, end.min(len - 1))))
}

fn unsatisfiable(headers: Vec<(String, String)>, len: u64) -> Reply {
    let mut r = Reply::new(416);
    r.headers = headers;
    r.header("Content-Range", format!("bytes */{len}"))
}

fn serve_sparse(req: &Request, sp: &Arc<Sparse>, mut headers: Vec<(String, String)>) -> Reply {
    headers.push(("Accept-Ranges".into(), "bytes".into()));
    let len = sp.len;
    let (status, start, end) = match requested_range(req, len) {
        Err(()) => return unsatisfiable(headers, len),
        Ok(Some((start, end))) => {
            headers.push(("Content-Range".into(), format!("bytes {start}-{end}/{len}")));
            (206, start, end + 1)
        }
        Ok(None) => (200, 0, len),
    };
    let mut r = Reply::new(status);
    r.headers = headers;
    r.sparse = Some((sp.clone(), start, end));
    r
}

fn serve_bytes(req: &Request, data: &[u8], mut headers: Vec<(String, String)>) -> Reply {
    headers.push(("Accept-Ranges".into(), "bytes".into()));
    let len = data.len() as u64;
    match requested_range(req, len) {
        Err(()) => unsatisfiable(headers, len),
        Ok(Some((start, end))) => {
            let mut r = Reply::new(206).with_body(data[start as usize..=end as usize].to_vec());
            r.headers = headers;
            r.header("Content-Range", format!("bytes {start}-{end}/{len}"))
        }
        Ok(None) => {
            let mut r = Reply::new(200).with_body(data.to_vec());
            r.headers = headers;
            r
        }
    }
}

/// A safetensors file as the format documents it (8-byte little-endian header length,
/// JSON header padded with spaces to 8 bytes, then the data): one F32 tensor of
/// `data_len` bytes, all zeros, never materialised.
pub fn sparse_safetensors(data_len: u64) -> Sparse {
    let mut header = format!(
        "{{\"weight\":{{\"dtype\":\"F32\",\"shape\":[{}],\"data_offsets\":[0,{data_len}]}}}}",
        data_len / 4
    );
    while header.len() % 8 != 0 {
        header.push(' ');
    }
    let mut head = (header.len() as u64).to_le_bytes().to_vec();
    head.extend(header.as_bytes());
    let len = head.len() as u64 + data_len;
    Sparse::new(len, vec![(0, head)])
}
