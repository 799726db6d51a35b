//! From a scan report (and a verification) to the neutral [`Bom`]: which files make a
//! model, what its card and configuration say, which findings affect which file.
//!
//! Only facts the scan recorded are used: nothing is re-read, nothing is guessed.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::model::*;
use crate::facts;
use crate::formats::quantized_tensors::QuantizedTensors;
use crate::hub::repo_ref::validate_repo_id;
use crate::license::{self, LicenseRef};
use crate::provenance::outcome::Verification;
use crate::report::{Artifact, ArtifactKind, Report, Status};

/// Longest text kept from one model-card section.
const MAX_SECTION_CHARS: usize = 4096;
/// Most datasets, base models, metrics and licences kept per model.
const MAX_LISTED: usize = 256;

/// What the Hub publishes about one file of a revision (remote scans).
#[derive(Debug, Clone, Default)]
pub struct HubFile {
    /// SHA-256 of the bytes modelvet received when it read the file whole.
    pub read_sha256: Option<String>,
    pub lfs_sha256: Option<String>,
    pub blob_id: Option<String>,
    /// The Hub's own scan verdict, advisory.
    pub verdict: Option<String>,
}

/// Everything the builder works from.
pub struct BomInput<'a> {
    pub input: &'a str,
    pub report: &'a Report,
    /// The Hub revision when the input is one (a remote scan). Local inputs inside a
    /// Hugging Face cache snapshot are recognised from their path instead.
    pub hub: Option<HubOrigin>,
    /// Published facts per path inside the repository (remote scans).
    pub hub_files: BTreeMap<String, HubFile>,
    /// Remote scans: bytes read and the files' total size.
    pub bytes_read: Option<(u64, u64)>,
    pub verification: Option<Verification>,
    pub created: i64,
    /// What the user declared for the model (one model) or the whole (several).
    pub overrides: crate::config::BomOverrides,
}

/// Hands out unique bom-refs (a clash gets `#2`, `#3`, ...).
#[derive(Default)]
struct Refs(BTreeSet<String>);

impl Refs {
    fn take(&mut self, wanted: String) -> String {
        if self.0.insert(wanted.clone()) {
            return wanted;
        }
        (2..)
            .map(|n| format!("{wanted}#{n}"))
            .find(|r| self.0.insert(r.clone()))
            .expect("an unused suffix exists")
    }
}

fn is_weight(a: &Artifact) -> bool {
    a.kind == ArtifactKind::Model && a.format.may_hold_weights()
}

/// What the BOM calls its input: a Hub reference as given, else the folder's or file's
/// own name, so `m`, `./m/`, `/abs/m` and `.` inside it give the same document, and no
/// local path is recorded.
fn input_label(input: &BomInput<'_>) -> String {
    if input.hub.is_some() {
        return input.input.to_string();
    }
    let trimmed = input.input.trim_end_matches('/');
    std::fs::canonicalize(input.input)
        .ok()
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .unwrap_or_else(|| base_name(trimmed).to_string())
}

/// A scanned path relative to the input folder (the file's own name when the input is
/// the file), whatever way the input was spelled.
pub(crate) fn relative_to_input(path: &str, root: &str) -> String {
    if path == root {
        return base_name(path).to_string();
    }
    let inner = match root {
        "." | "" => path.strip_prefix("./").unwrap_or(path),
        _ => path
            .strip_prefix(root)
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(path),
    };
    inner.trim_start_matches("./").to_string()
}

fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// `path` relative to the model folder `dir` ("" for the input's root).
fn inside(dir: &str, path: &str) -> String {
    if dir.is_empty() || dir == "." {
        return path.trim_start_matches("./").to_string();
    }
    path.strip_prefix(dir)
        .and_then(|rest| rest.strip_prefix('/'))
        .unwrap_or(path)
        .to_string()
}

/// A Hugging Face cache snapshot (`.../models--org--name/snapshots/<commit>`) names its
/// repository and commit; a model scanned from there is that Hub revision.
pub(crate) fn hub_origin_from_cache_path(path: &str) -> Option<HubOrigin> {
    let canonical = std::fs::canonicalize(path).ok()?;
    let parts: Vec<String> = canonical
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let at = parts.iter().rposition(|p| p == "snapshots")?;
    let folder = parts.get(at.checked_sub(1)?)?;
    let commit = parts.get(at + 1)?;
    if parts.len() != at + 2 {
        // Only the snapshot folder itself is the whole revision.
        return None;
    }
    let rest = folder.strip_prefix("models--")?;
    let repo_id = rest.replacen("--", "/", 1);
    if rest.matches("--").count() > 1 || validate_repo_id(&repo_id, &repo_id).is_err() {
        return None;
    }
    if commit.len() != 40 || !commit.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(HubOrigin {
        repo_id,
        commit: commit.to_ascii_lowercase(),
        revision: None,
        endpoint: "https://huggingface.co".into(),
        learnt_from: "hf-cache",
    })
}

/// The model purl: `pkg:huggingface/<namespace>/<name>@<commit>`, with `repository_url`
/// when the Hub is not the default one.
fn model_purl(repo_id: &str, commit: Option<&str>, endpoint: &str) -> String {
    let mut purl = format!("pkg:huggingface/{repo_id}");
    if let Some(c) = commit {
        purl.push('@');
        purl.push_str(&c.to_ascii_lowercase());
    }
    if endpoint.trim_end_matches('/') != "https://huggingface.co" {
        purl.push_str("?repository_url=");
        purl.push_str(endpoint.trim_end_matches('/'));
    }
    purl
}

