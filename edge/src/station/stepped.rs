//! [`SteppedLine`]: a station ticked by the loop itself. Whenever the loop's clock has
//! moved (a test clock's sleep, a slow inspector stage), [`LinePort::sync`] runs every
//! tick the period calls for in between, each at its own time, then one at now. On a
//! simulated clock a run is therefore exactly what a driver thread ticking at that period
//! would do, without waiting and without thread timing: tests and replays use it.
//!
//! What always holds: ticks come at `last + period`, …, and finally exactly at the
//! loop's now. Every command (trigger, verdict, ready, press) first syncs, so it acts at
//! the loop's now and never on the ticks that simulate the time before it.

use std::collections::VecDeque;
use std::fmt;

use embedded_hal::digital::{InputPin, OutputPin};
use shared::scheduler::{PartId, SchedulerError, Verdict, VerdictAck};

use super::clock::LineClock;
use super::port::{FireRecord, LinePort, LineReport, PartTrigger};
use super::tick::LineCore;
use crate::clock::SharedClock;
use crate::line::{DriverConfig, LineAxis, LineError, LineIo, PinError, SimLine};

/// See the [module docs](self).
pub struct SteppedLine<I, O, A: LineAxis> {
    core: LineCore<I, O, A>,
    world: SharedClock,
    period_us: u64,
    ticked: bool,
}

impl<I, O, A: LineAxis> fmt::Debug for SteppedLine<I, O, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SteppedLine")
            .field("period_us", &self.period_us)
            .field("ticked", &self.ticked)
            .finish_non_exhaustive()
    }
}

impl<I: InputPin, O: OutputPin, A: LineAxis> SteppedLine<I, O, A> {
    /// A station on `io`, ticked every `period_us` (≥ 1) of the loop's clock `world`
    /// whenever the loop syncs. `clock` is the driver's clock (a [`LineClock::Sim`] for
    /// simulated pins); `sim` the simulated line the pins come from, if they do (it
    /// enables [`LinePort::press_trigger`] and the list of fires).
    ///
    /// # Errors
    /// As [`crate::line::LineDriver::new`].
    pub fn new(
        io: LineIo<I, O>,
        config: DriverConfig<A>,
        clock: LineClock,
        world: SharedClock,
        sim: Option<SimLine>,
        period_us: u64,
    ) -> Result<Self, LineError> {
        Ok(Self {
            core: LineCore::new(io, config, clock, sim)?,
            world,
            period_us: period_us.max(1),
            ticked: false,
        })
    }
}

impl<I: InputPin, O: OutputPin, A: LineAxis> LinePort for SteppedLine<I, O, A> {
    fn has_trigger(&self) -> bool {
        self.core.has_trigger()
    }

    fn tick_period_us(&self) -> u64 {
        self.period_us
    }

    fn sync(&mut self) {
        let now = self.world.now_us();
        if !self.ticked {
            self.ticked = true;
            self.core.tick(now);
            return;
        }
        while self.core.last_tick_us() < now {
            let next = self
                .core
                .last_tick_us()
                .saturating_add(self.period_us)
                .min(now);
            self.core.tick(next);
        }
    }

    fn wait_us(&mut self, us: u64) {
        self.world.sleep_us(us);
        self.sync();
    }

    fn trigger_now(&mut self) -> Result<PartTrigger, SchedulerError> {
        self.sync();
        self.core.trigger_now()
    }

    fn take_triggered(&mut self, into: &mut VecDeque<PartTrigger>) {
        self.sync();
        self.core.take_triggered(into);
    }

    fn deadline_passed(&self, part: PartId) -> bool {
        self.core.deadline_passed(part)
    }

    fn verdict(&mut self, part: PartId, verdict: Verdict) -> Result<VerdictAck, SchedulerError> {
        self.sync();
        self.core.verdict(part, verdict)
    }

    fn set_ready(&mut self, ready: bool) {
        self.sync();
        self.core.set_ready(ready);
    }

    fn is_idle(&self) -> bool {
        self.core.is_idle()
    }

    fn has_simulated_trigger(&self) -> bool {
        self.core.has_simulated_trigger()
    }

    fn press_trigger(&mut self) -> bool {
        self.sync();
        let now = self.core.last_tick_us();
        self.core.press_trigger(now, self.period_us)
    }

    fn report(&self) -> LineReport {
        self.core.report(true)
    }

    fn fires(&self) -> Vec<FireRecord> {
        self.core.fires()
    }

    fn shutdown(&mut self) -> Result<(), PinError> {
        self.sync();
        self.core.shutdown()
    }
}
