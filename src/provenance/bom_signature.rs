//! A signed BOM: a detached Sigstore bundle (v0.3, DSSE envelope) over a CycloneDX BOM,
//! the author's signature the G7 minimum elements ask for. The envelope carries an in-toto
//! Statement v1 whose subject is the BOM file (its name and the SHA-256 of its exact
//! bytes) and whose predicate is the BOM itself under the predicate type in-toto
//! registers for CycloneDX (`https://cyclonedx.org/bom`), so attestation tools that know
//! that type read it as a BOM attestation. Signing and checking share the model
//! signatures' code: the same keys, PAE and bundle JSON.

use serde_json::Value;

use super::bundle::{self, Bundle};
use super::digest::sha256;
use super::keys::{PublicKey, SigningKey};
use crate::source::hex;

/// in-toto's predicate type for a CycloneDX BOM.
pub const CYCLONEDX_PREDICATE_TYPE: &str = "https://cyclonedx.org/bom";
/// Largest BOM signed or checked (the predicate holds a copy of it).
pub const MAX_SIGNED_BOM_BYTES: usize = 64 * 1024 * 1024;

/// What signing produced: the bundle's JSON and the key's model-signing hint.
pub struct SignedBom {
    pub bundle_json: String,
    pub key_hint: String,
    pub key_kind: &'static str,
}

/// The public half of a signing key, for the BOM to name before it is signed.
pub fn signer_hint(private_key_pem: &[u8]) -> Result<(String, &'static str), String> {
    let key = SigningKey::from_pem(private_key_pem)?;
    Ok((key.public.hint(), key.public.kind.name()))
}

fn statement(bom_bytes: &[u8], bom_name: &str, bom: Value) -> Vec<u8> {
    let statement = serde_json::json!({
        "_type": bundle::STATEMENT_TYPE,
        "subject": [{"name": bom_name, "digest": {"sha256": hex(&sha256(bom_bytes))}}],
        "predicateType": CYCLONEDX_PREDICATE_TYPE,
        "predicate": bom,
    });
    serde_json::to_vec(&statement).unwrap_or_default()
}

/// Signs `bom_bytes` (a CycloneDX JSON document named `bom_name`) with a PEM private key.
pub fn sign_bom(
    bom_bytes: &[u8],
    bom_name: &str,
    private_key_pem: &[u8],
) -> Result<SignedBom, String> {
    if bom_bytes.len() > MAX_SIGNED_BOM_BYTES {
        return Err(format!(
            "the BOM has {} bytes, over MAX_SIGNED_BOM_BYTES ({MAX_SIGNED_BOM_BYTES})",
            bom_bytes.len()
        ));
    }
    let bom: Value =
        serde_json::from_slice(bom_bytes).map_err(|e| format!("the BOM is not JSON: {e}"))?;
    let key = SigningKey::from_pem(private_key_pem)?;
    let payload = statement(bom_bytes, bom_name, bom);
    let signature = key.sign(&bundle::pae(bundle::IN_TOTO_PAYLOAD_TYPE, &payload))?;
    let hint = key.public.hint();
    let out = bundle::key_signed(&payload, &signature, &hint);
    Ok(SignedBom {
        bundle_json: out.to_json(),
        key_hint: hint,
        key_kind: key.public.kind.name(),
    })
}

/// The verdict on a signed BOM.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BomCheck {
    pub verified: bool,
    /// Why it failed, in order; empty when verified.
    pub failures: Vec<String>,
    /// SHA-256 of the BOM's bytes (hex).
    pub sha256: String,
    /// The BOM's serial number, when it has one.
    pub serial: Option<String>,
    pub key_hint: String,
}

