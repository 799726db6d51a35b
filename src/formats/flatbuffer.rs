//! A bounds-checked FlatBuffer reader over random-access bytes, for the formats stored as
//! FlatBuffers (TensorFlow Lite, CatBoost). Every offset is checked against the file
//! before it is followed; reads go through one cached page, because the tables and vectors
//! a serializer writes sit close together. Nothing is trusted from the buffer's own
//! verifier: there is none here, only checks.

use crate::formats::display_string;
use crate::limits::LimitHit;
use crate::source::ReadAt;

/// Bytes read at a time and kept.
const PAGE: usize = 64 * 1024;
/// Longest string kept for reports.
pub(crate) const MAX_NAME_CHARS: usize = 200;

#[derive(Debug)]
pub(crate) enum Stop {
    /// The structure contradicts itself (an operator code that does not exist, a vtable
    /// of impossible size).
    Malformed(String),
    /// Something lies past the end of the file: cut short, or pointing nowhere.
    Truncated(String),
    Limit(LimitHit),
}

pub(crate) type Result<T> = std::result::Result<T, Stop>;

pub(crate) fn malformed<T>(msg: impl Into<String>) -> Result<T> {
    Err(Stop::Malformed(msg.into()))
}

pub(crate) fn truncated<T>(msg: impl Into<String>) -> Result<T> {
    Err(Stop::Truncated(msg.into()))
}

/// A FlatBuffer table: where it starts and its vtable's field offsets.
pub(crate) struct Table {
    at: u64,
    fields: Vec<u16>,
}

/// Bounds-checked FlatBuffer reads through one cached page.
pub(crate) struct Reader<'a> {
    src: &'a dyn ReadAt,
    pub len: u64,
    page_at: u64,
    page: Vec<u8>,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(src: &'a dyn ReadAt) -> Self {
        Reader {
            src,
            len: src.len(),
            page_at: 0,
            page: Vec::new(),
        }
    }

    pub(crate) fn bytes(&mut self, at: u64, n: usize, what: &str) -> Result<Vec<u8>> {
        let end = match at.checked_add(n as u64) {
            Some(end) if end <= self.len => end,
            _ => {
                return truncated(format!(
                    "{what} at offset {at} ({n} bytes) runs past the end of the file ({} bytes)",
                    self.len
                ))
            }
        };
        let cached = at >= self.page_at && end <= self.page_at + self.page.len() as u64;
        if !cached {
            if n > PAGE {
                return self
                    .src
                    .read_exact_at(at, n)
                    .map_err(|e| Stop::Truncated(format!("{what} at offset {at}: {e}")));
            }
            let page_len = (self.len - at).min(PAGE as u64) as usize;
            self.page = self
                .src
                .read_exact_at(at, page_len)
                .map_err(|e| Stop::Truncated(format!("{what} at offset {at}: {e}")))?;
            self.page_at = at;
        }
        let start = (at - self.page_at) as usize;
        Ok(self.page[start..start + n].to_vec())
    }

    pub(crate) fn uint(&mut self, at: u64, n: usize, what: &str) -> Result<u64> {
        let b = self.bytes(at, n, what)?;
        Ok(b.iter()
            .rev()
            .fold(0u64, |acc, &x| (acc << 8) | u64::from(x)))
    }

    /// The position an unsigned 32-bit offset stored at `at` points to.
    pub(crate) fn follow(&mut self, at: u64, what: &str) -> Result<u64> {
        let off = self.uint(at, 4, what)?;
        let target = at + off;
        if target >= self.len {
            return truncated(format!(
                "{what} at offset {at} points past the end of the file ({target})"
            ));
        }
        Ok(target)
    }

    pub(crate) fn table(&mut self, at: u64, what: &str) -> Result<Table> {
        let soffset = self.uint(at, 4, what)? as u32 as i32;
        let Some(vtable) =
            u64::try_from(i64::try_from(at).unwrap_or(i64::MAX) - i64::from(soffset))
                .ok()
                .filter(|v| *v < self.len)
        else {
            return truncated(format!("{what} at offset {at}: vtable outside the file"));
        };
        let vsize = self.uint(vtable, 2, what)? as usize;
        if vsize < 4 || !vsize.is_multiple_of(2) {
            return malformed(format!("{what} at offset {at}: vtable of {vsize} bytes"));
        }
        let raw = self.bytes(vtable, vsize, what)?;
        let fields = raw[4..]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        Ok(Table { at, fields })
    }

    /// Where field `i` of `t` is stored, if present.
    pub(crate) fn field(&self, t: &Table, i: usize) -> Option<u64> {
        t.fields
            .get(i)
            .filter(|&&off| off != 0)
            .map(|&off| t.at + u64::from(off))
    }

    pub(crate) fn scalar(
        &mut self,
        t: &Table,
        i: usize,
        n: usize,
        what: &str,
    ) -> Result<Option<u64>> {
        match self.field(t, i) {
            Some(at) => self.uint(at, n, what).map(Some),
            None => Ok(None),
        }
    }

    /// A vector field: where its elements start and how many there are, checked to fit
    /// `element` bytes each.
    pub(crate) fn vector(
        &mut self,
        t: &Table,
        i: usize,
        element: u64,
        what: &str,
    ) -> Result<Option<(u64, u64)>> {
        let Some(at) = self.field(t, i) else {
            return Ok(None);
        };
        let start = self.follow(at, what)?;
        let count = self.uint(start, 4, what)?;
        let data = start + 4;
        if count.saturating_mul(element) > self.len.saturating_sub(data) {
            return truncated(format!(
                "{what} at offset {start}: {count} elements of {element} bytes run past the end of the file"
            ));
        }
        Ok(Some((data, count)))
    }

    pub(crate) fn string(&mut self, t: &Table, i: usize, what: &str) -> Result<Option<String>> {
        let Some((data, len)) = self.vector(t, i, 1, what)? else {
            return Ok(None);
        };
        let shown = len.min(MAX_NAME_CHARS as u64 * 4) as usize;
        let bytes = self.bytes(data, shown, what)?;
        Ok(Some(display_string(&bytes, MAX_NAME_CHARS)))
    }

    /// Element `k` of a vector of tables starting at `data`.
    pub(crate) fn element(&mut self, data: u64, k: u64, what: &str) -> Result<Table> {
        let at = self.follow(data + 4 * k, what)?;
        self.table(at, what)
    }
}
