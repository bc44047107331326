//! What a command sees on the connection's thread: [`ConnCtx`] (one per connection:
//! selected db, protocol, auth, the output buffer, the way to every shard) and
//! [`ServerState`] (process-wide: configuration, id counters, start time). Per-thread
//! client bookkeeping for CLIENT LIST / KILL lives in [`ClientInfo`] registries.

use std::cell::{Cell, RefCell};
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Instant;

use crate::config::{Config, Settings};
use crate::protocol::args::ArgsBuf;
use crate::protocol::reply::{Reply, RespVersion};
use crate::shard::blocking::{BlockOps, Readiness, Waiter};
use crate::shard::set::ShardSet;
use crate::shard::tx::{LockMode, LockSet};
use crate::shard::{Shard, ShardCtx};

/// Process-wide state. Everything here is either immutable after startup or an atomic
/// touched only by rare commands (never by the per-command path).
pub struct ServerState {
    pub config: RwLock<Config>,
    pub next_client_id: AtomicU64,
    pub next_txid: Arc<AtomicU64>,
    pub started_at: Instant,
    pub started_unix_secs: u64,
    pub shards_count: usize,
    /// A core has no shard thread (see [`crate::config::core_to_spare`]), counted from
    /// the cores read at startup, before any thread was pinned.
    pub core_to_spare: bool,
    pub run_id: String,
    pub tcp_port: AtomicUsize,
    pub shutdown: AtomicBool,
    /// CLIENT PAUSE: unix ms until which commands wait (0: not paused), and whether all
    /// commands wait (ALL) or only those that write (WRITE).
    pub pause_until_ms: AtomicU64,
    pub pause_all: AtomicBool,
    /// SHUTDOWN ends the process (the binary) or only stops serving (tests).
    pub exit_on_shutdown: AtomicBool,
    pub connected_clients: AtomicUsize,
    /// Clients waiting in a blocking command (INFO's `blocked_clients`).
    pub blocked_clients: AtomicUsize,
    /// Blocked clients with a deadline (INFO's `clients_in_timeout_table`).
    pub blocked_with_timeout: AtomicUsize,
    pub total_connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    /// Bytes read from and written to clients; bumped per request by every thread.
    pub total_net_input_bytes: crate::util::striped::StripedCounter,
    pub total_net_output_bytes: crate::util::striped::StripedCounter,
    pub config_file: Option<std::path::PathBuf>,
    pub executable: String,
    /// Allocated bytes when the server started (INFO's `used_memory_startup`).
    pub startup_used_bytes: AtomicU64,
    /// Rates and peaks INFO reports, kept by its sampler.
    pub instantaneous: crate::commands::server::info::Instantaneous,
    /// Every shard's published dirty total (writes since startup).
    pub dirty: Arc<[crate::persistence::rules::DirtyCounter]>,
    /// LOADING and MISCONF: see [`crate::persistence::rules::gate`].
    pub gates: crate::persistence::rules::ServerGates,
    /// The save-rules task (on thread 0) parks on this cell; the clock thread completes
    /// it when a rule fires.
    pub save_cron: std::sync::Mutex<Option<Arc<crate::runtime::oneshot::OneShot<()>>>>,
}

