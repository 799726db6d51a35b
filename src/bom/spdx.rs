//! SPDX 3.0.1 JSON-LD with the AI and Dataset profiles, rendered from the same neutral
//! model as the CycloneDX writer ([`super::model`]); it only renders.
//!
//! - Each model is an `ai_AIPackage` (primary purpose `model`) with its card's facts
//!   (type of model, domain, hyperparameters, metrics, limitation, training and
//!   application information), its root digest as a SHA-256 `Hash`, purl, download
//!   location and external references; its files are `software_File`s it `contains`.
//! - Licences: `hasDeclaredLicense` to the card's licence expression, and
//!   `hasConcludedLicense` to `NoAssertionLicense`: modelvet reads what the card declares
//!   and concludes nothing, as SPDX asks a tool to say.
//! - Datasets the card names are `dataset_DatasetPackage`s the model was `trainedOn`;
//!   their type is `noAssertion`, as no artifact states it. Base models are packages the
//!   model is a `descendantOf`.
//! - Findings are `security_Vulnerability` elements that the affected file
//!   `hasAssociatedVulnerability`, each with a VEX `underInvestigationFor` assessment
//!   (found by the scan, not yet judged by a person: CycloneDX's `in_triage`).
//!
//! Element ids are `urn:modelvet:<document uuid>:<local id>`, the uuid a version 5 UUID
//! of the document rendered with a zero uuid, so the same BOM gives the same bytes.

use serde_json::{json, Value};

use super::model::*;
use super::time::rfc3339;

const CONTEXT: &str = "https://spdx.org/rdf/3.0.1/spdx-context.jsonld";
const ZERO_UUID: &str = "00000000-0000-0000-0000-000000000000";
const NO_ASSERTION_LICENSE: &str =
    "https://spdx.org/rdf/3.0.1/terms/ExpandedLicensing/NoAssertionLicense";

/// Builds the graph one element at a time; every element is listed in the document.
struct Graph {
    nodes: Vec<Value>,
    ids: Vec<String>,
    relationships: usize,
}

impl Graph {
    fn id(local: &str) -> String {
        format!("urn:modelvet:{ZERO_UUID}:{}", super::iri_component(local))
    }

    fn element(&mut self, kind: &str, local: &str, mut fields: Value) -> String {
        let id = Self::id(local);
        if let Value::Object(m) = &mut fields {
            m.insert("type".into(), kind.into());
            m.insert("spdxId".into(), id.clone().into());
            m.insert("creationInfo".into(), "_:creationinfo".into());
        }
        self.nodes.push(fields);
        self.ids.push(id.clone());
        id
    }

    fn relate(&mut self, from: &str, kind: &str, to: Vec<String>, complete: bool) {
        if to.is_empty() {
            return;
        }
        self.relationships += 1;
        let mut fields = json!({"from": from, "relationshipType": kind, "to": to});
        if complete {
            fields["completeness"] = "complete".into();
        }
        self.element(
            "Relationship",
            &format!("relationship-{}", self.relationships),
            fields,
        );
    }
}

fn hash(sha256: &str, comment: Option<&str>) -> Value {
    let mut h = json!({"type": "Hash", "algorithm": "sha256", "hashValue": sha256});
    if let Some(c) = comment {
        h["comment"] = c.into();
    }
    h
}

fn entries<'a>(pairs: impl Iterator<Item = (&'a str, &'a str)>) -> Vec<Value> {
    pairs
        .map(|(k, v)| json!({"type": "DictionaryEntry", "key": k, "value": v}))
        .collect()
}

/// SPDX's external reference types for the kinds the neutral model uses.
fn external_ref(r: &ExternalRef) -> Value {
    let kind = match r.kind {
        "vcs" => "vcs",
        "distribution" => "altDownloadLocation",
        "model-card" | "citation" | "documentation" => "documentation",
        "quality-metrics" => "metrics",
        "website" => "altWebPage",
        _ => "other",
    };
    let mut v = json!({"type": "ExternalRef", "externalRefType": kind, "locator": [r.url]});
    let comment = match (r.kind, &r.comment) {
        ("citation", Some(c)) => Some(format!("paper: {c}")),
        ("citation", None) => Some("paper".to_string()),
        (_, c) => c.clone(),
    };
    if let Some(c) = comment {
        v["comment"] = c.into();
    }
    v
}

