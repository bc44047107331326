//! INFO: the sections and field names of Redis 7.0, in its order, so monitoring tools
//! and client libraries parse shoal's answer like Redis's. Figures that live on every
//! thread (keyspace sizes, hit/miss and expiry counters, per-command statistics,
//! clients) are gathered with one fan-out and summed; process-wide figures come from
//! `ServerState` and the operating system. Fields for subsystems shoal does not have
//! yet (persistence, replication, scripting) hold Redis's idle values.
//!
//! `instantaneous_*` figures need a sampler: the first INFO starts one on its thread,
//! which sums the counters every 100 ms and keeps the rate over the last 16 samples
//! (the window Redis averages over).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::rc::Rc;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use super::sys;
use super::{REDIS_VERSION, SHOAL_VERSION};
use crate::commands::CoordFuture;
use crate::commands::context::{CLIENTS, ConnCtx, ServerState};
use crate::commands::stats::{self, CommandCounters};
use crate::protocol::args::ArgsBuf;
use crate::shard::set::ShardSet;
use crate::shard::{ShardStats, lru_clock_secs, now_ms};
use crate::util::hdr::LatencyHistogram;

const SAMPLE_PERIOD: Duration = Duration::from_millis(100);
const SAMPLES_KEPT: usize = 16;
/// Redis's default `repl-backlog-size`, reported while replication does not exist.
const REPL_BACKLOG_BYTES: u64 = 1024 * 1024;

/// Rates computed by the sampler, read by INFO.
#[derive(Default)]
pub struct Instantaneous {
    started: AtomicBool,
    ops_per_sec: AtomicU64,
    input_bytes_per_sec: AtomicU64,
    output_bytes_per_sec: AtomicU64,
    /// Highest `used_memory` INFO has seen.
    pub(crate) peak_memory_bytes: AtomicU64,
}

