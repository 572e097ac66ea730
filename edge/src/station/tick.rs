//! [`LineCore`]: a [`LineDriver`] plus what the loop needs from its ticks: the queue of
//! photo-eye parts, the simulated photo-eye and (on simulated lines) the list of fires.
//! Both ports ([`super::ThreadedLine`], [`super::SteppedLine`]) tick through it.

use std::collections::VecDeque;

use embedded_hal::digital::{InputPin, OutputPin};
use shared::scheduler::{PartId, SchedulerError, Verdict, VerdictAck};

use super::clock::LineClock;
use super::port::{FireRecord, LineReport, PartTrigger};
use crate::line::{
    DriverConfig, InputRole, LineAxis, LineDriver, LineError, LineEvent, LineIo, PinError, SimLine,
    LINE_CAPACITY,
};

/// How long a simulated part blocks the photo-eye beyond its debounce, µs: long enough
/// to be seen by a late tick, as a real part of a few cm at belt speed would be.
const SIM_PRESS_US: u64 = 20_000;

/// The driver type every station runs.
pub type StationDriver<I, O, A> = LineDriver<I, O, LineClock, A, LINE_CAPACITY>;

/// See the [module docs](self).
#[derive(Debug)]
pub(crate) struct LineCore<I, O, A: LineAxis> {
    driver: StationDriver<I, O, A>,
    clock: LineClock,
    /// Photo-eye parts not yet taken by the loop (capacity reserved once).
    triggered: VecDeque<PartTrigger>,
    /// The simulated line, when the pins are simulated: presses its photo-eye.
    sim: Option<SimLine>,
    /// Fires, kept on simulated lines only (a device would grow it forever).
    fires: Option<Vec<FireRecord>>,
    last_tick_us: u64,
    /// When the last simulated press ends, µs.
    press_ends_us: u64,
}

impl<I: InputPin, O: OutputPin, A: LineAxis> LineCore<I, O, A> {
    /// Builds the driver on `clock`; `sim` is the simulated line the pins come from, if
    /// they do.
    pub(crate) fn new(
        io: LineIo<I, O>,
        config: DriverConfig<A>,
        clock: LineClock,
        sim: Option<SimLine>,
    ) -> Result<Self, LineError> {
        let driver = LineDriver::new(io, clock.clone(), config)?;
        let fires = sim.as_ref().map(|_| Vec::new());
        Ok(Self {
            driver,
            clock,
            triggered: VecDeque::with_capacity(LINE_CAPACITY),
            sim,
            fires,
            last_tick_us: 0,
            press_ends_us: 0,
        })
    }

    /// One driver tick at `now_us` on the loop's clock.
    pub(crate) fn tick(&mut self, now_us: u64) {
        self.clock.advance_to(now_us);
        self.last_tick_us = now_us;
        let Self {
            driver,
            triggered,
            fires,
            ..
        } = self;
        for event in driver.tick() {
            match *event {
                LineEvent::Triggered { part_id, .. } => triggered.push_back(PartTrigger {
                    part_id,
                    at_us: now_us,
                }),
                LineEvent::Fired {
                    part_id,
                    reason,
                    scheduled_at,
                    start_at,
                    merged,
                } => {
                    if let Some(fires) = fires.as_mut() {
                        fires.push(FireRecord {
                            part_id,
                            reason,
                            scheduled_at: scheduled_at.get(),
                            start_at: start_at.get(),
                            merged,
                            unit: A::UNIT,
                        });
                    }
                }
                _ => {}
            }
        }
    }

    pub(crate) fn last_tick_us(&self) -> u64 {
        self.last_tick_us
    }

    pub(crate) fn has_trigger(&self) -> bool {
        self.driver.io().has_trigger()
    }

    pub(crate) fn trigger_now(&mut self) -> Result<PartTrigger, SchedulerError> {
        let part_id = self.driver.trigger_now()?;
        Ok(PartTrigger {
            part_id,
            at_us: self.last_tick_us,
        })
    }

    pub(crate) fn take_triggered(&mut self, into: &mut VecDeque<PartTrigger>) {
        into.extend(self.triggered.drain(..));
    }

    pub(crate) fn deadline_passed(&self, part: PartId) -> bool {
        let scheduler = self.driver.scheduler();
        scheduler
            .deadline(part)
            .is_none_or(|deadline| deadline <= self.driver.position())
    }

    pub(crate) fn verdict(
        &mut self,
        part: PartId,
        verdict: Verdict,
    ) -> Result<VerdictAck, SchedulerError> {
        self.driver.on_verdict(part, verdict)
    }

    pub(crate) fn set_ready(&mut self, ready: bool) {
        self.driver.set_ready(ready);
    }

    pub(crate) fn is_idle(&self) -> bool {
        let scheduler = self.driver.scheduler();
        scheduler.in_flight() == 0 && scheduler.line_high_until().is_none()
    }

    pub(crate) fn has_simulated_trigger(&self) -> bool {
        self.sim.is_some() && self.has_trigger()
    }

    /// Scripts a photo-eye pulse from `now_us + 1` (strictly after any tick at `now_us`,
    /// whose sample must see the line low), the debounce + [`SIM_PRESS_US`] long.
    pub(crate) fn press_trigger(&mut self, now_us: u64, tick_period_us: u64) -> bool {
        let Some(sim) = self.sim.as_ref().filter(|_| self.has_trigger()) else {
            return false;
        };
        // Presses must not overlap, or two parts would make one edge.
        let start_us = now_us.max(self.press_ends_us + tick_period_us) + 1;
        let width_us = self.driver.io().config().debounce_us + SIM_PRESS_US.max(3 * tick_period_us);
        sim.pulse_input(InputRole::Trigger, start_us, width_us);
        self.press_ends_us = start_us + width_us;
        true
    }

    pub(crate) fn report(&self, ticking: bool) -> LineReport {
        LineReport {
            stats: *self.driver.stats(),
            scheduler: *self.driver.scheduler_stats(),
            faults: *self.driver.faults(),
            fault_asserted: self.driver.fault_asserted(),
            in_flight: self.driver.scheduler().in_flight(),
            unit: A::UNIT,
            ticking,
            realtime: None,
        }
    }

    pub(crate) fn fires(&self) -> Vec<FireRecord> {
        self.fires.clone().unwrap_or_default()
    }

    pub(crate) fn shutdown(&mut self) -> Result<(), PinError> {
        self.driver.shutdown()
    }
}
