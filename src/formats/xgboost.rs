//! XGBoost models saved by `Booster.save_model`: JSON (`.json`) and Universal Binary JSON
//! (`.ubj`, the default since XGBoost 2.1). Both hold data only, so the check is that the
//! structure is what XGBoost writes: every tree's child, parent and feature indices lie
//! inside the tree and the model, and the arrays of a tree agree on its size.
//!
//! Both encodings are read as a stream of tokens with constant memory: strings are kept
//! only up to [`KEPT_STRING_BYTES`], arrays are never collected, and each tree is reduced to
//! the lengths and ranges of its index arrays.

use std::collections::BTreeMap;

use crate::findings::Finding;
use crate::format::Parsed;
use crate::limits::{self, LimitHit};
use crate::rules;
use crate::source::{ByteStream, SkipRead};

/// Longest key or string value kept; longer ones are read through and cut.
const KEPT_STRING_BYTES: usize = 256;

/// One token of either encoding.
#[derive(Debug, Clone, PartialEq)]
enum Token {
    ObjectStart,
    ObjectEnd,
    ArrayStart,
    ArrayEnd,
    Key(String),
    Str(String),
    Int(i64),
    Float,
    Bool,
    Null,
}

#[derive(Debug)]
enum Stop {
    Malformed(String),
    Truncated(&'static str),
    Limit(LimitHit),
}

type Step<T> = Result<T, Stop>;

// ---------------------------------------------------------------- JSON tokens

/// Where a JSON reader is inside its current container.
#[derive(Debug, Clone, Copy, PartialEq)]
enum JsonAt {
    /// After `{`: a key or `}`.
    ObjectFirst,
    /// After a value in an object: `,` or `}`.
    ObjectNext,
    /// After `[`: a value or `]`.
    ArrayFirst,
    /// After a value in an array: `,` or `]`.
    ArrayNext,
}

struct JsonTokens<'s, R: SkipRead> {
    stream: &'s mut ByteStream<R>,
    stack: Vec<JsonAt>,
    /// A value is expected next (after `:` or `,` in an array, or at the start).
    want_value: bool,
    done: bool,
}

impl<'s, R: SkipRead> JsonTokens<'s, R> {
    fn new(stream: &'s mut ByteStream<R>) -> Self {
        JsonTokens {
            stream,
            stack: Vec::new(),
            want_value: true,
            done: false,
        }
    }

    fn peek(&mut self) -> Option<u8> {
        loop {
            let b = *self.stream.fill(1).first()?;
            if matches!(b, b' ' | b'\t' | b'\n' | b'\r') {
                self.stream.consume(1);
            } else {
                return Some(b);
            }
        }
    }

    fn expect_byte(&mut self, want: u8, what: &'static str) -> Step<()> {
        match self.peek() {
            Some(b) if b == want => {
                self.stream.consume(1);
                Ok(())
            }
            Some(b) => Err(Stop::Malformed(format!(
                "expected {what} at byte {}, found {:?}",
                self.stream.position(),
                b as char
            ))),
            None => Err(Stop::Truncated(what)),
        }
    }

