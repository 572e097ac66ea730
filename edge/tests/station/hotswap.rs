//! Hot deployment in the replay simulation: a replacement bundle renamed over the
//! running one (or written in place) while the loop runs. The validation is awaited
//! before the next part (`await_validation`) and the file polled every part, so where a
//! swap lands is exact: the file changes while frame `k` is read, the change is seen at
//! part `k + 1`, settles (two equal polls) and is swapped in before part `k + 2`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use edge::deploy::{
    open_hashed, sha256_hex, BundleCheck, BundleValidator, DeployCounts, DeployEvent, HotSwap,
    HotSwapOptions, Refusal,
};
use edge::inspector::BoxError;
use edge::record::{CapturePolicy, CaptureStore, Reason, Verdict, VerdictLog, VerdictRecord};
use edge::source::{FolderOptions, FolderSource, Frame, FrameSource, SourceError};
use edge::station::{Recorder, StopReason};
use shared::bundle::{Bundle, ModelKind, Roi};

use crate::common::{bundle, feature_graph, feature_graph_with, int8_bank, manifest, DIM, SIDE};
use crate::harness::*;

/// Frames a validation dry-runs on.
const DRY_RUN: usize = 8;

/// The test bundle with `threshold`; `created` only changes the bytes (and the hash).
fn variant(threshold: f32, created: u64) -> Bundle {
    let mut m = manifest(ModelKind::MemoryBank);
    m.thresholds.image = threshold;
    m.provenance.created_unix_s = created;
    bundle(m, feature_graph(SIDE, DIM), int8_bank().to_bytes())
}

/// Replaces `path` as a deployment tool does: a new file renamed over it.
fn rename_over(path: &Path, bytes: &[u8]) {
    let next = path.with_extension("next");
    std::fs::write(&next, bytes).expect("write the replacement");
    std::fs::rename(&next, path).expect("rename it over the bundle");
}

/// A folder replay that runs a script step just before handing out frame `at`.
struct Scripted {
    inner: FolderSource,
    calls: u64,
    steps: Vec<(u64, Box<dyn FnMut()>)>,
}

impl FrameSource for Scripted {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let call = self.calls;
        self.calls += 1;
        for (at, step) in &mut self.steps {
            if *at == call {
                step();
            }
        }
        self.inner.next_frame()
    }
    fn describe(&self) -> String {
        "scripted replay".into()
    }
    fn is_healthy(&self) -> bool {
        self.inner.is_healthy()
    }
}

/// One replay: frames (blobs first, then goods: folder order), the running bundle at
/// `dir/model.bundle`, a capture store (the dry run's frames), a script.
struct Replay {
    bundle: PathBuf,
    frames: PathBuf,
    captures: PathBuf,
}

impl Replay {
    fn new(name: &str, goods: u64, blobs: u64) -> Self {
        let dir = scratch(name);
        let bundle = write_bundle(&dir);
        let frames = write_frames(&dir, goods, blobs);
        let captures = dir.join("captures");
        Self {
            bundle,
            frames,
            captures,
        }
    }

    fn hot_swap(&self, bench: &Bench, probation_parts: u64, max_reject_rate: f64) -> HotSwap {
        let (inspector, sha256) =
            open_hashed(&self.bundle, None, 1).expect("the test bundle opens");
        let validator = BundleValidator::new(1).with_dry_run(self.captures.clone(), DRY_RUN);
        let options = HotSwapOptions {
            watch: true,
            poll_interval_us: 0,
            probation_parts,
            max_reject_rate,
            await_validation: true,
        };
        HotSwap::new(
            inspector,
            &self.bundle,
            sha256,
            validator,
            bench.clock.clone(),
            options,
        )
        .expect("validator thread")
    }

    /// Runs the replay with `steps`; returns the report's pieces and the log.
    fn run(
        &self,
        bench: &mut Bench,
        hot: &mut HotSwap,
        steps: Vec<(u64, Box<dyn FnMut()>)>,
    ) -> (edge::station::RunReport, Keep, Vec<VerdictRecord>) {
        let inner = FolderSource::open(&self.frames, FolderOptions::default(), bench.clock.clone())
            .expect("open frames");
        let mut source = Scripted {
            inner,
            calls: 0,
            steps,
        };
        let store = CaptureStore::open(&self.captures, CapturePolicy::default()).expect("store");
        let mut recorder =
            Recorder::new(VerdictLog::with_sink(Vec::new(), "test log"), Some(store));
        let (report, keep) = run_loop(bench, &mut source, hot, &mut recorder, &options());
        (report, keep, logged(recorder))
    }
}

