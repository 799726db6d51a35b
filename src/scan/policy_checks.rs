//! The `[policy]` table's model rules, judged on a finished report: formats (MV1201),
//! Hub sources (MV1203), licences (MV1204) and remote code (MV1205). Signatures (MV1202)
//! need the provenance layer and are judged by the command line.

use serde_json::Value;

use crate::config::{license_key, ModelPolicy};
use crate::facts;
use crate::format::Format;
use crate::policy::Policy;
use crate::report::{Artifact, ArtifactKind, Finding, Report};
use crate::rules;

/// Adds a finding for every violation of `policy` in `report` and summarises again.
/// `severities` is the configuration's pickle policy, which carries its `[rules]`
/// severity overrides.
pub fn enforce(report: &mut Report, policy: &ModelPolicy, severities: &Policy) {
    check_formats(report, policy);
    check_remote_code(report, policy);
    check_licenses(report, policy);
    check_sources(report, policy);
    for a in &mut report.artifacts {
        a.findings.modify_each(|f| {
            if is_policy_rule(f.rule) {
                f.severity = severities.severity_of(f.rule());
            }
        });
    }
    report.summarize();
}

fn is_policy_rule(id: &str) -> bool {
    [
        &rules::POLICY_FORMAT,
        &rules::POLICY_SIGNATURE,
        &rules::POLICY_SOURCE,
        &rules::POLICY_LICENSE,
        &rules::POLICY_REMOTE_CODE,
    ]
    .iter()
    .any(|r| r.id == id)
}

fn is_container(f: Format) -> bool {
    matches!(f, Format::Zip | Format::Tar | Format::SevenZip) || f.is_compressed_stream()
}

fn check_formats(report: &mut Report, policy: &ModelPolicy) {
    if policy.deny_formats.is_empty() && policy.allow_formats.is_empty() {
        return;
    }
    // Artifacts are sorted by path, so a file comes before its members; a member of a
    // file already judged is not judged again (a torch zip and its data.pkl).
    let mut flagged: Vec<String> = Vec::new();
    for a in &mut report.artifacts {
        if flagged
            .iter()
            .any(|p| a.path.starts_with(p.as_str()) && a.path[p.len()..].starts_with('!'))
        {
            continue;
        }
        let denied = policy.deny_formats.contains(&a.format);
        let not_allowed = !policy.allow_formats.is_empty()
            && a.kind == ArtifactKind::Model
            && a.format.may_hold_weights()
            && !is_container(a.format)
            && !policy.allow_formats.contains(&a.format);
        if denied || not_allowed {
            let why = if denied {
                "is denied by the policy (deny_formats)"
            } else {
                "is not among the policy's allow_formats"
            };
            a.findings.push(
                Finding::new(
                    &rules::POLICY_FORMAT,
                    format!("format {} {why}", a.format.name()),
                )
                .detail(format!("format={}", a.format.name())),
            );
            flagged.push(a.path.clone());
        }
    }
}

fn check_remote_code(report: &mut Report, policy: &ModelPolicy) {
    if !policy.deny_remote_code {
        return;
    }
    for a in &mut report.artifacts {
        let maps: Vec<String> = a
            .findings
            .iter()
            .filter(|f| f.rule == rules::REPO_REMOTE_CODE.id)
            .map(|f| f.message.clone())
            .collect();
        if let Some(first) = maps.first() {
            a.findings.push(
                Finding::new(
                    &rules::POLICY_REMOTE_CODE,
                    format!("the policy denies remote code: {first}"),
                )
                .detail("deny_remote_code"),
            );
        }
    }
}

/// The licences an artifact states: a model card's `license` (one or a list) or GGUF
/// `general.license`.
fn stated_licenses(a: &Artifact) -> Vec<String> {
    let mut out = Vec::new();
    let mut add = |v: &Value| match v {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => {
            out.extend(items.iter().filter_map(|i| i.as_str()).map(String::from))
        }
        _ => {}
    };
    if let Some(card) = a.facts.get(facts::MODEL_CARD) {
        if let Some(l) = card.get("license") {
            add(l);
        }
    }
    if let Some(l) = a.facts.get(facts::LICENSE) {
        add(l);
    }
    out
}

