//! Drives a scan: walks the inputs, opens containers, hands each artifact to its parser
//! by content, and collects one [`Artifact`] per file and per parsed member.

mod archives;
mod models;
pub mod policy_checks;
pub mod progress;
pub mod scope;
mod walk;

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;

use rayon::prelude::*;

use progress::Progress;
pub use scope::{Scope, ScopeSection};
use sha2::{Digest, Sha256};

use crate::containers::compress::Budget;
use crate::format::{ParseContext, Parser};
use crate::formats::pickle::{self, PickleContext, StorageRef};
use crate::formats::registry::{self, Format, Sniffed, SNIFF_LEN, TAIL_LEN};
use crate::formats::{numpy, Parsed};
use crate::hf::files::{self as hub, ShardIndex};
use crate::limits::{self, LimitHit};
use crate::policy::Policy;
use crate::report::{Artifact, ArtifactKind, Finding, Report, Status};
use crate::rules;
use crate::source::{hex, spill, ByteStream, FileSource, ReadAt, ReadAtCursor, SkipRead};
use crate::verdict_cache::{CachedFile, ContentId, ReadMode, VerdictCache};

pub struct ScanOptions {
    /// SHA-256 of every top-level file.
    pub hash: bool,
    pub policy: Policy,
    /// Progress on stderr (only used when stderr is a terminal).
    pub progress: bool,
    /// What folder walks leave out.
    pub scope: Scope,
    /// Verdicts of earlier scans by content (`--cache DIR`): a file whose bytes were
    /// judged before is not parsed again.
    pub cache: Option<Arc<VerdictCache>>,
}

impl ScanOptions {
    /// Hashing on, the built-in policy, no progress, the default scope.
    pub fn new() -> ScanOptions {
        ScanOptions {
            cache: None,
            hash: true,
            policy: Policy::new(),
            progress: false,
            scope: Scope::default(),
        }
    }
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions::new()
    }
}

/// What a local scan found, and what its folder walks left out.
pub struct LocalScan {
    pub artifacts: Vec<Artifact>,
    pub scope: ScopeSection,
}

type Stream<'a> = ByteStream<Box<dyn SkipRead + 'a>>;

/// Where an artifact sits and what is known about it before its bytes are read.
#[derive(Clone)]
struct Node {
    path: String,
    file: String,
    member: Option<String>,
    depth: usize,
    /// The user named it, or its name claims a model format.
    expected: bool,
    pickle_ctx: PickleContext,
    /// The directory holding the file on disk, for formats that reference files beside
    /// them (ONNX external data). None for members and standard input.
    disk_dir: Option<PathBuf>,
}

impl Node {
    fn child(&self, name: &str, ctx: PickleContext) -> Node {
        Node {
            path: format!("{}!{}", self.path, name),
            file: self.file.clone(),
            member: Some(match &self.member {
                Some(m) => format!("{m}!{name}"),
                None => name.to_string(),
            }),
            depth: self.depth + 1,
            expected: registry::name_claims_model(name),
            pickle_ctx: ctx,
            disk_dir: None,
        }
    }
}

pub(crate) struct Scanner<'o> {
    opts: &'o ScanOptions,
    pub artifacts: Vec<Artifact>,
    budget: Rc<Budget>,
    progress: Arc<Progress>,
    /// Whether tail probes may read the end of a source: true for local bytes, false for
    /// remote ones, where the tail would cost a request of its own.
    read_tails: bool,
    /// Tensor names of every parsed safetensors file, by artifact path (for shard indexes).
    tensor_names: BTreeMap<String, Vec<String>>,
    /// Shard indexes found, by artifact path.
    shard_indexes: Vec<(String, ShardIndex)>,
    /// Embedded payloads being scanned around the current artifact (see [`Self::apply_at`]).
    embedded_depth: usize,
}

/// Scans every input (files, directories, `-` for stdin). Fails only for usage errors
/// (a path that does not exist); everything else becomes an artifact status.
///
/// Files are scanned in parallel (rayon's pool, `RAYON_NUM_THREADS` threads), each with
/// its own budgets; results are put back in plan order, so the report is the one a
/// sequential scan gives, byte for byte.
pub fn scan_inputs(inputs: &[String], opts: &ScanOptions) -> Result<Vec<Artifact>, String> {
    scan_local(inputs, opts).map(|scan| scan.artifacts)
}

/// [`scan_inputs`], with what the folder walks left out.
pub fn scan_local(inputs: &[String], opts: &ScanOptions) -> Result<LocalScan, String> {
    let walk::Plan { work, scope } = walk::plan(inputs, &opts.scope)?;
    let files = work
        .iter()
        .filter(|w| !matches!(w, walk::Work::Done(_)))
        .count();
    let bytes = work
        .iter()
        .map(|w| match w {
            walk::Work::File { path, .. } => std::fs::metadata(path).map_or(0, |m| m.len()),
            _ => 0,
        })
        .sum();
    let progress = Arc::new(Progress::new(opts.progress, files, bytes));
    let parts: Vec<ScannedPart> = work
        .into_par_iter()
        .map(|item| {
            let mut scanner = Scanner::new(opts);
            scanner.progress = progress.clone();
            match item {
                walk::Work::Stdin => scanner
                    .scan_stream_input("-", || Ok(Box::new(io::stdin().lock()) as Box<dyn Read>)),
                walk::Work::Pipe { display, path } => scanner.scan_stream_input(&display, || {
                    Ok(Box::new(File::open(&path)?) as Box<dyn Read>)
                }),
                walk::Work::File {
                    display,
                    path,
                    explicit,
                    ..
                } => scanner.scan_file(&display, &path, explicit),
                walk::Work::Done(artifact) => scanner.artifacts.push(*artifact),
            }
            ScannedPart {
                artifacts: scanner.artifacts,
                tensor_names: scanner.tensor_names,
                shard_indexes: scanner.shard_indexes,
            }
        })
        .collect();
    let mut scanner = Scanner::new(opts);
    scanner.progress = progress;
    for part in parts {
        scanner.artifacts.extend(part.artifacts);
        scanner.tensor_names.extend(part.tensor_names);
        scanner.shard_indexes.extend(part.shard_indexes);
    }
    Ok(LocalScan {
        artifacts: scanner.finish(),
        scope,
    })
}

