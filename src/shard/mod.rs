//! One shard: the slice of the keyspace a thread owns, and everything that runs on it.
//!
//! Shared-nothing rules: a `Shard` is only ever touched by its own thread. Other threads
//! reach it with [`ShardMsg`]s; what a message carries is owned (`Send`), and nothing
//! borrowed from a shard outlives the hop that borrowed it. Handlers get a [`ShardCtx`]
//! (the shard, the selected db, the time) and write their reply; they never block.

pub mod batch;
pub mod blocking;
pub mod defrag;
pub mod evict;
pub mod expire;
pub mod set;
pub mod tx;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::config::Settings;
use crate::protocol::reply::Reply;
use crate::runtime::oneshot::OneShot;
use crate::storage::{Db, Entry, Value};

use batch::Batch;
use tx::{HopFn, LockMode, LockSet, Ready, TxQueue};

/// Counters INFO stats reports; summed over shards.
#[derive(Clone, Copy, Debug, Default)]
pub struct ShardStats {
    pub expired_keys: u64,
    pub expired_stale_perc_x100: u64,
    pub expire_cycle_cpu_ms: u64,
    pub keyspace_hits: u64,
    pub keyspace_misses: u64,
    pub evicted_keys: u64,
    pub commands_processed: u64,
    /// Key blocks moved by active defragmentation (INFO's `active_defrag_hits`).
    pub defrag_hits: u64,
    /// Time spent defragmenting, microseconds.
    pub defrag_time_us: u64,
    /// The running pass's effort in percent of the shard's time; 0 when none runs.
    pub defrag_running_pct: u32,
}

/// A message to a shard's thread.
pub enum ShardMsg {
    /// Single-shard commands of one connection; the batch comes back through its cell.
    Batch(Box<Batch>),
    /// Enqueue a transaction; answers whether the id was accepted.
    Schedule {
        txid: u64,
        locks: LockSet,
        accepted: Arc<OneShot<bool>>,
    },
    /// One step of a scheduled transaction; the last one concludes it.
    Hop {
        txid: u64,
        hop: HopFn,
        conclude: bool,
    },
    /// Drop a scheduled transaction without running anything more.
    Cancel { txid: u64 },
    /// Run now, outside any transaction (INFO, CONFIG propagation, SCAN steps).
    Run(HopFn),
    /// The clock's periodic tick: run the active expiry cycle.
    Tick,
}

pub struct Shard {
    pub index: usize,
    pub shards_count: usize,
    pub dbs: Vec<Db>,
    pub stats: ShardStats,
    pub settings: Arc<Settings>,
    pub txq: TxQueue,
    pub active_expire_enabled: bool,
    pub eviction_pool: evict::EvictionPool,
    /// The process was over maxmemory at this shard's last tick (see
    /// [`Shard::evict_on_tick`]).
    pub over_limit_at_last_tick: bool,
    /// Per shard, the keys its policy could evict, as each last published them: a shard
    /// with none left lets a write through while others still have some (they evict on
    /// their next write or tick). Shared by all shards of a server.
    pub evictable_keys: Arc<[AtomicU64]>,
    /// Clients blocked on keys of this shard (BLPOP and friends).
    pub blocking: blocking::Blocking,
    pub defrag: defrag::DefragState,
    /// Writes this shard applied since startup (its share of Redis's `server.dirty`),
    /// published in `dirty_counts[index]` for the save rules and INFO.
    pub dirty: u64,
    /// A handler counted its own changes (see [`ShardCtx::dirty`]), so the default of
    /// one change per successful write command does not apply.
    pub dirty_noted: bool,
    pub dirty_counts: Arc<[crate::persistence::rules::DirtyCounter]>,
    expire_db: usize,
    rng_state: u64,
}

/// What a handler running on a shard sees.
pub struct ShardCtx<'a> {
    pub shard: &'a mut Shard,
    pub db: usize,
    pub now_ms: u64,
}

/// Unix time in milliseconds.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

