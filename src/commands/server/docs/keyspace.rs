//! COMMAND DOCS / COMMAND INFO metadata of the keyspace (generic) commands: DEL, EXPIRE, RENAME, COPY, SCAN, OBJECT, ..., as Redis 7.0
//! declares it (syntax in the notation of `syntax`; see `FamilyDocs`). Kept apart from
//! the handlers so the table of facts about Redis's interface changes on its own.

use super::{FamilyDocs, KeySpec};

pub const DOCS: FamilyDocs = FamilyDocs {
    syntax: &[
        ("dump", "key"),
        (
            "restore",
            "key ttl:integer serialized-value [REPLACE]{since=3.0.0} [ABSTTL]{since=5.0.0} [IDLETIME seconds:integer{since=5.0.0}] [FREQ frequency:integer{since=5.0.0}]",
        ),
        ("del", "key..."),
        ("unlink", "key..."),
        ("exists", "key..."),
        ("touch", "key..."),
        ("type", "key"),
        ("ttl", "key"),
        ("pttl", "key"),
        ("expiretime", "key"),
        ("pexpiretime", "key"),
        (
            "expire",
            "key seconds:integer [@condition NX | XX | GT | LT]{since=7.0.0}",
        ),
        (
            "pexpire",
            "key milliseconds:integer [@condition NX | XX | GT | LT]{since=7.0.0}",
        ),
        (
            "expireat",
            "key unix-time-seconds:unix-time [@condition NX | XX | GT | LT]{since=7.0.0}",
        ),
        (
            "pexpireat",
            "key unix-time-milliseconds:unix-time [@condition NX | XX | GT | LT]{since=7.0.0}",
        ),
        ("persist", "key"),
        ("rename", "key newkey"),
        ("renamenx", "key newkey"),
        (
            "copy",
            "source destination [DB destination-db:integer] [REPLACE]",
        ),
        ("move", "key db:integer"),
        ("keys", "pattern"),
        (
            "scan",
            "cursor:integer [MATCH pattern] [COUNT count:integer] [TYPE type{since=6.0.0}]",
        ),
        ("object|encoding", "key"),
        ("object|freq", "key"),
        ("object|idletime", "key"),
        ("object|refcount", "key"),
    ],
    key_flags: &[
        (&["OW", "update"], &["restore"]),
        (&["RM", "delete"], &["del", "unlink"]),
        (
            &["RO"],
            &[
                "exists",
                "touch",
                "type",
                "object|encoding",
                "object|freq",
                "object|idletime",
                "object|refcount",
            ],
        ),
        (&["RW", "access", "update"], &["move"]),
    ],
    tips: &[
        ("dump", &["nondeterministic_output"]),
        (
            "del",
            &["request_policy:multi_shard", "response_policy:agg_sum"],
        ),
        (
            "unlink",
            &["request_policy:multi_shard", "response_policy:agg_sum"],
        ),
        (
            "exists",
            &["request_policy:multi_shard", "response_policy:agg_sum"],
        ),
        (
            "touch",
            &["request_policy:multi_shard", "response_policy:agg_sum"],
        ),
        ("ttl", &["nondeterministic_output"]),
        ("pttl", &["nondeterministic_output"]),
        (
            "keys",
            &["request_policy:all_shards", "nondeterministic_output_order"],
        ),
        (
            "scan",
            &["nondeterministic_output", "request_policy:special"],
        ),
        (
            "randomkey",
            &["request_policy:all_shards", "nondeterministic_output"],
        ),
        ("object|encoding", &["nondeterministic_output"]),
        ("object|freq", &["nondeterministic_output"]),
        ("object|idletime", &["nondeterministic_output"]),
        ("object|refcount", &["nondeterministic_output"]),
    ],
    key_specs: &[
        (
            &[
                KeySpec::at(1, &["RW", "access", "delete"]),
                KeySpec::at(2, &["OW", "update"]),
            ],
            &["rename"],
        ),
        (
            &[
                KeySpec::at(1, &["RW", "access", "delete"]),
                KeySpec::at(2, &["OW", "insert"]),
            ],
            &["renamenx"],
        ),
        (
            &[
                KeySpec::at(1, &["RO", "access"]),
                KeySpec::at(2, &["OW", "update"]),
            ],
            &["copy"],
        ),
    ],
    history: &[
        (
            "restore",
            &[
                ("3.0.0", "Added the `REPLACE` modifier."),
                ("5.0.0", "Added the `ABSTTL` modifier."),
                ("5.0.0", "Added the `IDLETIME` and `FREQ` options."),
            ],
        ),
        ("exists", &[("3.0.3", "Accepts multiple `key` arguments.")]),
        ("ttl", &[("2.8.0", "Added the -2 reply.")]),
        ("pttl", &[("2.8.0", "Added the -2 reply.")]),
        (
            "expire",
            &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        ),
        (
            "pexpire",
            &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        ),
        (
            "expireat",
            &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        ),
        (
            "pexpireat",
            &[("7.0.0", "Added options: `NX`, `XX`, `GT` and `LT`.")],
        ),
        (
            "renamenx",
            &[(
                "3.2.0",
                "The command no longer returns an error when source and destination names are the same.",
            )],
        ),
        ("scan", &[("6.0.0", "Added the `TYPE` subcommand.")]),
    ],
    deprecated: &[],
    doc_flags: &[],
};
