//! Position-aware memory bank (FAPM/PaDiM style), device half: one small int8 bank per
//! feature-map location instead of one global bank, for fixtures where parts sit in a
//! fixed place. The trainer fits it (per-location coresets, one shared per-dimension
//! codec) and builds it with [`PositionBank::from_parts`].
//!
//! Scoring at `(y, x)` is the Euclidean distance to the nearest entry among the banks of
//! locations within `search_radius` (Chebyshev distance, clipped at the borders; 0 = its
//! own bank only) of `(y, x)`, found like [`Int8Bank`]'s search: an integer scan for
//! candidates, exact re-ranking on the dequantized entries.
//!
//! Always holds: every location has exactly `entries_per_location ≥ 1` entries; bank rows
//! of location `l = y * width + x` are `l * entries .. (l + 1) * entries`; a frame costs
//! [`PositionBank::macs_per_frame`] multiply-accumulates against `cells × bank_len × dim`
//! for a global bank.

use rayon::prelude::*;

use super::search::{Int8Bank, NearestNeighbours, Prepared, Scratch, RERANK_EXTRA};
use super::shape::GridShape;
use super::BankError;

/// Per-location int8 memory banks over one feature grid.
#[derive(Debug, Clone, PartialEq)]
pub struct PositionBank {
    pub(crate) grid: GridShape,
    pub(crate) entries: usize,
    pub(crate) search_radius: usize,
    /// All locations' entries, location-major.
    pub(crate) bank: Int8Bank,
}

/// Locations within Chebyshev `radius` of `(y, x)`, clipped to the grid, as half-open
/// ranges `(y0, y1, x0, x1)`: rows `y0..y1`, columns `x0..x1`.
#[must_use]
pub fn location_window(
    grid: GridShape,
    y: usize,
    x: usize,
    radius: usize,
) -> (usize, usize, usize, usize) {
    (
        y.saturating_sub(radius),
        y.saturating_add(radius).saturating_add(1).min(grid.height),
        x.saturating_sub(radius),
        x.saturating_add(radius).saturating_add(1).min(grid.width),
    )
}

impl PositionBank {
    /// Builds the banks from their parts: `bank` holds `grid.cells() × entries` rows,
    /// location-major, of dimension `grid.dim`.
    ///
    /// # Errors
    /// [`BankError::InvalidParameter`] for `entries == 0`, [`BankError::DimMismatch`]
    /// when the bank's dimension or row count does not match the grid.
    pub fn from_parts(
        grid: GridShape,
        entries: usize,
        search_radius: usize,
        bank: Int8Bank,
    ) -> Result<Self, BankError> {
        if entries == 0 {
            return Err(BankError::InvalidParameter {
                name: "entries_per_location",
                value: 0.0,
                hint: "use ≥ 1 (8–32 is typical)",
            });
        }
        if bank.dim() != grid.dim {
            return Err(BankError::DimMismatch {
                expected: grid.dim,
                got: bank.dim(),
            });
        }
        let rows = grid.cells().checked_mul(entries);
        if rows != Some(bank.len()) {
            return Err(BankError::DimMismatch {
                expected: rows.unwrap_or(usize::MAX),
                got: bank.len(),
            });
        }
        Ok(PositionBank {
            grid,
            entries,
            search_radius,
            bank,
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
                let (y0, y1, x0, x1) = location_window(self.grid, y, x, self.search_radius);
                banks += ((y1 - y0) * (x1 - x0)) as u64;
            }
        }
        banks * self.entries as u64 * self.grid.dim as u64
    }

    /// Patch-score map of one image (`grid` shape): `height × width` distances, row-major.
    ///
    /// # Errors
    /// Grid mismatch or non-finite features.
    pub fn score_map(&self, patches: &[f32]) -> Result<Vec<f32>, BankError> {
        let mut out = vec![0.0; self.grid.cells()];
        self.score_map_into(patches, &mut out)?;
        Ok(out)
    }

    /// [`PositionBank::score_map`] into a caller buffer of `height × width`.
    ///
    /// # Errors
    /// Grid mismatch, non-finite features, a wrong buffer length.
    pub fn score_map_into(&self, patches: &[f32], out: &mut [f32]) -> Result<(), BankError> {
        self.grid.check_one_image(patches)?;
        self.grid.check_map_output(out)?;
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
                    let (y0, y1, x0, x1) = location_window(
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
    use crate::bank::F32Bank;

    #[test]
    fn windows_clip_at_borders_and_macs_count_clipped_windows() {
        let g = GridShape::new(4, 5, 2);
        assert_eq!(location_window(g, 0, 0, 1), (0, 2, 0, 2));
        assert_eq!(location_window(g, 3, 4, 1), (2, 4, 3, 5));
        assert_eq!(location_window(g, 2, 2, usize::MAX), (0, 4, 0, 5));
        // Location l's 3 entries: (l, 0), (l, 1), (l, 2).
        let rows: Vec<f32> = (0..20)
            .flat_map(|l| (0..3).flat_map(move |e| [l as f32, e as f32]))
            .collect();
        let bank = Int8Bank::quantize(&F32Bank::new(rows, 2).unwrap());
        let own = PositionBank::from_parts(g, 3, 0, bank.clone()).unwrap();
        assert_eq!(own.macs_per_frame(), 20 * 3 * 2);
        // Radius 1 windows on a 4×5 grid: 4 corners × 4, 10 edges × 6, 6 inner × 9 cells.
        let wide = own.clone().with_search_radius(1);
        assert_eq!(wide.macs_per_frame(), (4 * 4 + 10 * 6 + 6 * 9) * 3 * 2);
        // Each location's own entry (l, 1) scores (nearly) zero.
        let test: Vec<f32> = (0..20).flat_map(|l| [l as f32, 1.0]).collect();
        let map = own.score_map(&test).unwrap();
        assert!(map.iter().all(|&d| d < 0.05), "{map:?}");
        // A wider search only adds candidates farther than each location's own match.
        assert_eq!(wide.score_map(&test).unwrap(), map);
        assert!(PositionBank::from_parts(g, 2, 0, bank.clone()).is_err());
        assert!(PositionBank::from_parts(g, 0, 0, bank).is_err());
    }
}
