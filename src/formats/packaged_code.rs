//! Archives that package a model with the code that serves it, read from their member
//! names and their manifest: which shipped Python files a loader imports, and which code
//! outside the archive it names.
//!
//! - **TorchServe `.mar`** (torch-model-archiver): `MAR-INF/MANIFEST.json` names
//!   `model.handler`. TorchServe 0.12's `ts/model_loader.py` splits it at the first `:`
//!   into a module and a function, drops a `.py` suffix and any folder, and imports the
//!   module with the extracted archive on `sys.path`; only when that import fails does it
//!   import `ts.torch_handler.<handler>` (the built-in handlers). A function handler is
//!   then called as `function(None, context)` while the model loads. `model.modelFile`
//!   is the model's Python source, imported by the base handler. `requirementsFile` is
//!   pip-installed when the server runs with `install_py_dep_per_model=true`.
//! - **Python wheels** (a `*.dist-info/WHEEL` member): a package of code by definition.
//!   Its Python files are not findings; the model files it ships are scanned as always.

use serde_json::Value;

use crate::findings::{Finding, Severity};
use crate::format::Parsed;
use crate::policy::{GlobalClass, Policy};
use crate::rules;

/// The member TorchServe reads its manifest from.
pub(crate) const TORCHSERVE_MANIFEST: &str = "MAR-INF/MANIFEST.json";

/// Handlers TorchServe 0.12 ships in `ts.torch_handler` (the module names a manifest may
/// give instead of a file).
const TORCHSERVE_BUILTIN_HANDLERS: &[&str] = &[
    "base_handler",
    "dali_image_classifier",
    "dali_image_segmenter",
    "densenet_handler",
    "image_classifier",
    "image_segmenter",
    "language_translator",
    "object_detector",
    "text_classifier",
    "text_classifier_kf",
    "text_handler",
    "vision_handler",
];

/// The dist-info folder of a wheel (`lpips-0.1.4.dist-info`), if `names` are a wheel's.
pub(crate) fn wheel_dist_info<'a>(names: &[&'a str]) -> Option<&'a str> {
    names.iter().find_map(|n| {
        let dir = n.strip_suffix("/WHEEL")?;
        (dir.ends_with(".dist-info") && !dir.contains('/')).then_some(dir)
    })
}

