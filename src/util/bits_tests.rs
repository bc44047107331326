//! Unit tests of the bit primitives: table tests with values taken from redis-server, a
//! seeded model test, and comparisons with a live redis-server (scripts/test runs them).

use super::*;
use crate::util::oracle::{self, Resp};

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
    let Some((first, last)) = model_range(bytes.len(), start, end.unwrap_or(i64::MAX), unit) else {
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
    let quirk_up = is_set && t.is_signed() && width < 64 && max - value as i128 > i64::MAX as i128;
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
            let context =
                format!("seed {seed} round {round} step {step}: {t:?} {offset} {value} {policy:?}");
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
