//! What the loop does when a part cannot be inspected: camera lost and back, a corrupt
//! frame, a verdict after the deadline, an inspector failure. Every such part is
//! rejected with its reason, never passed.

use std::sync::Arc;

use edge::clock::{Clock, ManualClock};
use edge::inspector::InspectorError;
use edge::record::{Reason, Verdict};
use edge::source::{Frame, FrameOrigin, FrameSource, SourceError};
use edge::station::{Inspect, InspectOutcome, StopReason};
use image::RgbImage;
use shared::scheduler::RejectReason;

use crate::common::{blob_frame, clean_frame};
use crate::harness::*;

/// A camera that times out on calls `down.start..down.end` (each timeout takes 100 ms of
/// the clock) and is unhealthy meanwhile; frames alternate clean / blob otherwise.
struct FlakyCamera {
    clock: Arc<ManualClock>,
    calls: u64,
    frames: u64,
    down: std::ops::Range<u64>,
    total: u64,
    healthy: bool,
}

impl FrameSource for FlakyCamera {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let call = self.calls;
        self.calls += 1;
        if call >= self.total {
            return Ok(None);
        }
        if self.down.contains(&call) {
            self.clock.sleep_us(100_000);
            self.healthy = false;
            return Err(SourceError::Timeout {
                device: "/dev/video0".into(),
                timeout_ms: 100,
            });
        }
        self.healthy = true;
        let seq = self.frames;
        self.frames += 1;
        let image = if seq % 2 == 0 {
            clean_frame(600 + seq)
        } else {
            blob_frame(600 + seq)
        };
        Ok(Some(Frame {
            seq,
            captured_us: self.clock.now_us(),
            image,
            origin: FrameOrigin::Camera {
                device: "/dev/video0".into(),
                sequence: seq as u32,
            },
        }))
    }

    fn describe(&self) -> String {
        "flaky test camera".into()
    }

    fn is_healthy(&self) -> bool {
        self.healthy
    }
}

#[test]
fn camera_loss_rejects_parts_asserts_fault_and_inspection_resumes() {
    let dir = scratch("outage");
    let bundle = write_bundle(&dir);
    let mut bench = station(false);
    let mut camera = FlakyCamera {
        clock: bench.clock.clone(),
        calls: 0,
        frames: 0,
        down: 3..6,
        total: 9,
        healthy: false,
    };
    let mut inspector = inspector(&bundle);
    let mut recorder = memory_recorder();
    let (report, keep) = run_loop(
        &mut bench,
        &mut camera,
        &mut inspector,
        &mut recorder,
        &options(),
    );
    let log = logged(recorder);
    assert_eq!(report.stop, StopReason::SourceEnded);
    assert_eq!(log.len(), 9);
    for (i, record) in log.iter().enumerate() {
        if (3..6).contains(&i) {
            assert_eq!(record.verdict, Verdict::Reject, "{record:?}");
            assert_eq!(record.reason, Reason::FrameError);
            assert!(record.score.is_none());
            let detail = record.detail.as_deref().unwrap_or_default();
            assert!(detail.contains("no frame within 100 ms"), "{detail}");
        } else {
            assert_eq!(record.reason, Reason::Inspected, "{record:?}");
        }
    }
    assert_eq!(report.summary.camera_losses, 1);
    assert_eq!(report.summary.rejects.frame_error, 3);
    // The scheduler fired for every part of the outage.
    let failed: Vec<u64> = report
        .fires
        .iter()
        .filter(|f| f.reason == RejectReason::Failed)
        .map(|f| f.part_id.0)
        .collect();
    assert_eq!(failed, vec![3, 4, 5]);

    // Fault output: asserted at start-up until the first frame, during the outage, and
    // from shutdown on.
    let periods = fault_periods(&bench.sim);
    assert_eq!(periods.len(), 3, "{periods:?}");
    let at = |part: usize| keep.parts[part].1.at_us;
    let outage = periods[1];
    let end = outage.start_us + outage.width_us.expect("the outage ended");
    // Raised at the first tick after the first timeout (the part is triggered then) ...
    assert!(
        outage.start_us > at(3) && outage.start_us <= at(3) + TICK_US,
        "{outage:?} vs part 3 at {}",
        at(3)
    );
    // ... and released when frames come again, before the next part is triggered.
    assert!(
        end > at(5) && end <= at(6) + TICK_US,
        "{outage:?} vs {}",
        at(6)
    );
    assert!(periods[2].width_us.is_none(), "asserted at shutdown");
    assert!(keep.warnings.iter().any(|w| w.contains("unhealthy")));
    // Ready at the first frame and again after the outage.
    assert_eq!(keep.notices.len(), 2, "{:?}", keep.notices);
}