/// A licence as an SPDX licence expression; a named licence becomes `LicenseRef-<name>`
/// with its URL mapped when known.
fn license_element(g: &mut Graph, l: &crate::license::LicenseRef, local: &str) -> String {
    let (id, name, url) = super::build::license_parts(l);
    match (id, name) {
        (Some(id), _) => g.element(
            "simplelicensing_LicenseExpression",
            local,
            json!({"simplelicensing_licenseExpression": id}),
        ),
        (None, name) => {
            let reference: String = format!(
                "LicenseRef-{}",
                name.unwrap_or("unknown")
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                        c
                    } else {
                        '-'
                    })
                    .collect::<String>()
            );
            let mut fields = json!({"simplelicensing_licenseExpression": reference});
            if let Some(u) = url {
                fields["simplelicensing_customIdToUri"] =
                    json!([{"type": "DictionaryEntry", "key": reference, "value": u}]);
            }
            if let Some(n) = name {
                fields["comment"] = format!("the licence the card names: {n}").into();
            }
            g.element("simplelicensing_LicenseExpression", local, fields)
        }
    }
}

fn file_element(g: &mut Graph, f: &FileEntry) -> String {
    let mut fields = json!({"name": f.name});
    if let Some((sha, source)) = &f.sha256 {
        let comment = match source {
            HashSource::Computed => None,
            HashSource::HubLfs => Some("the Hub's LFS SHA-256; the file was not read whole"),
        };
        fields["verifiedUsing"] = json!([hash(sha, comment)]);
    }
    if crate::format::Format::from_name(&f.format).is_some_and(|x| x.may_hold_weights()) {
        fields["software_primaryPurpose"] = "model".into();
    }
    fields["comment"] = format!(
        "format {}; scan {}{}",
        f.format,
        match f.status {
            crate::report::Status::Complete => "complete",
            crate::report::Status::Incomplete => "incomplete",
            crate::report::Status::Error => "error",
        },
        f.reason
            .as_deref()
            .map(|r| format!(" ({r})"))
            .unwrap_or_default()
    )
    .into();
    g.element("software_File", &f.bom_ref, fields)
}

fn model_element(g: &mut Graph, m: &Model) -> String {
    let c = &m.card;
    let mut fields = json!({
        "name": m.name,
        "software_primaryPurpose": "model",
    });
    if let Some(v) = &m.version {
        fields["software_packageVersion"] = v.clone().into();
    }
    if let Some(p) = &m.purl {
        fields["software_packageUrl"] = p.clone().into();
    }
    if let Some(d) = &m.description {
        fields["description"] = d.clone().into();
    }
    if let Some(h) = &m.hub {
        fields["software_downloadLocation"] = format!(
            "{}/{}/tree/{}",
            h.endpoint.trim_end_matches('/'),
            h.repo_id,
            h.commit
        )
        .into();
    }
    if let Some(d) = &m.release_date {
        fields["releaseTime"] = format!("{d}T00:00:00Z").into();
    }
    if let Some(o) = &m.supplier {
        let mut org = json!({"name": o.name});
        if let Some(u) = &o.url {
            org["externalIdentifier"] = json!([{
                "type": "ExternalIdentifier",
                "externalIdentifierType": "urlScheme",
                "identifier": u,
            }]);
        }
        fields["suppliedBy"] = g
            .element("Organization", &format!("{}/supplier", m.bom_ref), org)
            .into();
    }
    let authors: Vec<String> = m
        .authors
        .iter()
        .enumerate()
        .map(|(i, a)| {
            g.element(
                "Agent",
                &format!("{}/author-{}", m.bom_ref, i + 1),
                json!({"name": a}),
            )
        })
        .collect();
    if !authors.is_empty() {
        fields["originatedBy"] = authors.into();
    }
    if !m.declared.is_empty() {
        fields["comment"] = format!(
            "declared by the user, not read from the artifacts: {}",
            m.declared.join(", ")
        )
        .into();
    }
    if let Some(root) = &m.root_digest {
        fields["verifiedUsing"] =
            json!([hash(
            root,
            Some("model-signing root digest: SHA-256 over the files' SHA-256 digests in name order")
        )]);
    }
    let refs: Vec<Value> = m.external_refs.iter().map(external_ref).collect();
    if !refs.is_empty() {
        fields["externalRef"] = refs.into();
    }
    let types: Vec<&String> = c
        .architecture_family
        .iter()
        .chain(&c.model_architecture)
        .collect();
    if !types.is_empty() {
        fields["ai_typeOfModel"] = json!(types);
    }
    if let Some(t) = &c.task {
        fields["ai_domain"] = json!([t]);
    }
    let hyper: Vec<Value> = entries(c.properties.iter().filter_map(|(k, v)| {
        k.strip_prefix("cdx:ai-ml:model:hyperparameter:")
            .map(|key| (key, v.as_str()))
    }));
    if !hyper.is_empty() {
        fields["ai_hyperparameter"] = hyper.into();
    }
    let metric_keys: Vec<String> = c
        .metrics
        .iter()
        .map(|x| match &x.slice {
            Some(s) => format!("{} on {s}", x.kind),
            None => x.kind.clone(),
        })
        .collect();
    let metrics = entries(
        metric_keys
            .iter()
            .zip(&c.metrics)
            .map(|(k, x)| (k.as_str(), x.value.as_str())),
    );
    if !metrics.is_empty() {
        fields["ai_metric"] = metrics.into();
    }
    if !c.technical_limitations.is_empty() {
        fields["ai_limitation"] = c.technical_limitations.join("\n\n").into();
    }
    if !c.use_cases.is_empty() {
        fields["ai_informationAboutApplication"] = c.use_cases.join("\n\n").into();
    }
    let training: Vec<String> = c
        .properties
        .iter()
        .filter(|(k, _)| {
            k == "modelvet:card:training_data" || k.starts_with("modelvet:card:training:")
        })
        .map(|(k, v)| match k.strip_prefix("modelvet:card:training:") {
            Some(key) => format!("{key}: {v}"),
            None => v.clone(),
        })
        .collect();
    if !training.is_empty() {
        fields["ai_informationAboutTraining"] = training.join("\n").into();
    }
    g.element("ai_AIPackage", &m.bom_ref, fields)
}

