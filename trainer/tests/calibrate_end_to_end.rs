//! `trainer::calibrate::calibrate` end to end with a cheap fake scorer (distance to the
//! mean good image), and its error paths.

use image::RgbImage;
use trainer::calibrate::{
    calibrate, calibrate_scores, CalibrateError, CalibrationConfig, CalibrationWarning,
    PixelMethod, ScoredSets, ThresholdMethod,
};
use trainer::synth::render::render;
use trainer::synth::rng::Rng;
use trainer::synth::scene::{Material, View};
use trainer::synth::{Scene, TextureKind};

const SIDE: u32 = 64;

/// A fixed fixture: the same part and view, fresh sensor noise per image.
fn held_out(n: usize) -> Vec<RgbImage> {
    let material = Material::new(Scene::Part, TextureKind::Weave, 21);
    let view = View::random(&mut Rng::new(&[21, 1]));
    (0..n)
        .map(|i| {
            render(
                &material,
                &view,
                SIDE,
                None,
                &mut Rng::new(&[21, 2, i as u64]),
            )
        })
        .collect()
}

/// Fake scorer: per pixel the largest channel distance to the mean good image, averaged
/// over 3×3 (to quiet sensor noise); the image score is the map's maximum.
struct MeanDistance {
    mean: Vec<[f32; 3]>,
}

impl MeanDistance {
    fn fit(images: &[RgbImage]) -> Self {
        let mut mean = vec![[0.0f32; 3]; (SIDE * SIDE) as usize];
        for image in images {
            for (m, p) in mean.iter_mut().zip(image.pixels()) {
                for (m, v) in m.iter_mut().zip(p.0) {
                    *m += f32::from(v) / images.len() as f32;
                }
            }
        }
        MeanDistance { mean }
    }

    fn score(&self, image: &RgbImage) -> (f32, Vec<f32>) {
        let w = SIDE as i64;
        let raw: Vec<f32> = image
            .pixels()
            .zip(&self.mean)
            .map(|(p, m)| {
                (0..3)
                    .map(|c| (f32::from(p.0[c]) - m[c]).abs())
                    .fold(0.0, f32::max)
            })
            .collect();
        let mut map = vec![0.0; raw.len()];
        for y in 0..w {
            for x in 0..w {
                let (mut sum, mut count) = (0.0, 0.0);
                for (dx, dy) in (-1..=1).flat_map(|dy| (-1..=1).map(move |dx| (dx, dy))) {
                    let (u, v) = (x + dx, y + dy);
                    if (0..w).contains(&u) && (0..w).contains(&v) {
                        sum += raw[(v * w + u) as usize];
                        count += 1.0;
                    }
                }
                map[(y * w + x) as usize] = sum / count;
            }
        }
        (map.iter().copied().fold(0.0, f32::max), map)
    }
}

#[test]
fn catches_most_synthetic_anomalies_with_a_fake_scorer() {
    let images = held_out(24);
    let scorer = MeanDistance::fit(&images);
    let config = CalibrationConfig {
        target_false_reject_rate: 0.05,
        seed: 1,
        ..CalibrationConfig::default()
    };
    let calibration = calibrate(&images, &config, |image| {
        Ok::<_, std::convert::Infallible>(scorer.score(image))
    })
    .unwrap();
    println!("{calibration}");
    assert_eq!(calibration.good_count, 24);
    assert_eq!(calibration.synthetic_count, 24 * 4);
    assert_eq!(calibration.defect_count, 0);
    // 0.05 × 24 = 1.2 → one reject allowed: the highest good score.
    assert_eq!(
        calibration.method,
        ThresholdMethod::Quantile {
            target_false_reject_rate: 0.05,
            above_max: false
        }
    );
    assert_eq!(calibration.image_threshold, calibration.score_stats.max);
    assert_eq!(calibration.false_rejects, 1);
    let catch = calibration.catch.unwrap();
    assert!(catch.rate >= 0.8, "caught only {catch:?}");
    assert!(catch.low <= catch.rate && catch.rate <= catch.high);
    assert!(matches!(calibration.pixel_method, PixelMethod::F1Max { f1, .. } if f1 > 0.3));
    assert!(
        calibration.warnings.is_empty(),
        "{:?}",
        calibration.warnings
    );

    // Deterministic: the same inputs give the same result.
    let again = calibrate(&images, &config, |image| {
        Ok::<_, std::convert::Infallible>(scorer.score(image))
    })
    .unwrap();
    assert_eq!(again, calibration);

    // Serialises for the report, with the method tagged.
    let json = serde_json::to_value(&calibration).unwrap();
    assert_eq!(json["method"]["method"], "quantile");
    assert_eq!(json["good_count"], 24);
    let text = calibration.to_string();
    assert!(
        text.contains("image threshold") && text.contains("synthetic anomalies"),
        "{text}"
    );
}

