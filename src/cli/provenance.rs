//! `modelvet hash`, `modelvet sign` and `modelvet verify`.

use std::path::{Path, PathBuf};

use clap::ValueEnum;

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
#[derive(clap::Args, Debug, Default)]
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
    trust_outcome(&model, &args.trust)?.ok_or_else(|| {
        "say how to trust the signature: --key PUB.pem, --certificate-chain CA.pem, or --identity ID --issuer URL (or use --against / --hf-cache)"
            .to_string()
    })
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