/// Renders the BOM as SPDX 3.0.1 JSON-LD.
pub fn render(bom: &Bom) -> String {
    let created = rfc3339(bom.created);
    let mut g = Graph {
        nodes: Vec::new(),
        ids: Vec::new(),
        relationships: 0,
    };
    let tool = g.element(
        "Tool",
        "tool:modelvet",
        json!({"name": format!("modelvet {}", env!("CARGO_PKG_VERSION"))}),
    );
    let agent = g.element(
        "SoftwareAgent",
        "agent:modelvet",
        json!({"name": "modelvet", "comment": format!("rules catalog {}", crate::rules::CATALOG_VERSION)}),
    );
    let no_assertion = NO_ASSERTION_LICENSE.to_string();

    let mut model_ids = Vec::new();
    let mut file_ids: Vec<(String, String)> = Vec::new(); // (bom-ref, spdx id)
    let mut dataset_ids: Vec<(String, String)> = Vec::new();
    for d in &bom.datasets {
        let mut fields = json!({
            "name": d.name,
            "software_primaryPurpose": "data",
            "dataset_datasetType": ["noAssertion"],
        });
        if let Some(p) = &d.purl {
            fields["software_packageUrl"] = p.clone().into();
        }
        if let Some(u) = &d.url {
            fields["software_downloadLocation"] = u.clone().into();
        }
        fields["comment"] = "named by the model card's datasets".into();
        let id = g.element("dataset_DatasetPackage", &d.bom_ref, fields);
        dataset_ids.push((d.bom_ref.clone(), id));
    }
    for m in &bom.models {
        let id = model_element(&mut g, m);
        let mut contained = Vec::new();
        for f in &m.files {
            let fid = file_element(&mut g, f);
            file_ids.push((f.bom_ref.clone(), fid.clone()));
            contained.push(fid);
        }
        g.relate(&id, "contains", contained, true);
        let mut declared = Vec::new();
        for (i, l) in m.licenses.iter().enumerate() {
            declared.push(license_element(
                &mut g,
                l,
                &format!("{}/license-{}", m.bom_ref, i + 1),
            ));
        }
        g.relate(&id, "hasDeclaredLicense", declared, false);
        g.relate(
            &id,
            "hasConcludedLicense",
            vec![no_assertion.clone()],
            false,
        );
        let trained: Vec<String> = m
            .datasets
            .iter()
            .filter_map(|r| {
                dataset_ids
                    .iter()
                    .find(|(b, _)| b == r)
                    .map(|(_, i)| i.clone())
            })
            .collect();
        g.relate(&id, "trainedOn", trained, false);
        let mut bases = Vec::new();
        for (i, a) in m.ancestors.iter().enumerate() {
            let mut fields = json!({"name": a.name, "software_primaryPurpose": "model"});
            if let Some(p) = &a.purl {
                fields["software_packageUrl"] = p.clone().into();
            }
            if let Some(v) = &a.version {
                fields["software_packageVersion"] = v.clone().into();
            }
            let mut comment = format!("named by {}", a.sources.join(", "));
            if let Some(r) = &a.relation {
                comment.push_str(&format!("; relation: {r}"));
            }
            fields["comment"] = comment.into();
            bases.push(g.element(
                "ai_AIPackage",
                &format!("{}/base-{}", m.bom_ref, i + 1),
                fields,
            ));
        }
        g.relate(&id, "descendantOf", bases, false);
        model_ids.push(id);
    }
    for f in &bom.loose_files {
        let fid = file_element(&mut g, f);
        file_ids.push((f.bom_ref.clone(), fid));
    }

    for issue in &bom.findings {
        let Some((_, affected)) = file_ids.iter().find(|(b, _)| *b == issue.affects).cloned()
        else {
            continue;
        };
        let vuln = g.element(
            "security_Vulnerability",
            &issue.bom_ref,
            json!({
                "name": format!("{} {}", issue.rule.id, issue.rule.name),
                "summary": issue.message,
                "description": format!(
                    "{} in {}: {} ({}; severity {}). {}",
                    issue.rule.id,
                    issue.location,
                    issue.message,
                    issue.rule.summary,
                    issue.severity.as_str(),
                    issue.rule.remediation
                ),
                "externalIdentifier": [{
                    "type": "ExternalIdentifier",
                    "externalIdentifierType": "other",
                    "identifier": issue.rule.id,
                    "issuingAuthority": "modelvet",
                }],
            }),
        );
        g.relate(
            &affected,
            "hasAssociatedVulnerability",
            vec![vuln.clone()],
            false,
        );
        g.relationships += 1;
        let local = format!("relationship-{}", g.relationships);
        g.element(
            "security_VexUnderInvestigationVulnAssessmentRelationship",
            &local,
            json!({
                "from": vuln,
                "relationshipType": "underInvestigationFor",
                "to": [affected],
                "security_assessedElement": affected,
                "suppliedBy": agent,
                "comment": "found by modelvet's scan of the bytes; not yet judged by a person",
            }),
        );
    }

    let roots = if model_ids.len() == 1 {
        model_ids.clone()
    } else {
        file_ids
            .iter()
            .filter(|(b, _)| bom.loose_files.iter().any(|f| f.bom_ref == *b))
            .map(|(_, i)| i.clone())
            .chain(model_ids.iter().cloned())
            .collect()
    };
    let elements: Vec<String> = g.ids.clone();
    let sbom = g.element(
        "software_Sbom",
        "sbom",
        json!({
            "rootElement": roots,
            "element": elements,
            "software_sbomType": ["analyzed"],
            "name": format!("AI-BOM of {}", bom.input),
        }),
    );
    let mut all = g.ids.clone();
    all.retain(|i| *i != sbom);
    let document = json!({
        "type": "SpdxDocument",
        "spdxId": Graph::id("document"),
        "creationInfo": "_:creationinfo",
        "name": format!("modelvet AI-BOM of {}", bom.input),
        "rootElement": [sbom],
        "element": g.ids.clone(),
        "profileConformance": ["core", "software", "simpleLicensing", "ai", "dataset", "security"],
        "comment": format!(
            "scan verdict {} (exit code {}); {} artifact(s), {} incomplete, {} error(s)",
            bom.scan.verdict, bom.scan.exit_code, bom.scan.artifacts, bom.scan.incomplete, bom.scan.errors
        ),
    });
    let creation = json!({
        "type": "CreationInfo",
        "@id": "_:creationinfo",
        "specVersion": "3.0.1",
        "created": created,
        "createdBy": [agent],
        "createdUsing": [tool],
    });
    let mut graph = vec![creation, document];
    graph.extend(g.nodes);
    let doc = json!({"@context": CONTEXT, "@graph": graph});
    let draft = pretty(&doc);
    let uuid = super::cyclonedx::content_uuid(draft.as_bytes());
    draft.replace(ZERO_UUID, &uuid)
}

fn pretty(v: &Value) -> String {
    let mut s = serde_json::to_string_pretty(v).expect("SPDX values serialise");
    s.push('\n');
    s
}
