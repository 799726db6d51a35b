//! The model-signing manifest: which files of a model are signed, under which names, in
//! which order, and the root digest over them, computed exactly as OpenSSF model-signing
//! 1.x computes it (facts in `docs/decisions.md`, "Provenance").
//!
//! - Regular files only, recursively. `files` lists empty files; `shards` skips them.
//! - Names are POSIX paths relative to the model root; a single-file model is named ".";
//!   a shard is `path:start:end` with `end` exclusive.
//! - Order is by path components, then shard start and end (Python's `PurePosixPath`
//!   ordering), never by raw string: `A, a/b, a-b, a.txt, b`.
//! - The root digest is SHA-256 over the raw resource digests in that order, whatever
//!   the hash type of the resources.

use std::collections::HashSet;
use std::fmt;
use std::path::{Path, PathBuf};

use super::digest::{self, HashAlgorithm};
use crate::source::hex;

/// Paths model-signing ignores at the model root unless told otherwise.
pub(crate) const DEFAULT_IGNORED_PATHS: [&str; 4] =
    [".git", ".gitattributes", ".github", ".gitignore"];

/// model-signing's default shard size.
pub(crate) const DEFAULT_SHARD_SIZE: u64 = 1_000_000_000;

/// More files than this in one model is refused rather than walked without end.
pub(crate) const MAX_MANIFEST_FILES: usize = 1_000_000;

/// Directory nesting deeper than this is refused (symlink loops, hostile trees).
pub(crate) const MAX_MANIFEST_DEPTH: usize = 256;

/// Shards per manifest: a tiny shard size over a large model would otherwise allocate
/// an entry per byte range without bound.
pub(crate) const MAX_MANIFEST_SHARDS: u64 = 10_000_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Files,
    Shards { shard_size: u64 },
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Files => "files",
            Method::Shards { .. } => "shards",
        }
    }
}

/// What decides the resources of a manifest: the signed `serialization` parameters.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManifestOptions {
    pub method: Method,
    pub hash: HashAlgorithm,
    pub allow_symlinks: bool,
    /// Relative POSIX paths (from the model root); each covers its subtree.
    pub ignore_paths: Vec<String>,
}

impl Default for ManifestOptions {
    fn default() -> Self {
        ManifestOptions {
            method: Method::Files,
            hash: HashAlgorithm::Sha256,
            allow_symlinks: false,
            ignore_paths: DEFAULT_IGNORED_PATHS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

impl ManifestOptions {
    /// The `algorithm` a resource carries: `sha256`, or `sha256-sharded-1024` for shards.
    pub(crate) fn resource_algorithm(&self) -> String {
        match self.method {
            Method::Files => self.hash.name().to_string(),
            Method::Shards { shard_size } => format!("{}-sharded-{shard_size}", self.hash.name()),
        }
    }
}

/// One signed item: a file or a byte range of one.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Resource {
    pub name: String,
    pub algorithm: String,
    pub digest: Vec<u8>,
}

/// The manifest of a model as it is on disk.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Manifest {
    /// The last component of the model path (the in-toto subject name).
    pub model_name: String,
    pub options: ManifestOptions,
    /// In model-signing's order.
    pub resources: Vec<Resource>,
    /// Files left out because an ignore path covers them (relative names, sorted).
    pub ignored: Vec<String>,
    /// Bytes hashed.
    pub bytes: u64,
    /// Files whose SHA-256 came from an earlier read in this run (see [`build_with_known`]).
    pub reused: usize,
}

impl Manifest {
    pub(crate) fn root_digest(&self) -> [u8; 32] {
        root_digest(self.resources.iter().map(|r| r.digest.as_slice()))
    }
}

/// SHA-256 over the concatenated raw digests, in the order given.
pub(crate) fn root_digest<'a>(digests: impl Iterator<Item = &'a [u8]>) -> [u8; 32] {
    let mut hasher = digest::Hasher::new(HashAlgorithm::Sha256, 0);
    for d in digests {
        hasher.update(d);
    }
    let mut out = [0u8; 32];
    out.copy_from_slice(&hasher.finish());
    out
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ManifestError {
    /// A symlink where symlinks are not allowed (model-signing refuses these too).
    Symlink(PathBuf),
    /// A socket, FIFO, device, or a path that vanished.
    NotFileOrDirectory(PathBuf),
    Io(PathBuf, String),
    /// A named limit was reached.
    Limit(String),
}

impl fmt::Display for ManifestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ManifestError::Symlink(p) => write!(
                f,
                "{}: is a symbolic link; model signing hashes regular files only (allow symlinks to follow it)",
                p.display()
            ),
            ManifestError::NotFileOrDirectory(p) => {
                write!(f, "{}: neither a regular file nor a directory", p.display())
            }
            ManifestError::Io(p, e) => write!(f, "{}: {e}", p.display()),
            ManifestError::Limit(what) => write!(f, "limit reached: {what}"),
        }
    }
}

