//! Clients blocked on keys (BLPOP, BLMOVE, BLMPOP, later BZPOPMIN ...): the shard side.
//!
//! A blocked client is one [`Waiter`], shared (`Arc`) by every shard holding one of its
//! keys. Each shard keeps, per (db, key), a FIFO queue of waiters. A write that may make
//! a key servable calls [`crate::shard::ShardCtx::signal_ready`], which only notes the
//! key (cheap, and nothing at all when nobody waits on this shard). Right after the write
//! command completes (after each command of a batch, after a fast-path command, after
//! every message such as a transaction hop), [`super::Shard::serve_blocked`] walks the
//! noted keys: for the first waiter of the key's queue it asks the waiter's family
//! whether the key can serve it ([`BlockOps::ready`]); if so it *claims* the waiter (one
//! atomic flag shared by all shards, the connection's timeout and CLIENT UNBLOCK: only
//! the winner acts) and runs [`BlockOps::serve`] on the shard, which pops and writes the
//! client's reply. The reply travels back through the waiter's one-shot cell. Waiters
//! claimed elsewhere are dropped lazily when met; the connection also removes its
//! waiter from every shard once woken, so nothing is left behind. Keys still locked by a
//! queued cross-shard transaction are served only after it concludes, so a push inside
//! an atomic multi-key operation wakes nobody before the operation completes.
//!
//! A family whose serve cannot run on one shard (BLMOVE to a key of another shard)
//! answers [`Readiness::Retry`]: the waiter is claimed and its connection re-runs the
//! command as a normal (cross-shard) command, blocking again if it lost the race.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use hashbrown::HashMap;

use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::{Reply, RespVersion};
use crate::runtime::oneshot::{OneShot, Wait};

use super::ShardCtx;
use super::tx::fingerprint;

/// Can a key serve a waiter now?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Readiness {
    /// Missing or empty: keep waiting.
    NotReady,
    /// Holds another type: keep waiting (a first attempt replies WRONGTYPE instead).
    WrongType,
    /// Serve it now, on this shard.
    Ready,
    /// Data is there but serving needs other shards: wake the connection to re-run it.
    Retry,
}

/// Checks whether `key` can serve the waiter whose command is `args` (runs on the shard;
/// must not change anything).
pub type ReadyFn = fn(&mut ShardCtx, key: &[u8], args: Args) -> Readiness;
/// Serves the waiter from `key` (called only right after `ready` said `Ready`, on the
/// same shard, with nothing in between): pops, writes other keys of this shard if the
/// command does (calling `signal_ready` for them), and writes the client's reply.
pub type ServeFn = fn(&mut ShardCtx, key: &[u8], args: Args, r: &mut Reply);

/// What a family gives the blocking machinery for one blocking command.
#[derive(Clone, Copy)]
pub struct BlockOps {
    pub ready: ReadyFn,
    pub serve: ServeFn,
}

/// How a blocked client was woken.
#[derive(Debug)]
pub enum Wake {
    /// Served on a shard: the complete reply.
    Served(Vec<u8>),
    /// Re-run the command from the connection (see [`Readiness::Retry`]).
    Retry,
    /// The deadline passed (the connection claims this itself).
    Timeout,
    /// CLIENT UNBLOCK: as a timeout, or with the UNBLOCKED error.
    Unblocked { error: bool },
}

/// One blocked client, shared by the shards of its keys.
pub struct Waiter {
    pub client_id: u64,
    pub db: usize,
    pub resp: RespVersion,
    pub ops: BlockOps,
    /// The blocking command as the client sent it (serve functions parse it again).
    pub args: ArgsBuf,
    claimed: AtomicBool,
    wake: Arc<OneShot<Wake>>,
}

impl Waiter {
    pub fn new(
        client_id: u64,
        db: usize,
        resp: RespVersion,
        ops: BlockOps,
        args: ArgsBuf,
    ) -> Arc<Waiter> {
        Arc::new(Waiter {
            client_id,
            db,
            resp,
            ops,
            args,
            claimed: AtomicBool::new(false),
            wake: OneShot::new(),
        })
    }

