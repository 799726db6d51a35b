//! One Hub file as a [`ReadAt`] over HTTP range requests.
//!
//! Reads go through a cache of aligned blocks ([`REMOTE_BLOCK`] bytes): a read asks only
//! for the blocks it lacks, and adjacent missing blocks go out as one request, so a header,
//! a zip tail or a pickle streamed in growing reads costs few requests. The cache holds at
//! most [`MAX_REMOTE_CACHE_BYTES`] per file (oldest blocks dropped first). Every byte
//! received is counted, and fed in file order to a SHA-256 and a Git blob SHA-1, so a file
//! that happens to be read whole ends with both digests and nothing is read twice.
//!
//! A failed request (after the client's retries) becomes an `io::Error`, which the scanner
//! turns into an incomplete or error artifact, never a clean one; the error is sticky so a
//! dead file does not cost one retry cycle per read.

use std::collections::{BTreeMap, VecDeque};
use std::io;
use std::sync::{Arc, Mutex};

use crate::containers::zip;
use crate::formats::registry::{self, Format};
use crate::hub::client::HubClient;
use crate::hub::repo_ref::RepoRef;
use crate::policy::Policy;
use crate::provenance::digest::{HashAlgorithm, Hasher};
use crate::source::{hex, ReadAt};

/// Cache granularity: small, because isolated reads (zip local headers) cost a block each.
pub(crate) const REMOTE_BLOCK: u64 = 4 * 1024;
/// Most cached bytes per remote file; older blocks are dropped past it.
pub(crate) const MAX_REMOTE_CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest single range request (well under the client's `MAX_RANGE_BYTES`).
pub(crate) const MAX_REMOTE_REQUEST: u64 = 16 * 1024 * 1024;
/// First bytes of every file fetched before scanning (the sniff window and most headers).
pub(crate) const REMOTE_HEAD_BYTES: u64 = 64 * 1024;

/// Counters of one remote file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ReadStats {
    /// Bytes received in range responses.
    pub bytes_read: u64,
    /// Range requests made (each may follow redirects and be retried inside the client).
    pub requests: u64,
    /// Requests that failed after the client's retries.
    pub failed_requests: u64,
    /// The first failure, if any.
    pub error: Option<String>,
}

struct State {
    blocks: BTreeMap<u64, Arc<[u8]>>,
    /// Insertion order, for eviction.
    order: VecDeque<u64>,
    cached: u64,
    stats: ReadStats,
    /// Hashers fed in file order; `hashed` is how far they got.
    sha256: Option<Hasher>,
    git_sha1: Option<Hasher>,
    hashed: u64,
    digests: Option<(String, String)>,
    /// A zip's central directory (offset, size), once the prefetch found it.
    /// A zip's central directory (offset, size) and the bytes prepended to the archive.
    central_directory: Option<(u64, u64, u64)>,
}

/// Where a remote file's byte ranges come from: a Hub commit, an object store.
pub trait RangeFetch: Send + Sync {
    /// Bytes `start..=end_inclusive` of the file at `path`, or why not (after retries).
    fn get_range(&self, path: &str, start: u64, end_inclusive: u64) -> Result<Vec<u8>, String>;
}

/// The files of one Hub commit.
pub(crate) struct HubCommitFiles {
    pub client: Arc<HubClient>,
    pub repo: RepoRef,
    pub commit: String,
}

impl RangeFetch for HubCommitFiles {
    fn get_range(&self, path: &str, start: u64, end_inclusive: u64) -> Result<Vec<u8>, String> {
        self.client
            .get_range(&self.repo, &self.commit, path, start, end_inclusive)
            .map_err(|e| e.to_string())
    }
}

pub struct RemoteSource {
    fetch: Arc<dyn RangeFetch>,
    path: String,
    len: u64,
    state: Mutex<State>,
}

