//! Every bound the scanner enforces, in one place.
//!
//! Each limit, when hit, ends the affected artifact in the `incomplete` status with a
//! reason naming the limit (see [`LimitHit`]), and a `MV502 scan-limit-reached` finding.
//! Nothing found before the limit is dropped.

use serde::Serialize;

/// Deepest nesting of containers (zip in tar in gzip ...) that is opened.
pub const MAX_NESTING_DEPTH: usize = 8;
/// Most members read from one container (zip, tar, 7z).
pub const MAX_MEMBERS_PER_CONTAINER: usize = 100_000;
/// Most bytes produced by decompression over one top-level input.
pub const MAX_DECOMPRESSED_BYTES: u64 = 16 * 1024 * 1024 * 1024;
/// Largest ratio of decompressed to compressed bytes accepted once output passes
/// [`RATIO_CHECK_AFTER_BYTES`]; ordinary data stays far below it, bombs far above.
pub(crate) const MAX_COMPRESSION_RATIO: u64 = 200;
/// Output size after which the compression ratio is enforced.
pub(crate) const RATIO_CHECK_AFTER_BYTES: u64 = 64 * 1024 * 1024;
/// Largest member spilled to a temporary file for random access (a zip inside a
/// compressed stream, a deflated zip inside a zip); as large as decompression may produce.
pub const MAX_SPILLED_MEMBER_BYTES: u64 = MAX_DECOMPRESSED_BYTES;
/// Largest zip central directory read.
pub const MAX_CENTRAL_DIRECTORY_BYTES: u64 = 32 * 1024 * 1024;
/// Most values on the pickle stack at once.
pub(crate) const MAX_PICKLE_STACK: usize = 1_000_000;
/// Most nested MARKs open at once.
pub const MAX_PICKLE_MARKS: usize = 100_000;
/// Memo slots of one pickle (its highest index plus one; a slot costs four bytes, see
/// `formats/pickle/memo.rs`).
pub(crate) const MAX_PICKLE_MEMO: usize = 4_000_000;
/// Memo values kept whole; later slots keep a global's identity, a short string's text
/// (within the next limit) or only their kind.
pub(crate) const MAX_PICKLE_MEMO_VALUES: usize = 131_072;
/// Bytes of short strings' text kept for memo slots past the whole values.
pub(crate) const MAX_PICKLE_MEMO_STRING_BYTES: usize = 16 * 1024 * 1024;
/// Most opcodes walked in one pickle stream (a stream of this size is 100s of MB of ops).
pub(crate) const MAX_PICKLE_OPCODES: u64 = 500_000_000;
/// Longest text line read for GLOBAL, INST, PUT, GET, INT and similar opcodes.
pub(crate) const MAX_PICKLE_LINE: usize = 64 * 1024;
/// Most pickles read back to back from one stream.
pub(crate) const MAX_PICKLES_PER_STREAM: usize = 64;
/// Longest `.npy` header accepted (numpy itself refuses headers over 10,000 bytes by default).
pub const MAX_NPY_HEADER: usize = 1024 * 1024;
/// Most distinct globals and call sites listed in a pickle's facts (all are judged).
pub(crate) const MAX_RECORDED_CALL_SITES: usize = 1_000;
/// Most distinct globals one pickle stream may import (ordinary checkpoints import tens).
pub const MAX_PICKLE_GLOBALS: usize = 65_536;
/// Most bytes of module and name text over the distinct globals of one pickle stream
pub(crate) const MAX_PICKLE_GLOBAL_NAME_BYTES: u64 = 4 * 1024 * 1024;
/// Distinct findings of one rule and severity listed per member; further ones are
/// counted by one summary finding (repeats of a listed finding only raise its count).
pub const MAX_DISTINCT_FINDINGS_PER_RULE: usize = 100;
/// Longest TorchScript source file read for the code check.
pub const MAX_TORCHSCRIPT_SOURCE: u64 = 16 * 1024 * 1024;

