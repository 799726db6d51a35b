//! `scan --targets-from`: many targets, each judged as `modelvet scan TARGET` would judge
//! it, a bounded number at once, one record per target written as it finishes (JSON Lines
//! or a text line), resumable from its own output.

use std::collections::HashSet;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, Read, Seek, Write};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use serde_json::{json, Value};

use super::{scan_settings, scan_targets, Format, ScanArgs, ScanSettings};
use crate::hub::RepoRef;
use crate::limits::{MAX_BATCH_LIST_BYTES, MAX_BATCH_TARGETS, MAX_BATCH_TARGET_BYTES};
use crate::report::{Report, EXIT_CLEAN, EXIT_FINDINGS, EXIT_INCOMPLETE, EXIT_USAGE};

/// Most targets in flight when `--jobs` is not given (and the CPU count is larger).
const DEFAULT_MAX_JOBS: usize = 16;
/// Most targets in flight whatever `--jobs` says.
const MAX_JOBS: usize = 256;

pub(super) fn run_batch(args: &ScanArgs) -> Result<i32, String> {
    let format = match args.format {
        Format::Jsonl | Format::Text => args.format,
        other => {
            return Err(format!(
                "--targets-from writes one record per target: use --format jsonl or text (not {other:?})"
            ))
        }
    };
    if args.resume.is_some() && format != Format::Jsonl {
        return Err("--resume reads and appends JSON Lines records: use --format jsonl".into());
    }
    let listed = read_targets(args.targets_from.as_deref().unwrap_or("-"))?;
    let mut seen = HashSet::new();
    let unique: Vec<String> = listed
        .iter()
        .filter(|t| seen.insert(t.as_str()))
        .cloned()
        .collect();
    let duplicates = listed.len() - unique.len();
    // Flags and configuration first: a bad one must not touch the output or resume file.
    let settings = scan_settings(args, &unique, false)?;

    let (mut out, recorded): (Box<dyn Write + Send>, Recorded) = match (&args.resume, &args.output)
    {
        (Some(path), _) => {
            let (file, recorded) = open_resumed(path)?;
            (Box::new(file), recorded)
        }
        (None, Some(path)) => {
            super::check_output_path(path, &unique)?;
            let file = File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
            (Box::new(file), Recorded::default())
        }
        (None, None) => (Box::new(std::io::stdout()), Recorded::default()),
    };
    let todo: Vec<&String> = unique
        .iter()
        .filter(|t| !recorded.targets.contains(t.as_str()))
        .collect();
    let skipped = unique.len() - todo.len();

    let jobs = args
        .jobs
        .unwrap_or_else(|| {
            std::thread::available_parallelism()
                .map_or(1, |n| n.get())
                .min(DEFAULT_MAX_JOBS)
        })
        .clamp(1, MAX_JOBS)
        .min(todo.len().max(1));

    let started = Instant::now();
    let writer = Mutex::new((&mut out, Tally::default()));
    let next = AtomicUsize::new(0);
    let write_failed = Mutex::new(None::<String>);
    // Set when the output is gone (a failed write, or a reader that closed the pipe, as
    // `| head` does): the targets left are not scanned.
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(target) = todo.get(i) else { break };
                if stop.load(Ordering::Relaxed) {
                    break;
                }
                let record = scan_one(args, &settings, target);
                let line = match format {
                    Format::Jsonl => record.line(),
                    _ => record.text_line(),
                };
                let mut guard = writer.lock().unwrap_or_else(|p| p.into_inner());
                guard.1.add(record.exit_code, &record.verdict);
                // One write per record: a crash leaves whole records and at most one cut
                // short, which --resume drops.
                if let Err(e) = guard
                    .0
                    .write_all(line.as_bytes())
                    .and_then(|_| guard.0.flush())
                {
                    stop.store(true, Ordering::Relaxed);
                    if e.kind() != std::io::ErrorKind::BrokenPipe {
                        *write_failed.lock().unwrap_or_else(|p| p.into_inner()) =
                            Some(format!("writing a record: {e}"));
                    }
                }
            });
        }
    });
    if let Some(e) = write_failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
        return Err(e);
    }
    let (out, tally) = writer.into_inner().unwrap_or_else(|p| p.into_inner());
    let mut all = tally.clone();
    for (code, verdict) in &recorded.outcomes {
        all.add(*code, verdict);
    }
    let exit_code = all.exit_code();
    let summary = json!({
        "tool": {"name": "modelvet", "version": env!("CARGO_PKG_VERSION"), "rules": crate::rules::CATALOG_VERSION},
        "targets": listed.len(),
        "unique_targets": unique.len(),
        "duplicates": duplicates,
        "scanned": tally.targets,
        "already_recorded": skipped,
        "verdicts": all.verdicts,
        "exit_code": exit_code,
        "elapsed_ms": started.elapsed().as_millis() as u64,
        "cache": settings.opts.cache.as_ref().map(|c| json!({
            "hits": c.counters.hits.load(Ordering::Relaxed),
            "misses": c.counters.misses.load(Ordering::Relaxed),
            "stored": c.counters.stored.load(Ordering::Relaxed),
            "rejected": c.counters.rejected.load(Ordering::Relaxed),
        })),
    });
    let last = match format {
        Format::Jsonl => {
            let rest = summary.to_string();
            format!(
                "{{\"kind\":\"summary\",{}\n",
                rest.strip_prefix('{').unwrap_or(&rest)
            )
        }
        _ => format!(
            "{} targets: {} scanned, {} already recorded, {} duplicates; verdicts {}; exit code {exit_code}\n",
            listed.len(),
            tally.targets,
            skipped,
            duplicates,
            serde_json::to_string(&all.verdicts).unwrap_or_default()
        ),
    };
    if let Err(e) = out.write_all(last.as_bytes()).and_then(|_| out.flush()) {
        if e.kind() != std::io::ErrorKind::BrokenPipe {
            return Err(format!("writing the summary: {e}"));
        }
    }
    Ok(exit_code)
}

