//! Pre-download vetting: a Hub repository scanned over HTTP range reads, reading only the
//! bytes the formats need (headers, zip central directories and their pickle members,
//! whole pickles and text files), then optionally downloading the files that passed into a
//! Hugging Face cache layout, each checked against the hash the Hub publishes.
//!
//! Steps: resolve the revision to a commit and list its files (sizes and hashes); prefetch
//! every file's head (and a zip's end record and central directory) with at most
//! [`MAX_CONCURRENT_REQUESTS`] requests in flight; then run the ordinary scanner over
//! [`RemoteSource`]s, which fetch what else the parsers ask for. Formats are still
//! recognised by content.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use crate::hf::cache_layout;
use crate::hub::api::{printable, RemoteFile, RemoteListing};
use crate::hub::client::{HubClient, HubError, HubErrorKind};
use crate::hub::env::HubConfig;
use crate::hub::remote_source::{HubCommitFiles, RangeFetch, RemoteSource, REMOTE_HEAD_BYTES};
use crate::hub::repo_ref::RepoRef;
use crate::provenance::digest::{HashAlgorithm, Hasher};
use crate::report::{
    Artifact, DownloadSection, DownloadedFile, Finding, RemoteFileSection, RemoteSection,
    RemoteTotals, Severity, Status, EXIT_INCOMPLETE, EXIT_USAGE,
};
use crate::rules;
use crate::scan::{self, NamedSource, ScanOptions};
use crate::source::hex;
use crate::verdict_cache::{CachedFile, ContentId, ReadMode};

/// Range requests in flight at once while prefetching (the scan itself reads one file at a
/// time).
pub const MAX_CONCURRENT_REQUESTS: usize = 4;
/// Most zip local headers of one file fetched ahead of the scan (a block each at most:
/// 16 MiB of cache); the walker fetches any others itself.
pub(crate) const MAX_PREFETCHED_LOCAL_HEADERS: usize = 4096;
/// Most files of one repository scanned; the rest are reported as not scanned.
pub const MAX_REMOTE_FILES: usize = 10_000;
/// Download buffer.
const DOWNLOAD_BUFFER: usize = 256 * 1024;

/// Whether a file's received bytes were compared with the Hub's published hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HashCheck {
    /// Read whole, and the digest equals the Hub's.
    Match,
    /// Read whole, and the digest differs (an MV503 finding).
    Mismatch,
    /// Only part of the file was read: nothing to compare (`--download` checks it).
    NotReadWhole,
    /// Not read: the verdict cache holds one for the digest the Hub publishes
    /// (`--download` checks the bytes against it).
    Cached,
}

impl HashCheck {
    pub fn as_str(self) -> &'static str {
        match self {
            HashCheck::Match => "match",
            HashCheck::Mismatch => "mismatch",
            HashCheck::NotReadWhole => "not-read-whole",
            HashCheck::Cached => "cached",
        }
    }
}

/// What was read of one remote file.
#[derive(Clone, Debug)]
pub struct RemoteFileRead {
    /// The listing path (repository-relative).
    pub path: String,
    /// Size the listing gives.
    pub size: u64,
    /// Bytes received.
    pub bytes_read: u64,
    /// Range requests made.
    pub requests: u64,
    /// SHA-256 of the content, when it was received whole.
    pub sha256: Option<String>,
    /// Git blob SHA-1 of the content, when it was received whole.
    pub git_blob_sha1: Option<String>,
    pub hash_check: HashCheck,
    /// The first read failure (the file's artifact is then incomplete or an error).
    pub error: Option<String>,
    /// False when the file was over [`MAX_REMOTE_FILES`] and not scanned.
    pub scanned: bool,
}

/// The outcome of [`scan_remote`].
#[derive(Clone, Debug)]
pub struct RemoteScan {
    /// The repository as parsed from the input (revision as asked).
    pub repo: RepoRef,
    /// The commit the revision resolved to (40 hex); everything read came from it.
    pub commit: String,
    /// Every file with size, blob id, LFS SHA-256 and the Hub's (advisory) scan status.
    pub listing: RemoteListing,
    /// Scanner output, the same shape as a local scan. A top-level artifact's `path` (and
    /// every artifact's `file`) is exactly the listing path of its file; members are
    /// `path!member` as in local scans. So `listing.files[i].path == artifact.file`.
    pub artifacts: Vec<Artifact>,
    /// One entry per listed file, in listing order.
    pub files: Vec<RemoteFileRead>,
    pub bytes_read: u64,
    pub bytes_total: u64,
    pub requests: u64,
    pub elapsed_ms: u64,
}

