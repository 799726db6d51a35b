//! Sigstore keyless verification of an OMS bundle, offline.
//!
//! The cryptography is sigstore-verify's; this module fixes the policy around it: the
//! signer's identity and OIDC issuer must both match exactly, every transparency-log and
//! certificate check stays on, the bundle must carry a Rekor entry, and the trust material is
//! Sigstore's production root embedded in the build unless the user supplies their own
//! `trusted_root.json`. Nothing is fetched: a verifier that went online at verify time could
//! be steered by whoever controls the network.

use sigstore_verify::bundle::validate_bundle;
use sigstore_verify::trust_root::{TrustedRoot, SIGSTORE_PRODUCTION_TRUSTED_ROOT};
use sigstore_verify::types::{Bundle, Sha256Hash, SignatureContent, Statement};
use sigstore_verify::{VerificationPolicy, Verifier};

/// What a successful keyless verification established.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct KeylessOutcome {
    /// The certificate's SAN (email or URI), equal to the identity asked for.
    pub identity: String,
    /// The certificate's OIDC issuer, equal to the issuer asked for.
    pub issuer: String,
    /// Lowercase hex SHA-256 of the Fulcio signing certificate's DER.
    pub certificate_fingerprint_sha256: String,
    /// Rekor log index of the (first) transparency-log entry.
    pub log_index: Option<u64>,
    /// Earliest SET-authenticated Rekor integration time, Unix seconds.
    pub integrated_time: Option<i64>,
    /// Every authenticated time the certificate was checked at (Rekor and RFC 3161), Unix
    /// seconds.
    pub timestamps: Vec<i64>,
    /// What was verified, in words, only the checks that actually ran.
    pub checks: Vec<String>,
}

/// Bundles are a few kilobytes; this only stops a hostile file from costing much to parse.
const MAX_BUNDLE_JSON: usize = 8 * 1024 * 1024;
const MAX_TRUSTED_ROOT_JSON: usize = 8 * 1024 * 1024;

