//! COMMAND DOCS / COMMAND INFO metadata of the connection and CLIENT commands, as Redis 7.0
//! declares it (syntax in the notation of `syntax`; see `FamilyDocs`). Kept apart from
//! the handlers so the table of facts about Redis's interface changes on its own.

use super::FamilyDocs;

pub const DOCS: FamilyDocs = FamilyDocs {
    syntax: &[
        ("ping", "[message]"),
        ("echo", "message"),
        ("select", "index:integer"),
        ("auth", "[username{since=6.0.0}] password"),
        (
            "hello",
            "[@arguments protover:integer [AUTH (username password)] [SETNAME clientname]]",
        ),
        ("client|setname", "connection-name"),
        (
            "client|list",
            "[TYPE (NORMAL | MASTER | REPLICA | PUBSUB)]{since=5.0.0} [ID (@id client-id:integer...)]{since=6.2.0}",
        ),
        (
            "client|kill",
            "(@filter ip:port{deprecated_since=2.8.12} | (@new-format [ID client-id:integer{since=2.8.12}] | [TYPE (@normal_master_slave_pubsub NORMAL | MASTER{since=3.2.0} | SLAVE | REPLICA{since=5.0.0} | PUBSUB)]{since=2.8.12} | [USER username] | [ADDR ip:port] | [LADDR ip:port{since=6.2.0}] | [SKIPME yes/no])...)",
        ),
        ("client|unblock", "client-id:integer [TIMEOUT | ERROR]"),
        ("client|reply", "(ON | OFF | SKIP)"),
        ("client|no-evict", "(@enabled ON | OFF)"),
        (
            "client|pause",
            "timeout:integer [@mode WRITE | ALL]{since=6.2.0}",
        ),
    ],
    key_flags: &[],
    tips: &[
        (
            "ping",
            &["request_policy:all_shards", "response_policy:all_succeeded"],
        ),
        ("client|list", &["nondeterministic_output"]),
        ("client|info", &["nondeterministic_output"]),
    ],
    key_specs: &[],
    history: &[
        (
            "auth",
            &[("6.0.0", "Added ACL style (username and password).")],
        ),
        (
            "hello",
            &[(
                "6.2.0",
                "`protover` made optional; when called without arguments the command reports the current connection's context.",
            )],
        ),
        (
            "client|list",
            &[
                ("2.8.12", "Added unique client `id` field."),
                ("5.0.0", "Added optional `TYPE` filter."),
                ("6.0.0", "Added `user` field."),
                (
                    "6.2.0",
                    "Added `argv-mem`, `tot-mem`, `laddr` and `redir` fields and the optional `ID` filter.",
                ),
                (
                    "7.0.0",
                    "Added `resp`, `multi-mem`, `rbs` and `rbp` fields.",
                ),
                ("7.0.3", "Added `ssub` field."),
            ],
        ),
        (
            "client|kill",
            &[
                ("2.8.12", "Added new filter format."),
                ("2.8.12", "`ID` option."),
                ("3.2.0", "Added `master` type in for `TYPE` option."),
                (
                    "5.0.0",
                    "Replaced `slave` `TYPE` with `replica`. `slave` still supported for backward compatibility.",
                ),
                ("6.2.0", "`LADDR` option."),
            ],
        ),
        (
            "client|pause",
            &[(
                "6.2.0",
                "`CLIENT PAUSE WRITE` mode added along with the `mode` option.",
            )],
        ),
    ],
    deprecated: &[],
    doc_flags: &[],
};
