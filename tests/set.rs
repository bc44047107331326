//! Set commands end to end through the `redis` crate against an in-process server with
//! 4 shards: encoding conversions at `set-max-intset-entries`, SINTERSTORE /
//! SUNIONSTORE / SDIFFSTORE / SINTERCARD / SMOVE over keys on different shards against
//! a `std` model, atomicity of cross-shard SMOVE and *STORE under concurrent writers,
//! SPOP / SRANDMEMBER distributions, and a full SSCAN while the set changes.
//!
//! A randomized differential test runs the same random set commands against a private
//! `redis-server` and shoal (4 shards) and compares every reply (unordered replies
//! sorted). Randomized tests take `SHOAL_SEED` (or pick one) and print it when they fail.

mod common;

use std::collections::{BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use redis::{Connection, RedisResult, Value};
use shoal::util::slot::key_shard;

const SHARDS: usize = 4;

use common::client::TestServer as Server;

use common::client::cmd;

fn q<T: redis::FromRedisValue, S: AsRef<str> + std::fmt::Debug>(
    con: &mut Connection,
    args: &[S],
) -> T {
    cmd(args)
        .query(con)
        .unwrap_or_else(|e| panic!("{args:?}: {e}"))
}

fn int<S: AsRef<str> + std::fmt::Debug>(con: &mut Connection, args: &[S]) -> i64 {
    q(con, args)
}

fn members<S: AsRef<str> + std::fmt::Debug>(con: &mut Connection, args: &[S]) -> BTreeSet<String> {
    q::<Vec<String>, _>(con, args).into_iter().collect()
}

fn encoding(con: &mut Connection, key: &str) -> String {
    q(con, &["OBJECT", "ENCODING", key])
}

/// `count` keys named `prefix:N`, each on a different shard while shards last.
fn keys_on_shards(prefix: &str, count: usize) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut used = HashSet::new();
    for i in 0.. {
        let k = format!("{prefix}:{i}");
        let shard = key_shard(k.as_bytes(), SHARDS);
        if used.len() < SHARDS.min(count) && !used.insert(shard) {
            continue;
        }
        out.push(k);
        if out.len() == count {
            break;
        }
    }
    out
}

use common::client::seed;

use common::client::next_random;

fn with_seed(name: &str, f: impl FnOnce(u64) + std::panic::UnwindSafe) {
    let seed = seed();
    if let Err(e) = std::panic::catch_unwind(move || f(seed)) {
        eprintln!("{name} failed with SHOAL_SEED={seed}");
        std::panic::resume_unwind(e);
    }
}

// ---- encodings --------------------------------------------------------------------------

#[test]
fn encodings_convert_at_the_configured_limit() {
    let s = Server::start(SHARDS);
    let mut c = s.conn();
    let _: () = q(&mut c, &["CONFIG", "SET", "set-max-intset-entries", "8"]);
    let keys = keys_on_shards("enc", 4);
    for k in &keys {
        for i in 0..8 {
            int(&mut c, &["SADD", k, &i.to_string()]);
        }
        assert_eq!(encoding(&mut c, k), "intset", "{k}");
        int(&mut c, &["SADD", k, "8"]);
        assert_eq!(encoding(&mut c, k), "hashtable", "{k}");
        int(&mut c, &["SREM", k, "8", "7"]);
        assert_eq!(encoding(&mut c, k), "hashtable", "never back: {k}");
    }
    // Fresh *STORE results are intsets when they can be, even from hashtables.
    let (a, b, d) = (&keys[0], &keys[1], &keys[2]);
    assert_eq!(int(&mut c, &["SINTERSTORE", d, a, b]), 7);
    assert_eq!(encoding(&mut c, d), "intset");
    assert_eq!(int(&mut c, &["SUNIONSTORE", d, a, b]), 7);
    assert_eq!(encoding(&mut c, d), "intset");
    int(&mut c, &["SADD", a, "x"]);
    assert_eq!(int(&mut c, &["SDIFFSTORE", d, a, b]), 1);
    assert_eq!(encoding(&mut c, d), "hashtable");
    // A non-integer member converts at once; so does a string moved in by SMOVE.
    let (src, dst) = (&keys[2], &keys[3]);
    int(&mut c, &["DEL", src, dst]);
    int(&mut c, &["SADD", src, "word"]);
    int(&mut c, &["SADD", dst, "1"]);
    assert_eq!(int(&mut c, &["SMOVE", src, dst, "word"]), 1);
    assert_eq!(encoding(&mut c, dst), "hashtable");
    assert_eq!(int(&mut c, &["EXISTS", src]), 0);
    // A bigger limit does not convert back; ascending order while intset.
    let _: () = q(&mut c, &["CONFIG", "SET", "set-max-intset-entries", "512"]);
    int(&mut c, &["SADD", "asc", "30", "-2", "10"]);
    let got: Vec<String> = q(&mut c, &["SMEMBERS", "asc"]);
    assert_eq!(got, ["-2", "10", "30"]);
}

