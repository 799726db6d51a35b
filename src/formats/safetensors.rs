//! safetensors: an 8-byte little-endian header length, a JSON header, then one data buffer.
//! Only the header is parsed; the buffer is skipped (or hashed) without being examined,
//! so the parse takes the same time for a kilobyte and a multi-gigabyte file.
//!
//! Besides what the safetensors library rejects (MV601), the header is held to what the
//! format forbids but the library accepts (MV602): whitespace before `{`, duplicate
//! tensor names (the library keeps the last one), unknown fields and NUL in names.

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Error as _, MapAccess, Visitor};

use crate::findings::Finding;
use crate::formats::{quantized_tensors, Parsed};
use crate::limits::{self, LimitHit};
use crate::rules;
use crate::source::{ByteStream, SkipRead};

/// Most metadata entries copied into the report's facts.
const MAX_METADATA_FACTS: usize = 64;
/// Longest metadata value copied into the report's facts.
const MAX_METADATA_VALUE_FACT: usize = 1024;

/// Bits per element of every dtype the format defines.
fn dtype_bits(dtype: &str) -> Option<u64> {
    Some(match dtype {
        "F4" => 4,
        "F6_E2M3" | "F6_E3M2" => 6,
        "BOOL" | "U8" | "I8" | "F8_E5M2" | "F8_E4M3" | "F8_E8M0" => 8,
        "I16" | "U16" | "F16" | "BF16" => 16,
        "I32" | "U32" | "F32" => 32,
        "I64" | "U64" | "F64" | "C64" => 64,
        _ => return None,
    })
}

/// The dtypes a quantized layout uses for packed words, bytes and state, as static
/// strings (the kept map must not hold a copy per tensor).
fn quantized_kind(dtype: &str) -> Option<&'static str> {
    Some(match dtype {
        "I32" => "I32",
        "U8" => "U8",
        "I8" => "I8",
        "F16" => "F16",
        "BF16" => "BF16",
        "F32" => "F32",
        _ => return None,
    })
}

struct Tensor {
    name: Box<str>,
    begin: u64,
    end: u64,
}

/// The names of the tensors a header declares, for cross-checking shard indexes.
pub(crate) type TensorNames = Vec<String>;

/// Parses the header at the start of `stream` and drains the rest (to learn the buffer's
/// size without reading it when the source can seek).
/// The registry's entry point: the tensor names go along for the shard-index check.
fn parse(
    stream: &mut crate::format::DynStream<'_>,
    _: &crate::format::ParseContext<'_>,
    out: &mut Parsed,
) {
    let names = scan_safetensors_into(stream, out);
    out.tensor_names = Some(names);
}

pub(crate) fn scan_safetensors<R: SkipRead>(stream: &mut ByteStream<R>) -> (Parsed, TensorNames) {
    let mut p = Parsed::default();
    let names = scan_safetensors_into(stream, &mut p);
    (p, names)
}

fn scan_safetensors_into<R: SkipRead>(stream: &mut ByteStream<R>, p: &mut Parsed) -> TensorNames {
    let mut names = Vec::new();
    let len_bytes = stream.fill(8);
    if len_bytes.len() < 8 {
        p.add(
            &rules::SAFETENSORS_MALFORMED,
            "the file ends inside the 8-byte header length",
        );
        p.incomplete("truncated safetensors header length");
        return names;
    }
    let header_len = u64::from_le_bytes(len_bytes[..8].try_into().expect("8 bytes"));
    stream.consume(8);
    p.fact("header_bytes", header_len);
    if header_len > limits::MAX_SAFETENSORS_HEADER {
        p.add(
            &rules::SAFETENSORS_MALFORMED,
            format!("the header length {header_len} exceeds the format's cap"),
        );
        p.limit(LimitHit::SafetensorsHeader);
        return names;
    }
    // Whitespace before the opening brace: the library accepts it, the format does not.
    let peek_len = usize::try_from(header_len.min(4096)).unwrap_or(4096);
    let peek = stream.fill(peek_len);
    let first = peek.iter().position(|c| !c.is_ascii_whitespace());
    if let Some(i) = first.filter(|&i| i > 0 && peek[i] == b'{') {
        p.push(
            Finding::new(
                &rules::SAFETENSORS_LENIENT_HEADER,
                format!("{i} whitespace byte(s) before the header's opening brace"),
            )
            .offset(8),
        );
    }
    // The header is read as a stream and each entry checked as it arrives: only a compact
    // index of the tensors is kept, never the header's bytes or its JSON tree.
    let mut header = Header::default();
    let outcome = {
        let mut text = std::io::Read::take(&mut *stream, header_len);
        let mut de = serde_json::Deserializer::from_reader(&mut text);
        let result =
            serde::Deserializer::deserialize_map(&mut de, &mut header).and_then(|()| de.end());
        (result, text.limit())
    };
    let (result, unread) = outcome;
    let skipped = stream.skip(unread);
    if stream.io_error().is_some() {
        // The caller reports the read error.
        return names;
    }
    if skipped < unread {
        p.add(
            &rules::SAFETENSORS_MALFORMED,
            format!(
                "the header claims {header_len} bytes but the file ends after {}",
                header_len - (unread - skipped)
            ),
        );
        p.incomplete("truncated safetensors header");
        p.merge(header.p);
        return names;
    }
    if let Err(e) = result {
        p.merge(std::mem::take(&mut header.p));
        match header.limit {
            Some(hit) => p.limit(hit),
            None => {
                p.push(
                    Finding::new(
                        &rules::SAFETENSORS_MALFORMED,
                        "the header is not a JSON object",
                    )
                    .offset(8)
                    .detail(e.to_string()),
                );
                p.incomplete("the safetensors header is not valid JSON");
            }
        }
        return names;
    }
    let data_len = stream.skip_to_end();
    if stream.io_error().is_some() {
        // The caller reports the read error; offsets cannot be checked against a size
        // that is not known.
        return names;
    }
    header.finish(data_len, p, &mut names);
    names
}

