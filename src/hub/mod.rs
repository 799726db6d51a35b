//! The Hugging Face Hub as a provenance anchor: a local copy of a repository compared with
//! the hashes the Hub publishes for one commit, and the Hub's local cache checked offline
//! against the content-addressed names of its blobs.
//!
//! The Hub signs nothing. What it offers is a commit id, the Git blob SHA-1 of every file
//! and the SHA-256 of every LFS file; those are only as trustworthy as the TLS connection
//! to the endpoint, so every server answer is parsed as hostile input and anything that
//! could not be compared leaves the result `incomplete`, never `verified`.

pub mod against;
pub mod api;
pub mod cache;
pub mod client;
pub mod env;
pub mod remote_source;
pub mod repo_ref;
pub mod vet;

pub use against::verify_against;
pub use cache::verify_cache;

pub use client::{FileHead, HubClient, HubError, HubErrorKind};
pub use env::{HubConfig, Token};
pub use remote_source::{ReadStats, RemoteSource};
pub use repo_ref::{RepoKind, RepoRef};
pub use vet::{
    download_passed, scan_remote, HashCheck, RemoteError, RemoteFileRead, RemoteScan,
    MAX_CONCURRENT_REQUESTS, MAX_REMOTE_FILES,
};
