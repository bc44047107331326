//! Number parsing and formatting with Redis 7.0's exact rules.
//!
//! Integers follow `string2ll` (strict decimal, no spaces, no '+', no leading zeros),
//! implemented here in Rust. Floats are different: Redis parses them with the C
//! library's `strtod`/`strtold`, does INCRBYFLOAT arithmetic in C `long double` (80-bit
//! x87 on x86-64) and prints with `snprintf`, and a Rust re-implementation would drift
//! by an ulp or in corner cases (hex floats, "infinity", ERANGE on underflow,
//! `%.17Lf` rounding). So the float functions call the same C routines through a small
//! shim (`csrc/num.c`, built by `build.rs`); all `unsafe` code is in the private `ffi`
//! module at the bottom of this file. Results therefore match Redis running on the
//! same platform (x86-64 Linux is what the tests pin).

use crate::errors;

/// Redis rejects integer strings of `LONG_STR_SIZE` (21) bytes or more.
const INTEGER_TEXT_LEN_MAX: usize = 20;

/// Redis formats an INCRBYFLOAT result into `MAX_LONG_DOUBLE_CHARS` (5 KiB) bytes; the
/// longest possible text ("-" then 4933 digits, '.', 17 digits) fits.
const LONG_DOUBLE_TEXT_CAP: usize = 5 * 1024;

/// `%.17g` of a double is at most 24 bytes ("-1.2345678901234567e-308").
const DOUBLE_TEXT_CAP: usize = 32;

/// Inputs shorter than this are NUL-terminated on the stack before calling `strtod`.
const STACK_C_STRING_LEN: usize = 64;

/// `ERR hash value is not a float` (HINCRBYFLOAT on a field that is not a float).
pub const HASH_VALUE_NOT_FLOAT: &str = "ERR hash value is not a float";

/// `ERR value is NaN or Infinity` (HINCRBYFLOAT with an infinite increment).
pub const INCREMENT_NAN_OR_INFINITY: &str = "ERR value is NaN or Infinity";

/// Redis `string2ll`: the whole of `bytes` is an optional '-' then decimal digits, with
/// no leading zero (except the string "0"), no '+', no spaces, at most 20 bytes, and in
/// i64 range. "-0" is rejected. `None` maps to `errors::NOT_INTEGER` in most commands.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    if bytes.is_empty() || bytes.len() > INTEGER_TEXT_LEN_MAX {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    match bytes.split_first() {
        Some((b'-', digits)) => {
            let magnitude = parse_magnitude(digits)?;
            // i64::MIN's magnitude is one more than i64::MAX.
            if magnitude > i64::MAX as u64 + 1 {
                return None;
            }
            Some((magnitude as i64).wrapping_neg())
        }
        _ => i64::try_from(parse_magnitude(bytes)?).ok(),
    }
}

/// C's `strtol(s, NULL, 10)`, which Redis's `atoi` calls reach: leading white space, an
/// optional sign, then the digits up to the first other byte (none: 0), saturating at
/// the ends of i64. C's `atoi` is this cast to `int` (`as i32`, which wraps).
pub fn strtol(bytes: &[u8]) -> i64 {
    let is_c_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r');
    let rest = &bytes[bytes.iter().take_while(|b| is_c_space(b)).count()..];
    let (negative, digits) = match rest.split_first() {
        Some((b'-', digits)) => (true, digits),
        Some((b'+', digits)) => (false, digits),
        _ => (false, rest),
    };
    digits
        .iter()
        .take_while(|b| b.is_ascii_digit())
        .fold(0i64, |acc, d| {
            let digit = (d - b'0') as i64;
            if negative {
                acc.saturating_mul(10).saturating_sub(digit)
            } else {
                acc.saturating_mul(10).saturating_add(digit)
            }
        })
}

/// Redis's early answer for a byte range given by two negative ends that cross (GETRANGE,
/// BITCOUNT): the range is empty before any clamping to the string, and before BITCOUNT
/// reads its unit.
pub fn negative_ends_cross(start: i64, end: i64) -> bool {
    start < 0 && end < 0 && start > end
}

/// Like [`parse_i64`] without a sign: decimal digits only, no leading zero (except
/// "0"), at most 20 bytes, at most `u64::MAX`.
pub fn parse_u64(bytes: &[u8]) -> Option<u64> {
    if bytes.is_empty() || bytes.len() > INTEGER_TEXT_LEN_MAX {
        return None;
    }
    if bytes == b"0" {
        return Some(0);
    }
    parse_magnitude(bytes)
}

