//! CycloneDX 1.6 / 1.7 JSON writer for the neutral [`Bom`]. A typed model of exactly the
//! parts emitted: every struct mirrors a schema object with `additionalProperties:
//! false`, so a misspelt field is a compile error here and a schema error in the tests.

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::build::license_parts;
use super::model::*;
use super::time::rfc3339;
use crate::report::Severity;
use crate::source::hex;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpecVersion {
    V1_6,
    V1_7,
}

impl SpecVersion {
    pub fn as_str(self) -> &'static str {
        match self {
            SpecVersion::V1_6 => "1.6",
            SpecVersion::V1_7 => "1.7",
        }
    }
}

#[derive(Serialize)]
struct Document<'a> {
    #[serde(rename = "$schema")]
    schema: String,
    #[serde(rename = "bomFormat")]
    bom_format: &'static str,
    #[serde(rename = "specVersion")]
    spec_version: &'static str,
    #[serde(rename = "serialNumber")]
    serial_number: String,
    version: u32,
    metadata: Metadata,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    dependencies: Vec<Dependency>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    compositions: Vec<Composition>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vulnerabilities: Vec<Vulnerability<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    declarations: Option<Declarations>,
}

#[derive(Serialize)]
struct Metadata {
    timestamp: String,
    lifecycles: Vec<Lifecycle>,
    tools: Tools,
    component: Component,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Lifecycle {
    phase: &'static str,
}

#[derive(Serialize)]
struct Tools {
    components: Vec<Component>,
}

#[derive(Serialize, Clone)]
struct Property {
    name: String,
    value: String,
}

fn props(pairs: &[(String, String)]) -> Vec<Property> {
    pairs
        .iter()
        .map(|(name, value)| Property {
            name: name.clone(),
            value: value.clone(),
        })
        .collect()
}

fn prop(name: &str, value: impl ToString) -> Property {
    Property {
        name: name.to_string(),
        value: value.to_string(),
    }
}

#[derive(Serialize, Default)]
struct Component {
    #[serde(rename = "type")]
    kind: &'static str,
    #[serde(rename = "bom-ref", skip_serializing_if = "Option::is_none")]
    bom_ref: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    supplier: Option<OrganizationalEntity>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Contact>,
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hashes: Vec<Hash>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    licenses: Vec<LicenseChoice>,
    #[serde(skip_serializing_if = "Option::is_none")]
    purl: Option<String>,
    #[serde(rename = "externalReferences", skip_serializing_if = "Vec::is_empty")]
    external_references: Vec<ExternalReference>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    components: Vec<Component>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pedigree: Option<Pedigree>,
    #[serde(rename = "modelCard", skip_serializing_if = "Option::is_none")]
    model_card: Option<ModelCard>,
}

#[derive(Serialize)]
struct OrganizationalEntity {
    name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    url: Vec<String>,
}

#[derive(Serialize)]
struct Contact {
    name: String,
}

#[derive(Serialize)]
struct Hash {
    alg: &'static str,
    content: String,
}

#[derive(Serialize)]
struct LicenseChoice {
    license: License,
}

#[derive(Serialize)]
struct License {
    #[serde(skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    /// The card declares it; modelvet did not conclude it from the weights.
    acknowledgement: &'static str,
}

#[derive(Serialize)]
struct ExternalReference {
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    comment: Option<String>,
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Pedigree {
    ancestors: Vec<Component>,
}

#[derive(Serialize, Default)]
struct ModelCard {
    #[serde(rename = "modelParameters", skip_serializing_if = "Option::is_none")]
    model_parameters: Option<ModelParameters>,
    #[serde(
        rename = "quantitativeAnalysis",
        skip_serializing_if = "Option::is_none"
    )]
    quantitative_analysis: Option<QuantitativeAnalysis>,
    #[serde(skip_serializing_if = "Option::is_none")]
    considerations: Option<Considerations>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    properties: Vec<Property>,
}

#[derive(Serialize, Default)]
struct ModelParameters {
    #[serde(skip_serializing_if = "Option::is_none")]
    task: Option<String>,
    #[serde(rename = "architectureFamily", skip_serializing_if = "Option::is_none")]
    architecture_family: Option<String>,
    #[serde(rename = "modelArchitecture", skip_serializing_if = "Option::is_none")]
    model_architecture: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    datasets: Vec<Ref>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    inputs: Vec<InputOutput>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    outputs: Vec<InputOutput>,
}

