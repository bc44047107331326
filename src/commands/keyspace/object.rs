//! OBJECT: a container whose subcommands inspect one key without touching it (no
//! access-clock refresh, as Redis's `LOOKUP_NOTOUCH`): ENCODING, REFCOUNT, IDLETIME,
//! FREQ, plus HELP. A missing key is a null reply.
//!
//! shoal does not share or count references to values; REFCOUNT answers what Redis
//! would: its shared integers 0..9999 report `i32::MAX`, everything else 1.

use super::super::{BASE, CommandSpec, ConnCtx, Run, acl, flags, keys};
use super::peek;
use crate::errors;
use crate::protocol::args::Args;
use crate::protocol::reply::Reply;
use crate::shard::evict::lfu_decayed;
use crate::shard::{ShardCtx, lru_clock_secs};
use crate::storage::ValueRef;

/// Redis keeps one shared object for each integer below this.
const SHARED_INTEGERS_COUNT: i64 = 10_000;
/// What Redis reports as the reference count of a shared object (`OBJ_SHARED_REFCOUNT`).
const SHARED_REFCOUNT: i64 = i32::MAX as i64;
/// The LRU clock wraps at 24 bits (Redis's `LRU_CLOCK_MAX`).
const LRU_CLOCK_MAX: u32 = (1 << 24) - 1;

// ---- command API ----------------------------------------------------------------------

fn policy_is_lfu(policy: &str) -> bool {
    policy.ends_with("-lfu")
}

/// Redis stops sharing integers once a maxmemory policy needs per-object access data.
fn shares_integers(maxmemory_bytes: u64, policy: &str) -> bool {
    maxmemory_bytes == 0 || !(policy_is_lfu(policy) || policy.ends_with("-lru"))
}

/// Seconds between an access at `then` and `now` on the wrapping 24-bit LRU clock.
fn idle_secs(now: u32, then: u32) -> u64 {
    if now >= then {
        (now - then) as u64
    } else {
        now as u64 + (LRU_CLOCK_MAX - then) as u64
    }
}

fn refcount_of(value: ValueRef<'_>, shared_ints: bool) -> i64 {
    match value {
        ValueRef::Int(n) if shared_ints && (0..SHARED_INTEGERS_COUNT).contains(&n) => {
            SHARED_REFCOUNT
        }
        _ => 1,
    }
}

// ---- commands ---------------------------------------------------------------------------

fn encoding(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match peek(ctx, &args[2]) {
        Some(e) => r.bulk(e.value().encoding().as_bytes()),
        None => r.null(),
    }
}

fn refcount(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let settings = &ctx.shard.settings;
    let shared_ints = shares_integers(settings.maxmemory_bytes, &settings.maxmemory_policy);
    match peek(ctx, &args[2]) {
        Some(e) => r.int(refcount_of(e.value(), shared_ints)),
        None => r.null(),
    }
}

fn idletime(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let lfu = ctx.shard.settings.eviction.policy.is_lfu();
    let now = lru_clock_secs(ctx.now_ms);
    match peek(ctx, &args[2]).is_some() {
        false => r.null(),
        true if lfu => r.error(errors::LFU_SELECTED),
        true => r.int(idle_secs(now, access_of(ctx, &args[2])) as i64),
    }
}

/// The key's LFU counter after decay (not counting this look as an access).
fn freq(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let eviction = ctx.shard.settings.eviction;
    let now = ctx.now_ms;
    match peek(ctx, &args[2]).is_some() {
        false => r.null(),
        true if !eviction.policy.is_lfu() => r.error(errors::LFU_NOT_SELECTED),
        true => {
            let access = access_of(ctx, &args[2]);
            r.int(lfu_decayed(access, now, eviction.lfu_decay_minutes) as i64)
        }
    }
}

/// A live key's access data (kept in its table slot).
fn access_of(ctx: &mut ShardCtx, key: &[u8]) -> u32 {
    ctx.db().table.access_of(key).unwrap_or(0)
}

/// OBJECT HELP, line for line as Redis 7.0 prints it.
const HELP_LINES: &[&str] = &[
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
];

fn help(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    r.array(HELP_LINES.len());
    for line in HELP_LINES {
        r.simple(line);
    }
}

// ---- table ----------------------------------------------------------------------------

const SUB: CommandSpec = CommandSpec {
    arity: 3,
    flags: flags::READONLY,
    acl: acl::KEYSPACE | acl::READ | acl::SLOW,
    keys: keys(2, 2, 1),
    group: "generic",
    ..BASE
};

pub const OBJECT_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "encoding",
        since: "2.2.3",
        summary: "Inspect the internal encoding of a Redis object",
        run: Run::Shard(encoding),
        ..SUB
    },
    CommandSpec {
        name: "freq",
        since: "4.0.0",
        summary: "Get the logarithmic access frequency counter of a Redis object",
        run: Run::Shard(freq),
        ..SUB
    },
    CommandSpec {
        name: "idletime",
        since: "2.2.3",
        summary: "Get the time since a Redis object was last accessed",
        run: Run::Shard(idletime),
        ..SUB
    },
    CommandSpec {
        name: "refcount",
        since: "2.2.3",
        summary: "Get the number of references to the value of the key",
        run: Run::Shard(refcount),
        ..SUB
    },
    CommandSpec {
        name: "help",
        arity: 2,
        flags: flags::LOADING | flags::STALE,
        acl: acl::KEYSPACE | acl::SLOW,
        keys: keys(0, 0, 0),
        since: "6.2.0",
        summary: "Show helpful text about the different subcommands",
        run: Run::Conn(help),
        ..SUB
    },
];

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "object",
    arity: -2,
    acl: acl::SLOW,
    group: "generic",
    since: "2.2.3",
    summary: "A container for object introspection commands",
    complexity: "Depends on subcommand.",
    run: Run::Container,
    subcommands: OBJECT_SUBCOMMANDS,
    ..BASE
}];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::Value;

    #[test]
    fn idle_time_wraps_with_the_clock() {
        assert_eq!(idle_secs(100, 40), 60);
        assert_eq!(idle_secs(5, LRU_CLOCK_MAX - 5), 10);
        assert_eq!(idle_secs(7, 7), 0);
    }

    #[test]
    fn shared_integers_as_redis() {
        assert!(shares_integers(0, "allkeys-lru"));
        assert!(shares_integers(100, "noeviction"));
        assert!(!shares_integers(100, "volatile-lfu"));
        assert_eq!(refcount_of(Value::Int(0).as_ref(), true), SHARED_REFCOUNT);
        assert_eq!(
            refcount_of(Value::Int(9_999).as_ref(), true),
            SHARED_REFCOUNT
        );
        assert_eq!(refcount_of(Value::Int(10_000).as_ref(), true), 1);
        assert_eq!(refcount_of(Value::Int(-1).as_ref(), true), 1);
        assert_eq!(refcount_of(Value::Int(5).as_ref(), false), 1);
        assert_eq!(refcount_of(Value::from_bytes(b"abc").as_ref(), true), 1);
    }
}
