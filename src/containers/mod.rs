//! Containers: archives (zip, tar, 7z) and compression streams. Each reader hands out
//! members; what a member's name and link may do to an extracting loader is judged here,
//! once, by [`member_path_escapes`], whatever the container.

pub mod compress;
pub mod sevenz;
pub mod tar;
pub mod zip;

use crate::findings::Finding;
use crate::rules;

/// Bytes of a link member's content read as its target (zip and 7z store the target as
/// the member's data); a longer target is judged by this prefix.
pub(crate) const MAX_LINK_TARGET_BYTES: u64 = 4096;

/// What an archive member is when extracted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberKind {
    File,
    Directory,
    /// A symbolic link: its target is resolved from the link's own folder.
    Symlink,
    /// A hard link (tar): its target names another member from the archive root.
    Hardlink,
    /// Devices, FIFOs and the like.
    Other,
}

/// Splits a member path the way an extractor on any platform may: `/` and `\` both
/// separate (Python's zipfile and Windows tools treat `\` as a separator).
fn components(path: &str) -> impl Iterator<Item = &str> {
    path.split(['/', '\\'])
        .filter(|c| !c.is_empty() && *c != ".")
}

/// Why `path` is not a plain relative path: absolute (`/x`, `\x`, `\\host\x`), a drive
/// letter (`C:x`), or a `..` component.
fn unsafe_shape(path: &str) -> Option<&'static str> {
    let b = path.as_bytes();
    if b.first().is_some_and(|c| *c == b'/' || *c == b'\\') {
        return Some("is absolute");
    }
    if b.len() >= 2 && b[1] == b':' && b[0].is_ascii_alphabetic() {
        return Some("starts with a drive letter");
    }
    None
}

/// Whether `path`, taken from `base` (a list of folder components inside the extraction
/// directory), climbs above the extraction directory at any point.
fn climbs_out(base: &[&str], path: &str) -> bool {
    let mut depth = base.len();
    for c in components(path) {
        if c == ".." {
            if depth == 0 {
                return true;
            }
            depth -= 1;
        } else {
            depth += 1;
        }
    }
    false
}

/// Why extracting the member named `name` (a link to `link`, for link kinds) would write
/// or point outside the extraction directory; `None` when it stays inside.
pub(crate) fn member_path_escapes(
    name: &str,
    kind: MemberKind,
    link: Option<&str>,
) -> Option<String> {
    if let Some(shape) = unsafe_shape(name) {
        return Some(format!("its name {shape}"));
    }
    if climbs_out(&[], name) || components(name).any(|c| c == "..") {
        return Some("its name contains `..`".into());
    }
    let target = link.filter(|_| matches!(kind, MemberKind::Symlink | MemberKind::Hardlink))?;
    if let Some(shape) = unsafe_shape(target) {
        return Some(format!("it links to `{target}`, which {shape}"));
    }
    let base: Vec<&str> = match kind {
        // A symbolic link resolves from its own folder, a hard link from the root.
        MemberKind::Symlink => {
            let parts: Vec<&str> = components(name).collect();
            parts[..parts.len().saturating_sub(1)].to_vec()
        }
        _ => Vec::new(),
    };
    if climbs_out(&base, target) {
        return Some(format!(
            "it links to `{target}`, outside the extraction directory"
        ));
    }
    None
}

/// The MV305 finding for a member, if its path or link escapes. `noun` names the member
/// as the container calls it ("zip entry", "tar member").
pub(crate) fn traversal_finding(
    noun: &str,
    name: &str,
    kind: MemberKind,
    link: Option<&str>,
) -> Option<Finding> {
    let why = member_path_escapes(name, kind, link)?;
    Some(Finding::new(
        &rules::ARCHIVE_PATH_TRAVERSAL,
        format!("{noun} `{name}` escapes the extraction directory: {why}"),
    ))
}

#[cfg(test)]
mod tests {
    use super::MemberKind::*;
    use super::*;

    fn escapes(name: &str, kind: MemberKind, link: Option<&str>) -> bool {
        member_path_escapes(name, kind, link).is_some()
    }

    #[test]
    fn names_that_leave_the_extraction_directory() {
        for name in [
            "/etc/passwd",
            "\\Windows\\x",
            "\\\\host\\share\\x",
            "C:\\x",
            "c:x",
            "../x",
            "a/../../x",
            "a\\..\\..\\x",
            "a/../b", // stays inside, but no loader writes such names: flagged like tar and zip did
        ] {
            assert!(escapes(name, File, None), "{name}");
        }
        for name in ["a/b.pkl", "./a", "a..b/c", "archive/data/0", "ab:c"] {
            assert!(!escapes(name, File, None), "{name}");
        }
    }

    #[test]
    fn links_are_resolved_from_where_they_point() {
        assert!(escapes("a/link", Symlink, Some("../../etc")));
        assert!(escapes("link", Symlink, Some("/etc/passwd")));
        assert!(escapes("link", Symlink, Some("C:\\x")));
        assert!(escapes("a/link", Symlink, Some("..\\..\\x")));
        assert!(!escapes("a/link", Symlink, Some("../b")));
        assert!(!escapes("a/link", Symlink, Some("c/d")));
        // A hard link names another member from the archive root.
        assert!(escapes("a/b/hard", Hardlink, Some("../x")));
        assert!(!escapes("a/b/hard", Hardlink, Some("a/x")));
        // A file's link field means nothing.
        assert!(!escapes("f", File, Some("/etc/passwd")));
    }
}
