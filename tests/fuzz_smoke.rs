//! The fuzz targets' bodies (src/fuzzing.rs) on the stable toolchain: every target runs
//! over its seed fixtures from testdata/ and over deterministic mutations of them
//! (truncations, byte flips, spliced copies), and over every robustness input. Nothing may
//! panic. libFuzzer's coverage-guided runs are scripts/fuzz.sh (nightly).

use std::path::{Path, PathBuf};

use modelvet::fuzzing::TARGETS;

/// File-name endings that seed each target (as scripts/fuzz.sh seeds them).
fn seed_patterns(target: &str) -> &'static [&'static str] {
    match target {
        "pickle" => &[".pkl", ".p", ".joblib"],
        "zip" => &[".zip", ".pt", ".keras", ".pth"],
        "tar" => &[".tar"],
        "sevenz" => &[".7z"],
        "gguf" => &[".gguf"],
        "safetensors" => &[".safetensors"],
        "numpy" => &[".npy"],
        "onnx" => &[".onnx"],
        "hdf5" => &[".h5"],
        "keras_config" | "hub_json" => &[".json"],
        "yaml_card" => &[".md", ".yaml"],
        "chat_template" => &[".jinja", "tokenizer_config.json"],
        "savedmodel" => &[".pb"],
        "tf_metadata" => &[
            "fingerprint.pb",
            "keras_metadata.pb",
            "keras_metadata_lambda.pb",
        ],
        "xgboost" => &[".ubj", ".json"],
        "lightgbm" => &[".txt"],
        "tflite" => &[".tflite"],
        "catboost" => &[".cbm"],
        "sigstore_bundle" => &[".sig", ".sigstore"],
        "x509_pem" => &[".pem", ".crt"],
        "inventory_source" => &[".py", ".yaml", ".sh", "Dockerfile", "requirements.txt"],
        "verdict_cache" => &[".json", ".jsonl"],
        "scan_any" => &[""],
        other => panic!("no seeds named for the target {other}"),
    }
}

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            files_under(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn xorshift(mut state: u64) -> impl FnMut() -> u64 {
    move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    }
}

/// A few deterministic variants of `seed`.
fn mutations(seed: &[u8], next: &mut impl FnMut() -> u64) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    if seed.is_empty() {
        return out;
    }
    let at = |next: &mut dyn FnMut() -> u64| (next() % seed.len() as u64) as usize;
    out.push(seed[..at(next)].to_vec());
    for _ in 0..3 {
        let mut v = seed.to_vec();
        let i = at(next);
        v[i] ^= 1 << (next() % 8);
        out.push(v);
    }
    let mut v = seed.to_vec();
    let i = at(next);
    v[i..].fill(0xff);
    out.push(v);
    let (a, b) = (at(next), at(next));
    let (a, b) = (a.min(b), a.max(b));
    let mut v = seed[..b].to_vec();
    v.extend_from_slice(&seed[a..]);
    out.push(v);
    out
}

#[test]
fn every_target_survives_its_seeds_and_their_mutations() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut all = Vec::new();
    files_under(&root.join("fixtures"), &mut all);
    files_under(&root.join("interop"), &mut all);
    all.sort();
    let robustness: Vec<&PathBuf> = all
        .iter()
        .filter(|p| p.components().any(|c| c.as_os_str() == "robustness"))
        .collect();
    let mut next = xorshift(0x9e37_79b9_7f4a_7c15);
    let mut runs = 0usize;
    for (name, target) in TARGETS {
        let patterns = seed_patterns(name);
        let mut seeds: Vec<&PathBuf> = all
            .iter()
            .filter(|p| {
                let file = p.file_name().unwrap().to_string_lossy();
                patterns.iter().any(|pat| file.ends_with(pat))
                    && std::fs::metadata(p).is_ok_and(|m| m.len() <= 256 * 1024)
            })
            .collect();
        // scan_any takes every format: a spread sample keeps the debug build quick.
        if *name == "scan_any" {
            let step = (seeds.len() / 40).max(1);
            seeds = seeds.into_iter().step_by(step).collect();
        } else {
            seeds.truncate(40);
        }
        for path in seeds.iter().chain(robustness.iter().filter(|p| {
            // The larger robustness inputs are for their own parsers and the resource test.
            std::fs::metadata(p).is_ok_and(|m| m.len() <= 128 * 1024)
        })) {
            let data = std::fs::read(path).unwrap();
            target(&data);
            runs += 1;
            for variant in mutations(&data, &mut next) {
                target(&variant);
                runs += 1;
            }
        }
        target(&[]);
    }
    assert!(runs > 1000, "only {runs} runs: the seed corpus is missing");
    println!("{runs} target runs over seeds and mutations");
}

#[test]
fn every_fuzz_binary_has_a_library_target() {
    let manifest =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/Cargo.toml"))
            .unwrap();
    for (name, _) in TARGETS {
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "fuzz/Cargo.toml lacks the target {name}"
        );
        let body = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("fuzz/fuzz_targets/{name}.rs")),
        )
        .unwrap();
        assert!(body.contains("modelvet::fuzzing::"), "{name}");
    }
}
