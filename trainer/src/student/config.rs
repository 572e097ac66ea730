//! How a student is trained.

use super::data::SyntheticAnomalies;
use std::path::PathBuf;

/// Where training runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TrainDevice {
    /// The pure-Rust CPU backend (burn's `flex`), all cores.
    Cpu,
    /// burn's default device: a GPU when the trainer was built with `cuda` or `wgpu`,
    /// else the CPU.
    Auto,
}

/// Training settings.
#[derive(Debug, Clone, PartialEq)]
pub struct StudentConfig {
    /// Most optimiser steps (early stopping may end sooner).
    pub steps: usize,
    /// Images per step.
    pub batch: usize,
    /// Adam's peak learning rate; cosine decay to 5 % of it over `steps`.
    pub learning_rate: f64,
    /// Copies per training image: the image plus `variants − 1` augmented ones.
    pub variants: usize,
    /// EfficientAD's hard-feature loss: only squared errors at or above this quantile of
    /// the batch count (0: plain mean squared error, what both students here use by
    /// default; 0.999 is EfficientAD's setting for an anomaly student, which it trains
    /// for 70,000 steps).
    pub hard_quantile: f32,
    /// What every other augmented copy's synthetic anomaly teaches (feature students:
    /// follow; anomaly students: off by default, or restore; see [`SyntheticAnomalies`]).
    pub synthetic_anomalies: SyntheticAnomalies,
    /// Keep the weights that best separate held-out goods from the same images with
    /// synthetic anomalies (an anomaly student), rather than those of the lowest
    /// held-out loss (a feature student).
    pub select_by_separation: bool,
    /// Steps between held-out evaluations (and checkpoints).
    pub eval_every: usize,
    /// Evaluations without a 1 % improvement of the held-out loss before stopping.
    pub patience: usize,
    /// Folder for checkpoints (`last.bpk`, `optimizer.bpk`, `best.bpk`, `state.json`);
    /// `None`: no checkpoints.
    pub checkpoint_dir: Option<PathBuf>,
    /// Continue from the checkpoint in `checkpoint_dir` when there is one.
    pub resume: bool,
    /// Where to train.
    pub device: TrainDevice,
    /// Seed of the initial weights, augmentations and batch order.
    pub seed: u64,
}

impl Default for StudentConfig {
    fn default() -> Self {
        StudentConfig {
            steps: 1000,
            batch: 4,
            learning_rate: 2e-3,
            variants: 3,
            hard_quantile: 0.0,
            synthetic_anomalies: SyntheticAnomalies::Follow,
            select_by_separation: false,
            eval_every: 50,
            patience: 6,
            checkpoint_dir: None,
            resume: false,
            device: TrainDevice::Cpu,
            seed: 0,
        }
    }
}

impl StudentConfig {
    /// The first setting out of range, as `(field, problem)`.
    #[must_use]
    pub fn problem(&self) -> Option<(&'static str, String)> {
        if self.steps == 0 {
            return Some(("student-steps", "0: use at least 1".into()));
        }
        if self.batch == 0 {
            return Some(("student-batch", "0: use at least 1".into()));
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return Some((
                "student-lr",
                format!("{}: use a positive number", self.learning_rate),
            ));
        }
        if !(0.0..1.0).contains(&self.hard_quantile) {
            return Some((
                "student-hard-quantile",
                format!("{}: use a value in [0, 1)", self.hard_quantile),
            ));
        }
        if self.eval_every == 0 {
            return Some(("student-eval-every", "0: use at least 1".into()));
        }
        if self.variants == 0 {
            return Some(("student-variants", "0: use at least 1".into()));
        }
        if self.resume && self.checkpoint_dir.is_none() {
            return Some((
                "resume",
                "needs a checkpoint folder (--student-checkpoints)".into(),
            ));
        }
        None
    }

    /// The augmentation these settings ask for.
    #[must_use]
    pub fn augment(&self) -> super::data::Augment {
        super::data::Augment {
            variants: self.variants,
            seed: self.seed,
            anomalies: self.synthetic_anomalies,
        }
    }

    /// The learning rate at `step`: cosine from the peak down to 5 % of it.
    #[must_use]
    pub fn learning_rate_at(&self, step: usize) -> f64 {
        let t = step as f64 / self.steps.max(1) as f64;
        let floor = 0.05;
        self.learning_rate
            * (floor + (1.0 - floor) * 0.5 * (1.0 + (std::f64::consts::PI * t).cos()))
    }
}
