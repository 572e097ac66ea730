//! Threshold rules of `trainer::calibrate` on hand-worked small sets: the order-statistic
//! image threshold (ties, target 0, the 1/n boundary), F1-max with defects, score stats,
//! Wilson intervals, catch rates and the pixel threshold.

use trainer::calibrate::{
    catch_rate, image_threshold, pixel_threshold, score_stats, threshold_f1_max, wilson_interval,
    CalibrateError, CalibrationWarning, PixelMethod, ThresholdMethod, MARGIN_FRACTION, Z_95,
};

const TEN: [f32; 10] = [0.5, 0.1, 0.9, 0.3, 0.7, 0.2, 0.8, 0.4, 0.6, 1.0];

fn quantile(method: ThresholdMethod) -> (f64, bool) {
    match method {
        ThresholdMethod::Quantile {
            target_false_reject_rate,
            above_max,
        } => (target_false_reject_rate, above_max),
        other => panic!("expected a quantile method, got {other:?}"),
    }
}

#[test]
fn target_one_in_ten_rejects_only_the_highest() {
    // n = 10, target 0.1 → k = 1 reject allowed: the threshold is the highest score.
    let t = image_threshold(&TEN, 0.1).unwrap();
    assert_eq!(t.threshold, 1.0);
    assert_eq!((t.false_rejects, t.good_count), (1, 10));
    assert_eq!(t.false_reject_rate, 0.1);
    assert_eq!(t.min_measurable_rate, 0.1);
    assert_eq!(quantile(t.method), (0.1, false));
    assert!(t.warnings.is_empty(), "{:?}", t.warnings);
}

#[test]
fn target_three_in_ten_is_the_third_highest() {
    // k = 3: scores ≥ 0.8 are 1.0, 0.9, 0.8.
    let t = image_threshold(&TEN, 0.3).unwrap();
    assert_eq!((t.threshold, t.false_rejects), (0.8, 3));
    // Just under 3/10 allows only 2 rejects.
    let t = image_threshold(&TEN, 0.2999).unwrap();
    assert_eq!((t.threshold, t.false_rejects), (0.9, 2));
    // Target 1: every good image may be rejected → the lowest score.
    let t = image_threshold(&TEN, 1.0).unwrap();
    assert_eq!((t.threshold, t.false_rejects), (0.1, 10));
}

#[test]
fn target_below_one_over_n_goes_above_the_maximum_and_warns() {
    // 1/n = 0.1; 0.09 allows no reject.
    let t = image_threshold(&TEN, 0.09).unwrap();
    // Margin: 5 % of the range 0.9.
    assert_eq!(t.threshold, 1.0 + MARGIN_FRACTION * 0.9);
    assert_eq!((t.false_rejects, t.false_reject_rate), (0, 0.0));
    assert_eq!(quantile(t.method), (0.09, true));
    assert_eq!(
        t.warnings,
        vec![CalibrationWarning::TargetBelowResolution {
            target: 0.09,
            held_out: 10
        }]
    );
    let text = t.warnings[0].to_string();
    assert!(
        text.contains("1/10") && text.contains("at least 12"),
        "{text}"
    );
    // Exactly 1/n is resolvable: no warning.
    assert!(image_threshold(&TEN, 0.1).unwrap().warnings.is_empty());
}

#[test]
fn target_zero_rejects_no_held_out_image() {
    let t = image_threshold(&TEN, 0.0).unwrap();
    assert!(t.threshold > 1.0);
    assert_eq!(t.false_rejects, 0);
    assert_eq!(t.warnings.len(), 1);
    // One image: the margin is 5 % of |max|; a lone zero gets the next float up.
    let one = image_threshold(&[2.0], 0.0).unwrap();
    assert_eq!(one.threshold, 2.1);
    assert_eq!(one.min_measurable_rate, 1.0);
    let zero = image_threshold(&[0.0], 0.5).unwrap();
    assert!(zero.threshold > 0.0 && zero.threshold < 1e-30);
    assert_eq!(zero.false_rejects, 0);
}

#[test]
fn ties_are_rejected_together() {
    // n = 5, target 0.4 → k = 2. The top two are tied with a third: {3, 3, 3} would be
    // 3 rejects, so no score qualifies and the threshold goes above the maximum.
    let scores = [3.0, 1.0, 3.0, 2.0, 3.0];
    let t = image_threshold(&scores, 0.4).unwrap();
    assert!(t.threshold > 3.0);
    assert_eq!(t.false_rejects, 0);
    assert_eq!(quantile(t.method), (0.4, true));
    // No warning: the target is resolvable, the ties just do not fit it.
    assert!(t.warnings.is_empty());
    // Target 0.6 → k = 3: the tied group fits exactly.
    let t = image_threshold(&scores, 0.6).unwrap();
    assert_eq!((t.threshold, t.false_rejects), (3.0, 3));
    // Target 0.8 → k = 4: {3, 3, 3, 2}.
    let t = image_threshold(&scores, 0.8).unwrap();
    assert_eq!((t.threshold, t.false_rejects), (2.0, 4));
    // -0.0 and 0.0 tie.
    let t = image_threshold(&[0.0, -0.0, -1.0], 2.0 / 3.0).unwrap();
    assert_eq!((t.threshold, t.false_rejects), (0.0, 2));
}

