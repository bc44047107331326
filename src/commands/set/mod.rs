//! Sets: SADD, SREM, SMEMBERS, SISMEMBER, SMISMEMBER, SCARD, SPOP, SRANDMEMBER and SSCAN
//! here (one key each), and in [`multi`] the commands whose keys may span shards
//! (SINTER, SINTERCARD, SINTERSTORE, SUNION, SUNIONSTORE, SDIFF, SDIFFSTORE, SMOVE).
//! The values are [`crate::storage::set::SetValue`]s; arguments are checked in Redis
//! 7.0's order so the first error is Redis's, and replies keep Redis's shapes (a RESP3
//! set `~` for SMEMBERS, SPOP with a count and the algebra; an array for SRANDMEMBER).

mod multi;
mod table;

pub use table::{COMMANDS, DOCS};

use super::typed::{self, Replied};
use crate::errors;
use crate::protocol::args::Args;
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::storage::Value;
use crate::storage::set::{Member, SetValue, ops};
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;

/// Redis's SPOP strategy switch: pop one by one while the members left outnumber the
/// popped ones by more than this factor, else rebuild the set from those left.
const SPOP_MOVE_STRATEGY_MUL: u64 = 5;
/// Redis's SRANDMEMBER switch: copy-and-remove when the count is over a third of the set.
const SRANDMEMBER_SUB_STRATEGY_MUL: u64 = 3;
/// SSCAN's COUNT when none is given.
const SSCAN_COUNT_DEFAULT: usize = 10;

fn pick(v: &mut Value) -> Option<&mut SetValue> {
    match v {
        Value::Set(s) => Some(s),
        _ => None,
    }
}

fn intset_max(ctx: &ShardCtx) -> u64 {
    ctx.shard.settings.encodings.set_max_intset_entries
}

pub(crate) fn reply_member(r: &mut Reply, m: Member) {
    match m {
        Member::Int(n) => r.bulk_i64(n),
        Member::Bytes(b) => r.bulk(b),
    }
}

/// A whole set as a RESP3 set (an array in RESP2), in its iteration order.
pub(crate) fn reply_set(r: &mut Reply, s: &SetValue) {
    r.set(s.len());
    s.iter().for_each(|m| reply_member(r, m));
}

/// A small generator for several picks in one command, seeded from the shard's.
struct Picker(u64);

impl Picker {
    fn new(ctx: &mut ShardCtx) -> Picker {
        Picker(ctx.shard.random() | 1)
    }

    /// A uniform-enough index below `len` (0 when `len` is 0).
    fn below(&mut self, len: usize) -> usize {
        if len == 0 {
            return 0;
        }
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % len as u64) as usize
    }
}

// ---- SADD, SREM, SCARD, SISMEMBER, SMISMEMBER, SMEMBERS ------------------------------------

fn sadd(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let max = intset_max(ctx);
    let Ok(set) = typed::write_or_create(ctx, &args[1], r, pick, || Value::Set(SetValue::new()))
    else {
        return;
    };
    let added = args.skip(2).filter(|m| set.add(m, max)).count();
    ctx.dirty(added as u64);
    r.int(added as i64);
}

fn srem(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let key = &args[1];
    let Ok(found) = typed::write(ctx, key, r, pick) else {
        return;
    };
    let Some(set) = found else { return r.int(0) };
    let mut removed = 0;
    for m in args.skip(2) {
        if set.remove(m) {
            removed += 1;
            if set.is_empty() {
                break;
            }
        }
    }
    let empty = set.is_empty();
    typed::remove_if_empty(ctx, key, empty);
    ctx.dirty(removed as u64);
    r.int(removed);
}

fn scard(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Ok(s) = typed::read(ctx, &args[1], r, pick) {
        r.int(s.map_or(0, |s| s.len() as i64));
    }
}

fn sismember(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Ok(s) = typed::read(ctx, &args[1], r, pick) {
        r.int(s.is_some_and(|s| s.contains(&args[2])) as i64);
    }
}

fn smismember(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Ok(s) = typed::read(ctx, &args[1], r, pick) else {
        return;
    };
    r.array(args.len() - 2);
    for m in args.skip(2) {
        r.int(s.as_ref().is_some_and(|s| s.contains(m)) as i64);
    }
}

fn smembers(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match typed::read(ctx, &args[1], r, pick) {
        Ok(Some(s)) => reply_set(r, s),
        Ok(None) => r.set(0),
        Err(Replied) => {}
    }
}

// ---- SPOP, SRANDMEMBER ------------------------------------------------------------------

fn spop(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match args.len() {
        2 => spop_one(ctx, &args[1], r),
        3 => spop_count(ctx, args, r),
        _ => r.error(errors::SYNTAX),
    }
}

fn spop_one(ctx: &mut ShardCtx, key: &[u8], r: &mut Reply) {
    let mut picker = Picker::new(ctx);
    let Ok(found) = typed::write(ctx, key, r, pick) else {
        return;
    };
    let Some(set) = found else { return r.null() };
    if set.is_empty() {
        return r.null();
    }
    let at = picker.below(set.len());
    reply_member(r, set.at(at));
    set.delete_at(at);
    let empty = set.is_empty();
    typed::remove_if_empty(ctx, key, empty);
}

