//! Image thresholds from scores: a false-reject target on good scores ([`image_threshold`])
//! or F1-max against real defect scores ([`threshold_f1_max`]), and [`score_stats`].
//!
//! Always holds: the verdict rule is the edge's, anomalous ⇔ `score ≥ threshold`
//! (`edge::inspector`); rates are shares of images, compared as `k as f64 / n as f64`;
//! thresholds are finite; every result states the rate it achieves on the scores given.

use serde::Serialize;
use shared::score::ScoreStats;

use super::error::{check_scores, check_unit, CalibrateError};
use super::warning::CalibrationWarning;
use crate::metrics;

/// Above-the-maximum margin, as a share of the good-score range (`max − min`), or of
/// `|max|` when all scores are equal; always at least one f32 step above the maximum.
pub const MARGIN_FRACTION: f32 = 0.05;

/// How an image threshold was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum ThresholdMethod {
    /// Order statistic of the good scores for a false-reject target ([`image_threshold`]).
    Quantile {
        /// Largest accepted share of good images at or above the threshold, in [0, 1].
        target_false_reject_rate: f64,
        /// `true` when no score met the target and the threshold is the highest good
        /// score plus a margin ([`MARGIN_FRACTION`]).
        above_max: bool,
    },
    /// Best F1 between good and real defect scores ([`threshold_f1_max`]).
    F1Max {
        /// The F1 reached, in [0, 1].
        f1: f64,
        /// Precision at the threshold, in [0, 1].
        precision: f64,
        /// Recall (defects caught) at the threshold, in [0, 1].
        recall: f64,
    },
}

/// An image threshold and what it does on the good scores it was set from.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ImageThreshold {
    /// Raw image score at or above which a part is rejected (finite).
    pub threshold: f32,
    /// How it was chosen.
    pub method: ThresholdMethod,
    /// Good images with `score ≥ threshold`.
    pub false_rejects: usize,
    /// Good images the threshold was set from (`n`).
    pub good_count: usize,
    /// `false_rejects / n`, in [0, 1].
    pub false_reject_rate: f64,
    /// `1 / n`: the smallest non-zero false-reject rate `n` good images can show.
    pub min_measurable_rate: f64,
    /// What the caller should know (e.g. a target below `1 / n`).
    pub warnings: Vec<CalibrationWarning>,
}

/// The image threshold for a false-reject target, from held-out good scores.
///
/// Rule (order statistic): let `n` = number of scores and `k` the largest integer with
/// `k / n ≤ target` (rejects allowed). The threshold is the *smallest distinct good score*
/// `t` with `#{s ≥ t} ≤ k` — with scores sorted descending `s(1) ≥ … ≥ s(n)`, the lowest
/// score strictly above `s(k+1)`, so tied scores are rejected or accepted together and the
/// achieved rate may be below the target. If no score qualifies (`k = 0`, i.e.
/// `target < 1/n`, or ties at the top) the threshold is `max + margin` ([`MARGIN_FRACTION`])
/// and no held-out good image is rejected. `target = 1` gives the lowest score.
///
/// With `n` held-out images the smallest non-zero rate that can be measured is `1/n`; a
/// target below it (including 0) cannot be verified and adds
/// [`CalibrationWarning::TargetBelowResolution`]. For a threshold at the `k`-th highest of
/// `n` exchangeable scores the expected false-reject rate on new good images is about
/// `k / (n + 1)`, and about `1 / (n + 1)` just above the maximum.
///
/// # Errors
/// [`CalibrateError::EmptyHeldOut`] for no scores, [`CalibrateError::NonFiniteScore`] for
/// a NaN or infinite score, [`CalibrateError::OutOfRange`] for a target outside [0, 1].
pub fn image_threshold(
    good_scores: &[f32],
    target_false_reject_rate: f64,
) -> Result<ImageThreshold, CalibrateError> {
    check_unit("target false-reject rate", target_false_reject_rate)?;
    let (threshold, above_max) = quantile_threshold("good", good_scores, |n| {
        allowed_rejects(n, target_false_reject_rate)
    })?;
    let n = good_scores.len();
    let mut warnings = Vec::new();
    if target_false_reject_rate < 1.0 / n as f64 {
        warnings.push(CalibrationWarning::TargetBelowResolution {
            target: target_false_reject_rate,
            held_out: n,
        });
    }
    Ok(finish(
        good_scores,
        threshold,
        ThresholdMethod::Quantile {
            target_false_reject_rate,
            above_max,
        },
        warnings,
    ))
}

