//! The behaviours around RDB saves, next to redis-server 7.0 where it can run the same
//! steps: `save <seconds> <changes>` rules starting background saves, the dirty counter
//! (`rdb_changes_since_last_save`), MISCONF after a failed background save and its
//! recovery, BGSAVE SCHEDULE, `rdbchecksum no`, FLUSHALL saving under save rules, and
//! `-LOADING` while a dataset loads at startup.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

use redis::{Connection, Value};

mod common;

use common::client::{connect, info_field, start_server, text};
use common::{RedisServer, ShoalServer, TempDir};

fn redis_con(r: &RedisServer) -> Connection {
    redis::Client::open(format!("unix://{}", r.socket_path().display()))
        .unwrap()
        .get_connection()
        .unwrap()
}

/// A reply as comparable text: errors keep their full message.
fn reply(con: &mut Connection, args: &[&str]) -> String {
    let mut c = redis::cmd(args[0]);
    for a in &args[1..] {
        c.arg(*a);
    }
    match c.query::<Value>(con) {
        Ok(Value::Okay) => "OK".into(),
        Ok(Value::SimpleString(s)) => s,
        Ok(Value::Int(n)) => format!(":{n}"),
        Ok(Value::BulkString(b)) => String::from_utf8_lossy(&b).into_owned(),
        Ok(Value::Nil) => "(nil)".into(),
        Ok(other) => format!("{other:?}"),
        Err(e) => format!(
            "-{} {}",
            e.code().unwrap_or("?"),
            e.detail().unwrap_or_default()
        ),
    }
}

fn persistence(con: &mut Connection, field: &str) -> String {
    let info = text(con, &["INFO", "persistence"]);
    info_field(&info, field).unwrap_or_else(|| panic!("no {field} in {info}"))
}

fn changes(con: &mut Connection) -> i64 {
    persistence(con, "rdb_changes_since_last_save")
        .parse()
        .unwrap()
}

