//! The line loop allocates nothing per part: a run of 60 parts allocates exactly as
//! often as a run of 20 (frames, errors and outcomes prepared beforehand; pins, clock,
//! inspector and recorder that never allocate, so every allocation counted is the loop's
//! own). Counted per thread, so the other tests running in parallel do not interfere.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::convert::Infallible;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use edge::clock::{Clock, ManualClock, SharedClock};
use edge::deploy::{open_hashed, BundleValidator, DeployCounts, HotSwap, HotSwapOptions};
use edge::inspector::{InspectorError, StageTimings};
use edge::line::{DriverConfig, LineIo, LinePins, Micros, MonotonicClock as _, SimClock};
use edge::record::{KeepOutcome, VerdictRecord};
use edge::source::{Frame, FrameOrigin, FrameSource, SourceError};
use edge::station::{
    run, BundleTag, Inspect, InspectOutcome, LineClock, LoopOptions, PartRecorder, Quiet,
    RecordCounts, Recorded, Station, SteppedLine,
};
use embedded_hal::digital::{ErrorType, InputPin, OutputPin};
use image::RgbImage;
use shared::scheduler::{Config, Span};

use crate::harness::{line_config, DELAY_US, MARGIN_US, PULSE_US, TICK_US};

struct Counting;

thread_local! {
    static TRACKING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: forwards to `System`; the bookkeeping touches only const-initialised
// thread-locals, which never allocate.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = TRACKING.try_with(|t| {
            if t.get() {
                COUNT.with(|c| c.set(c.get() + 1));
            }
        });
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    // `realloc` stays the default (alloc + copy + dealloc): growth is counted.
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// A clock whose sleeps advance it and are not recorded.
struct BareClock(AtomicU64);

