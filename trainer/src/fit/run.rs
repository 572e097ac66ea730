//! [`fit`]: the whole `trainer fit` flow (see the [module docs](super)).

use std::path::{Path, PathBuf};
use std::time::Instant;

use edge::inspector::Inspector;
use image::RgbImage;
use shared::bundle::{Bundle, DatasetSeen, Manifest, Metric, Payload, BANK, FEATURES_ONNX};

use super::config::{FeatureSource, FitConfig, ModelChoice};
use super::distil::{distil_features, distil_pair, StudentSummary};
use super::error::FitError;
use super::manifest::{
    uncalibrated, Lineage, ANOMALY_STUDENT_KEY, LAYERS_KEY, STUDENT_KEY, TEACHER_KEY,
};
use super::model::{direct_map, fit_model, FittedModel};
use super::parity::{check_parity, Parity};
use super::split::holdout_split;
use crate::bank::GridShape;
use crate::calibrate::{calibrate_with_defects, Calibration};
use crate::data::{self, Sample};
use crate::eval::heatmap_on_frame;
use crate::features::{FeatureError, FeatureExtractor};
use crate::teacher::TeacherWeights;

/// What a successful fit produced.
#[derive(Debug, Clone)]
pub struct Fitted {
    /// The verified bundle.
    pub out: PathBuf,
    /// Its size in bytes.
    pub bundle_bytes: u64,
    /// Its manifest.
    pub manifest: Manifest,
    /// Thresholds, catch rate and warnings.
    pub calibration: Calibration,
    /// The parity check's outcome.
    pub parity: Parity,
    /// The inspector's one-line description of the bank.
    pub model_description: String,
    /// Good images the model was fitted to.
    pub fit_images: usize,
    /// Good images held out for calibration.
    pub held_out: usize,
    /// Real defect images used for the threshold.
    pub defect_images: usize,
    /// Training patches.
    pub training_patches: usize,
    /// Bytes of the `bank` payload.
    pub bank_bytes: usize,
    /// Bytes the bank would take in f32.
    pub f32_bank_bytes: usize,
    /// Feature extraction time per fit image, milliseconds.
    pub features_ms_per_image: f64,
    /// Model fitting time (coreset or moments), seconds.
    pub model_seconds: f64,
    /// Multiply-accumulates per frame (network + scoring).
    pub macs_per_frame: u64,
    /// The distilled feature student, when the features came from one.
    pub student: Option<StudentSummary>,
    /// The anomaly student of a teacher–student pair (`--model student`).
    pub anomaly_student: Option<StudentSummary>,
}

pub(crate) fn check(config: &FitConfig) -> Result<(), FitError> {
    let problem = |field, problem: String| Err(FitError::Config { field, problem });
    if !(config.holdout_fraction > 0.0 && config.holdout_fraction < 1.0) {
        return problem(
            "holdout",
            format!(
                "{}: use a share in (0, 1), e.g. 0.1",
                config.holdout_fraction
            ),
        );
    }
    if config.threads == 0 {
        return problem("threads", "0: use at least 1".into());
    }
    if config.input.0.min(config.input.1) < 32 {
        let (w, h) = config.input;
        return problem("input-size", format!("{w}×{h}: use sides of at least 32"));
    }
    if matches!(config.model, ModelChoice::Student { .. })
        && matches!(config.features, FeatureSource::Teacher)
    {
        return problem(
            "features",
            "teacher: the teacher–student model needs the student feature source \
             (`--features student`; the device never runs the teacher)"
                .into(),
        );
    }
    if config.layers.is_empty() {
        return problem("layers", "empty: name at least one teacher layer".into());
    }
    let sigmas = [
        ("sigma", Some(config.smoothing_sigma)),
        ("image-sigma", config.image_sigma),
    ];
    for (field, sigma) in sigmas {
        let Some(sigma) = sigma else { continue };
        if shared::score::check_sigma(sigma).is_err() {
            return problem(
                field,
                format!(
                    "{sigma}: use map cells in 0..={} (0: no smoothing)",
                    shared::score::MAX_SIGMA
                ),
            );
        }
    }
    if !config.parity_tolerance.is_finite() || config.parity_tolerance < 0.0 {
        return problem(
            "parity-tolerance",
            format!("{}: use a finite value ≥ 0", config.parity_tolerance),
        );
    }
    Ok(())
}

pub(crate) fn load_images(samples: &[&Sample]) -> Result<Vec<(PathBuf, RgbImage)>, FitError> {
    samples
        .iter()
        .map(|s| Ok((s.path.clone(), data::load_rgb(&s.path)?)))
        .collect()
}

/// The path the bundle is written to before the parity check passes:
/// `<out>.unverified` in the same folder, so the final rename is atomic.
#[must_use]
pub fn unverified_path(out: &Path) -> PathBuf {
    shared::bundle::with_suffix(out, ".unverified")
}

