//! The pickle family: plain pickles (protocols 0-5), joblib, dill, cloudpickle, and the
//! pickles inside PyTorch files. [`scan_stream`] walks every pickle in a stream and
//! turns what it saw into findings under the default-deny [`Policy`].

mod memo;
pub mod value;
pub mod vm;

use std::collections::BTreeMap;

use serde::Serialize;

use crate::findings::Finding;
use crate::limits::{self, LimitHit};
use crate::policy::{GlobalClass, Policy};
use crate::rules;
use crate::source::{ByteStream, SkipRead};
use vm::{End, FrameReading, GlobalEntry, Walker};

/// The exact bytes of the first pickle of a legacy (non-zip) torch file: the magic
/// number 0x1950a86a20f9469cfc6c as a protocol 2 LONG1.
pub(crate) const TORCH_LEGACY_MAGIC: &[u8] = &[
    0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19, 0x2e,
];

/// Who will load the pickle, which decides what persistent ids and some globals mean.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PickleContext {
    /// `pickle.load`, `joblib.load`, `numpy.load(allow_pickle=True)`.
    Plain,
    /// `data.pkl` of a torch zip: persistent ids are storages.
    TorchZip,
    /// A TorchScript archive's pickles: `__torch__` classes come from the archive's code.
    TorchScript,
    /// The five stacked pickles of a legacy torch file, followed by raw storages.
    TorchLegacy,
}

#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct GlobalUse {
    pub called: bool,
    pub constructed: bool,
    pub mutated: bool,
}

/// A torch storage named by a persistent id.
#[derive(Debug, Clone, Serialize)]
pub struct StorageRef {
    pub type_name: String,
    pub key: String,
    pub numel: Option<u64>,
    pub offset: u64,
}

/// Everything the walk of one stream produced.
#[derive(Debug, Default)]
pub struct PickleScan {
    pub findings: crate::findings::Findings,
    pub globals: Vec<GlobalEntry>,
    /// Callee label -> (opcode, first offset, count).
    pub calls: BTreeMap<String, (&'static str, u64, u64)>,
    pub storages: Vec<StorageRef>,
    pub protocol: Option<u8>,
    pub pickles: usize,
    pub opcodes: u64,
    pub persistent_ids: u64,
    pub raw_array_bytes: u64,
    pub trailing_bytes: u64,
    pub stream_bytes: u64,
    /// Why the scan is incomplete, if it is.
    pub incomplete: Option<String>,
    pub limit: Option<LimitHit>,
    /// Whether the first pickle ended in STOP (used by content sniffing).
    pub first_stopped: bool,
    /// The walker itself failed (a bug): what it found before stays, the scan is
    /// incomplete, and the artifact is an internal error.
    pub internal_error: bool,
    /// The end of the first frame that a read ran past: from there on, loaders read the
    /// stream in two ways.
    pub frames_diverge_at: Option<u64>,
}

#[derive(Serialize)]
struct GlobalFact<'a> {
    module: &'a str,
    name: &'a str,
    count: u64,
    first_offset: u64,
    class: &'static str,
    uses: GlobalUse,
    /// The resolver call this global was reached through (`builtins.getattr`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    reached_through: Option<&'static str>,
    /// Calls of this global that its arguments settled (judged by what they reach).
    #[serde(skip_serializing_if = "is_zero")]
    resolved_calls: u64,
    /// The library and version an allowed pair was traced from.
    #[serde(skip_serializing_if = "Option::is_none")]
    allowed_by: Option<&'static str>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

#[derive(Serialize)]
struct CallFact<'a> {
    callee: &'a str,
    opcode: &'static str,
    first_offset: u64,
    count: u64,
}

