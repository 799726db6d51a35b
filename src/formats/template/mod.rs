//! Chat templates (Jinja) from GGUF metadata, `tokenizer_config.json` and
//! `chat_template.jinja`. Nothing is rendered: a small lexer finds the blocks and looks
//! for the constructs that leave Jinja's sandbox or reach the host. Benign templates use
//! loops, conditionals, `namespace`, `raise_exception` and filters such as `tojson`;
//! none of those are flagged.

mod fold;

use std::collections::BTreeSet;

use crate::findings::{Finding, Severity};
use crate::formats::Parsed;
use crate::limits::{self, LimitHit};
use crate::rules;

/// Globals of Jinja, Flask and the template context that lead to Python objects.
const ESCAPE_GLOBALS: &[&str] = &[
    "lipsum",
    "cycler",
    "joiner",
    "self",
    "config",
    "request",
    "url_for",
    "get_flashed_messages",
    "__import__",
    "getattr",
    "globals",
    "builtins",
    "eval",
    "exec",
    "subprocess",
];

/// Functions that renderers put in a template's globals (Jinja's own, transformers'
/// `raise_exception` and `strftime_now`). Calling them is ordinary; an attribute or item
/// of the function object itself (`raise_exception.__globals__`, `namespace[name]`) is
/// only ever a route to the Python behind it.
const FUNCTION_GLOBALS: &[&str] = &[
    "namespace",
    "raise_exception",
    "strftime_now",
    "range",
    "dict",
];

/// Names that run code or reach the host when reached as an attribute (`x.popen(...)`).
const HOST_ATTRIBUTES: &[&str] = &[
    "popen",
    "system",
    "spawn",
    "exec",
    "eval",
    "load",
    "loads",
    "read",
    "write",
    "open",
    "import_module",
    "modules",
    "os",
];

/// Constructs named in one finding's message; the rest are counted.
const MAX_LISTED_CONSTRUCTS: usize = 16;

/// Statements that load other templates from the renderer's environment.
const LOADING_STATEMENTS: &[&str] = &["import", "from", "include", "extends"];

#[derive(Debug, PartialEq)]
enum Token {
    Ident(String),
    Str(String),
    /// The raw text of a string literal, escapes undecoded.
    RawStr(String),
    Punct(char),
}

/// Splits the inside of one `{{ }}` or `{% %}` block into tokens.
fn lex(block: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let chars: Vec<char> = block.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '\'' || c == '"' {
            let quote = c;
            let start = i + 1;
            i += 1;
            let mut value = String::new();
            while i < chars.len() && chars[i] != quote {
                if chars[i] == '\\' && i + 1 < chars.len() {
                    // Keep escapes as written: decoding them is exactly what hides names.
                    value.push(chars[i]);
                    value.push(chars[i + 1]);
                    i += 2;
                } else {
                    value.push(chars[i]);
                    i += 1;
                }
            }
            let raw: String = chars[start..i.min(chars.len())].iter().collect();
            i += 1;
            out.push(Token::Str(value));
            out.push(Token::RawStr(raw));
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            out.push(Token::Ident(chars[start..i].iter().collect()));
        } else {
            out.push(Token::Punct(c));
            i += 1;
        }
    }
    out
}

fn is_dunder(name: &str) -> bool {
    name.len() > 4 && name.starts_with("__") && name.ends_with("__")
}

fn has_underscore_escape(raw: &str) -> bool {
    let lower = raw.to_ascii_lowercase();
    ["\\x5f", "\\u005f", "\\u0000005f", "\\137", "\\n{low line}"]
        .iter()
        .any(|e| lower.contains(e))
}