/// Everything INFO needs from one thread.
struct ThreadFigures {
    stats: ShardStats,
    /// (keys, keys with a deadline) per database.
    keyspace: Vec<(usize, usize)>,
    commands: Vec<(&'static str, CommandCounters)>,
    /// Latency histograms, only when latencystats is asked for (24 KiB each).
    latency: Vec<(&'static str, LatencyHistogram)>,
    errors: Vec<(Box<str>, u64)>,
    errors_total: u64,
    max_query_buffer_bytes: usize,
    max_output_buffer_bytes: usize,
}

/// Sums what the threads reported.
#[derive(Default)]
struct Figures {
    stats: ShardStats,
    stale_perc_x100_sum: u64,
    keyspace: Vec<(usize, usize)>,
    commands: Vec<(&'static str, CommandCounters)>,
    latency: Vec<(&'static str, LatencyHistogram)>,
    /// Error replies by code, and in all (INFO errorstats, total_error_replies).
    errors: Vec<(Box<str>, u64)>,
    errors_total: u64,
    max_query_buffer_bytes: usize,
    max_output_buffer_bytes: usize,
    shards: usize,
}

impl Figures {
    fn total_commands(&self) -> u64 {
        self.commands.iter().map(|(_, c)| c.calls).sum()
    }
}

fn thread_figures(shard: &mut crate::shard::Shard, with_latency: bool) -> ThreadFigures {
    let (max_query_buffer_bytes, max_output_buffer_bytes) = CLIENTS.with(|clients| {
        clients.borrow().iter().fold((0, 0), |(q, o), c| {
            (
                q.max(c.query_buffer_bytes.get()),
                o.max(c.output_buffer_bytes.get()),
            )
        })
    });
    ThreadFigures {
        stats: shard.stats,
        keyspace: shard
            .dbs
            .iter()
            .map(|d| (d.len(), d.volatile_len()))
            .collect(),
        commands: stats::snapshot(),
        latency: if with_latency {
            stats::latency_snapshot()
        } else {
            Vec::new()
        },
        errors: crate::protocol::reply::errors_written::snapshot(),
        errors_total: crate::protocol::reply::errors_written::total(),
        max_query_buffer_bytes,
        max_output_buffer_bytes,
    }
}

fn merge(parts: Vec<ThreadFigures>) -> Figures {
    let mut f = Figures {
        shards: parts.len(),
        ..Figures::default()
    };
    let mut commands = Vec::with_capacity(parts.len());
    let mut latency = Vec::with_capacity(parts.len());
    let mut errors: std::collections::BTreeMap<Box<str>, u64> = Default::default();
    for p in parts {
        f.errors_total += p.errors_total;
        for (code, n) in p.errors {
            *errors.entry(code).or_default() += n;
        }
        let s = &mut f.stats;
        s.expired_keys += p.stats.expired_keys;
        s.expire_cycle_cpu_ms += p.stats.expire_cycle_cpu_ms;
        s.keyspace_hits += p.stats.keyspace_hits;
        s.keyspace_misses += p.stats.keyspace_misses;
        s.evicted_keys += p.stats.evicted_keys;
        s.commands_processed += p.stats.commands_processed;
        s.defrag_hits += p.stats.defrag_hits;
        s.defrag_time_us += p.stats.defrag_time_us;
        s.defrag_running_pct = s.defrag_running_pct.max(p.stats.defrag_running_pct);
        f.stale_perc_x100_sum += p.stats.expired_stale_perc_x100;
        if f.keyspace.len() < p.keyspace.len() {
            f.keyspace.resize(p.keyspace.len(), (0, 0));
        }
        for (total, (keys, expires)) in f.keyspace.iter_mut().zip(p.keyspace) {
            total.0 += keys;
            total.1 += expires;
        }
        f.max_query_buffer_bytes = f.max_query_buffer_bytes.max(p.max_query_buffer_bytes);
        f.max_output_buffer_bytes = f.max_output_buffer_bytes.max(p.max_output_buffer_bytes);
        commands.push(p.commands);
        latency.push(p.latency);
    }
    f.commands = stats::merge(commands);
    f.latency = stats::merge_latency(latency);
    f.errors = errors.into_iter().collect();
    f
}

// ---- section selection ---------------------------------------------------------------

/// How a section is written: from process-wide figures only, or also from what every
/// thread reported. Asking only for sections of the first kind (`INFO persistence`,
/// which monitors poll during a save) costs no hop to every shard.
enum Writer {
    Local(fn(&mut String, &ConnCtx)),
    PerThread(fn(&mut String, &ConnCtx, &Figures)),
}

/// One INFO section.
struct Section {
    name: &'static str,
    header: &'static str,
    /// Part of a bare `INFO` (and of `INFO default`).
    default: bool,
    write: Writer,
}

use Writer::{Local, PerThread};

/// Sections in output order.
const SECTIONS: &[Section] = &[
    section("server", "Server", true, Local(server_section)),
    section("clients", "Clients", true, PerThread(clients_section)),
    section("memory", "Memory", true, PerThread(memory_section)),
    section(
        "persistence",
        "Persistence",
        true,
        Local(persistence_section),
    ),
    section("stats", "Stats", true, PerThread(stats_section)),
    section(
        "replication",
        "Replication",
        true,
        Local(replication_section),
    ),
    section("cpu", "CPU", true, Local(cpu_section)),
    section("modules", "Modules", true, Local(|_, _| {})),
    section(
        "commandstats",
        "Commandstats",
        false,
        PerThread(commandstats_section),
    ),
    section(
        "errorstats",
        "Errorstats",
        true,
        PerThread(errorstats_section),
    ),
    section(
        "latencystats",
        "Latencystats",
        false,
        PerThread(latencystats_section),
    ),
    section("cluster", "Cluster", true, Local(cluster_section)),
    section("keyspace", "Keyspace", true, PerThread(keyspace_section)),
];

const fn section(
    name: &'static str,
    header: &'static str,
    default: bool,
    write: Writer,
) -> Section {
    Section {
        name,
        header,
        default,
        write,
    }
}

/// Which sections the arguments ask for (flags in `SECTIONS` order).
fn selected(args: &ArgsBuf) -> Vec<bool> {
    let a = args.as_args();
    let mut want = vec![false; SECTIONS.len()];
    let defaults = |want: &mut Vec<bool>| {
        for (w, section) in want.iter_mut().zip(SECTIONS) {
            *w |= section.default;
        }
    };
    if a.len() == 1 {
        defaults(&mut want);
    }
    for arg in a.skip(1) {
        let arg = arg.to_ascii_lowercase();
        match arg.as_slice() {
            b"default" => defaults(&mut want),
            b"all" | b"everything" => want.iter_mut().for_each(|w| *w = true),
            name => {
                if let Some(i) = SECTIONS.iter().position(|s| s.name.as_bytes() == name) {
                    want[i] = true;
                }
            }
        }
    }
    want
}

pub fn info<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        start_sampler(ctx);
        let want = selected(args);
        let wanted = || {
            SECTIONS
                .iter()
                .zip(&want)
                .filter(|(_, w)| **w)
                .map(|(s, _)| s)
        };
        let figures = if wanted().any(|s| matches!(s.write, PerThread(_))) {
            let with_latency = wanted().any(|s| s.name == "latencystats");
            merge(
                ctx.shards
                    .run_on_all(move |s| thread_figures(s, with_latency))
                    .await,
            )
        } else {
            Figures::default()
        };
        let mut text = String::new();
        for section in wanted() {
            if !text.is_empty() {
                text.push_str("\r\n");
            }
            let _ = write!(text, "# {}\r\n", section.header);
            match section.write {
                Local(write) => write(&mut text, ctx),
                PerThread(write) => write(&mut text, ctx, &figures),
            }
        }
        ctx.reply().verbatim(b"txt", text.as_bytes());
    })
}

/// Appends `name:value\r\n`.
fn field(out: &mut String, name: &str, value: impl std::fmt::Display) {
    let _ = write!(out, "{name}:{value}\r\n");
}

fn cluster_section(out: &mut String, _ctx: &ConnCtx) {
    field(out, "cluster_enabled", 0);
}

fn errorstats_section(out: &mut String, _ctx: &ConnCtx, f: &Figures) {
    for (code, n) in &f.errors {
        let _ = write!(out, "errorstat_{code}:count={n}\r\n");
    }
}

// ---- sections ------------------------------------------------------------------------

fn server_section(out: &mut String, ctx: &ConnCtx) {
    let server = &ctx.server;
    let settings = &ctx.settings;
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let uptime_secs = server.started_at.elapsed().as_secs();
    field(out, "redis_version", REDIS_VERSION);
    field(out, "shoal_version", SHOAL_VERSION);
    field(out, "redis_git_sha1", "00000000");
    field(out, "redis_git_dirty", 0);
    field(out, "redis_build_id", "0");
    field(out, "redis_mode", "standalone");
    field(out, "os", sys::os_name());
    field(out, "arch_bits", usize::BITS);
    field(out, "monotonic_clock", "POSIX clock_gettime");
    field(out, "multiplexing_api", "io_uring");
    field(out, "atomicvar_api", "c11-builtin");
    field(out, "gcc_version", "0.0.0");
    field(out, "process_id", std::process::id());
    field(out, "process_supervised", "no");
    field(out, "run_id", &server.run_id);
    field(out, "tcp_port", server.tcp_port.load(Ordering::Relaxed));
    field(out, "server_time_usec", now.as_micros());
    field(out, "uptime_in_seconds", uptime_secs);
    field(out, "uptime_in_days", uptime_secs / 86_400);
    field(out, "hz", settings.hz);
    field(out, "configured_hz", settings.hz);
    field(out, "lru_clock", lru_clock_secs(now_ms()));
    field(out, "executable", &server.executable);
    let config_file = server
        .config_file
        .as_ref()
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    field(out, "config_file", config_file);
    field(out, "io_threads_active", 0);
    field(out, "shoal_threads", server.shards_count);
}

fn clients_section(out: &mut String, ctx: &ConnCtx, f: &Figures) {
    field(
        out,
        "connected_clients",
        ctx.server.connected_clients.load(Ordering::Relaxed),
    );
    field(out, "cluster_connections", 0);
    field(out, "maxclients", ctx.settings.maxclients);
    field(
        out,
        "client_recent_max_input_buffer",
        f.max_query_buffer_bytes,
    );
    field(
        out,
        "client_recent_max_output_buffer",
        f.max_output_buffer_bytes,
    );
    field(
        out,
        "blocked_clients",
        ctx.server.blocked_clients.load(Ordering::Relaxed),
    );
    field(out, "tracking_clients", 0);
    field(
        out,
        "clients_in_timeout_table",
        ctx.server.blocked_with_timeout.load(Ordering::Relaxed),
    );
}

/// `a/b` with two decimals, 0 when `b` is 0 (Redis prints ratios this way).
fn ratio(a: u64, b: u64) -> String {
    if b == 0 {
        "0.00".into()
    } else {
        format!("{:.2}", a as f64 / b as f64)
    }
}

fn percent(a: u64, b: u64) -> String {
    if b == 0 {
        "0.00%".into()
    } else {
        format!("{:.2}%", a as f64 * 100.0 / b as f64)
    }
}

/// Memory figures. `used_memory` is the allocator's count of live bytes
/// ([`crate::alloc`]); the RSS comes from /proc. shoal has no allocator-internal view of
/// active vs. allocated pages, so the allocator ratios compare RSS with the count.
fn memory_section(out: &mut String, ctx: &ConnCtx, f: &Figures) {
    let server = &ctx.server;
    let used = crate::alloc::used_bytes();
    let rss = sys::rss_bytes();
    let peak = server
        .instantaneous
        .peak_memory_bytes
        .fetch_max(used, Ordering::Relaxed)
        .max(used);
    let startup = server.startup_used_bytes.load(Ordering::Relaxed).min(used);
    let dataset = used - startup;
    let system = sys::total_system_memory_bytes();
    let maxmemory = ctx.settings.maxmemory_bytes;
    field(out, "used_memory", used);
    field(out, "used_memory_human", sys::bytes_to_human(used));
    field(out, "used_memory_rss", rss);
    field(out, "used_memory_rss_human", sys::bytes_to_human(rss));
    field(out, "used_memory_peak", peak);
    field(out, "used_memory_peak_human", sys::bytes_to_human(peak));
    field(out, "used_memory_peak_perc", percent(used, peak));
    field(out, "used_memory_overhead", startup);
    field(out, "used_memory_startup", startup);
    field(out, "used_memory_dataset", dataset);
    field(out, "used_memory_dataset_perc", percent(dataset, used));
    field(out, "allocator_allocated", used);
    field(out, "allocator_active", used);
    field(out, "allocator_resident", rss);
    field(out, "total_system_memory", system);
    field(
        out,
        "total_system_memory_human",
        sys::bytes_to_human(system),
    );
    for name in ["used_memory_lua", "used_memory_vm_eval"] {
        field(out, name, 0);
    }
    field(out, "used_memory_lua_human", "0B");
    for name in [
        "used_memory_scripts_eval",
        "number_of_cached_scripts",
        "number_of_functions",
        "number_of_libraries",
        "used_memory_vm_functions",
        "used_memory_vm_total",
    ] {
        field(out, name, 0);
    }
    field(out, "used_memory_vm_total_human", "0B");
    field(out, "used_memory_functions", 0);
    field(out, "used_memory_scripts", 0);
    field(out, "used_memory_scripts_human", "0B");
    field(out, "maxmemory", maxmemory);
    field(out, "maxmemory_human", sys::bytes_to_human(maxmemory));
    field(out, "maxmemory_policy", &ctx.settings.maxmemory_policy);
    let rss_extra = rss as i64 - used as i64;
    field(out, "allocator_frag_ratio", ratio(used, used));
    field(out, "allocator_frag_bytes", 0);
    field(out, "allocator_rss_ratio", ratio(rss, used));
    field(out, "allocator_rss_bytes", rss_extra);
    field(out, "rss_overhead_ratio", ratio(rss, rss));
    field(out, "rss_overhead_bytes", 0);
    field(out, "mem_fragmentation_ratio", ratio(rss, used));
    field(out, "mem_fragmentation_bytes", rss_extra);
    for name in [
        "mem_not_counted_for_evict",
        "mem_replication_backlog",
        "mem_total_replication_buffers",
        "mem_clients_slaves",
        "mem_clients_normal",
        "mem_cluster_links",
        "mem_aof_buffer",
    ] {
        field(out, name, 0);
    }
    field(out, "mem_allocator", "mimalloc");
    field(out, "active_defrag_running", f.stats.defrag_running_pct);
    field(
        out,
        "lazyfree_pending_objects",
        crate::runtime::lazyfree::pending_objects(),
    );
    field(
        out,
        "lazyfreed_objects",
        crate::runtime::lazyfree::freed_objects(),
    );
}

/// Persistence: the save statistics of [`crate::persistence`], Redis's fields in its
/// order; saves do not fork (no copy-on-write figures) and there is no AOF. While the
/// dataset loads, the `loading_*` fields follow.
fn persistence_section(out: &mut String, ctx: &ConnCtx) {
    let server = &ctx.server;
    let stats = crate::persistence::stats(&server.run_id, server.started_unix_secs);
    field(out, "loading", stats.loading.is_some() as u8);
    for name in [
        "async_loading",
        "current_cow_peak",
        "current_cow_size",
        "current_cow_size_age",
    ] {
        field(out, name, 0);
    }
    field(out, "current_fork_perc", "0.00");
    field(out, "current_save_keys_processed", 0);
    field(out, "current_save_keys_total", 0);
    field(
        out,
        "rdb_changes_since_last_save",
        server.dirty_since_save(),
    );
    field(
        out,
        "rdb_bgsave_in_progress",
        stats.bgsave_in_progress as u8,
    );
    field(out, "rdb_last_save_time", stats.last_save_unix_secs);
    field(
        out,
        "rdb_last_bgsave_status",
        if stats.last_status_ok { "ok" } else { "err" },
    );
    field(out, "rdb_last_bgsave_time_sec", stats.last_bgsave_secs);
    let now_secs = crate::shard::now_ms() / 1000;
    let current = if stats.bgsave_in_progress {
        now_secs.saturating_sub(stats.bgsave_started_unix_secs) as i64
    } else {
        -1
    };
    field(out, "rdb_current_bgsave_time_sec", current);
    field(out, "rdb_saves", stats.saves);
    field(out, "rdb_last_cow_size", 0);
    field(
        out,
        "rdb_last_load_keys_expired",
        stats.last_load_keys_expired,
    );
    field(
        out,
        "rdb_last_load_keys_loaded",
        stats.last_load_keys_loaded,
    );
    for name in [
        "aof_enabled",
        "aof_rewrite_in_progress",
        "aof_rewrite_scheduled",
    ] {
        field(out, name, 0);
    }
    field(out, "aof_last_rewrite_time_sec", -1);
    field(out, "aof_current_rewrite_time_sec", -1);
    field(out, "aof_last_bgrewrite_status", "ok");
    field(out, "aof_rewrites", 0);
    field(out, "aof_rewrites_consecutive_failures", 0);
    field(out, "aof_last_write_status", "ok");
    field(out, "aof_last_cow_size", 0);
    field(out, "module_fork_in_progress", 0);
    field(out, "module_fork_last_cow_size", 0);
    if let Some(load) = &stats.loading {
        loading_fields(out, load);
    }
}

/// Redis's loading progress fields (its ETA: elapsed time scaled by the bytes left).
fn loading_fields(out: &mut String, load: &crate::persistence::LoadProgress) {
    let (perc, remaining_bytes) = if load.total_bytes > 0 {
        (
            load.loaded_bytes as f64 / load.total_bytes as f64 * 100.0,
            load.total_bytes.saturating_sub(load.loaded_bytes),
        )
    } else if load.loaded_bytes > 0 {
        (100.0, 0)
    } else {
        (0.0, 1)
    };
    let elapsed_secs = (crate::shard::now_ms() / 1000).saturating_sub(load.start_unix_secs);
    let eta_secs = if elapsed_secs == 0 {
        1
    } else {
        elapsed_secs * remaining_bytes / (load.loaded_bytes + 1)
    };
    field(out, "loading_start_time", load.start_unix_secs);
    field(out, "loading_total_bytes", load.total_bytes);
    field(out, "loading_rdb_used_mem", load.rdb_used_mem);
    field(out, "loading_loaded_bytes", load.loaded_bytes);
    field(out, "loading_loaded_perc", format!("{perc:.2}"));
    field(out, "loading_eta_seconds", eta_secs);
}

fn kbps(bytes_per_sec: u64) -> String {
    format!("{:.2}", bytes_per_sec as f64 / 1024.0)
}

fn stats_section(out: &mut String, ctx: &ConnCtx, f: &Figures) {
    let server = &ctx.server;
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let inst = &server.instantaneous;
    field(
        out,
        "total_connections_received",
        load(&server.total_connections_received),
    );
    field(out, "total_commands_processed", f.total_commands());
    field(out, "instantaneous_ops_per_sec", load(&inst.ops_per_sec));
    field(
        out,
        "total_net_input_bytes",
        server.total_net_input_bytes.load(),
    );
    field(
        out,
        "total_net_output_bytes",
        server.total_net_output_bytes.load(),
    );
    field(out, "total_net_repl_input_bytes", 0);
    field(out, "total_net_repl_output_bytes", 0);
    field(
        out,
        "instantaneous_input_kbps",
        kbps(load(&inst.input_bytes_per_sec)),
    );
    field(
        out,
        "instantaneous_output_kbps",
        kbps(load(&inst.output_bytes_per_sec)),
    );
    field(out, "instantaneous_input_repl_kbps", "0.00");
    field(out, "instantaneous_output_repl_kbps", "0.00");
    field(
        out,
        "rejected_connections",
        load(&server.rejected_connections),
    );
    field(out, "sync_full", 0);
    field(out, "sync_partial_ok", 0);
    field(out, "sync_partial_err", 0);
    field(out, "expired_keys", f.stats.expired_keys);
    let stale_perc = f.stale_perc_x100_sum as f64 / f.shards.max(1) as f64 / 100.0;
    field(out, "expired_stale_perc", format!("{stale_perc:.2}"));
    field(out, "expired_time_cap_reached_count", 0);
    field(
        out,
        "expire_cycle_cpu_milliseconds",
        f.stats.expire_cycle_cpu_ms,
    );
    field(out, "evicted_keys", f.stats.evicted_keys);
    field(out, "evicted_clients", 0);
    field(out, "total_eviction_exceeded_time", 0);
    field(out, "current_eviction_exceeded_time", 0);
    field(out, "keyspace_hits", f.stats.keyspace_hits);
    field(out, "keyspace_misses", f.stats.keyspace_misses);
    for name in [
        "pubsub_channels",
        "pubsub_patterns",
        "pubsubshard_channels",
        "latest_fork_usec",
        "total_forks",
        "migrate_cached_sockets",
        "slave_expires_tracked_keys",
        "active_defrag_hits",
        "active_defrag_misses",
        "active_defrag_key_hits",
        "active_defrag_key_misses",
        "total_active_defrag_time",
        "current_active_defrag_time",
        "tracking_total_keys",
        "tracking_total_items",
        "tracking_total_prefixes",
        "unexpected_error_replies",
        "total_error_replies",
        "dump_payload_sanitizations",
        "total_reads_processed",
        "total_writes_processed",
        "io_threaded_reads_processed",
        "io_threaded_writes_processed",
        "reply_buffer_shrinks",
        "reply_buffer_expands",
    ] {
        // Defragmentation moves one block per key: its hits are key hits too.
        let value = match name {
            "total_error_replies" => f.errors_total,
            "active_defrag_hits" | "active_defrag_key_hits" => f.stats.defrag_hits,
            "total_active_defrag_time" => f.stats.defrag_time_us / 1000,
            _ => 0,
        };
        field(out, name, value);
    }
}

/// A master without replicas. The replication id is derived from the run id so it is
/// stable for the life of the process, as Redis's is.
fn replication_section(out: &mut String, ctx: &ConnCtx) {
    let server = &ctx.server;
    let replid: String = server.run_id.chars().rev().collect();
    field(out, "role", "master");
    field(out, "connected_slaves", 0);
    field(out, "master_failover_state", "no-failover");
    field(out, "master_replid", replid);
    field(out, "master_replid2", "0".repeat(40));
    field(out, "master_repl_offset", 0);
    field(out, "second_repl_offset", -1);
    field(out, "repl_backlog_active", 0);
    field(out, "repl_backlog_size", REPL_BACKLOG_BYTES);
    field(out, "repl_backlog_first_byte_offset", 0);
    field(out, "repl_backlog_histlen", 0);
}

fn cpu_section(out: &mut String, _ctx: &ConnCtx) {
    let process = sys::cpu_process();
    let children = sys::cpu_children();
    let thread = sys::cpu_thread();
    field(out, "used_cpu_sys", sys::seconds_micros(process.sys));
    field(out, "used_cpu_user", sys::seconds_micros(process.user));
    field(
        out,
        "used_cpu_sys_children",
        sys::seconds_micros(children.sys),
    );
    field(
        out,
        "used_cpu_user_children",
        sys::seconds_micros(children.user),
    );
    field(
        out,
        "used_cpu_sys_main_thread",
        sys::seconds_micros(thread.sys),
    );
    field(
        out,
        "used_cpu_user_main_thread",
        sys::seconds_micros(thread.user),
    );
}

fn commandstats_section(out: &mut String, _ctx: &ConnCtx, f: &Figures) {
    for (name, c) in &f.commands {
        if c.calls == 0 && c.rejected_calls == 0 && c.failed_calls == 0 {
            continue;
        }
        let nanos = crate::runtime::clock::ticks_to_nanos(c.ticks);
        let usec_per_call = if c.calls == 0 {
            0.0
        } else {
            nanos as f64 / 1000.0 / c.calls as f64
        };
        let _ = write!(
            out,
            "cmdstat_{name}:calls={},usec={},usec_per_call={usec_per_call:.2},rejected_calls={},failed_calls={}\r\n",
            c.calls,
            nanos / 1000,
            c.rejected_calls,
            c.failed_calls
        );
    }
}

/// `latency_percentiles_usec_<command>:p50=1.003,p99=...` for every command with a
/// histogram, at the `latency-tracking-info-percentiles`; nothing while
/// `latency-tracking` is off (as Redis).
fn latencystats_section(out: &mut String, ctx: &ConnCtx, f: &Figures) {
    if !ctx.settings.monitor.latency_tracking {
        return;
    }
    for (name, histogram) in &f.latency {
        let _ = write!(out, "latency_percentiles_usec_{name}:");
        for (i, &p) in ctx.settings.latency_percentiles.iter().enumerate() {
            let usec = histogram.value_at_percentile(p) as f64 / 1000.0;
            let separator = if i == 0 { "" } else { "," };
            let _ = write!(out, "{separator}p{}={usec:.3}", percentile_label(p));
        }
        out.push_str("\r\n");
    }
}

/// A percentile as Redis labels it: `%f` with trailing zeros and point dropped.
fn percentile_label(p: f64) -> String {
    let text = format!("{p:.6}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn keyspace_section(out: &mut String, _ctx: &ConnCtx, f: &Figures) {
    for (db, (keys, expires)) in f.keyspace.iter().enumerate() {
        if *keys > 0 {
            let _ = write!(out, "db{db}:keys={keys},expires={expires},avg_ttl=0\r\n");
        }
    }
}

// ---- the sampler ---------------------------------------------------------------------

/// Starts the rate sampler on this thread, once per server.
fn start_sampler(ctx: &ConnCtx) {
    if ctx
        .server
        .instantaneous
        .started
        .swap(true, Ordering::Relaxed)
    {
        return;
    }
    let (shards, server) = (ctx.shards.clone(), ctx.server.clone());
    crate::runtime::spawn_local(sample_rates(shards, server));
}

/// Commands run on this thread so far.
fn local_calls() -> u64 {
    stats::snapshot().iter().map(|(_, c)| c.calls).sum()
}

async fn sample_rates(shards: Rc<ShardSet>, server: Arc<ServerState>) {
    struct Sample {
        at: Instant,
        calls: u64,
        input_bytes: u64,
        output_bytes: u64,
    }
    let mut window: VecDeque<Sample> = VecDeque::with_capacity(SAMPLES_KEPT + 1);
    while !server.shutdown.load(Ordering::Relaxed) {
        let calls = shards.run_on_all(|_| local_calls()).await.iter().sum();
        window.push_back(Sample {
            at: Instant::now(),
            calls,
            input_bytes: server.total_net_input_bytes.load(),
            output_bytes: server.total_net_output_bytes.load(),
        });
        if window.len() > SAMPLES_KEPT {
            window.pop_front();
        }
        if let (Some(first), Some(last)) = (window.front(), window.back()) {
            let secs = last.at.duration_since(first.at).as_secs_f64();
            if secs > 0.0 {
                let rate = |a: u64, b: u64| (b.saturating_sub(a) as f64 / secs) as u64;
                let inst = &server.instantaneous;
                inst.ops_per_sec
                    .store(rate(first.calls, last.calls), Ordering::Relaxed);
                inst.input_bytes_per_sec
                    .store(rate(first.input_bytes, last.input_bytes), Ordering::Relaxed);
                inst.output_bytes_per_sec.store(
                    rate(first.output_bytes, last.output_bytes),
                    Ordering::Relaxed,
                );
            }
        }
        crate::runtime::sleep(SAMPLE_PERIOD).await;
    }
}

#[cfg(test)]
#[path = "info_tests.rs"]
mod tests;
