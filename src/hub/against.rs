//! `modelvet verify PATH --against hf://org/name[@rev]`: a local copy compared file by
//! file with what the Hub publishes for one commit.
//!
//! LFS files are compared by SHA-256 (the Hub's `lfs.sha256`), files stored in Git by
//! their Git blob SHA-1 (the Hub's `blobId`); both come from one read of each local file.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use crate::hub::api::{RemoteFile, RemoteListing};
use crate::hub::client::{HubClient, HubErrorKind};
use crate::hub::env::HubConfig;
use crate::hub::repo_ref::RepoRef;
use crate::provenance::digest::{self, HashAlgorithm};
use crate::provenance::outcome::{ChangedFile, RemoteRef, Verification};

/// Local files walked before giving up: a folder this large is not a model repository.
const MAX_LOCAL_FILES: usize = 1_000_000;

/// Folder depth walked; deeper trees are reported, not followed.
const MAX_DEPTH: usize = 64;

/// Advisory Hub scan notes kept; the rest are counted.
const MAX_SCAN_NOTES: usize = 50;

/// Folders at the root of a local copy that are tooling state, not repository content:
/// Git's own, and the metadata `huggingface_hub` keeps in a `local_dir` download.
const IGNORED_ROOT_DIRS: &[&str] = &[".git", ".cache/huggingface"];

/// One local file to compare.
#[derive(Clone, Debug)]
struct LocalFile {
    /// POSIX path relative to the root, as the Hub names files.
    rel: String,
    /// What to read: the file itself, or the target of a symbolic link.
    read: PathBuf,
}

#[derive(Debug, Default)]
struct LocalTree {
    files: BTreeMap<String, LocalFile>,
    /// Entries that exist but could not be compared, with why (a dangling link, a link
    /// out of the allowed root, an unreadable folder).
    unusable: BTreeMap<String, String>,
    /// Problems with the walk as a whole (too many files, too deep).
    problems: Vec<String>,
    /// When the folder is a snapshot in the Hugging Face cache: its commit folder name.
    cache_snapshot: Option<String>,
}

pub fn verify_against(local: &Path, remote: &str, config: &HubConfig) -> Verification {
    let mut v = Verification::new("hub", &local.display().to_string());
    let repo = match RepoRef::parse(remote) {
        Ok(r) => r,
        Err(e) => {
            v.incomplete(format!("not a Hub repository: {e}"));
            v.conclude();
            return v;
        }
    };
    let endpoint = repo
        .endpoint
        .clone()
        .unwrap_or_else(|| config.endpoint.clone());
    v.remote = Some(RemoteRef {
        repo: repo.display_name(),
        revision: repo.revision.clone(),
        commit: None,
        endpoint: endpoint.clone(),
    });

    let tree = match walk_local(local) {
        Ok(t) => t,
        Err(e) => {
            v.incomplete(e);
            v.conclude();
            return v;
        }
    };

    if config.offline {
        v.incomplete(
            "HF_HUB_OFFLINE is set, so the Hub was not contacted and nothing was compared; unset it, or check a downloaded cache offline with `modelvet verify --hf-cache`",
        );
        v.conclude();
        return v;
    }
    let listing = match HubClient::new(config).and_then(|c| {
        if repo.endpoint.is_some() && !c.sends_token_to(&repo) && config.token.is_some() {
            v.notes.push(format!(
                "the token is not sent to {endpoint}: it is only sent to the configured endpoint {} (HF_ENDPOINT)",
                config.endpoint
            ));
        }
        c.resolve_listing(&repo)
    }) {
        Ok(l) => l,
        Err(e) => {
            let prefix = match e.kind {
                HubErrorKind::Offline | HubErrorKind::Network => "could not reach the Hub",
                HubErrorKind::Auth => "the Hub refused access",
                HubErrorKind::NotFound => "not found on the Hub",
                HubErrorKind::Protocol => "the Hub's answer could not be used",
                HubErrorKind::Http | HubErrorKind::Invalid => "the Hub request failed",
            };
            v.incomplete(format!("{prefix}: {e}"));
            v.conclude();
            return v;
        }
    };
    if let Some(r) = v.remote.as_mut() {
        r.commit = Some(listing.commit.clone());
    }
    compare(&mut v, &tree, &listing);
    v.conclude();
    v
}

