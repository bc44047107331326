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
use crate::protocol::reply::{Reply, RespVersion};
use crate::shard::set::ShardSet;

/// Process-wide state. Everything here is either immutable after startup or an atomic
/// touched only by rare commands (never by the per-command path).
pub struct ServerState {
    pub config: RwLock<Config>,
    pub next_client_id: AtomicU64,
    pub next_txid: Arc<AtomicU64>,
    pub started_at: Instant,
    pub started_unix_secs: u64,
    pub shards_count: usize,
    pub run_id: String,
    pub tcp_port: AtomicUsize,
    pub shutdown: AtomicBool,
    /// SHUTDOWN ends the process (the binary) or only stops serving (tests).
    pub exit_on_shutdown: AtomicBool,
    pub connected_clients: AtomicUsize,
    pub total_connections_received: AtomicU64,
    pub rejected_connections: AtomicU64,
    pub total_net_input_bytes: AtomicU64,
    pub total_net_output_bytes: AtomicU64,
    pub config_file: Option<std::path::PathBuf>,
    pub executable: String,
    /// Allocated bytes when the server started (INFO's `used_memory_startup`).
    pub startup_used_bytes: AtomicU64,
    /// Rates and peaks INFO reports, kept by its sampler.
    pub instantaneous: crate::commands::server::info::Instantaneous,
}

impl ServerState {
    pub fn new(config: Config, shards_count: usize) -> ServerState {
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
            run_id,
            tcp_port: AtomicUsize::new(0),
            shutdown: AtomicBool::new(false),
            exit_on_shutdown: AtomicBool::new(false),
            connected_clients: AtomicUsize::new(0),
            total_connections_received: AtomicU64::new(0),
            rejected_connections: AtomicU64::new(0),
            total_net_input_bytes: AtomicU64::new(0),
            total_net_output_bytes: AtomicU64::new(0),
            config_file,
            executable: std::env::current_exe()
                .map(|p| p.display().to_string())
                .unwrap_or_default(),
            startup_used_bytes: AtomicU64::new(crate::alloc::used_bytes()),
            instantaneous: Default::default(),
        }
    }

    pub fn settings(&self) -> Settings {
        self.config
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .settings()
            .clone()
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
