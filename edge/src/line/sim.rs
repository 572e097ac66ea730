//! The simulated line: pins on a simulated clock, for tests and the demo.
//!
//! A [`SimLine`] holds one scripted waveform per input (level changes at given µs) and
//! one record per output (every level change with its µs). Its [`SimInput`] and
//! [`SimOutput`] pins implement the `embedded-hal` traits, read the shared [`SimClock`]
//! and can be told to fail, so the real driver code runs unchanged against them.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use embedded_hal::digital::{ErrorKind, ErrorType, InputPin, OutputPin};

use super::clock::MonotonicClock;
use super::io::{InputRole, LineOffsets, LinePins, OutputRole};
use super::polarity::Polarity;

/// A clock that only moves when told to; clones share the time.
#[derive(Clone, Debug, Default)]
pub struct SimClock {
    now_us: Arc<AtomicU64>,
}

impl SimClock {
    /// A clock at `start_us`.
    #[must_use]
    pub fn new(start_us: u64) -> Self {
        Self {
            now_us: Arc::new(AtomicU64::new(start_us)),
        }
    }

    /// Moves the clock forward by `us`.
    pub fn advance(&self, us: u64) {
        self.now_us.fetch_add(us, Ordering::SeqCst);
    }

    /// Sets the clock to `now_us`, which must not be earlier than now (an earlier value
    /// is ignored: the clock is monotonic).
    pub fn set(&self, now_us: u64) {
        self.now_us.fetch_max(now_us, Ordering::SeqCst);
    }
}

impl MonotonicClock for SimClock {
    fn now_us(&self) -> u64 {
        self.now_us.load(Ordering::SeqCst)
    }
}

/// One recorded output level change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Transition {
    /// When, µs on the [`SimClock`].
    pub at_us: u64,
    /// The new electrical level (`true` = high).
    pub high: bool,
}

/// One period during which an output was at its active level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Pulse {
    /// When the line became active, µs.
    pub start_us: u64,
    /// How long it stayed active, µs; `None` while it still is.
    pub width_us: Option<u64>,
}

/// Error of a simulated pin: only ever the failure a test asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("simulated failure of the {line} line")]
pub struct SimError {
    /// The line's role.
    pub line: &'static str,
}

impl embedded_hal::digital::Error for SimError {
    fn kind(&self) -> ErrorKind {
        ErrorKind::Other
    }
}

#[derive(Debug, Default)]
struct InputScript {
    /// Level changes `(at_us, high)`, sorted by time; low before the first.
    changes: Vec<(u64, bool)>,
    fail_next: u32,
}

#[derive(Debug, Default)]
struct OutputRecord {
    transitions: Vec<Transition>,
    writes: u64,
    fail_next: u32,
}

#[derive(Debug, Default)]
struct State {
    inputs: [InputScript; 3],
    outputs: [OutputRecord; 3],
}

const fn input_index(role: InputRole) -> usize {
    match role {
        InputRole::Trigger => 0,
        InputRole::EncoderA => 1,
        InputRole::EncoderB => 2,
    }
}

const fn output_index(role: OutputRole) -> usize {
    match role {
        OutputRole::Reject => 0,
        OutputRole::Fault => 1,
        OutputRole::Heartbeat => 2,
    }
}

/// A simulated station: scripted inputs, recorded outputs, one clock. Clones share it.
#[derive(Clone, Debug, Default)]
pub struct SimLine {
    clock: SimClock,
    state: Arc<Mutex<State>>,
}

impl SimLine {
    /// An idle line (inputs low, nothing recorded) on `clock`.
    #[must_use]
    pub fn new(clock: SimClock) -> Self {
        Self {
            clock,
            state: Arc::default(),
        }
    }

