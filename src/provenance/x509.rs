//! X.509 certificate chains for the OMS "certificate" signing method.
//!
//! A bundle carries the signing certificate and, after it, the intermediates the signer chose
//! to include; the user names the trust anchors in a PEM file. Nothing here consults a system
//! or web-PKI store: a signature is trusted only as far as the anchors the user gave.
//!
//! The path is built leaf first, through the bundle's certificates, to an anchor. Every step
//! checks names, validity at the signing time, CA constraints and the signature itself, and the
//! search is bounded in depth and in signature checks, so a hostile bundle full of look-alike
//! certificates cannot make it loop or run long.

use std::time::Duration;

use aws_lc_rs::signature::{self, UnparsedPublicKey, VerificationAlgorithm};
use base64::Engine as _;
use der::asn1::ObjectIdentifier;
use der::{Decode, Encode, Tagged};
use x509_cert::ext::pkix::{BasicConstraints, ExtendedKeyUsage, KeyUsage};
use x509_cert::spki::AlgorithmIdentifierOwned;
use x509_cert::Certificate;

/// What a verified chain established about the signer and the anchor that vouches for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ChainOutcome {
    /// DER SubjectPublicKeyInfo of the leaf: the key the payload signature must verify with.
    pub leaf_spki_der: Vec<u8>,
    /// Lowercase hex SHA-256 of the leaf certificate's DER.
    pub leaf_fingerprint_sha256: String,
    /// RFC 4514 subject of the leaf.
    pub leaf_subject: String,
    /// RFC 4514 subject of the trust anchor the path ended at.
    pub anchor_subject: String,
    /// Lowercase hex SHA-256 of the trust anchor's DER.
    pub anchor_fingerprint_sha256: String,
    /// Certificates in the verified path, leaf and anchor included (1 when the leaf itself
    /// is an anchor).
    pub path_len: usize,
}

/// Bigger than any real certificate; keeps one hostile blob from costing much to parse.
const MAX_CERT_DER: usize = 64 * 1024;
/// A bundle carrying more certificates than this is not a real chain.
const MAX_CHAIN_CERTS: usize = 16;
/// A system CA bundle has a few hundred; allow several such files concatenated.
const MAX_ANCHORS: usize = 4096;
const MAX_PEM_BYTES: usize = 32 * 1024 * 1024;
/// Certificates in a path, leaf and anchor included.
const MAX_PATH_DEPTH: usize = 8;
/// Look-alike issuers multiply the candidate paths; this caps the public-key work.
const MAX_SIGNATURE_CHECKS: usize = 128;
/// Failure reasons kept for the final error message.
const MAX_REASONS: usize = 8;
/// Names printed in messages are cut here; a hostile subject must not flood the report.
const MAX_NAME_CHARS: usize = 200;

const PEM_BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const PEM_END: &str = "-----END CERTIFICATE-----";

const OID_BASIC_CONSTRAINTS: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.19");
const OID_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.15");
const OID_EXT_KEY_USAGE: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37");
const OID_SUBJECT_ALT_NAME: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.17");
const OID_SUBJECT_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.14");
const OID_AUTHORITY_KEY_ID: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.35");
const OID_KP_CODE_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.3");
const OID_ANY_EKU: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.5.29.37.0");

const OID_RSA_ENCRYPTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.1");
const OID_RSASSA_PSS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.10");
const OID_SHA256_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.11");
const OID_SHA384_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.12");
const OID_SHA512_WITH_RSA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.13");
const OID_MGF1: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.1.8");
const OID_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.1");
const OID_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.2");
const OID_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("2.16.840.1.101.3.4.2.3");
const OID_EC_PUBLIC_KEY: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.2.1");
const OID_ECDSA_SHA256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.2");
const OID_ECDSA_SHA384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.3");
const OID_ECDSA_SHA512: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.4.3.4");
const OID_P256: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.10045.3.1.7");
const OID_P384: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.34");
const OID_P521: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.132.0.35");
const OID_ED25519: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.101.112");

