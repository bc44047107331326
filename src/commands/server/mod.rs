//! Server commands: DBSIZE, FLUSHDB, FLUSHALL, TIME, SHUTDOWN here; SAVE, BGSAVE and
//! LASTSAVE in [`persist`]; CONFIG, COMMAND, INFO, DEBUG and the FUNCTION/SCRIPT placeholders in the
//! submodules. Most fan out to every shard; the flushes run as whole-shard
//! transactions so no cross-shard command is cut in half by them.

pub mod config_cmd;
pub mod debug;
pub mod docs;
pub mod help;
pub mod info;
pub mod introspect;
pub mod memory;
pub mod persist;
pub mod scripting;
pub mod sys;

use std::sync::atomic::Ordering;

use super::context::ConnCtx;
use super::{BASE, CommandSpec, CoordFuture, Run, acl, flags};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::tx::LockMode;

/// What INFO, HELLO and LOLWUT report as the Redis version, for clients that branch on it.
pub const REDIS_VERSION: &str = "7.0.15";
pub const SHOAL_VERSION: &str = env!("CARGO_PKG_VERSION");

fn dbsize<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let db = ctx.db;
        let sizes = ctx.shards.run_on_all(move |s| s.dbs[db].len()).await;
        ctx.reply().int(sizes.iter().sum::<usize>() as i64);
    })
}

/// FLUSHDB / FLUSHALL [SYNC|ASYNC]: whether to free the keys in the background (ASYNC,
/// or no argument with `lazyfree-lazy-user-flush yes`, as Redis 6.2+); None after a
/// syntax error reply.
fn flush_lazily(ctx: &mut ConnCtx, args: &ArgsBuf) -> Option<bool> {
    let a = args.as_args();
    match a.len() {
        1 => {
            let config = ctx.server.config.read().unwrap_or_else(|e| e.into_inner());
            Some(config.value("lazyfree-lazy-user-flush") == Some(&b"yes"[..]))
        }
        2 if a[1].eq_ignore_ascii_case(b"SYNC") => Some(false),
        2 if a[1].eq_ignore_ascii_case(b"ASYNC") => Some(true),
        _ => {
            ctx.reply().error(errors::SYNTAX);
            None
        }
    }
}

/// Empties database `db` of shard `s`, freeing its keys on the lazyfree thread when
/// `lazily` (the shard serves its next command at once; a table of millions of keys
/// takes a good part of a second to free) and here otherwise. Redis counts each removed
/// key as a change.
fn flush_db(s: &mut crate::shard::Shard, db: usize, lazily: bool) {
    let cleared = s.dbs[db].table.clear();
    let keys = cleared.keys() as u64;
    s.add_dirty(keys);
    if lazily && keys > 0 {
        crate::runtime::lazyfree::free_later(cleared, keys);
    }
}

fn flushdb<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let Some(lazily) = flush_lazily(ctx, args) else {
            return;
        };
        let db = ctx.db;
        ctx.shards
            .on_every_shard_locked(LockMode::Exclusive, move |s| flush_db(s, db, lazily))
            .await;
        ctx.dirty(0);
        ctx.reply().ok();
    })
}

fn flushall<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let Some(lazily) = flush_lazily(ctx, args) else {
            return;
        };
        ctx.shards
            .on_every_shard_locked(LockMode::Exclusive, move |s| {
                // As Redis kills its saving child: the dataset a running save would
                // write is gone (its file is left as it was).
                crate::persistence::bgsave::abandon(s);
                for db in 0..s.dbs.len() {
                    flush_db(s, db, lazily);
                }
            })
            .await;
        ctx.dirty(0);
        persist::save_after_flushall(ctx).await;
        ctx.reply().ok();
    })
}

fn time(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    r.array(2);
    r.bulk_fmt(format_args!("{}", now.as_secs()));
    r.bulk_fmt(format_args!("{}", now.subsec_micros()));
}

