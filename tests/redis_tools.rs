//! Redis's own tools, run unchanged against shoal (an in-process server on port 0 with
//! three threads), as the server-core issue's "done when" lists them: redis-cli piped
//! and interactive (through a pseudo-terminal from `script`), `--pipe`, `--scan` and
//! `--bigkeys` (whose summary must equal redis-server's for the same keys), and
//! redis-benchmark over ping_inline, set, get, incr, lpush and mset. A missing tool
//! fails the test: `scripts/test` installs them. Every child runs under `timeout`, so
//! a server that stops answering fails a test instead of hanging it.

use std::io::Write;
use std::process::{Command, Output, Stdio};

use shoal::server::ServerHandle;

mod common;

use common::RedisServer;
use common::client::{connect, query, start_server};

/// Longest any one tool may run before it is killed (a hang fails the test).
const TOOL_SECS_MAX: &str = "60";

fn start() -> ServerHandle {
    start_server(3, &[])
}

/// Runs `program args` under `timeout`, feeding it `input`; panics if it cannot start.
fn run(program: &str, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new("timeout")
        .arg(TOOL_SECS_MAX)
        .arg(program)
        .args(args)
        .env("TERM", "dumb")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} (scripts/test installs it): {e}"));
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?} failed ({}): {}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).replace('\r', "")
}

/// The same small dataset of every type, through the redis crate or a raw socket.
const DATASET: &[&[&str]] = &[
    &[
        "MSET", "a", "1", "bb", "22", "user:1", "x", "user:2", "y", "user:3", "z",
    ],
    &["SET", "big", "0123456789012345678901234567890123456789"],
    &["RPUSH", "list", "1", "2", "3"],
    &["HSET", "hash", "f", "v", "g", "w"],
    &["SADD", "set", "m"],
    &["ZADD", "zset", "1", "a", "2", "b"],
];

/// COMMAND DOCS as redis-cli prints it, commands piped in, and HELP from the docs.
#[test]
fn redis_cli_talks_to_shoal() {
    let server = start();
    let port = server.addr.port().to_string();
    let docs = std::process::Command::new("redis-cli")
        .args(["-p", &port, "COMMAND", "DOCS", "get"])
        .output()
        .expect("redis-cli must be installed (scripts/test installs it)");
    assert!(docs.status.success());
    let out = String::from_utf8(docs.stdout).unwrap();
    assert!(out.starts_with("get\nsummary\n"), "{out}");
    assert!(out.contains("arguments\n"), "{out}");

    // Piped input: redis-cli loads COMMAND DOCS first, then runs the commands.
    let mut child = std::process::Command::new("redis-cli")
        .args(["-p", &port])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(b"set a 1\nget a\n")
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "OK\n1\n");
    assert_eq!(String::from_utf8(out.stderr).unwrap(), "");

    let help = std::process::Command::new("redis-cli")
        .args(["-p", &port, "HELP", "SET"])
        .output()
        .unwrap();
    let help = String::from_utf8(help.stdout).unwrap();
    assert!(help.contains("key value [NX|XX] [GET]"), "{help}");
    server.shutdown();
}

#[test]
fn redis_cli_interactive_through_a_terminal() {
    let server = start();
    let port = server.addr.port().to_string();
    // `script` gives redis-cli a terminal, so it runs its interactive loop (prompt,
    // quoted strings, COMMAND DOCS loaded for hints); TERM=dumb keeps the line editor
    // from querying the cursor position.
    let command = format!("redis-cli -p {port}");
    let out = run(
        "script",
        &["-qec", &command, "/dev/null"],
        b"set k v\nget k\nhset h f 1\nhgetall h\nincr k\nquit\n",
    );
    let text = stdout(&out);
    let prompt = format!("127.0.0.1:{port}> ");
    for want in [
        format!("{prompt}OK\n"),
        format!("{prompt}\"v\"\n"),
        format!("{prompt}(integer) 1\n"),
        format!("{prompt}1) \"f\"\n2) \"1\"\n"),
        format!("{prompt}(error) ERR value is not an integer or out of range\n"),
    ] {
        assert!(text.contains(&want), "missing {want:?} in:\n{text}");
    }
    server.shutdown();
}

