//! The list commands' table entries, with Redis 7.0's COMMAND INFO metadata.

use super::blocking::{blmove, blmpop, blpop, brpop};
use super::moves::{LMOVE_RUN, LMPOP_RUN};
use super::{
    lindex, linsert, llen, lpop, lpos, lpush, lpushx, lrange, lrem, lset, ltrim, rpop, rpush,
    rpushx,
};
use crate::commands::{BASE, CommandSpec, NO_KEYS, Run, acl, flags, keys, numkeys};

const LIST: CommandSpec = CommandSpec {
    group: "list",
    keys: keys(1, 1, 1),
    ..BASE
};
const PUSH_COMPLEXITY: &str = "O(1) for each element added, so O(N) to add N elements when the command is called with multiple arguments.";
const W_FAST: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const ACL_W_FAST: u32 = acl::WRITE | acl::LIST | acl::FAST;
const ACL_W_SLOW: u32 = acl::WRITE | acl::LIST | acl::SLOW;
const ACL_R_SLOW: u32 = acl::READ | acl::LIST | acl::SLOW;
const ACL_BLOCK: u32 = acl::WRITE | acl::LIST | acl::SLOW | acl::BLOCKING;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "lpush",
        arity: -3,
        flags: W_FAST,
        acl: ACL_W_FAST,
        summary: "Prepend one or multiple elements to a list",
        complexity: PUSH_COMPLEXITY,
        run: Run::Shard(lpush),
        ..LIST
    },
    CommandSpec {
        name: "rpush",
        arity: -3,
        flags: W_FAST,
        acl: ACL_W_FAST,
        summary: "Append one or multiple elements to a list",
        complexity: PUSH_COMPLEXITY,
        run: Run::Shard(rpush),
        ..LIST
    },
    CommandSpec {
        name: "lpushx",
        arity: -3,
        flags: W_FAST,
        acl: ACL_W_FAST,
        since: "2.2.0",
        summary: "Prepend an element to a list, only if the list exists",
        complexity: PUSH_COMPLEXITY,
        run: Run::Shard(lpushx),
        ..LIST
    },
    CommandSpec {
        name: "rpushx",
        arity: -3,
        flags: W_FAST,
        acl: ACL_W_FAST,
        since: "2.2.0",
        summary: "Append an element to a list, only if the list exists",
        complexity: PUSH_COMPLEXITY,
        run: Run::Shard(rpushx),
        ..LIST
    },
    CommandSpec {
        name: "lpop",
        arity: -2,
        flags: flags::WRITE | flags::FAST,
        acl: ACL_W_FAST,
        summary: "Remove and get the first elements in a list",
        complexity: "O(N) where N is the number of elements returned",
        run: Run::Shard(lpop),
        ..LIST
    },
    CommandSpec {
        name: "rpop",
        arity: -2,
        flags: flags::WRITE | flags::FAST,
        acl: ACL_W_FAST,
        summary: "Remove and get the last elements in a list",
        complexity: "O(N) where N is the number of elements returned",
        run: Run::Shard(rpop),
        ..LIST
    },
    CommandSpec {
        name: "llen",
        arity: 2,
        flags: flags::READONLY | flags::FAST,
        acl: acl::READ | acl::LIST | acl::FAST,
        summary: "Get the length of a list",
        run: Run::Shard(llen),
        ..LIST
    },
    CommandSpec {
        name: "lindex",
        arity: 3,
        flags: flags::READONLY,
        acl: ACL_R_SLOW,
        summary: "Get an element from a list by its index",
        complexity: "O(N) where N is the number of elements to traverse to get to the element at index. This makes asking for the first or the last element of the list O(1).",
        run: Run::Shard(lindex),
        ..LIST
    },
    CommandSpec {
        name: "linsert",
        arity: 5,
        flags: flags::WRITE | flags::DENYOOM,
        acl: ACL_W_SLOW,
        since: "2.2.0",
        summary: "Insert an element before or after another element in a list",
        complexity: "O(N) where N is the number of elements to traverse before seeing the value pivot. This means that inserting somewhere on the left end on the list (head) can be considered O(1) and inserting somewhere on the right end (tail) is O(N).",
        run: Run::Shard(linsert),
        ..LIST
    },
    CommandSpec {
        name: "lrange",
        arity: 4,
        flags: flags::READONLY,
        acl: ACL_R_SLOW,
        summary: "Get a range of elements from a list",
        complexity: "O(S+N) where S is the distance of start offset from HEAD for small lists, from nearest end (HEAD or TAIL) for large lists; and N is the number of elements in the specified range.",
        run: Run::Shard(lrange),
        ..LIST
    },
    CommandSpec {
        name: "lrem",
        arity: 4,
        flags: flags::WRITE,
        acl: ACL_W_SLOW,
        summary: "Remove elements from a list",
        complexity: "O(N+M) where N is the length of the list and M is the number of elements removed.",
        run: Run::Shard(lrem),
        ..LIST
    },
    CommandSpec {
        name: "lset",
        arity: 4,
        flags: flags::WRITE | flags::DENYOOM,
        acl: ACL_W_SLOW,
        summary: "Set the value of an element in a list by its index",
        complexity: "O(N) where N is the length of the list. Setting either the first or the last element of the list is O(1).",
        run: Run::Shard(lset),
        ..LIST
    },
    CommandSpec {
        name: "ltrim",
        arity: 4,
        flags: flags::WRITE,
        acl: ACL_W_SLOW,
        summary: "Trim a list to the specified range",
        complexity: "O(N) where N is the number of elements to be removed by the operation.",
        run: Run::Shard(ltrim),
        ..LIST
    },
    CommandSpec {
        name: "lpos",
        arity: -3,
        flags: flags::READONLY,
        acl: ACL_R_SLOW,
        since: "6.0.6",
        summary: "Return the index of matching elements on a list",
        complexity: "O(N) where N is the number of elements in the list, for the average case. When searching for elements near the head or the tail of the list, or when the MAXLEN option is provided, the command may run in constant time.",
        run: Run::Shard(lpos),
        ..LIST
    },
    CommandSpec {
        name: "lmove",
        arity: 5,
        flags: flags::WRITE | flags::DENYOOM,
        acl: ACL_W_SLOW,
        keys: keys(1, 2, 1),
        since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it",
        run: LMOVE_RUN,
        ..LIST
    },
    CommandSpec {
        name: "rpoplpush",
        arity: 3,
        flags: flags::WRITE | flags::DENYOOM,
        acl: ACL_W_SLOW,
        keys: keys(1, 2, 1),
        since: "1.2.0",
        summary: "Remove the last element in a list, prepend it to another list and return it",
        run: LMOVE_RUN,
        ..LIST
    },
    CommandSpec {
        name: "lmpop",
        arity: -4,
        flags: flags::WRITE | flags::MOVABLEKEYS,
        acl: ACL_W_SLOW,
        keys: numkeys(NO_KEYS, 1),
        since: "7.0.0",
        summary: "Pop elements from a list",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        run: LMPOP_RUN,
        ..LIST
    },
    CommandSpec {
        name: "blpop",
        arity: -3,
        flags: flags::WRITE | flags::NOSCRIPT | flags::BLOCKING,
        acl: ACL_BLOCK,
        keys: keys(1, -2, 1),
        since: "2.0.0",
        summary: "Remove and get the first element in a list, or block until one is available",
        complexity: "O(N) where N is the number of provided keys.",
        run: Run::Coord(blpop),
        ..LIST
    },
    CommandSpec {
        name: "brpop",
        arity: -3,
        flags: flags::WRITE | flags::NOSCRIPT | flags::BLOCKING,
        acl: ACL_BLOCK,
        keys: keys(1, -2, 1),
        since: "2.0.0",
        summary: "Remove and get the last element in a list, or block until one is available",
        complexity: "O(N) where N is the number of provided keys.",
        run: Run::Coord(brpop),
        ..LIST
    },
    CommandSpec {
        name: "blmove",
        arity: 6,
        flags: flags::WRITE | flags::DENYOOM | flags::NOSCRIPT | flags::BLOCKING,
        acl: ACL_BLOCK,
        keys: keys(1, 2, 1),
        since: "6.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        run: Run::Coord(blmove),
        ..LIST
    },
    CommandSpec {
        name: "brpoplpush",
        arity: 4,
        flags: flags::WRITE | flags::DENYOOM | flags::NOSCRIPT | flags::BLOCKING,
        acl: ACL_BLOCK,
        keys: keys(1, 2, 1),
        since: "2.2.0",
        summary: "Pop an element from a list, push it to another list and return it; or block until one is available",
        run: Run::Coord(blmove),
        ..LIST
    },
    CommandSpec {
        name: "blmpop",
        arity: -5,
        flags: flags::WRITE | flags::BLOCKING | flags::MOVABLEKEYS,
        acl: ACL_BLOCK,
        keys: numkeys(NO_KEYS, 2),
        since: "7.0.0",
        summary: "Pop elements from a list, or block until one is available",
        complexity: "O(N+M) where N is the number of provided keys and M is the number of elements returned.",
        run: Run::Coord(blmpop),
        ..LIST
    },
];

