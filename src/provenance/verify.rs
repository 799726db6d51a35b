//! `modelvet verify PATH --signature model.sig`: checks an OMS bundle's signature by key,
//! certificate chain or Sigstore keyless, then compares the signed manifest with the files
//! on disk, name by name.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use super::bundle::{self, Bundle, SignedManifest};
use super::keys::PublicKey;
use super::manifest::{self, ManifestOptions, DEFAULT_IGNORED_PATHS};
use super::outcome::{ChangedFile, FileComparison, Signer, Verification};
use super::{keyless, x509};
use crate::source::hex;

/// How the signature is to be trusted.
#[derive(Clone, Debug)]
pub enum TrustMethod {
    /// A public key PEM (ECDSA, or Ed25519 outside OMS).
    Key(PathBuf),
    /// A PEM file of trust anchors for the bundle's certificate chain.
    CertificateChain(PathBuf),
    /// Sigstore keyless: exact identity and OIDC issuer.
    Keyless {
        identity: String,
        issuer: String,
        trusted_root: Option<PathBuf>,
    },
}

#[derive(Clone, Debug)]
pub struct VerifyRequest {
    pub model: PathBuf,
    pub signature: PathBuf,
    pub method: TrustMethod,
    /// Extra paths to leave out (relative to the model, or paths that lie inside it).
    pub ignore_paths: Vec<PathBuf>,
    /// Unix seconds at which a certificate chain must be valid; now when unset.
    pub at_time: Option<i64>,
    /// SHA-256 of files this run already read (the scan behind `modelvet bom`).
    pub known_sha256: manifest::KnownSha256,
}

fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// A user's ignore path, relative to the model root when it lies inside it.
pub(crate) fn relative_to_model(model: &Path, path: &Path) -> Option<String> {
    let rel = if path.is_absolute() || path.starts_with(model) {
        let model_abs = std::fs::canonicalize(model).ok()?;
        let path_abs = std::fs::canonicalize(path)
            .ok()
            .or_else(|| Some(std::env::current_dir().ok()?.join(path)))?;
        path_abs.strip_prefix(&model_abs).ok()?.to_path_buf()
    } else {
        path.to_path_buf()
    };
    let text = rel.to_string_lossy().replace('\\', "/");
    manifest::path_components(&text).map(|c| c.join("/"))
}

/// A real file's path relative to the model root, when it lies inside the model.
pub(crate) fn file_inside_model(model: &Path, file: &Path) -> Option<String> {
    let model_abs = std::fs::canonicalize(model).ok()?;
    let file_abs = std::fs::canonicalize(file).ok()?;
    let rel = file_abs.strip_prefix(&model_abs).ok()?;
    manifest::path_components(&rel.to_string_lossy().replace('\\', "/")).map(|c| c.join("/"))
}

pub fn verify(request: &VerifyRequest) -> Verification {
    let method_name = match &request.method {
        TrustMethod::Key(_) => "key",
        TrustMethod::CertificateChain(_) => "certificate",
        TrustMethod::Keyless { .. } => "sigstore",
    };
    let mut v = Verification::new(method_name, &request.model.display().to_string());
    v.signature = Some(request.signature.display().to_string());

    let raw = match read_bounded(&request.signature) {
        Ok(r) => r,
        Err(e) => {
            v.incomplete(e);
            return v;
        }
    };
    let bundle = match Bundle::from_json(&raw) {
        Ok(b) => b,
        Err(e) => {
            v.fail(format!("{}: {e}", request.signature.display()));
            return v;
        }
    };
    if bundle.media_type != bundle::BUNDLE_MEDIA_TYPE {
        v.notes.push(format!(
            "bundle media type '{}' (model-signing writes {})",
            bundle.media_type,
            bundle::BUNDLE_MEDIA_TYPE
        ));
    }

    let Some(payload) = verify_signature(request, &bundle, &raw, &mut v) else {
        return v;
    };
    let signed = match bundle::parse_statement(&payload) {
        Ok(s) => s,
        Err(e) => {
            v.fail(format!("signed statement: {e}"));
            return v;
        }
    };
    compare_with_disk(request, &signed, &mut v);
    v.conclude();
    v
}

fn read_bounded(path: &Path) -> Result<Vec<u8>, String> {
    let meta = std::fs::metadata(path).map_err(|e| format!("{}: {e}", path.display()))?;
    if meta.len() > bundle::MAX_BUNDLE_BYTES as u64 {
        return Err(format!(
            "{}: {} bytes exceeds MAX_BUNDLE_BYTES ({})",
            path.display(),
            meta.len(),
            bundle::MAX_BUNDLE_BYTES
        ));
    }
    std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))
}