/// What the header's entries showed, checked one entry at a time.
#[derive(Default)]
struct Header {
    p: Parsed,
    tensors: Vec<Tensor>,
    name_bytes: u64,
    dtypes: BTreeMap<String, u64>,
    parameters: u64,
    parameters_overflow: bool,
    /// Tensors whose names may belong to a quantized layout: name to dtype and elements.
    maybe_quantized: BTreeMap<String, (&'static str, u64)>,
    /// A limit that stopped the reading.
    limit: Option<LimitHit>,
}

impl<'de> Visitor<'de> for &mut Header {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(name) = map.next_key::<String>()? {
            let budget = crate::json::TreeBudget::new(limits::MAX_JSON_TREE_BYTES);
            let value = match map.next_value_seed(budget.seed()) {
                Ok(v) => v,
                Err(e) => {
                    if budget.exceeded() {
                        self.limit = Some(LimitHit::JsonTreeBytes);
                    }
                    return Err(e);
                }
            };
            if let Err(hit) = self.entry(name, &value) {
                self.limit = Some(hit);
                return Err(A::Error::custom(hit.describe()));
            }
        }
        Ok(())
    }
}

impl Header {
    fn entry(&mut self, name: String, value: &serde_json::Value) -> Result<(), LimitHit> {
        let p = &mut self.p;
        if name.contains('\0') {
            p.add(
                &rules::SAFETENSORS_LENIENT_HEADER,
                format!("the name {name:?} contains NUL"),
            );
        }
        if name == "__metadata__" {
            check_metadata(value, p);
            return Ok(());
        }
        let Some(obj) = value.as_object() else {
            p.add(
                &rules::SAFETENSORS_MALFORMED,
                format!("the entry {name:?} is not an object"),
            );
            return Ok(());
        };
        for key in obj.keys() {
            if !matches!(key.as_str(), "dtype" | "shape" | "data_offsets") {
                p.add(
                    &rules::SAFETENSORS_LENIENT_HEADER,
                    format!("tensor {name:?} has the unknown field {key:?}"),
                );
            }
        }
        let dtype = obj.get("dtype").and_then(|d| d.as_str());
        let bits = dtype.and_then(dtype_bits);
        let kind = dtype.and_then(quantized_kind);
        let shape: Option<Vec<u64>> = obj
            .get("shape")
            .and_then(|s| s.as_array())
            .and_then(|a| a.iter().map(|d| d.as_u64()).collect());
        let offsets: Option<Vec<u64>> = obj
            .get("data_offsets")
            .and_then(|s| s.as_array())
            .and_then(|a| a.iter().map(|d| d.as_u64()).collect());
        let (Some(bits), Some(shape), Some(offsets)) = (bits, shape, offsets) else {
            p.add(
                &rules::SAFETENSORS_MALFORMED,
                format!(
                    "tensor {name:?} lacks a known dtype, an integer shape or data offsets (dtype {dtype:?})"
                ),
            );
            return Ok(());
        };
        let [begin, end] = offsets[..] else {
            p.add(
                &rules::SAFETENSORS_MALFORMED,
                format!("tensor {name:?} has {} data offsets, not 2", offsets.len()),
            );
            return Ok(());
        };
        *self
            .dtypes
            .entry(dtype.unwrap_or_default().to_string())
            .or_default() += 1;
        let numel = shape.iter().try_fold(1u64, |acc, &d| acc.checked_mul(d));
        let expected = numel
            .and_then(|n| n.checked_mul(bits))
            .filter(|b| b % 8 == 0)
            .map(|b| b / 8);
        if let (Some(kind), Some(n)) = (kind, numel) {
            if quantized_tensors::may_be_quantized(&name, kind) {
                self.maybe_quantized.insert(name.clone(), (kind, n));
            }
        }
        match numel {
            Some(n) => match self.parameters.checked_add(n) {
                Some(total) => self.parameters = total,
                None => self.parameters_overflow = true,
            },
            None => self.parameters_overflow = true,
        }
        if end < begin || Some(end - begin) != expected {
            p.add(
                &rules::SAFETENSORS_MALFORMED,
                format!(
                    "tensor {name:?} ({} {shape:?}) spans bytes {begin}..{end}, not the {} its shape needs",
                    dtype.unwrap_or_default(),
                    expected.map_or("(overflowing) number".to_string(), |e| e.to_string())
                ),
            );
        }
        if self.tensors.len() >= limits::MAX_SAFETENSORS_TENSORS {
            return Err(LimitHit::SafetensorsTensors);
        }
        self.name_bytes += name.len() as u64;
        if self.name_bytes > limits::MAX_SAFETENSORS_NAME_BYTES {
            return Err(LimitHit::SafetensorsNameBytes);
        }
        self.tensors.push(Tensor {
            name: name.into_boxed_str(),
            begin,
            end,
        });
        Ok(())
    }

