//! Decoders of the compact blobs Redis embeds in RDB files as strings: ziplist,
//! listpack, zipmap and intset. Each yields the elements in order as bytes (integers
//! formatted as text); any inconsistency is an error, never a panic.

pub type Elements = Vec<Vec<u8>>;

fn format_i64_vec(v: i64) -> Vec<u8> {
    v.to_string().into_bytes()
}

fn get(b: &[u8], at: usize, n: usize) -> Result<&[u8], String> {
    b.get(at..at.checked_add(n).ok_or("overflow")?)
        .ok_or_else(|| "compact encoding truncated".to_string())
}

fn int_le(b: &[u8]) -> i64 {
    let mut v: i64 = 0;
    for (i, &x) in b.iter().enumerate() {
        v |= (x as i64) << (8 * i);
    }
    let bits = 8 * b.len() as u32;
    if bits < 64 {
        (v << (64 - bits)) >> (64 - bits)
    } else {
        v
    }
}

/// A ziplist: `zlbytes zltail zllen` then entries `prevlen encoding data`, then 0xFF.
pub fn ziplist(b: &[u8]) -> Result<Elements, String> {
    let total = u32::from_le_bytes(get(b, 0, 4)?.try_into().unwrap_or_default()) as usize;
    if total != b.len() || b.len() < 11 || b[b.len() - 1] != 0xff {
        return Err("ziplist integrity check failed".into());
    }
    let mut out = Vec::new();
    let mut at = 10;
    while b[at] != 0xff {
        at += if b[at] == 0xfe { 5 } else { 1 };
        let enc = *get(b, at, 1)?.first().unwrap_or(&0);
        let (elem, used) = match enc >> 6 {
            0 => {
                let n = (enc & 0x3f) as usize;
                (get(b, at + 1, n)?.to_vec(), 1 + n)
            }
            1 => {
                let n = (((enc & 0x3f) as usize) << 8)
                    | *get(b, at + 1, 1)?.first().unwrap_or(&0) as usize;
                (get(b, at + 2, n)?.to_vec(), 2 + n)
            }
            2 => {
                let n =
                    u32::from_be_bytes(get(b, at + 1, 4)?.try_into().unwrap_or_default()) as usize;
                (get(b, at + 5, n)?.to_vec(), 5 + n)
            }
            _ => {
                let (v, n) = match enc {
                    0xc0 => (int_le(get(b, at + 1, 2)?), 2),
                    0xd0 => (int_le(get(b, at + 1, 4)?), 4),
                    0xe0 => (int_le(get(b, at + 1, 8)?), 8),
                    0xf0 => (int_le(get(b, at + 1, 3)?), 3),
                    0xfe => (int_le(get(b, at + 1, 1)?), 1),
                    0xf1..=0xfd => ((enc & 0x0f) as i64 - 1, 0),
                    _ => return Err("ziplist: bad entry encoding".into()),
                };
                (format_i64_vec(v), 1 + n)
            }
        };
        out.push(elem);
        at += used;
        if at >= b.len() {
            return Err("ziplist: entry past the end".into());
        }
    }
    Ok(out)
}

fn backlen_bytes(entry_bytes: usize) -> usize {
    match entry_bytes {
        0..=127 => 1,
        128..=16383 => 2,
        16384..=2_097_151 => 3,
        2_097_152..=268_435_455 => 4,
        _ => 5,
    }
}

