//! Reused buffers that give memory back after a burst. A connection keeps its buffers
//! between reads so the steady state allocates nothing; but one burst (a pipeline of
//! 200 large SETs) would otherwise leave every buffer at its peak for the life of the
//! connection, and with thousands of connections that adds up (Redis trims its query
//! buffers in `clientsCron` for the same reason).

/// Spare capacity a reused buffer may always keep.
pub const BUF_KEEP_BYTES: usize = 16 * 1024;

/// Empties `v` after a use that filled `used` elements, and shrinks it when its
/// capacity is both over [`BUF_KEEP_BYTES`] and over twice what this use needed: a
/// steady load keeps its buffers (no allocation per use), a burst's peak is let go at
/// the first smaller use after it.
pub fn clear_and_trim<T>(v: &mut Vec<T>) {
    let used = v.len();
    v.clear();
    let size = size_of::<T>().max(1);
    let keep = (BUF_KEEP_BYTES / size).max(2 * used);
    if v.capacity() > keep {
        v.shrink_to(keep);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steady_use_keeps_capacity_and_a_burst_is_let_go() {
        let mut v: Vec<u8> = Vec::new();
        v.extend(std::iter::repeat_n(1, 40_000));
        clear_and_trim(&mut v);
        let steady = v.capacity();
        assert!(steady >= 40_000, "the same use again needs no allocation");
        v.extend(std::iter::repeat_n(1, 30_000));
        clear_and_trim(&mut v);
        assert_eq!(v.capacity(), steady, "a similar use keeps the buffer");
        v.extend(std::iter::repeat_n(1, 100));
        clear_and_trim(&mut v);
        assert!(v.capacity() <= BUF_KEEP_BYTES, "{}", v.capacity());
        assert!(v.is_empty());
    }
}
