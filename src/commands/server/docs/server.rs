//! COMMAND DOCS / COMMAND INFO metadata of the server and scripting commands: INFO, CONFIG, COMMAND, FLUSH*, MEMORY, persistence, ..., as Redis 7.0
//! declares it (syntax in the notation of `syntax`; see `FamilyDocs`). Kept apart from
//! the handlers so the table of facts about Redis's interface changes on its own.

use super::FamilyDocs;

pub const DOCS: FamilyDocs = FamilyDocs {
    syntax: &[
        ("flushdb", "[@async ASYNC{since=4.0.0} | SYNC{since=6.2.0}]"),
        (
            "flushall",
            "[@async ASYNC{since=4.0.0} | SYNC{since=6.2.0}]",
        ),
        ("config|get", "(@parameter parameter)..."),
        ("config|set", "(parameter value)..."),
        ("command|info", "[command-name...]"),
        ("command|docs", "[command-name...]"),
        (
            "command|list",
            "[FILTERBY (@filterby MODULE module-name | ACLCAT category | PATTERN pattern)]",
        ),
        ("info", "[section...]"),
        (
            "shutdown",
            "[NOSAVE | SAVE] [NOW]{since=7.0.0} [FORCE]{since=7.0.0} [ABORT]{since=7.0.0}",
        ),
        ("function|flush", "[@async ASYNC | SYNC]"),
        ("script|flush", "[@async ASYNC | SYNC]{since=6.2.0}"),
        ("memory|usage", "key [SAMPLES count:integer]"),
        ("bgsave", "[SCHEDULE]{since=3.2.2}"),
        ("swapdb", "index1:integer index2:integer"),
        ("slowlog|get", "[count:integer]"),
        ("latency|graph", "event"),
        ("latency|history", "event"),
        ("latency|reset", "[event...]"),
        ("latency|histogram", "[command...]"),
    ],
    key_flags: &[(&["RO"], &["memory|usage"])],
    tips: &[
        (
            "dbsize",
            &["request_policy:all_shards", "response_policy:agg_sum"],
        ),
        (
            "flushdb",
            &["request_policy:all_shards", "response_policy:all_succeeded"],
        ),
        (
            "flushall",
            &["request_policy:all_shards", "response_policy:all_succeeded"],
        ),
        ("time", &["nondeterministic_output"]),
        (
            "config|set",
            &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ),
        ("command", &["nondeterministic_output_order"]),
        ("command|info", &["nondeterministic_output_order"]),
        ("command|docs", &["nondeterministic_output_order"]),
        ("command|list", &["nondeterministic_output_order"]),
        (
            "info",
            &[
                "nondeterministic_output",
                "request_policy:all_shards",
                "response_policy:special",
            ],
        ),
        (
            "function|flush",
            &["request_policy:all_shards", "response_policy:all_succeeded"],
        ),
        (
            "script|flush",
            &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ),
        (
            "memory|doctor",
            &[
                "nondeterministic_output",
                "request_policy:all_shards",
                "response_policy:special",
            ],
        ),
        (
            "memory|malloc-stats",
            &[
                "nondeterministic_output",
                "request_policy:all_shards",
                "response_policy:special",
            ],
        ),
        (
            "memory|purge",
            &["request_policy:all_shards", "response_policy:all_succeeded"],
        ),
        (
            "memory|stats",
            &[
                "nondeterministic_output",
                "request_policy:all_shards",
                "response_policy:special",
            ],
        ),
        ("lastsave", &["nondeterministic_output"]),
        (
            "slowlog|get",
            &["request_policy:all_nodes", "nondeterministic_output"],
        ),
        (
            "slowlog|len",
            &[
                "request_policy:all_nodes",
                "response_policy:agg_sum",
                "nondeterministic_output",
            ],
        ),
        (
            "slowlog|reset",
            &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ),
        (
            "latency|reset",
            &["request_policy:all_nodes", "response_policy:all_succeeded"],
        ),
        (
            "latency|doctor",
            &[
                "nondeterministic_output",
                "request_policy:all_nodes",
                "response_policy:special",
            ],
        ),
        (
            "latency|graph",
            &[
                "nondeterministic_output",
                "request_policy:all_nodes",
                "response_policy:special",
            ],
        ),
        (
            "latency|histogram",
            &[
                "nondeterministic_output",
                "request_policy:all_nodes",
                "response_policy:special",
            ],
        ),
        (
            "latency|history",
            &[
                "nondeterministic_output",
                "request_policy:all_nodes",
                "response_policy:special",
            ],
        ),
        (
            "latency|latest",
            &[
                "nondeterministic_output",
                "request_policy:all_nodes",
                "response_policy:special",
            ],
        ),
    ],
    key_specs: &[],
    history: &[
        (
            "flushdb",
            &[
                ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                ("6.2.0", "Added the `SYNC` flushing mode modifier."),
            ],
        ),
        (
            "flushall",
            &[
                ("4.0.0", "Added the `ASYNC` flushing mode modifier."),
                ("6.2.0", "Added the `SYNC` flushing mode modifier."),
            ],
        ),
        (
            "config|get",
            &[(
                "7.0.0",
                "Added the ability to pass multiple pattern parameters in one call",
            )],
        ),
        (
            "config|set",
            &[(
                "7.0.0",
                "Added the ability to set multiple parameters in one call.",
            )],
        ),
        (
            "command|info",
            &[(
                "7.0.0",
                "Allowed to be called with no argument to get info on all commands.",
            )],
        ),
        (
            "info",
            &[(
                "7.0.0",
                "Added support for taking multiple section arguments.",
            )],
        ),
        (
            "shutdown",
            &[("7.0.0", "Added the `NOW`, `FORCE` and `ABORT` modifiers.")],
        ),
        (
            "script|flush",
            &[(
                "6.2.0",
                "Added the `ASYNC` and `SYNC` flushing mode modifiers.",
            )],
        ),
        ("bgsave", &[("3.2.2", "Added the `SCHEDULE` option.")]),
        (
            "slowlog|get",
            &[(
                "4.0.0",
                "Added client IP address, port and name to the reply.",
            )],
        ),
    ],
    deprecated: &[],
    doc_flags: &[("debug", &["syscmd"])],
};