/// Non-empty decimal digits starting with 1-9, checked for u64 overflow.
fn parse_magnitude(digits: &[u8]) -> Option<u64> {
    let (&first, rest) = digits.split_first()?;
    if !(b'1'..=b'9').contains(&first) {
        return None;
    }
    let mut value = u64::from(first - b'0');
    for &digit in rest {
        if !digit.is_ascii_digit() {
            return None;
        }
        value = value
            .checked_mul(10)?
            .checked_add(u64::from(digit - b'0'))?;
    }
    Some(value)
}

/// Redis `string2d`, i.e. what `getDoubleFromObject` accepts (ZADD/ZINCRBY scores,
/// GEO coordinates, float options): `strtod` must consume every byte (an embedded NUL
/// fails), the first byte must not be whitespace, NaN is rejected, overflow to ±inf and
/// underflow to zero are rejected (a subnormal is accepted). "inf", "-inf", "infinity",
/// hex floats ("0x1p3") and "+1" are accepted. `None` maps to `errors::NOT_FLOAT`.
pub fn parse_f64(bytes: &[u8]) -> Option<f64> {
    if bytes.is_empty() {
        return None;
    }
    with_c_string(bytes, |c_string| {
        ffi::parse_double_strict(c_string, bytes.len())
    })
}

/// The bare `strtod` check Redis uses for sorted-set score ranges (`zslParseRange`,
/// after the caller strips an optional '(' ): everything up to the first NUL byte must
/// be consumed and the value must not be NaN. Unlike [`parse_f64`] this accepts leading
/// whitespace, the empty string (as 0) and out-of-range values (as ±inf or 0).
pub fn parse_f64_lenient(bytes: &[u8]) -> Option<f64> {
    with_c_string(bytes, ffi::parse_double_lenient)
}

/// How Redis `string2ld` (INCRBYFLOAT/HINCRBYFLOAT operands) sees a string.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LongDoubleKind {
    /// Rejected: empty, 5120 bytes or longer, leading whitespace, trailing garbage, NaN,
    /// or out of `long double` range.
    Invalid,
    /// A finite `long double`.
    Finite,
    /// "inf", "-inf", "infinity" and the like.
    Infinite,
}

/// Classifies `bytes` with Redis `string2ld` rules. Note that these differ from
/// [`parse_f64`]: the range is `long double`'s ("1e400" and "1e-400" are valid) and
/// inputs of 5120 bytes or more are rejected.
pub fn long_double_kind(bytes: &[u8]) -> LongDoubleKind {
    match ffi::classify_long_double(bytes) {
        1 => LongDoubleKind::Finite,
        2 => LongDoubleKind::Infinite,
        _ => LongDoubleKind::Invalid,
    }
}

/// Why [`incr_by_float`] failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IncrFloatError {
    /// The stored value is not a valid `string2ld` float.
    CurrentNotFloat,
    /// The increment is not a valid `string2ld` float.
    IncrNotFloat,
    /// The sum is NaN or ±inf (also when an operand is "inf").
    NanOrInfinity,
}

impl IncrFloatError {
    /// The error text INCRBYFLOAT replies with.
    pub fn incrbyfloat_message(self) -> &'static str {
        match self {
            IncrFloatError::CurrentNotFloat | IncrFloatError::IncrNotFloat => errors::NOT_FLOAT,
            IncrFloatError::NanOrInfinity => errors::NAN_OR_INFINITY,
        }
    }

    /// The error text HINCRBYFLOAT replies with (its increment must already have passed
    /// [`check_hincrbyfloat_increment`]).
    pub fn hincrbyfloat_message(self) -> &'static str {
        match self {
            IncrFloatError::CurrentNotFloat => HASH_VALUE_NOT_FLOAT,
            IncrFloatError::IncrNotFloat => errors::NOT_FLOAT,
            IncrFloatError::NanOrInfinity => errors::NAN_OR_INFINITY,
        }
    }
}

