//! The calls that load a model, a dataset or code from elsewhere, by qualified name (the
//! module path the library documents, as imports resolve it), and where each takes the
//! model's name, revision and flags. Matching is on qualified names only: a function of
//! the application's own that happens to be called `from_pretrained` is not one.

use super::Kind;

/// Where a call takes a value: a position and the keywords it may be passed as.
pub(crate) struct Target {
    pub position: Option<usize>,
    pub keywords: &'static [&'static str],
}

/// How a loader reads.
pub(crate) struct Loader {
    pub kind: Kind,
    /// `huggingface`, `timm`, `open_clip`, `torch-hub`, `openai`, `anthropic`, ...
    pub provider: &'static str,
    /// The model or dataset name, when the call takes one.
    pub id: Option<Target>,
    /// The keyword that pins a revision.
    pub revision: Option<&'static str>,
    pub trust_remote_code: bool,
    /// `repo_type=` (`hf_hub_download`, `snapshot_download`).
    pub repo_type: bool,
    /// The keyword whose value decides whether the load can run code: `weights_only`
    /// (torch), `allow_pickle` (numpy), `safe_mode` (Keras).
    pub safety_keyword: Option<&'static str>,
}

/// How a qualified name is matched.
enum Pattern {
    Exact(&'static str),
    /// A method of anything under a module: `transformers.` ... `.from_pretrained`.
    Method {
        module: &'static str,
        method: &'static str,
    },
    /// A client method: `openai.` ... `()` ... `.create`.
    ClientCall {
        module: &'static str,
        method: &'static str,
    },
}

impl Pattern {
    /// The top-level module every name this pattern matches starts with.
    fn root(&self) -> &'static str {
        let name = match self {
            Pattern::Exact(e) => e,
            Pattern::Method { module, .. } | Pattern::ClientCall { module, .. } => module,
        };
        name.split('.').next().unwrap_or(name)
    }

    fn matches(&self, q: &str) -> bool {
        match self {
            Pattern::Exact(e) => q == *e,
            Pattern::Method { module, method } => {
                q.starts_with(module) && q.ends_with(method) && !q.contains("()")
            }
            Pattern::ClientCall { module, method } => {
                q.starts_with(module) && q.contains("().") && q.ends_with(method)
            }
        }
    }
}

const fn at(position: usize, keywords: &'static [&'static str]) -> Option<Target> {
    Some(Target {
        position: Some(position),
        keywords,
    })
}

const fn kw(keywords: &'static [&'static str]) -> Option<Target> {
    Some(Target {
        position: None,
        keywords,
    })
}

const fn hub(id: Option<Target>, trust: bool) -> Loader {
    Loader {
        kind: Kind::Model,
        provider: "huggingface",
        id,
        revision: Some("revision"),
        trust_remote_code: trust,
        repo_type: false,
        safety_keyword: None,
    }
}

const fn api(provider: &'static str, id: Option<Target>) -> Loader {
    Loader {
        kind: Kind::ApiModel,
        provider,
        id,
        revision: None,
        trust_remote_code: false,
        repo_type: false,
        safety_keyword: None,
    }
}

const fn unsafe_loader(safety_keyword: Option<&'static str>) -> Loader {
    Loader {
        kind: Kind::Loader,
        provider: "local",
        id: at(0, &["f", "file", "filename", "path", "filepath", "fname"]),
        revision: None,
        trust_remote_code: false,
        repo_type: false,
        safety_keyword,
    }
}

const PRETRAINED: &[&str] = &["pretrained_model_name_or_path"];

