//! Keras model configs: `config.json` of a `.keras` archive, the `model_config` (and
//! `training_config`) attribute of a legacy HDF5 model, and the JSON in a SavedModel's
//! `keras_metadata.pb`.
//!
//! The config decides what Keras imports and calls while loading, so the whole JSON tree is
//! walked (iteratively, with an explicit stack): every layer, nested model, wrapper
//! (`config.layer`, `forward_layer`, `backward_layer`), Lambda function, initializer,
//! regularizer, activation, loss, metric and optimizer object, `inbound_nodes` arguments and
//! `compile_config` / `training_config`. Nothing is executed or unmarshalled; Lambda bytecode
//! is only base64-decoded, hashed and searched for printable strings.
//!
//! Rule decisions (checked against Keras 3.15 `saving/serialization_lib.py`,
//! `layers/core/lambda_layer.py`, `legacy/saving/saving_utils.py`, and Keras 2's
//! `func_dump` layout):
//! - **MV901 keras-lambda**: an object with `class_name` `__lambda__` (Lambda layers write
//!   `config: {code, defaults, closure}`, `serialize_keras_object` writes
//!   `config: {value: [code, defaults, closure]}`), or a `Lambda` layer whose `function`,
//!   `output_shape` or `mask` is Keras 2's `[base64 marshal, defaults, closure]` list, a
//!   string under `function_type: "lambda"`, or a string that base64-decodes to a marshal
//!   code object. The evidence is the decoded length, SHA-256 and the printable strings in
//!   the marshal bytes (names such as `os`, `system`, constants such as the command).
//! - **MV902 keras-foreign-module**: a `module` outside the roots Keras itself will import
//!   (`keras`, `keras.*`, `keras_hub`, `keras_cv`, `keras_nlp`: the package set in
//!   `_retrieve_class_or_fn`). Keras >= 3.9 refuses other modules unless the object is
//!   registered, but Keras < 3.9 imported any module (CVE-2025-1550), so a named module is
//!   flagged unless the object is a registered custom object (`registered_name` or function
//!   name `Package>Name`, then MV903). `module: "builtins"` with `class_name: "function"` is
//!   how Keras writes its own built-in functions by name (`relu`, `mse`): allowed unless the
//!   name is an executing builtin (`eval`, `exec`, `__import__`, `open`, ...). Modules that
//!   run code or touch the system (`os`, `subprocess`, `builtins`, `importlib`, ...) are
//!   MV902 even with a registered name. Keras 2's Lambda `function_type: "function"` with a
//!   `module` looks the function up in that module: same check.
//! - **MV903 keras-custom-object**: a registered name `Package>Name` whose package is not a
//!   Keras root (`registered_name`, a legacy `class_name`, or a function name), and objects
//!   from `__main__`. Legacy HDF5 configs carry only `class_name`; an unknown class name
//!   there cannot import anything (Keras 2 looks it up among its own layers and the
//!   caller's `custom_objects`), so only the explicit `Package>Name` form is reported:
//!   guessing "custom" from a name list would flag every new Keras layer.
//! - **MV904 keras-unsafe-api**: `TFSMLayer` (loads a SavedModel during deserialisation,
//!   CVE-2026-1462), function references to Keras' non-modelling APIs (the
//!   `NON_MODELING_APIS` set of serialization_lib plus `set_global_attribute`:
//!   `load_model`, `get_file`, `enable_unsafe_deserialization`, ... as used in
//!   CVE-2025-8747 and CVE-2025-9906), any string naming one of them, and `safe_mode: false`
//!   anywhere in the config (arguments passed to such a gadget).
//! - **MV905 keras-malformed**: not JSON as Python's `json.loads` reads it, not an object,
//!   or no string `class_name` at the top (model configs only). A config past a JSON limit
//!   (size, tree memory, nesting) is incomplete (MV502).

use std::collections::BTreeMap;

use serde_json::Value;
use sha2::{Digest, Sha256};

use super::Parsed;
use crate::findings::Finding;
use crate::limits::{LimitHit, MAX_EMBEDDED_PAYLOADS, MAX_JSON_BYTES};
use crate::rules::{self, Rule};

/// Where a Keras JSON document came from; decides what its top level must look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ConfigSource {
    /// `config.json` in a `.keras` zip.
    KerasV3Archive,
    /// The `model_config` root attribute of a legacy HDF5 model.
    LegacyH5,
    /// The `training_config` root attribute of a legacy HDF5 model (loss, metrics and
    /// optimizer; it has no top-level `class_name`).
    LegacyH5TrainingConfig,
    /// JSON metadata from a SavedModel's `keras_metadata.pb` (one node's metadata).
    KerasMetadata,
}

impl ConfigSource {
    fn label(self) -> &'static str {
        match self {
            ConfigSource::KerasV3Archive => "config.json",
            ConfigSource::LegacyH5 => "model_config",
            ConfigSource::LegacyH5TrainingConfig => "training_config",
            ConfigSource::KerasMetadata => "keras_metadata",
        }
    }

    fn needs_class_name(self) -> bool {
        matches!(self, ConfigSource::KerasV3Archive | ConfigSource::LegacyH5)
    }
}

/// Package roots Keras' deserializer imports by itself (serialization_lib); `tf_keras` is
/// Keras 2 as a package of its own, which TensorFlow's `tf.keras` loads since 2.16 with
/// TF_USE_LEGACY_KERAS.
const KERAS_ROOTS: &[&str] = &["keras", "keras_hub", "keras_cv", "keras_nlp", "tf_keras"];

/// Keras inside TensorFlow, as TensorFlow 2.x before 2.16 names its modules.
const TENSORFLOW_KERAS_PREFIXES: &[&str] = &["tensorflow.keras", "tensorflow.python.keras"];

/// A module of Keras itself: one of [`KERAS_ROOTS`] or Keras inside TensorFlow.
fn is_keras_module(module: &str) -> bool {
    let root = module.split('.').next().unwrap_or("");
    KERAS_ROOTS.contains(&root)
        || TENSORFLOW_KERAS_PREFIXES.iter().any(|p| {
            module == *p || (module.starts_with(p) && module.as_bytes().get(p.len()) == Some(&b'.'))
        })
}

/// Keras' own optimizers, which Keras 2.11 to 2.15 and tf_keras register under the package
/// name `Custom` (`Custom>Adam` in every compiled model's training config).
const KERAS_OPTIMIZERS: &[&str] = &[
    "Adadelta",
    "Adafactor",
    "Adagrad",
    "Adam",
    "AdamW",
    "Adamax",
    "Ftrl",
    "Lion",
    "Nadam",
    "RMSprop",
    "SGD",
    "LossScaleOptimizer",
];

/// Module roots that reach code execution, processes, files or the network: foreign even
/// for registered objects.
const DANGEROUS_MODULES: &[&str] = &[
    "os",
    "posix",
    "nt",
    "sys",
    "subprocess",
    "builtins",
    "__builtin__",
    "importlib",
    "runpy",
    "shutil",
    "socket",
    "pty",
    "ctypes",
    "pickle",
    "_pickle",
    "marshal",
    "code",
    "codeop",
    "commands",
    "webbrowser",
    "multiprocessing",
    "pdb",
    "signal",
    "tempfile",
    "io",
    "_io",
    "pathlib",
    "urllib",
    "http",
    "requests",
    "asyncio",
    "operator",
    "functools",
    "types",
    "dill",
    "cloudpickle",
    "joblib",
];

