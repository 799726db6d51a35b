//! ONNX models (`ModelProto` in protobuf wire format).
//!
//! The model is walked with the bounded [`protobuf`](super::protobuf) walker: the main
//! graph, every subgraph held in node attributes (`If`, `Loop`, `Scan` bodies, at any
//! depth up to [`MAX_PROTOBUF_DEPTH`](crate::limits::MAX_PROTOBUF_DEPTH)), training-info
//! graphs and model-local functions. Tensor payloads (`raw_data` and the typed arrays) are
//! skipped, never read. Field numbers are those of `onnx/onnx.proto` (onnx 1.23).
//!
//! Findings: MV801 (external data location escapes the model directory), MV802 (ONNX
//! Runtime's in-memory address marker as a location), MV803 (external data file missing
//! or too short), MV804 (operators or opset imports from non-standard domains), MV805
//! (malformed wire format), MV806 (info: model-local functions, training info).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::protobuf::{self, display_string, Event, FieldKind, Schema, WireErrorKind, Wires};
use super::Parsed;
use crate::findings::Finding;
use crate::limits::{LimitHit, MAX_RECORDED_CALL_SITES};
use crate::rules;
use crate::source::{ByteStream, SkipRead};

/// Longest name kept in facts and messages (characters); longer ones end in `…`.
pub(crate) const FACT_STRING_CHARS: usize = 256;
/// Most names listed in one fact (the domains any model declares are a handful).
const FACT_LIST_ITEMS: usize = 64;

/// Operator domains whose kernels ship with ONNX and ONNX Runtime (its CPU, NCHWc,
/// internal NHWC and DirectML kernels). `org.pytorch.aten`, which ONNX Runtime also
/// declares, forwards to any ATen operator and stays non-standard.
pub(crate) const STANDARD_DOMAINS: &[&str] = &[
    "",
    "ai.onnx",
    "ai.onnx.ml",
    "ai.onnx.training",
    "ai.onnx.preview",
    "ai.onnx.preview.training",
    "com.microsoft",
    "com.microsoft.experimental",
    "com.microsoft.nchwc",
    "com.ms.internal.nhwc",
    "com.microsoft.dml",
];

/// onnxruntime's operators that call back into Python (contrib ops of its training builds).
const PYTHON_OPS: &[&str] = &["PythonOp", "PythonOpGrad"];

/// `TensorProto.DataLocation.EXTERNAL`.
const DATA_LOCATION_EXTERNAL: u64 = 1;
/// External-data `location` entries kept per tensor; onnx writes exactly one.
const MAX_LOCATIONS_PER_TENSOR: usize = 8;

// Message kinds of the schema below.
const MODEL: u16 = 0;
const GRAPH: u16 = 1;
const NODE: u16 = 2;
const ATTR: u16 = 3;
const TENSOR: u16 = 4;
const SPARSE: u16 = 5;
const ENTRY: u16 = 6;
const OPSET: u16 = 7;
const TRAINING: u16 = 8;
const FUNCTION: u16 = 9;
const VALUE_INFO: u16 = 10;

use FieldKind::{Bytes, Message, Skip, Varint, Varints};

/// The part of onnx.proto the scanner walks (field numbers from onnx 1.23's onnx.proto).
static SCHEMA: Schema = Schema {
    rows: &[
        // ModelProto
        (MODEL, 1, Varint),             // ir_version
        (MODEL, 2, Bytes),              // producer_name
        (MODEL, 3, Bytes),              // producer_version
        (MODEL, 4, Bytes),              // domain
        (MODEL, 5, Varint),             // model_version
        (MODEL, 6, Skip(Wires::LEN)),   // doc_string
        (MODEL, 7, Message(GRAPH)),     // graph
        (MODEL, 8, Message(OPSET)),     // opset_import
        (MODEL, 14, Message(ENTRY)),    // metadata_props
        (MODEL, 20, Message(TRAINING)), // training_info
        (MODEL, 25, Message(FUNCTION)), // functions
        (MODEL, 26, Skip(Wires::LEN)),  // configuration
        // GraphProto
        (GRAPH, 1, Message(NODE)),        // node
        (GRAPH, 2, Bytes),                // name
        (GRAPH, 5, Message(TENSOR)),      // initializer
        (GRAPH, 10, Skip(Wires::LEN)),    // doc_string
        (GRAPH, 11, Message(VALUE_INFO)), // input
        (GRAPH, 12, Message(VALUE_INFO)), // output
        (GRAPH, 13, Skip(Wires::LEN)),    // value_info
        (GRAPH, 14, Skip(Wires::LEN)),    // quantization_annotation
        (GRAPH, 15, Message(SPARSE)),     // sparse_initializer
        (GRAPH, 16, Message(ENTRY)),      // metadata_props
        // NodeProto
        (NODE, 1, Skip(Wires::LEN)),  // input
        (NODE, 2, Skip(Wires::LEN)),  // output
        (NODE, 3, Bytes),             // name
        (NODE, 4, Bytes),             // op_type
        (NODE, 5, Message(ATTR)),     // attribute
        (NODE, 6, Skip(Wires::LEN)),  // doc_string
        (NODE, 7, Bytes),             // domain
        (NODE, 8, Skip(Wires::LEN)),  // overload
        (NODE, 9, Skip(Wires::LEN)),  // metadata_props
        (NODE, 10, Skip(Wires::LEN)), // device_configurations
        // AttributeProto
        (ATTR, 1, Skip(Wires::LEN)),           // name
        (ATTR, 2, Skip(Wires::I32)),           // f
        (ATTR, 3, Skip(Wires::VARINT)),        // i
        (ATTR, 4, Skip(Wires::LEN)),           // s
        (ATTR, 5, Message(TENSOR)),            // t
        (ATTR, 6, Message(GRAPH)),             // g
        (ATTR, 7, Skip(Wires::PACKED_I32)),    // floats
        (ATTR, 8, Skip(Wires::PACKED_VARINT)), // ints
        (ATTR, 9, Skip(Wires::LEN)),           // strings
        (ATTR, 10, Message(TENSOR)),           // tensors
        (ATTR, 11, Message(GRAPH)),            // graphs
        (ATTR, 13, Skip(Wires::LEN)),          // doc_string
        (ATTR, 14, Skip(Wires::LEN)),          // tp
        (ATTR, 15, Skip(Wires::LEN)),          // type_protos
        (ATTR, 20, Skip(Wires::VARINT)),       // type
        (ATTR, 21, Skip(Wires::LEN)),          // ref_attr_name
        (ATTR, 22, Message(SPARSE)),           // sparse_tensor
        (ATTR, 23, Message(SPARSE)),           // sparse_tensors
        // TensorProto
        (TENSOR, 1, Varints),                     // dims
        (TENSOR, 2, Varint),                      // data_type
        (TENSOR, 3, Skip(Wires::LEN)),            // segment
        (TENSOR, 4, Skip(Wires::PACKED_I32)),     // float_data
        (TENSOR, 5, Skip(Wires::PACKED_VARINT)),  // int32_data
        (TENSOR, 6, Skip(Wires::LEN)),            // string_data
        (TENSOR, 7, Skip(Wires::PACKED_VARINT)),  // int64_data
        (TENSOR, 8, Bytes),                       // name
        (TENSOR, 9, Skip(Wires::LEN)),            // raw_data: skipped, never read
        (TENSOR, 10, Skip(Wires::PACKED_I64)),    // double_data
        (TENSOR, 11, Skip(Wires::PACKED_VARINT)), // uint64_data
        (TENSOR, 12, Skip(Wires::LEN)),           // doc_string
        (TENSOR, 13, Message(ENTRY)),             // external_data
        (TENSOR, 14, Varint),                     // data_location
        (TENSOR, 16, Skip(Wires::LEN)),           // metadata_props
        // SparseTensorProto
        (SPARSE, 1, Message(TENSOR)),            // values
        (SPARSE, 2, Message(TENSOR)),            // indices
        (SPARSE, 3, Skip(Wires::PACKED_VARINT)), // dims
        // StringStringEntryProto
        (ENTRY, 1, Bytes), // key
        (ENTRY, 2, Bytes), // value
        // OperatorSetIdProto
        (OPSET, 1, Bytes),  // domain
        (OPSET, 2, Varint), // version
        // TrainingInfoProto
        (TRAINING, 1, Message(GRAPH)),   // initialization
        (TRAINING, 2, Message(GRAPH)),   // algorithm
        (TRAINING, 3, Skip(Wires::LEN)), // initialization_binding
        (TRAINING, 4, Skip(Wires::LEN)), // update_binding
        // FunctionProto
        (FUNCTION, 1, Bytes),             // name
        (FUNCTION, 4, Skip(Wires::LEN)),  // input
        (FUNCTION, 5, Skip(Wires::LEN)),  // output
        (FUNCTION, 6, Skip(Wires::LEN)),  // attribute
        (FUNCTION, 7, Message(NODE)),     // node
        (FUNCTION, 8, Skip(Wires::LEN)),  // doc_string
        (FUNCTION, 9, Message(OPSET)),    // opset_import
        (FUNCTION, 10, Bytes),            // domain
        (FUNCTION, 11, Message(ATTR)),    // attribute_proto (defaults may hold graphs)
        (FUNCTION, 12, Skip(Wires::LEN)), // value_info
        (FUNCTION, 13, Skip(Wires::LEN)), // overload
        (FUNCTION, 14, Skip(Wires::LEN)), // metadata_props
        // ValueInfoProto
        (VALUE_INFO, 1, Bytes),            // name
        (VALUE_INFO, 2, Skip(Wires::LEN)), // type
        (VALUE_INFO, 3, Skip(Wires::LEN)), // doc_string
        (VALUE_INFO, 4, Skip(Wires::LEN)), // metadata_props
    ],
};

