//! Where an artifact is, independent of how its path was typed: a path from the source
//! root (the Git work tree around the current folder, or `--sarif-root`), an absolute path
//! outside it, or a Hub file. Fingerprints, suppressions and SARIF locations all use it.

use std::path::{Component, Path, PathBuf};

use sha2::{Digest, Sha256};

use super::{Artifact, Finding, Report};

/// An artifact's place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// Under the source root: the path from it, with `/` separators.
    InRoot(String),
    /// A local path outside the source root (absolute, normalised).
    Outside(PathBuf),
    /// A Hub file: `key` is `hf://org/name/path` (no revision, so it stays the same
    /// across commits); `url` is the file at the scanned commit.
    Remote { key: String, url: String },
    /// Standard input.
    Stdin,
}

impl Place {
    /// The text fingerprints and baselines compare.
    pub fn key(&self) -> String {
        match self {
            Place::InRoot(rel) => rel.clone(),
            Place::Outside(abs) => abs.to_string_lossy().into_owned(),
            Place::Remote { key, .. } => key.clone(),
            Place::Stdin => "-".into(),
        }
    }
}

/// The Git work tree that holds `dir`, else `dir` itself.
pub fn default_source_root(dir: &Path) -> PathBuf {
    let dir = normalize(dir);
    dir.ancestors()
        .find(|a| a.join(".git").exists())
        .map(Path::to_path_buf)
        .unwrap_or(dir)
}

/// Absolute and lexically normalised (`.` and `..` resolved without following links, so a
/// Hugging Face snapshot link keeps its own name).
pub fn normalize(path: &Path) -> PathBuf {
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = PathBuf::new();
    for c in abs.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}

fn looks_remote(file: &str) -> bool {
    file.starts_with("hf://") || file.starts_with("https://") || file.starts_with("http://")
}

impl Report {
    /// Sets the folder paths are given from (absolute) and fingerprints every finding.
    pub fn set_source_root(&mut self, root: &Path) {
        self.source_root = Some(normalize(root));
        let places: Vec<Place> = self.artifacts.iter().map(|a| self.place(a)).collect();
        for (a, place) in self.artifacts.iter_mut().zip(places) {
            let key = place.key();
            let member = a.member.clone();
            a.findings.modify_each(|f| {
                f.fingerprint = Some(fingerprint(f, &key, member.as_deref()));
            });
        }
    }

    pub fn source_root(&self) -> Option<&Path> {
        self.source_root.as_deref()
    }

    /// Where `artifact`'s file is.
    pub fn place(&self, artifact: &Artifact) -> Place {
        let file = artifact.file.as_str();
        if file == "-" {
            return Place::Stdin;
        }
        for r in &self.remote {
            let rest = if r.path_prefix.is_empty() {
                (self.inputs.len() == 1).then_some(file)
            } else {
                file.strip_prefix(r.path_prefix.as_str())
            };
            if let Some(rest) = rest {
                let repo = r.repo.trim_start_matches("hf://");
                return Place::Remote {
                    key: format!("hf://{repo}/{rest}"),
                    url: format!(
                        "https://{}/{repo}/blob/{}/{}",
                        r.endpoint_host,
                        r.commit,
                        super::sarif::path_to_uri(rest)
                    ),
                };
            }
        }
        if looks_remote(file) {
            return Place::Remote {
                key: file.to_string(),
                url: file.to_string(),
            };
        }
        let abs = normalize(Path::new(file));
        match self
            .source_root
            .as_deref()
            .and_then(|root| abs.strip_prefix(root).ok())
        {
            Some(rel) => Place::InRoot(
                rel.components()
                    .map(|c| c.as_os_str().to_string_lossy())
                    .collect::<Vec<_>>()
                    .join("/"),
            ),
            None => Place::Outside(abs),
        }
    }
}

/// `modelvet/v1` fingerprint: the rule, the file's place, the member and the evidence;
/// not the offset or the message, which move when unrelated bytes change.
pub fn fingerprint(f: &Finding, place_key: &str, member: Option<&str>) -> String {
    let mut h = Sha256::new();
    for part in [
        f.rule,
        place_key,
        member.unwrap_or(""),
        f.evidence.module.as_deref().unwrap_or(""),
        f.evidence.name.as_deref().unwrap_or(""),
        f.evidence.detail.as_deref().unwrap_or(""),
    ] {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    crate::source::hex(&h.finalize())[..32].to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalize_resolves_dots_without_the_filesystem() {
        assert_eq!(
            normalize(Path::new("/a/b/../c/./d")),
            PathBuf::from("/a/c/d")
        );
    }
}