static LOADERS: &[(Pattern, Loader)] = &[
    // Hugging Face libraries.
    (
        Pattern::Exact("transformers.pipeline"),
        hub(at(1, &["model"]), true),
    ),
    (
        Pattern::Method {
            module: "transformers.",
            method: ".from_pretrained",
        },
        hub(at(0, PRETRAINED), true),
    ),
    (
        Pattern::Method {
            module: "diffusers.",
            method: ".from_pretrained",
        },
        hub(at(0, PRETRAINED), true),
    ),
    (
        Pattern::Method {
            module: "peft.AutoPeftModel",
            method: ".from_pretrained",
        },
        hub(at(0, PRETRAINED), false),
    ),
    (
        Pattern::Method {
            module: "peft.",
            method: ".from_pretrained",
        },
        hub(at(1, &["model_id"]), false),
    ),
    (
        Pattern::Exact("sentence_transformers.SentenceTransformer"),
        hub(at(0, &["model_name_or_path"]), true),
    ),
    (
        Pattern::Exact("sentence_transformers.CrossEncoder"),
        hub(at(0, &["model_name_or_path", "model_name"]), true),
    ),
    (
        Pattern::Exact("sentence_transformers.SparseEncoder"),
        hub(at(0, &["model_name_or_path"]), true),
    ),
    (
        Pattern::Exact("huggingface_hub.hf_hub_download"),
        Loader {
            repo_type: true,
            ..hub(at(0, &["repo_id"]), false)
        },
    ),
    (
        Pattern::Exact("huggingface_hub.snapshot_download"),
        Loader {
            repo_type: true,
            ..hub(at(0, &["repo_id"]), false)
        },
    ),
    (
        Pattern::Exact("huggingface_hub.HfApi().hf_hub_download"),
        Loader {
            repo_type: true,
            ..hub(kw(&["repo_id"]), false)
        },
    ),
    (
        Pattern::Exact("huggingface_hub.HfApi().snapshot_download"),
        Loader {
            repo_type: true,
            ..hub(kw(&["repo_id"]), false)
        },
    ),
    (
        Pattern::Exact("datasets.load_dataset"),
        Loader {
            kind: Kind::Dataset,
            ..hub(at(0, &["path"]), true)
        },
    ),
    (Pattern::Exact("vllm.LLM"), hub(at(0, &["model"]), true)),
    (
        Pattern::Exact("llama_cpp.Llama.from_pretrained"),
        hub(at(0, &["repo_id"]), false),
    ),
    (
        Pattern::Exact("mlx_lm.load"),
        hub(at(0, &["path_or_hf_repo"]), false),
    ),
    // Model zoos that resolve names to Hub repositories.
    (
        Pattern::Exact("timm.create_model"),
        Loader {
            provider: "timm",
            revision: None,
            ..hub(at(0, &["model_name"]), false)
        },
    ),
    (
        Pattern::Exact("open_clip.create_model_and_transforms"),
        Loader {
            provider: "open_clip",
            revision: None,
            ..hub(at(0, &["model_name"]), false)
        },
    ),
    (
        Pattern::Exact("open_clip.create_model_from_pretrained"),
        Loader {
            provider: "open_clip",
            revision: None,
            ..hub(at(0, &["model_name"]), false)
        },
    ),
    (
        Pattern::Exact("open_clip.create_model"),
        Loader {
            provider: "open_clip",
            revision: None,
            ..hub(at(0, &["model_name"]), false)
        },
    ),
    // torch.hub runs the repository's hubconf.py.
    (
        Pattern::Exact("torch.hub.load"),
        Loader {
            kind: Kind::CodeRepository,
            provider: "torch-hub",
            id: at(0, &["repo_or_dir"]),
            revision: None,
            trust_remote_code: false,
            repo_type: false,
            safety_keyword: Some("source"),
        },
    ),
    (
        Pattern::Exact("torch.hub.load_state_dict_from_url"),
        Loader {
            provider: "url",
            ..unsafe_loader(Some("weights_only"))
        },
    ),
    // Loaders that unpickle (or run Lambda code) from the file they are given.
    (
        Pattern::Exact("torch.load"),
        unsafe_loader(Some("weights_only")),
    ),
    (Pattern::Exact("pickle.load"), unsafe_loader(None)),
    (Pattern::Exact("pickle.loads"), unsafe_loader(None)),
    (Pattern::Exact("pickle.Unpickler"), unsafe_loader(None)),
    (Pattern::Exact("dill.load"), unsafe_loader(None)),
    (Pattern::Exact("dill.loads"), unsafe_loader(None)),
    (Pattern::Exact("cloudpickle.load"), unsafe_loader(None)),
    (Pattern::Exact("cloudpickle.loads"), unsafe_loader(None)),
    (Pattern::Exact("joblib.load"), unsafe_loader(None)),
    (Pattern::Exact("pandas.read_pickle"), unsafe_loader(None)),
    (
        Pattern::Exact("numpy.load"),
        unsafe_loader(Some("allow_pickle")),
    ),
    (
        Pattern::Exact("keras.models.load_model"),
        unsafe_loader(Some("safe_mode")),
    ),
    (
        Pattern::Exact("keras.saving.load_model"),
        unsafe_loader(Some("safe_mode")),
    ),
    (
        Pattern::Exact("tensorflow.keras.models.load_model"),
        unsafe_loader(Some("safe_mode")),
    ),
    (
        Pattern::Exact("tf_keras.models.load_model"),
        unsafe_loader(Some("safe_mode")),
    ),
    // Hosted models.
    (
        Pattern::ClientCall {
            module: "openai.",
            method: ".create",
        },
        api("openai", kw(&["model"])),
    ),
    (
        Pattern::Exact("openai.ChatCompletion.create"),
        api("openai", kw(&["model"])),
    ),
    (
        Pattern::ClientCall {
            module: "anthropic.",
            method: ".create",
        },
        api("anthropic", kw(&["model"])),
    ),
    (
        Pattern::ClientCall {
            module: "anthropic.",
            method: ".stream",
        },
        api("anthropic", kw(&["model"])),
    ),
    (
        Pattern::Exact("google.generativeai.GenerativeModel"),
        api("google", at(0, &["model_name"])),
    ),
    (
        Pattern::ClientCall {
            module: "google.genai.",
            method: ".generate_content",
        },
        api("google", kw(&["model"])),
    ),
    (
        Pattern::ClientCall {
            module: "mistralai.",
            method: ".complete",
        },
        api("mistral", kw(&["model"])),
    ),
    (
        Pattern::ClientCall {
            module: "cohere.",
            method: ".chat",
        },
        api("cohere", kw(&["model"])),
    ),
    (
        Pattern::Exact("langchain_openai.ChatOpenAI"),
        api("openai", kw(&["model", "model_name"])),
    ),
    (
        Pattern::Exact("langchain_anthropic.ChatAnthropic"),
        api("anthropic", kw(&["model", "model_name"])),
    ),
    (
        Pattern::Exact("langchain_openai.AzureChatOpenAI"),
        api(
            "azure-openai",
            kw(&["model", "azure_deployment", "deployment_name"]),
        ),
    ),
    (
        Pattern::Exact("langchain_openai.OpenAIEmbeddings"),
        api("openai", kw(&["model"])),
    ),
    (
        Pattern::Exact("langchain_google_genai.ChatGoogleGenerativeAI"),
        api("google", kw(&["model"])),
    ),
    (
        Pattern::Exact("langchain_google_vertexai.ChatVertexAI"),
        api("google-vertex", kw(&["model", "model_name"])),
    ),
    (
        Pattern::Exact("langchain_aws.ChatBedrock"),
        api("bedrock", kw(&["model_id", "model"])),
    ),
    (
        Pattern::Exact("langchain_aws.ChatBedrockConverse"),
        api("bedrock", kw(&["model_id", "model"])),
    ),
    (
        Pattern::Exact("langchain_mistralai.ChatMistralAI"),
        api("mistral", kw(&["model", "model_name"])),
    ),
    (
        Pattern::Exact("langchain_cohere.ChatCohere"),
        api("cohere", kw(&["model"])),
    ),
    (
        Pattern::Exact("langchain_ollama.ChatOllama"),
        api("ollama", kw(&["model"])),
    ),
    (
        Pattern::Exact("langchain_ollama.OllamaLLM"),
        api("ollama", kw(&["model"])),
    ),
    (
        Pattern::Exact("langchain_community.llms.Ollama"),
        api("ollama", kw(&["model"])),
    ),
    (
        Pattern::Exact("langchain_community.chat_models.ChatOllama"),
        api("ollama", kw(&["model"])),
    ),
    (
        Pattern::Exact("langchain_huggingface.HuggingFacePipeline.from_model_id"),
        hub(kw(&["model_id"]), false),
    ),
    (
        Pattern::Exact("langchain_huggingface.HuggingFaceEmbeddings"),
        hub(kw(&["model_name"]), false),
    ),
    // LlamaIndex model classes.
    (
        Pattern::Exact("llama_index.llms.openai.OpenAI"),
        api("openai", kw(&["model"])),
    ),
    (
        Pattern::Exact("llama_index.llms.anthropic.Anthropic"),
        api("anthropic", kw(&["model"])),
    ),
    (
        Pattern::Exact("llama_index.llms.ollama.Ollama"),
        api("ollama", kw(&["model"])),
    ),
    (
        Pattern::Exact("llama_index.llms.bedrock.Bedrock"),
        api("bedrock", kw(&["model"])),
    ),
    (
        Pattern::Exact("llama_index.llms.mistralai.MistralAI"),
        api("mistral", kw(&["model"])),
    ),
    (
        Pattern::Exact("llama_index.embeddings.openai.OpenAIEmbedding"),
        api("openai", kw(&["model", "model_name"])),
    ),
    (
        Pattern::Exact("llama_index.llms.huggingface.HuggingFaceLLM"),
        hub(kw(&["model_name"]), false),
    ),
    (
        Pattern::Exact("llama_index.embeddings.huggingface.HuggingFaceEmbedding"),
        hub(kw(&["model_name"]), false),
    ),
    // Google Vertex AI and AWS Bedrock.
    (
        Pattern::Exact("vertexai.generative_models.GenerativeModel"),
        api("google-vertex", at(0, &["model_name"])),
    ),
    (
        Pattern::Exact("vertexai.preview.generative_models.GenerativeModel"),
        api("google-vertex", at(0, &["model_name"])),
    ),
    (
        Pattern::ClientCall {
            module: "boto3.",
            method: ".invoke_model",
        },
        api("bedrock", kw(&["modelId"])),
    ),
    (
        Pattern::ClientCall {
            module: "boto3.",
            method: ".invoke_model_with_response_stream",
        },
        api("bedrock", kw(&["modelId"])),
    ),
    (
        Pattern::ClientCall {
            module: "boto3.",
            method: ".converse",
        },
        api("bedrock", kw(&["modelId"])),
    ),
    (
        Pattern::ClientCall {
            module: "boto3.",
            method: ".converse_stream",
        },
        api("bedrock", kw(&["modelId"])),
    ),
    (
        Pattern::Exact("ollama.chat"),
        api("ollama", at(0, &["model"])),
    ),
    (
        Pattern::Exact("ollama.generate"),
        api("ollama", at(0, &["model"])),
    ),
    (
        Pattern::Exact("ollama.pull"),
        api("ollama", at(0, &["model"])),
    ),
    (
        Pattern::ClientCall {
            module: "ollama.",
            method: ".chat",
        },
        api("ollama", kw(&["model"])),
    ),
];

