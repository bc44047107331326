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
//!   the members' names joined by `_`).
//! - `...` after an argument or a group makes it repeatable.
//!
//! Keys are documented against the single key spec COMMAND INFO derives from the legacy
//! key positions, so every key argument has `key_spec_index` 0.

use crate::protocol::reply::Reply;

/// What a family documents beyond its `CommandSpec`s, kept in the family's own file:
/// syntax lines (notation above), key flags and tips, by full command name.
pub struct FamilyDocs {
    pub syntax: &'static [(&'static str, &'static str)],
    pub key_flags: &'static [(&'static [&'static str], &'static [&'static str])],
    pub tips: &'static [(&'static str, &'static [&'static str])],
}

/// The families with their own docs tables (the core families are in this file).
const FAMILY_DOCS: &[&FamilyDocs] = &[
    &crate::commands::hash::DOCS,
    &crate::commands::set::DOCS,
    &crate::commands::sort::DOCS,
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
    // ---- list ----
    (
        &["RW", "insert"],
        &["lpush", "rpush", "lpushx", "rpushx", "linsert"],
    ),
    (
        &["RW", "access", "delete"],
        &["lpop", "rpop", "lmpop", "blpop", "brpop", "blmpop"],
    ),
    (&["RO"], &["llen"]),
    (&["RO", "access"], &["lindex", "lrange", "lpos"]),
    (&["RW", "delete"], &["lrem", "ltrim"]),
];

/// Commands whose fixed keys each have their own key spec (source and destination),
/// with the flags of each key in order.
const SPLIT_KEY_FLAGS: &[(&[&[&str]], &[&str])] = &[
    // ---- list ----
    (
        &[&["RW", "access", "delete"], &["RW", "insert"]],
        &["lmove", "rpoplpush", "blmove", "brpoplpush"],
    ),
];

/// The per-key flags of a command whose keys have one key spec each.
pub fn split_key_flags(full_name: &str) -> Option<&'static [&'static [&'static str]]> {
    SPLIT_KEY_FLAGS
        .iter()
        .find(|(_, names)| names.contains(&full_name))
        .map(|(flags, _)| *flags)
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgType {
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
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arg {
    pub name: String,
    pub kind: ArgType,
    pub token: Option<String>,
    pub optional: bool,
    pub multiple: bool,
    pub args: Vec<Arg>,
}

// ---- parsing -------------------------------------------------------------------------

#[derive(Clone, Debug, PartialEq, Eq)]
enum Lexeme {
    Open { optional: bool },
    Close { optional: bool },
    Pipe,
    Ellipsis,
    Word(String),
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
    for c in syntax.chars() {
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
    },
    Group(Group),
}

#[derive(Debug)]
struct Group {
    label: Option<String>,
    optional: bool,
    multiple: bool,
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
                (Some(Lexeme::Word(text)), _) => {
                    let alt = alts.last_mut()?;
                    match text.strip_prefix('@') {
                        Some(label) if alt.is_empty() => alt.push(Item::Label(label.to_string())),
                        Some(_) => return None,
                        None => alt.push(Item::Word {
                            text,
                            multiple: false,
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
        token: None,
        optional: false,
        multiple,
        args: Vec::new(),
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
        optional: false,
        multiple: false,
        args: Vec::new(),
    }
}

/// Converts a sequence, attaching each token to the argument or group after it.
fn convert_seq(items: Vec<Item>) -> Option<Vec<Arg>> {
    let mut out = Vec::new();
    let mut pending_token: Option<String> = None;
    for item in items {
        let arg = match item {
            Item::Word { text, multiple } if is_token(&text) => {
                if let Some(t) = pending_token.replace(text) {
                    out.push(pure_token(&t));
                }
                let _ = multiple;
                continue;
            }
            Item::Word { text, multiple } => plain_arg(&text, multiple),
            Item::Group(g) => convert_group(g)?,
            Item::Label(_) => return None,
        };
        let mut arg = arg;
        if let Some(t) = pending_token.take() {
            arg.token = Some(t);
        }
        out.push(arg);
    }
    if let Some(t) = pending_token {
        out.push(pure_token(&t));
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
    if args.is_empty() {
        return None;
    }
    Some(Arg {
        name: label.unwrap_or_else(|| joined_name(&args)),
        kind: ArgType::Block,
        token: None,
        optional: false,
        multiple: false,
        args,
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
            token: None,
            optional: false,
            multiple: false,
            args,
        }
    } else {
        let only = g.alternatives.into_iter().next()?;
        convert_unit(only, g.label)?
    };
    arg.optional |= g.optional;
    arg.multiple |= g.multiple;
    Some(arg)
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
    let is_key = arg.kind == ArgType::Key;
    let has_flags = arg.optional || arg.multiple;
    let nested = matches!(arg.kind, ArgType::OneOf | ArgType::Block);
    let fields =
        2 + is_key as usize + arg.token.is_some() as usize + has_flags as usize + nested as usize;
    r.map(fields);
    r.bulk(b"name");
    r.bulk(arg.name.as_bytes());
    r.bulk(b"type");
    r.bulk(arg.kind.name().as_bytes());
    if is_key {
        r.bulk(b"key_spec_index");
        r.int(0);
    }
    if let Some(token) = &arg.token {
        r.bulk(b"token");
        r.bulk(token.as_bytes());
    }
    if has_flags {
        r.bulk(b"flags");
        r.set(arg.optional as usize + arg.multiple as usize);
        if arg.optional {
            r.simple("optional");
        }
        if arg.multiple {
            r.simple("multiple");
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
            names.extend(d.tips.iter().map(|(n, _)| *n));
        }
        names
    }

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
        for bad in ["[a", "a]", "(a]", "a | b", "[...]", "a @b", "[@a]"] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