// ---- cross-shard algebra against a model ------------------------------------------------

#[test]
fn cross_shard_algebra_matches_a_model() {
    with_seed("cross_shard_algebra_matches_a_model", |seed| {
        let s = Server::start(SHARDS);
        let mut c = s.conn();
        let mut state = seed | 1;
        let keys = keys_on_shards("alg", 6);
        for round in 0..60 {
            let mut model: HashMap<String, HashSet<String>> = HashMap::new();
            let _: () = q(&mut c, &["FLUSHALL"]);
            for k in &keys {
                if next_random(&mut state).is_multiple_of(5) {
                    continue;
                }
                let n = 1 + next_random(&mut state) % 12;
                let mut args = vec!["SADD".to_string(), k.clone()];
                for _ in 0..n {
                    let m = match next_random(&mut state) % 3 {
                        0 => format!("m{}", next_random(&mut state) % 10),
                        _ => (next_random(&mut state) % 15).to_string(),
                    };
                    model.entry(k.clone()).or_default().insert(m.clone());
                    args.push(m);
                }
                int(&mut c, &args);
            }
            let pick =
                |state: &mut u64| keys[(next_random(state) % keys.len() as u64) as usize].clone();
            let sources: Vec<String> = (0..1 + next_random(&mut state) % 4)
                .map(|_| pick(&mut state))
                .collect();
            let dest = pick(&mut state);
            let get = |k: &String| model.get(k).cloned().unwrap_or_default();
            let mut inter = get(&sources[0]);
            let mut union = HashSet::new();
            let mut diff = get(&sources[0]);
            for (i, k) in sources.iter().enumerate() {
                let m = get(k);
                inter.retain(|x| m.contains(x));
                union.extend(m.iter().cloned());
                if i > 0 {
                    diff.retain(|x| !m.contains(x));
                }
            }
            let sorted = |s: &HashSet<String>| s.iter().cloned().collect::<BTreeSet<_>>();
            let ctx = format!("round {round} sources {sources:?} dest {dest}");
            let with = |name: &str, dest: Option<&String>| {
                let mut v = vec![name.to_string()];
                v.extend(dest.cloned());
                v.extend(sources.iter().cloned());
                v
            };
            assert_eq!(
                members(&mut c, &with("SINTER", None)),
                sorted(&inter),
                "{ctx}"
            );
            assert_eq!(
                members(&mut c, &with("SUNION", None)),
                sorted(&union),
                "{ctx}"
            );
            assert_eq!(
                members(&mut c, &with("SDIFF", None)),
                sorted(&diff),
                "{ctx}"
            );
            let mut card = vec!["SINTERCARD".to_string(), sources.len().to_string()];
            card.extend(sources.iter().cloned());
            assert_eq!(int(&mut c, &card) as usize, inter.len(), "{ctx}");
            card.extend(["LIMIT".to_string(), "2".to_string()]);
            assert_eq!(int(&mut c, &card) as usize, inter.len().min(2), "{ctx}");
            let (op, want) = match round % 3 {
                0 => ("SINTERSTORE", &inter),
                1 => ("SUNIONSTORE", &union),
                _ => ("SDIFFSTORE", &diff),
            };
            assert_eq!(
                int(&mut c, &with(op, Some(&dest))) as usize,
                want.len(),
                "{ctx}"
            );
            assert_eq!(members(&mut c, &["SMEMBERS", &dest]), sorted(want), "{ctx}");
            assert_eq!(
                int(&mut c, &["EXISTS", &dest]),
                !want.is_empty() as i64,
                "{ctx}"
            );
        }
    });
}

