//! SARIF 2.1.0 for GitHub code scanning: one result per finding, rules from the catalog
//! with a help link each, URIs relative to the source root (`SRCROOT`; a file outside it
//! gets a `file://` URI, a Hub file its URL), a region on every result, stable
//! fingerprints, suppressed findings as SARIF suppressions, and incomplete artifacts as
//! tool execution notifications. A member and its byte offset go into logical locations
//! and properties.

use serde_json::{json, Value};

use super::locate::Place;
use super::{Artifact, Report, Severity};
use crate::rules::{Rule, CATALOG};

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "note",
    }
}

/// GitHub code scanning reads this property to rank security results.
fn security_severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "9.8",
        Severity::High => "8.0",
        Severity::Medium => "5.5",
        Severity::Low => "3.0",
        Severity::Info => "0.0",
    }
}

/// Percent-encodes a path into a relative URI reference, keeping `/`.
pub(crate) fn path_to_uri(path: &str) -> String {
    let mut out = String::with_capacity(path.len());
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

const RULES_DOC: &str = "https://github.com/modelvet/modelvet/blob/main/docs/rules.md";
const ROOT_ID: &str = "SRCROOT";

/// `file://` URI of an absolute path.
fn file_uri(path: &std::path::Path) -> String {
    let text = path.to_string_lossy();
    let mut uri = String::from("file://");
    uri.push_str(&path_to_uri(&text));
    uri
}

/// Where the file of `a` is, as a SARIF artifact location.
fn artifact_location(report: &Report, a: &Artifact) -> Value {
    match report.place(a) {
        Place::InRoot(rel) => json!({ "uri": path_to_uri(&rel), "uriBaseId": ROOT_ID }),
        Place::Outside(abs) => json!({ "uri": file_uri(&abs) }),
        Place::Remote { url, .. } => json!({ "uri": url }),
        Place::Stdin => json!({ "uri": "stdin", "description": { "text": "standard input" } }),
    }
}

fn rule_descriptor(r: &Rule) -> Value {
    json!({
        "id": r.id,
        "name": r.name,
        "shortDescription": { "text": r.summary },
        "fullDescription": { "text": format!("{} {}", r.summary, r.rationale) },
        "help": {
            "text": r.remediation,
            "markdown": format!("**Why it matters.** {}\n\n**What to do.** {}", r.rationale, r.remediation),
        },
        "helpUri": format!("{RULES_DOC}#{}", r.id.to_ascii_lowercase()),
        "defaultConfiguration": { "level": level(r.severity) },
        "properties": {
            "tags": ["security", format!("external/cwe/cwe-{}", r.cwe)],
            "security-severity": security_severity(r.severity),
            "precision": "very-high",
        },
    })
}

pub fn render(report: &Report) -> String {
    let rules: Vec<Value> = CATALOG.iter().map(rule_descriptor).collect();
    let mut results = Vec::new();
    for a in &report.artifacts {
        let artifact_location = artifact_location(report, a);
        for f in &a.findings {
            let rule_index = CATALOG.iter().position(|r| r.id == f.rule).unwrap_or(0);
            // Line 1 for binary artifacts and members (GitHub needs a line to show an
            // alert; a member's line is not a line of the file); the byte offset and the
            // member are in the properties and logical locations.
            let line = f.location.line.filter(|_| a.member.is_none()).unwrap_or(1);
            let mut location = json!({
                "physicalLocation": {
                    "artifactLocation": artifact_location,
                    "region": { "startLine": line },
                }
            });
            if let Some(member) = &a.member {
                location["logicalLocations"] =
                    json!([{ "fullyQualifiedName": member, "kind": "member" }]);
            }
            let mut props =
                json!({ "severity": f.severity.as_str(), "cwe": f.cwe, "artifact": a.path });
            if let Some(m) = &f.location.member {
                props["member"] = json!(m);
            }
            if let Some(o) = f.location.offset {
                props["offset"] = json!(o);
            }
            if let Some(op) = &f.location.opcode {
                props["opcode"] = json!(op);
            }
            if let Some(m) = &f.evidence.module {
                props["module"] = json!(m);
            }
            if let Some(n) = &f.evidence.name {
                props["name"] = json!(n);
            }
            if let Some(d) = &f.evidence.detail {
                props["detail"] = json!(d);
            }
            let fingerprint = f.fingerprint.clone().unwrap_or_else(|| {
                super::locate::fingerprint(f, &report.place(a).key(), a.member.as_deref())
            });
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
                "partialFingerprints": { "modelvet/v1": fingerprint },
                "properties": props,
            });
            if f.count > 1 {
                result["occurrenceCount"] = json!(f.count);
            }
            if let Some(s) = &f.suppressed {
                result["suppressions"] = json!([{
                    "kind": "external",
                    "status": "accepted",
                    "justification": s.reason,
                    "properties": { "source": s.source, "modelvetKind": s.kind },
                }]);
            }
            results.push(result);
        }
    }
    let notifications: Vec<Value> = report
        .artifacts
        .iter()
        .filter(|a| a.counts_as_incomplete())
        .map(|a| {
            let mut location =
                json!({ "physicalLocation": { "artifactLocation": artifact_location(report, a) } });
            if let Some(member) = &a.member {
                location["logicalLocations"] =
                    json!([{ "fullyQualifiedName": member, "kind": "member" }]);
            }
            json!({
                "level": if a.status == super::Status::Error { "error" } else { "warning" },
                "message": { "text": format!(
                    "{}: not fully checked: {}",
                    a.path,
                    a.reason.as_deref().unwrap_or("incomplete")
                ) },
                "locations": [location],
                "descriptor": { "id": if a.status == super::Status::Error { "error" } else { "incomplete" } },
            })
        })
        .collect();
    let mut run = json!({
        "tool": {
            "driver": {
                "name": "modelvet",
                "version": report.tool.version,
                "semanticVersion": report.tool.version,
                "informationUri": "https://github.com/modelvet/modelvet",
                "rules": rules,
                "properties": { "rulesVersion": report.tool.rules_version },
            }
        },
        "automationDetails": { "id": "modelvet/scan/" },
        "invocations": [{
            "executionSuccessful": report.summary.exit_code != super::EXIT_USAGE,
            "exitCode": report.summary.exit_code,
            "toolExecutionNotifications": notifications,
        }],
        "results": results,
        "properties": {
            "exitCode": report.summary.exit_code,
            "verdict": report.summary.verdict,
            "failOn": report.summary.fail_on,
            "suppressed": report.summary.suppressed,
        },
    });
    if let Some(root) = report.source_root() {
        let mut uri = file_uri(root);
        if !uri.ends_with('/') {
            uri.push('/');
        }
        run["originalUriBaseIds"] = json!({ ROOT_ID: { "uri": uri } });
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [run],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("json values serialise");
    s.push('\n');
    s
}
