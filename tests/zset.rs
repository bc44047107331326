//! Sorted sets through a real client (the `redis` crate) against an in-process server
//! with 4 shards: encoding conversion at the thresholds (CONFIG SET), cross-shard
//! ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE / ZRANGESTORE / ZUNION / ZMPOP, their
//! atomicity while a concurrent writer moves the source between shards, a leaderboard
//! scenario, and a seeded random workload checked against a model.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use redis::Connection;
use shoal::server::ServerHandle;
use shoal::util::slot::key_shard;

const SHARDS: usize = 4;

fn server() -> ServerHandle {
    common::client::start_server(SHARDS, &[])
}

fn connect(s: &ServerHandle) -> Connection {
    common::client::connect(s.addr)
}

/// `count` keys named `{prefix}:N`, each on a different shard.
fn keys_on_distinct_shards(prefix: &str, count: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut used = Vec::new();
    for i in 0..10_000 {
        let k = format!("{prefix}:{i}");
        let shard = key_shard(k.as_bytes(), SHARDS);
        if !used.contains(&shard) {
            used.push(shard);
            out.push(k);
            if out.len() == count {
                return out;
            }
        }
    }
    panic!("not enough shards");
}

fn encoding(c: &mut Connection, key: &str) -> String {
    redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(key)
        .query(c)
        .unwrap()
}

#[test]
fn encodings_convert_at_the_thresholds() {
    let s = server();
    let mut c = connect(&s);
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("zset-max-listpack-entries")
        .arg(16)
        .query(&mut c)
        .unwrap();
    for i in 0..16 {
        let _: i64 = redis::cmd("ZADD")
            .arg("z")
            .arg(i)
            .arg(format!("m{i}"))
            .query(&mut c)
            .unwrap();
    }
    assert_eq!(encoding(&mut c, "z"), "listpack");
    let _: i64 = redis::cmd("ZADD")
        .arg("z")
        .arg(16)
        .arg("m16")
        .query(&mut c)
        .unwrap();
    assert_eq!(encoding(&mut c, "z"), "skiplist");
    // Never back, even when small again.
    let _: Vec<String> = redis::cmd("ZPOPMIN")
        .arg("z")
        .arg(15)
        .query(&mut c)
        .unwrap();
    assert_eq!(encoding(&mut c, "z"), "skiplist");
    // Stored results pick their encoding by size, on any shard.
    let dests = keys_on_distinct_shards("dest", SHARDS);
    let _: () = redis::cmd("ZADD")
        .arg("src")
        .arg(1)
        .arg("a")
        .arg(2)
        .arg("b")
        .query(&mut c)
        .unwrap();
    for d in &dests {
        let n: i64 = redis::cmd("ZUNIONSTORE")
            .arg(d)
            .arg(2)
            .arg("src")
            .arg("z")
            .query(&mut c)
            .unwrap();
        assert_eq!(n, 4);
        assert_eq!(encoding(&mut c, d), "listpack");
    }
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg("zset-max-listpack-value")
        .arg(8)
        .query(&mut c)
        .unwrap();
    let _: i64 = redis::cmd("ZADD")
        .arg("src")
        .arg(3)
        .arg("123456789")
        .query(&mut c)
        .unwrap();
    assert_eq!(encoding(&mut c, "src"), "skiplist");
    let n: i64 = redis::cmd("ZRANGESTORE")
        .arg(&dests[1])
        .arg("src")
        .arg(0)
        .arg(1)
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 2);
    assert_eq!(encoding(&mut c, &dests[1]), "listpack");
    let n: i64 = redis::cmd("ZRANGESTORE")
        .arg(&dests[2])
        .arg("src")
        .arg(0)
        .arg(-1)
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 3);
    assert_eq!(encoding(&mut c, &dests[2]), "skiplist");
}