/// The 1-based line of a text file a finding points at, found by what it names: the
/// dotted callable (a Hydra `_target_`, an MLflow `loader_module`), else the key that
/// carries it (`auto_map`, a chat template). SARIF and GitHub annotations show the line.
fn text_line(text: &[u8], f: &Finding) -> Option<u64> {
    let dotted = match (&f.evidence.module, &f.evidence.name) {
        (Some(m), Some(n)) if !n.is_empty() => Some(format!("{m}.{n}")),
        (Some(m), _) => Some(m.clone()),
        _ => None,
    };
    let keys = ["\"auto_map\"", "chat_template", "_target_", "loader_module"];
    let needles = dotted
        .iter()
        .map(String::as_str)
        .chain(keys.iter().copied());
    for needle in needles {
        let n = needle.as_bytes();
        if n.is_empty() || n.len() > text.len() {
            continue;
        }
        if let Some(at) = text.windows(n.len()).position(|w| w == n) {
            return Some(1 + text[..at].iter().filter(|&&b| b == b'\n').count() as u64);
        }
    }
    None
}

/// What one unit of work produced, before the checks that span files.
struct ScannedPart {
    artifacts: Vec<Artifact>,
    tensor_names: BTreeMap<String, Vec<String>>,
    shard_indexes: Vec<(String, ShardIndex)>,
}

/// The report of a scan: artifacts sorted by path, the directories that are one model
/// grouped, the summary and exit code judged against `fail_on`.
/// The folders that are one model (a Hugging Face layout, a SavedModel, ...), with their
/// files, as `build_report` groups them.
pub fn model_groups(artifacts: &[Artifact]) -> Vec<crate::report::ModelGroup> {
    models::group(artifacts)
}

pub fn build_report(
    inputs: Vec<String>,
    mut artifacts: Vec<Artifact>,
    fail_on: impl Into<crate::report::Gate>,
) -> Report {
    models::judge_onnx_external_data(&mut artifacts);
    let groups = models::group(&artifacts);
    models::judge_python_files(&mut artifacts, &groups);
    let mut report = Report::new(inputs, artifacts, fail_on);
    report.models = groups;
    report
}

/// A top-level source that is not a local file (a Hub file read over HTTP ranges).
pub(crate) struct NamedSource {
    /// The artifact's `path` and `file` in the report.
    pub path: String,
    pub source: Arc<dyn ReadAt>,
    /// What the endpoint publishes as the bytes' identity: the verdict cache key.
    pub content_id: Option<ContentId>,
    /// The verdict the cache holds for these bytes: used instead of reading them.
    pub cached: Option<CachedFile>,
}

/// Scans sources that are not local files, in order, as top-level artifacts (members get
/// `path!member` paths as usual), then cross-checks shard indexes over all of them.
/// Nothing is hashed here: a remote caller hashes what it received. `first_read` bounds the
/// first sequential read of each source (see [`ByteStream::first_read`]); `after_each` is
/// called with the source's index once its artifacts are final, so the caller can release
/// per-source state.
pub(crate) fn scan_sources(
    sources: &[NamedSource],
    opts: &ScanOptions,
    first_read: usize,
    mut after_each: impl FnMut(usize, &mut [Artifact]),
) -> Vec<Artifact> {
    let mut scanner = Scanner::new(opts);
    scanner.read_tails = false;
    for (i, s) in sources.iter().enumerate() {
        scanner.progress(&s.path);
        let node = Node {
            path: s.path.clone(),
            file: s.path.clone(),
            member: None,
            depth: 0,
            expected: registry::name_claims_model(&s.path),
            pickle_ctx: PickleContext::Plain,
            disk_dir: None,
        };
        let before = scanner.artifacts.len();
        if let Some(hit) = &s.cached {
            scanner.restore(hit.clone(), node.expected);
            after_each(i, &mut scanner.artifacts[before..]);
            continue;
        }
        let indexes_before = scanner.shard_indexes.len();
        let src = s.source.clone();
        scanner.guarded(&node, |scanner| {
            scanner.scan_source(node.clone(), src, None, Some(first_read))
        });
        after_each(i, &mut scanner.artifacts[before..]);
        if let (Some(cache), Some(id)) = (&opts.cache, &s.content_id) {
            if scanner.shard_indexes.len() == indexes_before {
                let part = scanner.part_since(before, &s.path);
                cache.put(id, &s.path, ReadMode::Ranged, &s.path, &part);
            }
        }
    }
    scanner.finish()
}

