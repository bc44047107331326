//! The set commands whose keys may span shards: SINTER, SINTERCARD, SINTERSTORE, SUNION,
//! SUNIONSTORE, SDIFF, SDIFFSTORE and SMOVE. Each has a single-shard handler (all keys
//! on one shard: read in place, compute, write) and a coordinator for keys spread over
//! shards: one transaction locks the sources shared and the destination exclusive, one
//! hop per shard copies the sources out, the coordinator computes, and (for *STORE) a
//! last hop writes the destination, so nobody sees half of one. Cross-shard SMOVE
//! checks the destination's type, removes on the source shard, then adds on the
//! destination shard, both keys locked throughout.

use super::super::keyspace::shard_ctx;
use super::super::multikey::{ShardPart, add_exclusive, part_locks, split_by_shard};
use super::super::typed::Replied;
use super::super::{ConnCtx, CoordFuture};
use super::{intset_max, reply_member, reply_set};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::shard::set::Tx;
use crate::shard::tx::{LockMode, LockSet};
use crate::storage::set::{SetValue, ops};
use crate::storage::{Value, ValueRef};
use crate::util::num::parse_i64;

#[derive(Clone, Copy)]
enum Op {
    Inter,
    Union,
    Diff,
}

// ---- reading sources --------------------------------------------------------------------

/// Looks every source up (lazy expiry; hit/miss stats unless `write`, as Redis's
/// lookupKeyRead / lookupKeyWrite), replying WRONGTYPE when one holds another type.
fn check_sources<'k>(
    ctx: &mut ShardCtx,
    keys: impl Iterator<Item = &'k [u8]>,
    write: bool,
    r: &mut Reply,
) -> Result<(), Replied> {
    for k in keys {
        let found = if write {
            ctx.lookup_write(k)
        } else {
            ctx.lookup_read(k)
        };
        if found.is_some_and(|e| !matches!(e.value(), ValueRef::Set(_))) {
            r.error(errors::WRONGTYPE);
            return Err(Replied);
        }
    }
    Ok(())
}

/// The sources as sets (None: missing), after [`check_sources`].
fn sources<'c, 'k>(
    ctx: &'c ShardCtx,
    keys: impl Iterator<Item = &'k [u8]>,
) -> Vec<Option<&'c SetValue>> {
    let table = &ctx.shard.dbs[ctx.db].table;
    keys.map(|k| {
        table.get(k).and_then(|e| match e.value() {
            ValueRef::Set(s) => Some(s),
            _ => None,
        })
    })
    .collect()
}

/// Copies of the sources held on one shard, or Err when one holds another type.
fn copy_part(
    ctx: &mut ShardCtx,
    keys: &ArgsBuf,
    write: bool,
) -> Result<Vec<Option<SetValue>>, Replied> {
    let mut sink = Vec::new();
    let keys = keys.as_args();
    check_sources(
        ctx,
        keys.iter(),
        write,
        &mut Reply::new(&mut sink, Default::default()),
    )?;
    Ok(sources(ctx, keys.iter())
        .into_iter()
        .map(|s| s.cloned())
        .collect())
}

/// Schedules one transaction over the sources' shards (shared) and `dest` (exclusive)
/// and copies every source out (None when a source held another type).
async fn read_sets<'a>(
    ctx: &'a ConnCtx,
    keys: Args<'_>,
    dest: Option<&[u8]>,
) -> (Tx<'a>, Option<Vec<Option<SetValue>>>) {
    let db = ctx.db;
    let parts: Vec<ShardPart> = split_by_shard(ctx, keys, 0, 1);
    let mut locks = part_locks(db, &parts, 1, LockMode::Shared);
    if let Some(dest) = dest {
        add_exclusive(&mut locks, ctx.shard_of(dest), db, dest);
    }
    let write = dest.is_some();
    let mut tx = ctx.shards.schedule(locks).await;
    let mut cells = Vec::with_capacity(parts.len());
    for p in &parts {
        let keys = p.args.clone();
        let cell = tx
            .send_hop(p.shard, false, move |s| {
                copy_part(&mut shard_ctx(s, db), &keys, write)
            })
            .await;
        cells.push(cell);
    }
    let mut sets: Vec<Option<SetValue>> = (0..keys.len()).map(|_| None).collect();
    let mut wrong_type = false;
    for (p, cell) in parts.iter().zip(cells) {
        match cell.wait().await {
            Ok(found) => {
                for (&pos, s) in p.positions.iter().zip(found) {
                    sets[pos] = s;
                }
            }
            Err(Replied) => wrong_type = true,
        }
    }
    (tx, (!wrong_type).then_some(sets))
}

