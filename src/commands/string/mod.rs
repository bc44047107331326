//! Strings: the value API first (reading a key as a string, storing one), then the
//! commands. Values keep Redis's encodings (`int`, `embstr`, `raw`; see
//! `storage::value`), so OBJECT ENCODING answers as Redis does. MGET, MSET and MSETNX,
//! which may span shards, are in `multi`; the command table is in `table`.

mod multi;
mod table;

pub use table::COMMANDS;

use crate::errors;
use crate::protocol::args::Args;
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::storage::{Value, ValueRef};
use crate::util::num::{negative_ends_cross, parse_i64};

// ---- value API ------------------------------------------------------------------------

/// The string at `key`: Ok(None) when missing, Err(()) (after replying WRONGTYPE) when
/// the key holds another type.
fn read_string<'c>(
    ctx: &'c mut ShardCtx,
    key: &[u8],
    r: &mut Reply,
) -> Result<Option<ValueRef<'c>>, ()> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(e) if e.value().is_string() => Ok(Some(e.value())),
        Some(_) => {
            r.error(errors::WRONGTYPE);
            Err(())
        }
    }
}

/// Replies with a string value as a bulk string.
pub(super) fn reply_value(r: &mut Reply, v: ValueRef<'_>) {
    let mut tmp = [0u8; 20];
    match v.string_bytes(&mut tmp) {
        Some(b) => r.bulk(b),
        None => r.error(errors::WRONGTYPE),
    }
}

/// GET's core, shared by GET, GETSET, SET ... GET, GETDEL, GETEX.
fn reply_get(ctx: &mut ShardCtx, key: &[u8], r: &mut Reply) -> Result<bool, ()> {
    match read_string(ctx, key, r)? {
        Some(v) => {
            reply_value(r, v);
            Ok(true)
        }
        None => {
            r.null();
            Ok(false)
        }
    }
}

fn max_bulk(ctx: &ShardCtx) -> u64 {
    ctx.shard.settings.proto_max_bulk_len_bytes
}

// ---- expiry options ----------------------------------------------------------------------

/// The expiry part of SET / GETEX options.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Expiry {
    None,
    KeepTtl,
    Persist,
    /// Absolute unix milliseconds.
    At(u64),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Unit {
    Ex,
    Px,
    ExAt,
    PxAt,
}

/// Converts an expire argument to an absolute deadline in ms; `None` means Redis's
/// "invalid expire time" (non-positive or overflowing), `Some(Err)` a non-integer.
fn deadline(unit: Unit, arg: &[u8], now_ms: u64) -> Result<Option<u64>, ()> {
    let Some(v) = parse_i64(arg) else {
        return Err(());
    };
    if v <= 0 {
        return Ok(None);
    }
    let ms = match unit {
        Unit::Ex | Unit::ExAt => v.checked_mul(1000),
        Unit::Px | Unit::PxAt => Some(v),
    };
    let Some(ms) = ms else { return Ok(None) };
    let abs = match unit {
        Unit::Ex | Unit::Px => ms.checked_add(now_ms as i64),
        Unit::ExAt | Unit::PxAt => Some(ms),
    };
    Ok(abs.map(|a| a as u64))
}

struct SetOptions {
    nx: bool,
    xx: bool,
    get: bool,
    expiry: Expiry,
}

/// Parses SET's options (from `args[3]`); replies the error and returns None on failure.
fn parse_set_options(ctx: &ShardCtx, args: Args, r: &mut Reply, cmd: &str) -> Option<SetOptions> {
    let mut o = SetOptions {
        nx: false,
        xx: false,
        get: false,
        expiry: Expiry::None,
    };
    let mut unit_seen: Option<(Unit, &[u8])> = None;
    let mut i = 3;
    while i < args.len() {
        let a = &args[i];
        let next = args.get(i + 1);
        let upper = |s: &str| a.eq_ignore_ascii_case(s.as_bytes());
        if upper("NX") && !o.xx {
            o.nx = true;
        } else if upper("XX") && !o.nx {
            o.xx = true;
        } else if upper("GET") {
            o.get = true;
        } else if upper("KEEPTTL") && unit_seen.is_none() && o.expiry == Expiry::None {
            o.expiry = Expiry::KeepTtl;
        } else if let (Some(unit), Some(v)) = (expire_unit(a), next) {
            // Redis lets one unit repeat (the last value wins) but not two units mixed.
            if unit_seen.is_some_and(|(seen, _)| seen != unit) || o.expiry == Expiry::KeepTtl {
                r.error(errors::SYNTAX);
                return None;
            }
            unit_seen = Some((unit, v));
            i += 1;
        } else {
            r.error(errors::SYNTAX);
            return None;
        }
        i += 1;
    }
    if let Some((unit, v)) = unit_seen {
        match deadline(unit, v, ctx.now_ms) {
            Err(()) => {
                r.error(errors::NOT_INTEGER);
                return None;
            }
            Ok(None) => {
                errors::invalid_expire(r, cmd);
                return None;
            }
            Ok(Some(at)) => o.expiry = Expiry::At(at),
        }
    }
    Some(o)
}

