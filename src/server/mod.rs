//! Startup and the per-thread main loop: bind the one listening socket, start one
//! executor per shard (pinned to a core or not: `pin-threads`), and on each thread run
//! the shard's message loop, the active expiry ticks from the clock thread (which also
//! checks the `save` rules), and the accept loop; then load the dataset while serving
//! ([`load`]). Connections live in [`conn`]; the single dispatch gate and pipeline
//! batching in [`dispatch`].

mod balance;
pub mod conn;
pub mod dispatch;
pub mod load;

use std::cell::RefCell;
use std::io;
use std::net::{SocketAddr, TcpListener as StdListener};
use std::rc::Rc;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::commands::context::ServerState;
use crate::config::Config;
use crate::runtime::{self, mailbox::Mesh};
use crate::shard::set::{MAILBOX_MESSAGES_MAX, ShardSet};
use crate::shard::{Shard, ShardMsg};

/// A running server (the binary and the tests use the same entry point).
pub struct ServerHandle {
    pub addr: SocketAddr,
    pub state: Arc<ServerState>,
    threads: Vec<runtime::ThreadHandle>,
}

impl ServerHandle {
    /// Asks every thread to stop and waits for them.
    pub fn shutdown(self) {
        self.state.shutdown.store(true, Ordering::SeqCst);
        // Wake the accept loops: a connection to ourselves completes a pending accept.
        for _ in 0..self.threads.len() {
            let _ = std::net::TcpStream::connect_timeout(&self.addr, Duration::from_millis(200));
        }
        self.wait();
    }

    /// Blocks until every thread ended (after SHUTDOWN).
    pub fn wait(self) {
        for t in self.threads {
            if let Err(e) = t.join() {
                tracing::error!("executor thread failed: {e}");
            }
        }
    }
}

/// Number of shards for `threads` (0 = one per available core).
pub fn shards_for(threads: usize) -> usize {
    if threads > 0 {
        threads
    } else {
        runtime::available_cores().len().max(1)
    }
}

/// Whether `settings` pin the executor threads on this machine (`pin-threads`).
pub fn threads_pinned(settings: &crate::config::Settings) -> bool {
    let cores = runtime::available_cores().len();
    settings
        .pin_threads
        .pins(shards_for(settings.threads), cores)
}

fn bind(settings: &crate::config::Settings) -> io::Result<StdListener> {
    let host = settings
        .bind
        .first()
        .map(String::as_str)
        .unwrap_or("127.0.0.1");
    let host = if host == "*" {
        "0.0.0.0"
    } else {
        host.trim_start_matches('-')
    };
    let addr: SocketAddr = format!("{host}:{}", settings.port)
        .parse()
        .or_else(|_| format!("[{host}]:{}", settings.port).parse())
        .map_err(|_| {
            io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("invalid bind address '{host}'"),
            )
        })?;
    let domain = if addr.is_ipv6() {
        socket2::Domain::IPV6
    } else {
        socket2::Domain::IPV4
    };
    let socket = socket2::Socket::new(domain, socket2::Type::STREAM, Some(socket2::Protocol::TCP))?;
    // SO_REUSEADDR (as Redis sets) allows restarts over TIME_WAIT; no SO_REUSEPORT, so a
    // port held by another server fails here with "Address already in use".
    socket.set_reuse_address(true)?;
    socket.bind(&addr.into())?;
    socket.listen(settings.tcp_backlog.min(i32::MAX as u32) as i32)?;
    Ok(socket.into())
}

