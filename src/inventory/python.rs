//! Python source, parsed as Python (tree-sitter's Python grammar), for the AI references
//! an application makes: the calls of [`super::loaders`] with the names they are imported
//! under (`from transformers import AutoModel as M`, `import transformers as tf`), client
//! objects they are called on (`client = OpenAI(); client.chat.completions.create(...)`),
//! and the arguments that name a model: a literal, a module constant, or dynamic (reported
//! as such, never guessed). Strings that are not passed to a loader (docstrings, test
//! data) are never references. The tree is walked with an explicit stack: nesting depth
//! costs memory, never the call stack.

use std::collections::BTreeMap;

use tree_sitter::{Node, Parser};

use super::loaders::{self, Loader, Target};
use super::{Reference, Value};

/// Longest expression text kept for a dynamic value.
const MAX_EXPRESSION: usize = 160;

/// What the file binds at any level: imported names and client objects, by the text
/// they are used under (`M`, `tf`, `client`, `self.client`).
#[derive(Default)]
struct Names {
    /// Local name to qualified name (`M` -> `transformers.AutoModel`).
    imports: BTreeMap<String, String>,
    /// Modules imported with `*`.
    star: Vec<String>,
    /// Module-level `NAME = "text"` assignments: the value, or None when assigned more
    /// than once or to something else.
    constants: BTreeMap<String, Option<String>>,
    /// A name assigned the result of a call, to the call's qualified name plus `()`.
    instances: BTreeMap<String, String>,
}

/// A call whose qualified name matched a loader.
pub(crate) struct Matched<'t> {
    pub loader: &'static Loader,
    pub call: Node<'t>,
    pub qualified: String,
}

fn text<'s>(node: Node<'_>, source: &'s [u8]) -> &'s str {
    node.utf8_text(source).unwrap_or("")
}

fn cut(s: &str) -> String {
    let mut end = s.len().min(MAX_EXPRESSION);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    let mut out: String = s[..end].split_whitespace().collect::<Vec<_>>().join(" ");
    if end < s.len() {
        out.push('…');
    }
    out
}

/// Every node of the tree, parents before children, without recursion.
fn nodes(root: Node<'_>) -> Vec<Node<'_>> {
    let mut out = Vec::new();
    let mut cursor = root.walk();
    loop {
        out.push(cursor.node());
        if cursor.goto_first_child() {
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return out;
            }
        }
    }
}

fn record_imports(node: Node<'_>, source: &[u8], names: &mut Names) {
    let mut cursor = node.walk();
    match node.kind() {
        "import_statement" => {
            for child in node.children_by_field_name("name", &mut cursor) {
                match child.kind() {
                    // `import a.b` binds `a`.
                    "dotted_name" => {
                        let full = text(child, source);
                        let first = full.split('.').next().unwrap_or(full);
                        names.imports.insert(first.into(), first.into());
                    }
                    "aliased_import" => {
                        if let (Some(n), Some(a)) = (
                            child.child_by_field_name("name"),
                            child.child_by_field_name("alias"),
                        ) {
                            names
                                .imports
                                .insert(text(a, source).into(), text(n, source).into());
                        }
                    }
                    _ => {}
                }
            }
        }
        "import_from_statement" => {
            let Some(module) = node.child_by_field_name("module_name") else {
                return;
            };
            // Relative imports name the application's own modules.
            if module.kind() != "dotted_name" {
                return;
            }
            let module = text(module, source);
            for child in node.children_by_field_name("name", &mut cursor) {
                match child.kind() {
                    "dotted_name" => {
                        let n = text(child, source);
                        names.imports.insert(n.into(), format!("{module}.{n}"));
                    }
                    "aliased_import" => {
                        if let (Some(n), Some(a)) = (
                            child.child_by_field_name("name"),
                            child.child_by_field_name("alias"),
                        ) {
                            names.imports.insert(
                                text(a, source).into(),
                                format!("{module}.{}", text(n, source)),
                            );
                        }
                    }
                    _ => {}
                }
            }
            let mut c2 = node.walk();
            if node
                .children(&mut c2)
                .any(|c| c.kind() == "wildcard_import")
            {
                names.star.push(module.into());
            }
        }
        _ => {}
    }
}

