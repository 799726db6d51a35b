//! The Hub's JSON answers, parsed into our own types and normalised into one listing.
//!
//! Two endpoints describe the files of a revision and both are read: the revision API
//! (`siblings`, with `lfs.sha256`) and the tree API (`oid`, `lfs.oid`, per-file scan
//! status). Each checks the other; a server whose two answers disagree is not trusted.
//! Unknown fields are ignored, so the Hub can add fields without breaking us; a known
//! field of the wrong type is an error.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::Value;

use crate::hub::repo_ref::RepoRef;

/// Most files one listing may hold; a larger answer is refused rather than held in memory.
pub(crate) const MAX_LISTING_FILES: usize = 1_000_000;

/// Longest string from the server kept for a message (scan status names and the like).
const MAX_SERVER_STRING: usize = 200;

/// `GET /api/{kind}/{repo}/revision/{rev}?blobs=true&securityStatus=true`.
#[derive(Debug, Deserialize)]
pub struct RevisionInfo {
    pub sha: Option<String>,
    #[serde(default)]
    pub siblings: Option<Vec<Sibling>>,
    #[serde(rename = "securityRepoStatus", default)]
    pub security_repo_status: Option<Value>,
    #[serde(rename = "cardData", default)]
    pub card_data: Option<Value>,
    /// `false`, `"auto"` or `"manual"`.
    #[serde(default)]
    pub gated: Option<Value>,
    #[serde(default)]
    pub private: Option<bool>,
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(rename = "lastModified", default)]
    pub last_modified: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct Sibling {
    pub rfilename: String,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(rename = "blobId", default)]
    pub blob_id: Option<String>,
    #[serde(default)]
    pub lfs: Option<LfsInfo>,
}

/// `lfs` of a sibling (`sha256`) or of a tree entry (`oid`): the same fact, two names.
#[derive(Debug, Deserialize)]
pub struct LfsInfo {
    #[serde(default)]
    pub sha256: Option<String>,
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(rename = "pointerSize", default)]
    pub pointer_size: Option<u64>,
}

impl LfsInfo {
    fn sha256(&self) -> Result<String, String> {
        let (a, b) = (self.sha256.as_deref(), self.oid.as_deref());
        let raw = match (a, b) {
            (Some(a), Some(b)) if !a.eq_ignore_ascii_case(b) => {
                return Err("lfs.sha256 and lfs.oid disagree".to_string())
            }
            (Some(v), _) | (None, Some(v)) => v,
            (None, None) => return Err("an LFS file without a SHA-256".to_string()),
        };
        // Git LFS writes `sha256:<hex>` in pointers; accept the prefix if a server does too.
        hex_digest(raw.strip_prefix("sha256:").unwrap_or(raw), 64)
            .ok_or_else(|| format!("LFS SHA-256 {:?} is not 64 hex digits", printable(raw, 80)))
    }
}

/// One entry of `GET /api/{kind}/{repo}/tree/{rev}?recursive=true&expand=true`.
#[derive(Debug, Deserialize)]
pub struct TreeEntry {
    #[serde(rename = "type")]
    pub kind: String,
    pub path: String,
    #[serde(default)]
    pub oid: Option<String>,
    #[serde(default)]
    pub size: Option<u64>,
    #[serde(default)]
    pub lfs: Option<LfsInfo>,
    #[serde(rename = "securityFileStatus", default)]
    pub security_file_status: Option<Value>,
}

/// The Hub's own scan verdict for one file: advisory, never a reason to trust a file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SecurityStatus {
    /// Aggregate status (`safe`, `unsafe`, `caution`, `unscanned`, ...).
    pub status: Option<String>,
    /// Scanner name (`avScan`, `pickleImportScan`, ...) to its status.
    pub scanners: BTreeMap<String, String>,
}

