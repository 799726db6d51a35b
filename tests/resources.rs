//! Bounded memory and time, measured: the release binary scans every robustness and limit
//! fixture (fuzz reproducers are robustness fixtures), and large hostile inputs built
//! here, one child process each, and each child's peak RSS (wait4's rusage) must stay
//! under 100 MiB within a wall-time bound. The table it prints is the README's
//! reliability section.
//!
//! The release binary is `MODELVET_RELEASE_BIN` (scripts/test.sh builds it), or
//! `target/release/modelvet`, built here when missing.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

const MAX_RSS_BYTES: u64 = 100 * 1024 * 1024;
const MAX_WALL: Duration = Duration::from_secs(20);

fn release_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("MODELVET_RELEASE_BIN") {
        return PathBuf::from(p);
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let bin = target.join("release/modelvet");
    let status = Command::new(env!("CARGO"))
        .args(["build", "--release", "--quiet", "--bin", "modelvet"])
        .current_dir(root)
        .status()
        .expect("cargo runs");
    assert!(status.success(), "the release build failed");
    bin
}

struct Run {
    peak_rss: u64,
    wall: Duration,
    exit: i32,
}

/// Runs the scan as a child and reads its own peak RSS from wait4.
fn measure(bin: &Path, input: &Path) -> Run {
    measure_command(bin, "scan", input)
}

/// Runs `modelvet <command> --no-config --format json INPUT` as a child; its peak RSS.
fn measure_command(bin: &Path, command: &str, input: &Path) -> Run {
    measure_args(bin, &[command.as_ref(), input.as_os_str()])
}

