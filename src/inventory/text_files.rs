//! References outside Python: model ids under the keys training and serving configs use
//! (YAML, JSON, TOML), `.env` files, the download commands of shell scripts and
//! Dockerfiles, and the AI frameworks of dependency manifests. A value counts only under
//! a known key or command and only when it has the shape of a Hub id, so prose and other
//! strings are not references.

use serde_json::Value as Json;

use super::{Framework, Kind, Reference, Role, Value};

/// Keys whose string value names a model (or, with `dataset`, a dataset) to load.
const MODEL_KEYS: &[&str] = &[
    "model",
    "model_name",
    "model_id",
    "model_name_or_path",
    "pretrained_model_name_or_path",
    "base_model",
    "base_model_name_or_path",
    "tokenizer_name",
    "tokenizer_name_or_path",
    "repo_id",
    "hub_model_id",
];
const DATASET_KEYS: &[&str] = &["dataset", "dataset_name", "dataset_id"];
const REVISION_KEYS: &[&str] = &["revision", "model_revision"];
/// Most values a configuration walk looks at.
const MAX_CONFIG_NODES: usize = 100_000;

/// AI frameworks reported from manifests (PyPI names, normalised).
const FRAMEWORKS: &[&str] = &[
    "torch",
    "transformers",
    "diffusers",
    "sentence-transformers",
    "huggingface-hub",
    "datasets",
    "peft",
    "accelerate",
    "timm",
    "open-clip-torch",
    "safetensors",
    "tokenizers",
    "tensorflow",
    "keras",
    "tf-keras",
    "jax",
    "onnx",
    "onnxruntime",
    "scikit-learn",
    "xgboost",
    "lightgbm",
    "catboost",
    "openai",
    "anthropic",
    "google-generativeai",
    "google-genai",
    "mistralai",
    "cohere",
    "langchain",
    "langchain-openai",
    "langchain-anthropic",
    "langchain-community",
    "llama-index",
    "llama-cpp-python",
    "vllm",
    "ollama",
    "mlx-lm",
    "joblib",
    "skops",
];

/// The first line holding `needle` (1-based), else 1.
fn line_of(text: &str, needle: &str) -> u64 {
    text.lines()
        .position(|l| l.contains(needle))
        .map_or(1, |i| i as u64 + 1)
}

fn config_reference(
    kind: Kind,
    key: &str,
    id: &str,
    revision: Option<String>,
    text: &str,
    what: &str,
) -> Reference {
    Reference {
        kind,
        provider: "huggingface",
        api: format!("{what} key {key}"),
        line: line_of(text, id),
        id: Some(Value::Literal(id.to_string())),
        revision: revision.map(Value::Literal),
        trust_remote_code: None,
        repo_type: None,
        safety: None,
    }
}

