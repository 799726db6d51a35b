//! TensorFlow SavedModel protobufs (`saved_model.pb`).
//!
//! Walked with the bounded [`protobuf`](super::protobuf) walker: every MetaGraphDef's
//! GraphDef nodes and the nodes of every function in its FunctionDefLibrary. Constant
//! tensors, shapes and the object graph are skipped. Field numbers are those of
//! tensorflow/core/protobuf/{saved_model,meta_graph}.proto and
//! tensorflow/core/framework/{graph,node_def,function,op_def,attr_value}.proto.
//!
//! Findings: MV911 (ops that call back into Python), MV912 (ops that read or write files
//! or reach the network), MV913 (ops outside TensorFlow's standard op set, see
//! [`tf_ops`](super::tf_ops); ops that name a function of the graph's own library are
//! function calls, not ops), MV805 (malformed wire format).
//!
//! Checkpoint saver ops: every SavedModel TensorFlow writes holds `SaveV2`, `RestoreV2`
//! and `MergeV2Checkpoints` in its saver (TF2: the `__inference__traced_save_*` and
//! `__inference__traced_restore_*` functions; TF1: nodes in the `save/` or `save_N/` name
//! scope). There they only read and write the variables checkpoint whose path the loader
//! feeds, so they are reported as MV912 at `info` ("standard checkpoint saver") and a
//! benign SavedModel passes. The same ops anywhere else (a serving function writing a
//! checkpoint to a path of its own) keep MV912's `high` severity, as do all other file
//! and network ops wherever they appear.

use std::collections::{BTreeMap, BTreeSet};

use super::protobuf::{self, display_string, Event, FieldKind, Schema, WireErrorKind, Wires};
use super::tf_ops;
use super::Parsed;
use crate::findings::{Finding, Severity};
use crate::limits::{LimitHit, MAX_RECORDED_CALL_SITES};
use crate::rules::{self, Rule};
use crate::source::{ByteStream, SkipRead};

/// Longest name kept in facts and messages (characters); longer ones end in `…`.
pub(crate) const FACT_STRING_CHARS: usize = 256;

/// Ops that run a Python function registered in the loading process (MV911).
pub(crate) const PYTHON_OPS: &[&str] = &["EagerPyFunc", "PyFunc", "PyFuncStateless"];

/// Ops that read or write files, list directories or reach the network (MV912). All are
/// in TensorFlow 2.21's registered op list except the `Rpc*` ops (registered by the
/// Python package), matched by prefix in [`is_io_op`].
pub(crate) const IO_OPS: &[&str] = &[
    "CSVDataset",
    "CSVDatasetV2",
    "CreateSummaryDbWriter",
    "CreateSummaryFileWriter",
    "DataServiceDataset",
    "DataServiceDatasetV2",
    "DataServiceDatasetV3",
    "DataServiceDatasetV4",
    "DatasetToTFRecord",
    "DebugIdentity",
    "DebugIdentityV2",
    "DebugIdentityV3",
    "DebugNanCount",
    "DebugNumericSummary",
    "DecodeProtoV2",
    "DistributedSave",
    "EncodeProto",
    "ExperimentalCSVDataset",
    "ExperimentalDatasetToTFRecord",
    "ExperimentalLMDBDataset",
    "ExperimentalMatchingFilesDataset",
    "ExperimentalSqlDataset",
    "FileSystemSetConfiguration",
    "FixedLengthRecordDataset",
    "FixedLengthRecordDatasetV2",
    "FixedLengthRecordReader",
    "FixedLengthRecordReaderV2",
    "GenerateVocabRemapping",
    "ImmutableConst",
    "InitializeTableFromTextFile",
    "InitializeTableFromTextFileV2",
    "LMDBDataset",
    "LMDBReader",
    "ListSnapshotChunksDataset",
    "LoadAndRemapMatrix",
    "LoadDataset",
    "MatchingFiles",
    "MatchingFilesDataset",
    "MergeV2Checkpoints",
    "ReadFile",
    "RegisterDataset",
    "RegisterDatasetV2",
    "Restore",
    "RestoreSlice",
    "RestoreV2",
    "Save",
    "SaveDataset",
    "SaveDatasetV2",
    "SaveSlices",
    "SaveV2",
    "SnapshotChunkDataset",
    "SnapshotDataset",
    "SnapshotDatasetReader",
    "SnapshotDatasetV2",
    "SnapshotNestedDatasetReader",
    "SqlDataset",
    "TFRecordDataset",
    "TFRecordDatasetV2",
    "TFRecordReader",
    "TFRecordReaderV2",
    "TextLineDataset",
    "TextLineReader",
    "TextLineReaderV2",
    "WholeFileReader",
    "WholeFileReaderV2",
    "WriteFile",
];

