//! modelvet: tells whether a machine-learning model artifact is safe to load, by parsing
//! its bytes. Nothing scanned is ever executed or deserialised.
//!
//! Data flows one way: [`source`] (bounded byte sources) -> [`formats`] (sniffing and
//! per-format parsers that return facts and findings) -> [`report`] (one model) ->
//! renderers ([`report::text`], [`report::json`], [`report::sarif`]). [`scan`] drives the
//! walk over paths and containers; [`policy`] decides what a pickle global means.

pub mod bom;
pub mod cli;
pub mod config;
pub mod containers;
pub(crate) mod display;
pub mod facts;
pub mod findings;
pub mod format;
pub mod formats;
#[doc(hidden)]
pub mod fuzzing;
pub(crate) mod hf;
pub mod hub;
pub mod inventory;
pub(crate) mod json;
pub mod license;
pub mod limits;
pub mod object_stores;
pub mod policy;
pub mod provenance;
pub mod report;
pub mod rules;
pub mod scan;
pub mod source;
pub mod verdict_cache;
