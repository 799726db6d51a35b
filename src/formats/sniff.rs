//! Recognises a format from its first bytes. File names never decide the format; they
//! only decide whether unrecognised content was expected to be a model.

use crate::formats::pickle::{self, TORCH_LEGACY_MAGIC};
use crate::formats::{onnx, savedmodel};
use crate::policy::Policy;

/// Bytes read from the start of an input to recognise it.
pub const SNIFF_LEN: usize = 64 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detected {
    Empty,
    Pickle,
    TorchLegacy,
    Zip,
    SevenZip,
    Gzip,
    Bzip2,
    Xz,
    Zstd,
    Lz4,
    Zlib,
    LzmaAlone,
    Tar,
    Npy,
    Safetensors,
    Gguf,
    Hdf5,
    Onnx,
    SavedModel,
    Text,
    Image,
    Unknown,
}

impl Detected {
    pub fn name(self) -> &'static str {
        match self {
            Detected::Empty => "empty",
            Detected::Pickle => "pickle",
            Detected::TorchLegacy => "torch-legacy",
            Detected::Zip => "zip",
            Detected::SevenZip => "7z",
            Detected::Gzip => "gzip",
            Detected::Bzip2 => "bzip2",
            Detected::Xz => "xz",
            Detected::Zstd => "zstd",
            Detected::Lz4 => "lz4",
            Detected::Zlib => "zlib",
            Detected::LzmaAlone => "lzma",
            Detected::Tar => "tar",
            Detected::Npy => "npy",
            Detected::Safetensors => "safetensors",
            Detected::Gguf => "gguf",
            Detected::Hdf5 => "hdf5",
            Detected::Onnx => "onnx",
            Detected::SavedModel => "saved-model",
            Detected::Text => "text",
            Detected::Image => "image",
            Detected::Unknown => "unrecognized",
        }
    }

    /// Formats read through random access (central directories at the end).
    pub fn needs_random_access(self) -> bool {
        matches!(self, Detected::Zip | Detected::SevenZip | Detected::Hdf5)
    }

    pub fn is_compressed_stream(self) -> bool {
        matches!(
            self,
            Detected::Gzip
                | Detected::Bzip2
                | Detected::Xz
                | Detected::Zstd
                | Detected::Lz4
                | Detected::Zlib
                | Detected::LzmaAlone
        )
    }
}

/// Extensions that claim a model or model container. Unrecognised content under one of
/// these names makes the scan incomplete: the user expected a model there.
/// Not `.model`: Hugging Face repos ship sentencepiece tokenizers under that name.
pub const MODEL_EXTENSIONS: &[&str] = &[
    "bin",
    "pt",
    "pth",
    "ckpt",
    "pkl",
    "pickle",
    "joblib",
    "npy",
    "npz",
    "h5",
    "hdf5",
    "keras",
    "onnx",
    "gguf",
    "ggml",
    "safetensors",
    "pb",
    "tflite",
    "msgpack",
    "7z",
    "zip",
    "tar",
    "tgz",
    "gz",
    "bz2",
    "xz",
    "zst",
    "lz4",
    "mar",
    "dill",
    "sav",
    "jit",
    "torchscript",
    "ptl",
];

pub fn name_claims_model(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit(['/', '!']).next().unwrap_or(&lower);
    base.rsplit_once('.')
        .is_some_and(|(_, ext)| MODEL_EXTENSIONS.contains(&ext))
}

/// The format a file name claims, for MV501 (only the unambiguous ones).
pub fn claimed_format(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let ext = lower.rsplit_once('.')?.1;
    Some(match ext {
        "safetensors" => "safetensors",
        "gguf" => "gguf",
        "onnx" => "onnx",
        "npy" => "npy",
        "json" | "txt" | "md" | "yaml" | "yml" | "csv" => "text",
        "msgpack" => "msgpack",
        "h5" | "hdf5" => "hdf5",
        _ => return None,
    })
}

fn is_zlib_header(b: &[u8]) -> bool {
    b.len() >= 2
        && b[0] & 0x0f == 8
        && b[0] >> 4 <= 7
        && (u16::from(b[0]) << 8 | u16::from(b[1])) % 31 == 0
}

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

fn is_text(b: &[u8]) -> bool {
    if b.contains(&0) {
        return false;
    }
    match std::str::from_utf8(b) {
        Ok(_) => true,
        // A prefix may cut the last character in half.
        Err(e) => e.error_len().is_none() && e.valid_up_to() + 4 > b.len(),
    }
}

