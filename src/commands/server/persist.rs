//! Persistence commands: SAVE, BGSAVE, LASTSAVE, DUMP and RESTORE (the file format,
//! its assembly and the DUMP payload live in [`crate::persistence`]).
//!
//! SAVE locks every shard at one point of the transaction order, so the file is a
//! point-in-time image even across cross-shard commands; each shard serializes its own
//! keys and the coordinator writes the file. BGSAVE begins a point-in-time cut of every
//! table at one point of that order and finishes in a background task
//! ([`crate::persistence::bgsave`]): no fork, and clients are served meanwhile. The
//! `save` rules start the same background save from a task on thread 0
//! ([`save_rules_task`]); each save records where the dirty counter stood at its cut,
//! and its outcome opens or closes the MISCONF gate (see [`crate::persistence::rules`]).

use super::super::context::ConnCtx;
use super::super::context::ServerState;
use super::super::{BASE, CommandSpec, CoordFuture, Run, acl, flags, keys};
use crate::errors;
use crate::persistence::{self, bgsave, dump};
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::runtime::oneshot::OneShot;
use crate::shard::ShardCtx;
use crate::shard::set::ShardSet;
use crate::shard::tx::LockMode;
use crate::storage::Entry;
use crate::util::num::parse_i64;
use std::rc::Rc;
use std::sync::Arc;

/// `dir`, `dbfilename`, `rdbcompression` and `rdbchecksum` now.
fn save_params(server: &ServerState) -> (std::path::PathBuf, String, bool, bool) {
    let config = server.config.read().unwrap_or_else(|e| e.into_inner());
    let s = config.settings();
    (
        s.dir.clone(),
        s.dbfilename.clone(),
        s.rdbcompression,
        s.rdbchecksum,
    )
}

/// Redis's hidden `rdb-key-save-delay`, in microseconds per key (see
/// [`bgsave::write_out`]).
fn key_save_delay_us(server: &ServerState) -> i64 {
    let config = server.config.read().unwrap_or_else(|e| e.into_inner());
    config.int_value("rdb-key-save-delay").unwrap_or(0)
}

/// A synchronous save ended: on success it is the last save, and (as Redis's `rdbSave`)
/// it marks the background save status ok; a failure changes no status.
fn record_save(server: &ServerState, result: &std::io::Result<()>, dirty_at_cut: u64) {
    if result.is_ok() {
        persistence::update_stats(&server.run_id, server.started_unix_secs, |s| {
            s.last_status_ok = true;
            s.last_save_unix_secs = crate::shard::now_ms() / 1000;
            s.dirty_at_last_save = s.dirty_at_last_save.max(dirty_at_cut);
        });
        server.refresh_write_gate();
    }
    match result {
        Ok(()) => tracing::info!("DB saved on disk"),
        Err(e) => tracing::warn!("Failed saving the DB: {e}"),
    }
}

/// A background save ended (Redis's `backgroundSaveDoneHandler`): its status, and on
/// success the changes made since it was cut remain dirty.
fn record_bgsave(server: &ServerState, result: &std::io::Result<()>, elapsed_secs: i64) {
    let abandoned = result.as_ref().is_err_and(bgsave::was_abandoned);
    persistence::update_stats(&server.run_id, server.started_unix_secs, |s| {
        if !abandoned {
            s.last_status_ok = result.is_ok();
        }
        if result.is_ok() {
            s.last_save_unix_secs = crate::shard::now_ms() / 1000;
            s.dirty_at_last_save = s.dirty_at_last_save.max(s.dirty_at_bgsave_start);
        }
        s.bgsave_in_progress = false;
        s.last_bgsave_secs = elapsed_secs;
    });
    server.refresh_write_gate();
    match result {
        Ok(()) => tracing::info!("Background saving terminated with success"),
        Err(e) if abandoned => tracing::warn!("Background saving terminated: {e}"),
        Err(e) => {
            tracing::warn!("Failed saving the DB: {e}");
            tracing::warn!("Background saving error");
        }
    }
}

/// Claims the right to save; false when a BGSAVE is running. Counts the attempt in
/// `rdb_saves`, as Redis does when it forks.
fn claim_bgsave(server: &ServerState, now_secs: u64) -> bool {
    persistence::update_stats(&server.run_id, server.started_unix_secs, |s| {
        if s.bgsave_in_progress {
            return false;
        }
        s.bgsave_in_progress = true;
        s.bgsave_started_unix_secs = now_secs;
        s.last_bgsave_try_unix_secs = now_secs;
        s.saves += 1;
        true
    })
}

/// Writes the whole dataset to `dir/dbfilename` with every shard locked. A running
/// BGSAVE is let finish first: it would otherwise rename its older image over this one
/// when it ends (Redis kills its child instead).
pub async fn save_now(ctx: &mut ConnCtx) -> std::io::Result<()> {
    bgsave_ended(ctx).await;
    let (dir, name, compress, checksum) = save_params(&ctx.server);
    let now_ms = crate::shard::now_ms();
    let cut = ctx
        .shards
        .on_every_shard_locked(LockMode::Shared, move |s| {
            (persistence::serialize_shard(s, compress, now_ms), s.dirty)
        })
        .await;
    let dirty_at_cut = cut.iter().map(|(_, d)| d).sum();
    let chunks = cut.into_iter().map(|(c, _)| c).collect();
    let result = persistence::save_chunks(
        &dir,
        &name,
        chunks,
        crate::alloc::used_bytes(),
        now_ms / 1000,
        checksum,
    );
    record_save(&ctx.server, &result, dirty_at_cut);
    result
}

