//! The teacher: ImageNet EfficientNet-Lite read from its PyTorch file and written as ONNX.
//!
//! Pipeline: [`registry::verify`] (SHA-256 against the known-teacher registry) →
//! [`checkpoint::read_f32_tensors`] (legacy `.pth` via `pytorch-reader`, strided views
//! gathered to logical row-major) → [`Arch::from_shapes`] (blocks, channels, kernels from
//! the tensors; strides from the EfficientNet stage table) → [`fold`] (BatchNorm, ε = 1e-3,
//! into conv weights/bias) → [`TeacherWeights`] → [`classifier_onnx`] /
//! [`truncated_onnx`] / [`add_trunk`] (TF "same" padding as explicit pads, NCHW/OIHW).
//!
//! What always holds: a file whose name is registered loads only if its hash matches;
//! the graphs expect RGB input normalised `(x − 127) / 128` (done by
//! [`crate::features::preprocess()`], not in the graph); shapes are static.
//!
//! ```no_run
//! use trainer::teacher::{classifier_onnx, TeacherWeights};
//! let weights = TeacherWeights::load_default()?;
//! let onnx_bytes = classifier_onnx(&weights, 224)?;
//! # Ok::<(), trainer::teacher::TeacherError>(())
//! ```

mod arch;
pub mod checkpoint;
mod cost;
mod error;
pub mod fold;
mod graph;
pub mod padding;
pub mod registry;
mod weights;

pub use arch::{Arch, BlockSpec, STAGE_STRIDES, STEM_STRIDE};
pub use cost::{feature_trunk_macs, trunk_macs, TrunkMacs};
pub use error::TeacherError;
pub use graph::{add_trunk, classifier_onnx, truncated_onnx, StageOutput, INPUT_NAME, LOGITS_NAME};
pub use registry::{
    KnownTeacher, Verification, EFFICIENTNET_LITE0, EFFICIENTNET_LITE1, EFFICIENTNET_LITE2,
    KNOWN_TEACHERS,
};
pub use weights::{Linear, MbBlock, TeacherWeights};
