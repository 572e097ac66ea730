//! [`evaluate`]: an [`EvalRun`] → a [`Report`], every figure from [`crate::metrics`].
//!
//! Always holds: the run is checked first (sizes, NaN, latencies), so a metric error after
//! the checks can only mean "undefined for this run" (→ `null` + note) or a bug
//! (→ [`ReportError::Metric`]). Record order is kept; ties in worst-case ranking go to the
//! earlier record, so the report is deterministic.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::{EvalRun, ImageRecord, ReportError};
use crate::metrics::{self, ImageSize, MetricError, DEFAULT_FPR_LIMIT};

/// Version of the `report.json` layout; bumped when a field changes meaning or is removed.
pub const REPORT_VERSION: u32 = 1;

/// Worst cases listed (and drawn) per kind by default.
pub const DEFAULT_WORST_CASES: usize = 5;

/// Choices of [`evaluate_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReportOptions {
    /// How many worst false accepts and worst false rejects to list (each), ≥ 0.
    pub worst_cases: usize,
}

impl Default for ReportOptions {
    fn default() -> Self {
        Self {
            worst_cases: DEFAULT_WORST_CASES,
        }
    }
}

/// Counts at the bundle's image threshold (reject iff `score >= threshold`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Confusion {
    /// Defective images rejected.
    pub caught: usize,
    /// Defective images in the run.
    pub defective: usize,
    /// Good images rejected.
    pub false_rejects: usize,
    /// Good images in the run.
    pub good: usize,
}

/// Image AUROC of one defect type against all good images.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DefectAuroc {
    /// Defect type ([`ImageRecord::defect`] of the anomalous images).
    pub defect: String,
    /// Defective images of this type.
    pub images: usize,
    /// Of those, rejected at the bundle threshold.
    pub caught: usize,
    /// AUROC of this type's images vs every good image, in `[0, 1]`; `null` when the run
    /// has no good image.
    pub image_auroc: Option<f64>,
}

/// One of the worst-scored images of its class.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WorstCase {
    /// Index into [`EvalRun::images`].
    pub index: usize,
    /// The test image.
    pub path: PathBuf,
    /// Its defect type.
    pub defect: String,
    /// Raw image score.
    pub score: f32,
    /// Normalised image score.
    pub normalised: f32,
    /// True when the bundle threshold gets it wrong (a defective image accepted, or a good
    /// image rejected); false when it is merely the closest call of its class.
    pub wrong_at_threshold: bool,
    /// Its overlay PNG, relative to the report folder (`/`-separated).
    pub overlay: String,
}

/// The figures of one run. Field names are the stable `report.json` keys.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// [`REPORT_VERSION`].
    pub report_version: u32,
    /// Model kind name.
    pub model: String,
    /// Dataset name.
    pub dataset: String,
    /// Dataset fingerprint (hex).
    pub dataset_fingerprint: String,
    /// Test images in the run.
    pub images: usize,
    /// Image AUROC, `[0, 1]`; `null` without both good and defective images.
    pub image_auroc: Option<f64>,
    /// Pixel AUROC over the images with known pixels, `[0, 1]`; `null` without masks.
    pub pixel_auroc: Option<f64>,
    /// AUPRO up to FPR [`Report::aupro_fpr_limit`], `[0, 1]`; `null` without regions.
    pub aupro: Option<f64>,
    /// The FPR limit of [`Report::aupro`] (0.3).
    pub aupro_fpr_limit: f64,
    /// Pixel AUPR (average precision), `[0, 1]`; `null` without masks.
    pub pixel_aupr: Option<f64>,
    /// Best image F1 over all thresholds, `[0, 1]`; `null` with one class only.
    pub f1_max: Option<f64>,
    /// The raw image score reaching [`Report::f1_max`].
    pub f1_max_threshold: Option<f32>,
    /// Counts at [`Report::threshold`].
    pub confusion: Confusion,
    /// Median frame → score latency, milliseconds (nearest rank).
    pub latency_ms_p50: f64,
    /// 95th-percentile latency, milliseconds (nearest rank).
    pub latency_ms_p95: f64,
    /// Bundle file size, bytes.
    pub bundle_bytes: u64,
    /// GMAC per frame.
    pub gmac_per_frame: f64,
    /// Per defect type, sorted by name.
    pub per_defect: Vec<DefectAuroc>,
    /// The bundle's image threshold, raw score units.
    pub threshold: f32,
    /// The bundle's pixel threshold, raw pixel-score units.
    pub pixel_threshold: f32,
    /// Defective images with the lowest scores, lowest first.
    pub worst_false_accepts: Vec<WorstCase>,
    /// Good images with the highest scores, highest first.
    pub worst_false_rejects: Vec<WorstCase>,
    /// Why a figure is `null`, which images were left out of what; one sentence each.
    pub notes: Vec<String>,
    /// Every test image's score and verdict at [`Report::threshold`], in run order (to
    /// compare with the edge's verdict log, image by image).
    #[serde(default)]
    pub verdicts: Vec<ImageVerdict>,
}