/// Checks the signature by the requested method and returns the payload it covers.
fn verify_signature(
    request: &VerifyRequest,
    bundle: &Bundle,
    raw: &[u8],
    v: &mut Verification,
) -> Option<Vec<u8>> {
    let material = &bundle.verification_material;
    match &request.method {
        TrustMethod::Key(key_path) => {
            let key = match read_bounded(key_path).and_then(|t| PublicKey::from_pem(&t)) {
                Ok(k) => k,
                Err(e) => {
                    v.incomplete(format!("public key {}: {e}", key_path.display()));
                    return None;
                }
            };
            if material.x509_certificate_chain.is_some() || material.certificate.is_some() {
                v.fail("the bundle was signed with a certificate, not a bare key: verify with --certificate-chain or --identity/--issuer");
                return None;
            }
            if !key.kind.in_oms() {
                v.method = "ed25519-key".into();
                v.notes
                    .push("Ed25519 is a modelvet extension outside OpenSSF model signing".into());
            }
            v.signer = Some(Signer {
                key_fingerprint_sha256: Some(key.fingerprint_sha256()),
                ..Signer::default()
            });
            if let Some(hint) = material.public_key.as_ref().and_then(|p| p.hint.as_ref()) {
                if *hint != key.hint() {
                    v.fail(format!(
                        "key mismatch: the bundle names key {hint}, {} is {}",
                        key_path.display(),
                        key.hint()
                    ));
                    return None;
                }
                v.checks
                    .push(format!("the bundle's key hint names this key ({hint})"));
            } else {
                v.notes
                    .push("the bundle predates key hints (model-signing < 1.0)".into());
            }
            let what = format!("{}", key_path.display());
            check_dsse(bundle, &key, &what, v)
        }
        TrustMethod::CertificateChain(anchor_path) => {
            let anchors =
                match read_bounded(anchor_path).and_then(|t| x509::parse_pem_certificates(&t)) {
                    Ok(a) => a,
                    Err(e) => {
                        v.incomplete(format!("trust anchors {}: {e}", anchor_path.display()));
                        return None;
                    }
                };
            let chain_b64: Vec<&str> =
                match (&material.x509_certificate_chain, &material.certificate) {
                    (Some(chain), _) => chain
                        .certificates
                        .iter()
                        .map(|c| c.raw_bytes.as_str())
                        .collect(),
                    (None, Some(cert)) => vec![cert.raw_bytes.as_str()],
                    (None, None) => {
                        v.fail("the bundle carries no certificate chain: verify with --key");
                        return None;
                    }
                };
            let mut chain = Vec::with_capacity(chain_b64.len());
            for c in chain_b64 {
                match bundle::decode_base64(c) {
                    Ok(der) => chain.push(der),
                    Err(e) => {
                        v.fail(format!("bundle certificate: {e}"));
                        return None;
                    }
                }
            }
            let at = request.at_time.unwrap_or_else(now_unix);
            let outcome = match x509::verify_chain(&chain, &anchors, at) {
                Ok(o) => o,
                Err(e) => {
                    v.fail(format!("certificate chain: {e}"));
                    return None;
                }
            };
            let when = if request.at_time.is_some() {
                "at the given time"
            } else {
                "now (the bundle carries no trusted signing time)"
            };
            v.checks.push(format!(
                "certificate chain of {} to trust anchor {} valid {when} ({at})",
                outcome.path_len, outcome.anchor_subject
            ));
            let key = match PublicKey::from_spki_der(&outcome.leaf_spki_der) {
                Ok(k) => k,
                Err(e) => {
                    v.fail(format!("leaf certificate key: {e}"));
                    return None;
                }
            };
            v.signer = Some(Signer {
                key_fingerprint_sha256: Some(key.fingerprint_sha256()),
                certificate_fingerprint_sha256: Some(outcome.leaf_fingerprint_sha256.clone()),
                certificate_subject: Some(outcome.leaf_subject.clone()),
                trust_anchor: Some(format!(
                    "{} (sha256 {})",
                    outcome.anchor_subject, outcome.anchor_fingerprint_sha256
                )),
                ..Signer::default()
            });
            check_dsse(bundle, &key, "the leaf certificate's key", v)
        }
        TrustMethod::Keyless {
            identity,
            issuer,
            trusted_root,
        } => {
            let root_json = match trusted_root {
                Some(p) => match read_bounded(p).and_then(|b| {
                    String::from_utf8(b).map_err(|_| format!("{}: not UTF-8", p.display()))
                }) {
                    Ok(s) => Some(s),
                    Err(e) => {
                        v.incomplete(format!("trusted root: {e}"));
                        return None;
                    }
                },
                None => None,
            };
            let Ok(bundle_text) = std::str::from_utf8(raw) else {
                v.fail("the bundle is not UTF-8 JSON");
                return None;
            };
            // The claimed root is only a hint for the artifact match; the statement is
            // parsed again, for real, from the payload the verifier returns.
            let claimed_root = bundle
                .envelope()
                .ok()
                .and_then(|(_, payload, _)| bundle::parse_statement(&payload).ok())
                .and_then(|s| s.root);
            match keyless::verify_keyless(
                bundle_text,
                identity,
                issuer,
                root_json.as_deref(),
                claimed_root,
            ) {
                Ok((outcome, payload)) => {
                    v.checks.extend(outcome.checks.iter().cloned());
                    v.signer = Some(Signer {
                        identity: Some(outcome.identity.clone()),
                        issuer: Some(outcome.issuer.clone()),
                        certificate_fingerprint_sha256: Some(
                            outcome.certificate_fingerprint_sha256.clone(),
                        ),
                        log_index: outcome.log_index,
                        integrated_time: outcome.integrated_time,
                        timestamps: outcome.timestamps.clone(),
                        ..Signer::default()
                    });
                    Some(payload)
                }
                Err(e) => {
                    v.fail(format!("Sigstore verification: {e}"));
                    None
                }
            }
        }
    }
}

