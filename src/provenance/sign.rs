//! `modelvet sign PATH --key PRIVATE.pem`: writes an OMS v1.0 bundle (`model.sig`) that
//! model-signing verifies (ECDSA keys), or an Ed25519-signed bundle in the same shape,
//! which only modelvet verifies (Ed25519 is outside OMS).

use std::path::{Path, PathBuf};

use super::bundle;
use super::keys::SigningKey;
use super::manifest::{self, ManifestOptions};
use super::verify::{file_inside_model, relative_to_model};
use crate::source::hex;

#[derive(Clone, Debug)]
pub struct SignRequest {
    pub model: PathBuf,
    pub key: PathBuf,
    pub signature: PathBuf,
    /// Method, hash type and symlink policy; the default ignores are already in it.
    pub options: ManifestOptions,
    /// Extra paths to leave out (relative to the model, or paths inside it).
    pub ignore_paths: Vec<PathBuf>,
}

#[derive(Clone, Debug)]
pub struct Signed {
    pub root_digest: String,
    pub resources: usize,
    pub bytes: u64,
    pub key_hint: String,
    pub key_kind: &'static str,
    pub in_oms: bool,
}

pub fn sign(request: &SignRequest) -> Result<Signed, String> {
    let key_text =
        std::fs::read(&request.key).map_err(|e| format!("{}: {e}", request.key.display()))?;
    let key =
        SigningKey::from_pem(&key_text).map_err(|e| format!("{}: {e}", request.key.display()))?;

    let mut options = request.options.clone();
    // As model-signing does: the signature inside the model is listed as ignored, so a
    // verifier that only reads the payload leaves it out too.
    // The signature may not exist yet: resolve its folder, which does.
    let sig_dir = request
        .signature
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if let (Some(dir_rel), Some(name)) = (
        file_inside_model(&request.model, sig_dir),
        request.signature.file_name(),
    ) {
        let name = name.to_string_lossy();
        options.ignore_paths.push(if dir_rel.is_empty() {
            name.into_owned()
        } else {
            format!("{dir_rel}/{name}")
        });
    }
    for p in &request.ignore_paths {
        let rel = relative_to_model(&request.model, p)
            .ok_or_else(|| format!("ignore path {} is outside the model", p.display()))?;
        options.ignore_paths.push(rel);
    }
    options.ignore_paths.sort();
    options.ignore_paths.dedup();

    let m = manifest::build(&request.model, &options).map_err(|e| e.to_string())?;
    if m.resources.is_empty() {
        return Err(format!(
            "{}: nothing to sign (no files)",
            request.model.display()
        ));
    }
    let payload = bundle::statement_json(&m);
    let signature = key.sign(&bundle::pae(bundle::IN_TOTO_PAYLOAD_TYPE, &payload))?;
    let hint = key.public.hint();
    let out = bundle::key_signed(&payload, &signature, &hint);
    write_atomically(&request.signature, out.to_json().as_bytes())?;
    Ok(Signed {
        root_digest: hex(&m.root_digest()),
        resources: m.resources.len(),
        bytes: m.bytes,
        key_hint: hint,
        key_kind: key.public.kind.name(),
        in_oms: key.public.kind.in_oms(),
    })
}

/// A half-written signature must never sit where a verifier looks.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "model.sig".into());
    let tmp = dir.join(format!(".{name}.modelvet-tmp"));
    std::fs::write(&tmp, bytes).map_err(|e| format!("{}: {e}", tmp.display()))?;
    std::fs::rename(&tmp, path).map_err(|e| format!("{}: {e}", path.display()))
}
