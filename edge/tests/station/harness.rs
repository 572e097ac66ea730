//! The test station: a bundle whose threshold splits clean from blob frames, frames in
//! the MVTec layout, a simulated line ticked by the loop on a manual clock, an in-memory
//! verdict log, and an observer that keeps every part.

use std::path::{Path, PathBuf};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use edge::clock::{ManualClock, SharedClock};
use edge::inspector::Inspector;
use edge::line::sim::{SimInput, SimOutput};
use edge::line::{
    DriverConfig, Edge, EncoderMode, LineConfig, LineIo, LineOffsets, Micros, OutputRole, Polarity,
    SimClock, SimLine,
};
use edge::record::{
    parse_verdict_log, CaptureStore, FsWriter, LineSink, StoreWriter, VerdictLog, VerdictRecord,
};
use edge::source::FrameSource;
use edge::station::{
    run, Inspect, LineClock, LoopOptions, Observer, PartTrigger, Recorder, RunReport, Station,
    SteppedLine, Summary,
};
use shared::bundle::ModelKind;
use shared::scheduler::{Config, Span};

use crate::common::{
    blob_frame, bundle, clean_frame, feature_graph, int8_bank, manifest, DIM, SIDE,
};

pub const DELAY_US: u64 = 600_000;
pub const PULSE_US: u64 = 20_000;
pub const MARGIN_US: u64 = 5_000;
pub const TICK_US: u64 = 1_000;
pub const DEBOUNCE_US: u64 = 200;
/// Image threshold of the test bundle: clean frames score below, blob frames above
/// (checked by `replay`).
pub const THRESHOLD: f32 = 0.1;

/// A fresh folder under the temp dir.
pub fn scratch(name: &str) -> PathBuf {
    crate::common::scratch_dir(&format!("station-{name}"))
}

/// Writes the test bundle into `dir` and returns its path.
pub fn write_bundle(dir: &Path) -> PathBuf {
    let mut m = manifest(ModelKind::MemoryBank);
    m.thresholds.image = THRESHOLD;
    let path = dir.join("model.bundle");
    bundle(m, feature_graph(SIDE, DIM), int8_bank().to_bytes())
        .write_to(&path)
        .expect("write the test bundle");
    path
}

/// `goods` clean and `blobs` defective frames as `dir/test/{good,blob}/NNN.png`.
pub fn write_frames(dir: &Path, goods: u64, blobs: u64) -> PathBuf {
    let root = dir.join("frames");
    for (kind, n, draw) in [
        ("good", goods, clean_frame as fn(u64) -> image::RgbImage),
        ("blob", blobs, blob_frame),
    ] {
        let folder = root.join("test").join(kind);
        std::fs::create_dir_all(&folder).expect("frame folder");
        for i in 0..n {
            draw(500 + i)
                .save(folder.join(format!("{i:03}.png")))
                .expect("write frame");
        }
    }
    root
}

pub fn inspector(bundle: &Path) -> Inspector {
    Inspector::open(bundle, 1).expect("the test bundle opens")
}

/// The simulated station and the clocks it runs on.
pub struct Bench {
    pub clock: Arc<ManualClock>,
    pub sim: SimLine,
    pub line: SteppedLine<SimInput, SimOutput, Micros>,
}

/// As a profile gives it: the debounce only with a photo-eye.
pub fn line_config(photo_eye: bool) -> LineConfig {
    LineConfig {
        trigger_edge: Edge::Rising,
        debounce_us: if photo_eye { DEBOUNCE_US } else { 0 },
        encoder_mode: EncoderMode::Rising,
        reject: Polarity::ActiveHigh,
        fault: Polarity::ActiveLow,
        heartbeat: Polarity::ActiveHigh,
    }
}

/// A station at t = 1 s: photo-eye when `photo_eye`, else free-run.
pub fn station(photo_eye: bool) -> Bench {
    station_with(photo_eye, true)
}

