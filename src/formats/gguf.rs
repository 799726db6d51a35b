//! GGUF (versions 1 to 3): header, metadata and tensor infos, parsed in one forward pass
//! with checked arithmetic. Tensor data is skipped, never read. Chat templates found in
//! the metadata go through the template check.

use std::collections::{BTreeMap, HashSet};

use sha2::{Digest, Sha256};

use crate::facts;
use crate::findings::Finding;
use crate::formats::{display_string, template, Parsed};
use crate::limits::{self, LimitHit};
use crate::rules;
use crate::source::{ByteStream, SkipRead};

const DEFAULT_ALIGNMENT: u64 = 32;
/// ggml's GGML_MAX_DIMS.
const MAX_DIMS: u32 = 4;
/// Longest string kept for a fact (names, licences, URLs).
const MAX_FACT_STRING: usize = 1024;

/// (block size in elements, bytes per block) of every ggml tensor type GGUF files use.
fn ggml_type(t: u32) -> Option<(&'static str, u64, u64)> {
    Some(match t {
        0 => ("F32", 1, 4),
        1 => ("F16", 1, 2),
        2 => ("Q4_0", 32, 18),
        3 => ("Q4_1", 32, 20),
        6 => ("Q5_0", 32, 22),
        7 => ("Q5_1", 32, 24),
        8 => ("Q8_0", 32, 34),
        9 => ("Q8_1", 32, 40),
        10 => ("Q2_K", 256, 84),
        11 => ("Q3_K", 256, 110),
        12 => ("Q4_K", 256, 144),
        13 => ("Q5_K", 256, 176),
        14 => ("Q6_K", 256, 210),
        15 => ("Q8_K", 256, 292),
        16 => ("IQ2_XXS", 256, 66),
        17 => ("IQ2_XS", 256, 74),
        18 => ("IQ3_XXS", 256, 98),
        19 => ("IQ1_S", 256, 50),
        20 => ("IQ4_NL", 32, 18),
        21 => ("IQ3_S", 256, 110),
        22 => ("IQ2_S", 256, 82),
        23 => ("IQ4_XS", 256, 136),
        24 => ("I8", 1, 1),
        25 => ("I16", 1, 2),
        26 => ("I32", 1, 4),
        27 => ("I64", 1, 8),
        28 => ("F64", 1, 8),
        29 => ("IQ1_M", 256, 56),
        30 => ("BF16", 1, 2),
        34 => ("TQ1_0", 256, 54),
        35 => ("TQ2_0", 256, 66),
        39 => ("MXFP4", 32, 17),
        40 => ("NVFP4", 64, 36),
        41 => ("Q1_0", 128, 18),
        _ => return None,
    })
}

/// llama.cpp's `general.file_type` names (LLAMA_FTYPE_*).
fn file_type_name(t: u64) -> Option<&'static str> {
    Some(match t {
        0 => "ALL_F32",
        1 => "MOSTLY_F16",
        2 => "MOSTLY_Q4_0",
        3 => "MOSTLY_Q4_1",
        7 => "MOSTLY_Q8_0",
        8 => "MOSTLY_Q5_0",
        9 => "MOSTLY_Q5_1",
        10 => "MOSTLY_Q2_K",
        11 => "MOSTLY_Q3_K_S",
        12 => "MOSTLY_Q3_K_M",
        13 => "MOSTLY_Q3_K_L",
        14 => "MOSTLY_Q4_K_S",
        15 => "MOSTLY_Q4_K_M",
        16 => "MOSTLY_Q5_K_S",
        17 => "MOSTLY_Q5_K_M",
        18 => "MOSTLY_Q6_K",
        19 => "MOSTLY_IQ2_XXS",
        20 => "MOSTLY_IQ2_XS",
        21 => "MOSTLY_Q2_K_S",
        22 => "MOSTLY_IQ3_XS",
        23 => "MOSTLY_IQ3_XXS",
        24 => "MOSTLY_IQ1_S",
        25 => "MOSTLY_IQ4_NL",
        26 => "MOSTLY_IQ3_S",
        27 => "MOSTLY_IQ3_M",
        28 => "MOSTLY_IQ2_S",
        29 => "MOSTLY_IQ2_M",
        30 => "MOSTLY_IQ4_XS",
        31 => "MOSTLY_IQ1_M",
        32 => "MOSTLY_BF16",
        36 => "MOSTLY_TQ1_0",
        37 => "MOSTLY_TQ2_0",
        38 => "MOSTLY_MXFP4_MOE",
        39 => "MOSTLY_NVFP4",
        40 => "MOSTLY_Q1_0",
        1024 => "GUESSED",
        _ => return None,
    })
}

