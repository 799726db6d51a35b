//! Public and private keys for the OMS key method: ECDSA P-256/SHA-256, P-384/SHA-384 and
//! P-521/SHA-512 (DER signatures), and Ed25519 as modelvet's extension outside OMS.
//! All cryptography is aws-lc-rs; this module only recognises key types and wires them up.

use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{self as sig, KeyPair as _, UnparsedPublicKey};
use const_oid::ObjectIdentifier;
use spki::der::Decode as _;

use super::digest::sha256;
use super::pem;
use crate::source::hex;

const ID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const SECP256R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const SECP384R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const SECP521R1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const ID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum KeyKind {
    EcdsaP256,
    EcdsaP384,
    EcdsaP521,
    Ed25519,
}

impl KeyKind {
    pub fn name(self) -> &'static str {
        match self {
            KeyKind::EcdsaP256 => "ECDSA P-256 with SHA-256",
            KeyKind::EcdsaP384 => "ECDSA P-384 with SHA-384",
            KeyKind::EcdsaP521 => "ECDSA P-521 with SHA-512",
            KeyKind::Ed25519 => "Ed25519",
        }
    }

    /// Whether OpenSSF model signing defines this key type (Ed25519 is our extension).
    pub(crate) fn in_oms(self) -> bool {
        self != KeyKind::Ed25519
    }

    /// The verification algorithm with the hash the curve pairs with, as model-signing uses.
    fn verification(self) -> &'static dyn sig::VerificationAlgorithm {
        match self {
            KeyKind::EcdsaP256 => &sig::ECDSA_P256_SHA256_ASN1,
            KeyKind::EcdsaP384 => &sig::ECDSA_P384_SHA384_ASN1,
            KeyKind::EcdsaP521 => &sig::ECDSA_P521_SHA512_ASN1,
            KeyKind::Ed25519 => &sig::ED25519,
        }
    }

    /// model-signing 0.2 signed with SHA-256 whatever the curve; only its compat path uses this.
    fn verification_sha256(self) -> Option<&'static dyn sig::VerificationAlgorithm> {
        match self {
            KeyKind::EcdsaP256 => Some(&sig::ECDSA_P256_SHA256_ASN1),
            KeyKind::EcdsaP384 => Some(&sig::ECDSA_P384_SHA256_ASN1),
            KeyKind::EcdsaP521 => Some(&sig::ECDSA_P521_SHA256_ASN1),
            KeyKind::Ed25519 => None,
        }
    }
}

/// A public key from a SubjectPublicKeyInfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct PublicKey {
    pub kind: KeyKind,
    pub spki_der: Vec<u8>,
    /// The SEC1 point or the 32 Ed25519 bytes.
    raw: Vec<u8>,
}

impl PublicKey {
    /// The first `PUBLIC KEY` block of a PEM file.
    pub(crate) fn from_pem(text: &[u8]) -> Result<PublicKey, String> {
        let blocks = pem::parse(text)?;
        let block = blocks
            .iter()
            .find(|b| b.label == "PUBLIC KEY")
            .ok_or_else(|| "no 'PUBLIC KEY' PEM block".to_string())?;
        PublicKey::from_spki_der(&block.der)
    }

    pub(crate) fn from_spki_der(der: &[u8]) -> Result<PublicKey, String> {
        let spki = spki::SubjectPublicKeyInfoRef::from_der(der)
            .map_err(|e| format!("not a SubjectPublicKeyInfo: {e}"))?;
        let raw = spki
            .subject_public_key
            .as_bytes()
            .ok_or_else(|| "public key bit string has unused bits".to_string())?
            .to_vec();
        let kind = match spki.algorithm.oid {
            ID_EC_PUBLIC_KEY => {
                let curve: ObjectIdentifier = spki
                    .algorithm
                    .parameters
                    .ok_or_else(|| "EC key without a named curve".to_string())?
                    .decode_as()
                    .map_err(|e| format!("EC key parameters are not a named curve: {e}"))?;
                match curve {
                    SECP256R1 => KeyKind::EcdsaP256,
                    SECP384R1 => KeyKind::EcdsaP384,
                    SECP521R1 => KeyKind::EcdsaP521,
                    other => return Err(format!("unsupported elliptic curve {other}")),
                }
            }
            ID_ED25519 => KeyKind::Ed25519,
            other => {
                return Err(format!(
                    "unsupported public key algorithm {other} (ECDSA P-256/P-384/P-521 or Ed25519)"
                ))
            }
        };
        Ok(PublicKey {
            kind,
            spki_der: der.to_vec(),
            raw,
        })
    }

    /// model-signing's `publicKey.hint`: hex SHA-256 of the key's PEM text.
    pub fn hint(&self) -> String {
        hex(&sha256(
            pem::encode("PUBLIC KEY", &self.spki_der).as_bytes(),
        ))
    }

    /// Hex SHA-256 of the DER SubjectPublicKeyInfo.
    pub(crate) fn fingerprint_sha256(&self) -> String {
        hex(&sha256(&self.spki_der))
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(self.kind.verification(), &self.raw)
            .verify(message, signature)
            .is_ok()
    }

    /// Verification with SHA-256 whatever the curve (model-signing 0.2 signatures).
    pub(crate) fn verify_sha256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.kind.verification_sha256().is_some_and(|alg| {
            UnparsedPublicKey::new(alg, &self.raw)
                .verify(message, signature)
                .is_ok()
        })
    }
}

enum Pair {
    Ecdsa(sig::EcdsaKeyPair),
    Ed25519(sig::Ed25519KeyPair),
}

