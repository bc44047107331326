//! Core behaviour through a real client (the `redis` crate) against in-process servers
//! on port 0 with 1, 2 and 4 shards (more shards than the machine's 2 cores): basic
//! commands, pipelines, cross-shard multi-key commands, expiry, and the two properties
//! the architecture promises: cross-shard atomicity (concurrent MSET vs MGET never
//! shows a mix) and agreement with a model under a seeded random workload.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use shoal::config::Config;
use shoal::server::{ServerHandle, start};
use shoal::util::slot::key_shard;

fn server(threads: usize) -> ServerHandle {
    common::client::start_server(threads, &[])
}

fn connect(s: &ServerHandle) -> redis::Connection {
    common::client::connect(s.addr)
}

/// Two keys that live on different shards (for `shards` > 1).
fn keys_on_different_shards(shards: usize, prefix: &str) -> (String, String) {
    let a = format!("{prefix}:0");
    for i in 1..1000 {
        let b = format!("{prefix}:{i}");
        if shards == 1 || key_shard(a.as_bytes(), shards) != key_shard(b.as_bytes(), shards) {
            return (a, b);
        }
    }
    unreachable!("no key on another shard")
}

#[test]
fn basic_commands_on_every_shard_count() {
    for threads in [1, 2, 4] {
        let s = server(threads);
        let mut c = connect(&s);
        let pong: String = redis::cmd("PING").query(&mut c).unwrap();
        assert_eq!(pong, "PONG");
        for i in 0..200 {
            let _: () = redis::cmd("SET")
                .arg(format!("k{i}"))
                .arg(i)
                .query(&mut c)
                .unwrap();
        }
        for i in 0..200 {
            let v: i64 = redis::cmd("GET")
                .arg(format!("k{i}"))
                .query(&mut c)
                .unwrap();
            assert_eq!(v, i);
        }
        let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
        assert_eq!(n, 200, "threads={threads}");
        let keys: Vec<String> = (0..200).map(|i| format!("k{i}")).collect();
        let vals: Vec<i64> = redis::cmd("MGET").arg(&keys).query(&mut c).unwrap();
        assert_eq!(vals, (0..200).collect::<Vec<_>>());
        let deleted: i64 = redis::cmd("DEL").arg(&keys[..100]).query(&mut c).unwrap();
        assert_eq!(deleted, 100);
        let exists: i64 = redis::cmd("EXISTS").arg(&keys).query(&mut c).unwrap();
        assert_eq!(exists, 100);
        s.shutdown();
    }
}

#[test]
fn pipelines_keep_reply_order_across_shards() {
    let s = server(4);
    let mut c = connect(&s);
    let mut pipe = redis::pipe();
    for i in 0..1000 {
        pipe.cmd("SET").arg(format!("p{i}")).arg(i).ignore();
        pipe.cmd("INCR").arg(format!("p{i}"));
        pipe.cmd("PING").ignore();
    }
    let replies: Vec<i64> = pipe.query(&mut c).unwrap();
    assert_eq!(replies, (1..=1000).collect::<Vec<i64>>());
    s.shutdown();
}

#[test]
fn expiry_lazy_and_active() {
    let s = server(2);
    let mut c = connect(&s);
    for i in 0..500 {
        let _: () = redis::cmd("SET")
            .arg(format!("e{i}"))
            .arg("v")
            .arg("PX")
            .arg(50)
            .query(&mut c)
            .unwrap();
    }
    let _: () = redis::cmd("SET")
        .arg("lazy")
        .arg("v")
        .arg("PX")
        .arg(30)
        .query(&mut c)
        .unwrap();
    std::thread::sleep(Duration::from_millis(60));
    let v: Option<String> = redis::cmd("GET").arg("lazy").query(&mut c).unwrap();
    assert_eq!(v, None);
    // The active cycle removes the rest without any access.
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
        if n == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "active expiry left {n} keys");
        std::thread::sleep(Duration::from_millis(50));
    }
    s.shutdown();
}