/// One test image's outcome in a [`Report`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImageVerdict {
    /// The test image.
    pub path: PathBuf,
    /// Its defect type (`good` for good images).
    pub defect: String,
    /// Raw image score.
    pub score: f32,
    /// `score >= threshold`.
    pub rejected: bool,
}

/// [`evaluate_with`] with [`ReportOptions::default`] (5 worst cases of each kind).
///
/// # Errors
/// As [`evaluate_with`].
pub fn evaluate(run: &EvalRun) -> Result<Report, ReportError> {
    evaluate_with(run, &ReportOptions::default())
}

/// Computes every figure of `run` with [`crate::metrics`].
///
/// # Errors
/// [`ReportError::NoImages`] for an empty run; [`ReportError::HeatmapSize`],
/// [`ReportError::MaskSize`], [`ReportError::NonFiniteScore`], [`ReportError::NanPixel`],
/// [`ReportError::BadLatency`] naming the first bad image; [`ReportError::Metric`] only on
/// a metric failure the checks should have ruled out.
pub fn evaluate_with(run: &EvalRun, options: &ReportOptions) -> Result<Report, ReportError> {
    check(run)?;
    let mut notes = Vec::new();
    let images = &run.images;
    let scores: Vec<f32> = images.iter().map(|r| r.score).collect();
    let labels: Vec<bool> = images.iter().map(|r| r.anomalous).collect();

    let image_auroc = defined(
        "image_auroc",
        metrics::roc_auc(&scores, &labels),
        &mut notes,
    )?;
    let f1 = defined("f1_max", metrics::f1_max(&scores, &labels), &mut notes)?;
    let pixel = pixel_metrics(images, &mut notes)?;

    let rejected = |r: &ImageRecord| r.score >= run.threshold;
    let confusion = Confusion {
        caught: images.iter().filter(|r| r.anomalous && rejected(r)).count(),
        defective: images.iter().filter(|r| r.anomalous).count(),
        false_rejects: images
            .iter()
            .filter(|r| !r.anomalous && rejected(r))
            .count(),
        good: images.iter().filter(|r| !r.anomalous).count(),
    };
    let per_defect = per_defect(run, &mut notes)?;

    let mut latencies: Vec<f64> = images.iter().map(|r| r.latency_ms).collect();
    latencies.sort_by(f64::total_cmp);
    let (worst_false_accepts, worst_false_rejects) = select_worst(run, options.worst_cases);

    Ok(Report {
        report_version: REPORT_VERSION,
        model: run.model.clone(),
        dataset: run.dataset.clone(),
        dataset_fingerprint: run.dataset_fingerprint.clone(),
        images: images.len(),
        image_auroc,
        pixel_auroc: pixel.auroc,
        aupro: pixel.aupro,
        aupro_fpr_limit: DEFAULT_FPR_LIMIT,
        pixel_aupr: pixel.aupr,
        f1_max: f1.map(|f| f.f1),
        f1_max_threshold: f1.map(|f| f.threshold),
        confusion,
        latency_ms_p50: nearest_rank(&latencies, 0.5),
        latency_ms_p95: nearest_rank(&latencies, 0.95),
        bundle_bytes: run.bundle_bytes,
        gmac_per_frame: run.gmac_per_frame,
        per_defect,
        threshold: run.threshold,
        pixel_threshold: run.pixel_threshold,
        worst_false_accepts,
        worst_false_rejects,
        notes,
        verdicts: images
            .iter()
            .map(|r| ImageVerdict {
                path: r.path.clone(),
                defect: r.defect.clone(),
                score: r.score,
                rejected: rejected(r),
            })
            .collect(),
    })
}