impl RemoteScan {
    /// Bytes read over bytes listed (0 for an empty repository).
    pub fn read_ratio(&self) -> f64 {
        if self.bytes_total == 0 {
            0.0
        } else {
            self.bytes_read as f64 / self.bytes_total as f64
        }
    }

    /// Whether the file passed: scanned completely (every artifact of it complete) and no
    /// finding at or above `fail_on`.
    pub fn passed(&self, path: &str, fail_on: Severity) -> bool {
        file_passed(&self.artifacts, path, fail_on)
    }

    /// The report section. `path_prefix` is what the caller put before artifact paths.
    pub fn section(&self, path_prefix: &str) -> RemoteSection {
        let files = self
            .listing
            .files
            .iter()
            .zip(&self.files)
            .map(|(lf, r)| RemoteFileSection {
                path: lf.path.clone(),
                size: lf.size,
                bytes_read: r.bytes_read,
                requests: r.requests,
                hub_blob_id: lf.blob_id.clone(),
                etag: None,
                hub_sha256: lf.lfs_sha256.clone(),
                sha256: r.sha256.clone(),
                hash_check: r.hash_check.as_str(),
                hub_scan_advisory: lf.security_status.as_ref().map(|s| s.summary()),
                error: r.error.clone(),
            })
            .collect();
        RemoteSection {
            source: "hub",
            repo: self.repo.display_name(),
            revision: self.repo.revision.clone(),
            commit: self.commit.clone(),
            endpoint_host: host_of(&self.listing.endpoint),
            path_prefix: path_prefix.to_string(),
            files,
            totals: RemoteTotals {
                files: self.files.len(),
                bytes_total: self.bytes_total,
                bytes_read: self.bytes_read,
                read_ratio: self.read_ratio(),
                requests: self.requests,
                elapsed_ms: self.elapsed_ms,
            },
            download: None,
        }
    }
}

fn host_of(endpoint: &str) -> String {
    let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
    printable(rest.split('/').next().unwrap_or(rest), 200)
}

/// Whether the top-level file `path` passed a scan that produced `artifacts`: it has
/// artifacts, all complete, and no finding at or above `fail_on` (what `--download` lets
/// through).
pub(crate) fn file_passed(artifacts: &[Artifact], path: &str, fail_on: Severity) -> bool {
    let mut any = false;
    for a in artifacts.iter().filter(|a| a.file == path) {
        any = true;
        if a.status != Status::Complete
            || a.findings
                .iter()
                .any(|f| f.severity >= fail_on && f.severity > Severity::Info)
        {
            return false;
        }
    }
    any
}

/// Why a remote scan could not start.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteError {
    /// `None` for an input that is not a Hub reference (a usage error).
    pub kind: Option<HubErrorKind>,
    pub message: String,
}

impl RemoteError {
    /// 3 for a malformed reference or endpoint (usage), else 2: the repository could not
    /// be checked (offline, unreachable, 401/403/404), as `verify --against` does.
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            None | Some(HubErrorKind::Invalid) => EXIT_USAGE,
            Some(_) => EXIT_INCOMPLETE,
        }
    }
}

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl From<HubError> for RemoteError {
    fn from(e: HubError) -> RemoteError {
        let message = match e.kind {
            HubErrorKind::Offline => format!(
                "{}: HF_HUB_OFFLINE is set, so the repository cannot be scanned remotely",
                e.message
            ),
            HubErrorKind::Network => format!("could not reach the Hub: {}", e.message),
            _ => e.message.clone(),
        };
        RemoteError {
            kind: Some(e.kind),
            message,
        }
    }
}