/// What a TorchServe manifest says about the archive's code.
#[derive(Debug, Default)]
pub(crate) struct ManifestReading {
    /// Facts and findings for the archive.
    pub parsed: Parsed,
    /// Members TorchServe imports, with why: (`handler.py`, "the handler").
    pub imported: Vec<(String, &'static str)>,
}

/// Reads a TorchServe manifest against the archive's member names.
pub(crate) fn check_torchserve_manifest(
    text: &[u8],
    names: &[&str],
    policy: &Policy,
) -> ManifestReading {
    let mut out = ManifestReading::default();
    let manifest = match crate::json::parse_value(text) {
        Ok(v) => v,
        Err(crate::json::JsonFailure::Limit(hit)) => {
            out.parsed.limit(hit);
            return out;
        }
        Err(e) => {
            out.parsed.incomplete(format!(
                "{TORCHSERVE_MANIFEST} is not valid JSON ({e}): the handler it names is unknown"
            ));
            return out;
        }
    };
    let model = manifest.get("model").unwrap_or(&Value::Null);
    let field = |key: &str| model.get(key).and_then(Value::as_str).map(str::trim);
    let p = &mut out.parsed;
    p.format = Some(crate::format::Format::TorchServe);
    for (key, fact) in [
        ("modelName", "torchserve_model_name"),
        ("modelVersion", "torchserve_model_version"),
        ("serializedFile", "torchserve_serialized_file"),
    ] {
        if let Some(v) = field(key) {
            p.fact(fact, v);
        }
    }
    if let Some(v) = manifest.get("archiverVersion").and_then(Value::as_str) {
        p.fact("torchserve_archiver_version", v);
    }

    let shipped = |module: &str| {
        [format!("{module}.py"), format!("{module}/__init__.py")]
            .into_iter()
            .find(|candidate| names.contains(&candidate.as_str()))
    };
    match field("handler") {
        None | Some("") => p.incomplete(format!(
            "{TORCHSERVE_MANIFEST} names no handler: what TorchServe imports is unknown"
        )),
        Some(handler) => {
            p.fact("torchserve_handler", handler);
            let (module_path, function) = match handler.split_once(':') {
                Some((m, f)) => (m, Some(f)),
                None => (handler, None),
            };
            let module_path = module_path.strip_suffix(".py").unwrap_or(module_path);
            let module = module_path.rsplit('/').next().unwrap_or(module_path);
            if let Some(member) = shipped(module) {
                out.imported.push((member, "as the handler"));
            } else if function.is_none() && TORCHSERVE_BUILTIN_HANDLERS.contains(&module) {
                p.fact("torchserve_builtin_handler", module);
            } else {
                judge_handler(p, handler, module, function.unwrap_or("handle"), policy);
            }
        }
    }
    if let Some(model_file) = field("modelFile").filter(|f| !f.is_empty()) {
        p.fact("torchserve_model_file", model_file);
        let base = model_file.rsplit('/').next().unwrap_or(model_file);
        if names.contains(&base) {
            out.imported.push((base.to_string(), "as the model file"));
        }
    }
    if let Some(requirements) = field("requirementsFile").filter(|f| !f.is_empty()) {
        p.fact("torchserve_requirements_file", requirements);
        p.push(
            Finding::new(
                &rules::LOADER_CONFIG_CODE,
                format!(
                    "{TORCHSERVE_MANIFEST} names {requirements} as requirementsFile: TorchServe \
                     pip-installs the packages it lists when the server runs with \
                     install_py_dep_per_model=true, and installing a package can run its code"
                ),
            )
            .with_severity(Severity::Medium),
        );
    }
    out
}

/// A handler module the archive does not ship and TorchServe does not provide: it is
/// imported from the server's environment, and a function handler is called while the
/// model loads. Judged like a pickle global.
fn judge_handler(p: &mut Parsed, handler: &str, module: &str, function: &str, policy: &Policy) {
    let class = policy.classify(module, function).class;
    let Some((severity, what)) = super::loader_config::judge_callable(class) else {
        return;
    };
    let what = if class == GlobalClass::Unknown {
        "a module neither shipped in the archive nor one of TorchServe's handlers"
    } else {
        what
    };
    p.push(
        Finding::new(
            &rules::LOADER_CONFIG_CODE,
            format!(
                "{TORCHSERVE_MANIFEST} names {handler} as the handler, {what}: TorchServe \
                 imports {module} and calls {function}(None, context) while loading"
            ),
        )
        .with_severity(severity)
        .global(module, function),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(manifest: &str, names: &[&str]) -> ManifestReading {
        check_torchserve_manifest(manifest.as_bytes(), names, &Policy::new())
    }

    fn severities(r: &ManifestReading) -> Vec<Severity> {
        r.parsed.findings.iter().map(|f| f.severity).collect()
    }

    #[test]
    fn a_shipped_handler_is_imported_code() {
        let r = check(
            r#"{"model": {"handler": "handler.py:handle", "modelFile": "net.py"}}"#,
            &["handler.py", "net.py", "model.pt", TORCHSERVE_MANIFEST],
        );
        assert!(r.parsed.findings.is_empty());
        assert_eq!(
            r.imported,
            [
                ("handler.py".to_string(), "as the handler"),
                ("net.py".to_string(), "as the model file")
            ]
        );
        // A module name without .py still imports the shipped file first.
        let r = check(
            r#"{"model": {"handler": "my_handler"}}"#,
            &["my_handler.py"],
        );
        assert_eq!(
            r.imported,
            [("my_handler.py".to_string(), "as the handler")]
        );
    }

    #[test]
    fn builtin_handlers_are_torchserves_own() {
        let r = check(
            r#"{"model": {"handler": "image_classifier"}}"#,
            &["model.pt"],
        );
        assert!(r.parsed.findings.is_empty() && r.imported.is_empty());
        assert_eq!(
            r.parsed.facts["torchserve_builtin_handler"],
            "image_classifier"
        );
    }

    #[test]
    fn other_handlers_are_judged_by_the_policy() {
        let r = check(r#"{"model": {"handler": "os:system"}}"#, &[]);
        assert_eq!(severities(&r), [Severity::Critical]);
        let r = check(r#"{"model": {"handler": "corp_serving.handlers"}}"#, &[]);
        assert_eq!(severities(&r), [Severity::High]);
        // A built-in's name with a function is not the built-in reading.
        let r = check(r#"{"model": {"handler": "image_classifier:run"}}"#, &[]);
        assert_eq!(severities(&r), [Severity::High]);
    }

    #[test]
    fn requirements_and_unreadable_manifests() {
        let r = check(
            r#"{"model": {"handler": "text_classifier", "requirementsFile": "requirements.txt"}}"#,
            &["requirements.txt"],
        );
        assert_eq!(severities(&r), [Severity::Medium]);
        assert!(check("{", &[]).parsed.incomplete.is_some());
        assert!(check(r#"{"model": {}}"#, &[]).parsed.incomplete.is_some());
    }

    #[test]
    fn wheels_are_found_by_their_dist_info() {
        assert_eq!(
            wheel_dist_info(&["lpips/__init__.py", "lpips-0.1.4.dist-info/WHEEL"]),
            Some("lpips-0.1.4.dist-info")
        );
        assert_eq!(wheel_dist_info(&["a/b.dist-info/WHEEL", "WHEEL"]), None);
    }
}
