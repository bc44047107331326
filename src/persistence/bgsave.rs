//! BGSAVE without fork: a point-in-time cut of every table ([`crate::storage::Table`]'s
//! `begin_cut`), begun on every shard at one point of the transaction order. Each shard
//! then writes out its untouched segments in short steps (one message round trip per
//! step, each at most [`STEP_BUDGET`]; while clients keep a shard busy the walker rests
//! six times as long as each step, so it takes at most a seventh of the shard), while the
//! before-change hook serializes any entry a write is about to change, as it was at the
//! cut (one entry: when a segment's slots move, the marks of what was handed out move
//! with them). Every full chunk goes at once to the file's writer thread ([`stream`]), which
//! appends it to the file; the walker pauses while the writer is behind, the hook never
//! waits. Shards serialize without LZF (a copy); the writer compresses. FLUSHALL and
//! SHUTDOWN [`abandon`] a running save, as Redis kills its saving child; FLUSHDB leaves
//! the cleared segments to the walker (see [`crate::storage::Table::clear`]).

use std::cell::RefCell;
use std::path::PathBuf;
use std::rc::Rc;
use std::time::{Duration, Instant};

use super::DbChunks;
use super::stream::{self, DbSize, Sink};
use crate::runtime::oneshot::OneShot;
use crate::shard::Shard;
use crate::shard::set::ShardSet;

/// Longest a walker step serializes before the shard serves clients again (it stops
/// between pieces of at most 32 entries, see [`crate::storage::WALK_ENTRIES_PER_CALL`]:
/// 32 values of 1 KB are about 15 us of copying). Short, because every command that
/// arrives during a step waits for it: at 6M keys of 1 KB under SET -c 20, the p99
/// during a save was 1.30-1.61 ms with 250 us steps resting 3x, 0.98-1.10 ms with 60 us
/// steps resting 6x (four runs each; 0.44-0.57 ms without a save). 30 us steps did no
/// better (0.96, 1.18 ms) and cost more round trips.
pub const STEP_BUDGET: Duration = Duration::from_micros(60);
/// The coordinator's wait before the next step while the writer is behind.
const CONGESTED_PAUSE: Duration = Duration::from_millis(1);
/// While clients keep a shard busy, the walker rests this many times as long as its
/// last step took: it then takes at most a seventh of the shard's time (the save of 6M
/// keys took 12.8-14.0 s instead of 10.1-13.1 s with 3x), and a command arriving
/// during a step waits at most [`STEP_BUDGET`].
const PAUSE_PER_STEP_TIME: u32 = 6;
/// The coordinator's wait between steps when no shard ran a command since the last
/// one: long enough for the executor to poll for I/O, so a client that arrives is
/// noticed at the next step. (A step for this thread's own shard runs inline, without
/// a hop, so without a pause the walk would never let the executor poll.)
const IDLE_PAUSE: Duration = Duration::from_micros(20);

struct CutState {
    /// Database `i`'s table was cut at epoch `epoch_base + i`: tables move between
    /// indexes (SWAPDB) during a cut, and their epoch says which database they were.
    epoch_base: u64,
    now_ms: u64,
    chunks: Vec<DbChunks>,
    /// Each database's sizes at the cut (RESIZEDB's hints).
    sizes: Vec<DbSize>,
    /// The file's writer, once the coordinator started it; full chunks wait until then.
    sink: Option<Sink>,
    /// The writer could not start: chunks are dropped instead of waiting.
    discard: bool,
    /// The shard's `commands_processed` at its last walker step.
    commands_at_step: u64,
    /// FLUSHALL abandoned the save ([`abandon`]): the cut is over, nothing more is sent.
    abandoned: bool,
}

thread_local! {
    static CUT: RefCell<Option<CutState>> = const { RefCell::new(None) };
}

fn serialize_into(db: usize, entries: &mut dyn Iterator<Item = &crate::storage::Entry>) {
    CUT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(st) = c.as_mut() else { return };
        let now_ms = st.now_ms;
        let Some(chunks) = st.chunks.get_mut(db) else {
            return;
        };
        for e in entries {
            chunks.put(e, false, now_ms);
        }
        if let Some(sink) = &st.sink {
            chunks.take_done().for_each(|c| sink.send(c));
        } else if st.discard {
            chunks.take_done().for_each(drop);
        }
    });
}