/// Scans a Hub repository (`hf://org/name[@rev]`, `hf://datasets/...`, or a
/// `https://huggingface.co/org/name[/tree/rev]` URL) without downloading it.
///
/// Artifact paths are the repository-relative listing paths (see [`RemoteScan::artifacts`]).
/// Fails only when the repository cannot be listed; a file that cannot be read becomes an
/// incomplete or error artifact (never clean), keeping whatever was found before.
pub fn scan_remote(
    input: &str,
    config: &HubConfig,
    opts: &ScanOptions,
) -> Result<RemoteScan, RemoteError> {
    let repo = RepoRef::parse(input).map_err(|e| RemoteError {
        kind: None,
        message: e.0,
    })?;
    let client = Arc::new(HubClient::new(config)?);
    let started = Instant::now();
    let listing = client.resolve_listing(&repo)?;
    let commit = listing.commit.clone();
    let commit_ref = repo.at(&commit);

    let scanned: &[RemoteFile] = &listing.files[..listing.files.len().min(MAX_REMOTE_FILES)];
    let files_at_commit: Arc<dyn RangeFetch> = Arc::new(HubCommitFiles {
        client: client.clone(),
        repo: commit_ref.clone(),
        commit: commit.clone(),
    });
    let sources: Vec<Arc<RemoteSource>> = scanned
        .iter()
        .map(|f| Arc::new(RemoteSource::new(files_at_commit.clone(), &f.path, f.size)))
        .collect();
    // The Hub's digest identifies each file; a cached verdict spares reading it at all.
    let content_ids: Vec<ContentId> = scanned
        .iter()
        .map(|f| match &f.lfs_sha256 {
            Some(sha256) => ContentId::Sha256(sha256.clone()),
            None => ContentId::GitBlobSha1(f.blob_id.clone()),
        })
        .collect();
    let named = cached_or_prefetched(&sources, content_ids.into_iter().map(Some).collect(), opts);
    let mut files: Vec<RemoteFileRead> = Vec::with_capacity(listing.files.len());
    let mut artifacts = scan::scan_sources(
        &named,
        opts,
        REMOTE_HEAD_BYTES as usize,
        |i, arts: &mut [Artifact]| {
            let src = &sources[i];
            let lf = &scanned[i];
            let digests = src.digests();
            src.release();
            let stats = src.stats();
            let from_cache = named[i].cached.is_some();
            let check = match &digests {
                None if from_cache => HashCheck::Cached,
                None => HashCheck::NotReadWhole,
                Some((sha256, git)) => {
                    let ok = match &lf.lfs_sha256 {
                        Some(expected) => expected == sha256,
                        None => &lf.blob_id == git,
                    };
                    if ok {
                        HashCheck::Match
                    } else {
                        HashCheck::Mismatch
                    }
                }
            };
            if let Some(top) = arts.iter_mut().find(|a| a.member.is_none()) {
                if let Some((sha256, git)) = &digests {
                    top.sha256 = Some(sha256.clone());
                    if check == HashCheck::Mismatch {
                        let (what, expected, got) = match &lf.lfs_sha256 {
                            Some(e) => ("LFS SHA-256", e.as_str(), sha256.as_str()),
                            None => ("Git blob SHA-1", lf.blob_id.as_str(), git.as_str()),
                        };
                        top.findings.push(
                            Finding::new(
                                &rules::REMOTE_HASH_MISMATCH,
                                format!(
                                    "the {what} of the bytes received is {got}; the Hub publishes {expected} for this file at commit {commit}"
                                ),
                            )
                            .detail(format!("{} bytes received", stats.bytes_read)),
                        );
                    }
                }
                if let Some(e) = &stats.error {
                    // A failed read after the parser finished still means bytes were not seen.
                    if top.status == Status::Complete {
                        top.mark_incomplete(e.clone());
                    }
                }
            }
            files.push(RemoteFileRead {
                path: lf.path.clone(),
                size: lf.size,
                bytes_read: stats.bytes_read,
                requests: stats.requests,
                sha256: digests.as_ref().map(|d| d.0.clone()),
                git_blob_sha1: digests.as_ref().map(|d| d.1.clone()),
                hash_check: check,
                error: stats.error.clone(),
                scanned: true,
            });
        },
    );
    for lf in &listing.files[scanned.len()..] {
        let mut a = Artifact::new(lf.path.clone(), lf.path.clone(), None);
        a.size = lf.size;
        a.expected = true;
        a.mark_incomplete(format!(
            "not scanned: limit MAX_REMOTE_FILES ({MAX_REMOTE_FILES}) files per repository reached"
        ));
        artifacts.push(a);
        files.push(RemoteFileRead {
            path: lf.path.clone(),
            size: lf.size,
            bytes_read: 0,
            requests: 0,
            sha256: None,
            git_blob_sha1: None,
            hash_check: HashCheck::NotReadWhole,
            error: None,
            scanned: false,
        });
    }
    let bytes_read = files.iter().map(|f| f.bytes_read).sum();
    let bytes_total = listing.files.iter().map(|f| f.size).sum();
    let requests = files.iter().map(|f| f.requests).sum();
    Ok(RemoteScan {
        repo,
        commit,
        listing,
        artifacts,
        files,
        bytes_read,
        bytes_total,
        requests,
        elapsed_ms: started.elapsed().as_millis() as u64,
    })
}

