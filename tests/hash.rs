//! Hashes through a real client (the `redis` crate) against in-process servers with 4
//! shards: the commands on keys spread over every shard, encoding conversion at the
//! configured thresholds (CONFIG SET reaches every shard), cross-shard multi-key commands
//! over hashes (DEL, EXISTS, RENAME, COPY, MGET), HSCAN's guarantee under concurrent
//! changes, HRANDFIELD's properties, and a seeded random workload checked against a model.

mod common;

use std::collections::{HashMap, HashSet};

use shoal::server::ServerHandle;
use shoal::util::slot::key_shard;

const SHARDS: usize = 4;

fn server() -> ServerHandle {
    common::client::start_server(SHARDS, &[])
}

fn connect(s: &ServerHandle) -> redis::Connection {
    common::client::connect(s.addr)
}

/// One key per shard, named `{prefix}:N`.
fn key_per_shard(prefix: &str) -> Vec<String> {
    let mut found: Vec<Option<String>> = vec![None; SHARDS];
    for i in 0..10_000 {
        let k = format!("{prefix}:{i}");
        let shard = key_shard(k.as_bytes(), SHARDS);
        if found[shard].is_none() {
            found[shard] = Some(k);
        }
        if found.iter().all(Option::is_some) {
            break;
        }
    }
    found
        .into_iter()
        .map(|k| k.expect("a key per shard"))
        .collect()
}

fn encoding(c: &mut redis::Connection, key: &str) -> String {
    redis::cmd("OBJECT")
        .arg("ENCODING")
        .arg(key)
        .query(c)
        .unwrap()
}

fn config_set(c: &mut redis::Connection, name: &str, value: &str) {
    let _: () = redis::cmd("CONFIG")
        .arg("SET")
        .arg(name)
        .arg(value)
        .query(c)
        .unwrap();
}

#[test]
fn commands_on_every_shard() {
    let s = server();
    let mut c = connect(&s);
    for key in key_per_shard("h") {
        let added: i64 = redis::cmd("HSET")
            .arg(&key)
            .arg(&["a", "1", "b", "2", "c", "3"])
            .query(&mut c)
            .unwrap();
        assert_eq!(added, 3);
        let all: HashMap<String, String> = redis::cmd("HGETALL").arg(&key).query(&mut c).unwrap();
        assert_eq!(all.len(), 3);
        assert_eq!(all["b"], "2");
        let v: Option<String> = redis::cmd("HGET").arg(&key).arg("a").query(&mut c).unwrap();
        assert_eq!(v.as_deref(), Some("1"));
        let n: i64 = redis::cmd("HINCRBY")
            .arg(&key)
            .arg("a")
            .arg(41)
            .query(&mut c)
            .unwrap();
        assert_eq!(n, 42);
        let f: String = redis::cmd("HINCRBYFLOAT")
            .arg(&key)
            .arg("b")
            .arg("0.5")
            .query(&mut c)
            .unwrap();
        assert_eq!(f, "2.5");
        let vals: Vec<Option<String>> = redis::cmd("HMGET")
            .arg(&key)
            .arg(&["a", "x", "c"])
            .query(&mut c)
            .unwrap();
        assert_eq!(vals, vec![Some("42".into()), None, Some("3".into())]);
        let keys: Vec<String> = redis::cmd("HKEYS").arg(&key).query(&mut c).unwrap();
        assert_eq!(keys, vec!["a", "b", "c"], "listpack keeps insertion order");
        let deleted: i64 = redis::cmd("HDEL")
            .arg(&key)
            .arg(&["a", "b", "c", "d"])
            .query(&mut c)
            .unwrap();
        assert_eq!(deleted, 3);
        let exists: i64 = redis::cmd("EXISTS").arg(&key).query(&mut c).unwrap();
        assert_eq!(exists, 0, "an emptied hash is deleted");
    }
    s.shutdown();
}

