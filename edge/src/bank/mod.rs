//! Memory-bank anomaly models, device half: the types the bundle's `bank` payload decodes
//! to, their nearest-neighbour search kernels and their patch scoring. Fitting (coreset
//! selection, codec fitting per location, Gaussian moments) lives in `trainer::bank`,
//! which re-exports everything here, so a bank is searched and scored by exactly one
//! implementation on the host and on the device.
//!
//! Inputs are plain row-major `&[f32]` with a `dim` (vector sets) or a [`GridShape`]
//! (per-image `height × width × dim` patch grids, images back to back).
//!
//! - [`F32Bank`] (exact reference) and [`Int8Bank`] (per-dimension affine [`Int8Codec`],
//!   integer dot products, exact re-rank): k-nearest-neighbour search through
//!   [`NearestNeighbours`].
//! - [`patch_map_into`] / [`score_image`] → [`PatchScores`]: PatchCore's patch-score map
//!   and reweighted image score (eq. 7, log-sum-exp).
//! - [`IvfBank`]: an [`Int8Bank`] with an inverted-file index (k-means lists): each
//!   query scans only its nearest lists, the fast global search.
//! - [`PositionBank`]: a small int8 bank per grid location (FAPM style).
//! - [`GaussianModel`]: PaDiM's per-location Gaussian and Mahalanobis distance.
//! - [`DirectMap`]: no search at all; the network outputs the map (teacher–student).
//! - [`codec`]: the little-endian byte layout of every model ([`BankModel`] reads any of
//!   them); bad bytes give a [`DecodeError`], bad inputs a [`BankError`].
//! - [`kernels`]: the distance kernels every search (and the trainer's coreset) uses.
//!
//! Always holds: distances are Euclidean (not squared) and patch scores are "higher = more
//! anomalous"; every entry point validates shapes and finiteness and returns an error
//! rather than panicking; results are deterministic, independent of the number of threads.

pub mod codec;
mod direct;
mod error;
mod gaussian;
mod ivf;
pub mod kernels;
mod patchcore;
mod position;
mod quant;
mod search;
mod shape;

pub use codec::BankModel;
pub use direct::DirectMap;
pub use error::{BankError, DecodeError};
pub use gaussian::{packed_len, GaussianModel};
pub use ivf::{IvfBank, IVF_QUERY_CHUNK};
pub use patchcore::{
    patch_map_into, reweight, score_image, weight_from_distances, PatchCoreConfig, PatchScores,
    DEFAULT_REWEIGHT_NEIGHBOURS,
};
pub use position::{location_window, PositionBank};
pub use quant::{Int8Codec, QuantizationReport, CODE_MAX};
pub use search::{
    F32Bank, Int8Bank, NearestNeighbours, Neighbours, BANK_TILE, QUERY_BLOCK, QUERY_CHUNK,
    RERANK_EXTRA,
};
pub use shape::{check_finite, check_rows, GridShape};
