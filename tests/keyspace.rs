//! Keyspace commands end to end, through the `redis` crate against an in-process server:
//! normal paths and Redis's exact errors, SCAN completeness over 1, 2 and 4 shards (also
//! while keys are being added), cross-shard RENAME / COPY keeping the TTL, and
//! atomicity of cross-shard RENAME under concurrent readers.
//!
//! Randomized tests take `SHOAL_SEED` (or pick one) and print it when they fail.

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use redis::{Connection, RedisResult, Value};
use shoal::util::slot::key_shard;

use common::client::TestServer as Server;

use common::client::cmd;

use common::client::q;

fn int(con: &mut Connection, args: &[&str]) -> i64 {
    q(con, args)
}

/// The full error text ("ERR no such key") of a command that must fail.
fn err(con: &mut Connection, args: &[&str]) -> String {
    let r: RedisResult<Value> = cmd(args).query(con);
    match r {
        Ok(v) => panic!("{args:?} succeeded with {v:?}"),
        Err(e) => format!("{} {}", e.code().unwrap_or("?"), e.detail().unwrap_or("")),
    }
}

/// Two keys living on different shards (the same key twice with one shard).
fn keys_on_two_shards(threads: usize, prefix: &str) -> (String, String) {
    let a = format!("{prefix}:a");
    let b = (0..)
        .map(|i| format!("{prefix}:b{i}"))
        .find(|b| {
            threads == 1 || key_shard(b.as_bytes(), threads) != key_shard(a.as_bytes(), threads)
        })
        .unwrap();
    (a, b)
}

use common::client::seed;

use common::client::next_random;

fn fill(con: &mut Connection, prefix: &str, range: std::ops::Range<usize>) {
    let keys: Vec<usize> = range.collect();
    for chunk in keys.chunks(500) {
        let mut c = redis::cmd("MSET");
        for i in chunk {
            c.arg(format!("{prefix}{i}")).arg(i);
        }
        let _: () = c.query(con).unwrap();
    }
}

/// Runs a whole SCAN; returns every key returned (with repeats) and the call count.
fn full_scan(con: &mut Connection, extra: &[&str]) -> (Vec<String>, usize) {
    let mut cursor = "0".to_string();
    let mut all = Vec::new();
    let mut calls = 0;
    loop {
        let mut args = vec!["SCAN", cursor.as_str()];
        args.extend_from_slice(extra);
        let (next, keys): (String, Vec<String>) = q(con, &args);
        all.extend(keys);
        calls += 1;
        cursor = next;
        if cursor == "0" {
            return (all, calls);
        }
        assert!(calls < 1_000_000, "SCAN does not terminate");
    }
}

// ---- plain commands and errors --------------------------------------------------------