/// Where external data files are looked up: the directory of the model file.
pub(crate) struct ExternalDataContext {
    pub model_dir: PathBuf,
}

/// ModelProto's top-level fields and their wire types (for recognition).
const MODEL_FIELDS: &[(u32, protobuf::WireType)] = {
    use protobuf::WireType::{Len, Varint};
    &[
        (1, Varint),
        (2, Len),
        (3, Len),
        (4, Len),
        (5, Varint),
        (6, Len),
        (7, Len),
        (8, Len),
        (14, Len),
        (20, Len),
        (25, Len),
        (26, Len),
    ]
};

/// GraphProto's fields (all length-delimited), for checking the start of a graph.
const GRAPH_FIELDS: &[u32] = &[1, 2, 5, 10, 11, 12, 13, 14, 15, 16];

/// Whether `prefix` (the first bytes of a file, up to 64 KiB) is an ONNX ModelProto. ONNX
/// has no magic: the top-level fields must be ModelProto's with the right wire types,
/// `ir_version` first (every ONNX writer serialises fields in number order) and plausible,
/// the strings printable UTF-8, and a `graph` or `opset_import` field must start inside
/// the prefix (it may end past it).
pub(crate) fn looks_like_onnx(prefix: &[u8]) -> bool {
    let Ok(fields) = protobuf::scan_prefix(prefix, 256) else {
        return false;
    };
    let Some(first) = fields.first() else {
        return false;
    };
    if first.field != 1
        || first.wire != protobuf::WireType::Varint
        || !(1..=100).contains(&first.value)
    {
        return false;
    }
    let mut structure = false;
    for f in &fields {
        if !MODEL_FIELDS.contains(&(f.field, f.wire)) {
            return false;
        }
        match f.field {
            2..=4 if !printable_prefix(f.body) => return false,
            7 => {
                if !f.body.is_empty() {
                    match protobuf::scan_prefix(f.body, 1) {
                        Ok(g)
                            if g.first().is_none_or(|t| {
                                GRAPH_FIELDS.contains(&t.field) && t.wire == protobuf::WireType::Len
                            }) => {}
                        _ => return false,
                    }
                }
                structure = true;
            }
            8 => {
                match protobuf::scan_prefix(f.body, 2) {
                    Ok(o)
                        if o.iter().all(|t| {
                            (t.field == 1 && t.wire == protobuf::WireType::Len)
                                || (t.field == 2 && t.wire == protobuf::WireType::Varint)
                        }) => {}
                    _ => return false,
                }
                structure = true;
            }
            _ => {}
        }
    }
    structure
}

/// UTF-8 (possibly cut short at the end) without control characters.
fn printable_prefix(bytes: &[u8]) -> bool {
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) if e.error_len().is_none() => {
            // Cut inside a character at the end of the prefix.
            std::str::from_utf8(&bytes[..e.valid_up_to()]).unwrap_or("")
        }
        Err(_) => return false,
    };
    !text
        .chars()
        .any(|c| c.is_control() && c != '\t' && c != '\n' && c != '\r')
}

#[derive(Default)]
struct Frame {
    msg: u16,
    field: u32,
    offset: u64,
    /// A graph held directly in ModelProto.graph.
    main_graph: bool,
    name: Option<String>,
    op_type: Option<String>,
    domain: Option<String>,
    key: Option<Vec<u8>>,
    value: Option<Vec<u8>>,
    version: Option<u64>,
    /// Product of the dims seen so far; `None` after an overflow.
    elements: Option<u64>,
    data_location: u64,
    locations: Vec<(Vec<u8>, u64)>,
    ext_offset: Option<Vec<u8>>,
    ext_length: Option<Vec<u8>>,
    too_many_locations: bool,
}

#[derive(Serialize)]
struct OpsetFact {
    domain: String,
    version: Option<u64>,
}

/// Uses of one operator domain.
#[derive(Default)]
struct DomainUse {
    ops: BTreeSet<String>,
    first_offset: u64,
    in_opset_import: bool,
    in_nodes: bool,
}

/// A resolved external data file: its size, or why it is not usable.
#[derive(Clone)]
enum Resolved {
    File(u64),
    Missing,
    Escapes(PathBuf),
    NotAFile,
    Error(String),
}

