//! A small, bounded reader of the root group's attributes of an HDF5 file: what Keras
//! legacy `.h5` models keep their code-bearing config in (`model_config`,
//! `training_config`, `keras_version`, `backend`).
//!
//! Written from the HDF5 File Format Specification version 3. Supported: superblock
//! versions 0 to 3 (found at offset 0, 512, 1024, 2048, ...; addresses are relative to
//! where it was found, as the HDF5 library does), sizes of offsets and lengths of 2, 4 or
//! 8 bytes, object headers of version 1 and 2 with their continuation blocks, attribute
//! messages of versions 1 to 3, fixed-length strings, variable-length strings (read from
//! global heap collections), scalar, simple (flattened to a list) and null dataspaces.
//! Not supported (reported as [`Hdf5Error::Unsupported`]): attributes in dense storage
//! (fractal heap), shared attribute messages and shared datatypes or dataspaces inside
//! them. Other datatypes (numbers, compounds, ...) are reported by class, not decoded.
//!
//! Every read is bounds-checked against the file; the number of object header messages
//! and continuation blocks is bounded by [`limits::MAX_HDF5_MESSAGES`] (a continuation
//! block seen twice is a loop, hence malformed), and everything read for attributes
//! (attribute messages, global heap collections, variable-length values) by one budget
//! of [`limits::MAX_HDF5_ATTRIBUTE_BYTES`] per call, so overlapping structures cannot
//! multiply the work. A value whose declared size exceeds the limit is reported before
//! anything is read for it. Nothing recurses.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;

use crate::limits::{self, LimitHit};
use crate::source::ReadAt;

pub(crate) mod walk;

/// The root group's attributes, in object header order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Hdf5Root {
    pub superblock_version: u8,
    /// Absolute end-of-file address the superblock records; a shorter file was cut off.
    pub end_of_file: u64,
    pub attributes: Vec<Attribute>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Attribute {
    pub name: String,
    pub value: AttrValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum AttrValue {
    /// A fixed- or variable-length string with a scalar dataspace or exactly one element.
    /// Fixed-length strings lose their padding as the HDF5 library reads them: up to the
    /// first NUL (null-terminated), without trailing NULs (null-padded) or trailing spaces
    /// (space-padded). Variable-length strings are returned exactly as stored.
    Text(Vec<u8>),
    /// Strings with a simple dataspace of any other number of elements (flattened in
    /// storage order) or a null dataspace (empty).
    TextList(Vec<Vec<u8>>),
    /// Any other datatype, by its class number (0 fixed-point, 1 floating-point, 6
    /// compound, 9 variable-length sequence, 10 array, ...): not decoded.
    Other { class: u8 },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Hdf5Error {
    /// A named limit was reached.
    Limit(LimitHit),
    /// The bytes are not a valid HDF5 file (truncated, out-of-range address, loop ...).
    Malformed(String),
    /// Valid HDF5 that this reader does not decode.
    Unsupported(String),
}

impl fmt::Display for Hdf5Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Hdf5Error::Limit(hit) => write!(f, "HDF5: {}", hit.describe()),
            Hdf5Error::Malformed(m) => write!(f, "malformed HDF5: {m}"),
            Hdf5Error::Unsupported(m) => write!(f, "unsupported HDF5: {m}"),
        }
    }
}

impl std::error::Error for Hdf5Error {}

type Result<T> = std::result::Result<T, Hdf5Error>;

fn malformed<T>(msg: impl Into<String>) -> Result<T> {
    Err(Hdf5Error::Malformed(msg.into()))
}

fn unsupported<T>(msg: impl Into<String>) -> Result<T> {
    Err(Hdf5Error::Unsupported(msg.into()))
}

/// The format signature, at offset 0 or a power of two from 512 on.
const SIGNATURE: &[u8; 8] = b"\x89HDF\r\n\x1a\n";
/// First non-zero offset searched for the signature (the smallest user block).
const FIRST_USER_BLOCK: u64 = 512;
/// The specification's largest dataspace rank.
const MAX_RANK: usize = 32;

/// Message types read from the root object header.
const MSG_ATTRIBUTE: u16 = 0x000C;
const MSG_CONTINUATION: u16 = 0x0010;
const MSG_ATTRIBUTE_INFO: u16 = 0x0015;
/// Object header message flag: the message is stored in the shared message table or in
/// another object header.
const MSG_FLAG_SHARED: u8 = 0x02;

/// Datatype classes decoded here.
const CLASS_STRING: u8 = 3;
const CLASS_VLEN: u8 = 9;

/// Reads the root group's attributes of the HDF5 file in `src`.
#[cfg(test)]
pub(crate) fn read_root_attributes(src: &dyn ReadAt) -> std::result::Result<Hdf5Root, Hdf5Error> {
    read_root_attributes_keeping(src).1
}

/// As [`read_root_attributes`], and on an error also the attributes decoded before it:
/// what a file said before it broke still counts.
pub(crate) fn read_root_attributes_keeping(
    src: &dyn ReadAt,
) -> (Vec<Attribute>, std::result::Result<Hdf5Root, Hdf5Error>) {
    let mut reader = Reader::new(src);
    let result = reader.read_root();
    (std::mem::take(&mut reader.decoded), result)
}

/// Estimated bytes of one decoded string besides its text (its vector and allocation),
/// charged to the attribute budget so that a million one-byte strings cost what they take.
const STRING_ELEMENT_BYTES: u64 = 48;

/// A byte slice read with bounds checks; `what` names the structure in errors.
struct Cur<'b> {
    b: &'b [u8],
    pos: usize,
    what: &'static str,
}

impl<'b> Cur<'b> {
    fn new(b: &'b [u8], what: &'static str) -> Self {
        Cur { b, pos: 0, what }
    }

    fn take(&mut self, n: usize) -> Result<&'b [u8]> {
        match self.pos.checked_add(n) {
            Some(end) if end <= self.b.len() => {
                let s = &self.b[self.pos..end];
                self.pos = end;
                Ok(s)
            }
            _ => malformed(format!(
                "{} is truncated ({} bytes, {} more needed at byte {})",
                self.what,
                self.b.len(),
                n,
                self.pos
            )),
        }
    }

    fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    fn u16(&mut self) -> Result<u16> {
        Ok(uint(self.take(2)?) as u16)
    }

    fn u32(&mut self) -> Result<u32> {
        Ok(uint(self.take(4)?) as u32)
    }

    /// A little-endian unsigned integer of `n` (2, 4 or 8) bytes.
    fn uint(&mut self, n: usize) -> Result<u64> {
        Ok(uint(self.take(n)?))
    }

    /// An address of `n` bytes; `None` for the undefined address (all bits set).
    fn addr(&mut self, n: usize) -> Result<Option<u64>> {
        let b = self.take(n)?;
        if b.iter().all(|&x| x == 0xFF) {
            Ok(None)
        } else {
            Ok(Some(uint(b)))
        }
    }

    /// The bytes not read yet, without consuming them.
    fn rest_peek(&self) -> &'b [u8] {
        &self.b[self.pos..]
    }

    fn rest(&mut self) -> &'b [u8] {
        let s = &self.b[self.pos..];
        self.pos = self.b.len();
        s
    }
}

