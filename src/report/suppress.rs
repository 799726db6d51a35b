//! Accepted findings: the configuration's `[[ignore]]` entries and `--baseline` reports.
//! A suppressed finding stays in every report format, marked with why, and never fails
//! the run; an expired entry stops suppressing.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ignore::gitignore::{Gitignore, GitignoreBuilder};

use super::locate::{normalize, Place};
use super::{Report, Suppression, SuppressionUse};
use crate::config::IgnoreEntry;
use crate::limits::MAX_JSON_BYTES;

/// The fingerprints of an earlier report's findings.
pub struct Baseline {
    source: String,
    fingerprints: HashSet<String>,
}

impl Baseline {
    /// Reads a JSON report written by `modelvet scan --format json`.
    pub fn load(path: &Path) -> Result<Baseline, String> {
        let shown = path.display().to_string();
        let meta = std::fs::metadata(path).map_err(|e| format!("--baseline {shown}: {e}"))?;
        if meta.len() > MAX_JSON_BYTES {
            return Err(format!(
                "--baseline {shown}: larger than MAX_JSON_BYTES ({MAX_JSON_BYTES})"
            ));
        }
        let bytes = std::fs::read(path).map_err(|e| format!("--baseline {shown}: {e}"))?;
        let doc = crate::json::parse_value(&bytes)
            .map_err(|e| format!("--baseline {shown}: not JSON ({e:?})"))?;
        if doc.pointer("/tool/name").and_then(|v| v.as_str()) != Some("modelvet") {
            return Err(format!(
                "--baseline {shown}: not a modelvet JSON report (--format json)"
            ));
        }
        let mut fingerprints = HashSet::new();
        let mut findings = 0usize;
        for a in doc
            .get("artifacts")
            .and_then(|a| a.as_array())
            .into_iter()
            .flatten()
        {
            for f in a
                .get("findings")
                .and_then(|f| f.as_array())
                .into_iter()
                .flatten()
            {
                findings += 1;
                if let Some(fp) = f.get("fingerprint").and_then(|v| v.as_str()) {
                    fingerprints.insert(fp.to_string());
                }
            }
        }
        if findings > 0 && fingerprints.is_empty() {
            return Err(format!(
                "--baseline {shown}: its findings have no fingerprints (written by an older \
                 modelvet); write the baseline again"
            ));
        }
        Ok(Baseline {
            source: shown,
            fingerprints,
        })
    }
}

/// Today's date in UTC, `YYYY-MM-DD`.
pub fn today_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    civil_date(secs / 86_400)
}

/// The proleptic Gregorian date of a day count since 1970-01-01.
fn civil_date(days: u64) -> String {
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

struct CompiledEntry<'e> {
    entry: &'e IgnoreEntry,
    matcher: Gitignore,
    expired: bool,
    matched: usize,
}

impl Report {
    /// Marks the findings that `entries` (from the configuration at `config`) or
    /// `baseline` accept, records how each entry was used, and summarises again. `today`
    /// is `YYYY-MM-DD`; an entry whose `expires` is before it no longer suppresses.
    pub fn apply_suppressions(
        &mut self,
        entries: &[IgnoreEntry],
        config: Option<&Path>,
        baseline: Option<&Baseline>,
        today: &str,
    ) -> Result<(), String> {
        let config_dir = config
            .and_then(Path::parent)
            .map(|p| {
                normalize(if p.as_os_str().is_empty() {
                    Path::new(".")
                } else {
                    p
                })
            })
            .unwrap_or_else(|| normalize(Path::new(".")));
        let config_shown = config.map(|p| p.display().to_string()).unwrap_or_default();
        let mut compiled = Vec::new();
        for entry in entries {
            let mut builder = GitignoreBuilder::new(&config_dir);
            builder
                .add_line(None, &entry.path)
                .map_err(|e| format!("{config_shown}: [[ignore]] path `{}`: {e}", entry.path))?;
            let matcher = builder
                .build()
                .map_err(|e| format!("{config_shown}: [[ignore]] path `{}`: {e}", entry.path))?;
            compiled.push(CompiledEntry {
                entry,
                matcher,
                expired: entry.expires.as_deref().is_some_and(|d| d < today),
                matched: 0,
            });
        }
        let file_hashes: HashMap<String, Option<String>> = self
            .artifacts
            .iter()
            .filter(|a| a.member.is_none())
            .map(|a| (a.file.clone(), a.sha256.clone()))
            .collect();
        let places: Vec<Place> = self.artifacts.iter().map(|a| self.place(a)).collect();
        for (artifact, place) in self.artifacts.iter_mut().zip(places) {
            let on_disk: Option<PathBuf> = match &place {
                Place::InRoot(_) | Place::Outside(_) => Some(normalize(Path::new(&artifact.file))),
                Place::Remote { key, .. } => key
                    .strip_prefix("hf://")
                    .and_then(|k| k.splitn(3, '/').nth(2))
                    .map(|rest| config_dir.join(rest)),
                Place::Stdin => None,
            };
            let sha = file_hashes.get(&artifact.file).cloned().flatten();
            artifact.findings.modify_each(|f| {
                if f.suppressed.is_some() {
                    return;
                }
                if let Some(path) = &on_disk {
                    for c in compiled.iter_mut() {
                        if c.entry.rule != f.rule
                            || !path.starts_with(&config_dir)
                            || !c
                                .matcher
                                .matched_path_or_any_parents(path, false)
                                .is_ignore()
                        {
                            continue;
                        }
                        if c.entry.sha256.is_some() && c.entry.sha256 != sha {
                            continue;
                        }
                        c.matched += 1;
                        if c.expired {
                            continue;
                        }
                        f.suppressed = Some(Suppression {
                            kind: "config",
                            reason: c.entry.reason.clone(),
                            source: config_shown.clone(),
                            expires: c.entry.expires.clone(),
                        });
                        return;
                    }
                }
                if let (Some(b), Some(fp)) = (baseline, &f.fingerprint) {
                    if b.fingerprints.contains(fp) {
                        f.suppressed = Some(Suppression {
                            kind: "baseline",
                            reason: format!("in the baseline {}", b.source),
                            source: b.source.clone(),
                            expires: None,
                        });
                    }
                }
            });
        }
        self.suppressions = compiled
            .iter()
            .map(|c| SuppressionUse {
                rule: c.entry.rule.to_string(),
                path: c.entry.path.clone(),
                sha256: c.entry.sha256.clone(),
                reason: c.entry.reason.clone(),
                expires: c.entry.expires.clone(),
                source: config_shown.clone(),
                state: if c.expired { "expired" } else { "active" },
                matched: c.matched,
            })
            .collect();
        self.summarize();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates() {
        assert_eq!(civil_date(0), "1970-01-01");
        assert_eq!(civil_date(11_016), "2000-02-29");
        assert_eq!(civil_date(20_791), "2026-12-04");
    }
}
