//! Names a template assembles at run time, found by folding its constant expressions.
//!
//! A sandbox escape needs a private name (`__class__`, `__globals__`, `_TemplateReference__context`).
//! Written out it is a literal the block check sees; the published bypasses build it from
//! pieces instead: `'_' ~ '_' ~ 'class' ~ '_' ~ '_'`, `'_' * 2`, `['_','_','class']|join`,
//! `dict(__cla=1, ss__=1)|join`, `'%c'|format(95)`, `'{0}{0}'.format('_')`,
//! `'ssalc__'|reverse`, a `{% set %}` variable reused in a later block, or characters
//! picked out of an object's text (`(x|string)[n]`). This module evaluates Jinja
//! expressions over constants only, following Jinja's operator precedence, and reports every
//! string an operation produces that holds a private name. Anything that depends on the
//! messages being rendered is unknown and never guessed, so a template that only formats
//! messages yields no constant at all.
//!
//! Bounded: strings longer than [`MAX_FOLDED_CHARS`] become unknown, nesting past
//! [`MAX_FOLD_DEPTH`] is skipped, and at most [`MAX_FOLDED_VARIABLES`] `{% set %}` values are
//! kept; each token is read once per block.

use std::collections::{BTreeSet, HashMap};

use super::Token;

/// Longest string a fold keeps; longer results are unknown (no private name is that long).
const MAX_FOLDED_CHARS: usize = 1024;
/// Deepest nesting of parentheses, brackets and operators followed.
const MAX_FOLD_DEPTH: usize = 64;
/// Most private names one block may build before the rest are not listed.
const MAX_FOLD_CANDIDATES: usize = 64;
/// Most `{% set name = ... %}` constants remembered across blocks.
const MAX_FOLDED_VARIABLES: usize = 1024;

/// A value known before rendering.
#[derive(Clone, Debug, PartialEq)]
enum Const {
    Str(String),
    Int(i64),
    List(Vec<Const>),
    /// The text of a runtime object (`x|string`): its characters are not known, but taking
    /// them one by one is how a template spells names it cannot write.
    ObjectText,
    Unknown,
}

/// Folds the blocks of one template in order.
#[derive(Default)]
pub(super) struct Folder {
    variables: HashMap<String, Const>,
    /// What the template builds that it should not, as messages.
    pub(super) found: BTreeSet<String>,
}

impl Folder {
    /// Folds one `{{ }}` or `{% %}` block.
    pub(super) fn block(&mut self, tokens: &[Token], statement: bool) {
        let tokens: Vec<&Token> = tokens
            .iter()
            .filter(|t| !matches!(t, Token::RawStr(_)))
            .collect();
        let assigned = match (statement, &tokens[..]) {
            (true, [Token::Ident(set), Token::Ident(name), Token::Punct('='), rest @ ..])
                if set == "set" && rest.first() != Some(&&Token::Punct('=')) =>
            {
                Some(name.as_str())
            }
            _ => None,
        };
        let mut eval = Eval {
            tokens: &tokens,
            i: 0,
            depth: 0,
            folder: self,
            candidates: Vec::new(),
        };
        let value = assigned.map(|_| {
            eval.i = 3;
            eval.expr(0)
        });
        eval.rest();
        let candidates = std::mem::take(&mut eval.candidates);
        // Report the whole name, not each piece it was built from (`__`, `__class`, ...).
        let mut listed = BTreeSet::new();
        for (s, how) in &candidates {
            let part_of_longer = candidates
                .iter()
                .any(|(other, _)| other.len() > s.len() && other.contains(s.as_str()));
            if !part_of_longer && listed.insert(s) {
                self.found.insert(format!(
                    "a private name assembled at run time ({s:?}, built with {how})"
                ));
            }
        }
        if let (Some(name), Some(value)) = (assigned, value) {
            self.remember(name, value);
        }
    }

    fn remember(&mut self, name: &str, value: Const) {
        match value {
            Const::Unknown => {
                self.variables.remove(name);
            }
            value
                if self.variables.len() < MAX_FOLDED_VARIABLES
                    || self.variables.contains_key(name) =>
            {
                self.variables.insert(name.to_string(), value);
            }
            _ => {}
        }
    }
}

