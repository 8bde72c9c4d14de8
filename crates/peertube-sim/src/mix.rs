//! Stateless pseudo-randomness: every value is a splitmix64 hash of (seed, instance, item, field tag).

/// The splitmix64 finaliser: a good 64-bit mixer.
pub(crate) const fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// One hash of the four coordinates of a generated value.
pub(crate) const fn hash4(seed: u64, instance: u64, item: u64, tag: u64) -> u64 {
    mix64(mix64(mix64(mix64(seed) ^ instance) ^ item.rotate_left(17)) ^ tag.rotate_left(41))
}

/// Field tags, so that two fields of one item never share their randomness.
pub(crate) mod tag {
    pub(crate) const SIZE_RANK: u64 = 1;
    pub(crate) const FAULT_RANK: u64 = 2;
    pub(crate) const FAULT_MODE: u64 = 3;
    pub(crate) const INSTANCE: u64 = 4;
    pub(crate) const FOLLOWS: u64 = 5;
    pub(crate) const UUID_KEY: u64 = 6;
    pub(crate) const VIDEO: u64 = 10;
    pub(crate) const VIDEO_TEXT: u64 = 11;
    pub(crate) const VIDEO_DATES: u64 = 12;
    pub(crate) const VIDEO_STATS: u64 = 13;
    pub(crate) const CHANNEL: u64 = 20;
    pub(crate) const ACCOUNT: u64 = 21;
    pub(crate) const PLAYLIST: u64 = 22;
    pub(crate) const IMAGE: u64 = 30;
    pub(crate) const CHURN: u64 = 40;
    pub(crate) const FAULT_PICK: u64 = 41;
}

/// A short deterministic stream of random values for one item.
#[derive(Debug, Clone)]
pub(crate) struct Dice {
    state: u64,
}

impl Dice {
    pub(crate) const fn new(seed: u64, instance: u64, item: u64, tag: u64) -> Self {
        Self {
            state: hash4(seed, instance, item, tag),
        }
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        mix64(self.state)
    }

    /// A value in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: unbiased enough for content generation.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A value in `lo..=hi`.
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// A float in `[0, 1)`.
    pub(crate) fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// One of the words (a non-generic `pick`, so `&&str` never needs spelling out).
    pub(crate) fn word<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dice_is_deterministic_and_in_range() {
        let mut a = Dice::new(1, 2, 3, 4);
        let mut b = Dice::new(1, 2, 3, 4);
        for _ in 0..100 {
            let x = a.below(7);
            assert_eq!(x, b.below(7));
            assert!(x < 7);
        }
        assert_ne!(hash4(1, 2, 3, 4), hash4(1, 2, 3, 5));
        assert_ne!(hash4(1, 2, 3, 4), hash4(2, 2, 3, 4));
    }
}