/// Builtins that execute code or open files; everything else under `builtins` is a Keras
/// built-in function referenced by name.
const DANGEROUS_BUILTINS: &[&str] = &[
    "eval",
    "exec",
    "compile",
    "__import__",
    "open",
    "getattr",
    "setattr",
    "delattr",
    "globals",
    "locals",
    "vars",
    "input",
    "breakpoint",
    "exit",
    "quit",
    "help",
    "memoryview",
];

/// Short names of Keras APIs that load files, fetch URLs or switch safe mode off.
const GADGET_NAMES: &[&str] = &[
    "TFSMLayer",
    "load_model",
    "model_from_json",
    "model_from_config",
    "model_from_yaml",
    "save_model",
    "load_weights",
    "save_weights",
    "get_file",
    "enable_unsafe_deserialization",
    "set_global_attribute",
    "deserialize_keras_object",
    "register_keras_serializable",
    "load_img",
    "save_img",
    "image_dataset_from_directory",
    "text_dataset_from_directory",
    "audio_dataset_from_directory",
    "clear_session",
];

/// Strings that reference a gadget wherever they appear (substring match).
const GADGET_MARKERS: &[&str] = &[
    "enable_unsafe_deserialization",
    "safe_mode_saving",
    "set_global_attribute",
    "keras.models.load_model",
    "keras.saving.load_model",
    "keras.src.saving.saving_api.load_model",
    "keras.src.saving.saving_lib.load_model",
    "keras.models.model_from_json",
    "keras.utils.get_file",
    "keras.src.utils.file_utils.get_file",
    "keras.layers.TFSMLayer",
    "keras.src.export.tfsm_layer",
    "keras.saving.load_weights",
];

/// Findings listed per rule before the rest are only counted.
const MAX_FINDINGS_PER_RULE: usize = 64;
/// Distinct layer classes kept in the histogram; the rest are counted under `(other)`.
const MAX_LAYER_CLASSES: usize = 1024;
/// Printable strings listed from one Lambda's bytecode.
const MAX_CODE_STRINGS: usize = 48;
/// Bytes of printable strings listed from one Lambda's bytecode.
const MAX_CODE_STRING_BYTES: usize = 2048;
/// Innermost segments of a JSON path named in a message.
const MAX_PATH_SEGMENTS: usize = 64;
/// Longest text quoted from the config in a message.
const MAX_QUOTE: usize = 120;

/// Checks one Keras model config (or training config / keras metadata JSON).
/// A Keras model config: a JSON object with `class_name` and `config` at its top, as
/// Keras 3 writes config.json (Hugging Face's config.json has neither).
pub(crate) fn looks_like_keras_config(json: &[u8]) -> bool {
    match crate::json::parse_value(json) {
        Ok(doc) => {
            let Value::Object(top) = &*doc else {
                return false;
            };
            top.get("class_name").is_some_and(Value::is_string) && top.contains_key("config")
        }
        _ => false,
    }
}

pub(crate) fn check_config(json: &[u8], source: ConfigSource) -> Parsed {
    let mut p = Parsed::default();
    let Some(root) = parse(&mut p, json, source.label()) else {
        return p;
    };
    let parsed = {
        let mut w = Walker::new(p);
        match &*root {
            Value::Object(map) => {
                let class = map.get("class_name").and_then(Value::as_str);
                if let Some(class) = class {
                    w.p.fact("model_class", quote(class));
                } else if source.needs_class_name() && !looks_like_training_config(map) {
                    w.malformed(format!(
                        "Keras {} has no string class_name at the top level",
                        source.label()
                    ));
                }
                for key in ["keras_version", "backend"] {
                    if let Some(v) = map.get(key).and_then(Value::as_str) {
                        w.p.fact(key, quote(v));
                    }
                }
            }
            _ => w.malformed(format!(
                "Keras {} is JSON but not an object ({})",
                source.label(),
                kind(&root)
            )),
        }
        w.walk(&root);
        w.finish()
    };
    parsed
}

/// A legacy `training_config` attribute (loss, metrics, optimizer_config), which callers
/// may pass as [`ConfigSource::LegacyH5`]: it has no top-level `class_name` by design.
fn looks_like_training_config(map: &serde_json::Map<String, Value>) -> bool {
    ["optimizer_config", "loss", "metrics", "loss_weights"]
        .iter()
        .any(|k| map.contains_key(*k))
}

/// Reads `metadata.json` of a `.keras` archive: facts `keras_version` and `backend`.
/// `date_saved` is ignored.
pub(crate) fn check_metadata(json: &[u8]) -> Parsed {
    let mut p = Parsed::default();
    let Some(root) = parse(&mut p, json, "metadata.json") else {
        return p;
    };
    match &*root {
        Value::Object(map) => {
            for key in ["keras_version", "backend"] {
                if let Some(v) = map.get(key).and_then(Value::as_str) {
                    p.fact(key, quote(v));
                }
            }
        }
        _ => p.add(
            &rules::KERAS_MALFORMED,
            format!(
                "Keras metadata.json is JSON but not an object ({})",
                kind(&root)
            ),
        ),
    }
    p
}

/// Parses a bounded JSON document; on failure reports MV905 and the markers of code and
/// gadgets still visible in the raw text (fail closed).
fn parse(p: &mut Parsed, json: &[u8], label: &str) -> Option<crate::json::Document> {
    if json.len() as u64 > MAX_JSON_BYTES {
        p.limit(LimitHit::JsonBytes);
        return None;
    }
    match crate::json::parse_value(json) {
        Ok(v) => Some(v),
        Err(e) => {
            if let crate::json::JsonFailure::Limit(hit) = e {
                p.limit(hit);
            } else {
                p.add(
                    &rules::KERAS_MALFORMED,
                    format!("Keras {label} is not valid JSON: {e}"),
                );
            }
            raw_markers(p, json);
            None
        }
    }
}

