//! Active defragmentation of one shard's keyspace (Redis's `activedefrag`). Counters
//! go to [`super::ShardStats`] (INFO's `active_defrag_*`).
//!
//! After many deletes the allocator's pages are left partly used: RSS stays high while
//! used memory falls. A pass moves every key's block into a fresh allocator generation
//! ([`crate::alloc::begin_block_generation`]): the new generation fills dense pages, and
//! once every segment of every database has been walked the old generation, empty by
//! then, is deleted and its pages go back to the system. No jemalloc hints are needed,
//! so every block moves once per pass instead of only those on sparse pages.
//!
//! A pass starts when fragmentation (RSS over used memory) passes
//! `active-defrag-threshold-lower` percent and `active-defrag-ignore-bytes`; each clock
//! tick then walks segments for a slice of the shard's time that grows from
//! `active-defrag-cycle-min` to `-max` percent between the lower and upper thresholds,
//! cut into slices of at most [`SLICE_US_MAX`] so clients never wait longer. Segments
//! split during a pass are appended behind the cursor and still visited; keys written
//! meanwhile land in the new generation already.

use crate::config::Defrag;

use super::Shard;

/// The longest a shard works on defragmentation without serving clients.
pub const SLICE_US_MAX: u64 = 2_000;
/// How often an idle shard looks at fragmentation.
const CHECK_INTERVAL_MS: u64 = 1_000;
/// Pause after a pass before another may start: fragmentation that one pass did not
/// cure (memory outside the keyspace) is not chased in a loop.
const PASS_COOLDOWN_MS: u64 = 30_000;

/// One shard's defragmentation progress and counters.
#[derive(Default)]
pub struct DefragState {
    /// The pass in progress: the next (database, segment) to move, and its effort.
    cursor: Option<(usize, usize)>,
    effort_pct: u32,
    next_check_ms: u64,
    pub passes: u64,
}

/// The effort in percent of a shard's time that fragmentation of `rss_bytes` over
/// `used_bytes` calls for; None when it is below the thresholds.
pub fn effort_pct(d: &Defrag, rss_bytes: u64, used_bytes: u64) -> Option<u32> {
    if !d.enabled || used_bytes == 0 || rss_bytes <= used_bytes {
        return None;
    }
    let frag_bytes = rss_bytes - used_bytes;
    let frag_pct = frag_bytes.saturating_mul(100) / used_bytes;
    if frag_bytes < d.ignore_bytes || frag_pct < u64::from(d.threshold_lower_pct) {
        return None;
    }
    let (lower, upper) = (
        u64::from(d.threshold_lower_pct),
        u64::from(d.threshold_upper_pct),
    );
    let (min, max) = (
        u64::from(d.cycle_min_pct),
        u64::from(d.cycle_max_pct.max(d.cycle_min_pct)),
    );
    let effort = if frag_pct >= upper || upper <= lower {
        max
    } else {
        min + (max - min) * (frag_pct - lower) / (upper - lower)
    };
    Some(effort.clamp(1, 99) as u32)
}

/// Microseconds of work per tick for `effort_pct` at `hz` ticks a second.
fn slice_us(effort_pct: u32, hz: u32) -> u64 {
    let period_us = 1_000_000 / u64::from(hz.max(1));
    (period_us * u64::from(effort_pct) / 100).clamp(100, SLICE_US_MAX)
}

impl Shard {
    /// The clock tick's share of defragmentation: maybe start a pass, then move blocks
    /// for one time slice.
    pub fn defrag_tick(&mut self, now_ms: u64) {
        if self.defrag.cursor.is_none() && !self.maybe_begin_pass(now_ms) {
            return;
        }
        let started = std::time::Instant::now();
        let budget_us = slice_us(self.defrag.effort_pct, self.settings.hz);
        while let Some((db, segment)) = self.defrag.cursor {
            let Some(d) = self.dbs.get_mut(db) else {
                self.end_pass(now_ms);
                break;
            };
            self.defrag.cursor = match d.table.relocate_segment(segment) {
                Some(moved) => {
                    self.stats.defrag_hits += moved as u64;
                    Some((db, segment + 1))
                }
                None => Some((db + 1, 0)),
            };
            if started.elapsed().as_micros() as u64 >= budget_us {
                break;
            }
        }
        self.stats.defrag_time_us += started.elapsed().as_micros() as u64;
        self.stats.defrag_running_pct = if self.defrag.cursor.is_some() {
            self.defrag.effort_pct
        } else {
            0
        };
    }

    fn maybe_begin_pass(&mut self, now_ms: u64) -> bool {
        if !self.settings.defrag.enabled || now_ms < self.defrag.next_check_ms {
            return false;
        }
        self.defrag.next_check_ms = now_ms + CHECK_INTERVAL_MS;
        let rss = crate::alloc::rss_bytes();
        let used = crate::alloc::used_bytes();
        let Some(effort) = effort_pct(&self.settings.defrag, rss, used) else {
            return false;
        };
        if !crate::alloc::begin_block_generation() {
            return false;
        }
        tracing::debug!(
            shard = self.index,
            rss,
            used,
            effort,
            "defragmentation pass starts"
        );
        self.defrag.cursor = Some((0, 0));
        self.defrag.effort_pct = effort;
        true
    }

    fn end_pass(&mut self, now_ms: u64) {
        crate::alloc::end_block_generation();
        self.defrag.cursor = None;
        self.defrag.passes += 1;
        self.defrag.next_check_ms = now_ms + PASS_COOLDOWN_MS;
        tracing::debug!(
            shard = self.index,
            moved = self.stats.defrag_hits,
            "defragmentation pass ends"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn on() -> Defrag {
        Defrag {
            enabled: true,
            ..Defrag::default()
        }
    }

    #[test]
    fn effort_follows_redis_thresholds() {
        let mb = 1u64 << 20;
        // Off, or below the byte and percent thresholds: nothing.
        assert_eq!(effort_pct(&Defrag::default(), 3000 * mb, 1000 * mb), None);
        assert_eq!(effort_pct(&on(), 1050 * mb, 1000 * mb), None, "5% < 10%");
        assert_eq!(
            effort_pct(&on(), 150 * mb, 100 * mb),
            None,
            "50 MB < 100 MB"
        );
        assert_eq!(effort_pct(&on(), 900 * mb, 1000 * mb), None);
        // Linear from cycle-min at the lower threshold to cycle-max at the upper one.
        assert_eq!(effort_pct(&on(), 1100 * mb, 1000 * mb), Some(1));
        assert_eq!(effort_pct(&on(), 1550 * mb, 1000 * mb), Some(13));
        assert_eq!(effort_pct(&on(), 2000 * mb, 1000 * mb), Some(25));
        assert_eq!(effort_pct(&on(), 9000 * mb, 1000 * mb), Some(25));
    }

    #[test]
    fn slices_never_exceed_the_latency_bound() {
        assert_eq!(slice_us(25, 10), SLICE_US_MAX);
        assert_eq!(slice_us(1, 10), 1_000);
        assert_eq!(slice_us(1, 500), 100);
    }
}
