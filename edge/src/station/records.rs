//! [`PartRecorder`]: where the loop writes each part down: the verdict log, and the
//! capture store for the frames worth keeping. [`Recorder`] joins the two; both take
//! injectable writers, so tests fill the disk.
//!
//! What always holds: recording never stops or delays a verdict (the scheduler has it
//! before anything is written) and a failure is returned and counted, never a panic;
//! the next part is recorded afresh.

use image::RgbImage;

use crate::record::{
    CaptureError, CaptureStore, FileSink, FsWriter, KeepOutcome, LineSink, LogError, StoreWriter,
    VerdictLog, VerdictRecord,
};

/// What recording one part did.
#[derive(Debug)]
pub struct Recorded {
    /// The log line: written, or why not.
    pub log: Result<(), LogError>,
    /// The capture: `None` without a store or without a frame.
    pub capture: Option<Result<KeepOutcome, CaptureError>>,
}

/// Counters of a recorder.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RecordCounts {
    /// Records written.
    pub written: u64,
    /// Records lost (write failed or refused).
    pub log_failures: u64,
    /// Frames kept.
    pub kept: u64,
    /// Frames selected but not stored.
    pub capture_failures: u64,
}

/// Writes parts down; see the [module docs](self).
pub trait PartRecorder {
    /// Logs `record` and offers `frame` (when there is one) to the capture store.
    fn record(&mut self, record: &VerdictRecord, frame: Option<&RgbImage>) -> Recorded;

    /// Counters so far.
    fn counts(&self) -> RecordCounts;
}

/// The verdict log plus an optional capture store.
#[derive(Debug)]
pub struct Recorder<L = FileSink, W = FsWriter> {
    log: VerdictLog<L>,
    captures: Option<CaptureStore<W>>,
}

impl<L: LineSink, W: StoreWriter> Recorder<L, W> {
    /// Records into `log` and, if given, `captures`.
    pub fn new(log: VerdictLog<L>, captures: Option<CaptureStore<W>>) -> Self {
        Self { log, captures }
    }

    /// Gives the log and the store back.
    pub fn into_parts(self) -> (VerdictLog<L>, Option<CaptureStore<W>>) {
        (self.log, self.captures)
    }
}

impl<L: LineSink, W: StoreWriter> PartRecorder for Recorder<L, W> {
    fn record(&mut self, record: &VerdictRecord, frame: Option<&RgbImage>) -> Recorded {
        let log = self.log.append(record);
        let capture = match (self.captures.as_mut(), frame) {
            (Some(store), Some(image)) => Some(store.keep(record, image)),
            _ => None,
        };
        Recorded { log, capture }
    }

    fn counts(&self) -> RecordCounts {
        let stats = self.captures.as_ref().map(CaptureStore::stats);
        RecordCounts {
            written: self.log.written(),
            log_failures: self.log.failed(),
            kept: stats.map_or(0, |s| s.kept),
            capture_failures: stats.map_or(0, |s| s.failed),
        }
    }
}
