//! 7z archives (the nullifAI container), decoded by the pure-Rust sevenz-rust2 crate.
//! Every file member is handed to the caller as a stream.

use std::cell::Cell;
use std::io::Read;
use std::rc::Rc;
use std::sync::Arc;

use super::compress::Counting;
use super::{Member, MemberKind};
use crate::source::{ReadAt, ReadAtCursor};

/// 7-Zip marks attributes that carry a Unix mode in their high half with this bit.
const UNIX_EXTENSION: u32 = 0x8000;
/// A Windows reparse point: what 7-Zip stores a Windows symlink or junction as.
const REPARSE_POINT: u32 = 0x400;

fn member_kind(entry: &sevenz_rust2::ArchiveEntry) -> MemberKind {
    if entry.is_directory() {
        return MemberKind::Directory;
    }
    if entry.has_windows_attributes {
        let attributes = entry.windows_attributes;
        let unix_link =
            attributes & UNIX_EXTENSION != 0 && (attributes >> 16) & 0o170_000 == 0o120_000;
        if unix_link || attributes & REPARSE_POINT != 0 {
            return MemberKind::Symlink;
        }
    }
    MemberKind::File
}

/// Calls `each` for every member, in archive order: directories (with an empty stream),
/// links (whose stream is the target) and files. `each` returns false to stop.
/// `packed_read` counts the archive bytes read so far, for the compression-ratio limit.
pub(crate) fn for_each_member(
    src: Arc<dyn ReadAt>,
    packed_read: Rc<Cell<u64>>,
    mut each: impl FnMut(Member<'_>, &mut dyn Read) -> bool,
) -> Result<(), String> {
    let cursor = Counting {
        inner: ReadAtCursor {
            source: src,
            pos: 0,
        },
        count: packed_read,
    };
    let mut reader = sevenz_rust2::ArchiveReader::new(cursor, sevenz_rust2::Password::empty())
        .map_err(|e| format!("7z header: {e}"))?;
    // The crate's default decodes with one thread per core, and its multi-threaded LZMA2
    // reader decodes ahead into buffers without bound: a 1 GiB member of zeros took
    // 1.27 GB. One thread streams within the dictionary's size.
    reader.set_thread_count(1);
    reader
        .for_each_entries(|entry, data| {
            let kind = member_kind(entry);
            if kind == MemberKind::File && !entry.has_stream {
                return Ok(true);
            }
            Ok(each(
                Member {
                    noun: "7z member",
                    name: entry.name(),
                    kind,
                    link: None,
                },
                data,
            ))
        })
        .map_err(|e| format!("7z data: {e}"))
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::SevenZip,
    role: crate::format::Role::Archive,
    access: crate::format::Access::RandomAccess,
    head: |b, _| {
        b.starts_with(b"7z\xbc\xaf\x27\x1c")
            .then_some(crate::format::Evidence::Magic)
    },
    tail: None,
    claimed_by: &["7z"],
    exclusive_names: &[],
    parse: crate::format::Parser::Driver,
};