/// The image threshold maximising F1 between good (negative) and defect (positive) scores,
/// from [`metrics::f1_max`] (ties in F1 go to the lowest threshold; the threshold is one of
/// the scores). Use only with real defect images; the F1 and recall are in-sample.
///
/// # Errors
/// [`CalibrateError::EmptyHeldOut`] / [`CalibrateError::EmptyDefects`] for an empty set,
/// [`CalibrateError::NonFiniteScore`] for a NaN or infinite score.
pub fn threshold_f1_max(
    good_scores: &[f32],
    defect_scores: &[f32],
) -> Result<ImageThreshold, CalibrateError> {
    if good_scores.is_empty() {
        return Err(CalibrateError::EmptyHeldOut);
    }
    if defect_scores.is_empty() {
        return Err(CalibrateError::EmptyDefects);
    }
    check_scores("good", good_scores)?;
    check_scores("defect", defect_scores)?;
    let scores: Vec<f32> = good_scores.iter().chain(defect_scores).copied().collect();
    let labels: Vec<bool> = (0..scores.len()).map(|i| i >= good_scores.len()).collect();
    let best = metrics::f1_max(&scores, &labels)?;
    Ok(finish(
        good_scores,
        best.threshold,
        ThresholdMethod::F1Max {
            f1: best.f1,
            precision: best.precision,
            recall: best.recall,
        },
        Vec::new(),
    ))
}

/// [`ScoreStats`] of good scores: min, max, mean, population standard deviation (`/ n`),
/// count; accumulated in f64.
///
/// # Errors
/// [`CalibrateError::EmptyHeldOut`] for no scores, [`CalibrateError::NonFiniteScore`] for
/// a NaN or infinite score.
pub fn score_stats(good_scores: &[f32]) -> Result<ScoreStats, CalibrateError> {
    if good_scores.is_empty() {
        return Err(CalibrateError::EmptyHeldOut);
    }
    check_scores("good", good_scores)?;
    let n = good_scores.len() as f64;
    let mean = good_scores.iter().map(|&s| f64::from(s)).sum::<f64>() / n;
    let var = good_scores
        .iter()
        .map(|&s| (f64::from(s) - mean).powi(2))
        .sum::<f64>()
        / n;
    Ok(ScoreStats {
        min: good_scores.iter().copied().fold(f32::INFINITY, f32::min),
        max: good_scores
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max),
        mean: mean as f32,
        std: var.sqrt() as f32,
        count: u32::try_from(good_scores.len()).unwrap_or(u32::MAX),
    })
}

/// The order-statistic rule of [`image_threshold`] on any finite values (also used for the
/// pixel fallback), with `allowed(n)` values permitted at or above the threshold: returns
/// the threshold and whether it lies above the maximum.
pub(super) fn quantile_threshold(
    set: &'static str,
    values: &[f32],
    allowed: impl FnOnce(usize) -> usize,
) -> Result<(f32, bool), CalibrateError> {
    if values.is_empty() {
        return Err(CalibrateError::EmptyHeldOut);
    }
    check_scores(set, values)?;
    let n = values.len();
    let allowed = allowed(n);
    let mut sorted = values.to_vec();
    sorted.sort_unstable_by(|a, b| b.total_cmp(a));
    // Walk tie groups from the top; keep the lowest value whose group still fits.
    let mut best = None;
    let mut start = 0;
    while start < n {
        let value = sorted[start];
        let end = start + sorted[start..].iter().take_while(|&&v| v == value).count();
        if end > allowed {
            break;
        }
        best = Some(value);
        start = end;
    }
    Ok(match best {
        Some(t) => (t, false),
        None => (above(sorted[0], sorted[n - 1]), true),
    })
}

