//! What a format is: its identity in reports, and the shape of the registry entry each
//! format module declares ([`FormatSpec`]). The list of entries and recognition live in
//! `formats::registry`, above the parsers that declare them.

use std::path::Path;

use serde::{Serialize, Serializer};

use crate::findings::Finding;
use crate::limits::LimitHit;
use crate::policy::Policy;
use crate::rules::{self, Rule};
use crate::source::{ByteStream, ReadAt, SkipRead};

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
    XgboostJson,
    XgboostUbj,
    Lightgbm,
    /// A TensorFlow Lite / LiteRT FlatBuffer model.
    Tflite,
    /// A CatBoost binary model (`CBM1`).
    Catboost,
    /// Raw tensor bytes an ONNX model in the same folder names as its external data.
    OnnxExternalData,
    /// Compiled Python bytecode.
    Pyc,
    /// A SavedModel's `fingerprint.pb`.
    SavedModelFingerprint,
    /// A SavedModel's `keras_metadata.pb`: Keras configs of the saved objects.
    KerasSavedModelMetadata,
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
    /// A TorchServe model archive (a zip with `MAR-INF/MANIFEST.json`).
    TorchServe,
    /// A Python wheel (a zip with a `*.dist-info/WHEEL`).
    PythonWheel,
    /// A skops file (a zip whose `schema.json` is a skops tree).
    Skops,
    Directory,
    Symlink,
    HfRepository,
    /// Not determined (the artifact could not be read).
    Unknown,
}

impl Format {
    /// Every format, for names given in configuration.
    pub const ALL: [Format; 43] = [
        Format::Pickle,
        Format::TorchLegacy,
        Format::Zip,
        Format::SevenZip,
        Format::Gzip,
        Format::Bzip2,
        Format::Xz,
        Format::Zstd,
        Format::Lz4,
        Format::Zlib,
        Format::LzmaAlone,
        Format::Tar,
        Format::Npy,
        Format::Safetensors,
        Format::Gguf,
        Format::Hdf5,
        Format::Onnx,
        Format::SavedModel,
        Format::XgboostJson,
        Format::XgboostUbj,
        Format::Lightgbm,
        Format::Tflite,
        Format::Catboost,
        Format::OnnxExternalData,
        Format::Pyc,
        Format::SavedModelFingerprint,
        Format::KerasSavedModelMetadata,
        Format::Text,
        Format::Image,
        Format::Empty,
        Format::Unrecognized,
        Format::TorchZip,
        Format::TorchScript,
        Format::KerasArchive,
        Format::Npz,
        Format::KerasH5,
        Format::TorchServe,
        Format::PythonWheel,
        Format::Skops,
        Format::Directory,
        Format::Symlink,
        Format::HfRepository,
        Format::Unknown,
    ];

    /// Formats whose loading unpickles: what "no pickle in production" rules out.
    pub const PICKLE_FAMILY: [Format; 4] = [
        Format::Pickle,
        Format::TorchLegacy,
        Format::TorchZip,
        Format::TorchScript,
    ];

    /// The format a report names `name`.
    pub fn from_name(name: &str) -> Option<Format> {
        Format::ALL.into_iter().find(|f| f.name() == name)
    }

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
            Format::XgboostJson => "xgboost-json",
            Format::XgboostUbj => "xgboost-ubj",
            Format::Lightgbm => "lightgbm",
            Format::Tflite => "tflite",
            Format::Catboost => "catboost",
            Format::OnnxExternalData => "onnx-external-data",
            Format::SavedModelFingerprint => "saved-model-fingerprint",
            Format::Pyc => "pyc",
            Format::KerasSavedModelMetadata => "keras-metadata",
            Format::Text => "text",
            Format::Image => "image",
            Format::Empty => "empty",
            Format::Unrecognized => "unrecognized",
            Format::TorchZip => "torch-zip",
            Format::TorchScript => "torchscript",
            Format::KerasArchive => "keras",
            Format::Npz => "npz",
            Format::KerasH5 => "keras-h5",
            Format::TorchServe => "torchserve-mar",
            Format::PythonWheel => "python-wheel",
            Format::Skops => "skops",
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
            Format::TorchZip
            | Format::TorchScript
            | Format::KerasArchive
            | Format::Npz
            | Format::TorchServe
            | Format::PythonWheel
            | Format::Skops => Some(Format::Zip),
            Format::KerasH5 => Some(Format::Hdf5),
            _ => None,
        }
    }

    /// May hold model weights or code: everything but documents and entries that are not
    /// content. What makes a folder with a `config.json` a model, and a file a BOM weight.
    pub(crate) fn may_hold_weights(self) -> bool {
        !matches!(
            self,
            Format::Text
                | Format::Pyc
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

/// The byte stream a streamed parser reads.
pub type DynStream<'a> = ByteStream<Box<dyn SkipRead + 'a>>;

/// What a parser may know besides the bytes.
#[derive(Debug, Default, Clone, Copy)]
pub struct ParseContext<'c> {
    /// The folder holding the file on disk, for formats that reference files beside them
    /// (ONNX external data); `None` for members, standard input and remote files.
    pub disk_dir: Option<&'c Path>,
}

/// A format's parse entry point.
#[derive(Clone, Copy)]
pub enum Parser {
    /// Reads the stream front to back (the driver drains what it leaves). Findings go into
    /// the driver's [`Parsed`] as they are made, so a parser bug that unwinds loses none
    /// made before it.
    Stream(for<'a, 'b, 'c, 'd> fn(&'b mut DynStream<'a>, &ParseContext<'c>, &'d mut Parsed)),
    /// Reads through random access, into the driver's [`Parsed`] as for `Stream`.
    RandomAccess(fn(&dyn ReadAt, &mut Parsed)),
    /// Read by the driver itself: containers and compression streams (their members are
    /// scanned in turn), pickles (the policy, and torch storage references across
    /// members), NumPy (an object array's payload is a nested pickle), and documents.
    Driver,
}

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
    /// The one parse entry point.
    pub parse: Parser,
}