impl PickleScan {
    /// Format facts for the report.
    pub fn facts(&self, policy: &Policy, ctx: PickleContext) -> serde_json::Value {
        let globals: Vec<GlobalFact> = self
            .globals
            .iter()
            .take(limits::MAX_RECORDED_CALL_SITES)
            .map(|g| GlobalFact {
                module: &g.module,
                name: &g.name,
                count: g.count,
                first_offset: g.first_offset,
                class: class_label(effective_class(policy, ctx, &g.module, &g.name)),
                uses: g.uses,
                reached_through: g.reached_through,
                resolved_calls: g.resolved_calls,
                allowed_by: crate::policy::traced::traced_from(&g.module, &g.name),
            })
            .collect();
        let calls: Vec<CallFact> = self
            .calls
            .iter()
            .take(limits::MAX_RECORDED_CALL_SITES)
            .map(|(callee, (opcode, first_offset, count))| CallFact {
                callee,
                opcode,
                first_offset: *first_offset,
                count: *count,
            })
            .collect();
        let mut facts = serde_json::json!({
            "protocol": self.protocol,
            "pickles": self.pickles,
            "opcodes": self.opcodes,
            "globals": globals,
            "calls": calls,
            "persistent_ids": self.persistent_ids,
            "raw_array_bytes": self.raw_array_bytes,
            "trailing_bytes": self.trailing_bytes,
        });
        for (key, total) in [
            ("globals_not_listed", self.globals.len()),
            ("calls_not_listed", self.calls.len()),
        ] {
            let unlisted = total.saturating_sub(limits::MAX_RECORDED_CALL_SITES);
            if unlisted > 0 {
                facts[key] = unlisted.into();
            }
        }
        facts
    }
}

fn class_label(c: GlobalClass) -> &'static str {
    match c {
        GlobalClass::Allowed => "allowed",
        GlobalClass::Framework => "framework",
        GlobalClass::Unknown => "unknown",
        GlobalClass::Io => "io",
        GlobalClass::Exec => "exec",
        GlobalClass::CodeObject => "code-object",
    }
}

/// TorchScript pickles name classes of the archive's own compiled code and torch.jit
/// helpers; they are not Python imports.
fn effective_class(policy: &Policy, ctx: PickleContext, module: &str, name: &str) -> GlobalClass {
    if ctx == PickleContext::TorchScript
        && (module == "__torch__"
            || module.starts_with("__torch__.")
            || module == "torch.jit._pickle")
    {
        return GlobalClass::Allowed;
    }
    policy.classify(module, name).class
}

/// Walks every pickle in `stream` (as `pickle.load` called repeatedly would) and returns
/// the findings and facts. Never fails: problems become the `incomplete` reason, and
/// findings made before them are kept.
pub fn scan_stream<R: SkipRead>(
    stream: &mut ByteStream<R>,
    ctx: PickleContext,
    policy: &Policy,
) -> PickleScan {
    scan_stream_with_budget(stream, ctx, policy, limits::MAX_PICKLE_OPCODES)
}

