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
//!
//! Since each shard evicts only for its own writes, nothing else keeps the shards'
//! shares of the keyspace even: transient memory (a connection's buffers) makes
//! whichever shard writes then evict more than it inserts, the room freed afterwards is
//! refilled by all shards, and the split drifts (to 65/35 in a cache workload), so each
//! shard keeps a different cut of its keys, which costs hit ratio. So a shard under its
//! share of the evictable keys, finding the process only a little over maxmemory
//! (`DEFER_DIV`), leaves the eviction to the shards over their share, as a shard with
//! nothing to evict already does; they evict on their next write or tick.

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
/// A shard is over (under) its share of the evictable keys when it holds more (less)
/// than the mean by 1/SHARE_SLACK_DIV of it (keys of different shards are alike in
/// size only on average, so an exact split is no goal).
const SHARE_SLACK_DIV: u64 = 32;
/// A shard under its share leaves evicting to the others while the process is over
/// maxmemory by at most 1/DEFER_DIV of it.
const DEFER_DIV: u64 = 128;
/// Shards whose counts [`Shard::defers_eviction`] reads (without allocating); any more
/// are left out of the comparison.
const DEFER_SHARDS_MAX: usize = 64;

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

/// Where a shard's `own` evictable keys stand against one share of `total` across
/// `shards`: below, within or above the slack around it (-1, 0, 1).
fn share_position(own: u64, total: u64, shards: usize) -> i8 {
    let (scaled, slack) = (own * shards as u64, total / SHARE_SLACK_DIV);
    if shards < 2 || scaled.abs_diff(total) <= slack {
        0
    } else if scaled > total {
        1
    } else {
        -1
    }
}

/// Whether a shard with `own` evictable keys leaves an `excess` over `limit` bytes to
/// `others` (their published counts): it is under its share, some other is over, and
/// the excess is small.
fn defers(own: u64, others: &[u64], excess: u64, limit: u64) -> bool {
    let total = own + others.iter().sum::<u64>();
    let shards = others.len() + 1;
    excess <= limit / DEFER_DIV
        && share_position(own, total, shards) < 0
        && others.iter().any(|&n| share_position(n, total, shards) > 0)
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

    /// This shard leaves evicting to the others for now (module doc; [`defers`]).
    fn defers_eviction(&self, excess: u64, limit: u64) -> bool {
        let mut others = [0u64; DEFER_SHARDS_MAX];
        let mut count = 0;
        for (i, n) in self.evictable_keys.iter().enumerate() {
            if i != self.index && count < DEFER_SHARDS_MAX {
                others[count] = n.load(Ordering::Relaxed);
                count += 1;
            }
        }
        defers(self.evictable_now(), &others[..count], excess, limit)
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
    /// evicted (the write gets OOM); true when under the limit, without a limit, when
    /// the time budget ran out after evicting something (as Redis, the write proceeds),
    /// or when this shard leaves a small excess to shards over their share (module doc).
    pub fn make_room(&mut self, now_ms: u64) -> bool {
        self.make_room_with(now_ms, true)
    }

    /// Evicts down to maxmemory without leaving any excess to other shards: after
    /// CONFIG SET lowered it (Redis evicts at once).
    pub fn evict_to_limit(&mut self, now_ms: u64) {
        self.make_room_with(now_ms, false);
    }

    /// The clock tick's eviction: an idle shard sheds keys too while the process is over
    /// maxmemory. A shard under its share may leave the excess to the others for one
    /// tick, not two in a row, so the process always gets back under the limit even
    /// when published counts are stale.
    pub fn evict_on_tick(&mut self, now_ms: u64) {
        let may_defer = !self.over_limit_at_last_tick;
        self.make_room_with(now_ms, may_defer);
        self.over_limit_at_last_tick = crate::alloc::used_bytes() > self.settings.maxmemory_bytes;
        self.publish_evictable();
    }

    /// [`Self::make_room`], where `may_defer` allows leaving a small excess to shards
    /// over their share (module doc).
    fn make_room_with(&mut self, now_ms: u64, may_defer: bool) -> bool {
        let limit = self.settings.maxmemory_bytes;
        let used = crate::alloc::used_bytes();
        if limit == 0 || used <= limit {
            return true;
        }
        if self.settings.eviction.policy == EvictionPolicy::NoEviction {
            return false;
        }
        if may_defer && self.defers_eviction(used - limit, limit) {
            self.publish_evictable();
            return true;
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
    fn share_position_allows_a_little_slack() {
        // Two shards, 2000 keys: a share is 1000, with 31 keys of slack (1/32 of 1000).
        assert_eq!(share_position(1000, 2000, 2), 0);
        assert_eq!(share_position(1031, 2000, 2), 0);
        assert_eq!(share_position(1040, 2000, 2), 1);
        assert_eq!(share_position(960, 2000, 2), -1);
        // One shard has no one to balance with; four shards: a share is a quarter.
        assert_eq!(share_position(5000, 5000, 1), 0);
        assert_eq!(share_position(300, 1000, 4), 1);
        assert_eq!(share_position(0, 0, 2), 0);
    }

    #[test]
    fn only_a_shard_under_its_share_defers_and_only_a_little() {
        let limit = 1_280_000;
        let small = limit / DEFER_DIV;
        // 6000 keys over two shards: 2500 is under the share, 3500 over.
        assert!(defers(2500, &[3500], small, limit));
        assert!(!defers(2500, &[3500], small + 1, limit));
        assert!(!defers(3500, &[2500], small, limit));
        assert!(!defers(3000, &[3000], small, limit));
        // Under its share while no other is over theirs (three shards, slack 150).
        assert!(!defers(1500, &[1650, 1650], small, limit));
        assert!(defers(1500, &[1500, 1800], small, limit));
        assert!(!defers(5000, &[], small, limit));
    }

    #[test]
    fn time_budget_follows_tenacity() {
        assert_eq!(time_budget(10), Some(Duration::from_micros(500)));
        assert!(time_budget(0).unwrap() < time_budget(10).unwrap());
        assert_eq!(time_budget(100), None);
    }
}
