//! Our own zip central-directory walk (PKWARE APPNOTE 6.3): every entry, including
//! duplicates the zip crate would hide, cross-checked against its local header.
//! Structural oddities that loaders ignore (CRC, flags, name mismatches) are findings,
//! never a reason to skip a member.

use std::sync::Arc;

use super::{Member, MemberKind};
use crate::findings::Finding;
use crate::limits::{self, LimitHit};
use crate::rules;
use crate::source::{ReadAt, SubRange};

const EOCD_SIG: u32 = 0x0605_4b50;
const ZIP64_LOCATOR_SIG: u32 = 0x0706_4b50;
const ZIP64_EOCD_SIG: u32 = 0x0606_4b50;
const CENTRAL_SIG: u32 = 0x0201_4b50;
const LOCAL_SIG: u32 = 0x0403_4b50;

#[derive(Debug, Clone)]
pub struct Entry {
    pub name: String,
    pub method: u16,
    pub flags: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub local_header_offset: u64,
    /// Start of the member's data, from its local header.
    pub data_offset: u64,
    /// Index in central-directory order.
    pub index: usize,
    /// The Unix mode in the external attributes, when the entry was made on Unix.
    pub unix_mode: Option<u32>,
}

impl Entry {
    pub fn is_dir(&self) -> bool {
        self.name.ends_with('/')
    }

    /// The entry as an extractor sees it (a link's target is its data, read separately).
    pub(crate) fn member(&self) -> Member<'_> {
        Member {
            noun: "zip entry",
            name: &self.name,
            kind: self.kind(),
            link: None,
        }
    }

    /// What `unzip` makes of the entry: a Unix-made entry with a symlink mode is a link
    /// whose target is the entry's data.
    pub fn kind(&self) -> MemberKind {
        const S_IFMT: u32 = 0o170_000;
        const S_IFLNK: u32 = 0o120_000;
        match self.unix_mode {
            Some(mode) if mode & S_IFMT == S_IFLNK => MemberKind::Symlink,
            _ if self.is_dir() => MemberKind::Directory,
            _ => MemberKind::File,
        }
    }

    pub fn data(&self, archive: &Arc<dyn ReadAt>) -> SubRange {
        SubRange {
            parent: archive.clone(),
            offset: self.data_offset,
            len: self.compressed_size,
        }
    }
}

pub(crate) struct ZipIndex {
    pub entries: Vec<Entry>,
    pub findings: crate::findings::Findings,
    /// Set when the directory could not be read completely.
    pub incomplete: Option<String>,
    pub limit: Option<LimitHit>,
}

fn u16_at(b: &[u8], i: usize) -> u16 {
    u16::from_le_bytes([b[i], b[i + 1]])
}
fn u32_at(b: &[u8], i: usize) -> u32 {
    u32::from_le_bytes(b[i..i + 4].try_into().expect("4 bytes"))
}
fn u64_at(b: &[u8], i: usize) -> u64 {
    u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"))
}

fn decode_name(raw: &[u8], flags: u16) -> String {
    if flags & 0x800 != 0 {
        String::from_utf8_lossy(raw).into_owned()
    } else {
        // CP437 for the printable ASCII range is ASCII; other bytes are shown escaped.
        match std::str::from_utf8(raw) {
            Ok(s) => s.to_string(),
            Err(_) => raw
                .iter()
                .map(|&b| {
                    if b.is_ascii() {
                        (b as char).to_string()
                    } else {
                        format!("\\x{b:02x}")
                    }
                })
                .collect(),
        }
    }
}

/// Where the central directory lies, as the end records say.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Directory {
    /// Start of the directory in the file (shifted past prepended data).
    pub offset: u64,
    pub size: u64,
    pub total_entries: u64,
    /// Bytes before the archive's own offset 0 (a prepended polyglot): every offset the
    /// archive records is shifted by this much.
    pub prepended: u64,
}

