//! Calibration end to end: [`calibrate_scores`] from scores the caller computed, and
//! [`calibrate`], which synthesises anomalies from held-out good images and scores them
//! through a caller-supplied closure (in `trainer fit`: the edge `Inspector`).

use image::RgbImage;

use super::anomaly::{synthesize, AnomalyKind};
use super::catch::catch_rate;
use super::error::{check_unit, CalibrateError};
use super::pixel::pixel_threshold;
use super::report::Calibration;
use super::threshold::{image_threshold, score_stats, threshold_f1_max};
use super::warning::CalibrationWarning;
use crate::synth::rng::Rng;

/// Purpose word of the synthetic-anomaly streams (`Rng::new(&[seed, TAG, image, j])`).
const SYNTH_STREAM: u64 = 0x6361_6c69_6272_6174;
/// Below this share of synthetic anomalies caught, [`CalibrationWarning::LowCatchRate`].
pub const LOW_CATCH_RATE: f64 = 0.5;

/// What [`calibrate`] does. `Default`: 1 % false-reject target, four anomalies per
/// held-out image (one of each kind), seed 0, pixel fallback quantile 0.999.
#[derive(Debug, Clone, PartialEq)]
pub struct CalibrationConfig {
    /// Largest accepted share of good parts rejected, in [0, 1].
    pub target_false_reject_rate: f64,
    /// Synthetic anomalies drawn per held-out image.
    pub anomalies_per_image: usize,
    /// Kinds drawn, cycled over all (image, anomaly) pairs; non-empty when
    /// `anomalies_per_image > 0`.
    pub kinds: Vec<AnomalyKind>,
    /// Seed of the synthetic anomalies: the same seed and images give the same anomalies.
    pub seed: u64,
    /// Quantile of good heat-map values used as the pixel threshold when no anomaly pixel
    /// exists, in [0, 1].
    pub pixel_fallback_quantile: f64,
}

impl Default for CalibrationConfig {
    fn default() -> Self {
        CalibrationConfig {
            target_false_reject_rate: 0.01,
            anomalies_per_image: AnomalyKind::ALL.len(),
            kinds: AnomalyKind::ALL.to_vec(),
            seed: 0,
            pixel_fallback_quantile: 0.999,
        }
    }
}

impl CalibrationConfig {
    fn validate(&self) -> Result<(), CalibrateError> {
        check_unit("target false-reject rate", self.target_false_reject_rate)?;
        check_unit("pixel fallback quantile", self.pixel_fallback_quantile)?;
        if self.anomalies_per_image > 0 && self.kinds.is_empty() {
            return Err(CalibrateError::Config(format!(
                "{} anomalies per image requested but no anomaly kind given",
                self.anomalies_per_image
            )));
        }
        Ok(())
    }
}

/// Scores and heat maps computed by the caller, one entry per image; heat maps row-major
/// at the resolution of their masks.
#[derive(Debug, Clone, Copy, Default)]
pub struct ScoredSets<'a> {
    /// Raw image scores of held-out good images (at least one).
    pub good_scores: &'a [f32],
    /// Their heat maps (one per good score).
    pub good_maps: &'a [&'a [f32]],
    /// Raw image scores of synthetic anomalies (may be empty).
    pub synthetic_scores: &'a [f32],
    /// Their heat maps (one per synthetic score).
    pub synthetic_maps: &'a [&'a [f32]],
    /// Their masks (one per synthetic score, same length as its heat map).
    pub synthetic_masks: &'a [&'a [bool]],
    /// Raw image scores of real defect images; non-empty switches the image threshold
    /// from the quantile target to [`super::threshold_f1_max`].
    pub defect_scores: &'a [f32],
}

/// Thresholds and statistics from scores already computed: image threshold by quantile
/// target (or F1-max when defect scores are given), catch rate of synthetic anomalies
/// (and of defects) at it, pixel threshold by pixel F1 (or good quantile), score stats.
///
/// # Errors
/// [`CalibrateError::EmptyHeldOut`] without good scores; count, size and non-finite checks
/// of [`CalibrateError`]; an out-of-range target or quantile.
pub fn calibrate_scores(
    sets: &ScoredSets<'_>,
    config: &CalibrationConfig,
) -> Result<Calibration, CalibrateError> {
    config.validate()?;
    if sets.good_scores.is_empty() {
        return Err(CalibrateError::EmptyHeldOut);
    }
    let counts = [
        ("good", sets.good_maps.len(), sets.good_scores.len()),
        (
            "synthetic",
            sets.synthetic_maps.len(),
            sets.synthetic_scores.len(),
        ),
        (
            "synthetic",
            sets.synthetic_maps.len(),
            sets.synthetic_masks.len(),
        ),
    ];
    for (set, maps, masks) in counts {
        if maps != masks {
            return Err(CalibrateError::CountMismatch { set, maps, masks });
        }
    }
    let score_stats = score_stats(sets.good_scores)?;
    let image = if sets.defect_scores.is_empty() {
        image_threshold(sets.good_scores, config.target_false_reject_rate)?
    } else {
        threshold_f1_max(sets.good_scores, sets.defect_scores)?
    };
    let catch = if sets.synthetic_scores.is_empty() {
        None
    } else {
        Some(catch_rate(sets.synthetic_scores, image.threshold)?)
    };
    let defect_catch = if sets.defect_scores.is_empty() {
        None
    } else {
        Some(catch_rate(sets.defect_scores, image.threshold)?)
    };
    let pixel = pixel_threshold(
        sets.good_maps,
        sets.synthetic_maps,
        sets.synthetic_masks,
        config.pixel_fallback_quantile,
    )?;
    let mut warnings = image.warnings.clone();
    if let Some(c) = catch.filter(|c| c.rate < LOW_CATCH_RATE) {
        warnings.push(CalibrationWarning::LowCatchRate { rate: c.rate });
    }
    if let super::PixelMethod::GoodQuantile { quantile } = pixel.method {
        warnings.push(CalibrationWarning::PixelThresholdFromGoodOnly { quantile });
    }
    Ok(Calibration {
        image_threshold: image.threshold,
        pixel_threshold: pixel.threshold,
        method: image.method,
        pixel_method: pixel.method,
        target_false_reject_rate: config.target_false_reject_rate,
        false_reject_rate: image.false_reject_rate,
        false_rejects: image.false_rejects,
        min_measurable_false_reject_rate: image.min_measurable_rate,
        catch,
        defect_catch,
        good_count: sets.good_scores.len(),
        synthetic_count: sets.synthetic_scores.len(),
        defect_count: sets.defect_scores.len(),
        score_stats,
        warnings,
    })
}

