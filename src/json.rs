//! JSON from untrusted bytes, into a tree whose memory is bounded by a named limit.
//!
//! `serde_json::Value` spends 32 bytes or more on every value however small its text: a
//! 64 MiB array of zeros became a 2 GB tree. [`parse_value`] builds the same tree but
//! charges every value its estimated memory against [`limits::MAX_JSON_TREE_BYTES`] as it
//! goes, and stops with [`JsonFailure::Limit`] the moment the estimate passes it, before
//! the memory is spent.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};
use std::cell::Cell;
use std::fmt;

use crate::limits::{self, LimitHit};

/// Estimated bytes of one value in the tree besides its text: the `Value` itself, its slot
/// in the parent (a vector's spare capacity, a map entry with its key's `String`).
const NODE_BYTES: u64 = 96;
/// serde_json's own nesting limit, which it enforces before ours.
pub(crate) const MAX_JSON_DEPTH: usize = 128;

#[derive(Debug)]
pub(crate) enum JsonFailure {
    /// Not JSON (or JSON that nests deeper than [`MAX_JSON_DEPTH`]).
    Syntax(serde_json::Error),
    /// A tree this large would pass a limit.
    Limit(LimitHit),
}

impl JsonFailure {
    /// Nesting deeper than the reader's limit: the text may be valid JSON that a Python
    /// loader, which has no such limit, would read.
    pub(crate) fn too_deep(&self) -> bool {
        matches!(self, JsonFailure::Syntax(e) if e.to_string().contains("recursion limit"))
    }
}

impl fmt::Display for JsonFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonFailure::Syntax(e) => write!(f, "{e}"),
            JsonFailure::Limit(hit) => f.write_str(&hit.describe()),
        }
    }
}

/// Parses `bytes` as one JSON document into a `Value`, within
/// [`limits::MAX_JSON_TREE_BYTES`] of estimated tree memory.
pub(crate) fn parse_value(bytes: &[u8]) -> Result<Value, JsonFailure> {
    parse_value_within(bytes, limits::MAX_JSON_TREE_BYTES)
}

fn parse_value_within(bytes: &[u8], budget: u64) -> Result<Value, JsonFailure> {
    let budget = TreeBudget::new(budget);
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result = budget
        .seed()
        .deserialize(&mut de)
        .and_then(|v| de.end().map(|()| v));
    match result {
        Ok(v) => Ok(v),
        Err(_) if budget.exceeded() => Err(JsonFailure::Limit(LimitHit::JsonTreeBytes)),
        Err(e) => Err(JsonFailure::Syntax(e)),
    }
}

/// Estimated memory that values may still take; shared by every value built from it.
pub(crate) struct TreeBudget {
    left: Cell<u64>,
    exceeded: Cell<bool>,
}

impl TreeBudget {
    pub(crate) fn new(bytes: u64) -> TreeBudget {
        TreeBudget {
            left: Cell::new(bytes),
            exceeded: Cell::new(false),
        }
    }

    /// A seed that deserializes one value within this budget (for a caller that streams
    /// a large document entry by entry and keeps none of the trees).
    pub(crate) fn seed(&self) -> Bounded<'_> {
        Bounded {
            left: &self.left,
            exceeded: &self.exceeded,
        }
    }

    /// Whether a value failed because this budget ran out.
    pub(crate) fn exceeded(&self) -> bool {
        self.exceeded.get()
    }
}

/// Builds one value, charging the shared budget.
#[derive(Clone, Copy)]
pub(crate) struct Bounded<'b> {
    left: &'b Cell<u64>,
    exceeded: &'b Cell<bool>,
}

impl Bounded<'_> {
    fn charge<E: serde::de::Error>(&self, text: usize) -> Result<(), E> {
        let cost = NODE_BYTES.saturating_add(text as u64);
        match self.left.get().checked_sub(cost) {
            Some(rest) => {
                self.left.set(rest);
                Ok(())
            }
            None => {
                self.exceeded.set(true);
                Err(E::custom("JSON tree memory limit"))
            }
        }
    }
}

impl<'de> DeserializeSeed<'de> for Bounded<'_> {
    type Value = Value;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Bounded<'_> {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E: serde::de::Error>(self) -> Result<Value, E> {
        self.charge(0)?;
        Ok(Value::Null)
    }

    fn visit_bool<E: serde::de::Error>(self, v: bool) -> Result<Value, E> {
        self.charge(0)?;
        Ok(Value::Bool(v))
    }

    fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Value, E> {
        self.charge(0)?;
        Ok(Value::from(v))
    }

    fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Value, E> {
        self.charge(0)?;
        Ok(Value::from(v))
    }

    fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<Value, E> {
        self.charge(0)?;
        // JSON text cannot spell a non-finite number, so `from_f64` never fails here.
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| E::custom("non-finite number"))
    }

    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Value, E> {
        self.charge(v.len())?;
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E: serde::de::Error>(self, v: String) -> Result<Value, E> {
        self.charge(v.len())?;
        Ok(Value::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        self.charge(0)?;
        let mut items = Vec::new();
        while let Some(v) = seq.next_element_seed(self)? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        self.charge(0)?;
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            self.charge::<A::Error>(key.len())?;
            let value = map.next_value_seed(self)?;
            out.insert(key, value);
        }
        Ok(Value::Object(out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_tree_as_serde_json() {
        let text = br#"{"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": "\u00e9", "a2": []}"#;
        let ours = parse_value(text).unwrap();
        let theirs: Value = serde_json::from_slice(text).unwrap();
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_tree_past_the_budget_stops_before_it_is_built() {
        let text = format!("[{}0]", "0,".repeat(10_000));
        match parse_value_within(text.as_bytes(), 100 * NODE_BYTES) {
            Err(JsonFailure::Limit(LimitHit::JsonTreeBytes)) => {}
            other => panic!("{other:?}"),
        }
        assert!(parse_value_within(text.as_bytes(), 10_002 * NODE_BYTES).is_ok());
    }

    #[test]
    fn long_strings_count_their_length() {
        let text = format!("\"{}\"", "x".repeat(1000));
        assert!(parse_value_within(text.as_bytes(), 999).is_err());
        assert!(parse_value_within(text.as_bytes(), 1000 + NODE_BYTES).is_ok());
    }

    #[test]
    fn syntax_errors_and_depth_are_told_apart() {
        assert!(matches!(parse_value(b"{"), Err(JsonFailure::Syntax(_))));
        assert!(matches!(parse_value(b"[1] x"), Err(JsonFailure::Syntax(_))));
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        let err = parse_value(deep.as_bytes()).unwrap_err();
        assert!(err.too_deep(), "{err}");
    }
}
