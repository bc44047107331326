//! Read-only sorted-set commands on one key: ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK,
//! ZCOUNT, ZLEXCOUNT, ZRANDMEMBER, ZSCAN.

use super::{LexRange, ScoreRange, read, reply_pair, reply_pairs_header, reply_score};
use crate::commands::keyspace::scan::parse_cursor;
use crate::errors;
use crate::protocol::args::Args;
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::util::glob::glob_match;
use crate::util::num::{format_double, parse_i64};

/// Redis's `d2string` (how ZSCAN shows scores): integral values within ±2^62 as
/// integers, zero as "0" or "-0", the rest as `%.17g`.
fn d2string(buf: &mut Vec<u8>, v: f64) {
    const LL_HALF: f64 = (i64::MAX / 2) as f64;
    if v == 0.0 {
        buf.extend_from_slice(if v.is_sign_negative() { b"-0" } else { b"0" });
    } else if (-LL_HALF..=LL_HALF).contains(&v) && (v as i64) as f64 == v {
        crate::protocol::reply::push_i64(buf, v as i64);
    } else {
        format_double(buf, v);
    }
}

pub(super) fn zcard(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match read(ctx, &args[1], r) {
        Err(_) => {}
        Ok(z) => r.int(z.map_or(0, |z| z.len() as i64)),
    }
}

pub(super) fn zscore(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match read(ctx, &args[1], r) {
        Err(_) => {}
        Ok(z) => match z.and_then(|z| z.score(&args[2])) {
            Some(s) => reply_score(r, s),
            None => r.null(),
        },
    }
}

pub(super) fn zmscore(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Ok(z) = read(ctx, &args[1], r) else {
        return;
    };
    r.array(args.len() - 2);
    for m in args.skip(2) {
        match z.as_ref().and_then(|z| z.score(m)) {
            Some(s) => reply_score(r, s),
            None => r.null(),
        }
    }
}

fn rank_generic(ctx: &mut ShardCtx, args: Args, r: &mut Reply, rev: bool) {
    let Ok(z) = read(ctx, &args[1], r) else {
        return;
    };
    let Some(z) = z else {
        return r.null();
    };
    match z.rank(&args[2]) {
        Some((rank, _)) => r.int(if rev { z.len() - 1 - rank } else { rank } as i64),
        None => r.null(),
    }
}

pub(super) fn zrank(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    rank_generic(ctx, args, r, false)
}

pub(super) fn zrevrank(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    rank_generic(ctx, args, r, true)
}

pub(super) fn zcount(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(range) = ScoreRange::parse(&args[2], &args[3]) else {
        return r.error(errors::ZSET_MIN_MAX_NOT_FLOAT);
    };
    match read(ctx, &args[1], r) {
        Err(_) => {}
        Ok(None) => r.int(0),
        Ok(Some(z)) => {
            let (lo, hi) = range.ranks(z);
            r.int((hi - lo) as i64)
        }
    }
}

pub(super) fn zlexcount(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(range) = LexRange::parse(&args[2], &args[3]) else {
        return r.error(errors::ZSET_MIN_MAX_NOT_STRING_RANGE);
    };
    match read(ctx, &args[1], r) {
        Err(_) => {}
        Ok(None) => r.int(0),
        Ok(Some(z)) => {
            let (lo, hi) = range.ranks(z);
            r.int((hi - lo) as i64)
        }
    }
}

/// ZRANDMEMBER's largest count with WITHSCORES (Redis: LONG_MAX / 2).
const RANDMEMBER_WITHSCORES_COUNT_MAX: i64 = i64::MAX / 2;

