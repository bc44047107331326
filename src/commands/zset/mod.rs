//! Sorted sets: the commands over [`crate::storage::zset`] values, Redis 7.0's whole
//! family except the blocking BZPOPMIN/BZPOPMAX/BZMPOP (which reuse [`pop::pop_reply`]).
//!
//! - `write.rs`: ZADD, ZINCRBY, ZREM;
//! - `read.rs`: ZCARD, ZSCORE, ZMSCORE, ZRANK, ZREVRANK, ZCOUNT, ZLEXCOUNT, ZRANDMEMBER, ZSCAN;
//! - `range.rs`: ZRANGE and its older forms, ZRANGESTORE, ZREMRANGEBY*;
//! - `pop.rs`: ZPOPMIN, ZPOPMAX, ZMPOP;
//! - `setops.rs`: ZUNION, ZINTER, ZDIFF, their *STORE forms, ZINTERCARD;
//! - `table.rs`: the command specs.
//!
//! This file holds what they share: typed access, score and range parsing with Redis's
//! exact rules, and score replies (`%.17g`, RESP3 doubles).

mod blocking;
mod pop;
mod range;
mod read;
mod setops;
mod table;
mod write;

pub use pop::{MpopArgs, PopShape, parse_mpop, pop_reply};
pub use table::{COMMANDS, DOCS};

use crate::errors;
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::storage::Value;
use crate::storage::zset::{ZLimits, ZSetValue};
use crate::util::num::{format_double, parse_f64_lenient};

use super::typed::{self, Replied};

fn pick(v: &mut Value) -> Option<&mut ZSetValue> {
    match v {
        Value::ZSet(z) => Some(z),
        _ => None,
    }
}

/// The sorted set at `key` for reading (None when missing; WRONGTYPE replied).
fn read<'c>(
    ctx: &'c mut ShardCtx,
    key: &[u8],
    r: &mut Reply,
) -> Result<Option<&'c mut ZSetValue>, Replied> {
    typed::read(ctx, key, r, pick)
}

/// The sorted set at `key` for writing (None when missing; WRONGTYPE replied).
fn write<'c>(
    ctx: &'c mut ShardCtx,
    key: &[u8],
    r: &mut Reply,
) -> Result<Option<&'c mut ZSetValue>, Replied> {
    typed::write(ctx, key, r, pick)
}

fn limits(ctx: &ShardCtx) -> ZLimits {
    ZLimits::from_settings(&ctx.shard.settings.encodings)
}

/// Stores a freshly built set at `dest` (deleting `dest` when it is empty), replacing
/// whatever was there and its TTL; returns its size. Signals waiting poppers.
fn store(ctx: &mut ShardCtx, dest: &[u8], pairs: &[(Vec<u8>, f64)]) -> usize {
    if pairs.is_empty() {
        ctx.remove(dest);
        return 0;
    }
    let z = ZSetValue::from_pairs(pairs.iter().map(|(m, s)| (m.as_slice(), *s)), limits(ctx));
    ctx.set_value(dest, Value::ZSet(z), 0, false);
    ctx.signal_ready(dest);
    pairs.len()
}

/// Replies a score: a RESP3 double, or a bulk string in RESP2 (`%.17g`, "inf"/"-inf").
/// Formats on the stack: no allocation.
pub fn reply_score(r: &mut Reply, score: f64) {
    const SCORE_TEXT_BYTES_MAX: usize = 32;
    let buf = r.buffer();
    let at = buf.len();
    format_double(buf, score);
    let mut tmp = [0u8; SCORE_TEXT_BYTES_MAX];
    let n = (buf.len() - at).min(SCORE_TEXT_BYTES_MAX);
    tmp[..n].copy_from_slice(&buf[at..at + n]);
    buf.truncate(at);
    r.double_text(&tmp[..n]);
}

/// Replies `count` member/score pairs produced by `each`: members only, or with scores
/// as a flat array (RESP2) or an array of [member, score] pairs (RESP3).
fn reply_pairs_header(r: &mut Reply, count: usize, withscores: bool) {
    if withscores && !r.is_resp3() {
        r.array(count * 2);
    } else {
        r.array(count);
    }
}

fn reply_pair(r: &mut Reply, member: &[u8], score: f64, withscores: bool) {
    if withscores {
        if r.is_resp3() {
            r.array(2);
        }
        r.bulk(member);
        reply_score(r, score);
    } else {
        r.bulk(member);
    }
}

// ---- ranges -------------------------------------------------------------------------------

/// A score range (`zslParseRange`): "(1.5" is exclusive, "-inf"/"+inf" allowed.
#[derive(Clone, Copy, Debug)]
pub struct ScoreRange {
    pub min: f64,
    pub max: f64,
    pub min_ex: bool,
    pub max_ex: bool,
}

fn parse_score_bound(arg: &[u8]) -> Option<(f64, bool)> {
    match arg.first() {
        Some(b'(') => parse_f64_lenient(&arg[1..]).map(|v| (v, true)),
        _ => parse_f64_lenient(arg).map(|v| (v, false)),
    }
}

impl ScoreRange {
    pub fn parse(min: &[u8], max: &[u8]) -> Option<ScoreRange> {
        let (min, min_ex) = parse_score_bound(min)?;
        let (max, max_ex) = parse_score_bound(max)?;
        Some(ScoreRange {
            min,
            max,
            min_ex,
            max_ex,
        })
    }

