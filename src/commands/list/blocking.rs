//! BLPOP, BRPOP, BLMPOP, BLMOVE and BRPOPLPUSH. Each first runs as its non-blocking
//! form (atomically over all its keys, across shards if need be); when that finds
//! nothing (and the connection may block: not inside MULTI or a script) the connection
//! blocks on the keys through [`ConnCtx::block`] with this family's [`BlockOps`]: the
//! shard holding a key that becomes ready pops for the client right after the write
//! that filled it. BLMOVE whose destination lives on another shard is not served on the
//! source's shard: the connection is woken and runs LMOVE as a cross-shard transaction,
//! blocking again if another client got there first.

use super::End;
use super::moves::{
    Moved, Probe, Shape, list_ready, lmove_any, lmove_local, move_ends, parse_mpop, pop_reply,
    probe,
};
use crate::commands::context::parse_timeout_ms;
use crate::commands::{ConnCtx, CoordFuture};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::shard::blocking::{BlockOps, Readiness};
use crate::shard::tx::{LockMode, LockSet};

fn serve_blpop(ctx: &mut ShardCtx, key: &[u8], _args: Args, r: &mut Reply) {
    pop_reply(ctx, key, End::Left, Shape::One, r);
}

fn serve_brpop(ctx: &mut ShardCtx, key: &[u8], _args: Args, r: &mut Reply) {
    pop_reply(ctx, key, End::Right, Shape::One, r);
}

fn serve_blmpop(ctx: &mut ShardCtx, key: &[u8], args: Args, r: &mut Reply) {
    match parse_mpop(args, 2) {
        Ok(m) => pop_reply(ctx, key, m.end, Shape::Many(m.count), r),
        Err(e) => r.error(e),
    }
}

const BLPOP_OPS: BlockOps = BlockOps {
    ready: list_ready,
    serve: serve_blpop,
};
const BRPOP_OPS: BlockOps = BlockOps {
    ready: list_ready,
    serve: serve_brpop,
};
const BLMPOP_OPS: BlockOps = BlockOps {
    ready: list_ready,
    serve: serve_blmpop,
};

/// BLMOVE's source can serve when it holds a list and the destination is a key of the
/// same shard that no queued transaction holds; otherwise the connection re-runs it.
fn blmove_ready(ctx: &mut ShardCtx, key: &[u8], args: Args) -> Readiness {
    match probe(ctx, key) {
        Probe::Missing => return Readiness::NotReady,
        Probe::WrongType => return Readiness::WrongType,
        Probe::List => {}
    }
    let dst = &args[2];
    let shard = &ctx.shard;
    if crate::util::slot::key_shard(dst, shard.shards_count) != shard.index {
        return Readiness::Retry;
    }
    if !shard.txq.is_idle() {
        let mut locks = LockSet::default();
        locks.add_key(ctx.db, dst, LockMode::Exclusive);
        if shard.txq.conflicts(&locks) {
            return Readiness::Retry;
        }
    }
    Readiness::Ready
}

fn serve_blmove(ctx: &mut ShardCtx, key: &[u8], args: Args, r: &mut Reply) {
    let Some((from, to)) = move_ends(args) else {
        return r.error(errors::SYNTAX);
    };
    if lmove_local(ctx, key, &args[2], from, to, r) == Moved::SourceEmpty {
        r.null_array();
    }
}

const BLMOVE_OPS: BlockOps = BlockOps {
    ready: blmove_ready,
    serve: serve_blmove,
};

pub(super) fn blpop<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(ctx.serve_or_block_keys_then_timeout(args, BLPOP_OPS))
}

pub(super) fn brpop<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(ctx.serve_or_block_keys_then_timeout(args, BRPOP_OPS))
}

pub(super) fn blmpop<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        let m = match parse_mpop(a, 2) {
            Ok(m) => m,
            Err(e) => return ctx.reply().error(e),
        };
        let timeout = match parse_timeout_ms(&a[1]) {
            Ok(t) => t,
            Err(e) => return ctx.reply().error(e),
        };
        let keys = m.keys.clone().map(|i| a[i].to_vec()).collect();
        ctx.serve_or_block(args, keys, BLMPOP_OPS, timeout).await;
    })
}

/// BLMOVE and BRPOPLPUSH.
pub(super) fn blmove<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        let Some((from, to)) = move_ends(a) else {
            return ctx.reply().error(errors::SYNTAX);
        };
        let timeout = match parse_timeout_ms(&a[a.len() - 1]) {
            Ok(t) => t,
            Err(e) => return ctx.reply().error(e),
        };
        let (src, dst) = (a[1].to_vec(), a[2].to_vec());
        let (moved, out) = lmove_any(ctx, src.clone(), dst, from, to).await;
        ctx.out.extend_from_slice(&out);
        if moved == Moved::SourceEmpty {
            if ctx.deny_blocking {
                ctx.reply().null();
            } else {
                ctx.block(args, std::iter::once(src), BLMOVE_OPS, timeout)
                    .await;
            }
        }
    })
}
