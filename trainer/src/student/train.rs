//! The training loop: Adam on the (hard-feature) squared error between the student's
//! output and the normalised teacher targets, evaluated on held-out good images every
//! `eval_every` steps; the best weights are kept, and training stops early once the
//! held-out loss stops improving.

use std::time::Instant;

use burn::module::Module;
use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
use burn::prelude::*;
use indicatif::{ProgressBar, ProgressStyle};

use super::arch::{host_vec, StudentArch, StudentNet};
use super::batch::{batch_indices, tensors};
use super::checkpoint::{Checkpoints, Separation, TrainState};
use super::config::{StudentConfig, TrainDevice};
use super::data::TrainingSet;
use super::error::StudentError;

/// A trained student, on the host.
#[derive(Debug, Clone)]
pub struct TrainedStudent {
    /// Its shape.
    pub arch: StudentArch,
    /// Per convolution: weights `[out, in, k, k]` and bias, predicting *normalised*
    /// targets (export folds `mean`/`std` back in).
    pub weights: Vec<(Vec<f32>, Vec<f32>)>,
    /// Per-channel target mean (teacher units).
    pub mean: Vec<f32>,
    /// Per-channel target standard deviation (teacher units).
    pub std: Vec<f32>,
    /// Steps run in total (resumed runs included).
    pub steps: usize,
    /// The step whose weights were kept.
    pub best_step: usize,
    /// Held-out loss of the kept weights (normalised units).
    pub best_loss: f32,
    /// `true` when early stopping ended the run before `steps`.
    pub stopped_early: bool,
    /// `(step, train loss, held-out loss)` at every evaluation.
    pub history: Vec<(usize, f32, f32)>,
    /// Separation of the kept weights, when they were chosen by it.
    pub separation: Option<Separation>,
    /// Seconds spent in this call.
    pub seconds: f64,
}

fn device_for(choice: TrainDevice) -> Device {
    match choice {
        TrainDevice::Cpu => Device::flex(),
        TrainDevice::Auto => Device::default(),
    }
}

/// Squared error, or its hard-feature version: the mean of the squared errors at or
/// above their `quantile` (EfficientAD). The threshold is found on the host; gradients
/// flow through the selected errors only.
fn loss(prediction: Tensor<4>, target: Tensor<4>, quantile: f32) -> Tensor<1> {
    let squared = (prediction - target).powi_scalar(2);
    if quantile <= 0.0 {
        return squared.mean();
    }
    let mut values = host_vec(squared.clone().into_data());
    if values.is_empty() {
        return squared.mean();
    }
    let k = ((values.len() - 1) as f32 * quantile) as usize;
    let (_, threshold, _) = values.select_nth_unstable_by(k, f32::total_cmp);
    let threshold = *threshold;
    let keep = squared.clone().greater_equal_elem(threshold).float();
    let count = keep.clone().sum().clamp_min(1.0);
    (squared * keep).sum() / count
}

fn scalar(t: Tensor<1>) -> f32 {
    host_vec(t.into_data()).first().copied().unwrap_or(f32::NAN)
}

/// Runs `net` (plain device, no gradients) over `set` in batches of `batch` images and
/// hands `each` every batch's squared errors `[b, C, h, w]` against the targets.
fn squared_errors(
    net: &StudentNet,
    set: &TrainingSet,
    batch: usize,
    device: &Device,
    mut each: impl FnMut(Tensor<4>),
) {
    let net = net.valid();
    let all: Vec<usize> = (0..set.len()).collect();
    for chunk in all.chunks(batch.max(1)) {
        let (x, t) = tensors(set, chunk, device);
        each((net.forward(x) - t).powi_scalar(2));
    }
}

/// Mean squared error of `net` over `held`.
fn held_out_loss(net: &StudentNet, held: &TrainingSet, batch: usize, device: &Device) -> f32 {
    let mut total = 0.0f64;
    let mut count = 0usize;
    squared_errors(net, held, batch, device, |squared| {
        let images = squared.dims()[0];
        total += f64::from(scalar(squared.mean())) * images as f64;
        count += images;
    });
    (total / count.max(1) as f64) as f32
}

/// Per image of `set`: the largest per-cell squared error of `net` (mean over channels).
fn image_errors(net: &StudentNet, set: &TrainingSet, batch: usize, device: &Device) -> Vec<f32> {
    let cells = set.grid.0 * set.grid.1;
    let mut out = Vec::with_capacity(set.len());
    squared_errors(net, set, batch, device, |squared| {
        let per_cell = host_vec(squared.mean_dim(1).into_data());
        out.extend(
            per_cell
                .chunks_exact(cells.max(1))
                .map(|c| c.iter().copied().fold(f32::MIN, f32::max)),
        );
    });
    out
}

