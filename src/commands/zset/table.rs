//! The sorted-set command specs (Redis 7.0's COMMAND INFO / DOCS metadata).

use super::{blocking, pop, range, read, setops, write};
use crate::commands::{BASE, CommandSpec, NO_KEYS, Run, acl, flags, keys, numkeys};

const ZSET: CommandSpec = CommandSpec {
    group: "sorted-set",
    ..BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "zadd",
        arity: -4,
        flags: flags::WRITE | flags::DENYOOM | flags::FAST,
        acl: acl::WRITE | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "1.2.0",
        summary: "Add one or more members to a sorted set, or update its score if it already exists",
        complexity: "O(log(N)) for each item added, where N is the number of elements in the sorted set.",
        run: Run::Shard(write::zadd),
        ..ZSET
    },
    CommandSpec {
        name: "zincrby",
        arity: 4,
        flags: flags::WRITE | flags::DENYOOM | flags::FAST,
        acl: acl::WRITE | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "1.2.0",
        summary: "Increment the score of a member in a sorted set",
        complexity: "O(log(N)) where N is the number of elements in the sorted set.",
        run: Run::Shard(write::zincrby),
        ..ZSET
    },
    CommandSpec {
        name: "zrem",
        arity: -3,
        flags: flags::WRITE | flags::FAST,
        acl: acl::WRITE | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "1.2.0",
        summary: "Remove one or more members from a sorted set",
        complexity: "O(M*log(N)) with N being the number of elements in the sorted set and M the number of elements to be removed.",
        run: Run::Shard(write::zrem),
        ..ZSET
    },
    CommandSpec {
        name: "zcard",
        arity: 2,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "1.2.0",
        summary: "Get the number of members in a sorted set",
        complexity: "O(1)",
        run: Run::Shard(read::zcard),
        ..ZSET
    },
    CommandSpec {
        name: "zcount",
        arity: 4,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.0.0",
        summary: "Count the members in a sorted set with scores within the given values",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        run: Run::Shard(read::zcount),
        ..ZSET
    },
    CommandSpec {
        name: "zlexcount",
        arity: 4,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.8.9",
        summary: "Count the number of members in a sorted set between a given lexicographical range",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        run: Run::Shard(read::zlexcount),
        ..ZSET
    },
    CommandSpec {
        name: "zscore",
        arity: 3,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "1.2.0",
        summary: "Get the score associated with the given member in a sorted set",
        complexity: "O(1)",
        run: Run::Shard(read::zscore),
        ..ZSET
    },
    CommandSpec {
        name: "zmscore",
        arity: -3,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "6.2.0",
        summary: "Get the score associated with the given members in a sorted set",
        complexity: "O(N) where N is the number of members being requested.",
        run: Run::Shard(read::zmscore),
        ..ZSET
    },
    CommandSpec {
        name: "zrank",
        arity: 3,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.0.0",
        summary: "Determine the index of a member in a sorted set",
        complexity: "O(log(N))",
        run: Run::Shard(read::zrank),
        ..ZSET
    },
    CommandSpec {
        name: "zrevrank",
        arity: 3,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.0.0",
        summary: "Determine the index of a member in a sorted set, with scores ordered from high to low",
        complexity: "O(log(N))",
        run: Run::Shard(read::zrevrank),
        ..ZSET
    },
    CommandSpec {
        name: "zrange",
        arity: -4,
        flags: flags::READONLY,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "1.2.0",
        summary: "Return a range of members in a sorted set",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        run: Run::Shard(range::zrange),
        ..ZSET
    },
    CommandSpec {
        name: "zrangestore",
        arity: -5,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::WRITE | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 2, 1),
        since: "6.2.0",
        summary: "Store a range of members from sorted set into another key",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements stored into the destination key.",
        run: Run::MultiKey {
            single: range::zrangestore,
            spread: range::zrangestore_spread,
        },
        ..ZSET
    },
    CommandSpec {
        name: "zrevrange",
        arity: -4,
        flags: flags::READONLY,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "1.2.0",
        summary: "Return a range of members in a sorted set, by index, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements returned.",
        run: Run::Shard(range::zrevrange),
        ..ZSET
    },
    CommandSpec {
        name: "zrangebyscore",
        arity: -4,
        flags: flags::READONLY,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "1.0.5",
        summary: "Return a range of members in a sorted set, by score",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        run: Run::Shard(range::zrangebyscore),
        ..ZSET
    },
    CommandSpec {
        name: "zrevrangebyscore",
        arity: -4,
        flags: flags::READONLY,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.2.0",
        summary: "Return a range of members in a sorted set, by score, with scores ordered from high to low",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        run: Run::Shard(range::zrevrangebyscore),
        ..ZSET
    },
    CommandSpec {
        name: "zrangebylex",
        arity: -4,
        flags: flags::READONLY,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.8.9",
        summary: "Return a range of members in a sorted set, by lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        run: Run::Shard(range::zrangebylex),
        ..ZSET
    },
    CommandSpec {
        name: "zrevrangebylex",
        arity: -4,
        flags: flags::READONLY,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.8.9",
        summary: "Return a range of members in a sorted set, by lexicographical range, ordered from higher to lower strings.",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements being returned. If M is constant (e.g. always asking for the first 10 elements with LIMIT), you can consider it O(log(N)).",
        run: Run::Shard(range::zrevrangebylex),
        ..ZSET
    },
    CommandSpec {
        name: "zremrangebyrank",
        arity: 4,
        flags: flags::WRITE,
        acl: acl::WRITE | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.0.0",
        summary: "Remove all members in a sorted set within the given indexes",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        run: Run::Shard(range::zremrangebyrank),
        ..ZSET
    },
    CommandSpec {
        name: "zremrangebyscore",
        arity: 4,
        flags: flags::WRITE,
        acl: acl::WRITE | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "1.2.0",
        summary: "Remove all members in a sorted set within the given scores",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        run: Run::Shard(range::zremrangebyscore),
        ..ZSET
    },
    CommandSpec {
        name: "zremrangebylex",
        arity: 4,
        flags: flags::WRITE,
        acl: acl::WRITE | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.8.9",
        summary: "Remove all members in a sorted set between the given lexicographical range",
        complexity: "O(log(N)+M) with N being the number of elements in the sorted set and M the number of elements removed by the operation.",
        run: Run::Shard(range::zremrangebylex),
        ..ZSET
    },
    CommandSpec {
        name: "zpopmin",
        arity: -2,
        flags: flags::WRITE | flags::FAST,
        acl: acl::WRITE | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "5.0.0",
        summary: "Remove and return members with the lowest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        run: Run::Shard(pop::zpopmin),
        ..ZSET
    },
    CommandSpec {
        name: "zpopmax",
        arity: -2,
        flags: flags::WRITE | flags::FAST,
        acl: acl::WRITE | acl::SORTEDSET | acl::FAST,
        keys: keys(1, 1, 1),
        since: "5.0.0",
        summary: "Remove and return members with the highest scores in a sorted set",
        complexity: "O(log(N)*M) with N being the number of elements in the sorted set, and M being the number of elements popped.",
        run: Run::Shard(pop::zpopmax),
        ..ZSET
    },
    CommandSpec {
        name: "bzpopmin",
        arity: -3,
        flags: flags::WRITE | flags::NOSCRIPT | flags::BLOCKING | flags::FAST,
        acl: acl::WRITE | acl::SORTEDSET | acl::FAST | acl::BLOCKING,
        keys: keys(1, -2, 1),
        since: "5.0.0",
        summary: "Remove and return the member with the lowest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        run: Run::Coord(blocking::bzpopmin),
        ..ZSET
    },
    CommandSpec {
        name: "bzpopmax",
        arity: -3,
        flags: flags::WRITE | flags::NOSCRIPT | flags::BLOCKING | flags::FAST,
        acl: acl::WRITE | acl::SORTEDSET | acl::FAST | acl::BLOCKING,
        keys: keys(1, -2, 1),
        since: "5.0.0",
        summary: "Remove and return the member with the highest score from one or more sorted sets, or block until one is available",
        complexity: "O(log(N)) with N being the number of elements in the sorted set.",
        run: Run::Coord(blocking::bzpopmax),
        ..ZSET
    },
    CommandSpec {
        name: "bzmpop",
        arity: -5,
        flags: flags::WRITE | flags::BLOCKING | flags::MOVABLEKEYS,
        acl: acl::WRITE | acl::SORTEDSET | acl::SLOW | acl::BLOCKING,
        keys: numkeys(NO_KEYS, 2),
        since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set or block until one is available",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        run: Run::Coord(blocking::bzmpop),
        ..ZSET
    },
    CommandSpec {
        name: "zmpop",
        arity: -4,
        flags: flags::WRITE | flags::MOVABLEKEYS,
        acl: acl::WRITE | acl::SORTEDSET | acl::SLOW,
        keys: numkeys(NO_KEYS, 1),
        since: "7.0.0",
        summary: "Remove and return members with scores in a sorted set",
        complexity: "O(K) + O(M*log(N)) where K is the number of provided keys, N being the number of elements in the sorted set, and M being the number of elements popped.",
        run: Run::MultiKey {
            single: pop::zmpop,
            spread: pop::zmpop_spread,
        },
        ..ZSET
    },
    CommandSpec {
        name: "zrandmember",
        arity: -2,
        flags: flags::READONLY,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "6.2.0",
        summary: "Get one or multiple random elements from a sorted set",
        complexity: "O(N) where N is the number of elements returned",
        run: Run::Shard(read::zrandmember),
        ..ZSET
    },
    CommandSpec {
        name: "zunion",
        arity: -3,
        flags: flags::READONLY | flags::MOVABLEKEYS,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: numkeys(NO_KEYS, 1),
        since: "6.2.0",
        summary: "Add multiple sorted sets",
        complexity: "O(N)+O(M*log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        run: Run::MultiKey {
            single: setops::zunion,
            spread: setops::zunion_spread,
        },
        ..ZSET
    },
    CommandSpec {
        name: "zunionstore",
        arity: -4,
        flags: flags::WRITE | flags::DENYOOM | flags::MOVABLEKEYS,
        acl: acl::WRITE | acl::SORTEDSET | acl::SLOW,
        keys: numkeys(keys(1, 1, 1), 2),
        since: "2.0.0",
        summary: "Add multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N)+O(M log(M)) with N being the sum of the sizes of the input sorted sets, and M being the number of elements in the resulting sorted set.",
        run: Run::MultiKey {
            single: setops::zunionstore,
            spread: setops::zunionstore_spread,
        },
        ..ZSET
    },
    CommandSpec {
        name: "zinter",
        arity: -3,
        flags: flags::READONLY | flags::MOVABLEKEYS,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: numkeys(NO_KEYS, 1),
        since: "6.2.0",
        summary: "Intersect multiple sorted sets",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        run: Run::MultiKey {
            single: setops::zinter,
            spread: setops::zinter_spread,
        },
        ..ZSET
    },
    CommandSpec {
        name: "zinterstore",
        arity: -4,
        flags: flags::WRITE | flags::DENYOOM | flags::MOVABLEKEYS,
        acl: acl::WRITE | acl::SORTEDSET | acl::SLOW,
        keys: numkeys(keys(1, 1, 1), 2),
        since: "2.0.0",
        summary: "Intersect multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(N*K)+O(M*log(M)) worst case with N being the smallest input sorted set, K being the number of input sorted sets and M being the number of elements in the resulting sorted set.",
        run: Run::MultiKey {
            single: setops::zinterstore,
            spread: setops::zinterstore_spread,
        },
        ..ZSET
    },
    CommandSpec {
        name: "zintercard",
        arity: -3,
        flags: flags::READONLY | flags::MOVABLEKEYS,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: numkeys(NO_KEYS, 1),
        since: "7.0.0",
        summary: "Intersect multiple sorted sets and return the cardinality of the result",
        complexity: "O(N*K) worst case with N being the smallest input sorted set, K being the number of input sorted sets.",
        run: Run::MultiKey {
            single: setops::zintercard,
            spread: setops::zintercard_spread,
        },
        ..ZSET
    },
    CommandSpec {
        name: "zdiff",
        arity: -3,
        flags: flags::READONLY | flags::MOVABLEKEYS,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: numkeys(NO_KEYS, 1),
        since: "6.2.0",
        summary: "Subtract multiple sorted sets",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        run: Run::MultiKey {
            single: setops::zdiff,
            spread: setops::zdiff_spread,
        },
        ..ZSET
    },
    CommandSpec {
        name: "zdiffstore",
        arity: -4,
        flags: flags::WRITE | flags::DENYOOM | flags::MOVABLEKEYS,
        acl: acl::WRITE | acl::SORTEDSET | acl::SLOW,
        keys: numkeys(keys(1, 1, 1), 2),
        since: "6.2.0",
        summary: "Subtract multiple sorted sets and store the resulting sorted set in a new key",
        complexity: "O(L + (N-K)log(N)) worst case where L is the total number of elements in all the sets, N is the size of the first set, and K is the size of the result set.",
        run: Run::MultiKey {
            single: setops::zdiffstore,
            spread: setops::zdiffstore_spread,
        },
        ..ZSET
    },
    CommandSpec {
        name: "zscan",
        arity: -3,
        flags: flags::READONLY,
        acl: acl::READ | acl::SORTEDSET | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.8.0",
        summary: "Incrementally iterate sorted sets elements and associated scores",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        run: Run::Shard(read::zscan),
        ..ZSET
    },
];

