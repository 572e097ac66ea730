//! `trainer eval` as a library: a bundle, read from disk by the edge's inspector, scored
//! on a labelled test set; heat maps resampled onto each image's own size, then
//! [`crate::report`].

mod heatmap;
mod run;

pub use heatmap::heatmap_on_frame;
pub use run::{evaluate_bundle, score_test_set, EvalConfig, EvalError, Evaluated};
