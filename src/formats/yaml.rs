//! A bounded reader for the YAML subset that model cards use in their front matter,
//! producing `serde_json::Value`.
//!
//! Read: block mappings and block sequences by indentation (including compact
//! `- key: value` items), flow sequences `[a, b]` and flow mappings `{a: 1}`, plain,
//! single- and double-quoted scalars (with YAML's escapes in double quotes), `#`
//! comments, literal `|` and folded `>` block scalars with chomping and indentation
//! indicators.
//!
//! Scalars are typed only where YAML 1.1 (PyYAML, used by `huggingface_hub`) and YAML
//! 1.2 (the core schema) agree: `true`/`false` in their three spellings, `null`/`~`/empty,
//! decimal integers without leading zeros, and decimal floats with a dot (and a signed
//! exponent). Everything else (`yes`, `no`, `on`, `0o17`, `012`, `1e5`, `.inf`) stays the
//! string it was written as.
//!
//! Not read: anchors and aliases (`&a`, `*a`), tags (`!x`), complex keys (`? k`),
//! directives and further documents. A value that uses them is left out and a warning
//! says so; nothing is guessed. Every bound below, when reached, leaves a warning too.
//! Recursion is bounded by [`MAX_DEPTH`].

use serde_json::{Map, Number, Value};

/// Largest YAML text read; a longer one is not read at all.
pub(crate) const MAX_YAML_BYTES: usize = 256 * 1024;
/// Deepest nesting of collections (block and flow together).
pub(crate) const MAX_DEPTH: usize = 32;
/// Most entries kept in one mapping or sequence; later ones are cut.
pub(crate) const MAX_ITEMS: usize = 4096;
/// Most values (scalars and collections) built from one text; reading stops there.
pub(crate) const MAX_NODES: usize = 50_000;
/// Longest string (key or value) kept; a longer value is left out.
pub(crate) const MAX_STRING_BYTES: usize = 64 * 1024;
/// Most warnings kept; the last one says how many more there were.
pub(crate) const MAX_WARNINGS: usize = 32;

/// The result of reading a YAML text.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Yaml {
    /// The document's value; `None` when there is none or it could not be read.
    pub value: Option<Value>,
    /// What was left out or cut, one line each. Empty when everything was read.
    pub warnings: Vec<String>,
}

/// Reads `text` (one YAML document, e.g. the lines between a card's `---` markers).
pub fn parse(text: &str) -> Yaml {
    if text.len() > MAX_YAML_BYTES {
        return Yaml {
            value: None,
            warnings: vec![format!(
                "YAML text of {} bytes is larger than MAX_YAML_BYTES ({MAX_YAML_BYTES}); not read",
                text.len()
            )],
        };
    }
    let mut p = Reader::new(text);
    let value = p.document();
    let mut warnings = p.warnings;
    if p.dropped_warnings > 0 {
        warnings.push(format!("{} more warnings", p.dropped_warnings));
    }
    Yaml { value, warnings }
}

#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    /// 1-based line number, for warnings.
    no: usize,
    /// Leading spaces.
    indent: usize,
    /// The rest of the line after the leading spaces (comments included).
    text: &'a str,
}

impl Line<'_> {
    fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }

    /// Blank or comment-only: no content for block structure.
    fn is_insignificant(&self) -> bool {
        let t = self.text.trim_start();
        t.is_empty() || t.starts_with('#')
    }
}

struct Reader<'a> {
    lines: Vec<Line<'a>>,
    pos: usize,
    nodes: usize,
    exhausted: bool,
    warnings: Vec<String>,
    dropped_warnings: usize,
}

fn is_seq_item(text: &str) -> bool {
    text == "-" || text.starts_with("- ") || text.starts_with("-\t")
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// Removes a `#` comment outside quotes. A quote opens a quoted scalar only where a
/// scalar can start (line start, or after a flow indicator, `:` or space).
fn strip_comment(text: &str) -> &str {
    let mut quote: Option<char> = None;
    let mut prev: Option<char> = None;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match quote {
            Some('"') => {
                if c == '\\' {
                    chars.next();
                } else if c == '"' {
                    quote = None;
                }
            }
            Some(_) => {
                if c == '\'' {
                    if chars.peek().map(|&(_, n)| n) == Some('\'') {
                        chars.next();
                    } else {
                        quote = None;
                    }
                }
            }
            None => {
                let at_start = matches!(prev, None | Some(' ' | '\t' | '[' | '{' | ',' | ':'));
                if (c == '"' || c == '\'') && at_start {
                    quote = Some(c);
                } else if c == '#' && matches!(prev, None | Some(' ' | '\t')) {
                    return &text[..i];
                }
            }
        }
        prev = Some(c);
    }
    text
}

/// Where a block mapping entry's `:` is: `key: value`, `key:`, `"key": value`.
/// Returns the raw key text and the rest after the colon.
fn split_key(text: &str) -> Option<(&str, &str)> {
    let first = text.chars().next()?;
    if matches!(first, '[' | '{' | '#' | '|' | '>' | '%' | '@' | '`') || is_seq_item(text) {
        return None;
    }
    if first == '"' || first == '\'' {
        let end = quoted_end(text)?;
        let after = text[end..].trim_start_matches(is_ws);
        let rest = after.strip_prefix(':')?;
        if rest.is_empty() || rest.starts_with(is_ws) {
            return Some((&text[..end], rest));
        }
        return None;
    }
    let mut prev = ' ';
    for (i, c) in text.char_indices() {
        if c == '#' && is_ws(prev) {
            return None;
        }
        if c == ':' {
            let rest = &text[i + 1..];
            if rest.is_empty() || rest.starts_with(is_ws) {
                return Some((text[..i].trim_end(), rest));
            }
        }
        prev = c;
    }
    None
}

/// The byte index just after the closing quote of the quoted scalar `text` starts with.
fn quoted_end(text: &str) -> Option<usize> {
    let q = text.chars().next()?;
    let mut chars = text.char_indices().skip(1).peekable();
    while let Some((i, c)) = chars.next() {
        if q == '"' && c == '\\' {
            chars.next();
        } else if c == q {
            if q == '\'' && chars.peek().map(|&(_, n)| n) == Some('\'') {
                chars.next();
            } else {
                return Some(i + 1);
            }
        }
    }
    None
}

