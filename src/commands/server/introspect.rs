//! COMMAND and its subcommands (COUNT, INFO, DOCS, LIST, GETKEYS, GETKEYSANDFLAGS,
//! HELP): every answer is read from the command table (`commands::all()`), so what
//! COMMAND describes is exactly what the dispatch gate enforces.
//!
//! Bare `COMMAND` answers like `COMMAND INFO` of everything, which a table container
//! cannot express (the gate refuses a container without a subcommand), so `command` is
//! a connection handler that routes its subcommands itself, with the gate's checks
//! and error texts.

use super::docs;
use super::docs::keyspec::{Begin, Find, KeySpec};
use super::help;
use crate::commands::context::ConnCtx;
use crate::commands::{self, BASE, CommandSpec, Run, acl, flags};
use crate::errors;
use crate::protocol::args::Args;
use crate::protocol::reply::Reply;

/// Flags in the order (and with the omissions) of Redis 7.0's COMMAND INFO:
/// `may_replicate` and `sentinel` are internal and never shown.
const INFO_FLAGS: &[(u32, &str)] = &[
    (flags::WRITE, "write"),
    (flags::READONLY, "readonly"),
    (flags::DENYOOM, "denyoom"),
    (flags::ADMIN, "admin"),
    (flags::PUBSUB, "pubsub"),
    (flags::NOSCRIPT, "noscript"),
    (flags::BLOCKING, "blocking"),
    (flags::LOADING, "loading"),
    (flags::STALE, "stale"),
    (flags::SKIP_MONITOR, "skip_monitor"),
    (flags::SKIP_SLOWLOG, "skip_slowlog"),
    (flags::FAST, "fast"),
    (flags::NO_AUTH, "no_auth"),
    (flags::NO_ASYNC_LOADING, "no_async_loading"),
    (flags::NO_MULTI, "no_multi"),
    (flags::MOVABLEKEYS, "movablekeys"),
    (flags::ALLOW_BUSY, "allow_busy"),
];

/// Every command and subcommand with its full name (`get`, `config|get`), in table
/// order, each container followed by its subcommands.
pub fn all_with_names() -> Vec<(&'static CommandSpec, String)> {
    let mut out = Vec::new();
    for spec in commands::all() {
        out.push((spec, spec.name.to_string()));
        for sub in spec.subcommands {
            out.push((sub, format!("{}|{}", spec.name, sub.name)));
        }
    }
    out
}

/// Finds `name` or `container|sub` (any case); returns the spec and its full name.
pub fn lookup_full(name: &[u8]) -> Option<(&'static CommandSpec, String)> {
    match name.iter().position(|&b| b == b'|') {
        None => commands::lookup(name).map(|s| (s, s.name.to_string())),
        Some(bar) => {
            let parent = commands::lookup(&name[..bar])?;
            let sub = parent.find_subcommand(&name[bar + 1..])?;
            Some((sub, format!("{}|{}", parent.name, sub.name)))
        }
    }
}

// ---- the container -------------------------------------------------------------------

fn command(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    if args.len() == 1 {
        return info_all(r);
    }
    let Some(sub) = SUBCOMMANDS
        .iter()
        .find(|s| s.name.as_bytes().eq_ignore_ascii_case(&args[1]))
    else {
        return errors::unknown_subcommand(r, &args[1], "COMMAND");
    };
    if !sub.arity_ok(args.len()) {
        return errors::wrong_arity(r, &format!("command|{}", sub.name));
    }
    match sub.run {
        Run::Conn(handler) => handler(ctx, args, r),
        _ => r.error(errors::NOT_IMPLEMENTED),
    }
}

fn count(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    r.int(commands::all().count() as i64);
}

fn command_help(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    help::reply(r, help::COMMAND);
}

// ---- INFO ----------------------------------------------------------------------------

fn info_all(r: &mut Reply) {
    let specs: Vec<_> = commands::all().collect();
    r.array(specs.len());
    for spec in specs {
        write_info(r, spec, spec.name);
    }
}

fn info(_ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    if args.len() == 2 {
        return info_all(r);
    }
    r.array(args.len() - 2);
    for name in args.skip(2) {
        match lookup_full(name) {
            Some((spec, full)) => write_info(r, spec, &full),
            None => r.null(),
        }
    }
}

