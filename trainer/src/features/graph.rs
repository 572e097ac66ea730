//! The feature-extractor ONNX graph: teacher trunk → per-layer 3×3 local average →
//! bilinear upsampling to the finest grid → channel concat, one output.
//!
//! As in PatchCore: `AvgPool2d(3, stride 1, padding 1)` with the padding counted in the
//! divisor (PyTorch's default, `count_include_pad = 1`), then
//! `interpolate(bilinear, align_corners=False)` (ONNX `Resize` linear, `half_pixel`) of the
//! coarser maps to the finest map's grid, then concat in the order the layers were given.
//! For Lite0 at 256² with `stride8,stride16`: `[1, 40 + 112 = 152, 32, 32]` (with
//! `stride8,stage4`: 120).
//! Everything is inside the graph so the edge runs one graph and gets patch features.

use crate::onnx::GraphBuilder;
use crate::teacher::{add_trunk, TeacherError, TeacherWeights, INPUT_NAME};

/// Name of the graph's single output.
pub const FEATURES_NAME: &str = "patch_features";

/// The layers PatchCore-style features are taken from: Lite0's stage 3 (stride 8, 40
/// channels) and stage 5, the last stride-16 stage (112 channels), 152 features per patch.
/// `stride8,stage4` (120 features) is 35 % cheaper and as accurate on three of the four
/// real categories, but loses 0.06 image AUROC on cookie (docs/decisions.md).
pub const DEFAULT_LAYERS: [&str; 2] = ["stride8", "stride16"];

/// A written feature-extractor graph and its output shape.
#[derive(Debug, Clone)]
pub struct FeatureGraph {
    /// ONNX bytes; input [`INPUT_NAME`] `[1, 3, height, width]`, output [`FEATURES_NAME`].
    pub onnx: Vec<u8>,
    /// Input width in pixels.
    pub input_width: usize,
    /// Input height in pixels.
    pub input_height: usize,
    /// Output channels (sum over layers).
    pub channels: usize,
    /// Output grid height.
    pub height: usize,
    /// Output grid width.
    pub width: usize,
}

/// Writes the feature graph for `size`×`size` inputs and the given teacher `layers`.
pub fn feature_graph(
    weights: &TeacherWeights,
    size: usize,
    layers: &[&str],
) -> Result<FeatureGraph, TeacherError> {
    feature_graph_sized(weights, (size, size), layers)
}

/// Writes the feature graph for `width × height` inputs and the given teacher `layers`.
pub fn feature_graph_sized(
    weights: &TeacherWeights,
    (width_in, height_in): (usize, usize),
    layers: &[&str],
) -> Result<FeatureGraph, TeacherError> {
    let stages = layers
        .iter()
        .map(|l| weights.arch.resolve_layer(l))
        .collect::<Result<Vec<_>, _>>()?;
    let mut g =
        GraphBuilder::new(&format!("{}-patch-features", weights.name())).with_doc(&format!(
            "{} layers {} at {width_in}x{height_in}; 3x3 avg, bilinear to finest grid, concat; input RGB \
             (x-127)/128 NCHW",
            weights.name(),
            layers.join(",")
        ));
    let input = g.input(INPUT_NAME, &[1, 3, height_in as i64, width_in as i64])?;
    let maps = add_trunk(&mut g, weights, &input, [height_in, width_in], &stages)?;
    let (height, width) = maps
        .iter()
        .map(|m| (m.height, m.width))
        .max()
        .unwrap_or((0, 0));
    let mut parts = Vec::new();
    for (m, layer) in maps.iter().zip(layers) {
        let pooled = g.average_pool(
            &format!("{layer}.avg3"),
            &m.value,
            [3, 3],
            [1, 1],
            [1; 4],
            true,
        )?;
        let part = if (m.height, m.width) == (height, width) {
            pooled
        } else {
            g.resize_bilinear(
                &format!("{layer}.up"),
                &pooled,
                [1, m.channels, height, width],
            )?
        };
        parts.push(part);
    }
    let refs: Vec<&str> = parts.iter().map(String::as_str).collect();
    let out = g.concat(FEATURES_NAME, &refs, 1)?;
    let channels = maps.iter().map(|m| m.channels).sum();
    g.output(&out, &[1, channels as i64, height as i64, width as i64])?;
    Ok(FeatureGraph {
        onnx: g.encode(),
        input_width: width_in,
        input_height: height_in,
        channels,
        height,
        width,
    })
}