fn check_licenses(report: &mut Report, policy: &ModelPolicy) {
    if policy.licenses_allow.is_empty() && policy.licenses_deny.is_empty() {
        return;
    }
    // Each model unit (a grouped model folder, else a top-level model file) needs a
    // licence when an allow list is set; each stated licence is judged where it is stated.
    let mut units: Vec<Vec<String>> = report.models.iter().map(|m| m.files.clone()).collect();
    let grouped: std::collections::HashSet<&String> = units.iter().flatten().collect();
    let lone: Vec<Vec<String>> = report
        .artifacts
        .iter()
        .filter(|a| {
            a.member.is_none()
                && a.kind == ArtifactKind::Model
                && a.format.may_hold_weights()
                && !grouped.contains(&a.path)
        })
        .map(|a| vec![a.path.clone()])
        .collect();
    units.extend(lone);
    for unit in units {
        let mut stated_any = false;
        for a in report
            .artifacts
            .iter_mut()
            .filter(|a| unit.contains(&a.file))
        {
            for license in stated_licenses(a) {
                let key = license_key(&license);
                stated_any |= key.is_some();
                let verdict = match &key {
                    Some(k) if policy.licenses_deny.contains(k) => {
                        Some("is denied by the policy (licenses_deny)")
                    }
                    Some(k)
                        if !policy.licenses_allow.is_empty()
                            && !policy.licenses_allow.contains(k) =>
                    {
                        Some("is not among the policy's licenses_allow")
                    }
                    _ => None,
                };
                if let Some(why) = verdict {
                    a.findings.push(
                        Finding::new(&rules::POLICY_LICENSE, format!("licence {license} {why}"))
                            .detail(format!("license={license}")),
                    );
                }
            }
        }
        if !stated_any && !policy.licenses_allow.is_empty() {
            let first_weights = report.artifacts.iter_mut().find(|a| {
                a.member.is_none() && unit.contains(&a.path) && a.format.may_hold_weights()
            });
            if let Some(a) = first_weights {
                a.findings.push(
                    Finding::new(
                        &rules::POLICY_LICENSE,
                        "no licence is stated (model card or GGUF metadata), and the policy \
                         allows only listed licences",
                    )
                    .detail("license=none"),
                );
            }
        }
    }
}

/// A full commit id, as the Hub names revisions that cannot move.
fn is_commit(revision: &str) -> bool {
    revision.len() == 40 && revision.bytes().all(|b| b.is_ascii_hexdigit())
}

fn check_sources(report: &mut Report, policy: &ModelPolicy) {
    if policy.allowed_repos.is_empty() && !policy.require_pinned_revision {
        return;
    }
    let sections = report.remote.clone();
    let single = report.inputs.len() == 1;
    for r in &sections {
        let repo = r.repo.trim_start_matches("hf://");
        let repo = repo.strip_prefix("datasets/").unwrap_or(repo);
        let mut problems = Vec::new();
        if !policy.repo_allowed(repo) {
            problems.push(format!("{repo} is not among the policy's allowed_repos"));
        }
        if policy.require_pinned_revision && !is_commit(&r.revision) {
            problems.push(format!(
                "revision `{}` is not a commit (it resolved to {}); the policy requires pinned revisions",
                r.revision, r.commit
            ));
        }
        let holder = report.artifacts.iter_mut().find(|a| {
            a.member.is_none()
                && if r.path_prefix.is_empty() {
                    single
                } else {
                    a.path.starts_with(&r.path_prefix)
                }
        });
        if let Some(a) = holder {
            for p in problems {
                a.findings
                    .push(Finding::new(&rules::POLICY_SOURCE, p).detail(format!("repo={repo}")));
            }
        }
    }
}