/// Verifies a Sigstore keyless OMS bundle and returns the DSSE payload exactly as signed.
///
/// With `payload_subject_sha256` the in-toto subject must equal that digest (the model's root
/// digest the caller computed). Without it the signature, certificate and log are still fully
/// checked, but binding the payload to files on disk is left to the caller, who must parse the
/// returned payload and compare it.
pub(crate) fn verify_keyless(
    bundle_json: &str,
    identity: &str,
    issuer: &str,
    trusted_root_json: Option<&str>,
    payload_subject_sha256: Option<[u8; 32]>,
) -> Result<(KeylessOutcome, Vec<u8>), String> {
    if identity.is_empty() || issuer.is_empty() {
        return Err("keyless verification needs both an identity and an OIDC issuer".to_string());
    }
    if bundle_json.len() > MAX_BUNDLE_JSON {
        return Err(format!(
            "signature bundle is {} bytes, more than the {MAX_BUNDLE_JSON} accepted",
            bundle_json.len()
        ));
    }
    let root_json = trusted_root_json.unwrap_or(SIGSTORE_PRODUCTION_TRUSTED_ROOT);
    if root_json.len() > MAX_TRUSTED_ROOT_JSON {
        return Err(format!(
            "trusted root is {} bytes, more than the {MAX_TRUSTED_ROOT_JSON} accepted",
            root_json.len()
        ));
    }
    let root_label = if trusted_root_json.is_some() {
        "the given trusted root"
    } else {
        "the embedded Sigstore production trusted root"
    };
    let trusted_root =
        TrustedRoot::from_json(root_json).map_err(|e| format!("cannot read {root_label}: {e}"))?;
    let verifier =
        Verifier::new(&trusted_root).map_err(|e| format!("cannot use {root_label}: {e}"))?;

    let bundle =
        Bundle::from_json(bundle_json).map_err(|e| format!("not a Sigstore bundle: {e}"))?;
    let SignatureContent::DsseEnvelope(envelope) = &bundle.content else {
        return Err(
            "the bundle holds a plain message signature, not the DSSE envelope model signing uses"
                .to_string(),
        );
    };
    let entries = &bundle.verification_material.tlog_entries;
    // sigstore-verify checks every entry present but accepts a bundle vouched for by an
    // RFC 3161 timestamp alone; model signing always logs to Rekor, so an absent entry
    // means the transparency evidence was stripped.
    if entries.is_empty() {
        return Err("the bundle has no Rekor transparency-log entry".to_string());
    }
    if entries.iter().any(|e| e.inclusion_proof.is_none()) {
        return Err("a Rekor entry in the bundle has no inclusion proof".to_string());
    }
    let Some(certificate) = bundle.signing_certificate() else {
        return Err(
            "the bundle has no signing certificate (a public-key bundle is not keyless)"
                .to_string(),
        );
    };
    let certificate_fingerprint_sha256 = hex::encode(
        aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, certificate.as_bytes()).as_ref(),
    );

    let artifact = match payload_subject_sha256 {
        Some(digest) => Sha256Hash::new(digest),
        // sigstore-verify insists on binding a DSSE payload to an artifact; taking the
        // digest from the signed statement itself makes that step vacuous, which is what
        // the caller asked for by passing None.
        None => statement_sha256(envelope.payload.as_bytes())?,
    };
    // Validated again inside verify(); done here first so a malformed bundle is reported as
    // such rather than as whichever check trips over it.
    validate_bundle(&bundle).map_err(|e| format!("malformed Sigstore bundle: {e}"))?;

    let policy = VerificationPolicy::new(identity, issuer);
    let result = verifier
        .verify(artifact, &bundle, &policy)
        .map_err(|e| format!("Sigstore verification failed: {e}"))?;

    // The policy leaves all of these on; checking the evidence guards against a future
    // sigstore-verify quietly relaxing a default.
    if !result.certificate_verified() || !result.sct_verified() || !result.tlog_verified() {
        return Err(
            "sigstore-verify reported success without verifying the certificate, SCT and log"
                .to_string(),
        );
    }
    let identity_found = result.identity().map(|san| san.as_str().to_string());
    let issuer_found = result.issuer().map(str::to_string);
    if identity_found.as_deref() != Some(identity) || issuer_found.as_deref() != Some(issuer) {
        return Err(format!(
            "certificate identity {:?} / issuer {:?} do not match {identity:?} / {issuer:?}",
            identity_found, issuer_found
        ));
    }

    let rfc3161 = bundle
        .verification_material
        .timestamp_verification_data
        .rfc3161_timestamps
        .len();
    let mut checks = vec![
        format!("certificate chain to a Fulcio root in {root_label}, valid at every verified signing time, with the code-signing EKU"),
        "SCT from a trusted certificate-transparency log".to_string(),
        format!("certificate identity {identity:?} and OIDC issuer {issuer:?}, exact match"),
        "Rekor inclusion proof and signed checkpoint".to_string(),
    ];
    if entries.iter().all(|e| e.inclusion_promise.is_some()) {
        checks.push(
            "SET (Rekor signed entry timestamp) over the entry and its integrated time".to_string(),
        );
    } else if entries.iter().any(|e| e.inclusion_promise.is_some()) {
        checks.push("SET on the Rekor entries that carry one".to_string());
    }
    if rfc3161 > 0 {
        checks.push(format!(
            "RFC 3161 timestamp{} from a trusted timestamp authority",
            if rfc3161 == 1 { "" } else { "s" }
        ));
    }
    checks
        .push("Rekor entry matches the bundle (payload hash, signature, certificate)".to_string());
    checks.push("DSSE signature over the in-toto payload with the certificate's key".to_string());
    if payload_subject_sha256.is_some() {
        checks.push("signed subject digest equals the model's root digest".to_string());
    }

    let outcome = KeylessOutcome {
        identity: identity.to_string(),
        issuer: issuer.to_string(),
        certificate_fingerprint_sha256,
        log_index: entries.first().map(|e| e.log_index.get()),
        integrated_time: result.integrated_time().map(|t| t.as_second()),
        timestamps: result
            .verified_timestamps()
            .iter()
            .map(|t| t.as_second())
            .collect(),
        checks,
    };
    Ok((outcome, envelope.payload.as_bytes().to_vec()))
}

