//! The content-addressed verdict cache (`--cache DIR`): what a scan concluded about one
//! file's bytes, reused when the same bytes come again, from another folder, repository or
//! mirror.
//!
//! An entry is keyed by everything that decides a verdict:
//! - the content digest: the SHA-256 of the bytes (local files, hashed whole to look up),
//!   else what the endpoint publishes for them (the Hub's LFS SHA-256, or its Git blob
//!   SHA-1 for small files; see docs/decisions.md on trusting a published digest);
//! - the file's name (a few checks read it: whether an incomplete file counts, Hugging Face
//!   repository files);
//! - how the bytes were read (`local`, or `ranged` for remote files, whose tails are not
//!   probed and whose ONNX external data is not beside them);
//! - the modelvet version, the rule catalog version and a digest of the effective policy,
//!   so a new release, a catalog change or a policy change never meets an old verdict.
//!
//! Only fully understood files are stored: every artifact complete, no internal error, no
//! hash mismatch. An incomplete verdict is rescanned every time; it is never a cached
//! "clean".
//!
//! The store is a folder of one file per entry (`DIR/v1/ab/<62 hex>`), written to a
//! temporary file, synced and renamed into place. A reader sees no entry or a whole one,
//! never a torn one; processes on several machines can share the folder without a lock;
//! every entry carries the SHA-256 of its body and repeats its key, and anything that does
//! not check out is a miss. Why not an embedded database: docs/decisions.md.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

use crate::findings::{Evidence, Finding, Findings, Location};
use crate::format::Format;
use crate::limits::MAX_VERDICT_CACHE_ENTRY_BYTES;
use crate::policy::Policy;
use crate::report::{Artifact, ArtifactKind, Status};
use crate::rules::{self, Severity};

/// The record layout; a new layout is a new folder, so old entries are never misread.
const LAYOUT: &str = "v1";

/// What identifies a file's bytes.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum ContentId {
    /// SHA-256 of the bytes (computed, or the Hub's LFS object id).
    Sha256(String),
    /// The Git blob SHA-1 the Hub publishes for a file stored in Git itself.
    GitBlobSha1(String),
    /// One version of an object in a store: its URL, ETag and size (stores publish no
    /// content digest to trust; a changed object has another ETag).
    ObjectVersion(String),
}

impl ContentId {
    pub fn as_key(&self) -> String {
        match self {
            ContentId::Sha256(h) => format!("sha256:{h}"),
            ContentId::GitBlobSha1(h) => format!("gitsha1:{h}"),
            ContentId::ObjectVersion(v) => format!("object:{v}"),
        }
    }
}

/// How a file's bytes were read, which decides what a scan of them could see.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadMode {
    /// A local file: tails probed, files beside it at hand.
    Local,
    /// A remote file read over range requests.
    Ranged,
}

impl ReadMode {
    fn as_str(self) -> &'static str {
        match self {
            ReadMode::Local => "local",
            ReadMode::Ranged => "ranged",
        }
    }
}

/// What a scan of one top-level file produced, with paths relative to the file: the
/// artifacts (`suffix` "" for the file, `!member` for members) and the tensor names of its
/// safetensors artifacts (for the cross-file shard checks).
#[derive(Clone, Debug, Default)]
pub struct CachedFile {
    pub artifacts: Vec<Artifact>,
    pub tensor_names: BTreeMap<String, Vec<String>>,
}

/// Counts of one run, for the report and the benchmarks.
#[derive(Debug, Default)]
pub struct CacheCounters {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub stored: AtomicU64,
    /// Entries that were there but did not check out (torn, altered, another key).
    pub rejected: AtomicU64,
}

pub struct VerdictCache {
    root: PathBuf,
    /// Version, catalog and policy: the part of every key that is the same for a run.
    run_key: String,
    pub counters: CacheCounters,
}

impl VerdictCache {
    /// Opens (creating) the cache folder for scans under `policy`.
    pub fn open(dir: &Path, policy: &Policy) -> Result<VerdictCache, String> {
        let root = dir.join(LAYOUT);
        std::fs::create_dir_all(&root)
            .map_err(|e| format!("--cache {}: cannot create it: {e}", dir.display()))?;
        let run_key = format!(
            "modelvet {}\0rules {}\0policy {}",
            env!("CARGO_PKG_VERSION"),
            rules::CATALOG_VERSION,
            policy.fingerprint()
        );
        Ok(VerdictCache {
            root,
            run_key,
            counters: CacheCounters::default(),
        })
    }

    fn key_text(&self, id: &ContentId, name: &str, mode: ReadMode) -> String {
        format!(
            "{}\0read {}\0name {}\0content {}",
            self.run_key,
            mode.as_str(),
            base_name(name),
            id.as_key()
        )
    }

