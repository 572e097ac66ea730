//! `trainer fit` → bundle → parity → `trainer eval` on a small synthetic set, for every
//! model family, and the failure paths: nothing at the output path is ever replaced by
//! an unverified or failed fit.

mod common;

use std::path::{Path, PathBuf};

use common::TempDir;
use shared::bundle::{Bundle, ModelKind, BANK};
use trainer::bank::{BankModel, CoresetSize, IvfConfig, DEFAULT_RIDGE};
use trainer::calibrate::ThresholdMethod;
use trainer::eval::{evaluate_bundle, EvalConfig, EvalError};
use trainer::features::FeatureExtractor;
use trainer::fit::{
    check_parity, fit, fit_model, BankSearch, FitConfig, FitError, ModelChoice, Precision,
};
use trainer::synth::{self, SynthConfig};
use trainer::teacher::TeacherWeights;

/// Network input side: small, and different from the images' side so that heat maps are
/// resampled onto the image size for the pixel metrics.
const INPUT: u32 = 96;
const IMAGE: u32 = 112;

fn dataset(dir: &Path) -> PathBuf {
    let root = dir.join("synthetic");
    synth::generate(
        &SynthConfig {
            seed: 5,
            size: IMAGE,
            train: 14,
            test_good: 4,
            test_defect: 6,
            ..SynthConfig::default()
        },
        &root,
    )
    .unwrap();
    root
}

fn config(model: ModelChoice) -> FitConfig {
    FitConfig {
        input: (INPUT, INPUT),
        model,
        holdout_fraction: 0.15,
        threads: 2,
        ..FitConfig::default()
    }
}

fn small_bank(precision: Precision, search: BankSearch) -> ModelChoice {
    ModelChoice::Bank {
        size: CoresetSize::Fraction(0.1),
        max_entries: Some(400),
        projection_dim: Some(32),
        precision,
        reweight: Some(3),
        search,
    }
}

/// An inverted file small enough that the search really skips lists.
const SMALL_IVF: BankSearch = BankSearch::Ivf(IvfConfig {
    lists: Some(8),
    probes: 2,
});

#[test]
fn every_model_fits_exports_passes_parity_and_evaluates() {
    let dir = TempDir::create("fit-eval");
    let data = dataset(&dir.0);
    let weights = TeacherWeights::load_default().unwrap();
    let models = [
        (
            small_bank(Precision::Int8, BankSearch::BruteForce),
            ModelKind::MemoryBank,
        ),
        (
            small_bank(Precision::F32, BankSearch::BruteForce),
            ModelKind::MemoryBank,
        ),
        (
            small_bank(Precision::Int8, SMALL_IVF),
            ModelKind::MemoryBank,
        ),
        (
            ModelChoice::Position {
                entries_per_location: 4,
                train_radius: 1,
                search_radius: 1,
            },
            ModelKind::PositionalBank,
        ),
        (
            ModelChoice::Gaussian {
                reduced_dim: Some(24),
                ridge: DEFAULT_RIDGE,
            },
            ModelKind::Gaussian,
        ),
    ];
    for (i, (model, kind)) in models.into_iter().enumerate() {
        let out = dir.0.join(format!("m{i}/model.bundle"));
        let fitted = fit(&data, None, &out, &weights, &config(model)).unwrap();
        assert_eq!(fitted.manifest.model, kind);
        assert_eq!((fitted.fit_images, fitted.held_out), (12, 2));
        assert_eq!(fitted.parity.images, 2);
        assert!(fitted.parity.max_difference <= 1e-5);
        assert!(!out.with_file_name("model.bundle.unverified").exists());
        let on_disk = Bundle::read_from(&out).unwrap();
        assert_eq!(on_disk.manifest, fitted.manifest);
        assert!(fitted.manifest.thresholds.image < f32::MAX);
        assert!(fitted.manifest.score_stats.count == 2);
        assert_eq!(fitted.bundle_bytes, std::fs::metadata(&out).unwrap().len());
        if model == small_bank(Precision::Int8, SMALL_IVF) {
            let bank = BankModel::from_bytes(on_disk.payload(BANK).unwrap()).unwrap();
            let BankModel::Ivf(ivf) = bank else {
                panic!("an inverted-file bank, got {bank:?}")
            };
            assert_eq!((ivf.lists(), ivf.probes()), (8, 2));
        }
        if model == small_bank(Precision::Int8, BankSearch::BruteForce) {
            // int8 codes: a quarter of the f32 bank plus the codec's per-dimension scales.
            let quarter = fitted.f32_bank_bytes as f64 / 4.0;
            assert!(
                (fitted.bank_bytes as f64) < quarter + 4096.0,
                "{} int8 bytes vs {} f32",
                fitted.bank_bytes,
                fitted.f32_bank_bytes
            );
        }

        let report_dir = dir.0.join(format!("m{i}/report"));
        let evaluated = evaluate_bundle(&out, &data, &report_dir, &EvalConfig::default()).unwrap();
        let r = &evaluated.report;
        assert_eq!(r.images, 10);
        assert_eq!(r.bundle_bytes, fitted.bundle_bytes);
        assert!(r.gmac_per_frame > 0.0);
        assert_eq!(r.threshold, fitted.manifest.thresholds.image);
        // Pixel metrics exist although heat maps (96²) and masks (112²) differ in size.
        assert!(r.pixel_auroc.is_some() && r.aupro.is_some());
        let auroc = r.image_auroc.unwrap();
        assert!(auroc > 0.6, "model {i}: image AUROC {auroc}");
        assert!(!r.per_defect.is_empty());
        assert!(evaluated.written.json.is_file() && evaluated.written.markdown.is_file());
    }
}