/// Redis's LRU clock: seconds, wrapping at 24 bits.
pub fn lru_clock_secs(now_ms: u64) -> u32 {
    ((now_ms / 1000) & 0xFF_FFFF) as u32
}

static SEED: AtomicU64 = AtomicU64::new(0x2545_F491_4F6C_DD1D);

impl Shard {
    pub fn new(index: usize, shards_count: usize, settings: Arc<Settings>) -> Shard {
        let dbs = (0..settings.databases.max(1)).map(|_| Db::new()).collect();
        Shard {
            index,
            shards_count,
            dbs,
            stats: ShardStats::default(),
            settings,
            txq: TxQueue::default(),
            active_expire_enabled: true,
            eviction_pool: evict::EvictionPool::default(),
            over_limit_at_last_tick: false,
            evictable_keys: (0..shards_count).map(|_| AtomicU64::new(0)).collect(),
            blocking: blocking::Blocking::default(),
            defrag: defrag::DefragState::default(),
            dirty: 0,
            dirty_noted: false,
            dirty_counts: (0..shards_count).map(|_| Default::default()).collect(),
            expire_db: 0,
            rng_state: SEED.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed) | 1,
        }
    }

    /// Counts `n` changes (Redis's `server.dirty += n`).
    pub fn add_dirty(&mut self, n: u64) {
        self.dirty += n;
        if let Some(c) = self.dirty_counts.get(self.index) {
            c.0.store(self.dirty, Ordering::Relaxed);
        }
    }

    /// Settles the count of a write command that just ran: one change unless its
    /// handler counted its own, or it failed or changed nothing (an error, a null or a
    /// zero reply, e.g. SET NX on an existing key or DEL of missing keys).
    pub fn settle_dirty(&mut self, reply: &[u8]) {
        if !std::mem::take(&mut self.dirty_noted) && changed_something(reply) {
            self.add_dirty(1);
        }
    }

    /// A fast non-cryptographic random number (xorshift64*).
    pub fn random(&mut self) -> u64 {
        let mut x = self.rng_state;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng_state = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Handles one message. Never waits: this runs on the thread's message loop.
    /// Blocked clients whose keys became ready are served after it.
    pub fn handle(&mut self, msg: ShardMsg) {
        self.handle_message(msg);
        self.serve_blocked();
    }

    fn handle_message(&mut self, msg: ShardMsg) {
        match msg {
            ShardMsg::Batch(batch) => self.run_batch(batch),
            ShardMsg::Schedule {
                txid,
                locks,
                accepted,
            } => {
                accepted.complete(self.txq.schedule(txid, locks));
            }
            ShardMsg::Hop {
                txid,
                hop,
                conclude,
            } => {
                let queued = self.txq.add_hop(txid, hop, conclude);
                debug_assert!(queued, "hop for a transaction that is not scheduled");
                self.run_ready();
            }
            ShardMsg::Cancel { txid } => {
                self.txq.cancel(txid);
                self.run_ready();
            }
            ShardMsg::Run(f) => f(self),
            ShardMsg::Tick => {
                self.active_expire_cycle();
                // Idle shards shed keys too when the process is over maxmemory.
                if self.settings.maxmemory_bytes > 0 {
                    self.evict_on_tick(now_ms());
                }
                self.defrag_tick(now_ms());
            }
        }
    }

    /// Runs queued work that no earlier transaction blocks, until none is left.
    fn run_ready(&mut self) {
        while let Some(ready) = self.txq.next_ready() {
            match ready {
                Ready::Hop(hop) => hop(self),
                Ready::Batch(mut batch) => {
                    self.execute_batch_tail(&mut batch);
                    complete_batch(batch);
                }
            }
        }
    }

    /// Runs a batch; if a command hits a lock, the rest waits in the queue.
    pub fn run_batch(&mut self, mut batch: Box<Batch>) {
        let now = now_ms();
        while batch.next < batch.cmds.len() {
            if !self.txq.is_idle() {
                let locks = batch_locks(&batch);
                if self.txq.conflicts(&locks) {
                    self.txq.enqueue_batch(locks, batch);
                    return;
                }
            }
            self.execute_one(&mut batch, now);
        }
        complete_batch(batch);
    }

    fn execute_batch_tail(&mut self, batch: &mut Batch) {
        let now = now_ms();
        while batch.next < batch.cmds.len() {
            self.execute_one(batch, now);
        }
    }

    fn execute_one(&mut self, batch: &mut Batch, now: u64) {
        let index = batch.next;
        let cmd = batch.cmds[index];
        let Batch {
            args,
            out,
            db,
            resp,
            reply_ends,
            ..
        } = batch;
        let a = args.slice(cmd.first_arg as usize, (cmd.first_arg + cmd.argc) as usize);
        let mark = out.len();
        let mut reply = Reply::new(out, *resp);
        if cmd.denyoom && !self.room_for_write(now) {
            reply.error(crate::errors::OOM);
        } else {
            self.dirty_noted = false;
            let mut ctx = ShardCtx {
                shard: self,
                db: *db,
                now_ms: now,
            };
            let start = crate::runtime::clock::ticks();
            (cmd.run)(&mut ctx, a, &mut reply);
            batch.cmds[index].ticks = crate::runtime::clock::ticks_since(start);
            if cmd.write {
                self.settle_dirty(&out[mark..]);
            }
        }
        reply_ends.push(out.len());
        batch.next += 1;
        self.stats.commands_processed += 1;
        // Served right after the write, so the batch's next command sees it done.
        self.serve_blocked();
    }

    /// The lock set of one command (for the fast-path conflict check).
    pub fn command_locks(
        db: usize,
        keys: batch::KeyPositions,
        write: bool,
        args: crate::protocol::args::Args,
    ) -> LockSet {
        let mut locks = LockSet::default();
        let mode = if write {
            LockMode::Exclusive
        } else {
            LockMode::Shared
        };
        for i in keys.of(args) {
            locks.add_key(db, &args[i], mode);
        }
        locks
    }
}

