//! `modelvet inventory`: the models, datasets, hosted models and model-loading code an
//! application uses, found in its source tree with file and line, judged by the rules
//! MV1401-MV1405, alongside the scan of every model file the tree holds.
//!
//! - [`python`]: Python parsed as Python; [`loaders`]: the calls that load things.
//! - [`text_files`]: configuration (YAML, JSON, TOML, `.env`), shell scripts and
//!   Dockerfiles, and dependency manifests.
//!
//! The tree is walked with the scan's scope rules (ignore files, excludes) and scanned as
//! `scan` scans it, so model files found in it carry their verdicts; source files are
//! read once more as text (bounded by [`MAX_SOURCE_BYTES`]).

pub mod loaders;
pub mod notebook;
pub mod python;
pub mod text_files;
pub mod vet;

use rayon::prelude::*;
use serde::Serialize;

use crate::config::ModelPolicy;
use crate::findings::Finding;
use crate::hub::repo_ref::validate_repo_id;
use crate::report::{Artifact, Report, Status};
use crate::rules::{self, Severity};
use crate::scan::{self, ScanOptions};

/// Largest source or configuration file read; a larger one is reported incomplete.
pub const MAX_SOURCE_BYTES: u64 = 4 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// A model on the Hub or a model zoo.
    Model,
    Dataset,
    /// A hosted model behind an API (OpenAI, Anthropic, ...).
    ApiModel,
    /// A code repository loaded and run (torch.hub).
    CodeRepository,
    /// A call that loads a model file with a loader that can run code from it.
    Loader,
    /// A model file in the tree, scanned.
    Artifact,
}

/// What an argument or value says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Literal(String),
    /// A module-level constant, resolved in the same file.
    Constant {
        name: String,
        value: String,
    },
    /// Computed at run time: the expression, as written.
    Dynamic(String),
}

/// `{"source": "literal", "value": ...}`, `{"source": "constant", "name": ..., "value":
/// ...}`, `{"source": "dynamic", "expression": ...}`.
impl Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = serializer.serialize_map(None)?;
        match self {
            Value::Literal(v) => {
                m.serialize_entry("source", "literal")?;
                m.serialize_entry("value", v)?;
            }
            Value::Constant { name, value } => {
                m.serialize_entry("source", "constant")?;
                m.serialize_entry("name", name)?;
                m.serialize_entry("value", value)?;
            }
            Value::Dynamic(e) => {
                m.serialize_entry("source", "dynamic")?;
                m.serialize_entry("expression", e)?;
            }
        }
        m.end()
    }
}

impl Value {
    /// The text, when it is known without running the program.
    pub fn known(&self) -> Option<&str> {
        match self {
            Value::Literal(s) => Some(s),
            Value::Constant { value, .. } => Some(value),
            Value::Dynamic(_) => None,
        }
    }
}

/// A reference as a parser found it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    pub kind: Kind,
    pub provider: &'static str,
    /// The call (`transformers.AutoModel.from_pretrained`) or construct (`yaml key model`).
    pub api: String,
    pub line: u64,
    pub id: Option<Value>,
    pub revision: Option<Value>,
    pub trust_remote_code: Option<Value>,
    pub repo_type: Option<Value>,
    /// The loader's safety keyword (`weights_only`, `allow_pickle`, `safe_mode`, `source`).
    pub safety: Option<Value>,
}

/// A reference as the inventory reports it.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub file: String,
    pub line: u64,
    pub kind: Kind,
    pub provider: &'static str,
    pub api: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The Hub repository (`org/name`) when the id names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hub_repo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revision: Option<Value>,
    /// Whether the revision is a full commit: the only way a download is reproducible.
    pub pinned: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_remote_code: Option<Value>,
    /// For model files in the tree: the scan's status and worst finding; with `--vet`, the
    /// same for the Hub revision a reference resolves to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verdict: Option<String>,
    /// `--vet`: what the range-read scan of the referenced revision found.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vetted: Option<vet::Vetted>,
    /// Notebooks: the 1-based code cell (`line` is then the line in the cell).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cell: Option<u32>,
    /// The rule ids this reference raised.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub findings: Vec<&'static str>,
}

