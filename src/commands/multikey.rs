//! Shared machinery for commands whose keys may span shards: split the keys by shard,
//! schedule one transaction over those shards, run one hop per shard in parallel, and
//! give the per-shard results back in shard order with the original key positions.

use crate::protocol::args::{Args, ArgsBuf};
use crate::shard::tx::{LockMode, LockSet};
use crate::shard::{Shard, ShardCtx, now_ms};

use super::ConnCtx;

/// The keys (and their companion arguments) that one shard gets.
pub struct ShardPart {
    pub shard: usize,
    /// The groups of arguments for this shard (`group` args each: key, or key value).
    pub args: ArgsBuf,
    /// For each group, its index among all groups of the command (to restore order).
    pub positions: Vec<usize>,
}

/// Splits `args[first..]` into groups of `group` arguments by the shard of each
/// group's first argument (the key).
pub fn split_by_shard(ctx: &ConnCtx, args: Args, first: usize, group: usize) -> Vec<ShardPart> {
    let count = ctx.shards.count();
    let mut parts: Vec<ShardPart> = Vec::new();
    let groups = (args.len() - first) / group;
    for g in 0..groups {
        let base = first + g * group;
        let shard = ctx.shard_of(&args[base]);
        let part = match parts.iter_mut().position(|p| p.shard == shard) {
            Some(i) => &mut parts[i],
            None => {
                parts.push(ShardPart {
                    shard,
                    args: ArgsBuf::new(),
                    positions: Vec::new(),
                });
                parts.last_mut().expect("just pushed")
            }
        };
        for j in 0..group {
            part.args.push(&args[base + j]);
        }
        part.positions.push(g);
    }
    debug_assert!(parts.iter().all(|p| p.shard < count));
    parts.sort_by_key(|p| p.shard);
    parts
}

/// The lock set per shard for the keys of `parts` (the first argument of each group of
/// `group`), all in `mode`.
pub fn part_locks(
    db: usize,
    parts: &[ShardPart],
    group: usize,
    mode: LockMode,
) -> Vec<(usize, LockSet)> {
    parts
        .iter()
        .map(|p| {
            let mut set = LockSet::default();
            for key in p.args.as_args().iter().step_by(group) {
                set.add_key(db, key, mode);
            }
            (p.shard, set)
        })
        .collect()
}

/// Adds an exclusive lock on `key` (a destination) to the shard's set, creating it.
pub fn add_exclusive(locks: &mut Vec<(usize, LockSet)>, shard: usize, db: usize, key: &[u8]) {
    match locks.iter_mut().find(|(s, _)| *s == shard) {
        Some((_, set)) => set.add_key(db, key, LockMode::Exclusive),
        None => {
            let mut set = LockSet::default();
            set.add_key(db, key, LockMode::Exclusive);
            locks.push((shard, set));
        }
    }
}

/// Runs `op` once per part inside one transaction that locks every key of the command
/// (`mode`), all shards in parallel, and returns the results in part order.
pub async fn run_parts<R: Send + 'static>(
    ctx: &ConnCtx,
    parts: Vec<ShardPart>,
    group: usize,
    mode: LockMode,
    op: fn(&mut ShardCtx, &ArgsBuf) -> R,
) -> Vec<(ShardPart, R)> {
    let db = ctx.db;
    let locks = part_locks(db, &parts, group, mode);
    let mut tx = ctx.shards.schedule(locks).await;
    let mut cells = Vec::with_capacity(parts.len());
    let mut homes = Vec::with_capacity(parts.len());
    for part in parts {
        let ShardPart {
            shard,
            args,
            positions,
        } = part;
        let cell = tx
            .send_hop(shard, true, move |s: &mut Shard| {
                let mut sctx = ShardCtx {
                    shard: s,
                    db,
                    now_ms: now_ms(),
                };
                sctx.shard.dirty_noted = false;
                let r = op(&mut sctx, &args);
                let noted = std::mem::take(&mut s.dirty_noted);
                (args, r, noted)
            })
            .await;
        cells.push(cell);
        homes.push((shard, positions));
    }
    let mut out = Vec::with_capacity(cells.len());
    for (cell, (shard, positions)) in cells.into_iter().zip(homes) {
        let (args, r, noted) = cell.wait().await;
        if noted {
            ctx.dirty_noted.set(true);
        }
        out.push((
            ShardPart {
                shard,
                args,
                positions,
            },
            r,
        ));
    }
    tx.conclude().await;
    out
}
