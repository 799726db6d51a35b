//! Provenance: file digests, the model-signing manifest, OpenSSF model signing (OMS)
//! bundles, and their verification by key, certificate chain or Sigstore keyless.
//!
//! [`digest`] hashes bytes; [`manifest`] turns a model folder into the resource list
//! model-signing signs; the signing and verification modules check a bundle's signature and
//! compare its signed manifest with the files on disk.

pub mod bom_signature;
pub mod bundle;
pub mod digest;
pub mod keyless;
pub mod keys;
pub mod manifest;
pub mod outcome;
pub mod pem;
pub mod sign;
pub mod verify;
pub mod x509;
