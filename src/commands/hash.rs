//! Hashes: the commands over [`crate::storage::hash`] values (HSET, HGET, HGETALL,
//! HINCRBY, HRANDFIELD, HSCAN, ...), with Redis 7.0's replies, errors and encoding
//! conversions. Every hash command has one key, so all run on the key's shard.

use super::keyspace::scan::parse_cursor;
use super::typed::{self, Replied};
use super::{BASE, CommandSpec, Run, acl, flags, keys};
use crate::errors;
use crate::protocol::args::Args;
use crate::protocol::reply::{Reply, format_i64};
use crate::shard::ShardCtx;
use crate::storage::hash::{HashRef, HashValue};
use crate::storage::{Value, ValueRef};
use crate::util::glob::glob_match;
use crate::util::num::{check_hincrbyfloat_increment, incr_by_float, parse_i64};

/// HSCAN's COUNT when none is given (Redis's default).
const SCAN_COUNT_DEFAULT: usize = 10;
/// Most fields one HRANDFIELD reply may hold: Redis would build any reply its memory
/// allows; shoal refuses a count that would build a multi-gigabyte reply.
pub const HRANDFIELD_PICKS_MAX: u64 = 10_000_000;

fn pick(v: &mut Value) -> Option<&mut HashValue> {
    match v {
        Value::Hash(h) => Some(h),
        _ => None,
    }
}

fn new_hash() -> Value {
    Value::Hash(HashValue::new())
}

fn pick_ref(v: ValueRef<'_>) -> Option<HashRef<'_>> {
    match v {
        ValueRef::Hash(h) => Some(h),
        _ => None,
    }
}

/// The hash at `key` for reading (Ok(None) when missing), read in place.
fn read<'c>(
    ctx: &'c mut ShardCtx,
    key: &[u8],
    r: &mut Reply,
) -> Result<Option<HashRef<'c>>, Replied> {
    typed::view(ctx, key, r, pick_ref)
}

// ---- writes ----------------------------------------------------------------------------

/// Runs a hash write, then folds the hash back into its key's entry block
/// (`Entry::repack`): every way out of `op`, errors included, leaves a small hash packed.
fn write_then_repack(
    ctx: &mut ShardCtx,
    args: Args,
    r: &mut Reply,
    op: fn(&mut ShardCtx, Args, &mut Reply),
) {
    op(ctx, args, r);
    typed::repack(ctx, &args[1]);
}

fn hset(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    write_then_repack(ctx, args, r, hset_op)
}

fn hmset(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    write_then_repack(ctx, args, r, hmset_op)
}

fn hsetnx(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    write_then_repack(ctx, args, r, hsetnx_op)
}

fn hdel(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    write_then_repack(ctx, args, r, hdel_op)
}

fn hincrby(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    write_then_repack(ctx, args, r, hincrby_op)
}

fn hincrbyfloat(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    write_then_repack(ctx, args, r, hincrbyfloat_op)
}

fn hset_op(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Some(added) = set_pairs(ctx, args, r, "hset") {
        r.int(added as i64);
    }
}

fn hmset_op(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if set_pairs(ctx, args, r, "hmset").is_some() {
        r.ok();
    }
}

/// HSET/HMSET: sets every pair, returns how many fields were new.
fn set_pairs(ctx: &mut ShardCtx, args: Args, r: &mut Reply, name: &str) -> Option<usize> {
    if args.len() % 2 == 1 {
        errors::wrong_arity(r, name);
        return None;
    }
    let limits = ctx.shard.settings.encodings;
    let h = typed::write_or_create(ctx, &args[1], r, pick, new_hash).ok()?;
    let mut added = 0;
    let mut i = 2;
    while i + 1 < args.len() {
        added += h.set(&args[i], &args[i + 1], &limits) as usize;
        i += 2;
    }
    // Redis counts every pair set, new or not.
    ctx.dirty((args.len() as u64 - 2) / 2);
    Some(added)
}

fn hsetnx_op(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let limits = ctx.shard.settings.encodings;
    let Ok(h) = typed::write_or_create(ctx, &args[1], r, pick, new_hash) else {
        return;
    };
    if h.get(&args[2]).is_some() {
        r.int(0);
    } else {
        h.set(&args[2], &args[3], &limits);
        r.int(1);
    }
}