    fn finish(mut self, data_len: u64, p: &mut Parsed, names: &mut TensorNames) {
        p.merge(std::mem::take(&mut self.p));
        let mut by_name: Vec<u32> = (0..self.tensors.len() as u32).collect();
        by_name.sort_by(|&a, &b| {
            self.tensors[a as usize]
                .name
                .cmp(&self.tensors[b as usize].name)
        });
        for run in by_name
            .chunk_by(|&a, &b| self.tensors[a as usize].name == self.tensors[b as usize].name)
        {
            if run.len() > 1 {
                p.add(
                    &rules::SAFETENSORS_LENIENT_HEADER,
                    format!(
                        "the name {:?} appears {} times; the library keeps the last",
                        self.tensors[run[0] as usize].name,
                        run.len()
                    ),
                );
            }
        }
        drop(by_name);
        check_layout(&mut self.tensors, data_len, p);
        p.fact("tensor_count", self.tensors.len());
        names.extend(self.tensors.into_iter().map(|t| t.name.into_string()));
        let quantized = quantized_tensors::classify(&self.maybe_quantized);
        if !quantized.is_empty() {
            p.fact(crate::facts::QUANTIZED_TENSORS, quantized.fact());
        }
        if !self.parameters_overflow {
            p.fact(crate::facts::STORED_ELEMENTS, self.parameters);
            // Packed GPTQ/AWQ words need the config's bit width: the BOM counts them.
            if let Some(n) = quantized.parameters(self.parameters, None) {
                p.fact(crate::facts::PARAMETER_COUNT, n);
            }
        }
        p.fact("dtypes", self.dtypes);
        p.fact("data_bytes", data_len);
    }
}

/// Offsets must tile the buffer exactly: sorted, contiguous from 0 to its end.
fn check_layout(tensors: &mut [Tensor], data_len: u64, p: &mut Parsed) {
    tensors.sort_by_key(|t| (t.begin, t.end));
    let mut cursor = 0u64;
    for t in tensors.iter() {
        if t.end > data_len {
            p.add(
                &rules::SAFETENSORS_MALFORMED,
                format!(
                    "tensor {:?} ends at byte {} of a {data_len}-byte data buffer",
                    t.name, t.end
                ),
            );
        }
        if t.begin < cursor {
            p.add(
                &rules::SAFETENSORS_MALFORMED,
                format!(
                    "tensor {:?} starts at {} inside the previous tensor (which ends at {cursor})",
                    t.name, t.begin
                ),
            );
        } else if t.begin > cursor {
            p.add(
                &rules::SAFETENSORS_MALFORMED,
                format!(
                    "{} unused bytes before tensor {:?} (a hole at {cursor}..{})",
                    t.begin - cursor,
                    t.name,
                    t.begin
                ),
            );
        }
        cursor = cursor.max(t.end);
    }
    if cursor < data_len {
        p.add(
            &rules::SAFETENSORS_MALFORMED,
            format!(
                "{} bytes follow the last tensor in the data buffer",
                data_len - cursor
            ),
        );
    }
}