fn expire_unit(a: &[u8]) -> Option<Unit> {
    [
        ("EX", Unit::Ex),
        ("PX", Unit::Px),
        ("EXAT", Unit::ExAt),
        ("PXAT", Unit::PxAt),
    ]
    .into_iter()
    .find(|(n, _)| a.eq_ignore_ascii_case(n.as_bytes()))
    .map(|(_, u)| u)
}

// ---- commands ---------------------------------------------------------------------------

pub(super) fn get(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let _ = reply_get(ctx, &args[1], r);
}

pub(super) fn set(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(o) = parse_set_options(ctx, args, r, "set") else {
        return;
    };
    let key = &args[1];
    let exists = if o.get {
        match reply_get(ctx, key, r) {
            Err(()) => return,
            Ok(found) => found,
        }
    } else {
        ctx.exists(key)
    };
    if (o.nx && exists) || (o.xx && !exists) {
        if !o.get {
            r.null();
        }
        return;
    }
    store(ctx, key, Value::from_bytes(&args[2]), o.expiry);
    ctx.dirty(1);
    if !o.get {
        r.ok();
    }
}

fn store(ctx: &mut ShardCtx, key: &[u8], value: Value, expiry: Expiry) {
    match expiry {
        Expiry::KeepTtl => ctx.set_value(key, value, 0, true),
        Expiry::At(at) => ctx.set_value(key, value, at, false),
        Expiry::None | Expiry::Persist => ctx.set_value(key, value, 0, false),
    }
}

pub(super) fn setnx(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if ctx.exists(&args[1]) {
        r.int(0);
    } else {
        ctx.set_value(&args[1], Value::from_bytes(&args[2]), 0, false);
        r.int(1);
    }
}

fn setex_generic(ctx: &mut ShardCtx, args: Args, r: &mut Reply, unit: Unit, cmd: &str) {
    match deadline(unit, &args[2], ctx.now_ms) {
        Err(()) => r.error(errors::NOT_INTEGER),
        Ok(None) => errors::invalid_expire(r, cmd),
        Ok(Some(at)) => {
            ctx.set_value(&args[1], Value::from_bytes(&args[3]), at, false);
            r.ok();
        }
    }
}

pub(super) fn setex(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    setex_generic(ctx, args, r, Unit::Ex, "setex");
}

pub(super) fn psetex(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    setex_generic(ctx, args, r, Unit::Px, "psetex");
}

pub(super) fn getset(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if reply_get(ctx, &args[1], r).is_ok() {
        ctx.set_value(&args[1], Value::from_bytes(&args[2]), 0, false);
        ctx.dirty(1);
    }
}

pub(super) fn getdel(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Ok(true) = reply_get(ctx, &args[1], r) {
        ctx.remove(&args[1]);
    }
}

pub(super) fn getex(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let mut persist = false;
    let mut expire = None;
    let mut i = 2;
    while i < args.len() {
        let a = &args[i];
        if a.eq_ignore_ascii_case(b"PERSIST") && !persist && expire.is_none() {
            persist = true;
            i += 1;
            continue;
        }
        match (expire_unit(a), args.get(i + 1)) {
            (Some(unit), Some(v)) if !persist && expire.is_none() => expire = Some((unit, v)),
            _ => return r.error(errors::SYNTAX),
        }
        i += 2;
    }
    let key = &args[1];
    let now_ms = ctx.now_ms;
    // Only a changed TTL counts as a change.
    ctx.dirty(0);
    // As Redis: a missing key or one of another type answers before the expire time's
    // value is checked.
    let value = match read_string(ctx, key, r) {
        Err(()) => return,
        Ok(None) => return r.null(),
        Ok(Some(value)) => value,
    };
    let expiry = match expire {
        Some((unit, v)) => match deadline(unit, v, now_ms) {
            Err(()) => return r.error(errors::NOT_INTEGER),
            Ok(None) => return errors::invalid_expire(r, "getex"),
            Ok(Some(at)) => Expiry::At(at),
        },
        None if persist => Expiry::Persist,
        None => Expiry::None,
    };
    reply_value(r, value);
    match expiry {
        Expiry::Persist => {
            let had_ttl = ctx
                .db()
                .table
                .get(key)
                .is_some_and(|e| e.expire_at_ms() != 0);
            ctx.dirty(had_ttl as u64);
            ctx.db().table.set_expire(key, 0);
        }
        Expiry::At(at) if at <= ctx.now_ms => {
            ctx.db().table.remove(key);
            ctx.dirty(1);
        }
        Expiry::At(at) => {
            ctx.db().table.set_expire(key, at);
            ctx.dirty(1);
        }
        Expiry::None | Expiry::KeepTtl => {}
    }
}

pub(super) fn strlen(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Ok(v) = read_string(ctx, &args[1], r) {
        r.int(v.and_then(|v| v.string_len()).unwrap_or(0) as i64);
    }
}

