//! Symbolic values on the pickle stack.
//!
//! Values are shared (`Rc`), so DUP, GET and memo fan-out cost nothing (no billion
//! laughs inside the scanner). Only dicts and lists are mutable; when one is put inside
//! another value it is frozen into a snapshot, and immutable values deeper than
//! [`MAX_VALUE_DEPTH`] become [`Value::Opaque`]. That keeps every value tree shallow, so
//! dropping one can never recurse deeply, whatever the input.

use std::cell::RefCell;
use std::rc::Rc;

pub(crate) const MAX_VALUE_DEPTH: u8 = 12;
/// Items kept per container; the rest are counted, not stored.
pub(crate) const MAX_TRACKED_ITEMS: usize = 32;
/// Longest string kept verbatim (module and attribute names are far shorter).
pub(crate) const MAX_KEPT_STRING: usize = 4096;
/// Bytes kept from the start of a bytes value.
pub(crate) const MAX_KEPT_BYTES: usize = 64;

#[derive(Debug, Clone)]
pub enum Value {
    None,
    Bool(bool),
    Int(i64),
    BigInt,
    Float,
    Str(Rc<String>),
    /// A string too long to keep; only its length is known.
    LongStr(u64),
    /// The first bytes of a bytes value and its full length.
    Bytes(Rc<(Vec<u8>, u64)>),
    Tuple(Rc<Vec<Value>>, u8),
    List(Rc<RefCell<Container>>),
    Dict(Rc<RefCell<Container>>),
    Set(Rc<RefCell<Container>>),
    /// Immutable snapshot of a list, set or dict put inside another value.
    Frozen(Rc<Vec<Value>>, u8),
    /// An imported global: index into the walker's global table.
    Global(u32),
    /// A global whose name cannot be known statically (dynamic STACK_GLOBAL, EXT codes).
    Dynamic,
    /// The result of calling or instantiating something.
    Object(Rc<Object>),
    Persistent(Rc<Value>),
    Buffer,
    /// Something too deep or too large to track.
    Opaque,
}

// Values are moved on every opcode: keep them two words wide.
const _: () = assert!(std::mem::size_of::<Value>() == 16);

#[derive(Debug, Default)]
pub struct Container {
    /// Items (lists, sets) or alternating key, value (dicts), capped at [`MAX_TRACKED_ITEMS`] pairs.
    pub items: Vec<Value>,
    pub count: u64,
}

#[derive(Debug)]
pub struct Object {
    pub callee: Value,
    pub args: Value,
    /// For numpy dtypes: whether BUILD state or arguments say the dtype holds objects.
    pub has_object_fields: std::cell::Cell<bool>,
}

impl Value {
    pub fn depth(&self) -> u8 {
        match self {
            Value::Tuple(_, d) | Value::Frozen(_, d) => *d,
            Value::Object(o) => 1 + o.callee.depth().max(o.args.depth()),
            Value::Persistent(v) => 1 + v.depth(),
            _ => 0,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s.as_str()),
            _ => None,
        }
    }

    pub(crate) fn as_int(&self) -> Option<i64> {
        match self {
            Value::Int(i) => Some(*i),
            Value::Bool(b) => Some(i64::from(*b)),
            _ => None,
        }
    }

    /// Items of a tuple or frozen snapshot.
    pub(crate) fn items(&self) -> Option<Vec<Value>> {
        match self {
            Value::Tuple(v, _) | Value::Frozen(v, _) => Some(v.as_ref().clone()),
            Value::List(c) | Value::Set(c) | Value::Dict(c) => Some(c.borrow().items.clone()),
            _ => None,
        }
    }

    /// Converts a value for storage inside another: mutable containers are frozen, and
    /// anything that would exceed the depth bound becomes opaque.
    pub(crate) fn contained(self) -> Value {
        let v = match self {
            Value::List(c) | Value::Set(c) | Value::Dict(c) => {
                let c = c.borrow();
                let depth = 1 + c.items.iter().map(Value::depth).max().unwrap_or(0);
                Value::Frozen(Rc::new(c.items.clone()), depth)
            }
            other => other,
        };
        if v.depth() > MAX_VALUE_DEPTH {
            Value::Opaque
        } else {
            v
        }
    }

    pub(crate) fn tuple(items: Vec<Value>) -> Value {
        let kept: Vec<Value> = items
            .into_iter()
            .take(MAX_TRACKED_ITEMS)
            .map(Value::contained)
            .collect();
        let depth = 1 + kept.iter().map(Value::depth).max().unwrap_or(0);
        Value::Tuple(Rc::new(kept), depth)
    }

    pub fn container(items: Vec<Value>, pairs: bool) -> Rc<RefCell<Container>> {
        let count = if pairs { items.len() / 2 } else { items.len() } as u64;
        let limit = if pairs {
            MAX_TRACKED_ITEMS * 2
        } else {
            MAX_TRACKED_ITEMS
        };
        let kept = items
            .into_iter()
            .take(limit)
            .map(Value::contained)
            .collect();
        Rc::new(RefCell::new(Container { items: kept, count }))
    }

    /// Looks a string key up in a dict or frozen dict.
    pub(crate) fn dict_get(&self, key: &str) -> Option<Value> {
        let items = self.items()?;
        items
            .chunks_exact(2)
            .find(|pair| pair[0].as_str() == Some(key))
            .map(|pair| pair[1].clone())
    }
}

impl Container {
    /// Adds an item; the caller converts it with [`Value::contained`] first, before
    /// borrowing the container (an item may be the container itself).
    pub(crate) fn push_item(&mut self, contained: Value) {
        if self.items.len() < MAX_TRACKED_ITEMS {
            self.items.push(contained);
        }
        self.count += 1;
    }

    /// Adds a pair of already contained values (see [`Container::push_item`]).
    pub(crate) fn push_pair(&mut self, key: Value, value: Value) {
        if self.items.len() + 2 <= MAX_TRACKED_ITEMS * 2 {
            self.items.push(key);
            self.items.push(value);
        }
        self.count += 1;
    }
}