#[derive(Serialize)]
struct Ref {
    #[serde(rename = "ref")]
    target: String,
}

#[derive(Serialize)]
struct InputOutput {
    format: &'static str,
}

#[derive(Serialize)]
struct QuantitativeAnalysis {
    #[serde(rename = "performanceMetrics")]
    performance_metrics: Vec<PerformanceMetric>,
}

#[derive(Serialize)]
struct PerformanceMetric {
    #[serde(rename = "type")]
    kind: String,
    value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    slice: Option<String>,
}

#[derive(Serialize, Default)]
struct Considerations {
    #[serde(rename = "useCases", skip_serializing_if = "Vec::is_empty")]
    use_cases: Vec<String>,
    #[serde(rename = "technicalLimitations", skip_serializing_if = "Vec::is_empty")]
    technical_limitations: Vec<String>,
    #[serde(
        rename = "ethicalConsiderations",
        skip_serializing_if = "Vec::is_empty"
    )]
    ethical_considerations: Vec<Risk>,
    #[serde(
        rename = "environmentalConsiderations",
        skip_serializing_if = "Option::is_none"
    )]
    environmental_considerations: Option<EnvironmentalConsiderations>,
}

#[derive(Serialize)]
struct EnvironmentalConsiderations {
    properties: Vec<Property>,
}

#[derive(Serialize)]
struct Risk {
    name: String,
    #[serde(rename = "mitigationStrategy", skip_serializing_if = "Option::is_none")]
    mitigation_strategy: Option<String>,
}

/// What the BOM says it lists completely.
#[derive(Serialize)]
struct Composition {
    aggregate: &'static str,
    assemblies: Vec<String>,
    dependencies: Vec<String>,
}

#[derive(Serialize)]
struct Dependency {
    #[serde(rename = "ref")]
    target: String,
    #[serde(rename = "dependsOn")]
    depends_on: Vec<String>,
}

#[derive(Serialize)]
struct Vulnerability<'a> {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    id: &'a str,
    source: Source,
    ratings: Vec<Rating<'a>>,
    cwes: Vec<u32>,
    description: String,
    detail: String,
    recommendation: &'a str,
    created: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    analysis: Option<Analysis>,
    affects: Vec<Ref>,
    properties: Vec<Property>,
}

/// A VEX statement's analysis.
#[derive(Serialize)]
struct Analysis {
    state: &'static str,
    detail: &'static str,
}

#[derive(Serialize, Clone)]
struct Source {
    name: &'static str,
}

#[derive(Serialize)]
struct Rating<'a> {
    source: Source,
    severity: &'static str,
    method: &'static str,
    justification: &'a str,
}

#[derive(Serialize)]
struct Declarations {
    assessors: Vec<Assessor>,
    attestations: Vec<Attestation>,
    claims: Vec<Claim>,
    evidence: Vec<Evidence>,
}

#[derive(Serialize)]
struct Assessor {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(rename = "thirdParty")]
    third_party: bool,
    organization: OrganizationalEntity,
}

#[derive(Serialize)]
struct Attestation {
    summary: String,
    assessor: String,
    map: Vec<AttestationMap>,
}

#[derive(Serialize)]
struct AttestationMap {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    claims: Vec<String>,
    #[serde(rename = "counterClaims", skip_serializing_if = "Vec::is_empty")]
    counter_claims: Vec<String>,
    conformance: Conformance,
}

#[derive(Serialize)]
struct Conformance {
    score: f64,
    rationale: String,
}

#[derive(Serialize)]
struct Claim {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    target: String,
    predicate: String,
    reasoning: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    evidence: Vec<String>,
    #[serde(rename = "counterEvidence", skip_serializing_if = "Vec::is_empty")]
    counter_evidence: Vec<String>,
}

#[derive(Serialize)]
struct Evidence {
    #[serde(rename = "bom-ref")]
    bom_ref: String,
    #[serde(rename = "propertyName")]
    property_name: String,
    data: Vec<EvidenceData>,
    created: String,
}

#[derive(Serialize)]
struct EvidenceData {
    name: String,
    contents: EvidenceContents,
}

#[derive(Serialize)]
struct EvidenceContents {
    attachment: Attachment,
}

#[derive(Serialize)]
struct Attachment {
    #[serde(rename = "contentType")]
    content_type: &'static str,
    content: String,
}

