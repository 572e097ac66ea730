//! `trainer fit` as a library: good images → teacher patch features → memory-bank model →
//! calibration → bundle → parity check through the edge's own inspector. The
//! teacher–student model (`ModelChoice::Student`) replaces the middle: a feature student
//! and an anomaly student are distilled and the bundle's graph outputs the map itself.
//!
//! ```text
//! dataset train/good ─ split ─► fit images ─ FeatureExtractor ─► patch features
//!                        │        (teacher, or with --features student a student distilled from it)
//!                        │                      ─ model (bank | position | gaussian) ─► BankModel
//!                        └────► held-out images ─ Inspector(in-memory bundle) ─► calibration
//! bundle (thresholds, stats, provenance) ─ write <out>.unverified ─ Inspector::open ─ parity ─► rename to <out>
//! ```
//!
//! Always holds: the file at `out` is only ever replaced by a bundle whose held-out scores,
//! read back from disk by [`edge::inspector::Inspector`], match the trainer's own
//! computation (in-memory model, trainer feature plan) within [`FitConfig::parity_tolerance`];
//! an existing file at `out` survives any failure.

mod config;
mod distil;
mod error;
mod manifest;
mod model;
mod parity;
mod progress;
mod run;
mod split;

pub use config::{
    BankSearch, FeatureSource, FitConfig, ModelChoice, Precision, DEFAULT_ANOMALY_HARD_QUANTILE,
    DEFAULT_LAYERS_ARG, DEFAULT_MAX_ENTRIES,
};
pub use distil::StudentSummary;
pub use error::FitError;
pub use manifest::{ANOMALY_STUDENT_KEY, LAYERS_KEY, STUDENT_KEY, TEACHER_KEY};
pub use model::{direct_map, fit_model, FittedModel};
pub use parity::{check_parity, Parity};
pub(crate) use progress::bar as progress_bar;
pub(crate) use run::{
    apply_calibration, calibrate_bundle, check as check_settings, load_images, promote,
    write_unverified,
};
pub use run::{fit, unverified_path, Fitted};
pub use split::holdout_split;
