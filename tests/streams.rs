//! Standard input and named streams (FIFOs, `/dev/stdin`, process substitution) are read
//! as streams: never "empty, so clean", hashed over their real bytes, `-` given once.

mod common;

use std::io::Write;
use std::process::{Command, Output, Stdio};

use sha2::{Digest, Sha256};

fn scan_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // A usage error exits before reading standard input: the write may then meet a closed
    // pipe, which is that test's expected outcome, not a failure.
    if let Err(e) = child.stdin.take().unwrap().write_all(input) {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

fn report(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).expect("a JSON report")
}

#[test]
fn a_zip_on_standard_input_gets_its_real_sha256() {
    // Random-access formats are spooled and hashed on a second thread, from byte 0.
    let bytes = std::fs::read(common::fixture("malicious/evasion08_torch_zip_payload.pt")).unwrap();
    let out = scan_stdin(&["scan", "--no-config", "--format", "json", "-"], &bytes);
    assert_eq!(out.status.code(), Some(1));
    let doc = report(&out);
    let expected = modelvet::source::hex(&Sha256::digest(&bytes));
    assert_eq!(doc["artifacts"][0]["sha256"], expected.as_str());
    assert_eq!(doc["artifacts"][0]["size"], bytes.len() as u64);
}

#[test]
fn empty_standard_input_is_incomplete_not_clean() {
    let out = scan_stdin(&["scan", "--no-config", "--format", "json", "-"], b"");
    assert_eq!(out.status.code(), Some(2));
    let doc = report(&out);
    assert_eq!(doc["artifacts"][0]["status"], "incomplete");
    assert!(doc["artifacts"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("empty"));
}

#[test]
fn standard_input_given_twice_is_a_usage_error() {
    let out = scan_stdin(&["scan", "--no-config", "-", "-"], b"\x80\x02N.");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("can be given once"));
}

#[test]
fn a_fifo_is_read_as_a_stream() {
    // Before, a FIFO's zero length made it "empty, so clean": a malicious pickle behind a
    // pipe or process substitution passed with exit 0.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("model.fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let writer = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut f = std::fs::OpenOptions::new().write(true).open(fifo).unwrap();
            f.write_all(common::SYSTEM_PICKLE).unwrap();
        })
    };
    let (doc, code) = common::scan_json(&[&fifo]);
    writer.join().unwrap();
    assert_eq!(code, Some(1), "{doc:#}");
    let a = &doc["artifacts"][0];
    assert_eq!(a["format"], "pickle");
    assert_eq!(a["findings"][0]["severity"], "critical");
    let expected = modelvet::source::hex(&Sha256::digest(common::SYSTEM_PICKLE));
    assert_eq!(a["sha256"], expected.as_str());
}

#[test]
fn a_device_is_not_read_and_not_clean() {
    // /dev/zero never ends: it is reported as not read (incomplete), in bounded time.
    let (doc, code) = common::scan_json(&[std::path::Path::new("/dev/zero")]);
    assert_eq!(code, Some(2), "{doc:#}");
    assert!(doc["artifacts"][0]["reason"]
        .as_str()
        .unwrap()
        .contains("a device"));
}