fn severity(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "critical",
        Severity::High => "high",
        Severity::Medium => "medium",
        Severity::Low => "low",
        Severity::Info => "info",
    }
}

fn file_component(f: &FileEntry) -> Component {
    let mut properties = vec![
        prop("modelvet:file:size", f.size),
        prop("modelvet:file:format", &f.format),
        prop(
            "modelvet:scan:status",
            serde_json::to_value(f.status)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default(),
        ),
    ];
    if let Some(r) = &f.reason {
        properties.push(prop("modelvet:scan:reason", r));
    }
    properties.push(prop("modelvet:scan:findings", f.finding_count));
    if let Some((_, source)) = &f.sha256 {
        properties.push(prop("modelvet:hash:source", source.as_str()));
    }
    if let Some(b) = &f.git_blob_sha1 {
        properties.push(prop("modelvet:hub:git-blob-sha1", b));
    }
    if let Some(v) = &f.hub_verdict {
        properties.push(prop("modelvet:hub:advisory-scan-verdict", v));
    }
    Component {
        kind: "file",
        bom_ref: Some(f.bom_ref.clone()),
        name: f.name.clone(),
        hashes: f
            .sha256
            .iter()
            .map(|(d, _)| Hash {
                alg: "SHA-256",
                content: d.clone(),
            })
            .collect(),
        properties,
        ..Component::default()
    }
}

fn model_card(m: &Model) -> Option<ModelCard> {
    let c = &m.card;
    let mut card = ModelCard::default();
    if c.has_parameters() || !m.datasets.is_empty() {
        card.model_parameters = Some(ModelParameters {
            task: c.task.clone(),
            architecture_family: c.architecture_family.clone(),
            model_architecture: c.model_architecture.clone(),
            datasets: m
                .datasets
                .iter()
                .map(|d| Ref { target: d.clone() })
                .collect(),
            inputs: c.inputs.iter().map(|f| InputOutput { format: f }).collect(),
            outputs: c
                .outputs
                .iter()
                .map(|f| InputOutput { format: f })
                .collect(),
        });
    }
    if !c.metrics.is_empty() {
        card.quantitative_analysis = Some(QuantitativeAnalysis {
            performance_metrics: c
                .metrics
                .iter()
                .map(|x| PerformanceMetric {
                    kind: x.kind.clone(),
                    value: x.value.clone(),
                    slice: x.slice.clone(),
                })
                .collect(),
        });
    }
    if c.has_considerations() {
        card.considerations = Some(Considerations {
            use_cases: c.use_cases.clone(),
            technical_limitations: c.technical_limitations.clone(),
            ethical_considerations: c
                .ethical_considerations
                .iter()
                .map(|r| Risk {
                    name: r.name.clone(),
                    mitigation_strategy: r.mitigation.clone(),
                })
                .collect(),
            environmental_considerations: (!c.environmental.is_empty()).then(|| {
                EnvironmentalConsiderations {
                    properties: props(&c.environmental),
                }
            }),
        });
    }
    card.properties = props(&c.properties);
    let empty = card.model_parameters.is_none()
        && card.quantitative_analysis.is_none()
        && card.considerations.is_none()
        && card.properties.is_empty();
    (!empty).then_some(card)
}

fn model_component(m: &Model, spec: SpecVersion) -> Component {
    Component {
        kind: "machine-learning-model",
        bom_ref: Some(m.bom_ref.clone()),
        supplier: m.supplier.as_ref().map(|o| OrganizationalEntity {
            name: o.name.clone(),
            url: o.url.iter().cloned().collect(),
        }),
        authors: m
            .authors
            .iter()
            .map(|a| Contact { name: a.clone() })
            .collect(),
        name: m.name.clone(),
        version: m.version.clone(),
        description: m.description.clone(),
        licenses: m
            .licenses
            .iter()
            .map(|l| {
                let (id, name, url) = license_parts(l);
                LicenseChoice {
                    license: License {
                        id: id.map(str::to_string),
                        name: name.map(str::to_string),
                        url: url.map(str::to_string),
                        acknowledgement: "declared",
                    },
                }
            })
            .collect(),
        purl: m.purl.clone(),
        hashes: root_hash(m),
        external_references: m
            .external_refs
            .iter()
            .map(|r| match (r.kind, spec) {
                // 1.6 has no `citation` type; a paper is documentation there.
                ("citation", SpecVersion::V1_6) => ExternalReference {
                    url: r.url.clone(),
                    comment: r.comment.clone().or_else(|| Some("paper".into())),
                    kind: "documentation",
                },
                _ => ExternalReference {
                    url: r.url.clone(),
                    comment: r.comment.clone(),
                    kind: r.kind,
                },
            })
            .collect(),
        properties: {
            let mut p = props(&m.properties);
            p.extend(declared_properties(&m.declared, m.release_date.as_deref()));
            p
        },
        components: m.files.iter().map(file_component).collect(),
        pedigree: (!m.ancestors.is_empty()).then(|| Pedigree {
            ancestors: m
                .ancestors
                .iter()
                .map(|a| Component {
                    kind: "machine-learning-model",
                    name: a.name.clone(),
                    version: a.version.clone(),
                    purl: a.purl.clone(),
                    properties: a
                        .relation
                        .iter()
                        .map(|r| prop("modelvet:base_model:relation", r))
                        .chain(std::iter::once(prop(
                            "modelvet:base_model:source",
                            a.sources.join(","),
                        )))
                        .collect(),
                    ..Component::default()
                })
                .collect(),
        }),
        model_card: model_card(m),
    }
}

