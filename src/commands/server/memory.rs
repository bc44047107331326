//! MEMORY: USAGE (one key, on its shard), STATS (figures gathered from every shard),
//! DOCTOR, MALLOC-STATS, PURGE and HELP. Byte figures come from the counting allocator
//! ([`crate::alloc`]) and the tables' own estimates; shoal's structures differ from
//! Redis's, so per-key numbers are shoal's, with Redis's field names.

use std::sync::atomic::Ordering;

use super::super::{BASE, CommandSpec, ConnCtx, CoordFuture, Run, acl, flags, keys};
use super::{help, sys};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::util::num::parse_i64;

/// Below this many bytes over the startup footprint MEMORY DOCTOR has nothing to say (Redis's 5 MB).
const DOCTOR_USED_BYTES_MIN: u64 = 5 * 1024 * 1024;

/// MEMORY USAGE key [SAMPLES count]. shoal's value sizes are exact, so the sample count
/// is checked as Redis checks it and otherwise unused.
fn usage(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let mut i = 3;
    while i < args.len() {
        if args[i].eq_ignore_ascii_case(b"SAMPLES") && i + 1 < args.len() {
            match parse_i64(&args[i + 1]) {
                None => return r.error(errors::NOT_INTEGER),
                Some(n) if n < 0 => return r.error(errors::SYNTAX),
                Some(_) => {}
            }
            i += 2;
        } else {
            return r.error(errors::SYNTAX);
        }
    }
    let db = ctx.db;
    if !ctx.exists(&args[2]) {
        return r.null();
    }
    match ctx.shard.dbs[db].table.get(&args[2]) {
        Some(e) => r.int(e.usage_bytes() as i64),
        None => r.null(),
    }
}

/// Per-database figures one shard reports to MEMORY STATS.
struct DbFigures {
    keys: usize,
    volatile: usize,
    overhead_bytes: usize,
}

fn stats<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let parts = ctx
            .shards
            .run_on_all(|s| {
                s.dbs
                    .iter()
                    .map(|d| DbFigures {
                        keys: d.len(),
                        volatile: d.volatile_len(),
                        overhead_bytes: d.table.overhead_bytes(),
                    })
                    .collect::<Vec<_>>()
            })
            .await;
        let mut dbs: Vec<DbFigures> = Vec::new();
        for part in parts {
            if dbs.len() < part.len() {
                dbs.resize_with(part.len(), || DbFigures {
                    keys: 0,
                    volatile: 0,
                    overhead_bytes: 0,
                });
            }
            for (total, d) in dbs.iter_mut().zip(part) {
                total.keys += d.keys;
                total.volatile += d.volatile;
                total.overhead_bytes += d.overhead_bytes;
            }
        }
        write_stats(ctx, &dbs);
    })
}

