//! Names of the facts that parsers record on an artifact and that other layers read back
//! (the BOM, model grouping). A fact read elsewhere is named here, once, so producer and
//! reader cannot drift apart. Facts that copy a file's own keys (a `config.json`'s
//! `model_type`, a tokenizer's `model_max_length`) keep the file's names.

/// Parameters counted from tensor shapes (safetensors, GGUF, ONNX initializers).
pub(crate) const PARAMETER_COUNT: &str = "parameter_count";
/// Longest context the model declares (GGUF `*.context_length`).
pub(crate) const CONTEXT_LENGTH: &str = "context_length";
/// Quantization named by the file (GGUF file type, a config's `quantization_config`).
pub(crate) const QUANTIZATION: &str = "quantization";
/// GGUF `general.architecture`.
pub(crate) const ARCHITECTURE: &str = "architecture";
/// GGUF `general.name`.
pub(crate) const NAME: &str = "name";
/// GGUF `general.license`.
pub(crate) const LICENSE: &str = "license";
/// GGUF `general.license.name`.
pub(crate) const LICENSE_NAME: &str = "license_name";
/// GGUF `general.author`.
pub(crate) const AUTHOR: &str = "author";
/// A model card's front matter (README.md), as read.
pub(crate) const MODEL_CARD: &str = "model_card";
/// A model card's `model-index` results.
pub(crate) const EVAL_RESULTS: &str = "eval_results";
/// A model card's template sections that carry content.
pub(crate) const MODEL_CARD_SECTIONS: &str = "model_card_sections";
/// SHA-256 of the default chat template (GGUF metadata, tokenizer config, template file).
pub(crate) const CHAT_TEMPLATE_SHA256: &str = "chat_template_sha256";
/// Other formats whose probes accept the artifact's bytes.
pub(crate) const ALSO_ACCEPTED_AS: &str = "also_accepted_as";
