//! Random differential test: seeded random command sequences go alike to a real
//! `redis-server` and to `shoal-server --threads 3`, and every reply must be the same
//! bytes. The corpus (`differential.rs`) pins the cases we thought of; this finds the
//! ones we did not: orders of checks, edge arguments, encodings after conversions,
//! keys of one command on different shards.
//!
//! Seeds are fixed, so every run sends the same sequences; `SHOAL_RANDOM_SEED=N` runs
//! one other seed and `SHOAL_RANDOM_COMMANDS=N` changes the length. A failure names
//! the seed, the command, both replies, and the commands before it on the same keys.
//!
//! The generator keeps replies deterministic: TTLs are long or already over (no race
//! with the clock between the two servers), replies in hash order are compared sorted,
//! commands that choose at random are asked for 0 elements, and lex ranges go only to
//! their own keys, which hold at most 10 members and are never sorted (for mixed
//! scores in a skiplist Redis's answer depends on its random levels). SORT ALPHA over
//! values with a NUL byte is compared sorted (Redis's strcoll stops at the NUL).
//! Commands that choose at random are otherwise asked for more than the collection
//! holds, which returns all of it (compared sorted). Two commands are rewritten on the
//! way: a scan from cursor 0 is followed to its end on each server and the union of
//! what came back is compared (cursors differ by design), and a RESTORE of a `DUMP_OF`
//! payload gives each server the other's DUMP, so every such command checks both
//! directions of DUMP compatibility.

mod common;
#[path = "differential_random/generator.rs"]
mod generator;
#[path = "differential_random/more.rs"]
mod more;

use common::{
    Conn, RedisServer, ShoalServer, TestServer, bulk_reply, escape, integer_reply,
    sorted_aggregate, split_aggregate,
};
use generator::{Gen, KEYS, LEX_KEYS};
use more::DUMP_OF;

/// The fixed seeds: RESP2 ones, then RESP3 ones.
const SEEDS_RESP2: [u64; 8] = [1, 2, 3, 4, 5, 6, 7, 8];
const SEEDS_RESP3: [u64; 2] = [101, 102];
/// Commands per seed unless `SHOAL_RANDOM_COMMANDS` says otherwise.
const COMMANDS_PER_SEED: usize = 2000;
/// Commands shown before a mismatch (those naming one of its keys).
const HISTORY_SHOWN_MAX: usize = 25;
/// Calls one full scan may take before the test calls it endless.
const SCAN_CALLS_MAX: usize = 10_000;

/// Sends `args` to both servers and returns their replies, rewriting the two commands
/// the generator marks (see the map above).
fn exchange(r: &mut Conn, s: &mut Conn, args: &[String]) -> (Vec<u8>, Vec<u8>) {
    if let Some(source) = args.get(3).and_then(|a| a.strip_prefix(DUMP_OF)) {
        let (from_redis, from_shoal) = (dump(r, source), dump(s, source));
        return (restore(r, args, from_shoal), restore(s, args, from_redis));
    }
    if scan_cursor_at(args).is_some() {
        return (full_scan(r, args), full_scan(s, args));
    }
    (r.command(args), s.command(args))
}

/// The payload of `DUMP key`, empty when the key does not exist.
fn dump(c: &mut Conn, key: &str) -> Vec<u8> {
    bulk_reply(&c.command(&["DUMP", key])).unwrap_or_default()
}

/// `args` with the payload argument replaced.
fn restore(c: &mut Conn, args: &[String], payload: Vec<u8>) -> Vec<u8> {
    let mut with_payload: Vec<Vec<u8>> = args.iter().map(|a| a.as_bytes().to_vec()).collect();
    with_payload[3] = payload;
    c.command(&with_payload)
}

/// Where the cursor argument of a scan from cursor 0 sits.
fn scan_cursor_at(args: &[String]) -> Option<usize> {
    let at = match args[0].as_str() {
        "SCAN" => 1,
        "HSCAN" | "SSCAN" | "ZSCAN" => 2,
        _ => return None,
    };
    (args.get(at).map(String::as_str) == Some("0")).then_some(at)
}