/// A model's root digest as its component hash (none unless every file was hashed).
fn root_hash(m: &Model) -> Vec<Hash> {
    m.root_digest
        .iter()
        .map(|d| Hash {
            alg: "SHA-256",
            content: d.clone(),
        })
        .collect()
}

/// Marks what the user declared rather than the artifacts: `modelvet:declared-by-user`
/// lists the fields (`name,version,...`), and the release date, which no artifact states,
/// is `modelvet:release-date`.
fn declared_properties(fields: &[&str], release_date: Option<&str>) -> Vec<Property> {
    let mut out = Vec::new();
    if let Some(d) = release_date {
        out.push(prop("modelvet:release-date", d));
    }
    if !fields.is_empty() {
        out.push(prop("modelvet:declared-by-user", fields.join(",")));
    }
    out
}

fn dataset_component(d: &Dataset) -> Component {
    Component {
        kind: "data",
        bom_ref: Some(d.bom_ref.clone()),
        name: d.name.clone(),
        purl: d.purl.clone(),
        external_references: d
            .url
            .iter()
            .map(|u| ExternalReference {
                url: u.clone(),
                comment: None,
                kind: "distribution",
            })
            .collect(),
        properties: vec![prop("modelvet:dataset:source", "model-card datasets")],
        ..Component::default()
    }
}

fn vulnerability<'a>(issue: &'a Issue, created: &str) -> Vulnerability<'a> {
    let mut detail = format!(
        "{} ({}) in {}",
        issue.rule.id, issue.rule.name, issue.location
    );
    if let Some(o) = issue.offset {
        detail.push_str(&format!(" at byte {o}"));
    }
    if let Some(op) = &issue.opcode {
        detail.push_str(&format!(" ({op})"));
    }
    if let Some(g) = &issue.global {
        detail.push_str(&format!("; global {g}"));
    }
    if let Some(d) = &issue.detail {
        detail.push_str(&format!("; {d}"));
    }
    detail.push_str(&format!(". {}", issue.rule.rationale));
    let mut properties = vec![
        prop("modelvet:rule", issue.rule.name),
        prop("modelvet:location", &issue.location),
    ];
    if let Some(o) = issue.offset {
        properties.push(prop("modelvet:offset", o));
    }
    Vulnerability {
        bom_ref: issue.bom_ref.clone(),
        id: issue.rule.id,
        source: Source { name: "modelvet" },
        ratings: vec![Rating {
            source: Source { name: "modelvet" },
            severity: severity(issue.severity),
            method: "other",
            justification: issue.rule.summary,
        }],
        cwes: vec![issue.rule.cwe],
        description: issue.message.clone(),
        detail,
        recommendation: issue.rule.remediation,
        created: created.to_string(),
        analysis: None,
        affects: vec![Ref {
            target: issue.affects.clone(),
        }],
        properties,
    }
}

