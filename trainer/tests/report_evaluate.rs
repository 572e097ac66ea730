//! `trainer::report::evaluate` on small crafted runs: figures equal direct
//! `trainer::metrics` calls, hand-worked per-defect AUROC and confusion, worst-case
//! selection, and null-plus-note reports for runs where figures are undefined.

use std::path::PathBuf;

use trainer::metrics::{self, ImageSize, DEFAULT_FPR_LIMIT};
use trainer::report::{
    evaluate, evaluate_with, select_worst, EvalRun, ImageRecord, ReportError, ReportOptions,
};

const W: u32 = 4;
const H: u32 = 3;

/// A 4×3 record: heat map = a fixed ramp plus `score` on the mask pixels.
fn record(name: &str, defect: &str, score: f32, mask: Option<&[usize]>) -> ImageRecord {
    let n = (W * H) as usize;
    let mask = mask.map(|on| (0..n).map(|i| on.contains(&i)).collect::<Vec<bool>>());
    let heatmap = (0..n)
        .map(|i| {
            let ramp = (i * 7 % 5) as f32 * 0.05;
            let hot = mask.as_ref().is_some_and(|m| m[i]);
            if hot {
                ramp + score
            } else {
                ramp
            }
        })
        .collect();
    ImageRecord {
        path: PathBuf::from(format!("test/{defect}/{name}.png")),
        defect: defect.into(),
        anomalous: defect != "good",
        score,
        normalised: score * 2.0,
        heatmap,
        width: W,
        height: H,
        mask,
        latency_ms: f64::from(score) * 10.0,
    }
}

fn run(images: Vec<ImageRecord>) -> EvalRun {
    EvalRun {
        model: "MemoryBank".into(),
        dataset: "crafted".into(),
        dataset_fingerprint: "00ff".into(),
        bundle_bytes: 123_456,
        gmac_per_frame: 0.75,
        threshold: 0.38,
        pixel_threshold: 0.2,
        images,
    }
}

/// Good 0.1, 0.4, 0.35; crack 0.9, 0.3; scratch 0.4, 0.05 (one tie with a good image).
fn crafted() -> EvalRun {
    run(vec![
        record("g0", "good", 0.1, None),
        record("c0", "crack", 0.9, Some(&[0, 1, 4, 5])),
        record("g1", "good", 0.4, None),
        record("s0", "scratch", 0.4, Some(&[10, 11])),
        record("g2", "good", 0.35, None),
        record("c1", "crack", 0.3, Some(&[6])),
        record("s1", "scratch", 0.05, Some(&[3, 7, 11])),
    ])
}

#[test]
fn report_figures_equal_direct_metric_calls() {
    let run = crafted();
    let report = evaluate(&run).unwrap();
    let scores: Vec<f32> = run.images.iter().map(|r| r.score).collect();
    let labels: Vec<bool> = run.images.iter().map(|r| r.anomalous).collect();
    let maps: Vec<&[f32]> = run.images.iter().map(|r| r.heatmap.as_slice()).collect();
    let blank = vec![false; (W * H) as usize];
    let masks: Vec<&[bool]> = run
        .images
        .iter()
        .map(|r| r.mask.as_deref().unwrap_or(&blank))
        .collect();
    let sizes = vec![ImageSize::new(W as usize, H as usize); run.images.len()];
    let f1 = metrics::f1_max(&scores, &labels).unwrap();

    assert_eq!(
        report.image_auroc,
        Some(metrics::roc_auc(&scores, &labels).unwrap())
    );
    assert_eq!(
        report.pixel_auroc,
        Some(metrics::pixel_auroc(&maps, &masks).unwrap())
    );
    assert_eq!(
        report.aupro,
        Some(metrics::aupro(&maps, &masks, &sizes, DEFAULT_FPR_LIMIT).unwrap())
    );
    assert_eq!(report.aupro_fpr_limit, 0.3);
    assert_eq!(
        report.pixel_aupr,
        Some(metrics::pixel_average_precision(&maps, &masks).unwrap())
    );
    assert_eq!(report.f1_max, Some(f1.f1));
    assert_eq!(report.f1_max_threshold, Some(f1.threshold));
    assert_eq!(report.threshold, 0.38);
    assert_eq!(report.bundle_bytes, 123_456);
    assert_eq!(report.gmac_per_frame, 0.75);
    assert_eq!(report.images, 7);
    assert!(report.notes.is_empty(), "{:?}", report.notes);
}

#[test]
fn confusion_and_latency_percentiles_at_the_bundle_threshold() {
    let report = evaluate(&crafted()).unwrap();
    let c = report.confusion;
    // Rejected iff score >= 0.38: crack 0.9 and scratch 0.4 caught, good 0.4 rejected.
    assert_eq!((c.caught, c.defective), (2, 4));
    assert_eq!((c.false_rejects, c.good), (1, 3));
    // Latencies (ms) sorted: 0.5 1 3 3.5 4 4 9; nearest rank: p50 = [3], p95 = [round(5.7)].
    assert!((report.latency_ms_p50 - 3.5).abs() < 1e-5);
    assert!((report.latency_ms_p95 - 9.0).abs() < 1e-5);
}

