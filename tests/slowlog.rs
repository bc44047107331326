//! SLOWLOG, the LATENCY monitor and latency tracking against a server with three threads:
//! commands that run on the connection's shard, in batches on other shards and as
//! cross-shard coordinators are all logged with their arguments, newest first with
//! increasing ids; truncation, RESET, LEN and `slowlog-max-len` as Redis 7.0; DEBUG
//! SLEEP shows up in SLOWLOG and as a "command" latency event; every kind of command is
//! counted in its latency histogram (INFO latencystats, LATENCY HISTOGRAM).

use redis::Value;

mod common;

use common::client::{connect, int, query, start_server, strings, text};

const THREADS: usize = 3;

/// One SLOWLOG GET entry.
#[derive(Debug)]
struct Entry {
    id: i64,
    unix_secs: i64,
    duration_us: i64,
    args: Vec<String>,
    peer: String,
    name: String,
}

fn entries(con: &mut redis::Connection, args: &[&str]) -> Vec<Entry> {
    let Value::Array(items) = query(con, args).unwrap() else {
        panic!("{args:?}: not an array");
    };
    items
        .into_iter()
        .map(|item| {
            let Value::Array(f) = item else {
                panic!("entry {item:?}")
            };
            assert_eq!(f.len(), 6, "{f:?}");
            let n = |v: &Value| match v {
                Value::Int(n) => *n,
                other => panic!("{other:?}"),
            };
            let s = |v: &Value| match v {
                Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                other => panic!("{other:?}"),
            };
            Entry {
                id: n(&f[0]),
                unix_secs: n(&f[1]),
                duration_us: n(&f[2]),
                args: strings(&f[3]),
                peer: s(&f[4]),
                name: s(&f[5]),
            }
        })
        .collect()
}

/// A key living on `shard`.
fn key_on(shard: usize, tag: &str) -> String {
    (0..)
        .map(|i| format!("{tag}{i}"))
        .find(|k| shoal::util::slot::key_shard(k.as_bytes(), THREADS) == shard)
        .unwrap()
}