/// Constructors whose objects the analysis follows (`client = OpenAI()`).
const CLIENTS: &[&str] = &[
    "openai.OpenAI",
    "openai.AsyncOpenAI",
    "openai.AzureOpenAI",
    "openai.AsyncAzureOpenAI",
    "anthropic.Anthropic",
    "anthropic.AsyncAnthropic",
    "anthropic.AnthropicBedrock",
    "anthropic.AnthropicVertex",
    "google.genai.Client",
    "mistralai.Mistral",
    "cohere.Client",
    "cohere.ClientV2",
    "ollama.Client",
    "huggingface_hub.HfApi",
    "boto3.client",
];

pub(crate) fn is_client(qualified: &str) -> bool {
    CLIENTS.contains(&qualified)
}

/// Whether a file can hold a reference at all: a qualified name starts from an import of
/// one of the loaders' top-level modules, so a file that never spells one of them needs no
/// parse. One pass over the bytes (Aho-Corasick).
pub(crate) fn may_reference(source: &[u8]) -> bool {
    static ROOTS: std::sync::OnceLock<aho_corasick::AhoCorasick> = std::sync::OnceLock::new();
    ROOTS
        .get_or_init(|| {
            let mut roots: Vec<&str> = LOADERS.iter().map(|(p, _)| p.root()).collect();
            roots.extend(CLIENTS.iter().map(|c| c.split('.').next().unwrap_or(c)));
            roots.sort_unstable();
            roots.dedup();
            aho_corasick::AhoCorasick::new(roots).expect("module names build an automaton")
        })
        .is_match(source)
}

