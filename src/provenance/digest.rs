//! Streaming file digests: SHA-256, BLAKE2b-512 and BLAKE3 (the hash types OpenSSF model
//! signing asks for) and the Git blob SHA-1 the Hugging Face Hub uses for files outside LFS.
//!
//! Every digest of a file comes from one buffered sequential read, however many algorithms
//! are asked for; files are hashed in parallel across a bounded set of threads.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use aws_lc_rs::digest as lc;
use blake2::Digest as _;

/// Read size for hashing. Large enough that syscalls are noise next to SHA-NI throughput,
/// small enough to stay in L2 while the hashers run over it.
pub(crate) const HASH_READ_BUFFER: usize = 256 * 1024;

/// The hash types a signature or the Hub can name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HashAlgorithm {
    Sha256,
    /// BLAKE2b with a 64-byte digest (Python's `hashlib.blake2b()` default).
    Blake2b,
    Blake3,
    /// SHA-1 over `"blob <len>\0" + content`: Git's object id, the Hub's ETag for non-LFS files.
    GitBlobSha1,
}

impl HashAlgorithm {
    /// The name model-signing writes in `hash_type` and `resources[].algorithm`.
    pub fn name(self) -> &'static str {
        match self {
            HashAlgorithm::Sha256 => "sha256",
            HashAlgorithm::Blake2b => "blake2b",
            HashAlgorithm::Blake3 => "blake3",
            HashAlgorithm::GitBlobSha1 => "gitsha1",
        }
    }

    pub(crate) fn from_name(name: &str) -> Option<HashAlgorithm> {
        match name {
            "sha256" => Some(HashAlgorithm::Sha256),
            "blake2b" => Some(HashAlgorithm::Blake2b),
            "blake3" => Some(HashAlgorithm::Blake3),
            "gitsha1" | "git-sha1" => Some(HashAlgorithm::GitBlobSha1),
            _ => None,
        }
    }

    pub(crate) fn digest_len(self) -> usize {
        match self {
            HashAlgorithm::Sha256 | HashAlgorithm::Blake3 => 32,
            HashAlgorithm::Blake2b => 64,
            HashAlgorithm::GitBlobSha1 => 20,
        }
    }
}

/// One incremental hasher of any supported algorithm.
pub(crate) enum Hasher {
    Sha256(lc::Context),
    Blake2b(Box<blake2::Blake2b512>),
    Blake3(Box<blake3::Hasher>),
    GitBlobSha1(lc::Context),
}

impl Hasher {
    /// `content_len` is needed only by the Git blob hash, whose header carries the length.
    pub fn new(algorithm: HashAlgorithm, content_len: u64) -> Hasher {
        match algorithm {
            HashAlgorithm::Sha256 => Hasher::Sha256(lc::Context::new(&lc::SHA256)),
            HashAlgorithm::Blake2b => Hasher::Blake2b(Box::default()),
            HashAlgorithm::Blake3 => Hasher::Blake3(Box::default()),
            HashAlgorithm::GitBlobSha1 => {
                let mut ctx = lc::Context::new(&lc::SHA1_FOR_LEGACY_USE_ONLY);
                ctx.update(format!("blob {content_len}\0").as_bytes());
                Hasher::GitBlobSha1(ctx)
            }
        }
    }

    pub fn update(&mut self, data: &[u8]) {
        match self {
            Hasher::Sha256(c) | Hasher::GitBlobSha1(c) => c.update(data),
            Hasher::Blake2b(h) => h.update(data),
            Hasher::Blake3(h) => {
                h.update(data);
            }
        }
    }

    pub fn finish(self) -> Vec<u8> {
        match self {
            Hasher::Sha256(c) | Hasher::GitBlobSha1(c) => c.finish().as_ref().to_vec(),
            Hasher::Blake2b(h) => h.finalize().to_vec(),
            Hasher::Blake3(h) => h.finalize().as_bytes().to_vec(),
        }
    }
}

