//! Bitmaps and LCS: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD, BITFIELD_RO and
//! LCS. The bit arithmetic lives in `util::bits` / `util::lcs`; this file parses the
//! arguments in Redis's order (so the first error is Redis's), reaches the keys and
//! replies. BITOP and LCS may read keys on several shards: they read in one hop per
//! shard inside a transaction, compute on the connection's thread and (BITOP) write the
//! destination in a second hop, all atomically.

use super::multikey::{ShardPart, add_exclusive, part_locks, split_by_shard};
use super::{BASE, CommandSpec, ConnCtx, CoordFuture, Run, acl, flags, keys};
use crate::errors;
use crate::protocol::args::{Args, ArgsBuf};
use crate::protocol::reply::Reply;
use crate::shard::tx::LockMode;
use crate::shard::{ShardCtx, now_ms};
use crate::storage::Value;
use crate::util::bits::{self, BitOp, BitUnit, BitfieldType, Overflow};
use crate::util::lcs;
use crate::util::num::{negative_ends_cross, parse_i64};

// ---- value access ---------------------------------------------------------------------

/// The bytes of a string key for reading (`None` when missing); replies WRONGTYPE and
/// returns Err for other types.
fn read_bytes(ctx: &mut ShardCtx, key: &[u8], r: &mut Reply) -> Result<Option<Vec<u8>>, ()> {
    match ctx.lookup_read(key) {
        None => Ok(None),
        Some(e) => {
            let mut tmp = [0u8; 20];
            match e.value().string_bytes(&mut tmp) {
                Some(b) => Ok(Some(b.to_vec())),
                None => {
                    r.error(errors::WRONGTYPE);
                    Err(())
                }
            }
        }
    }
}

/// Runs `f` on the raw buffer of a string key, creating an empty one when missing.
fn with_raw<R>(
    ctx: &mut ShardCtx,
    key: &[u8],
    r: &mut Reply,
    f: impl FnOnce(&mut Vec<u8>) -> R,
) -> Result<R, ()> {
    if ctx.lookup_write(key).is_none() {
        ctx.set_value(key, Value::Raw(Vec::new()), 0, false);
    }
    let entry = ctx.lookup_write(key).expect("just ensured");
    match entry.make_raw() {
        Some(buf) => Ok(f(buf)),
        None => {
            r.error(errors::WRONGTYPE);
            Err(())
        }
    }
}

/// Drops a key that a write left empty because it failed before writing anything.
fn drop_if_empty(ctx: &mut ShardCtx, key: &[u8]) {
    if ctx
        .lookup_write(key)
        .is_some_and(|e| e.value().string_len() == Some(0))
    {
        ctx.remove(key);
    }
}

fn proto_max(ctx: &ShardCtx) -> u64 {
    ctx.shard.settings.proto_max_bulk_len_bytes
}

// ---- SETBIT / GETBIT --------------------------------------------------------------------

fn setbit(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(offset) = bits::parse_bit_offset(&args[2], None, proto_max(ctx)) else {
        return r.error(errors::BIT_OFFSET);
    };
    let Some(on) = bits::parse_bit_value(&args[3]) else {
        return r.error(errors::BIT_VALUE);
    };
    let key = &args[1];
    if ctx
        .lookup_write(key)
        .is_some_and(|e| !e.value().is_string())
    {
        return r.error(errors::WRONGTYPE);
    }
    match with_raw(ctx, key, r, |buf| bits::setbit(buf, offset, on)) {
        Ok(Ok(old)) => {
            ctx.dirty(1);
            r.int(old as i64)
        }
        Ok(Err(_)) => {
            drop_if_empty(ctx, key);
            r.error(bits::BitmapTooLarge::MESSAGE)
        }
        Err(()) => {}
    }
}

fn getbit(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(offset) = bits::parse_bit_offset(&args[2], None, proto_max(ctx)) else {
        return r.error(errors::BIT_OFFSET);
    };
    if let Ok(bytes) = read_bytes(ctx, &args[1], r) {
        r.int(bytes.is_some_and(|b| bits::getbit(&b, offset)) as i64);
    }
}

// ---- BITCOUNT / BITPOS ------------------------------------------------------------------

