//! CRC-64 as Redis computes it (Jones polynomial, reflected input and output, initial
//! value 0): the trailer of an RDB file and of a DUMP payload.

/// The Jones polynomial 0xad93d23594c935a9, bit-reversed for the reflected algorithm.
const POLY_REFLECTED: u64 = 0x95ac_9329_ac4b_c9b5;

/// `TABLES[0]` is the byte-at-a-time table; `TABLES[k]` advances a byte's contribution
/// by `k` more bytes, so eight bytes are folded per step ("slicing by 8"): a BGSAVE's
/// writer checksums the whole file, and one byte per step held it to a few hundred MB/s.
static TABLES: [[u64; 256]; 8] = build_tables();

const fn build_tables() -> [[u64; 256]; 8] {
    let mut t = [[0u64; 256]; 8];
    let mut i = 0;
    while i < 256 {
        let mut crc = i as u64;
        let mut bit = 0;
        while bit < 8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ POLY_REFLECTED
            } else {
                crc >> 1
            };
            bit += 1;
        }
        t[0][i] = crc;
        i += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut i = 0;
        while i < 256 {
            let prev = t[k - 1][i];
            t[k][i] = (prev >> 8) ^ t[0][(prev & 0xff) as usize];
            i += 1;
        }
        k += 1;
    }
    t
}

/// Continues a checksum over `bytes` (start with 0). Inputs of a few hundred bytes and
/// more go through carry-less multiplication where the CPU has it: a BGSAVE's writer
/// checksums the whole file, and at table speed (about 1.7 GiB/s here) that was as
/// much of its time as LZF, on the core the shards share with clients.
pub fn update(crc: u64, bytes: &[u8]) -> u64 {
    #[cfg(target_arch = "x86_64")]
    if bytes.len() >= clmul::BYTES_MIN && std::arch::is_x86_feature_detected!("pclmulqdq") {
        // SAFETY: the CPU was just checked for PCLMULQDQ, the one feature `clmul::update`
        // is compiled for beyond x86_64's baseline SSE2.
        return unsafe { clmul::update(crc, bytes) };
    }
    update_tables(crc, bytes)
}

/// The table form of `update`, eight bytes per step, on any CPU. Public for the
/// benchmark that compares it with the carry-less form.
pub fn update_tables(mut crc: u64, bytes: &[u8]) -> u64 {
    let t = &TABLES;
    let mut words = bytes.chunks_exact(8);
    for w in &mut words {
        let x = crc ^ u64::from_le_bytes(w.try_into().expect("8 bytes"));
        crc = t[7][(x & 0xff) as usize]
            ^ t[6][((x >> 8) & 0xff) as usize]
            ^ t[5][((x >> 16) & 0xff) as usize]
            ^ t[4][((x >> 24) & 0xff) as usize]
            ^ t[3][((x >> 32) & 0xff) as usize]
            ^ t[2][((x >> 40) & 0xff) as usize]
            ^ t[1][((x >> 48) & 0xff) as usize]
            ^ t[0][(x >> 56) as usize];
    }
    for &b in words.remainder() {
        crc = t[0][((crc ^ b as u64) & 0xff) as usize] ^ (crc >> 8);
    }
    crc
}

pub fn crc64(bytes: &[u8]) -> u64 {
    update(0, bytes)
}

/// `x^n mod P` for the Jones polynomial, bit-reversed: the form carry-less
/// multiplication of reflected values needs (see `clmul`).
const fn x_pow_mod_reflected(n: u32) -> u64 {
    // Normal (unreflected) form of P without its x^64 term.
    const POLY: u64 = POLY_REFLECTED.reverse_bits();
    let mut r: u64 = 1;
    let mut i = 0;
    while i < n {
        let carry = r >> 63;
        r <<= 1;
        if carry == 1 {
            r ^= POLY;
        }
        i += 1;
    }
    r.reverse_bits()
}

/// Carry-less-multiplication CRC (the "folding" method): 128-bit blocks of the input
/// are multiplied forward by `x^distance mod P` and added to later blocks, eight
/// independent lanes at a time, until one 128-bit block is left whose table CRC is the
/// answer.
///
/// Why the constants are `x^(d+63)` and `x^(d-1)`, not `x^(d+64)` and `x^d`: a 16-byte
/// little-endian block holds its polynomial reflected (bit `j` is the coefficient of
/// `x^(127-j)`), so its low quadword `H` is the high half: block = `H*x^64 + L`. Moving
/// it `d` bits forward gives `H*x^(d+64) + L*x^d`. The carry-less product of two
/// reflected 64-bit values is the reflected product times `x`, which the constants
/// absorb. Every product has degree at most 127 and so fits a block; the sum is
/// congruent mod P, which is all a CRC sees. Continuing from a non-zero `crc` is the
/// same as adding it to the first 8 bytes (reflected, no final XOR).
#[cfg(target_arch = "x86_64")]
mod clmul {
    use std::arch::x86_64::{
        __m128i, _mm_clmulepi64_si128, _mm_cvtsi64_si128, _mm_loadu_si128, _mm_set_epi64x,
        _mm_storeu_si128, _mm_xor_si128,
    };

    use super::{update_tables, x_pow_mod_reflected};

