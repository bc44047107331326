//! Bounded cross-thread mailboxes: one single-producer queue per ordered pair of threads;
//! a receiver that finds every queue empty parks with a waker, and a sender wakes it
//! only when it is parked (a cross-thread wake costs a syscall). Never spins.

use std::cell::Cell;
use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Poll, Waker};
use std::time::Duration;

use crossbeam::queue::ArrayQueue;

struct Inbox<T> {
    /// queues[from]
    queues: Vec<ArrayQueue<T>>,
    parked: AtomicBool,
    waker: Mutex<Option<Waker>>,
}

pub struct Mesh<T> {
    inboxes: Vec<Inbox<T>>,
}

impl<T: Send> Mesh<T> {
    pub fn new(threads: usize, queue_messages_max: usize) -> Arc<Mesh<T>> {
        assert!(threads > 0 && queue_messages_max > 0);
        let inboxes = (0..threads)
            .map(|_| Inbox {
                queues: (0..threads)
                    .map(|_| ArrayQueue::new(queue_messages_max))
                    .collect(),
                parked: AtomicBool::new(false),
                waker: Mutex::new(None),
            })
            .collect();
        Arc::new(Mesh { inboxes })
    }

    pub fn endpoint(self: &Arc<Self>, thread: usize) -> Endpoint<T> {
        assert!(thread < self.inboxes.len());
        Endpoint {
            mesh: self.clone(),
            index: thread,
            next_source: Cell::new(0),
        }
    }
}

pub struct Endpoint<T> {
    mesh: Arc<Mesh<T>>,
    index: usize,
    next_source: Cell<usize>,
}

impl<T: Send> Endpoint<T> {
    pub fn index(&self) -> usize {
        self.index
    }

    pub fn try_send(&self, to: usize, msg: T) -> Result<(), T> {
        let inbox = &self.mesh.inboxes[to];
        inbox.queues[self.index].push(msg)?;
        // SeqCst pairs with the receiver's store of `parked` before its re-check: either
        // it sees our message, or we see it parked and wake it.
        if inbox.parked.load(Ordering::SeqCst)
            && inbox.parked.swap(false, Ordering::SeqCst)
            && let Some(w) = inbox.waker.lock().unwrap_or_else(|e| e.into_inner()).take()
        {
            w.wake();
        }
        Ok(())
    }

    /// Waits for room. Must not be called by the task that drains this thread's inbox:
    /// two threads each waiting for room in the other's full inbox would deadlock.
    pub async fn send(&self, to: usize, msg: T) {
        let mut msg = msg;
        let mut backoff_us = 10;
        loop {
            match self.try_send(to, msg) {
                Ok(()) => return,
                Err(m) => msg = m,
            }
            glommio::timer::sleep(Duration::from_micros(backoff_us)).await;
            backoff_us = (backoff_us * 2).min(1000);
        }
    }

    pub fn try_recv(&self) -> Option<T> {
        let queues = &self.mesh.inboxes[self.index].queues;
        let n = queues.len();
        let start = self.next_source.get();
        for i in 0..n {
            let from = (start + i) % n;
            if let Some(m) = queues[from].pop() {
                self.next_source.set((from + 1) % n);
                return Some(m);
            }
        }
        None
    }

    pub async fn recv(&self) -> T {
        poll_fn(|cx| {
            if let Some(m) = self.try_recv() {
                return Poll::Ready(m);
            }
            let inbox = &self.mesh.inboxes[self.index];
            *inbox.waker.lock().unwrap_or_else(|e| e.into_inner()) = Some(cx.waker().clone());
            inbox.parked.store(true, Ordering::SeqCst);
            match self.try_recv() {
                Some(m) => {
                    inbox.parked.store(false, Ordering::SeqCst);
                    Poll::Ready(m)
                }
                None => Poll::Pending,
            }
        })
        .await
    }
}
