//! ONNX bytes → optimised tract plan, through `edge::network` (the one place graphs become
//! plans, shared with the device) with errors that name the graph.

pub use edge::network::{Kernels, Plan};
use tract_linalg::multithread::Executor;

/// Parses ONNX `bytes` (with the static input shapes they declare), optimises the model and
/// makes it runnable on one thread (callers parallelise over images). `what` names the
/// graph in errors.
pub fn runnable_from_bytes(bytes: &[u8], what: &str) -> anyhow::Result<Plan> {
    runnable_from_bytes_with(bytes, what, Executor::SingleThread)
}

/// As [`runnable_from_bytes`], on `executor` (e.g. `Executor::multithread(2)` to let tract
/// split matrix products over two threads).
pub fn runnable_from_bytes_with(
    bytes: &[u8],
    what: &str,
    executor: Executor,
) -> anyhow::Result<Plan> {
    runnable_from_bytes_using(bytes, what, executor, Kernels::Fastest)
}

/// As [`runnable_from_bytes_with`], with the kernels chosen (benchmarks compare tract's
/// own ops with the edge's depthwise convolution and resize).
pub fn runnable_from_bytes_using(
    bytes: &[u8],
    what: &str,
    executor: Executor,
    kernels: Kernels,
) -> anyhow::Result<Plan> {
    use anyhow::Context as _;
    let model = edge::network::typed_from_onnx(bytes)
        .with_context(|| format!("parsing ONNX graph \"{what}\""))?;
    edge::network::runnable_with(model, executor, kernels)
        .with_context(|| format!("optimising ONNX graph \"{what}\" for tract"))
}
