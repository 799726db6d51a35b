//! Text from scanned or downloaded bytes, made safe to print: control characters and
//! bidirectional overrides escaped (so a name cannot rewrite the terminal, start a line of
//! its own that CI reads as a command, or reorder what a reviewer reads), and cut to a
//! character budget. The text renderers pass every string that came from input through
//! [`untrusted`]; JSON and SARIF escape through their serialisers.

use std::borrow::Cow;

/// Characters that change how a terminal or a log reader shows the text around them: C0
/// and C1 controls (CR, LF, ESC, BEL ...), the Unicode line and paragraph separators, and
/// the bidirectional marks, embeddings, overrides and isolates.
fn needs_escape(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{061c}'
                | '\u{200e}'
                | '\u{200f}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2066}'..='\u{2069}'
        )
}

/// `text` with every character of [`needs_escape`] written as a Rust escape (`\n`,
/// `\u{1b}`); borrowed when there is nothing to escape.
pub(crate) fn untrusted(text: &str) -> Cow<'_, str> {
    if !text.chars().any(needs_escape) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// At most `max_chars` characters of `text`, then `…`; escaped as [`untrusted`] does.
pub fn safe_text(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i >= max_chars {
            out.push('…');
            break;
        }
        if needs_escape(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// The same for bytes, decoded as lossy UTF-8.
pub fn safe_bytes(bytes: &[u8], max_chars: usize) -> String {
    safe_text(&String::from_utf8_lossy(bytes), max_chars)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_and_cuts() {
        assert_eq!(safe_text("abcdef", 3), "abc…");
        assert_eq!(safe_text("a\nb\u{1b}", 10), "a\\nb\\u{1b}");
        assert_eq!(safe_text("x\u{202e}y", 10), "x\\u{202e}y");
        assert_eq!(safe_bytes(b"\xffok", 10), "\u{fffd}ok");
    }

    #[test]
    fn untrusted_escapes_every_line_and_terminal_control() {
        assert!(matches!(untrusted("plain/name.pkl"), Cow::Borrowed(_)));
        let hostile =
            "x.pkl\n::error title=injected::x\r\u{1b}]0;title\u{7}\u{9b}2J\u{2028}\u{200f}\u{2067}";
        let shown = untrusted(hostile);
        assert!(!shown.chars().any(needs_escape), "{shown}");
        assert_eq!(
            shown,
            "x.pkl\\n::error title=injected::x\\r\\u{1b}]0;title\\u{7}\\u{9b}2J\\u{2028}\\u{200f}\\u{2067}"
        );
    }
}

/// A byte count for people: `512 B`, `1.5 KiB`, `2.0 GiB` (binary units, one decimal).
pub fn human_bytes(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 {
        format!("{n} B")
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod human_bytes_tests {
    use super::human_bytes;

    #[test]
    fn binary_units_with_one_decimal() {
        assert_eq!(human_bytes(0), "0 B");
        assert_eq!(human_bytes(1023), "1023 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(2 << 30), "2.0 GiB");
    }
}
