//! [`retrain`]: the whole `trainer retrain` flow (see the [module docs](super)).

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use edge::inspector::Inspector;
use edge::record::verdict::Verdict;
use image::RgbImage;
use shared::bundle::{
    Bundle, BundleError, DatasetSeen, Manifest, ModelKind, BANK, FEATURES_ONNX, MAX_DATASETS,
};
use shared::score::{ScoreStats, Thresholds};

use super::captures::{load_labelled, Label, LabelledFrame};
use super::compare::{compare, Comparison};
use super::error::RetrainError;
use crate::bank::{extend_bank, BankModel, Codes, ExtendConfig, Extended};
use crate::calibrate::Calibration;
use crate::data;
use crate::features::preprocess::TEACHER_NORMALISATION;
use crate::features::{FeatureError, FeatureExtractor};
use crate::fit::{
    apply_calibration, calibrate_bundle, holdout_split, load_images, promote, write_unverified,
    FitConfig, FittedModel, Parity, DEFAULT_MAX_ENTRIES,
};

/// Everything [`retrain`] needs besides the paths.
#[derive(Debug, Clone)]
pub struct RetrainConfig {
    /// Threads, seed, calibration, held-out share of the training goods
    /// (`holdout_fraction`), parity tolerance, progress and `created_by` (the input size,
    /// layers and model choice are the old bundle's and are ignored).
    pub fit: FitConfig,
    /// How many entries the bank may gain.
    pub extend: ExtendConfig,
    /// Share of the labelled good frames kept for the old-vs-new evaluation when no
    /// evaluation folder is given.
    pub eval_fraction: f64,
    /// Largest accepted drop of catch rate or AUROC, or rise of false-reject rate.
    pub tolerance: f64,
    /// Write the new bundle even when it is worse beyond the tolerance.
    pub force: bool,
}

impl Default for RetrainConfig {
    fn default() -> Self {
        RetrainConfig {
            fit: FitConfig {
                holdout_fraction: 0.2,
                created_by: "trainer retrain (library call)".into(),
                ..FitConfig::default()
            },
            extend: ExtendConfig {
                fraction: crate::bank::DEFAULT_CORESET_FRACTION,
                max_entries: Some(DEFAULT_MAX_ENTRIES),
            },
            eval_fraction: 0.3,
            tolerance: 0.02,
            force: false,
        }
    }
}

/// What a successful retrain produced.
#[derive(Debug, Clone)]
pub struct Retrained {
    /// The written bundle.
    pub out: PathBuf,
    /// Its size in bytes.
    pub bundle_bytes: u64,
    /// Its manifest (lineage included).
    pub manifest: Manifest,
    /// SHA-256 of the old bundle file (the new one's parent).
    pub parent_sha256: String,
    /// How the bank was extended.
    pub extended: Extended,
    /// Good frames whose patches were offered to the bank.
    pub fit_images: usize,
    /// Good frames held out for calibration and the parity check.
    pub held_out: usize,
    /// Calibration on the held-out frames (before combining with the old thresholds).
    pub calibration: Calibration,
    /// The parity check's outcome.
    pub parity: Parity,
    /// Old vs new on the evaluation images.
    pub comparison: Comparison,
    /// True when the bundle was written despite regressions (`--force`).
    pub forced: bool,
    /// Labelled good captures the edge had rejected (false rejects on the line).
    pub line_false_rejects: usize,
    /// Labelled defect captures the edge had passed (escapes on the line).
    pub line_escapes: usize,
}

fn check(config: &RetrainConfig) -> Result<(), RetrainError> {
    let problem = |field, problem: String| Err(RetrainError::Config { field, problem });
    if !(config.eval_fraction > 0.0 && config.eval_fraction < 1.0) {
        return problem(
            "eval-fraction",
            format!("{}: use a share in (0, 1), e.g. 0.3", config.eval_fraction),
        );
    }
    if !config.tolerance.is_finite() || config.tolerance < 0.0 {
        return problem(
            "tolerance",
            format!("{}: use a finite rate ≥ 0, e.g. 0.02", config.tolerance),
        );
    }
    if !(config.extend.fraction > 0.0 && config.extend.fraction <= 1.0) {
        return problem(
            "coreset",
            format!("{}: use a share in (0, 1]", config.extend.fraction),
        );
    }
    crate::fit::check_settings(&config.fit)?;
    Ok(())
}

