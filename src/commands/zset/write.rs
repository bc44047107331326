//! ZADD (NX XX GT LT CH INCR), ZINCRBY and ZREM, with Redis 7.0's checks in its order:
//! options, scores, then the key's type.

use super::{limits, reply_score, write};
use crate::errors;
use crate::protocol::args::Args;
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::storage::Value;
use crate::storage::zset::ZSetValue;
use crate::util::num::parse_f64;

#[derive(Default, Clone, Copy)]
struct AddFlags {
    nx: bool,
    xx: bool,
    gt: bool,
    lt: bool,
    ch: bool,
    incr: bool,
}

/// What one `zsetAdd` did.
enum Added {
    New(f64),
    Updated(f64),
    /// Nothing changed; the score is the member's (for INCR replies: none).
    Same(f64),
    Nop,
    Nan,
}

/// ZADD and ZINCRBY (`incr_only`: ZINCRBY key increment member).
fn zadd_generic(ctx: &mut ShardCtx, args: Args, r: &mut Reply, incr_only: bool) {
    let mut f = AddFlags {
        incr: incr_only,
        ..AddFlags::default()
    };
    let mut i = 2;
    // ZINCRBY reads flags too, as Redis's shared ZADD code does: its increment taken
    // for a flag (`ZINCRBY k NX m`) leaves one argument, a syntax error.
    while i < args.len() {
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"NX") {
            f.nx = true;
        } else if a.eq_ignore_ascii_case(b"XX") {
            f.xx = true;
        } else if a.eq_ignore_ascii_case(b"GT") {
            f.gt = true;
        } else if a.eq_ignore_ascii_case(b"LT") {
            f.lt = true;
        } else if a.eq_ignore_ascii_case(b"CH") {
            f.ch = true;
        } else if a.eq_ignore_ascii_case(b"INCR") {
            f.incr = true;
        } else {
            break;
        }
        i += 1;
    }
    let pairs = args.len() - i;
    if pairs == 0 || !pairs.is_multiple_of(2) {
        return r.error(errors::SYNTAX);
    }
    let pairs = pairs / 2;
    if f.nx && f.xx {
        return r.error(errors::ZADD_NX_XX);
    }
    if (f.nx && (f.gt || f.lt)) || (f.gt && f.lt) {
        return r.error(errors::ZADD_GT_LT_NX);
    }
    if f.incr && pairs > 1 {
        return r.error(errors::ZADD_INCR_PAIR);
    }
    for p in 0..pairs {
        if parse_f64(&args[i + 2 * p]).is_none() {
            return r.error(errors::NOT_FLOAT);
        }
    }
    let key = &args[1];
    let lim = limits(ctx);
    let exists = match write(ctx, key, r) {
        Err(_) => return,
        Ok(z) => z.is_some(),
    };
    if !exists {
        if f.xx {
            return if f.incr { r.null() } else { r.int(0) };
        }
        let z = ZSetValue::new_for(lim, args[i + 1].len());
        ctx.set_value(key, Value::ZSet(z), 0, false);
    }
    let (mut added, mut updated, mut last) = (0i64, 0i64, None);
    let Some(Value::ZSet(z)) = ctx.lookup_write(key).and_then(|e| e.value_mut()) else {
        return r.error(errors::WRONGTYPE);
    };
    let mut nan = false;
    for p in 0..pairs {
        let score = parse_f64(&args[i + 2 * p]).unwrap_or(0.0);
        let member = &args[i + 2 * p + 1];
        match zset_add(z, member, score, f, lim) {
            Added::New(s) => {
                added += 1;
                last = Some(s);
            }
            Added::Updated(s) => {
                updated += 1;
                last = Some(s);
            }
            Added::Same(s) => last = Some(s),
            Added::Nop => {}
            Added::Nan => {
                nan = true;
                break;
            }
        }
    }
    if nan {
        drop_if_empty(ctx, key);
        return r.error(errors::ZSET_NAN);
    }
    if added > 0 || updated > 0 {
        ctx.signal_ready(key);
    }
    drop_if_empty(ctx, key);
    ctx.dirty((added + updated) as u64);
    if f.incr {
        match last {
            Some(s) => reply_score(r, s),
            None => r.null(),
        }
    } else {
        r.int(if f.ch { added + updated } else { added });
    }
}

fn zset_add(
    z: &mut ZSetValue,
    member: &[u8],
    score: f64,
    f: AddFlags,
    lim: crate::storage::zset::ZLimits,
) -> Added {
    match z.score(member) {
        Some(cur) => {
            if f.nx {
                return Added::Nop;
            }
            let score = if f.incr { score + cur } else { score };
            if score.is_nan() {
                return Added::Nan;
            }
            if (f.lt && score >= cur) || (f.gt && score <= cur) {
                return Added::Nop;
            }
            if score != cur {
                z.insert(member, score, lim);
                Added::Updated(score)
            } else {
                Added::Same(score)
            }
        }
        None if !f.xx => {
            z.insert(member, score, lim);
            Added::New(score)
        }
        None => Added::Nop,
    }
}

fn drop_if_empty(ctx: &mut ShardCtx, key: &[u8]) {
    let empty = matches!(
        ctx.shard.dbs[ctx.db].table.get(key).map(|e| e.value()),
        Some(crate::storage::ValueRef::ZSet(z)) if z.is_empty()
    );
    if empty {
        ctx.remove(key);
    }
}

pub(super) fn zadd(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    zadd_generic(ctx, args, r, false)
}

pub(super) fn zincrby(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    zadd_generic(ctx, args, r, true)
}

pub(super) fn zrem(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let key = &args[1];
    let z = match write(ctx, key, r) {
        Err(_) => return,
        Ok(None) => return r.int(0),
        Ok(Some(z)) => z,
    };
    let mut removed = 0;
    for m in args.skip(2) {
        if z.remove(m).is_some() {
            removed += 1;
            if z.is_empty() {
                break;
            }
        }
    }
    let empty = z.is_empty();
    super::typed::remove_if_empty(ctx, key, empty);
    ctx.dirty(removed as u64);
    r.int(removed);
}