impl SecurityStatus {
    pub(crate) fn from_value(v: &Value) -> Option<SecurityStatus> {
        let obj = v.as_object()?;
        let status = obj
            .get("status")
            .and_then(Value::as_str)
            .map(|s| printable(s, MAX_SERVER_STRING));
        let mut scanners = BTreeMap::new();
        for (name, inner) in obj.iter().take(64) {
            if let Some(s) = inner.get("status").and_then(Value::as_str) {
                scanners.insert(printable(name, 64), printable(s, MAX_SERVER_STRING));
            }
        }
        if status.is_none() && scanners.is_empty() {
            return None;
        }
        Some(SecurityStatus { status, scanners })
    }

    /// `safe` (or nothing said) means there is nothing to tell the user.
    pub(crate) fn is_safe(&self) -> bool {
        self.status.as_deref().is_none_or(|s| s == "safe")
            && self
                .scanners
                .values()
                .all(|s| s == "safe" || s == "unscanned")
    }

    pub fn summary(&self) -> String {
        let mut parts = Vec::new();
        for (k, v) in &self.scanners {
            parts.push(format!("{k}: {v}"));
        }
        let head = self.status.as_deref().unwrap_or("no verdict");
        if parts.is_empty() {
            head.to_string()
        } else {
            format!("{head} ({})", parts.join(", "))
        }
    }
}

/// `securityRepoStatus`: whether scans ran, and which files they flagged.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RepoSecurity {
    pub scans_done: Option<bool>,
    /// (path, level) pairs as the Hub reported them.
    pub files_with_issues: Vec<(String, String)>,
}

impl RepoSecurity {
    pub(crate) fn from_value(v: &Value) -> Option<RepoSecurity> {
        let obj = v.as_object()?;
        let scans_done = obj.get("scansDone").and_then(Value::as_bool);
        let files_with_issues = obj
            .get("filesWithIssues")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .take(10_000)
                    .filter_map(|f| {
                        let path = f.get("path").and_then(Value::as_str)?;
                        let level = f.get("level").and_then(Value::as_str).unwrap_or("flagged");
                        Some((
                            printable(path, MAX_SERVER_STRING),
                            printable(level, MAX_SERVER_STRING),
                        ))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Some(RepoSecurity {
            scans_done,
            files_with_issues,
        })
    }
}

/// One file of one commit, as the Hub describes it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteFile {
    /// Relative POSIX path, validated (no `..`, not absolute, no control characters).
    pub path: String,
    /// Content size (for LFS files the LFS object's size, not the pointer's).
    pub size: u64,
    /// Git blob SHA-1, lowercase hex: of the content, or of the pointer for LFS files.
    pub blob_id: String,
    /// LFS object SHA-256, lowercase hex; `None` for files stored in Git.
    pub lfs_sha256: Option<String>,
    pub security_status: Option<SecurityStatus>,
}

/// Every file of one commit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteListing {
    /// The repository at the revision the user named.
    pub repo: RepoRef,
    /// The endpoint that answered.
    pub endpoint: String,
    /// The commit the revision resolved to (40 hex).
    pub commit: String,
    /// Sorted by path.
    pub files: Vec<RemoteFile>,
    pub repo_security: Option<RepoSecurity>,
    /// `gated` as the Hub said it (`false`, `auto`, `manual`).
    pub gated: Option<String>,
    pub private: Option<bool>,
    /// Pages of the tree API read.
    pub tree_pages: usize,
}

/// Lowercase hex of exactly `len` digits, or `None`.
pub(crate) fn hex_digest(s: &str, len: usize) -> Option<String> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_hexdigit())).then(|| s.to_ascii_lowercase())
}

/// A server string made safe to print (the crate-wide rule in [`crate::display`]).
pub use crate::display::safe_text as printable;

