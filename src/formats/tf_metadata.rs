//! The files TensorFlow and Keras write beside `saved_model.pb`:
//!
//! - `fingerprint.pb` (FingerprintDef): hashes of the SavedModel's parts and a version.
//!   Data only; it is recognised and read whole so that it is never "not checked".
//! - `keras_metadata.pb` (SavedMetadata): one JSON document per saved object, the Keras
//!   config that `tf.keras.models.load_model` rebuilds layers from. Each document is checked
//!   like any other Keras config (Lambda bytecode, modules outside Keras, gadget APIs).
//!
//! Field numbers from tensorflow/core/protobuf/fingerprint.proto,
//! tensorflow/core/framework/versions.proto and keras/protobuf/saved_metadata.proto.

use std::collections::BTreeMap;

use crate::findings::Finding;
use crate::format::Parsed;
use crate::formats::keras::{self, ConfigSource};
use crate::formats::protobuf::{self, Event, FieldKind, Schema, WireErrorKind};
use crate::rules;
use crate::source::{ByteStream, SkipRead};

const FINGERPRINT: u16 = 0;
const VERSION_DEF: u16 = 1;
const SAVED_METADATA: u16 = 2;
const SAVED_OBJECT: u16 = 3;

static SCHEMA: Schema = Schema {
    rows: &[
        (FINGERPRINT, 1, FieldKind::Varint), // saved_model_checksum
        (FINGERPRINT, 2, FieldKind::Varint), // graph_def_program_hash
        (FINGERPRINT, 3, FieldKind::Varint), // signature_def_hash
        (FINGERPRINT, 4, FieldKind::Varint), // saved_object_graph_hash
        (FINGERPRINT, 5, FieldKind::Varint), // checkpoint_hash
        (FINGERPRINT, 6, FieldKind::Message(VERSION_DEF)),
        (FINGERPRINT, 7, FieldKind::Bytes),   // uuid
        (VERSION_DEF, 1, FieldKind::Varint),  // producer
        (VERSION_DEF, 2, FieldKind::Varint),  // min_consumer
        (VERSION_DEF, 3, FieldKind::Varints), // bad_consumers
        (SAVED_METADATA, 1, FieldKind::Message(SAVED_OBJECT)), // nodes
        (SAVED_OBJECT, 2, FieldKind::Varint), // node_id
        (SAVED_OBJECT, 3, FieldKind::Bytes),  // node_path
        (SAVED_OBJECT, 4, FieldKind::Bytes),  // identifier
        (SAVED_OBJECT, 5, FieldKind::Bytes),  // metadata (JSON)
        (SAVED_OBJECT, 6, FieldKind::Message(VERSION_DEF)),
    ],
};

const FINGERPRINT_HASHES: [&str; 5] = [
    "saved_model_checksum",
    "graph_def_program_hash",
    "signature_def_hash",
    "saved_object_graph_hash",
    "checkpoint_hash",
];

/// Reports the walk's end: malformed wire format is a finding, a cut file incomplete.
fn walk_result(out: &mut Parsed, result: Result<(), protobuf::WireError>, what: &str) {
    if let Err(e) = result {
        match e.kind {
            WireErrorKind::Malformed => {
                out.push(
                    Finding::new(&rules::ONNX_MALFORMED, format!("{what}: {e}")).offset(e.offset),
                );
                out.incomplete(format!("{what}: {e}"));
            }
            WireErrorKind::Truncated | WireErrorKind::Io => out.incomplete(format!("{what}: {e}")),
        }
    }
}

fn scan_fingerprint_into<R: SkipRead>(stream: &mut ByteStream<R>, out: &mut Parsed) {
    let mut hashes: BTreeMap<&'static str, String> = BTreeMap::new();
    let mut uuid = None;
    let mut producer = None;
    let mut limit = None;
    let result = protobuf::walk(stream, &SCHEMA, FINGERPRINT, None, |e| match e {
        Event::Varint {
            msg: FINGERPRINT,
            field,
            value,
            ..
        } if (1..=5).contains(&field) => {
            hashes.insert(
                FINGERPRINT_HASHES[field as usize - 1],
                format!("{value:016x}"),
            );
        }
        Event::Varint {
            msg: VERSION_DEF,
            field: 1,
            value,
            ..
        } => producer = Some(value),
        Event::Bytes {
            msg: FINGERPRINT,
            field: 7,
            data,
            ..
        } => uuid = Some(String::from_utf8_lossy(data).into_owned()),
        Event::Limit { hit, .. } => limit = Some(hit),
        _ => {}
    });
    for (k, v) in &hashes {
        out.fact(k, v);
    }
    if let Some(u) = uuid {
        out.fact("uuid", u);
    }
    if let Some(p) = producer {
        out.fact("producer", p);
    }
    if let Some(hit) = limit {
        out.limit(hit);
    }
    walk_result(out, result, "fingerprint.pb");
}

