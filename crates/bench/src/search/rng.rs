//! A tiny deterministic generator (xorshift64), so that a seed gives the same corpus and queries everywhere.

/// Xorshift64: fast, deterministic, good enough for sampling.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        // Xorshift must not start at zero; mix the seed so nearby seeds diverge.
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// An index into a slice of `len` items.
    pub fn index(&mut self, len: usize) -> usize {
        usize::try_from(self.below(len as u64)).unwrap_or(0)
    }

    /// A rank in `0..n` with a Zipf-like distribution (rank 0 the most frequent).
    pub fn zipf(&mut self, n: u64) -> u64 {
        let u = (self.next_u64() % 1_000_000) as f64 / 1_000_000.0;
        (((n as f64).powf(u) - 1.0) as u64).min(n.saturating_sub(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_deterministic_and_in_range() {
        let (mut a, mut b) = (Rng::new(7), Rng::new(7));
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
            assert!(a.below(10) < 10);
            assert!(a.zipf(100) < 100);
            b.below(10);
            b.zipf(100);
        }
        assert_eq!(Rng::new(0).below(0), 0);
    }
}
