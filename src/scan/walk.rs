//! The plan of a local scan: every input expanded, in report order, into the files to scan
//! and the entries that need no read (directory links, links out of the tree, unlistable
//! folders). Planning is sequential and cheap; the files are then scanned in parallel.

use std::collections::HashSet;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use super::scope::{Layers, Scope, ScopeSection, SkippedPath};
use crate::formats::registry::{self, Format};
use crate::hf::cache_layout::{is_cache_repository, BLOBS};
use crate::limits::{LimitHit, MAX_WALK_DEPTH};
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

/// The work of a local scan and what its folder walks left out.
pub(super) struct Plan {
    pub work: Vec<Work>,
    pub scope: ScopeSection,
}

/// Expands `inputs` (files, folders, `-`) into work, in order. A path that does not exist
/// or cannot be read becomes an error artifact; only a repeated `-` fails the plan.
pub(super) fn plan(inputs: &[String], scope: &Scope) -> Result<Plan, String> {
    let mut work = Vec::new();
    let mut section = ScopeSection::default();
    if inputs.iter().filter(|i| *i == "-").count() > 1 {
        return Err("`-` (standard input) can be given once".into());
    }
    for input in inputs {
        if input != "-" {
            if let Some((reason, rule)) = scope.excluded_named(Path::new(input)) {
                section.record(SkippedPath {
                    path: input.clone(),
                    directory: Path::new(input).is_dir(),
                    reason,
                    rule,
                });
                continue;
            }
        }
        if input == "-" {
            work.push(Work::Stdin);
            continue;
        }
        let path = Path::new(input);
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                let mut a = Artifact::new(input.clone(), input.clone(), None);
                a.mark_input_error(format!("{}: {e}", crate::display::untrusted(input)));
                work.push(Work::Done(Box::new(a)));
                continue;
            }
        };
        if meta.is_dir() {
            Walk {
                scope,
                work: &mut work,
                section: &mut section,
            }
            .walk_dir(path, input);
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
                explicit: !scope.named_as_found,
                link_target: is_link.then(|| path.canonicalize().ok()).flatten(),
            });
        }
    }
    drop_cache_blobs_reached_by_links(&mut work);
    scan_each_file_once(&mut work);
    Ok(Plan {
        work,
        scope: section,
    })
}

/// A file named twice (`scan m m/a.pkl`, `scan a.pkl ./a.pkl`) is scanned once, under
/// its first name; it counts as named if any mention named it.
fn scan_each_file_once(work: &mut Vec<Work>) {
    let mut first: std::collections::HashMap<PathBuf, usize> = std::collections::HashMap::new();
    let mut named_again = Vec::new();
    let mut keep = Vec::with_capacity(work.len());
    for (i, w) in work.iter().enumerate() {
        let Work::File { path, explicit, .. } = w else {
            keep.push(true);
            continue;
        };
        match first.entry(crate::report::locate::normalize(path)) {
            std::collections::hash_map::Entry::Occupied(e) => {
                if *explicit {
                    named_again.push(*e.get());
                }
                keep.push(false);
            }
            std::collections::hash_map::Entry::Vacant(v) => {
                v.insert(i);
                keep.push(true);
            }
        }
    }
    for i in named_again {
        if let Work::File { explicit, .. } = &mut work[i] {
            *explicit = true;
        }
    }
    let mut flags = keep.into_iter();
    work.retain(|_| flags.next().unwrap_or(true));
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

/// One folder walk: depth first in name order, pruned by the scope.
struct Walk<'a> {
    scope: &'a Scope,
    work: &'a mut Vec<Work>,
    section: &'a mut ScopeSection,
}

/// A folder waiting to be listed.
struct PendingDir {
    path: PathBuf,
    display: String,
    depth: usize,
    layers: Layers,
}

