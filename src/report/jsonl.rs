//! JSON Lines: one object per artifact (`"kind": "artifact"`, the fields of the JSON
//! report's artifacts), then one summary object (`"kind": "summary"`), so a consumer can
//! stream a large report.

use serde_json::{json, Value};

use super::Report;

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for a in &report.artifacts {
        let mut v = serde_json::to_value(a).expect("artifacts serialise");
        if let Value::Object(map) = &mut v {
            map.insert("kind".into(), json!("artifact"));
        }
        out.push_str(&serde_json::to_string(&v).expect("json values serialise"));
        out.push('\n');
    }
    let summary = json!({
        "kind": "summary",
        "schema_version": report.schema_version,
        "tool": report.tool,
        "inputs": report.inputs,
        "summary": report.summary,
        "models": report.models,
        "scope": report.scope,
        "suppressions": report.suppressions,
    });
    out.push_str(&serde_json::to_string(&summary).expect("json values serialise"));
    out.push('\n');
    out
}
