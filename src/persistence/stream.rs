//! A BGSAVE's file, written while the shards still produce it: each shard hands every
//! full chunk ([`super::DbChunk`], about 1 MiB) to a [`Sink`] and the writer thread
//! appends it to the file at once, so the serialized dataset is never held in memory.
//!
//! The format groups keys per database, while chunks of every database arrive from
//! every shard interleaved. The lowest database with keys at the cut is written straight
//! into the file (its RESIZEDB carries the cut-time sizes, which are hints to loaders);
//! any other database's chunks go to a spool file of their own, appended with their
//! SELECTDB/RESIZEDB at the end. A single-database dataset (the usual one) is written
//! once. The file is the usual temp file, written around the page cache where the
//! filesystem allows ([`super::direct`]), fsynced and renamed into place; on any failure
//! the temp and spool files are removed and `dir/name` is left as it was.
//!
//! Backpressure: sending never blocks (the before-change hook runs inside a client's
//! write), but the bytes in flight are counted and the walker pauses while they exceed
//! [`QUEUE_BYTES_MAX`]; what the hook adds meanwhile is bounded by the rate of writes.
//! The shards serialize without LZF (a copy, so preserving a segment about to change is
//! quick); the writer compresses ([`super::write::recompress`]) when the file should be,
//! unless it is behind: then chunks are written as they are, so that a write load that
//! touches every segment at once costs a fast copy to the file, not a dataset in memory.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crossbeam::channel::{Receiver, Sender};

use super::direct::DirectFile;
use super::{Crc64Writer, DbChunk, db_section, header, install, opcode, temp_path, write};

/// Serialized bytes sent but not yet written above which the walker pauses.
pub const QUEUE_BYTES_MAX: usize = 4 << 20;
/// Emptied chunk buffers kept for reuse (fresh ones would be paged in anew): about
/// what the queue holds at its limit plus one in the making per shard; more only adds to
/// the save's memory.
const SPARE_BUFFERS_MAX: usize = 8;
/// Buffers ready before the first chunk (about 1.25 MiB each).
const PREFAULTED_BUFFERS: usize = 4;
/// Bytes the file's writer gathers per direct write (whole blocks; see [`DirectFile`]).
const DIRECT_BUFFER_BYTES: usize = 1 << 20;
/// Written through the page cache (no `O_DIRECT`), writeback of the file is started
/// every this many bytes (as Redis's `rdb-save-incremental-fsync`), so the dirty page
/// cache and the final fsync stay small.
/// Started, not waited for: waiting held the writer to the disk's pace while the hook's
/// copies piled up in the queue.
const WRITEBACK_EVERY_BYTES: u64 = 8 << 20;

/// A database's keys and keys with a deadline, at the cut.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DbSize {
    pub keys: u64,
    pub volatile: u64,
}

enum Msg {
    Chunk(DbChunk),
    /// Every database's sizes at the cut, summed over the shards.
    Sizes(Vec<DbSize>),
    /// Every chunk was sent: complete the file.
    Finish,
}

/// What a save's file holds besides keys.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub compress: bool,
    pub used_mem: u64,
    pub now_secs: u64,
    /// Write the CRC-64 trailer (`rdbchecksum yes`); else eight zero bytes, which
    /// loaders take as "not checked", as Redis does.
    pub checksum: bool,
    /// Fails the write past this many bytes of the file (tests of the cleanup).
    pub fail_after_bytes: u64,
    /// Run the writer only on CPU time no other thread wants (`SCHED_IDLE`), for when
    /// every core has a shard thread; else at nice 19, free to use a spare core.
    pub idle_time_only: bool,
}

impl Options {
    pub fn new(compress: bool, used_mem: u64, now_secs: u64) -> Options {
        Options {
            compress,
            used_mem,
            now_secs,
            checksum: true,
            fail_after_bytes: u64::MAX,
            idle_time_only: false,
        }
    }
}

