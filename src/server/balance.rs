//! Spreading client connections over the threads. Every thread waits on the one
//! listening socket and whichever wakes first accepts, so a burst of connections (a
//! client pool, redis-benchmark's `-c 20`) mostly lands on the thread that was already
//! awake: one thread then did all the network work of 20 clients while the other ran
//! at a quarter of its time. So the accepting thread only accepts; the connection is
//! served by the thread with the fewest connections (itself on a tie), handed over
//! through that thread's mailbox when it is another. A hand-over costs one message,
//! once per connection.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Connections each thread serves, shared by every thread.
#[derive(Clone)]
pub struct ThreadLoads(Arc<[AtomicUsize]>);

impl ThreadLoads {
    pub fn new(threads: usize) -> ThreadLoads {
        ThreadLoads((0..threads).map(|_| AtomicUsize::new(0)).collect())
    }

    /// Chooses the thread to serve a connection accepted by thread `me`, counting it
    /// there at once (so a burst of accepts spreads) until the returned [`Served`] drops.
    pub fn assign(&self, me: usize) -> Served {
        let loads = self.0.iter().map(|l| l.load(Ordering::Relaxed));
        let thread = least_loaded(loads, me);
        self.0[thread].fetch_add(1, Ordering::Relaxed);
        Served {
            loads: self.clone(),
            thread,
        }
    }
}

/// A connection counted against the thread that serves it.
pub struct Served {
    loads: ThreadLoads,
    thread: usize,
}

impl Served {
    pub fn thread(&self) -> usize {
        self.thread
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.loads.0[self.thread].fetch_sub(1, Ordering::Relaxed);
    }
}

/// The index of the smallest load; `me` when it is among the smallest (no hand-over
/// for nothing), else the first.
fn least_loaded(loads: impl Iterator<Item = usize>, me: usize) -> usize {
    loads
        .enumerate()
        .min_by_key(|&(i, load)| (load, i != me, i))
        .map_or(me, |(i, _)| i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_least_loaded_thread_serves_and_ties_stay_home() {
        assert_eq!(least_loaded([3, 1, 2].into_iter(), 0), 1);
        assert_eq!(least_loaded([1, 1, 2].into_iter(), 1), 1);
        assert_eq!(least_loaded([2, 1, 1].into_iter(), 0), 1);
        assert_eq!(least_loaded([2, 1, 1].into_iter(), 2), 2);
        assert_eq!(least_loaded([0].into_iter(), 0), 0);
    }

    /// A burst accepted by one thread ends up spread evenly; closed connections free
    /// their thread's share.
    #[test]
    fn a_burst_on_one_thread_is_spread() {
        let loads = ThreadLoads::new(4);
        let served: Vec<Served> = (0..20).map(|_| loads.assign(0)).collect();
        let mut per_thread = [0; 4];
        for s in &served {
            per_thread[s.thread()] += 1;
        }
        assert_eq!(per_thread, [5, 5, 5, 5]);
        drop(served);
        assert!(loads.0.iter().all(|l| l.load(Ordering::Relaxed) == 0));
        assert_eq!(loads.assign(3).thread(), 3);
    }
}