/// What a task's inputs and outputs are, for the Hub's pipeline tags whose modalities
/// are fixed by the task itself. Unlisted tags give nothing.
fn task_modalities(task: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    const T: &[&str] = &["text"];
    const I: &[&str] = &["image"];
    const A: &[&str] = &["audio"];
    const V: &[&str] = &["video"];
    const TI: &[&str] = &["text", "image"];
    Some(match task {
        "text-generation"
        | "text2text-generation"
        | "translation"
        | "summarization"
        | "question-answering"
        | "fill-mask"
        | "table-question-answering" => (T, T),
        "text-classification" | "token-classification" | "zero-shot-classification" => (T, T),
        "sentence-similarity" | "feature-extraction" => (T, T),
        "text-to-image" => (T, I),
        "text-to-speech" | "text-to-audio" => (T, A),
        "text-to-video" => (T, V),
        "automatic-speech-recognition" | "audio-classification" => (A, T),
        "image-classification" | "object-detection" | "image-to-text" => (I, T),
        "image-segmentation" | "depth-estimation" | "image-to-image" => (I, I),
        "image-text-to-text" | "visual-question-answering" => (TI, T),
        "video-classification" => (V, T),
        _ => return None,
    })
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn strings_of(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::Array(items)) => items.iter().filter_map(text_of).take(MAX_LISTED).collect(),
        Some(other) => text_of(other).into_iter().collect(),
        None => Vec::new(),
    }
}

fn cut(text: &str) -> String {
    if text.chars().count() <= MAX_SECTION_CHARS {
        return text.to_string();
    }
    let mut out: String = text.chars().take(MAX_SECTION_CHARS).collect();
    out.push('…');
    out
}

/// Every artifact (top-level file and members) by the top-level file it belongs to, built
/// once so that no step rescans the whole report per file or per model.
type ByFile<'r> = BTreeMap<&'r str, Vec<&'r Artifact>>;

fn index_by_file(report: &Report) -> ByFile<'_> {
    let mut by_file: ByFile<'_> = BTreeMap::new();
    for a in &report.artifacts {
        by_file.entry(a.file.as_str()).or_default().push(a);
    }
    by_file
}

/// The files and members of one model.
struct Members<'r> {
    dir: String,
    layout: &'static str,
    top: Vec<&'r Artifact>,
    all: Vec<&'r Artifact>,
}

impl<'r> Members<'r> {
    /// The model's own file called `name` (at its root).
    fn own(&self, name: &str) -> Option<&'r Artifact> {
        self.top
            .iter()
            .copied()
            .find(|a| inside(&self.dir, &a.path).eq_ignore_ascii_case(name))
    }

    fn fact(&self, file: &str, key: &str) -> Option<&'r Value> {
        self.own(file).and_then(|a| a.facts.get(key))
    }

    fn weights(&self) -> impl Iterator<Item = &'r Artifact> + '_ {
        self.top.iter().copied().filter(|a| is_weight(a))
    }
}

/// Splits the report's files into models: the whole input for a Hub revision, else the
/// scanner's model folders, else one model per weight file.
/// `whole_input`: the folder that is one Hub repository (`""` for a remote scan, whose
/// paths are repository-relative; the snapshot folder for a cache snapshot).
fn partition<'r>(
    report: &'r Report,
    by_file: &ByFile<'r>,
    whole_input: Option<&str>,
) -> (Vec<Members<'r>>, Vec<&'r Artifact>) {
    let top: Vec<&Artifact> = report
        .artifacts
        .iter()
        .filter(|a| a.member.is_none())
        .collect();
    let members_of = |files: &BTreeSet<&str>| -> Vec<&'r Artifact> {
        files
            .iter()
            .filter_map(|f| by_file.get(f))
            .flatten()
            .copied()
            .collect()
    };
    if let Some(dir) = whole_input {
        let files: BTreeSet<&str> = top.iter().map(|a| a.file.as_str()).collect();
        let all = members_of(&files);
        return (
            vec![Members {
                dir: dir.to_string(),
                layout: "hub-repository",
                top,
                all,
            }],
            Vec::new(),
        );
    }
    let mut models = Vec::new();
    let mut grouped: BTreeSet<&str> = BTreeSet::new();
    for g in &report.models {
        let files: BTreeSet<&str> = g.files.iter().map(String::as_str).collect();
        grouped.extend(files.iter().copied());
        models.push(Members {
            dir: if g.path == "." {
                String::new()
            } else {
                g.path.clone()
            },
            layout: g.layout,
            top: files
                .iter()
                .filter_map(|f| by_file.get(f))
                .flatten()
                .copied()
                .filter(|a| a.member.is_none())
                .collect(),
            all: members_of(&files),
        });
    }
    let mut loose = Vec::new();
    for a in top {
        if grouped.contains(a.path.as_str()) {
            continue;
        }
        if is_weight(a) {
            let files: BTreeSet<&str> = [a.file.as_str()].into();
            let dir = a.path.rsplit_once('/').map_or("", |(d, _)| d).to_string();
            models.push(Members {
                dir,
                layout: "single-file",
                top: vec![a],
                all: members_of(&files),
            });
        } else {
            loose.push(a);
        }
    }
    (models, loose)
}

