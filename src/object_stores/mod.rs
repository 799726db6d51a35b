//! Object-store targets: `s3://bucket/prefix`, `gs://bucket/prefix`, `az://container/prefix`
//! (and S3-compatible servers such as MinIO through `AWS_ENDPOINT_URL`), listed and read
//! with ranged GETs through the `object_store` crate, on the remote scanning path Hub
//! repositories take: the same `RemoteSource` block cache and byte accounting, the same
//! prefetch pool and scanner, the same verdict cache, and `--download` of what passed.
//!
//! A target is one object, or every object under a prefix (a model folder). Credentials
//! come from the environment the cloud SDKs read (`AWS_*`, `GOOGLE_*`, `AZURE_*`, instance
//! metadata), and for S3 also from the shared credentials file of `AWS_PROFILE` (default
//! `default`); they are never printed.
//!
//! An object store publishes no content digest modelvet can trust across stores (an S3
//! ETag is an MD5, or not a digest at all for multipart uploads), so a verdict is cached
//! under the object's version: its URL, ETag and size. A download asks for that ETag
//! (`If-Match`), so the bytes written are the ones judged.
//!
//! The reading half needs the `object-stores` feature (on by default); without it, store
//! targets are refused as a usage error and the crates behind it are not built.

use crate::hub::api::printable;

#[cfg(feature = "object-stores")]
mod reader;
#[cfg(not(feature = "object-stores"))]
mod unavailable;

#[cfg(feature = "object-stores")]
pub use reader::{download_passed, scan_store, StoreScan};
#[cfg(not(feature = "object-stores"))]
pub use unavailable::{download_passed, scan_store, StoreScan};

/// Most objects of one target scanned; the rest are reported as not scanned.
pub const MAX_STORE_OBJECTS: usize = 10_000;

/// The schemes of object-store targets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scheme {
    S3,
    Gcs,
    Azure,
}

impl Scheme {
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::S3 => "s3",
            Scheme::Gcs => "gs",
            Scheme::Azure => "az",
        }
    }
}

/// A parsed target: bucket (or container) and the key or prefix inside it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreUrl {
    pub scheme: Scheme,
    pub bucket: String,
    /// The key or prefix, without leading or trailing `/` ("" for the whole bucket).
    pub key: String,
}

impl StoreUrl {
    pub fn parse(input: &str) -> Result<StoreUrl, String> {
        let (scheme, rest) = if let Some(r) = input.strip_prefix("s3://") {
            (Scheme::S3, r)
        } else if let Some(r) = input.strip_prefix("gs://") {
            (Scheme::Gcs, r)
        } else if let Some(r) = input.strip_prefix("az://") {
            (Scheme::Azure, r)
        } else {
            return Err(format!("{input}: not an s3://, gs:// or az:// URL"));
        };
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        let valid_bucket = !bucket.is_empty()
            && bucket.len() <= 255
            && bucket
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_'));
        if !valid_bucket {
            return Err(format!(
                "{}: the bucket name must be letters, digits, `-`, `.` or `_`",
                printable(input, 200)
            ));
        }
        let key = key.trim_matches('/');
        if key
            .split('/')
            .any(|s| s.is_empty() || s == "." || s == "..")
            && !key.is_empty()
        {
            return Err(format!(
                "{}: the key has an empty, `.` or `..` segment",
                printable(input, 200)
            ));
        }
        Ok(StoreUrl {
            scheme,
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    pub fn shown(&self) -> String {
        if self.key.is_empty() {
            format!("{}://{}", self.scheme.as_str(), self.bucket)
        } else {
            format!("{}://{}/{}", self.scheme.as_str(), self.bucket, self.key)
        }
    }
}

/// Whether an input names an object store.
pub fn looks_like_store(input: &str) -> bool {
    ["s3://", "gs://", "az://"]
        .iter()
        .any(|s| input.starts_with(s))
}

/// Why a store target could not be scanned: a malformed URL is a usage error, anything
/// else (no credentials, no such bucket, unreachable) leaves the target unchecked.
#[derive(Debug)]
pub struct StoreError {
    pub usage: bool,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_to_bucket_and_key() {
        let u = StoreUrl::parse("s3://models/org/bert/").unwrap();
        assert_eq!(
            (u.scheme, u.bucket.as_str(), u.key.as_str()),
            (Scheme::S3, "models", "org/bert")
        );
        assert_eq!(u.shown(), "s3://models/org/bert");
        assert_eq!(StoreUrl::parse("gs://b").unwrap().key, "");
        assert_eq!(
            StoreUrl::parse("az://c/x.bin").unwrap().scheme,
            Scheme::Azure
        );
        assert!(StoreUrl::parse("s3://").is_err());
        assert!(StoreUrl::parse("s3://b/a/../c").is_err());
        assert!(StoreUrl::parse("s3://b?x/a").is_err());
        assert!(StoreUrl::parse("http://b/a").is_err());
    }
}
