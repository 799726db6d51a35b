//! `modelvet.toml` (or `[tool.modelvet]` in `pyproject.toml`), found by walking up from the
//! scanned path, or named with `--config`.
//!
//! ```toml
//! fail_on = "high"
//! allow = ["mypackage.models:Net"]      # exact module:name pairs
//! exclude = ["legacy/", "*.bak"]       # gitignore syntax, anchored here
//! [policy]
//! [rules]
//! MV103 = "high"                        # rule id or name = severity
//! [bom]                                 # what `modelvet bom` cannot read from artifacts
//! name = "acme-llm"
//! release_date = "2026-11-30"
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::format::Format;
use crate::policy::Policy;
use crate::rules;
use crate::rules::Severity;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ConfigFile {
    pub fail_on: Option<String>,
    /// Paths left out of folder walks (gitignore syntax, anchored at the file's folder).
    #[serde(default)]
    pub exclude: Vec<String>,
    #[serde(default)]
    pub policy: PolicySection,
    #[serde(default)]
    pub rules: std::collections::BTreeMap<String, String>,
    /// Accepted findings.
    #[serde(default)]
    pub ignore: Vec<IgnoreEntryFile>,
    /// What `modelvet bom` cannot learn from the artifacts.
    #[serde(default)]
    pub bom: BomOverrides,
}

/// Facts about an in-house model that no artifact states: `[bom]` in the configuration,
/// or `modelvet bom --name/--version/--supplier/--purl/--release-date`. The BOM marks each
/// as declared by the user.
#[derive(Debug, Clone, Default, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct BomOverrides {
    pub name: Option<String>,
    pub version: Option<String>,
    pub supplier: Option<String>,
    pub purl: Option<String>,
    /// `YYYY-MM-DD`.
    pub release_date: Option<String>,
}

impl BomOverrides {
    /// Each field of `over` that is set replaces this one's.
    pub fn overlay(&self, over: &BomOverrides) -> BomOverrides {
        BomOverrides {
            name: over.name.clone().or_else(|| self.name.clone()),
            version: over.version.clone().or_else(|| self.version.clone()),
            supplier: over.supplier.clone().or_else(|| self.supplier.clone()),
            purl: over.purl.clone().or_else(|| self.purl.clone()),
            release_date: over
                .release_date
                .clone()
                .or_else(|| self.release_date.clone()),
        }
    }

    /// Refuses empty values, a purl that is not one, and a date that is not `YYYY-MM-DD`.
    pub fn check(&self) -> Result<(), String> {
        for (field, value) in [
            ("name", &self.name),
            ("version", &self.version),
            ("supplier", &self.supplier),
            ("purl", &self.purl),
            ("release_date", &self.release_date),
        ] {
            if value.as_deref().is_some_and(|v| v.trim().is_empty()) {
                return Err(format!("bom {field}: empty"));
            }
        }
        if let Some(p) = &self.purl {
            let ok = p.strip_prefix("pkg:").is_some_and(|rest| {
                rest.split_once('/')
                    .is_some_and(|(kind, name)| !kind.is_empty() && !name.is_empty())
            }) && !p.chars().any(char::is_whitespace);
            if !ok {
                return Err(format!(
                    "bom purl `{p}`: not a package URL (pkg:type/name...)"
                ));
            }
        }
        if let Some(d) = &self.release_date {
            if !valid_date(d) {
                return Err(format!("bom release_date `{d}`: not a YYYY-MM-DD date"));
            }
        }
        Ok(())
    }
}

