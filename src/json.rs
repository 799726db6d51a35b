//! JSON from untrusted bytes, read the way Python's `json` module reads it, into a tree
//! whose memory, depth and teardown are bounded.
//!
//! The loaders modelvet stands in for (transformers' config classes, Keras, tokenizers'
//! Python side) call `json.loads`, which accepts more than RFC 8259: `NaN`, `Infinity` and
//! `-Infinity`; any encoding `json.detect_encoding` finds in bytes (UTF-8 with or without
//! a BOM, UTF-16 and UTF-32), with lone surrogates passed through; integers of any size.
//! Of duplicate keys the last wins, as in a Python dict. A stricter reader would call such
//! a file "not JSON" while the loader reads and follows it, so this one accepts exactly
//! what `json.loads` accepts.
//!
//! The parser keeps its own stack instead of recursing, so nesting costs heap memory, not
//! thread stack, up to [`limits::MAX_JSON_DEPTH`]. Every value is charged its estimated
//! memory against [`limits::MAX_JSON_TREE_BYTES`] as it is built (a `serde_json::Value`
//! spends 32 bytes or more on every value however small its text: a 64 MiB array of zeros
//! became a 2 GB tree), and a [`Document`] is torn down without recursion as well.

use serde::de::{DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Number, Value};
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::ops::Deref;

use crate::limits::{self, LimitHit};

/// Estimated bytes of one value in the tree besides its text: the `Value` itself, its slot
/// in the parent (a vector's spare capacity, a map entry with its key's `String`).
const NODE_BYTES: u64 = 96;

#[derive(Debug)]
pub(crate) enum JsonFailure {
    /// Text `json.loads` refuses too (so a Python loader reads nothing from it), with the
    /// offset into the decoded text.
    Syntax {
        message: &'static str,
        offset: usize,
    },
    /// A tree this large or this deep would pass a limit.
    Limit(LimitHit),
}

impl fmt::Display for JsonFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            JsonFailure::Syntax { message, offset } => write!(f, "{message} at byte {offset}"),
            JsonFailure::Limit(hit) => f.write_str(&hit.describe()),
        }
    }
}

/// A parsed document. Reads as the `Value` it holds; dropping it takes no stack however
/// deep the tree is.
pub(crate) struct Document {
    root: Value,
}

impl Deref for Document {
    type Target = Value;
    fn deref(&self) -> &Value {
        &self.root
    }
}

impl Drop for Document {
    fn drop(&mut self) {
        drop_iteratively(std::mem::take(&mut self.root));
    }
}

impl fmt::Debug for Document {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Document")
    }
}

/// Parses `bytes` as `json.loads(bytes)` would, within [`limits::MAX_JSON_TREE_BYTES`] of
/// estimated tree memory and [`limits::MAX_JSON_DEPTH`] levels. Non-finite numbers
/// (`NaN`, `Infinity`, a float that overflows) become `null`: no check reads a number's
/// value, and `serde_json` cannot hold them.
pub(crate) fn parse_value(bytes: &[u8]) -> Result<Document, JsonFailure> {
    parse_value_within(bytes, limits::MAX_JSON_TREE_BYTES, limits::MAX_JSON_DEPTH)
}

fn parse_value_within(
    bytes: &[u8],
    budget: u64,
    max_depth: usize,
) -> Result<Document, JsonFailure> {
    let text = decode(bytes)?;
    let mut parser = Parser {
        text: &text,
        pos: 0,
        budget,
        max_depth,
        frames: Vec::new(),
    };
    parser.document().map(|root| Document { root })
}