/// Begins the cut on every database of `shard` (run under the save's whole-shard lock).
/// `_compress` is applied by the file's writer ([`write_out`]).
pub fn begin(shard: &mut Shard, _compress: bool, now_ms: u64) {
    let chunks = (0..shard.dbs.len()).map(DbChunks::new).collect();
    let sizes = shard
        .dbs
        .iter()
        .map(|d| DbSize {
            keys: d.table.len() as u64,
            volatile: d.table.volatile_len() as u64,
        })
        .collect();
    let epoch_base = shard.dbs.iter().map(|d| d.table.epoch()).max().unwrap_or(0) + 1;
    CUT.with(|c| {
        *c.borrow_mut() = Some(CutState {
            epoch_base,
            now_ms,
            chunks,
            sizes,
            sink: None,
            discard: false,
            commands_at_step: shard.stats.commands_processed,
            abandoned: false,
        })
    });
    for (db, d) in shard.dbs.iter_mut().enumerate() {
        // Epochs only need to grow; each table skips to its database's own.
        while d
            .table
            .begin_cut(Box::new(move |entries| serialize_into(db, entries)))
            < epoch_base + db as u64
        {}
    }
}

/// Connects the shard's cut to the file's writer (`None`: it could not start, the keys
/// are dropped); returns the databases' sizes at the cut.
pub fn attach(_shard: &mut Shard, sink: Option<Sink>) -> Vec<DbSize> {
    CUT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(st) = c.as_mut() else {
            return Vec::new();
        };
        if st.abandoned {
            // Abandoned between the cut and this: it stays unlinked.
            return st.sizes.clone();
        }
        if let Some(sink) = &sink {
            for chunks in &mut st.chunks {
                chunks.set_spare(sink.spare());
                chunks.take_done().for_each(|c| sink.send(c));
            }
        }
        st.discard = sink.is_none();
        st.sink = sink;
        st.sizes.clone()
    })
}

/// The database a table was when the cut began.
fn cut_db(epoch: u64) -> usize {
    CUT.with(|c| {
        c.borrow()
            .as_ref()
            .map_or(0, |st| epoch.saturating_sub(st.epoch_base) as usize)
    })
}

fn congested() -> bool {
    CUT.with(|c| {
        c.borrow()
            .as_ref()
            .and_then(|st| st.sink.as_ref())
            .is_some_and(Sink::congested)
    })
}

/// What one walker step on one shard found.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// Every segment is written out.
    pub done: bool,
    /// The shard ran commands since its previous step.
    pub busy: bool,
    /// The save was abandoned on this shard ([`abandon`]).
    pub abandoned: bool,
    /// Keys the walker handed out in this step.
    pub keys: u64,
}

/// Abandons this shard's part of a running save, as FLUSHALL does (Redis kills its
/// saving child): the cut ends, what the shard serialized and had not sent is dropped,
/// and its link to the writer too; the coordinator then abandons the file
/// ([`write_out`] fails with [`Abandoned`]). Nothing when no save is running.
pub fn abandon(shard: &mut Shard) {
    let running = CUT.with(|c| {
        let mut c = c.borrow_mut();
        let Some(st) = c.as_mut() else { return false };
        st.abandoned = true;
        st.sink = None;
        st.discard = true;
        st.chunks.clear();
        true
    });
    if running {
        for d in shard.dbs.iter_mut() {
            d.table.end_cut();
        }
    }
}

/// Why a save that FLUSHALL or SHUTDOWN abandoned failed: not an error of the save (as Redis
/// ignores the signal it kills its child with, the last save's status stays).
#[derive(Debug)]
pub struct Abandoned;

impl std::fmt::Display for Abandoned {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the save was abandoned (FLUSHALL or SHUTDOWN)")
    }
}

impl std::error::Error for Abandoned {}

/// Whether a save failed only because it was abandoned.
pub fn was_abandoned(e: &std::io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<Abandoned>())
}

/// Writes out segments for up to `budget` ([`STEP_BUDGET`]; zero: one piece), none
/// while the writer is behind.
pub fn step(shard: &mut Shard, budget: Duration) -> Step {
    let commands = shard.stats.commands_processed;
    let (before, abandoned) = CUT.with(|c| {
        c.borrow_mut().as_mut().map_or((commands, false), |st| {
            let before = std::mem::replace(&mut st.commands_at_step, commands);
            (before, st.abandoned)
        })
    });
    let (done, keys) = if abandoned {
        (true, 0)
    } else {
        step_within(shard, budget)
    };
    Step {
        done,
        busy: commands != before,
        abandoned,
        keys,
    }
}

