//! Git LFS pointer files: what a repository cloned without Git LFS holds in place of each
//! large file. A pointer is not the model; the file it names was not checked.

/// The first line of every pointer (the Git LFS specification, v1).
pub const POINTER_PREFIX: &[u8] = b"version https://git-lfs.github.com/spec/v1";

/// Pointers are small text files; the specification keeps them under 1024 bytes.
const MAX_POINTER_BYTES: usize = 1024;

/// What a pointer names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LfsPointer {
    /// `sha256:<64 hex>` as written.
    pub oid: String,
    pub size: u64,
}

/// The pointer in `bytes` (the whole file), if it is one: the version line, then
/// `key value` lines that include `oid` and `size`.
pub fn parse_pointer(bytes: &[u8]) -> Option<LfsPointer> {
    if bytes.len() > MAX_POINTER_BYTES || !bytes.starts_with(POINTER_PREFIX) {
        return None;
    }
    let text = std::str::from_utf8(bytes).ok()?;
    let mut oid = None;
    let mut size = None;
    for line in text.lines().skip(1) {
        let (key, value) = line.split_once(' ')?;
        match key {
            "oid" => {
                let hex = value.strip_prefix("sha256:")?;
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                oid = Some(value.to_string());
            }
            "size" => size = value.parse().ok(),
            _ => {}
        }
    }
    Some(LfsPointer {
        oid: oid?,
        size: size?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_pointer_and_nothing_else() {
        let oid = "a".repeat(64);
        let text =
            format!("version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize 1234\n");
        let p = parse_pointer(text.as_bytes()).unwrap();
        assert_eq!(p.size, 1234);
        assert_eq!(p.oid, format!("sha256:{oid}"));
        assert!(parse_pointer(b"version https://git-lfs.github.com/spec/v1\nsize 3\n").is_none());
        assert!(parse_pointer(b"hello").is_none());
    }
}
