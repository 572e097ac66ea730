//! `edge bench`: the inspector timed stage by stage on real or synthetic frames, the
//! same stages the verdict log records: capture/convert (file read and decode), the
//! inspector's preprocess, network and scoring, and the decision (verdict handed to a
//! reject scheduler). Figures are exact percentiles of the measured frames (after a
//! warm-up) and frames per second over the measured loop; [`BenchReport`] serialises to
//! the JSON a comparison script reads.
//!
//! All buffers are allocated before the measured loop.

use std::time::Instant;

use image::{Rgb, RgbImage};
use serde::Serialize;
use shared::scheduler::{Config, Micros, Position, Scheduler, Span, Verdict};

use super::inspect::Inspect;
use super::latency::percentile_of_sorted;
use crate::inspector::{Inspector, InspectorError};
use crate::source::{FrameSource, SourceError};

/// Where benchmark frames come from.
pub enum BenchFrames<'a> {
    /// A source (e.g. a looping folder); capture/convert is timed.
    Source(&'a mut dyn FrameSource),
    /// [`synthetic_frame`] at the bundle's input size; no capture stage.
    Synthetic,
}

/// How many frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BenchOptions {
    /// Measured frames (≥ 1).
    pub frames: usize,
    /// Frames run first and not measured.
    pub warmup: usize,
}

/// Why a benchmark could not run.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// `frames` is 0.
    #[error("--frames must be at least 1")]
    NoFrames,
    /// The source ended or failed more often than it delivered.
    #[error("the frame source delivered {delivered} frames, {failed} failed, before {needed} were inspected")]
    Source {
        /// Frames delivered.
        delivered: usize,
        /// Frames that failed.
        failed: usize,
        /// Frames needed (warm-up + measured).
        needed: usize,
        /// The last error, if any.
        #[source]
        last: Option<SourceError>,
    },
    /// The benchmark's own scheduler refused a part (a bug in the benchmark).
    #[error("bench scheduler: {0}")]
    Scheduler(String),
    /// The inspector failed on a frame.
    #[error("inspecting frame {index}")]
    Inspect {
        /// 0-based frame index (warm-up included).
        index: usize,
        /// Why.
        #[source]
        source: InspectorError,
    },
}

/// Percentiles of one stage, µs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct StageFigures {
    /// Median.
    pub p50_us: u64,
    /// 95th percentile.
    pub p95_us: u64,
    /// 99th percentile.
    pub p99_us: u64,
    /// Mean.
    pub mean_us: f64,
}

/// Per-stage figures; `capture` is `None` for synthetic frames.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize)]
pub struct Stages {
    /// File read / camera dequeue and conversion to RGB.
    pub capture: Option<StageFigures>,
    /// Crop, resize, normalisation.
    pub preprocess: StageFigures,
    /// The feature network (tract).
    pub network: StageFigures,
    /// Bank search and score path.
    pub scoring: StageFigures,
    /// Verdict handed to the reject scheduler.
    pub decision: StageFigures,
    /// Capture → decision, per frame.
    pub total: StageFigures,
}

/// What `edge bench` measured; written as JSON with `--json`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BenchReport {
    /// The source, in words (`synthetic …` or the source's description).
    pub source: String,
    /// Inspector threads.
    pub threads: usize,
    /// Measured frames.
    pub frames: usize,
    /// Warm-up frames.
    pub warmup: usize,
    /// Network input `[width, height, channels]`.
    pub input: [u32; 3],
    /// Multiply-accumulates per frame (network as tract counts them + bank).
    pub macs_per_frame: u64,
    /// Per-stage percentiles.
    pub stages: Stages,
    /// Frames per second over the measured loop (wall clock, one frame at a time).
    pub fps: f64,
    /// Measured frames found anomalous.
    pub anomalous: usize,
    /// Source errors skipped.
    pub frame_errors: usize,
}

/// A deterministic frame at `width × height`: gradients and a checker, enough texture
/// that the network does real work; the same bytes on every run.
#[must_use]
pub fn synthetic_frame(width: u32, height: u32) -> RgbImage {
    RgbImage::from_fn(width, height, |x, y| {
        let gx = (x * 255 / width.max(1)) as u8;
        let gy = (y * 255 / height.max(1)) as u8;
        let checker = if (x / 8 + y / 8) % 2 == 0 { 40 } else { 200 };
        Rgb([gx, gy, checker])
    })
}

/// Per-frame samples, µs, preallocated.
struct Samples {
    capture: Vec<u64>,
    preprocess: Vec<u64>,
    network: Vec<u64>,
    scoring: Vec<u64>,
    decision: Vec<u64>,
    total: Vec<u64>,
}

impl Samples {
    fn with_capacity(n: usize) -> Self {
        Self {
            capture: Vec::with_capacity(n),
            preprocess: Vec::with_capacity(n),
            network: Vec::with_capacity(n),
            scoring: Vec::with_capacity(n),
            decision: Vec::with_capacity(n),
            total: Vec::with_capacity(n),
        }
    }
}

fn figures(samples: &mut [u64]) -> StageFigures {
    samples.sort_unstable();
    let q = |q| percentile_of_sorted(samples, q).unwrap_or(0);
    let sum: u64 = samples.iter().sum();
    StageFigures {
        p50_us: q(0.5),
        p95_us: q(0.95),
        p99_us: q(0.99),
        mean_us: sum as f64 / samples.len().max(1) as f64,
    }
}

fn micros(since: Instant) -> u64 {
    u64::try_from(since.elapsed().as_micros()).unwrap_or(u64::MAX)
}