fn bitcount(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Ok(bytes) = read_bytes(ctx, &args[1], r) else {
        return;
    };
    let Some(bytes) = bytes else { return r.int(0) };
    match args.len() {
        2 => r.int(bits::popcount(&bytes) as i64),
        4 | 5 => {
            let (Some(start), Some(end)) = (parse_i64(&args[2]), parse_i64(&args[3])) else {
                return r.error(errors::NOT_INTEGER);
            };
            // Redis answers a range empty by its negative ends before reading the unit.
            if negative_ends_cross(start, end) {
                return r.int(0);
            }
            let unit = if args.len() == 5 {
                match BitUnit::parse(&args[4]) {
                    Some(u) => u,
                    None => return r.error(errors::SYNTAX),
                }
            } else {
                BitUnit::Byte
            };
            r.int(bits::bitcount(&bytes, start, end, unit) as i64);
        }
        _ => r.error(errors::SYNTAX),
    }
}

fn bitpos(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let bit = match bits::parse_bitpos_bit(&args[2]) {
        Ok(b) => b,
        Err(e) => return r.error(e),
    };
    let Ok(bytes) = read_bytes(ctx, &args[1], r) else {
        return;
    };
    let Some(bytes) = bytes else {
        return r.int(if bit { -1 } else { 0 });
    };
    if args.len() > 6 {
        return r.error(errors::SYNTAX);
    }
    let mut start = 0;
    let mut end = None;
    let mut unit = BitUnit::Byte;
    if args.len() >= 4 {
        match parse_i64(&args[3]) {
            Some(s) => start = s,
            None => return r.error(errors::NOT_INTEGER),
        }
    }
    if args.len() >= 5 {
        match parse_i64(&args[4]) {
            Some(e) => end = Some(e),
            None => return r.error(errors::NOT_INTEGER),
        }
    }
    if args.len() == 6 {
        match BitUnit::parse(&args[5]) {
            Some(u) => unit = u,
            None => return r.error(errors::SYNTAX),
        }
    }
    r.int(bits::bitpos(&bytes, bit, start, end, unit));
}

// ---- BITFIELD ---------------------------------------------------------------------------

#[derive(Clone, Copy)]
enum FieldOp {
    Get,
    Set(i64),
    IncrBy(i64),
}

struct FieldStep {
    op: FieldOp,
    ty: BitfieldType,
    offset: u64,
    overflow: Overflow,
}

/// Parses BITFIELD's operations in Redis's order; replies the first error.
fn parse_bitfield(
    args: Args,
    r: &mut Reply,
    read_only_cmd: bool,
    proto_max: u64,
) -> Option<Vec<FieldStep>> {
    let mut steps = Vec::new();
    let mut overflow = Overflow::Wrap;
    let mut j = 2;
    while j < args.len() {
        let remaining = args.len() - j - 1;
        let sub = &args[j];
        let is = |w: &str| sub.eq_ignore_ascii_case(w.as_bytes());
        let op_kind = if is("get") && remaining >= 2 {
            0
        } else if is("set") && remaining >= 3 {
            1
        } else if is("incrby") && remaining >= 3 {
            2
        } else if is("overflow") && remaining >= 1 {
            match Overflow::parse(&args[j + 1]) {
                Some(o) => overflow = o,
                None => {
                    r.error(bits::BITFIELD_OVERFLOW_ERR);
                    return None;
                }
            }
            j += 2;
            continue;
        } else {
            r.error(errors::SYNTAX);
            return None;
        };
        if read_only_cmd && op_kind != 0 {
            r.error("ERR BITFIELD_RO only supports the GET subcommand");
            return None;
        }
        let Some(ty) = BitfieldType::parse(&args[j + 1]) else {
            r.error(bits::BITFIELD_TYPE_ERR);
            return None;
        };
        let Some(offset) = bits::parse_bit_offset(&args[j + 2], Some(ty.width_bits()), proto_max)
        else {
            r.error(errors::BIT_OFFSET);
            return None;
        };
        let op = if op_kind == 0 {
            FieldOp::Get
        } else {
            let Some(v) = parse_i64(&args[j + 3]) else {
                r.error(errors::NOT_INTEGER);
                return None;
            };
            if op_kind == 1 {
                FieldOp::Set(v)
            } else {
                FieldOp::IncrBy(v)
            }
        };
        steps.push(FieldStep {
            op,
            ty,
            offset,
            overflow,
        });
        j += if op_kind == 0 { 3 } else { 4 };
    }
    Some(steps)
}

