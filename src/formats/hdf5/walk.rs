//! A walk of every group and dataset reachable from an HDF5 file's root group by hard
//! links, looking for what makes a reader open other files:
//!
//! - external raw storage (the External Data Files message): a dataset whose bytes are
//!   read from any path the file names, `/etc/passwd` included;
//! - external links: a group member that resolves into another HDF5 file;
//! - virtual datasets whose mappings name a source file other than `.` (this file).
//!
//! h5py follows all three on a plain `group[name]` or `dataset[()]`, and Keras' weight
//! loaders read every weight that way (CVE-2026-1669; Keras 3.13.2 and tf-keras later
//! refuse them).
//!
//! Groups are read in both encodings the format has: symbol tables (a version 1 B-tree of
//! symbol table nodes whose names sit in a local heap) and link messages in the object
//! header. Links kept in dense storage (a fractal heap, written for large groups with
//! `libver="latest"` or creation-order tracking) are not read, and say so as
//! [`Hdf5Error::Unsupported`]. Nothing recurses: objects are visited once each from a
//! queue, B-tree levels must descend, and the walk is bounded by
//! [`limits::MAX_HDF5_OBJECTS`], [`limits::MAX_HDF5_WALK_MESSAGES`] and
//! [`limits::MAX_HDF5_HEAP_BYTES`].

use std::collections::{HashSet, VecDeque};

use super::{malformed, pad8, uint, unsupported, Cur, Hdf5Error, Message, Reader, Result};
use super::{MSG_FLAG_SHARED, SIGNATURE};
use crate::limits::{self, LimitHit};
use crate::source::ReadAt;

const MSG_LINK_INFO: u16 = 0x0002;
const MSG_LINK: u16 = 0x0006;
const MSG_EXTERNAL_FILES: u16 = 0x0007;
const MSG_LAYOUT: u16 = 0x0008;
const MSG_SYMBOL_TABLE: u16 = 0x0011;

const LINK_HARD: u8 = 0;
const LINK_SOFT: u8 = 1;
const LINK_EXTERNAL: u8 = 64;
/// Symbol table entry cache type of a soft link.
const CACHE_SOFT_LINK: u32 = 2;
const LAYOUT_VIRTUAL: u8 = 3;

/// Longest object path kept for messages; longer ones end in `...`.
const MAX_PATH_CHARS: usize = 200;
/// Most foreign references kept (the rest are only counted).
const MAX_REPORTED: usize = 64;

/// What the walk saw.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Hdf5Walk {
    /// Groups and datasets visited.
    pub objects: usize,
    /// Soft links (paths inside this file; not followed, not a file read).
    pub soft_links: usize,
    /// Virtual dataset mappings whose source is this file (`.`).
    pub same_file_virtual_sources: usize,
    /// Everything that reads another file, up to [`MAX_REPORTED`] of them.
    pub foreign: Vec<ForeignData>,
    /// Foreign references past [`MAX_REPORTED`].
    pub foreign_not_listed: usize,
}

/// A dataset or link that makes the reader open another file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ForeignData {
    /// The object's path from the root group (`/model_weights/dense/kernel:0`).
    pub object: String,
    pub kind: ForeignKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum ForeignKind {
    /// The dataset's bytes are read from `file` (External Data Files message).
    ExternalStorage { file: String },
    /// The link resolves to `object` in the HDF5 file `file`.
    ExternalLink { file: String, object: String },
    /// A virtual dataset maps `dataset` of the HDF5 file `file`.
    VirtualSource { file: String, dataset: String },
    /// A virtual dataset whose mappings could not be decoded; any of them may name
    /// another file.
    VirtualUnread { reason: String },
}

impl Hdf5Walk {
    fn push(&mut self, object: &str, kind: ForeignKind) {
        if self.foreign.len() < MAX_REPORTED {
            self.foreign.push(ForeignData {
                object: object.to_string(),
                kind,
            });
        } else {
            self.foreign_not_listed += 1;
        }
    }
}