pub(super) fn zrandmember(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if args.len() == 2 {
        let Ok(z) = read(ctx, &args[1], r) else {
            return;
        };
        let Some(z) = z.filter(|z| !z.is_empty()) else {
            return r.null();
        };
        let len = z.len();
        let pick = (ctx.shard.random() % len as u64) as usize;
        // Re-borrow after using the shard's generator.
        let Ok(Some(z)) = read(ctx, &args[1], r) else {
            return;
        };
        return r.bulk(z.at_rank(pick).0);
    }
    let Some(count) = parse_i64(&args[2]) else {
        return r.error(errors::NOT_INTEGER);
    };
    if count == i64::MIN {
        return r.error(errors::COUNT_OUT_OF_LONG_RANGE);
    }
    let withscores = match args.len() {
        3 => false,
        4 if args[3].eq_ignore_ascii_case(b"WITHSCORES") => true,
        _ => return r.error(errors::SYNTAX),
    };
    if withscores
        && !(-RANDMEMBER_WITHSCORES_COUNT_MAX..=RANDMEMBER_WITHSCORES_COUNT_MAX).contains(&count)
    {
        return r.error(errors::VALUE_OUT_OF_RANGE);
    }
    let len = match read(ctx, &args[1], r) {
        Err(_) => return,
        Ok(None) => return r.array(0),
        Ok(Some(z)) => z.len(),
    };
    if count == 0 || len == 0 {
        return r.array(0);
    }
    // The shard's generator seeds a local one: the set stays borrowed while picking.
    let mut rng = Xorshift(ctx.shard.random() | 1);
    let Ok(Some(z)) = read(ctx, &args[1], r) else {
        return;
    };
    if count < 0 {
        // With repetitions, streamed: the count may be huge.
        let n = count.unsigned_abs() as usize;
        reply_pairs_header(r, n, withscores);
        for _ in 0..n {
            let (m, s) = z.at_rank((rng.next() % len as u64) as usize);
            reply_pair(r, m, s, withscores);
        }
        return;
    }
    if count as u64 >= len as u64 {
        // The whole set, highest first (Redis's zset iterators run from the tail).
        reply_pairs_header(r, len, withscores);
        z.walk(len - 1, len, true, |m, s| {
            reply_pair(r, m, s, withscores);
            true
        });
        return;
    }
    // Distinct ranks (count < len): a partial Fisher-Yates shuffle over a sparse map.
    let n = count as usize;
    let mut swapped: hashbrown::HashMap<usize, usize> = hashbrown::HashMap::new();
    reply_pairs_header(r, n, withscores);
    for i in 0..n {
        let j = i + (rng.next() % (len - i) as u64) as usize;
        let vj = *swapped.get(&j).unwrap_or(&j);
        let vi = *swapped.get(&i).unwrap_or(&i);
        swapped.insert(j, vi);
        let (m, s) = z.at_rank(vj);
        reply_pair(r, m, s, withscores);
    }
}

/// A small local generator (xorshift64) seeded from the shard's.
struct Xorshift(u64);

impl Xorshift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

/// ZSCAN's COUNT when none is given.
const ZSCAN_COUNT_DEFAULT: usize = 10;

pub(super) fn zscan(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(cursor) = parse_cursor(&args[2]) else {
        return r.error(errors::INVALID_CURSOR);
    };
    let z = match read(ctx, &args[1], r) {
        Err(_) => return,
        Ok(None) => {
            r.array(2);
            r.bulk(b"0");
            return r.array(0);
        }
        Ok(Some(z)) => z,
    };
    let mut count = ZSCAN_COUNT_DEFAULT;
    let mut pattern: Option<&[u8]> = None;
    let mut i = 3;
    while i < args.len() {
        let Some(value) = args.get(i + 1) else {
            return r.error(errors::SYNTAX);
        };
        if args[i].eq_ignore_ascii_case(b"COUNT") {
            let Some(n) = parse_i64(value) else {
                return r.error(errors::NOT_INTEGER);
            };
            if n < 1 {
                return r.error(errors::SYNTAX);
            }
            count = usize::try_from(n).unwrap_or(usize::MAX);
        } else if args[i].eq_ignore_ascii_case(b"MATCH") {
            pattern = Some(value);
        } else {
            return r.error(errors::SYNTAX);
        }
        i += 2;
    }
    let all_match = matches!(pattern, Some(b"*"));
    let mut found: Vec<u8> = Vec::new();
    let mut items = 0usize;
    let next = z.scan(cursor, count, |m, s| {
        if !all_match
            && let Some(p) = pattern
            && !glob_match(p, m, false)
        {
            return;
        }
        let mut text = Vec::new();
        d2string(&mut text, s);
        let mut tmp = Reply::new(&mut found, crate::protocol::reply::RespVersion::Resp2);
        tmp.bulk(m);
        tmp.bulk(&text);
        items += 2;
    });
    r.array(2);
    let mut tmp = [0u8; 20];
    r.bulk(crate::protocol::reply::format_i64(&mut tmp, next as i64));
    r.array(items);
    r.raw(&found);
}
