//! Johnson–Lindenstrauss random projection: a seeded Gaussian matrix `R` (`out_dim × dim`,
//! entries N(0, 1/out_dim)) maps each row `x` to `R x`, so squared distances are preserved
//! in expectation and, with high probability, within a small relative error for
//! `out_dim ≈ 128`. Used only to speed up the coreset selection; banks always keep the
//! original features.
//!
//! Always holds: the matrix depends only on `(dim, out_dim, seed)`; rows are projected in
//! parallel and independently, so the result does not depend on thread count.

use rayon::prelude::*;

use super::rng::SeededRng;
use edge::bank::kernels::dot_f32;

/// A seeded Gaussian projection from `dim` to `out_dim` components.
#[derive(Debug, Clone)]
pub struct RandomProjection {
    dim: usize,
    out_dim: usize,
    /// Row-major `out_dim × dim`.
    matrix: Vec<f32>,
}

impl RandomProjection {
    /// Draws the matrix for `dim → out_dim` from `seed`. Both dimensions must be ≥ 1.
    pub fn new(dim: usize, out_dim: usize, seed: u64) -> Self {
        let mut rng = SeededRng::derived(seed, 0x5052_4F4A);
        let sd = 1.0 / (out_dim.max(1) as f64).sqrt();
        let matrix = (0..dim * out_dim)
            .map(|_| (rng.normal() * sd) as f32)
            .collect();
        RandomProjection {
            dim,
            out_dim,
            matrix,
        }
    }

    /// Input dimension.
    pub fn dim(&self) -> usize {
        self.dim
    }

    /// Output dimension.
    pub fn out_dim(&self) -> usize {
        self.out_dim
    }

    /// Projects one row: `out = R x`. `x.len() == dim`, `out.len() == out_dim`.
    pub fn project_row(&self, x: &[f32], out: &mut [f32]) {
        if self.dim == 0 {
            out.fill(0.0);
            return;
        }
        for (o, r) in out.iter_mut().zip(self.matrix.chunks_exact(self.dim)) {
            *o = dot_f32(r, x);
        }
    }

    /// Projects every row of `data` (`rows × dim`, row-major; a partial last row is
    /// ignored) in parallel. Empty when either dimension is 0.
    pub fn project(&self, data: &[f32]) -> Vec<f32> {
        if self.dim == 0 || self.out_dim == 0 {
            return Vec::new();
        }
        let rows = data.len() / self.dim;
        let mut out = vec![0.0; rows * self.out_dim];
        out.par_chunks_mut(self.out_dim * 256)
            .zip(data[..rows * self.dim].par_chunks(self.dim * 256))
            .for_each(|(o, x)| {
                for (orow, xrow) in o
                    .chunks_exact_mut(self.out_dim)
                    .zip(x.chunks_exact(self.dim))
                {
                    self.project_row(xrow, orow);
                }
            });
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use edge::bank::kernels::sq_l2;

    #[test]
    fn projection_roughly_preserves_distances_and_is_seeded() {
        let dim = 152;
        let mut rng = SeededRng::new(3);
        let data: Vec<f32> = (0..dim * 20).map(|_| rng.normal() as f32).collect();
        let p = RandomProjection::new(dim, 128, 9);
        let y = p.project(&data);
        assert_eq!(y, RandomProjection::new(dim, 128, 9).project(&data));
        assert!(RandomProjection::new(0, 4, 1).project(&data).is_empty());
        assert!(RandomProjection::new(dim, 0, 1).project(&data).is_empty());
        for i in 1..20 {
            let a = sq_l2(&data[..dim], &data[i * dim..(i + 1) * dim]);
            let b = sq_l2(&y[..128], &y[i * 128..(i + 1) * 128]);
            let ratio = b / a;
            assert!((0.6..1.4).contains(&ratio), "distance ratio {ratio}");
        }
    }
}
