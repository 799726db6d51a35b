//! `modelvet hash`, `modelvet sign` and `modelvet verify`.

use std::path::{Path, PathBuf};

use clap::ValueEnum;

use crate::hub::RepoRef;
use crate::provenance::digest::HashAlgorithm;
use crate::provenance::manifest::{
    self, KnownSha256, ManifestOptions, Method, DEFAULT_IGNORED_PATHS, DEFAULT_SHARD_SIZE,
};
use crate::provenance::outcome::Verification;
use crate::provenance::sign::{self, SignRequest};
use crate::provenance::verify::{self, relative_to_model, TrustMethod, VerifyRequest};
use crate::report::EXIT_USAGE;

pub(crate) const VERIFY_EXIT_CODES: &str = "\
Exit codes:
  0  verified: the signature (or the Hub, or the cache) vouches for every file
  1  verification failed: a bad signature, a policy mismatch, or a changed, missing or extra file
  2  could not be checked (a missing input, the network, offline mode, a limit)
  3  usage error or internal failure";

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum SerializationMethod {
    Files,
    Shards,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum HashType {
    Sha256,
    Blake2b,
    Blake3,
}

#[derive(Clone, Copy, Debug, ValueEnum, PartialEq, Eq)]
pub(crate) enum OutputFormat {
    Text,
    Json,
}

/// How a model is cut into signed resources, shared by `hash` and `sign`.
#[derive(clap::Args, Debug)]
pub(crate) struct ManifestArgs {
    /// One digest per file, or per byte range of every file.
    #[arg(long, value_enum, default_value = "files")]
    method: SerializationMethod,
    /// Shard size in bytes (with --method shards).
    #[arg(long, default_value_t = DEFAULT_SHARD_SIZE)]
    shard_size: u64,
    /// Hash of each file or shard (the root digest is always SHA-256).
    #[arg(long, value_enum, default_value = "sha256")]
    hash_type: HashType,
    /// Leave these out (paths inside the model, or relative to it). Repeatable.
    #[arg(long = "ignore-paths", num_args = 1..)]
    ignore_paths: Vec<PathBuf>,
    /// Do not leave out .git, .gitattributes, .github and .gitignore.
    #[arg(long)]
    no_ignore_git_paths: bool,
    /// Follow symbolic links (refused by default, as model-signing does).
    #[arg(long)]
    allow_symlinks: bool,
}

impl ManifestArgs {
    fn options(&self) -> ManifestOptions {
        ManifestOptions {
            method: match self.method {
                SerializationMethod::Files => Method::Files,
                SerializationMethod::Shards => Method::Shards {
                    shard_size: self.shard_size,
                },
            },
            hash: match self.hash_type {
                HashType::Sha256 => HashAlgorithm::Sha256,
                HashType::Blake2b => HashAlgorithm::Blake2b,
                HashType::Blake3 => HashAlgorithm::Blake3,
            },
            allow_symlinks: self.allow_symlinks,
            ignore_paths: if self.no_ignore_git_paths {
                Vec::new()
            } else {
                DEFAULT_IGNORED_PATHS
                    .iter()
                    .map(|s| s.to_string())
                    .collect()
            },
        }
    }
}

#[derive(clap::Args, Debug)]
pub(crate) struct HashArgs {
    /// A model directory or a single file.
    path: PathBuf,
    #[command(flatten)]
    manifest: ManifestArgs,
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
}

#[derive(clap::Args, Debug)]
pub(crate) struct SignArgs {
    /// A model directory or a single file.
    path: PathBuf,
    /// Private key PEM (PKCS#8 or SEC1): ECDSA P-256/P-384/P-521, or Ed25519 (outside OMS).
    #[arg(long)]
    key: PathBuf,
    /// Where to write the bundle [default: PATH/model.sig for a directory, model.sig beside a file].
    #[arg(long)]
    signature: Option<PathBuf>,
    #[command(flatten)]
    manifest: ManifestArgs,
}

/// How to trust a signature (or the Hub), shared by `verify` and `bom`.
#[derive(clap::Args, Debug, Default, Clone)]
pub(crate) struct TrustArgs {
    /// The OMS bundle [default: PATH/model.sig, or model.sig beside a file].
    #[arg(long)]
    pub signature: Option<PathBuf>,
    /// Public key PEM (ECDSA, or Ed25519 for modelvet's extension).
    #[arg(long, group = "trust")]
    pub key: Option<PathBuf>,
    /// PEM file of trust anchors for the bundle's certificate chain (never a web-PKI default).
    #[arg(long, group = "trust")]
    pub certificate_chain: Option<PathBuf>,
    /// Sigstore keyless: the exact signer identity (e-mail or URI in the certificate).
    #[arg(long, group = "trust", requires = "issuer")]
    pub identity: Option<String>,
    /// Sigstore keyless: the exact OIDC issuer URL.
    #[arg(long, requires = "identity")]
    pub issuer: Option<String>,
    /// Sigstore trusted_root.json to use instead of the embedded production root.
    #[arg(long, requires = "identity")]
    pub trusted_root: Option<PathBuf>,
    /// Compare the local files with a Hub revision: hf://org/name[@rev].
    #[arg(long, group = "trust")]
    pub against: Option<String>,
    /// Also leave out these paths (inside the model). Repeatable.
    #[arg(long = "ignore-paths", num_args = 1..)]
    pub ignore_paths: Vec<PathBuf>,
    /// Check a certificate chain at this Unix time instead of now.
    #[arg(long)]
    pub at: Option<i64>,
}

#[derive(clap::Args, Debug)]
pub(crate) struct VerifyArgs {
    /// The local model (a directory or a file). Optional only with --hf-cache.
    path: Option<PathBuf>,
    #[command(flatten)]
    trust: TrustArgs,
    /// Check a Hugging Face cache offline (all repos, or the one named: org/name).
    #[arg(long, group = "trust", num_args = 0..=1, default_missing_value = "", value_name = "REPO")]
    hf_cache: Option<String>,
    /// Cache root for --hf-cache [default: $HF_HUB_CACHE, or $HF_HOME/hub].
    #[arg(long, requires = "hf_cache")]
    cache_dir: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
    /// Write the result here instead of standard output.
    #[arg(long, short)]
    output: Option<PathBuf>,
}

pub(crate) const VERIFY_BOM_EXIT_CODES: &str = "\
Exit codes:
  0  the signature verifies with the key and covers exactly these BOM bytes
  1  it does not (another key, a changed BOM, a bundle that signs something else)
  3  usage error (a file that cannot be read, a key that is not a public key)";

#[derive(clap::Args, Debug)]
pub(crate) struct VerifyBomArgs {
    /// The CycloneDX BOM (JSON) as written by `modelvet bom --sign-key`.
    bom: PathBuf,
    /// The signer's public key (PEM).
    #[arg(long, value_name = "KEY.pem")]
    key: PathBuf,
    /// The signature bundle [default: the BOM's path + .sigstore.json].
    #[arg(long, value_name = "PATH")]
    signature: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    format: OutputFormat,
}

pub(crate) fn run_verify_bom(args: VerifyBomArgs) -> i32 {
    let read = |p: &Path| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let signature = args.signature.clone().unwrap_or_else(|| {
        let mut p = args.bom.clone().into_os_string();
        p.push(".sigstore.json");
        PathBuf::from(p)
    });
    let checked = (|| {
        let bom = read(&args.bom)?;
        let bundle = read(&signature)?;
        let key = read(&args.key)?;
        crate::provenance::bom_signature::verify_bom(&bom, &bundle, &key)
            .map_err(|e| format!("{}: {e}", args.key.display()))
    })();
    let check = match checked {
        Ok(c) => c,
        Err(e) => {
            eprintln!("modelvet: {e}");
            return EXIT_USAGE;
        }
    };
    match args.format {
        OutputFormat::Json => {
            let doc = serde_json::json!({
                "bom": args.bom.display().to_string(),
                "signature": signature.display().to_string(),
                "status": if check.verified { "verified" } else { "failed" },
                "sha256": check.sha256,
                "serial_number": check.serial,
                "key_hint": check.key_hint,
                "failures": check.failures,
            });
            println!("{}", serde_json::to_string_pretty(&doc).unwrap_or_default());
        }
        OutputFormat::Text => {
            let bom = crate::display::safe_text(&args.bom.display().to_string(), 200);
            if check.verified {
                println!(
                    "verified: {bom} (sha256 {}, {}) is signed by key {}",
                    check.sha256,
                    check.serial.as_deref().unwrap_or("no serial number"),
                    check.key_hint
                );
            } else {
                println!("FAILED: {bom}");
                for f in &check.failures {
                    println!("  {}", crate::display::safe_text(f, 400));
                }
            }
        }
    }
    if check.verified {
        0
    } else {
        1
    }
}

fn default_signature(model: &Path) -> PathBuf {
    if model.is_dir() {
        model.join("model.sig")
    } else {
        model
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map(|p| p.join("model.sig"))
            .unwrap_or_else(|| PathBuf::from("model.sig"))
    }
}

pub(crate) fn run_hash(args: HashArgs) -> i32 {
    if std::fs::symlink_metadata(&args.path).is_err() {
        eprintln!(
            "modelvet: {}: no such file or directory",
            args.path.display()
        );
        return EXIT_USAGE;
    }
    let mut options = args.manifest.options();
    for p in &args.manifest.ignore_paths {
        match relative_to_model(&args.path, p) {
            Some(rel) => options.ignore_paths.push(rel),
            None => {
                eprintln!("modelvet: ignore path {} is outside the model", p.display());
                return EXIT_USAGE;
            }
        }
    }
    match manifest::build(&args.path, &options) {
        Ok(m) => {
            match args.format {
                OutputFormat::Text => print!("{}", manifest::render_text(&m)),
                OutputFormat::Json => print!("{}", manifest::render_json(&m)),
            }
            0
        }
        Err(e) => {
            eprintln!("modelvet: {e}");
            // A file that vanished or could not be read is "could not check", like scan.
            match e {
                manifest::ManifestError::Io(..) | manifest::ManifestError::Limit(_) => 2,
                _ => EXIT_USAGE,
            }
        }
    }
}

pub(crate) fn run_sign(args: SignArgs) -> i32 {
    let signature = args
        .signature
        .clone()
        .unwrap_or_else(|| default_signature(&args.path));
    let request = SignRequest {
        model: args.path.clone(),
        key: args.key.clone(),
        signature: signature.clone(),
        options: args.manifest.options(),
        ignore_paths: args.manifest.ignore_paths.clone(),
    };
    match sign::sign(&request) {
        Ok(s) => {
            eprintln!(
                "signed {} ({} resources, {} bytes, root sha256:{}) with {} key {}; wrote {}",
                args.path.display(),
                s.resources,
                s.bytes,
                s.root_digest,
                s.key_kind,
                s.key_hint,
                signature.display()
            );
            if !s.in_oms {
                eprintln!("note: Ed25519 is outside OpenSSF model signing; only modelvet verifies this bundle");
            }
            0
        }
        Err(e) => {
            eprintln!("modelvet: {e}");
            EXIT_USAGE
        }
    }
}

pub(crate) fn run_verify(args: VerifyArgs) -> i32 {
    let outcome = match verify_outcome(&args) {
        Ok(v) => v,
        Err(usage) => {
            eprintln!("modelvet: {usage}");
            return EXIT_USAGE;
        }
    };
    let text = match args.format {
        OutputFormat::Text => outcome.render_text(),
        OutputFormat::Json => outcome.render_json(),
    };
    match &args.output {
        Some(path) => {
            if let Err(e) = std::fs::write(path, &text) {
                eprintln!("modelvet: {}: {e}", path.display());
                return EXIT_USAGE;
            }
            if args.format == OutputFormat::Json {
                eprint!("{}", outcome.render_text());
            }
        }
        None => print!("{text}"),
    }
    outcome.exit_code()
}

fn verify_outcome(args: &VerifyArgs) -> Result<Verification, String> {
    if let Some(repo) = &args.hf_cache {
        let config = crate::hub::env::HubConfig::from_env();
        for w in &config.warnings {
            eprintln!("modelvet: {w}");
        }
        let root = args
            .cache_dir
            .clone()
            .unwrap_or_else(|| config.cache_dir.clone());
        let repo = Some(repo.as_str()).filter(|r| !r.is_empty());
        return Ok(crate::hub::cache::verify_cache(&root, repo));
    }
    let model = args
        .path
        .clone()
        .ok_or("a model PATH is needed (only --hf-cache works without one)")?;
    if let Some(v) = trust_outcome(&model, &args.trust)? {
        return Ok(v);
    }
    // No flag says how to trust: the configuration's [policy.require_signature] does.
    let policy = crate::config::discover(&model)
        .map(|p| crate::config::load(&p))
        .transpose()?
        .and_then(|c| c.model_policy.require_signature);
    let Some(required) = policy else {
        return Err("say how to trust the signature: --key PUB.pem, --certificate-chain CA.pem, or --identity ID --issuer URL (or use --against / --hf-cache, or [policy.require_signature] in modelvet.toml)".to_string());
    };
    let mut trust = args.trust.clone();
    match required.trust {
        crate::config::SignatureTrust::Key(k) => trust.key = Some(k),
        crate::config::SignatureTrust::CertificateChain(c) => trust.certificate_chain = Some(c),
        crate::config::SignatureTrust::Identity { identity, issuer } => {
            trust.identity = Some(identity);
            trust.issuer = Some(issuer);
        }
    }
    if trust.signature.is_none() {
        trust.signature = Some(model.join(&required.signature));
    }
    trust_outcome(&model, &trust)?.ok_or_else(|| "the policy names no trust".to_string())
}

/// Verifies `model` the way `trust` says; `None` when it names no way.
pub(crate) fn trust_outcome(
    model: &Path,
    trust: &TrustArgs,
) -> Result<Option<Verification>, String> {
    trust_outcome_with(model, trust, KnownSha256::default())
}

/// [`trust_outcome`], reusing SHA-256 digests this run already computed.
pub(crate) fn trust_outcome_with(
    model: &Path,
    trust: &TrustArgs,
    known_sha256: KnownSha256,
) -> Result<Option<Verification>, String> {
    if let Some(remote) = &trust.against {
        let config = crate::hub::env::HubConfig::from_env();
        for w in &config.warnings {
            eprintln!("modelvet: {w}");
        }
        return Ok(Some(crate::hub::against::verify_against(
            model, remote, &config,
        )));
    }
    let method = if let Some(key) = &trust.key {
        TrustMethod::Key(key.clone())
    } else if let Some(ca) = &trust.certificate_chain {
        TrustMethod::CertificateChain(ca.clone())
    } else if let (Some(identity), Some(issuer)) = (&trust.identity, &trust.issuer) {
        TrustMethod::Keyless {
            identity: identity.clone(),
            issuer: issuer.clone(),
            trusted_root: trust.trusted_root.clone(),
        }
    } else {
        return Ok(None);
    };
    Ok(Some(verify::verify(&VerifyRequest {
        signature: trust
            .signature
            .clone()
            .unwrap_or_else(|| default_signature(model)),
        model: model.to_path_buf(),
        method,
        ignore_paths: trust.ignore_paths.clone(),
        at_time: trust.at,
        known_sha256,
    })))
}

/// `[policy.require_signature]`: every folder named as input must carry a signature that
/// verifies the configured way; a Hub repository cannot be checked over range reads and
/// fails the requirement. A violation is an MV1202 finding on the folder's signature file
/// (or its first file), so suppressions and `--fail-on` apply to it.
pub(crate) fn require_signatures(
    report: &mut crate::report::Report,
    inputs: &[String],
    required: &crate::config::SignatureRequirement,
) {
    use crate::config::SignatureTrust;
    use crate::report::Finding;
    for input in inputs {
        let problem = if RepoRef::looks_remote(input) {
            Some(format!(
                "{input}: a remote repository's signature cannot be checked over range reads; download it and verify"
            ))
        } else if Path::new(input).is_dir() {
            let model = Path::new(input);
            let known = known_sha256(report);
            let method = match &required.trust {
                SignatureTrust::Key(k) => TrustMethod::Key(k.clone()),
                SignatureTrust::CertificateChain(c) => TrustMethod::CertificateChain(c.clone()),
                SignatureTrust::Identity { identity, issuer } => TrustMethod::Keyless {
                    identity: identity.clone(),
                    issuer: issuer.clone(),
                    trusted_root: None,
                },
            };
            let signature = model.join(&required.signature);
            if !signature.is_file() {
                Some(format!(
                    "{input}: no {} signature; the policy requires a verified signature for every model folder",
                    required.signature
                ))
            } else {
                let outcome = verify::verify(&VerifyRequest {
                    signature,
                    model: model.to_path_buf(),
                    method,
                    ignore_paths: Vec::new(),
                    at_time: None,
                    known_sha256: known,
                });
                (outcome.exit_code() != 0).then(|| {
                    format!(
                        "{input}: the signature does not verify as the policy requires: {}",
                        outcome.problems.join("; ")
                    )
                })
            }
        } else {
            None
        };
        let Some(problem) = problem else { continue };
        let prefix = input.trim_end_matches('/');
        let sig_path = format!("{prefix}/{}", required.signature);
        let holder = report
            .artifacts
            .iter()
            .position(|a| a.member.is_none() && a.path == sig_path)
            .or_else(|| {
                report.artifacts.iter().position(|a| {
                    a.member.is_none()
                        && (a.path == *input
                            || a.path.starts_with(&format!("{prefix}/"))
                            || RepoRef::looks_remote(input))
                })
            });
        if let Some(i) = holder {
            report.artifacts[i].findings.push(
                Finding::new(&crate::rules::POLICY_SIGNATURE, problem)
                    .detail(format!("signature={}", required.signature)),
            );
        }
    }
    report.summarize();
}

/// The SHA-256 of every top-level file the scan behind `report` hashed, so a signature
/// check reads nothing again.
pub(crate) fn known_sha256(report: &crate::report::Report) -> KnownSha256 {
    KnownSha256(
        report
            .artifacts
            .iter()
            .filter(|a| a.member.is_none())
            .filter_map(|a| {
                let digest: [u8; 32] = hex::decode(a.sha256.as_deref()?).ok()?.try_into().ok()?;
                Some((PathBuf::from(&a.path), (a.size, digest)))
            })
            .collect(),
    )
}
