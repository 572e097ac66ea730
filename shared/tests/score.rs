//! Score path: reference values from scipy, hand-worked cases, error policy, and
//! property tests.
#![cfg(feature = "alloc")]

use proptest::prelude::*;
use shared::score::{
    gaussian_blur, image_score, normalise, upsample_bilinear, ImageScore, ScoreConfig, ScoreError,
    ScorePipeline, ScoreStats,
};

fn assert_close(got: &[f32], want: &[f32], tol: f32) {
    assert_eq!(got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= tol * w.abs().max(1.0),
            "index {i}: got {g}, want {w}"
        );
    }
}

// Reference values in this file were computed once with scipy 1.17.1 / numpy (float32
// input), printed as shortest f32 literals, and pasted here:
//   from scipy import ndimage as nd
//   nd.gaussian_filter1d(a, 1.0, mode='reflect', truncate=4.0)      # IMPULSE_1D
//   nd.gaussian_filter(m, 0.8, mode='reflect', truncate=4.0)        # TWO_IMPULSES
//   nd.gaussian_filter(s, 2.0, mode='reflect', truncate=4.0)        # WIDE_KERNEL
//   nd.zoom(v, (5/2, 7/3), order=1, mode='nearest', grid_mode=True) # UPSAMPLE_3X2_TO_7X5
// (`zoom` with grid_mode=True and mode='nearest' is half-pixel bilinear with clamped
// edges, i.e. PyTorch align_corners=False.)

/// Impulse at index 4 of 9 zeros, σ = 1.
const IMPULSE_1D: [f32; 9] = [
    0.00013383062,
    0.0044318615,
    0.053991128,
    0.24197145,
    0.39894348,
    0.24197145,
    0.053991128,
    0.0044318615,
    0.00013383062,
];

/// 5×4 map, 1.0 at (x=1, y=1) and 2.0 at (x=4, y=3) (a corner: reflect borders), σ = 0.8.
const TWO_IMPULSES: [f32; 20] = [
    0.06261057,
    0.124890015,
    0.05714785,
    0.0057029882,
    0.0007511128,
    0.12488962,
    0.24913767,
    0.114952944,
    0.022121225,
    0.032717846,
    0.057128143,
    0.11417437,
    0.0633112,
    0.1302235,
    0.3639156,
    0.0055927048,
    0.011796627,
    0.037600853,
    0.3643047,
    1.0570306,
];

/// 3×2 map [[1,2,3],[4,5,7]], σ = 2: radius 8 exceeds the map, so reflection repeats.
const WIDE_KERNEL: [f32; 6] = [
    3.5154238, 3.6546543, 3.7939541, 3.539001, 3.6786325, 3.8183343,
];

/// 3×2 map [[1,5,2],[0,4,8]] resized to 7×5.
const UPSAMPLE_3X2_TO_7X5: [f32; 35] = [
    1.0, 1.5714285, 3.2857144, 5.0, 3.7142856, 2.4285715, 2.0, 0.9, 1.4714285, 3.1857142, 4.9,
    3.9142857, 2.9285715, 2.6, 0.5, 1.0714285, 2.7857144, 4.5, 4.714286, 4.928571, 5.0, 0.1,
    0.67142856, 2.3857143, 4.1, 5.5142856, 6.928571, 7.4, 0.0, 0.5714286, 2.2857144, 4.0, 5.714286,
    7.428571, 8.0,
];

#[test]
fn blur_of_an_impulse_matches_scipy_in_1d_and_2d() {
    let mut row = [0.0f32; 9];
    row[4] = 1.0;
    assert_close(&gaussian_blur(&row, 9, 1, 1.0).unwrap(), &IMPULSE_1D, 1e-6);
    // The same impulse as a column: the vertical pass gives the same numbers.
    assert_close(&gaussian_blur(&row, 1, 9, 1.0).unwrap(), &IMPULSE_1D, 1e-6);

    let mut m = [0.0f32; 20];
    m[5 + 1] = 1.0;
    m[3 * 5 + 4] = 2.0;
    assert_close(&gaussian_blur(&m, 5, 4, 0.8).unwrap(), &TWO_IMPULSES, 1e-6);
}

