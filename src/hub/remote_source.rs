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

use crate::hub::client::HubClient;
use crate::hub::repo_ref::RepoRef;
use crate::provenance::digest::{HashAlgorithm, Hasher};
use crate::source::{hex, ReadAt};

/// Cache granularity: small, because isolated reads (zip local headers) cost a block each.
pub const REMOTE_BLOCK: u64 = 4 * 1024;
/// Most cached bytes per remote file; older blocks are dropped past it.
pub const MAX_REMOTE_CACHE_BYTES: u64 = 64 * 1024 * 1024;
/// Largest single range request (well under the client's `MAX_RANGE_BYTES`).
pub const MAX_REMOTE_REQUEST: u64 = 16 * 1024 * 1024;
/// First bytes of every file fetched before scanning (the sniff window and most headers).
pub const REMOTE_HEAD_BYTES: u64 = 64 * 1024;
/// Bytes at the end of a zip fetched with the head: the end-of-central-directory record
/// and its comment, as far back as the zip reader looks.
pub const REMOTE_ZIP_TAIL_BYTES: u64 = 65_535 + 22;

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
    central_directory: Option<(u64, u64)>,
}

pub struct RemoteSource {
    client: Arc<HubClient>,
    repo: RepoRef,
    commit: String,
    path: String,
    len: u64,
    state: Mutex<State>,
}