/// Every part exactly once, in order, with a record: nothing lost across a swap.
fn assert_every_part_once(log: &[VerdictRecord], parts: u64) {
    let ids: Vec<u64> = log.iter().map(|r| r.part_id).collect();
    assert_eq!(ids, (0..parts).collect::<Vec<_>>(), "{log:#?}");
    for r in log {
        assert_eq!(r.reason, Reason::Inspected, "{r:?}");
    }
}

/// (generation, bundle hash) of each part, in part order.
fn scored_by(log: &[VerdictRecord]) -> Vec<(u32, String)> {
    log.iter()
        .map(|r| {
            (
                r.model_generation
                    .expect("an inspected part names its model"),
                r.bundle_sha256.clone().expect("and its bundle"),
            )
        })
        .collect()
}

fn runs(items: &[(u32, &str, usize)]) -> Vec<(u32, String)> {
    items
        .iter()
        .flat_map(|&(g, h, n)| std::iter::repeat_n((g, h.to_owned()), n))
        .collect()
}

#[test]
fn a_good_replacement_is_swapped_in_between_two_frames_and_no_part_is_lost() {
    let replay = Replay::new("hotswap-good", 8, 4);
    let old = sha256_hex(&std::fs::read(&replay.bundle).expect("read"));
    let new_bytes = variant(THRESHOLD, 1).to_bytes();
    let new = sha256_hex(&new_bytes);
    assert_ne!(old, new);
    let mut bench = station(false);
    let mut hot = replay.hot_swap(&bench, 4, 0.5);
    let path = replay.bundle.clone();
    let steps: Vec<(u64, Box<dyn FnMut()>)> =
        vec![(5, Box::new(move || rename_over(&path, &new_bytes)))];
    let (report, keep, log) = replay.run(&mut bench, &mut hot, steps);

    assert_eq!(report.stop, StopReason::SourceEnded);
    assert!(report.shutdown.is_ok());
    assert_every_part_once(&log, 12);
    assert_eq!(report.summary.parts, 12);
    assert_eq!(report.line.scheduler.triggered, 12);
    // Replaced while frame 5 was read: seen at part 6, settled and swapped before part 7.
    assert_eq!(scored_by(&log), runs(&[(0, &old, 7), (1, &new, 5)]));
    // Same scores under the new bundle (only its provenance differs): verdicts by truth.
    for r in &log {
        let blob = r.origin.as_deref().unwrap_or_default().contains("/blob/");
        let want = if blob { Verdict::Reject } else { Verdict::Pass };
        assert_eq!(r.verdict, want, "{r:?}");
    }
    assert_eq!(
        report.summary.deploy,
        DeployCounts {
            swaps: 1,
            refusals: 0,
            rollbacks: 0
        }
    );
    let events = hot.events();
    let DeployEvent::Swapped {
        generation,
        sha256,
        dry_run,
    } = &events[0]
    else {
        panic!("{events:?}");
    };
    assert_eq!((*generation, sha256.as_str()), (1, new.as_str()));
    // The four blobs were kept as rejects (and perhaps a near-threshold good): the dry
    // run scored every kept frame as the old model did.
    assert!(dry_run.frames.len() >= 4, "{dry_run:?}");
    assert_eq!(dry_run.would_reject(), 4, "{dry_run:?}");
    assert_eq!(
        dry_run.agreement(),
        (dry_run.frames.len(), dry_run.frames.len())
    );
    // Four good parts of probation, none rejected: kept.
    assert!(
        matches!(
            events[1],
            DeployEvent::Kept {
                generation: 1,
                rejects: 0,
                parts: 4
            }
        ),
        "{events:?}"
    );
    assert_eq!(events.len(), 2, "{events:?}");
    assert!(!hot.on_probation());
    assert!(keep
        .notices
        .iter()
        .any(|n| n.contains("swapped in as generation 1")));
    assert!(report
        .summary
        .to_string()
        .contains("deploy       1 swaps, 0 refused, 0 rolled back"));
}