/// INCRBYFLOAT / HINCRBYFLOAT arithmetic exactly as Redis does it: both operands parsed
/// with `string2ld` (`current` first), added in C `long double`, a NaN/infinite sum
/// rejected, and the sum formatted with `%.17Lf` minus trailing zeros and '.' ("-0"
/// becomes "0"). Returns the new value's text, e.g. ("1", "-1.1") -> "-0.1".
///
/// A missing key or field counts as "0": pass `b"0"`. An integer-encoded value may be
/// passed as its decimal text (same result). Callers check the key type first for
/// INCRBYFLOAT; HINCRBYFLOAT validates its increment before looking at the key (see
/// [`check_hincrbyfloat_increment`]).
pub fn incr_by_float(current: &[u8], incr: &[u8]) -> Result<Vec<u8>, IncrFloatError> {
    let mut out = [0u8; LONG_DOUBLE_TEXT_CAP];
    match ffi::incr_long_double(current, incr, &mut out) {
        (ffi::LD_OK, len) => Ok(out[..len].to_vec()),
        (ffi::LD_BAD_CURRENT, _) => Err(IncrFloatError::CurrentNotFloat),
        (ffi::LD_BAD_INCR, _) => Err(IncrFloatError::IncrNotFloat),
        // LD_NO_ROOM cannot happen with a 5 KiB buffer; treat it as an unusable result.
        _ => Err(IncrFloatError::NanOrInfinity),
    }
}

/// HINCRBYFLOAT's first check, made before the key is even looked up: the increment
/// must be a valid `string2ld` float (else `errors::NOT_FLOAT`) and finite (else
/// [`INCREMENT_NAN_OR_INFINITY`]). Returns the exact error text.
pub fn check_hincrbyfloat_increment(incr: &[u8]) -> Result<(), &'static str> {
    match long_double_kind(incr) {
        LongDoubleKind::Finite => Ok(()),
        LongDoubleKind::Infinite => Err(INCREMENT_NAN_OR_INFINITY),
        LongDoubleKind::Invalid => Err(errors::NOT_FLOAT),
    }
}

/// Appends `value` promoted to `long double` and formatted as INCRBYFLOAT formats its
/// result (`%.17Lf`, trailing zeros and '.' removed, "-0" as "0"; "inf"/"-inf").
pub fn format_incrbyfloat(buf: &mut Vec<u8>, value: f64) {
    let mut out = [0u8; LONG_DOUBLE_TEXT_CAP];
    let len = ffi::format_double_as_long_double(value, &mut out);
    buf.extend_from_slice(&out[..len]);
}

/// Appends the text Redis 7.0's `addReplyDouble` sends for `value` (RESP2 bulk body or
/// RESP3 `,` body): "inf"/"-inf" for infinities, otherwise C `%.17g` — so 1.5 -> "1.5",
/// 0.1 -> "0.10000000000000001", 3.0 -> "3", -0.0 -> "-0", 1e17 -> "1e+17", NaN ->
/// "nan" or "-nan". (Listpack-encoded sorted sets store scores with `d2string`, which
/// turns -0.0 into "0"; that is the storage layer's business, not this function's.)
pub fn format_double(buf: &mut Vec<u8>, value: f64) {
    if value.is_infinite() {
        let text: &[u8] = if value > 0.0 { b"inf" } else { b"-inf" };
        buf.extend_from_slice(text);
        return;
    }
    let mut out = [0u8; DOUBLE_TEXT_CAP];
    let len = ffi::format_double_g17(value, &mut out);
    buf.extend_from_slice(&out[..len]);
}

/// Calls `f` with `bytes` followed by a NUL byte, on the stack when short.
fn with_c_string<R>(bytes: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    if bytes.len() < STACK_C_STRING_LEN {
        let mut stack = [0u8; STACK_C_STRING_LEN];
        stack[..bytes.len()].copy_from_slice(bytes);
        return f(&stack[..=bytes.len()]);
    }
    let mut heap = Vec::with_capacity(bytes.len() + 1);
    heap.extend_from_slice(bytes);
    heap.push(0);
    f(&heap)
}

/// The only `unsafe` code of this module: calls into `csrc/num.c`. Each wrapper takes
/// Rust slices, so pointer/length pairs always describe live, correctly sized memory.
mod ffi {
    use std::ffi::c_char;

    pub const LD_OK: i32 = 0;
    pub const LD_BAD_CURRENT: i32 = 1;
    pub const LD_BAD_INCR: i32 = 2;

    unsafe extern "C" {
        fn shoal_ld_classify(s: *const c_char, len: usize) -> i32;
        fn shoal_ld_incr(
            current: *const c_char,
            current_len: usize,
            incr: *const c_char,
            incr_len: usize,
            out: *mut c_char,
            out_cap: usize,
            out_len: *mut usize,
        ) -> i32;
        fn shoal_ld_format_double(value: f64, out: *mut c_char, cap: usize) -> usize;
        fn shoal_d_parse_strict(s: *const c_char, len: usize, out: *mut f64) -> i32;
        fn shoal_d_parse_lenient(s: *const c_char, out: *mut f64) -> i32;
        fn shoal_d_format_g17(value: f64, out: *mut c_char, cap: usize) -> usize;
    }