impl ServerState {
    /// `cores`: how many cores the process may run on, read before pinning.
    pub fn new(config: Config, shards_count: usize, cores: usize) -> ServerState {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default();
        let seed = now.as_nanos() as u64 ^ std::process::id() as u64;
        let run_id = (0..40)
            .map(|i| {
                let x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(i * 7)
                    ^ (i as u64).wrapping_mul(0x5851_F42D_4C95_7F2D);
                char::from_digit(((x >> 17) % 16) as u32, 16).unwrap_or('0')
            })
            .collect();
        let config_file = config.config_file().cloned();
        ServerState {
            config: RwLock::new(config),
            next_client_id: AtomicU64::new(0),
            next_txid: Arc::new(AtomicU64::new(0)),
            started_at: Instant::now(),
            started_unix_secs: now.as_secs(),
            shards_count,
            core_to_spare: crate::config::core_to_spare(shards_count, cores),
            run_id,
            tcp_port: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            pause_until_ms: AtomicU64::new(0),
            pause_all: AtomicBool::new(false),
            exit_on_shutdown: AtomicBool::new(false),
            connected_clients: AtomicUsize::new(0),
            blocked_clients: AtomicUsize::new(0),
            blocked_with_timeout: AtomicUsize::new(0),
            total_connections_received: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            total_net_input_bytes: Default::default(),
            total_net_output_bytes: Default::default(),
            config_file,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            startup_used_bytes: AtomicU64::new(crate::alloc::used_bytes()),
            instantaneous: Default::default(),
            dirty: (0..shards_count).map(|_| Default::default()).collect(),
            gates: Default::default(),
            save_cron: Default::default(),
        }
    }

    pub fn settings(&self) -> Settings {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .settings()
            .clone()
    }

    /// Writes since the last successful save (INFO's `rdb_changes_since_last_save`).
    pub fn dirty_since_save(&self) -> u64 {
        let total = crate::persistence::rules::dirty_total(&self.dirty);
        let stats = crate::persistence::stats(&self.run_id, self.started_unix_secs);
        total.saturating_sub(stats.dirty_at_last_save)
    }

    /// Opens or closes the MISCONF gate from the configuration and the last background
    /// save's status (after either changes).
    pub fn refresh_write_gate(&self) {
        let ok = crate::persistence::stats(&self.run_id, self.started_unix_secs).last_status_ok;
        let denied = crate::persistence::rules::writes_denied(&self.settings(), ok);
        self.gates
            .set(crate::persistence::rules::gate::MISCONF, denied);
    }

    pub fn new_client_id(&self) -> u64 {
        self.next_client_id.fetch_add(1, Ordering::Relaxed) + 1
    }
}

/// CLIENT REPLY mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReplyMode {
    On,
    Off,
    /// Skip the reply of the next command only.
    Skip,
}

/// One connection as CLIENT LIST shows it; kept in its thread's registry.
pub struct ClientInfo {
    pub id: u64,
    pub addr: String,
    pub laddr: String,
    pub fd: i32,
    pub created: Instant,
    pub name: RefCell<Vec<u8>>,
    pub lib_name: RefCell<Vec<u8>>,
    pub lib_ver: RefCell<Vec<u8>>,
    pub db: Cell<usize>,
    pub resp: Cell<u8>,
    pub last_interaction: Cell<Instant>,
    pub last_cmd: Cell<&'static str>,
    pub query_buffer_bytes: Cell<usize>,
    pub output_buffer_bytes: Cell<usize>,
    pub no_evict: Cell<bool>,
    pub kill_requested: Cell<bool>,
    /// The waiter of the blocking command this client waits in (CLIENT UNBLOCK).
    pub blocked_on: RefCell<Option<Arc<Waiter>>>,
}

thread_local! {
    /// The clients of this thread, for CLIENT LIST / KILL / INFO (fanned out per thread).
    pub static CLIENTS: RefCell<Vec<Rc<ClientInfo>>> = const { RefCell::new(Vec::new()) };
}

pub struct ConnCtx {
    pub id: u64,
    pub db: usize,
    pub resp: RespVersion,
    pub authenticated: bool,
    pub reply_mode: ReplyMode,
    /// Close the connection once the pending output is written (QUIT, protocol errors).
    pub close_after_reply: bool,
    pub out: Vec<u8>,
    pub shards: Rc<ShardSet>,
    pub server: Arc<ServerState>,
    pub info: Rc<ClientInfo>,
    pub settings: Arc<Settings>,
    /// A coordinator counted its own changes (see [`ConnCtx::dirty`]).
    pub dirty_noted: Cell<bool>,
    /// The blocking command this connection waits in; the connection loop waits for it
    /// before processing anything else.
    pub blocked: Option<Blocked>,
    /// Blocking commands behave as their non-blocking forms (inside MULTI, scripts).
    pub deny_blocking: bool,
    /// The deadline a re-run blocking command keeps (BLMOVE woken to retry).
    pub retry_deadline: Option<Option<Instant>>,
}