/// [`scan_stream`] with a smaller opcode budget than [`limits::MAX_PICKLE_OPCODES`].
///
/// The stream is walked as `pickle.loads` reads it. A crafted stream whose reads cross a
/// frame's end is read differently by `torch.load` (see [`vm::FrameReading`]); its bytes,
/// kept as they pass (up to [`limits::MAX_PICKLE_REREAD_BYTES`]), are then walked that way
/// too, and what that reading reaches is reported as well.
pub(crate) fn scan_stream_with_budget<R: SkipRead>(
    stream: &mut ByteStream<R>,
    ctx: PickleContext,
    policy: &Policy,
    opcode_budget: u64,
) -> PickleScan {
    let start = stream.position();
    let mut recording = Recording {
        inner: stream,
        copy: Vec::new(),
        keeping: true,
    };
    let mut scan = {
        let mut recorded = ByteStream::new(&mut recording).starting_at(start);
        walk_stream(
            &mut recorded,
            ctx,
            policy,
            opcode_budget,
            FrameReading::AcrossFrames,
        )
    };
    let Some(frame_end) = scan.frames_diverge_at else {
        return scan;
    };
    if !recording.keeping {
        scan.incomplete.get_or_insert_with(|| {
            format!(
                "loaders read this pickle differently after its frame ending at offset \
                 {frame_end} (torch.load drops the rest of the frame, pickle.loads reads across \
                 it); only the reading across it was checked, the stream being longer than {}",
                LimitHit::PickleRereadBytes.describe()
            )
        });
        return scan;
    }
    let mut again = ByteStream::new(&recording.copy[..]).starting_at(start);
    let other = walk_stream(
        &mut again,
        ctx,
        policy,
        opcode_budget,
        FrameReading::DropRestOfFrame,
    );
    let seen: std::collections::HashSet<(&str, String)> = scan
        .findings
        .iter()
        .map(|f| (f.rule, f.message.clone()))
        .collect();
    let mut added = Vec::new();
    for mut f in other.findings {
        if !seen.contains(&(f.rule, f.message.clone())) {
            f.message = format!("as torch.load reads the frames: {}", f.message);
            added.push(f);
        }
    }
    for f in added {
        scan.findings.push(f);
    }
    if scan.incomplete.is_none() {
        if let Some(reason) = other.incomplete {
            scan.incomplete = Some(format!("as torch.load reads the frames: {reason}"));
        }
    }
    scan.internal_error |= other.internal_error;
    scan
}

/// Passes a stream's bytes through and keeps a copy of them, up to
/// [`limits::MAX_PICKLE_REREAD_BYTES`], for a second reading.
struct Recording<'s, R> {
    inner: &'s mut ByteStream<R>,
    copy: Vec<u8>,
    /// False once the stream outgrew the copy: it is then passed through only.
    keeping: bool,
}

impl<R: SkipRead> std::io::Read for Recording<'_, R> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        if self.keeping {
            if self.copy.len() + n > limits::MAX_PICKLE_REREAD_BYTES {
                self.keeping = false;
                self.copy = Vec::new();
            } else {
                self.copy.extend_from_slice(&out[..n]);
            }
        }
        Ok(n)
    }
}

impl<R: SkipRead> SkipRead for Recording<'_, R> {
    fn skip_forward(&mut self, n: u64) -> Option<u64> {
        // While keeping, skipped bytes are read (and kept) like any others.
        (!self.keeping).then(|| self.inner.skip(n))
    }
}