    /// A string after its opening quote: escapes are checked, the first
    /// [`KEPT_STRING_BYTES`] bytes kept.
    fn string(&mut self) -> Step<String> {
        let mut kept = Vec::new();
        loop {
            let buf = self.stream.fill(1);
            if buf.is_empty() {
                return Err(Stop::Truncated("string"));
            }
            let run = buf
                .iter()
                .position(|&b| b == b'"' || b == b'\\' || b < 0x20)
                .unwrap_or(buf.len());
            let room = KEPT_STRING_BYTES.saturating_sub(kept.len()).min(run);
            kept.extend_from_slice(&buf[..room]);
            if run == buf.len() {
                self.stream.consume(run);
                continue;
            }
            let stop = buf[run];
            self.stream.consume(run + 1);
            match stop {
                b'"' => return Ok(String::from_utf8_lossy(&kept).into_owned()),
                b'\\' => {
                    let esc = self.stream.fill(1).first().copied();
                    match esc {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.stream.consume(1);
                            if kept.len() < KEPT_STRING_BYTES {
                                kept.push(b'?');
                            }
                        }
                        Some(b'u') => {
                            self.stream.consume(1);
                            let hex = self.stream.fill(4);
                            if hex.len() < 4 {
                                return Err(Stop::Truncated("string escape"));
                            }
                            if !hex[..4].iter().all(u8::is_ascii_hexdigit) {
                                return Err(Stop::Malformed("invalid \\u escape".into()));
                            }
                            self.stream.consume(4);
                            if kept.len() < KEPT_STRING_BYTES {
                                kept.push(b'?');
                            }
                        }
                        Some(_) => return Err(Stop::Malformed("invalid string escape".into())),
                        None => return Err(Stop::Truncated("string escape")),
                    }
                }
                _ => return Err(Stop::Malformed("control character in a string".into())),
            }
        }
    }

    /// A number or literal starting at the next byte.
    fn scalar(&mut self) -> Step<Token> {
        let mut text = Vec::new();
        loop {
            let buf = self.stream.fill(1);
            let Some(&b) = buf.first() else { break };
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'+' | b'.') {
                if text.len() >= 64 {
                    return Err(Stop::Malformed("a number longer than 64 characters".into()));
                }
                text.push(b);
                self.stream.consume(1);
            } else {
                break;
            }
        }
        let text = std::str::from_utf8(&text).unwrap_or("");
        match text {
            "true" | "false" => Ok(Token::Bool),
            "null" => Ok(Token::Null),
            _ if is_json_number(text) => Ok(match text.parse::<i64>() {
                Ok(i) => Token::Int(i),
                Err(_) => Token::Float,
            }),
            "" => Err(Stop::Truncated("value")),
            _ => Err(Stop::Malformed(format!("`{text}` is not a JSON value"))),
        }
    }

    fn value(&mut self) -> Step<Token> {
        let Some(b) = self.peek() else {
            return Err(Stop::Truncated("value"));
        };
        self.want_value = false;
        match b {
            b'{' => {
                self.stream.consume(1);
                self.open(JsonAt::ObjectFirst)?;
                Ok(Token::ObjectStart)
            }
            b'[' => {
                self.stream.consume(1);
                self.open(JsonAt::ArrayFirst)?;
                Ok(Token::ArrayStart)
            }
            b'"' => {
                self.stream.consume(1);
                let s = self.string()?;
                self.after_value();
                Ok(Token::Str(s))
            }
            _ => {
                let t = self.scalar()?;
                self.after_value();
                Ok(t)
            }
        }
    }

    fn open(&mut self, at: JsonAt) -> Step<()> {
        if self.stack.len() >= limits::MAX_TREE_MODEL_DEPTH {
            return Err(Stop::Limit(LimitHit::TreeModelDepth));
        }
        self.stack.push(at);
        Ok(())
    }

    fn after_value(&mut self) {
        match self.stack.last_mut() {
            Some(at @ (JsonAt::ObjectFirst | JsonAt::ObjectNext)) => *at = JsonAt::ObjectNext,
            Some(at) => *at = JsonAt::ArrayNext,
            None => self.done = true,
        }
    }

    /// Consumes the closing `}` or `]` the caller saw.
    fn close(&mut self) -> Token {
        self.stream.consume(1);
        let was = self.stack.pop();
        self.after_value();
        match was {
            Some(JsonAt::ObjectFirst | JsonAt::ObjectNext) => Token::ObjectEnd,
            _ => Token::ArrayEnd,
        }
    }

    /// The next token, or `None` after the top-level value (trailing whitespace only).
    fn next(&mut self) -> Step<Option<Token>> {
        if self.done {
            return match self.peek() {
                None => Ok(None),
                Some(_) => Err(Stop::Malformed("data after the top-level value".into())),
            };
        }
        if self.want_value {
            return self.value().map(Some);
        }
        let at = *self
            .stack
            .last()
            .expect("inside a container when no value is due");
        let b = self.peek().ok_or(Stop::Truncated("object or array"))?;
        match (at, b) {
            (JsonAt::ObjectFirst | JsonAt::ObjectNext, b'}') => Ok(Some(self.close())),
            (JsonAt::ArrayFirst | JsonAt::ArrayNext, b']') => Ok(Some(self.close())),
            (JsonAt::ObjectFirst, b'"') | (JsonAt::ObjectNext, b',') => {
                if b == b',' {
                    self.stream.consume(1);
                    self.expect_byte(b'"', "a key")?;
                } else {
                    self.stream.consume(1);
                }
                let key = self.string()?;
                self.expect_byte(b':', "`:`")?;
                self.want_value = true;
                Ok(Some(Token::Key(key)))
            }
            (JsonAt::ArrayNext, b',') => {
                self.stream.consume(1);
                self.value().map(Some)
            }
            (JsonAt::ArrayFirst, _) => self.value().map(Some),
            _ => Err(Stop::Malformed(format!(
                "unexpected {:?} at byte {}",
                b as char,
                self.stream.position()
            ))),
        }
    }
}