/// A repository path from the server, accepted only if it cannot name anything outside
/// the folder it is joined to, and prints as itself.
pub(crate) fn validate_remote_path(path: &str) -> Result<(), String> {
    let shown = printable(path, MAX_SERVER_STRING);
    if path.is_empty() || path.len() > 4096 {
        return Err(format!(
            "the Hub listed a file with an empty or overlong path {shown:?}"
        ));
    }
    // `C:x` is a drive path on Windows, where these names become file names.
    let drive = path.as_bytes().get(1) == Some(&b':');
    if path.starts_with('/') || path.contains('\\') || drive {
        return Err(format!("the Hub listed an absolute path {shown:?}"));
    }
    // Bidirectional overrides too: a name that reorders what a reviewer reads is refused
    // like a control character (the same set display::safe_text escapes).
    if path
        .chars()
        .any(|c| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'))
    {
        return Err(format!(
            "the Hub listed a path with control or bidirectional-override characters {shown:?}"
        ));
    }
    if path
        .split('/')
        .any(|c| c.is_empty() || c == "." || c == "..")
    {
        return Err(format!(
            "the Hub listed a path with an empty, '.' or '..' component {shown:?}"
        ));
    }
    Ok(())
}

/// The commit from a revision answer.
pub(crate) fn commit_of(info: &RevisionInfo) -> Result<String, String> {
    let sha = info
        .sha
        .as_deref()
        .ok_or("the Hub's revision answer has no commit (sha)")?;
    hex_digest(sha, 40).ok_or_else(|| {
        format!(
            "the Hub's commit {:?} is not 40 hex digits",
            printable(sha, 80)
        )
    })
}

fn file_from_sibling(s: &Sibling) -> Result<RemoteFile, String> {
    validate_remote_path(&s.rfilename)?;
    let shown = printable(&s.rfilename, MAX_SERVER_STRING);
    let blob_id = s
        .blob_id
        .as_deref()
        .ok_or_else(|| format!("{shown}: the Hub gave no blobId"))?;
    let blob_id =
        hex_digest(blob_id, 40).ok_or_else(|| format!("{shown}: blobId is not 40 hex digits"))?;
    let (size, lfs_sha256) = match &s.lfs {
        Some(lfs) => {
            let sha = lfs.sha256().map_err(|e| format!("{shown}: {e}"))?;
            let size = lfs
                .size
                .or(s.size)
                .ok_or_else(|| format!("{shown}: the Hub gave no size"))?;
            (size, Some(sha))
        }
        None => (
            s.size
                .ok_or_else(|| format!("{shown}: the Hub gave no size"))?,
            None,
        ),
    };
    Ok(RemoteFile {
        path: s.rfilename.clone(),
        size,
        blob_id,
        lfs_sha256,
        security_status: None,
    })
}

/// A file entry of the tree API, or `None` for a directory.
pub(crate) fn file_from_tree_entry(e: &TreeEntry) -> Result<Option<RemoteFile>, String> {
    validate_remote_path(&e.path)?;
    let shown = printable(&e.path, MAX_SERVER_STRING);
    match e.kind.as_str() {
        "directory" => return Ok(None),
        "file" => {}
        other => {
            return Err(format!(
                "{shown}: unknown tree entry type {:?}",
                printable(other, 40)
            ))
        }
    }
    let oid = e
        .oid
        .as_deref()
        .ok_or_else(|| format!("{shown}: the tree entry has no oid"))?;
    let blob_id =
        hex_digest(oid, 40).ok_or_else(|| format!("{shown}: oid is not 40 hex digits"))?;
    let (size, lfs_sha256) = match &e.lfs {
        Some(lfs) => {
            let sha = lfs.sha256().map_err(|x| format!("{shown}: {x}"))?;
            let size = lfs
                .size
                .or(e.size)
                .ok_or_else(|| format!("{shown}: the tree entry has no size"))?;
            (size, Some(sha))
        }
        None => (
            e.size
                .ok_or_else(|| format!("{shown}: the tree entry has no size"))?,
            None,
        ),
    };
    Ok(Some(RemoteFile {
        path: e.path.clone(),
        size,
        blob_id,
        lfs_sha256,
        security_status: e
            .security_file_status
            .as_ref()
            .and_then(SecurityStatus::from_value),
    }))
}

/// Joins the two descriptions of one commit. Every file must appear in both with the same
/// hashes and size; otherwise the server is inconsistent and nothing it says is used.
pub(crate) fn merge_listing(
    repo: &RepoRef,
    endpoint: &str,
    info: &RevisionInfo,
    tree: Vec<TreeEntry>,
    tree_pages: usize,
) -> Result<RemoteListing, String> {
    let commit = commit_of(info)?;
    let siblings = info
        .siblings
        .as_ref()
        .ok_or("the Hub's revision answer lists no files (siblings)")?;
    if siblings.len() > MAX_LISTING_FILES || tree.len() > MAX_LISTING_FILES {
        return Err(format!(
            "the repository lists more than {MAX_LISTING_FILES} files; not compared"
        ));
    }
    let mut by_path: BTreeMap<String, RemoteFile> = BTreeMap::new();
    for s in siblings {
        let f = file_from_sibling(s)?;
        if by_path.insert(f.path.clone(), f).is_some() {
            return Err(format!(
                "the Hub listed {} twice",
                printable(&s.rfilename, MAX_SERVER_STRING)
            ));
        }
    }
    let mut seen = std::collections::BTreeSet::new();
    for e in &tree {
        let Some(t) = file_from_tree_entry(e)? else {
            continue;
        };
        let shown = printable(&t.path, MAX_SERVER_STRING);
        if !seen.insert(t.path.clone()) {
            return Err(format!("the tree API listed {shown} twice"));
        }
        let Some(f) = by_path.get_mut(&t.path) else {
            return Err(format!(
                "the tree API lists {shown}, which the revision API does not: the Hub's answers disagree"
            ));
        };
        if f.blob_id != t.blob_id || f.lfs_sha256 != t.lfs_sha256 || f.size != t.size {
            return Err(format!(
                "the revision and tree APIs give {shown} different hashes or sizes: the Hub's answers disagree"
            ));
        }
        f.security_status = t.security_status;
    }
    if let Some(p) = by_path.keys().find(|p| !seen.contains(*p)) {
        return Err(format!(
            "the revision API lists {}, which the tree API does not: the Hub's answers disagree",
            printable(p, MAX_SERVER_STRING)
        ));
    }
    let gated = info.gated.as_ref().map(|g| match g {
        Value::String(s) => printable(s, 40),
        other => printable(&other.to_string(), 40),
    });
    Ok(RemoteListing {
        repo: repo.clone(),
        endpoint: endpoint.to_string(),
        commit,
        files: by_path.into_values().collect(),
        repo_security: info
            .security_repo_status
            .as_ref()
            .and_then(RepoSecurity::from_value),
        gated,
        private: info.private,
        tree_pages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA1: &str = "3b18e512dba79e4c8300dd08aeb37f8e728b8dad";
    const SHA256: &str = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";

    fn info(json: &str) -> RevisionInfo {
        serde_json::from_str(json).unwrap()
    }

    fn repo() -> RepoRef {
        RepoRef::parse("org/name").unwrap()
    }

    #[test]
    fn merges_both_spellings_of_lfs() {
        let i = info(&format!(
            r#"{{"sha":"{c}","unknown":1,"siblings":[
                {{"rfilename":"a.txt","size":12,"blobId":"{SHA1}"}},
                {{"rfilename":"w.bin","size":3000,"blobId":"{SHA1}","lfs":{{"sha256":"{SHA256}","size":3000,"pointerSize":130}}}}],
                "securityRepoStatus":{{"scansDone":true,"filesWithIssues":[{{"path":"w.bin","level":"unsafe"}}]}},
                "gated":"manual"}}"#,
            c = "a".repeat(40)
        ));
        let tree: Vec<TreeEntry> = serde_json::from_str(&format!(
            r#"[{{"type":"directory","oid":"{SHA1}","size":0,"path":"d"}},
               {{"type":"file","oid":"{SHA1}","size":12,"path":"a.txt"}},
               {{"type":"file","oid":"{SHA1}","size":130,"path":"w.bin","lfs":{{"oid":"{SHA256}","size":3000,"pointerSize":130}},
                 "securityFileStatus":{{"status":"unsafe","avScan":{{"status":"safe"}},"pickleImportScan":{{"status":"unsafe","pickleImports":[]}}}}}}]"#
        ))
        .unwrap();
        let l = merge_listing(&repo(), "https://x", &i, tree, 1).unwrap();
        assert_eq!(l.commit, "a".repeat(40));
        assert_eq!(l.files.len(), 2);
        assert_eq!(l.files[1].lfs_sha256.as_deref(), Some(SHA256));
        assert_eq!(l.files[1].size, 3000);
        let s = l.files[1].security_status.as_ref().unwrap();
        assert!(!s.is_safe());
        assert_eq!(
            s.summary(),
            "unsafe (avScan: safe, pickleImportScan: unsafe)"
        );
        assert_eq!(l.gated.as_deref(), Some("manual"));
        let rs = l.repo_security.unwrap();
        assert_eq!(
            rs.files_with_issues,
            vec![("w.bin".into(), "unsafe".into())]
        );
    }

    #[test]
    fn disagreement_and_bad_values_are_errors() {
        let c = "b".repeat(40);
        let ok_sib = format!(r#"{{"rfilename":"a.txt","size":12,"blobId":"{SHA1}"}}"#);
        let tree_ok = || -> Vec<TreeEntry> {
            serde_json::from_str(&format!(
                r#"[{{"type":"file","oid":"{SHA1}","size":12,"path":"a.txt"}}]"#
            ))
            .unwrap()
        };
        let i = info(&format!(r#"{{"sha":"{c}","siblings":[{ok_sib}]}}"#));
        assert!(merge_listing(&repo(), "e", &i, tree_ok(), 1).is_ok());
        assert!(merge_listing(&repo(), "e", &i, vec![], 1).is_err());
        let bad = [
            format!(r#"{{"sha":"xyz","siblings":[{ok_sib}]}}"#),
            format!(r#"{{"sha":"{c}"}}"#),
            format!(r#"{{"sha":"{c}","siblings":[{ok_sib},{ok_sib}]}}"#),
            format!(
                r#"{{"sha":"{c}","siblings":[{{"rfilename":"../a.txt","size":12,"blobId":"{SHA1}"}}]}}"#
            ),
            format!(
                r#"{{"sha":"{c}","siblings":[{{"rfilename":"/etc/passwd","size":12,"blobId":"{SHA1}"}}]}}"#
            ),
            format!(
                r#"{{"sha":"{c}","siblings":[{{"rfilename":"a.txt","size":12,"blobId":"abc"}}]}}"#
            ),
            format!(
                r#"{{"sha":"{c}","siblings":[{{"rfilename":"a.txt","size":12,"blobId":"{SHA1}","lfs":{{"size":1}}}}]}}"#
            ),
            format!(
                r#"{{"sha":"{c}","siblings":[{{"rfilename":"a.txt","size":13,"blobId":"{SHA1}"}}]}}"#
            ),
        ];
        for b in bad {
            let i = info(&b);
            assert!(
                merge_listing(&repo(), "e", &i, tree_ok(), 1).is_err(),
                "{b}"
            );
        }
        assert!(serde_json::from_str::<RevisionInfo>(
            r#"{"sha":"a","siblings":[{"rfilename":1}]}"#
        )
        .is_err());
    }

    #[test]
    fn paths_and_strings() {
        for bad in [
            "",
            "/a",
            "a/../b",
            "a//b",
            "./a",
            "a\\b",
            "C:x",
            "a\nb",
            "evil\u{202e}lmth.bin",
        ] {
            assert!(validate_remote_path(bad).is_err(), "{bad:?}");
        }
        for good in ["a", "a/b.bin", ".gitattributes", "a..b/c"] {
            assert!(validate_remote_path(good).is_ok(), "{good:?}");
        }
        assert_eq!(printable("a\u{1b}[2Jb", 100), "a\\u{1b}[2Jb");
        assert_eq!(printable("abcdef", 3), "abc…");
    }
}
