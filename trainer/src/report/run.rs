//! The input of a report: one record per test image plus the bundle's facts, filled by the
//! caller (`trainer eval`, the demo, tests). Nothing here reads files.

use std::path::PathBuf;

/// One scored test image.
///
/// `heatmap` and `mask` are row-major at `width × height`: the image's own size or the
/// network input size, whichever the caller scored at (the caller resizes the mask).
#[derive(Debug, Clone, PartialEq)]
pub struct ImageRecord {
    /// The test image file (read again only to draw its overlay).
    pub path: PathBuf,
    /// Defect type (`"good"` for defect-free images), e.g. the MVTec test sub-folder.
    pub defect: String,
    /// Ground truth: `true` = defective.
    pub anomalous: bool,
    /// Raw image score, in the bundle's score units; higher = more anomalous.
    pub score: f32,
    /// The same score normalised by the bundle's score statistics (reported only).
    pub normalised: f32,
    /// Pixel scores, raw units, `width * height` values, row-major.
    pub heatmap: Vec<f32>,
    /// Heat map width, in pixels.
    pub width: u32,
    /// Heat map height, in pixels.
    pub height: u32,
    /// Ground-truth mask at the heat map's size (`true` = defect pixel); `None` when the
    /// dataset has no mask for this image (plain folders, good images).
    pub mask: Option<Vec<bool>>,
    /// Frame → score latency of this image, in milliseconds.
    pub latency_ms: f64,
}

/// A bundle evaluated on a labelled test set: what [`super::evaluate`] reads.
#[derive(Debug, Clone, PartialEq)]
pub struct EvalRun {
    /// Model kind name, e.g. `"MemoryBank"`.
    pub model: String,
    /// Dataset name, e.g. `"bottle"` or the folder name.
    pub dataset: String,
    /// Dataset fingerprint (hex), as in the bundle's provenance.
    pub dataset_fingerprint: String,
    /// Size of the bundle file, in bytes.
    pub bundle_bytes: u64,
    /// Multiply-accumulates per frame of the bundle's networks, in 10⁹ (GMAC).
    pub gmac_per_frame: f64,
    /// Image threshold of the bundle, raw score units: reject iff `score >= threshold`.
    pub threshold: f32,
    /// Pixel threshold of the bundle, raw pixel-score units (also the overlay colour scale).
    pub pixel_threshold: f32,
    /// One record per test image, in any order (the report keeps this order).
    pub images: Vec<ImageRecord>,
}
