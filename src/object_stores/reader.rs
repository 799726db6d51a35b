//! Listing and ranged reads of store objects through `object_store` (see the module above).

use std::io::Write;
use std::path::{Path as FsPath, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use object_store::path::Path as ObjectPath;
use object_store::{GetOptions, ObjectMeta, ObjectStore, ObjectStoreExt, RetryConfig};
use sha2::{Digest, Sha256};

use super::{Scheme, StoreError, StoreUrl, MAX_STORE_OBJECTS};
use crate::hub::api::printable;
use crate::hub::remote_source::{RangeFetch, RemoteSource, REMOTE_HEAD_BYTES};
use crate::hub::vet::{cached_or_prefetched, file_passed};
use crate::report::{
    Artifact, DownloadSection, DownloadedFile, RemoteFileSection, RemoteSection, RemoteTotals,
    Severity, Status,
};
use crate::scan::{self, ScanOptions};
use crate::verdict_cache::ContentId;

/// Largest credentials or config file read for an AWS profile.
const MAX_PROFILE_FILE_BYTES: u64 = 1024 * 1024;

/// One runtime for every store request of the process (object_store is async).
fn runtime() -> &'static tokio::runtime::Runtime {
    static RT: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RT.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("modelvet-store")
            .enable_all()
            .build()
            .expect("a tokio runtime starts")
    })
}

fn retry() -> RetryConfig {
    RetryConfig {
        max_retries: 3,
        retry_timeout: Duration::from_secs(60),
        ..RetryConfig::default()
    }
}

/// The store of a target, configured from the environment.
fn open_store(url: &StoreUrl) -> Result<Arc<dyn ObjectStore>, String> {
    let built: Result<Arc<dyn ObjectStore>, object_store::Error> = match url.scheme {
        Scheme::S3 => {
            let mut b = object_store::aws::AmazonS3Builder::from_env()
                .with_bucket_name(&url.bucket)
                .with_retry(retry());
            if let Some(profile) = aws_profile_credentials() {
                b = b
                    .with_access_key_id(profile.access_key_id)
                    .with_secret_access_key(profile.secret_access_key);
                if let Some(t) = profile.session_token {
                    b = b.with_token(t);
                }
            }
            if std::env::var("AWS_REGION").is_err() && std::env::var("AWS_DEFAULT_REGION").is_err()
            {
                if let Some(region) = aws_profile_region() {
                    b = b.with_region(region);
                }
            }
            // An endpoint the user named over plain HTTP (a MinIO or moto on the machine)
            // is what they asked for.
            let endpoint = std::env::var("AWS_ENDPOINT_URL")
                .or_else(|_| std::env::var("AWS_ENDPOINT"))
                .unwrap_or_default();
            if endpoint.starts_with("http://") {
                b = b.with_allow_http(true);
            }
            b.build().map(|s| Arc::new(s) as Arc<dyn ObjectStore>)
        }
        Scheme::Gcs => object_store::gcp::GoogleCloudStorageBuilder::from_env()
            .with_bucket_name(&url.bucket)
            .with_retry(retry())
            .build()
            .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
        Scheme::Azure => object_store::azure::MicrosoftAzureBuilder::from_env()
            .with_container_name(&url.bucket)
            .with_retry(retry())
            .build()
            .map(|s| Arc::new(s) as Arc<dyn ObjectStore>),
    };
    built.map_err(|e| {
        format!(
            "{}: cannot configure the store: {}",
            url.shown(),
            describe(&e)
        )
    })
}

/// An object_store error in one line, without anything the environment holds.
fn describe(e: &object_store::Error) -> String {
    printable(&e.to_string(), 400)
}

struct ProfileCredentials {
    access_key_id: String,
    secret_access_key: String,
    session_token: Option<String>,
}

fn home_file(env: &str, default: &str) -> Option<PathBuf> {
    std::env::var_os(env)
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(default)))
}

