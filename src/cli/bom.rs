//! `modelvet bom`: scan, optionally verify, and write a CycloneDX AI-BOM.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use clap::ValueEnum;

use super::provenance::{trust_outcome_with, TrustArgs};
use super::FailOn;
use crate::bom::model::HubOrigin;
use crate::bom::{self, BomInput, HubFile, SpecVersion};
use crate::config;
use crate::hub::env::HubConfig;
use crate::hub::repo_ref::{RepoKind, RepoRef};
use crate::hub::vet;
use crate::provenance::outcome::Verification;
use crate::provenance::outcome::VerifyStatus;
use crate::report::{Report, EXIT_USAGE};
use crate::scan::{self, ScanOptions};

pub(crate) const BOM_EXIT_CODES: &str = "\
Exit codes (the BOM is written whatever the verdict):
  0  every file was fully scanned, no finding reached --fail-on, and any verification passed
  1  a finding at or above --fail-on, or a verification that failed
  2  something could not be scanned or verified completely
  3  usage error, or a BOM that failed modelvet's own reference check (a bug)";

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum Spec {
    #[value(name = "1.6")]
    V1_6,
    #[value(name = "1.7")]
    V1_7,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum, PartialEq, Eq)]
pub(crate) enum CompletenessFormat {
    Text,
    /// `{"profiles": [{profile, title, model, elements: [{id, label, reference, status, detail, source}]}]}`
    Json,
}

#[derive(clap::Args, Debug)]
pub(crate) struct BomArgs {
    /// A model file or directory (a Hugging Face layout, a cache snapshot), or hf://org/name[@rev].
    path: String,
    /// CycloneDX specification version.
    #[arg(long, value_enum, default_value = "1.6")]
    spec: Spec,
    /// Write the BOM here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
    /// PATH is an application's source tree: write its AI-BOM from `modelvet inventory`
    /// (the application as metadata.component; referenced models and datasets, hosted
    /// models as services, AI frameworks, model files in the tree).
    #[arg(long, conflicts_with_all = ["spdx", "vex", "completeness", "sign_key", "key", "certificate_chain", "identity", "against"])]
    application: bool,
    /// With --application: vet every referenced Hub revision over range reads, as
    /// `inventory --vet` does; its findings become vulnerabilities of the model.
    #[arg(long, requires = "application")]
    vet: bool,
    /// Write SPDX 3.0.1 JSON-LD (AI and Dataset profiles) instead of CycloneDX.
    #[arg(long, conflicts_with_all = ["spec", "vex", "sign_key"])]
    spdx: bool,
    /// Also write the findings alone as a CycloneDX VEX document to FILE, each affecting
    /// its component of the BOM by BOM-Link (for consumers such as Dependency-Track that
    /// import vulnerabilities only from VEX).
    #[arg(long, value_name = "FILE")]
    vex: Option<PathBuf>,
    /// Sign the written BOM with this private key (PEM: ECDSA P-256/P-384/P-521 or
    /// Ed25519): a detached Sigstore bundle over the BOM's bytes, checked by
    /// `modelvet verify-bom`. Needs --output.
    #[arg(long, value_name = "KEY.pem", requires = "output")]
    sign_key: Option<PathBuf>,
    /// Where the BOM's signature goes [default: the BOM's path + .sigstore.json].
    #[arg(long, value_name = "PATH", requires = "sign_key")]
    bom_signature: Option<PathBuf>,
    /// Print which G7 / EU AI Act Annex XI elements are present and which are missing
    /// (to standard output; the BOM then goes only to --output).
    #[arg(long)]
    completeness: bool,
    /// The model's (or, for several models, the whole's) name, when the artifacts do not
    /// say it right (an in-house model); marked in the BOM as declared by the user.
    #[arg(long)]
    name: Option<String>,
    /// Its version (declared by the user).
    #[arg(long = "version", value_name = "VERSION")]
    model_version: Option<String>,
    /// Its supplier, an organisation name (declared by the user).
    #[arg(long)]
    supplier: Option<String>,
    /// Its package URL, `pkg:type/namespace/name@version` (declared by the user).
    #[arg(long)]
    purl: Option<String>,
    /// Its release date, YYYY-MM-DD (declared by the user; no artifact states one).
    #[arg(long, value_name = "YYYY-MM-DD")]
    release_date: Option<String>,
    /// Format of the --completeness listing.
    #[arg(long, value_enum, default_value = "text", requires = "completeness")]
    format: CompletenessFormat,
    /// Lowest severity that makes the exit code 1, or `none` [default: medium, or the config's fail_on].
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

pub(crate) fn run_bom(args: BomArgs) -> i32 {
    match bom_inner(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("modelvet: {e}");
            EXIT_USAGE
        }
    }
}

