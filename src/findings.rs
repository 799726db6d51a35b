//! A finding: which rule fired, where, on what evidence. Part of the bottom vocabulary
//! with [`crate::rules`] and [`crate::limits`]: parsers build findings, the report carries
//! them, renderers print them.

use std::collections::HashMap;

use serde::Serialize;

use crate::limits::MAX_DISTINCT_FINDINGS_PER_RULE;
pub use crate::rules::Severity;
use crate::rules::{self, Rule};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Member path inside the top-level file, if the artifact is a member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Byte offset inside the artifact (the member's own bytes for members).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The opcode or structure at that offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opcode: Option<String>,
    /// The 1-based line, for findings in text files whose parser knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub rule_name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    pub evidence: Evidence,
    pub cwe: String,
    pub remediation: &'static str,
    /// How many times this finding occurred: repeats of one finding (the same rule,
    /// severity, message, member, opcode and evidence at other offsets) are folded into
    /// the first, and the summary finding of a rule past its listing limit counts what
    /// it stands for. The location is the first occurrence's.
    #[serde(skip_serializing_if = "is_one")]
    pub count: u64,
    /// This finding stands for the findings of its rule past the listing limit.
    #[serde(skip)]
    summary: bool,
    /// Identifies the finding across runs, whatever the path was typed as: the rule, the
    /// file's path from the source root, the member and the evidence (set by the report).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fingerprint: Option<String>,
    /// Accepted by a config `[[ignore]]` entry or a baseline: shown, never failing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub suppressed: Option<Suppression>,
}

/// Where a finding was accepted, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suppression {
    /// `config` (an `[[ignore]]` entry) or `baseline` (`--baseline FILE`).
    pub kind: &'static str,
    /// The entry's reason, or the baseline it was found in.
    pub reason: String,
    /// The configuration or baseline file.
    pub source: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires: Option<String>,
}

fn is_one(n: &u64) -> bool {
    *n == 1
}

impl Finding {
    pub fn new(rule: &'static Rule, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.id,
            rule_name: rule.name,
            severity: rule.severity,
            message: message.into(),
            location: Location::default(),
            evidence: Evidence::default(),
            cwe: format!("CWE-{}", rule.cwe),
            remediation: rule.remediation,
            count: 1,
            summary: false,
            fingerprint: None,
            suppressed: None,
        }
    }

    /// A finding as a verdict cache stored it (see [`crate::verdict_cache`]).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn restored(
        rule: &'static Rule,
        severity: Severity,
        message: String,
        location: Location,
        evidence: Evidence,
        count: u64,
        summary: bool,
    ) -> Finding {
        let mut f = Finding::new(rule, message).with_severity(severity);
        f.location = location;
        f.evidence = evidence;
        f.count = count;
        f.summary = summary;
        f
    }

    /// Whether this finding counts the findings of its rule past the listing limit.
    pub(crate) fn is_summary(&self) -> bool {
        self.summary
    }

    pub(crate) fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    pub fn at(mut self, offset: u64, opcode: impl Into<String>) -> Finding {
        self.location.offset = Some(offset);
        self.location.opcode = Some(opcode.into());
        self
    }

    pub fn offset(mut self, offset: u64) -> Finding {
        self.location.offset = Some(offset);
        self
    }

    pub fn global(mut self, module: &str, name: &str) -> Finding {
        self.evidence.module = Some(module.to_string());
        self.evidence.name = Some(name.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Finding {
        self.evidence.detail = Some(detail.into());
        self
    }

    pub fn rule(&self) -> &'static Rule {
        rules::find(self.rule).expect("findings are built from catalog rules")
    }
}

/// What makes two findings repeats of one another: everything but the offset.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct RepeatKey {
    rule: &'static str,
    severity: Severity,
    message: String,
    member: Option<String>,
    opcode: Option<String>,
    evidence: (Option<String>, Option<String>, Option<String>),
}