#[test]
fn per_defect_auroc_matches_the_hand_worked_pairs() {
    let report = evaluate(&crafted()).unwrap();
    let names: Vec<&str> = report
        .per_defect
        .iter()
        .map(|d| d.defect.as_str())
        .collect();
    assert_eq!(names, ["crack", "scratch"]);
    // crack {0.9, 0.3} vs good {0.1, 0.4, 0.35}: 0.9 wins 3 pairs, 0.3 wins 1 → 4/6.
    let crack = &report.per_defect[0];
    assert_eq!((crack.images, crack.caught), (2, 1));
    assert!((crack.image_auroc.unwrap() - 4.0 / 6.0).abs() < 1e-12);
    // scratch {0.4, 0.05}: 0.4 wins 2 and ties 1 (½), 0.05 wins none → 2.5/6.
    let scratch = &report.per_defect[1];
    assert_eq!((scratch.images, scratch.caught), (2, 1));
    assert!((scratch.image_auroc.unwrap() - 2.5 / 6.0).abs() < 1e-12);
}

#[test]
fn worst_cases_are_lowest_defective_and_highest_good() {
    let run = crafted();
    let report = evaluate_with(&run, &ReportOptions { worst_cases: 2 }).unwrap();
    let fa: Vec<usize> = report.worst_false_accepts.iter().map(|c| c.index).collect();
    let fr: Vec<usize> = report.worst_false_rejects.iter().map(|c| c.index).collect();
    assert_eq!(fa, [6, 5], "scratch 0.05, then crack 0.3");
    assert_eq!(fr, [2, 4], "good 0.4, then good 0.35");
    // 0.05 and 0.3 are missed at 0.38; good 0.4 is rejected, good 0.35 passes.
    let wrong: Vec<bool> = report
        .worst_false_accepts
        .iter()
        .chain(&report.worst_false_rejects)
        .map(|c| c.wrong_at_threshold)
        .collect();
    assert_eq!(wrong, [true, true, true, false]);
    assert_eq!(
        report.worst_false_accepts[0].overlay,
        "overlays/false-accept-01-scratch-s1.png"
    );
    assert_eq!(
        report.worst_false_rejects[1].overlay,
        "overlays/false-reject-02-good-g2.png"
    );
    // Default: 5 each, capped by the class sizes.
    let all = evaluate(&run).unwrap();
    assert_eq!(all.worst_false_accepts.len(), 4);
    assert_eq!(all.worst_false_rejects.len(), 3);
    assert_eq!(select_worst(&run, 0), (Vec::new(), Vec::new()));
}

#[test]
fn worst_case_ties_go_to_the_earlier_record() {
    let run = run(vec![
        record("a", "good", 0.5, None),
        record("b", "good", 0.5, None),
        record("x", "crack", 0.2, Some(&[0])),
        record("y", "crack", 0.2, Some(&[1])),
    ]);
    let (fa, fr) = select_worst(&run, 1);
    assert_eq!((fa[0].index, fr[0].index), (2, 0));
}

#[test]
fn json_has_every_listed_field() {
    let report = evaluate(&crafted()).unwrap();
    let json = serde_json::to_value(&report).unwrap();
    for key in [
        "image_auroc",
        "pixel_auroc",
        "aupro",
        "pixel_aupr",
        "f1_max",
        "f1_max_threshold",
        "confusion",
        "latency_ms_p50",
        "latency_ms_p95",
        "bundle_bytes",
        "gmac_per_frame",
        "per_defect",
        "threshold",
        "pixel_threshold",
        "worst_false_accepts",
        "worst_false_rejects",
        "notes",
        "report_version",
    ] {
        assert!(json.get(key).is_some(), "report.json lacks {key}: {json}");
    }
    for key in ["caught", "defective", "false_rejects", "good"] {
        assert!(
            json["confusion"].get(key).is_some(),
            "confusion lacks {key}"
        );
    }
    for key in ["defect", "images", "caught", "image_auroc"] {
        assert!(
            json["per_defect"][0].get(key).is_some(),
            "per_defect lacks {key}"
        );
    }
}

#[test]
fn run_without_defect_images_reports_nulls_and_notes() {
    let run = run(vec![
        record("g0", "good", 0.1, None),
        record("g1", "good", 0.2, None),
    ]);
    let report = evaluate(&run).unwrap();
    assert_eq!(report.image_auroc, None);
    assert_eq!((report.f1_max, report.f1_max_threshold), (None, None));
    assert_eq!(
        (report.pixel_auroc, report.aupro, report.pixel_aupr),
        (None, None, None)
    );
    assert!(report.per_defect.is_empty());
    assert_eq!(report.confusion.defective, 0);
    let notes = report.notes.join("\n");
    assert!(notes.contains("image_auroc is null"), "{notes}");
    assert!(notes.contains("f1_max is null"), "{notes}");
    assert!(
        notes.contains("no defective test image has a ground-truth mask"),
        "{notes}"
    );
    let json = serde_json::to_value(&report).unwrap();
    assert!(json["image_auroc"].is_null() && json["aupro"].is_null());
}

