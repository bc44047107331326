//! Commands that move or duplicate a value: RENAME, RENAMENX, COPY, MOVE, SWAPDB.
//!
//! A key's shard depends only on the key, so RENAME and COPY between keys of different
//! shards are cross-shard transactions: both keys are locked (the source shared when it
//! is only read, exclusive when it is removed; the destination exclusive), the first hop
//! takes the value (and its deadline) off the source shard, the second stores it on the
//! destination shard. Nobody sees the value in both places or in neither, because the
//! destination stays locked until the value lands. MOVE and COPY ... DB name a second
//! database, so their locks cover (db, key) pairs that the dispatch gate does not know
//! about: they are coordinators that lock exactly what they touch. SWAPDB locks every
//! shard whole, like FLUSHALL.

use super::super::{BASE, CommandSpec, ConnCtx, CoordFuture, Run, acl, flags, keys};
use super::{parse_db_index, shard_ctx};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::set::Tx;
use crate::shard::tx::{LockMode, LockSet};
use crate::shard::{Shard, ShardCtx};
use crate::storage::{Entry, Value};
use crate::util::num::parse_i64;

// ---- command API ----------------------------------------------------------------------

/// A value on its way to another key: what the source held and its deadline (0: none).
struct Moving {
    value: Value,
    expire_at_ms: u64,
}

/// Stores `moving` at `key`, replacing whatever was there, keeping the deadline.
fn land(ctx: &mut ShardCtx, key: &[u8], moving: Moving) {
    let access = ctx.new_access_data();
    let entry = Entry::with_parts(key, moving.value, moving.expire_at_ms);
    ctx.db().table.insert_with_access(entry, access);
    // A list (or sorted set) landing here may serve clients blocked on the key, once
    // the transaction moving it concludes.
    ctx.signal_ready(key);
}

/// Removes a live key and returns its value and deadline.
fn take(ctx: &mut ShardCtx, key: &[u8]) -> Option<Moving> {
    ctx.remove(key).map(|e| Moving {
        expire_at_ms: e.expire_at_ms(),
        value: e.into_value(),
    })
}

/// A deep copy of a live key's value and its deadline (COPY reads like a GET).
fn duplicate(ctx: &mut ShardCtx, key: &[u8]) -> Option<Moving> {
    ctx.lookup_read(key).map(|e| Moving {
        value: e.value().to_value(),
        expire_at_ms: e.expire_at_ms(),
    })
}

fn lock(db: usize, key: &[u8], mode: LockMode) -> LockSet {
    let mut set = LockSet::default();
    set.add_key(db, key, mode);
    set
}

/// Runs `f` on `shard` holding `locks`: directly when it is this thread's shard and no
/// queued transaction holds a conflicting lock (the pipeline is already flushed, so
/// this keeps command order), otherwise as a one-hop transaction.
async fn run_locked<R: Send + 'static>(
    ctx: &ConnCtx,
    shard: usize,
    locks: LockSet,
    f: impl FnOnce(&mut Shard) -> R + Send + 'static,
) -> R {
    if shard == ctx.shards.index() {
        let mut local = ctx.shards.local.borrow_mut();
        if local.txq.is_idle() || !local.txq.conflicts(&locks) {
            let out = f(&mut local);
            local.serve_blocked();
            return out;
        }
    }
    let mut tx = ctx.shards.schedule(vec![(shard, locks)]).await;
    let out = tx.hop(shard, true, f).await;
    tx.conclude().await;
    out
}

/// Runs a single-shard handler under `locks` and appends its reply (used when a
/// coordinator finds all its keys on one shard after all).
async fn run_handler_locked(
    ctx: &mut ConnCtx,
    shard: usize,
    locks: LockSet,
    args: &ArgsBuf,
    handler: fn(&mut ShardCtx, Args, &mut Reply),
) {
    let (db, resp, args) = (ctx.db, ctx.resp, args.clone());
    let out = run_locked(ctx, shard, locks, move |s| {
        let mut out = Vec::new();
        handler(
            &mut shard_ctx(s, db),
            args.as_args(),
            &mut Reply::new(&mut out, resp),
        );
        out
    })
    .await;
    ctx.out.extend_from_slice(&out);
}

// ---- RENAME, RENAMENX -------------------------------------------------------------------

