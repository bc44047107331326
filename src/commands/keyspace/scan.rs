//! Commands that walk the keyspace: KEYS, SCAN, RANDOMKEY.
//!
//! KEYS is atomic, as in Redis: one transaction locks every shard whole (shared), so no
//! cross-shard write is seen half done. SCAN is not atomic across calls (nor in Redis):
//! each call visits one shard after the other outside any transaction. Its cursor says
//! where to resume: the shard index in the high bits, the position in that shard's
//! table in the low [`POSITION_BITS`] bits. Table positions survive table growth (see
//! `storage::table`), so every key present for the whole scan is returned at least once.
//! RANDOMKEY picks a shard weighted by its key count, then a random entry there.

use std::sync::Arc;

use super::super::{BASE, CommandSpec, ConnCtx, CoordFuture, Run, acl, flags};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::{Reply, RespVersion};
use crate::shard::tx::{LockMode, LockSet};
use crate::shard::{Shard, now_ms};
use crate::storage::table::POSITION_END;
use crate::util::glob::glob_match;
use crate::util::num::parse_i64;

/// SCAN's COUNT when none is given (Redis's default).
const SCAN_COUNT_DEFAULT: usize = 10;
/// Low bits of a SCAN cursor holding the table position (0 ..= `POSITION_END`).
const POSITION_BITS: u32 = 33;
const POSITION_MASK: u64 = (1 << POSITION_BITS) - 1;
/// Random samples RANDOMKEY draws on a shard before walking it for a live key (when
/// nearly everything sampled had expired).
const RANDOM_SAMPLES_MAX: usize = 100;

// ---- command API ----------------------------------------------------------------------

/// Parses a SCAN cursor as Redis does (`strtoul`, base 10, nothing before or after the
/// number): an optional sign (a minus wraps around, as in C), then digits; an empty
/// string is cursor 0; None for anything else, including overflow.
pub fn parse_cursor(arg: &[u8]) -> Option<u64> {
    if arg.is_empty() {
        return Some(0);
    }
    let (negative, digits) = match arg[0] {
        b'-' => (true, &arg[1..]),
        b'+' => (false, &arg[1..]),
        _ => (false, arg),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: u64 = 0;
    for &d in digits {
        v = v.checked_mul(10)?.checked_add((d - b'0') as u64)?;
    }
    Some(if negative { v.wrapping_neg() } else { v })
}

/// Where a scan stands: a shard and a position in its table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ScanPoint {
    pub shard: u64,
    pub position: u64,
}

impl ScanPoint {
    /// Any u64 decodes; a shard past the last one means the scan is over.
    pub fn decode(cursor: u64) -> ScanPoint {
        ScanPoint {
            shard: cursor >> POSITION_BITS,
            position: cursor & POSITION_MASK,
        }
    }

    /// The cursor for this point; 0 once every shard of `shards` was walked.
    pub fn encode(self, shards: u64) -> u64 {
        if self.shard >= shards {
            0
        } else {
            (self.shard << POSITION_BITS) | self.position
        }
    }

    /// The point after a step on this shard ended at table position `next`.
    pub fn after(self, next: u64) -> ScanPoint {
        if next >= POSITION_END {
            ScanPoint {
                shard: self.shard + 1,
                position: 0,
            }
        } else {
            ScanPoint {
                shard: self.shard,
                position: next,
            }
        }
    }
}

/// What SCAN keeps of the keys it visits.
#[derive(Default)]
struct ScanFilter {
    pattern: Option<Vec<u8>>,
    type_name: Option<Vec<u8>>,
}

impl ScanFilter {
    fn key_matches(&self, key: &[u8]) -> bool {
        self.pattern
            .as_ref()
            .is_none_or(|p| glob_match(p, key, false))
    }

    /// Redis 7.0 compares type names case-insensitively; an unknown name matches nothing.
    fn type_matches(&self, value: crate::storage::ValueRef<'_>) -> bool {
        self.type_name
            .as_ref()
            .is_none_or(|t| t.eq_ignore_ascii_case(value.value_type().name().as_bytes()))
    }
}

struct ScanOptions {
    filter: ScanFilter,
    count: usize,
}