impl<'o> Scanner<'o> {
    fn new(opts: &'o ScanOptions) -> Scanner<'o> {
        Scanner {
            opts,
            artifacts: Vec::new(),
            budget: Rc::new(Budget::default()),
            progress: Arc::new(Progress::new(opts.progress, 0, 0)),
            read_tails: true,
            tensor_names: BTreeMap::new(),
            embedded_depth: 0,
            shard_indexes: Vec::new(),
        }
    }

    /// Clears the progress line and runs the checks that span files (shard indexes).
    fn finish(mut self) -> Vec<Artifact> {
        self.progress.clear();
        let indexes = std::mem::take(&mut self.shard_indexes);
        let findings = models::cross_check(&self.artifacts, &indexes, &self.tensor_names);
        if !findings.is_empty() {
            let position: BTreeMap<String, usize> = self
                .artifacts
                .iter()
                .enumerate()
                .map(|(i, a)| (a.path.clone(), i))
                .collect();
            for (path, finding) in findings {
                if let Some(&idx) = position.get(&path) {
                    self.add_finding(idx, finding);
                }
            }
        }
        self.artifacts
    }
}

impl Scanner<'_> {
    /// Runs the scan of one top-level file so that a parser bug costs that file, never the
    /// whole report, and never hides a finding made before it: after a panic the artifacts
    /// the file had produced stay (members already scanned, with their findings), and the
    /// file is marked an internal error, so it is never clean.
    fn guarded(&mut self, node: &Node, scan: impl FnOnce(&mut Self)) {
        const REASON: &str =
            "internal error: the scanner failed on this file (a bug; please report it)";
        let before = self.artifacts.len();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| scan(self)));
        if outcome.is_err() {
            // The artifact being parsed when it failed is the last one made; it and the
            // containers holding it were cut short. Members finished before stand.
            if let Some(last) = self.artifacts[before..].last().map(|a| a.path.clone()) {
                for a in &mut self.artifacts[before..] {
                    if last == a.path || last.starts_with(&format!("{}!", a.path)) {
                        a.mark_incomplete(REASON);
                    }
                }
            }
            match self.artifacts.get_mut(before) {
                Some(top) if top.member.is_none() => {
                    top.mark_error(REASON);
                    top.internal_error = true;
                }
                _ => {
                    let mut a = Artifact::new(node.path.clone(), node.file.clone(), None);
                    a.mark_error(REASON);
                    a.internal_error = true;
                    self.artifacts.insert(before, a);
                }
            }
        }
    }

    /// Runs one format parser so that a bug in it costs this artifact only: the members
    /// after it in the same container are still scanned, and the artifact is marked an
    /// internal error (never clean). What the container found before stands.
    fn parse_caught(&mut self, idx: usize, parse: impl FnOnce(&mut Parsed)) -> Parsed {
        #[cfg(test)]
        let injected = tests::FAIL_FORMAT.with(|f| f.get()) == Some(self.artifacts[idx].format);
        let mut parsed = Parsed::default();
        let run = |out: &mut Parsed| {
            parse(out);
            #[cfg(test)]
            if injected {
                out.add(
                    &crate::rules::SAFETENSORS_MALFORMED,
                    "made before the injected failure",
                );
                panic!("injected parser failure");
            }
        };
        if crate::format::survive(|| run(&mut parsed)).is_none() {
            let part = format!("{} parser", self.artifacts[idx].format);
            parsed.internal_error_in(&part);
        }
        parsed
    }

    fn progress(&self, path: &str) {
        self.progress.step(path);
    }

    /// A stream input: standard input, or a named FIFO or device. Random-access formats
    /// need a seekable copy, so it is spooled to an unlinked temporary file first; an
    /// empty stream is "not checked", never clean.
    fn scan_stream_input(
        &mut self,
        display: &str,
        open: impl FnOnce() -> io::Result<Box<dyn Read>>,
    ) {
        self.progress(display);
        let node = Node {
            path: display.into(),
            file: display.into(),
            member: None,
            depth: 0,
            expected: true,
            pickle_ctx: PickleContext::Plain,
            disk_dir: None,
        };
        let spooled =
            open().and_then(|mut input| spill(&mut input, limits::MAX_STREAM_INPUT_BYTES));
        match spooled {
            Ok((_, 0)) => {
                let mut a = Artifact::new(node.path.clone(), node.file.clone(), None);
                a.format = Format::Empty;
                a.mark_incomplete(format!(
                    "{display}: the stream is empty, nothing was scanned"
                ));
                self.artifacts.push(a);
            }
            Ok((f, copied)) => {
                let before = self.artifacts.len();
                self.guarded(&node, |scanner| {
                    scanner.scan_open_file(node.clone(), f, scanner.opts.hash)
                });
                if copied > limits::MAX_STREAM_INPUT_BYTES && before < self.artifacts.len() {
                    self.limit(before, LimitHit::StreamInputBytes);
                }
            }
            Err(e) => {
                let mut a = Artifact::new(node.path.clone(), node.file.clone(), None);
                a.mark_error(format!("cannot read {display}: {e}"));
                self.artifacts.push(a);
            }
        }
    }

    fn scan_file(&mut self, display: &str, path: &Path, explicit: bool) {
        self.progress(display);
        let node = Node {
            path: display.to_string(),
            file: display.to_string(),
            member: None,
            depth: 0,
            expected: explicit || registry::name_claims_model(display),
            pickle_ctx: PickleContext::Plain,
            disk_dir: path.parent().map(|d| {
                if d.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    d.to_path_buf()
                }
            }),
        };
        match File::open(path) {
            Ok(f) => match self.opts.cache.clone() {
                Some(cache) => self.scan_file_cached(&cache, node, f),
                None => self.guarded(&node, |scanner| {
                    scanner.scan_open_file(node.clone(), f, scanner.opts.hash)
                }),
            },
            Err(e) => {
                let mut a = Artifact::new(node.path.clone(), node.file.clone(), None);
                a.expected = node.expected;
                a.mark_error(format!("cannot open: {e}"));
                self.artifacts.push(a);
            }
        }
    }

    /// A local file with the verdict cache on: hashed whole first (its digest is the key),
    /// then either restored from the cache or scanned and stored.
    fn scan_file_cached(&mut self, cache: &VerdictCache, node: Node, file: File) {
        let hash = self.opts.hash;
        let unchanged_since = file.metadata().ok().map(|m| FileVersion::of(&m));
        let digest = match file.try_clone().and_then(hash_whole_file) {
            Ok(d) => hex(&d),
            // Unreadable for hashing: the ordinary scan reports why.
            Err(_) => {
                return self.guarded(&node, |scanner| {
                    scanner.scan_open_file(node.clone(), file, hash)
                })
            }
        };
        let id = ContentId::Sha256(digest.clone());
        if let Some(hit) = cache.get(&id, &node.path, ReadMode::Local, &node.path) {
            self.progress.finished(unchanged_since.map_or(0, |v| v.len));
            self.restore(hit, node.expected);
            return;
        }
        let before = self.artifacts.len();
        let indexes_before = self.shard_indexes.len();
        let after = file.try_clone().ok();
        self.guarded(&node, |scanner| {
            scanner.scan_open_file(node.clone(), file, false)
        });
        if let Some(top) = self.artifacts.get_mut(before) {
            top.sha256 = Some(digest);
        }
        // The verdict is stored under the digest of the first read only if the file did not
        // change before the parser's read: otherwise other bytes' verdict would be filed
        // under this digest (a writer racing the scan could file a clean verdict under a
        // malicious file's digest).
        let unchanged = match (unchanged_since, after.and_then(|f| f.metadata().ok())) {
            (Some(then), Some(now)) => then == FileVersion::of(&now),
            _ => false,
        };
        if unchanged && self.shard_indexes.len() == indexes_before {
            let part = self.part_since(before, &node.path);
            cache.put(&id, &node.path, ReadMode::Local, &node.path, &part);
        }
    }

    /// The artifacts from `before` on and the tensor names under `path`: one file's part.
    fn part_since(&self, before: usize, path: &str) -> CachedFile {
        let member_prefix = format!("{path}!");
        CachedFile {
            artifacts: self.artifacts[before..].to_vec(),
            tensor_names: self
                .tensor_names
                .iter()
                .filter(|(p, _)| *p == path || p.starts_with(&member_prefix))
                .map(|(p, names)| (p.clone(), names.clone()))
                .collect(),
        }
    }

    /// Puts a cached file's artifacts in the scan as if it had been parsed here.
    fn restore(&mut self, hit: CachedFile, expected: bool) {
        let start = self.artifacts.len();
        self.artifacts.extend(hit.artifacts);
        if let Some(top) = self.artifacts.get_mut(start) {
            top.expected = expected;
        }
        self.tensor_names.extend(hit.tensor_names);
    }

    /// An open file, hashed while it is scanned when `hash` is set.
    fn scan_open_file(&mut self, node: Node, file: File, hash: bool) {
        let hash_file = if hash { file.try_clone().ok() } else { None };
        let src: Arc<dyn ReadAt> = match FileSource::new(file) {
            Ok(s) => Arc::new(s),
            Err(e) => {
                let mut a = Artifact::new(node.path.clone(), node.file.clone(), None);
                a.mark_error(format!("cannot read: {e}"));
                self.artifacts.push(a);
                return;
            }
        };
        self.scan_source(node, src, hash_file, None);
    }

    /// One top-level source. `hash_file` (local files with hashing on) is hashed whole on
    /// a second thread; `first_read` bounds the first sequential read (remote sources).
    fn scan_source(
        &mut self,
        node: Node,
        src: Arc<dyn ReadAt>,
        hash_file: Option<File>,
        first_read: Option<usize>,
    ) {
        self.budget = Rc::new(Budget::default());
        let hashing = hash_file.is_some();
        let size = src.len();
        let mut prefix = vec![0u8; SNIFF_LEN.min(size as usize)];
        let read = match src.read_at(0, &mut prefix) {
            Ok(n) => n,
            Err(e) => {
                // Nothing could be read: neither the format nor any verdict is known.
                let mut a = Artifact::new(node.path.clone(), node.file.clone(), None);
                a.expected = node.expected;
                a.size = size;
                a.mark_error(format!("cannot read: {e}"));
                self.artifacts.push(a);
                return;
            }
        };
        prefix.truncate(read);
        let sniffed = self.sniff_with_tail(&prefix, &*src);
        let (idx, digest, io_error) = if sniffed.primary().needs_random_access() {
            // The hash needs every byte, the parser a few: hash on a second core meanwhile.
            let hasher = hash_file.map(|f| std::thread::spawn(move || hash_whole_file(f)));
            let shown = node.path.clone();
            let (idx, _) = self.scan_seekable(src, node, Some(sniffed));
            if hasher.as_ref().is_some_and(|h| !h.is_finished()) {
                self.progress.show(progress::Phase::Hashing, &shown);
            }
            let digest = hasher
                .and_then(|h| h.join().ok())
                .map(|r| r.map_err(|e| e.to_string()));
            match digest {
                Some(Ok(d)) => (idx, Some(d), None),
                Some(Err(e)) => (idx, None, Some(e)),
                None => (idx, None, None),
            }
        } else {
            let cursor: Box<dyn SkipRead> = Box::new(ReadAtCursor {
                source: src,
                pos: 0,
            });
            let mut stream = ByteStream::new(cursor);
            if let Some(n) = first_read {
                stream = stream.first_read(n);
            }
            if hashing {
                stream = stream.hashing();
            }
            let (idx, _) = self.scan_stream(&mut stream, node, Some(sniffed));
            let (_, digest, err) = stream.finish();
            (idx, digest, err)
        };
        self.progress.finished(size);
        let a = &mut self.artifacts[idx];
        a.size = size;
        a.sha256 = digest.map(|d| hex(&d));
        if let Some(e) = io_error {
            a.mark_incomplete(format!("read error: {e}"));
        }
    }

    fn new_artifact(&mut self, node: &Node) -> usize {
        let mut a = Artifact::new(node.path.clone(), node.file.clone(), node.member.clone());
        a.expected = node.expected;
        self.artifacts.push(a);
        self.artifacts.len() - 1
    }

    fn add_finding(&mut self, idx: usize, mut f: Finding) {
        let a = &mut self.artifacts[idx];
        // Parsers may grade a finding below or above its rule's default (a standard
        // checkpoint saver op); a user's override still wins.
        if let Some(severity) = self.opts.policy.severity_override(f.rule()) {
            f.severity = severity;
        }
        if f.location.member.is_none() {
            f.location.member = a.member.clone();
        }
        a.findings.push(f);
    }

    /// Copies a format parser's outcome onto the artifact.
    fn apply(&mut self, idx: usize, parsed: Parsed) {
        if let Some(format) = parsed.format {
            self.artifacts[idx].format = format;
        }
        for f in parsed.findings {
            self.add_finding(idx, f);
        }
        self.artifacts[idx].facts.extend(parsed.facts);
        if let Some(reason) = parsed.incomplete {
            self.artifacts[idx].mark_incomplete(reason);
        }
        self.artifacts[idx].internal_error |= parsed.internal_error;
    }

    /// Copies a parser's outcome onto the artifact, then scans what it carried inside its
    /// own encoding as members of it: a loader deserializes those bytes too.
    fn apply_at(&mut self, idx: usize, mut parsed: Parsed, node: &Node) {
        let embedded = std::mem::take(&mut parsed.embedded);
        self.apply(idx, parsed);
        if !embedded.is_empty() && self.embedded_depth >= limits::MAX_EMBEDDED_NESTING {
            // A payload inside a payload: each level holds its decoded bytes in memory.
            self.limit(idx, LimitHit::EmbeddedNesting);
            return;
        }
        for payload in embedded {
            let child = node.child(&payload.name, PickleContext::Plain);
            let source: Arc<dyn ReadAt> = Arc::new(payload.bytes);
            self.embedded_depth += 1;
            let (cidx, _) = self.scan_seekable(source, child, None);
            self.embedded_depth -= 1;
            if self.artifacts[cidx].status != Status::Complete {
                let reason = self.artifacts[cidx].reason.clone().unwrap_or_default();
                self.artifacts[idx].mark_incomplete(format!("{}: {reason}", payload.name));
            }
        }
    }

    fn limit(&mut self, idx: usize, hit: LimitHit) {
        self.add_finding(
            idx,
            Finding::new(&rules::SCAN_LIMIT_REACHED, hit.describe()),
        );
        self.artifacts[idx].mark_incomplete(hit.describe());
    }

    /// Random-access formats (zip, 7z); anything else is streamed.
    /// `known` is the format when the caller already sniffed the same bytes. Returns the
    /// artifact and any torch storage references its pickles named.
    fn scan_seekable(
        &mut self,
        src: Arc<dyn ReadAt>,
        node: Node,
        known: Option<Sniffed>,
    ) -> (usize, Vec<StorageRef>) {
        let sniffed = known.unwrap_or_else(|| self.sniff_source(&*src));
        let detected = sniffed.primary();
        match detected {
            format if format.needs_random_access() => {
                let idx = self.new_artifact(&node);
                self.artifacts[idx].format = detected;
                self.note_alternatives(idx, &sniffed);
                self.artifacts[idx].size = src.len();
                if node.depth > limits::MAX_NESTING_DEPTH {
                    self.limit(idx, LimitHit::NestingDepth);
                } else {
                    self.scan_random_access(src, idx, &node);
                }
                (idx, Vec::new())
            }
            _ => {
                let cursor: Box<dyn SkipRead> = Box::new(ReadAtCursor {
                    source: src,
                    pos: 0,
                });
                let mut stream = ByteStream::new(cursor);
                self.scan_stream(&mut stream, node, Some(sniffed))
            }
        }
    }

    /// Recognises a random-access source by its head and, for local bytes, its tail.
    fn sniff_source(&self, src: &dyn ReadAt) -> Sniffed {
        let mut prefix = vec![0u8; SNIFF_LEN.min(src.len() as usize)];
        let n = src.read_at(0, &mut prefix).unwrap_or(0);
        prefix.truncate(n);
        self.sniff_with_tail(&prefix, src)
    }

    /// The head is already read; the tail is read only where reads are local (a remote
    /// file would pay a request for it) and the head does not already cover it.
    fn sniff_with_tail(&self, head: &[u8], src: &dyn ReadAt) -> Sniffed {
        let len = src.len();
        if !self.read_tails || len <= head.len() as u64 {
            let whole = (len == head.len() as u64).then_some((head, len));
            return registry::sniff(head, whole, &self.opts.policy);
        }
        let take = (TAIL_LEN as u64).min(len);
        let mut tail = vec![0u8; take as usize];
        match src.read_at(len - take, &mut tail) {
            Ok(n) if n as u64 == take => {
                registry::sniff(head, Some((&tail, len)), &self.opts.policy)
            }
            _ => registry::sniff(head, None, &self.opts.policy),
        }
    }

    /// Other formats that accept the same bytes: recorded, so a reader sees a polyglot.
    fn note_alternatives(&mut self, idx: usize, sniffed: &Sniffed) {
        let others: Vec<&'static str> = sniffed.alternatives().map(Format::name).collect();
        if !others.is_empty() {
            self.artifacts[idx].set_fact(crate::facts::ALSO_ACCEPTED_AS, others);
        }
    }

    /// Sequential formats. Leaves the stream drained (so containers stay in step).
    /// `known` is the format when the caller already sniffed the same bytes. Returns the
    /// artifact and any torch storage references its pickles named.
    fn scan_stream(
        &mut self,
        stream: &mut Stream<'_>,
        node: Node,
        known: Option<Sniffed>,
    ) -> (usize, Vec<StorageRef>) {
        let idx = self.new_artifact(&node);
        let start = stream.position();
        let sniffed = known.unwrap_or_else(|| {
            let prefix = stream.fill(SNIFF_LEN);
            registry::sniff(prefix, None, &self.opts.policy)
        });
        let detected = sniffed.primary();
        let mut storages = Vec::new();
        self.artifacts[idx].format = detected;
        self.note_alternatives(idx, &sniffed);
        let name = node.member.as_deref().unwrap_or(&node.path).to_string();
        if let Some(claimed) = registry::claimed_format(&name) {
            let executable = matches!(
                detected,
                Format::Pickle | Format::TorchLegacy | Format::Zip | Format::SevenZip | Format::Tar
            ) || detected.is_compressed_stream();
            if executable && claimed != detected.name() {
                self.add_finding(
                    idx,
                    Finding::new(
                        &rules::FORMAT_NAME_MISMATCH,
                        format!(
                            "the name claims {claimed}, but the content is {}",
                            detected.name()
                        ),
                    ),
                );
            }
        }
        let mut lfs_pointer = if detected == Format::Text {
            crate::hf::lfs::parse_pointer(stream.fill(SNIFF_LEN))
                .filter(|_| stream.fill(SNIFF_LEN).len() < SNIFF_LEN)
        } else {
            None
        };
        if node.depth > limits::MAX_NESTING_DEPTH {
            self.limit(idx, LimitHit::NestingDepth);
        } else {
            match detected {
                Format::Pickle | Format::TorchLegacy => {
                    let ctx = if detected == Format::TorchLegacy {
                        PickleContext::TorchLegacy
                    } else {
                        node.pickle_ctx
                    };
                    self.artifacts[idx].format = match (detected, ctx) {
                        (Format::TorchLegacy, _) => Format::TorchLegacy,
                        _ => Format::Pickle,
                    };
                    storages = self.scan_pickle(stream, idx, ctx);
                }
                Format::Npy => self.scan_npy(stream, idx, &node),
                d if d.is_compressed_stream() => self.scan_compressed(stream, idx, &node, d),
                Format::Tar => self.scan_tar(stream, idx, &node),
                Format::Zip | Format::SevenZip | Format::Hdf5 => {
                    self.scan_buffered(stream, idx, &node)
                }
                Format::Text if lfs_pointer.is_some() => {
                    let pointer = lfs_pointer.take().expect("checked by the guard");
                    let a = &mut self.artifacts[idx];
                    a.kind = ArtifactKind::NotModel;
                    a.expected = true;
                    a.set_fact(
                        "git_lfs_pointer",
                        serde_json::json!({ "oid": pointer.oid, "size": pointer.size }),
                    );
                    a.mark_incomplete(format!(
                        "a Git LFS pointer to a {} byte file ({}), not the file: it was cloned \
                         without Git LFS; fetch it (`git lfs pull`) and scan again",
                        pointer.size, pointer.oid
                    ));
                }
                Format::Text | Format::Empty if registry::name_claims_model(&name) => {
                    // A model name over text: a Git LFS pointer, a cut-off download, a
                    // decoy. What the name promised was not there to check.
                    let a = &mut self.artifacts[idx];
                    a.kind = ArtifactKind::NotModel;
                    a.expected = true;
                    a.mark_incomplete(format!(
                        "the name claims a model, but the content is {}",
                        detected.name()
                    ));
                }
                Format::Text | Format::Image | Format::Empty => {
                    self.artifacts[idx].kind = ArtifactKind::NotModel;
                    self.artifacts[idx].expected = false;
                    if detected == Format::Text {
                        if let Some(role) = hub::role_of(&name) {
                            self.scan_hub_text(stream, idx, role, &node);
                        }
                    }
                }
                format => match format.spec().map(|s| s.parse) {
                    Some(Parser::Stream(parse)) => {
                        let ctx = ParseContext {
                            disk_dir: node.disk_dir.as_deref(),
                        };
                        let mut parsed = self.parse_caught(idx, |out| parse(stream, &ctx, out));
                        if let Some(names) = parsed.tensor_names.take() {
                            self.tensor_names.insert(node.path.clone(), names);
                        }
                        self.apply_at(idx, parsed, &node);
                    }
                    _ => {
                        let a = &mut self.artifacts[idx];
                        a.kind = ArtifactKind::Unrecognized;
                        a.mark_incomplete("unrecognized content: not a format modelvet parses");
                    }
                },
            }
        }
        // Drain what the parser did not need, so the size is known and containers stay in step.
        stream.skip_to_end();
        if let Some(e) = stream.io_error() {
            let reason = match self.budget.hit.get() {
                Some(hit) => hit.describe(),
                None => format!("read error: {e}"),
            };
            if let Some(hit) = self.budget.hit.get() {
                if !self.artifacts[idx]
                    .findings
                    .iter()
                    .any(|f| f.rule == rules::SCAN_LIMIT_REACHED.id)
                {
                    self.add_finding(
                        idx,
                        Finding::new(&rules::SCAN_LIMIT_REACHED, hit.describe()),
                    );
                }
            }
            self.artifacts[idx].mark_incomplete(reason);
        }
        self.artifacts[idx].size = stream.position() - start;
        (idx, storages)
    }

    /// A Hugging Face repository text file whose role its name gives (config, template,
    /// Python, shard index, model card).
    fn scan_hub_text(&mut self, stream: &mut Stream<'_>, idx: usize, role: hub::Role, node: &Node) {
        let cap = limits::MAX_JSON_BYTES as usize;
        let text = stream.read_bytes(cap + 1);
        let mut parsed = Parsed::default();
        if text.len() > cap {
            parsed.limit(LimitHit::JsonBytes);
        } else if let Some(index) =
            hub::inspect(role, &node.path, &text, &self.opts.policy, &mut parsed)
        {
            if node.member.is_none() {
                self.shard_indexes.push((node.path.clone(), index));
            }
        }
        if text.len() <= cap {
            parsed
                .findings
                .modify_each(|f| f.location.line = f.location.line.or_else(|| text_line(&text, f)));
        }
        self.artifacts[idx].set_fact("role", format!("{role:?}"));
        // These files steer loaders (remote code, templates, shard maps): one that could
        // not be read through is "not checked", which the run's verdict must show.
        let unchecked = parsed.incomplete.is_some();
        self.apply(idx, parsed);
        if unchecked {
            self.artifacts[idx].expected = true;
        }
    }

    fn scan_pickle(
        &mut self,
        stream: &mut Stream<'_>,
        idx: usize,
        ctx: PickleContext,
    ) -> Vec<StorageRef> {
        let scan = pickle::scan_stream(stream, ctx, &self.opts.policy);
        let facts = scan.facts(&self.opts.policy, ctx);
        self.artifacts[idx].set_fact("pickle", facts);
        for f in scan.findings {
            let mut f = f;
            f.location.member = self.artifacts[idx].member.clone();
            self.artifacts[idx].findings.push(f);
        }
        if let Some(reason) = scan.incomplete {
            self.artifacts[idx].mark_incomplete(reason);
        }
        if scan.internal_error {
            self.artifacts[idx].internal_error = true;
        }
        scan.storages
    }

    fn scan_npy(&mut self, stream: &mut Stream<'_>, idx: usize, node: &Node) {
        let checked = numpy::check(stream);
        self.apply(idx, checked.parsed);
        if checked.object_payload {
            let child = node.child("<object payload>", PickleContext::Plain);
            let cidx = self.new_artifact(&child);
            self.artifacts[cidx].format = Format::Pickle;
            self.scan_pickle(stream, cidx, PickleContext::Plain);
            if self.artifacts[cidx].status != Status::Complete {
                let reason = self.artifacts[cidx].reason.clone().unwrap_or_default();
                self.artifacts[idx].mark_incomplete(reason);
            }
        }
    }

    /// A random-access format: the archives the driver opens itself, or the format's own
    /// random-access entry point.
    fn scan_random_access(&mut self, src: Arc<dyn ReadAt>, idx: usize, node: &Node) {
        let format = self.artifacts[idx].format;
        match (format, format.spec().map(|s| s.parse)) {
            (Format::Zip, _) => self.scan_zip(src, idx, node),
            (Format::SevenZip, _) => self.scan_7z(src, idx, node),
            (_, Some(Parser::RandomAccess(parse))) => {
                let parsed = self.parse_caught(idx, |out| parse(&*src, out));
                self.apply_at(idx, parsed, node);
            }
            _ => self.artifacts[idx].mark_incomplete(format!(
                "no random-access reader for {format} (a bug in the format registry)"
            )),
        }
    }

    /// Removes a member artifact that is plainly not a model and says nothing.
    fn drop_if_uninteresting(&mut self, idx: usize) {
        if idx + 1 == self.artifacts.len() {
            let a = &self.artifacts[idx];
            if a.member.is_some()
                && a.kind == ArtifactKind::NotModel
                && a.findings.is_empty()
                && a.status == Status::Complete
            {
                self.artifacts.pop();
            }
        }
    }
}

