//! What starts saves besides SAVE and BGSAVE, and what saves gate: the dirty counter
//! (writes since the last save, Redis's `server.dirty`, one counter per shard, summed),
//! the `save <seconds> <changes>` rules the clock thread checks on every tick (Redis's
//! `serverCron`), and the command gates of the persistence state: LOADING while the
//! dataset loads at startup, MISCONF after a failed background save
//! (`stop-writes-on-bgsave-error`).
//!
//! The dirty count of a shard is written only by its own thread (a plain store of its
//! running total), so counting a write costs no atomic read-modify-write; readers sum
//! the published totals. "Changes since the last save" is that sum minus the sum taken
//! at the point in the transaction order where the last successful save was cut.

use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use crate::config::SaveRule;

/// Redis's CONFIG_BGSAVE_RETRY_DELAY: after a failed background save, the rules wait
/// this long before trying again.
pub const BGSAVE_RETRY_DELAY_SECS: u64 = 5;

/// One shard's published dirty total, on its own cache line (each shard stores to its
/// own on every write).
#[repr(align(64))]
#[derive(Debug, Default)]
pub struct DirtyCounter(pub AtomicU64);

/// The writes every shard counted since startup.
pub fn dirty_total(counters: &[DirtyCounter]) -> u64 {
    counters.iter().map(|c| c.0.load(Ordering::Relaxed)).sum()
}

/// Bits of [`ServerGates`]: why commands may be refused before they run.
pub mod gate {
    /// The dataset is loading: only commands flagged `loading` run.
    pub const LOADING: u8 = 1;
    /// The last background save failed and `stop-writes-on-bgsave-error` is on (with
    /// save rules set): write commands and PING are refused.
    pub const MISCONF: u8 = 2;
}

/// The gates, one byte so the command path pays one relaxed load when all are open.
#[derive(Debug, Default)]
pub struct ServerGates(AtomicU8);

impl ServerGates {
    pub fn closed(&self) -> u8 {
        self.0.load(Ordering::Relaxed)
    }

    pub fn set(&self, bit: u8, closed: bool) {
        if closed {
            self.0.fetch_or(bit, Ordering::Relaxed);
        } else {
            self.0.fetch_and(!bit, Ordering::Relaxed);
        }
    }
}

/// Redis's `writeCommandsDeniedByDiskError` for RDB: writes stop when the option is on,
/// save rules are configured and the last background save failed.
pub fn writes_denied(settings: &crate::config::Settings, last_bgsave_ok: bool) -> bool {
    settings.stop_writes_on_bgsave_error && !settings.save_rules.is_empty() && !last_bgsave_ok
}

/// What the save rules look at.
#[derive(Clone, Copy, Debug)]
pub struct SaveClock {
    pub now_secs: u64,
    /// Writes since the last successful save.
    pub dirty: u64,
    pub last_save_secs: u64,
    pub last_bgsave_try_secs: u64,
    pub last_bgsave_ok: bool,
}

/// The first rule that fires now, as `serverCron` decides: at least `changes` writes,
/// more than `seconds` since the last save, and (after a failed background save) more
/// than [`BGSAVE_RETRY_DELAY_SECS`] since the last try.
pub fn due_rule(rules: &[SaveRule], c: SaveClock) -> Option<SaveRule> {
    let may_retry = c.last_bgsave_ok
        || c.now_secs.saturating_sub(c.last_bgsave_try_secs) > BGSAVE_RETRY_DELAY_SECS;
    if !may_retry {
        return None;
    }
    let since_save = c.now_secs as i64 - c.last_save_secs as i64;
    rules
        .iter()
        .copied()
        .find(|r| c.dirty >= r.changes && since_save > r.seconds as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(seconds: u64, changes: u64) -> SaveRule {
        SaveRule { seconds, changes }
    }

    fn clock(now: u64, dirty: u64) -> SaveClock {
        SaveClock {
            now_secs: now,
            dirty,
            last_save_secs: 1000,
            last_bgsave_try_secs: 0,
            last_bgsave_ok: true,
        }
    }

    #[test]
    fn a_rule_fires_past_its_seconds_with_enough_changes() {
        let rules = [rule(3600, 1), rule(300, 100), rule(60, 10000)];
        assert_eq!(due_rule(&rules, clock(1060, 10000)), None, "not past 60 s");
        assert_eq!(due_rule(&rules, clock(1061, 10000)), Some(rule(60, 10000)));
        assert_eq!(due_rule(&rules, clock(1301, 99)), None);
        assert_eq!(due_rule(&rules, clock(1301, 100)), Some(rule(300, 100)));
        assert_eq!(due_rule(&rules, clock(4601, 1)), Some(rule(3600, 1)));
        assert_eq!(due_rule(&rules, clock(9999, 0)), None);
        assert_eq!(due_rule(&[], clock(9999, 9999)), None);
        assert_eq!(due_rule(&[rule(1, 0)], clock(1002, 0)), Some(rule(1, 0)));
    }

    #[test]
    fn a_failed_save_is_retried_after_the_delay() {
        let rules = [rule(1, 1)];
        let failed = |now| SaveClock {
            last_bgsave_ok: false,
            last_bgsave_try_secs: 2000,
            ..clock(now, 5)
        };
        assert_eq!(due_rule(&rules, failed(2005)), None);
        assert_eq!(due_rule(&rules, failed(2006)), Some(rule(1, 1)));
    }

    #[test]
    fn gates_open_and_close_independently() {
        let g = ServerGates::default();
        assert_eq!(g.closed(), 0);
        g.set(gate::LOADING, true);
        g.set(gate::MISCONF, true);
        g.set(gate::LOADING, false);
        assert_eq!(g.closed(), gate::MISCONF);
    }

    #[test]
    fn counters_sum() {
        let c: Vec<DirtyCounter> = (0..3).map(|_| DirtyCounter::default()).collect();
        c[0].0.store(5, Ordering::Relaxed);
        c[2].0.store(7, Ordering::Relaxed);
        assert_eq!(dirty_total(&c), 12);
        assert_eq!(std::mem::align_of::<DirtyCounter>(), 64);
    }
}
