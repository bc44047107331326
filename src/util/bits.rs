//! Bitmap primitives behind SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP and BITFIELD, with
//! Redis 7.0's exact semantics, including its quirks (documented where they appear).
//!
//! Bits are numbered MSB-first: bit 0 is the most significant bit of byte 0, as in
//! Redis. Reading past the end of a string reads zeros; writing past it grows the
//! string with zero bytes. Functions take client-supplied numbers as they come (i64 or
//! u64, possibly huge or negative) and never panic or index out of bounds; the only
//! allocation is the output (a `bitop` result or the growth of the caller's buffer),
//! and growth goes through `try_reserve` so that an absurd size is an error, not an
//! abort. Argument parsers return the exact Redis error text (or map `None` to the
//! error named in their doc).

use super::num::parse_i64;
use crate::errors;

/// BITFIELD type that is not `i1`..`i64` or `u1`..`u63`.
pub const BITFIELD_TYPE_ERR: &str = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is.";

/// BITFIELD `OVERFLOW` with something other than WRAP, SAT or FAIL.
pub const BITFIELD_OVERFLOW_ERR: &str = "ERR Invalid OVERFLOW type specified";

/// BITPOS with an integer bit argument other than 0 or 1.
pub const BITPOS_BIT_ERR: &str = "ERR The bit argument must be 1 or 0.";

/// BITOP NOT with more than one source key.
pub const BITOP_NOT_ARITY_ERR: &str = "ERR BITOP NOT must be called with a single source key.";

/// Redis compares option words with `strcasecmp` on C strings, so an argument matches
/// when its bytes up to the first NUL equal `word` ignoring ASCII case ("bit\0x" is
/// BIT).
fn is_word(arg: &[u8], word: &str) -> bool {
    let end = arg.iter().position(|&b| b == 0).unwrap_or(arg.len());
    arg[..end].eq_ignore_ascii_case(word.as_bytes())
}

/// A growing write would need a buffer larger than this process can allocate. Redis
/// would abort on out-of-memory; shoal replies [`BitmapTooLarge::MESSAGE`] instead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitmapTooLarge;

impl BitmapTooLarge {
    pub const MESSAGE: &'static str = errors::STRING_TOO_LONG;
}

/// Grows `buf` with zero bytes to at least `len_bytes`.
fn grow_zeroed(buf: &mut Vec<u8>, len_bytes: u64) -> Result<(), BitmapTooLarge> {
    let len = usize::try_from(len_bytes).map_err(|_| BitmapTooLarge)?;
    if len > buf.len() {
        buf.try_reserve(len - buf.len())
            .map_err(|_| BitmapTooLarge)?;
        buf.resize(len, 0);
    }
    Ok(())
}

/// The byte at `index`, or 0 past the end (bitmaps read as zero-padded).
fn byte_at(bytes: &[u8], index: u64) -> u8 {
    usize::try_from(index)
        .ok()
        .and_then(|i| bytes.get(i))
        .copied()
        .unwrap_or(0)
}

// ---- offsets, SETBIT, GETBIT ---------------------------------------------------------

/// Redis `getBitOffsetFromArgument`. `arg` is a `string2ll` integer; when
/// `hash_width_bits` is `Some(width)` (BITFIELD) the form `#N` is also accepted and
/// means `N * width` (multiplied with C's wrap-around, as Redis does: "#2305843009213693952"
/// for u8 wraps to offset 0 and is accepted). The offset must be non-negative and
/// `offset / 8 < proto_max_bulk_len_bytes` (so 2^32 - 1 is the largest offset with the
/// default 512 MB). `None` maps to `errors::BIT_OFFSET`.
pub fn parse_bit_offset(
    arg: &[u8],
    hash_width_bits: Option<u32>,
    proto_max_bulk_len_bytes: u64,
) -> Option<u64> {
    let (digits, width) = match (hash_width_bits, arg.split_first()) {
        (Some(width), Some((b'#', rest))) if !rest.is_empty() => (rest, Some(width)),
        _ => (arg, None),
    };
    let mut offset = parse_i64(digits)?;
    if let Some(width) = width {
        offset = offset.wrapping_mul(i64::from(width));
    }
    check_bit_offset(offset, proto_max_bulk_len_bytes)
}

/// The range check of [`parse_bit_offset`] alone: `Some(offset)` when
/// `0 <= offset` and `offset / 8 < proto_max_bulk_len_bytes`.
pub fn check_bit_offset(offset: i64, proto_max_bulk_len_bytes: u64) -> Option<u64> {
    let offset = u64::try_from(offset).ok()?;
    (offset >> 3 < proto_max_bulk_len_bytes).then_some(offset)
}

/// SETBIT's value: exactly "0" or "1" after `string2ll` ("01", "-1", "2" are
/// rejected). `None` maps to `errors::BIT_VALUE`.
pub fn parse_bit_value(arg: &[u8]) -> Option<bool> {
    match parse_i64(arg)? {
        0 => Some(false),
        1 => Some(true),
        _ => None,
    }
}

/// GETBIT: the bit at `offset_bits`, false past the end.
pub fn getbit(bytes: &[u8], offset_bits: u64) -> bool {
    byte_at(bytes, offset_bits >> 3) & (0x80 >> (offset_bits & 7)) != 0
}

/// SETBIT: sets the bit at `offset_bits` to `on`, growing `buf` with zero bytes to
/// cover it, and returns the bit's previous value. Validate the offset with
/// [`parse_bit_offset`] first; `Err` only when the buffer cannot be allocated.
pub fn setbit(buf: &mut Vec<u8>, offset_bits: u64, on: bool) -> Result<bool, BitmapTooLarge> {
    let index = offset_bits >> 3;
    grow_zeroed(buf, index + 1)?;
    let mask = 0x80u8 >> (offset_bits & 7);
    let Some(byte) = usize::try_from(index).ok().and_then(|i| buf.get_mut(i)) else {
        return Err(BitmapTooLarge);
    };
    let old = *byte & mask != 0;
    if on {
        *byte |= mask;
    } else {
        *byte &= !mask;
    }
    Ok(old)
}

// ---- BITCOUNT and BITPOS -------------------------------------------------------------

/// The unit of BITCOUNT/BITPOS indexes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitUnit {
    Byte,
    Bit,
}

impl BitUnit {
    /// "BYTE" or "BIT", any case. `None` maps to `errors::SYNTAX`.
    pub fn parse(arg: &[u8]) -> Option<BitUnit> {
        if is_word(arg, "byte") {
            Some(BitUnit::Byte)
        } else if is_word(arg, "bit") {
            Some(BitUnit::Bit)
        } else {
            None
        }
    }
}

/// Number of set bits in `bytes` (BITCOUNT without a range).
pub fn popcount(bytes: &[u8]) -> u64 {
    let mut words = bytes.chunks_exact(8);
    let mut count = 0u64;
    for word in &mut words {
        if let Ok(word) = <[u8; 8]>::try_from(word) {
            count += u64::from(u64::from_ne_bytes(word).count_ones());
        }
    }
    let tail: u32 = words.remainder().iter().map(|b| b.count_ones()).sum();
    count + u64::from(tail)
}

/// Redis's index normalisation for BITCOUNT and BITPOS: indexes are in `unit`s of a
/// string of `len_bytes`; negative ones count from the end; then both are clamped
/// into [0, total - 1]. Returns the inclusive range in bits, or `None` when empty.
/// (Clamping a too-negative `end` to 0 rather than emptying the range is a Redis
/// quirk: `BITCOUNT k 0 -100` counts byte 0.)
fn bit_range(len_bytes: usize, start: i64, end: i64, unit: BitUnit) -> Option<(u64, u64)> {
    let len = i64::try_from(len_bytes).unwrap_or(i64::MAX);
    let total = match unit {
        BitUnit::Byte => len,
        BitUnit::Bit => len.saturating_mul(8),
    };
    // start < 0 and total >= 0, so the additions cannot overflow.
    let start = if start < 0 { start + total } else { start }.max(0);
    let end = if end < 0 { end + total } else { end }
        .max(0)
        .min(total - 1);
    if start > end {
        return None;
    }
    let (start, end) = (start as u64, end as u64);
    Some(match unit {
        BitUnit::Byte => (start.saturating_mul(8), end.saturating_mul(8) | 7),
        BitUnit::Bit => (start, end),
    })
}