/// Runs `modelvet ARGS... --no-config --format json` as a child; its peak RSS.
fn measure_args(bin: &Path, args: &[&std::ffi::OsStr]) -> Run {
    let start = Instant::now();
    let child = Command::new(bin)
        .args(args)
        .args(["--no-config", "--format", "json"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the release binary runs");
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: rusage is plain data, filled in by the kernel for this one child, which
    // std has not waited for (the Child is forgotten so it never waits again).
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    std::mem::forget(child);
    assert_eq!(waited, pid, "wait4 failed");
    let exit = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        -1
    };
    Run {
        peak_rss: usage.ru_maxrss as u64 * 1024,
        wall: start.elapsed(),
        exit,
    }
}

const BUILD_DIR_VAR: &str = "MODELVET_RESOURCE_INPUTS_DIR";

/// Writes the large inputs into the folder the parent names; without it, does nothing
/// (it is the parent's helper, run as a child so the parent stays small).
#[test]
fn build_large_inputs() {
    if let Some(dir) = std::env::var_os(BUILD_DIR_VAR) {
        build_inputs(Path::new(&dir));
    }
}

/// The large inputs' names and what each stands for, as [`build_inputs`] writes them.
fn large_inputs(dir: &Path) -> Vec<(PathBuf, &'static str)> {
    LARGE
        .iter()
        .map(|(name, what)| (dir.join(name), *what))
        .collect()
}

const LARGE: &[(&str, &str)] = &[
    (
        "st_50mb_shape_header.safetensors",
        "safetensors, 50 MB header of one shape array (was 1.03 GB)",
    ),
    (
        "st_200k_empty_tensors.safetensors",
        "safetensors, 200,000 empty tensors (was 278 MB)",
    ),
    ("zip_400k_entries.zip", "zip, 400,000 entries (was 109 MB)"),
    (
        "zip_30mb_directory.zip",
        "zip, 30 MB central directory of long names (was 194 MB)",
    ),
    (
        "torch_10mb_millions_of_calls.pt",
        "torch zip, 2.5 million calls of 200,000 distinct unknown globals (was 1.2 GB, 222 MB report)",
    ),
    (
        "gguf_300k_long_tensor_names.gguf",
        "GGUF, 300,000 tensor infos with 200-byte names",
    ),
    (
        "zip_nested_6_deep.zip",
        "zips nested six deep in deflated members of 20 MB each (was up to 48 MiB a level)",
    ),
    (
        "pickle_2m_memoized_strings.pkl",
        "pickle, a list of 2 million distinct memoized strings, as pandas object columns are (was 158 MB and incomplete at 1 million)",
    ),
    (
        "pickle_4m_memo_slots.pkl",
        "pickle, 131,100 memoized values then 3.8 million memoized one-byte strings (every memo tier full)",
    ),
];

/// Large inputs that are ordinary data: they must also scan clean (exit 0).
const ORDINARY: &[&str] = &["pickle_2m_memoized_strings.pkl"];

/// Large hostile inputs, built rather than committed.
fn build_inputs(dir: &Path) {
    let put = |name: &str, data: Vec<u8>, _what: &str| {
        assert!(
            LARGE.iter().any(|(n, _)| *n == name),
            "{name} is not listed"
        );
        std::fs::File::create(dir.join(name))
            .unwrap()
            .write_all(&data)
            .unwrap();
    };
    // A 50 MB safetensors header: one shape array of 25 million dimensions.
    let mut header = br#"{"a":{"dtype":"U8","shape":["#.to_vec();
    header.extend("1,".repeat(25_000_000).as_bytes());
    header.extend(br#"1],"data_offsets":[0,1]}}"#);
    let mut st = (header.len() as u64).to_le_bytes().to_vec();
    st.extend(&header);
    st.push(0);
    put(
        "st_50mb_shape_header.safetensors",
        st,
        "safetensors, 50 MB header of one shape array (was 1.03 GB)",
    );
    // 200,000 empty tensors.
    let mut header = String::from("{");
    for i in 0..200_000 {
        if i > 0 {
            header.push(',');
        }
        header.push_str(&format!(
            r#""t{i}":{{"dtype":"F32","shape":[0],"data_offsets":[0,0]}}"#
        ));
    }
    header.push('}');
    let mut st = (header.len() as u64).to_le_bytes().to_vec();
    st.extend(header.as_bytes());
    put(
        "st_200k_empty_tensors.safetensors",
        st,
        "safetensors, 200,000 empty tensors (was 278 MB)",
    );
    // A zip of 400,000 empty entries (past MAX_MEMBERS_PER_CONTAINER).
    let names: Vec<String> = (0..400_000).map(|i| format!("d/{i}")).collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    put(
        "zip_400k_entries.zip",
        stored_zip(&entries),
        "zip, 400,000 entries (was 109 MB)",
    );
    // A zip whose central directory is 30 MB of long names.
    let names: Vec<String> = (0..50_000)
        .map(|i| format!("{}/{i}", "n".repeat(600)))
        .collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    put(
        "zip_30mb_directory.zip",
        stored_zip(&entries),
        "zip, 30 MB central directory of long names (was 194 MB)",
    );
    // A torch zip whose data.pkl makes 2.5 million calls of 200,000 distinct unknown
    // globals, stored: 10 MB of pickle.
    // PROTO 2; GLOBAL m f, BINPUT 1, POP; then GLOBAL, EMPTY_TUPLE, REDUCE, POP per
    // distinct global, and BINGET 1, EMPTY_TUPLE, REDUCE, POP for the repeated calls.
    let mut pickle = b"\x80\x02cm\nf\nq\x010".to_vec();
    for i in 0..200_000 {
        pickle.extend(format!("cm\nf{i}\n)R0").as_bytes());
    }
    for _ in 0..2_300_000 {
        pickle.extend(b"h\x01)R0");
    }
    pickle.extend(b"N.");
    let memo = pickle;
    put(
        "torch_10mb_millions_of_calls.pt",
        stored_zip(&[("archive/data.pkl", &memo), ("archive/version", b"3\n")]),
        "torch zip, 2.5 million calls of 200,000 distinct unknown globals (was 1.2 GB, 222 MB report)",
    );
    // GGUF v3, no metadata, 300,000 tensor infos with distinct 200-byte names.
    let mut gguf = b"GGUF".to_vec();
    gguf.extend(3u32.to_le_bytes());
    gguf.extend(300_000u64.to_le_bytes());
    gguf.extend(0u64.to_le_bytes());
    for i in 0..300_000u64 {
        let name = format!("{:0>200}", i);
        gguf.extend((name.len() as u64).to_le_bytes());
        gguf.extend(name.as_bytes());
        gguf.extend(1u32.to_le_bytes());
        gguf.extend(1u64.to_le_bytes());
        gguf.extend(0u32.to_le_bytes());
        gguf.extend((i * 32).to_le_bytes());
    }
    put(
        "gguf_300k_long_tensor_names.gguf",
        gguf,
        "GGUF, 300,000 tensor infos with 200-byte names",
    );
    // Zips nested in deflated members, six deep, each level 20 MB: spilled, not buffered.
    let mut inner = stored_zip(&[("payload.pkl", SYSTEM_PICKLE)]);
    let padding = vec![0x5au8; 20 << 20];
    for _ in 0..6 {
        inner = deflated_zip(&[("pad.bin", &padding), ("next.zip", &inner)]);
    }
    put(
        "zip_nested_6_deep.zip",
        inner,
        "zips nested six deep in deflated members of 20 MB each (was up to 48 MiB a level)",
    );
    // What pickle.dumps(list_of_strings, protocol=4) writes, in the pickler's batches of
    // 1,000 APPENDS: every string memoized.
    let mut p = vec![0x80, 4, b']', 0x94];
    for batch in 0..2_000u32 {
        p.push(b'(');
        for i in 0..1_000u32 {
            let text = format!("k{}", batch * 1_000 + i);
            p.push(0x8c);
            p.push(text.len() as u8);
            p.extend(text.as_bytes());
            p.push(0x94);
        }
        p.push(b'e');
    }
    p.push(b'.');
    put(
        "pickle_2m_memoized_strings.pkl",
        p,
        "pickle, a list of 2 million distinct memoized strings",
    );
    let mut p = vec![0x80, 4];
    for _ in 0..131_100 {
        p.extend([b'K', 0, 0x94, b'0']);
    }
    for i in 0..3_800_000u32 {
        p.extend([0x8c, 1, b'a' + (i % 26) as u8, 0x94, b'0']);
    }
    p.extend([b'N', b'.']);
    put(
        "pickle_4m_memo_slots.pkl",
        p,
        "pickle, every memo tier full",
    );
}

#[test]
fn every_hostile_input_stays_under_100_mib() {
    let bin = release_binary();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let mut inputs: Vec<(PathBuf, String)> = Vec::new();
    for folder in ["fixtures/robustness", "fixtures/limits"] {
        let Ok(entries) = std::fs::read_dir(root.join(folder)) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let what = format!("{folder}/{}", f.file_name().unwrap().to_string_lossy());
            inputs.push((f, what));
        }
    }
    // The large inputs are built by a child process: a child's peak RSS counts the peak
    // of the process it was forked from, so this one must never hold them.
    let dir = tempfile::tempdir().unwrap();
    let status = Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "build_large_inputs",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(BUILD_DIR_VAR, dir.path())
        .stdout(Stdio::null())
        .status()
        .unwrap();
    assert!(status.success(), "building the large inputs failed");
    for (p, what) in large_inputs(dir.path()) {
        assert!(p.exists(), "{} was not built", p.display());
        inputs.push((p, what.to_string()));
    }
    assert!(inputs.len() >= 15, "the robustness corpus is missing");

    let mut failures = Vec::new();
    println!("| input | size | peak RSS | wall | exit |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    for (path, what) in &inputs {
        let size = std::fs::metadata(path).unwrap().len();
        let run = measure(&bin, path);
        println!(
            "| {what} | {:.1} MB | {:.1} MiB | {:.2} s | {} |",
            size as f64 / 1e6,
            run.peak_rss as f64 / (1024.0 * 1024.0),
            run.wall.as_secs_f64(),
            run.exit
        );
        let ordinary = ORDINARY.iter().any(|n| path.ends_with(n));
        if run.peak_rss > MAX_RSS_BYTES
            || run.wall > MAX_WALL
            || !(0..=2).contains(&run.exit)
            || (ordinary && run.exit != 0)
        {
            failures.push(format!(
                "{what}: {} bytes peak RSS, {:?}, exit {}",
                run.peak_rss, run.wall, run.exit
            ));
        }
    }
    assert!(failures.is_empty(), "over budget:\n{}", failures.join("\n"));
}

/// `modelvet inventory` on hostile source: deep nesting, a flood of loader calls, one
/// enormous statement, and a long ordinary file cut into many chunks, each under 100 MiB.
#[test]
fn hostile_source_trees_stay_under_100_mib_in_the_inventory() {
    let bin = release_binary();
    let dir = tempfile::tempdir().unwrap();
    let mb = 1024 * 1024;
    let cases: Vec<(&str, String)> = vec![
        (
            "2 MiB of nested brackets after an import",
            format!("import torch\nx = {}{}\n", "[".repeat(mb), "]".repeat(mb)),
        ),
        (
            "3 MiB of torch.load calls",
            format!("import torch\n{}", "torch.load(f)\n".repeat(3 * mb / 14)),
        ),
        (
            "one 3 MiB statement",
            format!("import torch\nf({})\n", "a,".repeat(3 * mb / 2)),
        ),
        (
            "4 MiB of ordinary statements (64 chunks)",
            format!(
                "import torch\n{}",
                "x = g(a, b, [1, 2, 3], {'k': 'v'})\n".repeat(4 * mb / 37)
            ),
        ),
    ];
    let mut failures = Vec::new();
    for (i, (what, text)) in cases.iter().enumerate() {
        let tree = dir.path().join(format!("t{i}"));
        std::fs::create_dir_all(&tree).unwrap();
        std::fs::write(tree.join("app.py"), text).unwrap();
        let run = measure_command(&bin, "inventory", &tree);
        println!(
            "inventory | {what} | {:.1} MiB | {:.2} s | exit {}",
            run.peak_rss as f64 / mb as f64,
            run.wall.as_secs_f64(),
            run.exit
        );
        if run.peak_rss > MAX_RSS_BYTES || run.wall > MAX_WALL || !(0..=2).contains(&run.exit) {
            failures.push(format!(
                "{what}: {} bytes, {:?}, exit {}",
                run.peak_rss, run.wall, run.exit
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

/// The verdict cache folder may be shared, so its entries are input too: an entry as large
/// as the limit, built to make the largest JSON tree, and one over the limit.
#[test]
fn hostile_verdict_cache_entries_stay_under_100_mib() {
    use sha2::{Digest, Sha256};
    let bin = release_binary();
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("model.pth");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/fixtures/real/lpips_v0.1_alex.pth"),
        &model,
    )
    .unwrap();
    let cache = dir.path().join("cache");
    let args = |_: ()| -> Vec<std::ffi::OsString> {
        vec![
            "scan".into(),
            model.clone().into(),
            "--cache".into(),
            cache.clone().into(),
        ]
    };
    let first = measure_args(
        &bin,
        &args(()).iter().map(|a| a.as_os_str()).collect::<Vec<_>>(),
    );
    assert_eq!(first.exit, 0);
    let mut entries = Vec::new();
    for fan in std::fs::read_dir(cache.join("v1")).unwrap() {
        for e in std::fs::read_dir(fan.unwrap().path()).unwrap() {
            entries.push(e.unwrap().path());
        }
    }
    assert_eq!(entries.len(), 1, "{entries:?}");
    let entry = &entries[0];
    let limit = modelvet::limits::MAX_VERDICT_CACHE_ENTRY_BYTES as usize;
    // Written in pieces, never held whole: a child's peak RSS counts the parent's at fork.
    let write_zeros_entry = |len: usize| {
        let head = b"{\"key\":\"x\",\"artifacts\":[";
        let tail = b"0]}";
        let pairs = (len - head.len() - tail.len()) / 2;
        let chunk = b"0,".repeat(64 * 1024);
        let body = |sink: &mut dyn FnMut(&[u8])| {
            sink(head);
            let mut left = pairs;
            while left > 0 {
                let n = left.min(64 * 1024);
                sink(&chunk[..2 * n]);
                left -= n;
            }
            sink(tail);
        };
        let mut h = Sha256::new();
        body(&mut |b| h.update(b));
        let mut f = std::io::BufWriter::new(std::fs::File::create(entry).unwrap());
        use std::io::Write;
        f.write_all(hex::encode(h.finalize()).as_bytes()).unwrap();
        f.write_all(b"\n").unwrap();
        body(&mut |b| f.write_all(b).unwrap());
        f.flush().unwrap();
    };
    let cases: Vec<(&str, usize)> = vec![
        ("an entry at the limit, all small values", limit - 65),
        ("an entry 64 times the limit", 64 * limit),
    ];
    let mut failures = Vec::new();
    for (what, len) in cases {
        write_zeros_entry(len);
        let run = measure_args(
            &bin,
            &args(()).iter().map(|a| a.as_os_str()).collect::<Vec<_>>(),
        );
        println!(
            "verdict cache | {what} | {:.1} MiB | {:.2} s | exit {}",
            run.peak_rss as f64 / (1024.0 * 1024.0),
            run.wall.as_secs_f64(),
            run.exit
        );
        // The entry does not check out: the file is scanned again, and clean.
        if run.peak_rss > MAX_RSS_BYTES || run.wall > MAX_WALL || run.exit != 0 {
            failures.push(format!(
                "{what}: {} bytes, {:?}, exit {}",
                run.peak_rss, run.wall, run.exit
            ));
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
