//! A trained student as the edge runs it: an ONNX feature graph with the teacher's input
//! and output names, so a bundle ships it exactly where the teacher graph would go. The
//! per-channel target normalisation is folded into the last convolution, so the graph
//! outputs teacher-scale features and nothing downstream knows it is not the teacher.

use super::error::StudentError;
use super::train::TrainedStudent;
use crate::features::{FeatureGraph, FEATURES_NAME};
use crate::onnx::{Conv2d, GraphBuilder};
use crate::teacher::INPUT_NAME;

/// The student's feature graph for `(width, height)` inputs.
///
/// # Errors
/// A weight count that does not match the architecture, or a graph-writing failure.
pub fn student_graph(
    student: &TrainedStudent,
    (width, height): (usize, usize),
) -> Result<FeatureGraph, StudentError> {
    let arch = &student.arch;
    let (out_h, out_w) = arch.output_size((height, width));
    let channels = arch.output_channels();
    let mut g = GraphBuilder::new("feature-student").with_doc(&format!(
        "plain-convolution feature student ({}), {} steps, held-out loss {:.4}; input RGB \
         (x-127)/128 NCHW",
        arch.describe(),
        student.steps,
        student.best_loss
    ));
    let mut x = g.input(INPUT_NAME, &[1, 3, height as i64, width as i64])?;
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
                    "layer {i} has {} weights and {} biases for shape {dims:?}",
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
            FEATURES_NAME.to_string()
        } else {
            format!("conv{i}")
        };
        x = g.conv_with_weights(&name, &x, dims, &w, Some(&b), &params)?;
        if i != last {
            x = g.relu(&format!("conv{i}.relu"), &x)?;
        }
        cin = spec.out;
    }
    g.output(&x, &[1, channels as i64, out_h as i64, out_w as i64])?;
    Ok(FeatureGraph {
        onnx: g.encode(),
        input_width: width,
        input_height: height,
        channels,
        height: out_h,
        width: out_w,
    })
}
