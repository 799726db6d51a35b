//! The local cache `huggingface_hub` writes: one folder per repository
//! (`models--org--name`, `datasets--…`, `spaces--…`) holding content-addressed `blobs/`,
//! `snapshots/<commit>/` trees of relative links into them, and `refs/<revision>` files
//! naming a commit.

use std::path::{Path, PathBuf};

/// Folder name prefixes of cached repositories, one per repository kind.
pub(crate) const REPO_PREFIXES: &[&str] = &["models--", "datasets--", "spaces--"];
pub(crate) const BLOBS: &str = "blobs";
pub(crate) const SNAPSHOTS: &str = "snapshots";
pub(crate) const REFS: &str = "refs";

/// Whether a folder name is a cached repository's (`models--org--name`).
pub(crate) fn is_repository_folder_name(name: &str) -> bool {
    REPO_PREFIXES.iter().any(|p| name.starts_with(p))
}

/// Whether `dir` is a cached repository: its name, and a `blobs/` folder inside.
pub(crate) fn is_cache_repository(dir: &Path) -> bool {
    dir.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_repository_folder_name)
        && dir.join(BLOBS).is_dir()
}

/// The folder a repository is cached in: `models--org--name` for kind `models` and id
/// `org/name`.
pub(crate) fn folder_name(kind_plural: &str, id: &str) -> String {
    format!("{kind_plural}--{}", id.replace('/', "--"))
}

/// If `dir` is `.../{models|datasets|spaces}--org--name/snapshots/<commit>[/...]`, the
/// repository folder and the commit folder name.
pub(crate) fn cache_repo_of(dir: &Path) -> Option<(PathBuf, String)> {
    let comps: Vec<_> = dir.components().collect();
    for i in (1..comps.len()).rev() {
        let name = comps[i].as_os_str().to_str()?;
        if name == SNAPSHOTS {
            let repo = comps[i - 1].as_os_str().to_str()?;
            let commit = comps.get(i + 1)?.as_os_str().to_str()?.to_string();
            if is_repository_folder_name(repo) {
                let root: PathBuf = comps[..i].iter().collect();
                return Some((root, commit));
            }
        }
    }
    None
}

/// The snapshot path of a repository file: `<folder>/snapshots/<commit>/<path>`.
pub fn snapshot_path(folder: &Path, commit: &str, path: &str) -> PathBuf {
    let mut p = folder.join(SNAPSHOTS).join(commit);
    for seg in path.split('/') {
        p.push(seg);
    }
    p
}

/// The relative link target a snapshot file at `path` (repository-relative) points at:
/// up to the repository folder, then `blobs/<blob>`.
pub(crate) fn blob_link_target(path: &str, blob: &str) -> PathBuf {
    let depth = path.matches('/').count() + 2;
    std::iter::repeat_n("..", depth)
        .collect::<PathBuf>()
        .join(BLOBS)
        .join(blob)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn layout_paths() {
        assert_eq!(folder_name("models", "org/name"), "models--org--name");
        let (root, commit) =
            cache_repo_of(Path::new("/c/hub/models--org--m/snapshots/abc/sub")).unwrap();
        assert_eq!(root, PathBuf::from("/c/hub/models--org--m"));
        assert_eq!(commit, "abc");
        assert!(cache_repo_of(Path::new("/c/hub/models--org--m/snapshots")).is_none());
        assert!(cache_repo_of(Path::new("/c/hub/other/snapshots/abc")).is_none());
        assert_eq!(
            blob_link_target("sub/model.bin", "ab12"),
            PathBuf::from("../../../blobs/ab12")
        );
        assert_eq!(
            snapshot_path(Path::new("/r"), "c0", "a/b.json"),
            PathBuf::from("/r/snapshots/c0/a/b.json")
        );
    }
}
