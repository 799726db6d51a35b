//! The format registry: every format modelvet recognises, what recognises it, how it is
//! read and which file names claim it. Each format's module declares its [`FormatSpec`];
//! [`FORMATS`] lists them. Recognition runs every probe and returns every format that
//! accepts the bytes, strongest evidence first: loaders do not stop at the first match,
//! so neither may the driver.

use serde::{Serialize, Serializer};

use crate::policy::Policy;

/// A format as the report names it: recognised by content, a refinement of a container
/// once its members are known (a zip that is a torch checkpoint), or not content at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Format {
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
    Empty,
    /// Bytes no probe accepts.
    Unrecognized,
    TorchZip,
    TorchScript,
    KerasArchive,
    Npz,
    KerasH5,
    Directory,
    Symlink,
    HfRepository,
    /// Not determined (the artifact could not be read).
    Unknown,
}

impl Format {
    /// The name in reports (JSON `format`, text, SARIF, BOM properties). Stable: the JSON
    /// schema and users' policies use these strings.
    pub fn name(self) -> &'static str {
        match self {
            Format::Pickle => "pickle",
            Format::TorchLegacy => "torch-legacy",
            Format::Zip => "zip",
            Format::SevenZip => "7z",
            Format::Gzip => "gzip",
            Format::Bzip2 => "bzip2",
            Format::Xz => "xz",
            Format::Zstd => "zstd",
            Format::Lz4 => "lz4",
            Format::Zlib => "zlib",
            Format::LzmaAlone => "lzma",
            Format::Tar => "tar",
            Format::Npy => "npy",
            Format::Safetensors => "safetensors",
            Format::Gguf => "gguf",
            Format::Hdf5 => "hdf5",
            Format::Onnx => "onnx",
            Format::SavedModel => "saved-model",
            Format::Text => "text",
            Format::Image => "image",
            Format::Empty => "empty",
            Format::Unrecognized => "unrecognized",
            Format::TorchZip => "torch-zip",
            Format::TorchScript => "torchscript",
            Format::KerasArchive => "keras",
            Format::Npz => "npz",
            Format::KerasH5 => "keras-h5",
            Format::Directory => "directory",
            Format::Symlink => "symlink",
            Format::HfRepository => "hf-repository",
            Format::Unknown => "unknown",
        }
    }

    /// The format this one is a special case of: a legacy torch checkpoint is a pickle
    /// behind a magic number, a torch zip a zip with a known layout.
    pub fn parent(self) -> Option<Format> {
        match self {
            Format::TorchLegacy => Some(Format::Pickle),
            Format::TorchZip | Format::TorchScript | Format::KerasArchive | Format::Npz => {
                Some(Format::Zip)
            }
            Format::KerasH5 => Some(Format::Hdf5),
            _ => None,
        }
    }

    /// The registry entry of a format recognised by content.
    pub fn spec(self) -> Option<&'static FormatSpec> {
        FORMATS.iter().copied().find(|s| s.format == self)
    }

    /// Read through random access (a directory at the end, or object headers anywhere).
    pub fn needs_random_access(self) -> bool {
        self.spec()
            .is_some_and(|s| s.access == Access::RandomAccess)
    }

    pub fn is_compressed_stream(self) -> bool {
        self.spec().is_some_and(|s| s.role == Role::Compression)
    }

    /// May hold model weights or code: everything but documents and entries that are not
    /// content. What makes a folder with a `config.json` a model, and a file a BOM weight.
    pub fn may_hold_weights(self) -> bool {
        !matches!(
            self,
            Format::Text
                | Format::Image
                | Format::Empty
                | Format::Unrecognized
                | Format::Unknown
                | Format::Directory
                | Format::Symlink
        )
    }
}

impl std::fmt::Display for Format {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for Format {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.name())
    }
}

impl PartialEq<&str> for Format {
    fn eq(&self, other: &&str) -> bool {
        self.name() == *other
    }
}

/// How a format is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Front to back, once (hashing shares the read).
    Stream,
    /// Seeks: a central directory at the end, or object headers anywhere.
    RandomAccess,
}

/// What a format is to a loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Weights or a model graph, possibly with code paths.
    Model,
    /// Holds members that are scanned in turn.
    Archive,
    /// One compressed stream holding one member.
    Compression,
    /// Text or media: no loader runs it as a model by itself.
    Document,
}

/// How strongly a probe's bytes say "this format": a signature at offset 0, a validated
/// structure without a signature, or a plausibility check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Evidence {
    Heuristic,
    Structure,
    Magic,
}

/// A probe of the first [`SNIFF_LEN`] bytes.
pub type HeadProbe = fn(&[u8], &Policy) -> Option<Evidence>;
/// A probe of the last [`TAIL_LEN`] bytes of a random-access source; the second argument
/// is the source's length.
pub type TailProbe = fn(&[u8], u64) -> bool;

