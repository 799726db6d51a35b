//! Criterion benches of the hot paths. Whole-command comparisons against picklescan,
//! modelscan and openssl live in benches/compare.sh (pickles, torch zips) and
//! benches/headers.sh (safetensors, GGUF).

use std::fs::File;
use std::hint::black_box;
use std::io::Write;
use std::path::Path;
use std::time::Duration;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use modelvet::formats::pickle::{scan_stream, PickleContext};
use modelvet::policy::Policy;
use modelvet::report::Status;
use modelvet::scan::{scan_inputs, ScanOptions};
use modelvet::source::ByteStream;

/// A protocol 4 pickle of a list of 1M small ints: about 2M opcodes.
fn int_list_pickle(n: u32) -> Vec<u8> {
    let mut p = vec![0x80, 4, b']', 0x94];
    let mut i = 0;
    while i < n {
        p.push(b'(');
        for v in i..(i + 1000).min(n) {
            p.push(b'J');
            p.extend(v.to_le_bytes());
        }
        p.push(b'e');
        i += 1000;
    }
    p.push(b'.');
    p
}

/// A pickle holding 64 MiB of raw float bytes in BINBYTES8 ops (weights-like).
fn bytes_pickle(total: usize) -> Vec<u8> {
    let mut p = vec![0x80, 4, b']'];
    let chunk = 1 << 20;
    for _ in 0..total / chunk {
        p.push(0x8e);
        p.extend((chunk as u64).to_le_bytes());
        p.extend(std::iter::repeat_n(0x3fu8, chunk));
        p.push(b'a');
    }
    p.push(b'.');
    p
}

fn benches(c: &mut Criterion) {
    let policy = Policy::new();
    let ints = int_list_pickle(1_000_000);
    let mut g = c.benchmark_group("pickle");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(ints.len() as u64));
    g.bench_function("walk_2M_opcodes", |b| {
        b.iter(|| {
            let mut s = ByteStream::new(&ints[..]);
            black_box(scan_stream(&mut s, PickleContext::Plain, &policy))
        })
    });
    let raw = bytes_pickle(64 << 20);
    g.throughput(Throughput::Bytes(raw.len() as u64));
    g.bench_function("walk_64MiB_bytes_payload", |b| {
        b.iter(|| {
            let mut s = ByteStream::new(&raw[..]);
            black_box(scan_stream(&mut s, PickleContext::Plain, &policy))
        })
    });
    g.bench_function("walk_and_sha256_64MiB", |b| {
        b.iter(|| {
            let mut s = ByteStream::new(&raw[..]).hashing();
            let r = scan_stream(&mut s, PickleContext::Plain, &policy);
            black_box((r, s.finish()))
        })
    });
    g.finish();
}

/// Data section of the large header-only inputs: 4 GiB, left sparse (a hole, no disk).
const BIG_DATA: u64 = 4 << 30;
/// Data section of the mid-sized header-only inputs (sparse): past the stream's 1 MiB
/// buffer, so it shows whether the cost still grows with the size.
const MID_DATA: u64 = 64 << 20;
/// Data section of the small header-only inputs.
const SMALL_DATA: u64 = 4 << 10;
/// Tensors in every header-only input, each `data / TENSORS` bytes of F32.
const TENSORS: u64 = 8;