/// Extracts the DER of every `CERTIFICATE` block in a PEM file, checking each parses.
///
/// Other PEM blocks (keys, CRLs, OpenSSL `TRUSTED CERTIFICATE` with its trailing trust
/// settings) are skipped rather than guessed at; a file with no certificate is an error.
pub(crate) fn parse_pem_certificates(pem: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    if pem.len() > MAX_PEM_BYTES {
        return Err(format!(
            "PEM file is {} bytes, more than the {MAX_PEM_BYTES} accepted",
            pem.len()
        ));
    }
    // Lossy: bytes outside the blocks (comments, "Bag Attributes") may be anything.
    let text = String::from_utf8_lossy(pem);
    let mut out = Vec::new();
    let mut rest: &str = &text;
    while let Some(start) = rest.find(PEM_BEGIN) {
        let body_and_more = rest.get(start + PEM_BEGIN.len()..).unwrap_or("");
        let Some(end) = body_and_more.find(PEM_END) else {
            return Err(format!(
                "PEM certificate #{} has no '{PEM_END}' line",
                out.len() + 1
            ));
        };
        let body = body_and_more.get(..end).unwrap_or("");
        rest = body_and_more.get(end + PEM_END.len()..).unwrap_or("");
        let b64: String = body.chars().filter(|c| !c.is_ascii_whitespace()).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(b64.as_bytes())
            .map_err(|e| format!("PEM certificate #{}: bad base64: {e}", out.len() + 1))?;
        if out.len() >= MAX_ANCHORS {
            return Err(format!(
                "PEM file holds more than {MAX_ANCHORS} certificates"
            ));
        }
        ParsedCert::parse(&der).map_err(|e| format!("PEM certificate #{}: {e}", out.len() + 1))?;
        out.push(der);
    }
    if out.is_empty() {
        return Err(format!("no '{PEM_BEGIN}' block in the PEM file"));
    }
    Ok(out)
}