/// SCAN's options after the cursor, with Redis's errors (a later option wins).
fn parse_scan_options(a: Args, from: usize) -> Result<ScanOptions, &'static str> {
    let mut o = ScanOptions {
        filter: ScanFilter::default(),
        count: SCAN_COUNT_DEFAULT,
    };
    let mut i = from;
    while i < a.len() {
        let Some(value) = a.get(i + 1) else {
            return Err(errors::SYNTAX);
        };
        let opt = &a[i];
        if opt.eq_ignore_ascii_case(b"COUNT") {
            let n = parse_i64(value).ok_or(errors::NOT_INTEGER)?;
            if n < 1 {
                return Err(errors::SYNTAX);
            }
            o.count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if opt.eq_ignore_ascii_case(b"MATCH") {
            o.filter.pattern = (value != b"*").then(|| value.to_vec());
        } else if opt.eq_ignore_ascii_case(b"TYPE") {
            o.filter.type_name = Some(value.to_vec());
        } else {
            return Err(errors::SYNTAX);
        }
        i += 2;
    }
    Ok(o)
}

/// Keys already encoded as RESP bulk strings (identical in RESP2 and RESP3), so a
/// shard's answer is spliced into the reply without another copy per key.
#[derive(Default)]
struct EncodedKeys {
    bytes: Vec<u8>,
    count: usize,
}

impl EncodedKeys {
    fn push(&mut self, key: &[u8]) {
        Reply::new(&mut self.bytes, RespVersion::Resp2).bulk(key);
        self.count += 1;
    }
}

/// Deletes keys seen expired during a walk, as Redis's SCAN and RANDOMKEY do. A key
/// that a queued transaction locks is left alone: it may be between two hops.
fn reap_expired(s: &mut Shard, db: usize, keys: &[Vec<u8>], now: u64) {
    for key in keys {
        let mut locks = LockSet::default();
        locks.add_key(db, key, LockMode::Exclusive);
        if !s.txq.is_idle() && s.txq.conflicts(&locks) {
            continue;
        }
        let Some(d) = s.dbs.get_mut(db) else { return };
        if d.table.get(key).is_some_and(|e| e.is_expired(now)) {
            d.table.remove(key);
            s.stats.expired_keys += 1;
        }
    }
}

// ---- KEYS -------------------------------------------------------------------------------

/// The live keys of one shard matching `pattern`.
fn keys_on(s: &Shard, db: usize, pattern: &[u8]) -> EncodedKeys {
    let mut out = EncodedKeys::default();
    let Some(d) = s.dbs.get(db) else { return out };
    let (all, now) = (pattern == b"*", now_ms());
    for e in d.table.iter() {
        if !e.is_expired(now) && (all || glob_match(pattern, e.key(), false)) {
            out.push(e.key());
        }
    }
    out
}

fn keys<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let (pattern, db) = (Arc::new(args.as_args()[1].to_vec()), ctx.db);
        let parts = ctx
            .shards
            .on_every_shard_locked(LockMode::Shared, move |s| keys_on(s, db, &pattern))
            .await;
        let mut r = ctx.reply();
        r.array(parts.iter().map(|p| p.count).sum());
        for p in parts {
            r.raw(&p.bytes);
        }
    })
}

// ---- SCAN -------------------------------------------------------------------------------

/// What one shard contributed to a SCAN call.
struct ScanStep {
    keys: EncodedKeys,
    visited: usize,
    next: u64,
}

/// Walks one shard's table from `from` for about `budget` entries.
fn scan_step(s: &mut Shard, db: usize, from: u64, budget: usize, f: &ScanFilter) -> ScanStep {
    let now = now_ms();
    let mut keys = EncodedKeys::default();
    let mut expired = Vec::new();
    let mut visited = 0;
    let Some(d) = s.dbs.get(db) else {
        let next = POSITION_END;
        return ScanStep {
            keys,
            visited,
            next,
        };
    };
    let next = d.table.scan(from, budget, |e| {
        visited += 1;
        if !f.key_matches(e.key()) {
            return;
        }
        if e.is_expired(now) {
            expired.push(e.key().to_vec());
        } else if f.type_matches(e.value()) {
            keys.push(e.key());
        }
    });
    reap_expired(s, db, &expired, now);
    ScanStep {
        keys,
        visited,
        next,
    }
}

