//! The text files of a Hugging Face repository that change what runs or describe the
//! model: `config.json` (custom code through `auto_map`), `tokenizer_config.json` and
//! `chat_template.jinja` (chat templates), Python files, shard indexes and the model
//! card's YAML front matter. A text file's role is given by its name; its content is
//! still parsed, never trusted.

use std::collections::BTreeMap;

use sha2::{Digest, Sha256};

use super::card;
use crate::findings::Finding;
use crate::formats::{loader_config, template, Parsed};
use crate::policy::Policy;
use crate::rules;
use crate::source::hex;

/// Longest list of values kept for a fact.
const MAX_FACT_ITEMS: usize = 64;
/// Longest string kept for a fact.
const MAX_FACT_STRING: usize = 1024;

/// A shard index (`model.safetensors.index.json`, `pytorch_model.bin.index.json`):
/// tensor name to shard file name.
#[derive(Debug, Clone, Default)]
pub(crate) struct ShardIndex {
    pub weight_map: BTreeMap<String, String>,
}

/// What a text file's name says it is in a Hub repository.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    ModelConfig,
    TokenizerConfig,
    ProcessorChatTemplate,
    ChatTemplate,
    Python,
    ShardIndex,
    ModelCard,
    /// Any other `*config.json` (preprocessor, image processor, feature extractor,
    /// generation, adapter): the Auto classes that read them follow their `auto_map` too.
    OtherConfig,
    /// YAML a loader may instantiate from (Hydra's `_target_`: NeMo, Lightning).
    LoaderYaml,
    /// MLflow's `MLmodel` (its pyfunc `loader_module`).
    MlflowModel,
}

pub(crate) fn role_of(path: &str) -> Option<Role> {
    let base = path.rsplit(['/', '!', '\\']).next().unwrap_or(path);
    let lower = base.to_ascii_lowercase();
    Some(match lower.as_str() {
        "config.json" => Role::ModelConfig,
        "tokenizer_config.json" => Role::TokenizerConfig,
        "chat_template.json" | "processor_config.json" => Role::ProcessorChatTemplate,
        "readme.md" => Role::ModelCard,
        "mlmodel" if base == "MLmodel" => Role::MlflowModel,
        _ if lower.ends_with(".yaml") || lower.ends_with(".yml") => Role::LoaderYaml,
        _ if lower.ends_with(".jinja") => Role::ChatTemplate,
        _ if lower.ends_with(".py") => Role::Python,
        _ if lower.ends_with(".index.json") => Role::ShardIndex,
        _ if lower.ends_with("config.json") => Role::OtherConfig,
        _ => return None,
    })
}

fn short(s: &str) -> String {
    let mut end = s.len().min(MAX_FACT_STRING);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_string()
}

fn parse_json(text: &[u8], what: &str, p: &mut Parsed) -> Option<crate::json::Document> {
    match crate::json::parse_value(text) {
        Ok(v) => Some(v),
        Err(crate::json::JsonFailure::Limit(hit)) => {
            p.limit(hit);
            None
        }
        Err(e) => {
            // Not a finding: transformers refuses to load it, so nothing runs from it.
            p.fact("parse_error", format!("{what} is not valid JSON: {e}"));
            p.incomplete(format!("{what} is not valid JSON"));
            None
        }
    }
}

/// `auto_map` entries: `"AutoModel": "modeling_x.XModel"` or, for code in another
/// repository, `"org/repo--modeling_x.XModel"`; tokenizers map to `[slow, fast]` lists.
fn auto_map_targets(v: &serde_json::Value) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(map) = v.get("auto_map").and_then(|m| m.as_object()) {
        for (class, target) in map {
            let targets: Vec<&str> = match target {
                serde_json::Value::String(s) => vec![s.as_str()],
                serde_json::Value::Array(a) => a.iter().filter_map(|t| t.as_str()).collect(),
                _ => Vec::new(),
            };
            for t in targets {
                out.push(format!("{class} -> {t}"));
            }
        }
    }
    out
}

fn check_auto_map(v: &serde_json::Value, file: &str, p: &mut Parsed) {
    let targets = auto_map_targets(v);
    if targets.is_empty() {
        return;
    }
    let remote: Vec<&String> = targets.iter().filter(|t| t.contains("--")).collect();
    let mut f = Finding::new(
        &rules::REPO_REMOTE_CODE,
        format!(
            "{file} maps {} class(es) to Python code in {}: loading needs trust_remote_code",
            targets.len(),
            if remote.is_empty() {
                "this repository"
            } else {
                "other repositories"
            }
        ),
    )
    .detail(targets.join("; "));
    f.location.opcode = Some("auto_map".into());
    p.push(f);
    p.fact(
        "auto_map",
        targets.into_iter().take(MAX_FACT_ITEMS).collect::<Vec<_>>(),
    );
}