/// A file found by the walk: its components relative to the root and where it is.
#[derive(Debug)]
struct Found {
    components: Vec<String>,
    path: PathBuf,
    len: u64,
}

/// Splits a relative POSIX path into its components, dropping `.` and empty parts.
/// `None` for paths that leave the root (absolute or `..`), which never match anything.
pub(crate) fn path_components(path: &str) -> Option<Vec<String>> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            p => parts.push(p.to_string()),
        }
    }
    Some(parts)
}

fn is_ignored(components: &[String], ignored: &[Vec<String>]) -> bool {
    ignored
        .iter()
        .any(|ig| !ig.is_empty() && components.starts_with(ig))
}

/// Builds the manifest of the model at `model_path` (a directory or a single file).
pub fn build(model_path: &Path, options: &ManifestOptions) -> Result<Manifest, ManifestError> {
    build_with_known(model_path, options, &KnownSha256::default())
}

/// SHA-256 digests already computed for files in this same run (by the scan's single
/// read), keyed by path and size. Reused only for whole files hashed with SHA-256.
#[derive(Clone, Debug, Default)]
pub struct KnownSha256(pub std::collections::HashMap<PathBuf, (u64, [u8; 32])>);

/// [`build`], taking a file's SHA-256 from `known` instead of reading it again when the
/// method is per file, the hash SHA-256, and the size on disk still the one hashed.
pub(crate) fn build_with_known(
    model_path: &Path,
    options: &ManifestOptions,
    known: &KnownSha256,
) -> Result<Manifest, ManifestError> {
    let found = walk(model_path, options)?;
    let (files, ignored) = found;
    let algorithm = options.resource_algorithm();
    let hashes = [options.hash];

    // One job per file, or per shard; each is one sequential read.
    struct Job<'a> {
        file: &'a Found,
        range: Option<(u64, u64)>,
    }
    let mut jobs: Vec<Job> = Vec::new();
    match options.method {
        Method::Files => jobs.extend(files.iter().map(|file| Job { file, range: None })),
        Method::Shards { shard_size } => {
            if shard_size == 0 {
                return Err(ManifestError::Limit("a shard size of 0".into()));
            }
            let mut count: u64 = 0;
            for file in &files {
                count = count.saturating_add(file.len.div_ceil(shard_size));
                if count > MAX_MANIFEST_SHARDS {
                    return Err(ManifestError::Limit(format!(
                        "more than {MAX_MANIFEST_SHARDS} shards (MAX_MANIFEST_SHARDS); use a larger shard size"
                    )));
                }
                let mut start = 0;
                while start < file.len {
                    let end = start.saturating_add(shard_size).min(file.len);
                    jobs.push(Job {
                        file,
                        range: Some((start, end)),
                    });
                    start = end;
                }
            }
        }
    }

    let reuse = |job: &Job| -> Option<digest::RangeDigests> {
        if job.range.is_some() || options.hash != HashAlgorithm::Sha256 {
            return None;
        }
        let (len, d) = known.0.get(&job.file.path)?;
        (*len == job.file.len).then(|| digest::RangeDigests {
            len: *len,
            digests: vec![(HashAlgorithm::Sha256, d.to_vec())],
        })
    };
    let reused = jobs.iter().filter(|j| reuse(j).is_some()).count();
    let results = digest::parallel_map(&jobs, |job| match job.range {
        None if reuse(job).is_some() => Ok(reuse(job).expect("checked")),
        None => digest::hash_file(&job.file.path, &hashes),
        Some((start, end)) => digest::hash_file_range(&job.file.path, start, end, &hashes),
    });

    let mut keyed: Vec<(Vec<String>, u64, u64, Resource)> = Vec::with_capacity(jobs.len());
    let mut bytes: u64 = 0;
    for (job, result) in jobs.iter().zip(results) {
        let digests =
            result.map_err(|e| ManifestError::Io(job.file.path.clone(), e.to_string()))?;
        bytes = bytes.saturating_add(digests.len);
        let base = if job.file.components.is_empty() {
            ".".to_string()
        } else {
            job.file.components.join("/")
        };
        let (start, end, name) = match job.range {
            None => (0, 0, base),
            Some((s, e)) => (s, e, format!("{base}:{s}:{e}")),
        };
        let digest = digests
            .get(options.hash)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        keyed.push((
            job.file.components.clone(),
            start,
            end,
            Resource {
                name,
                algorithm: algorithm.clone(),
                digest,
            },
        ));
    }
    keyed.sort_by(|a, b| (&a.0, a.1, a.2).cmp(&(&b.0, b.1, b.2)));

    Ok(Manifest {
        model_name: model_name(model_path),
        options: options.clone(),
        resources: keyed.into_iter().map(|(_, _, _, r)| r).collect(),
        ignored,
        bytes,
        reused,
    })
}

