//! Why `trainer fit` stopped. Each variant names the file, image or setting at fault.

use std::path::PathBuf;

use edge::inspector::InspectorError;
use shared::bundle::BundleError;

use crate::bank::BankError;
use crate::calibrate::CalibrateError;
use crate::data::DataError;
use crate::features::FeatureError;
use crate::teacher::TeacherError;

/// A failed fit; nothing at the output path was replaced.
#[derive(Debug, thiserror::Error)]
pub enum FitError {
    /// A setting is out of range.
    #[error("invalid setting `{field}`: {problem}")]
    Config {
        /// The setting (CLI flag name).
        field: &'static str,
        /// What is wrong and what to use instead.
        problem: String,
    },
    /// The dataset has too few good images to fit and hold some out.
    #[error(
        "{dataset} has {images} good training image(s): at least 3 are needed (one to fit, \
         two held out for calibration); 100–300 are typical"
    )]
    TooFewImages {
        /// Dataset root.
        dataset: PathBuf,
        /// Good training images found.
        images: usize,
    },
    /// Listing or reading the dataset failed.
    #[error(transparent)]
    Data(#[from] DataError),
    /// The teacher network could not be built.
    #[error("building the teacher feature graph")]
    Teacher(#[from] TeacherError),
    /// Feature extraction failed.
    #[error("extracting teacher patch features")]
    Features(#[from] FeatureError),
    /// Distilling the feature student failed.
    #[error(transparent)]
    Student(#[from] crate::student::StudentError),
    /// Fitting the model failed.
    #[error("fitting the {model} model")]
    Model {
        /// Model family.
        model: &'static str,
        /// The cause.
        #[source]
        source: BankError,
    },
    /// The edge inspector refused the bundle or failed on an image.
    #[error("edge inspector: {stage}")]
    Inspector {
        /// What was being done.
        stage: String,
        /// The cause.
        #[source]
        source: InspectorError,
    },
    /// Calibration failed.
    #[error("calibrating the thresholds on the held-out good images")]
    Calibrate(#[from] CalibrateError),
    /// Writing or renaming the bundle failed.
    #[error("writing the bundle {path}")]
    Write {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: BundleError,
    },
    /// Renaming the verified bundle into place failed.
    #[error("moving the verified bundle {from} to {to}")]
    Rename {
        /// The verified temporary file (left in place for inspection).
        from: PathBuf,
        /// The destination.
        to: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// The bundle read back from disk scores an image differently from the trainer.
    #[error(
        "parity check failed on held-out image {image}: trainer score {trainer}, edge score \
         {edge} from {bundle} (|difference| {difference:e} > tolerance {tolerance:e}); the \
         unverified bundle is kept there, {out} was not replaced"
    )]
    Parity {
        /// The held-out image.
        image: PathBuf,
        /// The trainer's raw score.
        trainer: f32,
        /// The edge inspector's raw score from the written file.
        edge: f32,
        /// |trainer − edge|.
        difference: f32,
        /// The allowed difference at this score.
        tolerance: f32,
        /// The unverified bundle file.
        bundle: PathBuf,
        /// The destination that was left untouched.
        out: PathBuf,
    },
}

impl FitError {
    pub(crate) fn inspector(stage: impl Into<String>) -> impl FnOnce(InspectorError) -> Self {
        let stage = stage.into();
        move |source| FitError::Inspector { stage, source }
    }
}
