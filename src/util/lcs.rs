//! The algorithm of the LCS command (longest common subsequence of two strings), with
//! Redis 7.0's exact results: the same dynamic-programming table, the same tie-breaking
//! when walking it back (so the same subsequence is chosen among equally long ones),
//! and the match ranges in the order Redis emits them, from the end of the strings
//! backwards.
//!
//! The table has (len(a) + 1) * (len(b) + 1) cells of 4 bytes, like Redis's; its size
//! is checked against a caller-supplied limit (Redis uses proto-max-bulk-len) before
//! anything is allocated, and the allocation itself is fallible, so huge inputs are an
//! error reply rather than an abort. Time is proportional to the table size.

/// Bytes per table cell, as in Redis (a `uint32_t`): the limit check counts
/// `(len(a) + 1) * (len(b) + 1) * LCS_CELL_BYTES`.
pub const LCS_CELL_BYTES: u64 = 4;

/// LCS on a key holding something other than a string (missing keys are "").
pub const LCS_WRONG_TYPE_ERR: &str = "ERR The specified keys must contain string values";

/// LCS with both IDX and LEN.
pub const LCS_IDX_AND_LEN_ERR: &str =
    "ERR If you want both the length and indexes, please just use IDX.";

/// Why [`lcs`] refused to run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LcsError {
    /// A string of `u32::MAX - 1` bytes or more.
    StringTooLong,
    /// The table would need more than the caller's limit.
    TableTooLarge,
    /// The table's size overflows or its allocation failed.
    OutOfMemory,
}

impl LcsError {
    /// The exact Redis error text.
    pub fn message(self) -> &'static str {
        match self {
            LcsError::StringTooLong => "ERR String too long for LCS",
            LcsError::TableTooLarge => {
                "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
            }
            LcsError::OutOfMemory => {
                "ERR Insufficient memory, failed allocating transient memory for LCS"
            }
        }
    }
}

/// One run of consecutive matching bytes: `a[a_start..=a_end]` equals
/// `b[b_start..=b_end]` (inclusive ends, as LCS IDX replies them).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LcsMatch {
    pub a_start: usize,
    pub a_end: usize,
    pub b_start: usize,
    pub b_end: usize,
    /// `a_end - a_start + 1`, the WITHMATCHLEN number.
    pub len_bytes: usize,
}

/// The result of [`lcs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Lcs {
    /// The common subsequence (the plain LCS reply); its length is the LEN reply and
    /// the "len" field of the IDX reply.
    pub text: Vec<u8>,
    /// The IDX "matches", in Redis's order (last match first), already filtered by
    /// MINMATCHLEN.
    pub matches: Vec<LcsMatch>,
}

/// Computes the LCS of `a` and `b` as Redis 7.0 does. `min_match_len` is MINMATCHLEN
/// (negative counts as 0; matches shorter than it are left out of `matches`).
/// `table_bytes_max` is the limit on the table (pass proto-max-bulk-len, 512 MB by
/// default): a table of more bytes is [`LcsError::TableTooLarge`]. Missing keys are
/// empty strings.
pub fn lcs(a: &[u8], b: &[u8], min_match_len: i64, table_bytes_max: u64) -> Result<Lcs, LcsError> {
    let table = Table::build(a, b, table_bytes_max)?;
    Ok(table.walk_back(a, b, u64::try_from(min_match_len).unwrap_or(0)))
}

/// `cells[i * width + j]` is the LCS length of `a[..i]` and `b[..j]`.
struct Table {
    cells: Vec<u32>,
    width: usize,
}

impl Table {
    fn build(a: &[u8], b: &[u8], table_bytes_max: u64) -> Result<Table, LcsError> {
        let len_max = (u32::MAX - 1) as usize;
        if a.len() >= len_max || b.len() >= len_max {
            return Err(LcsError::StringTooLong);
        }
        // Both lengths are below 2^32, so the cell count fits in a u64.
        let cells_count = (a.len() as u64 + 1) * (b.len() as u64 + 1);
        let bytes = cells_count
            .checked_mul(LCS_CELL_BYTES)
            .ok_or(LcsError::OutOfMemory)?;
        if bytes > table_bytes_max {
            return Err(LcsError::TableTooLarge);
        }
        let cells_count = usize::try_from(cells_count).map_err(|_| LcsError::OutOfMemory)?;
        let mut cells = Vec::new();
        cells
            .try_reserve_exact(cells_count)
            .map_err(|_| LcsError::OutOfMemory)?;
        cells.resize(cells_count, 0);
        let mut table = Table {
            cells,
            width: b.len() + 1,
        };
        table.fill(a, b);
        Ok(table)
    }

