//! TCP for the executor threads: a listener and client streams whose readiness comes
//! from one edge-triggered epoll set per thread, not from one io_uring poll per read.
//!
//! Why not the runtime's own sockets: glommio arms a one-shot io_uring poll before
//! every read that finds no data, which at one request per read (redis-benchmark -P 1)
//! is a poll set up, fired, completed and torn down per request. Here every socket is
//! registered once in the thread's epoll set; a single driver task reads every ready
//! event in one `epoll_wait` and wakes the tasks that wait on those sockets. When there
//! are none it parks until the executor is idle (`wait_readable_when_idle`): the
//! executor then sleeps in an epoll set that holds this one as well as its rings, so
//! waiting for sockets costs no io_uring operation at all. Reads and writes are
//! plain non-blocking `recv`/`send`, as in redis-server's event loop.
//!
//! Each socket has two flags, readable and writable. An event sets them; a read or write
//! that finds the socket drained (`EAGAIN`, or a read shorter than its buffer) clears
//! them. Edge-triggered epoll reports every new arrival after that, so no wake-up is
//! lost: the flags are only cleared by the task that owns the socket, inside a single
//! poll, and events are applied only between polls.

use std::cell::{Cell, RefCell};
use std::future::poll_fn;
use std::io;
use std::net::SocketAddr;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::rc::Rc;
use std::task::{Poll, Waker};
use std::time::{Duration, Instant};

/// Events taken from the kernel per `epoll_wait`; a pass repeats while a batch is full.
const EVENTS_PER_WAIT_MAX: usize = 256;

/// A socket's readiness as last reported, and who waits for it.
#[derive(Default)]
struct Readiness {
    readable: Cell<bool>,
    writable: Cell<bool>,
    reader: Cell<Option<Waker>>,
    writer: Cell<Option<Waker>>,
}

impl Readiness {
    fn apply(&self, events: u32) {
        const HANGUP: u32 = (libc::EPOLLERR | libc::EPOLLHUP | libc::EPOLLRDHUP) as u32;
        if events & (libc::EPOLLIN as u32 | HANGUP) != 0 {
            self.readable.set(true);
            if let Some(w) = self.reader.take() {
                w.wake();
            }
        }
        if events & (libc::EPOLLOUT as u32 | HANGUP) != 0 {
            self.writable.set(true);
            if let Some(w) = self.writer.take() {
                w.wake();
            }
        }
    }
}

/// One thread's epoll set and the readiness of each socket in it, by slot.
struct Poller {
    epoll: OwnedFd,
    slots: RefCell<Vec<Option<Rc<Readiness>>>>,
    free_slots: RefCell<Vec<usize>>,
}

thread_local! {
    static POLLER: RefCell<Option<Rc<Poller>>> = const { RefCell::new(None) };
}

/// This thread's poller, created (with its driver task) on first use.
fn poller() -> io::Result<Rc<Poller>> {
    if let Some(p) = POLLER.with(|p| p.borrow().clone()) {
        return Ok(p);
    }
    // SAFETY: epoll_create1 takes no pointers; a non-negative result is a new descriptor
    // that nothing else owns.
    let fd = unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just created above and is owned by nobody else.
    let epoll = unsafe { OwnedFd::from_raw_fd(fd) };
    let poller = Rc::new(Poller {
        epoll,
        slots: RefCell::new(Vec::new()),
        free_slots: RefCell::new(Vec::new()),
    });
    POLLER.with(|p| *p.borrow_mut() = Some(poller.clone()));
    super::spawn_local(drive(poller.clone()));
    Ok(poller)
}

/// How long the driver keeps making passes without waiting on the epoll descriptor,
/// while each pass finds events. Between passes the woken tasks run; after a pass that
/// finds nothing, or once this much time went by, the driver waits through the runtime,
/// which lets the executor handle its own I/O and timers (it does so only once its run
/// queue is empty): a timer fires at most this late because of the driver.
const BUSY_PASSES_TIME_MAX: Duration = Duration::from_micros(500);

