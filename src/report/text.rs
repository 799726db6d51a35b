//! Human-readable report, grouped per input file.
//!
//! Every string that came from input (paths, member names, formats named by content,
//! messages and reasons that quote names, Hub strings) goes through [`shown`] here and
//! nowhere else: a name cannot print a line of its own, a CI command or a terminal escape.

use std::fmt::Write;

use super::{Artifact, ArtifactKind, Report, Severity, Status};
use crate::display::untrusted as shown;

pub struct TextStyle {
    pub color: bool,
    pub verbose: bool,
}

fn paint(style: &TextStyle, code: &str, text: &str) -> String {
    if style.color {
        format!("\x1b[{code}m{text}\x1b[0m")
    } else {
        text.to_string()
    }
}

fn sev_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "1;31",
        Severity::High => "31",
        Severity::Medium => "33",
        Severity::Low => "36",
        Severity::Info => "2",
    }
}

fn status_label(style: &TextStyle, a: &Artifact) -> String {
    label(style, a, a.worst_severity(), a.status)
}

fn label(style: &TextStyle, a: &Artifact, worst: Option<Severity>, status: Status) -> String {
    match (status, a.kind, worst) {
        (_, _, Some(s)) if s > Severity::Info => {
            paint(style, sev_color(s), &s.as_str().to_uppercase())
        }
        // Never `clean` above a finding, even an informational one.
        (Status::Complete, _, Some(_)) => paint(style, sev_color(Severity::Info), "info"),
        (Status::Complete, ArtifactKind::NotModel, _) => paint(style, "2", "not a model"),
        (Status::Complete, _, _) => paint(style, "32", "clean"),
        (Status::Incomplete, ArtifactKind::Unrecognized, _) if !a.expected => {
            paint(style, "2", "unrecognized")
        }
        (Status::Incomplete, _, _) => paint(style, "35", "INCOMPLETE"),
        (Status::Error, _, _) => paint(style, "35", "ERROR"),
    }
}

/// Without `-v`, one rule's findings are listed in this many files; the rest are counted
/// in one line per rule (a repository with a hundred Python files is one line, not a
/// hundred).
const FILES_LISTED_PER_RULE: usize = 5;

/// Whether a finding is listed without `-v`.
fn is_news(f: &super::Finding) -> bool {
    f.suppressed.is_none() && (f.severity > Severity::Info || f.rule == "MV202")
}