/// `key = value` pairs of one `[section]` of an INI file.
fn ini_section(path: &FsPath, section: &str) -> Option<Vec<(String, String)>> {
    use std::io::Read;
    let mut text = String::new();
    std::fs::File::open(path)
        .ok()?
        .take(MAX_PROFILE_FILE_BYTES)
        .read_to_string(&mut text)
        .ok()?;
    let mut inside = false;
    let mut pairs = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            inside = name.trim() == section;
            continue;
        }
        if inside {
            if let Some((k, v)) = line.split_once('=') {
                pairs.push((k.trim().to_string(), v.trim().to_string()));
            }
        }
    }
    Some(pairs)
}

fn profile_name() -> String {
    std::env::var("AWS_PROFILE").unwrap_or_else(|_| "default".into())
}

/// Keys of the shared credentials file, when the environment names none.
fn aws_profile_credentials() -> Option<ProfileCredentials> {
    if std::env::var_os("AWS_ACCESS_KEY_ID").is_some() {
        return None;
    }
    let path = home_file("AWS_SHARED_CREDENTIALS_FILE", ".aws/credentials")?;
    let pairs = ini_section(&path, &profile_name())?;
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.clone())
    };
    Some(ProfileCredentials {
        access_key_id: get("aws_access_key_id")?,
        secret_access_key: get("aws_secret_access_key")?,
        session_token: get("aws_session_token"),
    })
}

fn aws_profile_region() -> Option<String> {
    let path = home_file("AWS_CONFIG_FILE", ".aws/config")?;
    let name = profile_name();
    let section = if name == "default" {
        name
    } else {
        format!("profile {name}")
    };
    let pairs = ini_section(&path, &section)?;
    pairs
        .into_iter()
        .find(|(k, _)| k == "region")
        .map(|(_, v)| v)
}

/// Ranges of the objects of one store, by key relative to the target.
struct StoreFiles {
    store: Arc<dyn ObjectStore>,
    /// Full object key of each relative path.
    keys: std::collections::HashMap<String, ObjectPath>,
}

impl RangeFetch for StoreFiles {
    fn get_range(&self, path: &str, start: u64, end_inclusive: u64) -> Result<Vec<u8>, String> {
        let key = self
            .keys
            .get(path)
            .ok_or_else(|| format!("{path}: not in the listing"))?;
        runtime()
            .block_on(self.store.get_range(key, start..end_inclusive + 1))
            .map(|b| b.to_vec())
            .map_err(|e| describe(&e))
    }
}

/// What a store scan found and read.
pub struct StoreScan {
    pub url: StoreUrl,
    /// The objects scanned, in key order, with their path relative to the target.
    pub objects: Vec<(String, ObjectMeta)>,
    pub artifacts: Vec<Artifact>,
    pub section: RemoteSection,
    store: Arc<dyn ObjectStore>,
}