/// Checks every chat template in a tokenizer or processor config: a string, or a list
/// of `{name, template}` objects.
fn check_config_templates(v: &serde_json::Value, file: &str, p: &mut Parsed) {
    let mut digests = BTreeMap::new();
    match v.get("chat_template") {
        Some(serde_json::Value::String(t)) => {
            template::check(t.as_bytes(), file, None, p);
            digests.insert("default".to_string(), hex(&Sha256::digest(t.as_bytes())));
        }
        Some(serde_json::Value::Array(list)) => {
            for item in list {
                let name = item.get("name").and_then(|n| n.as_str()).unwrap_or("?");
                if let Some(t) = item.get("template").and_then(|t| t.as_str()) {
                    template::check(t.as_bytes(), &format!("{file} ({name})"), None, p);
                    digests.insert(short(name), hex(&Sha256::digest(t.as_bytes())));
                }
            }
        }
        _ => {}
    }
    if !digests.is_empty() {
        p.fact(crate::facts::CHAT_TEMPLATE_SHA256, digests);
    }
}

fn string_facts(v: &serde_json::Value, keys: &[&str], p: &mut Parsed) {
    for key in keys {
        match v.get(*key) {
            Some(serde_json::Value::String(s)) => p.fact(key, short(s)),
            Some(n @ serde_json::Value::Number(_)) => p.fact(key, n),
            Some(serde_json::Value::Array(a)) => p.fact(
                key,
                a.iter()
                    .filter_map(|x| x.as_str())
                    .take(MAX_FACT_ITEMS)
                    .map(short)
                    .collect::<Vec<_>>(),
            ),
            _ => {}
        }
    }
}

/// The JSON type a config fact must have to be recorded.
#[derive(Clone, Copy)]
enum Kind {
    Number,
    Bool,
}

/// Architecture numbers of `config.json`, recorded only with their JSON type.
const CONFIG_TYPED_FACTS: &[(&str, Kind)] = &[
    ("hidden_size", Kind::Number),
    ("num_hidden_layers", Kind::Number),
    ("num_attention_heads", Kind::Number),
    ("num_key_value_heads", Kind::Number),
    ("intermediate_size", Kind::Number),
    ("rope_theta", Kind::Number),
    ("n_positions", Kind::Number),
    ("n_ctx", Kind::Number),
    ("n_layer", Kind::Number),
    ("n_head", Kind::Number),
    ("n_embd", Kind::Number),
    ("sliding_window", Kind::Number),
    ("tie_word_embeddings", Kind::Bool),
];

fn typed_facts(v: &serde_json::Value, keys: &[(&str, Kind)], p: &mut Parsed) {
    for (key, kind) in keys {
        match (v.get(*key), kind) {
            (Some(n @ serde_json::Value::Number(_)), Kind::Number)
            | (Some(n @ serde_json::Value::Bool(_)), Kind::Bool) => p.fact(key, n),
            _ => {}
        }
    }
}

/// `quantization_config` reduced to `{quant_method, bits, type}`, each only when stated:
/// `bits` from `bits` (GPTQ, AWQ, HQQ...), AutoAWQ's `w_bit`, or bitsandbytes'
/// `load_in_4bit`/`load_in_8bit`; `type` from `bnb_4bit_quant_type` (nf4, fp4) when
/// loading in 4 bits.
fn quantization_fact(v: &serde_json::Value, p: &mut Parsed) {
    let Some(q) = v.get("quantization_config").and_then(|q| q.as_object()) else {
        return;
    };
    let mut out = serde_json::Map::new();
    if let Some(m) = q.get("quant_method").and_then(|m| m.as_str()) {
        out.insert("quant_method".into(), short(m).into());
    }
    let flag = |k: &str| q.get(k).and_then(serde_json::Value::as_bool) == Some(true);
    let bits = match (
        q.get("bits").or_else(|| q.get("w_bit")),
        flag("load_in_4bit"),
        flag("load_in_8bit"),
    ) {
        (Some(b @ serde_json::Value::Number(_)), _, _) => Some(b.clone()),
        (_, true, false) => Some(4.into()),
        (_, false, true) => Some(8.into()),
        _ => None,
    };
    if let Some(b) = bits {
        out.insert("bits".into(), b);
    }
    if flag("load_in_4bit") {
        if let Some(t) = q.get("bnb_4bit_quant_type").and_then(|t| t.as_str()) {
            out.insert("type".into(), short(t).into());
        }
    }
    if !out.is_empty() {
        p.fact(crate::facts::QUANTIZATION, out);
    }
}

