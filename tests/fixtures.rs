//! Every fixture in testdata/fixtures/manifest.json gets the verdict the manifest says:
//! malicious ones fail the default gate at or above their minimum severity, benign ones
//! pass with nothing above low. Every JSON and SARIF report is schema-validated.

mod common;

use common::*;
use modelvet::report::{self, Severity};

#[derive(serde::Deserialize)]
struct Entry {
    path: String,
    expect: String,
    min_severity: Option<String>,
    #[serde(default)]
    description: String,
    /// Rule ids that must all fire on this fixture.
    #[serde(default)]
    rules: Vec<String>,
    /// For skops files: the types `skops.io.get_untrusted_types` reported when the
    /// generator wrote the file.
    #[serde(default)]
    skops_untrusted: Option<Vec<String>>,
}

fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(fixture("manifest.json")).expect("run testdata/generate.py");
    serde_json::from_str(&text).expect("manifest parses")
}

#[test]
fn skops_untrusted_types_are_the_ones_skops_reports() {
    let mut checked = 0;
    for e in manifest() {
        let Some(expected) = &e.skops_untrusted else {
            continue;
        };
        let r = scan(&[&fixture(&e.path)]);
        let got = r.artifacts[0].facts.get("untrusted_types").cloned();
        assert_eq!(got, Some(serde_json::json!(expected)), "{}", e.path);
        checked += 1;
    }
    assert!(checked >= 5, "the manifest lists the skops fixtures");
}

#[test]
fn every_fixture_gets_its_expected_verdict() {
    let entries = manifest();
    assert!(entries.len() > 100, "the manifest lists the whole corpus");
    let mut failures = Vec::new();
    for e in &entries {
        let path = fixture(&e.path);
        assert!(path.exists(), "fixture {} is missing", e.path);
        let r = scan(&[&path]);
        let worst = worst(&r);
        let code = r.exit_code();
        let ok = match e.expect.as_str() {
            "malicious" => {
                let min = Severity::parse(e.min_severity.as_deref().unwrap_or("medium")).unwrap();
                code == 1 && worst.is_some_and(|w| w >= min)
            }
            "benign" => code == 0 && worst.is_none_or(|w| w <= Severity::Low),
            "incomplete" => code == 2,
            "incomplete-or-clean" => {
                (code == 0 || code == 2) && worst.is_none_or(|w| w <= Severity::Low)
            }
            "finding" => code == 1,
            "notice" => code == 0 && worst.is_some_and(|w| w <= Severity::Low),
            other => panic!("unknown expectation {other}"),
        };
        let fired: std::collections::BTreeSet<&str> = r
            .artifacts
            .iter()
            .flat_map(|a| a.findings.iter().map(|f| f.rule))
            .collect();
        let missing: Vec<&String> = e
            .rules
            .iter()
            .filter(|id| !fired.contains(id.as_str()))
            .collect();
        let ok = ok && missing.is_empty();
        if !ok {
            failures.push(format!(
                "{} (expect {} {:?}; got exit {code}, worst {worst:?}, missing rules {missing:?}) - {}",
                e.path, e.expect, e.min_severity, e.description
            ));
        }
        report::json::render(&r).pipe(|j| assert_valid_report(&j));
        report::sarif::render(&r).pipe(|s| assert_valid_sarif(&s));
    }
    assert!(
        failures.is_empty(),
        "{} fixture(s) misjudged:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn whole_corpus_scan_as_one_directory() {
    let r = scan(&[&fixture("malicious")]);
    assert_eq!(r.exit_code(), 1);
    let r = scan(&[&fixture("benign")]);
    assert_eq!(
        r.exit_code(),
        0,
        "{}",
        report::text::render(
            &r,
            &report::text::TextStyle {
                color: false,
                verbose: false
            }
        )
    );
    assert_valid_report(&report::json::render(&r));
}

trait Pipe: Sized {
    fn pipe<T>(self, f: impl FnOnce(Self) -> T) -> T {
        f(self)
    }
}
impl<T> Pipe for T {}

#[test]
fn a_hugging_face_folder_is_one_model_with_its_files() {
    // Scanned from above, the folder is found below the input and gets its own files only.
    let r = scan(&[&fixture("formats")]);
    let sharded: Vec<_> = r
        .models
        .iter()
        .filter(|m| m.path.ends_with("formats/hf_sharded_ok"))
        .collect();
    assert_eq!(sharded.len(), 1, "{:?}", r.models);
    let m = sharded[0];
    assert_eq!(m.layout, "huggingface");
    let on_disk = std::fs::read_dir(fixture("formats/hf_sharded_ok"))
        .unwrap()
        .count();
    assert_eq!(m.files.len(), on_disk);
    assert!(m.files.iter().all(|f| f.contains("hf_sharded_ok/")));
    assert_eq!(m.facts["architectures"][0], "LlamaForCausalLM");
    // The SavedModel folder is a model of its own layout.
    assert!(r
        .models
        .iter()
        .any(|m| m.layout == "saved-model" && m.path.ends_with("savedmodel/benign")));
}
