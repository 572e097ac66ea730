//! Precision–recall metrics: average precision (reported as pixel AUPR) and F1-max.
//!
//! Always holds: thresholds are the distinct scores, a sample is predicted anomalous iff
//! `score >= threshold`, and tied scores move together (one precision–recall point per
//! distinct score), exactly as sklearn's `precision_recall_curve`.

use serde::{Deserialize, Serialize};

use super::ranking::{RankedLabels, SweepPoint};
use super::MetricError;

/// Average precision, sklearn's `average_precision_score`: the step-wise sum
/// `AP = Σ_n (R_n − R_{n−1}) · P_n` over the distinct scores from the highest down, where
/// `P_n`, `R_n` are precision and recall when predicting anomalous iff `score >= s_n`, and
/// `R_0 = 0`.
///
/// This is *not* the trapezoidal area under the PR curve (which is optimistic under
/// interpolation); it is the value the field reports as "pixel AUPR". In `[0, 1]`; equals
/// the anomalous fraction for all-tied scores and 1 for a perfect ranking.
///
/// # Errors
/// As [`super::roc_auc`]: length mismatch, NaN score, or a single class. (With no normal
/// sample AP would be 1 by definition; it is rejected anyway so every ranking metric here
/// accepts the same inputs.)
pub fn average_precision(scores: &[f32], labels: &[bool]) -> Result<f64, MetricError> {
    Ok(average_precision_of(&RankedLabels::from_slices(
        scores, labels,
    )?))
}

/// Pixel AUPR: [`average_precision`] over all pixels of all images, flattened, without
/// copying the maps (same input contract and errors as [`super::pixel_auroc`]).
///
/// # Errors
/// As [`super::pixel_auroc`].
pub fn pixel_average_precision(maps: &[&[f32]], masks: &[&[bool]]) -> Result<f64, MetricError> {
    Ok(average_precision_of(&RankedLabels::from_images(
        maps, masks,
    )?))
}

fn average_precision_of(ranked: &RankedLabels) -> f64 {
    let mut tp_prev = 0u64;
    let mut sum = 0.0f64;
    for SweepPoint { tp, fp, .. } in ranked.sweep() {
        if tp > tp_prev {
            let precision = tp as f64 / (tp + fp) as f64;
            sum += (tp - tp_prev) as f64 * precision;
            tp_prev = tp;
        }
    }
    sum / ranked.positives() as f64
}

/// The best F1 over all thresholds, with the operating point that reaches it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct F1Max {
    /// Best F1 score, in `[0, 1]`.
    pub f1: f64,
    /// The threshold reaching it: one of the input scores; predict anomalous iff
    /// `score >= threshold`.
    pub threshold: f32,
    /// Precision at that threshold, in `(0, 1]`.
    pub precision: f64,
    /// Recall at that threshold, in `(0, 1]`.
    pub recall: f64,
}

