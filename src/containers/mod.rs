//! Containers: archives (zip, tar, 7z) and compression streams. Each reader hands out
//! members; what a member's name and link may do to an extracting loader is judged here,
//! once, by [`Member::traversal_finding`], whatever the container.

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

/// Why `path` is not relative: absolute (`/x`, `\x`, `\\host\x`) or on a drive (`C:x`).
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

/// Whether `path`, followed from a folder `depth` levels inside the extraction directory,
/// climbs above that directory at any point.
fn climbs_out(depth: usize, path: &str) -> bool {
    let mut depth = depth;
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
fn member_path_escapes(name: &str, kind: MemberKind, link: Option<&str>) -> Option<String> {
    if let Some(shape) = unsafe_shape(name) {
        return Some(format!("its name {shape}"));
    }
    // Any `..` in a name, even one that stays inside: no archiver writes one.
    if components(name).any(|c| c == "..") {
        return Some("its name contains `..`".into());
    }
    let target = link.filter(|_| matches!(kind, MemberKind::Symlink | MemberKind::Hardlink))?;
    if let Some(shape) = unsafe_shape(target) {
        return Some(format!("it links to `{target}`, which {shape}"));
    }
    // A symbolic link resolves from its own folder, a hard link from the root.
    let depth = match kind {
        MemberKind::Symlink => components(name).count().saturating_sub(1),
        _ => 0,
    };
    if climbs_out(depth, target) {
        return Some(format!(
            "it links to `{target}`, outside the extraction directory"
        ));
    }
    None
}

/// An archive member as an extractor sees it: the one member type every container hands
/// out, and what the member-path rule judges.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Member<'a> {
    /// What the container calls it ("zip entry", "tar member", "7z member").
    pub noun: &'static str,
    pub name: &'a str,
    pub kind: MemberKind,
    /// A link's target: tar stores it in the header, zip and 7z as the member's data.
    pub link: Option<&'a str>,
}

impl<'a> Member<'a> {
    /// The same member with its link target, once read.
    pub(crate) fn linking_to(self, target: &'a str) -> Member<'a> {
        Member {
            link: Some(target),
            ..self
        }
    }

    /// Why extracting it would write or point outside the extraction directory.
    pub(crate) fn escapes(&self) -> Option<String> {
        member_path_escapes(self.name, self.kind, self.link)
    }

    /// Whether the name alone escapes (what a container can tell before reading data).
    pub(crate) fn name_escapes(&self) -> bool {
        member_path_escapes(self.name, MemberKind::File, None).is_some()
    }

    /// The MV305 finding, if its path or link escapes.
    pub(crate) fn traversal_finding(&self) -> Option<Finding> {
        let why = self.escapes()?;
        Some(Finding::new(
            &rules::ARCHIVE_PATH_TRAVERSAL,
            format!(
                "{} `{}` escapes the extraction directory: {why}",
                self.noun, self.name
            ),
        ))
    }
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