#[test]
fn per_key_commands_and_errors() {
    let s = Server::start(3);
    let mut c = s.conn();
    let _: () = q(&mut c, &["MSET", "a", "1", "b", "hello", "c", "10000"]);
    assert_eq!(int(&mut c, &["TOUCH", "a", "b", "c", "nokey"]), 3);
    assert_eq!(q::<String>(&mut c, &["TYPE", "a"]), "string");
    assert_eq!(q::<String>(&mut c, &["TYPE", "nokey"]), "none");

    // TTL rounds to the nearest second, also for EXPIRETIME.
    assert_eq!(int(&mut c, &["PEXPIRE", "a", "1400"]), 1);
    assert_eq!(int(&mut c, &["TTL", "a"]), 1);
    assert_eq!(int(&mut c, &["PEXPIREAT", "a", "1999999999500"]), 1);
    assert_eq!(int(&mut c, &["EXPIRETIME", "a"]), 2_000_000_000);
    assert_eq!(int(&mut c, &["PEXPIRETIME", "a"]), 1_999_999_999_500);
    assert_eq!(int(&mut c, &["PERSIST", "a"]), 1);
    assert_eq!(int(&mut c, &["TTL", "a"]), -1);
    assert_eq!(int(&mut c, &["TTL", "nokey"]), -2);

    // EXPIRE checks its options before the number, and overflow before the key.
    assert_eq!(
        err(&mut c, &["EXPIRE", "a", "abc", "foo"]),
        "ERR Unsupported option foo"
    );
    assert_eq!(
        err(&mut c, &["EXPIRE", "a", "abc", "nx", "xx"]),
        "ERR NX and XX, GT or LT options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut c, &["EXPIRE", "a", "10", "gt", "lt"]),
        "ERR GT and LT options at the same time are not compatible"
    );
    assert_eq!(
        err(&mut c, &["EXPIRE", "a", "abc"]),
        "ERR value is not an integer or out of range"
    );
    for (name, v) in [
        ("expire", "9223372036854775807"),
        ("expire", "-9223372036854775808"),
        ("pexpire", "9223372036854775807"),
        ("expireat", "9223372036854775807"),
    ] {
        assert_eq!(
            err(&mut c, &[name, "nokey", v]),
            format!("ERR invalid expire time in '{name}' command")
        );
    }
    assert_eq!(int(&mut c, &["PEXPIREAT", "a", "9223372036854775807"]), 1);
    assert_eq!(int(&mut c, &["EXPIRE", "a", "100", "GT"]), 0);
    assert_eq!(int(&mut c, &["EXPIRE", "a", "100", "LT"]), 1);
    assert_eq!(int(&mut c, &["EXPIRE", "a", "50", "NX"]), 0);
    assert_eq!(int(&mut c, &["EXPIRE", "a", "-1"]), 1);
    assert_eq!(int(&mut c, &["EXISTS", "a"]), 0);

    // OBJECT.
    let _: () = q(&mut c, &["SET", "a", "1"]);
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", "a"]), "int");
    assert_eq!(q::<String>(&mut c, &["OBJECT", "encoding", "b"]), "embstr");
    assert_eq!(
        q::<Option<String>>(&mut c, &["OBJECT", "ENCODING", "nokey"]),
        None
    );
    assert_eq!(int(&mut c, &["OBJECT", "REFCOUNT", "a"]), 2_147_483_647);
    assert_eq!(int(&mut c, &["OBJECT", "REFCOUNT", "c"]), 1);
    assert_eq!(int(&mut c, &["OBJECT", "REFCOUNT", "b"]), 1);
    assert!(int(&mut c, &["OBJECT", "IDLETIME", "a"]) <= 1);
    assert!(
        err(&mut c, &["OBJECT", "FREQ", "a"]).starts_with(
            "ERR An LFU maxmemory policy is not selected, access frequency not tracked."
        )
    );
    let help: Vec<String> = q(&mut c, &["OBJECT", "HELP"]);
    assert_eq!(help.len(), 15);
    assert_eq!(
        help[0],
        "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    );
    assert_eq!(
        err(&mut c, &["OBJECT", "foo"]),
        "ERR unknown subcommand 'foo'. Try OBJECT HELP."
    );
    assert_eq!(
        err(&mut c, &["OBJECT", "ENCODING", "a", "b"]),
        "ERR wrong number of arguments for 'object|encoding' command"
    );
}

#[test]
fn rename_copy_move_swapdb_errors() {
    let s = Server::start(3);
    let mut c = s.conn();
    let _: () = q(&mut c, &["SET", "{t}a", "1"]);
    assert_eq!(err(&mut c, &["RENAME", "nokey", "x"]), "ERR no such key");
    assert_eq!(
        err(&mut c, &["RENAME", "nokey", "nokey"]),
        "ERR no such key"
    );
    assert_eq!(err(&mut c, &["RENAMENX", "nokey", "x"]), "ERR no such key");
    assert_eq!(q::<String>(&mut c, &["RENAME", "{t}a", "{t}a"]), "OK");
    assert_eq!(int(&mut c, &["RENAMENX", "{t}a", "{t}a"]), 0);
    let _: () = q(&mut c, &["SET", "{t}b", "2"]);
    assert_eq!(int(&mut c, &["RENAMENX", "{t}a", "{t}b"]), 0);
    assert_eq!(q::<String>(&mut c, &["RENAME", "{t}a", "{t}b"]), "OK");
    assert_eq!(q::<String>(&mut c, &["GET", "{t}b"]), "1");
    assert_eq!(int(&mut c, &["EXISTS", "{t}a"]), 0);
    assert_eq!(int(&mut c, &["RENAMENX", "{t}b", "{t}a"]), 1);

    let same = "ERR source and destination objects are the same";
    assert_eq!(err(&mut c, &["COPY", "{t}a", "{t}a"]), same);
    assert_eq!(err(&mut c, &["COPY", "{t}a", "{t}a", "DB", "0"]), same);
    assert_eq!(
        err(&mut c, &["COPY", "{t}a", "x", "DB"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["COPY", "{t}a", "x", "foo"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["COPY", "{t}a", "x", "DB", "abc"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        err(&mut c, &["COPY", "{t}a", "x", "DB", "16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err(&mut c, &["COPY", "{t}a", "x", "DB", "2147483648"]),
        "ERR value is out of range, value must between -2147483648 and 2147483647"
    );
    assert_eq!(int(&mut c, &["COPY", "nokey", "x"]), 0);
    let _: () = q(&mut c, &["SET", "{t}b", "2"]);
    assert_eq!(int(&mut c, &["COPY", "{t}a", "{t}b"]), 0);
    assert_eq!(int(&mut c, &["COPY", "{t}a", "{t}b", "REPLACE"]), 1);
    assert_eq!(q::<String>(&mut c, &["GET", "{t}b"]), "1");
    assert_eq!(int(&mut c, &["COPY", "{t}a", "{t}a", "DB", "1"]), 1);

    assert_eq!(err(&mut c, &["MOVE", "{t}a", "0"]), same);
    assert_eq!(err(&mut c, &["MOVE", "nokey", "0"]), same);
    assert_eq!(
        err(&mut c, &["MOVE", "{t}a", "16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err(&mut c, &["MOVE", "{t}a", "x"]),
        "ERR value is not an integer or out of range"
    );
    assert_eq!(
        int(&mut c, &["MOVE", "{t}a", "1"]),
        0,
        "db 1 has it already"
    );
    assert_eq!(int(&mut c, &["MOVE", "nokey", "1"]), 0);
    assert_eq!(int(&mut c, &["MOVE", "{t}b", "2"]), 1);
    assert_eq!(int(&mut c, &["EXISTS", "{t}b"]), 0);

    assert_eq!(
        err(&mut c, &["SWAPDB", "a", "1"]),
        "ERR invalid first DB index"
    );
    assert_eq!(
        err(&mut c, &["SWAPDB", "0", "a"]),
        "ERR invalid second DB index"
    );
    assert_eq!(
        err(&mut c, &["SWAPDB", "0", "16"]),
        "ERR DB index is out of range"
    );
    assert_eq!(
        err(&mut c, &["SWAPDB", "-1", "0"]),
        "ERR DB index is out of range"
    );
    assert_eq!(q::<String>(&mut c, &["SWAPDB", "0", "0"]), "OK");
    assert_eq!(q::<String>(&mut c, &["SWAPDB", "0", "2"]), "OK");
    assert_eq!(
        q::<String>(&mut c, &["GET", "{t}b"]),
        "1",
        "db 2 is now db 0"
    );
    assert_eq!(int(&mut c, &["EXISTS", "{t}a"]), 0);

    // Cursors, counts and random keys never panic.
    assert_eq!(err(&mut c, &["SCAN", "abc"]), "ERR invalid cursor");
    assert_eq!(
        err(&mut c, &["SCAN", "18446744073709551616"]),
        "ERR invalid cursor"
    );
    assert_eq!(
        err(&mut c, &["SCAN", "0", "COUNT", "0"]),
        "ERR syntax error"
    );
    assert_eq!(
        err(&mut c, &["SCAN", "0", "COUNT", "x"]),
        "ERR value is not an integer or out of range"
    );
    let (next, _): (String, Vec<String>) = q(&mut c, &["SCAN", "-1"]);
    assert_eq!(next, "0");
    let (next, keys): (String, Vec<String>) =
        q(&mut c, &["SCAN", "0", "COUNT", "9223372036854775807"]);
    assert_eq!((next.as_str(), keys), ("0", vec!["{t}b".to_string()]));
    assert_eq!(
        q::<Option<String>>(&mut c, &["RANDOMKEY"]),
        Some("{t}b".into())
    );
    let _: () = q(&mut c, &["FLUSHALL"]);
    assert_eq!(q::<Option<String>>(&mut c, &["RANDOMKEY"]), None);
}

/// A raw RESP connection, for byte-exact checks.
struct Raw(std::net::TcpStream);

impl Raw {
    fn send(&mut self, command: &str) {
        let parts: Vec<&str> = command.split(' ').collect();
        let mut out = format!("*{}\r\n", parts.len());
        for p in &parts {
            out.push_str(&format!("${}\r\n{p}\r\n", p.len()));
        }
        self.0.write_all(out.as_bytes()).unwrap();
    }

    /// Reads until the input ends with `suffix`; returns everything read.
    fn read_until(&mut self, suffix: &[u8]) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        while !got.ends_with(suffix) {
            let n = self.0.read(&mut buf).unwrap();
            assert!(n > 0, "connection closed");
            got.extend_from_slice(&buf[..n]);
        }
        got
    }

    fn exchange(&mut self, command: &str, expected: &str) {
        self.send(command);
        let mut got = vec![0u8; expected.len()];
        self.0.read_exact(&mut got).unwrap();
        assert_eq!(String::from_utf8_lossy(&got), expected, "{command}");
    }
}

/// RESP3 nulls and the SCAN reply shape, byte for byte.
#[test]
fn resp3_replies() {
    let s = Server::start(2);
    let sock = std::net::TcpStream::connect(s.addr()).unwrap();
    sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut raw = Raw(sock);
    raw.exchange("RANDOMKEY", "$-1\r\n");
    raw.send("HELLO 3");
    raw.send("PING");
    raw.read_until(b"+PONG\r\n");
    raw.exchange("RANDOMKEY", "_\r\n");
    raw.exchange("OBJECT ENCODING nokey", "_\r\n");
    raw.exchange("OBJECT REFCOUNT nokey", "_\r\n");
    raw.exchange("SET k v", "+OK\r\n");
    raw.exchange("SCAN 0", "*2\r\n$1\r\n0\r\n*1\r\n$1\r\nk\r\n");
    raw.exchange("KEYS *", "*1\r\n$1\r\nk\r\n");
    raw.exchange("RANDOMKEY", "$1\r\nk\r\n");
    raw.exchange("OBJECT ENCODING k", "$6\r\nembstr\r\n");
    raw.exchange(
        "OBJECT HELP",
        "*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n",
    );
}

// ---- SCAN -------------------------------------------------------------------------------

fn scan_returns_every_key(threads: usize) {
    let s = Server::start(threads);
    let mut c = s.conn();
    const KEYS: usize = 10_000;
    fill(&mut c, "k:", 0..KEYS);
    for count in ["1", "10", "1000", "100000"] {
        let (all, calls) = full_scan(&mut c, &["COUNT", count]);
        let unique: HashSet<&String> = all.iter().collect();
        assert_eq!(unique.len(), KEYS, "threads {threads} count {count}");
        assert!(all.len() >= KEYS);
        assert!(unique.iter().all(|k| k.starts_with("k:")));
        if count == "100000" {
            assert_eq!(calls, 1, "one call visits every shard when COUNT allows");
        }
    }
    let (typed, _) = full_scan(&mut c, &["TYPE", "string", "COUNT", "500"]);
    assert_eq!(typed.iter().collect::<HashSet<_>>().len(), KEYS);
    let (none, _) = full_scan(&mut c, &["TYPE", "list", "COUNT", "500"]);
    assert!(none.is_empty());
    let (star, _) = full_scan(&mut c, &["MATCH", "*", "COUNT", "500"]);
    assert_eq!(star.iter().collect::<HashSet<_>>().len(), KEYS);
    let keys: Vec<String> = q(&mut c, &["KEYS", "*"]);
    assert_eq!(keys.len(), KEYS);
    // Expired keys are neither returned nor left behind by the walk.
    assert_eq!(int(&mut c, &["PEXPIRE", "k:7", "1"]), 1);
    std::thread::sleep(Duration::from_millis(5));
    let (all, _) = full_scan(&mut c, &["COUNT", "100"]);
    assert!(!all.contains(&"k:7".to_string()));
    let keys: Vec<String> = q(&mut c, &["KEYS", "*"]);
    assert_eq!(keys.len(), KEYS - 1);
    let random: String = q(&mut c, &["RANDOMKEY"]);
    assert!(random.starts_with("k:") && random != "k:7");
}

#[test]
fn scan_returns_every_key_one_shard() {
    scan_returns_every_key(1);
}

#[test]
fn scan_returns_every_key_two_shards() {
    scan_returns_every_key(2);
}

#[test]
fn scan_returns_every_key_four_shards() {
    scan_returns_every_key(4);
}

/// Keys present for the whole scan are all returned while another connection keeps
/// adding keys (which splits table segments under the cursor).
#[test]
fn scan_while_keys_are_added() {
    for threads in [1, 4] {
        let s = Server::start(threads);
        let mut c = s.conn();
        const KEYS: usize = 10_000;
        fill(&mut c, "old:", 0..KEYS);
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let (stop, mut w) = (stop.clone(), s.conn());
            std::thread::spawn(move || {
                let mut next = 0;
                while !stop.load(Ordering::Relaxed) && next < 200_000 {
                    fill(&mut w, "new:", next..next + 200);
                    next += 200;
                }
                next
            })
        };
        let (all, _) = full_scan(&mut c, &["COUNT", "20"]);
        stop.store(true, Ordering::Relaxed);
        let added = writer.join().unwrap();
        eprintln!("threads {threads}: {added} keys added during the scan");
        let seen: HashSet<&String> = all.iter().collect();
        for i in 0..KEYS {
            assert!(
                seen.contains(&format!("old:{i}")),
                "threads {threads}: old:{i} missed ({added} keys added during the scan)"
            );
        }
    }
}

// ---- cross-shard RENAME / COPY -------------------------------------------------------

fn cross_shard_moves_keep_ttl(threads: usize) {
    let s = Server::start(threads);
    let mut c = s.conn();
    let (a, b) = keys_on_two_shards(threads, "x");
    let _: () = q(&mut c, &["SET", &a, "v1", "PX", "100000"]);
    assert_eq!(q::<String>(&mut c, &["RENAME", &a, &b]), "OK");
    assert_eq!(int(&mut c, &["EXISTS", &a, &b]), 1);
    assert_eq!(q::<String>(&mut c, &["GET", &b]), "v1");
    let pttl = int(&mut c, &["PTTL", &b]);
    assert!(
        pttl > 90_000 && pttl <= 100_000,
        "threads {threads}: {pttl}"
    );
    assert_eq!(err(&mut c, &["RENAME", &a, &b]), "ERR no such key");
    assert_eq!(err(&mut c, &["RENAMENX", &a, &b]), "ERR no such key");

    // RENAME replaces the destination, TTL and all.
    let _: () = q(&mut c, &["SET", &a, "v2"]);
    assert_eq!(q::<String>(&mut c, &["RENAME", &b, &a]), "OK");
    assert!(int(&mut c, &["PTTL", &a]) > 90_000);
    assert_eq!(q::<String>(&mut c, &["GET", &a]), "v1");

    // RENAMENX both ways.
    let _: () = q(&mut c, &["SET", &b, "other"]);
    assert_eq!(int(&mut c, &["RENAMENX", &a, &b]), 0);
    assert_eq!(q::<String>(&mut c, &["GET", &a]), "v1");
    let _: () = q(&mut c, &["DEL", &b]);
    assert_eq!(int(&mut c, &["RENAMENX", &a, &b]), 1);
    assert_eq!(int(&mut c, &["EXISTS", &a]), 0);
    assert!(int(&mut c, &["PTTL", &b]) > 90_000);

    // COPY keeps the TTL and the encoding; the source stays.
    assert_eq!(int(&mut c, &["COPY", &b, &a]), 1);
    assert_eq!(q::<String>(&mut c, &["GET", &a]), "v1");
    assert!(int(&mut c, &["PTTL", &a]) > 90_000);
    assert_eq!(int(&mut c, &["COPY", &b, &a]), 0);
    let _: () = q(&mut c, &["SET", &b, "12345"]);
    assert_eq!(int(&mut c, &["COPY", &b, &a, "REPLACE"]), 1);
    assert_eq!(q::<String>(&mut c, &["OBJECT", "ENCODING", &a]), "int");
    assert_eq!(int(&mut c, &["TTL", &a]), -1);
    assert_eq!(int(&mut c, &["COPY", &b, &a, "DB", "3"]), 1);
    let _: () = q(&mut c, &["SELECT", "3"]);
    assert_eq!(q::<String>(&mut c, &["GET", &a]), "12345");
    assert_eq!(int(&mut c, &["MOVE", &a, "0"]), 0, "db 0 has it");
    let _: () = q(&mut c, &["DEL", &a]);
    let _: () = q(&mut c, &["SELECT", "0"]);
    let _: () = q(&mut c, &["EXPIRE", &a, "500"]);
    assert_eq!(int(&mut c, &["MOVE", &a, "3"]), 1);
    let _: () = q(&mut c, &["SELECT", "3"]);
    assert!(int(&mut c, &["TTL", &a]) > 490);

    // SWAPDB swaps on every shard.
    fill(&mut c, "db3:", 0..200);
    assert_eq!(q::<String>(&mut c, &["SWAPDB", "3", "5"]), "OK");
    assert_eq!(int(&mut c, &["DBSIZE"]), 0);
    let _: () = q(&mut c, &["SELECT", "5"]);
    assert_eq!(int(&mut c, &["DBSIZE"]), 201);
}

#[test]
fn cross_shard_moves_keep_ttl_one_shard() {
    cross_shard_moves_keep_ttl(1);
}

#[test]
fn cross_shard_moves_keep_ttl_two_shards() {
    cross_shard_moves_keep_ttl(2);
}

#[test]
fn cross_shard_moves_keep_ttl_four_shards() {
    cross_shard_moves_keep_ttl(4);
}

// ---- atomicity under concurrency ------------------------------------------------------

/// Writers RENAME a value back and forth between two keys on different shards; readers
/// must always see exactly one of them (EXISTS, MGET, KEYS and a same-value COPY check).
#[test]
fn concurrent_renames_are_atomic() {
    let seed = seed();
    for threads in [1, 2, 4] {
        let result = std::panic::catch_unwind(|| renames_race(seed, threads));
        if let Err(e) = result {
            eprintln!(
                "concurrent_renames_are_atomic ({threads} threads) failed with SHOAL_SEED={seed}"
            );
            std::panic::resume_unwind(e);
        }
    }
}

fn renames_race(seed: u64, threads: usize) {
    let s = Server::start(threads);
    let (a, b) = keys_on_two_shards(threads, "race");
    let mut c = s.conn();
    let _: () = q(&mut c, &["SET", &a, "token"]);
    let stop = Arc::new(AtomicBool::new(false));
    let run_for = Duration::from_millis(1000);
    let mut workers = Vec::new();
    for w in 0..3u64 {
        let (stop, mut con, a, b) = (stop.clone(), s.conn(), a.clone(), b.clone());
        let mut state = seed.wrapping_add(w.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1;
        workers.push(std::thread::spawn(move || {
            let mut renamed = 0;
            while !stop.load(Ordering::Relaxed) {
                let (from, to) = if next_random(&mut state).is_multiple_of(2) {
                    (&a, &b)
                } else {
                    (&b, &a)
                };
                let op = if next_random(&mut state).is_multiple_of(4) {
                    "RENAMENX"
                } else {
                    "RENAME"
                };
                let r: RedisResult<Value> = cmd(&[op, from, to]).query(&mut con);
                match r {
                    Ok(_) => renamed += 1,
                    Err(e) => assert_eq!(e.detail(), Some("no such key"), "{e}"),
                }
            }
            renamed
        }));
    }
    let mut readers = Vec::new();
    for kind in 0..3 {
        let (stop, mut con, a, b) = (stop.clone(), s.conn(), a.clone(), b.clone());
        readers.push(std::thread::spawn(move || {
            let mut checks = 0;
            while !stop.load(Ordering::Relaxed) {
                match kind {
                    0 => assert_eq!(int(&mut con, &["EXISTS", &a, &b]), 1),
                    1 => {
                        let v: Vec<Option<String>> = q(&mut con, &["MGET", &a, &b]);
                        assert_eq!(v.iter().flatten().count(), 1, "{v:?}");
                    }
                    _ => {
                        let keys: Vec<String> = q(&mut con, &["KEYS", "*"]);
                        assert_eq!(keys.len(), 1, "{keys:?}");
                    }
                }
                checks += 1;
            }
            checks
        }));
    }
    let started = Instant::now();
    while started.elapsed() < run_for {
        std::thread::sleep(Duration::from_millis(20));
        if readers
            .iter()
            .chain(workers.iter())
            .any(|t| t.is_finished())
        {
            break;
        }
    }
    stop.store(true, Ordering::Relaxed);
    let renamed: u64 = workers.into_iter().map(|t| t.join().unwrap()).sum();
    let checks: u64 = readers.into_iter().map(|t| t.join().unwrap()).sum();
    assert!(
        renamed > 0 && checks > 0,
        "renamed {renamed} checks {checks}"
    );
    eprintln!("{renamed} renames, {checks} checks");
    assert_eq!(int(&mut c, &["EXISTS", &a, &b]), 1);
    assert_eq!(int(&mut c, &["DBSIZE"]), 1);
}

fn info_number(c: &mut Connection, section: &str, name: &str) -> u64 {
    let info: String = q(c, &["INFO", section]);
    common::client::info_field(&info, name)
        .unwrap_or_else(|| panic!("INFO {section} has no {name}"))
        .parse()
        .unwrap()
}

/// FLUSHDB / FLUSHALL ASYNC (or no argument with `lazyfree-lazy-user-flush yes`) empty
/// the keyspace at once and free the keys on the lazyfree thread, which INFO counts;
/// SYNC frees them before the reply, whatever the setting.
#[test]
fn flush_async_frees_the_keys_in_the_background() {
    let server = Server::start(3);
    let mut c = server.conn();
    let fill = |c: &mut Connection, db: &str, n: usize| {
        let mut pipe = redis::pipe();
        pipe.cmd("SELECT").arg(db).ignore();
        for i in 0..n {
            pipe.cmd("SET").arg(format!("k{i}")).arg(i).ignore();
        }
        pipe.cmd("SELECT").arg(0).ignore();
        pipe.query::<()>(c).unwrap();
    };
    let freed_at_start = info_number(&mut c, "memory", "lazyfreed_objects");
    fill(&mut c, "0", 4000);
    fill(&mut c, "1", 3000);
    let _: () = q(&mut c, &["FLUSHDB", "ASYNC"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    let wait_freed = |c: &mut Connection, want: u64| {
        let deadline = Instant::now() + Duration::from_secs(10);
        while info_number(c, "memory", "lazyfreed_objects") < freed_at_start + want {
            assert!(Instant::now() < deadline, "never freed {want}");
            std::thread::sleep(Duration::from_millis(5));
        }
    };
    wait_freed(&mut c, 4000);
    let _: () = q(
        &mut c,
        &["CONFIG", "SET", "lazyfree-lazy-user-flush", "yes"],
    );
    fill(&mut c, "0", 500);
    let _: () = q(&mut c, &["FLUSHDB", "SYNC"]);
    let _: () = q(&mut c, &["FLUSHALL"]);
    let _: () = q(&mut c, &["SELECT", "1"]);
    assert_eq!(q::<i64>(&mut c, &["DBSIZE"]), 0);
    wait_freed(&mut c, 7000);
    assert_eq!(
        info_number(&mut c, "memory", "lazyfreed_objects"),
        freed_at_start + 7000,
        "SYNC freed its 500 keys itself"
    );
    assert_eq!(info_number(&mut c, "memory", "lazyfree_pending_objects"), 0);
    assert_eq!(err(&mut c, &["FLUSHALL", "LATER"]), "ERR syntax error");
}
