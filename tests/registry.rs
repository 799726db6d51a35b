//! The format registry as the driver uses it: every probe runs, tail probes find a zip
//! behind prepended bytes, and other accepting formats are reported.

mod common;

#[test]
fn a_zip_behind_prepended_bytes_is_found_by_its_end_record_and_scanned() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.bin");
    // Random-looking bytes first: no head probe accepts them.
    let mut data: Vec<u8> = (0..3000u32)
        .map(|i| (i * 7919 % 251) as u8 | 0x80)
        .collect();
    let prepended = data.len();
    data.extend(common::stored_zip(&[(
        "archive/data.pkl",
        common::SYSTEM_PICKLE,
    )]));
    std::fs::write(&path, &data).unwrap();
    let (doc, code) = common::scan_json(&[&path]);
    assert_eq!(code, Some(1), "{doc:#}");
    let arts = doc["artifacts"].as_array().unwrap();
    assert_eq!(arts[0]["format"], "torch-zip", "{doc:#}");
    let messages: Vec<&str> = arts[0]["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains(&format!("starts {prepended} bytes into the file"))),
        "{messages:?}"
    );
    let pickle = arts
        .iter()
        .find(|a| a["member"] == "archive/data.pkl")
        .expect("member scanned");
    assert_eq!(pickle["findings"][0]["severity"], "critical");
}

#[test]
fn an_ordinary_zip_has_no_prepended_data_finding() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.zip");
    std::fs::write(&path, common::stored_zip(&[("a.txt", b"hello")])).unwrap();
    let (doc, code) = common::scan_json(&[&path]);
    assert_eq!(code, Some(0), "{doc:#}");
    assert!(doc["artifacts"][0]["findings"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[test]
fn a_polyglot_reports_every_format_that_accepts_it() {
    // A protocol-0 pickle whose first two bytes also form a valid zlib header: parsed as
    // the pickle, with zlib named as another reading.
    let fixture = common::fixture("malicious/evasion06_inst.pkl");
    let (doc, _) = common::scan_json(&[&fixture]);
    assert_eq!(doc["artifacts"][0]["format"], "pickle");
    assert_eq!(
        doc["artifacts"][0]["facts"]["also_accepted_as"],
        serde_json::json!(["zlib"])
    );
    // A legacy torch checkpoint is a pickle too, but that is no other reading.
    let (doc, _) = common::scan_json(&[&common::fixture("benign/torch_legacy_state_dict.pt")]);
    assert_eq!(doc["artifacts"][0]["format"], "torch-legacy");
    assert!(doc["artifacts"][0]["facts"]
        .get("also_accepted_as")
        .is_none());
}