/// Hands a finished batch back to the connection waiting for it.
fn complete_batch(mut batch: Box<Batch>) {
    let done = batch
        .done
        .take()
        .expect("a batch in flight has a completion cell");
    done.complete(batch);
}

/// The union of the locks of a batch's remaining commands.
fn batch_locks(batch: &Batch) -> LockSet {
    let mut locks = LockSet::default();
    for i in batch.next..batch.cmds.len() {
        let c = batch.cmds[i];
        let mode = if c.write {
            LockMode::Exclusive
        } else {
            LockMode::Shared
        };
        let args = batch.cmd_args(i);
        for k in c.keys.of(args) {
            locks.add_key(batch.db, &args[k], mode);
        }
    }
    locks
}

/// Whether a write command's reply says it changed something: not an error, not a
/// null (RESP2 `$-1`/`*-1`, RESP3 `_`), not the integer 0 or -1 (LINSERT's pivot not
/// found), not an empty array or set (SPOP/ZPOPMIN of nothing), not empty (blocked).
pub fn changed_something(reply: &[u8]) -> bool {
    !(reply.is_empty()
        || reply[0] == b'-'
        || reply[0] == b'_'
        || reply.starts_with(b"$-1\r")
        || reply.starts_with(b"*-1\r")
        || matches!(reply, b":0\r\n" | b":-1\r\n" | b"*0\r\n" | b"~0\r\n"))
}

impl<'a> ShardCtx<'a> {
    /// Counts `n` changes for this command instead of the default one per successful
    /// write (Redis's `server.dirty += n`; 0 when it changed nothing).
    pub fn dirty(&mut self, n: u64) {
        self.shard.dirty_noted = true;
        self.shard.add_dirty(n);
    }

    pub fn db(&mut self) -> &mut Db {
        &mut self.shard.dbs[self.db]
    }

