//! Bounded cross-thread mailboxes: a full mesh of single-producer single-consumer lanes, one
//! per ordered pair of threads (a thread may also send to itself), so that a shard thread can
//! hand a command to the thread that owns the key and get the reply back.
//!
//! Each thread owns exactly one [`Endpoint`]: it is the only producer of the lanes leaving the
//! thread and the only consumer of the lanes arriving at it. Messages of one lane arrive in the
//! order they were sent; [`Endpoint::try_recv`] takes one message per source in turn so that a
//! chatty thread cannot starve the others.
//!
//! Waking is the expensive part (a cross-thread wake of a sleeping glommio executor writes its
//! eventfd and costs ~100 µs on our VMs), so a sender wakes the receiver only when the receiving
//! task has declared itself parked; a busy receiver finds the message on its next
//! [`Endpoint::try_recv`] for free. Nothing here ever spins: a receiver with nothing to do
//! returns `Pending`, a sender facing a full lane waits on a waker (with a glommio timer as a
//! backstop).
//!
//! # The park protocol (why no wake-up can be lost)
//!
//! Per lane, the sender publishes a running count of messages pushed (`published`); per
//! receiving thread there is a `parked` flag and the receiving task's waker.
//!
//! - Sender: push the message, store `published` (Release), `fence(SeqCst)` (F1), then load
//!   `parked`; if it is set, `swap` it to false and wake the waker if the swap saw true.
//! - Receiver ([`Endpoint::recv`]): scan the lanes; if all are empty, store the waker, set
//!   `parked`, `fence(SeqCst)` (F2), scan the lanes again (loading `published`), and return
//!   `Pending` only if they are still empty.
//!
//! This is the store-buffering pattern: the two SeqCst fences are totally ordered. If F2 comes
//! after F1, the receiver's second scan sees the message. If F1 comes after F2, the sender's load
//! sees `parked == true` (or a later value: false written by another sender's swap, which then
//! does the wake, or by the receiver itself, which is then running and will scan again before it
//! parks). So after every push, either the receiver finds the message or somebody wakes it.
//! Plain SeqCst on the two accesses alone would not do: Rust (like C++) only orders SeqCst
//! accesses among themselves, and the lane accesses are Acquire/Release. The `swap` makes only
//! one of several concurrent senders pay for the wake. The waker is stored (under a mutex) before
//! `parked` is set with Release semantics and the sender's swap acquires, so a sender that sees
//! the flag also sees the current waker.
//!
//! # Counters instead of relying on the queue's internals
//!
//! `ArrayQueue` is multi-producer multi-consumer: a `pop` that meets a slot whose push is still
//! in flight (tail moved, value not yet written) spins until the pusher finishes, which on two
//! cores with a preempted pusher means burning a time slice; `push` on a full queue likewise
//! snoozes on a pop in flight. We never let that happen: the receiver pops only after reading a
//! `published` count that the sender stores after its push has completed, and the sender pushes
//! only after reading a `consumed` count that the receiver stores after its pop has completed.
//! The counts also give a cheap emptiness test (one load, no fence) for scanning many lanes.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering, fence};
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use crossbeam::queue::ArrayQueue;
use crossbeam::utils::CachePadded;
use futures_lite::future::FutureExt;

/// First backstop delay of a sender waiting for room. The room waker normally ends the wait
/// long before this; the timer only covers a second task waiting on the same lane (one waker
/// slot per lane) and a receiver that frees room and then stops receiving without parking
/// (see [`Endpoint::send`]).
const SEND_RETRY_DELAY_MIN_MICROS: u64 = 200;
/// Cap of the doubling backstop delay: a sender blocked on a stalled receiver polls the lane at
/// most this rarely, which is cheap and still bounds the latency of a missed room wake.
const SEND_RETRY_DELAY_MAX_MICROS: u64 = 5_000;

/// A waker shared between the thread that waits and the threads that wake it.
///
/// A mutex rather than a lock-free cell: it is touched only on the slow paths (parking, waking
/// a parked thread), where it is uncontended in practice, and it keeps this file free of
/// `unsafe`.
#[derive(Default)]
struct WakerSlot(Mutex<Option<Waker>>);