fn hdel_op(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let key = &args[1];
    let h = match typed::write(ctx, key, r, pick) {
        Err(Replied) => return,
        Ok(None) => return r.int(0),
        Ok(Some(h)) => h,
    };
    let deleted = args.skip(2).filter(|f| h.delete(f)).count();
    let empty = h.is_empty();
    typed::remove_if_empty(ctx, key, empty);
    ctx.dirty(deleted as u64);
    r.int(deleted as i64);
}

fn hincrby_op(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(incr) = parse_i64(&args[3]) else {
        return r.error(errors::NOT_INTEGER);
    };
    let limits = ctx.shard.settings.encodings;
    let (key, field) = (&args[1], &args[2]);
    let Ok(h) = typed::write_or_create(ctx, key, r, pick, new_hash) else {
        return;
    };
    // A key just created has no such field: none of the errors below can leave it empty.
    let current = match h.get(field) {
        None => 0,
        Some(text) => match parse_i64(text) {
            Some(n) => n,
            None => return r.error(errors::HASH_VALUE_NOT_INTEGER),
        },
    };
    let Some(new) = current.checked_add(incr) else {
        return r.error(errors::OVERFLOW);
    };
    let mut tmp = [0u8; 20];
    h.set(field, format_i64(&mut tmp, new), &limits);
    ctx.dirty(1);
    r.int(new);
}

fn hincrbyfloat_op(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Err(e) = check_hincrbyfloat_increment(&args[3]) {
        return r.error(e);
    }
    let limits = ctx.shard.settings.encodings;
    let (key, field) = (&args[1], &args[2]);
    let Ok(h) = typed::write_or_create(ctx, key, r, pick, new_hash) else {
        return;
    };
    match incr_by_float(h.get(field).unwrap_or(b"0"), &args[3]) {
        Ok(text) => {
            h.set(field, &text, &limits);
            r.bulk(&text);
        }
        Err(e) => {
            // A finite increment added to a missing field ("0") cannot fail, so a key
            // created just now is never left empty; check anyway.
            r.error(e.hincrbyfloat_message());
            let empty = h.is_empty();
            typed::remove_if_empty(ctx, key, empty);
        }
    }
}

// ---- reads -------------------------------------------------------------------------------

fn hget(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match read(ctx, &args[1], r) {
        Err(Replied) => {}
        Ok(h) => match h.and_then(|h| h.get(&args[2])) {
            Some(v) => r.bulk(v),
            None => r.null(),
        },
    }
}

fn hmget(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Ok(h) = read(ctx, &args[1], r) else {
        return;
    };
    r.array(args.len() - 2);
    for field in args.skip(2) {
        match h.as_ref().and_then(|h| h.get(field)) {
            Some(v) => r.bulk(v),
            None => r.null(),
        }
    }
}

fn hlen(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Ok(h) = read(ctx, &args[1], r) {
        r.int(h.map_or(0, |h| h.len()) as i64);
    }
}

fn hstrlen(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Ok(h) = read(ctx, &args[1], r) {
        r.int(h.and_then(|h| h.get(&args[2])).map_or(0, <[u8]>::len) as i64);
    }
}

fn hexists(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Ok(h) = read(ctx, &args[1], r) {
        r.int(h.is_some_and(|h| h.contains(&args[2])) as i64);
    }
}

/// What HGETALL, HKEYS and HVALS return of each pair.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Parts {
    Fields,
    Values,
    Both,
}

fn reply_all(ctx: &mut ShardCtx, args: Args, r: &mut Reply, parts: Parts) {
    let Ok(h) = read(ctx, &args[1], r) else {
        return;
    };
    let len = h.as_ref().map_or(0, |h| h.len());
    if parts == Parts::Both {
        r.map(len);
    } else {
        r.array(len);
    }
    let Some(h) = h else { return };
    for (f, v) in h.iter() {
        if parts != Parts::Values {
            r.bulk(f);
        }
        if parts != Parts::Fields {
            r.bulk(v);
        }
    }
}

