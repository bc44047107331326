//! Cross-shard atomicity, VLL style: a per-shard queue of transactions ordered by one
//! global sequence of transaction ids, with per-key intent locks.
//!
//! Protocol (the coordinator is a connection task, see `server::coord`):
//! 1. *Schedule*: the coordinator takes the next global id and asks every involved shard
//!    to enqueue it with its lock set. A shard refuses an id lower than one it already
//!    queued, and the coordinator retries with a fresh id; so in every shard the queue is
//!    in id order and no two shards order two transactions differently (no cycles, no
//!    deadlock).
//! 2. *Hops*: the coordinator sends closures; a shard runs an entry's hops only when no
//!    earlier entry holds a conflicting lock (or when the entry found its keys free at
//!    schedule time: "out of order", it commutes with everything queued before it).
//! 3. *Conclude*: the last hop releases the locks and removes the entry.
//!
//! Single-shard commands skip all this when the queue is empty or their keys are not
//! locked; otherwise they queue as a local entry behind the conflicting transactions.
//! Locks are on 64-bit fingerprints of (db, key): a collision only makes a command wait.

use std::collections::VecDeque;

use hashbrown::HashMap;

use super::Shard;
use super::batch::Batch;

/// Shared (readers) or exclusive (writers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockMode {
    Shared,
    Exclusive,
}

impl LockMode {
    fn conflicts(self, other: LockMode) -> bool {
        self == LockMode::Exclusive || other == LockMode::Exclusive
    }
}

/// What an entry locks: some keys, or the whole shard (FLUSHALL, SWAPDB, KEYS).
#[derive(Clone, Debug, Default)]
pub struct LockSet {
    pub whole_shard: Option<LockMode>,
    pub keys: Vec<(u64, LockMode)>,
}

impl LockSet {
    pub fn add_key(&mut self, db: usize, key: &[u8], mode: LockMode) {
        self.keys.push((fingerprint(db, key), mode));
    }

    fn conflicts_with(&self, other: &LockSet) -> bool {
        if let Some(a) = self.whole_shard {
            return other.whole_shard.is_some_and(|b| a.conflicts(b))
                || other.keys.iter().any(|&(_, b)| a.conflicts(b));
        }
        if let Some(b) = other.whole_shard {
            return self.keys.iter().any(|&(_, a)| a.conflicts(b));
        }
        self.keys
            .iter()
            .any(|&(fa, a)| other.keys.iter().any(|&(fb, b)| fa == fb && a.conflicts(b)))
    }
}

/// A 64-bit fingerprint of (db, key), identical on every thread.
pub fn fingerprint(db: usize, key: &[u8]) -> u64 {
    const K: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut h = (db as u64 + 1).wrapping_mul(K);
    let mut chunks = key.chunks_exact(8);
    for c in &mut chunks {
        h = (h.rotate_left(5) ^ u64::from_le_bytes(c.try_into().unwrap())).wrapping_mul(K);
    }
    for &b in chunks.remainder() {
        h = (h.rotate_left(5) ^ b as u64).wrapping_mul(K);
    }
    h ^ (key.len() as u64).wrapping_mul(K) ^ (h >> 29)
}

pub type HopFn = Box<dyn FnOnce(&mut Shard) + Send>;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryId {
    Global(u64),
    Local(u64),
}

struct Entry {
    id: EntryId,
    locks: LockSet,
    /// Found no conflicting lock at schedule time: may run before earlier entries.
    out_of_order: bool,
    hops: VecDeque<(HopFn, bool)>,
    batch: Option<Box<Batch>>,
}

/// The queue and the aggregated lock counts (for the single-shard fast path check).
#[derive(Default)]
pub struct TxQueue {
    entries: VecDeque<Entry>,
    max_global_id: u64,
    next_local_id: u64,
    key_counts: HashMap<u64, (u32, u32)>,
    whole_shared: u32,
    whole_exclusive: u32,
}

