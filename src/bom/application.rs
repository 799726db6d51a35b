//! The AI-BOM of an application (`modelvet bom PATH --application`), from its inventory:
//! the application is `metadata.component`; the Hub models and datasets it references are
//! components with purls (pinned to the commit, or marked unpinned), hosted models are
//! `services`, torch.hub repositories and AI frameworks are libraries, model files in
//! the tree are file components with their SHA-256; the application depends on each of
//! them; findings are vulnerabilities affecting the component they concern (or the
//! application, for a loader call in its code). It only renders: the facts are the
//! inventory's.

use std::collections::BTreeMap;

use serde_json::{json, Value as Json};

use super::time::rfc3339;
use crate::inventory::{Entry, Inventory, Kind};

/// Who runs a hosted model, for the service's provider.
fn provider_name(provider: &str) -> &str {
    match provider {
        "openai" => "OpenAI",
        "anthropic" => "Anthropic",
        "google" => "Google",
        "mistral" => "Mistral AI",
        "cohere" => "Cohere",
        "ollama" => "Ollama (local)",
        other => other,
    }
}

fn prop(name: &str, value: impl ToString) -> Json {
    json!({"name": name, "value": value.to_string()})
}

/// One component per distinct thing referenced, keyed so references to the same model at
/// the same revision share it.
struct Collected {
    json: Json,
    references: Vec<String>,
}

/// A path relative to the application's folder, as bom-refs and locations are (the BOM
/// records no local path).
fn rel(path: &str, root: &str) -> String {
    super::build::relative_to_input(path, root.trim_end_matches('/'))
}

fn reference_text(e: &Entry, root: &str) -> String {
    format!("{}:{} {}", rel(&e.file, root), e.line, e.api)
}

fn id_of(e: &Entry) -> Option<&str> {
    e.id.as_ref().and_then(|v| v.known())
}

