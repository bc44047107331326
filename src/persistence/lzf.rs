//! LZF, the compression Redis applies to long strings in RDB files and DUMP payloads
//! (`rdbcompression yes`): a byte-exact reimplementation of the format of liblzf
//! (literal runs of up to 32 bytes; back references of 3 to 264 bytes up to 8 KiB back).

const HASH_LOG: u32 = 14;
const LITERAL_RUN_BYTES_MAX: usize = 32;
const OFFSET_BYTES_MAX: usize = 1 << 13;
const MATCH_BYTES_MAX: usize = (1 << 8) + (1 << 3);

fn hash3(b: &[u8]) -> usize {
    let v = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_LOG)) as usize
}

/// The hash table of earlier positions, kept per thread: zeroing 64 KiB for every
/// string (most are about a KiB) cost more than compressing it. An entry belongs to the
/// current call when it is above `base`; each call moves `base` past its own positions.
struct PositionTable {
    slots: Vec<u32>,
    base: u32,
}

thread_local! {
    static TABLE: std::cell::RefCell<PositionTable> = const {
        std::cell::RefCell::new(PositionTable { slots: Vec::new(), base: 0 })
    };
}

/// Compresses `input`; `None` when the output would not be shorter than `out_bytes_max`.
pub fn compress(input: &[u8], out_bytes_max: usize) -> Option<Vec<u8>> {
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        let t = &mut *t;
        if t.slots.is_empty() || t.base as u64 + input.len() as u64 + 1 > u32::MAX as u64 {
            t.slots.clear();
            t.slots.resize(1 << HASH_LOG, 0);
            t.base = 0;
        }
        let base = t.base;
        let out = compress_with(input, out_bytes_max, &mut t.slots, base);
        t.base = base + input.len() as u32 + 1;
        out
    })
}

/// [`compress`] with the table: a slot holds `base + position + 1` for this call.
fn compress_with(
    input: &[u8],
    out_bytes_max: usize,
    table: &mut [u32],
    base: u32,
) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(out_bytes_max.min(input.len()));
    // Index of the current literal run's control byte in `out`, if one is open.
    let mut lit_start: Option<usize> = None;
    let mut ip = 0;
    let push_literal = |out: &mut Vec<u8>, lit_start: &mut Option<usize>, b: u8| {
        match lit_start {
            Some(at) if (out[*at] as usize) < LITERAL_RUN_BYTES_MAX - 1 => out[*at] += 1,
            _ => {
                *lit_start = Some(out.len());
                out.push(0);
            }
        }
        out.push(b);
    };
    while ip < input.len() {
        if ip + 2 < input.len() {
            let h = hash3(&input[ip..]);
            let candidate = table[h];
            table[h] = base + ip as u32 + 1;
            if candidate > base {
                let r = (candidate - base - 1) as usize;
                let off = ip - r;
                if off > 0 && off <= OFFSET_BYTES_MAX && input[r..r + 3] == input[ip..ip + 3] {
                    let mut len = 3;
                    let max = MATCH_BYTES_MAX.min(input.len() - ip);
                    while len < max && input[r + len] == input[ip + len] {
                        len += 1;
                    }
                    let (l, o) = (len - 2, off - 1);
                    if l < 7 {
                        out.push(((l << 5) | (o >> 8)) as u8);
                    } else {
                        out.push(((7 << 5) | (o >> 8)) as u8);
                        out.push((l - 7) as u8);
                    }
                    out.push(o as u8);
                    lit_start = None;
                    for p in ip + 1..(ip + len).min(input.len().saturating_sub(2)) {
                        table[hash3(&input[p..])] = base + p as u32 + 1;
                    }
                    ip += len;
                    if out.len() >= out_bytes_max {
                        return None;
                    }
                    continue;
                }
            }
        }
        push_literal(&mut out, &mut lit_start, input[ip]);
        ip += 1;
        if out.len() >= out_bytes_max {
            return None;
        }
    }
    Some(out)
}

/// Decompresses `input` into exactly `out_bytes` bytes; `None` when the data is corrupt.
pub fn decompress(input: &[u8], out_bytes: usize) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(out_bytes);
    let mut ip = 0;
    while ip < input.len() {
        let ctrl = input[ip] as usize;
        ip += 1;
        if ctrl < 32 {
            let run = ctrl + 1;
            let lit = input.get(ip..ip + run)?;
            if out.len() + run > out_bytes {
                return None;
            }
            out.extend_from_slice(lit);
            ip += run;
        } else {
            let mut len = ctrl >> 5;
            if len == 7 {
                len += *input.get(ip)? as usize;
                ip += 1;
            }
            len += 2;
            let back = ((ctrl & 0x1f) << 8) + *input.get(ip)? as usize + 1;
            ip += 1;
            if back > out.len() || out.len() + len > out_bytes {
                return None;
            }
            let from = out.len() - back;
            for i in 0..len {
                let b = out[from + i];
                out.push(b);
            }
        }
    }
    (out.len() == out_bytes).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_and_corrupt_inputs() {
        // (Redis's own LZF output is decoded in `persistence::tests`.)
        let c = compress(&[b'a'; 50], 50).unwrap();
        assert_eq!(decompress(&c, 50).unwrap(), vec![b'a'; 50]);
        assert!(decompress(&[0x01, b'a'], 5).is_none());
        assert!(decompress(&[0xe0], 5).is_none());
        assert!(decompress(&[0x20, 0x05], 5).is_none());
    }

    #[test]
    fn round_trip_seeded_random() {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1;
        let mut x = seed;
        let mut next = || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        for round in 0..300 {
            let len = (next() % 20_000) as usize;
            let alphabet = 1 + (next() % 255) as u8;
            let data: Vec<u8> = (0..len)
                .map(|i| {
                    if round % 3 == 0 {
                        (i % 7) as u8
                    } else {
                        (next() % alphabet as u64) as u8
                    }
                })
                .collect();
            let fresh = compress_with(&data, len + 64, &mut vec![0; 1 << HASH_LOG], 0);
            let c = compress(&data, len + 64);
            // The table kept from earlier calls never changes what a call writes.
            assert_eq!(c, fresh, "seed {seed} round {round}");
            if let Some(c) = c {
                assert_eq!(
                    decompress(&c, len).as_deref(),
                    Some(&data[..]),
                    "seed {seed} round {round}"
                );
            }
        }
    }
}