/// Walks the HDF5 file in `src`; on an error, what was seen before it comes with it.
pub(crate) fn walk_groups(src: &dyn ReadAt) -> (Hdf5Walk, Option<Hdf5Error>) {
    let mut reader = Reader::new(src);
    let mut walk = Hdf5Walk::default();
    let error = reader.walk(&mut walk).err();
    (walk, error)
}

/// A member of a group.
enum Member {
    Object {
        name: Vec<u8>,
        at: u64,
    },
    Soft,
    External {
        name: Vec<u8>,
        file: Vec<u8>,
        object: Vec<u8>,
    },
    /// A user-defined link type: h5py cannot follow it without a registered class.
    Other,
}

impl Reader<'_> {
    fn walk(&mut self, out: &mut Hdf5Walk) -> Result<()> {
        let (_, root, _) = self.superblock()?;
        let mut visited = HashSet::from([root]);
        let mut queue = VecDeque::from([(root, String::new())]);
        while let Some((at, path)) = queue.pop_front() {
            out.objects += 1;
            let (messages, error) = self.object_messages(at);
            let mut members = Vec::new();
            for m in &messages {
                self.object_message(m, &path, out, &mut members)?;
            }
            for member in members {
                match member {
                    Member::Object { name, at } => {
                        if visited.insert(at) {
                            if visited.len() > limits::MAX_HDF5_OBJECTS {
                                return Err(Hdf5Error::Limit(LimitHit::Hdf5Objects));
                            }
                            queue.push_back((at, child_path(&path, &name)));
                        }
                    }
                    Member::Soft => out.soft_links += 1,
                    Member::External { name, file, object } => out.push(
                        &child_path(&path, &name),
                        ForeignKind::ExternalLink {
                            file: text(&file),
                            object: text(&object),
                        },
                    ),
                    Member::Other => {}
                }
            }
            if let Some(e) = error {
                return Err(e);
            }
        }
        Ok(())
    }

    /// Reads one object header message for the walk: group members go to `members`,
    /// foreign data to `out`.
    fn object_message(
        &mut self,
        m: &Message,
        path: &str,
        out: &mut Hdf5Walk,
        members: &mut Vec<Member>,
    ) -> Result<()> {
        let walked = matches!(
            m.mtype,
            MSG_LINK_INFO | MSG_LINK | MSG_EXTERNAL_FILES | MSG_LAYOUT | MSG_SYMBOL_TABLE
        );
        if !walked {
            return Ok(());
        }
        if m.flags & MSG_FLAG_SHARED != 0 {
            return unsupported(format!("shared object header message of type {}", m.mtype));
        }
        let bytes = self.read("object header message", m.data, m.size as usize)?;
        let shown = if path.is_empty() { "/" } else { path };
        match m.mtype {
            MSG_LINK_INFO => self.link_info(&bytes),
            MSG_LINK => {
                members.push(self.link(&bytes)?);
                Ok(())
            }
            MSG_SYMBOL_TABLE => self.symbol_table(&bytes, members),
            MSG_EXTERNAL_FILES => {
                for file in self.external_files(&bytes)? {
                    out.push(shown, ForeignKind::ExternalStorage { file: text(&file) });
                }
                Ok(())
            }
            _ => {
                self.layout(&bytes, shown, out);
                Ok(())
            }
        }
    }

    /// The link info message: links in dense storage are not read.
    fn link_info(&self, m: &[u8]) -> Result<()> {
        let mut c = Cur::new(m, "link info message");
        let version = c.u8()?;
        if version != 0 {
            return unsupported(format!("link info message version {version}"));
        }
        let flags = c.u8()?;
        if flags & 0x01 != 0 {
            c.take(8)?; // maximum creation index
        }
        if c.addr(self.size_of_offsets)?.is_some() {
            return unsupported("group links in dense storage (fractal heap)");
        }
        Ok(())
    }

    /// A link message.
    fn link(&mut self, m: &[u8]) -> Result<Member> {
        let mut c = Cur::new(m, "link message");
        let version = c.u8()?;
        if version != 1 {
            return unsupported(format!("link message version {version}"));
        }
        let flags = c.u8()?;
        if flags & 0xE0 != 0 {
            return malformed(format!("link message: unknown flags {flags:#04x}"));
        }
        let link_type = if flags & 0x08 != 0 {
            c.u8()?
        } else {
            LINK_HARD
        };
        if flags & 0x04 != 0 {
            c.take(8)?; // creation order
        }
        if flags & 0x10 != 0 {
            c.u8()?; // name character set
        }
        let name_len = c.uint(1 << (flags & 0x03))?;
        let name = c
            .take(usize::try_from(name_len).unwrap_or(usize::MAX))?
            .to_vec();
        Ok(match link_type {
            LINK_HARD => {
                let at = self.abs("hard link target", c.addr(self.size_of_offsets)?)?;
                Member::Object { name, at }
            }
            LINK_SOFT => Member::Soft,
            LINK_EXTERNAL => {
                let len = usize::from(c.u16()?);
                let value = c.take(len)?;
                // A version-and-flags byte, then two NUL-terminated strings.
                let strings = value.get(1..).unwrap_or_default();
                let mut parts = strings.split(|&b| b == 0);
                let file = parts.next().unwrap_or_default().to_vec();
                let object = parts.next().unwrap_or_default().to_vec();
                Member::External { name, file, object }
            }
            _ => Member::Other,
        })
    }

    /// The members of a group stored as a symbol table: a version 1 B-tree whose leaves
    /// are symbol table nodes.
    fn symbol_table(&mut self, m: &[u8], members: &mut Vec<Member>) -> Result<()> {
        let (so, sl) = (self.size_of_offsets, self.size_of_lengths);
        let mut c = Cur::new(m, "symbol table message");
        let btree = self.abs("group B-tree", c.addr(so)?)?;
        let heap = c.addr(so)?;
        let mut nodes = vec![(btree, None::<u8>)];
        let mut seen = HashSet::new();
        while let Some((at, expected_level)) = nodes.pop() {
            if !seen.insert(at) {
                return malformed(format!("group B-tree node at offset {at} is reached twice"));
            }
            let head = self.read("group B-tree node", at, 8 + 2 * so)?;
            if &head[..4] != b"TREE" {
                return malformed(format!("group B-tree node at offset {at} lacks TREE"));
            }
            if head[4] != 0 {
                return malformed(format!(
                    "B-tree node at offset {at} is of type {}, not a group node",
                    head[4]
                ));
            }
            let level = head[5];
            if expected_level.is_some_and(|l| l != level) {
                return malformed(format!(
                    "group B-tree node at offset {at} has level {level} under a node of level {}",
                    expected_level.map_or(0, |l| u32::from(l) + 1)
                ));
            }
            let entries = uint(&head[6..8]) as usize;
            let body = self.read(
                "group B-tree node",
                at + (8 + 2 * so) as u64,
                entries * (sl + so) + sl,
            )?;
            let mut k = Cur::new(&body, "group B-tree node");
            for _ in 0..entries {
                self.count_message()?;
                k.take(sl)?; // key: a name's offset in the local heap
                let child = self.abs("group B-tree child", k.addr(so)?)?;
                if level > 0 {
                    nodes.push((child, Some(level - 1)));
                } else {
                    self.symbol_node(child, heap, members)?;
                }
            }
        }
        Ok(())
    }

    /// A symbol table node ("SNOD"): up to 2K entries of name, object header and cache.
    fn symbol_node(&mut self, at: u64, heap: Option<u64>, members: &mut Vec<Member>) -> Result<()> {
        let so = self.size_of_offsets;
        let head = self.read("symbol table node", at, 8)?;
        if &head[..4] != b"SNOD" {
            return malformed(format!("symbol table node at offset {at} lacks SNOD"));
        }
        if head[4] != 1 {
            return unsupported(format!("symbol table node version {}", head[4]));
        }
        let count = uint(&head[6..8]) as usize;
        let entry = 2 * so + 24;
        let body = self.read("symbol table node", at + 8, count * entry)?;
        for e in body.chunks_exact(entry) {
            self.count_message()?;
            let mut c = Cur::new(e, "symbol table entry");
            let name_offset = c.uint(so)?;
            let header = c.addr(so)?;
            let cache = c.u32()?;
            if cache == CACHE_SOFT_LINK {
                members.push(Member::Soft);
                continue;
            }
            let name = self.heap_string(heap, name_offset)?;
            let at = self.abs("symbol table entry", header)?;
            members.push(Member::Object { name, at });
        }
        Ok(())
    }

    /// The file names of an External Data Files message, in slot order.
    fn external_files(&mut self, m: &[u8]) -> Result<Vec<Vec<u8>>> {
        let (so, sl) = (self.size_of_offsets, self.size_of_lengths);
        let mut c = Cur::new(m, "external data files message");
        let version = c.u8()?;
        if version != 1 {
            return unsupported(format!("external data files message version {version}"));
        }
        c.take(3)?;
        let _allocated = c.u16()?;
        let used = c.u16()?;
        let heap = c.addr(so)?;
        let mut files = Vec::new();
        for _ in 0..used {
            self.count_message()?;
            let name_offset = c.uint(sl)?;
            c.take(2 * sl)?; // offset in the file, size
            files.push(self.heap_string(heap, name_offset)?);
        }
        if used == 0 {
            // No slot yet, but the dataset still reads from outside the file.
            files.push(b"(no file named)".to_vec());
        }
        Ok(files)
    }

    /// The data layout message: a virtual dataset's mappings are read from the global
    /// heap. Errors here do not stop the walk; they make the dataset `VirtualUnread`.
    fn layout(&mut self, m: &[u8], path: &str, out: &mut Hdf5Walk) {
        let class = match m.first() {
            Some(1 | 2) => m.get(2),
            Some(3..) => m.get(1),
            _ => None,
        };
        if class != Some(&LAYOUT_VIRTUAL) {
            return;
        }
        match self.virtual_sources(m) {
            Ok(sources) => {
                for (file, dataset) in sources {
                    if file == b"." {
                        out.same_file_virtual_sources += 1;
                    } else {
                        out.push(
                            path,
                            ForeignKind::VirtualSource {
                                file: text(&file),
                                dataset: text(&dataset),
                            },
                        );
                    }
                }
            }
            Err(e) => out.push(
                path,
                ForeignKind::VirtualUnread {
                    reason: e.to_string(),
                },
            ),
        }
    }

    /// The (file, dataset) of every mapping of a virtual dataset's layout message.
    fn virtual_sources(&mut self, m: &[u8]) -> Result<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut c = Cur::new(m, "virtual dataset layout");
        let version = c.u8()?;
        c.u8()?; // layout class
        if version < 4 {
            return malformed(format!("virtual dataset layout of version {version}"));
        }
        let collection = c.addr(self.size_of_offsets)?;
        let index = c.u32()?;
        let block = self.whole_heap_object(collection, index)?;
        let mut b = Cur::new(&block, "virtual dataset mapping block");
        let version = b.u8()?;
        if version != 0 {
            return unsupported(format!("virtual dataset mapping block version {version}"));
        }
        let count = b.uint(self.size_of_lengths)?;
        let mut sources = Vec::new();
        for _ in 0..count {
            self.count_message()?;
            let file = cstring(&mut b)?;
            let dataset = cstring(&mut b)?;
            skip_selection(&mut b)?;
            skip_selection(&mut b)?;
            sources.push((file, dataset));
        }
        Ok(sources)
    }

    /// A whole global heap object (charged to the attribute budget like attribute strings).
    fn whole_heap_object(&mut self, addr: Option<u64>, index: u32) -> Result<Vec<u8>> {
        let at = self.abs("global heap collection", addr)?;
        if !self.heaps.contains_key(&at) {
            let collection = self.collection(at)?;
            self.heaps.insert(at, collection);
        }
        let object = self.heaps.get(&at).and_then(|c| {
            let (start, size) = *c.objects.get(&u16::try_from(index).ok()?)?;
            Some(c.bytes[start..start + size].to_vec())
        });
        match object {
            Some(bytes) => Ok(bytes),
            None => malformed(format!(
                "global heap object {index} not found in the collection at offset {at}"
            )),
        }
    }

    /// The NUL-terminated string at `offset` of the local heap at `heap`.
    fn heap_string(&mut self, heap: Option<u64>, offset: u64) -> Result<Vec<u8>> {
        let at = self.abs("local heap", heap)?;
        if !self.local_heaps.contains_key(&at) {
            let data = self.local_heap(at)?;
            self.local_heaps.insert(at, data);
        }
        let data = &self.local_heaps[&at];
        let Some(rest) = usize::try_from(offset).ok().and_then(|o| data.get(o..)) else {
            return malformed(format!(
                "name at offset {offset} is outside the local heap at {at} ({} bytes)",
                data.len()
            ));
        };
        let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
        Ok(rest[..end].to_vec())
    }

    /// The data segment of the local heap ("HEAP") at `at`.
    fn local_heap(&mut self, at: u64) -> Result<Vec<u8>> {
        let (so, sl) = (self.size_of_offsets, self.size_of_lengths);
        let head = self.read("local heap", at, pad8(8 + 2 * sl + so))?;
        let mut c = Cur::new(&head, "local heap");
        if c.take(4)? != b"HEAP" {
            return malformed(format!("local heap at offset {at} lacks HEAP"));
        }
        let version = c.u8()?;
        if version != 0 {
            return unsupported(format!("local heap version {version}"));
        }
        c.take(3)?;
        let size = c.uint(sl)?;
        c.uint(sl)?; // free list
        let data = self.abs("local heap data segment", c.addr(so)?)?;
        match self.heap_budget.checked_sub(size) {
            Some(left) => self.heap_budget = left,
            None => return Err(Hdf5Error::Limit(LimitHit::Hdf5HeapBytes)),
        }
        self.require("local heap data segment", data, size)?;
        self.read("local heap data segment", data, size as usize)
    }
}

