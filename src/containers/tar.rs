//! A sequential tar reader (ustar, pax, GNU long names, v7), over a byte stream: headers
//! only; member bodies are handed to the caller, which scans them from the same stream.

use crate::source::{ByteStream, SkipRead};

/// Longest pax or GNU long name kept.
const MAX_LONG_NAME: u64 = 64 * 1024;

#[derive(Debug, Clone)]
pub(crate) struct TarEntry {
    pub name: String,
    pub size: u64,
    pub kind: u8,
    /// Offset of the member's data in the tar stream.
    pub data_offset: u64,
    pub link: String,
}

impl TarEntry {
    pub fn is_file(&self) -> bool {
        matches!(self.kind, b'0' | 0 | b'7')
    }

    /// The entry as an extractor sees it.
    pub(crate) fn member(&self) -> super::Member<'_> {
        super::Member {
            noun: "tar member",
            name: &self.name,
            kind: self.member_kind(),
            link: Some(&self.link),
        }
    }

    pub(crate) fn member_kind(&self) -> super::MemberKind {
        use super::MemberKind;
        match self.kind {
            b'1' => MemberKind::Hardlink,
            b'2' => MemberKind::Symlink,
            b'5' => MemberKind::Directory,
            _ if self.is_file() => MemberKind::File,
            _ => MemberKind::Other,
        }
    }
}

fn octal(field: &[u8]) -> Option<u64> {
    if field.first().is_some_and(|b| b & 0x80 != 0) {
        // GNU base-256.
        let mut v: u64 = u64::from(field[0] & 0x7f);
        for &b in &field[1..] {
            v = v.checked_mul(256)?.checked_add(u64::from(b))?;
        }
        return Some(v);
    }
    let s = std::str::from_utf8(field).ok()?;
    let s = s.trim_matches(|c: char| c == '\0' || c == ' ');
    if s.is_empty() {
        return Some(0);
    }
    u64::from_str_radix(s, 8).ok()
}

fn cstr(field: &[u8]) -> String {
    let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
    String::from_utf8_lossy(&field[..end]).into_owned()
}

/// A member's size rounded up to whole 512-byte blocks (saturating: sizes are hostile).
fn padded_len(size: u64) -> u64 {
    size.div_ceil(512).saturating_mul(512)
}

fn read_body<R: SkipRead>(stream: &mut ByteStream<R>, size: u64) -> Result<Vec<u8>, String> {
    let keep = size.min(MAX_LONG_NAME) as usize;
    let avail = stream.fill(keep);
    if avail.len() < keep {
        return Err("tar extension header is truncated".into());
    }
    let body = avail[..keep].to_vec();
    stream.consume(keep);
    let padded = padded_len(size);
    if stream.skip(padded - keep as u64) < padded - keep as u64 {
        return Err("tar extension header is truncated".into());
    }
    Ok(body)
}

