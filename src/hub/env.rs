//! Hub settings from the environment variables `huggingface_hub` reads, so modelvet talks
//! to the same endpoint, with the same token and cache, as the tools that downloaded the
//! model.

use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};

pub(crate) const DEFAULT_ENDPOINT: &str = "https://huggingface.co";

/// A token file larger than this is not a token; reading stops there.
const MAX_TOKEN_FILE: u64 = 64 * 1024;

/// An access token. Its `Debug` and `Display` never show it: configs, errors and logs may
/// be printed whole.
#[derive(Clone, PartialEq, Eq)]
pub struct Token(String);

impl Token {
    /// `None` for an empty value or one that cannot be sent in an HTTP header (a stray
    /// newline from a badly written file, say).
    pub fn new(value: &str) -> Option<Token> {
        let value = value.trim();
        if value.is_empty() || !value.bytes().all(|b| b.is_ascii_graphic()) {
            return None;
        }
        Some(Token(value.to_string()))
    }

    /// The secret itself, for the `Authorization` header only.
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Token(<redacted>)")
    }
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<redacted>")
    }
}

/// Where the token came from, for messages that must not show the token.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenSource {
    Env(&'static str),
    File(PathBuf),
    /// Set by the caller (a flag, a test).
    Explicit,
}

impl fmt::Display for TokenSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenSource::Env(name) => write!(f, "${name}"),
            TokenSource::File(p) => write!(f, "{}", p.display()),
            TokenSource::Explicit => f.write_str("the command line"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HubConfig {
    /// `scheme://host[:port]` with no trailing slash.
    pub endpoint: String,
    pub token: Option<Token>,
    pub token_source: Option<TokenSource>,
    /// `HF_HUB_OFFLINE`: no request may be made.
    pub offline: bool,
    pub hf_home: PathBuf,
    /// `HF_HUB_CACHE`: the folder holding `models--org--name` directories.
    pub cache_dir: PathBuf,
    /// Settings that were present but unusable (an unreadable token file): for stderr.
    pub warnings: Vec<String>,
}

impl HubConfig {
    /// From the process environment, read once.
    pub(crate) fn from_env() -> HubConfig {
        HubConfig::from_vars(|name| std::env::var(name).ok())
    }

    /// From any variable lookup, so tests never have to mutate the process environment.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> HubConfig {
        let nonempty = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let mut warnings = Vec::new();

        let endpoint = normalize_endpoint(
            &nonempty("HF_ENDPOINT").unwrap_or_else(|| DEFAULT_ENDPOINT.to_string()),
        );

        let hf_home = match nonempty("HF_HOME") {
            Some(h) => expand_home(&h, &get),
            None => match nonempty("XDG_CACHE_HOME") {
                Some(x) => expand_home(&x, &get).join("huggingface"),
                None => home_dir(&get).join(".cache").join("huggingface"),
            },
        };
        let cache_dir = match nonempty("HF_HUB_CACHE").or_else(|| nonempty("HUGGINGFACE_HUB_CACHE"))
        {
            Some(c) => expand_home(&c, &get),
            None => hf_home.join("hub"),
        };

        let mut token = None;
        let mut token_source = None;
        let mut named_in_env = false;
        // huggingface_hub's order: the variable, then the legacy variable, then the file.
        for name in ["HF_TOKEN", "HUGGING_FACE_HUB_TOKEN"] {
            if let Some(v) = nonempty(name) {
                named_in_env = true;
                match Token::new(&v) {
                    Some(t) => {
                        token = Some(t);
                        token_source = Some(TokenSource::Env(name));
                    }
                    None => warnings.push(format!(
                        "${name} is not a usable token (it holds spaces or control characters); ignored"
                    )),
                }
                break;
            }
        }
        if !named_in_env {
            let path = match nonempty("HF_TOKEN_PATH") {
                Some(p) => expand_home(&p, &get),
                None => hf_home.join("token"),
            };
            match read_token_file(&path) {
                Ok(Some(t)) => {
                    token = Some(t);
                    token_source = Some(TokenSource::File(path));
                }
                Ok(None) => {}
                Err(why) => warnings.push(format!("{}: {why}; no token used", path.display())),
            }
        }

        let offline = nonempty("HF_HUB_OFFLINE").is_some_and(|v| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        });

        HubConfig {
            endpoint,
            token,
            token_source,
            offline,
            hf_home,
            cache_dir,
            warnings,
        }
    }

    /// A config for one endpoint and nothing else: no token, online, the cache under
    /// `hf_home`. For tests and for callers that build settings from flags.
    pub fn for_endpoint(endpoint: &str, hf_home: &Path) -> HubConfig {
        HubConfig {
            endpoint: normalize_endpoint(endpoint),
            token: None,
            token_source: None,
            offline: false,
            hf_home: hf_home.to_path_buf(),
            cache_dir: hf_home.join("hub"),
            warnings: Vec::new(),
        }
    }

    pub fn with_token(mut self, token: Token) -> HubConfig {
        self.token = Some(token);
        self.token_source = Some(TokenSource::Explicit);
        self
    }
}

