//! The metrics the anomaly-detection field reports, exact on ties: image and pixel AUROC,
//! AUPRO, pixel AUPR (average precision) and F1-max.
//!
//! - [`roc_auc`] / [`pixel_auroc`]: area under ROC, ties as one ROC step (sklearn's
//!   `roc_auc_score`).
//! - [`average_precision`] / [`pixel_average_precision`]: sklearn's
//!   `average_precision_score`, reported as pixel AUPR.
//! - [`f1_max`] → [`F1Max`]: best F1 over all thresholds with its operating point.
//! - [`aupro`]: per-region overlap integrated to an FPR limit ([`DEFAULT_FPR_LIMIT`] = 0.3),
//!   over regions found by [`connected_components`] (8-connectivity).
//! - [`MetricError`]: every way inputs can be unusable.
//!
//! Always holds: scores are f32, higher = more anomalous; labels and mask pixels are
//! `true` = anomalous; a sample is predicted anomalous iff `score >= threshold`, and the
//! thresholds are exactly the distinct scores (no grid). Every metric sorts once,
//! O(n log n), and never panics on bad data (NaN, length or class problems are errors).
//! Reference values from scikit-learn/scipy are pinned in `tests/metrics_reference.rs`.

mod components;
mod error;
mod precision_recall;
mod pro;
mod ranking;
mod roc;

pub use components::connected_components;
pub use error::MetricError;
pub use precision_recall::{average_precision, f1_max, pixel_average_precision, F1Max};
pub use pro::{aupro, ImageSize, DEFAULT_FPR_LIMIT};
pub use roc::{pixel_auroc, roc_auc};