/// Little-endian value of up to 8 bytes.
fn uint(b: &[u8]) -> u64 {
    b.iter()
        .take(8)
        .rev()
        .fold(0u64, |acc, &x| (acc << 8) | u64::from(x))
}

fn pad8(n: usize) -> usize {
    n.div_ceil(8).saturating_mul(8)
}

/// How an object header chunk lays out its messages.
#[derive(Clone, Copy, PartialEq, Eq)]
enum HeaderKind {
    /// Version 1: 8-byte message headers with 2-byte types, 8-byte aligned.
    V1,
    /// Version 2: 4-byte message headers (6 with creation order) and 1-byte types.
    V2 { creation_order: bool },
}

/// A global heap collection read into memory: its bytes and where each object lies.
struct Collection {
    bytes: Vec<u8>,
    objects: HashMap<u16, (usize, usize)>,
}

struct Reader<'a> {
    src: &'a dyn ReadAt,
    len: u64,
    /// Absolute file offset that addresses are relative to (where the superblock is).
    base: u64,
    size_of_offsets: usize,
    size_of_lengths: usize,
    /// Object header messages and continuation blocks seen in the current object.
    messages: usize,
    /// Object header messages, continuation blocks and group entries seen in the file.
    total_messages: usize,
    /// Bytes that may still be read for attributes ([`limits::MAX_HDF5_ATTRIBUTE_BYTES`]).
    budget: u64,
    heaps: HashMap<u64, Collection>,
    /// Local heap data segments read by the group walk, by address.
    local_heaps: HashMap<u64, Vec<u8>>,
    /// Bytes that may still be read for local heaps ([`limits::MAX_HDF5_HEAP_BYTES`]).
    heap_budget: u64,
    /// One past the highest byte read (tests check truncation against it).
    max_end: u64,
    /// Attributes decoded so far.
    decoded: Vec<Attribute>,
}

impl<'a> Reader<'a> {
    fn new(src: &'a dyn ReadAt) -> Self {
        Reader {
            src,
            len: src.len(),
            base: 0,
            size_of_offsets: 8,
            size_of_lengths: 8,
            messages: 0,
            total_messages: 0,
            budget: limits::MAX_HDF5_ATTRIBUTE_BYTES,
            heaps: HashMap::new(),
            local_heaps: HashMap::new(),
            heap_budget: limits::MAX_HDF5_HEAP_BYTES,
            max_end: 0,
            decoded: Vec::new(),
        }
    }

    /// Reads `len` bytes at absolute offset `at`; `what` names the structure.
    fn read(&mut self, what: &str, at: u64, len: usize) -> Result<Vec<u8>> {
        let end = match at.checked_add(len as u64) {
            Some(end) if end <= self.len => end,
            _ => {
                return malformed(format!(
                    "{what} at offset {at} ({len} bytes) runs past the end of the file ({} bytes)",
                    self.len
                ))
            }
        };
        let bytes = self
            .src
            .read_exact_at(at, len)
            .map_err(|e| Hdf5Error::Malformed(format!("{what} at offset {at}: {e}")))?;
        self.max_end = self.max_end.max(end);
        Ok(bytes)
    }

    /// Checks that `len` bytes at `at` lie inside the file without reading them.
    fn require(&mut self, what: &str, at: u64, len: u64) -> Result<()> {
        match at.checked_add(len) {
            Some(end) if end <= self.len => {
                self.max_end = self.max_end.max(end);
                Ok(())
            }
            _ => malformed(format!(
                "{what} at offset {at} ({len} bytes) runs past the end of the file ({} bytes)",
                self.len
            )),
        }
    }

    /// Absolute offset of a relative address.
    fn abs(&self, what: &str, addr: Option<u64>) -> Result<u64> {
        let Some(rel) = addr else {
            return malformed(format!("{what} address is undefined"));
        };
        match self.base.checked_add(rel) {
            Some(a) if a < self.len => Ok(a),
            _ => malformed(format!(
                "{what} address {rel} (base {}) is outside the file ({} bytes)",
                self.base, self.len
            )),
        }
    }

