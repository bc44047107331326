//! INFO and MEMORY through the `redis` crate: sections and fields monitoring tools
//! read, RESP3 verbatim replies, the allocator-counted `used_memory`, MEMORY USAGE /
//! STATS / PURGE / DOCTOR / HELP, and maxmemory with its eviction policies.

mod common;

use common::client::{
    connect, connect_resp3, error, info_field, int, query, start_server, strings, text,
};
use redis::Value;
use shoal::server::ServerHandle;

fn start() -> ServerHandle {
    start_server(3, &[])
}

// ---- INFO --------------------------------------------------------------------------

fn headers(info: &str) -> Vec<&str> {
    info.lines().filter_map(|l| l.strip_prefix("# ")).collect()
}

#[test]
fn info_sections_fields_and_keyspace() {
    let server = start();
    let mut con = connect(server.addr);
    let default = text(&mut con, &["INFO"]);
    assert_eq!(
        headers(&default),
        [
            "Server",
            "Clients",
            "Memory",
            "Persistence",
            "Stats",
            "Replication",
            "CPU",
            "Modules",
            "Errorstats",
            "Cluster",
            "Keyspace"
        ]
    );
    assert!(default.starts_with("# Server\r\nredis_version:7.0.15\r\n"));
    assert!(default.contains("\r\n\r\n# Clients\r\n"));
    assert_eq!(
        info_field(&default, "tcp_port"),
        Some(server.addr.port().to_string())
    );
    assert_eq!(info_field(&default, "run_id").map(|r| r.len()), Some(40));
    assert_eq!(info_field(&default, "role").as_deref(), Some("master"));
    assert_eq!(info_field(&default, "shoal_threads").as_deref(), Some("3"));
    assert_eq!(
        info_field(&default, "cluster_enabled").as_deref(),
        Some("0")
    );
    assert_eq!(info_field(&default, "aof_enabled").as_deref(), Some("0"));
    assert_eq!(
        info_field(&default, "multiplexing_api").as_deref(),
        Some("io_uring")
    );
    assert!(info_field(&default, "used_cpu_user").is_some());
    assert!(
        info_field(&default, "used_memory_rss")
            .unwrap()
            .parse::<u64>()
            .unwrap()
            > 0
    );
    let all = text(&mut con, &["INFO", "all"]);
    assert!(headers(&all).contains(&"Commandstats"));
    assert!(text(&mut con, &["INFO", "everything"]).lines().count() > 100);
    assert_eq!(
        headers(&text(&mut con, &["INFO", "keyspace", "SERVER"])),
        ["Server", "Keyspace"]
    );
    assert_eq!(text(&mut con, &["INFO", "bogus"]), "");

    // Keys land on all three shards; the keyspace line sums them.
    for i in 0..60 {
        let _: () = redis::cmd("SET")
            .arg(format!("key:{i}"))
            .arg(i)
            .query(&mut con)
            .unwrap();
    }
    for i in 0..7 {
        let _: () = redis::cmd("EXPIRE")
            .arg(format!("key:{i}"))
            .arg(1000)
            .query(&mut con)
            .unwrap();
    }
    let _: () = redis::cmd("SELECT").arg(2).query(&mut con).unwrap();
    let _: () = redis::cmd("SET")
        .arg("other")
        .arg(1)
        .query(&mut con)
        .unwrap();
    let keyspace = text(&mut con, &["INFO", "keyspace"]);
    assert_eq!(
        keyspace,
        "# Keyspace\r\ndb0:keys=60,expires=7,avg_ttl=0\r\ndb2:keys=1,expires=0,avg_ttl=0\r\n"
    );
    let stats = text(&mut con, &["INFO", "stats"]);
    let processed: u64 = info_field(&stats, "total_commands_processed")
        .unwrap()
        .parse()
        .unwrap();
    assert!(processed >= 70, "{processed}");
    let commandstats = text(&mut con, &["INFO", "commandstats"]);
    assert!(
        commandstats.contains("cmdstat_set:calls=61,usec="),
        "{commandstats}"
    );
    assert_eq!(text(&mut con, &["CONFIG", "RESETSTAT"]), "OK");
    let stats = text(&mut con, &["INFO", "stats"]);
    // As in Redis, the command that reads the counters after a reset is the one counted.
    assert_eq!(
        info_field(&stats, "total_commands_processed").as_deref(),
        Some("1")
    );
    server.shutdown();
}

