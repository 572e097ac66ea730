//! Reading format-2 manifests: format 3 added [`ScoreConfig::image_sigma`]. A format-2
//! bundle took its image score from the one map it smoothed for the heat map, so it
//! reads back with `image_sigma = smoothing_sigma` and scores exactly as it did.

use alloc::string::String;
use alloc::vec::Vec;

use serde::Deserialize;

use super::manifest::{extra_bounded, InputSpec, Manifest, ModelKind, Preprocess, Provenance};
use crate::score::{ImageScore, ScoreConfig, ScoreStats, Thresholds};

/// [`ScoreConfig`] as format 2 encoded it (one σ).
#[derive(Deserialize)]
struct ScoreConfigV2 {
    smoothing_sigma: f32,
    image_score: ImageScore,
    map_width: u32,
    map_height: u32,
}

/// [`Manifest`] as format 2 encoded it: the same fields in the same order, with
/// [`ScoreConfigV2`].
#[derive(Deserialize)]
pub(super) struct ManifestV2 {
    model: ModelKind,
    input: InputSpec,
    preprocess: Preprocess,
    score: ScoreConfigV2,
    thresholds: Thresholds,
    score_stats: ScoreStats,
    provenance: Provenance,
    #[serde(deserialize_with = "extra_bounded")]
    extra: Vec<(String, String)>,
}

impl From<ManifestV2> for Manifest {
    fn from(m: ManifestV2) -> Manifest {
        let s = m.score;
        Manifest {
            model: m.model,
            input: m.input,
            preprocess: m.preprocess,
            score: ScoreConfig {
                smoothing_sigma: s.smoothing_sigma,
                image_score: s.image_score,
                map_width: s.map_width,
                map_height: s.map_height,
                image_sigma: s.smoothing_sigma,
            },
            thresholds: m.thresholds,
            score_stats: m.score_stats,
            provenance: m.provenance,
            extra: m.extra,
        }
    }
}
