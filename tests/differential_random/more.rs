//! The generator's second half: the string commands the first half leaves out
//! (BITFIELD, GETBIT, DECR, GETSET, MSETNX, ...), blocking commands with timeouts short enough
//! that an empty key answers nil at once, full SCAN iterations (the runner follows the
//! cursor and compares what came back as a set), DUMP payloads restored across servers,
//! and the read-side variants of collections (HMGET, ZMSCORE, ZMPOP, whole-set SPOP).

use crate::generator::{DEADLINES, Gen, NUMBERS, SCORES, TTLS, s};

/// A RESTORE whose payload argument starts with this is rewritten by the runner: each
/// server gets the other one's DUMP of the named key (an empty payload when it has none).
pub const DUMP_OF: &str = "dump-of:";

/// Blocking timeouts in seconds: short enough that an empty key answers nil at once,
/// or invalid. Never 0, which would wait for ever.
const BLOCK_TIMEOUTS: [&str; 6] = ["0.001", "0.01", "-1", "abc", "1e-3", "0.002"];
const BITFIELD_TYPES: [&str; 10] = [
    "i1", "i8", "u8", "i16", "u16", "i63", "u63", "i64", "u64", "x8",
];
const BITFIELD_OFFSETS: [&str; 7] = ["0", "5", "#1", "#2", "-1", "100", "#x"];
const PATTERNS: [&str; 6] = ["*", "m*", "?", "{t}*", "f1*", "[ab]*"];

pub fn strings(g: &mut Gen) -> Vec<String> {
    let k = g.key();
    match g.below(9) {
        0 => vec!["GETBIT".into(), k, g.int(-1, 100)],
        1 => vec![g.pick(&["DECR", "GETDEL", "STRLEN"]), k],
        2 => vec!["DECRBY".into(), k, g.pick(&NUMBERS)],
        3 => vec![g.pick(&["GETSET", "SETNX"]), k, g.value()],
        4 => vec!["SUBSTR".into(), k, g.int(-10, 10), g.int(-10, 10)],
        5 => {
            let mut a = vec!["MSETNX".to_string()];
            for key in g.some_keys(3) {
                a.extend([key, g.value()]);
            }
            a
        }
        6 => vec![
            "BITFIELD_RO".into(),
            k,
            g.pick(&["GET", "SET"]),
            g.pick(&BITFIELD_TYPES),
            g.pick(&BITFIELD_OFFSETS),
        ],
        _ => {
            let mut a = vec!["BITFIELD".to_string(), k];
            for _ in 0..1 + g.below(3) {
                a.extend(bitfield_op(g));
            }
            a
        }
    }
}

fn bitfield_op(g: &mut Gen) -> Vec<String> {
    let (ty, offset) = (g.pick(&BITFIELD_TYPES), g.pick(&BITFIELD_OFFSETS));
    match g.below(4) {
        0 => vec!["GET".into(), ty, offset],
        1 => vec!["SET".into(), ty, offset, g.pick(&NUMBERS)],
        2 => vec!["INCRBY".into(), ty, offset, g.pick(&NUMBERS)],
        _ => vec!["OVERFLOW".into(), g.pick(&["WRAP", "SAT", "FAIL", "FOO"])],
    }
}

