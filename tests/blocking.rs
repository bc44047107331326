//! Blocking list commands end to end with 4 shards: timeouts (0.01 s), wake-up by a push
//! (served before the pusher's next command), first-come first-served order, exactly one
//! wake-up for a client blocked on keys of several shards, disconnect cleanup, CLIENT
//! UNBLOCK (TIMEOUT and ERROR), BLMOVE across shards, pipelined commands waiting behind
//! a blocked one, and a stress run where every pushed element reaches exactly one
//! blocked client.

mod common;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::{Duration, Instant};

use redis::{Connection, Value};

use common::client::TestServer as Server;

use common::client::cmd;

use common::client::q;

fn blocked_clients(con: &mut Connection) -> usize {
    clients_field(con, "blocked_clients")
}

fn clients_field(con: &mut Connection, name: &str) -> usize {
    let info: String = q(con, &["INFO", "clients"]);
    info.lines()
        .find_map(|l| l.strip_prefix(name)?.strip_prefix(':'))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("{name} in INFO clients"))
}

/// Waits until INFO reports `n` blocked clients.
fn wait_blocked(con: &mut Connection, n: usize) {
    let start = Instant::now();
    while blocked_clients(con) != n {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "never reached {n} blocked"
        );
        thread::sleep(Duration::from_millis(2));
    }
}

use common::client::keys_on_shards;

/// Runs `args` on a fresh connection in a thread; the reply comes back on join.
fn spawn_cmd(server: &Server, args: &[&str]) -> thread::JoinHandle<redis::RedisResult<Value>> {
    let mut con = server.conn();
    let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
    thread::spawn(move || {
        let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
        cmd(&a).query(&mut con)
    })
}

fn pair(v: Value) -> (String, String) {
    redis::from_redis_value(v).unwrap()
}

#[test]
fn short_timeouts_reply_nil() {
    let server = Server::start(4);
    let mut con = server.conn();
    let start = Instant::now();
    let v: Value = q(&mut con, &["BLPOP", "nothing", "other", "0.01"]);
    assert_eq!(v, Value::Nil);
    let v: Value = q(
        &mut con,
        &["BLMOVE", "nothing", "other", "LEFT", "LEFT", "0.01"],
    );
    assert_eq!(v, Value::Nil);
    let v: Value = q(&mut con, &["BLMPOP", "0.01", "2", "x", "y", "LEFT"]);
    assert_eq!(v, Value::Nil);
    assert!(start.elapsed() < Duration::from_secs(2));
    assert_eq!(blocked_clients(&mut con), 0);
    // The connection works normally afterwards.
    assert_eq!(q::<String>(&mut con, &["PING"]), "PONG");
}

#[test]
fn a_push_serves_before_the_pushers_next_command() {
    let server = Server::start(4);
    let mut con = server.conn();
    for key in keys_on_shards("k", 4, 4) {
        let waiter = spawn_cmd(&server, &["BLPOP", &key, "0"]);
        wait_blocked(&mut con, 1);
        assert_eq!(q::<i64>(&mut con, &["RPUSH", &key, "v"]), 1);
        // Already popped for the blocked client.
        assert_eq!(q::<i64>(&mut con, &["LLEN", &key]), 0);
        assert_eq!(
            pair(waiter.join().unwrap().unwrap()),
            (key.clone(), "v".into())
        );
        wait_blocked(&mut con, 0);
    }
}

#[test]
fn clients_on_one_key_are_served_in_arrival_order() {
    let server = Server::start(4);
    let mut con = server.conn();
    let mut waiters = Vec::new();
    for i in 0..4 {
        waiters.push(spawn_cmd(&server, &["BRPOP", "fifo", "0"]));
        wait_blocked(&mut con, i + 1);
    }
    let _: i64 = q(&mut con, &["LPUSH", "fifo", "a", "b", "c", "d"]);
    let got: Vec<String> = waiters
        .into_iter()
        .map(|w| pair(w.join().unwrap().unwrap()).1)
        .collect();
    assert_eq!(got, ["a", "b", "c", "d"]);
    assert_eq!(q::<i64>(&mut con, &["EXISTS", "fifo"]), 0);
}

