//! Redis-compatible RDB persistence: the file format ([`crc64`], [`lzf`], [`write`],
//! [`read`], and the compact blobs of [`compact`]), SAVE's assembly of one file out of
//! every shard's keys, reading `dir/dbfilename` whole (DEBUG RELOAD; startup streams it,
//! see `server::load`), the per-server save statistics LASTSAVE and INFO persistence
//! report, and in [`rules`] the dirty counter, the `save` rules and the command gates.
//!
//! A save runs with every shard locked at one point of the transaction order; each
//! shard serializes its own keys per database into a buffer ([`serialize_shard`]) and
//! the coordinator writes the header, one SELECTDB/RESIZEDB section per database with
//! the shards' buffers, EOF and the CRC-64 trailer, to a temporary file in `dir` that is
//! fsynced and renamed into place.

pub mod bgsave;
pub mod compact;
pub mod crc64;
mod direct;
pub mod dump;
pub mod lzf;
pub mod mutate;
pub mod read;
pub mod rules;
pub mod stream;
pub mod write;

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use crate::shard::Shard;

/// The RDB version shoal writes (Redis 7.0's).
pub const RDB_VERSION: u16 = 10;

pub mod opcode {
    pub const FUNCTION_PRE_GA: u8 = 246;
    pub const FUNCTION_2: u8 = 245;
    pub const MODULE_AUX: u8 = 247;
    pub const IDLE: u8 = 248;
    pub const FREQ: u8 = 249;
    pub const AUX: u8 = 250;
    pub const RESIZEDB: u8 = 251;
    pub const EXPIRETIME_MS: u8 = 252;
    pub const EXPIRETIME: u8 = 253;
    pub const SELECTDB: u8 = 254;
    pub const EOF: u8 = 255;
}

pub mod rdb_type {
    pub const STRING: u8 = 0;
    pub const LIST: u8 = 1;
    pub const SET: u8 = 2;
    pub const ZSET: u8 = 3;
    pub const HASH: u8 = 4;
    pub const ZSET_2: u8 = 5;
    pub const MODULE: u8 = 6;
    pub const MODULE_2: u8 = 7;
    pub const HASH_ZIPMAP: u8 = 9;
    pub const LIST_ZIPLIST: u8 = 10;
    pub const SET_INTSET: u8 = 11;
    pub const ZSET_ZIPLIST: u8 = 12;
    pub const HASH_ZIPLIST: u8 = 13;
    pub const LIST_QUICKLIST: u8 = 14;
    pub const STREAM_LISTPACKS: u8 = 15;
    pub const HASH_LISTPACK: u8 = 16;
    pub const ZSET_LISTPACK: u8 = 17;
    pub const LIST_QUICKLIST_2: u8 = 18;
    pub const STREAM_LISTPACKS_2: u8 = 19;
    pub const SET_LISTPACK: u8 = 20;
    pub const STREAM_LISTPACKS_3: u8 = 21;
}

/// One shard's keys of one database, serialized.
pub struct DbChunk {
    pub db: usize,
    pub keys: u64,
    pub volatile: u64,
    pub bytes: Vec<u8>,
}

/// Largest chunk: a chunk is started anew past this, so no buffer grows huge (doubling
/// a buffer of hundreds of MB on a shard's thread stalls it for the page faults).
pub const CHUNK_BYTES_MAX: usize = 1 << 20;

/// A chunk buffer's capacity: room for the last key past [`CHUNK_BYTES_MAX`], so a
/// chunk is allocated once instead of doubling (to twice the size it needs) as it fills.
pub const CHUNK_CAPACITY_BYTES: usize = CHUNK_BYTES_MAX + CHUNK_BYTES_MAX / 4;

/// The chunks one shard serializes for one database, each at most about
/// [`CHUNK_BYTES_MAX`].
pub struct DbChunks {
    db: usize,
    done: Vec<DbChunk>,
    current: DbChunk,
    /// Emptied buffers the file's writer hands back, reused before allocating.
    spare: Option<crossbeam::channel::Receiver<Vec<u8>>>,
}