/// Binds, starts every thread and returns once all are accepting connections.
pub fn start(mut config: Config) -> io::Result<ServerHandle> {
    let wanted = config.settings().maxclients;
    let maxclients =
        runtime::limits::fit_maxclients(wanted, shards_for(config.settings().threads))?;
    if maxclients < wanted {
        config
            .set(&[(b"maxclients", maxclients.to_string().as_bytes())])
            .map_err(io::Error::other)?;
    }
    let settings = config.settings().clone();
    let key_load_delay_us = config.int_value("key-load-delay").unwrap_or(0);
    let shards_count = shards_for(settings.threads);
    let listener = bind(&settings)?;
    let addr = listener.local_addr()?;
    let cores = runtime::available_cores();
    runtime::clock::init();
    crate::alloc::hand_purging_to_clock_thread();
    let state = Arc::new(ServerState::new(config, shards_count, cores.len()));
    // As Redis: the listener serves while the dataset loads, answering -LOADING.
    let loading = load::begin(&settings, &state);
    state.refresh_write_gate();
    state
        .tcp_port
        .store(addr.port() as usize, Ordering::Relaxed);
    // One endpoint per shard thread, plus one for the clock thread (see `start_clock`)
    // and one for the startup load (see `load`).
    let mesh: Arc<Mesh<ShardMsg>> = Mesh::new(shards_count + 2, MAILBOX_MESSAGES_MAX);
    let settings = Arc::new(settings);
    let (ready_tx, ready_rx) = std::sync::mpsc::channel::<(usize, io::Result<()>)>();
    let listener = Arc::new(Mutex::new(listener));
    let mut threads = Vec::with_capacity(shards_count);
    let pinned = settings.pin_threads.pins(shards_count, cores.len());
    let evictable_keys: Arc<[std::sync::atomic::AtomicU64]> = (0..shards_count)
        .map(|_| std::sync::atomic::AtomicU64::new(0))
        .collect();
    let loads = balance::ThreadLoads::new(shards_count);
    for index in 0..shards_count {
        let core = pinned.then(|| cores[index % cores.len()]);
        let evictable_keys = evictable_keys.clone();
        let loads = loads.clone();
        let (mesh, state, settings, listener, ready) = (
            mesh.clone(),
            state.clone(),
            settings.clone(),
            listener.clone(),
            ready_tx.clone(),
        );
        let handle = runtime::start_thread(index, core, move || async move {
            let mut shard = Shard::new(index, shards_count, settings);
            shard.evictable_keys = evictable_keys;
            shard.dirty_counts = state.dirty.clone();
            let shard = Rc::new(RefCell::new(shard));
            let set = Rc::new(ShardSet::new(
                shard,
                mesh.endpoint(index),
                shards_count,
                state.next_txid.clone(),
            ));
            let tcp = {
                let std_listener = listener.lock().unwrap_or_else(|e| e.into_inner());
                runtime::TcpListener::share(&std_listener)
            };
            match tcp {
                Ok(tcp) => {
                    let _ = ready.send((index, Ok(())));
                    drop(ready);
                    thread_main(set, state, tcp, loads).await;
                }
                Err(e) => {
                    let _ = ready.send((index, Err(e)));
                }
            }
        })?;
        threads.push(handle);
    }
    drop(ready_tx);
    let mut ready = vec![false; shards_count];
    for _ in 0..shards_count {
        match ready_rx.recv() {
            Ok((index, Ok(()))) => ready[index] = true,
            Ok((_, Err(e))) => return Err(e),
            Err(_) => return Err(startup_failure(threads, &ready)),
        }
    }
    // Serving from here on (while a dataset loads, with -LOADING).
    tracing::info!("Listening on {addr}");
    let loader = mesh.endpoint(shards_count + 1);
    start_clock(mesh, state.clone(), shards_count)?;
    state
        .startup_used_bytes
        .store(crate::alloc::used_bytes(), Ordering::Relaxed);
    let handle = ServerHandle {
        addr,
        state,
        threads,
    };
    let limits = (shards_count, key_load_delay_us);
    if loading && let Err(e) = load::load(&settings, &handle.state, &loader, limits) {
        handle.shutdown();
        return Err(io::Error::new(io::ErrorKind::InvalidData, e));
    }
    Ok(handle)
}

/// The clock thread sends every shard a `Tick` `hz` times a second, which runs its
/// active expiry cycle. A message rather than a timer on each executor: an executor with
/// a pending timer must arm and cancel an io_uring timeout every time it goes to sleep,
/// which on a busy server is thousands of times a second; a tick wakes a parked
/// executor at most `hz` times a second.
///
/// It also returns the pages the allocator freed to the system, so that work (up to
/// milliseconds) never lands inside a command (see [`crate::alloc::hand_purging_to_clock_thread`]).
fn start_clock(
    mesh: Arc<Mesh<ShardMsg>>,
    state: Arc<ServerState>,
    shards_count: usize,
) -> io::Result<()> {
    let endpoint = mesh.endpoint(shards_count);
    std::thread::Builder::new()
        .name("shoal-clock".into())
        .spawn(move || {
            // Its purges (see above) take milliseconds of CPU; ticks only need to arrive
            // within a fraction of their period.
            runtime::lower_this_thread_priority();
            let purge_period = Duration::from_millis(crate::alloc::PURGE_PERIOD_MS);
            let mut last_purge = std::time::Instant::now();
            while !state.shutdown.load(Ordering::Relaxed) {
                let hz = state.settings().hz.clamp(1, 500) as u64;
                std::thread::sleep(Duration::from_millis(1000 / hz));
                if last_purge.elapsed() >= purge_period {
                    crate::alloc::purge();
                    last_purge = std::time::Instant::now();
                }
                for shard in 0..shards_count {
                    // A full queue means the shard is busy and a tick is already pending
                    // behind other work: dropping this one loses nothing.
                    let _ = endpoint.try_send(shard, ShardMsg::Tick);
                }
                check_save_rules(&state);
            }
        })?;
    Ok(())
}