fn normalize_endpoint(e: &str) -> String {
    e.trim().trim_end_matches('/').to_string()
}

fn home_dir(get: &impl Fn(&str) -> Option<String>) -> PathBuf {
    get("HOME")
        .or_else(|| get("USERPROFILE"))
        .filter(|h| !h.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."))
}

/// `~` and `~/...` as huggingface_hub expands them (`os.path.expanduser`).
fn expand_home(p: &str, get: &impl Fn(&str) -> Option<String>) -> PathBuf {
    if p == "~" {
        home_dir(get)
    } else if let Some(rest) = p.strip_prefix("~/") {
        home_dir(get).join(rest)
    } else {
        PathBuf::from(p)
    }
}

/// `Ok(None)` when there is no file; an error only when one exists and is unusable.
/// The error never quotes the file's content.
fn read_token_file(path: &Path) -> Result<Option<Token>, String> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("cannot read the token file ({e})")),
    };
    let mut content = String::new();
    match file.take(MAX_TOKEN_FILE).read_to_string(&mut content) {
        Ok(_) => {}
        Err(_) => return Err("the token file is not UTF-8 text".to_string()),
    }
    if content.trim().is_empty() {
        return Ok(None);
    }
    match Token::new(&content) {
        Some(t) => Ok(Some(t)),
        None => Err("the token file holds more than one token-like line".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn cfg(vars: &[(&str, &str)]) -> HubConfig {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        HubConfig::from_vars(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults() {
        let c = cfg(&[("HOME", "/home/u")]);
        assert_eq!(c.endpoint, DEFAULT_ENDPOINT);
        assert_eq!(c.hf_home, PathBuf::from("/home/u/.cache/huggingface"));
        assert_eq!(c.cache_dir, PathBuf::from("/home/u/.cache/huggingface/hub"));
        assert!(!c.offline);
        assert!(c.token.is_none());
    }

    #[test]
    fn overrides() {
        let c = cfg(&[
            ("HOME", "/home/u"),
            ("HF_ENDPOINT", "http://127.0.0.1:9/"),
            ("HF_HOME", "~/hf"),
            ("HF_HUB_OFFLINE", "Yes"),
            ("HF_TOKEN", " hf_secret\n"),
        ]);
        assert_eq!(c.endpoint, "http://127.0.0.1:9");
        assert_eq!(c.cache_dir, PathBuf::from("/home/u/hf/hub"));
        assert!(c.offline);
        assert_eq!(c.token.as_ref().map(Token::expose), Some("hf_secret"));
        assert_eq!(c.token_source, Some(TokenSource::Env("HF_TOKEN")));
        let shown = format!(
            "{c:?} {}",
            c.token.as_ref().map(|t| t.to_string()).unwrap_or_default()
        );
        assert!(!shown.contains("hf_secret"), "{shown}");
        assert!(!cfg(&[("HF_HUB_OFFLINE", "0")]).offline);
        let c = cfg(&[("HF_HUB_CACHE", "/c"), ("HF_HOME", "/h")]);
        assert_eq!(c.cache_dir, PathBuf::from("/c"));
    }

    #[test]
    fn token_files() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().to_str().unwrap();
        std::fs::write(dir.path().join("token"), "hf_fromhome\n").unwrap();
        let c = cfg(&[("HF_HOME", home)]);
        assert_eq!(c.token.as_ref().map(Token::expose), Some("hf_fromhome"));
        let other = dir.path().join("other");
        std::fs::write(&other, "hf_frompath").unwrap();
        let c = cfg(&[
            ("HF_HOME", home),
            ("HF_TOKEN_PATH", other.to_str().unwrap()),
        ]);
        assert_eq!(c.token.as_ref().map(Token::expose), Some("hf_frompath"));
        let c = cfg(&[("HF_HOME", home), ("HF_TOKEN", "hf_env")]);
        assert_eq!(c.token.as_ref().map(Token::expose), Some("hf_env"));
        std::fs::write(&other, "hf_a\nhf_b\n").unwrap();
        let c = cfg(&[
            ("HF_HOME", home),
            ("HF_TOKEN_PATH", other.to_str().unwrap()),
        ]);
        assert!(c.token.is_none());
        assert_eq!(c.warnings.len(), 1);
        assert!(!c.warnings[0].contains("hf_a"));
        let c = cfg(&[("HF_HOME", "/nonexistent-dir-xyz")]);
        assert!(c.token.is_none() && c.warnings.is_empty());
    }
}