/// Issue 8's fault "bundle file replaced mid-run": a copy written in place is seen
/// half-written (truncated), refused and counted, the running model inspects every
/// part meanwhile, and the finished file is swapped in.
#[test]
fn a_bundle_file_replaced_mid_run_with_a_truncated_copy_is_refused_and_inspection_goes_on() {
    let replay = Replay::new("hotswap-truncated", 10, 2);
    let old = sha256_hex(&std::fs::read(&replay.bundle).expect("read"));
    let full = variant(THRESHOLD, 2).to_bytes();
    let new = sha256_hex(&full);
    let half = full[..full.len() / 2].to_vec();
    let mut bench = station(false);
    let mut hot = replay.hot_swap(&bench, 3, 0.5);
    let (p1, p2) = (replay.bundle.clone(), replay.bundle.clone());
    let steps: Vec<(u64, Box<dyn FnMut()>)> = vec![
        // A copy in place, caught half-way...
        (
            3,
            Box::new(move || std::fs::write(&p1, &half).expect("half")),
        ),
        // ...and finished later.
        (
            7,
            Box::new(move || std::fs::write(&p2, &full).expect("full")),
        ),
    ];
    let (report, keep, log) = replay.run(&mut bench, &mut hot, steps);

    assert_every_part_once(&log, 12);
    // The truncated file never scored a part; the finished one took over at part 9.
    assert_eq!(scored_by(&log), runs(&[(0, &old, 9), (1, &new, 3)]));
    assert_eq!(
        report.summary.deploy,
        DeployCounts {
            swaps: 1,
            refusals: 1,
            rollbacks: 0
        }
    );
    let DeployEvent::Refused { sha256, reason } = &hot.events()[0] else {
        panic!("{:?}", hot.events());
    };
    assert!(sha256.is_some());
    assert!(reason.contains("not a valid bundle"), "{reason}");
    assert!(reason.contains("model.bundle"), "names the file: {reason}");
    let warning = keep
        .warnings
        .iter()
        .find(|w| w.contains("swap refused"))
        .expect("the refusal is logged");
    assert!(
        warning.contains("the running model keeps inspecting"),
        "{warning}"
    );
    assert!(matches!(
        hot.events()[1],
        DeployEvent::Swapped { generation: 1, .. }
    ));
}

#[test]
fn a_bundle_that_rejects_everything_is_rolled_back_after_its_probation_and_not_retried() {
    let replay = Replay::new("hotswap-rollback", 10, 2);
    let old = sha256_hex(&std::fs::read(&replay.bundle).expect("read"));
    // A threshold below every score: every part rejected.
    let bad_bytes = variant(1e-6, 3).to_bytes();
    let bad = sha256_hex(&bad_bytes);
    let mut bench = station(false);
    // Six parts of probation at most 34 % rejects: the third reject is certain failure.
    let mut hot = replay.hot_swap(&bench, 6, 0.34);
    let reload = hot.reload_flag();
    let path = replay.bundle.clone();
    let steps: Vec<(u64, Box<dyn FnMut()>)> = vec![
        (2, Box::new(move || rename_over(&path, &bad_bytes))),
        // An operator's SIGHUP while the bad file is still there: not tried again.
        (9, Box::new(move || reload.store(true, Ordering::SeqCst))),
    ];
    let (report, keep, log) = replay.run(&mut bench, &mut hot, steps);

    assert_every_part_once(&log, 12);
    // Swapped in before part 4; parts 4, 5, 6 rejected; rolled back before part 7, the
    // old bundle back under generation 2.
    assert_eq!(
        scored_by(&log),
        runs(&[(0, &old, 4), (1, &bad, 3), (2, &old, 5)])
    );
    for r in &log[4..7] {
        assert_eq!(r.verdict, Verdict::Reject, "{r:?}");
    }
    for r in &log[7..] {
        assert_eq!(r.verdict, Verdict::Pass, "good parts pass again: {r:?}");
    }
    assert_eq!(
        report.summary.deploy,
        DeployCounts {
            swaps: 1,
            refusals: 0,
            rollbacks: 1
        }
    );
    let events = hot.events();
    assert!(
        matches!(events[0], DeployEvent::Swapped { generation: 1, .. }),
        "{events:?}"
    );
    let DeployEvent::RolledBack {
        bad_sha256,
        rejects,
        parts,
        generation,
        sha256,
        ..
    } = &events[1]
    else {
        panic!("{events:?}");
    };
    assert_eq!((bad_sha256, *rejects, *parts), (&bad, 3, 3));
    assert_eq!((*generation, sha256), (2, &old));
    assert_eq!(
        events[2],
        DeployEvent::Skipped {
            sha256: bad.clone()
        }
    );
    assert_eq!(events.len(), 3, "{events:?}");
    let warning = keep
        .warnings
        .iter()
        .find(|w| w.contains("rolled back"))
        .expect("the rollback is logged");
    assert!(
        warning.contains(&bad) && warning.contains("model.bundle"),
        "{warning}"
    );
}