    /// The line's clock.
    #[must_use]
    pub const fn clock(&self) -> &SimClock {
        &self.clock
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panicking test thread cannot leave the plain data inconsistent.
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Pins for the lines `offsets` names (the numbers themselves are ignored).
    #[must_use]
    pub fn pins(&self, offsets: &LineOffsets) -> LinePins<SimInput, SimOutput> {
        LinePins {
            trigger: offsets.trigger.map(|_| self.input(InputRole::Trigger)),
            encoder_a: offsets.encoder_a.map(|_| self.input(InputRole::EncoderA)),
            encoder_b: offsets.encoder_b.map(|_| self.input(InputRole::EncoderB)),
            reject: self.output(OutputRole::Reject),
            fault: self.output(OutputRole::Fault),
            heartbeat: offsets
                .heartbeat
                .map(|_| self.output(OutputRole::Heartbeat)),
        }
    }

    /// An input pin for `role`.
    #[must_use]
    pub fn input(&self, role: InputRole) -> SimInput {
        SimInput {
            line: self.clone(),
            role,
        }
    }

    /// An output pin for `role`.
    #[must_use]
    pub fn output(&self, role: OutputRole) -> SimOutput {
        SimOutput {
            line: self.clone(),
            role,
        }
    }

    /// Scripts input `role` to read `high` from `at_us` on (until a later change).
    pub fn set_input_at(&self, role: InputRole, at_us: u64, high: bool) {
        let mut state = self.state();
        let changes = &mut state.inputs[input_index(role)].changes;
        let i = changes.partition_point(|&(t, _)| t <= at_us);
        changes.insert(i, (at_us, high));
    }

    /// Scripts a high pulse on input `role` from `start_us` for `width_us`.
    pub fn pulse_input(&self, role: InputRole, start_us: u64, width_us: u64) {
        self.set_input_at(role, start_us, true);
        self.set_input_at(role, start_us.saturating_add(width_us), false);
    }

    /// The level input `role` reads at `at_us`.
    #[must_use]
    pub fn input_level(&self, role: InputRole, at_us: u64) -> bool {
        let state = self.state();
        let changes = &state.inputs[input_index(role)].changes;
        let i = changes.partition_point(|&(t, _)| t <= at_us);
        i.checked_sub(1)
            .and_then(|i| changes.get(i))
            .is_some_and(|&(_, high)| high)
    }

    /// Makes the next `count` reads of input `role` fail.
    pub fn fail_reads(&self, role: InputRole, count: u32) {
        self.state().inputs[input_index(role)].fail_next = count;
    }

    /// Makes the next `count` writes to output `role` fail (the level does not change).
    pub fn fail_writes(&self, role: OutputRole, count: u32) {
        self.state().outputs[output_index(role)].fail_next = count;
    }

    /// Every level change of output `role`, in order (the first write counts as one).
    #[must_use]
    pub fn transitions(&self, role: OutputRole) -> Vec<Transition> {
        self.state().outputs[output_index(role)].transitions.clone()
    }

    /// Successful writes to output `role`, including those that did not change the level.
    #[must_use]
    pub fn writes(&self, role: OutputRole) -> u64 {
        self.state().outputs[output_index(role)].writes
    }

    /// The electrical level of output `role`; `None` before its first write.
    #[must_use]
    pub fn level(&self, role: OutputRole) -> Option<bool> {
        self.state().outputs[output_index(role)]
            .transitions
            .last()
            .map(|t| t.high)
    }

    /// The periods output `role` spent at the active level of `polarity`, in order.
    #[must_use]
    pub fn pulses(&self, role: OutputRole, polarity: Polarity) -> Vec<Pulse> {
        let mut pulses: Vec<Pulse> = Vec::new();
        for t in self.transitions(role) {
            let active = polarity.is_active(t.high);
            match (pulses.last_mut().filter(|p| p.width_us.is_none()), active) {
                (Some(open), false) => open.width_us = Some(t.at_us - open.start_us),
                (None, true) => pulses.push(Pulse {
                    start_us: t.at_us,
                    width_us: None,
                }),
                // Transitions alternate, so an open pulse never meets another rise.
                _ => {}
            }
        }
        pulses
    }
}

/// A simulated input pin: reads its script at the clock's now.
#[derive(Clone, Debug)]
pub struct SimInput {
    line: SimLine,
    role: InputRole,
}

/// A simulated output pin: records level changes at the clock's now.
#[derive(Clone, Debug)]
pub struct SimOutput {
    line: SimLine,
    role: OutputRole,
}

impl ErrorType for SimInput {
    type Error = SimError;
}

impl ErrorType for SimOutput {
    type Error = SimError;
}

impl InputPin for SimInput {
    fn is_high(&mut self) -> Result<bool, SimError> {
        {
            let mut state = self.line.state();
            let script = &mut state.inputs[input_index(self.role)];
            if script.fail_next > 0 {
                script.fail_next -= 1;
                return Err(SimError {
                    line: self.role.name(),
                });
            }
        }
        Ok(self.line.input_level(self.role, self.line.clock.now_us()))
    }

