//! The thin layer between shoal and its async runtime (glommio): starting one executor
//! per thread (pinned to a core or not), spawning local tasks, timers, TCP, and the
//! cross-thread [`mailbox`]es. Everything else in shoal uses these names, so the runtime
//! could be swapped by rewriting this module.

pub mod clock;
pub mod lazyfree;
pub mod limits;
pub mod mailbox;
pub mod oneshot;
pub mod tcp;

use std::future::Future;
use std::io;
use std::time::Duration;

use glommio::{LocalExecutorBuilder, Placement};

pub use tcp::{TcpListener, TcpStream};

/// Locked memory glommio registers per executor for io_uring buffers. Small, so that the
/// default 8 MiB RLIMIT_MEMLOCK of a non-root user covers many threads.
const IO_MEMORY_BYTES_PER_THREAD: usize = 256 * 1024;

pub struct ThreadHandle {
    inner: glommio::ExecutorJoinHandle<()>,
}

impl ThreadHandle {
    /// Waits for the thread; an executor that could not even start (io_uring refused,
    /// locked memory exhausted) reports why, with advice.
    pub fn join(self) -> io::Result<()> {
        self.inner.join().map_err(explain_start_error)
    }
}

/// Starts executor thread `index`, pinned to `core` when given. `make` builds the
/// thread's main future on the new thread.
pub fn start_thread<G, F>(index: usize, core: Option<usize>, make: G) -> io::Result<ThreadHandle>
where
    G: FnOnce() -> F + Send + 'static,
    F: Future<Output = ()> + 'static,
{
    let placement = match core {
        Some(cpu) => Placement::Fixed(cpu),
        None => Placement::Unbound,
    };
    let inner = LocalExecutorBuilder::new(placement)
        .name(&format!("shoal-{index}"))
        .io_memory(IO_MEMORY_BYTES_PER_THREAD)
        .ring_depth(256)
        .spawn(make)
        .map_err(explain_start_error)?;
    Ok(ThreadHandle { inner })
}

/// Turns glommio's startup failures into advice on what to change.
fn explain_start_error(e: glommio::GlommioError<()>) -> io::Error {
    let text = e.to_string();
    let hint = if text.contains("ENOMEM")
        || text.contains("memlock")
        || text.contains("Cannot allocate memory")
    {
        "the locked-memory limit is too low for io_uring: raise it (ulimit -l, LimitMEMLOCK= in systemd, --ulimit memlock=-1 in docker) or use fewer --threads"
    } else if text.contains("EPERM")
        || text.contains("ENOSYS")
        || text.contains("Operation not permitted")
        || text.contains("not implemented")
    {
        "io_uring is unavailable: the kernel must be 5.8 or newer, and a container's seccomp profile must allow io_uring_setup/io_uring_enter (docker: --security-opt seccomp=unconfined or a profile that allows them)"
    } else {
        "could not start an io_uring executor (needs Linux 5.8+ with io_uring enabled)"
    };
    io::Error::other(format!("{text}: {hint}"))
}

/// The ids of the cores this process may run on, read before any thread is pinned.
pub fn available_cores() -> Vec<usize> {
    core_affinity::get_core_ids()
        .unwrap_or_default()
        .into_iter()
        .map(|c| c.id)
        .collect()
}

/// Gives the calling (helper, non-executor) thread the lowest scheduling priority,
/// nice 19: on a machine with no spare core, its bursts of work then wait for the
/// shard threads instead of preempting one in the middle of a command. An unprivileged
/// process may always lower its own priority; a refusal is logged and ignored.
pub fn lower_this_thread_priority() {
    const NICE_LOWEST: libc::c_int = 19;
    // SAFETY: setpriority reads its integer arguments only; a thread id from gettid
    // names the calling thread (Linux schedules threads individually).
    let refused = unsafe {
        libc::setpriority(
            libc::PRIO_PROCESS,
            libc::gettid() as libc::id_t,
            NICE_LOWEST,
        ) != 0
    };
    if refused {
        tracing::debug!(
            "could not lower a helper thread's priority: {}",
            io::Error::last_os_error()
        );
    }
}

/// Lets the calling (helper) thread run only on CPU time no other thread wants
/// (`SCHED_IDLE`): a shard thread that wakes takes the core from it at once, where a
/// nice-19 thread may finish its time slice first (EEVDF protects the running task's
/// slice). For the BGSAVE writer with 2 shard threads on 2 cores: p99 of a write load
/// during a save 1.53-1.67 -> 1.09-1.22 ms (scripts/bgsave_bench, three alternating
/// runs). With a core to spare it only slowed the save (1 thread: 2.1 -> 3.3 s).
/// The cost: on cores that never idle it advances only by the scheduler's minimum share,
/// as a nice-19 thread nearly does too. Switching to SCHED_IDLE is allowed without
/// privileges (switching back is not); a refusal falls back to nice 19.
pub fn run_this_thread_only_when_idle() {
    let param = libc::sched_param { sched_priority: 0 };
    // SAFETY: sched_setscheduler reads the sched_param it is given, which lives on this
    // stack for the call; pid 0 names the calling thread.
    let refused = unsafe { libc::sched_setscheduler(0, libc::SCHED_IDLE, &param) != 0 };
    if refused {
        lower_this_thread_priority();
    }
}

/// The process's open-files limit (RLIMIT_NOFILE): (soft, hard).
pub fn open_files_limit() -> io::Result<(u64, u64)> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes the two fields of the rlimit it is given, which lives on
    // this stack frame for the call.
    if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((limit.rlim_cur, limit.rlim_max))
}

/// Sets the process's open-files limit (RLIMIT_NOFILE); raising the hard limit needs
/// privileges.
pub fn set_open_files_limit(soft: u64, hard: u64) -> io::Result<()> {
    let limit = libc::rlimit {
        rlim_cur: soft,
        rlim_max: hard,
    };
    // SAFETY: setrlimit only reads the rlimit it is given, which lives on this stack
    // frame for the call.
    if unsafe { libc::setrlimit(libc::RLIMIT_NOFILE, &limit) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// Spawns a task on the current executor; it runs until it completes.
pub fn spawn_local<F: Future<Output = ()> + 'static>(future: F) {
    glommio::spawn_local(future).detach();
}

pub async fn sleep(duration: Duration) {
    glommio::timer::sleep(duration).await;
}

/// Lets other tasks on this executor run.
pub async fn yield_now() {
    glommio::yield_if_needed().await;
}