fn is_json_number(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let (int, rest) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    if int.is_empty() || (int.len() > 1 && int.starts_with('0')) {
        return false;
    }
    let rest = match rest.strip_prefix('.') {
        Some(r) => {
            let digits = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            if digits == 0 {
                return false;
            }
            &r[digits..]
        }
        None => rest,
    };
    match rest.strip_prefix(['e', 'E']) {
        Some(e) => {
            let e = e.strip_prefix(['+', '-']).unwrap_or(e);
            !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit())
        }
        None => rest.is_empty(),
    }
}

// ---------------------------------------------------------------- UBJSON tokens

/// An open UBJSON container: counted (a `#` count, optionally with a `$` element type) or
/// ended by a marker.
#[derive(Debug, Clone, Copy)]
struct UbjOpen {
    object: bool,
    /// Values left in a counted container.
    left: Option<u64>,
    /// The element type of a typed container (`$`).
    typed: Option<u8>,
    /// In an object: the next item is a key.
    key_next: bool,
}

struct UbjTokens<'s, R: SkipRead> {
    stream: &'s mut ByteStream<R>,
    stack: Vec<UbjOpen>,
    done: bool,
}

impl<'s, R: SkipRead> UbjTokens<'s, R> {
    fn new(stream: &'s mut ByteStream<R>) -> Self {
        UbjTokens {
            stream,
            stack: Vec::new(),
            done: false,
        }
    }

    fn byte(&mut self, what: &'static str) -> Step<u8> {
        let b = *self.stream.fill(1).first().ok_or(Stop::Truncated(what))?;
        self.stream.consume(1);
        Ok(b)
    }

    fn fixed<const N: usize>(&mut self, what: &'static str) -> Step<[u8; N]> {
        let buf = self.stream.fill(N);
        if buf.len() < N {
            return Err(Stop::Truncated(what));
        }
        let out: [u8; N] = buf[..N].try_into().expect("N bytes");
        self.stream.consume(N);
        Ok(out)
    }

    /// An integer of the given marker (UBJSON is big-endian).
    fn int_of(&mut self, marker: u8) -> Step<Option<i64>> {
        Ok(Some(match marker {
            b'i' => i64::from(self.fixed::<1>("int8")?[0] as i8),
            b'U' => i64::from(self.fixed::<1>("uint8")?[0]),
            b'I' => i64::from(i16::from_be_bytes(self.fixed("int16")?)),
            b'l' => i64::from(i32::from_be_bytes(self.fixed("int32")?)),
            b'L' => i64::from_be_bytes(self.fixed("int64")?),
            _ => return Ok(None),
        }))
    }

    fn length(&mut self, what: &'static str) -> Step<u64> {
        let marker = self.byte(what)?;
        match self.int_of(marker)? {
            Some(n) if n >= 0 => Ok(n as u64),
            Some(n) => Err(Stop::Malformed(format!("negative {what} {n}"))),
            None => Err(Stop::Malformed(format!(
                "{what} has no integer marker ({:?})",
                marker as char
            ))),
        }
    }

    fn string_of(&mut self, len: u64) -> Step<String> {
        let keep = usize::try_from(len)
            .unwrap_or(usize::MAX)
            .min(KEPT_STRING_BYTES);
        let kept = self.stream.read_bytes(keep);
        if kept.len() < keep || self.stream.skip(len - keep as u64) < len - keep as u64 {
            return Err(Stop::Truncated("string"));
        }
        Ok(String::from_utf8_lossy(&kept).into_owned())
    }

