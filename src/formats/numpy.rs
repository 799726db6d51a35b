//! NumPy `.npy` headers, parsed as a Python literal (never evaluated): the dtype, shape
//! and order, the payload size check, and whether the payload is a pickle.

use serde::Serialize;

use crate::formats::pickle::vm::dtype_itemsize;
use crate::limits;
use crate::source::{ByteStream, SkipRead};

#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Int(i64),
    Bool(bool),
    None,
    Tuple(Vec<Lit>),
    List(Vec<Lit>),
    Dict(Vec<(Lit, Lit)>),
}

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
    depth: usize,
}

const MAX_LITERAL_DEPTH: usize = 32;

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && self.s[self.i].is_ascii_whitespace() {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn seq(&mut self, close: u8) -> Result<Vec<Lit>, String> {
        let mut items = Vec::new();
        loop {
            if self.eat(close) {
                return Ok(items);
            }
            items.push(self.value()?);
            if !self.eat(b',') {
                if self.eat(close) {
                    return Ok(items);
                }
                return Err(format!("expected `,` or `{}` at {}", close as char, self.i));
            }
        }
    }

    fn value(&mut self) -> Result<Lit, String> {
        self.ws();
        self.depth += 1;
        if self.depth > MAX_LITERAL_DEPTH {
            return Err("header literal nests too deeply".into());
        }
        let c = *self.s.get(self.i).ok_or("header ends early")?;
        let v = match c {
            b'\'' | b'"' => {
                self.i += 1;
                let start = self.i;
                while self.i < self.s.len() && self.s[self.i] != c {
                    if self.s[self.i] == b'\\' {
                        return Err("escapes are not allowed in header strings".into());
                    }
                    self.i += 1;
                }
                if self.i >= self.s.len() {
                    return Err("unterminated string in header".into());
                }
                let text = String::from_utf8_lossy(&self.s[start..self.i]).into_owned();
                self.i += 1;
                Lit::Str(text)
            }
            b'(' => {
                self.i += 1;
                Lit::Tuple(self.seq(b')')?)
            }
            b'[' => {
                self.i += 1;
                Lit::List(self.seq(b']')?)
            }
            b'{' => {
                self.i += 1;
                let mut pairs = Vec::new();
                loop {
                    if self.eat(b'}') {
                        break;
                    }
                    let k = self.value()?;
                    if !self.eat(b':') {
                        return Err(format!("expected `:` at {}", self.i));
                    }
                    let v = self.value()?;
                    pairs.push((k, v));
                    if !self.eat(b',') {
                        if self.eat(b'}') {
                            break;
                        }
                        return Err(format!("expected `,` or `}}` at {}", self.i));
                    }
                }
                Lit::Dict(pairs)
            }
            b'0'..=b'9' | b'-' => {
                let start = self.i;
                self.i += 1;
                while self.i < self.s.len()
                    && (self.s[self.i].is_ascii_digit() || self.s[self.i] == b'L')
                {
                    self.i += 1;
                }
                let t = std::str::from_utf8(&self.s[start..self.i])
                    .unwrap_or("")
                    .trim_end_matches('L');
                Lit::Int(
                    t.parse()
                        .map_err(|_| format!("bad integer `{t}` in header"))?,
                )
            }
            _ => {
                let start = self.i;
                while self.i < self.s.len() && self.s[self.i].is_ascii_alphabetic() {
                    self.i += 1;
                }
                match &self.s[start..self.i] {
                    b"True" => Lit::Bool(true),
                    b"False" => Lit::Bool(false),
                    b"None" => Lit::None,
                    other => {
                        return Err(format!(
                            "`{}` is not a literal",
                            String::from_utf8_lossy(other)
                        ))
                    }
                }
            }
        };
        self.depth -= 1;
        Ok(v)
    }
}