/// The checkpoint ops TensorFlow's own saver uses; `info` inside the saver (see above).
pub(crate) const SAVER_OPS: &[&str] = &[
    "MergeV2Checkpoints",
    "Restore",
    "RestoreSlice",
    "RestoreV2",
    "Save",
    "SaveSlices",
    "SaveV2",
];

/// Whether `op` reads or writes files or reaches the network. `PrintV2` counts only
/// when its `output_stream` is a `file://` path (checked by the caller).
pub(crate) fn is_io_op(op: &str) -> bool {
    IO_OPS.binary_search(&op).is_ok() || op.starts_with("Rpc") || op == "DeleteRpcFutureResource"
}

// Message kinds of the schema below.
const SAVED_MODEL: u16 = 0;
const META_GRAPH: u16 = 1;
const META_INFO: u16 = 2;
const GRAPH: u16 = 3;
const NODE: u16 = 4;
const LIBRARY: u16 = 5;
const FUNCTION: u16 = 6;
const OP_DEF: u16 = 7;
const SIGNATURE_ENTRY: u16 = 8;
const ATTR_ENTRY: u16 = 9;
const ATTR_VALUE: u16 = 10;

use FieldKind::{Bytes, Message, Skip, Varint};

static SCHEMA: Schema = Schema {
    rows: &[
        // SavedModel
        (SAVED_MODEL, 1, Varint),              // saved_model_schema_version
        (SAVED_MODEL, 2, Message(META_GRAPH)), // meta_graphs
        // MetaGraphDef
        (META_GRAPH, 1, Message(META_INFO)), // meta_info_def
        (META_GRAPH, 2, Message(GRAPH)),     // graph_def
        (META_GRAPH, 3, Skip(Wires::LEN)),   // saver_def
        (META_GRAPH, 4, Skip(Wires::LEN)),   // collection_def
        (META_GRAPH, 5, Message(SIGNATURE_ENTRY)), // signature_def (map entry)
        (META_GRAPH, 6, Skip(Wires::LEN)),   // asset_file_def
        (META_GRAPH, 7, Skip(Wires::LEN)),   // object_graph_def
        // MetaGraphDef.MetaInfoDef
        (META_INFO, 1, Skip(Wires::LEN)),    // meta_graph_version
        (META_INFO, 2, Skip(Wires::LEN)),    // stripped_op_list
        (META_INFO, 3, Skip(Wires::LEN)),    // any_info
        (META_INFO, 4, Bytes),               // tags
        (META_INFO, 5, Bytes),               // tensorflow_version
        (META_INFO, 6, Bytes),               // tensorflow_git_version
        (META_INFO, 7, Skip(Wires::VARINT)), // stripped_default_attrs
        // GraphDef
        (GRAPH, 1, Message(NODE)),       // node
        (GRAPH, 2, Message(LIBRARY)),    // library
        (GRAPH, 3, Skip(Wires::VARINT)), // version (deprecated)
        (GRAPH, 4, Skip(Wires::LEN)),    // versions
        // NodeDef
        (NODE, 1, Bytes),               // name
        (NODE, 2, Bytes),               // op
        (NODE, 3, Skip(Wires::LEN)),    // input
        (NODE, 4, Skip(Wires::LEN)),    // device
        (NODE, 5, Message(ATTR_ENTRY)), // attr (map entry)
        // map<string, AttrValue> entry
        (ATTR_ENTRY, 1, Bytes),               // key
        (ATTR_ENTRY, 2, Message(ATTR_VALUE)), // value
        // AttrValue
        (ATTR_VALUE, 1, Skip(Wires::LEN)),    // list
        (ATTR_VALUE, 2, Bytes),               // s
        (ATTR_VALUE, 3, Skip(Wires::VARINT)), // i
        (ATTR_VALUE, 4, Skip(Wires::I32)),    // f
        (ATTR_VALUE, 5, Skip(Wires::VARINT)), // b
        (ATTR_VALUE, 6, Skip(Wires::VARINT)), // type
        (ATTR_VALUE, 7, Skip(Wires::LEN)),    // shape
        (ATTR_VALUE, 8, Skip(Wires::LEN)),    // tensor
        (ATTR_VALUE, 9, Skip(Wires::LEN)),    // placeholder
        (ATTR_VALUE, 10, Skip(Wires::LEN)),   // func
        // FunctionDefLibrary
        (LIBRARY, 1, Message(FUNCTION)), // function
        (LIBRARY, 2, Skip(Wires::LEN)),  // gradient
        // FunctionDef
        (FUNCTION, 1, Message(OP_DEF)),  // signature
        (FUNCTION, 3, Message(NODE)),    // node_def
        (FUNCTION, 4, Skip(Wires::LEN)), // ret
        (FUNCTION, 5, Skip(Wires::LEN)), // attr
        (FUNCTION, 6, Skip(Wires::LEN)), // control_ret
        (FUNCTION, 7, Skip(Wires::LEN)), // arg_attr
        // OpDef
        (OP_DEF, 1, Bytes), // name
        // map<string, SignatureDef> entry
        (SIGNATURE_ENTRY, 1, Bytes),            // key
        (SIGNATURE_ENTRY, 2, Skip(Wires::LEN)), // value
    ],
};

