//! Thresholds without defect images: held-out good images set the image threshold for a
//! false-reject target, synthetic anomalies painted onto them estimate the catch rate and
//! set the pixel threshold; real defect images, when given, switch the image threshold to
//! F1-max.
//!
//! - [`synthesize`] / [`AnomalyKind`]: CutPaste, CutPaste-scar, DRAEM-style blobs and
//!   scratches with exact masks.
//! - [`image_threshold`] (order statistic for a false-reject target, [`ImageThreshold`]),
//!   [`threshold_f1_max`] (with real defects), [`score_stats`].
//! - [`catch_rate`] / [`wilson_interval`] → [`CatchRate`].
//! - [`pixel_threshold`] → [`PixelThreshold`] (pixel F1-max via [`crate::metrics::f1_max`],
//!   or a good-pixel quantile).
//! - [`calibrate_scores`] (scores computed by the caller) and [`calibrate`] (generic over a
//!   scoring closure) → [`Calibration`] with [`CalibrationWarning`]s; [`CalibrateError`].
//!
//! Always holds: no scoring happens here (scores and heat maps come from the caller, in
//! the scorer's raw units); the verdict rule is the edge's, anomalous ⇔ `score ≥
//! threshold`, for images and pixels; thresholds are finite; NaN or infinite inputs and
//! mismatched heat-map/mask sizes are errors, never skipped; synthetic anomalies are a
//! pure function of (image, index, config seed).

mod anomaly;
mod catch;
mod error;
mod pixel;
mod report;
mod run;
mod threshold;
mod warning;

pub use anomaly::{synthesize, AnomalyKind};
pub use catch::{catch_rate, wilson_interval, CatchRate, Z_95};
pub use error::CalibrateError;
pub use pixel::{pixel_threshold, PixelMethod, PixelThreshold};
pub use report::Calibration;
pub use run::{
    calibrate, calibrate_scores, calibrate_with_defects, synthetic_anomaly, CalibrationConfig,
    ScoredSets, LOW_CATCH_RATE,
};
pub use threshold::{
    image_threshold, score_stats, threshold_f1_max, ImageThreshold, ThresholdMethod,
    MARGIN_FRACTION,
};
pub use warning::CalibrationWarning;
