//! Ranking shared by every metric: scores packed with a small payload into `u64` keys that
//! sort by descending score, and a sweep over groups of tied scores.
//!
//! Always holds: ties are exact f32 equality (with `-0.0 == 0.0`), a tie group is one
//! threshold, and groups come out from the highest score to the lowest. One sort,
//! O(n log n); no copy of the inputs beyond the one key per sample.

use rayon::slice::ParallelSliceMut;

use super::MetricError;

/// Order-preserving map of a non-NaN f32 to a u32 that sorts *descending* by score.
///
/// `-0.0` is folded onto `0.0` so the two tie, as they do under `==` (and in numpy).
pub(crate) fn descending_key(score: f32) -> u32 {
    let score = if score == 0.0 { 0.0 } else { score };
    let bits = score.to_bits();
    let ascending = if bits & 0x8000_0000 != 0 {
        !bits
    } else {
        bits | 0x8000_0000
    };
    !ascending
}

/// Inverse of [`descending_key`] (returns `0.0` for a `-0.0` input).
pub(crate) fn score_of_key(key: u32) -> f32 {
    let ascending = !key;
    let bits = if ascending & 0x8000_0000 != 0 {
        ascending & 0x7fff_ffff
    } else {
        !ascending
    };
    f32::from_bits(bits)
}

/// Packs a score and a 32-bit payload into one sortable key.
pub(crate) fn pack(score: f32, payload: u32) -> u64 {
    (u64::from(descending_key(score)) << 32) | u64::from(payload)
}

/// The payload packed by [`pack`].
pub(crate) fn payload(key: u64) -> u32 {
    // Truncation keeps exactly the low 32 bits, which is the payload.
    key as u32
}

/// Sorts keys so that scores descend; payload order within a tie is irrelevant.
pub(crate) fn sort_keys(keys: &mut [u64]) {
    keys.par_sort_unstable();
}

/// Iterator over groups of equal scores in sorted keys: `(threshold, keys of the group)`.
pub(crate) struct TieGroups<'a> {
    rest: &'a [u64],
}

impl<'a> TieGroups<'a> {
    /// Groups `sorted` keys (as sorted by [`sort_keys`]).
    pub(crate) fn new(sorted: &'a [u64]) -> Self {
        Self { rest: sorted }
    }
}

impl<'a> Iterator for TieGroups<'a> {
    type Item = (f32, &'a [u64]);

    fn next(&mut self) -> Option<Self::Item> {
        let score_key = *self.rest.first()? >> 32;
        // Keys are sorted, so the group is a prefix; a linear scan keeps the whole sweep O(n).
        let len = self
            .rest
            .iter()
            .position(|&k| k >> 32 != score_key)
            .unwrap_or(self.rest.len());
        let (group, rest) = self.rest.split_at(len);
        self.rest = rest;
        // The shift leaves exactly 32 significant bits.
        Some((score_of_key(score_key as u32), group))
    }
}

/// Binary-labelled samples ranked by descending score, ready for threshold sweeps.
///
/// Payload 1 = anomalous (positive), 0 = normal (negative). Construction checks lengths,
/// NaN and that both classes are present.
pub(crate) struct RankedLabels {
    keys: Vec<u64>,
    positives: u64,
    negatives: u64,
}

/// One point of a threshold sweep: counts of samples with `score >= threshold`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SweepPoint {
    /// A distinct score; points come in descending threshold order.
    pub threshold: f32,
    /// Anomalous samples with `score >= threshold` (true positives).
    pub tp: u64,
    /// Normal samples with `score >= threshold` (false positives).
    pub fp: u64,
}

impl RankedLabels {
    /// Ranks one flat list of scores with their labels.
    pub(crate) fn from_slices(scores: &[f32], labels: &[bool]) -> Result<Self, MetricError> {
        if scores.len() != labels.len() {
            return Err(MetricError::LengthMismatch {
                scores: scores.len(),
                labels: labels.len(),
            });
        }
        if let Some(index) = scores.iter().position(|s| s.is_nan()) {
            return Err(MetricError::NanScore { index });
        }
        let keys = scores
            .iter()
            .zip(labels)
            .map(|(&s, &l)| pack(s, u32::from(l)))
            .collect();
        Self::finish(keys, labels.iter().filter(|&&l| l).count())
    }

