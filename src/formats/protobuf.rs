//! A bounded, iterative protobuf wire-format walker.
//!
//! Protobuf has no self-description: which length-delimited field is a nested message
//! is known only from the schema. The caller describes the part of the schema it cares
//! about as a [`Schema`] table of `(message kind, field number) -> FieldKind`; the walker
//! descends into the listed sub-messages, reads the listed strings and varints, and skips
//! everything else with [`ByteStream::skip`] (tensor payloads of gigabytes are skipped,
//! never read). Events go to a visitor callback.
//!
//! Bounds: nesting is an explicit stack of at most [`MAX_PROTOBUF_DEPTH`] messages (no
//! recursion; deeper messages are skipped and reported with [`Event::Limit`]); strings
//! longer than [`MAX_PROTOBUF_FIELD`] are skipped and reported the same way; varints are
//! at most 10 bytes; every length is checked against its parent message before use.
//!
//! Errors end the walk: [`WireErrorKind::Truncated`] when the stream ends inside a field
//! (or inside a message whose length was declared), [`WireErrorKind::Malformed`] for
//! everything that is not valid wire format (groups, wire types 6/7, field 0, overlong
//! varints, lengths past the end of the parent message, a known field with the wrong wire
//! type), [`WireErrorKind::Io`] for read errors.

use crate::limits::{LimitHit, MAX_PROTOBUF_DEPTH, MAX_PROTOBUF_FIELD};
use crate::source::{ByteStream, SkipRead};

/// Protobuf wire types (3 and 4, groups, are rejected as malformed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireType {
    Varint = 0,
    I64 = 1,
    Len = 2,
    I32 = 5,
}

impl WireType {
    fn from_tag(tag: u64) -> Option<WireType> {
        match tag & 7 {
            0 => Some(WireType::Varint),
            1 => Some(WireType::I64),
            2 => Some(WireType::Len),
            5 => Some(WireType::I32),
            _ => None,
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }
}

/// A set of accepted wire types, for fields that are skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wires(u8);

impl Wires {
    pub(crate) const VARINT: Wires = Wires(1 << 0);
    /// No schema field modelvet reads is a fixed 64-bit one yet; kept so the set of wire
    /// types is whole.
    #[allow(dead_code)]
    pub(crate) const I64: Wires = Wires(1 << 1);
    pub(crate) const LEN: Wires = Wires(1 << 2);
    pub(crate) const I32: Wires = Wires(1 << 5);
    /// A repeated varint field: unpacked (varint) or packed (len).
    pub(crate) const PACKED_VARINT: Wires = Wires((1 << 0) | (1 << 2));
    /// A repeated 32-bit field (float, fixed32): unpacked or packed.
    pub(crate) const PACKED_I32: Wires = Wires((1 << 5) | (1 << 2));
    /// A repeated 64-bit field (double, fixed64): unpacked or packed.
    pub(crate) const PACKED_I64: Wires = Wires((1 << 1) | (1 << 2));

    fn accepts(self, wire: WireType) -> bool {
        self.0 & wire.bit() != 0
    }
}

/// What the walker does with one known field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// A nested message of the given kind: entered, with [`Event::Enter`]/[`Event::Leave`].
    Message(u16),
    /// A string or bytes field: read (up to [`MAX_PROTOBUF_FIELD`]) and reported.
    Bytes,
    /// A varint field: reported.
    Varint,
    /// A repeated varint field, packed or not: every value reported as [`Event::Varint`].
    Varints,
    /// A known field that is skipped; its wire type must be one of these.
    Skip(Wires),
}

/// One row of a schema: in messages of kind `msg`, field `field` is `kind`.
pub(crate) type SchemaRow = (u16, u32, FieldKind);

/// The part of a protobuf schema a parser walks. Fields not listed are skipped whatever
/// their wire type (protobuf's forward compatibility).
pub struct Schema {
    pub rows: &'static [SchemaRow],
}

impl Schema {
    pub(crate) fn lookup(&self, msg: u16, field: u32) -> Option<FieldKind> {
        self.rows
            .iter()
            .find(|(m, f, _)| *m == msg && *f == field)
            .map(|r| r.2)
    }
}

