//! TensorFlow Lite / LiteRT models: a FlatBuffer whose file identifier is `TFL3`, read
//! from TensorFlow's `schema.fbs` (the `Model`, `OperatorCode`, `SubGraph`, `Operator`,
//! `Buffer` and `Metadata` tables).
//!
//! A TFLite file holds no code, but an operator is run by whatever kernel the loading
//! interpreter has for it. Built-in operators are TFLite's own. A `CUSTOM` operator needs
//! a kernel the application registers (native code the file only names), except the few
//! the standard resolver registers itself. A custom operator named `Flex<Op>` runs
//! TensorFlow's own kernel for `<Op>` through the Flex delegate (`SELECT_TF_OPS`), so it
//! is judged as that TensorFlow op is in a SavedModel: `FlexPyFunc` calls back into
//! Python, `FlexReadFile` reads a file. Only operator codes that some operator uses are
//! findings; unused ones are listed.
//!
//! Every offset is bounds-checked against the file (`flatbuffer.rs`), and the numbers of
//! operator codes, operators and buffers read are bounded by named limits.

use std::collections::BTreeMap;

use super::flatbuffer::{malformed, truncated, Reader, Result, Stop};
use crate::findings::Finding;
use crate::format::Parsed;
use crate::formats::savedmodel::{is_io_op, PYTHON_OPS};
use crate::formats::tf_ops;
use crate::limits::{self, LimitHit};
use crate::rules;
use crate::source::ReadAt;

/// The FlatBuffer file identifier TFLite writes at bytes 4..8.
const IDENTIFIER: &[u8; 4] = b"TFL3";
/// `BuiltinOperator.CUSTOM`.
const CUSTOM: i32 = 32;
/// Custom operators TFLite's `BuiltinOpResolver` registers itself
/// (`tensorflow/lite/core/kernels/register.cc`).
const RESOLVER_CUSTOM_OPS: &[&str] = &[
    "AudioSpectrogram",
    "Mfcc",
    "NumericVerify",
    "TFLite_Detection_PostProcess",
];
/// Most names listed in one fact.
const MAX_LISTED: usize = 256;

/// One operator code and how often operators use it.
struct Code {
    builtin: i32,
    custom: Option<String>,
    uses: u64,
}

/// The registry's entry point.
pub(crate) fn check_tflite_into(src: &dyn ReadAt, out: &mut Parsed) {
    let mut codes = Vec::new();
    let result = read_model(src, out, &mut codes);
    // Operator codes read before an error are still judged.
    judge_codes(&codes, out);
    match result {
        Ok(()) => {}
        Err(Stop::Limit(hit)) => out.limit(hit),
        Err(Stop::Malformed(m)) => {
            out.add(
                &rules::TFLITE_MALFORMED,
                format!("malformed TFLite model: {m}"),
            );
            out.incomplete(format!("malformed TFLite model: {m}"));
        }
        // Not a finding: a cut download reads the same; but nothing past the cut was checked.
        Err(Stop::Truncated(m)) => out.incomplete(format!("TFLite model cut short: {m}")),
    }
}

