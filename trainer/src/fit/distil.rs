//! `--features student`: distil a plain-convolution feature student from the teacher on
//! the fit images (early stopping on the held-out ones), and hand back an extractor that
//! runs the student, so the rest of the fit (model, calibration, parity, bundle) is the
//! same code whichever network makes the features. `--model student` adds an anomaly
//! student behind it and hands back the pair's map graph instead.

use std::time::Instant;

use super::error::FitError;
use crate::data::{self, Sample};
use crate::features::{FeatureError, FeatureExtractor};
use crate::student::{
    pair_graph, student_graph, train_student_separating, Augment, Separation, StudentArch,
    StudentConfig, TrainedStudent, TrainingSet,
};

/// Mixed into the student seed for the separation set's anomalies, so that they differ
/// from the training copies' anomalies.
const SEPARATION_SEED: u64 = 0x5e9a_7a11;

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
    /// Separation of the kept weights (held-out goods vs their synthetic-anomaly
    /// copies), when they were chosen by it.
    pub separation: Option<Separation>,
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
    let (_, extractor, summary) = feature_student(teacher, fit, held, config, threads, progress)?;
    Ok((extractor, summary))
}

/// The teacher–student pair (`--model student`): a feature student distilled from
/// `teacher` as [`distil_features`] does, then an anomaly student trained on the `fit`
/// images (with `anomaly`'s settings: plain squared error and no synthetic anomalies
/// by default) to follow the *feature student*, so the device runs two
/// compact networks and never the teacher. Returns an extractor for the pair graph,
/// whose one output channel is the anomaly map, and both summaries.
///
/// # Errors
/// Teacher, training or export failures.
pub fn distil_pair(
    teacher: &FeatureExtractor,
    fit: &[&Sample],
    held: &[&Sample],
    (feature, anomaly): (&StudentConfig, &StudentConfig),
    threads: usize,
    progress: bool,
) -> Result<(FeatureExtractor, [StudentSummary; 2]), FitError> {
    let (feature_student, follow, feature_summary) =
        feature_student(teacher, fit, held, feature, threads, progress)?;
    let (anomaly_student, anomaly_summary) = train_one(
        &follow,
        fit,
        held,
        anomaly,
        StudentArch::anomaly_student,
        progress,
    )?;
    let graph = pair_graph(&feature_student, &anomaly_student, input_size(teacher))?;
    Ok((
        FeatureExtractor::from_graph(graph, threads)?,
        [feature_summary, anomaly_summary],
    ))
}

/// Trains the feature student and builds an extractor running it on `threads` workers.
fn feature_student(
    teacher: &FeatureExtractor,
    fit: &[&Sample],
    held: &[&Sample],
    config: &StudentConfig,
    threads: usize,
    progress: bool,
) -> Result<(TrainedStudent, FeatureExtractor, StudentSummary), FitError> {
    let (trained, summary) = train_one(
        teacher,
        fit,
        held,
        config,
        StudentArch::feature_student,
        progress,
    )?;
    let graph = student_graph(&trained, input_size(teacher))?;
    let extractor = FeatureExtractor::from_graph(graph, threads)?;
    Ok((trained, extractor, summary))
}

fn input_size(teacher: &FeatureExtractor) -> (usize, usize) {
    let (w, h) = teacher.input_dims();
    (w as usize, h as usize)
}

/// Trains one student of shape `arch(channels)` to follow `teacher` on `fit` (augmented
/// per `config`), early-stopping on `held`.
fn train_one(
    teacher: &FeatureExtractor,
    fit: &[&Sample],
    held: &[&Sample],
    config: &StudentConfig,
    arch: fn(usize) -> StudentArch,
    progress: bool,
) -> Result<(TrainedStudent, StudentSummary), FitError> {
    let start = Instant::now();
    let train = TrainingSet::build(teacher, fit, loader, config.augment(), None, progress)?;
    let held_set = TrainingSet::build(
        teacher,
        held,
        loader,
        Augment {
            variants: 1,
            ..config.augment()
        },
        Some((&train.mean, &train.std)),
        false,
    )?;
    // An anomaly student is judged by how its error separates defects from good parts:
    // two synthetic-anomaly copies of each held-out image, targets from the same network.
    let anomalous = if config.select_by_separation {
        Some(TrainingSet::anomalous(
            teacher,
            held,
            loader,
            (config.seed ^ SEPARATION_SEED, 2),
            (&train.mean, &train.std),
        )?)
    } else {
        None
    };
    let targets_seconds = start.elapsed().as_secs_f64();
    let arch = arch(train.channels);
    let trained = train_student_separating(
        &arch,
        &train,
        &held_set,
        anomalous.as_ref(),
        config,
        progress,
    )?;
    let summary = StudentSummary {
        arch: arch.describe(),
        steps: trained.steps,
        best_step: trained.best_step,
        held_out_loss: trained.best_loss,
        stopped_early: trained.stopped_early,
        training_images: train.len(),
        separation: trained.separation,
        targets_seconds,
        train_seconds: trained.seconds,
    };
    Ok((trained, summary))
}
