//! Directories that are one model: a Hugging Face layout (config.json beside weights, a
//! shard index), a TensorFlow SavedModel, a diffusers pipeline, a PEFT adapter. The scanner reports
//! every file; this module groups them and cross-checks shard indexes against the
//! shards that were actually parsed.

use std::collections::{BTreeMap, BTreeSet};

use crate::facts;
use crate::hf::files::ShardIndex;
use crate::limits;
use crate::report::{Artifact, Finding, ModelGroup, Status};
use crate::rules;

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

fn base(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, b)| b)
}

fn join(dir: &str, name: &str) -> String {
    if dir.is_empty() {
        name.to_string()
    } else {
        format!("{dir}/{name}")
    }
}

/// What marks a directory as a model, strongest first.
fn layout_marker(files: &[&Artifact]) -> Option<&'static str> {
    let names: BTreeSet<&str> = files.iter().map(|a| base(&a.path)).collect();
    if names.contains("saved_model.pb") || names.contains("saved_model.pbtxt") {
        return Some("saved-model");
    }
    if names.contains("model_index.json") {
        return Some("diffusers");
    }
    let has_weights = files.iter().any(|a| a.format.may_hold_weights());
    if names.contains("config.json") && has_weights {
        return Some("huggingface");
    }
    if names.iter().any(|n| n.ends_with(".index.json")) {
        return Some("sharded");
    }
    // PEFT's save_pretrained: the adapter's weights beside adapter_config.json.
    if names.contains("adapter_config.json") && has_weights {
        return Some("peft-adapter");
    }
    None
}

