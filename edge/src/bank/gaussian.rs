//! PaDiM-style Gaussian baseline, device half: per feature-map location a mean `μ` and the
//! packed lower Cholesky factor `L` of `Σ + εI` (`LLᵀ = Σ + εI`, lower triangle row by
//! row, f32), and the Mahalanobis distance `√((x − μ)ᵀ (Σ + εI)⁻¹ (x − μ))` as patch
//! score, computed by forward substitution `Lz = x − μ` in f64 and returned as `‖z‖`.
//! Fitting (moments, ridge, Cholesky) lives in the trainer, which builds the model with
//! [`GaussianModel::from_factors`].
//!
//! Always holds: every model has `d ≥ 1` selected dimensions, sorted, distinct and below
//! the feature dimension, finite means and factors, and a positive Cholesky diagonal
//! (checked by [`GaussianModel::from_factors`] and by decoding); a frame costs
//! [`GaussianModel::macs_per_frame`] = `cells × (d + d(d+1)/2)`.

use rayon::prelude::*;

use super::shape::{check_finite, GridShape};
use super::BankError;

/// Per-location Gaussians over one feature grid.
#[derive(Debug, Clone, PartialEq)]
pub struct GaussianModel {
    pub(crate) grid: GridShape,
    /// Input dimensions used, sorted.
    pub(crate) selected: Vec<u32>,
    /// `cells × d` means.
    pub(crate) means: Vec<f32>,
    /// `cells × d(d+1)/2` packed lower Cholesky factors.
    pub(crate) factors: Vec<f32>,
}

/// Packed length of a `d × d` lower triangle, `d(d+1)/2`; row `i` starts at
/// `packed_len(i)`.
#[must_use]
pub fn packed_len(d: usize) -> usize {
    d * (d + 1) / 2
}

/// `selected` is non-empty, sorted, distinct and below `dim`.
pub(crate) fn selected_ok(selected: &[u32], dim: usize) -> bool {
    !selected.is_empty()
        && selected.windows(2).all(|w| w[0] < w[1])
        && selected.iter().all(|&s| (s as usize) < dim)
}

/// Every packed `d × d` factor in `factors` has a positive diagonal.
pub(crate) fn diagonals_positive(factors: &[f32], d: usize) -> bool {
    factors
        .chunks_exact(packed_len(d))
        .all(|l| (0..d).all(|i| l[packed_len(i) + i] > 0.0))
}

impl GaussianModel {
    /// Builds the model from its parts: the input dimensions `selected` (sorted, distinct,
    /// `< grid.dim`, `d` of them), `means` (`cells × d`) and packed lower Cholesky
    /// `factors` (`cells × d(d+1)/2`, positive diagonals), all finite.
    ///
    /// # Errors
    /// [`BankError::InvalidParameter`] for a bad `selected` or a non-positive diagonal,
    /// [`BankError::GridMismatch`] for wrong lengths, [`BankError::NonFinite`].
    pub fn from_factors(
        grid: GridShape,
        selected: Vec<u32>,
        means: Vec<f32>,
        factors: Vec<f32>,
    ) -> Result<Self, BankError> {
        let d = selected.len();
        if !selected_ok(&selected, grid.dim) {
            return Err(BankError::InvalidParameter {
                name: "selected",
                value: d as f64,
                hint: "dimensions must be sorted, distinct, below the feature dimension",
            });
        }
        let cells = grid.cells();
        if means.len() != cells * d || factors.len() != cells * packed_len(d) {
            return Err(grid.mismatch(GridShape::new(grid.height, grid.width, d), means.len()));
        }
        check_finite(&means)?;
        check_finite(&factors)?;
        if !diagonals_positive(&factors, d) {
            return Err(BankError::InvalidParameter {
                name: "factors",
                value: 0.0,
                hint: "every Cholesky diagonal must be positive",
            });
        }
        Ok(GaussianModel {
            grid,
            selected,
            means,
            factors,
        })
    }

