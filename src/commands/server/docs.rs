//! What COMMAND DOCS and COMMAND INFO say beyond the command table: each command's
//! syntax (parsed into COMMAND DOCS `arguments`; notation in `syntax`), key flags, tips,
//! and optionally declared key specs (`keyspec`), history entries and a deprecation
//! (`doc_flags`, `deprecated_since`, `replaced_by`). The collection families keep a
//! `FamilyDocs` in their own file; the core families' are in the submodules `string`,
//! `keyspace`, `connection` and `server`; all are listed in `FAMILY_DOCS`.
//! redis-cli 7 builds its inline hints from the arguments, so a command without a
//! syntax shows no hint.

mod connection;
mod keyspace;
pub mod keyspec;
mod server;
mod string;
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
    /// `doc_flags` besides `deprecated` (`syscmd`).
    pub doc_flags: &'static [(&'static str, &'static [&'static str])],
}

impl FamilyDocs {
    pub const NONE: FamilyDocs = FamilyDocs {
        syntax: &[],
        key_flags: &[],
        tips: &[],
        key_specs: &[],
        history: &[],
        deprecated: &[],
        doc_flags: &[],
    };
}

/// Every family's docs tables.
const FAMILY_DOCS: &[&FamilyDocs] = &[
    &connection::DOCS,
    &server::DOCS,
    &keyspace::DOCS,
    &string::DOCS,
    &crate::commands::hash::DOCS,
    &crate::commands::set::DOCS,
    &crate::commands::sort::DOCS,
    &crate::commands::list::DOCS,
    &crate::commands::zset::DOCS,
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

/// The `doc_flags` of a command besides `deprecated` (none when not listed).
pub fn doc_flags_of(full_name: &str) -> &'static [&'static str] {
    FAMILY_DOCS
        .iter()
        .flat_map(|d| d.doc_flags.iter())
        .find(|(name, _)| *name == full_name)
        .map_or(&[], |(_, f)| *f)
}

/// The declared key flags of a command (its key spec); commands not listed get
/// `RW update` when they write and `RO access` otherwise.
pub fn key_flags(full_name: &str, is_write: bool) -> &'static [&'static str] {
    FAMILY_DOCS
        .iter()
        .flat_map(|d| d.key_flags.iter())
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
    variable_key_flags(full_name, args).unwrap_or_else(|| key_flags(full_name, is_write))
}

/// The flags of one call of a command whose key spec says `variable_flags`: SET reads
/// the old value only with GET; BITFIELD reads only when it is nothing but GETs and
/// OVERFLOWs (Redis's `setGetKeys` and `bitfieldGetKeys`).
pub fn variable_key_flags(
    full_name: &str,
    args: crate::protocol::args::Args,
) -> Option<&'static [&'static str]> {
    match full_name {
        "set" if args.skip(3).any(|a| a.eq_ignore_ascii_case(b"GET")) => {
            Some(&["RW", "access", "update"])
        }
        "set" => Some(&["OW", "update"]),
        "bitfield" if bitfield_writes(args) => Some(&["RW", "access", "update"]),
        "bitfield" => Some(&["RO", "access"]),
        _ => None,
    }
}

/// Whether a BITFIELD call may write: anything but GET and OVERFLOW with their
/// arguments. A SET or INCRBY writes; anything else is a syntax error, which Redis's
/// `bitfieldGetKeys` counts as a write too (the safe side).
fn bitfield_writes(args: crate::protocol::args::Args) -> bool {
    let mut i = 2;
    while i < args.len() {
        let rest = args.len() - i - 1;
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"GET") && rest >= 2 {
            i += 2;
        } else if a.eq_ignore_ascii_case(b"OVERFLOW") && rest >= 1 {
            i += 1;
        } else {
            return true;
        }
        i += 1;
    }
    false
}

/// The tips of a command, by full name (none when not listed).
pub fn tips_of(full_name: &str) -> &'static [&'static str] {
    FAMILY_DOCS
        .iter()
        .flat_map(|d| d.tips.iter())
        .find(|(name, _)| *name == full_name)
        .map_or(&[], |(_, tips)| *tips)
}

