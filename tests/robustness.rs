//! Whatever arguments a client sends, every command answers and the server stays up:
//! each command of the table (and each subcommand) is sent many times with random
//! argument counts drawn from a pool of awkward values (keys of every type, numbers at
//! the edges, floats, NaN, options of other commands), on a server with 3 shards; after
//! every command the reply must be a whole RESP frame, and PING must still answer.
//! Seeded: `SHOAL_SEED` replays a run, the seed is printed on failure.
//!
//! Left out: commands that end or stall the connection or the server on purpose
//! (SHUTDOWN, QUIT, RESET, DEBUG, MONITOR, blocking pops that could wait forever,
//! CLIENT PAUSE/KILL/REPLY, CONFIG SET, SELECT, HELLO, AUTH, SWAPDB, FLUSH*).

mod common;

use common::client::{next_random, seed};
use common::{Conn, ShoalServer};

/// Rounds per command (each with a fresh random argument list).
const ROUNDS_PER_COMMAND: usize = 25;
/// Most arguments a round sends after the command name.
const ARGS_COUNT_MAX: u64 = 9;

const SKIPPED: &[&str] = &[
    "shutdown",
    "quit",
    "reset",
    "debug",
    "monitor",
    "select",
    "hello",
    "auth",
    "swapdb",
    "flushall",
    "flushdb",
    "client",
    "config",
    "sync",
    "psync",
    "replicaof",
    "slaveof",
    "failover",
    "save",
    "bgsave",
    "bgrewriteaof",
];

/// Values arguments are drawn from: keys that exist with each type, missing keys,
/// numbers and floats at the edges, and option words of many commands.
const POOL: &[&str] = &[
    "str",
    "int",
    "list",
    "hash",
    "set",
    "intset",
    "zset",
    "nokey",
    "{t}a",
    "{t}b",
    "0",
    "1",
    "-1",
    "2",
    "3",
    "10",
    "-100",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1.5",
    "-0.5",
    "inf",
    "-inf",
    "+inf",
    "nan",
    "1e308",
    "(1",
    "[a",
    "(a",
    "-",
    "+",
    "*",
    "a*",
    "",
    " ",
    "x",
    "field",
    "member",
    "WITHSCORES",
    "LIMIT",
    "COUNT",
    "MATCH",
    "TYPE",
    "BY",
    "GET",
    "STORE",
    "ALPHA",
    "ASC",
    "DESC",
    "LEFT",
    "RIGHT",
    "BEFORE",
    "AFTER",
    "MIN",
    "MAX",
    "NX",
    "XX",
    "GT",
    "LT",
    "CH",
    "INCR",
    "EX",
    "PX",
    "EXAT",
    "PXAT",
    "KEEPTTL",
    "WEIGHTS",
    "AGGREGATE",
    "SUM",
    "BYSCORE",
    "BYLEX",
    "REV",
    "RANK",
    "MAXLEN",
    "WITHVALUES",
    "REPLACE",
    "DB",
    "IDX",
    "LEN",
    "MINMATCHLEN",
    "WITHMATCHLEN",
    "u8",
    "i64",
    "#3",
    "OVERFLOW",
    "FAIL",
    "SAT",
    "WRAP",
    "AND",
    "OR",
    "XOR",
    "NOT",
    "BIT",
    "BYTE",
    "SAMPLES",
    "ABSTTL",
];

fn setup(con: &mut Conn) {
    for cmd in [
        &["SET", "str", "hello"][..],
        &["SET", "int", "42"],
        &["RPUSH", "list", "a", "b", "c", "1"],
        &["HSET", "hash", "field", "v", "n", "5"],
        &["SADD", "set", "a", "b", "member"],
        &["SADD", "intset", "1", "2", "3"],
        &["ZADD", "zset", "1", "a", "2", "member", "3", "c"],
    ] {
        con.command(cmd);
    }
}

fn commands() -> Vec<Vec<String>> {
    let mut out = Vec::new();
    for spec in shoal::commands::all() {
        if SKIPPED.contains(&spec.name) || spec.flags & shoal::commands::flags::BLOCKING != 0 {
            continue;
        }
        if spec.subcommands.is_empty() {
            out.push(vec![spec.name.to_string()]);
        }
        for sub in spec.subcommands {
            out.push(vec![spec.name.to_string(), sub.name.to_string()]);
        }
    }
    out
}

#[test]
fn random_arguments_never_break_a_command() {
    let seed = seed();
    let server = ShoalServer::start(3, &[]);
    let mut con = Conn::new(Box::new(server.connect_tcp()));
    setup(&mut con);
    let mut rng = seed | 1;
    let commands = commands();
    assert!(
        commands.len() > 150,
        "only {} commands to try",
        commands.len()
    );
    for name in commands {
        for round in 0..ROUNDS_PER_COMMAND {
            let count = next_random(&mut rng) % (ARGS_COUNT_MAX + 1);
            let mut args: Vec<String> = name.clone();
            for _ in 0..count {
                let pick = next_random(&mut rng) as usize % POOL.len();
                args.push(POOL[pick].to_string());
            }
            // A whole reply, or the test fails with the seed and the command.
            let reply = con
                .send(&args)
                .and_then(|_| con.read_reply())
                .unwrap_or_else(|e| panic!("seed {seed}: {args:?} (round {round}): {e}"));
            assert!(!reply.is_empty(), "seed {seed}: {args:?} gave no reply");
            if round % 5 == 0 {
                assert_eq!(
                    con.command(&["PING"]),
                    b"+PONG\r\n",
                    "seed {seed}: the connection broke after {args:?}"
                );
            }
        }
        // Keep the typed keys around for the next command.
        setup(&mut con);
    }
    assert_eq!(con.command(&["PING"]), b"+PONG\r\n", "seed {seed}");
    drop(server);
}