    fn entry_path(&self, key_text: &str) -> PathBuf {
        let digest = hex::encode(Sha256::digest(key_text.as_bytes()));
        self.root.join(&digest[..2]).join(&digest[2..])
    }

    /// The verdict stored for these bytes under this name, with artifact paths rebased on
    /// `path` (the top-level path this scan gives the file).
    pub fn get(
        &self,
        id: &ContentId,
        name: &str,
        mode: ReadMode,
        path: &str,
    ) -> Option<CachedFile> {
        let key_text = self.key_text(id, name, mode);
        let entry = self.entry_path(&key_text);
        let found = match read_bounded(&entry) {
            Some(bytes) => match decode(&bytes, &key_text, path) {
                Some(found) => Some(found),
                None => {
                    self.counters.rejected.fetch_add(1, Ordering::Relaxed);
                    None
                }
            },
            None => None,
        };
        let counter = match &found {
            Some(_) => &self.counters.hits,
            None => &self.counters.misses,
        };
        counter.fetch_add(1, Ordering::Relaxed);
        let mut found = found?;
        for a in &mut found.artifacts {
            if a.member.is_none() {
                a.facts.insert(
                    "verdict_cache".into(),
                    json!({"hit": true, "content": id.as_key()}),
                );
            }
        }
        Some(found)
    }

