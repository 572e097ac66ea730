//! Where a bundle's network spends its time: the feature graph of `NET_BUNDLE` (a
//! bundle path), optimised as the edge runs it (1 thread, the edge's kernels; tract's
//! own with `NET_KERNELS=tract`), run `NET_RUNS` times (default 30) after 3 warm-ups;
//! prints the median ms per operator kind and the ten slowest nodes, each with its share
//! of the total. Prints figures only; asserts nothing about time.
//!
//! `NET_BUNDLE=/abs/model.bundle cargo bench -p edge --bench network_profile`.

use std::collections::BTreeMap;
use std::time::Instant;

use edge::network::{runnable_with, typed_from_onnx, Kernels};
use shared::bundle::{Bundle, FEATURES_ONNX};
use tract_linalg::multithread::Executor;
use tract_onnx::prelude::*;
use tract_onnx::tract_core::plan::{eval, SimpleState};

fn main() -> anyhow::Result<()> {
    let Some(path) = std::env::var_os("NET_BUNDLE") else {
        println!("network_profile: SKIPPED (set NET_BUNDLE to a bundle path)");
        return Ok(());
    };
    let runs: usize = std::env::var("NET_RUNS").map_or(Ok(30), |v| v.parse())?;
    let bundle = Bundle::read_from(std::path::Path::new(&path))?;
    let graph = bundle
        .payload(FEATURES_ONNX)
        .ok_or_else(|| anyhow::anyhow!("{path:?} has no {FEATURES_ONNX}"))?;
    let kernels = match std::env::var("NET_KERNELS").as_deref() {
        Ok("tract") => Kernels::Tract,
        _ => Kernels::Fastest,
    };
    let plan = runnable_with(typed_from_onnx(graph)?, Executor::SingleThread, kernels)?;
    let model = plan.model();
    let shape = model
        .input_fact(0)?
        .shape
        .as_concrete()
        .map(<[usize]>::to_vec);
    let shape = shape.ok_or_else(|| anyhow::anyhow!("symbolic input shape"))?;
    let input = Tensor::zero::<f32>(&shape)?;

    // Per node: the elapsed time of every run.
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); model.nodes().len()];
    let mut totals = Vec::new();
    for run in 0..runs + 3 {
        let mut state = SimpleState::new(&plan)?;
        let mut these = vec![0.0; model.nodes().len()];
        let start = Instant::now();
        state.run_plan_with_eval(
            tvec!(input.clone().into_tvalue()),
            |ctx, s, node, inputs| {
                let t = Instant::now();
                let out = eval(ctx, s, node, inputs);
                these[node.id] += t.elapsed().as_secs_f64() * 1e3;
                out
            },
        )?;
        if run >= 3 {
            totals.push(start.elapsed().as_secs_f64() * 1e3);
            for (all, t) in times.iter_mut().zip(&these) {
                all.push(*t);
            }
        }
    }
    let median = |v: &mut Vec<f64>| {
        v.sort_by(f64::total_cmp);
        v.get(v.len() / 2).copied().unwrap_or(0.0)
    };
    let total = median(&mut totals);
    let per_node: Vec<(usize, f64)> = times
        .iter_mut()
        .enumerate()
        .map(|(id, t)| (id, median(t)))
        .collect();
    let mut per_kind: BTreeMap<String, (f64, usize)> = BTreeMap::new();
    for &(id, ms) in &per_node {
        let entry = per_kind
            .entry(model.node(id).op.name().to_string())
            .or_default();
        entry.0 += ms;
        entry.1 += 1;
    }
    println!("network_profile: {path:?}, input {shape:?}, {runs} runs, 1 thread, {kernels:?}");
    println!("total {total:.2} ms (median run, profiling included)");
    let mut kinds: Vec<_> = per_kind.into_iter().collect();
    kinds.sort_by(|a, b| b.1 .0.total_cmp(&a.1 .0));
    println!(
        "{:<28} {:>6} {:>9} {:>6}",
        "operator", "nodes", "ms", "share"
    );
    for (name, (ms, n)) in &kinds {
        println!("{name:<28} {n:>6} {ms:>9.3} {:>5.1}%", 100.0 * ms / total);
    }
    let mut slowest = per_node;
    slowest.sort_by(|a, b| b.1.total_cmp(&a.1));
    println!("slowest nodes:");
    for &(id, ms) in slowest.iter().take(10) {
        let node = model.node(id);
        let out = &node.outputs[0].fact.shape;
        println!(
            "{ms:>8.3} ms  #{id} {} ({}) -> {out:?}",
            node.name,
            node.op.name()
        );
    }
    Ok(())
}