/// SHA-256 of the whole file from its first byte, whatever its cursor (a spooled stream's
/// cursor sits at its end).
/// What changes when a file's bytes do: its length, its modification time and its inode
/// change time (which no user can set back).
#[derive(Clone, Copy, PartialEq, Eq)]
struct FileVersion {
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

impl FileVersion {
    fn of(m: &std::fs::Metadata) -> FileVersion {
        use std::os::unix::fs::MetadataExt;
        FileVersion {
            len: m.len(),
            modified: (m.mtime(), m.mtime_nsec()),
            changed: (m.ctime(), m.ctime_nsec()),
        }
    }
}

fn hash_whole_file(f: File) -> io::Result<[u8; 32]> {
    use std::os::unix::fs::FileExt;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    let mut offset = 0u64;
    loop {
        let n = f.read_at(&mut buf, offset)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
        offset += n as u64;
    }
    Ok(h.finalize().into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Severity;

    #[test]
    fn a_rewrite_changes_the_file_version_even_with_its_old_mtime() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("m.pkl");
        std::fs::write(&path, b"benign").unwrap();
        let file = File::open(&path).unwrap();
        let before = FileVersion::of(&file.metadata().unwrap());
        assert!(before == FileVersion::of(&file.metadata().unwrap()));
        // Same length, modification time set back: the inode change time still moves.
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&path, b"payload").unwrap();
        std::fs::write(&path, b"benigm").unwrap();
        let old_mtime = std::time::UNIX_EPOCH
            + std::time::Duration::new(before.modified.0 as u64, before.modified.1 as u32);
        std::fs::File::options()
            .write(true)
            .open(&path)
            .unwrap()
            .set_modified(old_mtime)
            .unwrap();
        let after = FileVersion::of(&file.metadata().unwrap());
        assert_eq!((after.len, after.modified), (before.len, before.modified));
        assert!(before != after, "ctime moved");
    }