#[test]
fn a_client_blocked_on_several_shards_is_served_once() {
    let server = Server::start(4);
    let mut con = server.conn();
    let keys = keys_on_shards("multi", 4, 4);
    for round in 0..20 {
        let mut args = vec!["BLPOP"];
        args.extend(keys.iter().map(|k| k.as_str()));
        args.push("0");
        let waiter = spawn_cmd(&server, &args);
        wait_blocked(&mut con, 1);
        // Push to every shard at once from several clients.
        let pushers: Vec<_> = keys
            .iter()
            .map(|k| spawn_cmd(&server, &["RPUSH", k, &format!("r{round}")]))
            .collect();
        for p in pushers {
            p.join().unwrap().unwrap();
        }
        let (key, value) = pair(waiter.join().unwrap().unwrap());
        assert!(keys.contains(&key));
        assert_eq!(value, format!("r{round}"));
        let left: i64 = keys.iter().map(|k| q::<i64>(&mut con, &["LLEN", k])).sum();
        assert_eq!(left, 3, "round {round}: served more or less than once");
        wait_blocked(&mut con, 0);
        for k in &keys {
            let _: i64 = q(&mut con, &["DEL", k]);
        }
    }
}

#[test]
fn a_disconnected_client_leaves_nothing_behind() {
    let server = Server::start(4);
    let mut con = server.conn();
    let keys = keys_on_shards("gone", 4, 2);
    {
        let mut raw = TcpStream::connect(server.addr()).unwrap();
        raw.write_all(format!("BLPOP {} {} 0\r\n", keys[0], keys[1]).as_bytes())
            .unwrap();
        wait_blocked(&mut con, 1);
    }
    wait_blocked(&mut con, 0);
    let _: i64 = q(&mut con, &["RPUSH", &keys[0], "kept"]);
    let _: i64 = q(&mut con, &["RPUSH", &keys[1], "kept"]);
    assert_eq!(q::<i64>(&mut con, &["LLEN", &keys[0]]), 1);
    assert_eq!(q::<i64>(&mut con, &["LLEN", &keys[1]]), 1);
}

#[test]
fn client_unblock_timeout_and_error() {
    let server = Server::start(4);
    let mut con = server.conn();
    for (mode, want_error) in [("TIMEOUT", false), ("ERROR", true), ("", false)] {
        let mut blocked = server.conn();
        let id: i64 = q(&mut blocked, &["CLIENT", "ID"]);
        let waiter = thread::spawn(move || {
            let r: redis::RedisResult<Value> = cmd(&["BLPOP", "ub", "0"]).query(&mut blocked);
            r
        });
        wait_blocked(&mut con, 1);
        let id = id.to_string();
        let mut args = vec!["CLIENT", "UNBLOCK", id.as_str()];
        if !mode.is_empty() {
            args.push(mode);
        }
        assert_eq!(q::<i64>(&mut con, &args), 1);
        let r = waiter.join().unwrap();
        if want_error {
            let e = r.unwrap_err();
            assert_eq!(e.code(), Some("UNBLOCKED"), "{e}");
        } else {
            assert_eq!(r.unwrap(), Value::Nil);
        }
        wait_blocked(&mut con, 0);
        assert_eq!(q::<i64>(&mut con, &["CLIENT", "UNBLOCK", &id]), 0);
    }
}

#[test]
fn blmove_across_shards_stays_atomic() {
    let server = Server::start(4);
    let mut con = server.conn();
    let keys = keys_on_shards("mv", 4, 2);
    let (src, dst) = (&keys[0], &keys[1]);
    for i in 0..10 {
        let waiter = spawn_cmd(&server, &["BLMOVE", src, dst, "LEFT", "RIGHT", "0"]);
        wait_blocked(&mut con, 1);
        let _: i64 = q(&mut con, &["RPUSH", src, &format!("x{i}")]);
        let v: String = redis::from_redis_value(waiter.join().unwrap().unwrap()).unwrap();
        assert_eq!(v, format!("x{i}"));
        wait_blocked(&mut con, 0);
    }
    assert_eq!(q::<i64>(&mut con, &["EXISTS", src]), 0);
    let moved: Vec<String> = q(&mut con, &["LRANGE", dst, "0", "-1"]);
    assert_eq!(moved, (0..10).map(|i| format!("x{i}")).collect::<Vec<_>>());
    // Same shard: BRPOPLPUSH served on the shard.
    let waiter = spawn_cmd(&server, &["BRPOPLPUSH", "{t}s", "{t}d", "0"]);
    wait_blocked(&mut con, 1);
    let _: i64 = q(&mut con, &["RPUSH", "{t}s", "a", "b"]);
    let v: String = redis::from_redis_value(waiter.join().unwrap().unwrap()).unwrap();
    assert_eq!(v, "b");
    let d: Vec<String> = q(&mut con, &["LRANGE", "{t}d", "0", "-1"]);
    assert_eq!(d, ["b"]);
}

