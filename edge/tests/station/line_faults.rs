//! Faults on the line side of the loop (docs/reliability.md): photo-eye bursts faster
//! than inference, a burst past the in-flight queue, a frame that comes after its part's
//! deadline, a failed reject write. Each part still ends in exactly one record, no part
//! passes after its deadline, the failure is counted, and inspection goes on.

use std::sync::Arc;

use edge::clock::{Clock, ManualClock};
use edge::inspector::InspectorError;
use edge::line::{InputRole, OutputRole, SimLine};
use edge::record::{Reason, Verdict, VerdictRecord};
use edge::source::{Frame, FrameOrigin, FrameSource, SourceError};
use edge::station::{Inspect, InspectOutcome, LoopOptions, PartTrigger, RunReport};
use image::RgbImage;

use crate::common::clean_frame;
use crate::harness::*;

/// A camera that always delivers clean frames, one every `period_us` of the clock
/// (stamped when the read returns); read number `stall_at` first stalls `stall_us`,
/// as a camera whose frame arrives late. Ends after `total` frames.
struct Camera {
    clock: Arc<ManualClock>,
    period_us: u64,
    frames: u64,
    total: u64,
    stall_at: Option<u64>,
    stall_us: u64,
}

impl FrameSource for Camera {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        if self.frames >= self.total {
            return Ok(None);
        }
        let seq = self.frames;
        self.frames += 1;
        self.clock.sleep_us(self.period_us);
        if self.stall_at == Some(seq) {
            self.clock.sleep_us(self.stall_us);
        }
        Ok(Some(Frame {
            seq,
            captured_us: self.clock.now_us(),
            image: clean_frame(700 + seq % 7),
            origin: FrameOrigin::Camera {
                device: "/dev/video0".into(),
                sequence: seq as u32,
            },
        }))
    }

    fn describe(&self) -> String {
        "test camera".into()
    }

    fn is_healthy(&self) -> bool {
        true
    }
}

/// The real inspector, each call taking `cost_us` of the clock (a slow board).
struct Slow {
    inner: edge::inspector::Inspector,
    clock: Arc<ManualClock>,
    cost_us: u64,
}

impl Inspect for Slow {
    fn inspect_frame(&mut self, frame: &RgbImage) -> Result<InspectOutcome, InspectorError> {
        let outcome = self.inner.inspect_frame(frame)?;
        self.clock.sleep_us(self.cost_us);
        Ok(outcome)
    }
}

/// Photo-eye edges at `times` (µs), each held 2 ms.
fn script_triggers(sim: &SimLine, times: &[u64]) {
    for &t in times {
        sim.pulse_input(InputRole::Trigger, t, 2_000);
    }
}

/// Camera options: frames read while no part waits, drain long enough for every pulse.
fn camera_options() -> LoopOptions {
    LoopOptions {
        part_interval_us: 0,
        read_while_idle: true,
        drain_timeout_us: DELAY_US + PULSE_US + 100_000,
        ..LoopOptions::default()
    }
}

/// Every part id the scheduler issued has exactly one record, in id order.
fn assert_one_record_per_part(report: &RunReport, log: &[VerdictRecord]) {
    let ids: Vec<u64> = log.iter().map(|r| r.part_id).collect();
    let expected: Vec<u64> = (0..report.line.scheduler.triggered).collect();
    assert_eq!(ids, expected, "one record per triggered part");
}

/// No part passed at or after its deadline.
fn assert_no_late_pass(parts: &[(VerdictRecord, PartTrigger)]) {
    for (record, trigger) in parts {
        if record.verdict == Verdict::Pass {
            assert!(
                record.mono_us < trigger.at_us + DELAY_US - MARGIN_US,
                "part {} passed after its deadline: {record:?}",
                record.part_id
            );
        }
    }
}

