//! Random arguments to every command, against redis-server and shoal alike: each command
//! shoal implements gets rounds of zero to five arguments drawn from a pool of keys,
//! numbers, floats, ranges and the option words of many commands, and both servers must
//! give the same reply: the same error text, in particular, for every wrong count,
//! unknown option, non-number and wrong type. `differential_random.rs` sends
//! well-formed commands in meaningful sequences; this one finds the order in which
//! each command checks its arguments. COMMAND GETKEYS and GETKEYSANDFLAGS get the same
//! treatment for every command. Aggregates are compared with their elements sorted
//! (the pool hits hash-ordered replies often); RESP2 and RESP3 both.
//!
//! Left out: commands whose replies are random or timed (SPOP, RANDOMKEY, TTL, ...),
//! those that act on the connection or the server (SELECT, CONFIG, SHUTDOWN, ...),
//! blocking ones that could wait for ever, and DUMP and friends, whose bytes differ.
//! Seeded: `SHOAL_SEED=N` runs another seed; the seed is printed on failure.

mod common;

use common::{
    Conn, RedisServer, ShoalServer, TestServer, escape, sorted_aggregate, split_aggregate,
};
use shoal::util::test_rng::{Rng, seed};

/// Rounds per command and protocol.
const ROUNDS_PER_COMMAND: usize = 40;
/// Most arguments after the command name.
const ARGS_COUNT_MAX: u64 = 5;
/// Mismatches listed in a failure message.
const MISMATCHES_SHOWN_MAX: usize = 30;
const SEED_DEFAULT: u64 = 7;

const SKIPPED: &[&str] = &[
    // The connection, the server, persistence and introspection.
    "shutdown",
    "debug",
    "monitor",
    "quit",
    "reset",
    "client",
    "save",
    "bgsave",
    "bgrewriteaof",
    "flushall",
    "flushdb",
    "select",
    "swapdb",
    "hello",
    "auth",
    "config",
    "function",
    "script",
    "latency",
    "slowlog",
    "memory",
    "object",
    "info",
    "lastsave",
    "time",
    "command",
    "sync",
    "psync",
    "replicaof",
    "slaveof",
    "failover",
    // Random or timed replies, and bytes that differ by design.
    "randomkey",
    "spop",
    "srandmember",
    "hrandfield",
    "zrandmember",
    "dbsize",
    "keys",
    "scan",
    "sscan",
    "hscan",
    "zscan",
    "ttl",
    "pttl",
    "expiretime",
    "pexpiretime",
    "dump",
    "restore",
    // Could block for ever (a timeout of 0 is in the pool).
    "blpop",
    "brpop",
    "blmove",
    "brpoplpush",
    "blmpop",
    "bzpopmin",
    "bzpopmax",
    "bzmpop",
];

/// Subcommands of skipped containers that still get random arguments: their replies
/// depend on nothing but the arguments and the keyspace.
const SUBCOMMANDS_KEPT: &[&str] = &[
    "object|encoding",
    "object|refcount",
    "object|help",
    "client|help",
    "config|help",
    "command|help",
    "memory|help",
    "slowlog|help",
    "latency|help",
    "function|help",
    "script|help",
];

/// Whether `name` (`get` or `object|encoding`) gets random arguments.
fn randomized(name: &str) -> bool {
    match name.split_once('|') {
        None => !SKIPPED.contains(&name),
        Some((container, _)) => !SKIPPED.contains(&container) || SUBCOMMANDS_KEPT.contains(&name),
    }
}

