//! The result of `modelvet verify`, whatever was checked (a signature, the Hub's hashes, a
//! Hugging Face cache): one shape, so JSON consumers and exit codes never depend on the
//! method.

use serde::Serialize;

/// JSON schema version of [`Verification`].
pub(crate) const VERIFICATION_SCHEMA_VERSION: &str = "1.0.0";

pub(crate) const EXIT_VERIFIED: i32 = 0;
pub(crate) const EXIT_FAILED: i32 = 1;
pub(crate) const EXIT_INCOMPLETE: i32 = 2;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VerifyStatus {
    /// Every check passed and every file matched.
    Verified,
    /// A check failed: a signature, a policy, or a file that differs.
    Failed,
    /// Something needed could not be checked (a missing input, the network, a limit).
    Incomplete,
}

/// Who signed, as far as the method can tell.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Signer {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    /// Hex SHA-256 of the DER SubjectPublicKeyInfo of the key that verified the signature.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_fingerprint_sha256: Option<String>,
    /// Hex SHA-256 of the DER leaf certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_fingerprint_sha256: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate_subject: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_anchor: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_index: Option<u64>,
    /// Unix seconds at which the transparency log integrated the entry.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub integrated_time: Option<i64>,
    /// Verified RFC 3161 timestamps, Unix seconds.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub timestamps: Vec<i64>,
}

/// The Hub revision a local copy was compared with.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RemoteRef {
    pub repo: String,
    /// What the user asked for (a branch, tag or commit).
    pub revision: String,
    /// The commit it resolved to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commit: Option<String>,
    pub endpoint: String,
}

/// A file whose digest differs from the expected one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ChangedFile {
    pub name: String,
    pub algorithm: String,
    pub expected: String,
    pub actual: String,
}

/// Name-by-name comparison of what was expected with what is on disk.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FileComparison {
    pub matched: usize,
    pub changed: Vec<ChangedFile>,
    /// Expected but not found.
    pub missing: Vec<String>,
    /// Found but not expected.
    pub extra: Vec<String>,
}

