//! [`ConfigError`] and [`SchedulerError`]: one variant per refusal, each naming its numbers
//! and unit.

use super::PartId;

/// Why a [`super::Config`] was refused by [`super::Scheduler::new`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// A pulse of width 0 would never move the actuator.
    #[error("pulse width is 0 {unit}: set the actuator's minimum on-time (e.g. 20 ms of a valve)")]
    ZeroPulseWidth {
        /// Unit of the axis (`"µs"` or `"counts"`).
        unit: &'static str,
    },
    /// The deadline `fire_at − decision_margin` would not fall after the trigger, so every
    /// verdict would be late and every part rejected.
    #[error("decision margin {margin} {unit} must be smaller than the camera→actuator delay {delay} {unit}: lower the margin or move the actuator downstream")]
    MarginNotBelowDelay {
        /// The decision margin.
        margin: u64,
        /// The camera→actuator delay.
        delay: u64,
        /// Unit of the axis.
        unit: &'static str,
    },
}

/// Why the scheduler refused an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchedulerError {
    /// Every slot of the FIFO holds a part in flight: the new part was NOT tracked and
    /// will pass the actuator without a decision. The caller must raise the line's fault
    /// output (and usually stop the belt); the event is counted in
    /// [`super::Stats::overflows`].
    #[error("queue full: {capacity} parts already in flight, part triggered at {at} {unit} is untracked (raise the fault output; poll before triggering, or raise the capacity)")]
    QueueFull {
        /// The FIFO capacity `N`.
        capacity: usize,
        /// Trigger position of the refused part.
        at: u64,
        /// Unit of the axis.
        unit: &'static str,
    },
    /// `trigger + delay + pulse width` does not fit in a u64: the part was not tracked.
    /// Cannot happen with a clock or encoder that starts near zero.
    #[error("position overflow: trigger at {at} {unit} + delay + pulse width exceeds u64")]
    PositionOverflow {
        /// Trigger position of the refused part.
        at: u64,
        /// Unit of the axis.
        unit: &'static str,
    },
    /// A verdict names a part id this scheduler never issued.
    #[error("verdict for {part_id}, but the last part issued is {last_issued:?}")]
    UnknownPart {
        /// The id in the verdict.
        part_id: PartId,
        /// The newest id issued so far, `None` before the first trigger.
        last_issued: Option<PartId>,
    },
    /// A second verdict for a part still in flight. The first verdict stands, except that
    /// a rejection (`Defect`, `Failed`) always replaces a `Pass`.
    #[error("second verdict for {part_id} (first one kept unless this one rejects)")]
    DuplicateVerdict {
        /// The part.
        part_id: PartId,
    },
}
