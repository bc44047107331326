//! maxmemory on one shard: the per-key access data the policies read, and eviction.
//!
//! Access data lives in the key's table slot (`Table::touch`, `Table::access_of`) (24 bits used, as Redis's `lru`
//! field): under an LRU or other policy it is the LRU clock in seconds; under an LFU
//! policy it is a 16-bit minute stamp and an 8-bit logarithmic access counter.
//!
//! Eviction is per shard and needs no other shard: a shard that is about to run a
//! write (or ticks, or sees maxmemory lowered) and finds the process over maxmemory
//! evicts its own keys until it is under again, sampling `maxmemory-samples` keys per
//! round into a small pool of the best candidates seen (Redis's approach), so the
//! choice improves over successive rounds.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::Shard;
use super::tx::{LockMode, LockSet};
use crate::config::{Eviction, EvictionPolicy};
use crate::storage::Entry;

/// Candidates kept between rounds (Redis's `EVPOOL_SIZE`).
pub const POOL_ENTRIES_MAX: usize = 16;
/// The LFU counter of a new key (Redis's `LFU_INIT_VAL`).
pub const LFU_INIT_VAL: u32 = 5;
/// Keys evicted between two looks at the clock.
const EVICTIONS_PER_CLOCK_CHECK: usize = 16;

// ---- access data ----------------------------------------------------------------------

/// Redis's LFU minute clock: minutes, wrapping at 16 bits.
pub fn lfu_minutes(now_ms: u64) -> u32 {
    ((now_ms / 60_000) & 0xFFFF) as u32
}

/// The access data of a key created now.
pub fn new_access_data(now_ms: u64, policy: EvictionPolicy) -> u32 {
    if policy.is_lfu() {
        (lfu_minutes(now_ms) << 8) | LFU_INIT_VAL
    } else {
        super::lru_clock_secs(now_ms)
    }
}

/// The LFU counter after decay: one off per `lfu-decay-time` minutes since the stamp
/// (Redis's `LFUDecrAndReturn`).
pub fn lfu_decayed(data: u32, now_ms: u64, decay_minutes: u32) -> u32 {
    let stamp = data >> 8;
    let counter = data & 0xFF;
    let now = lfu_minutes(now_ms);
    let elapsed = if now >= stamp {
        now - stamp
    } else {
        0xFFFF - stamp + now
    };
    let periods = elapsed.checked_div(decay_minutes).unwrap_or(0);
    counter.saturating_sub(periods)
}

/// The access data after one access: LRU refreshes the clock; LFU decays the counter,
/// then increments it with probability 1/((counter - 5) * lfu-log-factor + 1).
/// `random` is a uniform 64-bit number.
pub fn touched(data: u32, now_ms: u64, eviction: &Eviction, random: u64) -> u32 {
    if !eviction.policy.is_lfu() {
        return super::lru_clock_secs(now_ms);
    }
    let mut counter = lfu_decayed(data, now_ms, eviction.lfu_decay_minutes);
    if counter < 255 {
        let base = counter.saturating_sub(LFU_INIT_VAL) as f64;
        let p = 1.0 / (base * eviction.lfu_log_factor as f64 + 1.0);
        let r = (random >> 11) as f64 / (1u64 << 53) as f64;
        if r < p {
            counter += 1;
        }
    }
    (lfu_minutes(now_ms) << 8) | counter
}

// ---- eviction -------------------------------------------------------------------------

struct Candidate {
    /// Higher is evicted first.
    score: u64,
    db: usize,
    key: Box<[u8]>,
}

/// The best candidates seen so far, in ascending score order.
#[derive(Default)]
pub struct EvictionPool {
    candidates: Vec<Candidate>,
}