struct Eval<'a, 't> {
    tokens: &'a [&'t Token],
    i: usize,
    depth: usize,
    folder: &'a mut Folder,
    /// Strings operations produced that hold a private name, with the operation.
    candidates: Vec<(String, String)>,
}

fn punct(t: Option<&Token>) -> Option<char> {
    match t {
        Some(Token::Punct(c)) => Some(*c),
        _ => None,
    }
}

fn ident(t: Option<&Token>) -> Option<&str> {
    match t {
        Some(Token::Ident(s)) => Some(s.as_str()),
        _ => None,
    }
}

/// Binary operators with Jinja's binding powers, lowest first.
#[derive(Clone, Copy, PartialEq)]
enum Op {
    Or,
    And,
    Compare,
    Add,
    Sub,
    Concat,
    Mul,
    Div,
    Mod,
    Pow,
}

impl Op {
    fn power(self) -> u8 {
        match self {
            Op::Or => 1,
            Op::And => 2,
            Op::Compare => 4,
            Op::Add | Op::Sub => 5,
            Op::Concat => 6,
            Op::Mul | Op::Div | Op::Mod => 7,
            Op::Pow => 8,
        }
    }
}

fn clip(s: String) -> Const {
    if s.chars().count() > MAX_FOLDED_CHARS {
        Const::Unknown
    } else {
        Const::Str(s)
    }
}