fn check_metadata(value: &serde_json::Value, p: &mut Parsed) {
    let Some(obj) = value.as_object() else {
        p.add(
            &rules::SAFETENSORS_LENIENT_HEADER,
            "__metadata__ is not an object of strings",
        );
        return;
    };
    let mut facts = BTreeMap::new();
    for (k, v) in obj {
        match v.as_str() {
            Some(s) => {
                if facts.len() < MAX_METADATA_FACTS {
                    let mut s = s.to_string();
                    if s.len() > MAX_METADATA_VALUE_FACT {
                        let mut cut = MAX_METADATA_VALUE_FACT;
                        while !s.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        s.truncate(cut);
                    }
                    facts.insert(k.clone(), s);
                }
            }
            None => p.add(
                &rules::SAFETENSORS_LENIENT_HEADER,
                format!("__metadata__ value {k:?} is not a string"),
            ),
        }
    }
    p.fact("metadata", facts);
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Safetensors,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| {
        // An 8-byte little-endian header length, then a JSON object.
        if b.len() < 9 {
            return None;
        }
        let n = u64::from_le_bytes(b[..8].try_into().expect("8 bytes"));
        let first = b[8..].iter().find(|c| !c.is_ascii_whitespace());
        (n > 1 && n < 100_000_000 && first == Some(&b'{'))
            .then_some(crate::format::Evidence::Structure)
    },
    tail: None,
    claimed_by: &["safetensors"],
    exclusive_names: &["safetensors"],
    parse: crate::format::Parser::Stream(parse),
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::NoSkip;

    fn file(header: &str, data: &[u8]) -> Vec<u8> {
        let mut v = (header.len() as u64).to_le_bytes().to_vec();
        v.extend(header.as_bytes());
        v.extend(data);
        v
    }

    fn rules_of(bytes: &[u8]) -> (Vec<&'static str>, Parsed) {
        let mut s = ByteStream::new(NoSkip(bytes));
        let (p, _) = scan_safetensors(&mut s);
        (p.findings.iter().map(|f| f.rule).collect(), p)
    }

    #[test]
    fn valid_header_is_quiet_and_gives_facts() {
        let h = r#"{"__metadata__":{"format":"pt"},"a":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"b":{"dtype":"F4","shape":[4],"data_offsets":[16,18]}}  "#;
        let (rules, p) = rules_of(&file(h, &[0u8; 18]));
        assert!(rules.is_empty(), "{rules:?}");
        assert_eq!(p.facts["tensor_count"], 2);
        assert_eq!(p.facts["parameter_count"], 8);
        assert_eq!(p.facts["metadata"]["format"], "pt");
        assert!(p.incomplete.is_none());
    }

    #[test]
    fn structural_errors_fire_mv601() {
        let cases = [
            // overlap
            (
                r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"b":{"dtype":"U8","shape":[4],"data_offsets":[2,6]}}"#,
                6,
            ),
            // hole
            (
                r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[4,8]}}"#,
                8,
            ),
            // past the end
            (
                r#"{"a":{"dtype":"U8","shape":[8],"data_offsets":[0,8]}}"#,
                4,
            ),
            // unknown dtype
            (
                r#"{"a":{"dtype":"X9","shape":[4],"data_offsets":[0,4]}}"#,
                4,
            ),
            // shape / size mismatch
            (
                r#"{"a":{"dtype":"F32","shape":[4],"data_offsets":[0,4]}}"#,
                4,
            ),
            // trailing bytes
            (
                r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
                9,
            ),
            // overflowing shape
            (
                r#"{"a":{"dtype":"F64","shape":[4294967296,4294967296,16],"data_offsets":[0,4]}}"#,
                4,
            ),
            // not JSON
            (r#"{"a": nope}"#, 0),
        ];
        for (h, n) in cases {
            let (rules, _) = rules_of(&file(h, &vec![0u8; n]));
            assert!(rules.contains(&"MV601"), "{h}: {rules:?}");
            assert!(!rules.contains(&"MV602"), "{h}: {rules:?}");
        }
    }

    #[test]
    fn lenient_headers_fire_mv602() {
        let cases = [
            r#"  {"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
            r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]},"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
            r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4],"extra":1}}"#,
            r#"{"a\u0000b":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
            r#"{"__metadata__":{"k":1},"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
        ];
        for h in cases {
            let (rules, _) = rules_of(&file(h, &[0u8; 4]));
            assert!(rules.contains(&"MV602"), "{h}: {rules:?}");
        }
    }

    #[test]
    fn truncation_and_limits_are_incomplete() {
        let (_, p) = rules_of(&[1, 2, 3]);
        assert!(p.incomplete.is_some());
        let mut big = (limits::MAX_SAFETENSORS_HEADER + 1).to_le_bytes().to_vec();
        big.push(b'{');
        let (rules, p) = rules_of(&big);
        assert!(rules.contains(&"MV502"));
        assert!(p.incomplete.is_some());
        let full = file(
            r#"{"a":{"dtype":"U8","shape":[4],"data_offsets":[0,4]}}"#,
            &[0; 4],
        );
        for cut in 0..full.len() - 4 {
            let (rules, p) = rules_of(&full[..cut]);
            assert!(
                p.incomplete.is_some() || rules.contains(&"MV601"),
                "cut at {cut}: {rules:?}"
            );
        }
    }
}