/// Why the walk stopped early.
enum Stop {
    /// The file ended inside a structure.
    Truncated(&'static str),
    /// A structure cannot be parsed further (unknown type, bad length ...).
    Invalid(String),
    Limit(LimitHit),
}

/// A scalar metadata value kept for facts and checks.
#[derive(Debug, Clone)]
enum Value {
    Int(i128),
    Str(Vec<u8>),
    /// Floats, booleans and arrays are checked but not kept.
    Other,
}

struct Reader<'s, R: SkipRead> {
    stream: &'s mut ByteStream<R>,
    /// Width of counts and string lengths: 4 bytes in GGUF v1, 8 later.
    wide: bool,
}

impl<R: SkipRead> Reader<'_, R> {
    fn bytes<const N: usize>(&mut self, what: &'static str) -> Result<[u8; N], Stop> {
        let b = self.stream.fill(N);
        if b.len() < N {
            return Err(Stop::Truncated(what));
        }
        let out: [u8; N] = b[..N].try_into().expect("N bytes");
        self.stream.consume(N);
        Ok(out)
    }

    fn u32(&mut self, what: &'static str) -> Result<u32, Stop> {
        Ok(u32::from_le_bytes(self.bytes(what)?))
    }

    fn u64(&mut self, what: &'static str) -> Result<u64, Stop> {
        Ok(u64::from_le_bytes(self.bytes(what)?))
    }

    fn count(&mut self, what: &'static str) -> Result<u64, Stop> {
        if self.wide {
            self.u64(what)
        } else {
            self.u32(what).map(u64::from)
        }
    }

    /// A string of at most `keep` bytes is returned; longer ones are skipped (None).
    fn string(&mut self, what: &'static str, keep: u64) -> Result<Option<Vec<u8>>, Stop> {
        let len = self.count(what)?;
        if len > limits::MAX_GGUF_STRING {
            return Err(Stop::Limit(LimitHit::GgufString));
        }
        if len <= keep {
            let v = self.stream.read_bytes(len as usize);
            if (v.len() as u64) < len {
                return Err(Stop::Truncated(what));
            }
            Ok(Some(v))
        } else {
            if self.stream.skip(len) < len {
                return Err(Stop::Truncated(what));
            }
            Ok(None)
        }
    }

    /// Reads one value of `ty`. Arrays are walked with an explicit stack, not recursion.
    fn value(&mut self, ty: u32, keep: u64) -> Result<Value, Stop> {
        Ok(match ty {
            0 => Value::Int(self.bytes::<1>("u8 value")?[0].into()),
            1 => Value::Int((self.bytes::<1>("i8 value")?[0] as i8).into()),
            2 => Value::Int(u16::from_le_bytes(self.bytes("u16 value")?).into()),
            3 => Value::Int(i16::from_le_bytes(self.bytes("i16 value")?).into()),
            4 => Value::Int(self.u32("u32 value")?.into()),
            5 => Value::Int(i32::from_le_bytes(self.bytes("i32 value")?).into()),
            6 => {
                self.bytes::<4>("f32 value")?;
                Value::Other
            }
            7 => match self.bytes::<1>("bool value")?[0] {
                0 | 1 => Value::Other,
                other => return Err(Stop::Invalid(format!("bool value {other} is not 0 or 1"))),
            },
            8 => match self.string("string value", keep)? {
                Some(s) => Value::Str(s),
                None => Value::Str(Vec::new()),
            },
            9 => {
                self.array()?;
                Value::Other
            }
            10 => Value::Int(self.u64("u64 value")?.into()),
            11 => Value::Int(i64::from_le_bytes(self.bytes("i64 value")?).into()),
            12 => {
                self.bytes::<8>("f64 value")?;
                Value::Other
            }
            other => return Err(Stop::Invalid(format!("unknown value type {other}"))),
        })
    }

    /// Walks an array and the arrays nested in it.
    fn array(&mut self) -> Result<(), Stop> {
        // (element type, elements left)
        let mut stack: Vec<(u32, u64)> = Vec::new();
        let ty = self.u32("array type")?;
        let len = self.count("array length")?;
        if len > limits::MAX_GGUF_ARRAY_ELEMENTS {
            return Err(Stop::Limit(LimitHit::GgufArrayElements));
        }
        stack.push((ty, len));
        while let Some(top) = stack.last_mut() {
            if top.1 == 0 {
                stack.pop();
                continue;
            }
            top.1 -= 1;
            let ty = top.0;
            if ty == 9 {
                if stack.len() >= limits::MAX_GGUF_ARRAY_DEPTH {
                    return Err(Stop::Limit(LimitHit::GgufArrayDepth));
                }
                let inner = self.u32("array type")?;
                let n = self.count("array length")?;
                if n > limits::MAX_GGUF_ARRAY_ELEMENTS {
                    return Err(Stop::Limit(LimitHit::GgufArrayElements));
                }
                stack.push((inner, n));
                continue;
            }
            // Fixed-size elements are skipped in one go.
            let width = match ty {
                0 | 1 | 7 => Some(1u64),
                2 | 3 => Some(2),
                4..=6 => Some(4),
                10..=12 => Some(8),
                _ => None,
            };
            match width {
                Some(w) if ty != 7 => {
                    let n = top.1 + 1;
                    top.1 = 0;
                    let bytes = n
                        .checked_mul(w)
                        .ok_or(Stop::Limit(LimitHit::GgufArrayElements))?;
                    if self.stream.skip(bytes) < bytes {
                        return Err(Stop::Truncated("array data"));
                    }
                }
                _ => {
                    self.value(ty, 0)?;
                }
            }
        }
        Ok(())
    }
}