/// Lists and scans one object-store target.
pub fn scan_store(input: &str, opts: &ScanOptions) -> Result<StoreScan, StoreError> {
    let url = StoreUrl::parse(input).map_err(|message| StoreError {
        usage: true,
        message,
    })?;
    let store = open_store(&url).map_err(|message| StoreError {
        usage: false,
        message,
    })?;
    let started = Instant::now();
    let (objects, over) = list(&store, &url).map_err(|message| StoreError {
        usage: false,
        message,
    })?;
    let scanned = &objects[..objects.len().min(MAX_STORE_OBJECTS)];
    let fetch = Arc::new(StoreFiles {
        store: store.clone(),
        keys: scanned
            .iter()
            .map(|(rel, m)| (rel.clone(), m.location.clone()))
            .collect(),
    });
    let sources: Vec<Arc<RemoteSource>> = scanned
        .iter()
        .map(|(rel, m)| Arc::new(RemoteSource::new(fetch.clone(), rel, m.size)))
        .collect();
    let ids: Vec<Option<ContentId>> = scanned
        .iter()
        .map(|(_, m)| {
            m.e_tag.as_ref().map(|etag| {
                ContentId::ObjectVersion(format!(
                    "{}://{}/{}#etag={etag}#size={}",
                    url.scheme.as_str(),
                    url.bucket,
                    m.location,
                    m.size
                ))
            })
        })
        .collect();
    let named = cached_or_prefetched(&sources, ids, opts);
    let mut files = Vec::with_capacity(objects.len());
    let mut artifacts = scan::scan_sources(&named, opts, REMOTE_HEAD_BYTES as usize, |i, arts| {
        let src = &sources[i];
        let digests = src.digests();
        src.release();
        let stats = src.stats();
        let (rel, meta) = &scanned[i];
        if let Some(top) = arts.iter_mut().find(|a| a.member.is_none()) {
            if let Some((sha256, _)) = &digests {
                top.sha256 = Some(sha256.clone());
            }
            if let Some(e) = &stats.error {
                if top.status == Status::Complete {
                    top.mark_incomplete(e.clone());
                }
            }
        }
        let check = if named[i].cached.is_some() {
            "cached"
        } else if digests.is_some() {
            "not-published"
        } else {
            "not-read-whole"
        };
        files.push(RemoteFileSection {
            path: rel.clone(),
            size: meta.size,
            bytes_read: stats.bytes_read,
            requests: stats.requests,
            hub_blob_id: String::new(),
            etag: meta.e_tag.clone(),
            hub_sha256: None,
            sha256: digests.map(|d| d.0),
            hash_check: check,
            hub_scan_advisory: None,
            error: stats.error.clone(),
        });
    });
    for (rel, meta) in &objects[scanned.len()..] {
        let mut a = Artifact::new(rel.clone(), rel.clone(), None);
        a.size = meta.size;
        a.mark_incomplete(format!(
            "not scanned: limit MAX_STORE_OBJECTS ({MAX_STORE_OBJECTS}) objects per target reached"
        ));
        artifacts.push(a);
    }
    if over {
        let mut a = Artifact::new("(more objects)".into(), "(more objects)".into(), None);
        a.mark_incomplete(format!(
            "the listing has more than {} objects; the rest were not listed",
            MAX_STORE_OBJECTS + 1
        ));
        artifacts.push(a);
    }
    let listing_digest = {
        let mut h = Sha256::new();
        for (_, m) in &objects {
            h.update(
                format!(
                    "{}\t{}\t{}\n",
                    m.location,
                    m.size,
                    m.e_tag.as_deref().unwrap_or("")
                )
                .as_bytes(),
            );
        }
        hex::encode(h.finalize())
    };
    let totals = RemoteTotals {
        files: objects.len(),
        bytes_total: objects.iter().map(|(_, m)| m.size).sum(),
        bytes_read: files.iter().map(|f| f.bytes_read).sum(),
        read_ratio: 0.0,
        requests: files.iter().map(|f| f.requests).sum(),
        elapsed_ms: started.elapsed().as_millis() as u64,
    };
    let totals = RemoteTotals {
        read_ratio: if totals.bytes_total == 0 {
            0.0
        } else {
            totals.bytes_read as f64 / totals.bytes_total as f64
        },
        ..totals
    };
    let section = RemoteSection {
        source: url.scheme.as_str(),
        repo: url.shown(),
        revision: String::new(),
        commit: listing_digest,
        endpoint_host: endpoint_host(&url),
        path_prefix: String::new(),
        files,
        totals,
        download: None,
    };
    Ok(StoreScan {
        url,
        objects,
        artifacts,
        section,
        store,
    })
}

fn endpoint_host(url: &StoreUrl) -> String {
    let named = match url.scheme {
        Scheme::S3 => std::env::var("AWS_ENDPOINT_URL")
            .or_else(|_| std::env::var("AWS_ENDPOINT"))
            .ok(),
        _ => None,
    };
    match named {
        Some(e) => {
            let rest = e.split_once("://").map_or(e.as_str(), |(_, r)| r);
            printable(rest.split('/').next().unwrap_or(rest), 200)
        }
        None => match url.scheme {
            Scheme::S3 => "s3.amazonaws.com".into(),
            Scheme::Gcs => "storage.googleapis.com".into(),
            Scheme::Azure => "blob.core.windows.net".into(),
        },
    }
}

