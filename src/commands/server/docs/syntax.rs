//! The syntax notation of COMMAND DOCS `arguments` and its parser: each command's
//! syntax is written once, in the notation of the Redis documentation, and parsed into
//! the argument tree COMMAND DOCS replies with (and redis-cli 7 builds hints from):
//!
//! - `word` is an argument (type inferred: `key`/`...key`/`destination`/`source` are
//!   keys, `pattern` a pattern, the rest strings); `word:integer` names the type
//!   (`string`, `integer`, `double`, `key`, `pattern`, `unix-time`).
//! - `WORD` (no lowercase letter) is a token: alone it is a pure token, before an
//!   argument or a group it is that argument's token (`EX seconds:integer`).
//! - `[ ... ]` is optional, `( ... )` required; alternatives inside are separated by `|`
//!   (a one-of), several items without `|` form a block. `@name` first in a group names
//!   the group, first after a `|` names that alternative (otherwise a name is made of
//!   the members' names joined by `_`); a named group of a lone token names that token
//!   (`[@sorting ALPHA]`).
//! - `...` after an argument or a group makes it repeatable.
//! - `{...}` right after an argument or a group annotates it, comma-separated:
//!   `since=6.2.0`, `deprecated_since=2.8.12`, `multiple_token` (the token repeats with
//!   each value), `key=N` (its `key_spec_index`).
//!
//! Key arguments refer to the command's key specs in order: the n-th key argument has
//! `key_spec_index` n (the last spec for any further ones) unless annotated `key=N`.

use crate::protocol::reply::Reply;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ArgType {
    #[default]
    String,
    Integer,
    Double,
    Key,
    Pattern,
    UnixTime,
    PureToken,
    OneOf,
    Block,
}

impl ArgType {
    pub fn name(self) -> &'static str {
        match self {
            ArgType::String => "string",
            ArgType::Integer => "integer",
            ArgType::Double => "double",
            ArgType::Key => "key",
            ArgType::Pattern => "pattern",
            ArgType::UnixTime => "unix-time",
            ArgType::PureToken => "pure-token",
            ArgType::OneOf => "oneof",
            ArgType::Block => "block",
        }
    }

    fn from_name(name: &str) -> Option<ArgType> {
        Some(match name {
            "string" => ArgType::String,
            "integer" => ArgType::Integer,
            "double" => ArgType::Double,
            "key" => ArgType::Key,
            "pattern" => ArgType::Pattern,
            "unix-time" => ArgType::UnixTime,
            _ => return None,
        })
    }
}

/// One argument of COMMAND DOCS.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Arg {
    pub name: String,
    pub kind: ArgType,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub multiple_token: bool,
    pub since: Option<String>,
    pub deprecated_since: Option<String>,
    /// `key_spec_index`: set on key arguments by `assign_key_specs`, or annotated.
    pub key_spec: Option<i64>,
    pub args: Vec<Arg>,
}

impl Arg {
    /// Applies `{...}` annotations; false when one is unknown.
    fn annotate(&mut self, annots: &[String]) -> bool {
        for a in annots {
            match a.split_once('=') {
                None if a == "multiple_token" => self.multiple_token = true,
                Some(("since", v)) => self.since = Some(v.to_string()),
                Some(("deprecated_since", v)) => self.deprecated_since = Some(v.to_string()),
                Some(("key", v)) => match v.parse() {
                    Ok(n) => self.key_spec = Some(n),
                    Err(_) => return false,
                },
                _ => return false,
            }
        }
        true
    }
}

/// Gives each key argument (depth first) its `key_spec_index`: the n-th one n, capped
/// at the last of `specs` key specs, unless annotated.
pub fn assign_key_specs(args: &mut [Arg], specs: usize) {
    let mut n = 0i64;
    let last = specs.saturating_sub(1) as i64;
    let mut stack: Vec<&mut Arg> = args.iter_mut().rev().collect();
    while let Some(a) = stack.pop() {
        if a.kind == ArgType::Key {
            if a.key_spec.is_none() {
                a.key_spec = Some(n.min(last));
            }
            n += 1;
        }
        stack.extend(a.args.iter_mut().rev());
    }
}

