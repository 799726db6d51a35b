//! OpenSSF model signing (OMS) bundles: a Sigstore bundle v0.3 whose DSSE envelope carries
//! an in-toto Statement v1 listing the model's resources. This module reads and writes the
//! JSON and the signed payload; it never decides trust (see `verify`).

use base64::Engine as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::digest::HashAlgorithm;
use super::manifest::{
    self, ManifestOptions, Method, Resource, DEFAULT_IGNORED_PATHS, MAX_MANIFEST_SHARDS,
};
use crate::source::hex;

pub(crate) const BUNDLE_MEDIA_TYPE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";
pub(crate) const IN_TOTO_PAYLOAD_TYPE: &str = "application/vnd.in-toto+json";
pub(crate) const STATEMENT_TYPE: &str = "https://in-toto.io/Statement/v1";
pub(crate) const PREDICATE_TYPE: &str = "https://model_signing/signature/v1.0";
/// model-signing before 1.0: one subject per file, no predicate.
pub(crate) const LEGACY_PREDICATE_TYPE: &str = "https://model_signing/Digests/v0.1";

/// A signature file larger than this is not an OMS bundle.
pub(crate) const MAX_BUNDLE_BYTES: usize = 64 * 1024 * 1024;

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Bundle {
    pub media_type: String,
    pub verification_material: VerificationMaterial,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dsse_envelope: Option<DsseEnvelope>,
    /// A plain message signature: valid Sigstore, but not an OMS model signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_signature: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VerificationMaterial {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub public_key: Option<PublicKeyIdentifier>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub x509_certificate_chain: Option<CertificateChain>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<RawBytes>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tlog_entries: Option<Vec<Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timestamp_verification_data: Option<Value>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PublicKeyIdentifier {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hint: Option<String>,
    /// Older model-signing wrote base64(PEM) here.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw_bytes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_details: Option<String>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct CertificateChain {
    pub certificates: Vec<RawBytes>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct RawBytes {
    pub raw_bytes: String,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct DsseEnvelope {
    pub payload: String,
    pub payload_type: String,
    pub signatures: Vec<DsseSignature>,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
pub(crate) struct DsseSignature {
    pub sig: String,
    #[serde(default)]
    pub keyid: Option<String>,
}

/// Standard base64, the encoding protobuf JSON uses for bytes (URL-safe accepted too).
pub(crate) fn decode_base64(text: &str) -> Result<Vec<u8>, String> {
    let engines = [
        base64::engine::general_purpose::STANDARD,
        base64::engine::general_purpose::URL_SAFE,
    ];
    engines
        .iter()
        .find_map(|e| e.decode(text.trim()).ok())
        .ok_or_else(|| "not valid base64".to_string())
}

pub(crate) fn encode_base64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

impl Bundle {
    pub(crate) fn from_json(bytes: &[u8]) -> Result<Bundle, String> {
        if bytes.len() > MAX_BUNDLE_BYTES {
            return Err(format!(
                "signature file of {} bytes exceeds MAX_BUNDLE_BYTES ({MAX_BUNDLE_BYTES})",
                bytes.len()
            ));
        }
        serde_json::from_slice(bytes).map_err(|e| format!("not a Sigstore bundle: {e}"))
    }

    /// The DSSE envelope's payload type, payload bytes and its one signature.
    pub(crate) fn envelope(&self) -> Result<(&DsseEnvelope, Vec<u8>, Vec<u8>), String> {
        let env = self.dsse_envelope.as_ref().ok_or_else(|| {
            if self.message_signature.is_some() {
                "the bundle signs a message, not a DSSE statement: not an OMS model signature"
                    .to_string()
            } else {
                "the bundle has no DSSE envelope".to_string()
            }
        })?;
        if env.payload_type != IN_TOTO_PAYLOAD_TYPE {
            return Err(format!(
                "DSSE payload type is '{}', expected '{IN_TOTO_PAYLOAD_TYPE}'",
                env.payload_type
            ));
        }
        // OMS bundles carry exactly one signature; more would leave "which one counts" open.
        let [signature] = env.signatures.as_slice() else {
            return Err(format!(
                "the DSSE envelope has {} signatures; OMS requires exactly one",
                env.signatures.len()
            ));
        };
        let payload = decode_base64(&env.payload).map_err(|e| format!("DSSE payload: {e}"))?;
        let sig = decode_base64(&signature.sig).map_err(|e| format!("DSSE signature: {e}"))?;
        Ok((env, payload, sig))
    }

    pub(crate) fn to_json(&self) -> String {
        let mut s = serde_json::to_string(self).unwrap_or_default();
        s.push('\n');
        s
    }
}

/// A bundle of one DSSE envelope signed by a key (no certificate, no transparency log):
/// what `sign` writes for models and `bom --sign-key` for BOMs.
pub(crate) fn key_signed(payload: &[u8], signature: &[u8], key_hint: &str) -> Bundle {
    Bundle {
        media_type: BUNDLE_MEDIA_TYPE.to_string(),
        verification_material: VerificationMaterial {
            public_key: Some(PublicKeyIdentifier {
                hint: Some(key_hint.to_string()),
                ..PublicKeyIdentifier::default()
            }),
            tlog_entries: Some(Vec::new()),
            ..VerificationMaterial::default()
        },
        dsse_envelope: Some(DsseEnvelope {
            payload: encode_base64(payload),
            payload_type: IN_TOTO_PAYLOAD_TYPE.to_string(),
            signatures: vec![DsseSignature {
                sig: encode_base64(signature),
                keyid: Some(String::new()),
            }],
        }),
        message_signature: None,
    }
}

/// DSSE pre-authentication encoding: what the signature is over.
pub(crate) fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The encoding model-signing 0.2 signed by mistake: a capitalised "DSSEV1" and the
/// payload rendered as Python's `repr()` of a bytes object (`b'...'` with escapes).
/// Verifying these old signatures needs the same bytes.
pub(crate) fn pae_v0_2_compat(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEV1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    );
    out.push_str(&python_bytes_repr(payload));
    out.into_bytes()
}

/// `repr(b)` for a Python bytes object.
fn python_bytes_repr(bytes: &[u8]) -> String {
    // Python picks double quotes only when the bytes hold a single quote and no double one.
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(bytes.len() + 3);
    out.push('b');
    out.push(quote);
    for &b in bytes {
        match b {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if b as char == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out.push(quote);
    out
}

/// What a verified payload says was signed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct SignedManifest {
    /// The subject name (the model folder's name when signed); informative only.
    pub model_name: Option<String>,
    /// The subject digest; `None` for legacy statements, which have no root.
    pub root: Option<[u8; 32]>,
    pub options: ManifestOptions,
    pub resources: Vec<Resource>,
    pub legacy: bool,
}

fn parse_hex_digest(text: &str, algorithm: HashAlgorithm, what: &str) -> Result<Vec<u8>, String> {
    let bytes = hex::decode(text).map_err(|_| format!("{what}: digest '{text}' is not hex"))?;
    if bytes.len() != algorithm.digest_len() {
        return Err(format!(
            "{what}: a {} digest has {} bytes, this one {}",
            algorithm.name(),
            algorithm.digest_len(),
            bytes.len()
        ));
    }
    Ok(bytes)
}

fn string_field<'a>(value: &'a Value, key: &str, what: &str) -> Result<&'a str, String> {
    value
        .get(key)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("{what}: '{key}' is missing or not a string"))
}

