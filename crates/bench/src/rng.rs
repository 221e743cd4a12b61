//! A small, fast, seeded pseudo-random generator (SplitMix64): the one generator of the bench
//! workloads ([`crate::workload`]) and the benchmark data sets ([`crate::datagen`]).
//!
//! The generated data sets must be identical for a given seed on every machine and with every
//! version of every dependency, so the generator is written out here rather than taken from a
//! crate whose stream could change between releases.

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state, passes BigCrush, a few ns per value.
#[derive(Debug, Clone)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// A generator whose stream is fully determined by `seed`.
    pub fn new(seed: u64) -> Self {
        Rng { state: seed }
    }

    /// A generator for the sub-stream `stream` of `seed` (e.g. one per host), independent enough
    /// of the main stream and of the other sub-streams for benchmark data.
    pub fn derive(seed: u64, stream: u64) -> Self {
        let mut r = Rng::new(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F));
        r.next_u64();
        r
    }

    /// The next 64 random bits.
    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `0..n` (`n > 0`), by multiply-shift (Lemire); the bias is below 2^-32 for the
    /// small ranges used here.
    #[inline]
    pub fn below(&mut self, n: u32) -> u32 {
        (((self.next_u64() >> 32) * u64::from(n)) >> 32) as u32
    }

    /// A value in `0..n` (`n` of 0 is taken as 1) as the remainder of the next value: the
    /// draw of the bench workloads, whose data depends on it.
    #[inline]
    pub fn modulo(&mut self, n: u64) -> u64 {
        self.next_u64() % n.max(1)
    }

    /// A value in `lo..=hi`.
    #[inline]
    pub fn range_i32(&mut self, lo: i32, hi: i32) -> i32 {
        lo + self.below((hi - lo + 1) as u32) as i32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream() {
        let a: Vec<u64> = (0..8)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        let b: Vec<u64> = (0..8)
            .scan(Rng::new(7), |r, _| Some(r.next_u64()))
            .collect();
        assert_eq!(a, b);
        assert_ne!(Rng::new(8).next_u64(), a[0]);
    }

    #[test]
    fn known_first_value() {
        // Reference value of SplitMix64 for seed 0, so the stream never changes unnoticed.
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn ranges_stay_in_bounds() {
        let mut r = Rng::new(1);
        for _ in 0..10_000 {
            assert!(r.below(3) < 3);
            let v = r.range_i32(-5, 5);
            assert!((-5..=5).contains(&v));
        }
    }
}