#[test]
fn blur_with_kernel_wider_than_map_matches_scipy() {
    let s = [1.0, 2.0, 3.0, 4.0, 5.0, 7.0];
    assert_close(&gaussian_blur(&s, 3, 2, 2.0).unwrap(), &WIDE_KERNEL, 1e-6);
}

#[test]
fn blur_with_sigma_zero_is_identity() {
    let m = [0.5, -1.0, 3.25, 7.0];
    assert_eq!(gaussian_blur(&m, 2, 2, 0.0).unwrap(), m);
}

#[test]
fn upsample_two_by_two_to_four_by_four_matches_pytorch() {
    // torch.nn.functional.interpolate(t, size=(4, 4), mode="bilinear",
    // align_corners=False) on [[0, 1], [2, 3]]; worked by hand: source coordinates
    // -0.25 (clamped to 0), 0.25, 0.75, 1.25 (upper neighbour clamped) on each axis.
    let want = [
        0.0, 0.25, 0.75, 1.0, //
        0.5, 0.75, 1.25, 1.5, //
        1.5, 1.75, 2.25, 2.5, //
        2.0, 2.25, 2.75, 3.0,
    ];
    assert_eq!(
        upsample_bilinear(&[0.0, 1.0, 2.0, 3.0], 2, 2, 4, 4).unwrap(),
        want
    );
}

#[test]
fn upsample_non_integer_ratio_matches_scipy() {
    let v = [1.0, 5.0, 2.0, 0.0, 4.0, 8.0];
    assert_close(
        &upsample_bilinear(&v, 3, 2, 7, 5).unwrap(),
        &UPSAMPLE_3X2_TO_7X5,
        1e-6,
    );
}

#[test]
fn upsample_to_same_size_is_identity() {
    let v = [1.0, 5.0, 2.0, 0.0, 4.0, 8.0];
    assert_eq!(upsample_bilinear(&v, 3, 2, 3, 2).unwrap(), v);
}

#[test]
fn image_score_max_and_top_k_mean() {
    let m = [1.0, 9.0, 3.0, 7.0, 5.0, 2.0];
    assert_eq!(image_score(&m, ImageScore::Max).unwrap(), 9.0);
    assert_eq!(image_score(&m, ImageScore::TopKMean { k: 1 }).unwrap(), 9.0);
    assert_eq!(image_score(&m, ImageScore::TopKMean { k: 3 }).unwrap(), 7.0);
    assert_eq!(
        image_score(&m, ImageScore::TopKMean { k: 6 }).unwrap(),
        27.0 / 6.0
    );
    assert_eq!(
        image_score(&m, ImageScore::TopKMean { k: 0 }),
        Err(ScoreError::InvalidTopK { k: 0, cells: 6 })
    );
    assert_eq!(
        image_score(&m, ImageScore::TopKMean { k: 7 }),
        Err(ScoreError::InvalidTopK { k: 7, cells: 6 })
    );
}

fn config(image_score: ImageScore) -> ScoreConfig {
    ScoreConfig {
        smoothing_sigma: 1.5,
        image_score,
        map_width: 6,
        map_height: 5,
        image_sigma: 1.5,
    }
}

#[test]
fn nan_or_infinite_map_is_rejected_never_scored_low() {
    let mut p = ScorePipeline::new(config(ImageScore::Max), 12, 10).unwrap();
    let mut out = vec![0.0; 120];
    for bad in [f32::NAN, f32::INFINITY, f32::NEG_INFINITY] {
        let mut map = vec![0.0; 30];
        map[2 * 6 + 3] = bad;
        let err = p.run(&map, &mut out).unwrap_err();
        assert!(
            matches!(err, ScoreError::NonFinite { x: 3, y: 2, .. }),
            "{err:?}"
        );
        assert!(image_score(&map, ImageScore::TopKMean { k: 2 }).is_err());
        assert!(gaussian_blur(&map, 6, 5, 1.0).is_err());
    }
    assert_eq!(
        normalise(
            f32::NAN,
            1.0,
            &ScoreStats {
                min: 0.0,
                max: 1.0,
                mean: 0.5,
                std: 0.1,
                count: 3
            }
        ),
        1.0
    );
}