/// How well `net`'s error separates `anomalous` from `good` (see [`Separation`]).
fn separation(
    net: &StudentNet,
    good: &TrainingSet,
    anomalous: &TrainingSet,
    batch: usize,
    device: &Device,
) -> Separation {
    let good = image_errors(net, good, batch, device);
    let mut bad = image_errors(net, anomalous, batch, device);
    let labels: Vec<bool> = good
        .iter()
        .map(|_| false)
        .chain(bad.iter().map(|_| true))
        .collect();
    let scores: Vec<f32> = good.iter().chain(&bad).copied().collect();
    let auroc = crate::metrics::roc_auc(&scores, &labels).map_or(f32::NAN, |a| a as f32);
    let top_good = good.iter().copied().fold(f32::MIN, f32::max);
    bad.sort_by(f32::total_cmp);
    let median = bad.get(bad.len() / 2).copied().unwrap_or(f32::NAN);
    Separation {
        auroc,
        margin: median / top_good.max(f32::MIN_POSITIVE),
    }
}

/// The run's identity for checkpoints: shape, data, settings that change the result. The
/// step budget is left out on purpose: a finished run may be resumed to train longer.
/// The images are fingerprinted exactly (their pixels are the same on every machine);
/// the targets (their absolute sum) only to three significant digits, enough to tell
/// another teacher apart but not float rounding (the edge's depthwise kernel differs
/// from tract's by ~1e-7, so a checkpoint stays resumable on a machine without it).
fn run_id(arch: &StudentArch, train: &TrainingSet, config: &StudentConfig) -> String {
    let pixels = train
        .images
        .iter()
        .fold(0xcbf2_9ce4_8422_2325u64, |h, image| {
            image
                .as_raw()
                .iter()
                .fold(h, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
        });
    let checksum: f64 = train
        .targets
        .iter()
        .map(|t| {
            t.iter()
                .step_by(97)
                .map(|&v| f64::from(v).abs())
                .sum::<f64>()
        })
        .sum();
    format!(
        "{} | {} images {}x{} pixels {pixels:016x} | targets {checksum:.2e} | batch {} lr {} q {} seed {}{}",
        arch.describe(),
        train.len(),
        train.input.1,
        train.input.0,
        config.batch,
        config.learning_rate,
        config.hard_quantile,
        config.seed,
        if config.select_by_separation {
            " | kept by separation"
        } else {
            ""
        }
    )
}

fn progress_bar(config: &StudentConfig, show: bool) -> ProgressBar {
    if !show {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(config.steps as u64);
    if let Ok(style) =
        ProgressStyle::with_template("student {bar:40} {pos}/{len} steps, {msg}, eta {eta}")
    {
        bar.set_style(style);
    }
    bar
}

/// Trains `arch` on `train`, early-stopping on `held` (targets normalised with
/// `train`'s statistics) and keeping the weights of the lowest held-out loss.
///
/// # Errors
/// Bad settings, a grid mismatch, divergence, checkpoint I/O.
pub fn train_student(
    arch: &StudentArch,
    train: &TrainingSet,
    held: &TrainingSet,
    config: &StudentConfig,
    progress: bool,
) -> Result<TrainedStudent, StudentError> {
    train_student_separating(arch, train, held, None, config, progress)
}

/// As [`train_student`]; with `anomalous` (held-out images with synthetic anomalies),
/// the kept weights are those that separate them best from `held` (an anomaly
/// student's purpose), the held-out loss breaking ties; early stopping still follows
/// the held-out loss.
///
/// # Errors
/// Bad settings, a grid mismatch, divergence, checkpoint I/O.
pub fn train_student_separating(
    arch: &StudentArch,
    train: &TrainingSet,
    held: &TrainingSet,
    anomalous: Option<&TrainingSet>,
    config: &StudentConfig,
    progress: bool,
) -> Result<TrainedStudent, StudentError> {
    if let Some((field, problem)) = config.problem() {
        return Err(StudentError::Config { field, problem });
    }
    let (student_h, student_w) = arch.output_size(train.input);
    if (student_h, student_w) != train.grid || arch.output_channels() != train.channels {
        return Err(StudentError::Grid {
            input_w: train.input.1,
            input_h: train.input.0,
            student_w,
            student_h,
            teacher_w: train.grid.1,
            teacher_h: train.grid.0,
        });
    }
    let start = Instant::now();
    let plain = device_for(config.device);
    plain.seed(config.seed);
    let device = plain.clone().autodiff();
    let run = run_id(arch, train, config);
    let mut net = StudentNet::new(arch, &device);
    let mut optimizer: ModuleOptimizer = AdamConfig::new().init();
    let mut best = net.clone();
    let mut state = TrainState {
        run: run.clone(),
        step: 0,
        best_loss: f32::INFINITY,
        best_step: 0,
        stale_evals: 0,
        history: Vec::new(),
        lowest_loss: None,
        best_separation: None,
        separations: Vec::new(),
    };
    let checkpoints = config.checkpoint_dir.as_deref().map(Checkpoints::new);
    if let Some(cp) = checkpoints.as_ref().filter(|c| config.resume && c.exists()) {
        let (n, o, b, s) = cp.load(&run, net, optimizer, best)?;
        (net, optimizer, best, state) = (n, o, b, s);
    }

    let bar = progress_bar(config, progress);
    bar.set_position(state.step as u64);
    let mut recent = Vec::with_capacity(config.eval_every);
    let mut stopped_early = false;
    while state.step < config.steps {
        let indices = batch_indices(train.len(), config.batch, state.step, config.seed);
        let (x, t) = tensors(train, &indices, &device);
        let l = loss(net.forward(x), t, config.hard_quantile);
        let value = scalar(l.clone());
        if !value.is_finite() {
            return Err(StudentError::Diverged {
                step: state.step,
                loss: value,
            });
        }
        let grads = GradientsParams::from_grads(l.backward(), &net);
        net = optimizer.step(config.learning_rate_at(state.step), net, grads);
        state.step += 1;
        recent.push(value);
        bar.inc(1);

        if state.step.is_multiple_of(config.eval_every) || state.step == config.steps {
            let held_loss = held_out_loss(&net, held, config.batch, &plain);
            let train_loss = recent.iter().sum::<f32>() / recent.len().max(1) as f32;
            recent.clear();
            state.history.push((state.step, train_loss, held_loss));
            let lowest = state.lowest_loss.unwrap_or(state.best_loss);
            if held_loss < 0.99 * lowest {
                state.stale_evals = 0;
            } else {
                state.stale_evals += 1;
            }
            state.lowest_loss = Some(lowest.min(held_loss));
            let separated = anomalous.map(|a| separation(&net, held, a, config.batch, &plain));
            let keep = match (separated, state.best_separation) {
                (Some(s), Some(b)) => s.beats(&b) || (s == b && held_loss < state.best_loss),
                (Some(_), None) => true,
                (None, _) => held_loss < state.best_loss,
            };
            if let Some(s) = separated {
                state.separations.push((state.step, s));
            }
            if keep {
                state.best_loss = held_loss;
                state.best_step = state.step;
                state.best_separation = separated;
                best = net.clone();
            }
            bar.set_message(match (separated, state.best_separation) {
                (Some(now), Some(kept)) => format!(
                    "loss {train_loss:.3}, held-out {held_loss:.3}, separation AUROC {:.3} \
                     margin {:.2} (kept step {}: {:.3} / {:.2})",
                    now.auroc, now.margin, state.best_step, kept.auroc, kept.margin
                ),
                _ => format!(
                    "loss {train_loss:.3}, held-out {held_loss:.3} (best {:.3} at {})",
                    state.best_loss, state.best_step
                ),
            });
            if let Some(cp) = &checkpoints {
                cp.save(&net, &optimizer, &best, &state)?;
            }
            if state.stale_evals >= config.patience.max(1) {
                stopped_early = state.step < config.steps;
                break;
            }
        }
    }
    bar.finish_and_clear();
    Ok(TrainedStudent {
        arch: arch.clone(),
        weights: best.valid().weights(),
        mean: train.mean.clone(),
        std: train.std.clone(),
        steps: state.step,
        best_step: state.best_step,
        best_loss: state.best_loss,
        stopped_early,
        history: state.history,
        separation: state.best_separation,
        seconds: start.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::RgbImage;

    fn set(targets: Vec<Vec<f32>>, pixel: u8) -> TrainingSet {
        let mut image = RgbImage::new(8, 8);
        image.put_pixel(3, 4, image::Rgb([pixel, 7, 9]));
        TrainingSet {
            input: (8, 8),
            grid: (2, 2),
            channels: 2,
            images: vec![image; targets.len()],
            targets,
            mean: vec![0.0; 2],
            std: vec![1.0; 2],
        }
    }

    #[test]
    fn a_run_is_the_same_run_across_float_rounding_but_not_across_data() {
        let arch = StudentArch::anomaly_student(2);
        let config = StudentConfig::default();
        let targets: Vec<Vec<f32>> = (0..300)
            .map(|i| (0..8).map(|j| ((i * 8 + j) as f32 * 0.37).sin()).collect())
            .collect();
        let id = run_id(&arch, &set(targets.clone(), 200), &config);
        // What another depthwise kernel changes: the last bits of the targets.
        let rounded: Vec<Vec<f32>> = targets
            .iter()
            .map(|t| t.iter().map(|v| v * (1.0 + 3e-7)).collect())
            .collect();
        assert_eq!(run_id(&arch, &set(rounded, 200), &config), id);
        // Another image, or another teacher's targets, is another run.
        assert_ne!(run_id(&arch, &set(targets.clone(), 201), &config), id);
        let other: Vec<Vec<f32>> = targets
            .iter()
            .map(|t| t.iter().map(|v| v * 1.5).collect())
            .collect();
        assert_ne!(run_id(&arch, &set(other, 200), &config), id);
    }
}