impl WakerSlot {
    fn register(&self, waker: &Waker) {
        let mut slot = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        // Cloning a glommio waker bumps an atomic count; skip it when the same task parks again.
        if !slot
            .as_ref()
            .is_some_and(|current| current.will_wake(waker))
        {
            *slot = Some(waker.clone());
        }
    }

    fn wake(&self) {
        // Clone under the lock, wake outside it: the wake may do a syscall (eventfd write), and
        // the waiting thread must not block on the lock meanwhile.
        let waker = self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(waker) = waker {
            waker.wake();
        }
    }
}

/// One direction between two threads.
struct Lane<T> {
    queue: ArrayQueue<T>,
    /// Messages pushed so far (wrapping); stored by the sender after each push completes.
    published: CachePadded<AtomicUsize>,
    /// Messages popped so far (wrapping); stored by the receiver after each pop completes.
    consumed: CachePadded<AtomicUsize>,
    /// Set by a sender waiting in [`Endpoint::send`] for this lane to have room.
    room_wanted: AtomicBool,
    room_waker: WakerSlot,
}

/// The receiving side of one thread.
#[derive(Default)]
struct Inbox {
    /// Set while the receiving task waits in [`Endpoint::recv`] with every lane seen empty.
    parked: AtomicBool,
    waker: WakerSlot,
}

/// The lanes between `threads` threads, created before the threads start; each thread then
/// takes its [`Endpoint`].
pub struct Mesh<T> {
    threads: usize,
    queue_messages_max: usize,
    /// Lane `from -> to` is at `to * threads + from`, so a receiver's lanes are contiguous.
    lanes: Box<[CachePadded<Lane<T>>]>,
    inboxes: Box<[CachePadded<Inbox>]>,
    /// One flag per thread: its endpoint exists. Two endpoints for one thread would break the
    /// single-producer single-consumer counting.
    endpoint_taken: Box<[AtomicBool]>,
}

impl<T: Send> Mesh<T> {
    /// Creates the lanes of `threads` threads, each lane holding at most `queue_messages_max`
    /// messages. Memory is allocated up front: `threads² × queue_messages_max` slots.
    ///
    /// # Panics
    /// If `threads` or `queue_messages_max` is zero.
    pub fn new(threads: usize, queue_messages_max: usize) -> Arc<Mesh<T>> {
        assert!(threads > 0, "a mesh needs at least one thread");
        assert!(queue_messages_max > 0, "a lane needs room for a message");
        let lanes = (0..threads * threads)
            .map(|_| {
                CachePadded::new(Lane {
                    queue: ArrayQueue::new(queue_messages_max),
                    published: CachePadded::new(AtomicUsize::new(0)),
                    consumed: CachePadded::new(AtomicUsize::new(0)),
                    room_wanted: AtomicBool::new(false),
                    room_waker: WakerSlot::default(),
                })
            })
            .collect();
        let inboxes = (0..threads).map(|_| CachePadded::default()).collect();
        let endpoint_taken = (0..threads).map(|_| AtomicBool::new(false)).collect();
        Arc::new(Mesh {
            threads,
            queue_messages_max,
            lanes,
            inboxes,
            endpoint_taken,
        })
    }