    /// A value of a known marker.
    fn value_of(&mut self, marker: u8) -> Step<Token> {
        if let Some(i) = self.int_of(marker)? {
            return Ok(Token::Int(i));
        }
        Ok(match marker {
            b'd' => {
                self.fixed::<4>("float32")?;
                Token::Float
            }
            b'D' => {
                self.fixed::<8>("float64")?;
                Token::Float
            }
            b'T' | b'F' => Token::Bool,
            b'Z' => Token::Null,
            b'C' => {
                self.fixed::<1>("char")?;
                Token::Str(String::new())
            }
            b'S' | b'H' => {
                let len = self.length("string length")?;
                Token::Str(self.string_of(len)?)
            }
            b'{' | b'[' => {
                let object = marker == b'{';
                let mut open = UbjOpen {
                    object,
                    left: None,
                    typed: None,
                    key_next: object,
                };
                let next = self.stream.fill(1).first().copied();
                if next == Some(b'$') {
                    self.stream.consume(1);
                    let t = self.byte("container type")?;
                    // T, F and Z take no bytes: a count of them would cost time without
                    // input. XGBoost never writes them typed.
                    if !b"iUIlLdDCSH".contains(&t) {
                        return Err(Stop::Malformed(format!(
                            "container element type {:?}",
                            t as char
                        )));
                    }
                    open.typed = Some(t);
                    if self.byte("container count")? != b'#' {
                        return Err(Stop::Malformed("a typed container without a count".into()));
                    }
                    open.left = Some(self.length("container count")?);
                } else if next == Some(b'#') {
                    self.stream.consume(1);
                    open.left = Some(self.length("container count")?);
                }
                if self.stack.len() >= limits::MAX_TREE_MODEL_DEPTH {
                    return Err(Stop::Limit(LimitHit::TreeModelDepth));
                }
                self.stack.push(open);
                if object {
                    Token::ObjectStart
                } else {
                    Token::ArrayStart
                }
            }
            other => {
                return Err(Stop::Malformed(format!(
                    "unknown UBJSON marker {:?} at byte {}",
                    other as char,
                    self.stream.position() - 1
                )))
            }
        })
    }

    fn close(&mut self) -> Token {
        let open = self.stack.pop().expect("closing an open container");
        if self.stack.is_empty() {
            self.done = true;
        }
        if open.object {
            Token::ObjectEnd
        } else {
            Token::ArrayEnd
        }
    }

    fn next(&mut self) -> Step<Option<Token>> {
        if self.done {
            return Ok(None);
        }
        let Some(top) = self.stack.last().copied() else {
            let marker = loop {
                let m = self.byte("value")?;
                if m != b'N' {
                    break m;
                }
            };
            let t = self.value_of(marker)?;
            if self.stack.is_empty() {
                self.done = true;
            }
            return Ok(Some(t));
        };
        // A counted container ends after its last value (an object's count is of pairs).
        if top.left == Some(0) && (top.key_next || !top.object) {
            return Ok(Some(self.close()));
        }
        if top.object && top.key_next {
            if top.left.is_none() {
                let peek = self.stream.fill(1).first().copied();
                match peek {
                    Some(b'}') => {
                        self.stream.consume(1);
                        return Ok(Some(self.close()));
                    }
                    Some(b'N') => {
                        self.stream.consume(1);
                        return self.next();
                    }
                    None => return Err(Stop::Truncated("object")),
                    _ => {}
                }
            }
            let len = self.length("key length")?;
            let key = self.string_of(len)?;
            if let Some(open) = self.stack.last_mut() {
                open.key_next = false;
            }
            return Ok(Some(Token::Key(key)));
        }
        // A value of an array, or of an object after its key.
        let marker = match top.typed {
            Some(t) => t,
            None => loop {
                let m = self.byte("value")?;
                if m == b'N' {
                    continue;
                }
                if top.left.is_none() && m == if top.object { b'}' } else { b']' } {
                    return Ok(Some(self.close()));
                }
                break m;
            },
        };
        if let Some(open) = self.stack.last_mut() {
            if let Some(left) = open.left.as_mut() {
                *left -= 1;
            }
            open.key_next = open.object;
        }
        self.value_of(marker).map(Some)
    }
}

// ---------------------------------------------------------------- the model check

/// Lengths and ranges of one index array of a tree.
#[derive(Debug, Default, Clone, Copy)]
struct Span {
    len: u64,
    min: i64,
    max: i64,
}

