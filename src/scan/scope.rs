//! What a folder walk leaves out: the default excludes (version control, virtual
//! environments, dependency and build folders), the tree's own `.gitignore` and `.ignore`
//! files, and `--exclude` / config `exclude` patterns. A path the user names is always
//! scanned, unless `--force-exclude` asks for the excludes to apply to it too. Every path
//! left out is recorded with the rule that left it out, so the report says what was not
//! looked at.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use crate::limits::{MAX_IGNORE_BYTES_PER_SCAN, MAX_IGNORE_FILE_BYTES};
pub use crate::report::scope::{ScopeSection, SkipReason, SkippedPath};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use ignore::Match;

/// Folder (and file) names left out of folder walks unless `--no-default-excludes`:
/// version control, virtual environments and installed packages, dependency folders,
/// caches of Python tools, and build outputs. A Hugging Face cache is not among them.
pub const DEFAULT_EXCLUDES: &[&str] = &[
    ".git",
    ".hg",
    ".svn",
    ".venv",
    "venv",
    "site-packages",
    "node_modules",
    "__pycache__",
    ".tox",
    ".nox",
    ".mypy_cache",
    ".pytest_cache",
    ".ruff_cache",
    ".eggs",
    "*.egg-info",
    "build",
    "dist",
];

/// The ignore files read in every walked folder, strongest first (ripgrep's order).
const IGNORE_FILES: [&str; 2] = [".ignore", ".gitignore"];

/// How a walk is scoped.
#[derive(Debug, Clone)]
pub struct Scope {
    /// Leave out [`DEFAULT_EXCLUDES`].
    pub default_excludes: bool,
    /// Apply `.gitignore`, `.ignore` and `.git/info/exclude`.
    pub ignore_files: bool,
    /// Exclude patterns (gitignore syntax), each set anchored at its own folder.
    pub excludes: Vec<ExcludeSet>,
    /// Follow symbolic links to folders and links that leave the scanned tree.
    pub follow_symlinks: bool,
    /// Apply the default excludes and exclude patterns to named paths too (for file lists
    /// from pre-commit or `git ls-files`, which name every file).
    pub force_exclude: bool,
    /// Judge named files as a walk judges the files it finds: content modelvet does not
    /// parse, under a name that claims no model format, is not an error.
    pub named_as_found: bool,
}

impl Default for Scope {
    fn default() -> Self {
        Scope {
            default_excludes: true,
            ignore_files: true,
            excludes: Vec::new(),
            follow_symlinks: false,
            force_exclude: false,
            named_as_found: false,
        }
    }
}

/// Exclude patterns from one origin (the command line, or a configuration file).
#[derive(Debug, Clone)]
pub struct ExcludeSet {
    /// `--exclude` or the configuration file's path, as shown in the report.
    pub origin: String,
    matcher: Gitignore,
}

impl ExcludeSet {
    /// Patterns in gitignore syntax; one with a `/` is anchored at `root` (the current
    /// folder for `--exclude`, the configuration file's folder for `exclude`).
    pub fn new(origin: &str, root: &Path, patterns: &[String]) -> Result<ExcludeSet, String> {
        let root = std::path::absolute(root).map_err(|e| format!("{}: {e}", root.display()))?;
        let mut builder = GitignoreBuilder::new(&root);
        for p in patterns {
            builder
                .add_line(None, p)
                .map_err(|e| format!("{origin}: exclude pattern `{p}`: {e}"))?;
        }
        let matcher = builder
            .build()
            .map_err(|e| format!("{origin}: exclude patterns: {e}"))?;
        Ok(ExcludeSet {
            origin: origin.to_string(),
            matcher,
        })
    }
}

/// The ignore files in force for one folder: its own, then its parent's, up to the root
/// of the walk (or of the Git work tree around it).
pub(super) struct IgnoreLayer {
    matchers: Vec<(Gitignore, String)>,
    parent: Option<Rc<IgnoreLayer>>,
}

pub(super) type Layers = Option<Rc<IgnoreLayer>>;

