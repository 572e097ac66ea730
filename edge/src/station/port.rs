//! [`LinePort`]: what the line loop needs from the reject station, whoever ticks it: a
//! thread of its own ([`super::ThreadedLine`], the device) or the loop itself on a
//! simulated clock ([`super::SteppedLine`], tests and replays).

use std::collections::VecDeque;

use shared::scheduler::{PartId, RejectReason, SchedulerError, Stats, Verdict, VerdictAck};

use crate::line::{Faults, LineStats, PinError};

/// A tracked part and when the station saw it, µs on the loop's clock (the tick that
/// accepted the photo-eye edge, or the tick before a free-run `trigger_now`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PartTrigger {
    /// The scheduler's id.
    pub part_id: PartId,
    /// When, µs.
    pub at_us: u64,
}

/// One reject the driver carried out, kept on simulated lines for the pulse summary
/// and tests. Positions are in the axis's unit ([`FireRecord::unit`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FireRecord {
    /// The rejected part.
    pub part_id: PartId,
    /// Why the scheduler rejected it.
    pub reason: RejectReason,
    /// Where the pulse was due: trigger + delay.
    pub scheduled_at: u64,
    /// Where it started (the tick that fired it).
    pub start_at: u64,
    /// Whether it merged into a pulse already on.
    pub merged: bool,
    /// `"µs"` or `"counts"`.
    pub unit: &'static str,
}

/// The station's counters and state, for summaries.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LineReport {
    /// Driver counters (ticks, triggers, pin failures, longest tick gap).
    pub stats: LineStats,
    /// Scheduler counters (passed, rejected by reason, late verdicts, late fires).
    pub scheduler: Stats,
    /// Faults latched (they keep the fault output asserted until an operator reset).
    pub faults: Faults,
    /// Whether the fault output is asserted as last driven (`None`: its write failed).
    pub fault_asserted: Option<bool>,
    /// Parts between camera and actuator.
    pub in_flight: usize,
    /// `"µs"` or `"counts"`: the unit of the scheduler's positions.
    pub unit: &'static str,
    /// Whether whatever ticks the driver is still running (a dead tick thread means no
    /// pulses: the loop stops).
    pub ticking: bool,
    /// Whether the tick thread runs at real-time priority (`SCHED_FIFO`): `None` where
    /// no thread ticks (a stepped line) or before it tried; `Some(false)` when refused.
    pub realtime: Option<bool>,
}

/// The loop's view of the reject station; see the [module docs](self).
pub trait LinePort {
    /// Whether parts come from a photo-eye (otherwise each frame is a part).
    fn has_trigger(&self) -> bool;

    /// The tick period, µs: the driver's timing resolution and the loop's idle wait.
    fn tick_period_us(&self) -> u64;

    /// Brings the driver up to the loop's clock (a stepped line ticks through the time
    /// that passed; a threaded one is always there).
    fn sync(&mut self);

    /// Waits `us` on the loop's clock while the driver keeps ticking.
    fn wait_us(&mut self, us: u64);

    /// A part at the camera now (free-run: the frame is the trigger).
    ///
    /// # Errors
    /// The scheduler refused it (queue full): untracked, fault latched by the driver.
    fn trigger_now(&mut self) -> Result<PartTrigger, SchedulerError>;

    /// Moves the parts the photo-eye triggered since the last call into `into`.
    fn take_triggered(&mut self, into: &mut VecDeque<PartTrigger>);

    /// Whether `part`'s verdict deadline has passed (or the part has already left).
    fn deadline_passed(&self, part: PartId) -> bool;

    /// Hands inspection's verdict to the scheduler (judged at the last tick).
    ///
    /// # Errors
    /// As [`shared::scheduler::Scheduler::on_verdict`].
    fn verdict(&mut self, part: PartId, verdict: Verdict) -> Result<VerdictAck, SchedulerError>;

    /// Declares the station ready or not; the fault output follows at the next tick.
    fn set_ready(&mut self, ready: bool);

    /// Whether no part is in flight and the reject line is low (safe to stop).
    fn is_idle(&self) -> bool;

    /// Whether the photo-eye is simulated: the loop presses it once per part
    /// ([`LinePort::press_trigger`]) instead of waiting for one.
    fn has_simulated_trigger(&self) -> bool;

    /// On a simulated line with a photo-eye, scripts one part edge starting just after
    /// now and returns true; false elsewhere.
    fn press_trigger(&mut self) -> bool;

    /// Counters and state.
    fn report(&self) -> LineReport;

    /// The rejects carried out so far, on simulated lines (empty on hardware).
    fn fires(&self) -> Vec<FireRecord>;

    /// Stops ticking, drops the reject line and asserts the fault output.
    ///
    /// # Errors
    /// The first pin write that failed.
    fn shutdown(&mut self) -> Result<(), PinError>;
}
