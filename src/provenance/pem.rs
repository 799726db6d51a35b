//! PEM armour (RFC 7468): the labelled base64 blocks keys and certificates arrive in.

use base64::Engine as _;

/// PEM files larger than this are not keys or certificate bundles.
pub(crate) const MAX_PEM_BYTES: usize = 4 * 1024 * 1024;

/// One decoded block: its label (`PUBLIC KEY`, `CERTIFICATE`, ...) and DER bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PemBlock {
    pub label: String,
    pub der: Vec<u8>,
}

/// Every block in `text`, in order. Text between blocks is ignored (OpenSSL writes
/// comments there); a block that is cut off or not base64 is an error.
pub fn parse(text: &[u8]) -> Result<Vec<PemBlock>, String> {
    if text.len() > MAX_PEM_BYTES {
        return Err(format!(
            "PEM input of {} bytes exceeds MAX_PEM_BYTES ({MAX_PEM_BYTES})",
            text.len()
        ));
    }
    let text = std::str::from_utf8(text).map_err(|_| "PEM input is not text".to_string())?;
    let mut blocks = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        let line = line.trim();
        let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|l| l.strip_suffix("-----"))
        else {
            continue;
        };
        let end = format!("-----END {label}-----");
        let mut body = String::new();
        let mut closed = false;
        for inner in lines.by_ref() {
            let inner = inner.trim();
            if inner == end {
                closed = true;
                break;
            }
            if inner.contains(':') {
                // RFC 1421 headers mean an encrypted legacy key.
                return Err(format!(
                    "PEM block '{label}' has headers ({inner}); encrypted keys are not supported, decrypt it first"
                ));
            }
            body.push_str(inner);
        }
        if !closed {
            return Err(format!("PEM block '{label}' has no END line"));
        }
        let der = base64::engine::general_purpose::STANDARD
            .decode(body.as_bytes())
            .map_err(|e| format!("PEM block '{label}' is not valid base64: {e}"))?;
        blocks.push(PemBlock {
            label: label.to_string(),
            der,
        });
    }
    Ok(blocks)
}

/// PEM text with 64-column lines and a final newline, as OpenSSL and Python's
/// `cryptography` write it (model-signing hashes this exact text for its key hint).
pub fn encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_reads_several_blocks() {
        let der: Vec<u8> = (0..100u8).collect();
        let text = format!(
            "comment\n{}{}",
            encode("CERTIFICATE", &der),
            encode("PUBLIC KEY", b"k")
        );
        let blocks = parse(text.as_bytes()).unwrap();
        assert_eq!(blocks.len(), 2);
        assert_eq!(blocks[0].der, der);
        assert_eq!(blocks[1].label, "PUBLIC KEY");
    }

    #[test]
    fn refuses_broken_blocks() {
        assert!(parse(b"-----BEGIN X-----\nAAAA\n").is_err());
        assert!(parse(b"-----BEGIN X-----\n!!!!\n-----END X-----\n").is_err());
        assert!(parse(b"-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\n-----END X-----\n").is_err());
        assert!(parse(&[0xff, 0xfe]).is_err());
        assert_eq!(parse(b"no blocks here").unwrap(), vec![]);
    }
}
