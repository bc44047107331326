//! Generic keyspace commands. This file has the per-key ones (DEL, UNLINK, EXISTS, TOUCH,
//! TYPE, the TTL and EXPIRE families, PERSIST) and the helpers the others share;
//! [`scan`] has KEYS, SCAN and RANDOMKEY, [`relocate`] RENAME, RENAMENX, COPY, MOVE and
//! SWAPDB, [`object`] the OBJECT container. Multi-key commands run on one shard when
//! they can, and as one cross-shard transaction otherwise.

pub mod object;
pub mod relocate;
pub mod scan;

use super::multikey::{run_parts, split_by_shard};
use super::{BASE, CommandSpec, ConnCtx, CoordFuture, Run, acl, flags, keys};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::tx::LockMode;
use crate::shard::{Shard, ShardCtx};
use crate::storage::Entry;
use crate::util::num::parse_i64;

// ---- command API ----------------------------------------------------------------------

/// Looks a key up the way Redis's `LOOKUP_NOTOUCH` reads do (TYPE, TTL, OBJECT): lazy
/// expiry and hit/miss counting, but the access clock is left alone so OBJECT IDLETIME
/// is not reset by looking at it.
pub(crate) fn peek<'c>(ctx: &'c mut ShardCtx, key: &[u8]) -> Option<&'c mut Entry> {
    if !ctx.exists(key) {
        ctx.shard.stats.keyspace_misses += 1;
        return None;
    }
    ctx.shard.stats.keyspace_hits += 1;
    ctx.db().table.get_mut(key)
}

/// A [`ShardCtx`] for a hop running on `shard` against database `db`.
pub(crate) fn shard_ctx(shard: &mut Shard, db: usize) -> ShardCtx<'_> {
    ShardCtx {
        shard,
        db,
        now_ms: crate::shard::now_ms(),
    }
}

/// A database index argument, checked as Redis's `getIntFromObjectOrReply` and
/// `selectDb` do; the error is the exact reply text.
pub(crate) fn parse_db_index(arg: &[u8], databases: usize) -> Result<usize, &'static str> {
    let v = parse_i64(arg).ok_or(errors::NOT_INTEGER)?;
    let v = i32::try_from(v).map_err(|_| errors::INT_OUT_OF_RANGE)?;
    usize::try_from(v)
        .ok()
        .filter(|&db| db < databases)
        .ok_or(errors::DB_INDEX_OUT_OF_RANGE)
}

// ---- DEL, EXISTS, TOUCH, TYPE -----------------------------------------------------------

/// Removes the keys; each removed key counts as a change.
fn del_keys<'a>(ctx: &mut ShardCtx, keys: impl Iterator<Item = &'a [u8]>) -> i64 {
    let removed: i64 = keys.map(|k| ctx.remove(k).is_some() as i64).sum();
    ctx.dirty(removed as u64);
    removed
}

/// EXISTS reads without touching (Redis: `LOOKUP_NOTOUCH`) but counts hits and misses.
fn exists_keys<'a>(ctx: &mut ShardCtx, keys: impl Iterator<Item = &'a [u8]>) -> i64 {
    keys.map(|k| peek(ctx, k).is_some() as i64).sum()
}

/// TOUCH is a plain read: it refreshes the access clock.
fn touch_keys<'a>(ctx: &mut ShardCtx, keys: impl Iterator<Item = &'a [u8]>) -> i64 {
    keys.map(|k| ctx.lookup_read(k).is_some() as i64).sum()
}

fn del(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    r.int(del_keys(ctx, args.skip(1)));
}

fn exists(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    r.int(exists_keys(ctx, args.skip(1)));
}

fn touch(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    r.int(touch_keys(ctx, args.skip(1)));
}

/// Runs a counting op (DEL, EXISTS, TOUCH) over keys on several shards.
async fn count_spread(
    ctx: &mut ConnCtx,
    args: &ArgsBuf,
    mode: LockMode,
    op: fn(&mut ShardCtx, &ArgsBuf) -> i64,
) {
    let parts = split_by_shard(ctx, args.as_args(), 1, 1);
    let results = run_parts(ctx, parts, 1, mode, op).await;
    let total: i64 = results.iter().map(|(_, n)| n).sum();
    ctx.reply().int(total);
}

