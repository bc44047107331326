//! LMOVE, RPOPLPUSH and LMPOP, and the pieces the blocking forms reuse. Keys on one
//! shard run there as one command; keys on several shards run as one cross-shard
//! transaction (every key locked exclusively), so nobody sees an element in both lists
//! or in neither: the source shard pops, the destination shard pushes, and waiters on
//! the destination are woken only when the transaction concludes.

use super::{End, list_or_create, parse_end, pick};
use crate::commands::ConnCtx;
use crate::commands::typed::{self, Replied};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::blocking::{BlockOps, Readiness};
use crate::shard::tx::{LockMode, LockSet};
use crate::shard::{Shard, ShardCtx, now_ms};
use crate::storage::{Value, ValueRef};
use crate::util::num::parse_i64;

fn shard_ctx(shard: &mut Shard, db: usize) -> ShardCtx<'_> {
    ShardCtx {
        shard,
        db,
        now_ms: now_ms(),
    }
}

// ---- LMOVE / RPOPLPUSH ------------------------------------------------------------------

/// What an LMOVE did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Moved {
    /// Moved one element (replied with it).
    Yes,
    /// The source is missing (nothing replied).
    SourceEmpty,
    /// Replied with an error (WRONGTYPE).
    Failed,
}

/// LMOVE with both keys on this shard. Redis order: the source's type first, then (only
/// when it has data) the destination's.
pub(super) fn lmove_local(
    ctx: &mut ShardCtx,
    src: &[u8],
    dst: &[u8],
    from: End,
    to: End,
    r: &mut Reply,
) -> Moved {
    match typed::write(ctx, src, r, pick) {
        Err(Replied) => return Moved::Failed,
        Ok(None) => return Moved::SourceEmpty,
        Ok(Some(_)) => {}
    }
    if src == dst {
        let list = match typed::write(ctx, src, r, pick) {
            Ok(Some(l)) => l,
            _ => return Moved::Failed,
        };
        let v = list.pop(from).expect("stored lists are never empty");
        list.push(to, &v);
        r.bulk(&v);
        ctx.signal_ready(dst);
        return Moved::Yes;
    }
    if typed::write(ctx, dst, r, pick).is_err() {
        return Moved::Failed;
    }
    let Ok(Some(list)) = typed::write(ctx, src, r, pick) else {
        return Moved::Failed;
    };
    let v = list.pop(from).expect("stored lists are never empty");
    let empty = list.is_empty();
    typed::remove_if_empty(ctx, src, empty);
    push_landed(ctx, dst, to, &v);
    r.bulk(&v);
    Moved::Yes
}

/// Pushes a moved element onto `dst` (a list or missing: checked before the pop).
fn push_landed(ctx: &mut ShardCtx, dst: &[u8], to: End, v: &[u8]) {
    let mut sink = Vec::new();
    let mut r = Reply::new(&mut sink, crate::protocol::reply::RespVersion::Resp2);
    if let Ok(list) = list_or_create(ctx, dst, &mut r) {
        list.push(to, v);
    }
    ctx.signal_ready(dst);
}

/// The (from, to) ends of LMOVE / BLMOVE (`args[3]`, `args[4]`), or of RPOPLPUSH /
/// BRPOPLPUSH (right to left).
pub(super) fn move_ends(args: Args) -> Option<(End, End)> {
    let name = &args[0];
    if name.eq_ignore_ascii_case(b"RPOPLPUSH") || name.eq_ignore_ascii_case(b"BRPOPLPUSH") {
        return Some((End::Right, End::Left));
    }
    Some((parse_end(&args[3])?, parse_end(&args[4])?))
}

fn lmove(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some((from, to)) = move_ends(args) else {
        return r.error(errors::SYNTAX);
    };
    if lmove_local(ctx, &args[1], &args[2], from, to, r) == Moved::SourceEmpty {
        r.null();
    }
}

/// Probe of a key in a cross-shard transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Probe {
    Missing,
    List,
    WrongType,
}

pub(super) fn probe(ctx: &mut ShardCtx, key: &[u8]) -> Probe {
    match ctx.lookup_write(key) {
        None => Probe::Missing,
        Some(e) if matches!(e.value(), ValueRef::List(_)) => Probe::List,
        Some(_) => Probe::WrongType,
    }
}