    /// Takes the endpoint of `thread`; it may be created anywhere and moved to its thread.
    ///
    /// # Panics
    /// If `thread` is out of range or its endpoint already exists (it is released on drop).
    pub fn endpoint(self: &Arc<Self>, thread: usize) -> Endpoint<T> {
        assert!(thread < self.threads, "thread {thread} out of range");
        // Acquire pairs with the Release in `Endpoint::drop`: a new endpoint sees the counts
        // its predecessor stored.
        let taken = self.endpoint_taken[thread].swap(true, Ordering::Acquire);
        assert!(!taken, "the endpoint of thread {thread} is already taken");
        let outgoing = (0..self.threads)
            .map(|to| {
                let lane = self.lane(thread, to);
                OutgoingLane {
                    pushed: Cell::new(lane.published.load(Ordering::Relaxed)),
                    consumed_seen: Cell::new(lane.consumed.load(Ordering::Acquire)),
                }
            })
            .collect();
        let incoming = (0..self.threads)
            .map(|from| {
                let lane = self.lane(from, thread);
                IncomingLane {
                    popped: Cell::new(lane.consumed.load(Ordering::Relaxed)),
                    published_seen: Cell::new(lane.published.load(Ordering::Acquire)),
                }
            })
            .collect();
        Endpoint {
            mesh: Arc::clone(self),
            index: thread,
            next_source: Cell::new(0),
            outgoing,
            incoming,
        }
    }
}

impl<T> Mesh<T> {
    /// Number of threads in the mesh.
    pub fn threads(&self) -> usize {
        self.threads
    }

    /// Capacity of each lane in messages.
    pub fn queue_messages_max(&self) -> usize {
        self.queue_messages_max
    }

    fn lane(&self, from: usize, to: usize) -> &Lane<T> {
        &self.lanes[to * self.threads + from]
    }
}

/// The sender's private view of a lane it feeds.
struct OutgoingLane {
    /// Equal to the lane's `published`; kept here to avoid reloading our own store.
    pushed: Cell<usize>,
    /// Last `consumed` read from the receiver; reloaded only when the lane looks full, so a
    /// sender does not pull the receiver's cache line on every push.
    consumed_seen: Cell<usize>,
}

/// The receiver's private view of a lane it drains.
struct IncomingLane {
    /// Equal to the lane's `consumed`.
    popped: Cell<usize>,
    /// Last `published` read from the sender; reloaded only when the lane looks empty.
    published_seen: Cell<usize>,
}

/// One thread's access to the mesh: sends to any thread, receives from all of them.
///
/// `Send` (so it can be created before the thread starts) but not `Sync`: its methods are meant
/// for the tasks of the one thread that owns it.
pub struct Endpoint<T> {
    mesh: Arc<Mesh<T>>,
    index: usize,
    /// Source lane [`Endpoint::try_recv`] looks at first (round robin).
    next_source: Cell<usize>,
    outgoing: Box<[OutgoingLane]>,
    incoming: Box<[IncomingLane]>,
}

impl<T: Send> Endpoint<T> {
    /// The thread this endpoint belongs to.
    pub fn index(&self) -> usize {
        self.index
    }

    /// Number of threads in the mesh.
    pub fn threads(&self) -> usize {
        self.mesh.threads
    }

    /// Queues `msg` for thread `to`, or gives it back if that lane is full. Never waits. Wakes
    /// the receiver only if it is parked.
    pub fn try_send(&self, to: usize, msg: T) -> Result<(), T> {
        let lane = self.mesh.lane(self.index, to);
        let out = &self.outgoing[to];
        let pushed = out.pushed.get();
        if pushed.wrapping_sub(out.consumed_seen.get()) >= self.mesh.queue_messages_max {
            // Acquire: the pop behind this count has finished with its slot.
            out.consumed_seen.set(lane.consumed.load(Ordering::Acquire));
            if pushed.wrapping_sub(out.consumed_seen.get()) >= self.mesh.queue_messages_max {
                return Err(msg);
            }
        }
        // Cannot fail: fewer than `queue_messages_max` messages are in the lane and we are its
        // only producer. Handled anyway rather than trusted.
        if let Err(msg) = lane.queue.push(msg) {
            debug_assert!(false, "lane {} -> {to} full despite its counts", self.index);
            return Err(msg);
        }
        out.pushed.set(pushed.wrapping_add(1));
        // Release: the receiver pops only after reading this count, so the push is complete.
        lane.published
            .store(pushed.wrapping_add(1), Ordering::Release);
        self.wake_if_parked(to);
        Ok(())
    }

