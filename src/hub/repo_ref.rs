//! Names of Hub repositories as users write them: `hf://org/name@rev`,
//! `hf://datasets/org/name`, `https://huggingface.co/org/name/tree/rev`, or a bare
//! `org/name`.
//!
//! Repository ids and revisions end up in URL paths and cache folder names, so both are
//! validated here, once, with the Hub's own rules where they are known.

use std::fmt;

/// Revision used when none is named, as `huggingface_hub` does.
pub(crate) const DEFAULT_REVISION: &str = "main";

/// Longest repository id the Hub accepts (`huggingface_hub` validates the same bound).
const MAX_REPO_ID_LEN: usize = 96;

/// Git refs have no hard limit; this only keeps hostile input out of URLs and messages.
const MAX_REVISION_LEN: usize = 256;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RepoKind {
    Model,
    Dataset,
    Space,
}

impl RepoKind {
    /// The `{models|datasets|spaces}` segment of API paths; also the cache folder prefix.
    pub(crate) fn plural(self) -> &'static str {
        match self {
            RepoKind::Model => "models",
            RepoKind::Dataset => "datasets",
            RepoKind::Space => "spaces",
        }
    }

    /// Prefix of web and `resolve` URLs: models have none.
    pub(crate) fn url_prefix(self) -> &'static str {
        match self {
            RepoKind::Model => "",
            RepoKind::Dataset => "datasets/",
            RepoKind::Space => "spaces/",
        }
    }

    pub(crate) fn from_plural(s: &str) -> Option<RepoKind> {
        match s {
            "models" => Some(RepoKind::Model),
            "datasets" => Some(RepoKind::Dataset),
            "spaces" => Some(RepoKind::Space),
            _ => None,
        }
    }
}

/// One revision of one repository.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoRef {
    pub kind: RepoKind,
    /// `org/name` (or a legacy single-segment `name`).
    pub id: String,
    /// Branch, tag or commit, decoded (`refs/pr/1`, not `refs%2Fpr%2F1`).
    pub revision: String,
    /// Origin (`https://host[:port]`) when the user wrote a URL; `None` means the
    /// configured endpoint.
    pub endpoint: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepoRefError(pub String);

impl fmt::Display for RepoRefError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RepoRefError {}

fn err<T>(input: &str, why: impl fmt::Display) -> Result<T, RepoRefError> {
    Err(RepoRefError(format!(
        "{}: {why}",
        crate::hub::api::printable(input, 200)
    )))
}

/// Single-segment names that are Hub pages, not legacy model ids (`hf://datasets` is a
/// typo for a dataset, not a model called "datasets").
const RESERVED_FIRST_SEGMENTS: &[&str] = &["api", "datasets", "spaces", "models", "docs"];

impl RepoRef {
    /// Whether `input` names a remote repository rather than a local path: the CLI calls
    /// this before falling back to [`RepoRef::parse`] on a bare `org/name`.
    pub(crate) fn looks_remote(input: &str) -> bool {
        input.starts_with("hf://") || input.starts_with("https://") || input.starts_with("http://")
    }

    pub fn parse(input: &str) -> Result<RepoRef, RepoRefError> {
        let trimmed = input.trim();
        if trimmed.is_empty() {
            return err(input, "empty repository name");
        }
        if let Some(rest) = trimmed.strip_prefix("hf://") {
            return parse_hf_scheme(input, rest);
        }
        if trimmed.starts_with("https://") || trimmed.starts_with("http://") {
            return parse_url(input, trimmed);
        }
        // A bare name must be `org/name`: a single word is more likely a local path typo.
        let (id, revision) = split_at_revision(trimmed);
        let revision = match revision {
            Some(r) => decode_revision(input, r)?,
            None => DEFAULT_REVISION.to_string(),
        };
        if id.split('/').count() != 2 {
            return err(
                input,
                "expected org/name, hf://org/name[@revision] or a Hub URL",
            );
        }
        validate_repo_id(input, id)?;
        Ok(RepoRef {
            kind: RepoKind::Model,
            id: id.to_string(),
            revision,
            endpoint: None,
        })
    }

    /// The revision as one URL path segment (`refs/pr/1` -> `refs%2Fpr%2F1`).
    pub(crate) fn revision_segment(&self) -> String {
        encode_segment(&self.revision)
    }

    /// The folder `huggingface_hub` caches this repository in: `models--org--name`.
    pub(crate) fn cache_folder(&self) -> String {
        crate::hf::cache_layout::folder_name(self.kind.plural(), &self.id)
    }

    /// `hf://datasets/org/name@rev`, the form the report shows.
    pub(crate) fn display_name(&self) -> String {
        format!("hf://{}{}", self.kind.url_prefix(), self.id)
    }

    /// Same repository at another revision (a commit, after resolution).
    pub fn at(&self, revision: &str) -> RepoRef {
        RepoRef {
            revision: revision.to_string(),
            ..self.clone()
        }
    }
}

impl fmt::Display for RepoRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}@{}", self.display_name(), self.revision)
    }
}