fn bitfield_generic(ctx: &mut ShardCtx, args: Args, r: &mut Reply, read_only_cmd: bool) {
    let Some(steps) = parse_bitfield(args, r, read_only_cmd, proto_max(ctx)) else {
        return;
    };
    let key = &args[1];
    let writes = steps.iter().any(|s| !matches!(s.op, FieldOp::Get));
    if !writes {
        let Ok(bytes) = read_bytes(ctx, key, r) else {
            return;
        };
        let bytes = bytes.unwrap_or_default();
        r.array(steps.len());
        for s in &steps {
            r.int(bits::bitfield_get(&bytes, s.offset, s.ty));
        }
        return;
    }
    if ctx
        .lookup_write(key)
        .is_some_and(|e| !e.value().is_string())
    {
        return r.error(errors::WRONGTYPE);
    }
    let mut out: Vec<Option<i64>> = Vec::with_capacity(steps.len());
    let result = with_raw(ctx, key, r, |buf| {
        for s in &steps {
            let res = match s.op {
                FieldOp::Get => Ok(bits::BitfieldWrite {
                    reply: Some(bits::bitfield_get(buf, s.offset, s.ty)),
                    changed: false,
                }),
                FieldOp::Set(v) => bits::bitfield_set(buf, s.offset, s.ty, v, s.overflow),
                FieldOp::IncrBy(v) => bits::bitfield_incrby(buf, s.offset, s.ty, v, s.overflow),
            };
            match res {
                Ok(w) => out.push(w.reply),
                Err(e) => return Err(e),
            }
        }
        Ok(())
    });
    match result {
        Ok(Ok(())) => {
            r.array(out.len());
            for v in out {
                match v {
                    Some(n) => r.int(n),
                    None => r.null(),
                }
            }
        }
        Ok(Err(_)) => {
            drop_if_empty(ctx, key);
            r.error(bits::BitmapTooLarge::MESSAGE)
        }
        Err(()) => {}
    }
}

fn bitfield(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    bitfield_generic(ctx, args, r, false);
}

fn bitfield_ro(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    bitfield_generic(ctx, args, r, true);
}

// ---- BITOP --------------------------------------------------------------------------------

/// Validates BITOP's operation and source count; replies and returns None on error.
fn bitop_parse(args: Args, r: &mut Reply) -> Option<BitOp> {
    let Some(op) = BitOp::parse(&args[1]) else {
        r.error(errors::SYNTAX);
        return None;
    };
    if op == BitOp::Not && args.len() != 4 {
        r.error(bits::BITOP_NOT_ARITY_ERR);
        return None;
    }
    Some(op)
}

/// Stores BITOP's result (an empty result deletes the destination) and replies.
fn bitop_store(ctx: &mut ShardCtx, dest: &[u8], result: Vec<u8>, r: &mut Reply) {
    let len = result.len();
    if result.is_empty() {
        ctx.remove(dest);
    } else {
        ctx.set_value(dest, Value::Raw(result), 0, false);
    }
    r.int(len as i64);
}

fn bitop(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let Some(op) = bitop_parse(args, r) else {
        return;
    };
    let mut sources = Vec::with_capacity(args.len() - 3);
    for key in args.skip(3) {
        match read_bytes(ctx, key, r) {
            Ok(b) => sources.push(b.unwrap_or_default()),
            Err(()) => return,
        }
    }
    let refs: Vec<&[u8]> = sources.iter().map(|s| s.as_slice()).collect();
    let result = bits::bitop(op, &refs);
    bitop_store(ctx, &args[2], result, r);
}

/// What a read hop returns per key: its bytes, or that it held another type.
type ReadResult = Vec<Result<Option<Vec<u8>>, ()>>;

/// Reads string keys (`part` holds the keys) on one shard within a transaction hop.
fn read_part(sctx: &mut ShardCtx, part: &ArgsBuf) -> ReadResult {
    part.as_args()
        .iter()
        .map(|k| {
            let mut sink = Vec::new();
            read_bytes(sctx, k, &mut Reply::new(&mut sink, Default::default()))
        })
        .collect()
}

