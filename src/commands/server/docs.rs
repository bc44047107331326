//! What COMMAND DOCS and COMMAND INFO say beyond the command table: each command's
//! syntax (parsed into COMMAND DOCS `arguments`; notation in `syntax`), key flags, tips,
//! and optionally declared key specs (`keyspec`), history entries and a deprecation
//! (`doc_flags`, `deprecated_since`, `replaced_by`). The core families' entries are in
//! this file; the others keep a `FamilyDocs` in their own file, listed in `FAMILY_DOCS`.
//! redis-cli 7 builds its inline hints from the arguments, so a command without a
//! syntax shows no hint.

pub mod keyspec;
pub mod syntax;

pub use keyspec::KeySpec;
pub use syntax::{Arg, ArgType, assign_key_specs, parse, render, write_arg, write_args};

/// A command's deprecation as COMMAND DOCS shows it (`doc_flags deprecated`).
pub struct Deprecation {
    pub since: &'static str,
    pub replaced_by: &'static str,
}

/// What a family documents beyond its `CommandSpec`s, kept in the family's own file:
/// syntax lines (notation in `syntax`), key flags of the single legacy key spec, tips, and
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
    (
        &["RO"],
        &[
            "exists",
            "type",
            "strlen",
            "object|encoding",
            "object|freq",
            "object|idletime",
            "object|refcount",
            "memory|usage",
        ],
    ),
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
        "memory|doctor",
        &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
    ),
    (
        "memory|malloc-stats",
        &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
    ),
    (
        "memory|purge",
        &["request_policy:all_shards", "response_policy:all_succeeded"],
    ),
    (
        "memory|stats",
        &[
            "nondeterministic_output",
            "request_policy:all_shards",
            "response_policy:special",
        ],
    ),
    ("object|encoding", &["nondeterministic_output"]),
    ("object|freq", &["nondeterministic_output"]),
    ("object|idletime", &["nondeterministic_output"]),
    ("object|refcount", &["nondeterministic_output"]),
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
            assert!(
                exists(name),
                "{name} is documented but not in the command table"
            );
        }
    }

    /// A command (`get`) or subcommand (`config|get`) of the table.
    fn exists(full_name: &str) -> bool {
        let mut parts = full_name.splitn(2, '|');
        let top = crate::commands::lookup(parts.next().unwrap_or("").as_bytes());
        match (top, parts.next()) {
            (Some(spec), Some(sub)) => spec.find_subcommand(sub.as_bytes()).is_some(),
            (Some(_), None) => true,
            (None, _) => false,
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
            assert!(exists(name), "{name}");
        }
        for (_, names) in KEY_FLAGS {
            for name in *names {
                assert!(exists(name), "{name}");
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
