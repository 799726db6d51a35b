//! The JSON report: the report model as is, described by `schemas/report.schema.json`.

use super::Report;

pub fn render(report: &Report) -> String {
    let mut s = serde_json::to_string_pretty(report).expect("the report model always serialises");
    s.push('\n');
    s
}
