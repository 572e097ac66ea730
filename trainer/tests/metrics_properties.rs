//! Property tests of `trainer::metrics`: ranges, symmetries and invariances that hold for
//! any input, plus brute-force definitions (pair counting for AUROC, a per-threshold loop
//! for AUPRO) that the fast sorted sweeps must agree with.

use proptest::prelude::*;
use trainer::metrics::{
    aupro, average_precision, connected_components, f1_max, pixel_auroc, roc_auc, ImageSize,
};

const CASES: u32 = 96;

/// Scores with many ties (a quarter-step grid) or mostly distinct, with mixed labels.
fn scored_labels() -> impl Strategy<Value = (Vec<f32>, Vec<bool>)> {
    let quantised = prop::collection::vec((-20i32..=20, any::<bool>()), 2..120)
        .prop_map(|v| v.into_iter().map(|(k, l)| (k as f32 * 0.25, l)).unzip());
    let continuous = prop::collection::vec((-1e4f32..1e4, any::<bool>()), 2..120)
        .prop_map(|v| v.into_iter().unzip());
    prop_oneof![quantised, continuous].prop_filter(
        "both classes",
        |(_, labels): &(Vec<f32>, Vec<bool>)| {
            labels.iter().any(|&l| l) && labels.iter().any(|&l| !l)
        },
    )
}

/// Scores on the quarter grid in [-5, 5], where the transforms below are exact or keep
/// distinct values distinct in f32.
fn grid_scored_labels() -> impl Strategy<Value = (Vec<f32>, Vec<bool>)> {
    prop::collection::vec((-20i32..=20, any::<bool>()), 2..120)
        .prop_map(|v| v.into_iter().map(|(k, l)| (k as f32 * 0.25, l)).unzip())
        .prop_filter("both classes", |(_, labels): &(Vec<f32>, Vec<bool>)| {
            labels.iter().any(|&l| l) && labels.iter().any(|&l| !l)
        })
}

