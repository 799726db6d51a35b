//! Text from scanned or downloaded bytes, made safe to print: control characters and
//! bidirectional overrides escaped (so a name cannot rewrite the terminal or reorder what
//! a reviewer reads), and cut to a character budget.

/// At most `max_chars` characters of `text`, then `…`; controls and bidi overrides escaped.
pub fn safe_text(text: &str, max_chars: usize) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i >= max_chars {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
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
}
