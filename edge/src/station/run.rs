//! [`run`]: the line loop. Frames come from a [`FrameSource`], parts from the
//! [`LinePort`] (one per frame in free-run, one per photo-eye edge otherwise), verdicts
//! from an [`Inspect`], and every part ends in exactly one [`VerdictRecord`].
//!
//! # One part, step by step
//! 1. Free-run: a frame is read, then `trigger_now` makes it a part (a frame error is a
//!    part too: a reject). Photo-eye: the part's frame is the first frame captured at or
//!    after the tick that accepted its edge; older frames are dropped as stale. A
//!    simulated photo-eye (a replay on the simulated line with a trigger input) is
//!    pressed once per part: the next file is read first (so a finished replay makes no
//!    extra part), then the press, and the file is handed over as captured when the
//!    driver accepts the edge.
//! 2. If the part's deadline has already passed, it is not inspected (it is rejected as
//!    late whatever the verdict); otherwise the inspector scores the frame.
//! 3. The verdict goes to the scheduler first; then the record is logged and the frame
//!    offered to the capture store, so writing never delays a verdict.
//!
//! # What always holds
//! - A part gets `pass` only when its frame was inspected, the score is finite, and the
//!   scheduler accepted the pass before the deadline. A frame error, an inspector error,
//!   a missing frame or a verdict at or after the deadline is a reject with its reason
//!   ([`Reason`](crate::record::Reason)); the scheduler fires for it.
//! - The fault output follows the source: the station is ready while
//!   [`FrameSource::is_healthy`] holds, not ready (fault asserted) otherwise; reading
//!   goes on (a reconnecting camera retries on each read).
//! - A failed log or capture write is counted and reported, and the loop goes on.
//! - At the end (source ended, `max_parts`, stop flag, tick thread gone) the station is
//!   declared not ready, parts still waiting for a frame are rejected, parts in flight
//!   get up to `drain_timeout_us` to reach the actuator, then the line is shut down.
//! - A new model (hot deployment, [`crate::deploy`]) only takes over between two parts:
//!   every part is scored by exactly one model, named in its record.
//! - Per part, the loop itself allocates nothing: the record, its strings, the queue of
//!   waiting parts and the latency histogram are reused. (The source's decoded frame,
//!   the log line and a kept capture are allocated by their modules.)

use std::collections::VecDeque;
use std::error::Error;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use super::decide::elapsed_us;
use super::inspect::Inspect;
use super::part::RecordScratch;
use super::port::{FireRecord, LinePort, LineReport, PartTrigger};
use super::records::{PartRecorder, RecordCounts};
use super::summary::Summary;
use crate::clock::SharedClock;
use crate::line::{PinError, LINE_CAPACITY};
use crate::record::VerdictRecord;
use crate::source::{Frame, FrameSource, SourceError};

/// The scheduler's defect code for "image score at or above the bundle's threshold".
pub const DEFECT_CODE: u16 = 0;

/// What the loop runs on. The loop borrows everything, so the caller keeps the pieces
/// (e.g. a test reads the simulated line and the log afterwards).
pub struct Station<'a> {
    /// Frames.
    pub source: &'a mut dyn FrameSource,
    /// Scores.
    pub inspector: &'a mut dyn Inspect,
    /// The reject station.
    pub line: &'a mut dyn LinePort,
    /// Verdict log and capture store.
    pub recorder: &'a mut dyn PartRecorder,
    /// The loop's clock: the same one the source stamps frames with.
    pub clock: SharedClock,
    /// Set (e.g. by SIGTERM) to stop after the current part.
    pub stop: &'a AtomicBool,
}

