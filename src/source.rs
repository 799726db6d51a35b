//! Bounded byte sources.
//!
//! [`ByteStream`] is the sequential reader every streaming parser uses: a fixed-size
//! buffer, peeks of bounded length, skips that never allocate, and an optional SHA-256
//! that sees every byte exactly once as it enters the buffer (the one-pass rule).
//! [`ReadAt`] is random access for formats that need it (zip central directories).

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::FileExt;
use std::sync::Arc;

use sha2::{Digest, Sha256};

/// Size of a stream's buffer; also the longest peek a parser may ask for.
pub(crate) const STREAM_BUFFER: usize = 1 << 20;

/// A reader that may be able to move forward without reading (a file, a slice). Skipping
/// unread payloads is what makes `--no-hash` scans of large pickles cost only their opcodes.
pub trait SkipRead: Read {
    /// Moves forward up to `n` bytes without reading them; `None` when the source cannot.
    fn skip_forward(&mut self, _n: u64) -> Option<u64> {
        None
    }
}

impl SkipRead for &[u8] {
    fn skip_forward(&mut self, n: u64) -> Option<u64> {
        let k = usize::try_from(n).unwrap_or(usize::MAX).min(self.len());
        *self = &self[k..];
        Some(k as u64)
    }
}

impl<R: SkipRead + ?Sized> SkipRead for Box<R> {
    fn skip_forward(&mut self, n: u64) -> Option<u64> {
        (**self).skip_forward(n)
    }
}

impl<R: SkipRead + ?Sized> SkipRead for &mut R {
    fn skip_forward(&mut self, n: u64) -> Option<u64> {
        (**self).skip_forward(n)
    }
}

/// A reader that can only be read (decoders, archive members).
pub(crate) struct NoSkip<R>(pub R);

impl<R: Read> Read for NoSkip<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.read(buf)
    }
}

impl<R: Read> SkipRead for NoSkip<R> {}

pub struct ByteStream<R> {
    inner: R,
    buf: Box<[u8]>,
    start: usize,
    end: usize,
    /// Absolute offset of `buf[start]`.
    offset: u64,
    eof: bool,
    hasher: Option<Sha256>,
    io_error: Option<String>,
    /// Bytes asked of the inner reader per read: small right after a skip (the next
    /// opcodes are usually near), doubling while reading sequentially.
    read_size: usize,
}

/// Read size right after a skip.
const READ_AFTER_SKIP: usize = 16 * 1024;

impl<R: SkipRead> ByteStream<R> {
    pub fn new(inner: R) -> Self {
        Self::with_capacity(inner, STREAM_BUFFER)
    }

    pub(crate) fn with_capacity(inner: R, capacity: usize) -> Self {
        ByteStream {
            inner,
            buf: vec![0u8; capacity.max(64)].into_boxed_slice(),
            start: 0,
            end: 0,
            offset: 0,
            eof: false,
            hasher: None,
            io_error: None,
            read_size: capacity.max(64),
        }
    }

    /// Asks the inner reader for at most `n` bytes on the first read (then doubling as
    /// usual). Remote sources use a small first read so a header-only format costs only
    /// its header; local files keep the full-buffer first read.
    pub(crate) fn first_read(mut self, n: usize) -> Self {
        self.read_size = n.clamp(64, self.buf.len());
        self
    }

    /// A stream whose first byte sits at `offset` of a larger one (positions in findings
    /// stay those of the outer stream).
    pub(crate) fn starting_at(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    pub fn hashing(mut self) -> Self {
        self.hasher = Some(Sha256::new());
        self
    }

    /// Absolute offset of the next unconsumed byte.
    #[inline]
    pub fn position(&self) -> u64 {
        self.offset
    }

    /// The read error that ended the stream early, if any (distinct from a clean EOF).
    pub(crate) fn io_error(&self) -> Option<&str> {
        self.io_error.as_deref()
    }

    fn read_more(&mut self) -> bool {
        if self.eof {
            return false;
        }
        if self.start > 0 && (self.end == self.buf.len() || self.start == self.end) {
            self.buf.copy_within(self.start..self.end, 0);
            self.end -= self.start;
            self.start = 0;
        }
        if self.end == self.buf.len() {
            return false;
        }
        let want = (self.buf.len() - self.end).min(self.read_size);
        self.read_size = self.read_size.saturating_mul(2).min(self.buf.len());
        loop {
            match self.inner.read(&mut self.buf[self.end..self.end + want]) {
                Ok(0) => {
                    self.eof = true;
                    return false;
                }
                Ok(n) => {
                    if let Some(h) = self.hasher.as_mut() {
                        h.update(&self.buf[self.end..self.end + n]);
                    }
                    self.end += n;
                    return true;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    self.io_error = Some(e.to_string());
                    self.eof = true;
                    return false;
                }
            }
        }
    }

    /// Makes at least `n` bytes available (n is capped at the buffer size). Returns the
    /// buffered bytes, which are fewer than `n` only at the end of the stream.
    #[inline]
    pub fn fill(&mut self, n: usize) -> &[u8] {
        let n = n.min(self.buf.len());
        while self.end - self.start < n {
            if self.end == self.buf.len() && self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            }
            if !self.read_more() {
                break;
            }
        }
        &self.buf[self.start..self.end]
    }

