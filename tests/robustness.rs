//! Hostile-input robustness of the format parsers added for safetensors, GGUF, ONNX,
//! Keras, HDF5 and SavedModel: every valid fixture, cut at every byte of its first
//! kilobytes and at spaced points after, and with bytes overwritten, must end in a clear
//! status. A cut file is never reported clean; nothing panics (a panic would surface as
//! an internal error); nothing hangs (the whole suite is timed).

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;
use modelvet::report::{Report, Status};

#[derive(serde::Deserialize)]
struct Entry {
    path: String,
    expect: String,
}

/// Benign single-file fixtures of the formats in this suite.
fn valid_fixtures() -> Vec<String> {
    let text = std::fs::read_to_string(fixture("manifest.json")).expect("manifest");
    let entries: Vec<Entry> = serde_json::from_str(&text).expect("manifest parses");
    entries
        .into_iter()
        .filter(|e| e.expect == "benign" && e.path.starts_with("formats/"))
        .map(|e| e.path)
        .filter(|p| fixture(p).is_file())
        .collect()
}

fn scan_bytes(dir: &Path, name: &str, bytes: &[u8]) -> Report {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    scan(&[&path])
}

/// Offsets where a top-level protobuf field ends. Protobuf has no end marker, so a file
/// cut exactly there is a smaller valid message; the parsers can only notice that
/// required fields are gone, which the trailing optional ones are not.
fn protobuf_field_ends(b: &[u8]) -> Vec<usize> {
    fn varint(b: &[u8], i: &mut usize) -> Option<u64> {
        let mut v = 0u64;
        for shift in (0..70).step_by(7) {
            let c = *b.get(*i)?;
            *i += 1;
            v |= u64::from(c & 0x7f) << shift.min(63);
            if c & 0x80 == 0 {
                return Some(v);
            }
        }
        None
    }
    let mut ends = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let Some(tag) = varint(b, &mut i) else { break };
        let len = match tag & 7 {
            0 => varint(b, &mut i).map(|_| 0),
            1 => Some(8),
            2 => varint(b, &mut i),
            5 => Some(4),
            _ => None,
        };
        let Some(len) = len else { break };
        i = i.saturating_add(len as usize);
        ends.push(i);
    }
    ends
}

fn cut_points(len: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = (0..len.min(1024)).collect();
    let mut c = 1024;
    while c < len {
        cuts.push(c);
        c += 97;
    }
    cuts.push(len - 1);
    cuts
}

#[test]
fn every_truncation_of_a_valid_file_is_never_clean() {
    let fixtures = valid_fixtures();
    assert!(
        fixtures.len() >= 4,
        "valid format fixtures exist: {fixtures:?}"
    );
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let mut failures = Vec::new();
    let mut swept = 0;
    for rel in &fixtures {
        let bytes = std::fs::read(fixture(rel)).unwrap();
        let name = rel.rsplit('/').next().unwrap();
        let whole = scan_bytes(dir.path(), name, &bytes);
        if whole.exit_code() != 0 {
            // Files that need their siblings (ONNX external data) are not clean alone.
            eprintln!("skipped {rel}: not clean without the files beside it");
            continue;
        }
        swept += 1;
        let field_ends = if rel.ends_with(".onnx") || rel.ends_with(".pb") {
            protobuf_field_ends(&bytes)
        } else {
            Vec::new()
        };
        // Text formats are told from other text by a leading signature; shorter cuts are
        // plain text to every loader, not a model.
        let signature = if rel.ends_with(".txt") {
            "tree\nversion=v".len()
        } else if rel.ends_with(".json") {
            "{\"learner\":".len()
        } else {
            0
        };
        for cut in cut_points(bytes.len()) {
            if field_ends.contains(&cut) || cut < signature {
                continue;
            }
            let r = scan_bytes(dir.path(), name, &bytes[..cut]);
            let internal = r.artifacts.iter().any(|a| a.internal_error);
            if internal || r.exit_code() == 0 {
                failures.push(format!(
                    "{rel} cut at {cut}/{}: exit {}, statuses {:?}",
                    bytes.len(),
                    r.exit_code(),
                    r.artifacts
                        .iter()
                        .map(|a| (a.path.as_str(), a.status, a.reason.clone()))
                        .collect::<Vec<_>>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} truncation(s) misjudged:\n{}",
        failures.len(),
        failures
            .iter()
            .take(30)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    assert!(swept >= 8, "only {swept} fixtures were swept");
    assert!(
        started.elapsed() < Duration::from_secs(300),
        "truncation sweep took {:?}",
        started.elapsed()
    );
}

#[test]
fn overwritten_bytes_end_in_a_status_without_internal_errors() {
    let dir = tempfile::tempdir().unwrap();
    let mut state: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for rel in valid_fixtures() {
        let bytes = std::fs::read(fixture(&rel)).unwrap();
        let name = rel.rsplit('/').next().unwrap();
        // Structure sits at the start (and, for zips, the end): aim there.
        let hot = bytes.len().min(2048);
        for _ in 0..300 {
            let mut b = bytes.clone();
            for _ in 0..1 + next() % 4 {
                let r = next() as usize;
                let i = if r.is_multiple_of(4) && bytes.len() > hot {
                    bytes.len() - 1 - r / 4 % hot.min(bytes.len())
                } else {
                    r / 4 % hot
                };
                b[i] = (next() >> 8) as u8;
            }
            let started = Instant::now();
            let r = scan_bytes(dir.path(), name, &b);
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{rel}: a mutated copy took {:?}",
                started.elapsed()
            );
            for a in &r.artifacts {
                assert!(!a.internal_error, "{rel}: internal error on a mutated copy");
                assert!(
                    a.status == Status::Complete || a.reason.is_some(),
                    "{rel}: {} is {:?} without a reason",
                    a.path,
                    a.status
                );
            }
        }
    }
}