/// Parses an in-toto statement signed by model-signing (1.x, or the legacy 0.x form).
/// Call only on a payload whose signature was verified; the caller compares the result
/// with the files on disk.
pub(crate) fn parse_statement(payload: &[u8]) -> Result<SignedManifest, String> {
    let statement: Value =
        serde_json::from_slice(payload).map_err(|e| format!("payload is not JSON: {e}"))?;
    let kind = string_field(&statement, "_type", "statement")?;
    if kind != STATEMENT_TYPE {
        return Err(format!(
            "statement type '{kind}', expected '{STATEMENT_TYPE}'"
        ));
    }
    let subjects = statement
        .get("subject")
        .and_then(Value::as_array)
        .ok_or_else(|| "statement has no subject list".to_string())?;
    let predicate_type = string_field(&statement, "predicateType", "statement")?;
    match predicate_type {
        PREDICATE_TYPE => parse_v1(&statement, subjects),
        LEGACY_PREDICATE_TYPE => parse_legacy(subjects),
        other => Err(format!(
            "predicate type '{other}' is not a model signature ({PREDICATE_TYPE})"
        )),
    }
}

fn parse_v1(statement: &Value, subjects: &[Value]) -> Result<SignedManifest, String> {
    let [subject] = subjects else {
        return Err(format!(
            "a model signature has exactly one subject, this one {}",
            subjects.len()
        ));
    };
    let name = string_field(subject, "name", "subject")?.to_string();
    let root_hex = subject
        .get("digest")
        .and_then(|d| d.get("sha256"))
        .and_then(Value::as_str)
        .ok_or_else(|| "subject has no sha256 digest".to_string())?;
    let root_bytes = parse_hex_digest(root_hex, HashAlgorithm::Sha256, "subject")?;
    let mut root = [0u8; 32];
    root.copy_from_slice(&root_bytes);

    let predicate = statement
        .get("predicate")
        .ok_or_else(|| "statement has no predicate".to_string())?;
    let ser = predicate
        .get("serialization")
        .ok_or_else(|| "predicate has no serialization parameters".to_string())?;
    let hash_name = string_field(ser, "hash_type", "serialization")?;
    let hash = match HashAlgorithm::from_name(hash_name) {
        Some(h) if h != HashAlgorithm::GitBlobSha1 => h,
        _ => return Err(format!("unsupported hash type '{hash_name}'")),
    };
    let method = match string_field(ser, "method", "serialization")? {
        "files" => Method::Files,
        "shards" => {
            // model-signing writes 1024.0 as often as 1024; both are the same size.
            let size = ser.get("shard_size").and_then(|v| {
                v.as_u64().or_else(|| {
                    v.as_f64()
                        .filter(|f| f.fract() == 0.0 && *f >= 1.0 && *f < 9.0e15)
                        .map(|f| f as u64)
                })
            });
            match size {
                Some(s) if s > 0 => Method::Shards { shard_size: s },
                _ => return Err("shards without a positive integer shard_size".into()),
            }
        }
        other => return Err(format!("unknown serialization method '{other}'")),
    };
    let allow_symlinks = ser
        .get("allow_symlinks")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let ignore_paths: Vec<String> = match ser.get("ignore_paths") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| "ignore_paths holds a non-string".to_string())
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err("ignore_paths is not a list".into()),
    };
    let options = ManifestOptions {
        method,
        hash,
        allow_symlinks,
        ignore_paths,
    };
    let expected_algorithm = options.resource_algorithm();

    let items = predicate
        .get("resources")
        .and_then(Value::as_array)
        .ok_or_else(|| "predicate has no resource list".to_string())?;
    if items.len() as u64 > MAX_MANIFEST_SHARDS {
        return Err(format!(
            "{} resources exceed MAX_MANIFEST_SHARDS ({MAX_MANIFEST_SHARDS})",
            items.len()
        ));
    }
    let mut resources = Vec::with_capacity(items.len());
    let mut seen = std::collections::HashSet::new();
    for item in items {
        let rname = string_field(item, "name", "resource")?.to_string();
        let algorithm = string_field(item, "algorithm", "resource")?.to_string();
        if algorithm != expected_algorithm {
            return Err(format!(
                "resource '{rname}' uses '{algorithm}', the serialization says '{expected_algorithm}'"
            ));
        }
        let digest = parse_hex_digest(
            string_field(item, "digest", "resource")?,
            hash,
            &format!("resource '{rname}'"),
        )?;
        if !seen.insert(rname.clone()) {
            return Err(format!("resource '{rname}' is listed twice"));
        }
        resources.push(Resource {
            name: rname,
            algorithm,
            digest,
        });
    }
    let computed = manifest::root_digest(resources.iter().map(|r| r.digest.as_slice()));
    if computed != root {
        return Err(format!(
            "the subject digest {} is not the root of the signed resources ({})",
            hex(&root),
            hex(&computed)
        ));
    }
    Ok(SignedManifest {
        model_name: Some(name),
        root: Some(root),
        options,
        resources,
        legacy: false,
    })
}

