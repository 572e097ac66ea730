//! What the edge writes down about each part: the verdict log and the capture store.
//!
//! - [`VerdictRecord`]: one part's outcome (ids, times, score, verdict, reason, stage
//!   latencies, frame origin). Its invariant: a `pass` always comes from an inspection
//!   with a score; [`VerdictRecord::check`] enforces it on writing and on reading.
//! - [`VerdictLog`]: appends records as JSON lines, one write and flush per record, so a
//!   crash loses at most the record being written; a failed write is returned (the
//!   caller counts it), never a panic. [`read_verdict_log`] parses a log back, dropping
//!   a crash-truncated last line and naming the line of any other corruption.
//! - [`CaptureStore`]: keeps frames for retraining (rejects, near-threshold parts and a
//!   deterministic sample of clear passes, by [`CapturePolicy`]) as PNG + JSON sidecar,
//!   within a byte quota, evicting oldest first, with atomic writes. A full or unwritable
//!   disk is an error for that part only: inspection never waits on or stops for it.

pub mod capture;
pub mod log;
pub mod policy;
pub mod verdict;

pub use capture::{
    latest_captures, CaptureError, CaptureStats, CaptureStore, FsWriter, KeepOutcome, Sidecar,
    StoreWriter, SIDECAR_VERSION,
};
pub use log::{
    parse_verdict_log, read_verdict_log, FileSink, LineSink, LogContents, LogError, VerdictLog,
};
pub use policy::{CapturePolicy, KeepReason, PolicyError};
pub use verdict::{InvalidRecord, Reason, Score, StageLatency, Verdict, VerdictRecord};
