//! The `arguments` of COMMAND DOCS. redis-cli 7 builds its inline hints from them, so a
//! command without arguments shows no hint. Rather than spell out Redis's nested
//! argument maps by hand, each command's syntax is written once, in the notation of the
//! Redis documentation, and parsed into the tree COMMAND DOCS replies with:
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
//!
//! Beyond syntax, a command may declare key specs (`keyspec`), history entries and a
//! deprecation (`doc_flags`, `deprecated_since`, `replaced_by`) in its `FamilyDocs`.

use crate::protocol::reply::Reply;

pub mod keyspec;

pub use keyspec::KeySpec;

/// A command's deprecation as COMMAND DOCS shows it (`doc_flags deprecated`).
pub struct Deprecation {
    pub since: &'static str,
    pub replaced_by: &'static str,
}

/// What a family documents beyond its `CommandSpec`s, kept in the family's own file:
/// syntax lines (notation above), key flags of the single legacy key spec, tips, and
/// optionally declared key specs, history entries and deprecations, by full command
/// name. Tables a family does not use come from `FamilyDocs::NONE`.
pub struct FamilyDocs {
    pub syntax: &'static [(&'static str, &'static str)],
    pub key_flags: &'static [(&'static [&'static str], &'static [&'static str])],
    pub tips: &'static [(&'static str, &'static [&'static str])],
    /// Commands whose keys the legacy (first, last, step) triple cannot describe.
    pub key_specs: &'static [(&'static [KeySpec], &'static [&'static str])],
    /// `(since, change)` entries, oldest first.
    pub history: &'static [(&'static str, &'static [(&'static str, &'static str)])],
    pub deprecated: &'static [(&'static str, Deprecation)],
}

impl FamilyDocs {
    pub const NONE: FamilyDocs = FamilyDocs {
        syntax: &[],
        key_flags: &[],
        tips: &[],
        key_specs: &[],
        history: &[],
        deprecated: &[],
    };
}

/// The families with their own docs tables (the core families are in this file).
const FAMILY_DOCS: &[&FamilyDocs] = &[
    &crate::commands::hash::DOCS,
    &crate::commands::set::DOCS,
    &crate::commands::sort::DOCS,
    &crate::commands::list::DOCS,
    &crate::commands::zset::DOCS,
];