struct State<'a, 'p> {
    external: Option<&'a ExternalDataContext>,
    canonical_dir: Option<Result<PathBuf, String>>,
    stack: Vec<Frame>,
    parsed: &'p mut Parsed,
    limits: BTreeSet<&'static str>,
    ir_version: Option<u64>,
    model_version: Option<u64>,
    producer_name: Option<String>,
    producer_version: Option<String>,
    model_domain: Option<String>,
    graph_name: Option<String>,
    inputs: Vec<String>,
    outputs: Vec<String>,
    opsets: Vec<OpsetFact>,
    /// Whether the top-level `graph` field was seen (every loadable model has one).
    saw_graph: bool,
    node_count: u64,
    op_types: BTreeMap<String, u64>,
    op_types_truncated: bool,
    initializer_count: u64,
    parameter_count: Option<u64>,
    metadata: BTreeMap<String, String>,
    functions: Vec<String>,
    local_functions: BTreeSet<(String, String)>,
    function_domains: BTreeSet<String>,
    training_info: u64,
    domains: BTreeMap<String, DomainUse>,
    domains_truncated: bool,
    /// (domain, op) used in a domain ONNX or onnxruntime defines whole but not defined
    /// there, with the first node's offset.
    undefined_ops: BTreeMap<(String, String), u64>,
    external_files: BTreeSet<String>,
    external_tensors: u64,
    reported_locations: BTreeSet<(&'static str, Vec<u8>)>,
    resolved: HashMap<Vec<u8>, Resolved>,
    out_of_bounds: BTreeMap<String, (u64, u64, String)>,
}

fn normalize_domain(d: &str) -> &str {
    if d == "ai.onnx" {
        ""
    } else {
        d
    }
}

impl<'a, 'p> State<'a, 'p> {
    fn new(external: Option<&'a ExternalDataContext>, parsed: &'p mut Parsed) -> Self {
        State {
            external,
            canonical_dir: None,
            stack: Vec::new(),
            parsed,
            limits: BTreeSet::new(),
            ir_version: None,
            model_version: None,
            producer_name: None,
            producer_version: None,
            model_domain: None,
            graph_name: None,
            inputs: Vec::new(),
            outputs: Vec::new(),
            opsets: Vec::new(),
            saw_graph: false,
            node_count: 0,
            op_types: BTreeMap::new(),
            op_types_truncated: false,
            initializer_count: 0,
            parameter_count: Some(0),
            metadata: BTreeMap::new(),
            functions: Vec::new(),
            local_functions: BTreeSet::new(),
            function_domains: BTreeSet::new(),
            training_info: 0,
            domains: BTreeMap::new(),
            domains_truncated: false,
            undefined_ops: BTreeMap::new(),
            external_files: BTreeSet::new(),
            external_tensors: 0,
            reported_locations: BTreeSet::new(),
            resolved: HashMap::new(),
            out_of_bounds: BTreeMap::new(),
        }
    }