/// The targets of `--targets-from`, in order, blank lines and `#` comments left out.
fn read_targets(from: &str) -> Result<Vec<String>, String> {
    let reader: Box<dyn Read> = if from == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(File::open(from).map_err(|e| format!("--targets-from {from}: {e}"))?)
    };
    let mut reader = BufReader::new(reader);
    let mut targets = Vec::new();
    let mut line = Vec::new();
    let mut number = 0u64;
    let mut list_bytes = 0usize;
    loop {
        line.clear();
        number += 1;
        let n = (&mut reader)
            .take(MAX_BATCH_TARGET_BYTES as u64 + 1)
            .read_until(b'\n', &mut line)
            .map_err(|e| format!("--targets-from {from}: {e}"))?;
        if n == 0 {
            break;
        }
        if line.len() > MAX_BATCH_TARGET_BYTES && !line.ends_with(b"\n") {
            return Err(format!(
                "--targets-from {from}: line {number} is longer than MAX_BATCH_TARGET_BYTES ({MAX_BATCH_TARGET_BYTES} bytes)"
            ));
        }
        let text = std::str::from_utf8(&line)
            .map_err(|_| format!("--targets-from {from}: line {number} is not UTF-8"))?
            .trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        if targets.len() == MAX_BATCH_TARGETS {
            return Err(format!(
                "--targets-from {from}: more than MAX_BATCH_TARGETS ({MAX_BATCH_TARGETS}) targets; split the list"
            ));
        }
        list_bytes += text.len();
        if list_bytes > MAX_BATCH_LIST_BYTES {
            return Err(format!(
                "--targets-from {from}: more than MAX_BATCH_LIST_BYTES ({MAX_BATCH_LIST_BYTES}) bytes of targets; split the list"
            ));
        }
        targets.push(text.to_string());
    }
    Ok(targets)
}

/// What an earlier run's output records: its targets, and each one's exit code and verdict.
#[derive(Default)]
struct Recorded {
    targets: HashSet<String>,
    outcomes: Vec<(i32, String)>,
}

