//! Persistence commands: SAVE, BGSAVE, LASTSAVE, DUMP and RESTORE (the file format,
//! its assembly and the DUMP payload live in [`crate::persistence`]).
//!
//! SAVE locks every shard at one point of the transaction order, so the file is a
//! point-in-time image even across cross-shard commands; each shard serializes its own
//! keys and the coordinator writes the file. BGSAVE begins a point-in-time cut of every
//! table at one point of that order and finishes in a background task
//! ([`crate::persistence::bgsave`]): no fork, and clients are served meanwhile.

use super::super::context::ConnCtx;
use super::super::context::ServerState;
use super::super::{BASE, CommandSpec, CoordFuture, Run, acl, flags, keys};
use crate::errors;
use crate::persistence::{self, bgsave, dump};
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::shard::tx::LockMode;
use crate::storage::Entry;
use crate::util::num::parse_i64;

/// `dir`, `dbfilename` and `rdbcompression` now.
fn save_params(ctx: &ConnCtx) -> (std::path::PathBuf, String, bool) {
    let config = ctx.server.config.read().unwrap_or_else(|e| e.into_inner());
    let s = config.settings();
    let compress = config
        .value("rdbcompression")
        .is_none_or(|v| v.eq_ignore_ascii_case(b"yes"));
    (s.dir.clone(), s.dbfilename.clone(), compress)
}

fn record_result(server: &ServerState, result: &std::io::Result<()>, now_secs: u64) {
    persistence::update_stats(&server.run_id, server.started_unix_secs, |s| {
        s.last_status_ok = result.is_ok();
        if result.is_ok() {
            s.last_save_unix_secs = now_secs;
            s.saves += 1;
        }
    });
    match result {
        Ok(()) => tracing::info!("DB saved on disk"),
        Err(e) => tracing::warn!("Failed saving the DB: {e}"),
    }
}

/// Claims the right to save; false when a BGSAVE is running.
fn claim_bgsave(server: &ServerState, now_secs: u64) -> bool {
    persistence::update_stats(&server.run_id, server.started_unix_secs, |s| {
        if s.bgsave_in_progress {
            return false;
        }
        s.bgsave_in_progress = true;
        s.bgsave_started_unix_secs = now_secs;
        true
    })
}

/// Writes the whole dataset to `dir/dbfilename` with every shard locked.
pub async fn save_now(ctx: &mut ConnCtx) -> std::io::Result<()> {
    let (dir, name, compress) = save_params(ctx);
    let now_ms = crate::shard::now_ms();
    let chunks = ctx
        .shards
        .on_every_shard_locked(LockMode::Shared, move |s| {
            persistence::serialize_shard(s, compress, now_ms)
        })
        .await;
    let result = persistence::save_chunks(
        &dir,
        &name,
        chunks,
        crate::alloc::used_bytes(),
        now_ms / 1000,
    );
    record_result(&ctx.server, &result, now_ms / 1000);
    result
}

fn save<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        if persistence::stats(&ctx.server.run_id, 0).bgsave_in_progress {
            return ctx.reply().error(errors::BGSAVE_IN_PROGRESS);
        }
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
        let now_ms = crate::shard::now_ms();
        if !claim_bgsave(&ctx.server, now_ms / 1000) {
            return ctx.reply().error(errors::BGSAVE_IN_PROGRESS);
        }
        let (dir, name, compress) = save_params(ctx);
        ctx.shards
            .on_every_shard_locked(LockMode::Shared, move |s| {
                bgsave::begin(s, compress, now_ms)
            })
            .await;
        tracing::info!("Background saving started");
        ctx.reply().simple("Background saving started");
        let (shards, server) = (ctx.shards.clone(), ctx.server.clone());
        crate::runtime::spawn_local(async move {
            let started = std::time::Instant::now();
            let result = bgsave::write_out(shards, dir, name, compress, now_ms).await;
            record_result(&server, &result, now_ms / 1000);
            persistence::update_stats(&server.run_id, server.started_unix_secs, |s| {
                s.bgsave_in_progress = false;
                s.last_bgsave_secs = started.elapsed().as_secs() as i64;
            });
            if result.is_ok() {
                tracing::info!("Background saving terminated with success");
            }
        });
    })
}

/// DEBUG RELOAD [MERGE] [NOFLUSH] [NOSAVE]: saves (unless NOSAVE), then loads the file
/// back with every shard locked, replacing the dataset (unless NOFLUSH: then loaded
/// keys replace existing ones, which is also what MERGE does). The file is parsed whole
/// first, so a bad or missing file leaves the dataset untouched (Redis flushes first).
pub async fn debug_reload(ctx: &mut ConnCtx, options: &[&[u8]]) {
    let (mut flush, mut save) = (true, true);
    for o in options {
        match o.to_ascii_lowercase().as_slice() {
            b"merge" => {}
            b"noflush" => flush = false,
            b"nosave" => save = false,
            _ => return ctx.reply().error(errors::DEBUG_RELOAD_OPTIONS),
        }
    }
    if save && save_now(ctx).await.is_err() {
        return ctx.reply().error(errors::SAVE_FAILED);
    }
    let settings = ctx
        .server
        .config
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .settings()
        .clone();
    let path = settings.dir.join(&settings.dbfilename);
    let loaded = match persistence::load_startup(&settings, ctx.server.shards_count) {
        Ok(_) if !path.exists() => {
            tracing::warn!("DEBUG RELOAD: {} does not exist", path.display());
            return ctx.reply().error(errors::DEBUG_RELOAD_FAILED);
        }
        Ok((loaded, _)) => loaded,
        Err(e) => {
            tracing::warn!("{e}");
            return ctx.reply().error(errors::DEBUG_RELOAD_FAILED);
        }
    };
    let parts: std::sync::Arc<Vec<std::sync::Mutex<_>>> =
        std::sync::Arc::new(loaded.into_iter().map(std::sync::Mutex::new).collect());
    ctx.shards
        .on_every_shard_locked(LockMode::Exclusive, move |s| {
            if flush {
                s.dbs.iter_mut().for_each(|d| d.table.clear());
            }
            let mine =
                std::mem::take(&mut *parts[s.index].lock().unwrap_or_else(|e| e.into_inner()));
            for (db, key, value, expire_ms) in mine {
                s.dbs[db]
                    .table
                    .insert(Entry::new(&key, value).with_expire(expire_ms));
            }
        })
        .await;
    tracing::info!("DB reloaded by DEBUG RELOAD");
    ctx.reply().ok();
}

