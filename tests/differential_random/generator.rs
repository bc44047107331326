//! The command generator of the random differential test: a seeded xorshift and one
//! function per command family, each returning one command's arguments. Every choice
//! keeps the two servers' replies deterministic (see the test's own map).

use crate::more;

pub const KEYS: [&str; 8] = ["a", "b", "c", "{t}x", "{t}y", "{t}z", "s1", "s2"];
pub const LEX_KEYS: [&str; 2] = ["lz1", "{t}lz2"];
const LEX_MEMBERS: [&str; 10] = ["a", "b", "c", "aa", "m1", "m2", "z", "", "1", "10"];
pub const MEMBERS: [&str; 10] = ["m1", "m2", "m3", "a", "b", "1", "2", "10", "", "x"];
pub const NUMBERS: [&str; 20] = [
    "0",
    "1",
    "-1",
    "7",
    "100",
    "-5",
    "3.5",
    "abc",
    "",
    "9223372036854775807",
    "-9223372036854775808",
    "1e3",
    "+5",
    " 5",
    "0x10",
    "18446744073709551616",
    "-0",
    "inf",
    "-inf",
    "nan",
];
/// Expire times: over already, long enough to outlast the test, or invalid.
pub const TTLS: [&str; 6] = ["-1", "0", "100000", "1000000", "abc", "9999999999999999"];
/// Absolute expire times: past (the key goes at once), the year 2100 in seconds and in
/// milliseconds, or invalid.
pub const DEADLINES: [&str; 7] = ["1", "100", "0", "-5", "4102444800", "4102444800000", "abc"];
pub const SCORES: [&str; 17] = [
    "0", "1", "-1", "2.5", "-inf", "+inf", "inf", "(1", "(2.5", "[a", "(a", "-", "+", "1e2", "nan",
    "abc", "3",
];
const LEX_BOUNDS: [&str; 10] = ["-", "+", "[a", "(a", "[m2", "(m1", "[", "a", "(", "[z"];

/// Owned copies of `a`: a command's arguments as the generator returns them.
pub fn s(a: &[&str]) -> Vec<String> {
    a.iter().map(|x| x.to_string()).collect()
}

/// xorshift64*: small, seedable, and the same on every machine.
pub struct Gen {
    state: u64,
}

impl Gen {
    pub fn new(seed: u64) -> Gen {
        Gen {
            state: seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1,
        }
    }

