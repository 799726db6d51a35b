//! Every container limit in src/limits.rs ends in `incomplete` with a MV502 finding
//! naming it, and keeps what was found before it.

mod common;

use std::path::Path;

use common::*;
use modelvet::limits::{self, LimitHit};
use modelvet::report::Status;

fn assert_limit(path: &Path, hit: LimitHit) {
    let r = scan(&[path]);
    let needle = hit.describe();
    let limited = r.artifacts.iter().any(|a| {
        a.status != Status::Complete
            && a.reason.as_deref().is_some_and(|why| why.contains(&needle))
            && a.findings
                .iter()
                .any(|f| f.rule == "MV502" && f.message.contains(&needle))
    });
    assert!(
        limited,
        "expected `{needle}` on {}: {:#?}",
        path.display(),
        r.artifacts
            .iter()
            .map(|a| (&a.path, a.status, &a.reason))
            .collect::<Vec<_>>()
    );
    assert_ne!(r.exit_code(), 0, "a limit is never clean");
}

#[test]
fn nesting_depth() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = b"\x80\x02N.".to_vec();
    for _ in 0..=limits::MAX_NESTING_DEPTH + 1 {
        data = gzip(&data);
    }
    let p = dir.path().join("deep.gz");
    std::fs::write(&p, data).unwrap();
    assert_limit(&p, LimitHit::NestingDepth);
}

#[test]
fn members_per_container() {
    let dir = tempfile::tempdir().unwrap();
    let names: Vec<String> = (0..=limits::MAX_MEMBERS_PER_CONTAINER)
        .map(|i| format!("m{i}"))
        .collect();
    let entries: Vec<(&str, &[u8])> = names.iter().map(|n| (n.as_str(), &b""[..])).collect();
    let p = dir.path().join("many.zip");
    std::fs::write(&p, stored_zip(&entries)).unwrap();
    assert_limit(&p, LimitHit::MembersPerContainer);
}

#[test]
fn central_directory_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let mut z = stored_zip(&[("a", b"x")]);
    let n = z.len();
    // Claim a central directory larger than the limit.
    z[n - 10..n - 6]
        .copy_from_slice(&((limits::MAX_CENTRAL_DIRECTORY_BYTES + 1) as u32).to_le_bytes());
    let p = dir.path().join("bigcd.zip");
    std::fs::write(&p, z).unwrap();
    assert_limit(&p, LimitHit::CentralDirectoryBytes);
}

#[test]
fn a_zip_in_a_compressed_stream_has_no_fixed_ceiling() {
    // A 60 MiB stored zip, gzipped: past the 48 MiB that was once buffered in memory and
    // cut. It is spilled to a temporary file and read to its last member, whose payload is
    // found. MAX_SPILLED_MEMBER_BYTES is MAX_DECOMPRESSED_BYTES, which the ratio and size
    // tests below reach first.
    let dir = tempfile::tempdir().unwrap();
    let padding = vec![0x5au8; 60 << 20];
    let zip = stored_zip(&[("padding.bin", &padding), ("last.pkl", SYSTEM_PICKLE)]);
    let p = dir.path().join("big.zip.gz");
    std::fs::write(&p, gzip(&zip)).unwrap();
    let r = scan(&[&p]);
    assert_eq!(r.exit_code(), 1, "{:#?}", r.artifacts);
    assert!(r
        .artifacts
        .iter()
        .any(|a| a.path.ends_with("last.pkl") && !a.findings.is_empty()));
    assert_eq!(
        limits::MAX_SPILLED_MEMBER_BYTES,
        limits::MAX_DECOMPRESSED_BYTES
    );
}

#[test]
fn compression_ratio() {
    assert_limit(
        &fixture("limits/gzip_bomb_300mb.pkl.gz"),
        LimitHit::CompressionRatio,
    );
}