/// The shards' (and the coordinator's) end of a save's writer; clones share it.
#[derive(Clone)]
pub struct Sink {
    tx: Sender<Msg>,
    queued_bytes: Arc<AtomicUsize>,
    spare: Receiver<Vec<u8>>,
}

impl Sink {
    /// Queues a chunk for the file; never blocks.
    pub fn send(&self, chunk: DbChunk) {
        self.queued_bytes
            .fetch_add(chunk.bytes.len(), Ordering::Relaxed);
        // A writer that is gone has failed and reports it; the chunk is dropped.
        let _ = self.tx.send(Msg::Chunk(chunk));
    }

    /// True while the writer is behind by more than [`QUEUE_BYTES_MAX`].
    pub fn congested(&self) -> bool {
        self.queued_bytes.load(Ordering::Relaxed) > QUEUE_BYTES_MAX
    }

    /// Buffers the writer emptied, for the shards' next chunks.
    pub fn spare(&self) -> Receiver<Vec<u8>> {
        self.spare.clone()
    }

    /// Tells the writer the databases' sizes at the cut (once, before or after chunks).
    pub fn sizes(&self, sizes: Vec<DbSize>) {
        let _ = self.tx.send(Msg::Sizes(sizes));
    }

    /// Every chunk was sent: the writer completes the file and reports.
    pub fn finish(self) {
        let _ = self.tx.send(Msg::Finish);
    }
}

/// Starts the writer thread for `dir/name`; `done` gets the outcome (on that thread).
/// Dropping every [`Sink`] without [`Sink::finish`] abandons the save.
pub fn start(
    dir: &Path,
    name: &str,
    options: Options,
    done: impl FnOnce(std::io::Result<()>) + Send + 'static,
) -> std::io::Result<Sink> {
    let (tx, rx) = crossbeam::channel::unbounded();
    let (spare_tx, spare) = crossbeam::channel::bounded(SPARE_BUFFERS_MAX);
    let queued_bytes = Arc::new(AtomicUsize::new(0));
    let mut writer = FileWriter {
        dir: dir.to_path_buf(),
        name: name.to_string(),
        tmp: temp_path(dir, ""),
        options,
        rx,
        spare: spare_tx,
        queued_bytes: queued_bytes.clone(),
        spools: BTreeMap::new(),
        recompressed: Vec::new(),
    };
    std::thread::Builder::new()
        .name("shoal-bgsave".into())
        .spawn(move || {
            unpin_thread();
            if options.idle_time_only {
                crate::runtime::run_this_thread_only_when_idle();
            } else {
                crate::runtime::lower_this_thread_priority();
            }
            writer.prefault();
            done(writer.run())
        })?;
    Ok(Sink {
        tx,
        queued_bytes,
        spare,
    })
}

/// A database's keys kept aside until the file's first database is complete.
struct Spool {
    path: PathBuf,
    file: BufWriter<File>,
    keys: u64,
    volatile: u64,
}

/// The file being written, with the running CRC and the bytes since the last sync.
struct Out {
    w: Crc64Writer<DirectFile>,
    written_bytes: u64,
    unsynced_bytes: u64,
    fail_after_bytes: u64,
}

impl Out {
    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.written_bytes += bytes.len() as u64;
        if self.written_bytes > self.fail_after_bytes {
            return Err(std::io::Error::other("injected write failure"));
        }
        self.w.write_all(bytes)?;
        self.unsynced_bytes += bytes.len() as u64;
        // Direct writes leave no dirty pages behind; written through the page cache, the
        // file is handed to the disk a little at a time.
        if self.unsynced_bytes >= WRITEBACK_EVERY_BYTES && !self.w.inner.is_direct() {
            self.w.inner.flush()?;
            start_writeback(
                self.w.inner.get_ref(),
                self.written_bytes,
                self.unsynced_bytes,
            );
            self.unsynced_bytes = 0;
        }
        Ok(())
    }
}