fn compare(v: &mut Verification, tree: &LocalTree, listing: &RemoteListing) {
    let commit = &listing.commit;
    if listing.repo.revision.eq_ignore_ascii_case(commit) {
        v.checks.push(format!("revision is commit {commit}"));
    } else {
        v.checks.push(format!(
            "revision {} resolved to commit {commit} on {}",
            listing.repo.revision, listing.endpoint
        ));
    }
    v.checks.push(format!(
        "{} file(s) listed by the revision API, the same hashes and sizes in the tree API ({} page(s))",
        listing.files.len(),
        listing.tree_pages
    ));
    if let Some(snap) = &tree.cache_snapshot {
        if !snap.eq_ignore_ascii_case(commit) {
            v.notes.push(format!(
                "the local folder is the cache snapshot of commit {snap}, not of {commit}"
            ));
        }
    }
    for p in &tree.problems {
        v.incomplete(p.clone());
    }

    let remote: BTreeMap<&str, &RemoteFile> =
        listing.files.iter().map(|f| (f.path.as_str(), f)).collect();

    // Only files both sides have are read; a size that differs needs no hash to tell.
    let mut to_hash: Vec<(&RemoteFile, &LocalFile)> = Vec::new();
    for (path, rf) in &remote {
        if let Some(reason) = tree.unusable.get(*path) {
            v.files.missing.push(path.to_string());
            v.fail(format!("{path}: {reason}"));
            continue;
        }
        let Some(lf) = tree.files.get(*path) else {
            v.files.missing.push(path.to_string());
            continue;
        };
        match fs::metadata(&lf.read) {
            Ok(m) if m.len() != rf.size => {
                if rf.lfs_sha256.is_some() && is_lfs_pointer(&lf.read) {
                    v.notes.push(format!(
                        "{path} is a Git LFS pointer, not the file: the copy was cloned without Git LFS (run `git lfs pull`)"
                    ));
                }
                v.files.changed.push(ChangedFile {
                    name: path.to_string(),
                    algorithm: "size".into(),
                    expected: format!("{} bytes", rf.size),
                    actual: format!("{} bytes", m.len()),
                })
            }
            Ok(_) => to_hash.push((rf, lf)),
            Err(e) => {
                v.files.missing.push(path.to_string());
                v.incomplete(format!("{path}: cannot read ({e})"));
            }
        }
    }
    for (rel, reason) in &tree.unusable {
        if !remote.contains_key(rel.as_str()) {
            v.files.extra.push(rel.clone());
            v.fail(format!("{rel}: {reason}"));
        }
    }
    for rel in tree.files.keys() {
        if !remote.contains_key(rel.as_str()) {
            v.files.extra.push(rel.clone());
        }
    }

    // One digest per file: the one the Hub publishes for it. Hashing multi-GB LFS files
    // with SHA-1 as well would double the CPU time for nothing.
    let expected_of = |rf: &RemoteFile| match &rf.lfs_sha256 {
        Some(sha) => (HashAlgorithm::Sha256, sha.clone()),
        None => (HashAlgorithm::GitBlobSha1, rf.blob_id.clone()),
    };
    let digests = digest::parallel_map(&to_hash, |(rf, lf)| {
        digest::hash_file(&lf.read, &[expected_of(rf).0])
    });
    let (mut by_lfs, mut by_git) = (0usize, 0usize);
    for ((rf, lf), d) in to_hash.iter().zip(digests) {
        let d = match d {
            Ok(d) => d,
            Err(e) => {
                v.incomplete(format!("{}: cannot read ({e})", lf.rel));
                continue;
            }
        };
        let (algorithm, expected) = expected_of(rf);
        match algorithm {
            HashAlgorithm::Sha256 => by_lfs += 1,
            _ => by_git += 1,
        }
        let actual = d.hex(algorithm).unwrap_or_default();
        if actual == expected {
            v.files.matched += 1;
        } else {
            v.files.changed.push(ChangedFile {
                name: rf.path.clone(),
                algorithm: algorithm.name().into(),
                expected,
                actual,
            });
        }
    }
    v.files.changed.sort_by(|a, b| a.name.cmp(&b.name));
    v.files.missing.sort();
    v.files.extra.sort();
    v.checks.push(format!(
        "{by_lfs} file(s) compared by LFS SHA-256, {by_git} by git blob SHA-1 against commit {commit}"
    ));
    add_scan_notes(v, listing);
}