/// Reads the next member header (following pax and GNU extension headers). Returns
/// `Ok(None)` at the end-of-archive marker or a clean end of stream.
pub(crate) fn next_entry<R: SkipRead>(
    stream: &mut ByteStream<R>,
) -> Result<Option<TarEntry>, String> {
    let mut long_name: Option<String> = None;
    let mut pax_size: Option<u64> = None;
    loop {
        let header_offset = stream.position();
        let block = stream.fill(512);
        if block.is_empty() {
            return Ok(None);
        }
        if block.len() < 512 {
            return Err(format!("tar header at offset {header_offset} is truncated"));
        }
        let h: [u8; 512] = block[..512].try_into().expect("512 bytes");
        stream.consume(512);
        if h.iter().all(|&b| b == 0) {
            return Ok(None);
        }
        let stored = octal(&h[148..156]).ok_or_else(|| {
            format!("tar header at offset {header_offset} has an invalid checksum field")
        })?;
        let sum: u64 = h
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                if (148..156).contains(&i) {
                    32
                } else {
                    u64::from(c)
                }
            })
            .sum();
        if sum != stored {
            return Err(format!("tar header at offset {header_offset} fails its checksum ({stored} stored, {sum} computed)"));
        }
        let size = octal(&h[124..136])
            .ok_or_else(|| format!("tar header at offset {header_offset} has an invalid size"))?;
        let kind = h[156];
        match kind {
            b'L' => {
                let body = read_body(stream, size)?;
                long_name = Some(cstr(&body));
                continue;
            }
            b'x' => {
                let body = read_body(stream, size)?;
                for record in String::from_utf8_lossy(&body).split('\n') {
                    let Some((_, kv)) = record.split_once(' ') else {
                        continue;
                    };
                    if let Some(p) = kv.strip_prefix("path=") {
                        long_name = Some(p.to_string());
                    } else if let Some(s) = kv.strip_prefix("size=") {
                        pax_size = s.trim().parse().ok();
                    }
                }
                continue;
            }
            b'g' | b'K' => {
                read_body(stream, size)?;
                continue;
            }
            _ => {}
        }
        let mut name = cstr(&h[0..100]);
        if &h[257..262] == b"ustar" {
            let prefix = cstr(&h[345..500]);
            if !prefix.is_empty() {
                name = format!("{prefix}/{name}");
            }
        }
        return Ok(Some(TarEntry {
            name: long_name.take().unwrap_or(name),
            size: pax_size.take().unwrap_or(size),
            kind,
            data_offset: stream.position(),
            link: cstr(&h[157..257]),
        }));
    }
}

/// Skips to the next 512-byte boundary after a member of `size` bytes that started at
/// `data_offset` and of which the caller consumed some part.
pub(crate) fn finish_entry<R: SkipRead>(
    stream: &mut ByteStream<R>,
    entry: &TarEntry,
) -> Result<(), String> {
    let end = entry.data_offset.saturating_add(padded_len(entry.size));
    let here = stream.position();
    if here < end && stream.skip(end - here) < end - here {
        return Err(format!("tar member `{}` is truncated", entry.name));
    }
    Ok(())
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Tar,
    role: crate::format::Role::Archive,
    access: crate::format::Access::Stream,
    head: |b, _| is_tar_header(b).then_some(crate::format::Evidence::Structure),
    tail: None,
    claimed_by: &["tar", "tgz"],
    exclusive_names: &[],
    parse: crate::format::Parser::Driver,
};

fn is_tar_header(b: &[u8]) -> bool {
    if b.len() < 512 {
        return false;
    }
    if &b[257..262] == b"ustar" {
        return true;
    }
    // Old v7 archives have no magic: accept a header whose checksum is right.
    let stored = std::str::from_utf8(&b[148..156])
        .ok()
        .map(|s| s.trim_matches(|c: char| c == '\0' || c == ' '))
        .and_then(|s| u32::from_str_radix(s, 8).ok());
    let Some(stored) = stored else { return false };
    let sum: u32 = b[..512]
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            if (148..156).contains(&i) {
                32
            } else {
                u32::from(c)
            }
        })
        .sum();
    sum == stored && b[0] != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(size_field: [u8; 12]) -> Vec<u8> {
        let mut h = vec![0u8; 512];
        h[..5].copy_from_slice(b"x.pkl");
        h[124..136].copy_from_slice(&size_field);
        h[156] = b'0';
        h[257..263].copy_from_slice(b"ustar\0");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
        h
    }

    #[test]
    fn huge_base256_sizes_end_as_truncation_not_overflow() {
        // 0x80 marks base-256; the value is u64::MAX, which fits but overflows padding.
        let mut size = [0xffu8; 12];
        size[..4].copy_from_slice(&[0x80, 0, 0, 0]);
        let h = header(size);
        let mut stream = ByteStream::new(&h[..]);
        let e = next_entry(&mut stream).unwrap().unwrap();
        assert!(e.size > u64::MAX / 2);
        assert!(finish_entry(&mut stream, &e).is_err());
    }
}