    /// 0 invalid, 1 finite, 2 infinite.
    pub fn classify_long_double(bytes: &[u8]) -> i32 {
        // SAFETY: the C side reads exactly `len` bytes from `s` (copying them into its
        // own buffer before NUL-terminating), and `bytes` is valid for that many.
        unsafe { shoal_ld_classify(bytes.as_ptr().cast(), bytes.len()) }
    }

    /// (result code, length written into `out`).
    pub fn incr_long_double(current: &[u8], incr: &[u8], out: &mut [u8]) -> (i32, usize) {
        let mut len = 0usize;
        // SAFETY: both inputs are read only within their lengths; the C side writes at
        // most `out.len()` bytes into `out` (snprintf bound) and one usize into `len`.
        let code = unsafe {
            shoal_ld_incr(
                current.as_ptr().cast(),
                current.len(),
                incr.as_ptr().cast(),
                incr.len(),
                out.as_mut_ptr().cast(),
                out.len(),
                &mut len,
            )
        };
        (code, len.min(out.len()))
    }

    /// Length written into `out` (0 if it did not fit).
    pub fn format_double_as_long_double(value: f64, out: &mut [u8]) -> usize {
        // SAFETY: the C side writes at most `out.len()` bytes into `out`.
        let len = unsafe { shoal_ld_format_double(value, out.as_mut_ptr().cast(), out.len()) };
        len.min(out.len())
    }

    /// Length written into `out` (0 if it did not fit).
    pub fn format_double_g17(value: f64, out: &mut [u8]) -> usize {
        // SAFETY: the C side writes at most `out.len()` bytes into `out` (snprintf).
        let len = unsafe { shoal_d_format_g17(value, out.as_mut_ptr().cast(), out.len()) };
        len.min(out.len())
    }

    /// `c_string` is the input followed by a NUL; `len` is the input's length.
    pub fn parse_double_strict(c_string: &[u8], len: usize) -> Option<f64> {
        debug_assert_eq!(c_string.len(), len + 1);
        debug_assert_eq!(c_string.last(), Some(&0));
        let mut value = 0f64;
        // SAFETY: `c_string` is NUL-terminated (built by `with_c_string`), so strtod
        // stops inside it; `value` is a valid place for one f64.
        let ok = unsafe { shoal_d_parse_strict(c_string.as_ptr().cast(), len, &mut value) };
        (ok != 0).then_some(value)
    }

