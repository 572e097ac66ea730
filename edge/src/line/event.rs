//! What the line driver reports: [`LineEvent`]s per tick, latched [`Faults`] and
//! [`LineStats`] counters.

use std::fmt;

use shared::scheduler::{Axis, PartId, Position, RejectReason, SchedulerError};

use super::error::PinError;

/// Why the driver asserted the fault output on its own (besides "not ready").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultCause {
    /// A pin read or write failed: the reject or a trigger may have been lost.
    Pin,
    /// A trigger was refused (too many parts in flight): that part passes the actuator
    /// without a decision.
    UntrackedPart,
    /// A reject fired later than its pulse width: it probably missed its part.
    MissedPart,
}

impl fmt::Display for FaultCause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultCause::Pin => "GPIO access failed",
            FaultCause::UntrackedPart => "a part was not tracked (queue full)",
            FaultCause::MissedPart => "a reject fired too late to hit its part",
        })
    }
}

/// Faults latched since the last [`super::LineDriver::clear_faults`]. Any of them keeps
/// the fault output asserted.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Faults {
    /// See [`FaultCause::Pin`].
    pub pin: bool,
    /// See [`FaultCause::UntrackedPart`].
    pub untracked_part: bool,
    /// See [`FaultCause::MissedPart`].
    pub missed_part: bool,
}

impl Faults {
    /// Whether any fault is latched.
    #[must_use]
    pub const fn any(&self) -> bool {
        self.pin || self.untracked_part || self.missed_part
    }

    /// Whether `cause` is latched.
    #[must_use]
    pub const fn has(&self, cause: FaultCause) -> bool {
        match cause {
            FaultCause::Pin => self.pin,
            FaultCause::UntrackedPart => self.untracked_part,
            FaultCause::MissedPart => self.missed_part,
        }
    }

    /// Latches `cause`; returns whether it was new.
    pub fn latch(&mut self, cause: FaultCause) -> bool {
        let new = !self.has(cause);
        match cause {
            FaultCause::Pin => self.pin = true,
            FaultCause::UntrackedPart => self.untracked_part = true,
            FaultCause::MissedPart => self.missed_part = true,
        }
        new
    }
}

/// Something that happened in one tick, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LineEvent<A: Axis> {
    /// The photo-eye saw a part: inspect its frame and report the verdict for `part_id`.
    Triggered {
        /// The part's id.
        part_id: PartId,
        /// Its trigger position.
        at: Position<A>,
    },
    /// The photo-eye saw a part the scheduler could not take; the fault is latched.
    TriggerRefused(SchedulerError),
    /// The reject line was asked to go active for a part.
    Fired {
        /// The rejected part.
        part_id: PartId,
        /// Why.
        reason: RejectReason,
        /// Where the pulse was due.
        scheduled_at: Position<A>,
        /// This tick's position (where it started).
        start_at: Position<A>,
        /// Whether the line was already active for an earlier part.
        merged: bool,
    },
    /// A part reached the actuator with a pass verdict.
    Passed {
        /// The part.
        part_id: PartId,
        /// Its actuator position.
        at: Position<A>,
    },
    /// The (merged) pulse ended.
    PulseEnded {
        /// Where it was due to end.
        scheduled_at: Position<A>,
        /// This tick's position.
        at: Position<A>,
    },
    /// The reject line was dropped after the maximum on-time (belt stopped on the
    /// encoder axis); it goes active again at the next reject.
    PulseCapped {
        /// How long it had been on, µs.
        on_for_us: u64,
    },
    /// A pin access failed (counted in [`LineStats`], fault latched).
    PinFailed(PinError),
    /// A fault was latched for the first time since the last clear.
    FaultLatched(FaultCause),
}

/// Counters since the driver was built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct LineStats {
    /// Ticks run.
    pub ticks: u64,
    /// Triggers accepted (photo-eye or free-run).
    pub triggers: u64,
    /// Triggers refused: untracked parts.
    pub refused_triggers: u64,
    /// Failed input reads.
    pub pin_read_failures: u64,
    /// Failed output writes.
    pub pin_write_failures: u64,
    /// Reject pulses cut by the maximum on-time.
    pub capped_pulses: u64,
    /// Longest time between two ticks, µs: the worst timing error of a pulse edge.
    pub max_tick_gap_us: u64,
}
