//! In-process servers and `redis`-crate helpers for the integration tests: start a
//! shoal server on port 0 with a given thread count and directives, connect in RESP2 or
//! RESP3, and run a command expecting text, an integer, an error or a list.
#![allow(dead_code)]

use std::net::SocketAddr;

use redis::{Connection, Value};
use shoal::server::ServerHandle;

/// A server on 127.0.0.1 port 0 with `threads` shards and extra `--directive value`s.
/// Its `dir` is a fresh empty directory (unless `extra` sets one), so no dump.rdb lying
/// around is loaded and SAVE writes nowhere shared.
pub fn start_server(threads: usize, extra: &[&str]) -> ServerHandle {
    let threads = threads.to_string();
    let dir = fresh_dir();
    let mut args: Vec<String> = ["--port", "0", "--threads", &threads, "--dir", &dir]
        .iter()
        .map(|s| s.to_string())
        .collect();
    args.extend(extra.iter().map(|s| s.to_string()));
    let config = shoal::config::Config::from_args(&args).unwrap().0;
    shoal::server::start(config).unwrap()
}

/// A RESP2 connection whose reads give up after 20 s (a hung server fails the test).
pub fn connect(addr: SocketAddr) -> Connection {
    let con = redis::Client::open(format!("redis://{addr}/"))
        .unwrap()
        .get_connection()
        .unwrap();
    con.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    con
}

pub fn connect_resp3(addr: SocketAddr) -> Connection {
    redis::Client::open(format!("redis://{addr}/?protocol=resp3"))
        .unwrap()
        .get_connection()
        .unwrap()
}

pub fn query(con: &mut Connection, args: &[&str]) -> redis::RedisResult<Value> {
    let mut cmd = redis::cmd(args[0]);
    for a in &args[1..] {
        cmd.arg(*a);
    }
    cmd.query(con)
}

pub fn text(con: &mut Connection, args: &[&str]) -> String {
    match query(con, args).unwrap() {
        Value::BulkString(b) => String::from_utf8(b).unwrap(),
        Value::VerbatimString { text, .. } => text,
        Value::SimpleString(s) => s,
        Value::Okay => "OK".into(),
        other => panic!("{args:?}: not text: {other:?}"),
    }
}

pub fn int(con: &mut Connection, args: &[&str]) -> i64 {
    match query(con, args).unwrap() {
        Value::Int(n) => n,
        other => panic!("{args:?}: not an integer: {other:?}"),
    }
}

pub fn error(con: &mut Connection, args: &[&str]) -> String {
    let e = query(con, args).expect_err("expected an error");
    // The redis crate splits "ERR text" into a code and a detail; rebuild the line.
    match (e.code(), e.detail()) {
        (Some(code), Some(detail)) => format!("{code} {detail}"),
        (Some(code), None) => code.to_string(),
        _ => e.to_string(),
    }
}

pub fn strings(v: &Value) -> Vec<String> {
    match v {
        Value::Array(items) | Value::Set(items) => items
            .iter()
            .map(|i| match i {
                Value::BulkString(b) => String::from_utf8_lossy(b).into_owned(),
                Value::SimpleString(s) => s.clone(),
                Value::Okay => "OK".into(),
                Value::Int(n) => n.to_string(),
                other => panic!("not a string: {other:?}"),
            })
            .collect(),
        other => panic!("not a list: {other:?}"),
    }
}

/// A field of an INFO reply.
pub fn info_field(info: &str, name: &str) -> Option<String> {
    info.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .map(str::to_string)
}

/// An in-process server stopped when dropped, for tests that open many connections.
pub struct TestServer {
    handle: Option<ServerHandle>,
    url: String,
}

impl TestServer {
    /// A server on port 0 with `threads` shards.
    pub fn start(threads: usize) -> TestServer {
        let handle = start_server(threads, &[]);
        let url = format!("redis://{}/", handle.addr);
        TestServer {
            handle: Some(handle),
            url,
        }
    }

    /// A connection whose reads give up after 10 s (a hung server fails the test).
    pub fn conn(&self) -> Connection {
        let con = redis::Client::open(self.url.as_str())
            .unwrap()
            .get_connection()
            .unwrap();
        con.set_read_timeout(Some(std::time::Duration::from_secs(10)))
            .unwrap();
        con
    }

    pub fn addr(&self) -> SocketAddr {
        self.handle.as_ref().expect("running").addr
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(h) = self.handle.take() {
            h.shutdown();
        }
    }
}

/// A `redis::Cmd` from string arguments.
pub fn cmd<S: AsRef<str>>(args: &[S]) -> redis::Cmd {
    let mut c = redis::cmd(args[0].as_ref());
    for a in &args[1..] {
        c.arg(a.as_ref());
    }
    c
}

/// Runs a command and converts its reply, panicking with the command on an error.
pub fn q<T: redis::FromRedisValue>(con: &mut Connection, args: &[&str]) -> T {
    cmd(args)
        .query(con)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

/// A seed for a randomized test: `SHOAL_SEED`, or the clock (tests print it on failure).
pub fn seed() -> u64 {
    std::env::var("SHOAL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(1)
                | 1
        })
}

/// xorshift64 over `state` (which must not be 0): shoal's own test generator.
pub fn next_random(state: &mut u64) -> u64 {
    let mut rng = shoal::util::test_rng::Rng(*state);
    let value = rng.next();
    *state = rng.0;
    value
}

/// A new empty directory under the system temp dir, unique to this process and call.
fn fresh_dir() -> String {
    static NEXT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!("shoal-test-{}-{n}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("creating a test directory");
    dir.display().to_string()
}

/// `n` keys named `{prefix}{i}`, each on a different one of `shards` shards (n <= shards).
pub fn keys_on_shards(prefix: &str, shards: usize, n: usize) -> Vec<String> {
    assert!(n <= shards, "only {shards} shards");
    let mut found: Vec<String> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for i in 0.. {
        let k = format!("{prefix}{i}");
        if seen.insert(shoal::util::slot::key_shard(k.as_bytes(), shards)) {
            found.push(k);
        }
        if found.len() == n {
            break;
        }
    }
    found
}