#[test]
fn wrong_lengths_and_bad_configs_are_typed_errors() {
    let mut p = ScorePipeline::new(config(ImageScore::Max), 12, 10).unwrap();
    let mut out = vec![0.0; 120];
    assert!(matches!(
        p.run(&[0.0; 29], &mut out),
        Err(ScoreError::MapLength {
            expected: 30,
            found: 29,
            width: 6,
            height: 5
        })
    ));
    assert!(matches!(
        p.run(&[0.0; 30], &mut out[..119]),
        Err(ScoreError::OutputLength {
            expected: 120,
            found: 119,
            ..
        })
    ));
    let bad_sigma = ScoreConfig {
        smoothing_sigma: f32::NAN,
        ..config(ImageScore::Max)
    };
    assert!(matches!(
        ScorePipeline::new(bad_sigma, 1, 1),
        Err(ScoreError::InvalidSigma { .. })
    ));
    let negative = ScoreConfig {
        smoothing_sigma: -1.0,
        ..config(ImageScore::Max)
    };
    assert!(matches!(
        ScorePipeline::new(negative, 1, 1),
        Err(ScoreError::InvalidSigma { .. })
    ));
    for image_sigma in [f32::INFINITY, -0.5, 65.0] {
        let bad_image_sigma = ScoreConfig {
            image_sigma,
            ..config(ImageScore::Max)
        };
        assert!(matches!(
            ScorePipeline::new(bad_image_sigma, 1, 1),
            Err(ScoreError::InvalidSigma { .. })
        ));
    }
    let empty = ScoreConfig {
        map_width: 0,
        ..config(ImageScore::Max)
    };
    assert!(matches!(
        ScorePipeline::new(empty, 1, 1),
        Err(ScoreError::InvalidSize { what: "map", .. })
    ));
    assert!(matches!(
        ScorePipeline::new(config(ImageScore::Max), 0, 4),
        Err(ScoreError::InvalidSize { what: "output", .. })
    ));
    assert!(matches!(
        ScorePipeline::new(config(ImageScore::TopKMean { k: 31 }), 4, 4),
        Err(ScoreError::InvalidTopK { k: 31, cells: 30 })
    ));
    let huge = ScoreConfig {
        map_width: 1 << 16,
        map_height: 1 << 16,
        ..config(ImageScore::Max)
    };
    assert!(matches!(
        ScorePipeline::new(huge, 1, 1),
        Err(ScoreError::InvalidSize { .. })
    ));
}

fn map_strategy() -> impl Strategy<Value = (u32, u32, Vec<f32>)> {
    (1u32..10, 1u32..10).prop_flat_map(|(w, h)| {
        (
            Just(w),
            Just(h),
            prop::collection::vec(-100.0f32..100.0, (w * h) as usize),
        )
    })
}