fn spop_count(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    // Redis's getPositiveLongFromObjectOrReply: one message for both failures.
    let count = match parse_i64(&args[2]) {
        Some(n) if n >= 0 => n as u64,
        _ => return r.error(errors::VALUE_MUST_BE_POSITIVE),
    };
    let key = &args[1];
    let max = intset_max(ctx);
    let mut picker = Picker::new(ctx);
    let Ok(found) = typed::write(ctx, key, r, pick) else {
        return;
    };
    let Some(set) = found else { return r.set(0) };
    if count == 0 {
        return r.set(0);
    }
    let size = set.len() as u64;
    if count >= size {
        // Redis replies the whole set through SUNION's path: a fresh copy's order.
        let all = ops::union(&[Some(&*set)], max);
        reply_set(r, &all);
        ctx.remove(key);
        ctx.dirty(size);
        return;
    }
    let remaining = size - count;
    r.set(count as usize);
    if remaining * SPOP_MOVE_STRATEGY_MUL > count {
        for _ in 0..count {
            let popped = set.remove_at(picker.below(set.len()));
            r.bulk(&popped);
        }
    } else {
        // Move the few members that stay into a new set; reply the rest.
        let mut kept = SetValue::new();
        for _ in 0..remaining {
            let m = set.remove_at(picker.below(set.len()));
            kept.add(&m, max);
        }
        let popped = std::mem::replace(set, kept);
        popped.iter().for_each(|m| reply_member(r, m));
    }
    ctx.dirty(count);
}

fn srandmember(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match args.len() {
        2 => srandmember_one(ctx, &args[1], r),
        3 => srandmember_count(ctx, args, r),
        _ => r.error(errors::SYNTAX),
    }
}

fn srandmember_one(ctx: &mut ShardCtx, key: &[u8], r: &mut Reply) {
    let mut picker = Picker::new(ctx);
    match typed::read(ctx, key, r, pick) {
        Ok(Some(set)) if !set.is_empty() => reply_member(r, set.at(picker.below(set.len()))),
        Ok(Some(_)) => r.null(),
        Ok(None) => r.null(),
        Err(Replied) => {}
    }
}

fn srandmember_count(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let count = match parse_i64(&args[2]) {
        None => return r.error(errors::NOT_INTEGER),
        Some(i64::MIN) => return r.error(errors::COUNT_OUT_OF_LONG_RANGE),
        Some(n) => n,
    };
    let mut picker = Picker::new(ctx);
    let Ok(found) = typed::read(ctx, &args[1], r, pick) else {
        return;
    };
    let Some(set) = found else { return r.array(0) };
    if count == 0 || set.is_empty() {
        return r.array(0);
    }
    let size = set.len();
    if count < 0 {
        // With repetitions: each pick independent.
        let n = count.unsigned_abs();
        r.array(n as usize);
        for _ in 0..n {
            reply_member(r, set.at(picker.below(size)));
        }
        return;
    }
    let count = count as u64;
    if count >= size as u64 {
        r.array(size);
        set.iter().for_each(|m| reply_member(r, m));
        return;
    }
    let count = count as usize;
    r.array(count);
    if count as u64 * SRANDMEMBER_SUB_STRATEGY_MUL > size as u64 {
        // Shuffle a prefix of the positions (partial Fisher-Yates).
        let mut positions: Vec<usize> = (0..size).collect();
        for i in 0..count {
            let j = i + picker.below(size - i);
            positions.swap(i, j);
            reply_member(r, set.at(positions[i]));
        }
    } else {
        let mut seen = hashbrown::HashSet::with_capacity(count);
        while seen.len() < count {
            let at = picker.below(size);
            if seen.insert(at) {
                reply_member(r, set.at(at));
            }
        }
    }
}

// ---- SSCAN ------------------------------------------------------------------------------

fn sscan(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(cursor) = super::keyspace::scan::parse_cursor(&args[2]) else {
        return r.error(errors::INVALID_CURSOR);
    };
    let Ok(found) = typed::read(ctx, &args[1], r, pick) else {
        return;
    };
    let Some(set) = found else {
        r.array(2);
        r.bulk(b"0");
        return r.array(0);
    };
    let mut count = SSCAN_COUNT_DEFAULT;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < args.len() {
        let Some(value) = args.get(i + 1) else {
            return r.error(errors::SYNTAX);
        };
        if args[i].eq_ignore_ascii_case(b"COUNT") {
            match parse_i64(value) {
                None => return r.error(errors::NOT_INTEGER),
                Some(n) if n < 1 => return r.error(errors::SYNTAX),
                Some(n) => count = usize::try_from(n).unwrap_or(usize::MAX),
            }
        } else if args[i].eq_ignore_ascii_case(b"MATCH") {
            pattern = (value != b"*").then_some(value);
        } else {
            return r.error(errors::SYNTAX);
        }
        i += 2;
    }
    // Members encoded as bulk strings (the same in RESP2 and RESP3) as they are visited.
    let mut encoded = Vec::new();
    let mut kept = 0;
    let next = {
        let mut out = Reply::new(&mut encoded, r.version());
        set.scan(cursor, count, |m| {
            let mut tmp = [0u8; 20];
            if pattern.is_none_or(|p| glob_match(p, m.bytes(&mut tmp), false)) {
                reply_member(&mut out, m);
                kept += 1;
            }
        })
    };
    r.array(2);
    r.bulk_fmt(format_args!("{next}"));
    r.array(kept);
    r.raw(&encoded);
}
