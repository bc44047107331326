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
    if super::num::negative_ends_cross(start, end) {
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

#[cfg(test)]
#[path = "bits_tests.rs"]
mod tests;