fn valid_date(d: &str) -> bool {
    let b = d.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num = |r: std::ops::Range<usize>| d[r].parse::<u32>().ok();
    matches!(
        (num(0..4), num(5..7), num(8..10)),
        (Some(_), Some(1..=12), Some(1..=31))
    ) && b
        .iter()
        .enumerate()
        .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct IgnoreEntryFile {
    pub rule: String,
    pub path: String,
    pub sha256: Option<String>,
    pub reason: Option<String>,
    pub expires: Option<String>,
}

/// One accepted finding pattern: findings of `rule` in files matching `path` (gitignore
/// syntax, anchored at the configuration's folder), optionally only while the file's
/// SHA-256 is `sha256`, and only until `expires` (a `YYYY-MM-DD` date, UTC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IgnoreEntry {
    pub rule: &'static str,
    pub path: String,
    pub sha256: Option<String>,
    pub reason: String,
    pub expires: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicySection {
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny_formats: Vec<String>,
    #[serde(default)]
    pub allow_formats: Vec<String>,
    #[serde(default)]
    pub deny_remote_code: bool,
    #[serde(default)]
    pub allowed_repos: Vec<String>,
    #[serde(default)]
    pub require_pinned_revision: bool,
    #[serde(default)]
    pub licenses_allow: Vec<String>,
    #[serde(default)]
    pub licenses_deny: Vec<String>,
    pub require_signature: Option<SignatureFile>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SignatureFile {
    pub key: Option<PathBuf>,
    pub certificate_chain: Option<PathBuf>,
    pub identity: Option<String>,
    pub issuer: Option<String>,
    /// The signature file in each model folder (default `model.sig`).
    pub signature: Option<String>,
}

/// What the `[policy]` table requires of models beyond the pickle allowlist. Each
/// violation is a finding of its own rule (MV1201-MV1205).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ModelPolicy {
    pub deny_formats: Vec<Format>,
    /// Empty: every format; else only these (containers are judged by their members).
    pub allow_formats: Vec<Format>,
    pub deny_remote_code: bool,
    /// `org/name` or `org/*`.
    pub allowed_repos: Vec<String>,
    pub require_pinned_revision: bool,
    /// Licence keys as [`license_key`] makes them.
    pub licenses_allow: Vec<String>,
    pub licenses_deny: Vec<String>,
    pub require_signature: Option<SignatureRequirement>,
}

/// How every model folder's signature must verify.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureRequirement {
    pub trust: SignatureTrust,
    /// The signature file's name inside the folder.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureTrust {
    Key(PathBuf),
    CertificateChain(PathBuf),
    Identity { identity: String, issuer: String },
}

/// A licence as a comparable key: its SPDX id (or the Hub's name for non-SPDX licences),
/// lower case; `None` for `unknown` or nothing.
pub fn license_key(license: &str) -> Option<String> {
    match crate::license::resolve(license, None, None)? {
        crate::license::LicenseRef::Spdx(id) => Some(id.to_ascii_lowercase()),
        crate::license::LicenseRef::Named { name, .. } => Some(name.to_ascii_lowercase()),
    }
}

