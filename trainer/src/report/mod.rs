//! The evaluation report of one bundle on one labelled test set: figures, notes and the
//! worst cases, written as `report.json`, `report.md` and PNG overlays.
//!
//! - [`EvalRun`] / [`ImageRecord`]: what the caller measured (scores, heat maps, masks,
//!   latencies) plus the bundle facts (size, GMAC, thresholds, names).
//! - [`evaluate`] / [`evaluate_with`] → [`Report`]: every figure computed with
//!   [`crate::metrics`] (never re-implemented here), the confusion at the bundle threshold
//!   ([`Confusion`]), per-defect-type AUROC ([`DefectAuroc`]) and the worst cases
//!   ([`WorstCase`]).
//! - [`write_report`] → [`Written`]: `OUT/report.json`, `OUT/report.md` and
//!   `OUT/overlays/*.png` ([`overlay`] renders the panels, [`colormap`] the colours).
//! - [`ReportError`]: every way a run cannot be reported; each names the file involved.
//!
//! Always holds:
//! - scores are raw image scores (higher = more anomalous) and an image is rejected iff
//!   `score >= threshold`, as on the device;
//! - a figure that is undefined for the run (no defect image, no good image, no mask, no
//!   region) is `null` in JSON with a line in [`Report::notes`] saying why; it never fails
//!   the report. Malformed input (sizes, NaN) is a [`ReportError`];
//! - an anomalous image without a mask is left out of the pixel metrics (its pixels are
//!   unknown); an anomalous image with an *empty* mask (MVTec 3D `uneven`-style) counts for
//!   image metrics and adds only normal pixels, no region; a good image without a mask is
//!   all normal pixels;
//! - writers replace only the files they name, each atomically (temporary file in the same
//!   folder, then rename); nothing else in `OUT` is touched or deleted.

pub mod colormap;
mod compare;
mod error;
mod evaluate;
mod markdown;
pub mod overlay;
mod run;
mod write;

pub use compare::{comparison_markdown, write_comparison, COMPARISON_FILE};
pub use error::ReportError;
pub use evaluate::{
    evaluate, evaluate_with, select_worst, Confusion, DefectAuroc, ImageVerdict, Report,
    ReportOptions, WorstCase, DEFAULT_WORST_CASES, REPORT_VERSION,
};
pub use run::{EvalRun, ImageRecord};
pub use write::{write_report, Written, JSON_FILE, MARKDOWN_FILE, OVERLAY_DIR};