/// `json.detect_encoding`, then decoding with the `surrogatepass` handler `json.loads`
/// uses. A surrogate that Python would keep alone becomes U+FFFD: Rust strings cannot hold
/// it, and no name a loader imports can contain it.
fn decode(bytes: &[u8]) -> Result<Cow<'_, str>, JsonFailure> {
    let undecodable = |offset| JsonFailure::Syntax {
        message: "bytes that do not decode in the encoding json.detect_encoding picks",
        offset,
    };
    if let Some(rest) = bytes.strip_prefix(b"\x00\x00\xfe\xff") {
        return decode_utf32(rest, u32::from_be_bytes).ok_or_else(|| undecodable(4));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe\x00\x00") {
        return decode_utf32(rest, u32::from_le_bytes).ok_or_else(|| undecodable(4));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xfe\xff") {
        return decode_utf16(rest, u16::from_be_bytes).ok_or_else(|| undecodable(2));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xff\xfe") {
        return decode_utf16(rest, u16::from_le_bytes).ok_or_else(|| undecodable(2));
    }
    if let Some(rest) = bytes.strip_prefix(b"\xef\xbb\xbf") {
        return decode_utf8(rest);
    }
    match *bytes {
        [0, b1, ..] if bytes.len() >= 4 && b1 != 0 => {
            decode_utf16(bytes, u16::from_be_bytes).ok_or_else(|| undecodable(0))
        }
        [0, ..] if bytes.len() >= 4 => {
            decode_utf32(bytes, u32::from_be_bytes).ok_or_else(|| undecodable(0))
        }
        [_, 0, b2, b3, ..] if b2 != 0 || b3 != 0 => {
            decode_utf16(bytes, u16::from_le_bytes).ok_or_else(|| undecodable(0))
        }
        [_, 0, _, _, ..] => decode_utf32(bytes, u32::from_le_bytes).ok_or_else(|| undecodable(0)),
        [0, _] => decode_utf16(bytes, u16::from_be_bytes).ok_or_else(|| undecodable(0)),
        [_, 0] => decode_utf16(bytes, u16::from_le_bytes).ok_or_else(|| undecodable(0)),
        _ => decode_utf8(bytes),
    }
}

/// UTF-8 where a surrogate's three-byte form (which `surrogatepass` lets through) is
/// U+FFFD, and anything else invalid is an error.
fn decode_utf8(bytes: &[u8]) -> Result<Cow<'_, str>, JsonFailure> {
    let mut rest = bytes;
    let mut owned: Option<String> = None;
    loop {
        match std::str::from_utf8(rest) {
            Ok(tail) => {
                return Ok(match owned {
                    None => Cow::Borrowed(tail),
                    Some(mut s) => {
                        s.push_str(tail);
                        Cow::Owned(s)
                    }
                });
            }
            Err(e) => {
                let good = e.valid_up_to();
                let bad = &rest[good..];
                let surrogate = matches!(bad, [0xed, 0xa0..=0xbf, 0x80..=0xbf, ..]);
                if !surrogate {
                    return Err(JsonFailure::Syntax {
                        message: "bytes that are not UTF-8",
                        offset: bytes.len() - bad.len(),
                    });
                }
                let s = owned.get_or_insert_with(|| String::with_capacity(bytes.len()));
                // `valid_up_to` bytes were just checked.
                s.push_str(std::str::from_utf8(&rest[..good]).unwrap_or_default());
                s.push(char::REPLACEMENT_CHARACTER);
                rest = &bad[3..];
            }
        }
    }
}

fn decode_utf16(bytes: &[u8], unit: fn([u8; 2]) -> u16) -> Option<Cow<'_, str>> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    let units = bytes.chunks_exact(2).map(|c| unit([c[0], c[1]]));
    let text = char::decode_utf16(units)
        .map(|c| c.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect();
    Some(Cow::Owned(text))
}

fn decode_utf32(bytes: &[u8], unit: fn([u8; 4]) -> u32) -> Option<Cow<'_, str>> {
    if !bytes.len().is_multiple_of(4) {
        return None;
    }
    let mut text = String::with_capacity(bytes.len() / 4);
    for c in bytes.chunks_exact(4) {
        let code = unit([c[0], c[1], c[2], c[3]]);
        match char::from_u32(code) {
            Some(ch) => text.push(ch),
            None if (0xd800..0xe000).contains(&code) => text.push(char::REPLACEMENT_CHARACTER),
            None => return None,
        }
    }
    Some(Cow::Owned(text))
}

