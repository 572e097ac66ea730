//! `trainer retrain` as a library: the edge's kept frames, labelled by a person, extend
//! an existing bundle's memory bank; the result is recalibrated, checked for parity like
//! a fresh fit, compared with the old bundle on the same evaluation images and written
//! only if it is not worse beyond a tolerance.
//!
//! ```text
//! captures (good/ defect/ or labels CSV) ─► goods ─ split ─► eval goods ─┐
//!                                            │                         ├─► old vs new (catch, FRR, AUROC)
//!                                            │              defects ───┘        │ worse? refuse
//!                                            └─ split ─► fit goods ─ old bundle's features.onnx ─► patches
//!                                                        │             ─ extend_bank (old entries kept) ─► new bank
//!                                                        └─► held-out goods ─ calibration ∨ parent thresholds
//! new bundle (lineage: parent SHA-256, datasets) ─ write <out>.unverified ─ parity ─ compare ─► rename to <out>
//! ```
//!
//! Always holds: the feature graph, preprocessing and score settings are the old
//! bundle's, byte for byte; the old bank's entries come first and unchanged (see
//! [`crate::bank::extend_bank`] for the int8 codec rule); evaluation images are never
//! used for the bank or the thresholds; `out` is only replaced by a bundle that passed the
//! parity check and the tolerance rule (or `force`), and survives any failure.

mod captures;
mod compare;
mod error;
mod run;

pub use captures::{load_labelled, Label, Labelled, LabelledFrame};
pub use compare::{compare, regressions, Comparison, Figures};
pub use error::RetrainError;
pub use run::{describe_codes, retrain, RetrainConfig, Retrained};
