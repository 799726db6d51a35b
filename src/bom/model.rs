//! The BOM's neutral model: what is known about the scanned models, independent of any
//! output format. Writers ([`super::cyclonedx`]) only render it; a second format (SPDX 3)
//! is a second writer over the same structs.
//!
//! Every field is sourced from the artifacts' bytes, the Hub's answers or a verification;
//! a field that could not be sourced is `None`/empty and shows up in the completeness
//! report as missing, never as a default.

use crate::license::LicenseRef;
use crate::provenance::outcome::Verification;
use crate::report::{Severity, Status};
use crate::rules::Rule;

/// A BOM for one input (a file, a directory, a Hub revision).
#[derive(Debug, Clone)]
pub struct Bom {
    /// Unix seconds.
    pub created: i64,
    /// The input as the user named it.
    pub input: String,
    /// What `metadata.component` describes.
    pub subject: Subject,
    pub models: Vec<Model>,
    pub datasets: Vec<Dataset>,
    /// Files of the input that belong to no model (a stray config, an image).
    pub loose_files: Vec<FileEntry>,
    pub findings: Vec<Issue>,
    pub scan: ScanSummary,
    pub verification: Option<Verification>,
    /// The key that will sign the rendered BOM (`bom --sign-key`), so the BOM can say how
    /// it is signed and the completeness check can count the signature.
    pub signer: Option<BomSigner>,
}

/// Who signs the BOM, and where the detached signature goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BomSigner {
    /// model-signing's key hint: hex SHA-256 of the public key's PEM.
    pub key_hint: String,
    pub key_kind: &'static str,
    /// The signature file's name (beside the BOM).
    pub bundle_name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// The one model, by index into [`Bom::models`].
    Model(usize),
    /// Several models (or none): a collection named after the input (or as declared).
    Collection {
        bom_ref: String,
        name: String,
        /// What the user declared about the whole (`[bom]`, `--version`, ...).
        declared: Declared,
    },
}

/// Facts the user declared (`[bom]` in the configuration, or `bom --name` and the rest),
/// which the BOM marks as such.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Declared {
    pub version: Option<String>,
    pub supplier: Option<String>,
    pub purl: Option<String>,
    pub release_date: Option<String>,
    /// The fields that were declared: `name`, `version`, `supplier`, `purl`, `release-date`.
    pub fields: Vec<&'static str>,
}

/// The scan's verdict over the whole input.
#[derive(Debug, Clone)]
pub struct ScanSummary {
    pub verdict: &'static str,
    pub exit_code: i32,
    pub artifacts: usize,
    pub incomplete: usize,
    pub errors: usize,
    /// Remote scans: bytes read of the files' total size.
    pub bytes_read: Option<(u64, u64)>,
}

/// Where a model came from on the Hugging Face Hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubOrigin {
    /// `org/name`.
    pub repo_id: String,
    /// The 40-hex commit.
    pub commit: String,
    /// The branch or tag asked for, when it was not the commit itself.
    pub revision: Option<String>,
    /// `https://huggingface.co` or the mirror used.
    pub endpoint: String,
    /// How it was learnt: "hub" (resolved over the network) or "hf-cache" (the cache path).
    pub learnt_from: &'static str,
}

#[derive(Debug, Clone)]
pub struct Model {
    pub bom_ref: String,
    pub name: String,
    /// Where the name comes from: "hub", "model-card", "gguf", "directory", "file".
    pub name_source: &'static str,
    pub version: Option<String>,
    pub purl: Option<String>,
    /// What the card says the model is: its "Model Description" section, else the text
    /// under its title.
    pub description: Option<String>,
    /// The release date, when the user declared it (no artifact states one).
    pub release_date: Option<String>,
    /// The fields the user declared instead of the artifacts: `name`, `version`,
    /// `supplier`, `purl`, `release-date`.
    pub declared: Vec<&'static str>,
    /// SHA-256 over the files' SHA-256 digests in name order: the root digest OpenSSF
    /// model signing computes for these files (hex). None unless every file has a digest.
    pub root_digest: Option<String>,
    pub hub: Option<HubOrigin>,
    /// The folder (or file) as the scan spelled it.
    pub path: String,
    /// `huggingface`, `saved-model`, `diffusers`, `sharded`, `peft-adapter`,
    /// `hub-repository` or `single-file`.
    pub layout: &'static str,
    pub licenses: Vec<LicenseRef>,
    /// The Hub namespace that publishes the model.
    pub supplier: Option<Organization>,
    /// Authors the artifacts name (GGUF `general.author`).
    pub authors: Vec<String>,
    pub external_refs: Vec<ExternalRef>,
    pub files: Vec<FileEntry>,
    pub card: Card,
    pub ancestors: Vec<Ancestor>,
    /// bom-refs of [`Bom::datasets`] this model was trained or evaluated on.
    pub datasets: Vec<String>,
    /// Facts as `(name, value)` pairs, in output order.
    pub properties: Vec<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub name: String,
    pub url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExternalRef {
    /// A CycloneDX external reference type: `distribution`, `model-card`, `vcs`, `website`,
    /// `quality-metrics`, or `citation` (a paper; 1.7 has the type, 1.6 writes it as
    /// `documentation`).
    pub kind: &'static str,
    pub url: String,
    pub comment: Option<String>,
}

/// Where a file's SHA-256 comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashSource {
    /// modelvet read every byte.
    Computed,
    /// The Hub's published LFS SHA-256 (a remote scan does not read whole files).
    HubLfs,
}