/// An array or object still open, holding the values read so far.
enum Frame {
    Array(Vec<Value>),
    /// The members so far and the key whose value is being read.
    Object(Map<String, Value>, String),
}

struct Parser<'t> {
    text: &'t str,
    pos: usize,
    /// Estimated memory the tree may still take.
    budget: u64,
    max_depth: usize,
    frames: Vec<Frame>,
}

impl Drop for Parser<'_> {
    /// A document that failed half-way may already hold deep values.
    fn drop(&mut self) {
        while let Some(frame) = self.frames.pop() {
            drop_iteratively(match frame {
                Frame::Array(items) => Value::Array(items),
                Frame::Object(map, _) => Value::Object(map),
            });
        }
    }
}

impl Parser<'_> {
    fn fail<T>(&self, message: &'static str) -> Result<T, JsonFailure> {
        Err(JsonFailure::Syntax {
            message,
            offset: self.pos,
        })
    }

    fn charge(&mut self, text: usize) -> Result<(), JsonFailure> {
        let cost = NODE_BYTES.saturating_add(text as u64);
        match self.budget.checked_sub(cost) {
            Some(rest) => {
                self.budget = rest;
                Ok(())
            }
            None => Err(JsonFailure::Limit(LimitHit::JsonTreeBytes)),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Python's json skips exactly these four between tokens.
    fn skip_whitespace(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn rest_starts_with(&self, word: &str) -> bool {
        self.text.as_bytes()[self.pos..].starts_with(word.as_bytes())
    }

    /// A container about to open, empty or not, is one level deeper than the open ones.
    fn check_depth(&self) -> Result<(), JsonFailure> {
        if self.frames.len() >= self.max_depth {
            return Err(JsonFailure::Limit(LimitHit::JsonDepth));
        }
        Ok(())
    }

    fn document(&mut self) -> Result<Value, JsonFailure> {
        'value: loop {
            self.skip_whitespace();
            let mut value = match self.peek() {
                Some(b'[') => {
                    self.pos += 1;
                    self.charge(0)?;
                    self.check_depth()?;
                    self.skip_whitespace();
                    if self.peek() == Some(b']') {
                        self.pos += 1;
                        Value::Array(Vec::new())
                    } else {
                        self.frames.push(Frame::Array(Vec::new()));
                        continue 'value;
                    }
                }
                Some(b'{') => {
                    self.pos += 1;
                    self.charge(0)?;
                    self.check_depth()?;
                    self.skip_whitespace();
                    if self.peek() == Some(b'}') {
                        self.pos += 1;
                        Value::Object(Map::new())
                    } else {
                        let key = self.key()?;
                        self.frames.push(Frame::Object(Map::new(), key));
                        continue 'value;
                    }
                }
                _ => self.scalar()?,
            };
            // A value is complete: hand it to the innermost open container, closing every
            // container it completes.
            loop {
                let Some(frame) = self.frames.last_mut() else {
                    self.skip_whitespace();
                    if self.pos != self.text.len() {
                        drop_iteratively(value);
                        return self.fail("Extra data");
                    }
                    return Ok(value);
                };
                match frame {
                    Frame::Array(items) => items.push(value),
                    Frame::Object(map, key) => {
                        if let Some(replaced) = map.insert(std::mem::take(key), value) {
                            drop_iteratively(replaced);
                        }
                    }
                }
                self.skip_whitespace();
                match (self.peek(), self.frames.last()) {
                    (Some(b','), Some(Frame::Array(_))) => {
                        self.pos += 1;
                        continue 'value;
                    }
                    (Some(b','), Some(Frame::Object(..))) => {
                        self.pos += 1;
                        self.skip_whitespace();
                        let next = self.key()?;
                        if let Some(Frame::Object(_, key)) = self.frames.last_mut() {
                            *key = next;
                        }
                        continue 'value;
                    }
                    (Some(b']'), Some(Frame::Array(_))) | (Some(b'}'), Some(Frame::Object(..))) => {
                        self.pos += 1;
                        value = match self.frames.pop() {
                            Some(Frame::Array(items)) => Value::Array(items),
                            Some(Frame::Object(map, _)) => Value::Object(map),
                            None => Value::Null,
                        };
                    }
                    (_, Some(Frame::Array(_))) => return self.fail("Expecting ',' delimiter"),
                    _ => return self.fail("Expecting ',' delimiter or '}'"),
                }
            }
        }
    }

    /// An object key and its colon; whitespace before it is already skipped.
    fn key(&mut self) -> Result<String, JsonFailure> {
        if self.peek() != Some(b'"') {
            return self.fail("Expecting property name enclosed in double quotes");
        }
        self.pos += 1;
        let key = self.string()?;
        self.charge(key.len())?;
        self.skip_whitespace();
        if self.peek() != Some(b':') {
            return self.fail("Expecting ':' delimiter");
        }
        self.pos += 1;
        Ok(key)
    }

    fn scalar(&mut self) -> Result<Value, JsonFailure> {
        let value = match self.peek() {
            Some(b'"') => {
                self.pos += 1;
                let s = self.string()?;
                self.charge(s.len())?;
                return Ok(Value::String(s));
            }
            Some(b'-' | b'0'..=b'9') => return self.number(),
            _ => {
                const WORDS: [(&str, Value); 5] = [
                    ("null", Value::Null),
                    ("true", Value::Bool(true)),
                    ("false", Value::Bool(false)),
                    ("NaN", Value::Null),
                    ("Infinity", Value::Null),
                ];
                let Some((word, value)) = WORDS.into_iter().find(|(w, _)| self.rest_starts_with(w))
                else {
                    return self.fail("Expecting value");
                };
                self.pos += word.len();
                value
            }
        };
        self.charge(0)?;
        Ok(value)
    }

    /// Python's number grammar, `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?`, where a
    /// fraction or exponent that is not followed by a digit is not part of the number.
    fn number(&mut self) -> Result<Value, JsonFailure> {
        let bytes = self.text.as_bytes();
        let digits_from = |mut i: usize| {
            while bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let start = self.pos;
        let mut i = start;
        if bytes.get(i) == Some(&b'-') {
            i += 1;
            if bytes[i..].starts_with(b"Infinity") {
                self.pos = i + "Infinity".len();
                self.charge(0)?;
                return Ok(Value::Null);
            }
        }
        match bytes.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits_from(i),
            _ => return self.fail("Expecting value"),
        }
        let mut float = false;
        if bytes.get(i) == Some(&b'.') && bytes.get(i + 1).is_some_and(u8::is_ascii_digit) {
            i = digits_from(i + 1);
            float = true;
        }
        if matches!(bytes.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if matches!(bytes.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            if bytes.get(j).is_some_and(u8::is_ascii_digit) {
                i = digits_from(j);
                float = true;
            }
        }
        self.pos = i;
        self.charge(0)?;
        let lexeme = &self.text[start..i];
        if !float {
            if let Ok(n) = lexeme.parse::<i64>() {
                return Ok(Value::from(n));
            }
            if let Ok(n) = lexeme.parse::<u64>() {
                return Ok(Value::from(n));
            }
        }
        // Python keeps larger integers exactly; their value matters to no check.
        Ok(lexeme
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map_or(Value::Null, Value::Number))
    }

    /// The rest of a string whose opening quote is consumed. Control characters are
    /// refused inside strings, as `json.loads` (strict by default) refuses them.
    fn string(&mut self) -> Result<String, JsonFailure> {
        let bytes = self.text.as_bytes();
        let mut out = String::new();
        loop {
            let run = self.pos;
            while bytes
                .get(self.pos)
                .is_some_and(|&b| b != b'"' && b != b'\\' && b >= 0x20)
            {
                self.pos += 1;
            }
            // Stops only at ASCII bytes, so both ends are character boundaries.
            out.push_str(&self.text[run..self.pos]);
            match bytes.get(self.pos) {
                None => return self.fail("Unterminated string"),
                Some(b'"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.pos += 1;
                    let unescaped = match bytes.get(self.pos) {
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'/') => '/',
                        Some(b'b') => '\u{8}',
                        Some(b'f') => '\u{c}',
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'u') => {
                            self.pos += 1;
                            let unit = self.hex4()?;
                            let code = if (0xd800..0xdc00).contains(&unit)
                                && self.rest_starts_with("\\u")
                            {
                                let mark = self.pos;
                                self.pos += 2;
                                match self.hex4()? {
                                    low @ 0xdc00..0xe000 => {
                                        0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00)
                                    }
                                    // Not a pair: the second escape stands on its own.
                                    _ => {
                                        self.pos = mark;
                                        unit
                                    }
                                }
                            } else {
                                unit
                            };
                            out.push(char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER));
                            continue;
                        }
                        _ => return self.fail("Invalid \\escape"),
                    };
                    self.pos += 1;
                    out.push(unescaped);
                }
                Some(_) => return self.fail("Invalid control character"),
            }
        }
    }

    /// Four hex digits of a `\u` escape.
    fn hex4(&mut self) -> Result<u32, JsonFailure> {
        let digits = self.text.as_bytes().get(self.pos..self.pos + 4);
        let value = digits
            .filter(|d| d.iter().all(u8::is_ascii_hexdigit))
            .and_then(|d| std::str::from_utf8(d).ok())
            .and_then(|d| u32::from_str_radix(d, 16).ok());
        match value {
            Some(v) => {
                self.pos += 4;
                Ok(v)
            }
            None => self.fail("Invalid \\uXXXX escape"),
        }
    }
}