/// Retrains the bundle at `old` on the labelled frames of `captures` (labels from the
/// `labels` CSV or the `good/` / `defect/` folders), evaluates old and new on the same
/// images (`eval`'s `good/` and `defect/` folders plus the labelled defect captures, or a
/// held-out share of the labelled goods plus the labelled defects) and writes the new
/// bundle to `out` unless it is worse beyond `config.tolerance` (or `config.force`).
///
/// # Errors
/// [`RetrainError`]; `out` is untouched on any error, including
/// [`RetrainError::Worse`].
pub fn retrain(
    old: &Path,
    captures: &Path,
    labels: Option<&Path>,
    eval: Option<&Path>,
    out: &Path,
    config: &RetrainConfig,
) -> Result<Retrained, RetrainError> {
    check(config)?;
    let old_bytes = std::fs::read(old).map_err(|source| RetrainError::OldBundle {
        path: old.to_path_buf(),
        source: BundleError::Io {
            action: "read bundle file",
            path: old.to_path_buf(),
            source,
        },
    })?;
    let parent_sha256 = hex::encode(edge::signature::sha256(&old_bytes));
    let old_bundle = Bundle::from_bytes(&old_bytes).map_err(|source| RetrainError::OldBundle {
        path: old.to_path_buf(),
        source,
    })?;
    drop(old_bytes);
    check_retrainable(old, &old_bundle.manifest)?;

    let labelled = load_labelled(captures, labels)?;
    let goods = labelled.with(Label::Good);
    let defects = labelled.with(Label::Defect);
    let line_false_rejects = goods
        .iter()
        .filter(|f| f.edge_verdict == Some(Verdict::Reject))
        .count();
    let line_escapes = defects
        .iter()
        .filter(|f| f.edge_verdict == Some(Verdict::Pass))
        .count();

    // Evaluation images: never used for the bank or the thresholds.
    let (train_goods, mut eval_frames): (Vec<&LabelledFrame>, Vec<&LabelledFrame>) = match eval {
        Some(_) => (goods.clone(), Vec::new()),
        None => {
            let (train, held) = holdout_split(goods.len(), config.eval_fraction, 1);
            (
                train.iter().map(|&i| goods[i]).collect(),
                held.iter().map(|&i| goods[i]).collect(),
            )
        }
    };
    eval_frames.extend(defects.iter().copied());
    let eval_set = match eval {
        Some(dir) => Some(load_labelled(dir, None)?),
        None => None,
    };
    if let Some(set) = &eval_set {
        eval_frames.extend(set.frames.iter());
    }
    if train_goods.len() < 3 {
        return Err(RetrainError::TooFewGoods {
            captures: captures.to_path_buf(),
            goods: train_goods.len(),
            eval: goods.len() - train_goods.len(),
        });
    }
    let (fit_idx, held_idx) = holdout_split(train_goods.len(), config.fit.holdout_fraction, 2);
    let fit_frames: Vec<&LabelledFrame> = fit_idx.iter().map(|&i| train_goods[i]).collect();
    let held_paths: Vec<data::Sample> = held_idx
        .iter()
        .map(|&i| sample(&train_goods[i].path))
        .collect();

    let mut old_inspector = Inspector::new(&old_bundle, config.fit.threads).map_err(
        RetrainError::inspector(format!("opening the old bundle {}", old.display())),
    )?;
    let grid = old_inspector.grid();
    let m = &old_bundle.manifest;
    let graph = old_bundle
        .payload(FEATURES_ONNX)
        .ok_or_else(|| unsupported(old, "has no `features.onnx` payload"))?;
    let extractor = FeatureExtractor::from_onnx(
        graph.to_vec(),
        (m.input.width, m.input.height),
        (grid.dim, grid.height, grid.width),
        config.fit.threads,
    )?;
    let features = extractor.extract_dataset(&fit_frames, config.fit.progress, |f| {
        data::load_rgb(&f.path).map_err(|e| FeatureError::Image {
            item: f.path.display().to_string(),
            message: e.to_string(),
        })
    })?;
    let patches: Vec<f32> = features.into_iter().flat_map(|f| f.data).collect();

    let old_model = BankModel::from_bytes(old_bundle.payload(BANK).unwrap_or_default())
        .map_err(|e| unsupported(old, &format!("its `bank` payload does not decode: {e}")))?;
    let extended = extend_bank(&old_model, &patches, &config.extend).map_err(|source| {
        RetrainError::Extend {
            path: old.to_path_buf(),
            source,
        }
    })?;
    let fitted = FittedModel {
        kind: ModelKind::MemoryBank,
        model: extended.model.clone(),
        extra: m.extra.clone(),
        training_patches: patches.len() / grid.dim,
        f32_bytes: (extended.old_entries + extended.added) * grid.dim * 4,
    };

    let fingerprint = labelled.fingerprint()?;
    let mut bundle = old_bundle.clone();
    for p in &mut bundle.payloads {
        if p.name == BANK {
            p.bytes = extended.model.to_bytes();
        }
    }
    lineage(
        &mut bundle.manifest,
        &parent_sha256,
        DatasetSeen {
            path: captures.display().to_string(),
            images: (fit_frames.len() + held_idx.len()) as u64,
            fingerprint: fingerprint.clone(),
        },
        fingerprint,
        &config.fit.created_by,
    );
    bundle.manifest.thresholds = Thresholds {
        image: f32::MAX,
        pixel: f32::MAX,
    };
    let held = load_images(&held_paths.iter().collect::<Vec<_>>())?;
    let (calibration, _) = calibrate_bundle(&bundle, &held, &[], &config.fit)?;
    apply_calibration(&mut bundle.manifest, &calibration);
    combine_with_parent(&mut bundle.manifest, m);

    let (unverified, parity) =
        write_unverified(&bundle, out, &extractor, &fitted, &held, &config.fit)?;
    let outcome = (|| {
        let mut new_inspector = Inspector::open(&unverified, config.fit.threads).map_err(
            RetrainError::inspector(format!("opening the new bundle {}", unverified.display())),
        )?;
        let images = eval_frames
            .iter()
            .map(|f| {
                Ok((
                    f.path.clone(),
                    data::load_rgb(&f.path)?,
                    f.label == Label::Defect,
                ))
            })
            .collect::<Result<Vec<(PathBuf, RgbImage, bool)>, RetrainError>>()?;
        compare(
            &mut old_inspector,
            &mut new_inspector,
            &images,
            config.tolerance,
        )
    })();
    let comparison = match outcome {
        Ok(c) if c.regressions.is_empty() || config.force => c,
        Ok(c) => {
            let _ = std::fs::remove_file(&unverified);
            return Err(RetrainError::Worse {
                out: out.to_path_buf(),
                tolerance: config.tolerance,
                comparison: c.table(),
            });
        }
        Err(e) => {
            let _ = std::fs::remove_file(&unverified);
            return Err(e);
        }
    };
    let bundle_bytes = promote(&unverified, out)?;
    Ok(Retrained {
        out: out.to_path_buf(),
        bundle_bytes,
        manifest: bundle.manifest,
        parent_sha256,
        forced: !comparison.regressions.is_empty(),
        extended,
        fit_images: fit_frames.len(),
        held_out: held.len(),
        calibration,
        parity,
        comparison,
        line_false_rejects,
        line_escapes,
    })
}