/// MetaGraphDef's fields (all length-delimited), for recognition.
const META_GRAPH_FIELDS: std::ops::RangeInclusive<u32> = 1..=7;

/// Whether `prefix` is a SavedModel: `saved_model_schema_version` (a small varint, which
/// TensorFlow's loader does not require: a file without it loads the same), then
/// `meta_graphs` messages that start with a MetaGraphDef field, and nothing else.
pub(crate) fn looks_like_saved_model(prefix: &[u8]) -> bool {
    let Ok(fields) = protobuf::scan_prefix(prefix, 64) else {
        return false;
    };
    let Some(first) = fields.first() else {
        return false;
    };
    let graphs = if first.field == 1 {
        if first.wire != protobuf::WireType::Varint || !(1..=16).contains(&first.value) {
            return false;
        }
        &fields[1..]
    } else {
        &fields[..]
    };
    let mut meta_graphs = 0;
    for f in graphs {
        if f.field != 2 || f.wire != protobuf::WireType::Len {
            return false;
        }
        match protobuf::scan_prefix(f.body, 1) {
            Ok(inner) => match inner.first() {
                Some(t)
                    if META_GRAPH_FIELDS.contains(&t.field)
                        && t.wire == protobuf::WireType::Len => {}
                None if f.body.is_empty() && f.len > 0 => {}
                _ => return false,
            },
            Err(_) => return false,
        }
        meta_graphs += 1;
    }
    meta_graphs > 0
}

#[derive(Default)]
struct Frame {
    msg: u16,
    offset: u64,
    name: Option<String>,
    op: Option<String>,
    key: Option<String>,
    s: Option<Vec<u8>>,
    /// PrintV2's `output_stream` attribute.
    output_stream: Option<String>,
    /// Flagged nodes of a function, classified when its name is known (on leave).
    pending: Vec<PendingNode>,
}

struct PendingNode {
    op: String,
    node: String,
    offset: u64,
}

/// One aggregated finding: a rule, an op, and whether it is the standard saver.
#[derive(PartialEq, Eq, PartialOrd, Ord)]
struct Key {
    rule: &'static str,
    op: String,
    saver: bool,
}

struct Hits {
    rule: &'static Rule,
    count: u64,
    offset: u64,
    first: String,
}

struct State<'p> {
    stack: Vec<Frame>,
    parsed: &'p mut Parsed,
    limits: BTreeSet<&'static str>,
    schema_version: Option<u64>,
    meta_graphs: u64,
    tags: Vec<String>,
    tf_version: Option<String>,
    tf_git_version: Option<String>,
    signatures: Vec<String>,
    node_count: u64,
    function_count: u64,
    op_types: BTreeMap<String, u64>,
    op_types_truncated: bool,
    functions: BTreeSet<String>,
    functions_truncated: bool,
    hits: BTreeMap<Key, Hits>,
    /// Non-standard ops (resolved against library function names at the end).
    unknown_ops: BTreeMap<String, (u64, u64, String)>,
    unknown_truncated: bool,
}