/// Finds the end of central directory record (and the zip64 one behind it) in the last
/// bytes of `src`. The one reader of zip end records, for local files and range reads.
pub(crate) fn locate_directory(src: &dyn ReadAt) -> Result<Directory, String> {
    let size = src.len();
    let tail_len = size.min(65_535 + 22);
    let tail = src
        .read_exact_at(size - tail_len, tail_len as usize)
        .map_err(|e| e.to_string())?;
    let eocd_pos = (0..tail.len().saturating_sub(21))
        .rev()
        .find(|&i| u32_at(&tail, i) == EOCD_SIG)
        .ok_or_else(|| {
            "no end-of-central-directory record: the file is truncated or not a zip".to_string()
        })?;
    let eocd = &tail[eocd_pos..];
    let eocd_offset = size - tail_len + eocd_pos as u64;
    let mut total_entries = u64::from(u16_at(eocd, 10));
    let mut cd_size = u64::from(u32_at(eocd, 12));
    let mut cd_offset = u64::from(u32_at(eocd, 16));

    // ZIP64: the locator sits right before the EOCD.
    let mut zip64 = false;
    if eocd_offset >= 20 {
        let loc = src
            .read_exact_at(eocd_offset - 20, 20)
            .map_err(|e| e.to_string())?;
        if u32_at(&loc, 0) == ZIP64_LOCATOR_SIG {
            let rec_off = u64_at(&loc, 8);
            let rec = src
                .read_exact_at(rec_off, 56)
                .map_err(|e| format!("ZIP64 end record at offset {rec_off} is unreadable: {e}"))?;
            if u32_at(&rec, 0) != ZIP64_EOCD_SIG {
                return Err(format!(
                    "ZIP64 locator points at offset {rec_off}, which holds no ZIP64 end record"
                ));
            }
            zip64 = true;
            total_entries = u64_at(&rec, 32);
            cd_size = u64_at(&rec, 40);
            cd_offset = u64_at(&rec, 48);
        }
    }
    // The directory ends where the end records begin, so data before the archive shows
    // as a gap between the recorded offset and that end; Python's zipfile computes the
    // shift the same way.
    let directory_end = if zip64 {
        eocd_offset.saturating_sub(56 + 20)
    } else {
        eocd_offset
    };
    let prepended = directory_end
        .checked_sub(cd_size)
        .and_then(|start| start.checked_sub(cd_offset))
        .unwrap_or(0);
    Ok(Directory {
        offset: cd_offset.saturating_add(prepended),
        size: cd_size,
        total_entries,
        prepended,
    })
}

/// One central directory record, as recorded (offsets not yet shifted).
pub(crate) struct CentralRecord<'a> {
    pub name_raw: &'a [u8],
    pub flags: u16,
    pub method: u16,
    pub crc32: u32,
    pub compressed_size: u64,
    pub uncompressed_size: u64,
    pub local_header_offset: u64,
    /// The high byte of "version made by" is 3 (Unix): the external attributes' high
    /// half is then a Unix mode.
    pub made_on_unix: bool,
    pub external_attributes: u32,
    /// Where the next record starts.
    pub next: usize,
}

/// Why a central directory record could not be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum RecordError {
    BadSignature,
    PastEnd,
}

/// The record at `pos` of the central directory bytes `cd`, with zip64 values taken from
/// the extra field for the fields whose 32-bit value saturates.
pub(crate) fn central_record(cd: &[u8], pos: usize) -> Result<CentralRecord<'_>, RecordError> {
    if pos.checked_add(46).is_none_or(|end| end > cd.len()) {
        return Err(RecordError::PastEnd);
    }
    if u32_at(cd, pos) != CENTRAL_SIG {
        return Err(RecordError::BadSignature);
    }
    let nlen = usize::from(u16_at(cd, pos + 28));
    let elen = usize::from(u16_at(cd, pos + 30));
    let clen = usize::from(u16_at(cd, pos + 32));
    let next = pos + 46 + nlen + elen + clen;
    if next > cd.len() {
        return Err(RecordError::PastEnd);
    }
    let mut compressed_size = u64::from(u32_at(cd, pos + 20));
    let mut uncompressed_size = u64::from(u32_at(cd, pos + 24));
    let mut local_header_offset = u64::from(u32_at(cd, pos + 42));
    let extra = &cd[pos + 46 + nlen..pos + 46 + nlen + elen];
    let mut e = 0;
    while e + 4 <= extra.len() {
        let id = u16_at(extra, e);
        let len = usize::from(u16_at(extra, e + 2));
        let body = &extra[e + 4..(e + 4 + len).min(extra.len())];
        if id == 1 {
            let mut f = 0;
            let mut take = |v: &mut u64| {
                if *v == 0xffff_ffff && f + 8 <= body.len() {
                    *v = u64_at(body, f);
                    f += 8;
                }
            };
            take(&mut uncompressed_size);
            take(&mut compressed_size);
            take(&mut local_header_offset);
        }
        e += 4 + len;
    }
    Ok(CentralRecord {
        name_raw: &cd[pos + 46..pos + 46 + nlen],
        flags: u16_at(cd, pos + 8),
        method: u16_at(cd, pos + 10),
        crc32: u32_at(cd, pos + 16),
        compressed_size,
        uncompressed_size,
        local_header_offset,
        made_on_unix: cd[pos + 5] == 3,
        external_attributes: u32_at(cd, pos + 38),
        next,
    })
}