/// How the loop runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoopOptions {
    /// Stop after this many parts; `None`: until the source ends or the stop flag.
    pub max_parts: Option<u64>,
    /// Free-run and the simulated photo-eye: at least this long between parts, µs (file
    /// replays; 0 for cameras, which pace themselves).
    pub part_interval_us: u64,
    /// Photo-eye mode: read and discard frames while no part waits. Cameras: keeps the
    /// driver's queue fresh and notices a lost camera at once. Files: false (each file is
    /// a part). An unhealthy source is read while idle either way, so that a lost camera
    /// keeps reconnecting while the line stands.
    pub read_while_idle: bool,
    /// Photo-eye mode: frames older than a part's trigger dropped before the part is
    /// rejected as having no frame.
    pub max_stale_frames: u32,
    /// Hand the summary to the observer every this many parts.
    pub summary_every: Option<u64>,
    /// At the end, how long parts in flight may take to reach the actuator, µs.
    pub drain_timeout_us: u64,
}

impl Default for LoopOptions {
    fn default() -> Self {
        Self {
            max_parts: None,
            part_interval_us: 0,
            read_while_idle: false,
            max_stale_frames: 8,
            summary_every: None,
            drain_timeout_us: 2_000_000,
        }
    }
}

/// Why the loop stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopReason {
    /// The source has no more frames (end of a folder or recording).
    SourceEnded,
    /// `max_parts` parts were recorded.
    MaxParts,
    /// The stop flag was set (SIGTERM, SIGINT).
    Signal,
    /// The line's tick thread stopped: no pulse could fire any more.
    LineStopped,
}

/// What a run did.
#[derive(Debug)]
pub struct RunReport {
    /// Parts, verdicts, latency, failures.
    pub summary: Summary,
    /// The recorder's counters.
    pub records: RecordCounts,
    /// The station's counters after the drain.
    pub line: LineReport,
    /// The rejects carried out (simulated lines only).
    pub fires: Vec<FireRecord>,
    /// Why the loop stopped.
    pub stop: StopReason,
    /// Dropping the reject line and asserting the fault output at the end.
    pub shutdown: Result<(), PinError>,
}

/// Hears about the run as it goes; every method defaults to nothing.
pub trait Observer {
    /// A part's record, as logged (or as it failed to be logged), and its trigger.
    fn part(&mut self, _record: &VerdictRecord, _trigger: PartTrigger) {}
    /// The summary so far, every `summary_every` parts.
    fn summary(&mut self, _summary: &Summary) {}
    /// Something went wrong around a part (a write failed, the camera went away).
    fn warning(&mut self, _message: &dyn fmt::Display) {}
    /// The station changed state for the better (the camera delivers again: ready).
    fn notice(&mut self, _message: &dyn fmt::Display) {}
}

/// An [`Observer`] that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Observer for Quiet {}

/// `context: error: source: …`, printed without allocating.
pub struct Chain<'a>(pub &'a str, pub &'a dyn Error);

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)?;
        let mut next: Option<&dyn Error> = Some(self.1);
        while let Some(e) = next {
            write!(f, ": {e}")?;
            next = e.source();
        }
        Ok(())
    }
}

/// Runs the line loop until the source ends, `max_parts`, the stop flag or a dead tick
/// thread; see the [module docs](self).
pub fn run(station: Station<'_>, options: &LoopOptions, observer: &mut dyn Observer) -> RunReport {
    let mut state = LineLoop {
        st: station,
        opts: options,
        observer,
        pending: VecDeque::with_capacity(LINE_CAPACITY),
        scratch: RecordScratch::new(),
        summary: Summary::default(),
        ready: false,
        ended: false,
        last_part_us: None,
        stale_for_front: 0,
        lookahead: None,
    };
    let stop = state.run_parts();
    let shutdown = state.finish();
    state.summary.deploy = state.st.inspector.deploy_counts();
    RunReport {
        records: state.st.recorder.counts(),
        line: state.st.line.report(),
        fires: state.st.line.fires(),
        summary: state.summary,
        stop,
        shutdown,
    }
}