/// Longest safetensors header read (the safetensors library's own cap).
pub(crate) const MAX_SAFETENSORS_HEADER: u64 = 100_000_000;
/// Most tensors indexed from one safetensors header (the index is what is kept of it).
pub(crate) const MAX_SAFETENSORS_TENSORS: usize = 1_000_000;
/// Most bytes of tensor names indexed from one safetensors header.
pub(crate) const MAX_SAFETENSORS_NAME_BYTES: u64 = 16 * 1024 * 1024;
/// Longest GGUF string (key or value) read; chat templates and token texts are far smaller.
pub(crate) const MAX_GGUF_STRING: u64 = 16 * 1024 * 1024;
/// Most elements in one GGUF array (vocabularies hold a few hundred thousand).
pub(crate) const MAX_GGUF_ARRAY_ELEMENTS: u64 = 64 * 1024 * 1024;
/// Deepest nesting of GGUF arrays inside arrays.
pub(crate) const MAX_GGUF_ARRAY_DEPTH: usize = 8;
/// Most tensor infos indexed from one GGUF file (models have hundreds to thousands).
pub(crate) const MAX_GGUF_TENSORS: usize = 262_144;
/// Most bytes of tensor names kept from one GGUF file (for messages and the layout check).
pub(crate) const MAX_GGUF_TENSOR_NAME_BYTES: u64 = 16 * 1024 * 1024;
/// Most GGUF metadata entries and most tensor infos.
pub(crate) const MAX_GGUF_ENTRIES: u64 = 1_000_000;
/// Longest chat template checked for template injection.
pub(crate) const MAX_TEMPLATE_BYTES: u64 = 1024 * 1024;
/// Deepest nesting of protobuf messages followed (ONNX subgraphs, TF functions).
pub(crate) const MAX_PROTOBUF_DEPTH: usize = 64;
/// Longest protobuf string or bytes field read into memory (names, locations, attribute
/// strings); tensor payloads are skipped, never read.
pub(crate) const MAX_PROTOBUF_FIELD: u64 = 1024 * 1024;
/// Largest JSON document read (Keras and Hugging Face configs, shard indexes).
pub(crate) const MAX_JSON_BYTES: u64 = 32 * 1024 * 1024;
/// Most memory, estimated as it is built, of the tree one JSON document is parsed into
/// (a value costs about 96 bytes besides its text, however short its text is).
pub(crate) const MAX_JSON_TREE_BYTES: u64 = 48 * 1024 * 1024;
/// Deepest nesting of JSON arrays and objects read. CPython's json module nests as deep as
/// its recursion limit lets it (999 levels on 3.11, measured; later releases allow more);
/// past this limit a document is incomplete, never passed unread.
pub(crate) const MAX_JSON_DEPTH: usize = 20_000;
/// Most bytes of a pickle stream kept as they are read, so that a stream loaders read in
/// two ways (a read across a frame's end) can be walked the second way; a longer one is
/// incomplete instead.
pub(crate) const MAX_PICKLE_REREAD_BYTES: usize = 8 * 1024 * 1024;
/// Most serialized payloads decoded out of one document and scanned as its members
/// (Keras `TorchModuleWrapper` modules); their bytes are bounded by the document's size.
pub(crate) const MAX_EMBEDDED_PAYLOADS: usize = 64;
/// Embedded payloads followed inside embedded payloads (a Keras archive pickled inside a
/// `TorchModuleWrapper` of another): each level keeps its decoded bytes in memory, and no
/// saver writes such nesting.
pub(crate) const MAX_EMBEDDED_NESTING: usize = 1;
/// Most object header messages, continuation blocks and attributes read from an HDF5 object.
pub(crate) const MAX_HDF5_MESSAGES: usize = 65_536;
/// Most bytes of HDF5 attribute values read from one file (Keras `model_config` is the
/// largest; each decoded string is also charged for its own bookkeeping).
pub(crate) const MAX_HDF5_ATTRIBUTE_BYTES: u64 = 24 * 1024 * 1024;
/// Most object header messages, continuation blocks, B-tree entries and group entries
/// read from one HDF5 file while walking its groups (a Keras model of a thousand layers
/// needs about 30,000).
pub(crate) const MAX_HDF5_WALK_MESSAGES: usize = 1 << 20;
/// Most operator codes read from one TFLite model (TFLite has about 210 built-in ops).
pub(crate) const MAX_TFLITE_OPERATOR_CODES: usize = 65_536;
/// Most operators read from one TFLite model, over all its subgraphs.
pub(crate) const MAX_TFLITE_OPERATORS: usize = 1 << 20;
/// Most buffers read from one TFLite model.
pub(crate) const MAX_TFLITE_BUFFERS: usize = 1 << 20;
/// Most objects (groups and datasets) visited in one HDF5 file.
pub(crate) const MAX_HDF5_OBJECTS: usize = 1 << 17;
/// Most bytes of HDF5 local heaps (the names of a group's members and of external files)
/// read from one file.
pub(crate) const MAX_HDF5_HEAP_BYTES: u64 = 32 * 1024 * 1024;
/// Most files grouped into one directory model.
pub(crate) const MAX_MODEL_FILES: usize = 100_000;
/// Deepest nesting of objects and arrays in an XGBoost model (XGBoost writes about 8).
pub const MAX_TREE_MODEL_DEPTH: usize = 64;
/// Most trees whose sizes a LightGBM model may list (`tree_sizes` is kept to check them).
pub const MAX_TREE_MODEL_TREES: usize = 1_000_000;
/// Most entries of one per-split array of a CatBoost model read into memory (splits,
/// tree sizes, start offsets, leaf ids: 4 bytes each, held once as bytes and once as
/// numbers, so at most 16 MiB per array while it is read).
pub const MAX_TREE_MODEL_NODES: usize = 2 * 1024 * 1024;
/// Most bytes read from a stream input (standard input, a FIFO) into the spool file that
/// gives random-access formats their seekable copy; an endless writer stops here.
pub(crate) const MAX_STREAM_INPUT_BYTES: u64 = 64 * 1024 * 1024 * 1024;
/// Largest `.gitignore`, `.ignore` or `.git/info/exclude` applied to a folder walk. A
/// larger one is not applied at all (the walk scans more, never less) and is reported.
pub(crate) const MAX_IGNORE_FILE_BYTES: u64 = 64 * 1024;
/// Most bytes of ignore files applied in one scan: compiling patterns costs time (a 64 KiB
/// file of hostile globs takes about 50 ms and 40 MB while it compiles), so a tree cannot
/// spend more than about a second on them. Later files are not applied, and noted.
pub(crate) const MAX_IGNORE_BYTES_PER_SCAN: u64 = 1024 * 1024;
/// Most targets one `scan --targets-from` list may name.
pub const MAX_BATCH_TARGETS: usize = 1_000_000;
/// Most bytes of target text one list may hold (it is kept in memory, twice at most).
pub const MAX_BATCH_LIST_BYTES: usize = 32 * 1024 * 1024;
/// Longest line of a `--targets-from` list (a path or a reference).
pub const MAX_BATCH_TARGET_BYTES: usize = 8 * 1024;
/// Largest verdict cache entry written or read (`--cache`): a file's artifacts and findings
/// are folded and bounded, so a real entry is a few KiB (a zip of 3,000 members about
/// 1 MiB); a larger file in the cache folder is not read (a miss), and a larger verdict is
/// not stored. An entry is parsed into a JSON tree of about 32 bytes per value, so a
/// hostile 1 MiB entry stays near 40 MB.
pub const MAX_VERDICT_CACHE_ENTRY_BYTES: u64 = 1024 * 1024;
/// Deepest folder nesting a walk descends into below a scanned folder.
pub(crate) const MAX_WALK_DEPTH: usize = 256;
/// Most paths a report lists as skipped by excludes or ignore files (all are counted).
pub(crate) const MAX_SKIPPED_LISTED: usize = 1_000;

