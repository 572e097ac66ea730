//! The export parity check: the bundle read back from disk by the edge's inspector must
//! score every held-out image as the trainer does with its in-memory model.
//!
//! The trainer's side: its own feature plan ([`FeatureExtractor`], single-threaded
//! workers), the fitted model before serialisation, [`PatchScorer`] and the shared score
//! path. The edge's side: [`Inspector::open`] on the file (bundle decode, bank decode,
//! its own tract plan on its thread pool). A difference means the bundle does not carry
//! what was fitted (codec, manifest, graph or preprocessing drift).

use std::path::{Path, PathBuf};

use edge::inspector::{Inspector, PatchScorer};
use image::RgbImage;
use shared::bundle::Manifest;
use shared::score::ScorePipeline;

use super::error::FitError;
use super::model::FittedModel;
use crate::bank::GridShape;
use crate::features::FeatureExtractor;

/// Outcome of a passed parity check.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Parity {
    /// Images compared.
    pub images: usize,
    /// Largest |trainer − edge| raw-score difference.
    pub max_difference: f32,
}

/// Scores `images` both ways and fails on the first difference above
/// `tolerance · max(1, |trainer score|)`.
///
/// # Errors
/// [`FitError::Parity`] naming the image and both scores; inspector, feature or model
/// errors of either side.
#[allow(clippy::too_many_arguments)]
pub fn check_parity(
    bundle_path: &Path,
    out: &Path,
    extractor: &FeatureExtractor,
    fitted: &FittedModel,
    manifest: &Manifest,
    images: &[(PathBuf, RgbImage)],
    threads: usize,
    tolerance: f32,
) -> Result<Parity, FitError> {
    let mut inspector = Inspector::open(bundle_path, threads).map_err(FitError::inspector(
        format!("opening the written bundle {}", bundle_path.display()),
    ))?;
    let (c, h, w) = extractor.output_shape();
    let grid = GridShape::new(h, w, c);
    let mut scorer = PatchScorer::new(fitted.kind, fitted.model.clone(), grid, fitted.reweight())
        .map_err(FitError::inspector("building the trainer-side scorer"))?;
    let mut pipeline = ScorePipeline::new(
        manifest.score,
        manifest.input.width,
        manifest.input.height,
    )
    .map_err(|e| {
        FitError::inspector("building the score path")(edge::inspector::InspectorError::Score(e))
    })?;
    let mut map = vec![0.0; grid.cells()];
    let mut max_difference = 0.0f32;
    for (path, image) in images {
        let features = extractor.extract(image)?;
        let weight = scorer
            .score_into(&features.data, grid, &mut map)
            .map_err(|source| FitError::Model {
                model: "trainer-side",
                source,
            })?;
        let score = pipeline.score(&map).map_err(|e| {
            FitError::inspector("trainer-side score path")(edge::inspector::InspectorError::Score(
                e,
            ))
        })?;
        let trainer = weight * score;
        let edge = inspector
            .inspect(image)
            .map_err(FitError::inspector(format!(
                "inspecting {}",
                path.display()
            )))?
            .raw_score;
        let difference = (trainer - edge).abs();
        let allowed = tolerance * trainer.abs().max(1.0);
        if difference.is_nan() || difference > allowed {
            return Err(FitError::Parity {
                image: path.clone(),
                trainer,
                edge,
                difference,
                tolerance: allowed,
                bundle: bundle_path.to_path_buf(),
                out: out.to_path_buf(),
            });
        }
        max_difference = max_difference.max(difference);
    }
    Ok(Parity {
        images: images.len(),
        max_difference,
    })
}
