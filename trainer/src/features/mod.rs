//! Teacher patch features: the one feature path every model (memory bank, students) uses.
//!
//! - [`preprocess()`]: image → normalised NCHW input (resize to `size`² with a Triangle
//!   filter, `(x − 127) / 128`); the edge mirrors this function.
//! - [`feature_graph`]: ONNX graph = teacher truncated after the chosen layers (default
//!   `stride8` + `stride16`: 40 + 112 channels for Lite0), each 3×3-averaged, coarser maps
//!   bilinearly upsampled to the finest grid, concatenated → `[1, C, size/8, size/8]`
//!   (152 × 32 × 32 at 256²).
//! - [`FeatureExtractor`]: runs that graph with tract, one image or many (rayon workers,
//!   progress bar) → [`PatchFeatures`] (`(h·w) × c` row-major per image).
//! - [`npy`]: writes a set of features as one `.npy` array.

mod error;
mod extractor;
mod graph;
pub mod npy;
pub mod preprocess;

pub use error::FeatureError;
pub use extractor::{open_rgb, FeatureExtractor, PatchFeatures};
pub use graph::{feature_graph, feature_graph_sized, FeatureGraph, DEFAULT_LAYERS, FEATURES_NAME};
pub use preprocess::preprocess;