// ---- SINTER, SUNION, SDIFF and their STORE forms ---------------------------------------

/// The result of `op` as a fresh set.
fn compute(op: Op, sets: &[Option<&SetValue>], intset_max: u64) -> SetValue {
    match op {
        Op::Inter => ops::inter(sets, intset_max),
        Op::Union => ops::union(sets, intset_max),
        Op::Diff => ops::diff(sets, intset_max),
    }
}

/// Replies the result of `op` as a set: the intersection in the order of the smallest
/// source (as Redis walks it), union and difference in the order of the fresh result.
fn reply_result(r: &mut Reply, op: Op, sets: &[Option<&SetValue>], intset_max: u64) {
    if let Op::Inter = op {
        let mut encoded = Vec::new();
        let mut count = 0;
        let mut out = Reply::new(&mut encoded, r.version());
        ops::inter_each(sets, |m| {
            reply_member(&mut out, m);
            count += 1;
            true
        });
        r.set(count);
        r.raw(&encoded);
    } else {
        reply_set(r, &compute(op, sets, intset_max));
    }
}

/// Stores a result at `dest` (an empty result deletes it); returns its size.
fn store(ctx: &mut ShardCtx, dest: &[u8], result: SetValue) -> i64 {
    let n = result.len() as i64;
    if n > 0 {
        ctx.set_value(dest, Value::Set(result), 0, false);
    } else {
        ctx.remove(dest);
    }
    n
}

fn algebra(ctx: &mut ShardCtx, args: Args, r: &mut Reply, op: Op, to_store: bool) {
    let first = if to_store { 2 } else { 1 };
    if check_sources(ctx, args.skip(first), to_store, r).is_err() {
        return;
    }
    let max = intset_max(ctx);
    let sets = sources(ctx, args.skip(first));
    if !to_store {
        return reply_result(r, op, &sets, max);
    }
    let result = compute(op, &sets, max);
    let n = store(ctx, &args[1], result);
    r.int(n);
}

async fn algebra_spread(ctx: &mut ConnCtx, args: &ArgsBuf, op: Op, to_store: bool) {
    let all = args.as_args();
    let first = if to_store { 2 } else { 1 };
    let dest = to_store.then(|| all[1].to_vec());
    let max = ctx.settings.encodings.set_max_intset_entries;
    let (db, dest_shard) = (ctx.db, dest.as_deref().map(|d| ctx.shard_of(d)));
    let (tx, sets) = read_sets(ctx, args.slice(first, all.len()), dest.as_deref()).await;
    let Some(sets) = sets else {
        tx.conclude().await;
        return ctx.reply().error(errors::WRONGTYPE);
    };
    let refs: Vec<Option<&SetValue>> = sets.iter().map(Option::as_ref).collect();
    match (dest, dest_shard) {
        (Some(dest), Some(shard)) => {
            let result = compute(op, &refs, max);
            let mut tx = tx;
            let n = tx
                .hop(shard, true, move |s| {
                    store(&mut shard_ctx(s, db), &dest, result)
                })
                .await;
            tx.conclude().await;
            ctx.reply().int(n);
        }
        _ => {
            tx.conclude().await;
            reply_result(&mut ctx.reply(), op, &refs, max);
        }
    }
}