#[test]
fn bad_inputs_are_typed_errors() {
    assert!(matches!(
        image_threshold(&[], 0.1),
        Err(CalibrateError::EmptyHeldOut)
    ));
    assert!(matches!(
        image_threshold(&[0.1, f32::NAN], 0.1),
        Err(CalibrateError::NonFiniteScore { index: 1, .. })
    ));
    assert!(matches!(
        image_threshold(&[0.1, f32::INFINITY], 0.1),
        Err(CalibrateError::NonFiniteScore { index: 1, .. })
    ));
    for target in [-0.1, 1.5, f64::NAN] {
        assert!(matches!(
            image_threshold(&TEN, target),
            Err(CalibrateError::OutOfRange { .. })
        ));
    }
    assert!(matches!(
        threshold_f1_max(&TEN, &[]),
        Err(CalibrateError::EmptyDefects)
    ));
    assert!(matches!(
        threshold_f1_max(&TEN, &[f32::NAN]),
        Err(CalibrateError::NonFiniteScore { set: "defect", .. })
    ));
    assert!(matches!(
        score_stats(&[]),
        Err(CalibrateError::EmptyHeldOut)
    ));
    assert!(matches!(
        catch_rate(&[], 1.0),
        Err(CalibrateError::EmptyAnomalies)
    ));
}