/// The coordinator's rest after a round of steps that took `spent`.
fn pause_after(steps: &[Step], spent: Duration, congested: bool) -> Duration {
    if congested {
        CONGESTED_PAUSE
    } else if steps.iter().any(|s| s.busy) {
        (spent * PAUSE_PER_STEP_TIME).max(IDLE_PAUSE)
    } else {
        IDLE_PAUSE
    }
}

/// [`step`]'s walk: whether every segment is written out, and the keys handed out.
fn step_within(shard: &mut Shard, budget: Duration) -> (bool, u64) {
    if congested() {
        return (false, 0);
    }
    let started = Instant::now();
    let mut keys = 0u64;
    for d in shard.dbs.iter_mut() {
        let db = cut_db(d.table.epoch());
        while d
            .table
            .write_out_next(&mut |entries| serialize_into(db, &mut entries.inspect(|_| keys += 1)))
        {
            if started.elapsed() >= budget || congested() {
                return (false, keys);
            }
        }
    }
    (true, keys)
}

/// Redis's hidden `rdb-key-save-delay` (test suites slow a save down with it to act
/// while it runs): the wait after `keys` keys were written out, at `delay_us`
/// microseconds per key, or when negative one microsecond every `-delay_us` keys
/// (`carry` holds the keys not yet waited for between calls).
fn key_save_delay(delay_us: i64, keys: u64, carry: &mut u64) -> Duration {
    if delay_us >= 0 {
        return Duration::from_micros(keys.saturating_mul(delay_us as u64));
    }
    let every = delay_us.unsigned_abs();
    *carry += keys;
    let us = *carry / every;
    *carry %= every;
    Duration::from_micros(us)
}

/// Whether the save was abandoned on any shard.
async fn abandoned_anywhere(shards: &ShardSet) -> bool {
    let abandoned = shards
        .run_on_all(|_| CUT.with(|c| c.borrow().as_ref().is_some_and(|st| st.abandoned)))
        .await;
    abandoned.contains(&true)
}

/// The coordinator's rest of `pause`; a long one (a key-save delay) ends early when
/// the save is abandoned, so FLUSHALL does not wait it out.
async fn rest(shards: &ShardSet, pause: Duration) {
    const SLICE: Duration = Duration::from_millis(10);
    let until = Instant::now() + pause;
    loop {
        let left = until.saturating_duration_since(Instant::now());
        crate::runtime::sleep(left.min(SLICE)).await;
        if left <= SLICE || abandoned_anywhere(shards).await {
            return;
        }
    }
}

/// Ends the cut and sends what this shard still holds to the writer; true when the
/// save had been abandoned on this shard.
pub fn finish(shard: &mut Shard) -> bool {
    for d in shard.dbs.iter_mut() {
        d.table.end_cut();
    }
    let Some(st) = CUT.with(|c| c.borrow_mut().take()) else {
        return false;
    };
    if st.abandoned {
        return true;
    }
    let Some(sink) = st.sink else {
        return false;
    };
    for chunks in st.chunks {
        chunks.finish().into_iter().for_each(|c| sink.send(c));
    }
    false
}