#[test]
fn a_cross_shard_move_wakes_the_destinations_waiter_after_it_completes() {
    let server = Server::start(4);
    let mut con = server.conn();
    let keys = keys_on_shards("cm", 4, 2);
    let waiter = spawn_cmd(
        &server,
        &["BLMPOP", "0", "1", &keys[1], "LEFT", "COUNT", "5"],
    );
    wait_blocked(&mut con, 1);
    let _: i64 = q(&mut con, &["RPUSH", &keys[0], "e"]);
    let _: String = q(&mut con, &["LMOVE", &keys[0], &keys[1], "LEFT", "LEFT"]);
    let (key, items): (String, Vec<String>) =
        redis::from_redis_value(waiter.join().unwrap().unwrap()).unwrap();
    assert_eq!((key, items), (keys[1].clone(), vec!["e".to_string()]));
    assert_eq!(q::<i64>(&mut con, &["EXISTS", &keys[0], &keys[1]]), 0);
}

#[test]
fn pipelined_commands_wait_behind_a_blocked_one() {
    let server = Server::start(4);
    let mut con = server.conn();
    let mut raw = TcpStream::connect(server.addr()).unwrap();
    raw.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    raw.write_all(b"BLPOP pipe 0\r\nPING\r\nLLEN pipe\r\n")
        .unwrap();
    wait_blocked(&mut con, 1);
    let _: i64 = q(&mut con, &["RPUSH", "pipe", "v1", "v2"]);
    let want = b"*2\r\n$4\r\npipe\r\n$2\r\nv1\r\n+PONG\r\n:1\r\n";
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while got.len() < want.len() {
        let n = raw.read(&mut buf).unwrap();
        assert!(n > 0);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(String::from_utf8_lossy(&got), String::from_utf8_lossy(want));
}

#[test]
fn every_pushed_element_reaches_exactly_one_client() {
    let server = Server::start(4);
    let keys = keys_on_shards("st", 4, 4);
    const CLIENTS: usize = 8;
    const PER_CLIENT: usize = 25;
    let consumers: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let mut con = server.conn();
            let keys = keys.clone();
            thread::spawn(move || {
                let mut got = Vec::new();
                for i in 0..PER_CLIENT {
                    // Each consumer waits on every key, in a rotating order.
                    let k: Vec<&str> = (0..4).map(|j| keys[(c + i + j) % 4].as_str()).collect();
                    let v: Value = q(&mut con, &["BLPOP", k[0], k[1], k[2], k[3], "5"]);
                    match v {
                        Value::Nil => {}
                        v => got.push(pair(v).1),
                    }
                }
                got
            })
        })
        .collect();
    let mut con = server.conn();
    let total = CLIENTS * PER_CLIENT;
    for i in 0..total {
        let _: i64 = q(&mut con, &["RPUSH", &keys[i % 4], &format!("e{i}")]);
    }
    let mut seen = HashSet::new();
    for c in consumers {
        for e in c.join().unwrap() {
            assert!(seen.insert(e.clone()), "{e} delivered twice");
        }
    }
    let left: i64 = keys.iter().map(|k| q::<i64>(&mut con, &["LLEN", k])).sum();
    assert_eq!(left, 0);
    assert_eq!(seen.len(), total, "elements lost");
    wait_blocked(&mut con, 0);
}