#[test]
fn cross_shard_errors_and_smove() {
    let s = Server::start(SHARDS);
    let mut c = s.conn();
    let keys = keys_on_shards("err", 3);
    let (a, b, str_key) = (&keys[0], &keys[1], &keys[2]);
    int(&mut c, &["SADD", a, "1", "x"]);
    let _: () = q(&mut c, &["SET", str_key, "v"]);
    for args in [
        vec!["SINTER", a, str_key],
        vec!["SUNION", str_key, a],
        vec!["SDIFF", b, str_key],
        vec!["SINTERSTORE", b, a, str_key],
        vec!["SINTERCARD", "2", a, str_key],
        vec!["SMOVE", str_key, a, "1"],
        vec!["SMOVE", a, str_key, "1"],
    ] {
        let r: RedisResult<Value> = cmd(&args).query(&mut c);
        let e = r.expect_err("wrong type");
        assert_eq!(e.code(), Some("WRONGTYPE"), "{args:?}");
    }
    assert_eq!(
        int(&mut c, &["EXISTS", b]),
        0,
        "failed store writes nothing"
    );
    assert_eq!(
        int(&mut c, &["SCARD", a]),
        2,
        "failed smove removes nothing"
    );
    assert_eq!(
        int(&mut c, &["SMOVE", b, str_key, "1"]),
        0,
        "missing source first"
    );
    assert_eq!(int(&mut c, &["SMOVE", a, b, "nope"]), 0);
    assert_eq!(int(&mut c, &["SMOVE", a, b, "1"]), 1);
    assert_eq!(int(&mut c, &["SMOVE", a, b, "x"]), 1);
    assert_eq!(int(&mut c, &["EXISTS", a]), 0);
    assert_eq!(
        members(&mut c, &["SMEMBERS", b]),
        ["1", "x"].map(String::from).into()
    );
    let r: RedisResult<Value> = cmd(&["SINTERCARD", "2", a, b, "LIMIT", "-1"]).query(&mut c);
    assert_eq!(r.unwrap_err().detail(), Some("LIMIT can't be negative"));
}

// ---- atomicity --------------------------------------------------------------------------