pub fn build(input: BomInput<'_>) -> Bom {
    let report = input.report;
    let cache_origin = if input.hub.is_none() {
        hub_origin_from_cache_path(input.input)
    } else {
        None
    };
    let origin = input.hub.clone().or(cache_origin);
    // A Hub repository is one model, whatever its files: the remote revision, or the
    // cache snapshot named as the input.
    let whole_input = if input.hub.is_some() {
        Some("")
    } else if origin.is_some() {
        Some(input.input.trim_end_matches('/'))
    } else {
        None
    };
    let by_file = index_by_file(report);
    let (parts, loose) = partition(report, &by_file, whole_input);
    let mut refs = Refs::default();
    let mut datasets: BTreeMap<String, Dataset> = BTreeMap::new();
    let mut findings = Vec::new();
    let mut models = Vec::new();
    for part in &parts {
        // With a Hub origin the whole input is this one model.
        let hub = origin.clone();
        let model = build_model(
            part,
            hub,
            &input,
            &by_file,
            &mut refs,
            &mut datasets,
            &mut findings,
        );
        models.push(model);
    }
    let label = match (&input.hub, &origin) {
        // A cache snapshot is named by what it holds, not by where the cache is.
        (None, Some(o)) => format!("{}@{}", o.repo_id, o.commit),
        _ => input_label(&input),
    };
    let root = input.input.trim_end_matches('/');
    let mut loose_files = Vec::new();
    for a in loose {
        let entry = file_entry(
            a,
            &relative_to_input(&a.path, root),
            "file:",
            &input,
            &mut refs,
            &mut findings,
            &by_file,
        );
        loose_files.push(entry);
    }
    let subject = if models.len() == 1 {
        Subject::Model(0)
    } else {
        let o = &input.overrides;
        let name = o.name.clone().unwrap_or_else(|| label.clone());
        Subject::Collection {
            bom_ref: refs.take(format!("input:{name}")),
            name,
            declared: Declared {
                version: o.version.clone(),
                supplier: o.supplier.clone(),
                purl: o.purl.clone(),
                release_date: o.release_date.clone(),
                fields: declared_fields(o),
            },
        }
    };
    if let Subject::Model(i) = &subject {
        declare(&mut models[*i], &input.overrides);
    }
    if let (Subject::Model(i), Some(v)) = (&subject, &input.verification) {
        verification_properties(&mut models[*i].properties, v);
    }
    Bom {
        created: input.created,
        input: label,
        subject,
        models,
        datasets: datasets.into_values().collect(),
        loose_files,
        findings,
        scan: ScanSummary {
            verdict: report.summary.verdict,
            exit_code: report.summary.exit_code,
            artifacts: report.summary.artifacts,
            incomplete: report.summary.incomplete,
            errors: report.summary.errors,
            bytes_read: input.bytes_read,
        },
        verification: input.verification.clone(),
        signer: None,
    }
}

fn file_entry(
    a: &Artifact,
    name: &str,
    ref_prefix: &str,
    input: &BomInput<'_>,
    refs: &mut Refs,
    findings: &mut Vec<Issue>,
    by_file: &ByFile<'_>,
) -> FileEntry {
    let members: &[&Artifact] = by_file.get(a.file.as_str()).map_or(&[], Vec::as_slice);
    let bom_ref = refs.take(format!("{ref_prefix}{name}"));
    let published = input.hub_files.get(name);
    let computed = a
        .sha256
        .clone()
        .or_else(|| published.and_then(|p| p.read_sha256.clone()));
    let sha256 = match (computed, published.and_then(|p| p.lfs_sha256.clone())) {
        (Some(d), _) => Some((d, HashSource::Computed)),
        (None, Some(d)) => Some((d, HashSource::HubLfs)),
        (None, None) => None,
    };
    let mut finding_count = 0;
    for member in members {
        for f in &member.findings {
            finding_count += 1;
            findings.push(Issue {
                bom_ref: refs.take(format!("finding:{}:{}", f.rule, findings.len() + 1)),
                rule: f.rule(),
                severity: f.severity,
                message: f.message.clone(),
                affects: bom_ref.clone(),
                // Relative to the input, as bom-refs are: no local path in the BOM.
                location: relative_to_input(&member.path, input.input.trim_end_matches('/')),
                offset: f.location.offset,
                opcode: f.location.opcode.clone(),
                global: match (&f.evidence.module, &f.evidence.name) {
                    (Some(m), Some(n)) => Some(format!("{m}.{n}")),
                    _ => None,
                },
                detail: f.evidence.detail.clone(),
            });
        }
    }
    // A file is only as complete as its worst member.
    let mut status = a.status;
    let mut reason = a.reason.clone();
    for member in members.iter().filter(|m| m.member.is_some()) {
        if member.status != Status::Complete && status == Status::Complete {
            status = member.status;
            reason = member
                .reason
                .clone()
                .map(|r| format!("{}: {r}", member.path));
        }
    }
    FileEntry {
        bom_ref,
        name: name.to_string(),
        size: a.size,
        sha256,
        git_blob_sha1: published
            .filter(|p| p.lfs_sha256.is_none())
            .and_then(|p| p.blob_id.clone()),
        format: a.format.name().to_string(),
        status,
        reason,
        hub_verdict: published.and_then(|p| p.verdict.clone()),
        finding_count,
    }
}