impl EvictionPool {
    fn offer(&mut self, score: u64, db: usize, key: &[u8]) {
        let full = self.candidates.len() >= POOL_ENTRIES_MAX;
        if full && self.candidates[0].score >= score {
            return;
        }
        if self.candidates.iter().any(|c| c.db == db && &*c.key == key) {
            return;
        }
        if full {
            self.candidates.remove(0);
        }
        let at = self.candidates.partition_point(|c| c.score < score);
        self.candidates.insert(
            at,
            Candidate {
                score,
                db,
                key: key.into(),
            },
        );
    }

    fn take_best(&mut self) -> Option<Candidate> {
        self.candidates.pop()
    }

    pub fn clear(&mut self) {
        self.candidates.clear();
    }
}

/// How strongly a policy wants `e` gone (higher first).
/// `access` is the key's access data (kept in its table slot).
fn score(e: &Entry, access: u32, policy: EvictionPolicy, now_ms: u64, eviction: &Eviction) -> u64 {
    match policy {
        EvictionPolicy::AllKeysLfu | EvictionPolicy::VolatileLfu => {
            255 - lfu_decayed(access, now_ms, eviction.lfu_decay_minutes) as u64
        }
        EvictionPolicy::VolatileTtl => u64::MAX - e.expire_at_ms(),
        _ => {
            let now = super::lru_clock_secs(now_ms);
            let then = access;
            if now >= then {
                (now - then) as u64
            } else {
                (now + (1 << 24) - then) as u64
            }
        }
    }
}

/// How long one call may keep evicting: Redis's `evictionTimeLimitUs` (tenacity 10 is
/// 500 us, each step of 10 about 15% more; 100 is unlimited).
fn time_budget(tenacity: u32) -> Option<Duration> {
    if tenacity >= 100 {
        return None;
    }
    let us = 50.0 * 1.15f64.powi(tenacity as i32) / 1.15f64.powi(10) * 10.0;
    Some(Duration::from_micros(us as u64))
}

impl Shard {
    /// The gate of a write that may grow memory (DENYOOM), on the shard that runs it.
    pub fn room_for_write(&mut self, now_ms: u64) -> bool {
        self.settings.maxmemory_bytes == 0 || self.make_room(now_ms)
    }

    /// Keys this shard's policy could evict.
    fn evictable_now(&self) -> u64 {
        let volatile = self.settings.eviction.policy.volatile_only();
        self.dbs
            .iter()
            .map(|d| if volatile { d.volatile_len() } else { d.len() } as u64)
            .sum()
    }

    /// Publishes [`Self::evictable_now`] for the other shards.
    pub fn publish_evictable(&self) {
        if let Some(slot) = self.evictable_keys.get(self.index) {
            slot.store(self.evictable_now(), Ordering::Relaxed);
        }
    }

    /// Another shard still has keys to evict (as last published).
    fn others_can_evict(&self) -> bool {
        self.evictable_keys
            .iter()
            .enumerate()
            .any(|(i, n)| i != self.index && n.load(Ordering::Relaxed) > 0)
    }

    /// Makes room before a write: while the process is over maxmemory, evicts keys of
    /// this shard per the policy. False when it is still over and nothing more can be
    /// evicted (the write gets OOM); true when under the limit, without a limit, or when
    /// the time budget ran out after evicting something (as Redis, the write proceeds).
    pub fn make_room(&mut self, now_ms: u64) -> bool {
        let limit = self.settings.maxmemory_bytes;
        if limit == 0 || crate::alloc::used_bytes() <= limit {
            return true;
        }
        if self.settings.eviction.policy == EvictionPolicy::NoEviction {
            return false;
        }
        let budget = time_budget(self.settings.eviction.tenacity);
        let started = Instant::now();
        let mut evicted = 0usize;
        while crate::alloc::used_bytes() > limit {
            if !self.evict_one(now_ms) {
                self.publish_evictable();
                return self.others_can_evict();
            }
            evicted += 1;
            if evicted.is_multiple_of(EVICTIONS_PER_CLOCK_CHECK)
                && budget.is_some_and(|b| started.elapsed() >= b)
            {
                self.publish_evictable();
                return true;
            }
        }
        self.publish_evictable();
        true
    }