#[test]
fn encoding_converts_at_the_thresholds_on_every_shard() {
    let s = server();
    let mut c = connect(&s);
    config_set(&mut c, "hash-max-listpack-entries", "8");
    config_set(&mut c, "hash-max-listpack-value", "16");
    let keys = key_per_shard("enc");
    for key in &keys {
        for i in 0..8 {
            let _: i64 = redis::cmd("HSET")
                .arg(key)
                .arg(format!("f{i}"))
                .arg("v")
                .query(&mut c)
                .unwrap();
        }
        assert_eq!(encoding(&mut c, key), "listpack", "{key}");
        let _: i64 = redis::cmd("HSET")
            .arg(key)
            .arg("f8")
            .arg("v")
            .query(&mut c)
            .unwrap();
        assert_eq!(encoding(&mut c, key), "hashtable", "{key}");
        // Never back, even when small again.
        let _: i64 = redis::cmd("HDEL")
            .arg(key)
            .arg(&["f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7"])
            .query(&mut c)
            .unwrap();
        assert_eq!(encoding(&mut c, key), "hashtable", "{key}");
    }
    for key in key_per_shard("long") {
        let _: i64 = redis::cmd("HSET")
            .arg(&key)
            .arg("f")
            .arg("x".repeat(16))
            .query(&mut c)
            .unwrap();
        assert_eq!(encoding(&mut c, &key), "listpack");
        let _: i64 = redis::cmd("HSET")
            .arg(&key)
            .arg("g")
            .arg("x".repeat(17))
            .query(&mut c)
            .unwrap();
        assert_eq!(encoding(&mut c, &key), "hashtable");
        let v: String = redis::cmd("HGET").arg(&key).arg("f").query(&mut c).unwrap();
        assert_eq!(v, "x".repeat(16));
    }
    s.shutdown();
}

#[test]
fn cross_shard_multikey_commands_over_hashes() {
    let s = server();
    let mut c = connect(&s);
    config_set(&mut c, "hash-max-listpack-entries", "2");
    let keys = key_per_shard("x");
    for (i, key) in keys.iter().enumerate() {
        // Even keys stay listpack, odd ones become hashtables.
        let fields = if i % 2 == 0 { 2 } else { 3 };
        for f in 0..fields {
            let _: i64 = redis::cmd("HSET")
                .arg(key)
                .arg(format!("f{f}"))
                .arg(format!("{key}-{f}"))
                .query(&mut c)
                .unwrap();
        }
    }
    let exists: i64 = redis::cmd("EXISTS").arg(&keys).query(&mut c).unwrap();
    assert_eq!(exists, SHARDS as i64);
    let strings: Vec<Option<String>> = redis::cmd("MGET").arg(&keys).query(&mut c).unwrap();
    assert!(strings.iter().all(Option::is_none), "MGET of hashes is nil");

    // RENAME and COPY move hashes between shards, keeping contents and encoding.
    let _: () = redis::cmd("RENAME")
        .arg(&keys[0])
        .arg("moved0")
        .query(&mut c)
        .unwrap();
    let _: () = redis::cmd("RENAME")
        .arg(&keys[1])
        .arg("moved1")
        .query(&mut c)
        .unwrap();
    assert_eq!(encoding(&mut c, "moved0"), "listpack");
    assert_eq!(encoding(&mut c, "moved1"), "hashtable");
    let all: HashMap<String, String> = redis::cmd("HGETALL").arg("moved1").query(&mut c).unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all["f2"], format!("{}-2", keys[1]));
    let copied: i64 = redis::cmd("COPY")
        .arg(&keys[3])
        .arg("copy3")
        .query(&mut c)
        .unwrap();
    assert_eq!(copied, 1);
    let _: i64 = redis::cmd("HSET")
        .arg("copy3")
        .arg("extra")
        .arg("1")
        .query(&mut c)
        .unwrap();
    let len: i64 = redis::cmd("HLEN").arg(&keys[3]).query(&mut c).unwrap();
    assert_eq!(len, 3, "a copy is deep");

    let deleted: i64 = redis::cmd("DEL")
        .arg(&["moved0", "moved1", "copy3", &keys[2], &keys[3]])
        .query(&mut c)
        .unwrap();
    assert_eq!(deleted, 5);
    let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
    assert_eq!(n, 0);
    s.shutdown();
}

