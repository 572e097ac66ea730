//! [`LineDriver`]: the tick loop's state. Each [`LineDriver::tick`] reads the inputs,
//! hands trigger edges to the [`Scheduler`], carries out what is due at the current
//! position and drives the outputs to what they should be. Outputs are reconciled every
//! tick (desired vs. last written), so a failed write is retried at the next tick while
//! the fault output is asserted and the failure counted.

use embedded_hal::digital::{InputPin, OutputPin};
use shared::scheduler::{
    Action, Config, PartId, Position, Scheduler, SchedulerError, Span, Stats, Verdict, VerdictAck,
};

use super::axis::LineAxis;
use super::clock::MonotonicClock;
use super::error::{LineError, PinError, PinOp};
use super::event::{FaultCause, Faults, LineEvent, LineStats};
use super::io::{LineIo, OutputRole};

/// Scheduler capacity `N` the runtime instantiates [`LineDriver`] with; board profiles
/// may ask for at most this many parts in flight.
pub const LINE_CAPACITY: usize = 256;

/// Timing of one reject station on the axis `A`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DriverConfig<A: LineAxis> {
    /// Delay, pulse width and decision margin, measured from the physical trigger edge
    /// (on the time axis the driver subtracts the debounce it waits before accepting
    /// an edge).
    pub timing: Config<A>,
    /// Most parts between camera and actuator, `1..=N`; one more trigger is refused and
    /// latches a fault. Size it `⌈delay / minimum pitch⌉ + 1`.
    pub max_in_flight: usize,
    /// Longest time the reject line may stay active without a new reject, µs. On the
    /// encoder axis a stopped belt would otherwise hold the actuator on indefinitely.
    pub max_pulse_us: Option<u64>,
    /// Heartbeat period, µs (the output toggles every half period).
    pub heartbeat_period_us: u64,
}

/// Drives one reject station from the scheduler, tick by tick.
///
/// `I`/`O` are the backend's `embedded-hal` input/output pins, `C` the clock, `A` the
/// axis ([`shared::scheduler::Micros`] or [`shared::scheduler::EncoderCounts`]) and `N`
/// the scheduler's compile-time capacity.
///
/// The fault output is asserted while the driver is not ready ([`LineDriver::set_ready`],
/// false at start) or any fault is latched ([`Faults`]); it changes at the next tick.
#[derive(Debug)]
pub struct LineDriver<I, O, C, A: LineAxis, const N: usize> {
    io: LineIo<I, O>,
    clock: C,
    scheduler: Scheduler<A, N>,
    max_in_flight: usize,
    max_pulse_us: Option<u64>,
    heartbeat_half_us: u64,
    /// Newest axis position (read at the last tick).
    position: Position<A>,
    ready: bool,
    faults: Faults,
    /// Start of the current on-time window of the reject line (re-armed by each fire).
    pulse_from_us: Option<u64>,
    /// The line was dropped by `max_pulse_us` until the next fire or release.
    capped: bool,
    heartbeat_on: bool,
    heartbeat_toggled_us: Option<u64>,
    last_tick_us: Option<u64>,
    stats: LineStats,
    events: Vec<LineEvent<A>>,
}