/// Whether a TF1 graph node is in the saver's name scope (`save/...`, `save_1/...`).
fn in_saver_scope(node: &str) -> bool {
    let scope = node.split('/').next().unwrap_or("");
    node.contains('/')
        && (scope == "save"
            || scope
                .strip_prefix("save_")
                .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())))
}

/// Whether a function is one of the TF2 saver functions `tf.saved_model.save` writes.
fn is_saver_function(name: &str) -> bool {
    name.starts_with("__inference__traced_save_")
        || name.starts_with("__inference__traced_restore_")
}

impl<'p> State<'p> {
    fn new(parsed: &'p mut Parsed) -> Self {
        State {
            stack: Vec::new(),
            parsed,
            limits: BTreeSet::new(),
            schema_version: None,
            meta_graphs: 0,
            tags: Vec::new(),
            tf_version: None,
            tf_git_version: None,
            signatures: Vec::new(),
            node_count: 0,
            function_count: 0,
            op_types: BTreeMap::new(),
            op_types_truncated: false,
            functions: BTreeSet::new(),
            functions_truncated: false,
            hits: BTreeMap::new(),
            unknown_ops: BTreeMap::new(),
            unknown_truncated: false,
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Enter { msg, offset, .. } => {
                if msg == META_GRAPH {
                    self.meta_graphs += 1;
                }
                self.stack.push(Frame {
                    msg,
                    offset,
                    ..Frame::default()
                });
            }
            Event::Leave { msg } => {
                if let Some(frame) = self.stack.pop() {
                    debug_assert_eq!(frame.msg, msg);
                    self.leave(frame);
                }
            }
            Event::Varint {
                msg, field, value, ..
            } => {
                if msg == SAVED_MODEL && field == 1 && self.stack.is_empty() {
                    self.schema_version = Some(value);
                }
            }
            Event::Bytes {
                msg, field, data, ..
            } => self.bytes(msg, field, data),
            Event::Limit { hit, .. } => {
                let name = if hit == LimitHit::ProtobufDepth {
                    "depth"
                } else {
                    "field"
                };
                if self.limits.insert(name) {
                    self.parsed.limit(hit);
                }
            }
        }
    }

    fn bytes(&mut self, msg: u16, field: u32, data: &[u8]) {
        let text = || display_string(data, FACT_STRING_CHARS);
        match (msg, field) {
            (META_INFO, 4) => {
                if self.tags.len() < MAX_RECORDED_CALL_SITES {
                    self.tags.push(text());
                }
            }
            (META_INFO, 5) => self.tf_version = Some(text()),
            (META_INFO, 6) => self.tf_git_version = Some(text()),
            (ATTR_VALUE, 2) => {
                if let Some(top) = self.stack.last_mut() {
                    top.s = Some(data.to_vec());
                }
            }
            _ => {
                let Some(top) = self.stack.last_mut() else {
                    return;
                };
                match (msg, field) {
                    // Node and op names keep their exact bytes (lossy UTF-8) for matching.
                    (NODE, 1) | (OP_DEF, 1) => {
                        top.name = Some(String::from_utf8_lossy(data).into_owned())
                    }
                    (NODE, 2) => top.op = Some(String::from_utf8_lossy(data).into_owned()),
                    (ATTR_ENTRY, 1) | (SIGNATURE_ENTRY, 1) => top.key = Some(text()),
                    _ => {}
                }
            }
        }
    }

