//! `inventory --vet`: each Hub model or dataset the application references is resolved at
//! the revision it names (the default branch when it names none) and scanned over HTTP
//! range reads as `scan hf://...` does, once per distinct repository and revision. The
//! scanned files join the report under `hf://org/name@<commit>/`, so their findings count
//! as a local file's would; a revision that cannot be vetted is an error artifact
//! (incomplete, never clean). Only with `--vet`: the inventory is offline otherwise.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Entry, Kind};
use crate::hub::env::HubConfig;
use crate::hub::vet::scan_remote;
use crate::report::Artifact;
use crate::scan::ScanOptions;

/// Most distinct repositories and revisions vetted in one run.
pub const MAX_VETTED_REVISIONS: usize = 256;

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Vetted {
    /// What was scanned: `hf://org/name@revision`.
    pub target: String,
    /// The commit the revision resolved to, when it resolved.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    /// `clean`, `findings (worst high)`, `incomplete`, or `not vetted: <why>`.
    pub verdict: String,
    pub bytes_read: u64,
    pub bytes_total: u64,
}

fn target_of(e: &Entry) -> Option<String> {
    let repo = e.hub_repo.as_ref()?;
    if !matches!(e.kind, Kind::Model | Kind::Dataset) || e.provider != "huggingface" {
        return None;
    }
    let kind = if e.kind == Kind::Dataset {
        "datasets/"
    } else {
        ""
    };
    let revision = e
        .revision
        .as_ref()
        .and_then(|r| r.known())
        .map(|r| format!("@{r}"))
        .unwrap_or_default();
    Some(format!("hf://{kind}{repo}{revision}"))
}

/// Vets every referenced revision; returns the artifacts to add to the report.
pub fn vet(entries: &mut [Entry], hub: &HubConfig, opts: &ScanOptions) -> Vec<Artifact> {
    let mut results: BTreeMap<String, Vetted> = BTreeMap::new();
    let mut artifacts = Vec::new();
    for e in entries.iter() {
        let Some(target) = target_of(e) else {
            continue;
        };
        if results.contains_key(&target) {
            continue;
        }
        if results.len() >= MAX_VETTED_REVISIONS {
            let mut a = Artifact::new(target.clone(), target.clone(), None);
            a.mark_error(format!(
                "not vetted: more than MAX_VETTED_REVISIONS ({MAX_VETTED_REVISIONS}) referenced revisions"
            ));
            artifacts.push(a);
            results.insert(
                target.clone(),
                Vetted {
                    target,
                    commit: None,
                    verdict: "not vetted: MAX_VETTED_REVISIONS reached".into(),
                    bytes_read: 0,
                    bytes_total: 0,
                },
            );
            continue;
        }
        let vetted = match scan_remote(&target, hub, opts) {
            Ok(scan) => {
                let prefix = format!("{}@{}/", scan.repo.display_name(), scan.commit);
                let mut arts = scan.artifacts;
                for a in &mut arts {
                    a.path = format!("{prefix}{}", a.path);
                    a.file = format!("{prefix}{}", a.file);
                }
                let worst = arts
                    .iter()
                    .flat_map(|a| a.findings.iter().map(|f| f.severity))
                    .max();
                let incomplete = arts.iter().any(|a| a.counts_as_incomplete());
                let verdict = match (worst, incomplete) {
                    (Some(s), _) => format!("findings (worst {})", s.as_str()),
                    (None, true) => "incomplete".to_string(),
                    (None, false) => "clean".to_string(),
                };
                artifacts.extend(arts);
                Vetted {
                    target: target.clone(),
                    commit: Some(scan.commit),
                    verdict,
                    bytes_read: scan.bytes_read,
                    bytes_total: scan.bytes_total,
                }
            }
            Err(err) => {
                let mut a = Artifact::new(target.clone(), target.clone(), None);
                a.format = crate::formats::registry::Format::HfRepository;
                a.mark_error(format!("not vetted: {}", err.message));
                artifacts.push(a);
                Vetted {
                    target: target.clone(),
                    commit: None,
                    verdict: format!("not vetted: {}", err.message),
                    bytes_read: 0,
                    bytes_total: 0,
                }
            }
        };
        results.insert(target, vetted);
    }
    for e in entries.iter_mut() {
        if let Some(v) = target_of(e).and_then(|t| results.get(&t)) {
            e.verdict = Some(v.verdict.clone());
            e.vetted = Some(v.clone());
        }
    }
    artifacts
}