/// As [`station`]; without `press`, the loop does not press the photo-eye itself (the
/// test scripts the triggers, as parts passing a real photo-eye would) and keeps no
/// list of fires.
pub fn station_with(photo_eye: bool, press: bool) -> Bench {
    let start_us = 1_000_000;
    let clock = ManualClock::new(start_us);
    let sim_clock = SimClock::new(start_us);
    let sim = SimLine::new(sim_clock.clone());
    let offsets = LineOffsets {
        trigger: photo_eye.then_some(17),
        encoder_a: None,
        encoder_b: None,
        reject: 27,
        fault: 22,
        heartbeat: Some(23),
    };
    let io = LineIo::new(sim.pins(&offsets), line_config(photo_eye)).expect("sim pins");
    let config = DriverConfig::<Micros> {
        timing: Config {
            delay: Span::new(DELAY_US),
            pulse_width: Span::new(PULSE_US),
            decision_margin: Span::new(MARGIN_US),
        },
        max_in_flight: 32,
        max_pulse_us: None,
        heartbeat_period_us: 500_000,
    };
    let world: SharedClock = clock.clone();
    let line = SteppedLine::new(
        io,
        config,
        LineClock::Sim(sim_clock),
        world,
        press.then(|| sim.clone()),
        TICK_US,
    )
    .expect("valid test timing");
    Bench { clock, sim, line }
}

/// Loop options for replays: parts 100 ms apart, drain long enough for every pulse.
pub fn options() -> LoopOptions {
    LoopOptions {
        part_interval_us: 100_000,
        drain_timeout_us: DELAY_US + PULSE_US + 100_000,
        ..LoopOptions::default()
    }
}

/// Keeps every part and warning.
#[derive(Default)]
pub struct Keep {
    pub parts: Vec<(VerdictRecord, PartTrigger)>,
    pub warnings: Vec<String>,
    pub notices: Vec<String>,
    pub summaries: Vec<Summary>,
}

impl Observer for Keep {
    fn part(&mut self, record: &VerdictRecord, trigger: PartTrigger) {
        self.parts.push((record.clone(), trigger));
    }
    fn summary(&mut self, summary: &Summary) {
        self.summaries.push(summary.clone());
    }
    fn warning(&mut self, message: &dyn std::fmt::Display) {
        self.warnings.push(message.to_string());
    }
    fn notice(&mut self, message: &dyn std::fmt::Display) {
        self.notices.push(message.to_string());
    }
}

/// Runs the loop on `bench` and returns the report, the observer and the log read back.
pub fn run_loop<L: LineSink, W: StoreWriter>(
    bench: &mut Bench,
    source: &mut dyn FrameSource,
    inspector: &mut dyn Inspect,
    recorder: &mut Recorder<L, W>,
    options: &LoopOptions,
) -> (RunReport, Keep) {
    let stop = AtomicBool::new(false);
    let mut keep = Keep::default();
    let report = run(
        Station {
            source,
            inspector,
            line: &mut bench.line,
            recorder,
            clock: bench.clock.clone(),
            stop: &stop,
        },
        options,
        &mut keep,
    );
    (report, keep)
}

/// An in-memory log and no capture store.
pub fn memory_recorder() -> Recorder<Vec<u8>, FsWriter> {
    Recorder::new(
        VerdictLog::with_sink(Vec::new(), "test log"),
        None::<CaptureStore>,
    )
}

/// The records an in-memory recorder holds.
pub fn logged(recorder: Recorder<Vec<u8>, FsWriter>) -> Vec<VerdictRecord> {
    let bytes = recorder.into_parts().0.into_sink();
    parse_verdict_log(&bytes, "test log")
        .expect("the log parses")
        .records
}

/// Reject pulses the simulated valve made.
pub fn reject_pulses(sim: &SimLine) -> Vec<edge::line::sim::Pulse> {
    sim.pulses(OutputRole::Reject, Polarity::ActiveHigh)
}

/// Periods the fault output was asserted (active-low wiring).
pub fn fault_periods(sim: &SimLine) -> Vec<edge::line::sim::Pulse> {
    sim.pulses(OutputRole::Fault, Polarity::ActiveLow)
}