/// Opens `--resume FILE` for appending, after reading the targets it records. A last line
/// without its newline is a record cut short (the run was killed while writing): it is
/// cut off, and its target scanned again.
fn open_resumed(path: &Path) -> Result<(File, Recorded), String> {
    let shown = path.display();
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(|e| format!("--resume {shown}: {e}"))?;
    let mut recorded = Recorded::default();
    let mut reader = BufReader::new(&mut file);
    let mut whole_until = 0u64;
    let mut number = 0u64;
    loop {
        number += 1;
        let (head, len, whole) = read_line_head(&mut reader, RECORD_HEAD_BYTES)
            .map_err(|e| format!("--resume {shown}: {e}"))?;
        if len == 0 || !whole {
            break;
        }
        whole_until += len;
        let Some((target, code, verdict)) = parse_record_head(&head) else {
            if head.starts_with(br#"{"kind":"summary""#) {
                continue;
            }
            return Err(format!(
                "--resume {shown}: line {number} is not a record of `modelvet scan --targets-from --format jsonl`"
            ));
        };
        if recorded.targets.insert(target) {
            recorded.outcomes.push((code, verdict));
        }
    }
    drop(reader);
    let len = file
        .seek(std::io::SeekFrom::End(0))
        .map_err(|e| format!("--resume {shown}: {e}"))?;
    if len > whole_until {
        file.set_len(whole_until)
            .map_err(|e| format!("--resume {shown}: cannot cut the partial last record: {e}"))?;
    }
    Ok((file, recorded))
}

/// How much of a record's line `--resume` reads: the head (kind, target, verdict, exit
/// code) always fits, whatever the size of the artifacts after it.
const RECORD_HEAD_BYTES: usize = MAX_BATCH_TARGET_BYTES * 7 + 256;

/// Reads one line, keeping at most `keep` bytes of it: (kept bytes, line length, whether
/// it ended with a newline).
fn read_line_head(reader: &mut impl BufRead, keep: usize) -> std::io::Result<(Vec<u8>, u64, bool)> {
    let mut head = Vec::new();
    let mut len = 0u64;
    loop {
        let buf = reader.fill_buf()?;
        if buf.is_empty() {
            return Ok((head, len, false));
        }
        let (chunk, done) = match buf.iter().position(|&b| b == b'\n') {
            Some(i) => (&buf[..=i], true),
            None => (buf, false),
        };
        let room = keep.saturating_sub(head.len());
        head.extend_from_slice(&chunk[..chunk.len().min(room)]);
        let n = chunk.len();
        len += n as u64;
        reader.consume(n);
        if done {
            return Ok((head, len, true));
        }
    }
}