/// Hands every ready event to its socket, forever: while events keep coming, by asking
/// the kernel again after the woken tasks have run (a plain `epoll_wait`, as
/// redis-server's loop does); once none are waiting, by parking until the executor has
/// nothing else to do and sleeps on this epoll set among its own descriptors.
async fn drive(poller: Rc<Poller>) {
    let mut events = vec![libc::epoll_event { events: 0, u64: 0 }; EVENTS_PER_WAIT_MAX];
    let mut busy_since: Option<Instant> = None;
    loop {
        if take_events(&poller, &mut events) > 0 {
            let since = *busy_since.get_or_insert_with(Instant::now);
            if since.elapsed() < BUSY_PASSES_TIME_MAX {
                futures_lite::future::yield_now().await;
                continue;
            }
        }
        busy_since = None;
        if let Err(e) = glommio::net::wait_readable_when_idle(poller.epoll.as_raw_fd()).await {
            tracing::warn!("waiting for socket events failed: {e}");
            super::sleep(Duration::from_millis(1)).await;
        }
    }
}

/// Applies every event waiting in the epoll set; returns how many there were.
fn take_events(poller: &Poller, events: &mut [libc::epoll_event]) -> usize {
    let mut taken = 0;
    loop {
        // SAFETY: `events` is a live buffer the kernel fills with at most its length;
        // timeout 0 never blocks.
        let n = unsafe {
            libc::epoll_wait(
                poller.epoll.as_raw_fd(),
                events.as_mut_ptr(),
                events.len() as libc::c_int,
                0,
            )
        };
        if n <= 0 {
            return taken; // none, or EINTR: the next pass asks again
        }
        let n = n as usize;
        let slots = poller.slots.borrow();
        for event in &events[..n] {
            if let Some(Some(ready)) = slots.get(event.u64 as usize) {
                ready.apply(event.events);
            }
        }
        taken += n;
        if n < events.len() {
            return taken;
        }
    }
}

/// A descriptor's membership in this thread's epoll set; leaves it when dropped.
struct Registration {
    poller: Rc<Poller>,
    slot: usize,
    fd: RawFd,
    ready: Rc<Readiness>,
}

impl Registration {
    fn new(fd: RawFd) -> io::Result<Self> {
        let poller = poller()?;
        let ready = Rc::new(Readiness::default());
        // Try at once: a new connection usually has its first request waiting.
        ready.readable.set(true);
        ready.writable.set(true);
        let slot = match poller.free_slots.borrow_mut().pop() {
            Some(slot) => slot,
            None => {
                let mut slots = poller.slots.borrow_mut();
                slots.push(None);
                slots.len() - 1
            }
        };
        let mut event = libc::epoll_event {
            events: (libc::EPOLLIN | libc::EPOLLOUT | libc::EPOLLRDHUP | libc::EPOLLET) as u32,
            u64: slot as u64,
        };
        // SAFETY: `event` is a live epoll_event the kernel only reads; `fd` is a socket
        // its caller owns for at least as long as this registration.
        let rc = unsafe {
            libc::epoll_ctl(
                poller.epoll.as_raw_fd(),
                libc::EPOLL_CTL_ADD,
                fd,
                &mut event,
            )
        };
        if rc < 0 {
            poller.free_slots.borrow_mut().push(slot);
            return Err(io::Error::last_os_error());
        }
        poller.slots.borrow_mut()[slot] = Some(ready.clone());
        Ok(Registration {
            poller,
            slot,
            fd,
            ready,
        })
    }

    /// Waits until the flag chosen by `read` is set (an event arrived since it was
    /// cleared).
    async fn wait(&self, read: bool) {
        poll_fn(|cx| {
            let (flag, waiter) = if read {
                (&self.ready.readable, &self.ready.reader)
            } else {
                (&self.ready.writable, &self.ready.writer)
            };
            if flag.get() {
                return Poll::Ready(());
            }
            waiter.set(Some(cx.waker().clone()));
            Poll::Pending
        })
        .await
    }
}

impl Drop for Registration {
    fn drop(&mut self) {
        // SAFETY: a null event is allowed for EPOLL_CTL_DEL; `fd` is still open (its
        // owner drops this registration first).
        unsafe {
            libc::epoll_ctl(
                self.poller.epoll.as_raw_fd(),
                libc::EPOLL_CTL_DEL,
                self.fd,
                std::ptr::null_mut(),
            );
        }
        self.poller.slots.borrow_mut()[self.slot] = None;
        self.poller.free_slots.borrow_mut().push(self.slot);
    }
}

/// What a non-blocking socket call returned.
fn syscall_result(rc: isize) -> io::Result<usize> {
    if rc < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(rc as usize)
    }
}