/// The syntax string of a command, by full name.
pub fn syntax_of(full_name: &str) -> Option<&'static str> {
    FAMILY_DOCS
        .iter()
        .flat_map(|d| d.syntax.iter())
        .find(|(name, _)| *name == full_name)
        .map(|(_, s)| *s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_syntax() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
        FAMILY_DOCS.iter().flat_map(|d| d.syntax.iter())
    }

    fn all_documented_names() -> Vec<&'static str> {
        let mut names: Vec<&str> = all_syntax().map(|(n, _)| *n).collect();
        for d in FAMILY_DOCS {
            names.extend(d.key_flags.iter().flat_map(|(_, n)| n.iter().copied()));
            names.extend(d.key_specs.iter().flat_map(|(_, n)| n.iter().copied()));
            names.extend(d.tips.iter().map(|(n, _)| *n));
            names.extend(d.history.iter().map(|(n, _)| *n));
            names.extend(d.deprecated.iter().map(|(n, _)| *n));
            names.extend(d.doc_flags.iter().map(|(n, _)| *n));
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
        assert_eq!(mset[0].name, "key_value");
        let hello = parse(syntax_of("hello").unwrap()).unwrap();
        assert_eq!(
            render(&hello),
            "[protover [AUTH username password] [SETNAME clientname]]"
        );
        let kill = parse(syntax_of("client|kill").unwrap()).unwrap();
        assert_eq!(kill[0].args[0].name, "ip:port");
        assert_eq!(kill[0].args[1].name, "new-format");
        assert!(render(&kill).starts_with("ip:port|[ID client-id]|[TYPE "));
        let list = parse(syntax_of("client|list").unwrap()).unwrap();
        assert_eq!(
            render(&list),
            "[TYPE NORMAL|MASTER|REPLICA|PUBSUB] [ID client-id [client-id ...]]"
        );
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
        assert_eq!(find("rename", &["rename", "a", "b"]), Some(vec![1, 2]));
        assert_eq!(
            find("copy", &["copy", "a", "b", "db", "1"]),
            Some(vec![1, 2])
        );
        assert_eq!(
            find("bitop", &["bitop", "and", "d", "a", "b"]),
            Some(vec![2, 3, 4])
        );
        let flags = |name: &str| key_specs_of(name).unwrap().iter().map(|s| s.flags);
        assert!(flags("rename").eq([&["RW", "access", "delete"][..], &["OW", "update"]]));
        assert!(flags("bitop").eq([&["OW", "update"][..], &["RO", "access"]]));
    }

    #[test]
    fn variable_key_flags_follow_the_call() {
        use crate::protocol::args::ArgsBuf;
        let flags = |line: &[&str]| {
            let buf = ArgsBuf::from_slices(line.iter().map(|s| s.as_bytes()));
            variable_key_flags(line[0], buf.as_args())
        };
        let read: &[&str] = &["RO", "access"];
        let write: &[&str] = &["RW", "access", "update"];
        assert_eq!(flags(&["bitfield", "k", "get", "u8", "0"]), Some(read));
        assert_eq!(
            flags(&["bitfield", "k", "set", "u8", "0", "1"]),
            Some(write)
        );
        assert_eq!(
            flags(&["bitfield", "k", "overflow", "sat", "incrby", "u8", "0", "1"]),
            Some(write)
        );
        // SET as GET's offset argument does not write; a call that is a syntax error (a
        // SET or GET short of its arguments, an unknown word) counts as a write.
        assert_eq!(flags(&["bitfield", "k", "get", "u8", "set"]), Some(read));
        assert_eq!(flags(&["bitfield", "k"]), Some(read));
        assert_eq!(flags(&["bitfield", "k", "set", "u8", "0"]), Some(write));
        assert_eq!(flags(&["bitfield", "k", "get", "u8"]), Some(write));
        assert_eq!(flags(&["bitfield", "k", "foo"]), Some(write));
        assert_eq!(flags(&["bitfield", "k", "overflow"]), Some(write));
        assert_eq!(flags(&["set", "k", "v", "get"]), Some(write));
        assert_eq!(flags(&["set", "k", "v"]), Some(&["OW", "update"][..]));
        assert_eq!(flags(&["get", "k"]), None);
    }

    #[test]
    fn history_and_deprecations_are_declared() {
        assert_eq!(history_of("zadd").len(), 3);
        assert!(history_of("get").is_empty());
        let d = deprecation_of("rpoplpush").unwrap();
        assert_eq!(d.since, "6.2.0");
        assert!(deprecation_of("lmove").is_none());
        assert_eq!(deprecation_of("getset").unwrap().since, "6.2.0");
        assert_eq!(history_of("set").len(), 4);
        assert_eq!(doc_flags_of("debug"), ["syscmd"]);
        assert!(doc_flags_of("get").is_empty());
    }
}