    #[test]
    fn a_panic_keeps_what_the_file_had_shown() {
        let opts = ScanOptions {
            cache: None,
            hash: false,
            policy: Policy::new(),
            progress: false,
            scope: Scope::default(),
        };
        let mut scanner = Scanner::new(&opts);
        let node = Node {
            path: "m.zip".into(),
            file: "m.zip".into(),
            member: None,
            depth: 0,
            expected: true,
            pickle_ctx: PickleContext::Plain,
            disk_dir: None,
        };
        scanner.guarded(&node, |s| {
            let top = s.new_artifact(&node);
            let done = s.new_artifact(&node.child("a.pkl", PickleContext::Plain));
            s.add_finding(
                done,
                Finding::new(&rules::PICKLE_EXEC_GLOBAL, "imports os.system"),
            );
            let _inner = s.new_artifact(&node.child("b.zip", PickleContext::Plain));
            let _cut = s.new_artifact(
                &node
                    .child("b.zip", PickleContext::Plain)
                    .child("c.pkl", PickleContext::Plain),
            );
            assert_eq!(top, 0);
            panic!("a parser bug");
        });
        let status: Vec<(&str, Status, bool)> = scanner
            .artifacts
            .iter()
            .map(|a| (a.path.as_str(), a.status, a.internal_error))
            .collect();
        assert_eq!(
            status,
            vec![
                ("m.zip", Status::Error, true),
                ("m.zip!a.pkl", Status::Complete, false),
                ("m.zip!b.zip", Status::Incomplete, false),
                ("m.zip!b.zip!c.pkl", Status::Incomplete, false),
            ]
        );
        assert_eq!(scanner.artifacts[1].findings.len(), 1, "the finding stays");

        // A panic before anything was made leaves one error artifact.
        let mut scanner = Scanner::new(&opts);
        scanner.guarded(&node, |_| panic!("a parser bug"));
        assert_eq!(scanner.artifacts.len(), 1);
        assert!(scanner.artifacts[0].internal_error);
    }