    /// Takes `n` bytes from the attribute budget.
    fn charge(&mut self, n: u64) -> Result<()> {
        match self.budget.checked_sub(n) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(Hdf5Error::Limit(LimitHit::Hdf5AttributeBytes)),
        }
    }

    fn count_message(&mut self) -> Result<()> {
        self.messages += 1;
        self.total_messages += 1;
        if self.total_messages > limits::MAX_HDF5_WALK_MESSAGES {
            return Err(Hdf5Error::Limit(LimitHit::Hdf5WalkMessages));
        }
        if self.messages > limits::MAX_HDF5_MESSAGES {
            return Err(Hdf5Error::Limit(LimitHit::Hdf5Messages));
        }
        Ok(())
    }

    fn find_signature(&mut self) -> Result<u64> {
        let mut at = 0u64;
        loop {
            if at
                .checked_add(SIGNATURE.len() as u64)
                .is_none_or(|e| e > self.len)
            {
                return malformed("no HDF5 signature at offset 0 or at a power of two from 512 on");
            }
            if self.read("signature", at, SIGNATURE.len())? == SIGNATURE {
                return Ok(at);
            }
            at = if at == 0 {
                FIRST_USER_BLOCK
            } else {
                match at.checked_mul(2) {
                    Some(next) => next,
                    None => return malformed("no HDF5 signature"),
                }
            };
        }
    }

    fn set_sizes(&mut self, offsets: u8, lengths: u8) -> Result<()> {
        for (what, n) in [("offsets", offsets), ("lengths", lengths)] {
            if !matches!(n, 2 | 4 | 8) {
                return unsupported(format!("superblock: size of {what} {n}"));
            }
        }
        self.size_of_offsets = usize::from(offsets);
        self.size_of_lengths = usize::from(lengths);
        Ok(())
    }

    /// Parses the superblock; returns its version and the root object header address.
    fn superblock(&mut self) -> Result<(u8, u64, u64)> {
        let at = self.find_signature()?;
        self.base = at;
        let head = self.read("superblock", at, 16)?;
        let version = head[8];
        let (eof, root) = match version {
            0 | 1 => {
                self.set_sizes(head[13], head[14])?;
                let so = self.size_of_offsets;
                // 24 fixed bytes (28 in version 1), four addresses, then the root group's
                // symbol table entry (link name offset, object header address, cache).
                let fixed = if version == 0 { 24 } else { 28 };
                let total = fixed + 4 * so + 2 * so + 24;
                let sb = self.read("superblock", at, total)?;
                let mut c = Cur::new(&sb, "superblock");
                c.take(fixed)?;
                let _stored_base = c.addr(so)?;
                let _free_space = c.addr(so)?;
                let eof = c.addr(so)?;
                let _driver = c.addr(so)?;
                let _link_name = c.uint(so)?;
                (eof, c.addr(so)?)
            }
            2 | 3 => {
                self.set_sizes(head[9], head[10])?;
                let so = self.size_of_offsets;
                let total = 12 + 4 * so + 4;
                let sb = self.read("superblock", at, total)?;
                let mut c = Cur::new(&sb, "superblock");
                c.take(12)?;
                let _stored_base = c.addr(so)?;
                let _extension = c.addr(so)?;
                let eof = c.addr(so)?;
                (eof, c.addr(so)?)
            }
            v => return unsupported(format!("superblock version {v}")),
        };
        let root = self.abs("root group object header", root)?;
        Ok((
            version,
            root,
            // The one address the specification stores as absolute: a file with a user
            // block records its whole length here (h5py 3.16 with HDF5 2.0.0 does).
            eof.unwrap_or(0),
        ))
    }

    fn read_root(&mut self) -> Result<Hdf5Root> {
        let (superblock_version, root, end_of_file) = self.superblock()?;
        self.object_attributes(root)?;
        Ok(Hdf5Root {
            superblock_version,
            end_of_file,
            attributes: std::mem::take(&mut self.decoded),
        })
    }

    /// Decodes every attribute message of the object header at `at` (absolute), in order.
    /// The attributes decoded before an error are kept in `decoded`.
    fn object_attributes(&mut self, at: u64) -> Result<()> {
        let (messages, error) = self.object_messages(at);
        for m in messages {
            match m.mtype {
                MSG_ATTRIBUTE => {
                    if m.flags & MSG_FLAG_SHARED != 0 {
                        return unsupported("shared attribute message");
                    }
                    self.charge(m.size)?;
                    let bytes = self.read("attribute message", m.data, m.size as usize)?;
                    let attribute = self.attribute(&bytes)?;
                    self.decoded.push(attribute);
                }
                MSG_ATTRIBUTE_INFO => {
                    let bytes = self.read("attribute info message", m.data, m.size as usize)?;
                    self.attribute_info(&bytes)?;
                }
                _ => {}
            }
        }
        error.map_or(Ok(()), Err)
    }

    /// The messages of the object header at `at` (absolute) and of its continuation
    /// blocks, in order; continuation messages are followed, not returned. On an error,
    /// the messages found before it come with it.
    fn object_messages(&mut self, at: u64) -> (Vec<Message>, Option<Hdf5Error>) {
        let mut messages = Vec::new();
        self.messages = 0;
        let error = self.collect_messages(at, &mut messages).err();
        (messages, error)
    }

    fn collect_messages(&mut self, at: u64, messages: &mut Vec<Message>) -> Result<()> {
        let sig = self.read("object header", at, 4)?;
        let (kind, first) = if sig == b"OHDR" {
            let pre = self.read("object header (version 2)", at, 6)?;
            if pre[4] != 2 {
                return unsupported(format!("object header version {}", pre[4]));
            }
            let flags = pre[5];
            if flags & 0xC0 != 0 {
                return malformed(format!("object header: unknown flags {flags:#04x}"));
            }
            let mut start = at + 6;
            if flags & 0x20 != 0 {
                start += 16; // access, modification, change and birth times
            }
            if flags & 0x10 != 0 {
                start += 4; // maximum compact and minimum dense attribute counts
            }
            let width = 1usize << (flags & 0x03);
            let size_bytes = self.read("object header (version 2)", start, width)?;
            let size = uint(&size_bytes);
            let start = start + width as u64;
            // The chunk's messages and gap are followed by a 4-byte checksum.
            self.require("object header chunk 0", start, size.saturating_add(4))?;
            let kind = HeaderKind::V2 {
                creation_order: flags & 0x04 != 0,
            };
            (kind, (start, size, "object header chunk 0"))
        } else {
            let pre = self.read("object header (version 1)", at, 16)?;
            if pre[0] != 1 {
                return malformed(format!(
                    "object header at offset {at}: neither version 1 nor \"OHDR\" (first byte {})",
                    pre[0]
                ));
            }
            let size = uint(&pre[8..12]);
            (HeaderKind::V1, (at + 16, size, "object header (version 1)"))
        };

        let mut chunks = VecDeque::new();
        let mut seen = HashSet::new();
        seen.insert(at);
        seen.insert(first.0);
        chunks.push_back(first);
        // Chunks never share bytes in a file the library writes; overlapping ones would
        // make the same messages decode again and again.
        let mut spans: BTreeMap<u64, u64> = BTreeMap::new();
        while let Some((start, size, what)) = chunks.pop_front() {
            self.require(what, start, size)?;
            let end = start + size;
            let before = spans.range(..=start).next_back().map(|(_, &e)| e);
            let after = spans.range(start..).next().map(|(&s, _)| s);
            if before.is_some_and(|e| e > start) || after.is_some_and(|s| s < end) {
                return malformed(format!(
                    "{what} at offset {start} ({size} bytes) overlaps another chunk of the object header"
                ));
            }
            spans.insert(start, end);
            let mut pos = start;
            let header_len: u64 = match kind {
                HeaderKind::V1 => 8,
                HeaderKind::V2 { creation_order } => 4 + 2 * u64::from(creation_order),
            };
            while end - pos >= header_len {
                self.count_message()?;
                let h = self.read("object header message", pos, header_len as usize)?;
                let (mtype, msize, mflags) = match kind {
                    HeaderKind::V1 => (uint(&h[0..2]) as u16, uint(&h[2..4]), h[4]),
                    HeaderKind::V2 { .. } => (u16::from(h[0]), uint(&h[1..3]), h[3]),
                };
                let data = pos + header_len;
                if kind == HeaderKind::V1 && msize % 8 != 0 {
                    return malformed(format!(
                        "object header message at offset {pos}: size {msize} is not a multiple of 8"
                    ));
                }
                if end - data < msize {
                    return malformed(format!(
                        "object header message at offset {pos} ({msize} bytes) runs past its chunk"
                    ));
                }
                pos = data + msize;
                match mtype {
                    MSG_CONTINUATION => {
                        let m = self.read("continuation message", data, msize as usize)?;
                        let mut c = Cur::new(&m, "continuation message");
                        let addr = c.addr(self.size_of_offsets)?;
                        let len = c.uint(self.size_of_lengths)?;
                        let abs = self.abs("continuation block", addr)?;
                        if !seen.insert(abs) {
                            return malformed(format!(
                                "object header continuation loop (block at offset {abs} seen twice)"
                            ));
                        }
                        self.count_message()?;
                        match kind {
                            HeaderKind::V1 => chunks.push_back((abs, len, "continuation block")),
                            HeaderKind::V2 { .. } => {
                                if len < 8 {
                                    return malformed(format!(
                                        "OCHK continuation chunk at offset {abs}: length {len}"
                                    ));
                                }
                                let sig = self.read("OCHK continuation chunk", abs, 4)?;
                                if sig != b"OCHK" {
                                    return malformed(format!(
                                        "continuation chunk at offset {abs} lacks the OCHK signature"
                                    ));
                                }
                                chunks.push_back((abs + 4, len - 8, "OCHK continuation chunk"));
                            }
                        }
                    }
                    _ => messages.push(Message {
                        mtype,
                        flags: mflags,
                        data,
                        size: msize,
                    }),
                }
            }
        }
        Ok(())
    }

    /// The attribute info message: dense storage (a fractal heap) is not read.
    fn attribute_info(&self, m: &[u8]) -> Result<()> {
        let mut c = Cur::new(m, "attribute info message");
        let version = c.u8()?;
        if version != 0 {
            return unsupported(format!("attribute info message version {version}"));
        }
        let flags = c.u8()?;
        if flags & 0x01 != 0 {
            c.u16()?; // maximum creation index
        }
        let heap = c.addr(self.size_of_offsets)?;
        if heap.is_some() {
            return unsupported("attributes in dense storage (fractal heap)");
        }
        Ok(())
    }

    fn attribute(&mut self, m: &[u8]) -> Result<Attribute> {
        let mut c = Cur::new(m, "attribute message");
        let version = c.u8()?;
        let flags = c.u8()?;
        let name_size = usize::from(c.u16()?);
        let dt_size = usize::from(c.u16()?);
        let ds_size = usize::from(c.u16()?);
        let (name, dt, ds) = match version {
            1 => {
                let name = &c.take(pad8(name_size))?[..name_size];
                let dt = &c.take(pad8(dt_size))?[..dt_size];
                let ds = &c.take(pad8(ds_size))?[..ds_size];
                (name, dt, ds)
            }
            2 | 3 => {
                if flags & 0x03 != 0 {
                    return unsupported("attribute with a shared datatype or dataspace");
                }
                if flags & !0x03 != 0 {
                    return malformed(format!("attribute message: unknown flags {flags:#04x}"));
                }
                if version == 3 {
                    let charset = c.u8()?;
                    if charset > 1 {
                        return malformed(format!(
                            "attribute message: name character set {charset}"
                        ));
                    }
                }
                (c.take(name_size)?, c.take(dt_size)?, c.take(ds_size)?)
            }
            v => return unsupported(format!("attribute message version {v}")),
        };
        let name_len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
        let name = String::from_utf8_lossy(&name[..name_len]).into_owned();
        let data = c.rest();

        let mut t = Cur::new(dt, "attribute datatype");
        let class_version = t.u8()?;
        let (class, dt_version) = (class_version & 0x0F, class_version >> 4);
        if dt_version == 0 {
            return malformed(format!("attribute {name:?}: datatype version 0"));
        }
        let bits = t.take(3)?;
        let size = u64::from(t.u32()?);
        let elements = self.dataspace(ds, &name)?;
        let value = match class {
            CLASS_STRING => {
                if size == 0 {
                    return malformed(format!("attribute {name:?}: string of size 0"));
                }
                let padding = bits[0] & 0x0F;
                if padding > 2 {
                    return malformed(format!("attribute {name:?}: string padding {padding}"));
                }
                let strings = self.fixed_strings(data, elements, size, padding, &name)?;
                shape(strings, elements)
            }
            CLASS_VLEN if bits[0] & 0x0F == 1 => {
                let strings = self.vlen_strings(data, elements, &name)?;
                shape(strings, elements)
            }
            _ => AttrValue::Other { class },
        };
        Ok(Attribute { name, value })
    }

    /// Number of elements of a dataspace: `Elements::Scalar`, a simple extent's product,
    /// or `Elements::Null`.
    fn dataspace(&self, ds: &[u8], name: &str) -> Result<Elements> {
        let mut c = Cur::new(ds, "attribute dataspace");
        let version = c.u8()?;
        let rank = usize::from(c.u8()?);
        let flags = c.u8()?;
        let kind = match version {
            1 => {
                c.take(5)?; // reserved
                if rank == 0 {
                    0
                } else {
                    1
                }
            }
            2 => c.u8()?,
            v => return unsupported(format!("attribute {name:?}: dataspace version {v}")),
        };
        if rank > MAX_RANK {
            return malformed(format!("attribute {name:?}: dataspace rank {rank}"));
        }
        let mut count: u64 = 1;
        for _ in 0..rank {
            count = count.saturating_mul(c.uint(self.size_of_lengths)?);
        }
        if flags & 0x01 != 0 {
            for _ in 0..rank {
                c.uint(self.size_of_lengths)?; // maximum dimension sizes
            }
        }
        match (kind, rank) {
            (0, 0) => Ok(Elements::Scalar),
            (1, 1..) => Ok(Elements::Simple(count)),
            (2, 0) => Ok(Elements::Null),
            _ => malformed(format!(
                "attribute {name:?}: dataspace type {kind} with rank {rank}"
            )),
        }
    }

    /// The attribute's data for `elements` elements of `size` bytes each, after the limit
    /// check.
    fn element_bytes<'d>(
        &self,
        data: &'d [u8],
        elements: Elements,
        size: u64,
        name: &str,
    ) -> Result<&'d [u8]> {
        let total = elements.count().saturating_mul(size);
        if total > limits::MAX_HDF5_ATTRIBUTE_BYTES {
            return Err(Hdf5Error::Limit(LimitHit::Hdf5AttributeBytes));
        }
        if total > data.len() as u64 {
            return malformed(format!(
                "attribute {name:?}: {} bytes of data where {} elements of {size} bytes need {total}",
                data.len(),
                elements.count()
            ));
        }
        Ok(&data[..total as usize])
    }

    fn fixed_strings(
        &mut self,
        data: &[u8],
        elements: Elements,
        size: u64,
        padding: u8,
        name: &str,
    ) -> Result<Vec<Vec<u8>>> {
        let bytes = self.element_bytes(data, elements, size, name)?;
        self.charge(elements.count().saturating_mul(STRING_ELEMENT_BYTES))?;
        // size <= total <= data.len() unless there are no elements
        let size = usize::try_from(size).unwrap_or(usize::MAX).max(1);
        Ok(bytes
            .chunks(size)
            .map(|s| {
                let s = match padding {
                    0 => &s[..s.iter().position(|&b| b == 0).unwrap_or(s.len())],
                    1 => &s[..s.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1)],
                    _ => &s[..s.iter().rposition(|&b| b != b' ').map_or(0, |i| i + 1)],
                };
                s.to_vec()
            })
            .collect())
    }

    fn vlen_strings(
        &mut self,
        data: &[u8],
        elements: Elements,
        name: &str,
    ) -> Result<Vec<Vec<u8>>> {
        let so = self.size_of_offsets;
        let size = (4 + so + 4) as u64;
        let bytes = self.element_bytes(data, elements, size, name)?;
        self.charge(elements.count().saturating_mul(STRING_ELEMENT_BYTES))?;
        let mut out = Vec::new();
        for e in bytes.chunks(size as usize) {
            let mut c = Cur::new(e, "variable-length string");
            let len = u64::from(c.u32()?);
            let collection = c.addr(so)?;
            let index = c.u32()?;
            if len == 0 {
                out.push(Vec::new());
                continue;
            }
            self.charge(len)?;
            out.push(self.heap_object(collection, index, len, name)?);
        }
        Ok(out)
    }

    /// The first `len` bytes of global heap object `index` of the collection at `addr`.
    fn heap_object(
        &mut self,
        addr: Option<u64>,
        index: u32,
        len: u64,
        name: &str,
    ) -> Result<Vec<u8>> {
        let at = self.abs("global heap collection", addr)?;
        if !self.heaps.contains_key(&at) {
            let collection = self.collection(at)?;
            self.heaps.insert(at, collection);
        }
        let found = self.heaps.get(&at).and_then(|c| {
            u16::try_from(index)
                .ok()
                .and_then(|i| c.objects.get(&i))
                .map(|&(start, size)| (c, start, size))
        });
        let Some((c, start, size)) = found else {
            return malformed(format!(
                "attribute {name:?}: global heap object {index} not found in the collection at offset {at}"
            ));
        };
        if len > size as u64 {
            return malformed(format!(
                "attribute {name:?}: string of {len} bytes in a global heap object of {size}"
            ));
        }
        Ok(c.bytes[start..start + len as usize].to_vec())
    }

    /// Reads a global heap collection ("GCOL") and indexes its objects.
    fn collection(&mut self, at: u64) -> Result<Collection> {
        let sl = self.size_of_lengths;
        // The collection header and each object header are padded to 8 bytes.
        let header = pad8(8 + sl);
        let head = self.read("global heap collection", at, header)?;
        let mut c = Cur::new(&head, "global heap collection");
        if c.take(4)? != b"GCOL" {
            return malformed(format!(
                "global heap collection at offset {at} lacks the GCOL signature"
            ));
        }
        let version = c.u8()?;
        if version != 1 {
            return unsupported(format!("global heap collection version {version}"));
        }
        c.take(3)?;
        let size = c.uint(sl)?;
        if size < header as u64 {
            return malformed(format!(
                "global heap collection at offset {at}: size {size}"
            ));
        }
        self.require("global heap collection", at, size)?;
        self.charge(size)?;
        let bytes = self.read("global heap collection", at, size as usize)?;
        let mut objects = HashMap::new();
        let object_header = pad8(8 + sl);
        let mut pos = header;
        while bytes.len() - pos >= object_header {
            let mut o = Cur::new(&bytes[pos..pos + object_header], "global heap object");
            let index = o.u16()?;
            o.take(6)?; // reference count, reserved
            let size = o.uint(sl)?;
            if index == 0 {
                break; // free space: the rest of the collection
            }
            let start = pos + object_header;
            let fits = usize::try_from(size)
                .ok()
                .filter(|&s| s <= bytes.len() - start);
            let Some(size) = fits else {
                return malformed(format!(
                    "global heap object {index} at offset {} ({size} bytes) runs past its collection",
                    at + pos as u64
                ));
            };
            objects.entry(index).or_insert((start, size));
            pos = start.saturating_add(pad8(size)).min(bytes.len());
        }
        Ok(Collection { bytes, objects })
    }
}