/// The `n` defective images with the lowest scores (lowest first) and the `n` good images
/// with the highest scores (highest first); ties go to the earlier record.
///
/// Every selected image is listed even when the threshold classifies it correctly
/// ([`WorstCase::wrong_at_threshold`] says which), so the closest calls are always shown.
#[must_use]
pub fn select_worst(run: &EvalRun, n: usize) -> (Vec<WorstCase>, Vec<WorstCase>) {
    let mut defective: Vec<usize> = (0..run.images.len())
        .filter(|&i| run.images[i].anomalous)
        .collect();
    // Stable sorts keep record order among equal scores.
    defective.sort_by(|&a, &b| run.images[a].score.total_cmp(&run.images[b].score));
    let mut good: Vec<usize> = (0..run.images.len())
        .filter(|&i| !run.images[i].anomalous)
        .collect();
    good.sort_by(|&a, &b| run.images[b].score.total_cmp(&run.images[a].score));

    let case = |rank: usize, index: usize, kind: &str| {
        let r = &run.images[index];
        let wrong = if r.anomalous {
            r.score < run.threshold
        } else {
            r.score >= run.threshold
        };
        WorstCase {
            index,
            path: r.path.clone(),
            defect: r.defect.clone(),
            score: r.score,
            normalised: r.normalised,
            wrong_at_threshold: wrong,
            overlay: overlay_name(kind, rank + 1, r),
        }
    };
    let fa = defective
        .iter()
        .take(n)
        .enumerate()
        .map(|(rank, &i)| case(rank, i, "false-accept"))
        .collect();
    let fr = good
        .iter()
        .take(n)
        .enumerate()
        .map(|(rank, &i)| case(rank, i, "false-reject"))
        .collect();
    (fa, fr)
}

/// `overlays/<kind>-<rank:02>-<defect>-<stem>.png`, with every character outside
/// `[A-Za-z0-9_-]` replaced by `_` (file names stay portable and unique per rank).
fn overlay_name(kind: &str, rank: usize, record: &ImageRecord) -> String {
    let stem = record
        .path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!(
        "{}/{kind}-{rank:02}-{}-{}.png",
        super::OVERLAY_DIR,
        clean(&record.defect),
        clean(&stem)
    )
}

fn check(run: &EvalRun) -> Result<(), ReportError> {
    if run.images.is_empty() {
        return Err(ReportError::NoImages);
    }
    for r in &run.images {
        let path = || r.path.clone();
        let pixels = r.width as usize * r.height as usize;
        if r.heatmap.len() != pixels {
            return Err(ReportError::HeatmapSize {
                path: path(),
                len: r.heatmap.len(),
                width: r.width,
                height: r.height,
            });
        }
        if let Some(mask) = &r.mask {
            if mask.len() != pixels {
                return Err(ReportError::MaskSize {
                    path: path(),
                    len: mask.len(),
                    width: r.width,
                    height: r.height,
                });
            }
        }
        if !r.score.is_finite() {
            return Err(ReportError::NonFiniteScore {
                path: path(),
                score: r.score,
            });
        }
        if let Some(pixel) = r.heatmap.iter().position(|v| v.is_nan()) {
            return Err(ReportError::NanPixel {
                path: path(),
                pixel,
            });
        }
        let latency_is_valid = r.latency_ms.is_finite() && r.latency_ms >= 0.0;
        if !latency_is_valid {
            return Err(ReportError::BadLatency {
                path: path(),
                latency_ms: r.latency_ms,
            });
        }
    }
    Ok(())
}

/// `Some` on success; `None` plus a note when the metric is undefined for this run.
fn defined<T>(
    metric: &'static str,
    result: Result<T, MetricError>,
    notes: &mut Vec<String>,
) -> Result<Option<T>, ReportError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(
            e @ (MetricError::SingleClass { .. }
            | MetricError::NoRegions
            | MetricError::NoNormalPixels),
        ) => {
            notes.push(format!("{metric} is null: {e}."));
            Ok(None)
        }
        Err(source) => Err(ReportError::Metric { metric, source }),
    }
}

struct PixelMetrics {
    auroc: Option<f64>,
    aupro: Option<f64>,
    aupr: Option<f64>,
}