/// `org/name@rev`: the revision is everything after the first `@` (refs may hold `/`).
fn split_at_revision(s: &str) -> (&str, Option<&str>) {
    match s.split_once('@') {
        Some((id, rev)) => (id, Some(rev)),
        None => (s, None),
    }
}

fn parse_hf_scheme(input: &str, rest: &str) -> Result<RepoRef, RepoRefError> {
    let (path, revision) = split_at_revision(rest);
    let path = path.trim_end_matches('/');
    let (kind, id) = match path.split_once('/') {
        Some(("datasets", id)) => (RepoKind::Dataset, id),
        Some(("spaces", id)) => (RepoKind::Space, id),
        _ => (RepoKind::Model, path),
    };
    if id.split('/').count() > 2 {
        return err(
            input,
            "a path inside a repository is not supported here; name the repository (hf://org/name[@revision])",
        );
    }
    validate_repo_id(input, id)?;
    if id.split('/').count() == 1 && RESERVED_FIRST_SEGMENTS.contains(&id) {
        return err(input, "expected hf://org/name");
    }
    let revision = match revision {
        Some(r) => decode_revision(input, r)?,
        None => DEFAULT_REVISION.to_string(),
    };
    Ok(RepoRef {
        kind,
        id: id.to_string(),
        revision,
        endpoint: None,
    })
}

fn parse_url(input: &str, url: &str) -> Result<RepoRef, RepoRefError> {
    let (scheme, rest) = url.split_once("://").unwrap_or(("https", url));
    // Query and fragment say nothing about which repository is meant.
    let rest = rest.split(['?', '#']).next().unwrap_or("");
    let (authority, path) = match rest.split_once('/') {
        Some((a, p)) => (a, p),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return err(input, "URLs with a user name or password are not accepted");
    }
    if authority.is_empty()
        || !authority
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-.:[]".contains(c))
    {
        return err(input, "not a valid host");
    }
    let host = authority.to_ascii_lowercase();
    let endpoint = if host == "hf.co" || host == "www.huggingface.co" {
        "https://huggingface.co".to_string()
    } else {
        format!("{scheme}://{host}")
    };
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let (kind, rest) = match segments.first().and_then(|s| RepoKind::from_plural(s)) {
        Some(kind @ (RepoKind::Dataset | RepoKind::Space)) => (kind, &segments[1..]),
        _ => (RepoKind::Model, &segments[..]),
    };
    // The repository id ends where a page of it (`tree/`, `blob/`, ...) starts.
    let id_len = rest
        .iter()
        .position(|s| matches!(*s, "tree" | "blob" | "resolve" | "commit" | "discussions"))
        .unwrap_or(rest.len());
    let id_parts = &rest[..id_len];
    if id_parts.is_empty() || id_parts.len() > 2 {
        return err(
            input,
            "expected a repository URL such as https://huggingface.co/org/name",
        );
    }
    let id = id_parts.join("/");
    validate_repo_id(input, &id)?;
    if id_parts.len() == 1 && RESERVED_FIRST_SEGMENTS.contains(&id.as_str()) {
        return err(
            input,
            "expected a repository URL such as https://huggingface.co/org/name",
        );
    }
    let page = &rest[id_len..];
    let revision = match page {
        [] => DEFAULT_REVISION.to_string(),
        ["tree", rev] => decode_revision(input, rev)?,
        ["tree", ..] => {
            return err(
                input,
                "a folder inside a repository is not supported; name the repository or its /tree/<revision>",
            )
        }
        _ => {
            return err(
                input,
                "expected https://host/org/name or https://host/org/name/tree/<revision>",
            )
        }
    };
    Ok(RepoRef {
        kind,
        id,
        revision,
        endpoint: Some(endpoint),
    })
}

/// The Hub's repository id rules (as `huggingface_hub.validate_repo_id` states them):
/// one or two parts of `[A-Za-z0-9_.-]`, no `--` or `..`, no leading or trailing `-`/`.`,
/// no `.git` suffix, at most 96 characters.
pub(crate) fn validate_repo_id(input: &str, id: &str) -> Result<(), RepoRefError> {
    if id.is_empty() {
        return err(input, "empty repository name");
    }
    if id.len() > MAX_REPO_ID_LEN {
        return err(
            input,
            format!("repository id longer than {MAX_REPO_ID_LEN} characters"),
        );
    }
    let parts: Vec<&str> = id.split('/').collect();
    if parts.len() > 2 {
        return err(input, "a repository id is org/name");
    }
    for part in &parts {
        if part.is_empty() {
            return err(input, "empty part in the repository id");
        }
        if !part
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return err(
                input,
                "a repository id may only contain letters, digits, '-', '_' and '.'",
            );
        }
        if part.starts_with(['-', '.']) || part.ends_with(['-', '.']) {
            return err(
                input,
                "a repository id part cannot start or end with '-' or '.'",
            );
        }
    }
    if id.contains("--") || id.contains("..") {
        return err(input, "'--' and '..' are not allowed in a repository id");
    }
    if id.ends_with(".git") {
        return err(input, "a repository id cannot end with .git");
    }
    Ok(())
}

