//! The opcode walker and symbolic stack machine, following CPython's C unpickler
//! (`Modules/_pickle.c`) opcode by opcode: the same stack, mark and fence rules, the same
//! memo semantics (MEMOIZE stores at the number of occupied slots), FRAME as a hint that
//! opcodes may cross, and the same failures. Nothing is ever imported or called.

use std::collections::HashMap;
use std::rc::Rc;

use super::memo::{Memo, MemoFull};
use super::value::{Object, Value, MAX_KEPT_BYTES, MAX_KEPT_STRING};
use super::{GlobalUse, PickleContext, PickleScan, StorageRef};
use crate::findings::Finding;
use crate::limits::{self, LimitHit};
use crate::policy::compat::map_py2_name;
use crate::rules;
use crate::source::{ByteStream, SkipRead};

/// Highest protocol CPython accepts.
pub(crate) const HIGHEST_PROTOCOL: u8 = 5;

/// Why the walk of one pickle ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum End {
    /// STOP reached with a value on the stack.
    Stop,
    /// The stream ended first.
    Truncated {
        offset: u64,
        what: String,
    },
    /// CPython would raise here (invalid opcode, stack underflow, bad argument ...).
    Malformed {
        offset: u64,
        opcode: &'static str,
        reason: String,
    },
    Limit(LimitHit),
}

/// Opcode names indexed by byte, built once at compile time.
static OPCODE_NAMES: [&str; 256] = {
    let mut t = ["INVALID"; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = opcode_name_slow(i as u8);
        i += 1;
    }
    t
};

#[inline]
pub(crate) fn opcode_name(op: u8) -> &'static str {
    OPCODE_NAMES[op as usize]
}

const fn opcode_name_slow(op: u8) -> &'static str {
    match op {
        b'(' => "MARK",
        b'.' => "STOP",
        b'0' => "POP",
        b'1' => "POP_MARK",
        b'2' => "DUP",
        b'F' => "FLOAT",
        b'I' => "INT",
        b'J' => "BININT",
        b'K' => "BININT1",
        b'L' => "LONG",
        b'M' => "BININT2",
        b'N' => "NONE",
        b'P' => "PERSID",
        b'Q' => "BINPERSID",
        b'R' => "REDUCE",
        b'S' => "STRING",
        b'T' => "BINSTRING",
        b'U' => "SHORT_BINSTRING",
        b'V' => "UNICODE",
        b'X' => "BINUNICODE",
        b'a' => "APPEND",
        b'b' => "BUILD",
        b'c' => "GLOBAL",
        b'd' => "DICT",
        b'}' => "EMPTY_DICT",
        b'e' => "APPENDS",
        b'g' => "GET",
        b'h' => "BINGET",
        b'i' => "INST",
        b'j' => "LONG_BINGET",
        b'l' => "LIST",
        b']' => "EMPTY_LIST",
        b'o' => "OBJ",
        b'p' => "PUT",
        b'q' => "BINPUT",
        b'r' => "LONG_BINPUT",
        b's' => "SETITEM",
        b't' => "TUPLE",
        b')' => "EMPTY_TUPLE",
        b'u' => "SETITEMS",
        b'G' => "BINFLOAT",
        0x80 => "PROTO",
        0x81 => "NEWOBJ",
        0x82 => "EXT1",
        0x83 => "EXT2",
        0x84 => "EXT4",
        0x85 => "TUPLE1",
        0x86 => "TUPLE2",
        0x87 => "TUPLE3",
        0x88 => "NEWTRUE",
        0x89 => "NEWFALSE",
        0x8a => "LONG1",
        0x8b => "LONG4",
        b'B' => "BINBYTES",
        b'C' => "SHORT_BINBYTES",
        0x8c => "SHORT_BINUNICODE",
        0x8d => "BINUNICODE8",
        0x8e => "BINBYTES8",
        0x8f => "EMPTY_SET",
        0x90 => "ADDITEMS",
        0x91 => "FROZENSET",
        0x92 => "NEWOBJ_EX",
        0x93 => "STACK_GLOBAL",
        0x94 => "MEMOIZE",
        0x95 => "FRAME",
        0x96 => "BYTEARRAY8",
        0x97 => "NEXT_BUFFER",
        0x98 => "READONLY_BUFFER",
        _ => "INVALID",
    }
}

pub(crate) fn is_opcode(op: u8) -> bool {
    opcode_name(op) != "INVALID"
}

/// One entry of the global table shared by every pickle of a stream.
#[derive(Debug, Clone)]
pub struct GlobalEntry {
    pub module: String,
    pub name: String,
    pub first_offset: u64,
    pub opcode: &'static str,
    pub count: u64,
    pub uses: GlobalUse,
    /// How many copies of this global were put on the stack (import, memo get, DUP).
    pub pushed: std::cell::Cell<u64>,
    /// Calls whose meaning the arguments settle (`getattr(cls, "name")`,
    /// `functools.partial(f)`, dill's `_load_type("list")`): judged by what they reach.
    pub resolved_calls: u64,
    /// For a global reached through such a call rather than imported: the resolver.
    pub reached_through: Option<&'static str>,
}

impl GlobalEntry {
    /// A resolver whose every copy went into a call the arguments settle: the call is
    /// judged by what it reaches, and the resolver itself says nothing.
    pub(crate) fn only_resolved(&self) -> bool {
        self.resolved_calls > 0
            && self.resolved_calls == self.pushed.get()
            && !self.uses.called
            && !self.uses.constructed
            && !self.uses.mutated
    }
}

/// Per-pickle machine state: one `pickle.load` call.
struct Machine {
    stack: Vec<Value>,
    marks: Vec<usize>,
    memo: Memo,
    proto: u8,
    frame_end: Option<u64>,
}

type Step = Result<(), End>;

/// How the walker reads past a frame's end (see [`Walker::frames_diverge`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FrameReading {
    /// `pickle.loads`, buffered files: frames are hints, reads go on across them.
    AcrossFrames,
    /// An unpickler over `io.BytesIO` (`torch.load`), unbuffered files: a read that does
    /// not fit in the rest of the current frame drops that rest and reads from its end.
    DropRestOfFrame,
}

pub(crate) struct Walker<'a, R> {
    pub stream: &'a mut ByteStream<R>,
    pub scan: &'a mut PickleScan,
    ctx: PickleContext,
    globals: HashMap<(String, String), u32>,
    /// Bytes of module and name text of the distinct globals recorded.
    global_name_bytes: u64,
    nested_depth: u8,
    op_offset: u64,
    op_name: &'static str,
    frame_divergence_reported: bool,
    /// Where an opcode's own bytes ended when it was followed by out-of-band array data.
    payload_start: Option<u64>,
    /// Opcodes allowed per stream ([`limits::MAX_PICKLE_OPCODES`] unless a caller lowers it).
    pub opcode_budget: u64,
    pub frame_reading: FrameReading,
    /// With [`FrameReading::DropRestOfFrame`]: where the unpickler's input buffer, the
    /// frame it last read, ends.
    buffer_end: Option<u64>,
}