/// Groups the top-level artifacts of directory scans into models. A model directory
/// inside another one (a diffusers component, a SavedModel's assets) belongs to the
/// outer model.
pub fn group(artifacts: &[Artifact]) -> Vec<ModelGroup> {
    let mut by_dir: BTreeMap<&str, Vec<&Artifact>> = BTreeMap::new();
    for a in artifacts.iter().filter(|a| a.member.is_none()) {
        by_dir.entry(parent(&a.path)).or_default().push(a);
    }
    let mut roots: Vec<(&str, &'static str)> = by_dir
        .iter()
        .filter_map(|(dir, files)| layout_marker(files).map(|l| (*dir, l)))
        .collect();
    // Keep only the outermost root of nested ones: sorted, an ancestor comes before its
    // descendants, and each folder looks up its own ancestors (linear in the depth).
    roots.sort();
    let mut kept: BTreeMap<&str, &'static str> = BTreeMap::new();
    for (dir, layout) in roots {
        if outermost_root(dir, &kept).is_none() {
            kept.insert(dir, layout);
        }
        if kept.len() >= limits::MAX_MODEL_FILES {
            break;
        }
    }
    // Each file (and its members) goes to the root above it, found the same way.
    let mut files: BTreeMap<&str, Vec<&Artifact>> = BTreeMap::new();
    for a in artifacts {
        if let Some(root) = outermost_root(parent(&a.file), &kept) {
            files.entry(root).or_default().push(a);
        }
    }
    kept.iter()
        .map(|(dir, layout)| build_group(dir, layout, files.remove(dir).unwrap_or_default()))
        .collect()
}

/// The kept root that is `dir` or one of its ancestors.
fn outermost_root<'k>(dir: &str, kept: &BTreeMap<&'k str, &'static str>) -> Option<&'k str> {
    if let Some((root, _)) = kept.get_key_value("") {
        return Some(root);
    }
    let mut end = 0;
    loop {
        let next = dir[end..].find('/').map(|i| end + i);
        let candidate = &dir[..next.unwrap_or(dir.len())];
        if let Some((root, _)) = kept.get_key_value(candidate) {
            return Some(root);
        }
        match next {
            Some(i) => end = i + 1,
            None => return None,
        }
    }
}

/// `members` are the model's artifacts, top-level files and their members.
fn build_group(dir: &str, layout: &'static str, members: Vec<&Artifact>) -> ModelGroup {
    let mut files: Vec<String> = members
        .iter()
        .filter(|a| a.member.is_none())
        .map(|a| a.path.clone())
        .collect();
    files.truncate(limits::MAX_MODEL_FILES);
    let status = if members.iter().any(|a| a.status == Status::Error) {
        Status::Error
    } else if members.iter().any(|a| a.counts_as_incomplete()) {
        Status::Incomplete
    } else {
        Status::Complete
    };
    let mut facts = serde_json::Map::new();
    let mut formats: BTreeMap<String, u64> = BTreeMap::new();
    let mut total: u64 = 0;
    for a in members.iter().filter(|a| a.member.is_none()) {
        total = total.saturating_add(a.size);
        if a.format.may_hold_weights() {
            *formats.entry(a.format.name().to_string()).or_default() += 1;
        }
    }
    facts.insert("total_bytes".into(), total.into());
    if let Ok(v) = serde_json::to_value(&formats) {
        facts.insert("weight_formats".into(), v);
    }
    let own = |name: &str| {
        members
            .iter()
            .find(|a| a.member.is_none() && a.path == join(dir, name))
    };
    if let Some(config) = own("config.json") {
        for key in ["architectures", "model_type", "auto_map"] {
            if let Some(v) = config.facts.get(key) {
                facts.insert(key.into(), v.clone());
            }
        }
    }
    if let Some(card) = own("README.md").and_then(|a| a.facts.get(facts::MODEL_CARD)) {
        facts.insert(facts::MODEL_CARD.into(), card.clone());
    }
    ModelGroup {
        path: if dir.is_empty() {
            ".".into()
        } else {
            dir.into()
        },
        layout,
        files,
        status,
        facts,
    }
}

/// Python files are code only a loader decides to run. Beside a model they are low, and
/// stay at their rule's severity when a config's `auto_map` names them (loading with
/// trust_remote_code imports them); a Python file in no model folder is a code base's, not
/// a model's, and is no finding. Members of archives keep their finding: a packaged model
/// (a TorchServe archive, a wheel) runs what it ships.
pub(crate) fn judge_python_files(artifacts: &mut [Artifact], models: &[ModelGroup]) {
    let mut in_model: BTreeMap<&str, &str> = BTreeMap::new();
    for m in models {
        for f in &m.files {
            in_model.insert(f.as_str(), m.path.as_str());
        }
    }
    // Python files named by auto_map, as paths relative to the scan: `modeling_x.XModel`
    // in d/config.json is d/modeling_x.py; `org/repo--x.Y` is another repository's code.
    let mut named: BTreeSet<String> = BTreeSet::new();
    for a in artifacts.iter().filter(|a| a.member.is_none()) {
        let Some(targets) = a.facts.get("auto_map").and_then(|v| v.as_array()) else {
            continue;
        };
        for t in targets.iter().filter_map(|t| t.as_str()) {
            let target = t.rsplit_once(" -> ").map_or(t, |(_, target)| target);
            if target.contains("--") {
                continue;
            }
            if let Some((module, _class)) = target.rsplit_once('.') {
                named.insert(join(
                    parent(&a.path),
                    &format!("{}.py", module.replace('.', "/")),
                ));
            }
        }
    }
    let mut outside: Vec<usize> = Vec::new();
    for (i, a) in artifacts.iter_mut().enumerate() {
        if a.member.is_some()
            || !a
                .findings
                .iter()
                .any(|f| f.rule == rules::REPO_PYTHON_FILE.id)
        {
            continue;
        }
        if !in_model.contains_key(a.path.as_str()) {
            outside.push(i);
            continue;
        }
        if named.contains(&a.path) {
            a.findings.modify_each(|f| {
                if f.rule == rules::REPO_PYTHON_FILE.id {
                    f.message.push_str("; a config's auto_map names it");
                }
            });
        } else {
            a.findings.modify_each(|f| {
                if f.rule == rules::REPO_PYTHON_FILE.id
                    && f.severity == rules::REPO_PYTHON_FILE.severity
                {
                    f.severity = crate::rules::Severity::Low;
                    f.message.push_str("; no auto_map names it");
                }
            });
        }
    }
    for i in outside {
        artifacts[i]
            .findings
            .retain(|f| f.rule != rules::REPO_PYTHON_FILE.id);
    }
}

/// The raw tensor files ONNX models name as external data. The ONNX parser has read the
/// file's size against every tensor's offset and length (MV803 when one falls outside it),
/// so a sibling that no probe recognised and that a model in the same folder names is
/// checked data, not unrecognised content. A sibling recognised as anything else keeps
/// its own reading (a pickle named as external data is still a pickle).
pub(crate) fn judge_onnx_external_data(artifacts: &mut [Artifact]) {
    let mut named: BTreeMap<String, String> = BTreeMap::new();
    for a in artifacts.iter().filter(|a| a.member.is_none()) {
        if a.format != crate::format::Format::Onnx
            || a.facts.get("external_data_checked") != Some(&serde_json::Value::Bool(true))
        {
            continue;
        }
        let Some(files) = a
            .facts
            .get("external_data_files")
            .and_then(|f| f.as_array())
        else {
            continue;
        };
        for f in files.iter().filter_map(|f| f.as_str()) {
            named
                .entry(join(parent(&a.path), f))
                .or_insert_with(|| a.path.clone());
        }
    }
    for a in artifacts.iter_mut() {
        if a.member.is_some() || a.format != crate::format::Format::Unrecognized {
            continue;
        }
        let Some(model) = named.get(&a.path) else {
            continue;
        };
        a.format = crate::format::Format::OnnxExternalData;
        a.kind = crate::report::ArtifactKind::Model;
        // Incomplete only for not being recognised (or for a name that claims a model):
        // that is what the reference settles. Any other reason stands.
        let unrecognised_only = a.reason.as_deref().is_some_and(|r| {
            r.starts_with("unrecognized content") || r.starts_with("the name claims a model")
        });
        if a.findings.is_empty() && !a.internal_error && unrecognised_only {
            a.status = Status::Complete;
            a.reason = None;
        }
        a.facts.insert(
            "referenced_by".into(),
            serde_json::Value::String(model.clone()),
        );
    }
}

/// Weight files a shard index of this name is responsible for.
fn same_family(index_name: &str, file_name: &str) -> bool {
    if index_name.ends_with(".safetensors.index.json") {
        file_name.ends_with(".safetensors")
    } else if let Some(stem) = index_name.strip_suffix(".bin.index.json") {
        file_name.starts_with(stem) && file_name.ends_with(".bin")
    } else {
        false
    }
}

/// Cross-checks each shard index against the files beside it: every listed shard exists,
/// every tensor is in the shard the index names and in no other, and no weight file of the
/// index's kind is left out. Returns the findings with the index path they belong to.
pub(crate) fn cross_check(
    artifacts: &[Artifact],
    indexes: &[(String, ShardIndex)],
    tensor_names: &BTreeMap<String, Vec<String>>,
) -> Vec<(String, Finding)> {
    let mut out = Vec::new();
    let mut by_dir: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for a in artifacts.iter().filter(|a| a.member.is_none()) {
        by_dir
            .entry(parent(&a.path))
            .or_default()
            .insert(base(&a.path));
    }
    let nothing = BTreeSet::new();
    for (index_path, index) in indexes {
        let dir = parent(index_path);
        let index_name = base(index_path);
        let mut findings = Vec::new();
        let shards: BTreeSet<&String> = index.weight_map.values().collect();
        let present = by_dir.get(dir).unwrap_or(&nothing);
        for shard in &shards {
            if shard.contains('/') || shard.contains('\\') || shard.contains("..") {
                findings.push(Finding::new(
                    &rules::SHARD_INDEX_MISMATCH,
                    format!("{index_name} names the shard {shard:?} outside its directory"),
                ));
            } else if !present.contains(shard.as_str()) {
                findings.push(Finding::new(
                    &rules::SHARD_INDEX_MISMATCH,
                    format!("{index_name} lists the shard {shard} but it is not there"),
                ));
            }
        }
        for name in present {
            if same_family(index_name, name) && !shards.contains(&name.to_string()) {
                findings.push(Finding::new(
                    &rules::SHARD_INDEX_MISMATCH,
                    format!("the weight file {name} is not listed in {index_name}"),
                ));
            }
        }
        // Tensor membership, for shards whose tensor names were parsed (safetensors).
        let mut holder: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for shard in &shards {
            if let Some(names) = tensor_names.get(&join(dir, shard)) {
                for t in names {
                    holder.entry(t.as_str()).or_default().push(shard.as_str());
                }
            }
        }
        let mut problems = Vec::new();
        for (tensor, shard) in &index.weight_map {
            let parsed = tensor_names.contains_key(&join(dir, shard));
            match holder.get(tensor.as_str()) {
                Some(h) if h.len() > 1 => problems.push(format!(
                    "{tensor} is in {} shards ({})",
                    h.len(),
                    h.join(", ")
                )),
                Some(h) if h[0] != shard.as_str() => problems.push(format!(
                    "{tensor} is listed in {shard} but stored in {}",
                    h[0]
                )),
                None if parsed => problems.push(format!(
                    "{tensor} is listed in {shard} but not stored there"
                )),
                _ => {}
            }
        }
        for (tensor, h) in &holder {
            if !index.weight_map.contains_key(*tensor) {
                problems.push(format!(
                    "{tensor} (in {}) is not in the index",
                    h.join(", ")
                ));
            }
        }
        if !problems.is_empty() {
            let shown: Vec<&String> = problems.iter().take(20).collect();
            findings.push(
                Finding::new(
                    &rules::SHARD_INDEX_MISMATCH,
                    format!(
                        "{index_name} and its shards disagree about {} tensor(s)",
                        problems.len()
                    ),
                )
                .detail(
                    shown
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                        .join("; "),
                ),
            );
        }
        out.extend(findings.into_iter().map(|f| (index_path.clone(), f)));
    }
    out
}
