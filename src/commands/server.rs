//! Server commands: DBSIZE, FLUSHDB, FLUSHALL, TIME, CONFIG, INFO, COMMAND, SHUTDOWN.
//! Most fan out to every shard; the flushes run as whole-shard transactions so no
//! cross-shard command is cut in half by them.

use std::sync::atomic::Ordering;

use super::context::ConnCtx;
use super::{BASE, CommandSpec, CoordFuture, Run, acl, flags};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::tx::{LockMode, LockSet};

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

/// Runs `f` on every shard as one whole-shard exclusive transaction.
async fn on_all_exclusive(
    ctx: &ConnCtx,
    f: impl Fn(&mut crate::shard::Shard) + Send + Sync + Clone + 'static,
) {
    let locks = (0..ctx.shards.count())
        .map(|s| {
            (
                s,
                LockSet {
                    whole_shard: Some(LockMode::Exclusive),
                    keys: Vec::new(),
                },
            )
        })
        .collect();
    let mut tx = ctx.shards.schedule(locks).await;
    tx.hop_all(true, f).await;
    tx.conclude().await;
}

/// FLUSHDB / FLUSHALL take an optional SYNC or ASYNC (both are synchronous here).
fn flush_mode_ok(args: &ArgsBuf, r: &mut Reply) -> bool {
    let a = args.as_args();
    match a.len() {
        1 => true,
        2 if a[1].eq_ignore_ascii_case(b"SYNC") || a[1].eq_ignore_ascii_case(b"ASYNC") => true,
        _ => {
            r.error(errors::SYNTAX);
            false
        }
    }
}

fn flushdb<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        if !flush_mode_ok(args, &mut ctx.reply()) {
            return;
        }
        let db = ctx.db;
        on_all_exclusive(ctx, move |s| s.dbs[db].table.clear()).await;
        ctx.reply().ok();
    })
}

fn flushall<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        if !flush_mode_ok(args, &mut ctx.reply()) {
            return;
        }
        on_all_exclusive(ctx, |s| s.dbs.iter_mut().for_each(|d| d.table.clear())).await;
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

fn config_get(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
    let patterns: Vec<&[u8]> = args.skip(2).collect();
    let pairs = ctx
        .server
        .config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .get(&patterns);
    r.map(pairs.len());
    for (k, v) in pairs {
        r.bulk(k.as_bytes());
        r.bulk(v.as_bytes());
    }
}

fn config_set<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        if !a.len().is_multiple_of(2) {
            return errors::wrong_arity(&mut ctx.reply(), "config|set");
        }
        let pairs: Vec<(&[u8], &[u8])> = (2..a.len())
            .step_by(2)
            .map(|i| (&a[i], &a[i + 1]))
            .collect();
        let result = ctx
            .server
            .config
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .set(&pairs);
        match result {
            Err(e) => ctx.reply().error(&e),
            Ok(()) => {
                let settings = std::sync::Arc::new(ctx.server.settings());
                ctx.shards
                    .run_on_all(move |s| s.settings = settings.clone())
                    .await;
                ctx.reply().ok();
            }
        }
    })
}

fn config_resetstat<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        ctx.shards
            .run_on_all(|s| s.stats = Default::default())
            .await;
        ctx.reply().ok();
    })
}

fn info<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let counts = ctx
            .shards
            .run_on_all(|s| {
                s.dbs
                    .iter()
                    .map(|d| (d.len(), d.volatile_len()))
                    .collect::<Vec<_>>()
            })
            .await;
        let mut text = String::new();
        text.push_str("# Server\r\n");
        text.push_str(&format!("redis_version:{REDIS_VERSION}\r\nshoal_version:{SHOAL_VERSION}\r\nredis_mode:standalone\r\n"));
        text.push_str(&format!(
            "process_id:{}\r\ntcp_port:{}\r\n",
            std::process::id(),
            ctx.server.tcp_port.load(Ordering::Relaxed)
        ));
        text.push_str("\r\n# Keyspace\r\n");
        let dbs = counts.first().map_or(0, |c| c.len());
        for db in 0..dbs {
            let keys: usize = counts.iter().map(|c| c[db].0).sum();
            let expires: usize = counts.iter().map(|c| c[db].1).sum();
            if keys > 0 {
                text.push_str(&format!(
                    "db{db}:keys={keys},expires={expires},avg_ttl=0\r\n"
                ));
            }
        }
        ctx.reply().verbatim(b"txt", text.as_bytes());
    })
}