    fn leave(&mut self, frame: Frame) {
        match frame.msg {
            ATTR_VALUE => {
                if let Some(entry) = self.stack.last_mut() {
                    entry.s = frame.s;
                }
            }
            ATTR_ENTRY if frame.key.as_deref() == Some("output_stream") => {
                if let (Some(node), Some(s)) = (self.stack.last_mut(), frame.s) {
                    node.output_stream = Some(String::from_utf8_lossy(&s).into_owned());
                }
            }
            SIGNATURE_ENTRY if self.signatures.len() < MAX_RECORDED_CALL_SITES => {
                self.signatures.push(frame.key.unwrap_or_default());
            }
            OP_DEF => {
                if let Some(f) = self.stack.last_mut() {
                    if f.msg == FUNCTION {
                        f.name = frame.name;
                    }
                }
            }
            NODE => self.node(frame),
            FUNCTION => {
                self.function_count += 1;
                let name = frame.name.unwrap_or_default();
                let saver = is_saver_function(&name);
                let shown = display_string(name.as_bytes(), FACT_STRING_CHARS);
                for p in frame.pending {
                    self.io_hit(
                        p.op,
                        saver,
                        p.offset,
                        format!("node `{}` in function `{shown}`", p.node),
                    );
                }
                if self.functions.len() < MAX_RECORDED_CALL_SITES {
                    self.functions.insert(name);
                } else {
                    self.functions_truncated = true;
                }
            }
            _ => {}
        }
    }

    fn node(&mut self, frame: Frame) {
        self.node_count += 1;
        let op = frame.op.unwrap_or_default();
        let node = display_string(
            frame.name.as_deref().unwrap_or("").as_bytes(),
            FACT_STRING_CHARS,
        );
        if let Some(n) = self.op_types.get_mut(&op) {
            *n += 1;
        } else if self.op_types.len() < MAX_RECORDED_CALL_SITES {
            self.op_types.insert(op.clone(), 1);
        } else {
            self.op_types_truncated = true;
        }
        let in_function = self.stack.last().is_some_and(|f| f.msg == FUNCTION);
        let shown_op = display_string(op.as_bytes(), FACT_STRING_CHARS);
        if PYTHON_OPS.contains(&op.as_str()) {
            self.hit(
                Key {
                    rule: rules::TF_PYTHON_OP.id,
                    op: shown_op,
                    saver: false,
                },
                &rules::TF_PYTHON_OP,
                frame.offset,
                format!("node `{node}`"),
            );
            return;
        }
        let file_print = op == "PrintV2"
            && frame
                .output_stream
                .as_deref()
                .is_some_and(|s| s.starts_with("file://"));
        if is_io_op(&op) || file_print {
            if in_function {
                if let Some(f) = self.stack.last_mut() {
                    if f.pending.len() < MAX_RECORDED_CALL_SITES {
                        f.pending.push(PendingNode {
                            op: shown_op,
                            node,
                            offset: frame.offset,
                        });
                    } else {
                        // Past the cap: classified without the saver exemption.
                        self.io_hit(shown_op, false, frame.offset, format!("node `{node}`"));
                    }
                }
            } else {
                let saver = in_saver_scope(&node);
                self.io_hit(
                    shown_op,
                    saver,
                    frame.offset,
                    format!("node `{node}` in the graph"),
                );
            }
            return;
        }
        if !tf_ops::is_standard_op(&op) {
            if let Some(e) = self.unknown_ops.get_mut(&op) {
                e.0 += 1;
            } else if self.unknown_ops.len() < MAX_RECORDED_CALL_SITES {
                self.unknown_ops
                    .insert(op, (1, frame.offset, format!("node `{node}`")));
            } else {
                self.unknown_truncated = true;
            }
        }
    }

    fn io_hit(&mut self, op: String, saver_context: bool, offset: u64, first: String) {
        let saver = saver_context && SAVER_OPS.contains(&op.as_str());
        self.hit(
            Key {
                rule: rules::TF_IO_OP.id,
                op,
                saver,
            },
            &rules::TF_IO_OP,
            offset,
            first,
        );
    }

    fn hit(&mut self, key: Key, rule: &'static Rule, offset: u64, first: String) {
        self.hits
            .entry(key)
            .and_modify(|h| h.count += 1)
            .or_insert(Hits {
                rule,
                count: 1,
                offset,
                first,
            });
    }