impl<'t> Eval<'_, 't> {
    /// A string an operation produced: a private name in it is a name built at run time.
    fn built(&mut self, s: &str, how: &str) {
        let private = s
            .split(|c: char| !c.is_alphanumeric() && c != '_')
            .any(|word| word.len() > 1 && word.starts_with('_'));
        if private && self.candidates.len() < MAX_FOLD_CANDIDATES {
            self.candidates.push((s.to_string(), how.to_string()));
        }
    }

    fn peek(&self) -> Option<&'t Token> {
        self.tokens.get(self.i).copied()
    }

    fn at(&self, k: usize) -> Option<&'t Token> {
        self.tokens.get(self.i + k).copied()
    }

    /// Folds expressions until the block ends, skipping what is not an expression.
    fn rest(&mut self) {
        while self.i < self.tokens.len() {
            let before = self.i;
            self.expr(0);
            if self.i == before {
                self.i += 1;
            }
        }
    }

    /// The next binary operator and how many tokens it spans.
    fn operator(&self) -> Option<(Op, usize)> {
        let next = punct(self.at(1));
        Some(match self.peek()? {
            Token::Ident(w) if w == "or" => (Op::Or, 1),
            Token::Ident(w) if w == "and" => (Op::And, 1),
            Token::Ident(w) if w == "in" => (Op::Compare, 1),
            Token::Ident(w) if w == "not" && ident(self.at(1)) == Some("in") => (Op::Compare, 2),
            Token::Punct('=' | '!') if next == Some('=') => (Op::Compare, 2),
            Token::Punct('<' | '>') if next == Some('=') => (Op::Compare, 2),
            Token::Punct('<' | '>') => (Op::Compare, 1),
            Token::Punct('+') => (Op::Add, 1),
            Token::Punct('-') => (Op::Sub, 1),
            Token::Punct('~') => (Op::Concat, 1),
            Token::Punct('*') if next == Some('*') => (Op::Pow, 2),
            Token::Punct('*') => (Op::Mul, 1),
            Token::Punct('/') if next == Some('/') => (Op::Div, 2),
            Token::Punct('/') => (Op::Div, 1),
            Token::Punct('%') if next != Some('}') => (Op::Mod, 1),
            _ => return None,
        })
    }

    fn expr(&mut self, min_power: u8) -> Const {
        if self.depth >= MAX_FOLD_DEPTH {
            return Const::Unknown;
        }
        self.depth += 1;
        let mut left = self.unary();
        loop {
            if ident(self.peek()) == Some("is") {
                // A test (`x is defined`, `x is not none`): a boolean.
                self.i += 1;
                if ident(self.peek()) == Some("not") {
                    self.i += 1;
                }
                if ident(self.peek()).is_some() {
                    self.i += 1;
                }
                if punct(self.peek()) == Some('(') {
                    self.call_arguments();
                }
                left = Const::Unknown;
                continue;
            }
            if ident(self.peek()) == Some("if") && min_power == 0 {
                // `a if c else b`: each part is folded for what it builds.
                self.i += 1;
                self.expr(1);
                if ident(self.peek()) == Some("else") {
                    self.i += 1;
                    self.expr(0);
                }
                left = Const::Unknown;
                continue;
            }
            let Some((op, width)) = self.operator() else {
                break;
            };
            if op.power() < min_power {
                break;
            }
            self.i += width;
            let right = self.expr(op.power() + 1);
            left = self.binary(op, left, right);
        }
        self.depth -= 1;
        left
    }

    fn binary(&mut self, op: Op, left: Const, right: Const) -> Const {
        use Const::{Int, Str};
        let result = match (op, left, right) {
            (Op::Concat, l, r) => match (text(&l), text(&r)) {
                (Some(a), Some(b)) => Some((clip(a + &b), "~")),
                _ => None,
            },
            (Op::Add, Str(a), Str(b)) => Some((clip(a + &b), "+")),
            (Op::Add, Int(a), Int(b)) => return a.checked_add(b).map_or(Const::Unknown, Int),
            (Op::Sub, Int(a), Int(b)) => return a.checked_sub(b).map_or(Const::Unknown, Int),
            (Op::Mul, Int(a), Int(b)) => return a.checked_mul(b).map_or(Const::Unknown, Int),
            (Op::Mul, Str(s), Int(n)) | (Op::Mul, Int(n), Str(s)) => {
                let n = usize::try_from(n).unwrap_or(0);
                if s.chars().count().saturating_mul(n) > MAX_FOLDED_CHARS {
                    None
                } else {
                    Some((Str(s.repeat(n)), "*"))
                }
            }
            (Op::Mod, Str(format), args) => percent_format(&format, &args).map(|s| (clip(s), "%")),
            _ => None,
        };
        match result {
            Some((value, how)) => {
                if let Str(s) = &value {
                    self.built(s, how);
                }
                value
            }
            None => Const::Unknown,
        }
    }

    fn unary(&mut self) -> Const {
        match (self.peek(), punct(self.peek())) {
            (Some(Token::Ident(w)), _) if w == "not" => {
                self.i += 1;
                self.expr(3);
                Const::Unknown
            }
            (_, Some(sign @ ('-' | '+'))) => {
                if self.depth >= MAX_FOLD_DEPTH {
                    return Const::Unknown;
                }
                self.i += 1;
                self.depth += 1;
                let operand = self.unary();
                self.depth -= 1;
                match (sign, operand) {
                    ('-', Const::Int(n)) => n.checked_neg().map_or(Const::Unknown, Const::Int),
                    ('+', Const::Int(n)) => Const::Int(n),
                    _ => Const::Unknown,
                }
            }
            _ => {
                let primary = self.primary();
                self.postfix(primary)
            }
        }
    }

    fn primary(&mut self) -> Const {
        let Some(token) = self.peek() else {
            return Const::Unknown;
        };
        match token {
            Token::Str(s) => {
                self.i += 1;
                let mut value = s.clone();
                let mut joined = false;
                // Jinja joins adjacent string literals, as Python does.
                while let Some(Token::Str(next)) = self.peek() {
                    value.push_str(next);
                    joined = true;
                    self.i += 1;
                }
                if joined {
                    self.built(&value, "adjacent literals");
                }
                clip(value)
            }
            Token::Ident(name) => {
                self.i += 1;
                if let Ok(n) = name.parse::<i64>() {
                    if punct(self.peek()) == Some('.')
                        && ident(self.at(1)).is_some_and(|d| d.bytes().all(|b| b.is_ascii_digit()))
                    {
                        self.i += 2;
                        return Const::Unknown;
                    }
                    return Const::Int(n);
                }
                if name == "dict" && punct(self.peek()) == Some('(') {
                    // `dict(a=1, b=2)` iterates (and joins) as its keyword names.
                    let (_, keywords) = self.call_arguments();
                    return Const::List(keywords.into_iter().map(Const::Str).collect());
                }
                self.folder
                    .variables
                    .get(name.as_str())
                    .cloned()
                    .unwrap_or(Const::Unknown)
            }
            Token::Punct('(') => {
                self.i += 1;
                let first = self.expr(0);
                if punct(self.peek()) == Some(',') {
                    let mut items = vec![first];
                    items.extend(self.sequence(')'));
                    return Const::List(items);
                }
                if punct(self.peek()) == Some(')') {
                    self.i += 1;
                }
                first
            }
            Token::Punct('[') => {
                self.i += 1;
                Const::List(self.sequence_from_start(']'))
            }
            Token::Punct('{') => {
                self.i += 1;
                // A dict literal iterates as its keys; values are folded for what they build.
                let mut keys = Vec::new();
                while self.i < self.tokens.len() && punct(self.peek()) != Some('}') {
                    let before = self.i;
                    let key = self.expr(0);
                    if punct(self.peek()) == Some(':') {
                        self.i += 1;
                        self.expr(0);
                    }
                    keys.push(key);
                    if punct(self.peek()) == Some(',') {
                        self.i += 1;
                    } else if self.i == before {
                        break;
                    }
                }
                if punct(self.peek()) == Some('}') {
                    self.i += 1;
                }
                Const::List(keys)
            }
            _ => Const::Unknown,
        }
    }

    /// Items after an opening bracket, up to its `close`.
    fn sequence_from_start(&mut self, close: char) -> Vec<Const> {
        let mut items = Vec::new();
        if punct(self.peek()) == Some(close) {
            self.i += 1;
            return items;
        }
        items.push(self.expr(0));
        items.extend(self.sequence(close));
        items
    }

    /// `, item` repeated, then `close`.
    fn sequence(&mut self, close: char) -> Vec<Const> {
        let mut items = Vec::new();
        while punct(self.peek()) == Some(',') {
            self.i += 1;
            if punct(self.peek()) == Some(close) {
                break;
            }
            items.push(self.expr(0));
        }
        if punct(self.peek()) == Some(close) {
            self.i += 1;
        }
        items
    }

    /// `( args )`: positional values and the names of keyword arguments.
    fn call_arguments(&mut self) -> (Vec<Const>, Vec<String>) {
        self.i += 1;
        let mut positional = Vec::new();
        let mut keywords = Vec::new();
        while self.i < self.tokens.len() && punct(self.peek()) != Some(')') {
            let before = self.i;
            if let (Some(name), Some('='), next) =
                (ident(self.peek()), punct(self.at(1)), punct(self.at(2)))
            {
                if next != Some('=') {
                    self.i += 2;
                    self.expr(0);
                    keywords.push(name.to_string());
                    if punct(self.peek()) == Some(',') {
                        self.i += 1;
                    }
                    continue;
                }
            }
            positional.push(self.expr(0));
            if punct(self.peek()) == Some(',') {
                self.i += 1;
            } else if self.i == before || punct(self.peek()) != Some(')') {
                break;
            }
        }
        if punct(self.peek()) == Some(')') {
            self.i += 1;
        }
        (positional, keywords)
    }

    fn postfix(&mut self, mut value: Const) -> Const {
        loop {
            match punct(self.peek()) {
                Some('.') => {
                    let Some(name) = ident(self.at(1)) else {
                        return value;
                    };
                    self.i += 2;
                    if punct(self.peek()) == Some('(') {
                        let (args, _) = self.call_arguments();
                        value = self.apply(name, value, &args);
                    } else {
                        value = Const::Unknown;
                    }
                }
                Some('|') => {
                    let Some(name) = ident(self.at(1)) else {
                        return value;
                    };
                    self.i += 2;
                    let args = if punct(self.peek()) == Some('(') {
                        self.call_arguments().0
                    } else {
                        Vec::new()
                    };
                    value = self.apply(name, value, &args);
                }
                Some('[') => {
                    self.i += 1;
                    value = self.subscript(value);
                }
                Some('(') => {
                    self.call_arguments();
                    value = Const::Unknown;
                }
                _ => return value,
            }
        }
    }

    /// `[index]` or `[start:stop]` on a folded value.
    fn subscript(&mut self, value: Const) -> Const {
        let start = if punct(self.peek()) == Some(':') {
            None
        } else {
            Some(self.expr(0))
        };
        let mut slice = None;
        if punct(self.peek()) == Some(':') {
            self.i += 1;
            let stop = if matches!(punct(self.peek()), Some(']' | ':')) {
                None
            } else {
                Some(self.expr(0))
            };
            while punct(self.peek()) == Some(':') {
                self.i += 1;
                if punct(self.peek()) != Some(']') {
                    self.expr(0);
                }
            }
            slice = Some(stop);
        }
        if punct(self.peek()) == Some(']') {
            self.i += 1;
        }
        if value == Const::ObjectText && slice.is_none() {
            self.folder.found.insert(
                "characters picked out of an object's text (`|string` then an index)".into(),
            );
            return Const::Unknown;
        }
        let Const::Str(s) = value else {
            return match (value, start, slice) {
                (Const::List(items), Some(Const::Int(k)), None) => {
                    index(items.len(), k).map_or(Const::Unknown, |k| items[k].clone())
                }
                _ => Const::Unknown,
            };
        };
        let chars: Vec<char> = s.chars().collect();
        let bound = |c: Option<Const>, default: usize| match c {
            None => Some(default),
            Some(Const::Int(k)) if k < 0 => {
                Some(chars.len().saturating_sub(k.unsigned_abs() as usize))
            }
            Some(Const::Int(k)) => Some((k as usize).min(chars.len())),
            _ => None,
        };
        match slice {
            None => match start {
                Some(Const::Int(k)) => index(chars.len(), k)
                    .map_or(Const::Unknown, |k| Const::Str(chars[k].to_string())),
                _ => Const::Unknown,
            },
            Some(stop) => match (bound(start, 0), bound(stop, chars.len())) {
                (Some(a), Some(b)) if a <= b => {
                    let piece: String = chars[a..b].iter().collect();
                    self.built(&piece, "a slice");
                    Const::Str(piece)
                }
                _ => Const::Unknown,
            },
        }
    }

    /// A filter (`x|name(args)`) or method (`x.name(args)`) on a folded value.
    fn apply(&mut self, name: &str, value: Const, args: &[Const]) -> Const {
        let produced = match (name, &value) {
            ("string", Const::Str(_) | Const::Int(_)) => text(&value).map(Const::Str),
            ("string", _) => return Const::ObjectText,
            ("list", Const::ObjectText) | ("first" | "last", Const::ObjectText) => {
                self.folder
                    .found
                    .insert("characters picked out of an object's text (`|string|list`)".into());
                return Const::Unknown;
            }
            ("list", Const::Str(s)) => {
                return Const::List(s.chars().map(|c| Const::Str(c.to_string())).collect())
            }
            ("join", Const::List(items)) => {
                let separator = args.first().and_then(text).unwrap_or_default();
                join_within(items, &separator)
            }
            // Python's `sep.join(items)`.
            ("join", Const::Str(sep)) => match args.first() {
                Some(Const::List(items)) => join_within(items, sep),
                _ => None,
            },
            ("format", Const::Str(f)) => brace_format(f, args)
                .or_else(|| percent_format(f, &Const::List(args.to_vec())))
                .map(clip),
            ("reverse", Const::Str(s)) => Some(Const::Str(s.chars().rev().collect())),
            ("lower", Const::Str(s)) => Some(Const::Str(s.to_lowercase())),
            ("upper", Const::Str(s)) => Some(Const::Str(s.to_uppercase())),
            ("replace", Const::Str(s)) => match args {
                // The result's length is known before it is built: past the fold's
                // bound it would only be thrown away.
                [Const::Str(from), Const::Str(to), ..]
                    if !from.is_empty()
                        && s.len() + s.matches(from.as_str()).count() * to.len()
                            <= MAX_FOLDED_CHARS * 4 =>
                {
                    Some(clip(s.replace(from.as_str(), to)))
                }
                _ => None,
            },
            ("trim" | "strip", Const::Str(s)) => Some(Const::Str(s.trim().to_string())),
            ("first", Const::Str(s)) => s.chars().next().map(|c| Const::Str(c.to_string())),
            ("last", Const::Str(s)) => s.chars().last().map(|c| Const::Str(c.to_string())),
            ("first", Const::List(items)) => items.first().cloned(),
            ("last", Const::List(items)) => items.last().cloned(),
            ("reverse", Const::List(items)) => {
                return Const::List(items.iter().rev().cloned().collect())
            }
            _ => None,
        };
        match produced {
            Some(Const::Str(s)) => {
                self.built(&s, &format!("`{name}`"));
                Const::Str(s)
            }
            Some(other) => other,
            None => Const::Unknown,
        }
    }
}

