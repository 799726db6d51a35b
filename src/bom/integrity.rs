//! Referential integrity of a rendered CycloneDX document. The schema does not check
//! references, so a BOM can validate and still point at nothing: every `bom-ref` must
//! be unique, and every reference (dependencies, `affects`, model-card datasets,
//! declaration claims, evidence and assessors) must name one. Checked on the JSON we are
//! about to write, so it judges the writer's output, not its intentions.

use std::collections::BTreeSet;

use serde_json::Value;

/// An SPDX 3 graph's references: every element id named by a relationship, a document or
/// SBOM's element lists, or the creation info, must be an element of the graph (or one of
/// SPDX's own individuals, such as `NoAssertionLicense`), and ids must be unique.
pub fn check_spdx(doc: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let graph = array(doc.get("@graph"));
    let mut defined = BTreeSet::new();
    for node in &graph {
        if let Some(id) = node.get("spdxId").and_then(Value::as_str) {
            if !defined.insert(id.to_string()) {
                problems.push(format!("duplicate spdxId {id}"));
            }
        }
    }
    let known =
        |id: &str| defined.contains(id) || id.starts_with("https://spdx.org/rdf/3.0.1/terms/");
    for node in &graph {
        let mut refs: Vec<String> = Vec::new();
        for key in ["from", "security_assessedElement", "suppliedBy"] {
            if let Some(r) = node.get(key).and_then(Value::as_str) {
                refs.push(r.to_string());
            }
        }
        for key in [
            "to",
            "rootElement",
            "element",
            "createdBy",
            "createdUsing",
            "originatedBy",
        ] {
            refs.extend(array(node.get(key)).iter().map(text));
        }
        for r in refs {
            if !known(&r) {
                problems.push(format!(
                    "{} names {r}, which is not in the graph",
                    text(&node["spdxId"])
                ));
            }
        }
    }
    problems
}

/// A VEX document's statements must each affect, by BOM-Link, a component of `main`:
/// its serial number, version 1, and a bom-ref it defines.
pub fn check_vex(vex: &Value, main: &Value) -> Vec<String> {
    let mut defined = BTreeSet::new();
    let mut problems = Vec::new();
    collect_refs(main, &mut defined, &mut problems);
    let serial = main["serialNumber"].as_str().unwrap_or_default();
    let prefix = format!(
        "urn:cdx:{}/1#",
        serial.strip_prefix("urn:uuid:").unwrap_or(serial)
    );
    let fragments: BTreeSet<String> = defined.iter().map(|r| super::iri_component(r)).collect();
    for v in array(vex.get("vulnerabilities")) {
        let affects = array(v.get("affects"));
        if affects.is_empty() {
            problems.push(format!(
                "VEX statement {} affects nothing",
                text(&v["bom-ref"])
            ));
        }
        for a in affects {
            let target = text(&a["ref"]);
            match target.strip_prefix(&prefix) {
                Some(fragment) if fragments.contains(fragment) => {}
                _ => problems.push(format!(
                    "VEX statement {} affects {target}, which is no component of the BOM {serial}",
                    text(&v["bom-ref"])
                )),
            }
        }
    }
    problems
}

/// Every problem found; empty when the document is consistent.
pub fn check(doc: &Value) -> Vec<String> {
    let mut defined = BTreeSet::new();
    let mut problems = Vec::new();
    collect_refs(doc, &mut defined, &mut problems);
    let mut uses: Vec<(String, String)> = Vec::new();
    for dep in array(doc.get("dependencies")) {
        if let Some(r) = dep.get("ref").and_then(Value::as_str) {
            uses.push(("dependencies[].ref".into(), r.into()));
        } else {
            problems.push("a dependency has no ref".into());
        }
        for d in array(dep.get("dependsOn")) {
            uses.push(("dependencies[].dependsOn".into(), text(&d)));
        }
    }
    for c in array(doc.get("compositions")) {
        for key in ["assemblies", "dependencies"] {
            for r in array(c.get(key)) {
                uses.push((format!("compositions[].{key}"), text(&r)));
            }
        }
    }
    for v in array(doc.get("vulnerabilities")) {
        let affects = array(v.get("affects"));
        if affects.is_empty() {
            problems.push(format!(
                "vulnerability {} affects nothing",
                text(&v["bom-ref"])
            ));
        }
        for a in affects {
            uses.push(("vulnerabilities[].affects[].ref".into(), text(&a["ref"])));
        }
    }
    walk_components(doc, &mut |c| {
        let datasets = c
            .get("modelCard")
            .and_then(|m| m.get("modelParameters"))
            .and_then(|p| p.get("datasets"));
        for d in array(datasets) {
            match d.get("ref") {
                Some(r) => uses.push(("modelCard.modelParameters.datasets[].ref".into(), text(r))),
                None => problems.push("a model-card dataset is not a {\"ref\"} object".into()),
            }
        }
    });
    if let Some(decl) = doc.get("declarations") {
        for c in array(decl.get("claims")) {
            uses.push(("declarations.claims[].target".into(), text(&c["target"])));
            for e in array(c.get("evidence"))
                .iter()
                .chain(array(c.get("counterEvidence")).iter())
            {
                uses.push(("declarations.claims[].evidence".into(), text(e)));
            }
        }
        for a in array(decl.get("attestations")) {
            uses.push((
                "declarations.attestations[].assessor".into(),
                text(&a["assessor"]),
            ));
            for m in array(a.get("map")) {
                for c in array(m.get("claims"))
                    .iter()
                    .chain(array(m.get("counterClaims")).iter())
                {
                    uses.push(("declarations.attestations[].map[].claims".into(), text(c)));
                }
            }
        }
    }
    for (place, target) in uses {
        if !defined.contains(&target) {
            problems.push(format!("{place} {target:?} names no bom-ref"));
        }
    }
    problems
}