/// The syntax of every command shoal documents, by full name (`config|get`). Commands
/// missing here are documented without arguments, as Redis allows.
pub const SYNTAX: &[(&str, &str)] = &[
    // connection
    ("ping", "[message]"),
    ("echo", "message"),
    ("select", "index:integer"),
    ("auth", "[username] password"),
    (
        "hello",
        "[@arguments protover:integer [AUTH username password] [SETNAME clientname]]",
    ),
    // client
    ("client|setname", "connection-name"),
    ("client|setinfo", "(LIB-NAME libname | LIB-VER libver)"),
    (
        "client|list",
        "[TYPE (NORMAL | MASTER | REPLICA | PUBSUB)] [ID client-id:integer...]",
    ),
    (
        "client|kill",
        "(ip:port | @filters [ID client-id:integer] [TYPE (NORMAL | MASTER | SLAVE | REPLICA | PUBSUB)] [USER username] [ADDR ip:port] [LADDR ip:port] [SKIPME (YES | NO)])",
    ),
    ("client|reply", "(ON | OFF | SKIP)"),
    ("client|no-evict", "(ON | OFF)"),
    ("client|pause", "timeout:integer [WRITE | ALL]"),
    // server
    ("flushdb", "[ASYNC | SYNC]"),
    ("flushall", "[ASYNC | SYNC]"),
    ("bgsave", "[SCHEDULE]"),
    ("info", "[section...]"),
    ("shutdown", "[NOSAVE | SAVE] [NOW] [FORCE] [ABORT]"),
    ("config|get", "parameter..."),
    ("config|set", "(parameter value)..."),
    ("command|info", "[command-name...]"),
    ("command|docs", "[command-name...]"),
    (
        "command|list",
        "[FILTERBY (MODULE module-name | ACLCAT category | PATTERN pattern)]",
    ),
    ("command|getkeys", "command [arg...]"),
    ("command|getkeysandflags", "command [arg...]"),
    ("function|flush", "[ASYNC | SYNC]"),
    ("script|flush", "[ASYNC | SYNC]"),
    // keyspace
    ("del", "key..."),
    ("unlink", "key..."),
    ("exists", "key..."),
    ("type", "key"),
    ("ttl", "key"),
    ("pttl", "key"),
    ("expiretime", "key"),
    ("pexpiretime", "key"),
    ("persist", "key"),
    ("expire", "key seconds:integer [NX | XX | GT | LT]"),
    ("pexpire", "key milliseconds:integer [NX | XX | GT | LT]"),
    (
        "expireat",
        "key unix-time-seconds:unix-time [NX | XX | GT | LT]",
    ),
    (
        "pexpireat",
        "key unix-time-milliseconds:unix-time [NX | XX | GT | LT]",
    ),
    // string
    ("get", "key"),
    ("strlen", "key"),
    ("incr", "key"),
    ("decr", "key"),
    ("getdel", "key"),
    (
        "set",
        "key value [@condition NX | XX] [GET] [@expiration EX seconds:integer | PX milliseconds:integer | EXAT unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | KEEPTTL]",
    ),
    ("setnx", "key value"),
    ("getset", "key value"),
    ("append", "key value"),
    ("setex", "key seconds:integer value"),
    ("psetex", "key milliseconds:integer value"),
    (
        "getex",
        "key [@expiration EX seconds:integer | PX milliseconds:integer | EXAT unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | PERSIST]",
    ),
    ("incrby", "key increment:integer"),
    ("decrby", "key decrement:integer"),
    ("incrbyfloat", "key increment:double"),
    ("getrange", "key start:integer end:integer"),
    ("substr", "key start:integer end:integer"),
    ("setrange", "key offset:integer value"),
    ("mget", "key..."),
    ("mset", "(@data key value)..."),
    ("msetnx", "(@data key value)..."),
];

/// Key access flags of COMMAND INFO's key specs and GETKEYSANDFLAGS, as Redis 7.0
/// declares them. Commands missing here get `RW update` when they write and
/// `RO access` otherwise.
const KEY_FLAGS: &[(&[&str], &[&str])] = &[
    (&["RM", "delete"], &["del", "unlink"]),
    (&["RO"], &["exists", "type", "strlen"]),
    (
        &["RO", "access"],
        &[
            "ttl",
            "pttl",
            "expiretime",
            "pexpiretime",
            "get",
            "getrange",
            "substr",
            "mget",
        ],
    ),
    (
        &["RW", "update"],
        &[
            "expire",
            "pexpire",
            "expireat",
            "pexpireat",
            "persist",
            "setrange",
        ],
    ),
    (&["RW", "access", "update", "variable_flags"], &["set"]),
    (&["OW", "insert"], &["setnx", "msetnx"]),
    (&["OW", "update"], &["setex", "psetex", "mset"]),
    (
        &["RW", "access", "update"],
        &[
            "getset",
            "getex",
            "incr",
            "decr",
            "incrby",
            "decrby",
            "incrbyfloat",
        ],
    ),
    (&["RW", "access", "delete"], &["getdel"]),
    (&["RW", "insert"], &["append"]),
];

/// The declared key specs of a command, when its family declares them.
pub fn key_specs_of(full_name: &str) -> Option<&'static [KeySpec]> {
    FAMILY_DOCS
        .iter()
        .flat_map(|d| d.key_specs.iter())
        .find(|(_, names)| names.contains(&full_name))
        .map(|(specs, _)| *specs)
}

/// The history entries of a command (none when not listed).
pub fn history_of(full_name: &str) -> &'static [(&'static str, &'static str)] {
    FAMILY_DOCS
        .iter()
        .flat_map(|d| d.history.iter())
        .find(|(name, _)| *name == full_name)
        .map_or(&[], |(_, h)| *h)
}