    fn event(&mut self, event: Event<'_>) {
        match event {
            Event::Enter {
                msg, field, offset, ..
            } => {
                let main_graph = msg == GRAPH && self.stack.is_empty() && field == 7;
                self.saw_graph |= main_graph;
                if msg == TRAINING {
                    self.training_info += 1;
                }
                self.stack.push(Frame {
                    msg,
                    field,
                    offset,
                    main_graph,
                    elements: Some(1),
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
            } => self.varint(msg, field, value),
            Event::Bytes {
                msg, field, data, ..
            } => self.bytes(msg, field, data),
            Event::Limit { hit, .. } => self.limit(hit),
        }
    }

    fn limit(&mut self, hit: LimitHit) {
        let name = match hit {
            LimitHit::ProtobufDepth => "depth",
            _ => "field",
        };
        if self.limits.insert(name) {
            self.parsed.limit(hit);
        }
    }

    fn varint(&mut self, msg: u16, field: u32, value: u64) {
        match (msg, field) {
            (MODEL, 1) if self.stack.is_empty() => self.ir_version = Some(value),
            (MODEL, 5) if self.stack.is_empty() => self.model_version = Some(value),
            (TENSOR, 1) => {
                if let Some(top) = self.stack.last_mut() {
                    top.elements = top.elements.and_then(|e| e.checked_mul(value));
                }
            }
            (TENSOR, 14) => {
                if let Some(top) = self.stack.last_mut() {
                    top.data_location = value;
                }
            }
            (OPSET, 2) => {
                if let Some(top) = self.stack.last_mut() {
                    top.version = Some(value);
                }
            }
            _ => {}
        }
    }

    fn bytes(&mut self, msg: u16, field: u32, data: &[u8]) {
        let text = || display_string(data, FACT_STRING_CHARS);
        if self.stack.is_empty() {
            match (msg, field) {
                (MODEL, 2) => self.producer_name = Some(text()),
                (MODEL, 3) => self.producer_version = Some(text()),
                (MODEL, 4) => self.model_domain = Some(text()),
                _ => {}
            }
            return;
        }
        let Some(top) = self.stack.last_mut() else {
            return;
        };
        match (msg, field) {
            (GRAPH, 2) if top.main_graph => self.graph_name = Some(text()),
            (NODE, 3) | (TENSOR, 8) | (VALUE_INFO, 1) | (FUNCTION, 1) => top.name = Some(text()),
            (NODE, 4) => top.op_type = Some(text()),
            (NODE, 7) | (OPSET, 1) | (FUNCTION, 10) => top.domain = Some(text()),
            (ENTRY, 1) => top.key = Some(data.to_vec()),
            (ENTRY, 2) => top.value = Some(data.to_vec()),
            _ => {}
        }
    }

    fn leave(&mut self, frame: Frame) {
        let parent = self.stack.last().map(|p| (p.msg, p.field, p.main_graph));
        let at_model = self.stack.is_empty();
        match frame.msg {
            NODE => self.node(&frame),
            TENSOR => {
                if parent.is_some_and(|(m, _, _)| m == GRAPH) && frame.field == 5 {
                    self.initializer_count += 1;
                    self.parameter_count = match (self.parameter_count, frame.elements) {
                        (Some(total), Some(n)) => total.checked_add(n),
                        _ => None,
                    };
                }
                if frame.data_location == DATA_LOCATION_EXTERNAL || !frame.locations.is_empty() {
                    self.external_tensor(&frame);
                }
            }
            ENTRY => {
                if parent.is_some_and(|(m, _, _)| m == TENSOR) && frame.field == 13 {
                    let key = frame.key.clone().unwrap_or_default();
                    let value = frame.value.clone().unwrap_or_default();
                    if let Some(t) = self.stack.last_mut() {
                        match key.as_slice() {
                            b"location" => {
                                if t.locations.len() < MAX_LOCATIONS_PER_TENSOR {
                                    t.locations.push((value, frame.offset));
                                } else {
                                    t.too_many_locations = true;
                                }
                            }
                            b"offset" => t.ext_offset = Some(value),
                            b"length" => t.ext_length = Some(value),
                            _ => {}
                        }
                    }
                } else if at_model
                    && frame.field == 14
                    && self.metadata.len() < MAX_RECORDED_CALL_SITES
                {
                    let key = display_string(&frame.key.unwrap_or_default(), FACT_STRING_CHARS);
                    let value =
                        display_string(&frame.value.unwrap_or_default(), 4 * FACT_STRING_CHARS);
                    self.metadata.insert(key, value);
                }
            }
            OPSET => {
                let domain = frame.domain.clone().unwrap_or_default();
                if at_model && self.opsets.len() < MAX_RECORDED_CALL_SITES {
                    self.opsets.push(OpsetFact {
                        domain: domain.clone(),
                        version: frame.version,
                    });
                }
                let d = normalize_domain(&domain).to_string();
                if let Some(u) = self.domain_use(&d, frame.offset) {
                    u.in_opset_import = true;
                }
            }
            FUNCTION => {
                let name = frame.name.clone().unwrap_or_default();
                let domain = frame.domain.clone().unwrap_or_default();
                if self.functions.len() < MAX_RECORDED_CALL_SITES {
                    self.functions.push(if domain.is_empty() {
                        name.clone()
                    } else {
                        format!("{domain}.{name}")
                    });
                }
                let d = normalize_domain(&domain).to_string();
                self.function_domains.insert(d.clone());
                self.local_functions.insert((d, name));
            }
            VALUE_INFO => {
                if let Some((GRAPH, _, true)) = parent {
                    let name = frame.name.clone().unwrap_or_default();
                    let list = if frame.field == 11 {
                        &mut self.inputs
                    } else if frame.field == 12 {
                        &mut self.outputs
                    } else {
                        return;
                    };
                    if list.len() < MAX_RECORDED_CALL_SITES {
                        list.push(name);
                    }
                }
            }
            _ => {}
        }
    }

    /// The record of a non-standard domain (`None` for standard ones or past the cap).
    fn domain_use(&mut self, domain: &str, offset: u64) -> Option<&mut DomainUse> {
        if STANDARD_DOMAINS.contains(&domain) {
            return None;
        }
        if !self.domains.contains_key(domain) {
            if self.domains.len() >= MAX_RECORDED_CALL_SITES {
                self.domains_truncated = true;
                return None;
            }
            self.domains.insert(
                domain.to_string(),
                DomainUse {
                    first_offset: offset,
                    ..DomainUse::default()
                },
            );
        }
        self.domains.get_mut(domain)
    }

    fn node(&mut self, frame: &Frame) {
        self.node_count += 1;
        let op = frame.op_type.clone().unwrap_or_default();
        if PYTHON_OPS.contains(&op.as_str()) {
            let domain = frame.domain.as_deref().unwrap_or("");
            self.parsed.push(
                Finding::new(
                    &rules::ONNX_PYTHON_OP,
                    format!(
                        "node op `{op}` (domain `{}`) calls a Python function registered in the loading process",
                        display_string(domain.as_bytes(), FACT_STRING_CHARS)
                    ),
                )
                .at(frame.offset, "NodeProto.op_type"),
            );
        }
        if let Some(n) = self.op_types.get_mut(&op) {
            *n += 1;
        } else if self.op_types.len() < MAX_RECORDED_CALL_SITES {
            self.op_types.insert(op.clone(), 1);
        } else {
            self.op_types_truncated = true;
        }
        let domain = normalize_domain(frame.domain.as_deref().unwrap_or("")).to_string();
        // In a domain ONNX or onnxruntime defines whole, an operator they do not define
        // needs a custom operator library registered into that domain.
        if crate::formats::onnx_ops::CHECKED_DOMAINS.contains(&domain.as_str())
            && crate::formats::onnx_ops::KNOWN_OPS
                .binary_search(&(domain.as_str(), op.as_str()))
                .is_err()
            && self.undefined_ops.len() < MAX_RECORDED_CALL_SITES
        {
            self.undefined_ops
                .entry((domain.clone(), op.clone()))
                .or_insert(frame.offset);
        }
        if let Some(u) = self.domain_use(&domain, frame.offset) {
            u.in_nodes = true;
            if u.ops.len() < MAX_RECORDED_CALL_SITES {
                u.ops.insert(op);
            }
        }
    }

    fn external_tensor(&mut self, t: &Frame) {
        self.external_tensors += 1;
        let tensor = t.name.clone().unwrap_or_default();
        if t.too_many_locations {
            self.parsed.incomplete(format!(
                "tensor `{tensor}` has more than {MAX_LOCATIONS_PER_TENSOR} external data locations"
            ));
        }
        if t.locations.is_empty() {
            self.parsed.push(
                Finding::new(
                    &rules::ONNX_EXTERNAL_DATA_BOUNDS,
                    format!("tensor `{tensor}` is stored externally but names no location"),
                )
                .at(t.offset, "TensorProto.external_data"),
            );
            return;
        }
        for (location, offset) in &t.locations {
            let shown = display_string(location, FACT_STRING_CHARS);
            if self.external_files.len() < MAX_RECORDED_CALL_SITES {
                self.external_files.insert(shown.clone());
            }
            if let Some(problem) = location_problem(location) {
                let (rule, op) = if problem == ORT_MEMORY {
                    (&rules::ONNX_ORT_MEMORY_ADDRESS, "MV802")
                } else {
                    (&rules::ONNX_EXTERNAL_DATA_PATH, "MV801")
                };
                if self.reported_locations.insert((op, location.clone())) {
                    self.parsed.push(
                        Finding::new(
                            rule,
                            format!(
                                "tensor `{tensor}` reads external data from `{shown}`: {problem}"
                            ),
                        )
                        .at(*offset, "TensorProto.external_data")
                        .detail(format!("location={shown}")),
                    );
                }
                continue;
            }
            let Some(ctx) = self.external else {
                continue;
            };
            let resolved = self.resolve(ctx, location);
            match resolved {
                Resolved::File(size) => {
                    let parse = |v: &Option<Vec<u8>>| -> Result<Option<u64>, ()> {
                        match v {
                            None => Ok(None),
                            Some(b) => std::str::from_utf8(b)
                                .ok()
                                .and_then(|s| s.trim().parse::<u64>().ok())
                                .map(Some)
                                .ok_or(()),
                        }
                    };
                    let (Ok(start), Ok(len)) = (parse(&t.ext_offset), parse(&t.ext_length)) else {
                        self.parsed.push(
                            Finding::new(
                                &rules::ONNX_EXTERNAL_DATA_BOUNDS,
                                format!(
                                    "tensor `{tensor}`: external data offset or length is not a number"
                                ),
                            )
                            .at(t.offset, "TensorProto.external_data"),
                        );
                        continue;
                    };
                    let start = start.unwrap_or(0);
                    let end = match len {
                        Some(l) => start.checked_add(l),
                        None => Some(start),
                    };
                    if end.is_none_or(|e| e > size) {
                        let entry = self.out_of_bounds.entry(shown.clone()).or_insert((
                            0,
                            t.offset,
                            format!(
                                "tensor `{tensor}`: offset {start}, length {} in a file of {size} bytes",
                                len.map_or_else(|| "(to end)".to_string(), |l| l.to_string())
                            ),
                        ));
                        entry.0 += 1;
                    }
                }
                Resolved::Missing => {
                    if self.reported_locations.insert(("MV803", location.clone())) {
                        self.parsed.push(
                            Finding::new(
                                &rules::ONNX_EXTERNAL_DATA_BOUNDS,
                                format!(
                                    "tensor `{tensor}`: external data file `{shown}` does not exist"
                                ),
                            )
                            .at(*offset, "TensorProto.external_data")
                            .detail(format!("location={shown}")),
                        );
                    }
                }
                Resolved::NotAFile => {
                    if self.reported_locations.insert(("MV803", location.clone())) {
                        self.parsed.push(
                            Finding::new(
                                &rules::ONNX_EXTERNAL_DATA_BOUNDS,
                                format!(
                                    "tensor `{tensor}`: external data location `{shown}` is not a regular file"
                                ),
                            )
                            .at(*offset, "TensorProto.external_data"),
                        );
                    }
                }
                Resolved::Escapes(target) => {
                    if self.reported_locations.insert(("MV801", location.clone())) {
                        self.parsed.push(
                            Finding::new(
                                &rules::ONNX_EXTERNAL_DATA_PATH,
                                format!(
                                    "tensor `{tensor}` reads external data from `{shown}`, which resolves outside the model directory (to {})",
                                    target.display()
                                ),
                            )
                            .at(*offset, "TensorProto.external_data")
                            .detail(format!("location={shown}")),
                        );
                    }
                }
                Resolved::Error(e) => {
                    self.parsed
                        .incomplete(format!("external data `{shown}` could not be checked: {e}"));
                }
            }
        }
    }

    /// Resolves a lexically safe relative location inside the model directory, following
    /// symlinks; nothing outside the directory is ever opened or statted.
    fn resolve(&mut self, ctx: &ExternalDataContext, location: &[u8]) -> Resolved {
        if let Some(r) = self.resolved.get(location) {
            return r.clone();
        }
        let dir = self
            .canonical_dir
            .get_or_insert_with(|| {
                std::fs::canonicalize(&ctx.model_dir)
                    .map_err(|e| format!("model directory {}: {e}", ctx.model_dir.display()))
            })
            .clone();
        let r = match dir {
            Err(e) => Resolved::Error(e),
            Ok(dir) => resolve_in(&dir, location),
        };
        if self.resolved.len() < MAX_RECORDED_CALL_SITES {
            self.resolved.insert(location.to_vec(), r.clone());
        }
        r
    }

    fn finish(mut self, result: Result<(), protobuf::WireError>) {
        if let Err(e) = result {
            match e.kind {
                WireErrorKind::Malformed => {
                    let context = self.context();
                    self.parsed.push(
                        Finding::new(&rules::ONNX_MALFORMED, format!("{e} (in {context})"))
                            .at(e.offset, context),
                    );
                    self.parsed.incomplete(e.to_string());
                }
                WireErrorKind::Truncated | WireErrorKind::Io => {
                    self.parsed.incomplete(e.to_string())
                }
            }
        }
        // Protobuf has no end marker: a file cut at a field boundary parses. Writers put
        // graph (7) and opset_import (8) early, so their absence is what a cut looks like.
        if !self.saw_graph {
            self.parsed
                .incomplete("the model has no graph (a cut-off file?)");
        } else if self.ir_version.is_some_and(|v| v >= 3) && self.opsets.is_empty() {
            self.parsed
                .incomplete("the model has no opset_import, which IR version 3 and later require");
        }
        for (file, (count, offset, first)) in std::mem::take(&mut self.out_of_bounds) {
            let more = if count > 1 {
                format!(" (and {} more tensors)", count - 1)
            } else {
                String::new()
            };
            self.parsed.push(
                Finding::new(
                    &rules::ONNX_EXTERNAL_DATA_BOUNDS,
                    format!("external data beyond the end of `{file}`: {first}{more}"),
                )
                .at(offset, "TensorProto.external_data")
                .detail(format!("location={file}")),
            );
        }
        if self.external_tensors > 0 && self.external.is_none() {
            self.parsed.fact("external_data_checked", false);
            self.parsed.incomplete(format!(
                "{} tensors keep their data in external files, which were not checked",
                self.external_tensors
            ));
        } else if self.external_tensors > 0 {
            self.parsed.fact("external_data_checked", true);
        }
        self.domain_findings();
        if !self.functions.is_empty() {
            self.parsed.push(
                Finding::new(
                    &rules::ONNX_EMBEDDED_CODE,
                    format!(
                        "the model defines {} local function(s): {}",
                        self.functions.len(),
                        self.functions.join(", ")
                    ),
                )
                .detail(self.functions.join(", ")),
            );
        }
        if self.training_info > 0 {
            self.parsed.add(
                &rules::ONNX_EMBEDDED_CODE,
                format!(
                    "the model carries {} training_info entr{} (initialization and algorithm graphs)",
                    self.training_info,
                    if self.training_info == 1 { "y" } else { "ies" }
                ),
            );
        }
        self.facts();
    }

    /// The innermost message being read, for error locations.
    fn context(&self) -> &'static str {
        match self.stack.last().map(|f| f.msg).unwrap_or(MODEL) {
            MODEL => "ModelProto",
            GRAPH => "GraphProto",
            NODE => "NodeProto",
            ATTR => "AttributeProto",
            TENSOR => "TensorProto",
            SPARSE => "SparseTensorProto",
            ENTRY => "StringStringEntryProto",
            OPSET => "OperatorSetIdProto",
            TRAINING => "TrainingInfoProto",
            FUNCTION => "FunctionProto",
            _ => "ValueInfoProto",
        }
    }

    fn domain_findings(&mut self) {
        for ((domain, op), offset) in std::mem::take(&mut self.undefined_ops) {
            if self.local_functions.contains(&(domain.clone(), op.clone())) {
                continue;
            }
            let shown_op = display_string(op.as_bytes(), FACT_STRING_CHARS);
            let shown = if domain.is_empty() {
                "the default domain".to_string()
            } else {
                format!(
                    "domain `{}`",
                    display_string(domain.as_bytes(), FACT_STRING_CHARS)
                )
            };
            self.parsed.push(
                Finding::new(
                    &rules::ONNX_CUSTOM_DOMAIN,
                    format!(
                        "operator `{shown_op}` is not defined in {shown} by ONNX or onnxruntime: \
                         it needs a custom operator library"
                    ),
                )
                .at(offset, "NodeProto.op_type")
                .global(&domain, &shown_op)
                .detail(format!("domain={domain}; op_type={shown_op}")),
            );
        }
        let domains = std::mem::take(&mut self.domains);
        let mut unused: Vec<String> = Vec::new();
        for (domain, used) in domains {
            let foreign: Vec<&String> = used
                .ops
                .iter()
                .filter(|op| {
                    !self
                        .local_functions
                        .contains(&(domain.clone(), (*op).clone()))
                })
                .collect();
            let shown = display_string(domain.as_bytes(), FACT_STRING_CHARS);
            if !foreign.is_empty() {
                let ops = foreign
                    .iter()
                    .map(|s| s.as_str())
                    .collect::<Vec<_>>()
                    .join(", ");
                self.parsed.push(
                    Finding::new(
                        &rules::ONNX_CUSTOM_DOMAIN,
                        format!("operators from the non-standard domain `{shown}`: {ops}"),
                    )
                    .at(used.first_offset, "NodeProto.domain")
                    .global(&shown, &ops)
                    .detail(format!("domain={shown}; op_types={ops}")),
                );
            } else if used.in_opset_import
                && !used.in_nodes
                && !self.function_domains.contains(&domain)
                && unused.len() < FACT_LIST_ITEMS
            {
                // Declaring a domain loads nothing: custom operator libraries are registered
                // by the application, and only operators that use the domain need one.
                unused.push(shown);
            }
        }
        if !unused.is_empty() {
            self.parsed.fact("opset_domains_without_operators", unused);
        }
        if self.domains_truncated {
            self.parsed.incomplete(format!(
                "more than {MAX_RECORDED_CALL_SITES} non-standard operator domains"
            ));
        }
    }

    fn facts(&mut self) {
        let p = &mut self.parsed;
        if let Some(v) = self.ir_version {
            p.fact("ir_version", v);
        }
        if let Some(v) = &self.producer_name {
            p.fact("producer_name", v);
        }
        if let Some(v) = &self.producer_version {
            p.fact("producer_version", v);
        }
        if let Some(v) = &self.model_domain {
            p.fact("domain", v);
        }
        if let Some(v) = self.model_version {
            p.fact("model_version", v);
        }
        p.fact("opset_import", &self.opsets);
        if let Some(v) = &self.graph_name {
            p.fact("graph_name", v);
        }
        p.fact("inputs", &self.inputs);
        p.fact("outputs", &self.outputs);
        p.fact("node_count", self.node_count);
        p.fact("op_types", &self.op_types);
        if self.op_types_truncated {
            p.fact("op_types_truncated", true);
        }
        p.fact("initializer_count", self.initializer_count);
        p.fact(crate::facts::PARAMETER_COUNT, self.parameter_count);
        if !self.external_files.is_empty() {
            p.fact("external_data_files", &self.external_files);
        }
        if !self.metadata.is_empty() {
            p.fact("metadata_props", &self.metadata);
        }
        if !self.functions.is_empty() {
            p.fact("functions", &self.functions);
        }
        if self.training_info > 0 {
            p.fact("training_info", self.training_info);
        }
    }
}

const ORT_MEMORY: &str = "it is ONNX Runtime's in-memory address marker `*/_ORT_MEM_ADDR_/*`";

/// Lexical problems of an external data location; `None` for a plain relative path.
fn location_problem(location: &[u8]) -> Option<&'static str> {
    if location.windows(14).any(|w| w == b"_ORT_MEM_ADDR_") {
        return Some(ORT_MEMORY);
    }
    if location.contains(&0) {
        return Some("it contains a NUL byte");
    }
    if location.starts_with(b"\\\\") || location.starts_with(b"//") {
        return Some("it is a UNC or network path");
    }
    if location.starts_with(b"/") || location.starts_with(b"\\") {
        return Some("it is an absolute path");
    }
    if location.len() >= 2 && location[0].is_ascii_alphabetic() && location[1] == b':' {
        return Some("it has a drive prefix");
    }
    if location
        .split(|&b| b == b'/' || b == b'\\')
        .any(|c| c == b"..")
    {
        return Some("it contains `..` components");
    }
    if location.is_empty() {
        return Some("it is empty");
    }
    None
}

/// Resolves `location` (lexically checked: relative, no `..`) inside the canonical model
/// directory `dir`. Symlinks are followed by `canonicalize`; the result must still be
/// inside `dir` before its metadata is read.
fn resolve_in(dir: &Path, location: &[u8]) -> Resolved {
    let Ok(text) = std::str::from_utf8(location) else {
        return Resolved::Error("location is not UTF-8".into());
    };
    let candidate = dir.join(text);
    match std::fs::canonicalize(&candidate) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Resolved::Missing,
        Err(e) => Resolved::Error(e.to_string()),
        Ok(real) => {
            if !real.starts_with(dir) {
                return Resolved::Escapes(real);
            }
            match std::fs::metadata(&real) {
                Ok(m) if m.is_file() => Resolved::File(m.len()),
                Ok(_) => Resolved::NotAFile,
                Err(e) => Resolved::Error(e.to_string()),
            }
        }
    }
}

