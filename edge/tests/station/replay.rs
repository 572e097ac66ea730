//! Replays of a folder through the loop on the simulated line: one record per part,
//! verdicts equal to the inspector's, one pulse per reject at its scheduled time.

use std::path::PathBuf;

use edge::record::{Reason, Verdict};
use edge::source::{FolderOptions, FolderSource};
use edge::station::{StopReason, TruthCounts};
use shared::scheduler::{PartId, RejectReason};

use crate::harness::*;

/// Checks a replay of 5 good + 3 blob frames; `photo_eye` picks the part source.
fn replay(photo_eye: bool) {
    let dir = scratch(if photo_eye {
        "replay-eye"
    } else {
        "replay-free"
    });
    let bundle = write_bundle(&dir);
    let frames = write_frames(&dir, 5, 3);
    let mut bench = station(photo_eye);
    let mut source =
        FolderSource::open(&frames, FolderOptions::default(), bench.clock.clone()).expect("open");
    let mut inspector = inspector(&bundle);
    let mut recorder = memory_recorder();
    let (report, keep) = run_loop(
        &mut bench,
        &mut source,
        &mut inspector,
        &mut recorder,
        &options(),
    );
    let log = logged(recorder);

    assert_eq!(report.stop, StopReason::SourceEnded);
    assert!(report.shutdown.is_ok());
    // Exactly one record per part, ids 0..8, the log holding what the loop reported.
    assert_eq!(log.len(), 8, "{log:#?}");
    let ids: Vec<u64> = log.iter().map(|r| r.part_id).collect();
    assert_eq!(ids, (0..8).collect::<Vec<_>>());
    let observed: Vec<_> = keep.parts.iter().map(|(r, _)| r.clone()).collect();
    assert_eq!(observed, log);
    assert_eq!(report.summary.parts, 8);
    assert_eq!(report.line.scheduler.triggered, 8);

    // Verdicts and scores equal the inspector's on the same files, at the threshold.
    let mut reference = inspector_for_reference(&bundle);
    let mut rejected = Vec::new();
    for (record, trigger) in &keep.parts {
        let path = PathBuf::from(record.origin.as_deref().expect("origin"));
        let image = image::open(&path).expect("frame").to_rgb8();
        let i = reference.inspect(&image).expect("inspect");
        assert_eq!(record.reason, Reason::Inspected, "{record:?}");
        let score = record.score.expect("inspected parts have a score");
        assert_eq!(score.raw, i.raw_score, "{}", path.display());
        assert_eq!(i.anomalous, i.raw_score >= THRESHOLD);
        let want = if i.anomalous {
            Verdict::Reject
        } else {
            Verdict::Pass
        };
        assert_eq!(record.verdict, want, "{}", path.display());
        // The test bundle tells the two kinds apart.
        assert_eq!(i.anomalous, path.to_string_lossy().contains("/blob/"));
        if i.anomalous {
            rejected.push(*trigger);
        }
        let latency = record.latency_us;
        assert!(latency.capture_us.is_some() && latency.network_us.is_some());
    }
    assert_eq!(rejected.len(), 3);
    assert_eq!(
        report.summary.truth,
        TruthCounts {
            good: 5,
            good_rejected: 0,
            defective: 3,
            defective_rejected: 3
        }
    );

    // One fire per reject, due at trigger + delay, started within a tick; none for passes.
    let pulses = reject_pulses(&bench.sim);
    assert_eq!(report.fires.len(), 3, "{:?}", report.fires);
    assert_eq!(pulses.len(), 3, "{pulses:?}");
    for (trigger, fire) in rejected.iter().zip(&report.fires) {
        assert_eq!(fire.part_id, trigger.part_id);
        assert_eq!(fire.reason, RejectReason::Defect { code: 0 });
        // Due at the edge's first sighting + delay; the part is accepted one debounce
        // later, at a tick (free-run: no debounce, the tick is the trigger).
        let accepted_after = trigger.at_us + DELAY_US - fire.scheduled_at;
        if photo_eye {
            assert!(
                accepted_after < DEBOUNCE_US + TICK_US,
                "{fire:?} {trigger:?}"
            );
        } else {
            assert_eq!(accepted_after, 0, "{fire:?} {trigger:?}");
        }
        assert!(fire.start_at - fire.scheduled_at < TICK_US, "{fire:?}");
        let pulse = pulses
            .iter()
            .find(|p| p.start_us == fire.start_at)
            .unwrap_or_else(|| panic!("no valve pulse for {fire:?} in {pulses:?}"));
        assert!(pulse
            .width_us
            .is_some_and(|w| (PULSE_US..PULSE_US + TICK_US).contains(&w)));
    }
    for (record, trigger) in &keep.parts {
        if record.verdict == Verdict::Pass {
            let due = trigger.at_us + DELAY_US - DEBOUNCE_US - TICK_US;
            assert!(
                !pulses
                    .iter()
                    .any(|p| p.start_us >= due && p.start_us <= due + DEBOUNCE_US + 2 * TICK_US),
                "a pass fired: {record:?}"
            );
            assert!(report
                .fires
                .iter()
                .all(|f| f.part_id != PartId(record.part_id)));
        }
    }
    assert_eq!(report.line.scheduler.passed, 5);
    assert_eq!(report.line.stats.max_tick_gap_us, TICK_US);
    assert!(!report.line.faults.any());
}

fn inspector_for_reference(bundle: &std::path::Path) -> edge::inspector::Inspector {
    inspector(bundle)
}

#[test]
fn free_run_replay_gives_one_record_per_frame_and_one_pulse_per_reject_on_schedule() {
    replay(false);
}

#[test]
fn photo_eye_replay_inspects_the_first_frame_after_each_trigger() {
    replay(true);
}

#[test]
fn max_parts_stops_the_replay_and_summaries_come_every_n_parts() {
    let dir = scratch("max-parts");
    let bundle = write_bundle(&dir);
    let frames = write_frames(&dir, 6, 0);
    let mut bench = station(false);
    let mut source =
        FolderSource::open(&frames, FolderOptions::default(), bench.clock.clone()).expect("open");
    let mut inspector = inspector(&bundle);
    let mut recorder = memory_recorder();
    let mut opts = options();
    opts.max_parts = Some(4);
    opts.summary_every = Some(2);
    let (report, keep) = run_loop(
        &mut bench,
        &mut source,
        &mut inspector,
        &mut recorder,
        &opts,
    );
    assert_eq!(report.stop, StopReason::MaxParts);
    assert_eq!(logged(recorder).len(), 4);
    let counts: Vec<u64> = keep.summaries.iter().map(|s| s.parts).collect();
    assert_eq!(counts, vec![2, 4]);
    // Parts 100 ms apart on the loop's clock.
    let times: Vec<u64> = keep.parts.iter().map(|(_, t)| t.at_us).collect();
    assert!(
        times.windows(2).all(|w| w[1] - w[0] == 100_000),
        "{times:?}"
    );
}