/// Runs the benchmark; see the [module docs](self).
///
/// # Errors
/// [`BenchError`]: no frames asked for, a source that cannot deliver enough frames, or
/// an inspector failure.
pub fn bench(
    inspector: &mut Inspector,
    threads: usize,
    mut frames: BenchFrames<'_>,
    options: BenchOptions,
) -> Result<BenchReport, BenchError> {
    if options.frames == 0 {
        return Err(BenchError::NoFrames);
    }
    let input = inspector.manifest().input;
    let synthetic = synthetic_frame(input.width, input.height);
    let source_name = match &frames {
        BenchFrames::Source(s) => s.describe(),
        BenchFrames::Synthetic => {
            format!("synthetic {}×{} frame", input.width, input.height)
        }
    };
    let needed = options.warmup + options.frames;
    let mut samples = Samples::with_capacity(options.frames);
    // A scheduler as the line has one: the decision stage is `on_verdict`.
    let mut scheduler = Scheduler::<Micros, 4>::new(Config {
        delay: Span::new(1_000_000),
        pulse_width: Span::new(1),
        decision_margin: Span::ZERO,
    })
    .map_err(|e| BenchError::Scheduler(e.to_string()))?;
    let (mut done, mut delivered, mut failed, mut anomalous) = (0, 0, 0, 0);
    let mut last_error = None;
    let mut measured_from = Instant::now();
    while done < needed {
        if done == options.warmup && samples.total.is_empty() {
            measured_from = Instant::now();
        }
        let start = Instant::now();
        let owned;
        let image = match &mut frames {
            BenchFrames::Synthetic => &synthetic,
            BenchFrames::Source(source) => match source.next_frame() {
                Ok(Some(frame)) => {
                    delivered += 1;
                    owned = frame.image;
                    &owned
                }
                Ok(None) | Err(_) if failed > needed => {
                    return Err(BenchError::Source {
                        delivered,
                        failed,
                        needed,
                        last: last_error,
                    })
                }
                Ok(None) => {
                    failed += 1;
                    continue;
                }
                Err(e) => {
                    failed += 1;
                    last_error = Some(e);
                    continue;
                }
            },
        };
        let capture_us = micros(start);
        let outcome = inspector
            .inspect_frame(image)
            .map_err(|source| BenchError::Inspect {
                index: done,
                source,
            })?;
        // Each frame a part of its own, 10 s apart on the scheduler's axis.
        let at = done as u64 * 10_000_000;
        let part = scheduler
            .on_trigger(Position::new(at))
            .map_err(|e| BenchError::Scheduler(e.to_string()))?;
        let decided = Instant::now();
        let verdict = if outcome.anomalous {
            Verdict::Defect {
                code: super::DEFECT_CODE,
            }
        } else {
            Verdict::Pass
        };
        let _ = scheduler.on_verdict(part, verdict, Position::new(at));
        let decision_us = micros(decided);
        // Retire the part (fire_at = at + 1 s) so the scheduler never fills.
        for _ in scheduler.poll(Position::new(at + 5_000_000)) {}
        if done >= options.warmup {
            let t = outcome.timings;
            samples.capture.push(capture_us);
            samples.preprocess.push(t.preprocess_us);
            samples.network.push(t.network_us);
            samples.scoring.push(t.scoring_us);
            samples.decision.push(decision_us);
            samples.total.push(micros(start));
            anomalous += usize::from(outcome.anomalous);
        }
        done += 1;
    }
    let wall_s = measured_from.elapsed().as_secs_f64();
    let is_source = matches!(frames, BenchFrames::Source(_));
    Ok(BenchReport {
        source: source_name,
        threads,
        frames: options.frames,
        warmup: options.warmup,
        input: [input.width, input.height, u32::from(input.channels)],
        macs_per_frame: inspector.macs_per_frame(),
        stages: Stages {
            capture: is_source.then(|| figures(&mut samples.capture)),
            preprocess: figures(&mut samples.preprocess),
            network: figures(&mut samples.network),
            scoring: figures(&mut samples.scoring),
            decision: figures(&mut samples.decision),
            total: figures(&mut samples.total),
        },
        fps: options.frames as f64 / wall_s.max(1e-9),
        anomalous,
        frame_errors: failed,
    })
}

impl BenchReport {
    /// The table `edge bench` prints.
    #[must_use]
    pub fn table(&self) -> String {
        let mut out = format!(
            "source   {}\nthreads  {}, {} frames after {} warm-up, input {}×{}×{}, {:.1} MMAC/frame\n\
             stage        p50 ms   p95 ms   p99 ms  mean ms\n",
            self.source,
            self.threads,
            self.frames,
            self.warmup,
            self.input[0],
            self.input[1],
            self.input[2],
            self.macs_per_frame as f64 / 1e6
        );
        let s = &self.stages;
        let rows = [
            ("capture", s.capture),
            ("preprocess", Some(s.preprocess)),
            ("network", Some(s.network)),
            ("scoring", Some(s.scoring)),
            ("decision", Some(s.decision)),
            ("total", Some(s.total)),
        ];
        for (name, f) in rows {
            match f {
                Some(f) => out.push_str(&format!(
                    "{name:<10} {:>8.3} {:>8.3} {:>8.3} {:>8.3}\n",
                    f.p50_us as f64 / 1000.0,
                    f.p95_us as f64 / 1000.0,
                    f.p99_us as f64 / 1000.0,
                    f.mean_us / 1000.0
                )),
                None => out.push_str(&format!("{name:<10} {:>8}\n", "-")),
            }
        }
        out.push_str(&format!(
            "throughput {:.1} frames/s (one frame at a time); {} anomalous, {} frame errors\n",
            self.fps, self.anomalous, self.frame_errors
        ));
        out
    }
}