/// `items` joined by `separator`, when every item is text and the result stays within the
/// fold's bound (measured before anything is built).
fn join_within(items: &[Const], separator: &str) -> Option<Const> {
    let mut total = separator.len().saturating_mul(items.len());
    for item in items {
        total = total.saturating_add(match item {
            Const::Str(s) => s.len(),
            Const::Int(_) => 20,
            _ => return None,
        });
        if total > MAX_FOLDED_CHARS * 4 {
            return None;
        }
    }
    let parts: Option<Vec<String>> = items.iter().map(text).collect();
    parts.map(|p| clip(p.join(separator)))
}

fn text(c: &Const) -> Option<String> {
    match c {
        Const::Str(s) => Some(s.clone()),
        Const::Int(n) => Some(n.to_string()),
        _ => None,
    }
}

fn index(len: usize, k: i64) -> Option<usize> {
    let k = if k < 0 {
        len.checked_sub(k.unsigned_abs() as usize)?
    } else {
        k as usize
    };
    (k < len).then_some(k)
}

fn char_of(c: &Const) -> Option<String> {
    match c {
        Const::Int(n) => u32::try_from(*n)
            .ok()
            .and_then(char::from_u32)
            .map(String::from),
        Const::Str(s) if s.chars().count() == 1 => Some(s.clone()),
        _ => None,
    }
}

