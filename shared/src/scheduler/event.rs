//! What goes in ([`Verdict`]) and what comes out ([`Action`], [`VerdictAck`], [`Stats`]).

use core::fmt;

use super::axis::{Axis, Position, Span};

/// Identifies one tracked part: issued by [`super::Scheduler::on_trigger`], consecutive
/// from 0 in trigger order; a refused trigger does not consume an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartId(pub u64);

impl fmt::Display for PartId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "part #{}", self.0)
    }
}

/// What inspection concluded about one part.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Good part: let it pass.
    Pass,
    /// Defective part: reject it.
    Defect {
        /// Why, as the inspector numbers it (e.g. 0 = anomaly score over threshold);
        /// carried unchanged to [`RejectReason::Defect`].
        code: u16,
    },
    /// The part could not be inspected (frame lost, camera error, non-finite score):
    /// reject it, never pass a part that was not inspected.
    Failed,
}

impl Verdict {
    /// True for `Defect` and `Failed`.
    #[must_use]
    pub const fn rejects(self) -> bool {
        !matches!(self, Verdict::Pass)
    }
}

/// Why a part is rejected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// Inspection found a defect ([`Verdict::Defect`]).
    Defect {
        /// The inspector's code, from the verdict.
        code: u16,
    },
    /// No verdict before the part's deadline (fail-safe).
    Late,
    /// Inspection failed ([`Verdict::Failed`]).
    Failed,
}

/// What [`super::Scheduler::on_verdict`] did with a verdict that was not an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum VerdictAck {
    /// Recorded: the part's outcome follows the verdict.
    Accepted,
    /// The part's deadline had passed: ignored, the part is rejected as
    /// [`RejectReason::Late`]; counted in [`Stats::late_verdicts_ignored`].
    IgnoredLate,
    /// The part has already left the actuator (outcome emitted): ignored; counted in
    /// [`Stats::late_verdicts_ignored`].
    IgnoredRetired,
}

/// One thing the caller must do, returned by [`super::Scheduler::poll`] in order.
///
/// Every tracked part gets exactly one outcome: a `Fire` (rejected) or a `Pass`. The
/// reject line is high from a `Fire` that finds it low to the next `Release`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action<A: Axis> {
    /// Drive the reject line high (a no-op if it is already, see `merged`): this part is
    /// rejected. The line must then stay high until a [`Action::Release`].
    Fire {
        /// The rejected part.
        part_id: PartId,
        /// Why.
        reason: RejectReason,
        /// Where the pulse should start: the part's `fire_at = trigger + delay`.
        scheduled_at: Position<A>,
        /// Where it started: the poll's position; later than `scheduled_at` only when
        /// the caller polled late ([`Action::late_by`]).
        start_at: Position<A>,
        /// Where this part's pulse ends: `start_at + pulse_width` (a late pulse keeps
        /// its full width). The line is released at the latest `end_at` of merged pulses.
        end_at: Position<A>,
        /// True when the line was already high for an earlier part: the pulses merge.
        merged: bool,
    },
    /// The part reached the actuator with a `Pass` verdict: no pulse.
    Pass {
        /// The passed part.
        part_id: PartId,
        /// Its actuator position `fire_at`.
        at: Position<A>,
    },
    /// Drive the reject line low: the last merged pulse has ended.
    Release {
        /// Where it should go low: the latest `end_at` of the merged pulses.
        scheduled_at: Position<A>,
        /// The poll's position (later than `scheduled_at` when polled late).
        at: Position<A>,
    },
}

impl<A: Axis> Action<A> {
    /// The part this action is the outcome of; `None` for `Release`.
    #[must_use]
    pub const fn part_id(&self) -> Option<PartId> {
        match self {
            Action::Fire { part_id, .. } | Action::Pass { part_id, .. } => Some(*part_id),
            Action::Release { .. } => None,
        }
    }

    /// How much later than scheduled the caller acted (poll position − scheduled
    /// position); zero for `Pass` and whenever the caller polled on time. A `Fire` late
    /// by a pulse width or more probably missed its part: treat as a fault.
    #[must_use]
    pub fn late_by(&self) -> Span<A> {
        match *self {
            Action::Fire {
                scheduled_at,
                start_at,
                ..
            } => start_at.saturating_since(scheduled_at),
            Action::Release { scheduled_at, at } => at.saturating_since(scheduled_at),
            Action::Pass { .. } => Span::ZERO,
        }
    }
}

/// Counters since [`super::Scheduler::new`]. Always
/// `triggered = passed + rejected_defect + rejected_late + rejected_failed + in flight`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Stats {
    /// Parts accepted by `on_trigger` (ids issued).
    pub triggered: u64,
    /// Parts that reached the actuator with a `Pass` verdict.
    pub passed: u64,
    /// Parts rejected for a `Defect` verdict.
    pub rejected_defect: u64,
    /// Parts rejected because no verdict arrived before the deadline (fail-safe).
    pub rejected_late: u64,
    /// Parts rejected for a `Failed` verdict.
    pub rejected_failed: u64,
    /// Verdicts ignored because they came at or after their part's deadline, or after
    /// the part had left (which cannot be told apart from a duplicate verdict then).
    pub late_verdicts_ignored: u64,
    /// Verdicts for a part that already had one (`DuplicateVerdict` errors).
    pub duplicate_verdicts: u64,
    /// Triggers refused because the FIFO was full (`QueueFull` errors): untracked parts.
    pub overflows: u64,
    /// `Fire` actions that started after their scheduled position (caller polled late).
    pub fired_late: u64,
    /// Largest `Fire` lateness seen, in the axis's unit.
    pub max_fire_late_by: u64,
    /// Events whose `now` was behind the newest position seen (clamped to it).
    pub time_regressions: u64,
}
