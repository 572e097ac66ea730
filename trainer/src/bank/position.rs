//! Position-aware memory bank (FAPM/PaDiM style), fitting half: builds the
//! [`PositionBank`] the device scores with (`edge::bank`).
//!
//! Fitting pools, for location `(y, x)`, the training patches of every image at the
//! locations within `train_radius` (Chebyshev distance, clipped at the borders: radius 1 =
//! a 3×3 window), reduces them with an exact greedy k-center coreset to
//! `entries_per_location` entries, and quantizes all banks with one per-dimension int8
//! codec fitted to all training features (the same scheme as [`Int8Bank`]).
//!
//! Always holds: every location has exactly `entries_per_location` entries (a location
//! with fewer pooled training patches repeats its coreset cyclically, which changes no
//! nearest-neighbour distance); the fit is deterministic for a seed.

use rayon::prelude::*;

use super::coreset::{greedy_coreset, CoresetConfig, CoresetSize};
use super::{location_window, BankError, F32Bank, GridShape, Int8Bank, Int8Codec, PositionBank};

/// Settings of [`FitPosition::fit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PositionBankConfig {
    /// Entries kept per location, ≥ 1 (default 16; 8–32 is typical).
    pub entries_per_location: usize,
    /// Training patches pooled from locations within this Chebyshev radius (default 1).
    pub train_radius: usize,
    /// Banks searched at test time within this Chebyshev radius (default 0).
    pub search_radius: usize,
    /// Seeds each location's coreset start point.
    pub seed: u64,
}

impl Default for PositionBankConfig {
    fn default() -> Self {
        PositionBankConfig {
            entries_per_location: 16,
            train_radius: 1,
            search_radius: 0,
            seed: 0,
        }
    }
}

/// Fitting of a [`PositionBank`] (the bank type and its scoring live in `edge::bank`;
/// import this trait to call `PositionBank::fit`).
pub trait FitPosition: Sized {
    /// Fits the banks to training images (`images × grid`, row-major per image).
    ///
    /// # Errors
    /// Shape or finiteness problems, `entries_per_location == 0`.
    fn fit(train: &[f32], grid: GridShape, config: &PositionBankConfig) -> Result<Self, BankError>;
}

impl FitPosition for PositionBank {
    fn fit(train: &[f32], grid: GridShape, config: &PositionBankConfig) -> Result<Self, BankError> {
        let images = grid.check_images(train)?;
        let entries = config.entries_per_location;
        if entries == 0 {
            return Err(BankError::InvalidParameter {
                name: "entries_per_location",
                value: 0.0,
                hint: "use ≥ 1 (8–32 is typical)",
            });
        }
        let dim = grid.dim;
        let per_image = grid.floats_per_image();
        let codec = Int8Codec::fit(train, dim)?;
        let banks: Vec<Vec<f32>> = (0..grid.cells())
            .into_par_iter()
            .map(|l| {
                let (y0, y1, x0, x1) =
                    location_window(grid, l / grid.width, l % grid.width, config.train_radius);
                let mut pool = Vec::with_capacity(images * (y1 - y0) * (x1 - x0) * dim);
                for img in train.chunks_exact(per_image) {
                    for yy in y0..y1 {
                        let row = (yy * grid.width + x0) * dim;
                        pool.extend_from_slice(&img[row..row + (x1 - x0) * dim]);
                    }
                }
                let available = pool.len() / dim;
                let coreset = greedy_coreset(
                    &pool,
                    dim,
                    &CoresetConfig {
                        size: CoresetSize::Count(entries.min(available)),
                        projection_dim: None,
                        seed: config.seed ^ (l as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    },
                    |_, _| {},
                )?;
                let mut out = Vec::with_capacity(entries * dim);
                for &i in coreset.indices.iter().cycle().take(entries) {
                    out.extend_from_slice(&pool[i * dim..(i + 1) * dim]);
                }
                Ok(out)
            })
            .collect::<Result<_, BankError>>()?;
        let all = F32Bank::new(banks.concat(), dim)?;
        PositionBank::from_parts(
            grid,
            entries,
            config.search_radius,
            Int8Bank::with_codec(&all, codec)?,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bank::NearestNeighbours;

    #[test]
    fn every_location_gets_its_entries_and_training_patches_score_near_zero() {
        let g = GridShape::new(4, 5, 2);
        let train: Vec<f32> = (0..3 * 4 * 5 * 2).map(|i| (i % 7) as f32).collect();
        // 27 entries hold every pooled training patch (3 images × at most 3×3 locations).
        let config = PositionBankConfig {
            entries_per_location: 27,
            ..PositionBankConfig::default()
        };
        let bank = PositionBank::fit(&train, g, &config).unwrap();
        assert_eq!(bank.bank().len(), 20 * 27);
        assert_eq!(bank.macs_per_frame(), 20 * 27 * 2);
        // A training patch scores (nearly) zero: it is in the bank, up to quantization.
        let map = bank.with_search_radius(1).score_map(&train[..40]).unwrap();
        assert!(map.iter().all(|&d| d < 0.05), "{map:?}");
    }
}