/// Drops a tree without recursion, however deep or wide.
pub(crate) fn drop_iteratively(root: Value) {
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        match v {
            Value::Array(items) => stack.extend(items),
            Value::Object(map) => stack.extend(map.into_iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// For a format whose own reader is `serde_json` (safetensors: the Rust crate reads its
/// header), a serde seed with the same budget: estimated memory that values may still take,
/// shared by every value built from it.
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

    fn parse(text: &str) -> Result<Document, JsonFailure> {
        parse_value(text.as_bytes())
    }

    #[test]
    fn the_same_tree_as_serde_json_on_plain_json() {
        let text = r#" {"a": [1, -2, 3.5, "x", null, true, {"b": {}}], "c": "\u00e9\ud83d\ude00",
            "a2": [], "e": 1E+2, "big": 18446744073709551615, "neg": -9223372036854775808,
            "esc": "\"\\\/\b\f\n\r\t"} "#;
        let ours = parse(text).unwrap();
        let theirs: Value = serde_json::from_str(text).unwrap();
        assert_eq!(*ours, theirs);
    }

    #[test]
    fn python_constants_are_read() {
        let doc = parse(r#"{"a": NaN, "b": Infinity, "c": -Infinity, "d": 1e999, "auto_map": {"AutoModel": "m.M"}}"#)
            .unwrap();
        assert_eq!(doc["a"], Value::Null);
        assert_eq!(doc["c"], Value::Null);
        assert_eq!(doc["d"], Value::Null);
        assert_eq!(doc["auto_map"]["AutoModel"], "m.M");
        // Python's spelling only.
        assert!(parse("nan").is_err());
        assert!(parse("-NaN").is_err());
        assert!(parse("+1").is_err());
    }

    #[test]
    fn the_last_duplicate_key_wins() {
        let doc = parse(r#"{"auto_map": {"A": "x.X"}, "auto_map": {"A": "y.Y"}}"#).unwrap();
        assert_eq!(doc["auto_map"]["A"], "y.Y");
    }

    #[test]
    fn the_encodings_json_loads_detects() {
        let text = r#"{"class_name": "Lambda"}"#;
        let utf16le: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
        let utf16be: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
        let utf32le: Vec<u8> = text
            .chars()
            .flat_map(|c| (c as u32).to_le_bytes())
            .collect();
        let utf32be: Vec<u8> = text
            .chars()
            .flat_map(|c| (c as u32).to_be_bytes())
            .collect();
        let mut bom16 = b"\xff\xfe".to_vec();
        bom16.extend(&utf16le);
        let mut bom8 = b"\xef\xbb\xbf".to_vec();
        bom8.extend(text.as_bytes());
        for bytes in [utf16le, utf16be, utf32le, utf32be, bom16, bom8] {
            let doc = parse_value(&bytes).unwrap();
            assert_eq!(doc["class_name"], "Lambda", "{bytes:?}");
        }
        // Python's surrogatepass: an encoded lone surrogate is read, not refused.
        let doc = parse_value(b"[\"a\xed\xa0\x80b\"]").unwrap();
        assert_eq!(doc[0], "a\u{fffd}b");
        assert!(parse_value(b"[\"\xff\"]").is_err());
    }

    #[test]
    fn escapes_follow_python() {
        let doc = parse(r#"["\ud800", "\ud800\u0041", "\udc00\ud800"]"#).unwrap();
        assert_eq!(doc[0], "\u{fffd}");
        assert_eq!(doc[1], "\u{fffd}A");
        assert_eq!(doc[2], "\u{fffd}\u{fffd}");
        for bad in [r#"["\x"]"#, r#"["\u12"]"#, "[\"a\tb\"]", r#"["abc"#] {
            assert!(
                matches!(parse(bad), Err(JsonFailure::Syntax { .. })),
                "{bad}"
            );
        }
    }

    #[test]
    fn what_python_refuses_is_refused() {
        for bad in [
            "",
            " ",
            "[1,]",
            "{\"a\":1,}",
            "[1 2]",
            "{'a': 1}",
            "01",
            "1.",
            ".5",
            "1e",
            "[1] x",
            "{\"a\" 1}",
            "{1: 2}",
            "[\u{a0}1]",
            "tru",
            "[1}",
            "{\"a\": 1]",
        ] {
            assert!(
                matches!(parse(bad), Err(JsonFailure::Syntax { .. })),
                "{bad:?}"
            );
        }
        for good in [
            "1",
            " [1.5e-3, -0, 0.0] ",
            "\"x\"",
            "\t{\"a\":\n[]}\r\n",
            "[[],{}]",
        ] {
            assert!(parse(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn a_tree_past_the_budget_stops_before_it_is_built() {
        let text = format!("[{}0]", "0,".repeat(10_000));
        match parse_value_within(text.as_bytes(), 100 * NODE_BYTES, 100) {
            Err(JsonFailure::Limit(LimitHit::JsonTreeBytes)) => {}
            other => panic!("{other:?}"),
        }
        assert!(parse_value_within(text.as_bytes(), 10_002 * NODE_BYTES, 100).is_ok());
    }

    #[test]
    fn long_strings_count_their_length() {
        let text = format!("\"{}\"", "x".repeat(1000));
        assert!(parse_value_within(text.as_bytes(), 999, 10).is_err());
        assert!(parse_value_within(text.as_bytes(), 1000 + NODE_BYTES, 10).is_ok());
    }

    #[test]
    fn nesting_as_deep_as_python_reads_takes_no_stack() {
        // Deeper than CPython 3.11 reads, on a small thread stack: neither parsing nor
        // dropping recurses.
        let depth = limits::MAX_JSON_DEPTH;
        let deep = format!(
            "{}0{}",
            "[{\"k\":".repeat(depth / 2),
            "}]".repeat(depth / 2)
        );
        let worker = std::thread::Builder::new()
            .stack_size(64 * 1024)
            .spawn(move || {
                let doc = parse(&deep).unwrap();
                assert!(doc.is_array());
                // Half-way failures drop what they built without recursion too.
                let cut = &deep[..deep.len() - 3];
                assert!(parse(cut).is_err());
            })
            .unwrap();
        worker.join().unwrap();
        let too_deep = format!("{}{}", "[".repeat(depth + 1), "]".repeat(depth + 1));
        assert!(matches!(
            parse(&too_deep),
            Err(JsonFailure::Limit(LimitHit::JsonDepth))
        ));
    }
}