/// A client connection served by this thread.
pub struct TcpStream {
    // Declared first so it is dropped (leaving the epoll set) before the socket closes.
    registration: Registration,
    socket: std::net::TcpStream,
    read_timeout: Option<Duration>,
}

impl TcpStream {
    /// Serves a connected socket from this executor thread (registers it in the
    /// thread's epoll set).
    pub fn from_std(socket: std::net::TcpStream) -> io::Result<Self> {
        socket.set_nonblocking(true)?;
        let registration = Registration::new(socket.as_raw_fd())?;
        Ok(TcpStream {
            registration,
            socket,
            read_timeout: None,
        })
    }

    /// Reads what has arrived, waiting for something if nothing has; `Ok(0)` at end of
    /// stream. With a read timeout set, waiting longer fails with `TimedOut`.
    pub async fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        loop {
            let ready = &self.registration.ready;
            if ready.readable.get() {
                // SAFETY: `buf` is a live, writable buffer of `buf.len()` bytes.
                let rc = unsafe {
                    libc::recv(
                        self.socket.as_raw_fd(),
                        buf.as_mut_ptr().cast(),
                        buf.len(),
                        0,
                    )
                };
                match syscall_result(rc) {
                    Ok(n) => {
                        // A short read drained the socket: wait for the next event.
                        if n < buf.len() && n > 0 {
                            ready.readable.set(false);
                        }
                        return Ok(n);
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => ready.readable.set(false),
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e),
                }
            }
            match self.read_timeout {
                None => self.registration.wait(true).await,
                Some(limit) => {
                    let timed_out = async {
                        super::sleep(limit).await;
                        true
                    };
                    let woken = async {
                        self.registration.wait(true).await;
                        false
                    };
                    if futures_lite::future::or(woken, timed_out).await {
                        return Err(io::ErrorKind::TimedOut.into());
                    }
                }
            }
        }
    }

    /// Writes all of `buf`, waiting for room in the socket's send buffer when it fills.
    pub async fn write_all(&mut self, mut buf: &[u8]) -> io::Result<()> {
        while !buf.is_empty() {
            let ready = &self.registration.ready;
            if !ready.writable.get() {
                self.registration.wait(false).await;
                continue;
            }
            // SAFETY: `buf` is a live buffer of `buf.len()` readable bytes.
            let rc = unsafe {
                libc::send(
                    self.socket.as_raw_fd(),
                    buf.as_ptr().cast(),
                    buf.len(),
                    libc::MSG_NOSIGNAL,
                )
            };
            match syscall_result(rc) {
                Ok(n) => buf = &buf[n..],
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => ready.writable.set(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(())
    }

    /// The longest a read waits for data; `None` waits for ever.
    pub fn set_read_timeout(&mut self, limit: Option<Duration>) {
        self.read_timeout = limit;
    }

    pub fn set_nodelay(&self, on: bool) -> io::Result<()> {
        self.socket.set_nodelay(on)
    }

    pub fn peer_addr(&self) -> io::Result<SocketAddr> {
        self.socket.peer_addr()
    }

    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.socket.local_addr()
    }
}

impl AsRawFd for TcpStream {
    fn as_raw_fd(&self) -> RawFd {
        self.socket.as_raw_fd()
    }
}

/// This thread's handle on the process's listening socket.
pub struct TcpListener {
    registration: Registration,
    socket: std::net::TcpListener,
}

impl TcpListener {
    /// Shares `listener` (through a duplicate descriptor), so every thread accepts on
    /// the one socket without SO_REUSEPORT and a port already taken fails at bind time.
    pub fn share(listener: &std::net::TcpListener) -> io::Result<Self> {
        let socket = listener.try_clone()?;
        socket.set_nonblocking(true)?;
        let registration = Registration::new(socket.as_raw_fd())?;
        Ok(TcpListener {
            registration,
            socket,
        })
    }

    /// The next connection, not yet served by any thread (see [`TcpStream::from_std`]:
    /// the caller may hand it to another thread). Every thread's epoll set hears of each
    /// one; the threads that lose the race find nothing and wait again.
    pub async fn accept(&self) -> io::Result<std::net::TcpStream> {
        loop {
            match self.socket.accept() {
                Ok((socket, _)) => return Ok(socket),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.registration.ready.readable.set(false);
                    self.registration.wait(true).await;
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }
}
