//! [`ThreadedLine`]: the device's station. A thread of its own ticks the driver every
//! period (1 ms) on the loop's clock, so pulses land on time however long a frame takes
//! to capture or inspect; the loop reaches the driver through a mutex held for
//! microseconds (one tick, one trigger, one verdict).
//!
//! - Ticks are due at `start + k · period`; a tick that comes late (the thread was not
//!   scheduled) is not followed by a burst of catch-up ticks: the next is a period later.
//!   The worst gap is reported ([`crate::line::LineStats::max_tick_gap_us`]).
//! - [`LinePort::shutdown`] stops and joins the thread before it drops the reject line
//!   and asserts the fault output, so no later tick can raise the line again.
//! - A tick thread that died (a panic) is reported by [`LineReport::ticking`]; the
//!   loop then stops, the heartbeat stalls and the PLC sees it.
//! - The tick thread asks for real-time priority (`SCHED_FIFO` at [`RT_PRIORITY`],
//!   Linux): the inference threads keep every core busy, and at normal priority a tick
//!   can wait for a scheduler slice (tens of ms under load), which would hold the valve
//!   open or fire late. Without permission (`LimitRTPRIO` in the systemd unit, or root)
//!   it runs at normal priority and [`LineReport::realtime`] says `Some(false)`.

use std::collections::VecDeque;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;

use embedded_hal::digital::{InputPin, OutputPin};
use shared::scheduler::{PartId, SchedulerError, Verdict, VerdictAck};

use super::clock::LineClock;
use super::port::{FireRecord, LinePort, LineReport, PartTrigger};
use super::tick::LineCore;
use crate::clock::SharedClock;
use crate::line::{DriverConfig, LineAxis, LineError, LineIo, PinError, SimLine};

/// Why a [`ThreadedLine`] could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The driver refused the I/O or the timing.
    #[error(transparent)]
    Line(#[from] LineError),
    /// The OS refused the tick thread.
    #[error("cannot start the line tick thread")]
    Thread(#[source] std::io::Error),
}

type Shared<I, O, A> = Arc<Mutex<LineCore<I, O, A>>>;

/// `SCHED_FIFO` priority of the tick thread: above every normal thread, below the
/// kernel's threaded interrupts (50), so GPIO and USB interrupts still come first.
pub const RT_PRIORITY: u8 = 20;

/// [`ThreadedLine`]'s priority state: not tried yet, refused, granted.
const RT_UNKNOWN: u8 = 0;
const RT_REFUSED: u8 = 1;
const RT_GRANTED: u8 = 2;

/// See the [module docs](self).
pub struct ThreadedLine<I, O, A: LineAxis> {
    core: Shared<I, O, A>,
    world: SharedClock,
    period_us: u64,
    stop: Arc<AtomicBool>,
    realtime: Arc<AtomicU8>,
    thread: Option<JoinHandle<()>>,
}

impl<I, O, A: LineAxis> fmt::Debug for ThreadedLine<I, O, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThreadedLine")
            .field("period_us", &self.period_us)
            .field(
                "ticking",
                &self.thread.as_ref().is_some_and(|t| !t.is_finished()),
            )
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // The core is plain data updated tick by tick; a panic mid-tick leaves it usable.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl<I, O, A> ThreadedLine<I, O, A>
where
    I: InputPin + Send + 'static,
    O: OutputPin + Send + 'static,
    A: LineAxis + Send,
{
    /// Builds the driver and starts ticking it every `period_us` (≥ 1) of `world`.
    /// `clock`, `sim`: as [`super::SteppedLine::new`].
    ///
    /// # Errors
    /// [`StartError::Line`] as [`crate::line::LineDriver::new`]; [`StartError::Thread`].
    pub fn start(
        io: LineIo<I, O>,
        config: DriverConfig<A>,
        clock: LineClock,
        world: SharedClock,
        sim: Option<SimLine>,
        period_us: u64,
    ) -> Result<Self, StartError> {
        let period_us = period_us.max(1);
        let core = Arc::new(Mutex::new(LineCore::new(io, config, clock, sim)?));
        let stop = Arc::new(AtomicBool::new(false));
        let realtime = Arc::new(AtomicU8::new(RT_UNKNOWN));
        let thread = {
            let (core, world, stop) = (Arc::clone(&core), world.clone(), Arc::clone(&stop));
            let realtime = Arc::clone(&realtime);
            std::thread::Builder::new()
                .name("line-tick".into())
                .spawn(move || {
                    let granted = raise_priority();
                    realtime.store(
                        if granted { RT_GRANTED } else { RT_REFUSED },
                        Ordering::SeqCst,
                    );
                    tick_loop(&core, &world, &stop, period_us);
                })
                .map_err(StartError::Thread)?
        };
        Ok(Self {
            core,
            world,
            period_us,
            stop,
            realtime,
            thread: Some(thread),
        })
    }

    fn stop_thread(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            // A panicked tick thread has nothing left to report.
            let _ = thread.join();
        }
    }
}