/// SHA-256 of a byte slice.
pub fn sha256(data: &[u8]) -> [u8; 32] {
    let mut out = [0u8; 32];
    out.copy_from_slice(lc::digest(&lc::SHA256, data).as_ref());
    out
}

/// The digests of one byte range of a file (the whole file when the range covers it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RangeDigests {
    /// Bytes actually hashed.
    pub len: u64,
    /// In the order the algorithms were asked for.
    pub digests: Vec<(HashAlgorithm, Vec<u8>)>,
}

impl RangeDigests {
    pub fn get(&self, algorithm: HashAlgorithm) -> Option<&[u8]> {
        self.digests
            .iter()
            .find(|(a, _)| *a == algorithm)
            .map(|(_, d)| d.as_slice())
    }

    pub fn hex(&self, algorithm: HashAlgorithm) -> Option<String> {
        self.get(algorithm).map(crate::source::hex)
    }
}

/// Reads `reader` to its end (or `expected_len` bytes when given) once, feeding every
/// algorithm. A reader that ends early or has more than `expected_len` bytes is an error,
/// because a file that changes while it is hashed has no digest.
pub fn hash_reader(
    mut reader: impl Read,
    algorithms: &[HashAlgorithm],
    expected_len: Option<u64>,
) -> io::Result<RangeDigests> {
    let header_len = expected_len.unwrap_or(0);
    if expected_len.is_none() && algorithms.contains(&HashAlgorithm::GitBlobSha1) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "a Git blob hash needs the content length up front",
        ));
    }
    let mut hashers: Vec<Hasher> = algorithms
        .iter()
        .map(|&a| Hasher::new(a, header_len))
        .collect();
    let mut buffer = vec![0u8; HASH_READ_BUFFER];
    let mut total: u64 = 0;
    loop {
        let want = match expected_len {
            Some(n) => (n - total).min(buffer.len() as u64) as usize,
            None => buffer.len(),
        };
        if want == 0 {
            break;
        }
        let got = match reader.read(&mut buffer[..want]) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        for h in &mut hashers {
            h.update(&buffer[..got]);
        }
        total += got as u64;
    }
    if let Some(n) = expected_len {
        if total != n {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!("expected {n} bytes, read {total} (the file changed while it was hashed)"),
            ));
        }
        // One byte more means the file grew after its size was taken.
        let mut probe = [0u8; 1];
        if reader.read(&mut probe)? != 0 {
            return Err(io::Error::other(format!(
                "the file grew past {n} bytes while it was hashed"
            )));
        }
    }
    Ok(RangeDigests {
        len: total,
        digests: algorithms
            .iter()
            .copied()
            .zip(hashers.into_iter().map(Hasher::finish))
            .collect(),
    })
}

/// Digests of a whole regular file, in one read.
pub(crate) fn hash_file(path: &Path, algorithms: &[HashAlgorithm]) -> io::Result<RangeDigests> {
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    hash_reader(file, algorithms, Some(len))
}

/// Digests of the bytes `start..end` of a file (a model-signing shard).
pub(crate) fn hash_file_range(
    path: &Path,
    start: u64,
    end: u64,
    algorithms: &[HashAlgorithm],
) -> io::Result<RangeDigests> {
    if end < start {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("shard range {start}..{end} is reversed"),
        ));
    }
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
    let len = end - start;
    // A Git blob hash of a range makes no sense; ranges only ever carry content hashes.
    let algorithms: Vec<HashAlgorithm> = algorithms
        .iter()
        .copied()
        .filter(|a| *a != HashAlgorithm::GitBlobSha1)
        .collect();
    let mut limited = file.take(len);
    let digests = hash_reader(&mut limited, &algorithms, None)?;
    if digests.len != len {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("shard {start}..{end} reaches past the end of the file"),
        ));
    }
    Ok(digests)
}

/// How many threads hash at once: one per core, never more than there is work.
pub(crate) fn hashing_threads(jobs: usize) -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(jobs)
        .max(1)
}

