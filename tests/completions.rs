//! Shell completions and man pages come from the clap definitions (`modelvet completions`,
//! `modelvet man`). The copies the wheel installs under share/ (python/wheel-data) must
//! be exactly what the binary prints; `MODELVET_UPDATE_GOLDEN=1` rewrites them.

use std::path::{Path, PathBuf};
use std::process::Command;

const SHARE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/python/wheel-data/data/share");

fn modelvet(args: &[&str]) -> Vec<u8> {
    let out = Command::new(env!("CARGO_BIN_EXE_modelvet"))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn check_or_update(path: &Path, expected: &[u8]) {
    if std::env::var_os("MODELVET_UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, expected).unwrap();
        return;
    }
    let committed = std::fs::read(path).unwrap_or_else(|e| {
        panic!(
            "{}: {e} (MODELVET_UPDATE_GOLDEN=1 cargo test --test completions writes it)",
            path.display()
        )
    });
    assert!(
        committed == expected,
        "{} differs from the binary's output; MODELVET_UPDATE_GOLDEN=1 cargo test --test completions rewrites it",
        path.display()
    );
}

#[test]
fn completion_scripts_in_the_wheel_match_the_binary() {
    let share = PathBuf::from(SHARE);
    for (shell, path) in [
        ("bash", "bash-completion/completions/modelvet"),
        ("zsh", "zsh/site-functions/_modelvet"),
        ("fish", "fish/vendor_completions.d/modelvet.fish"),
    ] {
        let script = modelvet(&["completions", shell]);
        assert!(
            String::from_utf8_lossy(&script).contains("verify"),
            "{shell}: the script does not know the subcommands"
        );
        check_or_update(&share.join(path), &script);
    }
    for shell in ["elvish", "powershell"] {
        assert!(!modelvet(&["completions", shell]).is_empty(), "{shell}");
    }
}

#[test]
fn man_pages_in_the_wheel_match_the_binary() {
    let dir = tempfile::tempdir().unwrap();
    modelvet(&["man", "--out-dir", &dir.path().display().to_string()]);
    let mut pages: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    pages.sort();
    assert!(pages.contains(&"modelvet-scan.1".to_string()), "{pages:?}");
    let man1 = PathBuf::from(SHARE).join("man/man1");
    for page in &pages {
        check_or_update(
            &man1.join(page),
            &std::fs::read(dir.path().join(page)).unwrap(),
        );
    }
    // No stale page for a command that no longer exists.
    let mut committed: Vec<_> = std::fs::read_dir(&man1)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    committed.sort();
    assert_eq!(committed, pages);
    // The page printed without --out-dir is the top one.
    assert!(
        modelvet(&["man"]) == std::fs::read(dir.path().join("modelvet.1")).unwrap(),
        "`modelvet man` prints another page than modelvet.1"
    );
    let scan_page =
        String::from_utf8(std::fs::read(man1.join("modelvet-scan.1")).unwrap()).unwrap();
    assert!(
        scan_page.contains("fail\\-on"),
        "the scan page lists its options"
    );
}
