//! Depthwise convolution benchmark: tract's own op against the edge's vectorised
//! `PlaneDepthwise` on the depthwise layers of the EfficientNet-Lite0 teacher at 256²
//! input (channels, input size, kernel, stride), one thread, in this process; prints
//! ms per run, GMAC/s and the ratio. Prints figures only; asserts nothing about time.
//!
//! `cargo bench -p edge --bench depthwise`.

use std::time::Instant;

use edge::network::{runnable_with, Kernels, Plan};
use tract_linalg::multithread::Executor;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::ops::cnn::conv::KernelFormat;
use tract_onnx::tract_core::ops::cnn::{Conv, PaddingSpec, PoolSpec};
use tract_onnx::tract_core::ops::nn::DataFormat;

/// The teacher's depthwise layers up to stage 5 at 256² input:
/// (channels, input side, kernel, stride).
const LAYERS: [(usize, usize, usize, usize); 9] = [
    (32, 128, 3, 1),
    (96, 128, 3, 2),
    (144, 64, 3, 1),
    (144, 64, 5, 2),
    (240, 32, 5, 1),
    (240, 32, 3, 2),
    (480, 16, 3, 1),
    (480, 16, 5, 1),
    (672, 16, 5, 1),
];

fn plan(c: usize, side: usize, k: usize, stride: usize, kernels: Kernels) -> TractResult<Plan> {
    let mut model = TypedModel::default();
    let x = model.add_source("x", f32::fact([1, c, side, side]))?;
    let weights: Vec<f32> = (0..c * k * k).map(|i| (i as f32 * 0.1).sin()).collect();
    let kernel = tract_ndarray::ArrayD::from_shape_vec(vec![c, 1, k, k], weights)?.into_tensor();
    let kernel = model.add_const("kernel", kernel)?;
    let bias = model.add_const("bias", tensor1(&vec![0.1f32; c]))?;
    let pad = k / 2;
    let conv = Conv {
        pool_spec: PoolSpec {
            data_format: DataFormat::NCHW,
            kernel_shape: tvec!(k, k),
            padding: PaddingSpec::Explicit(tvec!(pad, pad), tvec!(pad, pad)),
            dilations: None,
            strides: Some(tvec!(stride, stride)),
            input_channels: c,
            output_channels: c,
        },
        kernel_fmt: KernelFormat::OIHW,
        group: c,
        q_params: None,
    };
    let y = model.wire_node("dw", conv, &[x, kernel, bias])?;
    model.select_output_outlets(&y)?;
    runnable_with(model, Executor::SingleThread, kernels)
}

/// Median ms of `reps` runs, interleaving nothing: each plan is timed on its own input.
fn median_ms(plan: &Plan, input: &Tensor, reps: usize) -> TractResult<f64> {
    plan.run(tvec!(input.clone().into_tvalue()))?;
    let mut t = Vec::with_capacity(reps);
    for _ in 0..reps {
        let s = Instant::now();
        plan.run(tvec!(input.clone().into_tvalue()))?;
        t.push(s.elapsed().as_secs_f64() * 1e3);
    }
    t.sort_by(f64::total_cmp);
    Ok(t[t.len() / 2])
}

fn main() -> TractResult<()> {
    println!(
        "edge's vectorised depthwise {}",
        if edge::network::plane_conv::available() {
            "in use (AVX2 + FMA)"
        } else {
            "not available on this CPU: both columns run tract's op"
        }
    );
    println!("| channels | input | kernel | stride | MMAC | tract ms | edge ms | tract GMAC/s | edge GMAC/s | speed-up |");
    println!("|---|---|---|---|---|---|---|---|---|---|");
    let (mut total_tract, mut total_edge) = (0.0, 0.0);
    for (c, side, k, stride) in LAYERS {
        let input = tract_ndarray::ArrayD::from_shape_vec(
            vec![1, c, side, side],
            (0..c * side * side)
                .map(|i| (i as f32 * 0.01).cos())
                .collect(),
        )?
        .into_tensor();
        let out = side.div_ceil(stride);
        let macs = (c * out * out * k * k) as f64;
        let tract = median_ms(&plan(c, side, k, stride, Kernels::Tract)?, &input, 30)?;
        let ours = median_ms(&plan(c, side, k, stride, Kernels::Fastest)?, &input, 30)?;
        total_tract += tract;
        total_edge += ours;
        println!(
            "| {c} | {side}² | {k}×{k} | {stride} | {:.1} | {tract:.3} | {ours:.3} | {:.2} | {:.2} | {:.2}× |",
            macs / 1e6,
            macs / tract / 1e6,
            macs / ours / 1e6,
            tract / ours
        );
    }
    println!(
        "all layers: tract {total_tract:.2} ms, edge {total_edge:.2} ms ({:.2}×)",
        total_tract / total_edge
    );
    Ok(())
}
