//! Old vs new on the same evaluation images: catch rate (defects rejected), false-reject
//! rate (goods rejected) and image AUROC, each through the edge inspector's own verdict,
//! and the tolerance rule that decides whether the new bundle may replace the old.
//!
//! Always holds: a figure that needs a class the evaluation set lacks is `None` and never
//! counts as a regression; a regression is a drop of AUROC by more than the tolerance
//! (absolute, in rate units), or a drop of the catch rate (rise of the false-reject rate)
//! by more than the tolerance that the other verdict figure does not repay by improving
//! more (an exact trade keeps the incumbent). Without that exception an old bundle that rejects every part under
//! drifted lighting (catch rate 1, false rejects 1) could never be replaced.

use std::fmt::Write as _;
use std::path::PathBuf;

use edge::inspector::Inspector;
use image::RgbImage;

use super::error::RetrainError;
use crate::metrics::roc_auc;

/// One bundle's figures on the evaluation set.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Figures {
    /// Share of defect images rejected; `None` without defect images.
    pub catch_rate: Option<f64>,
    /// Share of good images rejected; `None` without good images.
    pub false_reject_rate: Option<f64>,
    /// Image AUROC of the raw scores; `None` unless both classes are present.
    pub auroc: Option<f64>,
}

/// Old vs new, and whether the new one is acceptable.
#[derive(Debug, Clone, PartialEq)]
pub struct Comparison {
    /// Good evaluation images.
    pub goods: usize,
    /// Defect evaluation images.
    pub defects: usize,
    /// The old bundle's figures.
    pub old: Figures,
    /// The new bundle's figures.
    pub new: Figures,
    /// The tolerance applied.
    pub tolerance: f64,
    /// Figures that got worse beyond the tolerance, e.g. `"catch rate"`.
    pub regressions: Vec<&'static str>,
}

impl Comparison {
    /// A small table: figure, old, new, change, and `WORSE` where beyond the tolerance.
    #[must_use]
    pub fn table(&self) -> String {
        let mut out = format!(
            "  evaluation images: {} good, {} defect\n  {:<18} {:>8} {:>8} {:>8}\n",
            self.goods, self.defects, "figure", "old", "new", "change"
        );
        let rows = [
            ("catch rate", self.old.catch_rate, self.new.catch_rate),
            (
                "false rejects",
                self.old.false_reject_rate,
                self.new.false_reject_rate,
            ),
            ("image AUROC", self.old.auroc, self.new.auroc),
        ];
        for (name, old, new) in rows {
            let cell = |v: Option<f64>| v.map_or_else(|| "n/a".to_string(), |v| format!("{v:.4}"));
            let change = match (old, new) {
                (Some(o), Some(n)) => format!("{:+.4}", n - o),
                _ => "n/a".into(),
            };
            let mark = if self.regressions.contains(&name) {
                "  WORSE"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "  {name:<18} {:>8} {:>8} {change:>8}{mark}",
                cell(old),
                cell(new)
            );
        }
        out
    }
}

/// Scores `images` (`(path, image, is_defect)`) with `inspector`: raw scores and
/// verdicts.
fn score_all(
    inspector: &mut Inspector,
    which: &str,
    images: &[(PathBuf, RgbImage, bool)],
) -> Result<(Vec<f32>, Vec<bool>), RetrainError> {
    let mut scores = Vec::with_capacity(images.len());
    let mut rejected = Vec::with_capacity(images.len());
    for (path, image, _) in images {
        let inspection = inspector
            .inspect(image)
            .map_err(RetrainError::inspector(format!(
                "{which} bundle on evaluation image {}",
                path.display()
            )))?;
        scores.push(inspection.raw_score);
        rejected.push(inspection.anomalous);
    }
    Ok((scores, rejected))
}

fn figures(scores: &[f32], rejected: &[bool], defect: &[bool]) -> Result<Figures, RetrainError> {
    let rate = |want: bool| {
        let n = defect.iter().filter(|&&d| d == want).count();
        (n > 0).then(|| {
            let hits = rejected
                .iter()
                .zip(defect)
                .filter(|&(&r, &d)| d == want && r)
                .count();
            hits as f64 / n as f64
        })
    };
    let both = defect.iter().any(|&d| d) && defect.iter().any(|&d| !d);
    let auroc = if both {
        Some(
            roc_auc(scores, defect).map_err(|source| RetrainError::Metric {
                what: "image AUROC",
                source,
            })?,
        )
    } else {
        None
    };
    Ok(Figures {
        catch_rate: rate(true),
        false_reject_rate: rate(false),
        auroc,
    })
}