    pub fn next(&mut self) -> u64 {
        self.state ^= self.state >> 12;
        self.state ^= self.state << 25;
        self.state ^= self.state >> 27;
        self.state.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    pub fn int(&mut self, lo: i64, hi: i64) -> String {
        (lo + self.below((hi - lo + 1) as usize) as i64).to_string()
    }

    pub fn pick(&mut self, from: &[&str]) -> String {
        from[self.below(from.len())].to_string()
    }

    pub fn chance(&mut self) -> bool {
        self.next() & 1 == 0
    }

    pub fn key(&mut self) -> String {
        self.pick(&KEYS)
    }

    pub fn keys(&mut self, n: usize) -> Vec<String> {
        (0..n).map(|_| self.key()).collect()
    }

    /// One to `max` keys.
    pub fn some_keys(&mut self, max: usize) -> Vec<String> {
        let n = 1 + self.below(max);
        self.keys(n)
    }

    pub fn value(&mut self) -> String {
        match self.below(8) {
            0 => "x".repeat(self.below(70)),
            1 => "\0\u{ff}".into(),
            2 => self.pick(&NUMBERS),
            _ => self.pick(&["v", "hello", "", "1", "2", "10", "3.0", "-2", "a b"]),
        }
    }

    pub fn member(&mut self) -> String {
        self.pick(&MEMBERS)
    }

    /// `opts[i]` with one chance in two, else nothing.
    pub fn maybe(&mut self, opts: &[&str]) -> Vec<String> {
        if self.chance() {
            vec![self.pick(opts)]
        } else {
            vec![]
        }
    }

    pub fn command(&mut self) -> Vec<String> {
        let families: [fn(&mut Gen) -> Vec<String>; 9] = [
            strings,
            keyspace,
            lists,
            hashes_and_sets,
            zsets,
            lex,
            more::strings,
            more::keys_and_lists,
            more::hashes_sets_zsets,
        ];
        families[self.below(families.len())](self)
    }
}

fn strings(g: &mut Gen) -> Vec<String> {
    let k = g.key();
    let v = g.value();
    match g.below(16) {
        0 => {
            let mut a = s(&["SET", &k, &v]);
            let ttl = g.pick(&TTLS);
            let opts: [&[&str]; 8] = [
                &[],
                &["NX"],
                &["XX", "GET"],
                &["EX", &ttl],
                &["PX", &ttl],
                &["KEEPTTL"],
                &["EX", "10", "PX", "10"],
                &["NX", "GET"],
            ];
            a.extend(s(opts[g.below(opts.len())]));
            a
        }
        1 => s(&["GET", &k]),
        2 => s(&["APPEND", &k, &v]),
        3 => vec!["INCRBY".into(), k, g.pick(&NUMBERS)],
        4 => vec!["INCRBYFLOAT".into(), k, g.pick(&NUMBERS)],
        5 => vec!["GETRANGE".into(), k, g.int(-10, 10), g.int(-10, 10)],
        6 => vec!["SETRANGE".into(), k, g.int(-1, 20), v],
        7 => {
            let mut a = vec!["MSET".to_string()];
            for key in g.some_keys(3) {
                a.extend([key, g.value()]);
            }
            a
        }
        8 => [vec!["MGET".to_string()], g.some_keys(4)].concat(),
        9 => {
            let mut a = vec!["GETEX".to_string(), k];
            match g.below(4) {
                0 => a.push("PERSIST".into()),
                1 => a.extend(["EX".to_string(), g.pick(&TTLS)]),
                2 => a.push("EX".into()),
                _ => {}
            }
            a
        }
        10 => vec![g.pick(&["SETEX", "PSETEX"]), k, g.pick(&TTLS), v],
        11 => [vec!["LCS".into(), k, g.key()], g.maybe(&["LEN", "IDX"])].concat(),
        12 => vec!["SETBIT".into(), k, g.int(-1, 100), g.pick(&["0", "1", "2"])],
        13 => {
            let mut a = vec!["BITCOUNT".into(), k];
            if g.chance() {
                a.extend([g.int(-5, 5), g.int(-5, 5)]);
                a.extend(g.maybe(&["BIT", "BYTE", "X"]));
            }
            a
        }
        14 => {
            let mut a = vec!["BITPOS".into(), k, g.pick(&["0", "1"])];
            if g.chance() {
                a.extend([g.int(-5, 5), g.int(-5, 5)]);
                a.extend(g.maybe(&["BIT", "BYTE"]));
            }
            a
        }
        _ => [
            vec![
                "BITOP".into(),
                g.pick(&["AND", "OR", "XOR", "NOT", "FOO"]),
                g.key(),
            ],
            g.some_keys(3),
        ]
        .concat(),
    }
}

fn keyspace(g: &mut Gen) -> Vec<String> {
    let k = g.key();
    match g.below(17) {
        0 => [
            vec![g.pick(&["DEL", "EXISTS", "UNLINK", "TOUCH"])],
            g.some_keys(3),
        ]
        .concat(),
        1 => vec!["TYPE".into(), k],
        2 => vec![g.pick(&["RENAME", "RENAMENX"]), k, g.key()],
        3 => [vec!["COPY".into(), k, g.key()], g.maybe(&["REPLACE"])].concat(),
        4 => [
            vec![g.pick(&["EXPIRE", "PEXPIRE"]), k, g.pick(&TTLS)],
            // GT and LT only with absolute times (case 13): two relative times compare
            // by the milliseconds between the commands, which differ between servers.
            g.maybe(&["NX", "XX", "FOO"]),
        ]
        .concat(),
        5 => vec![
            "EXPIRE".into(),
            k,
            g.pick(&["50", "5000000"]),
            g.pick(&["NX", "XX"]),
        ],
        6 => vec![
            g.pick(&["TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST"]),
            k,
        ],
        7 => vec!["OBJECT".into(), "ENCODING".into(), k],
        8 => vec!["MOVE".into(), k, g.pick(&["1", "0", "16", "x"])],
        9 => vec!["SELECT".into(), g.pick(&["0", "1"])],
        10 => vec![
            "SWAPDB".into(),
            g.pick(&["0", "1"]),
            g.pick(&["0", "1", "x", "16"]),
        ],
        11 => {
            let opts: [&[&str]; 7] = [
                &[],
                &["ALPHA"],
                &["DESC", "ALPHA"],
                &["LIMIT", "0", "2"],
                &["BY", "nosort"],
                &["BY", "w_*", "GET", "#", "GET", "h_*->f"],
                &["STORE", "s1"],
            ];
            [vec!["SORT".into(), k], s(opts[g.below(opts.len())])].concat()
        }
        12 => vec!["DBSIZE".into()],
        13 => [
            vec![g.pick(&["EXPIREAT", "PEXPIREAT"]), k, g.pick(&DEADLINES)],
            g.maybe(&["NX", "XX", "GT", "LT"]),
        ]
        .concat(),
        14 => {
            // Not a past time: SET leaves such a key in place for expiry to reap, so
            // DBSIZE would depend on when each server's active cycle ran.
            let deadlines = [
                ["EXAT", "4102444800"],
                ["PXAT", "4102444800000"],
                ["EXAT", "0"],
                ["PXAT", "abc"],
            ];
            let [unit, at] = deadlines[g.below(deadlines.len())];
            let set = vec!["SET".into(), k, g.value(), unit.into(), at.into()];
            [set, g.maybe(&["GET", "NX", "XX"])].concat()
        }
        15 => vec![
            "GETEX".into(),
            k,
            g.pick(&["EXAT", "PXAT"]),
            g.pick(&DEADLINES),
        ],
        _ => [
            vec!["COPY".into(), k, g.key(), "DB".into(), g.pick(&["0", "1"])],
            g.maybe(&["REPLACE"]),
        ]
        .concat(),
    }
}

fn lists(g: &mut Gen) -> Vec<String> {
    let k = g.key();
    match g.below(14) {
        0 => {
            let n = 1 + g.below(3);
            [
                vec![g.pick(&["LPUSH", "RPUSH"]), k],
                (0..n).map(|_| g.member()).collect(),
            ]
            .concat()
        }
        1 => [
            vec!["RPUSH".into(), k],
            (0..1 + g.below(150))
                .map(|i| format!("e{}", i % 50))
                .collect(),
        ]
        .concat(),
        2 => vec!["LPUSHX".into(), k, g.value()],
        3 => [
            vec![g.pick(&["LPOP", "RPOP"]), k],
            g.maybe(&["-1", "0", "2"]),
        ]
        .concat(),
        4 => vec!["LRANGE".into(), k, g.int(-5, 5), g.int(-5, 5)],
        5 => vec!["LINDEX".into(), k, g.int(-5, 5)],
        6 => vec!["LSET".into(), k, g.int(-3, 3), g.value()],
        7 => vec!["LREM".into(), k, g.int(-2, 2), g.member()],
        8 => vec!["LTRIM".into(), k, g.int(-5, 5), g.int(-5, 5)],
        9 => vec![
            "LINSERT".into(),
            k,
            g.pick(&["BEFORE", "AFTER", "X"]),
            g.member(),
            g.value(),
        ],
        10 => {
            let mut a = vec!["LPOS".into(), k, g.member()];
            let opts: [&str; 3] = ["RANK", "COUNT", "MAXLEN"];
            if g.chance() {
                a.extend([g.pick(&opts), g.int(-2, 3)]);
            }
            a
        }
        11 => vec![
            "LMOVE".into(),
            k,
            g.key(),
            g.pick(&["LEFT", "RIGHT"]),
            g.pick(&["LEFT", "RIGHT"]),
        ],
        12 => [
            vec!["LMPOP".into(), g.int(0, 3)],
            g.keys(2),
            vec![g.pick(&["LEFT", "RIGHT"])],
            g.maybe(&["COUNT"]),
        ]
        .concat(),
        _ => vec!["LLEN".into(), k],
    }
}

fn hashes_and_sets(g: &mut Gen) -> Vec<String> {
    let k = g.key();
    match g.below(16) {
        0 => {
            let mut a = vec!["HSET".to_string(), k];
            for _ in 0..1 + g.below(3) {
                a.extend([g.member(), g.value()]);
            }
            a
        }
        1 => {
            let mut a = vec!["HSET".to_string(), k];
            for _ in 0..1 + g.below(80) {
                a.extend([format!("f{}", g.below(300)), g.value()]);
            }
            a
        }
        2 => vec![g.pick(&["HGET", "HEXISTS", "HSTRLEN"]), k, g.member()],
        3 => vec!["HDEL".into(), k, g.member(), g.member()],
        4 => vec![
            g.pick(&["HINCRBY", "HINCRBYFLOAT"]),
            k,
            g.member(),
            g.pick(&NUMBERS),
        ],
        5 => vec![g.pick(&["HGETALL", "HKEYS", "HVALS", "HLEN"]), k],
        6 => vec!["HSETNX".into(), k, g.member(), g.value()],
        7 => vec![
            g.pick(&["HRANDFIELD", "SRANDMEMBER", "ZRANDMEMBER"]),
            k,
            "0".into(),
        ],
        8 => {
            let n = 1 + g.below(4);
            [vec!["SADD".into(), k], (0..n).map(|_| g.member()).collect()].concat()
        }
        9 => {
            let n = 1 + g.below(150);
            let ints = g.chance();
            let members = (0..n)
                .map(|_| {
                    if ints {
                        g.below(600).to_string()
                    } else {
                        format!("y{}", g.below(300))
                    }
                })
                .collect();
            [vec!["SADD".into(), k], members].concat()
        }
        10 => vec![g.pick(&["SREM", "SMISMEMBER"]), k, g.member(), g.member()],
        11 if g.chance() => vec!["SISMEMBER".into(), k, g.member()],
        11 => vec![g.pick(&["SMEMBERS", "SCARD"]), k],
        12 => [vec![g.pick(&["SINTER", "SUNION", "SDIFF"])], g.some_keys(3)].concat(),
        13 => [
            vec![
                g.pick(&["SINTERSTORE", "SUNIONSTORE", "SDIFFSTORE"]),
                g.key(),
            ],
            g.some_keys(3),
        ]
        .concat(),
        14 => [
            vec!["SINTERCARD".into(), g.int(0, 3)],
            g.keys(2),
            g.maybe(&["LIMIT"]),
        ]
        .concat(),
        _ => vec!["SMOVE".into(), k, g.key(), g.member()],
    }
}

fn zsets(g: &mut Gen) -> Vec<String> {
    let k = g.key();
    match g.below(14) {
        0 => {
            let mut a = [
                vec!["ZADD".into(), k],
                g.maybe(&["NX", "XX", "GT", "LT", "CH", "INCR"]),
            ]
            .concat();
            for _ in 0..1 + g.below(2) {
                a.extend([g.pick(&SCORES), g.member()]);
            }
            a
        }
        1 => {
            let mut a = vec!["ZADD".to_string(), k];
            for _ in 0..1 + g.below(80) {
                a.extend([g.int(-5, 5), format!("m{}", g.below(300))]);
            }
            a
        }
        2 => vec![g.pick(&["ZSCORE", "ZRANK", "ZREVRANK"]), k, g.member()],
        3 => vec!["ZINCRBY".into(), k, g.pick(&SCORES), g.member()],
        4 => vec!["ZREM".into(), k, g.member(), g.member()],
        5 => [
            vec!["ZRANGE".into(), k, g.int(-3, 3), g.int(-3, 3)],
            g.maybe(&["WITHSCORES", "REV"]),
        ]
        .concat(),
        6 => [
            vec![
                "ZRANGE".into(),
                k,
                g.pick(&SCORES),
                g.pick(&SCORES),
                "BYSCORE".into(),
            ],
            g.maybe(&["REV"]),
            g.maybe(&["WITHSCORES"]),
        ]
        .concat(),
        7 => vec![
            g.pick(&["ZCOUNT", "ZREMRANGEBYSCORE"]),
            k,
            g.pick(&SCORES),
            g.pick(&SCORES),
        ],
        8 => vec!["ZREMRANGEBYRANK".into(), k, g.int(-3, 3), g.int(-3, 3)],
        9 => [
            vec![g.pick(&["ZPOPMIN", "ZPOPMAX"]), k],
            g.maybe(&["-1", "0", "2"]),
        ]
        .concat(),
        10 => [
            vec![
                g.pick(&["ZUNIONSTORE", "ZINTERSTORE", "ZDIFFSTORE"]),
                g.key(),
                "2".into(),
            ],
            g.keys(2),
            g.maybe(&["WEIGHTS"]),
        ]
        .concat(),
        11 => [
            vec![g.pick(&["ZUNION", "ZINTER", "ZDIFF"]), g.int(0, 3)],
            g.keys(2),
            g.maybe(&["WITHSCORES"]),
        ]
        .concat(),
        12 => vec!["ZRANGESTORE".into(), g.key(), k, g.int(-3, 3), g.int(-3, 3)],
        _ => vec!["ZCARD".into(), k],
    }
}

fn lex(g: &mut Gen) -> Vec<String> {
    let k = g.pick(&LEX_KEYS);
    let (min, max) = (g.pick(&LEX_BOUNDS), g.pick(&LEX_BOUNDS));
    let limit = if g.chance() {
        vec!["LIMIT".into(), g.int(-1, 3), g.int(-1, 3)]
    } else {
        vec![]
    };
    match g.below(7) {
        0 => {
            let mut a = vec!["ZADD".to_string(), k];
            let same_score = g.chance();
            for _ in 0..1 + g.below(4) {
                let score = if same_score { "0".into() } else { g.int(0, 3) };
                a.extend([score, g.pick(&LEX_MEMBERS)]);
            }
            a
        }
        1 => [
            vec!["ZRANGE".into(), k, min, max, "BYLEX".into()],
            g.maybe(&["REV"]),
            limit,
        ]
        .concat(),
        2 => [
            vec![g.pick(&["ZRANGEBYLEX", "ZREVRANGEBYLEX"]), k, min, max],
            limit,
        ]
        .concat(),
        3 => vec![g.pick(&["ZLEXCOUNT", "ZREMRANGEBYLEX"]), k, min, max],
        4 => vec![
            "ZRANGESTORE".into(),
            g.pick(&LEX_KEYS),
            k,
            min,
            max,
            "BYLEX".into(),
        ],
        5 => vec!["ZREM".into(), k, g.pick(&LEX_MEMBERS)],
        _ => vec![
            "ZRANGE".into(),
            k,
            "0".into(),
            "-1".into(),
            "WITHSCORES".into(),
        ],
    }
}
