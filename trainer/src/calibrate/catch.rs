//! Catch rate of anomalies at a threshold, with a Wilson score interval.
//!
//! Always holds: an anomaly is caught ⇔ `score ≥ threshold` (the edge's verdict rule);
//! `0 ≤ low ≤ rate ≤ high ≤ 1`.

use serde::Serialize;

use super::error::{check_scores, CalibrateError};

/// z for a two-sided 95 % interval (the 0.975 quantile of the standard normal).
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A share of anomalies caught, with its 95 % Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CatchRate {
    /// Anomalies with `score ≥ threshold`.
    pub caught: usize,
    /// Anomalies scored.
    pub total: usize,
    /// `caught / total`, in [0, 1].
    pub rate: f64,
    /// Lower end of the 95 % Wilson interval, in [0, 1].
    pub low: f64,
    /// Upper end of the 95 % Wilson interval, in [0, 1].
    pub high: f64,
}

/// The share of `anomaly_scores` at or above `threshold`, with a 95 % Wilson interval.
///
/// # Errors
/// [`CalibrateError::EmptyAnomalies`] for no scores, [`CalibrateError::NonFiniteScore`]
/// for a NaN or infinite score.
pub fn catch_rate(anomaly_scores: &[f32], threshold: f32) -> Result<CatchRate, CalibrateError> {
    if anomaly_scores.is_empty() {
        return Err(CalibrateError::EmptyAnomalies);
    }
    check_scores("synthetic", anomaly_scores)?;
    let caught = anomaly_scores.iter().filter(|&&s| s >= threshold).count();
    let total = anomaly_scores.len();
    let (low, high) = wilson_interval(caught as u64, total as u64, Z_95);
    Ok(CatchRate {
        caught,
        total,
        rate: caught as f64 / total as f64,
        low,
        high,
    })
}

/// Wilson score interval for `successes` out of `trials` at normal quantile `z`:
/// `(p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n)`, clamped to [0, 1]. Unlike the
/// normal approximation it stays inside [0, 1] and is sensible at 0 or `n` successes.
/// `trials = 0` gives `(0, 1)` (no information); `successes` above `trials` is clamped.
pub fn wilson_interval(successes: u64, trials: u64, z: f64) -> (f64, f64) {
    if trials == 0 {
        return (0.0, 1.0);
    }
    let n = trials as f64;
    let p = successes.min(trials) as f64 / n;
    let z2 = z * z;
    let denom = 1.0 + z2 / n;
    let centre = (p + z2 / (2.0 * n)) / denom;
    let half = z / denom * (p * (1.0 - p) / n + z2 / (4.0 * n * n)).sqrt();
    let low = if successes == 0 {
        0.0
    } else {
        (centre - half).max(0.0)
    };
    let high = if successes >= trials {
        1.0
    } else {
        (centre + half).min(1.0)
    };
    (low, high)
}