#[test]
fn redis_cli_pipe_mass_insert() {
    let server = start();
    let port = server.addr.port().to_string();
    const KEYS: usize = 5000;
    let mut protocol = Vec::new();
    for i in 0..KEYS {
        let (k, v) = (format!("key:{i}"), format!("value:{i}"));
        write!(
            protocol,
            "*3\r\n$3\r\nSET\r\n${}\r\n{k}\r\n${}\r\n{v}\r\n",
            k.len(),
            v.len()
        )
        .unwrap();
    }
    let out = run("redis-cli", &["-p", &port, "--pipe"], &protocol);
    let text = stdout(&out);
    assert!(
        text.contains(&format!("errors: 0, replies: {KEYS}")),
        "{text}"
    );
    let mut con = connect(server.addr);
    assert_eq!(
        query(&mut con, &["DBSIZE"]).unwrap(),
        redis::Value::Int(KEYS as i64)
    );
    assert_eq!(
        query(&mut con, &["GET", "key:4999"]).unwrap(),
        redis::Value::BulkString(b"value:4999".to_vec())
    );
    server.shutdown();
}

#[test]
fn redis_cli_scan_lists_every_matching_key_once() {
    let server = start();
    let port = server.addr.port().to_string();
    let mut con = connect(server.addr);
    for i in 0..2000 {
        query(&mut con, &["SET", &format!("user:{i}"), "1"]).unwrap();
        query(&mut con, &["SET", &format!("other:{i}"), "1"]).unwrap();
    }
    let out = run(
        "redis-cli",
        &["-p", &port, "--scan", "--pattern", "user:*"],
        b"",
    );
    let mut keys: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    keys.sort();
    let mut want: Vec<String> = (0..2000).map(|i| format!("user:{i}")).collect();
    want.sort();
    assert_eq!(keys, want);
    server.shutdown();
}

/// The lines of `--bigkeys` after its summary marker, sorted (redis-cli lists the types
/// in the order of its own dictionary).
fn bigkeys_summary(text: &str) -> Vec<String> {
    let (_, summary) = text
        .split_once("-------- summary -------")
        .unwrap_or_else(|| panic!("no summary in:\n{text}"));
    let mut lines: Vec<String> = summary
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect();
    lines.sort();
    lines
}

#[test]
fn redis_cli_bigkeys_summary_matches_redis() {
    let server = start();
    let port = server.addr.port().to_string();
    let mut con = connect(server.addr);
    let redis = RedisServer::start();
    let socket = redis.socket_path().to_str().unwrap().to_owned();
    for cmd in DATASET {
        query(&mut con, cmd).unwrap();
        run(
            "redis-cli",
            &[&["-s", socket.as_str()][..], cmd].concat(),
            b"",
        );
    }
    let shoal = bigkeys_summary(&stdout(&run("redis-cli", &["-p", &port, "--bigkeys"], b"")));
    let reference = bigkeys_summary(&stdout(&run(
        "redis-cli",
        &["-s", &socket, "--bigkeys"],
        b"",
    )));
    assert_eq!(shoal, reference);
    assert!(
        shoal.contains(&"Biggest string found '\"big\"' has 40 bytes".to_owned()),
        "{shoal:?}"
    );
    server.shutdown();
}

#[test]
fn redis_benchmark_runs_every_core_test() {
    let server = start();
    let port = server.addr.port().to_string();
    let out = run(
        "redis-benchmark",
        &[
            "-p",
            &port,
            "-t",
            "ping_inline,set,get,incr,lpush,mset",
            "-n",
            "2000",
            "-c",
            "10",
            "-q",
        ],
        b"",
    );
    // Progress updates end in '\r', results in '\n'.
    let text = String::from_utf8_lossy(&out.stdout);
    for test in [
        "PING_INLINE",
        "SET",
        "GET",
        "INCR",
        "LPUSH",
        "MSET (10 keys)",
    ] {
        let line = text
            .split(['\r', '\n'])
            .map(str::trim)
            .find(|l| l.starts_with(&format!("{test}: ")) && !l.contains("rps="));
        assert!(
            line.is_some_and(|l| l.contains("requests per second")),
            "no result for {test} in:\n{text}"
        );
    }
    server.shutdown();
}
