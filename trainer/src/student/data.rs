//! What the student learns from: images at the network's input size (some augmented),
//! the teacher's features of exactly those pixels, normalised per channel.
//!
//! Augmented copies matter more than their number suggests: the student must follow the
//! teacher on *anomalous* parts too, or a memory bank over its features would see a
//! defect as a normal patch. So besides flips and brightness/contrast jitter, a share of
//! the copies carry a synthetic anomaly (CutPaste, DRAEM blobs, scratches: the same
//! painters calibration uses).

use image::{imageops, RgbImage};
use rayon::prelude::*;

use crate::calibrate::{synthesize, AnomalyKind};
use crate::features::preprocess::TEACHER_NORMALISATION;
use crate::features::{FeatureError, FeatureExtractor};
use crate::synth::rng::Rng;

/// Images and normalised teacher targets, ready for batching.
#[derive(Debug, Clone)]
pub struct TrainingSet {
    /// Input `(height, width)` in pixels.
    pub input: (usize, usize),
    /// Target grid `(height, width)` in cells.
    pub grid: (usize, usize),
    /// Target channels.
    pub channels: usize,
    /// Images at the input size, RGB8 (normalised when batched; a quarter of the memory).
    pub images: Vec<RgbImage>,
    /// Per image: `channels × h × w` normalised targets (CHW, row-major).
    pub targets: Vec<Vec<f32>>,
    /// Per-channel target mean (in teacher units).
    pub mean: Vec<f32>,
    /// Per-channel target standard deviation (in teacher units, ≥ a floor).
    pub std: Vec<f32>,
}

/// The network input of an RGB8 image already at the input size: `(x − mean) / std`,
/// planes R, G, B, appended to `out`. The teacher normalisation, as the edge applies it.
pub fn push_normalised(image: &RgbImage, out: &mut Vec<f32>) {
    let p = TEACHER_NORMALISATION;
    for c in 0..3 {
        out.extend(
            image
                .pixels()
                .map(|px| (f32::from(px.0[c]) - p.mean[c]) / p.std[c]),
        );
    }
}

/// What the synthetic-anomaly copies teach.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SyntheticAnomalies {
    /// No anomaly copies.
    Off,
    /// Follow the network on the anomalous copy: a feature student must reproduce the
    /// teacher on defects too.
    Follow,
    /// Output what the network gives for the copy *before* the anomaly was painted: an
    /// anomaly student learns to "restore" defects to good-part features, so it departs
    /// from the feature student exactly where a part is defective (DeSTSeg's denoising
    /// student).
    Restore,
}

/// Which copies [`augmented`] makes of each image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Augment {
    /// Copies per image, the image itself included (≥ 1).
    pub variants: usize,
    /// Seed of the flips, jitter and anomalies.
    pub seed: u64,
    /// Every other copy carries a synthetic anomaly, unless `Off`.
    pub anomalies: SyntheticAnomalies,
}

/// Whether copy `v` of an image (0: the image itself) carries a synthetic anomaly under
/// `augment`: every other augmented copy, unless anomalies are off.
#[must_use]
pub fn carries_anomaly(augment: Augment, v: usize) -> bool {
    augment.anomalies != SyntheticAnomalies::Off && v > 0 && v.is_multiple_of(2)
}

/// Augmented copies of one image at the input size, each as (network input, image the
/// target is computed from): the image itself, then `variants − 1` copies, each flipped
/// and jittered with probability ½, every other one also carrying a synthetic anomaly
/// unless `augment.anomalies` is `Off` (its target image is the copy without it under
/// `Restore`, the copy itself otherwise).
#[must_use]
pub fn augmented(image: &RgbImage, augment: Augment, index: usize) -> Vec<(RgbImage, RgbImage)> {
    let mut out = vec![(image.clone(), image.clone())];
    for v in 1..augment.variants {
        let mut rng = Rng::new(&[augment.seed, index as u64, v as u64, 0x5757]);
        let mut copy = image.clone();
        if rng.chance(0.5) {
            copy = imageops::flip_horizontal(&copy);
        }
        if rng.chance(0.5) {
            copy = imageops::flip_vertical(&copy);
        }
        if rng.chance(0.5) {
            let gain = rng.range(0.8, 1.2);
            let offset = rng.range(-20.0, 20.0);
            for px in copy.pixels_mut() {
                for c in &mut px.0 {
                    *c = (f32::from(*c) * gain + offset).round().clamp(0.0, 255.0) as u8;
                }
            }
        }
        let target = copy.clone();
        if carries_anomaly(augment, v) {
            let kind = AnomalyKind::ALL[rng.below(AnomalyKind::ALL.len())];
            copy = synthesize(&copy, kind, &mut rng).0;
        }
        match augment.anomalies {
            SyntheticAnomalies::Restore => out.push((copy, target)),
            _ => out.push((copy.clone(), copy)),
        }
    }
    out
}