/// The sources of one remote target as the scanner takes them: each file's verdict looked
/// up in the cache by the identity its listing publishes (`ids`, in source order), and the
/// heads of the files without one prefetched. A cached file is never requested.
pub(crate) fn cached_or_prefetched(
    sources: &[Arc<RemoteSource>],
    ids: Vec<Option<ContentId>>,
    opts: &ScanOptions,
) -> Vec<NamedSource> {
    let cached: Vec<Option<CachedFile>> = sources
        .iter()
        .zip(&ids)
        .map(|(s, id)| {
            let (cache, id) = (opts.cache.as_ref()?, id.as_ref()?);
            cache.get(id, s.path(), ReadMode::Ranged, s.path())
        })
        .collect();
    let to_read: Vec<Arc<RemoteSource>> = sources
        .iter()
        .zip(&cached)
        .filter(|(_, hit)| hit.is_none())
        .map(|(s, _)| s.clone())
        .collect();
    prefetch_all(&to_read);
    sources
        .iter()
        .zip(ids)
        .zip(cached)
        .map(|((s, id), hit)| NamedSource {
            path: s.path().to_string(),
            source: s.clone(),
            content_id: id,
            cached: hit,
        })
        .collect()
}

/// Every file's head (and zip tail and central directory), then every zip member's local
/// header, fetched by a bounded pool of workers.
fn prefetch_all(sources: &[Arc<RemoteSource>]) {
    run_pool(sources.len(), |i| sources[i].prefetch());
    let jobs: Vec<(usize, u64, u64)> = sources
        .iter()
        .enumerate()
        .flat_map(|(i, s)| {
            s.local_header_ranges(MAX_PREFETCHED_LOCAL_HEADERS)
                .into_iter()
                .map(move |(a, b)| (i, a, b))
        })
        .collect();
    run_pool(jobs.len(), |j| {
        let (i, start, end) = jobs[j];
        sources[i].fetch(start, end);
    });
}

/// Runs `job(0..n)` on at most [`MAX_CONCURRENT_REQUESTS`] threads.
fn run_pool(n: usize, job: impl Fn(usize) + Sync) {
    let next = AtomicUsize::new(0);
    let workers = MAX_CONCURRENT_REQUESTS.min(n);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= n {
                    break;
                }
                job(i);
            });
        }
    });
}