fn read_model(src: &dyn ReadAt, out: &mut Parsed, codes: &mut Vec<Code>) -> Result<()> {
    let mut r = Reader::new(src);
    if r.bytes(4, 4, "file identifier")? != IDENTIFIER {
        // Unreachable through the registry, whose probe checked it.
        return malformed("no TFL3 file identifier");
    }
    let root = r.follow(0, "root table offset")?;
    let model = r.table(root, "Model table")?;
    if let Some(v) = r.scalar(&model, 0, 4, "Model.version")? {
        out.fact("schema_version", v);
    }
    if let Some(d) = r.string(&model, 3, "Model.description")? {
        out.fact("description", d);
    }

    if let Some((data, count)) = r.vector(&model, 1, 4, "Model.operator_codes")? {
        if count > limits::MAX_TFLITE_OPERATOR_CODES as u64 {
            return Err(Stop::Limit(LimitHit::TfliteOperatorCodes));
        }
        for k in 0..count {
            let t = r.element(data, k, "OperatorCode")?;
            let deprecated = r.scalar(&t, 0, 1, "OperatorCode.deprecated_builtin_code")?;
            let builtin = r.scalar(&t, 3, 4, "OperatorCode.builtin_code")?;
            // TFLite's GetBuiltinCode: the larger of the two fields (older files only
            // have the one-byte field).
            let deprecated = i32::from(deprecated.unwrap_or(0) as u8 as i8);
            let builtin = (builtin.unwrap_or(0) as u32 as i32).max(deprecated);
            let custom = r.string(&t, 1, "OperatorCode.custom_code")?;
            codes.push(Code {
                builtin,
                custom,
                uses: 0,
            });
        }
    }
    out.fact("operator_codes", codes.len());

    let mut operators: u64 = 0;
    if let Some((data, count)) = r.vector(&model, 2, 4, "Model.subgraphs")? {
        out.fact("subgraphs", count);
        for k in 0..count {
            let subgraph = r.element(data, k, "SubGraph")?;
            let Some((ops, n)) = r.vector(&subgraph, 3, 4, "SubGraph.operators")? else {
                continue;
            };
            for j in 0..n {
                operators += 1;
                if operators > limits::MAX_TFLITE_OPERATORS as u64 {
                    return Err(Stop::Limit(LimitHit::TfliteOperators));
                }
                let op = r.element(ops, j, "Operator")?;
                let index = r.scalar(&op, 0, 4, "Operator.opcode_index")?.unwrap_or(0);
                match codes.get_mut(index as usize) {
                    Some(code) => code.uses += 1,
                    None => {
                        return malformed(format!(
                            "operator {j} of subgraph {k} uses operator code {index} of {}",
                            codes.len()
                        ))
                    }
                }
            }
        }
    }
    out.fact("operators", operators);

    if let Some((data, count)) = r.vector(&model, 4, 4, "Model.buffers")? {
        if count > limits::MAX_TFLITE_BUFFERS as u64 {
            return Err(Stop::Limit(LimitHit::TfliteBuffers));
        }
        let mut bytes: u64 = 0;
        for k in 0..count {
            let b = r.element(data, k, "Buffer")?;
            if let Some((_, n)) = r.vector(&b, 0, 1, "Buffer.data")? {
                bytes = bytes.saturating_add(n);
            }
            let offset = r.scalar(&b, 1, 8, "Buffer.offset")?.unwrap_or(0);
            let size = r.scalar(&b, 2, 8, "Buffer.size")?.unwrap_or(0);
            // Models over 2 GB keep tensor data after the FlatBuffer, at an offset from
            // the file's start; 0 and 1 mean "not used".
            if offset > 1 {
                if offset.checked_add(size).is_none_or(|end| end > r.len) {
                    return truncated(format!(
                        "buffer {k} at offset {offset} ({size} bytes) lies outside the file ({} bytes)",
                        r.len
                    ));
                }
                bytes = bytes.saturating_add(size);
            }
        }
        out.fact("buffers", count);
        out.fact("buffer_bytes", bytes);
    }

    if let Some((data, count)) = r.vector(&model, 6, 4, "Model.metadata")? {
        let mut names = Vec::new();
        for k in 0..count.min(MAX_LISTED as u64) {
            let m = r.element(data, k, "Metadata")?;
            if let Some(name) = r.string(&m, 0, "Metadata.name")? {
                names.push(name);
            }
        }
        out.fact("metadata", names);
    }
    Ok(())
}