/// Bits of a byte that come before bit `first % 8` (MSB-first).
fn mask_before(first_bit: u64) -> u8 {
    !(0xFFu8 >> (first_bit & 7))
}

/// Bits of a byte that come after bit `last % 8` (MSB-first).
fn mask_after(last_bit: u64) -> u8 {
    (0xFFu16 >> ((last_bit & 7) + 1)) as u8
}

/// BITCOUNT key start end [BYTE|BIT]: set bits in the range, with Redis 7.0's rules:
/// negative indexes count from the end, both ends are clamped into the string, an
/// empty range counts 0, and when both indexes are negative with start > end the reply
/// is 0 before any clamping. (A missing key replies 0 before the arguments are even
/// parsed; a key with no range uses [`popcount`].)
pub fn bitcount(bytes: &[u8], start: i64, end: i64, unit: BitUnit) -> u64 {
    if start < 0 && end < 0 && start > end {
        return 0;
    }
    let Some((first_bit, last_bit)) = bit_range(bytes.len(), start, end, unit) else {
        return 0;
    };
    // bit_range keeps both ends inside the string, so these indexes are in bounds.
    let (first, last) = ((first_bit >> 3) as usize, (last_bit >> 3) as usize);
    let Some(range) = bytes.get(first..=last) else {
        return 0;
    };
    let outside = (range[0] & mask_before(first_bit)).count_ones()
        + (range[range.len() - 1] & mask_after(last_bit)).count_ones();
    popcount(range) - u64::from(outside)
}

/// BITPOS's bit argument: `Ok(true)` for 1, `Ok(false)` for 0; a non-integer is
/// `errors::NOT_INTEGER`, any other integer [`BITPOS_BIT_ERR`].
pub fn parse_bitpos_bit(arg: &[u8]) -> Result<bool, &'static str> {
    match parse_i64(arg) {
        Some(0) => Ok(false),
        Some(1) => Ok(true),
        Some(_) => Err(BITPOS_BIT_ERR),
        None => Err(errors::NOT_INTEGER),
    }
}

/// BITPOS key bit [start [end [BYTE|BIT]]] on an existing key: the position of the
/// first bit equal to `bit` in the range, or -1. Without a range pass `start` 0, `end`
/// `None`, `Byte`. Range rules are BITCOUNT's (without its both-negative special
/// case). Quirk kept from Redis: when looking for a 0 bit and no `end` was given, a
/// range of all ones answers the bit just past the string (`len * 8`), because the
/// string is considered zero-padded on the right; with an explicit `end` it is -1. An
/// empty range is always -1. (A missing key is not handled here: Redis replies 0 when
/// looking for 0 and -1 when looking for 1, before parsing the range.)
pub fn bitpos(bytes: &[u8], bit: bool, start: i64, end: Option<i64>, unit: BitUnit) -> i64 {
    let end_units = end.unwrap_or(i64::MAX);
    let Some((first_bit, last_bit)) = bit_range(bytes.len(), start, end_units, unit) else {
        return -1;
    };
    match find_bit(bytes, bit, first_bit, last_bit) {
        Some(position) => i64::try_from(position).unwrap_or(-1),
        None if !bit && end.is_none() => i64::try_from(bytes.len())
            .unwrap_or(i64::MAX)
            .saturating_mul(8),
        None => -1,
    }
}

/// First bit equal to `bit` within [first_bit, last_bit] (both inside `bytes`).
fn find_bit(bytes: &[u8], bit: bool, first_bit: u64, last_bit: u64) -> Option<u64> {
    let (first, last) = ((first_bit >> 3) as usize, (last_bit >> 3) as usize);
    let range = bytes.get(first..=last)?;
    // Bits outside the range are forced to the opposite of what we look for.
    let hide = |byte: u8, mask: u8| if bit { byte & !mask } else { byte | mask };
    let mut edge = hide(range[0], mask_before(first_bit));
    if range.len() == 1 {
        edge = hide(edge, mask_after(last_bit));
    }
    if let Some(bit_index) = first_match_in_byte(edge, bit) {
        return Some(first_bit & !7 | bit_index);
    }
    if range.len() == 1 {
        return None;
    }
    let middle = &range[1..range.len() - 1];
    let skip = if bit { 0x00 } else { 0xFF };
    if let Some(index) = first_byte_not(middle, skip) {
        let bit_index = first_match_in_byte(middle[index], bit)?;
        return Some((first as u64 + 1 + index as u64) * 8 + bit_index);
    }
    let tail = hide(range[range.len() - 1], mask_after(last_bit));
    first_match_in_byte(tail, bit).map(|bit_index| (last as u64) * 8 + bit_index)
}

/// MSB-first index of the first bit equal to `bit` in `byte`.
fn first_match_in_byte(byte: u8, bit: bool) -> Option<u64> {
    let targets = if bit { byte } else { !byte };
    (targets != 0).then(|| u64::from(targets.leading_zeros()))
}

/// Index of the first byte that is not `skip`, comparing 8 bytes at a time.
fn first_byte_not(bytes: &[u8], skip: u8) -> Option<usize> {
    let skip_word = u64::from_ne_bytes([skip; 8]);
    let mut scanned = 0;
    for word in bytes.chunks_exact(8) {
        match <[u8; 8]>::try_from(word) {
            Ok(word) if u64::from_ne_bytes(word) == skip_word => scanned += 8,
            _ => break,
        }
    }
    bytes[scanned..]
        .iter()
        .position(|&b| b != skip)
        .map(|i| scanned + i)
}

// ---- BITOP ---------------------------------------------------------------------------

/// A BITOP operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BitOp {
    And,
    Or,
    Xor,
    Not,
}

impl BitOp {
    /// "AND", "OR", "XOR" or "NOT", any case. `None` maps to `errors::SYNTAX`.
    pub fn parse(arg: &[u8]) -> Option<BitOp> {
        [
            ("and", BitOp::And),
            ("or", BitOp::Or),
            ("xor", BitOp::Xor),
            ("not", BitOp::Not),
        ]
        .into_iter()
        .find(|(word, _)| is_word(arg, word))
        .map(|(_, op)| op)
    }
}

/// BITOP's result: as long as the longest source, shorter sources (and missing keys,
/// passed as empty slices) read as zero bytes. NOT inverts `sources[0]` (the caller
/// rejects NOT with other than one source, [`BITOP_NOT_ARITY_ERR`]; extra sources are
/// ignored here). An empty result means the destination key is deleted.
pub fn bitop(op: BitOp, sources: &[&[u8]]) -> Vec<u8> {
    let len = sources.iter().map(|s| s.len()).max().unwrap_or(0);
    match op {
        BitOp::Not => sources
            .first()
            .map(|s| s.iter().map(|b| !b).collect())
            .unwrap_or_default(),
        BitOp::And => {
            let mut out = vec![0u8; len];
            if let Some(first) = sources.first() {
                out[..first.len()].copy_from_slice(first);
            }
            for source in sources.iter().skip(1) {
                out.iter_mut().zip(*source).for_each(|(o, s)| *o &= s);
                out[source.len()..].fill(0);
            }
            out
        }
        BitOp::Or | BitOp::Xor => {
            let mut out = vec![0u8; len];
            for source in sources {
                let target = out.iter_mut().zip(*source);
                if op == BitOp::Or {
                    target.for_each(|(o, s)| *o |= s);
                } else {
                    target.for_each(|(o, s)| *o ^= s);
                }
            }
            out
        }
    }
}

