//! The line loop (`edge run`): camera frames → inspector → verdict → reject scheduler →
//! GPIO pulse, with a verdict record for every part.
//!
//! - [`run()`] is the loop, over a [`Station`]: a [`FrameSource`](crate::source::FrameSource),
//!   an [`Inspect`] (the [`Inspector`](crate::inspector::Inspector) or a test wrapper), a
//!   [`LinePort`] and a [`PartRecorder`]; it returns a [`RunReport`] with the [`Summary`].
//! - [`LinePort`] is the reject station as the loop sees it. [`ThreadedLine`] ticks the
//!   [`LineDriver`](crate::line::LineDriver) on a thread of its own at 1 kHz (the
//!   device; pulses land on time while a frame is inspected); [`SteppedLine`] is ticked
//!   by the loop through every period of a simulated clock (tests, replays: exact and
//!   without waiting). Both read a [`LineClock`] tied to the loop's clock.
//! - [`Recorder`] writes the verdict log and keeps frames in the capture store.
//! - [`open_station`] builds all of it from a board profile and `edge run`'s options.
//! - [`bench`](mod@bench) times the inspector stage by stage (`edge bench`); [`check`] probes a
//!   board (`edge check`).
//!
//! The rules (which part passes, when the fault output is asserted, what happens at the
//! end) are in [`run()`]'s module docs; the threading and timing choices in
//! `docs/decisions.md`.

pub mod bench;
pub mod check;
pub mod clock;
mod decide;
pub mod inspect;
pub mod latency;
mod part;
pub mod port;
pub mod records;
pub mod run;
pub mod session;
pub mod setup;
pub mod stepped;
pub mod summary;
pub mod threaded;
mod tick;
pub mod truth;

pub use clock::LineClock;
pub use inspect::{BundleTag, Inspect, InspectOutcome};
pub use latency::{percentile_of_sorted, LatencyHistogram};
pub use port::{FireRecord, LinePort, LineReport, PartTrigger};
pub use records::{PartRecorder, RecordCounts, Recorded, Recorder};
pub use run::{
    run, Chain, LoopOptions, Observer, Quiet, RunReport, Station, StopReason, DEFECT_CODE,
};
pub use setup::{
    camera_config, drain_timeout_us, open_io, open_source, open_station, source_spec, start_line,
    CaptureChoice, OpenError, OpenStation, RunSettings, FILE_PART_INTERVAL_US, TICK_PERIOD_US,
};
pub use stepped::SteppedLine;
pub use summary::{RejectCounts, Summary, TruthCounts};
pub use threaded::{StartError, ThreadedLine, RT_PRIORITY};
pub use tick::StationDriver;
pub use truth::{truth_of, truth_of_path, Truth};