    /// Row 0 and column 0 stay 0; every other cell extends a diagonal match or takes
    /// the better of dropping a byte from either string.
    fn fill(&mut self, a: &[u8], b: &[u8]) {
        let width = self.width;
        for (i, &a_byte) in a.iter().enumerate() {
            let (done, rest) = self.cells.split_at_mut((i + 1) * width);
            let previous = &done[i * width..];
            let current = &mut rest[..width];
            for (j, &b_byte) in b.iter().enumerate() {
                current[j + 1] = if a_byte == b_byte {
                    previous[j] + 1
                } else {
                    previous[j + 1].max(current[j])
                };
            }
        }
    }

    fn at(&self, i: usize, j: usize) -> u32 {
        self.cells[i * self.width + j]
    }

    /// Redis's walk from (len(a), len(b)) back to an edge: on a match take the byte and
    /// extend the current run; otherwise move towards the larger neighbour (towards
    /// shorter `b` on ties) and close the run. A run is also closed when it reaches the
    /// start of either string.
    fn walk_back(&self, a: &[u8], b: &[u8], min_match_len: u64) -> Lcs {
        let len = self.at(a.len(), b.len()) as usize;
        let mut text = vec![0u8; len];
        let mut remaining = len;
        let mut matches = Vec::new();
        let mut run: Option<LcsMatch> = None;
        let (mut i, mut j) = (a.len(), b.len());
        while i > 0 && j > 0 {
            let close;
            if a[i - 1] == b[j - 1] {
                remaining -= 1;
                text[remaining] = a[i - 1];
                let current = run.get_or_insert(LcsMatch {
                    a_start: i,
                    a_end: i - 1,
                    b_start: j,
                    b_end: j - 1,
                    len_bytes: 0,
                });
                // Consecutive matches always continue the run: both indexes step back.
                current.a_start -= 1;
                current.b_start -= 1;
                current.len_bytes += 1;
                close = current.a_start == 0 || current.b_start == 0;
                i -= 1;
                j -= 1;
            } else {
                if self.at(i - 1, j) > self.at(i, j - 1) {
                    i -= 1;
                } else {
                    j -= 1;
                }
                close = run.is_some();
            }
            if close
                && let Some(done) = run.take()
                && done.len_bytes as u64 >= min_match_len
            {
                matches.push(done);
            }
        }
        Lcs { text, matches }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::util::oracle::{self, Resp};

    const MB: u64 = 1024 * 1024;
    const MB_512: u64 = 512 * MB;

    /// (a_start, a_end, b_start, b_end, len) as LCS IDX WITHMATCHLEN shows them.
    type Range = (usize, usize, usize, usize, usize);

    fn ranges(result: &Lcs) -> Vec<Range> {
        let flat = |m: &LcsMatch| (m.a_start, m.a_end, m.b_start, m.b_end, m.len_bytes);
        result.matches.iter().map(flat).collect()
    }

    /// `SET a <a>`, `SET b <b>`, then `LCS a b`, `LCS a b IDX WITHMATCHLEN` and
    /// `LCS a b IDX MINMATCHLEN 2 WITHMATCHLEN` on Redis 7.0.15.
    #[test]
    fn lcs_matches_redis() {
        type Case = (
            &'static str,
            &'static str,
            &'static str,
            &'static [Range],
            &'static [Range],
        );
        let table: &[Case] = &[
            (
                "ohmytext",
                "mynewtext",
                "mytext",
                &[(4, 7, 5, 8, 4), (2, 3, 0, 1, 2)],
                &[(4, 7, 5, 8, 4), (2, 3, 0, 1, 2)],
            ),
            ("", "", "", &[], &[]),
            ("abc", "", "", &[], &[]),
            ("abc", "abc", "abc", &[(0, 2, 0, 2, 3)], &[(0, 2, 0, 2, 3)]),
            ("abcd", "dcba", "d", &[(3, 3, 0, 0, 1)], &[]),
            ("aaaa", "aa", "aa", &[(2, 3, 0, 1, 2)], &[(2, 3, 0, 1, 2)]),
            ("ab", "ba", "b", &[(1, 1, 0, 0, 1)], &[]),
            (
                "abcabc",
                "cbacba",
                "cbc",
                &[(5, 5, 3, 3, 1), (4, 4, 1, 1, 1), (2, 2, 0, 0, 1)],
                &[],
            ),
            (
                "GTTCGA",
                "TGCATC",
                "TGA",
                &[(5, 5, 3, 3, 1), (4, 4, 1, 1, 1), (2, 2, 0, 0, 1)],
                &[],
            ),
            (
                "xAyBzC",
                "ABC",
                "ABC",
                &[(5, 5, 2, 2, 1), (3, 3, 1, 1, 1), (1, 1, 0, 0, 1)],
                &[],
            ),
            (
                "hello world",
                "yellow word",
                "ello word",
                &[(10, 10, 10, 10, 1), (5, 8, 6, 9, 4), (1, 4, 1, 4, 4)],
                &[(5, 8, 6, 9, 4), (1, 4, 1, 4, 4)],
            ),
        ];
        for &(a, b, text, all, min2) in table {
            let result = lcs(a.as_bytes(), b.as_bytes(), 0, MB_512).unwrap();
            assert_eq!(result.text, text.as_bytes(), "{a} {b}");
            assert_eq!(ranges(&result), all, "{a} {b}");
            let result = lcs(a.as_bytes(), b.as_bytes(), 2, MB_512).unwrap();
            assert_eq!(ranges(&result), min2, "{a} {b} MINMATCHLEN 2");
            assert_eq!(result.text, text.as_bytes(), "len is unfiltered");
        }
        // `LCS a b MINMATCHLEN -5 IDX WITHMATCHLEN` keeps every match.
        let result = lcs(b"ohmytext", b"mynewtext", -5, MB_512).unwrap();
        assert_eq!(ranges(&result), [(4, 7, 5, 8, 4), (2, 3, 0, 1, 2)]);
        let result = lcs(b"ohmytext", b"mynewtext", 4, MB_512).unwrap();
        assert_eq!(ranges(&result), [(4, 7, 5, 8, 4)]);
    }

    /// With `CONFIG SET proto-max-bulk-len 1mb`, `LCS a b LEN` where a and b are runs of
    /// 'x': a table of exactly 1 MiB (511 x 511) is fine, one cell more is refused.
    #[test]
    fn table_limit_matches_redis() {
        let x = |n: usize| vec![b'x'; n];
        let too_large = Err(LcsError::TableTooLarge);
        assert_eq!(lcs(&x(511), &x(511), 0, MB).map(|r| r.text.len()), Ok(511));
        assert_eq!(lcs(&x(511), &x(512), 0, MB), too_large);
        assert_eq!(lcs(&x(0), &x(300_000), 0, MB), too_large);
        assert_eq!(lcs(&x(1), &x(262_143), 0, MB), too_large);
        assert_eq!(lcs(&x(0), &x(262_143), 0, MB).map(|r| r.text.len()), Ok(0));
        assert_eq!(lcs(&x(0), &x(262_144), 0, MB), too_large);
        assert_eq!(
            LcsError::TableTooLarge.message(),
            "ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len"
        );
        assert_eq!(
            LcsError::StringTooLong.message(),
            "ERR String too long for LCS"
        );
    }

    /// splitmix64, for test inputs.
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn random_string(state: &mut u64, len_max: u64) -> Vec<u8> {
        let alphabet = 1 + next(state) % 4;
        let len = next(state) % (len_max + 1);
        (0..len)
            .map(|_| b'a' + (next(state) % alphabet) as u8)
            .collect()
    }

    fn seed() -> u64 {
        let seed = std::env::var("SHOAL_TEST_SEED")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0x1C5);
        eprintln!("seed {seed} (set SHOAL_TEST_SEED to replay)");
        seed
    }