fn hgetall(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    reply_all(ctx, args, r, Parts::Both);
}

fn hkeys(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    reply_all(ctx, args, r, Parts::Fields);
}

fn hvals(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    reply_all(ctx, args, r, Parts::Values);
}

// ---- HRANDFIELD ----------------------------------------------------------------------------

fn hrandfield(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if args.len() == 2 {
        let random = ctx.shard.random();
        match read(ctx, &args[1], r) {
            Err(Replied) => {}
            Ok(h) => match h.and_then(|h| h.random_pair(random)) {
                Some((f, _)) => r.bulk(f),
                None => r.null(),
            },
        }
        return;
    }
    let Some(count) = parse_i64(&args[2]) else {
        return r.error(errors::NOT_INTEGER);
    };
    if count == i64::MIN {
        return r.error(errors::COUNT_OUT_OF_LONG_RANGE);
    }
    let with_values = match args.get(3) {
        None => false,
        Some(opt) if args.len() == 4 && opt.eq_ignore_ascii_case(b"WITHVALUES") => true,
        Some(_) => return r.error(errors::SYNTAX),
    };
    if with_values && !(-(i64::MAX / 2)..=i64::MAX / 2).contains(&count) {
        return r.error(errors::VALUE_OUT_OF_RANGE);
    }
    let mut seed = ctx.shard.random();
    let h = match read(ctx, &args[1], r) {
        Err(Replied) => return,
        Ok(None) => return r.array(0),
        Ok(Some(h)) => h,
    };
    let (n, distinct) = (count.unsigned_abs(), count >= 0);
    if n == 0 {
        return r.array(0);
    }
    let size = h.len() as u64;
    let picks = if distinct { n.min(size) } else { n };
    if picks > HRANDFIELD_PICKS_MAX {
        return r.error(errors::HRANDFIELD_TOO_MANY);
    }
    let resp3 = r.is_resp3();
    r.array(if with_values && !resp3 {
        picks as usize * 2
    } else {
        picks as usize
    });
    let emit = |r: &mut Reply, (f, v): (&[u8], &[u8])| {
        if with_values && resp3 {
            r.array(2);
        }
        r.bulk(f);
        if with_values {
            r.bulk(v);
        }
    };
    if distinct && n >= size {
        for pair in h.iter() {
            emit(r, pair);
        }
        return;
    }
    let mut next = move || {
        // xorshift64*: a local stream seeded from the shard's generator.
        seed ^= seed >> 12;
        seed ^= seed << 25;
        seed ^= seed >> 27;
        seed.wrapping_mul(0x2545_F491_4F6C_DD1D)
    };
    let positions = h.positions();
    let len = positions.len() as u64;
    if !distinct {
        for _ in 0..n {
            emit(r, positions.get((next() % len) as usize));
        }
    } else if n * 3 > size {
        // Many of the fields: a partial Fisher-Yates shuffle of all positions.
        let mut order: Vec<u32> = (0..len as u32).collect();
        for i in 0..n as usize {
            let j = i + (next() % (len - i as u64)) as usize;
            order.swap(i, j);
            emit(r, positions.get(order[i] as usize));
        }
    } else {
        // Few of the fields: draw until `n` distinct positions came up.
        let mut chosen = hashbrown::HashSet::with_capacity(n as usize);
        while (chosen.len() as u64) < n {
            let i = (next() % len) as usize;
            if chosen.insert(i) {
                emit(r, positions.get(i));
            }
        }
    }
}

// ---- HSCAN ---------------------------------------------------------------------------------