/// A NUL-terminated string.
fn cstring(c: &mut Cur) -> Result<Vec<u8>> {
    let rest = c.rest_peek();
    let Some(end) = rest.iter().position(|&b| b == 0) else {
        return malformed("virtual dataset mapping: unterminated name");
    };
    let s = c.take(end + 1)?;
    Ok(s[..end].to_vec())
}

/// Skips one serialized dataspace selection (the encodings of HDF5's
/// `H5S_SELECT_SERIALIZE`: none and all, points versions 1 and 2, hyperslabs versions 1
/// to 3).
fn skip_selection(c: &mut Cur) -> Result<()> {
    fn bytes(parts: &[u64]) -> Result<usize> {
        parts
            .iter()
            .try_fold(1u64, |acc, &p| acc.checked_mul(p))
            .and_then(|n| usize::try_from(n).ok())
            .map_or_else(
                || malformed("virtual dataset mapping: selection too large"),
                Ok,
            )
    }
    fn width(c: &mut Cur) -> Result<u64> {
        match c.u8()? {
            n @ (2 | 4 | 8) => Ok(u64::from(n)),
            n => malformed(format!("selection encoded in {n}-byte integers")),
        }
    }
    let kind = c.u32()?;
    let version = c.u32()?;
    let skip = match (kind, version) {
        // none, all: reserved and length words
        (0 | 3, 1) => 8,
        // points: reserved, length, rank, count, coordinates
        (1, 1) => {
            c.take(8)?;
            let rank = u64::from(c.u32()?);
            let count = u64::from(c.u32()?);
            bytes(&[4, rank, count])?
        }
        (1, 2) => {
            let w = width(c)?;
            let rank = u64::from(c.u32()?);
            let count = c.uint(w as usize)?;
            bytes(&[w, rank, count])?
        }
        // hyperslabs: reserved, length, rank, block count, blocks of two corners
        (2, 1) => {
            c.take(8)?;
            let rank = u64::from(c.u32()?);
            let count = u64::from(c.u32()?);
            bytes(&[8, rank, count])?
        }
        // regular hyperslab: flags, length, rank, start/stride/count/block
        (2, 2) => {
            c.take(5)?;
            let rank = u64::from(c.u32()?);
            bytes(&[32, rank])?
        }
        (2, 3) => {
            let flags = c.u8()?;
            let w = width(c)?;
            let rank = u64::from(c.u32()?);
            if flags & 0x01 != 0 {
                bytes(&[4, w, rank])?
            } else {
                let count = c.uint(w as usize)?;
                bytes(&[2, w, rank, count])?
            }
        }
        _ => {
            return unsupported(format!(
                "dataspace selection of type {kind}, version {version}"
            ))
        }
    };
    c.take(skip)?;
    Ok(())
}