fn write_stats(ctx: &mut ConnCtx, dbs: &[DbFigures]) {
    let used = crate::alloc::used_bytes();
    let rss = sys::rss_bytes();
    let peak = ctx
        .server
        .instantaneous
        .peak_memory_bytes
        .fetch_max(used, Ordering::Relaxed)
        .max(used);
    let startup = ctx
        .server
        .startup_used_bytes
        .load(Ordering::Relaxed)
        .min(used);
    let live: Vec<&DbFigures> = dbs.iter().filter(|d| d.keys > 0).collect();
    let tables: u64 = live.iter().map(|d| d.overhead_bytes as u64).sum();
    let overhead = (startup + tables).min(used);
    let keys: u64 = live.iter().map(|d| d.keys as u64).sum();
    let dataset = used - overhead;
    let percent = |a: u64, b: u64| {
        if b == 0 {
            0.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
    let mut r = ctx.reply();
    r.map(27 + live.len());
    let int = |r: &mut Reply, name: &str, v: u64| {
        r.bulk(name.as_bytes());
        r.int(v as i64);
    };
    int(&mut r, "peak.allocated", peak);
    int(&mut r, "total.allocated", used);
    int(&mut r, "startup.allocated", startup);
    for name in [
        "replication.backlog",
        "clients.slaves",
        "clients.normal",
        "cluster.links",
        "aof.buffer",
        "lua.caches",
        "functions.caches",
    ] {
        int(&mut r, name, 0);
    }
    for (i, d) in dbs.iter().enumerate().filter(|(_, d)| d.keys > 0) {
        r.bulk_fmt(format_args!("db.{i}"));
        r.map(3);
        let share = |n: usize| (d.overhead_bytes as u64 * n as u64) / d.keys.max(1) as u64;
        int(&mut r, "overhead.hashtable.main", d.overhead_bytes as u64);
        int(&mut r, "overhead.hashtable.expires", share(d.volatile) / 4);
        int(&mut r, "overhead.hashtable.slot-to-keys", 0);
    }
    int(&mut r, "overhead.total", overhead);
    int(&mut r, "keys.count", keys);
    int(
        &mut r,
        "keys.bytes-per-key",
        dataset.checked_div(keys).unwrap_or(0),
    );
    int(&mut r, "dataset.bytes", dataset);
    let float = |r: &mut Reply, name: &str, v: f64| {
        r.bulk(name.as_bytes());
        r.double_text(format!("{v:.17}").as_bytes());
    };
    float(
        &mut r,
        "dataset.percentage",
        percent(dataset, used - startup),
    );
    float(&mut r, "peak.percentage", percent(used, peak));
    int(&mut r, "allocator.allocated", used);
    int(&mut r, "allocator.active", used);
    int(&mut r, "allocator.resident", rss);
    float(&mut r, "allocator-fragmentation.ratio", 1.0);
    int(&mut r, "allocator-fragmentation.bytes", 0);
    float(&mut r, "allocator.rss-ratio", ratio(rss, used));
    int(&mut r, "allocator.rss-bytes", rss.saturating_sub(used));
    float(&mut r, "rss-overhead.ratio", 1.0);
    int(&mut r, "rss-overhead.bytes", 0);
    float(&mut r, "fragmentation", ratio(rss, used));
    int(&mut r, "fragmentation.bytes", rss.saturating_sub(used));
}

/// Redis's two texts for an instance with nothing to report.
const DOCTOR_EMPTY: &str = "Hi Sam, this instance is empty or is using very little memory, my issues detector can't be used in these conditions. Please, leave for your mission on Earth and fill it with some data. The new Sam and I will be back to our programming as soon as I finished rebooting.";
const DOCTOR_FINE: &str = "Hi Sam, I can't find any memory issue in your instance. I can only account for what occurs on this base.";

fn doctor(ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    let used = crate::alloc::used_bytes();
    let startup = ctx.server.startup_used_bytes.load(Ordering::Relaxed);
    // Redis looks at all it allocated; shoal's idle footprint (per-thread rings and
    // mailboxes) is larger, so only what was added since startup counts.
    let text = if used.saturating_sub(startup) < DOCTOR_USED_BYTES_MIN {
        DOCTOR_EMPTY.to_string()
    } else {
        let rss = sys::rss_bytes();
        let ratio = rss as f64 / used.max(1) as f64;
        if ratio > 1.4 {
            format!(
                "Sam, I detected a few issues in this instance memory implementation:\n\n * High process RSS overhead: the resident set is {ratio:.2} times the memory allocated ({} vs {}). Part of it is allocator fragmentation: MEMORY PURGE returns freed pages to the system.\n\nI'm here to keep you safe, Sam. I want to help you.\n",
                sys::bytes_to_human(rss),
                sys::bytes_to_human(used)
            )
        } else {
            DOCTOR_FINE.to_string()
        }
    };
    r.verbatim(b"txt", text.as_bytes());
}

fn malloc_stats(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    let text = format!(
        "___ Begin mimalloc statistics ___\nallocator: mimalloc (shoal counting wrapper)\nused_bytes: {}\nrss_bytes: {}\n___ End mimalloc statistics ___\n",
        crate::alloc::used_bytes(),
        sys::rss_bytes()
    );
    r.verbatim(b"txt", text.as_bytes());
}

/// MEMORY PURGE: every thread returns its freed pages to the system.
fn purge<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        ctx.shards.run_on_all(|_| crate::alloc::purge()).await;
        ctx.reply().ok();
    })
}

const HELP_LINES: &[&str] = &[
    "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "DOCTOR",
    "    Return memory problems reports.",
    "MALLOC-STATS",
    "    Return internal statistics report from the memory allocator.",
    "PURGE",
    "    Attempt to purge dirty pages for reclamation by the allocator.",
    "STATS",
    "    Return information about the memory usage of the server.",
    "USAGE <key> [SAMPLES <count>]",
    "    Return memory in bytes used by <key> and its value. Nested values are",
    "    sampled up to <count> times (default: 5, 0 means sample all).",
    "HELP",
    "    Prints this help.",
];

fn help_cmd(_ctx: &mut ConnCtx, _args: Args, r: &mut Reply) {
    help::reply(r, HELP_LINES);
}

// ---- table ----------------------------------------------------------------------------

const SUB: CommandSpec = CommandSpec {
    arity: 2,
    acl: acl::SLOW,
    group: "server",
    since: "4.0.0",
    complexity: "O(1)",
    ..BASE
};

const MEMORY_SUBCOMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "doctor",
        summary: "Outputs memory problems report",
        run: Run::Conn(doctor),
        ..SUB
    },
    CommandSpec {
        name: "malloc-stats",
        summary: "Show allocator internal stats",
        complexity: "Depends on how much memory is allocated, could be slow",
        run: Run::Conn(malloc_stats),
        ..SUB
    },
    CommandSpec {
        name: "purge",
        summary: "Ask the allocator to release memory",
        complexity: "Depends on how much memory is allocated, could be slow",
        run: Run::Coord(purge),
        ..SUB
    },
    CommandSpec {
        name: "stats",
        summary: "Show memory usage details",
        run: Run::Coord(stats),
        ..SUB
    },
    CommandSpec {
        name: "usage",
        arity: -3,
        flags: flags::READONLY,
        acl: acl::READ | acl::SLOW,
        keys: keys(2, 2, 1),
        summary: "Estimate the memory usage of a key",
        complexity: "O(N) where N is the number of samples.",
        run: Run::Shard(usage),
        ..SUB
    },
    CommandSpec {
        name: "help",
        flags: flags::LOADING | flags::STALE,
        summary: "Show helpful text about the different subcommands",
        run: Run::Conn(help_cmd),
        ..SUB
    },
];

pub const COMMANDS: &[CommandSpec] = &[CommandSpec {
    name: "memory",
    arity: -2,
    acl: acl::SLOW,
    group: "server",
    since: "4.0.0",
    summary: "A container for memory diagnostics commands",
    complexity: "Depends on subcommand.",
    run: Run::Container,
    subcommands: MEMORY_SUBCOMMANDS,
    ..BASE
}];