/// Checks `bundle_bytes` against the BOM's bytes and a PEM public key: the signature over
/// the envelope, the statement's type, predicate type and single subject, the subject's
/// digest against the bytes, and the predicate against the BOM. `Err` is for inputs
/// that cannot be judged (an unreadable key); everything about the bundle is a failure.
pub fn verify_bom(
    bom_bytes: &[u8],
    bundle_bytes: &[u8],
    public_key_pem: &[u8],
) -> Result<BomCheck, String> {
    let key = PublicKey::from_pem(public_key_pem)?;
    let digest = hex(&sha256(bom_bytes));
    let bom: Option<Value> = (bom_bytes.len() <= MAX_SIGNED_BOM_BYTES)
        .then(|| serde_json::from_slice(bom_bytes).ok())
        .flatten();
    let mut check = BomCheck {
        verified: false,
        failures: Vec::new(),
        sha256: digest.clone(),
        serial: bom
            .as_ref()
            .and_then(|b| b["serialNumber"].as_str())
            .map(str::to_string),
        key_hint: key.hint(),
    };
    let Some(bom) = bom else {
        check
            .failures
            .push("the BOM is not JSON (or is over MAX_SIGNED_BOM_BYTES)".into());
        return Ok(check);
    };
    let parsed = Bundle::from_json(bundle_bytes).and_then(|b| {
        let (_, payload, sig) = b.envelope()?;
        Ok((payload, sig))
    });
    let (payload, sig) = match parsed {
        Ok(p) => p,
        Err(e) => {
            check.failures.push(e);
            return Ok(check);
        }
    };
    if !key.verify(&bundle::pae(bundle::IN_TOTO_PAYLOAD_TYPE, &payload), &sig) {
        check
            .failures
            .push("the signature does not verify with this key".into());
        return Ok(check);
    }
    let statement: Value = match serde_json::from_slice(&payload) {
        Ok(v) => v,
        Err(e) => {
            check
                .failures
                .push(format!("the signed payload is not JSON: {e}"));
            return Ok(check);
        }
    };
    if statement["_type"] != bundle::STATEMENT_TYPE {
        check.failures.push(format!(
            "the statement type is {}, not {}",
            statement["_type"],
            bundle::STATEMENT_TYPE
        ));
    }
    if statement["predicateType"] != CYCLONEDX_PREDICATE_TYPE {
        check.failures.push(format!(
            "the predicate type is {}, not {CYCLONEDX_PREDICATE_TYPE}: this signs something else",
            statement["predicateType"]
        ));
    }
    match statement["subject"].as_array().map(Vec::as_slice) {
        Some([subject]) => {
            if subject["digest"]["sha256"].as_str() != Some(digest.as_str()) {
                check.failures.push(format!(
                    "the signed SHA-256 is {}, the BOM's bytes hash to {digest}: the BOM was changed after signing",
                    subject["digest"]["sha256"]
                ));
            }
        }
        _ => check
            .failures
            .push("the statement must have exactly one subject, the BOM".into()),
    }
    if statement["predicate"] != bom {
        check
            .failures
            .push("the signed predicate is not this BOM".into());
    }
    check.verified = check.failures.is_empty();
    Ok(check)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::provenance::bundle::{DsseEnvelope, DsseSignature};
    use crate::provenance::pem;
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{self as sig, EcdsaKeyPair, KeyPair};

    fn keys() -> (String, String) {
        let doc = EcdsaKeyPair::generate_pkcs8(
            &sig::ECDSA_P256_SHA256_ASN1_SIGNING,
            &SystemRandom::new(),
        )
        .unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&sig::ECDSA_P256_SHA256_ASN1_SIGNING, doc.as_ref()).unwrap();
        let public = pair.public_key().as_der().unwrap();
        (
            pem::encode("PRIVATE KEY", doc.as_ref()),
            pem::encode("PUBLIC KEY", public.as_ref()),
        )
    }

    const BOM: &[u8] = br#"{"bomFormat":"CycloneDX","specVersion":"1.6","serialNumber":"urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79","version":1}
"#;

    #[test]
    fn a_signed_bom_verifies_and_any_change_fails() {
        let (private, public) = keys();
        let signed = sign_bom(BOM, "bom.cdx.json", private.as_bytes()).unwrap();
        let ok = verify_bom(BOM, signed.bundle_json.as_bytes(), public.as_bytes()).unwrap();
        assert!(ok.verified, "{:?}", ok.failures);
        assert_eq!(ok.key_hint, signed.key_hint);
        assert_eq!(
            ok.serial.as_deref(),
            Some("urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79")
        );

        // One byte of whitespace is a different BOM: the signed digest no longer matches.
        let mut spaced = BOM.to_vec();
        spaced.insert(1, b' ');
        let bad = verify_bom(&spaced, signed.bundle_json.as_bytes(), public.as_bytes()).unwrap();
        assert!(!bad.verified);
        assert!(bad.failures[0].contains("changed after signing"), "{bad:?}");

        // Another key.
        let (_, other) = keys();
        let bad = verify_bom(BOM, signed.bundle_json.as_bytes(), other.as_bytes()).unwrap();
        assert_eq!(
            bad.failures,
            ["the signature does not verify with this key"]
        );

        // A bundle that is not one.
        let bad = verify_bom(BOM, b"{}", public.as_bytes()).unwrap();
        assert!(!bad.verified);
        assert!(verify_bom(BOM, b"{}", b"not a key").is_err());
    }

    #[test]
    fn a_model_signature_is_not_a_bom_signature() {
        // Signed by the same key, but the statement is about something else.
        let (private, public) = keys();
        let key = SigningKey::from_pem(private.as_bytes()).unwrap();
        let payload = serde_json::to_vec(&serde_json::json!({
            "_type": bundle::STATEMENT_TYPE,
            "subject": [{"name": "bom.cdx.json", "digest": {"sha256": hex(&sha256(BOM))}}],
            "predicateType": bundle::PREDICATE_TYPE,
            "predicate": {},
        }))
        .unwrap();
        let sig = key
            .sign(&bundle::pae(bundle::IN_TOTO_PAYLOAD_TYPE, &payload))
            .unwrap();
        let b = Bundle {
            media_type: bundle::BUNDLE_MEDIA_TYPE.into(),
            dsse_envelope: Some(DsseEnvelope {
                payload: bundle::encode_base64(&payload),
                payload_type: bundle::IN_TOTO_PAYLOAD_TYPE.into(),
                signatures: vec![DsseSignature {
                    sig: bundle::encode_base64(&sig),
                    keyid: None,
                }],
            }),
            ..Bundle::default()
        };
        let check = verify_bom(BOM, b.to_json().as_bytes(), public.as_bytes()).unwrap();
        assert!(!check.verified);
        assert!(check
            .failures
            .iter()
            .any(|f| f.contains("signs something else")));
        assert!(check.failures.iter().any(|f| f.contains("not this BOM")));
    }
}
