//! Lists end to end, through the `redis` crate against an in-process server with 4
//! shards: every command's normal path, node sizes at the `list-max-listpack-size`
//! settings (OBJECT ENCODING is always `quicklist`, as in Redis 7.0), and cross-shard
//! LMOVE / RPOPLPUSH / LMPOP atomicity under concurrent clients (no element is ever lost
//! or duplicated while movers race around a ring of lists on different shards).
//!
//! Randomized tests take `SHOAL_SEED` (or pick one) and print it when they fail.

mod common;

use std::collections::HashSet;

use redis::{Connection, Value};

use common::client::TestServer as Server;

use common::client::cmd;

use common::client::q;

fn strings(con: &mut Connection, args: &[&str]) -> Vec<String> {
    q(con, args)
}

use common::client::keys_on_shards;

use common::client::seed;

use common::client::next_random;

#[test]
fn commands_end_to_end() {
    let server = Server::start(4);
    let mut con = server.conn();
    assert_eq!(q::<i64>(&mut con, &["RPUSH", "l", "a", "b", "c"]), 3);
    assert_eq!(q::<i64>(&mut con, &["LPUSH", "l", "z"]), 4);
    assert_eq!(
        strings(&mut con, &["LRANGE", "l", "0", "-1"]),
        ["z", "a", "b", "c"]
    );
    assert_eq!(q::<String>(&mut con, &["LINDEX", "l", "-1"]), "c");
    assert_eq!(q::<i64>(&mut con, &["LINSERT", "l", "AFTER", "a", "x"]), 5);
    assert_eq!(q::<String>(&mut con, &["LSET", "l", "0", "y"]), "OK");
    assert_eq!(q::<i64>(&mut con, &["LPOS", "l", "x"]), 2);
    assert_eq!(q::<i64>(&mut con, &["LREM", "l", "0", "x"]), 1);
    assert_eq!(q::<String>(&mut con, &["LTRIM", "l", "1", "-1"]), "OK");
    assert_eq!(
        strings(&mut con, &["LRANGE", "l", "0", "-1"]),
        ["a", "b", "c"]
    );
    assert_eq!(strings(&mut con, &["LPOP", "l", "2"]), ["a", "b"]);
    assert_eq!(q::<String>(&mut con, &["RPOP", "l"]), "c");
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "l"]), 0);
    assert_eq!(q::<i64>(&mut con, &["LPUSHX", "l", "a"]), 0);
    let e: redis::RedisResult<Value> = cmd(&["SET", "s", "v"]).query(&mut con);
    assert!(e.is_ok());
    let e: redis::RedisResult<i64> = cmd(&["LPUSH", "s", "v"]).query(&mut con);
    assert_eq!(e.unwrap_err().code(), Some("WRONGTYPE"));
}

#[test]
fn node_sizes_follow_the_setting_and_encoding_is_quicklist() {
    let server = Server::start(4);
    let mut con = server.conn();
    for fill in ["-2", "1", "3", "-5", "-1", "0"] {
        let _: () = q(&mut con, &["CONFIG", "SET", "list-max-listpack-size", fill]);
        let key = format!("l{fill}");
        let items: Vec<String> = (0..300).map(|i| format!("{i:0100}")).collect();
        let mut c = redis::cmd("RPUSH");
        c.arg(&key);
        for i in &items {
            c.arg(i);
        }
        let _: i64 = c.query(&mut con).unwrap();
        assert_eq!(
            q::<String>(&mut con, &["OBJECT", "ENCODING", &key]),
            "quicklist"
        );
        let _: i64 = q(&mut con, &["LINSERT", &key, "BEFORE", &items[150], "mid"]);
        let _: String = q(&mut con, &["LSET", &key, "10", &"w".repeat(5000)]);
        let got = strings(&mut con, &["LRANGE", &key, "0", "-1"]);
        let mut want = items.clone();
        want.insert(150, "mid".into());
        want[10] = "w".repeat(5000);
        assert_eq!(got, want, "fill {fill}");
        assert_eq!(q::<i64>(&mut con, &["LREM", &key, "0", "mid"]), 1);
        assert_eq!(q::<i64>(&mut con, &["LLEN", &key]), 300);
    }
    // The bytes-per-element bound is checked by storage::list's unit tests.
}

#[test]
fn cross_shard_moves_never_lose_or_duplicate() {
    let server = Server::start(4);
    let ring = keys_on_shards("ring", 4, 4);
    let mut con = server.conn();
    const ITEMS: usize = 200;
    for i in 0..ITEMS {
        let _: i64 = q(&mut con, &["RPUSH", &ring[i % 4], &format!("e{i}")]);
    }
    let seed = seed();
    let threads: Vec<_> = (0..4u64)
        .map(|t| {
            let mut con = server.conn();
            let ring = ring.clone();
            std::thread::spawn(move || {
                let mut rng = seed ^ (t + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
                for _ in 0..400 {
                    let from = next_random(&mut rng) as usize % 4;
                    let to = (from + 1 + next_random(&mut rng) as usize % 3) % 4;
                    match next_random(&mut rng) % 3 {
                        0 => {
                            let _: Value = q(&mut con, &["RPOPLPUSH", &ring[from], &ring[to]]);
                        }
                        1 => {
                            let _: Value = q(
                                &mut con,
                                &["LMOVE", &ring[from], &ring[to], "LEFT", "RIGHT"],
                            );
                        }
                        _ => {
                            // LMPOP across shards, then push back what it took.
                            let v: Value = q(
                                &mut con,
                                &["LMPOP", "2", &ring[from], &ring[to], "RIGHT", "COUNT", "2"],
                            );
                            if let Value::Array(parts) = v {
                                let items: Vec<String> =
                                    redis::from_redis_value(parts[1].clone()).unwrap();
                                let mut c = redis::cmd("LPUSH");
                                c.arg(&ring[to]);
                                for i in items {
                                    c.arg(i);
                                }
                                let _: i64 = c.query(&mut con).unwrap();
                            }
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let mut seen = HashSet::new();
    let mut total = 0;
    for k in &ring {
        for e in strings(&mut con, &["LRANGE", k, "0", "-1"]) {
            assert!(seen.insert(e.clone()), "seed {seed}: {e} twice");
            total += 1;
        }
    }
    assert_eq!(total, ITEMS, "seed {seed}: elements lost");
}

#[test]
fn lmpop_takes_the_first_existing_key_across_shards() {
    let server = Server::start(4);
    let keys = keys_on_shards("mp", 4, 4);
    let mut con = server.conn();
    let _: i64 = q(&mut con, &["RPUSH", &keys[3], "x", "y"]);
    let _: i64 = q(&mut con, &["RPUSH", &keys[2], "z"]);
    let mut args = vec!["LMPOP", "4"];
    args.extend(keys.iter().map(|k| k.as_str()));
    args.extend(["LEFT", "COUNT", "5"]);
    let v: (String, Vec<String>) = q(&mut con, &args);
    assert_eq!(v, (keys[2].clone(), vec!["z".to_string()]));
    let _: () = q(&mut con, &["SET", &keys[0], "str"]);
    let e: redis::RedisResult<Value> = cmd(&args).query(&mut con);
    assert_eq!(e.unwrap_err().code(), Some("WRONGTYPE"));
}
