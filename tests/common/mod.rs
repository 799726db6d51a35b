//! Shared helpers for the integration tests.
#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use modelvet::policy::Policy;
use modelvet::report::{Report, Severity};
use modelvet::scan::{scan_inputs, ScanOptions};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(rel: &str) -> PathBuf {
    repo().join("testdata/fixtures").join(rel)
}

/// Scans through the library, as the CLI does, and builds the report.
pub fn scan(paths: &[&Path]) -> Report {
    let inputs: Vec<String> = paths
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    let opts = ScanOptions {
        cache: None,
        hash: true,
        policy: Policy::new(),
        progress: false,
        scope: Default::default(),
    };
    let artifacts = scan_inputs(&inputs, &opts).expect("inputs exist");
    modelvet::scan::build_report(inputs, artifacts, Severity::Medium)
}

pub fn worst(report: &Report) -> Option<Severity> {
    report
        .artifacts
        .iter()
        .filter_map(|a| a.worst_severity())
        .max()
}

pub fn modelvet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("binary runs")
}

fn load_schema(rel: &str) -> jsonschema::Validator {
    let text = std::fs::read_to_string(repo().join(rel)).expect("schema present");
    let mut schema: serde_json::Value = serde_json::from_str(&text).expect("schema is JSON");
    // The published SARIF 2.1.0 schema has one pattern that is not a valid regex
    // (`run.language`, an unbalanced `]`); replace it with the intended one. We never
    // emit that property.
    for owner in ["run", "toolComponent"] {
        if let Some(p) =
            schema.pointer_mut(&format!("/definitions/{owner}/properties/language/pattern"))
        {
            *p = serde_json::Value::String("^[a-zA-Z]{2}(-[a-zA-Z]{2})?$".into());
        }
    }
    jsonschema::validator_for(&schema).expect("schema compiles")
}

/// The schema errors of `doc`, with where they are.
fn schema_errors(v: &jsonschema::Validator, doc: &serde_json::Value) -> Vec<String> {
    v.iter_errors(doc)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

/// Validates a JSON report against schemas/report.schema.json.
pub fn assert_valid_report(json: &str) {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    let v = V.get_or_init(|| load_schema("schemas/report.schema.json"));
    let doc: serde_json::Value = serde_json::from_str(json).expect("report is JSON");
    let errors = schema_errors(v, &doc);
    assert!(errors.is_empty(), "report violates its schema: {errors:#?}");
}

/// Validates `modelvet verify --format json` output against schemas/verification.schema.json.
pub fn assert_valid_verification(doc: &serde_json::Value) {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    let v = V.get_or_init(|| load_schema("schemas/verification.schema.json"));
    let errors = schema_errors(v, doc);
    assert!(
        errors.is_empty(),
        "verification result violates its schema: {errors:#?}\n{doc:#}"
    );
}

/// Validates `modelvet inventory --format json` output against schemas/inventory.schema.json.
pub fn assert_valid_inventory(doc: &serde_json::Value) {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    let v = V.get_or_init(|| load_schema("schemas/inventory.schema.json"));
    let errors = schema_errors(v, doc);
    assert!(
        errors.is_empty(),
        "inventory violates its schema: {errors:#?}"
    );
}

/// Validates a SARIF log against the OASIS SARIF 2.1.0 schema (tests/schemas).
pub fn assert_valid_sarif(json: &str) {
    static V: OnceLock<jsonschema::Validator> = OnceLock::new();
    let v = V.get_or_init(|| load_schema("tests/schemas/sarif-2.1.0.json"));
    let doc: serde_json::Value = serde_json::from_str(json).expect("SARIF is JSON");
    let errors = schema_errors(v, &doc);
    assert!(
        errors.is_empty(),
        "SARIF violates the 2.1.0 schema: {errors:#?}"
    );
}

/// A minimal stored (uncompressed) zip writer for test inputs.
pub fn stored_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    build_zip(entries, false)
}

/// The same archive with every member deflated (method 8).
pub fn deflated_zip(entries: &[(&str, &[u8])]) -> Vec<u8> {
    build_zip(entries, true)
}