/// Movers SMOVE tokens between sets on different shards and rebuild a copy with
/// SUNIONSTORE; readers must always see every token exactly once.
#[test]
fn concurrent_smoves_are_atomic() {
    with_seed("concurrent_smoves_are_atomic", |seed| {
        let s = Server::start(SHARDS);
        let keys = keys_on_shards("race", 4);
        let copy = keys_on_shards("copy", 1).remove(0);
        const TOKENS: usize = 20;
        let mut c = s.conn();
        for t in 0..TOKENS {
            int(&mut c, &["SADD", &keys[t % keys.len()], &format!("t{t}")]);
        }
        let stop = Arc::new(AtomicBool::new(false));
        let mut workers = Vec::new();
        for w in 0..3u64 {
            let (stop, mut con, keys, copy) = (stop.clone(), s.conn(), keys.clone(), copy.clone());
            let mut state = seed.wrapping_add(w.wrapping_mul(0x9E37_79B9_7F4A_7C15)) | 1;
            workers.push(std::thread::spawn(move || {
                let mut moved = 0;
                while !stop.load(Ordering::Relaxed) {
                    let from = &keys[(next_random(&mut state) % 4) as usize];
                    let to = &keys[(next_random(&mut state) % 4) as usize];
                    let token = format!("t{}", next_random(&mut state) % TOKENS as u64);
                    moved += int(&mut con, &["SMOVE", from, to, &token]);
                    if next_random(&mut state).is_multiple_of(8) {
                        let mut args = vec!["SUNIONSTORE", copy.as_str()];
                        args.extend(keys.iter().map(|k| k.as_str()));
                        assert_eq!(int(&mut con, &args), TOKENS as i64);
                    }
                }
                moved
            }));
        }
        let mut readers = Vec::new();
        for kind in 0..3 {
            let (stop, mut con, keys, copy) = (stop.clone(), s.conn(), keys.clone(), copy.clone());
            readers.push(std::thread::spawn(move || {
                let mut checks = 0i64;
                let all: Vec<&str> = keys.iter().map(|k| k.as_str()).collect();
                while !stop.load(Ordering::Relaxed) {
                    match kind {
                        0 => {
                            let mut args = vec!["SUNION"];
                            args.extend(&all);
                            let got: Vec<String> = q(&mut con, &args);
                            assert_eq!(got.len(), TOKENS, "{got:?}");
                        }
                        1 => {
                            // No token is ever in two sets.
                            for i in 0..all.len() {
                                for j in i + 1..all.len() {
                                    let n = int(&mut con, &["SINTERCARD", "2", all[i], all[j]]);
                                    assert_eq!(n, 0);
                                }
                            }
                        }
                        _ => {
                            let n = int(&mut con, &["SCARD", &copy]);
                            assert!(n == 0 || n == TOKENS as i64, "copy has {n}");
                        }
                    }
                    checks += 1;
                }
                checks
            }));
        }
        let started = Instant::now();
        while started.elapsed() < Duration::from_millis(1000) {
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
        let moved: i64 = workers.into_iter().map(|t| t.join().unwrap()).sum();
        let checks: i64 = readers.into_iter().map(|t| t.join().unwrap()).sum();
        assert!(moved > 0 && checks > 0, "moved {moved} checks {checks}");
        let total: i64 = keys.iter().map(|k| int(&mut c, &["SCARD", k])).sum();
        assert_eq!(total, TOKENS as i64);
    });
}

// ---- randomness ---------------------------------------------------------------------------

fn check_uniform(counts: &HashMap<String, u64>, members_count: usize, draws: u64, what: &str) {
    assert_eq!(counts.len(), members_count, "{what}: {counts:?}");
    let expected = draws as f64 / members_count as f64;
    for (m, &n) in counts {
        let ratio = n as f64 / expected;
        assert!(
            (0.75..1.25).contains(&ratio),
            "{what}: {m} drawn {n} times, expected {expected}"
        );
    }
}

#[test]
fn spop_and_srandmember_are_roughly_uniform() {
    let s = Server::start(SHARDS);
    let mut c = s.conn();
    for (key, members_list) in [
        ("ints", (0..10).map(|i| i.to_string()).collect::<Vec<_>>()),
        (
            "words",
            (0..10).map(|i| format!("w{i}")).collect::<Vec<_>>(),
        ),
    ] {
        let mut args = vec!["SADD".to_string(), key.to_string()];
        args.extend(members_list.iter().cloned());
        int(&mut c, &args);
        let mut counts: HashMap<String, u64> = HashMap::new();
        for _ in 0..5000 {
            let m: String = q(&mut c, &["SRANDMEMBER", key]);
            *counts.entry(m).or_default() += 1;
        }
        check_uniform(&counts, 10, 5000, "SRANDMEMBER");
        counts.clear();
        let many: Vec<String> = q(&mut c, &["SRANDMEMBER", key, "-20000"]);
        assert_eq!(many.len(), 20000);
        for m in many {
            *counts.entry(m).or_default() += 1;
        }
        check_uniform(&counts, 10, 20000, "SRANDMEMBER -N");
        counts.clear();
        for _ in 0..2000 {
            let distinct: Vec<String> = q(&mut c, &["SRANDMEMBER", key, "3"]);
            let set: HashSet<&String> = distinct.iter().collect();
            assert_eq!(set.len(), 3, "{distinct:?}");
            for m in distinct {
                *counts.entry(m).or_default() += 1;
            }
        }
        check_uniform(&counts, 10, 6000, "SRANDMEMBER 3");
        counts.clear();
        for _ in 0..3000 {
            let m: String = q(&mut c, &["SPOP", key]);
            *counts.entry(m.clone()).or_default() += 1;
            int(&mut c, &["SADD", key, &m]);
        }
        check_uniform(&counts, 10, 3000, "SPOP");
        let popped: Vec<String> = q(&mut c, &["SPOP", key, "4"]);
        let set: HashSet<&String> = popped.iter().collect();
        assert_eq!(set.len(), 4);
        assert_eq!(int(&mut c, &["SCARD", key]), 6);
        let rest: Vec<String> = q(&mut c, &["SPOP", key, "5"]);
        assert_eq!(rest.len(), 5);
        assert_eq!(int(&mut c, &["SCARD", key]), 1);
    }
}

// ---- SSCAN --------------------------------------------------------------------------------

#[test]
fn sscan_returns_every_stable_member_while_the_set_changes() {
    let s = Server::start(SHARDS);
    let mut c = s.conn();
    let mut args = vec!["SADD".to_string(), "big".to_string()];
    args.extend((0..2000).map(|i| format!("m{i}")));
    int(&mut c, &args);
    assert_eq!(encoding(&mut c, "big"), "hashtable");
    let mut seen = HashSet::new();
    let mut cursor = "0".to_string();
    let mut calls = 0;
    let mut next_new = 0;
    loop {
        let (next, got): (String, Vec<String>) =
            q(&mut c, &["SSCAN", "big", &cursor, "COUNT", "50"]);
        seen.extend(got);
        calls += 1;
        // Churn: members n* come and go; m* stay for the whole walk.
        int(
            &mut c,
            &[
                "SADD",
                "big",
                &format!("n{next_new}"),
                &format!("n{}", next_new + 1),
            ],
        );
        int(&mut c, &["SREM", "big", &format!("n{}", next_new / 2)]);
        next_new += 2;
        cursor = next;
        if cursor == "0" {
            break;
        }
        assert!(calls < 1000, "sscan does not end");
    }
    for i in 0..2000 {
        assert!(seen.contains(&format!("m{i}")), "m{i} missed");
    }
    assert!(calls > 10, "COUNT is honoured ({calls} calls)");
    let (next, got): (String, Vec<String>) = q(&mut c, &["SSCAN", "big", "0", "MATCH", "m1999"]);
    assert!(got.len() <= 1 && (next != "0" || got.len() == 1));
}

// ---- SORT ---------------------------------------------------------------------------------

#[test]
fn sort_reads_weights_and_values_on_other_shards() {
    let s = Server::start(SHARDS);
    let mut c = s.conn();
    int(
        &mut c,
        &["SADD", "sortme", "1", "2", "3", "4", "5", "6", "7", "8"],
    );
    let mut shards_used = HashSet::new();
    for i in 1..=8 {
        let w = format!("w_{i}");
        shards_used.insert(key_shard(w.as_bytes(), SHARDS));
        let _: () = q(&mut c, &["SET", &w, &(100 - i).to_string()]);
        let _: () = q(&mut c, &["SET", &format!("n_{i}"), &format!("name{i}")]);
    }
    assert!(shards_used.len() > 1, "weights spread over shards");
    let got: Vec<String> = q(&mut c, &["SORT", "sortme", "BY", "w_*", "LIMIT", "0", "3"]);
    assert_eq!(got, ["8", "7", "6"]);
    let got: Vec<Option<String>> = q(
        &mut c,
        &[
            "SORT_RO", "sortme", "BY", "w_*", "DESC", "GET", "n_*", "GET", "#", "GET", "x_*",
        ],
    );
    assert_eq!(got.len(), 24);
    assert_eq!(got[0].as_deref(), Some("name1"));
    assert_eq!(got[1].as_deref(), Some("1"));
    assert_eq!(got[2], None);
    let r: RedisResult<Value> = cmd(&["SORT", "sortme", "BY", "n_*"]).query(&mut c);
    assert_eq!(
        r.unwrap_err().detail(),
        Some("One or more scores can't be converted into double")
    );
}

/// A writer sets three weights on different shards to one value with MSET; SORT ...
/// GET must always see the three equal (one atomic snapshot).
#[test]
fn sort_lookups_see_one_snapshot() {
    let s = Server::start(SHARDS);
    let mut c = s.conn();
    int(&mut c, &["SADD", "snap", "1", "2", "3"]);
    let _: () = q(&mut c, &["MSET", "v_1", "0", "v_2", "0", "v_3", "0"]);
    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (stop, mut con) = (stop.clone(), s.conn());
        std::thread::spawn(move || {
            let mut n = 0u64;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let v = n.to_string();
                let _: () = q(&mut con, &["MSET", "v_1", &v, "v_2", &v, "v_3", &v]);
            }
            n
        })
    };
    let started = Instant::now();
    let mut checks = 0;
    while started.elapsed() < Duration::from_millis(500) {
        let got: Vec<String> = q(&mut c, &["SORT", "snap", "GET", "v_*"]);
        assert!(got.iter().all(|v| v == &got[0]), "{got:?}");
        checks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    let writes = writer.join().unwrap();
    assert!(writes > 0 && checks > 0);
}