    fn is_low(&mut self) -> Result<bool, SimError> {
        self.is_high().map(|h| !h)
    }
}

impl SimOutput {
    fn write(&mut self, high: bool) -> Result<(), SimError> {
        let at_us = self.line.clock.now_us();
        let mut state = self.line.state();
        let record = &mut state.outputs[output_index(self.role)];
        if record.fail_next > 0 {
            record.fail_next -= 1;
            return Err(SimError {
                line: self.role.name(),
            });
        }
        record.writes += 1;
        if record.transitions.last().map(|t| t.high) != Some(high) {
            record.transitions.push(Transition { at_us, high });
        }
        Ok(())
    }
}

impl OutputPin for SimOutput {
    fn set_low(&mut self) -> Result<(), SimError> {
        self.write(false)
    }

    fn set_high(&mut self) -> Result<(), SimError> {
        self.write(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_follow_their_script_on_the_clock() {
        let line = SimLine::new(SimClock::new(0));
        line.pulse_input(InputRole::Trigger, 100, 50);
        let mut pin = line.input(InputRole::Trigger);
        let mut at = |us| {
            line.clock().set(us);
            pin.is_high().unwrap_or_default()
        };
        assert!(!at(99));
        assert!(at(100));
        assert!(at(149));
        assert!(!at(150));
    }

    #[test]
    fn pulses_pair_active_transitions_by_polarity() {
        let clock = SimClock::new(10);
        let line = SimLine::new(clock.clone());
        let mut out = line.output(OutputRole::Fault);
        for (advance, high) in [(0, false), (5, true), (0, true), (20, false), (7, true)] {
            clock.advance(advance);
            out.set_state(high.into()).ok();
        }
        assert_eq!(line.writes(OutputRole::Fault), 5);
        assert_eq!(
            line.pulses(OutputRole::Fault, Polarity::ActiveHigh),
            vec![
                Pulse {
                    start_us: 15,
                    width_us: Some(20)
                },
                Pulse {
                    start_us: 42,
                    width_us: None
                },
            ]
        );
        // Active-low: the initial low level is a pulse that ends at 15 µs.
        assert_eq!(
            line.pulses(OutputRole::Fault, Polarity::ActiveLow),
            vec![
                Pulse {
                    start_us: 10,
                    width_us: Some(5)
                },
                Pulse {
                    start_us: 35,
                    width_us: Some(7)
                },
            ]
        );
    }

    #[test]
    fn injected_failures_leave_the_level_alone() {
        let line = SimLine::new(SimClock::new(0));
        let mut out = line.output(OutputRole::Reject);
        line.fail_writes(OutputRole::Reject, 1);
        assert!(out.set_high().is_err());
        assert_eq!(line.level(OutputRole::Reject), None);
        assert!(out.set_high().is_ok());
        assert_eq!(line.level(OutputRole::Reject), Some(true));
        let mut input = line.input(InputRole::EncoderA);
        line.fail_reads(InputRole::EncoderA, 1);
        assert!(input.is_high().is_err());
        assert!(input.is_high().is_ok());
    }
}