fn declarations(bom: &Bom, subject_ref: &str, created: &str) -> Option<Declarations> {
    let v = bom.verification.as_ref()?;
    let status = serde_json::to_value(v.status)
        .ok()
        .and_then(|s| s.as_str().map(str::to_string))
        .unwrap_or_default();
    let verified = status == "verified";
    let (claim_ref, evidence_ref) = ("claim:integrity", "evidence:verification");
    let predicate = if v.method == "hub" {
        format!(
            "All files match the hashes the Hugging Face Hub publishes for {}",
            v.remote
                .as_ref()
                .map_or("the revision", |r| r.repo.as_str())
        )
    } else {
        "All files match the signed manifest".to_string()
    };
    let reasoning = if verified {
        format!(
            "modelvet verify ({}) checked {} file(s): {}",
            v.method,
            v.files.matched,
            v.checks.join("; ")
        )
    } else {
        format!(
            "modelvet verify ({}) did not verify: {}",
            v.method,
            v.problems.join("; ")
        )
    };
    Some(Declarations {
        assessors: vec![Assessor {
            bom_ref: "assessor:modelvet".into(),
            third_party: false,
            organization: OrganizationalEntity {
                name: format!("modelvet {}", env!("CARGO_PKG_VERSION")),
                url: Vec::new(),
            },
        }],
        attestations: vec![Attestation {
            summary: format!("Integrity of {}: {status}", bom.input),
            assessor: "assessor:modelvet".into(),
            map: vec![AttestationMap {
                claims: if verified {
                    vec![claim_ref.into()]
                } else {
                    Vec::new()
                },
                counter_claims: if verified {
                    Vec::new()
                } else {
                    vec![claim_ref.into()]
                },
                conformance: Conformance {
                    score: if verified { 1.0 } else { 0.0 },
                    rationale: reasoning.clone(),
                },
            }],
        }],
        claims: vec![Claim {
            bom_ref: claim_ref.into(),
            target: subject_ref.to_string(),
            predicate,
            reasoning,
            evidence: if verified {
                vec![evidence_ref.into()]
            } else {
                Vec::new()
            },
            counter_evidence: if verified {
                Vec::new()
            } else {
                vec![evidence_ref.into()]
            },
        }],
        evidence: vec![Evidence {
            bom_ref: evidence_ref.into(),
            property_name: format!("modelvet:verification:{}", v.method),
            data: vec![EvidenceData {
                name: "modelvet verify result".into(),
                contents: EvidenceContents {
                    attachment: Attachment {
                        content_type: "application/json",
                        content: v.render_json(),
                    },
                },
            }],
            created: created.to_string(),
        }],
    })
}

