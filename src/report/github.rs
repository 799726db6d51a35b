//! GitHub Actions workflow commands: one `::error`/`::warning`/`::notice` annotation per
//! finding that is not suppressed and per artifact that was not fully checked, then the
//! summary line. Annotations show on the pull request without GitHub Advanced Security.
//!
//! Every string from input is escaped twice over: [`untrusted`] turns control characters
//! into visible escapes, and the workflow-command encoding turns `%`, `\r`, `\n` (and `:`
//! and `,` in properties) into percent escapes, so no name can end the annotation or
//! start a command of its own.

use std::fmt::Write;

use super::locate::Place;
use super::text::{summary_line, TextStyle};
use super::{Report, Severity};
use crate::display::untrusted;

fn command(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        Severity::Low | Severity::Info => "notice",
    }
}

fn escape_data(text: &str) -> String {
    untrusted(text)
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

pub fn render(report: &Report) -> String {
    let mut out = String::new();
    for a in &report.artifacts {
        // Paths from the source root are the repository paths GitHub links; others are
        // shown as scanned.
        let file = match report.place(a) {
            Place::InRoot(rel) => rel,
            _ => a.file.clone(),
        };
        let member = a
            .member
            .as_deref()
            .map(|m| format!(" (member {})", escape_data(m)))
            .unwrap_or_default();
        for f in a.findings.iter().filter(|f| f.suppressed.is_none()) {
            let _ = writeln!(
                out,
                "::{} file={},line={},title={}::{}{member}",
                command(f.severity),
                escape_property(&file),
                f.location.line.filter(|_| a.member.is_none()).unwrap_or(1),
                escape_property(&format!(
                    "{} {} ({})",
                    f.rule,
                    f.rule_name,
                    f.severity.as_str()
                )),
                escape_data(&f.message)
            );
        }
        if a.counts_as_incomplete() {
            let _ = writeln!(
                out,
                "::warning file={},line=1,title={}::{}{member}",
                escape_property(&file),
                escape_property("modelvet: not fully checked"),
                escape_data(a.reason.as_deref().unwrap_or("incomplete"))
            );
        }
    }
    out.push_str(&summary_line(
        report,
        &TextStyle {
            color: false,
            verbose: false,
        },
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_cannot_start_a_command_of_their_own() {
        let hostile = "a\n::error::owned%0A,b:c";
        let data = escape_data(hostile);
        assert!(!data.contains('\n'));
        assert!(data.contains("%250A"), "{data}");
        let prop = escape_property(hostile);
        assert!(!prop.contains(':'), "{prop}");
        assert!(!prop.contains(','), "{prop}");
    }
}
