//! Compressed streams (gzip, bzip2, xz, zstd, lz4, zlib, lzma-alone), decoded as streams
//! under the decompression limits: a running total per top-level input and a ratio.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use crate::format::Format;
use crate::limits::{self, LimitHit};

/// Memory a decoder may use for its dictionary or window.
const DECODER_MEMORY_KIB: u32 = 128 * 1024;

/// Shared accounting for one top-level input.
#[derive(Debug, Default)]
pub struct Budget {
    pub decompressed: Cell<u64>,
    pub hit: Cell<Option<LimitHit>>,
}

/// Counts the compressed bytes a decoder pulls.
pub(crate) struct Counting<R> {
    pub inner: R,
    pub count: Rc<Cell<u64>>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.set(self.count.get() + n as u64);
        Ok(n)
    }
}

impl<R: io::Seek> io::Seek for Counting<R> {
    fn seek(&mut self, pos: io::SeekFrom) -> io::Result<u64> {
        self.inner.seek(pos)
    }
}

/// Enforces [`limits::MAX_DECOMPRESSED_BYTES`] over the input, and
/// [`limits::MAX_COMPRESSION_RATIO`] when the compressed bytes are counted.
pub(crate) struct Limited<R> {
    inner: R,
    produced: u64,
    consumed: Option<Rc<Cell<u64>>>,
    budget: Rc<Budget>,
}

impl<R: Read> Limited<R> {
    /// `consumed` counts the compressed bytes behind `inner` (see [`Counting`]); `None`
    /// for data that is not compressed, or whose compressed size is not visible.
    pub fn new(inner: R, budget: Rc<Budget>, consumed: Option<Rc<Cell<u64>>>) -> Self {
        Limited {
            inner,
            produced: 0,
            consumed,
            budget,
        }
    }
}

impl<R: Read> Read for Limited<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.budget.hit.get().is_some() {
            return Err(io::Error::other("decompression limit reached"));
        }
        let n = self.inner.read(buf)?;
        self.produced += n as u64;
        let total = self.budget.decompressed.get() + n as u64;
        self.budget.decompressed.set(total);
        let hit = if total > limits::MAX_DECOMPRESSED_BYTES {
            Some(LimitHit::DecompressedBytes)
        } else if self.consumed.as_ref().is_some_and(|c| {
            self.produced > limits::RATIO_CHECK_AFTER_BYTES
                && self.produced / c.get().max(1) > limits::MAX_COMPRESSION_RATIO
        }) {
            Some(LimitHit::CompressionRatio)
        } else {
            None
        };
        if let Some(h) = hit {
            self.budget.hit.set(Some(h));
            return Err(io::Error::other(h.describe()));
        }
        Ok(n)
    }
}

/// Wraps `input` (positioned at the compressed stream's first byte) in the decoder for
/// `kind`, under the budget.
pub fn decoder<'a, R: Read + 'a>(
    kind: Format,
    input: R,
    budget: Rc<Budget>,
) -> Result<Box<dyn Read + 'a>, String> {
    let consumed = Rc::new(Cell::new(0u64));
    let counted = Counting {
        inner: input,
        count: consumed.clone(),
    };
    let inner: Box<dyn Read + 'a> = match kind {
        Format::Gzip => Box::new(flate2::read::MultiGzDecoder::new(counted)),
        Format::Zlib => Box::new(flate2::read::ZlibDecoder::new(counted)),
        Format::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(counted)),
        Format::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            counted,
            true,
            DECODER_MEMORY_KIB,
        )),
        Format::LzmaAlone => Box::new(
            lzma_rust2::LzmaReader::new_mem_limit(counted, DECODER_MEMORY_KIB, None)
                .map_err(|e| format!("lzma header: {e}"))?,
        ),
        Format::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(counted)
                .map_err(|e| format!("zstd frame header: {e}"))?,
        ),
        Format::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(counted)),
        other => return Err(format!("{} is not a compressed stream", other.name())),
    };
    Ok(Box::new(Limited::new(inner, budget, Some(consumed))))
}

macro_rules! compression_format {
    ($name:ident, $format:ident, $evidence:ident, $probe:expr, $claims:expr) => {
        pub static $name: crate::format::FormatSpec = crate::format::FormatSpec {
            format: crate::format::Format::$format,
            role: crate::format::Role::Compression,
            access: crate::format::Access::Stream,
            head: |b, _| ($probe)(b).then_some(crate::format::Evidence::$evidence),
            tail: None,
            claimed_by: $claims,
            exclusive_names: &[],
            parse: crate::format::Parser::Driver,
        };
    };
}

compression_format!(
    GZIP,
    Gzip,
    Magic,
    |b: &[u8]| b.starts_with(b"\x1f\x8b"),
    &["gz", "tgz"]
);
compression_format!(
    BZIP2,
    Bzip2,
    Magic,
    |b: &[u8]| b.len() >= 4 && b.starts_with(b"BZh") && (b'1'..=b'9').contains(&b[3]),
    &["bz2"]
);
compression_format!(
    XZ,
    Xz,
    Magic,
    |b: &[u8]| b.starts_with(b"\xfd7zXZ\x00"),
    &["xz"]
);
compression_format!(
    ZSTD,
    Zstd,
    Magic,
    |b: &[u8]| b.starts_with(b"\x28\xb5\x2f\xfd"),
    &["zst"]
);
compression_format!(
    LZ4,
    Lz4,
    Magic,
    |b: &[u8]| b.starts_with(b"\x04\x22\x4d\x18"),
    &["lz4"]
);
// .lzma (LZMA-alone): properties byte 0x5d and a power-of-two dictionary size. 0x5d is
// also EMPTY_LIST, but a pickle never follows it with a zero byte.
compression_format!(
    LZMA_ALONE,
    LzmaAlone,
    Heuristic,
    |b: &[u8]| {
        b.len() >= 13 && b[0] == 0x5d && b[1] == 0 && {
            let dict = u32::from_le_bytes(b[1..5].try_into().expect("4 bytes"));
            dict.is_power_of_two() || dict == 0
        }
    },
    &[]
);
// Ranked below a pickle: `(` (MARK) followed by some bytes also passes the zlib check.
compression_format!(
    ZLIB,
    Zlib,
    Heuristic,
    |b: &[u8]| {
        b.len() >= 2
            && b[0] & 0x0f == 8
            && b[0] >> 4 <= 7
            && (u16::from(b[0]) << 8 | u16::from(b[1])) % 31 == 0
            && b[1] & 0x20 == 0
    },
    &[]
);