#[test]
fn cross_shard_store_commands() {
    let s = server();
    let mut c = connect(&s);
    let k = keys_on_distinct_shards("k", SHARDS);
    let _: i64 = redis::cmd("ZADD")
        .arg(&k[0])
        .arg(1)
        .arg("a")
        .arg(2)
        .arg("b")
        .arg(3)
        .arg("c")
        .query(&mut c)
        .unwrap();
    let _: i64 = redis::cmd("ZADD")
        .arg(&k[1])
        .arg(10)
        .arg("b")
        .arg(20)
        .arg("c")
        .arg(30)
        .arg("d")
        .query(&mut c)
        .unwrap();
    let n: i64 = redis::cmd("ZUNIONSTORE")
        .arg(&k[2])
        .arg(2)
        .arg(&k[0])
        .arg(&k[1])
        .arg("WEIGHTS")
        .arg(1)
        .arg(2)
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 4);
    let got: Vec<(String, f64)> = redis::cmd("ZRANGE")
        .arg(&k[2])
        .arg(0)
        .arg(-1)
        .arg("WITHSCORES")
        .query(&mut c)
        .unwrap();
    assert_eq!(
        got,
        vec![
            ("a".into(), 1.0),
            ("b".into(), 22.0),
            ("c".into(), 43.0),
            ("d".into(), 60.0)
        ]
    );
    let n: i64 = redis::cmd("ZINTERSTORE")
        .arg(&k[3])
        .arg(2)
        .arg(&k[0])
        .arg(&k[1])
        .arg("AGGREGATE")
        .arg("MAX")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 2);
    let got: Vec<String> = redis::cmd("ZRANGE")
        .arg(&k[3])
        .arg(0)
        .arg(-1)
        .query(&mut c)
        .unwrap();
    assert_eq!(got, vec!["b", "c"]);
    let n: i64 = redis::cmd("ZDIFFSTORE")
        .arg(&k[3])
        .arg(2)
        .arg(&k[0])
        .arg(&k[1])
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 1);
    let n: i64 = redis::cmd("ZRANGESTORE")
        .arg(&k[3])
        .arg(&k[1])
        .arg("(10")
        .arg("+inf")
        .arg("BYSCORE")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 2);
    let n: i64 = redis::cmd("ZINTERCARD")
        .arg(3)
        .arg(&k[0])
        .arg(&k[1])
        .arg(&k[2])
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 2);
    let got: Vec<String> = redis::cmd("ZDIFF")
        .arg(2)
        .arg(&k[1])
        .arg(&k[0])
        .query(&mut c)
        .unwrap();
    assert_eq!(got, vec!["d"]);
    // Errors from any shard: a wrong type anywhere, the destination untouched.
    let _: () = redis::cmd("SET")
        .arg(&k[3])
        .arg("string")
        .query(&mut c)
        .unwrap();
    let err = redis::cmd("ZUNIONSTORE")
        .arg(&k[2])
        .arg(2)
        .arg(&k[0])
        .arg(&k[3])
        .query::<i64>(&mut c)
        .unwrap_err();
    assert!(err.to_string().contains("WRONGTYPE"), "{err}");
    let n: i64 = redis::cmd("ZCARD").arg(&k[2]).query(&mut c).unwrap();
    assert_eq!(n, 4);
    // An empty result deletes the destination on its own shard.
    let n: i64 = redis::cmd("ZINTERSTORE")
        .arg(&k[2])
        .arg(2)
        .arg(&k[0])
        .arg("nokey")
        .query(&mut c)
        .unwrap();
    assert_eq!(n, 0);
    let exists: i64 = redis::cmd("EXISTS").arg(&k[2]).query(&mut c).unwrap();
    assert_eq!(exists, 0);
    // ZMPOP walks keys on several shards in order.
    let popped: (String, Vec<(String, f64)>) = redis::cmd("ZMPOP")
        .arg(3)
        .arg(&k[2])
        .arg(&k[1])
        .arg(&k[0])
        .arg("MAX")
        .arg("COUNT")
        .arg(2)
        .query(&mut c)
        .unwrap();
    assert_eq!(popped.0, k[1]);
    assert_eq!(popped.1, vec![("d".into(), 30.0), ("c".into(), 20.0)]);
}

