//! Payload names: the contract between what the trainer writes into a bundle and what
//! the edge reads from it. Which payloads a bundle must hold depends on its
//! [`super::ModelKind`]; a name not listed here is ignored by the edge.
//!
//! | model kind | payloads |
//! |---|---|
//! | `MemoryBank`, `PositionalBank`, `Gaussian` | [`FEATURES_ONNX`], [`BANK`] |
//! | `Student` | [`FEATURES_ONNX`] (the teacher–student pair, one output channel: the
//! anomaly map), [`BANK`] (a direct-map record naming the map size) |

/// ONNX graph mapping the preprocessed input `[1, C, H, W]` (`C, H, W` =
/// `manifest.input`) to patch features `[1, D, map_height, map_width]` (NCHW, f32;
/// `map_height × map_width` = `manifest.score`'s map size).
pub const FEATURES_ONNX: &str = "features.onnx";

/// The memory-bank model scoring those patch features, in the bank codec's byte layout
/// (`edge::bank::codec`): a global f32 or int8 bank (`MemoryBank`), per-location int8
/// banks (`PositionalBank`) or per-location Gaussians (`Gaussian`), of dimension `D`;
/// for `Student`, a direct-map record (`D` = 1: the graph's output is the map).
pub const BANK: &str = "bank";