impl DbChunks {
    pub fn new(db: usize) -> DbChunks {
        DbChunks {
            db,
            done: Vec::new(),
            current: DbChunk {
                db,
                keys: 0,
                volatile: 0,
                bytes: Vec::new(),
            },
            spare: None,
        }
    }

    /// Takes the next chunks' buffers from `spare` when it has one.
    pub fn set_spare(&mut self, spare: crossbeam::channel::Receiver<Vec<u8>>) {
        self.spare = Some(spare);
    }

    /// The full chunks so far (the one being filled stays).
    pub fn take_done(&mut self) -> std::vec::Drain<'_, DbChunk> {
        self.done.drain(..)
    }

    /// Serializes `e` unless it expired by `now_ms`.
    pub fn put(&mut self, e: &crate::storage::Entry, compress: bool, now_ms: u64) {
        if e.is_expired(now_ms) {
            return;
        }
        if self.current.bytes.capacity() == 0 {
            self.current.bytes = self
                .spare
                .as_ref()
                .and_then(|s| s.try_recv().ok())
                .unwrap_or_else(|| Vec::with_capacity(CHUNK_CAPACITY_BYTES));
        }
        let chunk = &mut self.current;
        let before = chunk.bytes.len();
        write::put_entry(
            &mut chunk.bytes,
            e.key(),
            e.value(),
            e.expire_at_ms(),
            compress,
        );
        if chunk.bytes.len() > before {
            chunk.keys += 1;
            chunk.volatile += (e.expire_at_ms() != 0) as u64;
        }
        if chunk.bytes.len() >= CHUNK_BYTES_MAX {
            let full = std::mem::replace(&mut self.current, DbChunks::new(self.db).current);
            self.done.push(full);
        }
    }

    /// The chunks that hold keys.
    pub fn finish(mut self) -> Vec<DbChunk> {
        self.done.push(self.current);
        self.done.retain(|c| c.keys > 0);
        self.done
    }
}

/// Serializes every live key of `shard` (runs on the shard, under the save's lock).
pub fn serialize_shard(shard: &Shard, compress: bool, now_ms: u64) -> Vec<DbChunk> {
    let mut out = Vec::new();
    for (db, d) in shard.dbs.iter().enumerate() {
        let mut chunks = DbChunks::new(db);
        for e in d.table.iter() {
            chunks.put(e, compress, now_ms);
        }
        out.extend(chunks.finish());
    }
    out
}

/// The whole file in memory (tests, DUMP-sized uses): [`emit`] into a vector.
pub fn assemble(chunks: Vec<Vec<DbChunk>>, used_mem: u64, now_secs: u64) -> Vec<u8> {
    let mut out = Vec::new();
    emit(&mut out, chunks, used_mem, now_secs, true).expect("writing to a vector cannot fail");
    out
}

/// A writer that keeps the CRC-64 of everything written through it.
pub(crate) struct Crc64Writer<W> {
    pub inner: W,
    pub crc: u64,
}

