//! Loading `dir/dbfilename` at startup, the way Redis does it: the server already
//! listens, and until every key is in its shard, commands not flagged `loading` get
//! `-LOADING` (INFO, CONFIG, PING's neighbours that are flagged keep working, and INFO
//! persistence shows `loading:1` with the progress). The file is parsed on the starting
//! thread; keys travel to their shards in batches over the loader's own mailbox lane.
//! A corrupt or truncated file stops the server with the reason.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::commands::context::ServerState;
use crate::config::Settings;
use crate::persistence::{self, LoadProgress, read, rules::gate};
use crate::runtime::mailbox::Endpoint;
use crate::shard::{Shard, ShardMsg};
use crate::storage::{Entry, Value};

/// Keys per message to a shard: large enough that messages are few, small enough that
/// a shard's inbox turn stays short.
const BATCH_KEYS: usize = 1024;

/// How often the progress is logged while loading.
const LOG_EVERY: Duration = Duration::from_secs(2);

type Batch = Vec<(usize, Vec<u8>, Value, u64)>;

/// Closes the LOADING gate when there is a file to load (before the listener serves,
/// so no client sees a partial dataset); true when [`load`] must then run.
pub fn begin(settings: &Settings, state: &ServerState) -> bool {
    let path = settings.dir.join(&settings.dbfilename);
    let Ok(meta) = std::fs::metadata(&path) else {
        return false;
    };
    let progress = LoadProgress {
        start_unix_secs: crate::shard::now_ms() / 1000,
        total_bytes: meta.len(),
        ..LoadProgress::default()
    };
    persistence::update_stats(&state.run_id, state.started_unix_secs, |s| {
        s.loading = Some(progress)
    });
    state.gates.set(gate::LOADING, true);
    true
}

/// Loads the file into the running shards through `endpoint` (a mailbox lane to every
/// shard thread), then opens the LOADING gate. `key_load_delay_us` is Redis's hidden
/// `key-load-delay` (tests slow a load down with it): microseconds to sleep per key, or
/// when negative, one microsecond with a chance of one in its magnitude.
pub fn load(
    settings: &Settings,
    state: &Arc<ServerState>,
    endpoint: &Endpoint<ShardMsg>,
    (shards_count, key_load_delay_us): (usize, i64),
) -> Result<(), String> {
    let path = settings.dir.join(&settings.dbfilename);
    let fatal = |e: &dyn std::fmt::Display| {
        format!(
            "Fatal error loading the DB {}: {e}. Exiting.",
            path.display()
        )
    };
    let bytes = std::fs::read(&path).map_err(|e| fatal(&e))?;
    let started = Instant::now();
    let mut last_log = Instant::now();
    let mut batches: Vec<Batch> = (0..shards_count).map(|_| Vec::new()).collect();
    let mut delays = 0u64;
    let stats = read::load_with_progress(
        &bytes,
        &settings.encodings,
        settings.databases,
        crate::shard::now_ms(),
        |db, key, value, expire_ms| {
            debug_delay(key_load_delay_us, &mut delays);
            let shard = crate::util::slot::key_shard(&key, shards_count);
            batches[shard].push((db, key, value, expire_ms));
            if batches[shard].len() >= BATCH_KEYS {
                send(endpoint, shard, std::mem::take(&mut batches[shard]));
            }
        },
        |progress| {
            report(state, progress);
            if last_log.elapsed() >= LOG_EVERY {
                last_log = Instant::now();
                log_progress(&path, progress, bytes.len());
            }
        },
    )
    .map_err(|e| fatal(&e))?;
    for (shard, batch) in batches.into_iter().enumerate() {
        send(endpoint, shard, batch);
    }
    wait_inserted(endpoint, shards_count);
    persistence::log_loaded(&stats, started.elapsed());
    persistence::update_stats(&state.run_id, state.started_unix_secs, |s| {
        s.last_load_keys_loaded = stats.keys_loaded;
        s.last_load_keys_expired = stats.keys_expired;
        s.loading = None;
    });
    state.gates.set(gate::LOADING, false);
    Ok(())
}

/// Redis's `debugDelay`: sleeps `us` microseconds, or when negative one microsecond
/// every `-us` calls (`calls` counts them).
fn debug_delay(us: i64, calls: &mut u64) {
    let sleep_us = match us {
        0 => return,
        n if n > 0 => n as u64,
        n => {
            *calls += 1;
            (*calls).is_multiple_of(n.unsigned_abs()) as u64
        }
    };
    if sleep_us > 0 {
        std::thread::sleep(Duration::from_micros(sleep_us));
    }
}

/// INFO's view of the load so far (Redis updates the loaded-keys count as it goes).
fn report(state: &ServerState, progress: &read::LoadStats) {
    persistence::update_stats(&state.run_id, state.started_unix_secs, |s| {
        s.last_load_keys_loaded = progress.keys_loaded;
        s.last_load_keys_expired = progress.keys_expired;
        if let Some(l) = &mut s.loading {
            l.loaded_bytes = progress.loaded_bytes;
            l.rdb_used_mem = progress.used_mem;
        }
    });
}

fn log_progress(path: &Path, progress: &read::LoadStats, total_bytes: usize) {
    tracing::info!(
        "Loading {}: {:.2}% ({} keys)",
        path.display(),
        progress.loaded_bytes as f64 * 100.0 / total_bytes.max(1) as f64,
        progress.keys_loaded
    );
}

/// Hands a batch to its shard, waiting while the lane is full (this is a plain thread:
/// it may sleep).
fn send(endpoint: &Endpoint<ShardMsg>, shard: usize, batch: Batch) {
    if batch.is_empty() {
        return;
    }
    let mut msg = ShardMsg::Run(Box::new(move |s: &mut Shard| insert(s, batch)));
    while let Err(back) = endpoint.try_send(shard, msg) {
        msg = back;
        std::thread::sleep(Duration::from_micros(200));
    }
}

fn insert(shard: &mut Shard, batch: Batch) {
    for (db, key, value, expire_ms) in batch {
        shard.dbs[db]
            .table
            .insert(Entry::new(&key, value).with_expire(expire_ms));
    }
}

/// Waits until every shard handled every batch sent before (lanes are in order).
fn wait_inserted(endpoint: &Endpoint<ShardMsg>, shards_count: usize) {
    let (tx, rx) = std::sync::mpsc::channel();
    for shard in 0..shards_count {
        let tx = tx.clone();
        let mut msg = ShardMsg::Run(Box::new(move |_: &mut Shard| {
            let _ = tx.send(());
        }));
        while let Err(back) = endpoint.try_send(shard, msg) {
            msg = back;
            std::thread::sleep(Duration::from_micros(200));
        }
    }
    drop(tx);
    for _ in 0..shards_count {
        if rx.recv().is_err() {
            return;
        }
    }
}
