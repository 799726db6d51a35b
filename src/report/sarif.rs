//! SARIF 2.1.0: one result per finding, rules from the catalog, artifact URIs that are the
//! paths as given (a member and its offset go into logical locations and properties).

use serde_json::{json, Value};

use super::{Report, Severity};
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
    let file_sizes: std::collections::HashMap<&str, u64> = report
        .artifacts
        .iter()
        .filter(|a| a.member.is_none())
        .map(|a| (a.file.as_str(), a.size))
        .collect();
    for a in &report.artifacts {
        for f in &a.findings {
            let rule_index = CATALOG.iter().position(|r| r.id == f.rule).unwrap_or(0);
            let mut physical = json!({ "artifactLocation": { "uri": path_to_uri(&a.file) } });
            // A byte offset inside the file itself; findings in members (or without an
            // offset) cover the whole file, and the member goes into logicalLocations.
            let region = match (a.member.is_none(), f.location.offset) {
                (true, Some(off)) => json!({ "byteOffset": off, "byteLength": 1 }),
                _ => {
                    json!({ "byteOffset": 0, "byteLength": file_sizes.get(a.file.as_str()).copied().unwrap_or(0) })
                }
            };
            physical["region"] = region;
            let mut location = json!({ "physicalLocation": physical });
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
            let mut result = json!({
                "ruleId": f.rule,
                "ruleIndex": rule_index,
                "level": level(f.severity),
                "message": { "text": f.message },
                "locations": [location],
                "partialFingerprints": {
                    "modelvet/v1": format!("{}:{}:{}:{}", f.rule, a.path, f.location.offset.unwrap_or(0), f.evidence.module.as_deref().unwrap_or("")),
                },
                "properties": props,
            });
            if f.count > 1 {
                result["occurrenceCount"] = json!(f.count);
            }
            results.push(result);
        }
    }
    let doc = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
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
            "results": results,
            "properties": {
                "exitCode": report.summary.exit_code,
                "verdict": report.summary.verdict,
                "incompleteArtifacts": report.artifacts.iter().filter(|a| a.counts_as_incomplete()).map(|a| json!({"path": a.path, "reason": a.reason})).collect::<Vec<_>>(),
            },
        }],
    });
    let mut s = serde_json::to_string_pretty(&doc).expect("json values serialise");
    s.push('\n');
    s
}