pub fn render(report: &Report, style: &TextStyle) -> String {
    let mut out = String::new();
    // Each top-level file with its members, in report order.
    let mut order: Vec<&str> = Vec::new();
    let mut by_file: std::collections::HashMap<&str, Vec<&Artifact>> =
        std::collections::HashMap::new();
    for a in &report.artifacts {
        by_file
            .entry(a.file.as_str())
            .or_insert_with(|| {
                order.push(a.file.as_str());
                Vec::new()
            })
            .push(a);
    }
    let mut files_listed: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    let mut files_folded: std::collections::BTreeMap<&str, usize> =
        std::collections::BTreeMap::new();
    for file in order {
        let group = &by_file[file];
        let Some(top) = group.iter().find(|a| a.member.is_none()) else {
            continue;
        };
        // By default a file is listed when it has something to say: a finding that is not
        // suppressed, or a part that was not fully checked. `-v` lists every file.
        let rules: std::collections::BTreeSet<&str> = group
            .iter()
            .flat_map(|a| a.findings.iter().filter(|f| is_news(f)).map(|f| f.rule))
            .collect();
        let incomplete = group.iter().any(|a| a.counts_as_incomplete());
        let folded: std::collections::BTreeSet<&str> = if style.verbose {
            Default::default()
        } else {
            rules
                .iter()
                .copied()
                .filter(|r| files_listed.get(r).copied().unwrap_or(0) >= FILES_LISTED_PER_RULE)
                .collect()
        };
        for r in &folded {
            *files_folded.entry(r).or_default() += 1;
        }
        let has_news = incomplete || rules.len() > folded.len();
        if !has_news && !style.verbose {
            continue;
        }
        for r in rules.difference(&folded) {
            *files_listed.entry(r).or_default() += 1;
        }
        let worst = group.iter().filter_map(|a| a.worst_severity()).max();
        let status = if group.iter().any(|a| a.counts_as_incomplete()) {
            top.status.max_incomplete()
        } else {
            top.status
        };
        let _ = writeln!(
            out,
            "{}  {}  ({}, {}{})",
            label(style, top, worst, status),
            paint(style, "1", &shown(file)),
            top.format,
            crate::display::human_bytes(top.size),
            top.sha256
                .as_ref()
                .map(|h| format!(", sha256 {}", &h[..16]))
                .unwrap_or_default()
        );
        for a in group {
            let show_member = a.member.is_some()
                && (style.verbose
                    || a.findings.iter().any(|f| f.suppressed.is_none())
                    || a.counts_as_incomplete());
            if show_member {
                let _ = writeln!(
                    out,
                    "  {}  {} ({})",
                    status_label(style, a),
                    shown(a.member.as_deref().unwrap_or("")),
                    a.format
                );
            }
            if a.counts_as_incomplete() || (style.verbose && a.reason.is_some()) {
                if let Some(r) = &a.reason {
                    let _ = writeln!(
                        out,
                        "      {} {}",
                        paint(style, "35", "not fully checked:"),
                        shown(r)
                    );
                }
            }
            let mut findings: Vec<_> = a.findings.iter().collect();
            findings.sort_by(|x, y| {
                y.severity
                    .cmp(&x.severity)
                    .then(x.location.offset.cmp(&y.location.offset))
            });
            for f in findings {
                if f.severity == Severity::Info && !style.verbose && f.rule != "MV202" {
                    continue;
                }
                if (f.suppressed.is_some() || folded.contains(f.rule)) && !style.verbose {
                    continue;
                }
                let loc = match (&f.location.offset, &f.location.opcode) {
                    (Some(o), Some(op)) => format!(" [{} @ {o}]", shown(op)),
                    (Some(o), None) => format!(" [@ {o}]"),
                    _ => String::new(),
                };
                let times = if f.count > 1 {
                    format!(" ({} occurrences)", f.count)
                } else {
                    String::new()
                };
                let accepted = f
                    .suppressed
                    .as_ref()
                    .map(|s| {
                        paint(
                            style,
                            "2",
                            &format!(" (suppressed by {}: {})", s.kind, shown(&s.reason)),
                        )
                    })
                    .unwrap_or_default();
                let _ = writeln!(
                    out,
                    "      {:<8} {} {}{}{}{accepted}",
                    paint(style, sev_color(f.severity), f.severity.as_str()),
                    paint(style, "2", f.rule),
                    shown(&f.message),
                    times,
                    paint(style, "2", &loc)
                );
            }
        }
    }
    for (rule, n) in &files_folded {
        let name = crate::rules::find(rule).map_or("", |r| r.name);
        let _ = writeln!(
            out,
            "{}  {rule} {name} also in {n} more file(s) (-v lists them)",
            paint(style, "2", "more")
        );
    }
    for m in &report.models {
        let arch = m
            .facts
            .get("architectures")
            .and_then(|a| a.as_array())
            .and_then(|a| a.first())
            .and_then(|a| a.as_str())
            .map(|a| format!(", {}", shown(a)))
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "{}  {}  ({} model, {} files{arch})",
            paint(style, "2", "model"),
            paint(style, "1", &shown(&m.path)),
            m.layout,
            m.files.len()
        );
    }
    for r in &report.remote {
        render_remote(&mut out, style, r);
    }
    render_scope(&mut out, style, &report.scope);
    for u in &report.suppressions {
        if u.state == "expired" && u.matched > 0 {
            let _ = writeln!(
                out,
                "{}  [[ignore]] {} {} expired on {}: its {} finding(s) count again ({})",
                paint(style, "35", "note"),
                u.rule,
                shown(&u.path),
                u.expires.as_deref().unwrap_or(""),
                u.matched,
                shown(&u.source)
            );
        } else if u.matched == 0 && style.verbose {
            let _ = writeln!(
                out,
                "{}  [[ignore]] {} {} matched nothing",
                paint(style, "2", "note"),
                u.rule,
                shown(&u.path)
            );
        }
    }
    out.push('\n');
    out.push_str(&summary_line(report, style));
    out
}

/// The last line: verdict, what was scanned, the findings by severity (informational and
/// suppressed ones included, so the counts agree with JSON and SARIF), the gate, the code.
pub fn summary_line(report: &Report, style: &TextStyle) -> String {
    let s = &report.summary;
    let mut counts: Vec<String> = ["critical", "high", "medium", "low", "info"]
        .iter()
        .filter_map(|k| {
            s.findings
                .get(k)
                .filter(|n| **n > 0)
                .map(|n| format!("{n} {k}"))
        })
        .collect();
    if s.suppressed > 0 {
        counts.push(format!("{} suppressed", s.suppressed));
    }
    let active = s.findings.values().sum::<usize>();
    let verdict = match s.exit_code {
        0 if active > 0 => paint(style, "32", "passed"),
        0 => paint(style, "32", "clean"),
        1 => paint(style, "1;31", "FINDINGS"),
        2 => paint(style, "35", "INCOMPLETE"),
        _ => paint(style, "1;35", "ERROR"),
    };
    let scanned = if s.artifacts == s.files {
        format!("{} file(s)", s.files)
    } else {
        format!(
            "{} file(s) ({} artifacts with members)",
            s.files, s.artifacts
        )
    };
    let incomplete = report
        .artifacts
        .iter()
        .filter(|a| a.counts_as_incomplete())
        .count();
    let errors = if s.errors > 0 {
        format!(", {} error(s)", s.errors)
    } else {
        String::new()
    };
    format!(
        "{verdict}: {scanned}, {incomplete} incomplete{errors}; findings: {} (fail-on {}); exit {}\n",
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        },
        s.fail_on,
        s.exit_code
    )
}

