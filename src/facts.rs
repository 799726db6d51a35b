//! Names of the facts that parsers record on an artifact and that other layers read back
//! (the BOM, model grouping). A fact read elsewhere is named here, once, so producer and
//! reader cannot drift apart. Facts that copy a file's own keys (a `config.json`'s
//! `model_type`, a tokenizer's `model_max_length`) keep the file's names.

/// Parameters counted from tensor shapes (safetensors, GGUF, ONNX initializers): the
/// model's weights, with packed quantized storage unpacked. Left out of a safetensors
/// file whose GPTQ/AWQ words need the config's bit width.
pub(crate) const PARAMETER_COUNT: &str = "parameter_count";
/// Elements stored in a safetensors file's tensors, packed or not.
pub(crate) const STORED_ELEMENTS: &str = "stored_elements";
/// A safetensors file's quantized layout (`formats::quantized_tensors`).
pub(crate) const QUANTIZED_TENSORS: &str = "quantized_tensors";
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
/// Base models a weight file names (GGUF `general.base_model.{i}.*`): a list of objects
/// with `name`, `organization`, `version`, `repo_url`, `url` where stated.
pub(crate) const BASE_MODELS: &str = "base_models";
/// A PEFT adapter's `adapter_config.json`: `peft_type`, `base_model_name_or_path`,
/// `task_type`, `revision` where stated.
pub(crate) const PEFT_ADAPTER: &str = "peft_adapter";
/// `generation_config.json`'s sampling defaults, with their JSON types.
pub(crate) const GENERATION_DEFAULTS: &str = "generation_defaults";