    /// Reads the next `n` bytes into their own buffer (fewer only at the end of the
    /// stream). Callers bound `n` by a named limit before calling.
    pub(crate) fn read_bytes(&mut self, n: usize) -> Vec<u8> {
        let mut out = Vec::with_capacity(n.min(self.buf.len()));
        while out.len() < n {
            let want = n - out.len();
            let chunk = self.fill(want);
            if chunk.is_empty() {
                break;
            }
            let k = chunk.len().min(want);
            out.extend_from_slice(&chunk[..k]);
            self.consume(k);
        }
        out
    }

    /// Bytes currently buffered, without reading.
    #[inline]
    pub fn buffered(&self) -> &[u8] {
        &self.buf[self.start..self.end]
    }

    #[inline]
    pub(crate) fn consume(&mut self, n: usize) {
        let n = n.min(self.end - self.start);
        self.start += n;
        self.offset += n as u64;
    }

    /// Skips `n` bytes, reading them through the hasher. Returns how many were skipped
    /// (fewer only at the end of the stream).
    pub(crate) fn skip(&mut self, n: u64) -> u64 {
        let mut left = n;
        if self.hasher.is_none() && !self.eof {
            let buffered = (self.end - self.start) as u64;
            if left > buffered {
                self.consume(buffered as usize);
                left -= buffered;
                if let Some(k) = self.inner.skip_forward(left) {
                    self.read_size = READ_AFTER_SKIP;
                    self.offset += k;
                    left -= k;
                    if left > 0 {
                        self.eof = true;
                    }
                    return n - left;
                }
            }
        }
        while left > 0 {
            if self.start == self.end && !self.read_more() {
                break;
            }
            let take = (self.end - self.start).min(usize::try_from(left).unwrap_or(usize::MAX));
            self.consume(take);
            left -= take as u64;
        }
        n - left
    }

    /// Skips everything left (through the hasher, if any); returns how many bytes that was.
    pub(crate) fn skip_to_end(&mut self) -> u64 {
        let mut total = 0;
        loop {
            let n = self.skip(1 << 30);
            if n == 0 {
                return total;
            }
            total += n;
        }
    }

    /// Reads one `\n`-terminated line. Keeps at most `cap` bytes of it; the rest is skipped.
    pub(crate) fn read_line(&mut self, cap: usize) -> Line {
        let mut kept = Vec::new();
        let mut total: u64 = 0;
        loop {
            if self.start == self.end && !self.read_more() {
                return Line {
                    bytes: kept,
                    len: total,
                    terminated: false,
                };
            }
            let avail = &self.buf[self.start..self.end];
            let (chunk_len, found) = match memchr(b'\n', avail) {
                Some(i) => (i, true),
                None => (avail.len(), false),
            };
            let room = cap.saturating_sub(kept.len()).min(chunk_len);
            kept.extend_from_slice(&avail[..room]);
            total += chunk_len as u64;
            self.consume(chunk_len + usize::from(found));
            if found {
                return Line {
                    bytes: kept,
                    len: total,
                    terminated: true,
                };
            }
        }
    }

    /// Reads everything left (through the hasher) and returns the total length seen and
    /// the digest, if hashing was on.
    pub fn finish(mut self) -> (u64, Option<[u8; 32]>, Option<String>) {
        self.skip_to_end();
        let digest = self.hasher.take().map(|h| h.finalize().into());
        (self.offset, digest, self.io_error)
    }
}

fn memchr(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// One text line read by [`ByteStream::read_line`].
pub(crate) struct Line {
    /// The first `cap` bytes of the line, without the newline.
    pub bytes: Vec<u8>,
    /// Full length of the line without the newline.
    pub len: u64,
    /// False when the stream ended before a newline.
    pub terminated: bool,
}

impl Line {
    pub fn truncated(&self) -> bool {
        self.len as usize != self.bytes.len()
    }
}

/// Random-access reads with a known length.
pub trait ReadAt: Send + Sync {
    fn len(&self) -> u64;
    /// Reads into `buf` at `offset`; returns bytes read (0 at or past the end).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize>;

    fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Reads exactly `len` bytes at `offset`, or fails if the source is shorter.
    fn read_exact_at(&self, offset: u64, len: usize) -> io::Result<Vec<u8>> {
        let end = offset
            .checked_add(len as u64)
            .ok_or_else(|| io::Error::other("offset overflow"))?;
        if end > self.len() {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                format!(
                    "range {offset}..{end} is past the end ({} bytes)",
                    self.len()
                ),
            ));
        }
        let mut out = vec![0u8; len];
        let mut done = 0;
        while done < len {
            let n = self.read_at(offset + done as u64, &mut out[done..])?;
            if n == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "short read"));
            }
            done += n;
        }
        Ok(out)
    }
}