/// Renders the application BOM as CycloneDX JSON (`spec` "1.6" or "1.7").
pub fn render(inv: &Inventory, root: &str, name: &str, created: i64, spec: &str) -> String {
    let created = rfc3339(created);
    let app_ref = "application".to_string();
    let mut components: BTreeMap<String, Collected> = BTreeMap::new();
    let mut services: BTreeMap<String, Collected> = BTreeMap::new();
    let mut entry_ref: Vec<Option<String>> = Vec::with_capacity(inv.entries.len());
    for e in &inv.entries {
        let key = match (e.kind, &e.hub_repo) {
            (Kind::Model | Kind::Dataset, Some(repo)) => {
                let revision = e
                    .revision
                    .as_ref()
                    .and_then(|r| r.known())
                    .filter(|_| e.pinned);
                let is_dataset = e.kind == Kind::Dataset;
                let key = format!(
                    "{}:{repo}@{}",
                    if is_dataset { "dataset" } else { "model" },
                    revision.unwrap_or("unpinned")
                );
                let entry = components.entry(key.clone()).or_insert_with(|| {
                    let base = if is_dataset {
                        format!("https://huggingface.co/datasets/{repo}")
                    } else {
                        format!("https://huggingface.co/{repo}")
                    };
                    let qualifier = if is_dataset {
                        "?repository_url=https://huggingface.co/datasets"
                    } else {
                        ""
                    };
                    let purl = match revision {
                        Some(c) => format!(
                            "pkg:huggingface/{repo}@{}{qualifier}",
                            c.to_ascii_lowercase()
                        ),
                        None => format!("pkg:huggingface/{repo}{qualifier}"),
                    };
                    let mut c = json!({
                        "type": if is_dataset { "data" } else { "machine-learning-model" },
                        "bom-ref": key,
                        "name": repo,
                        "purl": purl,
                        "externalReferences": [{"type": "vcs", "url": base}],
                        "properties": [prop("modelvet:inventory:pinned", revision.is_some())],
                    });
                    if let Some(r) = revision {
                        c["version"] = r.into();
                    }
                    if let Some(v) = &e.vetted {
                        let props = c["properties"].as_array_mut().expect("an array");
                        props.push(prop("modelvet:vet:verdict", &v.verdict));
                        if let Some(commit) = &v.commit {
                            props.push(prop("modelvet:vet:commit", commit));
                        }
                        props.push(prop("modelvet:vet:bytes-read", v.bytes_read));
                        props.push(prop("modelvet:vet:bytes-total", v.bytes_total));
                    }
                    Collected {
                        json: c,
                        references: Vec::new(),
                    }
                });
                entry.references.push(reference_text(e, root));
                Some(key)
            }
            (Kind::ApiModel, _) => {
                let Some(model) = id_of(e) else {
                    entry_ref.push(Some(app_ref.clone()));
                    continue;
                };
                let key = format!("service:{}/{model}", e.provider);
                let entry = services.entry(key.clone()).or_insert_with(|| Collected {
                    json: json!({
                        "bom-ref": key,
                        "provider": {"name": provider_name(e.provider)},
                        "group": e.provider,
                        "name": model,
                        "properties": [prop("modelvet:inventory:pinned", e.pinned)],
                    }),
                    references: Vec::new(),
                });
                entry.references.push(reference_text(e, root));
                Some(key)
            }
            (Kind::CodeRepository, _) => {
                let Some(spec) = id_of(e) else {
                    entry_ref.push(Some(app_ref.clone()));
                    continue;
                };
                let (repo, reference) = spec.split_once(':').unwrap_or((spec, ""));
                let key = format!("code:{spec}");
                let entry = components.entry(key.clone()).or_insert_with(|| {
                    let mut c = json!({
                        "type": "library",
                        "bom-ref": key,
                        "name": repo,
                        "externalReferences": [{"type": "vcs", "url": format!("https://github.com/{repo}")}],
                        "properties": [prop("modelvet:inventory:loaded-by", "torch.hub.load")],
                    });
                    if !reference.is_empty() {
                        c["version"] = reference.into();
                        c["purl"] = format!("pkg:github/{repo}@{reference}").into();
                    } else {
                        c["purl"] = format!("pkg:github/{repo}").into();
                    }
                    Collected { json: c, references: Vec::new() }
                });
                entry.references.push(reference_text(e, root));
                Some(key)
            }
            (Kind::Artifact, _) => {
                let path = rel(&e.file, root);
                let key = format!("file:{path}");
                let artifact = inv
                    .report
                    .artifacts
                    .iter()
                    .find(|a| a.path == e.file && a.member.is_none());
                let mut c = json!({
                    "type": "file",
                    "bom-ref": key,
                    "name": path,
                    "properties": [
                        prop("modelvet:format", e.api.trim_start_matches("a ").trim_end_matches(" file")),
                        prop("modelvet:scan:verdict", e.verdict.clone().unwrap_or_default()),
                    ],
                });
                if let Some(sha) = artifact.and_then(|a| a.sha256.clone()) {
                    c["hashes"] = json!([{"alg": "SHA-256", "content": sha}]);
                }
                components.insert(
                    key.clone(),
                    Collected {
                        json: c,
                        references: Vec::new(),
                    },
                );
                Some(key)
            }
            // Loader calls, dynamic ids and local paths belong to the application's code.
            _ => Some(app_ref.clone()),
        };
        entry_ref.push(key);
    }
    for f in &inv.frameworks {
        let version = f.requirement.as_deref().and_then(|r| r.strip_prefix("=="));
        let key = format!("library:{}", f.name);
        let entry = components.entry(key.clone()).or_insert_with(|| {
            let mut c = json!({
                "type": "library",
                "bom-ref": key,
                "name": f.name,
                "purl": match version {
                    Some(v) => format!("pkg:pypi/{}@{v}", f.name),
                    None => format!("pkg:pypi/{}", f.name),
                },
                "properties": [],
            });
            if let Some(v) = version {
                c["version"] = v.into();
            }
            if let Some(r) = &f.requirement {
                c["properties"] = json!([prop("modelvet:requirement", r)]);
            }
            Collected {
                json: c,
                references: Vec::new(),
            }
        });
        entry
            .references
            .push(format!("{}:{}", rel(&f.file, root), f.line));
    }
    let finish = |c: Collected, label: &str| -> Json {
        let mut j = c.json;
        if let Some(props) = j["properties"].as_array_mut() {
            for r in c.references.iter().take(64) {
                props.push(prop(label, r));
            }
        }
        j
    };
    let component_refs: Vec<String> = components.keys().cloned().collect();
    let service_refs: Vec<String> = services.keys().cloned().collect();
    let components: Vec<Json> = components
        .into_values()
        .map(|c| finish(c, "modelvet:inventory:reference"))
        .collect();
    let services: Vec<Json> = services
        .into_values()
        .map(|c| finish(c, "modelvet:inventory:reference"))
        .collect();

    // Findings: on the component their reference names, or the file scanned.
    let mut vulnerabilities = Vec::new();
    let mut n = 0usize;
    for a in &inv.report.artifacts {
        for f in a.findings.iter().filter(|f| f.suppressed.is_none()) {
            n += 1;
            let line = f.location.line;
            let target = inv
                .entries
                .iter()
                .zip(&entry_ref)
                .find(|(e, _)| {
                    let here = match e.cell {
                        // Notebook findings name the cell and line in their message.
                        Some(c) => f
                            .message
                            .starts_with(&format!("cell {c}, line {}:", e.line)),
                        None => Some(e.line) == line,
                    };
                    e.file == a.file && here && e.findings.contains(&f.rule)
                })
                .and_then(|(_, r)| r.clone())
                .or_else(|| {
                    // A file of a vetted Hub revision: the model or dataset vetted.
                    inv.entries.iter().zip(&entry_ref).find_map(|(e, r)| {
                        let v = e.vetted.as_ref()?;
                        let base = v.target.split('@').next()?;
                        let prefix = format!("{base}@{}/", v.commit.as_deref()?);
                        a.file.starts_with(&prefix).then(|| r.clone()).flatten()
                    })
                })
                .or_else(|| {
                    let key = format!("file:{}", rel(&a.file, root));
                    component_refs.contains(&key).then_some(key)
                })
                .unwrap_or_else(|| app_ref.clone());
            let rule = f.rule();
            let location = match line {
                Some(l) => format!("{}:{l}", rel(&a.path, root)),
                None => rel(&a.path, root),
            };
            vulnerabilities.push(json!({
                "bom-ref": format!("finding:{}:{n}", f.rule),
                "id": f.rule,
                "source": {"name": "modelvet"},
                "ratings": [{"source": {"name": "modelvet"}, "severity": f.severity.as_str(), "method": "other", "justification": rule.summary}],
                "cwes": [rule.cwe],
                "description": f.message,
                "detail": format!("{} ({}) at {location}. {}", rule.id, rule.name, rule.rationale),
                "recommendation": rule.remediation,
                "created": created,
                "affects": [{"ref": target}],
                "properties": [prop("modelvet:location", &location)],
            }));
        }
    }

    let mut depends_on: Vec<String> = component_refs.clone();
    depends_on.extend(service_refs.iter().cloned());
    let mut dependencies = vec![json!({"ref": app_ref, "dependsOn": depends_on})];
    for r in component_refs.iter().chain(&service_refs) {
        dependencies.push(json!({"ref": r, "dependsOn": []}));
    }
    let summary = &inv.report.summary;
    let mut doc = json!({
        "$schema": format!("http://cyclonedx.org/schema/bom-{spec}.schema.json"),
        "bomFormat": "CycloneDX",
        "specVersion": spec,
        "serialNumber": "urn:uuid:00000000-0000-0000-0000-000000000000",
        "version": 1,
        "metadata": {
            "timestamp": created,
            "lifecycles": [{"phase": "pre-build"}],
            "tools": {"components": [{"type": "application", "name": "modelvet", "version": env!("CARGO_PKG_VERSION"),
                "properties": [prop("modelvet:rules-catalog", crate::rules::CATALOG_VERSION)]}]},
            "component": {
                "type": "application",
                "bom-ref": app_ref,
                "name": name,
                "description": format!(
                    "{} model(s), {} dataset(s), {} hosted model(s) and {} model file(s) found by modelvet inventory",
                    inv.entries.iter().filter(|e| e.kind == Kind::Model).count(),
                    inv.entries.iter().filter(|e| e.kind == Kind::Dataset).count(),
                    inv.entries.iter().filter(|e| e.kind == Kind::ApiModel).count(),
                    inv.entries.iter().filter(|e| e.kind == Kind::Artifact).count(),
                ),
            },
            "properties": [
                prop("modelvet:inventory:verdict", summary.verdict),
                prop("modelvet:inventory:exit-code", summary.exit_code),
                prop("modelvet:inventory:dynamic-references", inv.entries.iter().filter(|e| matches!(e.id, Some(crate::inventory::Value::Dynamic(_)))).count()),
            ],
        },
        "components": components,
        "services": services,
        "dependencies": dependencies,
        "vulnerabilities": vulnerabilities,
    });
    for key in ["components", "services", "vulnerabilities"] {
        if doc[key].as_array().is_some_and(Vec::is_empty) {
            doc.as_object_mut().expect("an object").remove(key);
        }
    }
    let pretty = |d: &Json| {
        let mut s = serde_json::to_string_pretty(d).expect("JSON values serialise");
        s.push('\n');
        s
    };
    let draft = pretty(&doc);
    doc["serialNumber"] = format!(
        "urn:uuid:{}",
        super::cyclonedx::content_uuid(draft.as_bytes())
    )
    .into();
    pretty(&doc)
}