/// Folds the line breaks of a multi-line quoted scalar: one break is a space, `k` breaks
/// are `k - 1` newlines. The caller has trimmed the lines.
fn fold_breaks(s: &str) -> String {
    if !s.contains('\n') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut breaks: usize = 0;
    for c in s.chars() {
        if c == '\n' {
            breaks += 1;
            continue;
        }
        if breaks == 1 {
            out.push(' ');
        } else {
            out.extend(std::iter::repeat_n('\n', breaks.saturating_sub(1)));
        }
        breaks = 0;
        out.push(c);
    }
    out
}

/// The content of a quoted scalar (without its quotes), unescaped. A multi-line scalar
/// comes with its lines trimmed and joined by '\n': one break folds to a space, `k`
/// breaks to `k - 1` newlines, and in double quotes a `\` before a break removes it.
fn unquote(body: &str, quote: char) -> Result<String, String> {
    if quote == '\'' {
        return Ok(fold_breaks(&body.replace("''", "'")));
    }
    let mut out = String::with_capacity(body.len());
    let mut chars = body.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\n' {
            let mut breaks = 1;
            while chars.peek() == Some(&'\n') {
                chars.next();
                breaks += 1;
            }
            if breaks == 1 {
                out.push(' ');
            } else {
                out.extend(std::iter::repeat_n('\n', breaks - 1));
            }
            continue;
        }
        if c != '\\' {
            out.push(c);
            continue;
        }
        let e = chars
            .next()
            .ok_or("a double-quoted string ends in a backslash")?;
        let hex_len = match e {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => 0,
        };
        if hex_len > 0 {
            let digits: String = chars.by_ref().take(hex_len).collect();
            let code = (digits.len() == hex_len)
                .then(|| u32::from_str_radix(&digits, 16).ok())
                .flatten()
                .and_then(char::from_u32)
                .ok_or_else(|| format!("invalid escape \\{e}{digits}"))?;
            out.push(code);
            continue;
        }
        out.push(match e {
            '0' => '\0',
            'a' => '\x07',
            'b' => '\x08',
            't' | '\t' => '\t',
            'n' => '\n',
            'v' => '\x0b',
            'f' => '\x0c',
            'r' => '\r',
            'e' => '\x1b',
            ' ' => ' ',
            '"' => '"',
            '/' => '/',
            '\\' => '\\',
            'N' => '\u{85}',
            '_' => '\u{a0}',
            'L' => '\u{2028}',
            'P' => '\u{2029}',
            '\n' => {
                // An escaped line break joins the lines directly; later blank lines
                // still count as newlines.
                while chars.peek() == Some(&'\n') {
                    chars.next();
                    out.push('\n');
                }
                continue;
            }
            other => return Err(format!("unknown escape \\{other}")),
        });
    }
    Ok(out)
}

/// Types a plain scalar where YAML 1.1 and 1.2 agree; otherwise the string as written.
fn plain_value(s: &str) -> Value {
    match s {
        "" | "~" | "null" | "Null" | "NULL" => return Value::Null,
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    let unsigned = s.strip_prefix(['-', '+']).unwrap_or(s);
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if digits(unsigned) && (unsigned == "0" || !unsigned.starts_with('0')) {
        let t = s.strip_prefix('+').unwrap_or(s);
        if let Ok(n) = t.parse::<i64>() {
            return Value::Number(n.into());
        }
        if let Ok(n) = t.parse::<u64>() {
            return Value::Number(n.into());
        }
        return Value::String(s.to_string());
    }
    // [0-9]+ . [0-9]*  or  . [0-9]+ , then optionally [eE][-+][0-9]+
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(i) => (&unsigned[..i], Some(&unsigned[i + 1..])),
        None => (unsigned, None),
    };
    let mantissa_ok = match mantissa.split_once('.') {
        Some((int, frac)) => {
            // PyYAML reads `.5` but not `-.5` as a float.
            (digits(int) && (frac.is_empty() || digits(frac)))
                || (int.is_empty() && digits(frac) && unsigned.len() == s.len())
        }
        None => false,
    };
    let exponent_ok = match exponent {
        None => true,
        Some(e) => e.starts_with(['-', '+']) && digits(&e[1..]),
    };
    if mantissa_ok && exponent_ok {
        if let Some(n) = s.parse::<f64>().ok().and_then(Number::from_f64) {
            return Value::Number(n);
        }
    }
    Value::String(s.to_string())
}

