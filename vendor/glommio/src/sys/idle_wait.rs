// shoal patch 7: sleeping in epoll_pwait2 on the rings and one foreign descriptor.
//
//! An executor normally sleeps in its main ring (`io_uring_enter` waiting for one
//! completion) after linking the latency ring to it with a poll and arming a timeout for
//! its next timer; on waking it cancels the poll and the timeout. A caller that waits
//! for a descriptor through the ring adds a poll of its own, set up and completed each
//! time. That is four to six `io_uring_enter` per sleep.
//!
//! With an idle waiter registered (see [`crate::net::wait_readable_when_idle`]), the
//! executor instead sleeps in one `epoll_pwait2` on a set holding both rings' descriptors,
//! its cross-thread eventfd and the waiter's descriptor, with its next timer as the
//! timeout. Completions still wake it: a completion posted directly makes a ring
//! descriptor readable, and one delivered as task work (`IORING_SETUP_COOP_TASKRUN`)
//! sets `TIF_NOTIFY_SIGNAL`, which wakes an interruptible sleeper; the task work runs as
//! the system call returns, before the rings are consumed.
//!
//! An executor that never runs out of work never sleeps; the waiter is then woken after
//! [`BUSY_WAKE_AFTER`] of executor passes, so that the descriptor is still looked at.

use std::{
    io,
    os::unix::io::{AsRawFd, FromRawFd, OwnedFd, RawFd},
    task::Waker,
    time::{Duration, Instant},
};

/// How long a parked waiter waits while the executor keeps running other work without
/// sleeping, before it is woken to look at its descriptor itself.
const BUSY_WAKE_AFTER: Duration = Duration::from_micros(50);

/// Events taken per sleep; only the waiter's tag matters, the rings are consumed anyway.
const SLEEP_EVENTS_MAX: usize = 8;

/// Tag of the waiter's descriptor in the sleep set (the rings and eventfd carry 0).
const TAG_WAITER: u64 = 1;

#[derive(Debug, Default)]
pub(crate) struct IdleWait {
    set: Option<OwnedFd>,
    fd: RawFd,
    waker: Option<Waker>,
    ready: bool,
    parked_at: Option<Instant>,
}

fn epoll_add(set: RawFd, fd: RawFd, tag: u64, events: libc::c_int) -> io::Result<()> {
    let mut event = libc::epoll_event {
        events: events as u32,
        u64: tag,
    };
    // SAFETY: `event` is a live epoll_event for the duration of the call.
    if unsafe { libc::epoll_ctl(set, libc::EPOLL_CTL_ADD, fd, &mut event) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

impl IdleWait {
    /// Registers `waker` to be woken once `fd` is readable and the executor is idle.
    /// Returns true (and forgets the waker) if that already happened since the last
    /// call. `sleepers` are the descriptors that must also wake a sleeping executor;
    /// `eventfd`, the executor's cross-thread eventfd, is watched edge-triggered (shoal
    /// patch 8): every write to it is an edge, so nobody needs to read it for the
    /// sleep to work, and an idle executor does not re-arm its io_uring read of it
    /// (one `io_uring_enter`) after every wake-up from another thread.
    pub(crate) fn poll(
        &mut self,
        fd: RawFd,
        sleepers: &[RawFd],
        eventfd: RawFd,
        waker: &Waker,
    ) -> io::Result<bool> {
        match &self.set {
            Some(_) if self.fd != fd => {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidInput,
                    "one idle waiter per executor",
                ))
            }
            Some(_) => {}
            None => {
                // SAFETY: plain system call; the result is checked.
                let raw = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
                if raw < 0 {
                    return Err(io::Error::last_os_error());
                }
                // SAFETY: `raw` is a descriptor we just created and own.
                let set = unsafe { OwnedFd::from_raw_fd(raw) };
                for &sleeper in sleepers {
                    epoll_add(raw, sleeper, 0, libc::EPOLLIN)?;
                }
                epoll_add(raw, eventfd, 0, libc::EPOLLIN | libc::EPOLLET)?;
                epoll_add(raw, fd, TAG_WAITER, libc::EPOLLIN)?;
                self.set = Some(set);
                self.fd = fd;
            }
        }
        if self.ready {
            self.ready = false;
            self.waker = None;
            self.parked_at = None;
            return Ok(true);
        }
        if self.parked_at.is_none() {
            self.parked_at = Some(Instant::now());
        }
        self.waker = Some(waker.clone());
        Ok(false)
    }

    /// Whether a sleep should go through [`IdleWait::sleep`].
    pub(crate) fn parked(&self) -> bool {
        self.waker.is_some()
    }

    fn wake(&mut self) {
        self.ready = true;
        self.parked_at = None;
        if let Some(waker) = self.waker.take() {
            waker.wake();
        }
    }

    /// Called on every pass of the executor that does not sleep.
    pub(crate) fn busy_pass(&mut self) {
        if let Some(parked_at) = self.parked_at {
            if self.waker.is_some() && parked_at.elapsed() >= BUSY_WAKE_AFTER {
                self.wake();
            }
        }
    }

    /// Sleeps until a ring, the eventfd or the waiter's descriptor is readable, task
    /// work arrives, or `timeout` passes; wakes the waiter if its descriptor is ready.
    pub(crate) fn sleep(&mut self, timeout: Option<Duration>) -> io::Result<()> {
        let set = match &self.set {
            Some(set) => set.as_raw_fd(),
            None => return Ok(()),
        };
        let mut events = [libc::epoll_event { events: 0, u64: 0 }; SLEEP_EVENTS_MAX];
        let ts = timeout.map(|d| libc::timespec {
            tv_sec: d.as_secs().min(i64::MAX as u64) as libc::time_t,
            tv_nsec: d.subsec_nanos() as libc::c_long,
        });
        let ts_ptr = ts
            .as_ref()
            .map_or(std::ptr::null(), |ts| ts as *const libc::timespec);
        // SAFETY: `events` holds SLEEP_EVENTS_MAX entries the kernel may fill; `ts_ptr` is
        // null or points at a live timespec; a null sigmask leaves the mask alone. The raw
        // system call avoids depending on a glibc new enough to wrap it (2.35).
        let mut n = unsafe {
            libc::syscall(
                libc::SYS_epoll_pwait2,
                set,
                events.as_mut_ptr(),
                SLEEP_EVENTS_MAX as libc::c_int,
                ts_ptr,
                std::ptr::null::<libc::sigset_t>(),
                0usize,
            )
        };
        if n < 0 && io::Error::last_os_error().raw_os_error() == Some(libc::ENOSYS) {
            // Kernels before 5.11: millisecond timeouts, rounded up.
            let ms = timeout.map_or(-1, |d| {
                d.as_nanos().div_ceil(1_000_000).min(i32::MAX as u128) as libc::c_int
            });
            // SAFETY: as above.
            n = unsafe {
                libc::epoll_wait(set, events.as_mut_ptr(), SLEEP_EVENTS_MAX as libc::c_int, ms)
            } as libc::c_long;
        }
        if n < 0 {
            let err = io::Error::last_os_error();
            return match err.raw_os_error() {
                Some(libc::EINTR) => Ok(()),
                _ => Err(err),
            };
        }
        if events[..n as usize].iter().any(|e| e.u64 == TAG_WAITER) {
            self.wake();
        }
        Ok(())
    }
}
