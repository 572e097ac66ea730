//! [`CalibrationWarning`]: conditions that do not stop calibration but limit what its
//! numbers mean. Each prints as one sentence with the fix.

use serde::Serialize;

/// A caveat on a calibration result.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "warning", rename_all = "snake_case")]
pub enum CalibrationWarning {
    /// The false-reject target is below `1 / n`, the smallest non-zero rate `n` held-out
    /// images can show: the threshold went above the highest good score and the real rate
    /// is not measured (expect about `1 / (n + 1)`).
    TargetBelowResolution {
        /// Target false-reject rate, in [0, 1].
        target: f64,
        /// Held-out good images.
        held_out: usize,
    },
    /// Fewer than half of the synthetic anomalies reach the image threshold.
    LowCatchRate {
        /// Share caught, in [0, 1].
        rate: f64,
    },
    /// No synthetic anomaly pixel was available: the pixel threshold is a quantile of
    /// good-image heat-map values, not an F1 optimum.
    PixelThresholdFromGoodOnly {
        /// Quantile of the good pixel values used, in [0, 1].
        quantile: f64,
    },
}

impl std::fmt::Display for CalibrationWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match *self {
            CalibrationWarning::TargetBelowResolution { target, held_out } => {
                write!(
                    f,
                    "target false-reject rate {target} is below 1/{held_out} = {:.4}, the \
                     smallest non-zero rate {held_out} held-out images can measure; the \
                     threshold is set above the highest good score and its real rate is \
                     unmeasured (about 1/{})",
                    1.0 / held_out as f64,
                    held_out + 1
                )?;
                if target > 0.0 {
                    write!(
                        f,
                        "; hold out at least {} good images to resolve it",
                        (1.0 / target).ceil()
                    )?;
                }
                Ok(())
            }
            CalibrationWarning::LowCatchRate { rate } => write!(
                f,
                "only {:.1} % of synthetic anomalies reach the threshold: the model separates \
                 them poorly, or the target false-reject rate is too strict",
                rate * 100.0
            ),
            CalibrationWarning::PixelThresholdFromGoodOnly { quantile } => write!(
                f,
                "no anomaly pixel to optimise pixel F1 on: the pixel threshold is the {quantile} \
                 quantile of good heat-map values"
            ),
        }
    }
}