/// A connection blocked on keys: its waiter and, per shard, the keys it waits on there.
pub struct Blocked {
    pub waiter: Arc<Waiter>,
    pub keys: Vec<(usize, Vec<Vec<u8>>)>,
    /// None: wait forever.
    pub deadline: Option<Instant>,
}

/// A blocking timeout as Redis 7.0 reads it (`getTimeoutFromObjectOrReply` in seconds):
/// a `long double`, times 1000 truncated to milliseconds; 0 means forever. Err: the
/// error text.
pub fn parse_timeout_ms(arg: &[u8]) -> Result<u64, &'static str> {
    use crate::util::num::{LongDoubleKind, long_double_kind, parse_f64_lenient};
    if long_double_kind(arg) == LongDoubleKind::Invalid {
        return Err(crate::errors::TIMEOUT_NOT_FLOAT);
    }
    let secs = std::str::from_utf8(arg)
        .ok()
        .and_then(|t| t.parse::<f64>().ok())
        .or_else(|| parse_f64_lenient(arg))
        .ok_or(crate::errors::TIMEOUT_NOT_FLOAT)?;
    let ms = secs * 1000.0;
    // C's conversion of an out-of-range value gives LLONG_MIN: "negative".
    if !ms.is_finite() || ms <= -9.223_372_036_854_776e18 || ms >= 9.223_372_036_854_776e18 {
        return Err(crate::errors::TIMEOUT_NEGATIVE);
    }
    let ms = ms.trunc() as i64;
    if ms < 0 {
        return Err(crate::errors::TIMEOUT_NEGATIVE);
    }
    Ok(ms as u64)
}

impl ConnCtx {
    /// Counts `n` changes made by this coordinator command (on this thread's shard's
    /// counter) instead of the default one per successful write.
    pub fn dirty(&self, n: u64) {
        self.dirty_noted.set(true);
        self.shards.local.borrow_mut().add_dirty(n);
    }

    /// Blocks this connection on `keys` of its command `args` until a shard serves it
    /// (through `ops`), `timeout_ms` passes (0: never) or CLIENT UNBLOCK; writes no
    /// reply now. The connection loop waits (see `server::conn`), then replies what the
    /// shard produced, or a null array on timeout. Call after an attempt that found
    /// nothing to serve; a key that became ready meanwhile serves at once.
    pub async fn block(
        &mut self,
        args: &ArgsBuf,
        keys: impl Iterator<Item = Vec<u8>>,
        ops: BlockOps,
        timeout_ms: u64,
    ) {
        let waiter = Waiter::new(self.id, self.db, self.resp, ops, args.clone());
        let mut per_shard: Vec<(usize, Vec<Vec<u8>>)> = Vec::new();
        for key in keys {
            let shard = self.shard_of(&key);
            match per_shard.iter_mut().find(|(s, _)| *s == shard) {
                Some((_, ks)) => {
                    if !ks.contains(&key) {
                        ks.push(key)
                    }
                }
                None => per_shard.push((shard, vec![key])),
            }
        }
        for (shard, keys) in &per_shard {
            let (w, keys) = (waiter.clone(), keys.clone());
            self.shards
                .deliver(
                    *shard,
                    crate::shard::ShardMsg::Run(Box::new(move |s| s.block_on(&w, &keys))),
                )
                .await;
        }
        self.server.blocked_clients.fetch_add(1, Ordering::Relaxed);
        *self.info.blocked_on.borrow_mut() = Some(waiter.clone());
        let deadline = self.retry_deadline.take().unwrap_or_else(|| {
            (timeout_ms > 0).then(|| Instant::now() + std::time::Duration::from_millis(timeout_ms))
        });
        if deadline.is_some() {
            self.server
                .blocked_with_timeout
                .fetch_add(1, Ordering::Relaxed);
        }
        self.blocked = Some(Blocked {
            waiter,
            keys: per_shard,
            deadline,
        });
    }