/// SHUTDOWN [NOSAVE|SAVE] [NOW] [FORCE] [ABORT], validated as Redis 7.0 does: saves the
/// dataset first when asked (SAVE) or when save points are configured (unless NOSAVE);
/// a failed save keeps the server running (`ERR Errors trying to SHUTDOWN`) unless
/// FORCE. No shutdown is ever left in progress for ABORT to cancel.
fn shutdown<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let (mut nosave, mut save, mut force, mut other, mut abort) =
            (false, false, false, false, false);
        for a in args.as_args().skip(1) {
            match a.to_ascii_lowercase().as_slice() {
                b"nosave" => nosave = true,
                b"save" => save = true,
                b"force" => force = true,
                b"now" => other = true,
                b"abort" => abort = true,
                _ => return ctx.reply().error(errors::SYNTAX),
            }
        }
        if (abort && (nosave || save || other || force)) || (nosave && save) {
            return ctx.reply().error(errors::SYNTAX);
        }
        if abort {
            return ctx.reply().error(errors::NO_SHUTDOWN_IN_PROGRESS);
        }
        tracing::warn!("User requested shutdown...");
        persist::abandon_bgsave(ctx).await;
        let save_points = {
            let config = ctx.server.config.read().unwrap_or_else(|e| e.into_inner());
            config.value("save").is_some_and(|v| !v.is_empty())
        };
        // As Redis: a server still loading its dataset never saves it on the way out.
        let loading = ctx.server.gates.closed() & crate::persistence::rules::gate::LOADING != 0;
        if !loading && (save || (save_points && !nosave)) {
            tracing::info!("Saving the final RDB snapshot before exiting.");
            if let Err(e) = persist::save_now(ctx).await {
                tracing::warn!("Error trying to save the DB, can't exit: {e}");
                if !force {
                    return ctx.reply().error(errors::SHUTDOWN_SAVE_FAILED);
                }
            }
        }
        stop_serving(ctx);
    })
}

/// The end of SHUTDOWN once the dataset is taken care of.
fn stop_serving(ctx: &mut ConnCtx) {
    ctx.server.shutdown.store(true, Ordering::SeqCst);
    if ctx.server.exit_on_shutdown.load(Ordering::SeqCst) {
        tracing::warn!("shoal is now ready to exit, bye bye...");
        std::process::exit(0);
    }
    // In-process servers (tests) stop serving instead of exiting; the client sees
    // the connection close without a reply, as with Redis.
    ctx.close_after_reply = true;
}

/// What the server family's specs share.
pub(super) const SERVER: CommandSpec = CommandSpec {
    group: "server",
    acl: acl::ADMIN | acl::SLOW | acl::DANGEROUS,
    ..BASE
};
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "dbsize",
        arity: 1,
        flags: flags::READONLY | flags::FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        group: "server",
        summary: "Return the number of keys in the selected database",
        run: Run::Coord(dbsize),
        ..BASE
    },
    CommandSpec {
        name: "flushdb",
        arity: -1,
        flags: flags::WRITE,
        acl: acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS,
        group: "server",
        summary: "Remove all keys from the current database",
        complexity: "O(N) where N is the number of keys in the selected database",
        run: Run::Coord(flushdb),
        ..BASE
    },
    CommandSpec {
        name: "flushall",
        arity: -1,
        flags: flags::WRITE,
        acl: acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS,
        group: "server",
        summary: "Remove all keys from all databases",
        complexity: "O(N) where N is the total number of keys in all databases",
        run: Run::Coord(flushall),
        ..BASE
    },
    CommandSpec {
        name: "time",
        arity: 1,
        flags: flags::LOADING | flags::STALE | flags::FAST,
        acl: acl::FAST,
        group: "server",
        since: "2.6.0",
        summary: "Return the current server time",
        run: Run::Conn(time),
        ..BASE
    },
    config_cmd::CONFIG,
    introspect::COMMAND,
    CommandSpec {
        name: "info",
        arity: -1,
        flags: flags::LOADING | flags::STALE | flags::SENTINEL,
        acl: acl::SLOW | acl::DANGEROUS,
        group: "server",
        summary: "Get information and statistics about the server",
        complexity: "O(1)",
        run: Run::Coord(info::info),
        ..BASE
    },
    CommandSpec {
        name: "shutdown",
        arity: -1,
        flags: flags::ADMIN
            | flags::NOSCRIPT
            | flags::LOADING
            | flags::STALE
            | flags::NO_MULTI
            | flags::SENTINEL
            | flags::ALLOW_BUSY,
        summary: "Synchronously save the dataset to disk and then shut down the server",
        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        run: Run::Coord(shutdown),
        ..SERVER
    },
    CommandSpec {
        name: "debug",
        arity: -2,
        flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
        summary: "A container for debugging commands",
        complexity: "Depends on subcommand.",
        run: Run::Coord(debug::debug),
        ..SERVER
    },
];
