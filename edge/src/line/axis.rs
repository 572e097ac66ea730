//! [`LineAxis`]: how the driver reads a scheduler position ([`Micros`] or
//! [`EncoderCounts`]) off the clock and the encoder at each tick.

use shared::scheduler::{Axis, EncoderCounts, Micros, Position, Span};

/// A scheduler axis the line driver can run on.
pub trait LineAxis: Axis {
    /// Whether this axis needs an encoder input.
    const NEEDS_ENCODER: bool;

    /// The position at a tick, from the clock (`now_us`) and the encoder count read in
    /// the same tick (`None` when there is none or it could not be read).
    fn at_tick(now_us: u64, encoder_counts: Option<u64>) -> Option<Position<Self>>;

    /// Where a part edge accepted in this tick happened: `edge_at_us` lies in
    /// `(previous tick, now]`; `tick` is this tick's position.
    fn trigger_position(edge_at_us: u64, tick: Position<Self>) -> Position<Self>;

    /// How much of the debounce the driver can take off the scheduler's delay so that the
    /// pulse is timed from the physical edge rather than from its acceptance.
    fn debounce_span(debounce_us: u64) -> Span<Self>;
}

impl LineAxis for Micros {
    const NEEDS_ENCODER: bool = false;

    fn at_tick(now_us: u64, _: Option<u64>) -> Option<Position<Self>> {
        Some(Position::new(now_us))
    }

    fn trigger_position(edge_at_us: u64, _: Position<Self>) -> Position<Self> {
        // First sighting + debounce: the delay is shortened by the debounce, so the part
        // fires at first sighting + delay whatever the tick period.
        Position::new(edge_at_us)
    }

    fn debounce_span(debounce_us: u64) -> Span<Self> {
        Span::new(debounce_us)
    }
}

impl LineAxis for EncoderCounts {
    const NEEDS_ENCODER: bool = true;

    fn at_tick(_: u64, encoder_counts: Option<u64>) -> Option<Position<Self>> {
        encoder_counts.map(Position::new)
    }

    fn trigger_position(_: u64, tick: Position<Self>) -> Position<Self> {
        // Counts at the first sighting are not kept: the trigger is placed at the count
        // of its acceptance, i.e. late by the belt travel during the debounce.
        tick
    }

    fn debounce_span(_: u64) -> Span<Self> {
        Span::ZERO
    }
}
