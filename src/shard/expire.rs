//! Active expiry: besides lazy expiry on access, each shard runs an adaptive cycle `hz`
//! times a second (no per-key timers). Like Redis it works in rounds and keeps going
//! while more than 10% of what it examined was stale, within a CPU budget of a quarter
//! of the cycle period; unlike Redis it walks the table's segments (skipping those
//! without volatile keys) instead of sampling a separate expires dictionary.

use std::time::{Duration, Instant};

use super::{Shard, now_ms};

/// Entries examined per round before re-checking the stale ratio and the clock.
const ROUND_ENTRIES_MAX: usize = 200;
/// Keep going while this percentage (or more) of examined entries had expired.
const STALE_PERCENT_MIN: usize = 10;
/// Share of the cycle period the cycle may use (Redis: 25%).
const CYCLE_BUDGET_PERCENT: u64 = 25;

impl Shard {
    /// One active expiry cycle; returns the number of keys removed.
    pub fn active_expire_cycle(&mut self) -> usize {
        if !self.active_expire_enabled {
            return 0;
        }
        let hz = self.settings.hz.clamp(1, 500) as u64;
        let effort = self.settings.active_expire_effort.clamp(1, 10) as usize;
        let budget = Duration::from_micros(1_000_000 / hz * CYCLE_BUDGET_PERCENT / 100);
        let started = Instant::now();
        let now = now_ms();
        let mut removed_total = 0;
        let dbs_count = self.dbs.len();
        let mut dbs_done = 0;
        while dbs_done < dbs_count {
            let db_index = self.expire_db % dbs_count;
            let db = &mut self.dbs[db_index];
            let mut stale_enough = false;
            if db.volatile_len() > 0 {
                let (next, examined, removed) =
                    db.table
                        .expire_step(db.expire_cursor, ROUND_ENTRIES_MAX * effort, now, |_| {});
                db.expire_cursor = next;
                removed_total += removed;
                self.stats.expired_keys += removed as u64;
                stale_enough = examined > 0 && removed * 100 >= examined * STALE_PERCENT_MIN;
            }
            if started.elapsed() >= budget {
                break;
            }
            if !stale_enough {
                self.expire_db = (db_index + 1) % dbs_count;
                dbs_done += 1;
            }
        }
        self.stats.expire_cycle_cpu_ms += started.elapsed().as_millis() as u64;
        removed_total
    }
}
