//! Drives a scan: walks the inputs, opens containers, hands each artifact to its parser
//! by content, and collects one [`Artifact`] per file and per parsed member.

mod models;
mod walk;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::io::{self, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::sync::Mutex;

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::containers::compress::{self, Budget};
use crate::containers::{self, MemberKind};
use crate::containers::{sevenz, tar, zip};
use crate::formats::hub::{self, ShardIndex};
use crate::formats::pickle::{self, PickleContext, StorageRef};
use crate::formats::registry::{self, Format, Sniffed, SNIFF_LEN, TAIL_LEN};
use crate::formats::zip_layout::ZipLayout;
use crate::formats::{gguf, keras, numpy, onnx, safetensors, savedmodel, torch, Parsed};
use crate::limits::{self, LimitHit};
use crate::policy::Policy;
use crate::report::{Artifact, ArtifactKind, Finding, Report, Severity, Status};
use crate::rules;
use crate::source::{hex, ByteStream, FileSource, NoSkip, ReadAt, ReadAtCursor, SkipRead};

pub struct ScanOptions {
    /// SHA-256 of every top-level file.
    pub hash: bool,
    pub policy: Policy,
    /// Progress on stderr (only used when stderr is a terminal).
    pub progress: bool,
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

pub struct Scanner<'o> {
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
}

/// Scans every input (files, directories, `-` for stdin). Fails only for usage errors
/// (a path that does not exist); everything else becomes an artifact status.
///
/// Files are scanned in parallel (rayon's pool, `RAYON_NUM_THREADS` threads), each with
/// its own budgets; results are put back in plan order, so the report is the one a
/// sequential scan gives, byte for byte.
pub fn scan_inputs(inputs: &[String], opts: &ScanOptions) -> Result<Vec<Artifact>, String> {
    let work = walk::plan(inputs)?;
    let files = work
        .iter()
        .filter(|w| !matches!(w, walk::Work::Done(_)))
        .count();
    let progress = Arc::new(Progress::new(opts.progress, files));
    let parts: Vec<ScannedPart> = work
        .into_par_iter()
        .map(|item| {
            let mut scanner = Scanner::new(opts);
            scanner.progress = progress.clone();
            match item {
                walk::Work::Stdin => scanner.scan_stdin(),
                walk::Work::File {
                    display,
                    path,
                    explicit,
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
    Ok(scanner.finish())
}

/// What one unit of work produced, before the checks that span files.
struct ScannedPart {
    artifacts: Vec<Artifact>,
    tensor_names: BTreeMap<String, Vec<String>>,
    shard_indexes: Vec<(String, ShardIndex)>,
}

/// The progress line on stderr (a terminal only): files done of the total, and the file
/// being read, escaped like every name from input.
struct Progress {
    enabled: bool,
    total: usize,
    done: AtomicUsize,
    line: Mutex<()>,
}

impl Progress {
    fn new(wanted: bool, total: usize) -> Progress {
        Progress {
            enabled: wanted && io::stderr().is_terminal(),
            total,
            done: AtomicUsize::new(0),
            line: Mutex::new(()),
        }
    }

    fn step(&self, path: &str) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if !self.enabled {
            return;
        }
        let escaped = crate::display::untrusted(path);
        let chars: Vec<char> = escaped.chars().collect();
        let shown: String = chars[chars.len().saturating_sub(60)..].iter().collect();
        let counter = if self.total > 0 {
            format!("{done}/{}", self.total)
        } else {
            done.to_string()
        };
        let _guard = self.line.lock();
        eprint!("\r\x1b[2K[{counter}] {shown}");
        let _ = io::stderr().flush();
    }

    fn clear(&self) {
        if self.enabled {
            let _guard = self.line.lock();
            eprint!("\r\x1b[2K");
        }
    }
}

/// The report of a scan: artifacts sorted by path, the directories that are one model
/// grouped, the summary and exit code judged against `fail_on`.
pub fn build_report(inputs: Vec<String>, artifacts: Vec<Artifact>, fail_on: Severity) -> Report {
    let mut report = Report::new(inputs, artifacts, fail_on);
    report.models = models::group(&report.artifacts);
    report
}

/// A top-level source that is not a local file (a Hub file read over HTTP ranges).
pub struct NamedSource {
    /// The artifact's `path` and `file` in the report.
    pub path: String,
    pub source: Arc<dyn ReadAt>,
}

/// Scans sources that are not local files, in order, as top-level artifacts (members get
/// `path!member` paths as usual), then cross-checks shard indexes over all of them.
/// Nothing is hashed here: a remote caller hashes what it received. `first_read` bounds the
/// first sequential read of each source (see [`ByteStream::first_read`]); `after_each` is
/// called with the source's index once its artifacts are final, so the caller can release
/// per-source state.
pub fn scan_sources(
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
        let src = s.source.clone();
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            scanner.scan_source(node.clone(), src, None, Some(first_read))
        }));
        if outcome.is_err() {
            scanner.artifacts.truncate(before);
            let mut a = Artifact::new(node.path.clone(), node.file.clone(), None);
            a.mark_error(
                "internal error: the scanner failed on this file (a bug; please report it)",
            );
            a.internal_error = true;
            scanner.artifacts.push(a);
        }
        after_each(i, &mut scanner.artifacts[before..]);
    }
    scanner.finish()
}