struct TensorInfo {
    name: String,
    offset: u64,
    nbytes: u64,
}

/// Keys whose string values are chat templates.
fn is_template_key(key: &str) -> bool {
    key == "tokenizer.chat_template" || key.starts_with("tokenizer.chat_template.")
}

/// Keys kept as facts, with the fact name they get.
fn fact_name(key: &str) -> Option<&'static str> {
    Some(match key {
        "general.architecture" => facts::ARCHITECTURE,
        "general.name" => facts::NAME,
        "general.file_type" => "file_type",
        "general.license" => facts::LICENSE,
        "general.license.name" => facts::LICENSE_NAME,
        "general.author" => facts::AUTHOR,
        "general.organization" => "organization",
        "general.version" => "version",
        "general.basename" => "basename",
        "general.size_label" => "size_label",
        "general.url" => "url",
        "general.source.url" => "source_url",
        "general.source.huggingface.repository" => "source_repository",
        "general.quantization_version" => "quantization_version",
        _ => return None,
    })
}

/// Most `general.base_model.{i}.*` entries kept.
const MAX_BASE_MODELS: u32 = 16;

/// `general.base_model.{i}.{field}` (llama.cpp's convert script writes one entry per base
/// model the Hub card names): the index and the field, for the fields the BOM reads.
fn base_model_key(key: &str) -> Option<(u32, &'static str)> {
    let rest = key.strip_prefix("general.base_model.")?;
    let (index, field) = rest.split_once('.')?;
    if index.len() > 2 || !index.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let index: u32 = index.parse().ok()?;
    let field = match field {
        "name" => "name",
        "organization" => "organization",
        "version" => "version",
        "repo_url" => "repo_url",
        "url" => "url",
        _ => return None,
    };
    (index < MAX_BASE_MODELS).then_some((index, field))
}

pub(crate) fn scan_gguf<R: SkipRead>(stream: &mut ByteStream<R>) -> Parsed {
    let mut p = Parsed::default();
    scan_gguf_into(stream, &mut p);
    p
}

fn scan_gguf_into<R: SkipRead>(stream: &mut ByteStream<R>, p: &mut Parsed) {
    if let Err(stop) = walk(stream, p) {
        match stop {
            // A cut-off download is not a crafted file: not checked, not malformed.
            Stop::Truncated(what) => p.incomplete(format!(
                "truncated GGUF: the file ends inside the {what} at byte {}",
                stream.position()
            )),
            Stop::Invalid(why) => {
                p.push(Finding::new(&rules::GGUF_MALFORMED, why.clone()).offset(stream.position()));
                p.incomplete(format!("GGUF structure not understood: {why}"));
            }
            Stop::Limit(hit) => p.limit(hit),
        }
    }
}

