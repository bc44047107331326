//! Mutation fuzzing of DUMP payloads. RESTORE takes bytes from any client, and a payload
//! whose checksum is right is trusted as far as its framing goes (as Redis does without
//! deep sanitization), so the checksum is no defence: an attacker computes it. Here the
//! payloads Redis 7.0 and shoal make for every type and encoding are mutated at random
//! (bits flipped, bytes set to edge values, runs deleted or inserted, lengths that
//! claim far more than follows, the end cut off) and
//! their checksums recomputed. Each mutant must decode to a value or be refused, never
//! panic or allocate what it merely claims; a value it decodes to must survive DUMP and
//! a second decode unchanged; and mutants sent to a live server with RESTORE, then read
//! back with each type's commands, leave it answering.
//!
//! Seeded: `SHOAL_SEED=N` replays a run; the seed, the source payload and the mutant are
//! printed on failure.

mod common;

use std::panic::{AssertUnwindSafe, catch_unwind};

use common::client::seed;
use common::{Conn, RedisServer, ShoalServer, TestServer, bulk_reply, escape};
use shoal::config::EncodingLimits;
use shoal::persistence::mutate::mutate;
use shoal::persistence::{RDB_VERSION, dump};
use shoal::util::test_rng::Rng;

/// Mutants decoded in process per source payload.
const MUTANTS_PER_PAYLOAD: usize = 1500;
/// Mutants per source payload also sent to a live server (slower: a round trip each and
/// the reads after it).
const MUTANTS_OVER_THE_WIRE: usize = 40;

/// Commands that build one key of each type and encoding Redis 7.0 writes: integer,
/// short, compressible and incompressible strings; lists of one and several listpack
/// nodes; listpack and hashtable hashes; intset and hashtable sets; listpack and
/// skiplist sorted sets.
fn sources() -> Vec<(String, Vec<Vec<u8>>)> {
    let mut rng = Rng(0x5eed);
    let noise: Vec<u8> = (0..300).map(|_| rng.next() as u8).collect();
    let numbered = |prefix: &str, n: usize| -> Vec<Vec<u8>> {
        (0..n)
            .map(|i| format!("{prefix}{i}").into_bytes())
            .collect()
    };
    let with_scores = |n: usize| -> Vec<Vec<u8>> {
        (0..n)
            .flat_map(|i| {
                [
                    format!("{}.5", i as i64 - 7).into_bytes(),
                    format!("m{i}").into_bytes(),
                ]
            })
            .collect()
    };
    let with_values = |n: usize| -> Vec<Vec<u8>> {
        (0..n)
            .flat_map(|i| {
                [
                    format!("f{i}").into_bytes(),
                    format!("{}", i * 1000).into_bytes(),
                ]
            })
            .collect()
    };
    let cmd = |name: &str, key: &str, rest: Vec<Vec<u8>>| -> (String, Vec<Vec<u8>>) {
        let args = [
            vec![name.as_bytes().to_vec(), key.as_bytes().to_vec()],
            rest,
        ]
        .concat();
        (key.to_string(), args)
    };
    vec![
        cmd("SET", "int", vec![b"-12345".to_vec()]),
        cmd("SET", "short", vec![b"hello".to_vec()]),
        cmd("SET", "lzf", vec![b"abcabcabc".repeat(20)]),
        cmd("SET", "noise", vec![noise]),
        cmd(
            "RPUSH",
            "list",
            [vec![b"a".to_vec(), b"-7".to_vec()], numbered("e", 8)].concat(),
        ),
        cmd("RPUSH", "nodes", numbered(&"x".repeat(40), 400)),
        cmd("HSET", "hash", with_values(6)),
        cmd("HSET", "bighash", with_values(600)),
        cmd("SADD", "intset", numbered("", 20)),
        cmd("SADD", "set", numbered("s", 20)),
        cmd("ZADD", "zset", with_scores(8)),
        cmd("ZADD", "skiplist", with_scores(200)),
    ]
}

/// The DUMP payload of `key` on `conn`.
fn dump_of(conn: &mut Conn, key: &str) -> Vec<u8> {
    let reply = conn.command(&["DUMP", key]);
    bulk_reply(&reply).unwrap_or_else(|| panic!("DUMP {key}: {}", escape(&reply)))
}

/// Every source payload, as Redis and as shoal make it.
fn payloads(redis: &RedisServer, shoal: &ShoalServer) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for (server, mut conn) in [("redis", redis.connect()), ("shoal", shoal.connect())] {
        for (key, args) in sources() {
            conn.command(&args);
            out.push((format!("{server} {key}"), dump_of(&mut conn, &key)));
        }
    }
    out
}