#[test]
fn slowlog_logs_every_kind_of_command_in_order() {
    let server = start_server(THREADS, &[]);
    let mut con = connect(server.addr);
    text(&mut con, &["CLIENT", "SETNAME", "tester"]);
    text(&mut con, &["CONFIG", "SET", "slowlog-log-slower-than", "0"]);
    text(&mut con, &["SLOWLOG", "RESET"]);
    let keys: Vec<String> = (0..THREADS).map(|s| key_on(s, "k")).collect();
    // One by one (local fast path or a one-command batch)...
    for k in &keys {
        text(&mut con, &["SET", k, "v"]);
    }
    // ... pipelined (batches on the other shards) ...
    let mut pipe = redis::pipe();
    for k in &keys {
        pipe.cmd("GET").arg(k);
    }
    let _: Vec<String> = pipe.query(&mut con).unwrap();
    // ... and across shards (a coordinator).
    let mut mset = vec!["MSET"];
    for k in &keys {
        mset.extend([k.as_str(), "w"]);
    }
    text(&mut con, &mset);
    let long = "x".repeat(200);
    text(&mut con, &["SET", &keys[1], &long]);
    let mut rpush = vec!["RPUSH".to_string(), key_on(2, "list")];
    rpush.extend((1..=40).map(|i| i.to_string()));
    let rpush: Vec<&str> = rpush.iter().map(String::as_str).collect();
    int(&mut con, &rpush);
    query(&mut con, &["AUTH", "secret"]).unwrap_err();

    let got = entries(&mut con, &["SLOWLOG", "GET", "-1"]);
    let commands: Vec<Vec<String>> = got.iter().rev().map(|e| e.args.clone()).collect();
    let s = |v: &[&str]| v.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let mut want = vec![s(&["SLOWLOG", "RESET"])];
    want.extend(keys.iter().map(|k| s(&["SET", k, "v"])));
    want.extend(keys.iter().map(|k| s(&["GET", k])));
    want.push(mset.iter().map(|a| a.to_string()).collect());
    let mut cut = "x".repeat(128);
    cut.push_str("... (72 more bytes)");
    want.push(s(&["SET", &keys[1], &cut]));
    let mut logged_rpush = s(&rpush[..31]);
    logged_rpush.push("... (11 more arguments)".into());
    want.push(logged_rpush);
    want.push(s(&["AUTH", "(redacted)"]));
    assert_eq!(commands, want);
    for pair in got.windows(2) {
        assert!(pair[0].id > pair[1].id, "{pair:?}");
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for e in &got {
        assert!((now - e.unix_secs).abs() < 60, "{e:?}");
        assert!(e.duration_us >= 0);
        assert!(e.peer.starts_with("127.0.0.1:"), "{e:?}");
        assert_eq!(e.name, "tester");
    }
    // The GET above is logged too, after it ran.
    let len = int(&mut con, &["SLOWLOG", "LEN"]);
    assert_eq!(len, got.len() as i64 + 1);
    assert_eq!(entries(&mut con, &["SLOWLOG", "GET"]).len(), 10);
    let two = entries(&mut con, &["SLOWLOG", "GET", "2"]);
    assert_eq!(two[0].args, ["SLOWLOG", "GET"]);
    assert_eq!(two[1].args, ["SLOWLOG", "LEN"]);
    server.shutdown();
}

#[test]
fn max_len_bounds_get_and_len_alike_across_threads() {
    let server = start_server(THREADS, &[]);
    let mut cons: Vec<_> = (0..4).map(|_| connect(server.addr)).collect();
    text(
        &mut cons[0],
        &["CONFIG", "SET", "slowlog-log-slower-than", "0"],
    );
    text(&mut cons[0], &["SLOWLOG", "RESET"]);
    for round in 0..5 {
        for (i, con) in cons.iter_mut().enumerate() {
            text(con, &["SET", &format!("key{round}-{i}"), "v"]);
        }
    }
    text(&mut cons[1], &["CONFIG", "SET", "slowlog-max-len", "7"]);
    assert_eq!(int(&mut cons[2], &["SLOWLOG", "LEN"]), 7);
    let got = entries(&mut cons[3], &["SLOWLOG", "GET", "-1"]);
    assert_eq!(got.len(), 7);
    // The newest seven, newest first: GET, LEN, CONFIG SET, then the last four SETs.
    assert_eq!(got[0].args, ["SLOWLOG", "LEN"]);
    assert_eq!(got[1].args[..2], ["CONFIG", "SET"]);
    assert_eq!(got[2].args, ["SET", "key4-3", "v"]);
    assert_eq!(got[5].args, ["SET", "key4-0", "v"]);
    assert_eq!(got[6].args, ["SET", "key3-3", "v"]);
    for pair in got.windows(2) {
        assert!(pair[0].id > pair[1].id);
    }
    text(
        &mut cons[0],
        &["CONFIG", "SET", "slowlog-log-slower-than", "-1"],
    );
    text(&mut cons[0], &["SLOWLOG", "RESET"]);
    for con in cons.iter_mut() {
        assert_eq!(int(con, &["SLOWLOG", "LEN"]), 0);
    }
    assert!(entries(&mut cons[0], &["SLOWLOG", "GET", "-1"]).is_empty());
    server.shutdown();
}

#[test]
fn debug_sleep_is_slow_and_a_latency_event() {
    let server = start_server(THREADS, &["--enable-debug-command", "yes"]);
    let mut con = connect(server.addr);
    text(
        &mut con,
        &["CONFIG", "SET", "latency-monitor-threshold", "10"],
    );
    text(&mut con, &["SLOWLOG", "RESET"]);
    int(&mut con, &["LATENCY", "RESET"]);
    text(&mut con, &["SET", "fast", "1"]);
    text(&mut con, &["DEBUG", "SLEEP", "0.05"]);
    // The sleep passes the default 10 ms threshold (on a loaded machine another
    // command might too).
    let got = entries(&mut con, &["SLOWLOG", "GET"]);
    let sleep = got
        .iter()
        .find(|e| e.args == ["DEBUG", "SLEEP", "0.05"])
        .expect("DEBUG SLEEP is logged");
    assert!(sleep.duration_us >= 50_000, "{got:?}");
    assert!(
        got.iter()
            .all(|e| e.args[0] != "SET" || e.duration_us >= 10_000)
    );
    let Value::Array(latest) = query(&mut con, &["LATENCY", "LATEST"]).unwrap() else {
        panic!("LATEST");
    };
    let event = latest
        .iter()
        .map(strings)
        .find(|e| e[0] == "command")
        .expect("a command event");
    let (latest_ms, max_ms): (i64, i64) = (event[2].parse().unwrap(), event[3].parse().unwrap());
    assert!(max_ms >= 50 && max_ms >= latest_ms, "{event:?}");
    let Value::Array(history) = query(&mut con, &["LATENCY", "HISTORY", "command"]).unwrap() else {
        panic!("HISTORY");
    };
    assert!(!history.is_empty());
    let graph = text(&mut con, &["LATENCY", "GRAPH", "command"]);
    assert!(graph.starts_with("command - high "), "{graph}");
    let doctor = text(&mut con, &["LATENCY", "DOCTOR"]);
    assert!(doctor.contains("1. command: "), "{doctor}");
    assert_eq!(
        int(&mut con, &["LATENCY", "RESET", "command", "command"]),
        1
    );
    assert!(query(&mut con, &["LATENCY", "HISTORY", "command"]).unwrap() == Value::Array(vec![]));
    // Off: nothing more is sampled.
    text(
        &mut con,
        &["CONFIG", "SET", "latency-monitor-threshold", "0"],
    );
    int(&mut con, &["LATENCY", "RESET"]);
    text(&mut con, &["DEBUG", "SLEEP", "0.02"]);
    assert_eq!(
        query(&mut con, &["LATENCY", "LATEST"]).unwrap(),
        Value::Array(vec![])
    );
    server.shutdown();
}

/// One command of LATENCY HISTOGRAM: name, calls, and (µs, cumulative calls) levels.
type Histogram = (String, i64, Vec<(i64, i64)>);

/// LATENCY HISTOGRAM's reply (RESP2).
fn histograms(con: &mut redis::Connection, args: &[&str]) -> Vec<Histogram> {
    let Value::Array(flat) = query(con, args).unwrap() else {
        panic!("{args:?}: not an array");
    };
    let int_of = |v: &Value| match v {
        Value::Int(n) => *n,
        other => panic!("{other:?}"),
    };
    flat.chunks(2)
        .map(|pair| {
            let name = strings(&Value::Array(vec![pair[0].clone()])).remove(0);
            let Value::Array(fields) = &pair[1] else {
                panic!("{pair:?}");
            };
            assert_eq!(
                strings(&Value::Array(vec![fields[0].clone(), fields[2].clone()])),
                ["calls", "histogram_usec"]
            );
            let Value::Array(levels) = &fields[3] else {
                panic!("{fields:?}");
            };
            let levels = levels
                .chunks(2)
                .map(|l| (int_of(&l[0]), int_of(&l[1])))
                .collect();
            (name, int_of(&fields[1]), levels)
        })
        .collect()
}

/// INFO latencystats as (command, [(label, µs)]).
fn latencystats(con: &mut redis::Connection) -> Vec<(String, Vec<(String, f64)>)> {
    let info = text(con, &["INFO", "latencystats"]);
    info.lines()
        .filter_map(|l| l.strip_prefix("latency_percentiles_usec_"))
        .map(|l| {
            let (name, values) = l.split_once(':').unwrap();
            let values = values
                .split(',')
                .map(|v| {
                    let (label, us) = v.split_once('=').unwrap();
                    (label.to_string(), us.parse().unwrap())
                })
                .collect();
            (name.to_string(), values)
        })
        .collect()
}

#[test]
fn latency_tracking_counts_every_kind_of_command() {
    let server = start_server(THREADS, &["--enable-debug-command", "yes"]);
    let mut con = connect(server.addr);
    // SETs run on the connection's shard and in batches on the others; MSET is a
    // cross-shard coordinator.
    for round in 0..10 {
        for shard in 0..THREADS {
            text(&mut con, &["SET", &key_on(shard, "h"), &round.to_string()]);
        }
    }
    let (a, b) = (key_on(0, "m"), key_on(1, "m"));
    text(&mut con, &["MSET", &a, "1", &b, "2"]);
    text(&mut con, &["DEBUG", "SLEEP", "0.005"]);
    let stats = latencystats(&mut con);
    for name in ["set", "mset", "debug"] {
        let (_, values) = stats.iter().find(|(n, _)| n == name).expect(name);
        let labels: Vec<&str> = values.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["p50", "p99", "p99.9"], "{name}");
        assert!(
            values.windows(2).all(|w| w[0].1 <= w[1].1),
            "{name}: {values:?}"
        );
    }
    // 5 ms of sleep shows as 5 ms, in the bucket's upper bound.
    let debug_p50 = stats.iter().find(|(n, _)| n == "debug").unwrap().1[0].1;
    assert!((5000.0..50_000.0).contains(&debug_p50), "{debug_p50}");
    let set = histograms(&mut con, &["LATENCY", "HISTOGRAM", "set", "nosuch"]);
    assert_eq!(set.len(), 1, "{set:?}");
    let (name, calls, levels) = &set[0];
    assert_eq!((name.as_str(), *calls), ("set", 10 * THREADS as i64));
    assert_eq!(levels.last().map(|l| l.1), Some(*calls), "{levels:?}");
    assert!(
        levels
            .windows(2)
            .all(|w| w[0].0 < w[1].0 && w[0].1 < w[1].1),
        "{levels:?}"
    );
    // Percentiles as configured; a container's name lists its subcommands.
    text(
        &mut con,
        &[
            "CONFIG",
            "SET",
            "latency-tracking-info-percentiles",
            "0 50 99.99 100",
        ],
    );
    let (_, values) = latencystats(&mut con)
        .into_iter()
        .find(|(n, _)| n == "set")
        .unwrap();
    let labels: Vec<&str> = values.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(labels, ["p0", "p50", "p99.99", "p100"]);
    let config = histograms(&mut con, &["LATENCY", "HISTOGRAM", "CONFIG"]);
    assert_eq!(
        config.iter().map(|h| h.0.as_str()).collect::<Vec<_>>(),
        ["config|set"]
    );
    // Off: nothing more is counted and INFO shows nothing; RESETSTAT clears.
    text(&mut con, &["CONFIG", "SET", "latency-tracking", "no"]);
    text(&mut con, &["SET", &key_on(1, "h"), "x"]);
    assert_eq!(
        histograms(&mut con, &["LATENCY", "HISTOGRAM", "set"])[0].1,
        10 * THREADS as i64
    );
    assert!(latencystats(&mut con).is_empty());
    text(&mut con, &["CONFIG", "RESETSTAT"]);
    assert!(histograms(&mut con, &["LATENCY", "HISTOGRAM"]).is_empty());
}