fn pixel_metrics(
    images: &[ImageRecord],
    notes: &mut Vec<String>,
) -> Result<PixelMetrics, ReportError> {
    let none = PixelMetrics {
        auroc: None,
        aupro: None,
        aupr: None,
    };
    let defective_with_mask = images
        .iter()
        .filter(|r| r.anomalous && r.mask.is_some())
        .count();
    if defective_with_mask == 0 {
        notes.push(
            "pixel_auroc, aupro and pixel_aupr are null: no defective test image has a \
             ground-truth mask (a plain folder has none)."
                .into(),
        );
        return Ok(none);
    }
    let unmasked = images
        .iter()
        .filter(|r| r.anomalous && r.mask.is_none())
        .count();
    if unmasked > 0 {
        notes.push(format!(
            "{unmasked} defective image(s) without a mask are left out of the pixel metrics \
             (their pixels are unknown)."
        ));
    }
    let empty = images
        .iter()
        .filter(|r| r.anomalous && r.mask.as_ref().is_some_and(|m| !m.contains(&true)))
        .count();
    if empty > 0 {
        notes.push(format!(
            "{empty} defective image(s) have an empty mask: they count for the image metrics \
             and add only normal pixels (no region) to the pixel metrics."
        ));
    }
    let used: Vec<&ImageRecord> = images
        .iter()
        .filter(|r| !r.anomalous || r.mask.is_some())
        .collect();
    // Good images without a mask are all normal pixels.
    let blank: Vec<Vec<bool>> = used
        .iter()
        .map(|r| match r.mask {
            Some(_) => Vec::new(),
            None => vec![false; r.heatmap.len()],
        })
        .collect();
    let maps: Vec<&[f32]> = used.iter().map(|r| r.heatmap.as_slice()).collect();
    let masks: Vec<&[bool]> = used
        .iter()
        .zip(&blank)
        .map(|(r, b)| r.mask.as_deref().unwrap_or(b))
        .collect();
    let sizes: Vec<ImageSize> = used
        .iter()
        .map(|r| ImageSize::new(r.width as usize, r.height as usize))
        .collect();
    Ok(PixelMetrics {
        auroc: defined("pixel_auroc", metrics::pixel_auroc(&maps, &masks), notes)?,
        aupro: defined(
            "aupro",
            metrics::aupro(&maps, &masks, &sizes, DEFAULT_FPR_LIMIT),
            notes,
        )?,
        aupr: defined(
            "pixel_aupr",
            metrics::pixel_average_precision(&maps, &masks),
            notes,
        )?,
    })
}

fn per_defect(run: &EvalRun, notes: &mut Vec<String>) -> Result<Vec<DefectAuroc>, ReportError> {
    let mut groups: BTreeMap<&str, Vec<&ImageRecord>> = BTreeMap::new();
    for r in run.images.iter().filter(|r| r.anomalous) {
        groups.entry(r.defect.as_str()).or_default().push(r);
    }
    let good: Vec<f32> = run
        .images
        .iter()
        .filter(|r| !r.anomalous)
        .map(|r| r.score)
        .collect();
    if good.is_empty() && !groups.is_empty() {
        notes.push("per-defect image_auroc is null: the run has no good image.".into());
    }
    groups
        .into_iter()
        .map(|(defect, records)| {
            let image_auroc = if good.is_empty() {
                None
            } else {
                let scores: Vec<f32> = records
                    .iter()
                    .map(|r| r.score)
                    .chain(good.iter().copied())
                    .collect();
                let labels: Vec<bool> = (0..scores.len()).map(|i| i < records.len()).collect();
                Some(
                    metrics::roc_auc(&scores, &labels).map_err(|source| ReportError::Metric {
                        metric: "per_defect.image_auroc",
                        source,
                    })?,
                )
            };
            Ok(DefectAuroc {
                defect: defect.to_string(),
                images: records.len(),
                caught: records.iter().filter(|r| r.score >= run.threshold).count(),
                image_auroc,
            })
        })
        .collect()
}

/// Nearest-rank quantile of sorted, non-empty `values`: index `round((n - 1) · q)`.
fn nearest_rank(sorted: &[f64], q: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_picks_rounded_index() {
        let v: Vec<f64> = (0..21).map(f64::from).collect();
        assert_eq!(nearest_rank(&v, 0.5), 10.0);
        assert_eq!(nearest_rank(&v, 0.95), 19.0);
        assert_eq!(nearest_rank(&[3.0], 0.95), 3.0);
    }

    #[test]
    fn overlay_names_are_portable() {
        let r = ImageRecord {
            path: PathBuf::from("test/broken large/0 1.png"),
            defect: "broken large".into(),
            anomalous: true,
            score: 0.0,
            normalised: 0.0,
            heatmap: Vec::new(),
            width: 0,
            height: 0,
            mask: None,
            latency_ms: 0.0,
        };
        assert_eq!(
            overlay_name("false-accept", 3, &r),
            "overlays/false-accept-03-broken_large-0_1.png"
        );
    }
}