impl RemoteSource {
    /// `len` is the size the listing gives; a server that sends a different length makes
    /// reads fail (short) rather than silently shifting content.
    pub fn new(
        client: Arc<HubClient>,
        repo: RepoRef,
        commit: &str,
        path: &str,
        len: u64,
    ) -> RemoteSource {
        RemoteSource {
            client,
            repo,
            commit: commit.to_string(),
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

    pub fn stats(&self) -> ReadStats {
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
        let is_zip = {
            let st = self.lock();
            st.blocks
                .get(&0)
                .is_some_and(|b| b.len() >= 4 && &b[..4] == b"PK\x03\x04")
        };
        if !is_zip {
            return;
        }
        let tail_len = REMOTE_ZIP_TAIL_BYTES.min(self.len);
        let tail_start = self.len - tail_len;
        if self.ensure(tail_start, self.len).is_err() {
            return;
        }
        let mut tail = vec![0u8; tail_len as usize];
        if self.read_cached(tail_start, &mut tail).is_err() {
            return;
        }
        if let Some((cd_offset, cd_size)) = central_directory(&tail, tail_start) {
            let end = cd_offset.saturating_add(cd_size).min(self.len);
            let bound = end.saturating_sub(cd_offset) <= crate::limits::MAX_CENTRAL_DIRECTORY_BYTES;
            if cd_offset < end && bound && self.ensure(cd_offset, end).is_ok() {
                self.lock().central_directory = Some((cd_offset, end - cd_offset));
            }
        }
    }

    /// For a zip whose central directory was prefetched: the byte ranges of the members'
    /// local headers that are not cached yet, one per block, at most `max`. The zip walker
    /// reads every local header to cross-check it; fetched here, concurrently, they cost
    /// no sequential round trips during the scan. Best effort: the walker re-reads and
    /// re-checks everything.
    pub fn local_header_ranges(&self, max: usize) -> Vec<(u64, u64)> {
        let Some((offset, size)) = self.lock().central_directory else {
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
        for (lho, name_len) in local_header_offsets(&cd) {
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
    pub fn fetch(&self, start: u64, end: u64) {
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
            let got = self
                .client
                .get_range(&self.repo, &self.commit, &self.path, s, e - 1);
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

/// (local header offset, name length) of every central directory record, following the
/// zip64 extra field when the offset saturates. Stops at the first record that does not
/// parse.
fn local_header_offsets(cd: &[u8]) -> Vec<(u64, u64)> {
    let u16_at = |i: usize| u16::from_le_bytes([cd[i], cd[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes(cd[i..i + 4].try_into().unwrap());
    let mut out = Vec::new();
    let mut pos = 0usize;
    while pos + 46 <= cd.len() && cd[pos..pos + 4] == *b"PK\x01\x02" {
        let (name_len, extra_len, comment_len) =
            (u16_at(pos + 28), u16_at(pos + 30), u16_at(pos + 32));
        let next = pos + 46 + name_len + extra_len + comment_len;
        if next > cd.len() {
            break;
        }
        let mut lho = u64::from(u32_at(pos + 42));
        if lho == 0xFFFF_FFFF {
            // Zip64: the extra field's 0x0001 record holds the 64-bit values in order,
            // only for the fixed fields that saturate.
            let extra = &cd[pos + 46 + name_len..pos + 46 + name_len + extra_len];
            let mut skip = 0;
            if u32_at(pos + 24) == 0xFFFF_FFFF {
                skip += 8;
            }
            if u32_at(pos + 20) == 0xFFFF_FFFF {
                skip += 8;
            }
            let mut e = 0usize;
            let mut found = None;
            while e + 4 <= extra.len() {
                let id = u16::from_le_bytes([extra[e], extra[e + 1]]);
                let len = u16::from_le_bytes([extra[e + 2], extra[e + 3]]) as usize;
                let body = extra.get(e + 4..e + 4 + len);
                if id == 1 {
                    found = body
                        .and_then(|b| b.get(skip..skip + 8))
                        .map(|v| u64::from_le_bytes(v.try_into().unwrap()));
                    break;
                }
                e += 4 + len;
            }
            match found {
                Some(v) => lho = v,
                None => {
                    pos = next;
                    continue;
                }
            }
        }
        out.push((lho, name_len as u64));
        pos = next;
    }
    out
}

/// The central directory's (offset, size) from a zip's tail, following the zip64 locator
/// when the classic record saturates. Best effort: the zip reader re-checks all of it.
fn central_directory(tail: &[u8], tail_start: u64) -> Option<(u64, u64)> {
    let u32_at = |b: &[u8], i: usize| u32::from_le_bytes(b[i..i + 4].try_into().unwrap()) as u64;
    let u64_at = |b: &[u8], i: usize| u64::from_le_bytes(b[i..i + 8].try_into().unwrap());
    let pos = (0..tail.len().checked_sub(21)?)
        .rev()
        .find(|&i| tail[i..i + 4] == *b"PK\x05\x06")?;
    let size = u32_at(tail, pos + 12);
    let offset = u32_at(tail, pos + 16);
    if size != 0xFFFF_FFFF && offset != 0xFFFF_FFFF {
        return Some((offset, size));
    }
    // Zip64: locator just before the end record, pointing at the zip64 end record.
    let loc = pos.checked_sub(20)?;
    if tail[loc..loc + 4] != *b"PK\x06\x07" {
        return None;
    }
    let rec = u64_at(tail, loc + 8).checked_sub(tail_start)? as usize;
    if rec.checked_add(56)? > tail.len() || tail[rec..rec + 4] != *b"PK\x06\x06" {
        return None;
    }
    Some((u64_at(tail, rec + 48), u64_at(tail, rec + 40)))
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn central_directory_from_classic_and_zip64_tails() {
        let mut tail = vec![0u8; 10];
        tail.extend(b"PK\x05\x06");
        tail.extend([0u8; 8]);
        tail.extend(100u32.to_le_bytes());
        tail.extend(5000u32.to_le_bytes());
        tail.extend([0u8; 2]);
        assert_eq!(central_directory(&tail, 1000), Some((5000, 100)));
        assert_eq!(central_directory(&tail[..20], 1000), None);

        let start = 10_000u64;
        let mut t = vec![0u8; 4];
        t.extend(b"PK\x06\x06");
        t.extend([0u8; 36]);
        t.extend(77u64.to_le_bytes()); // size at +40
        t.extend(1234u64.to_le_bytes()); // offset at +48
        t.extend(b"PK\x06\x07");
        t.extend([0u8; 4]);
        t.extend((start + 4).to_le_bytes());
        t.extend([0u8; 4]);
        t.extend(b"PK\x05\x06");
        t.extend([0u8; 8]);
        t.extend(0xFFFF_FFFFu32.to_le_bytes());
        t.extend(0xFFFF_FFFFu32.to_le_bytes());
        t.extend([0u8; 2]);
        assert_eq!(central_directory(&t, start), Some((1234, 77)));
        // A locator pointing before the tail is ignored, not followed.
        assert_eq!(central_directory(&t, start + 100), None);
    }

    fn central_record(name: &[u8], lho: u32, extra: &[u8], sizes: u32) -> Vec<u8> {
        let mut r = b"PK\x01\x02".to_vec();
        r.extend([0u8; 16]); // versions, flags, method, time, date, crc
        r.extend(sizes.to_le_bytes()); // compressed size (+20)
        r.extend(sizes.to_le_bytes()); // uncompressed size (+24)
        r.extend((name.len() as u16).to_le_bytes());
        r.extend((extra.len() as u16).to_le_bytes());
        r.extend([0u8; 10]); // comment length, disk, attributes
        r.extend(lho.to_le_bytes());
        r.extend(name);
        r.extend(extra);
        r
    }

    #[test]
    fn local_header_offsets_from_classic_and_zip64_records() {
        let mut cd = central_record(b"a/data.pkl", 0, &[], 10);
        // Zip64: both sizes and the offset saturate; the extra holds them in that order.
        let mut extra = 1u16.to_le_bytes().to_vec();
        extra.extend(24u16.to_le_bytes());
        extra.extend(5u64.to_le_bytes());
        extra.extend(5u64.to_le_bytes());
        extra.extend((6u64 << 30).to_le_bytes());
        cd.extend(central_record(b"a/data/0", u32::MAX, &extra, u32::MAX));
        // Only the offset saturates.
        let mut extra = 1u16.to_le_bytes().to_vec();
        extra.extend(8u16.to_le_bytes());
        extra.extend((7u64 << 30).to_le_bytes());
        cd.extend(central_record(b"a/data/1", u32::MAX, &extra, 3));
        // A saturated offset without its zip64 value is skipped, not guessed.
        cd.extend(central_record(b"a/data/2", u32::MAX, &[], 3));
        cd.extend(central_record(b"a/version", 4096, &[], 2));
        assert_eq!(
            local_header_offsets(&cd),
            vec![(0, 10), (6 << 30, 8), (7 << 30, 8), (4096, 9)]
        );
        // Cut records end the walk without panicking.
        for cut in 0..cd.len() {
            let _ = local_header_offsets(&cd[..cut]);
        }
    }
}