    fn finish(mut self, result: Result<(), protobuf::WireError>) {
        if let Err(e) = result {
            match e.kind {
                WireErrorKind::Malformed => {
                    self.parsed.push(
                        Finding::new(&rules::ONNX_MALFORMED, format!("SavedModel: {e}"))
                            .at(e.offset, "SavedModel protobuf"),
                    );
                    self.parsed.incomplete(e.to_string());
                }
                WireErrorKind::Truncated | WireErrorKind::Io => {
                    self.parsed.incomplete(e.to_string())
                }
            }
        }
        for (key, h) in std::mem::take(&mut self.hits) {
            let nodes = if h.count == 1 {
                "1 node".to_string()
            } else {
                format!("{} nodes", h.count)
            };
            let what = if key.rule == rules::TF_PYTHON_OP.id {
                "calls back into Python"
            } else if key.saver {
                "belongs to the standard checkpoint saver (reads and writes the variables checkpoint)"
            } else if key.op == "PrintV2" {
                "prints to a file (output_stream file://)"
            } else {
                "reads or writes files or reaches the network"
            };
            let mut f = Finding::new(
                h.rule,
                format!("op `{}` {what} ({nodes}; first: {})", key.op, h.first),
            )
            .at(h.offset, "NodeDef.op")
            .detail(format!("op={}; nodes={}", key.op, h.count));
            if key.saver {
                f = f.with_severity(Severity::Info);
            }
            self.parsed.push(f);
        }
        for (op, (count, offset, first)) in std::mem::take(&mut self.unknown_ops) {
            if self.functions.contains(&op) {
                continue; // a call of a function from the graph's own library
            }
            let shown = display_string(op.as_bytes(), FACT_STRING_CHARS);
            self.parsed.push(
                Finding::new(
                    &rules::TF_NONSTANDARD_OP,
                    format!(
                        "op `{shown}` is not in TensorFlow's standard op set ({count} node{}; first: {first})",
                        if count == 1 { "" } else { "s" }
                    ),
                )
                .at(offset, "NodeDef.op")
                .detail(format!("op={shown}")),
            );
        }
        if self.unknown_truncated || self.functions_truncated {
            self.parsed.incomplete(format!(
                "more than {MAX_RECORDED_CALL_SITES} distinct non-standard ops or functions"
            ));
        }
        if self.meta_graphs == 0 && self.parsed.incomplete.is_none() {
            self.parsed
                .incomplete("the SavedModel holds no MetaGraphDef");
        }
        let p = &mut self.parsed;
        if let Some(v) = self.schema_version {
            p.fact("saved_model_schema_version", v);
        }
        p.fact("meta_graph_count", self.meta_graphs);
        p.fact("tags", &self.tags);
        if let Some(v) = &self.tf_version {
            p.fact("tensorflow_version", v);
        }
        if let Some(v) = &self.tf_git_version {
            p.fact("tensorflow_git_version", v);
        }
        p.fact("signatures", &self.signatures);
        p.fact("node_count", self.node_count);
        p.fact("function_count", self.function_count);
        let ops: BTreeMap<String, u64> = self
            .op_types
            .iter()
            .map(|(k, v)| (display_string(k.as_bytes(), FACT_STRING_CHARS), *v))
            .collect();
        p.fact("op_types", ops);
        if self.op_types_truncated {
            p.fact("op_types_truncated", true);
        }
    }
}

/// Scans a `saved_model.pb` from the stream's current position to its end.
pub(crate) fn scan_saved_model<R: SkipRead>(stream: &mut ByteStream<R>) -> Parsed {
    let mut out = Parsed::default();
    scan_saved_model_into(stream, &mut out);
    out
}