impl ModelPolicy {
    fn from_section(section: &PolicySection, dir: &Path) -> Result<ModelPolicy, String> {
        let formats = |names: &[String], key: &str| -> Result<Vec<Format>, String> {
            let mut out = Vec::new();
            for n in names {
                if n == "pickle-family" {
                    out.extend(Format::PICKLE_FAMILY);
                } else {
                    out.push(Format::from_name(n).ok_or_else(|| {
                        format!(
                            "[policy] {key}: `{n}` is not a format name (as reports spell them: pickle, torch-zip, safetensors, gguf, onnx ...; or pickle-family)"
                        )
                    })?);
                }
            }
            Ok(out)
        };
        for repo in &section.allowed_repos {
            let valid = match repo.split_once('/') {
                Some((org, name)) => {
                    !org.is_empty()
                        && !name.is_empty()
                        && !name.contains('/')
                        && !org.contains('*')
                        && (name == "*" || !name.contains('*'))
                }
                None => false,
            };
            if !valid {
                return Err(format!(
                    "[policy] allowed_repos: `{repo}` must be `org/name` or `org/*`"
                ));
            }
        }
        let licenses = |names: &[String], key: &str| -> Result<Vec<String>, String> {
            names
                .iter()
                .map(|n| {
                    license_key(n).ok_or_else(|| format!("[policy] {key}: `{n}` is not a licence"))
                })
                .collect()
        };
        let require_signature = match &section.require_signature {
            None => None,
            Some(sig) => {
                let anchored = |p: &PathBuf| {
                    if p.is_absolute() {
                        p.clone()
                    } else {
                        dir.join(p)
                    }
                };
                let trust = match (&sig.key, &sig.certificate_chain, &sig.identity, &sig.issuer) {
                    (Some(k), None, None, None) => SignatureTrust::Key(anchored(k)),
                    (None, Some(c), None, None) => SignatureTrust::CertificateChain(anchored(c)),
                    (None, None, Some(i), Some(o)) => SignatureTrust::Identity {
                        identity: i.clone(),
                        issuer: o.clone(),
                    },
                    _ => {
                        return Err("[policy.require_signature] needs exactly one of: key, \
                                    certificate_chain, or identity with issuer"
                            .into())
                    }
                };
                let signature = sig.signature.clone().unwrap_or_else(|| "model.sig".into());
                if signature.is_empty() || signature.contains('/') {
                    return Err("[policy.require_signature] signature must be a file name".into());
                }
                Some(SignatureRequirement { trust, signature })
            }
        };
        Ok(ModelPolicy {
            deny_formats: formats(&section.deny_formats, "deny_formats")?,
            allow_formats: formats(&section.allow_formats, "allow_formats")?,
            deny_remote_code: section.deny_remote_code,
            allowed_repos: section.allowed_repos.clone(),
            require_pinned_revision: section.require_pinned_revision,
            licenses_allow: licenses(&section.licenses_allow, "licenses_allow")?,
            licenses_deny: licenses(&section.licenses_deny, "licenses_deny")?,
            require_signature,
        })
    }

    /// Whether `repo` (`org/name`) is allowed (an empty list allows every repository).
    pub fn repo_allowed(&self, repo: &str) -> bool {
        self.allowed_repos.is_empty()
            || self
                .allowed_repos
                .iter()
                .any(|pattern| match pattern.strip_suffix("/*") {
                    Some(org) => repo.split_once('/').is_some_and(|(o, _)| o == org),
                    None => pattern == repo,
                })
    }
}

#[derive(Debug, Deserialize)]
struct PyProject {
    tool: Option<PyProjectTool>,
}

#[derive(Debug, Deserialize)]
struct PyProjectTool {
    modelvet: Option<ConfigFile>,
}

/// A loaded configuration and where it came from.
#[derive(Debug, Default)]
pub struct Config {
    pub source: Option<PathBuf>,
    /// `fail_on`: `Some(None)` is `"none"` (report only).
    pub fail_on: Option<Option<Severity>>,
    pub policy: Policy,
    /// `exclude` patterns, anchored at the folder of `source`.
    pub exclude: Vec<String>,
    /// `[[ignore]]` entries.
    pub ignores: Vec<IgnoreEntry>,
    /// `[policy] allow`, as written (for `modelvet config`).
    pub allow: Vec<String>,
    /// `[rules]` overrides as (rule id, severity).
    pub rule_severities: Vec<(&'static str, Severity)>,
    /// What `[policy]` requires beyond the pickle allowlist.
    pub model_policy: ModelPolicy,
    /// `[bom]`.
    pub bom: BomOverrides,
}

/// Finds the nearest `modelvet.toml`, or `pyproject.toml` with a `[tool.modelvet]` table,
/// from `start` upwards.
pub(crate) fn discover(start: &Path) -> Option<PathBuf> {
    let abs = std::path::absolute(start).ok()?;
    let mut dir = if abs.is_dir() {
        Some(abs.as_path())
    } else {
        abs.parent()
    };
    while let Some(d) = dir {
        let candidate = d.join("modelvet.toml");
        if candidate.is_file() {
            return Some(candidate);
        }
        let py = d.join("pyproject.toml");
        if py.is_file() && pyproject_names_modelvet(&py) {
            return Some(py);
        }
        dir = d.parent();
    }
    None
}

/// Whether `pyproject.toml` has a `[tool.modelvet]` table. Only the table's presence is
/// checked here, never its contents: a typo inside it must fail loudly in [`load`], not
/// make the file look like it has no configuration. A file that is not valid TOML but
/// mentions the table is taken too, for the same reason.
fn pyproject_names_modelvet(path: &Path) -> bool {
    let Ok(text) = std::fs::read_to_string(path) else {
        return false;
    };
    match toml::from_str::<toml::Table>(&text) {
        Ok(table) => table
            .get("tool")
            .and_then(|t| t.as_table())
            .is_some_and(|t| t.contains_key("modelvet")),
        Err(_) => text.contains("tool.modelvet"),
    }
}

pub fn load(path: &Path) -> Result<Config, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let file = if path.file_name().is_some_and(|n| n == "pyproject.toml") {
        toml::from_str::<PyProject>(&text)
            .map_err(|e| format!("{}: {e}", path.display()))?
            .tool
            .and_then(|t| t.modelvet)
            .unwrap_or_default()
    } else {
        toml::from_str::<ConfigFile>(&text).map_err(|e| format!("{}: {e}", path.display()))?
    };
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut config = from_file(file, &dir).map_err(|e| format!("{}: {e}", path.display()))?;
    config.source = Some(path.to_path_buf());
    Ok(config)
}

