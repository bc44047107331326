//! A one-shot cell that carries one value from any thread to one waiting task: how a
//! shard hands a hop's result back to the connection that sent it. Completing never
//! waits on anything, so a shard's message loop can complete cells freely.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll, Waker};

struct State<T> {
    value: Option<T>,
    waker: Option<Waker>,
}

pub struct OneShot<T> {
    state: Mutex<State<T>>,
}

impl<T> OneShot<T> {
    pub fn new() -> Arc<Self> {
        Arc::new(OneShot {
            state: Mutex::new(State {
                value: None,
                waker: None,
            }),
        })
    }

    /// Stores the value and wakes the waiter (on its own executor).
    pub fn complete(&self, value: T) {
        let waker = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.value = Some(value);
            state.waker.take()
        };
        if let Some(w) = waker {
            w.wake();
        }
    }

    pub fn try_take(&self) -> Option<T> {
        self.state
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .value
            .take()
    }

    pub fn wait(self: &Arc<Self>) -> Wait<T> {
        Wait { cell: self.clone() }
    }
}

pub struct Wait<T> {
    cell: Arc<OneShot<T>>,
}

impl<T> Future for Wait<T> {
    type Output = T;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<T> {
        let mut state = self.cell.state.lock().unwrap_or_else(|e| e.into_inner());
        match state.value.take() {
            Some(v) => Poll::Ready(v),
            None => {
                state.waker = Some(cx.waker().clone());
                Poll::Pending
            }
        }
    }
}