#[test]
fn default_target_on_few_images_warns() {
    let images = held_out(8);
    let scorer = MeanDistance::fit(&images);
    let calibration = calibrate(&images, &CalibrationConfig::default(), |image| {
        Ok::<_, std::convert::Infallible>(scorer.score(image))
    })
    .unwrap();
    assert!(calibration.image_threshold > calibration.score_stats.max);
    assert_eq!(calibration.false_rejects, 0);
    assert!(calibration
        .warnings
        .contains(&CalibrationWarning::TargetBelowResolution {
            target: 0.01,
            held_out: 8
        }));
    assert!(calibration
        .to_string()
        .contains("warning: target false-reject rate 0.01"));
}

#[test]
fn scorer_failures_and_bad_outputs_are_errors() {
    let images = held_out(3);
    let config = CalibrationConfig::default();
    assert!(matches!(
        calibrate(&[], &config, |_| Ok::<_, std::io::Error>((0.0, Vec::new()))),
        Err(CalibrateError::EmptyHeldOut)
    ));
    // The scorer's error is kept as the source; anyhow errors convert too.
    let err = calibrate(&images, &config, |_| {
        Err::<(f32, Vec<f32>), _>(anyhow::anyhow!("camera fell off"))
    })
    .unwrap_err();
    assert!(matches!(
        err,
        CalibrateError::Score {
            set: "good",
            index: 0,
            ..
        }
    ));
    assert_eq!(
        std::error::Error::source(&err).unwrap().to_string(),
        "camera fell off"
    );
    // Heat map not at image resolution.
    let err = calibrate(&images, &config, |_| {
        Ok::<_, std::io::Error>((1.0, vec![0.0; 32 * 32]))
    })
    .unwrap_err();
    assert!(matches!(
        err,
        CalibrateError::SizeMismatch {
            map_len: 1024,
            mask_len: 4096,
            ..
        }
    ));
    // NaN scores never pass.
    let err = calibrate(&images, &config, |_| {
        Ok::<_, std::io::Error>((f32::NAN, vec![0.0; (SIDE * SIDE) as usize]))
    })
    .unwrap_err();
    assert!(matches!(
        err,
        CalibrateError::NonFiniteScore {
            set: "good",
            index: 0,
            ..
        }
    ));
    let mut calls = 0;
    let err = calibrate(&images, &config, |_| {
        calls += 1;
        let mut map = vec![0.0; (SIDE * SIDE) as usize];
        if calls > 3 {
            map[7] = f32::NAN;
        }
        Ok::<_, std::io::Error>((1.0, map))
    })
    .unwrap_err();
    assert!(matches!(
        err,
        CalibrateError::NonFinitePixel {
            set: "synthetic",
            image: 0,
            pixel: 7,
            ..
        }
    ));
    let bad = CalibrationConfig {
        kinds: Vec::new(),
        ..CalibrationConfig::default()
    };
    assert!(matches!(
        calibrate(&images, &bad, |_| Ok::<_, std::io::Error>((
            0.0,
            Vec::new()
        ))),
        Err(CalibrateError::Config(_))
    ));
}

#[test]
fn real_defects_switch_to_f1_max() {
    let good_maps: Vec<&[f32]> = vec![&[0.1, 0.2], &[0.2, 0.1], &[0.3, 0.1], &[0.1, 0.6]];
    let calibration = calibrate_scores(
        &ScoredSets {
            good_scores: &[0.1, 0.2, 0.3, 0.6],
            good_maps: &good_maps,
            defect_scores: &[0.5, 0.7, 0.9],
            ..ScoredSets::default()
        },
        &CalibrationConfig::default(),
    )
    .unwrap();
    assert_eq!(calibration.image_threshold, 0.5);
    assert!(matches!(calibration.method, ThresholdMethod::F1Max { .. }));
    assert_eq!(calibration.false_rejects, 1);
    assert_eq!(calibration.defect_catch.unwrap().caught, 3);
    assert!(calibration.catch.is_none());
    // No synthetic anomaly: the pixel threshold falls back to a good quantile and says so.
    assert_eq!(
        calibration.pixel_method,
        PixelMethod::GoodQuantile { quantile: 0.999 }
    );
    assert!(calibration.pixel_threshold > 0.6);
    assert_eq!(
        calibration.warnings,
        vec![CalibrationWarning::PixelThresholdFromGoodOnly { quantile: 0.999 }]
    );
    assert_eq!(calibration.thresholds().image, 0.5);
}
