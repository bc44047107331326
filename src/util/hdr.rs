//! A latency histogram with the layout Redis 7 gives each command for
//! `latency-tracking`: an HdrHistogram of values from 1 ns to 1 s at two significant
//! digits. Values below 256 have buckets of 1; above, each power of two is split into
//! 128 equal buckets, so a bucket is at most 1/128 of its value wide. With the same
//! layout, INFO latencystats and LATENCY HISTOGRAM report the same bucket bounds
//! Redis reports for the same durations (`p50=8.031` for 8 µs).
//!
//! Counts only: no allocation after [`LatencyHistogram::new`], recording is a few bit
//! operations, and every loop is bounded by [`COUNTS_LEN`].

/// Smallest value kept (smaller ones count as this), in nanoseconds.
pub const VALUE_NS_MIN: u64 = 1;
/// Largest value kept (larger ones count as this), in nanoseconds.
pub const VALUE_NS_MAX: u64 = 1_000_000_000;
/// Buckets per power of two above the first 256 values.
const SUB_BUCKETS_HALF: usize = 128;
const SUB_BUCKETS_HALF_MAGNITUDE: u32 = 7;
/// Values under 256 have buckets of one.
const SUB_BUCKET_MASK: u64 = 255;
/// Powers of two needed to reach [`VALUE_NS_MAX`]: 256 << 22 is over 10^9.
const BUCKETS: usize = 23;
/// Counters in one histogram (3072, 24 KiB).
pub const COUNTS_LEN: usize = (BUCKETS + 1) * SUB_BUCKETS_HALF;

#[derive(Clone)]
pub struct LatencyHistogram {
    counts: Box<[u64]>,
    total: u64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        Self::new()
    }
}

impl LatencyHistogram {
    pub fn new() -> LatencyHistogram {
        LatencyHistogram {
            counts: vec![0; COUNTS_LEN].into_boxed_slice(),
            total: 0,
        }
    }

    /// Counts one value, clamped to [`VALUE_NS_MIN`]..=[`VALUE_NS_MAX`].
    #[inline]
    pub fn record(&mut self, value_ns: u64) {
        let value = value_ns.clamp(VALUE_NS_MIN, VALUE_NS_MAX);
        self.counts[counts_index(value)] += 1;
        self.total += 1;
    }

    /// Values recorded.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Adds `other`'s counts (another thread's histogram of the same command).
    pub fn add(&mut self, other: &LatencyHistogram) {
        for (mine, theirs) in self.counts.iter_mut().zip(other.counts.iter()) {
            *mine += theirs;
        }
        self.total += other.total;
    }

    /// The value at `percentile` (0 to 100), as HdrHistogram answers it: the highest
    /// value of the bucket holding the value at that rank (the lowest, for 0). Zero when
    /// empty.
    pub fn value_at_percentile(&self, percentile: f64) -> u64 {
        let requested = percentile.min(100.0);
        // C's truncating cast of a rounded rank, at least the first value.
        let rank = ((requested / 100.0 * self.total as f64 + 0.5) as u64).max(1);
        let mut seen = 0;
        for (index, &count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let value = value_at_index(index);
                return if percentile == 0.0 {
                    lowest_equivalent(value)
                } else {
                    highest_equivalent(value)
                };
            }
        }
        0
    }

    /// The cumulative distribution at powers of two from 1024 ns (HdrHistogram's
    /// logarithmic iteration, base 2): for each level the highest value of the bucket
    /// where the walk stood, and how many values were at or under it. Levels that add
    /// nothing are left out, as LATENCY HISTOGRAM leaves them out.
    pub fn log2_cumulative(&self) -> Vec<(u64, u64)> {
        let mut out = Vec::new();
        let mut level = 1024u64;
        // The walk: the index it stands on (none yet), and the counts up to it.
        let mut index: Option<usize> = None;
        let mut cumulative = 0u64;
        let mut reported = 0u64;
        loop {
            let next = index.map_or(0, |i| i + 1);
            let more_counts = cumulative < self.total;
            let next_past_level = next < COUNTS_LEN && value_at_index(next) > level_floor(level);
            if !more_counts && !next_past_level {
                return out;
            }
            // Walk to the first bucket at or past the level.
            loop {
                let value = index.map_or(0, value_at_index);
                if index.is_some() && value >= level_floor(level) {
                    if cumulative > reported {
                        out.push((highest_equivalent(value), cumulative));
                        reported = cumulative;
                    }
                    level = level.saturating_mul(2);
                    break;
                }
                let next = index.map_or(0, |i| i + 1);
                if next >= COUNTS_LEN {
                    if cumulative > reported {
                        out.push((highest_equivalent(value), cumulative));
                    }
                    return out;
                }
                index = Some(next);
                cumulative += self.counts[next];
            }
        }
    }
}

/// The lowest value of the bucket of `level` (arithmetic only: levels run past the
/// last bucket).
fn level_floor(level: u64) -> u64 {
    lowest_equivalent(level)
}

