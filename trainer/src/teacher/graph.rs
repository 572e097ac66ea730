//! Writing EfficientNet-Lite as ONNX: whole (classifier) or truncated after chosen stages.
//!
//! Decisions, all fixed for a given input size:
//! - input `image` is `[1, 3, H, W]` f32, RGB, already normalised `(x − 127) / 128`
//!   (see [`crate::features::preprocess()`]); layout NCHW, weights OIHW;
//! - BatchNorm is folded into each conv (weights and bias), so the graph is Conv, Clip
//!   (ReLU6), Add only;
//! - padding is TensorFlow "same" written as explicit asymmetric pads
//!   ([`super::padding::same_padding`]);
//! - the classifier head is 1×1 conv → ReLU6 → GlobalAveragePool → Flatten → Gemm, output
//!   `logits` `[1, classes]` (dropout is inference-time identity and has no weights).

use crate::onnx::{Conv2d, GraphBuilder};

use super::error::TeacherError;
use super::fold::FoldedConv;
use super::padding::same_padding;
use super::weights::TeacherWeights;

/// Name of the graph input.
pub const INPUT_NAME: &str = "image";

/// Name of the classifier output.
pub const LOGITS_NAME: &str = "logits";

/// A stage output written into a graph.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StageOutput {
    /// Stage, 0-based.
    pub stage: usize,
    /// Graph value holding the NCHW map.
    pub value: String,
    /// Channels.
    pub channels: usize,
    /// Height in cells.
    pub height: usize,
    /// Width in cells.
    pub width: usize,
}

/// A map flowing through the trunk: value name and (c, h, w).
struct Map {
    value: String,
    c: usize,
    h: usize,
    w: usize,
}

fn conv(
    g: &mut GraphBuilder,
    hint: &str,
    x: &Map,
    layer: &FoldedConv,
    stride: usize,
    depthwise: bool,
) -> Result<Map, TeacherError> {
    let [out, _, kh, kw] = layer.dims;
    let (h, (top, bottom)) = same_padding(x.h, kh, stride);
    let (w, (left, right)) = same_padding(x.w, kw, stride);
    let params = Conv2d {
        strides: [stride, stride],
        pads: [top, left, bottom, right],
        group: if depthwise { x.c } else { 1 },
        dilations: [1, 1],
    };
    let value = g.conv_with_weights(
        hint,
        &x.value,
        layer.dims,
        &layer.weight,
        Some(&layer.bias),
        &params,
    )?;
    Ok(Map {
        value,
        c: out,
        h,
        w,
    })
}

fn relu6(g: &mut GraphBuilder, hint: &str, x: Map) -> Result<Map, TeacherError> {
    Ok(Map {
        value: g.relu6(hint, &x.value)?,
        ..x
    })
}

/// Writes stem and blocks up to the last stage in `stages` (0-based), reading `input`
/// (`[1, 3, h, w]`); returns one output per requested stage, in the order asked.
pub fn add_trunk(
    g: &mut GraphBuilder,
    weights: &TeacherWeights,
    input: &str,
    input_hw: [usize; 2],
    stages: &[usize],
) -> Result<Vec<StageOutput>, TeacherError> {
    let last_stage = stages
        .iter()
        .copied()
        .max()
        .unwrap_or(weights.arch.stage_count() - 1);
    let x = Map {
        value: input.to_string(),
        c: 3,
        h: input_hw[0],
        w: input_hw[1],
    };
    let x = conv(g, "stem", &x, &weights.stem, 2, false)?;
    let mut x = relu6(g, "stem.relu6", x)?;
    let mut found: Vec<Option<StageOutput>> = vec![None; stages.len()];
    for block in weights.blocks.iter().filter(|b| b.spec.stage <= last_stage) {
        let s = &block.spec;
        let p = format!("blocks.{}", s.index);
        let mut y = match &block.expand {
            Some(e) => {
                let y = conv(g, &format!("{p}.expand"), &x, e, 1, false)?;
                relu6(g, &format!("{p}.expand.relu6"), y)?
            }
            None => Map {
                value: x.value.clone(),
                ..x
            },
        };
        y = conv(g, &format!("{p}.dw"), &y, &block.depthwise, s.stride, true)?;
        y = relu6(g, &format!("{p}.dw.relu6"), y)?;
        y = conv(g, &format!("{p}.project"), &y, &block.project, 1, false)?;
        if s.residual {
            y.value = g.add(&y.value, &x.value)?;
        }
        x = y;
        let stage_ends = weights
            .blocks
            .get(s.index + 1)
            .is_none_or(|next| next.spec.stage != s.stage);
        if stage_ends {
            for (slot, _) in found
                .iter_mut()
                .zip(stages)
                .filter(|(_, &st)| st == s.stage)
            {
                *slot = Some(StageOutput {
                    stage: s.stage,
                    value: x.value.clone(),
                    channels: x.c,
                    height: x.h,
                    width: x.w,
                });
            }
        }
    }
    found
        .into_iter()
        .zip(stages)
        .map(|(o, st)| {
            o.ok_or_else(|| TeacherError::Architecture(format!("stage {} has no blocks", st + 1)))
        })
        .collect()
}