impl RepeatKey {
    fn of(f: &Finding) -> RepeatKey {
        RepeatKey {
            rule: f.rule,
            severity: f.severity,
            message: f.message.clone(),
            member: f.location.member.clone(),
            opcode: f.location.opcode.clone(),
            evidence: (
                f.evidence.module.clone(),
                f.evidence.name.clone(),
                f.evidence.detail.clone(),
            ),
        }
    }
}

/// Where one rule's findings stand in one member: how many distinct ones are listed, and
/// the summary finding that counts the rest once the listing is full.
#[derive(Debug, Clone, Default)]
struct RuleTally {
    listed: usize,
    summary: Option<usize>,
}

/// The findings of one artifact, sized by what they show rather than by the input.
///
/// A hostile file can repeat one construct millions of times; a finding per occurrence
/// made reports of hundreds of megabytes. So a repeat of a held finding adds to its
/// `count`, and past [`MAX_DISTINCT_FINDINGS_PER_RULE`] distinct findings of one rule and
/// severity in one member, the rest are counted by a single summary finding of that rule
/// and severity. Nothing is lowered: a finding of a higher severity is never folded into
/// one of a lower, and every rule that fired stays listed.
#[derive(Debug, Clone, Default)]
pub struct Findings {
    items: Vec<Finding>,
    repeats: HashMap<RepeatKey, usize>,
    tallies: HashMap<(&'static str, Severity, Option<String>), RuleTally>,
}

impl Findings {
    pub fn new() -> Findings {
        Findings::default()
    }

    /// Adds a finding, or counts it where one like it is held (see [`Findings`]).
    pub fn push(&mut self, finding: Finding) {
        let key = RepeatKey::of(&finding);
        if let Some(&i) = self.repeats.get(&key) {
            self.items[i].count = self.items[i].count.saturating_add(finding.count);
            return;
        }
        let tally_key = (
            finding.rule,
            finding.severity,
            finding.location.member.clone(),
        );
        let tally = self.tallies.entry(tally_key).or_default();
        if tally.listed < MAX_DISTINCT_FINDINGS_PER_RULE {
            tally.listed += 1;
            self.repeats.insert(key, self.items.len());
            self.items.push(finding);
            return;
        }
        match tally.summary {
            Some(i) => {
                self.items[i].count = self.items[i].count.saturating_add(finding.count);
            }
            None => {
                tally.summary = Some(self.items.len());
                let mut summary = Finding::new(
                    finding.rule(),
                    format!(
                        "further {} findings are not listed ({MAX_DISTINCT_FINDINGS_PER_RULE} \
                         distinct ones are); the count says how many; this is the first",
                        finding.rule_name
                    ),
                )
                .with_severity(finding.severity);
                summary.location = finding.location.clone();
                summary.evidence = finding.evidence.clone();
                summary.count = finding.count;
                summary.summary = true;
                self.items.push(summary);
            }
        }
    }

    /// Every occurrence, listed or counted.
    pub fn occurrences(&self) -> u64 {
        self.items.iter().map(|f| f.count).sum()
    }

    /// Sorts the listing; later pushes still fold into what is held.
    pub fn sort_by(&mut self, compare: impl FnMut(&Finding, &Finding) -> std::cmp::Ordering) {
        self.items.sort_by(compare);
        self.reindex();
    }

    /// Changes every held finding in place (a member's findings get the member's name,
    /// a policy sets severities), keeping the folding consistent.
    pub fn modify_each(&mut self, change: impl FnMut(&mut Finding)) {
        self.items.iter_mut().for_each(change);
        self.reindex();
    }

    /// Keeps the findings `keep` accepts.
    pub fn retain(&mut self, keep: impl FnMut(&Finding) -> bool) {
        self.items.retain(keep);
        self.reindex();
    }

    fn reindex(&mut self) {
        self.repeats.clear();
        self.tallies.clear();
        for (i, f) in self.items.iter().enumerate() {
            let tally = self
                .tallies
                .entry((f.rule, f.severity, f.location.member.clone()))
                .or_default();
            if f.summary {
                tally.summary = Some(i);
            } else {
                tally.listed += 1;
                self.repeats.insert(RepeatKey::of(f), i);
            }
        }
    }