// ---- COMMAND DOCS / INFO metadata (data only; owned by the docs work) -------------------

pub use docs_data::DOCS;

mod docs_data {
    use crate::commands::server::docs::{Deprecation, FamilyDocs, KeySpec};

    const POP_FLAGS: &[&str] = &["RW", "access", "delete"];
    /// Source and destination of the moves, one key spec each.
    const MOVE_SPECS: &[KeySpec] = &[KeySpec::at(1, POP_FLAGS), KeySpec::at(2, &["RW", "insert"])];
    const DOUBLE_TIMEOUT: &[(&str, &str)] = &[(
        "6.0.0",
        "`timeout` is interpreted as a double instead of an integer.",
    )];

    /// COMMAND DOCS syntax (notation of `docs`), key flags, key specs, history and
    /// deprecations of the list commands, as Redis 7.0 declares them.
    pub const DOCS: FamilyDocs = FamilyDocs {
        syntax: &[
            (
                "blmove",
                "source destination (@wherefrom LEFT | RIGHT) (@whereto LEFT | RIGHT) timeout:double",
            ),
            (
                "blmpop",
                "timeout:double numkeys:integer key... (@where LEFT | RIGHT) [COUNT count:integer]",
            ),
            ("blpop", "key... timeout:double"),
            ("brpop", "key... timeout:double"),
            ("brpoplpush", "source destination timeout:double"),
            ("lindex", "key index:integer"),
            ("linsert", "key (@where BEFORE | AFTER) pivot element"),
            ("llen", "key"),
            (
                "lmove",
                "source destination (@wherefrom LEFT | RIGHT) (@whereto LEFT | RIGHT)",
            ),
            (
                "lmpop",
                "numkeys:integer key... (@where LEFT | RIGHT) [COUNT count:integer]",
            ),
            ("lpop", "key [count:integer{since=6.2.0}]"),
            (
                "lpos",
                "key element [RANK rank:integer] [COUNT num-matches:integer] [MAXLEN len:integer]",
            ),
            ("lpush", "key element..."),
            ("lpushx", "key element..."),
            ("lrange", "key start:integer stop:integer"),
            ("lrem", "key count:integer element"),
            ("lset", "key index:integer element"),
            ("ltrim", "key start:integer stop:integer"),
            ("rpop", "key [count:integer{since=6.2.0}]"),
            ("rpoplpush", "source destination"),
            ("rpush", "key element..."),
            ("rpushx", "key element..."),
        ],
        key_flags: &[
            (
                POP_FLAGS,
                &["blmpop", "blpop", "brpop", "lmpop", "lpop", "rpop"],
            ),
            (
                &["RW", "insert"],
                &["linsert", "lpush", "lpushx", "rpush", "rpushx"],
            ),
            (&["RO"], &["llen"]),
            (&["RW", "delete"], &["lrem", "ltrim"]),
        ],
        key_specs: &[(MOVE_SPECS, &["lmove", "rpoplpush", "blmove", "brpoplpush"])],
        history: &[
            ("blpop", DOUBLE_TIMEOUT),
            ("brpop", DOUBLE_TIMEOUT),
            ("brpoplpush", DOUBLE_TIMEOUT),
            ("lpop", &[("6.2.0", "Added the `count` argument.")]),
            (
                "lpush",
                &[("2.4.0", "Accepts multiple `element` arguments.")],
            ),
            (
                "lpushx",
                &[("4.0.0", "Accepts multiple `element` arguments.")],
            ),
            ("rpop", &[("6.2.0", "Added the `count` argument.")]),
            (
                "rpush",
                &[("2.4.0", "Accepts multiple `element` arguments.")],
            ),
            (
                "rpushx",
                &[("4.0.0", "Accepts multiple `element` arguments.")],
            ),
        ],
        deprecated: &[
            (
                "brpoplpush",
                Deprecation {
                    since: "6.2.0",
                    replaced_by: "`BLMOVE` with the `RIGHT` and `LEFT` arguments",
                },
            ),
            (
                "rpoplpush",
                Deprecation {
                    since: "6.2.0",
                    replaced_by: "`LMOVE` with the `RIGHT` and `LEFT` arguments",
                },
            ),
        ],
        ..FamilyDocs::NONE
    };
}