// ---- COMMAND DOCS / INFO metadata (data only; owned by the docs work) -------------------

pub use docs_data::DOCS;

mod docs_data {
    use crate::commands::server::docs::{Deprecation, FamilyDocs, KeySpec};

    const POP_FLAGS: &[&str] = &["RW", "access", "delete"];
    /// The `*STORE` commands: the destination, then the counted source keys.
    const STORE_SPECS: &[KeySpec] = &[
        KeySpec::at(1, &["OW", "update"]),
        KeySpec::keynum(2, &["RO", "access"]),
    ];
    const DOUBLE_TIMEOUT: &[(&str, &str)] = &[(
        "6.0.0",
        "`timeout` is interpreted as a double instead of an integer.",
    )];

    /// COMMAND DOCS syntax (notation of `docs`), key flags, key specs, tips, history and
    /// deprecations of the sorted-set commands, as Redis 7.0 declares them.
    pub const DOCS: FamilyDocs = FamilyDocs {
        syntax: &[
            (
                "bzmpop",
                "timeout:double numkeys:integer key... (@where MIN | MAX) [COUNT count:integer]",
            ),
            ("bzpopmax", "key... timeout:double"),
            ("bzpopmin", "key... timeout:double"),
            // In the table.
            (
                "zadd",
                "key [@condition NX | XX]{since=3.0.2} [@comparison GT | LT]{since=6.2.0} [@change CH]{since=3.0.2} [@increment INCR]{since=3.0.2} (score:double member)...",
            ),
            ("zcard", "key"),
            ("zcount", "key min:double max:double"),
            ("zdiff", "numkeys:integer key... [WITHSCORES]"),
            ("zdiffstore", "destination numkeys:integer key..."),
            ("zincrby", "key increment:integer member"),
            (
                "zinter",
                "numkeys:integer key... [WEIGHTS weight:integer]... [AGGREGATE (@aggregate SUM | MIN | MAX)] [WITHSCORES]",
            ),
            ("zintercard", "numkeys:integer key... [LIMIT limit:integer]"),
            (
                "zinterstore",
                "destination numkeys:integer key... [WEIGHTS weight:integer]... [AGGREGATE (@aggregate SUM | MIN | MAX)]",
            ),
            ("zlexcount", "key min max"),
            (
                "zmpop",
                "numkeys:integer key... (@where MIN | MAX) [COUNT count:integer]",
            ),
            ("zmscore", "key member..."),
            ("zpopmax", "key [count:integer]"),
            ("zpopmin", "key [count:integer]"),
            ("zrandmember", "key [@options count:integer [WITHSCORES]]"),
            (
                "zrange",
                "key start stop [@sortby BYSCORE | BYLEX]{since=6.2.0} [REV]{since=6.2.0} [LIMIT (offset:integer count:integer)]{since=6.2.0} [WITHSCORES]",
            ),
            (
                "zrangebylex",
                "key min max [LIMIT (offset:integer count:integer)]",
            ),
            (
                "zrangebyscore",
                "key min:double max:double [WITHSCORES]{since=2.0.0} [LIMIT (offset:integer count:integer)]",
            ),
            (
                "zrangestore",
                "dst:key src:key min max [@sortby BYSCORE | BYLEX] [REV] [LIMIT (offset:integer count:integer)]",
            ),
            ("zrank", "key member"),
            ("zrem", "key member..."),
            ("zremrangebylex", "key min max"),
            ("zremrangebyrank", "key start:integer stop:integer"),
            ("zremrangebyscore", "key min:double max:double"),
            ("zrevrange", "key start:integer stop:integer [WITHSCORES]"),
            (
                "zrevrangebylex",
                "key max min [LIMIT (offset:integer count:integer)]",
            ),
            (
                "zrevrangebyscore",
                "key max:double min:double [WITHSCORES] [LIMIT (offset:integer count:integer)]",
            ),
            ("zrevrank", "key member"),
            (
                "zscan",
                "key cursor:integer [MATCH pattern] [COUNT count:integer]",
            ),
            ("zscore", "key member"),
            (
                "zunion",
                "numkeys:integer key... [WEIGHTS weight:integer]... [AGGREGATE (@aggregate SUM | MIN | MAX)] [WITHSCORES]",
            ),
            (
                "zunionstore",
                "destination numkeys:integer key... [WEIGHTS weight:integer]... [AGGREGATE (@aggregate SUM | MIN | MAX)]",
            ),
        ],
        key_flags: &[
            (&["RO"], &["zcard"]),
            (&["RW", "access", "update"], &["zincrby"]),
            (POP_FLAGS, &["zmpop", "zpopmax", "zpopmin"]),
            (
                &["RW", "delete"],
                &[
                    "zrem",
                    "zremrangebylex",
                    "zremrangebyrank",
                    "zremrangebyscore",
                ],
            ),
        ],
        key_specs: &[
            (&[KeySpec::keynum(2, POP_FLAGS)], &["bzmpop"]),
            (
                &[KeySpec::range(1, -2, POP_FLAGS)],
                &["bzpopmax", "bzpopmin"],
            ),
            // In the table.
            (STORE_SPECS, &["zdiffstore", "zinterstore", "zunionstore"]),
            (
                &[
                    KeySpec::at(1, &["OW", "update"]),
                    KeySpec::at(2, &["RO", "access"]),
                ],
                &["zrangestore"],
            ),
        ],
        tips: &[
            ("zrandmember", &["nondeterministic_output"]),
            ("zscan", &["nondeterministic_output"]),
        ],
        history: &[
            ("bzpopmax", DOUBLE_TIMEOUT),
            ("bzpopmin", DOUBLE_TIMEOUT),
            (
                "zadd",
                &[
                    ("2.4.0", "Accepts multiple elements."),
                    ("3.0.2", "Added the `XX`, `NX`, `CH` and `INCR` options."),
                    ("6.2.0", "Added the `GT` and `LT` options."),
                ],
            ),
            (
                "zrange",
                &[(
                    "6.2.0",
                    "Added the `REV`, `BYSCORE`, `BYLEX` and `LIMIT` options.",
                )],
            ),
            (
                "zrangebyscore",
                &[("2.0.0", "Added the `WITHSCORES` modifier.")],
            ),
            ("zrem", &[("2.4.0", "Accepts multiple elements.")]),
            (
                "zrevrangebyscore",
                &[("2.1.6", "`min` and `max` can be exclusive.")],
            ),
        ],
        deprecated: &[
            (
                "zrangebylex",
                Deprecation {
                    since: "6.2.0",
                    replaced_by: "`ZRANGE` with the `BYLEX` argument",
                },
            ),
            (
                "zrangebyscore",
                Deprecation {
                    since: "6.2.0",
                    replaced_by: "`ZRANGE` with the `BYSCORE` argument",
                },
            ),
            (
                "zrevrange",
                Deprecation {
                    since: "6.2.0",
                    replaced_by: "`ZRANGE` with the `REV` argument",
                },
            ),
            (
                "zrevrangebylex",
                Deprecation {
                    since: "6.2.0",
                    replaced_by: "`ZRANGE` with the `REV` and `BYLEX` arguments",
                },
            ),
            (
                "zrevrangebyscore",
                Deprecation {
                    since: "6.2.0",
                    replaced_by: "`ZRANGE` with the `REV` and `BYSCORE` arguments",
                },
            ),
        ],
        ..FamilyDocs::NONE
    };
}