impl HashSource {
    pub fn as_str(self) -> &'static str {
        match self {
            HashSource::Computed => "computed",
            HashSource::HubLfs => "hub-lfs",
        }
    }
}

#[derive(Debug, Clone)]
pub struct FileEntry {
    pub bom_ref: String,
    /// Path inside the model (or the input path for loose files).
    pub name: String,
    pub size: u64,
    pub sha256: Option<(String, HashSource)>,
    /// The Hub's git blob SHA-1 for files not in LFS (remote scans).
    pub git_blob_sha1: Option<String>,
    pub format: String,
    pub status: Status,
    pub reason: Option<String>,
    /// The Hub's own scan verdict, advisory only.
    pub hub_verdict: Option<String>,
    pub finding_count: usize,
}

/// What the model card and configuration files say, sourced field by field.
#[derive(Debug, Clone, Default)]
pub struct Card {
    /// `pipeline_tag`.
    pub task: Option<String>,
    /// `model_type` (config.json) or `general.architecture` (GGUF).
    pub architecture_family: Option<String>,
    /// `architectures[0]` (config.json).
    pub model_architecture: Option<String>,
    /// Input and output modalities of the task (`text`, `image`, `audio`, `video`).
    pub inputs: Vec<&'static str>,
    pub outputs: Vec<&'static str>,
    pub metrics: Vec<Metric>,
    pub technical_limitations: Vec<String>,
    pub use_cases: Vec<String>,
    /// Risks named by the card, with the card's recommendations as their mitigation.
    pub ethical_considerations: Vec<Risk>,
    /// `cdx:ai-ml:*` and `modelvet:*` properties of the model card.
    pub properties: Vec<(String, String)>,
    /// What the card says of the model's environmental impact (emissions, hardware,
    /// location, its section): CycloneDX's `environmentalConsiderations` properties, since
    /// its energy records need kWh figures cards do not state.
    pub environmental: Vec<(String, String)>,
}

impl Card {
    pub(crate) fn has_parameters(&self) -> bool {
        self.task.is_some()
            || self.architecture_family.is_some()
            || self.model_architecture.is_some()
            || !self.inputs.is_empty()
            || !self.outputs.is_empty()
    }

    pub(crate) fn has_considerations(&self) -> bool {
        !self.technical_limitations.is_empty()
            || !self.use_cases.is_empty()
            || !self.ethical_considerations.is_empty()
            || !self.environmental.is_empty()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Risk {
    pub name: String,
    pub mitigation: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Metric {
    pub kind: String,
    pub value: String,
    /// The dataset (and split) it was measured on.
    pub slice: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ancestor {
    pub name: String,
    pub purl: Option<String>,
    /// `base_model_relation`: adapter, merge, quantized, finetune.
    pub relation: Option<String>,
    /// The revision or version the artifact names, when it is not in the purl.
    pub version: Option<String>,
    /// Who names it: `model-card`, `adapter_config.json`, `gguf`.
    pub sources: Vec<&'static str>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dataset {
    pub bom_ref: String,
    pub name: String,
    pub purl: Option<String>,
    pub url: Option<String>,
}

/// One finding, tied to the file component it was found in.
#[derive(Debug, Clone)]
pub struct Issue {
    pub bom_ref: String,
    pub rule: &'static Rule,
    pub severity: Severity,
    pub message: String,
    /// bom-ref of the affected file component.
    pub affects: String,
    /// The artifact path (with `!member` parts).
    pub location: String,
    pub offset: Option<u64>,
    pub opcode: Option<String>,
    pub global: Option<String>,
    pub detail: Option<String>,
}