    /// The whole blocking command for a family that serves from the first ready key
    /// (BLPOP, BRPOP, BLMPOP; BZPOPMIN, BZPOPMAX, BZMPOP): first, atomically over all
    /// `keys` (one transaction when they span shards), the first key in order for which
    /// `ops.ready` is not `NotReady` decides: `WrongType` replies WRONGTYPE, `Ready`
    /// runs `ops.serve` there (`Retry` counts as not ready here). When no key is ready
    /// the connection blocks on all of them (or, when blocking is denied, replies a
    /// null array).
    pub async fn serve_or_block(
        &mut self,
        args: &ArgsBuf,
        keys: Vec<Vec<u8>>,
        ops: BlockOps,
        timeout_ms: u64,
    ) {
        match self.serve_first_ready(args, &keys, ops).await {
            Some(out) => self.out.extend_from_slice(&out),
            None if self.deny_blocking => self.reply().null_array(),
            None => self.block(args, keys.into_iter(), ops, timeout_ms).await,
        }
    }

    /// [`Self::serve_or_block`] for the `CMD key [key ...] timeout` shape (BLPOP, BRPOP,
    /// BZPOPMIN, BZPOPMAX): the timeout is checked first.
    pub async fn serve_or_block_keys_then_timeout(&mut self, args: &ArgsBuf, ops: BlockOps) {
        let a = args.as_args();
        let timeout_ms = match parse_timeout_ms(&a[a.len() - 1]) {
            Ok(t) => t,
            Err(e) => return self.reply().error(e),
        };
        let keys = a
            .iter()
            .skip(1)
            .take(a.len() - 2)
            .map(|k| k.to_vec())
            .collect();
        self.serve_or_block(args, keys, ops, timeout_ms).await;
    }

    /// The non-blocking attempt of [`Self::serve_or_block`]: the reply bytes, or None
    /// when no key is ready.
    pub async fn serve_first_ready(
        &self,
        args: &ArgsBuf,
        keys: &[Vec<u8>],
        ops: BlockOps,
    ) -> Option<Vec<u8>> {
        let (db, resp) = (self.db, self.resp);
        let mut per_shard: Vec<(usize, LockSet, Vec<Vec<u8>>)> = Vec::new();
        for key in keys {
            let shard = self.shard_of(key);
            let i = match per_shard.iter().position(|(s, _, _)| *s == shard) {
                Some(i) => i,
                None => {
                    per_shard.push((shard, LockSet::default(), Vec::new()));
                    per_shard.len() - 1
                }
            };
            per_shard[i].1.add_key(db, key, LockMode::Exclusive);
            per_shard[i].2.push(key.clone());
        }
        if per_shard.len() == 1 {
            let (shard, locks, keys) = per_shard.pop()?;
            let args = args.clone();
            return self
                .run_locked(shard, locks, move |s| {
                    let mut ctx = shard_ctx(s, db);
                    for key in &keys {
                        match (ops.ready)(&mut ctx, key, args.as_args()) {
                            Readiness::NotReady | Readiness::Retry => continue,
                            Readiness::WrongType => {
                                let mut out = Vec::new();
                                Reply::new(&mut out, resp).error(crate::errors::WRONGTYPE);
                                return Some(out);
                            }
                            Readiness::Ready => {
                                let mut out = Vec::new();
                                let r = &mut Reply::new(&mut out, resp);
                                (ops.serve)(&mut ctx, key, args.as_args(), r);
                                return Some(out);
                            }
                        }
                    }
                    None
                })
                .await;
        }
        let locks = per_shard.iter().map(|(s, l, _)| (*s, l.clone())).collect();
        let mut tx = self.shards.schedule(locks).await;
        let mut cells = Vec::with_capacity(per_shard.len());
        for (shard, _, ks) in &per_shard {
            let (ks, args) = (ks.clone(), args.clone());
            let cell = tx
                .send_hop(*shard, false, move |s| {
                    let mut ctx = shard_ctx(s, db);
                    ks.iter()
                        .map(|k| (ops.ready)(&mut ctx, k, args.as_args()))
                        .collect::<Vec<_>>()
                })
                .await;
            cells.push(cell);
        }
        let mut probes = Vec::with_capacity(cells.len());
        for cell in cells {
            probes.push(cell.wait().await);
        }
        // The first key in argument order that is not "not ready" decides.
        let mut next = vec![0usize; probes.len()];
        let mut decided = None;
        for key in keys {
            let shard = self.shard_of(key);
            let i = per_shard.iter().position(|(s, _, _)| *s == shard)?;
            let p = probes[i][next[i]];
            next[i] += 1;
            if matches!(p, Readiness::WrongType | Readiness::Ready) {
                decided = Some((shard, key.clone(), p));
                break;
            }
        }
        let out = match decided {
            None => None,
            Some((_, _, Readiness::WrongType)) => {
                let mut out = Vec::new();
                Reply::new(&mut out, resp).error(crate::errors::WRONGTYPE);
                Some(out)
            }
            Some((shard, key, _)) => {
                let args = args.clone();
                let out = tx
                    .hop(shard, true, move |s| {
                        let mut out = Vec::new();
                        let r = &mut Reply::new(&mut out, resp);
                        (ops.serve)(&mut shard_ctx(s, db), &key, args.as_args(), r);
                        out
                    })
                    .await;
                Some(out)
            }
        };
        tx.conclude().await;
        out
    }

