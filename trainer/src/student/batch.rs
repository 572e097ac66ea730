//! Batches for the student: whole images (the student is small enough that crops, whose
//! borders would need masking against the teacher's wide receptive field, buy little),
//! drawn without replacement within an epoch by a seeded shuffle, so a resumed run draws
//! exactly the batches an uninterrupted one would.

use burn::prelude::*;
use burn::tensor::TensorData;

use super::data::{push_normalised, TrainingSet};
use crate::bank::SeededRng;

/// The images of batch number `step`: epoch `e = step · batch / n` is a shuffle of all
/// `n` images seeded by `(seed, e)`, and the batch is the next `batch` of it (wrapping
/// into the following epoch). A pure function of its arguments.
#[must_use]
pub fn batch_indices(n: usize, batch: usize, step: usize, seed: u64) -> Vec<usize> {
    let mut out = Vec::with_capacity(batch);
    let first = step * batch;
    let mut epoch = usize::MAX;
    let mut order = Vec::new();
    for k in first..first + batch {
        if k / n != epoch {
            epoch = k / n;
            order = shuffled(n, seed, epoch as u64);
        }
        out.push(order[k % n]);
    }
    out
}

fn shuffled(n: usize, seed: u64, epoch: u64) -> Vec<usize> {
    let mut rng = SeededRng::derived(seed ^ 0x5EED_57D7, epoch);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        order.swap(i, rng.below(i + 1));
    }
    order
}

/// Inputs `[b, 3, H, W]` and targets `[b, C, h, w]` of the images `indices`, on `device`.
#[must_use]
pub fn tensors(set: &TrainingSet, indices: &[usize], device: &Device) -> (Tensor<4>, Tensor<4>) {
    let (h, w) = set.input;
    let (gh, gw) = set.grid;
    let b = indices.len();
    let mut inputs = Vec::with_capacity(b * 3 * h * w);
    let mut targets = Vec::with_capacity(b * set.channels * gh * gw);
    for &i in indices {
        push_normalised(&set.images[i], &mut inputs);
        targets.extend_from_slice(&set.targets[i]);
    }
    (
        Tensor::from_data(TensorData::new(inputs, [b, 3, h, w]), device),
        Tensor::from_data(TensorData::new(targets, [b, set.channels, gh, gw]), device),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_epoch_visits_every_image_once() {
        let n = 10;
        let mut seen: Vec<usize> = (0..5).flat_map(|s| batch_indices(n, 4, s, 3)).collect();
        assert_eq!(seen.len(), 20);
        let (first, second) = seen.split_at_mut(n);
        first.sort_unstable();
        second.sort_unstable();
        assert_eq!(first, (0..n).collect::<Vec<_>>());
        assert_eq!(second, (0..n).collect::<Vec<_>>());
        assert_eq!(batch_indices(n, 4, 3, 3), batch_indices(n, 4, 3, 3));
        assert_ne!(batch_indices(n, 4, 0, 3), batch_indices(n, 4, 0, 4));
    }
}
