//! A test bench: a simulated station, a tick loop with seeded jitter, and verdicts
//! delivered after a fixed inspection latency.

use edge::line::sim::{SimInput, SimOutput};
use edge::line::{
    DriverConfig, Edge, EncoderMode, LineAxis, LineConfig, LineDriver, LineEvent, LineIo,
    LineOffsets, OutputRole, Polarity, SimClock, SimLine,
};
use shared::scheduler::{Config, PartId, Position, RejectReason, Span, Verdict};

pub const CAPACITY: usize = 32;

pub type Driver<A> = LineDriver<SimInput, SimOutput, SimClock, A, CAPACITY>;

/// Lines of a station with photo-eye, fault and heartbeat; `encoder` adds channel A.
pub fn offsets(encoder: bool) -> LineOffsets {
    LineOffsets {
        trigger: Some(17),
        encoder_a: encoder.then_some(5),
        encoder_b: None,
        reject: 27,
        fault: 22,
        heartbeat: Some(23),
    }
}

pub fn line_config(debounce_us: u64) -> LineConfig {
    LineConfig {
        trigger_edge: Edge::Rising,
        debounce_us,
        encoder_mode: EncoderMode::Rising,
        reject: Polarity::ActiveHigh,
        fault: Polarity::ActiveLow,
        heartbeat: Polarity::ActiveHigh,
    }
}

pub fn driver_config<A: LineAxis>(delay: u64, pulse: u64, margin: u64) -> DriverConfig<A> {
    DriverConfig {
        timing: Config {
            delay: Span::new(delay),
            pulse_width: Span::new(pulse),
            decision_margin: Span::new(margin),
        },
        max_in_flight: CAPACITY,
        max_pulse_us: None,
        heartbeat_period_us: 500_000,
    }
}

/// A simulated station at t = 0 and its driver.
pub fn station<A: LineAxis>(
    encoder: bool,
    debounce_us: u64,
    config: DriverConfig<A>,
) -> (SimLine, Driver<A>) {
    let clock = SimClock::new(0);
    let line = SimLine::new(clock.clone());
    let io = LineIo::new(line.pins(&offsets(encoder)), line_config(debounce_us))
        .expect("sim pins never fail unless told to");
    let driver = LineDriver::new(io, clock, config).expect("valid test timing");
    (line, driver)
}

/// Seeded xorshift: jitter that differs from tick to tick but not from run to run.
pub struct Jitter(u64);

impl Jitter {
    pub fn new(seed: u64) -> Self {
        Self(seed | 1)
    }

    /// Uniform in `lo..=hi`.
    pub fn between(&mut self, lo: u64, hi: u64) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        lo + self.0 % (hi - lo + 1)
    }
}

/// What a run saw.
#[derive(Debug, Default)]
pub struct Run<A: shared::scheduler::Axis> {
    /// `(part, trigger position, tick time µs)` per accepted trigger.
    pub triggers: Vec<(PartId, Position<A>, u64)>,
    /// `(part, reason, scheduled_at, start_at)` per fire.
    pub fires: Vec<(PartId, RejectReason, Position<A>, Position<A>)>,
    /// Every event, with the tick time.
    pub events: Vec<(u64, LineEvent<A>)>,
}

/// Ticks from the clock's now until `end_us`, each gap drawn from `tick_us`;
/// verdicts from `verdict(part)` arrive `latency_us` after the trigger.
pub fn run<A: LineAxis>(
    line: &SimLine,
    driver: &mut Driver<A>,
    end_us: u64,
    mut tick_us: impl FnMut() -> u64,
    latency_us: u64,
    verdict: impl Fn(PartId) -> Option<Verdict>,
) -> Run<A> {
    let clock = line.clock().clone();
    let mut out = Run::default();
    let mut pending: Vec<(u64, PartId)> = Vec::new();
    use edge::line::MonotonicClock as _;
    while clock.now_us() < end_us {
        let now = clock.now_us();
        // Verdicts due by now, as the inference thread would hand them over.
        pending.retain(|&(due, part)| {
            if due > now {
                return true;
            }
            if let Some(v) = verdict(part) {
                driver.on_verdict(part, v).expect("known part, one verdict");
            }
            false
        });
        for event in driver.tick() {
            match *event {
                LineEvent::Triggered { part_id, at } => {
                    out.triggers.push((part_id, at, now));
                    pending.push((now + latency_us, part_id));
                }
                LineEvent::Fired {
                    part_id,
                    reason,
                    scheduled_at,
                    start_at,
                    ..
                } => out.fires.push((part_id, reason, scheduled_at, start_at)),
                _ => {}
            }
            out.events.push((now, event.clone()));
        }
        clock.advance(tick_us());
    }
    out
}

/// The reject pulses the simulated valve saw.
pub fn reject_pulses(line: &SimLine) -> Vec<edge::line::sim::Pulse> {
    line.pulses(OutputRole::Reject, Polarity::ActiveHigh)
}