impl<I, O, C, A, const N: usize> LineDriver<I, O, C, A, N>
where
    I: InputPin,
    O: OutputPin,
    C: MonotonicClock,
    A: LineAxis,
{
    /// A driver for `io`, not ready, no part in flight.
    ///
    /// # Errors
    /// [`LineError::NoEncoder`] on the encoder axis without an encoder;
    /// [`LineError::DebounceTooLong`], [`LineError::Timing`] for timing the scheduler
    /// refuses; [`LineError::InFlightOutOfRange`] unless `1 ≤ max_in_flight ≤ N`.
    pub fn new(io: LineIo<I, O>, clock: C, config: DriverConfig<A>) -> Result<Self, LineError> {
        if A::NEEDS_ENCODER && !io.has_encoder() {
            return Err(LineError::NoEncoder);
        }
        if config.max_in_flight == 0 || config.max_in_flight > N {
            return Err(LineError::InFlightOutOfRange {
                requested: config.max_in_flight,
                capacity: N,
            });
        }
        let debounce = A::debounce_span(io.config().debounce_us);
        let timing = config.timing;
        if debounce.get() > 0
            && debounce.get().saturating_add(timing.decision_margin.get()) >= timing.delay.get()
        {
            return Err(LineError::DebounceTooLong {
                debounce_us: debounce.get(),
                margin_us: timing.decision_margin.get(),
                delay_us: timing.delay.get(),
            });
        }
        let scheduler = Scheduler::new(Config {
            delay: Span::new(timing.delay.get() - debounce.get()),
            ..timing
        })?;
        Ok(Self {
            io,
            clock,
            scheduler,
            max_in_flight: config.max_in_flight,
            max_pulse_us: config.max_pulse_us,
            heartbeat_half_us: (config.heartbeat_period_us / 2).max(1),
            position: Position::ZERO,
            ready: false,
            faults: Faults::default(),
            pulse_from_us: None,
            capped: false,
            heartbeat_on: false,
            heartbeat_toggled_us: None,
            last_tick_us: None,
            stats: LineStats::default(),
            events: Vec::new(),
        })
    }

    /// One pass of the line loop at the clock's now: sample the inputs, track a new part,
    /// carry out the due actions, then drive reject, heartbeat and fault. Returns what
    /// happened, in order (valid until the next call).
    ///
    /// Timing: a pulse edge lands on the first tick at or after its scheduled position,
    /// so it is late by less than one tick period; on the time axis the scheduled start
    /// is the first tick that saw the trigger + delay.
    pub fn tick(&mut self) -> &[LineEvent<A>] {
        self.events.clear();
        let now_us = self.clock.now_us();
        if let Some(last) = self.last_tick_us {
            let gap = now_us.saturating_sub(last);
            self.stats.max_tick_gap_us = self.stats.max_tick_gap_us.max(gap);
        }
        self.last_tick_us = Some(now_us);
        self.stats.ticks += 1;

        let mut failures = Vec::new();
        let sample = self.io.sample(now_us, |e| failures.push(e));
        for e in failures {
            self.pin_failed(e);
        }
        if let Some(p) = A::at_tick(now_us, sample.encoder_counts) {
            self.position = self.position.max(p);
        }
        if let Some(edge_us) = sample.trigger_at_us {
            let at = A::trigger_position(edge_us, self.position);
            let event = match self.trigger(at) {
                Ok(part_id) => LineEvent::Triggered { part_id, at },
                Err(e) => LineEvent::TriggerRefused(e),
            };
            self.events.push(event);
        }
        while let Some(action) = self.scheduler.next_action(self.position) {
            self.apply(action, now_us);
        }
        self.drive_reject(now_us);
        self.drive_heartbeat(now_us);
        self.drive_fault();
        &self.events
    }

    /// A part at the camera now, for free-run stations (the frame is the trigger). Uses
    /// the position of the last tick.
    ///
    /// # Errors
    /// The scheduler refused the part (see [`SchedulerError`]): it is untracked, the
    /// fault is latched and the refusal counted.
    pub fn trigger_now(&mut self) -> Result<PartId, SchedulerError> {
        self.trigger(self.position)
    }

    /// Inspection's verdict for `part_id`, judged at the position of the last tick (so
    /// the decision margin should cover a tick).
    ///
    /// # Errors
    /// As [`Scheduler::on_verdict`]; a late verdict is not an error but an ack.
    pub fn on_verdict(
        &mut self,
        part_id: PartId,
        verdict: Verdict,
    ) -> Result<VerdictAck, SchedulerError> {
        self.scheduler.on_verdict(part_id, verdict, self.position)
    }

    /// Declares the station ready (camera streaming, bundle loaded) or not. The fault
    /// output follows at the next tick.
    pub fn set_ready(&mut self, ready: bool) {
        self.ready = ready;
    }

    /// Forgets latched faults (operator reset); the fault output follows at the next tick.
    pub fn clear_faults(&mut self) {
        self.faults = Faults::default();
    }

    /// Drops the reject line and asserts the fault output now, for a clean stop.
    ///
    /// # Errors
    /// The first write that failed (both are attempted).
    pub fn shutdown(&mut self) -> Result<(), PinError> {
        self.ready = false;
        let reject = self.io.drive(OutputRole::Reject, false);
        let fault = self.io.drive(OutputRole::Fault, true);
        reject.and(fault).map(|_| ())
    }

    /// Whether the fault output is (as last driven) asserted; `None` if its last write
    /// failed.
    #[must_use]
    pub fn fault_asserted(&self) -> Option<bool> {
        self.io.output(OutputRole::Fault)
    }

    /// Faults latched since the last clear.
    #[must_use]
    pub const fn faults(&self) -> &Faults {
        &self.faults
    }

    /// Line counters.
    #[must_use]
    pub const fn stats(&self) -> &LineStats {
        &self.stats
    }

    /// The scheduler's counters (passed, rejected by reason, late verdicts, …).
    #[must_use]
    pub const fn scheduler_stats(&self) -> &Stats {
        self.scheduler.stats()
    }

    /// The scheduler (parts in flight, deadlines).
    #[must_use]
    pub const fn scheduler(&self) -> &Scheduler<A, N> {
        &self.scheduler
    }

    /// Axis position at the last tick.
    #[must_use]
    pub const fn position(&self) -> Position<A> {
        self.position
    }

    /// The line I/O.
    #[must_use]
    pub const fn io(&self) -> &LineIo<I, O> {
        &self.io
    }

    /// Gives back the I/O and the clock (outputs as last driven: call
    /// [`LineDriver::shutdown`] first for a clean stop).
    pub fn into_parts(self) -> (LineIo<I, O>, C) {
        (self.io, self.clock)
    }

    fn trigger(&mut self, at: Position<A>) -> Result<PartId, SchedulerError> {
        let result = if self.scheduler.in_flight() >= self.max_in_flight {
            Err(SchedulerError::QueueFull {
                capacity: self.max_in_flight,
                at: at.get(),
                unit: A::UNIT,
            })
        } else {
            self.scheduler.on_trigger(at)
        };
        match result {
            Ok(_) => self.stats.triggers += 1,
            Err(_) => {
                self.stats.refused_triggers += 1;
                self.latch(FaultCause::UntrackedPart);
            }
        }
        result
    }

    fn apply(&mut self, action: Action<A>, now_us: u64) {
        match action {
            Action::Fire {
                part_id,
                reason,
                scheduled_at,
                start_at,
                merged,
                ..
            } => {
                self.events.push(LineEvent::Fired {
                    part_id,
                    reason,
                    scheduled_at,
                    start_at,
                    merged,
                });
                if action.late_by() >= self.scheduler.config().pulse_width {
                    self.latch(FaultCause::MissedPart);
                }
                // Every reject re-arms the on-time window, even a merged one.
                self.capped = false;
                self.pulse_from_us = Some(now_us);
            }
            Action::Pass { part_id, at } => self.events.push(LineEvent::Passed { part_id, at }),
            Action::Release { scheduled_at, at } => {
                self.events.push(LineEvent::PulseEnded { scheduled_at, at });
                self.capped = false;
                self.pulse_from_us = None;
            }
        }
    }

    fn drive_reject(&mut self, now_us: u64) {
        let mut want = self.scheduler.line_high_until().is_some() && !self.capped;
        if let (true, Some(max), Some(from)) = (want, self.max_pulse_us, self.pulse_from_us) {
            let on_for_us = now_us.saturating_sub(from);
            if on_for_us >= max {
                want = false;
                self.capped = true;
                self.stats.capped_pulses += 1;
                self.events.push(LineEvent::PulseCapped { on_for_us });
            }
        }
        if let Err(e) = self.io.drive(OutputRole::Reject, want) {
            self.pin_failed(e);
        }
    }

    fn drive_heartbeat(&mut self, now_us: u64) {
        if !self.io.has_heartbeat() {
            return;
        }
        let since = *self.heartbeat_toggled_us.get_or_insert(now_us);
        if now_us.saturating_sub(since) < self.heartbeat_half_us {
            return;
        }
        match self.io.drive(OutputRole::Heartbeat, !self.heartbeat_on) {
            Ok(_) => {
                self.heartbeat_on = !self.heartbeat_on;
                self.heartbeat_toggled_us = Some(now_us);
            }
            Err(e) => self.pin_failed(e),
        }
    }

    /// Last in the tick, so a failure earlier in the same tick asserts it at once.
    fn drive_fault(&mut self) {
        let asserted = !self.ready || self.faults.any();
        if let Err(e) = self.io.drive(OutputRole::Fault, asserted) {
            self.pin_failed(e);
        }
    }

    fn pin_failed(&mut self, error: PinError) {
        match error.op {
            PinOp::Read => self.stats.pin_read_failures += 1,
            PinOp::Write => self.stats.pin_write_failures += 1,
        }
        self.events.push(LineEvent::PinFailed(error));
        self.latch(FaultCause::Pin);
    }

    fn latch(&mut self, cause: FaultCause) {
        if self.faults.latch(cause) {
            self.events.push(LineEvent::FaultLatched(cause));
        }
    }
}