#[test]
fn info_in_resp3_is_verbatim() {
    let server = start();
    let mut con = connect_resp3(server.addr);
    match query(&mut con, &["INFO", "server"]).unwrap() {
        Value::VerbatimString { text, .. } => assert!(text.starts_with("# Server\r\n")),
        other => panic!("{other:?}"),
    }
    server.shutdown();
}

// ---- MEMORY ------------------------------------------------------------------------

fn used_memory(con: &mut redis::Connection) -> u64 {
    info_field(&text(con, &["INFO", "memory"]), "used_memory")
        .unwrap()
        .parse()
        .unwrap()
}

/// Memory figures are per process: these tests run the server as its own process so
/// other tests of this binary do not move the count.
#[test]
fn memory_usage_stats_and_counted_used_memory() {
    let server = common::ShoalServer::start(3, &[]);
    let mut con = connect(server.addr());
    assert_eq!(
        query(&mut con, &["MEMORY", "USAGE", "nokey"]).unwrap(),
        Value::Nil
    );
    let before = used_memory(&mut con);
    let value = "v".repeat(1000);
    for i in 0..2000 {
        query(&mut con, &["SET", &format!("key:{i}"), &value]).unwrap();
    }
    let after = used_memory(&mut con);
    // 2000 values of 1000 bytes: at least 2 MB more, counted by the allocator.
    assert!(after >= before + 2_000_000, "{before} -> {after}");
    let usage = int(&mut con, &["MEMORY", "USAGE", "key:1", "SAMPLES", "0"]);
    assert!((1000..1200).contains(&usage), "{usage}");
    assert_eq!(
        error(&mut con, &["MEMORY", "USAGE", "key:1", "SAMPLES", "-1"]),
        "ERR syntax error"
    );
    assert_eq!(
        error(&mut con, &["MEMORY", "USAGE", "key:1", "SAMPLES", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        error(&mut con, &["MEMORY", "USAGE", "key:1", "FOO"]),
        "ERR syntax error"
    );
    let Value::Array(stats) = query(&mut con, &["MEMORY", "STATS"]).unwrap() else {
        panic!("MEMORY STATS is not a list");
    };
    let at = stats
        .iter()
        .position(|v| *v == Value::BulkString(b"keys.count".to_vec()))
        .unwrap();
    assert_eq!(stats[at + 1], Value::Int(2000));
    assert_eq!(text(&mut con, &["MEMORY", "PURGE"]), "OK");
    assert!(text(&mut con, &["MEMORY", "DOCTOR"]).starts_with("Hi Sam"));
    let help = strings(&query(&mut con, &["MEMORY", "HELP"]).unwrap());
    assert_eq!(
        help[0],
        "MEMORY <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
}

// ---- maxmemory ---------------------------------------------------------------------

/// Writes `count` keys `prefix:i` of `value_bytes` bytes, optionally with a TTL, in one
/// pipeline; returns the replies that were errors.
fn fill(
    con: &mut redis::Connection,
    prefix: &str,
    count: usize,
    value_bytes: usize,
    ttl_secs: Option<u64>,
) -> Vec<String> {
    let value = "x".repeat(value_bytes);
    let mut pipe = redis::pipe();
    for i in 0..count {
        let cmd = pipe.cmd("SET").arg(format!("{prefix}:{i}")).arg(&value);
        if let Some(ttl) = ttl_secs {
            cmd.arg("EX").arg(ttl);
        }
    }
    let replies: Vec<redis::RedisResult<Value>> = pipe
        .query::<Vec<Value>>(con)
        .map(|v| v.into_iter().map(Ok).collect())
        .unwrap_or_else(|e| vec![Err(e)]);
    replies
        .into_iter()
        .filter_map(|r| match r {
            Ok(Value::ServerError(e)) => Some(format!("{e:?}")),
            Err(e) => Some(e.to_string()),
            _ => None,
        })
        .collect()
}

fn set_config(con: &mut redis::Connection, name: &str, value: &str) {
    assert_eq!(text(con, &["CONFIG", "SET", name, value]), "OK");
}

fn evicted_keys(con: &mut redis::Connection) -> u64 {
    info_field(&text(con, &["INFO", "stats"]), "evicted_keys")
        .unwrap()
        .parse()
        .unwrap()
}

#[test]
fn noeviction_refuses_writes_but_serves_reads_and_deletes() {
    let server = common::ShoalServer::start(3, &[]);
    let mut con = connect(server.addr());
    assert!(fill(&mut con, "k", 1000, 1000, None).is_empty());
    let used = used_memory(&mut con);
    set_config(&mut con, "maxmemory", &(used - 200_000).to_string());
    assert_eq!(
        error(&mut con, &["SET", "new", "v"]),
        "OOM command not allowed when used memory > 'maxmemory'."
    );
    assert_eq!(
        error(&mut con, &["INCR", "k:1"]),
        "OOM command not allowed when used memory > 'maxmemory'."
    );
    assert_eq!(text(&mut con, &["GET", "k:1"]).len(), 1000);
    assert_eq!(int(&mut con, &["DEL", "k:1"]), 1);
    assert_eq!(int(&mut con, &["DBSIZE"]), 999);
    assert_eq!(evicted_keys(&mut con), 0);
    for i in 0..500 {
        query(&mut con, &["UNLINK", &format!("k:{i}")]).unwrap();
    }
    assert_eq!(text(&mut con, &["SET", "new", "v"]), "OK");
    set_config(&mut con, "maxmemory", "0");
}

#[test]
fn allkeys_policies_stay_within_maxmemory() {
    for policy in ["allkeys-lru", "allkeys-lfu", "allkeys-random"] {
        let server = common::ShoalServer::start(3, &[]);
        let mut con = connect(server.addr());
        let limit = used_memory(&mut con) + 2_000_000;
        set_config(&mut con, "maxmemory", &limit.to_string());
        set_config(&mut con, "maxmemory-policy", policy);
        for round in 0..10 {
            let errors = fill(&mut con, &format!("r{round}"), 1000, 1000, None);
            assert!(errors.is_empty(), "{policy}: {errors:?}");
        }
        let used = used_memory(&mut con);
        assert!(used <= limit + 200_000, "{policy}: {used} over {limit}");
        assert!(evicted_keys(&mut con) >= 5000, "{policy}");
        assert!(int(&mut con, &["DBSIZE"]) > 500, "{policy}");
    }
}

#[test]
fn volatile_policies_never_evict_keys_without_ttl() {
    for policy in [
        "volatile-lru",
        "volatile-lfu",
        "volatile-random",
        "volatile-ttl",
    ] {
        let server = common::ShoalServer::start(3, &[]);
        let mut con = connect(server.addr());
        assert!(fill(&mut con, "keep", 500, 1000, None).is_empty());
        let limit = used_memory(&mut con) + 1_000_000;
        set_config(&mut con, "maxmemory", &limit.to_string());
        set_config(&mut con, "maxmemory-policy", policy);
        for round in 0..5 {
            let errors = fill(&mut con, &format!("v{round}"), 1000, 1000, Some(1000));
            assert!(errors.is_empty(), "{policy}: {errors:?}");
        }
        assert!(evicted_keys(&mut con) > 0, "{policy}");
        for i in 0..500 {
            assert_eq!(
                int(&mut con, &["EXISTS", &format!("keep:{i}")]),
                1,
                "{policy}"
            );
        }
        // Only persistent keys left to evict: writes are refused (once every shard has
        // seen it has nothing volatile left, at the latest on its next tick).
        let mut refused = false;
        for round in 0..40 {
            let errors = fill(&mut con, &format!("big{round}"), 200, 1000, None);
            if errors.iter().any(|e| e.contains("OOM")) {
                refused = true;
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        assert!(refused, "{policy}: no OOM once nothing volatile is left");
    }
}

#[test]
fn lowering_maxmemory_evicts_down_to_it() {
    let server = common::ShoalServer::start(3, &[]);
    let mut con = connect(server.addr());
    set_config(&mut con, "maxmemory-policy", "allkeys-random");
    assert!(fill(&mut con, "k", 5000, 1000, None).is_empty());
    let used = used_memory(&mut con);
    let limit = used - 3_000_000;
    set_config(&mut con, "maxmemory", &limit.to_string());
    // Each shard evicts at once, then on every tick: give the ticks a second. The shards
    // stop at the limit as they count it; INFO counts its own reply under construction
    // too (a few hundred bytes), which may put its figure just over (so does Redis's).
    let info_own_bytes = 4096;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(3);
    while used_memory(&mut con) > limit + info_own_bytes && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    assert!(used_memory(&mut con) <= limit + info_own_bytes);
    assert!(evicted_keys(&mut con) >= 2000);
}

#[test]
fn object_freq_counts_accesses_under_lfu() {
    let server = common::ShoalServer::start(2, &[]);
    let mut con = connect(server.addr());
    set_config(&mut con, "maxmemory-policy", "allkeys-lfu");
    text(&mut con, &["SET", "hot", "v"]);
    text(&mut con, &["SET", "cold", "v"]);
    assert_eq!(int(&mut con, &["OBJECT", "FREQ", "cold"]), 5);
    for _ in 0..2000 {
        text(&mut con, &["GET", "hot"]);
    }
    let hot = int(&mut con, &["OBJECT", "FREQ", "hot"]);
    assert!(hot > 10, "{hot}");
    assert_eq!(int(&mut con, &["OBJECT", "FREQ", "cold"]), 5);
    assert!(error(&mut con, &["OBJECT", "IDLETIME", "hot"]).starts_with("ERR An LFU"));
}

// ---- errors ------------------------------------------------------------------------

/// Error replies are counted by code (errorstats, total_error_replies) and per command
/// as failed (ran, replied an error) or rejected (refused before running), as Redis.
#[test]
fn errorstats_and_failed_calls() {
    let server = start();
    let mut con = connect(server.addr);
    text(&mut con, &["CONFIG", "RESETSTAT"]);
    text(&mut con, &["SET", "s", "v"]);
    error(&mut con, &["LPUSH", "s", "x"]);
    error(&mut con, &["INCR", "s"]);
    error(&mut con, &["GET"]);
    error(&mut con, &["NOSUCHCMD"]);
    // A pipeline whose commands run on other shards, in batches.
    let mut pipe = redis::pipe();
    for i in 0..10 {
        pipe.cmd("LPUSH").arg("s").arg(i).ignore();
    }
    let _ = pipe.query::<()>(&mut con);
    let errorstats = text(&mut con, &["INFO", "errorstats"]);
    assert_eq!(
        info_field(&errorstats, "errorstat_WRONGTYPE").as_deref(),
        Some("count=11")
    );
    assert_eq!(
        info_field(&errorstats, "errorstat_ERR").as_deref(),
        Some("count=3")
    );
    let stats = text(&mut con, &["INFO", "stats"]);
    assert_eq!(
        info_field(&stats, "total_error_replies").as_deref(),
        Some("14")
    );
    let commands = text(&mut con, &["INFO", "commandstats"]);
    let lpush = info_field(&commands, "cmdstat_lpush").unwrap();
    assert!(
        lpush.ends_with("rejected_calls=0,failed_calls=11"),
        "{lpush}"
    );
    let get = info_field(&commands, "cmdstat_get").unwrap();
    assert!(get.ends_with("rejected_calls=1,failed_calls=0"), "{get}");
}

/// commandstats `usec` is the time commands ran: on this thread's shard, in a batch on
/// another shard (pipelined), and in a coordinator (DEBUG SLEEP's 50 ms).
#[test]
fn commandstats_usec_measures_execution_time() {
    let server = start_server(4, &["--enable-debug-command", "yes"]);
    let mut con = connect(server.addr);
    let mut pipe = redis::pipe();
    for i in 0..2000 {
        pipe.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();
    let _: () = redis::cmd("DEBUG")
        .arg("SLEEP")
        .arg("0.05")
        .query(&mut con)
        .unwrap();
    let commandstats = text(&mut con, &["INFO", "commandstats"]);
    let stat = |cmd: &str, field: &str| -> f64 {
        let line = commandstats
            .lines()
            .find_map(|l| l.strip_prefix(&format!("cmdstat_{cmd}:")))
            .unwrap_or_else(|| panic!("{cmd} in {commandstats}"));
        line.split(',')
            .find_map(|kv| kv.strip_prefix(&format!("{field}=")))
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{field} in {line}"))
    };
    assert_eq!(stat("set", "calls"), 2000.0);
    assert!(stat("set", "usec") > 0.0, "{commandstats}");
    // A SET takes well under a millisecond, even on a noisy debug build.
    assert!(stat("set", "usec_per_call") < 1000.0, "{commandstats}");
    let sleep_usec = stat("debug", "usec");
    assert!(
        (45_000.0..5_000_000.0).contains(&sleep_usec),
        "{commandstats}"
    );
    server.shutdown();
}

/// Active defragmentation moves every key's block to fresh pages and changes nothing a
/// client can see: values, encodings and deadlines survive, and INFO counts the moves.
/// (Thresholds at zero so a pass starts in this small test process.)
#[test]
fn active_defrag_moves_keys_without_changing_them() {
    let server = start_server(
        2,
        &[
            "--activedefrag",
            "no",
            "--active-defrag-ignore-bytes",
            "1",
            "--active-defrag-threshold-lower",
            "0",
        ],
    );
    let mut con = connect(server.addr);
    let mut pipe = redis::pipe();
    for i in 0..20_000 {
        pipe.cmd("SET")
            .arg(format!("k{i}"))
            .arg(format!("value-{i}"))
            .ignore();
        pipe.cmd("SET").arg(format!("n{i}")).arg(i).ignore();
        pipe.cmd("HSET")
            .arg(format!("h{i}"))
            .arg("f")
            .arg(i)
            .ignore();
        pipe.cmd("SET")
            .arg(format!("t{i}"))
            .arg("x")
            .arg("EX")
            .arg(1000)
            .ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();
    let mut pipe = redis::pipe();
    for i in (0..20_000).step_by(2) {
        pipe.cmd("DEL").arg(format!("k{i}")).ignore();
    }
    let _: () = pipe.query(&mut con).unwrap();
    let stat = |con: &mut redis::Connection, section: &str, name: &str| -> u64 {
        info_field(&text(con, &["INFO", section]), name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("{name} in INFO {section}"))
    };
    // Switched on only now, so the first pass sees the final 70,000 keys.
    assert_eq!(
        text(&mut con, &["CONFIG", "SET", "activedefrag", "yes"]),
        "OK"
    );
    let start = std::time::Instant::now();
    // Every key moved once, and the pass is over.
    while stat(&mut con, "stats", "active_defrag_hits") < 70_000
        || stat(&mut con, "memory", "active_defrag_running") != 0
    {
        assert!(
            start.elapsed().as_secs() < 30,
            "no defragmentation pass ended: {}",
            text(&mut con, &["INFO", "all"])
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    for i in (1..20_000).step_by(998) {
        assert_eq!(
            text(&mut con, &["GET", &format!("k{i}")]),
            format!("value-{i}")
        );
        assert_eq!(
            text(&mut con, &["OBJECT", "ENCODING", &format!("n{i}")]),
            "int"
        );
        assert_eq!(text(&mut con, &["GET", &format!("n{i}")]), i.to_string());
        assert_eq!(
            text(&mut con, &["HGET", &format!("h{i}"), "f"]),
            i.to_string()
        );
        let ttl = int(&mut con, &["TTL", &format!("t{i}")]);
        assert!((900..=1000).contains(&ttl), "{ttl}");
    }
    assert_eq!(int(&mut con, &["DBSIZE"]), 70_000);
    server.shutdown();
}