/// A dependency on an AI framework, from a manifest.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Framework {
    pub name: String,
    /// The version requirement as written (`==4.57.1`, `>=2.6`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requirement: Option<String>,
    pub file: String,
    pub line: u64,
}

pub struct Inventory {
    pub entries: Vec<Entry>,
    pub frameworks: Vec<Framework>,
    pub report: Report,
}

/// What a file is read as, by its name (source languages are named by extension; model
/// files are recognised by their bytes, by the scan).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Python,
    Notebook,
    Yaml,
    Json,
    Toml,
    Env,
    Shell,
    Requirements,
}

pub fn role_of(path: &str) -> Option<Role> {
    let base = path.rsplit(['/', '\\']).next().unwrap_or(path);
    let lower = base.to_ascii_lowercase();
    Some(if lower.ends_with(".py") || lower.ends_with(".pyw") {
        Role::Python
    } else if lower.ends_with(".ipynb") {
        Role::Notebook
    } else if lower.ends_with(".yaml") || lower.ends_with(".yml") {
        Role::Yaml
    } else if matches!(
        lower.as_str(),
        "pyproject.toml" | "uv.lock" | "poetry.lock" | "pipfile.lock"
    ) {
        Role::Requirements
    } else if lower.ends_with(".toml") {
        Role::Toml
    } else if lower.ends_with(".json")
        // npm's lock files are dependency trees, often megabytes, never model configuration.
        && !matches!(lower.as_str(), "package-lock.json" | "npm-shrinkwrap.json")
    {
        Role::Json
    } else if lower == ".env" || lower.starts_with(".env.") || lower.ends_with(".env") {
        Role::Env
    } else if lower.ends_with(".sh")
        || lower.ends_with(".bash")
        || lower.starts_with("dockerfile")
        || lower.ends_with(".dockerfile")
        || lower == "containerfile"
        || lower == "makefile"
    {
        Role::Shell
    } else if lower.starts_with("requirements") && lower.ends_with(".txt") {
        Role::Requirements
    } else {
        return None;
    })
}