    /// Queues `msg` for thread `to`, waiting for room while the lane is full. Must run on a
    /// glommio executor (the backstop uses its timers).
    ///
    /// The task that drains this endpoint (calls [`Endpoint::recv`]) must NOT use this, only
    /// [`Endpoint::try_send`]: if thread A's draining task waits for room towards B while B's
    /// draining task waits for room towards A (or A towards itself), neither lane is ever
    /// drained again and both threads deadlock. A draining task that meets a full lane must
    /// keep the message aside (or hand it to another task) and go on receiving.
    ///
    /// The room wake is immediate for one waiting task per lane; a second task waiting on the
    /// same lane relies on the retry timer (200 µs doubling up to 5 ms).
    pub async fn send(&self, to: usize, msg: T) {
        let mut msg = match self.try_send(to, msg) {
            Ok(()) => return,
            Err(msg) => msg,
        };
        let mut delay_micros = SEND_RETRY_DELAY_MIN_MICROS;
        loop {
            let room = WaitForRoom { endpoint: self, to };
            room.or(glommio::timer::sleep(Duration::from_micros(delay_micros)))
                .await;
            match self.try_send(to, msg) {
                Ok(()) => return,
                Err(back) => msg = back,
            }
            delay_micros = (delay_micros * 2).min(SEND_RETRY_DELAY_MAX_MICROS);
        }
    }

    /// Takes the next message, if any, looking at the sources in turn (one message per source
    /// before coming back to it). Never waits.
    pub fn try_recv(&self) -> Option<T> {
        let threads = self.mesh.threads;
        let first = self.next_source.get();
        for step in 0..threads {
            let mut from = first + step;
            if from >= threads {
                from -= threads;
            }
            if let Some(msg) = self.pop_from(from) {
                self.next_source
                    .set(if from + 1 == threads { 0 } else { from + 1 });
                return Some(msg);
            }
        }
        None
    }

    /// Takes the next message, parking until one arrives (see the module docs for the
    /// protocol). Only one task per endpoint may wait here at a time: there is one waker slot
    /// per receiving thread.
    pub async fn recv(&self) -> T {
        Recv {
            endpoint: self,
            parked: false,
        }
        .await
    }

    fn pop_from(&self, from: usize) -> Option<T> {
        let lane = self.mesh.lane(from, self.index);
        let inc = &self.incoming[from];
        let popped = inc.popped.get();
        if popped == inc.published_seen.get() {
            // Acquire: pairs with the sender's Release store, the push behind it is complete.
            inc.published_seen
                .set(lane.published.load(Ordering::Acquire));
            if popped == inc.published_seen.get() {
                return None;
            }
        }
        let Some(msg) = lane.queue.pop() else {
            debug_assert!(
                false,
                "lane {from} -> {} empty despite its counts",
                self.index
            );
            return None;
        };
        inc.popped.set(popped.wrapping_add(1));
        // Release: the sender pushes into the freed slot only after reading this count.
        lane.consumed
            .store(popped.wrapping_add(1), Ordering::Release);
        // Relaxed, no fence: a sender's flag missed here is seen by a later pop or by the
        // fenced check when we park; the sender's retry timer covers the rest.
        if lane.room_wanted.load(Ordering::Relaxed) {
            let queued = inc
                .published_seen
                .get()
                .wrapping_sub(popped.wrapping_add(1));
            // Hysteresis: wake the sender once half the lane is free rather than per slot,
            // or a sender ahead of us would pay a wake per message.
            if queued <= self.mesh.queue_messages_max / 2 {
                wake_room_waiter(lane);
            }
        }
        Some(msg)
    }

    /// Sender half of the park protocol; see the module docs.
    fn wake_if_parked(&self, to: usize) {
        let inbox = &self.mesh.inboxes[to];
        // F1: orders our `published` store before the `parked` load (store-buffering pattern).
        fence(Ordering::SeqCst);
        // The plain load keeps the common case (receiver busy) free of a read-modify-write on
        // the receiver's cache line; the swap elects one waker among racing senders, and
        // acquires the waker the receiver stored before setting the flag.
        if inbox.parked.load(Ordering::Relaxed) && inbox.parked.swap(false, Ordering::AcqRel) {
            inbox.waker.wake();
        }
    }