fn hscan(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(cursor) = parse_cursor(&args[2]) else {
        return r.error(errors::INVALID_CURSOR);
    };
    let h = match read(ctx, &args[1], r) {
        Err(Replied) => return,
        Ok(None) => {
            r.array(2);
            r.bulk(b"0");
            return r.array(0);
        }
        Ok(Some(h)) => h,
    };
    let mut count = SCAN_COUNT_DEFAULT;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < args.len() {
        let (opt, value) = (&args[i], args.get(i + 1));
        match value {
            Some(v) if opt.eq_ignore_ascii_case(b"COUNT") => match parse_i64(v) {
                None => return r.error(errors::NOT_INTEGER),
                Some(c) if c < 1 => return r.error(errors::SYNTAX),
                Some(c) => count = usize::try_from(c).unwrap_or(usize::MAX),
            },
            Some(v) if opt.eq_ignore_ascii_case(b"MATCH") => {
                pattern = (v != b"*").then_some(v);
            }
            _ => return r.error(errors::SYNTAX),
        }
        i += 2;
    }
    let mut found: Vec<(&[u8], &[u8])> = Vec::new();
    let next = h.scan(cursor, count, |f, v| {
        if pattern.is_none_or(|p| glob_match(p, f, false)) {
            found.push((f, v));
        }
    });
    r.array(2);
    // DenseMap positions fit in u32, so the cursor is a small non-negative integer.
    let mut tmp = [0u8; 20];
    r.bulk(format_i64(&mut tmp, i64::try_from(next).unwrap_or(0)));
    r.array(found.len() * 2);
    for (f, v) in found {
        r.bulk(f);
        r.bulk(v);
    }
}

// ---- table -----------------------------------------------------------------------------------

const HASH: CommandSpec = CommandSpec {
    group: "hash",
    since: "2.0.0",
    keys: keys(1, 1, 1),
    ..BASE
};
const W: u32 = flags::WRITE | flags::DENYOOM | flags::FAST;
const R_FAST: u32 = flags::READONLY | flags::FAST;
const ACL_W: u32 = acl::WRITE | acl::HASH | acl::FAST;
const ACL_R_FAST: u32 = acl::READ | acl::HASH | acl::FAST;
const ACL_R_SLOW: u32 = acl::READ | acl::HASH | acl::SLOW;

