//! Compiled Python (`.pyc`): Python imports a sourceless `.pyc` beside a package's modules
//! as readily as the `.py`, so bytecode shipped with a model is code exactly like source
//! (MV1002, judged by the folder around it like a `.py`). Recognised by its 16-byte header:
//! a magic number whose last two bytes are `\r\n`, flags, and a marshalled code object.

use crate::findings::Finding;
use crate::format::Parsed;
use crate::rules;
use crate::source::{ByteStream, SkipRead};

/// CPython's magic numbers (`importlib.util.MAGIC_NUMBER`, little-endian) of the releases
/// still in use, for the fact; any number in CPython 3's range is recognised.
const KNOWN_MAGIC: &[(u16, &str)] = &[
    (3413, "3.8"),
    (3425, "3.9"),
    (3439, "3.10"),
    (3495, "3.11"),
    (3531, "3.12"),
    (3571, "3.13"),
    (3627, "3.14"),
];

/// Magic, flags and two words of source date/size or hash (PEP 552).
const HEADER_LEN: usize = 16;

fn looks_like_pyc(b: &[u8]) -> bool {
    if b.len() <= HEADER_LEN {
        return false;
    }
    let magic = u16::from_le_bytes([b[0], b[1]]);
    let flags = u32::from_le_bytes([b[4], b[5], b[6], b[7]]);
    // TYPE_CODE, with or without FLAG_REF.
    (3000..4000).contains(&magic)
        && &b[2..4] == b"\r\n"
        && flags <= 3
        && (b[HEADER_LEN] & 0x7f) == b'c'
}

fn parse(
    stream: &mut crate::format::DynStream<'_>,
    _: &crate::format::ParseContext<'_>,
    out: &mut Parsed,
) {
    scan_into(stream, out)
}

fn scan_into<R: SkipRead>(stream: &mut ByteStream<R>, out: &mut Parsed) {
    let head = stream.fill(HEADER_LEN).to_vec();
    if head.len() < HEADER_LEN {
        out.incomplete("truncated .pyc header");
        return;
    }
    let magic = u16::from_le_bytes([head[0], head[1]]);
    let version = KNOWN_MAGIC
        .iter()
        .find(|(m, _)| *m == magic)
        .map(|(_, v)| *v);
    out.fact("python_magic", magic);
    if let Some(v) = version {
        out.fact("python_version", v);
    }
    // The artifact's sha256 identifies the bytecode; the driver reads the rest.
    out.push(Finding::new(
        &rules::REPO_PYTHON_FILE,
        format!(
            "compiled Python (bytecode for Python {}) shipped with the model",
            version.unwrap_or("3")
        ),
    ));
}

/// For tests and fuzzing.
#[cfg(test)]
pub(crate) fn scan<R: SkipRead>(stream: &mut ByteStream<R>) -> Parsed {
    let mut out = Parsed::default();
    scan_into(stream, &mut out);
    out
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Pyc,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| looks_like_pyc(b).then_some(crate::format::Evidence::Magic),
    tail: None,
    claimed_by: &["pyc"],
    exclusive_names: &["pyc"],
    parse: crate::format::Parser::Stream(parse),
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_cpython_3_headers_only() {
        let mut pyc = 3495u16.to_le_bytes().to_vec();
        pyc.extend(b"\r\n");
        pyc.extend([0u8; 12]);
        pyc.push(0xe3);
        pyc.extend([0u8; 8]);
        assert!(looks_like_pyc(&pyc));
        let p = scan(&mut ByteStream::new(&pyc[..]));
        assert_eq!(p.facts["python_version"], "3.11");
        assert_eq!(p.findings[0].rule, "MV1002");
        let mut not = pyc.clone();
        not[2] = b'x';
        assert!(!looks_like_pyc(&not));
        let mut py2 = pyc.clone();
        py2[..2].copy_from_slice(&62211u16.to_le_bytes());
        assert!(!looks_like_pyc(&py2));
    }
}
