//! A cheap elapsed-time counter for per-command timing (INFO commandstats `usec`).
//!
//! Every command is timed, so the clock is on the hot path: `Instant::now()` costs about
//! 50 ns per read on these virtual machines, the CPU's time-stamp counter about 20 ns.
//! Ticks are converted to nanoseconds only when read (INFO), by the ratio of ticks to
//! monotonic time since the process first used the clock; that ratio grows more exact
//! the longer the server runs. Start and end of one measurement are read on the same
//! thread, but not always on the same core when threads are not pinned: the counter is
//! invariant and kept in step across cores by the kernel, and a reading that would still
//! go backwards counts as zero ([`ticks_since`]) instead of wrapping to a huge duration
//! in SLOWLOG and INFO commandstats. Other architectures fall back to `Instant`.

use std::cell::Cell;
use std::sync::OnceLock;
use std::time::Instant;

/// The first reading of both clocks: the base of the tick rate.
static ORIGIN: OnceLock<(Instant, u64)> = OnceLock::new();

/// Ticks since an arbitrary origin; only differences mean anything.
#[inline]
pub fn ticks() -> u64 {
    raw_ticks()
}

#[cfg(target_arch = "x86_64")]
#[inline]
fn raw_ticks() -> u64 {
    // SAFETY: RDTSC reads a counter; it touches no memory and every x86_64 CPU has it.
    unsafe { core::arch::x86_64::_rdtsc() }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn raw_ticks() -> u64 {
    let (origin, _) = *origin();
    origin.elapsed().as_nanos() as u64
}

fn origin() -> &'static (Instant, u64) {
    ORIGIN.get_or_init(|| (Instant::now(), raw_ticks()))
}

/// Ticks elapsed since `start` (a reading of [`ticks`]); zero if the counter read lower
/// now (another core's counter a little behind).
#[inline]
pub fn ticks_since(start: u64) -> u64 {
    ticks().saturating_sub(start)
}

/// Starts the tick-rate measurement (call once at startup so the ratio has a long base).
pub fn init() {
    origin();
}

/// Nanoseconds in `ticks` (a sum of differences of [`ticks`]).
pub fn ticks_to_nanos(ticks: u64) -> u64 {
    if cfg!(not(target_arch = "x86_64")) {
        return ticks;
    }
    let (origin, origin_ticks) = *origin();
    let elapsed_ns = origin.elapsed().as_nanos() as f64;
    let elapsed_ticks = raw_ticks().wrapping_sub(origin_ticks) as f64;
    if elapsed_ns < 1.0 || elapsed_ticks < 1.0 {
        return 0;
    }
    (ticks as f64 * elapsed_ns / elapsed_ticks) as u64
}

/// Conversions by one measured rate before [`ticks_to_nanos_cached`] measures again.
const RATE_REFRESH_USES: u32 = 1 << 16;

thread_local! {
    /// Nanoseconds per tick, and conversions made by it since it was measured.
    static CACHED_RATE: Cell<(f64, u32)> = const { Cell::new((0.0, 0)) };
}

/// Nanoseconds in `ticks` by a rate this thread measured within its last
/// [`RATE_REFRESH_USES`] calls: for figures taken on every command (latency
/// histograms), where [`ticks_to_nanos`]'s clock read would cost more than the rest.
#[inline]
pub fn ticks_to_nanos_cached(ticks: u64) -> u64 {
    if cfg!(not(target_arch = "x86_64")) {
        return ticks;
    }
    CACHED_RATE.with(|cached| {
        let (mut rate, uses) = cached.get();
        if uses == 0 || rate <= 0.0 {
            rate = ticks_to_nanos(RATE_PROBE_TICKS) as f64 / RATE_PROBE_TICKS as f64;
        }
        cached.set((rate, (uses + 1) % RATE_REFRESH_USES));
        (ticks as f64 * rate) as u64
    })
}

/// Ticks converted to measure the rate (large, so the integer result keeps its digits).
const RATE_PROBE_TICKS: u64 = 1 << 32;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_start_in_the_future_counts_as_no_time() {
        let start = ticks();
        assert!(ticks_since(start) < 1 << 40);
        assert_eq!(ticks_since(ticks() + (1 << 40)), 0);
    }

    #[test]
    fn ticks_convert_to_roughly_the_elapsed_time() {
        init();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let start = ticks();
        let wall = Instant::now();
        std::thread::sleep(std::time::Duration::from_millis(30));
        let elapsed_ticks = ticks() - start;
        let wall_ns = wall.elapsed().as_nanos() as u64;
        // Within 20% of the wall clock (the rate is measured over ~50 ms here).
        for ns in [
            ticks_to_nanos(elapsed_ticks),
            ticks_to_nanos_cached(elapsed_ticks),
        ] {
            assert!(
                ns > wall_ns * 8 / 10 && ns < wall_ns * 12 / 10,
                "{ns} ns measured, {wall_ns} ns elapsed"
            );
        }
    }
}
