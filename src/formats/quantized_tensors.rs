//! Quantized weights as the quantization libraries lay them out in a safetensors file,
//! so that a parameter count counts the model's weights and not their packed storage.
//!
//! - GPTQ and AWQ (auto-gptq, gptqmodel, AutoAWQ, transformers): a quantized linear layer
//!   `P` stores `P.qweight` as I32 words that each hold `32 / bits` weights, with
//!   `P.qzeros`, `P.scales` and (GPTQ) `P.g_idx` beside it. How many weights a word holds
//!   is the bit width, which only the model's `quantization_config` states.
//! - bitsandbytes 4-bit (NF4/FP4): `P.weight` is U8 with two weights per byte, beside
//!   `P.weight.absmax`, `P.weight.quant_map`, the nested variants and the serialised
//!   `P.weight.quant_state.bitsandbytes__nf4` (or `__fp4`).
//! - bitsandbytes 8-bit (LLM.int8): `P.weight` is I8, one weight per byte, beside `P.SCB`
//!   and `P.weight_format`.
//!
//! The quantization state (zeros, scales, group indexes, absmax tables) is not a
//! parameter of the model and is not counted.

use std::collections::BTreeMap;

/// Element counts of a safetensors header, split by what they store.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct QuantizedTensors {
    /// Elements of I32 `qweight` tensors (GPTQ, AWQ): `32 / bits` weights each.
    pub int32_packed: u64,
    /// Elements of U8 bitsandbytes 4-bit weights: two weights each.
    pub bnb_4bit_packed: u64,
    /// Elements of I8 bitsandbytes 8-bit weights: one weight each.
    pub int8_weights: u64,
    /// Elements of quantization state: zeros, scales, group indexes, absmax tables.
    pub state: u64,
}

impl QuantizedTensors {
    pub(crate) fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// The model's parameters, given all `stored` elements of the file and, for GPTQ/AWQ
    /// words, the bit width the quantization config states. None when the count cannot
    /// be known: packed words without a usable bit width, or counts that do not add up.
    pub(crate) fn parameters(&self, stored: u64, int32_bits: Option<u64>) -> Option<u64> {
        let quantized = self
            .int32_packed
            .checked_add(self.bnb_4bit_packed)?
            .checked_add(self.int8_weights)?
            .checked_add(self.state)?;
        let plain = stored.checked_sub(quantized)?;
        let unpacked_words = if self.int32_packed == 0 {
            0
        } else {
            let bits = int32_bits.filter(|b| (2..=8).contains(b))?;
            let weights = self.int32_packed.checked_mul(32)?;
            if weights % bits != 0 {
                return None;
            }
            weights / bits
        };
        plain
            .checked_add(unpacked_words)?
            .checked_add(self.bnb_4bit_packed.checked_mul(2)?)?
            .checked_add(self.int8_weights)
    }

    /// The fact recorded on the file: each non-zero count by name.
    pub(crate) fn fact(&self) -> BTreeMap<&'static str, u64> {
        [
            ("int32_packed", self.int32_packed),
            ("bnb_4bit_packed", self.bnb_4bit_packed),
            ("int8_weights", self.int8_weights),
            ("state", self.state),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }

    /// Reads the fact back (see [`Self::fact`]).
    pub(crate) fn from_fact(v: &serde_json::Value) -> Option<Self> {
        let m = v.as_object()?;
        let get = |k: &str| m.get(k).and_then(serde_json::Value::as_u64).unwrap_or(0);
        Some(Self {
            int32_packed: get("int32_packed"),
            bnb_4bit_packed: get("bnb_4bit_packed"),
            int8_weights: get("int8_weights"),
            state: get("state"),
        })
    }
}

/// Whether a tensor may be part of a quantized layout, by its last name component (and,
/// for `weight`, a byte dtype); other tensors are not kept for [`classify`].
pub(crate) fn may_be_quantized(name: &str, dtype: &str) -> bool {
    let leaf = name.rsplit('.').next().unwrap_or(name);
    if leaf == "weight" {
        return matches!(dtype, "U8" | "I8");
    }
    matches!(
        leaf,
        "qweight"
            | "qzeros"
            | "scales"
            | "g_idx"
            | "absmax"
            | "quant_map"
            | "nested_absmax"
            | "nested_quant_map"
            | "bitsandbytes__nf4"
            | "bitsandbytes__fp4"
            | "SCB"
            | "weight_format"
    )
}