fn sample(path: &Path) -> data::Sample {
    data::Sample {
        path: path.to_path_buf(),
        defect: data::GOOD.into(),
        mask: None,
    }
}

fn unsupported(path: &Path, problem: &str) -> RetrainError {
    RetrainError::Unsupported {
        path: path.to_path_buf(),
        problem: problem.to_string(),
    }
}

/// Incremental retraining keeps the old feature graph and extends a global bank; the
/// trainer's parity check assumes `trainer fit`'s preprocessing.
fn check_retrainable(path: &Path, m: &Manifest) -> Result<(), RetrainError> {
    match m.model {
        ModelKind::MemoryBank => {}
        ModelKind::PositionalBank => {
            return Err(RetrainError::Extend {
                path: path.to_path_buf(),
                source: crate::bank::ExtendError::NotGlobal("per-location bank"),
            })
        }
        ModelKind::Gaussian => {
            return Err(RetrainError::Extend {
                path: path.to_path_buf(),
                source: crate::bank::ExtendError::NotGlobal("Gaussian model"),
            })
        }
        other => {
            return Err(unsupported(
                path,
                &format!(
                    "manifest field `model` is {other:?}: only MemoryBank bundles are \
                     retrained incrementally; refit with `trainer fit`"
                ),
            ))
        }
    }
    let p = m.preprocess;
    if p.roi.is_some() || p.mean != TEACHER_NORMALISATION.mean || p.std != TEACHER_NORMALISATION.std
    {
        return Err(unsupported(
            path,
            "manifest field `preprocess` is not `trainer fit`'s (no ROI, teacher \
             normalisation): retrain only bundles written by `trainer fit`",
        ));
    }
    Ok(())
}