impl Walk<'_> {
    fn walk_dir(&mut self, root: &Path, display_root: &str) {
        let bound = containment_root(root);
        let layers = self.scope.layers_above(root, display_root, self.section);
        let mut pending = vec![PendingDir {
            path: root.to_path_buf(),
            display: display_root.trim_end_matches('/').to_string(),
            depth: 0,
            layers,
        }];
        let mut seen_dirs = HashSet::new();
        while let Some(dir) = pending.pop() {
            if let Ok(c) = dir.path.canonicalize() {
                if !seen_dirs.insert(c) {
                    continue;
                }
            }
            let mut entries: Vec<_> = match std::fs::read_dir(&dir.path) {
                Ok(rd) => rd.filter_map(Result::ok).collect(),
                Err(e) => {
                    let mut a = Artifact::new(dir.display.clone(), dir.display.clone(), None);
                    a.format = Format::Directory;
                    a.mark_error(format!("cannot list directory: {e}"));
                    self.work.push(Work::Done(Box::new(a)));
                    continue;
                }
            };
            entries.sort_by_key(|e| e.file_name());
            let abs_dir = std::path::absolute(&dir.path).unwrap_or_else(|_| dir.path.clone());
            let layers = self
                .scope
                .enter(&abs_dir, &dir.display, dir.layers.clone(), self.section);
            let mut subdirs = Vec::new();
            for entry in entries {
                let name = entry.file_name().to_string_lossy().into_owned();
                let shown = if dir.display.is_empty() {
                    name.clone()
                } else {
                    format!("{}/{name}", dir.display)
                };
                let path = entry.path();
                let Ok(ft) = entry.file_type() else { continue };
                let followed_dir = ft.is_symlink()
                    && self.scope.follow_symlinks
                    && path.metadata().is_ok_and(|m| m.is_dir());
                let is_dir = ft.is_dir() || followed_dir;
                if let Some((reason, rule)) =
                    self.scope
                        .excluded(&abs_dir.join(&name), &name, is_dir, &layers)
                {
                    self.section.record(SkippedPath {
                        path: shown,
                        directory: is_dir,
                        reason,
                        rule,
                    });
                    continue;
                }
                if is_dir {
                    if dir.depth + 1 > MAX_WALK_DEPTH {
                        let mut a = Artifact::new(shown.clone(), shown, None);
                        a.format = Format::Directory;
                        a.mark_incomplete(format!(
                            "folder not listed: {}",
                            LimitHit::WalkDepth.describe()
                        ));
                        self.work.push(Work::Done(Box::new(a)));
                        continue;
                    }
                    subdirs.push(PendingDir {
                        path,
                        display: shown,
                        depth: dir.depth + 1,
                        layers: layers.clone(),
                    });
                } else if ft.is_file() {
                    self.work.push(Work::File {
                        display: shown,
                        path,
                        explicit: false,
                        link_target: None,
                    });
                } else if ft.is_symlink() {
                    self.link(path, shown, &bound);
                }
            }
            // Depth-first in name order: push in reverse so the first name pops first.
            pending.extend(subdirs.into_iter().rev());
        }
    }

    /// A symbolic link met by the walk (links to folders only reach here when they are
    /// not followed).
    fn link(&mut self, path: PathBuf, shown: String, bound: &Path) {
        match path.canonicalize() {
            Ok(target)
                if target.is_file()
                    && (self.scope.follow_symlinks || target.starts_with(bound)) =>
            {
                self.work.push(Work::File {
                    display: shown,
                    path,
                    explicit: false,
                    link_target: Some(target),
                })
            }
            Ok(target) if target.is_dir() => {
                // Directory links are not followed by default: they can loop or leave the tree.
                let mut a = Artifact::new(shown.clone(), shown, None);
                a.kind = ArtifactKind::NotModel;
                a.format = Format::Symlink;
                a.reason = Some(format!(
                    "directory link to {} not followed (--follow-symlinks follows it)",
                    target.display()
                ));
                a.expected = false;
                self.work.push(Work::Done(Box::new(a)));
            }
            other => {
                let mut a = Artifact::new(shown.clone(), shown.clone(), None);
                a.format = Format::Symlink;
                a.kind = ArtifactKind::Unrecognized;
                a.expected = registry::name_claims_model(&shown);
                let leaves = matches!(&other, Ok(t) if t.exists());
                let target = other
                    .map(|t| t.display().to_string())
                    .unwrap_or_else(|e| format!("unresolvable ({e})"));
                a.mark_incomplete(if leaves {
                    format!(
                        "symbolic link to {target} leaves the scanned tree and was not followed (--follow-symlinks follows it)"
                    )
                } else {
                    format!("symbolic link to {target} leaves the scanned tree and was not followed")
                });
                self.work.push(Work::Done(Box::new(a)));
            }
        }
    }
}
