//! Score post-processing: the one path from a network's anomaly map to a verdict score,
//! run unchanged by trainer evaluation and by edge inference.
//!
//! ```text
//! anomaly map (map_width × map_height f32, row-major, map cells)
//!   ├─ Gaussian smoothing with σ = image_sigma (map cells, separable, kernel truncated
//!   │  at 4σ, 'reflect' = half-sample symmetric borders; σ = 0: no smoothing)
//!   │    └─ image score (Max or TopKMean{k}) over that SMOOTHED LOW-RES map
//!   └─ Gaussian smoothing with σ = smoothing_sigma (the same kernel family)
//!        └─ bilinear upsampling to out_width × out_height (half-pixel centres,
//!           align_corners = false, edge values clamped: ONNX Resize `half_pixel` /
//!           PyTorch `interpolate(mode="bilinear")`) → per-pixel heat map
//! raw score ── normalise(score, threshold, &ScoreStats) → [0, 1], threshold ↦ 0.5
//! ```
//!
//! What always holds:
//! - The image score is taken over the smoothed low-resolution map, never the upsampled
//!   one, so it does not depend on the output resolution and the edge can skip
//!   upsampling when no heat map is wanted. `k` of [`ImageScore::TopKMean`] counts map
//!   cells.
//! - The two smoothings are independent: a wide σ for the image score averages away a
//!   single noisy patch while a narrow one keeps small defects sharp in the heat map.
//!   With equal σ the map is smoothed once and both use it (format-2 bundles, which had
//!   one σ, read back that way and score exactly as before).
//! - Non-finite input (NaN, ±inf) is rejected with [`ScoreError::NonFinite`]: a broken
//!   network can never produce a low score. Callers must treat any error as a reject.
//! - Smoothing accumulates in f64 and rounds once per pass to f32, so a constant map
//!   stays exactly constant and every output lies within the input's min..max.
//!   Upsampling is a clamped lerp, with the same two guarantees.
//! - [`ScorePipeline::run`] does not allocate; the free functions ([`gaussian_blur`],
//!   [`upsample_bilinear`], [`image_score`]) allocate their results and run the very same
//!   kernels, so a trainer composing them gets bit-identical numbers.
//! - [`normalise`] is monotonic non-decreasing in the score, maps the threshold to exactly
//!   0.5 and NaN to 1.0.

#[cfg(feature = "alloc")]
mod kernels;
#[cfg(feature = "alloc")]
mod pipeline;

#[cfg(feature = "alloc")]
pub use pipeline::{gaussian_blur, image_score, upsample_bilinear, ScorePipeline};

use serde::{Deserialize, Serialize};

/// Largest accepted smoothing σ, in map cells. Keeps the kernel (≤ 2·⌊4σ+0.5⌋+1 taps)
/// small; real maps use σ ≈ 1–4.
pub const MAX_SIGMA: f32 = 64.0;

/// Checks a smoothing σ (either of [`ScoreConfig`]'s): finite and in `0.0..=MAX_SIGMA`.
///
/// # Errors
/// [`ScoreError::InvalidSigma`] otherwise.
pub fn check_sigma(sigma: f32) -> Result<(), ScoreError> {
    if sigma.is_finite() && (0.0..=MAX_SIGMA).contains(&sigma) {
        Ok(())
    } else {
        Err(ScoreError::InvalidSigma { sigma })
    }
}

/// Largest accepted map or output side, in cells/pixels.
pub const MAX_SIDE: u32 = 1 << 16;

/// Largest accepted number of map cells (`map_width × map_height`), bounding the
/// pipeline's scratch memory (four f32 buffers of this many cells).
pub const MAX_MAP_CELLS: u64 = 1 << 22;

