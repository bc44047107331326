//! ZUNION, ZINTER, ZDIFF, ZUNIONSTORE, ZINTERSTORE, ZDIFFSTORE and ZINTERCARD
//! (`zunionInterDiffGenericCommand`): WEIGHTS, AGGREGATE SUM|MIN|MAX, WITHSCORES, LIMIT.
//! Sources may be sorted sets or sets (members scored 1). On one shard the sources are
//! read in place; across shards one transaction snapshots each source on its shard,
//! the result is computed on the connection's thread and (for *STORE) written on the
//! destination's shard before the transaction ends, so no client sees a partial state.

use hashbrown::HashMap;

use super::{parse_setnum, reply_pair, reply_pairs_header, store};
use crate::commands::multikey::{add_exclusive, part_locks, split_by_shard};
use crate::commands::{ConnCtx, CoordFuture};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::tx::LockMode;
use crate::shard::{ShardCtx, now_ms};
use crate::storage::ValueRef;
use crate::storage::set::SetValue;
use crate::storage::zset::{ZLimits, ZSetValue, key_cmp};
use crate::util::num::parse_f64;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Op {
    Union,
    Inter,
    Diff,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Aggregate {
    Sum,
    Min,
    Max,
}

/// Which command: the op, whether it stores, whether it only counts.
#[derive(Clone, Copy)]
pub(super) struct Cmd {
    op: Op,
    store: bool,
    card: bool,
    name: &'static str,
}

struct Options {
    weights: Vec<f64>,
    aggregate: Aggregate,
    withscores: bool,
    limit: usize,
}

/// The numkeys check (before any key is read): returns (index of the first key, count).
fn parse_keys(args: Args, cmd: Cmd, r: &mut Reply) -> Option<(usize, usize)> {
    let at = if cmd.store { 2 } else { 1 };
    let n = parse_setnum(&args[at], cmd.name, r)?;
    if n > args.len() - (at + 1) {
        r.error(errors::SYNTAX);
        return None;
    }
    Some((at + 1, n))
}

/// The options after the keys; Redis reports their errors only after the key types.
fn parse_options(args: Args, cmd: Cmd, first: usize, n: usize) -> Result<Options, &'static str> {
    let mut o = Options {
        weights: vec![1.0; n],
        aggregate: Aggregate::Sum,
        withscores: false,
        limit: 0,
    };
    let mut j = first + n;
    while j < args.len() {
        let remaining = args.len() - j;
        let a = &args[j];
        if cmd.op != Op::Diff && !cmd.card && remaining > n && a.eq_ignore_ascii_case(b"WEIGHTS") {
            j += 1;
            for w in o.weights.iter_mut() {
                *w = parse_f64(&args[j]).ok_or(errors::ZSET_WEIGHT_NOT_FLOAT)?;
                j += 1;
            }
        } else if cmd.op != Op::Diff
            && !cmd.card
            && remaining >= 2
            && a.eq_ignore_ascii_case(b"AGGREGATE")
        {
            let v = &args[j + 1];
            o.aggregate = if v.eq_ignore_ascii_case(b"SUM") {
                Aggregate::Sum
            } else if v.eq_ignore_ascii_case(b"MIN") {
                Aggregate::Min
            } else if v.eq_ignore_ascii_case(b"MAX") {
                Aggregate::Max
            } else {
                return Err(errors::SYNTAX);
            };
            j += 2;
        } else if !cmd.store && !cmd.card && a.eq_ignore_ascii_case(b"WITHSCORES") {
            o.withscores = true;
            j += 1;
        } else if cmd.card && remaining >= 2 && a.eq_ignore_ascii_case(b"LIMIT") {
            match crate::util::num::parse_i64(&args[j + 1]) {
                Some(l) if l >= 0 => o.limit = l as usize,
                _ => return Err(errors::LIMIT_NEGATIVE),
            }
            j += 2;
        } else {
            return Err(errors::SYNTAX);
        }
    }
    Ok(o)
}

/// A plain set as a source of the set operations: every member with score 1, as Redis
/// does.
fn set_as_zset(set: &SetValue, limits: ZLimits) -> ZSetValue {
    let members: Vec<Vec<u8>> = set.iter().map(|m| m.to_vec()).collect();
    ZSetValue::from_pairs(members.iter().map(|m| (m.as_slice(), 1.0)), limits)
}

/// What a source key holds, for reading: Err for a wrong type.
fn source_of(v: Option<ValueRef<'_>>, limits: ZLimits) -> Result<Option<Option<ZSetValue>>, ()> {
    match v {
        None => Ok(None),
        Some(ValueRef::ZSet(_)) => Ok(Some(None)),
        Some(ValueRef::Set(s)) => Ok(Some(Some(set_as_zset(s, limits)))),
        Some(_) => Err(()),
    }
}