/// One COMMAND INFO entry: name, arity, flags, first/last/step, ACL categories, tips,
/// key specs (the declared ones, else those of the legacy key positions), subcommands.
/// `movablekeys` is shown, as Redis derives it, also when a declared spec is not an
/// index search with a range.
pub fn write_info(r: &mut Reply, spec: &CommandSpec, full_name: &str) {
    r.array(10);
    r.bulk(full_name.as_bytes());
    r.int(spec.arity as i64);
    let declared = docs::key_specs_of(full_name);
    let movable = declared.is_some_and(|specs| specs.iter().any(|s| s.is_movable()));
    let shown_flags = spec.flags | if movable { flags::MOVABLEKEYS } else { 0 };
    let shown: Vec<&str> = INFO_FLAGS
        .iter()
        .filter(|(bit, _)| shown_flags & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    r.set(shown.len());
    for name in shown {
        r.simple(name);
    }
    r.int(spec.keys.first as i64);
    r.int(spec.keys.last as i64);
    r.int(spec.keys.step as i64);
    let categories: Vec<&str> = acl::NAMES
        .iter()
        .filter(|(bit, _)| spec.acl & bit != 0)
        .map(|(_, name)| *name)
        .collect();
    r.set(categories.len());
    for name in categories {
        r.simple(&format!("@{name}"));
    }
    let tips = docs::tips_of(full_name);
    r.set(tips.len());
    for tip in tips {
        r.bulk(tip.as_bytes());
    }
    if let Some(specs) = declared {
        r.set(specs.len());
        for s in specs {
            s.write(r);
        }
    } else {
        let derived = derived_key_specs(spec, full_name);
        r.set(derived.len());
        for s in &derived {
            s.write(r);
        }
    }
    r.set(spec.subcommands.len());
    for sub in spec.subcommands {
        write_info(r, sub, &format!("{full_name}|{}", sub.name));
    }
}

fn has_keys(spec: &CommandSpec, full_name: &str) -> bool {
    spec.keys.first > 0 || spec.keys.numkeys_at > 0 || docs::key_specs_of(full_name).is_some()
}

/// How many key specs COMMAND INFO shows for a command.
fn key_spec_count(spec: &CommandSpec, full_name: &str) -> usize {
    match docs::key_specs_of(full_name) {
        Some(specs) => specs.len(),
        None => (spec.keys.first > 0) as usize + (spec.keys.numkeys_at > 0) as usize,
    }
}

/// The key specs of a command that declares none, from its legacy key positions: an
/// index search with a range (the last key relative to the first, negative from the
/// end) for the fixed keys, and a keynum spec for keys counted at `numkeys_at`.
fn derived_key_specs(spec: &CommandSpec, full_name: &str) -> Vec<KeySpec> {
    let k = spec.keys;
    let mut specs = Vec::with_capacity(2);
    if k.first > 0 {
        let lastkey = if k.last < 0 { k.last } else { k.last - k.first };
        specs.push(KeySpec {
            notes: "",
            flags: docs::key_flags(full_name, spec.is_write()),
            begin: Begin::Index(k.first as i32),
            find: Find::Range {
                lastkey: lastkey as i32,
                keystep: k.step as i32,
                limit: 0,
            },
        });
    }
    if k.numkeys_at > 0 {
        specs.push(KeySpec::keynum(
            k.numkeys_at as i32,
            docs::key_flags(full_name, false),
        ));
    }
    specs
}

// ---- DOCS ----------------------------------------------------------------------------

fn docs_cmd(_ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    let found: Vec<(&CommandSpec, String)> = if args.len() == 2 {
        commands::all().map(|s| (s, s.name.to_string())).collect()
    } else {
        args.skip(2).filter_map(lookup_full).collect()
    };
    r.map(found.len());
    for (spec, full) in found {
        r.bulk(full.as_bytes());
        write_docs(r, spec, &full);
    }
}

/// One COMMAND DOCS entry: summary, since, group, complexity, the deprecation
/// (`doc_flags`, `deprecated_since`, `replaced_by`) and `history` when declared,
/// arguments (when the syntax is known), subcommands.
pub fn write_docs(r: &mut Reply, spec: &CommandSpec, full_name: &str) {
    let mut arguments = docs::syntax_of(full_name).and_then(docs::parse);
    if let Some(args) = arguments.as_mut() {
        docs::assign_key_specs(args, key_spec_count(spec, full_name));
    }
    let deprecation = docs::deprecation_of(full_name);
    let doc_flags = docs::doc_flags_of(full_name);
    let history = docs::history_of(full_name);
    let fields = 4
        + (deprecation.is_some() || !doc_flags.is_empty()) as usize
        + 2 * deprecation.is_some() as usize
        + !history.is_empty() as usize
        + arguments.is_some() as usize
        + !spec.subcommands.is_empty() as usize;
    r.map(fields);
    r.bulk(b"summary");
    r.bulk(spec.summary.as_bytes());
    r.bulk(b"since");
    r.bulk(spec.since.as_bytes());
    r.bulk(b"group");
    r.bulk(spec.group.as_bytes());
    r.bulk(b"complexity");
    r.bulk(spec.complexity.as_bytes());
    if deprecation.is_some() || !doc_flags.is_empty() {
        r.bulk(b"doc_flags");
        r.set(deprecation.is_some() as usize + doc_flags.len());
        if deprecation.is_some() {
            r.simple("deprecated");
        }
        for f in doc_flags {
            r.simple(f);
        }
    }
    if let Some(d) = deprecation {
        r.bulk(b"deprecated_since");
        r.bulk(d.since.as_bytes());
        r.bulk(b"replaced_by");
        r.bulk(d.replaced_by.as_bytes());
    }
    if !history.is_empty() {
        r.bulk(b"history");
        r.set(history.len());
        for (since, change) in history {
            r.array(2);
            r.bulk(since.as_bytes());
            r.bulk(change.as_bytes());
        }
    }
    if let Some(args) = arguments {
        r.bulk(b"arguments");
        docs::write_args(r, &args);
    }
    if !spec.subcommands.is_empty() {
        r.bulk(b"subcommands");
        r.map(spec.subcommands.len());
        for sub in spec.subcommands {
            let sub_name = format!("{full_name}|{}", sub.name);
            r.bulk(sub_name.as_bytes());
            write_docs(r, sub, &sub_name);
        }
    }
}

// ---- LIST ----------------------------------------------------------------------------

fn list(_ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    if args.len() == 2 {
        // Redis lists subcommands too, by full name (`client|list`), after their container.
        let names = all_with_names();
        r.array(names.len());
        for (_, n) in names {
            r.bulk(n.as_bytes());
        }
        return;
    }
    if args.len() != 5 || !args[2].eq_ignore_ascii_case(b"FILTERBY") {
        return r.error(errors::SYNTAX);
    }
    let (kind, value) = (&args[3], &args[4]);
    let matches: Vec<String> = if kind.eq_ignore_ascii_case(b"MODULE") {
        Vec::new()
    } else if kind.eq_ignore_ascii_case(b"ACLCAT") {
        let category = acl::NAMES
            .iter()
            .find(|(_, n)| n.as_bytes().eq_ignore_ascii_case(value))
            .map(|(bit, _)| *bit);
        match category {
            None => Vec::new(),
            Some(bit) => all_with_names()
                .into_iter()
                .filter(|(s, _)| s.acl & bit != 0)
                .map(|(_, n)| n)
                .collect(),
        }
    } else if kind.eq_ignore_ascii_case(b"PATTERN") {
        all_with_names()
            .into_iter()
            .filter(|(_, n)| crate::util::glob::glob_match(value, n.as_bytes(), true))
            .map(|(_, n)| n)
            .collect()
    } else {
        return r.error(errors::SYNTAX);
    };
    r.array(matches.len());
    for n in matches {
        r.bulk(n.as_bytes());
    }
}

// ---- GETKEYS -------------------------------------------------------------------------

/// A GETKEYS target: its spec, full name, and key indexes with their flags.
type CallKeys = (
    &'static CommandSpec,
    String,
    Vec<(usize, &'static [&'static str])>,
);