/// Visits shards from `cursor` on until COUNT entries were visited or all shards were
/// walked; returns the keys found and the next cursor.
async fn scan_shards(ctx: &ConnCtx, cursor: u64, opts: ScanOptions) -> (EncodedKeys, u64) {
    let shards = ctx.shards.count() as u64;
    let (filter, db) = (Arc::new(opts.filter), ctx.db);
    let mut point = ScanPoint::decode(cursor);
    let mut budget = opts.count;
    let mut found = EncodedKeys::default();
    while point.shard < shards && budget > 0 {
        let (f, from) = (filter.clone(), point.position);
        let step = ctx
            .shards
            .run_on(point.shard as usize, move |s| {
                scan_step(s, db, from, budget, &f)
            })
            .await;
        found.bytes.extend_from_slice(&step.keys.bytes);
        found.count += step.keys.count;
        budget = budget.saturating_sub(step.visited.max(1));
        point = point.after(step.next);
    }
    (found, point.encode(shards))
}

fn scan<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let a = args.as_args();
        let Some(cursor) = parse_cursor(&a[1]) else {
            return ctx.reply().error(errors::INVALID_CURSOR);
        };
        let opts = match parse_scan_options(a, 2) {
            Ok(o) => o,
            Err(e) => return ctx.reply().error(e),
        };
        let (found, next) = scan_shards(ctx, cursor, opts).await;
        let mut r = ctx.reply();
        r.array(2);
        r.bulk_fmt(format_args!("{next}"));
        r.array(found.count);
        r.raw(&found.bytes);
    })
}

// ---- RANDOMKEY --------------------------------------------------------------------------

/// xorshift64: cheap random numbers for sampling (state must not be 0).
fn next_random(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// A shard index drawn with probability proportional to its weight; None if all are 0.
fn pick_weighted(weights: &[usize], random: u64) -> Option<usize> {
    let total: u64 = weights.iter().map(|&w| w as u64).sum();
    if total == 0 {
        return None;
    }
    let mut x = random % total;
    for (i, &w) in weights.iter().enumerate() {
        if x < w as u64 {
            return Some(i);
        }
        x -= w as u64;
    }
    None
}

/// A random live key of this shard, deleting the expired ones it draws (as Redis does);
/// when every sample was expired, the first live key of a walk.
fn random_live_key(s: &mut Shard, db: usize) -> Option<Vec<u8>> {
    let now = now_ms();
    for _ in 0..RANDOM_SAMPLES_MAX {
        let mut state = s.random() | 1;
        let e = s
            .dbs
            .get(db)?
            .table
            .random_entry(|| next_random(&mut state))?;
        let key = e.key().to_vec();
        if !e.is_expired(now) {
            return Some(key);
        }
        reap_expired(s, db, &[key], now);
    }
    let d = s.dbs.get(db)?;
    d.table
        .iter()
        .find(|e| !e.is_expired(now))
        .map(|e| e.key().to_vec())
}

fn randomkey<'a>(ctx: &'a mut ConnCtx, _args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let db = ctx.db;
        let mut weights = ctx
            .shards
            .run_on_all(move |s| s.dbs.get(db).map_or(0, |d| d.len()))
            .await;
        // A shard found without live keys drops out, so this ends after `count` tries.
        loop {
            let random = ctx.shards.local.borrow_mut().random();
            let Some(shard) = pick_weighted(&weights, random) else {
                return ctx.reply().null();
            };
            match ctx
                .shards
                .run_on(shard, move |s| random_live_key(s, db))
                .await
            {
                Some(key) => return ctx.reply().bulk(&key),
                None => weights[shard] = 0,
            }
        }
    })
}

// ---- table ----------------------------------------------------------------------------

