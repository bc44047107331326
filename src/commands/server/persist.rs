//! Persistence commands: SAVE, BGSAVE and LASTSAVE (the file format and its assembly
//! live in [`crate::persistence`]).
//!
//! A save locks every shard at one point of the transaction order, so the file is a
//! point-in-time image even across cross-shard commands; each shard serializes its own
//! keys and the coordinator writes the file. BGSAVE runs the same save (there is no
//! background snapshot yet) and replies as Redis does when one starts.

use super::super::context::ConnCtx;
use super::super::{BASE, CommandSpec, CoordFuture, Run, acl, flags};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::tx::LockMode;

/// Writes the whole dataset to `dir/dbfilename`; the error text when it fails.
pub async fn save_now(ctx: &mut ConnCtx) -> Result<(), String> {
    let (dir, name, compress) = {
        let config = ctx.server.config.read().unwrap_or_else(|e| e.into_inner());
        let s = config.settings();
        let compress = config
            .value("rdbcompression")
            .is_none_or(|v| v.eq_ignore_ascii_case(b"yes"));
        (s.dir.clone(), s.dbfilename.clone(), compress)
    };
    let now_ms = crate::shard::now_ms();
    let chunks = ctx
        .shards
        .on_every_shard_locked(LockMode::Shared, move |s| {
            crate::persistence::serialize_shard(s, compress, now_ms)
        })
        .await;
    let bytes = crate::persistence::assemble(chunks, crate::alloc::used_bytes(), now_ms / 1000);
    let result = crate::persistence::write_file(&dir, &name, &bytes);
    let server = &ctx.server;
    crate::persistence::update_stats(&server.run_id, server.started_unix_secs, |s| {
        s.last_status_ok = result.is_ok();
        if result.is_ok() {
            s.last_save_unix_secs = now_ms / 1000;
            s.saves += 1;
        }
    });
    match result {
        Ok(()) => {
            tracing::info!("DB saved on disk");
            Ok(())
        }
        Err(e) => {
            tracing::warn!("Failed saving the DB: {e}");
            Err(e.to_string())
        }
    }
}

fn save<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        match save_now(ctx).await {
            Ok(()) => ctx.reply().ok(),
            Err(_) => ctx.reply().error(errors::SAVE_FAILED),
        }
    })
}

fn bgsave<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        if a.len() > 2 || (a.len() == 2 && !a[1].eq_ignore_ascii_case(b"SCHEDULE")) {
            return ctx.reply().error(errors::SYNTAX);
        }
        match save_now(ctx).await {
            Ok(()) => ctx.reply().simple("Background saving started"),
            Err(_) => ctx.reply().error(errors::SAVE_FAILED),
        }
    })
}

fn lastsave(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    let s = crate::persistence::stats(&ctx.server.run_id, ctx.server.started_unix_secs);
    r.int(s.last_save_unix_secs as i64);
}

const SERVER: CommandSpec = CommandSpec {
    group: "server",
    acl: acl::ADMIN | acl::SLOW | acl::DANGEROUS,
    ..BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "lastsave",
        arity: 1,
        flags: flags::LOADING | flags::STALE | flags::FAST,
        acl: acl::ADMIN | acl::FAST | acl::DANGEROUS,
        summary: "Returns the Unix timestamp of the last successful save to disk.",
        run: Run::Conn(lastsave),
        ..SERVER
    },
    CommandSpec {
        name: "save",
        arity: 1,
        flags: flags::ADMIN | flags::NOSCRIPT | flags::NO_ASYNC_LOADING | flags::NO_MULTI,
        summary: "Synchronously saves the database(s) to disk.",
        complexity: "O(N) where N is the total number of keys in all databases",
        run: Run::Coord(save),
        ..SERVER
    },
    CommandSpec {
        name: "bgsave",
        arity: -1,
        flags: flags::ADMIN | flags::NOSCRIPT | flags::NO_ASYNC_LOADING,
        summary: "Asynchronously saves the database(s) to disk.",
        run: Run::Coord(bgsave),
        ..SERVER
    },
];