fn build_model(
    part: &Members<'_>,
    hub: Option<HubOrigin>,
    input: &BomInput<'_>,
    by_file: &ByFile<'_>,
    refs: &mut Refs,
    datasets: &mut BTreeMap<String, Dataset>,
    findings: &mut Vec<Issue>,
) -> Model {
    let card = part
        .fact("README.md", facts::MODEL_CARD)
        .and_then(Value::as_object);
    let card_get = |k: &str| card.and_then(|c| c.get(k));
    let gguf = part.weights().find(|a| a.format == "gguf");
    let gguf_fact = |k: &str| gguf.and_then(|a| a.facts.get(k)).and_then(text_of);

    // Name: the Hub id, then what the files call the model, then the folder or file.
    let (name, name_source) = if let Some(h) = &hub {
        (h.repo_id.clone(), "hub")
    } else if let Some(n) = card_get("model_name").and_then(text_of) {
        (n, "model-card")
    } else if let Some(n) = gguf_fact(facts::NAME) {
        (n, "gguf")
    } else if part.layout == "single-file" {
        (base_name(&part.top[0].path).to_string(), "file")
    } else {
        let dir = if part.dir.is_empty() {
            input.input.trim_end_matches('/')
        } else {
            &part.dir
        };
        let shown = std::fs::canonicalize(dir)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| base_name(dir).to_string());
        (shown, "directory")
    };
    let path = if part.layout == "single-file" {
        part.top[0].path.clone()
    } else if part.dir.is_empty() {
        input.input.trim_end_matches('/').to_string()
    } else {
        part.dir.clone()
    };
    // bom-refs name places relative to the input, so they do not depend on where the
    // input sits on this machine.
    let root = input.input.trim_end_matches('/');
    let relative = if path == root {
        ""
    } else {
        path.strip_prefix(root)
            .and_then(|r| r.strip_prefix('/'))
            .unwrap_or(&path)
    };
    let model_ref = refs.take(if relative.is_empty() {
        format!("model:{name}")
    } else {
        format!("model:{relative}")
    });

    let mut files = Vec::new();
    for a in &part.top {
        let rel = if part.layout == "single-file" {
            base_name(&a.path).to_string()
        } else {
            inside(&part.dir, &a.path)
        };
        let entry = file_entry(
            a,
            &rel,
            &format!("{model_ref}/"),
            input,
            refs,
            findings,
            by_file,
        );
        files.push(entry);
    }

    let mut licenses = Vec::new();
    let license_name = card_get("license_name").and_then(text_of);
    let license_link = card_get("license_link").and_then(text_of);
    for l in strings_of(card_get("license")) {
        if let Some(r) = license::resolve(&l, license_name.as_deref(), license_link.as_deref()) {
            if !licenses.contains(&r) {
                licenses.push(r);
            }
        }
    }
    if licenses.is_empty() {
        if let Some(l) = gguf_fact(facts::LICENSE) {
            if let Some(r) = license::resolve(&l, gguf_fact(facts::LICENSE_NAME).as_deref(), None) {
                licenses.push(r);
            }
        }
    }

    let mut external_refs = Vec::new();
    let mut supplier = None;
    let (version, purl) = match &hub {
        Some(h) => {
            let base = h.endpoint.trim_end_matches('/');
            external_refs.push(ExternalRef {
                kind: "vcs",
                url: format!("{base}/{}", h.repo_id),
                comment: Some("Git repository on the Hugging Face Hub".into()),
            });
            external_refs.push(ExternalRef {
                kind: "distribution",
                url: format!("{base}/{}/tree/{}", h.repo_id, h.commit),
                comment: Some("the files of this exact commit".into()),
            });
            if part.own("README.md").is_some() {
                external_refs.push(ExternalRef {
                    kind: "model-card",
                    url: format!("{base}/{}/blob/{}/README.md", h.repo_id, h.commit),
                    comment: None,
                });
            }
            if let Some((ns, _)) = h.repo_id.split_once('/') {
                supplier = Some(Organization {
                    name: ns.to_string(),
                    url: Some(format!("{base}/{ns}")),
                });
            }
            (
                Some(h.commit.clone()),
                Some(model_purl(&h.repo_id, Some(&h.commit), &h.endpoint)),
            )
        }
        None => (None, None),
    };
    let authors: Vec<String> = gguf_fact(facts::AUTHOR).into_iter().collect();

    let (ancestors, tune_method) = lineage(part, card, gguf);

    // Datasets named by the card.
    let mut model_datasets = Vec::new();
    for d in strings_of(card_get("datasets")) {
        let entry = datasets.entry(d.clone()).or_insert_with(|| {
            let on_hub = validate_repo_id(&d, &d).is_ok();
            Dataset {
                bom_ref: refs.take(format!("dataset:{d}")),
                purl: on_hub.then(|| {
                    format!("pkg:huggingface/{d}?repository_url=https://huggingface.co/datasets")
                }),
                url: on_hub.then(|| format!("https://huggingface.co/datasets/{d}")),
                name: d.clone(),
            }
        });
        if !model_datasets.contains(&entry.bom_ref) {
            model_datasets.push(entry.bom_ref.clone());
        }
    }

    let card_info = build_card(part, card, gguf);
    let sections = part
        .fact("README.md", facts::MODEL_CARD_SECTIONS)
        .and_then(Value::as_object);
    let section = |k: &str| sections.and_then(|s| s.get(k)).and_then(text_of);
    let description = section("description")
        .or_else(|| section("lead"))
        .map(|t| cut(&t));
    for link in card_links(part, card, section("sources").as_deref()) {
        if !external_refs
            .iter()
            .any(|r: &ExternalRef| r.url == link.url)
        {
            external_refs.push(link);
        }
    }
    let mut properties = vec![
        ("modelvet:layout".to_string(), part.layout.to_string()),
        ("modelvet:name:source".to_string(), name_source.to_string()),
        (
            "modelvet:scan:status".to_string(),
            model_status(&files).to_string(),
        ),
        (
            "modelvet:scan:findings".to_string(),
            files
                .iter()
                .map(|f| f.finding_count)
                .sum::<usize>()
                .to_string(),
        ),
    ];
    if let Some(h) = &hub {
        properties.push(("modelvet:hub:source".into(), h.learnt_from.into()));
        if let Some(r) = &h.revision {
            properties.push(("modelvet:hub:revision".into(), r.clone()));
        }
    }
    if let Some(r) = card_get("base_model_relation").and_then(text_of) {
        properties.push(("modelvet:base_model:relation".into(), r));
    }
    if let Some((peft_type, method)) = tune_method {
        properties.push(("modelvet:peft:type".into(), peft_type));
        properties.push((
            "cdx:ai-ml:model:parameter:tune_methods".into(),
            method.into(),
        ));
    }
    Model {
        description,
        release_date: None,
        declared: Vec::new(),
        root_digest: root_digest(&files),
        bom_ref: model_ref,
        name,
        name_source,
        version,
        purl,
        hub,
        path,
        layout: part.layout,
        licenses,
        supplier,
        authors,
        external_refs,
        files,
        card: card_info,
        ancestors,
        datasets: model_datasets,
        properties,
    }
}

/// A URL a BOM can carry: http(s), no whitespace or control characters, bounded.
fn clean_url(text: &str) -> Option<String> {
    let start = text.find("https://").or_else(|| text.find("http://"))?;
    let url: String = text[start..]
        .chars()
        .take_while(|c| {
            !c.is_whitespace() && !c.is_control() && !matches!(c, ')' | ']' | '>' | '<' | '"')
        })
        .collect();
    let url = url.trim_end_matches(['.', ',', ';']);
    (url.len() > "https://".len() && url.len() <= MAX_URL_BYTES).then(|| url.to_string())
}