/// Asks for `SCHED_FIFO` at [`RT_PRIORITY`] for the calling thread; whether granted.
#[cfg(target_os = "linux")]
fn raise_priority() -> bool {
    use thread_priority::{
        set_thread_priority_and_policy, thread_native_id, RealtimeThreadSchedulePolicy,
        ThreadPriority, ThreadPriorityValue, ThreadSchedulePolicy,
    };
    let Ok(value) = ThreadPriorityValue::try_from(RT_PRIORITY) else {
        return false;
    };
    set_thread_priority_and_policy(
        thread_native_id(),
        ThreadPriority::Crossplatform(value),
        ThreadSchedulePolicy::Realtime(RealtimeThreadSchedulePolicy::Fifo),
    )
    .is_ok()
}

#[cfg(not(target_os = "linux"))]
fn raise_priority() -> bool {
    false
}

fn tick_loop<I: InputPin, O: OutputPin, A: LineAxis>(
    core: &Mutex<LineCore<I, O, A>>,
    world: &SharedClock,
    stop: &AtomicBool,
    period_us: u64,
) {
    let mut due = world.now_us();
    while !stop.load(Ordering::SeqCst) {
        lock(core).tick(world.now_us());
        due = due.saturating_add(period_us);
        let now = world.now_us();
        if due <= now {
            // Late: no burst of catch-up ticks, the next one is a period from now. Always
            // sleeping also keeps a real-time thread from ever hogging its core.
            due = now.saturating_add(period_us);
        }
        world.sleep_us(due - now);
    }
}

impl<I, O, A> LinePort for ThreadedLine<I, O, A>
where
    I: InputPin + Send + 'static,
    O: OutputPin + Send + 'static,
    A: LineAxis + Send,
{
    fn has_trigger(&self) -> bool {
        lock(&self.core).has_trigger()
    }

    fn tick_period_us(&self) -> u64 {
        self.period_us
    }

    fn sync(&mut self) {}

    fn wait_us(&mut self, us: u64) {
        self.world.sleep_us(us);
    }

    fn trigger_now(&mut self) -> Result<PartTrigger, SchedulerError> {
        lock(&self.core).trigger_now()
    }

    fn take_triggered(&mut self, into: &mut VecDeque<PartTrigger>) {
        lock(&self.core).take_triggered(into);
    }

    fn deadline_passed(&self, part: PartId) -> bool {
        lock(&self.core).deadline_passed(part)
    }

    fn verdict(&mut self, part: PartId, verdict: Verdict) -> Result<VerdictAck, SchedulerError> {
        lock(&self.core).verdict(part, verdict)
    }

    fn set_ready(&mut self, ready: bool) {
        lock(&self.core).set_ready(ready);
    }

    fn is_idle(&self) -> bool {
        lock(&self.core).is_idle()
    }

    fn has_simulated_trigger(&self) -> bool {
        lock(&self.core).has_simulated_trigger()
    }

    fn press_trigger(&mut self) -> bool {
        let now = self.world.now_us();
        lock(&self.core).press_trigger(now, self.period_us)
    }

    fn report(&self) -> LineReport {
        let ticking = self.thread.as_ref().is_some_and(|t| !t.is_finished());
        let mut report = lock(&self.core).report(ticking);
        report.realtime = match self.realtime.load(Ordering::SeqCst) {
            RT_GRANTED => Some(true),
            RT_REFUSED => Some(false),
            _ => None,
        };
        report
    }

    fn fires(&self) -> Vec<FireRecord> {
        lock(&self.core).fires()
    }

    fn shutdown(&mut self) -> Result<(), PinError> {
        self.stop_thread();
        lock(&self.core).shutdown()
    }
}

impl<I, O, A: LineAxis> Drop for ThreadedLine<I, O, A> {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