/// What a PEFT `adapter_config.json` says of the adapter: its method and the model it
/// adapts. Only strings are kept; `peft_type` must be one to count as PEFT's file.
fn peft_adapter_fact(v: &serde_json::Value, p: &mut Parsed) {
    if v.get("peft_type").and_then(|t| t.as_str()).is_none() {
        return;
    }
    let mut out = serde_json::Map::new();
    for key in [
        "peft_type",
        "base_model_name_or_path",
        "task_type",
        "revision",
    ] {
        if let Some(s) = v
            .get(key)
            .and_then(|s| s.as_str())
            .filter(|s| !s.is_empty())
        {
            out.insert(key.into(), short(s).into());
        }
    }
    p.fact(crate::facts::PEFT_ADAPTER, out);
}

/// The sampling defaults `generation_config.json` sets for `generate()`, each with the
/// JSON type transformers expects (a flag, a number).
fn generation_defaults_fact(v: &serde_json::Value, p: &mut Parsed) {
    const KEYS: &[(&str, Kind)] = &[
        ("do_sample", Kind::Bool),
        ("temperature", Kind::Number),
        ("top_p", Kind::Number),
        ("top_k", Kind::Number),
        ("min_p", Kind::Number),
        ("typical_p", Kind::Number),
        ("repetition_penalty", Kind::Number),
        ("num_beams", Kind::Number),
        ("max_length", Kind::Number),
        ("max_new_tokens", Kind::Number),
    ];
    let mut out = serde_json::Map::new();
    for (key, kind) in KEYS {
        match (v.get(*key), kind) {
            (Some(n @ serde_json::Value::Number(_)), Kind::Number)
            | (Some(n @ serde_json::Value::Bool(_)), Kind::Bool) => {
                out.insert((*key).into(), n.clone());
            }
            _ => {}
        }
    }
    if !out.is_empty() {
        p.fact(crate::facts::GENERATION_DEFAULTS, out);
    }
}

/// `model_max_length` when it is a real limit: a non-negative integer below 10^12.
/// Tokenizers without a limit store 1e30 (`VERY_LARGE_INTEGER`); that is left out.
fn model_max_length(v: &serde_json::Value, p: &mut Parsed) {
    const NO_LIMIT_FROM: f64 = 1e12;
    let Some(n) = v.get("model_max_length") else {
        return;
    };
    let value = match (n.as_u64(), n.as_f64()) {
        (Some(u), _) if (u as f64) < NO_LIMIT_FROM => Some(u),
        (None, Some(f)) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f < NO_LIMIT_FROM => {
            Some(f as u64)
        }
        _ => None,
    };
    if let Some(u) = value {
        p.fact("model_max_length", u);
    }
}