    /// Takes the right to wake this client; true for exactly one caller ever.
    pub fn claim(&self) -> bool {
        self.claimed
            .compare_exchange(false, true, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }

    pub fn is_claimed(&self) -> bool {
        self.claimed.load(Ordering::Acquire)
    }

    /// Wakes the client (only the claimer calls this).
    pub fn finish(&self, wake: Wake) {
        self.wake.complete(wake);
    }

    pub fn wait(&self) -> Wait<Wake> {
        self.wake.wait()
    }
}

struct KeyQueue {
    db: usize,
    key: Box<[u8]>,
    waiters: VecDeque<Arc<Waiter>>,
    /// Already in the shard's ready list.
    signalled: bool,
}

/// A shard's blocked clients: FIFO queues per (db, key), and the keys noted ready.
#[derive(Default)]
pub struct Blocking {
    /// By fingerprint of (db, key); a collision shares a bucket.
    queues: HashMap<u64, Vec<KeyQueue>>,
    ready: VecDeque<(usize, Box<[u8]>)>,
}

impl Blocking {
    /// Nobody waits on this shard.
    pub fn is_empty(&self) -> bool {
        self.queues.is_empty()
    }

    pub fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// Waiter registrations (one per key) on this shard, claimed ones included.
    pub fn registrations(&self) -> usize {
        self.queues
            .values()
            .flat_map(|b| b.iter())
            .map(|q| q.waiters.len())
            .sum()
    }

    /// Queues `waiter` on `key` (FIFO).
    pub fn register(&mut self, key: &[u8], waiter: &Arc<Waiter>) {
        let db = waiter.db;
        let bucket = self.queues.entry(fingerprint(db, key)).or_default();
        match bucket.iter_mut().find(|q| q.db == db && *q.key == *key) {
            Some(q) => q.waiters.push_back(waiter.clone()),
            None => bucket.push(KeyQueue {
                db,
                key: key.into(),
                waiters: VecDeque::from([waiter.clone()]),
                signalled: false,
            }),
        }
    }

    /// Removes `waiter` from the queues of `keys`.
    pub fn unregister(&mut self, keys: &[Vec<u8>], waiter: &Arc<Waiter>) {
        let db = waiter.db;
        for key in keys {
            let fp = fingerprint(db, key);
            let Some(bucket) = self.queues.get_mut(&fp) else {
                continue;
            };
            for q in bucket.iter_mut() {
                if q.db == db && *q.key == **key {
                    q.waiters.retain(|w| !Arc::ptr_eq(w, waiter));
                }
            }
            bucket.retain(|q| !q.waiters.is_empty());
            if bucket.is_empty() {
                self.queues.remove(&fp);
            }
        }
    }

    /// Notes that `key` may now serve its waiters (if it has any).
    pub fn signal(&mut self, db: usize, key: &[u8]) {
        let Some(bucket) = self.queues.get_mut(&fingerprint(db, key)) else {
            return;
        };
        if let Some(q) = bucket.iter_mut().find(|q| q.db == db && *q.key == *key)
            && !q.signalled
        {
            q.signalled = true;
            self.ready.push_back((db, q.key.clone()));
        }
    }

    /// Notes every key of database `db` that has waiters (SWAPDB: the database's
    /// contents changed wholesale, as Redis's `scanDatabaseForReadyKeys`).
    pub fn signal_db(&mut self, db: usize) {
        for q in self.queues.values_mut().flat_map(|b| b.iter_mut()) {
            if q.db == db && !q.signalled {
                q.signalled = true;
                self.ready.push_back((db, q.key.clone()));
            }
        }
    }

    pub(super) fn next_ready(&mut self) -> Option<(usize, Box<[u8]>)> {
        self.ready.pop_front()
    }

