//! Which elements of a requirement profile the BOM carries for each model, and which
//! it does not. An element counts as present only when it was sourced from the
//! artifacts, the Hub or a verification; nothing inferred or defaulted counts.
//!
//! Profiles:
//! - `g7-sbom-for-ai`: the G7 "Software Bill of Materials for AI - Minimum Elements"
//!   (May 2026), its Metadata, Models and Dataset Properties clusters, as far as they
//!   describe a model artifact.
//! - `eu-ai-act-annex-xi`: EU AI Act Annex XI section 1 (technical documentation of a
//!   general-purpose AI model), the items that can be sourced from the artifacts.

use serde::Serialize;

use super::model::{Bom, HashSource, Model};

#[derive(Debug, Clone, Serialize)]
pub struct Element {
    pub id: &'static str,
    pub label: &'static str,
    pub present: bool,
    /// Where it is in the BOM, or why it is missing.
    pub detail: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ProfileResult {
    pub profile: &'static str,
    pub title: &'static str,
    pub model: String,
    pub elements: Vec<Element>,
}

impl ProfileResult {
    pub fn missing(&self) -> impl Iterator<Item = &Element> {
        self.elements.iter().filter(|e| !e.present)
    }
}

fn element(
    id: &'static str,
    label: &'static str,
    found: Option<String>,
    why_missing: &str,
) -> Element {
    match found {
        Some(detail) => Element {
            id,
            label,
            present: true,
            detail,
        },
        None => Element {
            id,
            label,
            present: false,
            detail: why_missing.to_string(),
        },
    }
}

fn property<'m>(m: &'m Model, name: &str) -> Option<&'m str> {
    m.card
        .properties
        .iter()
        .chain(&m.properties)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

fn hashes(m: &Model) -> Option<String> {
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
            format!("SHA-256 of all {hashed} files ({from_hub} as published by the Hub)")
        } else {
            format!("SHA-256 of all {hashed} files, computed")
        }
    })
}

fn licence(m: &Model) -> Option<String> {
    (!m.licenses.is_empty()).then(|| {
        m.licenses
            .iter()
            .map(|l| match l {
                crate::license::LicenseRef::Spdx(id) => id.to_string(),
                crate::license::LicenseRef::Named { name, .. } => name.clone(),
            })
            .collect::<Vec<_>>()
            .join(", ")
    })
}

fn producer(m: &Model) -> Option<String> {
    m.supplier
        .as_ref()
        .map(|s| format!("supplier {}", s.name))
        .or_else(|| m.authors.first().map(|a| format!("author {a}")))
}

fn architecture(m: &Model) -> Option<String> {
    match (&m.card.architecture_family, &m.card.model_architecture) {
        (Some(f), Some(a)) => Some(format!("{f} / {a}")),
        (Some(x), None) | (None, Some(x)) => Some(x.clone()),
        (None, None) => None,
    }
}

fn modalities(m: &Model) -> Option<String> {
    (!m.card.inputs.is_empty()).then(|| {
        format!(
            "{} -> {} (from task {})",
            m.card.inputs.join("+"),
            m.card.outputs.join("+"),
            m.card.task.as_deref().unwrap_or("?")
        )
    })
}

fn training_data(m: &Model) -> Option<String> {
    if !m.datasets.is_empty() {
        return Some(format!("{} dataset reference(s)", m.datasets.len()));
    }
    property(m, "modelvet:card:training_data").map(|_| "model card training-data section".into())
}

fn signature(bom: &Bom) -> Option<String> {
    let v = bom.verification.as_ref()?;
    let status = serde_json::to_value(v.status).ok()?;
    Some(format!(
        "{} verification: {}",
        v.method,
        status.as_str().unwrap_or("?")
    ))
}

