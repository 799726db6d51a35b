//! `modelvet inventory`: the AI references of a source tree, as text, JSON
//! (`schemas/inventory.schema.json`) or SARIF, with the scan of the model files it holds.

use std::io::Write;
use std::path::PathBuf;

use clap::ValueEnum;
use serde_json::json;

use super::FailOn;
use crate::inventory::{self, Entry, Inventory, Kind, Value};
use crate::report::{self, EXIT_USAGE};
use crate::scan::{self, ScanOptions};

pub(crate) const INVENTORY_EXIT_CODES: &str = "\
Exit codes:
  0  no finding reached --fail-on, and every file was read completely
  1  a finding at or above --fail-on (an unpinned model, trust_remote_code, a pickle loader, ...)
  2  something could not be read completely (a file over the size limit, a model file not fully scanned)
  3  usage error";

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum InventoryFormat {
    Text,
    /// One document: references, frameworks, findings, summary (schemas/inventory.schema.json).
    Json,
    Sarif,
}

#[derive(clap::Args, Debug)]
pub(crate) struct InventoryArgs {
    /// Source folders or files of the application.
    #[arg(required = true)]
    paths: Vec<String>,
    #[arg(long, value_enum, default_value = "text")]
    format: InventoryFormat,
    /// Write the result here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Lowest severity that makes the exit code 1, or `none` [default: medium, or the config's fail_on].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Configuration file (default: modelvet.toml or pyproject.toml [tool.modelvet], found upwards from PATH).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Leave out paths matching this gitignore-style pattern (repeatable).
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
    /// Do not apply .gitignore, .ignore and .git/info/exclude.
    #[arg(long)]
    no_ignore: bool,
    /// Walk into .git, virtual environments, node_modules, build outputs and the like.
    #[arg(long)]
    no_default_excludes: bool,
    /// Resolve every Hub model and dataset reference at its revision and scan it over
    /// HTTP range reads (HF_ENDPOINT, HF_TOKEN as for `scan hf://`). Without it the
    /// inventory makes no network request.
    #[arg(long)]
    vet: bool,
}

pub(crate) fn run_inventory(args: InventoryArgs) -> i32 {
    match inventory_inner(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("modelvet: {e}");
            EXIT_USAGE
        }
    }
}

fn inventory_inner(args: &InventoryArgs) -> Result<i32, String> {
    let cfg = super::command_config(args.no_config, args.config.as_deref(), &args.paths[0])?;
    let fail_on = FailOn::resolve(args.fail_on, &cfg);
    let excludes = super::exclude_sets(&args.exclude, &cfg)?;
    let opts = ScanOptions {
        cache: None,
        hash: true,
        policy: cfg.policy.clone(),
        progress: false,
        scope: scan::Scope {
            default_excludes: !args.no_default_excludes,
            ignore_files: !args.no_ignore,
            excludes,
            follow_symlinks: false,
            force_exclude: false,
            // A source tree is mostly files modelvet does not parse as models.
            named_as_found: true,
        },
    };
    let hub = args.vet.then(crate::hub::env::HubConfig::from_env);
    if let Some(h) = &hub {
        for w in &h.warnings {
            eprintln!("modelvet: {w}");
        }
    }
    let mut inv =
        inventory::run_vetting(&args.paths, &opts, &cfg.model_policy, fail_on, hub.as_ref())?;
    let source_root = report::locate::default_source_root(
        &std::env::current_dir().map_err(|e| format!("current folder: {e}"))?,
    );
    inv.report.set_source_root(&source_root);
    inv.report.apply_suppressions(
        &cfg.ignores,
        cfg.source.as_deref(),
        None,
        &report::suppress::today_utc(),
    )?;
    let text = match args.format {
        InventoryFormat::Json => render_json(&inv, &args.paths),
        InventoryFormat::Sarif => report::sarif::render(&inv.report),
        InventoryFormat::Text => render_text(&inv),
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &text).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(text.as_bytes()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(format!("writing the inventory: {e}"));
                }
            }
        }
    }
    if args.output.is_some() || args.format != InventoryFormat::Text {
        eprintln!("{}", summary_line(&inv));
    }
    Ok(inv.report.exit_code())
}

fn count(inv: &Inventory, kind: Kind) -> usize {
    inv.entries.iter().filter(|e| e.kind == kind).count()
}

fn summary_line(inv: &Inventory) -> String {
    let s = &inv.report.summary;
    format!(
        "modelvet inventory: {} model(s), {} dataset(s), {} hosted model(s), {} code repositories, {} unsafe loader call(s), {} model file(s) in the tree; {} finding(s); {}",
        count(inv, Kind::Model),
        count(inv, Kind::Dataset),
        count(inv, Kind::ApiModel),
        count(inv, Kind::CodeRepository),
        count(inv, Kind::Loader),
        count(inv, Kind::Artifact),
        s.findings.values().sum::<usize>(),
        s.verdict
    )
}

