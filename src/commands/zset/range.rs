//! ZRANGE (BYSCORE BYLEX REV LIMIT WITHSCORES) and its older forms (ZREVRANGE,
//! Z[REV]RANGEBYSCORE, Z[REV]RANGEBYLEX), ZRANGESTORE (across shards too) and
//! ZREMRANGEBYRANK/BYSCORE/BYLEX. Everything resolves a range to a run of ascending
//! ranks and walks it, as Redis's `zrangeGenericCommand` does.

use super::{LexRange, ScoreRange, read, reply_pair, reply_pairs_header, store, write};
use crate::commands::multikey::add_exclusive;
use crate::commands::{ConnCtx, CoordFuture};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::tx::{LockMode, LockSet};
use crate::shard::{ShardCtx, now_ms};
use crate::storage::zset::ZSetValue;
use crate::util::num::parse_i64;

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    Auto,
    Rank,
    Score,
    Lex,
}

/// A parsed range request, borrowing the lex bounds from the arguments.
pub(super) struct RangeSpec<'a> {
    kind: Kind,
    rank: (i64, i64),
    score: Option<ScoreRange>,
    lex: Option<LexRange<'a>>,
    rev: bool,
    offset: i64,
    limit: i64,
    withscores: bool,
}

/// `zrangeGenericCommand`'s parsing: `src_at` is the source key's index (min and max
/// follow it); `kind`/`rev` are fixed by the older command forms.
pub(super) fn parse<'a>(
    args: Args<'a>,
    src_at: usize,
    store: bool,
    mut kind: Kind,
    fixed_rev: Option<bool>,
    r: &mut Reply,
) -> Option<RangeSpec<'a>> {
    let mut rev = None;
    let (mut offset, mut limit, mut withscores) = (0i64, -1i64, false);
    let mut j = src_at + 3;
    while j < args.len() {
        let a = &args[j];
        let left = args.len() - j - 1;
        if !store && a.eq_ignore_ascii_case(b"WITHSCORES") {
            withscores = true;
        } else if a.eq_ignore_ascii_case(b"LIMIT") && left >= 2 {
            let (Some(o), Some(l)) = (parse_i64(&args[j + 1]), parse_i64(&args[j + 2])) else {
                r.error(errors::NOT_INTEGER);
                return None;
            };
            offset = o;
            limit = l;
            j += 2;
        } else if fixed_rev.is_none() && rev.is_none() && a.eq_ignore_ascii_case(b"REV") {
            rev = Some(true);
        } else if kind == Kind::Auto && a.eq_ignore_ascii_case(b"BYLEX") {
            kind = Kind::Lex;
        } else if kind == Kind::Auto && a.eq_ignore_ascii_case(b"BYSCORE") {
            kind = Kind::Score;
        } else {
            r.error(errors::SYNTAX);
            return None;
        }
        j += 1;
    }
    let rev = fixed_rev.or(rev).unwrap_or(false);
    if kind == Kind::Auto {
        kind = Kind::Rank;
    }
    if limit != -1 && kind == Kind::Rank {
        r.error(errors::ZRANGE_LIMIT_NEEDS_BY);
        return None;
    }
    if withscores && kind == Kind::Lex {
        r.error(errors::ZRANGE_WITHSCORES_BYLEX);
        return None;
    }
    let mut min = args.get(src_at + 1).unwrap_or_default();
    let mut max = args.get(src_at + 2).unwrap_or_default();
    if rev && kind != Kind::Rank {
        std::mem::swap(&mut min, &mut max);
    }
    let mut spec = RangeSpec {
        kind,
        rank: (0, 0),
        score: None,
        lex: None,
        rev,
        offset,
        limit,
        withscores,
    };
    match kind {
        Kind::Rank | Kind::Auto => {
            let (Some(a), Some(b)) = (parse_i64(min), parse_i64(max)) else {
                r.error(errors::NOT_INTEGER);
                return None;
            };
            spec.rank = (a, b);
        }
        Kind::Score => {
            let Some(range) = ScoreRange::parse(min, max) else {
                r.error(errors::ZSET_MIN_MAX_NOT_FLOAT);
                return None;
            };
            spec.score = Some(range);
        }
        Kind::Lex => {
            let Some(range) = LexRange::parse(min, max) else {
                r.error(errors::ZSET_MIN_MAX_NOT_STRING_RANGE);
                return None;
            };
            spec.lex = Some(range);
        }
    }
    Some(spec)
}