/// The new bundle's provenance: parent hash, inherited datasets plus this one (newest
/// [`MAX_DATASETS`] kept), command, time, trainer version; metrics start afresh.
fn lineage(
    m: &mut Manifest,
    parent_sha256: &str,
    captures: DatasetSeen,
    fingerprint: String,
    created_by: &str,
) {
    let p = &mut m.provenance;
    p.parent_bundle_sha256 = Some(parent_sha256.to_string());
    p.datasets.push(captures);
    let excess = p.datasets.len().saturating_sub(MAX_DATASETS);
    p.datasets.drain(..excess);
    p.dataset_fingerprint = fingerprint;
    p.created_by = created_by.to_string();
    p.trainer_version = env!("CARGO_PKG_VERSION").to_string();
    p.created_unix_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    p.metrics.clear();
}

/// The old training images are gone, but adding bank entries only lowers nearest-neighbour
/// distances, so the parent's goods score at most what they scored under the parent.
/// Hence: each threshold is the larger of the new calibration's and the parent's (the
/// parent's goods stay accepted, the new goods get their own margin), and the score
/// statistics pool the parent's with the new held-out ones.
fn combine_with_parent(m: &mut Manifest, parent: &Manifest) {
    m.thresholds.image = m.thresholds.image.max(parent.thresholds.image);
    m.thresholds.pixel = m.thresholds.pixel.max(parent.thresholds.pixel);
    m.score_stats = pooled(&m.score_stats, &parent.score_stats);
}

/// Statistics of the union of two samples from their own statistics.
fn pooled(a: &ScoreStats, b: &ScoreStats) -> ScoreStats {
    if b.count == 0 {
        return *a;
    }
    if a.count == 0 {
        return *b;
    }
    let (na, nb) = (f64::from(a.count), f64::from(b.count));
    let n = na + nb;
    let mean = (na * f64::from(a.mean) + nb * f64::from(b.mean)) / n;
    let second = |s: &ScoreStats| {
        let (m, sd) = (f64::from(s.mean), f64::from(s.std));
        sd * sd + m * m
    };
    let var = ((na * second(a) + nb * second(b)) / n - mean * mean).max(0.0);
    ScoreStats {
        min: a.min.min(b.min),
        max: a.max.max(b.max),
        mean: mean as f32,
        std: var.sqrt() as f32,
        count: a.count + b.count,
    }
}

/// Bank codes outcome in words (for the CLI summary).
#[must_use]
pub fn describe_codes(codes: &Codes) -> String {
    match codes {
        Codes::F32 => "f32 bank: old entries unchanged".into(),
        Codes::Kept => "int8 codec range covers the new entries: old codes unchanged".into(),
        Codes::Widened { max_old_change } => format!(
            "new entries outside the int8 codec range: codec widened, old entries re-encoded \
             from their dequantised values (largest change {max_old_change:.4})"
        ),
    }
}
