//! Which elements of a requirement profile the BOM carries for each model, and which
//! it does not. An element counts as present only when it was sourced from the
//! artifacts, the Hub or a verification; nothing inferred or defaulted counts.
//!
//! Profiles:
//! - `g7-sbom-for-ai`: the G7 "Software Bill of Materials for AI - Minimum Elements"
//!   (May 2026), its Metadata, Models and Dataset Properties clusters, as far as they
//!   describe a model artifact.
//! - `eu-ai-act-annex-xi`: EU AI Act Annex XI (technical documentation of a general-purpose
//!   AI model): Section 1 items that can be sourced from the artifacts, and Section 2's
//!   evaluation results, which apply only to models with systemic risk.
//! - `eu-ai-act-annex-xii`: EU AI Act Annex XII (information for downstream providers),
//!   the same general description plus software versions and the maximum input size.
//!
//! Each element is present, partial (some of it, the rest named in the detail) or
//! missing, with the requirement's reference and the source of the value. The list is
//! docs/completeness.md; a test holds the two together.

use serde::Serialize;

use super::model::{Bom, HashSource, Model};

/// Whether an element is in the BOM: all of it, some of it (what is missing is in the
/// detail), or none.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Presence {
    Present,
    Partial,
    Missing,
}

#[derive(Debug, Clone, Serialize)]
pub struct Element {
    pub id: &'static str,
    pub label: &'static str,
    /// Where the requirement is written: `Annex XI, Section 1, 1(a)`, `G7: Models`.
    pub reference: &'static str,
    pub status: Presence,
    /// What is there, or why it is missing.
    pub detail: String,
    /// Where the value came from (model card, config.json, weights, Hub, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<&'static str>,
}

