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
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::Policy;
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
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PolicySection {
    #[serde(default)]
    pub allow: Vec<String>,
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
    pub fail_on: Option<Severity>,
    pub policy: Policy,
    /// `exclude` patterns, anchored at the folder of `source`.
    pub exclude: Vec<String>,
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
        if py.is_file() {
            if let Ok(text) = std::fs::read_to_string(&py) {
                if let Ok(parsed) = toml::from_str::<PyProject>(&text) {
                    if parsed.tool.and_then(|t| t.modelvet).is_some() {
                        return Some(py);
                    }
                }
            }
        }
        dir = d.parent();
    }
    None
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
    let mut config = from_file(file).map_err(|e| format!("{}: {e}", path.display()))?;
    config.source = Some(path.to_path_buf());
    Ok(config)
}

pub(crate) fn from_file(file: ConfigFile) -> Result<Config, String> {
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
    for (rule, severity) in &file.rules {
        let r = rules::find(rule).ok_or_else(|| format!("unknown rule `{rule}`"))?;
        let s = Severity::parse(severity).ok_or_else(|| {
            format!("`{severity}` is not a severity (critical, high, medium, low, info)")
        })?;
        policy.set_severity(r, s)?;
    }
    let fail_on = match file.fail_on {
        Some(s) => {
            Some(Severity::parse(&s).ok_or_else(|| format!("fail_on `{s}` is not a severity"))?)
        }
        None => None,
    };
    Ok(Config {
        source: None,
        fail_on,
        policy,
        exclude: file.exclude,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Config, String> {
        from_file(toml::from_str(text).map_err(|e| e.to_string())?)
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
    fn accepts_exact_pairs_and_rejects_modules() {
        assert!(parse("[policy]\nallow = [\"mypkg.models:Net\"]\n").is_ok());
        assert!(parse("[policy]\nallow = [\"mypkg\"]\n").is_err());
        assert!(parse("bogus = 1\n").is_err());
    }
}
