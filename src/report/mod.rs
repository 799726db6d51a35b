//! The one report model. Parsers fill it; the renderers in this module's children only
//! turn it into text, JSON or SARIF.

pub mod github;
pub mod json;
pub mod jsonl;
pub mod locate;
pub mod sarif;
pub mod scope;
pub mod suppress;
pub mod text;

use serde::Serialize;

pub use crate::findings::{Evidence, Finding, Location, Suppression};
use crate::format::Format;
use crate::rules;
pub use crate::rules::Severity;

/// Version of the JSON report layout, bumped on any incompatible change to
/// `schemas/report.schema.json`.
pub(crate) const REPORT_SCHEMA_VERSION: &str = "1.3.0";

/// How completely an artifact was examined.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Every byte that can influence loading was examined.
    Complete,
    /// Part of the artifact was not examined (truncated, over a limit, unsupported).
    Incomplete,
    /// The artifact could not be examined at all (unreadable).
    Error,
}

impl Status {
    /// The status a container shows when something inside it was not fully checked.
    pub(crate) fn max_incomplete(self) -> Status {
        match self {
            Status::Complete => Status::Incomplete,
            other => other,
        }
    }
}

/// What an artifact is, as far as loading goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ArtifactKind {
    /// A model, weight, or container format that modelvet parses.
    Model,
    /// Recognised content that is not a model artifact (text, JSON, images ...).
    NotModel,
    /// Binary content modelvet does not recognise.
    Unrecognized,
}

/// One scanned thing: a file, or a member inside a container.
#[derive(Debug, Clone, Serialize)]
pub struct Artifact {
    /// `file` for top-level inputs, `file!member/path` for members (nested with more `!`).
    pub path: String,
    /// The top-level path as the user gave it.
    pub file: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    pub kind: ArtifactKind,
    pub format: Format,
    pub size: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub status: Status,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Whether an incomplete status of this artifact counts towards exit code 2: true when
    /// the user named it, or its name claims a model format, or it is a parsed format.
    pub expected: bool,
    pub findings: crate::findings::Findings,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// The scanner itself failed on this artifact (a bug): exit code 3 unless a finding wins.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub internal_error: bool,
    /// A path named as input that does not exist or cannot be read: exit code 3 unless a
    /// finding wins; the rest of the inputs are still scanned.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub input_error: bool,
}

impl Artifact {
    pub fn new(path: String, file: String, member: Option<String>) -> Artifact {
        Artifact {
            path,
            file,
            member,
            kind: ArtifactKind::Model,
            format: Format::Unknown,
            size: 0,
            sha256: None,
            status: Status::Complete,
            reason: None,
            expected: true,
            findings: crate::findings::Findings::new(),
            facts: serde_json::Map::new(),
            internal_error: false,
            input_error: false,
        }
    }

    /// Marks the artifact incomplete, keeping the first reason given.
    pub(crate) fn mark_incomplete(&mut self, reason: impl Into<String>) {
        if self.status == Status::Complete {
            self.status = Status::Incomplete;
        }
        if self.reason.is_none() {
            self.reason = Some(reason.into());
        }
    }

    pub(crate) fn mark_error(&mut self, reason: impl Into<String>) {
        self.status = Status::Error;
        self.reason = Some(reason.into());
    }

    /// A named input that could not be opened: an error artifact that fails the run.
    pub(crate) fn mark_input_error(&mut self, reason: impl Into<String>) {
        self.mark_error(reason);
        self.kind = ArtifactKind::Unrecognized;
        self.input_error = true;
    }

    pub(crate) fn set_fact(&mut self, key: &str, value: impl Serialize) {
        if let Ok(v) = serde_json::to_value(value) {
            self.facts.insert(key.to_string(), v);
        }
    }

    /// The highest severity of the findings not suppressed.
    pub fn worst_severity(&self) -> Option<Severity> {
        self.findings
            .iter()
            .filter(|f| f.suppressed.is_none())
            .map(|f| f.severity)
            .max()
    }