impl<'a> Reader<'a> {
    fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let lines = text
            .lines()
            .enumerate()
            .map(|(i, raw)| {
                let text = raw.trim_start_matches(' ');
                Line {
                    no: i + 1,
                    indent: raw.len() - text.len(),
                    text,
                }
            })
            .collect();
        Reader {
            lines,
            pos: 0,
            nodes: 0,
            exhausted: false,
            warnings: Vec::new(),
            dropped_warnings: 0,
        }
    }

    fn warn(&mut self, line: usize, msg: impl AsRef<str>) {
        if self.warnings.len() < MAX_WARNINGS {
            self.warnings.push(format!("line {line}: {}", msg.as_ref()));
        } else {
            self.dropped_warnings += 1;
        }
    }

    /// Counts a value against [`MAX_NODES`]; once over, reading stops.
    fn node(&mut self) -> bool {
        if self.exhausted {
            return false;
        }
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            self.exhausted = true;
            let no = self.lines.get(self.pos).map_or(0, |l| l.no);
            self.warn(
                no,
                format!("more than MAX_NODES ({MAX_NODES}) values; the rest is not read"),
            );
            self.pos = self.lines.len();
            return false;
        }
        true
    }

    /// The next line with content, skipping blanks and comments. Lines indented with a
    /// tab are reported and skipped.
    fn peek(&mut self) -> Option<Line<'a>> {
        while let Some(&l) = self.lines.get(self.pos) {
            if l.is_insignificant() {
                self.pos += 1;
                continue;
            }
            if l.text.starts_with('\t') {
                self.warn(l.no, "tab in indentation (YAML forbids it); line left out");
                self.pos += 1;
                continue;
            }
            return Some(l);
        }
        None
    }

    /// Skips the lines that belong to a value whose parent is at `parent`: more indented
    /// lines, and (when `same_seq`) `- ` items at the parent's own indentation.
    fn skip_value(&mut self, parent: isize, same_seq: bool) {
        while let Some(&l) = self.lines.get(self.pos) {
            let ind = l.indent as isize;
            if l.is_insignificant()
                || l.text.starts_with('\t')
                || ind > parent
                || (same_seq && ind == parent && is_seq_item(l.text))
            {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    fn document(&mut self) -> Option<Value> {
        // A second document marker ends what is read.
        if let Some(end) = self.lines.iter().position(|l| {
            l.indent == 0 && (l.text.trim_end() == "---" || l.text.trim_end() == "...")
        }) {
            let no = self.lines[end].no;
            if self.lines[end + 1..].iter().any(|l| !l.is_insignificant()) {
                self.warn(no, "a second YAML document; not read");
            }
            self.lines.truncate(end);
        }
        let first = self.peek()?;
        if first.text.starts_with('%') {
            self.warn(
                first.no,
                "YAML directives are not supported; document not read",
            );
            return None;
        }
        let value = self.block(-1, 0);
        while let Some(l) = self.peek() {
            self.warn(l.no, "content outside the document's structure; left out");
            self.pos += 1;
            self.skip_value(l.indent as isize, false);
        }
        value
    }

    /// The node on the next content line, which is more indented than `parent`.
    fn block(&mut self, parent: isize, depth: usize) -> Option<Value> {
        let l = self.peek()?;
        if (l.indent as isize) <= parent {
            return Some(Value::Null);
        }
        if depth > MAX_DEPTH {
            self.warn(
                l.no,
                format!("nested deeper than MAX_DEPTH ({MAX_DEPTH}); value left out"),
            );
            self.skip_value(parent, false);
            return None;
        }
        if is_seq_item(l.text) {
            self.sequence(l.indent, depth)
        } else if split_key(l.text).is_some() || l.text.starts_with("? ") || l.text == "?" {
            self.mapping(l.indent, depth)
        } else {
            self.pos += 1;
            self.inline(l.text, l.no, parent, depth)
        }
    }

    fn mapping(&mut self, n: usize, depth: usize) -> Option<Value> {
        if !self.node() {
            return None;
        }
        let mut map = Map::new();
        let mut cut = false;
        while let Some(l) = self.peek() {
            if l.indent < n {
                break;
            }
            if l.indent > n {
                self.warn(l.no, "unexpected indentation; left out");
                self.pos += 1;
                self.skip_value(n as isize, false);
                continue;
            }
            if is_seq_item(l.text) {
                self.warn(l.no, "a list item where a key was expected; left out");
                self.pos += 1;
                self.skip_value(n as isize, false);
                continue;
            }
            self.pos += 1;
            let explicit = l.text == "?" || l.text.starts_with("? ") || l.text.starts_with("?\t");
            let (key, rest) = if explicit {
                match self.explicit_key(l, n, depth) {
                    Some(kr) => kr,
                    None => continue,
                }
            } else {
                let Some((raw_key, rest)) = split_key(l.text) else {
                    self.warn(l.no, "not a `key: value` line; left out");
                    self.skip_value(n as isize, true);
                    continue;
                };
                match self.key(raw_key) {
                    Ok(k) => (k, rest),
                    Err(e) => {
                        self.warn(l.no, format!("{e}; left out"));
                        self.skip_value(n as isize, true);
                        continue;
                    }
                }
            };
            if map.len() >= MAX_ITEMS && !map.contains_key(&key) {
                if !cut {
                    self.warn(
                        l.no,
                        format!("mapping has more than MAX_ITEMS ({MAX_ITEMS}) keys; cut"),
                    );
                    cut = true;
                }
                self.skip_value(n as isize, true);
                continue;
            }
            let value = self.value(rest, l.no, n as isize, true, depth + 1);
            if self.exhausted {
                break;
            }
            if let Some(v) = value {
                if map.contains_key(&key) {
                    self.warn(l.no, format!("duplicate key {key:?}; the last one is kept"));
                }
                map.insert(key, v);
            }
        }
        Some(Value::Object(map))
    }

    /// An explicit key (`? key` then `: value` at the same indentation), as PyYAML
    /// writes keys longer than 128 characters. Only a scalar key is read; the key line
    /// is consumed, and the returned rest is what follows the value line's colon.
    fn explicit_key(&mut self, l: Line<'a>, n: usize, depth: usize) -> Option<(String, &'a str)> {
        let text = l.text[1..].trim_start_matches(is_ws);
        let t = strip_comment(text).trim();
        let scalar = !(t.is_empty()
            || t.starts_with(['[', '{', '&', '*', '!', '|', '>'])
            || is_seq_item(t)
            || split_key(t).is_some());
        let key = if scalar {
            match self.inline(text, l.no, n as isize, depth + 1) {
                Some(Value::String(s)) => Some(s),
                Some(v @ (Value::Number(_) | Value::Bool(_))) => Some(v.to_string()),
                Some(_) => {
                    self.warn(l.no, "a null key is not supported; left out");
                    None
                }
                None => None,
            }
        } else {
            self.warn(
                l.no,
                "complex keys (a collection, alias or block scalar after `?`) are not supported; left out",
            );
            self.skip_value(n as isize, true);
            None
        };
        let value_line = self.peek().filter(|next| {
            next.indent == n
                && (next.text == ":" || next.text.starts_with(": ") || next.text.starts_with(":\t"))
        });
        match (key, value_line) {
            (Some(key), Some(next)) => {
                self.pos += 1;
                Some((key, &next.text[1..]))
            }
            (Some(key), None) => Some((key, "")),
            (None, Some(_)) => {
                self.pos += 1;
                self.skip_value(n as isize, true);
                None
            }
            (None, None) => None,
        }
    }

    fn key(&self, raw: &str) -> Result<String, String> {
        if raw.is_empty() {
            return Err("an empty key (`: value`) is not supported".into());
        }
        if raw.starts_with(['&', '*', '!']) {
            return Err("anchors, aliases and tags on keys are not supported".into());
        }
        if raw.len() > MAX_STRING_BYTES {
            return Err(format!(
                "key longer than MAX_STRING_BYTES ({MAX_STRING_BYTES})"
            ));
        }
        match raw.chars().next() {
            Some(q @ ('"' | '\'')) => unquote(&raw[1..raw.len() - 1], q),
            _ => Ok(raw.to_string()),
        }
    }

    fn sequence(&mut self, n: usize, depth: usize) -> Option<Value> {
        if !self.node() {
            return None;
        }
        let mut items = Vec::new();
        let mut cut = false;
        while let Some(l) = self.peek() {
            if l.indent != n || !is_seq_item(l.text) {
                if l.indent > n {
                    self.warn(l.no, "unexpected indentation; left out");
                    self.pos += 1;
                    self.skip_value(n as isize, false);
                    continue;
                }
                break;
            }
            if items.len() >= MAX_ITEMS {
                if !cut {
                    self.warn(
                        l.no,
                        format!("list has more than MAX_ITEMS ({MAX_ITEMS}) items; cut"),
                    );
                    cut = true;
                }
                self.pos += 1;
                self.skip_value(n as isize, false);
                continue;
            }
            let content = l.text[1..].trim_start_matches(is_ws);
            let column = n + (l.text.len() - content.len());
            let value = if !strip_comment(content).trim().is_empty()
                && (is_seq_item(content) || split_key(content).is_some())
            {
                // A compact nested collection: read it as if it started on its own
                // line at the item's content column.
                self.lines[self.pos] = Line {
                    no: l.no,
                    indent: column,
                    text: content,
                };
                self.block(n as isize, depth + 1)
            } else {
                self.pos += 1;
                self.value(content, l.no, n as isize, false, depth + 1)
            };
            if self.exhausted {
                break;
            }
            if let Some(v) = value {
                items.push(v);
            }
        }
        Some(Value::Array(items))
    }

    /// The value that follows a key's colon or a list item's dash (`rest`), on a line
    /// whose parent collection is at indentation `parent`.
    fn value(
        &mut self,
        rest: &'a str,
        no: usize,
        parent: isize,
        same_indent_seq: bool,
        depth: usize,
    ) -> Option<Value> {
        let t = strip_comment(rest).trim();
        if t.is_empty() {
            return match self.peek() {
                Some(next) if (next.indent as isize) > parent => self.block(parent, depth),
                Some(next)
                    if same_indent_seq
                        && next.indent as isize == parent
                        && is_seq_item(next.text) =>
                {
                    if depth > MAX_DEPTH {
                        self.warn(
                            next.no,
                            format!("nested deeper than MAX_DEPTH ({MAX_DEPTH}); value left out"),
                        );
                        self.skip_value(parent, true);
                        return None;
                    }
                    self.sequence(next.indent, depth)
                }
                _ => self.node().then_some(Value::Null),
            };
        }
        if t.starts_with(['&', '*', '!']) {
            let what = match t.as_bytes()[0] {
                b'&' => "anchors",
                b'*' => "aliases",
                _ => "tags",
            };
            self.warn(no, format!("{what} are not supported; value left out"));
            self.skip_value(parent, same_indent_seq);
            return None;
        }
        if t.starts_with(['|', '>']) {
            return self.block_scalar(t, no, parent);
        }
        self.inline(rest.trim_start_matches(is_ws), no, parent, depth)
    }

    /// The more-indented lines after the current position that continue a scalar or a
    /// flow collection, trimmed and joined by '\n'. For a flow collection (`flow`), a
    /// closing `]` or `}` at the parent's indentation ends it too, as PyYAML accepts.
    fn continuation(&mut self, first: &str, parent: isize, flow: bool) -> String {
        let mut s = first.trim_end().to_string();
        while let Some(&l) = self.lines.get(self.pos) {
            if l.is_blank() {
                s.push('\n');
                self.pos += 1;
                continue;
            }
            if flow && (l.indent as isize) <= parent && l.text.starts_with([']', '}']) {
                s.push('\n');
                s.push_str(l.text.trim());
                self.pos += 1;
                break;
            }
            if (l.indent as isize) <= parent || l.text.starts_with('\t') {
                break;
            }
            s.push('\n');
            s.push_str(l.text.trim());
            self.pos += 1;
            if s.len() > MAX_STRING_BYTES {
                break;
            }
        }
        s.truncate(s.trim_end_matches('\n').len());
        s
    }

    /// A scalar or flow collection that starts on a line (`text`, the line already
    /// consumed) and may continue on more indented lines.
    fn inline(&mut self, text: &'a str, no: usize, parent: isize, depth: usize) -> Option<Value> {
        let first = text.chars().next().unwrap_or(' ');
        let result = match first {
            '[' | '{' => {
                let single = strip_comment(text).trim();
                let whole = match Flow::new(single, depth, self.nodes).node_at_top() {
                    Err(FlowError::Unterminated) => {
                        // Continuation lines are joined; comments on them are dropped.
                        let joined = self.continuation(text, parent, true);
                        joined
                            .split('\n')
                            .map(|line| strip_comment(line).trim())
                            .collect::<Vec<_>>()
                            .join(" ")
                    }
                    _ => single.to_string(),
                };
                let mut flow = Flow::new(&whole, depth, self.nodes);
                let r = flow.node_at_top();
                self.nodes = flow.nodes;
                match r {
                    Ok(v) => Ok(v),
                    Err(FlowError::Other(e)) => Err(e),
                    Err(FlowError::Unterminated) => Err("unterminated flow collection".into()),
                }
            }
            '"' | '\'' => self.quoted(text, parent),
            '@' | '`' => Err(format!("a plain scalar cannot start with {first:?}")),
            _ => {
                let joined = self.continuation(strip_comment(text), parent, false);
                let lines: Vec<&str> = joined
                    .split('\n')
                    .map(|x| strip_comment(x).trim())
                    .collect();
                if lines
                    .iter()
                    .any(|x| split_key(x).is_some() || x.ends_with(':'))
                {
                    Err("a `key: value` inside a plain scalar".into())
                } else if lines.iter().any(|x| is_seq_item(x)) {
                    Err("a list item inside a plain scalar".into())
                } else {
                    let s = fold_breaks(&lines.join("\n"));
                    if s.len() > MAX_STRING_BYTES {
                        Err(format!(
                            "string longer than MAX_STRING_BYTES ({MAX_STRING_BYTES})"
                        ))
                    } else if lines.len() == 1 {
                        Ok(plain_value(&s))
                    } else {
                        Ok(Value::String(s))
                    }
                }
            }
        };
        match result {
            Ok(v) => self.node().then_some(v),
            Err(e) => {
                self.warn(no, format!("{e}; value left out"));
                None
            }
        }
    }

    /// A quoted scalar that may span lines.
    fn quoted(&mut self, text: &str, parent: isize) -> Result<Value, String> {
        let joined;
        let text = if quoted_end(text).is_some() {
            text
        } else {
            joined = self.continuation(text, parent, false);
            joined.as_str()
        };
        let q = text.chars().next().unwrap_or('"');
        let end = quoted_end(text).ok_or("unterminated quoted string")?;
        let after = strip_comment(&text[end..]).trim();
        if !after.is_empty() {
            return Err(format!("text after a quoted string: {after:?}"));
        }
        let body = &text[1..end - 1];
        if body.len() > MAX_STRING_BYTES {
            return Err(format!(
                "string longer than MAX_STRING_BYTES ({MAX_STRING_BYTES})"
            ));
        }
        unquote(body, q).map(Value::String)
    }

    fn block_scalar(&mut self, header: &str, no: usize, parent: isize) -> Option<Value> {
        let folded = header.starts_with('>');
        let mut chomp = ' ';
        let mut explicit: Option<usize> = None;
        for c in header[1..].chars() {
            match c {
                '+' | '-' if chomp == ' ' => chomp = c,
                '1'..='9' if explicit.is_none() => explicit = c.to_digit(10).map(|d| d as usize),
                _ => {
                    self.warn(
                        no,
                        format!("invalid block scalar header {header:?}; value left out"),
                    );
                    self.skip_value(parent, false);
                    return None;
                }
            }
        }
        // Content lines: blank, or more indented than the parent.
        let start = self.pos;
        let mut end = start;
        while let Some(l) = self.lines.get(end) {
            if l.is_blank() || (l.indent as isize) > parent {
                end += 1;
            } else {
                break;
            }
        }
        self.pos = end;
        let content = &self.lines[start..end];
        let base = (parent + 1).max(0) as usize;
        let m = match explicit {
            Some(d) => base + d - 1,
            None => content
                .iter()
                .find(|l| !l.is_blank())
                .map_or(base, |l| l.indent),
        };
        let mut texts: Vec<String> = Vec::new();
        let mut total = 0;
        for l in content {
            if l.is_blank() {
                texts.push(String::new());
                continue;
            }
            if l.indent < m {
                self.warn(
                    l.no,
                    "block scalar line less indented than its first line; value left out",
                );
                return None;
            }
            let s = format!(
                "{}{}",
                " ".repeat(l.indent - m),
                l.text.trim_end_matches(['\r'])
            );
            total += s.len() + 1;
            if total > MAX_STRING_BYTES {
                self.warn(
                    no,
                    format!(
                        "string longer than MAX_STRING_BYTES ({MAX_STRING_BYTES}); value left out"
                    ),
                );
                return None;
            }
            texts.push(s);
        }
        let last = texts.iter().rposition(|t| !t.is_empty());
        let trailing = texts.len() - last.map_or(0, |i| i + 1);
        let body_lines = &texts[..last.map_or(0, |i| i + 1)];
        let mut body = if folded {
            fold_block(body_lines)
        } else {
            body_lines.join("\n")
        };
        if last.is_some() {
            match chomp {
                '-' => {}
                '+' => {
                    body.push('\n');
                    body.extend(std::iter::repeat_n('\n', trailing));
                }
                _ => body.push('\n'),
            }
        } else if chomp == '+' {
            body.extend(std::iter::repeat_n('\n', trailing));
        }
        self.node().then_some(Value::String(body))
    }
}

/// Folds the lines of a `>` block scalar: breaks between ordinary lines become spaces,
/// blank lines newlines; more-indented lines keep their breaks.
fn fold_block(lines: &[String]) -> String {
    #[derive(PartialEq)]
    enum Prev {
        Start,
        Normal,
        More,
        Blank,
    }
    let mut out = String::new();
    let mut prev = Prev::Start;
    let mut before_blank = Prev::Start;
    for line in lines {
        if line.is_empty() {
            out.push('\n');
            if prev != Prev::Blank {
                before_blank = std::mem::replace(&mut prev, Prev::Blank);
            }
            continue;
        }
        let more = line.starts_with([' ', '\t']);
        match prev {
            Prev::Start => {}
            Prev::Normal if !more => out.push(' '),
            Prev::Normal | Prev::More => out.push('\n'),
            Prev::Blank => {
                if more || before_blank == Prev::More {
                    out.push('\n');
                }
            }
        }
        out.push_str(line);
        prev = if more { Prev::More } else { Prev::Normal };
    }
    out
}

enum FlowError {
    Unterminated,
    Other(String),
}

/// A flow collection (`[a, {b: 1}]`) on one (joined) line.
struct Flow<'s> {
    s: &'s str,
    i: usize,
    depth: usize,
    nodes: usize,
}

impl<'s> Flow<'s> {
    fn new(s: &'s str, depth: usize, nodes: usize) -> Self {
        Flow {
            s,
            i: 0,
            depth,
            nodes,
        }
    }

    fn err<T>(msg: impl Into<String>) -> Result<T, FlowError> {
        Err(FlowError::Other(msg.into()))
    }

    fn peek(&self) -> Option<char> {
        self.s[self.i..].chars().next()
    }

    fn ws(&mut self) {
        while let Some(c) = self.peek() {
            if c == ' ' || c == '\t' || c == '\n' {
                self.i += 1;
            } else {
                break;
            }
        }
    }

    fn count(&mut self) -> Result<(), FlowError> {
        self.nodes += 1;
        if self.nodes > MAX_NODES {
            return Self::err(format!("more than MAX_NODES ({MAX_NODES}) values"));
        }
        Ok(())
    }

    fn node_at_top(&mut self) -> Result<Value, FlowError> {
        let v = self.node(self.depth)?;
        self.ws();
        if self.i < self.s.len() {
            return Self::err(format!(
                "text after a flow collection: {:?}",
                &self.s[self.i..]
            ));
        }
        Ok(v)
    }

    fn node(&mut self, depth: usize) -> Result<Value, FlowError> {
        self.ws();
        match self.peek() {
            None => Err(FlowError::Unterminated),
            Some('[') => self.seq(depth + 1),
            Some('{') => self.map(depth + 1),
            Some(c @ ('"' | '\'')) => {
                let rest = &self.s[self.i..];
                let end = quoted_end(rest).ok_or(FlowError::Unterminated)?;
                let body = &rest[1..end - 1];
                if body.len() > MAX_STRING_BYTES {
                    return Self::err("string longer than MAX_STRING_BYTES");
                }
                self.i += end;
                self.count()?;
                unquote(body, c)
                    .map(Value::String)
                    .map_err(FlowError::Other)
            }
            Some('&') => Self::err("anchors are not supported"),
            Some('*') => Self::err("aliases are not supported"),
            Some('!') => Self::err("tags are not supported"),
            Some(_) => {
                let s = self.plain();
                self.count()?;
                Ok(plain_value(s))
            }
        }
    }

    /// A plain scalar in flow context: ends at `,[]{}`, at `: ` and at ` #`.
    fn plain(&mut self) -> &'s str {
        let start = self.i;
        let bytes = self.s.as_bytes();
        while self.i < bytes.len() {
            let c = bytes[self.i];
            let next = bytes.get(self.i + 1).copied();
            let boundary = matches!(c, b',' | b'[' | b']' | b'{' | b'}')
                || (c == b':'
                    && matches!(next, None | Some(b' ' | b'\t' | b'\n' | b',' | b']' | b'}')))
                || (c == b'#' && self.i > start && matches!(bytes[self.i - 1], b' ' | b'\t'));
            if boundary {
                break;
            }
            self.i += 1;
        }
        self.s[start..self.i].trim_end()
    }

    fn seq(&mut self, depth: usize) -> Result<Value, FlowError> {
        if depth > MAX_DEPTH {
            return Self::err(format!("nested deeper than MAX_DEPTH ({MAX_DEPTH})"));
        }
        self.count()?;
        self.i += 1;
        let mut items = Vec::new();
        loop {
            self.ws();
            match self.peek() {
                None => return Err(FlowError::Unterminated),
                Some(']') => {
                    self.i += 1;
                    return Ok(Value::Array(items));
                }
                _ => {}
            }
            let v = self.node(depth)?;
            if items.len() >= MAX_ITEMS {
                return Self::err(format!(
                    "flow list with more than MAX_ITEMS ({MAX_ITEMS}) items"
                ));
            }
            items.push(v);
            self.ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some(']') => {}
                Some(':') => {
                    return Self::err("a `key: value` pair inside a flow list is not supported")
                }
                None => return Err(FlowError::Unterminated),
                Some(c) => return Self::err(format!("unexpected {c:?} in a flow list")),
            }
        }
    }

    fn map(&mut self, depth: usize) -> Result<Value, FlowError> {
        if depth > MAX_DEPTH {
            return Self::err(format!("nested deeper than MAX_DEPTH ({MAX_DEPTH})"));
        }
        self.count()?;
        self.i += 1;
        let mut map = Map::new();
        loop {
            self.ws();
            match self.peek() {
                None => return Err(FlowError::Unterminated),
                Some('}') => {
                    self.i += 1;
                    return Ok(Value::Object(map));
                }
                Some('[' | '{' | '?') => return Self::err("complex keys are not supported"),
                _ => {}
            }
            // Keys are kept as written: a plain `1.50` key stays "1.50".
            let key = match self.peek() {
                Some('"' | '\'') => match self.node(depth)? {
                    Value::String(s) => s,
                    _ => return Self::err("invalid key"),
                },
                Some('&' | '*' | '!') => {
                    return Self::err("anchors, aliases and tags are not supported")
                }
                _ => {
                    let k = self.plain().to_string();
                    self.count()?;
                    k
                }
            };
            self.ws();
            let value = match self.peek() {
                Some(':') => {
                    self.i += 1;
                    self.ws();
                    match self.peek() {
                        Some(',' | '}') => Value::Null,
                        _ => self.node(depth)?,
                    }
                }
                Some(',' | '}') => Value::Null,
                None => return Err(FlowError::Unterminated),
                Some(c) => return Self::err(format!("unexpected {c:?} in a flow mapping")),
            };
            if map.len() >= MAX_ITEMS && !map.contains_key(&key) {
                return Self::err(format!(
                    "flow mapping with more than MAX_ITEMS ({MAX_ITEMS}) keys"
                ));
            }
            map.insert(key, value);
            self.ws();
            match self.peek() {
                Some(',') => self.i += 1,
                Some('}') => {}
                None => return Err(FlowError::Unterminated),
                Some(c) => return Self::err(format!("unexpected {c:?} in a flow mapping")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(text: &str) -> Value {
        let y = parse(text);
        assert!(
            y.warnings.is_empty(),
            "unexpected warnings: {:?}",
            y.warnings
        );
        y.value.expect("a value")
    }

    fn warned(text: &str) -> Yaml {
        let y = parse(text);
        assert!(!y.warnings.is_empty(), "expected warnings for {text:?}");
        y
    }

    const LLAMA: &str = r#"language:
- en
- de
library_name: transformers
license: llama3
license_name: llama3
license_link: LICENSE
pipeline_tag: text-generation
base_model: meta-llama/Meta-Llama-3-8B
tags:
- facebook
- meta
- pytorch
- llama
- llama-3
extra_gated_prompt: >-
  ### META LLAMA 3 COMMUNITY LICENSE AGREEMENT

  Meta Llama 3 Version Release Date: April 18, 2024

  "Agreement" means the terms and conditions for use.
extra_gated_fields:
  First Name: text
  Last Name: text
  Date of birth: date_picker
  Country: country
  Affiliation: text
  geo: ip_location
  By clicking Submit below I accept the terms of the license and acknowledge that the information I provide will be collected stored processed and shared in accordance with the Meta Privacy Policy: checkbox
extra_gated_description: The information you provide will be collected, stored, processed and shared in accordance with the [Meta Privacy Policy](https://www.facebook.com/privacy/policy/).
extra_gated_button_content: Submit
widget:
  - example_title: Hello
    messages:
      - role: user
        content: Hey my name is Julien! How are you?
datasets:
  - HuggingFaceH4/ultrachat_200k   # the SFT mix
  - 'allenai/c4'
model-index:
- name: Llama-3-8B-Instruct
  results:
  - task:
      type: text-generation
      name: Text Generation
    dataset:
      name: MMLU (5-Shot)
      type: cais/mmlu
      config: all
      split: test
      args:
        num_few_shot: 5
    metrics:
    - type: acc
      value: 68.4
      name: accuracy
      verified: false
    - type: f1
      value: "71"
  - task: {type: text-generation}
    dataset: {name: GSM8k, type: gsm8k, split: test}
    metrics: [{type: acc, value: 79.6, name: strict-match}]
"#;

    #[test]
    fn llama_style_card() {
        let v = read(LLAMA);
        assert_eq!(v["license"], "llama3");
        assert_eq!(v["license_link"], "LICENSE");
        assert_eq!(v["language"], json!(["en", "de"]));
        assert_eq!(v["base_model"], "meta-llama/Meta-Llama-3-8B");
        assert_eq!(v["tags"].as_array().unwrap().len(), 5);
        assert_eq!(
            v["extra_gated_prompt"],
            "### META LLAMA 3 COMMUNITY LICENSE AGREEMENT\nMeta Llama 3 Version Release Date: April 18, 2024\n\"Agreement\" means the terms and conditions for use."
        );
        assert_eq!(v["extra_gated_fields"]["Date of birth"], "date_picker");
        assert_eq!(v["extra_gated_fields"].as_object().unwrap().len(), 7);
        assert_eq!(
            v["widget"][0]["messages"][0]["content"],
            "Hey my name is Julien! How are you?"
        );
        assert_eq!(
            v["datasets"],
            json!(["HuggingFaceH4/ultrachat_200k", "allenai/c4"])
        );
        let results = &v["model-index"][0]["results"];
        assert_eq!(v["model-index"][0]["name"], "Llama-3-8B-Instruct");
        assert_eq!(results[0]["task"]["type"], "text-generation");
        assert_eq!(results[0]["dataset"]["args"]["num_few_shot"], 5);
        assert_eq!(results[0]["metrics"][0]["value"], json!(68.4));
        assert_eq!(results[0]["metrics"][0]["verified"], false);
        assert_eq!(results[0]["metrics"][1]["value"], "71");
        assert_eq!(results[1]["dataset"]["name"], "GSM8k");
        assert_eq!(results[1]["metrics"][0]["value"], json!(79.6));
    }

    #[test]
    fn bert_style_card() {
        let v = read(
            "language: en\ntags:\n- exbert\nlicense: apache-2.0\ndatasets:\n- bookcorpus\n- wikipedia\n",
        );
        assert_eq!(
            v,
            json!({"language": "en", "tags": ["exbert"], "license": "apache-2.0",
                   "datasets": ["bookcorpus", "wikipedia"]})
        );
    }

    #[test]
    fn co2_and_nested_mappings() {
        let v = read(
            "co2_eq_emissions:\n  emissions: 149.2\n  source: \"CodeCarbon\"\n  training_type: pre-training\n  geographical_location: Frankfurt, Germany\n  hardware_used: 8 x A100 GPUs\nother: 10\n",
        );
        assert_eq!(v["co2_eq_emissions"]["emissions"], json!(149.2));
        assert_eq!(
            v["co2_eq_emissions"]["geographical_location"],
            "Frankfurt, Germany"
        );
        assert_eq!(v["other"], 10);
    }

    #[test]
    fn scalars_are_typed_only_where_yaml_versions_agree() {
        let v = read(
            "a: 12\nb: -3\nc: 1.5\nd: true\ne: False\nf: ~\ng:\nh: yes\ni: no\nj: on\nk: 012\nl: 1e5\nm: 1.0e+3\nn: .inf\no: 0x1f\np: 1_000\nq: 3.10\nr: 99999999999999999999999\ns: '12'\nt: \"true\"\nu: 1.2.3\n",
        );
        assert_eq!(v["a"], 12);
        assert_eq!(v["b"], -3);
        assert_eq!(v["c"], json!(1.5));
        assert_eq!(v["d"], true);
        assert_eq!(v["e"], false);
        assert_eq!(v["f"], Value::Null);
        assert_eq!(v["g"], Value::Null);
        for (k, s) in [
            ("h", "yes"),
            ("i", "no"),
            ("j", "on"),
            ("k", "012"),
            ("l", "1e5"),
            ("n", ".inf"),
            ("o", "0x1f"),
            ("p", "1_000"),
            ("r", "99999999999999999999999"),
            ("s", "12"),
            ("t", "true"),
            ("u", "1.2.3"),
        ] {
            assert_eq!(v[k], s, "{k}");
        }
        assert_eq!(v["m"], json!(1000.0));
        assert_eq!(v["q"], json!(3.1));
        assert_eq!(
            read("a: .5\nb: -.5\nc: 1.\n"),
            json!({"a": 0.5, "b": "-.5", "c": 1.0})
        );
    }

    #[test]
    fn quoted_scalars_and_escapes() {
        let v = read(
            "a: \"tab\\there \\\"q\\\" \\u00e9 \\x41 \\\\\"\nb: 'it''s # not a comment'\nc: plain # a comment\nd: C# stays\ne: \"one\n  two\n\n  three\"\nf: \"joined\\\n  directly\"\n\"quoted key\": 1\ng: http://example.com:8080/x\n",
        );
        assert_eq!(v["a"], "tab\there \"q\" é A \\");
        assert_eq!(v["b"], "it's # not a comment");
        assert_eq!(v["c"], "plain");
        assert_eq!(v["d"], "C# stays");
        assert_eq!(v["e"], "one two\nthree");
        assert_eq!(v["f"], "joineddirectly");
        assert_eq!(v["quoted key"], 1);
        assert_eq!(v["g"], "http://example.com:8080/x");
    }

    #[test]
    fn block_scalars_keep_text() {
        let v = read(
            "lit: |\n  line one\n    indented\n\n  line three\nkeep: |+\n  x\n\nstrip: >-\n  folded\n  text\n\n  para\nclip: >\n  a\n    b\n  c\nafter: 1\n",
        );
        assert_eq!(v["lit"], "line one\n  indented\n\nline three\n");
        assert_eq!(v["keep"], "x\n\n");
        assert_eq!(v["strip"], "folded text\npara");
        assert_eq!(v["clip"], "a\n  b\nc\n");
        assert_eq!(v["after"], 1);
    }

    #[test]
    fn flow_collections() {
        let v = read(
            "a: [x, 'y, z', \"w\", 1, [2, 3]]\nb: {k: v, n: 1.50, \"q\": [1]}\nc: []\nd: {}\ne: [one,\n  two]\n",
        );
        assert_eq!(v["a"], json!(["x", "y, z", "w", 1, [2, 3]]));
        assert_eq!(v["b"], json!({"k": "v", "n": 1.5, "q": [1]}));
        assert_eq!(v["c"], json!([]));
        assert_eq!(v["d"], json!({}));
        assert_eq!(v["e"], json!(["one", "two"]));
        // A closing bracket at the key's indentation ends a multi-line flow (as PyYAML).
        assert_eq!(
            read("tags: [\n  a,\n  b\n]\nx: {\n  k: 1\n}\n"),
            json!({"tags": ["a", "b"], "x": {"k": 1}})
        );
    }

    #[test]
    fn sequences_at_key_indent_and_nested() {
        let v = read("a:\n- 1\n- - x\n  - y\n-\n  k: v\nb: 2\n");
        assert_eq!(v, json!({"a": [1, ["x", "y"], {"k": "v"}], "b": 2}));
    }

    #[test]
    fn anchors_aliases_and_tags_are_left_out_and_reported() {
        let y = warned("a: &x 1\nb: *x\nc: !!str 3\nd: ok\ne: [*x]\n");
        assert_eq!(y.value.unwrap(), json!({"d": "ok"}));
        assert_eq!(y.warnings.len(), 4);
        assert!(y.warnings[0].contains("anchors"), "{:?}", y.warnings);
        assert!(y.warnings[1].contains("aliases"));
        assert!(y.warnings[2].contains("tags"));
        let y = warned("base: &b\n  x: 1\nother: 2\n");
        assert_eq!(y.value.unwrap(), json!({"other": 2}));
    }

    #[test]
    fn tabs_and_unterminated_quotes_are_reported() {
        let y = warned("a: 1\n\tb: 2\nc: 3\n");
        assert_eq!(y.value.unwrap(), json!({"a": 1, "c": 3}));
        assert!(y.warnings[0].contains("tab"));
        let y = warned("a: \"never closed\nb: 2\n");
        assert_eq!(y.value.unwrap(), json!({"b": 2}));
        assert!(y.warnings[0].contains("unterminated"));
        let y = warned("a: [1, 2\nb: 2\n");
        assert_eq!(y.value.unwrap(), json!({"b": 2}));
        // A tab after the key's colon is only a separator.
        assert_eq!(read("a:\t1\n"), json!({"a": 1}));
    }

    #[test]
    fn deep_nesting_is_cut_at_max_depth() {
        let mut text = String::new();
        for i in 0..200 {
            text.push_str(&" ".repeat(i));
            text.push_str("k:\n");
        }
        let y = warned(&text);
        assert!(y.warnings[0].contains("MAX_DEPTH"));
        let mut v = &y.value.unwrap();
        let mut depth = 0;
        while let Some(inner) = v.get("k") {
            v = inner;
            depth += 1;
        }
        assert!(depth <= MAX_DEPTH + 1, "{depth}");
        let y = warned(&format!(
            "a: {}{}\n",
            "[".repeat(10_000),
            "]".repeat(10_000)
        ));
        assert_eq!(y.value.unwrap(), json!({}));
        let y = warned(&format!("a: {}\n", "{".repeat(10_000)));
        assert_eq!(y.value.unwrap(), json!({}));
        // Within the bound, nesting is read.
        assert_eq!(read("a: [[[1]]]\n"), json!({"a": [[[1]]]}));
    }

    #[test]
    fn huge_lists_are_cut_and_big_inputs_refused() {
        let text = format!("tags:\n{}", "- t\n".repeat(MAX_ITEMS + 10));
        let y = warned(&text);
        assert_eq!(
            y.value.unwrap()["tags"].as_array().unwrap().len(),
            MAX_ITEMS
        );
        assert!(y.warnings[0].contains("MAX_ITEMS"));
        let y = warned(&format!("a: [{}]\n", "1,".repeat(MAX_ITEMS + 1)));
        assert_eq!(y.value.unwrap(), json!({}));
        let y = warned(&"a: b\n".repeat(MAX_YAML_BYTES / 4));
        assert!(y.value.is_none());
        assert!(y.warnings[0].contains("MAX_YAML_BYTES"));
        let mut many = String::new();
        for i in 0..(MAX_NODES / MAX_ITEMS + 2) {
            many.push_str(&format!("l{i}:\n{}", "- x\n".repeat(MAX_ITEMS)));
        }
        let y = warned(&many);
        assert!(
            y.warnings.iter().any(|w| w.contains("MAX_NODES")),
            "{:?}",
            y.warnings
        );
    }

    #[test]
    fn what_pyyaml_writes_for_hub_metadata_is_read() {
        // PyYAML's dump of card metadata: long double-quoted strings continued with `\`
        // and escaped spaces, and keys over 128 characters written as explicit `?` keys.
        let v = read(
            "extra_gated_prompt: \"### LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\\nLlama 3.1 Version\\\n  \\ Release Date: July 23, 2024\\n\\\"Agreement\\\" means\\\n  \\ the terms.\"\nextra_gated_fields:\n  geo: ip_location\n  ? By clicking Submit below I accept the terms of the license and acknowledge that\n    the information I provide will be collected\n  : checkbox\n  ? short\n  Country: country\n",
        );
        assert_eq!(
            v["extra_gated_prompt"],
            "### LLAMA 3.1 COMMUNITY LICENSE AGREEMENT\nLlama 3.1 Version Release Date: July 23, 2024\n\"Agreement\" means the terms."
        );
        assert_eq!(
            v["extra_gated_fields"],
            json!({
                "geo": "ip_location",
                "By clicking Submit below I accept the terms of the license and acknowledge that the information I provide will be collected": "checkbox",
                "short": null,
                "Country": "country"
            })
        );
    }

    #[test]
    fn duplicate_keys_keep_the_last_and_warn() {
        let y = warned("a: 1\na: 2\n");
        assert_eq!(y.value.unwrap(), json!({"a": 2}));
    }

    #[test]
    fn malformed_lines_are_reported_not_guessed() {
        let y = warned("a: b: c\nd: 1\n");
        assert_eq!(y.value.unwrap(), json!({"d": 1}));
        let y = warned("just text\n  key: 1\n");
        assert!(y.value.is_none());
        let y = warned("a: 1\n- item\n");
        assert_eq!(y.value.unwrap(), json!({"a": 1}));
        let y = warned("? [complex, key]\n: value\nb: 1\n");
        assert_eq!(y.value.unwrap(), json!({"b": 1}));
        assert!(y.warnings[0].contains("complex keys"));
        let y = warned("? &a k\n: value\nb: 1\n");
        assert_eq!(y.value.unwrap(), json!({"b": 1}));
        let y = warned("a: 1\n---\nb: 2\n");
        assert_eq!(y.value.unwrap(), json!({"a": 1}));
        assert!(parse("").value.is_none());
        assert!(parse("# only a comment\n").value.is_none());
    }

    #[test]
    fn hostile_bytes_never_panic() {
        for text in [
            "\"",
            "'",
            "[",
            "{",
            "a: \"\\",
            "a: \"\\u12\"",
            "a: \"\\uD800\"",
            "- - - -",
            "-",
            ":",
            "a:\n  - |\n",
            "a: |9\n x",
            "a: |0\n",
            "a: >+-\n",
            "é: ü\n  - ä",
            "{a: [}]",
            "a: {b: }",
            "\u{feff}a: 1",
            "a:\r\n  b: 1\r\n",
        ] {
            let _ = parse(text);
        }
        assert_eq!(
            read("\u{feff}a: 1\r\nb:\r\n  - x\r\n"),
            json!({"a": 1, "b": ["x"]})
        );
    }
}
