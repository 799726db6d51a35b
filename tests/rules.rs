//! Every rule in the catalog fires on an input made for it, and the benign corpus raises
//! none except the two that describe benign content by design (MV104 framework classes,
//! MV202 TorchScript code listing).

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::*;
use modelvet::rules::CATALOG;

fn rules_fired(path: &std::path::Path) -> BTreeSet<&'static str> {
    scan(&[path])
        .artifacts
        .iter()
        .flat_map(|a| a.findings.iter().map(|f| f.rule))
        .collect()
}

/// The rules `modelvet inventory` raises on a source tree (MV14xx live there, not in scan).
fn inventory_rules_fired(path: &std::path::Path) -> BTreeSet<&'static str> {
    let opts = modelvet::scan::ScanOptions::new();
    modelvet::inventory::run(
        &[path.to_string_lossy().into_owned()],
        &opts,
        &modelvet::config::ModelPolicy::default(),
        modelvet::rules::Severity::Medium,
    )
    .expect("the tree exists")
    .report
    .artifacts
    .iter()
    .flat_map(|a| a.findings.iter().map(|f| f.rule))
    .collect()
}

/// Rules of `modelvet inventory`; MV1405 needs a policy (tests/inventory.rs fires it).
const INVENTORY_RULES: [&str; 5] = ["MV1401", "MV1402", "MV1403", "MV1404", "MV1405"];

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.path().join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn npy(header: &str, payload: &[u8]) -> Vec<u8> {
    let mut v = b"\x93NUMPY\x01\x00".to_vec();
    v.extend((header.len() as u16).to_le_bytes());
    v.extend(header.as_bytes());
    v.extend(payload);
    v
}

