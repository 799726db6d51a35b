//! Default-deny policy for imported globals.
//!
//! A global is silent only when its exact (module, name) pair is allowed. Everything else
//! is a finding; the lists in [`lists`] only decide how severe it is.

pub mod compat;

pub mod lists;
pub(crate) mod traced;

use std::collections::{HashMap, HashSet};

use crate::rules::Rule;
use crate::rules::Severity;

/// What a global is, as far as the policy goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum GlobalClass {
    Allowed,
    Framework,
    Unknown,
    Io,
    Exec,
    CodeObject,
}

/// Why a global got its class, for the finding's evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Classification {
    pub class: GlobalClass,
    pub matched: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct Policy {
    user_allowed: HashSet<(String, String)>,
    severity_overrides: HashMap<&'static str, Severity>,
}

fn entry_matches(entry: &str, module: &str, name: &str) -> bool {
    let (entry_module, entry_name) = match entry.split_once(':') {
        Some((m, n)) => (m, Some(n)),
        None => (entry, None),
    };
    let module_matches = module == entry_module
        || (module.len() > entry_module.len()
            && module.starts_with(entry_module)
            && module.as_bytes()[entry_module.len()] == b'.');
    if !module_matches {
        return false;
    }
    match entry_name {
        None => true,
        // A name entry applies to that module only, and to attributes below the name.
        Some(n) => {
            module == entry_module
                && (name == n
                    || (name.starts_with(n) && name.as_bytes().get(n.len()) == Some(&b'.')))
        }
    }
}

/// Most dotted parts (module and name together) of a global read every way it can be
/// split; real globals have fewer than ten.
const MAX_DOTTED_PARTS: usize = 32;

fn is_dunder(part: &str) -> bool {
    part.len() > 4 && part.starts_with("__") && part.ends_with("__")
}

fn builtin_allowed(module: &str, name: &str) -> bool {
    lists::ALLOWED
        .iter()
        .any(|(m, names)| *m == module && names.contains(&name))
        || traced::traced(module, name)
}

/// Class of one (module, name) candidate against the deny lists.
fn denylist_class(module: &str, name: &str) -> Option<(GlobalClass, &'static str)> {
    if let Some(e) = lists::CODE_OBJECT
        .iter()
        .find(|e| entry_matches(e, module, name))
    {
        return Some((GlobalClass::CodeObject, e));
    }
    if let Some(e) = lists::EXEC.iter().find(|e| entry_matches(e, module, name)) {
        return Some((GlobalClass::Exec, e));
    }
    if let Some(e) = lists::IO.iter().find(|e| entry_matches(e, module, name)) {
        return Some((GlobalClass::Io, e));
    }
    None
}

impl Policy {
    pub fn new() -> Policy {
        Policy::default()
    }

    /// A digest of what the user changed (allowed pairs, severity overrides), the same
    /// for the same policy whatever order it was written in: part of a verdict cache key.
    pub fn fingerprint(&self) -> String {
        use sha2::{Digest, Sha256};
        let mut allowed: Vec<String> = self
            .user_allowed
            .iter()
            .map(|(m, n)| format!("allow {m}:{n}\n"))
            .collect();
        allowed.sort();
        let mut overrides: Vec<String> = self
            .severity_overrides
            .iter()
            .map(|(rule, sev)| format!("severity {rule}={}\n", sev.as_str()))
            .collect();
        overrides.sort();
        let mut h = Sha256::new();
        for line in allowed.iter().chain(&overrides) {
            h.update(line.as_bytes());
        }
        hex::encode(h.finalize())
    }

    /// Adds an exact pair to the allowlist. Refuses pairs that the policy classes as code
    /// execution or code objects: no configuration may allow `os.system`.
    pub fn allow(&mut self, module: &str, name: &str) -> Result<(), String> {
        let c = self.classify_builtin(module, name);
        if matches!(c.class, GlobalClass::Exec | GlobalClass::CodeObject) {
            return Err(format!(
                "refusing to allow `{module}:{name}`: it is on the code-execution denylist ({}) and can never be allowed",
                c.matched.unwrap_or_default()
            ));
        }
        self.user_allowed
            .insert((module.to_string(), name.to_string()));
        Ok(())
    }

    /// Overrides a rule's severity. Rules that guard code execution may be raised, never lowered.
    pub(crate) fn set_severity(
        &mut self,
        rule: &'static Rule,
        severity: Severity,
    ) -> Result<(), String> {
        if severity < rule.severity && !rule.may_lower {
            return Err(format!(
                "refusing to lower {} ({}) from {} to {}: this rule guards code execution",
                rule.id,
                rule.name,
                rule.severity.as_str(),
                severity.as_str()
            ));
        }
        self.severity_overrides.insert(rule.id, severity);
        Ok(())
    }

    /// The severity the user's configuration sets for `rule`, if it sets one.
    pub(crate) fn severity_override(&self, rule: &Rule) -> Option<Severity> {
        self.severity_overrides.get(rule.id).copied()
    }

    pub(crate) fn severity_of(&self, rule: &Rule) -> Severity {
        self.severity_overrides
            .get(rule.id)
            .copied()
            .unwrap_or(rule.severity)
    }

    pub(crate) fn classify(&self, module: &str, name: &str) -> Classification {
        let c = self.classify_builtin(module, name);
        if c.class <= GlobalClass::Io
            && c.class != GlobalClass::Allowed
            && self
                .user_allowed
                .contains(&(module.to_string(), name.to_string()))
        {
            return Classification {
                class: GlobalClass::Allowed,
                matched: Some("user allowlist".into()),
            };
        }
        c
    }