const JOBLIB_WRAPPER: (&str, &str) = ("joblib.numpy_pickle", "NumpyArrayWrapper");
/// Deepest chain of joblib object arrays, each holding a nested pickle.
const MAX_NESTED_PICKLES: u8 = 4;

impl<'a, R: SkipRead> Walker<'a, R> {
    pub fn new(
        stream: &'a mut ByteStream<R>,
        scan: &'a mut PickleScan,
        ctx: PickleContext,
    ) -> Self {
        Walker {
            stream,
            scan,
            ctx,
            globals: HashMap::new(),
            global_name_bytes: 0,
            nested_depth: 0,
            op_offset: 0,
            op_name: "",
            frame_divergence_reported: false,
            payload_start: None,
            opcode_budget: limits::MAX_PICKLE_OPCODES,
            frame_reading: FrameReading::AcrossFrames,
            buffer_end: None,
        }
    }

    /// Before a read of `n` bytes: with [`FrameReading::DropRestOfFrame`], a read that the
    /// rest of the frame cannot satisfy drops that rest, as CPython's C unpickler does
    /// when it refills its buffer from a file without `peek`.
    fn before_read(&mut self, n: u64) -> Step {
        let Some(end) = self.live_buffer_end() else {
            return Ok(());
        };
        if self.stream.position().saturating_add(n) <= end {
            return Ok(());
        }
        self.drop_rest_of_frame(end)
    }

    /// Before a line read: the line must end inside the rest of the frame, or that rest is
    /// dropped and the line is read from the frame's end.
    fn before_line(&mut self) -> Step {
        let Some(end) = self.live_buffer_end() else {
            return Ok(());
        };
        let rest = end - self.stream.position();
        let window = usize::try_from(rest)
            .unwrap_or(usize::MAX)
            .min(limits::MAX_PICKLE_LINE + 1);
        let buffered = self.stream.fill(window);
        let avail = &buffered[..window.min(buffered.len())];
        if avail.len() < window || avail.contains(&b'\n') || rest > window as u64 {
            // Cut short (the read reports it), the line ends in the frame, or it is longer
            // than a line may be (the limit reports it).
            return Ok(());
        }
        self.drop_rest_of_frame(end)
    }

    fn live_buffer_end(&mut self) -> Option<u64> {
        let end = self.buffer_end?;
        if self.stream.position() >= end {
            self.buffer_end = None;
            return None;
        }
        Some(end)
    }

    fn drop_rest_of_frame(&mut self, end: u64) -> Step {
        let rest = end - self.stream.position();
        self.buffer_end = None;
        if self.stream.skip(rest) < rest {
            return Err(self.truncated("the rest of a frame"));
        }
        Ok(())
    }

    /// FRAME of `len` bytes just read: the C unpickler serves it from its buffer when the
    /// buffer holds it, and otherwise drops the buffer's rest and reads the frame anew.
    fn load_frame_buffer(&mut self, len: u64) -> Step {
        if self.frame_reading != FrameReading::DropRestOfFrame {
            return Ok(());
        }
        if let Some(end) = self.live_buffer_end() {
            if self.stream.position().saturating_add(len) <= end {
                return Ok(());
            }
            self.drop_rest_of_frame(end)?;
        }
        self.buffer_end = Some(self.stream.position().saturating_add(len));
        Ok(())
    }

    fn malformed(&self, reason: impl Into<String>) -> End {
        End::Malformed {
            offset: self.op_offset,
            opcode: self.op_name,
            reason: reason.into(),
        }
    }

    fn truncated(&self, what: &str) -> End {
        End::Truncated {
            offset: self.stream.position(),
            what: what.to_string(),
        }
    }

