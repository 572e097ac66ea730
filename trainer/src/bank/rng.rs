//! The module's own seeded random numbers: SplitMix64 for seeding, xoshiro256** for the
//! stream, Box–Muller for normals. Kept in-module so that a seed fixes the projection
//! matrix, the coreset's start point and the Gaussian's dimension subset forever,
//! whatever dependency versions do.

/// One SplitMix64 step: advances `state`, returns a well-mixed 64-bit value.
fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A small reproducible xoshiro256** stream. The same seed gives the same numbers on every
/// machine and build.
#[derive(Debug, Clone)]
pub struct SeededRng {
    s: [u64; 4],
}

impl SeededRng {
    /// A stream seeded from `seed` (any value, 0 included).
    pub fn new(seed: u64) -> Self {
        let mut state = seed ^ 0x6A09_E667_F3BC_C908;
        let s = [
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
        ];
        SeededRng { s }
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
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
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
