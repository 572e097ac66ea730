//! [`CalibrateError`]: why thresholds could not be set. Nothing is ever silently skipped:
//! a NaN score or a mask of the wrong size stops calibration.

use crate::metrics::MetricError;

/// Why calibration failed.
#[derive(Debug, thiserror::Error)]
pub enum CalibrateError {
    /// No held-out good image (or score) was given.
    #[error(
        "no held-out good images: calibration needs good images the model was not fitted on \
         (hold out 10–20 % of the good images)"
    )]
    EmptyHeldOut,
    /// No defect score was given to [`super::threshold_f1_max`].
    #[error("no defect scores: F1-max needs at least one defect image (or use a quantile target)")]
    EmptyDefects,
    /// No anomaly score was given to [`super::catch_rate`].
    #[error("no anomaly scores: a catch rate needs at least one anomalous image")]
    EmptyAnomalies,
    /// An image score is NaN or infinite.
    #[error("{set} score {index} is {value}: scores must be finite (check the scorer)")]
    NonFiniteScore {
        /// Which set the score belongs to (`good`, `synthetic`, `defect`).
        set: &'static str,
        /// Index in that set.
        index: usize,
        /// The offending value.
        value: f32,
    },
    /// A heat-map value is NaN or infinite.
    #[error("{set} heat map {image}, pixel {pixel} is {value}: heat maps must be finite")]
    NonFinitePixel {
        /// Which set the heat map belongs to (`good`, `synthetic`).
        set: &'static str,
        /// Index of the image in that set.
        image: usize,
        /// Row-major pixel index.
        pixel: usize,
        /// The offending value.
        value: f32,
    },
    /// Heat maps and masks (or scores) come in different counts.
    #[error("{maps} {set} heat maps but {masks} masks/scores: give one of each per image")]
    CountMismatch {
        /// Which set (`good`, `synthetic`).
        set: &'static str,
        /// Heat maps given.
        maps: usize,
        /// Masks or scores given.
        masks: usize,
    },
    /// A heat map and its mask differ in size.
    #[error(
        "{set} image {image}: heat map has {map_len} values but the mask has {mask_len} \
         pixels; the scorer must return heat maps at the image's resolution"
    )]
    SizeMismatch {
        /// Which set (`good`, `synthetic`).
        set: &'static str,
        /// Index of the image.
        image: usize,
        /// Values in the heat map.
        map_len: usize,
        /// Pixels in the mask (width × height of the image).
        mask_len: usize,
    },
    /// A rate or quantile is outside its range (or NaN).
    #[error("{what} is {value}; it must lie in [0, 1]")]
    OutOfRange {
        /// Which parameter.
        what: &'static str,
        /// The value given.
        value: f64,
    },
    /// The configuration cannot be used.
    #[error("invalid calibration configuration: {0}")]
    Config(String),
    /// The caller's scorer failed on an image.
    #[error("scoring {set} image {index}")]
    Score {
        /// Which set (`good`, `synthetic`).
        set: &'static str,
        /// Index in that set (synthetic: `held-out index × per image + j`).
        index: usize,
        /// The scorer's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A metric refused its inputs (not expected after the checks above).
    #[error(transparent)]
    Metric(#[from] MetricError),
}

/// Checks that every score is finite.
pub(super) fn check_scores(set: &'static str, scores: &[f32]) -> Result<(), CalibrateError> {
    match scores.iter().position(|s| !s.is_finite()) {
        Some(index) => Err(CalibrateError::NonFiniteScore {
            set,
            index,
            value: scores[index],
        }),
        None => Ok(()),
    }
}

/// Checks that every heat-map value is finite.
pub(super) fn check_maps(set: &'static str, maps: &[&[f32]]) -> Result<(), CalibrateError> {
    for (image, map) in maps.iter().enumerate() {
        if let Some(pixel) = map.iter().position(|v| !v.is_finite()) {
            return Err(CalibrateError::NonFinitePixel {
                set,
                image,
                pixel,
                value: map[pixel],
            });
        }
    }
    Ok(())
}

/// Checks that `value` is a rate in [0, 1].
pub(super) fn check_unit(what: &'static str, value: f64) -> Result<(), CalibrateError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(CalibrateError::OutOfRange { what, value })
    }
}