/// Schedules a transaction over the sources' shards (shared) and `dest` (exclusive),
/// reads every source, and returns the transaction, the values in argument order, and
/// whether any source held another type.
async fn read_sources<'a>(
    ctx: &'a ConnCtx,
    sources: Args<'_>,
    dest: Option<&[u8]>,
) -> (crate::shard::set::Tx<'a>, Vec<Option<Vec<u8>>>, bool) {
    let db = ctx.db;
    let parts: Vec<ShardPart> = split_by_shard(ctx, sources, 0, 1);
    let mut locks = part_locks(db, &parts, 1, LockMode::Shared);
    if let Some(dest) = dest {
        add_exclusive(&mut locks, ctx.shard_of(dest), db, dest);
    }
    let mut tx = ctx.shards.schedule(locks).await;
    let mut cells = Vec::new();
    for p in &parts {
        let keys = p.args.clone();
        let cell = tx
            .send_hop(p.shard, false, move |s| {
                read_part(
                    &mut ShardCtx {
                        shard: s,
                        db,
                        now_ms: now_ms(),
                    },
                    &keys,
                )
            })
            .await;
        cells.push(cell);
    }
    let mut values = vec![None; sources.len()];
    let mut wrong_type = false;
    for (p, cell) in parts.iter().zip(cells) {
        for (pos, v) in p.positions.iter().zip(cell.wait().await) {
            match v {
                Ok(v) => values[*pos] = v,
                Err(()) => wrong_type = true,
            }
        }
    }
    (tx, values, wrong_type)
}

fn bitop_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let all = args.as_args();
        let Some(op) = bitop_parse(all, &mut ctx.reply()) else {
            return;
        };
        let dest = all[2].to_vec();
        let (mut tx, values, wrong_type) =
            read_sources(ctx, args.slice(3, all.len()), Some(&dest)).await;
        if wrong_type {
            tx.conclude().await;
            return ctx.reply().error(errors::WRONGTYPE);
        }
        let refs: Vec<&[u8]> = values.iter().map(|v| v.as_deref().unwrap_or(b"")).collect();
        let result = bits::bitop(op, &refs);
        let len = result.len();
        let db = ctx.db;
        let shard = ctx.shard_of(&dest);
        tx.hop(shard, true, move |s| {
            let mut sink = Vec::new();
            let mut sctx = ShardCtx {
                shard: s,
                db,
                now_ms: now_ms(),
            };
            bitop_store(
                &mut sctx,
                &dest,
                result,
                &mut Reply::new(&mut sink, Default::default()),
            );
        })
        .await;
        tx.conclude().await;
        ctx.reply().int(len as i64);
    })
}

// ---- LCS ----------------------------------------------------------------------------------

struct LcsOptions {
    len: bool,
    idx: bool,
    min_match_len: i64,
    with_match_len: bool,
}

fn lcs_options(args: Args, r: &mut Reply) -> Option<LcsOptions> {
    let mut o = LcsOptions {
        len: false,
        idx: false,
        min_match_len: 0,
        with_match_len: false,
    };
    let mut j = 3;
    while j < args.len() {
        let a = &args[j];
        let more = args.len() - j - 1;
        if a.eq_ignore_ascii_case(b"IDX") {
            o.idx = true;
        } else if a.eq_ignore_ascii_case(b"LEN") {
            o.len = true;
        } else if a.eq_ignore_ascii_case(b"WITHMATCHLEN") {
            o.with_match_len = true;
        } else if a.eq_ignore_ascii_case(b"MINMATCHLEN") && more >= 1 {
            match parse_i64(&args[j + 1]) {
                Some(v) => o.min_match_len = v.max(0),
                None => {
                    r.error(errors::NOT_INTEGER);
                    return None;
                }
            }
            j += 1;
        } else {
            r.error(errors::SYNTAX);
            return None;
        }
        j += 1;
    }
    if o.idx && o.len {
        r.error(lcs::LCS_IDX_AND_LEN_ERR);
        return None;
    }
    Some(o)
}

fn lcs_reply(a: &[u8], b: &[u8], o: &LcsOptions, proto_max: u64, r: &mut Reply) {
    let result = match lcs::lcs(a, b, o.min_match_len, proto_max) {
        Ok(l) => l,
        Err(e) => return r.error(e.message()),
    };
    if o.len {
        return r.int(result.text.len() as i64);
    }
    if !o.idx {
        return r.bulk(&result.text);
    }
    r.map(2);
    r.bulk(b"matches");
    r.array(result.matches.len());
    for m in &result.matches {
        r.array(if o.with_match_len { 3 } else { 2 });
        r.array(2);
        r.int(m.a_start as i64);
        r.int(m.a_end as i64);
        r.array(2);
        r.int(m.b_start as i64);
        r.int(m.b_end as i64);
        if o.with_match_len {
            r.int(m.len_bytes as i64);
        }
    }
    r.bulk(b"len");
    r.int(result.text.len() as i64);
}