/// The deprecation of a command, when it is deprecated.
pub fn deprecation_of(full_name: &str) -> Option<&'static Deprecation> {
    FAMILY_DOCS
        .iter()
        .flat_map(|d| d.deprecated.iter())
        .find(|(name, _)| *name == full_name)
        .map(|(_, d)| d)
}

/// The declared key flags of a command (its key spec).
pub fn key_flags(full_name: &str, is_write: bool) -> &'static [&'static str] {
    KEY_FLAGS
        .iter()
        .chain(FAMILY_DOCS.iter().flat_map(|d| d.key_flags.iter()))
        .find(|(_, names)| names.contains(&full_name))
        .map(|(flags, _)| *flags)
        .unwrap_or(if is_write {
            &["RW", "update"]
        } else {
            &["RO", "access"]
        })
}

/// The key flags of one actual call: commands declared `variable_flags` resolve them
/// from their arguments (SET reads the old value only with GET).
pub fn call_key_flags(
    full_name: &str,
    is_write: bool,
    args: crate::protocol::args::Args,
) -> &'static [&'static str] {
    if full_name == "set" {
        let with_get = args.skip(3).any(|a| a.eq_ignore_ascii_case(b"GET"));
        return if with_get {
            &["RW", "access", "update"]
        } else {
            &["OW", "update"]
        };
    }
    key_flags(full_name, is_write)
}

