//! `modelvet bom`: scan, optionally verify, and write a CycloneDX AI-BOM.

use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::provenance::{trust_outcome, TrustArgs};
use super::FailOn;
use crate::bom::{self, BomInput, SpecVersion};
use crate::policy::config;
use crate::provenance::outcome::VerifyStatus;
use crate::report::{Report, Severity, EXIT_USAGE};
use crate::scan::{self, ScanOptions};

pub const BOM_EXIT_CODES: &str = "\
Exit codes (the BOM is written whatever the verdict):
  0  every file was fully scanned, no finding reached --fail-on, and any verification passed
  1  a finding at or above --fail-on, or a verification that failed
  2  something could not be scanned or verified completely
  3  usage error, or a BOM that failed modelvet's own reference check (a bug)";

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub enum Spec {
    #[value(name = "1.6")]
    V1_6,
    #[value(name = "1.7")]
    V1_7,
}

#[derive(clap::Args, Debug)]
pub struct BomArgs {
    /// A model file or directory (a Hugging Face layout, a cache snapshot), or hf://org/name[@rev].
    path: String,
    /// CycloneDX specification version.
    #[arg(long, value_enum, default_value = "1.6")]
    spec: Spec,
    /// Write the BOM here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// Print which G7 / EU AI Act Annex XI elements are present and which are missing
    /// (to standard output; the BOM then goes only to --output).
    #[arg(long)]
    completeness: bool,
    /// Lowest severity that makes the exit code 1 [default: medium, or the config's fail_on].
    #[arg(long, value_enum)]
    fail_on: Option<FailOn>,
    /// Configuration file (default: modelvet.toml or pyproject.toml [tool.modelvet], found upwards from PATH).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Ignore any configuration file.
    #[arg(long, conflicts_with = "config")]
    no_config: bool,
    /// Verify the model's signature (or compare with the Hub) and record the result.
    #[command(flatten)]
    trust: TrustArgs,
}

pub fn run_bom(args: BomArgs) -> i32 {
    match bom_inner(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("modelvet: {e}");
            EXIT_USAGE
        }
    }
}

fn bom_inner(args: &BomArgs) -> Result<i32, String> {
    let cfg = if args.no_config {
        config::Config::default()
    } else if let Some(p) = &args.config {
        config::load(p)?
    } else {
        match config::discover(Path::new(&args.path)) {
            Some(p) => config::load(&p)?,
            None => config::Config::default(),
        }
    };
    let fail_on = args
        .fail_on
        .map(FailOn::severity)
        .or(cfg.fail_on)
        .unwrap_or(Severity::Medium);
    let opts = ScanOptions {
        hash: true,
        policy: cfg.policy,
        progress: false,
    };
    let created = bom::time::creation_time()?;
    if crate::hub::repo_ref::RepoRef::looks_remote(&args.path) {
        return Err("hf:// inputs are not supported by bom yet".into());
    }
    let artifacts = scan::scan_inputs(std::slice::from_ref(&args.path), &opts)?;
    let report = Report::new(vec![args.path.clone()], artifacts, fail_on);
    let verification = trust_outcome(Path::new(&args.path), &args.trust)?;
    let model = bom::build(BomInput {
        input: &args.path,
        report: &report,
        hub: None,
        hub_files: Default::default(),
        bytes_read: None,
        verification: verification.clone(),
        created,
    });
    let spec = match args.spec {
        Spec::V1_6 => SpecVersion::V1_6,
        Spec::V1_7 => SpecVersion::V1_7,
    };
    let rendered = match bom::render(&model, spec) {
        Ok(r) => r,
        Err(problems) => {
            for p in &problems {
                eprintln!("modelvet: BOM reference check: {p}");
            }
            eprintln!("modelvet: refusing to write an inconsistent BOM (a bug in modelvet; please report it)");
            return Ok(EXIT_USAGE);
        }
    };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &rendered.json).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None if !args.completeness => {
            let mut out = std::io::stdout().lock();
            if let Err(e) = out.write_all(rendered.json.as_bytes()) {
                if e.kind() != std::io::ErrorKind::BrokenPipe {
                    return Err(format!("writing the BOM: {e}"));
                }
            }
        }
        None => {}
    }
    if args.completeness {
        print!("{}", bom::completeness::render_text(&rendered.completeness));
    }
    let findings: usize = model.findings.len();
    eprintln!(
        "modelvet: CycloneDX {} BOM of {}: {} model(s), {} file(s), {} finding(s); scan {}{}",
        spec.as_str(),
        crate::display::safe_text(&args.path, 200),
        model.models.len(),
        model.models.iter().map(|m| m.files.len()).sum::<usize>() + model.loose_files.len(),
        findings,
        report.summary.verdict,
        match &verification {
            Some(v) => format!(
                "; {} verification {}",
                v.method,
                serde_json::to_value(v.status)
                    .ok()
                    .and_then(|s| s.as_str().map(str::to_string))
                    .unwrap_or_default()
            ),
            None => String::new(),
        }
    );
    let scan_code = report.exit_code();
    let verify_code = match verification.map(|v| v.status) {
        Some(VerifyStatus::Failed) => 1,
        Some(VerifyStatus::Incomplete) => 2,
        _ => 0,
    };
    Ok(match (scan_code, verify_code) {
        (1, _) | (_, 1) => 1,
        (3, _) => 3,
        (2, _) | (_, 2) => 2,
        _ => 0,
    })
}
