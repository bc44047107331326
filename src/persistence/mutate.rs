//! Seeded mutations of RDB bytes, for the fuzz tests of the reader: the unit tests
//! mutate whole files and old encodings, `tests/restore_fuzz.rs` mutates DUMP payloads
//! it sends to a live server. It lives here so both levels share one mutator; nothing
//! in the server calls it.

use crate::util::test_rng::Rng;

/// Mutations applied at once, at most.
const MUTATIONS_MAX: u64 = 4;

/// Applies one to [`MUTATIONS_MAX`] random mutations to `bytes`: a bit flipped, a byte
/// set to an edge value, four bytes set to 0xff, a run deleted, random bytes inserted,
/// a length that claims far more than follows (RDB's 32- and 64-bit forms and an LZF
/// header), or the end cut off.
pub fn mutate(bytes: &mut Vec<u8>, rng: &mut Rng) {
    const EDGES: [u8; 8] = [0x00, 0xff, 0x7f, 0x80, 0xfe, 0x40, 0xc0, 0x3f];
    const CLAIMS: [&[u8]; 3] = [
        &[0x80, 0x7f, 0xff, 0xff, 0xff],
        &[0x81, 0, 0, 0, 0x10, 0, 0, 0, 0],
        &[0xc3, 0x80, 0xff, 0xff, 0xff, 0x7f],
    ];
    let mutations = 1 + rng.below(MUTATIONS_MAX);
    for _ in 0..mutations {
        let at = (rng.next() as usize) % bytes.len().max(1);
        let end = |n: usize| (at + n).min(bytes.len());
        match rng.below(7) {
            0 => {
                let bit = rng.below(8);
                if let Some(b) = bytes.get_mut(at) {
                    *b ^= 1 << bit;
                }
            }
            1 => {
                let edge = EDGES[rng.below(8) as usize];
                if let Some(b) = bytes.get_mut(at) {
                    *b = edge;
                }
            }
            2 => {
                let end = end(4);
                bytes[at..end].fill(0xff);
            }
            3 => {
                let end = end(1 + rng.below(8) as usize);
                bytes.drain(at..end);
            }
            4 => {
                let n = 1 + rng.below(8);
                let inserted: Vec<u8> = (0..n).map(|_| rng.next() as u8).collect();
                bytes.splice(at..at, inserted);
            }
            5 => {
                let claim = CLAIMS[rng.below(3) as usize];
                let end = end(1);
                bytes.splice(at..end, claim.iter().copied());
            }
            _ => bytes.truncate(at),
        }
    }
}