/// Downloads the repository scanned in `scan` into the Hugging Face cache layout under
/// `dir` (`<folder>/blobs/<hash>`, `<folder>/snapshots/<commit>/<path>` as relative links,
/// `<folder>/refs/<revision>`), all or nothing:
/// - if any file did not pass (see [`RemoteScan::passed`]), nothing is written: a loader
///   pointed at a half-vetted snapshot, or at a ref whose missing files it would fetch
///   unvetted, must not find one;
/// - every file is hashed while it streams (SHA-256 for LFS files, Git blob SHA-1
///   otherwise) into a temporary file kept only if the digest is the Hub's; a mismatch
///   adds an MV503 finding to the file's artifact in `artifacts` (whose paths carry
///   `path_prefix`), a failure marks it incomplete;
/// - snapshot links and the ref are written only once every blob is verified; on any
///   failure the blobs this run added are removed again.
pub fn download_passed(
    scan: &RemoteScan,
    config: &HubConfig,
    fail_on: Severity,
    dir: &Path,
    artifacts: &mut [Artifact],
    path_prefix: &str,
) -> DownloadSection {
    let mut section = DownloadSection {
        dir: dir.display().to_string(),
        files: Vec::new(),
    };
    let failing: Vec<&str> = scan
        .listing
        .files
        .iter()
        .filter(|lf| !scan.passed(&lf.path, fail_on))
        .map(|lf| lf.path.as_str())
        .collect();
    if !failing.is_empty() {
        let named: Vec<String> = failing.iter().take(3).map(|p| printable(p, 200)).collect();
        let more = failing.len().saturating_sub(named.len());
        let why =
            format!(
            "not downloaded: the scan did not pass {}{}, so nothing of the repository is written",
            named.join(", "),
            if more > 0 { format!(" and {more} more") } else { String::new() }
        );
        for lf in &scan.listing.files {
            section.files.push(skipped(&lf.path, why.clone()));
        }
        return section;
    }
    let folder = dir.join(scan.repo.cache_folder());
    let client = match HubClient::new(config) {
        Ok(c) => c,
        Err(e) => {
            for lf in &scan.listing.files {
                section.files.push(failed(&lf.path, e.to_string()));
            }
            return section;
        }
    };
    let commit_ref = scan.repo.at(&scan.commit);
    // Every blob first, verified; nothing points at them yet.
    let mut fetched: Vec<(&RemoteFile, FetchedBlob)> = Vec::new();
    let mut broken = false;
    for lf in &scan.listing.files {
        let shown = format!("{path_prefix}{}", lf.path);
        let top = artifacts
            .iter_mut()
            .find(|a| a.path == shown && a.member.is_none());
        match fetch_blob(&client, &commit_ref, &scan.commit, lf, &folder) {
            Ok(blob) => fetched.push((lf, blob)),
            Err(DownloadError::Mismatch(msg)) => {
                broken = true;
                if let Some(a) = top {
                    a.findings.push(Finding::new(
                        &rules::REMOTE_HASH_MISMATCH,
                        format!("download refused: {msg}"),
                    ));
                }
                section.files.push(DownloadedFile {
                    path: lf.path.clone(),
                    status: "hash-mismatch",
                    blob: None,
                    reason: Some(msg),
                });
            }
            Err(DownloadError::Failed(msg)) => {
                broken = true;
                if let Some(a) = top {
                    a.mark_incomplete(format!("download failed: {msg}"));
                }
                section.files.push(failed(&lf.path, msg));
            }
        }
    }
    // Then the snapshot links, only over a complete set of verified blobs.
    let mut links: Vec<PathBuf> = Vec::new();
    if !broken {
        for (lf, blob) in &fetched {
            match link_snapshot(&folder, &scan.commit, lf, &blob.name) {
                Ok(created) => links.extend(created),
                Err(DownloadError::Failed(msg) | DownloadError::Mismatch(msg)) => {
                    broken = true;
                    section.files.push(failed(&lf.path, msg));
                    break;
                }
            }
        }
    }
    if !broken && scan.repo.revision != scan.commit {
        let r = folder.join(cache_layout::REFS).join(&scan.repo.revision);
        let written = r
            .parent()
            .map_or(Ok(()), fs::create_dir_all)
            .and_then(|_| fs::write(&r, &scan.commit));
        if let Err(e) = written {
            broken = true;
            section.files.push(failed(
                &format!("refs/{}", scan.repo.revision),
                e.to_string(),
            ));
        }
    }
    if broken {
        for link in &links {
            let _ = fs::remove_file(link);
        }
        let _ = remove_empty_dirs(&cache_layout::snapshot_path(&folder, &scan.commit, ""));
        let why = "removed again: another file of the repository could not be downloaded \
                   intact, so nothing of it is kept";
        for (lf, blob) in &fetched {
            if blob.created {
                let _ = fs::remove_file(folder.join(cache_layout::BLOBS).join(&blob.name));
            }
            section.files.push(skipped(&lf.path, why.to_string()));
        }
        return section;
    }
    for (lf, blob) in fetched {
        section.files.push(DownloadedFile {
            path: lf.path.clone(),
            status: "downloaded",
            blob: Some(format!("blobs/{}", blob.name)),
            reason: None,
        });
    }
    section
}

fn skipped(path: &str, reason: String) -> DownloadedFile {
    DownloadedFile {
        path: path.to_string(),
        status: "skipped",
        blob: None,
        reason: Some(reason),
    }
}

/// Removes `dir` and the folders under it that hold nothing (a rolled-back snapshot).
fn remove_empty_dirs(dir: &Path) -> std::io::Result<()> {
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if fs::symlink_metadata(&path)?.is_dir() {
            let _ = remove_empty_dirs(&path);
        }
    }
    fs::remove_dir(dir)
}

