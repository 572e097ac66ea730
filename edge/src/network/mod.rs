//! ONNX bytes → tract plan: the one place the edge (and, through it, the trainer's bundle
//! verification) turns a graph into something runnable. Stages follow tract's names:
//! [`typed_from_onnx`] parses and types the graph with the static shapes it declares (so
//! its input and output shapes can be checked against a manifest before any optimisation
//! work), [`runnable`] optimises it and fixes the executor.
//!
//! Always holds: a plan is built once per bundle, never per frame; tract allocates its
//! own intermediate tensors on every run, which is outside our control.

mod clamp;
pub mod plane_conv;
pub mod resize;

use std::sync::Arc;

use tract_linalg::multithread::Executor;
use tract_onnx::prelude::*;

/// An optimised, runnable tract plan; `Send + Sync`, each `run` creates its own state.
pub type Plan = Arc<TypedRunnableModel>;

/// Parses ONNX `bytes` and types the graph with the input shapes it declares.
///
/// # Errors
/// tract's error when the bytes are not ONNX or an operator/shape cannot be typed.
pub fn typed_from_onnx(bytes: &[u8]) -> TractResult<TypedModel> {
    tract_onnx::onnx()
        .model_for_read(&mut &*bytes)?
        .into_typed()
}

/// Which kernels a plan runs for the ops the edge has its own of (convolutions with few
/// input channels per group, bilinear resize).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kernels {
    /// The edge's where they are faster: [`plane_conv::PlaneConv`] for depthwise
    /// convolutions and stems (with the ReLU after them fused) where this machine has its
    /// vectorised kernel ([`plane_conv::available`]), [`resize::PlaneResize`] everywhere;
    /// tract's own ops for the rest.
    Fastest,
    /// tract's own ops everywhere (the baseline of the benchmarks).
    Tract,
}

/// Optimises `model` and makes it runnable on `executor` (a rayon pool via
/// `Executor::MultiThread`, or `Executor::SingleThread`), with the fastest kernels this
/// machine has.
///
/// # Errors
/// tract's error when optimisation fails.
pub fn runnable(model: TypedModel, executor: Executor) -> TractResult<Plan> {
    runnable_with(model, executor, Kernels::Fastest)
}

/// [`runnable`] with the kernels chosen.
///
/// # Errors
/// tract's error when optimisation fails.
pub fn runnable_with(
    mut model: TypedModel,
    executor: Executor,
    kernels: Kernels,
) -> TractResult<Plan> {
    let options = RunOptions {
        executor: Some(executor),
        ..RunOptions::default()
    };
    if kernels == Kernels::Fastest {
        // Decluttered first so that the ops are in their final form (folded scales,
        // constant weights and sizes) when they are swapped.
        model = model.into_decluttered()?;
        if plane_conv::available() {
            plane_conv::substitute(&mut model)?;
        }
        resize::substitute(&mut model)?;
    }
    model.into_optimized()?.into_runnable_with_options(&options)
}

/// Runs `model` through [`runnable_with`] on `input` and returns its first output: how
/// the tests compare the edge's ops with tract's.
#[cfg(test)]
fn run_first_output(
    model: TypedModel,
    executor: Executor,
    kernels: Kernels,
    input: &Tensor,
) -> Vec<f32> {
    let plan = runnable_with(model, executor, kernels).unwrap();
    let out = plan.run(tvec!(input.clone().into_tvalue())).unwrap();
    let view = out[0].try_as_plain_ram().unwrap();
    view.as_slice::<f32>().unwrap().to_vec()
}

/// Replaces every node whose op is a `T` for which `swap` gives another op (fed the node's
/// first input only); returns how many it replaced. How the edge's own ops
/// ([`plane_conv`], [`resize`]) take the place of tract's in a decluttered model.
fn replace_each<T: TypedOp, O: TypedOp>(
    model: &mut TypedModel,
    swap: impl Fn(&TypedModel, &TypedNode, &T) -> TractResult<Option<O>>,
) -> TractResult<usize> {
    let mut replaced = 0;
    for id in model.eval_order()? {
        let node = model.node(id);
        let Some(op) = node.op_as::<T>() else {
            continue;
        };
        let Some(ours) = swap(model, node, op)? else {
            continue;
        };
        let patch = TypedModelPatch::replace_single_op(model, node, &node.inputs[..1], ours)?;
        patch.apply(model)?;
        replaced += 1;
    }
    Ok(replaced)
}

/// The concrete shape of `fact`, or its `Debug` text when a dimension is symbolic.
pub fn concrete_shape(fact: &TypedFact) -> Result<Vec<usize>, String> {
    fact.shape
        .as_concrete()
        .map(<[usize]>::to_vec)
        .ok_or_else(|| format!("{:?}", fact.shape))
}

/// Multiply-accumulates of one run of `model`, as tract's operators report them
/// (`Cost::FMA`; convolutions and matrix products, which is where the work is).
///
/// # Errors
/// tract's error when a node's input facts cannot be read or a count is symbolic.
pub fn fma_count(model: &TypedModel) -> TractResult<u64> {
    let mut total = 0u64;
    for node in model.nodes() {
        let inputs = model.node_input_facts(node.id)?;
        for (cost, count) in node.op.cost(&inputs)? {
            if matches!(cost, tract_onnx::tract_core::ops::Cost::FMA(_)) {
                total += count.to_i64()?.max(0) as u64;
            }
        }
    }
    Ok(total)
}
