//! 7z archives (the nullifAI container), decoded by the pure-Rust sevenz-rust2 crate.
//! Every file member is handed to the caller as a stream.

use std::io::Read;
use std::sync::Arc;

use crate::source::{ReadAt, ReadAtCursor};

pub struct SevenZipMember<'a> {
    pub name: &'a str,
    pub size: u64,
}

/// Calls `each` for every file member, in archive order. `each` returns false to stop.
pub fn for_each_member(
    src: Arc<dyn ReadAt>,
    mut each: impl FnMut(SevenZipMember<'_>, &mut dyn Read) -> bool,
) -> Result<(), String> {
    let cursor = ReadAtCursor {
        source: src,
        pos: 0,
    };
    let mut reader = sevenz_rust2::ArchiveReader::new(cursor, sevenz_rust2::Password::empty())
        .map_err(|e| format!("7z header: {e}"))?;
    reader
        .for_each_entries(|entry, data| {
            if entry.is_directory() || !entry.has_stream {
                return Ok(true);
            }
            Ok(each(
                SevenZipMember {
                    name: entry.name(),
                    size: entry.size,
                },
                data,
            ))
        })
        .map_err(|e| format!("7z data: {e}"))
}