// ---- parsing -------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Lexeme {
    Open {
        optional: bool,
    },
    Close {
        optional: bool,
    },
    Pipe,
    Ellipsis,
    Word(String),
    /// `{...}`: annotations of the item before.
    Annot(Vec<String>),
}

fn lex(syntax: &str) -> Vec<Lexeme> {
    let mut out = Vec::new();
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut Vec<Lexeme>| {
        if word.is_empty() {
            return;
        }
        let ellipsis = word.ends_with("...");
        let text = word.trim_end_matches("...");
        if !text.is_empty() {
            out.push(Lexeme::Word(text.to_string()));
        }
        if ellipsis {
            out.push(Lexeme::Ellipsis);
        }
        word.clear();
    };
    let mut annot: Option<String> = None;
    for c in syntax.chars() {
        if let Some(text) = annot.as_mut() {
            if c == '}' {
                let parts = text.split(',').map(|s| s.trim().to_string()).collect();
                out.push(Lexeme::Annot(parts));
                annot = None;
            } else {
                text.push(c);
            }
            continue;
        }
        if c == '{' {
            flush(&mut word, &mut out);
            annot = Some(String::new());
            continue;
        }
        let single = match c {
            '[' => Some(Lexeme::Open { optional: true }),
            ']' => Some(Lexeme::Close { optional: true }),
            '(' => Some(Lexeme::Open { optional: false }),
            ')' => Some(Lexeme::Close { optional: false }),
            '|' => Some(Lexeme::Pipe),
            _ => None,
        };
        if let Some(lexeme) = single {
            flush(&mut word, &mut out);
            out.push(lexeme);
        } else if c.is_whitespace() {
            flush(&mut word, &mut out);
        } else {
            word.push(c);
        }
    }
    flush(&mut word, &mut out);
    if annot.is_some() {
        // Unterminated: an annotation no item accepts.
        out.push(Lexeme::Annot(vec![String::new()]));
    }
    out
}

/// A parsed item before tokens are attached to what follows them.
#[derive(Debug)]
enum Item {
    /// `@name` opening an alternative.
    Label(String),
    Word {
        text: String,
        multiple: bool,
        annots: Vec<String>,
    },
    Group(Group),
}

#[derive(Debug)]
struct Group {
    label: Option<String>,
    optional: bool,
    multiple: bool,
    annots: Vec<String>,
    alternatives: Vec<Vec<Item>>,
}

struct Parser {
    lexemes: Vec<Lexeme>,
    pos: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Lexeme> {
        self.lexemes.get(self.pos)
    }

    fn next(&mut self) -> Option<Lexeme> {
        let l = self.lexemes.get(self.pos).cloned();
        self.pos += 1;
        l
    }

    /// Alternatives up to the closing bracket `close` (None: end of input).
    fn alternatives(&mut self, close: Option<bool>) -> Option<Vec<Vec<Item>>> {
        let mut alts = vec![Vec::new()];
        loop {
            match (self.next(), close) {
                (None, None) => return Some(alts),
                (None, Some(_)) => return None,
                (Some(Lexeme::Close { optional }), Some(want)) if optional == want => {
                    return Some(alts);
                }
                (Some(Lexeme::Close { .. }), _) => return None,
                (Some(Lexeme::Pipe), _) => alts.push(Vec::new()),
                (Some(Lexeme::Ellipsis), _) => match alts.last_mut().and_then(|a| a.last_mut()) {
                    Some(Item::Word { multiple, .. }) => *multiple = true,
                    Some(Item::Group(g)) => g.multiple = true,
                    Some(Item::Label(_)) | None => return None,
                },
                (Some(Lexeme::Annot(a)), _) => match alts.last_mut().and_then(|a| a.last_mut()) {
                    Some(Item::Word { annots, .. }) => annots.extend(a),
                    Some(Item::Group(g)) => g.annots.extend(a),
                    Some(Item::Label(_)) | None => return None,
                },
                (Some(Lexeme::Word(text)), _) => {
                    let alt = alts.last_mut()?;
                    match text.strip_prefix('@') {
                        Some(label) if alt.is_empty() => alt.push(Item::Label(label.to_string())),
                        Some(_) => return None,
                        None => alt.push(Item::Word {
                            text,
                            multiple: false,
                            annots: Vec::new(),
                        }),
                    }
                }
                (Some(Lexeme::Open { optional }), _) => {
                    let label = match self.peek() {
                        Some(Lexeme::Word(w)) if w.starts_with('@') => {
                            let name = w[1..].to_string();
                            self.pos += 1;
                            Some(name)
                        }
                        _ => None,
                    };
                    let alternatives = self.alternatives(Some(optional))?;
                    alts.last_mut()?.push(Item::Group(Group {
                        label,
                        optional,
                        multiple: false,
                        annots: Vec::new(),
                        alternatives,
                    }));
                }
            }
        }
    }
}

