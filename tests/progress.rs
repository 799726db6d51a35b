//! The progress line on a terminal: files and bytes, the phase, and nothing left behind
//! when the user presses Ctrl-C. A pseudo-terminal comes from util-linux's `script`; the
//! test says so and passes only where that tool is missing.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn script_available() -> bool {
    Command::new("script")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

#[test]
fn progress_counts_files_and_bytes_and_ctrl_c_clears_it() {
    if !script_available() {
        eprintln!("skipped: util-linux `script` (a pseudo-terminal) is not installed");
        return;
    }
    let bin = env!("CARGO_BIN_EXE_modelvet");
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/fixtures/benign");
    let out = Command::new("script")
        .args(["-qec", &format!("{bin} scan {fixtures}"), "/dev/null"])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    // Workers start in parallel, so the first line painted may count more than one file.
    assert!(text.contains("\r\x1b[2K["), "{text:?}");
    let total = std::fs::read_dir(fixtures).unwrap().count();
    assert!(text.contains(&format!("/{total} files, ")), "{text:?}");
    assert!(text.contains(" files, "), "{text:?}");
    assert!(text.contains("] parsing "), "{text:?}");

    // A FIFO nobody writes to: the scan waits on it until Ctrl-C.
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("stuck");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let log = dir.path().join("tty.log");
    let mut child = Command::new("script")
        .args([
            "-qfec",
            &format!("exec {bin} scan {}", fifo.display()),
            &log.display().to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // script's child is the shell that exec'd into modelvet.
    let started = Instant::now();
    let scanner = loop {
        let children = std::fs::read_to_string(format!("/proc/{0}/task/{0}/children", child.id()))
            .unwrap_or_default();
        let pid = children.split_whitespace().next().map(str::to_string);
        let ready = pid.as_ref().is_some_and(|p| {
            std::fs::read_to_string(format!("/proc/{p}/comm")).is_ok_and(|c| c.trim() == "modelvet")
                && std::fs::read(&log).is_ok_and(|l| l.windows(7).any(|w| w == b"parsing"))
        });
        if ready {
            break pid.unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "the scan never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(Command::new("kill")
        .args(["-INT", &scanner])
        .status()
        .unwrap()
        .success());
    let status = child.wait().unwrap();
    assert_eq!(
        status.code(),
        Some(130),
        "the exit code of an interrupted run"
    );
    let tty = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    let last_line = tty.rfind("] parsing ").expect("a progress line was shown");
    assert!(
        tty[last_line..].contains("\r\x1b[2K"),
        "the progress line was not cleared: {tty:?}"
    );
}