pub(super) fn sinter(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    algebra(ctx, args, r, Op::Inter, false);
}

pub(super) fn sinterstore(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    algebra(ctx, args, r, Op::Inter, true);
}

pub(super) fn sunion(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    algebra(ctx, args, r, Op::Union, false);
}

pub(super) fn sunionstore(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    algebra(ctx, args, r, Op::Union, true);
}

pub(super) fn sdiff(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    algebra(ctx, args, r, Op::Diff, false);
}

pub(super) fn sdiffstore(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    algebra(ctx, args, r, Op::Diff, true);
}

pub(super) fn sinter_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(algebra_spread(ctx, args, Op::Inter, false))
}

pub(super) fn sinterstore_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(algebra_spread(ctx, args, Op::Inter, true))
}

pub(super) fn sunion_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(algebra_spread(ctx, args, Op::Union, false))
}

pub(super) fn sunionstore_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(algebra_spread(ctx, args, Op::Union, true))
}

pub(super) fn sdiff_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(algebra_spread(ctx, args, Op::Diff, false))
}

pub(super) fn sdiffstore_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(algebra_spread(ctx, args, Op::Diff, true))
}

// ---- SINTERCARD ---------------------------------------------------------------------------

/// SINTERCARD's key count and LIMIT (0: none), checked in Redis's order.
fn parse_sintercard(args: Args) -> Result<(usize, usize), &'static str> {
    let numkeys = parse_i64(&args[1])
        .filter(|&n| n >= 1)
        .ok_or(errors::NUMKEYS_NOT_POSITIVE)?;
    let numkeys = usize::try_from(numkeys).unwrap_or(usize::MAX);
    if numkeys > args.len() - 2 {
        return Err(errors::NUMKEYS_TOO_MANY);
    }
    let mut limit = 0;
    let mut i = 2 + numkeys;
    while i < args.len() {
        if args[i].eq_ignore_ascii_case(b"LIMIT") && i + 1 < args.len() {
            i += 1;
            let n = parse_i64(&args[i])
                .filter(|&n| n >= 0)
                .ok_or(errors::LIMIT_NEGATIVE)?;
            limit = usize::try_from(n).unwrap_or(usize::MAX);
        } else {
            return Err(errors::SYNTAX);
        }
        i += 1;
    }
    Ok((numkeys, limit))
}

pub(super) fn sintercard(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let (numkeys, limit) = match parse_sintercard(args) {
        Ok(parsed) => parsed,
        Err(e) => return r.error(e),
    };
    let keys = || args.skip(2).take(numkeys);
    if check_sources(ctx, keys(), false, r).is_err() {
        return;
    }
    let sets = sources(ctx, keys());
    r.int(ops::inter_card(&sets, limit) as i64);
}

pub(super) fn sintercard_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let (numkeys, limit) = match parse_sintercard(args.as_args()) {
            Ok(parsed) => parsed,
            Err(e) => return ctx.reply().error(e),
        };
        let (tx, sets) = read_sets(ctx, args.slice(2, 2 + numkeys), None).await;
        let Some(sets) = sets else {
            tx.conclude().await;
            return ctx.reply().error(errors::WRONGTYPE);
        };
        tx.conclude().await;
        let refs: Vec<Option<&SetValue>> = sets.iter().map(Option::as_ref).collect();
        ctx.reply().int(ops::inter_card(&refs, limit) as i64);
    })
}

// ---- SMOVE --------------------------------------------------------------------------------

/// What a key holds, for SMOVE's checks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Holds {
    Nothing,
    Set,
    Other,
}

fn holds(ctx: &mut ShardCtx, key: &[u8]) -> Holds {
    match ctx.lookup_write(key) {
        None => Holds::Nothing,
        Some(e) if matches!(e.value(), ValueRef::Set(_)) => Holds::Set,
        Some(_) => Holds::Other,
    }
}