/// A 40-hex commit.
fn is_commit(s: &str) -> bool {
    s.len() == 40 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A Hub repository id, not a local path: `org/name` or a legacy `name`.
fn hub_repo(id: &str) -> Option<String> {
    let id = id
        .strip_prefix("hf_hub:")
        .or_else(|| id.strip_prefix("hf-hub:"))
        .unwrap_or(id);
    let looks_local = id.starts_with(['.', '/', '~', '\\'])
        || id.contains('\\')
        || id.matches('/').count() > 1
        || id.contains(' ')
        || [
            ".pt",
            ".pth",
            ".bin",
            ".safetensors",
            ".gguf",
            ".onnx",
            ".pkl",
            ".h5",
            ".keras",
        ]
        .iter()
        .any(|e| id.to_ascii_lowercase().ends_with(e));
    (!looks_local && validate_repo_id(id, id).is_ok()).then(|| id.to_string())
}

/// A hosted model name that fixes the model's version: a dated snapshot
/// (`gpt-4o-2024-08-06`, `claude-3-5-sonnet-20241022`), a numbered release
/// (`gemini-1.5-pro-002`), or an Ollama digest.
fn api_model_versioned(name: &str) -> bool {
    if name.contains("@sha256:") {
        return true;
    }
    let digits_run = |n: usize| {
        name.as_bytes()
            .windows(n)
            .any(|w| w.iter().all(u8::is_ascii_digit))
    };
    let dashed_date = name.as_bytes().windows(10).any(|w| {
        w[..4].iter().all(u8::is_ascii_digit)
            && w[4] == b'-'
            && w[5..7].iter().all(u8::is_ascii_digit)
            && w[7] == b'-'
            && w[8..].iter().all(u8::is_ascii_digit)
    });
    let numbered = name
        .rsplit_once('-')
        .is_some_and(|(_, tail)| tail.len() == 3 && tail.bytes().all(|b| b.is_ascii_digit()));
    // Bedrock's model ids end in a version: `amazon.titan-text-express-v1`, `...-v2:0`.
    let bedrock_version = name.rsplit_once("-v").is_some_and(|(_, tail)| {
        let (major, minor) = tail.split_once(':').unwrap_or((tail, "0"));
        !major.is_empty()
            && major.bytes().all(|b| b.is_ascii_digit())
            && minor.bytes().all(|b| b.is_ascii_digit())
    });
    digits_run(8) || dashed_date || numbered || bedrock_version
}

fn finding(rule: &'static rules::Rule, severity: Severity, line: u64, message: String) -> Finding {
    let mut f = Finding::new(rule, message).with_severity(severity);
    f.location.line = Some(line);
    f
}

/// [`judge_with`] without the file system: every Hub-shaped id is a Hub repository.
pub fn judge(file: &str, r: Reference, policy: &ModelPolicy) -> (Entry, Vec<Finding>) {
    judge_with(file, r, policy, &|_| false)
}

/// Turns a parser's reference into the reported entry and the findings it raises.
/// `is_local` says whether an id names a folder that exists beside the file or under the
/// current folder: transformers loads such a path locally before it asks the Hub, so it
/// is not a Hub repository.
pub fn judge_with(
    file: &str,
    r: Reference,
    policy: &ModelPolicy,
    is_local: &dyn Fn(&str) -> bool,
) -> (Entry, Vec<Finding>) {
    let mut findings = Vec::new();
    let id_text = r.id.as_ref().and_then(Value::known).map(str::to_string);
    let mut kind = r.kind;
    let mut provider = r.provider;
    if r.repo_type.as_ref().and_then(Value::known) == Some("dataset") {
        kind = Kind::Dataset;
    }
    // timm and open_clip names are their own registries unless prefixed `hf-hub:`.
    let prefixed = id_text
        .as_deref()
        .is_some_and(|i| i.starts_with("hf_hub:") || i.starts_with("hf-hub:"));
    if matches!(provider, "timm" | "open_clip") && prefixed {
        provider = "huggingface";
    }
    let repo = match (provider, &id_text) {
        ("huggingface", Some(i)) if !is_local(i) => hub_repo(i),
        _ => None,
    };
    let revision_text = r.revision.as_ref().and_then(Value::known);
    let pinned = match kind {
        Kind::ApiModel => id_text.as_deref().is_some_and(api_model_versioned),
        Kind::CodeRepository => id_text
            .as_deref()
            .and_then(|i| i.split_once(':'))
            .is_some_and(|(_, reference)| is_commit(reference)),
        _ => revision_text.is_some_and(is_commit),
    };
    let shown = id_text.clone().unwrap_or_else(|| "a computed name".into());

    if let Some(repo) = &repo {
        if matches!(kind, Kind::Model | Kind::Dataset) && !pinned {
            let why = match &r.revision {
                None => "no revision, so the default branch as it is at download time".to_string(),
                Some(Value::Dynamic(e)) => format!("a revision computed at run time ({e})"),
                Some(v) => format!(
                    "the revision {:?}, a branch or tag that can move",
                    v.known().unwrap_or_default()
                ),
            };
            findings.push(finding(
                &rules::INVENTORY_UNPINNED,
                Severity::Medium,
                r.line,
                format!("{} loads {repo} at {why}", r.api),
            ));
        }
        if !policy.repo_allowed(repo) {
            findings.push(finding(
                &rules::INVENTORY_NOT_ALLOWED,
                Severity::High,
                r.line,
                format!("{repo} is not among the policy's allowed_repos ({})", r.api),
            ));
        }
    }
    match &r.trust_remote_code {
        Some(Value::Literal(t)) if t == "True" => findings.push(finding(
            &rules::INVENTORY_REMOTE_CODE,
            Severity::High,
            r.line,
            format!("{} loads {shown} with trust_remote_code=True: the repository's Python runs here", r.api),
        )),
        Some(Value::Constant { value, name }) if value == "True" => findings.push(finding(
            &rules::INVENTORY_REMOTE_CODE,
            Severity::High,
            r.line,
            format!("{} loads {shown} with trust_remote_code={name} (True)", r.api),
        )),
        Some(Value::Dynamic(e)) => findings.push(finding(
            &rules::INVENTORY_REMOTE_CODE,
            Severity::Medium,
            r.line,
            format!("{} loads {shown} with trust_remote_code set at run time ({e}); it may run the repository's Python", r.api),
        )),
        _ => {}
    }
    if kind == Kind::CodeRepository {
        let local = r.safety.as_ref().and_then(Value::known) == Some("local");
        if !local {
            findings.push(finding(
                &rules::INVENTORY_REMOTE_CODE,
                Severity::High,
                r.line,
                format!(
                    "{} imports and runs hubconf.py from {shown}{}",
                    r.api,
                    if pinned {
                        ""
                    } else {
                        ", at a branch or tag that can move"
                    }
                ),
            ));
        }
    }
    if kind == Kind::Loader {
        let safety = r.safety.as_ref().and_then(Value::known);
        let severity = match (r.api.as_str(), safety) {
            ("torch.load", Some("True")) | ("torch.hub.load_state_dict_from_url", Some("True")) => {
                None
            }
            ("torch.load", None) => Some((
                Severity::Medium,
                "without weights_only=True: torch before 2.6 unpickles anything the file holds",
            )),
            ("torch.load", _) | ("torch.hub.load_state_dict_from_url", _) => Some((
                Severity::High,
                "with weights_only=False: it unpickles anything the file holds",
            )),
            ("numpy.load", Some("True")) => Some((
                Severity::High,
                "with allow_pickle=True: object arrays are unpickled",
            )),
            ("numpy.load", _) => None,
            (a, Some("False")) if a.ends_with("load_model") => Some((
                Severity::High,
                "with safe_mode=False: Lambda layers' code runs",
            )),
            (a, _) if a.ends_with("load_model") => None,
            _ => Some((
                Severity::High,
                "a pickle-based loader: it runs whatever the file tells it to",
            )),
        };
        if let Some((severity, why)) = severity {
            findings.push(finding(
                &rules::INVENTORY_UNSAFE_LOADER,
                severity,
                r.line,
                format!(
                    "{}({}) {why}",
                    r.api,
                    r.id.as_ref()
                        .map(|v| match v {
                            Value::Dynamic(e) => e.clone(),
                            other => format!("{:?}", other.known().unwrap_or_default()),
                        })
                        .unwrap_or_default()
                ),
            ));
        }
    }
    // An Azure deployment name is the user's own, pinned to a model version on Azure.
    if kind == Kind::ApiModel && id_text.is_some() && !pinned && provider != "azure-openai" {
        findings.push(finding(
            &rules::INVENTORY_UNVERSIONED_API_MODEL,
            Severity::Low,
            r.line,
            format!("{} uses the {provider} model {shown}, an alias the provider can point at a new version", r.api),
        ));
    }
    let entry = Entry {
        file: file.to_string(),
        line: r.line,
        kind,
        provider,
        api: r.api,
        id: r.id,
        hub_repo: repo,
        revision: r.revision,
        pinned,
        trust_remote_code: r.trust_remote_code,
        verdict: None,
        vetted: None,
        cell: None,
        findings: findings.iter().map(|f| f.rule).collect(),
    };
    (entry, findings)
}

/// What one source file gave.
#[derive(Default)]
struct FileResult {
    entries: Vec<Entry>,
    findings: Vec<Finding>,
    frameworks: Vec<Framework>,
    incomplete: Option<String>,
}

fn inspect_file(
    path: &std::path::Path,
    shown: &str,
    role: Role,
    policy: &ModelPolicy,
    parser: &mut Option<tree_sitter::Parser>,
) -> FileResult {
    let mut out = FileResult::default();
    let here = path.parent().map(std::path::Path::to_path_buf);
    let is_local = |id: &str| {
        let id = std::path::Path::new(id);
        here.as_ref().is_some_and(|d| d.join(id).is_dir()) || id.is_dir()
    };
    let bytes = match read_bounded(path) {
        Ok(b) => b,
        Err(why) => {
            out.incomplete = Some(why);
            return out;
        }
    };
    let parser = parser.get_or_insert_with(|| {
        let mut p = tree_sitter::Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .expect("the bundled grammar matches the tree-sitter version");
        p
    });
    let references = match role {
        Role::Python => {
            let (refs, incomplete) = python::references(&bytes, parser);
            out.incomplete = incomplete;
            refs
        }
        Role::Notebook => {
            let nb = match notebook::split(&bytes) {
                Ok(nb) => nb,
                Err(why) => {
                    out.incomplete = Some(why);
                    return out;
                }
            };
            let mut found: Vec<(Reference, (u32, u32))> = Vec::new();
            let (refs, incomplete) = python::references(nb.python.as_bytes(), parser);
            out.incomplete = incomplete;
            found.extend(refs.into_iter().filter_map(|r| {
                let at = *nb.python_lines.get(r.line.checked_sub(1)? as usize)?;
                Some((r, at))
            }));
            found.extend(
                text_files::references(Role::Shell, nb.shell.as_bytes())
                    .into_iter()
                    .filter_map(|r| {
                        let at = *nb.shell_lines.get(r.line.checked_sub(1)? as usize)?;
                        Some((r, at))
                    }),
            );
            for (mut r, (cell, line)) in found {
                r.line = u64::from(line);
                let (mut entry, findings) = judge_with(shown, r, policy, &is_local);
                entry.cell = Some(cell);
                out.entries.push(entry);
                // A line of the notebook's JSON is not a line of the cell: the place is in
                // the message.
                out.findings.extend(findings.into_iter().map(|mut f| {
                    f.location.line = None;
                    f.message = format!("cell {cell}, line {line}: {}", f.message);
                    f
                }));
            }
            return out;
        }
        Role::Requirements => {
            out.frameworks = text_files::frameworks(shown, &bytes);
            Vec::new()
        }
        other => text_files::references(other, &bytes),
    };
    for r in references {
        let (entry, findings) = judge_with(shown, r, policy, &is_local);
        out.entries.push(entry);
        out.findings.extend(findings);
    }
    out
}

fn read_bounded(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("cannot read: {e}"))?;
    if bytes.len() as u64 > MAX_SOURCE_BYTES {
        return Err(format!(
            "larger than MAX_SOURCE_BYTES ({MAX_SOURCE_BYTES}); its references were not read"
        ));
    }
    Ok(bytes)
}

