//! PaDiM-style Gaussian baseline, fitting half: per feature-map location the mean `μ` and
//! covariance `Σ + εI` of the training patch features (optionally of a seeded random
//! subset of the dimensions, as PaDiM does), factored by Cholesky into the
//! [`GaussianModel`] the device scores with (`edge::bank`). The bank models must beat it.
//!
//! Moments are accumulated in f64 with the unbiased `1/(N−1)` covariance (`1/N` for a
//! single image), the ridge `ε` (default 0.01, PaDiM's) is added to the diagonal, and the
//! Cholesky factor `L` (`LLᵀ = Σ + εI`) is stored packed, lower triangle row by row, in
//! f32.
//!
//! Always holds: every stored factor has a positive diagonal (a covariance that stays
//! singular is an error); the dimension subset is sorted, distinct and fixed by the seed.

use rayon::prelude::*;

use super::rng::SeededRng;
use super::{check_finite, packed_len, BankError, GaussianModel, GridShape};

/// PaDiM's covariance ridge.
pub const DEFAULT_RIDGE: f32 = 0.01;

/// Settings of [`FitGaussian::fit`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GaussianConfig {
    /// `ε` added to the covariance diagonal, finite and ≥ 0 (default 0.01).
    pub ridge: f32,
    /// Keep only this many randomly chosen dimensions (e.g. 100 of 152); `None` keeps all.
    pub reduced_dim: Option<usize>,
    /// Seeds the dimension subset.
    pub seed: u64,
}

impl Default for GaussianConfig {
    fn default() -> Self {
        GaussianConfig {
            ridge: DEFAULT_RIDGE,
            reduced_dim: None,
            seed: 0,
        }
    }
}

/// Fitting of a [`GaussianModel`] (the model type and its scoring live in `edge::bank`;
/// import this trait to call `GaussianModel::fit` / `GaussianModel::from_moments`).
pub trait FitGaussian: Sized {
    /// Fits one Gaussian per location to training images (`images × grid`).
    ///
    /// # Errors
    /// Shape or finiteness problems, a bad ridge or subset size, a covariance that stays
    /// singular.
    fn fit(train: &[f32], grid: GridShape, config: &GaussianConfig) -> Result<Self, BankError>;

    /// Builds the model from per-location means (`cells × d`) and covariances
    /// (`cells × d × d`, row-major, symmetric) over the input dimensions `selected`
    /// (sorted, distinct, `< grid.dim`), adding `ridge` to each diagonal.
    ///
    /// # Errors
    /// Length mismatches, bad `selected`, a bad ridge, a non-positive-definite matrix.
    fn from_moments(
        grid: GridShape,
        selected: Vec<u32>,
        means: Vec<f32>,
        covariances: &[f64],
        ridge: f32,
    ) -> Result<Self, BankError>;
}

impl FitGaussian for GaussianModel {
    fn fit(train: &[f32], grid: GridShape, config: &GaussianConfig) -> Result<Self, BankError> {
        let images = grid.check_images(train)?;
        let selected = select_dims(grid.dim, config.reduced_dim, config.seed)?;
        let d = selected.len();
        let cells = grid.cells();
        let per_image = grid.floats_per_image();
        let mut means = vec![0.0f32; cells * d];
        let mut covariances = vec![0.0f64; cells * d * d];
        means
            .par_chunks_mut(d)
            .zip(covariances.par_chunks_mut(d * d))
            .enumerate()
            .for_each_init(
                || vec![0.0f64; d],
                |v, (l, (mean, cov))| {
                    let mut mu = vec![0.0f64; d];
                    for img in train.chunks_exact(per_image) {
                        let x = &img[l * grid.dim..(l + 1) * grid.dim];
                        for (m, &s) in mu.iter_mut().zip(&selected) {
                            *m += f64::from(x[s as usize]);
                        }
                    }
                    mu.iter_mut().for_each(|m| *m /= images as f64);
                    for img in train.chunks_exact(per_image) {
                        let x = &img[l * grid.dim..(l + 1) * grid.dim];
                        for ((vi, &s), m) in v.iter_mut().zip(&selected).zip(&mu) {
                            *vi = f64::from(x[s as usize]) - m;
                        }
                        for i in 0..d {
                            let vi = v[i];
                            for (c, &vj) in cov[i * d..i * d + i + 1].iter_mut().zip(&v[..=i]) {
                                *c += vi * vj;
                            }
                        }
                    }
                    let norm = if images > 1 { images - 1 } else { 1 } as f64;
                    for i in 0..d {
                        for j in 0..=i {
                            let c = cov[i * d + j] / norm;
                            cov[i * d + j] = c;
                            cov[j * d + i] = c;
                        }
                    }
                    for (m, &u) in mean.iter_mut().zip(&mu) {
                        *m = u as f32;
                    }
                },
            );
        GaussianModel::from_moments(grid, selected, means, &covariances, config.ridge)
    }