fn walk<R: SkipRead>(stream: &mut ByteStream<R>, p: &mut Parsed) -> Result<(), Stop> {
    let mut r = Reader { stream, wide: true };
    let magic = r.bytes::<4>("magic")?;
    if &magic != b"GGUF" {
        return Err(Stop::Invalid("no GGUF magic".into()));
    }
    let version = r.u32("version")?;
    if !(1..=3).contains(&version) {
        return Err(Stop::Invalid(format!("unsupported GGUF version {version}")));
    }
    p.fact("gguf_version", version);
    r.wide = version >= 2;
    let tensor_count = r.count("tensor count")?;
    let kv_count = r.count("metadata count")?;
    if tensor_count > limits::MAX_GGUF_ENTRIES || kv_count > limits::MAX_GGUF_ENTRIES {
        return Err(Stop::Limit(LimitHit::GgufEntries));
    }
    // Digests, not the names: memory stays bounded by the entry count, whatever the
    // names' lengths.
    let mut keys: HashSet<[u8; 32]> = HashSet::new();
    let mut alignment = DEFAULT_ALIGNMENT;
    let mut context_length = None;
    let mut base_models: BTreeMap<u32, BTreeMap<&'static str, String>> = BTreeMap::new();
    for _ in 0..kv_count {
        let key_offset = r.stream.position();
        let key = r
            .string("metadata key", limits::MAX_GGUF_STRING)?
            .unwrap_or_default();
        let key_text = match std::str::from_utf8(&key) {
            Ok(k) => k.to_string(),
            Err(_) => {
                p.push(
                    Finding::new(&rules::GGUF_MALFORMED, "a metadata key is not UTF-8")
                        .offset(key_offset),
                );
                String::from_utf8_lossy(&key).into_owned()
            }
        };
        if !keys.insert(Sha256::digest(&key).into()) {
            p.push(
                Finding::new(
                    &rules::GGUF_DUPLICATE,
                    format!("the metadata key {key_text:?} appears more than once"),
                )
                .offset(key_offset),
            );
        }
        let ty = r.u32("metadata value type")?;
        let keep = if is_template_key(&key_text) {
            limits::MAX_GGUF_STRING
        } else if fact_name(&key_text).is_some() || base_model_key(&key_text).is_some() {
            MAX_FACT_STRING as u64
        } else {
            0
        };
        let value_offset = r.stream.position();
        let value = r.value(ty, keep)?;
        if key_text == "general.alignment" {
            match value {
                Value::Int(a) if ty == 4 && a > 0 && (a as u64).is_power_of_two() => {
                    alignment = a as u64
                }
                _ => {
                    p.push(
                        Finding::new(
                            &rules::GGUF_MALFORMED,
                            "general.alignment is not a power-of-two u32",
                        )
                        .offset(value_offset),
                    );
                    return Err(Stop::Invalid("unusable general.alignment".into()));
                }
            }
        }
        if is_template_key(&key_text) {
            if let Value::Str(text) = &value {
                template::check(text, &key_text, Some(value_offset), p);
                let fact = if key_text == "tokenizer.chat_template" {
                    crate::facts::CHAT_TEMPLATE_SHA256.to_string()
                } else {
                    format!("{key_text}.sha256")
                };
                p.fact(&fact, crate::source::hex(&Sha256::digest(text)));
            }
        }
        if key_text.ends_with(".context_length") {
            if let Value::Int(n) = value {
                context_length = Some(n);
            }
        }
        if let (Some((index, field)), Value::Str(text)) = (base_model_key(&key_text), &value) {
            if !text.is_empty() {
                base_models
                    .entry(index)
                    .or_default()
                    .insert(field, String::from_utf8_lossy(text).into_owned());
            }
        }
        if let Some(fact) = fact_name(&key_text) {
            match (&value, fact) {
                (Value::Int(n), "file_type") => {
                    p.fact("file_type", n);
                    if let Some(name) = u64::try_from(*n).ok().and_then(file_type_name) {
                        p.fact(crate::facts::QUANTIZATION, name);
                    }
                }
                (Value::Int(n), _) => p.fact(fact, n),
                (Value::Str(s), _) if !s.is_empty() => {
                    p.fact(fact, String::from_utf8_lossy(s));
                }
                _ => {}
            }
        }
    }
    if let Some(n) = context_length {
        p.fact(crate::facts::CONTEXT_LENGTH, n);
    }
    if !base_models.is_empty() {
        p.fact(
            crate::facts::BASE_MODELS,
            base_models.into_values().collect::<Vec<_>>(),
        );
    }

    // Half a digest per name is plenty to tell names apart, and halves the set.
    let mut names: HashSet<[u8; 16]> = HashSet::new();
    let mut name_bytes = 0usize;
    let mut tensors = Vec::new();
    let mut parameters: u64 = 0;
    let mut types: BTreeMap<&'static str, u64> = BTreeMap::new();
    for _ in 0..tensor_count {
        let at = r.stream.position();
        let name = r
            .string("tensor name", limits::MAX_GGUF_STRING)?
            .unwrap_or_default();
        let name_text = display_string(&name, MAX_FACT_STRING);
        if std::str::from_utf8(&name).is_err() {
            p.push(Finding::new(&rules::GGUF_MALFORMED, "a tensor name is not UTF-8").offset(at));
        }
        if tensors.len() >= limits::MAX_GGUF_TENSORS {
            return Err(Stop::Limit(LimitHit::GgufTensors));
        }
        name_bytes += name_text.len();
        if name_bytes as u64 > limits::MAX_GGUF_TENSOR_NAME_BYTES {
            return Err(Stop::Limit(LimitHit::GgufTensorNameBytes));
        }
        let digest: [u8; 32] = Sha256::digest(&name).into();
        let mut short = [0u8; 16];
        short.copy_from_slice(&digest[..16]);
        if !names.insert(short) {
            p.push(
                Finding::new(
                    &rules::GGUF_DUPLICATE,
                    format!("the tensor name {name_text:?} appears more than once"),
                )
                .offset(at),
            );
        }
        let n_dims = r.u32("tensor dimension count")?;
        if n_dims > MAX_DIMS {
            return Err(Stop::Invalid(format!(
                "tensor {name_text:?} has {n_dims} dimensions (ggml allows {MAX_DIMS})"
            )));
        }
        let mut numel: Option<u64> = Some(1);
        let mut first_dim = 1;
        for i in 0..n_dims {
            let d = if r.wide {
                r.u64("tensor dimension")?
            } else {
                r.u32("tensor dimension").map(u64::from)?
            };
            if i == 0 {
                first_dim = d;
            }
            // ggml keeps dimensions in int64_t.
            if d > i64::MAX as u64 {
                numel = None;
            }
            numel = numel.and_then(|n| n.checked_mul(d));
        }
        let ty = r.u32("tensor type")?;
        let offset = r.u64("tensor offset")?;
        let Some((type_name, block, type_size)) = ggml_type(ty) else {
            p.push(
                Finding::new(
                    &rules::GGUF_MALFORMED,
                    format!("tensor {name_text:?} has the unknown ggml type {ty}"),
                )
                .offset(at),
            );
            continue;
        };
        *types.entry(type_name).or_default() += 1;
        let nbytes = numel
            .filter(|n| *n <= i64::MAX as u64)
            .filter(|_| first_dim % block == 0)
            .and_then(|n| (n / block).checked_mul(type_size));
        let Some(nbytes) = nbytes else {
            p.push(
                Finding::new(
                    &rules::GGUF_MALFORMED,
                    format!(
                        "tensor {name_text:?}: its size overflows or its first dimension is not a multiple of the {type_name} block ({block})"
                    ),
                )
                .offset(at),
            );
            continue;
        };
        parameters = parameters.saturating_add(numel.unwrap_or(0));
        if offset % alignment != 0 {
            p.push(
                Finding::new(
                    &rules::GGUF_MALFORMED,
                    format!(
                        "tensor {name_text:?} starts at data offset {offset}, not a multiple of the alignment {alignment}"
                    ),
                )
                .offset(at),
            );
        }
        tensors.push(TensorInfo {
            name: name_text,
            offset,
            nbytes,
        });
    }
    let header_end = r.stream.position();
    let data_start = header_end.div_ceil(alignment).saturating_mul(alignment);
    let rest = r.stream.skip_to_end();
    if r.stream.io_error().is_some() {
        return Ok(());
    }
    let file_end = header_end + rest;
    if !tensors.is_empty() && file_end < data_start {
        return Err(Stop::Truncated("padding before the tensor data"));
    }
    let data_len = file_end.saturating_sub(data_start);
    tensors.sort_by_key(|t| (t.offset, t.nbytes));
    let mut cursor = 0u64;
    let mut previous: Option<&str> = None;
    for t in &tensors {
        let end = t.offset.checked_add(t.nbytes);
        if end.is_none_or(|e| e > data_len) {
            p.add(
                &rules::GGUF_MALFORMED,
                format!(
                    "tensor {:?} ({} bytes at data offset {}) ends past the {data_len}-byte data section",
                    t.name, t.nbytes, t.offset
                ),
            );
        }
        if t.offset < cursor {
            p.add(
                &rules::GGUF_MALFORMED,
                format!(
                    "tensor {:?} overlaps tensor {:?}",
                    t.name,
                    previous.unwrap_or_default()
                ),
            );
        }
        cursor = cursor.max(end.unwrap_or(u64::MAX));
        previous = Some(&t.name);
    }
    p.fact("tensor_count", tensors.len());
    p.fact("metadata_count", kv_count);
    p.fact(crate::facts::PARAMETER_COUNT, parameters);
    p.fact("tensor_types", types);
    p.fact("alignment", alignment);
    Ok(())
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Gguf,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| {
        b.starts_with(b"GGUF")
            .then_some(crate::format::Evidence::Magic)
    },
    tail: None,
    claimed_by: &["gguf", "ggml"],
    exclusive_names: &["gguf"],
    parse: crate::format::Parser::Stream(|stream, _, out| scan_gguf_into(stream, out)),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::NoSkip;

    /// A little GGUF writer for tests (v3 unless `version` says otherwise).
    struct W {
        v: Vec<u8>,
        wide: bool,
    }

    impl W {
        fn new(version: u32, tensors: u64, kvs: u64) -> W {
            let mut w = W {
                v: b"GGUF".to_vec(),
                wide: version >= 2,
            };
            w.v.extend(version.to_le_bytes());
            w.count(tensors);
            w.count(kvs);
            w
        }
        fn count(&mut self, n: u64) {
            if self.wide {
                self.v.extend(n.to_le_bytes());
            } else {
                self.v.extend((n as u32).to_le_bytes());
            }
        }
        fn str(&mut self, s: &[u8]) {
            self.count(s.len() as u64);
            self.v.extend(s);
        }
        fn kv_str(&mut self, k: &str, s: &str) {
            self.str(k.as_bytes());
            self.v.extend(8u32.to_le_bytes());
            self.str(s.as_bytes());
        }
        fn kv_u32(&mut self, k: &str, n: u32) {
            self.str(k.as_bytes());
            self.v.extend(4u32.to_le_bytes());
            self.v.extend(n.to_le_bytes());
        }
        fn tensor(&mut self, name: &str, dims: &[u64], ty: u32, offset: u64) {
            self.str(name.as_bytes());
            self.v.extend((dims.len() as u32).to_le_bytes());
            for d in dims {
                if self.wide {
                    self.v.extend(d.to_le_bytes());
                } else {
                    self.v.extend((*d as u32).to_le_bytes());
                }
            }
            self.v.extend(ty.to_le_bytes());
            self.v.extend(offset.to_le_bytes());
        }
        fn data(mut self, n: usize) -> Vec<u8> {
            while !self.v.len().is_multiple_of(32) {
                self.v.push(0);
            }
            self.v.extend(std::iter::repeat_n(0u8, n));
            self.v
        }
    }

    fn parse(bytes: &[u8]) -> (Vec<&'static str>, Parsed) {
        let mut s = ByteStream::new(NoSkip(bytes));
        let p = scan_gguf(&mut s);
        (p.findings.iter().map(|f| f.rule).collect(), p)
    }

    fn valid(version: u32) -> Vec<u8> {
        let mut w = W::new(version, 2, 3);
        w.kv_str("general.architecture", "llama");
        w.kv_u32("general.file_type", 1);
        w.kv_str(
            "tokenizer.chat_template",
            "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}",
        );
        w.tensor("a", &[4, 2], 0, 0);
        w.tensor("b", &[32], 1, 32);
        w.data(96)
    }

    #[test]
    fn valid_files_of_every_version_are_quiet() {
        for version in 1..=3 {
            let (rules, p) = parse(&valid(version));
            assert!(rules.is_empty(), "v{version}: {rules:?}");
            assert!(p.incomplete.is_none());
            assert_eq!(p.facts["architecture"], "llama");
            assert_eq!(p.facts["quantization"], "MOSTLY_F16");
            assert_eq!(p.facts["tensor_count"], 2);
            assert_eq!(p.facts["parameter_count"], 40);
            assert!(p.facts.contains_key("chat_template_sha256"));
        }
    }

    #[test]
    fn structural_errors_fire() {
        let mut w = W::new(3, 1, 0);
        w.tensor("a", &[1, 1, 1, 1, 1], 0, 0);
        assert!(parse(&w.data(4)).0.contains(&"MV701"));
        let mut w = W::new(3, 1, 0);
        w.tensor("a", &[4], 0, 64);
        assert!(parse(&w.data(16)).0.contains(&"MV701"), "past the end");
        let mut w = W::new(3, 1, 0);
        w.tensor("a", &[4], 0, 4);
        assert!(parse(&w.data(64)).0.contains(&"MV701"), "misaligned");
        let mut w = W::new(3, 2, 0);
        w.tensor("a", &[16], 0, 0);
        w.tensor("b", &[16], 0, 32);
        assert!(parse(&w.data(96)).0.contains(&"MV701"), "overlap");
        let mut w = W::new(3, 1, 0);
        w.tensor("a", &[4], 77, 0);
        assert!(parse(&w.data(16)).0.contains(&"MV701"), "unknown type");
        let mut w = W::new(3, 1, 0);
        w.tensor("a", &[u64::MAX / 2, 4], 0, 0);
        assert!(parse(&w.data(16)).0.contains(&"MV701"), "overflow");
        let mut w = W::new(3, 0, 1);
        w.kv_u32("general.alignment", 48);
        assert!(parse(&w.data(0)).0.contains(&"MV701"), "alignment");
        let mut w = W::new(3, 0, 1);
        w.str(b"k");
        w.v.extend(99u32.to_le_bytes());
        assert!(parse(&w.data(0)).0.contains(&"MV701"), "value type");
    }

    #[test]
    fn duplicates_fire_mv702() {
        let mut w = W::new(3, 0, 2);
        w.kv_str("general.name", "x");
        w.kv_str("general.name", "y");
        assert!(parse(&w.data(0)).0.contains(&"MV702"));
        let mut w = W::new(3, 2, 0);
        w.tensor("a", &[8], 0, 0);
        w.tensor("a", &[8], 0, 32);
        assert!(parse(&w.data(64)).0.contains(&"MV702"));
    }

    #[test]
    fn template_injection_in_metadata_fires() {
        let mut w = W::new(3, 0, 1);
        w.kv_str(
            "tokenizer.chat_template",
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        );
        assert!(parse(&w.data(0)).0.contains(&"MV703"));
    }

    #[test]
    fn limits_and_nesting_end_incomplete() {
        let mut w = W::new(3, 0, 1);
        w.str(b"k");
        w.v.extend(8u32.to_le_bytes());
        w.v.extend((limits::MAX_GGUF_STRING + 1).to_le_bytes());
        let (rules, p) = parse(&w.v);
        assert!(rules.contains(&"MV502") && p.incomplete.is_some());
        // Arrays nested past the limit.
        let mut w = W::new(3, 0, 1);
        w.str(b"k");
        w.v.extend(9u32.to_le_bytes());
        for _ in 0..limits::MAX_GGUF_ARRAY_DEPTH + 2 {
            w.v.extend(9u32.to_le_bytes());
            w.v.extend(1u64.to_le_bytes());
        }
        let (rules, p) = parse(&w.v);
        assert!(
            rules.contains(&"MV502") && p.incomplete.is_some(),
            "{rules:?}"
        );
        let mut w = W::new(3, u64::MAX, 0);
        w.v.truncate(w.v.len());
        let (rules, _) = parse(&w.v);
        assert!(rules.contains(&"MV502"));
    }

    #[test]
    fn every_truncation_is_incomplete_and_nothing_panics() {
        let full = valid(3);
        let header_end = full.len() - 96;
        for cut in 0..header_end {
            let (_, p) = parse(&full[..cut]);
            assert!(p.incomplete.is_some(), "cut at {cut}");
        }
        let mut state = 0x9e37_79b9_u32;
        for _ in 0..2000 {
            let mut b = full.clone();
            for _ in 0..4 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let i = 4 + state as usize % (header_end - 4);
                b[i] = (state >> 8) as u8;
            }
            let _ = parse(&b);
        }
    }
}