/// A string node's value when it has no interpolation: `"a"`, `r'a'`, `"a" "b"`.
fn plain_string(node: Node<'_>, source: &[u8]) -> Option<String> {
    match node.kind() {
        "string" => {
            let mut out = String::new();
            let mut cursor = node.walk();
            for child in node.children(&mut cursor) {
                match child.kind() {
                    "string_content" => out.push_str(text(child, source)),
                    "interpolation" => return None,
                    "escape_sequence" => out.push_str(text(child, source)),
                    _ => {}
                }
            }
            Some(out)
        }
        "concatenated_string" => {
            let mut out = String::new();
            let mut cursor = node.walk();
            for child in node.named_children(&mut cursor) {
                out.push_str(&plain_string(child, source)?);
            }
            Some(out)
        }
        _ => None,
    }
}

fn at_module_level(node: Node<'_>) -> bool {
    // assignment -> expression_statement -> module
    node.parent()
        .and_then(|p| p.parent())
        .is_some_and(|m| m.kind() == "module")
}

impl Names {
    /// The qualified name of a callee expression, or None when it does not start from an
    /// imported name or a known client object.
    fn qualify(&self, node: Node<'_>, source: &[u8]) -> Option<String> {
        // Walk down `a.b.c` / `a().b` to its root, keeping the attribute names.
        let mut tail: Vec<String> = Vec::new();
        let mut current = node;
        loop {
            match current.kind() {
                "attribute" => {
                    let attr = current.child_by_field_name("attribute")?;
                    let object = current.child_by_field_name("object")?;
                    let whole = text(current, source);
                    if let Some(q) = self.instances.get(whole) {
                        tail.reverse();
                        return Some(join(q, &tail));
                    }
                    tail.push(text(attr, source).to_string());
                    current = object;
                }
                "call" => {
                    let f = current.child_by_field_name("function")?;
                    let q = self.qualify(f, source)?;
                    tail.reverse();
                    return Some(join(&format!("{q}()"), &tail));
                }
                "identifier" => {
                    let name = text(current, source);
                    let root = if let Some(q) = self.imports.get(name) {
                        q.clone()
                    } else if let Some(q) = self.instances.get(name) {
                        q.clone()
                    } else if self.star.len() == 1 && !self.constants.contains_key(name) {
                        format!("{}.{name}", self.star[0])
                    } else {
                        return None;
                    };
                    tail.reverse();
                    return Some(join(&root, &tail));
                }
                _ => return None,
            }
        }
    }

    /// What an argument says: a literal, a module constant, or dynamic.
    fn value(&self, node: Node<'_>, source: &[u8]) -> Value {
        if let Some(s) = plain_string(node, source) {
            return Value::Literal(s);
        }
        if node.kind() == "identifier" {
            let name = text(node, source);
            if let Some(Some(v)) = self.constants.get(name) {
                return Value::Constant {
                    name: name.to_string(),
                    value: v.clone(),
                };
            }
        }
        match node.kind() {
            "true" => Value::Literal("True".into()),
            "false" => Value::Literal("False".into()),
            "none" => Value::Literal("None".into()),
            _ => Value::Dynamic(cut(text(node, source))),
        }
    }
}

fn join(root: &str, tail: &[String]) -> String {
    if tail.is_empty() {
        root.to_string()
    } else {
        format!("{root}.{}", tail.join("."))
    }
}

/// A call's argument by position or keyword (the keyword wins, as in Python).
fn argument<'t>(
    call: Node<'t>,
    position: Option<usize>,
    keyword: &[&str],
    source: &[u8],
) -> Option<Node<'t>> {
    let args = call.child_by_field_name("arguments")?;
    let mut cursor = args.walk();
    let mut positional = 0usize;
    let mut by_position = None;
    for child in args.named_children(&mut cursor) {
        match child.kind() {
            "keyword_argument" => {
                let name = child.child_by_field_name("name").map(|n| text(n, source));
                if name.is_some_and(|n| keyword.contains(&n)) {
                    return child.child_by_field_name("value");
                }
            }
            "list_splat" | "dictionary_splat" | "comment" => {}
            _ => {
                if Some(positional) == position {
                    by_position = Some(child);
                }
                positional += 1;
            }
        }
    }
    by_position
}

/// Most bytes parsed at once. A file is cut at top-level statements into chunks of about
/// this size: tree-sitter keeps about 200 bytes per node, so one parse of a dense
/// megabyte would take hundreds of megabytes; a chunk takes a few.
const CHUNK_BYTES: usize = 64 * 1024;
/// A single top-level statement longer than this is not parsed; the file is incomplete.
pub const MAX_STATEMENT_BYTES: usize = 256 * 1024;
/// CPython refuses more than 200 nested brackets (its tokenizer's MAXLEVEL); a file
/// nested deeper cannot run, and is not parsed.
pub const MAX_NESTING: usize = 200;
/// Most references kept from one file; more make the file incomplete.
pub const MAX_REFERENCES_PER_FILE: usize = 10_000;

