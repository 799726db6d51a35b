//! The pickle memo, in memory that stays small however many slots a stream fills.
//!
//! An ordinary pickle can fill millions of slots: a pandas column of a million strings
//! memoizes each one. Kept whole, a million slots cost about 150 MB. So the first
//! [`limits::MAX_PICKLE_MEMO_VALUES`] values are kept whole and later slots keep four bytes
//! each, plus the text of short strings in one arena of at most
//! [`limits::MAX_PICKLE_MEMO_STRING_BYTES`]:
//! - an imported global keeps its identity (every judgement hangs on it: a later GET is
//!   still the same global, and mutating it is still seen);
//! - a string of up to [`MAX_ARENA_STRING`] bytes keeps its text (picklers fetch module
//!   and class names back from the memo for later imports), while the arena lasts;
//! - any other string becomes one of unknown text (used as a module or name it makes a
//!   dynamic import, itself a finding) and any other value becomes opaque.
//!
//! Slots are addressed densely, as CPython's C unpickler addresses its memo array (which
//! it grows to fit the highest index); an index from [`limits::MAX_PICKLE_MEMO`] on is a
//! limit hit.

use std::collections::HashMap;

use super::value::Value;
use crate::limits;

/// Per-slot codes: absent, kept whole in the map, a string of unknown text, another
/// value, then globals by id, then strings in the arena by span (high bit set).
const ABSENT: u32 = 0;
const KEPT: u32 = 1;
const STRING: u32 = 2;
const OTHER: u32 = 3;
const FIRST_GLOBAL: u32 = 4;
const ARENA_STRING: u32 = 1 << 31;
/// Longest string whose text a slot past the kept values still keeps (module paths and
/// names are far shorter).
const MAX_ARENA_STRING: usize = 256;

#[derive(Default)]
pub(super) struct Memo {
    codes: Vec<u32>,
    kept: HashMap<u64, Value>,
    arena: String,
    /// Where each arena string starts; it ends where the next one starts.
    starts: Vec<u32>,
    filled: usize,
}

pub(super) struct MemoFull;

impl Memo {
    /// Slots filled (what MEMOIZE uses as its index, as `len(memo)` does).
    pub(super) fn len(&self) -> usize {
        self.filled
    }

    pub(super) fn put(&mut self, idx: u64, v: Value) -> Result<(), MemoFull> {
        let slot = usize::try_from(idx)
            .ok()
            .filter(|&i| i < limits::MAX_PICKLE_MEMO)
            .ok_or(MemoFull)?;
        if slot >= self.codes.len() {
            self.codes.resize(slot + 1, ABSENT);
        }
        let before = self.codes[slot];
        let code = match v {
            Value::Global(g) => g.checked_add(FIRST_GLOBAL).ok_or(MemoFull)?,
            v if before == KEPT || self.kept.len() < limits::MAX_PICKLE_MEMO_VALUES => {
                self.kept.insert(idx, v);
                KEPT
            }
            Value::Str(text) => self.arena_string(&text).unwrap_or(STRING),
            Value::LongStr(_) => STRING,
            _ => OTHER,
        };
        if before == KEPT && code != KEPT {
            self.kept.remove(&idx);
        }
        if before == ABSENT {
            self.filled += 1;
        }
        self.codes[slot] = code;
        Ok(())
    }

    /// Keeps a short string's text in the arena while it has room.
    fn arena_string(&mut self, text: &str) -> Option<u32> {
        if text.len() > MAX_ARENA_STRING
            || self.arena.len() + text.len() > limits::MAX_PICKLE_MEMO_STRING_BYTES
        {
            return None;
        }
        let span = u32::try_from(self.starts.len())
            .ok()
            .filter(|&i| i < ARENA_STRING)?;
        let start = u32::try_from(self.arena.len()).ok()?;
        self.arena.push_str(text);
        self.starts.push(start);
        Some(ARENA_STRING | span)
    }

    pub(super) fn get(&self, idx: u64) -> Option<Value> {
        let code = *self.codes.get(usize::try_from(idx).ok()?)?;
        if code & ARENA_STRING != 0 {
            let span = (code & !ARENA_STRING) as usize;
            let start = *self.starts.get(span)? as usize;
            let end = self
                .starts
                .get(span + 1)
                .map_or(self.arena.len(), |&e| e as usize);
            let text = self.arena.get(start..end)?;
            return Some(Value::Str(std::rc::Rc::new(text.to_string())));
        }
        match code {
            ABSENT => None,
            KEPT => self.kept.get(&idx).cloned(),
            STRING => Some(Value::LongStr(0)),
            OTHER => Some(Value::Opaque),
            g => Some(Value::Global(g - FIRST_GLOBAL)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    #[test]
    fn slots_past_the_kept_values_keep_globals_exact() {
        let mut memo = Memo::default();
        let n = limits::MAX_PICKLE_MEMO_VALUES as u64;
        for i in 0..n {
            memo.put(i, Value::Int(1)).ok().unwrap();
        }
        memo.put(n, Value::Str(Rc::new("os".into()))).ok().unwrap();
        memo.put(n + 1, Value::Global(7)).ok().unwrap();
        memo.put(n + 2, Value::Int(5)).ok().unwrap();
        assert!(matches!(memo.get(0), Some(Value::Int(1))));
        // A short string past the kept values keeps its text (a module name fetched back).
        assert_eq!(memo.get(n).unwrap().as_str(), Some("os"));
        let long = "x".repeat(MAX_ARENA_STRING + 1);
        memo.put(n + 5, Value::Str(Rc::new(long))).ok().unwrap();
        assert!(matches!(memo.get(n + 5), Some(Value::LongStr(_))));
        assert!(matches!(memo.get(n + 1), Some(Value::Global(7))));
        assert!(matches!(memo.get(n + 2), Some(Value::Opaque)));
        assert!(memo.get(n + 3).is_none());
        assert_eq!(memo.len(), n as usize + 4);
        // A kept slot overwritten stays kept; a global overwriting it leaves the map.
        memo.put(0, Value::Global(2)).ok().unwrap();
        assert!(matches!(memo.get(0), Some(Value::Global(2))));
        assert_eq!(memo.len(), n as usize + 4);
        assert!(memo
            .put(limits::MAX_PICKLE_MEMO as u64, Value::None)
            .is_err());
    }

    #[test]
    fn the_string_arena_is_bounded() {
        let mut memo = Memo::default();
        let n = limits::MAX_PICKLE_MEMO_VALUES as u64;
        for i in 0..n {
            memo.put(i, Value::Int(1)).ok().unwrap();
        }
        let piece = "y".repeat(MAX_ARENA_STRING);
        let fits = limits::MAX_PICKLE_MEMO_STRING_BYTES / MAX_ARENA_STRING;
        for i in 0..fits as u64 + 10 {
            memo.put(n + i, Value::Str(Rc::new(piece.clone())))
                .ok()
                .unwrap();
        }
        assert!(memo.arena.len() <= limits::MAX_PICKLE_MEMO_STRING_BYTES);
        assert!(memo.get(n).unwrap().as_str().is_some());
        assert!(matches!(
            memo.get(n + fits as u64 + 5),
            Some(Value::LongStr(_))
        ));
    }
}
