//! [`evaluate_bundle`]: bundle file + labelled dataset → report folder.

use std::path::{Path, PathBuf};

use edge::inspector::{Inspector, InspectorError};

use super::heatmap::heatmap_on_frame;
use crate::data::{self, DataError, Sample};
use crate::fit::progress_bar;
use crate::report::{
    self, evaluate_with, EvalRun, ImageRecord, Report, ReportError, ReportOptions, Written,
};

/// Settings of [`evaluate_bundle`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EvalConfig {
    /// Inspector threads; latency figures are per frame at this thread count.
    pub threads: usize,
    /// Show a progress bar.
    pub progress: bool,
    /// Worst false accepts / false rejects drawn as overlays.
    pub worst_cases: usize,
}

impl Default for EvalConfig {
    fn default() -> Self {
        EvalConfig {
            threads: 1,
            progress: false,
            worst_cases: crate::report::DEFAULT_WORST_CASES,
        }
    }
}

/// Why an evaluation failed; each variant names the file at fault.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    /// The dataset could not be listed or an image or mask read.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The dataset has no labelled test split.
    #[error(
        "{0} has no test images: `trainer eval` needs the MVTec AD layout \
         (test/good and test/<defect type> folders)"
    )]
    NoTestSet(PathBuf),
    /// The inspector refused the bundle or failed on an image.
    #[error("{stage}")]
    Inspector {
        /// What was being done, naming the file.
        stage: String,
        /// The cause.
        #[source]
        source: InspectorError,
    },
    /// The bundle file's size could not be read.
    #[error("reading the size of {path}")]
    Io {
        /// The bundle.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Computing or writing the report failed.
    #[error(transparent)]
    Report(#[from] ReportError),
}

/// What [`evaluate_bundle`] produced.
#[derive(Debug, Clone)]
pub struct Evaluated {
    /// The figures.
    pub report: Report,
    /// The files written.
    pub written: Written,
}

/// Scores `samples` with `inspector`: raw and normalised score, heat map resampled onto
/// each image's own size, its mask, frame → score latency.
///
/// # Errors
/// [`EvalError::Data`] for an unreadable image or mask, [`EvalError::Inspector`] naming
/// the image the inspector failed on.
pub fn score_test_set(
    inspector: &mut Inspector,
    samples: &[Sample],
    progress: bool,
) -> Result<Vec<ImageRecord>, EvalError> {
    let (width, height) = inspector.heatmap_size();
    let roi = inspector.manifest().preprocess.roi;
    let mut heatmap = vec![0.0; width as usize * height as usize];
    let bar = progress_bar(progress, samples.len() as u64, "test images");
    let records = samples
        .iter()
        .map(|sample| {
            let frame = data::load_rgb(&sample.path)?;
            let inspection = inspector
                .inspect_with_heatmap(&frame, &mut heatmap)
                .map_err(|source| EvalError::Inspector {
                    stage: format!("inspecting {}", sample.path.display()),
                    source,
                })?;
            let (score, normalised) = (inspection.raw_score, inspection.normalised);
            let latency_ms = inspection.timings.total_us as f64 / 1e3;
            let size = frame.dimensions();
            bar.inc(1);
            Ok(ImageRecord {
                path: sample.path.clone(),
                defect: sample.defect.clone(),
                anomalous: sample.is_anomalous(),
                score,
                normalised,
                heatmap: heatmap_on_frame(&heatmap, (width, height), roi, size),
                width: size.0,
                height: size.1,
                mask: data::load_mask(sample, size)?,
                latency_ms,
            })
        })
        .collect();
    bar.finish_and_clear();
    records
}

/// Opens `bundle` with the edge inspector, scores the test split of `data` and writes
/// `report.json`, `report.md` and worst-case overlays into `report_dir`.
///
/// # Errors
/// [`EvalError`], naming the bundle, dataset, image or report file at fault.
pub fn evaluate_bundle(
    bundle: &Path,
    data: &Path,
    report_dir: &Path,
    config: &EvalConfig,
) -> Result<Evaluated, EvalError> {
    let dataset = data::load(data)?;
    if dataset.test.is_empty() {
        return Err(EvalError::NoTestSet(data.to_path_buf()));
    }
    let mut inspector =
        Inspector::open(bundle, config.threads).map_err(|source| EvalError::Inspector {
            stage: format!("opening {}", bundle.display()),
            source,
        })?;
    let bundle_bytes = std::fs::metadata(bundle)
        .map_err(|source| EvalError::Io {
            path: bundle.to_path_buf(),
            source,
        })?
        .len();
    let images = score_test_set(&mut inspector, &dataset.test, config.progress)?;
    let manifest = inspector.manifest();
    let run = EvalRun {
        model: format!("{:?}: {}", manifest.model, inspector.describe_bank()),
        dataset: dataset.name.clone(),
        dataset_fingerprint: manifest.provenance.dataset_fingerprint.clone(),
        bundle_bytes,
        gmac_per_frame: inspector.macs_per_frame() as f64 / 1e9,
        threshold: manifest.thresholds.image,
        pixel_threshold: manifest.thresholds.pixel,
        images,
    };
    let report = evaluate_with(
        &run,
        &ReportOptions {
            worst_cases: config.worst_cases,
        },
    )?;
    let written = report::write_report(&run, &report, report_dir)?;
    Ok(Evaluated { report, written })
}