/// Python's `format % args` for `%s`, `%d`, `%c` and `%%`; anything else is unknown.
fn percent_format(format: &str, args: &Const) -> Option<String> {
    let args: Vec<Const> = match args {
        Const::List(items) => items.clone(),
        other => vec![other.clone()],
    };
    let mut args = args.iter();
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next()? {
            '%' => out.push('%'),
            's' | 'd' | 'i' => out.push_str(&text(args.next()?)?),
            'c' => out.push_str(&char_of(args.next()?)?),
            _ => return None,
        }
        if out.chars().count() > MAX_FOLDED_CHARS {
            return None;
        }
    }
    Some(out)
}

/// Python's `str.format` for `{}`, `{N}`, `{:c}` and `{N:c}`, doubled braces included.
fn brace_format(format: &str, args: &[Const]) -> Option<String> {
    if !format.contains('{') {
        return None;
    }
    let mut out = String::new();
    let mut next_auto = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '{' if chars.peek() == Some(&'{') => {
                chars.next();
                out.push('{');
            }
            '}' if chars.peek() == Some(&'}') => {
                chars.next();
                out.push('}');
            }
            '{' => {
                let mut field = String::new();
                for f in chars.by_ref() {
                    if f == '}' {
                        break;
                    }
                    field.push(f);
                }
                let (position, spec) = field.split_once(':').unwrap_or((&field, ""));
                let k = if position.is_empty() {
                    next_auto += 1;
                    next_auto - 1
                } else {
                    position.parse::<usize>().ok()?
                };
                let arg = args.get(k)?;
                match spec {
                    "" | "s" | "d" => out.push_str(&text(arg)?),
                    "c" => out.push_str(&char_of(arg)?),
                    _ => return None,
                }
                if out.chars().count() > MAX_FOLDED_CHARS {
                    return None;
                }
            }
            c => out.push(c),
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::super::lex;
    use super::*;

    /// Folds each block of a template written as its block bodies.
    fn found(blocks: &[(&str, bool)]) -> BTreeSet<String> {
        let mut folder = Folder::default();
        for (body, statement) in blocks {
            folder.block(&lex(body), *statement);
        }
        folder.found
    }

    #[test]
    fn names_assembled_from_pieces_are_found() {
        let built = [
            "'' | attr('_' ~ '_' ~ 'class' ~ '_' ~ '_')",
            "x['_' * 2 ~ 'globals' ~ '_' * 2]",
            "x[['_', '_', 'class', '_', '_'] | join]",
            "x[dict(__cla=1, ss__=1) | join]",
            "x['%c%cclass%c%c' | format(95, 95, 95, 95)]",
            "x['{0}{0}init{0}{0}'.format('_')]",
            "x['ssalc__'|reverse ~ '']",
            "x['..class..'|replace('.', '_')]",
            "x['_' 'TemplateReference__context']",
            "x[('%c' % 95) * 2 ~ 'mro' ~ '__']",
            "x[''.join(['_', '_', 'base', '_', '_'])]",
            "x['a__dict__b'[1:9]]",
        ];
        for body in built {
            let f = found(&[(body, false)]);
            assert_eq!(f.len(), 1, "{body}: {f:?}");
        }
        // Pieces kept in variables across blocks.
        let f = found(&[
            ("set u = '%c' | format(95)", true),
            ("set name = u ~ u ~ 'globals' ~ u ~ u", true),
        ]);
        assert_eq!(f.len(), 1, "{f:?}");
        let f = found(&[("(lipsum|string)[18]", false)]);
        assert!(f.iter().any(|m| m.contains("object's text")), "{f:?}");
        let f = found(&[("x|string|list", false)]);
        assert!(f.iter().any(|m| m.contains("object's text")), "{f:?}");
    }

    #[test]
    fn ordinary_string_building_is_quiet() {
        let benign = [
            ("'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>'", false),
            ("'<|start_header_id|>' ~ 'assistant' ~ '<|end_header_id|>\\n\\n'", false),
            ("set ns = namespace(system_prompt='', is_tool=false)", true),
            ("set ns.system_prompt = ns.system_prompt ~ message.content", true),
            ("tool_call.name ~ '_' ~ loop.index0", false),
            ("name | replace(' ', '_')", false),
            ("message['content'].split('</think>')[-1].lstrip('\\n')", false),
            ("'[TOOL_CALLS]' + tools | tojson", false),
            ("'%d-%m' | format(1, 2)", false),
            ("messages[loop.index0 + 1]['role'] if not loop.last else ''", false),
            ("raise_exception('Conversation roles must alternate user/assistant/user/assistant/...')", false),
            ("for message in messages[1:]", true),
            ("(message.content|string)[:100]", false),
            ("'tool_call_id' in message", false),
            ("{'name': tool.name, 'parameters': tool.parameters} | tojson", false),
            ("set date_string = strftime_now('%d %b %Y')", true),
        ];
        for (body, statement) in benign {
            let f = found(&[(body, statement)]);
            assert!(f.is_empty(), "{body}: {f:?}");
        }
    }

    #[test]
    fn folding_is_bounded() {
        let f = found(&[("'_' * 100000000 ~ 'x'", false)]);
        assert!(f.is_empty());
        // Results past the bound are unknown without being built.
        let wide = format!(
            "'{}'|replace('a', '{}')",
            "a".repeat(1000),
            "b".repeat(1000)
        );
        assert!(found(&[(&wide, false)]).is_empty());
        let many = vec![Const::Str("_x".into()); 5000];
        assert!(join_within(&many, "").is_none());
        assert_eq!(
            join_within(&many[..3], "."),
            Some(Const::Str("_x._x._x".into()))
        );
        let deep = format!("{}'_'{}", "(".repeat(10_000), ")".repeat(10_000));
        found(&[(&deep, false)]);
        let many: String = (0..5000).map(|i| format!("set v{i} = 'x'\n")).collect();
        let mut folder = Folder::default();
        for line in many.lines() {
            folder.block(&lex(line), true);
        }
        assert!(folder.variables.len() <= MAX_FOLDED_VARIABLES);
    }
}