impl Span {
    fn add(&mut self, v: i64) {
        if self.len == 0 {
            (self.min, self.max) = (v, v);
        } else {
            self.min = self.min.min(v);
            self.max = self.max.max(v);
        }
        self.len += 1;
    }
}

#[derive(Debug, Default)]
struct Tree {
    num_nodes: Option<i64>,
    arrays: BTreeMap<&'static str, Span>,
}

const TREE_INDEX_ARRAYS: &[&str] = &[
    "left_children",
    "right_children",
    "parents",
    "split_indices",
    "categories_nodes",
];
const TREE_NODE_ARRAYS: &[&str] = &[
    "left_children",
    "right_children",
    "parents",
    "split_indices",
    "split_conditions",
    "default_left",
    "base_weights",
    "loss_changes",
    "sum_hessian",
];

/// One open container on the way to the current token; an object keeps its current key.
#[derive(Debug)]
struct Frame {
    object: bool,
    key: Option<String>,
}

#[derive(Default)]
struct Model {
    frames: Vec<Frame>,
    top_keys: Vec<String>,
    version: Vec<i64>,
    booster: Option<String>,
    objective: Option<String>,
    num_feature: Option<i64>,
    num_class: Option<i64>,
    trees: u64,
    tree: Option<Tree>,
    /// The largest split feature index over all trees, and the tree holding it.
    max_split_index: Option<(i64, u64)>,
    out_of_range: Vec<String>,
    malformed: Vec<String>,
}

impl Model {
    /// The path to the current token: object keys, and `#` for array items.
    fn path(&self) -> Vec<&str> {
        self.frames
            .iter()
            .map(|f| match (f.object, &f.key) {
                (true, Some(k)) => k.as_str(),
                (true, None) => "",
                (false, _) => "#",
            })
            .collect()
    }

    /// At an item of an array keyed `trees` (any booster nests its trees that way).
    fn at_tree_item(&self) -> bool {
        matches!(self.path().as_slice(), [.., "trees", "#"])
    }

    fn value_done(&mut self) {
        if let Some(f) = self.frames.last_mut() {
            if f.object {
                f.key = None;
            }
        }
    }

    fn token(&mut self, t: Token) {
        match t {
            Token::Key(k) => {
                if self.frames.len() == 1 && self.top_keys.len() < 16 {
                    self.top_keys.push(k.clone());
                }
                if let Some(f) = self.frames.last_mut() {
                    f.key = Some(k);
                }
            }
            Token::ObjectStart => {
                if self.at_tree_item() {
                    self.tree = Some(Tree::default());
                }
                self.frames.push(Frame {
                    object: true,
                    key: None,
                });
            }
            Token::ArrayStart => self.frames.push(Frame {
                object: false,
                key: None,
            }),
            Token::ObjectEnd | Token::ArrayEnd => {
                self.frames.pop();
                if t == Token::ObjectEnd && self.at_tree_item() {
                    self.end_tree();
                }
                self.value_done();
            }
            scalar => {
                self.scalar(&scalar);
                self.value_done();
            }
        }
    }

    fn scalar(&mut self, t: &Token) {
        let text = match t {
            Token::Str(s) => Some(s.clone()),
            _ => None,
        };
        // XGBoost writes most counts as strings ("num_nodes": "7").
        let number = match t {
            Token::Int(i) => Some(*i),
            Token::Str(s) => s.parse::<i64>().ok(),
            _ => None,
        };
        let path = self.path();
        let mut array_item: Option<&'static str> = None;
        let mut num_nodes = false;
        match path.as_slice() {
            ["version", "#"] => {
                if let Token::Int(i) = t {
                    self.version.push(*i);
                }
            }
            ["learner", "gradient_booster", "name"] => self.booster = text,
            ["learner", "objective", "name"] => self.objective = text,
            ["learner", "learner_model_param", "num_feature"] => self.num_feature = number,
            ["learner", "learner_model_param", "num_class"] => self.num_class = number,
            [.., "trees", "#", "tree_param", "num_nodes"] => num_nodes = true,
            [.., "trees", "#", array, "#"] => {
                array_item = TREE_NODE_ARRAYS
                    .iter()
                    .chain(TREE_INDEX_ARRAYS)
                    .find(|a| *a == array)
                    .copied();
            }
            _ => {}
        }
        let Some(tree) = self.tree.as_mut() else {
            return;
        };
        if num_nodes {
            tree.num_nodes = number;
        }
        if let Some(array) = array_item {
            let mut v = if let Token::Int(i) = t { *i } else { 0 };
            // XGBoost writes the root's parent as its invalid node id, i32::MAX.
            if array == "parents" && v == i64::from(i32::MAX) {
                v = -1;
            }
            tree.arrays.entry(array).or_default().add(v);
        }
    }