/// Abandons a running BGSAVE and waits until it has removed its temp file, as Redis
/// kills its saving child on SHUTDOWN.
pub async fn abandon_bgsave(ctx: &mut ConnCtx) {
    if !persistence::stats(&ctx.server.run_id, 0).bgsave_in_progress {
        return;
    }
    tracing::warn!("There is a background save running. Abandoning it!");
    ctx.shards.run_on_all(bgsave::abandon).await;
    bgsave_ended(ctx).await;
}

/// Returns once no BGSAVE is running.
async fn bgsave_ended(ctx: &ConnCtx) {
    while persistence::stats(&ctx.server.run_id, 0).bgsave_in_progress {
        crate::runtime::sleep(std::time::Duration::from_millis(10)).await;
    }
}

fn save<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        if persistence::stats(&ctx.server.run_id, 0).bgsave_in_progress {
            return ctx.reply().error(errors::BGSAVE_IN_PROGRESS);
        }
        persistence::update_stats(&ctx.server.run_id, ctx.server.started_unix_secs, |s| {
            s.saves += 1
        });
        match save_now(ctx).await {
            Ok(()) => ctx.reply().ok(),
            Err(_) => ctx.reply().error(errors::SAVE_FAILED),
        }
    })
}

/// BGSAVE [SCHEDULE]. Redis schedules only while another kind of child (an AOF
/// rewrite) runs, which shoal never has: with a BGSAVE running, SCHEDULE gets the same
/// error as Redis gives it.
fn bgsave<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        if a.len() > 2 || (a.len() == 2 && !a[1].eq_ignore_ascii_case(b"SCHEDULE")) {
            return ctx.reply().error(errors::SYNTAX);
        }
        if !start_bgsave(&ctx.shards, &ctx.server).await {
            return ctx.reply().error(errors::BGSAVE_IN_PROGRESS);
        }
        ctx.reply().simple("Background saving started");
    })
}

/// Starts a background save (BGSAVE and the `save` rules); false when one is running.
/// Returns once every table is cut; the save finishes in a background task.
pub async fn start_bgsave(shards: &Rc<ShardSet>, server: &Arc<ServerState>) -> bool {
    let now_ms = crate::shard::now_ms();
    if !claim_bgsave(server, now_ms / 1000) {
        return false;
    }
    let (dir, name, compress, checksum) = save_params(server);
    let dirty: u64 = shards
        .on_every_shard_locked(LockMode::Shared, move |s| {
            bgsave::begin(s, compress, now_ms);
            s.dirty
        })
        .await
        .iter()
        .sum();
    persistence::update_stats(&server.run_id, server.started_unix_secs, |s| {
        s.dirty_at_bgsave_start = dirty
    });
    tracing::info!("Background saving started");
    let (shards, server) = (shards.clone(), server.clone());
    crate::runtime::spawn_local(async move {
        let started = std::time::Instant::now();
        let result = bgsave::write_out(
            shards,
            dir,
            name,
            (compress, checksum),
            (!server.core_to_spare, key_save_delay_us(&server)),
            now_ms,
        )
        .await;
        record_bgsave(&server, &result, started.elapsed().as_secs() as i64);
    });
    true
}

/// The save rules' task, on thread 0: parks until the clock thread finds a rule due
/// (see [`crate::persistence::rules`]), then starts a background save.
pub async fn save_rules_task(shards: Rc<ShardSet>, server: Arc<ServerState>) {
    loop {
        let cell = OneShot::new();
        *server.save_cron.lock().unwrap_or_else(|e| e.into_inner()) = Some(cell.clone());
        cell.wait().await;
        if server.shutdown.load(std::sync::atomic::Ordering::Relaxed) {
            return;
        }
        start_bgsave(&shards, &server).await;
    }
}

/// FLUSHALL with save rules set saves the now empty dataset at once, as Redis does
/// (not counted in `rdb_saves`; the flush's changes are then saved).
pub async fn save_after_flushall(ctx: &mut ConnCtx) {
    if ctx.server.settings().save_rules.is_empty() {
        return;
    }
    let _ = save_now(ctx).await;
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
                s.dbs.iter_mut().for_each(|d| drop(d.table.clear()));
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
        Some(e) => r.bulk(&dump::payload(e.value(), true)),
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
    let entry = Entry::with_parts(key, value, ttl as u64);
    ctx.db().table.insert_with_access(entry, access);
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
        summary: "Get the UNIX time stamp of the last successful save to disk",
        run: Run::Conn(lastsave),
        ..SERVER
    },
    CommandSpec {
        name: "save",
        arity: 1,
        flags: flags::ADMIN | flags::NOSCRIPT | flags::NO_ASYNC_LOADING | flags::NO_MULTI,
        summary: "Synchronously save the dataset to disk",
        complexity: "O(N) where N is the total number of keys in all databases",
        run: Run::Coord(save),
        ..SERVER
    },
    CommandSpec {
        name: "bgsave",
        arity: -1,
        flags: flags::ADMIN | flags::NOSCRIPT | flags::NO_ASYNC_LOADING,
        summary: "Asynchronously save the dataset to disk",
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
        summary: "Return a serialized version of the value stored at the specified key.",
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
        summary: "Create a key using the provided serialized value, previously obtained using DUMP.",
        complexity: "O(1) to create the new key and additional O(N*M) to reconstruct the serialized value, where N is the number of Redis objects composing the value and M their average size. For small string values the time complexity is thus O(1)+O(1*M) where M is small, so simply O(1). However for sorted set values the complexity is O(N*M*log(N)) because inserting values into sorted sets is O(log(N)).",
        run: Run::Shard(restore),
        ..BASE
    },
];
