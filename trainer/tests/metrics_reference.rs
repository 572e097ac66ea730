//! Pins `trainer::metrics` to reference values computed once with scikit-learn, scipy and
//! numpy by `scripts/make_metric_fixtures.py` (see its header for versions and how to rerun)
//! and committed as `tests/fixtures/metrics/reference.json`.
//!
//! Tolerances: 1e-9 for AUROC, AP and F1 (exact up to float summation order), 1e-6 for
//! AUPRO (the reference sums per-threshold means differently).

use serde::Deserialize;
use trainer::metrics::{
    aupro, average_precision, f1_max, pixel_auroc, pixel_average_precision, roc_auc, ImageSize,
};

const RANKING_TOLERANCE: f64 = 1e-9;
const AUPRO_TOLERANCE: f64 = 1e-6;

#[derive(Deserialize)]
struct Reference {
    binary: Vec<BinaryCase>,
    maps: Vec<MapsCase>,
}

#[derive(Deserialize)]
struct BinaryCase {
    name: String,
    /// float32 values written as decimals; read as f64, then cast (exact, checked by the script).
    scores: Vec<f64>,
    labels: Vec<bool>,
    roc_auc: f64,
    average_precision: f64,
    f1_max: F1Expected,
}

#[derive(Deserialize)]
struct F1Expected {
    f1: f64,
    threshold: f64,
    precision: f64,
    recall: f64,
    float_argmax_f1: f64,
}

#[derive(Deserialize)]
struct MapsCase {
    name: String,
    fpr_limit: f64,
    images: Vec<Image>,
    aupro: f64,
    pixel_auroc: f64,
    pixel_average_precision: f64,
}

#[derive(Deserialize)]
struct Image {
    width: usize,
    height: usize,
    map: Vec<f64>,
    mask: Vec<u8>,
}

/// Owned f32 maps, bool masks and sizes of a case, borrowed as slices by [`Self::refs`].
struct Images {
    maps: Vec<Vec<f32>>,
    masks: Vec<Vec<bool>>,
    sizes: Vec<ImageSize>,
}

impl Images {
    fn of(case: &MapsCase) -> Self {
        Self {
            maps: case
                .images
                .iter()
                .map(|i| i.map.iter().map(|&s| s as f32).collect())
                .collect(),
            masks: case
                .images
                .iter()
                .map(|i| i.mask.iter().map(|&m| m != 0).collect())
                .collect(),
            sizes: case
                .images
                .iter()
                .map(|i| ImageSize::new(i.width, i.height))
                .collect(),
        }
    }

    fn refs(&self) -> (Vec<&[f32]>, Vec<&[bool]>) {
        (
            self.maps.iter().map(Vec::as_slice).collect(),
            self.masks.iter().map(Vec::as_slice).collect(),
        )
    }
}

fn reference() -> Reference {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/metrics/reference.json"
    );
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {path}: {e}; run scripts/make_metric_fixtures.py"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path} is not a valid fixture: {e}"))
}

fn scores_f32(case: &BinaryCase) -> Vec<f32> {
    case.scores.iter().map(|&s| s as f32).collect()
}

/// Collects every mismatch so one run names all failing cases.
fn check(failures: &mut Vec<String>, case: &str, what: &str, got: f64, want: f64, tol: f64) {
    if (got - want).abs() > tol || got.is_nan() {
        failures.push(format!(
            "{case}: {what} = {got:.15}, reference {want:.15} (diff {:.3e})",
            got - want
        ));
    }
}

