//! Per-thread command statistics for INFO commandstats: counted at the dispatch gate
//! on the connection's thread (no cross-thread traffic), summed over threads on read.

use std::cell::RefCell;

use hashbrown::HashMap;

/// Counters of one command (`calls`, `rejected_calls` as INFO names them).
#[derive(Clone, Copy, Debug, Default)]
pub struct CommandCounters {
    pub calls: u64,
    /// Time spent running the command, in [`crate::runtime::clock`] ticks (converted
    /// to microseconds when INFO reads it).
    pub ticks: u64,
    pub rejected_calls: u64,
    pub failed_calls: u64,
}

thread_local! {
    /// Keyed by the address of the command's static name: hashing a pointer is cheaper
    /// than hashing the text on every command.
    static COUNTERS: RefCell<HashMap<usize, (&'static str, CommandCounters)>> = RefCell::new(HashMap::new());
}

fn with_counters(name: &'static str, f: impl FnOnce(&mut CommandCounters)) {
    COUNTERS.with(|c| {
        f(&mut c
            .borrow_mut()
            .entry(name.as_ptr() as usize)
            .or_insert((name, CommandCounters::default()))
            .1)
    });
}

/// A command passed the gate (`name` is `get` or `config|get`).
pub fn record_call(name: &'static str) {
    with_counters(name, |c| c.calls += 1);
}

/// A command ran for `ticks` (of [`crate::runtime::clock::ticks`]).
pub fn record_ticks(name: &'static str, ticks: u64) {
    with_counters(name, |c| c.ticks += ticks);
}

/// The gate refused a known command (arity, auth).
pub fn record_rejected(name: &'static str) {
    with_counters(name, |c| c.rejected_calls += 1);
}

/// A command ran and replied an error.
pub fn record_failed(name: &'static str) {
    with_counters(name, |c| c.failed_calls += 1);
}

/// This thread's counters (called on each thread by a fan-out, then summed).
pub fn snapshot() -> Vec<(&'static str, CommandCounters)> {
    COUNTERS.with(|c| c.borrow().values().copied().collect())
}

pub fn reset() {
    COUNTERS.with(|c| c.borrow_mut().clear());
}

/// Sums per-thread snapshots by command name, sorted by name.
pub fn merge(
    parts: Vec<Vec<(&'static str, CommandCounters)>>,
) -> Vec<(&'static str, CommandCounters)> {
    let mut total: HashMap<&'static str, CommandCounters> = HashMap::new();
    for part in parts {
        for (name, c) in part {
            let t = total.entry(name).or_default();
            t.calls += c.calls;
            t.ticks += c.ticks;
            t.rejected_calls += c.rejected_calls;
            t.failed_calls += c.failed_calls;
        }
    }
    let mut v: Vec<_> = total.into_iter().collect();
    v.sort_by_key(|(n, _)| *n);
    v
}
