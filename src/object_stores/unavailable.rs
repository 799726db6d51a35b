//! Store targets in a build without the `object-stores` feature: refused as a usage error,
//! so a store target never ends "clean" unread.

use std::path::Path;

use super::{StoreError, StoreUrl};
use crate::report::{Artifact, DownloadSection, RemoteSection};
use crate::scan::ScanOptions;

/// Never made in this build (there is no way to read a store).
pub struct StoreScan {
    pub url: StoreUrl,
    pub artifacts: Vec<Artifact>,
    pub section: RemoteSection,
}

pub fn scan_store(input: &str, _opts: &ScanOptions) -> Result<StoreScan, StoreError> {
    Err(StoreError {
        usage: true,
        message: format!(
            "{input}: this modelvet was built without object-store support (cargo feature `object-stores`)"
        ),
    })
}

pub fn download_passed(
    _scan: &StoreScan,
    _fail_on: crate::report::Severity,
    dir: &Path,
) -> DownloadSection {
    DownloadSection {
        dir: dir.display().to_string(),
        files: Vec::new(),
    }
}