/// Verifies the envelope's one signature with `key` over the DSSE PAE of the exact
/// payload bytes, then over model-signing 0.2's encoding; returns the payload it covers.
fn check_dsse(
    bundle: &Bundle,
    key: &PublicKey,
    key_name: &str,
    v: &mut Verification,
) -> Option<Vec<u8>> {
    let (env, payload, signature) = match bundle.envelope() {
        Ok(e) => e,
        Err(e) => {
            v.fail(e);
            return None;
        }
    };
    if key.verify(&bundle::pae(&env.payload_type, &payload), &signature) {
        v.checks.push(format!(
            "DSSE signature by {key_name} ({})",
            key.kind.name()
        ));
        return Some(payload);
    }
    let compat = bundle::pae_v0_2_compat(&env.payload_type, &payload);
    if key.verify(&compat, &signature) || key.verify_sha256(&compat, &signature) {
        v.checks.push(format!(
            "DSSE signature by {key_name} ({}, model-signing 0.2 encoding)",
            key.kind.name()
        ));
        return Some(payload);
    }
    v.fail(format!(
        "the DSSE signature does not verify with {key_name}"
    ));
    None
}

fn compare_with_disk(request: &VerifyRequest, signed: &SignedManifest, v: &mut Verification) {
    v.serialization = Some(signed.options.method.name().to_string());
    v.hash_type = Some(signed.options.hash.name().to_string());
    v.root_digest = signed.root.map(|r| hex(&r));
    if signed.legacy {
        v.notes.push(
            "legacy statement (model-signing < 1.0): one subject per file, no root digest".into(),
        );
    }

    let mut options: ManifestOptions = signed.options.clone();
    // The signature file is never part of the model, wherever the signer put it.
    if let Some(rel) = file_inside_model(&request.model, &request.signature) {
        options.ignore_paths.push(rel);
    }
    for p in &request.ignore_paths {
        match relative_to_model(&request.model, p) {
            Some(rel) => options.ignore_paths.push(rel),
            None => v
                .notes
                .push(format!("ignore path {} is outside the model", p.display())),
        }
    }
    for d in DEFAULT_IGNORED_PATHS {
        if !options.ignore_paths.iter().any(|p| p == d) {
            options.ignore_paths.push(d.to_string());
        }
    }

    let local = match manifest::build_with_known(&request.model, &options, &request.known_sha256) {
        Ok(m) => m,
        Err(e) => {
            v.incomplete(format!("hashing the model: {e}"));
            return;
        }
    };
    if !local.ignored.is_empty() {
        v.notes
            .push(format!("ignored: {}", local.ignored.join(", ")));
    }
    if let Some(name) = &signed.model_name {
        if *name != local.model_name && !signed.legacy {
            v.notes.push(format!(
                "signed as '{name}', verified at '{}' (names are informative)",
                local.model_name
            ));
        }
    }

    let mut files = FileComparison::default();
    let mut local_by_name: std::collections::BTreeMap<&str, &[u8]> = local
        .resources
        .iter()
        .map(|r| (r.name.as_str(), r.digest.as_slice()))
        .collect();
    for r in &signed.resources {
        match local_by_name.remove(r.name.as_str()) {
            Some(d) if d == r.digest.as_slice() => files.matched += 1,
            Some(d) => files.changed.push(ChangedFile {
                name: r.name.clone(),
                algorithm: r.algorithm.clone(),
                expected: hex(&r.digest),
                actual: hex(d),
            }),
            None => files.missing.push(r.name.clone()),
        }
    }
    files.extra = local_by_name.keys().map(|k| k.to_string()).collect();
    files.missing.sort();
    v.checks.push(format!(
        "{} {} resources hashed with {} ({} bytes) and compared by name",
        signed.resources.len(),
        signed.options.method.name(),
        signed.options.resource_algorithm(),
        local.bytes
    ));
    if local.reused > 0 {
        v.checks.push(format!(
            "{} file digest(s) taken from the scan's own read of the same bytes",
            local.reused
        ));
    }
    if !signed.legacy {
        let local_root = hex(&local.root_digest());
        if Some(&local_root) == v.root_digest.as_ref() {
            v.checks.push(format!("root digest sha256:{local_root}"));
        }
    }
    v.files = files;
}