impl TxQueue {
    pub fn is_idle(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Would a command with these locks conflict with anything queued?
    pub fn conflicts(&self, locks: &LockSet) -> bool {
        if self.whole_exclusive > 0 {
            return true;
        }
        if let Some(mode) = locks.whole_shard {
            return match mode {
                LockMode::Exclusive => !self.entries.is_empty(),
                LockMode::Shared => self.key_counts.values().any(|&(_, x)| x > 0),
            };
        }
        locks.keys.iter().any(|&(fp, mode)| {
            if self.whole_shared > 0 && mode == LockMode::Exclusive {
                return true;
            }
            match self.key_counts.get(&fp) {
                None => false,
                Some(&(shared, exclusive)) => match mode {
                    LockMode::Shared => exclusive > 0,
                    LockMode::Exclusive => shared + exclusive > 0,
                },
            }
        })
    }

    fn acquire(&mut self, locks: &LockSet) {
        match locks.whole_shard {
            Some(LockMode::Shared) => self.whole_shared += 1,
            Some(LockMode::Exclusive) => self.whole_exclusive += 1,
            None => {}
        }
        for &(fp, mode) in &locks.keys {
            let c = self.key_counts.entry(fp).or_insert((0, 0));
            match mode {
                LockMode::Shared => c.0 += 1,
                LockMode::Exclusive => c.1 += 1,
            }
        }
    }

    fn release(&mut self, locks: &LockSet) {
        match locks.whole_shard {
            Some(LockMode::Shared) => self.whole_shared -= 1,
            Some(LockMode::Exclusive) => self.whole_exclusive -= 1,
            None => {}
        }
        for &(fp, mode) in &locks.keys {
            if let Some(c) = self.key_counts.get_mut(&fp) {
                match mode {
                    LockMode::Shared => c.0 -= 1,
                    LockMode::Exclusive => c.1 -= 1,
                }
                if *c == (0, 0) {
                    self.key_counts.remove(&fp);
                }
            }
        }
    }

    /// Enqueues a global transaction; false when `txid` is older than one already
    /// queued here (the coordinator retries with a fresh id).
    pub fn schedule(&mut self, txid: u64, locks: LockSet) -> bool {
        if txid <= self.max_global_id {
            return false;
        }
        self.max_global_id = txid;
        let out_of_order = !self.conflicts(&locks);
        self.acquire(&locks);
        self.entries.push_back(Entry {
            id: EntryId::Global(txid),
            locks,
            out_of_order,
            hops: VecDeque::new(),
            batch: None,
        });
        true
    }

    /// Enqueues the unfinished rest of a batch behind whatever it conflicted with.
    pub fn enqueue_batch(&mut self, locks: LockSet, batch: Box<Batch>) {
        let id = EntryId::Local(self.next_local_id);
        self.next_local_id += 1;
        self.acquire(&locks);
        self.entries.push_back(Entry {
            id,
            locks,
            out_of_order: false,
            hops: VecDeque::new(),
            batch: Some(batch),
        });
    }

    pub fn add_hop(&mut self, txid: u64, hop: HopFn, conclude: bool) -> bool {
        match self
            .entries
            .iter_mut()
            .find(|e| e.id == EntryId::Global(txid))
        {
            Some(e) => {
                e.hops.push_back((hop, conclude));
                true
            }
            None => false,
        }
    }

    pub fn cancel(&mut self, txid: u64) {
        if let Some(pos) = self
            .entries
            .iter()
            .position(|e| e.id == EntryId::Global(txid))
        {
            let e = self.entries.remove(pos).expect("position is valid");
            self.release(&e.locks);
        }
    }

    fn runnable(&self, index: usize) -> bool {
        let e = &self.entries[index];
        e.out_of_order
            || self
                .entries
                .iter()
                .take(index)
                .all(|earlier| !earlier.locks.conflicts_with(&e.locks))
    }

    /// Takes the next piece of work that may run now: a hop (with its conclude flag) or a
    /// parked batch. The entry is removed (and its locks released) when the work
    /// concludes it.
    pub fn next_ready(&mut self) -> Option<Ready> {
        for index in 0..self.entries.len() {
            let has_work =
                !self.entries[index].hops.is_empty() || self.entries[index].batch.is_some();
            if !has_work || !self.runnable(index) {
                continue;
            }
            let entry = &mut self.entries[index];
            if let Some(batch) = entry.batch.take() {
                let e = self.entries.remove(index).expect("index is valid");
                self.release(&e.locks);
                return Some(Ready::Batch(batch));
            }
            let (hop, conclude) = entry.hops.pop_front().expect("has work");
            if conclude {
                let e = self.entries.remove(index).expect("index is valid");
                self.release(&e.locks);
            }
            return Some(Ready::Hop(hop));
        }
        None
    }
}

pub enum Ready {
    Hop(HopFn),
    Batch(Box<Batch>),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn locks(keys: &[(&[u8], LockMode)]) -> LockSet {
        let mut l = LockSet::default();
        for (k, m) in keys {
            l.add_key(0, k, *m);
        }
        l
    }