/// Runs a photo-eye station with triggers at `times` over a camera with 10 ms frames and
/// an inspector taking `cost_us`; returns the report, the parts and the log.
fn burst(
    name: &str,
    times: &[u64],
    cost_us: u64,
) -> (
    RunReport,
    Vec<(VerdictRecord, PartTrigger)>,
    Vec<VerdictRecord>,
    SimLine,
) {
    let dir = scratch(name);
    let bundle = write_bundle(&dir);
    let mut bench = station_with(true, false);
    script_triggers(&bench.sim, times);
    let last = times.last().copied().unwrap_or(0);
    let mut camera = Camera {
        clock: bench.clock.clone(),
        period_us: 10_000,
        frames: 0,
        // Frames until well after the last trigger.
        total: (last + 300_000 - 1_000_000) / 10_000,
        stall_at: None,
        stall_us: 0,
    };
    let mut slow = Slow {
        inner: inspector(&bundle),
        clock: bench.clock.clone(),
        cost_us,
    };
    let mut recorder = memory_recorder();
    let (report, keep) = run_loop(
        &mut bench,
        &mut camera,
        &mut slow,
        &mut recorder,
        &camera_options(),
    );
    (report, keep.parts, logged(recorder), bench.sim)
}

#[test]
fn a_trigger_burst_faster_than_inference_rejects_what_cannot_be_inspected_in_time() {
    // 12 parts 30 ms apart at 1.1 s, inspection 100 ms each: the backlog outgrows the
    // 595 ms deadline; then three parts a second apart.
    let mut times: Vec<u64> = (0..12).map(|i| 1_100_000 + i * 30_000).collect();
    times.extend([2_600_000, 3_600_000, 4_600_000]);
    let (report, parts, log, sim) = burst("burst", &times, 100_000);

    assert_eq!(report.line.scheduler.triggered, 15);
    assert_eq!(report.line.stats.refused_triggers, 0);
    assert_one_record_per_part(&report, &log);
    assert_no_late_pass(&parts);
    let late = log.iter().filter(|r| r.reason == Reason::Late).count() as u64;
    assert!(late >= 3, "the backlog made late parts: {log:?}");
    assert!(log.iter().all(|r| r.reason == Reason::Inspected
        || (r.reason == Reason::Late && r.verdict == Verdict::Reject)));
    assert_eq!(report.summary.rejects.late, late);
    assert_eq!(report.line.scheduler.rejected_late, late);
    // Every reject reached the valve, once (pulses 20 ms, parts 30 ms apart: none merge).
    let rejects = log.iter().filter(|r| r.verdict == Verdict::Reject).count();
    assert_eq!(reject_pulses(&sim).len(), rejects);
    // The first part was inspected in time, and inspection resumed after the burst.
    assert_eq!(log[0].verdict, Verdict::Pass);
    for r in &log[12..] {
        assert_eq!(
            (r.verdict, r.reason),
            (Verdict::Pass, Reason::Inspected),
            "{r:?}"
        );
    }
    assert!(!report.line.faults.any(), "late parts are not a line fault");
}

#[test]
fn a_burst_past_the_in_flight_queue_is_refused_counted_and_raises_fault() {
    // 40 edges 5 ms apart: the queue holds 32 parts within the 600 ms delay.
    let mut times: Vec<u64> = (0..40).map(|i| 1_100_000 + i * 5_000).collect();
    times.extend([2_600_000, 3_600_000]);
    let (report, parts, log, sim) = burst("overflow", &times, 20_000);

    assert_eq!(report.line.stats.refused_triggers, 8);
    assert_eq!(report.line.scheduler.triggered, 34);
    assert!(
        report.line.faults.untracked_part,
        "{:?}",
        report.line.faults
    );
    assert_one_record_per_part(&report, &log);
    assert_no_late_pass(&parts);
    // The fault output went up during the burst (not only at start-up and shutdown) and
    // stays latched for an operator.
    let faults = fault_periods(&sim);
    assert!(
        faults
            .iter()
            .any(|p| p.start_us > 1_100_000 && p.start_us < 1_400_000),
        "{faults:?}"
    );
    // Inspection goes on after the burst.
    for r in &log[32..] {
        assert_eq!(
            (r.verdict, r.reason),
            (Verdict::Pass, Reason::Inspected),
            "{r:?}"
        );
    }
}

