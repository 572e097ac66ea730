//! The project's one pseudo-random core: SplitMix64 for seeding and hashing, xoshiro256**
//! for streams. Kept in-crate so that a seed fixes generated datasets, projection
//! matrices, coreset start points and dimension subsets forever, whatever dependency
//! versions do. [`crate::synth::rng::Rng`] (f32 draws for pixels) and
//! [`crate::bank::SeededRng`] (f64 draws for the model maths) are thin front ends on it.

/// One SplitMix64 step: advances `state` and returns a well-mixed 64-bit value.
pub fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Mixes a list of words into one hash (order matters).
pub fn hash(words: &[u64]) -> u64 {
    let mut state = 0x1234_5678_9ABC_DEF0u64;
    let mut out = 0;
    for &w in words {
        state ^= w;
        out = splitmix64(&mut state);
    }
    out
}

/// A xoshiro256** stream.
#[derive(Debug, Clone)]
pub struct Xoshiro256 {
    s: [u64; 4],
}

impl Xoshiro256 {
    /// A stream whose four state words are the next four SplitMix64 outputs from `state`.
    pub fn from_splitmix(mut state: u64) -> Self {
        let s = [
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
            splitmix64(&mut state),
        ];
        Xoshiro256 { s }
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
}