/// The worst finding of a scanned artifact and its status, as one word.
pub(crate) fn verdict(a: &Artifact) -> String {
    let worst = a.findings.iter().map(|f| f.severity).max();
    match (a.status, worst) {
        (_, Some(s)) => format!("findings (worst {})", s.as_str()),
        (Status::Complete, None) => "clean".into(),
        (Status::Incomplete, None) => "incomplete".into(),
        (Status::Error, None) => "error".into(),
    }
}

/// Inventories `inputs` (folders or files): scans them as `scan` does and reads every
/// source, configuration and manifest file for references.
pub fn run(
    inputs: &[String],
    opts: &ScanOptions,
    policy: &ModelPolicy,
    fail_on: impl Into<crate::report::Gate>,
) -> Result<Inventory, String> {
    run_vetting(inputs, opts, policy, fail_on, None)
}

/// [`run`], and with a Hub configuration, every Hub reference's revision vetted over range
/// reads ([`vet`]); its files join the report, so a malicious referenced model fails the
/// run as a local one would.
pub fn run_vetting(
    inputs: &[String],
    opts: &ScanOptions,
    policy: &ModelPolicy,
    fail_on: impl Into<crate::report::Gate>,
    hub: Option<&crate::hub::env::HubConfig>,
) -> Result<Inventory, String> {
    let local = scan::scan_local(inputs, opts)?;
    let mut artifacts = local.artifacts;
    // The JSON, YAML and TOML files of a model folder (config.json, tokenizer.json, a
    // NeMo config) are the model's, which the scan judges; they name no application
    // reference, and a tokenizer runs to tens of megabytes.
    let in_models: std::collections::BTreeSet<String> = scan::model_groups(&artifacts)
        .into_iter()
        .flat_map(|g| g.files)
        .collect();
    let sources: Vec<(usize, Role)> = artifacts
        .iter()
        .enumerate()
        .filter(|(_, a)| a.member.is_none() && !a.input_error)
        .filter_map(|(i, a)| role_of(&a.path).map(|r| (i, r)))
        .filter(|(i, r)| {
            !(matches!(r, Role::Json | Role::Yaml | Role::Toml)
                && in_models.contains(&artifacts[*i].path))
        })
        .collect();
    let results: Vec<(usize, FileResult)> = sources
        .par_iter()
        .map_init(
            || None,
            |parser, (i, role)| {
                let a = &artifacts[*i];
                (
                    *i,
                    inspect_file(
                        std::path::Path::new(&a.file),
                        &a.path,
                        *role,
                        policy,
                        parser,
                    ),
                )
            },
        )
        .collect();
    let mut entries = Vec::new();
    let mut frameworks = Vec::new();
    for (i, r) in results {
        let a = &mut artifacts[i];
        for f in r.findings {
            a.findings.push(f);
        }
        if let Some(why) = r.incomplete {
            if a.status == Status::Complete {
                a.status = Status::Incomplete;
                a.reason = Some(why);
                a.expected = true;
            }
        }
        entries.extend(r.entries);
        frameworks.extend(r.frameworks);
    }
    for a in &artifacts {
        if a.member.is_none() && a.format.may_hold_weights() {
            entries.push(Entry {
                file: a.path.clone(),
                line: 0,
                kind: Kind::Artifact,
                provider: "local",
                api: format!("a {} file", a.format.name()),
                id: None,
                hub_repo: None,
                revision: None,
                pinned: true,
                trust_remote_code: None,
                verdict: Some(verdict(a)),
                vetted: None,
                cell: None,
                findings: a.findings.iter().map(|f| f.rule).collect(),
            });
        }
    }
    entries.sort_by(|a, b| (&a.file, a.line, &a.api).cmp(&(&b.file, b.line, &b.api)));
    if let Some(hub) = hub {
        artifacts.extend(vet::vet(&mut entries, hub, opts));
    }
    frameworks.sort_by(|a, b| (&a.name, &a.file).cmp(&(&b.name, &b.file)));
    let mut report = scan::build_report(inputs.to_vec(), artifacts, fail_on);
    report.scope = local.scope;
    Ok(Inventory {
        entries,
        frameworks,
        report,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_model_versions() {
        for pinned in [
            "gpt-4o-2024-08-06",
            "claude-3-5-sonnet-20241022",
            "gemini-1.5-pro-002",
            "llama3@sha256:abc",
        ] {
            assert!(api_model_versioned(pinned), "{pinned}");
        }
        for alias in [
            "gpt-4o",
            "claude-sonnet-4-5",
            "gemini-1.5-pro",
            "llama3:8b",
            "o3-mini",
        ] {
            assert!(!api_model_versioned(alias), "{alias}");
        }
    }

    #[test]
    fn hub_ids_and_local_paths() {
        assert_eq!(hub_repo("org/name").as_deref(), Some("org/name"));
        assert_eq!(hub_repo("hf-hub:timm/vit").as_deref(), Some("timm/vit"));
        assert_eq!(
            hub_repo("bert-base-uncased").as_deref(),
            Some("bert-base-uncased")
        );
        for local in [
            "./models/x",
            "/srv/models/x",
            "models/x/y",
            "model.safetensors",
            "C:\\m",
            "~/m",
        ] {
            assert_eq!(hub_repo(local), None, "{local}");
        }
    }
}