    /// Stores the verdict of one file when it may be reused: see [`storable`]. `path` is
    /// the top-level path the artifacts carry. A failed write costs the cache, never the
    /// scan.
    pub fn put(&self, id: &ContentId, name: &str, mode: ReadMode, path: &str, file: &CachedFile) {
        if !storable(&file.artifacts, mode) {
            return;
        }
        let key_text = self.key_text(id, name, mode);
        let Some(body) = encode(file, &key_text, path) else {
            return;
        };
        if body.len() as u64 > MAX_VERDICT_CACHE_ENTRY_BYTES {
            return;
        }
        let entry = self.entry_path(&key_text);
        if write_atomically(&entry, &body).is_ok() {
            self.counters.stored.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Whether a file's verdict may be reused: every artifact complete and free of scanner
/// errors, no finding that is about the transfer rather than the bytes (a hash mismatch),
/// and, for local files, no ONNX model (its external data lives in files beside it, which
/// the key does not cover).
pub fn storable(artifacts: &[Artifact], mode: ReadMode) -> bool {
    let Some(top) = artifacts.first() else {
        return false;
    };
    top.member.is_none()
        && artifacts.iter().all(|a| {
            a.status == Status::Complete
                && !a.internal_error
                && !a.input_error
                && (mode != ReadMode::Local || a.format != Format::Onnx)
                && a.findings
                    .iter()
                    .all(|f| f.rule != rules::REMOTE_HASH_MISMATCH.id)
        })
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    let file = std::fs::File::open(path).ok()?;
    let mut bytes = Vec::new();
    file.take(MAX_VERDICT_CACHE_ENTRY_BYTES + 1)
        .read_to_end(&mut bytes)
        .ok()?;
    if bytes.len() as u64 > MAX_VERDICT_CACHE_ENTRY_BYTES {
        return None;
    }
    Some(bytes)
}

/// Writes `body` beside `path` under a name of this process and thread, syncs it, and
/// renames it over `path` (atomic on one file system).
fn write_atomically(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().expect("entries sit in a fan-out folder");
    std::fs::create_dir_all(dir)?;
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let tmp = dir.join(format!(
        ".tmp-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ));
    let written = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(body)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// The entry: the SHA-256 of the body in hex, a newline, the body (JSON with the key text
/// and the file's artifacts, paths relative to the file).
fn encode(file: &CachedFile, key_text: &str, path: &str) -> Option<Vec<u8>> {
    let mut artifacts = Vec::with_capacity(file.artifacts.len());
    for a in &file.artifacts {
        let suffix = a.path.strip_prefix(path)?;
        artifacts.push(encode_artifact(a, suffix));
    }
    let mut tensors = Map::new();
    for (p, names) in &file.tensor_names {
        tensors.insert(p.strip_prefix(path)?.to_string(), json!(names));
    }
    let body = serde_json::to_vec(&json!({
        "key": key_text,
        "artifacts": artifacts,
        "tensor_names": tensors,
    }))
    .ok()?;
    let mut out = hex::encode(Sha256::digest(&body)).into_bytes();
    out.push(b'\n');
    out.extend_from_slice(&body);
    Some(out)
}

fn encode_artifact(a: &Artifact, suffix: &str) -> Value {
    let findings: Vec<Value> = a
        .findings
        .iter()
        .map(|f| {
            json!({
                "rule": f.rule,
                "severity": f.severity,
                "message": f.message,
                "location": f.location,
                "evidence": f.evidence,
                "count": f.count,
                "summary": f.is_summary(),
            })
        })
        .collect();
    json!({
        "suffix": suffix,
        "member": a.member,
        "kind": a.kind,
        "format": a.format.name(),
        "size": a.size,
        "sha256": a.sha256,
        "status": a.status,
        "reason": a.reason,
        "expected": a.expected,
        "facts": a.facts,
        "findings": findings,
    })
}

/// Decodes an entry whatever key it names (fuzzing: every field of a hostile entry is
/// read, as a matching key would have it read).
pub fn decode_any(bytes: &[u8], path: &str) -> Option<CachedFile> {
    let body = &bytes[bytes.iter().position(|&b| b == b'\n')? + 1..];
    let v: Value = serde_json::from_slice(body).ok()?;
    let key = v.get("key")?.as_str()?.to_string();
    let digest = hex::encode(Sha256::digest(body));
    let mut entry = digest.into_bytes();
    entry.push(b'\n');
    entry.extend_from_slice(body);
    decode(&entry, &key, path)
}

fn decode(bytes: &[u8], key_text: &str, path: &str) -> Option<CachedFile> {
    let newline = bytes.iter().position(|&b| b == b'\n')?;
    let (digest, body) = (&bytes[..newline], &bytes[newline + 1..]);
    if digest != hex::encode(Sha256::digest(body)).as_bytes() {
        return None;
    }
    let v: Value = serde_json::from_slice(body).ok()?;
    if v.get("key")?.as_str()? != key_text {
        return None;
    }
    let mut out = CachedFile::default();
    for a in v.get("artifacts")?.as_array()? {
        out.artifacts.push(decode_artifact(a, path)?);
    }
    for (suffix, names) in v.get("tensor_names")?.as_object()? {
        let names = names
            .as_array()?
            .iter()
            .map(|n| n.as_str().map(str::to_string))
            .collect::<Option<Vec<_>>>()?;
        out.tensor_names.insert(format!("{path}{suffix}"), names);
    }
    Some(out)
}

fn string(v: &Value, key: &str) -> Option<Option<String>> {
    match v.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    }
}

fn decode_artifact(v: &Value, path: &str) -> Option<Artifact> {
    let suffix = v.get("suffix")?.as_str()?;
    let mut a = Artifact::new(
        format!("{path}{suffix}"),
        path.to_string(),
        string(v, "member")?,
    );
    a.kind = match v.get("kind")?.as_str()? {
        "model" => ArtifactKind::Model,
        "not-model" => ArtifactKind::NotModel,
        "unrecognized" => ArtifactKind::Unrecognized,
        _ => return None,
    };
    a.format = Format::from_name(v.get("format")?.as_str()?)?;
    a.size = v.get("size")?.as_u64()?;
    a.sha256 = string(v, "sha256")?;
    a.status = match v.get("status")?.as_str()? {
        "complete" => Status::Complete,
        _ => return None,
    };
    a.reason = string(v, "reason")?;
    a.expected = v.get("expected")?.as_bool()?;
    a.facts = v.get("facts")?.as_object()?.clone();
    let mut findings = Vec::new();
    for f in v.get("findings")?.as_array()? {
        findings.push(decode_finding(f)?);
    }
    a.findings = Findings::from_listed(findings);
    Some(a)
}

fn decode_finding(v: &Value) -> Option<Finding> {
    let rule = rules::find(v.get("rule")?.as_str()?)?;
    let severity = Severity::parse(v.get("severity")?.as_str()?)?;
    let location = v.get("location")?;
    let evidence = v.get("evidence")?;
    let optional_u64 = |key: &str| match location.get(key) {
        None | Some(Value::Null) => Some(None),
        Some(n) => n.as_u64().map(Some),
    };
    Some(Finding::restored(
        rule,
        severity,
        v.get("message")?.as_str()?.to_string(),
        Location {
            member: string(location, "member")?,
            offset: optional_u64("offset")?,
            opcode: string(location, "opcode")?,
            line: optional_u64("line")?,
        },
        Evidence {
            module: string(evidence, "module")?,
            name: string(evidence, "name")?,
            detail: string(evidence, "detail")?,
        },
        v.get("count")?.as_u64()?,
        v.get("summary")?.as_bool()?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(path: &str) -> CachedFile {
        let mut top = Artifact::new(path.into(), path.into(), None);
        top.format = Format::Zip;
        top.size = 10;
        let mut member = Artifact::new(
            format!("{path}!data.pkl"),
            path.into(),
            Some("data.pkl".into()),
        );
        member.format = Format::Pickle;
        member.findings.push(
            Finding::new(&rules::PICKLE_EXEC_GLOBAL, "posix.system")
                .at(7, "STACK_GLOBAL")
                .global("posix", "system"),
        );
        member.facts.insert("opcodes".into(), json!(12));
        let mut tensor_names = BTreeMap::new();
        tensor_names.insert(format!("{path}!w.safetensors"), vec!["w".to_string()]);
        CachedFile {
            artifacts: vec![top, member],
            tensor_names,
        }
    }

    fn cache(dir: &Path) -> VerdictCache {
        VerdictCache::open(dir, &Policy::new()).unwrap()
    }

    #[test]
    fn an_entry_comes_back_under_another_path_with_its_findings() {
        let dir = tempfile::tempdir().unwrap();
        let c = cache(dir.path());
        let id = ContentId::Sha256("ab".repeat(32));
        c.put(
            &id,
            "a/model.pt",
            ReadMode::Local,
            "a/model.pt",
            &sample("a/model.pt"),
        );
        let got = c
            .get(&id, "b/model.pt", ReadMode::Local, "b/model.pt")
            .unwrap();
        assert_eq!(got.artifacts.len(), 2);
        assert_eq!(got.artifacts[1].path, "b/model.pt!data.pkl");
        assert_eq!(got.artifacts[1].file, "b/model.pt");
        let f = &got.artifacts[1].findings[0];
        assert_eq!(f.rule, rules::PICKLE_EXEC_GLOBAL.id);
        assert_eq!(f.location.offset, Some(7));
        assert_eq!(f.evidence.name.as_deref(), Some("system"));
        assert_eq!(got.artifacts[0].facts["verdict_cache"]["hit"], json!(true));
        assert!(got.tensor_names.contains_key("b/model.pt!w.safetensors"));
    }

    #[test]
    fn another_name_mode_policy_or_content_misses() {
        let dir = tempfile::tempdir().unwrap();
        let c = cache(dir.path());
        let id = ContentId::Sha256("ab".repeat(32));
        c.put(
            &id,
            "model.pt",
            ReadMode::Local,
            "model.pt",
            &sample("model.pt"),
        );
        assert!(c.get(&id, "other.pt", ReadMode::Local, "x").is_none());
        assert!(c.get(&id, "model.pt", ReadMode::Ranged, "x").is_none());
        let other = ContentId::Sha256("cd".repeat(32));
        assert!(c.get(&other, "model.pt", ReadMode::Local, "x").is_none());
        let mut policy = Policy::new();
        policy.allow("mymodule", "MyClass").unwrap();
        let strict = VerdictCache::open(dir.path(), &policy).unwrap();
        assert!(strict.get(&id, "model.pt", ReadMode::Local, "x").is_none());
        assert!(c.get(&id, "model.pt", ReadMode::Local, "x").is_some());
    }

    #[test]
    fn incomplete_and_mismatched_files_are_not_stored() {
        let dir = tempfile::tempdir().unwrap();
        let c = cache(dir.path());
        let id = ContentId::Sha256("ab".repeat(32));
        let mut file = sample("m.pt");
        file.artifacts[1].mark_incomplete("over a limit");
        c.put(&id, "m.pt", ReadMode::Local, "m.pt", &file);
        assert!(c.get(&id, "m.pt", ReadMode::Local, "m.pt").is_none());
        let mut file = sample("m.pt");
        file.artifacts[0]
            .findings
            .push(Finding::new(&rules::REMOTE_HASH_MISMATCH, "other bytes"));
        c.put(&id, "m.pt", ReadMode::Ranged, "m.pt", &file);
        assert!(c.get(&id, "m.pt", ReadMode::Ranged, "m.pt").is_none());
        let mut onnx = sample("m.onnx");
        onnx.artifacts[0].format = Format::Onnx;
        c.put(&id, "m.onnx", ReadMode::Local, "m.onnx", &onnx);
        assert!(c.get(&id, "m.onnx", ReadMode::Local, "m.onnx").is_none());
        assert_eq!(c.counters.stored.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn an_altered_or_torn_entry_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let c = cache(dir.path());
        let id = ContentId::Sha256("ab".repeat(32));
        c.put(&id, "m.pt", ReadMode::Local, "m.pt", &sample("m.pt"));
        let entry = c.entry_path(&c.key_text(&id, "m.pt", ReadMode::Local));
        let good = std::fs::read(&entry).unwrap();
        let altered = String::from_utf8(good.clone())
            .unwrap()
            .replace("posix.system", "posix.systen");
        std::fs::write(&entry, altered).unwrap();
        assert!(c.get(&id, "m.pt", ReadMode::Local, "m.pt").is_none());
        std::fs::write(&entry, &good[..good.len() / 2]).unwrap();
        assert!(c.get(&id, "m.pt", ReadMode::Local, "m.pt").is_none());
        assert_eq!(c.counters.rejected.load(Ordering::Relaxed), 2);
        std::fs::write(&entry, &good).unwrap();
        assert!(c.get(&id, "m.pt", ReadMode::Local, "m.pt").is_some());
    }
}
