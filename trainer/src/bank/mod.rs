//! Memory-bank anomaly models (PatchCore family) and their Gaussian baseline: the math
//! from training patch features to patch-score maps, independent of where the features
//! come from. Inputs are plain row-major `&[f32]` with a `dim` (vector sets) or a
//! [`GridShape`] (per-image `height × width × dim` patch grids, images back to back).
//!
//! - [`greedy_coreset`] → [`Coreset`]: greedy k-center selection (farthest-point
//!   sampling) in a seeded [`RandomProjection`], with triangle-inequality pruning.
//! - [`F32Bank`] (exact reference) and [`Int8Bank`] (per-dimension affine [`Int8Codec`],
//!   integer dot products): k-nearest-neighbour search through [`NearestNeighbours`].
//! - [`score_image`] → [`PatchScores`]: patch-score map and PatchCore's reweighted image
//!   score (eq. 7, log-sum-exp).
//! - [`PositionBank`]: a small int8 bank per grid location (FAPM/PaDiM style) for fixed
//!   fixtures; far fewer multiply-accumulates per frame.
//! - [`GaussianModel`]: PaDiM's per-location Gaussian and Mahalanobis distance, the
//!   baseline.
//! - [`codec`]: the little-endian byte layout of every model ([`BankModel`] reads any of
//!   them); bad bytes give a [`DecodeError`], bad inputs a [`BankError`].
//! - [`SeededRng`] and [`SyntheticFeatures`]: reproducible randomness and stand-in
//!   features for tests and benchmarks.
//!
//! Always holds: distances are Euclidean (not squared) and patch scores are "higher = more
//! anomalous"; every entry point validates shapes and finiteness and returns an error
//! rather than panicking; results are deterministic for a seed, independent of the
//! number of threads.

pub mod codec;
mod coreset;
mod error;
mod gaussian;
mod kernels;
mod patchcore;
mod position;
mod projection;
mod quant;
mod rng;
mod search;
mod shape;
mod synthetic;

pub use codec::BankModel;
pub use coreset::{
    greedy_coreset, Coreset, CoresetConfig, CoresetSize, DEFAULT_CORESET_FRACTION,
    DEFAULT_PROJECTION_DIM,
};
pub use error::{BankError, DecodeError};
pub use gaussian::{GaussianConfig, GaussianModel, DEFAULT_RIDGE};
pub use patchcore::{
    reweight, score_image, weight_from_distances, PatchCoreConfig, PatchScores,
    DEFAULT_REWEIGHT_NEIGHBOURS,
};
pub use position::{PositionBank, PositionBankConfig};
pub use projection::RandomProjection;
pub use quant::{Int8Codec, QuantizationReport, CODE_MAX};
pub use rng::SeededRng;
pub use search::{
    F32Bank, Int8Bank, NearestNeighbours, Neighbours, BANK_TILE, QUERY_BLOCK, QUERY_CHUNK,
    RERANK_EXTRA,
};
pub use shape::GridShape;
pub use synthetic::SyntheticFeatures;
