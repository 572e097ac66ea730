//! Memory-bank anomaly models (PatchCore family) and their Gaussian baseline: fitting,
//! from training patch features to the models the device scores. The models themselves,
//! their byte layout, search kernels and scoring live in [`edge::bank`] (the device must
//! decode and score them and cannot depend on the trainer); everything there is
//! re-exported here, so `trainer::bank::*` names one implementation of each thing.
//!
//! - [`greedy_coreset`] → [`Coreset`]: greedy k-center selection (farthest-point
//!   sampling) in a seeded [`RandomProjection`], with triangle-inequality pruning;
//!   [`F32Bank::from_coreset`] keeps the picked rows, [`Int8Bank::quantize`] codes them.
//! - [`extend_bank`] → [`Extended`]: retraining adds new good patches to a global bank,
//!   greedy k-center continued from the old entries, which stay untouched.
//! - [`index_bank`] → [`IvfBank`]: k-means lists over a global bank, so each query scans
//!   only its nearest lists (the default global search).
//! - [`FitPosition`] (`PositionBank::fit`): per-location coresets with one shared codec.
//! - [`FitGaussian`] (`GaussianModel::fit` / `from_moments`): PaDiM moments and Cholesky.
//! - [`SeededRng`] and [`SyntheticFeatures`]: reproducible randomness and stand-in
//!   features for tests and benchmarks.
//!
//! Re-exported from `edge::bank`: [`F32Bank`], [`Int8Bank`], [`NearestNeighbours`],
//! [`score_image`], [`PositionBank`], [`GaussianModel`], [`BankModel`] and [`codec`],
//! [`BankError`], [`DecodeError`], [`GridShape`], [`kernels`].
//!
//! Always holds: distances are Euclidean (not squared) and patch scores are "higher = more
//! anomalous"; every entry point validates shapes and finiteness and returns an error
//! rather than panicking; results are deterministic for a seed, independent of the
//! number of threads.

mod coreset;
mod gaussian;
mod incremental;
mod ivf;
mod position;
mod projection;
mod rng;
mod synthetic;

pub use edge::bank::{
    check_finite, check_rows, codec, kernels, location_window, packed_len, patch_map_into,
    reweight, score_image, weight_from_distances, BankError, BankModel, DecodeError, DirectMap,
    F32Bank, GaussianModel, GridShape, Int8Bank, Int8Codec, IvfBank, NearestNeighbours, Neighbours,
    PatchCoreConfig, PatchScores, PositionBank, QuantizationReport, BANK_TILE, CODE_MAX,
    DEFAULT_REWEIGHT_NEIGHBOURS, QUERY_BLOCK, QUERY_CHUNK, RERANK_EXTRA,
};

pub use coreset::{
    greedy_coreset, Coreset, CoresetConfig, CoresetSize, DEFAULT_CORESET_FRACTION,
    DEFAULT_PROJECTION_DIM,
};
pub use gaussian::{FitGaussian, GaussianConfig, DEFAULT_RIDGE};
pub use incremental::{extend_bank, Codes, ExtendConfig, ExtendError, Extended};
pub use ivf::{index_bank, kmeans, IvfConfig, DEFAULT_IVF_PROBES, KMEANS_ITERATIONS};
pub use position::{FitPosition, PositionBankConfig};
pub use projection::RandomProjection;
pub use rng::SeededRng;
pub use synthetic::SyntheticFeatures;
