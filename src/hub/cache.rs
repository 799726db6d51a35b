//! `modelvet verify --hf-cache [REPO]`: the Hugging Face cache checked offline.
//!
//! The cache is content-addressed: `blobs/<sha256>` for LFS files and `blobs/<git sha1>`
//! for the rest, `snapshots/<commit>/<path>` links into `blobs/`, and `refs/<branch>`
//! holds a commit. So every blob can be checked against its own name with no network,
//! which `huggingface_hub` itself never does (it checks sizes only).

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use crate::hf::cache_layout::{is_repository_folder_name, BLOBS, REFS, SNAPSHOTS};
use crate::hub::api::{hex_digest, printable};
use crate::hub::repo_ref::RepoRef;
use crate::provenance::digest::{self, HashAlgorithm};
use crate::provenance::outcome::{ChangedFile, Verification};

/// Folder depth walked inside one snapshot.
const MAX_DEPTH: usize = 64;

/// A ref file is one commit id and a newline; anything larger is not one.
const MAX_REF_FILE: u64 = 4096;

/// Entries of one folder read before the rest are reported as not walked.
const MAX_ENTRIES: usize = 1_000_000;

struct BlobJob {
    /// `models--org--name/blobs/<name>`.
    shown: String,
    path: PathBuf,
    algorithm: HashAlgorithm,
    expected: String,
}

#[derive(Default)]
struct Counts {
    repos: usize,
    links_ok: usize,
    refs_ok: usize,
}

pub fn verify_cache(cache_root: &Path, repo: Option<&str>) -> Verification {
    let target = match repo {
        Some(r) => format!("{} ({})", cache_root.display(), printable(r, 200)),
        None => cache_root.display().to_string(),
    };
    let mut v = Verification::new("hf-cache", &target);
    if !cache_root.is_dir() {
        v.incomplete(format!(
            "{}: no Hugging Face cache folder here (set HF_HUB_CACHE or HF_HOME, or pass the folder)",
            cache_root.display()
        ));
        v.conclude();
        return v;
    }
    let repo_dirs = match repo {
        Some(name) => {
            let folder = match folder_for(name) {
                Ok(f) => f,
                Err(e) => {
                    v.incomplete(e);
                    v.conclude();
                    return v;
                }
            };
            let dir = cache_root.join(&folder);
            if !dir.is_dir() {
                v.incomplete(format!(
                    "{folder}: not in the cache at {} (nothing to verify)",
                    cache_root.display()
                ));
                v.conclude();
                return v;
            }
            vec![(folder, dir)]
        }
        None => match list_repos(&mut v, cache_root) {
            Ok(list) => list,
            Err(e) => {
                v.incomplete(e);
                v.conclude();
                return v;
            }
        },
    };
    if repo_dirs.is_empty() {
        v.incomplete(format!(
            "{}: no models--/datasets--/spaces-- folders (nothing to verify)",
            cache_root.display()
        ));
        v.conclude();
        return v;
    }

    let mut jobs = Vec::new();
    let mut counts = Counts::default();
    for (name, dir) in &repo_dirs {
        counts.repos += 1;
        check_repo(&mut v, name, dir, &mut jobs, &mut counts);
    }

    let results = digest::parallel_map(&jobs, |j| digest::hash_file(&j.path, &[j.algorithm]));
    let (mut by_sha256, mut by_git) = (0usize, 0usize);
    for (job, r) in jobs.iter().zip(results) {
        match r {
            Ok(d) => {
                match job.algorithm {
                    HashAlgorithm::Sha256 => by_sha256 += 1,
                    _ => by_git += 1,
                }
                let actual = d.hex(job.algorithm).unwrap_or_default();
                if actual == job.expected {
                    v.files.matched += 1;
                } else {
                    v.files.changed.push(ChangedFile {
                        name: job.shown.clone(),
                        algorithm: job.algorithm.name().into(),
                        expected: job.expected.clone(),
                        actual,
                    });
                }
            }
            Err(e) => v.incomplete(format!("{}: cannot read ({e})", job.shown)),
        }
    }
    v.files.changed.sort_by(|a, b| a.name.cmp(&b.name));
    v.files.missing.sort();
    v.files.extra.sort();
    v.checks.push(format!(
        "{} blob(s) in {} repositor{} hashed and compared with their names: {by_sha256} by SHA-256, {by_git} by git blob SHA-1",
        by_sha256 + by_git,
        counts.repos,
        if counts.repos == 1 { "y" } else { "ies" }
    ));
    v.checks.push(format!(
        "{} snapshot link(s) lead to a blob of their own repository",
        counts.links_ok
    ));
    v.checks.push(format!(
        "{} ref(s) name a commit with a snapshot",
        counts.refs_ok
    ));
    v.conclude();
    v
}