/// `payload` with its value bytes mutated and a footer whose checksum matches.
fn mutant(payload: &[u8], rng: &mut Rng) -> Vec<u8> {
    let mut value = payload[..payload.len() - dump::FOOTER_BYTES].to_vec();
    mutate(&mut value, rng);
    dump::framed(value, RDB_VERSION)
}

/// Decodes `bytes`; a value must come out of DUMP and a second decode unchanged.
/// `Err` describes a panic or a value that did not survive.
fn check_decode(bytes: &[u8]) -> Result<(), String> {
    let limits = EncodingLimits::default();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        let Ok(value) = dump::parse(bytes, &limits) else {
            return Ok(());
        };
        let again = dump::payload(value.as_ref(), true);
        let reread = dump::parse(&again, &limits).map_err(|e| format!("re-decode: {e:?}"))?;
        if dump::payload(reread.as_ref(), true) != again {
            return Err("the value changed through DUMP and a second decode".to_string());
        }
        Ok(())
    }));
    outcome.unwrap_or_else(|panic| {
        let text = panic
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_default();
        Err(format!("panicked: {text}"))
    })
}

#[test]
fn mutated_payloads_decode_or_are_refused() {
    let seed = seed();
    let redis = RedisServer::start();
    let shoal = ShoalServer::start(2, &["--save", ""]);
    let mut rng = Rng(seed | 1);
    let mut accepted = 0usize;
    for (source, payload) in payloads(&redis, &shoal) {
        assert!(check_decode(&payload).is_ok(), "{source} itself");
        for _ in 0..MUTANTS_PER_PAYLOAD {
            let m = mutant(&payload, &mut rng);
            if let Err(e) = check_decode(&m) {
                panic!(
                    "seed {seed}, {source}: {e}\n  source: {}\n  mutant: {}",
                    escape(&payload),
                    escape(&m)
                );
            }
            accepted += dump::parse(&m, &EncodingLimits::default()).is_ok() as usize;
        }
    }
    // Mutants that decode are the ones that test the most (their values are then used);
    // if none did, the mutations would only be testing the framing.
    assert!(
        accepted > 100,
        "seed {seed}: only {accepted} mutants decoded"
    );
}

/// The commands that read every element of a key of `type_name`.
fn reads(type_name: &str, key: &str) -> Vec<Vec<String>> {
    let s = |a: &[&str]| a.iter().map(|x| x.to_string()).collect::<Vec<_>>();
    let mut out = vec![s(&["OBJECT", "ENCODING", key]), s(&["DUMP", key])];
    out.extend(match type_name {
        "string" => vec![s(&["GET", key]), s(&["STRLEN", key]), s(&["INCR", key])],
        "list" => vec![
            s(&["LRANGE", key, "0", "-1"]),
            s(&["LINDEX", key, "-1"]),
            s(&["RPOP", key]),
        ],
        "hash" => vec![
            s(&["HGETALL", key]),
            s(&["HGET", key, "f1"]),
            s(&["HSET", key, "new", "v"]),
        ],
        "set" => vec![
            s(&["SMEMBERS", key]),
            s(&["SISMEMBER", key, "3"]),
            s(&["SADD", key, "x"]),
        ],
        "zset" => vec![
            s(&["ZRANGE", key, "0", "-1", "WITHSCORES"]),
            s(&["ZRANGEBYSCORE", key, "-inf", "+inf"]),
            s(&["ZADD", key, "1", "m1"]),
        ],
        _ => vec![],
    });
    out
}

#[test]
fn a_server_fed_mutated_payloads_keeps_answering() {
    let seed = seed();
    let redis = RedisServer::start();
    let shoal = ShoalServer::start(3, &["--save", ""]);
    let mut conn = shoal.connect();
    let mut rng = Rng((seed ^ 0xdead_beef) | 1);
    for (source, payload) in payloads(&redis, &shoal) {
        for i in 0..MUTANTS_OVER_THE_WIRE {
            let m = mutant(&payload, &mut rng);
            let key = format!("fuzz{}", i % 7);
            let reply = conn.command(&[&b"RESTORE"[..], key.as_bytes(), b"0", &m, b"REPLACE"]);
            let context = || format!("seed {seed}, {source}, mutant {}", escape(&m));
            assert!(
                reply == b"+OK\r\n" || reply.starts_with(b"-ERR "),
                "{}: RESTORE answered {}",
                context(),
                escape(&reply)
            );
            let type_reply = conn.command(&["TYPE", &key]);
            let type_name =
                String::from_utf8_lossy(&type_reply[1..type_reply.len() - 2]).into_owned();
            for read in reads(&type_name, &key) {
                let reply = conn.command(&read);
                assert!(
                    !reply.is_empty(),
                    "{}: {read:?} answered nothing",
                    context()
                );
            }
            assert_eq!(conn.command(&["PING"]), b"+PONG\r\n", "{}", context());
        }
    }
}