/// The chunks of a Python file: byte ranges of whole top-level statements, each at most
/// [`CHUNK_BYTES`] unless one statement is longer. Brackets, strings (single, triple,
/// with escapes), comments and backslash continuations are followed so a statement is
/// never cut; `else`/`elif`/`except`/`finally` and a decorated definition stay with what
/// they continue. Err when nesting exceeds [`MAX_NESTING`].
fn chunks(source: &[u8]) -> Result<(Vec<std::ops::Range<usize>>, Option<String>), String> {
    let mut starts = vec![0usize];
    let (mut i, mut depth) = (0usize, 0usize);
    let mut quote: Option<(u8, bool)> = None; // (quote byte, triple)
    let mut decorator = false;
    let n = source.len();
    let mut line_start = true;
    while i < n {
        // A backslash continuation skips its newline, so the next line never starts here.
        if line_start && depth == 0 && quote.is_none() {
            let c = source[i];
            if !matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'#' | b'\x0c') {
                let rest = &source[i..n.min(i + 8)];
                let continues = [&b"else"[..], b"elif", b"except", b"finally"]
                    .iter()
                    .any(|k| {
                        rest.starts_with(k)
                            && rest
                                .get(k.len())
                                .is_none_or(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                    });
                if i > 0 && !continues && !decorator {
                    starts.push(i);
                }
                decorator = c == b'@';
            }
        }
        line_start = false;
        let c = source[i];
        match quote {
            Some((q, triple)) => {
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == q {
                    if !triple {
                        quote = None;
                    } else if source.get(i + 1) == Some(&q) && source.get(i + 2) == Some(&q) {
                        quote = None;
                        i += 3;
                        continue;
                    }
                } else if c == b'\n' && !triple {
                    // An unterminated string ends at its line, as the tokenizer says.
                    quote = None;
                    line_start = true;
                }
            }
            None => match c {
                b'#' => {
                    while i < n && source[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'\'' | b'"' => {
                    let triple = source.get(i + 1) == Some(&c) && source.get(i + 2) == Some(&c);
                    quote = Some((c, triple));
                    if triple {
                        i += 3;
                        continue;
                    }
                }
                b'(' | b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_NESTING {
                        return Err(format!(
                            "brackets nested deeper than MAX_NESTING ({MAX_NESTING}, CPython's limit); not parsed"
                        ));
                    }
                }
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b'\\' if source.get(i + 1) == Some(&b'\n') => {
                    i += 2;
                    continue;
                }
                b'\n' => line_start = true,
                _ => {}
            },
        }
        i += 1;
    }
    starts.push(n);
    let mut out = Vec::new();
    let mut skipped = None;
    let mut chunk_start = 0usize;
    for w in starts.windows(2) {
        let (start, end) = (w[0], w[1]);
        if end - start > MAX_STATEMENT_BYTES {
            if chunk_start < start {
                out.push(chunk_start..start);
            }
            chunk_start = end;
            skipped = Some(format!(
                "a top-level statement of {} bytes (over MAX_STATEMENT_BYTES, {MAX_STATEMENT_BYTES}) was not parsed",
                end - start
            ));
            continue;
        }
        if end - chunk_start > CHUNK_BYTES && chunk_start < start {
            out.push(chunk_start..start);
            chunk_start = start;
        }
    }
    if chunk_start < n {
        out.push(chunk_start..n);
    }
    Ok((out, skipped))
}

/// Imports, module constants and client objects of one chunk, added to `names`.
fn collect_names(all: &[Node<'_>], source: &[u8], names: &mut Names) {
    for node in all {
        record_imports(*node, source, names);
        if node.kind() == "assignment" && at_module_level(*node) {
            if let (Some(left), Some(right)) = (
                node.child_by_field_name("left"),
                node.child_by_field_name("right"),
            ) {
                if left.kind() == "identifier" {
                    let name = text(left, source).to_string();
                    let value = plain_string(right, source);
                    names
                        .constants
                        .entry(name)
                        .and_modify(|v| *v = None)
                        .or_insert(value);
                }
            }
        }
    }
    // Client objects: `x = Client(...)`, in source order, so a later use sees them.
    for node in all {
        if node.kind() != "assignment" {
            continue;
        }
        let (Some(left), Some(right)) = (
            node.child_by_field_name("left"),
            node.child_by_field_name("right"),
        ) else {
            continue;
        };
        if right.kind() == "call" && matches!(left.kind(), "identifier" | "attribute") {
            if let Some(f) = right.child_by_field_name("function") {
                if let Some(q) = names.qualify(f, source) {
                    if loaders::is_client(&q) {
                        names
                            .instances
                            .insert(text(left, source).to_string(), format!("{q}()"));
                    }
                }
            }
        }
    }
}

/// The loader calls of one chunk; `first_line` is the chunk's first line in the file.
fn collect_calls(
    all: &[Node<'_>],
    source: &[u8],
    names: &Names,
    first_line: u64,
    out: &mut Vec<Reference>,
) {
    for node in all {
        if node.kind() != "call" {
            continue;
        }
        let Some(f) = node.child_by_field_name("function") else {
            continue;
        };
        let Some(qualified) = names.qualify(f, source) else {
            continue;
        };
        let Some(loader) = loaders::find(&qualified) else {
            continue;
        };
        let m = Matched {
            loader,
            call: *node,
            qualified,
        };
        let mut r = reference(&m, names, source);
        r.line += first_line - 1;
        out.push(r);
        if out.len() >= MAX_REFERENCES_PER_FILE {
            return;
        }
    }
}

/// Parses `source` and returns the references its loader calls make, and why the file
/// was not read completely, if it was not. A file of several chunks is parsed twice,
/// names first and calls second, so a call sees every import and constant wherever it is
/// in the file; one chunk (nearly every file) is parsed once.
pub fn references(source: &[u8], parser: &mut Parser) -> (Vec<Reference>, Option<String>) {
    if !loaders::may_reference(source) {
        return (Vec::new(), None);
    }
    let (ranges, mut incomplete) = match chunks(source) {
        Ok(c) => c,
        Err(why) => return (Vec::new(), Some(why)),
    };
    let first_lines: Vec<u64> = ranges
        .iter()
        .map(|r| source[..r.start].iter().filter(|&&b| b == b'\n').count() as u64 + 1)
        .collect();
    let mut names = Names::default();
    let mut out = Vec::new();
    let parse = |parser: &mut Parser, bytes: &[u8]| parser.parse(bytes, None);
    if ranges.len() > 1 {
        for r in &ranges {
            let bytes = &source[r.clone()];
            match parse(parser, bytes) {
                Some(tree) => collect_names(&nodes(tree.root_node()), bytes, &mut names),
                None => incomplete = Some("the Python parser gave up".into()),
            }
        }
    }
    for (r, first_line) in ranges.iter().zip(first_lines) {
        let bytes = &source[r.clone()];
        let Some(tree) = parse(parser, bytes) else {
            incomplete = Some("the Python parser gave up".into());
            continue;
        };
        let all = nodes(tree.root_node());
        if ranges.len() == 1 {
            collect_names(&all, bytes, &mut names);
        }
        collect_calls(&all, bytes, &names, first_line, &mut out);
        if out.len() >= MAX_REFERENCES_PER_FILE {
            incomplete = Some(format!(
                "more than MAX_REFERENCES_PER_FILE ({MAX_REFERENCES_PER_FILE}) references; the rest were not read"
            ));
            break;
        }
    }
    (out, incomplete)
}

fn reference(m: &Matched<'_>, names: &Names, source: &[u8]) -> Reference {
    let l = m.loader;
    let arg = |t: &Target| -> Option<Value> {
        argument(m.call, t.position, t.keywords, source).map(|n| names.value(n, source))
    };
    let flag = |kw: &str| -> Option<Value> {
        argument(m.call, None, &[kw], source).map(|n| names.value(n, source))
    };
    Reference {
        kind: l.kind,
        provider: l.provider,
        api: m.qualified.clone(),
        line: m.call.start_position().row as u64 + 1,
        id: l.id.as_ref().and_then(arg),
        revision: l.revision.and_then(flag),
        trust_remote_code: l
            .trust_remote_code
            .then(|| flag("trust_remote_code"))
            .flatten(),
        repo_type: l.repo_type.then(|| flag("repo_type")).flatten(),
        safety: l.safety_keyword.and_then(flag),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs(src: &str) -> Vec<Reference> {
        let mut p = Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        let (refs, incomplete) = references(src.as_bytes(), &mut p);
        assert_eq!(incomplete, None);
        refs
    }

    #[test]
    fn aliases_constants_and_clients_resolve() {
        let r = refs(
            "from transformers import AutoModel as M\nimport transformers as tf\nimport openai\nNAME = 'org/model'\n\
             m = M.from_pretrained(NAME, revision='main', trust_remote_code=True)\n\
             t = tf.AutoTokenizer.from_pretrained(f'org/{x}')\n\
             client = openai.OpenAI()\nclient.chat.completions.create(model='gpt-4o', messages=[])\n",
        );
        assert_eq!(r.len(), 3, "{r:?}");
        assert_eq!(r[0].api, "transformers.AutoModel.from_pretrained");
        assert_eq!(
            r[0].id,
            Some(Value::Constant {
                name: "NAME".into(),
                value: "org/model".into()
            })
        );
        assert_eq!(r[0].revision, Some(Value::Literal("main".into())));
        assert_eq!(r[0].trust_remote_code, Some(Value::Literal("True".into())));
        assert_eq!(r[0].line, 5);
        assert!(matches!(r[1].id, Some(Value::Dynamic(_))));
        assert_eq!(r[2].api, "openai.OpenAI().chat.completions.create");
        assert_eq!(r[2].id, Some(Value::Literal("gpt-4o".into())));
    }

    #[test]
    fn strings_that_are_not_loader_arguments_are_not_references() {
        let r = refs(
            "\"\"\"Uses meta-llama/Llama-3.1-8B.\"\"\"\nMODEL = 'org/model'\nprint('org/other')\n\
             def from_pretrained(x): pass\nfrom_pretrained('org/third')\n",
        );
        assert!(r.is_empty(), "{r:?}");
    }

    fn parse(src: &str) -> (Vec<Reference>, Option<String>) {
        let mut p = Parser::new();
        p.set_language(&tree_sitter_python::LANGUAGE.into())
            .unwrap();
        references(src.as_bytes(), &mut p)
    }

    #[test]
    fn nesting_deeper_than_cpython_accepts_is_not_parsed() {
        let src = "import torch\nx = ".to_string()
            + &"(".repeat(50_000)
            + "1"
            + &")".repeat(50_000)
            + "\n";
        let (r, why) = parse(&src);
        assert!(r.is_empty());
        assert!(why.unwrap().contains("MAX_NESTING"));
        // Brackets in strings and comments do not count.
        let src =
            "import torch\ns = '(((' * 3  # (((((\nt = \"\"\"\n((((\n\"\"\"\ntorch.load('m.pt')\n"
                .replace("(((", &"(".repeat(300));
        let (r, why) = parse(&src);
        assert_eq!((r.len(), why), (1, None));
    }

    #[test]
    fn a_long_file_is_cut_at_top_level_statements_and_sees_every_import() {
        // The call comes first, the import last, with more than a chunk between them.
        let mut src = String::from("def load():\n    return M.from_pretrained('org/x')\n\n");
        for i in 0..4000 {
            src.push_str(&format!(
                "if x{i}:\n    y = [1,\n 2]\nelse:\n    y = 'a'\n@decorator\ndef f{i}(): pass\nz = 1 + \\\n2\n"
            ));
        }
        src.push_str("from transformers import AutoModel as M\n");
        assert!(src.len() > 2 * CHUNK_BYTES);
        let (ranges, _) = chunks(src.as_bytes()).unwrap();
        assert!(ranges.len() > 2, "{}", ranges.len());
        for r in &ranges {
            let text = &src[r.clone()];
            assert!(
                !text.starts_with("else") && !text.starts_with("def f") && !text.starts_with("2\n"),
                "{:?}",
                &text[..20]
            );
        }
        let (r, why) = parse(&src);
        assert_eq!(why, None);
        assert_eq!(r.len(), 1);
        assert_eq!(r[0].line, 2);
        assert_eq!(r[0].api, "transformers.AutoModel.from_pretrained");
    }

    #[test]
    fn a_backslash_continuation_is_not_a_new_statement() {
        // A statement over a chunk, continued at column 0: the cut falls before `v2`.
        let src = format!("v1 = '{}' \\\n'tail'\nv2 = 1\n", "x".repeat(70_000));
        let (ranges, _) = chunks(src.as_bytes()).unwrap();
        assert_eq!(ranges.len(), 2);
        assert!(src[ranges[1].clone()].starts_with("v2"));
    }

    #[test]
    fn a_huge_statement_and_too_many_references_make_the_file_incomplete() {
        let src = "import torch\nx = [".to_string()
            + &"1,".repeat(MAX_STATEMENT_BYTES)
            + "]\ntorch.load('m.pt')\n";
        let (r, why) = parse(&src);
        assert_eq!(r.len(), 1, "the statements around it are read");
        assert!(why.unwrap().contains("MAX_STATEMENT_BYTES"));
        let src =
            "import torch\n".to_string() + &"torch.load(f)\n".repeat(MAX_REFERENCES_PER_FILE + 5);
        let (r, why) = parse(&src);
        assert_eq!(r.len(), MAX_REFERENCES_PER_FILE);
        assert!(why.unwrap().contains("MAX_REFERENCES_PER_FILE"));
    }
}