#[test]
fn real_defects_switch_the_threshold_to_f1_max() {
    let dir = TempDir::create("fit-defects");
    let data = dataset(&dir.0);
    let weights = TeacherWeights::load_default().unwrap();
    let out = dir.0.join("model.bundle");
    let fitted = fit(
        &data,
        Some(&data.join("test")),
        &out,
        &weights,
        &config(ModelChoice::default_position()),
    )
    .unwrap();
    // test/ holds the 4 good test images too: they are counted as "defects" here, which is
    // the caller's folder choice; what matters is that they were scored and used.
    assert_eq!(fitted.defect_images, 10);
    assert!(matches!(
        fitted.calibration.method,
        ThresholdMethod::F1Max { .. }
    ));
    assert!(fitted.calibration.defect_catch.is_some());
}

#[test]
fn a_failed_fit_never_replaces_the_existing_bundle() {
    let dir = TempDir::create("fit-fail");
    let data = dataset(&dir.0);
    let weights = TeacherWeights::load_default().unwrap();
    let out = dir.0.join("model.bundle");
    std::fs::write(&out, b"the bundle in service").unwrap();

    let bad_holdout = FitConfig {
        holdout_fraction: 1.5,
        ..config(ModelChoice::default_position())
    };
    let err = fit(&data, None, &out, &weights, &bad_holdout).unwrap_err();
    assert!(
        matches!(
            err,
            FitError::Config {
                field: "holdout",
                ..
            }
        ),
        "{err}"
    );

    let tiny = dir.0.join("tiny");
    std::fs::create_dir_all(&tiny).unwrap();
    for name in ["a.png", "b.png"] {
        std::fs::copy(data.join("train/good/000.png"), tiny.join(name)).unwrap();
    }
    let err = fit(
        &tiny,
        None,
        &out,
        &weights,
        &config(ModelChoice::default_position()),
    )
    .unwrap_err();
    assert!(
        matches!(err, FitError::TooFewImages { images: 2, .. }),
        "{err}"
    );
    assert!(err.to_string().contains("tiny"), "{err}");
    assert_eq!(std::fs::read(&out).unwrap(), b"the bundle in service");
}

#[test]
fn parity_fails_when_the_file_does_not_hold_the_fitted_model() {
    let dir = TempDir::create("fit-parity");
    let data = dataset(&dir.0);
    let weights = TeacherWeights::load_default().unwrap();
    let cfg = config(small_bank(Precision::F32, BankSearch::BruteForce));
    let out = dir.0.join("model.bundle");
    let fitted = fit(&data, None, &out, &weights, &cfg).unwrap();

    // The trainer's side: a model fitted to different features (a different seed picks a
    // different coreset), so it is not what the file carries.
    let extractor = FeatureExtractor::new(&weights, INPUT, 1).unwrap();
    let image = trainer::data::load_rgb(&data.join("train/good/003.png")).unwrap();
    let features = extractor.extract(&image).unwrap();
    let (c, h, w) = extractor.output_shape();
    let other = fit_model(
        &features.data,
        trainer::bank::GridShape::new(h, w, c),
        &small_bank(Precision::F32, BankSearch::BruteForce),
        99,
        false,
    )
    .unwrap();
    let held = vec![(
        data.join("train/good/010.png"),
        trainer::data::load_rgb(&data.join("train/good/010.png")).unwrap(),
    )];
    let err = check_parity(
        &out,
        &dir.0.join("elsewhere.bundle"),
        &extractor,
        &other,
        &fitted.manifest,
        &held,
        1,
        1e-5,
    )
    .unwrap_err();
    assert!(matches!(err, FitError::Parity { .. }), "{err}");
    assert!(err.to_string().contains("010.png"), "{err}");
    assert!(Bundle::read_from(&out).unwrap().payload(BANK).is_some());
}

#[test]
fn eval_names_what_is_missing() {
    let dir = TempDir::create("eval-errors");
    let data = dataset(&dir.0);
    let missing = dir.0.join("no-such.bundle");
    let err =
        evaluate_bundle(&missing, &data, &dir.0.join("r"), &EvalConfig::default()).unwrap_err();
    assert!(matches!(err, EvalError::Inspector { .. }), "{err}");
    assert!(err.to_string().contains("no-such.bundle"), "{err}");

    let folder = dir.0.join("goods");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::copy(data.join("train/good/000.png"), folder.join("a.png")).unwrap();
    let err =
        evaluate_bundle(&missing, &folder, &dir.0.join("r"), &EvalConfig::default()).unwrap_err();
    assert!(matches!(err, EvalError::NoTestSet(_)), "{err}");
}

#[test]
fn non_square_inputs_fit_and_evaluate() {
    let dir = TempDir::create("fit-wide");
    let data = dataset(&dir.0);
    let weights = TeacherWeights::load_default().unwrap();
    let out = dir.0.join("wide.bundle");
    let wide = FitConfig {
        input: (128, 64),
        ..config(ModelChoice::default_position())
    };
    let fitted = fit(&data, None, &out, &weights, &wide).unwrap();
    let m = &fitted.manifest;
    assert_eq!((m.input.width, m.input.height), (128, 64));
    assert_eq!((m.score.map_width, m.score.map_height), (16, 8));
    let r = evaluate_bundle(&out, &data, &dir.0.join("r"), &EvalConfig::default())
        .unwrap()
        .report;
    assert!(r.pixel_auroc.is_some());

    let narrow = FitConfig {
        input: (16, 64),
        ..wide
    };
    let err = fit(&data, None, &out, &weights, &narrow).unwrap_err();
    assert!(
        matches!(
            err,
            FitError::Config {
                field: "input-size",
                ..
            }
        ),
        "{err}"
    );
}