/// Longest URL taken from a card.
const MAX_URL_BYTES: usize = 2048;

/// Links the card gives: its "Model Sources" list (Repository, Paper, Demo and the
/// like), the `arxiv:` tags the Hub adds for papers, and the sources of its evaluation
/// results. Placeholders and entries without a URL are left out.
fn card_links(
    part: &Members<'_>,
    card: Option<&serde_json::Map<String, Value>>,
    sources: Option<&str>,
) -> Vec<ExternalRef> {
    let mut out: Vec<ExternalRef> = Vec::new();
    let mut add = |kind: &'static str, url: String, comment: Option<String>| {
        if out.len() < MAX_LISTED && !out.iter().any(|r| r.url == url) {
            out.push(ExternalRef { kind, url, comment });
        }
    };
    for item in sources.map(list_items).into_iter().flatten() {
        let plain = item.replace("**", "");
        let Some((label, rest)) = plain.split_once(':') else {
            continue;
        };
        let label = label.trim().trim_end_matches("[optional]").trim();
        let Some(url) = clean_url(rest) else {
            continue;
        };
        let kind = match label.to_ascii_lowercase().as_str() {
            "repository" | "code" | "github" => "vcs",
            "paper" => "citation",
            _ => "website",
        };
        add(kind, url, Some(label.to_string()));
    }
    let tags = strings_of(card.and_then(|c| c.get("tags")));
    for tag in tags.iter().take(MAX_LISTED) {
        let Some(id) = tag.strip_prefix("arxiv:") else {
            continue;
        };
        let id_ok = !id.is_empty()
            && id.len() <= 32
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'/' | b'-'));
        if id_ok {
            add(
                "citation",
                format!("https://arxiv.org/abs/{id}"),
                Some(format!("arXiv:{id}")),
            );
        }
    }
    if let Some(Value::Array(results)) = part.fact("README.md", facts::EVAL_RESULTS) {
        for r in results.iter().take(MAX_LISTED) {
            if let Some(url) = r
                .get("source_url")
                .and_then(Value::as_str)
                .and_then(clean_url)
            {
                let name = r.get("source_name").and_then(text_of);
                add(
                    "quality-metrics",
                    url,
                    name.or_else(|| Some("evaluation results".into())),
                );
            }
        }
    }
    out
}

/// The models this one derives from, as each artifact names them: the card's `base_model`
/// (with its `base_model_relation`), a PEFT adapter's `base_model_name_or_path` (an
/// adapter of it), and GGUF's `general.base_model.{i}.*`. The same model named twice is
/// one ancestor with both sources. Also returns the PEFT type and the taxonomy's tune
/// method for it.
fn lineage(
    part: &Members<'_>,
    card: Option<&serde_json::Map<String, Value>>,
    gguf: Option<&Artifact>,
) -> (Vec<Ancestor>, Option<(String, &'static str)>) {
    let hub_purl = |id: &str, commit: Option<&str>| {
        validate_repo_id(id, id)
            .ok()
            .map(|_| model_purl(id, commit, "https://huggingface.co"))
    };
    let mut out: Vec<Ancestor> = Vec::new();
    let mut add = |a: Ancestor| {
        if let Some(o) = out.iter_mut().find(|o| o.name == a.name) {
            o.sources.extend(a.sources);
            o.relation = o.relation.take().or(a.relation);
            o.version = o.version.take().or(a.version);
            o.purl = o.purl.take().or(a.purl);
        } else if out.len() < MAX_LISTED {
            out.push(a);
        }
    };

    let card_get = |k: &str| card.and_then(|c| c.get(k));
    let relation = card_get("base_model_relation").and_then(text_of);
    for b in strings_of(card_get("base_model")) {
        add(Ancestor {
            purl: hub_purl(&b, None),
            name: b,
            relation: relation.clone(),
            version: None,
            sources: vec!["model-card"],
        });
    }

    let peft = part
        .fact("adapter_config.json", facts::PEFT_ADAPTER)
        .and_then(Value::as_object);
    let peft_get = |k: &str| peft.and_then(|p| p.get(k)).and_then(text_of);
    if let Some(base) = peft_get("base_model_name_or_path") {
        let revision = peft_get("revision");
        let commit = revision
            .as_deref()
            .filter(|r| r.len() == 40 && r.bytes().all(|b| b.is_ascii_hexdigit()));
        add(Ancestor {
            purl: hub_purl(&base, commit.map(|c| c.to_ascii_lowercase()).as_deref()),
            version: revision.clone().filter(|_| commit.is_none()),
            name: base,
            relation: Some("adapter".into()),
            sources: vec!["adapter_config.json"],
        });
    }

    if let Some(Value::Array(bases)) = gguf.and_then(|g| g.facts.get(facts::BASE_MODELS)) {
        for b in bases {
            let get = |k: &str| b.get(k).and_then(text_of);
            let repo = get("repo_url").and_then(|u| {
                let id = u
                    .strip_prefix("https://huggingface.co/")?
                    .trim_end_matches('/');
                validate_repo_id(id, id).ok().map(|_| id.to_string())
            });
            let Some(name) = repo.clone().or_else(|| get("name")) else {
                continue;
            };
            add(Ancestor {
                purl: repo.as_deref().and_then(|id| hub_purl(id, None)),
                name,
                relation: None,
                version: get("version"),
                sources: vec!["gguf"],
            });
        }
    }

    let tune = peft_get("peft_type").map(|t| {
        let method = match t.as_str() {
            "LORA" => "lora",
            "PROMPT_TUNING" | "P_TUNING" | "PREFIX_TUNING" | "MULTITASK_PROMPT_TUNING" => "prompt",
            _ => "adapter",
        };
        (t, method)
    });
    (out, tune)
}

fn model_status(files: &[FileEntry]) -> &'static str {
    if files.iter().any(|f| f.status == Status::Error) {
        "error"
    } else if files.iter().any(|f| f.status == Status::Incomplete) {
        "incomplete"
    } else {
        "complete"
    }
}