/// Recognises `prefix` (the first [`SNIFF_LEN`] bytes, or fewer for short inputs).
pub fn sniff(prefix: &[u8], policy: &Policy) -> Detected {
    let b = prefix;
    if b.is_empty() {
        return Detected::Empty;
    }
    if b.starts_with(TORCH_LEGACY_MAGIC) {
        return Detected::TorchLegacy;
    }
    if b.starts_with(b"PK\x03\x04") || b.starts_with(b"PK\x05\x06") {
        return Detected::Zip;
    }
    if b.starts_with(b"7z\xbc\xaf\x27\x1c") {
        return Detected::SevenZip;
    }
    if b.starts_with(b"\x1f\x8b") {
        return Detected::Gzip;
    }
    if b.len() >= 4 && b.starts_with(b"BZh") && (b'1'..=b'9').contains(&b[3]) {
        return Detected::Bzip2;
    }
    if b.starts_with(b"\xfd7zXZ\x00") {
        return Detected::Xz;
    }
    if b.starts_with(b"\x28\xb5\x2f\xfd") {
        return Detected::Zstd;
    }
    if b.starts_with(b"\x04\x22\x4d\x18") {
        return Detected::Lz4;
    }
    if b.starts_with(b"\x93NUMPY") {
        return Detected::Npy;
    }
    if b.starts_with(b"GGUF") {
        return Detected::Gguf;
    }
    if b.starts_with(b"\x89HDF\r\n\x1a\n") {
        return Detected::Hdf5;
    }
    if b.starts_with(b"\x89PNG") || b.starts_with(b"\xff\xd8\xff") || b.starts_with(b"GIF8") {
        return Detected::Image;
    }
    if b[0] == 0x80 && pickle::looks_like_pickle(b, policy) {
        return Detected::Pickle;
    }
    if is_tar_header(b) {
        return Detected::Tar;
    }
    // Protobuf has no magic: these check the prefix against each schema's field layout.
    if onnx::looks_like_onnx(b) {
        return Detected::Onnx;
    }
    if savedmodel::looks_like_saved_model(b) {
        return Detected::SavedModel;
    }
    if b.len() >= 9 {
        let n = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
        let first = b[8..].iter().find(|c| !c.is_ascii_whitespace());
        if n > 1 && n < 100_000_000 && first == Some(&b'{') {
            return Detected::Safetensors;
        }
    }
    // .lzma (LZMA-alone): properties byte 0x5d and a power-of-two dictionary size. 0x5d is
    // also EMPTY_LIST, but a pickle never follows it with a zero byte.
    if b.len() >= 13 && b[0] == 0x5d && b[1] == 0 {
        let dict = u32::from_le_bytes(b[1..5].try_into().expect("4 bytes"));
        if dict.is_power_of_two() || dict == 0 {
            return Detected::LzmaAlone;
        }
    }
    if pickle::looks_like_pickle(b, policy) {
        return Detected::Pickle;
    }
    // After the pickle probe: `(` (MARK) followed by some bytes also passes the zlib check.
    if is_zlib_header(b) && b[1] & 0x20 == 0 {
        return Detected::Zlib;
    }
    if is_text(b) {
        return Detected::Text;
    }
    Detected::Unknown
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(b: &[u8]) -> Detected {
        sniff(b, &Policy::new())
    }

    #[test]
    fn recognises_by_content() {
        assert_eq!(s(b"\x80\x02}q\x00."), Detected::Pickle);
        assert_eq!(s(b"cos\nsystem\n(S'echo x'\ntR."), Detected::Pickle);
        assert_eq!(s(b"(dp0\nS'a'\np1\nI1\ns."), Detected::Pickle);
        assert_eq!(s(b"cos\nsystem\n"), Detected::Pickle);
        assert_eq!(s(b"{\"architectures\": [\"Bert\"]}\n"), Detected::Text);
        assert_eq!(s(b"cat\nthe\ndog\n"), Detected::Text);
        assert_eq!(s(b"hello world\n"), Detected::Text);
        assert_eq!(s(TORCH_LEGACY_MAGIC), Detected::TorchLegacy);
        assert_eq!(s(b"PK\x03\x04rest"), Detected::Zip);
        assert_eq!(s(b"\x78\x9c\x01\x02"), Detected::Zlib);
        assert_eq!(s(&[0u8, 1, 2, 3, 0xff, 0xfe]), Detected::Unknown);
        assert_eq!(s(b""), Detected::Empty);
    }

    #[test]
    fn model_extension_claims() {
        assert!(name_claims_model("dir/pytorch_model.bin"));
        assert!(name_claims_model("x.tar!inner.PT"));
        assert!(!name_claims_model("README.md"));
        assert!(!name_claims_model("noext"));
    }
}
