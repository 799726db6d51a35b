//! skops files: a zip whose `schema.json` is a tree of nodes, each naming its type
//! (`__module__`, `__class__`) and the loader that rebuilds it (`__loader__`); arrays sit
//! beside it as `.npy` members (scanned as members like any other).
//!
//! skops holds no code, but `skops.io.load` imports and builds the type each node names
//! once it is trusted, and trusts by default only the types its node classes list (see
//! `skops_trusted.rs`, generated from the pinned skops). A type outside that list is what
//! `skops.io.get_untrusted_types` reports and what callers usually pass back as
//! `trusted=`, so each one is a finding, graded by the pickle policy: a type that runs code
//! (a `FunctionTransformer` whose function is `os.system`) is critical, one outside the
//! known frameworks medium, a framework's own class (scikit-learn's `Tree`) low.
//!
//! The tree is walked without recursion; its size is bounded by the JSON reader's limits.

use std::collections::BTreeSet;

use serde_json::Value;

use super::skops_trusted::{KNOWN_LOADERS, SKOPS_VERSION, TRUSTED};
use crate::findings::{Finding, Severity};
use crate::format::Parsed;
use crate::policy::{GlobalClass, Policy};
use crate::rules;

/// The member holding the tree.
pub(crate) const SCHEMA: &str = "schema.json";
/// The fact listing the members skops reads back as raw `bytes` / `bytearray` values.
pub(crate) const BYTES_MEMBERS: &str = "bytes_members";

/// Checks `schema.json`'s text when it is a skops tree (its root is a node with a
/// protocol); `None` when it is some other JSON, or JSON that Python's reader refuses too
/// (skops cannot load it either). Text that names a loader and a protocol but is too large
/// or deep for the bounded reader is taken as skops and left incomplete.
pub(crate) fn check_if_skops(text: &[u8], policy: &Policy) -> Option<Parsed> {
    // Cheap before parsing: every skops root names its loader and protocol.
    let has = |needle: &[u8]| text.windows(needle.len()).any(|w| w == needle);
    if !(has(b"\"__loader__\"") && has(b"\"protocol\"")) {
        return None;
    }
    match crate::json::parse_value(text) {
        Ok(root) if root.get("__loader__").is_some() && root.get("protocol").is_some() => {
            Some(check_tree(&root, policy))
        }
        Ok(_) | Err(crate::json::JsonFailure::Syntax { .. }) => None,
        Err(crate::json::JsonFailure::Limit(hit)) => {
            let mut out = skops_outcome();
            out.limit(hit);
            Some(out)
        }
    }
}

/// An outcome that names the archive a skops file.
fn skops_outcome() -> Parsed {
    Parsed {
        format: Some(crate::format::Format::Skops),
        ..Parsed::default()
    }
}

fn trusted(loader: &str, type_name: &str) -> bool {
    TRUSTED.binary_search(&(loader, type_name)).is_ok()
}

