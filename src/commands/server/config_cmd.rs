//! CONFIG GET / SET / RESETSTAT / REWRITE / HELP. The parameters themselves belong to
//! `crate::config`; this file only speaks the protocol and spreads a changed
//! configuration to every thread (each shard keeps its own copy of the settings so hot
//! paths read plain fields).

use std::sync::Arc;
use std::sync::atomic::Ordering;

use super::help;
use crate::commands::context::ConnCtx;
use crate::commands::{BASE, CommandSpec, CoordFuture, Run, acl, flags, stats};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;

fn get(ctx: &mut ConnCtx, args: Args, r: &mut Reply) {
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

fn set<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        if !a.len().is_multiple_of(2) {
            return errors::wrong_arity(&mut ctx.reply(), "config|set");
        }
        let pairs: Vec<(&[u8], &[u8])> = (2..a.len())
            .step_by(2)
            .map(|i| (&a[i], &a[i + 1]))
            .collect();
        let result = set_config(&ctx.server, &pairs);
        match result {
            Err(e) => ctx.reply().error(&e),
            Ok(()) => {
                let settings = Arc::new(ctx.server.settings());
                // `save` and `stop-writes-on-bgsave-error` open or close MISCONF.
                ctx.server.refresh_write_gate();
                // This connection sees the change at once, even later in the same read.
                ctx.settings = settings.clone();
                ctx.shards
                    .run_on_all(move |s| {
                        s.settings = settings.clone();
                        // SLOWLOG and LATENCY thresholds are cached per thread.
                        crate::commands::timing::configure(settings.monitor);
                        // A lowered maxmemory (or a new policy) takes effect at once.
                        s.eviction_pool.clear();
                        s.evict_to_limit(crate::shard::now_ms());
                    })
                    .await;
                ctx.reply().ok();
            }
        }
    })
}

/// Applies CONFIG SET's pairs, all or none. A higher `maxclients` must fit the
/// open-files limit (raised if it can be), as in Redis.
fn set_config(
    server: &crate::commands::context::ServerState,
    pairs: &[(&[u8], &[u8])],
) -> Result<(), String> {
    let mut config = server.config.write().unwrap_or_else(|e| e.into_inner());
    let before = config.clone();
    config.set(pairs)?;
    let wanted = config.settings().maxclients;
    if wanted > before.settings().maxclients
        && let Err(fits) = crate::runtime::limits::make_room_for(wanted, server.shards_count)
    {
        *config = before;
        return Err(errors::config_set_failed(
            "maxclients",
            &errors::too_many_clients_for_the_os(fits),
        ));
    }
    Ok(())
}

/// Resets what INFO counts: every shard's counters and every thread's command
/// statistics (the closure runs on each thread, where its statistics live), plus the
/// process-wide connection and traffic counters.
fn resetstat<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        ctx.shards
            .run_on_all(|s| {
                s.stats = Default::default();
                stats::reset();
                crate::protocol::reply::errors_written::reset();
            })
            .await;
        let server = &ctx.server;
        for counter in [
            &server.total_connections_received,
            &server.rejected_connections,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
        server.total_net_input_bytes.reset();
        server.total_net_output_bytes.reset();
        ctx.reply().ok();
    })
}

fn rewrite(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    if ctx.server.config_file.is_none() {
        return r.error(errors::CONFIG_NO_FILE);
    }
    r.error(errors::CONFIG_REWRITE_UNSUPPORTED);
}

fn config_help(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    help::reply(r, help::CONFIG);
}

const CFG: CommandSpec = CommandSpec {
    group: "server",
    since: "2.0.0",
    flags: flags::ADMIN | flags::NOSCRIPT | flags::LOADING | flags::STALE,
    acl: acl::ADMIN | acl::SLOW | acl::DANGEROUS,
    ..BASE
};

pub const SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "get",
        arity: -3,
        summary: "Get the values of configuration parameters",
        complexity: "O(N) when N is the number of configuration parameters provided",
        run: Run::Conn(get),
        ..CFG
    },
    CommandSpec {
        name: "set",
        arity: -4,
        flags: CFG.flags | flags::MAY_REPLICATE,
        summary: "Set configuration parameters to the given values",
        complexity: "O(N) when N is the number of configuration parameters provided",
        run: Run::Coord(set),
        ..CFG
    },
    CommandSpec {
        name: "resetstat",
        arity: 2,
        summary: "Reset the stats returned by INFO",
        run: Run::Coord(resetstat),
        ..CFG
    },
    CommandSpec {
        name: "rewrite",
        arity: 2,
        since: "2.8.0",
        summary: "Rewrite the configuration file with the in memory configuration",
        run: Run::Conn(rewrite),
        ..CFG
    },
    CommandSpec {
        name: "help",
        arity: 2,
        since: "5.0.0",
        flags: flags::LOADING | flags::STALE,
        acl: acl::SLOW,
        summary: "Show helpful text about the different subcommands",
        run: Run::Conn(config_help),
        ..CFG
    },
];

pub const CONFIG: CommandSpec = CommandSpec {
    name: "config",
    arity: -2,
    group: "server",
    since: "2.0.0",
    acl: acl::SLOW,
    summary: "A container for server configuration commands",
    complexity: "Depends on subcommand.",
    run: Run::Container,
    subcommands: SUBCOMMANDS,
    ..BASE
};