    pub(super) fn defer(&mut self, keys: Vec<(usize, Box<[u8]>)>) {
        self.ready.extend(keys);
    }

    /// Takes a key's queue out of the map while it is being served.
    pub(super) fn take_queue(&mut self, db: usize, key: &[u8]) -> Option<VecDeque<Arc<Waiter>>> {
        let fp = fingerprint(db, key);
        let bucket = self.queues.get_mut(&fp)?;
        let pos = bucket.iter().position(|q| q.db == db && *q.key == *key)?;
        let q = bucket.swap_remove(pos);
        if bucket.is_empty() {
            self.queues.remove(&fp);
        }
        Some(q.waiters)
    }

    /// Puts a queue back after serving (in front of any waiter queued meanwhile).
    pub(super) fn put_queue(
        &mut self,
        db: usize,
        key: Box<[u8]>,
        mut waiters: VecDeque<Arc<Waiter>>,
    ) {
        if waiters.is_empty() {
            return;
        }
        let bucket = self.queues.entry(fingerprint(db, &key)).or_default();
        match bucket.iter_mut().find(|q| q.db == db && q.key == key) {
            Some(q) => {
                waiters.extend(q.waiters.drain(..));
                q.waiters = waiters;
            }
            None => bucket.push(KeyQueue {
                db,
                key,
                waiters,
                signalled: false,
            }),
        }
    }
}

impl super::Shard {
    /// Blocks `waiter` on `keys` of this shard, then serves at once if one of them can
    /// already serve it (closing the window between a client's empty attempt and its
    /// registration).
    pub fn block_on(&mut self, waiter: &Arc<Waiter>, keys: &[Vec<u8>]) {
        for key in keys {
            self.blocking.register(key, waiter);
        }
        for key in keys {
            self.blocking.signal(waiter.db, key);
        }
        self.serve_blocked();
    }

