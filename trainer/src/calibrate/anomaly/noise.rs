//! Seeded 2-D value noise with fractal octaves, the raw material of DRAEM-style blob masks.
//!
//! `crate::synth`'s noise module is private to the generator, so this is a minimal copy of
//! the same construction (lattice values from [`splitmix64`], smoothstep interpolation).
//! Pure functions of (seed, x, y), values in [0, 1).

use crate::synth::rng::splitmix64;

fn lattice(seed: u64, ix: i64, iy: i64) -> f32 {
    let mut state = seed
        ^ (ix as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15)
        ^ (iy as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
    (splitmix64(&mut state) >> 40) as f32 / (1u64 << 24) as f32
}

fn smooth(t: f32) -> f32 {
    t * t * (3.0 - 2.0 * t)
}

fn value(seed: u64, x: f32, y: f32) -> f32 {
    let (fx, fy) = (x.floor(), y.floor());
    let (ix, iy) = (fx as i64, fy as i64);
    let (tx, ty) = (smooth(x - fx), smooth(y - fy));
    let a = lattice(seed, ix, iy);
    let b = lattice(seed, ix + 1, iy);
    let c = lattice(seed, ix, iy + 1);
    let d = lattice(seed, ix + 1, iy + 1);
    let top = a + (b - a) * tx;
    let bottom = c + (d - c) * tx;
    top + (bottom - top) * ty
}

/// Sum of `octaves` value-noise layers (each twice the frequency, half the amplitude),
/// normalised to [0, 1); features about one unit wide at the first octave.
pub(super) fn fbm(seed: u64, x: f32, y: f32, octaves: u32) -> f32 {
    let (mut sum, mut amp, mut norm, mut freq) = (0.0, 1.0, 0.0, 1.0);
    for o in 0..octaves {
        sum += amp * value(seed.wrapping_add(u64::from(o) * 0x9E37), x * freq, y * freq);
        norm += amp;
        amp *= 0.5;
        freq *= 2.0;
    }
    sum / norm
}