/// Model and dataset ids under known keys of a parsed configuration, with a `revision`
/// beside them. Only values shaped like Hub ids count.
fn from_tree(root: &Json, text: &str, what: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    let mut seen = 0usize;
    while let Some(v) = stack.pop() {
        seen += 1;
        if seen > MAX_CONFIG_NODES {
            break;
        }
        match v {
            Json::Object(map) => {
                let revision = REVISION_KEYS
                    .iter()
                    .find_map(|k| map.get(*k).and_then(Json::as_str))
                    .map(str::to_string);
                for (key, value) in map {
                    let lower = key.to_ascii_lowercase();
                    if let Some(id) = value.as_str() {
                        let kind = if MODEL_KEYS.contains(&lower.as_str()) {
                            Kind::Model
                        } else if DATASET_KEYS.contains(&lower.as_str()) {
                            Kind::Dataset
                        } else {
                            continue;
                        };
                        if super::hub_repo(id).is_some() && id.contains('/') {
                            out.push(config_reference(
                                kind,
                                key,
                                id,
                                revision.clone(),
                                text,
                                what,
                            ));
                        }
                    } else {
                        stack.push(value);
                    }
                }
            }
            Json::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
    out.sort_by_key(|r| r.line);
    out
}

/// Splits a shell line into words, with quotes removed (enough for download commands).
fn words(line: &str) -> Vec<String> {
    line.split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']).to_string())
        .filter(|w| !w.is_empty())
        .collect()
}

/// `https://huggingface.co/[datasets/]org/name/resolve/<revision>/file`.
fn hub_url(url: &str) -> Option<(Kind, String, String)> {
    let rest = url
        .strip_prefix("https://huggingface.co/")
        .or_else(|| url.strip_prefix("http://huggingface.co/"))?;
    let (kind, rest) = match rest.strip_prefix("datasets/") {
        Some(r) => (Kind::Dataset, r),
        None => (Kind::Model, rest),
    };
    let mut parts = rest.splitn(5, '/');
    let (org, name, verb, revision) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    (verb == "resolve").then(|| (kind, format!("{org}/{name}"), revision.to_string()))
}

/// A URL whose file name has a model file's extension.
fn is_model_url(url: &str) -> bool {
    let path = url
        .split(['?', '#'])
        .next()
        .unwrap_or(url)
        .to_ascii_lowercase();
    [
        ".safetensors",
        ".gguf",
        ".bin",
        ".pt",
        ".pth",
        ".ckpt",
        ".onnx",
        ".pkl",
        ".pickle",
        ".joblib",
        ".h5",
        ".keras",
        ".tflite",
        ".pb",
        ".npz",
        ".mar",
        ".nemo",
    ]
    .iter()
    .any(|e| path.ends_with(e))
}

fn shell_references(text: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    // Joined continuation lines keep the number of their first line.
    let mut logical: Vec<(u64, String)> = Vec::new();
    let mut pending: Option<(u64, String)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_end();
        let (number, mut acc) = pending.take().unwrap_or((i as u64 + 1, String::new()));
        match line.strip_suffix('\\') {
            Some(head) => {
                acc.push_str(head);
                acc.push(' ');
                pending = Some((number, acc));
            }
            None => {
                acc.push_str(line);
                logical.push((number, acc));
            }
        }
    }
    logical.extend(pending);
    for (line, command) in logical {
        let w = words(&command);
        let reference =
            |kind, provider, api: &str, id: String, revision: Option<String>| Reference {
                kind,
                provider,
                api: api.to_string(),
                line,
                id: Some(Value::Literal(id)),
                revision: revision.map(Value::Literal),
                trust_remote_code: None,
                repo_type: None,
                safety: None,
            };
        for (i, word) in w.iter().enumerate() {
            let next = |k: usize| w.get(i + k).map(String::as_str);
            let is_download = (matches!(word.as_str(), "huggingface-cli" | "hf")
                && next(1) == Some("download"))
            .then_some(2);
            if let Some(skip) = is_download {
                let args = &w[i + skip..];
                let flag = |name: &str| {
                    args.iter().enumerate().find_map(|(j, a)| {
                        a.strip_prefix(&format!("{name}="))
                            .map(str::to_string)
                            .or_else(|| (a == name).then(|| args.get(j + 1).cloned()).flatten())
                    })
                };
                let Some(repo) = args.iter().find(|a| !a.starts_with('-')) else {
                    continue;
                };
                let kind = match flag("--repo-type").as_deref() {
                    Some("dataset") => Kind::Dataset,
                    _ => Kind::Model,
                };
                out.push(reference(
                    kind,
                    "huggingface",
                    &format!("{word} download"),
                    repo.clone(),
                    flag("--revision"),
                ));
            }
            if word == "ollama" && next(1) == Some("pull") {
                if let Some(name) = next(2) {
                    out.push(reference(
                        Kind::ApiModel,
                        "ollama",
                        "ollama pull",
                        name.to_string(),
                        None,
                    ));
                }
            }
            if matches!(word.as_str(), "wget" | "curl") {
                for url in w[i + 1..].iter().filter(|a| a.starts_with("http")) {
                    if let Some((kind, repo, revision)) = hub_url(url) {
                        out.push(reference(kind, "huggingface", word, repo, Some(revision)));
                    } else if is_model_url(url) {
                        out.push(reference(Kind::Model, "url", word, url.clone(), None));
                    }
                }
            }
        }
    }
    out
}

fn env_references(text: &str) -> Vec<Reference> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches("export ");
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        let key = key.trim().to_ascii_uppercase();
        let value = value.trim().trim_matches(['"', '\'']);
        if !(key.contains("MODEL") || key.contains("REPO_ID")) || value.is_empty() {
            continue;
        }
        let (kind, provider) = if key.contains("OPENAI") {
            (Kind::ApiModel, "openai")
        } else if key.contains("ANTHROPIC") || key.contains("CLAUDE") {
            (Kind::ApiModel, "anthropic")
        } else if super::hub_repo(value).is_some() && value.contains('/') {
            (Kind::Model, "huggingface")
        } else {
            continue;
        };
        out.push(Reference {
            kind,
            provider,
            api: format!("environment variable {key}"),
            line: i as u64 + 1,
            id: Some(Value::Literal(value.to_string())),
            revision: None,
            trust_remote_code: None,
            repo_type: None,
            safety: None,
        });
    }
    out
}

