//! What folder walks left out, as the report carries it (the walk itself is
//! `scan::scope`).

use serde::Serialize;

use crate::limits::MAX_SKIPPED_LISTED;

/// Why a path was left out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SkipReason {
    DefaultExclude,
    IgnoreFile,
    Exclude,
}

impl SkipReason {
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::DefaultExclude => "default-exclude",
            SkipReason::IgnoreFile => "ignore-file",
            SkipReason::Exclude => "exclude",
        }
    }
}

/// One path a walk left out (a folder stands for everything under it).
#[derive(Debug, Clone, Serialize)]
pub struct SkippedPath {
    pub path: String,
    pub directory: bool,
    pub reason: SkipReason,
    /// The pattern and where it came from (`models/.gitignore: *.pkl`).
    pub rule: String,
}

/// What the walks of one scan left out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScopeSection {
    /// The first [`MAX_SKIPPED_LISTED`] paths left out, in walk order.
    pub skipped: Vec<SkippedPath>,
    /// Every path left out, listed or not.
    pub skipped_total: usize,
    /// Ignore files that were not applied, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Bytes of ignore files applied so far (bounded by [`MAX_IGNORE_BYTES_PER_SCAN`]).
    #[serde(skip)]
    pub(crate) ignore_bytes: u64,
}

impl ScopeSection {
    pub fn is_empty(&self) -> bool {
        self.skipped_total == 0 && self.notes.is_empty()
    }

    /// Notes past the hundredth are counted in one last note.
    pub(crate) fn note(&mut self, note: String) {
        const MAX_NOTES: usize = 100;
        match self.notes.len() {
            n if n < MAX_NOTES => self.notes.push(note),
            MAX_NOTES => self
                .notes
                .push("more ignore files were not applied (notes end here)".into()),
            _ => {}
        }
    }

    pub(crate) fn record(&mut self, skipped: SkippedPath) {
        self.skipped_total += 1;
        if self.skipped.len() < MAX_SKIPPED_LISTED {
            self.skipped.push(skipped);
        }
    }
}