    /// The feature grid this model scores.
    pub fn grid(&self) -> GridShape {
        self.grid
    }

    /// Input dimensions used, sorted.
    pub fn selected_dims(&self) -> &[u32] {
        &self.selected
    }

    /// Serialised size in bytes.
    pub fn byte_size(&self) -> usize {
        super::codec::GAUSSIAN_HEADER
            + 4 * (self.selected.len() + self.means.len() + self.factors.len())
    }

    /// Multiply-accumulates per frame: centring plus forward substitution.
    pub fn macs_per_frame(&self) -> u64 {
        let d = self.selected.len() as u64;
        self.grid.cells() as u64 * (d + d * (d + 1) / 2)
    }

    /// Mahalanobis distance of feature vector `x` (`grid.dim` values) at row-major
    /// location `location`; `None` for a bad location or length.
    pub fn mahalanobis(&self, location: usize, x: &[f32]) -> Option<f32> {
        if location >= self.grid.cells() || x.len() != self.grid.dim {
            return None;
        }
        let mut z = vec![0.0f64; self.selected.len()];
        Some(self.mahalanobis_with(location, x, &mut z))
    }

    fn mahalanobis_with(&self, location: usize, x: &[f32], z: &mut [f64]) -> f32 {
        let d = self.selected.len();
        let mean = &self.means[location * d..(location + 1) * d];
        let l = &self.factors[location * packed_len(d)..(location + 1) * packed_len(d)];
        let mut sum = 0.0f64;
        for i in 0..d {
            let row = &l[packed_len(i)..packed_len(i + 1)];
            let mut acc = f64::from(x[self.selected[i] as usize] - mean[i]);
            for (&lij, &zj) in row[..i].iter().zip(&z[..i]) {
                acc -= f64::from(lij) * zj;
            }
            z[i] = acc / f64::from(row[i]);
            sum += z[i] * z[i];
        }
        sum.sqrt() as f32
    }

    /// Patch-score map of one image: `height × width` Mahalanobis distances, row-major.
    ///
    /// # Errors
    /// Grid mismatch or non-finite features.
    pub fn score_map(&self, patches: &[f32]) -> Result<Vec<f32>, BankError> {
        let mut out = vec![0.0f32; self.grid.cells()];
        self.score_map_into(patches, &mut out)?;
        Ok(out)
    }

    /// [`GaussianModel::score_map`] into a caller buffer of `height × width`.
    ///
    /// # Errors
    /// Grid mismatch, non-finite features, a wrong buffer length.
    pub fn score_map_into(&self, patches: &[f32], out: &mut [f32]) -> Result<(), BankError> {
        self.grid.check_one_image(patches)?;
        self.grid.check_map_output(out)?;
        out.par_iter_mut()
            .zip(patches.par_chunks_exact(self.grid.dim))
            .enumerate()
            .for_each_init(
                || vec![0.0f64; self.selected.len()],
                |z, (l, (o, x))| *o = self.mahalanobis_with(l, x, z),
            );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_validated() {
        let grid = GridShape::new(1, 1, 2);
        let ok = GaussianModel::from_factors(grid, vec![0, 1], vec![0.0; 2], vec![1.0, 0.0, 1.0]);
        let m = ok.unwrap();
        assert_eq!(m.mahalanobis(0, &[3.0, 4.0]), Some(5.0));
        assert!(GaussianModel::from_factors(grid, vec![1, 0], vec![0.0; 2], vec![1.0; 3]).is_err());
        assert!(GaussianModel::from_factors(grid, vec![0, 2], vec![0.0; 2], vec![1.0; 3]).is_err());
        assert!(GaussianModel::from_factors(grid, vec![0, 1], vec![0.0; 2], vec![1.0; 2]).is_err());
        assert!(
            GaussianModel::from_factors(grid, vec![0, 1], vec![0.0; 2], vec![1.0, 0.0, 0.0])
                .is_err()
        );
    }
}