impl RemoteSource {
    /// `len` is the size the listing gives; a server that sends a different length makes
    /// reads fail (short) rather than silently shifting content.
    pub fn new(fetch: Arc<dyn RangeFetch>, path: &str, len: u64) -> RemoteSource {
        RemoteSource {
            fetch,
            path: path.to_string(),
            len,
            state: Mutex::new(State {
                blocks: BTreeMap::new(),
                order: VecDeque::new(),
                cached: 0,
                stats: ReadStats::default(),
                sha256: Some(Hasher::new(HashAlgorithm::Sha256, len)),
                git_sha1: Some(Hasher::new(HashAlgorithm::GitBlobSha1, len)),
                hashed: 0,
                digests: None,
                central_directory: None,
            }),
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    pub(crate) fn stats(&self) -> ReadStats {
        self.lock().stats.clone()
    }

    /// (SHA-256, Git blob SHA-1) of the content, when every byte was received in order.
    pub fn digests(&self) -> Option<(String, String)> {
        let mut st = self.lock();
        finish_hash(&mut st, self.len);
        st.digests.clone()
    }

    /// Drops the cache (the counters and digests stay).
    pub fn release(&self) {
        let mut st = self.lock();
        finish_hash(&mut st, self.len);
        st.blocks.clear();
        st.order.clear();
        st.cached = 0;
    }

    /// Fetches the head, and for a zip its tail (end record plus, when it lies before the
    /// tail, the central directory in one more request). Errors are left for the scan to
    /// meet again (they are sticky).
    pub fn prefetch(&self) {
        if self.len == 0 {
            return;
        }
        if self.ensure(0, REMOTE_HEAD_BYTES.min(self.len)).is_err() {
            return;
        }
        // The registry's own probes decide, as they will in the scan.
        let is_zip = {
            let st = self.lock();
            st.blocks.get(&0).is_some_and(|b| {
                registry::sniff(b, None, &Policy::new())
                    .candidates
                    .contains(&Format::Zip)
            })
        };
        if !is_zip {
            return;
        }
        // The zip reader's own end-record walk, through this source: the tail (and a zip64
        // record behind it) costs one request, the directory one more.
        if let Ok(dir) = zip::locate_directory(self) {
            let end = dir.offset.saturating_add(dir.size).min(self.len);
            let bound =
                end.saturating_sub(dir.offset) <= crate::limits::MAX_CENTRAL_DIRECTORY_BYTES;
            if dir.offset < end && bound && self.ensure(dir.offset, end).is_ok() {
                self.lock().central_directory = Some((dir.offset, end - dir.offset, dir.prepended));
            }
        }
    }

    /// For a zip whose central directory was prefetched: the byte ranges of the members'
    /// local headers that are not cached yet, one per block, at most `max`. The zip walker
    /// reads every local header to cross-check it; fetched here, concurrently, they cost
    /// no sequential round trips during the scan. Best effort: the walker re-reads and
    /// re-checks everything.
    pub(crate) fn local_header_ranges(&self, max: usize) -> Vec<(u64, u64)> {
        let Some((offset, size, prepended)) = self.lock().central_directory else {
            return Vec::new();
        };
        let Ok(size) = usize::try_from(size) else {
            return Vec::new();
        };
        let mut cd = vec![0u8; size];
        if self.read_cached(offset, &mut cd).is_err() {
            return Vec::new();
        }
        let mut blocks = std::collections::BTreeSet::new();
        let mut ranges = Vec::new();
        let st = self.lock();
        let mut pos = 0;
        while let Ok(record) = zip::central_record(&cd, pos) {
            pos = record.next;
            let lho = record.local_header_offset.saturating_add(prepended);
            let name_len = record.name_raw.len() as u64;
            if ranges.len() >= max {
                break;
            }
            if lho >= self.len {
                continue;
            }
            // The fixed header, the name, and room for the extra field torch pads with.
            let end = lho
                .saturating_add(30 + name_len + LOCAL_EXTRA_ALLOWANCE)
                .min(self.len);
            let first = lho / REMOTE_BLOCK;
            let last = (end - 1) / REMOTE_BLOCK;
            if (first..=last).all(|b| st.blocks.contains_key(&b)) || !blocks.insert(first) {
                continue;
            }
            ranges.push((lho, end));
        }
        ranges
    }

    /// Makes `start..end` cached (see [`Self::local_header_ranges`]); errors are sticky and
    /// met again by the scan.
    pub(crate) fn fetch(&self, start: u64, end: u64) {
        let _ = self.ensure(start, end);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding the lock leaves counters, not invariants, behind.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Makes bytes `start..end` cached, fetching missing blocks in coalesced requests.
    fn ensure(&self, start: u64, end: u64) -> io::Result<()> {
        let end = end.min(self.len);
        if start >= end {
            return Ok(());
        }
        let first = start / REMOTE_BLOCK;
        let last = (end - 1) / REMOTE_BLOCK;
        let runs = {
            let st = self.lock();
            if let Some(e) = &st.stats.error {
                return Err(io::Error::other(e.clone()));
            }
            // Adjacent missing blocks become one request, up to MAX_REMOTE_REQUEST.
            let mut runs: Vec<(u64, u64)> = Vec::new();
            for b in first..=last {
                if st.blocks.contains_key(&b) {
                    continue;
                }
                match runs.last_mut() {
                    Some((s, e))
                        if *e + 1 == b && (b + 1 - *s) * REMOTE_BLOCK <= MAX_REMOTE_REQUEST =>
                    {
                        *e = b
                    }
                    _ => runs.push((b, b)),
                }
            }
            runs
        };
        for (b0, b1) in runs {
            let s = b0 * REMOTE_BLOCK;
            let e = ((b1 + 1) * REMOTE_BLOCK).min(self.len);
            let got = self.fetch.get_range(&self.path, s, e - 1);
            let mut st = self.lock();
            st.stats.requests += 1;
            let data = match got {
                Ok(d) => d,
                Err(err) => {
                    st.stats.failed_requests += 1;
                    let msg = format!("range request failed: {err}");
                    st.stats.error.get_or_insert(msg.clone());
                    return Err(io::Error::other(msg));
                }
            };
            st.stats.bytes_read += data.len() as u64;
            if (data.len() as u64) != e - s {
                let msg = format!(
                    "the server sent {} bytes for bytes {s}-{}, the listing says the file has {} bytes",
                    data.len(),
                    e - 1,
                    self.len
                );
                st.stats.failed_requests += 1;
                st.stats.error.get_or_insert(msg.clone());
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, msg));
            }
            for (i, chunk) in data.chunks(REMOTE_BLOCK as usize).enumerate() {
                insert_block(&mut st, b0 + i as u64, Arc::from(chunk));
            }
        }
        Ok(())
    }

    /// Copies cached bytes; fails if any is missing.
    fn read_cached(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let st = self.lock();
        let mut done = 0usize;
        while done < buf.len() {
            let pos = offset + done as u64;
            let b = pos / REMOTE_BLOCK;
            let block = st
                .blocks
                .get(&b)
                .ok_or_else(|| io::Error::other("block dropped from the cache"))?;
            let within = (pos - b * REMOTE_BLOCK) as usize;
            if within >= block.len() {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short block"));
            }
            let n = (block.len() - within).min(buf.len() - done);
            buf[done..done + n].copy_from_slice(&block[within..within + n]);
            done += n;
        }
        Ok(())
    }
}

fn insert_block(st: &mut State, index: u64, data: Arc<[u8]>) {
    if st.blocks.contains_key(&index) {
        return;
    }
    st.cached += data.len() as u64;
    st.blocks.insert(index, data);
    st.order.push_back(index);
    advance_hash(st);
    while st.cached > MAX_REMOTE_CACHE_BYTES {
        let Some(old) = st.order.pop_front() else {
            break;
        };
        if let Some(b) = st.blocks.remove(&old) {
            st.cached -= b.len() as u64;
        }
    }
}

/// Feeds the hashers every cached block that continues where they stopped.
fn advance_hash(st: &mut State) {
    loop {
        if !st.hashed.is_multiple_of(REMOTE_BLOCK) {
            return; // the last, short block was fed: the file is done
        }
        let b = st.hashed / REMOTE_BLOCK;
        let Some(block) = st.blocks.get(&b).cloned() else {
            return;
        };
        if let Some(h) = st.sha256.as_mut() {
            h.update(&block);
        }
        if let Some(h) = st.git_sha1.as_mut() {
            h.update(&block);
        }
        st.hashed += block.len() as u64;
        if block.is_empty() {
            return;
        }
    }
}

fn finish_hash(st: &mut State, len: u64) {
    if st.digests.is_some() || st.hashed != len || st.stats.error.is_some() {
        return;
    }
    if let (Some(a), Some(b)) = (st.sha256.take(), st.git_sha1.take()) {
        st.digests = Some((hex(&a.finish()), hex(&b.finish())));
    }
}

/// Room for a local header's extra field beyond its name (torch pads data to 64 bytes).
const LOCAL_EXTRA_ALLOWANCE: u64 = 128;

impl ReadAt for RemoteSource {
    fn len(&self) -> u64 {
        self.len
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        if offset >= self.len || buf.is_empty() {
            return Ok(0);
        }
        let n = usize::try_from(self.len - offset)
            .unwrap_or(usize::MAX)
            .min(buf.len())
            .min(MAX_REMOTE_REQUEST as usize);
        self.ensure(offset, offset + n as u64)?;
        match self.read_cached(offset, &mut buf[..n]) {
            Ok(()) => Ok(n),
            // The read was larger than the cache: fetch again block by block.
            Err(_) => {
                let mut done = 0;
                while done < n {
                    let pos = offset + done as u64;
                    let k = ((REMOTE_BLOCK - pos % REMOTE_BLOCK) as usize).min(n - done);
                    self.ensure(pos, pos + k as u64)?;
                    self.read_cached(pos, &mut buf[done..done + k])?;
                    done += k;
                }
                Ok(n)
            }
        }
    }
}

impl std::fmt::Debug for RemoteSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RemoteSource")
            .field("path", &self.path)
            .field("len", &self.len)
            .finish_non_exhaustive()
    }
}
