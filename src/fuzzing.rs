//! One entry point per parser, for the cargo-fuzz targets in `fuzz/` and the stable smoke
//! test that runs the same functions (tests/fuzz_smoke.rs). Each takes arbitrary bytes,
//! runs one parser on them and throws the result away: what is checked is that nothing
//! panics, and (under libFuzzer's RSS limit) that memory stays bounded.
//!
//! Not an API: hidden from the documentation, and free to change with the parsers.

use std::sync::Arc;

use crate::formats::{
    catboost, gguf, hdf5, keras, lightgbm, numpy, onnx, pickle, safetensors, savedmodel, template,
    tf_metadata, tflite, xgboost,
};
use crate::hf::files::{self, Role};
use crate::policy::Policy;
use crate::scan::{self, NamedSource, ScanOptions};
use crate::source::{ByteStream, ReadAt};

/// One target: the name of its fuzz binary, and its body.
pub type Target = (&'static str, fn(&[u8]));

/// Every target, for the smoke test and the script.
pub const TARGETS: &[Target] = &[
    ("pickle", pickle_vm),
    ("zip", zip),
    ("tar", tar),
    ("sevenz", sevenz),
    ("gguf", gguf),
    ("safetensors", safetensors),
    ("numpy", numpy),
    ("onnx", onnx),
    ("hdf5", hdf5),
    ("keras_config", keras_config),
    ("yaml_card", yaml_card),
    ("chat_template", chat_template),
    ("savedmodel", savedmodel),
    ("tf_metadata", tf_metadata),
    ("xgboost", xgboost),
    ("lightgbm", lightgbm),
    ("tflite", tflite),
    ("catboost", catboost),
    ("hub_json", hub_json),
    ("sigstore_bundle", sigstore_bundle),
    ("x509_pem", x509_pem),
    ("inventory_source", inventory_source),
    ("verdict_cache", verdict_cache),
    ("scan_any", scan_any),
];

fn stream(data: &[u8]) -> ByteStream<&[u8]> {
    ByteStream::with_capacity(data, 4096)
}

pub fn pickle_vm(data: &[u8]) {
    let policy = Policy::default();
    for ctx in [
        pickle::PickleContext::Plain,
        pickle::PickleContext::TorchZip,
    ] {
        let scan = pickle::scan_stream(&mut stream(data), ctx, &policy);
        // The walker catches its own panics to keep its findings; the fuzzer must see them.
        assert!(
            !scan.internal_error,
            "the pickle walker panicked: {:?}",
            scan.incomplete
        );
        let _ = scan.facts(&policy, ctx);
    }
}

pub fn zip(data: &[u8]) {
    let src: Arc<dyn ReadAt> = Arc::new(data.to_vec());
    if let Ok(index) = crate::containers::zip::read_index(&src) {
        for entry in index.entries.iter().take(64) {
            let _ = entry.data(&src).read_exact_at(0, 0);
        }
    }
}

pub fn tar(data: &[u8]) {
    let mut s = stream(data);
    for _ in 0..1024 {
        match crate::containers::tar::next_entry(&mut s) {
            Ok(Some(entry)) => {
                if crate::containers::tar::finish_entry(&mut s, &entry).is_err() {
                    break;
                }
            }
            _ => break,
        }
    }
}

pub fn sevenz(data: &[u8]) {
    let src: Arc<dyn ReadAt> = Arc::new(data.to_vec());
    let packed = std::rc::Rc::new(std::cell::Cell::new(0));
    let _ = crate::containers::sevenz::for_each_member(src, packed, |_, member| {
        // A bounded read of each member, as the scanner's limits would allow.
        let mut sink = [0u8; 4096];
        let mut left = 1 << 20;
        while left > 0 {
            match member.read(&mut sink) {
                Ok(0) | Err(_) => break,
                Ok(n) => left -= n.min(left),
            }
        }
        true
    });
}

pub fn gguf(data: &[u8]) {
    let _ = gguf::scan_gguf(&mut stream(data));
}

/// `fingerprint.pb` and `keras_metadata.pb` readings of the same bytes.
pub fn tf_metadata(data: &[u8]) {
    let _ = tf_metadata::scan_both(data);
}

/// Both encodings of XGBoost models read the same bytes.
pub fn xgboost(data: &[u8]) {
    let _ = xgboost::scan_json(&mut stream(data));
    let _ = xgboost::scan_ubj(&mut stream(data));
}

pub fn lightgbm(data: &[u8]) {
    let _ = lightgbm::scan_lightgbm(&mut stream(data));
}

/// The inventory's readers of application files: Python (tree-sitter), YAML, JSON, TOML,
/// .env, shell and Dockerfiles, and requirement manifests.
pub fn inventory_source(data: &[u8]) {
    use crate::inventory::{python, text_files, Role};
    let mut parser = tree_sitter::Parser::new();
    parser
        .set_language(&tree_sitter_python::LANGUAGE.into())
        .expect("the bundled grammar matches");
    let _ = python::references(data, &mut parser);
    for role in [Role::Yaml, Role::Json, Role::Toml, Role::Env, Role::Shell] {
        let _ = text_files::references(role, data);
    }
    let _ = text_files::frameworks("requirements.txt", data);
    let _ = text_files::frameworks("pyproject.toml", data);
}

/// What a registry-scale run reads back: verdict cache entries (a shared folder other
/// processes write) and the heads of `--resume` records.
pub fn verdict_cache(data: &[u8]) {
    let _ = crate::verdict_cache::decode_any(data, "model.bin");
    let _ = crate::cli::batch::parse_record_head(data);
}

pub fn catboost(data: &[u8]) {
    let mut out = crate::format::Parsed::default();
    catboost::check_catboost_into(&data.to_vec(), &mut out);
}

pub fn tflite(data: &[u8]) {
    let mut out = crate::format::Parsed::default();
    tflite::check_tflite_into(&data.to_vec(), &mut out);
}

pub fn safetensors(data: &[u8]) {
    let _ = safetensors::scan_safetensors(&mut stream(data));
}

pub fn numpy(data: &[u8]) {
    let _ = numpy::check(&mut stream(data));
}

pub fn onnx(data: &[u8]) {
    let _ = onnx::scan_onnx(&mut stream(data), None);
}

pub fn hdf5(data: &[u8]) {
    let src = data.to_vec();
    let _ = hdf5::read_root_attributes_keeping(&src);
    let _ = keras::check_hdf5_model(&src);
}

pub fn keras_config(data: &[u8]) {
    let _ = keras::check_config(data, keras::ConfigSource::KerasV3Archive);
    let _ = keras::check_config(data, keras::ConfigSource::LegacyH5TrainingConfig);
    let _ = keras::check_metadata(data);
}

pub fn yaml_card(data: &[u8]) {
    let mut p = crate::format::Parsed::default();
    crate::hf::card::inspect(data, &mut p);
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = crate::formats::yaml::parse(text);
    }
}