fn is_token(word: &str) -> bool {
    word.chars().any(|c| c.is_ascii_uppercase()) && !word.chars().any(|c| c.is_ascii_lowercase())
}

/// An argument word: `name` or `name:type` (a suffix that is no type is part of the
/// name, as in `ip:port`).
fn plain_arg(text: &str, multiple: bool) -> Arg {
    let (name, kind) = match text.rsplit_once(':') {
        Some((name, ty)) if ArgType::from_name(ty).is_some() => {
            (name, ArgType::from_name(ty).unwrap_or(ArgType::String))
        }
        _ => (text, infer_type(text)),
    };
    Arg {
        name: name.to_string(),
        kind,
        multiple,
        ..Arg::default()
    }
}

fn infer_type(name: &str) -> ArgType {
    if name.ends_with("key") || name == "destination" || name == "source" {
        ArgType::Key
    } else if name == "pattern" {
        ArgType::Pattern
    } else {
        ArgType::String
    }
}

fn pure_token(word: &str) -> Arg {
    Arg {
        name: word.to_ascii_lowercase(),
        kind: ArgType::PureToken,
        token: Some(word.to_string()),
        ..Arg::default()
    }
}

/// Converts a sequence, attaching each token to the argument or group after it.
fn convert_seq(items: Vec<Item>) -> Option<Vec<Arg>> {
    let mut out = Vec::new();
    let mut pending_token: Option<(String, Vec<String>)> = None;
    let token_arg = |(t, annots): (String, Vec<String>)| {
        let mut a = pure_token(&t);
        a.annotate(&annots).then_some(a)
    };
    for item in items {
        let mut arg = match item {
            Item::Word {
                text,
                multiple,
                annots,
            } if is_token(&text) => {
                if multiple {
                    return None;
                }
                if let Some(t) = pending_token.replace((text, annots)) {
                    out.push(token_arg(t)?);
                }
                continue;
            }
            Item::Word {
                text,
                multiple,
                annots,
            } => {
                let mut a = plain_arg(&text, multiple);
                if !a.annotate(&annots) {
                    return None;
                }
                a
            }
            Item::Group(g) => convert_group(g)?,
            Item::Label(_) => return None,
        };
        if let Some((t, annots)) = pending_token.take() {
            arg.token = Some(t);
            if !arg.annotate(&annots) {
                return None;
            }
        }
        out.push(arg);
    }
    if let Some(t) = pending_token {
        out.push(token_arg(t)?);
    }
    Some(out)
}

/// One alternative: a single argument, or a block of several.
fn convert_unit(mut items: Vec<Item>, mut label: Option<String>) -> Option<Arg> {
    if let Some(Item::Label(own)) = items.first() {
        label = Some(own.clone());
        items.remove(0);
    }
    let mut args = convert_seq(items)?;
    if args.len() == 1 && label.is_none() {
        return args.pop();
    }
    if args.len() == 1 && args[0].kind == ArgType::PureToken {
        let mut token = args.pop()?;
        token.name = label?;
        return Some(token);
    }
    if args.is_empty() {
        return None;
    }
    Some(Arg {
        name: label.unwrap_or_else(|| joined_name(&args)),
        kind: ArgType::Block,
        args,
        ..Arg::default()
    })
}