/// What the walker reports to its visitor.
#[derive(Debug)]
pub enum Event<'a> {
    /// Entering a sub-message of kind `msg`, held in `field` of the enclosing message;
    /// `offset` is where its bytes start, `len` how many there are.
    Enter {
        msg: u16,
        field: u32,
        offset: u64,
        len: u64,
    },
    /// Leaving the message entered last.
    Leave { msg: u16 },
    /// A varint field (or one element of a repeated varint field).
    Varint {
        msg: u16,
        field: u32,
        value: u64,
        offset: u64,
    },
    /// A string or bytes field.
    Bytes {
        msg: u16,
        field: u32,
        data: &'a [u8],
        offset: u64,
    },
    /// A field or message that was skipped because a limit was reached
    /// ([`LimitHit::ProtobufDepth`] or [`LimitHit::ProtobufField`]).
    Limit {
        hit: LimitHit,
        msg: u16,
        field: u32,
        offset: u64,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireErrorKind {
    /// The stream ended inside a field or a declared message length.
    Truncated,
    /// Not valid wire format for the schema.
    Malformed,
    /// The underlying reader failed.
    Io,
}

/// Why a walk stopped early.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireError {
    pub kind: WireErrorKind,
    /// Absolute stream offset of the problem.
    pub offset: u64,
    pub message: String,
}

impl WireError {
    fn new(kind: WireErrorKind, offset: u64, message: impl Into<String>) -> WireError {
        WireError {
            kind,
            offset,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for WireError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self.kind {
            WireErrorKind::Truncated => "truncated",
            WireErrorKind::Malformed => "malformed protobuf",
            WireErrorKind::Io => "read error",
        };
        write!(f, "{what} at offset {}: {}", self.offset, self.message)
    }
}

/// Decodes one varint from the front of `bytes`: `Ok(Some((value, length)))`,
/// `Ok(None)` when `bytes` ends first, `Err` when longer than 10 bytes or over 64 bits.
pub(crate) fn decode_varint(bytes: &[u8]) -> Result<Option<(u64, usize)>, &'static str> {
    let mut value: u64 = 0;
    for i in 0..10 {
        let Some(&b) = bytes.get(i) else {
            return Ok(None);
        };
        if i == 9 && b > 1 {
            return Err("varint over 64 bits");
        }
        value |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(Some((value, i + 1)));
        }
    }
    Err("varint longer than 10 bytes")
}

/// Splits a tag into field number and wire type, rejecting field 0, numbers past
/// 2^29-1, groups and wire types 6 and 7.
pub(crate) fn split_tag(tag: u64) -> Result<(u32, WireType), String> {
    let field = tag >> 3;
    if field == 0 || field > (1 << 29) - 1 {
        return Err(format!("invalid field number {field}"));
    }
    let wire = match WireType::from_tag(tag) {
        Some(w) => w,
        None => {
            let w = tag & 7;
            return Err(if w == 3 || w == 4 {
                format!("group wire type {w} (field {field})")
            } else {
                format!("invalid wire type {w} (field {field})")
            });
        }
    };
    Ok((field as u32, wire))
}

struct Frame {
    msg: u16,
    /// Absolute end offset; `None` for the root when its length is the stream's.
    end: Option<u64>,
}

fn read_varint<R: SkipRead>(stream: &mut ByteStream<R>) -> Result<Option<u64>, WireError> {
    let offset = stream.position();
    let avail = stream.fill(10);
    if avail.is_empty() {
        return Ok(None);
    }
    match decode_varint(avail) {
        Ok(Some((v, n))) => {
            stream.consume(n);
            Ok(Some(v))
        }
        Ok(None) => Err(eof_error(stream, offset, "varint")),
        Err(e) => Err(WireError::new(WireErrorKind::Malformed, offset, e)),
    }
}

fn eof_error<R: SkipRead>(stream: &ByteStream<R>, offset: u64, what: &str) -> WireError {
    match stream.io_error() {
        Some(e) => WireError::new(WireErrorKind::Io, offset, e.to_string()),
        None => WireError::new(
            WireErrorKind::Truncated,
            offset,
            format!("stream ends inside a {what}"),
        ),
    }
}

fn skip_exact<R: SkipRead>(
    stream: &mut ByteStream<R>,
    n: u64,
    offset: u64,
    what: &str,
) -> Result<(), WireError> {
    if stream.skip(n) == n {
        Ok(())
    } else {
        Err(eof_error(stream, offset, what))
    }
}