/// Fits a model to the good training images of `data`, calibrates it, writes the bundle
/// to `out` and checks it (see the [module docs](super)). `defects`: a folder of real
/// defect images (searched recursively) that switches the threshold to F1-max.
///
/// # Errors
/// [`FitError`]: bad settings, unreadable data, too few images, fitting, calibration,
/// writing or parity failures. `out` is untouched on any error.
pub fn fit(
    data: &Path,
    defects: Option<&Path>,
    out: &Path,
    weights: &TeacherWeights,
    config: &FitConfig,
) -> Result<Fitted, FitError> {
    check(config)?;
    let dataset = data::load(data)?;
    let n = dataset.train.len();
    if n < 3 {
        return Err(FitError::TooFewImages {
            dataset: data.to_path_buf(),
            images: n,
        });
    }
    let (fit_idx, held_idx) = holdout_split(n, config.holdout_fraction, 2);
    let fit_samples: Vec<&Sample> = fit_idx.iter().map(|&i| &dataset.train[i]).collect();
    let held_samples: Vec<&Sample> = held_idx.iter().map(|&i| &dataset.train[i]).collect();

    let layers: Vec<&str> = config.layers.iter().map(String::as_str).collect();
    let teacher =
        FeatureExtractor::with_layers_sized(weights, config.input, &layers, config.threads)?;
    let (extractor, student, anomaly_student) = match &config.features {
        FeatureSource::Teacher => (teacher, None, None),
        FeatureSource::Student(feature) => match config.model.anomaly_student(feature) {
            Some(anomaly) => {
                let (extractor, [feature_summary, anomaly_summary]) = distil_pair(
                    &teacher,
                    &fit_samples,
                    &held_samples,
                    (feature, &anomaly),
                    config.threads,
                    config.progress,
                )?;
                (extractor, Some(feature_summary), Some(anomaly_summary))
            }
            None => {
                let (extractor, summary) = distil_features(
                    &teacher,
                    &fit_samples,
                    &held_samples,
                    feature,
                    config.threads,
                    config.progress,
                )?;
                (extractor, Some(summary), None)
            }
        },
    };
    let (c, h, w) = extractor.output_shape();
    let grid = GridShape::new(h, w, c);
    let (fitted, features_ms_per_image, model_seconds) = if anomaly_student.is_some() {
        // The pair's graph outputs the map itself: nothing to extract or fit.
        (
            direct_map(grid, fit_samples.len() * grid.cells())?,
            0.0,
            0.0,
        )
    } else {
        let start = Instant::now();
        let features = extractor.extract_dataset(&fit_samples, config.progress, |s| {
            data::load_rgb(&s.path).map_err(|e| FeatureError::Image {
                item: s.path.display().to_string(),
                message: e.to_string(),
            })
        })?;
        let features_ms = start.elapsed().as_secs_f64() * 1e3 / fit_samples.len() as f64;
        let mut flat = Vec::with_capacity(features.len() * grid.cells() * c);
        for f in features {
            flat.extend_from_slice(&f.data);
        }
        let start = Instant::now();
        let fitted = fit_model(&flat, grid, &config.model, config.seed, config.progress)?;
        (fitted, features_ms, start.elapsed().as_secs_f64())
    };

    let mut extra = fitted.extra.clone();
    extra.push((LAYERS_KEY.into(), config.layers.join(",")));
    extra.push((TEACHER_KEY.into(), weights.name().to_string()));
    if let Some(student) = &student {
        extra.push((STUDENT_KEY.into(), student.arch.clone()));
    }
    if let Some(anomaly) = &anomaly_student {
        extra.push((ANOMALY_STUDENT_KEY.into(), anomaly.arch.clone()));
    }
    let fingerprint = data::fingerprint(&dataset)?;
    let lineage = Lineage {
        datasets: vec![DatasetSeen {
            path: data.display().to_string(),
            images: n as u64,
            fingerprint: fingerprint.clone(),
        }],
        created_by: config.created_by.clone(),
    };
    let manifest = uncalibrated(
        fitted.kind,
        config.input,
        (w, h),
        (config.smoothing_sigma, config.image_sigma_for((w, h))),
        fingerprint,
        lineage,
        extra,
    );
    let bank_bytes = fitted.model.to_bytes();
    let mut bundle = Bundle {
        manifest,
        payloads: vec![
            Payload {
                name: FEATURES_ONNX.into(),
                bytes: extractor.onnx().to_vec(),
            },
            Payload {
                name: BANK.into(),
                bytes: bank_bytes,
            },
        ],
    };

    let held = load_images(&held_samples)?;
    let defect_images = match defects {
        Some(dir) => {
            let listed = data::load_folder(dir)?;
            load_images(&listed.train.iter().collect::<Vec<_>>())?
        }
        None => Vec::new(),
    };
    let (calibration, inspector) = calibrate_bundle(&bundle, &held, &defect_images, config)?;
    apply_calibration(&mut bundle.manifest, &calibration);

    let (unverified, parity) = write_unverified(&bundle, out, &extractor, &fitted, &held, config)?;
    let bundle_bytes = promote(&unverified, out)?;
    Ok(summary(
        out,
        bundle,
        calibration,
        parity,
        &inspector,
        &fitted,
        [fit_samples.len(), held.len(), defect_images.len()],
        features_ms_per_image,
        model_seconds,
        bundle_bytes,
        [student, anomaly_student],
    ))
}

