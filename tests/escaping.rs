//! Names from inside files reach the text report and the progress line escaped: a member
//! or file name cannot print a line of its own (a GitHub Actions command, a forged
//! `clean` line) or a terminal escape sequence.

mod common;

const HOSTILE: &str =
    "x.pkl\n::error title=injected::forged\r\u{1b}]0;pwned\u{7}\u{1b}[2J\u{202e}lkp.";

fn assert_inert(text: &str) {
    assert!(
        !text.contains('\u{1b}'),
        "ESC reached the output:\n{text:?}"
    );
    assert!(!text.contains('\r'), "CR reached the output:\n{text:?}");
    assert!(!text.contains('\u{7}'), "BEL reached the output:\n{text:?}");
    assert!(
        !text.contains('\u{202e}'),
        "a bidi override reached the output:\n{text:?}"
    );
    for line in text.lines() {
        assert!(
            !line.trim_start().starts_with("::"),
            "a line starts with a workflow command: {line:?}"
        );
        assert!(!line.starts_with("forged"), "a forged line: {line:?}");
    }
}

/// A zip whose only member, named [`HOSTILE`], calls os.system.
fn hostile_zip(dir: &tempfile::TempDir) -> std::path::PathBuf {
    let path = dir.path().join("model.zip");
    std::fs::write(
        &path,
        common::stored_zip(&[(HOSTILE, common::SYSTEM_PICKLE)]),
    )
    .unwrap();
    path
}

fn scan_text(path: &std::path::Path) -> (String, Option<i32>) {
    let out = common::modelvet(&["scan", "--no-config", "-v", path.to_str().unwrap()]);
    (
        String::from_utf8(out.stdout).expect("utf-8"),
        out.status.code(),
    )
}

#[test]
fn zip_member_names_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_zip(&dir);
    let (text, code) = scan_text(&path);
    assert_eq!(code, Some(1), "{text}");
    assert_inert(&text);
    assert!(
        text.contains("x.pkl\\n::error title=injected::forged\\r\\u{1b}]0;pwned"),
        "{text}"
    );
    assert!(
        text.contains("MV101") || text.contains("critical"),
        "{text}"
    );
}

#[test]
fn tar_member_names_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("model.tar");
    let tar = common::tar_archive(&[(
        "a\n::error ::b\u{1b}[31m.pkl",
        b'0',
        "",
        common::SYSTEM_PICKLE,
    )]);
    std::fs::write(&path, tar).unwrap();
    let (text, code) = scan_text(&path);
    assert_eq!(code, Some(1), "{text}");
    assert_inert(&text);
    assert!(text.contains("a\\n::error ::b\\u{1b}[31m.pkl"), "{text}");
}

#[test]
fn file_names_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let name = "evil\n::error title=x::y\r\u{1b}[2Jname.pkl";
    std::fs::write(dir.path().join(name), common::SYSTEM_PICKLE).unwrap();
    std::fs::write(dir.path().join("clean\u{1b}]0;t\u{7}.json"), b"{}").unwrap();
    let (text, code) = scan_text(dir.path());
    assert_eq!(code, Some(1), "{text}");
    assert_inert(&text);
    assert!(
        text.contains("evil\\n::error title=x::y\\r\\u{1b}[2Jname.pkl"),
        "{text}"
    );
}

#[test]
fn json_keeps_the_raw_name() {
    // JSON escapes through its serialiser; the name itself is reported exactly.
    let dir = tempfile::tempdir().unwrap();
    let path = hostile_zip(&dir);
    let (doc, _) = common::scan_json(&[&path]);
    let members: Vec<&str> = doc["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|a| a["member"].as_str())
        .collect();
    assert_eq!(members, vec![HOSTILE]);
}