pub(super) fn append(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let limit = max_bulk(ctx);
    let key = &args[1];
    let tail = &args[2];
    match ctx.lookup_write(key) {
        None => {
            ctx.set_value(key, Value::from_bytes(tail), 0, false);
            r.int(tail.len() as i64);
        }
        Some(e) => {
            let Some(len) = e.value().string_len() else {
                return r.error(errors::WRONGTYPE);
            };
            if (len + tail.len()) as u64 > limit {
                return r.error(errors::STRING_TOO_LONG);
            }
            let buf = e.make_raw().expect("checked it is a string");
            buf.extend_from_slice(tail);
            r.int(buf.len() as i64);
        }
    }
}

fn incr_by(ctx: &mut ShardCtx, key: &[u8], delta: i64, r: &mut Reply) {
    let current = match ctx.lookup_write(key) {
        None => 0,
        Some(e) => match e.value() {
            ValueRef::Int(n) => n,
            v if v.is_string() => {
                let mut tmp = [0u8; 20];
                match v.string_bytes(&mut tmp).and_then(parse_i64) {
                    Some(n) => n,
                    None => return r.error(errors::NOT_INTEGER),
                }
            }
            _ => return r.error(errors::WRONGTYPE),
        },
    };
    let Some(next) = current.checked_add(delta) else {
        return r.error(errors::OVERFLOW);
    };
    match ctx.lookup_write(key) {
        Some(e) => e.set_value(Value::Int(next)),
        None => ctx.set_value(key, Value::Int(next), 0, false),
    }
    ctx.dirty(1);
    r.int(next);
}

pub(super) fn incr(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    incr_by(ctx, &args[1], 1, r);
}

pub(super) fn decr(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    incr_by(ctx, &args[1], -1, r);
}

pub(super) fn incrby(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match parse_i64(&args[2]) {
        Some(d) => incr_by(ctx, &args[1], d, r),
        None => r.error(errors::NOT_INTEGER),
    }
}

pub(super) fn decrby(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match parse_i64(&args[2]).and_then(i64::checked_neg) {
        Some(d) => incr_by(ctx, &args[1], d, r),
        None if parse_i64(&args[2]) == Some(i64::MIN) => r.error("ERR decrement would overflow"),
        None => r.error(errors::NOT_INTEGER),
    }
}

pub(super) fn incrbyfloat(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let key = &args[1];
    let mut tmp = [0u8; 20];
    let current: Vec<u8> = match ctx.lookup_write(key) {
        None => b"0".to_vec(),
        Some(e) => match e.value().string_bytes(&mut tmp) {
            Some(b) => b.to_vec(),
            None => return r.error(errors::WRONGTYPE),
        },
    };
    match crate::util::num::incr_by_float(&current, &args[2]) {
        Err(e) => r.error(e.incrbyfloat_message()),
        Ok(text) => {
            match ctx.lookup_write(key) {
                Some(e) => e.set_value(Value::from_text(&text)),
                None => ctx.set_value(key, Value::from_text(&text), 0, false),
            }
            r.bulk(&text);
        }
    }
}

/// GETRANGE with Redis 7.0's index rules (including its clamping of a negative end).
pub(super) fn getrange(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let (Some(mut start), Some(mut end)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
        return r.error(errors::NOT_INTEGER);
    };
    let Ok(v) = read_string(ctx, &args[1], r) else {
        return;
    };
    let mut tmp = [0u8; 20];
    let bytes = v.and_then(|v| v.string_bytes(&mut tmp)).unwrap_or(b"");
    let len = bytes.len() as i64;
    if negative_ends_cross(start, end) {
        return r.bulk(b"");
    }
    if start < 0 {
        start += len;
    }
    if end < 0 {
        end += len;
    }
    start = start.max(0);
    end = end.max(0);
    if end >= len {
        end = len - 1;
    }
    if start > end || len == 0 {
        return r.bulk(b"");
    }
    r.bulk(&bytes[start as usize..=end as usize]);
}

pub(super) fn setrange(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(offset) = parse_i64(&args[2]) else {
        return r.error(errors::NOT_INTEGER);
    };
    if offset < 0 {
        return r.error("ERR offset is out of range");
    }
    let limit = max_bulk(ctx);
    let key = &args[1];
    let value = &args[3];
    let needed = offset as u64 + value.len() as u64;
    match ctx.lookup_write(key) {
        None => {
            if value.is_empty() {
                ctx.dirty(0);
                return r.int(0);
            }
            if needed > limit {
                return r.error(errors::STRING_TOO_LONG);
            }
            let mut buf = vec![0u8; needed as usize];
            buf[offset as usize..].copy_from_slice(value);
            ctx.set_value(key, Value::Raw(buf), 0, false);
            r.int(needed as i64);
        }
        Some(e) => {
            let Some(len) = e.value().string_len() else {
                return r.error(errors::WRONGTYPE);
            };
            if value.is_empty() {
                let len = len as i64;
                ctx.dirty(0);
                return r.int(len);
            }
            if needed > limit {
                return r.error(errors::STRING_TOO_LONG);
            }
            let buf = e.make_raw().expect("checked it is a string");
            if buf.len() < needed as usize {
                buf.resize(needed as usize, 0);
            }
            buf[offset as usize..needed as usize].copy_from_slice(value);
            r.int(buf.len() as i64);
        }
    }
}