fn build_zip(entries: &[(&str, &[u8])], deflate: bool) -> Vec<u8> {
    let mut out = Vec::new();
    let mut central = Vec::new();
    for (name, data) in entries {
        let offset = out.len() as u32;
        let crc = {
            let mut c = flate2::Crc::new();
            c.update(data);
            c.sum()
        };
        let body = if deflate {
            let mut e = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::best());
            e.write_all(data).unwrap();
            e.finish().unwrap()
        } else {
            data.to_vec()
        };
        let method: u8 = if deflate { 8 } else { 0 };
        let mut local = Vec::new();
        local.extend(0x0403_4b50u32.to_le_bytes());
        local.extend([20, 0, 0, 0, method, 0, 0, 0, 0, 0]);
        local.extend(crc.to_le_bytes());
        local.extend((body.len() as u32).to_le_bytes());
        local.extend((data.len() as u32).to_le_bytes());
        local.extend((name.len() as u16).to_le_bytes());
        local.extend(0u16.to_le_bytes());
        local.extend(name.as_bytes());
        out.extend(&local);
        out.extend(&body);
        central.extend(0x0201_4b50u32.to_le_bytes());
        central.extend([20, 0, 20, 0, 0, 0, method, 0, 0, 0, 0, 0]);
        central.extend(crc.to_le_bytes());
        central.extend((body.len() as u32).to_le_bytes());
        central.extend((data.len() as u32).to_le_bytes());
        central.extend((name.len() as u16).to_le_bytes());
        central.extend([0u8; 12]);
        central.extend(offset.to_le_bytes());
        central.extend(name.as_bytes());
    }
    let cd_offset = out.len() as u32;
    out.extend(&central);
    out.extend(0x0605_4b50u32.to_le_bytes());
    out.extend([0u8; 4]);
    let n = entries.len().min(0xffff) as u16;
    out.extend(n.to_le_bytes());
    out.extend(n.to_le_bytes());
    out.extend((central.len() as u32).to_le_bytes());
    out.extend(cd_offset.to_le_bytes());
    out.extend(0u16.to_le_bytes());
    out
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// A ustar archive: (name, type flag, link target, data) per member.
pub fn tar_archive(entries: &[(&str, u8, &str, &[u8])]) -> Vec<u8> {
    let mut out = Vec::new();
    for (name, kind, link, data) in entries {
        let mut h = [0u8; 512];
        h[..name.len()].copy_from_slice(name.as_bytes());
        h[100..107].copy_from_slice(b"0000644");
        h[108..115].copy_from_slice(b"0000000");
        h[116..123].copy_from_slice(b"0000000");
        h[124..135].copy_from_slice(format!("{:011o}", data.len()).as_bytes());
        h[136..147].copy_from_slice(b"00000000000");
        h[156] = *kind;
        h[157..157 + link.len()].copy_from_slice(link.as_bytes());
        h[257..263].copy_from_slice(b"ustar\0");
        h[263..265].copy_from_slice(b"00");
        h[148..156].copy_from_slice(b"        ");
        let sum: u32 = h.iter().map(|&b| u32::from(b)).sum();
        h[148..155].copy_from_slice(format!("{sum:06o}\0").as_bytes());
        out.extend_from_slice(&h);
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
    }
    out.resize(out.len() + 1024, 0);
    out
}

/// Protocol 2 pickle calling os.system('echo x') (an inert payload).
pub const SYSTEM_PICKLE: &[u8] =
    b"\x80\x02cos\nsystem\nq\x00X\x06\x00\x00\x00echo xq\x01\x85q\x02Rq\x03.";

/// `modelvet scan --no-config --format json PATHS`: the report and the exit code.
pub fn scan_json(paths: &[&Path]) -> (serde_json::Value, Option<i32>) {
    let mut args = vec!["scan", "--no-config", "--format", "json"];
    let strings: Vec<&str> = paths
        .iter()
        .map(|p| p.to_str().expect("UTF-8 path"))
        .collect();
    args.extend(strings);
    let out = modelvet(&args);
    (
        serde_json::from_slice(&out.stdout).expect("a JSON report"),
        out.status.code(),
    )
}