pub(crate) fn assess(bom: &Bom) -> Vec<ProfileResult> {
    let mut out = Vec::new();
    for m in &bom.models {
        let g7 = vec![
            element("metadata.tool", "Tool name and version", Some(format!("modelvet {}", env!("CARGO_PKG_VERSION"))), ""),
            element("metadata.timestamp", "Timestamp", Some(super::time::rfc3339(bom.created)), ""),
            element(
                "metadata.dependencies",
                "Dependency relationships",
                Some("dependencies: model -> files, datasets".into()),
                "",
            ),
            element(
                "metadata.signature",
                "Author signature",
                signature(bom),
                "no signature verified (pass --key, --certificate-chain or --identity/--issuer); the BOM itself is not signed",
            ),
            element("model.name", "Model name", Some(format!("{} (from {})", m.name, m.name_source)), ""),
            element(
                "model.identifier",
                "Model identifier",
                m.purl.clone(),
                "no Hub repository and commit known, so no purl",
            ),
            element("model.version", "Model version", m.version.clone(), "no commit or release version in the artifacts"),
            element("model.producer", "Producer", producer(m), "no Hub namespace and no author in the artifacts"),
            element("model.hashes", "Hash value and algorithm", hashes(m), "not every file has a SHA-256 (scan without --no-hash)"),
            element(
                "model.properties",
                "Model properties",
                (!m.card.properties.is_empty()).then(|| format!("{} model-card properties", m.card.properties.len())),
                "no parameters, architecture or configuration facts found",
            ),
            element("model.license", "License", licence(m), "no license in the model card or GGUF metadata"),
            element(
                "model.external-references",
                "External references",
                (!m.external_refs.is_empty()).then(|| {
                    m.external_refs.iter().map(|r| r.kind).collect::<Vec<_>>().join(", ")
                }),
                "no Hub repository known",
            ),
            element(
                "model.limitations",
                "Properties and limitations",
                (!m.card.technical_limitations.is_empty()).then(|| "model card limitations".into()),
                "no limitations section in the model card",
            ),
            element(
                "dataset.identity",
                "Dataset identity and provenance",
                (!m.datasets.is_empty()).then(|| format!("{} dataset component(s)", m.datasets.len())),
                "the model card names no datasets",
            ),
        ];
        out.push(ProfileResult {
            profile: "g7-sbom-for-ai",
            title: "G7 SBOM for AI - Minimum Elements (metadata, models, datasets)",
            model: m.name.clone(),
            elements: g7,
        });
        let eu = vec![
            element(
                "1a.tasks",
                "Tasks the model is intended for",
                m.card.task.clone().or_else(|| {
                    (!m.card.use_cases.is_empty()).then(|| "model card intended uses".into())
                }),
                "no pipeline_tag and no intended-uses section",
            ),
            element(
                "1a.acceptable-use",
                "Acceptable use policies",
                m.card
                    .technical_limitations
                    .iter()
                    .any(|t| t.starts_with("Out-of-scope use"))
                    .then(|| "model card out-of-scope section".into()),
                "no out-of-scope use section in the model card",
            ),
            element(
                "1a.distribution",
                "Date of release and methods of distribution",
                m.external_refs
                    .iter()
                    .find(|r| r.kind == "distribution")
                    .map(|r| r.url.clone()),
                "no distribution point known (scan an hf:// revision or a Hub cache snapshot)",
            ),
            element(
                "1a.architecture",
                "Architecture",
                architecture(m),
                "no config.json model_type/architectures and no GGUF architecture",
            ),
            element(
                "1a.parameters",
                "Number of parameters",
                property(m, "cdx:ai-ml:model:parameter:count").map(str::to_string),
                "no weight file with tensor shapes, or formats that disagree",
            ),
            element(
                "1a.modalities",
                "Modality and format of inputs and outputs",
                modalities(m),
                "no pipeline_tag with known modalities",
            ),
            element(
                "1a.context-length",
                "Context length",
                property(m, "cdx:ai-ml:model:hyperparameter:context_length").map(str::to_string),
                "no context length in config.json or GGUF metadata",
            ),
            element(
                "1a.license",
                "Licence",
                licence(m),
                "no license in the model card or GGUF metadata",
            ),
            element(
                "1c.training-data",
                "Data used for training, testing and validation",
                training_data(m),
                "the model card names no datasets and has no training-data section",
            ),
            element(
                "1c.evaluation",
                "Evaluation results",
                (!m.card.metrics.is_empty()).then(|| format!("{} metric(s)", m.card.metrics.len())),
                "no model-index results in the model card",
            ),
            element(
                "1d.energy",
                "Known or estimated energy consumption",
                property(m, "modelvet:card:co2_eq_emissions_grams")
                    .map(|g| format!("CO2 {g} g (model card); energy in kWh not stated"))
                    .or_else(|| {
                        property(m, "modelvet:card:environmental_impact")
                            .map(|_| "model card environmental-impact section".into())
                    }),
                "the model card states no emissions or energy",
            ),
            element(
                "integrity.hashes",
                "File hashes",
                hashes(m),
                "not every file has a SHA-256",
            ),
            element(
                "provenance.producer",
                "Producer",
                producer(m),
                "no Hub namespace and no author in the artifacts",
            ),
        ];
        out.push(ProfileResult {
            profile: "eu-ai-act-annex-xi",
            title: "EU AI Act Annex XI section 1 (items sourceable from artifacts)",
            model: m.name.clone(),
            elements: eu,
        });
    }
    out
}

pub fn render_text(results: &[ProfileResult]) -> String {
    let mut s = String::new();
    for r in results {
        let present = r.elements.iter().filter(|e| e.present).count();
        s.push_str(&format!(
            "{} for {}: {present} of {} present\n",
            r.title,
            crate::display::safe_text(&r.model, 200),
            r.elements.len()
        ));
        for e in &r.elements {
            s.push_str(&format!(
                "  [{}] {:<48} {}\n",
                if e.present { "x" } else { " " },
                e.label,
                crate::display::safe_text(&e.detail, 300)
            ));
        }
        s.push('\n');
    }
    s
}
