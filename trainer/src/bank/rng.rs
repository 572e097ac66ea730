//! The bank's seeded random numbers: f64 draws (Box–Muller for normals) on the crate's one
//! PRNG core ([`crate::rng`]), so that a seed fixes the projection matrix, the coreset's
//! start point and the Gaussian's dimension subset forever.

use crate::rng::{splitmix64, Xoshiro256};

/// A small reproducible xoshiro256** stream with f64 draws. The same seed gives the same
/// numbers on every machine and build.
#[derive(Debug, Clone)]
pub struct SeededRng {
    core: Xoshiro256,
}

impl SeededRng {
    /// A stream seeded from `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        SeededRng {
            core: Xoshiro256::from_splitmix(seed ^ 0x6A09_E667_F3BC_C908),
        }
    }

    /// A stream for sub-task `index` of `seed` (e.g. one grid location), independent of
    /// the streams of other indices.
    pub fn derived(seed: u64, index: u64) -> Self {
        let mut state = seed;
        let a = splitmix64(&mut state);
        SeededRng::new(a ^ index.wrapping_mul(0xD1B5_4A32_D192_ED03))
    }

    /// Next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.core.next_u64()
    }

    /// Uniform in `[0, 1)`, 53-bit resolution.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// Uniform integer in `[0, n)`; `n` must be > 0.
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }

    /// Standard normal (Box–Muller, one value per call).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-300);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_stream_and_derived_streams_differ() {
        let a: Vec<u64> = {
            let mut r = SeededRng::new(5);
            (0..8).map(|_| r.next_u64()).collect()
        };
        let mut r = SeededRng::new(5);
        assert!(a.iter().all(|&v| v == r.next_u64()));
        assert_ne!(
            SeededRng::derived(5, 0).next_u64(),
            SeededRng::derived(5, 1).next_u64()
        );
    }

    #[test]
    fn ranges_hold_and_normals_look_standard() {
        let mut r = SeededRng::new(1);
        let n = 20_000;
        let mut sum = 0.0;
        let mut sum2 = 0.0;
        for _ in 0..n {
            assert!(r.below(7) < 7);
            let u = r.unit();
            assert!((0.0..1.0).contains(&u));
            let g = r.normal();
            sum += g;
            sum2 += g * g;
        }
        let mean = sum / n as f64;
        let var = sum2 / n as f64 - mean * mean;
        assert!(mean.abs() < 0.03, "mean {mean}");
        assert!((var - 1.0).abs() < 0.05, "var {var}");
    }
}