/// What one block contains that a sandbox-respecting template never needs.
fn inspect_block(
    tokens: &[Token],
    statement: bool,
    found: &mut BTreeSet<String>,
    loads: &mut BTreeSet<String>,
) {
    if statement {
        if let Some(Token::Ident(first)) = tokens.first() {
            if LOADING_STATEMENTS.contains(&first.as_str()) {
                loads.insert(format!("{{% {first} %}}"));
            }
        }
    }
    for (i, t) in tokens.iter().enumerate() {
        let after_dot = i > 0 && tokens[i - 1] == Token::Punct('.');
        let after_pipe = i > 0 && tokens[i - 1] == Token::Punct('|');
        match t {
            Token::Ident(name) => {
                if is_dunder(name) || (after_dot && name.starts_with('_')) {
                    found.insert(format!("private attribute `{name}`"));
                } else if after_pipe && name == "attr" {
                    found.insert("the `|attr` filter".into());
                } else if !after_dot && ESCAPE_GLOBALS.contains(&name.as_str()) {
                    found.insert(format!("the global `{name}`"));
                } else if !after_dot
                    && !after_pipe
                    && FUNCTION_GLOBALS.contains(&name.as_str())
                    && matches!(tokens.get(i + 1), Some(Token::Punct('.' | '[')))
                {
                    found.insert(format!("an attribute of the function `{name}`"));
                } else if after_dot
                    && HOST_ATTRIBUTES.contains(&name.as_str())
                    && matches!(tokens.get(i + 1), Some(Token::Punct('(' | '.' | '[')))
                {
                    // `ns.system` is a namespace attribute; `x.system(...)` is a call.
                    found.insert(format!("the attribute `.{name}`"));
                }
            }
            Token::Str(value) => {
                if value.contains("__")
                    && value
                        .split(|c: char| !c.is_alphanumeric() && c != '_')
                        .any(is_dunder)
                {
                    found.insert(format!("a dunder name in a string ({value:?})"));
                }
            }
            Token::RawStr(raw) => {
                if has_underscore_escape(raw) {
                    found.insert(format!("an escaped underscore in a string ({raw:?})"));
                }
            }
            Token::Punct(_) => {}
        }
    }
}

/// Checks one template; findings and limits go into `p`. `origin` names where the
/// template came from (a GGUF key, a file name), `offset` where it starts.
pub fn check(text: &[u8], origin: &str, offset: Option<u64>, p: &mut Parsed) {
    let mut text = text;
    if text.len() as u64 > limits::MAX_TEMPLATE_BYTES {
        p.limit(LimitHit::TemplateBytes);
        text = &text[..limits::MAX_TEMPLATE_BYTES as usize];
    }
    let source = String::from_utf8_lossy(text);
    let mut found = BTreeSet::new();
    let mut loads = BTreeSet::new();
    let mut folder = fold::Folder::default();
    let mut rest: &str = &source;
    while let Some(open) = rest.find('{') {
        let kind = rest[open + 1..].chars().next();
        let close = match kind {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                rest = &rest[open + 1..];
                continue;
            }
        };
        let body_start = open + 2;
        let end = if kind == Some('#') {
            rest[body_start..].find(close)
        } else {
            block_end(&rest[body_start..], close)
        };
        let (body, next) = match end {
            Some(end) => (&rest[body_start..body_start + end], body_start + end + 2),
            None => (&rest[body_start..], rest.len()),
        };
        if kind != Some('#') {
            let body = body.trim_matches(|c| c == '-' || c == '+');
            let tokens = lex(body);
            inspect_block(&tokens, kind == Some('%'), &mut found, &mut loads);
            folder.block(&tokens, kind == Some('%'));
        }
        rest = &rest[next..];
    }
    found.append(&mut folder.found);
    let finding = |severity, what: &BTreeSet<String>| {
        let mut list: Vec<&str> = what
            .iter()
            .take(MAX_LISTED_CONSTRUCTS)
            .map(String::as_str)
            .collect();
        let more = what.len().saturating_sub(MAX_LISTED_CONSTRUCTS);
        let more_text = format!("and {more} more");
        if more > 0 {
            list.push(&more_text);
        }
        let mut f = Finding::new(
            &rules::CHAT_TEMPLATE_INJECTION,
            format!("the chat template in {origin} uses {}", list.join(", ")),
        )
        .with_severity(severity)
        .detail(format!("template of {} bytes", text.len()));
        if let Some(o) = offset {
            f = f.offset(o);
        }
        f
    };
    if !found.is_empty() {
        p.push(finding(Severity::Critical, &found));
    } else if !loads.is_empty() {
        // Loading other templates reaches the renderer's file system, not Python itself.
        p.push(finding(Severity::High, &loads));
    }
}