/// Walks one message of kind `root` from the stream's current position to its end
/// (`len` bytes, or the end of the stream when `None`), calling `visit` for every event.
/// Returns the first wire error; limits are reported as [`Event::Limit`] and the walk
/// goes on past the skipped part.
pub fn walk<R: SkipRead, F: FnMut(Event<'_>)>(
    stream: &mut ByteStream<R>,
    schema: &Schema,
    root: u16,
    len: Option<u64>,
    mut visit: F,
) -> Result<(), WireError> {
    let start = stream.position();
    let root_end =
        match len {
            Some(n) => Some(start.checked_add(n).ok_or_else(|| {
                WireError::new(WireErrorKind::Malformed, start, "length overflow")
            })?),
            None => None,
        };
    let mut stack: Vec<Frame> = Vec::with_capacity(MAX_PROTOBUF_DEPTH + 1);
    stack.push(Frame {
        msg: root,
        end: root_end,
    });
    let mut scratch: Vec<u8> = Vec::new();
    loop {
        let pos = stream.position();
        let Some(top) = stack.last() else {
            return Ok(());
        };
        let (msg, end) = (top.msg, top.end);
        // End of the current message?
        match end {
            Some(e) if pos == e => {
                stack.pop();
                if !stack.is_empty() {
                    visit(Event::Leave { msg });
                }
                continue;
            }
            Some(e) if pos > e => {
                return Err(WireError::new(
                    WireErrorKind::Malformed,
                    pos,
                    "field runs past the end of its message",
                ));
            }
            _ => {}
        }
        let tag_offset = pos;
        let tag = match read_varint(stream)? {
            Some(t) => t,
            None => {
                if end.is_none() {
                    // Clean end of a root message that runs to the end of the stream.
                    return match stream.io_error() {
                        Some(e) => Err(WireError::new(WireErrorKind::Io, pos, e.to_string())),
                        None => Ok(()),
                    };
                }
                return Err(eof_error(stream, pos, "message"));
            }
        };
        let (field, wire) =
            split_tag(tag).map_err(|m| WireError::new(WireErrorKind::Malformed, tag_offset, m))?;
        let kind = schema.lookup(msg, field);
        let wrong_wire = |expected: &str| {
            WireError::new(
                WireErrorKind::Malformed,
                tag_offset,
                format!(
                    "field {field} has wire type {} where {expected} is expected",
                    wire as u8
                ),
            )
        };
        // Remaining bytes of the current message after the tag.
        let remaining = |p: u64| end.map(|e| e.saturating_sub(p));
        match wire {
            WireType::Varint => {
                let voff = stream.position();
                let Some(value) = read_varint(stream)? else {
                    return Err(eof_error(stream, voff, "varint"));
                };
                match kind {
                    None => {}
                    Some(FieldKind::Varint | FieldKind::Varints) => visit(Event::Varint {
                        msg,
                        field,
                        value,
                        offset: voff,
                    }),
                    Some(FieldKind::Skip(w)) if w.accepts(wire) => {}
                    Some(_) => return Err(wrong_wire("another")),
                }
            }
            WireType::I64 | WireType::I32 => {
                match kind {
                    None => {}
                    Some(FieldKind::Skip(w)) if w.accepts(wire) => {}
                    Some(_) => return Err(wrong_wire("another")),
                }
                let n = if wire == WireType::I64 { 8 } else { 4 };
                let here = stream.position();
                if remaining(here).is_some_and(|r| r < n) {
                    return Err(WireError::new(
                        WireErrorKind::Malformed,
                        here,
                        format!("fixed-width field {field} runs past the end of its message"),
                    ));
                }
                skip_exact(stream, n, here, "fixed-width field")?;
            }
            WireType::Len => {
                let loff = stream.position();
                let Some(n) = read_varint(stream)? else {
                    return Err(eof_error(stream, loff, "length"));
                };
                let body = stream.position();
                // At the top level no enclosing length bounds `n`: a length of 2^64-1 must
                // be refused, not added.
                let Some(body_end) = body.checked_add(n) else {
                    return Err(WireError::new(
                        WireErrorKind::Malformed,
                        loff,
                        format!("length {n} of field {field} runs past any stream"),
                    ));
                };
                if remaining(body).is_some_and(|r| n > r) {
                    return Err(WireError::new(
                        WireErrorKind::Malformed,
                        loff,
                        format!("length {n} of field {field} runs past the end of its message"),
                    ));
                }
                match kind {
                    Some(FieldKind::Message(sub)) => {
                        if stack.len() >= MAX_PROTOBUF_DEPTH {
                            visit(Event::Limit {
                                hit: LimitHit::ProtobufDepth,
                                msg,
                                field,
                                offset: body,
                            });
                            skip_exact(stream, n, body, "message")?;
                        } else {
                            visit(Event::Enter {
                                msg: sub,
                                field,
                                offset: body,
                                len: n,
                            });
                            stack.push(Frame {
                                msg: sub,
                                end: Some(body_end),
                            });
                        }
                    }
                    Some(FieldKind::Bytes) => {
                        if n > MAX_PROTOBUF_FIELD {
                            visit(Event::Limit {
                                hit: LimitHit::ProtobufField,
                                msg,
                                field,
                                offset: body,
                            });
                            skip_exact(stream, n, body, "string")?;
                        } else {
                            read_into(stream, n as usize, &mut scratch, body)?;
                            visit(Event::Bytes {
                                msg,
                                field,
                                data: &scratch,
                                offset: body,
                            });
                        }
                    }
                    Some(FieldKind::Varints) => {
                        // Packed repeated varints: decoded in place, never buffered whole.
                        let stop = body_end;
                        while stream.position() < stop {
                            let voff = stream.position();
                            let left = (stop - voff).min(10) as usize;
                            let avail = stream.fill(left);
                            let window = &avail[..avail.len().min(left)];
                            match decode_varint(window) {
                                Ok(Some((value, used))) => {
                                    stream.consume(used);
                                    visit(Event::Varint {
                                        msg,
                                        field,
                                        value,
                                        offset: voff,
                                    });
                                }
                                Ok(None) if window.len() < left => {
                                    return Err(eof_error(stream, voff, "packed field"));
                                }
                                Ok(None) => {
                                    return Err(WireError::new(
                                        WireErrorKind::Malformed,
                                        voff,
                                        format!("packed field {field} ends inside a varint"),
                                    ));
                                }
                                Err(e) => {
                                    return Err(WireError::new(WireErrorKind::Malformed, voff, e));
                                }
                            }
                        }
                    }
                    Some(FieldKind::Skip(w)) if w.accepts(wire) => {
                        skip_exact(stream, n, body, "field")?;
                    }
                    None => skip_exact(stream, n, body, "field")?,
                    Some(_) => return Err(wrong_wire("another")),
                }
            }
        }
    }
}