/// Writes `bundle` to [`unverified_path`]`(out)` (creating `out`'s folder) and checks it
/// with [`check_parity`] on `held`: the file read back by the edge inspector must score as
/// the in-memory `fitted` model. `out` itself is not touched. Shared by `fit` and
/// `retrain`.
pub(crate) fn write_unverified(
    bundle: &Bundle,
    out: &Path,
    extractor: &FeatureExtractor,
    fitted: &FittedModel,
    held: &[(PathBuf, RgbImage)],
    config: &FitConfig,
) -> Result<(PathBuf, Parity), FitError> {
    let unverified = unverified_path(out);
    if let Some(dir) = out.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|source| FitError::Write {
            path: out.to_path_buf(),
            source: shared::bundle::BundleError::Io {
                action: "create the output folder",
                path: dir.to_path_buf(),
                source,
            },
        })?;
    }
    bundle
        .write_to(&unverified)
        .map_err(|source| FitError::Write {
            path: unverified.clone(),
            source,
        })?;
    let parity = check_parity(
        &unverified,
        out,
        extractor,
        fitted,
        &bundle.manifest,
        held,
        config.threads,
        config.parity_tolerance,
    )?;
    Ok((unverified, parity))
}

/// Renames the verified file over `out` (atomic in one folder); returns its size in bytes.
pub(crate) fn promote(unverified: &Path, out: &Path) -> Result<u64, FitError> {
    std::fs::rename(unverified, out).map_err(|source| FitError::Rename {
        from: unverified.to_path_buf(),
        to: out.to_path_buf(),
        source,
    })?;
    // The file just renamed into place; its size is the bundle's encoded length.
    Ok(std::fs::metadata(out).map_or(0, |m| m.len()))
}

#[allow(clippy::too_many_arguments)]
fn summary(
    out: &Path,
    bundle: Bundle,
    calibration: Calibration,
    parity: Parity,
    inspector: &Inspector,
    fitted: &FittedModel,
    [fit_images, held_out, defect_images]: [usize; 3],
    features_ms_per_image: f64,
    model_seconds: f64,
    bundle_bytes: u64,
    [student, anomaly_student]: [Option<StudentSummary>; 2],
) -> Fitted {
    let bank_bytes = bundle.payload(BANK).map_or(0, <[u8]>::len);
    Fitted {
        out: out.to_path_buf(),
        bundle_bytes,
        manifest: bundle.manifest,
        calibration,
        parity,
        model_description: inspector.describe_bank(),
        fit_images,
        held_out,
        defect_images,
        training_patches: fitted.training_patches,
        bank_bytes,
        f32_bank_bytes: fitted.f32_bytes,
        features_ms_per_image,
        model_seconds,
        macs_per_frame: inspector.macs_per_frame(),
        student,
        anomaly_student,
    }
}

/// Calibrates `bundle` (thresholds unset) through the edge inspector: held-out good
/// images, synthetic anomalies drawn from them, and real defects when given. Heat maps
/// are compared at each image's own size. Returns the inspector too (it describes the
/// model for the summary).
pub(crate) fn calibrate_bundle(
    bundle: &Bundle,
    held: &[(PathBuf, RgbImage)],
    defects: &[(PathBuf, RgbImage)],
    config: &FitConfig,
) -> Result<(Calibration, Inspector), FitError> {
    let mut inspector = Inspector::new(bundle, config.threads).map_err(FitError::inspector(
        "building the inspector for the fitted model",
    ))?;
    let (width, height) = inspector.heatmap_size();
    let roi = bundle.manifest.preprocess.roi;
    let held_images: Vec<RgbImage> = held.iter().map(|(_, i)| i.clone()).collect();
    let defect_images: Vec<RgbImage> = defects.iter().map(|(_, i)| i.clone()).collect();
    let mut heatmap = vec![0.0; width as usize * height as usize];
    let calibration =
        calibrate_with_defects(&held_images, &defect_images, &config.calibration, |image| {
            let raw = inspector
                .inspect_with_heatmap(image, &mut heatmap)?
                .raw_score;
            let on_frame = heatmap_on_frame(
                &heatmap,
                (width, height),
                roi,
                (image.width(), image.height()),
            );
            Ok::<_, edge::inspector::InspectorError>((raw, on_frame))
        })?;
    Ok((calibration, inspector))
}

/// Thresholds, good-score statistics and the calibration's figures into the manifest.
pub(crate) fn apply_calibration(manifest: &mut Manifest, calibration: &Calibration) {
    manifest.thresholds = calibration.thresholds();
    manifest.score_stats = calibration.score_stats;
    let metrics = &mut manifest.provenance.metrics;
    metrics.push(Metric {
        name: "holdout_false_reject_rate".into(),
        value: calibration.false_reject_rate as f32,
    });
    if let Some(catch) = &calibration.catch {
        metrics.push(Metric {
            name: "synthetic_catch_rate".into(),
            value: catch.rate as f32,
        });
    }
    if let Some(catch) = &calibration.defect_catch {
        metrics.push(Metric {
            name: "defect_catch_rate".into(),
            value: catch.rate as f32,
        });
    }
}