/// Lets the calling thread run on any core the process may use. A thread inherits its
/// creator's affinity, and the save is started from a shard's thread, which may be pinned
/// to one core: the writer then took turns with that shard alone while other cores idled.
fn unpin_thread() {
    // SAFETY: cpu_set_t is plain bits, valid zeroed; CPU_SET only writes inside it for
    // indexes below CPU_SETSIZE; sched_setaffinity(0, ..) reads it for this thread (the
    // kernel keeps the cores the process's cpuset allows; failure leaves the affinity).
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        for cpu in 0..libc::CPU_SETSIZE as usize {
            libc::CPU_SET(cpu, &mut set);
        }
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

/// Starts writing the `bytes` before `end` of `file` to disk, without waiting (a hint:
/// the final fsync is what makes the file durable, so a failure here is ignored).
fn start_writeback(file: &File, end: u64, bytes: u64) {
    use std::os::fd::AsRawFd;
    let start = end.saturating_sub(bytes) as libc::off64_t;
    // SAFETY: a plain syscall on an open descriptor this function borrows; no memory is
    // passed.
    unsafe {
        libc::sync_file_range(
            file.as_raw_fd(),
            start,
            bytes as libc::off64_t,
            libc::SYNC_FILE_RANGE_WRITE,
        );
    }
}

struct FileWriter {
    dir: PathBuf,
    name: String,
    tmp: PathBuf,
    options: Options,
    rx: Receiver<Msg>,
    spare: Sender<Vec<u8>>,
    queued_bytes: Arc<AtomicUsize>,
    spools: BTreeMap<usize, Spool>,
    /// The compressed form of the chunk at hand (reused).
    recompressed: Vec<u8>,
}

impl FileWriter {
    /// Readies the first chunks' buffers, paged in on this thread rather than by a
    /// shard's first copy inside a client's write.
    fn prefault(&self) {
        for _ in 0..PREFAULTED_BUFFERS {
            let mut b = Vec::with_capacity(super::CHUNK_CAPACITY_BYTES);
            // Not zeros: a zeroed allocation may map its pages lazily, untouched.
            b.resize(super::CHUNK_CAPACITY_BYTES, 1u8);
            b.clear();
            let _ = self.spare.try_send(b);
        }
    }

    fn run(&mut self) -> std::io::Result<()> {
        let result = self.write();
        if result.is_err() {
            // Keep receiving until the shards are done, so none waits on a full queue.
            while let Ok(msg) = self.rx.recv() {
                match msg {
                    Msg::Chunk(c) => self.written(c),
                    Msg::Finish => break,
                    Msg::Sizes(_) => {}
                }
            }
            let _ = std::fs::remove_file(&self.tmp);
        }
        for s in std::mem::take(&mut self.spools).into_values() {
            let _ = std::fs::remove_file(&s.path);
        }
        result
    }

    fn write(&mut self) -> std::io::Result<()> {
        let mut out = Out {
            w: Crc64Writer {
                inner: DirectFile::create(&self.tmp, DIRECT_BUFFER_BYTES)?,
                crc: 0,
            },
            written_bytes: 0,
            unsynced_bytes: 0,
            fail_after_bytes: self.options.fail_after_bytes,
        };
        out.put(&header(self.options.used_mem, self.options.now_secs))?;
        let mut early = Vec::new();
        let sizes = loop {
            match self.rx.recv() {
                Ok(Msg::Sizes(s)) => break s,
                Ok(Msg::Chunk(c)) => early.push(c),
                Ok(Msg::Finish) | Err(_) => return Err(abandoned()),
            }
        };
        let first_db = sizes.iter().position(|s| s.keys > 0);
        if let Some(db) = first_db {
            out.put(&db_section(db, sizes[db].keys, sizes[db].volatile))?;
        }
        for c in early {
            self.put(&mut out, c, first_db)?;
        }
        loop {
            match self.rx.recv() {
                Ok(Msg::Chunk(c)) => self.put(&mut out, c, first_db)?,
                Ok(Msg::Sizes(_)) => {}
                Ok(Msg::Finish) => break,
                Err(_) => return Err(abandoned()),
            }
        }
        self.append_spools(&mut out)?;
        out.put(&[opcode::EOF])?;
        let crc = if self.options.checksum { out.w.crc } else { 0 };
        let mut file = out.w.inner;
        file.write_all(&crc.to_le_bytes())?;
        file.finish()?.sync_all()?;
        install(&self.tmp, &self.dir, &self.name)
    }

    /// Writes a chunk to the file (its database is the first) or to its spool.
    fn put(&mut self, out: &mut Out, c: DbChunk, first_db: Option<usize>) -> std::io::Result<()> {
        // Behind the shards (writes preserving segments faster than LZF runs), the
        // writer copies instead: the queue, which is memory, stays short; the strings
        // are written plain (any loader reads both).
        let behind = self.queued_bytes.load(Ordering::Relaxed) > QUEUE_BYTES_MAX;
        self.recompressed.clear();
        let shortened = self.options.compress
            && !behind
            && write::recompress(&c.bytes, &mut self.recompressed)
                .map_err(std::io::Error::other)?;
        let bytes = if shortened {
            &self.recompressed[..]
        } else {
            &c.bytes[..]
        };
        if Some(c.db) == first_db {
            out.put(bytes)?;
        } else {
            let spool = match self.spools.entry(c.db) {
                std::collections::btree_map::Entry::Occupied(o) => o.into_mut(),
                std::collections::btree_map::Entry::Vacant(v) => {
                    let path = temp_path(&self.dir, &format!("-db{}", c.db));
                    let file = File::options()
                        .read(true)
                        .write(true)
                        .create_new(true)
                        .open(&path)?;
                    v.insert(Spool {
                        path,
                        file: BufWriter::with_capacity(super::CHUNK_BYTES_MAX, file),
                        keys: 0,
                        volatile: 0,
                    })
                }
            };
            spool.file.write_all(bytes)?;
            spool.keys += c.keys;
            spool.volatile += c.volatile;
        }
        self.written(c);
        Ok(())
    }

    /// A chunk is out of the queue: count it, and hand its buffer back for reuse.
    fn written(&mut self, mut c: DbChunk) {
        self.queued_bytes
            .fetch_sub(c.bytes.len(), Ordering::Relaxed);
        if c.bytes.capacity() == super::CHUNK_CAPACITY_BYTES {
            c.bytes.clear();
            let _ = self.spare.try_send(c.bytes);
        }
    }

    /// Every other database, in order: SELECTDB/RESIZEDB (exact sizes by now), its keys.
    fn append_spools(&mut self, out: &mut Out) -> std::io::Result<()> {
        let mut buf = vec![0u8; super::CHUNK_BYTES_MAX];
        // Popped one at a time: on a failure the rest stay listed, for `run` to remove.
        while let Some((db, spool)) = self.spools.pop_first() {
            let result = (|| -> std::io::Result<()> {
                let mut file = spool.file.into_inner().map_err(|e| e.into_error())?;
                if spool.keys == 0 {
                    return Ok(());
                }
                out.put(&db_section(db, spool.keys, spool.volatile))?;
                file.rewind()?;
                loop {
                    let n = file.read(&mut buf)?;
                    if n == 0 {
                        return Ok(());
                    }
                    out.put(&buf[..n])?;
                }
            })();
            let _ = std::fs::remove_file(&spool.path);
            result?;
        }
        Ok(())
    }
}

fn abandoned() -> std::io::Error {
    std::io::Error::other("the save was abandoned before it completed")
}

#[cfg(test)]
#[path = "stream_tests.rs"]
mod tests;