impl TrainingSet {
    /// Loads `items`, resizes them to the extractor's input, adds `augment.variants − 1`
    /// augmented copies of each, and runs the teacher on every copy (on the extractor's
    /// workers; the "teacher" is whatever network the student must follow). Targets are
    /// normalised with `stats` (`(mean, std)`, e.g. the training set's for a held-out
    /// set) or with their own statistics.
    ///
    /// # Errors
    /// A teacher failure, or no image.
    pub fn build<T, F>(
        teacher: &FeatureExtractor,
        items: &[T],
        load: F,
        augment: Augment,
        stats: Option<(&[f32], &[f32])>,
        progress: bool,
    ) -> Result<Self, FeatureError>
    where
        T: Sync,
        F: Fn(&T) -> Result<RgbImage, FeatureError> + Sync,
    {
        if items.is_empty() {
            return Err(FeatureError::Invalid(
                "student training needs at least one image".into(),
            ));
        }
        let (w, h) = teacher.input_dims();
        // Loaded and shrunk in parallel: full-size photos of a whole category would not
        // all fit in memory.
        let (copies, sources): (Vec<RgbImage>, Vec<RgbImage>) = items
            .par_iter()
            .enumerate()
            .map(|(i, item)| {
                let resized = imageops::resize(&load(item)?, w, h, edge::preprocess::RESIZE_FILTER);
                let augment = Augment {
                    variants: augment.variants.max(1),
                    ..augment
                };
                Ok(augmented(&resized, augment, i))
            })
            .collect::<Result<Vec<_>, FeatureError>>()?
            .into_iter()
            .flatten()
            .unzip();
        // The copies are at the input size already: the teacher's preprocessing only
        // normalises them (a test checks it equals `push_normalised`), so teacher and
        // student see the same numbers.
        let features = teacher.extract_images(&sources, progress)?;
        drop(sources);
        let (channels, gh, gw) = teacher.output_shape();
        let cells = gh * gw;
        let mut targets: Vec<Vec<f32>> = features
            .into_iter()
            .map(|f| {
                // Patch-major (HWC) → CHW.
                let mut chw = vec![0.0; channels * cells];
                for (p, patch) in f.data.chunks_exact(channels).enumerate() {
                    for (c, &v) in patch.iter().enumerate() {
                        chw[c * cells + p] = v;
                    }
                }
                chw
            })
            .collect();
        let (mean, std) = match stats {
            Some((mean, std)) if mean.len() == channels && std.len() == channels => {
                (mean.to_vec(), std.to_vec())
            }
            _ => channel_stats(&targets, channels, cells),
        };
        for t in &mut targets {
            for c in 0..channels {
                for v in &mut t[c * cells..(c + 1) * cells] {
                    *v = (*v - mean[c]) / std[c];
                }
            }
        }
        Ok(TrainingSet {
            input: (h as usize, w as usize),
            grid: (gh, gw),
            channels,
            images: copies,
            targets,
            mean,
            std,
        })
    }

    /// Held-out images with synthetic anomalies, for telling how well a student separates
    /// defects from good parts: `per_image` anomalous copies of each of `items` (flipped
    /// and jittered like training copies), each with `teacher`'s output on it as target,
    /// normalised with `stats`.
    ///
    /// # Errors
    /// As [`TrainingSet::build`].
    pub fn anomalous<T, F>(
        teacher: &FeatureExtractor,
        items: &[T],
        load: F,
        (seed, per_image): (u64, usize),
        stats: (&[f32], &[f32]),
    ) -> Result<Self, FeatureError>
    where
        T: Sync,
        F: Fn(&T) -> Result<RgbImage, FeatureError> + Sync,
    {
        let augment = Augment {
            variants: 2 * per_image.max(1) + 1,
            seed,
            anomalies: SyntheticAnomalies::Follow,
        };
        let mut set = TrainingSet::build(teacher, items, load, augment, Some(stats), false)?;
        let keep: Vec<bool> = (0..set.len())
            .map(|i| carries_anomaly(augment, i % augment.variants))
            .collect();
        let mut flags = keep.iter();
        set.images.retain(|_| *flags.next().unwrap_or(&false));
        let mut flags = keep.iter();
        set.targets.retain(|_| *flags.next().unwrap_or(&false));
        Ok(set)
    }