fn walk_stream<R: SkipRead>(
    stream: &mut ByteStream<R>,
    ctx: PickleContext,
    policy: &Policy,
    opcode_budget: u64,
    frame_reading: FrameReading,
) -> PickleScan {
    let mut scan = PickleScan::default();
    let start = stream.position();
    {
        let mut walker = Walker::new(stream, &mut scan, ctx);
        walker.opcode_budget = opcode_budget;
        walker.frame_reading = frame_reading;
        loop {
            if walker.scan.pickles >= limits::MAX_PICKLES_PER_STREAM {
                walker.scan.limit = Some(LimitHit::PicklesPerStream);
                break;
            }
            walker.scan.pickles += 1;
            // A bug in the VM must not take the findings of this stream with it: they are
            // append-only, so what was pushed before a panic is whole.
            let walked =
                std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| walker.walk_one()));
            let Ok(end) = walked else {
                let offset = walker.stream.position();
                walker.scan.incomplete = Some(format!(
                    "internal error in the pickle walker near offset {offset} (a bug; please \
                     report it); the findings before it stand"
                ));
                walker.scan.internal_error = true;
                break;
            };
            if walker.scan.pickles == 1 {
                walker.scan.first_stopped = end == End::Stop;
            }
            match end {
                End::Stop => {}
                End::Truncated { .. } if walker.stream.io_error().is_some() => {
                    let err = walker.stream.io_error().unwrap_or_default().to_string();
                    walker.scan.incomplete = Some(format!("read error: {err}"));
                    break;
                }
                End::Truncated { offset, what } => {
                    let msg = format!("stream ends inside {what} at offset {offset}: the loader runs every opcode before this point, then fails");
                    walker
                        .scan
                        .findings
                        .push(Finding::new(&rules::PICKLE_MALFORMED, msg.clone()).offset(offset));
                    walker.scan.incomplete = Some(msg);
                    break;
                }
                End::Malformed {
                    offset,
                    opcode,
                    reason,
                } => {
                    let msg = format!("{reason} at offset {offset}: the loader runs every opcode before this point, then fails");
                    walker.scan.findings.push(
                        Finding::new(&rules::PICKLE_MALFORMED, msg.clone()).at(offset, opcode),
                    );
                    walker.scan.incomplete = Some(msg);
                    break;
                }
                End::Limit(hit) => {
                    walker.scan.limit = Some(hit);
                    break;
                }
            }
            if ctx == PickleContext::TorchLegacy && walker.scan.pickles == 5 {
                // The rest is raw storage data, read by torch as bytes, never unpickled.
                walker.scan.raw_array_bytes += walker.stream.skip_to_end();
                break;
            }
            let next = walker.stream.fill(2);
            if next.is_empty() {
                break;
            }
            let another =
                next[0] == 0x80 && next.get(1).is_some_and(|&p| p <= vm::HIGHEST_PROTOCOL);
            if another {
                continue;
            }
            let offset = walker.stream.position();
            let trailing = walker.stream.skip_to_end();
            walker.scan.trailing_bytes = trailing;
            walker.scan.findings.push(
                Finding::new(
                    &rules::PICKLE_TRAILING_DATA,
                    format!("{trailing} bytes after the last STOP are not a pickle (pickle.loads ignores them)"),
                )
                .offset(offset),
            );
            break;
        }
    }
    if let Some(hit) = scan.limit {
        scan.incomplete = Some(hit.describe());
        scan.findings.push(
            Finding::new(&rules::SCAN_LIMIT_REACHED, hit.describe()).offset(stream.position()),
        );
    }
    if let Some(err) = stream.io_error() {
        scan.incomplete
            .get_or_insert_with(|| format!("read error: {err}"));
    }
    scan.stream_bytes = stream.position() - start;
    judge_globals(&mut scan, ctx, policy);
    scan
}

/// Turns the global table into findings: one per global, at its first import.
fn judge_globals(scan: &mut PickleScan, ctx: PickleContext, policy: &Policy) {
    let mut out = Vec::new();
    for g in &scan.globals {
        let class = effective_class(policy, ctx, &g.module, &g.name);
        let matched = policy.classify(&g.module, &g.name).matched;
        if g.only_resolved() {
            continue;
        }
        let uses = describe_uses(g);
        let shown = match g.reached_through {
            Some(resolver) => format!("{}.{} (reached through {resolver})", g.module, g.name),
            None => format!("{}.{}", g.module, g.name),
        };
        let (rule, message) = match class {
            GlobalClass::Allowed => continue,
            GlobalClass::CodeObject => (
                &rules::PICKLE_CODE_OBJECT,
                format!("rebuilds code: imports {shown}{uses}"),
            ),
            GlobalClass::Exec => (&rules::PICKLE_EXEC_GLOBAL, format!("imports {shown}{uses}")),
            GlobalClass::Io => (
                &rules::PICKLE_IO_GLOBAL,
                format!("imports {shown} (file or network access){uses}"),
            ),
            GlobalClass::Unknown => (
                &rules::PICKLE_UNKNOWN_GLOBAL,
                format!("imports {shown}, which is not on the allowlist{uses}"),
            ),
            GlobalClass::Framework if g.uses.called => (
                &rules::PICKLE_FRAMEWORK_CALL,
                format!("calls the framework global {shown} directly{uses}"),
            ),
            GlobalClass::Framework => (
                &rules::PICKLE_FRAMEWORK_GLOBAL,
                format!("rebuilds an object of the framework class {shown}{uses}"),
            ),
        };
        let mut f = Finding::new(rule, message)
            .with_severity(policy.severity_of(rule))
            .at(g.first_offset, g.opcode)
            .global(&g.module, &g.name);
        if let Some(m) = matched {
            f = f.detail(format!("matched {m}"));
        }
        out.push(f);
    }
    scan.findings
        .modify_each(|f| f.severity = policy.severity_of(f.rule()));
    scan.findings.extend(out);
}

