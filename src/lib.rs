//! shoal: a Redis-compatible, thread-per-core, shared-nothing in-memory data store.
//!
//! Module map (dependencies point one way:
//! `protocol <- server -> commands -> shard -> storage`):
//! - [`util`]: pure helpers shared by everyone (number parsing and formatting with Redis's
//!   exact rules, glob matching, argument splitting, hash slots, bit primitives).
//! - [`protocol`]: the resumable RESP request parser and the RESP2/RESP3 reply writer.
//!   Knows nothing of storage.
//! - [`storage`]: values and the per-database key table. Knows nothing of the network.
//! - [`shard`]: one shard per thread: its databases, the transaction queue with intent
//!   locks (VLL), expiry.
//! - [`commands`]: the command table (one `const` slice per family) and the handlers.
//! - [`config`]: redis.conf parsing, command-line directives, CONFIG GET/SET.
//! - [`runtime`]: the thin layer over glommio (executors, spawn, TCP, timers, mailboxes).
//! - [`server`]: startup, listeners, connections and the single dispatch gate.
//! - [`errors`]: every error string a client can see.
//! - [`alloc`]: the global allocator (mimalloc) with the byte counting `used_memory` reads.

/// Every binary and test linking shoal allocates through the counting wrapper.
#[global_allocator]
static GLOBAL: alloc::Counting = alloc::Counting;

pub mod alloc;
pub mod commands;
pub mod config;
pub mod errors;
pub mod persistence;
pub mod protocol;
pub mod runtime;
pub mod server;
pub mod shard;
pub mod storage;
pub mod util;