fn parse_legacy(subjects: &[Value]) -> Result<SignedManifest, String> {
    let mut resources = Vec::with_capacity(subjects.len());
    let mut seen = std::collections::HashSet::new();
    for subject in subjects {
        let name = string_field(subject, "name", "subject")?.to_string();
        let digest_hex = subject
            .get("digest")
            .and_then(|d| d.get("sha256"))
            .and_then(Value::as_str)
            .ok_or_else(|| format!("subject '{name}' has no sha256 digest"))?;
        let digest = parse_hex_digest(digest_hex, HashAlgorithm::Sha256, &name)?;
        if !seen.insert(name.clone()) {
            return Err(format!("subject '{name}' is listed twice"));
        }
        resources.push(Resource {
            name,
            algorithm: "sha256".into(),
            digest,
        });
    }
    Ok(SignedManifest {
        model_name: None,
        root: None,
        options: ManifestOptions {
            ignore_paths: DEFAULT_IGNORED_PATHS
                .iter()
                .map(|s| s.to_string())
                .collect(),
            ..ManifestOptions::default()
        },
        resources,
        legacy: true,
    })
}

/// The in-toto statement model-signing 1.x would write for `manifest`.
pub(crate) fn statement_json(m: &manifest::Manifest) -> Vec<u8> {
    let statement = serde_json::json!({
        "_type": STATEMENT_TYPE,
        "subject": [{"name": m.model_name, "digest": {"sha256": hex(&m.root_digest())}}],
        "predicateType": PREDICATE_TYPE,
        "predicate": manifest::predicate_json(m),
    });
    serde_json::to_vec(&statement).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pae_matches_the_dsse_spec() {
        assert_eq!(
            pae(IN_TOTO_PAYLOAD_TYPE, b"{}"),
            b"DSSEv1 28 application/vnd.in-toto+json 2 {}".to_vec()
        );
    }

    #[test]
    fn compat_pae_is_python_bytes_repr() {
        let got = pae_v0_2_compat(IN_TOTO_PAYLOAD_TYPE, b"{\n  \"a\": '\\\x01\xff'}");
        assert_eq!(
            String::from_utf8(got).unwrap(),
            "DSSEV1 28 application/vnd.in-toto+json 15 b'{\\n  \"a\": \\'\\\\\\x01\\xff\\'}'"
        );
        assert_eq!(python_bytes_repr(b"it's"), "b\"it's\"");
    }

    fn statement(resources: Value, root: &str, serialization: Value) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "_type": STATEMENT_TYPE,
            "subject": [{"name": "m", "digest": {"sha256": root}}],
            "predicateType": PREDICATE_TYPE,
            "predicate": {"serialization": serialization, "resources": resources},
        }))
        .unwrap()
    }

    #[test]
    fn a_statement_whose_root_disagrees_is_refused() {
        let d = "a948904f2f0f479b8f8197694b30184b0d2ed1c1cd2a1ec0fb85d299a192a447";
        let root = hex(&manifest::root_digest(
            [hex::decode(d).unwrap().as_slice()].into_iter(),
        ));
        let ser = serde_json::json!({"method": "shards", "hash_type": "sha256", "shard_size": 1024.0, "allow_symlinks": false});
        let res = serde_json::json!([{"name": "c.json:0:12", "algorithm": "sha256-sharded-1024", "digest": d}]);
        let ok = parse_statement(&statement(res.clone(), &root, ser.clone())).unwrap();
        assert_eq!(ok.options.method, Method::Shards { shard_size: 1024 });
        assert!(parse_statement(&statement(res.clone(), &"0".repeat(64), ser.clone())).is_err());
        let wrong_alg = serde_json::json!([{"name": "c", "algorithm": "sha256", "digest": d}]);
        assert!(parse_statement(&statement(wrong_alg, &root, ser.clone())).is_err());
        let bad_size =
            serde_json::json!({"method": "shards", "hash_type": "sha256", "shard_size": 10.5});
        assert!(parse_statement(&statement(res, &root, bad_size)).is_err());
        assert!(parse_statement(b"[]").is_err());
        assert!(parse_statement(b"\xff").is_err());
    }
}