pub(super) struct LineLoop<'a, 'o> {
    pub(super) st: Station<'a>,
    pub(super) opts: &'o LoopOptions,
    pub(super) observer: &'o mut dyn Observer,
    /// Photo-eye parts waiting for their frame, oldest first.
    pub(super) pending: VecDeque<PartTrigger>,
    pub(super) scratch: RecordScratch,
    pub(super) summary: Summary,
    pub(super) ready: bool,
    pub(super) ended: bool,
    pub(super) last_part_us: Option<u64>,
    /// Stale frames dropped for the oldest waiting part.
    pub(super) stale_for_front: u32,
    /// Simulated photo-eye: the next part's frame (or error), read before the press.
    pub(super) lookahead: Option<(Result<Option<Frame>, SourceError>, u64)>,
}

impl LineLoop<'_, '_> {
    fn run_parts(&mut self) -> StopReason {
        self.st.line.sync();
        self.update_ready();
        let photo_eye = self.st.line.has_trigger();
        loop {
            if self.st.stop.load(Ordering::SeqCst) {
                return StopReason::Signal;
            }
            if self.ended {
                return StopReason::SourceEnded;
            }
            if self.opts.max_parts.is_some_and(|n| self.summary.parts >= n) {
                return StopReason::MaxParts;
            }
            if !self.st.line.report().ticking {
                return StopReason::LineStopped;
            }
            // Between two parts: the only moment a model may be swapped.
            self.st.inspector.between_parts(self.observer);
            self.summary.deploy = self.st.inspector.deploy_counts();
            if photo_eye {
                self.photo_eye_step();
            } else {
                self.free_run_step();
            }
        }
    }

    /// Reads one frame, timing capture and conversion; a frame read ahead for the
    /// simulated photo-eye is handed over first, stamped as captured now.
    fn capture(&mut self) -> (Result<Option<Frame>, SourceError>, u64) {
        if let Some((mut result, capture_us)) = self.lookahead.take() {
            if let Ok(Some(frame)) = &mut result {
                frame.captured_us = self.st.clock.now_us();
            }
            return (result, capture_us);
        }
        let started = Instant::now();
        let result = self.st.source.next_frame();
        let capture_us = elapsed_us(started);
        self.update_ready();
        (result, capture_us)
    }

    /// Waits until `part_interval_us` after the last part.
    fn pace(&mut self) {
        let Some(last) = self.last_part_us else {
            return;
        };
        let due = last.saturating_add(self.opts.part_interval_us);
        let now = self.st.clock.now_us();
        if due > now {
            self.st.line.wait_us(due - now);
        }
    }

    fn free_run_step(&mut self) {
        self.pace();
        self.st.line.sync();
        let (result, capture_us) = self.capture();
        let frame = match result {
            Ok(None) => {
                self.ended = true;
                return;
            }
            Ok(Some(frame)) => Ok(frame),
            Err(e) => Err(e),
        };
        self.st.line.sync();
        let trigger = match self.st.line.trigger_now() {
            Ok(trigger) => trigger,
            Err(e) => {
                self.summary.untracked_frames += 1;
                let message = Chain("frame dropped: no part could be tracked for it", &e);
                self.observer.warning(&message);
                return;
            }
        };
        self.last_part_us = Some(trigger.at_us);
        match frame {
            Ok(frame) => self.inspect_part(trigger, &frame, capture_us),
            Err(e) => self.reject_frame_error(trigger, &e),
        }
    }

