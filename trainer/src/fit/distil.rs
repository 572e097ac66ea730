//! `--features student`: distil a plain-convolution feature student from the teacher on
//! the fit images (early stopping on the held-out ones), and hand back an extractor that
//! runs the student, so the rest of the fit (model, calibration, parity, bundle) is the
//! same code whichever network makes the features.

use std::time::Instant;

use super::error::FitError;
use crate::data::{self, Sample};
use crate::features::{FeatureError, FeatureExtractor};
use crate::student::{student_graph, train_student, StudentArch, StudentConfig, TrainingSet};

/// What distilling produced, for the summary and the manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct StudentSummary {
    /// Layer shapes.
    pub arch: String,
    /// Steps run.
    pub steps: usize,
    /// Step of the kept weights.
    pub best_step: usize,
    /// Held-out loss of the kept weights (mean squared error on normalised features).
    pub held_out_loss: f32,
    /// Whether early stopping ended the run.
    pub stopped_early: bool,
    /// Training images including augmented copies.
    pub training_images: usize,
    /// Seconds computing teacher targets.
    pub targets_seconds: f64,
    /// Seconds training.
    pub train_seconds: f64,
}

fn loader(s: &&Sample) -> Result<image::RgbImage, FeatureError> {
    data::load_rgb(&s.path).map_err(|e| FeatureError::Image {
        item: s.path.display().to_string(),
        message: e.to_string(),
    })
}

/// Trains the student on `fit` with teacher targets, early-stopping on `held`; returns
/// an extractor running the student on `threads` workers.
///
/// # Errors
/// Teacher, training or export failures.
pub fn distil_features(
    teacher: &FeatureExtractor,
    fit: &[&Sample],
    held: &[&Sample],
    config: &StudentConfig,
    threads: usize,
    progress: bool,
) -> Result<(FeatureExtractor, StudentSummary), FitError> {
    let start = Instant::now();
    let train = TrainingSet::build(
        teacher,
        fit,
        loader,
        config.variants,
        config.seed,
        None,
        progress,
    )?;
    let held_set = TrainingSet::build(
        teacher,
        held,
        loader,
        1,
        config.seed,
        Some((&train.mean, &train.std)),
        false,
    )?;
    let targets_seconds = start.elapsed().as_secs_f64();
    let arch = StudentArch::feature_student(train.channels);
    let trained = train_student(&arch, &train, &held_set, config, progress)?;
    let (w, h) = teacher.input_dims();
    let graph = student_graph(&trained, (w as usize, h as usize))?;
    let extractor = FeatureExtractor::from_graph(graph, threads)?;
    Ok((
        extractor,
        StudentSummary {
            arch: arch.describe(),
            steps: trained.steps,
            best_step: trained.best_step,
            held_out_loss: trained.best_loss,
            stopped_early: trained.stopped_early,
            training_images: train.len(),
            targets_seconds,
            train_seconds: trained.seconds,
        },
    ))
}