    /// LCS length by the textbook recurrence on two rows, independent of `Table`.
    fn model_len(a: &[u8], b: &[u8]) -> usize {
        let mut previous = vec![0usize; b.len() + 1];
        for &x in a {
            let mut current = vec![0usize; b.len() + 1];
            for (j, &y) in b.iter().enumerate() {
                current[j + 1] = if x == y {
                    previous[j] + 1
                } else {
                    previous[j + 1].max(current[j])
                };
            }
            previous = current;
        }
        previous[b.len()]
    }

    #[test]
    fn results_are_consistent_with_a_model() {
        let seed = seed();
        let mut state = seed;
        for round in 0..2_000 {
            let (a, b) = (random_string(&mut state, 30), random_string(&mut state, 30));
            let context = format!("seed {seed} round {round}: {a:?} {b:?}");
            let result = lcs(&a, &b, 0, MB_512).unwrap();
            assert_eq!(result.text.len(), model_len(&a, &b), "{context}");
            // The matches, read from last to first, spell the subsequence, walk both
            // strings backwards, and each pairs equal bytes.
            let mut spelled = Vec::new();
            let mut bound = (a.len(), b.len());
            for m in &result.matches {
                assert!(m.a_end < bound.0 && m.b_end < bound.1, "{context}");
                assert_eq!(m.a_end - m.a_start, m.b_end - m.b_start, "{context}");
                assert_eq!(m.len_bytes, m.a_end - m.a_start + 1, "{context}");
                assert_eq!(a[m.a_start..=m.a_end], b[m.b_start..=m.b_end], "{context}");
                bound = (m.a_start, m.b_start);
                spelled.splice(0..0, a[m.a_start..=m.a_end].iter().copied());
            }
            assert_eq!(spelled, result.text, "{context}");
        }
    }