/// The synthetic anomaly number `j` of held-out image `image` under `config`: its kind
/// (cycling through `config.kinds`), picture and mask. Pure: the same inputs give the same
/// output, whatever order images are processed in. `None` when `config.kinds` is empty.
pub fn synthetic_anomaly(
    held_out: &RgbImage,
    image: usize,
    j: usize,
    config: &CalibrationConfig,
) -> Option<(AnomalyKind, RgbImage, Vec<bool>)> {
    let n = config.kinds.len();
    let kind = *config
        .kinds
        .get((image * config.anomalies_per_image + j).checked_rem(n)?)?;
    let mut rng = Rng::new(&[config.seed, SYNTH_STREAM, image as u64, j as u64]);
    let (picture, mask) = synthesize(held_out, kind, &mut rng);
    Some((kind, picture, mask))
}

/// Calibrates from held-out good images and a scorer: scores each good image, draws
/// `config.anomalies_per_image` synthetic anomalies from each ([`synthetic_anomaly`]),
/// scores those, then runs [`calibrate_scores`] (no defect images).
///
/// `score` returns the raw image score and the heat map, row-major at the image's own
/// resolution (`width × height` values), e.g. the edge `Inspector`'s raw score and heat
/// map for images already at the network's input size.
///
/// # Errors
/// [`CalibrateError::EmptyHeldOut`] for no images, [`CalibrateError::Score`] when the
/// scorer fails, [`CalibrateError::SizeMismatch`] when a heat map is not at image
/// resolution, and everything [`calibrate_scores`] reports.
pub fn calibrate<F, E>(
    held_out: &[RgbImage],
    config: &CalibrationConfig,
    score: F,
) -> Result<Calibration, CalibrateError>
where
    F: FnMut(&RgbImage) -> Result<(f32, Vec<f32>), E>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    calibrate_with_defects(held_out, &[], config, score)
}

/// As [`calibrate`], and also scores real defect images (`defects`, e.g. `trainer fit
/// --defects DIR`): when there are any, the image threshold is the F1-max threshold
/// between held-out good and defect scores instead of the quantile target, and the
/// calibration reports the defects caught at it.
///
/// # Errors
/// As [`calibrate`]; a failing defect image is reported with set `"defect"`.
pub fn calibrate_with_defects<F, E>(
    held_out: &[RgbImage],
    defects: &[RgbImage],
    config: &CalibrationConfig,
    mut score: F,
) -> Result<Calibration, CalibrateError>
where
    F: FnMut(&RgbImage) -> Result<(f32, Vec<f32>), E>,
    E: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    config.validate()?;
    if held_out.is_empty() {
        return Err(CalibrateError::EmptyHeldOut);
    }
    let mut run = |set: &'static str, index: usize, image: &RgbImage| {
        let (s, map) = score(image).map_err(|e| CalibrateError::Score {
            set,
            index,
            source: e.into(),
        })?;
        let pixels = image.width() as usize * image.height() as usize;
        if map.len() != pixels {
            return Err(CalibrateError::SizeMismatch {
                set,
                image: index,
                map_len: map.len(),
                mask_len: pixels,
            });
        }
        Ok((s, map))
    };
    let mut good_scores = Vec::with_capacity(held_out.len());
    let mut good_maps = Vec::with_capacity(held_out.len());
    for (i, image) in held_out.iter().enumerate() {
        let (s, map) = run("good", i, image)?;
        good_scores.push(s);
        good_maps.push(map);
    }
    let total = held_out.len() * config.anomalies_per_image;
    let (mut scores, mut maps, mut masks) = (
        Vec::with_capacity(total),
        Vec::with_capacity(total),
        Vec::with_capacity(total),
    );
    for (i, image) in held_out.iter().enumerate() {
        for j in 0..config.anomalies_per_image {
            let Some((_, picture, mask)) = synthetic_anomaly(image, i, j, config) else {
                continue;
            };
            let (s, map) = run("synthetic", scores.len(), &picture)?;
            scores.push(s);
            maps.push(map);
            masks.push(mask);
        }
    }
    let defect_scores = defects
        .iter()
        .enumerate()
        .map(|(i, image)| run("defect", i, image).map(|(s, _)| s))
        .collect::<Result<Vec<f32>, _>>()?;
    let good_refs: Vec<&[f32]> = good_maps.iter().map(Vec::as_slice).collect();
    let map_refs: Vec<&[f32]> = maps.iter().map(Vec::as_slice).collect();
    let mask_refs: Vec<&[bool]> = masks.iter().map(Vec::as_slice).collect();
    calibrate_scores(
        &ScoredSets {
            good_scores: &good_scores,
            good_maps: &good_refs,
            synthetic_scores: &scores,
            synthetic_maps: &map_refs,
            synthetic_masks: &mask_refs,
            defect_scores: &defect_scores,
        },
        config,
    )
}
