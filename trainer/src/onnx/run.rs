//! ONNX bytes → optimised tract plan: the one place the trainer loads a graph for tract.

use std::sync::Arc;

use tract_onnx::prelude::*;

/// An optimised, runnable tract plan. `run` takes `&Arc<Self>` and creates its own state per
/// call, so one plan may be shared by several threads.
pub type Plan = Arc<TypedRunnableModel>;

/// Parses ONNX `bytes` (with the static input shapes they declare), optimises the model and
/// makes it runnable; it runs on tract's default executor. `what` names the graph in errors.
pub fn runnable_from_bytes(bytes: &[u8], what: &str) -> anyhow::Result<Plan> {
    runnable_from_bytes_with(bytes, what, &RunOptions::default())
}

/// As [`runnable_from_bytes`], with tract run options (e.g. a plan-specific executor:
/// `RunOptions { executor: Some(Executor::multithread(2)), ..Default::default() }`).
pub fn runnable_from_bytes_with(
    bytes: &[u8],
    what: &str,
    options: &RunOptions,
) -> anyhow::Result<Plan> {
    use anyhow::Context as _;
    let model = tract_onnx::onnx()
        .model_for_read(&mut &*bytes)
        .with_context(|| format!("parsing ONNX graph \"{what}\""))?;
    let plan = model
        .into_optimized()
        .and_then(|m| m.into_runnable_with_options(options))
        .with_context(|| format!("optimising ONNX graph \"{what}\" for tract"))?;
    Ok(plan)
}
