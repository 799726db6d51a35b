//! Criterion benches of the hot paths. Whole-command comparisons against picklescan,
//! modelscan and openssl live in benches/compare.sh.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use modelvet::formats::pickle::{scan_stream, PickleContext};
use modelvet::policy::Policy;
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

criterion_group!(scan, benches);
criterion_main!(scan);