    fn end_tree(&mut self) {
        let Some(tree) = self.tree.take() else { return };
        let index = self.trees;
        self.trees += 1;
        let Some(nodes) = tree.num_nodes else {
            self.malformed
                .push(format!("tree {index} has no tree_param.num_nodes"));
            return;
        };
        if nodes < 1 {
            self.malformed
                .push(format!("tree {index} declares {nodes} nodes"));
            return;
        }
        for (name, span) in &tree.arrays {
            if TREE_NODE_ARRAYS.contains(name) && span.len != nodes as u64 {
                self.malformed.push(format!(
                    "tree {index}: {name} has {} entries for {nodes} nodes",
                    span.len
                ));
            }
        }
        for child in ["left_children", "right_children", "parents"] {
            if let Some(s) = tree.arrays.get(child) {
                // -1 marks a leaf (and the root's parent); anything else is a node index.
                if s.len > 0 && (s.min < -1 || s.max >= nodes) {
                    let bad = if s.min < -1 { s.min } else { s.max };
                    self.out_of_range.push(format!(
                        "tree {index}: {child} holds {bad} in a tree of {nodes} nodes"
                    ));
                }
            }
        }
        if let Some(s) = tree.arrays.get("categories_nodes") {
            if s.len > 0 && (s.min < 0 || s.max >= nodes) {
                let bad = if s.min < 0 { s.min } else { s.max };
                self.out_of_range.push(format!(
                    "tree {index}: categories_nodes names node {bad} of {nodes}"
                ));
            }
        }
        if let Some(s) = tree.arrays.get("split_indices") {
            if s.len > 0 {
                if s.min < 0 {
                    self.out_of_range
                        .push(format!("tree {index}: split feature index {}", s.min));
                }
                if self.max_split_index.is_none_or(|(m, _)| s.max > m) {
                    self.max_split_index = Some((s.max, index));
                }
            }
        }
    }

    /// The findings and facts, once the whole model has been read.
    /// `whole`: the walk reached the end of the model (a cut file misses sections that
    /// are not wrong).
    fn finish(self, out: &mut Parsed, encoding: &'static str, whole: bool) {
        out.fact("encoding", encoding);
        if !self.version.is_empty() {
            let v: Vec<String> = self.version.iter().map(i64::to_string).collect();
            out.fact("xgboost_version", v.join("."));
        }
        if let Some(b) = &self.booster {
            out.fact("booster", b);
        }
        if let Some(o) = &self.objective {
            out.fact("objective", o);
        }
        if let Some(n) = self.num_feature {
            out.fact("num_feature", n);
        }
        if let Some(n) = self.num_class {
            out.fact("num_class", n);
        }
        out.fact("trees", self.trees);
        let mut malformed = self.malformed;
        for key in ["learner", "version"] {
            if whole && !self.top_keys.iter().any(|k| k == key) {
                malformed.push(format!("the model has no `{key}`"));
            }
        }
        let mut out_of_range = self.out_of_range;
        if let (Some((max, tree)), Some(features)) = (self.max_split_index, self.num_feature) {
            // num_feature 0 is written by models trained without feature information.
            if features > 0 && max >= features {
                out_of_range.push(format!(
                    "tree {tree} splits on feature {max}; the model has {features} features"
                ));
            }
        }
        report(out, malformed, out_of_range);
    }
}

fn report(out: &mut Parsed, malformed: Vec<String>, out_of_range: Vec<String>) {
    for m in malformed {
        out.push(Finding::new(&rules::TREE_MODEL_MALFORMED, m));
    }
    for m in out_of_range {
        out.push(Finding::new(&rules::TREE_MODEL_INDEX_OUT_OF_RANGE, m));
    }
}

/// A token reader of either encoding.
trait Tokens {
    fn next_token(&mut self) -> Step<Option<Token>>;
    fn position(&self) -> u64;
}

