//! BZPOPMIN, BZPOPMAX and BZMPOP: the blocking forms of ZPOPMIN/ZPOPMAX/ZMPOP, on the
//! blocking machinery of `shard::blocking`. Each first tries all its keys atomically
//! (across shards if need be); when every key is missing or empty, the connection blocks
//! and the shard of the first key to get members pops for it right after that write.

use super::pop::{PopShape, parse_mpop, pop_reply};
use crate::commands::context::parse_timeout_ms;
use crate::commands::{ConnCtx, CoordFuture};
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::shard::blocking::{BlockOps, Readiness};
use crate::storage::ValueRef;

/// A key can serve a waiter when it holds a non-empty sorted set. Looks without
/// touching anything (no access-clock refresh, no hit/miss count).
fn zset_ready(ctx: &mut ShardCtx, key: &[u8], _args: Args) -> Readiness {
    if !ctx.exists(key) {
        return Readiness::NotReady;
    }
    match ctx.shard.dbs[ctx.db].table.get(key).map(|e| e.value()) {
        Some(ValueRef::ZSet(z)) if !z.is_empty() => Readiness::Ready,
        Some(ValueRef::ZSet(_)) | None => Readiness::NotReady,
        Some(_) => Readiness::WrongType,
    }
}

fn serve_bzpopmin(ctx: &mut ShardCtx, key: &[u8], _args: Args, r: &mut Reply) {
    pop_reply(ctx, key, false, 1, PopShape::KeyMemberScore, r);
}

fn serve_bzpopmax(ctx: &mut ShardCtx, key: &[u8], _args: Args, r: &mut Reply) {
    pop_reply(ctx, key, true, 1, PopShape::KeyMemberScore, r);
}

fn serve_bzmpop(ctx: &mut ShardCtx, key: &[u8], args: Args, r: &mut Reply) {
    if let Some(m) = parse_mpop(args, 2, r) {
        pop_reply(ctx, key, m.max, m.count, PopShape::WithKey, r);
    }
}

const BZPOPMIN_OPS: BlockOps = BlockOps {
    ready: zset_ready,
    serve: serve_bzpopmin,
};
const BZPOPMAX_OPS: BlockOps = BlockOps {
    ready: zset_ready,
    serve: serve_bzpopmax,
};
const BZMPOP_OPS: BlockOps = BlockOps {
    ready: zset_ready,
    serve: serve_bzmpop,
};

pub(super) fn bzpopmin<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(ctx.serve_or_block_keys_then_timeout(args, BZPOPMIN_OPS))
}

pub(super) fn bzpopmax<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(ctx.serve_or_block_keys_then_timeout(args, BZPOPMAX_OPS))
}

/// BZMPOP timeout numkeys key [key ...] MIN|MAX [COUNT count]: the arguments are
/// checked before the timeout, as Redis does.
pub(super) fn bzmpop<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        let Some(m) = parse_mpop(a, 2, &mut ctx.reply()) else {
            return;
        };
        let timeout = match parse_timeout_ms(&a[1]) {
            Ok(t) => t,
            Err(e) => return ctx.reply().error(e),
        };
        let keys = (3..3 + m.numkeys).map(|i| a[i].to_vec()).collect();
        ctx.serve_or_block(args, keys, BZMPOP_OPS, timeout).await;
    })
}