impl Scope {
    /// Why `path` (absolute, as walked) is left out, if it is. `name` is its last
    /// component; `layers` the ignore files in force in its folder.
    pub(super) fn excluded(
        &self,
        path: &Path,
        name: &str,
        is_dir: bool,
        layers: &Layers,
    ) -> Option<(SkipReason, String)> {
        if self.default_excludes {
            if let Some(pattern) = default_exclude(name) {
                return Some((
                    SkipReason::DefaultExclude,
                    format!("default exclude: {pattern}"),
                ));
            }
        }
        for set in &self.excludes {
            if let Match::Ignore(glob) = set.matcher.matched(path, is_dir) {
                return Some((
                    SkipReason::Exclude,
                    format!("{}: {}", set.origin, glob.original()),
                ));
            }
        }
        let mut layer = layers.as_deref();
        while let Some(l) = layer {
            for (matcher, origin) in &l.matchers {
                match matcher.matched(path, is_dir) {
                    Match::Ignore(glob) => {
                        return Some((
                            SkipReason::IgnoreFile,
                            format!("{origin}: {}", glob.original()),
                        ))
                    }
                    Match::Whitelist(_) => return None,
                    Match::None => {}
                }
            }
            layer = l.parent.as_deref();
        }
        None
    }

    /// Why a path named on the command line is left out under `--force-exclude`: a
    /// default exclude among the components the user typed, or an exclude pattern that
    /// matches it or a folder above it (inside the pattern's own folder). Ignore files are
    /// not consulted: the tools that pass file lists already honour them.
    pub(super) fn excluded_named(&self, named: &Path) -> Option<(SkipReason, String)> {
        if !self.force_exclude {
            return None;
        }
        if self.default_excludes {
            for part in named.components() {
                if let std::path::Component::Normal(name) = part {
                    if let Some(pattern) = default_exclude(&name.to_string_lossy()) {
                        return Some((
                            SkipReason::DefaultExclude,
                            format!("default exclude: {pattern}"),
                        ));
                    }
                }
            }
        }
        let absolute = std::path::absolute(named).ok()?;
        for set in &self.excludes {
            let root = set.matcher.path();
            let mut is_dir = absolute.is_dir();
            for candidate in absolute
                .ancestors()
                .take_while(|a| a.starts_with(root) && *a != root)
            {
                if let Match::Ignore(glob) = set.matcher.matched(candidate, is_dir) {
                    return Some((
                        SkipReason::Exclude,
                        format!("{}: {}", set.origin, glob.original()),
                    ));
                }
                is_dir = true;
            }
        }
        None
    }

    /// The layers in force at the root of a walk of `root`: the ignore files of the folders
    /// between the enclosing Git work tree (if any) and `root`, and that tree's
    /// `.git/info/exclude`. `root`'s own files are read when the walk enters it.
    pub(super) fn layers_above(
        &self,
        root: &Path,
        display_root: &str,
        section: &mut ScopeSection,
    ) -> Layers {
        if !self.ignore_files {
            return None;
        }
        let Ok(root) = std::path::absolute(root) else {
            return None;
        };
        let work_tree = root.ancestors().find(|a| a.join(".git").exists())?;
        let levels_up = root.ancestors().position(|a| a == work_tree).unwrap_or(0);
        // Shown relative to the scanned folder as the user named it: `../.gitignore`.
        let shown_above = |levels: usize| {
            let ups = vec![".."; levels].join("/");
            match display_root.trim_end_matches('/') {
                "" | "." => ups,
                d => format!("{d}/{ups}"),
            }
        };
        let tree_shown = if levels_up == 0 {
            display_root.trim_end_matches('/').to_string()
        } else {
            shown_above(levels_up)
        };
        let mut layers = read_layer(
            &work_tree.join(".git").join("info"),
            &format!("{tree_shown}/.git/info"),
            &["exclude"],
            work_tree,
            None,
            section,
        );
        for levels in (1..=levels_up).rev() {
            let dir = root.ancestors().nth(levels).unwrap_or(work_tree);
            layers = self.enter(dir, &shown_above(levels), layers, section);
        }
        layers
    }

    /// The layers in force inside `dir` (absolute), given those of its parent.
    pub(super) fn enter(
        &self,
        dir: &Path,
        display: &str,
        parent: Layers,
        section: &mut ScopeSection,
    ) -> Layers {
        if !self.ignore_files {
            return None;
        }
        read_layer(dir, display, &IGNORE_FILES, dir, parent, section)
    }
}