impl<R: SkipRead> Tokens for JsonTokens<'_, R> {
    fn next_token(&mut self) -> Step<Option<Token>> {
        self.next()
    }
    fn position(&self) -> u64 {
        self.stream.position()
    }
}

impl<R: SkipRead> Tokens for UbjTokens<'_, R> {
    fn next_token(&mut self) -> Step<Option<Token>> {
        self.next()
    }
    fn position(&self) -> u64 {
        self.stream.position()
    }
}

fn run(tokens: &mut dyn Tokens, out: &mut Parsed, encoding: &'static str) {
    let mut model = Model::default();
    let result = loop {
        match tokens.next_token() {
            Ok(Some(t)) => model.token(t),
            Ok(None) => break Ok(()),
            Err(stop) => break Err(stop),
        }
    };
    let at = tokens.position();
    model.finish(out, encoding, result.is_ok());
    match result {
        Ok(()) => {}
        Err(Stop::Malformed(why)) => {
            out.push(Finding::new(&rules::TREE_MODEL_MALFORMED, why.clone()).offset(at));
            out.incomplete(format!(
                "XGBoost model not understood past byte {at}: {why}"
            ));
        }
        Err(Stop::Truncated(what)) => out.incomplete(format!(
            "truncated XGBoost model: the file ends inside a {what}"
        )),
        Err(Stop::Limit(hit)) => out.limit(hit),
    }
}

/// The registry's entry point for XGBoost JSON models.
fn parse_json(
    stream: &mut crate::format::DynStream<'_>,
    _: &crate::format::ParseContext<'_>,
    out: &mut Parsed,
) {
    run(&mut JsonTokens::new(stream), out, "json")
}

/// The registry's entry point for XGBoost UBJSON models.
fn parse_ubj(
    stream: &mut crate::format::DynStream<'_>,
    _: &crate::format::ParseContext<'_>,
    out: &mut Parsed,
) {
    run(&mut UbjTokens::new(stream), out, "ubjson")
}

/// For tests and fuzzing: the JSON reading of `stream`.
pub(crate) fn scan_json<R: SkipRead>(stream: &mut ByteStream<R>) -> Parsed {
    let mut out = Parsed::default();
    run(&mut JsonTokens::new(stream), &mut out, "json");
    out
}

/// For tests and fuzzing: the UBJSON reading of `stream`.
pub(crate) fn scan_ubj<R: SkipRead>(stream: &mut ByteStream<R>) -> Parsed {
    let mut out = Parsed::default();
    run(&mut UbjTokens::new(stream), &mut out, "ubjson");
    out
}

/// `{"learner":` after optional whitespace: how every XGBoost JSON model starts.
fn looks_like_json_model(b: &[u8]) -> bool {
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    let rest = &b[start..];
    let Some(rest) = rest.strip_prefix(b"{") else {
        return false;
    };
    let i = rest
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(rest.len());
    rest[i..].starts_with(b"\"learner\"")
}

/// `{` then the key `learner` with any UBJSON integer length marker.
fn looks_like_ubj_model(b: &[u8]) -> bool {
    let Some(rest) = b.strip_prefix(b"{") else {
        return false;
    };
    let key_at = match rest.first() {
        Some(b'i' | b'U') => 2,
        Some(b'I') => 3,
        Some(b'l') => 5,
        Some(b'L') => 9,
        _ => return false,
    };
    rest.len() >= key_at + 7
        && rest[key_at - 1] == 7
        && rest[1..key_at - 1].iter().all(|&z| z == 0)
        && &rest[key_at..key_at + 7] == b"learner"
}

pub(crate) static JSON_FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::XgboostJson,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| looks_like_json_model(b).then_some(crate::format::Evidence::Structure),
    tail: None,
    claimed_by: &[],
    exclusive_names: &[],
    parse: crate::format::Parser::Stream(parse_json),
};

pub(crate) static UBJ_FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::XgboostUbj,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| looks_like_ubj_model(b).then_some(crate::format::Evidence::Structure),
    tail: None,
    claimed_by: &["ubj"],
    exclusive_names: &["ubj"],
    parse: crate::format::Parser::Stream(parse_ubj),
};

#[cfg(test)]
mod tests {
    use super::*;

