//! Position-aware memory bank (FAPM/PaDiM style) for fixtures where parts sit in a fixed
//! place: one small bank per feature-map location instead of one global bank.
//!
//! Fitting pools, for location `(y, x)`, the training patches of every image at the
//! locations within `train_radius` (Chebyshev distance, clipped at the borders: radius 1 =
//! a 3×3 window), reduces them with an exact greedy k-center coreset to
//! `entries_per_location` entries, and quantizes all banks with one per-dimension int8
//! codec fitted to all training features (the same scheme as [`Int8Bank`]). Scoring at
//! `(y, x)` is the Euclidean distance to the nearest entry among the banks of locations
//! within `search_radius` of `(y, x)` (0 = its own bank only), found like [`Int8Bank`]'s
//! search: an integer scan for candidates, exact re-ranking on the dequantized entries.
//!
//! Always holds: every location has exactly `entries_per_location` entries (a location
//! with fewer pooled training patches repeats its coreset cyclically, which changes no
//! nearest-neighbour distance); bank rows of location `l = y * width + x` are
//! `l * entries .. (l + 1) * entries`; a frame costs [`PositionBank::macs_per_frame`]
//! multiply-accumulates against `cells × bank_len × dim` for a global bank.

use rayon::prelude::*;

use super::coreset::{greedy_coreset, CoresetConfig, CoresetSize};
use super::quant::Int8Codec;
use super::search::{F32Bank, Int8Bank, NearestNeighbours, Prepared, Scratch, RERANK_EXTRA};
use super::shape::GridShape;
use super::BankError;

/// Settings of [`PositionBank::fit`].
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

/// Per-location int8 memory banks over one feature grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionBank {
    pub(crate) grid: GridShape,
    pub(crate) entries: usize,
    pub(crate) search_radius: usize,
    /// All locations' entries, location-major.
    pub(crate) bank: Int8Bank,
}

/// Locations within Chebyshev `radius` of `(y, x)`, clipped to the grid: `(y0..y1, x0..x1)`.
fn window(grid: GridShape, y: usize, x: usize, radius: usize) -> (usize, usize, usize, usize) {
    (
        y.saturating_sub(radius),
        y.saturating_add(radius).saturating_add(1).min(grid.height),
        x.saturating_sub(radius),
        x.saturating_add(radius).saturating_add(1).min(grid.width),
    )
}

impl PositionBank {
    /// Fits the banks to training images (`images × grid`, row-major per image).
    ///
    /// # Errors
    /// Shape or finiteness problems, `entries_per_location == 0`.
    pub fn fit(
        train: &[f32],
        grid: GridShape,
        config: &PositionBankConfig,
    ) -> Result<Self, BankError> {
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
                    window(grid, l / grid.width, l % grid.width, config.train_radius);
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
        Ok(PositionBank {
            grid,
            entries,
            search_radius: config.search_radius,
            bank: Int8Bank::with_codec(&all, codec)?,
        })
    }

    /// The feature grid this bank scores.
    pub fn grid(&self) -> GridShape {
        self.grid
    }

    /// Entries per location.
    pub fn entries_per_location(&self) -> usize {
        self.entries
    }

    /// Chebyshev radius of locations searched per patch.
    pub fn search_radius(&self) -> usize {
        self.search_radius
    }

    /// The same banks searched within another radius.
    pub fn with_search_radius(mut self, radius: usize) -> Self {
        self.search_radius = radius;
        self
    }

    /// All entries as one int8 bank, location-major.
    pub fn bank(&self) -> &Int8Bank {
        &self.bank
    }

    /// Serialised size in bytes.
    pub fn byte_size(&self) -> usize {
        super::codec::POSITION_BANK_HEADER
            + self.bank.codec.byte_size()
            + self.bank.len() * self.grid.dim
    }