fn default_exclude(name: &str) -> Option<&'static str> {
    DEFAULT_EXCLUDES
        .iter()
        .copied()
        .find(|pattern| match pattern.strip_prefix('*') {
            Some(suffix) => name.len() > suffix.len() && name.ends_with(suffix),
            None => name == *pattern,
        })
}

/// Reads the ignore files `names` of folder `dir`, anchored at `anchor`. A file that is a
/// link, over [`MAX_IGNORE_FILE_BYTES`] or unreadable is not applied (the walk then scans
/// more, never less) and is noted.
fn read_layer(
    dir: &Path,
    display: &str,
    names: &[&str],
    anchor: &Path,
    parent: Layers,
    section: &mut ScopeSection,
) -> Layers {
    let mut matchers = Vec::new();
    for name in names {
        let path = dir.join(name);
        let shown = if display.is_empty() || display == "." {
            name.to_string()
        } else {
            format!("{}/{name}", display.trim_end_matches('/'))
        };
        // Git does not follow a linked .gitignore either.
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() {
            continue;
        }
        if section.ignore_bytes + meta.len().min(MAX_IGNORE_FILE_BYTES) > MAX_IGNORE_BYTES_PER_SCAN
        {
            section.note(format!(
                "{shown}: not applied (the ignore files of this scan reached MAX_IGNORE_BYTES_PER_SCAN, {MAX_IGNORE_BYTES_PER_SCAN})"
            ));
            continue;
        }
        match read_bounded(&path) {
            Ok(Some(text)) => {
                section.ignore_bytes += text.len() as u64;
                let mut builder = GitignoreBuilder::new(anchor);
                for line in text.lines() {
                    // Git skips a pattern it cannot parse; so does the walk.
                    let _ = builder.add_line(Some(path.clone()), line);
                }
                match builder.build() {
                    Ok(m) if !m.is_empty() => matchers.push((m, shown)),
                    Ok(_) => {}
                    Err(e) => section.note(format!("{shown}: not applied ({e})")),
                }
            }
            Ok(None) => section.note(format!(
                "{shown}: not applied (larger than MAX_IGNORE_FILE_BYTES, {MAX_IGNORE_FILE_BYTES})"
            )),
            Err(e) => section.note(format!("{shown}: not applied ({e})")),
        }
    }
    if matchers.is_empty() {
        return parent;
    }
    Some(Rc::new(IgnoreLayer { matchers, parent }))
}

fn read_bounded(path: &PathBuf) -> std::io::Result<Option<String>> {
    let mut bytes = Vec::new();
    std::fs::File::open(path)?
        .take(MAX_IGNORE_FILE_BYTES + 1)
        .read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_IGNORE_FILE_BYTES {
        return Ok(None);
    }
    Ok(Some(String::from_utf8_lossy(&bytes).into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_excludes_match_names_exactly() {
        assert_eq!(default_exclude(".venv"), Some(".venv"));
        assert_eq!(default_exclude("pkg.egg-info"), Some("*.egg-info"));
        assert_eq!(default_exclude(".egg-info"), None);
        assert_eq!(default_exclude("venv2"), None);
        assert_eq!(default_exclude("models"), None);
    }

    #[test]
    fn exclude_patterns_use_gitignore_syntax() {
        let root = std::env::temp_dir();
        let set = ExcludeSet::new(
            "--exclude",
            &root,
            &["legacy/".into(), "*.bak".into(), "/top.pt".into()],
        )
        .unwrap();
        let scope = Scope {
            excludes: vec![set],
            ..Scope::default()
        };
        let hit = |p: &str, dir: bool| {
            scope.excluded(&root.join(p), p.rsplit('/').next().unwrap(), dir, &None)
        };
        assert_eq!(
            hit("a/legacy", true).unwrap().1,
            "--exclude: legacy/".to_string()
        );
        assert!(
            hit("a/legacy", false).is_none(),
            "a trailing / means folders only"
        );
        assert!(hit("x/model.bak", false).is_some());
        assert!(hit("top.pt", false).is_some());
        assert!(hit("sub/top.pt", false).is_none(), "a leading / anchors");
    }
}