    /// Whether this artifact's status makes the run "could not check everything".
    pub(crate) fn counts_as_incomplete(&self) -> bool {
        self.status != Status::Complete && self.expected
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ToolInfo {
    pub name: &'static str,
    pub version: &'static str,
    pub rules_version: &'static str,
}

impl Default for ToolInfo {
    fn default() -> Self {
        ToolInfo {
            name: "modelvet",
            version: env!("CARGO_PKG_VERSION"),
            rules_version: rules::CATALOG_VERSION,
        }
    }
}

/// The lowest severity that fails a run (exit code 1), or none: report only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate(Option<Severity>);

impl Gate {
    /// `--fail-on none`: findings never fail the run; errors still do.
    pub const NONE: Gate = Gate(None);

    pub fn fails(self, severity: Severity) -> bool {
        self.0.is_some_and(|threshold| severity >= threshold)
    }

    pub fn severity(self) -> Option<Severity> {
        self.0
    }

    pub fn as_str(self) -> &'static str {
        self.0.map_or("none", Severity::as_str)
    }
}

impl From<Severity> for Gate {
    fn from(s: Severity) -> Gate {
        Gate(Some(s))
    }
}

impl Default for Gate {
    fn default() -> Gate {
        Gate(Some(Severity::Medium))
    }
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct Summary {
    /// Top-level files and inputs (members are not counted).
    pub files: usize,
    pub artifacts: usize,
    pub complete: usize,
    pub incomplete: usize,
    pub errors: usize,
    /// Findings per severity, suppressed ones not counted.
    pub findings: std::collections::BTreeMap<&'static str, usize>,
    /// Findings accepted by the configuration or a baseline.
    pub suppressed: usize,
    pub fail_on: &'static str,
    pub exit_code: i32,
    pub verdict: &'static str,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub schema_version: &'static str,
    pub tool: ToolInfo,
    pub inputs: Vec<String>,
    pub summary: Summary,
    pub artifacts: Vec<Artifact>,
    /// Directories that are one model, with their files.
    pub models: Vec<ModelGroup>,
    /// One entry per Hub repository scanned over HTTP range reads (absent for local scans).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub remote: Vec<RemoteSection>,
    /// What folder walks left out (absent when nothing was).
    #[serde(skip_serializing_if = "scope::ScopeSection::is_empty")]
    pub scope: scope::ScopeSection,
    /// The configuration's `[[ignore]]` entries and what each matched.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SuppressionUse>,
    #[serde(skip)]
    gate: Gate,
    /// The folder paths are given from in SARIF and fingerprints (see [`locate`]).
    #[serde(skip)]
    source_root: Option<std::path::PathBuf>,
}

/// One `[[ignore]]` entry of the configuration, and how it was used in this run.
#[derive(Debug, Clone, Serialize)]
pub struct SuppressionUse {
    pub rule: String,
    pub path: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    pub reason: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
    pub source: String,
    /// `active`, or `expired` (its findings fail again).
    pub state: &'static str,
    /// Findings it accepted (or, expired, would have).
    pub matched: usize,
}

/// One model made of several files.
#[derive(Debug, Clone, Serialize)]
pub struct ModelGroup {
    /// The directory, as the scanned paths spell it.
    pub path: String,
    /// `huggingface`, `saved-model`, `diffusers`, `sharded` or `peft-adapter`.
    pub layout: &'static str,
    /// Top-level artifact paths that belong to the model.
    pub files: Vec<String>,
    /// The worst status of its files.
    pub status: Status,
    #[serde(skip_serializing_if = "serde_json::Map::is_empty")]
    pub facts: serde_json::Map<String, serde_json::Value>,
}

/// What a remote scan read: the commit, and per file how many bytes of how many.
#[derive(Debug, Clone, Serialize, Default)]
pub struct RemoteSection {
    /// `hub`, or the object store: `s3`, `gs`, `az`.
    pub source: &'static str,
    /// `hf://[datasets/]org/name` as given, or the store URL (`s3://bucket/prefix`).
    pub repo: String,
    /// The revision the user asked for (branch, tag or commit); "" for a store.
    pub revision: String,
    /// The commit it resolved to; every byte read came from this commit. For a store, the
    /// SHA-256 of its listing (each object's key, size and ETag).
    pub commit: String,
    /// Host of the endpoint asked (`huggingface.co`, `127.0.0.1:8080`).
    pub endpoint_host: String,
    /// Prefix of this repository's artifact paths in the report ("" when it was the
    /// only input: paths are then the repository-relative paths of the listing).
    pub path_prefix: String,
    pub files: Vec<RemoteFileSection>,
    pub totals: RemoteTotals,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub download: Option<DownloadSection>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct RemoteFileSection {
    pub path: String,
    pub size: u64,
    pub bytes_read: u64,
    pub requests: u64,
    /// The Git blob SHA-1 the Hub publishes (of the LFS pointer for LFS files); absent for
    /// store objects.
    #[serde(skip_serializing_if = "String::is_empty")]
    pub hub_blob_id: String,
    /// The store's ETag of the object (store objects only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_sha256: Option<String>,
    /// SHA-256 of the bytes received, when the file was read whole.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
    /// `match`, `mismatch`, `not-read-whole` (only whole reads are compared), `cached` (not
    /// read: the verdict cache held one), or `not-published` (a store object read whole,
    /// with no published digest to compare).
    pub hash_check: &'static str,
    /// The Hub's own scan verdict: advisory, never a reason to call a file clean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_scan_advisory: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct RemoteTotals {
    pub files: usize,
    pub bytes_total: u64,
    pub bytes_read: u64,
    /// bytes_read / bytes_total (0 for an empty repository).
    pub read_ratio: f64,
    pub requests: u64,
    pub elapsed_ms: u64,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct DownloadSection {
    /// The cache root written to (`DIR`); files land in `DIR/models--org--name/`.
    pub dir: String,
    pub files: Vec<DownloadedFile>,
}

#[derive(Debug, Clone, Serialize)]
pub struct DownloadedFile {
    pub path: String,
    /// `downloaded`, `skipped` (did not pass the scan), `hash-mismatch` or `failed`.
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

pub(crate) const EXIT_CLEAN: i32 = 0;
pub(crate) const EXIT_FINDINGS: i32 = 1;
pub(crate) const EXIT_INCOMPLETE: i32 = 2;
pub(crate) const EXIT_USAGE: i32 = 3;

impl Report {
    /// The report of `artifacts`, sorted, summarised and judged against `fail_on`. Model
    /// grouping is the driver's: reports are built by `scan::build_report`.
    pub(crate) fn new(
        inputs: Vec<String>,
        mut artifacts: Vec<Artifact>,
        fail_on: impl Into<Gate>,
    ) -> Report {
        artifacts.sort_by(|a, b| a.path.cmp(&b.path));
        for artifact in &mut artifacts {
            artifact.findings.sort_by(|a, b| {
                (a.location.offset, a.rule, &a.message).cmp(&(
                    b.location.offset,
                    b.rule,
                    &b.message,
                ))
            });
        }
        let mut report = Report {
            schema_version: REPORT_SCHEMA_VERSION,
            tool: ToolInfo::default(),
            inputs,
            summary: Summary::default(),
            models: Vec::new(),
            artifacts,
            remote: Vec::new(),
            scope: scope::ScopeSection::default(),
            suppressions: Vec::new(),
            gate: fail_on.into(),
            source_root: None,
        };
        report.summarize();
        report
    }

    /// Counts, verdict and exit code from the artifacts as they are now (again after
    /// suppressions are applied).
    pub fn summarize(&mut self) {
        let gate = self.gate;
        let mut summary = Summary {
            artifacts: self.artifacts.len(),
            files: self.artifacts.iter().filter(|a| a.member.is_none()).count(),
            fail_on: gate.as_str(),
            ..Summary::default()
        };
        for sev in ["critical", "high", "medium", "low", "info"] {
            summary.findings.insert(sev, 0);
        }
        let mut failing = false;
        let mut incomplete = false;
        let mut internal = false;
        for a in &self.artifacts {
            match a.status {
                Status::Complete => summary.complete += 1,
                Status::Incomplete => summary.incomplete += 1,
                Status::Error => summary.errors += 1,
            }
            for f in &a.findings {
                if f.suppressed.is_some() {
                    summary.suppressed += 1;
                    continue;
                }
                *summary.findings.entry(f.severity.as_str()).or_default() += 1;
                failing |= gate.fails(f.severity);
            }
            incomplete |= a.counts_as_incomplete();
            internal |= a.internal_error || a.input_error;
        }
        let (code, verdict) = if failing {
            (EXIT_FINDINGS, "findings")
        } else if internal {
            (EXIT_USAGE, "error")
        } else if incomplete {
            (EXIT_INCOMPLETE, "incomplete")
        } else {
            (EXIT_CLEAN, "clean")
        };
        summary.exit_code = code;
        summary.verdict = verdict;
        self.summary = summary;
    }

    pub fn gate(&self) -> Gate {
        self.gate
    }

    pub fn exit_code(&self) -> i32 {
        self.summary.exit_code
    }
}