    /// Findings already folded (as [`Findings::push`] left them), held as they are.
    pub(crate) fn from_listed(items: Vec<Finding>) -> Findings {
        let mut findings = Findings {
            items,
            ..Findings::default()
        };
        findings.reindex();
        findings
    }

    pub fn into_vec(self) -> Vec<Finding> {
        self.items
    }
}

impl std::ops::Deref for Findings {
    type Target = [Finding];
    fn deref(&self) -> &[Finding] {
        &self.items
    }
}

impl PartialEq for Findings {
    fn eq(&self, other: &Findings) -> bool {
        self.items == other.items
    }
}

impl Serialize for Findings {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.items.serialize(s)
    }
}

impl Extend<Finding> for Findings {
    fn extend<I: IntoIterator<Item = Finding>>(&mut self, iter: I) {
        for f in iter {
            self.push(f);
        }
    }
}

impl FromIterator<Finding> for Findings {
    fn from_iter<I: IntoIterator<Item = Finding>>(iter: I) -> Findings {
        let mut out = Findings::new();
        out.extend(iter);
        out
    }
}

impl From<Vec<Finding>> for Findings {
    fn from(v: Vec<Finding>) -> Findings {
        v.into_iter().collect()
    }
}

impl IntoIterator for Findings {
    type Item = Finding;
    type IntoIter = std::vec::IntoIter<Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

impl<'f> IntoIterator for &'f Findings {
    type Item = &'f Finding;
    type IntoIter = std::slice::Iter<'f, Finding>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unknown(name: &str, offset: u64) -> Finding {
        Finding::new(&rules::PICKLE_UNKNOWN_GLOBAL, format!("imports m.{name}"))
            .global("m", name)
            .offset(offset)
    }

    #[test]
    fn repeats_fold_into_the_first_with_a_count() {
        let mut f = Findings::new();
        for offset in 0..10_000 {
            f.push(unknown("a", offset));
        }
        f.push(unknown("b", 1));
        assert_eq!(f.len(), 2);
        assert_eq!(f[0].count, 10_000);
        assert_eq!(f[0].location.offset, Some(0));
        assert_eq!(f.occurrences(), 10_001);
    }

    #[test]
    fn distinct_findings_past_the_limit_are_counted_by_one_summary() {
        let mut f = Findings::new();
        let n = MAX_DISTINCT_FINDINGS_PER_RULE + 5_000;
        for i in 0..n {
            f.push(unknown(&format!("f{i}"), i as u64));
        }
        assert_eq!(f.len(), MAX_DISTINCT_FINDINGS_PER_RULE + 1);
        let summary = f.last().unwrap();
        assert!(summary.summary, "{summary:?}");
        assert_eq!(summary.count, 5_000);
        assert_eq!(f.occurrences(), n as u64);
        // A critical finding of the same rule is never folded into the medium summary.
        f.push(unknown("boom", 7).with_severity(Severity::Critical));
        assert_eq!(f.last().unwrap().severity, Severity::Critical);
        assert_eq!(f.last().unwrap().count, 1);
    }

    #[test]
    fn sorting_and_members_keep_the_folding() {
        let mut f: Findings = (0..3).map(|i| unknown(&format!("f{i}"), i)).collect();
        f.sort_by(|a, b| b.message.cmp(&a.message));
        f.push(unknown("f0", 99));
        assert_eq!(f.len(), 3);
        assert_eq!(
            f.iter()
                .find(|x| x.message == "imports m.f0")
                .unwrap()
                .count,
            2
        );
        f.modify_each(|x| x.location.member = Some("data.pkl".into()));
        let mut moved = unknown("f1", 5);
        moved.location.member = Some("data.pkl".into());
        f.push(moved);
        assert_eq!(f.len(), 3);
    }
}