#[test]
fn a_corrupt_frame_rejects_its_part_and_the_next_is_inspected() {
    let dir = scratch("corrupt");
    let bundle = write_bundle(&dir);
    let frames = write_frames(&dir, 3, 0);
    let bad = frames.join("test/good/001.png");
    std::fs::write(&bad, b"this is not a PNG").expect("corrupt frame");
    let mut bench = station(false);
    let mut source = edge::source::FolderSource::open(
        &frames,
        edge::source::FolderOptions::default(),
        bench.clock.clone(),
    )
    .expect("open");
    let mut inspector = inspector(&bundle);
    let mut recorder = memory_recorder();
    let (report, _) = run_loop(
        &mut bench,
        &mut source,
        &mut inspector,
        &mut recorder,
        &options(),
    );
    let log = logged(recorder);
    let reasons: Vec<Reason> = log.iter().map(|r| r.reason).collect();
    assert_eq!(
        reasons,
        vec![Reason::Inspected, Reason::FrameError, Reason::Inspected]
    );
    assert_eq!(log[1].verdict, Verdict::Reject);
    let detail = log[1].detail.as_deref().unwrap_or_default();
    assert!(detail.contains("001.png"), "names the file: {detail}");
    assert_eq!(report.fires.len(), 1);
    assert_eq!(report.fires[0].reason, RejectReason::Failed);
    // A bad file is not a camera fault: only start-up and shutdown assert it.
    assert_eq!(fault_periods(&bench.sim).len(), 2);
}

/// The real inspector, with part `slow` taking `extra_us` of the clock and part `fail`
/// failing.
struct Staged {
    inner: edge::inspector::Inspector,
    clock: Arc<ManualClock>,
    calls: u64,
    slow: u64,
    extra_us: u64,
    fail: u64,
}

impl Inspect for Staged {
    fn inspect_frame(&mut self, frame: &RgbImage) -> Result<InspectOutcome, InspectorError> {
        let call = self.calls;
        self.calls += 1;
        if call == self.fail {
            return Err(InspectorError::HeatmapLength {
                expected: 1,
                got: 0,
                width: 1,
                height: 1,
            });
        }
        let outcome = self.inner.inspect_frame(frame)?;
        if call == self.slow {
            self.clock.sleep_us(self.extra_us);
        }
        Ok(outcome)
    }
}

#[test]
fn a_late_verdict_rejects_as_late_and_a_failing_inspector_rejects_with_reason() {
    let dir = scratch("late");
    let bundle = write_bundle(&dir);
    // All good frames: any reject here comes from the failure being tested.
    let frames = write_frames(&dir, 5, 0);
    let mut bench = station(false);
    let mut source = edge::source::FolderSource::open(
        &frames,
        edge::source::FolderOptions::default(),
        bench.clock.clone(),
    )
    .expect("open");
    let mut staged = Staged {
        inner: inspector(&bundle),
        clock: bench.clock.clone(),
        calls: 0,
        slow: 1,
        // Past the deadline (delay − margin), as a stalled network would be.
        extra_us: DELAY_US - MARGIN_US + 1,
        fail: 3,
    };
    let mut recorder = memory_recorder();
    let (report, keep) = run_loop(
        &mut bench,
        &mut source,
        &mut staged,
        &mut recorder,
        &options(),
    );
    let log = logged(recorder);
    let outcome: Vec<(Verdict, Reason)> = log.iter().map(|r| (r.verdict, r.reason)).collect();
    assert_eq!(
        outcome,
        vec![
            (Verdict::Pass, Reason::Inspected),
            (Verdict::Reject, Reason::Late),
            (Verdict::Pass, Reason::Inspected),
            (Verdict::Reject, Reason::InspectorError),
            (Verdict::Pass, Reason::Inspected),
        ]
    );
    // The late part keeps its score (it was inspected) and says why it was rejected.
    assert!(log[1].score.is_some());
    let detail = log[1].detail.as_deref().unwrap_or_default();
    assert!(detail.contains("deadline"), "{detail}");
    assert!(log[3]
        .detail
        .as_deref()
        .unwrap_or_default()
        .contains("heat-map"));
    assert_eq!(report.summary.rejects.late, 1);
    assert_eq!(report.summary.rejects.inspector_error, 1);
    assert_eq!(report.line.scheduler.rejected_late, 1);
    assert_eq!(report.line.scheduler.late_verdicts_ignored, 1);
    // The scheduler fired the late part at its scheduled time all the same.
    let late = report
        .fires
        .iter()
        .find(|f| f.part_id.0 == 1)
        .expect("the late part fired");
    assert_eq!(late.reason, RejectReason::Late);
    assert_eq!(late.scheduled_at, keep.parts[1].1.at_us + DELAY_US);
    assert!(late.start_at - late.scheduled_at < TICK_US);
}
