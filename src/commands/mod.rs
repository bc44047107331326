//! The command table and the handlers, one file or directory per family (`string/`, `hash.rs`,
//! `connection.rs`, `server.rs`, ...). Each family exports a `const` slice of
//! [`CommandSpec`]s: name, arity, flags, key positions, ACL categories, docs and the
//! handler. The dispatch gate (`server::dispatch`), COMMAND, COMMAND DOCS and shard
//! routing all read this table; handlers never re-check what the gate checked.
//!
//! Handlers come in four kinds ([`Run`]): `Shard` runs on the shard owning the keys,
//! `MultiKey` has a single-shard handler plus a coordinator for keys spread over
//! several shards, `Conn` runs on the connection's thread without touching a shard, and
//! `Coord` is an async coordinator (fan-out, cross-shard transactions).

pub mod bitmap;
pub mod client;
pub mod connection;
pub mod context;
pub mod hash;
pub mod keyspace;
pub mod latency;
pub mod list;
pub mod multikey;
pub mod server;
pub mod set;
pub mod slowlog;
pub mod sort;
pub mod stats;
pub mod string;
pub mod timing;
pub mod typed;
pub mod zset;

use std::future::Future;
use std::pin::Pin;

use hashbrown::HashMap;
use std::sync::OnceLock;

use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
pub use crate::shard::batch::{KeyPositions, ShardHandler};
pub use context::ConnCtx;

/// Command flags, as COMMAND INFO names them.
pub mod flags {
    pub const WRITE: u32 = 1 << 0;
    pub const READONLY: u32 = 1 << 1;
    pub const DENYOOM: u32 = 1 << 2;
    pub const ADMIN: u32 = 1 << 3;
    pub const PUBSUB: u32 = 1 << 4;
    pub const NOSCRIPT: u32 = 1 << 5;
    pub const BLOCKING: u32 = 1 << 6;
    pub const LOADING: u32 = 1 << 7;
    pub const STALE: u32 = 1 << 8;
    pub const SKIP_MONITOR: u32 = 1 << 9;
    pub const SKIP_SLOWLOG: u32 = 1 << 10;
    pub const FAST: u32 = 1 << 11;
    pub const NO_AUTH: u32 = 1 << 12;
    pub const MAY_REPLICATE: u32 = 1 << 13;
    pub const NO_MULTI: u32 = 1 << 14;
    pub const ALLOW_BUSY: u32 = 1 << 15;
    pub const NO_ASYNC_LOADING: u32 = 1 << 16;
    pub const SENTINEL: u32 = 1 << 17;
    pub const MOVABLEKEYS: u32 = 1 << 18;

    /// Names in COMMAND INFO order.
    pub const NAMES: &[(u32, &str)] = &[
        (WRITE, "write"),
        (READONLY, "readonly"),
        (DENYOOM, "denyoom"),
        (ADMIN, "admin"),
        (PUBSUB, "pubsub"),
        (NOSCRIPT, "noscript"),
        (BLOCKING, "blocking"),
        (LOADING, "loading"),
        (STALE, "stale"),
        (SKIP_MONITOR, "skip_monitor"),
        (SKIP_SLOWLOG, "skip_slowlog"),
        (FAST, "fast"),
        (NO_AUTH, "no_auth"),
        (MAY_REPLICATE, "may_replicate"),
        (SENTINEL, "sentinel"),
        (NO_MULTI, "no_multi"),
        (MOVABLEKEYS, "movablekeys"),
        (ALLOW_BUSY, "allow_busy"),
        (NO_ASYNC_LOADING, "no_async_loading"),
    ];
}

/// ACL categories (`@keyspace`, `@read`, ...).
pub mod acl {
    pub const KEYSPACE: u32 = 1 << 0;
    pub const READ: u32 = 1 << 1;
    pub const WRITE: u32 = 1 << 2;
    pub const SET: u32 = 1 << 3;
    pub const SORTEDSET: u32 = 1 << 4;
    pub const LIST: u32 = 1 << 5;
    pub const HASH: u32 = 1 << 6;
    pub const STRING: u32 = 1 << 7;
    pub const BITMAP: u32 = 1 << 8;
    pub const HYPERLOGLOG: u32 = 1 << 9;
    pub const GEO: u32 = 1 << 10;
    pub const STREAM: u32 = 1 << 11;
    pub const PUBSUB: u32 = 1 << 12;
    pub const ADMIN: u32 = 1 << 13;
    pub const FAST: u32 = 1 << 14;
    pub const SLOW: u32 = 1 << 15;
    pub const BLOCKING: u32 = 1 << 16;
    pub const DANGEROUS: u32 = 1 << 17;
    pub const CONNECTION: u32 = 1 << 18;
    pub const TRANSACTION: u32 = 1 << 19;
    pub const SCRIPTING: u32 = 1 << 20;