/// The references of a non-Python file.
pub fn references(role: Role, bytes: &[u8]) -> Vec<Reference> {
    let text = String::from_utf8_lossy(bytes);
    match role {
        Role::Yaml => match crate::formats::yaml::parse(&text).value {
            Some(v) => from_tree(&v, &text, "YAML"),
            None => Vec::new(),
        },
        Role::Json => match serde_json::from_str::<Json>(&text) {
            Ok(v) => from_tree(&v, &text, "JSON"),
            Err(_) => Vec::new(),
        },
        Role::Toml => match toml::from_str::<toml::Table>(&text) {
            Ok(t) => match serde_json::to_value(t) {
                Ok(v) => from_tree(&v, &text, "TOML"),
                Err(_) => Vec::new(),
            },
            Err(_) => Vec::new(),
        },
        Role::Env => env_references(&text),
        Role::Shell => shell_references(&text),
        Role::Python | Role::Notebook | Role::Requirements => Vec::new(),
    }
}

/// PyPI names compare lower-case with `_` and `.` as `-`.
fn normalise(name: &str) -> String {
    name.trim().to_ascii_lowercase().replace(['_', '.'], "-")
}

/// A requirement line (`transformers==4.57.1 ; python_version>"3.9"`): name and specifier.
fn requirement(line: &str) -> Option<(String, Option<String>)> {
    let line = line.split(['#', ';']).next()?.trim();
    if line.is_empty() || line.starts_with('-') {
        return None;
    }
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
        .unwrap_or(line.len());
    let name = normalise(&line[..end]);
    let rest = line[end..].trim();
    let rest = match rest.strip_prefix('[') {
        Some(r) => r.split_once(']').map_or("", |(_, tail)| tail).trim(),
        None => rest,
    };
    FRAMEWORKS
        .contains(&name.as_str())
        .then(|| (name, (!rest.is_empty()).then(|| rest.replace(' ', ""))))
}

