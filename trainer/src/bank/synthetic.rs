//! Deterministic stand-in patch features for tests and benchmarks, shaped like locally
//! averaged CNN activations: non-negative and skewed (ReLU of a Gaussian mixture with
//! per-dimension log-normal scales, so about a third of the values are exactly 0 and
//! the rest have a long right tail).
//!
//! [`SyntheticFeatures::sample`] draws nominal vectors (a mixture of prototypes plus
//! noise), [`SyntheticFeatures::anomalies`] draws vectors pushed far out along a random
//! quarter of the dimensions, and [`SyntheticFeatures::grid_images`] draws per-image patch
//! grids whose nominal content depends on the location (blocks of 4×4 locations share a
//! prototype, plus a smooth positional term), as for parts in a fixed fixture.
//!
//! Always holds: the same seeds give the same floats; every value is finite and ≥ 0.

use super::rng::SeededRng;
use super::GridShape;

/// Prototypes in the mixture.
const PROTOTYPES: usize = 32;

/// A fixed synthetic feature distribution.
#[derive(Debug, Clone)]
pub struct SyntheticFeatures {
    dim: usize,
    scale: Vec<f32>,
    prototypes: Vec<f32>,
    phase: Vec<f32>,
    noise: f32,
}

impl SyntheticFeatures {
    /// The distribution for `dim` features drawn from `seed`.
    pub fn new(dim: usize, seed: u64) -> Self {
        let mut rng = SeededRng::derived(seed, 1);
        let scale: Vec<f32> = (0..dim)
            .map(|_| (0.5 * rng.normal()).exp() as f32)
            .collect();
        let prototypes = (0..PROTOTYPES * dim)
            .map(|i| scale[i % dim] * rng.normal() as f32)
            .collect();
        let phase = (0..dim * 3).map(|_| (rng.unit() * 6.3) as f32).collect();
        SyntheticFeatures {
            dim,
            scale,
            prototypes,
            phase,
            noise: 0.25,
        }
    }

    /// Feature dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    fn draw_around(&self, centre: impl Fn(usize) -> f32, rng: &mut SeededRng, out: &mut Vec<f32>) {
        for d in 0..self.dim {
            let v = centre(d) + self.noise * self.scale[d] * rng.normal() as f32;
            out.push(v.max(0.0));
        }
    }

    /// `n` nominal vectors (`n × dim`) drawn with `seed`.
    pub fn sample(&self, n: usize, seed: u64) -> Vec<f32> {
        let mut rng = SeededRng::derived(seed, 2);
        let mut out = Vec::with_capacity(n * self.dim);
        for _ in 0..n {
            let p = rng.below(PROTOTYPES);
            let proto = &self.prototypes[p * self.dim..(p + 1) * self.dim];
            self.draw_around(|d| proto[d], &mut rng, &mut out);
        }
        out
    }

    /// `n` anomalous vectors: nominal draws with a random quarter of the dimensions pushed
    /// up by 2–5 of that dimension's scales.
    pub fn anomalies(&self, n: usize, seed: u64) -> Vec<f32> {
        let mut out = self.sample(n, seed);
        let mut rng = SeededRng::derived(seed, 3);
        for row in out.chunks_exact_mut(self.dim) {
            anomalise(row, &self.scale, &mut rng);
        }
        out
    }

    /// Pushes a random quarter of the dimensions of `row` (one vector) up by 2–5 scales.
    pub fn make_anomalous(&self, row: &mut [f32], seed: u64) {
        anomalise(row, &self.scale, &mut SeededRng::derived(seed, 4));
    }

    /// The nominal centre of location `(y, x)` (before noise and ReLU).
    fn location_centre(&self, y: usize, x: usize, d: usize) -> f32 {
        let p = ((y / 4) * 7 + (x / 4) * 3) % PROTOTYPES;
        let ph = &self.phase[d * 3..d * 3 + 3];
        let wave = (y as f32 * 0.35 + ph[0]).sin() + (x as f32 * 0.35 + ph[1]).cos();
        self.prototypes[p * self.dim + d] + 0.5 * self.scale[d] * wave
    }

    /// `images` nominal patch grids (`images × grid.height × grid.width × dim`).
    /// `grid.dim` must equal [`SyntheticFeatures::dim`].
    pub fn grid_images(&self, grid: GridShape, images: usize, seed: u64) -> Vec<f32> {
        let mut out = Vec::with_capacity(images * grid.floats_per_image());
        for i in 0..images {
            let mut rng = SeededRng::derived(seed, 100 + i as u64);
            for y in 0..grid.height {
                for x in 0..grid.width {
                    self.draw_around(|d| self.location_centre(y, x, d), &mut rng, &mut out);
                }
            }
        }
        out
    }
}

fn anomalise(row: &mut [f32], scale: &[f32], rng: &mut SeededRng) {
    for (v, &s) in row.iter_mut().zip(scale) {
        if rng.below(4) == 0 {
            *v += s * (2.0 + 3.0 * rng.unit() as f32);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_are_non_negative_skewed_and_reproducible() {
        let f = SyntheticFeatures::new(16, 1);
        let a = f.sample(500, 2);
        assert_eq!(a, f.sample(500, 2));
        assert!(a.iter().all(|v| v.is_finite() && *v >= 0.0));
        let zeros = a.iter().filter(|v| **v == 0.0).count() as f32 / a.len() as f32;
        assert!((0.15..0.6).contains(&zeros), "zero fraction {zeros}");
        let g = f.grid_images(GridShape::new(3, 5, 16), 2, 9);
        assert_eq!(g.len(), 2 * 3 * 5 * 16);
    }
}
