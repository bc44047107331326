//! The RDB writer: lengths, strings (integer and LZF encodings), and each value in the
//! plain encodings every Redis since 4.0 loads (string, list of strings, set, zset2,
//! hash). Compact encodings are never written: Redis re-encodes what it loads by its own
//! thresholds, so the plain forms load into the same encodings.

use super::{lzf, opcode, rdb_type};
use crate::storage::ValueRef;
use crate::util::num::parse_i64;

/// Strings at most this long are tried as integers (Redis's `rdbTryIntegerEncoding`).
const INT_TEXT_BYTES_MAX: usize = 11;
/// Strings longer than this are LZF-compressed when compression is on.
const COMPRESS_BYTES_MIN: usize = 21;

pub fn put_len(out: &mut Vec<u8>, len: u64) {
    if len < 1 << 6 {
        out.push(len as u8);
    } else if len < 1 << 14 {
        out.push(0x40 | (len >> 8) as u8);
        out.push(len as u8);
    } else if len <= u32::MAX as u64 {
        out.push(0x80);
        out.extend_from_slice(&(len as u32).to_be_bytes());
    } else {
        out.push(0x81);
        out.extend_from_slice(&len.to_be_bytes());
    }
}

pub fn put_int_string(out: &mut Vec<u8>, n: i64) -> bool {
    if let Ok(v) = i8::try_from(n) {
        out.extend_from_slice(&[0xc0, v as u8]);
    } else if let Ok(v) = i16::try_from(n) {
        out.push(0xc1);
        out.extend_from_slice(&v.to_le_bytes());
    } else if let Ok(v) = i32::try_from(n) {
        out.push(0xc2);
        out.extend_from_slice(&v.to_le_bytes());
    } else {
        return false;
    }
    true
}

/// Appends `before`, then `s` LZF-compressed (with its header), when that makes `s`
/// shorter by more than 4 bytes, as Redis requires; false (nothing written) otherwise.
fn put_compressed(out: &mut Vec<u8>, before: &[u8], s: &[u8]) -> bool {
    lzf::with_compressed(s, s.len() - 4, |c| {
        out.extend_from_slice(before);
        out.push(0xc3);
        put_len(out, c.len() as u64);
        put_len(out, s.len() as u64);
        out.extend_from_slice(c);
    })
    .is_some()
}

pub fn put_string(out: &mut Vec<u8>, s: &[u8], compress: bool) {
    if s.len() <= INT_TEXT_BYTES_MAX
        && let Some(n) = parse_i64(s)
        && put_int_string(out, n)
    {
        return;
    }
    if compress && s.len() >= COMPRESS_BYTES_MIN && put_compressed(out, &[], s) {
        return;
    }
    put_len(out, s.len() as u64);
    out.extend_from_slice(s);
}

/// The RDB type `value` is written as; `None` for an empty collection (not written).
fn type_of(value: ValueRef<'_>) -> Option<u8> {
    Some(match value {
        ValueRef::Int(_) | ValueRef::Embstr(_) | ValueRef::Raw(_) => rdb_type::STRING,
        ValueRef::List(l) if !l.is_empty() => rdb_type::LIST,
        ValueRef::Set(s) if !s.is_empty() => rdb_type::SET,
        ValueRef::ZSet(z) if !z.is_empty() => rdb_type::ZSET_2,
        ValueRef::Hash(h) if !h.is_empty() => rdb_type::HASH,
        _ => return None,
    })
}

/// Writes the type byte and the value; nothing for an empty collection (returns false).
pub fn put_value(out: &mut Vec<u8>, value: ValueRef<'_>, compress: bool) -> bool {
    let Some(t) = type_of(value) else {
        return false;
    };
    out.push(t);
    put_value_body(out, value, compress);
    true
}

/// The value without its type byte.
fn put_value_body(out: &mut Vec<u8>, value: ValueRef<'_>, compress: bool) {
    let mut tmp = [0u8; 20];
    match value {
        ValueRef::Int(n) if put_int_string(out, n) => {}
        ValueRef::Int(_) | ValueRef::Embstr(_) | ValueRef::Raw(_) => put_string(
            out,
            value.string_bytes(&mut tmp).unwrap_or_default(),
            compress,
        ),
        ValueRef::List(l) => {
            put_len(out, l.len() as u64);
            for e in l.iter() {
                put_string(out, e, compress);
            }
        }
        ValueRef::Set(s) => {
            put_len(out, s.len() as u64);
            for m in s.iter() {
                put_string(out, m.bytes(&mut tmp), compress);
            }
        }
        ValueRef::ZSet(z) => {
            put_len(out, z.len() as u64);
            z.walk(0, z.len(), false, |m, score| {
                put_string(out, m, compress);
                out.extend_from_slice(&score.to_le_bytes());
                true
            });
        }
        ValueRef::Hash(h) => {
            put_len(out, h.len() as u64);
            for (f, v) in h.iter() {
                put_string(out, f, compress);
                put_string(out, v, compress);
            }
        }
    }
}

/// One key with its deadline (unix ms, 0: none): `EXPIRETIME_MS`, the value, the key.
/// Written straight into `out` (no buffer per key: saves serialize on the shard's thread).
pub fn put_entry(
    out: &mut Vec<u8>,
    key: &[u8],
    value: ValueRef<'_>,
    expire_ms: u64,
    compress: bool,
) {
    let Some(t) = type_of(value) else {
        return;
    };
    if expire_ms != 0 {
        out.push(opcode::EXPIRETIME_MS);
        out.extend_from_slice(&expire_ms.to_le_bytes());
    }
    out.push(t);
    put_string(out, key, compress);
    put_value_body(out, value, compress);
}