fn value_text(v: &Value) -> String {
    match v {
        Value::Literal(s) => format!("{s:?}"),
        Value::Constant { name, value } => format!("{value:?} (constant {name})"),
        Value::Dynamic(e) => format!("dynamic: {e}"),
    }
}

fn entry_line(e: &Entry) -> String {
    let mut line = format!("  {}:{}  {}", e.file, e.line, e.kind_label());
    if let Some(id) = &e.id {
        line.push_str(&format!(" {}", value_text(id)));
    }
    line.push_str(&format!(" via {}", e.api));
    if let Some(r) = &e.revision {
        line.push_str(&format!(" revision {}", value_text(r)));
    }
    if matches!(e.kind, Kind::Model | Kind::Dataset) && e.hub_repo.is_some() {
        line.push_str(if e.pinned { " [pinned]" } else { " [unpinned]" });
    }
    if let Some(v) = &e.verdict {
        line.push_str(&format!(" [{v}]"));
    }
    if let Some(v) = &e.vetted {
        line.push_str(&format!(
            " ({} of {} bytes read{})",
            v.bytes_read,
            v.bytes_total,
            v.commit
                .as_deref()
                .map(|c| format!(" at {c}"))
                .unwrap_or_default()
        ));
    }
    if !e.findings.is_empty() {
        line.push_str(&format!("  ({})", e.findings.join(", ")));
    }
    crate::display::safe_text(&line, 600)
}

impl Entry {
    fn kind_label(&self) -> &'static str {
        match self.kind {
            Kind::Model => "model",
            Kind::Dataset => "dataset",
            Kind::ApiModel => "hosted model",
            Kind::CodeRepository => "code repository",
            Kind::Loader => "unsafe loader",
            Kind::Artifact => "model file",
        }
    }
}

/// The findings not suppressed, with the path of their file, by file and line.
fn active_findings(inv: &Inventory) -> Vec<(&str, &crate::findings::Finding)> {
    let mut out: Vec<(&str, &crate::findings::Finding)> = inv
        .report
        .artifacts
        .iter()
        .flat_map(|a| {
            a.findings
                .iter()
                .filter(|f| f.suppressed.is_none())
                .map(move |f| (a.path.as_str(), f))
        })
        .collect();
    out.sort_by_key(|(path, f)| (*path, f.location.line));
    out
}

fn render_text(inv: &Inventory) -> String {
    let mut out = String::new();
    out.push_str("AI references\n");
    if inv.entries.is_empty() {
        out.push_str("  (none)\n");
    }
    for e in &inv.entries {
        out.push_str(&entry_line(e));
        out.push('\n');
    }
    if !inv.frameworks.is_empty() {
        out.push_str("\nAI frameworks\n");
        for f in &inv.frameworks {
            out.push_str(&format!(
                "  {} {}  ({}:{})\n",
                f.name,
                f.requirement.as_deref().unwrap_or("(any version)"),
                f.file,
                f.line
            ));
        }
    }
    let findings: Vec<String> = active_findings(inv)
        .into_iter()
        .map(|(path, f)| {
            format!(
                "  {} {} {}:{} {}",
                f.severity.as_str().to_uppercase(),
                f.rule,
                path,
                f.location.line.unwrap_or(0),
                crate::display::safe_text(&f.message, 400)
            )
        })
        .collect();
    if !findings.is_empty() {
        out.push_str("\nFindings\n");
        for f in findings {
            out.push_str(&f);
            out.push('\n');
        }
    }
    out.push('\n');
    out.push_str(&summary_line(inv));
    out.push('\n');
    out
}

fn render_json(inv: &Inventory, inputs: &[String]) -> String {
    let s = &inv.report.summary;
    let findings: Vec<serde_json::Value> = active_findings(inv)
        .into_iter()
        .map(|(path, f)| {
            json!({
                "rule": f.rule,
                "name": f.rule_name,
                "severity": f.severity,
                "message": f.message,
                "file": path,
                "line": f.location.line,
            })
        })
        .collect();
    let incomplete: Vec<serde_json::Value> = inv
        .report
        .artifacts
        .iter()
        .filter(|a| a.counts_as_incomplete())
        .map(|a| json!({"file": a.path, "reason": a.reason}))
        .collect();
    let doc = json!({
        "schema_version": "1",
        "tool": {
            "name": "modelvet",
            "version": env!("CARGO_PKG_VERSION"),
            "rules_catalog": crate::rules::CATALOG_VERSION,
        },
        "inputs": inputs,
        "summary": {
            "models": count(inv, Kind::Model),
            "datasets": count(inv, Kind::Dataset),
            "api_models": count(inv, Kind::ApiModel),
            "code_repositories": count(inv, Kind::CodeRepository),
            "unsafe_loaders": count(inv, Kind::Loader),
            "model_files": count(inv, Kind::Artifact),
            "findings": findings.len(),
            "exit_code": s.exit_code,
            "verdict": s.verdict,
        },
        "references": inv.entries,
        "frameworks": inv.frameworks,
        "findings": findings,
        "incomplete": incomplete,
    });
    let mut text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    text.push('\n');
    text
}
