//! Why `trainer retrain` stopped. Each variant names the file, folder or setting at fault;
//! in every case the output path was left as it was.

use std::path::PathBuf;

use edge::inspector::InspectorError;
use shared::bundle::BundleError;

use crate::bank::ExtendError;
use crate::data::DataError;
use crate::features::FeatureError;
use crate::fit::FitError;
use crate::metrics::MetricError;

/// A failed retrain; nothing at the output path was written.
#[derive(Debug, thiserror::Error)]
pub enum RetrainError {
    /// A setting is out of range.
    #[error("invalid setting `{field}`: {problem}")]
    Config {
        /// The setting (CLI flag name).
        field: &'static str,
        /// What is wrong and what to use instead.
        problem: String,
    },
    /// The old bundle could not be read or decoded.
    #[error("reading the old bundle {}", path.display())]
    OldBundle {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: BundleError,
    },
    /// The old bundle is not one that can be retrained incrementally.
    #[error("old bundle {}: {problem}", path.display())]
    Unsupported {
        /// The file.
        path: PathBuf,
        /// Why, and what to do instead.
        problem: String,
    },
    /// The old bundle's model cannot be extended.
    #[error("old bundle {}", path.display())]
    Extend {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: ExtendError,
    },
    /// The capture (or evaluation) folder is unusable.
    #[error("capture folder {}: {problem}", path.display())]
    Captures {
        /// The folder.
        path: PathBuf,
        /// What is wrong and how to label frames.
        problem: String,
    },
    /// A labels CSV line is wrong.
    #[error("labels file {}:{line}: {problem}", path.display())]
    Labels {
        /// The CSV file.
        path: PathBuf,
        /// 1-based line number.
        line: usize,
        /// What is wrong.
        problem: String,
    },
    /// A file or folder could not be read.
    #[error("cannot read {}", path.display())]
    Read {
        /// The file or folder.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// Too few labelled good frames to fit, calibrate and evaluate.
    #[error(
        "{} has {goods} frame(s) labelled good for training: at least 3 are needed (one to \
         add to the bank, two held out for calibration) after {eval} are kept for the \
         old-vs-new evaluation; label more good frames or give --eval DIR",
        captures.display()
    )]
    TooFewGoods {
        /// The capture folder.
        captures: PathBuf,
        /// Good frames left for training.
        goods: usize,
        /// Good frames kept for evaluation.
        eval: usize,
    },
    /// An image could not be decoded.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Feature extraction with the bundle's graph failed.
    #[error("extracting patch features with the old bundle's feature graph")]
    Features(#[from] FeatureError),
    /// Calibration, writing or the parity check failed (shared with `trainer fit`).
    #[error(transparent)]
    Fit(#[from] FitError),
    /// The edge inspector refused a bundle or failed on an evaluation image.
    #[error("edge inspector: {stage}")]
    Inspector {
        /// What was being done.
        stage: String,
        /// The cause.
        #[source]
        source: InspectorError,
    },
    /// A metric could not be computed.
    #[error("computing {what}")]
    Metric {
        /// The metric.
        what: &'static str,
        /// The cause.
        #[source]
        source: MetricError,
    },
    /// The new bundle is worse than the old one beyond the tolerance.
    #[error(
        "the retrained bundle is worse than the old one beyond the tolerance ({tolerance}); \
         {out} was not written (use --force to write it anyway):\n{comparison}",
        out = out.display()
    )]
    Worse {
        /// The output path that was not written.
        out: PathBuf,
        /// The tolerance used.
        tolerance: f64,
        /// The old-vs-new table with the regressions marked.
        comparison: String,
    },
}

impl RetrainError {
    pub(crate) fn inspector(stage: impl Into<String>) -> impl FnOnce(InspectorError) -> Self {
        let stage = stage.into();
        move |source| RetrainError::Inspector { stage, source }
    }
}