/// Verifies that `chain_der` (leaf first, then intermediates in any order) leads to one of
/// `anchors_der`, with every certificate on the path valid at `at_unix_seconds`.
pub(crate) fn verify_chain(
    chain_der: &[Vec<u8>],
    anchors_der: &[Vec<u8>],
    at_unix_seconds: i64,
) -> Result<ChainOutcome, String> {
    let Some(leaf_der) = chain_der.first() else {
        return Err("the bundle's certificate chain is empty".to_string());
    };
    if chain_der.len() > MAX_CHAIN_CERTS {
        return Err(format!(
            "the bundle's certificate chain has {} certificates, more than the {MAX_CHAIN_CERTS} accepted",
            chain_der.len()
        ));
    }
    if anchors_der.is_empty() {
        return Err("no trust anchors were given".to_string());
    }
    if anchors_der.len() > MAX_ANCHORS {
        return Err(format!(
            "{} trust anchors given, more than the {MAX_ANCHORS} accepted",
            anchors_der.len()
        ));
    }
    let chain = chain_der
        .iter()
        .enumerate()
        .map(|(i, der)| {
            ParsedCert::parse(der).map_err(|e| {
                if i == 0 {
                    format!("signing certificate: {e}")
                } else {
                    format!("bundle certificate #{}: {e}", i + 1)
                }
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let anchors = anchors_der
        .iter()
        .enumerate()
        .map(|(i, der)| ParsedCert::parse(der).map_err(|e| format!("trust anchor #{}: {e}", i + 1)))
        .collect::<Result<Vec<_>, _>>()?;
    let leaf = chain
        .first()
        .ok_or_else(|| "the bundle's certificate chain is empty".to_string())?;

    leaf.check_validity(at_unix_seconds)?;
    leaf.check_leaf_usage()?;

    // A user may pin the signing certificate itself; then there is no path to build.
    if let Some(anchor) = anchors.iter().find(|a| a.der == leaf_der.as_slice()) {
        return Ok(outcome(leaf, anchor, 1));
    }

    let search = PathSearch {
        chain: &chain,
        anchors: &anchors,
        at: at_unix_seconds,
    };
    search.run()
}

fn outcome(leaf: &ParsedCert<'_>, anchor: &ParsedCert<'_>, path_len: usize) -> ChainOutcome {
    ChainOutcome {
        leaf_spki_der: leaf.spki_der.clone(),
        leaf_fingerprint_sha256: sha256_hex(leaf.der),
        leaf_subject: leaf.subject.clone(),
        anchor_subject: anchor.subject.clone(),
        anchor_fingerprint_sha256: sha256_hex(anchor.der),
        path_len,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, bytes).as_ref())
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Node {
    Chain(usize),
    Anchor(usize),
}

struct Frame {
    /// Index into the bundle chain of the certificate whose issuer is being looked for.
    cert: usize,
    candidates: Vec<Node>,
    next: usize,
}

struct PathSearch<'c, 'a> {
    chain: &'c [ParsedCert<'a>],
    anchors: &'c [ParsedCert<'a>],
    at: i64,
}

impl PathSearch<'_, '_> {
    fn cert(&self, node: Node) -> Option<&ParsedCert<'_>> {
        match node {
            Node::Chain(i) => self.chain.get(i),
            Node::Anchor(i) => self.anchors.get(i),
        }
    }

    /// Issuer candidates of chain certificate `child`: anchors first, so that a path ends
    /// as soon as it can, then bundle certificates not already on the path.
    fn candidates(&self, child: usize, path: &[usize]) -> Vec<Node> {
        let Some(child_cert) = self.chain.get(child) else {
            return Vec::new();
        };
        let mut out: Vec<Node> = self
            .anchors
            .iter()
            .enumerate()
            .filter(|(_, a)| {
                a.cert.tbs_certificate.subject == child_cert.cert.tbs_certificate.issuer
            })
            .map(|(i, _)| Node::Anchor(i))
            .collect();
        for (j, c) in self.chain.iter().enumerate() {
            // Comparing bytes as well as indices: a bundle repeating a certificate must not
            // let the path revisit it.
            let on_path = path
                .iter()
                .any(|&p| p == j || self.chain.get(p).is_some_and(|pc| pc.der == c.der));
            if !on_path && c.cert.tbs_certificate.subject == child_cert.cert.tbs_certificate.issuer
            {
                out.push(Node::Chain(j));
            }
        }
        out
    }

    fn run(&self) -> Result<ChainOutcome, String> {
        let mut stack = vec![Frame {
            cert: 0,
            candidates: self.candidates(0, &[0]),
            next: 0,
        }];
        let mut reasons: Vec<String> = Vec::new();
        let mut signature_checks = 0usize;
        let leaf = self
            .chain
            .first()
            .ok_or_else(|| "the bundle's certificate chain is empty".to_string())?;

        while let Some(frame) = stack.last_mut() {
            let child_idx = frame.cert;
            let Some(&candidate) = frame.candidates.get(frame.next) else {
                if frame.candidates.is_empty() {
                    if let Some(child) = self.chain.get(child_idx) {
                        push_reason(
                            &mut reasons,
                            format!(
                                "no trust anchor (and no certificate in the bundle) has the subject '{}' that issued '{}'",
                                child.issuer, child.subject
                            ),
                        );
                    }
                }
                stack.pop();
                continue;
            };
            frame.next += 1;

            let path: Vec<usize> = stack.iter().map(|f| f.cert).collect();
            let (Some(child), Some(issuer)) = (self.chain.get(child_idx), self.cert(candidate))
            else {
                continue;
            };
            let kind = match candidate {
                Node::Anchor(_) => "trust anchor",
                Node::Chain(_) => "bundle certificate",
            };
            // Intermediates between this issuer and the leaf that count against its
            // pathLenConstraint: the leaf never counts, self-issued ones do not (RFC 5280).
            let below = path
                .iter()
                .skip(1)
                .filter_map(|&p| self.chain.get(p))
                .filter(|c| !c.self_issued())
                .count();
            if let Err(e) = issuer
                .check_validity(self.at)
                .and_then(|()| issuer.check_issuer_constraints(below))
            {
                push_reason(&mut reasons, format!("{kind} '{}': {e}", issuer.subject));
                continue;
            }
            if signature_checks >= MAX_SIGNATURE_CHECKS {
                return Err(format!(
                    "gave up building a path from '{}' after {MAX_SIGNATURE_CHECKS} signature checks",
                    leaf.subject
                ));
            }
            signature_checks += 1;
            if let Err(e) = verify_signed_by(child, issuer) {
                push_reason(
                    &mut reasons,
                    format!(
                        "'{}' is not signed by the {kind} '{}': {e}",
                        child.subject, issuer.subject
                    ),
                );
                continue;
            }
            match candidate {
                Node::Anchor(_) => return Ok(outcome(leaf, issuer, path.len() + 1)),
                Node::Chain(j) => {
                    // The path would be path + j + an anchor above it.
                    if path.len() + 2 > MAX_PATH_DEPTH {
                        push_reason(
                            &mut reasons,
                            format!(
                                "a path through '{}' would be longer than {MAX_PATH_DEPTH} certificates",
                                issuer.subject
                            ),
                        );
                        continue;
                    }
                    let mut next_path = path;
                    next_path.push(j);
                    let candidates = self.candidates(j, &next_path);
                    stack.push(Frame {
                        cert: j,
                        candidates,
                        next: 0,
                    });
                }
            }
        }
        let detail = if reasons.is_empty() {
            String::new()
        } else {
            format!(": {}", reasons.join("; "))
        };
        Err(format!(
            "no valid path from the signing certificate '{}' to a trust anchor{detail}",
            leaf.subject
        ))
    }
}

fn push_reason(reasons: &mut Vec<String>, reason: String) {
    if reasons.len() < MAX_REASONS && !reasons.contains(&reason) {
        reasons.push(reason);
    }
}

/// A certificate with the fields verification needs decoded once.
struct ParsedCert<'a> {
    der: &'a [u8],
    cert: Certificate,
    /// The exact signed bytes; equal to the input's because parsing is checked to round-trip.
    tbs_der: Vec<u8>,
    spki_der: Vec<u8>,
    subject: String,
    issuer: String,
    not_before: i64,
    not_after: i64,
    basic_constraints: Option<BasicConstraints>,
    key_usage: Option<KeyUsage>,
    ext_key_usage: Option<ExtendedKeyUsage>,
}