/// F1-max: the maximum over every distinct score `t` of F1 = 2PR / (P + R) when predicting
/// anomalous iff `score >= t`, as computed from sklearn's `precision_recall_curve` (and
/// anomalib's `F1Max`).
///
/// Ties in F1 (compared exactly, as rationals `2·TP / (TP + FP + #anomalous)`) go to the
/// *lowest* such threshold, as `argmax` over sklearn's increasing thresholds does.
///
/// # Errors
/// As [`average_precision`].
pub fn f1_max(scores: &[f32], labels: &[bool]) -> Result<F1Max, MetricError> {
    let ranked = RankedLabels::from_slices(scores, labels)?;
    let positives = ranked.positives();
    // F1 = 2·TP / (TP + FP + positives); track the best fraction exactly.
    let f1_fraction = |p: &SweepPoint| (2 * p.tp, p.tp + p.fp + positives);
    // Start from F1 = 0 (no sample predicted anomalous); every real point has F1 >= 0 and
    // replaces it, since ties go to the later (lower) threshold.
    let mut best = SweepPoint {
        threshold: f32::INFINITY,
        tp: 0,
        fp: 0,
    };
    for point in ranked.sweep() {
        let (num, den) = f1_fraction(&point);
        let (best_num, best_den) = f1_fraction(&best);
        if u128::from(num) * u128::from(best_den) >= u128::from(best_num) * u128::from(den) {
            best = point;
        }
    }
    let (num, den) = f1_fraction(&best);
    Ok(F1Max {
        f1: num as f64 / den as f64,
        threshold: best.threshold,
        precision: best.tp as f64 / (best.tp + best.fp) as f64,
        recall: best.tp as f64 / positives as f64,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCORES: [f32; 4] = [0.1, 0.4, 0.35, 0.8];
    const LABELS: [bool; 4] = [false, false, true, true];

    #[test]
    fn average_precision_four_samples_by_hand() {
        // Descending: 0.8 (anomalous) P=1 R=1/2; 0.4 (normal) no recall step;
        // 0.35 (anomalous) P=2/3 R=1; 0.1 no step. AP = 1/2·1 + 1/2·2/3 = 5/6.
        let ap = average_precision(&SCORES, &LABELS).unwrap();
        assert!((ap - 5.0 / 6.0).abs() < 1e-15, "{ap}");
    }

    #[test]
    fn average_precision_perfect_and_tied() {
        assert_eq!(average_precision(&[0.1, 0.2, 0.3, 0.4], &LABELS), Ok(1.0));
        // All tied: one point, P = 1/2, R = 1.
        assert_eq!(average_precision(&[0.3; 4], &LABELS), Ok(0.5));
        // Reversed: 0.4 n, 0.3 n, 0.2 a (P=1/3, R=1/2), 0.1 a (P=1/2, R=1) → 5/12.
        let ap = average_precision(&[0.4, 0.3, 0.2, 0.1], &LABELS).unwrap();
        assert!((ap - 5.0 / 12.0).abs() < 1e-15, "{ap}");
    }

    #[test]
    fn f1_four_samples_by_hand() {
        // Thresholds 0.8: P=1 R=1/2 F1=2/3; 0.4: P=1/2 R=1/2 F1=1/2;
        // 0.35: P=2/3 R=1 F1=4/5; 0.1: P=1/2 R=1 F1=2/3.
        let best = f1_max(&SCORES, &LABELS).unwrap();
        assert_eq!(best.threshold, 0.35);
        assert!((best.f1 - 0.8).abs() < 1e-15);
        assert!((best.precision - 2.0 / 3.0).abs() < 1e-15);
        assert_eq!(best.recall, 1.0);
    }

    #[test]
    fn f1_with_tied_scores_and_tied_f1() {
        // 4 anomalous, 5 normal. Points (TP, FP) per threshold:
        // 0.9 → (1,0) F1 = 2/5; 0.8 → (2,0) F1 = 4/6 = 2/3;
        // 0.5 (one anomalous + two normal tied) → (3,2) F1 = 6/9 = 2/3;
        // 0.1 (one anomalous + three normal tied) → (4,5) F1 = 8/13.
        // F1 ties at 2/3 between 0.8 and 0.5: the lower threshold wins, like sklearn.
        let scores = [0.9, 0.8, 0.5, 0.5, 0.5, 0.1, 0.1, 0.1, 0.1];
        let labels = [true, true, true, false, false, true, false, false, false];
        let best = f1_max(&scores, &labels).unwrap();
        assert_eq!(best.threshold, 0.5);
        assert!((best.f1 - 2.0 / 3.0).abs() < 1e-15);
        assert!((best.precision - 0.6).abs() < 1e-15);
        assert_eq!(best.recall, 0.75);
    }

    #[test]
    fn f1_all_tied() {
        let best = f1_max(&[0.2; 4], &LABELS).unwrap();
        assert_eq!(best.threshold, 0.2);
        // P = 1/2, R = 1 → F1 = 2/3.
        assert!((best.f1 - 2.0 / 3.0).abs() < 1e-15);
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(
            average_precision(&[0.1], &[true]),
            Err(MetricError::SingleClass {
                anomalous: 1,
                normal: 0
            })
        );
        assert_eq!(
            f1_max(&[0.1, f32::NAN], &[true, false]),
            Err(MetricError::NanScore { index: 1 })
        );
    }
}
