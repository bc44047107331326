//! The set family's command table, and the COMMAND INFO / COMMAND DOCS data that
//! `commands::server::docs` keeps per command (key flags, tips, syntax) for the
//! integrator to merge into its tables.

use super::super::{BASE, CommandSpec, NO_KEYS, Run, acl, flags, keys, numkeys};
use super::{multi, sadd, scard, sismember, smembers, smismember, spop, srandmember, srem, sscan};
use crate::commands::server::docs::KeySpec;

const SET: CommandSpec = CommandSpec {
    group: "set",
    ..BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "sadd",
        arity: -3,
        flags: flags::WRITE | flags::DENYOOM | flags::FAST,
        acl: acl::WRITE | acl::SET | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Add one or more members to a set",
        complexity: "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.",
        run: Run::Shard(sadd),
        ..SET
    },
    CommandSpec {
        name: "srem",
        arity: -3,
        flags: flags::WRITE | flags::FAST,
        acl: acl::WRITE | acl::SET | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Remove one or more members from a set",
        complexity: "O(N) where N is the number of members to be removed.",
        run: Run::Shard(srem),
        ..SET
    },
    CommandSpec {
        name: "smembers",
        arity: 2,
        flags: flags::READONLY,
        acl: acl::READ | acl::SET | acl::SLOW,
        keys: keys(1, 1, 1),
        summary: "Get all the members in a set",
        complexity: "O(N) where N is the set cardinality.",
        run: Run::Shard(smembers),
        ..SET
    },
    CommandSpec {
        name: "sismember",
        arity: 3,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::SET | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Determine if a given value is a member of a set",
        run: Run::Shard(sismember),
        ..SET
    },
    CommandSpec {
        name: "smismember",
        arity: -3,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::SET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "6.2.0",
        summary: "Returns the membership associated with the given elements for a set",
        complexity: "O(N) where N is the number of elements being checked for membership",
        run: Run::Shard(smismember),
        ..SET
    },
    CommandSpec {
        name: "scard",
        arity: 2,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::SET | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Get the number of members in a set",
        run: Run::Shard(scard),
        ..SET
    },
    CommandSpec {
        name: "spop",
        arity: -2,
        flags: flags::WRITE | flags::FAST,
        acl: acl::WRITE | acl::SET | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Remove and return one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the value of the passed count.",
        run: Run::Shard(spop),
        ..SET
    },
    CommandSpec {
        name: "srandmember",
        arity: -2,
        flags: flags::READONLY,
        acl: acl::READ | acl::SET | acl::SLOW,
        keys: keys(1, 1, 1),
        summary: "Get one or multiple random members from a set",
        complexity: "Without the count argument O(1), otherwise O(N) where N is the absolute value of the passed count.",
        run: Run::Shard(srandmember),
        ..SET
    },
    CommandSpec {
        name: "smove",
        arity: 4,
        flags: flags::WRITE | flags::FAST,
        acl: acl::WRITE | acl::SET | acl::FAST,
        keys: keys(1, 2, 1),
        summary: "Move a member from one set to another",
        run: Run::MultiKey {
            single: multi::smove,
            spread: multi::smove_spread,
        },
        ..SET
    },
    CommandSpec {
        name: "sinter",
        arity: -2,
        flags: flags::READONLY,
        acl: acl::READ | acl::SET | acl::SLOW,
        keys: keys(1, -1, 1),
        summary: "Intersect multiple sets",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        run: Run::MultiKey {
            single: multi::sinter,
            spread: multi::sinter_spread,
        },
        ..SET
    },
    CommandSpec {
        name: "sintercard",
        arity: -3,
        flags: flags::READONLY | flags::MOVABLEKEYS,
        acl: acl::READ | acl::SET | acl::SLOW,
        keys: numkeys(NO_KEYS, 1),
        since: "7.0.0",
        summary: "Intersect multiple sets and return the cardinality of the result",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        run: Run::MultiKey {
            single: multi::sintercard,
            spread: multi::sintercard_spread,
        },
        ..SET
    },
    CommandSpec {
        name: "sinterstore",
        arity: -3,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::WRITE | acl::SET | acl::SLOW,
        keys: keys(1, -1, 1),
        summary: "Intersect multiple sets and store the resulting set in a key",
        complexity: "O(N*M) worst case where N is the cardinality of the smallest set and M is the number of sets.",
        run: Run::MultiKey {
            single: multi::sinterstore,
            spread: multi::sinterstore_spread,
        },
        ..SET
    },
    CommandSpec {
        name: "sunion",
        arity: -2,
        flags: flags::READONLY,
        acl: acl::READ | acl::SET | acl::SLOW,
        keys: keys(1, -1, 1),
        summary: "Add multiple sets",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        run: Run::MultiKey {
            single: multi::sunion,
            spread: multi::sunion_spread,
        },
        ..SET
    },
    CommandSpec {
        name: "sunionstore",
        arity: -3,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::WRITE | acl::SET | acl::SLOW,
        keys: keys(1, -1, 1),
        summary: "Add multiple sets and store the resulting set in a key",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        run: Run::MultiKey {
            single: multi::sunionstore,
            spread: multi::sunionstore_spread,
        },
        ..SET
    },
    CommandSpec {
        name: "sdiff",
        arity: -2,
        flags: flags::READONLY,
        acl: acl::READ | acl::SET | acl::SLOW,
        keys: keys(1, -1, 1),
        summary: "Subtract multiple sets",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        run: Run::MultiKey {
            single: multi::sdiff,
            spread: multi::sdiff_spread,
        },
        ..SET
    },
    CommandSpec {
        name: "sdiffstore",
        arity: -3,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::WRITE | acl::SET | acl::SLOW,
        keys: keys(1, -1, 1),
        summary: "Subtract multiple sets and store the resulting set in a key",
        complexity: "O(N) where N is the total number of elements in all given sets.",
        run: Run::MultiKey {
            single: multi::sdiffstore,
            spread: multi::sdiffstore_spread,
        },
        ..SET
    },
    CommandSpec {
        name: "sscan",
        arity: -3,
        flags: flags::READONLY,
        acl: acl::READ | acl::SET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.8.0",
        summary: "Incrementally iterate Set elements",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        run: Run::Shard(sscan),
        ..SET
    },
];