impl<'a> ParsedCert<'a> {
    fn parse(der: &'a [u8]) -> Result<Self, String> {
        if der.len() > MAX_CERT_DER {
            return Err(format!(
                "certificate is {} bytes, more than the {MAX_CERT_DER} accepted",
                der.len()
            ));
        }
        let cert = Certificate::from_der(der).map_err(|e| format!("not a DER certificate: {e}"))?;
        // The signature covers the bytes as sent; a parse that re-encodes differently would
        // make us check a signature over something else.
        let reencoded = cert
            .to_der()
            .map_err(|e| format!("certificate does not re-encode: {e}"))?;
        if reencoded != der {
            return Err("certificate is not in canonical DER".to_string());
        }
        let tbs = &cert.tbs_certificate;
        let subject = display_name(&tbs.subject);
        if tbs.signature != cert.signature_algorithm {
            return Err(format!(
                "certificate '{subject}' names different signature algorithms inside and outside the signed part"
            ));
        }
        let tbs_der = tbs
            .to_der()
            .map_err(|e| format!("certificate '{subject}' does not re-encode: {e}"))?;
        let spki_der = tbs
            .subject_public_key_info
            .to_der()
            .map_err(|e| format!("certificate '{subject}' public key does not re-encode: {e}"))?;
        let not_before = unix_seconds(tbs.validity.not_before)
            .ok_or_else(|| format!("certificate '{subject}' has an out-of-range notBefore"))?;
        let not_after = unix_seconds(tbs.validity.not_after)
            .ok_or_else(|| format!("certificate '{subject}' has an out-of-range notAfter"))?;

        let mut basic_constraints = None;
        let mut key_usage = None;
        let mut ext_key_usage = None;
        let mut seen: Vec<ObjectIdentifier> = Vec::new();
        for ext in tbs.extensions.iter().flatten() {
            if seen.contains(&ext.extn_id) {
                return Err(format!(
                    "certificate '{subject}' repeats extension {}",
                    ext.extn_id
                ));
            }
            seen.push(ext.extn_id);
            let value = ext.extn_value.as_bytes();
            match ext.extn_id {
                OID_BASIC_CONSTRAINTS => {
                    basic_constraints = Some(BasicConstraints::from_der(value).map_err(|e| {
                        format!("certificate '{subject}' has a bad basicConstraints: {e}")
                    })?);
                }
                OID_KEY_USAGE => {
                    key_usage =
                        Some(KeyUsage::from_der(value).map_err(|e| {
                            format!("certificate '{subject}' has a bad keyUsage: {e}")
                        })?);
                }
                OID_EXT_KEY_USAGE => {
                    ext_key_usage = Some(ExtendedKeyUsage::from_der(value).map_err(|e| {
                        format!("certificate '{subject}' has a bad extendedKeyUsage: {e}")
                    })?);
                }
                // Critical or not, these do not limit what the certificate may sign here:
                // names are not matched against anything and key identifiers are hints.
                OID_SUBJECT_ALT_NAME | OID_SUBJECT_KEY_ID | OID_AUTHORITY_KEY_ID => {}
                other if ext.critical => {
                    return Err(format!(
                        "certificate '{subject}' has a critical extension this verifier does not implement ({other}), so it cannot honour it"
                    ));
                }
                _ => {}
            }
        }
        Ok(Self {
            der,
            issuer: display_name(&tbs.issuer),
            subject,
            tbs_der,
            spki_der,
            not_before,
            not_after,
            basic_constraints,
            key_usage,
            ext_key_usage,
            cert,
        })
    }

    fn self_issued(&self) -> bool {
        self.cert.tbs_certificate.subject == self.cert.tbs_certificate.issuer
    }

    fn check_validity(&self, at: i64) -> Result<(), String> {
        if at < self.not_before {
            return Err(format!(
                "certificate '{}' is not valid before {}, after the signing time {}",
                self.subject,
                format_unix(self.not_before),
                format_unix(at)
            ));
        }
        if at > self.not_after {
            return Err(format!(
                "certificate '{}' expired at {}, before the signing time {}",
                self.subject,
                format_unix(self.not_after),
                format_unix(at)
            ));
        }
        Ok(())
    }

    /// An issuer must be a CA allowed to sign certificates, with room left in its path length.
    fn check_issuer_constraints(&self, intermediates_below: usize) -> Result<(), String> {
        let Some(bc) = &self.basic_constraints else {
            return Err("it has no basicConstraints, so it is not a CA".to_string());
        };
        if !bc.ca {
            return Err("its basicConstraints say it is not a CA".to_string());
        }
        if let Some(limit) = bc.path_len_constraint {
            if intermediates_below > usize::from(limit) {
                return Err(format!(
                    "its pathLenConstraint {limit} allows fewer than the {intermediates_below} intermediate CA certificates below it"
                ));
            }
        }
        if let Some(ku) = &self.key_usage {
            if !ku.key_cert_sign() {
                return Err("its keyUsage lacks keyCertSign".to_string());
            }
        }
        Ok(())
    }

