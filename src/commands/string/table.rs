//! The string commands' table entries, with Redis 7.0's COMMAND INFO metadata.

use super::multi::{mget, mget_spread, mset, mset_spread, msetnx, msetnx_spread};
use super::{
    append, decr, decrby, get, getdel, getex, getrange, getset, incr, incrby, incrbyfloat, psetex,
    set, setex, setnx, setrange, strlen,
};
use crate::commands::{BASE, CommandSpec, Run, acl, flags, keys};

const STRING: CommandSpec = CommandSpec {
    group: "string",
    acl: acl::STRING,
    ..BASE
};
const W: u32 = flags::WRITE | flags::DENYOOM;

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "get",
        arity: 2,
        flags: flags::READONLY | flags::FAST,
        acl: acl::STRING | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Get the value of a key",
        run: Run::Shard(get),
        ..STRING
    },
    CommandSpec {
        name: "set",
        arity: -3,
        flags: W,
        acl: acl::STRING | acl::WRITE | acl::SLOW,
        keys: keys(1, 1, 1),
        summary: "Set the string value of a key",
        run: Run::Shard(set),
        ..STRING
    },
    CommandSpec {
        name: "setnx",
        arity: 3,
        flags: W | flags::FAST,
        acl: acl::STRING | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Set the value of a key, only if the key does not exist",
        run: Run::Shard(setnx),
        ..STRING
    },
    CommandSpec {
        name: "setex",
        arity: 4,
        flags: W,
        acl: acl::STRING | acl::WRITE | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.0.0",
        summary: "Set the value and expiration of a key",
        run: Run::Shard(setex),
        ..STRING
    },
    CommandSpec {
        name: "psetex",
        arity: 4,
        flags: W,
        acl: acl::STRING | acl::WRITE | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.6.0",
        summary: "Set the value and expiration in milliseconds of a key",
        run: Run::Shard(psetex),
        ..STRING
    },
    CommandSpec {
        name: "getset",
        arity: 3,
        flags: W | flags::FAST,
        acl: acl::STRING | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Set the string value of a key and return its old value",
        run: Run::Shard(getset),
        ..STRING
    },
    CommandSpec {
        name: "getdel",
        arity: 2,
        flags: flags::WRITE | flags::FAST,
        acl: acl::STRING | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        since: "6.2.0",
        summary: "Get the value of a key and delete the key",
        run: Run::Shard(getdel),
        ..STRING
    },
    CommandSpec {
        name: "getex",
        arity: -2,
        flags: flags::WRITE | flags::FAST,
        acl: acl::STRING | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        since: "6.2.0",
        summary: "Get the value of a key and optionally set its expiration",
        run: Run::Shard(getex),
        ..STRING
    },
    CommandSpec {
        name: "strlen",
        arity: 2,
        flags: flags::READONLY | flags::FAST,
        acl: acl::STRING | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.2.0",
        summary: "Get the length of the value stored in a key",
        run: Run::Shard(strlen),
        ..STRING
    },
    CommandSpec {
        name: "append",
        arity: 3,
        flags: W | flags::FAST,
        acl: acl::STRING | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.0.0",
        summary: "Append a value to a key",
        complexity: "O(1). The amortized time complexity is O(1) assuming the appended value is small and the already present value is of any size, since the dynamic string library used by Redis will double the free space available on every reallocation.",
        run: Run::Shard(append),
        ..STRING
    },
    CommandSpec {
        name: "incr",
        arity: 2,
        flags: W | flags::FAST,
        acl: acl::STRING | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Increment the integer value of a key by one",
        run: Run::Shard(incr),
        ..STRING
    },
    CommandSpec {
        name: "decr",
        arity: 2,
        flags: W | flags::FAST,
        acl: acl::STRING | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Decrement the integer value of a key by one",
        run: Run::Shard(decr),
        ..STRING
    },
    CommandSpec {
        name: "incrby",
        arity: 3,
        flags: W | flags::FAST,
        acl: acl::STRING | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Increment the integer value of a key by the given amount",
        run: Run::Shard(incrby),
        ..STRING
    },
    CommandSpec {
        name: "decrby",
        arity: 3,
        flags: W | flags::FAST,
        acl: acl::STRING | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Decrement the integer value of a key by the given number",
        run: Run::Shard(decrby),
        ..STRING
    },
    CommandSpec {
        name: "incrbyfloat",
        arity: 3,
        flags: W | flags::FAST,
        acl: acl::STRING | acl::WRITE | acl::FAST,
        keys: keys(1, 1, 1),
        since: "2.6.0",
        summary: "Increment the float value of a key by the given amount",
        run: Run::Shard(incrbyfloat),
        ..STRING
    },
    CommandSpec {
        name: "getrange",
        arity: 4,
        flags: flags::READONLY,
        acl: acl::STRING | acl::READ | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.4.0",
        summary: "Get a substring of the string stored at a key",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        run: Run::Shard(getrange),
        ..STRING
    },
    CommandSpec {
        name: "substr",
        arity: 4,
        flags: flags::READONLY,
        acl: acl::STRING | acl::READ | acl::SLOW,
        keys: keys(1, 1, 1),
        summary: "Get a substring of the string stored at a key",
        complexity: "O(N) where N is the length of the returned string. The complexity is ultimately determined by the returned length, but because creating a substring from an existing string is very cheap, it can be considered O(1) for small strings.",
        run: Run::Shard(getrange),
        ..STRING
    },
    CommandSpec {
        name: "setrange",
        arity: 4,
        flags: W,
        acl: acl::STRING | acl::WRITE | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.2.0",
        summary: "Overwrite part of a string at key starting at the specified offset",
        complexity: "O(1), not counting the time taken to copy the new string in place. Usually, this string is very small so the amortized complexity is O(1). Otherwise, complexity is O(M) with M being the length of the value argument.",
        run: Run::Shard(setrange),
        ..STRING
    },
    CommandSpec {
        name: "mget",
        arity: -2,
        flags: flags::READONLY | flags::FAST,
        acl: acl::STRING | acl::READ | acl::FAST,
        keys: keys(1, -1, 1),
        summary: "Get the values of all the given keys",
        complexity: "O(N) where N is the number of keys to retrieve.",
        run: Run::MultiKey {
            single: mget,
            spread: mget_spread,
        },
        ..STRING
    },
    CommandSpec {
        name: "mset",
        arity: -3,
        flags: W,
        acl: acl::STRING | acl::WRITE | acl::SLOW,
        keys: keys(1, -1, 2),
        since: "1.0.1",
        summary: "Set multiple keys to multiple values",
        complexity: "O(N) where N is the number of keys to set.",
        run: Run::MultiKey {
            single: mset,
            spread: mset_spread,
        },
        ..STRING
    },
    CommandSpec {
        name: "msetnx",
        arity: -3,
        flags: W,
        acl: acl::STRING | acl::WRITE | acl::SLOW,
        keys: keys(1, -1, 2),
        since: "1.0.1",
        summary: "Set multiple keys to multiple values, only if none of the keys exist",
        complexity: "O(N) where N is the number of keys to set.",
        run: Run::MultiKey {
            single: msetnx,
            spread: msetnx_spread,
        },
        ..STRING
    },
];