/// Mann–Whitney: P(anomalous > normal) + P(tie) / 2, by counting all pairs.
fn pairwise_auroc(scores: &[f32], labels: &[bool]) -> f64 {
    let (mut wins, mut pairs) = (0.0, 0.0);
    for (a, _) in scores.iter().zip(labels).filter(|&(_, &l)| l) {
        for (n, _) in scores.iter().zip(labels).filter(|&(_, &l)| !l) {
            pairs += 1.0;
            wins += if a > n {
                1.0
            } else if a == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / pairs
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn auroc_is_in_unit_interval((scores, labels) in scored_labels()) {
        let auc = roc_auc(&scores, &labels).unwrap();
        prop_assert!((0.0..=1.0).contains(&auc), "{auc}");
    }

    #[test]
    fn auroc_equals_pairwise_count((scores, labels) in scored_labels()) {
        let auc = roc_auc(&scores, &labels).unwrap();
        prop_assert!((auc - pairwise_auroc(&scores, &labels)).abs() < 1e-12);
    }

    #[test]
    fn auroc_of_negated_scores_is_one_minus((scores, labels) in scored_labels()) {
        let negated: Vec<f32> = scores.iter().map(|s| -s).collect();
        let sum = roc_auc(&scores, &labels).unwrap() + roc_auc(&negated, &labels).unwrap();
        prop_assert!((sum - 1.0).abs() < 1e-12, "{sum}");
    }

    #[test]
    fn ranking_metrics_invariant_under_strictly_increasing_maps(
        (scores, labels) in grid_scored_labels(),
        which in 0usize..4,
    ) {
        let transform = |x: f32| -> f32 {
            let x = f64::from(x);
            match which {
                0 => (3.0 * x - 1.0) as f32,
                1 => (x * x * x + x) as f32,
                2 => x.exp() as f32,
                _ => (100.0 * x.atan()) as f32,
            }
        };
        let mapped: Vec<f32> = scores.iter().map(|&s| transform(s)).collect();
        prop_assert_eq!(roc_auc(&scores, &labels), roc_auc(&mapped, &labels));
        prop_assert_eq!(average_precision(&scores, &labels), average_precision(&mapped, &labels));
        let (before, after) = (f1_max(&scores, &labels).unwrap(), f1_max(&mapped, &labels).unwrap());
        prop_assert_eq!(before.f1, after.f1);
        prop_assert_eq!(transform(before.threshold), after.threshold);
    }

    #[test]
    fn average_precision_and_f1_are_consistent((scores, labels) in scored_labels()) {
        let ap = average_precision(&scores, &labels).unwrap();
        prop_assert!((0.0..=1.0).contains(&ap), "{ap}");
        let best = f1_max(&scores, &labels).unwrap();
        prop_assert!(scores.contains(&best.threshold));
        let harmonic = 2.0 * best.precision * best.recall / (best.precision + best.recall);
        prop_assert!((best.f1 - harmonic).abs() < 1e-12);
        // Recomputed directly at the reported threshold.
        let predicted = |i: usize| scores[i] >= best.threshold;
        let tp = (0..scores.len()).filter(|&i| predicted(i) && labels[i]).count() as f64;
        let fp = (0..scores.len()).filter(|&i| predicted(i) && !labels[i]).count() as f64;
        let positives = labels.iter().filter(|&&l| l).count() as f64;
        prop_assert!((best.precision - tp / (tp + fp)).abs() < 1e-12);
        prop_assert!((best.recall - tp / positives).abs() < 1e-12);
        // No distinct score does better.
        for &t in &scores {
            let tp = (0..scores.len()).filter(|&i| scores[i] >= t && labels[i]).count() as f64;
            let fp = (0..scores.len()).filter(|&i| scores[i] >= t && !labels[i]).count() as f64;
            prop_assert!(2.0 * tp / (tp + fp + positives) <= best.f1 + 1e-12);
        }
    }
}

/// One to three small images with quantised (tie-heavy) maps and sparse masks.
fn small_images() -> impl Strategy<Value = Vec<(ImageSize, Vec<f32>, Vec<bool>)>> {
    let image = (1usize..=6, 1usize..=6).prop_flat_map(|(w, h)| {
        let n = w * h;
        (
            Just(ImageSize::new(w, h)),
            prop::collection::vec((0u8..8).prop_map(|k| f32::from(k) * 0.125), n),
            prop::collection::vec(prop::bool::weighted(0.3), n),
        )
    });
    prop::collection::vec(image, 1..=3)
}

/// AUPRO by its definition: every distinct score as a threshold, counted from scratch.
fn brute_force_aupro(images: &[(ImageSize, Vec<f32>, Vec<bool>)], limit: f64) -> f64 {
    let mut regions: Vec<Vec<f32>> = Vec::new();
    let mut normals = Vec::new();
    for (size, map, mask) in images {
        let (labels, count) = connected_components(mask, size.width, size.height);
        let mut per_region = vec![Vec::new(); count];
        for (&s, &l) in map.iter().zip(&labels) {
            match l {
                0 => normals.push(s),
                l => per_region[l as usize - 1].push(s),
            }
        }
        regions.extend(per_region);
    }
    let mut thresholds: Vec<f32> = images.iter().flat_map(|(_, m, _)| m.clone()).collect();
    thresholds.sort_by(|a, b| b.total_cmp(a));
    thresholds.dedup();
    let mut curve = vec![(0.0, 0.0)];
    for t in thresholds {
        let fpr = normals.iter().filter(|&&s| s >= t).count() as f64 / normals.len() as f64;
        let pro = regions
            .iter()
            .map(|r| r.iter().filter(|&&s| s >= t).count() as f64 / r.len() as f64)
            .sum::<f64>()
            / regions.len() as f64;
        curve.push((fpr, pro));
    }
    let mut area = 0.0;
    for pair in curve.windows(2) {
        let ((x0, y0), (x1, y1)) = (pair[0], pair[1]);
        if x1 <= limit {
            area += (x1 - x0) * (y0 + y1) / 2.0;
        } else if x0 < limit {
            let y = y0 + (y1 - y0) * (limit - x0) / (x1 - x0);
            area += (limit - x0) * (y0 + y) / 2.0;
        }
    }
    area / limit
}

fn has_regions_and_normals(images: &[(ImageSize, Vec<f32>, Vec<bool>)]) -> bool {
    let masks = images.iter().flat_map(|(_, _, m)| m.iter());
    masks.clone().any(|&m| m) && masks.clone().any(|&m| !m)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(CASES))]

    #[test]
    fn aupro_is_in_unit_interval_and_matches_definition(
        images in small_images(),
        limit in prop_oneof![Just(0.3), 0.01f64..=1.0],
    ) {
        prop_assume!(has_regions_and_normals(&images));
        let maps: Vec<&[f32]> = images.iter().map(|(_, m, _)| m.as_slice()).collect();
        let masks: Vec<&[bool]> = images.iter().map(|(_, _, m)| m.as_slice()).collect();
        let sizes: Vec<ImageSize> = images.iter().map(|(s, _, _)| *s).collect();
        let value = aupro(&maps, &masks, &sizes, limit).unwrap();
        prop_assert!((0.0..=1.0).contains(&value), "{value}");
        let expected = brute_force_aupro(&images, limit);
        prop_assert!((value - expected).abs() < 1e-9, "{value} vs {expected}");
    }

    #[test]
    fn aupro_of_perfect_maps_is_one(images in small_images()) {
        prop_assume!(has_regions_and_normals(&images));
        let perfect: Vec<Vec<f32>> = images
            .iter()
            .map(|(_, _, mask)| mask.iter().map(|&m| if m { 1.0 } else { 0.0 }).collect())
            .collect();
        let maps: Vec<&[f32]> = perfect.iter().map(Vec::as_slice).collect();
        let masks: Vec<&[bool]> = images.iter().map(|(_, _, m)| m.as_slice()).collect();
        let sizes: Vec<ImageSize> = images.iter().map(|(s, _, _)| *s).collect();
        // PRO sums 1/|region| per pixel, so "exactly 1" is only exact up to rounding.
        let value = aupro(&maps, &masks, &sizes, 0.3).unwrap();
        prop_assert!((value - 1.0).abs() < 1e-12, "{value}");
        prop_assert_eq!(pixel_auroc(&maps, &masks), Ok(1.0));
    }
}