fn command_count(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    r.int(super::all().count() as i64);
}

fn shutdown(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    tracing::warn!("User requested shutdown...");
    ctx.server.shutdown.store(true, Ordering::SeqCst);
    if ctx.server.exit_on_shutdown.load(Ordering::SeqCst) {
        tracing::warn!("shoal is now ready to exit, bye bye...");
        std::process::exit(0);
    }
    ctx.close_after_reply = true;
    let _ = r;
}

const SERVER: CommandSpec = CommandSpec {
    group: "server",
    acl: acl::ADMIN | acl::SLOW | acl::DANGEROUS,
    ..BASE
};
const CFG: CommandSpec = CommandSpec {
    group: "server",
    since: "2.0.0",
    flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
    acl: acl::ADMIN | acl::SLOW | acl::DANGEROUS,
    ..BASE
};

pub const CONFIG_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "get",
        arity: -3,
        summary: "Returns the effective values of configuration parameters.",
        complexity: "O(N) when N is the number of configuration parameters provided",
        run: Run::Conn(config_get),
        ..CFG
    },
    CommandSpec {
        name: "set",
        arity: -4,
        flags: CFG.flags | flags::MAY_REPLICATE,
        summary: "Sets configuration parameters in-flight.",
        complexity: "O(N) when N is the number of configuration parameters provided",
        run: Run::Coord(config_set),
        ..CFG
    },
    CommandSpec {
        name: "resetstat",
        arity: 2,
        summary: "Resets the server's statistics.",
        run: Run::Coord(config_resetstat),
        ..CFG
    },
];

pub const COMMAND_SUBCOMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "count",
    arity: 2,
    flags: flags::LOADING | flags::STALE,
    acl: acl::SLOW | acl::CONNECTION,
    group: "server",
    since: "2.8.13",
    summary: "Returns a count of commands.",
    run: Run::Conn(command_count),
    ..BASE
}];

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "dbsize",
        arity: 1,
        flags: flags::READONLY | flags::FAST,
        acl: acl::KEYSPACE | acl::READ | acl::FAST,
        group: "server",
        summary: "Returns the number of keys in the database.",
        run: Run::Coord(dbsize),
        ..BASE
    },
    CommandSpec {
        name: "flushdb",
        arity: -1,
        flags: flags::WRITE,
        acl: acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS,
        group: "server",
        summary: "Remove all keys from the current database.",
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
        summary: "Removes all keys from all databases.",
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
        summary: "Returns the server time.",
        run: Run::Conn(time),
        ..BASE
    },
    CommandSpec {
        name: "config",
        arity: -2,
        summary: "A container for server configuration commands.",
        complexity: "Depends on subcommand.",
        since: "2.0.0",
        run: Run::Container,
        subcommands: CONFIG_SUBCOMMANDS,
        ..SERVER
    },
    CommandSpec {
        name: "command",
        arity: -1,
        flags: flags::LOADING | flags::STALE,
        acl: acl::SLOW | acl::CONNECTION,
        group: "server",
        since: "2.8.13",
        summary: "Returns detailed information about all commands.",
        complexity: "O(N) where N is the total number of Redis commands",
        run: Run::Container,
        subcommands: COMMAND_SUBCOMMANDS,
        ..BASE
    },
    CommandSpec {
        name: "info",
        arity: -1,
        flags: flags::LOADING | flags::STALE | flags::SENTINEL,
        acl: acl::SLOW | acl::DANGEROUS,
        group: "server",
        summary: "Returns information and statistics about the server.",
        complexity: "O(1)",
        run: Run::Coord(info),
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
        summary: "Synchronously saves the database(s) to disk and shuts down the Redis server.",
        complexity: "O(N) when saving, where N is the total number of keys in all databases when saving data, otherwise O(1)",
        run: Run::Conn(shutdown),
        ..SERVER
    },
];