fn build_card(
    part: &Members<'_>,
    card: Option<&serde_json::Map<String, Value>>,
    gguf: Option<&Artifact>,
) -> Card {
    let card_get = |k: &str| card.and_then(|c| c.get(k));
    let config = |k: &str| part.fact("config.json", k);
    let mut out = Card {
        task: card_get("pipeline_tag").and_then(text_of),
        architecture_family: config("model_type").and_then(text_of).or_else(|| {
            gguf.and_then(|g| g.facts.get(facts::ARCHITECTURE))
                .and_then(text_of)
        }),
        model_architecture: config("architectures")
            .and_then(|v| strings_of(Some(v)).into_iter().next()),
        ..Card::default()
    };
    if let Some((i, o)) = out.task.as_deref().and_then(task_modalities) {
        out.inputs = i.to_vec();
        out.outputs = o.to_vec();
    }

    if let Some(Value::Array(results)) = part.fact("README.md", facts::EVAL_RESULTS) {
        for r in results.iter().take(MAX_LISTED) {
            let get = |k: &str| r.get(k).and_then(text_of);
            // The type is the metric's id (`acc_norm`); a name that says more follows it.
            let kind = match (get("metric_type"), get("metric_name")) {
                (Some(t), Some(n)) if !t.eq_ignore_ascii_case(&n) => Some(format!("{t} ({n})")),
                (Some(t), _) => Some(t),
                (None, n) => n,
            };
            let (Some(kind), Some(value)) = (kind, get("value")) else {
                continue;
            };
            let slice = match (
                get("dataset_name").or_else(|| get("dataset_type")),
                get("dataset_split"),
            ) {
                (Some(d), Some(s)) => Some(format!("{d} ({s})")),
                (Some(d), None) => Some(d),
                _ => None,
            };
            out.metrics.push(Metric { kind, value, slice });
        }
    }

    if let Some(Value::Object(sections)) = part.fact("README.md", facts::MODEL_CARD_SECTIONS) {
        let section = |k: &str| sections.get(k).and_then(text_of).map(|t| cut(&t));
        out.technical_limitations.extend(section("limitations"));
        if let Some(t) = section("out_of_scope") {
            out.technical_limitations
                .push(format!("Out-of-scope use: {t}"));
        }
        out.use_cases.extend(section("intended_uses"));
        let recommendations = section("recommendations");
        out.ethical_considerations
            .extend(section("ethical_considerations").map(|name| Risk {
                name,
                mitigation: recommendations.clone(),
            }));
        if let Some(t) = recommendations {
            out.properties
                .push(("modelvet:card:recommendations".into(), t));
        }
        if let Some(t) = section("environmental_impact") {
            out.environmental
                .push(("modelvet:card:environmental_impact".into(), t));
        }
        if let Some(t) = section("training_data") {
            out.properties
                .push(("modelvet:card:training_data".into(), t));
        }
        // The Trainer's card lists `- name: value` hyperparameters and `- Name version`
        // frameworks.
        if let Some(t) = section("training_hyperparameters") {
            for (key, value) in list_items(&t)
                .filter_map(|item| item.split_once(": "))
                .take(MAX_LISTED)
            {
                out.properties.push((
                    format!("modelvet:card:training:{}", key.trim()),
                    value.trim().to_string(),
                ));
            }
        }
        if let Some(t) = section("framework_versions") {
            for item in list_items(&t).take(MAX_LISTED) {
                out.properties
                    .push(("modelvet:card:framework_version".into(), item.to_string()));
            }
        }
        if let Some(t) = section("compute") {
            out.properties.push(("modelvet:card:compute".into(), t));
        }
    }

    // cdx:ai-ml properties: parameter count, context length, quantization, templates.
    let int32_bits = config("quantization")
        .and_then(|q| q.get("bits"))
        .and_then(Value::as_u64);
    if let Some((n, method)) = parameter_count(part, int32_bits) {
        out.properties.push((
            "cdx:ai-ml:model:parameter:count".into(),
            count_with_suffix(n),
        ));
        out.properties
            .push(("modelvet:parameter:count".into(), n.to_string()));
        if let Some(m) = method {
            out.properties
                .push(("modelvet:parameter:count:method".into(), m));
        }
    }
    let context = gguf
        .and_then(|g| g.facts.get(facts::CONTEXT_LENGTH))
        .or_else(|| config("max_position_embeddings"))
        .or_else(|| config("n_positions"))
        .or_else(|| config("n_ctx"))
        .and_then(text_of);
    if let Some(c) = context {
        out.properties
            .push(("cdx:ai-ml:model:hyperparameter:context_length".into(), c));
    }
    let quantization = gguf
        .and_then(|g| g.facts.get(facts::QUANTIZATION))
        .and_then(text_of)
        .or_else(|| {
            let q = config("quantization")?;
            let method = q.get("quant_method").and_then(text_of)?;
            let mut text = match q.get("bits").and_then(text_of) {
                Some(b) => format!("{method} {b}-bit"),
                None => method,
            };
            if let Some(t) = q.get("type").and_then(text_of) {
                text = format!("{text} {t}");
            }
            Some(text)
        });
    if let Some(q) = quantization {
        out.properties
            .push(("cdx:ai-ml:model:hyperparameter:quantization".into(), q));
    }
    let mut templates = BTreeSet::new();
    for a in &part.all {
        match a.facts.get(facts::CHAT_TEMPLATE_SHA256) {
            Some(Value::String(s)) => {
                templates.insert(s.clone());
            }
            Some(Value::Object(m)) => templates.extend(m.values().filter_map(text_of)),
            Some(Value::Array(v)) => templates.extend(v.iter().filter_map(text_of)),
            _ => {}
        }
    }
    for t in templates.into_iter().take(MAX_LISTED) {
        out.properties
            .push(("modelvet:template:chat:sha256".into(), t));
    }
    for key in [
        "hidden_size",
        "num_hidden_layers",
        "num_attention_heads",
        "num_key_value_heads",
        "intermediate_size",
        "vocab_size",
        "rope_theta",
        "sliding_window",
        "n_layer",
        "n_head",
        "n_embd",
        "torch_dtype",
        "dtype",
    ] {
        if let Some(v) = config(key).and_then(text_of) {
            out.properties
                .push((format!("cdx:ai-ml:model:hyperparameter:{key}"), v));
        }
    }
    for key in ["tokenizer_class", "model_max_length"] {
        if let Some(v) = part.fact("tokenizer_config.json", key).and_then(text_of) {
            out.properties
                .push((format!("cdx:ai-ml:tokenizer:hyperparameter:{key}"), v));
        }
    }
    // generate()'s defaults are not hyperparameters of the model: modelvet's own names.
    if let Some(Value::Object(g)) = part.fact("generation_config.json", facts::GENERATION_DEFAULTS)
    {
        for (key, value) in g {
            if let Some(v) = text_of(value) {
                out.properties
                    .push((format!("modelvet:generation:{key}"), v));
            }
        }
    }
    // The taxonomy's `languages` is one comma-separated list of ISO 639-1 codes; other
    // tags (`fil`, `multilingual`) are kept as the card wrote them, under modelvet:.
    let mut codes: Vec<&str> = Vec::new();
    for lang in strings_of(card_get("language")) {
        match super::language::iso_639_1(&lang) {
            Some(code) if !codes.contains(&code) => codes.push(code),
            Some(_) => {}
            None => out.properties.push(("modelvet:card:language".into(), lang)),
        }
    }
    if !codes.is_empty() {
        out.properties
            .push(("cdx:ai-ml:model:languages".into(), codes.join(",")));
    }
    let modalities: BTreeSet<&str> = out.inputs.iter().chain(&out.outputs).copied().collect();
    for m in modalities {
        out.properties
            .push(("modelvet:card:modality".into(), m.into()));
    }
    if let Some(l) = card_get("library_name").and_then(text_of) {
        out.properties
            .push(("modelvet:card:library_name".into(), l));
    }
    if let Some(co2) = card_get("co2_eq_emissions") {
        let grams = match co2 {
            Value::Object(m) => m.get("emissions").and_then(text_of),
            other => text_of(other),
        };
        if let Some(g) = grams {
            out.environmental
                .push(("modelvet:card:co2_eq_emissions_grams".into(), g));
        }
        if let Value::Object(m) = co2 {
            for key in [
                "source",
                "hardware_used",
                "geographical_location",
                "training_type",
            ] {
                if let Some(v) = m.get(key).and_then(text_of) {
                    out.environmental
                        .push((format!("modelvet:card:co2_eq_emissions:{key}"), v));
                }
            }
        }
    }
    out
}