/// RENAME / RENAMENX with both keys on this shard. Redis order: a missing source is an
/// error even when the names are equal; equal names are then a no-op.
fn rename_local(ctx: &mut ShardCtx, src: &[u8], dst: &[u8], nx: bool, r: &mut Reply) {
    if ctx.lookup_write(src).is_none() {
        return r.error(errors::NO_SUCH_KEY);
    }
    if src == dst {
        return if nx { r.int(0) } else { r.ok() };
    }
    if nx && ctx.exists(dst) {
        return r.int(0);
    }
    let Some(moving) = take(ctx, src) else {
        return r.error(errors::NO_SUCH_KEY);
    };
    land(ctx, dst, moving);
    if nx { r.int(1) } else { r.ok() }
}

fn rename(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    rename_local(ctx, &args[1], &args[2], false, r);
}

fn renamenx(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    rename_local(ctx, &args[1], &args[2], true, r);
}

/// Why a RENAME / RENAMENX wrote nothing.
enum Refused {
    NoSuchKey,
    DestinationExists,
}

/// A rename between keys of two shards.
struct Across {
    src: Vec<u8>,
    dst: Vec<u8>,
    from: usize,
    to: usize,
    db: usize,
}

async fn rename_spread_generic(ctx: &mut ConnCtx, args: &ArgsBuf, nx: bool) {
    let a = args.as_args();
    let (src, dst) = (a[1].to_vec(), a[2].to_vec());
    let (from, to, db) = (ctx.shard_of(&src), ctx.shard_of(&dst), ctx.db);
    if from == to {
        let mut locks = lock(db, &src, LockMode::Exclusive);
        locks.add_key(db, &dst, LockMode::Exclusive);
        let handler = if nx { renamenx } else { rename };
        return run_handler_locked(ctx, from, locks, args, handler).await;
    }
    let across = Across {
        src,
        dst,
        from,
        to,
        db,
    };
    let locks = vec![
        (from, lock(db, &across.src, LockMode::Exclusive)),
        (to, lock(db, &across.dst, LockMode::Exclusive)),
    ];
    let mut tx = ctx.shards.schedule(locks).await;
    let outcome = rename_hops(&mut tx, across, nx).await;
    tx.conclude().await;
    let mut r = ctx.reply();
    match outcome {
        Ok(()) if nx => r.int(1),
        Ok(()) => r.ok(),
        Err(Refused::DestinationExists) => r.int(0),
        Err(Refused::NoSuchKey) => r.error(errors::NO_SUCH_KEY),
    }
}

/// The hops of a cross-shard rename: (RENAMENX only) both checks in parallel, then
/// take the value off the source shard and land it on the destination shard. The
/// destination stays locked until the value is there.
async fn rename_hops(tx: &mut Tx<'_>, across: Across, nx: bool) -> Result<(), Refused> {
    let Across {
        src,
        dst,
        from,
        to,
        db,
    } = across;
    if nx {
        let s = src.clone();
        let src_cell = tx
            .send_hop(from, false, move |sh| shard_ctx(sh, db).exists(&s))
            .await;
        let d = dst.clone();
        let dst_cell = tx
            .send_hop(to, false, move |sh| shard_ctx(sh, db).exists(&d))
            .await;
        let (src_found, dst_found) = (src_cell.wait().await, dst_cell.wait().await);
        if !src_found {
            return Err(Refused::NoSuchKey);
        }
        if dst_found {
            return Err(Refused::DestinationExists);
        }
    }
    let moving = tx
        .hop(from, true, move |sh| take(&mut shard_ctx(sh, db), &src))
        .await
        .ok_or(Refused::NoSuchKey)?;
    tx.hop(to, true, move |sh| {
        land(&mut shard_ctx(sh, db), &dst, moving)
    })
    .await;
    Ok(())
}

fn rename_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(rename_spread_generic(ctx, args, false))
}

fn renamenx_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(rename_spread_generic(ctx, args, true))
}

// ---- COPY -------------------------------------------------------------------------------

struct CopyArgs {
    src: Vec<u8>,
    dst: Vec<u8>,
    dst_db: usize,
    replace: bool,
}