fn decode_revision(input: &str, raw: &str) -> Result<String, RepoRefError> {
    let Some(decoded) = percent_decode(raw) else {
        return err(input, "the revision is not valid percent-encoded UTF-8");
    };
    validate_revision(input, &decoded)?;
    Ok(decoded)
}

/// Git's ref-name rules, loosely: whatever passes cannot change the meaning of the URL
/// path it is encoded into, or of a message it is printed in.
pub(crate) fn validate_revision(input: &str, rev: &str) -> Result<(), RepoRefError> {
    if rev.is_empty() {
        return err(input, "empty revision after '@'");
    }
    if rev.len() > MAX_REVISION_LEN {
        return err(
            input,
            format!("revision longer than {MAX_REVISION_LEN} bytes"),
        );
    }
    if rev.chars().any(|c| c.is_control() || c == '\\' || c == ' ') {
        return err(
            input,
            "the revision holds spaces, backslashes or control characters",
        );
    }
    if rev
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
        || rev.contains("..")
    {
        return err(input, "the revision has an empty, '.' or '..' component");
    }
    Ok(())
}

/// `%XX` decoding; `None` on a malformed escape or bytes that are not UTF-8.
pub(crate) fn percent_decode(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hi = (*bytes.get(i + 1)? as char).to_digit(16)?;
            let lo = (*bytes.get(i + 2)? as char).to_digit(16)?;
            out.push((hi * 16 + lo) as u8);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a value is always
/// exactly one path segment (`quote(value, safe="")` in Python).
pub(crate) fn encode_segment(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A repository file path in a URL: each component encoded, `/` kept.
pub fn encode_path(path: &str) -> String {
    path.split('/')
        .map(encode_segment)
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(s: &str) -> RepoRef {
        RepoRef::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn forms_users_write() {
        let r = ok("hf://org/name");
        assert_eq!(
            (r.kind, r.id.as_str(), r.revision.as_str()),
            (RepoKind::Model, "org/name", "main")
        );
        assert_eq!(r.endpoint, None);
        let r = ok("hf://org/name@v1.0");
        assert_eq!(r.revision, "v1.0");
        let r = ok("hf://datasets/org/data@refs/pr/1");
        assert_eq!(
            (r.kind, r.revision.as_str()),
            (RepoKind::Dataset, "refs/pr/1")
        );
        assert_eq!(r.revision_segment(), "refs%2Fpr%2F1");
        assert_eq!(r.cache_folder(), "datasets--org--data");
        let r = ok("hf://spaces/org/app");
        assert_eq!(r.kind, RepoKind::Space);
        let r = ok("org/name");
        assert_eq!((r.id.as_str(), r.revision.as_str()), ("org/name", "main"));
        let r = ok("org/name@refs%2Fpr%2F3");
        assert_eq!(r.revision, "refs/pr/3");
        let r = ok("hf://gpt2");
        assert_eq!(r.id, "gpt2");
    }

    #[test]
    fn urls() {
        let r = ok("https://huggingface.co/org/name");
        assert_eq!(r.endpoint.as_deref(), Some("https://huggingface.co"));
        assert_eq!(r.revision, "main");
        let r = ok("https://huggingface.co/org/name/tree/refs%2Fpr%2F1");
        assert_eq!(r.revision, "refs/pr/1");
        let r = ok("https://hf.co/datasets/org/d/tree/v2/");
        assert_eq!((r.kind, r.revision.as_str()), (RepoKind::Dataset, "v2"));
        assert_eq!(r.endpoint.as_deref(), Some("https://huggingface.co"));
        let r = ok("http://127.0.0.1:8080/org/name/tree/dev?x=1#top");
        assert_eq!(r.endpoint.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(r.revision, "dev");
        let r = ok("https://Hub.Example.com/org/name");
        assert_eq!(r.endpoint.as_deref(), Some("https://hub.example.com"));
    }

    #[test]
    fn rejects() {
        for bad in [
            "",
            "name",
            "a/b/c",
            "hf://org/../x",
            "hf://org/name/sub/file",
            "hf://../etc",
            "org//name",
            "org/na me",
            "org/-name",
            "org/name.git",
            "org--x/name",
            "hf://org/name@",
            "hf://org/name@a/../b",
            "hf://org/name@%zz",
            "hf://org/name@a%0Ab",
            "https://user:pw@huggingface.co/org/name",
            "https://huggingface.co/org/name/tree/main/sub",
            "https://huggingface.co/",
            "https://huggingface.co/datasets",
            "org/name\u{1b}[2J",
        ] {
            assert!(RepoRef::parse(bad).is_err(), "{bad:?} was accepted");
        }
        let long = format!("org/{}", "a".repeat(100));
        assert!(RepoRef::parse(&long).is_err());
    }

    #[test]
    fn encoding() {
        assert_eq!(encode_segment("refs/pr/1"), "refs%2Fpr%2F1");
        assert_eq!(encode_path("sub dir/a+b.bin"), "sub%20dir/a%2Bb.bin");
        assert_eq!(percent_decode("a%2Fb").as_deref(), Some("a/b"));
        assert_eq!(percent_decode("%ff"), None);
        assert_eq!(percent_decode("%4"), None);
    }
}