/// (itemsize, has_object) of a descr: a dtype string or a structured list.
fn descr_info(d: &Lit, depth: usize) -> Result<(u64, bool), String> {
    if depth > MAX_LITERAL_DEPTH {
        return Err("descr nests too deeply".into());
    }
    match d {
        Lit::Str(s) => dtype_itemsize(s).ok_or_else(|| format!("unknown dtype `{s}`")),
        Lit::List(fields) => {
            let mut total: u64 = 0;
            let mut obj = false;
            for f in fields {
                let Lit::Tuple(parts) = f else {
                    return Err("structured descr field is not a tuple".into());
                };
                let (size, o) = descr_info(
                    parts.get(1).ok_or("structured field without a dtype")?,
                    depth + 1,
                )?;
                let mut count: u64 = 1;
                if let Some(Lit::Tuple(shape)) = parts.get(2) {
                    for dim in shape {
                        let Lit::Int(n) = dim else {
                            return Err("field shape is not integers".into());
                        };
                        count = count
                            .checked_mul(u64::try_from(*n).map_err(|_| "negative field shape")?)
                            .ok_or("field size overflows")?;
                    }
                }
                total = total
                    .checked_add(size.checked_mul(count).ok_or("field size overflows")?)
                    .ok_or("dtype size overflows")?;
                obj |= o;
            }
            Ok((total, obj))
        }
        _ => Err("descr is neither a string nor a list".into()),
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct NpyHeader {
    pub version: String,
    pub descr: String,
    pub fortran_order: bool,
    pub shape: Vec<i64>,
    pub itemsize: u64,
    pub has_object: bool,
    /// Expected payload size (None for object arrays, whose payload is a pickle).
    pub payload_bytes: Option<u64>,
    pub header_len: u64,
}

/// Why a header could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum HeaderError {
    /// The header is longer than [`limits::MAX_NPY_HEADER`].
    Limit(crate::limits::LimitHit),
    Invalid(String),
}

impl From<String> for HeaderError {
    fn from(s: String) -> Self {
        HeaderError::Invalid(s)
    }
}

impl From<&str> for HeaderError {
    fn from(s: &str) -> Self {
        HeaderError::Invalid(s.to_string())
    }
}

/// Reads and parses the header from the stream, leaving it at the payload.
pub(crate) fn read_header<R: SkipRead>(
    stream: &mut ByteStream<R>,
) -> Result<NpyHeader, HeaderError> {
    let pre = stream.fill(12);
    if pre.len() < 10 || !pre.starts_with(b"\x93NUMPY") {
        return Err("truncated .npy preamble".into());
    }
    let (major, minor) = (pre[6], pre[7]);
    let (len, fixed) = match major {
        1 => (u64::from(u16::from_le_bytes([pre[8], pre[9]])), 10),
        2 | 3 if pre.len() >= 12 => (
            u64::from(u32::from_le_bytes(pre[8..12].try_into().expect("4 bytes"))),
            12,
        ),
        _ => return Err(format!("unsupported .npy format version {major}.{minor}").into()),
    };
    stream.consume(fixed);
    if len > limits::MAX_NPY_HEADER as u64 {
        return Err(HeaderError::Limit(crate::limits::LimitHit::NpyHeader));
    }
    let raw = stream.fill(len as usize);
    if (raw.len() as u64) < len {
        return Err("truncated .npy header".into());
    }
    let text = raw[..len as usize].to_vec();
    stream.consume(len as usize);
    let mut p = Parser {
        s: &text,
        i: 0,
        depth: 0,
    };
    let lit = p.value()?;
    let Lit::Dict(pairs) = lit else {
        return Err("header is not a dictionary".into());
    };
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| *key == Lit::Str(k.into()))
            .map(|(_, v)| v.clone())
    };
    let descr = get("descr").ok_or("header has no descr")?;
    let fortran_order = match get("fortran_order").ok_or("header has no fortran_order")? {
        Lit::Bool(b) => b,
        _ => return Err("fortran_order is not a bool".into()),
    };
    let Lit::Tuple(shape_lit) = get("shape").ok_or("header has no shape")? else {
        return Err("shape is not a tuple".into());
    };
    let mut shape = Vec::new();
    let mut count: u64 = 1;
    for d in shape_lit {
        let Lit::Int(n) = d else {
            return Err("shape is not a tuple of integers".into());
        };
        let un = u64::try_from(n).map_err(|_| "negative dimension in shape")?;
        count = count.checked_mul(un).ok_or("array size overflows")?;
        shape.push(n);
    }
    if pairs.len() != 3 {
        return Err(format!(
            "header has {} keys; numpy writes exactly descr, fortran_order and shape",
            pairs.len()
        )
        .into());
    }
    let (itemsize, has_object) = descr_info(&descr, 0)?;
    let payload_bytes = if has_object {
        None
    } else {
        Some(count.checked_mul(itemsize).ok_or("array size overflows")?)
    };
    Ok(NpyHeader {
        version: format!("{major}.{minor}"),
        descr: match &descr {
            Lit::Str(s) => s.clone(),
            other => format!("{other:?}"),
        },
        fortran_order,
        shape,
        itemsize,
        has_object,
        payload_bytes,
        header_len: fixed as u64 + len,
    })
}