/// Key access flags of the key specs, as Redis 7.0 declares them. Redis gives SMOVE and the *STORE commands two key specs each;
/// listed here is the first (SMOVE's source, the destinations); the second is
/// `RW insert` for SMOVE's destination and `RO access` for the *STORE sources.
const KEY_FLAGS: &[(&[&str], &[&str])] = &[
    (&["RW", "insert"], &["sadd"]),
    (&["RW", "delete"], &["srem"]),
    (&["RW", "access", "delete"], &["spop"]),
    (&["RO"], &["sismember", "scard"]),
    (
        &["RO", "access"],
        &[
            "smembers",
            "smismember",
            "srandmember",
            "sinter",
            "sintercard",
            "sunion",
            "sdiff",
            "sscan",
        ],
    ),
];

/// Command tips of COMMAND INFO.
const TIPS: &[(&str, &[&str])] = &[
    ("smembers", &["nondeterministic_output_order"]),
    ("sinter", &["nondeterministic_output_order"]),
    ("sunion", &["nondeterministic_output_order"]),
    ("sdiff", &["nondeterministic_output_order"]),
    ("spop", &["nondeterministic_output"]),
    ("srandmember", &["nondeterministic_output"]),
    ("sscan", &["nondeterministic_output"]),
];

/// COMMAND DOCS syntax, in the notation of `docs::SYNTAX`.
const SYNTAX: &[(&str, &str)] = &[
    ("sadd", "key member..."),
    ("srem", "key member..."),
    ("smembers", "key"),
    ("sismember", "key member"),
    ("smismember", "key member..."),
    ("scard", "key"),
    ("spop", "key [count:integer{since=3.2.0}]"),
    ("srandmember", "key [count:integer{since=2.6.0}]"),
    ("smove", "source destination member"),
    ("sinter", "key..."),
    ("sintercard", "numkeys:integer key... [LIMIT limit:integer]"),
    ("sinterstore", "destination key..."),
    ("sunion", "key..."),
    ("sunionstore", "destination key..."),
    ("sdiff", "key..."),
    ("sdiffstore", "destination key..."),
    (
        "sscan",
        "key cursor:integer [MATCH pattern] [COUNT count:integer]",
    ),
];

/// Key specs of the commands whose keys have different flags (Redis 7.0's).
const KEY_SPECS: &[(&[KeySpec], &[&str])] = &[
    (
        &[
            KeySpec::at(1, &["RW", "access", "delete"]),
            KeySpec::at(2, &["RW", "insert"]),
        ],
        &["smove"],
    ),
    (
        &[
            KeySpec::at(1, &["RW", "update"]),
            KeySpec::range(2, -1, &["RO", "access"]),
        ],
        &["sinterstore"],
    ),
    (
        &[
            KeySpec::at(1, &["OW", "update"]),
            KeySpec::range(2, -1, &["RO", "access"]),
        ],
        &["sunionstore", "sdiffstore"],
    ),
];

/// The set family's COMMAND DOCS / INFO metadata.
pub const DOCS: crate::commands::server::docs::FamilyDocs =
    crate::commands::server::docs::FamilyDocs {
        syntax: SYNTAX,
        key_flags: KEY_FLAGS,
        tips: TIPS,
        key_specs: KEY_SPECS,
        history: &[
            ("sadd", &[("2.4.0", "Accepts multiple `member` arguments.")]),
            ("spop", &[("3.2.0", "Added the `count` argument.")]),
            (
                "srandmember",
                &[("2.6.0", "Added the optional `count` argument.")],
            ),
            ("srem", &[("2.4.0", "Accepts multiple `member` arguments.")]),
        ],
        ..crate::commands::server::docs::FamilyDocs::NONE
    };