    /// The signing certificate must affirmatively allow signing; when both extensions are
    /// present both must allow it (RFC 5280 4.2.1.12), so a key restricted to, say, key
    /// agreement is not accepted on the strength of a code-signing EKU.
    fn check_leaf_usage(&self) -> Result<(), String> {
        let ku_ok = self.key_usage.as_ref().map(|ku| ku.digital_signature());
        let eku_ok = self.ext_key_usage.as_ref().map(|eku| {
            eku.0
                .iter()
                .any(|oid| *oid == OID_KP_CODE_SIGNING || *oid == OID_ANY_EKU)
        });
        match (ku_ok, eku_ok) {
            (Some(false), _) => Err(format!(
                "signing certificate '{}' has a keyUsage without digitalSignature",
                self.subject
            )),
            (_, Some(false)) => Err(format!(
                "signing certificate '{}' has an extendedKeyUsage without codeSigning",
                self.subject
            )),
            (None, None) => Err(format!(
                "signing certificate '{}' has neither keyUsage digitalSignature nor extendedKeyUsage codeSigning",
                self.subject
            )),
            _ => Ok(()),
        }
    }
}

fn unix_seconds(time: x509_cert::time::Time) -> Option<i64> {
    i64::try_from(time.to_unix_duration().as_secs()).ok()
}

fn format_unix(seconds: i64) -> String {
    u64::try_from(seconds)
        .ok()
        .and_then(|s| der::DateTime::from_unix_duration(Duration::from_secs(s)).ok())
        .map_or_else(|| format!("unix time {seconds}"), |dt| dt.to_string())
}

/// RFC 4514 text with control characters escaped and length capped, since names come from
/// the bundle and end up in terminal output.
fn display_name(name: &x509_cert::name::Name) -> String {
    crate::display::safe_text(&name.to_string(), MAX_NAME_CHARS)
}

/// RSASSA-PSS-params (RFC 4055); the defaults (SHA-1) are not accepted, so every field that
/// matters must be present.
#[derive(der::Sequence)]
struct PssParams {
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    hash: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "1", tag_mode = "EXPLICIT", optional = "true")]
    mask_gen: Option<AlgorithmIdentifierOwned>,
    #[asn1(context_specific = "2", tag_mode = "EXPLICIT", optional = "true")]
    salt_length: Option<u32>,
    #[asn1(context_specific = "3", tag_mode = "EXPLICIT", optional = "true")]
    trailer_field: Option<u32>,
}

fn params_absent_or_null(alg: &AlgorithmIdentifierOwned) -> bool {
    match &alg.parameters {
        None => true,
        Some(any) => any.tag() == der::Tag::Null && any.value().is_empty(),
    }
}

/// The aws-lc-rs algorithm for a PSS signature, accepting only what aws-lc-rs verifies
/// exactly: MGF1 with the same hash and a salt as long as the digest.
fn pss_algorithm(
    sig_alg: &AlgorithmIdentifierOwned,
) -> Result<&'static dyn VerificationAlgorithm, String> {
    let params = sig_alg
        .parameters
        .as_ref()
        .ok_or_else(|| "RSA-PSS signature without parameters".to_string())?;
    let params: PssParams = params
        .decode_as()
        .map_err(|e| format!("bad RSA-PSS parameters: {e}"))?;
    let hash = params
        .hash
        .ok_or_else(|| "RSA-PSS with the default SHA-1 hash is not accepted".to_string())?;
    let mgf = params
        .mask_gen
        .ok_or_else(|| "RSA-PSS with the default MGF1-SHA-1 is not accepted".to_string())?;
    let mgf_hash: AlgorithmIdentifierOwned = match (&mgf.oid, &mgf.parameters) {
        (oid, Some(p)) if *oid == OID_MGF1 => p
            .decode_as()
            .map_err(|e| format!("bad RSA-PSS MGF1 parameters: {e}"))?,
        _ => return Err("RSA-PSS with a mask generation other than MGF1".to_string()),
    };
    if mgf_hash.oid != hash.oid {
        return Err("RSA-PSS with different message and MGF1 hashes".to_string());
    }
    if params.trailer_field.is_some_and(|t| t != 1) {
        return Err("RSA-PSS with an unknown trailer field".to_string());
    }
    let (alg, len): (&'static dyn VerificationAlgorithm, u32) = match hash.oid {
        OID_SHA256 => (&signature::RSA_PSS_2048_8192_SHA256, 32),
        OID_SHA384 => (&signature::RSA_PSS_2048_8192_SHA384, 48),
        OID_SHA512 => (&signature::RSA_PSS_2048_8192_SHA512, 64),
        other => return Err(format!("RSA-PSS with unsupported hash {other}")),
    };
    if params.salt_length != Some(len) {
        return Err(format!(
            "RSA-PSS salt length {} differs from the digest length {len}",
            params
                .salt_length
                .map_or_else(|| "20 (default)".to_string(), |s| s.to_string())
        ));
    }
    Ok(alg)
}