/// Splits the kept tensors (name to dtype and element count) by what they store. A
/// state tensor counts only beside the weights it belongs to, so a float `scales` of an
/// ordinary model stays a parameter.
pub(crate) fn classify(kept: &BTreeMap<String, (&'static str, u64)>) -> QuantizedTensors {
    let mut out = QuantizedTensors::default();
    let numel = |name: &str| kept.get(name).map_or(0, |(_, n)| *n);
    for (name, (dtype, n)) in kept {
        if let Some(module) = name.strip_suffix(".qweight") {
            if *dtype == "I32" {
                out.int32_packed += n;
                for state in ["qzeros", "scales", "g_idx"] {
                    out.state += numel(&format!("{module}.{state}"));
                }
            }
        } else if name.ends_with(".weight") || name == "weight" {
            let module = name.strip_suffix("weight").unwrap_or_default();
            let bnb_4bit = ["nf4", "fp4"]
                .iter()
                .any(|t| kept.contains_key(&format!("{name}.quant_state.bitsandbytes__{t}")));
            if *dtype == "U8" && bnb_4bit {
                out.bnb_4bit_packed += n;
                for state in [
                    "absmax",
                    "quant_map",
                    "nested_absmax",
                    "nested_quant_map",
                    "quant_state.bitsandbytes__nf4",
                    "quant_state.bitsandbytes__fp4",
                ] {
                    out.state += numel(&format!("{name}.{state}"));
                }
            } else if *dtype == "I8" && kept.contains_key(&format!("{module}SCB")) {
                out.int8_weights += n;
                out.state +=
                    numel(&format!("{module}SCB")) + numel(&format!("{module}weight_format"));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kept(entries: &[(&str, &'static str, u64)]) -> BTreeMap<String, (&'static str, u64)> {
        entries
            .iter()
            .filter(|(n, d, _)| may_be_quantized(n, d))
            .map(|(n, d, c)| (n.to_string(), (*d, *c)))
            .collect()
    }

    #[test]
    fn gptq_words_unpack_by_the_configured_bit_width() {
        // q_proj 64x64 at 4 bits, group 32: qweight [8, 64], qzeros [2, 8], scales [2, 64],
        // g_idx [64]; plus a 64-element norm.
        let t = kept(&[
            ("m.q.qweight", "I32", 8 * 64),
            ("m.q.qzeros", "I32", 2 * 8),
            ("m.q.scales", "F16", 2 * 64),
            ("m.q.g_idx", "I32", 64),
            ("m.norm.weight", "F16", 64),
        ]);
        let q = classify(&t);
        assert_eq!(q.int32_packed, 512);
        assert_eq!(q.state, 16 + 128 + 64);
        let stored = 512 + 16 + 128 + 64 + 64;
        assert_eq!(q.parameters(stored, Some(4)), Some(64 * 64 + 64));
        assert_eq!(q.parameters(stored, Some(8)), Some(64 * 32 + 64));
        assert_eq!(q.parameters(stored, None), None, "the bit width is needed");
        assert_eq!(q.parameters(stored, Some(32)), None, "not a GPTQ width");
        assert_eq!(q.parameters(10, Some(4)), None, "counts must add up");
    }

    #[test]
    fn bitsandbytes_layouts_count_their_weights() {
        let t = kept(&[
            ("l.weight", "U8", 2048),
            ("l.weight.absmax", "F32", 64),
            ("l.weight.quant_map", "F32", 16),
            ("l.weight.quant_state.bitsandbytes__nf4", "U8", 90),
            ("k.weight", "I8", 4096),
            ("k.SCB", "F32", 64),
            ("k.weight_format", "U8", 1),
        ]);
        let q = classify(&t);
        assert_eq!(q.bnb_4bit_packed, 2048);
        assert_eq!(q.int8_weights, 4096);
        assert_eq!(q.state, 64 + 16 + 90 + 64 + 1);
        let stored = 2048 + 64 + 16 + 90 + 4096 + 64 + 1;
        assert_eq!(q.parameters(stored, None), Some(4096 + 4096));
    }

    #[test]
    fn ordinary_tensors_with_quantization_like_names_are_parameters() {
        let t = kept(&[
            ("vision.scales", "F32", 10),
            ("byte_embedding.weight", "U8", 256),
            ("int8.weight", "I8", 16),
            ("old.qweight", "F16", 32),
        ]);
        let q = classify(&t);
        assert!(q.is_empty(), "{q:?}");
        assert_eq!(q.parameters(314, None), Some(314));
    }

    #[test]
    fn the_fact_round_trips() {
        let q = QuantizedTensors {
            int32_packed: 5,
            bnb_4bit_packed: 0,
            int8_weights: 2,
            state: 9,
        };
        let v = serde_json::to_value(q.fact()).unwrap();
        assert_eq!(QuantizedTensors::from_fact(&v), Some(q));
        assert!(!v.as_object().unwrap().contains_key("bnb_4bit_packed"));
    }
}
