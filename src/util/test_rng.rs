//! The seeded random numbers of the randomized model and fuzz tests, unit and integration
//! alike (xorshift64): tiny, fast and the same everywhere, so a failing seed printed by
//! one test replays exactly.
//! `SHOAL_SEED` overrides a test's default seed.

/// xorshift64; the state must not be 0 (`Rng(seed | 1)`).
pub struct Rng(pub u64);

impl Rng {
    #[allow(clippy::should_implement_trait)] // a generator, not an iterator: never ends
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// `SHOAL_SEED` when set, else `default`.
pub fn seed(default: u64) -> u64 {
    std::env::var("SHOAL_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(default)
}

/// `SHOAL_SEED` when set, else a new seed from the clock (tests print it on failure).
pub fn seed_or_clock() -> u64 {
    seed(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1)
            | 1,
    )
}