fn aggregate(target: &mut f64, val: f64, how: Aggregate) {
    match how {
        Aggregate::Sum => {
            *target += val;
            if target.is_nan() {
                *target = 0.0;
            }
        }
        Aggregate::Min => {
            if val < *target {
                *target = val
            }
        }
        Aggregate::Max => {
            if val > *target {
                *target = val
            }
        }
    }
}

fn weighted(score: f64, weight: f64) -> f64 {
    let s = score * weight;
    if s.is_nan() { 0.0 } else { s }
}

/// The result of the op, sorted by (score, member); for ZINTERCARD only its size
/// (capped by a non-zero `limit`) matters.
fn compute<'a>(cmd: Cmd, srcs: &[Option<&'a ZSetValue>], o: &Options) -> Vec<(&'a [u8], f64)> {
    let len = |i: usize| srcs[i].map_or(0, |z| z.len());
    let mut order: Vec<usize> = (0..srcs.len()).collect();
    if cmd.op != Op::Diff {
        order.sort_by_key(|&i| len(i));
    }
    let mut out: Vec<(&'a [u8], f64)> = Vec::new();
    match cmd.op {
        Op::Union => {
            let mut acc: HashMap<&'a [u8], usize> = HashMap::new();
            for &i in &order {
                let Some(z) = srcs[i] else { continue };
                z.walk(0, z.len(), false, |m, s| {
                    let score = weighted(s, o.weights[i]);
                    match acc.get(m) {
                        Some(&at) => aggregate(&mut out[at].1, score, o.aggregate),
                        None => {
                            acc.insert(m, out.len());
                            out.push((m, score));
                        }
                    }
                    true
                });
            }
        }
        Op::Inter => {
            let first = order[0];
            let Some(z0) = srcs[first] else {
                return out;
            };
            if order.iter().any(|&i| srcs[i].is_none()) {
                return out;
            }
            z0.walk(0, z0.len(), false, |m, s| {
                let mut score = weighted(s, o.weights[first]);
                for &j in &order[1..] {
                    match srcs[j].and_then(|z| z.score(m)) {
                        Some(v) => aggregate(&mut score, weighted(v, o.weights[j]), o.aggregate),
                        None => return true,
                    }
                }
                out.push((m, score));
                !(cmd.card && o.limit > 0 && out.len() >= o.limit)
            });
        }
        Op::Diff => {
            let Some(z0) = srcs[0] else {
                return out;
            };
            z0.walk(0, z0.len(), false, |m, s| {
                if !srcs[1..]
                    .iter()
                    .any(|z| z.is_some_and(|z| z.score(m).is_some()))
                {
                    out.push((m, s));
                }
                true
            });
        }
    }
    if !cmd.card {
        out.sort_by(|a, b| key_cmp(a.1, a.0, b.1, b.0));
    }
    out
}

/// Replies (or, for *STORE, returns the pairs to store) once the sources are known.
fn finish(cmd: Cmd, result: &[(&[u8], f64)], o: &Options, r: &mut Reply) {
    if cmd.card {
        return r.int(result.len() as i64);
    }
    reply_pairs_header(r, result.len(), o.withscores);
    for (m, s) in result {
        reply_pair(r, m, *s, o.withscores);
    }
}

fn owned(result: &[(&[u8], f64)]) -> Vec<(Vec<u8>, f64)> {
    result.iter().map(|(m, s)| (m.to_vec(), *s)).collect()
}

fn run_single(ctx: &mut ShardCtx, args: Args, r: &mut Reply, cmd: Cmd) {
    let Some((first, n)) = parse_keys(args, cmd, r) else {
        return;
    };
    let lim = super::limits(ctx);
    let mut converted: Vec<Option<ZSetValue>> = Vec::with_capacity(n);
    for k in args.iter().skip(first).take(n) {
        let v = ctx.lookup_read(k).map(|e| e.value());
        match source_of(v, lim) {
            Ok(c) => converted.push(c.flatten()),
            Err(()) => return r.error(errors::WRONGTYPE),
        }
    }
    let o = match parse_options(args, cmd, first, n) {
        Ok(o) => o,
        Err(e) => return r.error(e),
    };
    let pairs = {
        let table = &ctx.shard.dbs[ctx.db].table;
        let srcs: Vec<Option<&ZSetValue>> = args
            .iter()
            .skip(first)
            .take(n)
            .zip(&converted)
            .map(|(k, c)| match c {
                Some(z) => Some(z),
                None => match table.get(k).map(|e| e.value()) {
                    Some(ValueRef::ZSet(z)) => Some(z),
                    _ => None,
                },
            })
            .collect();
        let result = compute(cmd, &srcs, &o);
        if !cmd.store {
            return finish(cmd, &result, &o, r);
        }
        owned(&result)
    };
    let stored = store(ctx, &args[1], &pairs);
    r.int(stored as i64);
}

/// One source as snapshotted by a read hop: Err for a wrong type.
type Snapshot = Result<Option<ZSetValue>, ()>;

fn snapshot(sctx: &mut ShardCtx, keys: &ArgsBuf) -> Vec<Snapshot> {
    let lim = super::limits(sctx);
    keys.as_args()
        .iter()
        .map(|k| {
            let v = sctx.lookup_read(k).map(|e| e.value());
            match source_of(v, lim)? {
                None => Ok(None),
                Some(Some(converted)) => Ok(Some(converted)),
                Some(None) => match v {
                    Some(ValueRef::ZSet(z)) => Ok(Some(z.clone())),
                    _ => Ok(None),
                },
            }
        })
        .collect()
}

fn run_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf, cmd: Cmd) -> CoordFuture<'a> {
    Box::pin(async move {
        let all = args.as_args();
        let (first, n) = {
            let mut sink = Vec::new();
            let mut probe = Reply::new(&mut sink, ctx.resp);
            match parse_keys(all, cmd, &mut probe) {
                Some(x) => x,
                None => {
                    ctx.out.extend_from_slice(&sink);
                    return;
                }
            }
        };
        let db = ctx.db;
        let parts = split_by_shard(ctx, args.slice(first, first + n), 0, 1);
        let mut locks = part_locks(db, &parts, 1, LockMode::Shared);
        let dest = cmd.store.then(|| all[1].to_vec());
        if let Some(d) = &dest {
            add_exclusive(&mut locks, ctx.shard_of(d), db, d);
        }
        let mut tx = ctx.shards.schedule(locks).await;
        let mut cells = Vec::with_capacity(parts.len());
        for p in &parts {
            let keys = p.args.clone();
            let cell = tx
                .send_hop(p.shard, false, move |s| {
                    snapshot(
                        &mut ShardCtx {
                            shard: s,
                            db,
                            now_ms: now_ms(),
                        },
                        &keys,
                    )
                })
                .await;
            cells.push(cell);
        }
        let mut values: Vec<Option<ZSetValue>> = (0..n).map(|_| None).collect();
        let mut wrong_type = false;
        for (p, cell) in parts.iter().zip(cells) {
            for (pos, v) in p.positions.iter().zip(cell.wait().await) {
                match v {
                    Ok(v) => values[*pos] = v,
                    Err(()) => wrong_type = true,
                }
            }
        }
        if wrong_type {
            tx.conclude().await;
            return ctx.reply().error(errors::WRONGTYPE);
        }
        let o = match parse_options(all, cmd, first, n) {
            Ok(o) => o,
            Err(e) => {
                tx.conclude().await;
                return ctx.reply().error(e);
            }
        };
        let srcs: Vec<Option<&ZSetValue>> = values.iter().map(|v| v.as_ref()).collect();
        let result = compute(cmd, &srcs, &o);
        let Some(dest) = dest else {
            tx.conclude().await;
            return finish(cmd, &result, &o, &mut ctx.reply());
        };
        let pairs = owned(&result);
        drop(result);
        let shard = ctx.shard_of(&dest);
        let stored = tx
            .hop(shard, true, move |s| {
                store(
                    &mut ShardCtx {
                        shard: s,
                        db,
                        now_ms: now_ms(),
                    },
                    &dest,
                    &pairs,
                )
            })
            .await;
        tx.conclude().await;
        ctx.reply().int(stored as i64);
    })
}

macro_rules! setop_commands {
    ($($single:ident, $spread:ident, $op:expr, $store:expr, $card:expr, $name:literal;)*) => {$(
        pub(super) fn $single(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
            run_single(ctx, args, r, Cmd { op: $op, store: $store, card: $card, name: $name })
        }
        pub(super) fn $spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
            run_spread(ctx, args, Cmd { op: $op, store: $store, card: $card, name: $name })
        }
    )*};
}

setop_commands! {
    zunion, zunion_spread, Op::Union, false, false, "zunion";
    zinter, zinter_spread, Op::Inter, false, false, "zinter";
    zdiff, zdiff_spread, Op::Diff, false, false, "zdiff";
    zunionstore, zunionstore_spread, Op::Union, true, false, "zunionstore";
    zinterstore, zinterstore_spread, Op::Inter, true, false, "zinterstore";
    zdiffstore, zdiffstore_spread, Op::Diff, true, false, "zdiffstore";
    zintercard, zintercard_spread, Op::Inter, false, true, "zintercard";
}