fn del_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(count_spread(ctx, args, LockMode::Exclusive, |s, a| {
        del_keys(s, a.as_args().iter())
    }))
}

fn exists_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(count_spread(ctx, args, LockMode::Shared, |s, a| {
        exists_keys(s, a.as_args().iter())
    }))
}

fn touch_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(count_spread(ctx, args, LockMode::Shared, |s, a| {
        touch_keys(s, a.as_args().iter())
    }))
}

fn type_(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match peek(ctx, &args[1]) {
        Some(e) => r.simple(e.value().value_type().name()),
        None => r.simple("none"),
    }
}

// ---- TTL family -------------------------------------------------------------------------

/// TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 missing, -1 no deadline. Seconds are
/// rounded to the nearest (Redis: `(ms + 500) / 1000`), for the absolute forms too.
fn ttl_generic(ctx: &mut ShardCtx, key: &[u8], r: &mut Reply, in_ms: bool, absolute: bool) {
    let now = ctx.now_ms;
    let Some(e) = peek(ctx, key) else {
        return r.int(-2);
    };
    let at = e.expire_at_ms();
    if at == 0 {
        return r.int(-1);
    }
    let ms = if absolute { at } else { at.saturating_sub(now) };
    let v = if in_ms {
        ms
    } else {
        ms.saturating_add(500) / 1000
    };
    r.int(i64::try_from(v).unwrap_or(i64::MAX));
}

fn ttl(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    ttl_generic(ctx, &args[1], r, false, false);
}
fn pttl(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    ttl_generic(ctx, &args[1], r, true, false);
}
fn expiretime(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    ttl_generic(ctx, &args[1], r, false, true);
}
fn pexpiretime(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    ttl_generic(ctx, &args[1], r, true, true);
}

// ---- EXPIRE family ----------------------------------------------------------------------

#[derive(Clone, Copy)]
struct ExpireCmd {
    name: &'static str,
    ms: bool,
    absolute: bool,
}

/// The NX / XX / GT / LT flags of the EXPIRE family.
#[derive(Clone, Copy, Default)]
struct ExpireFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
}

impl ExpireFlags {
    /// Parses the flags after the time; Redis checks them before the time itself.
    fn parse<'a>(opts: impl Iterator<Item = &'a [u8]>, r: &mut Reply) -> Option<ExpireFlags> {
        let mut f = ExpireFlags::default();
        for opt in opts {
            match opt.to_ascii_uppercase().as_slice() {
                b"NX" => f.nx = true,
                b"XX" => f.xx = true,
                b"GT" => f.gt = true,
                b"LT" => f.lt = true,
                _ => {
                    errors::unsupported_option(r, opt);
                    return None;
                }
            }
        }
        if f.nx && (f.xx || f.gt || f.lt) {
            r.error(errors::EXPIRE_NX_XX_GT_LT);
            return None;
        }
        if f.gt && f.lt {
            r.error(errors::EXPIRE_GT_LT);
            return None;
        }
        Some(f)
    }

    /// May a key whose deadline is `current` (0: none, counted as infinite) get `at`?
    fn allow(self, current: u64, at: i64) -> bool {
        let has = current != 0;
        let current = i64::try_from(current).unwrap_or(i64::MAX);
        !(self.nx && has
            || self.xx && !has
            || self.gt && (!has || at <= current)
            || self.lt && has && at >= current)
    }
}

/// The absolute deadline in ms, or None when Redis reports an invalid expire time (the
/// unit conversion or the addition of the base time overflows; negative is allowed).
fn expire_deadline(v: i64, cmd: ExpireCmd, now_ms: u64) -> Option<i64> {
    let ms = if cmd.ms { v } else { v.checked_mul(1000)? };
    if cmd.absolute {
        Some(ms)
    } else {
        ms.checked_add(i64::try_from(now_ms).ok()?)
    }
}