    #[test]
    fn out_of_order_ids_are_refused() {
        let mut q = TxQueue::default();
        assert!(q.schedule(5, locks(&[(b"a", LockMode::Exclusive)])));
        assert!(!q.schedule(4, locks(&[(b"b", LockMode::Exclusive)])));
        assert!(q.schedule(6, locks(&[(b"b", LockMode::Exclusive)])));
    }

    #[test]
    fn conflicting_entries_run_in_queue_order() {
        let mut q = TxQueue::default();
        assert!(q.schedule(1, locks(&[(b"a", LockMode::Exclusive)])));
        assert!(q.schedule(2, locks(&[(b"a", LockMode::Shared)])));
        assert!(q.schedule(3, locks(&[(b"z", LockMode::Shared)])));
        // Hop for 2 arrives first: it must wait for 1. Entry 3 is independent.
        assert!(q.add_hop(2, Box::new(|_| {}), true));
        assert!(q.next_ready().is_none());
        assert!(q.add_hop(3, Box::new(|_| {}), true));
        assert!(matches!(q.next_ready(), Some(Ready::Hop(_))));
        assert_eq!(q.len(), 2);
        assert!(q.add_hop(1, Box::new(|_| {}), true));
        assert!(matches!(q.next_ready(), Some(Ready::Hop(_)))); // 1
        assert!(matches!(q.next_ready(), Some(Ready::Hop(_)))); // then 2
        assert!(q.is_idle());
        assert!(!q.conflicts(&locks(&[(b"a", LockMode::Exclusive)])));
    }

    #[test]
    fn fast_path_conflict_rules() {
        let mut q = TxQueue::default();
        q.schedule(
            1,
            locks(&[(b"r", LockMode::Shared), (b"w", LockMode::Exclusive)]),
        );
        assert!(!q.conflicts(&locks(&[(b"r", LockMode::Shared)])));
        assert!(q.conflicts(&locks(&[(b"r", LockMode::Exclusive)])));
        assert!(q.conflicts(&locks(&[(b"w", LockMode::Shared)])));
        assert!(!q.conflicts(&locks(&[(b"x", LockMode::Exclusive)])));
        let whole = LockSet {
            whole_shard: Some(LockMode::Exclusive),
            keys: vec![],
        };
        assert!(q.conflicts(&whole));
        q.cancel(1);
        assert!(!q.conflicts(&whole));
    }

    #[test]
    fn fingerprints_separate_databases() {
        assert_ne!(fingerprint(0, b"k"), fingerprint(1, b"k"));
        assert_eq!(fingerprint(3, b"key"), fingerprint(3, b"key"));
    }
}