// ---- BITFIELD ------------------------------------------------------------------------

/// A BITFIELD integer type: `i1`..`i64` or `u1`..`u63`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitfieldType {
    signed: bool,
    width_bits: u32,
}

impl BitfieldType {
    /// Redis `getBitfieldTypeFromArgument`: 'i' or 'u' (lower case only), then a
    /// `string2ll` width read up to the first NUL byte (C `strlen`, so "u8\0x" is u8).
    /// `None` maps to [`BITFIELD_TYPE_ERR`].
    pub fn parse(arg: &[u8]) -> Option<BitfieldType> {
        let (&sign, rest) = arg.split_first()?;
        let rest = &rest[..rest.iter().position(|&b| b == 0).unwrap_or(rest.len())];
        let width = parse_i64(rest)?;
        let (signed, max_width) = match sign {
            b'i' => (true, 64),
            b'u' => (false, 63),
            _ => return None,
        };
        if !(1..=max_width).contains(&width) {
            return None;
        }
        Some(BitfieldType {
            signed,
            width_bits: width as u32,
        })
    }

    pub fn is_signed(self) -> bool {
        self.signed
    }

    /// 1..=64.
    pub fn width_bits(self) -> u32 {
        self.width_bits
    }

    /// Bytes the string must have for a write at `offset_bits` (Redis grows the key
    /// to this once, before any operation of the command, even for writes that then
    /// FAIL; `bitfield_set`/`bitfield_incrby` grow to it themselves).
    pub fn end_len_bytes(self, offset_bits: u64) -> u64 {
        (offset_bits.saturating_add(u64::from(self.width_bits) - 1) >> 3) + 1
    }

    fn max(self) -> i64 {
        match (self.signed, self.width_bits) {
            (true, 64) => i64::MAX,
            (true, width) => (1i64 << (width - 1)) - 1,
            (false, width) => ((1u64 << width) - 1) as i64,
        }
    }

    fn mask(self) -> u64 {
        u64::MAX >> (64 - self.width_bits)
    }
}

/// BITFIELD's overflow policy (`OVERFLOW WRAP|SAT|FAIL`; WRAP by default).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Overflow {
    #[default]
    Wrap,
    Sat,
    Fail,
}

impl Overflow {
    /// "WRAP", "SAT" or "FAIL", any case. `None` maps to [`BITFIELD_OVERFLOW_ERR`].
    pub fn parse(arg: &[u8]) -> Option<Overflow> {
        [
            ("wrap", Overflow::Wrap),
            ("sat", Overflow::Sat),
            ("fail", Overflow::Fail),
        ]
        .into_iter()
        .find(|(word, _)| is_word(arg, word))
        .map(|(_, policy)| policy)
    }
}

/// The outcome of a BITFIELD SET or INCRBY.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BitfieldWrite {
    /// The integer to reply (SET: the old value; INCRBY: the new value), or `None` for
    /// a nil reply when the policy is FAIL and the operation overflowed (nothing was
    /// written, though the string was still grown).
    pub reply: Option<i64>,
    /// The stored value changed (Redis also counts a change when the key was created
    /// or grown, which the caller sees from the length).
    pub changed: bool,
}

/// BITFIELD GET: the field at `offset_bits` (zeros past the end), sign-extended for
/// signed types.
pub fn bitfield_get(bytes: &[u8], offset_bits: u64, ty: BitfieldType) -> i64 {
    let raw = read_field(bytes, offset_bits, ty.width_bits);
    if ty.signed {
        sign_extend(raw, ty.width_bits)
    } else {
        raw as i64
    }
}

/// BITFIELD SET: stores `value` (after the overflow policy) and replies the old value.
/// Out-of-range values follow Redis exactly, quirks included: for unsigned types a
/// negative value counts as a huge unsigned one (SAT stores the maximum), and for
/// signed types narrower than 64 bits a value so negative that `max - value` overflows
/// i64 counts as overflowing upwards (`SAT i63` of i64::MIN stores 2^62 - 1).
pub fn bitfield_set(
    buf: &mut Vec<u8>,
    offset_bits: u64,
    ty: BitfieldType,
    value: i64,
    overflow: Overflow,
) -> Result<BitfieldWrite, BitmapTooLarge> {
    grow_zeroed(buf, ty.end_len_bytes(offset_bits))?;
    let old = bitfield_get(buf, offset_bits, ty);
    let checked = check_overflow(ty, value, 0, overflow);
    Ok(finish_write(buf, offset_bits, ty, old, checked, old))
}

/// BITFIELD INCRBY: adds `incr` to the field (zero past the end), applies the
/// overflow policy, stores, and replies the new value.
pub fn bitfield_incrby(
    buf: &mut Vec<u8>,
    offset_bits: u64,
    ty: BitfieldType,
    incr: i64,
    overflow: Overflow,
) -> Result<BitfieldWrite, BitmapTooLarge> {
    grow_zeroed(buf, ty.end_len_bytes(offset_bits))?;
    let old = bitfield_get(buf, offset_bits, ty);
    let checked = check_overflow(ty, old, incr, overflow);
    let reply = checked.unwrap_or(0);
    Ok(finish_write(buf, offset_bits, ty, old, checked, reply))
}

/// Stores `new` (unless the write failed) and builds the outcome.
fn finish_write(
    buf: &mut [u8],
    offset_bits: u64,
    ty: BitfieldType,
    old: i64,
    new: Option<i64>,
    reply: i64,
) -> BitfieldWrite {
    let Some(new) = new else {
        return BitfieldWrite {
            reply: None,
            changed: false,
        };
    };
    write_field(buf, offset_bits, ty.width_bits, new as u64);
    BitfieldWrite {
        reply: Some(reply),
        changed: new != old,
    }
}