    #[inline]
    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], End> {
        if self.buffer_end.is_some() {
            self.before_read(N as u64)?;
        }
        if let Some(b) = self.stream.buffered().first_chunk::<N>() {
            let out = *b;
            self.stream.consume(N);
            return Ok(out);
        }
        let avail = self.stream.fill(N);
        if avail.len() < N {
            return Err(self.truncated(&format!("{} argument", self.op_name)));
        }
        let mut out = [0u8; N];
        out.copy_from_slice(&avail[..N]);
        self.stream.consume(N);
        Ok(out)
    }

    fn line(&mut self, must_keep: bool) -> Result<Vec<u8>, End> {
        self.before_line()?;
        let line = self.stream.read_line(limits::MAX_PICKLE_LINE);
        if !line.terminated {
            return Err(self.truncated(&format!("{} line", self.op_name)));
        }
        if must_keep && line.truncated() {
            return Err(End::Limit(LimitHit::PickleLine));
        }
        Ok(line.bytes)
    }

    /// Reads a counted argument, keeping at most `keep` bytes and skipping the rest.
    fn counted(&mut self, len: u64, keep: usize) -> Result<(Vec<u8>, u64), End> {
        self.before_read(len)?;
        let kept_len = usize::try_from(len).unwrap_or(usize::MAX).min(keep);
        let avail = self.stream.fill(kept_len);
        if avail.len() < kept_len {
            return Err(self.truncated(&format!("{} data ({len} bytes)", self.op_name)));
        }
        let kept = avail[..kept_len].to_vec();
        self.stream.consume(kept_len);
        let rest = len - kept_len as u64;
        if self.stream.skip(rest) < rest {
            return Err(self.truncated(&format!("{} data ({len} bytes)", self.op_name)));
        }
        Ok((kept, len))
    }

    fn string_value(&mut self, len: u64, lossy_text: bool) -> Result<Value, End> {
        let (bytes, len) = self.counted(len, MAX_KEPT_STRING)?;
        if len as usize != bytes.len() {
            return Ok(Value::LongStr(len));
        }
        let text = if lossy_text {
            String::from_utf8_lossy(&bytes).into_owned()
        } else {
            bytes.iter().map(|&b| b as char).collect()
        };
        Ok(Value::Str(Rc::new(text)))
    }

    fn bytes_value(&mut self, len: u64) -> Result<Value, End> {
        let (head, len) = self.counted(len, MAX_KEPT_BYTES)?;
        Ok(Value::Bytes(Rc::new((head, len))))
    }

    fn pop(&self, m: &mut Machine) -> Result<Value, End> {
        let fence = m.marks.last().copied().unwrap_or(0);
        if m.stack.len() <= fence {
            return Err(self.malformed("unpickling stack underflow"));
        }
        Ok(m.stack.pop().expect("length checked above"))
    }

    fn top(&self, m: &Machine) -> Result<Value, End> {
        let fence = m.marks.last().copied().unwrap_or(0);
        if m.stack.len() <= fence {
            return Err(self.malformed("unpickling stack underflow"));
        }
        Ok(m.stack.last().expect("length checked above").clone())
    }

    #[inline(always)]
    fn push(&self, m: &mut Machine, v: Value) -> Step {
        if m.stack.len() >= limits::MAX_PICKLE_STACK {
            return Err(End::Limit(LimitHit::PickleStack));
        }
        if let Value::Global(i) = v {
            if let Some(g) = self.scan.globals.get(i as usize) {
                g.pushed.set(g.pushed.get() + 1);
            }
        }
        m.stack.push(v);
        Ok(())
    }

    fn marker(&self, m: &mut Machine) -> Result<usize, End> {
        let mark = m
            .marks
            .pop()
            .ok_or_else(|| self.malformed("could not find MARK"))?;
        // Opcodes respect fences, so a mark never lies above the stack; should one ever
        // do, the stream is refused rather than the VM panicking.
        if mark > m.stack.len() {
            return Err(self.malformed("unpickling stack underflow"));
        }
        Ok(mark)
    }

    /// Whether the container a mutating opcode targets, at `target`, lies above the
    /// innermost MARK: CPython's loader keeps the items after a MARK on a stack of their
    /// own, so an opcode cannot reach below it.
    fn above_fence(m: &Machine, target: usize) -> bool {
        target >= m.marks.last().copied().unwrap_or(0)
    }

    fn memo_put(&self, m: &mut Machine, idx: u64, v: Value) -> Step {
        m.memo
            .put(idx, v)
            .map_err(|MemoFull| End::Limit(LimitHit::PickleMemo))
    }

    fn memo_get(&self, m: &Machine, idx: u64) -> Result<Value, End> {
        m.memo
            .get(idx)
            .ok_or_else(|| self.malformed(format!("Memo value not found at index {idx}")))
    }

    fn parse_decimal(&self, line: &[u8]) -> Result<Value, End> {
        let text = std::str::from_utf8(line).map_err(|_| self.malformed("non-ASCII integer"))?;
        let t = text.trim_end_matches('L').trim();
        if t.is_empty()
            || !t
                .trim_start_matches(['-', '+'])
                .bytes()
                .all(|b| b.is_ascii_digit() || b == b'_')
        {
            return Err(self.malformed(format!("invalid literal for int(): {t:?}")));
        }
        Ok(t.parse::<i64>().map(Value::Int).unwrap_or(Value::BigInt))
    }

    fn memo_index(&self, line: &[u8]) -> Result<u64, End> {
        match self.parse_decimal(line)? {
            Value::Int(i) if i >= 0 => Ok(i as u64),
            Value::Int(_) => Err(self.malformed(format!("negative {} argument", self.op_name))),
            _ => Err(End::Limit(LimitHit::PickleMemo)),
        }
    }

    /// Records an import and returns the value it pushes.
    fn import(&mut self, m: &Machine, module: &str, name: &str) -> Result<Value, End> {
        if m.proto < 3 {
            let (module, name) = map_py2_name(module, name);
            self.import_exact(m, &module, &name)
        } else {
            self.import_exact(m, module, name)
        }
    }

    fn import_exact(&mut self, _: &Machine, module: &str, name: &str) -> Result<Value, End> {
        let key = (module.to_string(), name.to_string());
        if let Some(&idx) = self.globals.get(&key) {
            self.scan.globals[idx as usize].count += 1;
            return Ok(Value::Global(idx));
        }
        if self.scan.globals.len() >= limits::MAX_PICKLE_GLOBALS {
            return Err(End::Limit(LimitHit::PickleGlobals));
        }
        // Names are kept in the table, its index and the call labels: their total is
        // bounded on its own, since one name may be as long as MAX_PICKLE_LINE.
        self.global_name_bytes += (key.0.len() + key.1.len()) as u64;
        if self.global_name_bytes > limits::MAX_PICKLE_GLOBAL_NAME_BYTES {
            return Err(End::Limit(LimitHit::PickleGlobalNameBytes));
        }
        let idx = self.scan.globals.len() as u32;
        self.scan.globals.push(GlobalEntry {
            module: key.0.clone(),
            name: key.1.clone(),
            first_offset: self.op_offset,
            opcode: self.op_name,
            count: 1,
            uses: GlobalUse::default(),
            pushed: Default::default(),
            resolved_calls: 0,
            reached_through: None,
        });
        self.globals.insert(key, idx);
        Ok(Value::Global(idx))
    }

    /// A global reached through a resolver call instead of an import: judged like an
    /// import of the pair it names.
    fn reach(
        &mut self,
        m: &Machine,
        module: &str,
        name: &str,
        resolver: &'static str,
    ) -> Result<Value, End> {
        let known = self
            .globals
            .contains_key(&(module.to_string(), name.to_string()));
        // No Python 2 renaming: these names come from Python 3 objects.
        let v = self.import_exact(m, module, name)?;
        if let (Value::Global(i), false) = (&v, known) {
            self.scan.globals[*i as usize].reached_through = Some(resolver);
        }
        Ok(v)
    }

    /// Settles a call whose meaning its arguments fix, or returns `None`. The resolver
    /// global is then judged by what it reaches (see [`GlobalEntry::only_resolved`]).
    fn resolve(&mut self, m: &Machine, callee: &Value, args: &Value) -> Result<Option<Value>, End> {
        let Value::Global(resolver) = *callee else {
            return Ok(None);
        };
        let items = args.items().unwrap_or_default();
        let reached = match (self.global_name(resolver), items.as_slice()) {
            (("builtins", "getattr"), [Value::Global(owner), Value::Str(attr)])
                if super::is_identifier(attr) =>
            {
                let (module, name) = self.global_name(*owner);
                let (module, name) = (module.to_string(), format!("{name}.{attr}"));
                Some(self.reach(m, &module, &name, "builtins.getattr")?)
            }
            (("dill._dill", "_load_type"), [Value::Str(type_name)]) => match dill_type(type_name) {
                Some((module, name)) => {
                    Some(self.reach(m, module, name, "dill._dill._load_type")?)
                }
                None => None,
            },
            // partial(f, ...) builds a callable that calls f: the partial object is kept
            // (calling it later is a call of f), and f is judged on its own.
            (("functools", "partial"), [Value::Global(_), ..]) => {
                Some(Value::Object(Rc::new(Object {
                    callee: callee.clone(),
                    args: args.clone().contained(),
                    has_object_fields: Default::default(),
                })))
            }
            _ => None,
        };
        if reached.is_some() {
            self.scan.globals[resolver as usize].resolved_calls += 1;
        }
        Ok(reached)
    }

    fn global_name(&self, idx: u32) -> (&str, &str) {
        let g = &self.scan.globals[idx as usize];
        (&g.module, &g.name)
    }

    fn is_global(&self, v: &Value, module: &str, name: &str) -> bool {
        matches!(v, Value::Global(i) if self.global_name(*i) == (module, name))
    }

    fn describe_callee(&self, v: &Value) -> String {
        match v {
            Value::Global(i) => {
                let (m, n) = self.global_name(*i);
                format!("{m}.{n}")
            }
            Value::Dynamic => "<dynamic import>".into(),
            // One level only: call chains (`)R)R)R...`) must not build ever longer labels.
            Value::Object(o) => match &o.callee {
                Value::Global(i) => {
                    let (m, n) = self.global_name(*i);
                    format!("<result of {m}.{n}>")
                }
                _ => "<result of a call result>".into(),
            },
            Value::Persistent(_) => "<persistent object>".into(),
            _ => "<non-callable value>".into(),
        }
    }

    /// Records a call (REDUCE, INST, OBJ, NEWOBJ[_EX]) and pushes its symbolic result.
    /// Callee and arguments are stored contained, so call chains stay shallow.
    fn call(&mut self, m: &mut Machine, callee: Value, args: Value, constructs: bool) -> Step {
        if let Some(reached) = self.resolve(m, &callee, &args)? {
            return self.push(m, reached);
        }
        self.record_call(&callee, &args, constructs);
        let obj = Value::Object(Rc::new(Object {
            callee: callee.contained(),
            args: args.contained(),
            has_object_fields: Default::default(),
        }));
        self.push(m, obj)
    }

    fn record_call(&mut self, callee: &Value, args: &Value, constructs: bool) {
        let label = self.describe_callee(callee);
        let entry = self
            .scan
            .calls
            .entry(label)
            .or_insert_with(|| (self.op_name, self.op_offset, 0));
        entry.2 += 1;
        // Calling partial(f, ...) calls f.
        let target = self.partial_target(callee);
        let callee = target.as_ref().unwrap_or(callee);
        if let Value::Global(i) = callee {
            let i = *i as usize;
            if constructs {
                self.scan.globals[i].uses.constructed = true;
            } else {
                self.scan.globals[i].uses.called = true;
            }
        }
        // copyreg's reconstruction helpers instantiate their first argument as a plain object.
        let is_reconstructor = self.is_global(callee, "copyreg", "_reconstructor")
            || self.is_global(callee, "copyreg", "__newobj__")
            || self.is_global(callee, "copyreg", "__newobj_ex__");
        if is_reconstructor {
            if let Some(Value::Global(cls)) = args.items().and_then(|v| v.into_iter().next()) {
                self.scan.globals[cls as usize].uses.constructed = true;
            }
        }
    }

    /// The function a `functools.partial(f, ...)` object calls.
    fn partial_target(&self, v: &Value) -> Option<Value> {
        let Value::Object(o) = v else {
            return None;
        };
        if !self.is_global(&o.callee, "functools", "partial") {
            return None;
        }
        match o.args.items()?.into_iter().next()? {
            f @ Value::Global(_) => Some(f),
            _ => None,
        }
    }

    fn mutation(&mut self, target: &Value, how: &str) {
        if let Value::Global(i) = target {
            let i = *i as usize;
            self.scan.globals[i].uses.mutated = true;
            let (m, n) = (
                self.scan.globals[i].module.clone(),
                self.scan.globals[i].name.clone(),
            );
            let f = Finding::new(
                &rules::PICKLE_GLOBAL_MUTATION,
                format!("{how} modifies the imported global {m}.{n}"),
            )
            .at(self.op_offset, self.op_name)
            .global(&m, &n);
            self.scan.findings.push(f);
        } else if matches!(target, Value::Dynamic) {
            let f = Finding::new(
                &rules::PICKLE_GLOBAL_MUTATION,
                format!("{how} modifies a dynamically imported object"),
            )
            .at(self.op_offset, self.op_name);
            self.scan.findings.push(f);
        }
    }

    /// Past a read that crosses a frame's end, CPython's loaders part ways (measured on
    /// 3.11): `pickle.loads` and buffered files read on across the boundary, while an
    /// unpickler over `io.BytesIO` (what `torch.load` hands it) or an unbuffered file
    /// drops the rest of the frame and reads from its end. The stream is then walked the
    /// second way too (see `scan_stream`).
    fn frames_diverge(&mut self, frame_end: u64) {
        self.scan.frames_diverge_at.get_or_insert(frame_end);
    }

    /// Walks one pickle (one `pickle.load` call) from the current stream position.
    pub(crate) fn walk_one(&mut self) -> End {
        let mut m = Machine {
            stack: Vec::new(),
            marks: Vec::new(),
            memo: Memo::default(),
            proto: 0,
            frame_end: None,
        };
        loop {
            match self.step(&mut m) {
                Ok(true) => return End::Stop,
                Ok(false) => {}
                Err(end) => return end,
            }
        }
    }

    /// Executes one opcode. Returns Ok(true) at STOP.
    fn step(&mut self, m: &mut Machine) -> Result<bool, End> {
        self.op_offset = self.stream.position();
        let op = match self.stream.buffered().first() {
            Some(&op) => Some(op),
            None => self.stream.fill(1).first().copied(),
        };
        let Some(op) = op else {
            self.op_name = "";
            return Err(self.truncated("opcode (no STOP)"));
        };
        self.stream.consume(1);
        self.op_name = opcode_name(op);
        self.scan.opcodes += 1;
        #[cfg(test)]
        fault::trip(op);
        if self.scan.opcodes > self.opcode_budget {
            return Err(End::Limit(LimitHit::PickleOpcodes));
        }
        if let Some(end) = m.frame_end {
            if self.op_offset >= end {
                m.frame_end = None;
            }
        }
        self.payload_start = None;
        let stop = self.execute(m, op)?;
        if let Some(end) = m.frame_end {
            let op_end = self.payload_start.take().unwrap_or(self.stream.position());
            if op != 0x95 && self.op_offset < end && op_end > end && !self.frame_divergence_reported
            {
                self.frame_divergence_reported = true;
                let f = Finding::new(
                    &rules::PICKLE_FRAME_DIVERGENCE,
                    format!(
                        "{} at offset {} runs past the end of its FRAME (offset {end})",
                        self.op_name, self.op_offset
                    ),
                )
                .at(self.op_offset, self.op_name);
                self.scan.findings.push(f);
                self.frames_diverge(end);
            }
        }
        Ok(stop)
    }

    fn execute(&mut self, m: &mut Machine, op: u8) -> Result<bool, End> {
        match op {
            b'(' => {
                if m.marks.len() >= limits::MAX_PICKLE_MARKS {
                    return Err(End::Limit(LimitHit::PickleMarks));
                }
                m.marks.push(m.stack.len());
            }
            b'.' => {
                self.pop(m)?;
                return Ok(true);
            }
            b'0' => {
                let len = m.stack.len();
                if m.marks.last() == Some(&len) {
                    m.marks.pop();
                } else {
                    self.pop(m)?;
                }
            }
            b'1' => {
                let i = self.marker(m)?;
                m.stack.truncate(i);
            }
            b'2' => {
                let v = self.top(m)?;
                self.push(m, v)?;
            }
            b'F' => {
                let line = self.line(false)?;
                if std::str::from_utf8(&line)
                    .ok()
                    .and_then(|t| t.trim().parse::<f64>().ok())
                    .is_none()
                {
                    return Err(self.malformed("could not convert string to float"));
                }
                self.push(m, Value::Float)?;
            }
            b'I' => {
                let line = self.line(false)?;
                let v = match line.as_slice() {
                    b"00" => Value::Bool(false),
                    b"01" => Value::Bool(true),
                    _ => self.parse_decimal(&line)?,
                };
                self.push(m, v)?;
            }
            b'L' => {
                let line = self.line(false)?;
                let v = self.parse_decimal(&line)?;
                self.push(m, v)?;
            }
            b'J' => {
                let b = self.fixed::<4>()?;
                self.push(m, Value::Int(i64::from(i32::from_le_bytes(b))))?;
            }
            b'K' => {
                let b = self.fixed::<1>()?;
                self.push(m, Value::Int(i64::from(b[0])))?;
            }
            b'M' => {
                let b = self.fixed::<2>()?;
                self.push(m, Value::Int(i64::from(u16::from_le_bytes(b))))?;
            }
            0x8a => {
                let n = self.fixed::<1>()?[0];
                let (bytes, _) = self.counted(u64::from(n), 8)?;
                let v = if n <= 8 {
                    Value::Int(le_signed(&bytes))
                } else {
                    Value::BigInt
                };
                self.push(m, v)?;
            }
            0x8b => {
                let n = i32::from_le_bytes(self.fixed::<4>()?);
                if n < 0 {
                    return Err(self.malformed("LONG pickle has negative byte count"));
                }
                let (bytes, _) = self.counted(n as u64, 8)?;
                let v = if n <= 8 {
                    Value::Int(le_signed(&bytes))
                } else {
                    Value::BigInt
                };
                self.push(m, v)?;
            }
            b'N' => self.push(m, Value::None)?,
            0x88 => self.push(m, Value::Bool(true))?,
            0x89 => self.push(m, Value::Bool(false))?,
            b'G' => {
                self.fixed::<8>()?;
                self.push(m, Value::Float)?;
            }
            b'S' => {
                self.before_line()?;
                let line = self.stream.read_line(MAX_KEPT_STRING);
                if !line.terminated {
                    return Err(self.truncated("STRING line"));
                }
                let v = if line.truncated() {
                    Value::LongStr(line.len)
                } else {
                    let decoded = decode_quoted(&line.bytes).ok_or_else(|| {
                        self.malformed("the STRING opcode argument must be quoted")
                    })?;
                    Value::Str(Rc::new(decoded))
                };
                self.push(m, v)?;
            }
            b'T' => {
                let n = i32::from_le_bytes(self.fixed::<4>()?);
                if n < 0 {
                    return Err(self.malformed("BINSTRING pickle has negative byte count"));
                }
                let v = self.string_value(n as u64, false)?;
                self.push(m, v)?;
            }
            b'U' => {
                let n = self.fixed::<1>()?[0];
                let v = self.string_value(u64::from(n), false)?;
                self.push(m, v)?;
            }
            b'V' => {
                self.before_line()?;
                let line = self.stream.read_line(MAX_KEPT_STRING);
                if !line.terminated {
                    return Err(self.truncated("UNICODE line"));
                }
                let v = if line.truncated() {
                    Value::LongStr(line.len)
                } else {
                    Value::Str(Rc::new(decode_raw_unicode_escape(&line.bytes)))
                };
                self.push(m, v)?;
            }
            b'X' => {
                let n = u32::from_le_bytes(self.fixed::<4>()?);
                let v = self.string_value(u64::from(n), true)?;
                self.push(m, v)?;
            }
            0x8c => {
                let n = self.fixed::<1>()?[0];
                let v = self.string_value(u64::from(n), true)?;
                self.push(m, v)?;
            }
            0x8d => {
                let n = u64::from_le_bytes(self.fixed::<8>()?);
                let v = self.string_value(n, true)?;
                self.push(m, v)?;
            }
            b'B' => {
                let n = u32::from_le_bytes(self.fixed::<4>()?);
                let v = self.bytes_value(u64::from(n))?;
                self.push(m, v)?;
            }
            b'C' => {
                let n = self.fixed::<1>()?[0];
                let v = self.bytes_value(u64::from(n))?;
                self.push(m, v)?;
            }
            0x8e | 0x96 => {
                let n = u64::from_le_bytes(self.fixed::<8>()?);
                let v = self.bytes_value(n)?;
                self.push(m, v)?;
            }
            0x97 => self.push(m, Value::Buffer)?,
            0x98 => {
                self.top(m)?;
            }
            b']' => self.push(m, Value::List(Value::container(Vec::new(), false)))?,
            b')' => self.push(m, Value::tuple(Vec::new()))?,
            b'}' => self.push(m, Value::Dict(Value::container(Vec::new(), true)))?,
            0x8f => self.push(m, Value::Set(Value::container(Vec::new(), false)))?,
            b'a' => {
                let fence = m.marks.last().copied().unwrap_or(0);
                if m.stack.len() < 2 || m.stack.len() - 1 <= fence {
                    return Err(self.malformed("unpickling stack underflow"));
                }
                let x = m.stack.len() - 1;
                self.append_from(m, x)?;
            }
            b'e' => {
                let x = self.marker(m)?;
                self.append_from(m, x)?;
            }
            b'l' | b't' | 0x91 => {
                let i = self.marker(m)?;
                let items = m.stack.split_off(i);
                let v = match op {
                    b'l' => Value::List(Value::container(items, false)),
                    b't' => Value::tuple(items),
                    _ => Value::Set(Value::container(items, false)).contained(),
                };
                self.push(m, v)?;
            }
            0x85..=0x87 => {
                let n = usize::from(op - 0x84);
                let mut items = Vec::with_capacity(n);
                for _ in 0..n {
                    items.push(self.pop(m)?);
                }
                items.reverse();
                self.push(m, Value::tuple(items))?;
            }
            b'd' => {
                let i = self.marker(m)?;
                let items = m.stack.split_off(i);
                if !items.len().is_multiple_of(2) {
                    return Err(self.malformed("odd number of items for DICT"));
                }
                self.push(m, Value::Dict(Value::container(items, true)))?;
            }
            b's' => {
                // Value, key, and the dict below them, all above the innermost MARK.
                let fence = m.marks.last().copied().unwrap_or(0);
                if m.stack.len() < fence + 3 {
                    return Err(self.malformed("unpickling stack underflow"));
                }
                let x = m.stack.len() - 2;
                self.setitems_from(m, x)?;
            }
            b'u' => {
                let x = self.marker(m)?;
                self.setitems_from(m, x)?;
            }
            0x90 => {
                let x = self.marker(m)?;
                let len = m.stack.len();
                if x > len || x == 0 || !Self::above_fence(m, x - 1) {
                    return Err(self.malformed("unpickling stack underflow"));
                }
                if x < len {
                    let items = m.stack.split_off(x);
                    let target = m.stack[x - 1].clone();
                    match &target {
                        Value::Set(c) => {
                            let items: Vec<Value> =
                                items.into_iter().map(Value::contained).collect();
                            items.into_iter().for_each(|v| c.borrow_mut().push_item(v));
                        }
                        other => self.mutation(other, "ADDITEMS"),
                    }
                }
            }
            b'g' => {
                let line = self.line(true)?;
                let idx = self.memo_index(&line)?;
                let v = self.memo_get(m, idx)?;
                self.push(m, v)?;
            }
            b'h' => {
                let idx = u64::from(self.fixed::<1>()?[0]);
                let v = self.memo_get(m, idx)?;
                self.push(m, v)?;
            }
            b'j' => {
                let idx = u64::from(u32::from_le_bytes(self.fixed::<4>()?));
                let v = self.memo_get(m, idx)?;
                self.push(m, v)?;
            }
            b'p' => {
                let line = self.line(true)?;
                let idx = self.memo_index(&line)?;
                let v = self.top(m)?;
                self.memo_put(m, idx, v)?;
            }
            b'q' => {
                let idx = u64::from(self.fixed::<1>()?[0]);
                let v = self.top(m)?;
                self.memo_put(m, idx, v)?;
            }
            b'r' => {
                let raw = i32::from_le_bytes(self.fixed::<4>()?);
                if raw < 0 {
                    return Err(self.malformed("negative LONG_BINPUT argument"));
                }
                let v = self.top(m)?;
                self.memo_put(m, raw as u64, v)?;
            }
            0x94 => {
                let v = self.top(m)?;
                let idx = m.memo.len() as u64;
                self.memo_put(m, idx, v)?;
            }
            0x82..=0x84 => {
                let code: i64 = match op {
                    0x82 => i64::from(self.fixed::<1>()?[0]),
                    0x83 => i64::from(u16::from_le_bytes(self.fixed::<2>()?)),
                    _ => i64::from(i32::from_le_bytes(self.fixed::<4>()?)),
                };
                let f = Finding::new(
                    &rules::PICKLE_EXT_OPCODE,
                    format!(
                        "{} imports extension code {code} from the loader's copyreg registry",
                        self.op_name
                    ),
                )
                .at(self.op_offset, self.op_name)
                .detail(format!("extension code {code}"));
                self.scan.findings.push(f);
                if code <= 0 {
                    return Err(self.malformed("EXT specifies code <= 0"));
                }
                self.push(m, Value::Dynamic)?;
            }
            b'c' => {
                let module = self.line(true)?;
                let name = self.line(true)?;
                let (module, name) = (utf8(&module, self)?, utf8(&name, self)?);
                let v = self.import(m, &module, &name)?;
                self.push(m, v)?;
            }
            0x93 => {
                let name = self.pop(m)?;
                let module = self.pop(m)?;
                let v = match (&module, &name) {
                    (Value::Str(mo), Value::Str(na)) => self.import(m, &mo.clone(), &na.clone())?,
                    _ => {
                        let f = Finding::new(
                            &rules::PICKLE_DYNAMIC_IMPORT,
                            format!(
                                "STACK_GLOBAL imports a name built at load time (module: {}, name: {})",
                                operand_kind(&module, self),
                                operand_kind(&name, self)
                            ),
                        )
                        .at(self.op_offset, self.op_name);
                        self.scan.findings.push(f);
                        Value::Dynamic
                    }
                };
                self.push(m, v)?;
            }
            b'R' => {
                let args = self.pop(m)?;
                let callee = self.pop(m)?;
                self.call(m, callee, args, false)?;
            }
            b'b' => {
                let state = self.pop(m)?;
                let inst = self.top(m)?;
                self.build(inst, state)?;
            }
            b'i' => {
                let i = self.marker(m)?;
                let module = self.line(true)?;
                let name = self.line(true)?;
                let (module, name) = (utf8(&module, self)?, utf8(&name, self)?);
                let args = Value::tuple(m.stack.split_off(i));
                let cls = self.import(m, &module, &name)?;
                self.call(m, cls, args, false)?;
            }
            b'o' => {
                let i = self.marker(m)?;
                if m.stack.len() <= i {
                    return Err(self.malformed("unpickling stack underflow"));
                }
                let args = Value::tuple(m.stack.split_off(i + 1));
                let cls = m.stack.pop().expect("length checked above");
                self.call(m, cls, args, false)?;
            }
            0x81 | 0x92 => {
                if op == 0x92 {
                    self.pop(m)?;
                }
                let args = self.pop(m)?;
                let cls = self.pop(m)?;
                self.call(m, cls, args, true)?;
            }
            b'P' => {
                let line = self.line(false)?;
                if !line.is_ascii() {
                    return Err(
                        self.malformed("persistent IDs in protocol 0 must be ASCII strings")
                    );
                }
                let pid = Value::Str(Rc::new(String::from_utf8_lossy(&line).into_owned()));
                self.persistent(m, pid)?;
            }
            b'Q' => {
                let pid = self.pop(m)?;
                self.persistent(m, pid)?;
            }
            0x80 => {
                let proto = self.fixed::<1>()?[0];
                if proto > HIGHEST_PROTOCOL {
                    return Err(self.malformed(format!("unsupported pickle protocol: {proto}")));
                }
                m.proto = proto;
                self.scan.protocol = Some(self.scan.protocol.map_or(proto, |p| p.max(proto)));
            }
            0x95 => {
                let len = u64::from_le_bytes(self.fixed::<8>()?);
                let start = self.stream.position();
                if let Some(end) = m.frame_end {
                    if start - 9 < end && !self.frame_divergence_reported {
                        self.frame_divergence_reported = true;
                        let f = Finding::new(
                            &rules::PICKLE_FRAME_DIVERGENCE,
                            format!("FRAME at offset {} starts inside the previous frame (which ends at {end})", self.op_offset),
                        )
                        .at(self.op_offset, self.op_name);
                        self.scan.findings.push(f);
                        self.frames_diverge(end);
                    }
                }
                m.frame_end = Some(start.saturating_add(len));
                self.load_frame_buffer(len)?;
            }
            _ => {
                return Err(self.malformed(format!("invalid load key, '\\x{op:02x}'")));
            }
        }
        Ok(false)
    }

    fn append_from(&mut self, m: &mut Machine, x: usize) -> Step {
        let len = m.stack.len();
        if x > len || x == 0 || !Self::above_fence(m, x - 1) {
            return Err(self.malformed("unpickling stack underflow"));
        }
        if x == len {
            return Ok(());
        }
        let target = m.stack[x - 1].clone();
        match &target {
            Value::List(c) => {
                // Only the first few items are kept; the rest are counted, not converted.
                let room = super::value::MAX_TRACKED_ITEMS.saturating_sub(c.borrow().items.len());
                let added = (len - x) as u64;
                let kept: Vec<Value> = m
                    .stack
                    .drain(x..)
                    .take(room)
                    .map(Value::contained)
                    .collect();
                m.stack.truncate(x);
                let mut c = c.borrow_mut();
                c.count += added - kept.len() as u64;
                kept.into_iter().for_each(|v| c.push_item(v));
            }
            other => {
                m.stack.truncate(x);
                self.mutation(other, self.op_name);
            }
        }
        Ok(())
    }

    fn setitems_from(&mut self, m: &mut Machine, x: usize) -> Step {
        let len = m.stack.len();
        if x > len || x == 0 || !Self::above_fence(m, x - 1) {
            return Err(self.malformed("unpickling stack underflow"));
        }
        if x == len {
            return Ok(());
        }
        if !(len - x).is_multiple_of(2) {
            return Err(self.malformed("odd number of items for SETITEMS"));
        }
        let items = m.stack.split_off(x);
        let target = m.stack[x - 1].clone();
        match &target {
            Value::Dict(c) => {
                let items: Vec<Value> = items.into_iter().map(Value::contained).collect();
                let mut c = c.borrow_mut();
                let mut it = items.into_iter();
                while let (Some(k), Some(v)) = (it.next(), it.next()) {
                    c.push_pair(k, v);
                }
            }
            other => self.mutation(other, self.op_name),
        }
        Ok(())
    }

    fn persistent(&mut self, m: &mut Machine, pid: Value) -> Step {
        self.scan.persistent_ids += 1;
        match self.ctx {
            PickleContext::Plain => {
                if self.scan.persistent_ids == 1 {
                    let f = Finding::new(
                        &rules::PICKLE_PERSISTENT_ID,
                        "the pickle asks the loading application's persistent_load hook to resolve an object",
                    )
                    .at(self.op_offset, self.op_name);
                    self.scan.findings.push(f);
                }
            }
            _ => {
                if let Some(r) = self.storage_ref(&pid) {
                    self.scan.storages.push(r);
                }
            }
        }
        self.push(m, Value::Persistent(Rc::new(pid.contained())))
    }

    /// Reads torch's `('storage', <Storage type>, key, location, numel)` persistent id.
    fn storage_ref(&self, pid: &Value) -> Option<StorageRef> {
        let items = pid.items()?;
        if items.first()?.as_str()? != "storage" {
            return None;
        }
        let type_name = match items.get(1)? {
            Value::Global(i) => {
                let (m, n) = self.global_name(*i);
                format!("{m}.{n}")
            }
            _ => return None,
        };
        let key = match items.get(2)? {
            Value::Str(s) => s.to_string(),
            Value::Int(i) => i.to_string(),
            _ => return None,
        };
        let numel = items
            .get(4)
            .and_then(Value::as_int)
            .and_then(|n| u64::try_from(n).ok());
        Some(StorageRef {
            type_name,
            key,
            numel,
            offset: self.op_offset,
        })
    }

    fn build(&mut self, inst: Value, state: Value) -> Step {
        match &inst {
            Value::Global(_) | Value::Dynamic => {
                self.mutation(&inst, "BUILD");
                Ok(())
            }
            Value::Object(obj) => {
                if self.is_global(&obj.callee, "numpy", "dtype")
                    && value_mentions_object_dtype(&state, self)
                {
                    obj.has_object_fields.set(true);
                }
                if self.is_global(&obj.callee, JOBLIB_WRAPPER.0, JOBLIB_WRAPPER.1) {
                    self.joblib_array(&state)?;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// joblib writes each array's raw bytes into the stream right after the BUILD of its
    /// NumpyArrayWrapper (or a whole nested pickle for object arrays); its unpickler reads
    /// them there. Skip exactly those bytes, as joblib would.
    fn joblib_array(&mut self, state: &Value) -> Step {
        let dtype = state.dict_get("dtype");
        let (itemsize, has_object) = match &dtype {
            Some(Value::Object(o)) if self.is_global(&o.callee, "numpy", "dtype") => {
                let descr = o
                    .args
                    .items()
                    .and_then(|a| a.first().and_then(|d| d.as_str().map(str::to_string)));
                match descr.as_deref().and_then(dtype_itemsize) {
                    Some((size, obj)) => (size, obj || o.has_object_fields.get()),
                    None => {
                        return Err(self
                            .malformed(format!("joblib array dtype {descr:?} is not understood")))
                    }
                }
            }
            _ => return Err(self.malformed("joblib NumpyArrayWrapper state has no dtype")),
        };
        self.payload_start = Some(self.stream.position());
        if has_object {
            if self.nested_depth >= MAX_NESTED_PICKLES {
                return Err(End::Limit(LimitHit::PicklesPerStream));
            }
            self.nested_depth += 1;
            self.scan.pickles += 1;
            let end = self.walk_one();
            self.nested_depth -= 1;
            return if end == End::Stop { Ok(()) } else { Err(end) };
        }
        let shape = state
            .dict_get("shape")
            .and_then(|s| s.items())
            .ok_or_else(|| self.malformed("joblib NumpyArrayWrapper state has no shape"))?;
        let mut count: u64 = 1;
        for dim in shape {
            let d = dim
                .as_int()
                .and_then(|d| u64::try_from(d).ok())
                .ok_or_else(|| self.malformed("joblib array shape is not a tuple of integers"))?;
            count = count
                .checked_mul(d)
                .ok_or_else(|| self.malformed("joblib array size overflows"))?;
        }
        let nbytes = count
            .checked_mul(itemsize)
            .ok_or_else(|| self.malformed("joblib array size overflows"))?;
        if state
            .dict_get("numpy_array_alignment_bytes")
            .is_some_and(|v| !matches!(v, Value::None))
        {
            let pad = self.fixed::<1>()?[0];
            if self.stream.skip(u64::from(pad)) < u64::from(pad) {
                return Err(self.truncated("joblib array padding"));
            }
        }
        if self.stream.skip(nbytes) < nbytes {
            return Err(self.truncated(&format!("joblib array data ({nbytes} bytes)")));
        }
        self.scan.raw_array_bytes += nbytes;
        Ok(())
    }
}

/// The type dill's `_load_type(name)` returns: dill maps the names of the built-in types
/// (from `builtins` and `types`) and a few of its own to the types themselves. Only names
/// whose type is certain are settled; any other name leaves the call a finding.
fn dill_type(name: &str) -> Option<(&'static str, &'static str)> {
    const BUILTINS: &[&str] = &[
        "bool",
        "bytearray",
        "bytes",
        "complex",
        "dict",
        "float",
        "frozenset",
        "int",
        "list",
        "memoryview",
        "object",
        "property",
        "range",
        "set",
        "slice",
        "staticmethod",
        "classmethod",
        "str",
        "super",
        "tuple",
        "type",
        "enumerate",
        "filter",
        "map",
        "reversed",
        "zip",
    ];
    const TYPES: &[&str] = &[
        "CodeType",
        "FunctionType",
        "LambdaType",
        "MethodType",
        "BuiltinFunctionType",
        "BuiltinMethodType",
        "ModuleType",
        "CellType",
        "FrameType",
        "GeneratorType",
        "CoroutineType",
        "AsyncGeneratorType",
        "TracebackType",
        "MappingProxyType",
        "SimpleNamespace",
        "NoneType",
        "EllipsisType",
        "NotImplementedType",
        "GenericAlias",
        "UnionType",
        "MethodWrapperType",
        "WrapperDescriptorType",
        "MethodDescriptorType",
        "ClassMethodDescriptorType",
        "GetSetDescriptorType",
        "MemberDescriptorType",
    ];
    if let Some(b) = BUILTINS.iter().find(|b| **b == name) {
        return Some(("builtins", b));
    }
    if let Some(t) = TYPES.iter().find(|t| **t == name) {
        return Some(("types", t));
    }
    match name {
        "PartialType" => Some(("functools", "partial")),
        "ItemGetterType" => Some(("operator", "itemgetter")),
        "AttrGetterType" => Some(("operator", "attrgetter")),
        "SuperType" => Some(("builtins", "super")),
        _ => None,
    }
}

fn utf8<R: SkipRead>(bytes: &[u8], w: &Walker<'_, R>) -> Result<String, End> {
    String::from_utf8(bytes.to_vec()).map_err(|_| w.malformed("module or name is not valid UTF-8"))
}

fn operand_kind<R: SkipRead>(v: &Value, w: &Walker<'_, R>) -> String {
    match v {
        Value::Str(s) => format!("{s:?}"),
        Value::LongStr(n) => format!("a {n}-character string"),
        Value::Object(_) => format!("result of {}", w.describe_callee(v)),
        Value::Dynamic => "a dynamic import".into(),
        Value::Persistent(_) => "a persistent object".into(),
        Value::Bytes(_) => "bytes".into(),
        Value::Global(_) => w.describe_callee(v),
        _ => "a non-string value".into(),
    }
}

fn value_mentions_object_dtype<R: SkipRead>(v: &Value, w: &Walker<'_, R>) -> bool {
    match v {
        Value::Object(o) => {
            o.has_object_fields.get()
                || (w.is_global(&o.callee, "numpy", "dtype")
                    && o.args
                        .items()
                        .and_then(|a| {
                            a.first().and_then(|d| {
                                d.as_str().map(|s| {
                                    s.trim_start_matches(['|', '<', '>', '=']).starts_with('O')
                                })
                            })
                        })
                        .unwrap_or(false))
        }
        Value::Tuple(items, _) | Value::Frozen(items, _) => {
            items.iter().any(|i| value_mentions_object_dtype(i, w))
        }
        Value::Dict(c) | Value::List(c) => c
            .borrow()
            .items
            .iter()
            .any(|i| value_mentions_object_dtype(i, w)),
        _ => false,
    }
}

/// Item size of a NumPy dtype string such as `<f8`, `u1`, `U10`, `V16`, `M8[ns]`; and
/// whether it is the object dtype.
pub(crate) fn dtype_itemsize(descr: &str) -> Option<(u64, bool)> {
    let d = descr.trim_start_matches(['<', '>', '|', '=']);
    let kind = d.chars().next()?;
    let rest = &d[kind.len_utf8()..];
    let digits: String = rest.chars().take_while(|c| c.is_ascii_digit()).collect();
    let n: Option<u64> = digits.parse().ok();
    match kind {
        'O' => Some((8, true)),
        'b' | 'i' | 'u' | 'f' | 'c' | 'S' | 'a' | 'V' | 'm' | 'M' => n.map(|n| (n, false)),
        'U' => n.and_then(|n| n.checked_mul(4)).map(|n| (n, false)),
        '?' => Some((1, false)),
        'e' => Some((2, false)),
        'd' | 'q' | 'Q' | 'g' => Some((8, false)),
        _ => None,
    }
}

fn le_signed(bytes: &[u8]) -> i64 {
    if bytes.is_empty() {
        return 0;
    }
    let mut buf = if bytes[bytes.len() - 1] & 0x80 != 0 {
        [0xffu8; 8]
    } else {
        [0u8; 8]
    };
    buf[..bytes.len()].copy_from_slice(bytes);
    i64::from_le_bytes(buf)
}

/// Decodes a protocol 0 STRING argument: quoted, with Python bytes escapes.
fn decode_quoted(line: &[u8]) -> Option<String> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.len() < 2 || line[0] != line[line.len() - 1] || !matches!(line[0], b'\'' | b'"') {
        return None;
    }
    let body = &line[1..line.len() - 1];
    let mut out = Vec::with_capacity(body.len());
    let mut i = 0;
    while i < body.len() {
        let c = body[i];
        if c != b'\\' || i + 1 >= body.len() {
            out.push(c);
            i += 1;
            continue;
        }
        let e = body[i + 1];
        i += 2;
        match e {
            b'n' => out.push(b'\n'),
            b't' => out.push(b'\t'),
            b'r' => out.push(b'\r'),
            b'a' => out.push(7),
            b'b' => out.push(8),
            b'f' => out.push(12),
            b'v' => out.push(11),
            b'\\' | b'\'' | b'"' => out.push(e),
            b'\n' => {}
            b'x' => {
                let hex = body.get(i..i + 2)?;
                out.push(u8::from_str_radix(std::str::from_utf8(hex).ok()?, 16).ok()?);
                i += 2;
            }
            b'0'..=b'7' => {
                let mut v = u32::from(e - b'0');
                let mut n = 1;
                while n < 3 && i < body.len() && (b'0'..=b'7').contains(&body[i]) {
                    v = v * 8 + u32::from(body[i] - b'0');
                    i += 1;
                    n += 1;
                }
                out.push((v & 0xff) as u8);
            }
            other => {
                out.push(b'\\');
                out.push(other);
            }
        }
    }
    Some(out.iter().map(|&b| b as char).collect())
}

/// Decodes `raw-unicode-escape`: only `\uXXXX` and `\UXXXXXXXX` are escapes; other bytes are Latin-1.
fn decode_raw_unicode_escape(line: &[u8]) -> String {
    let mut out = String::with_capacity(line.len());
    let mut i = 0;
    while i < line.len() {
        if line[i] == b'\\' && i + 1 < line.len() && matches!(line[i + 1], b'u' | b'U') {
            let n = if line[i + 1] == b'u' { 4 } else { 8 };
            if let Some(hex) = line.get(i + 2..i + 2 + n) {
                if let Some(c) = std::str::from_utf8(hex)
                    .ok()
                    .and_then(|h| u32::from_str_radix(h, 16).ok())
                    .and_then(char::from_u32)
                {
                    out.push(c);
                    i += 2 + n;
                    continue;
                }
            }
        }
        out.push(line[i] as char);
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn there_are_68_opcodes() {
        assert_eq!((0u8..=255).filter(|&b| is_opcode(b)).count(), 68);
    }

    #[test]
    fn decodes_protocol_zero_strings() {
        assert_eq!(decode_quoted(b"'os'").as_deref(), Some("os"));
        assert_eq!(decode_quoted(b"'\\x73ystem'").as_deref(), Some("system"));
        assert_eq!(decode_quoted(b"\"a\\'b\"").as_deref(), Some("a'b"));
        assert_eq!(decode_quoted(b"'\\163ys'").as_deref(), Some("sys"));
        assert_eq!(decode_quoted(b"os"), None);
        assert_eq!(decode_raw_unicode_escape(b"\\u006fs"), "os");
    }

    #[test]
    fn numpy_dtype_sizes() {
        assert_eq!(dtype_itemsize("<f8"), Some((8, false)));
        assert_eq!(dtype_itemsize("|u1"), Some((1, false)));
        assert_eq!(dtype_itemsize("<U10"), Some((40, false)));
        assert_eq!(dtype_itemsize("O8"), Some((8, true)));
        assert_eq!(dtype_itemsize("<M8[ns]"), Some((8, false)));
        assert_eq!(dtype_itemsize("zz"), None);
    }
}

/// Fault injection for tests: makes the walker panic on a chosen opcode, to prove that a
/// VM bug keeps the findings made before it.
#[cfg(test)]
pub(crate) mod fault {
    use std::cell::Cell;

    thread_local! {
        static PANIC_ON: Cell<Option<u8>> = const { Cell::new(None) };
    }

    pub(crate) fn panic_on(op: Option<u8>) {
        PANIC_ON.with(|p| p.set(op));
    }

    pub(super) fn trip(op: u8) {
        if PANIC_ON.with(|p| p.get()) == Some(op) {
            panic!("injected fault at opcode {op:#04x}");
        }
    }
}