const KS: CommandSpec = CommandSpec {
    group: "generic",
    acl: acl::KEYSPACE,
    ..BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "keys",
        arity: 2,
        flags: flags::READONLY,
        acl: acl::KEYSPACE | acl::READ | acl::SLOW | acl::DANGEROUS,
        summary: "Find all keys matching the given pattern",
        complexity: "O(N) with N being the number of keys in the database, under the assumption that the key names in the database and the given pattern have limited length.",
        run: Run::Coord(keys),
        ..KS
    },
    CommandSpec {
        name: "scan",
        arity: -2,
        flags: flags::READONLY,
        acl: acl::KEYSPACE | acl::READ | acl::SLOW,
        since: "2.8.0",
        summary: "Incrementally iterate the keys space",
        complexity: "O(1) for every call. O(N) for a complete iteration, including enough command calls for the cursor to return back to 0. N is the number of elements inside the collection.",
        run: Run::Coord(scan),
        ..KS
    },
    CommandSpec {
        name: "randomkey",
        arity: 1,
        flags: flags::READONLY,
        acl: acl::KEYSPACE | acl::READ | acl::SLOW,
        summary: "Return a random key from the keyspace",
        run: Run::Coord(randomkey),
        ..KS
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_parsing_follows_strtoul() {
        assert_eq!(parse_cursor(b"0"), Some(0));
        assert_eq!(parse_cursor(b""), Some(0));
        assert_eq!(parse_cursor(b"+7"), Some(7));
        assert_eq!(parse_cursor(b"007"), Some(7));
        assert_eq!(parse_cursor(b"-1"), Some(u64::MAX));
        assert_eq!(parse_cursor(b"18446744073709551615"), Some(u64::MAX));
        for bad in [
            &b"18446744073709551616"[..],
            b" 0",
            b"0 ",
            b"0.5",
            b"abc",
            b"+",
            b"-",
            b"+-1",
            b"0x10",
        ] {
            assert_eq!(parse_cursor(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cursor_round_trips_and_advances() {
        let p = ScanPoint {
            shard: 3,
            position: 12345,
        };
        assert_eq!(ScanPoint::decode(p.encode(4)), p);
        assert_eq!(p.encode(3), 0, "past the last shard the scan is over");
        let start = ScanPoint {
            shard: 0,
            position: 0,
        };
        assert_eq!(ScanPoint::decode(0), start);
        let end_of_shard = p.after(POSITION_END);
        assert_eq!(
            end_of_shard,
            ScanPoint {
                shard: 4,
                position: 0
            }
        );
        assert_eq!(p.after(99).position, 99);
        // The largest in-shard position still fits below the shard bits.
        let last = ScanPoint {
            shard: 1,
            position: POSITION_END,
        };
        assert_eq!(ScanPoint::decode(last.encode(2)), last);
        // Garbage cursors decode to something harmless.
        let g = ScanPoint::decode(u64::MAX);
        assert_eq!(g.encode(4), 0);
    }

    #[test]
    fn weighted_pick() {
        assert_eq!(pick_weighted(&[0, 0], 5), None);
        assert_eq!(pick_weighted(&[0, 3, 0], 7), Some(1));
        assert_eq!(pick_weighted(&[2, 3], 0), Some(0));
        assert_eq!(pick_weighted(&[2, 3], 2), Some(1));
        assert_eq!(pick_weighted(&[2, 3], 4), Some(1));
        assert_eq!(pick_weighted(&[2, 3], 5), Some(0));
    }

    #[test]
    fn scan_options() {
        let args = |v: &[&str]| ArgsBuf::from_slices(v.iter().map(|s| s.as_bytes()));
        let ok = parse_scan_options(
            args(&["scan", "0", "match", "a*", "count", "5", "type", "string"]).as_args(),
            2,
        )
        .ok()
        .unwrap();
        assert_eq!(ok.count, 5);
        assert_eq!(ok.filter.pattern.as_deref(), Some(&b"a*"[..]));
        let err = |v: &[&str]| parse_scan_options(args(v).as_args(), 2).err();
        assert_eq!(err(&["scan", "0", "count", "0"]), Some(errors::SYNTAX));
        assert_eq!(err(&["scan", "0", "count", "x"]), Some(errors::NOT_INTEGER));
        assert_eq!(err(&["scan", "0", "count"]), Some(errors::SYNTAX));
        assert_eq!(err(&["scan", "0", "foo", "1"]), Some(errors::SYNTAX));
        let star = parse_scan_options(args(&["scan", "0", "match", "*"]).as_args(), 2);
        assert!(star.ok().unwrap().filter.pattern.is_none());
    }
}