/// A `.npy` stream checked: its header as a fact, a malformed or oversized header, a
/// payload that does not match the header. An object array's payload is a pickle,
/// which the driver scans as a nested artifact from the same stream position.
pub struct NpyCheck {
    pub parsed: super::Parsed,
    /// The stream now sits at an object array's pickle payload.
    pub object_payload: bool,
}

/// Checks a `.npy` stream; reads the header, then skips the payload it declares.
pub fn check<R: SkipRead>(stream: &mut ByteStream<R>) -> NpyCheck {
    let mut parsed = super::Parsed::default();
    let header = match read_header(stream) {
        Ok(h) => h,
        Err(HeaderError::Limit(hit)) => {
            parsed.limit(hit);
            return NpyCheck {
                parsed,
                object_payload: false,
            };
        }
        Err(HeaderError::Invalid(e)) => {
            parsed.add(
                &crate::rules::NUMPY_MALFORMED_HEADER,
                format!("invalid .npy header: {e}"),
            );
            parsed.incomplete(format!("invalid .npy header: {e}"));
            return NpyCheck {
                parsed,
                object_payload: false,
            };
        }
    };
    parsed.fact("npy", &header);
    if header.has_object {
        parsed.add(
            &crate::rules::NUMPY_OBJECT_ARRAY,
            format!(
                "dtype {} holds Python objects; the payload is a pickle",
                header.descr
            ),
        );
        return NpyCheck {
            parsed,
            object_payload: true,
        };
    }
    if let Some(expected) = header.payload_bytes {
        let got = stream.skip(expected);
        let extra = stream.skip_to_end();
        if got < expected || extra > 0 {
            parsed.push(
                crate::findings::Finding::new(
                    &crate::rules::NUMPY_SIZE_MISMATCH,
                    format!(
                        "header declares {expected} payload bytes, the file holds {}",
                        got + extra
                    ),
                )
                .offset(header.header_len),
            );
        }
    }
    NpyCheck {
        parsed,
        object_payload: false,
    }
}

pub(crate) static FORMAT: crate::format::FormatSpec = crate::format::FormatSpec {
    format: crate::format::Format::Npy,
    role: crate::format::Role::Model,
    access: crate::format::Access::Stream,
    head: |b, _| {
        b.starts_with(b"\x93NUMPY")
            .then_some(crate::format::Evidence::Magic)
    },
    tail: None,
    claimed_by: &["npy"],
    exclusive_names: &["npy"],
    parse: crate::format::Parser::Driver,
};

#[cfg(test)]
mod tests {
    use super::*;

    fn npy(header: &str) -> Vec<u8> {
        let mut v = b"\x93NUMPY\x01\x00".to_vec();
        v.extend_from_slice(&(header.len() as u16).to_le_bytes());
        v.extend_from_slice(header.as_bytes());
        v
    }

    #[test]
    fn parses_plain_and_structured_headers() {
        let b = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }\n");
        let h = read_header(&mut ByteStream::new(&b[..])).unwrap();
        assert_eq!(h.payload_bytes, Some(48));
        assert!(!h.has_object);
        let b =
            npy("{'descr': [('a', '<i4'), ('b', '|O')], 'fortran_order': False, 'shape': (2,), }");
        let h = read_header(&mut ByteStream::new(&b[..])).unwrap();
        assert!(h.has_object);
    }

    #[test]
    fn refuses_non_literals() {
        let b = npy("{'descr': __import__('os').system('x'), 'fortran_order': False, 'shape': ()}");
        assert!(read_header(&mut ByteStream::new(&b[..])).is_err());
    }
}