/// The power of two band of `value` (0 for values under 256).
fn bucket_index(value: u64) -> u32 {
    (64 - (value | SUB_BUCKET_MASK).leading_zeros()) - (SUB_BUCKETS_HALF_MAGNITUDE + 1)
}

fn counts_index(value: u64) -> usize {
    let bucket = bucket_index(value);
    let sub_bucket = (value >> bucket) as usize;
    ((bucket as usize + 1) << SUB_BUCKETS_HALF_MAGNITUDE) + sub_bucket - SUB_BUCKETS_HALF
}

fn value_at_index(index: usize) -> u64 {
    let mut bucket = (index >> SUB_BUCKETS_HALF_MAGNITUDE) as i64 - 1;
    let mut sub_bucket = (index & (SUB_BUCKETS_HALF - 1)) + SUB_BUCKETS_HALF;
    if bucket < 0 {
        sub_bucket -= SUB_BUCKETS_HALF;
        bucket = 0;
    }
    (sub_bucket as u64) << bucket
}

fn lowest_equivalent(value: u64) -> u64 {
    let bucket = bucket_index(value);
    (value >> bucket) << bucket
}

fn highest_equivalent(value: u64) -> u64 {
    lowest_equivalent(value) + (1 << bucket_index(value)) - 1
}

#[cfg(test)]
mod tests {
    use super::*;

    fn of(values_ns: &[u64]) -> LatencyHistogram {
        let mut h = LatencyHistogram::new();
        for &v in values_ns {
            h.record(v);
        }
        h
    }

    #[test]
    fn bucket_bounds_are_hdr_histograms() {
        // Below 256 each value is its own bucket; 8000 ns sits in a bucket of 32.
        assert_eq!(
            (lowest_equivalent(200), highest_equivalent(200)),
            (200, 200)
        );
        assert_eq!(
            (lowest_equivalent(8000), highest_equivalent(8000)),
            (8000, 8031)
        );
        assert_eq!(highest_equivalent(11_000), 11_007);
        assert_eq!(highest_equivalent(32_000), 32_127);
        for value in [1, 255, 256, 1000, 8191, 8192, 123_456_789, VALUE_NS_MAX] {
            let index = counts_index(value);
            assert!(index < COUNTS_LEN, "{value}");
            assert_eq!(
                lowest_equivalent(value_at_index(index)),
                lowest_equivalent(value)
            );
        }
    }

    /// Redis 7.0.15, `latency-tracking-info-percentiles "0 50 99.99 100"`, after SETs
    /// of 1, 3 and 6 µs: `p0=1.000,p50=3.007,p99.99=6.015,p100=6.015`.
    #[test]
    fn percentiles_match_redis() {
        let h = of(&[1000, 3000, 6000]);
        let at: Vec<u64> = [0.0, 50.0, 99.99, 100.0]
            .iter()
            .map(|&p| h.value_at_percentile(p))
            .collect();
        assert_eq!(at, [1000, 3007, 6015, 6015]);
        let two = of(&[8000, 11_000]);
        assert_eq!(two.value_at_percentile(50.0), 8031);
        assert_eq!(two.value_at_percentile(99.0), 11_007);
        assert_eq!(LatencyHistogram::new().value_at_percentile(50.0), 0);
    }

    /// Redis 7.0.15's LATENCY HISTOGRAM for the same runs: `1 1 4 2 8 3` (µs, calls)
    /// and, for one 32 µs CONFIG RESETSTAT, `33 1`.
    #[test]
    fn log2_levels_match_redis() {
        let us = |h: &LatencyHistogram| -> Vec<(u64, u64)> {
            h.log2_cumulative()
                .into_iter()
                .map(|(ns, n)| (ns / 1000, n))
                .collect()
        };
        assert_eq!(us(&of(&[1000, 3000, 6000])), [(1, 1), (4, 2), (8, 3)]);
        assert_eq!(us(&of(&[32_000])), [(33, 1)]);
        assert_eq!(us(&of(&[8000, 11_000])), [(8, 1), (16, 2)]);
        assert!(LatencyHistogram::new().log2_cumulative().is_empty());
        // Values under the first level count at the first level.
        assert_eq!(us(&of(&[1, 500])), [(1, 2)]);
    }

    #[test]
    fn extremes_clamp_and_threads_add_up() {
        let mut h = of(&[0, u64::MAX, VALUE_NS_MAX]);
        assert_eq!(h.value_at_percentile(0.0), 1);
        assert!(h.value_at_percentile(100.0) >= VALUE_NS_MAX);
        let last = *h.log2_cumulative().last().unwrap();
        assert_eq!(last.1, 3);
        h.add(&of(&[5000]));
        assert_eq!(h.total(), 4);
        assert_eq!(h.log2_cumulative().iter().map(|l| l.1).max(), Some(4));
    }
}