fn scan_keras_metadata_into<R: SkipRead>(stream: &mut ByteStream<R>, out: &mut Parsed) {
    let mut identifiers: BTreeMap<String, u64> = BTreeMap::new();
    let mut identifier = String::new();
    let mut documents: u64 = 0;
    let mut checked = Parsed::default();
    let mut limit = None;
    let result = protobuf::walk(stream, &SCHEMA, SAVED_METADATA, None, |e| match e {
        Event::Enter {
            msg: SAVED_OBJECT, ..
        } => identifier.clear(),
        Event::Bytes {
            msg: SAVED_OBJECT,
            field: 4,
            data,
            ..
        } => {
            identifier = String::from_utf8_lossy(&data[..data.len().min(128)]).into_owned();
            if identifiers.len() < 64 || identifiers.contains_key(&identifier) {
                *identifiers.entry(identifier.clone()).or_default() += 1;
            }
        }
        Event::Bytes {
            msg: SAVED_OBJECT,
            field: 5,
            data,
            ..
        } if !data.is_empty() => {
            documents += 1;
            let mut one = keras::check_config(data, ConfigSource::KerasMetadata);
            // The model's facts come from its config.json or saved_model.pb; a node's
            // facts would repeat per layer.
            one.facts.clear();
            checked.merge(one);
        }
        Event::Limit { hit, .. } => limit = Some(hit),
        _ => {}
    });
    out.merge(checked);
    out.fact("saved_objects", identifiers.values().sum::<u64>());
    out.fact("metadata_documents", documents);
    out.fact("identifiers", identifiers);
    if let Some(hit) = limit {
        out.limit(hit);
    }
    walk_result(out, result, "keras_metadata.pb");
    out.format = Some(crate::format::Format::KerasSavedModelMetadata);
}

/// Every field a FingerprintDef may hold, and hashes in fields 1 and 2: the whole file
/// (a few dozen bytes) is in the prefix.
fn looks_like_fingerprint(prefix: &[u8]) -> bool {
    if prefix.len() > 512 {
        return false;
    }
    let Ok(fields) = protobuf::scan_prefix(prefix, 16) else {
        return false;
    };
    let whole: usize = fields
        .iter()
        .map(|f| match f.wire {
            protobuf::WireType::Len => f.body.len() as u64 == f.len,
            _ => true,
        } as usize)
        .sum();
    let varint = |n: u32| {
        fields
            .iter()
            .any(|f| f.field == n && f.wire == protobuf::WireType::Varint)
    };
    whole == fields.len()
        && varint(1)
        && varint(2)
        && fields.iter().all(|f| match f.field {
            1..=5 => f.wire == protobuf::WireType::Varint,
            6 | 7 => f.wire == protobuf::WireType::Len,
            _ => false,
        })
}

/// SavedMetadata: `nodes` (field 1) whose first fields are a SavedObject's, and Keras'
/// `_tf_keras_` identifiers in the prefix.
fn looks_like_keras_metadata(prefix: &[u8]) -> bool {
    let Ok(fields) = protobuf::scan_prefix(prefix, 4) else {
        return false;
    };
    let nodes_first = fields.first().is_some_and(|f| {
        f.field == 1
            && f.wire == protobuf::WireType::Len
            && protobuf::scan_prefix(f.body, 1)
                .is_ok_and(|inner| inner.first().is_some_and(|t| (2..=6).contains(&t.field)))
    });
    nodes_first
        && fields
            .iter()
            .all(|f| f.field == 1 && f.wire == protobuf::WireType::Len)
        && prefix.windows(10).any(|w| w == b"_tf_keras_")
}

pub(crate) static FINGERPRINT_FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::SavedModelFingerprint,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| looks_like_fingerprint(b).then_some(crate::format::Evidence::Heuristic),
    tail: None,
    claimed_by: &[],
    exclusive_names: &[],
    parse: crate::format::Parser::Stream(|stream, _, out| scan_fingerprint_into(stream, out)),
};

pub(crate) static KERAS_METADATA_FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::KerasSavedModelMetadata,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| looks_like_keras_metadata(b).then_some(crate::format::Evidence::Structure),
    tail: None,
    claimed_by: &[],
    exclusive_names: &[],
    parse: crate::format::Parser::Stream(|stream, _, out| scan_keras_metadata_into(stream, out)),
};

/// For tests and fuzzing: both readings of `data`.
pub(crate) fn scan_both(data: &[u8]) -> (Parsed, Parsed) {
    let mut a = Parsed::default();
    scan_fingerprint_into(&mut ByteStream::new(data), &mut a);
    let mut b = Parsed::default();
    scan_keras_metadata_into(&mut ByteStream::new(data), &mut b);
    (a, b)
}