/// A path component appended to `parent`, bounded to [`MAX_PATH_CHARS`].
fn child_path(parent: &str, name: &[u8]) -> String {
    let mut path = format!("{parent}/{}", text(name));
    if path.chars().count() > MAX_PATH_CHARS {
        path = path.chars().take(MAX_PATH_CHARS - 3).collect::<String>() + "...";
    }
    path
}

/// Bytes from the file as display text (control characters escaped, bounded).
fn text(b: &[u8]) -> String {
    crate::formats::display_string(b, MAX_PATH_CHARS)
}

/// Whether `b` starts an HDF5 file at offset 0 or after a user block (512, 1024, 2048,
/// ... bytes): the HDF5 library looks for the superblock at each.
pub(crate) fn has_signature(b: &[u8]) -> bool {
    let mut at = 0usize;
    loop {
        match b.get(at..at + SIGNATURE.len()) {
            Some(s) if s == SIGNATURE => return true,
            Some(_) => {}
            None => return false,
        }
        at = if at == 0 { 512 } else { at * 2 };
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    fn formats() -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/formats")
    }

    fn walk(data: &[u8]) -> Hdf5Walk {
        let data = data.to_vec();
        let (seen, error) = walk_groups(&data);
        assert_eq!(error, None);
        seen
    }

    fn walk_fixture(name: &str) -> Hdf5Walk {
        walk(&std::fs::read(formats().join(name)).unwrap())
    }

    #[test]
    fn external_storage_is_found_with_its_path() {
        let seen = walk_fixture("keras_h5_external_storage.h5");
        assert_eq!(
            seen.foreign,
            [ForeignData {
                object: "/model_weights/hidden/tiny_dense/hidden/kernel".into(),
                kind: ForeignKind::ExternalStorage {
                    file: "/etc/hostname".into()
                },
            }]
        );
        // Every group and dataset of the legacy Keras file (h5py's visit lists 16, plus
        // the root group).
        assert_eq!(seen.objects, 17);
    }

    #[test]
    fn virtual_sources_are_read_from_the_global_heap() {
        let seen = walk_fixture("keras_h5_virtual_dataset.h5");
        assert_eq!(
            seen.foreign,
            [ForeignData {
                object: "/model_weights/logits/tiny_dense/logits/kernel".into(),
                kind: ForeignKind::VirtualSource {
                    file: "/home/victim/checkpoint.h5".into(),
                    dataset: "/secret".into(),
                },
            }]
        );
    }

    #[test]
    fn external_links_in_a_keras_weights_file() {
        // The .keras archive stores model.weights.h5 uncompressed: the HDF5 file starts at
        // its signature and the reader ignores what follows it.
        let zip = std::fs::read(formats().join("keras_weights_external_link.keras")).unwrap();
        let at = zip.windows(8).position(|w| w == SIGNATURE).unwrap();
        let seen = walk(&zip[at..]);
        assert_eq!(
            seen.foreign,
            [ForeignData {
                object: "/layers/dense/vars".into(),
                kind: ForeignKind::ExternalLink {
                    file: "/home/victim/other.weights.h5".into(),
                    object: "/layers/dense/vars".into(),
                },
            }]
        );
    }

    #[test]
    fn same_file_links_and_user_blocks() {
        let seen = walk_fixture("hdf5_same_file_links.h5");
        assert!(seen.foreign.is_empty(), "{seen:?}");
        assert_eq!((seen.soft_links, seen.same_file_virtual_sources), (1, 1));
        let data = std::fs::read(formats().join("hdf5_user_block_external_storage.h5")).unwrap();
        assert!(has_signature(&data) && !data.starts_with(SIGNATURE));
        assert!(!has_signature(&data[..519]));
        assert_eq!(walk(&data).foreign.len(), 1);
    }

    #[test]
    fn plain_files_walk_without_findings() {
        for entry in std::fs::read_dir(formats().join("hdf5")).unwrap() {
            let path = entry.unwrap().path();
            let data = std::fs::read(&path).unwrap();
            let (seen, error) = walk_groups(&data);
            // The libver="latest" file with creation order keeps its links in a compact
            // link message list; none of these files uses dense link storage.
            assert_eq!(error, None, "{}", path.display());
            assert!(
                seen.objects >= 1 && seen.foreign.is_empty(),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn cut_and_flipped_files_never_panic() {
        let start = Instant::now();
        let mut runs = 0u64;
        for name in [
            "keras_h5_external_storage.h5",
            "keras_h5_virtual_dataset.h5",
            "hdf5_same_file_links.h5",
        ] {
            let data = std::fs::read(formats().join(name)).unwrap();
            for end in (0..data.len()).step_by(13) {
                let _ = walk_groups(&data[..end].to_vec());
                runs += 1;
            }
            let mut copy = data.clone();
            for pos in (0..data.len()).step_by(5) {
                for mask in [0xFFu8, 0x01, 0x80] {
                    copy[pos] ^= mask;
                    let _ = walk_groups(&copy);
                    runs += 1;
                    copy[pos] ^= mask;
                }
            }
        }
        let took = start.elapsed();
        assert!(took < Duration::from_secs(20), "{runs} walks took {took:?}");
    }

    #[test]
    fn selections_of_every_encoding_are_skipped() {
        fn le32(v: u32) -> Vec<u8> {
            v.to_le_bytes().to_vec()
        }
        let all = [le32(3), le32(1), le32(0), le32(0)].concat();
        let points_v1 = [
            le32(1),
            le32(1),
            le32(0),
            le32(0),
            le32(2),
            le32(1),
            le32(7),
            le32(9),
        ]
        .concat();
        let points_v2 = [
            le32(1),
            le32(2),
            vec![2],
            le32(1),
            vec![2, 0],
            vec![1, 0, 2, 0],
        ]
        .concat();
        let slab_v1 = [
            le32(2),
            le32(1),
            le32(0),
            le32(0),
            le32(1),
            le32(1),
            le32(0),
            le32(3),
        ]
        .concat();
        let slab_v2 = [le32(2), le32(2), vec![1], le32(0), le32(1), vec![0; 32]].concat();
        let slab_v3_regular = [le32(2), le32(3), vec![1, 4], le32(1), vec![0; 16]].concat();
        let slab_v3_blocks = [
            le32(2),
            le32(3),
            vec![0, 2],
            le32(1),
            vec![1, 0],
            vec![0; 4],
        ]
        .concat();
        for sel in [
            all,
            points_v1,
            points_v2,
            slab_v1,
            slab_v2,
            slab_v3_regular,
            slab_v3_blocks,
        ] {
            let mut bytes = sel.clone();
            bytes.push(0xAA);
            let mut c = Cur::new(&bytes, "selection");
            skip_selection(&mut c).unwrap();
            assert_eq!(c.rest_peek(), [0xAA], "{sel:?}");
            // Cut anywhere: an error, never a panic or a read past the end.
            for end in 0..sel.len() {
                let mut c = Cur::new(&sel[..end], "selection");
                assert!(skip_selection(&mut c).is_err());
            }
        }
        let huge = [
            le32(1),
            le32(2),
            vec![8],
            le32(u32::MAX),
            u64::MAX.to_le_bytes().to_vec(),
        ]
        .concat();
        assert!(skip_selection(&mut Cur::new(&huge, "selection")).is_err());
    }
}