    /// Looks a key up for reading, expiring it first if its deadline passed. Counts a
    /// keyspace hit or miss and refreshes the access clock.
    pub fn lookup_read(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let found = self.lookup(key);
        if found {
            self.shard.stats.keyspace_hits += 1;
        } else {
            self.shard.stats.keyspace_misses += 1;
        }
        if !found {
            return None;
        }
        self.touch(key)
    }

    /// Looks a key up for writing (expires it first; no hit/miss counting).
    pub fn lookup_write(&mut self, key: &[u8]) -> Option<&mut Entry> {
        if !self.lookup(key) {
            return None;
        }
        self.touch(key)
    }

    /// Records an access to a live key (LRU clock or LFU counter) and returns it.
    fn touch(&mut self, key: &[u8]) -> Option<&mut Entry> {
        let eviction = self.shard.settings.eviction;
        let random = if eviction.policy.is_lfu() {
            self.shard.random()
        } else {
            0
        };
        let now = self.now_ms;
        self.shard.dbs[self.db]
            .table
            .touch(key, |old| evict::touched(old, now, &eviction, random))
    }

    /// The access data of a key written now.
    pub fn new_access_data(&self) -> u32 {
        evict::new_access_data(self.now_ms, self.shard.settings.eviction.policy)
    }

    /// Does the key exist (after lazy expiry)? Touches nothing else.
    pub fn exists(&mut self, key: &[u8]) -> bool {
        self.lookup(key)
    }

    /// Lazy expiry: true when the key exists and is live.
    fn lookup(&mut self, key: &[u8]) -> bool {
        let now = self.now_ms;
        let db = &mut self.shard.dbs[self.db];
        match db.table.get(key) {
            None => false,
            Some(e) if e.is_expired(now) => {
                db.table.remove(key);
                self.shard.stats.expired_keys += 1;
                false
            }
            Some(_) => true,
        }
    }

    /// Stores a value, replacing whatever was there (and its TTL unless `keep_ttl`).
    pub fn set_value(&mut self, key: &[u8], value: Value, expire_at_ms: u64, keep_ttl: bool) {
        let now = self.now_ms;
        let db = &mut self.shard.dbs[self.db];
        let deadline = if keep_ttl {
            db.table
                .get(key)
                .filter(|e| !e.is_expired(now))
                .map_or(0, |e| e.expire_at_ms())
        } else {
            expire_at_ms
        };
        let access = evict::new_access_data(now, self.shard.settings.eviction.policy);
        db.table
            .insert_with_access(Entry::with_parts(key, value, deadline), access);
    }

    /// Tells clients blocked on `key` (BLPOP, BZPOPMIN, ...) that it may now hold data;
    /// call after any write that creates or grows a list or sorted set. Cheap when
    /// nobody is blocked on this shard. They are served once the command (or the
    /// transaction holding the key) completes: see [`blocking`].
    pub fn signal_ready(&mut self, key: &[u8]) {
        if self.shard.blocking.is_empty() {
            return;
        }
        self.shard.blocking.signal(self.db, key);
    }

    pub fn remove(&mut self, key: &[u8]) -> Option<Entry> {
        if !self.lookup(key) {
            return None;
        }
        self.shard.dbs[self.db].table.remove(key)
    }
}

#[cfg(test)]
mod dirty_tests {
    use super::changed_something;

    #[test]
    fn replies_that_mean_no_change() {
        for unchanged in [
            &b""[..],
            b"-ERR x\r\n",
            b"$-1\r\n",
            b"*-1\r\n",
            b"_\r\n",
            b":0\r\n",
            b":-1\r\n",
            b"*0\r\n",
            b"~0\r\n",
        ] {
            assert!(!changed_something(unchanged), "{unchanged:?}");
        }
        for changed in [
            &b"+OK\r\n"[..],
            b":1\r\n",
            b":10\r\n",
            b"$1\r\nx\r\n",
            b"*1\r\n",
        ] {
            assert!(changed_something(changed), "{changed:?}");
        }
    }
}