fn set_at<'c>(ctx: &'c mut ShardCtx, key: &[u8]) -> Option<&'c mut SetValue> {
    match ctx.lookup_write(key) {
        Some(e) => match e.value_mut() {
            Some(Value::Set(s)) => Some(s),
            _ => None,
        },
        None => None,
    }
}

/// Removes `member` from the set at `key` (deleting it when emptied); true if it was there.
fn take_member(ctx: &mut ShardCtx, key: &[u8], member: &[u8]) -> bool {
    let Some(set) = set_at(ctx, key) else {
        return false;
    };
    let removed = set.remove(member);
    let empty = set.is_empty();
    super::typed::remove_if_empty(ctx, key, empty);
    removed
}

/// Adds `member` to the set at `key`, creating it when missing.
fn put_member(ctx: &mut ShardCtx, key: &[u8], member: &[u8]) {
    let max = intset_max(ctx);
    if set_at(ctx, key).is_none() {
        ctx.set_value(key, Value::Set(SetValue::new()), 0, false);
    }
    if let Some(set) = set_at(ctx, key) {
        set.add(member, max);
    }
}

/// What the source side of an SMOVE found.
enum Moved {
    Zero,
    WrongType,
    Removed,
}

/// The source side: Redis's order of checks (a missing source is 0 even when the
/// destination holds another type), then the removal.
fn smove_source(ctx: &mut ShardCtx, src: &[u8], member: &[u8], dest: Holds) -> Moved {
    match holds(ctx, src) {
        Holds::Nothing => Moved::Zero,
        Holds::Other => Moved::WrongType,
        Holds::Set if dest == Holds::Other => Moved::WrongType,
        Holds::Set if take_member(ctx, src, member) => Moved::Removed,
        Holds::Set => Moved::Zero,
    }
}

pub(super) fn smove(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let (src, dst, member) = (&args[1], &args[2], &args[3]);
    let dest = holds(ctx, dst);
    if src == dst {
        return match holds(ctx, src) {
            Holds::Nothing => r.int(0),
            Holds::Other => r.error(errors::WRONGTYPE),
            Holds::Set => r.int(set_at(ctx, src).is_some_and(|s| s.contains(member)) as i64),
        };
    }
    match smove_source(ctx, src, member, dest) {
        Moved::Zero => r.int(0),
        Moved::WrongType => r.error(errors::WRONGTYPE),
        Moved::Removed => {
            put_member(ctx, dst, member);
            r.int(1);
        }
    }
}

fn exclusive(db: usize, key: &[u8]) -> LockSet {
    let mut set = LockSet::default();
    set.add_key(db, key, LockMode::Exclusive);
    set
}

pub(super) fn smove_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        let (src, dst, member) = (a[1].to_vec(), a[2].to_vec(), a[3].to_vec());
        let (from, to, db) = (ctx.shard_of(&src), ctx.shard_of(&dst), ctx.db);
        let locks = vec![(from, exclusive(db, &src)), (to, exclusive(db, &dst))];
        let mut tx = ctx.shards.schedule(locks).await;
        let d = dst.clone();
        let dest = tx
            .hop(to, false, move |s| holds(&mut shard_ctx(s, db), &d))
            .await;
        let m = member.clone();
        let moved = tx
            .hop(from, true, move |s| {
                smove_source(&mut shard_ctx(s, db), &src, &m, dest)
            })
            .await;
        if let Moved::Removed = moved {
            tx.hop(to, true, move |s| {
                put_member(&mut shard_ctx(s, db), &dst, &member)
            })
            .await;
        }
        tx.conclude().await;
        let mut r = ctx.reply();
        match moved {
            Moved::Zero => r.int(0),
            Moved::WrongType => r.error(errors::WRONGTYPE),
            Moved::Removed => r.int(1),
        }
    })
}
