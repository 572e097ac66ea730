//! `trainer bench-teacher`: latency of the truncated teacher (the feature graph the edge
//! runs) and where its time goes.
//!
//! Measures, in this process, against the 1-thread plan as baseline:
//! - p50/p95 per-image latency on 1 thread with tract's own depthwise convolution and
//!   with the edge's vectorised one (`edge::network::depthwise`, where this machine has
//!   it), timed interleaved; the ratio is what the edge's op buys;
//! - p50/p95 per-image latency on 1 thread and on 2 threads (tract's multithreaded matrix
//!   products, `tract_linalg::multithread::Executor::multithread(2)`, given to that plan
//!   as its executor). The two plans are timed *interleaved*, run by run, so load from
//!   other processes hits both alike; the ratio is the 2-thread speed-up;
//! - throughput with 2 images in flight on 2 single-threaded workers (how
//!   `trainer features` runs), as a ratio to 1-thread throughput;
//! - from a per-node profile of each 1-thread plan ([`crate::onnx::profile::profile_by_op`]),
//!   the share of time in depthwise convolutions (`DepthWiseConv` or `PlaneDepthwise`
//!   nodes) against their share of the multiply-accumulates, and the GMAC/s of depthwise
//!   vs everything else.

use std::time::{Duration, Instant};

use rayon::prelude::*;
use tract_linalg::multithread::Executor;
use tract_onnx::prelude::*;

use crate::features::{feature_graph, DEFAULT_LAYERS};
use crate::onnx::profile::{latencies, percentile_ms, profile_by_op};
use crate::onnx::{runnable_from_bytes_using, Kernels, Plan};
use crate::teacher::feature_trunk_macs;

/// Arguments of `trainer bench-teacher`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Network input side in pixels.
    #[arg(long, default_value_t = 256)]
    pub size: u32,
    /// Timed runs per configuration.
    #[arg(long, default_value_t = 30)]
    pub iters: usize,
    /// Untimed runs before timing.
    #[arg(long, default_value_t = 3)]
    pub warmup: usize,
    /// Teacher weights (default: the shipped EfficientNet-Lite0).
    #[arg(long)]
    pub weights: Option<std::path::PathBuf>,
}

fn plan_on(onnx: &[u8], executor: Executor, kernels: Kernels) -> anyhow::Result<Plan> {
    runnable_from_bytes_using(onnx, "patch features", executor, kernels)
}

/// Names of the depthwise convolution ops in optimised plans: tract's and the edge's.
const DEPTHWISE_OPS: [&str; 2] = ["DepthWiseConv", "PlaneDepthwise"];

/// Interleaved timing of two plans: (latencies of `a`, latencies of `b`).
fn interleaved(
    a: &Plan,
    b: &Plan,
    input: &Tensor,
    warmup: usize,
    iters: usize,
) -> anyhow::Result<(Vec<Duration>, Vec<Duration>)> {
    latencies(a, input, warmup, 0)?;
    latencies(b, input, warmup, 0)?;
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for _ in 0..iters {
        ta.extend(latencies(a, input, 0, 1)?);
        tb.extend(latencies(b, input, 0, 1)?);
    }
    Ok((ta, tb))
}

/// Images per second with `workers` images in flight on single-threaded runs of `plan`.
fn throughput(plan: &Plan, input: &Tensor, workers: usize, images: usize) -> anyhow::Result<f64> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(workers)
        .build()?;
    let start = Instant::now();
    pool.install(|| {
        (0..images)
            .into_par_iter()
            .try_for_each(|_| plan.run(tvec!(input.clone().into())).map(|_| ()))
    })?;
    Ok(images as f64 / start.elapsed().as_secs_f64())
}