// ---- randomized differential against redis-server ------------------------------------------

/// An aggregate reply with its elements sorted (hashtable order differs); others as is.
fn normalized(reply: Vec<u8>) -> Vec<u8> {
    match common::split_aggregate(&reply) {
        Some((header, elements)) => {
            let mut elements: Vec<&[u8]> = elements;
            elements.sort();
            let mut out = header.to_vec();
            for e in elements {
                out.extend_from_slice(e);
            }
            out
        }
        None => reply,
    }
}

/// Random keys and members for [`random_commands_match_redis`].
struct Gen<'a> {
    state: &'a mut u64,
    keys: &'a [String],
}

impl Gen<'_> {
    fn n(&mut self, below: u64) -> u64 {
        next_random(self.state) % below
    }

    fn key(&mut self) -> String {
        self.keys[self.n(self.keys.len() as u64) as usize].clone()
    }

    fn member(&mut self) -> String {
        match self.n(4) {
            0 => format!("m{}", self.n(6)),
            _ => (self.n(20) as i64 - 5).to_string(),
        }
    }
}

#[test]
fn random_commands_match_redis() {
    use common::{RedisServer, ShoalServer, TestServer};
    with_seed("random_commands_match_redis", |seed| {
        let redis = RedisServer::start();
        let shoal = ShoalServer::start(SHARDS, &[]);
        let (mut rc, mut sc) = (redis.connect(), shoal.connect());
        let mut state = seed | 1;
        let keys = keys_on_shards("rnd", 6);
        let limit = ["3", "8", "512"][(seed % 3) as usize];
        for c in [&mut rc, &mut sc] {
            c.command(&["CONFIG", "SET", "set-max-intset-entries", limit]);
        }
        let mut g = Gen {
            state: &mut state,
            keys: &keys,
        };
        for step in 0..3000 {
            let mut args: Vec<String> = match g.n(20) {
                0..=4 => {
                    let mut a = vec!["SADD".to_string(), g.key()];
                    for _ in 0..1 + g.n(4) {
                        a.push(g.member());
                    }
                    a
                }
                5 | 6 => vec!["SREM".into(), g.key(), g.member(), g.member()],
                7 => vec!["SMOVE".into(), g.key(), g.key(), g.member()],
                8 => vec!["SINTERSTORE".into(), g.key(), g.key(), g.key()],
                9 => vec!["SUNIONSTORE".into(), g.key(), g.key(), g.key()],
                10 => vec!["SDIFFSTORE".into(), g.key(), g.key(), g.key(), g.key()],
                11 => {
                    let (a, b, n) = (g.key(), g.key(), g.n(4));
                    vec![
                        "SINTERCARD".into(),
                        "2".into(),
                        a,
                        b,
                        "LIMIT".into(),
                        n.to_string(),
                    ]
                }
                12 => vec!["SINTER".into(), g.key(), g.key()],
                13 => vec!["SUNION".into(), g.key(), g.key(), g.key()],
                14 => vec!["SDIFF".into(), g.key(), g.key()],
                15 => vec!["OBJECT".into(), "ENCODING".into(), g.key()],
                16 => vec!["SMISMEMBER".into(), g.key(), g.member(), g.member()],
                17 => vec!["SPOP".into(), g.key(), "100".into()],
                18 => vec!["SCARD".into(), g.key()],
                _ => match g.n(8) {
                    0 => vec!["SET".into(), g.key(), "str".into()],
                    1 => vec!["DEL".into(), g.key()],
                    2 => vec!["SRANDMEMBER".into(), g.key(), "100".into()],
                    _ => vec!["SMEMBERS".into(), g.key()],
                },
            };
            if args[0] == "SINTERCARD" && args[5] == "0" {
                args.truncate(4);
            }
            let (want, got) = (normalized(rc.command(&args)), normalized(sc.command(&args)));
            assert_eq!(
                common::escape(&want),
                common::escape(&got),
                "step {step}: {args:?}"
            );
        }
    });
}