use crate::hf::lfs::POINTER_PREFIX as LFS_POINTER_PREFIX;

fn is_lfs_pointer(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; LFS_POINTER_PREFIX.len()];
    fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == LFS_POINTER_PREFIX
}

/// The Hub's own scanners, as advisory notes: they neither pass nor fail a file.
fn add_scan_notes(v: &mut Verification, listing: &RemoteListing) {
    let mut notes: BTreeSet<String> = BTreeSet::new();
    for f in &listing.files {
        if let Some(s) = &f.security_status {
            if !s.is_safe() {
                notes.insert(format!("Hub scan (advisory): {}: {}", f.path, s.summary()));
            }
        }
    }
    if let Some(rs) = &listing.repo_security {
        if rs.scans_done == Some(false) {
            v.notes.push(
                "Hub scan (advisory): the Hub had not finished scanning this repository".into(),
            );
        }
        for (path, level) in &rs.files_with_issues {
            let flagged_already = notes
                .iter()
                .any(|n| n.starts_with(&format!("Hub scan (advisory): {path}: ")));
            if !flagged_already {
                notes.insert(format!("Hub scan (advisory): {path}: {level}"));
            }
        }
    }
    let total = notes.len();
    v.notes.extend(notes.into_iter().take(MAX_SCAN_NOTES));
    if total > MAX_SCAN_NOTES {
        v.notes.push(format!(
            "Hub scan (advisory): {} more file(s) flagged",
            total - MAX_SCAN_NOTES
        ));
    }
}

use crate::hf::cache_layout::cache_repo_of;