/// EXPIRE family (Redis 7.0 rules: a key without TTL counts as infinite for GT/LT; a
/// deadline in the past deletes the key).
fn expire_generic(ctx: &mut ShardCtx, args: Args, r: &mut Reply, cmd: ExpireCmd) {
    let Some(flags) = ExpireFlags::parse(args.skip(3), r) else {
        return;
    };
    let Some(v) = parse_i64(&args[2]) else {
        return r.error(errors::NOT_INTEGER);
    };
    let Some(at) = expire_deadline(v, cmd, ctx.now_ms) else {
        return errors::invalid_expire(r, cmd.name);
    };
    let key = &args[1];
    let Some(e) = ctx.lookup_write(key) else {
        return r.int(0);
    };
    if !flags.allow(e.expire_at_ms(), at) {
        return r.int(0);
    }
    if at <= ctx.now_ms as i64 {
        ctx.db().table.remove(key);
    } else {
        ctx.db().table.set_expire(key, at as u64);
    }
    r.int(1);
}

fn expire(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let cmd = ExpireCmd {
        name: "expire",
        ms: false,
        absolute: false,
    };
    expire_generic(ctx, args, r, cmd);
}
fn pexpire(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let cmd = ExpireCmd {
        name: "pexpire",
        ms: true,
        absolute: false,
    };
    expire_generic(ctx, args, r, cmd);
}
fn expireat(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let cmd = ExpireCmd {
        name: "expireat",
        ms: false,
        absolute: true,
    };
    expire_generic(ctx, args, r, cmd);
}
fn pexpireat(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let cmd = ExpireCmd {
        name: "pexpireat",
        ms: true,
        absolute: true,
    };
    expire_generic(ctx, args, r, cmd);
}

fn persist(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let key = &args[1];
    match ctx.lookup_write(key) {
        Some(e) if e.expire_at_ms() != 0 => {
            ctx.db().table.set_expire(key, 0);
            r.int(1);
        }
        _ => r.int(0),
    }
}

// ---- table ----------------------------------------------------------------------------