fn scan_saved_model_into<R: SkipRead>(stream: &mut ByteStream<R>, out: &mut Parsed) {
    let mut state = State::new(out);
    // What the walk gathered is reported even when a bug of ours stops it.
    let walked = crate::format::survive(|| {
        protobuf::walk(stream, &SCHEMA, SAVED_MODEL, None, |e| state.event(e))
    });
    match walked {
        Some(result) => state.finish(result),
        None => {
            state.parsed.internal_error_in("SavedModel parser");
            state.finish(Ok(()))
        }
    }
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::SavedModel,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| looks_like_saved_model(b).then_some(crate::format::Evidence::Structure),
    tail: None,
    claimed_by: &["pb"],
    exclusive_names: &[],
    parse: crate::format::Parser::Stream(|stream, _, out| scan_saved_model_into(stream, out)),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::protobuf::encode::{len_field, varint_field};
    use std::path::{Path, PathBuf};

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/fixtures/formats")
            .join(rel)
    }

    fn scan_bytes(data: &[u8]) -> Parsed {
        let mut stream = ByteStream::with_capacity(data, 4096);
        scan_saved_model(&mut stream)
    }

    fn scan_fixture(rel: &str) -> Parsed {
        scan_bytes(&std::fs::read(fixture(rel)).unwrap())
    }

    fn rules_of(p: &Parsed) -> Vec<(&'static str, Severity)> {
        let mut r: Vec<_> = p.findings.iter().map(|f| (f.rule, f.severity)).collect();
        r.sort();
        r.dedup();
        r
    }

    fn node(name: &str, op: &str) -> Vec<u8> {
        let mut n = Vec::new();
        len_field(&mut n, 1, name.as_bytes());
        len_field(&mut n, 2, op.as_bytes());
        n
    }

    fn saved_model(graph: &[u8]) -> Vec<u8> {
        let mut mg = Vec::new();
        let mut info = Vec::new();
        len_field(&mut info, 4, b"serve");
        len_field(&mut mg, 1, &info);
        len_field(&mut mg, 2, graph);
        let mut sm = Vec::new();
        varint_field(&mut sm, 1, 1);
        len_field(&mut sm, 2, &mg);
        sm
    }

    #[test]
    fn op_lists_are_sorted_and_standard() {
        assert!(IO_OPS.windows(2).all(|w| w[0] < w[1]));
        for op in IO_OPS.iter().chain(PYTHON_OPS).chain(SAVER_OPS) {
            assert!(tf_ops::is_standard_op(op), "{op}");
        }
        assert!(SAVER_OPS.iter().all(|op| is_io_op(op)));
        assert!(is_io_op("RpcCall") && !is_io_op("MatMul"));
    }

    #[test]
    fn recognition() {
        for rel in [
            "savedmodel/benign/saved_model.pb",
            "savedmodel/io_ops_saved_model.pb",
            "savedmodel/pyfunc_saved_model.pb",
        ] {
            let data = std::fs::read(fixture(rel)).unwrap();
            assert!(looks_like_saved_model(&data), "{rel}");
            assert!(looks_like_saved_model(&data[..40]), "{rel} prefix");
        }
        for rel in ["onnx/mlp_benign.onnx", "onnx/subgraphs_if_loop.onnx"] {
            let data = std::fs::read(fixture(rel)).unwrap();
            assert!(!looks_like_saved_model(&data), "{rel}");
        }
        assert!(!looks_like_saved_model(b""));
        assert!(!looks_like_saved_model(&[0x08, 0x01]));
        assert!(!looks_like_saved_model(b"\x0a\x05<unk>"));
        assert!(!looks_like_saved_model(b"text file\n"));
        assert!(!looks_like_saved_model(b"\x80\x04\x95"));
    }

    #[test]
    fn fixtures() {
        let p = scan_fixture("savedmodel/benign/saved_model.pb");
        assert_eq!(
            rules_of(&p),
            [("MV912", Severity::Info)],
            "{:?}",
            p.findings
        );
        assert_eq!(p.incomplete, None);
        assert_eq!(p.facts["tags"], serde_json::json!(["serve"]));
        assert_eq!(p.facts["tensorflow_version"], "2.21.0");
        assert_eq!(
            p.facts["signatures"],
            serde_json::json!(["serving_default"])
        );
        assert_eq!(p.facts["function_count"], 3);
        assert_eq!(p.facts["op_types"]["MatMul"], 1);
        assert!(p
            .findings
            .iter()
            .all(|f| f.message.contains("standard checkpoint saver")));

        let p = scan_fixture("savedmodel/io_ops_saved_model.pb");
        let high: Vec<&str> = p
            .findings
            .iter()
            .filter(|f| f.rule == "MV912" && f.severity == Severity::High)
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(high.len(), 2, "{high:?}");
        assert!(high.iter().any(|m| m.contains("`ReadFile`")));
        assert!(high.iter().any(|m| m.contains("`WriteFile`")));

        let p = scan_fixture("savedmodel/pyfunc_saved_model.pb");
        assert!(rules_of(&p).contains(&("MV911", Severity::Critical)));
        let p = scan_fixture("savedmodel/custom_op_saved_model.pb");
        let r = rules_of(&p);
        assert!(r.contains(&("MV913", Severity::Medium)), "{r:?}");
        assert!(p
            .findings
            .iter()
            .any(|f| f.message.contains("ModelvetFixtureCustomKernel")));
        // StatefulPartitionedCall and the library's own function names are not flagged.
        assert_eq!(p.findings.iter().filter(|f| f.rule == "MV913").count(), 1);
    }

    #[test]
    fn saver_exemption_is_narrow() {
        // TF1 saver scope: info. The same op outside it: high.
        let mut g = Vec::new();
        len_field(&mut g, 1, &node("save/SaveV2", "SaveV2"));
        len_field(&mut g, 1, &node("save_3/RestoreV2", "RestoreV2"));
        let p = scan_bytes(&saved_model(&g));
        assert_eq!(rules_of(&p), [("MV912", Severity::Info)]);
        let mut g = Vec::new();
        len_field(&mut g, 1, &node("exfil/SaveV2", "SaveV2"));
        len_field(&mut g, 1, &node("save/ReadFile", "ReadFile"));
        len_field(&mut g, 1, &node("saveX/RestoreV2", "RestoreV2"));
        let p = scan_bytes(&saved_model(&g));
        assert_eq!(rules_of(&p), [("MV912", Severity::High)]);
        assert_eq!(p.findings.len(), 3);
    }

    #[test]
    fn print_v2_only_when_writing_a_file() {
        let with_stream = |stream: &[u8]| {
            let mut n = node("print", "PrintV2");
            let mut value = Vec::new();
            len_field(&mut value, 2, stream);
            let mut entry = Vec::new();
            len_field(&mut entry, 1, b"output_stream");
            len_field(&mut entry, 2, &value);
            len_field(&mut n, 5, &entry);
            let mut g = Vec::new();
            len_field(&mut g, 1, &n);
            rules_of(&scan_bytes(&saved_model(&g)))
        };
        assert_eq!(with_stream(b"stderr"), []);
        assert_eq!(with_stream(b"file:///tmp/x"), [("MV912", Severity::High)]);
    }

    #[test]
    fn function_calls_are_not_custom_ops() {
        let mut f = Vec::new();
        let mut sig = Vec::new();
        len_field(&mut sig, 1, b"my_fn");
        len_field(&mut f, 1, &sig);
        len_field(&mut f, 3, &node("x", "Rpc2Call"));
        let mut lib = Vec::new();
        len_field(&mut lib, 1, &f);
        let mut g = Vec::new();
        len_field(&mut g, 1, &node("call", "my_fn"));
        len_field(&mut g, 1, &node("weird", "NotAnOp"));
        len_field(&mut g, 2, &lib);
        let p = scan_bytes(&saved_model(&g));
        let msgs: Vec<&str> = p.findings.iter().map(|f| f.message.as_str()).collect();
        assert_eq!(p.findings.len(), 2, "{msgs:?}");
        assert!(msgs.iter().any(|m| m.contains("`NotAnOp`")));
        assert!(msgs
            .iter()
            .any(|m| m.contains("`Rpc2Call`") && m.contains("network")));
    }

    #[test]
    fn truncation_at_every_byte_is_clean() {
        let data = std::fs::read(fixture("savedmodel/benign/saved_model.pb")).unwrap();
        for cut in 0..data.len() {
            let p = scan_bytes(&data[..cut]);
            // The file is one schema-version varint and one meta graph: every cut is
            // inside something, or before any meta graph.
            assert!(p.incomplete.is_some(), "cut {cut}");
            assert!(p.findings.iter().all(|f| f.rule != "MV805"), "cut {cut}");
        }
        assert_eq!(scan_bytes(&data).incomplete, None);
    }

    #[test]
    fn malformed_and_deep() {
        let p = scan_bytes(&[0x08, 0x01, 0x10, 0x01]);
        assert_eq!(rules_of(&p), [("MV805", Severity::Medium)]);
        // FunctionDef nodes cannot nest, but a hostile file can repeat the SavedModel ->
        // meta graph chain in unknown fields: those are skipped, not followed.
        let mut body = saved_model(&node("n", "NoOp"));
        for _ in 0..200 {
            let mut next = Vec::new();
            len_field(&mut next, 99, &body);
            body = next;
        }
        let p = scan_bytes(&saved_model(&body));
        assert_eq!(p.incomplete, None);
    }
}