/// Parses COPY's options in Redis's order (each error as soon as it is met).
fn parse_copy(ctx: &ConnCtx, a: Args) -> Result<CopyArgs, &'static str> {
    let mut c = CopyArgs {
        src: a[1].to_vec(),
        dst: a[2].to_vec(),
        dst_db: ctx.db,
        replace: false,
    };
    let mut j = 3;
    while j < a.len() {
        if a[j].eq_ignore_ascii_case(b"REPLACE") {
            c.replace = true;
        } else if a[j].eq_ignore_ascii_case(b"DB") && j + 1 < a.len() {
            c.dst_db = parse_db_index(&a[j + 1], ctx.settings.databases)?;
            j += 1;
        } else {
            return Err(errors::SYNTAX);
        }
        j += 1;
    }
    if c.dst_db == ctx.db && c.src == c.dst {
        return Err(errors::SAME_OBJECT);
    }
    Ok(c)
}

/// Stores a copy at the destination unless it exists and REPLACE was not given.
fn copy_land(ctx: &mut ShardCtx, dst: &[u8], replace: bool, moving: Moving) -> i64 {
    if !replace && ctx.lookup_write(dst).is_some() {
        return 0;
    }
    land(ctx, dst, moving);
    1
}

/// COPY with both keys on one shard.
fn copy_local(s: &mut Shard, db: usize, c: &CopyArgs) -> i64 {
    if c.dst_db >= s.dbs.len() {
        return 0;
    }
    let Some(moving) = duplicate(&mut shard_ctx(s, db), &c.src) else {
        return 0;
    };
    copy_land(&mut shard_ctx(s, c.dst_db), &c.dst, c.replace, moving)
}

fn copy<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let c = match parse_copy(ctx, args.as_args()) {
            Ok(c) => c,
            Err(e) => return ctx.reply().error(e),
        };
        let (from, to, db) = (ctx.shard_of(&c.src), ctx.shard_of(&c.dst), ctx.db);
        let copied = if from == to {
            let mut locks = lock(db, &c.src, LockMode::Shared);
            locks.add_key(c.dst_db, &c.dst, LockMode::Exclusive);
            run_locked(ctx, from, locks, move |s| copy_local(s, db, &c)).await
        } else {
            copy_spread(ctx, c).await
        };
        ctx.reply().int(copied);
    })
}

/// COPY across two shards: read the source (shared lock), then write the destination.
async fn copy_spread(ctx: &ConnCtx, c: CopyArgs) -> i64 {
    let (from, to, db) = (ctx.shard_of(&c.src), ctx.shard_of(&c.dst), ctx.db);
    let locks = vec![
        (from, lock(db, &c.src, LockMode::Shared)),
        (to, lock(c.dst_db, &c.dst, LockMode::Exclusive)),
    ];
    let mut tx = ctx.shards.schedule(locks).await;
    let CopyArgs {
        src,
        dst,
        dst_db,
        replace,
    } = c;
    let moving = tx
        .hop(from, true, move |s| duplicate(&mut shard_ctx(s, db), &src))
        .await;
    let copied = match moving {
        None => 0,
        Some(m) => {
            tx.hop(to, true, move |s| {
                if dst_db >= s.dbs.len() {
                    return 0;
                }
                copy_land(&mut shard_ctx(s, dst_db), &dst, replace, m)
            })
            .await
        }
    };
    tx.conclude().await;
    copied
}

// ---- MOVE -------------------------------------------------------------------------------

/// MOVE on the key's shard: 0 when the key is missing or the target db has it.
fn move_local(s: &mut Shard, db: usize, dst_db: usize, key: &[u8]) -> i64 {
    if dst_db >= s.dbs.len() {
        return 0;
    }
    if shard_ctx(s, db).lookup_write(key).is_none() || shard_ctx(s, dst_db).exists(key) {
        return 0;
    }
    let Some(moving) = take(&mut shard_ctx(s, db), key) else {
        return 0;
    };
    land(&mut shard_ctx(s, dst_db), key, moving);
    1
}

fn move_<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        let dst_db = match parse_db_index(&a[2], ctx.settings.databases) {
            Ok(d) if d == ctx.db => return ctx.reply().error(errors::SAME_OBJECT),
            Ok(d) => d,
            Err(e) => return ctx.reply().error(e),
        };
        let (key, db) = (a[1].to_vec(), ctx.db);
        let mut locks = lock(db, &key, LockMode::Exclusive);
        locks.add_key(dst_db, &key, LockMode::Exclusive);
        let shard = ctx.shard_of(&key);
        let moved = run_locked(ctx, shard, locks, move |s| move_local(s, db, dst_db, &key)).await;
        ctx.reply().int(moved);
    })
}

