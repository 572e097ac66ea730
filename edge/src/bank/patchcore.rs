//! PatchCore's image scoring over a global memory bank: the patch-score map and the
//! reweighted image score (Roth et al. 2022, eq. 6–7).
//!
//! For the patches `m_test` of one image: the map holds each patch's distance to its
//! nearest bank entry; `s* = max` over the map, at patch `m_test,*` with nearest entry
//! `m*`. With `N_b(m*)` the `b` nearest bank entries of `m*` (`m*` itself first, then its
//! `b − 1` nearest others, as anomalib does),
//!
//! ```text
//! w = 1 − exp‖m_test,* − m*‖ / Σ_{m ∈ N_b(m*)} exp‖m_test,* − m‖,    s = w · s*
//! ```
//!
//! computed as `1 − exp(d* − logsumexp(d_m))` in f64, so large distances never overflow.
//! The distances inside `w` are exact f32 distances to the bank's (dequantized) entries.
//!
//! Always holds: `w ∈ [0, 1)`; because `m*` belongs to `N_b(m*)`, `w ≥ 1 − 1/b` whenever
//! `m*` is the true nearest entry. A uniform neighbourhood (all `b` entries equally far from
//! the test patch) gives exactly `w = 1 − 1/b`: a constant factor that leaves the ranking
//! of images unchanged; `w → 1` (`s → s*`) when `m*`'s neighbours are much farther from the
//! test patch than `m*`, i.e. when `m*` is itself a rare nominal feature. Ties in the map
//! pick the first patch in row-major order.

use super::kernels::sq_l2;
use super::search::NearestNeighbours;
use super::shape::GridShape;
use super::BankError;

/// PatchCore's default neighbourhood size for the reweighting.
pub const DEFAULT_REWEIGHT_NEIGHBOURS: usize = 3;

/// Image-score settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PatchCoreConfig {
    /// `b`, the size of `N_b(m*)`, ≥ 2 (b = 1 would make every score 0); clamped to the
    /// bank size. `None` disables the reweighting (`w = 1`).
    pub reweight_neighbours: Option<usize>,
}

impl Default for PatchCoreConfig {
    fn default() -> Self {
        PatchCoreConfig {
            reweight_neighbours: Some(DEFAULT_REWEIGHT_NEIGHBOURS),
        }
    }
}

/// Scores of one image.
#[derive(Debug, Clone, PartialEq)]
pub struct PatchScores {
    /// Grid rows of the map.
    pub height: usize,
    /// Grid columns of the map.
    pub width: usize,
    /// `height × width` nearest-neighbour distances, row-major (the anomaly map the score
    /// pipeline smooths and upsamples).
    pub map: Vec<f32>,
    /// Nearest bank entry of each patch.
    pub nearest: Vec<u32>,
    /// Row-major index of the most anomalous patch.
    pub max_patch: usize,
    /// `s*`, the largest patch score.
    pub raw_score: f32,
    /// The reweighting factor `w` (1 when disabled).
    pub weight: f32,
    /// `w · s*`.
    pub image_score: f32,
}

/// Scores one image's patch grid (`grid.height × grid.width × grid.dim`) against `bank`.
///
/// # Errors
/// Grid/dimension mismatches, non-finite features, `b` < 2.
pub fn score_image<B: NearestNeighbours + ?Sized>(
    bank: &B,
    patches: &[f32],
    grid: GridShape,
    config: &PatchCoreConfig,
) -> Result<PatchScores, BankError> {
    let cells = grid.cells();
    let mut map = vec![0.0f32; cells];
    let mut nearest = vec![0u32; cells];
    let max_patch = patch_map_into(bank, patches, grid, &mut map, &mut nearest)?;
    let raw_score = map[max_patch];
    let weight = match config.reweight_neighbours {
        None => 1.0,
        Some(b) => {
            let test = &patches[max_patch * grid.dim..(max_patch + 1) * grid.dim];
            reweight(bank, test, nearest[max_patch] as usize, b)?
        }
    };
    Ok(PatchScores {
        height: grid.height,
        width: grid.width,
        map,
        nearest,
        max_patch,
        raw_score,
        weight,
        image_score: weight * raw_score,
    })
}