/// A limit that ended a scan early. Rendered as the artifact's `incomplete` reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LimitHit {
    NestingDepth,
    MembersPerContainer,
    DecompressedBytes,
    CompressionRatio,
    SpilledMemberBytes,
    CentralDirectoryBytes,
    PickleStack,
    PickleMarks,
    PickleMemo,
    PickleOpcodes,
    PickleLine,
    PickleGlobals,
    PickleGlobalNameBytes,
    PicklesPerStream,
    NpyHeader,
    TorchscriptSource,
    SafetensorsHeader,
    SafetensorsTensors,
    SafetensorsNameBytes,
    GgufString,
    GgufArrayElements,
    GgufArrayDepth,
    GgufEntries,
    GgufTensors,
    GgufTensorNameBytes,
    TemplateBytes,
    ProtobufDepth,
    ProtobufField,
    JsonBytes,
    JsonTreeBytes,
    JsonDepth,
    EmbeddedPayloads,
    PickleRereadBytes,
    EmbeddedNesting,
    Hdf5Messages,
    Hdf5AttributeBytes,
    Hdf5WalkMessages,
    Hdf5Objects,
    Hdf5HeapBytes,
    TfliteOperatorCodes,
    TfliteOperators,
    TfliteBuffers,
    ModelFiles,
    StreamInputBytes,
    TreeModelDepth,
    TreeModelTrees,
    TreeModelNodes,
    WalkDepth,
}