/// One object header message: its type, flags, and where its data lies (absolute).
#[derive(Debug, Clone, Copy)]
struct Message {
    mtype: u16,
    flags: u8,
    data: u64,
    size: u64,
}

#[derive(Clone, Copy)]
enum Elements {
    Scalar,
    Simple(u64),
    Null,
}

impl Elements {
    fn count(self) -> u64 {
        match self {
            Elements::Scalar => 1,
            Elements::Simple(n) => n,
            Elements::Null => 0,
        }
    }
}

/// A scalar or one-element string is `Text`; anything else a `TextList`.
fn shape(mut strings: Vec<Vec<u8>>, elements: Elements) -> AttrValue {
    match elements {
        Elements::Scalar | Elements::Simple(1) if strings.len() == 1 => {
            AttrValue::Text(strings.pop().unwrap_or_default())
        }
        _ => AttrValue::TextList(strings),
    }
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Hdf5,
    role: crate::format::Role::Model,
    access: crate::format::Access::RandomAccess,
    head: |b, _| walk::has_signature(b).then_some(crate::format::Evidence::Magic),
    tail: None,
    claimed_by: &["h5", "hdf5"],
    exclusive_names: &["h5", "hdf5"],
    parse: crate::format::Parser::RandomAccess(crate::formats::keras::check_hdf5_model_into),
};

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    fn fixture_dir() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/formats/hdf5")
    }

    fn load(name: &str) -> Vec<u8> {
        std::fs::read(fixture_dir().join(name)).expect("run testdata/generate.py")
    }

    fn read(name: &str) -> Hdf5Root {
        read_root_attributes(&load(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
    }

    fn get<'r>(root: &'r Hdf5Root, name: &str) -> &'r AttrValue {
        &root
            .attributes
            .iter()
            .find(|a| a.name == name)
            .unwrap_or_else(|| panic!("no attribute {name} in {root:?}"))
            .value
    }

    fn text(s: &str) -> AttrValue {
        AttrValue::Text(s.as_bytes().to_vec())
    }

    fn list(items: &[&str]) -> AttrValue {
        AttrValue::TextList(items.iter().map(|s| s.as_bytes().to_vec()).collect())
    }

    fn names(root: &Hdf5Root) -> Vec<&str> {
        root.attributes.iter().map(|a| a.name.as_str()).collect()
    }

    /// The model_config every Keras-like fixture carries (gen_hdf5.MODEL_CONFIG).
    fn assert_model_config(v: &AttrValue) {
        let AttrValue::Text(json) = v else {
            panic!("model_config is not text: {v:?}")
        };
        assert_eq!(json.len(), 481);
        let parsed: serde_json::Value = serde_json::from_slice(json).expect("model_config JSON");
        assert_eq!(parsed["class_name"], "Sequential");
        assert_eq!(parsed["config"]["layers"][1]["class_name"], "Dense");
    }

    #[test]
    fn fixed_strings_in_every_header_version() {
        for (name, version) in [
            ("h5_sb0_fixed_strings.h5", 0),
            ("h5_sb3_fixed_strings.h5", 3),
        ] {
            let root = read(name);
            assert_eq!(root.superblock_version, version, "{name}");
            // Object header order: the library reuses free space, so it is not always the
            // order of creation.
            let mut n = names(&root);
            n.sort();
            assert_eq!(
                n,
                [
                    "backend",
                    "keras_version",
                    "model_config",
                    "training_config"
                ],
                "{name}"
            );
            assert_eq!(get(&root, "backend"), &text("tensorflow"));
            assert_eq!(get(&root, "keras_version"), &text("2.15.0"));
            assert_model_config(get(&root, "model_config"));
            let AttrValue::Text(tc) = get(&root, "training_config") else {
                panic!("training_config")
            };
            let tc: serde_json::Value = serde_json::from_slice(tc).unwrap();
            assert_eq!(tc["loss"], "mse");
        }
    }

    #[test]
    fn variable_length_strings_from_the_global_heap() {
        for (name, version) in [("h5_sb0_vlen_strings.h5", 0), ("h5_sb2_vlen_strings.h5", 2)] {
            let root = read(name);
            assert_eq!(root.superblock_version, version, "{name}");
            assert_eq!(names(&root), ["keras_version", "model_config", "note"]);
            assert_eq!(get(&root, "keras_version"), &text("2.15.0"));
            assert_model_config(get(&root, "model_config"));
            assert_eq!(get(&root, "note"), &text("mod\u{e8}le \u{3b3}"));
        }
    }

    #[test]
    fn string_arrays_and_numbers() {
        for (name, version) in [
            ("h5_sb0_string_arrays.h5", 0),
            ("h5_sb3_string_arrays.h5", 3),
        ] {
            let root = read(name);
            assert_eq!(root.superblock_version, version, "{name}");
            assert_eq!(root.attributes.len(), 5, "{name}");
            assert_eq!(
                get(&root, "layer_names"),
                &list(&["dense", "dense_1", "dropout"])
            );
            assert_eq!(get(&root, "tags"), &list(&["alpha", "beta", "\u{3b3}"]));
            assert_eq!(get(&root, "one_name"), &text("only"));
            assert_eq!(get(&root, "epoch"), &AttrValue::Other { class: 0 });
            assert_eq!(get(&root, "lr"), &AttrValue::Other { class: 1 });
        }
    }

    #[test]
    fn continuation_blocks() {
        let root = read("h5_sb0_continuation.h5");
        assert_eq!(root.superblock_version, 0);
        assert_eq!(root.attributes.len(), 40);
        for i in 0..40 {
            let want = format!("value {i} ").repeat(10 + i);
            assert_eq!(
                get(&root, &format!("attr_{i:02}")),
                &text(&want),
                "attr_{i:02}"
            );
        }

        let data = load("h5_sb3_ochk_continuation.h5");
        assert!(data.windows(4).any(|w| w == b"OCHK"));
        let root = read_root_attributes(&data).unwrap();
        assert_eq!(root.superblock_version, 3);
        assert_eq!(root.attributes.len(), 8);
        assert_eq!(get(&root, "a0"), &text("first"));
        for i in 1..8u8 {
            let want = AttrValue::Text(vec![0x61 + i; 3000]);
            assert_eq!(get(&root, &format!("attr_{i:02}")), &want);
        }
    }

    #[test]
    fn dense_attribute_storage_is_unsupported() {
        let err = read_root_attributes(&load("h5_sb3_dense_attributes.h5")).unwrap_err();
        assert_eq!(
            err,
            Hdf5Error::Unsupported("attributes in dense storage (fractal heap)".into())
        );
    }

    #[test]
    fn small_offsets_user_block_and_creation_order() {
        for (name, version) in [
            ("h5_sb2_offsets4.h5", 2),
            ("h5_sb2_offsets2.h5", 2),
            ("h5_userblock512.h5", 0),
            ("h5_sb3_track_order.h5", 3),
        ] {
            let root = read(name);
            assert_eq!(root.superblock_version, version, "{name}");
            assert_eq!(names(&root), ["keras_version", "backend"], "{name}");
            assert_eq!(get(&root, "keras_version"), &text("2.15.0"));
            assert_eq!(get(&root, "backend"), &text("tensorflow"));
        }
        let data = load("h5_userblock512.h5");
        assert_ne!(&data[..8], SIGNATURE);
        assert_eq!(&data[512..520], SIGNATURE);
        // The end-of-file address is absolute, user block included.
        assert_eq!(read("h5_userblock512.h5").end_of_file, data.len() as u64);
    }

    #[test]
    fn plain_weights_have_no_text() {
        let root = read("h5_sb0_plain_weights.h5");
        assert_eq!(root.attributes.len(), 1);
        assert_eq!(get(&root, "epoch"), &AttrValue::Other { class: 0 });
    }

    /// The result and one past the highest byte the reader needed.
    fn read_with_extent(data: &Vec<u8>) -> (Result<Hdf5Root>, u64) {
        let mut r = Reader::new(data);
        let result = r.read_root();
        (result, r.max_end)
    }

    #[test]
    fn truncation_and_bit_flips_never_panic() {
        let start = Instant::now();
        let mut files: Vec<PathBuf> = std::fs::read_dir(fixture_dir())
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        assert!(files.len() >= 10);
        let mut runs = 0u64;
        for path in &files {
            let data = std::fs::read(path).unwrap();
            let (baseline, extent) = read_with_extent(&data);
            let name = path.display();
            assert!(extent > 0 && extent <= data.len() as u64, "{name}");
            let step = if extent <= 8192 { 1 } else { 7 };
            // Truncated before the last byte needed: malformed; after it: the same result.
            let ends = (0..=extent.min(data.len() as u64))
                .step_by(step)
                .chain([extent.saturating_sub(1), extent]);
            for end in ends {
                let cut = data[..end as usize].to_vec();
                let got = read_root_attributes(&cut);
                runs += 1;
                if end < extent {
                    assert!(
                        matches!(got, Err(Hdf5Error::Malformed(_))),
                        "{name} cut at {end}: {got:?}"
                    );
                } else {
                    assert_eq!(got, baseline, "{name} cut at {end}");
                }
            }
            // Single-byte changes: any result but a panic; after the extent, no change.
            let last = (extent as usize + 64).min(data.len());
            let mut copy = data.clone();
            for pos in (0..last).step_by(step) {
                for mask in [0xFFu8, 0x01, 0x80] {
                    copy[pos] ^= mask;
                    let got = read_root_attributes(&copy);
                    runs += 1;
                    if pos as u64 >= extent {
                        assert_eq!(got, baseline, "{name} flip at {pos}");
                    }
                    copy[pos] ^= mask;
                }
            }
        }
        let took = start.elapsed();
        // About 4 s in a debug build and under 1 s in release on one core.
        assert!(took < Duration::from_secs(15), "{runs} reads took {took:?}");
    }

    // ---- hand-built files for the paths h5py does not write

    const O: usize = 8;
    /// Where `file` puts the root object header (after a version 0 superblock).
    const ROOT: u64 = 96;

    fn le(v: u64, n: usize) -> Vec<u8> {
        v.to_le_bytes()[..n].to_vec()
    }

    /// A superblock (version 0 or 1, 8-byte offsets and lengths) and a version 1 root
    /// object header with these messages; `tail` is appended after it.
    fn file(version: u8, messages: &[(u16, u8, Vec<u8>)], tail: &[u8]) -> Vec<u8> {
        let mut f = SIGNATURE.to_vec();
        f.extend([version, 0, 0, 0, 0, O as u8, O as u8, 0]);
        f.extend(le(4, 2));
        f.extend(le(16, 2));
        f.extend(le(0, 4));
        if version == 1 {
            f.extend(le(32, 2));
            f.extend(le(0, 2));
        }
        let root = f.len() as u64 + 4 * O as u64 + 2 * O as u64 + 24;
        f.extend(le(0, O)); // base address
        f.extend([0xFF; O]); // free space
        f.extend(le(0, O)); // end of file (not checked)
        f.extend([0xFF; O]); // driver information
        f.extend(le(0, O)); // link name offset
        f.extend(le(root, O));
        f.extend([0; 24]);
        assert_eq!(f.len() as u64, root);
        let mut body = Vec::new();
        for (t, flags, data) in messages {
            let size = pad8(data.len());
            body.extend(le(u64::from(*t), 2));
            body.extend(le(size as u64, 2));
            body.extend([*flags, 0, 0, 0]);
            body.extend(data);
            body.resize(body.len() + size - data.len(), 0);
        }
        f.extend([1, 0]);
        f.extend(le(messages.len() as u64, 2));
        f.extend(le(1, 4));
        f.extend(le(body.len() as u64, 4));
        f.extend([0; 4]);
        f.extend(body);
        f.extend(tail);
        f
    }

    /// A version 1 attribute message.
    fn attribute_v1(name: &str, datatype: &[u8], dataspace: &[u8], data: &[u8]) -> Vec<u8> {
        let mut m = vec![1, 0];
        m.extend(le(name.len() as u64 + 1, 2));
        m.extend(le(datatype.len() as u64, 2));
        m.extend(le(dataspace.len() as u64, 2));
        for part in [
            [name.as_bytes(), &[0]].concat().as_slice(),
            datatype,
            dataspace,
        ] {
            m.extend(part);
            m.resize(pad8(m.len()), 0);
        }
        m.extend(data);
        m
    }

    fn string_type(size: u32) -> Vec<u8> {
        let mut t = vec![0x13, 0x01, 0, 0];
        t.extend(size.to_le_bytes());
        t
    }

    fn vlen_string_type() -> Vec<u8> {
        let mut t = vec![0x19, 0x01, 0, 0];
        t.extend(16u32.to_le_bytes());
        t.extend([0x10, 0, 0, 0, 1, 0, 0, 0, 0, 0, 8, 0]); // base: 1-byte integer
        t
    }

    fn scalar() -> Vec<u8> {
        vec![1, 0, 0, 0, 0, 0, 0, 0]
    }

    fn simple(n: u64) -> Vec<u8> {
        let mut s = vec![1, 1, 0, 0, 0, 0, 0, 0];
        s.extend(le(n, 8));
        s
    }

    #[test]
    fn superblock_version_1_and_fixed_string_padding() {
        let mut attrs = Vec::new();
        for (name, pad, value) in [
            ("nullterm", 0u8, &b"ab\0cd"[..]),
            ("nullpad", 1, b"ab\0cd\0\0"),
            ("spacepad", 2, b"ab cd  "),
        ] {
            let mut t = string_type(value.len() as u32);
            t[1] = pad;
            attrs.push((MSG_ATTRIBUTE, 0, attribute_v1(name, &t, &scalar(), value)));
        }
        for version in [0, 1] {
            let root = read_root_attributes(&file(version, &attrs, &[])).unwrap();
            assert_eq!(root.superblock_version, version);
            assert_eq!(get(&root, "nullterm"), &text("ab"));
            assert_eq!(get(&root, "nullpad"), &AttrValue::Text(b"ab\0cd".to_vec()));
            assert_eq!(get(&root, "spacepad"), &text("ab cd"));
        }
    }

    #[test]
    fn overlapping_continuation_blocks_are_malformed() {
        // Two continuation blocks a message apart: distinct addresses, shared bytes.
        let body = ROOT + 16 + 2 * 24;
        let mut messages = Vec::new();
        for start in [body, body + 8] {
            let mut cont = le(start, O);
            cont.extend(le(16, O));
            messages.push((MSG_CONTINUATION, 0, cont));
        }
        let f = file(0, &messages, &[0; 24]);
        let err = read_root_attributes(&f).unwrap_err();
        assert!(
            matches!(&err, Hdf5Error::Malformed(m) if m.contains("overlaps")),
            "{err:?}"
        );
    }

    #[test]
    fn many_short_strings_are_charged_for_their_bookkeeping() {
        // Ten attributes of 60,000 one-byte strings: 0.6 MB of text, 29 MB as vectors.
        let n = 60_000u64;
        let data = vec![b'a'; n as usize];
        let attr = attribute_v1("s", &string_type(1), &simple(n), &data);
        let f = file(0, &vec![(MSG_ATTRIBUTE, 0, attr); 10], &[]);
        assert_eq!(
            read_root_attributes(&f).unwrap_err(),
            Hdf5Error::Limit(LimitHit::Hdf5AttributeBytes)
        );
        let data = vec![b'a'; 1000];
        let attr = attribute_v1("s", &string_type(1), &simple(1000), &data);
        assert!(read_root_attributes(&file(0, &[(MSG_ATTRIBUTE, 0, attr)], &[])).is_ok());
    }

    #[test]
    fn attributes_before_an_error_are_kept() {
        let config =
            br#"{"class_name": "Sequential", "config": {"name": "keras.models.load_model"}}"#;
        let attr = attribute_v1(
            "model_config",
            &string_type(config.len() as u32),
            &scalar(),
            config,
        );
        let mut broken = le(1 << 40, O); // a continuation far past the end
        broken.extend(le(16, O));
        let f = file(
            0,
            &[(MSG_ATTRIBUTE, 0, attr), (MSG_CONTINUATION, 0, broken)],
            &[],
        );
        let (kept, result) = read_root_attributes_keeping(&f);
        assert!(result.is_err());
        assert_eq!(kept.len(), 1);
        let p = crate::formats::keras::check_hdf5_model(&f);
        assert!(p.incomplete.is_some());
        let unsafe_api = crate::rules::KERAS_UNSAFE_API.id;
        assert!(
            p.findings.iter().any(|x| x.rule == unsafe_api),
            "{:?}",
            p.findings
        );
    }

    #[test]
    fn continuation_loop_is_malformed() {
        // The continuation points back at the header's own messages.
        let mut cont = le(ROOT + 16, O);
        cont.extend(le(16, O));
        let f = file(0, &[(MSG_CONTINUATION, 0, cont)], &[]);
        let err = read_root_attributes(&f).unwrap_err();
        assert!(
            matches!(&err, Hdf5Error::Malformed(m) if m.contains("loop")),
            "{err:?}"
        );
        // Two blocks pointing at each other.
        let a = ROOT + 16 + 24;
        let mut tail = Vec::new();
        for target in [a + 24, a] {
            tail.extend([0x10, 0, 16, 0, 0, 0, 0, 0]);
            tail.extend(le(target, O));
            tail.extend(le(24, O));
        }
        let mut cont = le(a, O);
        cont.extend(le(24, O));
        let f = file(0, &[(MSG_CONTINUATION, 0, cont)], &tail);
        let err = read_root_attributes(&f).unwrap_err();
        assert!(
            matches!(&err, Hdf5Error::Malformed(m) if m.contains("loop")),
            "{err:?}"
        );
    }

    #[test]
    fn message_flood_hits_the_message_limit() {
        let nil = vec![(0u16, 0u8, Vec::new()); limits::MAX_HDF5_MESSAGES + 1];
        let err = read_root_attributes(&file(0, &nil, &[])).unwrap_err();
        assert_eq!(err, Hdf5Error::Limit(LimitHit::Hdf5Messages));
    }

    #[test]
    fn huge_values_hit_the_attribute_limit() {
        // 2^20 fixed strings of 4 GiB each, in a file of a few hundred bytes.
        let big = attribute_v1("big", &string_type(u32::MAX), &simple(1 << 20), b"");
        let err = read_root_attributes(&file(0, &[(MSG_ATTRIBUTE, 0, big)], &[])).unwrap_err();
        assert_eq!(err, Hdf5Error::Limit(LimitHit::Hdf5AttributeBytes));
        // A variable-length string claiming 4 GiB.
        let mut element = u32::MAX.to_le_bytes().to_vec();
        element.extend(le(0, O));
        element.extend(le(1, 4));
        let vlen = attribute_v1("vlen", &vlen_string_type(), &scalar(), &element);
        let err = read_root_attributes(&file(0, &[(MSG_ATTRIBUTE, 0, vlen)], &[])).unwrap_err();
        assert_eq!(err, Hdf5Error::Limit(LimitHit::Hdf5AttributeBytes));
    }

    #[test]
    fn hand_built_global_heap() {
        // One attribute with two variable-length strings in a collection after the header.
        let header_end = ROOT
            + 16
            + 8
            + pad8(attribute_v1("s", &vlen_string_type(), &simple(2), &[0; 32]).len()) as u64;
        let mut data = Vec::new();
        for (len, index) in [(5u32, 1u32), (3, 2)] {
            data.extend(len.to_le_bytes());
            data.extend(le(header_end, O));
            data.extend(index.to_le_bytes());
        }
        let attr = attribute_v1("s", &vlen_string_type(), &simple(2), &data);
        let mut heap = b"GCOL\x01\0\0\0".to_vec();
        heap.extend(le(4096, O));
        for (index, bytes) in [(1u16, &b"hello"[..]), (2, b"abc")] {
            heap.extend(le(u64::from(index), 2));
            heap.extend([1, 0, 0, 0, 0, 0]);
            heap.extend(le(bytes.len() as u64, O));
            heap.extend(bytes);
            heap.resize(pad8(heap.len()), 0);
        }
        heap.resize(4096, 0);
        let f = file(0, &[(MSG_ATTRIBUTE, 0, attr.clone())], &heap);
        let root = read_root_attributes(&f).unwrap();
        assert_eq!(get(&root, "s"), &list(&["hello", "abc"]));
        // A missing object index is malformed.
        let mut bad = f.clone();
        let at = (header_end + 16) as usize;
        bad[at] = 9;
        assert!(matches!(
            read_root_attributes(&bad),
            Err(Hdf5Error::Malformed(m)) if m.contains("not found")
        ));
    }

    #[test]
    fn unsupported_and_malformed_inputs() {
        let shared = attribute_v1("x", &string_type(1), &scalar(), b"a");
        let f = file(0, &[(MSG_ATTRIBUTE, MSG_FLAG_SHARED, shared)], &[]);
        assert!(matches!(
            read_root_attributes(&f),
            Err(Hdf5Error::Unsupported(_))
        ));

        let mut f = file(0, &[], &[]);
        f[8] = 4;
        assert_eq!(
            read_root_attributes(&f),
            Err(Hdf5Error::Unsupported("superblock version 4".into()))
        );
        f[8] = 0;
        f[13] = 3;
        assert!(matches!(
            read_root_attributes(&f),
            Err(Hdf5Error::Unsupported(_))
        ));

        for junk in [
            &b""[..],
            b"\x89HDF",
            b"PK\x03\x04 not hdf5 at all",
            &[0u8; 4096],
        ] {
            assert!(matches!(
                read_root_attributes(&junk.to_vec()),
                Err(Hdf5Error::Malformed(_))
            ));
        }

        // The root address past the end of the file.
        let mut f = file(0, &[], &[]);
        f[64..72].copy_from_slice(&u64::MAX.wrapping_sub(7).to_le_bytes());
        assert!(matches!(
            read_root_attributes(&f),
            Err(Hdf5Error::Malformed(_))
        ));

        // Attribute data shorter than the datatype and dataspace say.
        let short = attribute_v1("short", &string_type(8), &simple(4), b"abcdefgh");
        let f = file(0, &[(MSG_ATTRIBUTE, 0, short)], &[]);
        assert!(matches!(
            read_root_attributes(&f),
            Err(Hdf5Error::Malformed(_))
        ));
    }

    /// A version 2 attribute message (version 3 adds the name character set).
    fn attribute_v23(version: u8, name: &str, datatype: &[u8], data: &[u8]) -> Vec<u8> {
        let space = vec![2, 0, 0, 0]; // version 2 scalar
        let mut m = vec![version, 0];
        m.extend(le(name.len() as u64 + 1, 2));
        m.extend(le(datatype.len() as u64, 2));
        m.extend(le(space.len() as u64, 2));
        if version == 3 {
            m.push(1); // UTF-8
        }
        m.extend(name.as_bytes());
        m.push(0);
        m.extend(datatype);
        m.extend(space);
        m.extend(data);
        m
    }

    /// Version 2 object header messages with creation order fields.
    fn messages_v2(messages: &[(u8, Vec<u8>)]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, (t, data)) in messages.iter().enumerate() {
            out.push(*t);
            out.extend(le(data.len() as u64, 2));
            out.push(0);
            out.extend(le(i as u64, 2));
            out.extend(data);
        }
        out
    }

    /// A version 2 superblock and an OHDR root object header (times, attribute phase
    /// change values, creation order, a 2-byte chunk size) whose chunk 0 holds
    /// `chunk0` and a 3-byte gap; `tail` is appended after its checksum.
    fn file_v2(chunk0: &[u8], tail: &[u8]) -> Vec<u8> {
        let mut f = SIGNATURE.to_vec();
        f.extend([2, O as u8, O as u8, 0]);
        f.extend(le(0, O)); // base address
        f.extend([0xFF; O]); // superblock extension
        f.extend(le(0, O)); // end of file (not checked)
        f.extend(le(48, O)); // root object header
        f.extend([0; 4]); // checksum (not verified)
        assert_eq!(f.len(), 48);
        f.extend(b"OHDR");
        f.extend([2, 0x20 | 0x10 | 0x04 | 0x01]);
        f.extend([7; 16]); // times
        f.extend([8, 0, 6, 0]); // max compact, min dense
        f.extend(le(chunk0.len() as u64 + 3, 2));
        f.extend(chunk0);
        f.extend([0; 3]); // gap
        f.extend([0; 4]); // checksum
        f.extend(tail);
        f
    }

    #[test]
    fn version_2_object_header_with_ochk() {
        let hello = attribute_v23(3, "a", &string_type(5), b"hello");
        let mut info = vec![0, 0];
        info.extend([0xFF; 2 * O]); // no fractal heap, no name index
                                    // chunk 0: attribute, attribute info, continuation (fixed length: 1 + 2 + 1 + 2
                                    // header bytes and 16 bytes of data each).
        let head_len = 6 + hello.len() + 6 + info.len() + 6 + 2 * O;
        let ochk_at = 48 + 4 + 2 + 16 + 4 + 2 + head_len as u64 + 3 + 4;
        let world = attribute_v23(2, "b", &string_type(5), b"world");
        let mut ochk = b"OCHK".to_vec();
        ochk.extend(messages_v2(&[(MSG_ATTRIBUTE as u8, world)]));
        ochk.extend([0; 4]);
        let mut cont = le(ochk_at, O);
        cont.extend(le(ochk.len() as u64, O));
        let chunk0 = messages_v2(&[
            (MSG_ATTRIBUTE as u8, hello),
            (MSG_ATTRIBUTE_INFO as u8, info.clone()),
            (MSG_CONTINUATION as u8, cont),
        ]);
        assert_eq!(chunk0.len(), head_len);
        let f = file_v2(&chunk0, &ochk);
        let root = read_root_attributes(&f).unwrap();
        assert_eq!(root.superblock_version, 2);
        assert_eq!(names(&root), ["a", "b"]);
        assert_eq!(get(&root, "a"), &text("hello"));
        assert_eq!(get(&root, "b"), &text("world"));

        // Without its signature the continuation chunk is malformed.
        let mut bad = f.clone();
        bad[ochk_at as usize] = b'X';
        assert!(matches!(
            read_root_attributes(&bad),
            Err(Hdf5Error::Malformed(m)) if m.contains("OCHK")
        ));

        // A fractal heap address in the attribute info message: dense storage.
        let mut dense = f.clone();
        let info_at = f.windows(info.len()).position(|w| w == info).unwrap();
        dense[info_at + 2..info_at + 2 + O].copy_from_slice(&le(4096, O));
        assert_eq!(
            read_root_attributes(&dense),
            Err(Hdf5Error::Unsupported(
                "attributes in dense storage (fractal heap)".into()
            ))
        );
    }
}