/// Waits until no background save runs.
fn wait_bgsave(con: &mut Connection) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while persistence(con, "rdb_bgsave_in_progress") != "0" {
        assert!(Instant::now() < deadline, "BGSAVE never ended");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// Writes and what Redis counts for each (checked against redis-server below).
const DIRTY_STEPS: &[&[&str]] = &[
    &["SET", "a", "1"],
    &["SET", "a", "2", "NX"],
    &["SET", "new", "2", "GET"],
    &["MSET", "a", "1", "b", "2", "c", "3", "d", "4"],
    &["DEL", "a", "b", "missing"],
    &["DEL", "missing"],
    &["UNLINK", "c", "d", "missing"],
    &["LPUSH", "list", "1", "2", "3"],
    &["LPOP", "list", "5"],
    &["LPOP", "list"],
    &["INCR", "n"],
    &["INCRBY", "n", "-1"],
    &["SADD", "s", "a", "b"],
    &["SADD", "s", "a"],
    &["SREM", "s", "a", "zz"],
    &["HSET", "h", "a", "1", "b", "2"],
    &["HSET", "h", "a", "1"],
    &["HDEL", "h", "a", "zz"],
    &["ZADD", "z", "1", "a", "2", "b"],
    &["ZADD", "z", "1", "a"],
    &["ZADD", "z", "5", "a"],
    &["ZREM", "z", "a", "zz"],
    &["EXPIRE", "h", "100"],
    &["EXPIRE", "missing", "100"],
    &["PERSIST", "h"],
    &["PERSIST", "h"],
    &["APPEND", "str", "x"],
    &["SETBIT", "bits", "3", "1"],
    &["GETDEL", "str"],
    &["GETDEL", "str"],
    &["SETNX", "k", "1"],
    &["SETNX", "k", "1"],
    &["MSETNX", "m1", "1", "m2", "2"],
    &["MSETNX", "m1", "1", "m3", "2"],
    &["RENAME", "k", "k2"],
    &["RPUSH", "l2", "a", "b", "c", "d", "e"],
    &["LINSERT", "l2", "BEFORE", "nothere", "x"],
    &["LINSERT", "l2", "BEFORE", "a", "x"],
    &["LTRIM", "l2", "0", "2"],
    &["LTRIM", "l2", "0", "10"],
    &["LPOP", "l2", "0"],
    &["ZADD", "z2", "1", "a", "2", "b", "3", "c"],
    &["ZPOPMIN", "z2", "2"],
    &["ZPOPMIN", "z2", "0"],
    &["ZPOPMIN", "nozset"],
    &["SADD", "s2", "a"],
    &["SPOP", "s2", "5"],
    &["SPOP", "s2", "2"],
    &["SET", "g", "v"],
    &["GETEX", "g"],
    &["GETEX", "g", "EX", "100"],
    &["GETEX", "g", "PERSIST"],
    &["GETEX", "g", "PERSIST"],
    &["SETRANGE", "g", "0", ""],
    &["SETRANGE", "g", "0", "abc"],
    &["GET", "k2"],
    &["PING"],
    &["FLUSHDB"],
    &["FLUSHDB"],
];

#[test]
fn dirty_counter_counts_writes_like_redis() {
    let redis = RedisServer::start();
    let mut r = redis_con(&redis);
    let server = start_server(3, &["--save", ""]);
    let mut s = connect(server.addr);
    for con in [&mut r, &mut s] {
        assert_eq!(reply(con, &["SAVE"]), "OK");
        assert_eq!(changes(con), 0);
    }
    for step in DIRTY_STEPS {
        let (redis_reply, shoal_reply) = (reply(&mut r, step), reply(&mut s, step));
        assert_eq!(shoal_reply, redis_reply, "{step:?}");
        assert_eq!(changes(&mut s), changes(&mut r), "after {step:?}");
    }
    assert!(changes(&mut s) > 20);
    // A successful save leaves only what changed after it began.
    assert_eq!(reply(&mut s, &["SAVE"]), "OK");
    assert_eq!(changes(&mut s), 0);
    reply(&mut s, &["SET", "after", "1"]);
    assert_eq!(changes(&mut s), 1);
    server.shutdown();
}

#[test]
fn save_rules_start_a_background_save() {
    let dir = TempDir::new("shoal-save-rules");
    let d = dir.path().to_str().unwrap();
    let server = start_server(2, &["--dir", d, "--save", "1", "2"]);
    let mut con = connect(server.addr);
    reply(&mut con, &["SET", "a", "1"]);
    // One change is below the rule's two: nothing happens.
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(persistence(&mut con, "rdb_saves"), "0");
    assert_eq!(changes(&mut con), 1);
    reply(&mut con, &["SET", "b", "2"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    while persistence(&mut con, "rdb_saves") == "0" {
        assert!(Instant::now() < deadline, "the save rule never fired");
        std::thread::sleep(Duration::from_millis(50));
    }
    wait_bgsave(&mut con);
    assert_eq!(persistence(&mut con, "rdb_last_bgsave_status"), "ok");
    assert_eq!(changes(&mut con), 0);
    assert!(dir.path().join("dump.rdb").exists());
    // `save ""` turns the rules off.
    assert_eq!(reply(&mut con, &["CONFIG", "SET", "save", ""]), "OK");
    reply(&mut con, &["SET", "c", "3"]);
    reply(&mut con, &["SET", "d", "4"]);
    std::thread::sleep(Duration::from_millis(2300));
    assert_eq!(persistence(&mut con, "rdb_saves"), "1");
    assert_eq!(changes(&mut con), 2);
    server.shutdown();
}

/// The steps of a failing background save and the recovery, run on both servers.
fn misconf_steps(con: &mut Connection, good_dir: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut step = |con: &mut Connection, args: &[&str]| out.push(reply(con, args));
    step(con, &["CONFIG", "SET", "save", "3600 1"]);
    // Creating a file under /proc fails, even for root.
    step(con, &["CONFIG", "SET", "dir", "/proc"]);
    step(con, &["BGSAVE"]);
    wait_bgsave(con);
    let mut out2 = vec![persistence(con, "rdb_last_bgsave_status")];
    let mut step = |con: &mut Connection, args: &[&str]| out2.push(reply(con, args));
    step(con, &["SET", "a", "1"]);
    step(con, &["PING"]);
    step(con, &["GET", "a"]);
    step(con, &["DEL", "a"]);
    step(con, &["CONFIG", "SET", "stop-writes-on-bgsave-error", "no"]);
    step(con, &["SET", "a", "1"]);
    step(
        con,
        &["CONFIG", "SET", "stop-writes-on-bgsave-error", "yes"],
    );
    step(con, &["INCR", "a"]);
    step(con, &["CONFIG", "SET", "save", ""]);
    step(con, &["INCR", "a"]);
    step(con, &["CONFIG", "SET", "save", "3600 1"]);
    step(con, &["INCR", "a"]);
    // A failing SAVE replies a bare ERR and changes no status.
    step(con, &["SAVE"]);
    step(con, &["INCR", "a"]);
    step(con, &["CONFIG", "SET", "dir", good_dir]);
    step(con, &["SAVE"]);
    step(con, &["INCR", "a"]);
    step(con, &["PING"]);
    out.extend(out2);
    out.push(persistence(con, "rdb_last_bgsave_status"));
    out
}

#[test]
fn misconf_after_a_failed_bgsave_until_a_save_succeeds() {
    let protected = ["--enable-protected-configs", "yes"];
    let redis_dir = TempDir::new("shoal-misconf-redis");
    let redis = RedisServer::start_with(&protected);
    let expected = misconf_steps(&mut redis_con(&redis), redis_dir.path().to_str().unwrap());
    let dir = TempDir::new("shoal-misconf");
    let server = start_server(2, &protected);
    let mut con = connect(server.addr);
    let got = misconf_steps(&mut con, dir.path().to_str().unwrap());
    assert_eq!(got, expected);
    assert!(
        got.iter()
            .any(|r| r.starts_with("-MISCONF Redis is configured"))
    );
    assert_eq!(got[3], "err");
    assert_eq!(got.last().unwrap(), "ok");
    server.shutdown();
}

#[test]
fn bgsave_schedule_replies_like_redis() {
    let server = start_server(2, &["--save", ""]);
    let mut con = connect(server.addr);
    let mut pipe = redis::pipe();
    for i in 0..20_000 {
        pipe.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
    }
    pipe.query::<()>(&mut con).unwrap();
    assert_eq!(
        reply(&mut con, &["BGSAVE", "SCHEDULE"]),
        "Background saving started"
    );
    wait_bgsave(&mut con);
    // Redis schedules only behind another kind of child (an AOF rewrite); with a
    // BGSAVE running, SCHEDULE gets the running-save error as plain BGSAVE does.
    let failures = redis::pipe()
        .cmd("BGSAVE")
        .cmd("BGSAVE")
        .arg("SCHEDULE")
        .cmd("BGSAVE")
        .query::<Vec<Value>>(&mut con)
        .expect_err("BGSAVE while one runs fails")
        .to_string();
    // Only the second and third failed.
    let busy = "error: ResponseError: Background save already in progress";
    assert!(!failures.contains("Index 0"), "{failures}");
    assert!(
        failures.contains(&format!("(Index 1, {busy})")),
        "{failures}"
    );
    assert!(
        failures.contains(&format!("(Index 2, {busy})")),
        "{failures}"
    );
    wait_bgsave(&mut con);
    assert_eq!(reply(&mut con, &["BGSAVE", "LATER"]), "-ERR syntax error");
    assert_eq!(persistence(&mut con, "rdb_saves"), "2");
    server.shutdown();
}

#[test]
fn rdbchecksum_no_writes_a_zero_checksum_both_servers_load() {
    let dir = TempDir::new("shoal-nochecksum");
    let d = dir.path().to_str().unwrap();
    let server = start_server(2, &["--dir", d, "--rdbchecksum", "no"]);
    let mut con = connect(server.addr);
    for i in 0..100 {
        reply(&mut con, &["SET", &format!("k{i}"), &format!("v{i}")]);
    }
    reply(&mut con, &["RPUSH", "list", "a", "b"]);
    assert_eq!(reply(&mut con, &["SAVE"]), "OK");
    server.shutdown();
    let bytes = std::fs::read(dir.path().join("dump.rdb")).unwrap();
    assert_eq!(&bytes[bytes.len() - 8..], &[0u8; 8]);
    assert_eq!(bytes[bytes.len() - 9], 0xFF, "EOF precedes the checksum");
    // shoal (checksums on) loads it, skipping the check as Redis does.
    let server = start_server(3, &["--dir", d]);
    let mut con = connect(server.addr);
    assert_eq!(reply(&mut con, &["DBSIZE"]), ":101");
    assert_eq!(reply(&mut con, &["GET", "k42"]), "v42");
    server.shutdown();
    let redis = RedisServer::start_with(&["--dir", d, "--dbfilename", "dump.rdb"]);
    let mut r = redis_con(&redis);
    assert_eq!(reply(&mut r, &["DBSIZE"]), ":101");
    assert_eq!(reply(&mut r, &["LLEN", "list"]), ":2");
}

#[test]
fn flushall_saves_when_save_rules_are_set() {
    let dir = TempDir::new("shoal-flushall-save");
    let d = dir.path().to_str().unwrap();
    let server = start_server(2, &["--dir", d, "--save", "3600", "1"]);
    let mut con = connect(server.addr);
    reply(&mut con, &["MSET", "a", "1", "b", "2"]);
    assert_eq!(changes(&mut con), 2);
    assert_eq!(reply(&mut con, &["FLUSHALL"]), "OK");
    // Saved at once (not counted in rdb_saves, as in Redis).
    assert_eq!(changes(&mut con), 0);
    assert_eq!(persistence(&mut con, "rdb_saves"), "0");
    assert!(dir.path().join("dump.rdb").exists());
    // A BGSAVE running meanwhile does not leave its older image behind.
    let mut pipe = redis::pipe();
    for i in 0..20_000 {
        pipe.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
    }
    pipe.cmd("BGSAVE").ignore().cmd("FLUSHALL").ignore();
    pipe.query::<()>(&mut con).unwrap();
    wait_bgsave(&mut con);
    // Without rules, FLUSHALL counts the keys it removed.
    reply(&mut con, &["CONFIG", "SET", "save", ""]);
    reply(&mut con, &["MSET", "a", "1", "b", "2", "c", "3"]);
    reply(&mut con, &["FLUSHALL"]);
    assert_eq!(changes(&mut con), 6);
    server.shutdown();
    let server = start_server(2, &["--dir", d, "--save", ""]);
    assert_eq!(reply(&mut connect(server.addr), &["DBSIZE"]), ":0");
    server.shutdown();
}

/// One raw command over TCP; the whole first reply line.
fn raw_line(stream: &mut std::net::TcpStream, command: &[u8]) -> String {
    stream.write_all(command).unwrap();
    let mut buf = vec![0u8; 64 * 1024];
    let n = stream.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn loading_is_answered_while_the_dataset_loads() {
    let dir = TempDir::new("shoal-loading");
    let d = dir.path().to_str().unwrap();
    let keys = 3000;
    {
        let server = start_server(2, &["--dir", d]);
        let mut con = connect(server.addr);
        let mut pipe = redis::pipe();
        for i in 0..keys {
            pipe.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
        }
        pipe.query::<()>(&mut con).unwrap();
        assert_eq!(reply(&mut con, &["SAVE"]), "OK");
        server.shutdown();
    }
    let file_bytes = std::fs::metadata(dir.path().join("dump.rdb"))
        .unwrap()
        .len();
    // One millisecond per key: the load takes three seconds at least, and the server
    // reports listening before it starts.
    let server = ShoalServer::start(2, &["--dir", d, "--key-load-delay", "1000"]);
    let mut stream = server.connect_tcp();
    assert_eq!(
        raw_line(&mut stream, b"PING\r\n"),
        "-LOADING Redis is loading the dataset in memory\r\n"
    );
    assert_eq!(
        raw_line(&mut stream, b"GET k1\r\n"),
        "-LOADING Redis is loading the dataset in memory\r\n"
    );
    let info = raw_line(&mut stream, b"INFO persistence\r\n");
    assert!(info.contains("\r\nloading:1\r\n"), "{info}");
    assert!(
        info.contains(&format!("\r\nloading_total_bytes:{file_bytes}\r\n")),
        "{info}"
    );
    for field in [
        "loading_start_time:",
        "loading_rdb_used_mem:",
        "loading_loaded_bytes:",
        "loading_loaded_perc:",
        "loading_eta_seconds:",
    ] {
        assert!(info.contains(field), "{field} missing: {info}");
    }
    assert!(raw_line(&mut stream, b"CONFIG GET save\r\n").starts_with("*2\r\n"));
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let line = raw_line(&mut stream, b"PING\r\n");
        if line == "+PONG\r\n" {
            break;
        }
        assert!(line.starts_with("-LOADING"), "{line}");
        assert!(Instant::now() < deadline, "the load never ended");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(raw_line(&mut stream, b"DBSIZE\r\n"), format!(":{keys}\r\n"));
    let info = raw_line(&mut stream, b"INFO persistence\r\n");
    assert!(info.contains("\r\nloading:0\r\n"), "{info}");
    assert!(!info.contains("loading_total_bytes"), "{info}");
    assert!(
        info.contains(&format!("\r\nrdb_last_load_keys_loaded:{keys}\r\n")),
        "{info}"
    );
}

#[test]
fn info_persistence_fields_match_redis() {
    let redis = RedisServer::start();
    let redis_info = text(&mut redis_con(&redis), &["INFO", "persistence"]);
    let server = start_server(1, &[]);
    let shoal_info = text(&mut connect(server.addr), &["INFO", "persistence"]);
    let names = |info: &str| -> Vec<String> {
        info.lines()
            .filter_map(|l| l.split_once(':').map(|(n, _)| n.to_string()))
            .collect()
    };
    assert_eq!(names(&shoal_info), names(&redis_info));
    for (name, value) in [
        ("loading", "0"),
        ("rdb_changes_since_last_save", "0"),
        ("rdb_last_bgsave_status", "ok"),
        ("rdb_last_bgsave_time_sec", "-1"),
        ("aof_enabled", "0"),
    ] {
        assert_eq!(info_field(&shoal_info, name).unwrap(), value, "{name}");
    }
    server.shutdown();
}