/// LMOVE between any two keys, atomically; returns the outcome and the reply bytes.
pub(super) async fn lmove_any(
    ctx: &ConnCtx,
    src: Vec<u8>,
    dst: Vec<u8>,
    from: End,
    to: End,
) -> (Moved, Vec<u8>) {
    let (db, resp) = (ctx.db, ctx.resp);
    let (a, b) = (ctx.shard_of(&src), ctx.shard_of(&dst));
    if a == b {
        let mut locks = LockSet::default();
        locks.add_key(db, &src, LockMode::Exclusive);
        locks.add_key(db, &dst, LockMode::Exclusive);
        return ctx
            .run_locked(a, locks, move |s| {
                let mut out = Vec::new();
                let moved = lmove_local(
                    &mut shard_ctx(s, db),
                    &src,
                    &dst,
                    from,
                    to,
                    &mut Reply::new(&mut out, resp),
                );
                (moved, out)
            })
            .await;
    }
    let mut src_lock = LockSet::default();
    src_lock.add_key(db, &src, LockMode::Exclusive);
    let mut dst_lock = LockSet::default();
    dst_lock.add_key(db, &dst, LockMode::Exclusive);
    let mut tx = ctx
        .shards
        .schedule(vec![(a, src_lock), (b, dst_lock)])
        .await;
    let s = src.clone();
    let src_cell = tx
        .send_hop(a, false, move |sh| probe(&mut shard_ctx(sh, db), &s))
        .await;
    let d = dst.clone();
    let dst_cell = tx
        .send_hop(b, false, move |sh| probe(&mut shard_ctx(sh, db), &d))
        .await;
    let (src_probe, dst_probe) = (src_cell.wait().await, dst_cell.wait().await);
    let mut out = Vec::new();
    let outcome = match (src_probe, dst_probe) {
        (Probe::Missing, _) => Moved::SourceEmpty,
        (Probe::WrongType, _) | (Probe::List, Probe::WrongType) => {
            Reply::new(&mut out, resp).error(errors::WRONGTYPE);
            Moved::Failed
        }
        (Probe::List, _) => {
            let s = src.clone();
            let value = tx
                .hop(a, true, move |sh| {
                    let mut ctx = shard_ctx(sh, db);
                    let Some(Value::List(list)) = ctx.lookup_write(&s).and_then(|e| e.value_mut())
                    else {
                        return None;
                    };
                    let v = list.pop(from);
                    let empty = list.is_empty();
                    typed::remove_if_empty(&mut ctx, &s, empty);
                    v
                })
                .await;
            match value {
                Some(v) => {
                    Reply::new(&mut out, resp).bulk(&v);
                    tx.hop(b, true, move |sh| {
                        push_landed(&mut shard_ctx(sh, db), &dst, to, &v)
                    })
                    .await;
                    Moved::Yes
                }
                None => Moved::SourceEmpty,
            }
        }
    };
    tx.conclude().await;
    (outcome, out)
}

fn lmove_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> crate::commands::CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        let Some((from, to)) = move_ends(a) else {
            return ctx.reply().error(errors::SYNTAX);
        };
        let (moved, out) = lmove_any(ctx, a[1].to_vec(), a[2].to_vec(), from, to).await;
        ctx.out.extend_from_slice(&out);
        if moved == Moved::SourceEmpty {
            ctx.reply().null();
        }
    })
}

pub(super) const LMOVE_RUN: crate::commands::Run = crate::commands::Run::MultiKey {
    single: lmove,
    spread: lmove_spread,
};

// ---- LMPOP ------------------------------------------------------------------------------

/// How a pop from the first non-empty key replies.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Shape {
    /// BLPOP / BRPOP: `[key, element]`.
    One,
    /// LMPOP / BLMPOP: `[key, [elements...]]` with up to this many.
    Many(usize),
}

/// A parsed LMPOP / BLMPOP: where the keys are, which end, how many.
pub(super) struct Mpop {
    pub keys: std::ops::Range<usize>,
    pub end: End,
    pub count: usize,
}