/// Runs `work` over every item on up to [`hashing_threads`] threads and returns the
/// results in the items' order (so output never depends on scheduling).
pub(crate) fn parallel_map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = hashing_threads(items.len());
    if threads <= 1 {
        return items.iter().map(work).collect();
    }
    let next = AtomicUsize::new(0);
    let results: Mutex<Vec<Option<R>>> = Mutex::new((0..items.len()).map(|_| None).collect());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(item) = items.get(i) else { break };
                let r = work(item);
                results.lock().unwrap_or_else(|p| p.into_inner())[i] = Some(r);
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|p| p.into_inner())
        .into_iter()
        .map(|r| r.expect("every index is taken by exactly one worker"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::hex;

    fn digest_of(data: &[u8], a: HashAlgorithm) -> String {
        hash_reader(data, &[a], Some(data.len() as u64))
            .unwrap()
            .hex(a)
            .unwrap()
    }

    #[test]
    fn known_answers() {
        assert_eq!(
            digest_of(b"hello world\n", HashAlgorithm::Sha256),
            "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447"
        );
        // `git hash-object` of "hello world\n".
        assert_eq!(
            digest_of(b"hello world\n", HashAlgorithm::GitBlobSha1),
            "3b18e512dba79e4c8300dd08aeb37f8e728b8dad"
        );
        assert_eq!(
            digest_of(b"", HashAlgorithm::Blake3),
            "af1349b9f5f9a1a6a0404dea36dcc9499bcb25c9adc112b7cc9a93cae41f3262"
        );
        // hashlib.blake2b(b"abc").hexdigest()
        assert_eq!(
            digest_of(b"abc", HashAlgorithm::Blake2b),
            "ba80a53f981c4d0d6a2797b69f12f6e94c212f14685ac4b74b12bb6fdbffa2d1\
             7d87c5392aab792dc252d5de4533cc9518d38aa8dbf1925ab92386edd4009923"
        );
    }

    #[test]
    fn one_read_feeds_every_algorithm() {
        let data = vec![7u8; HASH_READ_BUFFER * 2 + 13];
        let all = [
            HashAlgorithm::Sha256,
            HashAlgorithm::Blake2b,
            HashAlgorithm::Blake3,
            HashAlgorithm::GitBlobSha1,
        ];
        let d = hash_reader(&data[..], &all, Some(data.len() as u64)).unwrap();
        assert_eq!(d.len, data.len() as u64);
        for a in all {
            assert_eq!(d.hex(a).unwrap(), digest_of(&data, a));
            assert_eq!(d.get(a).unwrap().len(), a.digest_len());
        }
    }

    #[test]
    fn a_length_that_disagrees_is_an_error() {
        assert!(hash_reader(&b"abc"[..], &[HashAlgorithm::Sha256], Some(4)).is_err());
        assert!(hash_reader(&b"abcd"[..], &[HashAlgorithm::Sha256], Some(3)).is_err());
        assert!(hash_reader(&b"abc"[..], &[HashAlgorithm::GitBlobSha1], None).is_err());
    }

    #[test]
    fn ranges_hash_only_their_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.bin");
        let data: Vec<u8> = (0..2500u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &data).unwrap();
        let r = hash_file_range(&path, 1024, 2048, &[HashAlgorithm::Sha256]).unwrap();
        assert_eq!(hex(r.get(HashAlgorithm::Sha256).unwrap()), {
            hex(&sha256(&data[1024..2048]))
        });
        assert!(hash_file_range(&path, 2048, 3072, &[HashAlgorithm::Sha256]).is_err());
        assert!(hash_file_range(&path, 10, 5, &[HashAlgorithm::Sha256]).is_err());
    }

    #[test]
    fn parallel_map_keeps_order() {
        let items: Vec<u32> = (0..100).collect();
        assert_eq!(
            parallel_map(&items, |i| i * 2),
            (0..100).map(|i| i * 2).collect::<Vec<_>>()
        );
        assert!(parallel_map(&Vec::<u32>::new(), |i| *i).is_empty());
    }
}