/// Command tips of COMMAND INFO (how a cluster client routes and merges a command, and
/// which outputs are not deterministic), as Redis 7.0 declares them.
const TIPS: &[(&str, &[&str])] = &[
    (
        "ping",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    ("client|info", &["nondeterministic_output"]),
    ("client|list", &["nondeterministic_output"]),
    (
        "dbsize",
        &["request_policy:all_shards", "response_policy:agg_sum"],
    ),
    (
        "flushdb",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    (
        "flushall",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    ("time", &["nondeterministic_output"]),
    (
        "config|set",
        &["request_policy:all_nodes", "response_policy:all_succeeded"],
    ),
    ("command", &["nondeterministic_output_order"]),
    ("command|info", &["nondeterministic_output_order"]),
    ("command|docs", &["nondeterministic_output_order"]),
    ("command|list", &["nondeterministic_output_order"]),
    (
        "info",
        &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
    ),
    ("lastsave", &["nondeterministic_output"]),
    (
        "function|flush",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    (
        "script|flush",
        &["request_policy:all_nodes", "response_policy:all_succeeded"],
    ),
    (
        "del",
        &["request_policy:multi_shard", "response_policy:agg_sum"],
    ),
    (
        "unlink",
        &["request_policy:multi_shard", "response_policy:agg_sum"],
    ),
    (
        "exists",
        &["request_policy:multi_shard", "response_policy:agg_sum"],
    ),
    ("ttl", &["nondeterministic_output"]),
    ("pttl", &["nondeterministic_output"]),
    ("mget", &["request_policy:multi_shard"]),
    (
        "mset",
        &[
            "request_policy:multi_shard",
            "response_policy:all_succeeded",
        ],
    ),
    (
        "msetnx",
        &["request_policy:multi_shard", "response_policy:agg_min"],
    ),
];

/// The tips of a command, by full name (none when not listed).
pub fn tips_of(full_name: &str) -> &'static [&'static str] {
    TIPS.iter()
        .chain(FAMILY_DOCS.iter().flat_map(|d| d.tips.iter()))
        .find(|(name, _)| *name == full_name)
        .map_or(&[], |(_, tips)| *tips)
}

/// The syntax string of a command, by full name.
pub fn syntax_of(full_name: &str) -> Option<&'static str> {
    SYNTAX
        .iter()
        .chain(FAMILY_DOCS.iter().flat_map(|d| d.syntax.iter()))
        .find(|(name, _)| *name == full_name)
        .map(|(_, s)| *s)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn all_syntax() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
        SYNTAX
            .iter()
            .chain(FAMILY_DOCS.iter().flat_map(|d| d.syntax.iter()))
    }

    fn all_documented_names() -> Vec<&'static str> {
        let mut names: Vec<&str> = all_syntax().map(|(n, _)| *n).collect();
        for d in FAMILY_DOCS {
            names.extend(d.key_flags.iter().flat_map(|(_, n)| n.iter().copied()));
            names.extend(d.key_specs.iter().flat_map(|(_, n)| n.iter().copied()));
            names.extend(d.tips.iter().map(|(n, _)| *n));
            names.extend(d.history.iter().map(|(n, _)| *n));
            names.extend(d.deprecated.iter().map(|(n, _)| *n));
        }
        names
    }

    /// Documented ahead of the command table: BZPOPMIN, BZPOPMAX and BZMPOP are being
    /// added on another branch. Remove this list once they are merged.
    const PENDING: &[&str] = &["bzpopmin", "bzpopmax", "bzmpop"];

    #[test]
    fn every_syntax_parses() {
        for (name, syntax) in all_syntax() {
            let args = parse(syntax).unwrap_or_else(|| panic!("{name}: bad syntax"));
            assert!(!args.is_empty(), "{name}");
        }
    }

    #[test]
    fn every_documented_command_exists() {
        for name in all_documented_names() {
            if PENDING.contains(&name) && crate::commands::lookup(name.as_bytes()).is_none() {
                continue;
            }
            let mut parts = name.splitn(2, '|');
            let top = crate::commands::lookup(parts.next().unwrap_or("").as_bytes());
            let found = match (top, parts.next()) {
                (Some(spec), Some(sub)) => spec.find_subcommand(sub.as_bytes()).is_some(),
                (Some(_), None) => true,
                (None, _) => false,
            };
            assert!(found, "{name} is documented but not in the command table");
        }
    }

    #[test]
    fn hints_render_like_redis_cli() {
        let set = parse(syntax_of("set").unwrap()).unwrap();
        assert_eq!(
            render(&set),
            "key value [NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]"
        );
        assert_eq!(set[2].name, "condition");
        assert_eq!(set[0].kind, ArgType::Key);
        let del = parse("key...").unwrap();
        assert_eq!(render(&del), "key [key ...]");
        let mset = parse(syntax_of("mset").unwrap()).unwrap();
        assert_eq!(render(&mset), "key value [key value ...]");
        assert_eq!(mset[0].name, "data");
        let hello = parse(syntax_of("hello").unwrap()).unwrap();
        assert_eq!(
            render(&hello),
            "[protover [AUTH username password] [SETNAME clientname]]"
        );
        let kill = parse(syntax_of("client|kill").unwrap()).unwrap();
        assert_eq!(kill[0].args[0].name, "ip:port");
        assert_eq!(kill[0].args[1].name, "filters");
        assert!(render(&kill).starts_with("ip:port|[ID client-id] [TYPE "));
        let list = parse(syntax_of("client|list").unwrap()).unwrap();
        assert_eq!(
            render(&list),
            "[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]"
        );
    }

    #[test]
    fn every_key_flagged_or_tipped_command_exists() {
        for (name, _) in TIPS {
            let mut parts = name.splitn(2, '|');
            let top = crate::commands::lookup(parts.next().unwrap_or("").as_bytes());
            let sub = parts.next();
            assert!(
                top.is_some_and(|t| sub.is_none_or(|s| t.find_subcommand(s.as_bytes()).is_some())),
                "{name}"
            );
        }
        for (_, names) in KEY_FLAGS {
            for name in *names {
                assert!(crate::commands::lookup(name.as_bytes()).is_some(), "{name}");
            }
        }
    }

    #[test]
    fn malformed_syntax_is_rejected() {
        for bad in [
            "[a",
            "a]",
            "(a]",
            "a | b",
            "[...]",
            "a @b",
            "[@a]",
            "{since=1}",
            "a{nosuch}",
            "a{key=x}",
            "a{since=1",
            "A...",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn annotations_and_named_tokens() {
        let mut sort = parse(syntax_of("sort").unwrap()).unwrap();
        assign_key_specs(&mut sort, 3);
        let keys: Vec<_> = sort.iter().map(|a| (a.name.as_str(), a.key_spec)).collect();
        assert_eq!(
            keys,
            [
                ("key", Some(0)),
                ("pattern", Some(1)),
                ("offset_count", None),
                ("pattern", Some(1)),
                ("order", None),
                ("sorting", None),
                ("destination", Some(2)),
            ]
        );
        let get = &sort[3];
        assert!(get.optional && get.multiple && get.multiple_token);
        assert_eq!(get.token.as_deref(), Some("GET"));
        assert_eq!(sort[5].kind, ArgType::PureToken);
        assert_eq!(sort[5].token.as_deref(), Some("ALPHA"));
        let zadd = parse(syntax_of("zadd").unwrap()).unwrap();
        assert_eq!(zadd[1].since.as_deref(), Some("3.0.2"));
        assert_eq!(zadd[3].name, "change");
        assert_eq!(zadd[3].since.as_deref(), Some("3.0.2"));
        let lpop = parse(syntax_of("lpop").unwrap()).unwrap();
        assert_eq!(lpop[1].since.as_deref(), Some("6.2.0"));
        assert!(lpop[1].optional);
        // Key arguments beyond the last spec share it.
        let mut store = parse("destination key...").unwrap();
        assign_key_specs(&mut store, 2);
        assert_eq!(store[1].key_spec, Some(1));
        let mut one = parse("source destination").unwrap();
        assign_key_specs(&mut one, 1);
        assert_eq!(one[1].key_spec, Some(0));
    }

    #[test]
    fn declared_key_specs_find_keys_like_redis() {
        use crate::protocol::args::ArgsBuf;
        let find = |name: &str, line: &[&str]| {
            let buf = ArgsBuf::from_slices(line.iter().map(|s| s.as_bytes()));
            let mut out = Vec::new();
            let mut valid = true;
            for s in key_specs_of(name).unwrap() {
                valid &= s.keys_of(buf.as_args(), &mut out);
            }
            valid.then_some(out)
        };
        assert_eq!(
            find("lmove", &["lmove", "a", "b", "left", "right"]),
            Some(vec![1, 2])
        );
        assert_eq!(
            find("sinterstore", &["sinterstore", "d", "a", "b"]),
            Some(vec![1, 2, 3])
        );
        assert_eq!(
            find(
                "zunionstore",
                &["zunionstore", "d", "2", "a", "b", "weights", "1", "2"]
            ),
            Some(vec![1, 3, 4])
        );
        for bad in ["0", "3", "-1", "x", "99999999999999999999"] {
            assert_eq!(
                find("zunionstore", &["zunionstore", "d", bad, "a"]),
                None,
                "{bad}"
            );
        }
        assert_eq!(
            find("bzpopmin", &["bzpopmin", "a", "b", "0"]),
            Some(vec![1, 2])
        );
        assert_eq!(
            find("bzmpop", &["bzmpop", "0", "2", "a", "b", "min"]),
            Some(vec![3, 4])
        );
        assert_eq!(
            find(
                "sort",
                &["sort", "k", "by", "store", "limit", "0", "1", "store", "d"]
            ),
            Some(vec![1, 8])
        );
        assert_eq!(find("sort", &["sort", "k", "store"]), Some(vec![1]));
        assert_eq!(
            find("sort_ro", &["sort_ro", "k", "get", "x"]),
            Some(vec![1])
        );
    }

    #[test]
    fn history_and_deprecations_are_declared() {
        assert_eq!(history_of("zadd").len(), 3);
        assert!(history_of("get").is_empty());
        let d = deprecation_of("rpoplpush").unwrap();
        assert_eq!(d.since, "6.2.0");
        assert!(deprecation_of("lmove").is_none());
    }
}
