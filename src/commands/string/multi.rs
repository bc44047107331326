//! MGET, MSET and MSETNX: one shard runs them whole when all keys are its own;
//! otherwise a coordinator splits the keys by shard and runs the parts as one
//! cross-shard transaction, so no client sees half of one.

use super::reply_value;
use crate::commands::ConnCtx;
use crate::commands::CoordFuture;
use crate::commands::multikey::{ShardPart, part_locks, run_parts, split_by_shard};
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::shard::tx::LockMode;
use crate::storage::Value;

pub(super) fn mget(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    r.array(args.len() - 1);
    for key in args.skip(1) {
        mget_one(ctx, key, r);
    }
}

fn mget_one(ctx: &mut ShardCtx, key: &[u8], r: &mut Reply) {
    match ctx.lookup_read(key) {
        Some(e) if e.value().is_string() => reply_value(r, e.value()),
        _ => r.null(),
    }
}

pub(super) fn mget_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let parts = split_by_shard(ctx, args.as_args(), 1, 1);
        let results = run_parts(ctx, parts, 1, LockMode::Shared, |sctx, part| {
            // Each shard encodes its values; the coordinator reorders them.
            let mut out = Vec::new();
            let mut ends = Vec::new();
            for key in part.as_args().iter() {
                mget_one(
                    sctx,
                    key,
                    &mut Reply::new(&mut out, crate::protocol::reply::RespVersion::Resp2),
                );
                ends.push(out.len());
            }
            (out, ends)
        })
        .await;
        let total = args.arg_count() - 1;
        let mut slots: Vec<&[u8]> = vec![&[]; total];
        for (part, (out, ends)) in &results {
            let mut from = 0;
            for (i, &pos) in part.positions.iter().enumerate() {
                slots[pos] = &out[from..ends[i]];
                from = ends[i];
            }
        }
        let resp3 = ctx.resp == crate::protocol::reply::RespVersion::Resp3;
        let mut r = ctx.reply();
        r.array(total);
        for s in slots {
            // Values were encoded as RESP2; only the null differs in RESP3.
            if resp3 && s == b"$-1\r\n" {
                r.null();
            } else {
                r.raw(s);
            }
        }
    })
}

pub(super) fn mset(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if args.len().is_multiple_of(2) {
        return crate::errors::wrong_arity(r, "mset");
    }
    mset_pairs(ctx, args.skip(1));
    r.ok();
}

/// Sets every pair; each counts as a change (Redis: MSET adds its pair count).
fn mset_pairs<'a>(ctx: &mut ShardCtx, mut pairs: impl Iterator<Item = &'a [u8]>) {
    let mut set = 0;
    while let (Some(k), Some(v)) = (pairs.next(), pairs.next()) {
        ctx.set_value(k, Value::from_bytes(v), 0, false);
        set += 1;
    }
    ctx.dirty(set);
}

pub(super) fn mset_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        if args.arg_count().is_multiple_of(2) {
            return crate::errors::wrong_arity(&mut ctx.reply(), "mset");
        }
        let parts = split_by_shard(ctx, args.as_args(), 1, 2);
        run_parts(ctx, parts, 2, LockMode::Exclusive, |sctx, part| {
            mset_pairs(sctx, part.as_args().iter())
        })
        .await;
        ctx.reply().ok();
    })
}

pub(super) fn msetnx(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if args.len().is_multiple_of(2) {
        return crate::errors::wrong_arity(r, "msetnx");
    }
    let any_exists = args.skip(1).step_by(2).any(|k| ctx.exists(k));
    if any_exists {
        return r.int(0);
    }
    mset_pairs(ctx, args.skip(1));
    r.int(1);
}

pub(super) fn msetnx_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        if args.arg_count().is_multiple_of(2) {
            return crate::errors::wrong_arity(&mut ctx.reply(), "msetnx");
        }
        let parts: Vec<ShardPart> = split_by_shard(ctx, args.as_args(), 1, 2);
        let db = ctx.db;
        let locks = part_locks(db, &parts, 2, LockMode::Exclusive);
        let mut tx = ctx.shards.schedule(locks).await;
        // Hop 1: does any key exist? (locks held); hop 2: write everywhere or nowhere.
        let mut cells = Vec::new();
        for p in &parts {
            let keys = p.args.clone();
            cells.push(
                tx.send_hop(p.shard, false, move |s| {
                    let mut sctx = ShardCtx {
                        shard: s,
                        db,
                        now_ms: crate::shard::now_ms(),
                    };
                    keys.as_args().iter().step_by(2).any(|k| sctx.exists(k))
                })
                .await,
            );
        }
        let mut any = false;
        for c in cells {
            any |= c.wait().await;
        }
        if any {
            tx.conclude().await;
            return ctx.reply().int(0);
        }
        let mut cells = Vec::new();
        for p in parts {
            let pairs = p.args;
            cells.push(
                tx.send_hop(p.shard, true, move |s| {
                    let mut sctx = ShardCtx {
                        shard: s,
                        db,
                        now_ms: crate::shard::now_ms(),
                    };
                    mset_pairs(&mut sctx, pairs.as_args().iter());
                })
                .await,
            );
        }
        for c in cells {
            c.wait().await;
        }
        tx.conclude().await;
        // The shards counted the pairs they set.
        ctx.dirty(0);
        ctx.reply().int(1);
    })
}
