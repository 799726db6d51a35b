//! Compressed streams (gzip, bzip2, xz, zstd, lz4, zlib, lzma-alone), decoded as streams
//! under the decompression limits: a running total per top-level input and a ratio.

use std::cell::Cell;
use std::io::{self, Read};
use std::rc::Rc;

use crate::formats::sniff::Detected;
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
pub struct Counting<R> {
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

/// Enforces [`limits::MAX_DECOMPRESSED_BYTES`] over the input, and
/// [`limits::MAX_COMPRESSION_RATIO`] when the compressed bytes are counted.
pub struct Limited<R> {
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
    kind: Detected,
    input: R,
    budget: Rc<Budget>,
) -> Result<Box<dyn Read + 'a>, String> {
    let consumed = Rc::new(Cell::new(0u64));
    let counted = Counting {
        inner: input,
        count: consumed.clone(),
    };
    let inner: Box<dyn Read + 'a> = match kind {
        Detected::Gzip => Box::new(flate2::read::MultiGzDecoder::new(counted)),
        Detected::Zlib => Box::new(flate2::read::ZlibDecoder::new(counted)),
        Detected::Bzip2 => Box::new(bzip2::read::MultiBzDecoder::new(counted)),
        Detected::Xz => Box::new(lzma_rust2::XzReader::new_mem_limit(
            counted,
            true,
            DECODER_MEMORY_KIB,
        )),
        Detected::LzmaAlone => Box::new(
            lzma_rust2::LzmaReader::new_mem_limit(counted, DECODER_MEMORY_KIB, None)
                .map_err(|e| format!("lzma header: {e}"))?,
        ),
        Detected::Zstd => Box::new(
            ruzstd::decoding::StreamingDecoder::new(counted)
                .map_err(|e| format!("zstd frame header: {e}"))?,
        ),
        Detected::Lz4 => Box::new(lz4_flex::frame::FrameDecoder::new(counted)),
        other => return Err(format!("{} is not a compressed stream", other.name())),
    };
    Ok(Box::new(Limited::new(inner, budget, Some(consumed))))
}