/// How the post-processing turns an anomaly map into an image score. Stored in the
/// bundle's manifest so trainer and edge use the same settings.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreConfig {
    /// Gaussian smoothing σ of the heat map, in map cells; `0.0` means no smoothing.
    /// Finite, `0.0..=MAX_SIGMA`. Kernel radius is `⌊4σ + 0.5⌋` cells (scipy's default
    /// truncation).
    pub smoothing_sigma: f32,
    /// Reduction from the `image_sigma`-smoothed low-res map to one image score.
    pub image_score: ImageScore,
    /// Anomaly map width in cells (the network's output width), `1..=MAX_SIDE`.
    pub map_width: u32,
    /// Anomaly map height in cells (the network's output height), `1..=MAX_SIDE`.
    pub map_height: u32,
    /// Gaussian smoothing σ, in map cells, of the map the image score is taken from;
    /// same range and kernel as `smoothing_sigma` (bundle format 3; a format-2 bundle
    /// reads with `image_sigma = smoothing_sigma`).
    pub image_sigma: f32,
}

/// Reduction from the smoothed low-resolution anomaly map to one image score.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ImageScore {
    /// Largest cell value.
    Max,
    /// Mean of the `k` largest cell values; `k` counts map cells, `1..=map cells`.
    /// More robust than `Max` to a single hot cell; `k = 1` equals `Max`.
    TopKMean {
        /// Number of cells averaged, `1..=map_width × map_height`.
        k: u32,
    },
}

/// Decision thresholds on raw scores (the units of [`ScorePipeline::run`]'s output).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Thresholds {
    /// Raw image score at or above which a part is anomalous (finite).
    pub image: f32,
    /// Raw per-pixel value at or above which a pixel is anomalous (finite).
    pub pixel: f32,
}

/// Statistics of raw image scores over held-out good images, used by [`normalise`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScoreStats {
    /// Smallest raw image score seen.
    pub min: f32,
    /// Largest raw image score seen (`≥ min`).
    pub max: f32,
    /// Mean raw image score.
    pub mean: f32,
    /// Population standard deviation of the raw image scores (`≥ 0`).
    pub std: f32,
    /// Number of images the statistics were computed from.
    pub count: u32,
}

/// Why a score computation was refused. Any error must be treated as a reject.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ScoreError {
    /// A map or output side is 0 or above [`MAX_SIDE`], or the map has more than
    /// [`MAX_MAP_CELLS`] cells.
    #[error("invalid {what} size {width}×{height}: each side must be 1..={max_side}, map cells at most {max_cells}", max_side = MAX_SIDE, max_cells = MAX_MAP_CELLS)]
    InvalidSize {
        /// Which grid: `"map"` or `"output"`.
        what: &'static str,
        /// Width as given.
        width: u32,
        /// Height as given.
        height: u32,
    },
    /// σ is negative, non-finite or above [`MAX_SIGMA`].
    #[error("invalid smoothing sigma {sigma}: must be finite and in 0..={max}", max = MAX_SIGMA)]
    InvalidSigma {
        /// σ as given, in map cells.
        sigma: f32,
    },
    /// `TopKMean { k }` with `k = 0` or `k` above the number of map cells.
    #[error("invalid top-k: k = {k}, must be 1..={cells} (the number of map cells)")]
    InvalidTopK {
        /// k as given.
        k: u32,
        /// Number of cells in the map.
        cells: usize,
    },
    /// The anomaly map slice does not hold `width × height` values.
    #[error("anomaly map has {found} values, expected {expected} ({width}×{height})")]
    MapLength {
        /// `width × height`.
        expected: usize,
        /// Slice length given.
        found: usize,
        /// Map width in cells.
        width: u32,
        /// Map height in cells.
        height: u32,
    },
    /// The output slice does not hold `out_width × out_height` values.
    #[error("output buffer has {found} values, expected {expected} ({width}×{height})")]
    OutputLength {
        /// `out_width × out_height`.
        expected: usize,
        /// Slice length given.
        found: usize,
        /// Output width in pixels.
        width: u32,
        /// Output height in pixels.
        height: u32,
    },
    /// The anomaly map holds NaN or ±inf: the network output is broken.
    #[error("anomaly map value at cell ({x}, {y}) is {value}: network output is not finite")]
    NonFinite {
        /// Column of the first offending cell.
        x: u32,
        /// Row of the first offending cell.
        y: u32,
        /// The offending value.
        value: f32,
    },
    /// The reduction produced NaN (only possible with values near ±`f32::MAX`).
    #[error("image score is NaN (map values overflow f32 arithmetic)")]
    NanScore,
}