    /// `c_string` is the input followed by a NUL.
    pub fn parse_double_lenient(c_string: &[u8]) -> Option<f64> {
        debug_assert_eq!(c_string.last(), Some(&0));
        let mut value = 0f64;
        // SAFETY: as for `parse_double_strict`: NUL-terminated input, one f64 written.
        let ok = unsafe { shoal_d_parse_lenient(c_string.as_ptr().cast(), &mut value) };
        (ok != 0).then_some(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expectations from Redis 7.0.15: `SET k <input>` then `INCRBY k 0` (an error there
    /// means string2ll rejected the input).
    #[test]
    fn parse_i64_matches_string2ll() {
        let table: &[(&[u8], Option<i64>)] = &[
            (b"1", Some(1)),
            (b"0", Some(0)),
            (b"-1", Some(-1)),
            (b"9223372036854775807", Some(i64::MAX)),
            (b"-9223372036854775808", Some(i64::MIN)),
            (b"-0", None),
            (b"+1", None),
            (b" 1", None),
            (b"1 ", None),
            (b"01", None),
            (b"00", None),
            (b"", None),
            (b"-", None),
            (b"9223372036854775808", None),
            (b"-9223372036854775809", None),
            (b"18446744073709551615", None),
            (b"000000000000000000001", None),
            (b"1\0", None),
            (b"1.0", None),
            (b"99999999999999999999", None),
            (b"184467440737095516160", None),
        ];
        for (input, expected) in table {
            assert_eq!(parse_i64(input), *expected, "{:?}", input.escape_ascii());
        }
    }

    #[test]
    fn parse_u64_is_string2ll_without_sign() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_u64(b"+1"), None);
        assert_eq!(parse_u64(b"01"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"12a"), None);
    }

    /// Expectations from Redis 7.0.15: `ZADD z <input> m` then `ZSCORE z m` (None where
    /// ZADD replied "ERR value is not a valid float").
    #[test]
    fn parse_f64_matches_string2d() {
        let table: &[(&[u8], Option<&str>)] = &[
            (b"1e3", Some("1000")),
            (b"inf", Some("inf")),
            (b"-inf", Some("-inf")),
            (b"+inf", Some("inf")),
            (b"infinity", Some("inf")),
            (b"INF", Some("inf")),
            (b"0x10", Some("16")),
            (b"0x1p3", Some("8")),
            (b"0X1P-2", Some("0.25")),
            (b"1e-310", Some("9.9999999999999694e-311")),
            (b"0e-400", Some("0")),
            (b".5", Some("0.5")),
            (b"5.", Some("5")),
            (b"+.5", Some("0.5")),
            (b"-.5e1", Some("-5")),
            (b"00012", Some("12")),
            (b"1e+3", Some("1000")),
            (b"nan", None),
            (b"-nan", None),
            (b" 1", None),
            (b"1 ", None),
            (b"\t1", None),
            (b"\n1", None),
            (b"  ", None),
            (b"1e400", None),
            (b"1e-400", None),
            (b"1e", None),
            (b"e1", None),
            (b"", None),
            (b"1\0x", None),
            (b"1,5", None),
            (b"1_0", None),
            (b"0x", None),
        ];
        for (input, expected) in table {
            let got = parse_f64(input).map(|v| {
                let mut text = Vec::new();
                format_double(&mut text, v);
                String::from_utf8(text).unwrap()
            });
            assert_eq!(got.as_deref(), *expected, "{:?}", input.escape_ascii());
        }
    }

    #[test]
    fn parse_f64_has_no_length_limit() {
        // `ZADD z <20000-byte "000...1"> m` is accepted by Redis 7.0.15 (score 1).
        let mut long = vec![b'0'; 19_999];
        long.push(b'1');
        assert_eq!(parse_f64(&long), Some(1.0));
    }

    /// Expectations from Redis 7.0.15: `ZADD z 1 a 2 b` then `ZCOUNT z -inf <input>`
    /// (None where it replied "ERR min or max is not a float").
    #[test]
    fn parse_f64_lenient_matches_range_parsing() {
        let table: &[(&[u8], Option<f64>)] = &[
            (b"", Some(0.0)),
            (b" 1", Some(1.0)),
            (b"1\0x", Some(1.0)),
            (b"1e500", Some(f64::INFINITY)),
            (b"1e-500", Some(0.0)),
            (b"0x1", Some(1.0)),
            (b"-inf", Some(f64::NEG_INFINITY)),
            (b"1 ", None),
            (b"(1", None),
            (b"nan", None),
            (b"-", None),
            (b"abc", None),
        ];
        for (input, expected) in table {
            assert_eq!(
                parse_f64_lenient(input),
                *expected,
                "{:?}",
                input.escape_ascii()
            );
        }
    }

    /// Expectations from Redis 7.0.15: `SET k 1` then `INCRBYFLOAT k <input>` and
    /// `SET k <input>` then `INCRBYFLOAT k 0`.
    #[test]
    fn long_double_kind_matches_string2ld() {
        use LongDoubleKind::*;
        let table: &[(&[u8], LongDoubleKind)] = &[
            (b"1e3", Finite),
            (b"0x10", Finite),
            (b"1e400", Finite),
            (b"1e-400", Finite),
            (b"1e4000", Finite),
            (b"1e-4940", Finite),
            (b"inf", Infinite),
            (b"-inf", Infinite),
            (b"+inf", Infinite),
            (b"infinity", Infinite),
            (b"INF", Infinite),
            (b"1e5000", Invalid),
            (b"1e-4960", Invalid),
            (b"nan", Invalid),
            (b"-nan", Invalid),
            (b" 1", Invalid),
            (b"1 ", Invalid),
            (b"\t1", Invalid),
            (b"", Invalid),
            (b"1\0x", Invalid),
            (b"0x", Invalid),
            (b"1e", Invalid),
        ];
        for (input, expected) in table {
            assert_eq!(
                long_double_kind(input),
                *expected,
                "{:?}",
                input.escape_ascii()
            );
        }
    }

    #[test]
    fn long_double_inputs_of_5120_bytes_are_rejected() {
        // Redis 7.0.15: INCRBYFLOAT by "000...1" works at 5119 bytes, fails at 5120.
        let digits = |len: usize| {
            let mut v = vec![b'0'; len - 1];
            v.push(b'1');
            v
        };
        assert_eq!(incr_by_float(b"0", &digits(5119)).unwrap(), b"1");
        assert_eq!(
            incr_by_float(b"0", &digits(5120)),
            Err(IncrFloatError::IncrNotFloat)
        );
        assert_eq!(
            incr_by_float(&digits(5120), b"0"),
            Err(IncrFloatError::CurrentNotFloat)
        );
    }

    /// Expectations from Redis 7.0.15: `SET k <current>` then `INCRBYFLOAT k <incr>`.
    #[test]
    fn incr_by_float_matches_redis() {
        let table: &[(&str, &str, &str)] = &[
            ("1", "-1.1", "-0.1"),
            ("10.5", "0.1", "10.6"),
            ("10.5", "5.0e3", "5010.5"),
            ("0", "0.1", "0.1"),
            ("0.1", "0.2", "0.3"),
            ("3", "-3", "0"),
            ("-0", "0", "0"),
            ("0", "-0", "0"),
            ("1", "1e-20", "1"),
            ("1e20", "1", "100000000000000000000"),
            ("5.0e3", "2.0e2", "5200"),
            ("0", "1e-4940", "0"),
            ("123456789012345678", "1", "123456789012345679"),
            ("0.5", "1e17", "100000000000000000.5"),
            ("1", "0x1p-3", "1.125"),
            ("-5", "2.5", "-2.5"),
            ("1.23456789012345678", "0", "1.23456789012345678"),
            ("100", "-99.99", "0.01"),
            ("0", "3.0", "3"),
            ("2", "-0.0000000000000000001", "2"),
            ("0", "1e-17", "0.00000000000000001"),
            ("0", "1e-18", "0"),
            ("0", "5e-18", "0"),
            ("0", "-5e-18", "0"),
            ("0", "-6e-18", "-0.00000000000000001"),
            ("9223372036854775807", "1", "9223372036854775808"),
            ("1", "1e3", "1001"),
            ("1", "0x10", "17"),
            ("1", "1e-400", "1"),
            ("1", "00012", "13"),
            ("1", "-.5e1", "-4"),
        ];
        for (current, incr, expected) in table {
            let got = incr_by_float(current.as_bytes(), incr.as_bytes());
            assert_eq!(
                got.as_deref(),
                Ok(expected.as_bytes()),
                "{current} + {incr}"
            );
        }
    }

    /// Expectations from Redis 7.0.15 (`SET k 1.7976931348623157e308` then
    /// `INCRBYFLOAT k 1.7976931348623157e308`, and `SET k 1e4931`, `INCRBYFLOAT k
    /// 1e4931`): sums beyond f64 range are fine in long double and printed in full.
    #[test]
    fn incr_by_float_uses_long_double_range() {
        let sum = incr_by_float(b"1.7976931348623157e308", b"1.7976931348623157e308").unwrap();
        assert!(sum.starts_with(b"35953862697246313999184209354820886809677289388865835697"));
        assert_eq!(sum.len(), 309);
        let sum = incr_by_float(b"1e4931", b"1e4931").unwrap();
        assert!(sum.starts_with(b"200000000000000000001203789877592778264767554850906622954"));
        assert_eq!(sum.len(), 4932);
        let sum = incr_by_float(b"1", b"-1e4932").unwrap();
        assert!(sum.starts_with(b"-100000000000000000000601894938796389132383777425453311"));
        assert_eq!(sum.len(), 4934);
    }

    /// Expectations from Redis 7.0.15 INCRBYFLOAT and HINCRBYFLOAT error replies.
    #[test]
    fn incr_by_float_errors_map_to_redis_texts() {
        use IncrFloatError::*;
        let table: &[(&[u8], &[u8], IncrFloatError)] = &[
            (b"1", b"inf", NanOrInfinity),
            (b"inf", b"0", NanOrInfinity),
            (b"inf", b"-inf", NanOrInfinity),
            (b"1e4932", b"1e4932", NanOrInfinity),
            (b"1", b"nan", IncrNotFloat),
            (b"1", b" 1", IncrNotFloat),
            (b"1", b"", IncrNotFloat),
            (b"abc", b"1", CurrentNotFloat),
            (b"abc", b"xyz", CurrentNotFloat),
        ];
        for (current, incr, expected) in table {
            assert_eq!(incr_by_float(current, incr), Err(*expected));
        }
        assert_eq!(
            NanOrInfinity.incrbyfloat_message(),
            "ERR increment would produce NaN or Infinity"
        );
        assert_eq!(
            CurrentNotFloat.incrbyfloat_message(),
            "ERR value is not a valid float"
        );
        assert_eq!(
            IncrNotFloat.incrbyfloat_message(),
            "ERR value is not a valid float"
        );
        assert_eq!(
            CurrentNotFloat.hincrbyfloat_message(),
            "ERR hash value is not a float"
        );
        assert_eq!(
            NanOrInfinity.hincrbyfloat_message(),
            "ERR increment would produce NaN or Infinity"
        );
        // `HINCRBYFLOAT h f inf` / `... abc` / `... 1.5`.
        assert_eq!(
            check_hincrbyfloat_increment(b"inf"),
            Err("ERR value is NaN or Infinity")
        );
        assert_eq!(
            check_hincrbyfloat_increment(b"abc"),
            Err("ERR value is not a valid float")
        );
        assert_eq!(check_hincrbyfloat_increment(b"1.5"), Ok(()));
    }

    #[test]
    fn format_incrbyfloat_promotes_f64() {
        let text = |v: f64| {
            let mut buf = Vec::new();
            format_incrbyfloat(&mut buf, v);
            String::from_utf8(buf).unwrap()
        };
        // %.17Lf of the f64 nearest 0.1 is 0.10000000000000001 (17 decimals).
        assert_eq!(text(0.1), "0.10000000000000001");
        assert_eq!(text(3.0), "3");
        assert_eq!(text(-0.0), "0");
        assert_eq!(text(f64::INFINITY), "inf");
        assert_eq!(text(-2.5), "-2.5");
    }

    /// Expectations from Redis 7.0.15: `ZADD z <input> m` then `ZSCORE z m` (with
    /// `zset-max-listpack-entries 0` for -0.0, whose sign the listpack loses).
    #[test]
    fn format_double_matches_add_reply_double() {
        let table: &[(f64, &str)] = &[
            (1.5, "1.5"),
            (0.1, "0.10000000000000001"),
            (1e300, "1.0000000000000001e+300"),
            (-0.0, "-0"),
            (0.0, "0"),
            (3.0, "3"),
            (1.0 / 3.0, "0.33333333333333331"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1e-310, "9.9999999999999694e-311"),
            (9007199254740993.0, "9007199254740992"),
            (1e15, "1000000000000000"),
            (1e16, "10000000000000000"),
            (1e17, "1e+17"),
            (123456789012345678.0, "1.2345678901234568e+17"),
            (-1.5e-7, "-1.4999999999999999e-07"),
            (5e-324, "4.9406564584124654e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (100.0, "100"),
            (0.0001, "0.0001"),
            (0.00001, "1.0000000000000001e-05"),
            (-2.5, "-2.5"),
            (1e21, "1e+21"),
            (4503599627370496.0, "4503599627370496"),
            (-4503599627370496.0, "-4503599627370496"),
        ];
        for (value, expected) in table {
            let mut buf = b"x".to_vec();
            format_double(&mut buf, *value);
            assert_eq!(&buf[1..], expected.as_bytes(), "{value:e}");
        }
    }

    #[test]
    fn strtol_is_c() {
        assert_eq!(strtol(b"1"), 1);
        assert_eq!(strtol(b"x"), 0);
        assert_eq!(strtol(b"-3z"), -3);
        assert_eq!(strtol(b" \t+12.5"), 12);
        assert_eq!(strtol(b"1e400"), 1);
        assert_eq!(strtol(b"99999999999999999999999"), i64::MAX);
        assert_eq!(strtol(b"-99999999999999999999999"), i64::MIN);
        // atoi's cast to int: LONG_MAX is -1, 2^32 + 1 is 1.
        assert_eq!(strtol(b"9223372036854775807") as i32, -1);
        assert_eq!(strtol(b"4294967297") as i32, 1);
    }

    #[test]
    fn format_double_nan_is_glibc_text() {
        let mut buf = Vec::new();
        format_double(&mut buf, f64::NAN);
        assert!(buf == b"nan" || buf == b"-nan");
    }
}

#[cfg(test)]
mod oracle_tests {
    use super::*;
    use crate::util::oracle::{self, Resp};

    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn pick<'a>(state: &mut u64, choices: &[&'a str]) -> &'a str {
        choices[(next(state) % choices.len() as u64) as usize]
    }

    fn digits(state: &mut u64, len_max: u64) -> String {
        let len = 1 + next(state) % len_max;
        (0..len)
            .map(|_| (b'0' + (next(state) % 10) as u8) as char)
            .collect()
    }

    /// Float-like text: mostly well-formed decimals, some hex, specials and garbage.
    fn float_text(state: &mut u64) -> Vec<u8> {
        match next(state) % 10 {
            0 => pick(
                state,
                &[
                    "inf", "-inf", "nan", "", " 1", "1 ", "0x1p-3", "1e", "-0", "+.5",
                ],
            )
            .into(),
            1 => (0..next(state) % 4).map(|_| next(state) as u8).collect(),
            2 => format!(
                "{}e{}{}",
                digits(state, 3),
                pick(state, &["", "-", "+"]),
                next(state) % 400
            )
            .into(),
            3 => format!("0x{:x}p{}", next(state) % 4096, next(state) % 80).into(),
            _ => {
                let sign = pick(state, &["", "-", "", "+"]);
                let int = digits(state, 20);
                let frac = digits(state, 20);
                format!("{sign}{int}.{frac}").into()
            }
        }
    }

    fn error_text(reply: Resp) -> Result<Vec<u8>, String> {
        match reply {
            Resp::Bulk(Some(text)) => Ok(text),
            Resp::Error(text) => Err(text),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn floats_match_redis_server() {
        let Some(mut redis) = oracle::connect() else {
            return;
        };
        let seed = std::env::var("SHOAL_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(7);
        eprintln!("seed {seed} (set SHOAL_TEST_SEED to replay)");
        let mut state = seed;
        redis.call(&[b"CONFIG", b"SET", b"zset-max-listpack-entries", b"0"]);
        for round in 0..5_000 {
            let (current, incr) = (float_text(&mut state), float_text(&mut state));
            let context = format!(
                "seed {seed} round {round}: {:?} {:?}",
                current.escape_ascii().to_string(),
                incr.escape_ascii().to_string()
            );

            redis.call(&[b"SET", b"shoal:f", &current]);
            let expected = error_text(redis.call(&[b"INCRBYFLOAT", b"shoal:f", &incr]));
            let got =
                incr_by_float(&current, &incr).map_err(|e| e.incrbyfloat_message().to_string());
            assert_eq!(got, expected, "INCRBYFLOAT {context}");

            redis.call(&[b"DEL", b"shoal:z", b"shoal:h"]);
            let zadd_flag = ["nx", "xx", "gt", "lt", "ch", "incr"]
                .iter()
                .any(|flag| incr.eq_ignore_ascii_case(flag.as_bytes()));
            if zadd_flag {
                continue; // ZADD would take it as an option, not a score
            }
            let added = redis.call(&[b"ZADD", b"shoal:z", &incr, b"m"]);
            match parse_f64(&incr) {
                Some(score) => {
                    assert_eq!(added, Resp::Int(1), "ZADD {context}");
                    let mut text = Vec::new();
                    format_double(&mut text, score);
                    assert_eq!(
                        redis.call(&[b"ZSCORE", b"shoal:z", b"m"]),
                        Resp::Bulk(Some(text)),
                        "ZSCORE {context}"
                    );
                }
                None => assert_eq!(
                    added,
                    Resp::Error(errors::NOT_FLOAT.into()),
                    "ZADD {context}"
                ),
            }

            let counted = redis.call(&[b"ZCOUNT", b"shoal:z", b"-inf", &incr]);
            let bound = incr.strip_prefix(b"(").unwrap_or(&incr);
            if parse_f64_lenient(bound).is_none() {
                assert_eq!(
                    counted,
                    Resp::Error("ERR min or max is not a float".into()),
                    "ZCOUNT {context}"
                );
            } else {
                assert!(
                    matches!(counted, Resp::Int(_)),
                    "ZCOUNT {context}: {counted:?}"
                );
            }

            redis.call(&[b"HSET", b"shoal:h", b"f", &current]);
            let expected = error_text(redis.call(&[b"HINCRBYFLOAT", b"shoal:h", b"f", &incr]));
            let got = check_hincrbyfloat_increment(&incr)
                .and_then(|()| {
                    incr_by_float(&current, &incr).map_err(IncrFloatError::hincrbyfloat_message)
                })
                .map_err(str::to_string);
            assert_eq!(got, expected, "HINCRBYFLOAT {context}");
        }
        redis.call(&[b"CONFIG", b"SET", b"zset-max-listpack-entries", b"128"]);
    }
}
