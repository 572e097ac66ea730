//! Area under the ROC curve, exact on ties: image AUROC and pixel AUROC.
//!
//! Always holds: the value equals sklearn's `roc_auc_score` (tied scores form one ROC point,
//! so a tie between an anomalous and a normal sample counts one half), computed from
//! integer counts with a single final division; the result is in `[0, 1]`.

use super::ranking::RankedLabels;
use super::MetricError;

/// Area under the ROC curve of `scores` (higher = more anomalous) against `labels`
/// (`true` = anomalous).
///
/// Equals the probability that a random anomalous sample scores higher than a random normal
/// one, ties counting one half (Mann–Whitney U / (P·N)); same as sklearn's `roc_auc_score`.
/// O(n log n), one sort.
///
/// # Errors
/// [`MetricError::LengthMismatch`] if the slices differ in length,
/// [`MetricError::NanScore`] if a score is NaN, [`MetricError::SingleClass`] unless both
/// classes are present.
pub fn roc_auc(scores: &[f32], labels: &[bool]) -> Result<f64, MetricError> {
    Ok(auc_of(&RankedLabels::from_slices(scores, labels)?))
}

/// Pixel AUROC: [`roc_auc`] over all pixels of all images, flattened, without first copying
/// the maps into one buffer (one 8-byte key per pixel is all that is allocated).
///
/// `maps[i]` and `masks[i]` are image `i`'s anomaly map and ground-truth mask, any layout
/// as long as both use the same one (row-major in this crate); images may differ in size.
///
/// # Errors
/// [`MetricError::ImageCountMismatch`] / [`MetricError::ImageSizeMismatch`] if counts or
/// lengths disagree, [`MetricError::NanPixel`] on a NaN score,
/// [`MetricError::SingleClass`] unless some pixel is anomalous and some is normal.
pub fn pixel_auroc(maps: &[&[f32]], masks: &[&[bool]]) -> Result<f64, MetricError> {
    Ok(auc_of(&RankedLabels::from_images(maps, masks)?))
}

/// Trapezoids between consecutive ROC points, summed in integers as `2 · area · P · N`.
fn auc_of(ranked: &RankedLabels) -> f64 {
    let (mut tp_prev, mut fp_prev) = (0u64, 0u64);
    let mut twice_area: u128 = 0;
    for point in ranked.sweep() {
        twice_area += u128::from(point.fp - fp_prev) * u128::from(point.tp + tp_prev);
        (tp_prev, fp_prev) = (point.tp, point.fp);
    }
    let denominator = 2 * u128::from(ranked.positives()) * u128::from(ranked.negatives());
    // Both fit f64 exactly below 2^53 (more than 10^15 pixel pairs); above, the rounding is
    // still far below any reported precision.
    twice_area as f64 / denominator as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn perfect_reversed_and_tied() {
        let labels = [false, false, true, true];
        assert_eq!(roc_auc(&[0.1, 0.2, 0.3, 0.4], &labels), Ok(1.0));
        assert_eq!(roc_auc(&[0.4, 0.3, 0.2, 0.1], &labels), Ok(0.0));
        assert_eq!(roc_auc(&[0.5; 4], &labels), Ok(0.5));
    }

    #[test]
    fn four_samples_by_hand() {
        // sklearn's docstring example. Pairs (anomalous, normal): 0.35 > 0.1 yes,
        // 0.35 > 0.4 no, 0.8 > 0.1 yes, 0.8 > 0.4 yes: 3 of 4 pairs ranked right.
        let auc = roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap();
        assert_eq!(auc, 0.75);
    }

    #[test]
    fn ties_between_classes_count_half() {
        // Anomalous {0.5, 0.9}, normal {0.5, 0.1}: pairs (0.5,0.5) = 1/2, (0.5,0.1) = 1,
        // (0.9,0.5) = 1, (0.9,0.1) = 1 → 3.5 / 4.
        let auc = roc_auc(&[0.5, 0.9, 0.5, 0.1], &[true, true, false, false]).unwrap();
        assert_eq!(auc, 0.875);
    }

    #[test]
    fn infinities_rank_like_numbers() {
        let auc = roc_auc(
            &[f32::NEG_INFINITY, 0.0, f32::INFINITY, f32::INFINITY],
            &[false, true, true, false],
        )
        .unwrap();
        // Pairs: (0, -inf) = 1, (0, inf) = 0, (inf, -inf) = 1, (inf, inf) = 1/2.
        assert_eq!(auc, 0.625);
    }

    #[test]
    fn pixel_auroc_equals_flattened_roc_auc() {
        let maps: [&[f32]; 2] = [&[0.1, 0.7, 0.3], &[0.9, 0.3, 0.2, 0.8]];
        let masks: [&[bool]; 2] = [&[false, true, false], &[true, true, false, false]];
        let flat_scores: Vec<f32> = maps.concat();
        let flat_labels: Vec<bool> = masks.concat();
        assert_eq!(
            pixel_auroc(&maps, &masks),
            roc_auc(&flat_scores, &flat_labels)
        );
    }

    #[test]
    fn errors_are_typed() {
        assert_eq!(
            roc_auc(&[0.1, 0.2], &[true]),
            Err(MetricError::LengthMismatch {
                scores: 2,
                labels: 1
            })
        );
        assert_eq!(
            roc_auc(&[0.1, 0.2], &[false, false]),
            Err(MetricError::SingleClass {
                anomalous: 0,
                normal: 2
            })
        );
        assert_eq!(
            roc_auc(&[f32::NAN, 0.2], &[true, false]),
            Err(MetricError::NanScore { index: 0 })
        );
        assert_eq!(
            pixel_auroc(&[&[0.1]], &[]),
            Err(MetricError::ImageCountMismatch {
                maps: 1,
                masks: 0,
                sizes: 0
            })
        );
    }
}