/// A listpack: `total_bytes num_elements` then entries `encoding data backlen`, then 0xFF.
pub fn listpack(b: &[u8]) -> Result<Elements, String> {
    let total = u32::from_le_bytes(get(b, 0, 4)?.try_into().unwrap_or_default()) as usize;
    if total != b.len() || b.len() < 7 || b[b.len() - 1] != 0xff {
        return Err("listpack integrity check failed".into());
    }
    let mut out = Vec::new();
    let mut at = 6;
    while b[at] != 0xff {
        let enc = b[at];
        let (elem, used) = if enc & 0x80 == 0 {
            (format_i64_vec((enc & 0x7f) as i64), 1)
        } else if enc & 0xc0 == 0x80 {
            let n = (enc & 0x3f) as usize;
            (get(b, at + 1, n)?.to_vec(), 1 + n)
        } else if enc & 0xe0 == 0xc0 {
            let u = (((enc & 0x1f) as i64) << 8) | *get(b, at + 1, 1)?.first().unwrap_or(&0) as i64;
            let v = if u >= 1 << 12 { u - (1 << 13) } else { u };
            (format_i64_vec(v), 2)
        } else if enc & 0xf0 == 0xe0 {
            let n =
                (((enc & 0x0f) as usize) << 8) | *get(b, at + 1, 1)?.first().unwrap_or(&0) as usize;
            (get(b, at + 2, n)?.to_vec(), 2 + n)
        } else {
            match enc {
                0xf0 => {
                    let n = u32::from_le_bytes(get(b, at + 1, 4)?.try_into().unwrap_or_default())
                        as usize;
                    (get(b, at + 5, n)?.to_vec(), 5 + n)
                }
                0xf1 => (format_i64_vec(int_le(get(b, at + 1, 2)?)), 3),
                0xf2 => (format_i64_vec(int_le(get(b, at + 1, 3)?)), 4),
                0xf3 => (format_i64_vec(int_le(get(b, at + 1, 4)?)), 5),
                0xf4 => (format_i64_vec(int_le(get(b, at + 1, 8)?)), 9),
                _ => return Err("listpack: bad entry encoding".into()),
            }
        };
        out.push(elem);
        at += used + backlen_bytes(used);
        if at >= b.len() {
            return Err("listpack: entry past the end".into());
        }
    }
    Ok(out)
}

/// A zipmap (Redis < 2.6 small hashes): `zmlen` then `len key len free value` pairs.
pub fn zipmap(b: &[u8]) -> Result<Elements, String> {
    let mut out = Vec::new();
    let mut at = 1;
    let len_at = |at: &mut usize| -> Result<Option<usize>, String> {
        let first = *get(b, *at, 1)?.first().unwrap_or(&0);
        *at += 1;
        match first {
            0xff => Ok(None),
            0xfe => {
                let n = u32::from_le_bytes(get(b, *at, 4)?.try_into().unwrap_or_default());
                *at += 4;
                Ok(Some(n as usize))
            }
            n => Ok(Some(n as usize)),
        }
    };
    while let Some(klen) = len_at(&mut at)? {
        out.push(get(b, at, klen)?.to_vec());
        at += klen;
        let vlen = len_at(&mut at)?.ok_or("zipmap: missing value")?;
        let free = *get(b, at, 1)?.first().unwrap_or(&0) as usize;
        at += 1;
        out.push(get(b, at, vlen)?.to_vec());
        at += vlen + free;
    }
    Ok(out)
}

/// An intset: `encoding(2|4|8) length` then sorted little-endian integers.
pub fn intset(b: &[u8]) -> Result<Vec<i64>, String> {
    let width = u32::from_le_bytes(get(b, 0, 4)?.try_into().unwrap_or_default()) as usize;
    let len = u32::from_le_bytes(get(b, 4, 4)?.try_into().unwrap_or_default()) as usize;
    if !matches!(width, 2 | 4 | 8) || b.len() != 8 + width * len {
        return Err("intset integrity check failed".into());
    }
    Ok(b[8..].chunks_exact(width).map(int_le).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_little_endian() {
        assert_eq!(int_le(&[0xff, 0xff]), -1);
        assert_eq!(int_le(&[0x00, 0x80, 0xff]), -32768);
        assert_eq!(int_le(&[1, 0, 0, 0, 0, 0, 0, 0]), 1);
    }

    #[test]
    fn corrupt_blobs_are_errors() {
        for junk in [&b""[..], b"\x0b\0\0\0\x0a\0\x01\0\xfe", b"\xff\xff\xff\xff"] {
            assert!(ziplist(junk).is_err());
            assert!(listpack(junk).is_err());
            assert!(intset(junk).is_err());
        }
        assert!(zipmap(b"\x01\x05ab").is_err());
    }
}