/// Renders the BOM. The serial number is a name-based UUID (version 5) of the SHA-256 of
/// the document rendered with a zero serial: the same BOM gives the same
/// bytes, and a different BOM a different serial.
pub fn render(bom: &Bom, spec: SpecVersion) -> String {
    let created = rfc3339(bom.created);
    let tool = Component {
        kind: "application",
        name: "modelvet".into(),
        version: Some(env!("CARGO_PKG_VERSION").into()),
        properties: vec![prop(
            "modelvet:rules-catalog",
            crate::rules::CATALOG_VERSION,
        )],
        ..Component::default()
    };
    let mut components: Vec<Component> = Vec::new();
    let mut dependencies = Vec::new();
    let subject_ref;
    let subject = match &bom.subject {
        Subject::Model(i) => {
            // The model is a component, so consumers that turn metadata.component into a
            // project (Dependency-Track) or count models in components[] (aisbom) see it
            // with its card; metadata.component names what the BOM describes.
            let m = &bom.models[*i];
            subject_ref = m.bom_ref.clone();
            components.push(model_component(m, spec));
            let shell_ref = format!("bom-subject:{}", m.bom_ref);
            dependencies.push(Dependency {
                target: shell_ref.clone(),
                depends_on: vec![m.bom_ref.clone()],
            });
            Component {
                kind: "machine-learning-model",
                bom_ref: Some(shell_ref),
                name: m.name.clone(),
                version: m.version.clone(),
                purl: m.purl.clone(),
                description: Some(format!(
                    "The model {} (the component {} holds its files, card and lineage)",
                    m.name, m.bom_ref
                )),
                hashes: root_hash(m),
                ..Component::default()
            }
        }
        Subject::Collection {
            bom_ref,
            name,
            declared,
        } => {
            subject_ref = bom_ref.clone();
            components.extend(bom.models.iter().map(|m| model_component(m, spec)));
            let mut depends_on: Vec<String> =
                bom.models.iter().map(|m| m.bom_ref.clone()).collect();
            depends_on.extend(bom.loose_files.iter().map(|f| f.bom_ref.clone()));
            dependencies.push(Dependency {
                target: bom_ref.clone(),
                depends_on,
            });
            Component {
                kind: "application",
                bom_ref: Some(bom_ref.clone()),
                name: name.clone(),
                version: declared.version.clone(),
                purl: declared.purl.clone(),
                supplier: declared.supplier.as_ref().map(|n| OrganizationalEntity {
                    name: n.clone(),
                    url: Vec::new(),
                }),
                description: Some(format!(
                    "{} model(s) and {} other file(s) found under {}",
                    bom.models.len(),
                    bom.loose_files.len(),
                    name
                )),
                properties: declared_properties(&declared.fields, declared.release_date.as_deref()),
                ..Component::default()
            }
        }
    };
    components.extend(bom.loose_files.iter().map(file_component));
    components.extend(bom.datasets.iter().map(dataset_component));
    for m in &bom.models {
        let mut depends_on: Vec<String> = m.files.iter().map(|f| f.bom_ref.clone()).collect();
        depends_on.extend(m.datasets.iter().cloned());
        dependencies.push(Dependency {
            target: m.bom_ref.clone(),
            depends_on,
        });
    }
    // Leaves say so with an empty entry: "depends on nothing" rather than "not known".
    let leaves = bom
        .models
        .iter()
        .flat_map(|m| &m.files)
        .chain(&bom.loose_files)
        .map(|f| &f.bom_ref)
        .chain(bom.datasets.iter().map(|d| &d.bom_ref));
    for leaf in leaves {
        dependencies.push(Dependency {
            target: leaf.clone(),
            depends_on: Vec::new(),
        });
    }
    let mut properties = vec![
        prop("modelvet:input", &bom.input),
        prop("modelvet:scan:verdict", bom.scan.verdict),
        prop("modelvet:scan:exit-code", bom.scan.exit_code),
        prop("modelvet:scan:artifacts", bom.scan.artifacts),
        prop("modelvet:scan:incomplete", bom.scan.incomplete),
        prop("modelvet:scan:errors", bom.scan.errors),
    ];
    if let Some((read, total)) = bom.scan.bytes_read {
        properties.push(prop("modelvet:remote:bytes-read", read));
        properties.push(prop("modelvet:remote:bytes-total", total));
    }
    if let Some(s) = &bom.signer {
        // The signature cannot sit inside the bytes it signs: it is a detached Sigstore
        // bundle, which the BOM names.
        properties.push(prop("modelvet:bom-signature:bundle", &s.bundle_name));
        properties.push(prop(
            "modelvet:bom-signature:format",
            "Sigstore bundle v0.3, DSSE, in-toto Statement v1, predicate https://cyclonedx.org/bom",
        ));
        properties.push(prop("modelvet:bom-signature:key-hint", &s.key_hint));
        properties.push(prop("modelvet:bom-signature:key-type", s.key_kind));
    }
    Document {
        compositions: compositions(bom),
        components,
        dependencies,
        vulnerabilities: bom
            .findings
            .iter()
            .map(|i| vulnerability(i, &created))
            .collect(),
        declarations: declarations(bom, &subject_ref, &created),
        ..Document::new(spec, &created, tool, subject, properties)
    }
    .render()
}

/// The findings alone, as a CycloneDX VEX document for consumers that import
/// vulnerabilities separately from the BOM (Dependency-Track reads `vulnerabilities` only
/// from VEX uploads). Each statement affects its component by BOM-Link
/// (`urn:cdx:<serial>/<version>#<bom-ref>`) into the BOM whose serial number is
/// `bom_serial` (`urn:uuid:...`). The state is `in_triage`: a scanner found it, a person
/// has not yet judged it.
pub fn render_vex(bom: &Bom, spec: SpecVersion, bom_serial: &str) -> String {
    let created = rfc3339(bom.created);
    let uuid = bom_serial.strip_prefix("urn:uuid:").unwrap_or(bom_serial);
    let subject = match &bom.subject {
        Subject::Model(i) => {
            let m = &bom.models[*i];
            Component {
                kind: "machine-learning-model",
                name: m.name.clone(),
                version: m.version.clone(),
                purl: m.purl.clone(),
                ..Component::default()
            }
        }
        Subject::Collection { name, .. } => Component {
            kind: "application",
            name: name.clone(),
            ..Component::default()
        },
    };
    let vulnerabilities = bom
        .findings
        .iter()
        .map(|i| {
            let mut v = vulnerability(i, &created);
            v.analysis = Some(Analysis {
                state: "in_triage",
                detail: "reported by modelvet's scan of the artifact's bytes; not yet assessed by a person",
            });
            v.affects = vec![Ref {
                target: format!("urn:cdx:{uuid}/1#{}", super::iri_component(&i.affects)),
            }];
            v
        })
        .collect();
    let tool = Component {
        kind: "application",
        name: "modelvet".into(),
        version: Some(env!("CARGO_PKG_VERSION").into()),
        ..Component::default()
    };
    Document {
        vulnerabilities,
        ..Document::new(
            spec,
            &created,
            tool,
            subject,
            vec![prop("modelvet:vex:describes", bom_serial)],
        )
    }
    .render()
}

