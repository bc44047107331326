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
#[path = "num_tests.rs"]
mod tests;