#[test]
fn run_without_masks_reports_null_pixel_metrics_with_a_note() {
    let mut run = crafted();
    for r in &mut run.images {
        r.mask = None;
    }
    let report = evaluate(&run).unwrap();
    assert!(report.image_auroc.is_some());
    assert_eq!(
        (report.pixel_auroc, report.aupro, report.pixel_aupr),
        (None, None, None)
    );
    assert_eq!(report.notes.len(), 1, "{:?}", report.notes);
    assert!(report.notes[0].contains("plain folder"));
}

#[test]
fn run_without_good_images_has_null_per_defect_auroc() {
    let run = run(vec![
        record("c0", "crack", 0.9, Some(&[0])),
        record("c1", "crack", 0.3, Some(&[1])),
    ]);
    let report = evaluate(&run).unwrap();
    assert_eq!(report.image_auroc, None);
    assert_eq!(report.per_defect[0].image_auroc, None);
    assert!(report.per_defect.len() == 1 && report.per_defect[0].images == 2);
    assert!(report.notes.iter().any(|n| n.contains("no good image")));
    // Pixel metrics stay defined: the masks hold normal pixels too.
    assert!(report.pixel_auroc.is_some() && report.aupro.is_some());
}

#[test]
fn empty_mask_counts_for_image_metrics_and_adds_no_region() {
    let mut with_empty = crafted();
    with_empty
        .images
        .push(record("u0", "uneven", 0.6, Some(&[])));
    let report = evaluate(&with_empty).unwrap();
    assert_eq!(report.confusion.defective, 5);
    assert!(report.per_defect.iter().any(|d| d.defect == "uneven"));
    assert!(
        report.notes.iter().any(|n| n.contains("empty mask")),
        "{:?}",
        report.notes
    );
    // Same AUPRO as treating the image as all-normal pixels: no region is added.
    let maps: Vec<&[f32]> = with_empty
        .images
        .iter()
        .map(|r| r.heatmap.as_slice())
        .collect();
    let blank = vec![false; (W * H) as usize];
    let masks: Vec<&[bool]> = with_empty
        .images
        .iter()
        .map(|r| r.mask.as_deref().unwrap_or(&blank))
        .collect();
    let sizes = vec![ImageSize::new(W as usize, H as usize); maps.len()];
    assert_eq!(
        report.aupro,
        Some(metrics::aupro(&maps, &masks, &sizes, DEFAULT_FPR_LIMIT).unwrap())
    );
}

#[test]
fn all_masks_empty_gives_null_aupro_with_a_note() {
    let run = run(vec![
        record("g0", "good", 0.1, None),
        record("u0", "uneven", 0.6, Some(&[])),
    ]);
    let report = evaluate(&run).unwrap();
    assert_eq!(report.image_auroc, Some(1.0));
    assert_eq!(
        (report.pixel_auroc, report.aupro, report.pixel_aupr),
        (None, None, None)
    );
    assert!(
        report.notes.iter().any(|n| n.starts_with("aupro is null")),
        "{:?}",
        report.notes
    );
}

#[test]
fn defective_image_without_mask_is_left_out_of_pixel_metrics() {
    let mut run = crafted();
    let reference = evaluate(&run).unwrap();
    run.images.push(record("m0", "crack", 0.7, None));
    let report = evaluate(&run).unwrap();
    assert_eq!(report.pixel_auroc, reference.pixel_auroc);
    assert_eq!(report.aupro, reference.aupro);
    assert_eq!(report.confusion.defective, 5);
    assert!(report
        .notes
        .iter()
        .any(|n| n.contains("1 defective image(s) without a mask")));
}

#[test]
fn malformed_runs_are_errors_naming_the_image() {
    assert!(matches!(
        evaluate(&run(Vec::new())),
        Err(ReportError::NoImages)
    ));

    let mut bad = crafted();
    bad.images[3].mask = Some(vec![false; 5]);
    let err = evaluate(&bad).unwrap_err();
    assert!(
        matches!(err, ReportError::MaskSize { len: 5, .. }),
        "{err:?}"
    );
    assert!(err.to_string().contains("test/scratch/s0.png"), "{err}");

    let mut bad = crafted();
    bad.images[0].heatmap.pop();
    let err = evaluate(&bad).unwrap_err();
    assert!(err.to_string().contains("test/good/g0.png"), "{err}");

    let mut bad = crafted();
    bad.images[1].score = f32::NAN;
    assert!(matches!(
        evaluate(&bad),
        Err(ReportError::NonFiniteScore { .. })
    ));

    let mut bad = crafted();
    bad.images[1].heatmap[2] = f32::NAN;
    assert!(matches!(
        evaluate(&bad),
        Err(ReportError::NanPixel { pixel: 2, .. })
    ));

    let mut bad = crafted();
    bad.images[1].latency_ms = -1.0;
    assert!(matches!(
        evaluate(&bad),
        Err(ReportError::BadLatency { .. })
    ));
}