#[test]
fn a_replacement_failing_the_dry_run_is_refused_before_it_scores_a_part() {
    let replay = Replay::new("hotswap-dry-run", 8, 3);
    let old = sha256_hex(&std::fs::read(&replay.bundle).expect("read"));
    let mut m = manifest(ModelKind::MemoryBank);
    m.thresholds.image = THRESHOLD;
    // A network whose Log turns negative activations into NaN: loads, never scores.
    let nan = bundle(
        m.clone(),
        feature_graph_with(SIDE, DIM, "Log"),
        int8_bank().to_bytes(),
    );
    // An ROI larger than the camera's 32×32 frames.
    m.preprocess.roi = Some(Roi {
        x: 0,
        y: 0,
        width: 48,
        height: 48,
    });
    let wide = bundle(m, feature_graph(SIDE, DIM), int8_bank().to_bytes());
    let mut bench = station(false);
    let mut hot = replay.hot_swap(&bench, 3, 0.5);
    let (p1, p2) = (replay.bundle.clone(), replay.bundle.clone());
    let (nan, wide) = (nan.to_bytes(), wide.to_bytes());
    let steps: Vec<(u64, Box<dyn FnMut()>)> = vec![
        (3, Box::new(move || rename_over(&p1, &nan))),
        (6, Box::new(move || rename_over(&p2, &wide))),
    ];
    let (report, _keep, log) = replay.run(&mut bench, &mut hot, steps);

    assert_every_part_once(&log, 11);
    assert_eq!(scored_by(&log), runs(&[(0, &old, 11)]));
    assert_eq!(
        report.summary.deploy,
        DeployCounts {
            swaps: 0,
            refusals: 2,
            rollbacks: 0
        }
    );
    let reasons: Vec<&str> = hot
        .events()
        .iter()
        .map(|e| match e {
            DeployEvent::Refused { reason, .. } => reason.as_str(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(reasons.len(), 2);
    assert!(
        reasons[0].contains("dry run on kept frame"),
        "{}",
        reasons[0]
    );
    assert!(reasons[0].contains("not finite"), "{}", reasons[0]);
    assert!(
        reasons[1].contains("dry run on kept frame"),
        "{}",
        reasons[1]
    );
    assert!(reasons[1].contains("preprocess.roi"), "{}", reasons[1]);
}

/// Refuses every bundle: stands for a signature that does not verify.
struct Unsigned(Arc<AtomicU32>);

impl BundleCheck for Unsigned {
    fn name(&self) -> &str {
        "signature"
    }
    fn check(&self, _: &Path, _: &[u8], _: &Bundle) -> Result<(), BoxError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Err("no valid signature for the board's key".into())
    }
}

#[test]
fn the_validator_runs_its_checks_and_knows_the_camera_frame() {
    let dir = scratch("hotswap-validator");
    let path = dir.join("next.bundle");
    variant(THRESHOLD, 4).write_to(&path).expect("write");
    let (bytes, sha256) = BundleValidator::read(&path).expect("read");
    let calls = Arc::new(AtomicU32::new(0));
    let checked = BundleValidator::new(1).with_check(Box::new(Unsigned(Arc::clone(&calls))));
    match checked.validate(&path, &bytes, sha256.clone()) {
        Err(Refusal::Check { check, .. }) => assert_eq!(check, "signature"),
        other => panic!("{other:?}"),
    }
    assert_eq!(calls.load(Ordering::SeqCst), 1);

    let mut m = manifest(ModelKind::MemoryBank);
    m.preprocess.roi = Some(Roi {
        x: 600,
        y: 0,
        width: 64,
        height: 64,
    });
    let wide = bundle(m, feature_graph(SIDE, DIM), int8_bank().to_bytes()).to_bytes();
    let camera = BundleValidator::new(1).with_frame_size(640, 480);
    let err = camera
        .validate(&path, &wide, sha256_hex(&wide))
        .expect_err("the ROI ends at x = 664");
    assert!(matches!(err, Refusal::FrameSize { .. }), "{err}");
    assert!(err.to_string().contains("640×480"), "{err}");
    let ok = camera
        .validate(&path, &bytes, sha256.clone())
        .expect("fits");
    assert_eq!(ok.sha256, sha256);
    assert!(ok.dry_run.frames.is_empty(), "no store, no dry run");
}