#[test]
fn rename_onto_a_blocked_key_serves_it() {
    let server = Server::start(4);
    let mut con = server.conn();
    let keys = keys_on_shards("rn", 4, 2);
    for (src, dst) in [
        (keys[0].clone(), keys[1].clone()),
        ("{r}a".to_string(), "{r}b".to_string()),
    ] {
        let waiter = spawn_cmd(&server, &["BLPOP", &dst, "0"]);
        wait_blocked(&mut con, 1);
        let _: i64 = q(&mut con, &["RPUSH", &src, "x", "y"]);
        let _: String = q(&mut con, &["RENAME", &src, &dst]);
        assert_eq!(
            pair(waiter.join().unwrap().unwrap()),
            (dst.clone(), "x".into())
        );
        let rest: Vec<String> = q(&mut con, &["LRANGE", &dst, "0", "-1"]);
        assert_eq!(rest, ["y"]);
        wait_blocked(&mut con, 0);
    }
}

#[test]
fn client_kill_ends_a_blocked_client() {
    let server = Server::start(4);
    let mut con = server.conn();
    let mut blocked = server.conn();
    let id: i64 = q(&mut blocked, &["CLIENT", "ID"]);
    let waiter = thread::spawn(move || {
        let r: redis::RedisResult<Value> = cmd(&["BLPOP", "killed", "0"]).query(&mut blocked);
        r
    });
    wait_blocked(&mut con, 1);
    let list: String = q(&mut con, &["CLIENT", "LIST", "ID", &id.to_string()]);
    assert!(
        list.contains(" flags=b ") && list.contains(" cmd=blpop "),
        "{list}"
    );
    let killed: i64 = q(&mut con, &["CLIENT", "KILL", "ID", &id.to_string()]);
    assert_eq!(killed, 1);
    assert!(waiter.join().unwrap().is_err());
    wait_blocked(&mut con, 0);
    let _: i64 = q(&mut con, &["RPUSH", "killed", "v"]);
    assert_eq!(q::<i64>(&mut con, &["LLEN", "killed"]), 1);
}

#[test]
fn racing_blmove_clients_across_shards_move_each_element_once() {
    let server = Server::start(4);
    let keys = keys_on_shards("race", 4, 2);
    const CLIENTS: usize = 4;
    const EACH: usize = 10;
    let movers: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let mut con = server.conn();
            let (src, dst) = (keys[0].clone(), keys[1].clone());
            thread::spawn(move || {
                let mut got = 0;
                for _ in 0..EACH {
                    let v: Value = q(&mut con, &["BLMOVE", &src, &dst, "LEFT", "RIGHT", "5"]);
                    if v != Value::Nil {
                        got += 1;
                    }
                }
                got
            })
        })
        .collect();
    let mut con = server.conn();
    for i in 0..CLIENTS * EACH {
        let _: i64 = q(&mut con, &["RPUSH", &keys[0], &format!("m{i}")]);
    }
    let moved: usize = movers.into_iter().map(|m| m.join().unwrap()).sum();
    let dst: Vec<String> = q(&mut con, &["LRANGE", &keys[1], "0", "-1"]);
    let src_left: i64 = q(&mut con, &["LLEN", &keys[0]]);
    assert_eq!(dst.len(), moved);
    assert_eq!(
        dst.iter().collect::<HashSet<_>>().len(),
        dst.len(),
        "duplicates"
    );
    assert_eq!(moved + src_left as usize, CLIENTS * EACH);
    wait_blocked(&mut con, 0);
}

// ---- sorted sets ----------------------------------------------------------------------

#[test]
fn bzpop_serves_from_any_shard_once_and_times_out() {
    let server = Server::start(4);
    let mut con = server.conn();
    let keys = keys_on_shards("zk", 4, 4);
    let v: Value = q(&mut con, &["BZPOPMIN", &keys[0], &keys[1], "0.01"]);
    assert_eq!(v, Value::Nil);
    let v: Value = q(
        &mut con,
        &["BZMPOP", "0.01", "2", &keys[0], &keys[1], "MIN"],
    );
    assert_eq!(v, Value::Nil);
    for (round, key) in keys.iter().enumerate() {
        let mut args = vec!["BZPOPMAX"];
        args.extend(keys.iter().map(|k| k.as_str()));
        args.push("0");
        let waiter = spawn_cmd(&server, &args);
        wait_blocked(&mut con, 1);
        let _: i64 = q(&mut con, &["ZADD", key, "1", "low", "2", "high"]);
        // Served right after the ZADD, before this connection's next command.
        assert_eq!(q::<i64>(&mut con, &["ZCARD", key]), 1, "round {round}");
        let (k, member, score): (String, String, String) =
            redis::from_redis_value(waiter.join().unwrap().unwrap()).unwrap();
        assert_eq!(
            (k.as_str(), member.as_str(), score.as_str()),
            (key.as_str(), "high", "2")
        );
        wait_blocked(&mut con, 0);
        let _: i64 = q(&mut con, &["DEL", key]);
    }
    // BZMPOP with COUNT pops several members of the key that got them.
    let waiter = spawn_cmd(
        &server,
        &["BZMPOP", "0", "2", &keys[2], &keys[3], "MIN", "COUNT", "5"],
    );
    wait_blocked(&mut con, 1);
    let _: i64 = q(&mut con, &["ZADD", &keys[3], "3", "c", "1", "a", "2", "b"]);
    let (k, popped): (String, Vec<(String, f64)>) =
        redis::from_redis_value(waiter.join().unwrap().unwrap()).unwrap();
    assert_eq!(k, keys[3]);
    assert_eq!(
        popped,
        vec![("a".into(), 1.0), ("b".into(), 2.0), ("c".into(), 3.0)]
    );
    assert_eq!(q::<i64>(&mut con, &["EXISTS", &keys[3]]), 0);
}