fn text(v: &Value) -> String {
    v.as_str()
        .map(str::to_string)
        .unwrap_or_else(|| v.to_string())
}

fn array(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

/// Every `bom-ref` anywhere in the document, reporting duplicates.
fn collect_refs(doc: &Value, defined: &mut BTreeSet<String>, problems: &mut Vec<String>) {
    // Iterative: the document is ours, but a deep walk should still not recurse unbounded.
    let mut stack = vec![doc];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("bom-ref") {
                    let r = text(r);
                    if r.is_empty() {
                        problems.push("an empty bom-ref".into());
                    } else if !defined.insert(r.clone()) {
                        problems.push(format!("bom-ref {r:?} is defined twice"));
                    }
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items.iter()),
            _ => {}
        }
    }
}

/// Calls `f` on every component: metadata's, the top-level ones, nested ones, ancestors.
fn walk_components(doc: &Value, f: &mut dyn FnMut(&Value)) {
    let mut stack: Vec<&Value> = Vec::new();
    if let Some(c) = doc.get("metadata").and_then(|m| m.get("component")) {
        stack.push(c);
    }
    if let Some(list) = doc.get("components").and_then(Value::as_array) {
        stack.extend(list.iter());
    }
    while let Some(c) = stack.pop() {
        f(c);
        if let Some(list) = c.get("components").and_then(Value::as_array) {
            stack.extend(list.iter());
        }
        if let Some(list) = c
            .get("pedigree")
            .and_then(|p| p.get("ancestors"))
            .and_then(Value::as_array)
        {
            stack.extend(list.iter());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_consistent_document_passes() {
        let doc = json!({
            "metadata": {"component": {"bom-ref": "m", "components": [{"bom-ref": "f"}],
                "modelCard": {"modelParameters": {"datasets": [{"ref": "d"}]}}}},
            "components": [{"bom-ref": "d"}],
            "dependencies": [{"ref": "m", "dependsOn": ["f", "d"]}],
            "vulnerabilities": [{"bom-ref": "v", "affects": [{"ref": "f"}]}]
        });
        assert_eq!(check(&doc), Vec::<String>::new());
    }

    #[test]
    fn dangling_and_duplicate_references_are_reported() {
        let doc = json!({
            "metadata": {"component": {"bom-ref": "m", "components": [{"bom-ref": "m"}],
                "modelCard": {"modelParameters": {"datasets": [{"ref": "nope"}, "bare"]}}}},
            "dependencies": [{"ref": "m", "dependsOn": ["gone"]}],
            "vulnerabilities": [{"bom-ref": "v", "affects": [{"ref": "missing"}]},
                                {"bom-ref": "w", "affects": []}],
            "declarations": {"claims": [{"bom-ref": "c", "target": "x", "evidence": ["e"]}],
                             "attestations": [{"assessor": "a", "map": [{"claims": ["c"]}]}]}
        });
        let problems = check(&doc);
        for needle in [
            "\"m\" is defined twice",
            "\"nope\" names no bom-ref",
            "not a {\"ref\"} object",
            "\"gone\" names no bom-ref",
            "\"missing\" names no bom-ref",
            "w affects nothing",
            "\"x\" names no bom-ref",
            "\"e\" names no bom-ref",
            "\"a\" names no bom-ref",
        ] {
            assert!(
                problems.iter().any(|p| p.contains(needle)),
                "{needle} not in {problems:?}"
            );
        }
    }
}