/// Maps a raw score to `[0, 1]` so that `threshold` maps to exactly `0.5`:
///
/// `clamp((score − threshold) / (stats.max − stats.min) + 0.5, 0, 1)`
///
/// (anomalib-style min-max normalisation around the threshold). Use
/// `thresholds.image` for image scores and `thresholds.pixel` for heat-map pixels, with
/// the same `stats`. Monotonic non-decreasing in `score`; `score ≥ threshold` ⇔ result
/// `≥ 0.5`.
///
/// Guards: if `stats.max − stats.min` is not a positive finite number the result is a
/// step (`0.0` below, `0.5` at, `1.0` above the threshold). A NaN `score` or a
/// non-finite `threshold` gives `1.0` (fail safe: reject).
#[must_use]
pub fn normalise(score: f32, threshold: f32, stats: &ScoreStats) -> f32 {
    if score.is_nan() || !threshold.is_finite() {
        return 1.0;
    }
    let range = stats.max - stats.min;
    if range.is_finite() && range > 0.0 {
        ((score - threshold) / range + 0.5).clamp(0.0, 1.0)
    } else if score > threshold {
        1.0
    } else if score < threshold {
        0.0
    } else {
        0.5
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const STATS: ScoreStats = ScoreStats {
        min: 1.0,
        max: 3.0,
        mean: 2.0,
        std: 0.5,
        count: 10,
    };

    #[test]
    fn normalise_maps_threshold_to_half_and_clamps() {
        assert_eq!(normalise(2.5, 2.5, &STATS), 0.5);
        assert_eq!(normalise(3.5, 2.5, &STATS), 1.0);
        assert_eq!(normalise(1.5, 2.5, &STATS), 0.0);
        assert_eq!(normalise(3.0, 2.5, &STATS), 0.75);
        assert_eq!(normalise(100.0, 2.5, &STATS), 1.0);
        assert_eq!(normalise(-100.0, 2.5, &STATS), 0.0);
    }

    #[test]
    fn normalise_never_passes_nan_and_guards_degenerate_stats() {
        assert_eq!(normalise(f32::NAN, 2.5, &STATS), 1.0);
        assert_eq!(normalise(0.0, f32::NAN, &STATS), 1.0);
        assert_eq!(normalise(f32::INFINITY, 2.5, &STATS), 1.0);
        assert_eq!(normalise(f32::NEG_INFINITY, 2.5, &STATS), 0.0);
        let flat = ScoreStats {
            min: 2.0,
            max: 2.0,
            ..STATS
        };
        assert_eq!(normalise(2.4, 2.5, &flat), 0.0);
        assert_eq!(normalise(2.5, 2.5, &flat), 0.5);
        assert_eq!(normalise(2.6, 2.5, &flat), 1.0);
        let inverted = ScoreStats {
            min: 3.0,
            max: 1.0,
            ..STATS
        };
        assert_eq!(normalise(2.6, 2.5, &inverted), 1.0);
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn normalise_is_monotonic_and_maps_threshold_to_half(
            a in -1e6f32..1e6, b in -1e6f32..1e6, t in -1e3f32..1e3,
            min in -1e3f32..1e3, span in 0.0f32..1e3,
        ) {
            let stats = ScoreStats { min, max: min + span, mean: min, std: 0.0, count: 1 };
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let (nlo, nhi) = (normalise(lo, t, &stats), normalise(hi, t, &stats));
            prop_assert!(nlo <= nhi);
            prop_assert!((0.0..=1.0).contains(&nlo) && (0.0..=1.0).contains(&nhi));
            prop_assert_eq!(normalise(t, t, &stats), 0.5);
            if hi >= t {
                prop_assert!(nhi >= 0.5);
            }
            if normalise(lo, t, &stats) < 0.5 {
                prop_assert!(lo < t);
            }
        }
    }
}