fn bom_inner(args: &BomArgs) -> Result<i32, String> {
    let cfg = super::command_config(args.no_config, args.config.as_deref(), &args.path)?;
    // The command line's declarations win over the configuration's `[bom]`.
    let overrides = cfg.bom.overlay(&crate::config::BomOverrides {
        name: args.name.clone(),
        version: args.model_version.clone(),
        supplier: args.supplier.clone(),
        purl: args.purl.clone(),
        release_date: args.release_date.clone(),
    });
    overrides.check()?;
    let fail_on = FailOn::resolve(args.fail_on, &cfg);
    if args.application {
        return application_bom(args, &cfg, fail_on);
    }
    let opts = ScanOptions {
        cache: None,
        hash: true,
        policy: cfg.policy,
        progress: false,
        scope: Default::default(),
    };
    let created = bom::time::creation_time()?;
    let (report, verification, remote) = if RepoRef::looks_remote(&args.path) {
        match scan_hub_revision(args, &opts, fail_on, &cfg.model_policy)? {
            Ok(scanned) => scanned,
            Err(code) => return Ok(code),
        }
    } else {
        let artifacts = scan::scan_inputs(std::slice::from_ref(&args.path), &opts)?;
        let mut report = crate::scan::build_report(vec![args.path.clone()], artifacts, fail_on);
        scan::policy_checks::enforce(&mut report, &cfg.model_policy, &opts.policy);
        // One pass: the signature check takes each file's SHA-256 from the scan's read.
        let known = super::provenance::known_sha256(&report);
        let verification = trust_outcome_with(Path::new(&args.path), &args.trust, known)?;
        (report, verification, None)
    };
    let (hub, hub_files, bytes_read) = match remote {
        Some(r) => (Some(r.origin), r.files, Some(r.bytes_read)),
        None => (None, Default::default(), None),
    };
    let model = bom::build(BomInput {
        input: &args.path,
        report: &report,
        hub,
        hub_files,
        bytes_read,
        verification: verification.clone(),
        created,
        overrides,
    });
    let spec = match args.spec {
        Spec::V1_6 => SpecVersion::V1_6,
        Spec::V1_7 => SpecVersion::V1_7,
    };
    let mut model = model;
    let signing = match (&args.sign_key, &args.output) {
        (Some(key_path), Some(output)) => {
            let key =
                std::fs::read(key_path).map_err(|e| format!("{}: {e}", key_path.display()))?;
            let (key_hint, key_kind) = crate::provenance::bom_signature::signer_hint(&key)
                .map_err(|e| format!("{}: {e}", key_path.display()))?;
            let bundle_path = args.bom_signature.clone().unwrap_or_else(|| {
                let mut p = output.clone().into_os_string();
                p.push(".sigstore.json");
                PathBuf::from(p)
            });
            model.signer = Some(crate::bom::model::BomSigner {
                key_hint,
                key_kind,
                bundle_name: file_name(&bundle_path),
            });
            Some((key, bundle_path, file_name(output)))
        }
        _ => None,
    };
    let rendered = if args.spdx {
        bom::render_spdx(&model)
    } else {
        bom::render(&model, spec)
    };
    let rendered = match rendered {
        Ok(r) => r,
        Err(problems) => {
            for p in &problems {
                eprintln!("modelvet: BOM reference check: {p}");
            }
            eprintln!("modelvet: refusing to write an inconsistent BOM (a bug in modelvet; please report it)");
            return Ok(EXIT_USAGE);
        }
    };
    let vex = match &args.vex {
        Some(path) => match bom::render_vex(&model, spec, &rendered.json) {
            Ok(v) => Some((path, v)),
            Err(problems) => {
                for p in &problems {
                    eprintln!("modelvet: VEX reference check: {p}");
                }
                eprintln!("modelvet: refusing to write an inconsistent VEX document (a bug in modelvet; please report it)");
                return Ok(EXIT_USAGE);
            }
        },
        None => None,
    };
    if let Some((path, v)) = &vex {
        std::fs::write(path, v).map_err(|e| format!("{}: {e}", path.display()))?;
    }
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
    if let Some((key, bundle_path, bom_name)) = &signing {
        // Signs the bytes about to be written, not a re-rendering.
        let signed =
            crate::provenance::bom_signature::sign_bom(rendered.json.as_bytes(), bom_name, key)?;
        crate::provenance::sign::write_atomically(bundle_path, signed.bundle_json.as_bytes())?;
        eprintln!(
            "modelvet: signed the BOM with {} key {}: {}",
            signed.key_kind,
            signed.key_hint,
            crate::display::safe_text(&bundle_path.display().to_string(), 200)
        );
    }
    if args.completeness {
        match args.format {
            CompletenessFormat::Text => {
                print!("{}", bom::completeness::render_text(&rendered.completeness))
            }
            CompletenessFormat::Json => {
                print!("{}", bom::completeness::render_json(&rendered.completeness))
            }
        }
    }
    let findings: usize = model.findings.len();
    eprintln!(
        "modelvet: {} BOM of {}: {} model(s), {} file(s), {} finding(s); scan {}{}",
        if args.spdx {
            "SPDX 3.0.1".to_string()
        } else {
            format!("CycloneDX {}", spec.as_str())
        },
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
    if !args.completeness && rendered.completeness.len() > 4 {
        eprintln!(
            "modelvet: {} models; --completeness lists the G7 and EU AI Act elements each one lacks",
            model.models.len()
        );
    } else if !args.completeness {
        for profile in &rendered.completeness {
            let missing: Vec<&str> = profile.missing().map(|e| e.label).collect();
            if !missing.is_empty() {
                eprintln!(
                    "modelvet: {} for {}: missing or partial: {} (--completeness for details)",
                    profile.profile,
                    crate::display::safe_text(&profile.model, 100),
                    missing.join(", ")
                );
            }
        }
    }
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

/// `bom PATH --application`: the inventory of the source tree, rendered as the
/// application's BOM.
fn application_bom(
    args: &BomArgs,
    cfg: &config::Config,
    fail_on: crate::report::Gate,
) -> Result<i32, String> {
    if RepoRef::looks_remote(&args.path) {
        return Err("--application takes a local source tree".into());
    }
    let opts = ScanOptions {
        cache: None,
        hash: true,
        policy: cfg.policy.clone(),
        progress: false,
        scope: crate::scan::Scope {
            named_as_found: true,
            ..Default::default()
        },
    };
    let hub = args.vet.then(crate::hub::env::HubConfig::from_env);
    if let Some(h) = &hub {
        for w in &h.warnings {
            eprintln!("modelvet: {w}");
        }
    }
    let inv = crate::inventory::run_vetting(
        std::slice::from_ref(&args.path),
        &opts,
        &cfg.model_policy,
        fail_on,
        hub.as_ref(),
    )?;
    let name = args.name.clone().unwrap_or_else(|| {
        std::fs::canonicalize(&args.path)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
            .unwrap_or_else(|| args.path.clone())
    });
    let spec = match args.spec {
        Spec::V1_6 => SpecVersion::V1_6,
        Spec::V1_7 => SpecVersion::V1_7,
    };
    let json =
        match bom::render_application(&inv, &args.path, &name, bom::time::creation_time()?, spec) {
            Ok(j) => j,
            Err(problems) => {
                for p in &problems {
                    eprintln!("modelvet: BOM reference check: {p}");
                }
                return Ok(EXIT_USAGE);
            }
        };
    match &args.output {
        Some(path) => {
            std::fs::write(path, &json).map_err(|e| format!("{}: {e}", path.display()))?
        }
        None => print!("{json}"),
    }
    eprintln!(
        "modelvet: CycloneDX {} application BOM of {}: {} reference(s), {} framework(s); inventory {}",
        spec.as_str(),
        crate::display::safe_text(&name, 200),
        inv.entries.len(),
        inv.frameworks.len(),
        inv.report.summary.verdict
    );
    Ok(inv.report.exit_code())
}

/// A path's last component, as the BOM and its signature name each other.
fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}

/// What a Hub revision adds to the BOM besides the scan.
struct RemoteFacts {
    origin: HubOrigin,
    files: BTreeMap<String, HubFile>,
    bytes_read: (u64, u64),
}

type Scanned = (Report, Option<Verification>, Option<RemoteFacts>);

/// Vets a Hub revision over range reads (as `scan hf://` does). `Ok(Err(code))` when the
/// repository could not be reached: no BOM is written for what could not be read.
fn scan_hub_revision(
    args: &BomArgs,
    opts: &ScanOptions,
    fail_on: crate::report::Gate,
    model_policy: &crate::config::ModelPolicy,
) -> Result<Result<Scanned, i32>, String> {
    if args.trust.key.is_some()
        || args.trust.certificate_chain.is_some()
        || args.trust.identity.is_some()
        || args.trust.against.is_some()
    {
        return Err(
            "signature checks need the files: run bom on a local copy (or --download it first)"
                .into(),
        );
    }
    let config = HubConfig::from_env();
    for w in &config.warnings {
        eprintln!("modelvet: {w}");
    }
    let scan = match vet::scan_remote(&args.path, &config, opts) {
        Ok(s) => s,
        Err(e) if e.exit_code() == EXIT_USAGE => return Err(e.message),
        Err(e) => {
            eprintln!("modelvet: {e}");
            eprintln!("modelvet: no BOM written: the repository could not be read");
            return Ok(Err(e.exit_code()));
        }
    };
    if scan.repo.kind != RepoKind::Model {
        return Err(format!(
            "{} is not a model repository; bom describes models",
            scan.repo.display_name()
        ));
    }
    let files = scan
        .listing
        .files
        .iter()
        .zip(&scan.files)
        .map(|(listed, read)| {
            (
                listed.path.clone(),
                HubFile {
                    read_sha256: read.sha256.clone(),
                    lfs_sha256: listed.lfs_sha256.clone(),
                    blob_id: Some(listed.blob_id.clone()),
                    verdict: listed.security_status.as_ref().map(|s| s.summary()),
                },
            )
        })
        .collect();
    let mut report =
        crate::scan::build_report(vec![args.path.clone()], scan.artifacts.clone(), fail_on);
    report.remote = vec![scan.section("")];
    scan::policy_checks::enforce(&mut report, model_policy, &opts.policy);
    let origin = HubOrigin {
        repo_id: scan.repo.id.clone(),
        commit: scan.commit.clone(),
        revision: (scan.repo.revision != scan.commit).then(|| scan.repo.revision.clone()),
        endpoint: scan.listing.endpoint.clone(),
        learnt_from: "hub",
    };
    Ok(Ok((
        report,
        None,
        Some(RemoteFacts {
            origin,
            files,
            bytes_read: (scan.bytes_read, scan.bytes_total),
        }),
    )))
}