    const LANES: usize = 8;
    const BLOCK_BYTES: usize = 16;
    const STRIDE_BYTES: usize = LANES * BLOCK_BYTES;
    /// Shorter inputs take the table form. The fold needs one whole stride to start, and
    /// two make the lanes' set-up and final reduction a small part (1000 bytes measured
    /// 5.7x faster; shorter lengths were not measured).
    pub const BYTES_MIN: usize = 2 * STRIDE_BYTES;

    /// Multipliers that move a block forward by `distance_bits`: low quadword for the
    /// block's low quadword (its high-degree half), high for its high quadword.
    const fn keys(distance_bits: u32) -> (u64, u64) {
        (
            x_pow_mod_reflected(distance_bits + 63),
            x_pow_mod_reflected(distance_bits - 1),
        )
    }
    const KEYS_STRIDE: (u64, u64) = keys(8 * STRIDE_BYTES as u32);
    const KEYS_BLOCK: (u64, u64) = keys(8 * BLOCK_BYTES as u32);

    #[target_feature(enable = "pclmulqdq")]
    fn fold(block: __m128i, keys: __m128i) -> __m128i {
        _mm_xor_si128(
            _mm_clmulepi64_si128::<0x00>(block, keys),
            _mm_clmulepi64_si128::<0x11>(block, keys),
        )
    }

    #[target_feature(enable = "pclmulqdq")]
    fn load(block: &[u8]) -> __m128i {
        let block: &[u8; BLOCK_BYTES] = block.try_into().expect("one block");
        // SAFETY: `block` is 16 readable bytes; the load is unaligned.
        unsafe { _mm_loadu_si128(block.as_ptr().cast()) }
    }

    fn keys_vector((low, high): (u64, u64)) -> __m128i {
        // SAFETY: SSE2 is part of x86_64's baseline.
        unsafe { _mm_set_epi64x(high as i64, low as i64) }
    }

    /// # Safety
    /// The CPU must support PCLMULQDQ; `bytes` must hold at least `BYTES_MIN` bytes.
    #[target_feature(enable = "pclmulqdq")]
    pub unsafe fn update(crc: u64, bytes: &[u8]) -> u64 {
        assert!(bytes.len() >= BYTES_MIN);
        let mut strides = bytes.chunks_exact(STRIDE_BYTES);
        let first = strides.next().expect("at least one stride");
        let mut lanes: [__m128i; LANES] =
            std::array::from_fn(|i| load(&first[i * BLOCK_BYTES..][..BLOCK_BYTES]));
        lanes[0] = _mm_xor_si128(lanes[0], _mm_cvtsi64_si128(crc as i64));
        let keys_stride = keys_vector(KEYS_STRIDE);
        for stride in &mut strides {
            for (i, lane) in lanes.iter_mut().enumerate() {
                let next = load(&stride[i * BLOCK_BYTES..][..BLOCK_BYTES]);
                *lane = _mm_xor_si128(fold(*lane, keys_stride), next);
            }
        }
        let keys_block = keys_vector(KEYS_BLOCK);
        let mut acc = lanes[0];
        for lane in &lanes[1..] {
            acc = _mm_xor_si128(fold(acc, keys_block), *lane);
        }
        let mut blocks = strides.remainder().chunks_exact(BLOCK_BYTES);
        for block in &mut blocks {
            acc = _mm_xor_si128(fold(acc, keys_block), load(block));
        }
        let mut last = [0u8; BLOCK_BYTES];
        // SAFETY: `last` is 16 writable bytes; the store is unaligned.
        unsafe { _mm_storeu_si128(last.as_mut_ptr().cast(), acc) };
        update_tables(update_tables(0, &last), blocks.remainder())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytewise(crc: u64, bytes: &[u8]) -> u64 {
        bytes.iter().fold(crc, |c, &x| {
            TABLES[0][((c ^ x as u64) & 0xff) as usize] ^ (c >> 8)
        })
    }

    #[test]
    fn check_value_matches_redis() {
        assert_eq!(crc64(b"123456789"), 0xe9c6_d914_c4b8_d9ca);
        let whole = crc64(b"hello world, split");
        assert_eq!(update(update(0, b"hello wor"), b"ld, split"), whole);
        // Every split point and length against the byte-at-a-time form.
        let bytes: Vec<u8> = (0..100u32).map(|i| (i * 37 + 11) as u8).collect();
        for len in 0..bytes.len() {
            for split in 0..=len {
                let (a, b) = bytes[..len].split_at(split);
                assert_eq!(update(update(0, a), b), bytewise(0, &bytes[..len]));
            }
        }
    }

    #[test]
    fn carry_less_form_matches_the_tables() {
        // Seeded lengths around every boundary of the lanes, strides and tail, and
        // random starting values (a BGSAVE continues the checksum chunk by chunk).
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let bytes: Vec<u8> = (0..5000).map(|_| next() as u8).collect();
        for len in (0..600).chain([1024, 4095, 4096, 4097, 5000]) {
            let crc = next();
            let want = bytewise(crc, &bytes[..len]);
            assert_eq!(update(crc, &bytes[..len]), want, "len {len}");
            assert_eq!(update_tables(crc, &bytes[..len]), want, "len {len}");
        }
    }
}
