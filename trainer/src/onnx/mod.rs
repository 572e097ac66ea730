//! A small, general ONNX graph writer over `tract_onnx::pb` (the prost structs of the ONNX
//! protobuf schema), and the one place that turns ONNX bytes into a tract plan.
//!
//! - [`GraphBuilder`] owns one graph while it is written: typed f32 inputs and outputs with
//!   fixed shapes, initializers (f32 and i64 tensors) and nodes. Every value name it hands
//!   back is unique and known to exist, so a graph that builds is wired correctly; a node
//!   that names an unknown value is refused with [`OnnxError::UnknownValue`].
//! - typed helpers on [`GraphBuilder`], one per operator we use
//!   (Conv, Clip/ReLU6, Add/Sub/Mul/Div, AveragePool, GlobalAveragePool, Resize, Concat,
//!   Gemm, MatMul, Flatten, ReduceMean, Relu, Sigmoid, Transpose, Reshape). Anything else
//!   goes through [`GraphBuilder::node`] with attributes from [`attr`].
//! - [`GraphBuilder::encode`] writes the `ModelProto` bytes (IR version 8 up to opset 18, default opset
//!   [`DEFAULT_OPSET`] = 13; both are accepted by tract 0.23 and by `onnx.checker`).
//! - [`runnable_from_bytes`] parses bytes with tract, optimises and makes the plan;
//!   [`profile`] times plans (latency percentiles, time per operator).
//!
//! What always holds: shapes are static (no symbolic dimensions), tensors are stored
//! row-major as `raw_data` little-endian, node names equal their (first) output name.

pub mod attr;
mod builder;
mod ops;
pub mod profile;
mod run;

pub use builder::{ir_version_for, GraphBuilder, OnnxError, DEFAULT_OPSET, IR_VERSION};
pub use ops::Conv2d;
pub use run::{
    runnable_from_bytes, runnable_from_bytes_using, runnable_from_bytes_with, Kernels, Plan,
};