/// Reads exactly `n` bytes into `out` (cleared first).
fn read_into<R: SkipRead>(
    stream: &mut ByteStream<R>,
    n: usize,
    out: &mut Vec<u8>,
    offset: u64,
) -> Result<(), WireError> {
    out.clear();
    while out.len() < n {
        let want = n - out.len();
        let avail = stream.fill(want);
        if avail.is_empty() {
            return Err(eof_error(stream, offset, "string"));
        }
        let take = avail.len().min(want);
        out.extend_from_slice(&avail[..take]);
        stream.consume(take);
    }
    Ok(())
}

/// A string for reports (the crate-wide rule in [`crate::display`]).
pub use crate::display::safe_bytes as display_string;

/// One top-level field seen by [`scan_prefix`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PrefixField<'a> {
    pub field: u32,
    pub wire: WireType,
    /// The varint value for varint fields.
    pub value: u64,
    /// For length-delimited fields: the declared length and the part of the body that is
    /// inside the prefix (shorter than `len` when the prefix ends inside the field).
    pub len: u64,
    pub body: &'a [u8],
}

/// Walks the top-level fields of a message in a prefix of its bytes (for recognition).
/// Stops at the end of the prefix, also inside a field. `Err` on invalid wire format.
pub(crate) fn scan_prefix(
    prefix: &[u8],
    max_fields: usize,
) -> Result<Vec<PrefixField<'_>>, String> {
    let mut out = Vec::new();
    let mut p = 0usize;
    while p < prefix.len() && out.len() < max_fields {
        let Some((tag, n)) = decode_varint(&prefix[p..])? else {
            break;
        };
        p += n;
        let (field, wire) = split_tag(tag)?;
        let mut f = PrefixField {
            field,
            wire,
            value: 0,
            len: 0,
            body: &[],
        };
        match wire {
            WireType::Varint => {
                let Some((v, n)) = decode_varint(&prefix[p..])? else {
                    out.push(f);
                    break;
                };
                f.value = v;
                p += n;
            }
            WireType::I64 => p = p.saturating_add(8),
            WireType::I32 => p = p.saturating_add(4),
            WireType::Len => {
                let Some((len, n)) = decode_varint(&prefix[p..])? else {
                    out.push(f);
                    break;
                };
                p += n;
                let avail = prefix.len() - p;
                let take = usize::try_from(len).unwrap_or(usize::MAX).min(avail);
                f.len = len;
                f.body = &prefix[p..p + take];
                p = p.saturating_add(usize::try_from(len).unwrap_or(usize::MAX));
            }
        }
        out.push(f);
    }
    Ok(out)
}