/// The loader a qualified call name is, if any (the first match in table order).
pub(crate) fn find(qualified: &str) -> Option<&'static Loader> {
    LOADERS
        .iter()
        .find(|(p, _)| p.matches(qualified))
        .map(|(_, l)| l)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_that_name_no_loader_module_need_no_parse() {
        assert!(may_reference(b"import transformers\n"));
        assert!(may_reference(b"from openai import OpenAI\n"));
        assert!(!may_reference(b"import json\nprint('hello')\n"));
    }

    #[test]
    fn patterns_match_qualified_names_only() {
        assert!(find("transformers.AutoModelForCausalLM.from_pretrained").is_some());
        assert!(find("transformers.AutoConfig.from_pretrained").is_some());
        assert!(find("mylib.Model.from_pretrained").is_none());
        assert!(find("openai.OpenAI().chat.completions.create").is_some());
        assert!(find("openai.OpenAI.create").is_none());
        assert_eq!(
            find("peft.PeftModel.from_pretrained")
                .unwrap()
                .id
                .as_ref()
                .unwrap()
                .position,
            Some(1)
        );
        assert_eq!(
            find("peft.AutoPeftModelForCausalLM.from_pretrained")
                .unwrap()
                .id
                .as_ref()
                .unwrap()
                .position,
            Some(0)
        );
    }
}