    pub const NAMES: &[(u32, &str)] = &[
        (KEYSPACE, "keyspace"),
        (READ, "read"),
        (WRITE, "write"),
        (SET, "set"),
        (SORTEDSET, "sortedset"),
        (LIST, "list"),
        (HASH, "hash"),
        (STRING, "string"),
        (BITMAP, "bitmap"),
        (HYPERLOGLOG, "hyperloglog"),
        (GEO, "geo"),
        (STREAM, "stream"),
        (PUBSUB, "pubsub"),
        (ADMIN, "admin"),
        (FAST, "fast"),
        (SLOW, "slow"),
        (BLOCKING, "blocking"),
        (DANGEROUS, "dangerous"),
        (CONNECTION, "connection"),
        (TRANSACTION, "transaction"),
        (SCRIPTING, "scripting"),
    ];
}

/// A boxed future borrowing the connection for the duration of one command.
pub type CoordFuture<'a> = Pin<Box<dyn Future<Output = ()> + 'a>>;
/// An async coordinator: gets the connection, the command's arguments (owned copy) and
/// writes its reply into `ctx.out`.
pub type CoordHandler = for<'a> fn(&'a mut ConnCtx, &'a ArgsBuf) -> CoordFuture<'a>;
/// Runs on the connection's thread, synchronously.
pub type ConnHandler = fn(&mut ConnCtx, Args, &mut Reply);

#[derive(Clone, Copy)]
pub enum Run {
    Shard(ShardHandler),
    MultiKey {
        single: ShardHandler,
        spread: CoordHandler,
    },
    Conn(ConnHandler),
    Coord(CoordHandler),
    /// A container (CONFIG, CLIENT, ...): dispatch goes to `subcommands`.
    Container,
}

pub struct CommandSpec {
    /// Lowercase name (for subcommands, just the subcommand: `get` of `config`).
    pub name: &'static str,
    /// Redis arity: positive = exact argument count, negative = at least -arity.
    pub arity: i32,
    pub flags: u32,
    pub acl: u32,
    pub keys: KeyPositions,
    pub group: &'static str,
    pub since: &'static str,
    pub summary: &'static str,
    pub complexity: &'static str,
    pub run: Run,
    pub subcommands: &'static [CommandSpec],
}

impl CommandSpec {
    pub const fn is_write(&self) -> bool {
        self.flags & flags::WRITE != 0
    }

    pub fn arity_ok(&self, argc: usize) -> bool {
        if self.arity >= 0 {
            argc == self.arity as usize
        } else {
            argc >= (-self.arity) as usize
        }
    }

    pub fn find_subcommand(&self, name: &[u8]) -> Option<&'static CommandSpec> {
        self.subcommands
            .iter()
            .find(|s| s.name.as_bytes().eq_ignore_ascii_case(name))
    }
}

/// Shorthands used by the family tables.
pub const fn keys(first: i16, last: i16, step: i16) -> KeyPositions {
    KeyPositions {
        first,
        last,
        step,
        numkeys_at: 0,
    }
}
/// Keys counted by the argument at `numkeys_at`, after the `fixed` ones (for
/// ZUNIONSTORE: `numkeys(keys(1, 1, 1), 2)`; for SINTERCARD: `numkeys(NO_KEYS, 1)`).
/// Such commands carry the MOVABLEKEYS flag.
pub const fn numkeys(fixed: KeyPositions, numkeys_at: i16) -> KeyPositions {
    KeyPositions {
        numkeys_at,
        ..fixed
    }
}
pub const NO_KEYS: KeyPositions = KeyPositions::NONE;

/// A spec with the fields most entries share; families override with struct update.
pub const BASE: CommandSpec = CommandSpec {
    name: "",
    arity: 1,
    flags: 0,
    acl: 0,
    keys: NO_KEYS,
    group: "generic",
    since: "1.0.0",
    summary: "",
    complexity: "O(1)",
    run: Run::Container,
    subcommands: &[],
};