impl<W: Write> Write for Crc64Writer<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.crc = crc64::update(self.crc, &buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

/// The file's start: the magic with the version, then the AUX fields.
pub(crate) fn header(used_mem: u64, now_secs: u64) -> Vec<u8> {
    let mut head = Vec::new();
    head.extend_from_slice(format!("REDIS{RDB_VERSION:04}").as_bytes());
    write::put_aux(
        &mut head,
        "redis-ver",
        crate::commands::server::REDIS_VERSION.as_bytes(),
    );
    write::put_aux(&mut head, "redis-bits", b"64");
    write::put_aux(&mut head, "ctime", now_secs.to_string().as_bytes());
    write::put_aux(&mut head, "used-mem", used_mem.to_string().as_bytes());
    write::put_aux(&mut head, "aof-base", b"0");
    head
}

/// SELECTDB and RESIZEDB opening database `db`'s keys (the sizes are hints to loaders).
pub(crate) fn db_section(db: usize, keys: u64, volatile: u64) -> Vec<u8> {
    let mut section = vec![opcode::SELECTDB];
    write::put_len(&mut section, db as u64);
    section.push(opcode::RESIZEDB);
    write::put_len(&mut section, keys);
    write::put_len(&mut section, volatile);
    section
}

/// Writes an RDB file from the shards' chunks: header and AUX fields, then per database
/// SELECTDB, RESIZEDB and its chunks, EOF and the CRC-64 (eight zero bytes without
/// `checksum`, as Redis writes with `rdbchecksum no`, and loaders then skip the check).
/// Each chunk is dropped once written (BGSAVE streams its chunks instead: [`stream`]).
pub fn emit(
    out: &mut dyn Write,
    chunks: Vec<Vec<DbChunk>>,
    used_mem: u64,
    now_secs: u64,
    checksum: bool,
) -> std::io::Result<()> {
    let mut w = Crc64Writer { inner: out, crc: 0 };
    w.write_all(&header(used_mem, now_secs))?;
    let mut by_db: std::collections::BTreeMap<usize, Vec<DbChunk>> = Default::default();
    for c in chunks.into_iter().flatten() {
        by_db.entry(c.db).or_default().push(c);
    }
    for (db, parts) in by_db {
        let keys: u64 = parts.iter().map(|c| c.keys).sum();
        if keys == 0 {
            continue;
        }
        let volatile = parts.iter().map(|c| c.volatile).sum();
        w.write_all(&db_section(db, keys, volatile))?;
        for c in parts {
            w.write_all(&c.bytes)?;
        }
    }
    w.write_all(&[opcode::EOF])?;
    let crc = if checksum { w.crc } else { 0 };
    w.inner.write_all(&crc.to_le_bytes())
}

/// [`emit`] into `dir/name` the safe way: a temp file, fsynced, renamed into place.
pub fn save_chunks(
    dir: &Path,
    name: &str,
    chunks: Vec<Vec<DbChunk>>,
    used_mem: u64,
    now_secs: u64,
    checksum: bool,
) -> std::io::Result<()> {
    write_file_with(dir, name, |f| {
        let mut buffered = std::io::BufWriter::with_capacity(1 << 20, f);
        emit(&mut buffered, chunks, used_mem, now_secs, checksum)?;
        buffered.flush()
    })
}

pub fn write_file(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    write_file_with(dir, name, |f| f.write_all(bytes))
}

/// Writes `dir/name` through `fill`: a temp file, fsynced, renamed into place (a crash
/// at any moment leaves the old file or the new one, never a broken one).
fn write_file_with(
    dir: &Path,
    name: &str,
    fill: impl FnOnce(&mut std::fs::File) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let tmp = temp_path(dir, "");
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        fill(&mut f)?;
        f.sync_all()?;
        install(&tmp, dir, name)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A temp file name in `dir` no other write uses (`suffix` tells a save's parts apart).
pub(crate) fn temp_path(dir: &Path, suffix: &str) -> std::path::PathBuf {
    // Unique per write: a SAVE (DEBUG RELOAD) may run while a BGSAVE writes its file.
    static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let n = WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    dir.join(format!("temp-{}-{n}{suffix}.rdb", std::process::id()))
}

/// Renames the fsynced `tmp` to `dir/name` and fsyncs the directory.
pub(crate) fn install(tmp: &Path, dir: &Path, name: &str) -> std::io::Result<()> {
    std::fs::rename(tmp, dir.join(name))?;
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// What INFO persistence and LASTSAVE report, per server (keyed by run id, so servers
/// started in one process keep their own).
#[derive(Clone, Debug, Default)]
pub struct SaveStats {
    pub last_save_unix_secs: u64,
    pub last_status_ok: bool,
    pub saves: u64,
    pub last_load_keys_loaded: u64,
    pub last_load_keys_expired: u64,
    pub bgsave_in_progress: bool,
    pub bgsave_started_unix_secs: u64,
    /// Duration of the last BGSAVE (-1: none yet).
    pub last_bgsave_secs: i64,
    /// The dirty total (see [`rules`]) the last successful save captured.
    pub dirty_at_last_save: u64,
    /// The dirty total when the running BGSAVE was cut.
    pub dirty_at_bgsave_start: u64,
    pub last_bgsave_try_unix_secs: u64,
    /// Set while the dataset loads at startup.
    pub loading: Option<LoadProgress>,
}

/// INFO persistence's `loading_*` fields while the dataset loads.
#[derive(Clone, Debug, Default)]
pub struct LoadProgress {
    pub start_unix_secs: u64,
    pub total_bytes: u64,
    pub loaded_bytes: u64,
    /// The `used-mem` AUX field of the file (0 when absent).
    pub rdb_used_mem: u64,
}

static STATS: Mutex<Option<HashMap<String, SaveStats>>> = Mutex::new(None);

fn fresh(started_unix_secs: u64) -> SaveStats {
    SaveStats {
        last_save_unix_secs: started_unix_secs,
        last_status_ok: true,
        last_bgsave_secs: -1,
        ..SaveStats::default()
    }
}

pub fn stats(run_id: &str, started_unix_secs: u64) -> SaveStats {
    let g = STATS.lock().unwrap_or_else(|e| e.into_inner());
    g.as_ref()
        .and_then(|m| m.get(run_id).cloned())
        .unwrap_or_else(|| fresh(started_unix_secs))
}

/// Changes the stats of a server; returns what `f` returns.
pub fn update_stats<R>(
    run_id: &str,
    started_unix_secs: u64,
    f: impl FnOnce(&mut SaveStats) -> R,
) -> R {
    let mut g = STATS.lock().unwrap_or_else(|e| e.into_inner());
    let m = g.get_or_insert_with(HashMap::new);
    f(m.entry(run_id.to_string())
        .or_insert_with(|| fresh(started_unix_secs)))
}

/// Redis's log lines after a successful load.
pub fn log_loaded(stats: &read::LoadStats, elapsed: std::time::Duration) {
    tracing::info!(
        "Loading RDB produced by version {} (RDB version {})",
        stats.redis_ver.as_deref().unwrap_or("unknown"),
        stats.version
    );
    tracing::info!(
        "RDB memory usage when created {:.2} Mb",
        stats.used_mem as f64 / (1024.0 * 1024.0)
    );
    tracing::info!(
        "Done loading RDB, keys loaded: {}, keys expired: {}.",
        stats.keys_loaded,
        stats.keys_expired
    );
    tracing::info!("DB loaded from disk: {:.3} seconds", elapsed.as_secs_f64());
}

/// Keys read from a file at startup, per shard: `(db, key, value, expire_ms)`.
pub type Loaded = Vec<Vec<(usize, Vec<u8>, crate::storage::Value, u64)>>;

/// Reads `dir/dbfilename` for a server of `shards_count` shards. A missing file is an
/// empty dataset; a corrupt or truncated one is an error naming the cause.
pub fn load_startup(
    settings: &crate::config::Settings,
    shards_count: usize,
) -> Result<(Loaded, read::LoadStats), String> {
    let mut loaded: Loaded = (0..shards_count).map(|_| Vec::new()).collect();
    let path = settings.dir.join(&settings.dbfilename);
    let bytes = match std::fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Ok((loaded, read::LoadStats::default()));
        }
        Err(e) => {
            return Err(format!(
                "Fatal error loading the DB {}: {e}. Exiting.",
                path.display()
            ));
        }
    };
    let started = std::time::Instant::now();
    let now_ms = crate::shard::now_ms();
    let stats = read::load(
        &bytes,
        &settings.encodings,
        settings.databases,
        now_ms,
        |db, k, v, exp| {
            let s = crate::util::slot::key_shard(&k, shards_count);
            loaded[s].push((db, k, v, exp));
        },
    )
    .map_err(|e| {
        format!(
            "Fatal error loading the DB {}: {e}. Exiting.",
            path.display()
        )
    })?;
    log_loaded(&stats, started.elapsed());
    Ok((loaded, stats))
}

#[cfg(test)]
mod tests;