/// Where a `{{ }}` or `{% %}` block ends: the first `close` outside a string literal, as
/// Jinja's lexer reads it (a `}}` inside quotes does not end the block).
fn block_end(body: &str, close: &str) -> Option<usize> {
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'\'' | b'"') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            _ if bytes[i..].starts_with(close.as_bytes()) => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(t: &str) -> Vec<(&'static str, Severity)> {
        let mut p = Parsed::default();
        check(t.as_bytes(), "test", None, &mut p);
        p.findings.iter().map(|f| (f.rule, f.severity)).collect()
    }

    #[test]
    fn benign_templates_are_quiet() {
        let benign = [
            "{% for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
            "{{- bos_token }}{%- set ns = namespace(system='') %}{%- if messages[0]['role'] == 'system' %}{%- set ns.system = messages[0]['content'] | trim %}{%- endif %}{{ ns.system | tojson }}{{ raise_exception('bad role') if false }}",
            "{# a comment mentioning __class__ is not code #}{{ message.content }}",
            "{{ strftime_now('%d %b %Y') }}{% set system_message = 'x' %}",
            "{{ '你好 — }}' + message['content'] }}{% if x == 'é' %}ü{% endif %}",
            "{{ 'unterminated",
        ];
        for t in benign {
            assert!(rules(t).is_empty(), "{t}: {:?}", rules(t));
        }
    }

    #[test]
    fn sandbox_escapes_fire_critical() {
        let bad = [
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "{{ self._TemplateReference__context }}",
            "{{ lipsum.__globals__['os'].popen('echo modelvet-fixture').read() }}",
            "{{ cycler.__init__.__globals__.os.popen('echo x') }}",
            "{{ ''|attr('__class__') }}",
            "{{ ''|attr('\\x5f\\x5fclass\\x5f\\x5f') }}",
            "{{ x['__globals__'] }}",
            "{%- set y = config.items() %}",
            // A `}}` inside a string literal does not end the block for Jinja.
            "{{ '}}' ~ ''.__class__.__mro__ }}",
            "{% set x = \"%}\" %}{% set y = ''.__class__ %}",
            "{{ \"\\\"}}\" ~ lipsum.__globals__ }}",
            // Names built at run time (fold.rs) and attributes of function globals.
            "{{ ''|first|attr('_' ~ '_' ~ 'class' ~ '_' ~ '_') }}",
            "{% set u = '%c'|format(95) %}{{ raise_exception[u ~ u ~ 'globals' ~ u ~ u] }}",
            "{{ namespace.x }}",
        ];
        for t in bad {
            assert_eq!(rules(t), vec![("MV703", Severity::Critical)], "{t}");
        }
    }

    #[test]
    fn a_finding_lists_a_bounded_number_of_constructs() {
        let many: String = (0..500).map(|i| format!("{{{{ x.__a{i}__ }}}}")).collect();
        let mut p = Parsed::default();
        check(many.as_bytes(), "t", None, &mut p);
        let message = &p.findings.iter().next().unwrap().message;
        assert!(message.ends_with("and 484 more"), "{message}");
    }

    #[test]
    fn template_loading_statements_fire_high() {
        assert_eq!(
            rules("{% include '/etc/passwd' %}"),
            vec![("MV703", Severity::High)]
        );
        assert_eq!(
            rules("{% from 'x.html' import y %}"),
            vec![("MV703", Severity::High)]
        );
    }

    #[test]
    fn oversized_and_unterminated_templates_end_cleanly() {
        let big = "a".repeat(limits::MAX_TEMPLATE_BYTES as usize + 10);
        let mut p = Parsed::default();
        check(big.as_bytes(), "t", None, &mut p);
        assert!(p.incomplete.is_some());
        assert!(rules("{{ ''.__class__").iter().any(|r| r.0 == "MV703"));
        assert!(rules("{{ '").is_empty());
        assert!(rules("{").is_empty());
    }
}
