//! [`Manifest`]: everything the edge needs to know about a bundle besides the payload
//! bytes. Encoded with postcard (not self-describing): any change to these types'
//! fields or order is a format change and bumps [`super::FORMAT_VERSION`].
//!
//! Every list is bounded ([`MAX_METRICS`], [`MAX_EXTRA`]) and decoded without trusting
//! the encoded length for preallocation, so decoding allocates at most the list bounds
//! plus the bytes of the strings themselves.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;
use core::marker::PhantomData;

use serde::de::{Deserializer, Error as _, SeqAccess, Visitor};
use serde::{Deserialize, Serialize};

use crate::score::{ScoreConfig, ScoreStats, Thresholds};

/// Most entries in [`Provenance::metrics`].
pub const MAX_METRICS: usize = 64;
/// Most entries in [`Manifest::extra`].
pub const MAX_EXTRA: usize = 64;
/// Most entries in [`Provenance::datasets`] (a retrain keeps the newest ones).
pub const MAX_DATASETS: usize = 64;

/// Description of a bundle: method, input, preprocessing, score post-processing,
/// thresholds, calibration statistics and provenance.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// Which anomaly-detection method the payloads implement.
    pub model: ModelKind,
    /// Network input tensor size.
    pub input: InputSpec,
    /// Crop and per-channel normalisation applied to camera frames before the network.
    pub preprocess: Preprocess,
    /// Anomaly-map post-processing ([`crate::score`]).
    pub score: ScoreConfig,
    /// Decision thresholds on raw scores.
    pub thresholds: Thresholds,
    /// Raw image-score statistics on held-out good images (for [`crate::score::normalise`]).
    pub score_stats: ScoreStats,
    /// Where the bundle came from.
    pub provenance: Provenance,
    /// Forward-compatible key/value slot (at most [`MAX_EXTRA`] pairs) for settings a
    /// newer trainer adds before they earn a typed field; readers ignore unknown keys.
    /// Keys should be unique; [`Manifest::extra`] returns the first match.
    #[serde(deserialize_with = "extra_bounded")]
    pub extra: Vec<(String, String)>,
}

impl Manifest {
    /// Value of the first [`Manifest::extra`] pair whose key is `key`.
    #[must_use]
    pub fn extra(&self, key: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Anomaly-detection method family; decides which payloads the edge loads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ModelKind {
    /// PatchCore-style: a (quantised) coreset of good patch features; a patch's score is
    /// its nearest-neighbour distance to the bank.
    MemoryBank,
    /// Position-aware bank (FAPM style): a small bank per map location for fixed
    /// fixtures; a patch is compared only with its own location's bank.
    PositionalBank,
    /// PaDiM-style: a multivariate Gaussian per map location; the score is the
    /// Mahalanobis distance.
    Gaussian,
    /// Teacher–student (STPM/EfficientAD family): the score is the per-location squared
    /// difference between student and teacher features.
    Student,
}

/// Network input tensor: `channels × height × width`, values after [`Preprocess`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputSpec {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Channels: 3 (RGB, in that order) or 1 (grey).
    pub channels: u8,
}

/// Frame preprocessing: crop to `roi`, resize to [`InputSpec`], then per channel
/// `value = (pixel − mean[c]) / std[c]` with `pixel` in **[0, 255] units** (the u8 value
/// as f32). Channels are R, G, B; a grey input uses index 0 only.
///
/// Examples: the EfficientNet-Lite teacher's `(x − 127) / 128` is `mean = [127.0; 3]`,
/// `std = [128.0; 3]`; ImageNet statistics are `mean = [123.675, 116.28, 103.53]`,
/// `std = [58.395, 57.12, 57.375]`.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Preprocess {
    /// Region of the camera frame to inspect, in frame pixels; `None` means the whole
    /// frame.
    pub roi: Option<Roi>,
    /// Per-channel mean in [0, 255] units.
    pub mean: [f32; 3],
    /// Per-channel standard deviation in [0, 255] units (non-zero).
    pub std: [f32; 3],
}

/// Axis-aligned rectangle in camera-frame pixels; `(x, y)` is the top-left corner.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roi {
    /// Left edge, pixels from the frame's left.
    pub x: u32,
    /// Top edge, pixels from the frame's top.
    pub y: u32,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// Where a bundle came from, for audits and retraining.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Provenance {
    /// Fingerprint of the training data (lowercase hex SHA-256 by convention).
    pub dataset_fingerprint: String,
    /// Version of the trainer that produced the bundle (e.g. `CARGO_PKG_VERSION`).
    pub trainer_version: String,
    /// Creation time, seconds since the Unix epoch (UTC).
    pub created_unix_s: u64,
    /// Lowercase hex SHA-256 of the bundle file this one was retrained from, if any.
    pub parent_bundle_sha256: Option<String>,
    /// Evaluation metrics at export time (at most [`MAX_METRICS`]).
    #[serde(deserialize_with = "metrics_bounded")]
    pub metrics: Vec<Metric>,
    /// Lineage: every dataset the model has seen, oldest first (a retrained bundle
    /// inherits its parent's list and appends its own; at most [`MAX_DATASETS`]).
    #[serde(deserialize_with = "datasets_bounded")]
    pub datasets: Vec<DatasetSeen>,
    /// The command that created the bundle (e.g. `trainer retrain --bundle old.bundle …`).
    pub created_by: String,
}

/// One dataset a bundle was trained on, for lineage.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DatasetSeen {
    /// The path as the user gave it on the command line.
    pub path: String,
    /// Images of it the model was fitted or calibrated on.
    pub images: u64,
    /// Lowercase hex SHA-256 over its files (the trainer's dataset fingerprint).
    pub fingerprint: String,
}

/// One named evaluation metric, e.g. `image_auroc = 0.998`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Metric name, snake_case, units in the name (`latency_ms_p99`).
    pub name: String,
    /// Value in the units the name states.
    pub value: f32,
}

fn metrics_bounded<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Metric>, D::Error> {
    d.deserialize_seq(BoundedVec::<Metric>::new(MAX_METRICS))
}

fn datasets_bounded<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<DatasetSeen>, D::Error> {
    d.deserialize_seq(BoundedVec::<DatasetSeen>::new(MAX_DATASETS))
}

pub(super) fn extra_bounded<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Vec<(String, String)>, D::Error> {
    d.deserialize_seq(BoundedVec::<(String, String)>::new(MAX_EXTRA))
}

/// Sequence visitor that refuses more than `max` elements and preallocates at most
/// `min(size hint, max)` (serde's own `Vec` visitor would preallocate up to 1 MiB on a
/// forged length).
struct BoundedVec<T> {
    max: usize,
    _element: PhantomData<T>,
}

impl<T> BoundedVec<T> {
    fn new(max: usize) -> Self {
        Self {
            max,
            _element: PhantomData,
        }
    }
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for BoundedVec<T> {
    type Value = Vec<T>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a sequence of at most {} elements", self.max)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
        let hint = seq.size_hint().unwrap_or(0);
        if hint > self.max {
            return Err(A::Error::invalid_length(hint, &self));
        }
        let mut items = Vec::with_capacity(hint);
        while let Some(item) = seq.next_element()? {
            if items.len() == self.max {
                return Err(A::Error::invalid_length(self.max + 1, &self));
            }
            items.push(item);
        }
        Ok(items)
    }
}
