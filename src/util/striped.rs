//! Counters that every thread bumps on its hot path (bytes read and written by clients,
//! bytes allocated): one cache line per stripe, each thread adding to its own stripe, so
//! no line bounces between cores on every request; a reader sums the stripes (a
//! moment's view, exact once the writers pause).

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

use crossbeam::utils::CachePadded;

/// Stripes per counter; threads past this many share stripes (still exact, a little
/// slower).
pub const STRIPES_COUNT_MAX: usize = 64;

static NEXT_STRIPE: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    /// This thread's stripe, `usize::MAX` until first use. `const` with no destructor,
    /// so a global allocator may read it at any point of a thread's life.
    static STRIPE: Cell<usize> = const { Cell::new(usize::MAX) };
}

/// This thread's stripe index (below [`STRIPES_COUNT_MAX`]), handed out round-robin on
/// first use. Allocates nothing.
pub fn this_thread_stripe() -> usize {
    STRIPE
        .try_with(|s| {
            let mut i = s.get();
            if i == usize::MAX {
                i = NEXT_STRIPE.fetch_add(1, Ordering::Relaxed) % STRIPES_COUNT_MAX;
                s.set(i);
            }
            i
        })
        .unwrap_or(0)
}

/// A sum that many threads add to.
pub struct StripedCounter {
    stripes: [CachePadded<AtomicU64>; STRIPES_COUNT_MAX],
}

impl Default for StripedCounter {
    fn default() -> Self {
        StripedCounter {
            stripes: std::array::from_fn(|_| CachePadded::new(AtomicU64::new(0))),
        }
    }
}

impl StripedCounter {
    pub fn add(&self, n: u64) {
        self.stripes[this_thread_stripe()].fetch_add(n, Ordering::Relaxed);
    }

    pub fn load(&self) -> u64 {
        self.stripes
            .iter()
            .fold(0u64, |sum, s| sum.wrapping_add(s.load(Ordering::Relaxed)))
    }

    /// Back to zero (CONFIG RESETSTAT); adds racing with it may survive.
    pub fn reset(&self) {
        self.stripes
            .iter()
            .for_each(|s| s.store(0, Ordering::Relaxed));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adds_from_many_threads_sum_exactly() {
        let counter = std::sync::Arc::new(StripedCounter::default());
        let threads: Vec<_> = (0..STRIPES_COUNT_MAX + 3)
            .map(|i| {
                let c = counter.clone();
                std::thread::spawn(move || (0..1000).for_each(|_| c.add(i as u64 + 1)))
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let n = (STRIPES_COUNT_MAX + 3) as u64;
        assert_eq!(counter.load(), 1000 * n * (n + 1) / 2);
        counter.reset();
        assert_eq!(counter.load(), 0);
    }

    #[test]
    fn a_thread_keeps_its_stripe() {
        let first = this_thread_stripe();
        assert!(first < STRIPES_COUNT_MAX);
        assert_eq!(this_thread_stripe(), first);
    }
}