/// Redis's index normalization for rank ranges: `(start, end)` inclusive, or None.
pub(super) fn rank_bounds(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let llen = len as i64;
    let mut start = if start < 0 { llen + start } else { start };
    let mut end = if end < 0 { llen + end } else { end };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= llen {
        return None;
    }
    if end >= llen {
        end = llen - 1;
    }
    Some((start as usize, end as usize))
}

/// The walk a range request makes: first ascending rank, count, direction.
fn resolve(spec: &RangeSpec, z: &ZSetValue) -> (usize, usize, bool) {
    let len = z.len();
    if let Kind::Rank | Kind::Auto = spec.kind {
        let Some((start, end)) = rank_bounds(spec.rank.0, spec.rank.1, len) else {
            return (0, 0, false);
        };
        let count = end - start + 1;
        return if spec.rev {
            (len - 1 - start, count, true)
        } else {
            (start, count, false)
        };
    }
    if spec.offset < 0 || (spec.offset > 0 && spec.offset as u64 >= len as u64) {
        return (0, 0, false);
    }
    let offset = spec.offset as usize;
    // A negative LIMIT count means no limit.
    let limit = usize::try_from(spec.limit).unwrap_or(usize::MAX);
    let (lo, hi) = match (spec.kind, &spec.score, &spec.lex) {
        (Kind::Score, Some(s), _) => s.ranks(z),
        (Kind::Lex, _, Some(l)) if l.scans(z) => {
            let (first, count) = l.scan_walk(z, spec.rev, offset, limit);
            return if count == 0 {
                (0, 0, false)
            } else {
                (first, count, spec.rev)
            };
        }
        (Kind::Lex, _, Some(l)) => l.ranks(z),
        _ => (0, 0),
    };
    let count = (hi - lo).saturating_sub(offset).min(limit);
    if count == 0 {
        return (0, 0, false);
    }
    if spec.rev {
        (hi - 1 - offset, count, true)
    } else {
        (lo + offset, count, false)
    }
}

/// The members (and scores) of a range, copied out.
fn collect(spec: &RangeSpec, z: &ZSetValue) -> Vec<(Vec<u8>, f64)> {
    let (rank, count, rev) = resolve(spec, z);
    let mut out = Vec::with_capacity(count);
    z.walk(rank, count, rev, |m, s| {
        out.push((m.to_vec(), s));
        true
    });
    out
}

fn range_reply(ctx: &mut ShardCtx, args: Args, r: &mut Reply, kind: Kind, rev: Option<bool>) {
    let Some(spec) = parse(args, 1, false, kind, rev, r) else {
        return;
    };
    let z = match read(ctx, &args[1], r) {
        Err(_) => return,
        Ok(None) => return r.array(0),
        Ok(Some(z)) => z,
    };
    let (rank, count, rev) = resolve(&spec, z);
    reply_pairs_header(r, count, spec.withscores);
    z.walk(rank, count, rev, |m, s| {
        reply_pair(r, m, s, spec.withscores);
        true
    });
}

pub(super) fn zrange(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    range_reply(ctx, args, r, Kind::Auto, None)
}
pub(super) fn zrevrange(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    range_reply(ctx, args, r, Kind::Rank, Some(true))
}
pub(super) fn zrangebyscore(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    range_reply(ctx, args, r, Kind::Score, Some(false))
}
pub(super) fn zrevrangebyscore(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    range_reply(ctx, args, r, Kind::Score, Some(true))
}
pub(super) fn zrangebylex(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    range_reply(ctx, args, r, Kind::Lex, Some(false))
}
pub(super) fn zrevrangebylex(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    range_reply(ctx, args, r, Kind::Lex, Some(true))
}

// ---- ZRANGESTORE --------------------------------------------------------------------------

