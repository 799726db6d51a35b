//! Loader configurations that name code: Hydra's `_target_` (NeMo's `model_config.yaml`,
//! Lightning's `hparams.yaml`, any Hydra config) and MLflow's `MLmodel`.
//!
//! `hydra.utils.instantiate` imports the dotted path in `_target_` and calls it with the
//! mapping's other keys; NeMo's `restore_from` does so for every `_target_` in the
//! `model_config.yaml` of a `.nemo` tar (CVE-2025-23304), and Lightning's
//! `load_from_checkpoint` for configs in its hyperparameters. MLflow's `pyfunc.load_model`
//! imports the `loader_module` of the `python_function` flavor, with the model's `code`
//! folders put on `sys.path`.
//!
//! Each named callable is judged by the same default-deny policy as a pickle global:
//! code execution and file access are critical and high, a callable outside the known ML
//! frameworks is high, a framework's own class is low (the loader's ordinary work, listed
//! so a reader sees what will be instantiated). Nothing is imported or resolved.
//!
//! A YAML file that mentions `_target_` but cannot be read through by the bounded YAML
//! reader (anchors, tags, size) is incomplete, and every `_target_:` line in its raw text
//! is still judged.

use serde_json::Value;

use crate::findings::{Finding, Severity};
use crate::formats::{yaml, Parsed};
use crate::policy::{GlobalClass, Policy};
use crate::rules;

/// Most callables named in one file that are listed in its facts.
const MAX_LISTED_TARGETS: usize = 256;

/// Checks a YAML file a loader may instantiate from. `mlflow` says it is an `MLmodel`.
pub(crate) fn check_yaml(text: &[u8], file: &str, mlflow: bool, policy: &Policy, p: &mut Parsed) {
    let mentions_target = contains(text, b"_target_");
    if !mentions_target && !mlflow {
        return;
    }
    let mut judge = Judge {
        policy,
        file,
        p,
        targets: Vec::new(),
    };
    let readable = std::str::from_utf8(text).ok();
    let parsed = readable
        .filter(|t| t.len() <= yaml::MAX_YAML_BYTES)
        .map(yaml::parse);
    let complete = parsed.as_ref().is_some_and(|y| y.warnings.is_empty());
    if let Some(Some(root)) = parsed.as_ref().map(|y| y.value.as_ref()) {
        judge.walk(root);
        if mlflow {
            judge.mlmodel(root);
        }
    }
    if !complete {
        let why = match (readable, &parsed) {
            (None, _) => "is not UTF-8".to_string(),
            (Some(_), None) => format!("is larger than {} bytes", yaml::MAX_YAML_BYTES),
            (Some(_), Some(y)) => y.warnings.first().map_or_else(
                || "has no value".to_string(),
                |w| format!("was not read through: {w}"),
            ),
        };
        judge
            .p
            .incomplete(format!("{file}, a loader configuration, {why}"));
        // What the structure could not show, the lines still do.
        judge.raw_lines(text);
    }
    let targets = std::mem::take(&mut judge.targets);
    if !targets.is_empty() {
        judge.p.fact("instantiates", targets);
    }
}

struct Judge<'a> {
    policy: &'a Policy,
    file: &'a str,
    p: &'a mut Parsed,
    targets: Vec<String>,
}