fn lcs_cmd(ctx: &mut ShardCtx, args: Args, r: &mut Reply) {
    let mut values = [Vec::new(), Vec::new()];
    let mut sink = Vec::new();
    for (i, key) in [&args[1], &args[2]].into_iter().enumerate() {
        match read_bytes(ctx, key, &mut Reply::new(&mut sink, Default::default())) {
            Ok(v) => values[i] = v.unwrap_or_default(),
            Err(()) => return r.error(lcs::LCS_WRONG_TYPE_ERR),
        }
    }
    let Some(o) = lcs_options(args, r) else {
        return;
    };
    lcs_reply(&values[0], &values[1], &o, proto_max(ctx), r);
}

fn lcs_spread<'a>(ctx: &'a mut ConnCtx, args: &'a ArgsBuf) -> CoordFuture<'a> {
    Box::pin(async move {
        let (tx, values, wrong_type) = read_sources(ctx, args.slice(1, 3), None).await;
        tx.conclude().await;
        if wrong_type {
            return ctx.reply().error(lcs::LCS_WRONG_TYPE_ERR);
        }
        let proto_max = ctx.settings.proto_max_bulk_len_bytes;
        let mut r = ctx.reply();
        let Some(o) = lcs_options(args.as_args(), &mut r) else {
            return;
        };
        let a = values[0].as_deref().unwrap_or(b"");
        let b = values[1].as_deref().unwrap_or(b"");
        lcs_reply(a, b, &o, proto_max, &mut r);
    })
}

// ---- table ----------------------------------------------------------------------------

const BITMAP: CommandSpec = CommandSpec {
    group: "bitmap",
    since: "2.2.0",
    acl: acl::BITMAP,
    ..BASE
};

pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "setbit",
        arity: 4,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::BITMAP | acl::WRITE | acl::SLOW,
        keys: keys(1, 1, 1),
        summary: "Sets or clears the bit at offset in the string value stored at key",
        run: Run::Shard(setbit),
        ..BITMAP
    },
    CommandSpec {
        name: "getbit",
        arity: 3,
        flags: flags::READONLY | flags::FAST,
        acl: acl::BITMAP | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        summary: "Returns the bit value at offset in the string value stored at key",
        run: Run::Shard(getbit),
        ..BITMAP
    },
    CommandSpec {
        name: "bitcount",
        arity: -2,
        flags: flags::READONLY,
        acl: acl::BITMAP | acl::READ | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.6.0",
        summary: "Count set bits in a string",
        complexity: "O(N)",
        run: Run::Shard(bitcount),
        ..BITMAP
    },
    CommandSpec {
        name: "bitpos",
        arity: -3,
        flags: flags::READONLY,
        acl: acl::BITMAP | acl::READ | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "2.8.7",
        summary: "Find first bit set or clear in a string",
        complexity: "O(N)",
        run: Run::Shard(bitpos),
        ..BITMAP
    },
    CommandSpec {
        name: "bitop",
        arity: -4,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::BITMAP | acl::WRITE | acl::SLOW,
        keys: keys(2, -1, 1),
        since: "2.6.0",
        summary: "Perform bitwise operations between strings",
        complexity: "O(N)",
        run: Run::MultiKey {
            single: bitop,
            spread: bitop_spread,
        },
        ..BITMAP
    },
    CommandSpec {
        name: "bitfield",
        arity: -2,
        flags: flags::WRITE | flags::DENYOOM,
        acl: acl::BITMAP | acl::WRITE | acl::SLOW,
        keys: keys(1, 1, 1),
        since: "3.2.0",
        summary: "Perform arbitrary bitfield integer operations on strings",
        complexity: "O(1) for each subcommand specified",
        run: Run::Shard(bitfield),
        ..BITMAP
    },
    CommandSpec {
        name: "bitfield_ro",
        arity: -2,
        flags: flags::READONLY | flags::FAST,
        acl: acl::BITMAP | acl::READ | acl::FAST,
        keys: keys(1, 1, 1),
        since: "6.0.0",
        summary: "Perform arbitrary bitfield integer operations on strings. Read-only variant of BITFIELD",
        complexity: "O(1) for each subcommand specified",
        run: Run::Shard(bitfield_ro),
        ..BITMAP
    },
    CommandSpec {
        name: "lcs",
        arity: -3,
        flags: flags::READONLY,
        acl: acl::STRING | acl::READ | acl::SLOW,
        keys: keys(1, 2, 1),
        group: "string",
        since: "7.0.0",
        summary: "Find longest common substring",
        complexity: "O(N*M) where N and M are the lengths of s1 and s2, respectively",
        run: Run::MultiKey {
            single: lcs_cmd,
            spread: lcs_spread,
        },
        ..BITMAP
    },
];