pub fn chat_template(data: &[u8]) {
    let mut p = crate::format::Parsed::default();
    template::check(data, "chat_template.jinja", None, &mut p);
}

pub fn savedmodel(data: &[u8]) {
    let _ = savedmodel::scan_saved_model(&mut stream(data));
}

pub fn hub_json(data: &[u8]) {
    for (role, path) in [
        (Role::ModelConfig, "config.json"),
        (Role::TokenizerConfig, "tokenizer_config.json"),
        (Role::ShardIndex, "model.safetensors.index.json"),
        (Role::OtherConfig, "generation_config.json"),
        (Role::ProcessorChatTemplate, "processor_config.json"),
        (Role::LoaderYaml, "model_config.yaml"),
        (Role::MlflowModel, "MLmodel"),
    ] {
        let mut p = crate::format::Parsed::default();
        let _ = files::inspect(role, path, data, &crate::policy::Policy::new(), &mut p);
    }
}

pub fn sigstore_bundle(data: &[u8]) {
    let _ = crate::provenance::bundle::Bundle::from_json(data);
    let _ = crate::provenance::bundle::parse_statement(data);
}

pub fn x509_pem(data: &[u8]) {
    let _ = crate::provenance::pem::parse(data);
    let certs = crate::provenance::x509::parse_pem_certificates(data).unwrap_or_default();
    // The raw bytes as a DER certificate too, chained to themselves.
    let chain = if certs.is_empty() {
        vec![data.to_vec()]
    } else {
        certs
    };
    let _ = crate::provenance::x509::verify_chain(&chain, &chain[..1], 1_800_000_000);
}

/// The whole driver on one input: sniffing, every interpretation, containers, members.
/// A panic inside is caught by the driver and marks the file an internal error; here
/// that is turned back into a crash so the fuzzer sees it.
pub fn scan_any(data: &[u8]) {
    let opts = ScanOptions {
        cache: None,
        hash: false,
        policy: Policy::default(),
        progress: false,
        scope: Default::default(),
    };
    let sources = [NamedSource {
        path: "input".to_string(),
        source: Arc::new(data.to_vec()),
        content_id: None,
        cached: None,
    }];
    let artifacts = scan::scan_sources(&sources, &opts, 64 * 1024, |_, _| {});
    for a in &artifacts {
        if let Some(reason) = &a.reason {
            assert!(
                !reason.contains("internal error"),
                "the scanner panicked on this input: {reason}"
            );
        }
    }
}
