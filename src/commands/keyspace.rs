//! Generic keyspace commands: DEL, UNLINK, EXISTS, TYPE, the TTL family. Multi-key ones
//! run on one shard when they can, and as one cross-shard transaction otherwise.

use super::multikey::{run_parts, split_by_shard};
use super::{BASE, CommandSpec, ConnCtx, CoordFuture, Run, acl, flags, keys};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::shard::tx::LockMode;
use crate::util::num::parse_i64;

fn del_keys<'a>(ctx: &mut ShardCtx, keys: impl Iterator<Item = &'a [u8]>) -> i64 {
    keys.map(|k| ctx.remove(k).is_some() as i64).sum()
}

fn exists_keys<'a>(ctx: &mut ShardCtx, keys: impl Iterator<Item = &'a [u8]>) -> i64 {
    keys.map(|k| ctx.exists(k) as i64).sum()
}

fn del(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    r.int(del_keys(ctx, args.skip(1)));
}

fn exists(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    r.int(exists_keys(ctx, args.skip(1)));
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

fn type_(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match ctx.lookup_write(&args[1]) {
        Some(e) => r.simple(e.value.value_type().name()),
        None => r.simple("none"),
    }
}

/// TTL / PTTL / EXPIRETIME / PEXPIRETIME: -2 missing, -1 no deadline.
fn ttl_generic(ctx: &mut ShardCtx, key: &[u8], r: &mut Reply, in_ms: bool, absolute: bool) {
    let now = ctx.now_ms;
    match ctx.lookup_write(key) {
        None => r.int(-2),
        Some(e) if e.expire_at_ms() == 0 => r.int(-1),
        Some(e) => {
            let at = e.expire_at_ms();
            let v = if absolute { at } else { at.saturating_sub(now) };
            r.int(if in_ms {
                v as i64
            } else if absolute {
                (v / 1000) as i64
            } else {
                v.div_ceil(1000) as i64
            });
        }
    }
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

#[derive(Clone, Copy)]
struct ExpireCmd {
    name: &'static str,
    ms: bool,
    absolute: bool,
}

/// EXPIRE family with NX / XX / GT / LT (Redis 7.0 rules: a key without TTL counts as
/// infinite for GT/LT; a deadline in the past deletes the key).
fn expire_generic(ctx: &mut ShardCtx, args: Args, r: &mut Reply, cmd: ExpireCmd) {
    let Some(v) = parse_i64(&args[2]) else {
        return r.error(errors::NOT_INTEGER);
    };
    let (mut nx, mut xx, mut gt, mut lt) = (false, false, false, false);
    for opt in args.skip(3) {
        match opt.to_ascii_uppercase().as_slice() {
            b"NX" => nx = true,
            b"XX" => xx = true,
            b"GT" => gt = true,
            b"LT" => lt = true,
            _ => {
                return r.error_fmt(format_args!(
                    "ERR Unsupported option {}",
                    String::from_utf8_lossy(opt)
                ));
            }
        }
    }
    if nx && (xx || gt || lt) {
        return r.error(errors::EXPIRE_NX_XX_GT_LT);
    }
    if gt && lt {
        return r.error(errors::EXPIRE_GT_LT);
    }
    let now = ctx.now_ms as i64;
    let ms = if cmd.ms { Some(v) } else { v.checked_mul(1000) };
    let at = ms.and_then(|ms| {
        if cmd.absolute {
            Some(ms)
        } else {
            ms.checked_add(now)
        }
    });
    let Some(at) = at else {
        return errors::invalid_expire(r, cmd.name);
    };
    let key = &args[1];
    let Some(e) = ctx.lookup_write(key) else {
        return r.int(0);
    };
    let current = e.expire_at_ms();
    let allowed = if nx {
        current == 0
    } else if xx {
        current != 0 && (!gt || at > current as i64) && (!lt || at < current as i64)
    } else if gt {
        current != 0 && at > current as i64
    } else if lt {
        current == 0 || at < current as i64
    } else {
        true
    };
    if !allowed {
        return r.int(0);
    }
    if at <= now {
        ctx.db().table.remove(key);
    } else {
        ctx.db().table.set_expire(key, at as u64);
    }
    r.int(1);
}

fn expire(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    expire_generic(
        ctx,
        args,
        r,
        ExpireCmd {
            name: "expire",
            ms: false,
            absolute: false,
        },
    );
}
fn pexpire(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    expire_generic(
        ctx,
        args,
        r,
        ExpireCmd {
            name: "pexpire",
            ms: true,
            absolute: false,
        },
    );
}
fn expireat(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    expire_generic(
        ctx,
        args,
        r,
        ExpireCmd {
            name: "expireat",
            ms: false,
            absolute: true,
        },
    );
}
fn pexpireat(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    expire_generic(
        ctx,
        args,
        r,
        ExpireCmd {
            name: "pexpireat",
            ms: true,
            absolute: true,
        },
    );
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
        summary: "Deletes one or more keys.",
        complexity: "O(N) where N is the number of keys that will be removed.",
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
        summary: "Asynchronously deletes one or more keys.",
        complexity: "O(1) for each key removed regardless of its size.",
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
        summary: "Determines whether one or more keys exist.",
        complexity: "O(N) where N is the number of keys to check.",
        run: Run::MultiKey {
            single: exists,
            spread: exists_spread,
        },
        ..KS
    },
    CommandSpec {
        name: "type",
        arity: 2,
        flags: RO_FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Determines the type of value stored at a key.",
        run: Run::Shard(type_),
        ..KS
    },
    CommandSpec {
        name: "ttl",
        arity: 2,
        flags: RO_FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Returns the expiration time in seconds of a key.",
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
        summary: "Returns the expiration time in milliseconds of a key.",
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
        summary: "Returns the expiration time of a key as a Unix timestamp.",
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
        summary: "Returns the expiration time of a key as a Unix milliseconds timestamp.",
        run: Run::Shard(pexpiretime),
        ..KS
    },
    CommandSpec {
        name: "expire",
        arity: -3,
        flags: W_FAST,
        acl: acl::KEYSPACE | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Sets the expiration time of a key in seconds.",
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
        summary: "Sets the expiration time of a key in milliseconds.",
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
        summary: "Sets the expiration time of a key to a Unix timestamp.",
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
        summary: "Sets the expiration time of a key to a Unix milliseconds timestamp.",
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
        summary: "Removes the expiration time of a key.",
        run: Run::Shard(persist),
        ..KS
    },
];
