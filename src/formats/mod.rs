//! Format recognition by content and the per-format parsers.
//!
//! Parsers of the formats added after the pickle core return a [`Parsed`]: findings,
//! facts for the report and the BOM, and whether everything was examined. The scanner
//! copies it onto the artifact; parsers never touch the report themselves.

pub mod gguf;
pub mod hdf5;
pub mod keras;
pub mod numpy;
pub mod onnx;
pub mod pickle;
pub mod protobuf;
pub mod registry;
pub mod safetensors;
pub mod savedmodel;
pub mod template;
pub mod tf_ops;
pub mod torch;
pub mod yaml;
pub mod zip_layout;

use serde::Serialize;

pub use protobuf::display_string;

use crate::findings::Finding;
use crate::format::Format;
use crate::limits::LimitHit;
use crate::rules::{self, Rule};

/// What a format parser found out about one artifact.
#[derive(Debug, Default)]
pub struct Parsed {
    pub findings: Vec<Finding>,
    pub facts: serde_json::Map<String, serde_json::Value>,
    /// Why part of the artifact was not examined; `None` when all of it was.
    pub incomplete: Option<String>,
    /// What the content turned out to be, when more exact than the format recognised by
    /// its first bytes (an HDF5 file that is a Keras model).
    pub format: Option<Format>,
}

impl Parsed {
    /// Adds a finding built with [`Finding`]'s builder methods.
    pub fn push(&mut self, finding: Finding) {
        self.findings.push(finding);
    }

    pub(crate) fn add(&mut self, rule: &'static Rule, message: impl Into<String>) {
        self.findings.push(Finding::new(rule, message));
    }

    pub fn fact(&mut self, key: &str, value: impl Serialize) {
        if let Ok(v) = serde_json::to_value(value) {
            self.facts.insert(key.to_string(), v);
        }
    }

    /// Marks the artifact incomplete, keeping the first reason.
    pub fn incomplete(&mut self, reason: impl Into<String>) {
        if self.incomplete.is_none() {
            self.incomplete = Some(reason.into());
        }
    }

    /// Takes in what a nested check found: its findings and facts, and its reason for
    /// being incomplete unless this outcome already has one.
    pub fn merge(&mut self, other: Parsed) {
        self.findings.extend(other.findings);
        self.facts.extend(other.facts);
        if let Some(reason) = other.incomplete {
            self.incomplete(reason);
        }
        if other.format.is_some() {
            self.format = other.format;
        }
    }

    /// A named limit was reached: an MV502 finding and the incomplete status.
    pub fn limit(&mut self, hit: LimitHit) {
        self.add(&rules::SCAN_LIMIT_REACHED, hit.describe());
        self.incomplete(hit.describe());
    }
}