impl FileComparison {
    pub(crate) fn is_exact(&self) -> bool {
        self.changed.is_empty() && self.missing.is_empty() && self.extra.is_empty()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Verification {
    pub schema_version: &'static str,
    pub tool: &'static str,
    pub version: &'static str,
    pub status: VerifyStatus,
    /// "key", "certificate", "sigstore", "ed25519-key" (outside OMS), "hub", "hf-cache".
    pub method: String,
    pub target: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<String>,
    /// "files" or "shards" for signatures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub serialization: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash_type: Option<String>,
    /// The signed root digest (hex SHA-256 over the resource digests).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root_digest: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signer: Option<Signer>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remote: Option<RemoteRef>,
    pub files: FileComparison,
    /// What was checked and passed, in the order it was checked.
    pub checks: Vec<String>,
    /// Why the status is not `verified`; empty when it is.
    pub problems: Vec<String>,
    /// Advisory facts that do not change the status (the Hub's own scan verdicts, say).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Verification {
    pub fn new(method: &str, target: &str) -> Verification {
        Verification {
            schema_version: VERIFICATION_SCHEMA_VERSION,
            tool: "modelvet",
            version: env!("CARGO_PKG_VERSION"),
            status: VerifyStatus::Incomplete,
            method: method.to_string(),
            target: target.to_string(),
            signature: None,
            serialization: None,
            hash_type: None,
            root_digest: None,
            signer: None,
            remote: None,
            files: FileComparison::default(),
            checks: Vec::new(),
            problems: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// A failure: the artifact is not what was signed or published.
    pub fn fail(&mut self, why: impl Into<String>) {
        self.problems.push(why.into());
        self.status = VerifyStatus::Failed;
    }

    /// Could not be checked. Never downgrades a failure already found.
    pub fn incomplete(&mut self, why: impl Into<String>) {
        self.problems.push(why.into());
        if self.status != VerifyStatus::Failed {
            self.status = VerifyStatus::Incomplete;
        }
    }

    /// Sets `verified` only when nothing failed or was left unchecked and the files match.
    pub(crate) fn conclude(&mut self) {
        if !self.files.is_exact() && self.status != VerifyStatus::Failed {
            self.status = VerifyStatus::Failed;
            self.problems.push(format!(
                "{} changed, {} missing, {} extra file(s)",
                self.files.changed.len(),
                self.files.missing.len(),
                self.files.extra.len()
            ));
        }
        if self.problems.is_empty() {
            self.status = VerifyStatus::Verified;
        }
    }

    pub fn exit_code(&self) -> i32 {
        match self.status {
            VerifyStatus::Verified => EXIT_VERIFIED,
            VerifyStatus::Failed => EXIT_FAILED,
            VerifyStatus::Incomplete => EXIT_INCOMPLETE,
        }
    }

    pub fn render_json(&self) -> String {
        let mut s = serde_json::to_string_pretty(self).unwrap_or_else(|e| {
            format!("{{\"error\": \"could not render the verification: {e}\"}}")
        });
        s.push('\n');
        s
    }

    pub fn render_text(&self) -> String {
        // Names come from the disk, the bundle or the Hub: escaped like every string from
        // input, so none can print a line of its own or a terminal escape.
        use crate::display::untrusted as shown;
        use std::fmt::Write as _;
        let mut out = String::new();
        let status = match self.status {
            VerifyStatus::Verified => "VERIFIED",
            VerifyStatus::Failed => "FAILED",
            VerifyStatus::Incomplete => "INCOMPLETE",
        };
        let _ = writeln!(out, "{status}: {} ({})", shown(&self.target), self.method);
        if let Some(sig) = &self.signature {
            let _ = writeln!(out, "  signature: {}", shown(sig));
        }
        if let (Some(ser), Some(h)) = (&self.serialization, &self.hash_type) {
            let _ = writeln!(out, "  manifest: {ser}, {h}");
        }
        if let Some(root) = &self.root_digest {
            let _ = writeln!(out, "  root digest: sha256:{root}");
        }
        if let Some(s) = &self.signer {
            let fields = [
                ("identity", s.identity.clone()),
                ("issuer", s.issuer.clone()),
                ("key sha256", s.key_fingerprint_sha256.clone()),
                (
                    "certificate sha256",
                    s.certificate_fingerprint_sha256.clone(),
                ),
                ("certificate subject", s.certificate_subject.clone()),
                ("trust anchor", s.trust_anchor.clone()),
                ("log index", s.log_index.map(|i| i.to_string())),
                ("integrated time", s.integrated_time.map(|t| t.to_string())),
            ];
            for (label, value) in fields {
                if let Some(v) = value {
                    let _ = writeln!(out, "  {label}: {}", shown(&v));
                }
            }
        }
        if let Some(r) = &self.remote {
            let commit = r.commit.as_deref().unwrap_or("unresolved");
            let _ = writeln!(
                out,
                "  remote: {} @ {} -> commit {} ({})",
                shown(&r.repo),
                shown(&r.revision),
                shown(commit),
                shown(&r.endpoint)
            );
        }
        let _ = writeln!(out, "  files matched: {}", self.files.matched);
        for c in &self.files.changed {
            let _ = writeln!(
                out,
                "  changed: {} ({} expected {}, found {})",
                shown(&c.name),
                c.algorithm,
                shown(&c.expected),
                shown(&c.actual)
            );
        }
        for m in &self.files.missing {
            let _ = writeln!(out, "  missing: {}", shown(m));
        }
        for e in &self.files.extra {
            let _ = writeln!(out, "  extra: {}", shown(e));
        }
        for c in &self.checks {
            let _ = writeln!(out, "  ok: {}", shown(c));
        }
        for p in &self.problems {
            let _ = writeln!(out, "  problem: {}", shown(p));
        }
        for n in &self.notes {
            let _ = writeln!(out, "  note: {}", shown(n));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_the_worst_result() {
        let mut v = Verification::new("key", "m");
        v.conclude();
        assert_eq!(v.exit_code(), EXIT_VERIFIED);

        let mut v = Verification::new("key", "m");
        v.fail("bad signature");
        v.incomplete("could not read x");
        v.conclude();
        assert_eq!(v.status, VerifyStatus::Failed);

        let mut v = Verification::new("hub", "m");
        v.incomplete("offline");
        v.conclude();
        assert_eq!(v.exit_code(), EXIT_INCOMPLETE);

        let mut v = Verification::new("key", "m");
        v.files.extra.push("new.bin".into());
        v.conclude();
        assert_eq!(v.exit_code(), EXIT_FAILED);
        assert!(v.render_text().contains("extra: new.bin"));

        let mut v = Verification::new("key", "m");
        v.files.extra.push("x\n::error ::forged\u{1b}[2J".into());
        v.conclude();
        let text = v.render_text();
        assert!(
            text.contains("extra: x\\n::error ::forged\\u{1b}[2J"),
            "{text}"
        );
        assert!(!text.contains('\u{1b}'));
    }
}
