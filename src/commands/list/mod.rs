//! Lists: the commands over [`crate::storage::list`] values. This file holds the
//! single-key commands and the table; `moves.rs` the commands that pop from one key and
//! may push to another or look at several (LMOVE, RPOPLPUSH, LMPOP, atomic across
//! shards); `blocking.rs` the blocking forms (BLPOP, BRPOP, BLMOVE, BRPOPLPUSH, BLMPOP)
//! on the machinery of [`crate::shard::blocking`].

mod blocking;
mod moves;
mod table;

pub use table::{COMMANDS, DOCS};

use super::typed::{self, Replied};
use crate::errors;
use crate::protocol::args::Args;
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::storage::Value;
use crate::storage::list::{End, ListValue};
use crate::util::num::parse_i64;

// ---- value access ---------------------------------------------------------------------

fn pick(v: &mut Value) -> Option<&mut ListValue> {
    match v {
        Value::List(l) => Some(l),
        _ => None,
    }
}

/// The list at `key` for writing, created empty (with the configured node size) when
/// missing.
fn list_or_create<'c>(
    ctx: &'c mut ShardCtx,
    key: &[u8],
    r: &mut Reply,
) -> Result<&'c mut ListValue, Replied> {
    let fill = ctx.shard.settings.encodings.list_max_listpack_size;
    typed::write_or_create(ctx, key, r, pick, || Value::List(ListValue::new(fill)))
}

/// `LEFT` / `RIGHT`, as Redis's `getListPositionFromObjectOrReply` (syntax error else).
fn parse_end(arg: &[u8]) -> Option<End> {
    if arg.eq_ignore_ascii_case(b"LEFT") {
        Some(End::Left)
    } else if arg.eq_ignore_ascii_case(b"RIGHT") {
        Some(End::Right)
    } else {
        None
    }
}

fn parse_long(arg: &[u8], r: &mut Reply) -> Result<i64, Replied> {
    parse_i64(arg).ok_or_else(|| {
        r.error(errors::NOT_INTEGER);
        Replied
    })
}

/// Pops one element of a non-empty list straight into the reply (no copy).
fn pop_into(list: &mut ListValue, end: End, r: &mut Reply) {
    match list.peek(end) {
        Some(v) => r.bulk(v),
        None => return r.null(),
    }
    list.discard(end);
}

// ---- push -----------------------------------------------------------------------------

fn push_generic(ctx: &mut ShardCtx, args: Args, r: &mut Reply, end: End, only_existing: bool) {
    let key = &args[1];
    let list = if only_existing {
        match typed::write(ctx, key, r, pick) {
            Err(Replied) => return,
            Ok(None) => return r.int(0),
            Ok(Some(l)) => l,
        }
    } else {
        match list_or_create(ctx, key, r) {
            Err(Replied) => return,
            Ok(l) => l,
        }
    };
    for e in args.skip(2) {
        list.push(end, e);
    }
    let len = list.len();
    ctx.dirty(args.len() as u64 - 2);
    ctx.signal_ready(key);
    r.int(len as i64);
}

fn lpush(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    push_generic(ctx, args, r, End::Left, false);
}

fn rpush(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    push_generic(ctx, args, r, End::Right, false);
}

fn lpushx(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    push_generic(ctx, args, r, End::Left, true);
}

fn rpushx(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    push_generic(ctx, args, r, End::Right, true);
}

// ---- pop ------------------------------------------------------------------------------