/// A member set of 200 (skiplist) moves between two shards by cross-shard RENAME while
/// readers run cross-shard ZUNION / ZUNIONSTORE / ZINTERSTORE / ZDIFFSTORE /
/// ZRANGESTORE over both names: each must see the set exactly once, never zero or two
/// copies and never part of it.
#[test]
fn cross_shard_set_operations_are_atomic() {
    let s = server();
    let mut c = connect(&s);
    let k = keys_on_distinct_shards("atom", SHARDS);
    let (a, b, d) = (k[0].clone(), k[1].clone(), k[2].clone());
    const MEMBERS: usize = 200;
    let mut add = redis::cmd("ZADD");
    add.arg(&a);
    for i in 0..MEMBERS {
        add.arg(i).arg(format!("m{i}"));
    }
    let _: i64 = add.query(&mut c).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let mover = {
        let mut c = connect(&s);
        let (a, b) = (a.clone(), b.clone());
        std::thread::spawn(move || {
            for i in 0..400 {
                let (from, to) = if i % 2 == 0 { (&a, &b) } else { (&b, &a) };
                let _: () = redis::cmd("RENAME")
                    .arg(from)
                    .arg(to)
                    .query(&mut c)
                    .unwrap();
            }
        })
    };
    let mut readers = Vec::new();
    for r in 0..2 {
        let mut c = connect(&s);
        let (a, b, d, stop) = (a.clone(), b.clone(), format!("{d}{r}"), stop.clone());
        readers.push(std::thread::spawn(move || {
            let mut rounds = 0;
            while !stop.load(Ordering::Relaxed) {
                let u: Vec<String> = redis::cmd("ZUNION")
                    .arg(2)
                    .arg(&a)
                    .arg(&b)
                    .query(&mut c)
                    .unwrap();
                assert_eq!(u.len(), MEMBERS, "ZUNION saw a torn state");
                let n: i64 = redis::cmd("ZUNIONSTORE")
                    .arg(&d)
                    .arg(2)
                    .arg(&a)
                    .arg(&b)
                    .query(&mut c)
                    .unwrap();
                assert_eq!(n as usize, MEMBERS, "ZUNIONSTORE saw a torn state");
                let n: i64 = redis::cmd("ZINTERSTORE")
                    .arg(&d)
                    .arg(2)
                    .arg(&a)
                    .arg(&b)
                    .query(&mut c)
                    .unwrap();
                assert_eq!(n, 0, "ZINTERSTORE saw the set twice");
                let x: i64 = redis::cmd("ZDIFFSTORE")
                    .arg(&d)
                    .arg(1)
                    .arg(&a)
                    .query(&mut c)
                    .unwrap();
                let y: i64 = redis::cmd("ZRANGESTORE")
                    .arg(&d)
                    .arg(&b)
                    .arg(0)
                    .arg(-1)
                    .query(&mut c)
                    .unwrap();
                assert!(
                    x == 0 || x as usize == MEMBERS,
                    "ZDIFFSTORE stored part of the set"
                );
                assert!(
                    y == 0 || y as usize == MEMBERS,
                    "ZRANGESTORE stored part of the set"
                );
                let card: i64 = redis::cmd("ZINTERCARD")
                    .arg(2)
                    .arg(&a)
                    .arg(&b)
                    .query(&mut c)
                    .unwrap();
                assert_eq!(card, 0);
                rounds += 1;
            }
            rounds
        }));
    }
    mover.join().unwrap();
    stop.store(true, Ordering::Relaxed);
    for r in readers {
        assert!(r.join().unwrap() > 0);
    }
    let total: i64 = redis::cmd("ZCARD").arg(&a).query(&mut c).unwrap();
    assert_eq!(total as usize, MEMBERS);
}