/// Markers of code and gadgets in text that did not parse.
fn raw_markers(p: &mut Parsed, json: &[u8]) {
    if contains(json, b"\"__lambda__\"") || contains(json, b"\"function_type\": \"lambda\"") {
        p.add(
            &rules::KERAS_LAMBDA,
            "unparseable Keras config text contains a Lambda bytecode marker (__lambda__ or function_type lambda)",
        );
    }
    for marker in GADGET_MARKERS.iter().chain(["TFSMLayer"].iter()) {
        if contains(json, marker.as_bytes()) {
            p.push(
                Finding::new(
                    &rules::KERAS_UNSAFE_API,
                    format!("unparseable Keras config text names the unsafe API {marker}"),
                )
                .detail(marker.to_string()),
            );
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    /// A layer: an element of a `layers` list or a wrapper's `layer`.
    Layer,
    /// The `layers` list itself: its elements are layers.
    LayerList,
    Other,
}

#[derive(Clone, Copy)]
enum Seg<'a> {
    Root,
    Key(&'a str),
    Index(usize),
}

struct Walker<'a> {
    p: Parsed,
    layer_count: u64,
    layer_classes: BTreeMap<String, u64>,
    lambda_count: u64,
    emitted: BTreeMap<&'static str, usize>,
    /// Path segments of every visited node: (parent node, segment).
    nodes: Vec<(usize, Seg<'a>)>,
}

impl<'a> Walker<'a> {
    fn new(p: Parsed) -> Walker<'a> {
        Walker {
            p,
            layer_count: 0,
            layer_classes: BTreeMap::new(),
            lambda_count: 0,
            emitted: BTreeMap::new(),
            nodes: Vec::new(),
        }
    }

    fn malformed(&mut self, message: String) {
        self.emit(Finding::new(&rules::KERAS_MALFORMED, message));
    }

    fn emit(&mut self, finding: Finding) {
        let n = self.emitted.entry(finding.rule).or_default();
        *n += 1;
        if *n <= MAX_FINDINGS_PER_RULE {
            self.p.push(finding);
        }
    }

    /// The JSON path of a node; past [`MAX_PATH_SEGMENTS`] only its innermost segments,
    /// after `$...`, so a deep document costs each message a bounded walk.
    fn path(&self, mut node: usize) -> String {
        let mut segs = Vec::new();
        while node < self.nodes.len() {
            let (parent, seg) = self.nodes[node];
            if segs.len() == MAX_PATH_SEGMENTS && node != 0 {
                segs.push(Seg::Key("..."));
                segs.push(Seg::Root);
                break;
            }
            segs.push(seg);
            if node == 0 {
                break;
            }
            node = parent;
        }
        let mut out = String::new();
        for seg in segs.iter().rev() {
            match seg {
                Seg::Root => out.push('$'),
                Seg::Key(k) => {
                    out.push('.');
                    out.push_str(&quote(k));
                }
                Seg::Index(i) => out.push_str(&format!("[{i}]")),
            }
        }
        out
    }

    fn walk(&mut self, root: &'a Value) {
        self.nodes.push((0, Seg::Root));
        let mut stack: Vec<(&'a Value, usize, Role)> = vec![(root, 0, Role::Other)];
        while let Some((value, id, role)) = stack.pop() {
            match value {
                Value::Object(map) => {
                    self.visit_object(map, id, role);
                    for (k, v) in map.iter().rev() {
                        if matches!(v, Value::Null | Value::Bool(_) | Value::Number(_)) {
                            continue;
                        }
                        let child_role = match k.as_str() {
                            "layers" => Role::LayerList,
                            "layer" | "forward_layer" | "backward_layer" => Role::Layer,
                            _ => Role::Other,
                        };
                        self.nodes.push((id, Seg::Key(k)));
                        stack.push((v, self.nodes.len() - 1, child_role));
                    }
                }
                Value::Array(items) => {
                    let child_role = if role == Role::LayerList {
                        Role::Layer
                    } else {
                        Role::Other
                    };
                    for (i, v) in items.iter().enumerate().rev() {
                        if matches!(v, Value::Null | Value::Bool(_) | Value::Number(_)) {
                            continue;
                        }
                        self.nodes.push((id, Seg::Index(i)));
                        stack.push((v, self.nodes.len() - 1, child_role));
                    }
                }
                Value::String(s) => self.visit_string(s, id),
                _ => {}
            }
        }
    }

    fn visit_string(&mut self, s: &str, id: usize) {
        let hit = GADGET_MARKERS
            .iter()
            .find(|m| s.contains(*m))
            .or_else(|| GADGET_NAMES.iter().find(|n| s == **n));
        if let Some(hit) = hit {
            let path = self.path(id);
            self.emit(
                Finding::new(
                    &rules::KERAS_UNSAFE_API,
                    format!(
                        "Keras config string at {path} names the unsafe API {hit}: \"{}\"",
                        quote(s)
                    ),
                )
                .detail(format!("{path} = {}", quote(s))),
            );
        }
    }

    fn visit_object(&mut self, map: &'a serde_json::Map<String, Value>, id: usize, role: Role) {
        let class = map.get("class_name").and_then(Value::as_str);
        let module = map.get("module").and_then(Value::as_str);
        let registered = map.get("registered_name").and_then(Value::as_str);

        if role == Role::Layer {
            if let Some(class) = class {
                self.layer_count += 1;
                let key = if self.layer_classes.len() < MAX_LAYER_CLASSES
                    || self.layer_classes.contains_key(class)
                {
                    quote(class)
                } else {
                    "(other)".to_string()
                };
                *self.layer_classes.entry(key).or_default() += 1;
            }
        }

        if map.get("safe_mode") == Some(&Value::Bool(false)) {
            let path = self.path(id);
            self.emit(
                Finding::new(
                    &rules::KERAS_UNSAFE_API,
                    format!("Keras config passes safe_mode: false at {path}"),
                )
                .detail(format!("{path}.safe_mode = false")),
            );
        }

        match class {
            Some("__lambda__") => {
                let inner = map.get("config");
                let code = inner.and_then(|c| match c {
                    Value::Object(m) => m.get("code").or_else(|| m.get("value")),
                    other => Some(other),
                });
                self.lambda(id, "__lambda__ object", code);
            }
            Some("Lambda") => self.lambda_layer(map, id),
            Some("TorchModuleWrapper") => self.torch_module(map, id),
            Some("StringLookup" | "IntegerLookup" | "TextVectorization" | "IndexLookup") => {
                self.vocabulary_path(map, id)
            }
            Some("TFSMLayer") => {
                let path = self.path(id);
                let file = map
                    .get("config")
                    .and_then(|c| c.get("filepath"))
                    .and_then(Value::as_str)
                    .map(quote)
                    .unwrap_or_default();
                self.emit(
                    Finding::new(
                        &rules::KERAS_UNSAFE_API,
                        format!(
                            "TFSMLayer at {path} loads the TensorFlow SavedModel '{file}' while the model is deserialised"
                        ),
                    )
                    .detail(format!("filepath={file}")),
                );
            }
            _ => {}
        }

        // Functions referenced by name: {"module", "class_name": "function", "config": name}.
        if class == Some("function") {
            if let Some(name) = map.get("config").and_then(Value::as_str) {
                self.function_ref(id, module, name);
                return;
            }
        }

        // Serialised objects carry module and class_name together; a bare `module` key
        // (Keras 2 Lambda configs) is handled with its function in `lambda_layer`.
        if let (Some(module), Some(class)) = (module, class) {
            self.module_ref(id, module, class, registered);
        } else {
            let custom = registered
                .filter(|r| is_custom_registered(r))
                .or_else(|| class.filter(|c| is_custom_registered(c)));
            if let Some(name) = custom {
                self.custom(id, name, None);
            }
        }
    }

    fn custom(&mut self, id: usize, name: &str, module: Option<&str>) {
        let path = self.path(id);
        let from = module
            .map(|m| format!(" (module {})", quote(m)))
            .unwrap_or_default();
        self.emit(
            Finding::new(
                &rules::KERAS_CUSTOM_OBJECT,
                format!(
                    "Keras config at {path} uses the custom object {}{from}: the loading process must supply its code",
                    quote(name)
                ),
            )
            .global(module.unwrap_or(""), name),
        );
    }

    fn foreign(&mut self, id: usize, module: &str, name: &str, why: &str) {
        let path = self.path(id);
        self.emit(
            Finding::new(
                &rules::KERAS_FOREIGN_MODULE,
                format!(
                    "Keras config at {path} names {}.{} from a module outside Keras{why}",
                    quote(module),
                    quote(name)
                ),
            )
            .global(&quote(module), &quote(name)),
        );
    }

    fn gadget_ref(&mut self, id: usize, module: &str, name: &str) {
        let path = self.path(id);
        self.emit(
            Finding::new(
                &rules::KERAS_UNSAFE_API,
                format!(
                    "Keras config at {path} references {}.{}, an API that loads files or models or disables safe mode",
                    quote(module),
                    quote(name)
                ),
            )
            .global(&quote(module), &quote(name)),
        );
    }

    fn function_ref(&mut self, id: usize, module: Option<&str>, name: &str) {
        let short = name.rsplit(['>', '.']).next().unwrap_or(name);
        let module = module.unwrap_or("");
        let root = module.split('.').next().unwrap_or("");
        if is_keras_module(module) || module.is_empty() {
            if GADGET_NAMES.contains(&short) {
                self.gadget_ref(id, module, name);
            } else if is_custom_registered(name) {
                self.custom(id, name, (!module.is_empty()).then_some(module));
            }
            return;
        }
        if module == "builtins" {
            if DANGEROUS_BUILTINS.contains(&short) {
                self.foreign(id, module, name, ": an executing builtin");
            }
            // Otherwise Keras' own built-in function written by name (relu, mse ...).
            return;
        }
        if DANGEROUS_MODULES.contains(&root) {
            self.foreign(id, module, name, " that runs code or touches the system");
        } else if is_custom_registered(name) || module == "__main__" {
            self.custom(id, name, Some(module));
        } else {
            self.foreign(id, module, name, " (Keras < 3.9 imports it, CVE-2025-1550)");
        }
    }

    fn module_ref(&mut self, id: usize, module: &str, class: &str, registered: Option<&str>) {
        let root = module.split('.').next().unwrap_or("");
        let custom_name = registered
            .filter(|r| is_custom_registered(r))
            .or_else(|| Some(class).filter(|c| is_custom_registered(c)));
        if is_keras_module(module) {
            if let Some(name) = custom_name {
                // A Keras module with a foreign registered name: the registry wins at load.
                self.custom(id, name, Some(module));
            }
            return;
        }
        if DANGEROUS_MODULES.contains(&root) {
            self.foreign(id, module, class, " that runs code or touches the system");
        } else if let Some(name) = custom_name {
            self.custom(id, name, Some(module));
        } else if module == "__main__" {
            self.custom(id, class, Some(module));
        } else {
            self.foreign(
                id,
                module,
                class,
                " without a registered name (Keras < 3.9 imports it, CVE-2025-1550)",
            );
        }
    }

    /// A `Lambda` layer: Keras 2 list/string forms of `function`, `output_shape`, `mask`.
    /// (`__lambda__` objects inside it are found when the walk reaches them.)
    /// `TorchModuleWrapper.from_config` base64-decodes `config.module` and hands it to
    /// `torch.load(weights_only=False)`: the decoded bytes are scanned as a member.
    fn torch_module(&mut self, map: &'a serde_json::Map<String, Value>, id: usize) {
        let Some(module) = map.get("config").and_then(|c| c.get("module")) else {
            return;
        };
        let path = self.path(id);
        let Some(text) = module.as_str() else {
            return;
        };
        let decoded = python_b64decode(text);
        let size = decoded.as_ref().map_or(0, Vec::len);
        self.emit(
            Finding::new(
                &rules::KERAS_TORCH_MODULE,
                format!(
                    "TorchModuleWrapper at {path} carries a torch.save payload of {size} bytes that Keras unpickles with torch.load(weights_only=False)"
                ),
            )
            .detail(format!("{path}.config.module: {} base64 characters", text.len())),
        );
        match decoded {
            None => self.p.incomplete(format!(
                "the TorchModuleWrapper payload at {path} is not base64 Python decodes"
            )),
            Some(_) if self.p.embedded.len() >= MAX_EMBEDDED_PAYLOADS => {
                if self.p.incomplete.is_none() {
                    self.p.limit(LimitHit::EmbeddedPayloads);
                }
            }
            Some(bytes) => self.p.embedded.push(super::Embedded {
                name: format!("{path}.config.module"),
                bytes,
            }),
        }
    }

    /// A lookup layer whose `vocabulary` is a string: Keras reads that path with
    /// `tf.io.gfile` (any local file, or a remote file system) while building the layer
    /// (CVE-2025-12058; safe mode refuses it from Keras 3.12). Saved models keep their
    /// vocabulary in the archive's assets, with `vocabulary: null` in the config.
    fn vocabulary_path(&mut self, map: &'a serde_json::Map<String, Value>, id: usize) {
        let Some(file) = map
            .get("config")
            .and_then(|c| c.get("vocabulary"))
            .and_then(Value::as_str)
        else {
            return;
        };
        let path = self.path(id);
        let class = map.get("class_name").and_then(Value::as_str).unwrap_or("");
        self.emit(
            Finding::new(
                &rules::KERAS_UNSAFE_API,
                format!(
                    "{class} at {path} reads its vocabulary from the file '{}' while the model is deserialised",
                    quote(file)
                ),
            )
            .detail(format!("vocabulary={}", quote(file))),
        );
    }

    fn lambda_layer(&mut self, map: &'a serde_json::Map<String, Value>, id: usize) {
        let Some(Value::Object(cfg)) = map.get("config") else {
            return;
        };
        for (slot, type_key, module_key) in [
            ("function", "function_type", "module"),
            ("output_shape", "output_shape_type", "output_shape_module"),
            ("mask", "mask_type", "mask_module"),
        ] {
            let Some(value) = cfg.get(slot) else {
                continue;
            };
            let kind = cfg.get(type_key).and_then(Value::as_str);
            match (value, kind) {
                (Value::Array(items), Some("lambda") | None)
                    if items.first().is_some_and(Value::is_string) =>
                {
                    self.lambda(id, slot, items.first());
                }
                (Value::String(_), Some("lambda")) => self.lambda(id, slot, Some(value)),
                (Value::String(s), Some("function")) => {
                    // Keras 2 looks the name up in `module`'s globals.
                    let module = cfg.get(module_key).and_then(Value::as_str);
                    if module.is_some_and(|m| m != "__main__") {
                        self.function_ref(id, module, s);
                    } else if let Some(short) = GADGET_NAMES.iter().find(|n| s == *n) {
                        self.gadget_ref(id, module.unwrap_or(""), short);
                    }
                }
                (Value::String(s), None)
                    if decode_base64(s).is_some_and(|b| looks_like_code(&b)) =>
                {
                    self.lambda(id, slot, Some(value));
                }
                _ => {}
            }
        }
    }

    /// MV901 with a summary of the bytecode in `code` (base64 marshal, or Keras 1 raw text).
    fn lambda(&mut self, id: usize, what: &str, code: Option<&Value>) {
        self.lambda_count += 1;
        let path = self.path(id);
        let code = match code {
            Some(Value::Array(items)) => items.first(),
            other => other,
        };
        let summary = match code.and_then(Value::as_str) {
            Some(text) => {
                let bytes = decode_base64(text).unwrap_or_else(|| latin1(text));
                summarise_code(&bytes)
            }
            None => "no code string found".to_string(),
        };
        self.emit(
            Finding::new(
                &rules::KERAS_LAMBDA,
                format!(
                    "Keras Lambda at {path} ({what}) carries serialised Python bytecode that runs when the layer is called"
                ),
            )
            .detail(summary),
        );
    }

    fn finish(mut self) -> Parsed {
        for (rule, n) in &self.emitted {
            if *n > MAX_FINDINGS_PER_RULE {
                if let Some(rule) = rules::find(rule) {
                    self.p.push(more(rule, *n - MAX_FINDINGS_PER_RULE));
                }
            }
        }
        if !self.nodes.is_empty() {
            self.p.fact("layer_count", self.layer_count);
            self.p.fact("layer_classes", &self.layer_classes);
            self.p.fact("lambda_count", self.lambda_count);
        }
        self.p
    }
}

fn more(rule: &'static Rule, n: usize) -> Finding {
    Finding::new(
        rule,
        format!(
            "{n} more {} findings in this Keras config are not listed",
            rule.name
        ),
    )
}

/// `Package>Name` with a package that is not Keras' own (Keras' optimizers registered as
/// `Custom>Adam` are Keras' own).
fn is_custom_registered(name: &str) -> bool {
    match name.split_once('>') {
        Some(("Custom", class)) => !KERAS_OPTIMIZERS.contains(&class),
        Some((package, _)) => !KERAS_ROOTS.contains(&package),
        None => false,
    }
}

/// Standard base64 (the alphabet `codecs.encode(.., "base64")` writes), whitespace ignored.
fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let mut acc: u32 = 0;
    let mut bits = 0u32;
    let mut seen = 0usize;
    let mut padded = false;
    for &c in text.as_bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => {
                padded = true;
                continue;
            }
            b' ' | b'\n' | b'\r' | b'\t' => continue,
            _ => return None,
        };
        if padded {
            return None;
        }
        seen += 1;
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    (seen > 0 && seen % 4 != 1).then_some(out)
}