// ---- SWAPDB -----------------------------------------------------------------------------

/// A SWAPDB index: any int parses (errors name which argument), range checked later.
fn parse_swap_index(arg: &[u8], err: &'static str) -> Result<i64, &'static str> {
    parse_i64(arg)
        .filter(|v| i32::try_from(*v).is_ok())
        .ok_or(err)
}

fn swapdb<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        let parsed = parse_swap_index(&a[1], errors::SWAPDB_FIRST_INDEX)
            .and_then(|x| Ok((x, parse_swap_index(&a[2], errors::SWAPDB_SECOND_INDEX)?)));
        let (x, y) = match parsed {
            Ok(p) => p,
            Err(e) => return ctx.reply().error(e),
        };
        let databases = ctx.settings.databases as i64;
        if !(0..databases).contains(&x) || !(0..databases).contains(&y) {
            return ctx.reply().error(errors::DB_INDEX_OUT_OF_RANGE);
        }
        if x != y {
            swap_everywhere(ctx, x as usize, y as usize).await;
        }
        ctx.reply().ok();
    })
}

/// Swaps two databases on every shard inside one whole-shard exclusive transaction, so
/// no command sees one shard swapped and another not.
async fn swap_everywhere(ctx: &ConnCtx, x: usize, y: usize) {
    ctx.shards
        .on_every_shard_locked(LockMode::Exclusive, move |s| {
            if x < s.dbs.len() && y < s.dbs.len() {
                s.dbs.swap(x, y);
                // Waiters stay with their database index: both may now serve someone
                // (served once the swap's transaction concludes).
                s.blocking.signal_db(x);
                s.blocking.signal_db(y);
            }
        })
        .await;
}

// ---- table ----------------------------------------------------------------------------

const KS: CommandSpec = CommandSpec {
    group: "generic",
    acl: acl::KEYSPACE,
    ..BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "rename",
        arity: 3,
        flags: flags::WRITE,
        acl: acl::KEYSPACE | acl::WRITE | acl::SLOW,
        keys: keys(1, 2, 1),
        summary: "Rename a key",
        run: Run::MultiKey {
            single: rename,
            spread: rename_spread,
        },
        ..KS
    },
    CommandSpec {
        name: "renamenx",
        arity: 3,
        flags: flags::WRITE | flags::FAST,
        acl: acl::KEYSPACE | acl::WRITE | acl::FAST,
        keys: keys(1, 2, 1),
        summary: "Rename a key, only if the new key does not exist",
        run: Run::MultiKey {
            single: renamenx,
            spread: renamenx_spread,
        },
        ..KS
    },
    CommandSpec {
        name: "copy",
        arity: -3,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::KEYSPACE | acl::WRITE | acl::SLOW,
        keys: keys(1, 2, 1),
        since: "6.2.0",
        summary: "Copy a key",
        complexity: "O(N) worst case for collections, where N is the number of nested items. O(1) for string values.",
        run: Run::Coord(copy),
        ..KS
    },
    CommandSpec {
        name: "move",
        arity: 3,
        flags: flags::WRITE | flags::FAST,
        acl: acl::KEYSPACE | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Move a key to another database",
        run: Run::Coord(move_),
        ..KS
    },
    CommandSpec {
        name: "swapdb",
        arity: 3,
        flags: flags::WRITE | flags::FAST,
        acl: acl::KEYSPACE | acl::WRITE | acl::FAST | acl::DANGEROUS,
        group: "server",
        since: "4.0.0",
        summary: "Swaps two Redis databases",
        complexity: "O(N) where N is the count of clients watching or blocking on keys from both databases.",
        run: Run::Coord(swapdb),
        ..KS
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn swap_index_errors_name_the_argument() {
        assert_eq!(parse_swap_index(b"3", "first"), Ok(3));
        assert_eq!(parse_swap_index(b"-3", "first"), Ok(-3));
        assert_eq!(parse_swap_index(b"x", "first"), Err("first"));
        assert_eq!(parse_swap_index(b"2147483648", "second"), Err("second"));
    }

    #[test]
    fn values_clone_with_their_encoding() {
        for v in [
            Value::from_bytes(b"12"),
            Value::from_bytes(b"abc"),
            Value::Raw(b"ab".to_vec()),
        ] {
            assert_eq!(v.clone().encoding(), v.encoding());
        }
    }
}