/// Runs `trainer bench-teacher`.
pub fn run(args: Args) -> anyhow::Result<()> {
    anyhow::ensure!(args.iters >= 1, "--iters must be at least 1");
    anyhow::ensure!(
        args.size >= 32,
        "--size must be at least 32, got {}",
        args.size
    );
    let weights = super::features::load_teacher(args.weights.as_ref())?;
    let size = args.size as usize;
    let graph = feature_graph(&weights, size, &DEFAULT_LAYERS)?;
    let input = Tensor::from_shape(&[1, 3, size, size], &vec![0.1f32; 3 * size * size])?;
    println!(
        "{} truncated at {} + 3x3 avg + upsample + concat -> [1, {}, {}, {}], input {size}x{size}, {} runs",
        weights.name(),
        DEFAULT_LAYERS.join(","),
        graph.channels,
        graph.height,
        graph.width,
        args.iters
    );

    let tract_dw = plan_on(&graph.onnx, Executor::SingleThread, Kernels::Tract)?;
    let single = plan_on(&graph.onnx, Executor::SingleThread, Kernels::Fastest)?;
    let (t0, t1) = interleaved(&tract_dw, &single, &input, args.warmup, args.iters)?;
    let (p50_0, p50_1) = (percentile_ms(&t0, 0.5), percentile_ms(&t1, 0.5));
    println!(
        "1 thread, tract's kernels: p50 {p50_0:7.2} ms   p95 {:7.2} ms   (baseline)",
        percentile_ms(&t0, 0.95)
    );
    println!(
        "1 thread, edge's kernels : p50 {p50_1:7.2} ms   p95 {:7.2} ms   speed-up {:.2}x ({})",
        percentile_ms(&t1, 0.95),
        p50_0 / p50_1,
        if edge::network::plane_conv::available() {
            "vectorised op in use"
        } else {
            "not available on this CPU: tract's op in both"
        }
    );
    let double = plan_on(&graph.onnx, Executor::multithread(2), Kernels::Fastest)?;
    let (t1, t2) = interleaved(&single, &double, &input, args.warmup, args.iters)?;
    let (p50_1, p50_2) = (percentile_ms(&t1, 0.5), percentile_ms(&t2, 0.5));
    println!(
        "1 thread : p50 {p50_1:7.2} ms   p95 {:7.2} ms   (baseline)",
        percentile_ms(&t1, 0.95)
    );
    println!(
        "2 threads: p50 {p50_2:7.2} ms   p95 {:7.2} ms   speed-up {:.2}x",
        percentile_ms(&t2, 0.95),
        p50_1 / p50_2
    );
    let rate1 = throughput(&single, &input, 1, args.iters)?;
    let rate2 = throughput(&single, &input, 2, args.iters)?;
    println!(
        "throughput: 1 worker {rate1:.1} img/s, 2 single-threaded workers {rate2:.1} img/s ({:.2}x)",
        rate2 / rate1
    );

    let macs = feature_trunk_macs(&weights.arch, size, &DEFAULT_LAYERS)?;
    for (label, plan) in [("tract's kernels", &tract_dw), ("edge's kernels", &single)] {
        print_profile(label, plan, &input, args.iters, &macs)?;
    }
    Ok(())
}

/// The per-op profile of one plan and the depthwise share of its time.
fn print_profile(
    label: &str,
    plan: &Plan,
    input: &Tensor,
    iters: usize,
    macs: &crate::teacher::TrunkMacs,
) -> anyhow::Result<()> {
    let profile = profile_by_op(plan, input, iters)?;
    let total: Duration = profile.iter().map(|(_, d)| *d).sum();
    let dw: Duration = profile
        .iter()
        .filter(|(op, _)| DEPTHWISE_OPS.contains(&op.as_str()))
        .map(|(_, d)| *d)
        .sum();
    let per_run = |d: Duration| d.as_secs_f64() / iters as f64;
    let pct = |d: Duration| 100.0 * d.as_secs_f64() / total.as_secs_f64();
    println!(
        "1-thread profile by tract op, {label} ({:.2} ms/run summed over nodes):",
        per_run(total) * 1e3
    );
    for (op, d) in profile.iter().take(8) {
        println!(
            "  {op:<24} {:7.2} ms/run  {:5.1} %",
            per_run(*d) * 1e3,
            pct(*d)
        );
    }
    println!(
        "depthwise share: {:.1} % of time for {:.1} % of MACs ({:.0} M depthwise, {:.0} M other MAC/run)",
        pct(dw),
        100.0 * macs.depthwise as f64 / (macs.depthwise + macs.dense) as f64,
        macs.depthwise as f64 / 1e6,
        macs.dense as f64 / 1e6
    );
    let dw_rate = macs.depthwise as f64 / per_run(dw) / 1e9;
    let other_rate = macs.dense as f64 / per_run(total - dw) / 1e9;
    println!(
        "throughput per MAC: depthwise {dw_rate:.2} GMAC/s, other ops {other_rate:.2} GMAC/s ({:.1}x)",
        other_rate / dw_rate
    );
    Ok(())
}