fn joined_name(args: &[Arg]) -> String {
    args.iter()
        .map(|a| a.name.as_str())
        .collect::<Vec<_>>()
        .join("_")
}

fn convert_group(g: Group) -> Option<Arg> {
    let mut arg = if g.alternatives.len() > 1 {
        let args = g
            .alternatives
            .into_iter()
            .map(|alt| convert_unit(alt, None))
            .collect::<Option<Vec<_>>>()?;
        Arg {
            name: g.label.unwrap_or_else(|| joined_name(&args)),
            kind: ArgType::OneOf,
            args,
            ..Arg::default()
        }
    } else {
        let only = g.alternatives.into_iter().next()?;
        convert_unit(only, g.label)?
    };
    arg.optional |= g.optional;
    arg.multiple |= g.multiple;
    arg.annotate(&g.annots).then_some(arg)
}

/// Parses a syntax string into arguments; None when it is malformed.
pub fn parse(syntax: &str) -> Option<Vec<Arg>> {
    let mut parser = Parser {
        lexemes: lex(syntax),
        pos: 0,
    };
    let alts = parser.alternatives(None)?;
    if alts.len() != 1 {
        return None;
    }
    convert_seq(alts.into_iter().next()?)
}

// ---- reply ---------------------------------------------------------------------------

/// Writes one argument map as COMMAND DOCS does (fields in Redis's order, absent ones
/// left out).
pub fn write_arg(r: &mut Reply, arg: &Arg) {
    let flag_count = arg.optional as usize + arg.multiple as usize + arg.multiple_token as usize;
    let nested = matches!(arg.kind, ArgType::OneOf | ArgType::Block);
    let fields = 2
        + arg.key_spec.is_some() as usize
        + arg.token.is_some() as usize
        + arg.since.is_some() as usize
        + arg.deprecated_since.is_some() as usize
        + (flag_count > 0) as usize
        + nested as usize;
    r.map(fields);
    r.bulk(b"name");
    r.bulk(arg.name.as_bytes());
    r.bulk(b"type");
    r.bulk(arg.kind.name().as_bytes());
    if let Some(index) = arg.key_spec {
        r.bulk(b"key_spec_index");
        r.int(index);
    }
    if let Some(token) = &arg.token {
        r.bulk(b"token");
        r.bulk(token.as_bytes());
    }
    if let Some(since) = &arg.since {
        r.bulk(b"since");
        r.bulk(since.as_bytes());
    }
    if let Some(since) = &arg.deprecated_since {
        r.bulk(b"deprecated_since");
        r.bulk(since.as_bytes());
    }
    if flag_count > 0 {
        r.bulk(b"flags");
        r.set(flag_count);
        if arg.optional {
            r.simple("optional");
        }
        if arg.multiple {
            r.simple("multiple");
        }
        if arg.multiple_token {
            r.simple("multiple_token");
        }
    }
    if nested {
        r.bulk(b"arguments");
        write_args(r, &arg.args);
    }
}

pub fn write_args(r: &mut Reply, args: &[Arg]) {
    r.array(args.len());
    for a in args {
        write_arg(r, a);
    }
}

/// Renders arguments the way redis-cli shows a hint (for tests and logs).
pub fn render(args: &[Arg]) -> String {
    args.iter().map(render_one).collect::<Vec<_>>().join(" ")
}

fn render_one(a: &Arg) -> String {
    let body = match a.kind {
        ArgType::OneOf => a.args.iter().map(render_one).collect::<Vec<_>>().join("|"),
        ArgType::Block => render(&a.args),
        ArgType::PureToken => String::new(),
        _ => a.name.clone(),
    };
    let token = match (&a.token, a.kind) {
        (Some(t), ArgType::PureToken) => t.clone(),
        (Some(t), _) => format!("{t} "),
        (None, _) => String::new(),
    };
    let mut s = format!("{token}{body}");
    if a.multiple {
        s = format!("{s} [{body} ...]");
    }
    if a.optional {
        s = format!("[{s}]");
    }
    s
}