/// The first SHA-256 subject digest of an in-toto statement.
fn statement_sha256(payload: &[u8]) -> Result<Sha256Hash, String> {
    let statement: Statement = serde_json::from_slice(payload)
        .map_err(|e| format!("the signed payload is not an in-toto statement: {e}"))?;
    statement
        .subject
        .iter()
        .find_map(|s| s.digest.sha256)
        .ok_or_else(|| "the signed statement has no SHA-256 subject digest".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine as _;
    use serde_json::Value;
    use std::path::PathBuf;

    const IDENTITY: &str = "stefanb@us.ibm.com";
    const ISSUER: &str = "https://sigstore.verify.ibm.com/oauth2";
    const ROOT: &str = "61d4849d9d90076d6215f4d525f13d6574af8e3f67aef3e6f36fc40a14fdd226";

    fn b64() -> base64::engine::GeneralPurpose {
        base64::engine::general_purpose::STANDARD
    }

    fn bundles() -> Option<Vec<(String, String)>> {
        let Some(dir) = std::env::var_os("MODELVET_SIGNING_FIXTURES") else {
            println!("skipped: MODELVET_SIGNING_FIXTURES unset");
            return None;
        };
        let dir = PathBuf::from(dir);
        let mut out = Vec::new();
        for version in ["v0.3.1", "v1.0.0", "v1.0.1", "v1.1.0"] {
            let path = dir.join(format!("{version}-sigstore")).join("model.sig");
            let json = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            out.push((version.to_string(), json));
        }
        Some(out)
    }

    fn root() -> [u8; 32] {
        let mut out = [0u8; 32];
        out.copy_from_slice(&hex::decode(ROOT).unwrap());
        out
    }

    fn edit(json: &str, f: impl FnOnce(&mut Value)) -> String {
        let mut v: Value = serde_json::from_str(json).unwrap();
        f(&mut v);
        serde_json::to_string(&v).unwrap()
    }

    fn flip_b64(v: &mut Value, index: usize) {
        let mut bytes = b64().decode(v.as_str().unwrap()).unwrap();
        let i = index.min(bytes.len() - 1);
        bytes[i] ^= 0x01;
        *v = Value::String(b64().encode(bytes));
    }

    fn tlog(v: &mut Value) -> &mut Value {
        &mut v["verificationMaterial"]["tlogEntries"][0]
    }

    #[test]
    fn fixtures_verify() {
        let Some(bundles) = bundles() else { return };
        for (version, json) in &bundles {
            let (out, payload) = verify_keyless(json, IDENTITY, ISSUER, None, Some(root()))
                .unwrap_or_else(|e| panic!("{version}: {e}"));
            assert_eq!(out.identity, IDENTITY);
            assert_eq!(out.issuer, ISSUER);
            assert!(out.log_index.is_some());
            assert!(out.integrated_time.is_some());
            assert!(!out.timestamps.is_empty());
            assert_eq!(out.certificate_fingerprint_sha256.len(), 64);
            assert!(out.checks.iter().any(|c| c.starts_with("SET")), "{version}");
            let rfc3161 = out.checks.iter().any(|c| c.starts_with("RFC 3161"));
            assert_eq!(rfc3161, version == "v1.1.0", "{version}: {:?}", out.checks);
            let statement: Value = serde_json::from_slice(&payload).unwrap();
            assert_eq!(statement["subject"][0]["digest"]["sha256"], ROOT);
            // Without a digest the bundle still verifies, and the payload is the same.
            let (_, again) = verify_keyless(json, IDENTITY, ISSUER, None, None).unwrap();
            assert_eq!(again, payload);
            // The embedded root given explicitly behaves like the default.
            assert!(verify_keyless(
                json,
                IDENTITY,
                ISSUER,
                Some(SIGSTORE_PRODUCTION_TRUSTED_ROOT),
                Some(root())
            )
            .is_ok());
        }
    }

    fn must_fail(version: &str, what: &str, result: Result<(KeylessOutcome, Vec<u8>), String>) {
        match result {
            Ok(_) => panic!("{version}: {what} was accepted"),
            Err(e) => println!("{version}: {what}: {e}"),
        }
    }

    #[test]
    fn policy_mismatch_fails() {
        let Some(bundles) = bundles() else { return };
        for (version, json) in &bundles {
            let r = verify_keyless(json, "stefanb@us.ibm.co", ISSUER, None, Some(root()));
            must_fail(version, "wrong identity", r);
            let r = verify_keyless(json, "STEFANB@us.ibm.com", ISSUER, None, Some(root()));
            must_fail(version, "identity in other case", r);
            let r = verify_keyless(json, IDENTITY, "https://accounts.google.com", None, None);
            must_fail(version, "wrong issuer", r);
            let r = verify_keyless(json, IDENTITY, &format!("{ISSUER}/"), None, None);
            must_fail(version, "issuer with trailing slash", r);
            let r = verify_keyless(json, "", ISSUER, None, None);
            must_fail(version, "empty identity", r);
            let mut other = root();
            other[0] ^= 1;
            let r = verify_keyless(json, IDENTITY, ISSUER, None, Some(other));
            must_fail(version, "other root digest", r);
        }
    }

    #[test]
    fn tampering_fails() {
        let Some(bundles) = bundles() else { return };
        for (version, json) in &bundles {
            let cases: Vec<(&str, String)> = vec![
                (
                    "flipped DSSE signature byte",
                    edit(json, |v| {
                        flip_b64(&mut v["dsseEnvelope"]["signatures"][0]["sig"], 40)
                    }),
                ),
                (
                    "tampered inclusionProof.rootHash",
                    edit(json, |v| {
                        flip_b64(&mut tlog(v)["inclusionProof"]["rootHash"], 5)
                    }),
                ),
                (
                    "rootHash and checkpoint root rewritten together",
                    edit(json, |v| {
                        let proof = &mut tlog(v)["inclusionProof"];
                        let old = proof["rootHash"].as_str().unwrap().to_string();
                        flip_b64(&mut proof["rootHash"], 5);
                        let new = proof["rootHash"].as_str().unwrap().to_string();
                        let checkpoint = proof["checkpoint"]["envelope"].as_str().unwrap();
                        assert!(checkpoint.contains(&old));
                        let rewritten = checkpoint.replace(&old, &new);
                        proof["checkpoint"]["envelope"] = Value::String(rewritten);
                    }),
                ),
                (
                    "tampered inclusion proof hash",
                    edit(json, |v| {
                        flip_b64(&mut tlog(v)["inclusionProof"]["hashes"][0], 5)
                    }),
                ),
                (
                    "tampered SET",
                    edit(json, |v| {
                        flip_b64(
                            &mut tlog(v)["inclusionPromise"]["signedEntryTimestamp"],
                            usize::MAX,
                        )
                    }),
                ),
                (
                    "tampered integratedTime",
                    edit(json, |v| {
                        let t: i64 = tlog(v)["integratedTime"].as_str().unwrap().parse().unwrap();
                        tlog(v)["integratedTime"] = Value::String((t - 60).to_string());
                    }),
                ),
                (
                    "tampered logIndex",
                    edit(json, |v| {
                        let i: i64 = tlog(v)["logIndex"].as_str().unwrap().parse().unwrap();
                        tlog(v)["logIndex"] = Value::String((i + 1).to_string());
                    }),
                ),
                (
                    "tampered payload",
                    edit(json, |v| {
                        let p = b64()
                            .decode(v["dsseEnvelope"]["payload"].as_str().unwrap())
                            .unwrap();
                        let text = String::from_utf8(p)
                            .unwrap()
                            .replace("signme-1", "signme-X");
                        v["dsseEnvelope"]["payload"] = Value::String(b64().encode(text));
                    }),
                ),
                (
                    "tlog entry removed",
                    edit(json, |v| {
                        v["verificationMaterial"]["tlogEntries"] = Value::Array(vec![]);
                    }),
                ),
                (
                    "inclusion proof removed",
                    edit(json, |v| {
                        tlog(v).as_object_mut().unwrap().remove("inclusionProof");
                    }),
                ),
                (
                    "tampered certificate",
                    edit(json, |v| {
                        flip_b64(
                            &mut v["verificationMaterial"]["certificate"]["rawBytes"],
                            600,
                        )
                    }),
                ),
            ];
            for (what, tampered) in cases {
                assert_ne!(&tampered, json);
                must_fail(
                    version,
                    what,
                    verify_keyless(&tampered, IDENTITY, ISSUER, None, Some(root())),
                );
                must_fail(
                    version,
                    what,
                    verify_keyless(&tampered, IDENTITY, ISSUER, None, None),
                );
            }
            if version == "v1.1.0" {
                let tampered = edit(json, |v| {
                    flip_b64(
                        &mut v["verificationMaterial"]["timestampVerificationData"]
                            ["rfc3161Timestamps"][0]["signedTimestamp"],
                        usize::MAX,
                    )
                });
                must_fail(
                    version,
                    "tampered RFC 3161 timestamp",
                    verify_keyless(&tampered, IDENTITY, ISSUER, None, Some(root())),
                );
            }
        }
    }

    #[test]
    fn other_trust_roots_fail() {
        let Some(bundles) = bundles() else { return };
        let staging = sigstore_verify::trust_root::SIGSTORE_STAGING_TRUSTED_ROOT;
        for (version, json) in &bundles {
            let r = verify_keyless(json, IDENTITY, ISSUER, Some(staging), Some(root()));
            must_fail(version, "staging trusted root", r);
            let r = verify_keyless(json, IDENTITY, ISSUER, Some("{}"), Some(root()));
            must_fail(version, "empty trusted root", r);
            let r = verify_keyless(json, IDENTITY, ISSUER, Some("garbage"), Some(root()));
            must_fail(version, "garbage trusted root", r);
        }
    }

    #[test]
    fn garbage_is_an_error() {
        for junk in [
            "",
            "null",
            "{}",
            "[]",
            "garbage",
            "{\"mediaType\": 5}",
            "{\"mediaType\":\"application/vnd.dev.sigstore.bundle.v0.3+json\"}",
            &"[".repeat(100_000),
            &"{\"a\":".repeat(50_000),
        ] {
            assert!(verify_keyless(junk, IDENTITY, ISSUER, None, None).is_err());
        }
        assert!(statement_sha256(b"{}").is_err());
        assert!(statement_sha256(b"\xff").is_err());
    }
}