/// Runs both inspectors on `images` and applies the tolerance rule.
///
/// # Errors
/// An inspector failure on an image (naming it and the bundle), AUROC failures.
pub fn compare(
    old: &mut Inspector,
    new: &mut Inspector,
    images: &[(PathBuf, RgbImage, bool)],
    tolerance: f64,
) -> Result<Comparison, RetrainError> {
    let defect: Vec<bool> = images.iter().map(|(_, _, d)| *d).collect();
    let (old_scores, old_rejected) = score_all(old, "old", images)?;
    let (new_scores, new_rejected) = score_all(new, "new", images)?;
    let old = figures(&old_scores, &old_rejected, &defect)?;
    let new = figures(&new_scores, &new_rejected, &defect)?;
    let regressions = regressions(&old, &new, tolerance);
    Ok(Comparison {
        goods: defect.iter().filter(|&&d| !d).count(),
        defects: defect.iter().filter(|&&d| d).count(),
        old,
        new,
        tolerance,
        regressions,
    })
}

/// The tolerance rule (see the module docs): which figures of `new` are worse than
/// `old`'s.
#[must_use]
pub fn regressions(old: &Figures, new: &Figures, tolerance: f64) -> Vec<&'static str> {
    let mut regressions = Vec::new();
    // Change of a figure in its "better" direction (positive = improved).
    let gain = |o: Option<f64>, n: Option<f64>, higher_is_better: bool| match (o, n) {
        (Some(o), Some(n)) => Some(if higher_is_better { n - o } else { o - n }),
        _ => None,
    };
    let catch_gain = gain(old.catch_rate, new.catch_rate, true);
    let frr_gain = gain(old.false_reject_rate, new.false_reject_rate, false);
    // A verdict figure that got worse only counts when the other one did not improve by
    // more: a bundle that rejects every part catches every defect. An exact trade keeps
    // the incumbent.
    let unpaid = |loss: Option<f64>, other: Option<f64>| match (loss, other) {
        (Some(l), other) => -l > tolerance && -l >= other.unwrap_or(0.0),
        (None, _) => false,
    };
    if unpaid(catch_gain, frr_gain) {
        regressions.push("catch rate");
    }
    if unpaid(frr_gain, catch_gain) {
        regressions.push("false rejects");
    }
    if gain(old.auroc, new.auroc, true).is_some_and(|g| -g > tolerance) {
        regressions.push("image AUROC");
    }
    regressions
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figures(catch: f64, frr: f64, auroc: f64) -> Figures {
        Figures {
            catch_rate: Some(catch),
            false_reject_rate: Some(frr),
            auroc: Some(auroc),
        }
    }

    #[test]
    fn a_lost_catch_counts_unless_false_rejects_fell_more() {
        let old = figures(0.9, 0.05, 0.95);
        assert_eq!(
            regressions(&old, &figures(0.6, 0.05, 0.95), 0.1),
            ["catch rate"]
        );
        assert!(regressions(&old, &figures(0.85, 0.05, 0.95), 0.1).is_empty());
        assert_eq!(
            regressions(&old, &figures(0.9, 0.3, 0.8), 0.1),
            ["false rejects", "image AUROC"]
        );
        // Rejecting everything catches everything: trading that for a working line is
        // not a regression.
        let reject_all = figures(1.0, 1.0, 0.5);
        assert!(regressions(&reject_all, &figures(0.2, 0.0, 0.9), 0.1).is_empty());
        // ... but a catch loss larger than the false-reject gain is, and so is an exact
        // trade (the incumbent stays).
        assert_eq!(
            regressions(&reject_all, &figures(0.0, 0.0, 0.9), 0.1),
            ["catch rate"]
        );
        assert_eq!(
            regressions(&figures(1.0, 0.3, 0.9), &figures(0.2, 0.0, 0.9), 0.1),
            ["catch rate"]
        );
        // A missing class never counts.
        let no_defects = Figures {
            catch_rate: None,
            auroc: None,
            ..old
        };
        assert!(regressions(&no_defects, &no_defects, 0.0).is_empty());
    }
}
