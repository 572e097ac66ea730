//! [`Config`]: where the actuator sits and how it fires, on one axis.

use super::axis::{Axis, Span};

/// Geometry and timing of one reject station, all on the axis `A` (µs or encoder counts).
///
/// ```text
/// trigger ──────────── delay ────────────► fire_at ── pulse_width ──► end
///                      deadline ◄─ margin ─┘
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Config<A: Axis> {
    /// Camera trigger → actuator, in the axis's unit: distance / belt speed in µs, or
    /// encoder counts over the distance ([`Span::travel_time`], [`Span::travel_counts`]).
    /// Must exceed `decision_margin`.
    pub delay: Span<A>,
    /// How long the reject line stays high per part, in the axis's unit, `> 0`. On the
    /// encoder axis the pulse ends after this many counts, so it stretches when the belt
    /// slows and holds while it stands (the part stays in front of the actuator).
    pub pulse_width: Span<A>,
    /// How long before `fire_at` a verdict must have arrived, in the axis's unit,
    /// `0 ≤ margin < delay`: time the caller needs between decision and firing (arming a
    /// hardware timer, bus latency). A verdict at or after `fire_at − margin` is late.
    pub decision_margin: Span<A>,
}

impl<A: Axis> Config<A> {
    /// Smallest FIFO capacity `N` that never overflows when consecutive triggers are at
    /// least `min_pitch` apart (in the axis's unit) and the caller polls before
    /// triggering: `⌈delay / min_pitch⌉`, plus one for a trigger handled before the poll
    /// at the same position. `None` when `min_pitch` is 0.
    #[must_use]
    pub fn capacity_for_pitch(&self, min_pitch: Span<A>) -> Option<usize> {
        if min_pitch.get() == 0 {
            return None;
        }
        let parts = self.delay.get().div_ceil(min_pitch.get()).saturating_add(1);
        Some(usize::try_from(parts).unwrap_or(usize::MAX))
    }
}