/// Every model's files are listed in full (the scan walked the whole folder or repository),
/// and so are their dependencies: the models are complete assemblies.
fn compositions(bom: &Bom) -> Vec<Composition> {
    let refs: Vec<String> = bom.models.iter().map(|m| m.bom_ref.clone()).collect();
    if refs.is_empty() {
        return Vec::new();
    }
    vec![Composition {
        aggregate: "complete",
        assemblies: refs.clone(),
        dependencies: refs,
    }]
}

impl<'a> Document<'a> {
    /// An empty document of `spec` with its metadata (a post-build BOM made by `tool`).
    fn new(
        spec: SpecVersion,
        created: &str,
        tool: Component,
        subject: Component,
        properties: Vec<Property>,
    ) -> Document<'a> {
        Document {
            schema: format!(
                "http://cyclonedx.org/schema/bom-{}.schema.json",
                spec.as_str()
            ),
            bom_format: "CycloneDX",
            spec_version: spec.as_str(),
            serial_number: "urn:uuid:00000000-0000-0000-0000-000000000000".into(),
            version: 1,
            metadata: Metadata {
                timestamp: created.to_string(),
                lifecycles: vec![Lifecycle {
                    phase: "post-build",
                }],
                tools: Tools {
                    components: vec![tool],
                },
                component: subject,
                properties,
            },
            components: Vec::new(),
            dependencies: Vec::new(),
            compositions: Vec::new(),
            vulnerabilities: Vec::new(),
            declarations: None,
        }
    }

    /// The JSON, its serial number a version 5 UUID of the document with a zero serial.
    fn render(mut self) -> String {
        let draft = to_json(&self);
        self.serial_number = format!("urn:uuid:{}", content_uuid(draft.as_bytes()));
        to_json(&self)
    }
}

fn to_json(doc: &Document<'_>) -> String {
    let mut s = serde_json::to_string_pretty(doc).expect("BOM types serialise");
    s.push('\n');
    s
}

/// The namespace of RFC 4122 name-based UUIDs whose names are URLs or URNs.
const NAMESPACE_URL: [u8; 16] = [
    0x6b, 0xa7, 0xb8, 0x11, 0x9d, 0xad, 0x11, 0xd1, 0x80, 0xb4, 0x00, 0xc0, 0x4f, 0xd4, 0x30, 0xc8,
];

/// A name-based UUID (version 5, RFC 4122: SHA-1 of the URL namespace and a name), the
/// name being `urn:modelvet:bom:` and the SHA-256 of the document. Version 5 is the
/// standard way to derive an identifier from content; consumers that check the version
/// know it.
pub(crate) fn content_uuid(bytes: &[u8]) -> String {
    let name = format!("urn:modelvet:bom:{}", hex(&Sha256::digest(bytes)));
    let mut sha1 = sha1::Sha1::new();
    sha1.update(NAMESPACE_URL);
    sha1.update(name.as_bytes());
    let mut d: [u8; 16] = sha1.finalize()[..16].try_into().expect("16 of 20 bytes");
    d[6] = (d[6] & 0x0f) | 0x50;
    d[8] = (d[8] & 0x3f) | 0x80;
    let h = hex(&d);
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_uuid_is_a_version_5_uuid_as_python_computes_it() {
        // uuid.uuid5(uuid.NAMESPACE_URL, "urn:modelvet:bom:" + sha256(b"x").hexdigest())
        let u = content_uuid(b"x");
        assert_eq!(u, "6ed976bc-7153-5df1-a17e-4da156d59384");
        assert_eq!(&u[14..15], "5");
        assert!(matches!(&u[19..20], "8" | "9" | "a" | "b"));
        assert_ne!(u, content_uuid(b"y"));
        assert_eq!(u, content_uuid(b"x"));
    }
}