/// One format's registry entry, declared by the format's own module.
pub struct FormatSpec {
    pub format: Format,
    pub role: Role,
    pub access: Access,
    pub head: HeadProbe,
    /// For formats found from the end (zip: Python's zipfile finds the end record
    /// wherever the archive starts).
    pub tail: Option<TailProbe>,
    /// File extensions that claim this format: unrecognised content under one of these
    /// names was expected to be a model, so it makes the scan incomplete.
    pub claimed_by: &'static [&'static str],
    /// Extensions that claim this format and no other (MV501 compares them with content).
    pub exclusive_names: &'static [&'static str],
}

/// Bytes read from the start of an input to recognise it.
pub const SNIFF_LEN: usize = 64 * 1024;
/// Bytes read from the end of a random-access input for tail probes: a zip end record
/// (22 bytes) with the longest comment (65,535 bytes).
pub const TAIL_LEN: usize = 22 + 65_535;

/// Every format recognised by content. The order breaks ties between probes with the same
/// evidence; a new format adds its module's spec here.
pub static FORMATS: &[&FormatSpec] = &[
    &crate::formats::torch::LEGACY_FORMAT,
    &crate::containers::zip::FORMAT,
    &crate::containers::sevenz::FORMAT,
    &crate::containers::compress::GZIP,
    &crate::containers::compress::BZIP2,
    &crate::containers::compress::XZ,
    &crate::containers::compress::ZSTD,
    &crate::containers::compress::LZ4,
    &crate::formats::numpy::FORMAT,
    &crate::formats::gguf::FORMAT,
    &crate::formats::hdf5::FORMAT,
    &IMAGE,
    &crate::containers::tar::FORMAT,
    &crate::formats::onnx::FORMAT,
    &crate::formats::savedmodel::FORMAT,
    &crate::formats::safetensors::FORMAT,
    &crate::containers::compress::LZMA_ALONE,
    &crate::formats::pickle::FORMAT,
    &crate::containers::compress::ZLIB,
    &TEXT,
];

/// Extensions that claim a model format modelvet does not parse (yet): unrecognised
/// content under them is still incomplete, never "not a model".
const UNPARSED_MODEL_NAMES: &[&str] = &["tflite", "msgpack"];

static IMAGE: FormatSpec = FormatSpec {
    format: Format::Image,
    role: Role::Document,
    access: Access::Stream,
    head: |b, _| {
        (b.starts_with(b"\x89PNG") || b.starts_with(b"\xff\xd8\xff") || b.starts_with(b"GIF8"))
            .then_some(Evidence::Magic)
    },
    tail: None,
    claimed_by: &[],
    exclusive_names: &[],
};

static TEXT: FormatSpec = FormatSpec {
    format: Format::Text,
    role: Role::Document,
    access: Access::Stream,
    head: |b, _| is_text(b).then_some(Evidence::Heuristic),
    tail: None,
    claimed_by: &[],
    exclusive_names: &["json", "txt", "md", "yaml", "yml", "csv"],
};

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

/// What recognition found: every accepting format, strongest evidence first (registry
/// order among equals). Never empty: [`Format::Empty`] or [`Format::Unrecognized`] when
/// nothing accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sniffed {
    pub candidates: Vec<Format>,
}

impl Sniffed {
    pub fn of(format: Format) -> Sniffed {
        Sniffed {
            candidates: vec![format],
        }
    }

    /// The interpretation the driver parses first.
    pub fn primary(&self) -> Format {
        self.candidates[0]
    }

    /// Other formats a loader could take the same bytes for. Left out: documents (no
    /// loader runs text or an image as a model) and the format the primary one is a
    /// special case of (a legacy torch checkpoint is always a pickle too).
    pub fn alternatives(&self) -> impl Iterator<Item = Format> + '_ {
        let parent = self.primary().parent();
        self.candidates[1..]
            .iter()
            .copied()
            .filter(move |f| Some(*f) != parent)
            .filter(|f| f.spec().is_none_or(|s| s.role != Role::Document))
    }
}

/// Runs every probe on `head` (the first [`SNIFF_LEN`] bytes, or fewer for short inputs)
/// and, when given, on `tail` (the last [`TAIL_LEN`] bytes of a source of `len` bytes).
pub fn sniff(head: &[u8], tail: Option<(&[u8], u64)>, policy: &Policy) -> Sniffed {
    if head.is_empty() {
        return Sniffed::of(Format::Empty);
    }
    let mut found: Vec<(Evidence, usize, Format)> = Vec::new();
    for (order, spec) in FORMATS.iter().enumerate() {
        let mut evidence = (spec.head)(head, policy);
        if evidence.is_none() {
            if let (Some(probe), Some((tail, len))) = (spec.tail, tail) {
                evidence = probe(tail, len).then_some(Evidence::Structure);
            }
        }
        if let Some(e) = evidence {
            found.push((e, order, spec.format));
        }
    }
    found.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut candidates: Vec<Format> = Vec::new();
    for (_, _, format) in found {
        if !candidates.contains(&format) {
            candidates.push(format);
        }
    }
    if candidates.is_empty() {
        candidates.push(Format::Unrecognized);
    }
    Sniffed { candidates }
}