/// Writers set two keys on different shards to the same value with MSET; readers MGET
/// both and must never see two different values.
#[test]
fn cross_shard_mset_is_atomic_for_mget() {
    for threads in [2, 4] {
        let s = Arc::new(server(threads));
        let (a, b) = keys_on_different_shards(threads, "atomic");
        let stop = Arc::new(AtomicBool::new(false));
        let mut handles = Vec::new();
        for w in 0..3 {
            let (s, a, b, stop) = (s.clone(), a.clone(), b.clone(), stop.clone());
            handles.push(std::thread::spawn(move || {
                let mut c = connect(&s);
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let v = format!("{w}-{i}");
                    let _: () = redis::cmd("MSET")
                        .arg(&a)
                        .arg(&v)
                        .arg(&b)
                        .arg(&v)
                        .query(&mut c)
                        .unwrap();
                    i += 1;
                }
            }));
        }
        let mut readers = Vec::new();
        for _ in 0..3 {
            let (s, a, b) = (s.clone(), a.clone(), b.clone());
            readers.push(std::thread::spawn(move || {
                let mut c = connect(&s);
                let mut checked = 0;
                let started = Instant::now();
                while checked < 3000 && started.elapsed() < Duration::from_secs(20) {
                    let (x, y): (Option<String>, Option<String>) =
                        redis::cmd("MGET").arg(&a).arg(&b).query(&mut c).unwrap();
                    assert_eq!(x, y, "MGET saw half of an MSET");
                    checked += 1;
                }
                checked
            }));
        }
        for r in readers {
            assert!(r.join().expect("reader ok") > 100);
        }
        stop.store(true, Ordering::Relaxed);
        for h in handles {
            h.join().expect("writer ok");
        }
        Arc::try_unwrap(s)
            .ok()
            .expect("all clients gone")
            .shutdown();
    }
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// A seeded random mix of string and keyspace commands, checked reply by reply
/// against a HashMap model. The seed is printed on failure; rerun with SHOAL_SEED.
#[test]
fn random_commands_agree_with_model() {
    let seed = std::env::var("SHOAL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
                | 1
        });
    let s = server(3);
    let mut c = connect(&s);
    let mut rng = Rng(seed);
    let mut model: HashMap<String, Vec<u8>> = HashMap::new();
    for step in 0..4000 {
        let k = format!("m{}", rng.below(40));
        let k2 = format!("m{}", rng.below(40));
        let ctx = format!("seed={seed} step={step}");
        match rng.below(9) {
            0 => {
                let v = format!("v{}", rng.below(1000));
                let _: () = redis::cmd("SET").arg(&k).arg(&v).query(&mut c).unwrap();
                model.insert(k, v.into_bytes());
            }
            1 => {
                let got: Option<Vec<u8>> = redis::cmd("GET").arg(&k).query(&mut c).unwrap();
                assert_eq!(got, model.get(&k).cloned(), "{ctx}");
            }
            2 => {
                let tail = format!("{}", rng.below(100));
                let n: usize = redis::cmd("APPEND")
                    .arg(&k)
                    .arg(&tail)
                    .query(&mut c)
                    .unwrap();
                let e = model.entry(k).or_default();
                e.extend_from_slice(tail.as_bytes());
                assert_eq!(n, e.len(), "{ctx}");
            }
            3 => {
                let r: redis::RedisResult<i64> = redis::cmd("INCRBY")
                    .arg(&k)
                    .arg(rng.below(10) as i64 - 5)
                    .query(&mut c);
                let current = model
                    .get(&k)
                    .map(|v| String::from_utf8_lossy(v).to_string());
                let parsed = current
                    .as_deref()
                    .map(|v| v.parse::<i64>().ok().filter(|n| n.to_string() == v));
                match (parsed, r) {
                    (Some(None), Err(e)) => {
                        assert!(e.to_string().contains("not an integer"), "{ctx}: {e}")
                    }
                    (Some(Some(n)), Ok(got)) => {
                        assert!(got - n <= 5 && n - got <= 5, "{ctx}");
                        model.insert(k, got.to_string().into_bytes());
                    }
                    (None, Ok(got)) => {
                        model.insert(k, got.to_string().into_bytes());
                    }
                    (p, r) => panic!("{ctx}: model {p:?} server {r:?}"),
                }
            }
            4 => {
                let n: i64 = redis::cmd("DEL").arg(&k).arg(&k2).query(&mut c).unwrap();
                let mut expect = model.remove(&k).is_some() as i64;
                if k2 != k {
                    expect += model.remove(&k2).is_some() as i64;
                }
                assert_eq!(n, expect, "{ctx}");
            }
            5 => {
                let n: i64 = redis::cmd("EXISTS").arg(&k).arg(&k2).query(&mut c).unwrap();
                assert_eq!(
                    n,
                    model.contains_key(&k) as i64 + model.contains_key(&k2) as i64,
                    "{ctx}"
                );
            }
            6 => {
                let (v1, v2) = (format!("a{}", rng.below(9)), format!("b{}", rng.below(9)));
                let _: () = redis::cmd("MSET")
                    .arg(&k)
                    .arg(&v1)
                    .arg(&k2)
                    .arg(&v2)
                    .query(&mut c)
                    .unwrap();
                model.insert(k, v1.into_bytes());
                model.insert(k2, v2.into_bytes());
            }
            7 => {
                let got: (Option<Vec<u8>>, Option<Vec<u8>>) =
                    redis::cmd("MGET").arg(&k).arg(&k2).query(&mut c).unwrap();
                assert_eq!(
                    got,
                    (model.get(&k).cloned(), model.get(&k2).cloned()),
                    "{ctx}"
                );
            }
            _ => {
                let n: usize = redis::cmd("STRLEN").arg(&k).query(&mut c).unwrap();
                assert_eq!(n, model.get(&k).map_or(0, |v| v.len()), "{ctx}");
            }
        }
    }
    let n: usize = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, model.len(), "seed={seed}");
    s.shutdown();
}

#[test]
fn port_in_use_fails_to_start() {
    let holder = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = holder.local_addr().unwrap().port().to_string();
    let args: Vec<String> = ["--port", &port, "--threads", "2"]
        .iter()
        .map(|s| s.to_string())
        .collect();
    let err = start(Config::from_args(&args).unwrap().0)
        .err()
        .expect("must not share the port");
    assert!(err.to_string().contains("Address already in use"), "{err}");
}