/// All families, in the order COMMAND lists them.
pub const FAMILIES: &[&[CommandSpec]] = &[
    connection::COMMANDS,
    client::COMMANDS,
    server::COMMANDS,
    server::scripting::COMMANDS,
    server::memory::COMMANDS,
    slowlog::COMMANDS,
    latency::COMMANDS,
    server::persist::COMMANDS,
    keyspace::COMMANDS,
    keyspace::relocate::COMMANDS,
    keyspace::scan::COMMANDS,
    keyspace::object::COMMANDS,
    string::COMMANDS,
    bitmap::COMMANDS,
    hash::COMMANDS,
    list::COMMANDS,
    set::COMMANDS,
    zset::COMMANDS,
    sort::COMMANDS,
];

/// Name lookup, built once.
fn index() -> &'static HashMap<&'static str, &'static CommandSpec> {
    static INDEX: OnceLock<HashMap<&'static str, &'static CommandSpec>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut map = HashMap::new();
        for family in FAMILIES {
            for spec in family.iter() {
                map.insert(spec.name, spec);
            }
        }
        map
    })
}

/// Command names are at most this long (longer input cannot be a command).
const NAME_BYTES_MAX: usize = 32;

/// Finds a command by name, case-insensitively, without allocating.
pub fn lookup(name: &[u8]) -> Option<&'static CommandSpec> {
    if name.len() > NAME_BYTES_MAX {
        return None;
    }
    let mut lower = [0u8; NAME_BYTES_MAX];
    for (d, s) in lower.iter_mut().zip(name) {
        *d = s.to_ascii_lowercase();
    }
    let lower = std::str::from_utf8(&lower[..name.len()]).ok()?;
    index().get(lower).copied()
}

/// `config|get` for a subcommand, the name itself otherwise (for stats and errors).
/// Keyed by names, not addresses: a `const` table may be instantiated more than once.
pub fn full_name(parent: Option<&'static CommandSpec>, spec: &'static CommandSpec) -> &'static str {
    type Names = HashMap<(&'static str, &'static str), &'static str>;
    static NAMES: OnceLock<Names> = OnceLock::new();
    let Some(parent) = parent else {
        return spec.name;
    };
    let names = NAMES.get_or_init(|| {
        let mut map = HashMap::new();
        for container in all() {
            for sub in container.subcommands {
                let name: &'static str =
                    Box::leak(format!("{}|{}", container.name, sub.name).into_boxed_str());
                map.insert((container.name, sub.name), name);
            }
        }
        map
    });
    names
        .get(&(parent.name, spec.name))
        .copied()
        .unwrap_or(spec.name)
}

pub fn all() -> impl Iterator<Item = &'static CommandSpec> {
    FAMILIES.iter().flat_map(|f| f.iter())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_invariants() {
        let mut seen = std::collections::HashSet::new();
        for spec in all() {
            assert!(seen.insert(spec.name), "duplicate command {}", spec.name);
            assert_eq!(spec.name, spec.name.to_ascii_lowercase());
            assert!(spec.arity != 0, "{}: arity 0", spec.name);
            assert!(
                !(spec.flags & flags::WRITE != 0 && spec.flags & flags::READONLY != 0),
                "{}",
                spec.name
            );
            assert_eq!(
                spec.keys.numkeys_at > 0,
                spec.flags & flags::MOVABLEKEYS != 0,
                "{}: a key count goes with MOVABLEKEYS",
                spec.name
            );
            if spec.keys.first > 0 {
                let min_args = spec.arity.unsigned_abs() as i16;
                assert!(
                    spec.keys.first < min_args.max(2),
                    "{}: first key beyond arity",
                    spec.name
                );
                assert!(spec.keys.step >= 1, "{}", spec.name);
            }
            match spec.run {
                Run::Container => {
                    assert!(!spec.subcommands.is_empty(), "{} has no handler", spec.name);
                    for sub in spec.subcommands {
                        assert!(
                            !matches!(sub.run, Run::Container),
                            "{}|{}",
                            spec.name,
                            sub.name
                        );
                        assert_eq!(sub.name, sub.name.to_ascii_lowercase());
                    }
                }
                Run::Shard(_) | Run::MultiKey { .. } => {
                    assert!(
                        spec.keys.first > 0 || spec.keys.numkeys_at > 0,
                        "{} runs on a shard but has no keys",
                        spec.name
                    )
                }
                Run::Conn(_) | Run::Coord(_) => {}
            }
            assert!(!spec.summary.is_empty(), "{} has no summary", spec.name);
        }
    }

    #[test]
    fn lookup_is_case_insensitive() {
        assert_eq!(lookup(b"GeT").map(|s| s.name), Some("get"));
        assert!(lookup(b"nosuchcommand").is_none());
        assert!(lookup(&[b'a'; 100]).is_none());
    }
}