fn pop_generic(ctx: &mut ShardCtx, args: Args, r: &mut Reply, end: End) {
    if args.len() > 3 {
        let name = if end == End::Left { "lpop" } else { "rpop" };
        return errors::wrong_arity(r, name);
    }
    let count = match args.get(2) {
        None => None,
        Some(a) => match parse_i64(a).filter(|&n| n >= 0) {
            Some(n) => Some(n as usize),
            None => return r.error(errors::VALUE_MUST_BE_POSITIVE),
        },
    };
    let key = &args[1];
    let list = match typed::write(ctx, key, r, pick) {
        Err(Replied) => return,
        Ok(None) if count.is_some() => return r.null_array(),
        Ok(None) => return r.null(),
        Ok(Some(l)) => l,
    };
    let popped = match count {
        None => {
            pop_into(list, end, r);
            1
        }
        Some(n) => {
            let n = n.min(list.len());
            r.array(n);
            for _ in 0..n {
                pop_into(list, end, r);
            }
            n
        }
    };
    let empty = list.is_empty();
    typed::remove_if_empty(ctx, key, empty);
    ctx.dirty(popped as u64);
}

fn lpop(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    pop_generic(ctx, args, r, End::Left);
}

fn rpop(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    pop_generic(ctx, args, r, End::Right);
}

// ---- reads ----------------------------------------------------------------------------

fn llen(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match typed::read(ctx, &args[1], r, pick) {
        Err(Replied) => {}
        Ok(None) => r.int(0),
        Ok(Some(l)) => r.int(l.len() as i64),
    }
}

fn lindex(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let list = match typed::read(ctx, &args[1], r, pick) {
        Err(Replied) => return,
        Ok(None) => return r.null(),
        Ok(Some(l)) => l,
    };
    let Some(index) = parse_i64(&args[2]) else {
        return r.error(errors::NOT_INTEGER);
    };
    match list.position(index).and_then(|p| list.get(p)) {
        Some(v) => r.bulk(v),
        None => r.null(),
    }
}

/// Redis's range normalisation for LRANGE/LTRIM: Some((start, end)) inclusive within
/// `len`, None when the range is empty.
fn normalize_range(start: i64, end: i64, len: usize) -> Option<(usize, usize)> {
    let len = len as i64;
    let mut start = if start < 0 {
        len.saturating_add(start)
    } else {
        start
    };
    let mut end = if end < 0 {
        len.saturating_add(end)
    } else {
        end
    };
    if start < 0 {
        start = 0;
    }
    if start > end || start >= len {
        return None;
    }
    if end >= len {
        end = len - 1;
    }
    Some((start as usize, end as usize))
}

fn lrange(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Ok(start) = parse_long(&args[2], r) else {
        return;
    };
    let Ok(end) = parse_long(&args[3], r) else {
        return;
    };
    let list = match typed::read(ctx, &args[1], r, pick) {
        Err(Replied) => return,
        Ok(None) => return r.array(0),
        Ok(Some(l)) => l,
    };
    match normalize_range(start, end, list.len()) {
        None => r.array(0),
        Some((s, e)) => {
            r.array(e - s + 1);
            for v in list.iter_from(s).take(e - s + 1) {
                r.bulk(v);
            }
        }
    }
}