/// A minimal protobuf encoder for tests of the parsers built on the walker.
#[cfg(test)]
pub(crate) mod encode {
    pub fn varint(mut v: u64, out: &mut Vec<u8>) {
        loop {
            let b = (v & 0x7f) as u8;
            v >>= 7;
            if v == 0 {
                out.push(b);
                return;
            }
            out.push(b | 0x80);
        }
    }

    /// Appends a length-delimited field.
    pub(crate) fn len_field(out: &mut Vec<u8>, field: u32, body: &[u8]) {
        varint(u64::from(field) << 3 | 2, out);
        varint(body.len() as u64, out);
        out.extend_from_slice(body);
    }

    /// Appends a varint field.
    pub(crate) fn varint_field(out: &mut Vec<u8>, field: u32, value: u64) {
        varint(u64::from(field) << 3, out);
        varint(value, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: u16 = 0;
    const B: u16 = 1;
    static SCHEMA: Schema = Schema {
        rows: &[
            (A, 1, FieldKind::Varint),
            (A, 2, FieldKind::Bytes),
            (A, 3, FieldKind::Message(B)),
            (A, 4, FieldKind::Varints),
            (A, 5, FieldKind::Skip(Wires::LEN)),
            (B, 1, FieldKind::Message(B)),
            (B, 2, FieldKind::Bytes),
        ],
    };

    use super::encode::varint;

    /// [`encode::len_field`] with the buffer last, as these tests read best.
    fn len_field(field: u32, body: &[u8], out: &mut Vec<u8>) {
        encode::len_field(out, field, body);
    }

    fn run(data: &[u8]) -> (Vec<String>, Result<(), WireError>) {
        let mut stream = ByteStream::with_capacity(data, 64);
        let mut events = Vec::new();
        let r = walk(&mut stream, &SCHEMA, A, None, |e| {
            events.push(match e {
                Event::Enter { msg, field, .. } => format!("enter {msg}.{field}"),
                Event::Leave { msg } => format!("leave {msg}"),
                Event::Varint { field, value, .. } => format!("v{field}={value}"),
                Event::Bytes { field, data, .. } => {
                    format!("b{field}={}", String::from_utf8_lossy(data))
                }
                Event::Limit { hit, .. } => format!("limit {hit:?}"),
            })
        });
        (events, r)
    }

    #[test]
    fn walks_fields_and_nested_messages() {
        let mut d = vec![0x08, 0x96, 0x01];
        len_field(2, b"hello", &mut d);
        let mut inner = Vec::new();
        len_field(2, b"in", &mut inner);
        len_field(3, &inner, &mut d);
        len_field(4, &[1, 2, 0x80, 0x01], &mut d);
        d.extend_from_slice(&[0x20, 0x07]); // field 4 unpacked
        len_field(5, &[0xff; 300], &mut d); // skipped
        d.extend_from_slice(&[0x3d, 1, 2, 3, 4]); // unknown fixed32
        let (ev, r) = run(&d);
        assert_eq!(r, Ok(()));
        assert_eq!(
            ev,
            [
                "v1=150",
                "b2=hello",
                "enter 1.3",
                "b2=in",
                "leave 1",
                "v4=1",
                "v4=2",
                "v4=128",
                "v4=7"
            ]
        );
    }

    #[test]
    fn a_top_level_length_of_two_to_the_64_is_refused_not_added() {
        // An 11-byte message: field 3 (a sub-message), then field 4 (packed varints),
        // each with length 2^64-1 and no enclosing message to bound it.
        for field_key in [0x1a_u8, 0x22] {
            let mut d = vec![field_key];
            varint(u64::MAX, &mut d);
            let (_, r) = run(&d);
            let e = r.expect_err("refused");
            assert_eq!(e.kind, WireErrorKind::Malformed, "{e:?}");
        }
    }

    #[test]
    fn rejects_bad_wire_format() {
        for (data, what) in [
            (&[0x0b_u8][..], "group"),
            (&[0x0e][..], "wire type 6"),
            (&[0x00, 0x01][..], "field 0"),
            (&[0x0a, 0x01, 0x41][..], "field 1 as bytes"),
            (&[0x10, 0x01][..], "field 2 as varint"),
            (
                &[
                    0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f,
                ][..],
                "overlong",
            ),
        ] {
            let (_, r) = run(data);
            assert_eq!(r.unwrap_err().kind, WireErrorKind::Malformed, "{what}");
        }
        // A child whose field overruns the child.
        let mut d = Vec::new();
        len_field(3, &[0x12, 0x05, b'a'], &mut d);
        d.extend_from_slice(b"bcdefgh");
        let (_, r) = run(&d);
        assert_eq!(r.unwrap_err().kind, WireErrorKind::Malformed);
    }

    #[test]
    fn truncation_is_reported_not_panicked() {
        let mut d = vec![0x08, 0x96, 0x01];
        len_field(2, b"hello", &mut d);
        let mut inner = Vec::new();
        len_field(2, b"in", &mut inner);
        len_field(3, &inner, &mut d);
        for cut in 0..d.len() {
            let (_, r) = run(&d[..cut]);
            if let Err(e) = r {
                assert_eq!(e.kind, WireErrorKind::Truncated, "cut {cut}");
            } else {
                // Only cuts at a field boundary of the root are clean.
                assert!([0, 3, 10].contains(&cut), "cut {cut}");
            }
        }
    }

    /// Field 3 of A holding `depth` B messages nested through field 1, built from the
    /// inside out in linear time.
    fn nested(depth: usize) -> Vec<u8> {
        let mut headers = Vec::with_capacity(depth + 1);
        let mut inner_len = 0u64;
        for level in 0..=depth {
            let mut h = vec![if level == depth { 0x1a } else { 0x0a }];
            varint(inner_len, &mut h);
            inner_len += h.len() as u64;
            headers.push(h);
        }
        headers.into_iter().rev().flatten().collect()
    }

    #[test]
    fn deep_nesting_hits_the_depth_limit_without_recursion() {
        // 100,000 nested B messages, built from the inside out.
        let d = nested(100_000);
        let (ev, r) = run(&d);
        assert_eq!(r, Ok(()));
        assert!(ev.contains(&"limit ProtobufDepth".to_string()));
        let enters = ev.iter().filter(|e| e.starts_with("enter")).count();
        assert_eq!(enters, MAX_PROTOBUF_DEPTH - 1);
    }

    #[test]
    fn oversized_strings_are_skipped_as_a_limit() {
        let big = vec![b'x'; MAX_PROTOBUF_FIELD as usize + 1];
        let mut d = Vec::new();
        len_field(2, &big, &mut d);
        d.extend_from_slice(&[0x08, 0x01]);
        let (ev, r) = run(&d);
        assert_eq!(r, Ok(()));
        assert_eq!(ev, ["limit ProtobufField", "v1=1"]);
    }

    #[test]
    fn prefix_scan_stops_inside_a_field() {
        let mut d = vec![0x08, 0x07];
        len_field(7, &[0u8; 100], &mut d);
        let f = scan_prefix(&d[..20], 16).unwrap();
        assert_eq!(f.len(), 2);
        assert_eq!((f[0].field, f[0].value), (1, 7));
        assert_eq!((f[1].field, f[1].len, f[1].body.len()), (7, 100, 16));
        assert!(scan_prefix(&[0x0b], 4).is_err());
    }
}