    /// Serves blocked clients from the keys noted ready, first come first served, until
    /// no noted key can serve anyone. Keys locked by a queued transaction wait for it.
    pub fn serve_blocked(&mut self) {
        if !self.blocking.has_ready() {
            return;
        }
        let mut deferred = Vec::new();
        while let Some((db, key)) = self.blocking.next_ready() {
            if !self.txq.is_idle() {
                let mut locks = super::tx::LockSet::default();
                locks.add_key(db, &key, super::tx::LockMode::Exclusive);
                if self.txq.conflicts(&locks) {
                    deferred.push((db, key));
                    continue;
                }
            }
            let Some(mut queue) = self.blocking.take_queue(db, &key) else {
                continue;
            };
            while let Some(w) = queue.front().cloned() {
                if w.is_claimed() {
                    queue.pop_front();
                    continue;
                }
                let args = w.args.as_args();
                let mut ctx = ShardCtx {
                    shard: self,
                    db,
                    now_ms: super::now_ms(),
                };
                match (w.ops.ready)(&mut ctx, &key, args) {
                    Readiness::NotReady | Readiness::WrongType => break,
                    Readiness::Ready => {
                        queue.pop_front();
                        if w.claim() {
                            let mut out = Vec::new();
                            (w.ops.serve)(&mut ctx, &key, args, &mut Reply::new(&mut out, w.resp));
                            ctx.shard.stats.commands_processed += 1;
                            w.finish(Wake::Served(out));
                        }
                    }
                    Readiness::Retry => {
                        queue.pop_front();
                        if w.claim() {
                            w.finish(Wake::Retry);
                        }
                    }
                }
            }
            self.blocking.put_queue(db, key, queue);
        }
        if !deferred.is_empty() {
            self.blocking.defer(deferred);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shard::Shard;
    use crate::storage::Value;

    /// Ready when the key holds a string; serving deletes it and replies its name.
    fn ready(ctx: &mut ShardCtx, key: &[u8], _args: Args) -> Readiness {
        match ctx.lookup_write(key) {
            None => Readiness::NotReady,
            Some(e) if e.value().is_string() => Readiness::Ready,
            Some(_) => Readiness::WrongType,
        }
    }

    fn serve(ctx: &mut ShardCtx, key: &[u8], _args: Args, r: &mut Reply) {
        ctx.remove(key);
        r.bulk(key);
    }

    const OPS: BlockOps = BlockOps { ready, serve };

    fn waiter(id: u64) -> Arc<Waiter> {
        Waiter::new(
            id,
            0,
            RespVersion::Resp2,
            OPS,
            ArgsBuf::from_slices([&b"TEST"[..]]),
        )
    }

    fn shard() -> Shard {
        Shard::new(0, 1, Arc::new(crate::config::Settings::default()))
    }

    fn put(s: &mut Shard, key: &[u8]) {
        let mut ctx = ShardCtx {
            shard: s,
            db: 0,
            now_ms: crate::shard::now_ms(),
        };
        ctx.set_value(key, Value::from_bytes(b"v"), 0, false);
        ctx.signal_ready(key);
    }

    fn served(w: &Waiter) -> Option<Vec<u8>> {
        match w.wake.try_take() {
            Some(Wake::Served(bytes)) => Some(bytes),
            Some(other) => panic!("unexpected {other:?}"),
            None => None,
        }
    }

    #[test]
    fn first_come_first_served_once() {
        let mut s = shard();
        let (a, b) = (waiter(1), waiter(2));
        s.block_on(&a, &[b"k".to_vec(), b"j".to_vec()]);
        s.block_on(&b, &[b"k".to_vec()]);
        assert_eq!(s.blocking.registrations(), 3);
        s.serve_blocked();
        assert!(served(&a).is_none());
        put(&mut s, b"k");
        s.serve_blocked();
        assert_eq!(served(&a).as_deref(), Some(&b"$1\r\nk\r\n"[..]));
        assert!(served(&b).is_none());
        // `a` is claimed: a later signal on `j` drops it instead of serving it again.
        put(&mut s, b"j");
        s.serve_blocked();
        assert!(served(&a).is_none());
        assert_eq!(s.blocking.registrations(), 1);
        put(&mut s, b"k");
        s.serve_blocked();
        assert!(served(&b).is_some());
        assert!(s.blocking.is_empty());
    }

    #[test]
    fn a_ready_key_serves_at_registration_and_unregister_cleans_up() {
        let mut s = shard();
        put(&mut s, b"k");
        let w = waiter(1);
        s.block_on(&w, &[b"k".to_vec()]);
        assert!(served(&w).is_some());
        let v = waiter(2);
        s.block_on(&v, &[b"x".to_vec(), b"y".to_vec()]);
        assert!(!v.is_claimed());
        s.blocking.unregister(&[b"x".to_vec(), b"y".to_vec()], &v);
        assert!(s.blocking.is_empty());
    }

    #[test]
    fn a_claimed_waiter_is_never_served() {
        let mut s = shard();
        let w = waiter(1);
        s.block_on(&w, &[b"k".to_vec()]);
        assert!(w.claim());
        assert!(!w.claim());
        put(&mut s, b"k");
        s.serve_blocked();
        assert!(served(&w).is_none());
        assert!(s.blocking.is_empty());
    }

    #[test]
    fn a_key_locked_by_a_transaction_waits_for_it() {
        let mut s = shard();
        let w = waiter(1);
        s.block_on(&w, &[b"k".to_vec()]);
        let mut locks = crate::shard::tx::LockSet::default();
        locks.add_key(0, b"k", crate::shard::tx::LockMode::Exclusive);
        assert!(s.txq.schedule(1, locks));
        put(&mut s, b"k");
        s.serve_blocked();
        assert!(served(&w).is_none());
        s.handle(crate::shard::ShardMsg::Cancel { txid: 1 });
        assert!(served(&w).is_some());
    }
}
