//! Per-thread command statistics for INFO commandstats and latencystats and LATENCY
//! HISTOGRAM: counted at the dispatch gate on the connection's thread (no cross-thread
//! traffic), summed over threads on read.

use std::cell::{Cell, RefCell};

use hashbrown::HashMap;

use crate::runtime::clock;
use crate::util::hdr::LatencyHistogram;

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

/// One command's entry: its name, counters, and latency histogram (from its first
/// run with `latency-tracking` on).
type Entry = (&'static str, CommandCounters, Option<LatencyHistogram>);

thread_local! {
    /// Keyed by the address of the command's static name: hashing a pointer is cheaper
    /// than hashing the text on every command.
    static COUNTERS: RefCell<HashMap<usize, Entry>> = RefCell::new(HashMap::new());
    /// `latency-tracking`: whether runs are counted in the histograms.
    static LATENCY_TRACKING: Cell<bool> = const { Cell::new(true) };
}

fn with_entry(name: &'static str, f: impl FnOnce(&mut Entry)) {
    COUNTERS.with(|c| {
        f(c.borrow_mut().entry(name.as_ptr() as usize).or_insert((
            name,
            CommandCounters::default(),
            None,
        )))
    });
}

fn with_counters(name: &'static str, f: impl FnOnce(&mut CommandCounters)) {
    with_entry(name, |e| f(&mut e.1));
}

/// Sets this thread's `latency-tracking` (on every thread after CONFIG SET).
pub fn set_latency_tracking(on: bool) {
    LATENCY_TRACKING.with(|t| t.set(on));
}

/// A command passed the gate (`name` is `get` or `config|get`).
pub fn record_call(name: &'static str) {
    with_counters(name, |c| c.calls += 1);
}

/// A command ran for `ticks` (of [`crate::runtime::clock::ticks`]). Its histogram
/// counts the run in whole microseconds, as Redis measures it.
pub fn record_ticks(name: &'static str, ticks: u64) {
    let tracking = LATENCY_TRACKING.with(Cell::get);
    with_entry(name, |(_, counters, latency)| {
        counters.ticks += ticks;
        if tracking {
            let us = clock::ticks_to_nanos_cached(ticks) / 1000;
            latency
                .get_or_insert_with(LatencyHistogram::new)
                .record(us * 1000);
        }
    });
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
    COUNTERS.with(|c| c.borrow().values().map(|e| (e.0, e.1)).collect())
}

/// This thread's latency histograms (called on each thread by a fan-out, then summed
/// by [`merge_latency`]).
pub fn latency_snapshot() -> Vec<(&'static str, LatencyHistogram)> {
    COUNTERS.with(|c| {
        c.borrow()
            .values()
            .filter_map(|e| e.2.as_ref().map(|h| (e.0, h.clone())))
            .collect()
    })
}

/// Sums per-thread latency histograms by command name, sorted by name.
pub fn merge_latency(
    parts: Vec<Vec<(&'static str, LatencyHistogram)>>,
) -> Vec<(&'static str, LatencyHistogram)> {
    let mut total: HashMap<&'static str, LatencyHistogram> = HashMap::new();
    for (name, h) in parts.into_iter().flatten() {
        match total.entry(name) {
            hashbrown::hash_map::Entry::Occupied(mut o) => o.get_mut().add(&h),
            hashbrown::hash_map::Entry::Vacant(v) => {
                v.insert(h);
            }
        }
    }
    let mut v: Vec<_> = total.into_iter().collect();
    v.sort_by_key(|(n, _)| *n);
    v
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
