//! [`Calibration`]: everything calibration decided and measured, serialisable for the
//! report and printable as a short summary.

use serde::Serialize;
use shared::score::{ScoreStats, Thresholds};

use super::catch::CatchRate;
use super::pixel::PixelMethod;
use super::threshold::ThresholdMethod;
use super::warning::CalibrationWarning;

/// Thresholds with the evidence behind them.
///
/// Always holds: thresholds are finite and in the raw units of the scorer (image score and
/// heat-map value); `false_rejects / good_count = false_reject_rate` under the verdict
/// rule anomalous ⇔ `score ≥ image_threshold`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Calibration {
    /// Raw image score at or above which a part is rejected.
    pub image_threshold: f32,
    /// Raw heat-map value at or above which a pixel is anomalous.
    pub pixel_threshold: f32,
    /// How the image threshold was chosen (quantile target or F1-max on real defects).
    pub method: ThresholdMethod,
    /// How the pixel threshold was chosen.
    pub pixel_method: PixelMethod,
    /// The configured false-reject target, in [0, 1] (used by the quantile method only).
    pub target_false_reject_rate: f64,
    /// Share of held-out good images rejected at the image threshold, in [0, 1].
    pub false_reject_rate: f64,
    /// Held-out good images rejected at the image threshold.
    pub false_rejects: usize,
    /// `1 / good_count`: the smallest non-zero false-reject rate the held-out set can show.
    pub min_measurable_false_reject_rate: f64,
    /// Share of synthetic anomalies caught at the image threshold (an estimate of the
    /// catch rate on real defects, usually optimistic for subtle ones); `None` without
    /// synthetic anomalies.
    pub catch: Option<CatchRate>,
    /// Share of real defect images caught (in-sample when they also chose the threshold).
    pub defect_catch: Option<CatchRate>,
    /// Held-out good images.
    pub good_count: usize,
    /// Synthetic anomalies scored.
    pub synthetic_count: usize,
    /// Real defect images scored.
    pub defect_count: usize,
    /// Raw image-score statistics of the held-out good images (for
    /// `shared::score::normalise`).
    pub score_stats: ScoreStats,
    /// Caveats, in the order found.
    pub warnings: Vec<CalibrationWarning>,
}

impl Calibration {
    /// The thresholds as the bundle manifest stores them.
    pub fn thresholds(&self) -> Thresholds {
        Thresholds {
            image: self.image_threshold,
            pixel: self.pixel_threshold,
        }
    }
}

impl std::fmt::Display for Calibration {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "image threshold {:.6} ", self.image_threshold)?;
        match self.method {
            ThresholdMethod::Quantile { above_max, .. } => write!(
                f,
                "(quantile: target false-reject rate {:.2} %{})",
                self.target_false_reject_rate * 100.0,
                if above_max {
                    ", above the highest good score"
                } else {
                    ""
                }
            )?,
            ThresholdMethod::F1Max {
                f1,
                precision,
                recall,
            } => write!(
                f,
                "(F1-max on defect images: F1 {f1:.3}, precision {precision:.3}, recall {recall:.3})"
            )?,
        }
        writeln!(f)?;
        writeln!(
            f,
            "false rejects   {}/{} held-out good images = {:.2} % (resolution 1/{} = {:.2} %)",
            self.false_rejects,
            self.good_count,
            self.false_reject_rate * 100.0,
            self.good_count,
            self.min_measurable_false_reject_rate * 100.0
        )?;
        let catch_line = |f: &mut std::fmt::Formatter<'_>, what: &str, c: &CatchRate| {
            writeln!(
                f,
                "caught          {}/{} {what} = {:.1} % (95 % Wilson interval {:.1}–{:.1} %)",
                c.caught,
                c.total,
                c.rate * 100.0,
                c.low * 100.0,
                c.high * 100.0
            )
        };
        if let Some(c) = &self.catch {
            catch_line(f, "synthetic anomalies", c)?;
        }
        if let Some(c) = &self.defect_catch {
            catch_line(f, "defect images", c)?;
        }
        write!(f, "pixel threshold {:.6} ", self.pixel_threshold)?;
        match self.pixel_method {
            PixelMethod::F1Max {
                f1,
                precision,
                recall,
            } => writeln!(
                f,
                "(pixel F1-max {f1:.3}, precision {precision:.3}, recall {recall:.3})"
            )?,
            PixelMethod::GoodQuantile { quantile } => {
                writeln!(f, "({quantile} quantile of good heat-map values)")?
            }
        }
        let s = &self.score_stats;
        write!(
            f,
            "good scores     n {}, min {:.6}, max {:.6}, mean {:.6}, std {:.6}",
            s.count, s.min, s.max, s.mean, s.std
        )?;
        for w in &self.warnings {
            write!(f, "\nwarning: {w}")?;
        }
        Ok(())
    }
}