/// A safetensors header (length prefix + JSON, space-padded to 8 bytes) of `TENSORS` F32
/// tensors `t0..t7` that tile a `data`-byte buffer exactly. Same layout as
/// benches/make_header_inputs.py.
fn safetensors_header(data: u64) -> Vec<u8> {
    let each = data / TENSORS;
    let numel = each / 4;
    let cols = numel.min(4096);
    let mut json = String::from(r#"{"__metadata__":{"format":"pt"}"#);
    for i in 0..TENSORS {
        json.push_str(&format!(
            r#","t{i}":{{"dtype":"F32","shape":[{},{cols}],"data_offsets":[{},{}]}}"#,
            numel / cols,
            i * each,
            (i + 1) * each
        ));
    }
    json.push('}');
    while json.len() % 8 != 0 {
        json.push(' ');
    }
    let mut out = (json.len() as u64).to_le_bytes().to_vec();
    out.extend(json.as_bytes());
    out
}

/// A GGUF v3 header (the layout of the writer in src/formats/gguf.rs's tests): three
/// metadata keys, `TENSORS` F32 tensors whose offsets tile a `data`-byte section, zero
/// padding to the default alignment of 32. Same layout as benches/make_header_inputs.py.
fn gguf_header(data: u64) -> Vec<u8> {
    fn string(v: &mut Vec<u8>, s: &str) {
        v.extend((s.len() as u64).to_le_bytes());
        v.extend(s.as_bytes());
    }
    let mut v = b"GGUF".to_vec();
    v.extend(3u32.to_le_bytes());
    v.extend(TENSORS.to_le_bytes());
    v.extend(3u64.to_le_bytes());
    string(&mut v, "general.architecture");
    v.extend(8u32.to_le_bytes());
    string(&mut v, "llama");
    string(&mut v, "general.name");
    v.extend(8u32.to_le_bytes());
    string(&mut v, "bench");
    string(&mut v, "general.file_type");
    v.extend(4u32.to_le_bytes());
    v.extend(0u32.to_le_bytes());
    let each = data / TENSORS;
    let numel = each / 4;
    let ne0 = numel.min(4096);
    for i in 0..TENSORS {
        string(&mut v, &format!("blk.{i}.weight"));
        v.extend(2u32.to_le_bytes());
        v.extend(ne0.to_le_bytes());
        v.extend((numel / ne0).to_le_bytes());
        v.extend(0u32.to_le_bytes()); // F32
        v.extend((i * each).to_le_bytes());
    }
    while !v.len().is_multiple_of(32) {
        v.push(0);
    }
    v
}

/// Writes `header` and then `data` bytes: written zeros when small, a hole
/// (`File::set_len`) when large.
fn write_input(path: &Path, header: &[u8], data: u64) {
    let mut f = File::create(path).expect("create bench input");
    f.write_all(header).expect("write header");
    if data <= SMALL_DATA {
        f.write_all(&vec![0u8; data as usize]).expect("write data");
    } else {
        f.set_len(header.len() as u64 + data).expect("set_len");
    }
}

/// Safetensors and GGUF are parsed by their headers; the data section is skipped with a
/// seek when hashing is off, so a 4 GiB file should cost what a 4 KiB one does.
fn header_only(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut inputs = Vec::new();
    for (format, header) in [
        ("safetensors", safetensors_header as fn(u64) -> Vec<u8>),
        ("gguf", gguf_header),
    ] {
        for (label, data) in [
            ("4KiB", SMALL_DATA),
            ("64MiB_sparse", MID_DATA),
            ("4GiB_sparse", BIG_DATA),
        ] {
            let path = dir.path().join(format!("{label}.{format}"));
            write_input(&path, &header(data), data);
            inputs.push((format, label, path.to_string_lossy().into_owned()));
        }
    }
    let opts = ScanOptions {
        cache: None,
        hash: false,
        policy: Policy::new(),
        progress: false,
        scope: Default::default(),
    };
    // The inputs must parse clean and complete, or the bench measures an error path.
    for (format, label, path) in &inputs {
        let artifacts = scan_inputs(std::slice::from_ref(path), &opts).expect("scan");
        assert_eq!(artifacts.len(), 1, "{format} {label}");
        let a = &artifacts[0];
        assert!(
            a.findings.is_empty() && a.status == Status::Complete && a.format == *format,
            "{format} {label}: format {} status {:?} findings {:?}",
            a.format,
            a.status,
            a.findings.iter().map(|f| f.rule).collect::<Vec<_>>()
        );
    }
    let mut g = c.benchmark_group("header_only");
    g.sample_size(20);
    g.warm_up_time(Duration::from_millis(500));
    g.measurement_time(Duration::from_secs(2));
    // Output is the same (one artifact) whatever the size: no Throughput, time per scan.
    for (format, label, path) in &inputs {
        g.bench_function(format!("{format}_{label}_nohash"), |b| {
            b.iter(|| black_box(scan_inputs(std::slice::from_ref(path), &opts)))
        });
    }
    g.finish();
}

criterion_group!(scan, benches, header_only);
criterion_main!(scan);