    fn classify_builtin(&self, module: &str, name: &str) -> Classification {
        let name_parts: Vec<&str> = name.split('.').collect();
        if name_parts.iter().any(|p| is_dunder(p)) && !builtin_allowed(module, name) {
            return Classification {
                class: GlobalClass::Exec,
                matched: Some("dunder attribute traversal".into()),
            };
        }
        if module.split('.').any(is_dunder)
            && module != "__main__"
            && !module.starts_with("__torch__")
        {
            return Classification {
                class: GlobalClass::Exec,
                matched: Some("dunder module".into()),
            };
        }
        if builtin_allowed(module, name) {
            return Classification {
                class: GlobalClass::Allowed,
                matched: None,
            };
        }
        // Evaluate every way the dotted path can be read: `pathlib` + `os.system` reaches
        // `os.system` through pathlib's own import of os. That is quadratic in the parts,
        // so a path of more parts than any real global has is not read every way: it could
        // still reach anything (`os.path.os.path. ... .os.system` is os.system).
        let module_parts: Vec<&str> = module.split('.').collect();
        if module_parts.len() + name_parts.len() > MAX_DOTTED_PARTS {
            return Classification {
                class: GlobalClass::Exec,
                matched: Some(format!(
                    "a dotted path of more than {MAX_DOTTED_PARTS} parts, not read every way"
                )),
            };
        }
        let all: Vec<&str> = module_parts
            .iter()
            .chain(name_parts.iter())
            .copied()
            .collect();
        let mut worst: Option<(GlobalClass, &'static str)> = None;
        let starts = if name_parts.len() > 1 {
            module_parts.len() + 1
        } else {
            1
        };
        for s in 0..starts.min(all.len()) {
            for k in (s + 1)..all.len() {
                let m = all[s..k].join(".");
                let n = all[k..].join(".");
                if let Some(found) = denylist_class(&m, &n) {
                    if worst.is_none_or(|w| found.0 > w.0) {
                        worst = Some(found);
                    }
                }
            }
        }
        if let Some((class, matched)) = worst {
            return Classification {
                class,
                matched: Some(matched.to_string()),
            };
        }
        let top = module_parts[0];
        if lists::FRAMEWORKS.contains(&top) {
            return Classification {
                class: GlobalClass::Framework,
                matched: Some(top.to_string()),
            };
        }
        Classification {
            class: GlobalClass::Unknown,
            matched: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn class(m: &str, n: &str) -> GlobalClass {
        Policy::new().classify(m, n).class
    }

    #[test]
    fn allowlist_is_exact() {
        assert_eq!(class("collections", "OrderedDict"), GlobalClass::Allowed);
        assert_eq!(
            class("torch._utils", "_rebuild_tensor_v2"),
            GlobalClass::Allowed
        );
        assert_eq!(
            class("collections", "OrderedDict.__init__"),
            GlobalClass::Exec
        );
        assert_eq!(
            class("torch._utils", "_rebuild_nested_tensor"),
            GlobalClass::Framework
        );
    }

    #[test]
    fn denylist_sets_severity_classes() {
        assert_eq!(class("os", "system"), GlobalClass::Exec);
        assert_eq!(class("posix", "system"), GlobalClass::Exec);
        assert_eq!(class("builtins", "eval"), GlobalClass::Exec);
        assert_eq!(class("builtins", "print"), GlobalClass::Unknown);
        assert_eq!(class("marshal", "loads"), GlobalClass::CodeObject);
        assert_eq!(class("io", "FileIO"), GlobalClass::Io);
        assert_eq!(class("pathlib", "PosixPath"), GlobalClass::Allowed);
        assert_eq!(class("uuid", "_get_command_stdout"), GlobalClass::Exec);
        assert_eq!(class("uuid", "UUID"), GlobalClass::Allowed);
        assert_eq!(class("torch.utils.collect_env", "run"), GlobalClass::Exec);
        assert_eq!(
            class("sklearn.linear_model._logistic", "LogisticRegression"),
            GlobalClass::Allowed,
            "traced from scikit-learn's own pickles"
        );
        assert_eq!(
            class("sklearn.linear_model._logistic", "LogisticRegressionCV"),
            GlobalClass::Framework,
            "not traced: a framework class, judged by its use"
        );
        assert_eq!(class("mypackage", "Thing"), GlobalClass::Unknown);
    }

    #[test]
    fn dotted_names_are_resolved_part_by_part() {
        assert_eq!(class("pathlib", "os.system"), GlobalClass::Exec);
        assert_eq!(
            class("builtins", "print.__class__.__base__.__subclasses__"),
            GlobalClass::Exec
        );
        assert_eq!(class("numpy", "__builtins__.eval"), GlobalClass::Exec);
        assert_eq!(
            class("torch", "_dynamo.guards.GuardBuilder.get"),
            GlobalClass::Exec
        );
    }

    #[test]
    fn users_cannot_allow_code_execution() {
        let mut p = Policy::new();
        for (m, n) in [
            ("os", "system"),
            ("posix", "system"),
            ("nt", "system"),
            ("sys", "modules"),
            ("subprocess", "Popen"),
            ("builtins", "eval"),
            ("builtins", "exec"),
            ("builtins", "getattr"),
        ] {
            assert!(p.allow(m, n).is_err(), "{m}:{n} must be refused");
        }
        assert!(p.allow("mypackage.models", "Net").is_ok());
        assert_eq!(
            p.classify("mypackage.models", "Net").class,
            GlobalClass::Allowed
        );
        assert_eq!(
            p.classify("mypackage.models", "Other").class,
            GlobalClass::Unknown
        );
    }
}