/// Largest `k ≤ n` with `k / n ≤ target`, compared exactly as the rate is reported.
fn allowed_rejects(n: usize, target: f64) -> usize {
    let rate = |k: usize| k as f64 / n as f64;
    let mut k = ((target * n as f64).floor() as usize).min(n);
    while k < n && rate(k + 1) <= target {
        k += 1;
    }
    while k > 0 && rate(k) > target {
        k -= 1;
    }
    k
}

/// Largest `k ≤ n` with `(n − k) / n ≥ quantile`: values allowed at or above the
/// `quantile` threshold (compared on the share below, so `1 − quantile` is never rounded).
pub(super) fn allowed_above_quantile(n: usize, quantile: f64) -> usize {
    let share = |m: usize| m as f64 / n as f64;
    let mut below = ((quantile * n as f64).ceil() as usize).min(n);
    while below > 0 && share(below - 1) >= quantile {
        below -= 1;
    }
    while below < n && share(below) < quantile {
        below += 1;
    }
    n - below
}

/// `max + margin`, strictly above `max` and finite where possible.
fn above(max: f32, min: f32) -> f32 {
    let range = max - min;
    let margin = if range > 0.0 { range } else { max.abs() } * MARGIN_FRACTION;
    let t = max + margin;
    if t > max && t.is_finite() {
        return t;
    }
    let up = next_up(max);
    // Only at f32::MAX is there nothing finite above; the threshold then rejects the maximum.
    if up.is_finite() {
        up
    } else {
        max
    }
}

/// The next f32 above a finite `x` (`f32::next_up` needs Rust 1.86; the workspace says 1.85).
fn next_up(x: f32) -> f32 {
    if x == 0.0 {
        f32::from_bits(1)
    } else if x > 0.0 {
        f32::from_bits(x.to_bits() + 1)
    } else {
        f32::from_bits(x.to_bits() - 1)
    }
}

fn finish(
    good_scores: &[f32],
    threshold: f32,
    method: ThresholdMethod,
    warnings: Vec<CalibrationWarning>,
) -> ImageThreshold {
    let n = good_scores.len();
    let false_rejects = good_scores.iter().filter(|&&s| s >= threshold).count();
    ImageThreshold {
        threshold,
        method,
        false_rejects,
        good_count: n,
        false_reject_rate: false_rejects as f64 / n as f64,
        min_measurable_rate: 1.0 / n as f64,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowed_rejects_is_exact_at_decimal_boundaries() {
        assert_eq!(allowed_rejects(100, 0.29), 29);
        assert_eq!(allowed_rejects(10, 0.3), 3);
        assert_eq!(allowed_rejects(10, 0.0999), 0);
        assert_eq!(allowed_rejects(3, 1.0), 3);
        assert_eq!(allowed_rejects(7, 0.0), 0);
        assert_eq!(allowed_above_quantile(10, 0.8), 2);
        assert_eq!(allowed_above_quantile(10, 0.81), 1);
        assert_eq!(allowed_above_quantile(100, 0.71), 29);
        assert_eq!(allowed_above_quantile(5, 1.0), 0);
        assert_eq!(allowed_above_quantile(5, 0.0), 5);
    }

    #[test]
    fn above_max_is_strictly_above() {
        assert_eq!(above(2.0, 1.0), 2.05);
        assert_eq!(above(0.0, 0.0), f32::from_bits(1));
        assert!(above(-1.0, -1.0) > -1.0);
        assert_eq!(above(f32::MAX, f32::MAX), f32::MAX);
    }
}
