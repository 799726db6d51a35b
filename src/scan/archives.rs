//! Containers met during a scan: zip (with torch, TorchScript and Keras layouts), tar,
//! 7z and compression streams. Each member becomes an artifact scanned by content like a
//! top-level file; what the member's name and links may do to an extractor is judged by
//! [`containers::Member::traversal_finding`], the same for every container.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{self, Read};
use std::rc::Rc;
use std::sync::Arc;

use sha2::{Digest, Sha256};

use super::{Node, Scanner, Stream};
use crate::containers::compress::{self, Budget};
use crate::containers::{self, sevenz, tar, zip, MemberKind};
use crate::format::Format;
use crate::formats::pickle::{PickleContext, StorageRef};
use crate::formats::zip_layout::ZipLayout;
use crate::formats::{keras, packaged_code, skops, torch};
use crate::limits::{self, LimitHit};
use crate::report::{Artifact, Finding, Status};
use crate::rules;
use crate::source::{hex, spill, ByteStream, NoSkip, ReadAt, ReadAtCursor, SkipRead};

impl Scanner<'_> {
    pub(super) fn scan_compressed(
        &mut self,
        stream: &mut Stream<'_>,
        idx: usize,
        node: &Node,
        kind: Format,
    ) {
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

    pub(super) fn scan_tar(&mut self, stream: &mut Stream<'_>, idx: usize, node: &Node) {
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
            if let Some(f) = entry.member().traversal_finding() {
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

    /// A zip or 7z met inside a stream: spill it to a temporary file for random access.
    /// Memory stays flat however deep such members nest; the decompression limits bound
    /// what a compressed stream can produce, and MAX_SPILLED_MEMBER_BYTES the file.
    pub(super) fn scan_buffered(&mut self, stream: &mut Stream<'_>, idx: usize, node: &Node) {
        let cap = limits::MAX_SPILLED_MEMBER_BYTES;
        let (file, copied) = match spill(&mut *stream, cap) {
            Ok(spilled) => spilled,
            Err(e) => {
                self.artifacts[idx]
                    .mark_incomplete(format!("cannot spill an archive for random access: {e}"));
                return;
            }
        };
        if copied > cap {
            self.limit(idx, LimitHit::SpilledMemberBytes);
            return;
        }
        match crate::source::FileSource::new(file) {
            Ok(source) => {
                let src: Arc<dyn ReadAt> = Arc::new(source);
                self.scan_random_access(src, idx, node);
            }
            Err(e) => self.artifacts[idx]
                .mark_incomplete(format!("cannot read a spilled archive back: {e}")),
        }
    }

    pub(super) fn scan_zip(&mut self, src: Arc<dyn ReadAt>, idx: usize, node: &Node) {
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
        let mut layout = ZipLayout::of(&names);
        // Keras builds a model from config.json alone: a zip holding a Keras config at its
        // top is a Keras archive whatever else it holds (or lacks). The config is read
        // once here and checked from these bytes below.
        let mut keras_config: Option<Vec<u8>> = None;
        if layout.format == Format::Zip {
            if let Some(entry) = index
                .entries
                .iter()
                .find(|e| e.name == "config.json" && e.uncompressed_size <= limits::MAX_JSON_BYTES)
            {
                match self.read_member_json(&src, entry, idx) {
                    Some(text) if keras::looks_like_keras_config(&text) => {
                        layout = ZipLayout::keras_archive();
                        keras_config = Some(text);
                    }
                    _ => {}
                }
            }
        }
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
        let mut manifest: Option<Vec<u8>> = None;
        let mut skops_tree: Option<crate::format::Parsed> = None;
        let mut member_artifacts: Vec<(&str, usize)> = Vec::new();
        for entry in order {
            if entry.kind() == MemberKind::Symlink {
                self.check_zip_symlink(&src, entry, idx);
                continue;
            }
            if layout.is_keras_description(&entry.name) {
                match keras_config.take().filter(|_| entry.name == "config.json") {
                    Some(text) => self.check_keras_text(entry, &text, idx, node),
                    None => {
                        if let Some(text) = self.read_member_json(&src, entry, idx) {
                            self.check_keras_text(entry, &text, idx, node);
                        }
                    }
                }
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
            if entry.name == packaged_code::TORCHSERVE_MANIFEST {
                manifest = self.read_member_json(&src, entry, idx);
                continue;
            }
            if entry.name == skops::SCHEMA {
                // A skops tree is checked as the archive's own structure; any other
                // schema.json is scanned as a member like the rest.
                let checked = self
                    .read_member_json(&src, entry, idx)
                    .and_then(|text| skops::check_if_skops(&text, &self.opts.policy));
                if checked.is_some() {
                    skops_tree = checked;
                    continue;
                }
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
                } else {
                    member_artifacts.push((entry.name.as_str(), c));
                }
            }
        }
        self.artifacts[idx].set_fact("other_members", skipped_members);
        self.judge_packaged_code(idx, &names, manifest.as_deref(), &member_artifacts);
        if let Some(parsed) = skops_tree {
            let raw: Vec<String> = parsed
                .facts
                .get(skops::BYTES_MEMBERS)
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or_default();
            self.apply(idx, parsed);
            self.settle_skops_bytes(&raw, &member_artifacts);
        }
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
        let member = entry.member();
        if member.name_escapes() {
            return; // the name alone was reported with the directory
        }
        if let Some(f) = member.linking_to(&target).traversal_finding() {
            self.add_finding(idx, f.offset(entry.local_header_offset));
        }
    }

    /// Reads a `.keras` archive's JSON member within MAX_JSON_BYTES; `None` (with the
    /// archive marked) when it cannot be read whole.
    fn read_member_json(
        &mut self,
        src: &Arc<dyn ReadAt>,
        entry: &zip::Entry,
        idx: usize,
    ) -> Option<Vec<u8>> {
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
            return None;
        }
        if text.len() as u64 > cap {
            self.limit(idx, LimitHit::JsonBytes);
            return None;
        }
        Some(text)
    }

    /// Members a skops tree reads back as raw `bytes` values are data, whatever their name
    /// (`<uuid>.bin`) claims: incomplete only for not being a model, they are complete.
    /// Any other reason, and every finding, stands.
    fn settle_skops_bytes(&mut self, raw: &[String], members: &[(&str, usize)]) {
        for &(name, c) in members {
            if !raw.iter().any(|r| r == name) {
                continue;
            }
            let a = &mut self.artifacts[c];
            let unrecognised_only = a.reason.as_deref().is_some_and(|r| {
                r.starts_with("unrecognized content") || r.starts_with("the name claims a model")
            });
            if a.findings.is_empty() && !a.internal_error && unrecognised_only {
                a.status = Status::Complete;
                a.reason = None;
                a.expected = false;
                a.kind = crate::report::ArtifactKind::NotModel;
                a.set_fact("skops_bytes_value", true);
            }
        }
    }

    /// The Python files of a wheel or a TorchServe archive, judged by what loads them: a
    /// wheel is a package of code (no finding per file); a `.mar` handler or model file
    /// the manifest names stays at its rule's severity, other shipped scripts are low.
    fn judge_packaged_code(
        &mut self,
        idx: usize,
        names: &[&str],
        manifest: Option<&[u8]>,
        members: &[(&str, usize)],
    ) {
        let python = |a: &Artifact| {
            a.findings
                .iter()
                .any(|f| f.rule == rules::REPO_PYTHON_FILE.id)
        };
        if let Some(text) = manifest {
            let reading = packaged_code::check_torchserve_manifest(text, names, &self.opts.policy);
            self.apply(idx, reading.parsed);
            for &(name, c) in members {
                if !python(&self.artifacts[c]) {
                    continue;
                }
                let imported = reading
                    .imported
                    .iter()
                    .find(|(member, _)| member == name)
                    .map(|(_, why)| *why);
                self.artifacts[c].findings.modify_each(|f| {
                    if f.rule != rules::REPO_PYTHON_FILE.id {
                        return;
                    }
                    match imported {
                        Some(why) => f.message.push_str(&format!(
                            "; {} names it {why}: TorchServe imports it while loading",
                            packaged_code::TORCHSERVE_MANIFEST
                        )),
                        None => {
                            if f.severity == rules::REPO_PYTHON_FILE.severity {
                                f.severity = crate::rules::Severity::Low;
                            }
                            f.message.push_str(&format!(
                                "; {} does not name it",
                                packaged_code::TORCHSERVE_MANIFEST
                            ));
                        }
                    }
                });
            }
        }
        if let Some(dist_info) = packaged_code::wheel_dist_info(names) {
            self.artifacts[idx].format = Format::PythonWheel;
            let package = dist_info.strip_suffix(".dist-info").unwrap_or(dist_info);
            self.artifacts[idx].set_fact("python_wheel", package);
            let mut python_files = Vec::new();
            for &(_, c) in members {
                if python(&self.artifacts[c]) {
                    self.artifacts[c]
                        .findings
                        .retain(|f| f.rule != rules::REPO_PYTHON_FILE.id);
                    python_files.push(c);
                }
            }
            self.artifacts[idx].set_fact("python_files", python_files.len());
            python_files.sort_unstable();
            // Members are appended after their archive and nothing holds their indices
            // past this scan, so the now-empty entries can go (highest first).
            for &c in python_files.iter().rev() {
                let a = &self.artifacts[c];
                if a.findings.is_empty()
                    && a.kind == crate::report::ArtifactKind::NotModel
                    && a.status == Status::Complete
                {
                    self.artifacts.remove(c);
                }
            }
        }
    }

    /// A `.keras` archive's config.json (the architecture, where code hides) or
    /// metadata.json (versions); findings go on the archive.
    fn check_keras_text(&mut self, entry: &zip::Entry, text: &[u8], idx: usize, node: &Node) {
        let mut parsed = if entry.name == "config.json" {
            keras::check_config(text, keras::ConfigSource::KerasV3Archive)
        } else {
            keras::check_metadata(text)
        };
        parsed
            .findings
            .modify_each(|f| f.location.member = Some(entry.name.clone()));
        for payload in &mut parsed.embedded {
            payload.name = format!("{}:{}", entry.name, payload.name);
        }
        self.apply_at(idx, parsed, node);
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

    pub(super) fn scan_7z(&mut self, src: Arc<dyn ReadAt>, idx: usize, node: &Node) {
        let mut members = 0usize;
        let mut hit = None;
        let budget = self.budget.clone();
        let mut escapes = Vec::new();
        let packed_read = std::rc::Rc::new(std::cell::Cell::new(0));
        let mut undecodable: Option<String> = None;
        let result = sevenz::for_each_member(src, packed_read.clone(), |member, data| {
            members += 1;
            if members > limits::MAX_MEMBERS_PER_CONTAINER {
                hit = Some(LimitHit::MembersPerContainer);
                return false;
            }
            if member.kind != MemberKind::File {
                // Read through the limits to the member's end: what is left unread, the
                // 7z reader drains by itself, outside every limit.
                let mut limited =
                    compress::Limited::new(data, budget.clone(), Some(packed_read.clone()));
                let mut target = Vec::new();
                if member.kind == MemberKind::Symlink {
                    let _ = (&mut limited)
                        .take(containers::MAX_LINK_TARGET_BYTES)
                        .read_to_end(&mut target);
                }
                let target = String::from_utf8_lossy(&target);
                escapes.extend(member.linking_to(&target).traversal_finding());
                if std::io::copy(&mut limited, &mut std::io::sink()).is_err() {
                    if budget.hit.get().is_none() {
                        undecodable = Some(member.name.to_string());
                    }
                    return false;
                }
                return true;
            }
            escapes.extend(member.traversal_finding());
            let child = node.child(member.name, node.pickle_ctx);
            let limited = compress::Limited::new(data, budget.clone(), Some(packed_read.clone()));
            let boxed: Box<dyn SkipRead + '_> = Box::new(NoSkip(limited));
            let mut stream: Stream<'_> = ByteStream::new(boxed);
            let (cidx, _) = self.scan_stream(&mut stream, child, None);
            // The member was read to its end through the limits, or it stopped on a decode
            // error. In that case stop here: the 7z reader would otherwise drain the rest
            // of the member itself, outside every limit, and a 244-byte archive can make
            // its decoder produce output without end.
            let broken = stream.io_error().is_some() && budget.hit.get().is_none();
            if broken {
                undecodable = Some(member.name.to_string());
            }
            self.drop_if_uninteresting(cidx);
            budget.hit.get().is_none() && !broken
        });
        if let Some(name) = undecodable {
            self.artifacts[idx].mark_incomplete(format!(
                "7z member {name} could not be decoded; the members after it were not read"
            ));
        }
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