/// Runs one step of a parser and catches a panic (a bug of ours), so that what the parser
/// gathered before it can still be reported: `None` when the step panicked. Parsers that
/// collect facts across a walk and report at its end run the walk through this, then report
/// as usual and call [`Parsed::internal_error_in`].
pub(crate) fn survive<T>(step: impl FnOnce() -> T) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(step)).ok()
}

/// Bytes read from the start of an input to recognise it.
pub const SNIFF_LEN: usize = 64 * 1024;
/// Bytes read from the end of a random-access input for tail probes: a zip end record
/// (22 bytes) with the longest comment (65,535 bytes).
pub const TAIL_LEN: usize = 22 + 65_535;

/// What a format parser found out about one artifact.
#[derive(Debug, Default)]
pub struct Parsed {
    pub findings: crate::findings::Findings,
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// Why part of the artifact was not examined; `None` when all of it was.
    pub incomplete: Option<String>,
    /// What the content turned out to be, when more exact than the format recognised by
    /// its first bytes (an HDF5 file that is a Keras model).
    pub format: Option<Format>,
    /// Tensor names, for the shard-index cross-check across files.
    pub tensor_names: Option<Vec<String>>,
    /// The parser failed by a bug of ours: the artifact is incomplete and an internal
    /// error; the findings made before the failure stand.
    pub internal_error: bool,
    /// Serialized payloads a loader deserializes from inside this artifact (a Keras
    /// `TorchModuleWrapper`'s `torch.save` bytes): the driver scans each as a member.
    pub embedded: Vec<Embedded>,
}

/// Bytes carried inside an artifact's own encoding (base64 in JSON), decoded.
#[derive(Debug)]
pub struct Embedded {
    /// Where they sit, as a member name (`config.json:$.config.layers[1].config.module`).
    pub name: String,
    pub bytes: Vec<u8>,
}

impl Parsed {
    /// Adds a finding built with [`Finding`]'s builder methods.
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    pub(crate) fn add(&mut self, rule: &'static Rule, message: impl Into<String>) {
        self.findings.push(Finding::new(rule, message));
    }

    pub fn fact(&mut self, key: &str, value: impl Serialize) {
        if let Ok(v) = serde_json::to_value(value) {
            self.facts.insert(key.to_string(), v);
        }
    }

    /// Marks the artifact incomplete, keeping the first reason.
    pub fn incomplete(&mut self, reason: impl Into<String>) {
        if self.incomplete.is_none() {
            self.incomplete = Some(reason.into());
        }
    }

    /// Takes in what a nested check found: its findings and facts, and its reason for
    /// being incomplete unless this outcome already has one.
    pub fn merge(&mut self, other: Parsed) {
        self.findings.extend(other.findings);
        self.facts.extend(other.facts);
        if let Some(reason) = other.incomplete {
            self.incomplete(reason);
        }
        if other.format.is_some() {
            self.format = other.format;
        }
        if other.tensor_names.is_some() {
            self.tensor_names = other.tensor_names;
        }
        self.internal_error |= other.internal_error;
        self.embedded.extend(other.embedded);
    }

    /// A bug of ours stopped `part` of the parser (see [`survive`]): incomplete, an
    /// internal error, and the findings made before it stand.
    pub(crate) fn internal_error_in(&mut self, part: &str) {
        self.internal_error = true;
        self.incomplete(format!(
            "internal error in the {part} (a bug; please report it); the findings before it \
             stand"
        ));
    }

    /// A named limit was reached: an MV502 finding and the incomplete status.
    pub fn limit(&mut self, hit: LimitHit) {
        self.add(&rules::SCAN_LIMIT_REACHED, hit.describe());
        self.incomplete(hit.describe());
    }
}
