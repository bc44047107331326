//! ZPOPMIN, ZPOPMAX and ZMPOP. [`pop_reply`] is the pop-and-reply core the blocking
//! forms (BZPOPMIN, BZPOPMAX, BZMPOP) reuse: it pops from one key and writes the reply
//! in the shape its caller needs, or writes nothing when the key holds no sorted set.

use super::{reply_score, write};
use crate::commands::{ConnCtx, CoordFuture};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::tx::{LockMode, LockSet};
use crate::shard::{ShardCtx, now_ms};

/// How popped members are replied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PopShape {
    /// ZPOPMIN/ZPOPMAX in RESP2, or without a count: `[m1, s1, m2, s2, ...]`.
    Flat,
    /// ZPOPMIN/ZPOPMAX with a count in RESP3: `[[m1, s1], ...]`.
    Nested,
    /// ZMPOP/BZMPOP: `[key, [[m1, s1], ...]]`.
    WithKey,
    /// BZPOPMIN/BZPOPMAX: `[key, member, score]` (one member).
    KeyMemberScore,
}

/// Pops up to `count` (>= 1) members from the low end (or the high end when `max`) of
/// the sorted set at `key` and replies them in `shape`. Returns false, writing nothing,
/// when `key` is missing; true once it replied (including WRONGTYPE). Deletes the key
/// when it empties.
pub fn pop_reply(
    ctx: &mut ShardCtx,
    key: &[u8],
    max: bool,
    count: usize,
    shape: PopShape,
    r: &mut Reply,
) -> bool {
    let z = match write(ctx, key, r) {
        Err(_) => return true,
        Ok(None) => return false,
        Ok(Some(z)) if z.is_empty() => return false,
        Ok(Some(z)) => z,
    };
    let n = count.min(z.len());
    match shape {
        PopShape::Flat => r.array(n * 2),
        PopShape::Nested => r.array(n),
        PopShape::WithKey => {
            r.array(2);
            r.bulk(key);
            r.array(n);
        }
        PopShape::KeyMemberScore => {
            r.array(3);
            r.bulk(key);
        }
    }
    let start = if max { z.len() - n } else { 0 };
    z.walk(if max { z.len() - 1 } else { 0 }, n, max, |m, s| {
        if matches!(shape, PopShape::Nested | PopShape::WithKey) {
            r.array(2);
        }
        r.bulk(m);
        reply_score(r, s);
        true
    });
    z.remove_ranks(start, n);
    let empty = z.is_empty();
    if empty {
        ctx.remove(key);
    }
    true
}

/// ZPOPMIN / ZPOPMAX key [count]
fn zpop(ctx: &mut ShardCtx, args: Args, r: &mut Reply, max: bool) {
    if args.len() > 3 {
        return r.error(errors::SYNTAX);
    }
    let count = match args.get(2) {
        None => None,
        Some(a) => match crate::util::num::parse_i64(a) {
            Some(n) if n >= 0 => Some(n as usize),
            _ => return r.error(errors::VALUE_MUST_BE_POSITIVE),
        },
    };
    let key = &args[1];
    // Type first, then a zero count, as Redis.
    let len = match write(ctx, key, r) {
        Err(_) => return,
        Ok(None) => return r.array(0),
        Ok(Some(z)) => z.len(),
    };
    if count == Some(0) {
        return r.array(0);
    }
    ctx.dirty(count.unwrap_or(1).min(len) as u64);
    let shape = if r.is_resp3() && count.is_some() {
        PopShape::Nested
    } else {
        PopShape::Flat
    };
    pop_reply(ctx, key, max, count.unwrap_or(1), shape, r);
}

pub(super) fn zpopmin(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    zpop(ctx, args, r, false)
}

pub(super) fn zpopmax(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    zpop(ctx, args, r, true)
}

/// ZMPOP's parsed arguments: key indexes `1 + 1 .. 1 + 1 + numkeys`.
pub struct MpopArgs {
    pub numkeys: usize,
    pub max: bool,
    pub count: usize,
}

/// Parses `numkeys key... MIN|MAX [COUNT n]` with `numkeys` at `at` (ZMPOP: 1, BZMPOP: 2).
pub fn parse_mpop(args: Args, at: usize, r: &mut Reply) -> Option<MpopArgs> {
    let numkeys = match crate::util::num::parse_i64(&args[at]) {
        Some(n) if n >= 1 => n as u64,
        _ => {
            r.error(errors::NUMKEYS_NOT_POSITIVE);
            return None;
        }
    };
    let where_at = (at as u64 + 1).saturating_add(numkeys);
    if where_at >= args.len() as u64 {
        r.error(errors::SYNTAX);
        return None;
    }
    let where_at = where_at as usize;
    let max = if args[where_at].eq_ignore_ascii_case(b"MIN") {
        false
    } else if args[where_at].eq_ignore_ascii_case(b"MAX") {
        true
    } else {
        r.error(errors::SYNTAX);
        return None;
    };
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && args[j].eq_ignore_ascii_case(b"COUNT") && j + 1 < args.len() {
            match crate::util::num::parse_i64(&args[j + 1]) {
                Some(n) if n >= 1 => count = Some(n as usize),
                _ => {
                    r.error(errors::COUNT_NOT_POSITIVE);
                    return None;
                }
            }
            j += 2;
        } else {
            r.error(errors::SYNTAX);
            return None;
        }
    }
    Some(MpopArgs {
        numkeys: numkeys as usize,
        max,
        count: count.unwrap_or(1),
    })
}