/// Daily leaderboards on different shards, updated by concurrent clients with ZINCRBY,
/// merged into a weekly board with ZUNIONSTORE; ranks and top-N checked against a model.
#[test]
fn leaderboard() {
    let s = server();
    let days = keys_on_distinct_shards("board", SHARDS);
    const PLAYERS: u64 = 300;
    const GAMES_PER_CLIENT: u64 = 2_000;
    let mut clients = Vec::new();
    for t in 0..3u64 {
        let mut c = connect(&s);
        let days = days.clone();
        clients.push(std::thread::spawn(move || {
            let mut model: HashMap<(usize, u64), i64> = HashMap::new();
            let mut x = 0x9e37_79b9_7f4a_7c15u64 ^ t;
            let mut pipe = redis::pipe();
            for _ in 0..GAMES_PER_CLIENT {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                let day = (x % days.len() as u64) as usize;
                let player = (x >> 8) % PLAYERS;
                let points = ((x >> 20) % 100) as i64;
                pipe.cmd("ZINCRBY")
                    .arg(&days[day])
                    .arg(points)
                    .arg(format!("player{player}"))
                    .ignore();
                *model.entry((day, player)).or_default() += points;
            }
            let _: () = pipe.query(&mut c).unwrap();
            model
        }));
    }
    let mut totals: HashMap<(usize, u64), i64> = HashMap::new();
    for c in clients {
        for (k, v) in c.join().unwrap() {
            *totals.entry(k).or_default() += v;
        }
    }
    let mut c = connect(&s);
    let mut weekly: HashMap<u64, i64> = HashMap::new();
    for ((_, p), v) in &totals {
        *weekly.entry(*p).or_default() += v;
    }
    let mut cmd = redis::cmd("ZUNIONSTORE");
    cmd.arg("weekly").arg(days.len());
    for d in &days {
        cmd.arg(d);
    }
    let n: usize = cmd.query(&mut c).unwrap();
    assert_eq!(n, weekly.len());
    assert_eq!(encoding(&mut c, "weekly"), "skiplist");
    // Top 10, highest first, ties by member descending (ZREVRANGE order).
    let mut order: Vec<(i64, String)> = weekly
        .iter()
        .map(|(p, v)| (*v, format!("player{p}")))
        .collect();
    order.sort();
    order.reverse();
    let top: Vec<(String, i64)> = redis::cmd("ZREVRANGE")
        .arg("weekly")
        .arg(0)
        .arg(9)
        .arg("WITHSCORES")
        .query(&mut c)
        .unwrap();
    let want: Vec<(String, i64)> = order
        .iter()
        .take(10)
        .map(|(v, p)| (p.clone(), *v))
        .collect();
    assert_eq!(top, want);
    for (i, (_, p)) in order.iter().enumerate().step_by(17) {
        let rank: usize = redis::cmd("ZREVRANK")
            .arg("weekly")
            .arg(p)
            .query(&mut c)
            .unwrap();
        assert_eq!(rank, i);
        let score: i64 = redis::cmd("ZSCORE")
            .arg("weekly")
            .arg(p)
            .query(&mut c)
            .unwrap();
        assert_eq!(score, weekly[&p[6..].parse::<u64>().unwrap()]);
    }
    let median = order[order.len() / 2].0;
    let above: usize = redis::cmd("ZCOUNT")
        .arg("weekly")
        .arg(format!("({median}"))
        .arg("+inf")
        .query(&mut c)
        .unwrap();
    assert_eq!(above, order.iter().filter(|(v, _)| *v > median).count());
    // Champion of the week leaves the board.
    let popped: Vec<(String, i64)> = redis::cmd("ZPOPMAX").arg("weekly").query(&mut c).unwrap();
    assert_eq!(popped[0].0, order[0].1);
}