/// The fields the user declared, by their names in `modelvet:declared-by-user`.
fn declared_fields(o: &crate::config::BomOverrides) -> Vec<&'static str> {
    [
        ("name", o.name.is_some()),
        ("version", o.version.is_some()),
        ("supplier", o.supplier.is_some()),
        ("purl", o.purl.is_some()),
        ("release-date", o.release_date.is_some()),
    ]
    .into_iter()
    .filter_map(|(f, set)| set.then_some(f))
    .collect()
}

/// The user's declarations replace what the artifacts said (or add what they did not).
fn declare(m: &mut Model, o: &crate::config::BomOverrides) {
    if let Some(n) = &o.name {
        m.name = n.clone();
        m.name_source = "user";
    }
    if let Some(v) = &o.version {
        m.version = Some(v.clone());
    }
    if let Some(s) = &o.supplier {
        m.supplier = Some(Organization {
            name: s.clone(),
            url: None,
        });
    }
    if let Some(p) = &o.purl {
        m.purl = Some(p.clone());
    }
    m.release_date = o.release_date.clone();
    m.declared = declared_fields(o);
}

/// The items of a Markdown list (`- x` or `* x`), trimmed; other lines are skipped.
fn list_items(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .filter_map(|l| {
            l.trim_start()
                .strip_prefix("- ")
                .or_else(|| l.trim_start().strip_prefix("* "))
        })
        .map(str::trim)
        .filter(|i| !i.is_empty())
}

/// The model's root digest over its files, in name order (byte order of the relative
/// names, as model-signing sorts them), when every file has a SHA-256.
fn root_digest(files: &[FileEntry]) -> Option<String> {
    let mut digests: Vec<(&str, Vec<u8>)> = Vec::with_capacity(files.len());
    for f in files {
        let (hex, _) = f.sha256.as_ref()?;
        digests.push((f.name.as_str(), hex::decode(hex).ok()?));
    }
    if digests.is_empty() {
        return None;
    }
    digests.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
    let root = crate::provenance::manifest::root_digest(digests.iter().map(|(_, d)| d.as_slice()));
    Some(crate::source::hex(&root))
}

/// A parameter count as the taxonomy writes it: "456", "1.7M", "124M", "8B", "1.2T"
/// (one decimal below ten of the unit); the exact count is `modelvet:parameter:count`.
fn count_with_suffix(n: u64) -> String {
    const UNITS: [(u64, &str); 3] = [
        (1_000_000_000_000, "T"),
        (1_000_000_000, "B"),
        (1_000_000, "M"),
    ];
    for (size, suffix) in UNITS {
        if n >= size {
            let value = n as f64 / size as f64;
            let text = if value < 10.0 {
                format!("{value:.1}")
            } else {
                format!("{value:.0}")
            };
            return format!("{}{suffix}", text.strip_suffix(".0").unwrap_or(&text));
        }
    }
    n.to_string()
}