/// Follows a scan's cursor to 0 and returns what it found as one array, sorted and
/// without repeats (a scan may return an element twice); a field or member and its
/// value or score count as one element. An error reply comes back as it is.
fn full_scan(c: &mut Conn, args: &[String]) -> Vec<u8> {
    let cursor_at = scan_cursor_at(args).expect("a scan from cursor 0");
    let per_element = if args[0] == "SCAN" || args[0] == "SSCAN" {
        1
    } else {
        2
    };
    let mut call = args.to_vec();
    let mut found: Vec<Vec<u8>> = Vec::new();
    for _ in 0..SCAN_CALLS_MAX {
        let reply = c.command(&call);
        let Some((_, parts)) = split_aggregate(&reply) else {
            return reply;
        };
        let cursor = bulk_reply(parts[0]).expect("a cursor");
        let (_, elements) = split_aggregate(parts[1]).expect("an array of elements");
        found.extend(elements.chunks(per_element).map(|e| e.concat()));
        if cursor == b"0" {
            found.sort();
            found.dedup();
            return [format!("*{}\r\n", found.len()).into_bytes(), found.concat()].concat();
        }
        call[cursor_at] = String::from_utf8(cursor).expect("a cursor in ASCII");
    }
    panic!(
        "{} did not end after {SCAN_CALLS_MAX} calls",
        args.join(" ")
    );
}

/// Whether the two replies to `args` agree: hash-ordered replies compared sorted (a
/// RESP2 HGETALL by its field-value pairs), times left or due within the instants the
/// two servers ran the command apart.
fn agree(args: &[String], redis: &[u8], shoal: &[u8]) -> bool {
    let name = args[0].to_ascii_uppercase();
    let time_tolerance = match name.as_str() {
        "TTL" | "EXPIRETIME" => Some(1),
        "PTTL" | "PEXPIRETIME" => Some(1000),
        _ => None,
    };
    if let (Some(tolerance), Some(a), Some(b)) =
        (time_tolerance, integer_reply(redis), integer_reply(shoal))
    {
        return a == b || (a > 0 && b > 0 && a.abs_diff(b) <= tolerance);
    }
    let unordered = [
        "SMEMBERS", "SINTER", "SUNION", "SDIFF", "HKEYS", "HVALS", "HGETALL", "KEYS", "SPOP",
    ];
    // Asked for more than the collection holds, these return all of it in hash order.
    let all_at_random = ["HRANDFIELD", "SRANDMEMBER", "ZRANDMEMBER"].contains(&name.as_str())
        && args.get(2).map(String::as_str) == Some("1000");
    let flat_pairs = split_aggregate(redis)
        .is_some_and(|(_, elements)| elements.first().is_some_and(|e| e[0] != b'*'));
    if all_at_random && args.len() == 4 && flat_pairs {
        return sorted_pairs(redis) == sorted_pairs(shoal);
    }
    let nosort = name == "SORT" && args.iter().any(|a| a == "nosort");
    // Redis sorts ALPHA with strcoll, which ends a string at its first NUL byte: such
    // elements tie there, in the order of Redis's own quicksort.
    let alpha_nul = name == "SORT"
        && args.iter().any(|a| a.eq_ignore_ascii_case("ALPHA"))
        && redis.contains(&0);
    if name == "HGETALL" && redis.first() == Some(&b'*') {
        return sorted_pairs(redis) == sorted_pairs(shoal);
    }
    if unordered.contains(&name.as_str()) || nosort || alpha_nul || all_at_random {
        return sorted_aggregate(redis) == sorted_aggregate(shoal);
    }
    redis == shoal
}

fn sorted_pairs(reply: &[u8]) -> Vec<u8> {
    let Some((header, elements)) = split_aggregate(reply) else {
        return reply.to_vec();
    };
    let mut pairs: Vec<Vec<u8>> = elements.chunks(2).map(|p| p.concat()).collect();
    pairs.sort();
    [header.to_vec(), pairs.concat()].concat()
}