fn describe_uses(g: &GlobalEntry) -> String {
    let mut parts = Vec::new();
    if g.uses.called {
        parts.push("called");
    }
    if g.uses.constructed {
        parts.push("instantiated");
    }
    if g.uses.mutated {
        parts.push("mutated");
    }
    let times = if g.count > 1 {
        format!("{} imports", g.count)
    } else {
        String::new()
    };
    match (parts.is_empty(), times.is_empty()) {
        (true, true) => String::new(),
        (true, false) => format!(" ({times})"),
        (false, true) => format!(" ({})", parts.join(", ")),
        (false, false) => format!(" ({}; {times})", parts.join(", ")),
    }
}

/// Decides whether a prefix of bytes is a pickle, for content sniffing. Protocol 2+
/// pickles announce themselves with PROTO; protocol 0/1 pickles look like text, so the
/// prefix is walked: it is a pickle when it reaches STOP, or when it calls an imported
/// global, or imports anything on the deny lists before it fails.
pub(crate) fn looks_like_pickle(prefix: &[u8], policy: &Policy) -> bool {
    let Some(&first) = prefix.first() else {
        return false;
    };
    if first == 0x80 {
        let proto_ok = prefix.get(1).is_some_and(|&p| p <= vm::HIGHEST_PROTOCOL);
        return proto_ok && prefix.get(2).is_none_or(|&op| vm::is_opcode(op));
    }
    if !vm::is_opcode(first) || first == b'.' {
        return false;
    }
    let mut stream = ByteStream::with_capacity(prefix, prefix.len().max(64));
    let mut scan = PickleScan::default();
    let end = Walker::new(&mut stream, &mut scan, PickleContext::Plain).walk_one();
    let text_like = !prefix.contains(&0) && std::str::from_utf8(prefix).is_ok();
    if end == End::Stop {
        // Text can reach a STOP by accident ("Copyright (c) ..." parses a little way);
        // a text-like pickle must end at its STOP (a newline may follow).
        let rest = &prefix[(stream.position() as usize).min(prefix.len())..];
        return scan.opcodes >= 2 && (!text_like || rest.iter().all(u8::is_ascii_whitespace));
    }
    let called = scan.calls.keys().any(|k| !k.starts_with('<'));
    let dangerous = scan.globals.iter().any(|g| {
        g.module.split('.').all(is_identifier)
            && g.name.split('.').all(is_identifier)
            && matches!(
                policy.classify(&g.module, &g.name).class,
                GlobalClass::Exec | GlobalClass::Io | GlobalClass::CodeObject
            )
    });
    called || dangerous
}

pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_')
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Pickle,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    // A PROTO opcode first is as good as a signature; protocols 0 and 1 have none.
    head: |b, policy| match looks_like_pickle(b, policy) {
        true if b[0] == 0x80 => Some(crate::format::Evidence::Magic),
        true => Some(crate::format::Evidence::Heuristic),
        false => None,
    },
    tail: None,
    // PaddlePaddle's paddle.save writes `.pdparams` and `.pdopt` with pickle protocol 4.
    claimed_by: &[
        "pkl", "pickle", "joblib", "dill", "sav", "bin", "pt", "pth", "ckpt", "pdparams", "pdopt",
    ],
    exclusive_names: &[],
    parse: crate::format::Parser::Driver,
};

#[cfg(test)]
mod tests;