/// The objects of a target, sorted by key, with paths relative to it: the object itself
/// when the key names one, else everything under `key/`. At most one more than
/// [`MAX_STORE_OBJECTS`] are kept; the flag says whether more were left unlisted.
fn list(
    store: &Arc<dyn ObjectStore>,
    url: &StoreUrl,
) -> Result<(Vec<(String, ObjectMeta)>, bool), String> {
    let shown = url.shown();
    runtime().block_on(async {
        if !url.key.is_empty() {
            let key = ObjectPath::parse(&url.key).map_err(|e| format!("{shown}: {e}"))?;
            match store.head(&key).await {
                Ok(meta) => {
                    let name = url.key.rsplit('/').next().unwrap_or(&url.key).to_string();
                    return Ok((vec![(name, meta)], false));
                }
                Err(object_store::Error::NotFound { .. }) => {}
                Err(e) => return Err(format!("{shown}: {}", describe(&e))),
            }
        }
        let prefix = if url.key.is_empty() {
            None
        } else {
            Some(ObjectPath::parse(&url.key).map_err(|e| format!("{shown}: {e}"))?)
        };
        let mut stream = store.list(prefix.as_ref());
        let mut objects = Vec::new();
        let mut over = false;
        while let Some(item) = stream.next().await {
            let meta = item.map_err(|e| format!("{shown}: listing failed: {}", describe(&e)))?;
            let full = meta.location.as_ref();
            let rel = if url.key.is_empty() {
                full.to_string()
            } else {
                match full.strip_prefix(&format!("{}/", url.key)) {
                    Some(r) => r.to_string(),
                    None => continue,
                }
            };
            if objects.len() > MAX_STORE_OBJECTS {
                over = true;
                break;
            }
            objects.push((rel, meta));
        }
        if objects.is_empty() {
            return Err(format!("{shown}: no object has this key or prefix"));
        }
        objects.sort_by(|a, b| a.0.cmp(&b.0));
        Ok((objects, over))
    })
}

/// Downloads the objects of a scan into `DIR/<bucket>/<key>`, all or nothing, when every
/// one passed (scanned completely, nothing at or above `fail_on`). Each GET asks for the
/// ETag that was scanned (`If-Match`), so an object replaced since is refused; files are
/// written beside their place and renamed in only when all arrived.
pub fn download_passed(scan: &StoreScan, fail_on: Severity, dir: &FsPath) -> DownloadSection {
    let mut section = DownloadSection {
        dir: dir.display().to_string(),
        files: Vec::new(),
    };
    let passed = |rel: &str| file_passed(&scan.artifacts, rel, fail_on);
    let all_passed =
        scan.objects.len() <= MAX_STORE_OBJECTS && scan.objects.iter().all(|(rel, _)| passed(rel));
    if !all_passed {
        for (rel, _) in &scan.objects {
            section.files.push(DownloadedFile {
                path: rel.clone(),
                status: "skipped",
                blob: None,
                reason: Some(if passed(rel) {
                    "another object of this target did not pass; nothing was written".into()
                } else {
                    "did not pass the scan".into()
                }),
            });
        }
        return section;
    }
    let mut written: Vec<(PathBuf, PathBuf)> = Vec::new();
    let mut failed = false;
    for (_, meta) in &scan.objects {
        let key = meta.location.as_ref();
        let dest = match safe_destination(dir, &scan.url.bucket, key) {
            Some(d) => d,
            None => {
                failed = true;
                section.files.push(DownloadedFile {
                    path: key.to_string(),
                    status: "failed",
                    blob: None,
                    reason: Some("the key is not a safe relative path".into()),
                });
                continue;
            }
        };
        let tmp = dest.with_file_name(format!(
            ".{}.modelvet-partial",
            dest.file_name()
                .map(|n| n.to_string_lossy().to_string())
                .unwrap_or_default()
        ));
        match fetch_to(&scan.store, meta, &tmp) {
            Ok(()) => {
                written.push((tmp, dest));
                section.files.push(DownloadedFile {
                    path: key.to_string(),
                    status: "downloaded",
                    blob: meta.e_tag.clone(),
                    reason: None,
                });
            }
            Err(e) => {
                failed = true;
                let _ = std::fs::remove_file(&tmp);
                section.files.push(DownloadedFile {
                    path: key.to_string(),
                    status: "failed",
                    blob: None,
                    reason: Some(e),
                });
            }
        }
    }
    if failed {
        for (tmp, _) in &written {
            let _ = std::fs::remove_file(tmp);
        }
        for f in &mut section.files {
            if f.status == "downloaded" {
                f.status = "skipped";
                f.reason = Some("another object failed to download; nothing was kept".into());
            }
        }
        return section;
    }
    for (tmp, dest) in written {
        if let Err(e) = std::fs::rename(&tmp, &dest) {
            let _ = std::fs::remove_file(&tmp);
            if let Some(f) = section.files.iter_mut().find(|f| dest.ends_with(&f.path)) {
                f.status = "failed";
                f.reason = Some(format!("cannot move into place: {e}"));
            }
        }
    }
    section
}