const KS: CommandSpec = CommandSpec {
    group: "generic",
    acl: acl::KEYSPACE,
    ..BASE
};
const RO_FAST: u32 = flags::READONLY | flags::FAST;
const W_FAST: u32 = flags::WRITE | flags::FAST;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "del",
        arity: -2,
        flags: flags::WRITE,
        acl: acl::KEYSPACE | acl::WRITE | acl::SLOW,
        keys: keys(1, -1, 1),
        summary: "Delete a key",
        complexity: "O(N) where N is the number of keys that will be removed. When a key to remove holds a value other than a string, the individual complexity for this key is O(M) where M is the number of elements in the list, set, sorted set or hash. Removing a single key that holds a string value is O(1).",
        run: Run::MultiKey {
            single: del,
            spread: del_spread,
        },
        ..KS
    },
    CommandSpec {
        name: "unlink",
        arity: -2,
        flags: W_FAST,
        acl: acl::KEYSPACE | acl::WRITE | acl::FAST,
        keys: keys(1, -1, 1),
        since: "4.0.0",
        summary: "Delete a key asynchronously in another thread. Otherwise it is just as DEL, but non blocking.",
        complexity: "O(1) for each key removed regardless of its size. Then the command does O(N) work in a different thread in order to reclaim memory, where N is the number of allocations the deleted objects where composed of.",
        run: Run::MultiKey {
            single: del,
            spread: del_spread,
        },
        ..KS
    },
    CommandSpec {
        name: "exists",
        arity: -2,
        flags: RO_FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        keys: keys(1, -1, 1),
        summary: "Determine if a key exists",
        complexity: "O(N) where N is the number of keys to check.",
        run: Run::MultiKey {
            single: exists,
            spread: exists_spread,
        },
        ..KS
    },
    CommandSpec {
        name: "touch",
        arity: -2,
        flags: RO_FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        keys: keys(1, -1, 1),
        since: "3.2.1",
        summary: "Alters the last access time of a key(s). Returns the number of existing keys specified.",
        complexity: "O(N) where N is the number of keys that will be touched.",
        run: Run::MultiKey {
            single: touch,
            spread: touch_spread,
        },
        ..KS
    },
    CommandSpec {
        name: "type",
        arity: 2,
        flags: RO_FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Determine the type stored at key",
        run: Run::Shard(type_),
        ..KS
    },
    CommandSpec {
        name: "ttl",
        arity: 2,
        flags: RO_FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Get the time to live for a key in seconds",
        run: Run::Shard(ttl),
        ..KS
    },
    CommandSpec {
        name: "pttl",
        arity: 2,
        flags: RO_FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.6.0",
        summary: "Get the time to live for a key in milliseconds",
        run: Run::Shard(pttl),
        ..KS
    },
    CommandSpec {
        name: "expiretime",
        arity: 2,
        flags: RO_FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key",
        run: Run::Shard(expiretime),
        ..KS
    },
    CommandSpec {
        name: "pexpiretime",
        arity: 2,
        flags: RO_FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        since: "7.0.0",
        summary: "Get the expiration Unix timestamp for a key in milliseconds",
        run: Run::Shard(pexpiretime),
        ..KS
    },
    CommandSpec {
        name: "expire",
        arity: -3,
        flags: W_FAST,
        acl: acl::KEYSPACE | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Set a key's time to live in seconds",
        run: Run::Shard(expire),
        ..KS
    },
    CommandSpec {
        name: "pexpire",
        arity: -3,
        flags: W_FAST,
        acl: acl::KEYSPACE | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.6.0",
        summary: "Set a key's time to live in milliseconds",
        run: Run::Shard(pexpire),
        ..KS
    },
    CommandSpec {
        name: "expireat",
        arity: -3,
        flags: W_FAST,
        acl: acl::KEYSPACE | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        since: "1.2.0",
        summary: "Set the expiration for a key as a UNIX timestamp",
        run: Run::Shard(expireat),
        ..KS
    },
    CommandSpec {
        name: "pexpireat",
        arity: -3,
        flags: W_FAST,
        acl: acl::KEYSPACE | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.6.0",
        summary: "Set the expiration for a key as a UNIX timestamp specified in milliseconds",
        run: Run::Shard(pexpireat),
        ..KS
    },
    CommandSpec {
        name: "persist",
        arity: 2,
        flags: W_FAST,
        acl: acl::KEYSPACE | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.2.0",
        summary: "Remove the expiration from a key",
        run: Run::Shard(persist),
        ..KS
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn db_index_errors_match_redis() {
        assert_eq!(parse_db_index(b"3", 16), Ok(3));
        assert_eq!(
            parse_db_index(b"16", 16),
            Err(errors::DB_INDEX_OUT_OF_RANGE)
        );
        assert_eq!(
            parse_db_index(b"-1", 16),
            Err(errors::DB_INDEX_OUT_OF_RANGE)
        );
        assert_eq!(parse_db_index(b"x", 16), Err(errors::NOT_INTEGER));
        assert_eq!(
            parse_db_index(b"2147483648", 16),
            Err(errors::INT_OUT_OF_RANGE)
        );
    }

    #[test]
    fn expire_flags_follow_redis() {
        let f = |nx, xx, gt, lt| ExpireFlags { nx, xx, gt, lt };
        // GT never applies to a key without TTL; LT always does.
        assert!(!f(false, false, true, false).allow(0, 5));
        assert!(f(false, false, false, true).allow(0, 5));
        assert!(f(false, false, true, false).allow(10, 11));
        assert!(!f(false, false, true, false).allow(10, 10));
        assert!(!f(false, false, false, true).allow(10, 10));
        assert!(f(true, false, false, false).allow(0, 1));
        assert!(!f(true, false, false, false).allow(3, 1));
        assert!(!f(false, true, false, false).allow(0, 1));
    }

    #[test]
    fn expire_deadline_overflow() {
        let ex = ExpireCmd {
            name: "expire",
            ms: false,
            absolute: false,
        };
        let pxat = ExpireCmd {
            name: "pexpireat",
            ms: true,
            absolute: true,
        };
        assert_eq!(expire_deadline(10, ex, 1_000), Some(11_000));
        assert_eq!(expire_deadline(-10, ex, 1_000), Some(-9_000));
        assert_eq!(expire_deadline(i64::MAX / 1000, ex, 1_000_000), None);
        assert_eq!(expire_deadline(i64::MIN, ex, 0), None);
        assert_eq!(expire_deadline(i64::MAX, pxat, 5), Some(i64::MAX));
    }
}