/// COMMAND DOCS syntax, key flags and tips of the hash commands (Redis 7.0's).
pub const DOCS: super::server::docs::FamilyDocs = super::server::docs::FamilyDocs {
    syntax: &[
        ("hset", "key (@field_value field value)..."),
        ("hmset", "key (@field_value field value)..."),
        ("hsetnx", "key field value"),
        ("hget", "key field"),
        ("hstrlen", "key field"),
        ("hexists", "key field"),
        ("hmget", "key field..."),
        ("hdel", "key field..."),
        ("hgetall", "key"),
        ("hkeys", "key"),
        ("hvals", "key"),
        ("hlen", "key"),
        ("hincrby", "key field increment:integer"),
        ("hincrbyfloat", "key field increment:double"),
        ("hrandfield", "key [@options count:integer [WITHVALUES]]"),
        (
            "hscan",
            "key cursor:integer [MATCH pattern] [COUNT count:integer]",
        ),
    ],
    key_flags: &[
        (&["RO"], &["hlen", "hstrlen", "hexists"]),
        (&["RW", "insert"], &["hsetnx"]),
        (&["RW", "delete"], &["hdel"]),
        (&["RW", "access", "update"], &["hincrby", "hincrbyfloat"]),
    ],
    tips: &[
        ("hgetall", &["nondeterministic_output_order"]),
        ("hkeys", &["nondeterministic_output_order"]),
        ("hvals", &["nondeterministic_output_order"]),
        ("hrandfield", &["nondeterministic_output"]),
        ("hscan", &["nondeterministic_output"]),
    ],
    history: &[
        ("hdel", &[("2.4.0", "Accepts multiple `field` arguments.")]),
        (
            "hset",
            &[("4.0.0", "Accepts multiple `field` and `value` arguments.")],
        ),
    ],
    deprecated: &[(
        "hmset",
        super::server::docs::Deprecation {
            since: "4.0.0",
            replaced_by: "`HSET` with multiple field-value pairs",
        },
    )],
    ..super::server::docs::FamilyDocs::NONE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "hset",
        arity: -4,
        flags: W,
        acl: ACL_W,
        summary: "Set the string value of a hash field",
        complexity: "O(1) for each field/value pair added, so O(N) to add N field/value pairs when the command is called with multiple field/value pairs.",
        run: Run::Shard(hset),
        ..HASH
    },
    CommandSpec {
        name: "hsetnx",
        arity: 4,
        flags: W,
        acl: ACL_W,
        summary: "Set the value of a hash field, only if the field does not exist",
        run: Run::Shard(hsetnx),
        ..HASH
    },
    CommandSpec {
        name: "hget",
        arity: 3,
        flags: R_FAST,
        acl: ACL_R_FAST,
        summary: "Get the value of a hash field",
        run: Run::Shard(hget),
        ..HASH
    },
    CommandSpec {
        name: "hmget",
        arity: -3,
        flags: R_FAST,
        acl: ACL_R_FAST,
        summary: "Get the values of all the given hash fields",
        complexity: "O(N) where N is the number of fields being requested.",
        run: Run::Shard(hmget),
        ..HASH
    },
    CommandSpec {
        name: "hmset",
        arity: -4,
        flags: W,
        acl: ACL_W,
        summary: "Set multiple hash fields to multiple values",
        complexity: "O(N) where N is the number of fields being set.",
        run: Run::Shard(hmset),
        ..HASH
    },
    CommandSpec {
        name: "hgetall",
        arity: 2,
        flags: flags::READONLY,
        acl: ACL_R_SLOW,
        summary: "Get all the fields and values in a hash",
        complexity: "O(N) where N is the size of the hash.",
        run: Run::Shard(hgetall),
        ..HASH
    },
    CommandSpec {
        name: "hdel",
        arity: -3,
        flags: flags::WRITE | flags::FAST,
        acl: ACL_W,
        summary: "Delete one or more hash fields",
        complexity: "O(N) where N is the number of fields to be removed.",
        run: Run::Shard(hdel),
        ..HASH
    },
    CommandSpec {
        name: "hlen",
        arity: 2,
        flags: R_FAST,
        acl: ACL_R_FAST,
        summary: "Get the number of fields in a hash",
        run: Run::Shard(hlen),
        ..HASH
    },
    CommandSpec {
        name: "hstrlen",
        arity: 3,
        flags: R_FAST,
        acl: ACL_R_FAST,
        since: "3.2.0",
        summary: "Get the length of the value of a hash field",
        run: Run::Shard(hstrlen),
        ..HASH
    },
    CommandSpec {
        name: "hexists",
        arity: 3,
        flags: R_FAST,
        acl: ACL_R_FAST,
        summary: "Determine if a hash field exists",
        run: Run::Shard(hexists),
        ..HASH
    },
    CommandSpec {
        name: "hkeys",
        arity: 2,
        flags: flags::READONLY,
        acl: ACL_R_SLOW,
        summary: "Get all the fields in a hash",
        complexity: "O(N) where N is the size of the hash.",
        run: Run::Shard(hkeys),
        ..HASH
    },
    CommandSpec {
        name: "hvals",
        arity: 2,
        flags: flags::READONLY,
        acl: ACL_R_SLOW,
        summary: "Get all the values in a hash",
        complexity: "O(N) where N is the size of the hash.",
        run: Run::Shard(hvals),
        ..HASH
    },
    CommandSpec {
        name: "hincrby",
        arity: 4,
        flags: W,
        acl: ACL_W,
        summary: "Increment the integer value of a hash field by the given number",
        run: Run::Shard(hincrby),
        ..HASH
    },
    CommandSpec {
        name: "hincrbyfloat",
        arity: 4,
        flags: W,
        acl: ACL_W,
        since: "2.6.0",
        summary: "Increment the float value of a hash field by the given amount",
        run: Run::Shard(hincrbyfloat),
        ..HASH
    },
    CommandSpec {
        name: "hrandfield",
        arity: -2,
        flags: flags::READONLY,
        acl: ACL_R_SLOW,
        since: "6.2.0",
        summary: "Get one or multiple random fields from a hash",
        complexity: "O(N) where N is the number of fields returned",
        run: Run::Shard(hrandfield),
        ..HASH
    },
    CommandSpec {
        name: "hscan",
        arity: -3,
        flags: flags::READONLY,
        acl: ACL_R_SLOW,
        since: "2.8.0",
        summary: "Incrementally iterate hash fields and associated values",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection..",
        run: Run::Shard(hscan),
        ..HASH
    },
];