/// Reads the range of `src` on its shard: Err after WRONGTYPE.
fn rangestore_read(
    ctx: &mut ShardCtx,
    args: Args,
    r: &mut Reply,
) -> Result<Vec<(Vec<u8>, f64)>, ()> {
    let Some(spec) = parse(args, 2, true, Kind::Auto, None, r) else {
        return Err(());
    };
    match read(ctx, &args[2], r) {
        Err(_) => Err(()),
        Ok(None) => Ok(Vec::new()),
        Ok(Some(z)) => Ok(collect(&spec, z)),
    }
}

pub(super) fn zrangestore(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Ok(pairs) = rangestore_read(ctx, args, r) else {
        return;
    };
    let n = store(ctx, &args[1], &pairs);
    r.int(n as i64);
}

/// ZRANGESTORE with the destination and the source on different shards: one
/// transaction reads the source, then writes the destination.
pub(super) fn zrangestore_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        {
            // Syntax errors first, before any key is touched.
            let mut sink = Vec::new();
            let mut probe = Reply::new(&mut sink, ctx.resp);
            if parse(args.as_args(), 2, true, Kind::Auto, None, &mut probe).is_none() {
                ctx.out.extend_from_slice(&sink);
                return;
            }
        }
        let db = ctx.db;
        let resp = ctx.resp;
        let (dest, src) = (args.as_args()[1].to_vec(), args.as_args()[2].to_vec());
        let (dest_shard, src_shard) = (ctx.shard_of(&dest), ctx.shard_of(&src));
        let mut src_locks = LockSet::default();
        src_locks.add_key(db, &src, LockMode::Shared);
        let mut locks = vec![(src_shard, src_locks)];
        add_exclusive(&mut locks, dest_shard, db, &dest);
        let mut tx = ctx.shards.schedule(locks).await;
        let owned = args.clone();
        let read = tx
            .hop(src_shard, true, move |s| {
                let mut sink = Vec::new();
                let mut r = Reply::new(&mut sink, resp);
                let mut sctx = ShardCtx {
                    shard: s,
                    db,
                    now_ms: now_ms(),
                };
                rangestore_read(&mut sctx, owned.as_args(), &mut r).map_err(|_| sink)
            })
            .await;
        let pairs = match read {
            Ok(p) => p,
            Err(error) => {
                tx.conclude().await;
                ctx.out.extend_from_slice(&error);
                return;
            }
        };
        let n = tx
            .hop(dest_shard, true, move |s| {
                let mut sctx = ShardCtx {
                    shard: s,
                    db,
                    now_ms: now_ms(),
                };
                store(&mut sctx, &dest, &pairs)
            })
            .await;
        tx.conclude().await;
        ctx.reply().int(n as i64);
    })
}

// ---- ZREMRANGEBY* -------------------------------------------------------------------------

fn remrange(ctx: &mut ShardCtx, args: Args, r: &mut Reply, kind: Kind) {
    let mut spec = RangeSpec {
        kind,
        rank: (0, 0),
        score: None,
        lex: None,
        rev: false,
        offset: 0,
        limit: -1,
        withscores: false,
    };
    match kind {
        Kind::Score => match ScoreRange::parse(&args[2], &args[3]) {
            Some(s) => spec.score = Some(s),
            None => return r.error(errors::ZSET_MIN_MAX_NOT_FLOAT),
        },
        Kind::Lex => match LexRange::parse(&args[2], &args[3]) {
            Some(l) => spec.lex = Some(l),
            None => return r.error(errors::ZSET_MIN_MAX_NOT_STRING_RANGE),
        },
        _ => match (parse_i64(&args[2]), parse_i64(&args[3])) {
            (Some(a), Some(b)) => spec.rank = (a, b),
            _ => return r.error(errors::NOT_INTEGER),
        },
    }
    let key = &args[1];
    let z = match write(ctx, key, r) {
        Err(_) => return,
        Ok(None) => return r.int(0),
        Ok(Some(z)) => z,
    };
    let (rank, count, _) = resolve(&spec, z);
    let removed = z.remove_ranks(rank, count);
    let empty = z.is_empty();
    if empty {
        ctx.remove(key);
    }
    r.int(removed as i64);
}

pub(super) fn zremrangebyrank(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    remrange(ctx, args, r, Kind::Rank)
}
pub(super) fn zremrangebyscore(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    remrange(ctx, args, r, Kind::Score)
}
pub(super) fn zremrangebylex(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    remrange(ctx, args, r, Kind::Lex)
}