fn latin1(text: &str) -> Vec<u8> {
    text.chars().map(|c| u32::from(c).min(255) as u8).collect()
}

/// A marshal code object starts with TYPE_CODE ('c'), possibly with FLAG_REF (0x80).
fn looks_like_code(bytes: &[u8]) -> bool {
    matches!(bytes.first(), Some(0x63 | 0xe3))
}

/// Length, SHA-256 and the printable strings of marshal bytes, never unmarshalled.
fn summarise_code(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut strings: Vec<String> = Vec::new();
    let mut total = 0usize;
    let mut truncated = false;
    for s in code_strings(bytes) {
        if strings.len() >= MAX_CODE_STRINGS || total + s.len() > MAX_CODE_STRING_BYTES {
            truncated = true;
            break;
        }
        total += s.len();
        strings.push(String::from_utf8_lossy(s).into_owned());
    }
    let kind = if looks_like_code(bytes) {
        "marshal code object"
    } else {
        "not a marshal code object"
    };
    format!(
        "{} bytes ({kind}), sha256 {}, strings: [{}]{}",
        bytes.len(),
        crate::source::hex(&digest),
        strings
            .iter()
            .map(|s| format!("{s:?}"))
            .collect::<Vec<_>>()
            .join(", "),
        if truncated { " ..." } else { "" }
    )
}