impl Judge<'_> {
    /// Every `_target_` in the document, without recursion.
    fn walk(&mut self, root: &Value) {
        let mut stack = vec![root];
        while let Some(v) = stack.pop() {
            match v {
                Value::Object(map) => {
                    if let Some(target) = map.get("_target_") {
                        match target.as_str() {
                            Some(t) => self.callable(t, "_target_"),
                            None => self.p.incomplete(format!(
                                "{}: a _target_ that is not a string",
                                self.file
                            )),
                        }
                    }
                    stack.extend(map.values());
                }
                Value::Array(items) => stack.extend(items),
                _ => {}
            }
        }
    }

    /// MLmodel: the pyfunc flavor's `loader_module` is imported from the model's code.
    fn mlmodel(&mut self, root: &Value) {
        let Some(pyfunc) = root.get("flavors").and_then(|f| f.get("python_function")) else {
            return;
        };
        if let Some(module) = pyfunc.get("loader_module").and_then(Value::as_str) {
            self.callable(module, "loader_module");
        }
        for key in ["code", "python_model", "data", "env"] {
            if let Some(v) = pyfunc.get(key).and_then(Value::as_str) {
                self.p.fact(&format!("mlflow_{key}"), v);
            }
        }
    }

    /// `_target_: x.y` lines of a text the YAML reader could not read through.
    fn raw_lines(&mut self, text: &[u8]) {
        let text = String::from_utf8_lossy(text);
        for line in text.lines() {
            let Some(at) = line.find("_target_") else {
                continue;
            };
            let rest = line[at + "_target_".len()..].trim_start_matches(['"', '\'']);
            let Some(value) = rest.trim_start().strip_prefix(':') else {
                continue;
            };
            let value = value
                .trim()
                .trim_end_matches([',', '}'])
                .trim()
                .trim_matches(['"', '\'']);
            // A target the structure already showed is judged once.
            if !value.is_empty() && !self.targets.iter().any(|t| t == value) {
                self.callable(value, "_target_");
            }
        }
    }

    fn callable(&mut self, path: &str, key: &str) {
        let path = path.trim();
        if self.targets.len() < MAX_LISTED_TARGETS && !self.targets.iter().any(|t| t == path) {
            self.targets.push(path.to_string());
        }
        // `a.b.C` is read as module `a.b`, name `C`; the policy tries every other split.
        let (module, name) = path.rsplit_once('.').unwrap_or(("builtins", path));
        let Some((severity, what)) = judge_callable(self.policy.classify(module, name).class)
        else {
            return;
        };
        let loader = if key == "loader_module" {
            "MLflow's pyfunc loader imports it"
        } else {
            "hydra.utils.instantiate imports and calls it"
        };
        self.p.push(
            Finding::new(
                &rules::LOADER_CONFIG_CODE,
                format!("{} names {path} in {key}, {what}: {loader}", self.file),
            )
            .with_severity(severity)
            .global(module, name),
        );
    }
}

/// How a callable a loader imports and calls is graded, by its policy class: `None` when
/// it is allowed. Shared by every loader configuration (Hydra, MLflow, TorchServe).
pub(crate) fn judge_callable(class: GlobalClass) -> Option<(Severity, &'static str)> {
    Some(match class {
        GlobalClass::Allowed => return None,
        GlobalClass::CodeObject | GlobalClass::Exec => {
            (Severity::Critical, "which runs code or commands")
        }
        GlobalClass::Io => (Severity::High, "which reads or writes files or the network"),
        GlobalClass::Unknown => (
            Severity::High,
            "from a module outside the known ML frameworks",
        ),
        GlobalClass::Framework => (Severity::Low, "a class of an ML framework"),
    })
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, mlflow: bool) -> Parsed {
        let mut p = Parsed::default();
        check_yaml(
            text.as_bytes(),
            "model_config.yaml",
            mlflow,
            &Policy::new(),
            &mut p,
        );
        p
    }

    fn severities(p: &Parsed) -> Vec<Severity> {
        p.findings.iter().map(|f| f.severity).collect()
    }

    #[test]
    fn targets_are_judged_by_the_policy() {
        let p = check(
            "name: x\ntrain_ds:\n  _target_: os.system\n  command: echo modelvet-fixture\n",
            false,
        );
        assert_eq!(severities(&p), [Severity::Critical]);
        assert!(p.incomplete.is_none());
        let p = check("model:\n  _target_: mypkg.models.Net\n", false);
        assert_eq!(severities(&p), [Severity::High]);
        let p = check(
            "encoder:\n  _target_: nemo.collections.asr.modules.ConformerEncoder\n  d_model: 4\n",
            false,
        );
        assert_eq!(severities(&p), [Severity::Low]);
        assert_eq!(
            p.facts["instantiates"],
            serde_json::json!(["nemo.collections.asr.modules.ConformerEncoder"])
        );
        let p = check("a: [{_target_: builtins.exec}]\n", false);
        assert_eq!(severities(&p), [Severity::Critical]);
    }

    #[test]
    fn files_without_targets_are_not_read() {
        let p = check("a: &x 1\nb: *x\n", false);
        assert!(p.findings.is_empty() && p.incomplete.is_none());
    }

    #[test]
    fn an_unreadable_config_is_incomplete_and_its_lines_still_judged() {
        let p = check(
            "base: &b\n  x: 1\nmodel:\n  <<: *b\n  _target_: subprocess.run\n",
            false,
        );
        assert!(p.incomplete.is_some());
        assert!(severities(&p).contains(&Severity::Critical), "{p:?}");
    }

    #[test]
    fn mlmodel_loader_module() {
        let text = "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n  sklearn:\n    pickled_model: model.pkl\n";
        let p = check(text, true);
        assert_eq!(severities(&p), [Severity::Low]);
        assert_eq!(
            p.facts["instantiates"],
            serde_json::json!(["mlflow.sklearn"])
        );
        let text =
            "flavors:\n  python_function:\n    loader_module: custom_loader\n    code: code\n";
        let p = check(text, true);
        assert_eq!(severities(&p), [Severity::High]);
        assert_eq!(p.facts["mlflow_code"], "code");
    }
}