    /// Evicts one key per the policy; false when no key qualifies.
    fn evict_one(&mut self, now_ms: u64) -> bool {
        let eviction = self.settings.eviction;
        let policy = eviction.policy;
        let volatile = policy.volatile_only();
        let random_policy = matches!(
            policy,
            EvictionPolicy::AllKeysRandom | EvictionPolicy::VolatileRandom
        );
        for _attempt in 0..POOL_ENTRIES_MAX {
            let dbs_count = self.dbs.len();
            for db in 0..dbs_count {
                let r = self.random();
                let table = &self.dbs[db].table;
                let live = if volatile {
                    table.volatile_len()
                } else {
                    table.len()
                };
                if live == 0 {
                    continue;
                }
                let samples = if random_policy {
                    1
                } else {
                    eviction.samples.max(1) as usize
                };
                let pool = &mut self.eviction_pool;
                table.sample(r, samples, volatile, |e, access| {
                    let s = if random_policy {
                        r >> 1
                    } else {
                        score(e, access, policy, now_ms, &eviction)
                    };
                    pool.offer(s, db, e.key());
                });
            }
            while let Some(c) = self.eviction_pool.take_best() {
                if self.evict_key(c.db, &c.key, volatile) {
                    return true;
                }
            }
            if self.dbs.iter().all(|d| {
                if volatile {
                    d.volatile_len() == 0
                } else {
                    d.is_empty()
                }
            }) {
                return false;
            }
        }
        false
    }

    /// Removes a pool candidate if it still qualifies and no transaction holds it.
    fn evict_key(&mut self, db: usize, key: &[u8], volatile: bool) -> bool {
        let Some(e) = self.dbs[db].table.get(key) else {
            return false;
        };
        if volatile && e.expire_at_ms() == 0 {
            return false;
        }
        if !self.txq.is_idle() {
            let mut locks = LockSet::default();
            locks.add_key(db, key, LockMode::Exclusive);
            if self.txq.conflicts(&locks) {
                return false;
            }
        }
        self.dbs[db].table.remove(key);
        self.stats.evicted_keys += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lfu_counter_grows_logarithmically_and_decays() {
        let eviction = Eviction {
            policy: EvictionPolicy::AllKeysLfu,
            ..Eviction::default()
        };
        let now = 10 * 60_000;
        let mut data = new_access_data(now, eviction.policy);
        assert_eq!(data & 0xFF, LFU_INIT_VAL);
        let mut seed = 0x1234_5678_9abc_def1_u64;
        for _ in 0..100_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            data = touched(data, now, &eviction, seed);
        }
        let counter = data & 0xFF;
        // Redis's table for lfu-log-factor 10: 100K hits give about 143.
        assert!((100..200).contains(&counter), "{counter}");
        // Three minutes later, with lfu-decay-time 1: three less.
        assert_eq!(lfu_decayed(data, now + 3 * 60_000, 1), counter - 3);
        assert_eq!(lfu_decayed(data, now + 3 * 60_000, 0), counter);
    }

    #[test]
    fn pool_keeps_the_best_distinct_candidates() {
        let mut pool = EvictionPool::default();
        for i in 0..40u64 {
            pool.offer(i % 20, 0, format!("k{}", i % 20).as_bytes());
        }
        assert_eq!(pool.candidates.len(), POOL_ENTRIES_MAX);
        assert_eq!(pool.take_best().map(|c| c.score), Some(19));
        assert_eq!(pool.take_best().map(|c| c.score), Some(18));
    }

    #[test]
    fn time_budget_follows_tenacity() {
        assert_eq!(time_budget(10), Some(Duration::from_micros(500)));
        assert!(time_budget(0).unwrap() < time_budget(10).unwrap());
        assert_eq!(time_budget(100), None);
    }
}