/// Parses `numkeys key... LEFT|RIGHT [COUNT n]` with the count at `numkeys_at`, in
/// Redis's order and with its errors.
pub(super) fn parse_mpop(args: Args, numkeys_at: usize) -> Result<Mpop, &'static str> {
    let numkeys = parse_i64(&args[numkeys_at])
        .filter(|&n| n >= 1)
        .ok_or(errors::NUMKEYS_NOT_POSITIVE)?;
    let where_at = (numkeys_at as i64 + 1).saturating_add(numkeys);
    if where_at >= args.len() as i64 {
        return Err(errors::SYNTAX);
    }
    let where_at = where_at as usize;
    let end = parse_end(&args[where_at]).ok_or(errors::SYNTAX)?;
    let mut count = None;
    let mut j = where_at + 1;
    while j < args.len() {
        if count.is_none() && args[j].eq_ignore_ascii_case(b"COUNT") && j + 1 < args.len() {
            j += 1;
            let n = parse_i64(&args[j])
                .filter(|&n| n >= 1)
                .ok_or(errors::COUNT_NOT_POSITIVE)?;
            count = Some(n as usize);
        } else {
            return Err(errors::SYNTAX);
        }
        j += 1;
    }
    Ok(Mpop {
        keys: numkeys_at + 1..where_at,
        end,
        count: count.unwrap_or(1),
    })
}

/// Pops from `key` (a non-empty list) and replies in `shape`.
pub(super) fn pop_reply(ctx: &mut ShardCtx, key: &[u8], end: End, shape: Shape, r: &mut Reply) {
    let Some(Value::List(list)) = ctx.lookup_write(key).and_then(|e| e.value_mut()) else {
        return r.null_array();
    };
    r.array(2);
    r.bulk(key);
    match shape {
        Shape::One => super::pop_into(list, end, r),
        Shape::Many(count) => {
            let n = count.min(list.len());
            r.array(n);
            for _ in 0..n {
                super::pop_into(list, end, r);
            }
        }
    }
    let empty = list.is_empty();
    typed::remove_if_empty(ctx, key, empty);
}

/// Pops from the first key (in order) that exists: replies WRONGTYPE if it is not a
/// list. False when every key is missing (nothing replied).
pub(super) fn pop_first_local<'k>(
    ctx: &mut ShardCtx,
    keys: impl Iterator<Item = &'k [u8]>,
    end: End,
    shape: Shape,
    r: &mut Reply,
) -> bool {
    for key in keys {
        match probe(ctx, key) {
            Probe::Missing => continue,
            Probe::WrongType => {
                r.error(errors::WRONGTYPE);
                return true;
            }
            Probe::List => {
                pop_reply(ctx, key, end, shape, r);
                return true;
            }
        }
    }
    false
}

fn lmpop(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let m = match parse_mpop(args, 1) {
        Ok(m) => m,
        Err(e) => return r.error(e),
    };
    let keys = m.keys.clone().map(|i| &args[i]);
    if !pop_first_local(ctx, keys, m.end, Shape::Many(m.count), r) {
        r.null_array();
    }
}

/// A key can serve a pop when it holds a list (stored lists are never empty).
pub(super) fn list_ready(ctx: &mut ShardCtx, key: &[u8], _args: Args) -> Readiness {
    match probe(ctx, key) {
        Probe::Missing => Readiness::NotReady,
        Probe::WrongType => Readiness::WrongType,
        Probe::List => Readiness::Ready,
    }
}

/// LMPOP from one key (numkeys at 1), for the cross-shard attempt.
fn serve_lmpop(ctx: &mut ShardCtx, key: &[u8], args: Args, r: &mut Reply) {
    match parse_mpop(args, 1) {
        Ok(m) => pop_reply(ctx, key, m.end, Shape::Many(m.count), r),
        Err(e) => r.error(e),
    }
}

const LMPOP_OPS: BlockOps = BlockOps {
    ready: list_ready,
    serve: serve_lmpop,
};

fn lmpop_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> crate::commands::CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        let m = match parse_mpop(a, 1) {
            Ok(m) => m,
            Err(e) => return ctx.reply().error(e),
        };
        let keys: Vec<Vec<u8>> = m.keys.clone().map(|i| a[i].to_vec()).collect();
        match ctx.serve_first_ready(args, &keys, LMPOP_OPS).await {
            Some(out) => ctx.out.extend_from_slice(&out),
            None => ctx.reply().null_array(),
        }
    })
}

pub(super) const LMPOP_RUN: crate::commands::Run = crate::commands::Run::MultiKey {
    single: lmpop,
    spread: lmpop_spread,
};