    /// Multiply-accumulates per frame (distance computations only), border clipping
    /// included.
    pub fn macs_per_frame(&self) -> u64 {
        let mut banks = 0u64;
        for y in 0..self.grid.height {
            for x in 0..self.grid.width {
                let (y0, y1, x0, x1) = window(self.grid, y, x, self.search_radius);
                banks += ((y1 - y0) * (x1 - x0)) as u64;
            }
        }
        banks * self.entries as u64 * self.grid.dim as u64
    }

    /// Patch-score map of one image (`grid` shape): `height × width` distances, row-major.
    pub fn score_map(&self, patches: &[f32]) -> Result<Vec<f32>, BankError> {
        let mut out = vec![0.0; self.grid.cells()];
        self.score_map_into(patches, &mut out)?;
        Ok(out)
    }

    /// [`PositionBank::score_map`] into a caller buffer of `height × width`.
    pub fn score_map_into(&self, patches: &[f32], out: &mut [f32]) -> Result<(), BankError> {
        self.grid.check_one_image(patches)?;
        if out.len() != self.grid.cells() {
            return Err(BankError::OutputLength {
                expected: self.grid.cells(),
                got: out.len(),
            });
        }
        let dim = self.grid.dim;
        let kc = 1 + RERANK_EXTRA;
        out.par_iter_mut()
            .zip(patches.par_chunks_exact(dim))
            .enumerate()
            .with_min_len(16)
            .for_each_init(
                || Scratch::new(self.bank.stride, kc, 1),
                |sc, (l, (o, x))| {
                    let stride = self.bank.stride;
                    sc.params[0] =
                        Int8Bank::encode_query(&self.bank.codec, x, &mut sc.codes[..stride]);
                    sc.cand_dist[..kc].fill(f32::INFINITY);
                    sc.cand_index[..kc].fill(u32::MAX);
                    let (y0, y1, x0, x1) = window(
                        self.grid,
                        l / self.grid.width,
                        l % self.grid.width,
                        self.search_radius,
                    );
                    for yy in y0..y1 {
                        for xx in x0..x1 {
                            self.bank.scan(
                                (yy * self.grid.width + xx) * self.entries,
                                self.entries,
                                Prepared {
                                    codes: &sc.codes[..stride],
                                    params: &sc.params[..1],
                                },
                                &mut sc.row16,
                                &mut sc.cand_dist[..kc],
                                &mut sc.cand_index[..kc],
                            );
                        }
                    }
                    let mut best = [0.0f32];
                    let mut idx = [0u32];
                    self.bank
                        .rerank(x, &sc.cand_index[..kc], &mut sc.row, &mut best, &mut idx);
                    *o = best[0];
                },
            );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_clip_at_borders_and_macs_count_clipped_windows() {
        let g = GridShape::new(4, 5, 2);
        assert_eq!(window(g, 0, 0, 1), (0, 2, 0, 2));
        assert_eq!(window(g, 3, 4, 1), (2, 4, 3, 5));
        assert_eq!(window(g, 2, 2, usize::MAX), (0, 4, 0, 5));
        let train: Vec<f32> = (0..3 * 4 * 5 * 2).map(|i| (i % 7) as f32).collect();
        // 27 entries hold every pooled training patch (3 images × at most 3×3 locations).
        let config = PositionBankConfig {
            entries_per_location: 27,
            ..PositionBankConfig::default()
        };
        let bank = PositionBank::fit(&train, g, &config).unwrap();
        assert_eq!(bank.bank().len(), 20 * 27);
        assert_eq!(bank.macs_per_frame(), 20 * 27 * 2);
        // Radius 1 windows on a 4×5 grid: 4 corners × 4, 10 edges × 6, 6 inner × 9 cells.
        let wide = bank.with_search_radius(1);
        assert_eq!(wide.macs_per_frame(), (4 * 4 + 10 * 6 + 6 * 9) * 27 * 2);
        // A training patch scores (nearly) zero: it is in the bank, up to quantization.
        let map = wide.score_map(&train[..40]).unwrap();
        assert!(map.iter().all(|&d| d < 0.05), "{map:?}");
    }
}