    /// The ascending ranks `lo..hi` of the members in range (hi <= lo: none).
    fn ranks(&self, z: &ZSetValue) -> (usize, usize) {
        let lo = z.partition_point(|s, _| {
            if self.min_ex {
                s <= self.min
            } else {
                s < self.min
            }
        });
        let hi = z.partition_point(|s, _| {
            if self.max_ex {
                s < self.max
            } else {
                s <= self.max
            }
        });
        (lo, hi.max(lo))
    }
}

/// Sorted sets up to this many members answer lex ranges by a scan, as a listpack does
/// in Redis (its `zset-max-listpack-entries` default).
const LEX_SCAN_MEMBERS_MAX: usize = 128;

/// One end of a lex range (`zslParseLexRangeItem`).
#[derive(Clone, Debug)]
enum LexBound<'a> {
    Min,
    Max,
    Incl(&'a [u8]),
    Excl(&'a [u8]),
}

#[derive(Clone, Debug)]
pub struct LexRange<'a> {
    min: LexBound<'a>,
    max: LexBound<'a>,
}

fn parse_lex_bound(arg: &[u8]) -> Option<LexBound<'_>> {
    match arg {
        b"+" => Some(LexBound::Max),
        b"-" => Some(LexBound::Min),
        [b'(', rest @ ..] => Some(LexBound::Excl(rest)),
        [b'[', rest @ ..] => Some(LexBound::Incl(rest)),
        _ => None,
    }
}

impl<'a> LexRange<'a> {
    pub fn parse(min: &'a [u8], max: &'a [u8]) -> Option<LexRange<'a>> {
        Some(LexRange {
            min: parse_lex_bound(min)?,
            max: parse_lex_bound(max)?,
        })
    }

    fn below_min(&self, m: &[u8]) -> bool {
        match self.min {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Incl(x) => m < x,
            LexBound::Excl(x) => m <= x,
        }
    }

    fn within_max(&self, m: &[u8]) -> bool {
        match self.max {
            LexBound::Min => false,
            LexBound::Max => true,
            LexBound::Incl(x) => m <= x,
            LexBound::Excl(x) => m < x,
        }
    }

    /// The ascending ranks `lo..hi` of the members in range (ZLEXCOUNT, ZREMRANGEBYLEX,
    /// and ranges of sets too big to scan). Redis specifies the answer only for members
    /// of one score, where this is a binary search; for mixed scores see [`Self::scans`].
    fn ranks(&self, z: &ZSetValue) -> (usize, usize) {
        if self.scans(z) {
            let (first, count) = self.scan_walk(z, false, 0, usize::MAX);
            return (first, first + count);
        }
        let lo = z.partition_point(|_, m| self.below_min(m));
        let hi = z.partition_point(|_, m| self.within_max(m));
        (lo, hi.max(lo))
    }

    /// Whether ranges of `z` go by [`Self::scan_walk`]: up to [`LEX_SCAN_MEMBERS_MAX`]
    /// members, so that mixed scores get what Redis's listpack scan gives, byte for
    /// byte. (Redis's skiplist answers those by its random levels, most often as the
    /// scan does while levels are few.)
    fn scans(&self, z: &ZSetValue) -> bool {
        z.len() <= LEX_SCAN_MEMBERS_MAX
    }

    /// Redis's lex range walk (`genericZrangebylexCommand` over a listpack): from where
    /// the range starts ([`Self::scan_start`]), `offset` members on whether in range or
    /// not, then members while inside the far bound (max going up, min going down), at
    /// most `limit`. The ascending rank of the first and how many.
    fn scan_walk(&self, z: &ZSetValue, rev: bool, offset: usize, limit: usize) -> (usize, usize) {
        let Some(start) = self.scan_start(z, rev) else {
            return (0, 0);
        };
        let first = if rev {
            start.checked_sub(offset)
        } else {
            Some(start + offset).filter(|&f| f < z.len())
        };
        let Some(first) = first else { return (0, 0) };
        let mut count = 0;
        z.walk(first, limit.min(z.len()), rev, |m, _| {
            let inside = self.inside_far(m, rev);
            count += inside as usize;
            inside
        });
        (first, count)
    }

    /// Where Redis's scan starts a lex range (`zzlFirstInLexRange`, `zzlLastInLexRange`):
    /// nothing when the last member is below min or the first above max; else the first
    /// member inside the near bound (min going up, max going down), if it is inside the
    /// far one too. Its ascending rank.
    fn scan_start(&self, z: &ZSetValue, rev: bool) -> Option<usize> {
        let len = z.len();
        if len == 0 || self.below_min(z.at_rank(len - 1).0) || !self.within_max(z.at_rank(0).0) {
            return None;
        }
        let mut skipped = 0;
        let mut found = false;
        z.walk(if rev { len - 1 } else { 0 }, len, rev, |m, _| {
            found = if rev {
                self.within_max(m)
            } else {
                !self.below_min(m)
            };
            skipped += !found as usize;
            !found
        });
        let rank = if rev { len - 1 - skipped } else { skipped };
        (found && self.inside_far(z.at_rank(rank).0, rev)).then_some(rank)
    }

    /// Inside the bound a walk ends at: max going up, min going down.
    fn inside_far(&self, m: &[u8], rev: bool) -> bool {
        if rev {
            !self.below_min(m)
        } else {
            self.within_max(m)
        }
    }
}

/// Parses a numkeys argument as ZUNION & co. do.
fn parse_setnum(arg: &[u8], full_name: &str, r: &mut Reply) -> Option<usize> {
    let Some(n) = crate::util::num::parse_i64(arg) else {
        r.error(errors::NOT_INTEGER);
        return None;
    };
    if n < 1 {
        r.error_fmt(format_args!(
            "ERR at least 1 input key is needed for '{full_name}' command"
        ));
        return None;
    }
    Some(n as usize)
}