#[test]
fn hscan_returns_every_stable_field_despite_changes() {
    let s = server();
    let mut c = connect(&s);
    for i in 0..1000 {
        let _: i64 = redis::cmd("HSET")
            .arg("big")
            .arg(format!("stable{i}"))
            .arg(i)
            .query(&mut c)
            .unwrap();
    }
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    let mut seen = HashSet::new();
    let mut cursor = 0u64;
    let mut round = 0;
    loop {
        let (next, items): (u64, Vec<String>) = redis::cmd("HSCAN")
            .arg("big")
            .arg(cursor)
            .arg("COUNT")
            .arg(25)
            .query(&mut c)
            .unwrap();
        for pair in items.chunks(2) {
            seen.insert(pair[0].clone());
        }
        // Churn: add and remove other fields between calls.
        for j in 0..10 {
            let _: i64 = redis::cmd("HSET")
                .arg("big")
                .arg(format!("churn{round}-{j}"))
                .arg(1)
                .query(&mut c)
                .unwrap();
            if round > 0 {
                let _: i64 = redis::cmd("HDEL")
                    .arg("big")
                    .arg(format!("churn{}-{j}", round - 1))
                    .query(&mut c)
                    .unwrap();
            }
        }
        round += 1;
        cursor = next;
        if cursor == 0 {
            break;
        }
        assert!(round < 10_000, "scan does not end");
    }
    for i in 0..1000 {
        assert!(seen.contains(&format!("stable{i}")), "stable{i} missed");
    }
    s.shutdown();
}

#[test]
fn hrandfield_properties() {
    let s = server();
    let mut c = connect(&s);
    for key in ["small", "large"] {
        let n = if key == "small" { 10 } else { 600 };
        for i in 0..n {
            let _: i64 = redis::cmd("HSET")
                .arg(key)
                .arg(format!("f{i}"))
                .arg(format!("v{i}"))
                .query(&mut c)
                .unwrap();
        }
        for count in [1i64, 3, n / 2, n - 1, n, n + 5] {
            let fields: Vec<String> = redis::cmd("HRANDFIELD")
                .arg(key)
                .arg(count)
                .query(&mut c)
                .unwrap();
            let distinct: HashSet<_> = fields.iter().collect();
            assert_eq!(fields.len() as i64, count.min(n), "{key} {count}");
            assert_eq!(distinct.len(), fields.len(), "{key} {count}: distinct");
            let pairs: Vec<String> = redis::cmd("HRANDFIELD")
                .arg(key)
                .arg(-count)
                .arg("WITHVALUES")
                .query(&mut c)
                .unwrap();
            assert_eq!(pairs.len() as i64, 2 * count, "{key} -{count}");
            for p in pairs.chunks(2) {
                assert_eq!(p[1], format!("v{}", &p[0][1..]));
            }
        }
    }
    s.shutdown();
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

#[test]
fn random_workload_matches_a_model() {
    let seed = std::env::var("SHOAL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x0bad_cafe_u64);
    let mut rng = Rng(seed | 1);
    let s = server();
    let mut c = connect(&s);
    config_set(&mut c, "hash-max-listpack-entries", "6");
    let mut model: HashMap<String, HashMap<String, i64>> = HashMap::new();
    for step in 0..3000 {
        let key = format!("m{}", rng.next() % 8);
        let field = format!("f{}", rng.next() % 12);
        let ctx = format!("seed {seed} step {step}");
        match rng.next() % 4 {
            0 | 1 => {
                let v = (rng.next() % 100) as i64;
                let added: i64 = redis::cmd("HSET")
                    .arg(&key)
                    .arg(&field)
                    .arg(v)
                    .query(&mut c)
                    .unwrap();
                let new = model.entry(key.clone()).or_default().insert(field, v);
                assert_eq!(added, new.is_none() as i64, "{ctx}");
            }
            2 => {
                let got: i64 = redis::cmd("HINCRBY")
                    .arg(&key)
                    .arg(&field)
                    .arg(3)
                    .query(&mut c)
                    .unwrap();
                let v = model
                    .entry(key.clone())
                    .or_default()
                    .entry(field)
                    .or_default();
                *v += 3;
                assert_eq!(got, *v, "{ctx}");
            }
            _ => {
                let deleted: i64 = redis::cmd("HDEL")
                    .arg(&key)
                    .arg(&field)
                    .query(&mut c)
                    .unwrap();
                let h = model.entry(key.clone()).or_default();
                assert_eq!(deleted, h.remove(&field).is_some() as i64, "{ctx}");
                if h.is_empty() {
                    model.remove(&key);
                }
            }
        }
        if step % 100 == 99 {
            for (k, want) in &model {
                let got: HashMap<String, i64> = redis::cmd("HGETALL").arg(k).query(&mut c).unwrap();
                assert_eq!(&got, want, "{ctx} key {k}");
            }
            let n: i64 = redis::cmd("DBSIZE").query(&mut c).unwrap();
            assert_eq!(n as usize, model.len(), "{ctx}: empty hashes are deleted");
        }
    }
    s.shutdown();
}
