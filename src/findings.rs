//! A finding: which rule fired, where, on what evidence. Part of the bottom vocabulary
//! with [`crate::rules`] and [`crate::limits`]: parsers build findings, the report carries
//! them, renderers print them.

use serde::Serialize;

pub use crate::rules::Severity;
use crate::rules::{self, Rule};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Location {
    /// Member path inside the top-level file, if the artifact is a member.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub member: Option<String>,
    /// Byte offset inside the artifact (the member's own bytes for members).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// The opcode or structure at that offset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opcode: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Evidence {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub module: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub rule: &'static str,
    pub rule_name: &'static str,
    pub severity: Severity,
    pub message: String,
    pub location: Location,
    pub evidence: Evidence,
    pub cwe: String,
    pub remediation: &'static str,
}

impl Finding {
    pub fn new(rule: &'static Rule, message: impl Into<String>) -> Finding {
        Finding {
            rule: rule.id,
            rule_name: rule.name,
            severity: rule.severity,
            message: message.into(),
            location: Location::default(),
            evidence: Evidence::default(),
            cwe: format!("CWE-{}", rule.cwe),
            remediation: rule.remediation,
        }
    }

    pub(crate) fn with_severity(mut self, severity: Severity) -> Finding {
        self.severity = severity;
        self
    }

    pub fn at(mut self, offset: u64, opcode: impl Into<String>) -> Finding {
        self.location.offset = Some(offset);
        self.location.opcode = Some(opcode.into());
        self
    }

    pub fn offset(mut self, offset: u64) -> Finding {
        self.location.offset = Some(offset);
        self
    }

    pub fn global(mut self, module: &str, name: &str) -> Finding {
        self.evidence.module = Some(module.to_string());
        self.evidence.name = Some(name.to_string());
        self
    }

    pub fn detail(mut self, detail: impl Into<String>) -> Finding {
        self.evidence.detail = Some(detail.into());
        self
    }

    pub fn rule(&self) -> &'static Rule {
        rules::find(self.rule).expect("findings are built from catalog rules")
    }
}