/// Runs one seed; a description of the first mismatch, if any.
fn run_seed(
    redis: &RedisServer,
    shoal: &ShoalServer,
    seed: u64,
    resp3: bool,
    commands: usize,
) -> Option<String> {
    let (mut r, mut s) = (redis.connect(), shoal.connect());
    for c in [&mut r, &mut s] {
        c.command(&["FLUSHALL"]);
        if resp3 {
            c.command(&["HELLO", "3"]);
        }
    }
    let mut g = Gen::new(seed);
    let mut history: Vec<Vec<String>> = Vec::with_capacity(commands);
    for i in 0..commands {
        let args = g.command();
        let (a, b) = exchange(&mut r, &mut s, &args);
        history.push(args);
        let args = &history[i];
        if !agree(args, &a, &b) {
            let keys: Vec<&str> = args[1..]
                .iter()
                .map(|a| a.strip_prefix(DUMP_OF).unwrap_or(a))
                .filter(|a| KEYS.contains(a) || LEX_KEYS.contains(a))
                .collect();
            let before: Vec<String> = history[..i]
                .iter()
                .enumerate()
                .filter(|(_, h)| {
                    h[1..]
                        .iter()
                        .any(|a| keys.contains(&a.strip_prefix(DUMP_OF).unwrap_or(a)))
                        || h[0] == "SELECT"
                        || h[0] == "SWAPDB"
                })
                .map(|(j, h)| format!("  {j}: {}", h.join(" ")))
                .collect();
            let shown = &before[before.len().saturating_sub(HISTORY_SHOWN_MAX)..];
            return Some(format!(
                "seed {seed} (resp{}), command {i}: {}\n  redis: {}\n  shoal: {}\nbefore it, on its keys:\n{}",
                if resp3 { 3 } else { 2 },
                args.join(" "),
                escape(&a),
                escape(&b),
                shown.join("\n")
            ));
        }
    }
    None
}

#[test]
fn random_commands_get_redis_replies() {
    let commands = std::env::var("SHOAL_RANDOM_COMMANDS")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(COMMANDS_PER_SEED);
    let seeds: Vec<(u64, bool)> = match std::env::var("SHOAL_RANDOM_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
    {
        Some(seed) => vec![(seed, false), (seed, true)],
        None => SEEDS_RESP2
            .iter()
            .map(|&s| (s, false))
            .chain(SEEDS_RESP3.iter().map(|&s| (s, true)))
            .collect(),
    };
    let redis = RedisServer::start();
    let shoal = ShoalServer::start(3, &["--save", ""]);
    let failures: Vec<String> = seeds
        .iter()
        .filter_map(|&(seed, resp3)| run_seed(&redis, &shoal, seed, resp3, commands))
        .collect();
    assert!(failures.is_empty(), "\n{}", failures.join("\n\n"));
}

#[test]
fn the_generator_is_deterministic_and_covers_every_family() {
    let first: Vec<Vec<String>> = {
        let mut g = Gen::new(9);
        (0..2000).map(|_| g.command()).collect()
    };
    let mut g = Gen::new(9);
    assert!(first.iter().all(|c| *c == g.command()));
    for name in [
        "SET",
        "DEL",
        "RPUSH",
        "HSET",
        "SADD",
        "ZADD",
        "ZRANGEBYLEX",
        "SORT",
        "BITFIELD",
        "BLPOP",
        "BZMPOP",
        "SCAN",
        "HSCAN",
        "RESTORE",
        "ZMPOP",
    ] {
        assert!(first.iter().any(|c| c[0] == name), "{name} never generated");
    }
    // Lex ranges go only to the lex keys, and those get nothing that sorts them. No
    // blocking command may wait for ever (a timeout of 0).
    for c in &first {
        let blocking = [
            "BLPOP", "BRPOP", "BLMOVE", "BLMPOP", "BZPOPMIN", "BZPOPMAX", "BZMPOP",
        ]
        .contains(&c[0].as_str());
        let timeout_at = if c[0] == "BLMPOP" || c[0] == "BZMPOP" {
            1
        } else {
            c.len() - 1
        };
        assert!(!blocking || c[timeout_at] != "0", "{c:?}");
        let lexical = c[0].contains("LEX") || c.iter().any(|a| a == "BYLEX");
        assert!(!lexical || LEX_KEYS.contains(&c[1].as_str()), "{c:?}");
        assert!(
            !(c[0] == "SORT" && LEX_KEYS.contains(&c[1].as_str())),
            "{c:?}"
        );
    }
}