/// `value + incr` under the policy, `None` when it overflows with FAIL. A port of
/// Redis's `check{Signed,Unsigned}BitfieldOverflow`, with its wrap-around arithmetic,
/// so that out-of-range SET values behave as they do there.
fn check_overflow(ty: BitfieldType, value: i64, incr: i64, overflow: Overflow) -> Option<i64> {
    let direction = if ty.signed {
        signed_overflow(ty, value, incr)
    } else {
        unsigned_overflow(ty, value as u64, incr)
    };
    match (direction, overflow) {
        (Direction::None, _) => Some(value.wrapping_add(incr)),
        (_, Overflow::Fail) => None,
        (_, Overflow::Wrap) => Some(wrap(ty, value, incr)),
        (Direction::Up, Overflow::Sat) => Some(ty.max()),
        (Direction::Down, Overflow::Sat) => Some(if ty.signed { -ty.max() - 1 } else { 0 }),
    }
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Direction {
    None,
    Up,
    Down,
}

fn signed_overflow(ty: BitfieldType, value: i64, incr: i64) -> Direction {
    let max = ty.max();
    let min = -max - 1;
    let narrow = ty.width_bits != 64;
    // Redis computes these before knowing they are meaningful; they may wrap.
    let max_incr = (max as u64).wrapping_sub(value as u64) as i64;
    let min_incr = min.wrapping_sub(value);
    if value > max || (narrow && incr > max_incr) || (value >= 0 && incr > 0 && incr > max_incr) {
        Direction::Up
    } else if value < min
        || (narrow && incr < min_incr)
        || (value < 0 && incr < 0 && incr < min_incr)
    {
        Direction::Down
    } else {
        Direction::None
    }
}

fn unsigned_overflow(ty: BitfieldType, value: u64, incr: i64) -> Direction {
    let max = ty.max() as u64;
    let max_incr = max.wrapping_sub(value) as i64;
    let min_incr = value.wrapping_neg() as i64;
    if value > max || (incr > 0 && incr > max_incr) {
        Direction::Up
    } else if incr < 0 && incr < min_incr {
        Direction::Down
    } else {
        Direction::None
    }
}

/// Two's-complement wrap of `value + incr` into the type's width.
fn wrap(ty: BitfieldType, value: i64, incr: i64) -> i64 {
    let sum = (value as u64).wrapping_add(incr as u64) & ty.mask();
    if ty.signed {
        sign_extend(sum, ty.width_bits)
    } else {
        sum as i64
    }
}

fn sign_extend(raw: u64, width_bits: u32) -> i64 {
    let shift = 64 - width_bits;
    ((raw << shift) as i64) >> shift
}

/// The 9 bytes from `offset_bits / 8` as a big-endian window (zeros past the end): a
/// field of up to 64 bits at any bit alignment lies inside it.
fn read_window(bytes: &[u8], first_byte: u64) -> u128 {
    (0..9).fold(0u128, |window, i| {
        window << 8 | u128::from(byte_at(bytes, first_byte + i))
    })
}

/// Right shift that brings the field to the bottom of the 72-bit window.
fn window_shift(offset_bits: u64, width_bits: u32) -> u32 {
    72 - (offset_bits & 7) as u32 - width_bits
}

fn read_field(bytes: &[u8], offset_bits: u64, width_bits: u32) -> u64 {
    let window = read_window(bytes, offset_bits >> 3);
    (window >> window_shift(offset_bits, width_bits)) as u64 & (u64::MAX >> (64 - width_bits))
}

/// Writes the low `width_bits` of `value`; `bytes` must already cover the field.
fn write_field(bytes: &mut [u8], offset_bits: u64, width_bits: u32, value: u64) {
    let first = offset_bits >> 3;
    let shift = window_shift(offset_bits, width_bits);
    let mask = u128::from(u64::MAX >> (64 - width_bits)) << shift;
    let window = read_window(bytes, first) & !mask | (u128::from(value) << shift) & mask;
    let last = offset_bits.saturating_add(u64::from(width_bits) - 1) >> 3;
    for (k, index) in (first..=last).enumerate() {
        let slot = usize::try_from(index).ok().and_then(|i| bytes.get_mut(i));
        if let Some(slot) = slot {
            *slot = (window >> (8 * (8 - k))) as u8;
        }
    }
}

/// A minimal RESP client for the `#[ignore]`d differential tests of the `util` modules
/// against a real redis-server. Start one with
/// `redis-server --port 0 --unixsocket /tmp/u.sock --save ''` and run
/// `SHOAL_REDIS_ORACLE=/tmp/u.sock cargo test --lib util:: -- --ignored`.
/// Without the variable those tests print a note and pass.
#[cfg(test)]
pub(crate) mod oracle {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::os::unix::net::UnixStream;

    #[derive(Clone, Debug, PartialEq, Eq)]
    pub enum Resp {
        Simple(String),
        Error(String),
        Int(i64),
        Bulk(Option<Vec<u8>>),
        Array(Option<Vec<Resp>>),
    }

    pub struct Oracle {
        writer: UnixStream,
        reader: BufReader<UnixStream>,
    }

    /// Connects to `$SHOAL_REDIS_ORACLE`. These tests are `#[ignore]`d and run only when
    /// asked for (scripts/test does); then a missing oracle is a failure, not a skip.
    pub fn connect() -> Option<Oracle> {
        let path = std::env::var("SHOAL_REDIS_ORACLE")
            .expect("SHOAL_REDIS_ORACLE must name a redis-server unix socket");
        let writer = UnixStream::connect(&path).expect("connect to the oracle socket");
        let reader = BufReader::new(writer.try_clone().expect("clone socket"));
        Some(Oracle { writer, reader })
    }

    impl Oracle {
        pub fn call(&mut self, args: &[&[u8]]) -> Resp {
            let mut out = format!("*{}\r\n", args.len()).into_bytes();
            for arg in args {
                out.extend_from_slice(format!("${}\r\n", arg.len()).as_bytes());
                out.extend_from_slice(arg);
                out.extend_from_slice(b"\r\n");
            }
            self.writer.write_all(&out).expect("write to oracle");
            self.read()
        }

        fn read(&mut self) -> Resp {
            let mut line = Vec::new();
            self.reader.read_until(b'\n', &mut line).expect("read");
            line.truncate(line.len().saturating_sub(2));
            let rest = String::from_utf8_lossy(&line[1..]).into_owned();
            match line[0] {
                b'+' => Resp::Simple(rest),
                b'-' => Resp::Error(rest),
                b':' => Resp::Int(rest.parse().expect("integer")),
                b'$' => {
                    let Ok(len) = usize::try_from(rest.parse::<i64>().expect("len")) else {
                        return Resp::Bulk(None);
                    };
                    let mut body = vec![0u8; len + 2];
                    self.reader.read_exact(&mut body).expect("bulk");
                    body.truncate(len);
                    Resp::Bulk(Some(body))
                }
                b'*' => {
                    let Ok(count) = usize::try_from(rest.parse::<i64>().expect("count")) else {
                        return Resp::Array(None);
                    };
                    Resp::Array(Some((0..count).map(|_| self.read()).collect()))
                }
                other => panic!("unexpected RESP type {other}"),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::oracle::{self, Resp};
    use super::*;

    const MB_512: u64 = 512 * 1024 * 1024;

    // ---- tables from redis-server 7.0.15 ----------------------------------------------

    /// `SET k foobar` then `BITCOUNT k <start> <end> [BYTE|BIT]`.
    #[test]
    fn bitcount_matches_redis() {
        let table: &[(i64, i64, u64, u64)] = &[
            // (start, end, BYTE reply, BIT reply)
            (0, 0, 4, 0),
            (1, 1, 6, 1),
            (0, -1, 26, 26),
            (-2, -1, 7, 1),
            (-1, -2, 0, 0),
            (5, 1, 0, 0),
            (0, -100, 4, 0),
            (-100, -100, 4, 0),
            (-100, 0, 4, 0),
            (100, 200, 0, 0),
            (-100, -99, 4, 0),
            (0, -7, 4, 23),
            (i64::MIN, i64::MAX, 26, 26),
            (i64::MAX, i64::MIN, 0, 0),
        ];
        for &(start, end, bytes, bits) in table {
            assert_eq!(
                bitcount(b"foobar", start, end, BitUnit::Byte),
                bytes,
                "{start} {end}"
            );
            assert_eq!(
                bitcount(b"foobar", start, end, BitUnit::Bit),
                bits,
                "{start} {end} BIT"
            );
        }
        assert_eq!(popcount(b"foobar"), 26);
        // `SET e ""` then `BITCOUNT e 0 -1 [BIT]`.
        assert_eq!(bitcount(b"", 0, -1, BitUnit::Byte), 0);
        assert_eq!(bitcount(b"", 0, -1, BitUnit::Bit), 0);
    }

    /// `SET ff "\xff\xff\xff"`, `SET z "\x00\x00\x00"`, `SET m "\xff\xf0\x00"`, `SET e ""`
    /// then `BITPOS <key> <bit> [start [end [BIT]]]`.
    #[test]
    fn bitpos_matches_redis() {
        type Case = (
            &'static [u8],
            bool,
            Option<(i64, Option<i64>)>,
            BitUnit,
            i64,
        );
        use BitUnit::{Bit, Byte};
        let ff: &[u8] = b"\xff\xff\xff";
        let z: &[u8] = b"\x00\x00\x00";
        let m: &[u8] = b"\xff\xf0\x00";
        let table: &[Case] = &[
            (ff, false, None, Byte, 24),
            (ff, false, Some((2, None)), Byte, 24),
            (ff, false, Some((3, None)), Byte, -1),
            (ff, false, Some((-1, None)), Byte, 24),
            (ff, false, Some((100, None)), Byte, -1),
            (ff, false, Some((0, Some(-1))), Byte, -1),
            (ff, false, Some((0, Some(-100))), Byte, -1),
            (ff, false, Some((12, Some(13))), Bit, -1),
            (ff, true, None, Byte, 0),
            (ff, true, Some((1, None)), Byte, 8),
            (ff, true, Some((-1, None)), Byte, 16),
            (ff, true, Some((2, Some(1))), Byte, -1),
            (ff, true, Some((12, Some(13))), Bit, 12),
            (ff, true, Some((9, Some(14))), Bit, 9),
            (ff, true, Some((23, Some(23))), Bit, 23),
            (ff, true, Some((-5, Some(-1))), Bit, 19),
            (z, false, None, Byte, 0),
            (z, false, Some((1, None)), Byte, 8),
            (z, false, Some((-100, Some(-1))), Byte, 0),
            (z, false, Some((9, Some(14))), Bit, 9),
            (z, false, Some((-5, Some(-1))), Bit, 19),
            (z, true, None, Byte, -1),
            (z, true, Some((0, Some(-1))), Bit, -1),
            (m, false, None, Byte, 12),
            (m, false, Some((1, None)), Byte, 12),
            (m, false, Some((-1, None)), Byte, 16),
            (m, false, Some((0, Some(-100))), Byte, -1),
            (m, false, Some((-100, Some(-1))), Byte, 12),
            (m, false, Some((9, Some(14))), Bit, 12),
            (m, false, Some((23, Some(23))), Bit, 23),
            (m, true, Some((-1, None)), Byte, -1),
            (m, true, Some((1, Some(2))), Byte, 8),
            (m, true, Some((12, Some(13))), Bit, -1),
            (m, true, Some((9, Some(14))), Bit, 9),
            (m, true, Some((-5, Some(-1))), Bit, -1),
            (b"", false, None, Byte, -1),
            (b"", true, None, Byte, -1),
            (b"", false, Some((0, Some(-1))), Bit, -1),
        ];
        for &(bytes, bit, range, unit, expected) in table {
            let (start, end) = range.unwrap_or((0, None));
            assert_eq!(
                bitpos(bytes, bit, start, end, unit),
                expected,
                "{:?} {bit} {range:?} {unit:?}",
                bytes.escape_ascii().to_string()
            );
        }
    }

    /// `BITPOS k 2` / `BITPOS k x` / `BITPOS k 1`.
    #[test]
    fn bitpos_bit_argument() {
        assert_eq!(
            parse_bitpos_bit(b"2"),
            Err("ERR The bit argument must be 1 or 0.")
        );
        assert_eq!(parse_bitpos_bit(b"x"), Err(errors::NOT_INTEGER));
        assert_eq!(parse_bitpos_bit(b"1"), Ok(true));
        assert_eq!(parse_bitpos_bit(b"0"), Ok(false));
    }

    /// `BITCOUNT k 0 1 bit\0x` and `BITPOS k 1 0 1 BYTE\0` are accepted (strcasecmp).
    #[test]
    fn option_words_compare_like_strcasecmp() {
        assert_eq!(BitUnit::parse(b"bit\0x"), Some(BitUnit::Bit));
        assert_eq!(BitUnit::parse(b"BYTE\0"), Some(BitUnit::Byte));
        assert_eq!(BitUnit::parse(b"bits"), None);
        assert_eq!(BitOp::parse(b"and\0z"), Some(BitOp::And));
        assert_eq!(BitOp::parse(b"xOr"), Some(BitOp::Xor));
        assert_eq!(BitOp::parse(b"nand"), None);
        assert_eq!(Overflow::parse(b"sat\0"), Some(Overflow::Sat));
        assert_eq!(Overflow::parse(b"bogus"), None);
    }

    /// `SET k foobar` then `BITOP AND d k nokey` ("\0" * 6) and friends.
    #[test]
    fn bitop_matches_redis() {
        assert_eq!(bitop(BitOp::And, &[b"foobar", b""]), vec![0u8; 6]);
        assert_eq!(bitop(BitOp::Or, &[b"", b""]), b"");
        assert_eq!(bitop(BitOp::Not, &[b""]), b"");
        // `SET a "\x0f\xf0"`, `SET b "\xff"`: AND "\x0f\x00", OR "\xff\xf0",
        // XOR "\xf0\xf0", NOT a "\xf0\x0f".
        let (a, b): (&[u8], &[u8]) = (b"\x0f\xf0", b"\xff");
        assert_eq!(bitop(BitOp::And, &[a, b]), b"\x0f\x00");
        assert_eq!(bitop(BitOp::Or, &[a, b]), b"\xff\xf0");
        assert_eq!(bitop(BitOp::Xor, &[a, b]), b"\xf0\xf0");
        assert_eq!(bitop(BitOp::Not, &[a]), b"\xf0\x0f");
    }

    /// `SETBIT s <offset> <value>`, `GETBIT s <offset>` and the error replies.
    #[test]
    fn offsets_and_bit_values_match_redis() {
        assert_eq!(parse_bit_offset(b"7", None, MB_512), Some(7));
        assert_eq!(
            parse_bit_offset(b"4294967295", None, MB_512),
            Some(4294967295)
        );
        assert_eq!(parse_bit_offset(b"4294967296", None, MB_512), None);
        assert_eq!(parse_bit_offset(b"-1", None, MB_512), None);
        assert_eq!(parse_bit_offset(b"#1", None, MB_512), None);
        assert_eq!(parse_bit_offset(b"1.0", None, MB_512), None);
        assert_eq!(parse_bit_offset(b"+1", None, MB_512), None);
        // With `CONFIG SET proto-max-bulk-len 1mb`: SETBIT s 8388607 ok, 8388608 error.
        assert_eq!(parse_bit_offset(b"8388607", None, 1 << 20), Some(8388607));
        assert_eq!(parse_bit_offset(b"8388608", None, 1 << 20), None);
        // BITFIELD b GET <type> <offset>.
        assert_eq!(parse_bit_offset(b"#1", Some(8), MB_512), Some(8));
        assert_eq!(parse_bit_offset(b"#-1", Some(8), MB_512), None);
        assert_eq!(parse_bit_offset(b"#", Some(8), MB_512), None);
        assert_eq!(parse_bit_offset(b"##1", Some(8), MB_512), None);
        assert_eq!(parse_bit_offset(b" 1", Some(8), MB_512), None);
        assert_eq!(
            parse_bit_offset(b"#536870911", Some(8), MB_512),
            Some(4294967288)
        );
        assert_eq!(parse_bit_offset(b"#536870912", Some(8), MB_512), None);
        assert_eq!(
            parse_bit_offset(b"#67108863", Some(64), MB_512),
            Some(4294967232)
        );
        assert_eq!(parse_bit_offset(b"#67108864", Some(64), MB_512), None);
        // Redis multiplies with wrap-around: 2^60 * 8 is negative, 2^61 * 8 is 0.
        assert_eq!(
            parse_bit_offset(b"#1152921504606846976", Some(8), MB_512),
            None
        );
        assert_eq!(
            parse_bit_offset(b"#2305843009213693952", Some(8), MB_512),
            Some(0)
        );
        assert_eq!(
            parse_bit_offset(b"#288230376151711744", Some(64), MB_512),
            Some(0)
        );
        assert_eq!(check_bit_offset(-1, MB_512), None);
        assert_eq!(check_bit_offset(i64::MAX, u64::MAX), Some(i64::MAX as u64));

        for (arg, expected) in [
            (&b"1"[..], Some(true)),
            (b"0", Some(false)),
            (b"2", None),
            (b"-1", None),
            (b"x", None),
            (b"", None),
            (b"01", None),
        ] {
            assert_eq!(parse_bit_value(arg), expected, "{arg:?}");
        }

        // SETBIT s 7 1 -> 0, SETBIT s 0 1 -> 0, SETBIT s 7 0 -> 1, SETBIT s 100 1 -> 0
        // (STRLEN 13), GETBIT s 100 -> 1, GETBIT s 4294967295 -> 0.
        let mut s = Vec::new();
        assert_eq!(setbit(&mut s, 7, true), Ok(false));
        assert_eq!(setbit(&mut s, 0, true), Ok(false));
        assert_eq!(setbit(&mut s, 7, false), Ok(true));
        assert_eq!(s, b"\x80");
        assert_eq!(setbit(&mut s, 100, true), Ok(false));
        assert_eq!(s.len(), 13);
        assert!(getbit(&s, 100));
        assert!(!getbit(&s, 4294967295));
        assert!(!getbit(&s, u64::MAX));
        assert_eq!(setbit(&mut s, u64::MAX, true), Err(BitmapTooLarge));
    }

    /// `BITFIELD b GET <type> 0`: which types parse.
    #[test]
    fn bitfield_types_match_redis() {
        for (arg, expected) in [
            (&b"u8"[..], Some((false, 8))),
            (b"i64", Some((true, 64))),
            (b"u63", Some((false, 63))),
            (b"i1", Some((true, 1))),
            (b"u8\0x", Some((false, 8))),
            (b"u64", None),
            (b"i65", None),
            (b"i0", None),
            (b"I8", None),
            (b"u08", None),
            (b"u+8", None),
            (b"i", None),
            (b"", None),
            (b"u-1", None),
        ] {
            let got = BitfieldType::parse(arg).map(|t| (t.is_signed(), t.width_bits()));
            assert_eq!(got, expected, "{arg:?}");
        }
    }

    fn ty(text: &str) -> BitfieldType {
        BitfieldType::parse(text.as_bytes()).unwrap()
    }

    /// For each policy: `DEL b`, `BITFIELD b OVERFLOW <ow> SET <type> 0 <value>`,
    /// `BITFIELD b OVERFLOW <ow> INCRBY <type> 0 <incr>` (reply), `BITFIELD b GET <type> 0`.
    #[test]
    fn bitfield_incrby_overflow_matches_redis() {
        const MAX: i64 = i64::MAX;
        const MIN: i64 = i64::MIN;
        const P62: i64 = 1 << 62;
        // (type, value, incr, WRAP reply, SAT reply, FAIL reply)
        type Case = (&'static str, i64, i64, i64, i64, Option<i64>);
        let table: &[Case] = &[
            ("u8", 250, 10, 4, 255, None),
            ("u8", 5, -10, 251, 0, None),
            ("i8", 120, 10, -126, 127, None),
            ("i8", -120, -10, 126, -128, None),
            ("u8", 0, -1, 255, 0, None),
            ("i64", MAX, 1, MIN, MAX, None),
            ("i64", MIN, -1, MAX, MIN, None),
            ("u63", MAX, 1, 0, MAX, None),
            ("u63", 0, -1, MAX, 0, None),
            ("i1", 0, 1, -1, 0, None),
            ("i1", -1, -1, 0, -1, None),
            ("u1", 1, 1, 0, 1, None),
            ("u2", 0, -5, 3, 0, None),
            (
                "i64",
                5,
                MIN,
                -9223372036854775803,
                -9223372036854775803,
                Some(-9223372036854775803),
            ),
            (
                "i64",
                -5,
                MAX,
                9223372036854775802,
                9223372036854775802,
                Some(9223372036854775802),
            ),
            ("i64", P62, P62, MIN, MAX, None),
            ("u63", P62, P62, 0, MAX, None),
            ("u63", P62, MIN, P62, 0, None),
            ("i8", 0, 300, 44, 127, None),
            ("i8", 0, -300, -44, -128, None),
            ("u8", 0, MIN, 0, 0, None),
            ("u8", 10, MAX, 9, 255, None),
        ];
        for &(t, value, incr, wrap, sat, fail) in table {
            for (policy, expected) in [
                (Overflow::Wrap, Some(wrap)),
                (Overflow::Sat, Some(sat)),
                (Overflow::Fail, fail),
            ] {
                let mut b = Vec::new();
                bitfield_set(&mut b, 0, ty(t), value, Overflow::Wrap).unwrap();
                let write = bitfield_incrby(&mut b, 0, ty(t), incr, policy).unwrap();
                let stored = expected.unwrap_or(value);
                let context = format!("{t} {value} {incr} {policy:?}");
                assert_eq!(write.reply, expected, "{context}");
                assert_eq!(
                    write.changed,
                    expected.is_some_and(|v| v != value),
                    "{context}"
                );
                assert_eq!(bitfield_get(&b, 0, ty(t)), stored, "{context}");
            }
        }
    }

    /// `DEL b`, `BITFIELD b SET u8 0 0`, `BITFIELD b OVERFLOW <ow> SET <type> 0 <value>`
    /// (reply [0] or [nil]), `BITFIELD b GET <type> 0`, `STRLEN b`.
    #[test]
    fn bitfield_set_out_of_range_matches_redis() {
        const MIN: i64 = i64::MIN;
        // (type, value, stored with WRAP, stored with SAT, strlen)
        let table: &[(&str, i64, i64, i64, usize)] = &[
            ("u8", -1, 255, 255, 1),
            ("u8", 256, 0, 255, 1),
            ("u8", -200, 56, 255, 1),
            ("i8", 200, -56, 127, 1),
            ("i8", -200, 56, -128, 1),
            ("u63", -1, i64::MAX, i64::MAX, 8),
            ("i4", -9, 7, -8, 1),
            ("i4", 8, -8, 7, 1),
            ("u1", -2, 0, 1, 1),
            ("u2", MIN, 0, 3, 1),
            ("i63", MIN, 0, 4611686018427387903, 8),
            ("i8", i64::MAX, -1, 127, 1),
        ];
        for &(t, value, wrap, sat, len) in table {
            for (policy, stored) in [
                (Overflow::Wrap, wrap),
                (Overflow::Sat, sat),
                (Overflow::Fail, 0),
            ] {
                let mut b = vec![0u8];
                let write = bitfield_set(&mut b, 0, ty(t), value, policy).unwrap();
                let context = format!("{t} {value} {policy:?}");
                let reply = (policy != Overflow::Fail).then_some(0);
                assert_eq!(write.reply, reply, "{context}");
                assert_eq!(bitfield_get(&b, 0, ty(t)), stored, "{context}");
                assert_eq!(b.len(), len, "{context}");
            }
        }
    }

    /// `BITFIELD b SET u8 0 255 GET i8 0 INCRBY u8 4 1 GET u16 0 GET u16 1 GET i64 3` on
    /// a new key replies [0, -1, 241, 65296, 65056, -540431955284459520] and leaves
    /// "\xff\x10"; and a FAILed write still grows the key:
    /// `BITFIELD b OVERFLOW FAIL INCRBY u8 100 300` -> [nil], STRLEN 14.
    #[test]
    fn bitfield_sequences_match_redis() {
        let mut b = Vec::new();
        assert_eq!(
            bitfield_set(&mut b, 0, ty("u8"), 255, Overflow::Wrap)
                .unwrap()
                .reply,
            Some(0)
        );
        assert_eq!(bitfield_get(&b, 0, ty("i8")), -1);
        let write = bitfield_incrby(&mut b, 4, ty("u8"), 1, Overflow::Wrap).unwrap();
        assert_eq!(write.reply, Some(241));
        assert_eq!(b, b"\xff\x10");
        assert_eq!(bitfield_get(&b, 0, ty("u16")), 65296);
        assert_eq!(bitfield_get(&b, 1, ty("u16")), 65056);
        assert_eq!(bitfield_get(&b, 3, ty("i64")), -540431955284459520);

        let mut b = Vec::new();
        let write = bitfield_incrby(&mut b, 100, ty("u8"), 300, Overflow::Fail).unwrap();
        assert_eq!(write.reply, None);
        assert_eq!(b.len(), 14);
        assert_eq!(bitfield_get(&[], 100, ty("u8")), 0);
        assert_eq!(bitfield_get(&[], u64::MAX, ty("i64")), 0);
        assert_eq!(ty("u8").end_len_bytes(100), 14);
        assert_eq!(ty("i64").end_len_bytes(0), 8);
        assert_eq!(ty("i64").end_len_bytes(1), 9);
        assert!(bitfield_set(&mut b, u64::MAX - 3, ty("i64"), 1, Overflow::Wrap).is_err());
    }

    // ---- seeded comparison with a naive bit-by-bit model ------------------------------

    /// splitmix64: small, seedable, good enough for test inputs.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        fn bytes(&mut self, len_max: u64) -> Vec<u8> {
            let len = self.below(len_max + 1);
            let style = self.below(4);
            (0..len)
                .map(|_| match style {
                    0 => self.next() as u8,
                    1 => [0x00, 0xff][self.below(2) as usize],
                    2 => [0x00, 0xff, 0x0f, 0x80, 0x01][self.below(5) as usize],
                    _ => 1u8 << self.below(8),
                })
                .collect()
        }

        fn index(&mut self, len_bits: i64) -> i64 {
            match self.below(10) {
                0 => [i64::MIN, i64::MAX, i64::MIN + 1, -1, 0][self.below(5) as usize],
                1..=3 => self.below(41) as i64 - 20,
                _ => self.below(2 * len_bits as u64 + 20) as i64 - len_bits - 10,
            }
        }

        fn bitfield_type(&mut self) -> BitfieldType {
            let signed = self.below(2) == 0;
            let width = 1 + self.below(if signed { 64 } else { 63 });
            ty(&format!("{}{width}", if signed { 'i' } else { 'u' }))
        }

        fn integer(&mut self) -> i64 {
            match self.below(5) {
                0 => [i64::MIN, i64::MAX, -1, 0, 1, 1 << 62][self.below(6) as usize],
                1 => self.below(600) as i64 - 300,
                2 => (self.next() as i64) >> self.below(64),
                _ => self.next() as i64,
            }
        }
    }

    /// The test seed: `$SHOAL_TEST_SEED` or a fixed default, printed so a failure can be
    /// replayed.
    fn seed() -> u64 {
        let seed = std::env::var("SHOAL_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x5EED_0B17);
        eprintln!("seed {seed} (set SHOAL_TEST_SEED to replay)");
        seed
    }

    fn model_bit(bytes: &[u8], index: i128) -> bool {
        let byte = bytes.get((index / 8) as usize).copied().unwrap_or(0);
        byte >> (7 - index % 8) & 1 == 1
    }

    fn model_set_bit(bytes: &mut Vec<u8>, index: i128, on: bool) {
        let byte = (index / 8) as usize;
        if bytes.len() <= byte {
            bytes.resize(byte + 1, 0);
        }
        let mask = 0x80u8 >> (index % 8);
        bytes[byte] = if on {
            bytes[byte] | mask
        } else {
            bytes[byte] & !mask
        };
    }

    /// Inclusive bit range of BITCOUNT/BITPOS indexes, per Redis's documented rules.
    fn model_range(len: usize, start: i64, end: i64, unit: BitUnit) -> Option<(i128, i128)> {
        let scale = if unit == BitUnit::Bit { 1 } else { 8 };
        let total = len as i128 * 8 / scale;
        let resolve = |i: i64| if i < 0 { i as i128 + total } else { i as i128 };
        let start = resolve(start).max(0);
        let end = resolve(end).max(0).min(total - 1);
        (start <= end).then(|| (start * scale, end * scale + scale - 1))
    }

    fn model_bitcount(bytes: &[u8], start: i64, end: i64, unit: BitUnit) -> u64 {
        if start < 0 && end < 0 && start > end {
            return 0;
        }
        let Some((first, last)) = model_range(bytes.len(), start, end, unit) else {
            return 0;
        };
        (first..=last).filter(|&i| model_bit(bytes, i)).count() as u64
    }

    fn model_bitpos(bytes: &[u8], bit: bool, start: i64, end: Option<i64>, unit: BitUnit) -> i64 {
        let Some((first, last)) = model_range(bytes.len(), start, end.unwrap_or(i64::MAX), unit)
        else {
            return -1;
        };
        match (first..=last).find(|&i| model_bit(bytes, i) == bit) {
            Some(i) => i as i64,
            None if !bit && end.is_none() => bytes.len() as i64 * 8,
            None => -1,
        }
    }

    fn model_get(bytes: &[u8], offset: u64, t: BitfieldType) -> i128 {
        let width = t.width_bits() as i128;
        let raw = (0..width).fold(0i128, |v, i| {
            v << 1 | model_bit(bytes, offset as i128 + i) as i128
        });
        if t.is_signed() && raw >> (width - 1) == 1 {
            raw - (1 << width)
        } else {
            raw
        }
    }

    /// Redis's overflow rules stated arithmetically, including its two quirks for SET
    /// (see `bitfield_set`): returns the stored value or `None` for FAIL.
    fn model_overflow(
        t: BitfieldType,
        value: i64,
        incr: i64,
        is_set: bool,
        policy: Overflow,
    ) -> Option<i128> {
        let width = t.width_bits() as i128;
        let (min, max) = if t.is_signed() {
            (-(1i128 << (width - 1)), (1i128 << (width - 1)) - 1)
        } else {
            (0, (1i128 << width) - 1)
        };
        let base = if !t.is_signed() && value < 0 {
            value as i128 + (1i128 << 64)
        } else {
            value as i128
        };
        let sum = base + incr as i128;
        let quirk_up =
            is_set && t.is_signed() && width < 64 && max - value as i128 > i64::MAX as i128;
        let up = sum > max || quirk_up;
        let down = !up && sum < min;
        if !up && !down {
            return Some(sum);
        }
        match policy {
            Overflow::Fail => None,
            Overflow::Sat => Some(if up { max } else { min }),
            Overflow::Wrap => {
                let wrapped = sum.rem_euclid(1i128 << width);
                Some(if wrapped > max {
                    wrapped - (1i128 << width)
                } else {
                    wrapped
                })
            }
        }
    }

    fn model_write(bytes: &mut Vec<u8>, offset: u64, t: BitfieldType, value: i128) {
        let width = t.width_bits() as i128;
        for i in 0..width {
            model_set_bit(bytes, offset as i128 + i, value >> (width - 1 - i) & 1 == 1);
        }
    }

    #[test]
    fn bitcount_and_bitpos_match_naive_model() {
        let seed = seed();
        let mut rng = Rng(seed);
        for round in 0..20_000 {
            let bytes = rng.bytes(40);
            let len_bits = bytes.len() as i64 * 8;
            let (start, end) = (rng.index(len_bits), rng.index(len_bits));
            let unit = if rng.below(2) == 0 {
                BitUnit::Byte
            } else {
                BitUnit::Bit
            };
            let context = format!("seed {seed} round {round}: {bytes:?} {start} {end} {unit:?}");
            assert_eq!(
                bitcount(&bytes, start, end, unit),
                model_bitcount(&bytes, start, end, unit),
                "bitcount {context}"
            );
            let bit = rng.below(2) == 0;
            let end = (rng.below(3) != 0).then_some(end);
            assert_eq!(
                bitpos(&bytes, bit, start, end, unit),
                model_bitpos(&bytes, bit, start, end, unit),
                "bitpos {bit} {end:?} {context}"
            );
        }
    }

    #[test]
    fn bitfield_matches_naive_model() {
        let seed = seed();
        let mut rng = Rng(seed);
        for round in 0..500 {
            let mut bytes = rng.bytes(12);
            let mut model = bytes.clone();
            for step in 0..40 {
                let t = rng.bitfield_type();
                let offset = rng.below(160);
                let policy = [Overflow::Wrap, Overflow::Sat, Overflow::Fail][rng.below(3) as usize];
                let value = rng.integer();
                let context = format!(
                    "seed {seed} round {round} step {step}: {t:?} {offset} {value} {policy:?}"
                );
                let old = model_get(&model, offset, t);
                let (write, new, reply) = match rng.below(3) {
                    0 => {
                        assert_eq!(
                            bitfield_get(&bytes, offset, t) as i128,
                            old,
                            "get {context}"
                        );
                        continue;
                    }
                    1 => {
                        let new = model_overflow(t, value, 0, true, policy);
                        (
                            bitfield_set(&mut bytes, offset, t, value, policy).unwrap(),
                            new,
                            new.map(|_| old),
                        )
                    }
                    _ => {
                        let new = model_overflow(t, old as i64, value, false, policy);
                        (
                            bitfield_incrby(&mut bytes, offset, t, value, policy).unwrap(),
                            new,
                            new,
                        )
                    }
                };
                let end = t.end_len_bytes(offset) as usize;
                if model.len() < end {
                    model.resize(end, 0);
                }
                if let Some(new) = new {
                    model_write(&mut model, offset, t, new);
                }
                assert_eq!(write.reply.map(i128::from), reply, "reply {context}");
                assert_eq!(
                    write.changed,
                    new.is_some_and(|n| n != old),
                    "changed {context}"
                );
                assert_eq!(bytes, model, "bytes {context}");
            }
        }
    }

    #[test]
    fn bitop_and_setbit_match_naive_model() {
        let seed = seed();
        let mut rng = Rng(seed);
        for round in 0..2_000 {
            let sources: Vec<Vec<u8>> = (0..1 + rng.below(4)).map(|_| rng.bytes(20)).collect();
            let views: Vec<&[u8]> = sources.iter().map(Vec::as_slice).collect();
            let len = views.iter().map(|s| s.len()).max().unwrap_or(0);
            let at = |s: &[u8], i: usize| s.get(i).copied().unwrap_or(0);
            for op in [BitOp::And, BitOp::Or, BitOp::Xor] {
                let expected: Vec<u8> = (0..len)
                    .map(|i| {
                        let column = views.iter().map(|s| at(s, i));
                        match op {
                            BitOp::And => column.fold(0xff, |a, b| a & b),
                            BitOp::Or => column.fold(0, |a, b| a | b),
                            _ => column.fold(0, |a, b| a ^ b),
                        }
                    })
                    .collect();
                assert_eq!(
                    bitop(op, &views),
                    expected,
                    "seed {seed} round {round} {op:?}"
                );
            }
            let mut bytes = sources[0].clone();
            let mut model = bytes.clone();
            let offset = rng.below(200);
            let on = rng.below(2) == 0;
            let old = model_bit(&model, offset as i128);
            model_set_bit(&mut model, offset as i128, on);
            assert_eq!(
                setbit(&mut bytes, offset, on),
                Ok(old),
                "seed {seed} round {round}"
            );
            assert_eq!(bytes, model, "seed {seed} round {round}");
            assert_eq!(getbit(&bytes, offset), on);
        }
    }

    // ---- differential tests against a live redis-server (ignored by default) ----------

    fn int(reply: &Resp) -> i64 {
        match reply {
            Resp::Int(v) => *v,
            other => panic!("expected an integer, got {other:?}"),
        }
    }

    #[test]
    #[ignore = "needs a redis-server: set SHOAL_REDIS_ORACLE (scripts/test does)"]
    fn bitcount_and_bitpos_match_redis_server() {
        let Some(mut redis) = oracle::connect() else {
            return;
        };
        let seed = seed();
        let mut rng = Rng(seed);
        for round in 0..5_000 {
            let bytes = rng.bytes(6);
            redis.call(&[b"SET", b"shoal:bits", &bytes]);
            let len_bits = bytes.len() as i64 * 8;
            let (start, end) = (rng.index(len_bits), rng.index(len_bits));
            let unit = if rng.below(2) == 0 {
                BitUnit::Byte
            } else {
                BitUnit::Bit
            };
            let unit_arg: &[u8] = if unit == BitUnit::Bit {
                b"BIT"
            } else {
                b"BYTE"
            };
            let (s, e) = (start.to_string(), end.to_string());
            let (s, e) = (s.as_bytes(), e.as_bytes());
            let context = format!("seed {seed} round {round}: {bytes:?} {start} {end} {unit:?}");
            let count = redis.call(&[b"BITCOUNT", b"shoal:bits", s, e, unit_arg]);
            assert_eq!(
                bitcount(&bytes, start, end, unit) as i64,
                int(&count),
                "bitcount {context}"
            );

            let bit = rng.below(2) == 0;
            let bit_arg: &[u8] = if bit { b"1" } else { b"0" };
            let (reply, got) = match rng.below(3) {
                0 => (
                    redis.call(&[b"BITPOS", b"shoal:bits", bit_arg, s]),
                    bitpos(&bytes, bit, start, None, BitUnit::Byte),
                ),
                1 => (
                    redis.call(&[b"BITPOS", b"shoal:bits", bit_arg, s, e]),
                    bitpos(&bytes, bit, start, Some(end), BitUnit::Byte),
                ),
                _ => (
                    redis.call(&[b"BITPOS", b"shoal:bits", bit_arg, s, e, unit_arg]),
                    bitpos(&bytes, bit, start, Some(end), unit),
                ),
            };
            assert_eq!(got, int(&reply), "bitpos {bit} {context}");
        }
    }

    #[test]
    #[ignore = "needs a redis-server: set SHOAL_REDIS_ORACLE (scripts/test does)"]
    fn bitfield_matches_redis_server() {
        let Some(mut redis) = oracle::connect() else {
            return;
        };
        let seed = seed();
        let mut rng = Rng(seed);
        for round in 0..300 {
            let mut bytes = rng.bytes(10);
            redis.call(&[b"SET", b"shoal:bf", &bytes]);
            for step in 0..30 {
                let t = rng.bitfield_type();
                let type_arg = format!(
                    "{}{}",
                    if t.is_signed() { 'i' } else { 'u' },
                    t.width_bits()
                );
                let offset = rng.below(120);
                let policy = [Overflow::Wrap, Overflow::Sat, Overflow::Fail][rng.below(3) as usize];
                let policy_arg = format!("{policy:?}").to_uppercase();
                let value = rng.integer();
                let (offset_arg, value_arg) = (offset.to_string(), value.to_string());
                let (op, got): (&[u8], Option<i64>) = match rng.below(3) {
                    0 => (b"GET", Some(bitfield_get(&bytes, offset, t))),
                    1 => (
                        b"SET",
                        bitfield_set(&mut bytes, offset, t, value, policy)
                            .unwrap()
                            .reply,
                    ),
                    _ => (
                        b"INCRBY",
                        bitfield_incrby(&mut bytes, offset, t, value, policy)
                            .unwrap()
                            .reply,
                    ),
                };
                let mut args: Vec<&[u8]> =
                    vec![b"BITFIELD", b"shoal:bf", b"OVERFLOW", policy_arg.as_bytes()];
                args.extend_from_slice(&[op, type_arg.as_bytes(), offset_arg.as_bytes()]);
                if op != b"GET" {
                    args.push(value_arg.as_bytes());
                }
                let context = format!("seed {seed} round {round} step {step}: {args:?}");
                let expected = match redis.call(&args) {
                    Resp::Array(Some(items)) => match &items[0] {
                        Resp::Int(v) => Some(*v),
                        Resp::Bulk(None) => None,
                        other => panic!("{other:?} {context}"),
                    },
                    other => panic!("{other:?} {context}"),
                };
                assert_eq!(got, expected, "reply {context}");
                let stored = redis.call(&[b"GET", b"shoal:bf"]);
                assert_eq!(Resp::Bulk(Some(bytes.clone())), stored, "bytes {context}");
            }
        }
    }
}
