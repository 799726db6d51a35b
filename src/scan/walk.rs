//! The plan of a local scan: every input expanded, in report order, into the files to scan
//! and the entries that need no read (directory links, links out of the tree, unlistable
//! folders). Planning is sequential and cheap; the files are then scanned in parallel.

use std::collections::HashSet;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use crate::formats::registry::{self, Format};
use crate::hf::cache_layout::{is_cache_repository, BLOBS};
use crate::report::{Artifact, ArtifactKind};

/// One unit of a local scan.
pub(super) enum Work {
    /// Standard input (`-`), read to its end.
    Stdin,
    /// A named input that is not a regular file (a FIFO, `/dev/stdin`, a process
    /// substitution): a stream whose length is only known once it is read.
    Pipe { display: String, path: PathBuf },
    File {
        /// The path as shown in the report.
        display: String,
        path: PathBuf,
        /// The user named this file (not found by walking a folder).
        explicit: bool,
        /// For a symbolic link, the file it resolves to.
        link_target: Option<PathBuf>,
    },
    /// Known without reading anything.
    Done(Box<Artifact>),
}

/// Expands `inputs` (files, folders, `-`) into work, in order. Fails only for a path that
/// does not exist.
pub(super) fn plan(inputs: &[String]) -> Result<Vec<Work>, String> {
    let mut work = Vec::new();
    if inputs.iter().filter(|i| *i == "-").count() > 1 {
        return Err("`-` (standard input) can be given once".into());
    }
    for input in inputs {
        if input == "-" {
            work.push(Work::Stdin);
            continue;
        }
        let path = Path::new(input);
        let meta = std::fs::metadata(path).map_err(|e| format!("{input}: {e}"))?;
        if meta.is_dir() {
            walk_dir(path, input, &mut work);
        } else if meta.file_type().is_fifo() || meta.file_type().is_socket() {
            work.push(Work::Pipe {
                display: input.clone(),
                path: path.to_path_buf(),
            });
        } else if !meta.is_file() {
            // A device (/dev/zero, a terminal) is no model file and may never end.
            let mut a = Artifact::new(input.clone(), input.clone(), None);
            a.mark_incomplete(format!(
                "{}: a device, not a file or a pipe; not read",
                crate::display::untrusted(input)
            ));
            work.push(Work::Done(Box::new(a)));
        } else {
            let is_link = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_symlink());
            work.push(Work::File {
                display: input.clone(),
                path: path.to_path_buf(),
                explicit: true,
                link_target: is_link.then(|| path.canonicalize().ok()).flatten(),
            });
        }
    }
    drop_cache_blobs_reached_by_links(&mut work);
    Ok(work)
}

/// The folder that bounds symlinks for a directory scan: the scanned folder itself, or
/// the enclosing Hugging Face cache repository, whose snapshots link into its `blobs/`.
fn containment_root(root: &Path) -> PathBuf {
    let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    canonical
        .ancestors()
        .find(|a| is_cache_repository(a))
        .map(Path::to_path_buf)
        .unwrap_or(canonical)
}

/// In a Hugging Face cache a blob and the snapshot link that names it are one file: it is
/// scanned and hashed once, under the snapshot's name (the one loaders use). Blobs that
/// no walked link reaches stay.
fn drop_cache_blobs_reached_by_links(work: &mut Vec<Work>) {
    let linked: HashSet<PathBuf> = work
        .iter()
        .filter_map(|w| match w {
            Work::File { link_target, .. } => link_target.clone(),
            _ => None,
        })
        .collect();
    if linked.is_empty() {
        return;
    }
    work.retain(|w| match w {
        // A file the user named is scanned whatever else reaches it.
        Work::File { explicit: true, .. } => true,
        Work::File {
            path,
            link_target: None,
            ..
        } => {
            let in_cache_blobs = path
                .parent()
                .filter(|d| d.file_name().is_some_and(|n| n == BLOBS))
                .and_then(Path::parent)
                .is_some_and(is_cache_repository);
            !(in_cache_blobs && path.canonicalize().is_ok_and(|c| linked.contains(&c)))
        }
        _ => true,
    });
}

fn walk_dir(root: &Path, display_root: &str, work: &mut Vec<Work>) {
    let bound = containment_root(root);
    let mut pending = vec![(
        root.to_path_buf(),
        display_root.trim_end_matches('/').to_string(),
    )];
    let mut seen_dirs = HashSet::new();
    while let Some((dir, display)) = pending.pop() {
        if let Ok(c) = dir.canonicalize() {
            if !seen_dirs.insert(c) {
                continue;
            }
        }
        let mut entries: Vec<_> = match std::fs::read_dir(&dir) {
            Ok(rd) => rd.filter_map(Result::ok).collect(),
            Err(e) => {
                let mut a = Artifact::new(display.clone(), display.clone(), None);
                a.format = Format::Directory;
                a.mark_error(format!("cannot list directory: {e}"));
                work.push(Work::Done(Box::new(a)));
                continue;
            }
        };
        entries.sort_by_key(|e| e.file_name());
        let mut subdirs = Vec::new();
        for entry in entries {
            let name = entry.file_name().to_string_lossy().into_owned();
            let shown = if display.is_empty() {
                name.clone()
            } else {
                format!("{display}/{name}")
            };
            let path = entry.path();
            let Ok(ft) = entry.file_type() else { continue };
            if ft.is_dir() {
                subdirs.push((path, shown));
            } else if ft.is_file() {
                work.push(Work::File {
                    display: shown,
                    path,
                    explicit: false,
                    link_target: None,
                });
            } else if ft.is_symlink() {
                match path.canonicalize() {
                    Ok(target) if target.starts_with(&bound) && target.is_file() => {
                        work.push(Work::File {
                            display: shown,
                            path,
                            explicit: false,
                            link_target: Some(target),
                        })
                    }
                    Ok(target) if target.is_dir() => {
                        // Directory links are not followed: they can loop or leave the tree.
                        let mut a = Artifact::new(shown.clone(), shown, None);
                        a.kind = ArtifactKind::NotModel;
                        a.format = Format::Symlink;
                        a.reason = Some(format!(
                            "directory link to {} not followed",
                            target.display()
                        ));
                        a.expected = false;
                        work.push(Work::Done(Box::new(a)));
                    }
                    other => {
                        let mut a = Artifact::new(shown.clone(), shown.clone(), None);
                        a.format = Format::Symlink;
                        a.kind = ArtifactKind::Unrecognized;
                        a.expected = registry::name_claims_model(&shown);
                        let target = other
                            .map(|t| t.display().to_string())
                            .unwrap_or_else(|e| format!("unresolvable ({e})"));
                        a.mark_incomplete(format!(
                            "symbolic link to {target} leaves the scanned tree and was not followed"
                        ));
                        work.push(Work::Done(Box::new(a)));
                    }
                }
            }
        }
        // Depth-first in name order: push in reverse so the first name pops first.
        pending.extend(subdirs.into_iter().rev());
    }
}