/// The part of `buf` that lies before `len` when reading at `offset`; `None` at or past
/// the end.
fn within(len: u64, offset: u64, buf: &mut [u8]) -> Option<&mut [u8]> {
    if offset >= len {
        return None;
    }
    let max = usize::try_from(len - offset)
        .unwrap_or(usize::MAX)
        .min(buf.len());
    Some(&mut buf[..max])
}

pub(crate) struct FileSource {
    file: File,
    len: u64,
}

impl FileSource {
    pub fn new(file: File) -> io::Result<FileSource> {
        let len = file.metadata()?.len();
        Ok(FileSource { file, len })
    }
}

impl ReadAt for FileSource {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match within(self.len, offset, buf) {
            Some(buf) => self.file.read_at(buf, offset),
            None => Ok(0),
        }
    }
}

impl ReadAt for Vec<u8> {
    fn len(&self) -> u64 {
        self.as_slice().len() as u64
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let Ok(start) = usize::try_from(offset) else {
            return Ok(0);
        };
        if start >= self.as_slice().len() {
            return Ok(0);
        }
        let n = (self.as_slice().len() - start).min(buf.len());
        buf[..n].copy_from_slice(&self[start..start + n]);
        Ok(n)
    }
}

/// A window `[offset, offset + len)` of another source.
#[derive(Clone)]
pub struct SubRange {
    pub parent: Arc<dyn ReadAt>,
    pub offset: u64,
    pub len: u64,
}

impl ReadAt for SubRange {
    fn len(&self) -> u64 {
        self.len
    }
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        match within(self.len, offset, buf) {
            Some(buf) => self.parent.read_at(self.offset + offset, buf),
            None => Ok(0),
        }
    }
}

/// Sequential (and seekable) reader over a [`ReadAt`].
pub(crate) struct ReadAtCursor {
    pub source: Arc<dyn ReadAt>,
    pub pos: u64,
}

impl Read for ReadAtCursor {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.source.read_at(self.pos, buf)?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl SkipRead for ReadAtCursor {
    fn skip_forward(&mut self, n: u64) -> Option<u64> {
        let k = n.min(self.source.len().saturating_sub(self.pos));
        self.pos += k;
        Some(k)
    }
}

/// Copies up to `cap + 1` bytes of `input` into an unnamed temporary file (created and
/// unlinked at once, so nothing is left behind), for random access to data that arrives as
/// a stream: standard input, a zip inside a compressed stream. Returns the file and the
/// bytes copied; more than `cap` means the input was cut there.
pub(crate) fn spill(input: &mut dyn Read, cap: u64) -> io::Result<(File, u64)> {
    static SPILLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = SPILLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let path = std::env::temp_dir().join(format!("modelvet-spill-{}-{n}", std::process::id()));
    let mut f = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)?;
    let _ = std::fs::remove_file(&path);
    let copied = io::copy(&mut input.take(cap.saturating_add(1)), &mut f)?;
    if copied > cap {
        f.set_len(cap)?;
    }
    Ok((f, copied))
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}

impl<R: SkipRead> Read for ByteStream<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.start == self.end && !self.read_more() {
            if let Some(e) = &self.io_error {
                return Err(io::Error::other(e.clone()));
            }
            return Ok(0);
        }
        let n = (self.end - self.start).min(out.len());
        out[..n].copy_from_slice(&self.buf[self.start..self.start + n]);
        self.consume(n);
        Ok(n)
    }
}

/// For libraries that want `Read + Seek` (the 7z reader).
impl io::Seek for ReadAtCursor {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        let len = self.source.len() as i128;
        let target = match pos {
            io::SeekFrom::Start(p) => i128::from(p),
            io::SeekFrom::End(d) => len + i128::from(d),
            io::SeekFrom::Current(d) => i128::from(self.pos) + i128::from(d),
        };
        if target < 0 {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "seek before start",
            ));
        }
        self.pos = u64::try_from(target).map_err(io::Error::other)?;
        Ok(self.pos)
    }
}

/// A deterministic xorshift generator for tests that feed parsers hostile bytes.
#[cfg(test)]
pub(crate) fn xorshift() -> impl FnMut() -> u64 {
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}