/// Longest central directory record: the fixed part and three 16-bit-sized fields.
const MAX_CENTRAL_RECORD: u64 = 46 + 3 * 65_535;
/// Bytes of the central directory held at once while it is read.
const CENTRAL_WINDOW_BYTES: u64 = 1024 * 1024;

/// Reads the central directory of `src`.
pub(crate) fn read_index(src: &Arc<dyn ReadAt>) -> Result<ZipIndex, String> {
    let size = src.len();
    let directory = locate_directory(&**src)?;
    let Directory {
        offset: cd_offset,
        size: cd_size,
        total_entries,
        prepended,
    } = directory;
    let mut findings = crate::findings::Findings::new();
    if cd_size > limits::MAX_CENTRAL_DIRECTORY_BYTES {
        return Ok(ZipIndex {
            entries: Vec::new(),
            findings,
            incomplete: Some(LimitHit::CentralDirectoryBytes.describe()),
            limit: Some(LimitHit::CentralDirectoryBytes),
        });
    }
    let cd_end = cd_offset
        .checked_add(cd_size)
        .ok_or("central directory size overflows")?;
    if cd_end > size {
        return Err(format!(
            "zip central directory points past the end of the file (ends at {cd_end} > size {size}); the file is truncated or not a zip"
        ));
    }
    if prepended > 0 {
        findings.push(Finding::new(
            &rules::ZIP_MALFORMED,
            format!(
                "the archive starts {prepended} bytes into the file: data is prepended, which \
                 Python's zipfile skips, while a reader of the first bytes sees something else"
            ),
        ));
    }
    // The directory is read through a window, never whole: its records are kept as
    // entries, and the bytes they came from need not stay in memory beside them.
    let mut window: Vec<u8> = Vec::new();
    let mut window_start = 0u64;
    let mut entries = Vec::new();
    let mut pos = 0u64;
    let mut limit = None;
    let mut incomplete = None;
    while pos + 46 <= cd_size {
        let window_end = window_start + window.len() as u64;
        if pos + MAX_CENTRAL_RECORD > window_end && window_end < cd_size {
            let len = (cd_size - pos).min(CENTRAL_WINDOW_BYTES);
            window = src
                .read_exact_at(cd_offset + pos, len as usize)
                .map_err(|e| e.to_string())?;
            window_start = pos;
        }
        let at = (pos - window_start) as usize;
        let damaged = |what: &str, entries: usize| {
            Finding::new(
                &rules::ZIP_MALFORMED,
                format!("central directory entry {entries} {what}"),
            )
            .offset(cd_offset + pos)
        };
        let record = central_record(&window, at);
        if let Err(RecordError::BadSignature) = record {
            findings.push(damaged("has a bad signature", entries.len()));
            incomplete = Some("damaged central directory".to_string());
            break;
        }
        if entries.len() >= limits::MAX_MEMBERS_PER_CONTAINER {
            limit = Some(LimitHit::MembersPerContainer);
            incomplete = Some(LimitHit::MembersPerContainer.describe());
            break;
        }
        let Ok(record) = record else {
            findings.push(damaged("runs past the directory", entries.len()));
            incomplete = Some("damaged central directory".to_string());
            break;
        };
        let CentralRecord {
            name_raw,
            flags,
            method,
            crc32,
            compressed_size: csize,
            uncompressed_size: usize_,
            local_header_offset: lho,
            made_on_unix,
            external_attributes,
            next: var_end,
        } = record;
        let name = decode_name(name_raw, flags);
        entries.push(Entry {
            name,
            method,
            flags,
            crc32,
            compressed_size: csize,
            uncompressed_size: usize_,
            local_header_offset: lho.saturating_add(prepended),
            data_offset: 0,
            index: entries.len(),
            unix_mode: made_on_unix.then_some(external_attributes >> 16),
        });
        pos = window_start + var_end as u64;
    }
    drop(window);
    if incomplete.is_none() && (entries.len() as u64) != total_entries && total_entries != 0xffff {
        findings.push(Finding::new(
            &rules::ZIP_MALFORMED,
            format!("the end record announces {total_entries} entries but the central directory holds {}", entries.len()),
        ));
    }

    // Local headers: the data offset, and the name torch never compares.
    for entry in &mut entries {
        match src.read_exact_at(entry.local_header_offset, 30) {
            Ok(lh) if u32_at(&lh, 0) == LOCAL_SIG => {
                let nlen = usize::from(u16_at(&lh, 26));
                let elen = u64::from(u16_at(&lh, 28));
                entry.data_offset = entry.local_header_offset + 30 + nlen as u64 + elen;
                if let Ok(local_name) = src.read_exact_at(entry.local_header_offset + 30, nlen) {
                    let local = decode_name(&local_name, u16_at(&lh, 6));
                    if local != entry.name {
                        findings.push(
                            Finding::new(
                                &rules::ZIP_NAME_MISMATCH,
                                format!(
                                    "entry `{}` is named `{}` in its local header",
                                    entry.name, local
                                ),
                            )
                            .offset(entry.local_header_offset)
                            .detail(format!("central: {}; local: {}", entry.name, local)),
                        );
                    }
                }
            }
            _ => {
                findings.push(
                    Finding::new(
                        &rules::ZIP_MALFORMED,
                        format!(
                            "entry `{}` points at offset {}, which holds no local header",
                            entry.name, entry.local_header_offset
                        ),
                    )
                    .offset(entry.local_header_offset),
                );
                entry.data_offset = u64::MAX;
                continue;
            }
        }
        if entry
            .data_offset
            .checked_add(entry.compressed_size)
            .is_none_or(|end| end > size)
        {
            findings.push(
                Finding::new(
                    &rules::ZIP_MALFORMED,
                    format!(
                        "entry `{}` data ({} bytes at offset {}) runs past the end of the file ({size} bytes)",
                        entry.name, entry.compressed_size, entry.data_offset
                    ),
                )
                .offset(entry.local_header_offset),
            );
        }
        if entry.flags & 0x1 != 0 {
            findings.push(
                Finding::new(&rules::ZIP_UNUSUAL_FLAGS, format!("entry `{}` sets the encryption flag; torch reads the bytes anyway, so they are scanned as they are", entry.name))
                    .offset(entry.local_header_offset),
            );
        } else if entry.flags & 0x40 != 0 || entry.flags & 0x2000 != 0 {
            findings.push(
                Finding::new(
                    &rules::ZIP_UNUSUAL_FLAGS,
                    format!(
                        "entry `{}` sets strong-encryption flag bits (0x{:04x})",
                        entry.name, entry.flags
                    ),
                )
                .offset(entry.local_header_offset),
            );
        }
        if let Some(f) = entry.member().traversal_finding() {
            findings.push(f.offset(entry.local_header_offset));
        }
    }
    // Equal names, found by sorting indices rather than keeping a second copy of each.
    let mut by_name: Vec<usize> = (0..entries.len()).collect();
    by_name.sort_by(|&a, &b| entries[a].name.cmp(&entries[b].name).then(a.cmp(&b)));
    for run in by_name.chunk_by(|&a, &b| entries[a].name == entries[b].name) {
        let first = run[0];
        for &later in &run[1..] {
            let entry = &entries[later];
            findings.push(
                Finding::new(
                    &rules::ZIP_DUPLICATE_NAME,
                    format!("entry `{}` appears more than once (entries {first} and {later}); readers disagree on which one they load", entry.name),
                )
                .offset(entry.local_header_offset),
            );
        }
    }
    drop(by_name);
    // Overlapping data ranges (the basis of overlapping-entry zip bombs).
    let mut ranges: Vec<(u64, u64, &str)> = entries
        .iter()
        .filter(|e| e.data_offset != u64::MAX && e.compressed_size > 0)
        .map(|e| {
            (
                e.data_offset,
                e.data_offset.saturating_add(e.compressed_size),
                e.name.as_str(),
            )
        })
        .collect();
    ranges.sort();
    if let Some(w) = ranges.windows(2).find(|w| w[1].0 < w[0].1) {
        findings.push(Finding::new(
            &rules::ZIP_MALFORMED,
            format!(
                "entries `{}` and `{}` share bytes: the archive overlaps members",
                w[0].2, w[1].2
            ),
        ));
    }
    Ok(ZipIndex {
        entries,
        findings,
        incomplete,
        limit,
    })
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Zip,
    role: crate::format::Role::Archive,
    access: crate::format::Access::RandomAccess,
    head: |b, _| {
        (b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06"))
            .then_some(crate::format::Evidence::Magic)
    },
    tail: Some(has_end_record),
    claimed_by: &[
        "zip",
        "npz",
        "keras",
        "mar",
        "whl",
        "skops",
        "jit",
        "torchscript",
        "ptl",
        "pt",
        "pth",
        "ckpt",
        "bin",
    ],
    exclusive_names: &[],
    parse: crate::format::Parser::Driver,
};

/// Whether `tail` (the last bytes of a source of `len` bytes) ends with an end of central
/// directory record whose comment reaches exactly to the end, as Python's zipfile
/// requires of an archive with bytes prepended.
fn has_end_record(tail: &[u8], len: u64) -> bool {
    if (tail.len() as u64) > len || tail.len() < 22 {
        return false;
    }
    (0..=tail.len() - 22).rev().any(|at| {
        tail[at..].starts_with(b"PK\x05\x06")
            && usize::from(u16_at(tail, at + 20)) == tail.len() - at - 22
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end_record(cd_size: u32, cd_offset: u32) -> Vec<u8> {
        let mut r = b"PK\x05\x06".to_vec();
        r.extend([0u8; 8]);
        r.extend(cd_size.to_le_bytes());
        r.extend(cd_offset.to_le_bytes());
        r.extend([0u8; 2]);
        r
    }

    #[test]
    fn directory_from_classic_and_zip64_end_records() {
        let mut file = vec![0u8; 5100];
        file.extend(end_record(100, 5000));
        let dir = locate_directory(&file).unwrap();
        assert_eq!((dir.offset, dir.size, dir.prepended), (5000, 100, 0));
        assert!(locate_directory(&file[..5100 + 20].to_vec()).is_err());

        // Zip64: the classic record saturates; the locator points at the zip64 record.
        let mut file = vec![0u8; 1311];
        let record_at = file.len() as u64;
        file.extend(b"PK\x06\x06");
        file.extend([0u8; 36]);
        file.extend(77u64.to_le_bytes()); // size at +40
        file.extend(1234u64.to_le_bytes()); // offset at +48
        file.extend(b"PK\x06\x07");
        file.extend([0u8; 4]);
        file.extend(record_at.to_le_bytes());
        file.extend([0u8; 4]);
        file.extend(end_record(u32::MAX, u32::MAX));
        let dir = locate_directory(&file).unwrap();
        assert_eq!((dir.offset, dir.size, dir.prepended), (1234, 77, 0));
    }

    #[test]
    fn prepended_bytes_shift_the_directory() {
        // A directory recorded at 0 with 46 bytes, but 10 bytes sit before it.
        let mut file = vec![b'#'; 10];
        file.extend([0u8; 46]);
        file.extend(end_record(46, 0));
        let dir = locate_directory(&file).unwrap();
        assert_eq!((dir.offset, dir.prepended), (10, 10));
    }

    fn record(name: &[u8], lho: u32, extra: &[u8], sizes: u32) -> Vec<u8> {
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
    fn central_records_take_zip64_values_for_saturated_fields_only() {
        let mut cd = record(b"a/data.pkl", 0, &[], 10);
        // Both sizes and the offset saturate; the extra holds them in that order.
        let mut extra = 1u16.to_le_bytes().to_vec();
        extra.extend(24u16.to_le_bytes());
        extra.extend(5u64.to_le_bytes());
        extra.extend(6u64.to_le_bytes());
        extra.extend((6u64 << 30).to_le_bytes());
        cd.extend(record(b"a/data/0", u32::MAX, &extra, u32::MAX));
        // Only the offset saturates.
        let mut extra = 1u16.to_le_bytes().to_vec();
        extra.extend(8u16.to_le_bytes());
        extra.extend((7u64 << 30).to_le_bytes());
        cd.extend(record(b"a/data/1", u32::MAX, &extra, 3));
        let mut pos = 0;
        let mut seen = Vec::new();
        while let Ok(r) = central_record(&cd, pos) {
            seen.push((
                r.local_header_offset,
                r.uncompressed_size,
                r.compressed_size,
            ));
            pos = r.next;
        }
        assert_eq!(seen, vec![(0, 10, 10), (6 << 30, 5, 6), (7 << 30, 3, 3)]);
        // Cut records end the walk without panicking.
        for cut in 0..cd.len() {
            let mut pos = 0;
            while let Ok(r) = central_record(&cd[..cut], pos) {
                pos = r.next;
            }
        }
        assert_eq!(
            central_record(b"PK\x01\x03", 0).err(),
            Some(RecordError::PastEnd)
        );
        let mut bad = cd.clone();
        bad[1] = b'X';
        assert_eq!(
            central_record(&bad, 0).err(),
            Some(RecordError::BadSignature)
        );
    }
}