fn lastsave(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    let s = persistence::stats(&ctx.server.run_id, ctx.server.started_unix_secs);
    r.int(s.last_save_unix_secs as i64);
}

fn dump_cmd(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match ctx.lookup_read(&args[1]) {
        None => r.null(),
        Some(e) => r.bulk(&dump::payload(&e.value, true)),
    }
}

/// RESTORE key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ
/// frequency], checked in Redis's order (options, existing key, TTL, payload).
fn restore(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let (mut replace, mut absttl) = (false, false);
    let (mut idle_secs, mut freq): (Option<i64>, Option<i64>) = (None, None);
    let mut j = 4;
    while j < args.len() {
        let a = &args[j];
        let more = j + 1 < args.len();
        if a.eq_ignore_ascii_case(b"REPLACE") {
            replace = true;
        } else if a.eq_ignore_ascii_case(b"ABSTTL") {
            absttl = true;
        } else if a.eq_ignore_ascii_case(b"IDLETIME") && more && freq.is_none() {
            let Some(n) = parse_i64(&args[j + 1]) else {
                return r.error(errors::NOT_INTEGER);
            };
            if n < 0 {
                return r.error(errors::INVALID_IDLETIME);
            }
            idle_secs = Some(n);
            j += 1;
        } else if a.eq_ignore_ascii_case(b"FREQ") && more && idle_secs.is_none() {
            let Some(n) = parse_i64(&args[j + 1]) else {
                return r.error(errors::NOT_INTEGER);
            };
            if !(0..=255).contains(&n) {
                return r.error(errors::INVALID_FREQ);
            }
            freq = Some(n);
            j += 1;
        } else {
            return r.error(errors::SYNTAX);
        }
        j += 1;
    }
    let key = &args[1];
    if !replace && ctx.lookup_write(key).is_some() {
        return r.error(errors::BUSYKEY);
    }
    let Some(mut ttl) = parse_i64(&args[2]) else {
        return r.error(errors::NOT_INTEGER);
    };
    if ttl < 0 {
        return r.error(errors::INVALID_TTL);
    }
    let value = match dump::parse(&args[3], &ctx.shard.settings.encodings) {
        Ok(v) => v,
        Err(dump::PayloadError::VersionOrChecksum) => return r.error(errors::DUMP_PAYLOAD_INVALID),
        Err(dump::PayloadError::BadData) => return r.error(errors::BAD_DATA_FORMAT),
    };
    if replace {
        ctx.remove(key);
    }
    if ttl != 0 && !absttl {
        ttl = ttl.saturating_add(ctx.now_ms as i64);
    }
    if ttl != 0 && ttl as u64 <= ctx.now_ms {
        return r.ok();
    }
    let is_list_or_zset = matches!(
        value,
        crate::storage::Value::List(_) | crate::storage::Value::ZSet(_)
    );
    let eviction = ctx.shard.settings.eviction;
    let mut access = ctx.new_access_data();
    if eviction.policy.is_lfu() {
        if let Some(f) = freq {
            access = (crate::shard::evict::lfu_minutes(ctx.now_ms) << 8) | f as u32;
        }
    } else if let Some(idle) = idle_secs {
        const LRU_CLOCK_MAX: i64 = (1 << 24) - 1;
        let clock = crate::shard::lru_clock_secs(ctx.now_ms) as i64;
        let mut abs = clock - idle;
        if abs < 0 {
            abs = (clock + LRU_CLOCK_MAX / 2) % LRU_CLOCK_MAX;
        }
        access = abs as u32;
    }
    let mut entry = Entry::new(key, value).with_expire(ttl as u64);
    entry.access_clock_secs = access;
    ctx.db().table.insert(entry);
    if is_list_or_zset {
        ctx.signal_ready(key);
    }
    r.ok();
}

use super::SERVER;

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
    CommandSpec {
        name: "dump",
        arity: 2,
        flags: flags::READONLY,
        acl: acl::KEYSPACE | acl::READ | acl::SLOW,
        keys: keys(1, 1, 1),
        group: "generic",
        since: "2.6.0",
        summary: "Returns a serialized representation of the value stored at a key.",
        complexity: "O(1) to access the key and additional O(N*M) to serialize it, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1).",
        run: Run::Shard(dump_cmd),
        ..BASE
    },
    CommandSpec {
        name: "restore",
        arity: -4,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::KEYSPACE | acl::WRITE | acl::SLOW | acl::DANGEROUS,
        keys: keys(1, 1, 1),
        group: "generic",
        since: "2.6.0",
        summary: "Creates a key from the serialized representation of a value.",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        run: Run::Shard(restore),
        ..BASE
    },
];