fn printable(b: &u8) -> bool {
    (0x20..0x7f).contains(b)
}

/// Printable strings in marshal bytes: marshal string records whose whole content is
/// printable (type byte z/Z with a u8 length, a/A/u/t/s with a u32 length, FLAG_REF
/// ignored; names as short as `os` are kept), and elsewhere runs of >= 3 printable bytes.
/// A lexical scan only: nothing is unmarshalled.
fn code_strings<'b>(bytes: &'b [u8]) -> Vec<&'b [u8]> {
    let mut out = Vec::new();
    let mut run: Option<usize> = None;
    let mut i = 0;
    let flush = |out: &mut Vec<&'b [u8]>, run: &mut Option<usize>, end: usize| {
        if let Some(start) = run.take() {
            if end - start >= 3 {
                out.push(&bytes[start..end]);
            }
        }
    };
    while i < bytes.len() {
        if let Some((start, end)) = string_record(bytes, i) {
            flush(&mut out, &mut run, i);
            if end - start >= 2 {
                out.push(&bytes[start..end]);
            }
            i = end;
            continue;
        }
        if printable(&bytes[i]) {
            run.get_or_insert(i);
        } else {
            flush(&mut out, &mut run, i);
        }
        i += 1;
    }
    flush(&mut out, &mut run, bytes.len());
    out
}