#[test]
fn every_rule_fires_on_its_input() {
    let dir = tempfile::tempdir().unwrap();
    // A torch zip whose data.pkl names storage 0 (4 floats = 16 bytes) but data/0 holds 8.
    let data_pkl = b"\x80\x02ccollections\nOrderedDict\n)R(X\x01\x00\x00\x00w(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000X\x03\x00\x00\x00cpuK\x04tQu.";
    let mismatch = write(
        &dir,
        "mismatch.pt",
        &stored_zip(&[
            ("m/data.pkl", data_pkl),
            ("m/data/0", &[0u8; 8]),
            ("m/version", b"3\n"),
        ]),
    );
    let ts = write(
        &dir,
        "ts.pt",
        &stored_zip(&[
            ("m/data.pkl", b"\x80\x02N."),
            ("m/constants.pkl", b"\x80\x02N."),
            (
                "m/code/__torch__/m.py",
                b"def forward(self):\n  torch.ops.load_library('x.so')\n",
            ),
        ]),
    );
    let traversal = write(
        &dir,
        "trav.zip",
        &stored_zip(&[("../../etc/evil.pkl", b"\x80\x02N.")]),
    );
    let mut broken = stored_zip(&[("a.pkl", b"\x80\x02N.")]);
    let n = broken.len();
    broken[n - 6..n - 2].copy_from_slice(&5u32.to_le_bytes()); // central directory offset -> garbage
    let broken = write(&dir, "broken.zip", &broken);
    let size = write(
        &dir,
        "size.npy",
        &npy(
            "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }",
            &[0u8; 8],
        ),
    );
    let header = write(
        &dir,
        "header.npy",
        &npy("{'descr': '<f4', 'shape': (4,), }", &[0u8; 16]),
    );
    let ext = write(&dir, "ext.pkl", b"\x80\x02\x82\x01.");
    let unknown = write(&dir, "unknown.pkl", b"\x80\x02cmypkg\nThing\n.");
    let framework_call = write(&dir, "fw.pkl", b"\x80\x02csklearn.utils\nload_it\n)R.");
    let persid = write(&dir, "persid.pkl", b"\x80\x02X\x01\x00\x00\x00aQ.");
    let trailing = write(&dir, "trailing.pkl", b"\x80\x02N.junk");
    let frame = write(
        &dir,
        "frame.pkl",
        b"\x80\x04\x95\x02\x00\x00\x00\x00\x00\x00\x00\x8c\x03abc.",
    );

    let cases: Vec<(&str, PathBuf)> = vec![
        ("MV101", fixture("malicious/evasion03_posix_system.pkl")),
        ("MV102", fixture("malicious/evasion13_io_fileio.pkl")),
        ("MV103", unknown),
        ("MV104", fixture("formats/rule_mv104_framework_class.pkl")),
        ("MV105", framework_call),
        (
            "MV106",
            fixture("malicious/evasion05_dynamic_stack_global.pkl"),
        ),
        ("MV107", ext),
        (
            "MV108",
            fixture("malicious/evasion15_setitem_os_environ.pkl"),
        ),
        ("MV109", fixture("malicious/evasion12_marshal_function.pkl")),
        ("MV110", fixture("malicious/evasion07_eof_after_reduce.pkl")),
        ("MV111", frame),
        ("MV112", trailing),
        ("MV113", persid),
        ("MV201", mismatch),
        ("MV202", fixture("real/silero_vad.jit")),
        ("MV203", ts),
        ("MV301", fixture("malicious/evasion10_duplicate_names.pt")),
        (
            "MV302",
            fixture("malicious/evasion10_local_name_differs.pt"),
        ),
        ("MV303", fixture("malicious/evasion10_crc_mismatch.pt")),
        ("MV304", fixture("malicious/evasion10_encrypted_flag.pt")),
        ("MV305", traversal),
        ("MV306", broken),
        ("MV401", fixture("malicious/evasion11_npy_object.npy")),
        ("MV402", size),
        ("MV403", header),
        (
            "MV501",
            fixture("malicious/evasion09_pickle_as.safetensors"),
        ),
        ("MV502", fixture("limits/gzip_bomb_300mb.pkl.gz")),
    ];
    // The format fixtures declare the rules they fire in the manifest.
    let mut cases = cases;
    for entry in manifest() {
        for rule in &entry.rules {
            let id = CATALOG
                .iter()
                .find(|r| r.id == rule)
                .expect("manifest names catalog rules")
                .id;
            cases.push((id, fixture(&entry.path)));
        }
    }
    // Rules that only a remote scan can raise fire in tests/remote_scan.rs.
    let remote_only = ["MV503"];
    // Policy rules fire only under a configured policy: tests/policy.rs fires each.
    let policy_only = ["MV1201", "MV1202", "MV1203", "MV1204", "MV1205"];
    let covered: BTreeSet<&str> = cases
        .iter()
        .map(|(r, _)| *r)
        .chain(remote_only)
        .chain(policy_only)
        .chain(INVENTORY_RULES)
        .collect();
    let all: BTreeSet<&str> = CATALOG.iter().map(|r| r.id).collect();
    assert_eq!(covered, all, "every catalog rule needs a firing case here");
    let mut misses = Vec::new();
    for (rule, path) in &cases {
        assert!(path.exists(), "{} missing", path.display());
        let fired = rules_fired(path);
        if !fired.contains(rule) {
            misses.push(format!(
                "{rule} did not fire on {} (fired: {fired:?})",
                path.display()
            ));
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

#[test]
fn every_rule_fires_on_the_example_its_catalog_entry_names() {
    // Rules that only a remote scan can raise have no local example; they fire in
    // tests/remote_scan.rs.
    let remote_only = ["MV503"];
    // Policy rules fire only under a configured policy: tests/policy.rs fires each.
    let policy_only = ["MV1201", "MV1202", "MV1203", "MV1204", "MV1205"];
    let mut misses = Vec::new();
    for rule in CATALOG {
        if rule.example.is_empty() {
            assert!(
                remote_only.contains(&rule.id)
                    || policy_only.contains(&rule.id)
                    || rule.id == "MV1405",
                "{} names no example",
                rule.id
            );
            continue;
        }
        let path = fixture(rule.example);
        assert!(
            path.exists(),
            "{}: example {} is missing",
            rule.id,
            path.display()
        );
        let fired = if INVENTORY_RULES.contains(&rule.id) {
            inventory_rules_fired(&path)
        } else {
            rules_fired(&path)
        };
        if !fired.contains(rule.id) {
            misses.push(format!(
                "{} did not fire on its example {} (fired: {fired:?})",
                rule.id, rule.example
            ));
        }
    }
    assert!(misses.is_empty(), "{}", misses.join("\n"));
}

#[test]
fn benign_corpus_is_quiet() {
    let mut fired = BTreeSet::new();
    for dir in ["benign", "real"] {
        fired.extend(rules_fired(&fixture(dir)));
    }
    let expected: BTreeSet<&str> = ["MV104", "MV202"].into_iter().collect();
    assert!(fired.is_subset(&expected), "benign files raised {fired:?}");
    // Benign format fixtures fire at most the (info or low) rules their entry declares.
    for entry in manifest()
        .iter()
        .filter(|e| e.expect == "benign" && e.path.starts_with("formats/"))
    {
        let fired = rules_fired(&fixture(&entry.path));
        let declared: BTreeSet<&str> = entry.rules.iter().map(String::as_str).collect();
        assert!(
            fired.is_subset(&declared),
            "benign {} raised {fired:?}, declares {declared:?}",
            entry.path
        );
    }
}

#[derive(serde::Deserialize)]
struct Entry {
    path: String,
    expect: String,
    #[serde(default)]
    rules: Vec<String>,
}

fn manifest() -> Vec<Entry> {
    let text = std::fs::read_to_string(fixture("manifest.json")).expect("manifest");
    serde_json::from_str(&text).expect("manifest parses")
}