#[test]
fn bzpopmin_waiters_are_served_in_arrival_order() {
    let server = Server::start(4);
    let mut con = server.conn();
    let mut waiters = Vec::new();
    for i in 0..3 {
        waiters.push(spawn_cmd(&server, &["BZPOPMIN", "zfifo", "0"]));
        wait_blocked(&mut con, i + 1);
    }
    let _: i64 = q(&mut con, &["ZADD", "zfifo", "1", "a", "2", "b", "3", "c"]);
    let got: Vec<String> = waiters
        .into_iter()
        .map(|w| {
            let (_, m, _): (String, String, String) =
                redis::from_redis_value(w.join().unwrap().unwrap()).unwrap();
            m
        })
        .collect();
    assert_eq!(got, ["a", "b", "c"]);
}

/// SWAPDB serves clients blocked in either database when the other one holds their
/// keys (Redis scans both databases for ready keys), on every shard.
#[test]
fn swapdb_serves_clients_blocked_in_either_database() {
    let server = Server::start(4);
    let mut con = server.conn();
    let keys = keys_on_shards("swap", 4, 4);
    let waiters: Vec<_> = keys
        .iter()
        .enumerate()
        .map(|(i, key)| {
            let w = spawn_cmd(&server, &["BLPOP", key, "0"]);
            wait_blocked(&mut con, i + 1);
            w
        })
        .collect();
    let _: () = q(&mut con, &["SELECT", "1"]);
    for key in &keys {
        assert_eq!(q::<i64>(&mut con, &["RPUSH", key, "v"]), 1);
    }
    assert_eq!(blocked_clients(&mut con), 4);
    let _: () = q(&mut con, &["SWAPDB", "0", "1"]);
    for (key, w) in keys.iter().zip(waiters) {
        assert_eq!(pair(w.join().unwrap().unwrap()), (key.clone(), "v".into()));
    }
    // Served from database 0 (formerly 1); database 1 holds what 0 held: nothing.
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 0);
    let _: () = q(&mut con, &["SELECT", "0"]);
    assert_eq!(q::<i64>(&mut con, &["DBSIZE"]), 0);
}

/// Only clients blocked with a timeout are in Redis's timeout table.
#[test]
fn clients_in_timeout_table_counts_blocked_clients_with_a_deadline() {
    let server = Server::start(4);
    let mut con = server.conn();
    let forever = spawn_cmd(&server, &["BLPOP", "t1", "0"]);
    wait_blocked(&mut con, 1);
    assert_eq!(clients_field(&mut con, "clients_in_timeout_table"), 0);
    let bounded = spawn_cmd(&server, &["BLPOP", "t2", "100"]);
    wait_blocked(&mut con, 2);
    assert_eq!(clients_field(&mut con, "clients_in_timeout_table"), 1);
    let _: i64 = q(&mut con, &["RPUSH", "t2", "v"]);
    bounded.join().unwrap().unwrap();
    wait_blocked(&mut con, 1);
    assert_eq!(clients_field(&mut con, "clients_in_timeout_table"), 0);
    let _: i64 = q(&mut con, &["RPUSH", "t1", "v"]);
    forever.join().unwrap().unwrap();
}