pub(super) fn zmpop(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(p) = parse_mpop(args, 1, r) else {
        return;
    };
    for i in 0..p.numkeys {
        if pop_reply(ctx, &args[2 + i], p.max, p.count, PopShape::WithKey, r) {
            return;
        }
    }
    r.null_array();
}

/// ZMPOP over keys on several shards: one transaction locks every key; the keys are
/// tried in order, one hop each, until one pops.
pub(super) fn zmpop_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let all = args.as_args();
        let p = {
            let mut sink = Vec::new();
            let mut probe = Reply::new(&mut sink, ctx.resp);
            match parse_mpop(all, 1, &mut probe) {
                Some(p) => p,
                None => {
                    ctx.out.extend_from_slice(&sink);
                    return;
                }
            }
        };
        let db = ctx.db;
        let resp = ctx.resp;
        let keys: Vec<Vec<u8>> = (0..p.numkeys).map(|i| all[2 + i].to_vec()).collect();
        let mut locks: Vec<(usize, LockSet)> = Vec::new();
        for k in &keys {
            let shard = ctx.shard_of(k);
            match locks.iter_mut().find(|(s, _)| *s == shard) {
                Some((_, set)) => set.add_key(db, k, LockMode::Exclusive),
                None => {
                    let mut set = LockSet::default();
                    set.add_key(db, k, LockMode::Exclusive);
                    locks.push((shard, set));
                }
            }
        }
        let mut tx = ctx.shards.schedule(locks).await;
        for k in keys {
            let shard = ctx.shard_of(&k);
            let (max, count) = (p.max, p.count);
            let out = tx
                .hop(shard, false, move |s| {
                    let mut buf = Vec::new();
                    let mut r = Reply::new(&mut buf, resp);
                    let mut sctx = ShardCtx {
                        shard: s,
                        db,
                        now_ms: now_ms(),
                    };
                    pop_reply(&mut sctx, &k, max, count, PopShape::WithKey, &mut r).then_some(buf)
                })
                .await;
            if let Some(buf) = out {
                tx.conclude().await;
                ctx.out.extend_from_slice(&buf);
                return;
            }
        }
        tx.conclude().await;
        ctx.reply().null_array();
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::reply::RespVersion;
    use crate::shard::Shard;
    use crate::storage::Value;
    use crate::storage::zset::{ZLimits, ZSetValue};
    use std::sync::Arc;

    fn with_set(f: impl FnOnce(&mut ShardCtx)) {
        let mut shard = Shard::new(0, 1, Arc::new(crate::config::Settings::default()));
        let mut ctx = ShardCtx {
            shard: &mut shard,
            db: 0,
            now_ms: 1,
        };
        let limits = ZLimits {
            entries: 128,
            value_bytes: 64,
        };
        let mut z = ZSetValue::default();
        for (m, s) in [("a", 1.0), ("b", 2.5), ("c", 3.0)] {
            z.insert(m.as_bytes(), s, limits);
        }
        ctx.set_value(b"z", Value::ZSet(z), 0, false);
        ctx.set_value(b"s", Value::from_bytes(b"str"), 0, false);
        f(&mut ctx);
    }

    fn pop(
        ctx: &mut ShardCtx,
        key: &[u8],
        max: bool,
        n: usize,
        shape: PopShape,
        v: RespVersion,
    ) -> (bool, String) {
        let mut out = Vec::new();
        let done = pop_reply(ctx, key, max, n, shape, &mut Reply::new(&mut out, v));
        (done, String::from_utf8(out).unwrap())
    }

    #[test]
    fn pop_reply_shapes() {
        with_set(|ctx| {
            let (done, out) = pop(
                ctx,
                b"z",
                false,
                1,
                PopShape::KeyMemberScore,
                RespVersion::Resp3,
            );
            assert!(done);
            assert_eq!(out, "*3\r\n$1\r\nz\r\n$1\r\na\r\n,1\r\n");
            let (_, out) = pop(
                ctx,
                b"z",
                true,
                1,
                PopShape::KeyMemberScore,
                RespVersion::Resp2,
            );
            assert_eq!(out, "*3\r\n$1\r\nz\r\n$1\r\nc\r\n$1\r\n3\r\n");
            let (_, out) = pop(ctx, b"z", true, 5, PopShape::WithKey, RespVersion::Resp3);
            assert_eq!(out, "*2\r\n$1\r\nz\r\n*1\r\n*2\r\n$1\r\nb\r\n,2.5\r\n");
            // Emptied: the key is gone, and a pop now writes nothing.
            assert!(!ctx.exists(b"z"));
            let (done, out) = pop(ctx, b"z", false, 1, PopShape::Flat, RespVersion::Resp2);
            assert!(!done);
            assert!(out.is_empty());
            // Another type: WRONGTYPE is the reply.
            let (done, out) = pop(ctx, b"s", false, 1, PopShape::Flat, RespVersion::Resp2);
            assert!(done);
            assert!(out.starts_with("-WRONGTYPE"));
        });
        with_set(|ctx| {
            let (_, out) = pop(ctx, b"z", false, 2, PopShape::Flat, RespVersion::Resp3);
            assert_eq!(out, "*4\r\n$1\r\na\r\n,1\r\n$1\r\nb\r\n,2.5\r\n");
            let (_, out) = pop(ctx, b"z", false, 2, PopShape::Nested, RespVersion::Resp3);
            assert_eq!(out, "*1\r\n*2\r\n$1\r\nc\r\n,3\r\n");
        });
    }
}
