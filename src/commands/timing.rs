//! The dispatch gate's check for SLOWLOG and the LATENCY monitor. Every command's run
//! time (in [`crate::runtime::clock`] ticks) is compared with one per-thread gate, the
//! lower of the two thresholds in ticks; a command under it costs a thread-local load
//! and a compare, nothing else. Only a command at or over the gate is converted to
//! microseconds and checked against each threshold exactly, then logged (the only
//! allocation).
//!
//! The thresholds come from the settings: [`configure`] runs on every thread when
//! CONFIG SET changes them, and on a thread's first command (the gate starts at 0, so
//! that command takes the slow path). The tick rate is measured while the server runs,
//! so the gate sits at half the threshold (a margin for the estimate) and is derived
//! again on every command that reaches it.

use std::cell::Cell;

use super::{ConnCtx, flags};
use crate::config::MonitorLimits;
use crate::protocol::args::Args;
use crate::runtime::clock;

/// Probe for converting nanoseconds to ticks through [`clock::ticks_to_nanos`].
const RATE_PROBE_TICKS: u64 = 1 << 32;

thread_local! {
    /// Commands running at least this many ticks take the slow path.
    static GATE_TICKS: Cell<u64> = const { Cell::new(0) };
    /// This thread's thresholds (None until the first command or CONFIG SET).
    static LIMITS: Cell<Option<MonitorLimits>> = const { Cell::new(None) };
}

/// Sets this thread's thresholds (on every thread after CONFIG SET).
pub fn configure(limits: MonitorLimits) {
    super::stats::set_latency_tracking(limits.latency_tracking);
    LIMITS.with(|l| l.set(Some(limits)));
    GATE_TICKS.with(|g| g.set(gate_ticks(limits)));
}

/// This thread's `latency-monitor-threshold` (0: off, or not configured yet).
pub fn latency_threshold_ms() -> u64 {
    LIMITS.with(Cell::get).map_or(0, |l| l.latency_threshold_ms)
}

/// Records a command's run time everywhere the gate keeps it: SLOWLOG and the latency
/// monitor ([`note`]), then INFO commandstats and the latency histogram (after `note`,
/// whose first call on a thread applies the settings, `latency-tracking` included).
#[inline]
pub fn record(ctx: &ConnCtx, name: &'static str, args: Args, ticks: u64) {
    note(ctx, name, args, ticks);
    super::stats::record_ticks(name, ticks);
}

/// Called by the gate after each command with its run time; `name` is the full name
/// (`config|set`). The command was run by (or for) `ctx`'s client.
#[inline]
pub fn note(ctx: &ConnCtx, name: &'static str, args: Args, ticks: u64) {
    if ticks >= GATE_TICKS.with(Cell::get) {
        slow(ctx, name, args, ticks);
    }
}

#[cold]
#[inline(never)]
fn slow(ctx: &ConnCtx, name: &'static str, args: Args, ticks: u64) {
    let limits = match LIMITS.with(Cell::get) {
        Some(limits) => limits,
        None => ctx.settings.monitor,
    };
    configure(limits);
    let duration_us = clock::ticks_to_nanos(ticks) / 1000;
    let command_flags = flags_of(name);
    if slowlog_on(limits)
        && duration_us >= limits.slowlog_slower_than_us as u64
        && command_flags & flags::SKIP_SLOWLOG == 0
    {
        super::slowlog::push(ctx, name, args, duration_us, limits.slowlog_max_len);
    }
    let duration_ms = duration_us / 1000;
    if limits.latency_threshold_ms > 0 && duration_ms >= limits.latency_threshold_ms {
        let event = if command_flags & flags::FAST != 0 {
            "fast-command"
        } else {
            "command"
        };
        super::latency::add_sample(event, duration_ms);
    }
}

fn slowlog_on(limits: MonitorLimits) -> bool {
    limits.slowlog_slower_than_us >= 0 && limits.slowlog_max_len > 0
}

/// The flags of a command by full name (`get`, `config|set`).
fn flags_of(name: &str) -> u32 {
    let (parent, sub) = match name.split_once('|') {
        Some((parent, sub)) => (parent, Some(sub)),
        None => (name, None),
    };
    let Some(spec) = super::lookup(parent.as_bytes()) else {
        return 0;
    };
    match sub {
        Some(sub) => spec.find_subcommand(sub.as_bytes()).map_or(0, |s| s.flags),
        None => spec.flags,
    }
}

/// The gate for `limits`: half the lower enabled threshold, in ticks (never when both
/// are off).
fn gate_ticks(limits: MonitorLimits) -> u64 {
    let mut nanos = u64::MAX;
    if slowlog_on(limits) {
        nanos = nanos.min((limits.slowlog_slower_than_us as u64).saturating_mul(1000));
    }
    if limits.latency_threshold_ms > 0 {
        nanos = nanos.min(limits.latency_threshold_ms.saturating_mul(1_000_000));
    }
    if nanos == u64::MAX {
        return u64::MAX;
    }
    ticks_for_nanos(nanos / 2)
}

/// Ticks in `nanos` at the rate measured so far (0 while there is no rate yet, so
/// every command takes the slow path until there is).
fn ticks_for_nanos(nanos: u64) -> u64 {
    let probe_nanos = clock::ticks_to_nanos(RATE_PROBE_TICKS);
    if probe_nanos == 0 {
        return 0;
    }
    let ticks = nanos as u128 * RATE_PROBE_TICKS as u128 / probe_nanos as u128;
    u64::try_from(ticks).unwrap_or(u64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits(slower_than_us: i64, max_len: u64, latency_ms: u64) -> MonitorLimits {
        MonitorLimits {
            slowlog_slower_than_us: slower_than_us,
            slowlog_max_len: max_len,
            latency_threshold_ms: latency_ms,
            latency_tracking: true,
        }
    }

    #[test]
    fn the_gate_is_half_the_lower_threshold() {
        clock::init();
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert_eq!(gate_ticks(limits(-1, 128, 0)), u64::MAX);
        assert_eq!(gate_ticks(limits(10, 0, 0)), u64::MAX);
        assert_eq!(gate_ticks(limits(0, 128, 0)), 0);
        let slowlog = gate_ticks(limits(10_000, 128, 0));
        let nanos = clock::ticks_to_nanos(slowlog);
        assert!((4_000_000..6_000_000).contains(&nanos), "{nanos}");
        // The latency threshold (1 ms) is lower than the slowlog's (10 ms).
        let both = gate_ticks(limits(10_000, 128, 1));
        assert!(both < slowlog / 5, "{both} {slowlog}");
    }

    #[test]
    fn flags_are_found_for_subcommands() {
        assert_ne!(flags_of("get") & flags::FAST, 0);
        assert_eq!(flags_of("config|set") & flags::FAST, 0);
        assert_ne!(flags_of("config|set") & flags::ADMIN, 0);
        assert_eq!(flags_of("nosuch"), 0);
    }
}