/// `dir` anchors the file's relative paths (its own folder).
pub(crate) fn from_file(file: ConfigFile, dir: &Path) -> Result<Config, String> {
    let model_policy = ModelPolicy::from_section(&file.policy, dir)?;
    let mut policy = Policy::new();
    for entry in &file.policy.allow {
        let Some((module, name)) = entry.split_once(':') else {
            return Err(format!(
                "allow entry `{entry}` must be `module:name` (an exact pair)"
            ));
        };
        if module.is_empty() || name.is_empty() || name.contains(':') {
            return Err(format!(
                "allow entry `{entry}` must be `module:name` (an exact pair)"
            ));
        }
        policy.allow(module, name)?;
    }
    let mut rule_severities = Vec::new();
    for (rule, severity) in &file.rules {
        let r = rules::find(rule).ok_or_else(|| format!("unknown rule `{rule}`"))?;
        let s = Severity::parse(severity).ok_or_else(|| {
            format!("`{severity}` is not a severity (critical, high, medium, low, info)")
        })?;
        policy.set_severity(r, s)?;
        rule_severities.push((r.id, s));
    }
    let fail_on = match file.fail_on.as_deref() {
        Some("none") => Some(None),
        Some(s) => Some(Some(Severity::parse(s).ok_or_else(|| {
            format!("fail_on `{s}` is not a severity (critical, high, medium, low, info) or none")
        })?)),
        None => None,
    };
    let ignores = file
        .ignore
        .iter()
        .enumerate()
        .map(|(i, e)| ignore_entry(e).map_err(|why| format!("[[ignore]] entry {}: {why}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    file.bom.check()?;
    Ok(Config {
        bom: file.bom,
        source: None,
        fail_on,
        policy,
        exclude: file.exclude,
        ignores,
        allow: file.policy.allow,
        rule_severities,
        model_policy,
    })
}

fn ignore_entry(e: &IgnoreEntryFile) -> Result<IgnoreEntry, String> {
    let rule = rules::find(&e.rule).ok_or_else(|| format!("unknown rule `{}`", e.rule))?;
    let reason = e
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty())
        .ok_or("a `reason` is required (say why the finding is accepted)")?;
    if e.path.trim().is_empty() {
        return Err("`path` is required (a file or a glob)".into());
    }
    ignore::gitignore::GitignoreBuilder::new("/")
        .add_line(None, &e.path)
        .map_err(|err| format!("path `{}`: {err}", e.path))?;
    let sha256 = match &e.sha256 {
        Some(h) if h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()) => {
            Some(h.to_ascii_lowercase())
        }
        Some(h) => return Err(format!("sha256 `{h}` is not 64 hexadecimal digits")),
        None if !rule.may_lower => {
            return Err(format!(
                "{} ({}) guards code execution: accepting it needs the file's `sha256`, so \
                 a changed file is flagged again",
                rule.id, rule.name
            ))
        }
        None => None,
    };
    if let Some(date) = &e.expires {
        if !is_date(date) {
            return Err(format!("expires `{date}` is not a YYYY-MM-DD date"));
        }
    }
    Ok(IgnoreEntry {
        rule: rule.id,
        path: e.path.clone(),
        sha256,
        reason: reason.to_string(),
        expires: e.expires.clone(),
    })
}

/// `YYYY-MM-DD` with a month of 1-12 and a day the month has.
fn is_date(text: &str) -> bool {
    let parts: Vec<&str> = text.split('-').collect();
    let [y, m, d] = parts[..] else { return false };
    if y.len() != 4 || m.len() != 2 || d.len() != 2 {
        return false;
    }
    let (Ok(y), Ok(m), Ok(d)) = (y.parse::<u32>(), m.parse::<u32>(), d.parse::<u32>()) else {
        return false;
    };
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return false,
    };
    (1..=days).contains(&d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        from_file(
            toml::from_str(text).map_err(|e| e.to_string())?,
            Path::new("."),
        )
    }

    #[test]
    fn refuses_dangerous_allow_entries() {
        for name in [
            "os:system",
            "posix:system",
            "nt:system",
            "sys:modules",
            "subprocess:run",
            "builtins:eval",
            "builtins:exec",
            "builtins:__import__",
        ] {
            let err = parse(&format!("[policy]\nallow = [\"{name}\"]\n")).unwrap_err();
            assert!(err.contains("refusing"), "{name}: {err}");
        }
    }

    #[test]
    fn refuses_lowering_code_execution_rules() {
        assert!(parse("[rules]\nMV101 = \"low\"\n")
            .unwrap_err()
            .contains("refusing to lower"));
        assert!(parse("[rules]\npickle-unknown-global = \"high\"\n").is_ok());
        assert!(parse("[rules]\nMV103 = \"low\"\n").is_ok());
    }

    #[test]
    fn ignore_entries_need_a_reason_and_pin_code_execution_to_a_hash() {
        let ok = parse(
            "[[ignore]]\nrule = \"MV104\"\npath = \"models/*.pkl\"\nreason = \"our class\"\nexpires = \"2027-02-28\"\n",
        )
        .unwrap();
        assert_eq!(ok.ignores[0].rule, "MV104");
        let no_reason = parse("[[ignore]]\nrule = \"MV104\"\npath = \"a.pkl\"\n").unwrap_err();
        assert!(no_reason.contains("reason"), "{no_reason}");
        let unpinned =
            parse("[[ignore]]\nrule = \"MV101\"\npath = \"a.pkl\"\nreason = \"x\"\n").unwrap_err();
        assert!(unpinned.contains("sha256"), "{unpinned}");
        let pinned = format!(
            "[[ignore]]\nrule = \"MV101\"\npath = \"a.pkl\"\nreason = \"x\"\nsha256 = \"{}\"\n",
            "A".repeat(64)
        );
        assert_eq!(
            parse(&pinned).unwrap().ignores[0].sha256,
            Some("a".repeat(64))
        );
        for bad in ["2027-02-29", "2027-13-01", "27-01-01", "2027-1-01", "soon"] {
            let text = format!(
                "[[ignore]]\nrule = \"MV104\"\npath = \"a\"\nreason = \"x\"\nexpires = \"{bad}\"\n"
            );
            assert!(parse(&text).is_err(), "{bad}");
        }
        assert!(
            parse("[[ignore]]\nrule = \"MV104\"\npath = \"a\"\nreason = \"x\"\ntypo = 1\n")
                .is_err()
        );
        assert!(parse("fail_on = \"none\"\n").unwrap().fail_on == Some(None));
    }

    #[test]
    fn accepts_exact_pairs_and_rejects_modules() {
        assert!(parse("[policy]\nallow = [\"mypkg.models:Net\"]\n").is_ok());
        assert!(parse("[policy]\nallow = [\"mypkg\"]\n").is_err());
        assert!(parse("bogus = 1\n").is_err());
    }
}