/// Findings for the operator codes that operators use; the rest are listed.
fn judge_codes(codes: &[Code], out: &mut Parsed) {
    let mut custom_ops: BTreeMap<&str, u64> = BTreeMap::new();
    let mut unused: Vec<&str> = Vec::new();
    for code in codes.iter().filter(|c| c.builtin == CUSTOM) {
        let name = code.custom.as_deref().unwrap_or("");
        if code.uses == 0 {
            if unused.len() < MAX_LISTED {
                unused.push(name);
            }
            continue;
        }
        if custom_ops.len() < MAX_LISTED {
            custom_ops.insert(name, code.uses);
        }
        let uses = code.uses;
        if let Some(tf_op) = name.strip_prefix("Flex") {
            let (rule, what) = if PYTHON_OPS.contains(&tf_op) {
                (&rules::TF_PYTHON_OP, "calls back into Python")
            } else if is_io_op(tf_op) {
                (
                    &rules::TF_IO_OP,
                    "reads or writes files or reaches the network",
                )
            } else if !tf_ops::is_standard_op(tf_op) {
                (&rules::TF_NONSTANDARD_OP, "is not a standard TensorFlow op")
            } else {
                (
                    &rules::TFLITE_FLEX_OP,
                    "runs TensorFlow's own kernel through the Flex delegate",
                )
            };
            out.push(Finding::new(
                rule,
                format!(
                    "{uses} operator(s) use the Flex op {name}: the TensorFlow op {tf_op} {what}"
                ),
            ));
        } else if !RESOLVER_CUSTOM_OPS.contains(&name) {
            out.push(Finding::new(
                &rules::TFLITE_CUSTOM_OP,
                format!(
                    "{uses} operator(s) use the custom op {name:?}: the interpreter runs \
                     whatever native kernel the application registers under that name"
                ),
            ));
        }
    }
    if !custom_ops.is_empty() {
        out.fact("custom_ops", custom_ops);
    }
    if !unused.is_empty() {
        out.fact("unused_custom_op_codes", unused);
    }
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Tflite,
    role: crate::format::Role::Model,
    access: crate::format::Access::RandomAccess,
    head: |b, _| (b.len() >= 8 && &b[4..8] == IDENTIFIER).then_some(crate::format::Evidence::Magic),
    tail: None,
    claimed_by: &["tflite", "lite"],
    exclusive_names: &["tflite"],
    parse: crate::format::Parser::RandomAccess(check_tflite_into),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::findings::Severity;
    use std::path::PathBuf;
    use std::time::{Duration, Instant};

    fn fixture(name: &str) -> Vec<u8> {
        let dir =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/formats/tflite");
        std::fs::read(dir.join(name)).unwrap()
    }

    fn check(data: &[u8]) -> Parsed {
        let mut p = Parsed::default();
        check_tflite_into(&data.to_vec(), &mut p);
        p
    }

    fn rules_of(p: &Parsed) -> Vec<(&'static str, Severity)> {
        p.findings.iter().map(|f| (f.rule, f.severity)).collect()
    }

    #[test]
    fn models_written_by_the_schema_builders() {
        let p = check(&fixture("add_relu.tflite"));
        assert!(p.findings.is_empty() && p.incomplete.is_none(), "{p:?}");
        assert_eq!(p.facts["operators"], 2);
        assert_eq!(p.facts["schema_version"], 3);
        assert_eq!(
            p.facts["metadata"],
            serde_json::json!(["min_runtime_version"])
        );
        let p = check(&fixture("unused_custom_code.tflite"));
        assert!(p.findings.is_empty(), "{p:?}");
        assert_eq!(
            p.facts["unused_custom_op_codes"],
            serde_json::json!(["MyCustomOp"])
        );
        assert!(check(&fixture("detection_postprocess.tflite"))
            .findings
            .is_empty());
    }

    #[test]
    fn custom_and_flex_ops_by_what_they_run() {
        for (name, rule, severity) in [
            ("custom_op.tflite", "MV921", Severity::Medium),
            ("flex_addv2.tflite", "MV922", Severity::Low),
            ("flex_readfile.tflite", "MV912", Severity::High),
            ("flex_pyfunc.tflite", "MV911", Severity::Critical),
        ] {
            let p = check(&fixture(name));
            assert_eq!(rules_of(&p), [(rule, severity)], "{name}");
            assert!(p.incomplete.is_none(), "{name}");
        }
    }

    #[test]
    fn cut_and_flipped_models_never_panic() {
        let start = Instant::now();
        for name in ["add_relu.tflite", "flex_pyfunc.tflite", "custom_op.tflite"] {
            let data = fixture(name);
            for end in 0..data.len() {
                let p = check(&data[..end]);
                // A cut model is never complete and clean.
                assert!(
                    p.incomplete.is_some() || !p.findings.is_empty(),
                    "{name} at {end}"
                );
            }
            let mut copy = data.clone();
            for pos in 0..data.len() {
                for mask in [0xFF, 0x01, 0x80] {
                    copy[pos] ^= mask;
                    let _ = check(&copy);
                    copy[pos] ^= mask;
                }
            }
        }
        assert!(start.elapsed() < Duration::from_secs(20));
    }

    #[test]
    fn a_vector_longer_than_the_file_is_incomplete_before_it_is_read() {
        let mut data = fixture("add_relu.tflite");
        // Model.operator_codes: point its length word at u32::MAX.
        let mut r = Reader::new(&data);
        let root = r.follow(0, "root").unwrap();
        let model = r.table(root, "Model").unwrap();
        let at = r.field(&model, 1).unwrap();
        let vec = r.follow(at, "codes").unwrap() as usize;
        data[vec..vec + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        let p = check(&data);
        assert!(p.findings.is_empty(), "{p:?}");
        assert!(p.incomplete.unwrap().contains("cut short"));
        let p = check(&fixture("opcode_index_out_of_range.tflite"));
        assert_eq!(rules_of(&p), [("MV923", Severity::Medium)]);
        assert!(p.incomplete.is_some());
    }
}