/// Resolves the command of GETKEYS (`args[2..]`) and its key positions, or the error.
fn keys_of(args: Args) -> Result<CallKeys, &'static str> {
    let target_argc = args.len() - 2;
    let mut spec = commands::lookup(&args[2]).ok_or(errors::GETKEYS_INVALID_COMMAND)?;
    let mut full_name = spec.name.to_string();
    if !spec.subcommands.is_empty() && target_argc >= 2 {
        let parent = spec.name;
        spec = spec
            .find_subcommand(&args[3])
            .ok_or(errors::GETKEYS_INVALID_COMMAND)?;
        full_name = format!("{parent}|{}", spec.name);
    }
    if !has_keys(spec, &full_name) {
        return Err(errors::GETKEYS_NO_KEYS);
    }
    if !spec.arity_ok(target_argc) {
        return Err(errors::GETKEYS_INVALID_ARITY);
    }
    let target = Args::new(args.bytes(), &args.ranges()[2..]);
    let positions = key_positions(spec, &full_name, target);
    if positions.is_empty() {
        return Err(errors::GETKEYS_INVALID_ARGUMENTS);
    }
    Ok((
        spec,
        full_name,
        positions.into_iter().map(|(i, f)| (i + 2, f)).collect(),
    ))
}

/// The keys of one call (`args[0]` is the command name) with the flags of the key spec
/// that finds each: through the declared key specs in their order (for a command that
/// declares none but counts keys, the specs derived from its positions, so the count is
/// read as Redis reads it), or else the legacy positions.
pub fn key_positions(
    spec: &CommandSpec,
    full_name: &str,
    args: Args,
) -> Vec<(usize, &'static [&'static str])> {
    let derived;
    let specs = match docs::key_specs_of(full_name) {
        Some(specs) => specs,
        None if spec.keys.numkeys_at > 0 => {
            derived = derived_key_specs(spec, full_name);
            &derived[..]
        }
        None => {
            let f = docs::call_key_flags(full_name, spec.is_write(), args);
            return spec.keys.of(args).map(|i| (i, f)).collect();
        }
    };
    let mut out = Vec::new();
    let mut found = Vec::new();
    for s in specs {
        found.clear();
        if !s.keys_of(args, &mut found) {
            return counted_keys_leniently(specs, args);
        }
        let flags = if s.flags.contains(&"variable_flags") {
            docs::variable_key_flags(full_name, args).unwrap_or(s.flags)
        } else {
            s.flags
        };
        out.extend(found.iter().map(|&i| (i, flags)));
    }
    out
}