    /// Every token a reader gives, and the error that stopped it.
    fn all(t: &mut dyn Tokens) -> (Vec<Token>, Option<String>) {
        let mut out = Vec::new();
        loop {
            match t.next_token() {
                Ok(Some(tok)) => out.push(tok),
                Ok(None) => return (out, None),
                Err(e) => return (out, Some(format!("{e:?}"))),
            }
        }
    }

    fn tokens(json: &[u8]) -> (Vec<Token>, Option<String>) {
        all(&mut JsonTokens::new(&mut ByteStream::new(json)))
    }

    #[test]
    fn json_tokens_follow_the_grammar() {
        let (t, err) = tokens(br#"{"a":[1,{"b":"x\"y"},[]],"c":{}}"#);
        assert_eq!(err, None, "{t:?}");
        assert_eq!(t.len(), 15, "{t:?}");
        for bad in [
            &b"{\"a\" 1}"[..],
            b"[1,]",
            b"{\"a\":1,}",
            b"[1 2]",
            b"{} {}",
            b"[01]",
        ] {
            assert!(tokens(bad).1.is_some(), "{}", String::from_utf8_lossy(bad));
        }
    }

    fn ubj_tokens(bytes: &[u8]) -> (Vec<Token>, Option<String>) {
        all(&mut UbjTokens::new(&mut ByteStream::new(bytes)))
    }

    #[test]
    fn ubjson_tokens_read_typed_counted_and_ended_containers() {
        // {"a": [$l#i 2 <int32 7> <int32 -1>], "b": {#i 1 "c" T}, "d": [S i 1 "x" ]}
        let mut b = b"{i\x01a[$l#i\x02".to_vec();
        b.extend(7i32.to_be_bytes());
        b.extend((-1i32).to_be_bytes());
        b.extend(b"i\x01b{#i\x01i\x01cTi\x01d[Si\x01x]}");
        let (t, err) = ubj_tokens(&b);
        assert_eq!(err, None, "{t:?}");
        assert_eq!(
            t,
            vec![
                Token::ObjectStart,
                Token::Key("a".into()),
                Token::ArrayStart,
                Token::Int(7),
                Token::Int(-1),
                Token::ArrayEnd,
                Token::Key("b".into()),
                Token::ObjectStart,
                Token::Key("c".into()),
                Token::Bool,
                Token::ObjectEnd,
                Token::Key("d".into()),
                Token::ArrayStart,
                Token::Str("x".into()),
                Token::ArrayEnd,
                Token::ObjectEnd,
            ]
        );
        // A count larger than the file: the reader runs out, it does not allocate.
        let (_, err) = ubj_tokens(b"[$d#L\x7f\xff\xff\xff\xff\xff\xff\xff\x00\x00");
        assert!(err.unwrap().contains("Truncated"));
        assert!(ubj_tokens(b"{i\x01a?").1.unwrap().contains("Malformed"));
        // Elements that take no bytes cannot be counted into endless tokens.
        for t in [b'T', b'F', b'Z'] {
            let mut b = b"[$".to_vec();
            b.push(t);
            b.extend(b"#L\x7f\xff\xff\xff\xff\xff\xff\xff");
            assert!(
                ubj_tokens(&b).1.unwrap().contains("Malformed"),
                "{}",
                t as char
            );
        }
    }

    #[test]
    fn nesting_past_the_limit_is_a_named_limit() {
        let deep = "[".repeat(limits::MAX_TREE_MODEL_DEPTH + 1);
        let p = scan_json(&mut ByteStream::new(deep.as_bytes()));
        assert!(p.incomplete.unwrap().contains("MAX_TREE_MODEL_DEPTH"));
        let deep = b"[".repeat(limits::MAX_TREE_MODEL_DEPTH + 1);
        let p = scan_ubj(&mut ByteStream::new(&deep[..]));
        assert!(p.incomplete.unwrap().contains("MAX_TREE_MODEL_DEPTH"));
    }

    #[test]
    fn recognises_both_encodings_by_their_first_key() {
        assert!(looks_like_json_model(b" {\n \"learner\": {"));
        assert!(!looks_like_json_model(b"{\"architectures\": []}"));
        assert!(looks_like_ubj_model(b"{L\0\0\0\0\0\0\0\x07learner{"));
        assert!(looks_like_ubj_model(b"{i\x07learner{"));
        assert!(!looks_like_ubj_model(b"{i\x06learne"));
    }
}