impl LimitHit {
    /// The constant's name and value, for messages that tell a user which knob was hit.
    pub fn describe(self) -> String {
        let (name, value) = match self {
            LimitHit::NestingDepth => ("MAX_NESTING_DEPTH", MAX_NESTING_DEPTH as u64),
            LimitHit::MembersPerContainer => (
                "MAX_MEMBERS_PER_CONTAINER",
                MAX_MEMBERS_PER_CONTAINER as u64,
            ),
            LimitHit::DecompressedBytes => ("MAX_DECOMPRESSED_BYTES", MAX_DECOMPRESSED_BYTES),
            LimitHit::CompressionRatio => ("MAX_COMPRESSION_RATIO", MAX_COMPRESSION_RATIO),
            LimitHit::SpilledMemberBytes => ("MAX_SPILLED_MEMBER_BYTES", MAX_SPILLED_MEMBER_BYTES),
            LimitHit::CentralDirectoryBytes => {
                ("MAX_CENTRAL_DIRECTORY_BYTES", MAX_CENTRAL_DIRECTORY_BYTES)
            }
            LimitHit::PickleStack => ("MAX_PICKLE_STACK", MAX_PICKLE_STACK as u64),
            LimitHit::PickleMarks => ("MAX_PICKLE_MARKS", MAX_PICKLE_MARKS as u64),
            LimitHit::PickleMemo => ("MAX_PICKLE_MEMO", MAX_PICKLE_MEMO as u64),
            LimitHit::PickleOpcodes => ("MAX_PICKLE_OPCODES", MAX_PICKLE_OPCODES),
            LimitHit::PickleLine => ("MAX_PICKLE_LINE", MAX_PICKLE_LINE as u64),
            LimitHit::PickleGlobals => ("MAX_PICKLE_GLOBALS", MAX_PICKLE_GLOBALS as u64),
            LimitHit::PickleGlobalNameBytes => {
                ("MAX_PICKLE_GLOBAL_NAME_BYTES", MAX_PICKLE_GLOBAL_NAME_BYTES)
            }
            LimitHit::PicklesPerStream => ("MAX_PICKLES_PER_STREAM", MAX_PICKLES_PER_STREAM as u64),
            LimitHit::NpyHeader => ("MAX_NPY_HEADER", MAX_NPY_HEADER as u64),
            LimitHit::TorchscriptSource => ("MAX_TORCHSCRIPT_SOURCE", MAX_TORCHSCRIPT_SOURCE),
            LimitHit::SafetensorsHeader => ("MAX_SAFETENSORS_HEADER", MAX_SAFETENSORS_HEADER),
            LimitHit::SafetensorsTensors => {
                ("MAX_SAFETENSORS_TENSORS", MAX_SAFETENSORS_TENSORS as u64)
            }
            LimitHit::SafetensorsNameBytes => {
                ("MAX_SAFETENSORS_NAME_BYTES", MAX_SAFETENSORS_NAME_BYTES)
            }
            LimitHit::GgufString => ("MAX_GGUF_STRING", MAX_GGUF_STRING),
            LimitHit::GgufArrayElements => ("MAX_GGUF_ARRAY_ELEMENTS", MAX_GGUF_ARRAY_ELEMENTS),
            LimitHit::GgufArrayDepth => ("MAX_GGUF_ARRAY_DEPTH", MAX_GGUF_ARRAY_DEPTH as u64),
            LimitHit::GgufEntries => ("MAX_GGUF_ENTRIES", MAX_GGUF_ENTRIES),
            LimitHit::GgufTensors => ("MAX_GGUF_TENSORS", MAX_GGUF_TENSORS as u64),
            LimitHit::GgufTensorNameBytes => {
                ("MAX_GGUF_TENSOR_NAME_BYTES", MAX_GGUF_TENSOR_NAME_BYTES)
            }
            LimitHit::TemplateBytes => ("MAX_TEMPLATE_BYTES", MAX_TEMPLATE_BYTES),
            LimitHit::ProtobufDepth => ("MAX_PROTOBUF_DEPTH", MAX_PROTOBUF_DEPTH as u64),
            LimitHit::ProtobufField => ("MAX_PROTOBUF_FIELD", MAX_PROTOBUF_FIELD),
            LimitHit::JsonBytes => ("MAX_JSON_BYTES", MAX_JSON_BYTES),
            LimitHit::JsonTreeBytes => ("MAX_JSON_TREE_BYTES", MAX_JSON_TREE_BYTES),
            LimitHit::JsonDepth => ("MAX_JSON_DEPTH", MAX_JSON_DEPTH as u64),
            LimitHit::EmbeddedPayloads => ("MAX_EMBEDDED_PAYLOADS", MAX_EMBEDDED_PAYLOADS as u64),
            LimitHit::EmbeddedNesting => ("MAX_EMBEDDED_NESTING", MAX_EMBEDDED_NESTING as u64),
            LimitHit::PickleRereadBytes => {
                ("MAX_PICKLE_REREAD_BYTES", MAX_PICKLE_REREAD_BYTES as u64)
            }
            LimitHit::Hdf5Messages => ("MAX_HDF5_MESSAGES", MAX_HDF5_MESSAGES as u64),
            LimitHit::Hdf5AttributeBytes => ("MAX_HDF5_ATTRIBUTE_BYTES", MAX_HDF5_ATTRIBUTE_BYTES),
            LimitHit::Hdf5WalkMessages => ("MAX_HDF5_WALK_MESSAGES", MAX_HDF5_WALK_MESSAGES as u64),
            LimitHit::Hdf5Objects => ("MAX_HDF5_OBJECTS", MAX_HDF5_OBJECTS as u64),
            LimitHit::Hdf5HeapBytes => ("MAX_HDF5_HEAP_BYTES", MAX_HDF5_HEAP_BYTES),
            LimitHit::TfliteOperatorCodes => (
                "MAX_TFLITE_OPERATOR_CODES",
                MAX_TFLITE_OPERATOR_CODES as u64,
            ),
            LimitHit::TfliteOperators => ("MAX_TFLITE_OPERATORS", MAX_TFLITE_OPERATORS as u64),
            LimitHit::TfliteBuffers => ("MAX_TFLITE_BUFFERS", MAX_TFLITE_BUFFERS as u64),
            LimitHit::ModelFiles => ("MAX_MODEL_FILES", MAX_MODEL_FILES as u64),
            LimitHit::StreamInputBytes => ("MAX_STREAM_INPUT_BYTES", MAX_STREAM_INPUT_BYTES),
            LimitHit::TreeModelDepth => ("MAX_TREE_MODEL_DEPTH", MAX_TREE_MODEL_DEPTH as u64),
            LimitHit::TreeModelTrees => ("MAX_TREE_MODEL_TREES", MAX_TREE_MODEL_TREES as u64),
            LimitHit::TreeModelNodes => ("MAX_TREE_MODEL_NODES", MAX_TREE_MODEL_NODES as u64),
            LimitHit::WalkDepth => ("MAX_WALK_DEPTH", MAX_WALK_DEPTH as u64),
        };
        format!("limit {name} ({value}) reached")
    }
}