/// The content range of a printable marshal string record starting at `i`.
fn string_record(b: &[u8], i: usize) -> Option<(usize, usize)> {
    let (start, n) = match b[i] & 0x7f {
        b'z' | b'Z' => (i + 2, usize::from(*b.get(i + 1)?)),
        b'a' | b'A' | b'u' | b't' | b's' => {
            let len: [u8; 4] = b.get(i + 1..i + 5)?.try_into().ok()?;
            (i + 5, usize::try_from(u32::from_le_bytes(len)).ok()?)
        }
        _ => return None,
    };
    let end = start.checked_add(n)?;
    let content = b.get(start..end)?;
    (n > 0 && content.iter().all(printable)).then_some((start, end))
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

/// Config text for messages: control characters escaped, bounded length.
fn quote(s: &str) -> String {
    crate::formats::display_string(s.as_bytes(), MAX_QUOTE)
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// An HDF5 file read as Keras: the root group's attributes. A Keras legacy model keeps its
/// architecture (and with it any Lambda code) in `model_config`; weight files have none.
/// Dataset contents are numbers and are not read.
pub(crate) fn check_hdf5_model(src: &dyn crate::source::ReadAt) -> Parsed {
    let mut out = Parsed::default();
    check_hdf5_model_into(src, &mut out);
    out
}

/// The registry's entry point for HDF5: the root attributes, then their Keras reading.
pub(crate) fn check_hdf5_model_into(src: &dyn crate::source::ReadAt, out: &mut Parsed) {
    use super::hdf5;
    let (decoded, result) = hdf5::read_root_attributes_keeping(src);
    let root = match result {
        Ok(root) => root,
        Err(e) => {
            match e {
                hdf5::Hdf5Error::Limit(hit) => out.limit(hit),
                e => out.incomplete(e.to_string()),
            }
            // The attributes decoded before the error are still checked: a model_config
            // that came first stays a finding.
            let partial = hdf5::Hdf5Root {
                superblock_version: 0,
                end_of_file: 0,
                attributes: decoded,
            };
            if partial.attributes.iter().any(|x| x.name == "model_config") {
                out.merge(check_root_attributes(&partial, src.len()));
            }
            check_hdf5_objects(src, out);
            return;
        }
    };
    out.fact("superblock_version", root.superblock_version);
    out.merge(check_root_attributes(&root, src.len()));
    check_hdf5_objects(src, out);
}

/// Every group and dataset reachable from the root: Keras reads weights by walking them,
/// and h5py follows external storage, external links and virtual sources as it does.
fn check_hdf5_objects(src: &dyn crate::source::ReadAt, out: &mut Parsed) {
    use super::hdf5::walk::{self, ForeignKind};
    let (seen, error) = walk::walk_groups(src);
    out.fact("hdf5_objects", seen.objects);
    if seen.soft_links > 0 {
        out.fact("hdf5_soft_links", seen.soft_links);
    }
    if seen.same_file_virtual_sources > 0 {
        out.fact(
            "hdf5_same_file_virtual_sources",
            seen.same_file_virtual_sources,
        );
    }
    for foreign in &seen.foreign {
        let object = &foreign.object;
        let message = match &foreign.kind {
            ForeignKind::ExternalStorage { file } => format!(
                "dataset {object} keeps its data in the external file {file:?}: reading the \
                 weight reads that file"
            ),
            ForeignKind::ExternalLink {
                file,
                object: target,
            } => format!(
                "{object} is an external link to {target:?} in the HDF5 file {file:?}: \
                 reading it opens that file"
            ),
            ForeignKind::VirtualSource { file, dataset } => format!(
                "virtual dataset {object} maps {dataset:?} of the HDF5 file {file:?}: \
                 reading the weight reads that file"
            ),
            ForeignKind::VirtualUnread { reason } => format!(
                "virtual dataset {object} maps data from files that could not be read \
                 ({reason}); any of them may be another file"
            ),
        };
        out.add(&rules::HDF5_EXTERNAL_DATA, message);
    }
    if seen.foreign_not_listed > 0 {
        out.add(
            &rules::HDF5_EXTERNAL_DATA,
            format!(
                "{} more objects read other files (not listed)",
                seen.foreign_not_listed
            ),
        );
    }
    match error {
        Some(super::hdf5::Hdf5Error::Limit(hit)) => out.limit(hit),
        Some(e) => out.incomplete(format!(
            "groups and datasets not all checked for external files: {e}"
        )),
        None => {}
    }
}

/// The Keras reading of an HDF5 file's root attributes.
fn check_root_attributes(root: &super::hdf5::Hdf5Root, file_len: u64) -> Parsed {
    use super::hdf5;
    let mut out = Parsed::default();
    if root.end_of_file > file_len {
        // Findings from the attributes still stand; the datasets past the end do not.
        out.incomplete(format!(
            "truncated HDF5: the superblock records {} bytes, the file has {file_len}",
            root.end_of_file,
        ));
    }
    let names: Vec<&str> = root.attributes.iter().map(|x| x.name.as_str()).collect();
    out.fact("root_attributes", &names);
    let text = |name: &str| {
        root.attributes
            .iter()
            .find_map(|x| match (&x.value, x.name == name) {
                (hdf5::AttrValue::Text(t), true) => Some(t.clone()),
                _ => None,
            })
    };
    for key in ["keras_version", "backend"] {
        if let Some(v) = text(key) {
            out.fact(key, String::from_utf8_lossy(&v));
        }
    }
    if !root.attributes.iter().any(|x| x.name == "model_config") {
        return out;
    }
    out.format = Some(crate::format::Format::KerasH5);
    match text("model_config") {
        Some(config) => out.merge(check_config(&config, ConfigSource::LegacyH5)),
        None => {
            out.add(
                &rules::KERAS_MALFORMED,
                "the model_config attribute is not a string",
            );
            out.incomplete("model_config is not a string");
        }
    }
    if let Some(training) = text("training_config") {
        let mut parsed = check_config(&training, ConfigSource::LegacyH5TrainingConfig);
        // Facts describe the model, not the training setup.
        parsed.facts.clear();
        out.merge(parsed);
    }
    out
}

/// `base64.b64decode(text)` as CPython's binascii runs it without `validate`: characters
/// outside the alphabet are skipped, a `=` counts only inside a quantum's last two places,
/// and the pad run that completes a quantum ends the input (what follows is ignored).
/// A different reading would scan other bytes than the loader unpickles.
fn python_b64decode(text: &str) -> Option<Vec<u8>> {
    fn sextet(b: u8) -> Option<u8> {
        Some(match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    }
    let mut out = Vec::with_capacity(text.len() / 4 * 3);
    let (mut quad_pos, mut pads, mut left) = (0u8, 0u8, 0u8);
    for b in text.bytes() {
        if b == b'=' {
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Some(out);
                }
            }
            continue;
        }
        let Some(v) = sextet(b) else {
            continue;
        };
        match quad_pos {
            0 => {
                left = v;
                quad_pos = 1;
            }
            1 => {
                out.push((left << 2) | (v >> 4));
                left = v & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push((left << 4) | (v >> 2));
                left = v & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push((left << 6) | v);
                quad_pos = 0;
            }
        }
    }
    (quad_pos == 0).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::ReadAt;
    use std::sync::Arc;

    fn fixture(name: &str) -> Vec<u8> {
        let path = format!(
            "{}/testdata/fixtures/formats/{name}",
            env!("CARGO_MANIFEST_DIR")
        );
        std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    /// A member of a committed .keras fixture, read with the crate's own zip walker.
    fn member(archive: &str, name: &str) -> Vec<u8> {
        let src: Arc<dyn ReadAt> = Arc::new(fixture(archive));
        let index = crate::containers::zip::read_index(&src).expect("zip");
        let e = index
            .entries
            .iter()
            .find(|e| e.name == name)
            .expect("member");
        assert_eq!(e.method, 0, "keras stores members");
        e.data(&src)
            .read_exact_at(0, e.compressed_size as usize)
            .unwrap()
    }

    fn config(archive: &str) -> Parsed {
        check_config(
            &member(archive, "config.json"),
            ConfigSource::KerasV3Archive,
        )
    }

    fn rules_of(p: &Parsed) -> Vec<&'static str> {
        let mut r: Vec<_> = p.findings.iter().map(|f| f.rule).collect();
        r.sort();
        r.dedup();
        r
    }

    fn inline(json: &str, source: ConfigSource) -> Parsed {
        check_config(json.as_bytes(), source)
    }

    #[test]
    fn benign_sequential_is_quiet_and_described() {
        let p = config("keras_dense_ok.keras");
        assert!(p.findings.is_empty(), "{:?}", p.findings);
        assert!(p.incomplete.is_none());
        assert_eq!(p.facts["model_class"], "Sequential");
        assert_eq!(p.facts["layer_count"], 3);
        assert_eq!(p.facts["layer_classes"]["Dense"], 2);
        assert_eq!(p.facts["layer_classes"]["InputLayer"], 1);
        assert_eq!(p.facts["lambda_count"], 0);
        let m = check_metadata(&member("keras_dense_ok.keras", "metadata.json"));
        assert!(m.findings.is_empty());
        assert_eq!(m.facts["keras_version"], "3.15.1");
    }

    #[test]
    fn benign_functional_with_wrappers_and_nested_model_is_quiet() {
        let p = config("keras_functional_nested.keras");
        assert!(p.findings.is_empty(), "{:?}", p.findings);
        assert_eq!(p.facts["model_class"], "Functional");
        let classes = &p.facts["layer_classes"];
        // InputLayer x2 (outer, head), TimeDistributed + its Dense, Bidirectional + LSTM
        // forward and backward, shared Dense, Add, the head Sequential and its two Dense.
        assert_eq!(classes["TimeDistributed"], 1);
        assert_eq!(classes["Bidirectional"], 1);
        assert_eq!(classes["LSTM"], 2);
        assert_eq!(classes["Sequential"], 1);
        assert_eq!(classes["Dense"], 4);
        assert_eq!(classes["InputLayer"], 2);
        assert_eq!(classes["Add"], 1);
        assert_eq!(p.facts["layer_count"], 12);
    }

    #[test]
    fn lambda_bytecode_is_critical_with_evidence() {
        let p = config("keras_lambda.keras");
        assert_eq!(rules_of(&p), ["MV901"]);
        assert_eq!(p.facts["lambda_count"], 1);
        let detail = p.findings[0].evidence.detail.clone().unwrap();
        assert!(
            detail.starts_with(
                "118 bytes (marshal code object), sha256 \
                 c18a7682275e9b63ff30dc1da73a059d5a283230b6d73c3775879b0ff8a145cd"
            ),
            "{detail}"
        );
        assert!(detail.contains("<modelvet-fixture>"), "{detail}");
        assert!(p.findings[0].message.contains("$.config.layers[1]"));

        let p = config("keras_lambda_shell.keras");
        assert_eq!(rules_of(&p), ["MV901"]);
        let detail = p.findings[0].evidence.detail.clone().unwrap();
        assert!(
            detail.ends_with(
                r#"strings: ["os", "echo modelvet-fixture", "__import__", "system", "<modelvet-fixture>", "<lambda>"]"#
            ),
            "{detail}"
        );
    }

    #[test]
    fn foreign_function_module_is_high() {
        let p = config("keras_lambda_os_system.keras");
        assert_eq!(rules_of(&p), ["MV902"]);
        let f = &p.findings[0];
        assert_eq!(f.evidence.module.as_deref(), Some("os"));
        assert_eq!(f.evidence.name.as_deref(), Some("system"));
    }

    #[test]
    fn gadgets_are_unsafe_api() {
        for name in [
            "keras_get_file_gadget.keras",
            "keras_load_model_gadget.keras",
            "keras_tfsmlayer.keras",
        ] {
            assert_eq!(rules_of(&config(name)), ["MV904"], "{name}");
        }
        assert_eq!(
            rules_of(&config("keras_enable_unsafe.keras")),
            ["MV901", "MV904"]
        );
        let p = config("keras_load_model_gadget.keras");
        assert!(p.findings.iter().any(|f| f.message.contains("safe_mode")));
    }

    #[test]
    fn registered_custom_object_is_medium_only() {
        let p = config("keras_custom_object.keras");
        assert_eq!(rules_of(&p), ["MV903"]);
        assert_eq!(
            p.findings[0].evidence.name.as_deref(),
            Some("ModelvetFixture>ScaleLayer")
        );
    }

    #[test]
    fn malformed_configs() {
        let p = config("keras_config_not_json.keras");
        assert_eq!(rules_of(&p), ["MV905"]);
        for bad in [
            "[1, 2]",
            "{\"config\": {}}",
            "{\"class_name\": 3}",
            "",
            "nul",
        ] {
            let p = inline(bad, ConfigSource::LegacyH5);
            assert_eq!(rules_of(&p), ["MV905"], "{bad}");
        }
        // training configs and keras metadata need no class_name; a training config
        // passed as the model_config source is recognised by its keys
        let training = r#"{"loss": "mse", "metrics": ["mae"], "optimizer_config": {"class_name": "Adam", "config": {}}}"#;
        assert!(inline(training, ConfigSource::LegacyH5).findings.is_empty());
        let p = inline(
            r#"{"loss": "mse", "metrics": ["mae"], "optimizer_config": {"class_name": "Adam", "config": {}}}"#,
            ConfigSource::LegacyH5TrainingConfig,
        );
        assert!(p.findings.is_empty(), "{:?}", p.findings);
        assert!(inline("{}", ConfigSource::KerasMetadata)
            .findings
            .is_empty());
    }

    #[test]
    fn unparseable_text_still_reports_markers() {
        let p = inline(
            r#"{"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__", "#,
            ConfigSource::KerasV3Archive,
        );
        assert_eq!(rules_of(&p), ["MV901", "MV905"]);
        let p = inline(
            r#"{"config": "keras.config.enable_unsafe_deserialization""#,
            ConfigSource::KerasV3Archive,
        );
        assert_eq!(rules_of(&p), ["MV904", "MV905"]);
    }

    #[test]
    fn base64_decodes_as_python_does() {
        // Each pair was checked against CPython 3.11's base64.b64decode.
        let cases: [(&str, Option<&[u8]>); 13] = [
            ("YQ==YQ==", Some(b"a")),
            ("YQ=", None),
            ("YWJj", Some(b"abc")),
            ("YW Jj\n", Some(b"abc")),
            ("YQ==x", Some(b"a")),
            ("Y Q = =", Some(b"a")),
            ("YWJjZA=", None),
            ("YWJjZA==YWJj", Some(b"abcd")),
            ("YWJj=", Some(b"abc")),
            ("=YWJj", Some(b"abc")),
            ("YQ=a=", Some(b"a\x06")),
            ("Y===", None),
            ("", Some(b"")),
        ];
        for (text, expected) in cases {
            assert_eq!(python_b64decode(text).as_deref(), expected, "{text:?}");
        }
    }

    #[test]
    fn nesting_past_the_depth_limit_is_incomplete_without_panic() {
        let deep = format!(
            "{{\"class_name\": \"Sequential\", \"config\": {}{}}}",
            "[".repeat(100_000),
            "]".repeat(100_000)
        );
        let p = inline(&deep, ConfigSource::KerasV3Archive);
        assert_eq!(rules_of(&p), ["MV502"]);
        assert!(p.incomplete.unwrap().contains("MAX_JSON_DEPTH"));
    }

    #[test]
    fn a_lambda_nested_as_deep_as_python_reads_is_found() {
        // json.loads on CPython 3.11 reads 999 levels; serde_json stopped at 128.
        let deep = format!(
            "{{\"class_name\": \"Sequential\", \"config\": {}{{\"class_name\": \"Lambda\", \"config\": {{\"function\": {{\"class_name\": \"__lambda__\", \"config\": {{\"code\": \"YQ==\"}}}}}}}}{}}}",
            "[".repeat(990),
            "]".repeat(990)
        );
        let p = inline(&deep, ConfigSource::KerasV3Archive);
        assert!(rules_of(&p).contains(&"MV901"), "{:?}", rules_of(&p));
        assert!(p.incomplete.is_none(), "{:?}", p.incomplete);
        let message = &p
            .findings
            .iter()
            .find(|f| f.rule == "MV901")
            .unwrap()
            .message;
        assert!(message.contains("$....[0][0]"), "{message}");
        assert!(message.len() < 1000, "{message}");
    }

    #[test]
    fn python_json_constants_do_not_hide_a_lambda() {
        let text = r#"{"class_name": "Sequential", "config": {"clipvalue": NaN, "layers": [{"class_name": "Lambda", "config": {"function": {"class_name": "__lambda__", "config": {"code": "YQ=="}}}}]}}"#;
        let p = inline(text, ConfigSource::KerasV3Archive);
        assert!(rules_of(&p).contains(&"MV901"), "{:?}", rules_of(&p));
        assert!(!rules_of(&p).contains(&"MV905"), "{:?}", rules_of(&p));
    }

    #[test]
    fn oversized_json_hits_the_named_limit() {
        let big = vec![b' '; MAX_JSON_BYTES as usize + 1];
        let p = check_config(&big, ConfigSource::KerasV3Archive);
        assert_eq!(rules_of(&p), ["MV502"]);
        assert!(p.incomplete.unwrap().contains("MAX_JSON_BYTES"));
    }

    #[test]
    fn keras2_legacy_lambda_list_and_function_type() {
        // Keras 2 func_dump: [base64 marshal, defaults, closure], function_type "lambda"
        let legacy = r#"{"class_name": "Sequential", "keras_version": "2.15.0", "backend": "tensorflow",
          "config": {"name": "s", "layers": [{"class_name": "Lambda", "config": {"name": "l",
          "function": ["4wAAAAAAAAAAAAAAAAMAAAAAAAAA80IAAAA=\n", null, null], "function_type": "lambda",
          "module": "__main__", "output_shape": null, "output_shape_type": "raw",
          "output_shape_module": null, "arguments": {}}}]}}"#;
        let p = inline(legacy, ConfigSource::LegacyH5);
        assert_eq!(rules_of(&p), ["MV901"]);
        assert_eq!(p.facts["keras_version"], "2.15.0");
        assert_eq!(p.facts["backend"], "tensorflow");
        assert_eq!(p.facts["lambda_count"], 1);
        assert!(p.findings[0]
            .evidence
            .detail
            .as_deref()
            .unwrap()
            .starts_with("26 bytes (marshal code object)"));

        // Keras 2 function_type "function" resolves the name in `module`
        let by_name = legacy
            .replace(
                r#"["4wAAAAAAAAAAAAAAAAMAAAAAAAAA80IAAAA=\n", null, null]"#,
                r#""system""#,
            )
            .replace(
                r#""function_type": "lambda""#,
                r#""function_type": "function""#,
            )
            .replace(r#""module": "__main__""#, r#""module": "posix""#);
        assert_eq!(
            rules_of(&inline(&by_name, ConfigSource::LegacyH5)),
            ["MV902"]
        );
    }

    #[test]
    fn serialization_lib_lambda_value_form() {
        let j = r#"{"module": "keras.layers", "class_name": "Dense", "config": {"activation":
          {"class_name": "__lambda__", "config": {"value": ["4wAAAAAAAAAA\n", null, null]}}}}"#;
        let p = inline(j, ConfigSource::KerasV3Archive);
        assert_eq!(rules_of(&p), ["MV901"]);
        assert!(p.findings[0].message.contains("activation"));
    }

    #[test]
    fn a_keras_config_is_told_from_other_config_json_files() {
        assert!(looks_like_keras_config(
            br#"{"module": "keras", "class_name": "Sequential", "config": {"layers": []}}"#
        ));
        assert!(!looks_like_keras_config(
            br#"{"architectures": ["BertModel"], "model_type": "bert"}"#
        ));
        assert!(!looks_like_keras_config(
            br#"{"class_name": 3, "config": {}}"#
        ));
        assert!(!looks_like_keras_config(b"{\"class_name\": \"Sequential\""));
    }

    #[test]
    fn tf_keras_and_tensorflow_keras_are_keras() {
        let layer = |module: &str| {
            format!(
                r#"{{"module": "{module}", "class_name": "Sequential", "config": {{"layers": [
                  {{"module": "{module}.layers", "class_name": "Dense", "config": {{}}, "registered_name": null}}]}}}}"#
            )
        };
        for module in [
            "tf_keras",
            "tf_keras.src.engine.sequential",
            "tensorflow.keras",
            "tensorflow.python.keras.engine.sequential",
            "keras.src.models.sequential",
        ] {
            let p = inline(&layer(module), ConfigSource::KerasV3Archive);
            assert!(p.findings.is_empty(), "{module}: {:?}", p.findings);
        }
        // Only Keras inside TensorFlow: other TensorFlow modules are foreign.
        for module in ["tensorflow.io", "tensorflow.kerasx"] {
            let p = inline(&layer(module), ConfigSource::KerasV3Archive);
            assert_eq!(rules_of(&p), ["MV902"], "{module}");
        }
    }

    #[test]
    fn keras_optimizers_registered_as_custom_are_keras_own() {
        // tf_keras and Keras 2.11-2.15 write compiled models' optimizers this way.
        let training = |name: &str| {
            format!(
                r#"{{"loss": "mse", "optimizer_config": {{"class_name": "{name}", "config": {{"name": "Adam", "learning_rate": 0.001}}}}}}"#
            )
        };
        let p = inline(
            &training("Custom>Adam"),
            ConfigSource::LegacyH5TrainingConfig,
        );
        assert!(p.findings.is_empty(), "{:?}", p.findings);
        let p = inline(
            &training("Custom>MyOptimizer"),
            ConfigSource::LegacyH5TrainingConfig,
        );
        assert_eq!(rules_of(&p), ["MV903"]);
        assert_eq!(p.findings[0].severity, crate::rules::Severity::Low);
    }

    #[test]
    fn module_decisions() {
        let obj = |module: &str, class: &str, reg: &str| {
            format!(
                r#"{{"module": "keras", "class_name": "Sequential", "config": {{"layers": [
                  {{"module": "{module}", "class_name": "{class}", "config": {{}}, "registered_name": {reg}}}]}}}}"#
            )
        };
        let src = ConfigSource::KerasV3Archive;
        // Keras roots, including keras_hub's own registered names
        assert!(inline(
            &obj(
                "keras_hub.src.models",
                "GemmaBackbone",
                "\"keras_hub>GemmaBackbone\""
            ),
            src
        )
        .findings
        .is_empty());
        assert!(inline(
            &obj(
                "keras.src.models.functional",
                "Functional",
                "\"Functional\""
            ),
            src
        )
        .findings
        .is_empty());
        // unregistered foreign module; dangerous module even when registered
        assert_eq!(
            rules_of(&inline(&obj("numpy", "ndarray", "null"), src)),
            ["MV902"]
        );
        assert_eq!(
            rules_of(&inline(&obj("subprocess", "Popen", "\"Evil>Popen\""), src)),
            ["MV902"]
        );
        // registered custom objects, and a foreign registered name on a Keras module
        assert_eq!(
            rules_of(&inline(
                &obj("mypkg.layers", "Scale", "\"MyPkg>Scale\""),
                src
            )),
            ["MV903"]
        );
        assert_eq!(
            rules_of(&inline(
                &obj("keras.layers", "Dense", "\"Evil>Dense\""),
                src
            )),
            ["MV903"]
        );
        assert_eq!(
            rules_of(&inline(&obj("__main__", "Scale", "null"), src)),
            ["MV903"]
        );

        let func = |module: &str, name: &str| {
            format!(
                r#"{{"class_name": "Sequential", "config": {{"loss": {{"module": "{module}",
                  "class_name": "function", "config": "{name}", "registered_name": "function"}}}}}}"#
            )
        };
        assert!(inline(&func("builtins", "relu"), src).findings.is_empty());
        assert!(inline(&func("keras.activations", "relu"), src)
            .findings
            .is_empty());
        assert_eq!(rules_of(&inline(&func("builtins", "eval"), src)), ["MV902"]);
        assert_eq!(
            rules_of(&inline(&func("mylib", "MyPkg>loss"), src)),
            ["MV903"]
        );
        assert_eq!(rules_of(&inline(&func("mylib", "loss"), src)), ["MV902"]);
        assert_eq!(
            rules_of(&inline(&func("keras.saving", "load_model"), src)),
            ["MV904"]
        );
        assert_eq!(
            rules_of(&inline(
                &func(
                    "keras.src.backend.common.global_state",
                    "set_global_attribute"
                ),
                src
            )),
            ["MV904"]
        );

        // legacy configs: only the explicit Package>Name form is custom
        let legacy = r#"{"class_name": "Sequential", "config": {"layers": [
          {"class_name": "MyPkg>Scale", "config": {}}, {"class_name": "SomeNewKerasLayer", "config": {}}]}}"#;
        let p = inline(legacy, ConfigSource::LegacyH5);
        assert_eq!(rules_of(&p), ["MV903"]);
        assert_eq!(p.facts["layer_count"], 2);
    }

    #[test]
    fn findings_per_rule_are_capped() {
        let layers: Vec<String> = (0..200)
            .map(|i| format!(r#"{{"module": "os", "class_name": "C{i}", "config": {{}}}}"#))
            .collect();
        let j = format!(
            r#"{{"class_name": "Sequential", "config": {{"layers": [{}]}}}}"#,
            layers.join(",")
        );
        let p = inline(&j, ConfigSource::KerasV3Archive);
        assert_eq!(p.findings.len(), MAX_FINDINGS_PER_RULE + 1);
        assert!(p.findings.last().unwrap().message.starts_with("136 more"));
        assert_eq!(p.facts["layer_count"], 200);
    }

    #[test]
    fn base64_decoder() {
        assert_eq!(decode_base64("aGVsbG8=\n").unwrap(), b"hello");
        assert_eq!(decode_base64("aGVs\nbG8").unwrap(), b"hello");
        assert!(decode_base64("a").is_none());
        assert!(decode_base64("not base64!").is_none());
        assert!(decode_base64("aGVsbG8=x").is_none());
    }
}