/// Parameters counted from the weight files' tensor shapes. Shards of one format add
/// up; several formats (or several GGUF quantisations) of the same weights must agree,
/// else the count is left out rather than double-counted. Packed GPTQ/AWQ words are
/// unpacked by the config's bit width (`int32_bits`); a weight file whose count cannot be
/// known leaves its format's count out. Returns the count and, for quantized storage, how
/// it was unpacked.
fn parameter_count(part: &Members<'_>, int32_bits: Option<u64>) -> Option<(u64, Option<String>)> {
    let mut by_format: BTreeMap<&str, Vec<Option<u64>>> = BTreeMap::new();
    let mut unpacked = QuantizedTensors::default();
    for a in part.weights() {
        let quantized = a
            .facts
            .get(facts::QUANTIZED_TENSORS)
            .and_then(QuantizedTensors::from_fact);
        let stored = a.facts.get(facts::STORED_ELEMENTS).and_then(Value::as_u64);
        let count = match (a.facts.get(facts::PARAMETER_COUNT), quantized, stored) {
            (Some(n), _, _) => n.as_u64(),
            (None, Some(q), Some(stored)) => q.parameters(stored, int32_bits),
            (None, _, Some(_)) => None,
            (None, _, None) => continue,
        };
        if let Some(q) = quantized.filter(|_| count.is_some()) {
            unpacked.int32_packed += q.int32_packed;
            unpacked.bnb_4bit_packed += q.bnb_4bit_packed;
            unpacked.int8_weights += q.int8_weights;
        }
        by_format.entry(a.format.name()).or_default().push(count);
    }
    let mut totals = BTreeSet::new();
    for (format, counts) in &by_format {
        let counts: Option<Vec<u64>> = counts.iter().copied().collect();
        let counts = counts?;
        totals.insert(
            if *format == "gguf" && counts.iter().all(|c| *c == counts[0]) {
                counts[0]
            } else {
                counts.iter().fold(0u64, |s, c| s.saturating_add(*c))
            },
        );
    }
    if totals.len() != 1 {
        return None;
    }
    let total = *totals.iter().next().expect("one total");
    let mut how = Vec::new();
    if unpacked.int32_packed > 0 {
        let bits = int32_bits.expect("unpacked words had a bit width");
        how.push(format!(
            "{bits}-bit weights packed {} to an I32 qweight word",
            32 / bits
        ));
    }
    if unpacked.bnb_4bit_packed > 0 {
        how.push("bitsandbytes 4-bit weights packed two to a byte".to_string());
    }
    if unpacked.int8_weights > 0 {
        how.push("bitsandbytes 8-bit weights one to a byte".to_string());
    }
    let method = (!how.is_empty()).then(|| {
        format!(
            "{}; quantization state (zeros, scales, group indexes, absmax) not counted",
            how.join("; ")
        )
    });
    Some((total, method))
}

fn verification_properties(props: &mut Vec<(String, String)>, v: &Verification) {
    let prefix = if v.method == "hub" {
        "modelvet:hub-verification"
    } else {
        "modelvet:signature"
    };
    let status = serde_json::to_value(v.status)
        .ok()
        .and_then(|s| s.as_str().map(str::to_string))
        .unwrap_or_default();
    props.push((format!("{prefix}:status"), status));
    props.push((format!("{prefix}:method"), v.method.clone()));
    if let Some(d) = &v.root_digest {
        props.push((format!("{prefix}:root-digest"), format!("sha256:{d}")));
    }
    if let Some(s) = &v.signer {
        if let Some(i) = &s.identity {
            props.push((format!("{prefix}:identity"), i.clone()));
        }
        if let Some(i) = &s.issuer {
            props.push((format!("{prefix}:issuer"), i.clone()));
        }
        if let Some(k) = &s.key_fingerprint_sha256 {
            props.push((format!("{prefix}:key-sha256"), k.clone()));
        }
        if let Some(c) = &s.certificate_fingerprint_sha256 {
            props.push((format!("{prefix}:certificate-sha256"), c.clone()));
        }
        if let Some(n) = s.log_index {
            props.push((format!("{prefix}:rekor-log-index"), n.to_string()));
        }
    }
    if let Some(r) = &v.remote {
        props.push((format!("{prefix}:repository"), r.repo.clone()));
        if let Some(c) = &r.commit {
            props.push((format!("{prefix}:commit"), c.clone()));
        }
    }
    props.push((
        format!("{prefix}:files-matched"),
        v.files.matched.to_string(),
    ));
    for (what, list) in [
        (
            "changed",
            v.files
                .changed
                .iter()
                .map(|c| c.name.clone())
                .collect::<Vec<_>>(),
        ),
        ("missing", v.files.missing.clone()),
        ("extra", v.files.extra.clone()),
    ] {
        for name in list.into_iter().take(MAX_LISTED) {
            props.push((format!("{prefix}:file-{what}"), name));
        }
    }
}

/// A licence as the writer needs it.
pub(crate) fn license_parts(l: &LicenseRef) -> (Option<&str>, Option<&str>, Option<&str>) {
    match l {
        LicenseRef::Spdx(id) => (Some(id), None, None),
        LicenseRef::Named { name, url } => (None, Some(name), url.as_deref()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameter_counts_take_the_taxonomy_suffixes() {
        assert_eq!(count_with_suffix(456), "456");
        assert_eq!(count_with_suffix(999_999), "999999");
        assert_eq!(count_with_suffix(1_700_000), "1.7M");
        assert_eq!(count_with_suffix(124_439_808), "124M");
        assert_eq!(count_with_suffix(6_738_415_616), "6.7B");
        assert_eq!(count_with_suffix(8_030_261_248), "8B");
        assert_eq!(count_with_suffix(1_200_000_000_000), "1.2T");
    }

    #[test]
    fn paths_are_named_from_the_input_folder() {
        assert_eq!(relative_to_input("./m/notes.txt", "./m"), "notes.txt");
        assert_eq!(relative_to_input("m/a/b.pkl", "m"), "a/b.pkl");
        assert_eq!(relative_to_input("./notes.txt", "."), "notes.txt");
        assert_eq!(relative_to_input("/abs/m/x", "/abs/m"), "x");
        assert_eq!(relative_to_input("/abs/m/x.pt", "/abs/m/x.pt"), "x.pt");
    }
}