    /// Whether the lane to `to` has room, reloading the receiver's count.
    fn has_room(&self, to: usize) -> bool {
        let out = &self.outgoing[to];
        let consumed = self
            .mesh
            .lane(self.index, to)
            .consumed
            .load(Ordering::Acquire);
        out.consumed_seen.set(consumed);
        out.pushed.get().wrapping_sub(consumed) < self.mesh.queue_messages_max
    }

    /// After the park fence: wake every sender waiting for room in our (now empty) lanes.
    fn wake_room_waiters(&self) {
        for from in 0..self.mesh.threads {
            let lane = self.mesh.lane(from, self.index);
            if lane.room_wanted.load(Ordering::Relaxed) {
                wake_room_waiter(lane);
            }
        }
    }
}

fn wake_room_waiter<T>(lane: &Lane<T>) {
    if lane.room_wanted.swap(false, Ordering::AcqRel) {
        lane.room_waker.wake();
    }
}

impl<T> Drop for Endpoint<T> {
    fn drop(&mut self) {
        self.mesh.endpoint_taken[self.index].store(false, Ordering::Release);
    }
}

/// The future of [`Endpoint::recv`]; clears the parked flag when dropped while parked, so
/// senders stop waking a task that no longer listens.
struct Recv<'a, T: Send> {
    endpoint: &'a Endpoint<T>,
    parked: bool,
}

impl<T: Send> Recv<'_, T> {
    fn unpark(&mut self) {
        if self.parked {
            self.parked = false;
            self.endpoint.mesh.inboxes[self.endpoint.index]
                .parked
                .store(false, Ordering::Relaxed);
        }
    }
}

impl<T: Send> Future for Recv<'_, T> {
    type Output = T;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let endpoint = self.endpoint;
        if let Some(msg) = endpoint.try_recv() {
            self.unpark();
            return Poll::Ready(msg);
        }
        // Receiver half of the park protocol; see the module docs. The waker goes in first so
        // that a sender who sees the flag finds it.
        let inbox = &endpoint.mesh.inboxes[endpoint.index];
        inbox.waker.register(cx.waker());
        inbox.parked.store(true, Ordering::Release);
        self.parked = true;
        // F2: orders the `parked` store before the `published` loads of the re-scan.
        fence(Ordering::SeqCst);
        if let Some(msg) = endpoint.try_recv() {
            self.unpark();
            return Poll::Ready(msg);
        }
        // Every lane is empty now: let senders waiting for room go (fenced, so not lost).
        endpoint.wake_room_waiters();
        Poll::Pending
    }
}

impl<T: Send> Drop for Recv<'_, T> {
    fn drop(&mut self) {
        self.unpark();
    }
}

/// Waits until the lane `endpoint -> to` has room (or looks like it might).
struct WaitForRoom<'a, T: Send> {
    endpoint: &'a Endpoint<T>,
    to: usize,
}

impl<T: Send> Future for WaitForRoom<'_, T> {
    type Output = ();

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let lane = self.endpoint.mesh.lane(self.endpoint.index, self.to);
        if self.endpoint.has_room(self.to) {
            return Poll::Ready(());
        }
        // Same store-buffering shape as the park protocol, with `room_wanted` for `parked`
        // and `consumed` for `published`; the receiver side is fenced only when it parks
        // (see `pop_from`).
        lane.room_waker.register(cx.waker());
        lane.room_wanted.store(true, Ordering::Release);
        fence(Ordering::SeqCst);
        if self.endpoint.has_room(self.to) {
            return Poll::Ready(());
        }
        Poll::Pending
    }
}

impl<T: Send> Drop for WaitForRoom<'_, T> {
    fn drop(&mut self) {
        // Whether woken, timed out or cancelled, nobody waits any more.
        self.endpoint
            .mesh
            .lane(self.endpoint.index, self.to)
            .room_wanted
            .store(false, Ordering::Relaxed);
    }
}

#[cfg(test)]
#[path = "mailbox_tests.rs"]
mod tests;