/// Redis's `serverCron` save check, once per clock tick: when a `save` rule is due and
/// no background save runs, wakes the save-rules task on thread 0 (see
/// [`crate::commands::server::persist::save_rules_task`]).
fn check_save_rules(state: &ServerState) {
    use crate::persistence::rules;
    let settings = state.settings();
    if settings.save_rules.is_empty() || state.gates.closed() & rules::gate::LOADING != 0 {
        return;
    }
    let stats = crate::persistence::stats(&state.run_id, state.started_unix_secs);
    if stats.bgsave_in_progress {
        return;
    }
    let dirty = rules::dirty_total(&state.dirty).saturating_sub(stats.dirty_at_last_save);
    let clock = rules::SaveClock {
        now_secs: crate::shard::now_ms() / 1000,
        dirty,
        last_save_secs: stats.last_save_unix_secs,
        last_bgsave_try_secs: stats.last_bgsave_try_unix_secs,
        last_bgsave_ok: stats.last_status_ok,
    };
    let Some(rule) = rules::due_rule(&settings.save_rules, clock) else {
        return;
    };
    let task = state
        .save_cron
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take();
    if let Some(task) = task {
        tracing::info!(
            "{} changes in {} seconds. Saving...",
            rule.changes,
            rule.seconds
        );
        task.complete(());
    }
}

/// An executor died before reporting ready: its join error says why (io_uring refused,
/// locked memory exhausted). The others are blocked in accept and are left to exit with
/// the process.
fn startup_failure(threads: Vec<runtime::ThreadHandle>, ready: &[bool]) -> io::Error {
    for (t, _) in threads.into_iter().zip(ready).filter(|(_, r)| !**r) {
        // Every sender is gone, so a thread that never reported ready has exited.
        if let Err(e) = t.join() {
            return e;
        }
    }
    io::Error::other("an executor thread died during startup")
}

thread_local! {
    /// What a connection handed to this thread needs to be served here (see
    /// [`balance`]); set when the thread starts serving.
    static THIS_THREAD: RefCell<Option<(Rc<ShardSet>, Arc<ServerState>)>> =
        const { RefCell::new(None) };
}

/// Serves `socket` on this thread, counted as `served`. `handed_over`: another thread
/// accepted it and this runs inside this shard's inbox, with the shard borrowed; the
/// executor may poll a new task before spawning returns (it did, and the connection's
/// first borrow of the shard panicked), so that task first yields.
fn serve_here(socket: std::net::TcpStream, served: balance::Served, handed_over: bool) {
    let Some((set, state)) = THIS_THREAD.with(|t| t.borrow().clone()) else {
        return; // not a serving thread: the connection closes
    };
    match runtime::TcpStream::from_std(socket) {
        Ok(stream) => runtime::spawn_local(async move {
            let _served = served;
            if handed_over {
                futures_lite::future::yield_now().await;
            }
            conn::serve(stream, set, state).await
        }),
        Err(e) => tracing::warn!("could not serve a connection: {e}"),
    }
}

/// Everything one thread runs: the shard's inbox (which also brings expiry ticks) and
/// accepting; each accepted connection goes to the thread [`balance`] picks.
async fn thread_main(
    set: Rc<ShardSet>,
    state: Arc<ServerState>,
    listener: runtime::TcpListener,
    loads: balance::ThreadLoads,
) {
    THIS_THREAD.with(|t| *t.borrow_mut() = Some((set.clone(), state.clone())));
    let inbox = set.clone();
    runtime::spawn_local(async move { inbox.serve_inbox().await });
    if set.index() == 0 {
        let task = crate::commands::server::persist::save_rules_task(set.clone(), state.clone());
        runtime::spawn_local(task);
    }
    loop {
        let accepted = listener.accept().await;
        if state.shutdown.load(Ordering::SeqCst) {
            break;
        }
        match accepted {
            Ok(socket) => {
                let served = loads.assign(set.index());
                let to = served.thread();
                if to == set.index() {
                    serve_here(socket, served, false);
                } else {
                    let adopt = move |_: &mut Shard| serve_here(socket, served, true);
                    set.deliver(to, ShardMsg::Run(Box::new(adopt))).await;
                }
            }
            Err(e) => {
                tracing::warn!("accept failed: {e}");
                runtime::sleep(Duration::from_millis(10)).await;
            }
        }
    }
}