/// `dir/bucket/key` when every segment of the key is an ordinary name.
fn safe_destination(dir: &FsPath, bucket: &str, key: &str) -> Option<PathBuf> {
    let mut dest = dir.join(bucket);
    for segment in key.split('/') {
        if segment.is_empty()
            || segment == "."
            || segment == ".."
            || segment.contains('\\')
            || segment.contains('\0')
        {
            return None;
        }
        dest.push(segment);
    }
    Some(dest)
}

fn fetch_to(store: &Arc<dyn ObjectStore>, meta: &ObjectMeta, tmp: &FsPath) -> Result<(), String> {
    if let Some(parent) = tmp.parent() {
        std::fs::create_dir_all(parent).map_err(|e| format!("{}: {e}", parent.display()))?;
    }
    let options = GetOptions {
        if_match: meta.e_tag.clone(),
        ..GetOptions::default()
    };
    runtime().block_on(async {
        let got = store
            .get_opts(&meta.location, options)
            .await
            .map_err(|e| match e {
                object_store::Error::Precondition { .. } => {
                    "the object changed since it was scanned (its ETag differs)".to_string()
                }
                other => describe(&other),
            })?;
        let mut file = std::fs::File::create(tmp).map_err(|e| format!("{}: {e}", tmp.display()))?;
        let mut stream = got.into_stream();
        let mut received = 0u64;
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| describe(&e))?;
            received += chunk.len() as u64;
            if received > meta.size {
                return Err("the object is longer than its listing says".into());
            }
            file.write_all(&chunk)
                .map_err(|e| format!("{}: {e}", tmp.display()))?;
        }
        if received != meta.size {
            return Err(format!(
                "received {received} bytes, the listing says {}",
                meta.size
            ));
        }
        file.sync_all()
            .map_err(|e| format!("{}: {e}", tmp.display()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn downloads_stay_inside_the_folder() {
        let d = FsPath::new("/tmp/out");
        assert_eq!(
            safe_destination(d, "b", "org/m.bin"),
            Some(PathBuf::from("/tmp/out/b/org/m.bin"))
        );
        assert_eq!(safe_destination(d, "b", "../x"), None);
        assert_eq!(safe_destination(d, "b", "a//x"), None);
        assert_eq!(safe_destination(d, "b", "a\\..\\x"), None);
    }

    #[test]
    fn profile_sections_are_read_by_name() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("credentials");
        std::fs::write(
            &p,
            "[default]\naws_access_key_id = A\n[work]\naws_access_key_id=B\naws_secret_access_key = S\n",
        )
        .unwrap();
        let work = ini_section(&p, "work").unwrap();
        assert_eq!(work[0], ("aws_access_key_id".to_string(), "B".to_string()));
        assert_eq!(ini_section(&p, "default").unwrap().len(), 1);
        assert!(ini_section(&p, "none").unwrap().is_empty());
    }
}
