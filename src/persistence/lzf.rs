//! LZF, the compression Redis applies to long strings in RDB files and DUMP payloads
//! (`rdbcompression yes`): a byte-exact reimplementation of the format of liblzf
//! (literal runs of up to 32 bytes; back references of 3 to 264 bytes up to 8 KiB back).

const HASH_LOG: u32 = 14;
const LITERAL_RUN_BYTES_MAX: usize = 32;
const OFFSET_BYTES_MAX: usize = 1 << 13;
const MATCH_BYTES_MAX: usize = (1 << 8) + (1 << 3);
/// Compression gives up when the first `max(PROBE_BYTES_MIN, len / PROBE_DIV)` bytes of
/// a string saved nothing. Random-looking values (redis-benchmark's, tokens, hashes)
/// never compress, and scanning all of them was most of a BGSAVE writer's CPU; a
/// string that only compresses after such a prefix is stored longer than it could be.
const PROBE_BYTES_MIN: usize = 256;
const PROBE_DIV: usize = 8;

fn hash3(a: u8, b: u8, c: u8) -> usize {
    hash_of((a as u32) << 16 | (b as u32) << 8 | c as u32)
}

/// The slot of three bytes packed big-end first into the low 24 bits of `v`.
fn hash_of(v: u32) -> usize {
    (v.wrapping_mul(2_654_435_761) >> (32 - HASH_LOG)) as usize
}

/// The two bytes at `at` packed as [`hash_of`] expects its first two (zero past the end).
fn first_two(input: &[u8], at: usize) -> u32 {
    let byte = |i: usize| input.get(i).copied().unwrap_or(0) as u32;
    byte(at) << 8 | byte(at + 1)
}

/// The hash table of earlier positions, kept per thread: zeroing 64 KiB for every
/// string (most are about a KiB) cost more than compressing it. An entry belongs to the
/// current call when it is above `base`; each call moves `base` past its own positions.
/// `scratch` holds the output of [`with_compressed`] (reused, no allocation per string).
struct PositionTable {
    slots: Vec<u32>,
    base: u32,
    scratch: Vec<u8>,
}

thread_local! {
    static TABLE: std::cell::RefCell<PositionTable> = const {
        std::cell::RefCell::new(PositionTable { slots: Vec::new(), base: 0, scratch: Vec::new() })
    };
}

/// Compresses `input` into `out` (cleared first); false when the output would not be
/// shorter than `out_bytes_max` (`out` then holds nothing useful).
fn compress_into(
    input: &[u8],
    out_bytes_max: usize,
    out: &mut Vec<u8>,
    t: &mut PositionTable,
) -> bool {
    if t.slots.is_empty() || t.base as u64 + input.len() as u64 + 1 > u32::MAX as u64 {
        t.slots.clear();
        t.slots.resize(1 << HASH_LOG, 0);
        t.base = 0;
    }
    let base = t.base;
    let ok = compress_with(input, out_bytes_max, &mut t.slots, base, out);
    t.base = base + input.len() as u32 + 1;
    ok
}

/// Compresses `input`; `None` when the output would not be shorter than `out_bytes_max`.
pub fn compress(input: &[u8], out_bytes_max: usize) -> Option<Vec<u8>> {
    with_compressed(input, out_bytes_max, <[u8]>::to_vec)
}

/// Runs `f` on the compressed form of `input` (borrowed from a per-thread buffer);
/// `None` when the output would not be shorter than `out_bytes_max`.
pub fn with_compressed<R>(
    input: &[u8],
    out_bytes_max: usize,
    f: impl FnOnce(&[u8]) -> R,
) -> Option<R> {
    TABLE.with(|t| {
        let mut t = t.borrow_mut();
        let t = &mut *t;
        let mut out = std::mem::take(&mut t.scratch);
        let ok = compress_into(input, out_bytes_max, &mut out, t);
        let r = ok.then(|| f(&out));
        t.scratch = out;
        r
    })
}

/// The number of equal leading bytes of `a` and `b`, at most `max` (both at least that
/// long), compared eight at a time.
fn common_prefix(a: &[u8], b: &[u8], max: usize) -> usize {
    let mut i = 0;
    while i + 8 <= max {
        let x = u64::from_le_bytes(a[i..i + 8].try_into().expect("8 bytes"))
            ^ u64::from_le_bytes(b[i..i + 8].try_into().expect("8 bytes"));
        if x != 0 {
            return i + (x.trailing_zeros() / 8) as usize;
        }
        i += 8;
    }
    while i < max && a[i] == b[i] {
        i += 1;
    }
    i
}

/// Appends `bytes` as literal runs of at most [`LITERAL_RUN_BYTES_MAX`].
fn put_literals(out: &mut Vec<u8>, bytes: &[u8]) {
    for run in bytes.chunks(LITERAL_RUN_BYTES_MAX) {
        out.push((run.len() - 1) as u8);
        out.extend_from_slice(run);
    }
}

