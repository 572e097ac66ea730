//! The manifest of a freshly fitted model, before calibration fills in its thresholds.

use std::time::{SystemTime, UNIX_EPOCH};

use shared::bundle::{DatasetSeen, Manifest, ModelKind, Provenance};
use shared::score::{ImageScore, ScoreConfig, ScoreStats, Thresholds};

use crate::features::preprocess::{teacher_input_sized, TEACHER_NORMALISATION};

/// `manifest.extra` key recording the teacher layers (for `edge info` and retraining).
pub const LAYERS_KEY: &str = "features.layers";
/// `manifest.extra` key recording the teacher network's name.
pub const TEACHER_KEY: &str = "features.teacher";
/// Manifest `extra` key: the distilled feature student's layers, when the bundle ships a
/// student instead of the teacher (absent otherwise).
pub const STUDENT_KEY: &str = "features.student";
/// Manifest `extra` key: the anomaly student's layers in a teacher–student bundle.
pub const ANOMALY_STUDENT_KEY: &str = "model.anomaly_student";

/// Lineage of a fresh fit: no parent, the one dataset it saw, the command that ran it.
pub(crate) struct Lineage {
    pub datasets: Vec<DatasetSeen>,
    pub created_by: String,
}

/// Manifest for `kind` over a `map_w × map_h` patch grid at an `input` (w, h), with the
/// heat map's and the image score's smoothing `(smoothing_sigma, image_sigma)`,
/// thresholds unset (`f32::MAX`: rejects nothing until calibrated) and empty statistics.
pub(crate) fn uncalibrated(
    kind: ModelKind,
    (input_w, input_h): (u32, u32),
    (map_w, map_h): (usize, usize),
    (smoothing_sigma, image_sigma): (f32, f32),
    dataset_fingerprint: String,
    lineage: Lineage,
    extra: Vec<(String, String)>,
) -> Manifest {
    let created_unix_s = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Manifest {
        model: kind,
        input: teacher_input_sized(input_w, input_h),
        preprocess: TEACHER_NORMALISATION,
        score: ScoreConfig {
            smoothing_sigma,
            image_score: ImageScore::Max,
            map_width: map_w as u32,
            map_height: map_h as u32,
            image_sigma,
        },
        thresholds: Thresholds {
            image: f32::MAX,
            pixel: f32::MAX,
        },
        score_stats: ScoreStats {
            min: 0.0,
            max: 0.0,
            mean: 0.0,
            std: 0.0,
            count: 0,
        },
        provenance: Provenance {
            dataset_fingerprint,
            trainer_version: env!("CARGO_PKG_VERSION").to_string(),
            created_unix_s,
            parent_bundle_sha256: None,
            metrics: Vec::new(),
            datasets: lineage.datasets,
            created_by: lineage.created_by,
        },
        extra,
    }
}