/// The subject name model-signing writes: the model path's last component.
pub(crate) fn model_name(model_path: &Path) -> String {
    let name = model_path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned());
    match name {
        Some(n) if !n.is_empty() && n != ".." => n,
        _ => std::fs::canonicalize(model_path)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| ".".to_string()),
    }
}

type Walked = (Vec<Found>, Vec<String>);

fn walk(model_path: &Path, options: &ManifestOptions) -> Result<Walked, ManifestError> {
    let ignored: Vec<Vec<String>> = options
        .ignore_paths
        .iter()
        .filter_map(|p| path_components(p))
        .collect();
    let mut files = Vec::new();
    let mut ignored_files = Vec::new();
    let mut visited_dirs: HashSet<PathBuf> = HashSet::new();
    let mut stack: Vec<(PathBuf, Vec<String>)> = vec![(model_path.to_path_buf(), Vec::new())];

    while let Some((path, components)) = stack.pop() {
        let link = std::fs::symlink_metadata(&path)
            .map_err(|e| ManifestError::Io(path.clone(), e.to_string()))?;
        if link.file_type().is_symlink() && !options.allow_symlinks {
            return Err(ManifestError::Symlink(path));
        }
        let meta =
            std::fs::metadata(&path).map_err(|e| ManifestError::Io(path.clone(), e.to_string()))?;
        if meta.is_file() {
            if is_ignored(&components, &ignored) {
                ignored_files.push(components.join("/"));
                continue;
            }
            if files.len() >= MAX_MANIFEST_FILES {
                return Err(ManifestError::Limit(format!(
                    "more than {MAX_MANIFEST_FILES} files (MAX_MANIFEST_FILES)"
                )));
            }
            files.push(Found {
                components,
                path,
                len: meta.len(),
            });
        } else if meta.is_dir() {
            if components.len() >= MAX_MANIFEST_DEPTH {
                return Err(ManifestError::Limit(format!(
                    "{}: deeper than {MAX_MANIFEST_DEPTH} directories (MAX_MANIFEST_DEPTH)",
                    path.display()
                )));
            }
            // Followed symlinks can lead back to a parent; each directory is walked once.
            let canonical = std::fs::canonicalize(&path)
                .map_err(|e| ManifestError::Io(path.clone(), e.to_string()))?;
            if !visited_dirs.insert(canonical) {
                continue;
            }
            let entries = std::fs::read_dir(&path)
                .map_err(|e| ManifestError::Io(path.clone(), e.to_string()))?;
            for entry in entries {
                let entry = entry.map_err(|e| ManifestError::Io(path.clone(), e.to_string()))?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let mut child = components.clone();
                child.push(name);
                // An ignored directory is skipped whole, without looking inside.
                if is_ignored(&child, &ignored) && !entry.path().is_file() {
                    continue;
                }
                stack.push((entry.path(), child));
            }
        } else {
            return Err(ManifestError::NotFileOrDirectory(path));
        }
    }
    ignored_files.sort();
    Ok((files, ignored_files))
}

/// Renders a manifest as `digest  name` lines and a closing root line, like `sha256sum`.
/// File names are escaped (as `sha256sum` does for a name with a newline).
pub fn render_text(manifest: &Manifest) -> String {
    use crate::display::untrusted as shown;
    let mut out = String::new();
    for r in &manifest.resources {
        out.push_str(&format!("{}  {}\n", hex(&r.digest), shown(&r.name)));
    }
    out.push_str(&format!(
        "sha256:{}  {} (root: {} {}, {} resources)\n",
        hex(&manifest.root_digest()),
        shown(&manifest.model_name),
        manifest.options.method.name(),
        manifest.options.resource_algorithm(),
        manifest.resources.len()
    ));
    out
}

