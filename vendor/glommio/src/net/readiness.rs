// shoal patch 5: waiting for any descriptor to become readable.
//
//! A future that completes when a file descriptor becomes readable, through the
//! executor's io_uring (a one-shot `IORING_OP_POLL_ADD`). shoal polls its own epoll
//! descriptor with it, so that readiness of all its sockets costs one poll per pass.

use crate::sys::Source;
use std::{
    future::Future,
    io,
    os::unix::io::RawFd,
    pin::Pin,
    task::{Context, Poll},
};

/// Completes when `fd` is readable (or reports an error or hang-up). Dropping it
/// cancels the poll.
pub fn wait_readable(fd: RawFd) -> WaitReadable {
    WaitReadable { fd, source: None }
}

/// The future of [`wait_readable`].
#[derive(Debug)]
pub struct WaitReadable {
    fd: RawFd,
    source: Option<Source>,
}

impl Future for WaitReadable {
    type Output = io::Result<()>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fd = self.fd;
        let source = self
            .source
            .get_or_insert_with(|| crate::executor().reactor().poll_read_ready(fd));
        if let Some(result) = source.result() {
            self.source = None;
            return Poll::Ready(result.map(|_| ()));
        }
        source.add_waiter_single(cx.waker());
        Poll::Pending
    }
}

/// shoal patch 7: completes once `fd` is readable while the executor has nothing else
/// to do, or after the executor kept busy for a short while (50 us) without sleeping,
/// whichever comes first; it may complete spuriously. Unlike [`wait_readable`] it
/// submits nothing to the ring: an executor with such a waiter parked sleeps in one
/// `epoll_pwait2` on its rings and `fd`. One `fd` per executor.
pub fn wait_readable_when_idle(fd: RawFd) -> WaitReadableWhenIdle {
    WaitReadableWhenIdle { fd }
}

/// The future of [`wait_readable_when_idle`].
#[derive(Debug)]
pub struct WaitReadableWhenIdle {
    fd: RawFd,
}

impl Future for WaitReadableWhenIdle {
    type Output = io::Result<()>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match crate::executor().reactor().sys.idle_poll(self.fd, cx.waker()) {
            Ok(true) => Poll::Ready(Ok(())),
            Ok(false) => Poll::Pending,
            Err(e) => Poll::Ready(Err(e)),
        }
    }
}