fn lpos(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let mut rank: i64 = 1;
    let mut count: Option<usize> = None;
    let mut maxlen: usize = 0;
    let mut j = 3;
    while j < args.len() {
        let opt = &args[j];
        let more = j + 1 < args.len();
        if opt.eq_ignore_ascii_case(b"RANK") && more {
            j += 1;
            let Some(v) = parse_i64(&args[j]) else {
                return r.error(errors::NOT_INTEGER);
            };
            if v == 0 {
                return r.error(errors::LPOS_RANK_ZERO);
            }
            rank = v;
        } else if opt.eq_ignore_ascii_case(b"COUNT") && more {
            j += 1;
            match parse_i64(&args[j]).filter(|&n| n >= 0) {
                Some(n) => count = Some(n as usize),
                None => return r.error(errors::LPOS_COUNT_NEGATIVE),
            }
        } else if opt.eq_ignore_ascii_case(b"MAXLEN") && more {
            j += 1;
            match parse_i64(&args[j]).filter(|&n| n >= 0) {
                Some(n) => maxlen = n as usize,
                None => return r.error(errors::LPOS_MAXLEN_NEGATIVE),
            }
        } else {
            return r.error(errors::SYNTAX);
        }
        j += 1;
    }
    let list = match typed::read(ctx, &args[1], r, pick) {
        Err(Replied) => return,
        Ok(None) if count.is_some() => return r.array(0),
        Ok(None) => return r.null(),
        Ok(Some(l)) => l,
    };
    let element = &args[2];
    let len = list.len();
    let from_tail = rank < 0;
    // Matches to skip before reporting (Redis: LONG_MIN behaves as "every match").
    let skip = if rank == i64::MIN {
        0
    } else {
        (rank.unsigned_abs() - 1).min(usize::MAX as u64) as usize
    };
    let wanted = match count {
        None => 1,
        Some(0) => usize::MAX,
        Some(n) => n,
    };
    let limit = if maxlen == 0 { len } else { maxlen.min(len) };
    let mut found: Vec<usize> = Vec::new();
    let mut matches = 0usize;
    let mut visit = |i: usize, e: &[u8]| -> bool {
        if e == element {
            matches += 1;
            if matches > skip {
                found.push(i);
                if found.len() >= wanted {
                    return false;
                }
            }
        }
        true
    };
    if from_tail {
        for (n, e) in list.iter_rev().take(limit).enumerate() {
            if !visit(len - 1 - n, e) {
                break;
            }
        }
    } else {
        for (i, e) in list.iter().take(limit).enumerate() {
            if !visit(i, e) {
                break;
            }
        }
    }
    match count {
        None => match found.first() {
            Some(&i) => r.int(i as i64),
            None => r.null(),
        },
        Some(_) => {
            r.array(found.len());
            for i in found {
                r.int(i as i64);
            }
        }
    }
}

// ---- in-place writes ------------------------------------------------------------------

fn lset(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let list = match typed::write(ctx, &args[1], r, pick) {
        Err(Replied) => return,
        Ok(None) => return r.error(errors::NO_SUCH_KEY),
        Ok(Some(l)) => l,
    };
    let Some(index) = parse_i64(&args[2]) else {
        return r.error(errors::NOT_INTEGER);
    };
    match list.position(index) {
        None => r.error(errors::INDEX_OUT_OF_RANGE),
        Some(p) => {
            list.set(p, &args[3]);
            r.ok();
        }
    }
}

fn linsert(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let after = if args[2].eq_ignore_ascii_case(b"AFTER") {
        true
    } else if args[2].eq_ignore_ascii_case(b"BEFORE") {
        false
    } else {
        return r.error(errors::SYNTAX);
    };
    let list = match typed::write(ctx, &args[1], r, pick) {
        Err(Replied) => return,
        Ok(None) => return r.int(0),
        Ok(Some(l)) => l,
    };
    match list.insert(&args[3], after, &args[4]) {
        Some(len) => r.int(len as i64),
        None => r.int(-1),
    }
}

fn lrem(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Ok(count) = parse_long(&args[2], r) else {
        return;
    };
    let key = &args[1];
    let list = match typed::write(ctx, key, r, pick) {
        Err(Replied) => return,
        Ok(None) => return r.int(0),
        Ok(Some(l)) => l,
    };
    let removed = list.remove(count, &args[3]);
    let empty = list.is_empty();
    typed::remove_if_empty(ctx, key, empty);
    r.int(removed as i64);
}

fn ltrim(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Ok(start) = parse_long(&args[2], r) else {
        return;
    };
    let Ok(end) = parse_long(&args[3], r) else {
        return;
    };
    let key = &args[1];
    let list = match typed::write(ctx, key, r, pick) {
        Err(Replied) => return,
        Ok(None) => return r.ok(),
        Ok(Some(l)) => l,
    };
    let len = list.len();
    match normalize_range(start, end, len) {
        None => list.trim(len, 0),
        Some((s, e)) => list.trim(s, len - 1 - e),
    }
    let removed = len - list.len();
    let empty = list.is_empty();
    typed::remove_if_empty(ctx, key, empty);
    ctx.dirty(removed as u64);
    r.ok();
}