/// Completes the cut [`begin`] started on every shard into `dir/name`: starts the
/// writer thread, walks every shard's segments, ends the cut and waits for the file.
pub async fn write_out(
    shards: Rc<ShardSet>,
    dir: PathBuf,
    name: String,
    (compress, checksum): (bool, bool),
    (idle_time_only, key_save_delay_us): (bool, i64),
    now_ms: u64,
) -> std::io::Result<()> {
    let cell = OneShot::new();
    let done = cell.clone();
    let options = stream::Options {
        checksum,
        idle_time_only,
        ..stream::Options::new(compress, crate::alloc::used_bytes(), now_ms / 1000)
    };
    let sink = stream::start(&dir, &name, options, move |r| done.complete(r));
    let for_shards = sink.as_ref().ok().cloned();
    let per_shard = shards
        .run_on_all(move |s| attach(s, for_shards.clone()))
        .await;
    let mut sizes = vec![DbSize::default(); per_shard.iter().map(Vec::len).max().unwrap_or(0)];
    for (db, s) in per_shard.iter().flat_map(|v| v.iter().enumerate()) {
        sizes[db].keys += s.keys;
        sizes[db].volatile += s.volatile;
    }
    if let Ok(sink) = &sink {
        sink.sizes(sizes);
    }
    // A delayed save walks a piece at a time, then waits for the keys it wrote.
    let budget = if key_save_delay_us == 0 {
        STEP_BUDGET
    } else {
        Duration::ZERO
    };
    let mut delay_carry = 0;
    loop {
        let started = Instant::now();
        let steps = shards.run_on_all(move |s| step(s, budget)).await;
        if steps.iter().all(|s| s.done) {
            break;
        }
        let congested = sink.as_ref().is_ok_and(Sink::congested);
        let keys = steps.iter().map(|s| s.keys).sum();
        let pause = pause_after(&steps, started.elapsed(), congested).max(key_save_delay(
            key_save_delay_us,
            keys,
            &mut delay_carry,
        ));
        rest(&shards, pause).await;
    }
    // A shard abandoned before its finish may have dropped chunks: the file is not the
    // cut. (Abandoned after every finish, the file is complete and stands.)
    let abandoned = shards.run_on_all(finish).await.contains(&true);
    let sink = sink?;
    if abandoned {
        // Dropping the last link makes the writer remove its temp file; waiting for
        // that keeps it from racing the next save's.
        drop(sink);
        let _ = cell.wait().await;
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            Abandoned,
        ));
    }
    sink.finish();
    cell.wait().await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::storage::{Entry, Value};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    fn shard() -> Shard {
        let config = crate::config::Config::from_args(&[]).unwrap().0;
        Shard::new(0, 1, Arc::new(config.settings().clone()))
    }

    fn key(i: usize) -> Vec<u8> {
        format!("key:{i}").into_bytes()
    }

    /// Starts the file's writer into a fresh directory and attaches the shard's cut.
    fn attach_writer(
        s: &mut Shard,
        compress: bool,
    ) -> (
        PathBuf,
        Sink,
        std::sync::mpsc::Receiver<std::io::Result<()>>,
    ) {
        static N: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = N.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let dir = std::env::temp_dir().join(format!("shoal-bgsave-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        let options = stream::Options::new(compress, 0, 0);
        let sink = stream::start(&dir, "dump.rdb", options, move |r| tx.send(r).unwrap()).unwrap();
        let sizes = attach(s, Some(sink.clone()));
        sink.sizes(sizes);
        (dir, sink, rx)
    }

    /// Ends the cut, completes the file and loads it: `(db, key) -> int value`.
    fn finish_and_load(
        s: &mut Shard,
        (dir, sink, rx): (
            PathBuf,
            Sink,
            std::sync::mpsc::Receiver<std::io::Result<()>>,
        ),
    ) -> BTreeMap<(usize, Vec<u8>), i64> {
        finish(s);
        sink.finish();
        rx.recv().unwrap().unwrap();
        let file = std::fs::read(dir.join("dump.rdb")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        let mut got = BTreeMap::new();
        super::super::read::load(&file, &Default::default(), 16, 1000, |db, k, v, _| {
            let Value::Int(n) = v else {
                panic!("not an int")
            };
            assert!(got.insert((db, k), n).is_none(), "a key written twice");
        })
        .unwrap();
        got
    }

    /// A step reports the shard busy only when it ran commands since the step before.
    #[test]
    fn steps_see_whether_clients_kept_the_shard_busy() {
        let mut s = shard();
        for i in 0..3000 {
            s.dbs[0].table.insert(Entry::new(&key(i), Value::Int(1)));
        }
        begin(&mut s, true, 1000);
        let writer = attach_writer(&mut s, true);
        assert!(
            !step(&mut s, STEP_BUDGET).busy,
            "no command ran since the cut began"
        );
        s.stats.commands_processed += 1;
        assert!(step(&mut s, STEP_BUDGET).busy);
        assert!(!step(&mut s, STEP_BUDGET).busy);
        while !step(&mut s, STEP_BUDGET).done {}
        assert_eq!(finish_and_load(&mut s, writer).len(), 3000);
    }

    /// The walker rests 6x its step while clients are busy, briefly when they are not,
    /// and longest while the writer is behind.
    #[test]
    fn the_walker_rests_in_proportion_to_its_steps_under_load() {
        let step = |busy| Step {
            done: false,
            busy,
            abandoned: false,
            keys: 1,
        };
        let spent = Duration::from_micros(200);
        let busy = [step(false), step(true)];
        let idle = [step(false), step(false)];
        assert_eq!(pause_after(&busy, spent, false), spent * 6);
        assert_eq!(pause_after(&idle, spent, false), IDLE_PAUSE);
        assert_eq!(pause_after(&busy, Duration::ZERO, false), IDLE_PAUSE);
        assert_eq!(pause_after(&idle, spent, true), CONGESTED_PAUSE);
    }

    /// A save abandoned before the writer is attached, or after steps, stays abandoned:
    /// the shard reports it, sends nothing more, and the writer, let go, leaves no file.
    #[test]
    fn an_abandoned_save_stays_abandoned() {
        for attached_first in [false, true] {
            let mut s = shard();
            for i in 0..3000 {
                s.dbs[0].table.insert(Entry::new(&key(i), Value::Int(1)));
            }
            begin(&mut s, true, 1000);
            let early = attached_first.then(|| attach_writer(&mut s, true));
            if attached_first {
                assert!(!step(&mut s, Duration::ZERO).done);
            }
            abandon(&mut s);
            let (dir, sink, result) = early.unwrap_or_else(|| attach_writer(&mut s, true));
            let st = step(&mut s, STEP_BUDGET);
            assert!(st.done && st.abandoned && st.keys == 0);
            assert!(finish(&mut s), "attached first: {attached_first}");
            drop(sink);
            assert!(result.recv().unwrap().is_err());
            assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
            let _ = std::fs::remove_dir_all(&dir);
        }
    }

    /// `rdb-key-save-delay`: per key when positive; when negative one microsecond every
    /// that many keys, counted across steps.
    #[test]
    fn the_key_save_delay_is_per_key_or_every_so_many_keys() {
        let mut carry = 0;
        assert_eq!(key_save_delay(0, 32, &mut carry), Duration::ZERO);
        assert_eq!(
            key_save_delay(250, 32, &mut carry),
            Duration::from_micros(8000)
        );
        let waits: Vec<u128> = [30, 30, 30, 5, 5]
            .iter()
            .map(|&keys| key_save_delay(-40, keys, &mut carry).as_micros())
            .collect();
        assert_eq!(waits, [0, 1, 1, 0, 0]);
        assert_eq!(carry, 20);
    }

    /// Writes, deletes, SWAPDB and FLUSHDB during the cut: the file holds the data as
    /// it was when the cut began.
    #[test]
    fn the_file_is_the_dataset_at_the_cut() {
        let mut s = shard();
        let mut expected = BTreeMap::new();
        for i in 0..5000 {
            s.dbs[0]
                .table
                .insert(Entry::new(&key(i), Value::Int(i as i64)));
            expected.insert((0, key(i)), i as i64);
        }
        for i in 0..3000 {
            s.dbs[1]
                .table
                .insert(Entry::new(&key(i), Value::Int(-(i as i64))));
            expected.insert((1, key(i)), -(i as i64));
        }
        s.dbs[0]
            .table
            .insert(Entry::new(b"expired", Value::Int(1)).with_expire(5));
        begin(&mut s, true, 1000);
        s.dbs[0].table.insert(Entry::new(&key(1), Value::Int(-1)));
        let writer = attach_writer(&mut s, true);
        // One piece per step: most are still unseen when the writes below come.
        assert!(!step_within(&mut s, Duration::ZERO).0);
        for i in (0..5000).step_by(3) {
            s.dbs[0].table.insert(Entry::new(&key(i), Value::Int(7)));
        }
        for i in (1..5000).step_by(5) {
            s.dbs[0].table.remove(&key(i));
        }
        for i in 5000..9000 {
            s.dbs[0].table.insert(Entry::new(&key(i), Value::Int(0)));
        }
        s.dbs.swap(0, 1);
        step_within(&mut s, Duration::ZERO);
        s.dbs[0].table.clear();
        s.dbs[1].table.insert(Entry::new(b"late", Value::Int(0)));
        while !step(&mut s, STEP_BUDGET).done {}
        let got = finish_and_load(&mut s, writer);
        assert_eq!(got, expected);
        // The next cut starts clean.
        begin(&mut s, false, 1000);
        let writer = attach_writer(&mut s, false);
        while !step(&mut s, STEP_BUDGET).done {}
        assert_eq!(
            finish_and_load(&mut s, writer).len(),
            5000 - 1000 + 4000 + 1
        );
    }
}