    /// Number of training images (augmented copies included).
    #[must_use]
    pub fn len(&self) -> usize {
        self.images.len()
    }

    /// `true` when there is no image.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.images.is_empty()
    }
}

/// Smallest standard deviation a channel is divided by: dead teacher channels (ReLU6
/// outputs that never fire on this product) would otherwise blow up.
const STD_FLOOR: f32 = 1e-3;

fn channel_stats(targets: &[Vec<f32>], channels: usize, cells: usize) -> (Vec<f32>, Vec<f32>) {
    let n = (targets.len() * cells).max(1) as f64;
    let mut mean = vec![0.0f32; channels];
    let mut std = vec![0.0f32; channels];
    for c in 0..channels {
        let (mut s, mut s2) = (0.0f64, 0.0f64);
        for t in targets {
            for &v in &t[c * cells..(c + 1) * cells] {
                s += f64::from(v);
                s2 += f64::from(v) * f64::from(v);
            }
        }
        let m = s / n;
        mean[c] = m as f32;
        std[c] = ((s2 / n - m * m).max(0.0).sqrt() as f32).max(STD_FLOOR);
    }
    (mean, std)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn augmented_copies_are_deterministic_and_the_first_is_the_image() {
        let mut image = RgbImage::new(48, 40);
        for (x, y, px) in image.enumerate_pixels_mut() {
            px.0 = [(x * 5) as u8, (y * 6) as u8, 90];
        }
        let augment = Augment {
            variants: 4,
            seed: 7,
            anomalies: SyntheticAnomalies::Follow,
        };
        let a = augmented(&image, augment, 3);
        let b = augmented(&image, augment, 3);
        assert_eq!(a.len(), 4);
        assert_eq!(a, b);
        assert_eq!(a[0], (image.clone(), image.clone()));
        assert!(a[1..].iter().any(|(c, _)| c != &image));
        assert!(a.iter().all(|(c, _)| c.dimensions() == (48, 40)));
        // Following: every target image is the input itself.
        assert!(a.iter().all(|(c, t)| c == t));
        // Without anomalies the copies differ from those with (copy 2 carried one).
        let with = |anomalies| {
            augmented(
                &image,
                Augment {
                    anomalies,
                    ..augment
                },
                3,
            )
        };
        let plain = with(SyntheticAnomalies::Off);
        assert_eq!(plain[1], a[1]);
        assert_ne!(plain[2].0, a[2].0);
        // Restoring: the same inputs, but the anomalous copy's target is the clean copy.
        let restore = with(SyntheticAnomalies::Restore);
        assert_eq!(restore[2].0, a[2].0);
        assert_eq!(restore[2].1, plain[2].0);
        assert_eq!(restore[1], a[1]);
    }

    #[test]
    fn every_other_copy_and_only_those_carry_an_anomaly() {
        let augment = Augment {
            variants: 5,
            seed: 1,
            anomalies: SyntheticAnomalies::Follow,
        };
        let flags: Vec<bool> = (0..5).map(|v| carries_anomaly(augment, v)).collect();
        assert_eq!(flags, [false, false, true, false, true]);
        let off = Augment {
            anomalies: SyntheticAnomalies::Off,
            ..augment
        };
        assert!((0..5).all(|v| !carries_anomaly(off, v)));
    }

    #[test]
    fn normalising_at_the_input_size_is_the_edge_preprocessing() {
        let mut image = RgbImage::new(40, 24);
        for (x, y, px) in image.enumerate_pixels_mut() {
            px.0 = [(x * 6) as u8, (y * 9) as u8, ((x * y) % 256) as u8];
        }
        let input = crate::features::preprocess::teacher_input_sized(40, 24);
        let edge = edge::preprocess::preprocess(&image, input, &TEACHER_NORMALISATION).unwrap();
        let mut ours = Vec::new();
        push_normalised(&image, &mut ours);
        assert_eq!(edge, ours);
    }

    #[test]
    fn stats_normalise_each_channel() {
        let targets = vec![vec![1.0, 3.0, 10.0, 10.0], vec![1.0, 3.0, 10.0, 10.0]];
        let (mean, std) = channel_stats(&targets, 2, 2);
        assert_eq!(mean, vec![2.0, 10.0]);
        assert!((std[0] - 1.0).abs() < 1e-6);
        assert_eq!(std[1], STD_FLOOR);
    }
}