/// Every file under `root`, with symbolic links followed only when their target stays
/// inside `root` (or, for a cache snapshot, inside its repository folder, where the blobs
/// are). A link out of there could make any file on the machine "match".
fn walk_local(root: &Path) -> Result<LocalTree, String> {
    let meta = fs::metadata(root).map_err(|e| format!("{}: cannot read ({e})", root.display()))?;
    if !meta.is_dir() {
        return Err(format!(
            "{}: not a folder; --against compares a folder with a Hub repository",
            root.display()
        ));
    }
    let canonical = fs::canonicalize(root).map_err(|e| format!("{}: {e}", root.display()))?;
    let mut tree = LocalTree::default();
    let allowed = match cache_repo_of(&canonical) {
        Some((repo_dir, commit)) => {
            tree.cache_snapshot = Some(commit);
            repo_dir
        }
        None => canonical.clone(),
    };
    let mut stack: Vec<(PathBuf, String, usize)> = vec![(root.to_path_buf(), String::new(), 0)];
    while let Some((dir, prefix, depth)) = stack.pop() {
        let entries = match fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                let key = if prefix.is_empty() {
                    ".".to_string()
                } else {
                    prefix.clone()
                };
                tree.unusable
                    .insert(key, format!("cannot read the folder ({e})"));
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    tree.problems
                        .push(format!("{}: cannot list ({e})", dir.display()));
                    continue;
                }
            };
            let name = entry.file_name();
            let name = match name.to_str() {
                Some(n) => n.to_string(),
                None => {
                    // The Hub's names are UTF-8, so this one cannot be on it.
                    let lossy = name.to_string_lossy().into_owned();
                    let rel = join_rel(&prefix, &lossy);
                    tree.unusable.insert(rel, "the name is not UTF-8".into());
                    continue;
                }
            };
            let rel = join_rel(&prefix, &name);
            if IGNORED_ROOT_DIRS.contains(&rel.as_str()) {
                continue;
            }
            let path = entry.path();
            let ft = match entry.file_type() {
                Ok(t) => t,
                Err(e) => {
                    tree.unusable.insert(rel, format!("cannot stat ({e})"));
                    continue;
                }
            };
            if ft.is_dir() {
                if depth + 1 > MAX_DEPTH {
                    tree.problems.push(format!(
                        "{rel}: deeper than {MAX_DEPTH} folders; not walked"
                    ));
                } else {
                    stack.push((path, rel, depth + 1));
                }
                continue;
            }
            let read = if ft.is_symlink() {
                match fs::canonicalize(&path) {
                    Err(_) => {
                        tree.unusable.insert(rel, "dangling symbolic link".into());
                        continue;
                    }
                    Ok(target) if !target.starts_with(&allowed) => {
                        tree.unusable.insert(
                            rel,
                            format!(
                                "symbolic link to {} outside {}; not followed",
                                target.display(),
                                allowed.display()
                            ),
                        );
                        continue;
                    }
                    Ok(target) => match fs::metadata(&target) {
                        Ok(m) if m.is_file() => target,
                        Ok(_) => {
                            tree.unusable.insert(
                                rel,
                                "symbolic link to something other than a file; not followed".into(),
                            );
                            continue;
                        }
                        Err(e) => {
                            tree.unusable
                                .insert(rel, format!("cannot read the link target ({e})"));
                            continue;
                        }
                    },
                }
            } else if ft.is_file() {
                path
            } else {
                tree.unusable
                    .insert(rel, "not a regular file (a device, socket or pipe)".into());
                continue;
            };
            if tree.files.len() >= MAX_LOCAL_FILES {
                tree.problems.push(format!(
                    "more than {MAX_LOCAL_FILES} files under {}; the rest were not compared",
                    root.display()
                ));
                return Ok(tree);
            }
            tree.files.insert(rel.clone(), LocalFile { rel, read });
        }
    }
    Ok(tree)
}

fn join_rel(prefix: &str, name: &str) -> String {
    if prefix.is_empty() {
        name.to_string()
    } else {
        format!("{prefix}/{name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn walk_ignores_tool_folders_and_contains_links() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("m");
        fs::create_dir_all(root.join(".git")).unwrap();
        fs::create_dir_all(root.join(".cache/huggingface")).unwrap();
        fs::create_dir_all(root.join("sub")).unwrap();
        fs::write(root.join(".git/HEAD"), "x").unwrap();
        fs::write(root.join(".cache/huggingface/a.metadata"), "x").unwrap();
        fs::write(root.join(".cache/other"), "x").unwrap();
        fs::write(root.join("sub/w.bin"), "w").unwrap();
        fs::write(dir.path().join("outside"), "o").unwrap();
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("sub/w.bin", root.join("inside-link")).unwrap();
            std::os::unix::fs::symlink("../outside", root.join("out-link")).unwrap();
            std::os::unix::fs::symlink("nowhere", root.join("dangling")).unwrap();
        }
        let t = walk_local(&root).unwrap();
        let names: Vec<&str> = t.files.keys().map(String::as_str).collect();
        #[cfg(unix)]
        {
            assert_eq!(names, vec![".cache/other", "inside-link", "sub/w.bin"]);
            assert!(t.unusable["out-link"].contains("outside"));
            assert!(t.unusable["dangling"].contains("dangling"));
        }
        #[cfg(not(unix))]
        assert_eq!(names, vec![".cache/other", "sub/w.bin"]);
    }
}