/// `org/name`, `hf://datasets/org/name` or a cache folder name -> the cache folder name.
fn folder_for(name: &str) -> Result<String, String> {
    if is_repository_folder_name(name)
        && !name.contains(['/', '\\'])
        && name != "."
        && !name.contains("..")
    {
        return Ok(name.to_string());
    }
    RepoRef::parse(name)
        .map(|r| r.cache_folder())
        .map_err(|e| format!("not a repository name: {e}"))
}

/// A folder's entries sorted by name. Entries that cannot be read and those past
/// [`MAX_ENTRIES`] are reported as not checked, never dropped in silence.
fn sorted_entries(
    v: &mut Verification,
    entries: fs::ReadDir,
    shown_dir: &str,
) -> Vec<fs::DirEntry> {
    let mut out = Vec::new();
    for entry in entries {
        if out.len() == MAX_ENTRIES {
            v.incomplete(format!(
                "{shown_dir}: more than {MAX_ENTRIES} entries (MAX_ENTRIES); the rest were not checked"
            ));
            break;
        }
        match entry {
            Ok(e) => out.push(e),
            Err(e) => v.incomplete(format!("{shown_dir}: an entry cannot be read ({e})")),
        }
    }
    out.sort_by_key(|e| e.file_name());
    out
}

/// The entries of a folder inside a snapshot or refs tree, sorted, each with its printable
/// name; the depth bound, an unlistable folder and unreadable entries are reported as
/// incomplete.
fn subfolder_entries(
    v: &mut Verification,
    dir: &Path,
    shown_dir: &str,
    depth: usize,
) -> Vec<(fs::DirEntry, String)> {
    if depth > MAX_DEPTH {
        v.incomplete(format!(
            "{shown_dir}: deeper than {MAX_DEPTH} folders; not walked"
        ));
        return Vec::new();
    }
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) => {
            v.incomplete(format!("{shown_dir}: cannot list ({e})"));
            return Vec::new();
        }
    };
    sorted_entries(v, entries, shown_dir)
        .into_iter()
        .map(|entry| {
            let shown = format!(
                "{shown_dir}/{}",
                printable(&entry.file_name().to_string_lossy(), 200)
            );
            (entry, shown)
        })
        .collect()
}

fn list_repos(v: &mut Verification, root: &Path) -> Result<Vec<(String, PathBuf)>, String> {
    let entries =
        fs::read_dir(root).map_err(|e| format!("{}: cannot list ({e})", root.display()))?;
    let mut out = Vec::new();
    for entry in sorted_entries(v, entries, &root.display().to_string()) {
        let Some(name) = entry.file_name().to_str().map(str::to_string) else {
            continue;
        };
        if is_repository_folder_name(&name) && entry.file_type().is_ok_and(|t| t.is_dir()) {
            out.push((name, entry.path()));
        }
    }
    Ok(out)
}