fn extension(name: &str) -> Option<String> {
    let lower = name.to_ascii_lowercase();
    let base = lower.rsplit(['/', '!']).next().unwrap_or(&lower);
    base.rsplit_once('.').map(|(_, ext)| ext.to_string())
}

/// Whether a file name claims a model or model container (from every format's
/// `claimed_by`). Not `.model`: Hugging Face repos ship sentencepiece tokenizers under it.
pub fn name_claims_model(name: &str) -> bool {
    extension(name).is_some_and(|ext| {
        UNPARSED_MODEL_NAMES.contains(&ext.as_str())
            || FORMATS.iter().any(|s| s.claimed_by.contains(&ext.as_str()))
    })
}

/// The one format a file name claims, for MV501 (only extensions a single format owns;
/// `msgpack`, which modelvet does not parse, counts as its own claim).
pub fn claimed_format(name: &str) -> Option<&'static str> {
    let ext = extension(name)?;
    if ext == "msgpack" {
        return Some("msgpack");
    }
    FORMATS
        .iter()
        .find(|s| s.exclusive_names.contains(&ext.as_str()))
        .map(|s| s.format.name())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::pickle::TORCH_LEGACY_MAGIC;

    fn s(b: &[u8]) -> Format {
        sniff(b, None, &Policy::new()).primary()
    }

    #[test]
    fn recognises_by_content() {
        assert_eq!(s(b"\x80\x02}q\x00."), Format::Pickle);
        assert_eq!(s(b"cos\nsystem\n(S'echo x'\ntR."), Format::Pickle);
        assert_eq!(s(b"(dp0\nS'a'\np1\nI1\ns."), Format::Pickle);
        assert_eq!(s(b"cos\nsystem\n"), Format::Pickle);
        assert_eq!(s(b"{\"architectures\": [\"Bert\"]}\n"), Format::Text);
        assert_eq!(s(b"cat\nthe\ndog\n"), Format::Text);
        assert_eq!(s(b"hello world\n"), Format::Text);
        assert_eq!(s(TORCH_LEGACY_MAGIC), Format::TorchLegacy);
        assert_eq!(s(b"PK\x03\x04rest"), Format::Zip);
        assert_eq!(s(b"\x78\x9c\x01\x02"), Format::Zlib);
        assert_eq!(s(&[0u8, 1, 2, 3, 0xff, 0xfe]), Format::Unrecognized);
        assert_eq!(s(b""), Format::Empty);
    }

    #[test]
    fn every_accepting_format_is_returned() {
        // A protocol-0 pickle is also text: both are candidates, pickle first, and text
        // is not an alternative a loader would take.
        let sniffed = sniff(b"cos\nsystem\n(S'echo x'\ntR.", None, &Policy::new());
        assert_eq!(sniffed.candidates, vec![Format::Pickle, Format::Text]);
        assert_eq!(sniffed.alternatives().count(), 0);
    }

    #[test]
    fn a_zip_is_found_by_its_end_record_behind_prepended_bytes() {
        let mut zip = b"#!/bin/sh\necho prepended\n".to_vec();
        zip.extend_from_slice(b"PK\x05\x06");
        zip.extend_from_slice(&[0u8; 18]);
        let sniffed = sniff(&zip, Some((&zip, zip.len() as u64)), &Policy::new());
        assert_eq!(sniffed.candidates, vec![Format::Zip]);
        // Without the tail the same bytes are nothing modelvet knows.
        assert_eq!(s(&zip), Format::Unrecognized);
        // A record whose comment length does not reach the end is not an end record.
        let mut bad = zip.clone();
        bad.push(0);
        assert_eq!(
            sniff(&bad, Some((&bad, bad.len() as u64)), &Policy::new()).primary(),
            Format::Unrecognized
        );
    }

    #[test]
    fn every_registered_format_is_registered_once_and_named_uniquely() {
        let mut names: Vec<&str> = FORMATS.iter().map(|s| s.format.name()).collect();
        let before = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), before);
    }

    #[test]
    fn model_name_claims() {
        assert!(name_claims_model("dir/pytorch_model.bin"));
        assert!(name_claims_model("x.tar!inner.PT"));
        assert!(name_claims_model("m.tflite"));
        assert!(!name_claims_model("README.md"));
        assert!(!name_claims_model("tokenizer.model"));
        assert!(!name_claims_model("noext"));
        assert_eq!(claimed_format("a.safetensors"), Some("safetensors"));
        assert_eq!(claimed_format("config.json"), Some("text"));
        assert_eq!(claimed_format("w.h5"), Some("hdf5"));
        assert_eq!(claimed_format("flax.msgpack"), Some("msgpack"));
        assert_eq!(claimed_format("pytorch_model.bin"), None);
    }
}