/// The whole classifier for `size`×`size` input: `image` → `logits` `[1, classes]`.
pub fn classifier_onnx(weights: &TeacherWeights, size: usize) -> Result<Vec<u8>, TeacherError> {
    let mut g =
        GraphBuilder::new(&format!("{}-classifier", weights.name())).with_doc(&doc(weights));
    let input = g.input(INPUT_NAME, &[1, 3, size as i64, size as i64])?;
    let last = weights.arch.stage_count() - 1;
    let trunk = add_trunk(&mut g, weights, &input, [size, size], &[last])?;
    let t = &trunk[0];
    let x = Map {
        value: t.value.clone(),
        c: t.channels,
        h: t.height,
        w: t.width,
    };
    let x = conv(&mut g, "head", &x, &weights.head, 1, false)?;
    let x = relu6(&mut g, "head.relu6", x)?;
    let pooled = g.global_average_pool("pool", &x.value)?;
    let flat = g.flatten("flatten", &pooled, 1)?;
    let fc = &weights.fc;
    let w = g.initializer_f32("fc.weight", &[fc.out_features, fc.in_features], &fc.weight)?;
    let b = g.initializer_f32("fc.bias", &[fc.out_features], &fc.bias)?;
    let logits = g.gemm(LOGITS_NAME, &flat, &w, Some(&b), true)?;
    g.output(&logits, &[1, fc.out_features as i64])?;
    Ok(g.encode())
}

/// The trunk truncated after `layers` (names as [`super::Arch::resolve_layer`] takes them),
/// one output per layer, named after it: `[1, c, h, w]` each.
pub fn truncated_onnx(
    weights: &TeacherWeights,
    size: usize,
    layers: &[&str],
) -> Result<Vec<u8>, TeacherError> {
    let stages = layers
        .iter()
        .map(|l| weights.arch.resolve_layer(l))
        .collect::<Result<Vec<_>, _>>()?;
    let mut g = GraphBuilder::new(&format!("{}-trunk", weights.name())).with_doc(&doc(weights));
    let input = g.input(INPUT_NAME, &[1, 3, size as i64, size as i64])?;
    let outs = add_trunk(&mut g, weights, &input, [size, size], &stages)?;
    for (o, layer) in outs.iter().zip(layers) {
        // Identity gives each output its layer's name even when two layers share a value.
        let named = g.node("Identity", layer, &[&o.value], vec![])?;
        g.output(
            &named,
            &[1, o.channels as i64, o.height as i64, o.width as i64],
        )?;
    }
    Ok(g.encode())
}

fn doc(weights: &TeacherWeights) -> String {
    format!(
        "{} from {} (sha256 {}); input RGB (x-127)/128 NCHW; BN folded; TF same padding",
        weights.name(),
        weights
            .path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
        weights.verification.sha256()
    )
}
