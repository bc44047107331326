//! COMMAND DOCS / COMMAND INFO metadata of the string and bitmap commands, as Redis 7.0
//! declares it (syntax in the notation of `syntax`; see `FamilyDocs`). Kept apart from
//! the handlers so the table of facts about Redis's interface changes on its own.

use super::{Deprecation, FamilyDocs, KeySpec};

pub const DOCS: FamilyDocs = FamilyDocs {
    syntax: &[
        ("get", "key"),
        (
            "set",
            "key value [@condition NX | XX]{since=2.6.12} [GET]{since=6.2.0} [@expiration EX seconds:integer{since=2.6.12} | PX milliseconds:integer{since=2.6.12} | EXAT unix-time-seconds:unix-time{since=6.2.0} | PXAT unix-time-milliseconds:unix-time{since=6.2.0} | KEEPTTL{since=6.0.0}]",
        ),
        ("setnx", "key value"),
        ("setex", "key seconds:integer value"),
        ("psetex", "key milliseconds:integer value"),
        ("getset", "key value"),
        ("getdel", "key"),
        (
            "getex",
            "key [@expiration EX seconds:integer | PX milliseconds:integer | EXAT unix-time-seconds:unix-time | PXAT unix-time-milliseconds:unix-time | PERSIST]",
        ),
        ("strlen", "key"),
        ("append", "key value"),
        ("incr", "key"),
        ("decr", "key"),
        ("incrby", "key increment:integer"),
        ("decrby", "key decrement:integer"),
        ("incrbyfloat", "key increment:double"),
        ("getrange", "key start:integer end:integer"),
        ("substr", "key start:integer end:integer"),
        ("setrange", "key offset:integer value"),
        ("mget", "key..."),
        ("mset", "(key value)..."),
        ("msetnx", "(key value)..."),
        ("setbit", "key offset:integer value:integer"),
        ("getbit", "key offset:integer"),
        (
            "bitcount",
            "key [@index start:integer end:integer [@index_unit BYTE | BIT]{since=7.0.0}]",
        ),
        (
            "bitpos",
            "key bit:integer [@index start:integer [@end_index end:integer [@index_unit BYTE | BIT]{since=7.0.0}]]",
        ),
        ("bitop", "operation destkey key..."),
        (
            "bitfield",
            "key [@operation GET (encoding offset:integer) | @write [OVERFLOW (WRAP | SAT | FAIL)] (@write_operation SET (encoding offset:integer value:integer) | INCRBY (encoding offset:integer increment:integer))]...",
        ),
        (
            "bitfield_ro",
            "key [GET (encoding offset:integer)]...{multiple_token}",
        ),
        (
            "lcs",
            "key1:key key2:key [LEN] [IDX] [MINMATCHLEN len:integer] [WITHMATCHLEN]",
        ),
    ],
    key_flags: &[
        (&["OW", "insert"], &["setnx", "msetnx"]),
        (&["OW", "update"], &["setex", "psetex", "mset"]),
        (
            &["RW", "access", "update"],
            &[
                "getset",
                "incr",
                "decr",
                "incrby",
                "decrby",
                "incrbyfloat",
                "setbit",
            ],
        ),
        (&["RW", "access", "delete"], &["getdel"]),
        (&["RO"], &["strlen"]),
        (&["RW", "insert"], &["append"]),
    ],
    tips: &[
        ("mget", &["request_policy:multi_shard"]),
        (
            "mset",
            &[
                "request_policy:multi_shard",
                "response_policy:all_succeeded",
            ],
        ),
        (
            "msetnx",
            &["request_policy:multi_shard", "response_policy:agg_min"],
        ),
    ],
    key_specs: &[
        (
            &[
                KeySpec::at(1, &["RW", "access", "update", "variable_flags"])
                    .noted("RW and ACCESS due to the optional `GET` argument"),
            ],
            &["set"],
        ),
        (
            &[KeySpec::at(1, &["RW", "access", "update"])
                .noted("RW and UPDATE because it changes the TTL")],
            &["getex"],
        ),
        (
            &[
                KeySpec::at(2, &["OW", "update"]),
                KeySpec::range(3, -1, &["RO", "access"]),
            ],
            &["bitop"],
        ),
        (
            &[
                KeySpec::at(1, &["RW", "access", "update", "variable_flags"])
                    .noted("This command allows both access and modification of the key"),
            ],
            &["bitfield"],
        ),
    ],
    history: &[
        (
            "set",
            &[
                ("2.6.12", "Added the `EX`, `PX`, `NX` and `XX` options."),
                ("6.0.0", "Added the `KEEPTTL` option."),
                ("6.2.0", "Added the `GET`, `EXAT` and `PXAT` option."),
                (
                    "7.0.0",
                    "Allowed the `NX` and `GET` options to be used together.",
                ),
            ],
        ),
        ("bitcount", &[("7.0.0", "Added the `BYTE|BIT` option.")]),
        ("bitpos", &[("7.0.0", "Added the `BYTE|BIT` option.")]),
    ],
    deprecated: &[
        (
            "getset",
            Deprecation {
                since: "6.2.0",
                replaced_by: "`SET` with the `!GET` argument",
            },
        ),
        (
            "substr",
            Deprecation {
                since: "2.0.0",
                replaced_by: "`GETRANGE`",
            },
        ),
    ],
    doc_flags: &[],
};