    fn int(reply: &Resp) -> usize {
        match reply {
            Resp::Int(v) => *v as usize,
            other => panic!("expected an integer, got {other:?}"),
        }
    }

    /// Parses `[matches, [[[as, ae], [bs, be], len], ...], len, n]`.
    fn parse_idx(reply: Resp) -> (Vec<Range>, usize) {
        let Resp::Array(Some(items)) = reply else {
            panic!("{reply:?}")
        };
        let Resp::Array(Some(matches)) = &items[1] else {
            panic!("{items:?}")
        };
        let pair = |r: &Resp| match r {
            Resp::Array(Some(p)) => (int(&p[0]), int(&p[1])),
            other => panic!("{other:?}"),
        };
        let ranges = matches
            .iter()
            .map(|m| match m {
                Resp::Array(Some(m)) => {
                    let ((a_start, a_end), (b_start, b_end)) = (pair(&m[0]), pair(&m[1]));
                    (a_start, a_end, b_start, b_end, int(&m[2]))
                }
                other => panic!("{other:?}"),
            })
            .collect();
        (ranges, int(&items[3]))
    }

    #[test]
    fn lcs_matches_redis_server() {
        let Some(mut redis) = oracle::connect() else {
            return;
        };
        let seed = seed();
        let mut state = seed;
        for round in 0..2_000 {
            let (a, b) = (random_string(&mut state, 40), random_string(&mut state, 40));
            let min = (next(&mut state) % 4) as i64;
            let min_arg = min.to_string();
            redis.call(&[b"MSET", b"shoal:lcs:a", &a, b"shoal:lcs:b", &b]);
            let context = format!("seed {seed} round {round}: {a:?} {b:?} {min}");
            let result = lcs(&a, &b, min, MB_512).unwrap();
            let text = redis.call(&[b"LCS", b"shoal:lcs:a", b"shoal:lcs:b"]);
            assert_eq!(text, Resp::Bulk(Some(result.text.clone())), "{context}");
            let idx = redis.call(&[
                b"LCS",
                b"shoal:lcs:a",
                b"shoal:lcs:b",
                b"IDX",
                b"MINMATCHLEN",
                min_arg.as_bytes(),
                b"WITHMATCHLEN",
            ]);
            assert_eq!(
                parse_idx(idx),
                (ranges(&result), result.text.len()),
                "{context}"
            );
        }
    }
}