    thread_local! {
        /// A format whose parser panics, to test what a parser bug costs.
        pub(super) static FAIL_FORMAT: std::cell::Cell<Option<Format>> =
            const { std::cell::Cell::new(None) };
    }

    /// A ustar archive of regular files.
    fn tar_of(files: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        for (name, data) in files {
            let mut h = [0u8; 512];
            h[..name.len()].copy_from_slice(name.as_bytes());
            h[100..108].copy_from_slice(b"0000644\0");
            h[108..116].copy_from_slice(b"0000000\0");
            h[116..124].copy_from_slice(b"0000000\0");
            h[124..136].copy_from_slice(format!("{:011o}\0", data.len()).as_bytes());
            h[136..148].copy_from_slice(b"00000000000\0");
            h[148..156].copy_from_slice(b"        ");
            h[156] = b'0';
            h[257..263].copy_from_slice(b"ustar\0");
            h[263..265].copy_from_slice(b"00");
            let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
            h[148..156].copy_from_slice(format!("{sum:06o}\0 ").as_bytes());
            out.extend(h);
            out.extend(*data);
            out.resize(out.len().div_ceil(512) * 512, 0);
        }
        out.resize(out.len() + 1024, 0);
        out
    }

    #[test]
    fn a_parser_bug_costs_its_member_only() {
        let header = br#"{"a":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#;
        let mut st = (header.len() as u64).to_le_bytes().to_vec();
        st.extend(header);
        st.push(0);
        let system = b"\x80\x02cos\nsystem\nX\x06\x00\x00\x00echo x\x85R.";
        let tar = tar_of(&[("a.safetensors", &st), ("b.pkl", system)]);
        let opts = ScanOptions {
            cache: None,
            hash: false,
            policy: Policy::default(),
            progress: false,
            scope: Scope::default(),
        };
        let sources = [NamedSource {
            path: "m.tar".into(),
            source: Arc::new(tar),
            content_id: None,
            cached: None,
        }];
        FAIL_FORMAT.with(|f| f.set(Some(Format::Safetensors)));
        let artifacts = scan_sources(&sources, &opts, 64 * 1024, |_, _| {});
        FAIL_FORMAT.with(|f| f.set(None));
        let st = artifacts
            .iter()
            .find(|a| a.path == "m.tar!a.safetensors")
            .unwrap();
        assert!(st.internal_error, "{st:?}");
        assert_eq!(st.status, Status::Incomplete);
        assert!(
            st.findings
                .iter()
                .any(|f| f.message == "made before the injected failure"),
            "a finding the parser made before its failure stands: {st:?}"
        );
        let pkl = artifacts.iter().find(|a| a.path == "m.tar!b.pkl").unwrap();
        assert!(pkl
            .findings
            .iter()
            .any(|f| f.severity == Severity::Critical));
        let report = build_report(vec!["m.tar".into()], artifacts, Severity::Medium);
        assert_eq!(
            report.exit_code(),
            1,
            "the later member's finding reaches the gate"
        );
    }
}
