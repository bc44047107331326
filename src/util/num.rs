//! Number parsing and formatting with Redis's exact rules (placeholder implementations;
//! see the full module for the real rules).

/// Redis `string2ll`: strict base-10 i64 (no spaces, no '+', no leading zeros, "-0"
/// rejected), at most 20 bytes.
pub fn parse_i64(bytes: &[u8]) -> Option<i64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Strict u64 parse (same rules as `parse_i64`, no sign).
pub fn parse_u64(bytes: &[u8]) -> Option<u64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Redis `string2ld` as used by INCRBYFLOAT (no spaces, no NaN).
pub fn parse_f64(bytes: &[u8]) -> Option<f64> {
    std::str::from_utf8(bytes).ok()?.parse().ok()
}

/// Writes `value` as Redis's INCRBYFLOAT does (`%.17Lf` with trailing zeros removed).
pub fn format_incrbyfloat(buf: &mut Vec<u8>, value: f64) {
    buf.extend_from_slice(value.to_string().as_bytes());
}

/// Writes `value` as Redis's `%.17g`.
pub fn format_double(buf: &mut Vec<u8>, value: f64) {
    buf.extend_from_slice(value.to_string().as_bytes());
}

/// Why INCRBYFLOAT failed.
#[derive(Debug, PartialEq, Eq)]
pub enum IncrFloatError {
    NotAFloat,
    NanOrInfinity,
}

impl IncrFloatError {
    pub fn message(&self) -> &'static str {
        match self {
            IncrFloatError::NotAFloat => crate::errors::NOT_FLOAT,
            IncrFloatError::NanOrInfinity => crate::errors::NAN_OR_INFINITY,
        }
    }
}

/// INCRBYFLOAT: `current + incr` formatted as Redis does.
pub fn incr_by_float(current: &[u8], incr: &[u8]) -> Result<Vec<u8>, IncrFloatError> {
    let a = parse_f64(current).ok_or(IncrFloatError::NotAFloat)?;
    let b = parse_f64(incr).ok_or(IncrFloatError::NotAFloat)?;
    let sum = a + b;
    if !sum.is_finite() {
        return Err(IncrFloatError::NanOrInfinity);
    }
    let mut out = Vec::new();
    format_incrbyfloat(&mut out, sum);
    Ok(out)
}
