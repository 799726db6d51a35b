//! The format registry: every format modelvet recognises, what recognises it, how it is
//! read and which file names claim it. Each format's module declares its [`FormatSpec`];
//! [`FORMATS`] lists them. Recognition runs every probe and returns every format that
//! accepts the bytes, strongest evidence first: loaders do not stop at the first match,
//! so neither may the driver.

pub use crate::format::{
    Access, Evidence, Format, FormatSpec, HeadProbe, Parser, Role, TailProbe, SNIFF_LEN, TAIL_LEN,
};
use crate::policy::Policy;

/// Registry look-ups on a format.
impl Format {
    /// The registry entry of a format recognised by content.
    pub fn spec(self) -> Option<&'static FormatSpec> {
        FORMATS.iter().copied().find(|s| s.format == self)
    }

    /// Read through random access (a directory at the end, or object headers anywhere).
    pub(crate) fn needs_random_access(self) -> bool {
        self.spec()
            .is_some_and(|s| s.access == Access::RandomAccess)
    }

    pub(crate) fn is_compressed_stream(self) -> bool {
        self.spec().is_some_and(|s| s.role == Role::Compression)
    }
}

/// Every format recognised by content. The order breaks ties between probes with the same
/// evidence; a new format adds its module's spec here.
pub(crate) static FORMATS: &[&FormatSpec] = &[
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
    &crate::formats::pyc::FORMAT,
    &crate::formats::hdf5::FORMAT,
    &IMAGE,
    &crate::containers::tar::FORMAT,
    &crate::formats::onnx::FORMAT,
    &crate::formats::savedmodel::FORMAT,
    &crate::formats::tf_metadata::KERAS_METADATA_FORMAT,
    &crate::formats::tf_metadata::FINGERPRINT_FORMAT,
    &crate::formats::safetensors::FORMAT,
    &crate::formats::xgboost::JSON_FORMAT,
    &crate::formats::xgboost::UBJ_FORMAT,
    &crate::formats::lightgbm::FORMAT,
    &crate::formats::tflite::FORMAT,
    &crate::formats::catboost::FORMAT,
    &crate::containers::compress::LZMA_ALONE,
    &crate::formats::pickle::FORMAT,
    &crate::containers::compress::ZLIB,
    &TEXT,
];

/// Extensions that claim a model format modelvet does not parse (yet): unrecognised
/// content under them is still incomplete, never "not a model".
const UNPARSED_MODEL_NAMES: &[&str] = &["msgpack"];

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
    parse: Parser::Driver,
};

static TEXT: FormatSpec = FormatSpec {
    format: Format::Text,
    role: Role::Document,
    access: Access::Stream,
    head: |b, _| is_text(b).then_some(Evidence::Heuristic),
    tail: None,
    claimed_by: &[],
    exclusive_names: &["json", "txt", "md", "yaml", "yml", "csv"],
    parse: Parser::Driver,
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
pub(crate) struct Sniffed {
    pub candidates: Vec<Format>,
}

impl Sniffed {
    pub fn of(format: Format) -> Sniffed {
        Sniffed {
            candidates: vec![format],
        }
    }

    /// The interpretation the driver parses first.
    pub(crate) fn primary(&self) -> Format {
        self.candidates[0]
    }

    /// Other formats a loader could take the same bytes for. Left out: documents (no
    /// loader runs text or an image as a model) and the format the primary one is a
    /// special case of (a legacy torch checkpoint is always a pickle too).
    pub(crate) fn alternatives(&self) -> impl Iterator<Item = Format> + '_ {
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
pub(crate) fn sniff(head: &[u8], tail: Option<(&[u8], u64)>, policy: &Policy) -> Sniffed {
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
pub(crate) fn name_claims_model(name: &str) -> bool {
    extension(name).is_some_and(|ext| {
        UNPARSED_MODEL_NAMES.contains(&ext.as_str())
            || FORMATS.iter().any(|s| s.claimed_by.contains(&ext.as_str()))
    })
}

/// The one format a file name claims, for MV501 (only extensions a single format owns;
/// `msgpack`, which modelvet does not parse, counts as its own claim).
pub(crate) fn claimed_format(name: &str) -> Option<&'static str> {
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
    fn every_probe_survives_hostile_prefixes() {
        // Every probe now runs on every input: none may panic on short, cut or random
        // bytes, behind any format's magic.
        let magics: [&[u8]; 12] = [
            b"",
            b"PK\x03\x04",
            b"PK\x05\x06",
            b"\x80\x02",
            b"\x80\x05\x95",
            b"\x93NUMPY\x01\x00",
            b"GGUF\x03\x00\x00\x00",
            b"\x89HDF\r\n\x1a\n",
            b"\x5d\x00\x00\x80\x00",
            b"\x08\x07\x12",
            b"(dp0\n",
            b"\x78\x9c",
        ];
        let mut next = crate::source::xorshift();
        let policy = Policy::new();
        for round in 0..4000 {
            let magic = magics[round % magics.len()];
            let len = (next() % 1100) as usize;
            let mut bytes = magic.to_vec();
            bytes.extend((0..len).map(|_| next() as u8));
            for cut in [0, 1, 2, 7, 8, 9, 21, 22, 512, bytes.len()] {
                let head = &bytes[..cut.min(bytes.len())];
                let sniffed = sniff(head, Some((head, head.len() as u64)), &policy);
                assert!(!sniffed.candidates.is_empty());
            }
        }
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
        assert!(name_claims_model("model.pdparams"));
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