    fn photo_eye_step(&mut self) {
        self.st.line.take_triggered(&mut self.pending);
        if self.pending.is_empty() {
            if self.st.line.has_simulated_trigger() {
                // The part's file first: a finished replay must not make one more part.
                if self.lookahead.is_none() {
                    let read = self.capture();
                    if matches!(read.0, Ok(None)) {
                        self.ended = true;
                        return;
                    }
                    self.lookahead = Some(read);
                }
                self.press_simulated_trigger();
                return;
            }
            if !self.opts.read_while_idle && self.st.source.is_healthy() {
                let period = self.st.line.tick_period_us();
                self.st.line.wait_us(period);
                return;
            }
        }
        let (result, capture_us) = self.capture();
        // Parts that came while the frame was awaited may own it.
        self.st.line.take_triggered(&mut self.pending);
        let Some(&trigger) = self.pending.front() else {
            match result {
                Ok(Some(_)) => self.summary.idle_frames += 1,
                Ok(None) => self.ended = true,
                Err(e) => {
                    self.summary.idle_frame_errors += 1;
                    self.observer
                        .warning(&Chain("no part waiting; reading a frame failed", &e));
                }
            }
            return;
        };
        match result {
            Ok(Some(frame)) if frame.captured_us < trigger.at_us => {
                self.summary.stale_frames += 1;
                self.stale_for_front += 1;
                if self.stale_for_front > self.opts.max_stale_frames {
                    self.next_pending();
                    let n = self.stale_for_front;
                    self.reject_no_frame(
                        trigger,
                        format_args!("no frame captured after the trigger ({n} older dropped)"),
                    );
                }
            }
            Ok(Some(frame)) => {
                self.next_pending();
                self.inspect_part(trigger, &frame, capture_us);
            }
            Ok(None) => {
                self.next_pending();
                self.ended = true;
                self.reject_no_frame(trigger, format_args!("the source ended first"));
            }
            Err(e) => {
                self.next_pending();
                self.reject_frame_error(trigger, &e);
            }
        }
    }

    fn next_pending(&mut self) {
        self.pending.pop_front();
        self.stale_for_front = 0;
    }

    /// Simulated photo-eye: one press per part, paced, then the ticks until the driver
    /// accepts it (debounce + a tick).
    fn press_simulated_trigger(&mut self) {
        self.pace();
        self.st.line.sync();
        if !self.st.line.press_trigger() {
            return;
        }
        self.last_part_us = Some(self.st.clock.now_us());
        let period = self.st.line.tick_period_us();
        // A press is seen within its debounce + 3 ticks; give up after a second.
        for _ in 0..(1_000_000 / period).max(10) {
            self.st.line.wait_us(period);
            self.st.line.take_triggered(&mut self.pending);
            if !self.pending.is_empty() || self.st.stop.load(Ordering::SeqCst) {
                return;
            }
        }
        self.observer
            .warning(&"the simulated photo-eye press was not seen by the line driver");
    }

    /// The fault output follows the source's health.
    fn update_ready(&mut self) {
        let healthy = self.st.source.is_healthy();
        if healthy == self.ready {
            return;
        }
        self.ready = healthy;
        self.st.line.set_ready(healthy);
        if healthy {
            self.observer
                .notice(&"source delivering: station ready (fault output released)");
        } else {
            self.summary.camera_losses += 1;
            self.observer.warning(
                &"source unhealthy: fault output asserted, parts rejected until it delivers",
            );
        }
    }

    /// Not ready; parts without a frame rejected; parts in flight drained; line down.
    fn finish(&mut self) -> Result<(), PinError> {
        self.ready = false;
        self.st.line.set_ready(false);
        self.st.line.sync();
        self.reject_waiting_parts();
        let period = self.st.line.tick_period_us();
        let start = self.st.clock.now_us();
        while !self.st.line.is_idle()
            && self.st.line.report().ticking
            && self.st.clock.now_us().saturating_sub(start) < self.opts.drain_timeout_us
        {
            self.st.line.wait_us(period);
        }
        // Photo-eye parts that came during the drain.
        self.reject_waiting_parts();
        self.st.line.shutdown()
    }

    fn reject_waiting_parts(&mut self) {
        self.st.line.take_triggered(&mut self.pending);
        while let Some(trigger) = self.pending.pop_front() {
            self.reject_no_frame(trigger, format_args!("the run stopped before its frame"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::part::write_chain;
    use super::*;

    #[test]
    fn chains_print_every_source() {
        let inner = std::io::Error::other("no space left");
        let err = SourceError::Write {
            path: "/x/y.png".into(),
            source: inner,
        };
        let text = Chain("recording", &err).to_string();
        assert_eq!(text, "recording: cannot write /x/y.png: no space left");
        let mut s = String::new();
        write_chain(&mut s, &err);
        assert_eq!(s, "cannot write /x/y.png: no space left");
    }
}
