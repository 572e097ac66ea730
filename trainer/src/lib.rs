//! Host trainer: good images → frozen teacher features → compact students → calibrated,
//! evaluated, exported bundle.
//!
//! - [`bank`]: memory banks: coreset, int8 kNN, PatchCore score, per-location banks, Gaussian.
//! - [`data`]: MVTec-layout and plain-folder datasets, image and mask loading, inspection.
//! - [`synth`]: deterministic synthetic anomaly datasets (textures, parts, defects, masks).
//! - [`metrics`]: image/pixel AUROC, AUPRO, pixel AUPR, F1-max.
//! - [`report`]: evaluation report: figures, worst cases, JSON + Markdown, overlay PNGs.
//! - [`teacher`]: EfficientNet-Lite weights read from their PyTorch file.
//! - [`onnx`]: a small ONNX graph writer (used for the teacher and later students).
//! - [`features`]: the one patch-feature path every model uses.
//! - [`rng`]: the one seeded PRNG core behind synthetic data and model fitting.
//! - [`calibrate`]: thresholds from held-out good images and synthetic anomalies.
//! - [`student`]: plain-convolution students distilled from the teacher with burn.
//! - [`retrain`]: labelled edge captures extend a bundle's bank; old vs new decides.
//! - [`signing`]: ed25519 keys and detached bundle signatures (`trainer keygen`, `sign`).
//! - [`cli`]: argument structs and entry points of the `trainer` subcommands.

pub mod bank;
pub mod calibrate;
pub mod cli;
pub mod data;
pub mod eval;
pub mod features;
pub mod fit;
pub mod metrics;
pub mod onnx;
pub mod report;
pub mod retrain;
pub mod rng;
pub mod signing;
pub mod student;
pub mod synth;
pub mod teacher;