#[test]
fn compression_ratio_in_a_deflated_zip_member() {
    let dir = tempfile::tempdir().unwrap();
    let mut bomb = b"\x80\x02C\x00.".to_vec();
    bomb.resize(80 << 20, 0);
    let p = dir.path().join("bomb.zip");
    std::fs::write(&p, deflated_zip(&[("payload.pkl", &bomb)])).unwrap();
    assert_limit(&p, LimitHit::CompressionRatio);
    // An ordinary deflated member is read in full and stays clean.
    let p = dir.path().join("small.zip");
    std::fs::write(&p, deflated_zip(&[("a.pkl", b"\x80\x02N.")])).unwrap();
    assert_eq!(scan(&[&p]).exit_code(), 0);
}

#[test]
fn decompressed_bytes_total() {
    use modelvet::containers::compress::{decoder, Budget};
    use modelvet::formats::registry::Format;
    use std::io::Read;
    let budget = std::rc::Rc::new(Budget::default());
    budget.decompressed.set(limits::MAX_DECOMPRESSED_BYTES - 10);
    let data = gzip(&[7u8; 4096]);
    let mut d = decoder(Format::Gzip, &data[..], budget.clone()).unwrap();
    let mut out = Vec::new();
    assert!(d.read_to_end(&mut out).is_err());
    assert_eq!(budget.hit.get(), Some(LimitHit::DecompressedBytes));
}

#[test]
fn npy_header() {
    let dir = tempfile::tempdir().unwrap();
    let mut v = b"\x93NUMPY\x02\x00".to_vec();
    v.extend(((limits::MAX_NPY_HEADER + 1) as u32).to_le_bytes());
    v.extend(std::iter::repeat_n(b' ', 64));
    let p = dir.path().join("x.npy");
    std::fs::write(&p, v).unwrap();
    assert_limit(&p, LimitHit::NpyHeader);
}

#[test]
fn torchscript_source() {
    let dir = tempfile::tempdir().unwrap();
    let big = vec![b'#'; limits::MAX_TORCHSCRIPT_SOURCE as usize + 10];
    let z = stored_zip(&[
        ("m/data.pkl", b"\x80\x02N."),
        ("m/constants.pkl", b"\x80\x02N."),
        ("m/code/__torch__/m.py", &big),
    ]);
    let p = dir.path().join("ts.pt");
    std::fs::write(&p, z).unwrap();
    assert_limit(&p, LimitHit::TorchscriptSource);
}

#[test]
fn findings_before_a_limit_survive() {
    let dir = tempfile::tempdir().unwrap();
    let mut p = b"\x80\x02cos\nsystem\n".to_vec();
    p.extend(std::iter::repeat_n(b'(', limits::MAX_PICKLE_MARKS + 1));
    let path = dir.path().join("p.pkl");
    std::fs::write(&path, p).unwrap();
    let r = scan(&[&path]);
    assert_eq!(r.exit_code(), 1);
    assert_eq!(r.artifacts[0].status, Status::Incomplete);
}

#[test]
fn pickle_globals_count_and_name_bytes() {
    let dir = tempfile::tempdir().unwrap();
    // os.system first: the finding made before the limit stays.
    let mut many = SYSTEM_PICKLE[..SYSTEM_PICKLE.len() - 1].to_vec();
    many.push(b'0');
    let mut long_names = many.clone();
    for i in 0..=limits::MAX_PICKLE_GLOBALS {
        many.extend(format!("cm\nf{i}\n0").as_bytes());
    }
    many.extend(b"N.");
    let p = dir.path().join("many_globals.pkl");
    std::fs::write(&p, &many).unwrap();
    assert_limit(&p, LimitHit::PickleGlobals);
    assert_eq!(scan(&[&p]).exit_code(), 1, "the os.system finding is kept");

    let name = "n".repeat(60_000);
    for i in 0..80 {
        long_names.extend(format!("cm\n{name}{i}\n0").as_bytes());
    }
    long_names.extend(b"N.");
    let p = dir.path().join("long_global_names.pkl");
    std::fs::write(&p, &long_names).unwrap();
    assert_limit(&p, LimitHit::PickleGlobalNameBytes);
}