/// A private key that signs.
pub(crate) struct SigningKey {
    pub public: PublicKey,
    pair: Pair,
}

impl SigningKey {
    /// An unencrypted `PRIVATE KEY` (PKCS#8) or `EC PRIVATE KEY` (SEC1) PEM file.
    pub(crate) fn from_pem(text: &[u8]) -> Result<SigningKey, String> {
        let blocks = pem::parse(text)?;
        if blocks.iter().any(|b| b.label == "ENCRYPTED PRIVATE KEY") {
            return Err("encrypted private keys are not supported; decrypt it first".into());
        }
        let block = blocks
            .iter()
            .find(|b| b.label == "PRIVATE KEY" || b.label == "EC PRIVATE KEY")
            .ok_or_else(|| "no 'PRIVATE KEY' or 'EC PRIVATE KEY' PEM block".to_string())?;
        let curves: [(&'static sig::EcdsaSigningAlgorithm, KeyKind); 3] = [
            (&sig::ECDSA_P256_SHA256_ASN1_SIGNING, KeyKind::EcdsaP256),
            (&sig::ECDSA_P384_SHA384_ASN1_SIGNING, KeyKind::EcdsaP384),
            (&sig::ECDSA_P521_SHA512_ASN1_SIGNING, KeyKind::EcdsaP521),
        ];
        for (alg, _) in curves {
            if let Ok(pair) = sig::EcdsaKeyPair::from_private_key_der(alg, &block.der) {
                let der = pair
                    .public_key()
                    .as_der()
                    .map_err(|_| "could not encode the public key".to_string())?;
                let public = PublicKey::from_spki_der(der.as_ref())?;
                return Ok(SigningKey {
                    public,
                    pair: Pair::Ecdsa(pair),
                });
            }
        }
        if block.label == "PRIVATE KEY" {
            if let Ok(pair) = sig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(&block.der) {
                let der = pair
                    .public_key()
                    .as_der()
                    .map_err(|_| "could not encode the public key".to_string())?;
                let public = PublicKey::from_spki_der(der.as_ref())?;
                return Ok(SigningKey {
                    public,
                    pair: Pair::Ed25519(pair),
                });
            }
        }
        Err("unsupported private key: expected ECDSA P-256, P-384, P-521 or Ed25519".into())
    }

    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, String> {
        match &self.pair {
            Pair::Ecdsa(pair) => pair
                .sign(&SystemRandom::new(), message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| "ECDSA signing failed".to_string()),
            Pair::Ed25519(pair) => Ok(pair.sign(message).as_ref().to_vec()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_lc_rs::signature::{EcdsaKeyPair, Ed25519KeyPair};

    fn ecdsa_pem(alg: &'static sig::EcdsaSigningAlgorithm) -> String {
        let doc = EcdsaKeyPair::generate_pkcs8(alg, &SystemRandom::new()).unwrap();
        pem::encode("PRIVATE KEY", doc.as_ref())
    }

    #[test]
    fn every_supported_key_type_signs_and_verifies() {
        let ed = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        let keys = [
            (
                ecdsa_pem(&sig::ECDSA_P256_SHA256_ASN1_SIGNING),
                KeyKind::EcdsaP256,
            ),
            (
                ecdsa_pem(&sig::ECDSA_P384_SHA384_ASN1_SIGNING),
                KeyKind::EcdsaP384,
            ),
            (
                ecdsa_pem(&sig::ECDSA_P521_SHA512_ASN1_SIGNING),
                KeyKind::EcdsaP521,
            ),
            (pem::encode("PRIVATE KEY", ed.as_ref()), KeyKind::Ed25519),
        ];
        for (pem_text, kind) in keys {
            let key = SigningKey::from_pem(pem_text.as_bytes()).unwrap();
            assert_eq!(key.public.kind, kind);
            let signature = key.sign(b"payload").unwrap();
            let public_pem = pem::encode("PUBLIC KEY", &key.public.spki_der);
            let public = PublicKey::from_pem(public_pem.as_bytes()).unwrap();
            assert!(public.verify(b"payload", &signature), "{kind:?}");
            assert!(!public.verify(b"payloaD", &signature), "{kind:?}");
            assert_eq!(public.hint(), key.public.hint());
        }
    }

    #[test]
    fn the_hint_is_the_hash_of_the_pem_text() {
        // keys/signing-key-pub.pem of the shared fixtures and the hint its bundles carry.
        let pem_text = "-----BEGIN PUBLIC KEY-----\n\
MHYwEAYHKoZIzj0CAQYFK4EEACIDYgAEsu6rZGBTjxtvRWPMixT+3HyndV0J0Ybt\n\
aHZUcO4DEK+OJHO/4e32bb/fbJKSpRgcBsIpKLcVijUomyFOERbd7u+BTPSUjGZD\n\
Qq6J7lTvp/EAXQGOKxW9RP0MGX3qAkvi\n\
-----END PUBLIC KEY-----\n";
        let key = PublicKey::from_pem(pem_text.as_bytes()).unwrap();
        assert_eq!(key.kind, KeyKind::EcdsaP384);
        assert_eq!(
            key.hint(),
            "e8450dec4eb99dae995da9af1bc2cc9f76ed669ee2e744f57abba763df3e3f8e"
        );
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(PublicKey::from_spki_der(&[0x30, 0x03, 0x02, 0x01]).is_err());
        assert!(PublicKey::from_pem(
            b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
        )
        .is_err());
        assert!(SigningKey::from_pem(
            b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
        )
        .is_err());
    }
}