/// A seeded random workload on one big key (skiplist) against a model, through the
/// network with pipelining.
#[test]
fn random_workload_matches_a_model() {
    let seed: u64 = std::env::var("SHOAL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(77);
    let s = server();
    let mut c = connect(&s);
    let mut x = seed | 1;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let mut model: BTreeSet<(i64, String)> = BTreeSet::new();
    let mut scores: HashMap<String, i64> = HashMap::new();
    for round in 0..20 {
        let mut pipe = redis::pipe();
        for _ in 0..500 {
            let m = format!("m{}", next() % 3000);
            if next() % 4 == 0 {
                pipe.cmd("ZREM").arg("big").arg(&m).ignore();
                if let Some(old) = scores.remove(&m) {
                    model.remove(&(old, m));
                }
            } else {
                let score = (next() % 1000) as i64 - 500;
                pipe.cmd("ZADD").arg("big").arg(score).arg(&m).ignore();
                if let Some(old) = scores.insert(m.clone(), score) {
                    model.remove(&(old, m.clone()));
                }
                model.insert((score, m));
            }
        }
        let _: () = pipe.query(&mut c).unwrap();
        let card: usize = redis::cmd("ZCARD").arg("big").query(&mut c).unwrap();
        assert_eq!(card, model.len(), "seed {seed} round {round}");
        let all: Vec<(String, i64)> = redis::cmd("ZRANGE")
            .arg("big")
            .arg(0)
            .arg(-1)
            .arg("WITHSCORES")
            .query(&mut c)
            .unwrap();
        let want: Vec<(String, i64)> = model.iter().map(|(s, m)| (m.clone(), *s)).collect();
        assert!(all == want, "seed {seed} round {round}: order differs");
        let lo = (next() % 1000) as i64 - 500;
        let hi = lo + (next() % 200) as i64;
        let n: usize = redis::cmd("ZCOUNT")
            .arg("big")
            .arg(lo)
            .arg(format!("({hi}"))
            .query(&mut c)
            .unwrap();
        assert_eq!(
            n,
            model.iter().filter(|(s, _)| *s >= lo && *s < hi).count(),
            "seed {seed}"
        );
        let page: Vec<String> = redis::cmd("ZRANGEBYSCORE")
            .arg("big")
            .arg(lo)
            .arg(hi)
            .arg("LIMIT")
            .arg(3)
            .arg(5)
            .query(&mut c)
            .unwrap();
        let want: Vec<String> = model
            .iter()
            .filter(|(s, _)| *s >= lo && *s <= hi)
            .skip(3)
            .take(5)
            .map(|(_, m)| m.clone())
            .collect();
        assert_eq!(page, want, "seed {seed}");
    }
    assert_eq!(encoding(&mut c, "big"), "skiplist");
    // ZSCAN returns every member.
    let mut cursor = 0u64;
    let mut seen = BTreeSet::new();
    loop {
        let (next_cursor, items): (u64, Vec<(String, i64)>) = redis::cmd("ZSCAN")
            .arg("big")
            .arg(cursor)
            .arg("COUNT")
            .arg(100)
            .query(&mut c)
            .unwrap();
        for (m, s) in items {
            assert_eq!(scores.get(&m), Some(&s));
            seen.insert(m);
        }
        cursor = next_cursor;
        if cursor == 0 {
            break;
        }
    }
    assert_eq!(seen.len(), model.len());
}

/// Random sorted-set commands with arguments drawn from a pool of tricky tokens, on
/// keys spread over the shards: every command gets a reply and the server stays up.
#[test]
fn random_arguments_never_break_the_server() {
    let s = server();
    let mut c = connect(&s);
    const COMMANDS: &[&str] = &[
        "ZADD",
        "ZINCRBY",
        "ZREM",
        "ZCARD",
        "ZCOUNT",
        "ZLEXCOUNT",
        "ZSCORE",
        "ZMSCORE",
        "ZRANK",
        "ZREVRANK",
        "ZRANGE",
        "ZRANGESTORE",
        "ZREVRANGE",
        "ZRANGEBYSCORE",
        "ZREVRANGEBYSCORE",
        "ZRANGEBYLEX",
        "ZREVRANGEBYLEX",
        "ZREMRANGEBYRANK",
        "ZREMRANGEBYSCORE",
        "ZREMRANGEBYLEX",
        "ZPOPMIN",
        "ZPOPMAX",
        "ZMPOP",
        "ZRANDMEMBER",
        "ZUNION",
        "ZUNIONSTORE",
        "ZINTER",
        "ZINTERSTORE",
        "ZINTERCARD",
        "ZDIFF",
        "ZDIFFSTORE",
        "ZSCAN",
    ];
    const TOKENS: &[&str] = &[
        "k1",
        "k2",
        "k3",
        "k4",
        "s",
        "0",
        "1",
        "2",
        "3",
        "-1",
        "-2",
        "100",
        "9223372036854775807",
        "-9223372036854775808",
        "1.5",
        "(1",
        "(",
        "[",
        "[a",
        "(b",
        "-",
        "+",
        "inf",
        "-inf",
        "nan",
        "",
        "a",
        "b",
        "c",
        "WITHSCORES",
        "LIMIT",
        "REV",
        "BYSCORE",
        "BYLEX",
        "MIN",
        "MAX",
        "COUNT",
        "WEIGHTS",
        "AGGREGATE",
        "SUM",
        "NX",
        "XX",
        "GT",
        "LT",
        "CH",
        "INCR",
        "MATCH",
        "*",
    ];
    let _: () = redis::cmd("SET")
        .arg("s")
        .arg("string")
        .query(&mut c)
        .unwrap();
    let mut x = 0x1234_5678_9abc_def1u64;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    for i in 0..5_000 {
        let name = COMMANDS[(next() % COMMANDS.len() as u64) as usize];
        let mut cmd = redis::cmd(name);
        let argc = next() % 9;
        for _ in 0..argc {
            cmd.arg(TOKENS[(next() % TOKENS.len() as u64) as usize]);
        }
        // Any reply, error or not, is fine; a dropped connection is not.
        let reply: redis::RedisResult<redis::Value> = cmd.query(&mut c);
        if let Err(e) = &reply {
            assert!(e.kind() != redis::ErrorKind::Io, "command {i} {name}: {e}");
        }
        if i % 500 == 0 {
            let _: () = redis::cmd("ZADD")
                .arg("k1")
                .arg(1)
                .arg("a")
                .arg(2)
                .arg("b")
                .query(&mut c)
                .unwrap();
            let _: () = redis::cmd("ZADD")
                .arg("k2")
                .arg(2)
                .arg("b")
                .arg(3)
                .arg("c")
                .query(&mut c)
                .unwrap();
        }
    }
    let pong: String = redis::cmd("PING").query(&mut c).unwrap();
    assert_eq!(pong, "PONG");
}