/// Rewrites entries serialized without compression (`put_entry(.., false)`) as
/// `put_entry(.., true)` would have written them: every plain string LZF shortens is
/// replaced by its compressed form, the rest is copied. A BGSAVE's shards serialize
/// without compression (a copy, so a segment about to change is preserved quickly) and
/// the file's writer thread compresses here. False when no string shortened: `out` is
/// then left as it was and `entries` is the answer (not copied for nothing).
pub fn recompress(entries: &[u8], out: &mut Vec<u8>) -> Result<bool, String> {
    let mut c = Recompress {
        bytes: entries,
        at: 0,
        copied: 0,
        out,
    };
    while c.at < entries.len() {
        let mut t = c.byte()?;
        if t == opcode::EXPIRETIME_MS {
            c.skip(8)?;
            t = c.byte()?;
        }
        c.string()?;
        let strings_per_item = match t {
            rdb_type::STRING => {
                c.string()?;
                continue;
            }
            rdb_type::LIST | rdb_type::SET | rdb_type::ZSET_2 => 1,
            rdb_type::HASH => 2,
            _ => return Err(format!("recompress: unexpected type {t}")),
        };
        for _ in 0..c.length()? {
            for _ in 0..strings_per_item {
                c.string()?;
            }
            if t == rdb_type::ZSET_2 {
                c.skip(8)?;
            }
        }
    }
    if c.copied == 0 {
        return Ok(false);
    }
    c.out.extend_from_slice(&entries[c.copied..]);
    Ok(true)
}

/// [`recompress`]'s cursor: `bytes[copied..at]` is still to be copied to `out`.
struct Recompress<'a> {
    bytes: &'a [u8],
    at: usize,
    copied: usize,
    out: &'a mut Vec<u8>,
}

impl<'a> Recompress<'a> {
    fn skip(&mut self, n: usize) -> Result<&'a [u8], String> {
        let start = self.at;
        let end = start.checked_add(n).filter(|&e| e <= self.bytes.len());
        self.at = end.ok_or("recompress: truncated")?;
        Ok(&self.bytes[start..self.at])
    }

    fn byte(&mut self) -> Result<u8, String> {
        Ok(self.skip(1)?[0])
    }

    /// A length, or the kind of a special string encoding (`Err` for a length).
    fn length_or_kind(&mut self) -> Result<Result<u64, u8>, String> {
        let first = self.byte()?;
        Ok(match first >> 6 {
            0 => Ok((first & 0x3f) as u64),
            1 => Ok((((first & 0x3f) as u64) << 8) | self.byte()? as u64),
            2 if first == 0x80 => Ok(u32::from_be_bytes(self.skip(4)?.try_into().unwrap()) as u64),
            2 if first == 0x81 => Ok(u64::from_be_bytes(self.skip(8)?.try_into().unwrap())),
            2 => return Err("recompress: bad length".into()),
            _ => Err(first & 0x3f),
        })
    }

    fn length(&mut self) -> Result<u64, String> {
        self.length_or_kind()?
            .map_err(|_| "recompress: encoded length".to_string())
    }

    fn string(&mut self) -> Result<(), String> {
        let start = self.at;
        let len = match self.length_or_kind()? {
            Ok(n) => usize::try_from(n).map_err(|_| "recompress: length")?,
            Err(0) => return self.skip(1).map(drop),
            Err(1) => return self.skip(2).map(drop),
            Err(2) => return self.skip(4).map(drop),
            Err(3) => {
                let packed = self.length()?;
                self.length()?;
                let packed = usize::try_from(packed).map_err(|_| "recompress: length")?;
                return self.skip(packed).map(drop);
            }
            Err(k) => return Err(format!("recompress: string encoding {k}")),
        };
        let s = self.skip(len)?;
        if len < COMPRESS_BYTES_MIN {
            return Ok(());
        }
        // The bytes since the last compressed string are copied only when this one
        // compresses, so each byte of the chunk is copied at most once.
        if put_compressed(self.out, &self.bytes[self.copied..start], s) {
            self.copied = self.at;
        }
        Ok(())
    }
}

pub fn put_aux(out: &mut Vec<u8>, name: &str, value: &[u8]) {
    out.push(opcode::AUX);
    put_string(out, name.as_bytes(), false);
    put_string(out, value, false);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_encodings() {
        let cases: &[(u64, &[u8])] = &[
            (0, &[0]),
            (63, &[63]),
            (64, &[0x40, 64]),
            (16383, &[0x7f, 0xff]),
            (16384, &[0x80, 0, 0, 0x40, 0]),
            (u32::MAX as u64, &[0x80, 0xff, 0xff, 0xff, 0xff]),
            (1 << 32, &[0x81, 0, 0, 0, 1, 0, 0, 0, 0]),
        ];
        for &(n, bytes) in cases {
            let mut out = Vec::new();
            put_len(&mut out, n);
            assert_eq!(out, bytes, "{n}");
            let mut r = super::super::read::Reader::new(&out);
            assert_eq!(r.length().unwrap(), n);
        }
    }

    #[test]
    fn string_encodings() {
        let enc = |s: &[u8]| {
            let mut out = Vec::new();
            put_string(&mut out, s, true);
            out
        };
        assert_eq!(enc(b"-5"), [0xc0, 0xfb]);
        assert_eq!(enc(b"300"), [0xc1, 0x2c, 0x01]);
        assert_eq!(enc(b"70000"), [0xc2, 0x70, 0x11, 0x01, 0x00]);
        assert_eq!(enc(b"007"), [3, b'0', b'0', b'7']);
        assert_eq!(enc(b"12345678901")[0], 11);
        let long = [b'x'; 100];
        let out = enc(&long);
        assert_eq!(out[0], 0xc3);
        let mut r = super::super::read::Reader::new(&out);
        assert_eq!(r.string().unwrap(), long);
    }
}