#[test]
fn a_frame_arriving_after_its_deadline_rejects_the_part_uninspected_and_the_next_is_inspected() {
    let dir = scratch("late-frame");
    let bundle = write_bundle(&dir);
    let mut bench = station_with(true, false);
    script_triggers(&bench.sim, &[1_100_000, 2_100_000, 3_100_000]);
    let mut camera = Camera {
        clock: bench.clock.clone(),
        period_us: 10_000,
        frames: 0,
        total: 330,
        // The first frame after the second trigger comes 700 ms late.
        stall_at: Some(110),
        stall_us: 700_000,
    };
    let mut inspector = inspector(&bundle);
    let mut recorder = memory_recorder();
    let (report, keep) = run_loop(
        &mut bench,
        &mut camera,
        &mut inspector,
        &mut recorder,
        &camera_options(),
    );
    let log = logged(recorder);
    assert_one_record_per_part(&report, &log);
    let outcome: Vec<(Verdict, Reason)> = log.iter().map(|r| (r.verdict, r.reason)).collect();
    assert_eq!(
        outcome,
        vec![
            (Verdict::Pass, Reason::Inspected),
            (Verdict::Reject, Reason::Late),
            (Verdict::Pass, Reason::Inspected),
        ]
    );
    assert!(log[1].score.is_none(), "not inspected: {:?}", log[1]);
    assert_eq!(report.summary.rejects.late, 1);
    assert_eq!(reject_pulses(&bench.sim).len(), 1);
    assert_no_late_pass(&keep.parts);
}

/// Replays frames; reading frame `at` makes the next write of the reject line fail.
struct FailRejectWriteAt<S> {
    inner: S,
    sim: SimLine,
    reads: u64,
    at: u64,
}

impl<S: FrameSource> FrameSource for FailRejectWriteAt<S> {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        if self.reads == self.at {
            self.sim.fail_writes(OutputRole::Reject, 1);
        }
        self.reads += 1;
        self.inner.next_frame()
    }

    fn describe(&self) -> String {
        self.inner.describe()
    }

    fn is_healthy(&self) -> bool {
        self.inner.is_healthy()
    }
}

#[test]
fn a_failed_reject_write_raises_fault_is_retried_and_inspection_goes_on() {
    let dir = scratch("gpio-write");
    let bundle = write_bundle(&dir);
    // Sorted: test/blob/000..002 first (parts 0-2), then test/good/000..004.
    let frames = write_frames(&dir, 5, 3);
    let mut bench = station(false);
    let folder = edge::source::FolderSource::open(
        &frames,
        edge::source::FolderOptions::default(),
        bench.clock.clone(),
    )
    .expect("open");
    let mut source = FailRejectWriteAt {
        inner: folder,
        sim: bench.sim.clone(),
        reads: 0,
        at: 0,
    };
    let mut inspector = inspector(&bundle);
    let mut recorder = memory_recorder();
    let (report, _keep) = run_loop(
        &mut bench,
        &mut source,
        &mut inspector,
        &mut recorder,
        &options(),
    );
    let log = logged(recorder);
    assert_one_record_per_part(&report, &log);
    assert!(log.iter().all(|r| r.reason == Reason::Inspected), "{log:?}");
    let verdicts: Vec<Verdict> = log.iter().map(|r| r.verdict).collect();
    assert_eq!(&verdicts[..3], &[Verdict::Reject; 3]);
    assert!(verdicts[3..].iter().all(|&v| v == Verdict::Pass));
    // Counted and latched; the fault output went up at the failed write.
    assert_eq!(report.line.stats.pin_write_failures, 1);
    assert!(report.line.faults.pin, "{:?}", report.line.faults);
    // The pulse was retried at the next tick: every reject still reached the valve, the
    // first one a tick after its schedule; the fault output went up at the failed write.
    let pulses = reject_pulses(&bench.sim);
    assert_eq!(pulses.len(), 3, "{pulses:?}");
    let first = report
        .fires
        .iter()
        .find(|f| f.part_id.0 == 0)
        .expect("fired");
    let retry = pulses[0].start_us - first.scheduled_at;
    assert!(retry > 0 && retry <= 2 * TICK_US, "{first:?} vs {pulses:?}");
    let faults = fault_periods(&bench.sim);
    assert!(
        faults.iter().any(|p| p.start_us >= first.scheduled_at
            && p.start_us <= pulses[0].start_us
            && p.width_us.is_none()),
        "fault raised at the failed write and latched: {faults:?}"
    );
}