/// The AI frameworks a `requirements*.txt` or `pyproject.toml` declares.
pub fn frameworks(file: &str, bytes: &[u8]) -> Vec<Framework> {
    let text = String::from_utf8_lossy(bytes);
    let mut out = Vec::new();
    let mut add = |spec: &str, fallback_line: u64| {
        if let Some((name, requirement)) = requirement(spec) {
            out.push(Framework {
                line: if fallback_line == 0 {
                    line_of(&text, spec)
                } else {
                    fallback_line
                },
                name,
                requirement,
                file: file.to_string(),
            });
        }
    };
    let lower = file.to_ascii_lowercase();
    if lower.ends_with("uv.lock") || lower.ends_with("poetry.lock") {
        // Locked versions: `[[package]] name = "torch" version = "2.6.0"`.
        let Ok(t) = toml::from_str::<toml::Table>(&text) else {
            return out;
        };
        for p in t
            .get("package")
            .and_then(|p| p.as_array())
            .into_iter()
            .flatten()
        {
            let (Some(name), Some(version)) = (
                p.get("name").and_then(|n| n.as_str()),
                p.get("version").and_then(|v| v.as_str()),
            ) else {
                continue;
            };
            add(
                &format!("{name}=={version}"),
                line_of(&text, &format!("name = \"{name}\"")),
            );
        }
        return out;
    }
    if lower.ends_with("pipfile.lock") {
        let Ok(v) = serde_json::from_str::<Json>(&text) else {
            return out;
        };
        for section in ["default", "develop"] {
            for (name, spec) in v
                .get(section)
                .and_then(Json::as_object)
                .into_iter()
                .flatten()
            {
                let version = spec.get("version").and_then(Json::as_str).unwrap_or("");
                add(
                    &format!("{name}{version}"),
                    line_of(&text, &format!("\"{name}\"")),
                );
            }
        }
        return out;
    }
    if lower.ends_with("pyproject.toml") {
        let Ok(t) = toml::from_str::<toml::Table>(&text) else {
            return out;
        };
        let project = t.get("project");
        let mut specs: Vec<String> = project
            .and_then(|p| p.get("dependencies"))
            .and_then(|d| d.as_array())
            .into_iter()
            .flatten()
            .filter_map(|s| s.as_str().map(str::to_string))
            .collect();
        if let Some(optional) = project
            .and_then(|p| p.get("optional-dependencies"))
            .and_then(|o| o.as_table())
        {
            for group in optional.values().filter_map(|g| g.as_array()) {
                specs.extend(group.iter().filter_map(|s| s.as_str().map(str::to_string)));
            }
        }
        if let Some(poetry) = t
            .get("tool")
            .and_then(|x| x.get("poetry"))
            .and_then(|x| x.get("dependencies"))
            .and_then(|x| x.as_table())
        {
            for (name, v) in poetry {
                let version = v
                    .as_str()
                    .or_else(|| v.get("version").and_then(|x| x.as_str()));
                specs.push(format!(
                    "{name}{}",
                    version.map(|v| format!(" {v}")).unwrap_or_default()
                ));
            }
        }
        for s in &specs {
            add(s, 0);
        }
    } else {
        for (i, line) in text.lines().enumerate() {
            add(line, i as u64 + 1);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys_with_hub_ids_are_references_and_prose_is_not() {
        let yaml = "model:\n  model_name_or_path: org/llm\n  revision: 0123456789abcdef0123456789abcdef01234567\ndescription: uses org/other\ndataset: org/data\n";
        let r = references(Role::Yaml, yaml.as_bytes());
        assert_eq!(r.len(), 2, "{r:?}");
        let llm = r.iter().find(|x| x.kind == Kind::Model).unwrap();
        assert_eq!(llm.line, 2);
        assert!(llm.revision.is_some());
        assert!(r.iter().any(|x| x.kind == Kind::Dataset));
        assert!(references(Role::Json, br#"{"model": "./local/dir", "name": "org/x"}"#).is_empty());
    }

    #[test]
    fn shell_downloads() {
        let sh = "set -e\nhuggingface-cli download org/a --revision main \\\n  --local-dir x\nhf download org/d --repo-type dataset\nollama pull llama3:8b\nwget https://huggingface.co/org/b/resolve/0123456789abcdef0123456789abcdef01234567/model.safetensors\n";
        let r = references(Role::Shell, sh.as_bytes());
        assert_eq!(r.len(), 4, "{r:?}");
        assert_eq!(r[0].line, 2);
        assert_eq!(r[1].kind, Kind::Dataset);
        assert_eq!(r[2].provider, "ollama");
        assert_eq!(r[3].id, Some(Value::Literal("org/b".into())));
    }

    #[test]
    fn lock_files_give_locked_versions() {
        let uv = b"version = 1\n\n[[package]]\nname = \"requests\"\nversion = \"2.32.3\"\n\n[[package]]\nname = \"torch\"\nversion = \"2.6.0\"\n";
        let f = frameworks("uv.lock", uv);
        assert_eq!(f.len(), 1);
        assert_eq!(
            (f[0].name.as_str(), f[0].requirement.as_deref(), f[0].line),
            ("torch", Some("==2.6.0"), 8)
        );
        let pipfile = br#"{"default": {"transformers": {"version": "==4.57.1"}}, "develop": {}}"#;
        assert_eq!(
            frameworks("Pipfile.lock", pipfile)[0]
                .requirement
                .as_deref(),
            Some("==4.57.1")
        );
        let sh = b"curl -L -o m.gguf https://example.com/models/llama.Q4_K_M.gguf\n";
        let r = references(Role::Shell, sh);
        assert_eq!((r.len(), r[0].provider), (1, "url"));
    }

    #[test]
    fn requirement_lines() {
        let f = frameworks(
            "requirements.txt",
            b"torch==2.6.0\nTransformers[torch] >= 4.50\nrequests\n# openai\n",
        );
        assert_eq!(f.len(), 2);
        assert_eq!(f[1].name, "transformers");
        assert_eq!(f[1].requirement.as_deref(), Some(">=4.50"));
    }
}