    /// Runs `f` on `shard` holding `locks`: directly when it is this thread's shard and
    /// no queued transaction conflicts (the pipeline is already flushed, so this keeps
    /// command order), otherwise as a one-hop transaction. Blocked clients whose keys
    /// `f` filled are served right after it.
    pub async fn run_locked<R: Send + 'static>(
        &self,
        shard: usize,
        locks: LockSet,
        f: impl FnOnce(&mut Shard) -> R + Send + 'static,
    ) -> R {
        if shard == self.shards.index() {
            let mut local = self.shards.local.borrow_mut();
            if local.txq.is_idle() || !local.txq.conflicts(&locks) {
                let out = f(&mut local);
                local.serve_blocked();
                return out;
            }
        }
        let mut tx = self.shards.schedule(vec![(shard, locks)]).await;
        let out = tx.hop(shard, true, f).await;
        tx.conclude().await;
        out
    }

    /// Ends the wait: removes the waiter from every shard it was queued on.
    pub async fn unblock_cleanup(&mut self) {
        let Some(blocked) = self.blocked.take() else {
            return;
        };
        self.info.blocked_on.borrow_mut().take();
        self.server.blocked_clients.fetch_sub(1, Ordering::Relaxed);
        if blocked.deadline.is_some() {
            self.server
                .blocked_with_timeout
                .fetch_sub(1, Ordering::Relaxed);
        }
        for (shard, keys) in blocked.keys {
            let w = blocked.waiter.clone();
            self.shards
                .deliver(
                    shard,
                    crate::shard::ShardMsg::Run(Box::new(move |s| {
                        s.blocking.unregister(&keys, &w)
                    })),
                )
                .await;
        }
    }
}

fn shard_ctx(shard: &mut Shard, db: usize) -> ShardCtx<'_> {
    ShardCtx {
        shard,
        db,
        now_ms: crate::shard::now_ms(),
    }
}

impl ConnCtx {
    /// A reply writer over the output buffer in the connection's protocol.
    pub fn reply(&mut self) -> Reply<'_> {
        Reply::new(&mut self.out, self.resp)
    }

    pub fn shard_of(&self, key: &[u8]) -> usize {
        crate::util::slot::key_shard(key, self.shards.count())
    }

    pub fn select(&mut self, db: usize) {
        self.db = db;
        self.info.db.set(db);
    }
}