/// Checks a skops tree.
fn check_tree(root: &Value, policy: &Policy) -> Parsed {
    let mut out = skops_outcome();
    if let Some(v) = root.get("_skops_version").and_then(Value::as_str) {
        out.fact("skops_version", v);
    }
    if let Some(p) = root.get("protocol").and_then(Value::as_u64) {
        out.fact("skops_protocol", p);
    }
    let mut nodes = 0usize;
    let mut bytes_members: BTreeSet<String> = BTreeSet::new();
    let mut untrusted: BTreeSet<String> = BTreeSet::new();
    let mut unknown_loaders: BTreeSet<String> = BTreeSet::new();
    let mut stack: Vec<&Value> = vec![root];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(loader) = map.get("__loader__").and_then(Value::as_str) {
                    nodes += 1;
                    let module = map.get("__module__").and_then(Value::as_str).unwrap_or("");
                    let class = map.get("__class__").and_then(Value::as_str).unwrap_or("");
                    let type_name = format!("{module}.{class}");
                    // skops keeps bytes and bytearray values as raw members it reads back
                    // as they are.
                    if matches!(loader, "BytesNode" | "BytearrayNode") {
                        if let Some(file) = map.get("file").and_then(Value::as_str) {
                            bytes_members.insert(file.to_string());
                        }
                    }
                    if KNOWN_LOADERS.binary_search(&loader).is_err() {
                        unknown_loaders.insert(loader.to_string());
                    } else if !trusted(loader, &type_name) {
                        untrusted.insert(type_name);
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out.fact("skops_nodes", nodes);
    if !bytes_members.is_empty() {
        out.fact(BYTES_MEMBERS, &bytes_members);
    }
    out.fact("untrusted_types", &untrusted);
    for type_name in &untrusted {
        let (module, name) = type_name.rsplit_once('.').unwrap_or(("", type_name));
        let class = policy.classify(module, name);
        let (severity, what) = match class.class {
            GlobalClass::CodeObject | GlobalClass::Exec => {
                (Severity::Critical, "which runs code or commands")
            }
            GlobalClass::Io => (Severity::High, "which reads or writes files or the network"),
            GlobalClass::Unknown => (
                Severity::Medium,
                "from a module outside the known ML frameworks",
            ),
            GlobalClass::Framework | GlobalClass::Allowed => {
                (Severity::Low, "a class of an ML framework")
            }
        };
        out.push(
            Finding::new(
                &rules::SKOPS_UNTRUSTED_TYPE,
                format!(
                    "{type_name}, {what}, is a type skops {SKOPS_VERSION} does not trust by \
                     default: skops.io.load builds it once the caller trusts it"
                ),
            )
            .with_severity(severity)
            .global(module, name),
        );
    }
    if !unknown_loaders.is_empty() {
        let listed: Vec<&str> = unknown_loaders.iter().map(String::as_str).collect();
        out.fact("unknown_loaders", &listed);
        out.incomplete(format!(
            "skops {SCHEMA} uses loaders skops {SKOPS_VERSION} does not have ({}): what they \
             build is unknown",
            listed.join(", ")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Parsed {
        let root: Value = serde_json::from_str(text).unwrap();
        check_tree(&root, &Policy::new())
    }

    fn node(loader: &str, module: &str, class: &str, content: &str) -> String {
        format!(
            r#"{{"__class__": "{class}", "__module__": "{module}", "__loader__": "{loader}", "content": {content}}}"#
        )
    }

    #[test]
    fn the_generated_lists_are_sorted() {
        assert!(TRUSTED.windows(2).all(|w| w[0] < w[1]));
        assert!(KNOWN_LOADERS.windows(2).all(|w| w[0] < w[1]));
        assert!(trusted("ListNode", "builtins.list"));
        assert!(!trusted("ObjectNode", "builtins.list"));
    }

    #[test]
    fn untrusted_types_are_graded_by_the_policy() {
        let text = node(
            "DictNode",
            "builtins",
            "dict",
            &format!(
                r#"{{"a": {}, "b": {}, "c": {}}}"#,
                node("FunctionNode", "posix", "system", "null"),
                node("ObjectNode", "mypkg.models", "Net", "{}"),
                node("ListNode", "builtins", "list", "[]")
            ),
        );
        let text = text.replacen('{', r#"{"protocol": 2, "#, 1);
        assert!(check_if_skops(text.as_bytes(), &Policy::new()).is_some());
        let p = check(&text);
        let got: Vec<(Severity, &str)> = p
            .findings
            .iter()
            .map(|f| (f.severity, f.message.split(',').next().unwrap()))
            .collect();
        assert_eq!(
            got,
            [
                (Severity::Medium, "mypkg.models.Net"),
                (Severity::Critical, "posix.system")
            ]
        );
        assert!(p.incomplete.is_none());
    }

    #[test]
    fn unknown_loaders_are_incomplete() {
        let p = check(&node("EvilNode", "os", "system", "null"));
        assert!(p.incomplete.is_some());
        assert!(p.findings.is_empty());
    }

    #[test]
    fn other_schema_json_files_are_not_skops() {
        let policy = Policy::new();
        assert!(check_if_skops(br#"{"type": "object", "properties": {}}"#, &policy).is_none());
        assert!(check_if_skops(b"not json \"__loader__\" \"protocol\"", &policy).is_none());
        // Too deep for the bounded reader, but naming a loader and a protocol: skops, and
        // incomplete, never a plain member.
        let deep = format!(
            "{{\"__loader__\": \"DictNode\", \"protocol\": 2, \"content\": {}{}}}",
            "[".repeat(30_000),
            "]".repeat(30_000)
        );
        let p = check_if_skops(deep.as_bytes(), &policy).unwrap();
        assert!(p.incomplete.is_some());
    }
}
