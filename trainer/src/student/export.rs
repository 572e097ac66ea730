//! Trained students as the edge runs them.
//!
//! - [`student_graph`]: a feature student alone, with the teacher's input and output
//!   names, so a bundle ships it exactly where the teacher graph would go. The
//!   per-channel target normalisation is folded into the last convolution, so the graph
//!   outputs teacher-scale features and nothing downstream knows it is not the teacher.
//! - [`pair_graph`]: a feature student and an anomaly student side by side, ending in
//!   their per-location squared difference: one graph whose single output channel *is*
//!   the anomaly map (EfficientAD style), for `Student` bundles.

use super::error::StudentError;
use super::train::TrainedStudent;
use crate::features::{FeatureGraph, FEATURES_NAME};
use crate::onnx::{Conv2d, GraphBuilder};
use crate::teacher::INPUT_NAME;

/// Appends `student`'s convolutions to `g` after `x`, node names prefixed with `prefix`,
/// the last one named `last_name`; its output is in the target's units (normalisation
/// folded in). Returns the output value's name.
fn conv_chain(
    g: &mut GraphBuilder,
    x: &str,
    student: &TrainedStudent,
    prefix: &str,
    last_name: &str,
) -> Result<String, StudentError> {
    let arch = &student.arch;
    let mut x = x.to_string();
    let mut cin = arch.input_channels;
    let last = arch.convs.len().saturating_sub(1);
    for (i, (spec, (w, b))) in arch.convs.iter().zip(&student.weights).enumerate() {
        let dims = [spec.out, cin, spec.kernel, spec.kernel];
        let (mut w, mut b) = (w.clone(), b.clone());
        if b.is_empty() {
            b = vec![0.0; spec.out];
        }
        if w.len() != dims.iter().product::<usize>() || b.len() != spec.out {
            return Err(StudentError::Config {
                field: "student weights",
                problem: format!(
                    "{prefix}layer {i} has {} weights and {} biases for shape {dims:?}",
                    w.len(),
                    b.len()
                ),
            });
        }
        if i == last {
            // y = std · (w·x + b) + mean, per output channel.
            let per_out = w.len() / spec.out;
            for o in 0..spec.out {
                let (s, m) = (student.std[o], student.mean[o]);
                w[o * per_out..(o + 1) * per_out]
                    .iter_mut()
                    .for_each(|v| *v *= s);
                b[o] = b[o] * s + m;
            }
        }
        let p = spec.pad();
        let params = Conv2d {
            strides: [spec.stride; 2],
            pads: [p; 4],
            group: 1,
            dilations: [spec.dilation; 2],
        };
        let name = if i == last {
            last_name.to_string()
        } else {
            format!("{prefix}conv{i}")
        };
        x = g.conv_with_weights(&name, &x, dims, &w, Some(&b), &params)?;
        if i != last {
            x = g.relu(&format!("{prefix}conv{i}.relu"), &x)?;
        }
        cin = spec.out;
    }
    Ok(x)
}

/// Declares `output` (`[1, channels, out_h, out_w]`) and encodes the graph.
fn finish(
    mut g: GraphBuilder,
    output: &str,
    channels: usize,
    (width, height): (usize, usize),
    (out_h, out_w): (usize, usize),
) -> Result<FeatureGraph, StudentError> {
    g.output(output, &[1, channels as i64, out_h as i64, out_w as i64])?;
    Ok(FeatureGraph {
        onnx: g.encode(),
        input_width: width,
        input_height: height,
        channels,
        height: out_h,
        width: out_w,
    })
}

/// The student's feature graph for `(width, height)` inputs.
///
/// # Errors
/// A weight count that does not match the architecture, or a graph-writing failure.
pub fn student_graph(
    student: &TrainedStudent,
    (width, height): (usize, usize),
) -> Result<FeatureGraph, StudentError> {
    let arch = &student.arch;
    let mut g = GraphBuilder::new("feature-student").with_doc(&format!(
        "plain-convolution feature student ({}), {} steps, held-out loss {:.4}; input RGB \
         (x-127)/128 NCHW",
        arch.describe(),
        student.steps,
        student.best_loss
    ));
    let x = g.input(INPUT_NAME, &[1, 3, height as i64, width as i64])?;
    let y = conv_chain(&mut g, &x, student, "", FEATURES_NAME)?;
    finish(
        g,
        &y,
        arch.output_channels(),
        (width, height),
        arch.output_size((height, width)),
    )
}

/// The teacher–student pair as one graph for `(width, height)` inputs: `feature` (the
/// stand-in teacher) and `anomaly` (trained to follow it on good images) run on the same
/// input, and the output is `Σ_c (f_c − a_c)² / (C · σ_c²)` per location, `σ` being the
/// anomaly student's target scale: the mean squared difference in normalised units, a
/// `[1, 1, h, w]` anomaly map. The sum over channels is a 1×1 convolution, so the tail
/// is three cheap nodes.
///
/// # Errors
/// Mismatched students (grids or channels), weight counts that do not match the
/// architectures, or a graph-writing failure.
pub fn pair_graph(
    feature: &TrainedStudent,
    anomaly: &TrainedStudent,
    (width, height): (usize, usize),
) -> Result<FeatureGraph, StudentError> {
    let out = feature.arch.output_size((height, width));
    let channels = feature.arch.output_channels();
    if anomaly.arch.output_size((height, width)) != out
        || anomaly.arch.output_channels() != channels
        || anomaly.std.len() != channels
    {
        return Err(StudentError::Config {
            field: "anomaly student",
            problem: format!(
                "outputs {:?}×{} for a feature student's {out:?}×{channels}",
                anomaly.arch.output_size((height, width)),
                anomaly.arch.output_channels()
            ),
        });
    }
    let mut g = GraphBuilder::new("teacher-student-pair").with_doc(&format!(
        "feature student ({}, held-out loss {:.4}) and anomaly student ({}, held-out loss \
         {:.4}); output: per-location mean squared normalised difference; input RGB \
         (x-127)/128 NCHW",
        feature.arch.describe(),
        feature.best_loss,
        anomaly.arch.describe(),
        anomaly.best_loss
    ));
    let x = g.input(INPUT_NAME, &[1, 3, height as i64, width as i64])?;
    let f = conv_chain(&mut g, &x, feature, "feature.", "feature.out")?;
    let a = conv_chain(&mut g, &x, anomaly, "anomaly.", "anomaly.out")?;
    let d = g.sub(&f, &a)?;
    let squared = g.mul(&d, &d)?;
    let weights: Vec<f32> = anomaly
        .std
        .iter()
        .map(|s| 1.0 / (channels as f32 * s * s))
        .collect();
    let map = g.conv_with_weights(
        FEATURES_NAME,
        &squared,
        [1, channels, 1, 1],
        &weights,
        None,
        &Conv2d::pointwise(),
    )?;
    finish(g, &map, 1, (width, height), out)
}