/// A back reference of `len` bytes (3 to [`MATCH_BYTES_MAX`]) starting `off` bytes back.
fn put_match(out: &mut Vec<u8>, len: usize, off: usize) {
    let (l, o) = (len - 2, off - 1);
    if l < 7 {
        out.push(((l << 5) | (o >> 8)) as u8);
    } else {
        out.push(((7 << 5) | (o >> 8)) as u8);
        out.push((l - 7) as u8);
    }
    out.push(o as u8);
}

/// [`compress_into`] with the table: a slot holds `base + position + 1` for this call.
/// Literals are not copied one by one: `lit` marks where the pending run starts, and the
/// run is written when a match or the end closes it. After a match only its last two
/// positions are hashed (as liblzf's fast mode does), not every byte it covers.
fn compress_with(
    input: &[u8],
    out_bytes_max: usize,
    table: &mut [u32],
    base: u32,
    out: &mut Vec<u8>,
) -> bool {
    out.clear();
    let n = input.len();
    let mut lit = 0;
    let mut ip = 0;
    let mut v = first_two(input, 0);
    let mut probe_at = PROBE_BYTES_MIN.max(n / PROBE_DIV);
    while ip + 2 < n {
        let pending = ip - lit;
        let projected = out.len() + pending + pending / LITERAL_RUN_BYTES_MAX + 1;
        if projected >= out_bytes_max {
            return false;
        }
        if ip >= probe_at {
            if projected >= ip {
                // Nothing saved so far: the string looks incompressible.
                return false;
            }
            probe_at = usize::MAX;
        }
        // The three bytes at `ip` as one number: the last two were read for `ip - 1`.
        v = (v << 8 | input[ip + 2] as u32) & 0xff_ffff;
        let h = hash_of(v);
        let candidate = table[h];
        table[h] = base + ip as u32 + 1;
        if candidate > base {
            let r = (candidate - base - 1) as usize;
            let off = ip - r;
            if off <= OFFSET_BYTES_MAX && input[r..r + 3] == input[ip..ip + 3] {
                let max = MATCH_BYTES_MAX.min(n - ip);
                let len = 3 + common_prefix(&input[r + 3..], &input[ip + 3..], max - 3);
                put_literals(out, &input[lit..ip]);
                put_match(out, len, off);
                ip += len;
                lit = ip;
                v = first_two(input, ip);
                for p in ip - 2..ip {
                    if p + 2 < n {
                        table[hash3(input[p], input[p + 1], input[p + 2])] = base + p as u32 + 1;
                    }
                }
            } else {
                ip += 1;
            }
        } else {
            ip += 1;
        }
    }
    put_literals(out, &input[lit..]);
    out.len() < out_bytes_max
}

/// The most output LZF makes per input byte: a long back reference is 3 bytes for at
/// most 264 out. A claimed length past `input * EXPANSION_MAX` is corrupt, and refusing
/// it up front keeps a small payload from reserving the 512 MB a length may claim.
const EXPANSION_MAX: usize = 264 / 3;

/// Decompresses `input` into exactly `out_bytes` bytes; `None` when the data is corrupt.
pub fn decompress(input: &[u8], out_bytes: usize) -> Option<Vec<u8>> {
    if out_bytes > input.len().saturating_mul(EXPANSION_MAX) {
        return None;
    }
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
    fn the_expansion_bound_admits_the_densest_input() {
        // One literal, then long back references of the longest length at distance 1:
        // 3 bytes for 264 each, the most LZF can express.
        let refs = 100;
        let mut input = vec![0x00, b'a'];
        for _ in 0..refs {
            input.extend_from_slice(&[0xe0, 0xff, 0x00]);
        }
        let out_bytes = 1 + 264 * refs;
        // 1 + 264 * refs out of 2 + 3 * refs in: within the bound, but not by much (a
        // bound of 87 refuses it).
        assert_eq!(decompress(&input, out_bytes), Some(vec![b'a'; out_bytes]));
    }

    #[test]
    fn gives_up_on_an_incompressible_prefix_only() {
        let mut x = 0x2545_f491_4f6c_dd1du64;
        let mut noise = |len: usize| -> Vec<u8> {
            (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    b'0' + (x % 75) as u8
                })
                .collect()
        };
        // Random bytes: abandoned (after the probe), as LZF would fail at the end anyway.
        let random = noise(1000);
        assert!(compress(&random, random.len() - 4).is_none());
        // A repetitive tail after a short random head still compresses.
        let mut mixed = noise(100);
        mixed.extend(std::iter::repeat_n(b'a', 900));
        let c = compress(&mixed, mixed.len() - 4).expect("compresses");
        assert_eq!(decompress(&c, mixed.len()).as_deref(), Some(&mixed[..]));
        // A random head longer than the probe: stored plain (the documented cost).
        let mut late = noise(300);
        late.extend(std::iter::repeat_n(b'a', 700));
        assert!(compress(&late, late.len() - 4).is_none());
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
            let mut fresh = Vec::new();
            let fresh = compress_with(&data, len + 64, &mut vec![0; 1 << HASH_LOG], 0, &mut fresh)
                .then_some(fresh);
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
