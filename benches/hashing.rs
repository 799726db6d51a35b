//! In-process digest throughput of `provenance::digest` (one buffered pass, one or all
//! algorithms at once). Whole-command numbers against openssl are in benches/hashing.sh.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use modelvet::provenance::digest::{hash_reader, HashAlgorithm};

fn digests(c: &mut Criterion) {
    let data: Vec<u8> = (0..64u32 * 1024 * 1024)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let mut group = c.benchmark_group("digest_64MiB");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.sample_size(10);
    let cases: [(&str, &[HashAlgorithm]); 5] = [
        ("sha256", &[HashAlgorithm::Sha256]),
        ("blake2b", &[HashAlgorithm::Blake2b]),
        ("blake3", &[HashAlgorithm::Blake3]),
        ("gitsha1", &[HashAlgorithm::GitBlobSha1]),
        (
            "sha256+gitsha1 (Hub check)",
            &[HashAlgorithm::Sha256, HashAlgorithm::GitBlobSha1],
        ),
    ];
    for (name, algorithms) in cases {
        group.bench_with_input(BenchmarkId::from_parameter(name), &algorithms, |b, algs| {
            b.iter(|| hash_reader(&data[..], algs, Some(data.len() as u64)).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, digests);
criterion_main!(benches);
