//! Old vs new on the same evaluation images: catch rate (defects rejected), false-reject
//! rate (goods rejected) and image AUROC, each through the edge inspector's own verdict,
//! and the tolerance rule that decides whether the new bundle may replace the old.
//!
//! Always holds: a figure that needs a class the evaluation set lacks is `None` and never
//! counts as a regression; a regression is a drop of catch rate or AUROC, or a rise of the
//! false-reject rate, by more than the tolerance (absolute, in rate units).

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
    let mut regressions = Vec::new();
    let worse = |o: Option<f64>, n: Option<f64>, higher_is_better: bool| match (o, n) {
        (Some(o), Some(n)) => {
            let change = if higher_is_better { o - n } else { n - o };
            change > tolerance
        }
        _ => false,
    };
    if worse(old.catch_rate, new.catch_rate, true) {
        regressions.push("catch rate");
    }
    if worse(old.false_reject_rate, new.false_reject_rate, false) {
        regressions.push("false rejects");
    }
    if worse(old.auroc, new.auroc, true) {
        regressions.push("image AUROC");
    }
    Ok(Comparison {
        goods: defect.iter().filter(|&&d| !d).count(),
        defects: defect.iter().filter(|&&d| d).count(),
        old,
        new,
        tolerance,
        regressions,
    })
}