fn verify_signed_by(child: &ParsedCert<'_>, issuer: &ParsedCert<'_>) -> Result<(), String> {
    let sig_alg = &child.cert.signature_algorithm;
    let spki = &issuer.cert.tbs_certificate.subject_public_key_info;
    let key_alg = &spki.algorithm;
    let key = spki
        .subject_public_key
        .as_bytes()
        .ok_or_else(|| "the issuer's public key is not a whole number of bytes".to_string())?;
    let sig = child
        .cert
        .signature
        .as_bytes()
        .ok_or_else(|| "the signature is not a whole number of bytes".to_string())?;

    let ec_curve = || -> Option<ObjectIdentifier> {
        (key_alg.oid == OID_EC_PUBLIC_KEY)
            .then(|| {
                key_alg
                    .parameters
                    .as_ref()?
                    .decode_as::<ObjectIdentifier>()
                    .ok()
            })
            .flatten()
    };
    let algorithm: &'static dyn VerificationAlgorithm = match sig_alg.oid {
        OID_SHA256_WITH_RSA | OID_SHA384_WITH_RSA | OID_SHA512_WITH_RSA => {
            if key_alg.oid != OID_RSA_ENCRYPTION {
                return Err("an RSA signature but the issuer's key is not RSA".to_string());
            }
            if !params_absent_or_null(sig_alg) {
                return Err("RSA PKCS#1 signature algorithm with parameters".to_string());
            }
            match sig_alg.oid {
                OID_SHA256_WITH_RSA => &signature::RSA_PKCS1_2048_8192_SHA256,
                OID_SHA384_WITH_RSA => &signature::RSA_PKCS1_2048_8192_SHA384,
                _ => &signature::RSA_PKCS1_2048_8192_SHA512,
            }
        }
        OID_RSASSA_PSS => {
            if key_alg.oid != OID_RSA_ENCRYPTION && key_alg.oid != OID_RSASSA_PSS {
                return Err("an RSA-PSS signature but the issuer's key is not RSA".to_string());
            }
            pss_algorithm(sig_alg)?
        }
        OID_ECDSA_SHA256 | OID_ECDSA_SHA384 | OID_ECDSA_SHA512 => {
            if sig_alg.parameters.is_some() {
                return Err("ECDSA signature algorithm with parameters".to_string());
            }
            let curve = ec_curve().ok_or_else(|| {
                "an ECDSA signature but the issuer's key is not a named-curve EC key".to_string()
            })?;
            match (curve, sig_alg.oid) {
                (OID_P256, OID_ECDSA_SHA256) => &signature::ECDSA_P256_SHA256_ASN1,
                (OID_P256, OID_ECDSA_SHA384) => &signature::ECDSA_P256_SHA384_ASN1,
                (OID_P256, _) => &signature::ECDSA_P256_SHA512_ASN1,
                (OID_P384, OID_ECDSA_SHA256) => &signature::ECDSA_P384_SHA256_ASN1,
                (OID_P384, OID_ECDSA_SHA384) => &signature::ECDSA_P384_SHA384_ASN1,
                (OID_P384, _) => &signature::ECDSA_P384_SHA512_ASN1,
                (OID_P521, OID_ECDSA_SHA256) => &signature::ECDSA_P521_SHA256_ASN1,
                (OID_P521, OID_ECDSA_SHA384) => &signature::ECDSA_P521_SHA384_ASN1,
                (OID_P521, _) => &signature::ECDSA_P521_SHA512_ASN1,
                (other, _) => return Err(format!("unsupported EC curve {other}")),
            }
        }
        OID_ED25519 => {
            if key_alg.oid != OID_ED25519 {
                return Err("an Ed25519 signature but the issuer's key is not Ed25519".to_string());
            }
            if sig_alg.parameters.is_some() {
                return Err("Ed25519 signature algorithm with parameters".to_string());
            }
            &signature::ED25519
        }
        other => return Err(format!("unsupported signature algorithm {other}")),
    };
    UnparsedPublicKey::new(algorithm, key)
        .verify(&child.tbs_der, sig)
        .map_err(|_| "the signature does not verify".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    fn fixtures() -> Option<PathBuf> {
        match std::env::var_os("MODELVET_SIGNING_FIXTURES") {
            Some(dir) => Some(PathBuf::from(dir)),
            None => {
                println!("skipped: MODELVET_SIGNING_FIXTURES unset");
                None
            }
        }
    }

    fn read(path: &std::path::Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
    }

    fn pem_file(dir: &std::path::Path, name: &str) -> Vec<Vec<u8>> {
        parse_pem_certificates(&read(&dir.join("keys").join(name))).unwrap()
    }

    fn bundle_chain(folder: &std::path::Path) -> Vec<Vec<u8>> {
        let bundle: serde_json::Value =
            serde_json::from_slice(&read(&folder.join("model.sig"))).unwrap();
        let certs = bundle["verificationMaterial"]["x509CertificateChain"]["certificates"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: no x509CertificateChain", folder.display()));
        certs
            .iter()
            .map(|c| {
                base64::engine::general_purpose::STANDARD
                    .decode(c["rawBytes"].as_str().unwrap())
                    .unwrap()
            })
            .collect()
    }

    fn certificate_folders(dir: &std::path::Path) -> Vec<PathBuf> {
        let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| n.ends_with("-certificate"))
            })
            .collect();
        out.sort();
        assert!(
            !out.is_empty(),
            "no *-certificate folders in {}",
            dir.display()
        );
        out
    }

    /// 2030-01-01T00:00:00Z: inside the fixtures' 2025-05-02..2035-04-30 validity.
    const INSIDE: i64 = 1_893_456_000;

    #[test]
    fn fixture_chains_verify_against_root() {
        let Some(dir) = fixtures() else { return };
        let root = pem_file(&dir, "ca-cert.pem");
        for folder in certificate_folders(&dir) {
            let chain = bundle_chain(&folder);
            let out = verify_chain(&chain, &root, INSIDE)
                .unwrap_or_else(|e| panic!("{}: {e}", folder.display()));
            assert_eq!(out.anchor_subject, "CN=root-ca");
            assert_eq!(out.leaf_subject, "CN=intermediate-ca");
            assert_eq!(out.path_len, 3);
            assert_eq!(out.leaf_fingerprint_sha256, sha256_hex(&chain[0]));
            assert_eq!(out.anchor_fingerprint_sha256, sha256_hex(&root[0]));
            // The fixture's leaf is the keys/signing-key-cert.pem certificate.
            assert_eq!(chain[0], pem_file(&dir, "signing-key-cert.pem")[0]);
            assert!(!out.leaf_spki_der.is_empty());
        }
    }

    #[test]
    fn intermediate_as_anchor_and_anchor_inside_chain() {
        let Some(dir) = fixtures() else { return };
        let root = pem_file(&dir, "ca-cert.pem");
        let int = pem_file(&dir, "int-ca-cert.pem");
        let leaf = pem_file(&dir, "signing-key-cert.pem");
        let out = verify_chain(&leaf, &int, INSIDE).unwrap();
        assert_eq!(out.anchor_subject, "CN=intermediate-ca");
        assert_eq!(out.path_len, 2);
        let full = vec![leaf[0].clone(), int[0].clone(), root[0].clone()];
        assert_eq!(verify_chain(&full, &root, INSIDE).unwrap().path_len, 3);
        // Pinning the leaf itself.
        assert_eq!(verify_chain(&leaf, &leaf, INSIDE).unwrap().path_len, 1);
    }

    #[test]
    fn missing_intermediate_fails() {
        let Some(dir) = fixtures() else { return };
        let root = pem_file(&dir, "ca-cert.pem");
        let leaf = pem_file(&dir, "signing-key-cert.pem");
        let err = verify_chain(&leaf, &root, INSIDE).unwrap_err();
        assert!(err.contains("CN=intermediate-ca"), "{err}");
        assert!(err.contains("no trust anchor"), "{err}");
    }

    #[test]
    fn look_alike_anchor_fails() {
        let Some(dir) = fixtures() else { return };
        let root = pem_file(&dir, "ca-cert.pem");
        let int = pem_file(&dir, "int-ca-cert.pem");
        let leaf = pem_file(&dir, "signing-key-cert.pem");
        // Same subject as the real root, different key: flip a byte inside the modulus.
        let mut fake_root = root[0].clone();
        let parsed = ParsedCert::parse(&root[0]).unwrap();
        let key = parsed
            .cert
            .tbs_certificate
            .subject_public_key_info
            .subject_public_key
            .raw_bytes()
            .to_vec();
        let pos = find(&fake_root, &key).unwrap() + 40;
        fake_root[pos] ^= 0x01;
        let chain = [leaf[0].clone(), int[0].clone()];
        let err = verify_chain(&chain, std::slice::from_ref(&fake_root), INSIDE).unwrap_err();
        assert!(
            err.contains("not signed by the trust anchor 'CN=root-ca'"),
            "{err}"
        );
        // Next to the real root, the look-alike is skipped.
        let out = verify_chain(&chain, &[fake_root, root[0].clone()], INSIDE).unwrap();
        assert_eq!(out.anchor_fingerprint_sha256, sha256_hex(&root[0]));
    }

    fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
        hay.windows(needle.len()).position(|w| w == needle)
    }

    #[test]
    fn tampered_signature_fails() {
        let Some(dir) = fixtures() else { return };
        let root = pem_file(&dir, "ca-cert.pem");
        let int = pem_file(&dir, "int-ca-cert.pem");
        let mut leaf = pem_file(&dir, "signing-key-cert.pem").remove(0);
        let last = leaf.len() - 1;
        leaf[last] ^= 0x01;
        let err = verify_chain(&[leaf, int[0].clone()], &root, INSIDE).unwrap_err();
        assert!(err.contains("signature does not verify"), "{err}");
        // Same for the intermediate.
        let leaf = pem_file(&dir, "signing-key-cert.pem").remove(0);
        let mut int = int[0].clone();
        let last = int.len() - 1;
        int[last] ^= 0x80;
        assert!(verify_chain(&[leaf, int], &root, INSIDE).is_err());
    }

    #[test]
    fn validity_window_is_enforced() {
        let Some(dir) = fixtures() else { return };
        let root = pem_file(&dir, "ca-cert.pem");
        let chain = bundle_chain(&certificate_folders(&dir)[0]);
        // 2025-05-02T23:36:28Z .. 2035-04-30T23:36:28Z
        let not_before = 1_746_228_988;
        let not_after = 2_061_588_988;
        assert!(verify_chain(&chain, &root, not_before).is_ok());
        assert!(verify_chain(&chain, &root, not_after).is_ok());
        let err = verify_chain(&chain, &root, not_before - 1).unwrap_err();
        assert!(
            err.contains("not valid before 2025-05-02T23:36:28Z"),
            "{err}"
        );
        let err = verify_chain(&chain, &root, not_after + 1).unwrap_err();
        assert!(err.contains("expired at 2035-04-30T23:36:28Z"), "{err}");
        assert!(verify_chain(&chain, &root, -5).is_err());
        assert!(verify_chain(&chain, &root, i64::MAX).is_err());
    }

    #[test]
    fn leaf_must_allow_signing() {
        let Some(dir) = fixtures() else { return };
        // The intermediate has keyUsage keyCertSign only.
        let root = pem_file(&dir, "ca-cert.pem");
        let int = pem_file(&dir, "int-ca-cert.pem");
        let err = verify_chain(&int, &root, INSIDE).unwrap_err();
        assert!(err.contains("without digitalSignature"), "{err}");
    }

    #[test]
    fn garbage_and_empty_inputs_are_errors() {
        assert!(verify_chain(&[], &[vec![0x30]], INSIDE).is_err());
        assert!(verify_chain(&[vec![]], &[vec![]], INSIDE).is_err());
        assert!(verify_chain(&[vec![0x30, 0x82, 0xff, 0xff]], &[vec![0x30]], INSIDE).is_err());
        assert!(verify_chain(&[b"garbage".to_vec()], &[b"x".to_vec()], INSIDE).is_err());
        assert!(parse_pem_certificates(b"").is_err());
        assert!(parse_pem_certificates(b"hello").is_err());
        assert!(parse_pem_certificates(
            b"-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
        )
        .is_err());
        assert!(parse_pem_certificates(b"-----BEGIN CERTIFICATE-----\nMIIB").is_err());
        assert!(parse_pem_certificates(
            b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"
        )
        .is_err());
        // Every prefix and single-byte corruption of a real certificate: no panic.
        let Some(dir) = fixtures() else { return };
        let leaf = pem_file(&dir, "signing-key-cert.pem").remove(0);
        let root = pem_file(&dir, "ca-cert.pem");
        for cut in 0..leaf.len() {
            assert!(verify_chain(&[leaf[..cut].to_vec()], &root, INSIDE).is_err());
        }
        for i in 0..leaf.len() {
            let mut bad = leaf.clone();
            bad[i] ^= 0xff;
            let _ = verify_chain(&[bad], &root, INSIDE);
        }
    }

    #[test]
    fn pem_with_several_blocks_and_noise() {
        let Some(dir) = fixtures() else { return };
        let mut pem = b"Bag Attributes: x\n\xff\xfe\n".to_vec();
        pem.extend(read(&dir.join("keys/ca-cert.pem")));
        pem.extend(b"-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n");
        pem.extend(read(&dir.join("keys/int-ca-cert.pem")));
        let certs = parse_pem_certificates(&pem).unwrap();
        assert_eq!(certs.len(), 2);
        assert!(parse_pem_certificates(&read(&dir.join("keys/signing-key-pub.pem"))).is_err());
    }

    #[test]
    fn look_alike_flood_is_bounded() {
        let Some(dir) = fixtures() else { return };
        let root = pem_file(&dir, "ca-cert.pem");
        let leaf = pem_file(&dir, "signing-key-cert.pem").remove(0);
        // Many copies of the (self-named) leaf: repeated certificates must not extend the
        // path or loop.
        let chain = vec![leaf.clone(); MAX_CHAIN_CERTS];
        let err = verify_chain(&chain, &root, INSIDE).unwrap_err();
        assert!(err.contains("no valid path"), "{err}");
        let too_many = vec![leaf; MAX_CHAIN_CERTS + 1];
        assert!(verify_chain(&too_many, &root, INSIDE).is_err());
    }
}