/// Inspects a text file by its role. `text` is the whole file (the caller bounds it by
/// `MAX_JSON_BYTES`). Returns the shard index when the file is one.
pub(crate) fn inspect(
    role: Role,
    path: &str,
    text: &[u8],
    policy: &Policy,
    p: &mut Parsed,
) -> Option<ShardIndex> {
    let file = path.rsplit(['/', '!']).next().unwrap_or(path);
    match role {
        Role::ModelConfig => {
            let v = parse_json(text, file, p)?;
            string_facts(
                &v,
                &[
                    "architectures",
                    "model_type",
                    "torch_dtype",
                    "dtype",
                    "transformers_version",
                    "_name_or_path",
                    "max_position_embeddings",
                    "vocab_size",
                ],
                p,
            );
            typed_facts(&v, CONFIG_TYPED_FACTS, p);
            quantization_fact(&v, p);
            check_auto_map(&v, file, p);
            if v.get("trust_remote_code").and_then(|t| t.as_bool()) == Some(true) {
                p.add(
                    &rules::REPO_REMOTE_CODE,
                    format!("{file} sets trust_remote_code"),
                );
            }
        }
        Role::TokenizerConfig | Role::ProcessorChatTemplate => {
            let v = parse_json(text, file, p)?;
            string_facts(&v, &["tokenizer_class", "processor_class"], p);
            model_max_length(&v, p);
            check_auto_map(&v, file, p);
            check_config_templates(&v, file, p);
        }
        Role::OtherConfig => {
            let v = parse_json(text, file, p)?;
            check_auto_map(&v, file, p);
            match file {
                "adapter_config.json" => peft_adapter_fact(&v, p),
                "generation_config.json" => generation_defaults_fact(&v, p),
                _ => {}
            }
        }
        Role::LoaderYaml | Role::MlflowModel => {
            loader_config::check_yaml(text, file, role == Role::MlflowModel, policy, p);
        }
        Role::ChatTemplate => {
            template::check(text, file, None, p);
            p.fact(
                crate::facts::CHAT_TEMPLATE_SHA256,
                hex(&Sha256::digest(text)),
            );
        }
        Role::Python => {
            let lines = text.iter().filter(|&&c| c == b'\n').count();
            p.push(
                Finding::new(
                    &rules::REPO_PYTHON_FILE,
                    format!("{file} is Python source ({lines} lines) shipped with the model"),
                )
                .detail(format!("sha256 {}", hex(&Sha256::digest(text)))),
            );
        }
        Role::ShardIndex => {
            let v = parse_json(text, file, p)?;
            let Some(map) = v.get("weight_map").and_then(|m| m.as_object()) else {
                p.add(
                    &rules::SHARD_INDEX_MISMATCH,
                    format!("{file} has no weight_map object"),
                );
                return None;
            };
            let mut index = ShardIndex::default();
            for (tensor, shard) in map {
                match shard.as_str() {
                    Some(s) => {
                        index.weight_map.insert(tensor.clone(), s.to_string());
                    }
                    None => p.add(
                        &rules::SHARD_INDEX_MISMATCH,
                        format!("{file}: the shard of {tensor:?} is not a file name"),
                    ),
                }
            }
            let shards: std::collections::BTreeSet<&String> = index.weight_map.values().collect();
            p.fact("shard_count", shards.len());
            p.fact("tensor_count", index.weight_map.len());
            if let Some(total) = v.pointer("/metadata/total_size") {
                p.fact("total_size", total);
            }
            return Some(index);
        }
        Role::ModelCard => card::inspect(text, p),
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(path: &str, text: &str) -> Parsed {
        let mut p = Parsed::default();
        inspect(
            role_of(path).unwrap(),
            path,
            text.as_bytes(),
            &Policy::new(),
            &mut p,
        );
        p
    }

    fn ids(p: &Parsed) -> Vec<&'static str> {
        p.findings.iter().map(|f| f.rule).collect()
    }

    #[test]
    fn auto_map_fires_and_plain_config_is_quiet() {
        let p = run(
            "m/config.json",
            r#"{"architectures":["X"],"auto_map":{"AutoModel":"modeling_x.XModel","AutoConfig":"org/other--configuration_x.XConfig"}}"#,
        );
        assert_eq!(ids(&p), vec!["MV1001"]);
        let p = run(
            "m/config.json",
            r#"{"architectures":["BertModel"],"model_type":"bert"}"#,
        );
        assert!(ids(&p).is_empty());
        assert_eq!(p.facts["model_type"], "bert");
    }

    #[test]
    fn auto_map_in_any_config_file_fires() {
        // AutoImageProcessor, AutoFeatureExtractor and the rest follow auto_map in their
        // own config files, not only config.json and tokenizer_config.json.
        for name in [
            "preprocessor_config.json",
            "image_processor_config.json",
            "feature_extractor_config.json",
        ] {
            let p = run(
                &format!("m/{name}"),
                r#"{"auto_map":{"AutoImageProcessor":"image_processing_x.XProcessor"}}"#,
            );
            assert_eq!(ids(&p), vec!["MV1001"], "{name}");
        }
        let p = run(
            "m/generation_config.json",
            r#"{"max_new_tokens": 20, "do_sample": false}"#,
        );
        assert!(ids(&p).is_empty());
        assert!(p.incomplete.is_none());
    }

    #[test]
    fn config_architecture_facts_keep_their_json_type() {
        let p = run(
            "config.json",
            r#"{"hidden_size":4096,"num_hidden_layers":32,"num_attention_heads":32,"num_key_value_heads":8,
                "intermediate_size":14336,"rope_theta":500000.0,"sliding_window":null,"tie_word_embeddings":false,
                "torch_dtype":"bfloat16","quantization_config":{"quant_method":"gptq","bits":4,"group_size":128}}"#,
        );
        assert_eq!(p.facts["hidden_size"], 4096);
        assert_eq!(p.facts["num_key_value_heads"], 8);
        assert_eq!(p.facts["rope_theta"], serde_json::json!(500000.0));
        assert_eq!(p.facts["tie_word_embeddings"], false);
        assert_eq!(p.facts["torch_dtype"], "bfloat16");
        assert_eq!(
            p.facts["quantization"],
            serde_json::json!({"quant_method": "gptq", "bits": 4})
        );
        assert!(p.facts.get("sliding_window").is_none());
        let p = run(
            "config.json",
            r#"{"n_positions":1024,"n_ctx":1024,"n_layer":12,"n_head":12,"n_embd":768,
                "hidden_size":"4096","tie_word_embeddings":"yes","quantization_config":{"load_in_4bit":true}}"#,
        );
        assert_eq!(p.facts["n_embd"], 768);
        assert_eq!(p.facts["n_ctx"], 1024);
        for absent in ["hidden_size", "tie_word_embeddings"] {
            assert!(p.facts.get(absent).is_none(), "{absent}");
        }
        assert_eq!(p.facts["quantization"], serde_json::json!({"bits": 4}));
        let p = run(
            "config.json",
            r#"{"quantization_config":{"quant_method":"bitsandbytes","bits":"4"}}"#,
        );
        assert_eq!(
            p.facts["quantization"],
            serde_json::json!({"quant_method": "bitsandbytes"})
        );
        let p = run(
            "config.json",
            r#"{"quantization_config":{"quant_method":"bitsandbytes","load_in_4bit":true,
                "load_in_8bit":false,"bnb_4bit_quant_type":"nf4"}}"#,
        );
        assert_eq!(
            p.facts["quantization"],
            serde_json::json!({"quant_method": "bitsandbytes", "bits": 4, "type": "nf4"})
        );
        let p = run(
            "config.json",
            r#"{"quantization_config":{"quant_method":"awq","w_bit":4,"q_group_size":128}}"#,
        );
        assert_eq!(
            p.facts["quantization"],
            serde_json::json!({"quant_method": "awq", "bits": 4})
        );
    }

    #[test]
    fn model_max_length_only_when_it_is_a_limit() {
        let len = |json: &str| {
            run("tokenizer_config.json", json)
                .facts
                .get("model_max_length")
                .cloned()
        };
        assert_eq!(len(r#"{"model_max_length":8192}"#), Some(8192.into()));
        assert_eq!(len(r#"{"model_max_length":512.0}"#), Some(512.into()));
        assert_eq!(
            len(r#"{"model_max_length":1000000000000000019884624838656}"#),
            None
        );
        assert_eq!(len(r#"{"model_max_length":1e30}"#), None);
        assert_eq!(len(r#"{"model_max_length":1000000000000}"#), None);
        assert_eq!(len(r#"{"model_max_length":-1}"#), None);
        assert_eq!(len(r#"{"model_max_length":12.5}"#), None);
        assert_eq!(len(r#"{"model_max_length":"2048"}"#), None);
    }

    #[test]
    fn templates_in_tokenizer_configs_are_checked() {
        let p = run(
            "tokenizer_config.json",
            r#"{"chat_template":[{"name":"default","template":"{{ messages }}"},{"name":"tool_use","template":"{{ cycler.__init__.__globals__ }}"}]}"#,
        );
        assert_eq!(ids(&p), vec!["MV703"]);
        let p = run(
            "tokenizer_config.json",
            r#"{"chat_template":"{% for m in messages %}{{ m.content }}{% endfor %}"}"#,
        );
        assert!(ids(&p).is_empty());
    }

    #[test]
    fn python_files_and_indexes() {
        assert_eq!(ids(&run("x/modeling_x.py", "print(1)\n")), vec!["MV1002"]);
        let mut p = Parsed::default();
        let idx = inspect(
            Role::ShardIndex,
            "model.safetensors.index.json",
            br#"{"metadata":{"total_size":8},"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}}"#,
            &Policy::new(),
            &mut p,
        )
        .unwrap();
        assert_eq!(idx.weight_map.len(), 2);
        assert_eq!(p.facts["shard_count"], 2);
    }

    #[test]
    fn model_card_goes_to_the_card_reader() {
        let p = run(
            "m/README.md",
            "---\nlicense: apache-2.0\ndatasets:\n  - squad\n  - 'glue'\ntags: [a, b]\nextra: x\n---\n# Title\n",
        );
        let card = &p.facts["model_card"];
        assert_eq!(card["license"], "apache-2.0");
        assert_eq!(card["datasets"], serde_json::json!(["squad", "glue"]));
        assert_eq!(card["tags"], serde_json::json!(["a", "b"]));
        assert!(card.get("extra").is_none());
        assert!(run("m/README.md", "# no front matter\n").facts.is_empty());
    }
}