/// What the walks left out: every path with `-v`; otherwise a count by reason, plus the
/// first paths the scanned tree's own ignore files left out (a model hidden by a committed
/// `.gitignore` is worth a line of its own; the user's excludes and the defaults are not).
fn render_scope(out: &mut String, style: &TextStyle, scope: &super::scope::ScopeSection) {
    use super::scope::SkipReason;
    const LISTED_BY_DEFAULT: usize = 10;
    for note in &scope.notes {
        let _ = writeln!(out, "{}  {}", paint(style, "35", "note"), shown(note));
    }
    if scope.skipped_total == 0 {
        return;
    }
    let mut listed = 0;
    for p in &scope.skipped {
        let by_tree = p.reason == SkipReason::IgnoreFile;
        if style.verbose || (by_tree && listed < LISTED_BY_DEFAULT) {
            listed += 1;
            let _ = writeln!(
                out,
                "{}  {}{}  ({})",
                paint(style, "2", "skipped"),
                paint(style, "1", &shown(&p.path)),
                if p.directory { "/" } else { "" },
                shown(&p.rule)
            );
        }
    }
    let mut by_reason = std::collections::BTreeMap::new();
    for p in &scope.skipped {
        *by_reason.entry(p.reason.as_str()).or_insert(0usize) += 1;
    }
    let unlisted = scope.skipped_total - scope.skipped.len();
    let parts: Vec<String> = by_reason
        .iter()
        .map(|(reason, n)| format!("{n} {reason}"))
        .chain((unlisted > 0).then(|| format!("{unlisted} not listed")))
        .collect();
    let _ = writeln!(
        out,
        "{}  {} path(s) not scanned: {}{}",
        paint(style, "2", "skipped"),
        scope.skipped_total,
        parts.join(", "),
        if style.verbose {
            ""
        } else {
            " (-v lists them; --no-default-excludes, --no-ignore scan them)"
        }
    );
}

fn percent(read: u64, total: u64) -> String {
    if total == 0 {
        return "0%".into();
    }
    let p = read as f64 * 100.0 / total as f64;
    if p < 0.01 && read > 0 {
        format!("{p:.4}%")
    } else {
        format!("{p:.2}%")
    }
}

fn render_remote(out: &mut String, style: &TextStyle, r: &super::RemoteSection) {
    let t = &r.totals;
    // A Hub repository is pinned by its commit, a store prefix by the digest of its listing.
    let (what, pinned_by, unit) = if r.source == "hub" {
        (
            format!(
                "{}@{}",
                paint(style, "1", &shown(&r.repo)),
                shown(&r.revision)
            ),
            "commit",
            "file(s)",
        )
    } else {
        (
            paint(style, "1", &shown(&r.repo)),
            "listing sha256",
            "object(s)",
        )
    };
    let _ = writeln!(
        out,
        "{}  {what}  {pinned_by} {} on {}: read {} of {} bytes ({}) in {} request(s), {} {unit}, {} ms",
        paint(style, "2", "remote"),
        shown(&r.commit),
        shown(&r.endpoint_host),
        t.bytes_read,
        t.bytes_total,
        percent(t.bytes_read, t.bytes_total),
        t.requests,
        t.files,
        t.elapsed_ms
    );
    for f in &r.files {
        let advisory = f
            .hub_scan_advisory
            .as_ref()
            .filter(|a| style.verbose || !a.starts_with("safe"));
        if style.verbose {
            let _ = writeln!(
                out,
                "  {}{}: read {} of {} bytes ({}), {} request(s), hash {}",
                shown(&r.path_prefix),
                shown(&f.path),
                f.bytes_read,
                f.size,
                percent(f.bytes_read, f.size),
                f.requests,
                f.hash_check
            );
        }
        if let Some(a) = advisory {
            let _ = writeln!(
                out,
                "  {}{}: Hub scan (advisory, not used for the verdict): {}",
                shown(&r.path_prefix),
                shown(&f.path),
                shown(a)
            );
        }
    }
    if let Some(d) = &r.download {
        for f in &d.files {
            if f.status == "skipped" && !style.verbose {
                continue;
            }
            let _ = writeln!(
                out,
                "  download {}{}: {}{}",
                shown(&r.path_prefix),
                shown(&f.path),
                f.status,
                f.reason
                    .as_ref()
                    .or(f.blob.as_ref())
                    .map(|x| format!(" ({})", shown(x)))
                    .unwrap_or_default()
            );
        }
        let skipped: Vec<_> = d.files.iter().filter(|f| f.status == "skipped").collect();
        if let (Some(first), false) = (skipped.first(), style.verbose) {
            let _ = writeln!(
                out,
                "  download: {} file(s) not written ({})",
                skipped.len(),
                shown(first.reason.as_deref().unwrap_or("not downloaded"))
            );
        }
    }
}