#[test]
fn f1_max_with_real_defects() {
    // Good 0.1 0.2 0.3 0.6; defects 0.5 0.7 0.9.
    // t = 0.5: TP 3, FP 1 → F1 = 6/7, the best (t = 0.7: TP 2, FP 0 → 4/5).
    let t = threshold_f1_max(&[0.1, 0.2, 0.3, 0.6], &[0.5, 0.7, 0.9]).unwrap();
    assert_eq!(t.threshold, 0.5);
    assert_eq!((t.false_rejects, t.good_count), (1, 4));
    assert_eq!(t.false_reject_rate, 0.25);
    match t.method {
        ThresholdMethod::F1Max {
            f1,
            precision,
            recall,
        } => {
            assert!((f1 - 6.0 / 7.0).abs() < 1e-12);
            assert_eq!((precision, recall), (0.75, 1.0));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn score_stats_by_hand() {
    let s = score_stats(&[1.0, 2.0, 3.0, 4.0]).unwrap();
    assert_eq!((s.min, s.max, s.mean, s.count), (1.0, 4.0, 2.5, 4));
    // Population variance: (2.25 + 0.25 + 0.25 + 2.25) / 4 = 1.25.
    assert!((s.std - 1.25f32.sqrt()).abs() < 1e-6);
    let one = score_stats(&[7.0]).unwrap();
    assert_eq!((one.std, one.count), (0.0, 1));
}

#[test]
fn wilson_interval_matches_hand_computed_values() {
    // (p + z²/2n ± z·√(p(1−p)/n + z²/4n²)) / (1 + z²/n), z = 1.959964.
    let close = |(a, b): (f64, f64), (c, d): (f64, f64)| {
        assert!(
            (a - c).abs() < 1e-9 && (b - d).abs() < 1e-9,
            "({a}, {b}) vs ({c}, {d})"
        );
    };
    close(
        wilson_interval(8, 10, Z_95),
        (0.490_162_471_5, 0.943_317_848_5),
    );
    close(wilson_interval(0, 10, Z_95), (0.0, 0.277_532_799_9));
    close(wilson_interval(10, 10, Z_95), (0.722_467_200_1, 1.0));
    close(
        wilson_interval(45, 50, Z_95),
        (0.786_397_685_6, 0.956_524_235_1),
    );
    close(wilson_interval(1, 1, Z_95), (0.206_549_314_4, 1.0));
    assert_eq!(wilson_interval(0, 0, Z_95), (0.0, 1.0));
}

#[test]
fn catch_rate_counts_scores_at_or_above_the_threshold() {
    let c = catch_rate(&[0.5, 1.0, 1.5, 2.0, 0.9, 1.1, 3.0, 1.0, 2.5, 1.2], 1.0).unwrap();
    // 1.0 counts (≥): everything except 0.5 and 0.9.
    assert_eq!((c.caught, c.total), (8, 10));
    assert_eq!(c.rate, 0.8);
    assert!((c.low - 0.490_162_471_5).abs() < 1e-9);
    assert!((c.high - 0.943_317_848_5).abs() < 1e-9);
}

#[test]
fn pixel_threshold_is_the_f1_optimum() {
    // One good map (all normal) and one synthetic map with its mask.
    // Normal values: 0.1 0.2 0.3 0.45 | 0.2 0.5; anomalous: 0.4 0.6 0.9.
    // t = 0.9: TP 1 FP 0 → F1 2/4 = 0.5;  t = 0.6: TP 2 FP 0 → 4/5 = 0.8;
    // t = 0.5: TP 2 FP 1 → 4/6;           t = 0.45: TP 2 FP 2 → 4/7;
    // t = 0.4: TP 3 FP 2 → 6/8 = 0.75;    lower: more FP, F1 falls.
    let good: &[f32] = &[0.1, 0.2, 0.3, 0.45];
    let synthetic: &[f32] = &[0.2, 0.4, 0.5, 0.6, 0.9];
    let mask: &[bool] = &[false, true, false, true, true];
    let p = pixel_threshold(&[good], &[synthetic], &[mask], 0.99).unwrap();
    assert_eq!(p.threshold, 0.6);
    assert_eq!((p.anomaly_pixels, p.normal_pixels), (3, 6));
    match p.method {
        PixelMethod::F1Max {
            f1,
            precision,
            recall,
        } => {
            assert!((f1 - 0.8).abs() < 1e-12);
            assert_eq!(precision, 1.0);
            assert!((recall - 2.0 / 3.0).abs() < 1e-12);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn pixel_threshold_falls_back_to_a_good_quantile() {
    // 10 good pixels 0.1 … 1.0; quantile 0.8 → at most 20 % at or above → 0.9.
    let good: Vec<f32> = (1..=10).map(|i| i as f32 / 10.0).collect();
    let empty_mask = [false; 3];
    let p = pixel_threshold(&[&good], &[&[5.0, 6.0, 7.0]], &[&empty_mask], 0.8).unwrap();
    assert_eq!(p.threshold, 0.9);
    assert_eq!(p.method, PixelMethod::GoodQuantile { quantile: 0.8 });
    let none = pixel_threshold(&[&good], &[], &[], 0.8).unwrap();
    assert_eq!(none.threshold, 0.9);
}

#[test]
fn pixel_inputs_are_checked() {
    let good: &[f32] = &[0.1, 0.2];
    assert!(matches!(
        pixel_threshold(&[good], &[&[0.1, 0.2]], &[&[true]], 0.99),
        Err(CalibrateError::SizeMismatch {
            image: 0,
            map_len: 2,
            mask_len: 1,
            ..
        })
    ));
    assert!(matches!(
        pixel_threshold(&[good], &[&[0.1]], &[], 0.99),
        Err(CalibrateError::CountMismatch { .. })
    ));
    assert!(matches!(
        pixel_threshold(&[good], &[&[0.1, f32::NAN]], &[&[true, false]], 0.99),
        Err(CalibrateError::NonFinitePixel {
            set: "synthetic",
            image: 0,
            pixel: 1,
            ..
        })
    ));
    assert!(matches!(
        pixel_threshold(&[], &[&[0.1]], &[&[true]], 0.99),
        Err(CalibrateError::EmptyHeldOut)
    ));
    assert!(matches!(
        pixel_threshold(&[good], &[], &[], 1.5),
        Err(CalibrateError::OutOfRange { .. })
    ));
}

mod properties {
    use proptest::prelude::*;
    use trainer::calibrate::image_threshold;

    proptest! {
        /// The threshold meets the target, is the lowest score that does (or lies above the
        /// maximum when none does), and reports the rate it achieves.
        #[test]
        fn threshold_is_the_smallest_meeting_the_target(
            scores in prop::collection::vec(-5i32..5, 1..40),
            target in 0.0f64..=1.0,
        ) {
            // Small integer range: plenty of ties.
            let scores: Vec<f32> = scores.into_iter().map(|s| s as f32 * 0.5).collect();
            let n = scores.len();
            let t = image_threshold(&scores, target).unwrap();
            let rejects = |th: f32| scores.iter().filter(|&&s| s >= th).count();
            prop_assert!(t.threshold.is_finite());
            prop_assert_eq!(t.false_rejects, rejects(t.threshold));
            prop_assert!(t.false_reject_rate <= target);
            let max = scores.iter().copied().fold(f32::MIN, f32::max);
            if t.threshold > max {
                prop_assert!((rejects(max) as f64 / n as f64) > target);
            } else {
                prop_assert!(scores.contains(&t.threshold));
                // The next lower distinct score would break the target.
                if let Some(lower) = scores.iter().copied().filter(|&s| s < t.threshold)
                    .max_by(f32::total_cmp)
                {
                    prop_assert!((rejects(lower) as f64 / n as f64) > target);
                }
            }
        }
    }
}