    fn from_moments(
        grid: GridShape,
        selected: Vec<u32>,
        means: Vec<f32>,
        covariances: &[f64],
        ridge: f32,
    ) -> Result<Self, BankError> {
        let d = selected.len();
        let cells = grid.cells();
        if !(ridge.is_finite() && ridge >= 0.0) {
            return Err(BankError::InvalidParameter {
                name: "ridge",
                value: f64::from(ridge),
                hint: "use a finite ε ≥ 0 (PaDiM uses 0.01)",
            });
        }
        let sorted = selected.windows(2).all(|w| w[0] < w[1]);
        if d == 0 || !sorted || selected.iter().any(|&s| s as usize >= grid.dim) {
            return Err(BankError::InvalidParameter {
                name: "selected",
                value: d as f64,
                hint: "dimensions must be sorted, distinct, below the feature dimension",
            });
        }
        if means.len() != cells * d || covariances.len() != cells * d * d {
            return Err(grid.mismatch(GridShape::new(grid.height, grid.width, d), means.len()));
        }
        check_finite(&means)?;
        let factors: Vec<Vec<f32>> = covariances
            .par_chunks(d * d)
            .enumerate()
            .map(|(location, cov)| {
                cholesky(cov, d, f64::from(ridge))
                    .ok_or(BankError::NotPositiveDefinite { location, ridge })
            })
            .collect::<Result<_, _>>()?;
        GaussianModel::from_factors(grid, selected, means, factors.concat())
    }
}

/// The sorted dimension subset: all of `0..dim`, or `reduced` of them drawn from `seed`.
fn select_dims(dim: usize, reduced: Option<usize>, seed: u64) -> Result<Vec<u32>, BankError> {
    let Some(r) = reduced else {
        return Ok((0..dim as u32).collect());
    };
    if r == 0 || r > dim {
        return Err(BankError::InvalidParameter {
            name: "reduced_dim",
            value: r as f64,
            hint: "use 1..=feature dimension (PaDiM keeps 100 of its features)",
        });
    }
    let mut all: Vec<u32> = (0..dim as u32).collect();
    let mut rng = SeededRng::derived(seed, 0x4449_4D53);
    for i in 0..r {
        let j = i + rng.below(dim - i);
        all.swap(i, j);
    }
    let mut out = all[..r].to_vec();
    out.sort_unstable();
    Ok(out)
}

/// Packed lower Cholesky factor of `cov + ridge·I` (`d × d`, row-major), or `None` if not
/// positive definite (or not finite).
fn cholesky(cov: &[f64], d: usize, ridge: f64) -> Option<Vec<f32>> {
    let mut l = vec![0.0f64; packed_len(d)];
    for i in 0..d {
        for j in 0..=i {
            let mut s = cov[i * d + j] + if i == j { ridge } else { 0.0 };
            for k in 0..j {
                s -= l[packed_len(i) + k] * l[packed_len(j) + k];
            }
            if i == j {
                if !(s > 0.0 && s.is_finite()) {
                    return None;
                }
                l[packed_len(i) + i] = s.sqrt();
            } else {
                l[packed_len(i) + j] = s / l[packed_len(j) + j];
            }
        }
    }
    let out: Vec<f32> = l.iter().map(|&v| v as f32).collect();
    let diag_ok = (0..d).all(|i| out[packed_len(i) + i] > 0.0);
    (diag_ok && out.iter().all(|v| v.is_finite())).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dimension_subsets_are_sorted_distinct_and_seeded() {
        let a = select_dims(152, Some(100), 7).unwrap();
        assert_eq!(a.len(), 100);
        assert!(a.windows(2).all(|w| w[0] < w[1]) && a[99] < 152);
        assert_eq!(a, select_dims(152, Some(100), 7).unwrap());
        assert_ne!(a, select_dims(152, Some(100), 8).unwrap());
        assert!(select_dims(4, Some(5), 0).is_err());
    }

    #[test]
    fn cholesky_reconstructs_and_rejects_indefinite() {
        let cov = [4.0, 2.0, 2.0, 3.0];
        let l = cholesky(&cov, 2, 0.0).unwrap();
        assert_eq!(l, vec![2.0, 1.0, 2.0f32.sqrt()]);
        assert!(cholesky(&[1.0, 2.0, 2.0, 1.0], 2, 0.0).is_none());
    }
}
