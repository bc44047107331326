//! Freeing in the background (Redis's lazyfree thread): what is too big to free inside a
//! command, such as the tables FLUSHDB ASYNC and FLUSHALL ASYNC take out of the
//! keyspace, is handed to one process-wide thread that drops it, so the shard serves
//! its next command at once. The values only need to be `Send`; the allocator frees
//! their blocks from any thread. INFO's `lazyfree_pending_objects` and
//! `lazyfreed_objects` come from here.
//!
//! The queue is bounded ([`JOBS_QUEUED_MAX`]): when it is full, or the thread could not
//! start, the caller frees the value itself, as a synchronous flush would.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crossbeam::channel::{Sender, TrySendError};

/// Values waiting for the freeing thread at most; past that, callers free their own.
pub const JOBS_QUEUED_MAX: usize = 64;

struct Job {
    value: Box<dyn Send>,
    objects: u64,
}

static QUEUE: OnceLock<Option<Sender<Job>>> = OnceLock::new();
static PENDING_OBJECTS: AtomicU64 = AtomicU64::new(0);
static FREED_OBJECTS: AtomicU64 = AtomicU64::new(0);

fn queue() -> Option<&'static Sender<Job>> {
    QUEUE
        .get_or_init(|| {
            let (tx, rx) = crossbeam::channel::bounded::<Job>(JOBS_QUEUED_MAX);
            std::thread::Builder::new()
                .name("shoal-lazyfree".into())
                .spawn(move || {
                    // Freeing is never urgent: the shards' threads come first.
                    super::lower_this_thread_priority();
                    for job in rx {
                        drop(job.value);
                        PENDING_OBJECTS.fetch_sub(job.objects, Ordering::Relaxed);
                        FREED_OBJECTS.fetch_add(job.objects, Ordering::Relaxed);
                    }
                })
                .ok()
                .map(|_| tx)
        })
        .as_ref()
}

/// Frees `value`, which holds `objects` keys (or other objects, for INFO), on the
/// freeing thread; here when that thread is busy with [`JOBS_QUEUED_MAX`] others.
pub fn free_later<T: Send + 'static>(value: T, objects: u64) {
    let Some(tx) = queue() else {
        return drop(value);
    };
    PENDING_OBJECTS.fetch_add(objects, Ordering::Relaxed);
    let job = Job {
        value: Box::new(value),
        objects,
    };
    if let Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) = tx.try_send(job) {
        PENDING_OBJECTS.fetch_sub(objects, Ordering::Relaxed);
        drop(job.value);
    }
}

/// Objects handed to [`free_later`] and not freed yet (`lazyfree_pending_objects`).
pub fn pending_objects() -> u64 {
    PENDING_OBJECTS.load(Ordering::Relaxed)
}

/// Objects the freeing thread has freed since startup (`lazyfreed_objects`).
pub fn freed_objects() -> u64 {
    FREED_OBJECTS.load(Ordering::Relaxed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    /// Dropping on the freeing thread: the value is gone once the counters say so.
    #[test]
    fn values_are_dropped_on_the_freeing_thread() {
        let value = Arc::new(vec![0u8; 1 << 20]);
        let watch = Arc::downgrade(&value);
        let freed_before = freed_objects();
        free_later(value, 7);
        let deadline = Instant::now() + Duration::from_secs(10);
        while watch.upgrade().is_some() || freed_objects() < freed_before + 7 {
            assert!(Instant::now() < deadline, "never freed");
            std::thread::sleep(Duration::from_millis(1));
        }
    }
}