/// The `predicate` of a model-signing 1.x statement: serialization parameters and resources.
pub(crate) fn predicate_json(manifest: &Manifest) -> serde_json::Value {
    let resources: Vec<serde_json::Value> = manifest
        .resources
        .iter()
        .map(|r| serde_json::json!({"name": r.name, "algorithm": r.algorithm, "digest": hex(&r.digest)}))
        .collect();
    let mut serialization = serde_json::json!({
        "method": manifest.options.method.name(),
        "hash_type": manifest.options.hash.name(),
        "allow_symlinks": manifest.options.allow_symlinks,
        "ignore_paths": manifest.options.ignore_paths,
    });
    if let Method::Shards { shard_size } = manifest.options.method {
        serialization["shard_size"] = serde_json::json!(shard_size);
    }
    serde_json::json!({"serialization": serialization, "resources": resources})
}

/// The manifest as JSON: the subject, the predicate, what was ignored and bytes hashed.
pub fn render_json(manifest: &Manifest) -> String {
    let predicate = predicate_json(manifest);
    let doc = serde_json::json!({
        "subject": {"name": manifest.model_name, "digest": {"sha256": hex(&manifest.root_digest())}},
        "serialization": predicate["serialization"],
        "resources": predicate["resources"],
        "ignored": manifest.ignored,
        "bytes_hashed": manifest.bytes,
    });
    let mut s = serde_json::to_string_pretty(&doc).unwrap_or_default();
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;

    fn write(root: &Path, rel: &str, data: &[u8]) {
        let p = root.join(rel);
        fs::create_dir_all(p.parent().unwrap()).unwrap();
        fs::write(p, data).unwrap();
    }

    fn names(m: &Manifest) -> Vec<&str> {
        m.resources.iter().map(|r| r.name.as_str()).collect()
    }

    /// The interop vector from the notes, computed by model-signing 1.1.1.
    #[test]
    fn matches_model_signing_on_its_interop_vector() {
        let dir = tempfile::tempdir().unwrap();
        let m = dir.path().join("m");
        write(&m, "config.json", b"hello world\n");
        write(&m, "empty.bin", b"");
        write(&m, "sub/weights.bin", &[b'A'; 3000]);
        write(&m, ".gitattributes", b"*.bin\n");
        write(&m, ".git/HEAD", b"x\n");
        let manifest = build(&m, &ManifestOptions::default()).unwrap();
        assert_eq!(
            names(&manifest),
            ["config.json", "empty.bin", "sub/weights.bin"]
        );
        assert_eq!(
            hex(&manifest.resources[2].digest),
            "f2eb889620bb1c00f5799d261cfa20adb68b0488ed8aa0945df50a5631867432"
        );
        assert_eq!(
            hex(&manifest.root_digest()),
            "369102b55cd0f33fce0845f7ac764d415ba8373f512f7d65387848494f0ce034"
        );
        assert_eq!(manifest.model_name, "m");
        assert_eq!(manifest.ignored, [".gitattributes"]);
    }

    #[test]
    fn orders_by_path_components() {
        let dir = tempfile::tempdir().unwrap();
        for (name, data) in [
            ("a.txt", "1\n"),
            ("a/b", "2\n"),
            ("A", "3\n"),
            ("b", "4\n"),
            ("a-b", "5\n"),
        ] {
            write(dir.path(), name, data.as_bytes());
        }
        let manifest = build(dir.path(), &ManifestOptions::default()).unwrap();
        assert_eq!(names(&manifest), ["A", "a/b", "a-b", "a.txt", "b"]);
        assert_eq!(
            hex(&manifest.root_digest()),
            "7e594f8580ceb9751da83ebc5bc775b1520034763eace9542968e5f00b3a5189"
        );
    }

    #[test]
    fn known_digests_are_reused_only_for_whole_files_of_the_same_size() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "a", b"one\n");
        write(dir.path(), "b", b"two\n");
        let marker = [7u8; 32];
        let mut known = KnownSha256::default();
        known.0.insert(dir.path().join("a"), (4, marker));
        known.0.insert(dir.path().join("b"), (99, marker)); // stale size: read again
        let m = build_with_known(dir.path(), &ManifestOptions::default(), &known).unwrap();
        assert_eq!(m.reused, 1);
        assert_eq!(m.resources[0].digest, marker.to_vec());
        assert_eq!(m.resources[1].digest, digest::sha256(b"two\n").to_vec());
        // Shards and other hashes always read the bytes.
        let shards = ManifestOptions {
            method: Method::Shards { shard_size: 2 },
            ..ManifestOptions::default()
        };
        assert_eq!(
            build_with_known(dir.path(), &shards, &known)
                .unwrap()
                .reused,
            0
        );
        let blake3 = ManifestOptions {
            hash: HashAlgorithm::Blake3,
            ..ManifestOptions::default()
        };
        assert_eq!(
            build_with_known(dir.path(), &blake3, &known)
                .unwrap()
                .reused,
            0
        );
    }

    #[test]
    fn a_single_file_is_named_dot() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config.json", b"hello world\n");
        let manifest = build(&dir.path().join("config.json"), &ManifestOptions::default()).unwrap();
        assert_eq!(names(&manifest), ["."]);
        assert_eq!(
            hex(&manifest.root_digest()),
            "f83e4b6bba3efac41f1ff56ee97adf7454680fee778924cb5ba06311d136ad1c"
        );
    }

    #[test]
    fn shards_are_byte_ranges_in_order() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "c.json", b"hello world\n");
        write(dir.path(), "w.bin", &[b'A'; 2500]);
        write(dir.path(), "empty", b"");
        let options = ManifestOptions {
            method: Method::Shards { shard_size: 1024 },
            ..ManifestOptions::default()
        };
        let manifest = build(dir.path(), &options).unwrap();
        assert_eq!(
            names(&manifest),
            [
                "c.json:0:12",
                "w.bin:0:1024",
                "w.bin:1024:2048",
                "w.bin:2048:2500"
            ]
        );
        assert_eq!(manifest.resources[0].algorithm, "sha256-sharded-1024");
        assert_eq!(
            hex(&manifest.root_digest()),
            "2f4a494a46b437849ed90477b572c05dd2baa03d99c1d52c2e9c33819d8fe6a3"
        );
    }

    #[test]
    fn shard_order_is_numeric_not_textual() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "w", &[1u8; 25]);
        let options = ManifestOptions {
            method: Method::Shards { shard_size: 2 },
            ..ManifestOptions::default()
        };
        let manifest = build(dir.path(), &options).unwrap();
        assert_eq!(manifest.resources[4].name, "w:8:10");
        assert_eq!(manifest.resources[5].name, "w:10:12");
    }

    #[test]
    fn ignore_paths_cover_subtrees_and_only_whole_components() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "keep/a", b"1");
        write(dir.path(), "skip/a", b"2");
        write(dir.path(), "skipped", b"3");
        write(dir.path(), "model.sig", b"{}");
        let options = ManifestOptions {
            ignore_paths: vec!["skip".into(), "./model.sig".into(), "../outside".into()],
            ..ManifestOptions::default()
        };
        let manifest = build(dir.path(), &options).unwrap();
        assert_eq!(names(&manifest), ["keep/a", "skipped"]);
    }

    #[cfg(unix)]
    #[test]
    fn symlinks_are_refused_unless_allowed() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "real", b"data");
        std::os::unix::fs::symlink(dir.path().join("real"), dir.path().join("link")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("loop")).unwrap();
        let err = build(dir.path(), &ManifestOptions::default()).unwrap_err();
        assert!(matches!(err, ManifestError::Symlink(_)), "{err}");
        let options = ManifestOptions {
            allow_symlinks: true,
            ..ManifestOptions::default()
        };
        let manifest = build(dir.path(), &options).unwrap();
        assert_eq!(names(&manifest), ["link", "real"]);
        assert_eq!(manifest.resources[0].digest, manifest.resources[1].digest);
    }

    #[test]
    fn blake_hash_types_name_their_resources() {
        let dir = tempfile::tempdir().unwrap();
        write(dir.path(), "config.json", b"hello world\n");
        let options = ManifestOptions {
            hash: HashAlgorithm::Blake3,
            ..ManifestOptions::default()
        };
        let manifest = build(dir.path(), &options).unwrap();
        // Computed by model-signing 1.1.1 with hashing_algorithm="blake3".
        assert_eq!(manifest.resources[0].algorithm, "blake3");
        assert_eq!(
            hex(&manifest.resources[0].digest),
            "dc5a4edb8240b018124052c330270696f96771a63b45250a5c17d3000e823355"
        );
        let options = ManifestOptions {
            hash: HashAlgorithm::Blake2b,
            method: Method::Shards { shard_size: 1024 },
            ..ManifestOptions::default()
        };
        let manifest = build(dir.path(), &options).unwrap();
        assert_eq!(manifest.resources[0].algorithm, "blake2b-sharded-1024");
        assert_eq!(
            hex(&manifest.resources[0].digest),
            "fec91c70284c72d0d4e3684788a90de9338a5b2f47f01fedbe203cafd68708718ae5672d10eca804a8121904047d40d1d6cf11e7a76419357a9469af41f22d01"
        );
    }
}