fn failed(path: &str, reason: String) -> DownloadedFile {
    DownloadedFile {
        path: path.to_string(),
        status: "failed",
        blob: None,
        reason: Some(reason),
    }
}

enum DownloadError {
    Mismatch(String),
    Failed(String),
}

static TEMP_COUNTER: AtomicUsize = AtomicUsize::new(0);

/// A verified blob in the cache: its name, and whether this run added it (so a rollback
/// removes only what it wrote).
struct FetchedBlob {
    name: String,
    created: bool,
}

fn fetch_blob(
    client: &HubClient,
    repo: &RepoRef,
    commit: &str,
    lf: &RemoteFile,
    folder: &Path,
) -> Result<FetchedBlob, DownloadError> {
    let fail = |e: String| DownloadError::Failed(format!("{}: {e}", printable(&lf.path, 200)));
    let (algorithm, expected) = match &lf.lfs_sha256 {
        Some(s) => (HashAlgorithm::Sha256, s.clone()),
        None => (HashAlgorithm::GitBlobSha1, lf.blob_id.clone()),
    };
    let blobs = folder.join(cache_layout::BLOBS);
    fs::create_dir_all(&blobs).map_err(|e| fail(e.to_string()))?;
    let tmp = blobs.join(format!(
        ".modelvet-{}-{}.incomplete",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| -> Result<(), DownloadError> {
        let mut reader = client
            .get_file(repo, commit, &lf.path)
            .map_err(|e| fail(e.to_string()))?;
        let mut out = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&tmp)
            .map_err(|e| fail(e.to_string()))?;
        let mut hasher = Hasher::new(algorithm, lf.size);
        let mut buf = vec![0u8; DOWNLOAD_BUFFER];
        let mut total: u64 = 0;
        // One byte past the listed size is enough to know the content is longer.
        let mut limited = (&mut reader).take(lf.size.saturating_add(1));
        loop {
            let n = limited.read(&mut buf).map_err(|e| fail(e.to_string()))?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            out.write_all(&buf[..n]).map_err(|e| fail(e.to_string()))?;
            total += n as u64;
        }
        out.sync_all().map_err(|e| fail(e.to_string()))?;
        let got = hex(&hasher.finish());
        if total != lf.size {
            return Err(DownloadError::Mismatch(format!(
                "received {}{total} bytes, the Hub lists {} for this file",
                if total > lf.size { "more than " } else { "" },
                lf.size
            )));
        }
        if got != expected {
            return Err(DownloadError::Mismatch(format!(
                "the {} of the download is {got}, the Hub publishes {expected}",
                if algorithm == HashAlgorithm::Sha256 {
                    "SHA-256"
                } else {
                    "Git blob SHA-1"
                }
            )));
        }
        Ok(())
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(e);
    }
    let blob = blobs.join(&expected);
    let created = !blob.exists();
    fs::rename(&tmp, &blob).map_err(|e| {
        let _ = fs::remove_file(&tmp);
        fail(e.to_string())
    })?;
    Ok(FetchedBlob {
        name: expected,
        created,
    })
}

/// The snapshot's relative link from `lf`'s path to its blob. Returns the link when this
/// run created it (a link an earlier download made to the same blob is left as it is).
fn link_snapshot(
    folder: &Path,
    commit: &str,
    lf: &RemoteFile,
    blob: &str,
) -> Result<Option<PathBuf>, DownloadError> {
    let fail =
        |e: std::io::Error| DownloadError::Failed(format!("{}: {e}", printable(&lf.path, 200)));
    let link = snapshot_link(folder, commit, &lf.path);
    let target = cache_layout::blob_link_target(&lf.path, blob);
    if fs::read_link(&link).is_ok_and(|t| t == target) {
        return Ok(None);
    }
    if let Some(parent) = link.parent() {
        fs::create_dir_all(parent).map_err(fail)?;
    }
    let _ = fs::remove_file(&link);
    std::os::unix::fs::symlink(&target, &link).map_err(fail)?;
    Ok(Some(link))
}

fn snapshot_link(folder: &Path, commit: &str, path: &str) -> PathBuf {
    cache_layout::snapshot_path(folder, commit, path)
}