const POOL: &[&str] = &[
    "k",
    "{t}k2",
    "0",
    "1",
    "-1",
    "x",
    "10",
    "abc",
    "",
    "EX",
    "NX",
    "XX",
    "GT",
    "CH",
    "PX",
    "KEEPTTL",
    "GET",
    "COUNT",
    "LIMIT",
    "WITHSCORES",
    "2",
    "1.5",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "MATCH",
    "TYPE",
    "RANK",
    "MAXLEN",
    "REPLACE",
    "DB",
    "ABSTTL",
    "IDX",
    "LEN",
    "BYSCORE",
    "BYLEX",
    "REV",
    "AGGREGATE",
    "WEIGHTS",
    "SUM",
    "MIN",
    "MAX",
    "BIT",
    "BYTE",
    "OVERFLOW",
    "SAT",
    "u8",
    "i64",
    "#1",
    "(1",
    "[a",
    "-",
    "+",
    "inf",
    "-inf",
    "nan",
    "9223372036854775807",
    "-9223372036854775808",
    "1e400",
    "WITHVALUES",
    "STORE",
    "ALPHA",
];

/// The names `COMMAND LIST` gives, subcommands as `container|sub`.
fn command_names(conn: &mut Conn) -> Vec<String> {
    let reply = conn.command(&["COMMAND", "LIST"]);
    let (_, elements) = split_aggregate(&reply).expect("COMMAND LIST is an array");
    let mut names: Vec<String> = elements
        .iter()
        .map(|e| {
            let text = String::from_utf8_lossy(e);
            text.split("\r\n")
                .nth(1)
                .unwrap_or_default()
                .to_ascii_lowercase()
        })
        .collect();
    names.sort();
    names
}

/// Sends [`ROUNDS_PER_COMMAND`] calls of `prefix` and random arguments to both servers,
/// noting each pair of replies that differ.
fn run_command(
    redis: &mut Conn,
    shoal: &mut Conn,
    prefix: &[&str],
    rng: &mut Rng,
    mismatches: &mut Vec<String>,
) {
    for _ in 0..ROUNDS_PER_COMMAND {
        let count = rng.below(ARGS_COUNT_MAX + 1);
        let args: Vec<&str> = prefix
            .iter()
            .copied()
            .chain((0..count).map(|_| POOL[rng.below(POOL.len() as u64) as usize]))
            .collect();
        let (a, b) = (redis.command(&args), shoal.command(&args));
        if sorted_aggregate(&a) != sorted_aggregate(&b) {
            mismatches.push(format!(
                "{:?}\n  redis: {}\n  shoal: {}",
                args,
                escape(&a),
                escape(&b)
            ));
        }
    }
}

#[test]
fn random_arguments_get_the_same_replies_and_errors() {
    let seed = seed(SEED_DEFAULT);
    let redis = RedisServer::start();
    let shoal = ShoalServer::start(3, &["--save", ""]);
    // Both servers' commands: shoal has a few of Redis 7.2's (CLIENT SETINFO).
    let redis_names = command_names(&mut redis.connect());
    let mut names = command_names(&mut shoal.connect());
    names.retain(|n| redis_names.contains(n));
    assert!(names.len() > 150, "COMMAND LIST: {names:?}");
    let mut rng = Rng(seed | 1);
    let mut mismatches = Vec::new();
    for resp3 in [false, true] {
        let (mut r, mut s) = (redis.connect(), shoal.connect());
        if resp3 {
            r.command(&["HELLO", "3"]);
            s.command(&["HELLO", "3"]);
        }
        for name in names.iter().filter(|n| randomized(n)) {
            let words: Vec<&str> = name.split('|').collect();
            run_command(&mut r, &mut s, &words, &mut rng, &mut mismatches);
            r.command(&["FLUSHALL"]);
            s.command(&["FLUSHALL"]);
        }
        // Every command's keys as COMMAND GETKEYS finds them, skipped ones included.
        for name in &names {
            for sub in ["GETKEYS", "GETKEYSANDFLAGS"] {
                let prefix: Vec<&str> = ["COMMAND", sub]
                    .into_iter()
                    .chain(name.split('|'))
                    .collect();
                run_command(&mut r, &mut s, &prefix, &mut rng, &mut mismatches);
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "seed {seed}: {} mismatches\n{}",
        mismatches.len(),
        mismatches[..mismatches.len().min(MISMATCHES_SHOWN_MAX)].join("\n")
    );
}