pub fn keys_and_lists(g: &mut Gen) -> Vec<String> {
    let k = g.key();
    let timeout = g.pick(&BLOCK_TIMEOUTS);
    match g.below(10) {
        0 => [
            vec![g.pick(&["BLPOP", "BRPOP"])],
            g.some_keys(3),
            vec![timeout],
        ]
        .concat(),
        1 => vec![
            "BLMOVE".into(),
            k,
            g.key(),
            g.pick(&["LEFT", "RIGHT"]),
            g.pick(&["LEFT", "RIGHT"]),
            timeout,
        ],
        2 => [
            vec!["BLMPOP".into(), timeout, g.int(0, 3)],
            g.keys(2),
            vec![g.pick(&["LEFT", "RIGHT", "MIN"])],
            g.maybe(&["COUNT"]),
            g.maybe(&["2", "0", "-1"]),
        ]
        .concat(),
        3 => vec![g.pick(&["RPUSHX", "RPOPLPUSH"]), k, g.key()],
        4 => {
            let mut a = s(&["SCAN", "0", "COUNT", "7"]);
            a.extend(match_option(g));
            if g.chance() {
                a.extend([
                    "TYPE".to_string(),
                    g.pick(&["string", "list", "zset", "hash", "set", "foo"]),
                ]);
            }
            a
        }
        5 => vec!["KEYS".into(), g.pick(&PATTERNS)],
        6 => {
            let src = g.key();
            let mut a = vec![
                "RESTORE".into(),
                k,
                g.pick(&["0", "0", "100000", "-1", "abc"]),
                format!("{DUMP_OF}{src}"),
            ];
            a.extend(g.maybe(&["REPLACE"]));
            match g.below(4) {
                0 => a.extend(["ABSTTL".to_string()]),
                1 => a.extend(["IDLETIME".to_string(), g.pick(&["5", "-1", "x"])]),
                2 => a.extend(["FREQ".to_string(), g.pick(&["5", "256", "x"])]),
                _ => {}
            }
            a
        }
        7 => vec![
            "RESTORE".into(),
            k,
            g.pick(&DEADLINES),
            format!("{DUMP_OF}{}", g.key()),
            "REPLACE".into(),
            "ABSTTL".into(),
        ],
        8 => {
            let opts: [&[&str]; 4] = [
                &[],
                &["ALPHA"],
                &["DESC", "LIMIT", "1", "2"],
                &["STORE", "s1"],
            ];
            [vec!["SORT_RO".into(), k], s(opts[g.below(opts.len())])].concat()
        }
        _ => vec!["RPOPLPUSH".into(), k, g.key()],
    }
}

fn match_option(g: &mut Gen) -> Vec<String> {
    if g.chance() {
        vec!["MATCH".into(), g.pick(&PATTERNS)]
    } else {
        vec![]
    }
}

pub fn hashes_sets_zsets(g: &mut Gen) -> Vec<String> {
    let k = g.key();
    match g.below(14) {
        0 => vec!["HMGET".into(), k, g.member(), g.member()],
        1 => vec!["HMSET".into(), k, g.member(), g.value()],
        2 => [
            vec![
                g.pick(&["HSCAN", "SSCAN", "ZSCAN"]),
                k,
                "0".into(),
                "COUNT".into(),
                g.int(1, 20),
            ],
            match_option(g),
        ]
        .concat(),
        3 => vec!["SPOP".into(), k, g.pick(&["0", "1000", "-1"])],
        4 => [
            vec![
                g.pick(&["HRANDFIELD", "SRANDMEMBER", "ZRANDMEMBER"]),
                k,
                "1000".into(),
            ],
            g.maybe(&["WITHVALUES", "WITHSCORES"]),
        ]
        .concat(),
        5 => vec!["ZMSCORE".into(), k, g.member(), g.member()],
        6 => [
            vec!["ZINTERCARD".into(), g.int(0, 3)],
            g.keys(2),
            g.maybe(&["LIMIT"]),
            g.maybe(&["1", "0", "-1"]),
        ]
        .concat(),
        7 => [
            vec!["ZMPOP".into(), g.int(0, 3)],
            g.keys(2),
            vec![g.pick(&["MIN", "MAX", "LEFT"])],
            g.maybe(&["COUNT"]),
            g.maybe(&["2", "0"]),
        ]
        .concat(),
        8 => [
            vec![
                g.pick(&["ZRANGEBYSCORE", "ZREVRANGEBYSCORE"]),
                k,
                g.pick(&SCORES),
                g.pick(&SCORES),
            ],
            g.maybe(&["WITHSCORES"]),
            limit(g),
        ]
        .concat(),
        9 => [
            vec!["ZREVRANGE".into(), k, g.int(-3, 3), g.int(-3, 3)],
            g.maybe(&["WITHSCORES", "REV"]),
        ]
        .concat(),
        10 => [
            vec![g.pick(&["BZPOPMIN", "BZPOPMAX"])],
            g.some_keys(2),
            vec![g.pick(&BLOCK_TIMEOUTS)],
        ]
        .concat(),
        11 => [
            vec!["BZMPOP".into(), g.pick(&BLOCK_TIMEOUTS), g.int(1, 2)],
            g.keys(2),
            vec![g.pick(&["MIN", "MAX"])],
            g.maybe(&["COUNT"]),
            g.maybe(&["3"]),
        ]
        .concat(),
        12 => vec!["EXPIRE".into(), k, g.pick(&TTLS)],
        _ => vec!["OBJECT".into(), "ENCODING".into(), k],
    }
}

fn limit(g: &mut Gen) -> Vec<String> {
    if g.chance() {
        vec!["LIMIT".into(), g.int(-1, 2), g.int(-1, 3)]
    } else {
        vec![]
    }
}
