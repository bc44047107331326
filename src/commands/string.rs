//! Strings: the value API first (reading a key as a string, storing one), then the
//! commands. Values keep Redis's encodings (`int`, `embstr`, `raw`; see
//! `storage::value`), so OBJECT ENCODING answers as Redis does.

use super::multikey::{ShardPart, part_locks, run_parts, split_by_shard};
use super::{BASE, CommandSpec, ConnCtx, CoordFuture, Run, acl, flags, keys};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::ShardCtx;
use crate::shard::tx::LockMode;
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
fn reply_value(r: &mut Reply, v: ValueRef<'_>) {
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

fn get(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let _ = reply_get(ctx, &args[1], r);
}

fn set(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
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

fn setnx(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
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

fn setex(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    setex_generic(ctx, args, r, Unit::Ex, "setex");
}

fn psetex(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    setex_generic(ctx, args, r, Unit::Px, "psetex");
}

fn getset(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if reply_get(ctx, &args[1], r).is_ok() {
        ctx.set_value(&args[1], Value::from_bytes(&args[2]), 0, false);
        ctx.dirty(1);
    }
}

fn getdel(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Ok(true) = reply_get(ctx, &args[1], r) {
        ctx.remove(&args[1]);
    }
}

fn getex(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
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

fn strlen(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if let Ok(v) = read_string(ctx, &args[1], r) {
        r.int(v.and_then(|v| v.string_len()).unwrap_or(0) as i64);
    }
}

fn append(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
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

fn incr(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    incr_by(ctx, &args[1], 1, r);
}

fn decr(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    incr_by(ctx, &args[1], -1, r);
}

fn incrby(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match parse_i64(&args[2]) {
        Some(d) => incr_by(ctx, &args[1], d, r),
        None => r.error(errors::NOT_INTEGER),
    }
}

fn decrby(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    match parse_i64(&args[2]).and_then(i64::checked_neg) {
        Some(d) => incr_by(ctx, &args[1], d, r),
        None if parse_i64(&args[2]) == Some(i64::MIN) => r.error("ERR decrement would overflow"),
        None => r.error(errors::NOT_INTEGER),
    }
}

fn incrbyfloat(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
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
fn getrange(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
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

fn setrange(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
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

// ---- multi-key: MGET, MSET, MSETNX -------------------------------------------------------

fn mget(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    r.array(args.len() - 1);
    for key in args.skip(1) {
        mget_one(ctx, key, r);
    }
}

fn mget_one(ctx: &mut ShardCtx, key: &[u8], r: &mut Reply) {
    match ctx.lookup_read(key) {
        Some(e) if e.value().is_string() => reply_value(r, e.value()),
        _ => r.null(),
    }
}

fn mget_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let parts = split_by_shard(ctx, args.as_args(), 1, 1);
        let results = run_parts(ctx, parts, 1, LockMode::Shared, |sctx, part| {
            // Each shard encodes its values; the coordinator reorders them.
            let mut out = Vec::new();
            let mut ends = Vec::new();
            for key in part.as_args().iter() {
                mget_one(
                    sctx,
                    key,
                    &mut Reply::new(&mut out, crate::protocol::reply::RespVersion::Resp2),
                );
                ends.push(out.len());
            }
            (out, ends)
        })
        .await;
        let total = args.arg_count() - 1;
        let mut slots: Vec<&[u8]> = vec![&[]; total];
        for (part, (out, ends)) in &results {
            let mut from = 0;
            for (i, &pos) in part.positions.iter().enumerate() {
                slots[pos] = &out[from..ends[i]];
                from = ends[i];
            }
        }
        let resp3 = ctx.resp == crate::protocol::reply::RespVersion::Resp3;
        let mut r = ctx.reply();
        r.array(total);
        for s in slots {
            // Values were encoded as RESP2; only the null differs in RESP3.
            if resp3 && s == b"$-1\r\n" {
                r.null();
            } else {
                r.raw(s);
            }
        }
    })
}

fn mset(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if args.len().is_multiple_of(2) {
        return crate::errors::wrong_arity(r, "mset");
    }
    mset_pairs(ctx, args.skip(1));
    r.ok();
}

/// Sets every pair; each counts as a change (Redis: MSET adds its pair count).
fn mset_pairs<'a>(ctx: &mut ShardCtx, mut pairs: impl Iterator<Item = &'a [u8]>) {
    let mut set = 0;
    while let (Some(k), Some(v)) = (pairs.next(), pairs.next()) {
        ctx.set_value(k, Value::from_bytes(v), 0, false);
        set += 1;
    }
    ctx.dirty(set);
}

fn mset_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        if args.arg_count().is_multiple_of(2) {
            return crate::errors::wrong_arity(&mut ctx.reply(), "mset");
        }
        let parts = split_by_shard(ctx, args.as_args(), 1, 2);
        run_parts(ctx, parts, 2, LockMode::Exclusive, |sctx, part| {
            mset_pairs(sctx, part.as_args().iter())
        })
        .await;
        ctx.reply().ok();
    })
}

fn msetnx(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    if args.len().is_multiple_of(2) {
        return crate::errors::wrong_arity(r, "msetnx");
    }
    let any_exists = args.skip(1).step_by(2).any(|k| ctx.exists(k));
    if any_exists {
        return r.int(0);
    }
    mset_pairs(ctx, args.skip(1));
    r.int(1);
}

fn msetnx_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        if args.arg_count().is_multiple_of(2) {
            return crate::errors::wrong_arity(&mut ctx.reply(), "msetnx");
        }
        let parts: Vec<ShardPart> = split_by_shard(ctx, args.as_args(), 1, 2);
        let db = ctx.db;
        let locks = part_locks(db, &parts, 2, LockMode::Exclusive);
        let mut tx = ctx.shards.schedule(locks).await;
        // Hop 1: does any key exist? (locks held); hop 2: write everywhere or nowhere.
        let mut cells = Vec::new();
        for p in &parts {
            let keys = p.args.clone();
            cells.push(
                tx.send_hop(p.shard, false, move |s| {
                    let mut sctx = ShardCtx {
                        shard: s,
                        db,
                        now_ms: crate::shard::now_ms(),
                    };
                    keys.as_args().iter().step_by(2).any(|k| sctx.exists(k))
                })
                .await,
            );
        }
        let mut any = false;
        for c in cells {
            any |= c.wait().await;
        }
        if any {
            tx.conclude().await;
            return ctx.reply().int(0);
        }
        let mut cells = Vec::new();
        for p in parts {
            let pairs = p.args;
            cells.push(
                tx.send_hop(p.shard, true, move |s| {
                    let mut sctx = ShardCtx {
                        shard: s,
                        db,
                        now_ms: crate::shard::now_ms(),
                    };
                    mset_pairs(&mut sctx, pairs.as_args().iter());
                })
                .await,
            );
        }
        for c in cells {
            c.wait().await;
        }
        tx.conclude().await;
        // The shards counted the pairs they set.
        ctx.dirty(0);
        ctx.reply().int(1);
    })
}

// ---- table ----------------------------------------------------------------------------

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