/// Redis's answer when a counted-keys spec fails (a count that is not a strict integer,
/// or past the arguments): its getkeys procedure, which reads the count leniently, lists
/// those keys and then the other specs' keys (a STORE destination), all without flags.
fn counted_keys_leniently(
    specs: &[docs::keyspec::KeySpec],
    args: Args,
) -> Vec<(usize, &'static [&'static str])> {
    let mut counted = Vec::new();
    let mut others = Vec::new();
    for s in specs {
        s.keys_of_counted_leniently(args, &mut counted);
        if !matches!(s.find, docs::keyspec::Find::Keynum { .. }) {
            s.keys_of(args, &mut others);
        }
    }
    if counted.is_empty() {
        return Vec::new();
    }
    counted
        .into_iter()
        .chain(others)
        .map(|i| (i, &[][..]))
        .collect()
}

fn getkeys(_ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    match keys_of(args) {
        Err(e) => r.error(e),
        Ok((_, _, positions)) => {
            r.array(positions.len());
            for (i, _) in positions {
                r.bulk(&args[i]);
            }
        }
    }
}

fn getkeysandflags(_ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    match keys_of(args) {
        Err(e) => r.error(e),
        Ok((_, _, positions)) => {
            r.array(positions.len());
            for (i, f) in positions {
                r.array(2);
                r.bulk(&args[i]);
                r.set(f.len());
                for name in f {
                    r.simple(name);
                }
            }
        }
    }
}

// ---- table ---------------------------------------------------------------------------

const SUB: CommandSpec = CommandSpec {
    flags: flags::LOADING | flags::STALE,
    acl: acl::SLOW | acl::CONNECTION,
    group: "server",
    ..BASE
};

pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "count",
        arity: 2,
        since: "2.8.13",
        summary: "Get total number of Redis commands",
        run: Run::Conn(count),
        ..SUB
    },
    CommandSpec {
        name: "info",
        arity: -2,
        since: "2.8.13",
        summary: "Get array of specific Redis command details, or all when no argument is given.",
        complexity: "O(N) where N is the number of commands to look up",
        run: Run::Conn(info),
        ..SUB
    },
    CommandSpec {
        name: "docs",
        arity: -2,
        since: "7.0.0",
        summary: "Get array of specific Redis command documentation",
        complexity: "O(N) where N is the number of commands to look up",
        run: Run::Conn(docs_cmd),
        ..SUB
    },
    CommandSpec {
        name: "list",
        arity: -2,
        since: "7.0.0",
        summary: "Get an array of Redis command names",
        complexity: "O(N) where N is the total number of Redis commands",
        run: Run::Conn(list),
        ..SUB
    },
    CommandSpec {
        name: "getkeys",
        arity: -4,
        since: "2.8.13",
        summary: "Extract keys given a full Redis command",
        complexity: "O(N) where N is the number of arguments to the command",
        run: Run::Conn(getkeys),
        ..SUB
    },
    CommandSpec {
        name: "getkeysandflags",
        arity: -4,
        since: "7.0.0",
        summary: "Extract keys and access flags given a full Redis command",
        complexity: "O(N) where N is the number of arguments to the command",
        run: Run::Conn(getkeysandflags),
        ..SUB
    },
    CommandSpec {
        name: "help",
        arity: 2,
        since: "5.0.0",
        summary: "Show helpful text about the different subcommands",
        run: Run::Conn(command_help),
        ..SUB
    },
];

pub const COMMAND: CommandSpec = CommandSpec {
    name: "command",
    arity: -1,
    flags: flags::LOADING | flags::STALE,
    acl: acl::SLOW | acl::CONNECTION,
    group: "server",
    since: "2.8.13",
    summary: "Get array of Redis command details",
    complexity: "O(N) where N is the total number of Redis commands",
    run: Run::Conn(command),
    subcommands: SUBCOMMANDS,
    ..BASE
};

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::reply::RespVersion;

    #[test]
    fn full_names_resolve() {
        assert_eq!(lookup_full(b"GET").map(|(_, n)| n), Some("get".into()));
        assert_eq!(
            lookup_full(b"Config|Get").map(|(_, n)| n),
            Some("config|get".into())
        );
        assert!(lookup_full(b"config|nosuch").is_none());
        assert!(lookup_full(b"|").is_none());
    }

    /// Declared key specs find the keys the command table routes by (SORT's `unknown`
    /// specs aside), on a call of numeric arguments (counts of 2).
    #[test]
    fn declared_key_specs_agree_with_the_table() {
        use crate::protocol::args::ArgsBuf;
        for (spec, name) in all_with_names() {
            let Some(specs) = docs::key_specs_of(&name) else {
                continue;
            };
            if specs
                .iter()
                .any(|s| matches!(s.begin, docs::keyspec::Begin::Unknown(_)))
            {
                continue;
            }
            let argc = if spec.arity > 0 {
                spec.arity as usize
            } else {
                (-spec.arity as usize).max(6)
            };
            let mut buf = ArgsBuf::from_slices([name.as_bytes()]);
            for _ in 1..argc {
                buf.push(b"2");
            }
            let from_specs: Vec<usize> = key_positions(spec, &name, buf.as_args())
                .into_iter()
                .map(|(i, _)| i)
                .collect();
            let from_table: Vec<usize> = spec.keys.of(buf.as_args()).collect();
            assert_eq!(from_specs, from_table, "{name}");
        }
    }

    #[test]
    fn every_entry_encodes_in_both_protocols() {
        for (spec, name) in all_with_names() {
            for v in [RespVersion::Resp2, RespVersion::Resp3] {
                let mut buf = Vec::new();
                let mut r = Reply::new(&mut buf, v);
                write_info(&mut r, spec, &name);
                write_docs(&mut r, spec, &name);
                assert!(buf.ends_with(b"\r\n"), "{name}");
            }
        }
    }
}