impl Clock for BareClock {
    fn now_us(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
    fn sleep_us(&self, us: u64) {
        self.0.fetch_add(us, Ordering::SeqCst);
    }
}

/// A pin that is always low and accepts every write.
struct NullPin;

impl ErrorType for NullPin {
    type Error = Infallible;
}
impl InputPin for NullPin {
    fn is_high(&mut self) -> Result<bool, Infallible> {
        Ok(false)
    }
    fn is_low(&mut self) -> Result<bool, Infallible> {
        Ok(true)
    }
}
impl OutputPin for NullPin {
    fn set_low(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
    fn set_high(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

/// Frames and errors prepared beforehand, handed out by `pop`.
struct Prepared {
    items: Vec<Result<Frame, SourceError>>,
    clock: SharedClock,
}

impl FrameSource for Prepared {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        match self.items.pop() {
            Some(Ok(mut frame)) => {
                frame.captured_us = self.clock.now_us();
                Ok(Some(frame))
            }
            Some(Err(e)) => Err(e),
            None => Ok(None),
        }
    }
    fn describe(&self) -> String {
        "prepared frames".into()
    }
}

/// Pass, defect and inspector error in turn, without work.
struct Fixed(u64);

/// The bundle `Fixed` names in every record (copied into the record's reused buffer).
const FIXED_SHA256: &str = "5a1e0bd6c3f24e8a9b7c1d0e2f3a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c";

impl Inspect for Fixed {
    fn bundle_tag(&self) -> Option<BundleTag<'_>> {
        Some(BundleTag {
            sha256: FIXED_SHA256,
            generation: 3,
        })
    }

    fn inspect_frame(&mut self, _: &RgbImage) -> Result<InspectOutcome, InspectorError> {
        self.0 += 1;
        if self.0 % 4 == 0 {
            return Err(InspectorError::HeatmapLength {
                expected: 1,
                got: 0,
                width: 1,
                height: 1,
            });
        }
        Ok(InspectOutcome {
            raw_score: 0.5,
            normalised: 0.5,
            anomalous: self.0 % 2 == 0,
            timings: StageTimings::default(),
        })
    }
}

/// Counts records, writes nothing.
#[derive(Default)]
struct Counter(u64);

impl PartRecorder for Counter {
    fn record(&mut self, _: &VerdictRecord, _: Option<&RgbImage>) -> Recorded {
        self.0 += 1;
        Recorded {
            log: Ok(()),
            capture: Some(Ok(KeepOutcome::Skipped)),
        }
    }
    fn counts(&self) -> RecordCounts {
        RecordCounts {
            written: self.0,
            ..RecordCounts::default()
        }
    }
}

/// Allocations by the loop over `parts` parts (every fifth a frame error).
fn allocations(parts: usize) -> u64 {
    let clock: Arc<BareClock> = Arc::new(BareClock(AtomicU64::new(1_000_000)));
    let world: SharedClock = clock.clone();
    let items = (0..parts)
        .map(|i| {
            if i % 5 == 3 {
                Err(SourceError::Timeout {
                    device: "/dev/video0".into(),
                    timeout_ms: 100,
                })
            } else {
                Ok(Frame {
                    seq: i as u64,
                    captured_us: 0,
                    image: RgbImage::new(4, 4),
                    origin: FrameOrigin::File(format!("/data/bottle/test/good/{i:03}.png").into()),
                })
            }
        })
        .rev()
        .collect();
    let mut source = Prepared {
        items,
        clock: world.clone(),
    };
    let pins: LinePins<NullPin, NullPin> = LinePins {
        trigger: None,
        encoder_a: None,
        encoder_b: None,
        reject: NullPin,
        fault: NullPin,
        heartbeat: Some(NullPin),
    };
    let io = LineIo::new(pins, line_config(false)).expect("null pins");
    let config = DriverConfig::<Micros> {
        timing: Config {
            delay: Span::new(DELAY_US),
            pulse_width: Span::new(PULSE_US),
            decision_margin: Span::new(MARGIN_US),
        },
        max_in_flight: 32,
        max_pulse_us: None,
        heartbeat_period_us: 10_000,
    };
    let sim_clock = SimClock::new(world.now_us());
    let mut line = SteppedLine::new(
        io,
        config,
        LineClock::Sim(sim_clock.clone()),
        world.clone(),
        None,
        TICK_US,
    )
    .expect("line");
    let mut inspector = Fixed(0);
    let mut recorder = Counter::default();
    let stop = AtomicBool::new(false);
    let options = LoopOptions {
        part_interval_us: 50_000,
        drain_timeout_us: 1_000_000,
        ..LoopOptions::default()
    };
    TRACKING.with(|t| t.set(true));
    COUNT.with(|c| c.set(0));
    let report = run(
        Station {
            source: &mut source,
            inspector: &mut inspector,
            line: &mut line,
            recorder: &mut recorder,
            clock: world,
            stop: &stop,
        },
        &options,
        &mut Quiet,
    );
    TRACKING.with(|t| t.set(false));
    let count = COUNT.with(Cell::get);
    assert_eq!(report.summary.parts, parts as u64);
    assert!(report.summary.rejects.total() > 0 && report.summary.passes > 0);
    assert!(sim_clock.now_us() > 1_000_000, "the line ticked");
    count
}

#[test]
fn the_loop_allocates_nothing_per_part() {
    let short = allocations(20);
    let long = allocations(60);
    assert!(
        short > 0,
        "the counter counts (the run's own setup allocates)"
    );
    assert_eq!(
        long,
        short,
        "40 more parts (passes, defects, frame errors, inspector errors) allocated {} more times",
        long.saturating_sub(short)
    );
}

/// Allocations by `calls` calls of `between_parts` on a hot swap with nothing to do: the
/// watched file does not change and no reload is asked for (the steady state).
fn between_parts_allocations(hot: &mut HotSwap, calls: usize) -> u64 {
    TRACKING.with(|t| t.set(true));
    COUNT.with(|c| c.set(0));
    for _ in 0..calls {
        hot.between_parts(&mut Quiet);
    }
    TRACKING.with(|t| t.set(false));
    COUNT.with(Cell::get)
}

#[test]
fn watching_the_bundle_allocates_nothing_per_part() {
    let dir = crate::harness::scratch("alloc-hotswap");
    let bundle = crate::harness::write_bundle(&dir);
    let (inspector, sha256) = open_hashed(&bundle, None, 1).expect("the test bundle opens");
    let clock: SharedClock = ManualClock::new(1_000_000);
    let options = HotSwapOptions {
        watch: true,
        poll_interval_us: 0,
        probation_parts: 5,
        max_reject_rate: 0.2,
        await_validation: false,
    };
    let mut hot = HotSwap::new(
        inspector,
        &bundle,
        sha256,
        BundleValidator::new(1),
        clock,
        options,
    )
    .expect("validator thread");
    let short = between_parts_allocations(&mut hot, 20);
    let long = between_parts_allocations(&mut hot, 60);
    assert_eq!(
        long,
        short,
        "40 more polls of an unchanged bundle allocated {} more times",
        long.saturating_sub(short)
    );
    assert_eq!(hot.deploy_counts(), DeployCounts::default());
    assert!(hot.events().is_empty(), "{:?}", hot.events());
}