impl Element {
    pub fn present(&self) -> bool {
        self.status == Presence::Present
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileResult {
    pub profile: &'static str,
    pub title: &'static str,
    pub model: String,
    pub elements: Vec<Element>,
}

impl ProfileResult {
    /// Elements not fully present (missing or partial).
    pub fn missing(&self) -> impl Iterator<Item = &Element> {
        self.elements.iter().filter(|e| !e.present())
    }
}

/// One element: `found` is the detail and source when present; `why_missing` otherwise.
fn element(
    id: &'static str,
    label: &'static str,
    reference: &'static str,
    found: Option<(String, &'static str)>,
    why_missing: &str,
) -> Element {
    match found {
        Some((detail, source)) => Element {
            id,
            label,
            reference,
            status: Presence::Present,
            detail,
            source: Some(source),
        },
        None => Element {
            id,
            label,
            reference,
            status: Presence::Missing,
            detail: why_missing.to_string(),
            source: None,
        },
    }
}

fn partial(mut e: Element, detail: String, source: &'static str) -> Element {
    e.status = Presence::Partial;
    e.detail = detail;
    e.source = Some(source);
    e
}

fn property<'m>(m: &'m Model, name: &str) -> Option<&'m str> {
    m.card
        .properties
        .iter()
        .chain(&m.card.environmental)
        .chain(&m.properties)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn hashes(m: &Model) -> Option<(String, &'static str)> {
    if m.files.is_empty() {
        return None;
    }
    let hashed = m.files.iter().filter(|f| f.sha256.is_some()).count();
    let from_hub = m
        .files
        .iter()
        .filter(|f| matches!(f.sha256, Some((_, HashSource::HubLfs))))
        .count();
    (hashed == m.files.len()).then(|| {
        if from_hub > 0 {
            (
                format!("SHA-256 of all {hashed} files ({from_hub} as published by the Hub)"),
                "hub",
            )
        } else {
            (format!("SHA-256 of all {hashed} files"), "computed")
        }
    })
}

fn licence(m: &Model) -> Option<(String, &'static str)> {
    (!m.licenses.is_empty()).then(|| {
        let ids = m
            .licenses
            .iter()
            .map(|l| match l {
                crate::license::LicenseRef::Spdx(id) => id.to_string(),
                crate::license::LicenseRef::Named { name, .. } => name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ");
        (ids, "model card or GGUF metadata")
    })
}

fn producer(m: &Model) -> Option<(String, &'static str)> {
    m.supplier
        .as_ref()
        .map(|s| {
            (
                format!("supplier {}", s.name),
                declared_or(m, "supplier", "hub"),
            )
        })
        .or_else(|| {
            m.authors
                .first()
                .map(|a| (format!("author {a}"), "model card"))
        })
}

fn architecture(m: &Model) -> Option<String> {
    match (&m.card.architecture_family, &m.card.model_architecture) {
        (Some(f), Some(a)) => Some(format!("{f} / {a}")),
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (None, None) => None,
    }
}

fn modalities(m: &Model) -> Option<(String, &'static str)> {
    (!m.card.inputs.is_empty()).then(|| {
        (
            format!(
                "{} -> {} (from task {})",
                m.card.inputs.join("+"),
                m.card.outputs.join("+"),
                m.card.task.as_deref().unwrap_or("?")
            ),
            "model card pipeline_tag",
        )
    })
}

fn training_data(m: &Model) -> Option<(String, &'static str)> {
    if !m.datasets.is_empty() {
        return Some((
            format!("{} dataset reference(s)", m.datasets.len()),
            "model card datasets",
        ));
    }
    property(m, "modelvet:card:training_data")
        .map(|_| ("training-data section".into(), "model card"))
}

fn distribution(m: &Model) -> Option<&str> {
    m.external_refs
        .iter()
        .find(|r| r.kind == "distribution")
        .map(|r| r.url.as_str())
}

/// Tasks, acceptable use, distribution, architecture and parameters, modalities and the
/// licence: Annex XI, Section 1, point 1, and the same items of Annex XII, point 1.
fn general_description(m: &Model, annex: Annex) -> Vec<Element> {
    let r = |xi: &'static str, xii: &'static str| match annex {
        Annex::Eleven => xi,
        Annex::Twelve => xii,
    };
    let params = property(m, "modelvet:parameter:count")
        .or_else(|| property(m, "cdx:ai-ml:model:parameter:count"));
    let arch = element(
        "architecture-parameters",
        "Architecture and number of parameters",
        r("Annex XI, Section 1, 1(d)", "Annex XII, 1(f)"),
        None,
        "no config.json model_type/architectures, no GGUF architecture, and no weight file with tensor shapes",
    );
    let arch = match (architecture(m), params) {
        (Some(a), Some(p)) => Element {
            status: Presence::Present,
            detail: format!("{a}; {p} parameters"),
            source: Some("config.json or GGUF; weight shapes"),
            ..arch
        },
        (Some(a), None) => partial(
            arch,
            format!("{a}; the number of parameters is unknown (no weight shapes, formats that disagree, or packed quantized weights whose bit width no config states)"),
            "config.json or GGUF",
        ),
        (None, Some(p)) => partial(
            arch,
            format!("{p} parameters; the architecture is unknown"),
            "weight shapes",
        ),
        (None, None) => arch,
    };
    let release = element(
        "release-distribution",
        "Date of release and methods of distribution",
        r("Annex XI, Section 1, 1(c)", "Annex XII, 1(c)"),
        None,
        "no distribution point known (scan an hf:// revision or a Hub cache snapshot) and no release date",
    );
    let release = match (distribution(m), m.release_date.as_deref()) {
        (Some(url), Some(date)) => Element {
            status: Presence::Present,
            detail: format!("released {date}; distributed at {url}"),
            source: Some("release date declared by the user; distribution from the Hub"),
            ..release
        },
        (Some(url), None) => partial(
            release,
            format!("distributed at {url}; the release date is not in the artifacts (--release-date declares it)"),
            "hub",
        ),
        (None, Some(date)) => partial(
            release,
            format!("released {date}; no distribution point known"),
            DECLARED,
        ),
        (None, None) => release,
    };
    vec![
        element(
            "tasks",
            "Tasks the model is intended for",
            r("Annex XI, Section 1, 1(a)", "Annex XII, 1(a)"),
            m.card
                .task
                .clone()
                .map(|t| (t, "model card pipeline_tag"))
                .or_else(|| {
                    (!m.card.use_cases.is_empty())
                        .then(|| ("intended-uses section".into(), "model card"))
                }),
            "no pipeline_tag and no intended-uses section",
        ),
        element(
            "acceptable-use",
            "Acceptable use policies",
            r("Annex XI, Section 1, 1(b)", "Annex XII, 1(b)"),
            m.card
                .technical_limitations
                .iter()
                .any(|t| t.starts_with("Out-of-scope use"))
                .then(|| ("out-of-scope use section".into(), "model card")),
            "no out-of-scope use section in the model card",
        ),
        release,
        arch,
        element(
            "modalities",
            "Modality and format of inputs and outputs",
            r("Annex XI, Section 1, 1(e)", "Annex XII, 1(g)"),
            modalities(m),
            "no pipeline_tag with known modalities",
        ),
        element(
            "licence",
            "Licence",
            r("Annex XI, Section 1, 1(f)", "Annex XII, 1(h)"),
            licence(m),
            "no licence in the model card or GGUF metadata",
        ),
    ]
}

#[derive(Clone, Copy)]
enum Annex {
    Eleven,
    Twelve,
}

const DECLARED: &str = "declared by the user";

/// The source of a field the user may have declared instead.
fn declared_or(m: &Model, field: &str, otherwise: &'static str) -> &'static str {
    if m.declared.contains(&field) {
        DECLARED
    } else {
        otherwise
    }
}

fn properties_with_prefix<'m>(m: &'m Model, prefix: &str) -> Vec<(&'m str, &'m str)> {
    m.card
        .properties
        .iter()
        .chain(&m.properties)
        .filter_map(|(k, v)| k.strip_prefix(prefix).map(|rest| (rest, v.as_str())))
        .collect()
}

/// Annex XI 2(b) asks for the design and the training methodology; the Trainer's
/// hyperparameters are part of it, the design choices and their rationale are not.
fn training_method(m: &Model) -> Element {
    let e = element(
        "design-training",
        "Design specifications and training methodology",
        "Annex XI, Section 1, 2(b)",
        None,
        "no training hyperparameters or procedure in the model card",
    );
    let hyper: Vec<&str> = properties_with_prefix(m, "modelvet:card:training:")
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let tune = property(m, "cdx:ai-ml:model:parameter:tune_methods");
    let mut said = Vec::new();
    let mut sources = Vec::new();
    if !hyper.is_empty() {
        said.push(format!("training hyperparameters ({})", hyper.join(", ")));
        sources.push("model card");
    }
    if let Some(t) = tune {
        said.push(format!("fine-tuning method {t}"));
        sources.push("adapter_config.json");
    }
    if said.is_empty() {
        return e;
    }
    let source: &'static str = match sources[..] {
        ["model card"] => "model card",
        ["adapter_config.json"] => "adapter_config.json",
        _ => "model card, adapter_config.json",
    };
    partial(
        e,
        format!(
            "{}; design choices and their rationale are not stated",
            said.join("; ")
        ),
        source,
    )
}

/// Annex XI 2(d): compute (FLOPs), training time and the like; a hardware line is part.
fn compute(m: &Model) -> Element {
    let e = element(
        "compute",
        "Computational resources used for training",
        "Annex XI, Section 1, 2(d)",
        None,
        "the model card states no training hardware or compute",
    );
    let hardware = property(m, "modelvet:card:co2_eq_emissions:hardware_used")
        .map(|h| (h.to_string(), "model card co2_eq_emissions"))
        .or_else(|| {
            property(m, "modelvet:card:compute")
                .map(|_| ("a compute section".to_string(), "model card"))
        });
    match hardware {
        Some((h, source)) => partial(
            e,
            format!("hardware: {h}; no floating-point operations or training time read"),
            source,
        ),
        None => e,
    }
}

/// Annex XII 1(e): the versions of the software the model is used with.
fn software_versions(m: &Model) -> Element {
    let e = element(
        "software-versions",
        "Versions of relevant software",
        "Annex XII, 1(e)",
        None,
        "no library or framework named in the artifacts",
    );
    let versions: Vec<&str> = properties_with_prefix(m, "modelvet:card:framework_version")
        .into_iter()
        .map(|(_, v)| v)
        .collect();
    if !versions.is_empty() {
        return Element {
            status: Presence::Present,
            detail: versions.join(", "),
            source: Some("model card framework versions"),
            ..e
        };
    }
    match property(m, "modelvet:card:library_name") {
        Some(l) => partial(
            e,
            format!("library {l}, no version"),
            "model card library_name",
        ),
        None => e,
    }
}

pub(crate) fn assess(bom: &Bom) -> Vec<ProfileResult> {
    let mut out = Vec::new();
    for m in &bom.models {
        let tool = format!("modelvet {}", env!("CARGO_PKG_VERSION"));
        let bom_signature = match bom.verification.as_ref() {
            Some(v) => format!(
                "the BOM itself is not signed (bom --sign-key signs it); the model's own {} signature was checked ({}), which is not a signature over the BOM",
                v.method,
                serde_json::to_value(v.status)
                    .ok()
                    .and_then(|s| s.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
            None => "the BOM itself is not signed (bom --sign-key signs it)".to_string(),
        };
        let g7 = vec![
            element(
                "metadata.tool",
                "Tool name and version",
                "G7: Metadata",
                Some((tool, "modelvet")),
                "",
            ),
            element(
                "metadata.timestamp",
                "Timestamp",
                "G7: Metadata",
                Some((
                    super::time::rfc3339(bom.created),
                    "SOURCE_DATE_EPOCH or the clock",
                )),
                "",
            ),
            element(
                "metadata.dependencies",
                "Dependency relationships",
                "G7: Metadata",
                Some(("dependencies: model -> files, datasets".into(), "modelvet")),
                "",
            ),
            element(
                "metadata.signature",
                "Author signature over the BOM",
                "G7: Metadata",
                bom.signer.as_ref().map(|s| {
                    (
                        format!(
                            "detached Sigstore bundle {} ({} key {})",
                            s.bundle_name, s.key_kind, s.key_hint
                        ),
                        "bom --sign-key",
                    )
                }),
                &bom_signature,
            ),
            element(
                "model.name",
                "Model name",
                "G7: Models",
                Some((m.name.clone(), name_source(m.name_source))),
                "",
            ),
            element(
                "model.identifier",
                "Model identifier",
                "G7: Models",
                m.purl.clone().map(|p| (p, declared_or(m, "purl", "hub"))),
                "no Hub repository and commit known, so no purl",
            ),
            element(
                "model.version",
                "Model version",
                "G7: Models",
                m.version
                    .clone()
                    .map(|v| (v, declared_or(m, "version", "hub commit"))),
                "no commit or release version in the artifacts",
            ),
            element(
                "model.producer",
                "Producer",
                "G7: Models",
                producer(m),
                "no Hub namespace and no author in the artifacts",
            ),
            element(
                "model.hashes",
                "Hash value and algorithm",
                "G7: Models",
                hashes(m),
                "not every file has a SHA-256 (scan without --no-hash)",
            ),
            element(
                "model.properties",
                "Model properties",
                "G7: Models",
                (!m.card.properties.is_empty()).then(|| {
                    (
                        format!("{} model-card properties", m.card.properties.len()),
                        "config.json, weights, model card",
                    )
                }),
                "no parameters, architecture or configuration facts found",
            ),
            element(
                "model.license",
                "License",
                "G7: Models",
                licence(m),
                "no license in the model card or GGUF metadata",
            ),
            element(
                "model.external-references",
                "External references",
                "G7: Models",
                (!m.external_refs.is_empty()).then(|| {
                    (
                        m.external_refs
                            .iter()
                            .map(|r| r.kind)
                            .collect::<Vec<_>>()
                            .join(", "),
                        "hub",
                    )
                }),
                "no Hub repository known",
            ),
            element(
                "model.limitations",
                "Properties and limitations",
                "G7: Models",
                (!m.card.technical_limitations.is_empty())
                    .then(|| ("limitations section".into(), "model card")),
                "no limitations section in the model card",
            ),
            element(
                "dataset.identity",
                "Dataset identity and provenance",
                "G7: Dataset Properties",
                (!m.datasets.is_empty()).then(|| {
                    (
                        format!("{} dataset component(s)", m.datasets.len()),
                        "model card datasets",
                    )
                }),
                "the model card names no datasets",
            ),
        ];
        out.push(ProfileResult {
            profile: "g7-sbom-for-ai",
            title: "G7 SBOM for AI - Minimum Elements (metadata, models, datasets)",
            model: m.name.clone(),
            elements: g7,
        });

        let mut xi = general_description(m, Annex::Eleven);
        xi.extend([
            training_method(m),
            element(
                "training-data",
                "Data used for training, testing and validation",
                "Annex XI, Section 1, 2(c)",
                training_data(m),
                "the model card names no datasets and has no training-data section",
            ),
            compute(m),
        ]);
        let energy = element(
            "energy",
            "Known or estimated energy consumption",
            "Annex XI, Section 1, 2(e)",
            None,
            "the model card states no energy consumption",
        );
        // Emissions are not energy: a CO2 figure is a hint, not the item.
        xi.push(
            match (
                property(m, "modelvet:card:co2_eq_emissions_grams"),
                property(m, "modelvet:card:environmental_impact"),
            ) {
                (Some(g), _) => partial(
                    energy,
                    format!("CO2 emissions {g} g are stated; the energy consumed is not"),
                    "model card co2_eq_emissions",
                ),
                (None, Some(_)) => partial(
                    energy,
                    "an environmental-impact section; no energy figure was read from it".into(),
                    "model card",
                ),
                (None, None) => energy,
            },
        );
        let mut evaluation = element(
            "evaluation",
            "Evaluation results (models with systemic risk only)",
            "Annex XI, Section 2, 1",
            (!m.card.metrics.is_empty()).then(|| {
                (
                    format!("{} metric(s)", m.card.metrics.len()),
                    "model card model-index",
                )
            }),
            "no model-index results in the model card",
        );
        if evaluation.present() {
            evaluation
                .detail
                .push_str(" (required only of models with systemic risk)");
        }
        xi.push(evaluation);
        out.push(ProfileResult {
            profile: "eu-ai-act-annex-xi",
            title: "EU AI Act Annex XI (technical documentation of a general-purpose AI model), items sourceable from artifacts",
            model: m.name.clone(),
            elements: xi,
        });

        let mut xii = general_description(m, Annex::Twelve);
        xii.extend([
            software_versions(m),
            element(
                "context-length",
                "Maximum input size (context length)",
                "Annex XII, 2(b)",
                property(m, "cdx:ai-ml:model:hyperparameter:context_length")
                    .map(|c| (format!("{c} tokens"), "config.json or GGUF")),
                "no context length in config.json or GGUF metadata",
            ),
            element(
                "training-data",
                "Data used for training, testing and validation",
                "Annex XII, 2(c)",
                training_data(m),
                "the model card names no datasets and has no training-data section",
            ),
        ]);
        out.push(ProfileResult {
            profile: "eu-ai-act-annex-xii",
            title: "EU AI Act Annex XII (information for downstream providers), items sourceable from artifacts",
            model: m.name.clone(),
            elements: xii,
        });
    }
    out
}

fn name_source(source: &str) -> &'static str {
    match source {
        "hub" => "hub",
        "model-card" => "model card",
        "gguf" => "GGUF metadata",
        "file" => "file name",
        "user" => DECLARED,
        _ => "folder name",
    }
}

/// The assessment as JSON (`bom --completeness --format json`).
pub fn render_json(results: &[ProfileResult]) -> String {
    let mut s = serde_json::to_string_pretty(&serde_json::json!({ "profiles": results }))
        .expect("completeness serialises");
    s.push('\n');
    s
}

pub fn render_text(results: &[ProfileResult]) -> String {
    let mut s = String::new();
    for r in results {
        let present = r.elements.iter().filter(|e| e.present()).count();
        s.push_str(&format!(
            "{} for {}: {present} of {} present\n",
            r.title,
            crate::display::safe_text(&r.model, 200),
            r.elements.len()
        ));
        for e in &r.elements {
            s.push_str(&format!(
                "  [{}] {:<52} {:<28} {}\n",
                match e.status {
                    Presence::Present => "x",
                    Presence::Partial => "~",
                    Presence::Missing => " ",
                },
                e.label,
                e.reference,
                match e.source {
                    Some(source) =>
                        format!("{} ({source})", crate::display::safe_text(&e.detail, 300)),
                    None => crate::display::safe_text(&e.detail, 300).to_string(),
                }
            ));
        }
        s.push('\n');
    }
    s
}