    /// Ranks all pixels of all images, flattened (maps and masks row-major, same lengths).
    pub(crate) fn from_images(maps: &[&[f32]], masks: &[&[bool]]) -> Result<Self, MetricError> {
        if maps.len() != masks.len() {
            return Err(MetricError::ImageCountMismatch {
                maps: maps.len(),
                masks: masks.len(),
                sizes: 0,
            });
        }
        let mut total = 0;
        for (image, (map, mask)) in maps.iter().zip(masks).enumerate() {
            if map.len() != mask.len() {
                return Err(MetricError::ImageSizeMismatch {
                    image,
                    map_len: map.len(),
                    mask_len: mask.len(),
                    expected: map.len(),
                });
            }
            if let Some(pixel) = map.iter().position(|s| s.is_nan()) {
                return Err(MetricError::NanPixel { image, pixel });
            }
            total += map.len();
        }
        let mut keys = Vec::with_capacity(total);
        let mut positives = 0;
        for (map, mask) in maps.iter().zip(masks) {
            positives += mask.iter().filter(|&&l| l).count();
            keys.extend(
                map.iter()
                    .zip(mask.iter())
                    .map(|(&s, &l)| pack(s, u32::from(l))),
            );
        }
        Self::finish(keys, positives)
    }

    fn finish(mut keys: Vec<u64>, positives: usize) -> Result<Self, MetricError> {
        let negatives = keys.len() - positives;
        if positives == 0 || negatives == 0 {
            return Err(MetricError::SingleClass {
                anomalous: positives,
                normal: negatives,
            });
        }
        sort_keys(&mut keys);
        Ok(Self {
            keys,
            positives: positives as u64,
            negatives: negatives as u64,
        })
    }

    /// Number of anomalous samples (> 0).
    pub(crate) fn positives(&self) -> u64 {
        self.positives
    }

    /// Number of normal samples (> 0).
    pub(crate) fn negatives(&self) -> u64 {
        self.negatives
    }

    /// One point per distinct score, from the highest score down; the last point has
    /// `tp == positives()` and `fp == negatives()`.
    pub(crate) fn sweep(&self) -> impl Iterator<Item = SweepPoint> + '_ {
        let (mut tp, mut fp) = (0u64, 0u64);
        TieGroups::new(&self.keys).map(move |(threshold, group)| {
            let group_tp = group.iter().filter(|&&k| payload(k) == 1).count() as u64;
            tp += group_tp;
            fp += group.len() as u64 - group_tp;
            SweepPoint { threshold, tp, fp }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sort_descending_and_round_trip() {
        let scores = [
            f32::NEG_INFINITY,
            -3.5,
            -1e-30,
            0.0,
            1e-30,
            0.25,
            7.0,
            f32::INFINITY,
        ];
        let keys: Vec<u32> = scores.iter().map(|&s| descending_key(s)).collect();
        assert!(keys.windows(2).all(|w| w[0] > w[1]), "keys must descend");
        for &s in &scores {
            assert_eq!(score_of_key(descending_key(s)), s);
        }
    }

    #[test]
    fn negative_zero_ties_with_zero() {
        assert_eq!(descending_key(-0.0), descending_key(0.0));
    }

    #[test]
    fn sweep_groups_ties_into_one_point() {
        let ranked =
            RankedLabels::from_slices(&[0.5, 0.9, 0.5, 0.1], &[true, false, false, true]).unwrap();
        let points: Vec<_> = ranked.sweep().collect();
        assert_eq!(
            points,
            vec![
                SweepPoint {
                    threshold: 0.9,
                    tp: 0,
                    fp: 1
                },
                SweepPoint {
                    threshold: 0.5,
                    tp: 1,
                    fp: 2
                },
                SweepPoint {
                    threshold: 0.1,
                    tp: 2,
                    fp: 2
                },
            ]
        );
    }

    #[test]
    fn rejects_bad_inputs() {
        assert_eq!(
            RankedLabels::from_slices(&[1.0], &[true, false]).err(),
            Some(MetricError::LengthMismatch {
                scores: 1,
                labels: 2
            })
        );
        assert_eq!(
            RankedLabels::from_slices(&[1.0, f32::NAN], &[true, false]).err(),
            Some(MetricError::NanScore { index: 1 })
        );
        assert_eq!(
            RankedLabels::from_slices(&[1.0, 2.0], &[true, true]).err(),
            Some(MetricError::SingleClass {
                anomalous: 2,
                normal: 0
            })
        );
        assert_eq!(
            RankedLabels::from_slices(&[], &[]).err(),
            Some(MetricError::SingleClass {
                anomalous: 0,
                normal: 0
            })
        );
        let map: &[f32] = &[0.0, f32::NAN];
        assert_eq!(
            RankedLabels::from_images(&[&[0.0, 1.0], map], &[&[true, false], &[false, false]])
                .err(),
            Some(MetricError::NanPixel { image: 1, pixel: 1 })
        );
    }
}