fn check_repo(
    v: &mut Verification,
    name: &str,
    dir: &Path,
    jobs: &mut Vec<BlobJob>,
    counts: &mut Counts,
) {
    let blobs = dir.join(BLOBS);
    let blobs_canonical = fs::canonicalize(&blobs).ok();
    match fs::read_dir(&blobs) {
        Ok(entries) => {
            for entry in sorted_entries(v, entries, &format!("{name}/blobs")) {
                let fname = entry.file_name();
                let fname_s = fname.to_string_lossy();
                let shown = format!("{name}/blobs/{}", printable(&fname_s, 200));
                let is_file = entry.file_type().is_ok_and(|t| t.is_file());
                if !is_file {
                    v.fail(format!(
                        "{shown}: not a regular file (blobs are files, never links or folders)"
                    ));
                    v.files.changed.push(ChangedFile {
                        name: shown,
                        algorithm: "file-type".into(),
                        expected: "regular file".into(),
                        actual: "link, folder or special file".into(),
                    });
                    continue;
                }
                let (algorithm, expected) = if let Some(h) = hex_digest(&fname_s, 64) {
                    (HashAlgorithm::Sha256, h)
                } else if let Some(h) = hex_digest(&fname_s, 40) {
                    (HashAlgorithm::GitBlobSha1, h)
                } else if fname_s.ends_with(".incomplete") {
                    v.incomplete(format!(
                        "{shown}: an interrupted download; it cannot be checked (download it again or delete it)"
                    ));
                    continue;
                } else {
                    v.incomplete(format!(
                        "{shown}: not named by a SHA-256 or git SHA-1; cannot be checked"
                    ));
                    continue;
                };
                jobs.push(BlobJob {
                    shown,
                    path: entry.path(),
                    algorithm,
                    expected,
                });
            }
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => v.incomplete(format!("{name}/blobs: cannot list ({e})")),
    }

    let snapshots = dir.join(SNAPSHOTS);
    if let Ok(entries) = fs::read_dir(&snapshots) {
        for entry in sorted_entries(v, entries, &format!("{name}/snapshots")) {
            let cname = entry.file_name().to_string_lossy().into_owned();
            let shown = format!("{name}/snapshots/{}", printable(&cname, 200));
            if !entry.file_type().is_ok_and(|t| t.is_dir()) {
                v.incomplete(format!("{shown}: not a snapshot folder"));
                continue;
            }
            if hex_digest(&cname, 40).is_none() {
                v.incomplete(format!(
                    "{shown}: a snapshot folder not named by a commit id"
                ));
            }
            check_snapshot(
                v,
                &entry.path(),
                &shown,
                blobs_canonical.as_deref(),
                0,
                counts,
            );
        }
    }

    let refs = dir.join(REFS);
    if refs.is_dir() {
        check_refs(v, &refs, &format!("{name}/refs"), &snapshots, 0, counts);
    }
}

fn check_snapshot(
    v: &mut Verification,
    dir: &Path,
    shown_dir: &str,
    blobs: Option<&Path>,
    depth: usize,
    counts: &mut Counts,
) {
    for (entry, shown) in subfolder_entries(v, dir, shown_dir, depth) {
        let path = entry.path();
        let Ok(ft) = entry.file_type() else {
            v.incomplete(format!("{shown}: cannot stat"));
            continue;
        };
        if ft.is_dir() {
            check_snapshot(v, &path, &shown, blobs, depth + 1, counts);
        } else if ft.is_symlink() {
            let literal = fs::read_link(&path)
                .map(|t| t.display().to_string())
                .unwrap_or_default();
            match fs::canonicalize(&path) {
                Err(_) => {
                    v.files.missing.push(shown.clone());
                    v.fail(format!(
                        "{shown}: dangling link to {} (the blob is gone)",
                        printable(&literal, 300)
                    ));
                }
                Ok(target) => {
                    let inside =
                        blobs.is_some_and(|b| target.parent() == Some(b)) && target.is_file();
                    if inside {
                        counts.links_ok += 1;
                    } else {
                        v.fail(format!(
                            "{shown}: link to {} leaves this repository's blobs folder",
                            target.display()
                        ));
                        v.files.changed.push(ChangedFile {
                            name: shown,
                            algorithm: "link-target".into(),
                            expected: "a file in blobs/".into(),
                            actual: target.display().to_string(),
                        });
                    }
                }
            }
        } else if ft.is_file() {
            // huggingface_hub copies files where links are not allowed (Windows without
            // developer mode): such a file carries no name to check it against.
            v.incomplete(format!(
                "{shown}: a copy, not a link to a blob; its content cannot be checked offline"
            ));
        } else {
            v.incomplete(format!("{shown}: not a file, folder or link"));
        }
    }
}

fn check_refs(
    v: &mut Verification,
    dir: &Path,
    shown_dir: &str,
    snapshots: &Path,
    depth: usize,
    counts: &mut Counts,
) {
    for (entry, shown) in subfolder_entries(v, dir, shown_dir, depth) {
        let Ok(ft) = entry.file_type() else {
            v.incomplete(format!("{shown}: cannot stat"));
            continue;
        };
        if ft.is_dir() {
            check_refs(v, &entry.path(), &shown, snapshots, depth + 1, counts);
            continue;
        }
        let mut content = String::new();
        let read = fs::File::open(entry.path())
            .and_then(|f| f.take(MAX_REF_FILE).read_to_string(&mut content));
        if let Err(e) = read {
            v.incomplete(format!("{shown}: cannot read ({e})"));
            continue;
        }
        let Some(commit) = hex_digest(content.trim(), 40) else {
            v.fail(format!("{shown}: does not hold a commit id"));
            v.files.changed.push(ChangedFile {
                name: shown,
                algorithm: "ref".into(),
                expected: "a 40-hex commit id".into(),
                actual: printable(content.trim(), 80),
            });
            continue;
        };
        if snapshots.join(&commit).is_dir() {
            counts.refs_ok += 1;
        } else {
            v.fail(format!(
                "{shown}: names commit {commit}, which has no snapshot"
            ));
            v.files.missing.push(format!(
                "{}/snapshots/{commit}",
                shown_dir.split('/').next().unwrap_or(shown_dir)
            ));
        }
    }
}