/// The patch-score map of one image into caller buffers: `map[i]` is patch `i`'s distance
/// to its nearest bank entry, `nearest[i]` that entry (both `grid.cells()` long, row-major).
/// Returns the row-major index of the most anomalous patch (the first among ties).
/// Allocates nothing itself (the bank's parallel search keeps per-job scratch).
///
/// # Errors
/// Grid/dimension mismatches, non-finite features, wrong buffer lengths.
pub fn patch_map_into<B: NearestNeighbours + ?Sized>(
    bank: &B,
    patches: &[f32],
    grid: GridShape,
    map: &mut [f32],
    nearest: &mut [u32],
) -> Result<usize, BankError> {
    if grid.dim != bank.dim() {
        return Err(BankError::DimMismatch {
            expected: bank.dim(),
            got: grid.dim,
        });
    }
    grid.check_one_image(patches)?;
    bank.search_into(patches, 1, map, nearest)?;
    let mut max_patch = 0;
    for (i, &d) in map.iter().enumerate() {
        if d > map[max_patch] {
            max_patch = i;
        }
    }
    Ok(max_patch)
}

/// PatchCore's weight `w` for test patch `test` whose nearest bank entry is `nearest`,
/// with a neighbourhood of `b` entries (≥ 2, clamped to the bank size).
///
/// # Errors
/// `b < 2`, `nearest` out of range, dimension mismatch.
pub fn reweight<B: NearestNeighbours + ?Sized>(
    bank: &B,
    test: &[f32],
    nearest: usize,
    b: usize,
) -> Result<f32, BankError> {
    if b < 2 {
        return Err(BankError::InvalidParameter {
            name: "reweight_neighbours",
            value: b as f64,
            hint: "use ≥ 2 (PatchCore uses 3); b = 1 makes every score 0",
        });
    }
    if test.len() != bank.dim() {
        return Err(BankError::DimMismatch {
            expected: bank.dim(),
            got: test.len(),
        });
    }
    let m_star = bank.entry(nearest).ok_or(BankError::BadK {
        k: nearest + 1,
        len: bank.len(),
    })?;
    let b = b.min(bank.len());
    let mut distances = Vec::with_capacity(b);
    distances.push(f64::from(sq_l2(test, &m_star).sqrt()));
    if b > 1 {
        // b nearest of m* (itself normally first); keep b − 1 others.
        let nn = bank.search(&m_star, b)?;
        for &j in nn
            .indices
            .iter()
            .filter(|&&j| j as usize != nearest)
            .take(b - 1)
        {
            let m = bank.entry(j as usize).ok_or(BankError::BadK {
                k: j as usize + 1,
                len: bank.len(),
            })?;
            distances.push(f64::from(sq_l2(test, &m).sqrt()));
        }
    }
    Ok(weight_from_distances(&distances))
}

/// `1 − exp(d[0]) / Σ exp(d[i])` for distances `d` (first = the nearest entry's), via
/// log-sum-exp. In `[0, 1)`; 0 for a single distance.
pub fn weight_from_distances(distances: &[f64]) -> f32 {
    let Some(&first) = distances.first() else {
        return 0.0;
    };
    let max = distances.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let lse = max + distances.iter().map(|d| (d - max).exp()).sum::<f64>().ln();
    (1.0 - (first - lse).exp()).clamp(0.0, 1.0) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weight_is_stable_for_huge_distances_and_bounded() {
        assert_eq!(weight_from_distances(&[5.0]), 0.0);
        let w = weight_from_distances(&[1000.0, 1000.0, 1000.0]);
        assert!((w - 2.0 / 3.0).abs() < 1e-6, "{w}");
        let w = weight_from_distances(&[1.0, 900.0, 901.0]);
        assert!(w > 0.999_999 && w <= 1.0);
        assert!(weight_from_distances(&[3.0, 3.5]).is_finite());
    }
}