impl<'o> Scanner<'o> {
    fn new(opts: &'o ScanOptions) -> Scanner<'o> {
        Scanner {
            opts,
            artifacts: Vec::new(),
            budget: Rc::new(Budget::default()),
            progress: Arc::new(Progress::new(opts.progress, 0)),
            read_tails: true,
            tensor_names: BTreeMap::new(),
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
    fn progress(&self, path: &str) {
        self.progress.step(path);
    }

    fn scan_stdin(&mut self) {
        // Random-access formats need a seekable copy: spool stdin to an unlinked temp file.
        let node = Node {
            path: "-".into(),
            file: "-".into(),
            member: None,
            depth: 0,
            expected: true,
            pickle_ctx: PickleContext::Plain,
            disk_dir: None,
        };
        let spooled = (|| -> io::Result<File> {
            let path = std::env::temp_dir().join(format!("modelvet-stdin-{}", std::process::id()));
            let mut f = std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create_new(true)
                .open(&path)?;
            let _ = std::fs::remove_file(&path);
            io::copy(&mut io::stdin().lock(), &mut f)?;
            Ok(f)
        })();
        match spooled {
            Ok(f) => self.scan_open_file(node, f),
            Err(e) => {
                let mut a = Artifact::new("-".into(), "-".into(), None);
                a.mark_error(format!("cannot read standard input: {e}"));
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
            Ok(f) => {
                // Defence in depth: a parser bug must cost one file, never the whole report.
                let before = self.artifacts.len();
                let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    self.scan_open_file(node.clone(), f)
                }));
                if outcome.is_err() {
                    self.artifacts.truncate(before);
                    let mut a = Artifact::new(node.path.clone(), node.file.clone(), None);
                    a.mark_error(
                        "internal error: the scanner failed on this file (a bug; please report it)",
                    );
                    a.internal_error = true;
                    self.artifacts.push(a);
                }
            }
            Err(e) => {
                let mut a = Artifact::new(node.path.clone(), node.file.clone(), None);
                a.expected = node.expected;
                a.mark_error(format!("cannot open: {e}"));
                self.artifacts.push(a);
            }
        }
    }

    fn scan_open_file(&mut self, node: Node, file: File) {
        let hash_file = if self.opts.hash {
            file.try_clone().ok()
        } else {
            None
        };
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
            let (idx, _) = self.scan_seekable(src, node, Some(sniffed));
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
            Format::Zip | Format::SevenZip | Format::Hdf5 => {
                let idx = self.new_artifact(&node);
                self.artifacts[idx].format = detected;
                self.note_alternatives(idx, &sniffed);
                self.artifacts[idx].size = src.len();
                if node.depth > limits::MAX_NESTING_DEPTH {
                    self.limit(idx, LimitHit::NestingDepth);
                } else if detected == Format::Zip {
                    self.scan_zip(src, idx, &node);
                } else if detected == Format::Hdf5 {
                    self.scan_hdf5(&*src, idx);
                } else {
                    self.scan_7z(src, idx, &node);
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
            self.artifacts[idx].set_fact("also_accepted_as", others);
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
                Format::Safetensors => {
                    let (parsed, names) = safetensors::scan_safetensors(stream);
                    self.apply(idx, parsed);
                    self.tensor_names.insert(node.path.clone(), names);
                }
                Format::Gguf => {
                    let parsed = gguf::scan_gguf(stream);
                    self.apply(idx, parsed);
                }
                Format::SavedModel => {
                    let parsed = savedmodel::scan_saved_model(stream);
                    self.apply(idx, parsed);
                }
                Format::Onnx => {
                    let ctx = node
                        .disk_dir
                        .clone()
                        .map(|model_dir| onnx::ExternalDataContext { model_dir });
                    let parsed = onnx::scan_onnx(stream, ctx.as_ref());
                    self.apply(idx, parsed);
                }
                _ => {
                    let a = &mut self.artifacts[idx];
                    a.kind = ArtifactKind::Unrecognized;
                    a.mark_incomplete("unrecognized content: not a format modelvet parses");
                }
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
        } else if let Some(index) = hub::inspect(role, &node.path, &text, &mut parsed) {
            if node.member.is_none() {
                self.shard_indexes.push((node.path.clone(), index));
            }
        }
        self.artifacts[idx].set_fact("role", format!("{role:?}"));
        self.apply(idx, parsed);
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

    fn scan_compressed(&mut self, stream: &mut Stream<'_>, idx: usize, node: &Node, kind: Format) {
        let budget = self.budget.clone();
        match compress::decoder(kind, &mut *stream, budget) {
            Ok(dec) => {
                let inner_name = inner_name(node, kind);
                let child = node.child(&inner_name, node.pickle_ctx);
                let mut inner: Stream<'_> = ByteStream::new(Box::new(NoSkip(dec)));
                let (cidx, _) = self.scan_stream(&mut inner, child, None);
                if self.artifacts[cidx].status != Status::Complete {
                    let reason = self.artifacts[cidx].reason.clone().unwrap_or_default();
                    self.artifacts[idx]
                        .mark_incomplete(format!("compressed content incomplete: {reason}"));
                }
            }
            Err(e) => {
                self.artifacts[idx].mark_incomplete(format!("cannot decode {}: {e}", kind.name()))
            }
        }
    }

    fn scan_tar(&mut self, stream: &mut Stream<'_>, idx: usize, node: &Node) {
        let mut members = 0usize;
        loop {
            let entry = match tar::next_entry(stream) {
                Ok(Some(e)) => e,
                Ok(None) => break,
                Err(e) => {
                    self.artifacts[idx].mark_incomplete(e);
                    break;
                }
            };
            members += 1;
            if members > limits::MAX_MEMBERS_PER_CONTAINER {
                self.limit(idx, LimitHit::MembersPerContainer);
                break;
            }
            if let Some(f) = containers::traversal_finding(
                "tar member",
                &entry.name,
                entry.member_kind(),
                Some(&entry.link),
            ) {
                self.add_finding(idx, f.offset(entry.data_offset.saturating_sub(512)));
            }
            if entry.is_file() {
                let child = node.child(&entry.name, node.pickle_ctx);
                let body: Box<dyn SkipRead + '_> =
                    Box::new(NoSkip((&mut *stream).take(entry.size)));
                let mut inner: Stream<'_> = ByteStream::new(body);
                let (cidx, _) = self.scan_stream(&mut inner, child, None);
                self.drop_if_uninteresting(cidx);
            }
            if let Err(e) = tar::finish_entry(stream, &entry) {
                self.artifacts[idx].mark_incomplete(e);
                break;
            }
        }
        self.artifacts[idx].set_fact("members", members);
    }

    /// A zip or 7z met inside a stream: buffer it (bounded) for random access.
    fn scan_buffered(&mut self, stream: &mut Stream<'_>, idx: usize, node: &Node) {
        let mut buf = Vec::new();
        let cap = limits::MAX_BUFFERED_MEMBER_BYTES;
        let read = (&mut *stream).take(cap + 1).read_to_end(&mut buf);
        if read.is_err() || buf.len() as u64 > cap {
            if buf.len() as u64 > cap {
                self.limit(idx, LimitHit::BufferedMemberBytes);
            } else {
                self.artifacts[idx].mark_incomplete("read error while buffering an archive");
            }
            return;
        }
        let src: Arc<dyn ReadAt> = Arc::new(buf);
        match self.artifacts[idx].format {
            Format::Zip => self.scan_zip(src, idx, node),
            Format::Hdf5 => self.scan_hdf5(&*src, idx),
            _ => self.scan_7z(src, idx, node),
        }
    }

    /// HDF5, read as Keras where its root attributes hold a model config.
    fn scan_hdf5(&mut self, src: &dyn ReadAt, idx: usize) {
        let parsed = keras::check_hdf5_model(src);
        self.apply(idx, parsed);
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

    fn scan_zip(&mut self, src: Arc<dyn ReadAt>, idx: usize, node: &Node) {
        let index = match zip::read_index(&src) {
            Ok(i) => i,
            Err(e) => {
                self.add_finding(idx, Finding::new(&rules::ZIP_MALFORMED, e.clone()));
                self.artifacts[idx].mark_incomplete(e);
                return;
            }
        };
        for f in index.findings {
            self.add_finding(idx, f);
        }
        if let Some(hit) = index.limit {
            self.limit(idx, hit);
        } else if let Some(reason) = index.incomplete {
            self.artifacts[idx].mark_incomplete(reason);
        }
        let names: Vec<&str> = index.entries.iter().map(|e| e.name.as_str()).collect();
        let layout = ZipLayout::of(&names);
        let ctx = match layout.format {
            Format::TorchScript => PickleContext::TorchScript,
            Format::TorchZip => PickleContext::TorchZip,
            _ => node.pickle_ctx,
        };
        self.artifacts[idx].format = layout.format;
        self.artifacts[idx].set_fact("entries", index.entries.len());

        // Pickles first, so storage references are known before data/ records are seen.
        let mut order: Vec<&zip::Entry> = index.entries.iter().filter(|e| !e.is_dir()).collect();
        order.sort_by_key(|e| (!e.name.ends_with(".pkl"), e.index));
        let mut storages: Vec<StorageRef> = Vec::new();
        let mut storage_keys: HashSet<String> = HashSet::new();
        let mut storage_bytes: u64 = 0;
        let mut code_files = Vec::new();
        let mut skipped_members = 0usize;
        for entry in order {
            if entry.kind() == MemberKind::Symlink {
                self.check_zip_symlink(&src, entry, idx);
                continue;
            }
            if layout.is_keras_description(&entry.name) {
                self.check_keras_json(&src, entry, idx);
                continue;
            }
            if let Some(key) = layout.storage_key(&entry.name) {
                if storage_keys.contains(key) {
                    storage_bytes = storage_bytes.saturating_add(entry.uncompressed_size);
                    continue;
                }
            }
            if layout.is_torchscript_code(&entry.name) {
                code_files.push(self.read_torchscript_code(&src, entry, idx));
                continue;
            }
            let child = node.child(&entry.name, ctx);
            let (cidx, storage_refs) = self.scan_zip_member(&src, entry, child);
            storage_keys.extend(storage_refs.iter().map(|s| s.key.clone()));
            storages.extend(storage_refs);
            if let Some(c) = cidx {
                let before = self.artifacts.len();
                self.drop_if_uninteresting(c);
                if self.artifacts.len() < before {
                    skipped_members += 1;
                }
            }
        }
        self.artifacts[idx].set_fact("other_members", skipped_members);
        if let Some(root) = &layout.torch_root {
            let records: HashMap<&str, u64> = index
                .entries
                .iter()
                .filter_map(|e| Some((layout.storage_key(&e.name)?, e.uncompressed_size)))
                .collect();
            for f in torch::check_storages(root, &records, &storages) {
                self.add_finding(idx, f);
            }
            self.artifacts[idx].set_fact("storages", storages.len());
            self.artifacts[idx].set_fact("storage_bytes", storage_bytes);
        }
        if layout.is_torchscript() {
            let listing: Vec<String> = code_files
                .iter()
                .map(|(name, digest)| format!("{name} sha256:{digest}"))
                .collect();
            self.add_finding(
                idx,
                Finding::new(&rules::TORCHSCRIPT_CODE, format!("TorchScript archive with {} code file(s); torch.jit.load compiles and runs them", code_files.len()))
                    .detail(listing.join("; ")),
            );
            let files: BTreeMap<String, String> = code_files.into_iter().collect();
            self.artifacts[idx].set_fact("torchscript_code", files);
        }
    }

    /// A Unix symlink entry: `unzip` creates a link to the path stored as its data, so
    /// that path is read (bounded) and judged like a tar link. Nothing is scanned through it.
    fn check_zip_symlink(&mut self, src: &Arc<dyn ReadAt>, entry: &zip::Entry, idx: usize) {
        let mut target = Vec::new();
        let read = member_reader(src, entry, self.budget.clone()).and_then(|r| {
            r.take(containers::MAX_LINK_TARGET_BYTES)
                .read_to_end(&mut target)
                .map_err(|e| e.to_string())
        });
        if let Err(e) = read {
            self.artifacts[idx].mark_incomplete(format!(
                "cannot read the target of symlink entry {}: {e}",
                entry.name
            ));
            return;
        }
        let target = String::from_utf8_lossy(&target);
        if containers::member_path_escapes(&entry.name, MemberKind::File, None).is_some() {
            return; // the name alone was reported with the directory
        }
        if let Some(f) = containers::traversal_finding(
            "zip entry",
            &entry.name,
            MemberKind::Symlink,
            Some(&target),
        ) {
            self.add_finding(idx, f.offset(entry.local_header_offset));
        }
    }

    /// A `.keras` archive's config.json (the architecture, where code hides) or
    /// metadata.json (versions); findings go on the archive.
    fn check_keras_json(&mut self, src: &Arc<dyn ReadAt>, entry: &zip::Entry, idx: usize) {
        let cap = limits::MAX_JSON_BYTES;
        let mut text = Vec::new();
        let read = member_reader(src, entry, self.budget.clone())
            .map_err(|e| e.to_string())
            .and_then(|r| {
                r.take(cap + 1)
                    .read_to_end(&mut text)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = read {
            self.artifacts[idx].mark_incomplete(format!("cannot read {}: {e}", entry.name));
            return;
        }
        if text.len() as u64 > cap {
            return self.limit(idx, LimitHit::JsonBytes);
        }
        let mut parsed = if entry.name == "config.json" {
            keras::check_config(&text, keras::ConfigSource::KerasV3Archive)
        } else {
            keras::check_metadata(&text)
        };
        for f in &mut parsed.findings {
            f.location.member = Some(entry.name.clone());
        }
        self.apply(idx, parsed);
    }

    fn read_torchscript_code(
        &mut self,
        src: &Arc<dyn ReadAt>,
        entry: &zip::Entry,
        idx: usize,
    ) -> (String, String) {
        let mut text = Vec::new();
        let ok = match member_reader(src, entry, self.budget.clone()) {
            Ok(r) => r
                .take(limits::MAX_TORCHSCRIPT_SOURCE + 1)
                .read_to_end(&mut text)
                .is_ok(),
            Err(_) => false,
        };
        if !ok {
            self.artifacts[idx]
                .mark_incomplete(format!("cannot read TorchScript source {}", entry.name));
        } else if text.len() as u64 > limits::MAX_TORCHSCRIPT_SOURCE {
            self.limit(idx, LimitHit::TorchscriptSource);
        }
        let digest = hex(&Sha256::digest(&text));
        let source = String::from_utf8_lossy(&text);
        for mut f in torch::check_torchscript_source(&entry.name, &source) {
            f.location.member = Some(entry.name.clone());
            self.add_finding(idx, f);
        }
        (entry.name.clone(), digest)
    }

    /// Scans one zip member; returns its artifact and any torch storage references.
    fn scan_zip_member(
        &mut self,
        src: &Arc<dyn ReadAt>,
        entry: &zip::Entry,
        child: Node,
    ) -> (Option<usize>, Vec<StorageRef>) {
        if entry.data_offset == u64::MAX
            || entry.data_offset.saturating_add(entry.compressed_size) > src.len()
        {
            let idx = self.new_artifact(&child);
            self.artifacts[idx].mark_incomplete("member data lies outside the archive");
            return (Some(idx), Vec::new());
        }
        // A stored member is a window of the archive: a nested zip or 7z is read in place.
        let mut known = None;
        if entry.method == 0 {
            let range: Arc<dyn ReadAt> = Arc::new(entry.data(src));
            let detected = self.sniff_source(&*range);
            if detected.primary().needs_random_access() {
                let (idx, storages) = self.scan_seekable(range, child, Some(detected));
                return (Some(idx), storages);
            }
            known = Some(detected);
        }
        let reader = match member_reader(src, entry, self.budget.clone()) {
            Ok(r) => r,
            Err(e) => {
                let idx = self.new_artifact(&child);
                self.add_finding(
                    idx,
                    Finding::new(
                        &rules::ZIP_UNUSUAL_FLAGS,
                        format!("entry `{}`: {e}", entry.name),
                    ),
                );
                self.artifacts[idx].mark_incomplete(e);
                return (Some(idx), Vec::new());
            }
        };
        let crc = Rc::new(std::cell::RefCell::new(flate2::Crc::new()));
        let checked: Box<dyn SkipRead + '_> = Box::new(NoSkip(CrcReader {
            inner: reader,
            crc: crc.clone(),
        }));
        let mut stream: Stream<'_> = ByteStream::new(checked);
        let (idx, storages) = self.scan_stream(&mut stream, child, known);
        self.finish_crc(idx, entry, &stream, &crc);
        (Some(idx), storages)
    }

    fn finish_crc(
        &mut self,
        idx: usize,
        entry: &zip::Entry,
        stream: &Stream<'_>,
        crc: &Rc<std::cell::RefCell<flate2::Crc>>,
    ) {
        if stream.io_error().is_none() {
            let got = crc.borrow().sum();
            if got != entry.crc32 {
                self.add_finding(
                    idx,
                    Finding::new(
                        &rules::ZIP_CRC_MISMATCH,
                        format!(
                            "entry `{}` has CRC-32 {got:08x}, its header says {:08x}",
                            entry.name, entry.crc32
                        ),
                    )
                    .offset(entry.local_header_offset),
                );
            }
        }
    }

    fn scan_7z(&mut self, src: Arc<dyn ReadAt>, idx: usize, node: &Node) {
        let mut members = 0usize;
        let mut hit = None;
        let budget = self.budget.clone();
        let mut escapes = Vec::new();
        let result = sevenz::for_each_member(src, |member, data| {
            members += 1;
            if members > limits::MAX_MEMBERS_PER_CONTAINER {
                hit = Some(LimitHit::MembersPerContainer);
                return false;
            }
            if member.kind != MemberKind::File {
                let mut target = Vec::new();
                if member.kind == MemberKind::Symlink {
                    let _ = data
                        .take(containers::MAX_LINK_TARGET_BYTES)
                        .read_to_end(&mut target);
                }
                let target = String::from_utf8_lossy(&target);
                escapes.extend(containers::traversal_finding(
                    "7z member",
                    member.name,
                    member.kind,
                    Some(&target),
                ));
                return true;
            }
            escapes.extend(containers::traversal_finding(
                "7z member",
                member.name,
                MemberKind::File,
                None,
            ));
            let child = node.child(member.name, node.pickle_ctx);
            let limited = compress::Limited::new(data, budget.clone(), None);
            let boxed: Box<dyn SkipRead + '_> = Box::new(NoSkip(limited));
            let mut stream: Stream<'_> = ByteStream::new(boxed);
            let (cidx, _) = self.scan_stream(&mut stream, child, None);
            self.drop_if_uninteresting(cidx);
            budget.hit.get().is_none()
        });
        for f in escapes {
            self.add_finding(idx, f);
        }
        if let Some(h) = hit.or(self.budget.hit.get()) {
            self.limit(idx, h);
        }
        if let Err(e) = result {
            self.artifacts[idx].mark_incomplete(e);
        }
        self.artifacts[idx].set_fact("members", members);
    }
}

struct CrcReader<R> {
    inner: R,
    crc: Rc<std::cell::RefCell<flate2::Crc>>,
}

impl<R: Read> Read for CrcReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.crc.borrow_mut().update(&buf[..n]);
        Ok(n)
    }
}

/// A reader of a zip member's uncompressed bytes.
fn member_reader(
    src: &Arc<dyn ReadAt>,
    entry: &zip::Entry,
    budget: Rc<Budget>,
) -> Result<Box<dyn Read>, String> {
    let raw = ReadAtCursor {
        source: Arc::new(entry.data(src)) as Arc<dyn ReadAt>,
        pos: 0,
    };
    Ok(match entry.method {
        0 => Box::new(compress::Limited::new(raw, budget, None)),
        8 => {
            let consumed = Rc::new(std::cell::Cell::new(0));
            let counted = compress::Counting {
                inner: raw,
                count: consumed.clone(),
            };
            let inflate = flate2::read::DeflateDecoder::new(counted);
            Box::new(compress::Limited::new(inflate, budget, Some(consumed)))
        }
        // These methods store whole bzip2, zstd and xz streams: the same decoders, with the
        // same memory and ratio limits, as the standalone formats.
        12 => compress::decoder(Format::Bzip2, raw, budget)?,
        93 => compress::decoder(Format::Zstd, raw, budget)?,
        95 => compress::decoder(Format::Xz, raw, budget)?,
        other => return Err(format!("compression method {other} is not supported")),
    })
}

fn inner_name(node: &Node, kind: Format) -> String {
    let base = node.member.as_deref().unwrap_or(&node.path);
    let base = base.rsplit(['/', '!']).next().unwrap_or(base);
    let stripped = match kind {
        Format::Gzip => base
            .strip_suffix(".gz")
            .or_else(|| base.strip_suffix(".tgz")),
        Format::Bzip2 => base.strip_suffix(".bz2"),
        Format::Xz => base.strip_suffix(".xz"),
        Format::Zstd => base.strip_suffix(".zst"),
        Format::Lz4 => base.strip_suffix(".lz4"),
        _ => None,
    };
    match stripped {
        Some(s) if !s.is_empty() => s.to_string(),
        _ => format!("<{} content>", kind.name()),
    }
}

fn hash_whole_file(mut f: File) -> io::Result<[u8; 32]> {
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().into())
}