/// Scans an ONNX model from the stream's current position to its end. With `external`,
/// external data files are resolved inside `model_dir` and their sizes checked; without
/// it, models with external data are marked incomplete.
/// The registry's entry point: external data is resolved beside the file on disk.
fn parse(
    stream: &mut crate::format::DynStream<'_>,
    ctx: &crate::format::ParseContext<'_>,
    out: &mut Parsed,
) {
    let external = ctx.disk_dir.map(|dir| ExternalDataContext {
        model_dir: dir.to_path_buf(),
    });
    scan_onnx_into(stream, external.as_ref(), out)
}

pub(crate) fn scan_onnx<R: SkipRead>(
    stream: &mut ByteStream<R>,
    external: Option<&ExternalDataContext>,
) -> Parsed {
    let mut out = Parsed::default();
    scan_onnx_into(stream, external, &mut out);
    out
}

fn scan_onnx_into<R: SkipRead>(
    stream: &mut ByteStream<R>,
    external: Option<&ExternalDataContext>,
    out: &mut Parsed,
) {
    let mut state = State::new(external, out);
    // What the walk gathered is reported even when a bug of ours stops it.
    let walked =
        crate::format::survive(|| protobuf::walk(stream, &SCHEMA, MODEL, None, |e| state.event(e)));
    match walked {
        Some(result) => state.finish(result),
        None => {
            state.parsed.internal_error_in("ONNX parser");
            state.finish(Ok(()))
        }
    }
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Onnx,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    // Protobuf has no magic: the prefix is checked against the schema's field layout.
    head: |b, _| looks_like_onnx(b).then_some(crate::format::Evidence::Structure),
    tail: None,
    claimed_by: &["onnx"],
    exclusive_names: &["onnx"],
    parse: crate::format::Parser::Stream(parse),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::formats::protobuf::encode::{len_field, varint_field};

    fn fixture(rel: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/fixtures/formats")
            .join(rel)
    }

    fn scan_bytes(data: &[u8], external: Option<&ExternalDataContext>) -> Parsed {
        let mut stream = ByteStream::with_capacity(data, 4096);
        scan_onnx(&mut stream, external)
    }

    fn scan_fixture(rel: &str) -> Parsed {
        let path = fixture(rel);
        let data = std::fs::read(&path).unwrap();
        let ctx = ExternalDataContext {
            model_dir: path.parent().unwrap().to_path_buf(),
        };
        scan_bytes(&data, Some(&ctx))
    }

    fn rules_of(p: &Parsed) -> Vec<&'static str> {
        let mut r: Vec<_> = p.findings.iter().map(|f| f.rule).collect();
        r.sort();
        r.dedup();
        r
    }

    fn node(op: &str, domain: &str) -> Vec<u8> {
        let mut n = Vec::new();
        len_field(&mut n, 4, op.as_bytes());
        if !domain.is_empty() {
            len_field(&mut n, 7, domain.as_bytes());
        }
        n
    }

    fn external_tensor(name: &str, location: &str, offset: u64, length: u64) -> Vec<u8> {
        let mut t = Vec::new();
        varint_field(&mut t, 1, 4);
        varint_field(&mut t, 2, 1);
        len_field(&mut t, 8, name.as_bytes());
        for (k, v) in [
            ("location", location.to_string()),
            ("offset", offset.to_string()),
            ("length", length.to_string()),
        ] {
            let mut e = Vec::new();
            len_field(&mut e, 1, k.as_bytes());
            len_field(&mut e, 2, v.as_bytes());
            len_field(&mut t, 13, &e);
        }
        varint_field(&mut t, 14, 1);
        t
    }

    fn model(graph: &[u8]) -> Vec<u8> {
        let mut m = Vec::new();
        varint_field(&mut m, 1, 9);
        len_field(&mut m, 2, b"test");
        len_field(&mut m, 7, graph);
        let mut opset = Vec::new();
        varint_field(&mut opset, 2, 17);
        len_field(&mut m, 8, &opset);
        m
    }

    #[test]
    fn recognises_onnx_by_content_only() {
        for rel in [
            "onnx/mlp_benign.onnx",
            "onnx/subgraphs_if_loop.onnx",
            "onnx/local_function.onnx",
            "onnx/truncated.onnx",
            "onnx/external_ok/external_ok.onnx",
            "onnx/ext_traversal.onnx",
            "onnx/ext_ort_mem_addr.onnx",
            "onnx/ext_offset_beyond/ext_offset_beyond.onnx",
            "onnx/custom_domain.onnx",
            "onnx/subgraph_custom_domain.onnx",
            "onnx/training_info.onnx",
            "onnx/malformed_wire_type.onnx",
        ] {
            let data = std::fs::read(fixture(rel)).unwrap();
            assert!(looks_like_onnx(&data), "{rel}");
        }
        // The prefix may end inside the graph.
        let mut g = Vec::new();
        len_field(&mut g, 1, &node("Relu", ""));
        let mut t = Vec::new();
        len_field(&mut t, 9, &vec![0u8; 100_000]);
        len_field(&mut g, 5, &t);
        let big = model(&g);
        assert!(looks_like_onnx(&big[..64 * 1024]));

        let sm = std::fs::read(fixture("savedmodel/benign/saved_model.pb")).unwrap();
        assert!(!looks_like_onnx(&sm));
        // sentencepiece: ModelProto.pieces (field 1, length-delimited) first.
        let mut sp = Vec::new();
        let mut piece = Vec::new();
        len_field(&mut piece, 1, b"<unk>");
        len_field(&mut sp, 1, &piece);
        assert!(!looks_like_onnx(&sp));
        assert!(!looks_like_onnx(b"hello world, this is text\n"));
        assert!(!looks_like_onnx(
            b"\x80\x04\x95\x10\x00\x00\x00\x00\x00\x00\x00}\x94."
        ));
        assert!(!looks_like_onnx(b""));
        // ir_version alone is not a model.
        assert!(!looks_like_onnx(&[0x08, 0x07]));
        // Random bytes never pass.
        let mut next = crate::source::xorshift();
        for _ in 0..2000 {
            let mut buf = vec![0u8; 256];
            for b in buf.iter_mut() {
                *b = next() as u8;
            }
            buf[0] = 0x08; // even with an ir_version-like start
            assert!(!looks_like_onnx(&buf), "{buf:?}");
        }
    }

    #[test]
    fn benign_mlp_facts() {
        let p = scan_fixture("onnx/mlp_benign.onnx");
        assert!(p.findings.is_empty(), "{:?}", p.findings);
        assert_eq!(p.incomplete, None);
        assert_eq!(p.facts["ir_version"], 9);
        assert_eq!(p.facts["producer_name"], "modelvet-fixtures");
        assert_eq!(p.facts["graph_name"], "mlp");
        assert_eq!(p.facts["node_count"], 5);
        assert_eq!(p.facts["op_types"]["MatMul"], 2);
        assert_eq!(p.facts["initializer_count"], 4);
        assert_eq!(p.facts["parameter_count"], 4 * 8 + 8 + 8 * 2 + 2);
        assert_eq!(p.facts["inputs"], serde_json::json!(["x"]));
        assert_eq!(p.facts["outputs"], serde_json::json!(["y"]));
        assert_eq!(
            p.facts["opset_import"],
            serde_json::json!([{"domain": "", "version": 17}])
        );
    }

    #[test]
    fn fixtures_fire_their_rules() {
        for (rel, want) in [
            ("onnx/external_ok/external_ok.onnx", &[][..]),
            ("onnx/subgraphs_if_loop.onnx", &[]),
            ("onnx/ext_traversal.onnx", &["MV801"]),
            ("onnx/ext_absolute.onnx", &["MV801"]),
            ("onnx/ext_ort_mem_addr.onnx", &["MV802"]),
            ("onnx/ext_missing.onnx", &["MV803"]),
            ("onnx/ext_offset_beyond/ext_offset_beyond.onnx", &["MV803"]),
            ("onnx/custom_domain.onnx", &["MV804"]),
            ("onnx/subgraph_custom_domain.onnx", &["MV804"]),
            ("onnx/local_function.onnx", &["MV806"]),
            ("onnx/training_info.onnx", &["MV806"]),
            ("onnx/malformed_wire_type.onnx", &["MV805"]),
        ] {
            let p = scan_fixture(rel);
            assert_eq!(rules_of(&p), want, "{rel}: {:?}", p.findings);
            let malformed = want.contains(&"MV805");
            assert_eq!(
                p.incomplete.is_some(),
                malformed,
                "{rel}: {:?}",
                p.incomplete
            );
        }
        let p = scan_fixture("onnx/external_ok/external_ok.onnx");
        assert_eq!(p.facts["external_data_checked"], true);
        assert_eq!(
            p.facts["external_data_files"],
            serde_json::json!(["external_ok.onnx.data"])
        );
        let p = scan_fixture("onnx/subgraph_custom_domain.onnx");
        assert!(p.findings[0].message.contains("HiddenOp"));
        assert_eq!(p.facts["op_types"]["Loop"], 1);
        let p = scan_fixture("onnx/local_function.onnx");
        assert_eq!(
            p.facts["functions"],
            serde_json::json!(["local.funcs.Swish"])
        );
        let p = scan_fixture("onnx/truncated.onnx");
        assert!(p.findings.is_empty());
        assert!(p.incomplete.unwrap().contains("truncated"));
    }

    #[test]
    fn external_data_without_a_directory_is_incomplete() {
        let data = std::fs::read(fixture("onnx/external_ok/external_ok.onnx")).unwrap();
        let p = scan_bytes(&data, None);
        assert!(p.findings.is_empty());
        assert_eq!(p.facts["external_data_checked"], false);
        assert!(p.incomplete.is_some());
        // Lexical problems are found without a directory.
        let data = std::fs::read(fixture("onnx/ext_traversal.onnx")).unwrap();
        assert_eq!(rules_of(&scan_bytes(&data, None)), ["MV801"]);
    }

    #[test]
    fn location_checks() {
        for bad in [
            "/etc/passwd",
            "\\\\server\\share\\w.bin",
            "//server/share",
            "C:\\weights.bin",
            "c:weights.bin",
            "a/../../b",
            "..\\x",
            "w.bin\0.txt",
            "",
        ] {
            assert!(location_problem(bad.as_bytes()).is_some(), "{bad:?}");
        }
        assert_eq!(location_problem(b"*/_ORT_MEM_ADDR_/*"), Some(ORT_MEMORY));
        for ok in ["weights.bin", "sub/dir/w.data", "..weights", "a..b/c"] {
            assert_eq!(location_problem(ok.as_bytes()), None, "{ok}");
        }
    }

    #[test]
    fn symlink_escaping_the_model_directory_is_mv801() {
        let base = std::env::temp_dir().join(format!("modelvet-onnx-{}", std::process::id()));
        let dir = base.join("model");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(base.join("secret.bin"), [0u8; 64]).unwrap();
        std::fs::write(dir.join("inside.bin"), [0u8; 64]).unwrap();
        let link = dir.join("link.bin");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(base.join("secret.bin"), &link).unwrap();
        let inner = dir.join("inner.bin");
        let _ = std::fs::remove_file(&inner);
        std::os::unix::fs::symlink("inside.bin", &inner).unwrap();
        let ctx = ExternalDataContext {
            model_dir: dir.clone(),
        };
        let one = |loc: &str, off: u64, len: u64| {
            let mut g = Vec::new();
            len_field(&mut g, 5, &external_tensor("w", loc, off, len));
            rules_of(&scan_bytes(&model(&g), Some(&ctx)))
        };
        assert_eq!(one("link.bin", 0, 16), ["MV801"]);
        assert_eq!(one("inner.bin", 0, 16), Vec::<&str>::new());
        assert_eq!(one("inside.bin", 0, 64), Vec::<&str>::new());
        assert_eq!(one("inside.bin", 1, 64), ["MV803"]);
        assert_eq!(one("inside.bin", u64::MAX, 2), ["MV803"]);
        assert_eq!(one("nope.bin", 0, 4), ["MV803"]);
        assert_eq!(one(".", 0, 4), ["MV803"]);
        std::fs::remove_dir_all(&base).unwrap();
    }

    #[test]
    fn custom_domains_except_local_functions() {
        let mut g = Vec::new();
        len_field(&mut g, 1, &node("Relu", ""));
        len_field(&mut g, 1, &node("Gelu", "ai.onnx"));
        len_field(&mut g, 1, &node("FusedGemm", "com.microsoft"));
        len_field(&mut g, 1, &node("Swish", "my.funcs"));
        len_field(&mut g, 1, &node("Native", "my.funcs"));
        len_field(&mut g, 1, &node("A", "x.y"));
        len_field(&mut g, 1, &node("B", "x.y"));
        let mut m = model(&g);
        let mut f = Vec::new();
        len_field(&mut f, 1, b"Swish");
        len_field(&mut f, 10, b"my.funcs");
        len_field(&mut m, 25, &f);
        let mut opset = Vec::new();
        len_field(&mut opset, 1, b"only.imported");
        len_field(&mut m, 8, &opset);
        let p = scan_bytes(&m, None);
        let mv804: Vec<&str> = p
            .findings
            .iter()
            .filter(|f| f.rule == "MV804")
            .map(|f| f.message.as_str())
            .collect();
        assert_eq!(mv804.len(), 2, "{mv804:?}");
        assert!(mv804
            .iter()
            .any(|m| m.contains("my.funcs") && m.ends_with(": Native")));
        assert!(mv804
            .iter()
            .any(|m| m.contains("x.y") && m.ends_with(": A, B")));
        // A domain only declared in opset_import loads nothing: a fact, not a finding.
        assert!(!mv804.iter().any(|m| m.contains("only.imported")));
        assert_eq!(
            p.facts["opset_domains_without_operators"],
            serde_json::json!(["only.imported"])
        );
        assert!(p.findings.iter().any(|f| f.rule == "MV806"));
        assert_eq!(p.incomplete, None);
    }

    /// A graph holding `depth` nested If subgraphs (node.attribute.g), built in linear time.
    fn nested_subgraphs(depth: usize) -> Vec<u8> {
        // Innermost graph: one node.
        let mut inner = Vec::new();
        len_field(&mut inner, 1, &node("Relu", ""));
        // Per level: GraphProto{node=1: NodeProto{op_type=4:"If", attribute=5: AttributeProto{g=6: <inner>}}}
        let mut headers: Vec<Vec<u8>> = Vec::with_capacity(depth);
        let mut len = inner.len() as u64;
        for _ in 0..depth {
            let mut attr_head = Vec::new();
            crate::formats::protobuf::encode::varint(6 << 3 | 2, &mut attr_head);
            crate::formats::protobuf::encode::varint(len, &mut attr_head);
            let attr_len = attr_head.len() as u64 + len;
            let mut node_head = Vec::new();
            len_field(&mut node_head, 4, b"If");
            crate::formats::protobuf::encode::varint(5 << 3 | 2, &mut node_head);
            crate::formats::protobuf::encode::varint(attr_len, &mut node_head);
            let node_len = node_head.len() as u64 + attr_len;
            let mut graph_head = Vec::new();
            crate::formats::protobuf::encode::varint(1 << 3 | 2, &mut graph_head);
            crate::formats::protobuf::encode::varint(node_len, &mut graph_head);
            len = graph_head.len() as u64 + node_len;
            let mut h = graph_head;
            h.extend_from_slice(&node_head);
            h.extend_from_slice(&attr_head);
            headers.push(h);
        }
        let mut out: Vec<u8> = headers.into_iter().rev().flatten().collect();
        out.extend_from_slice(&inner);
        out
    }

    #[test]
    fn deep_subgraph_nesting_is_a_limit_not_a_crash() {
        let g = nested_subgraphs(100_000);
        let m = model(&g);
        let p = scan_bytes(&m, None);
        assert!(
            p.findings.iter().any(|f| f.rule == "MV502"),
            "{:?}",
            p.findings
        );
        assert!(p.incomplete.unwrap().contains("MAX_PROTOBUF_DEPTH"));
        // The nodes above the limit were still seen.
        assert!(p.facts["node_count"].as_u64().unwrap() > 10);
        // A shallow nesting is fine.
        let p = scan_bytes(&model(&nested_subgraphs(10)), None);
        assert_eq!(p.incomplete, None);
        assert_eq!(p.facts["node_count"], 11);
    }

    #[test]
    fn truncation_at_every_byte_is_clean() {
        let data = std::fs::read(fixture("onnx/subgraphs_if_loop.onnx")).unwrap();
        let boundaries: Vec<usize> = {
            let fields = protobuf::scan_prefix(&data, 1000).unwrap();
            let mut ends = vec![0];
            let mut p = 0usize;
            for f in fields {
                // Recompute each top-level field's end from the encoding.
                let mut enc = Vec::new();
                match f.wire {
                    protobuf::WireType::Varint => varint_field(&mut enc, f.field, f.value),
                    _ => {
                        crate::formats::protobuf::encode::varint(
                            u64::from(f.field) << 3 | 2,
                            &mut enc,
                        );
                        crate::formats::protobuf::encode::varint(f.len, &mut enc);
                        enc.extend(std::iter::repeat_n(0, f.len as usize));
                    }
                }
                p += enc.len();
                ends.push(p);
            }
            ends
        };
        for cut in 0..data.len() {
            let p = scan_bytes(&data[..cut], None);
            if boundaries.contains(&cut) {
                assert!(p.findings.iter().all(|f| f.rule != "MV805"), "cut {cut}");
            } else {
                assert!(p.incomplete.is_some(), "cut {cut} went unnoticed");
            }
        }
    }

    #[test]
    fn wrong_wire_types_on_known_fields_are_mv805() {
        // graph (field 7) sent as a varint.
        let p = scan_bytes(&[0x08, 0x09, 0x38, 0x01], None);
        assert_eq!(rules_of(&p), ["MV805"]);
        assert!(p.incomplete.is_some());
        // A length past the end of its parent message.
        let mut g = Vec::new();
        g.extend_from_slice(&[0x0a, 0x10, 0x22, 0x02]);
        let mut m = vec![0x08, 0x09];
        len_field(&mut m, 7, &g);
        m.extend_from_slice(&[0u8; 32]);
        assert_eq!(rules_of(&scan_bytes(&m, None)), ["MV805"]);
    }

    #[test]
    fn oversized_location_is_a_field_limit() {
        let loc = "a".repeat(crate::limits::MAX_PROTOBUF_FIELD as usize + 1);
        let mut g = Vec::new();
        len_field(&mut g, 5, &external_tensor("w", &loc, 0, 4));
        let p = scan_bytes(&model(&g), None);
        assert!(p.findings.iter().any(|f| f.rule == "MV502"));
        assert!(p.incomplete.is_some());
    }
}