/// The target, exit code and verdict at the head of a target record (see [`TargetRecord::line`]).
pub(crate) fn parse_record_head(head: &[u8]) -> Option<(String, i32, String)> {
    let rest = head.strip_prefix(br#"{"kind":"target","target":"#)?;
    let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
    // The stream stops at the comma after each value; step over it by hand.
    let target = values.next()?.ok()?.as_str()?.to_string();
    let offset = values.byte_offset();
    let rest = rest[offset..].strip_prefix(br#","verdict":"#)?;
    let mut values = serde_json::Deserializer::from_slice(rest).into_iter::<Value>();
    let verdict = values.next()?.ok()?.as_str()?.to_string();
    let offset = values.byte_offset();
    let rest = rest[offset..].strip_prefix(br#","exit_code":"#)?;
    let digits: Vec<u8> = rest
        .iter()
        .copied()
        .take_while(u8::is_ascii_digit)
        .collect();
    let code = std::str::from_utf8(&digits).ok()?.parse().ok()?;
    Some((target, code, verdict))
}

/// The outcome of one target.
struct TargetRecord {
    json: Value,
    target: String,
    exit_code: i32,
    verdict: String,
}

impl TargetRecord {
    /// The JSON Lines record. Its head is written in a fixed order (kind, target, verdict,
    /// exit code) so `--resume` reads a bounded prefix of each line, however many
    /// artifacts follow.
    fn line(&self) -> String {
        let rest = serde_json::to_string(&self.json).expect("json values serialise");
        let rest = rest.strip_prefix('{').unwrap_or(&rest);
        format!(
            "{{\"kind\":\"target\",\"target\":{},\"verdict\":{},\"exit_code\":{},{rest}\n",
            Value::from(self.target.as_str()),
            Value::from(self.verdict.as_str()),
            self.exit_code
        )
    }

    fn text_line(&self) -> String {
        let v = &self.json;
        let mut line = format!("{:<10} {}", self.verdict, self.target);
        if let Some(e) = v.get("error").and_then(Value::as_str) {
            line.push_str(&format!("  ({e})"));
        } else {
            let findings = v["findings"]
                .as_object()
                .map(|m| {
                    m.iter()
                        .filter(|(_, n)| n.as_u64().unwrap_or(0) > 0)
                        .map(|(s, n)| format!("{n} {s}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default();
            line.push_str(&format!(
                "  ({} files, {} bytes read, {} ms{}{})",
                v["files"],
                v["bytes_read"],
                v["elapsed_ms"],
                if findings.is_empty() {
                    String::new()
                } else {
                    format!("; {findings}")
                },
                match v["cache"]["hits"].as_u64() {
                    Some(h) if h > 0 => format!("; {h} from cache"),
                    _ => String::new(),
                }
            ));
        }
        line.push('\n');
        line
    }
}

fn scan_one(args: &ScanArgs, settings: &ScanSettings, target: &str) -> TargetRecord {
    let started = Instant::now();
    let paths = [target.to_string()];
    // A panic in one target costs that target (recorded as an error), not the batch.
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scan_targets(args, settings, &paths)
    }))
    .unwrap_or_else(|_| {
        Err("internal error: the scan of this target failed (a bug; please report it)".into())
    });
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match outcome {
        Ok(report) => record_of(target, &report, elapsed_ms),
        Err(e) => TargetRecord {
            json: json!({
                "source": source_kind(target),
                "error": e,
                "elapsed_ms": elapsed_ms,
            }),
            target: target.to_string(),
            exit_code: EXIT_USAGE,
            verdict: "error".into(),
        },
    }
}

fn source_kind(target: &str) -> &'static str {
    if RepoRef::looks_remote(target) {
        "hf"
    } else if crate::object_stores::looks_like_store(target) {
        crate::object_stores::StoreUrl::parse(target).map_or("store", |u| u.scheme.as_str())
    } else {
        "local"
    }
}

fn record_of(target: &str, report: &Report, elapsed_ms: u64) -> TargetRecord {
    let tops = || report.artifacts.iter().filter(|a| a.member.is_none());
    let cache_hits = tops()
        .filter(|a| a.facts.contains_key("verdict_cache"))
        .count();
    let (bytes_read, bytes_total, requests) = if report.remote.is_empty() {
        // Local files are read whole (to hash them, or to key the cache); without hashing
        // the parsers read what they need, which is not counted.
        let total: u64 = tops().map(|a| a.size).sum();
        let hashed = tops().all(|a| a.sha256.is_some());
        (hashed.then_some(total), total, None)
    } else {
        let t = |f: fn(&crate::report::RemoteTotals) -> u64| -> u64 {
            report.remote.iter().map(|r| f(&r.totals)).sum()
        };
        (
            Some(t(|x| x.bytes_read)),
            t(|x| x.bytes_total),
            Some(t(|x| x.requests)),
        )
    };
    let remote = report.remote.first();
    let error = report
        .artifacts
        .iter()
        .find(|a| a.input_error || (a.path == target && a.status == crate::report::Status::Error))
        .and_then(|a| a.reason.clone());
    let json = json!({
        "source": source_kind(target),
        "revision": remote.map(|r| r.revision.clone()),
        "commit": remote.map(|r| r.commit.clone()),
        "files": report.summary.files,
        "findings": report.summary.findings,
        "bytes_read": bytes_read,
        "bytes_total": bytes_total,
        "requests": requests,
        "cache": json!({"hits": cache_hits}),
        "elapsed_ms": elapsed_ms,
        "error": error,
        "artifacts": report.artifacts,
        "models": report.models,
    });
    TargetRecord {
        json,
        target: target.to_string(),
        exit_code: report.summary.exit_code,
        verdict: report.summary.verdict.to_string(),
    }
}

/// Verdict counts and the batch's exit code: a finding anywhere wins, then an error, then
/// an incomplete target, as in one scan's summary.
#[derive(Clone, Default)]
struct Tally {
    targets: usize,
    verdicts: std::collections::BTreeMap<String, usize>,
    codes: [bool; 4],
}

impl Tally {
    fn add(&mut self, code: i32, verdict: &str) {
        self.targets += 1;
        *self.verdicts.entry(verdict.to_string()).or_default() += 1;
        self.codes[code.clamp(0, 3) as usize] = true;
    }

    fn exit_code(&self) -> i32 {
        for code in [EXIT_FINDINGS, EXIT_USAGE, EXIT_INCOMPLETE] {
            if self.codes[code as usize] {
                return code;
            }
        }
        EXIT_CLEAN
    }
}