fn assert_no_failures(failures: Vec<String>) {
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[test]
fn roc_auc_matches_sklearn() {
    let mut failures = Vec::new();
    for case in reference().binary {
        let got = roc_auc(&scores_f32(&case), &case.labels).unwrap();
        check(
            &mut failures,
            &case.name,
            "roc_auc",
            got,
            case.roc_auc,
            RANKING_TOLERANCE,
        );
    }
    assert_no_failures(failures);
}

#[test]
fn average_precision_matches_sklearn() {
    let mut failures = Vec::new();
    for case in reference().binary {
        let got = average_precision(&scores_f32(&case), &case.labels).unwrap();
        let want = case.average_precision;
        check(
            &mut failures,
            &case.name,
            "average_precision",
            got,
            want,
            RANKING_TOLERANCE,
        );
    }
    assert_no_failures(failures);
}

#[test]
fn f1_max_matches_sklearn_precision_recall_curve() {
    let mut failures = Vec::new();
    for case in reference().binary {
        let got = f1_max(&scores_f32(&case), &case.labels).unwrap();
        let want = &case.f1_max;
        let name = &case.name;
        check(
            &mut failures,
            name,
            "f1",
            got.f1,
            want.f1,
            RANKING_TOLERANCE,
        );
        // A plain float argmax may pick another threshold, but never a better F1.
        check(
            &mut failures,
            name,
            "f1 vs float argmax",
            got.f1,
            want.float_argmax_f1,
            RANKING_TOLERANCE,
        );
        check(
            &mut failures,
            name,
            "precision",
            got.precision,
            want.precision,
            RANKING_TOLERANCE,
        );
        check(
            &mut failures,
            name,
            "recall",
            got.recall,
            want.recall,
            RANKING_TOLERANCE,
        );
        if got.threshold != want.threshold as f32 {
            failures.push(format!(
                "{name}: threshold {} but reference {}",
                got.threshold, want.threshold
            ));
        }
    }
    assert_no_failures(failures);
}

#[test]
fn aupro_matches_python_reference() {
    let mut failures = Vec::new();
    for case in reference().maps {
        let images = Images::of(&case);
        let (maps, masks) = images.refs();
        let got = aupro(&maps, &masks, &images.sizes, case.fpr_limit).unwrap();
        check(
            &mut failures,
            &case.name,
            "aupro",
            got,
            case.aupro,
            AUPRO_TOLERANCE,
        );
    }
    assert_no_failures(failures);
}

#[test]
fn pixel_auroc_and_aupr_match_sklearn_on_flattened_maps() {
    let mut failures = Vec::new();
    for case in reference().maps {
        let images = Images::of(&case);
        let (maps, masks) = images.refs();
        let auroc = pixel_auroc(&maps, &masks).unwrap();
        check(
            &mut failures,
            &case.name,
            "pixel_auroc",
            auroc,
            case.pixel_auroc,
            RANKING_TOLERANCE,
        );
        let ap = pixel_average_precision(&maps, &masks).unwrap();
        let want = case.pixel_average_precision;
        check(
            &mut failures,
            &case.name,
            "pixel_average_precision",
            ap,
            want,
            RANKING_TOLERANCE,
        );
    }
    assert_no_failures(failures);
}

#[test]
fn fixture_covers_ties_imbalance_size_empty_masks_and_diagonals() {
    let reference = reference();
    let binary = &reference.binary;
    let distinct = |c: &BinaryCase| {
        let mut s = c.scores.clone();
        s.sort_by(f64::total_cmp);
        s.dedup();
        s.len()
    };
    assert!(
        binary.iter().any(|c| distinct(c) * 10 < c.scores.len()),
        "a heavy-tie case"
    );
    assert!(
        binary.iter().any(|c| {
            let positives = c.labels.iter().filter(|&&l| l).count();
            positives * 20 < c.labels.len()
        }),
        "a case with under 5 % anomalous"
    );
    assert!(
        binary.iter().any(|c| c.scores.len() >= 2000),
        "a mid-size case"
    );
    let maps = &reference.maps;
    assert!(
        maps.iter()
            .any(|c| c.images.len() > 1 && c.images.iter().any(|i| i.mask.iter().all(|&m| m == 0))),
        "a multi-image case with an empty mask"
    );
    assert!(
        maps.iter().any(|c| c.name.contains("diagonal")),
        "a diagonal-touch case"
    );
    assert!(
        maps.iter().any(|c| c.fpr_limit != 0.3),
        "a non-default FPR limit"
    );
}