fn min_max(v: &[f32]) -> (f32, f32) {
    v.iter()
        .fold((f32::INFINITY, f32::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn pipeline_equals_the_free_functions_bit_for_bit(
        (w, h, map) in map_strategy(), sigma in 0.0f32..3.0, image_sigma in 0.0f32..3.0,
        same in any::<bool>(), ow in 1u32..24, oh in 1u32..24, k in 1u32..100,
    ) {
        let k = k.min(w * h);
        // Equal σ takes the pipeline's one-blur path; different σ its two-blur path.
        let image_sigma = if same { sigma } else { image_sigma };
        for method in [ImageScore::Max, ImageScore::TopKMean { k }] {
            let cfg = ScoreConfig { smoothing_sigma: sigma, image_score: method, map_width: w, map_height: h, image_sigma };
            let mut p = ScorePipeline::new(cfg, ow, oh).unwrap();
            let mut out = vec![0.0; (ow * oh) as usize];
            let score = p.run(&map, &mut out).unwrap();
            let for_image = gaussian_blur(&map, w, h, image_sigma).unwrap();
            let for_heat = gaussian_blur(&map, w, h, sigma).unwrap();
            prop_assert_eq!(p.smoothed_map(), &for_image[..]);
            prop_assert_eq!(score.to_bits(), image_score(&for_image, method).unwrap().to_bits());
            prop_assert_eq!(p.score(&map).unwrap().to_bits(), score.to_bits());
            prop_assert_eq!(out, upsample_bilinear(&for_heat, w, h, ow, oh).unwrap());
        }
    }

    #[test]
    fn blur_of_a_constant_map_is_that_constant(w in 1u32..12, h in 1u32..12, c in -1e6f32..1e6, sigma in 0.0f32..6.0) {
        let map = vec![c; (w * h) as usize];
        prop_assert!(gaussian_blur(&map, w, h, sigma).unwrap().iter().all(|&v| v == c));
    }

    #[test]
    fn blur_stays_within_input_range((w, h, map) in map_strategy(), sigma in 0.0f32..5.0) {
        let (lo, hi) = min_max(&map);
        let out = gaussian_blur(&map, w, h, sigma).unwrap();
        prop_assert!(out.iter().all(|&v| lo <= v && v <= hi), "{:?} not in {}..{}", out, lo, hi);
    }

    #[test]
    fn blur_preserves_sum_away_from_borders(
        values in prop::collection::vec(0.0f32..10.0, 1..5), sigma in 0.3f32..1.2, offset in 0usize..3,
    ) {
        // Mass placed in the middle of a map wide enough that the kernel never reaches a
        // border: the blur only redistributes it.
        let (w, h) = (32u32, 32u32);
        let mut map = vec![0.0f32; (w * h) as usize];
        for (i, v) in values.iter().enumerate() {
            map[(14 + offset) * 32 + 14 + i] = *v;
        }
        let before: f64 = map.iter().map(|&v| f64::from(v)).sum();
        let after: f64 = gaussian_blur(&map, w, h, sigma).unwrap().iter().map(|&v| f64::from(v)).sum();
        prop_assert!((before - after).abs() <= 1e-5 * before.max(1.0), "{} vs {}", before, after);
    }

    #[test]
    fn upsampling_a_constant_is_constant(w in 1u32..8, h in 1u32..8, ow in 1u32..40, oh in 1u32..40, c in -1e6f32..1e6) {
        let map = vec![c; (w * h) as usize];
        prop_assert!(upsample_bilinear(&map, w, h, ow, oh).unwrap().iter().all(|&v| v == c));
    }

    #[test]
    fn upsampling_stays_within_input_range((w, h, map) in map_strategy(), ow in 1u32..40, oh in 1u32..40) {
        let (lo, hi) = min_max(&map);
        let out = upsample_bilinear(&map, w, h, ow, oh).unwrap();
        prop_assert!(out.iter().all(|&v| lo <= v && v <= hi));
    }

    #[test]
    fn max_bounds_top_k_mean_bounds_mean(values in prop::collection::vec(-1e4f32..1e4, 1..200), k in 1usize..200) {
        let k = k.min(values.len()) as u32;
        let max = image_score(&values, ImageScore::Max).unwrap();
        let top = image_score(&values, ImageScore::TopKMean { k }).unwrap();
        let mean = image_score(&values, ImageScore::TopKMean { k: values.len() as u32 }).unwrap();
        prop_assert!(max >= top && top >= mean, "max {} top {} mean {}", max, top, mean);
        let direct = (values.iter().map(|&v| f64::from(v)).sum::<f64>() / values.len() as f64) as f32;
        prop_assert!((mean - direct).abs() <= 1e-3);
    }
}
