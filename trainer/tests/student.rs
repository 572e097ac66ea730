//! The feature student end to end on a small synthetic set: a few training steps with
//! burn → ONNX export → bank fitted on the student's features → bundle → parity through
//! the edge inspector → `trainer eval`; plus the student graph against burn's own
//! forward pass, the teacher–student pair (`--model student`) the same way, and
//! checkpoint / resume.

mod common;

use std::path::{Path, PathBuf};

use common::TempDir;
use shared::bundle::{Bundle, FEATURES_ONNX};
use trainer::eval::{evaluate_bundle, EvalConfig};
use trainer::features::FeatureExtractor;
use trainer::fit::{
    fit, FeatureSource, FitConfig, FitError, Fitted, ModelChoice, ANOMALY_STUDENT_KEY,
    DEFAULT_ANOMALY_HARD_QUANTILE, STUDENT_KEY,
};
use trainer::student::{
    pair_graph, student_graph, train_student, Augment, StudentArch, StudentConfig, StudentError,
    SyntheticAnomalies, TrainingSet,
};
use trainer::synth::{self, SynthConfig};
use trainer::teacher::TeacherWeights;

const INPUT: u32 = 64;

fn dataset(dir: &Path) -> PathBuf {
    let root = dir.join("synthetic");
    synth::generate(
        &SynthConfig {
            seed: 9,
            size: 80,
            train: 10,
            test_good: 3,
            test_defect: 4,
            ..SynthConfig::default()
        },
        &root,
    )
    .unwrap();
    root
}

fn images(data: &Path) -> Vec<image::RgbImage> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(data.join("train/good"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths
        .iter()
        .map(|p| image::open(p).unwrap().to_rgb8())
        .collect()
}

fn tiny(steps: usize) -> StudentConfig {
    StudentConfig {
        steps,
        batch: 2,
        variants: 2,
        eval_every: 2,
        ..StudentConfig::default()
    }
}

fn sets(teacher: &FeatureExtractor, imgs: &[image::RgbImage]) -> (TrainingSet, TrainingSet) {
    let load = |i: &image::RgbImage| Ok(i.clone());
    let augment = |variants| Augment {
        variants,
        seed: 1,
        anomalies: SyntheticAnomalies::Follow,
    };
    let train = TrainingSet::build(teacher, &imgs[..8], load, augment(2), None, false).unwrap();
    let held = TrainingSet::build(
        teacher,
        &imgs[8..],
        load,
        augment(1),
        Some((&train.mean, &train.std)),
        false,
    )
    .unwrap();
    (train, held)
}

/// Fits `model` on student features trained for `steps` (checkpoints in `dir/ckpt`) to
/// the synthetic set; returns the bundle path and the fit's summary.
fn fit_tiny(dir: &Path, data: &Path, model: ModelChoice, steps: usize) -> (PathBuf, Fitted) {
    let out = dir.join("student.bundle");
    let config = FitConfig {
        input: (INPUT, INPUT),
        model,
        features: FeatureSource::Student(StudentConfig {
            checkpoint_dir: Some(dir.join("ckpt")),
            ..tiny(steps)
        }),
        holdout_fraction: 0.2,
        threads: 2,
        ..FitConfig::default()
    };
    let weights = TeacherWeights::load_default().unwrap();
    let fitted = fit(data, None, &out, &weights, &config).unwrap();
    assert!(fitted.parity.max_difference <= 1e-5);
    (out, fitted)
}

/// `trainer eval` on the bundle scores all 7 test images.
fn evaluates(out: &Path, data: &Path, dir: &Path) {
    let evaluated =
        evaluate_bundle(out, data, &dir.join("report"), &EvalConfig::default()).unwrap();
    assert_eq!(evaluated.report.images, 7);
    assert!(evaluated.report.image_auroc.is_some());
}

#[test]
fn a_tiny_student_trains_exports_passes_parity_and_evaluates() {
    let dir = TempDir::create("student-fit");
    let data = dataset(&dir.0);
    let weights = TeacherWeights::load_default().unwrap();
    let (out, fitted) = fit_tiny(&dir.0, &data, ModelChoice::default_position(), 4);
    let student = fitted.student.as_ref().expect("a student summary");
    assert_eq!(student.steps, 4);
    assert!(student.held_out_loss.is_finite());
    assert_eq!(student.training_images, 2 * fitted.fit_images);
    assert!(dir.0.join("ckpt/state.json").is_file());

    let bundle = Bundle::read_from(&out).unwrap();
    assert!(bundle.manifest.extra(STUDENT_KEY).is_some());
    // The bundle ships the student, not the depthwise teacher.
    let onnx = bundle.payload(FEATURES_ONNX).unwrap();
    let teacher = FeatureExtractor::new(&weights, INPUT, 1).unwrap();
    assert!(
        onnx.len() < teacher.onnx().len() / 2,
        "{} bytes",
        onnx.len()
    );
    let arch = StudentArch::feature_student(teacher.output_shape().0);
    assert!(fitted.macs_per_frame >= arch.macs((INPUT as usize, INPUT as usize)));

    evaluates(&out, &data, &dir.0);
}

#[test]
fn the_exported_graph_computes_what_burn_trained() {
    let weights = TeacherWeights::load_default().unwrap();
    let dir = TempDir::create("student-graph");
    let data = dataset(&dir.0);
    let imgs = images(&data);
    let teacher = FeatureExtractor::new(&weights, INPUT, 2).unwrap();
    let (train, held) = sets(&teacher, &imgs);
    let arch = StudentArch::feature_student(train.channels);
    let trained = train_student(&arch, &train, &held, &tiny(2), false).unwrap();
    let graph = student_graph(&trained, (INPUT as usize, INPUT as usize)).unwrap();
    let student = FeatureExtractor::from_graph(graph, 1).unwrap();
    assert_eq!(student.output_shape(), teacher.output_shape());

    // burn's forward pass on the same weights, de-normalised by hand.
    use burn::prelude::*;
    let device = Device::flex();
    let net = trainer::student::StudentNet::from_weights(&arch, &trained.weights, &device);
    let (x, _) = trainer::student::batch::tensors(&held, &[0], &device);
    let y = trainer::student::arch::host_vec(net.forward(x).into_data());
    let features = student.extract(&held.images[0]).unwrap();
    let (c, h, w) = student.output_shape();
    let mut max_diff = 0.0f32;
    for ch in 0..c {
        for p in 0..h * w {
            let burn = y[ch * h * w + p] * trained.std[ch] + trained.mean[ch];
            max_diff = max_diff.max((burn - features.data[p * c + ch]).abs());
        }
    }
    assert!(max_diff < 1e-3, "tract vs burn: {max_diff}");
}

#[test]
fn training_resumes_from_its_checkpoint_and_refuses_another_runs() {
    let weights = TeacherWeights::load_default().unwrap();
    let dir = TempDir::create("student-resume");
    let data = dataset(&dir.0);
    let imgs = images(&data);
    let teacher = FeatureExtractor::new(&weights, INPUT, 2).unwrap();
    let (train, held) = sets(&teacher, &imgs);
    let arch = StudentArch::feature_student(train.channels);
    let ckpt = dir.0.join("ckpt");

    // A 2-step run leaves its checkpoint at step 2; resuming with a budget of 4 steps
    // continues from there (the step budget may change between runs; the rest may not).
    let first = StudentConfig {
        checkpoint_dir: Some(ckpt.clone()),
        patience: 100,
        ..tiny(2)
    };
    let interrupted = train_student(&arch, &train, &held, &first, false).unwrap();
    assert_eq!(interrupted.steps, 2);
    let resumed = train_student(
        &arch,
        &train,
        &held,
        &StudentConfig {
            resume: true,
            steps: 4,
            ..first.clone()
        },
        false,
    )
    .unwrap();
    assert_eq!(resumed.steps, 4);
    let steps: Vec<usize> = resumed.history.iter().map(|h| h.0).collect();
    assert_eq!(steps, vec![2, 4]);
    assert_eq!(resumed.history[0], interrupted.history[0]);

    let other = StudentConfig {
        resume: true,
        learning_rate: 1e-4,
        ..first
    };
    let err = train_student(&arch, &train, &held, &other, false).unwrap_err();
    assert!(
        matches!(err, StudentError::CheckpointMismatch { .. }),
        "{err}"
    );
}

#[test]
fn a_tiny_teacher_student_pair_trains_exports_passes_parity_and_evaluates() {
    let dir = TempDir::create("student-pair");
    let data = dataset(&dir.0);
    let weights = TeacherWeights::load_default().unwrap();
    // Kept by separation (not the default) so that path runs end to end too.
    let pair = ModelChoice::Student {
        hard_quantile: DEFAULT_ANOMALY_HARD_QUANTILE,
        anomalies: SyntheticAnomalies::Off,
        select_by_separation: true,
    };
    let (out, fitted) = fit_tiny(&dir.0, &data, pair, 2);
    let feature = fitted.student.as_ref().expect("a feature student summary");
    let anomaly = fitted.anomaly_student.as_ref().expect("an anomaly student");
    assert_eq!((feature.steps, anomaly.steps), (2, 2));
    assert_eq!(anomaly.training_images, feature.training_images);
    assert!(anomaly.held_out_loss.is_finite());
    // The anomaly student's weights were kept by how well they separate held-out goods
    // from their synthetic-anomaly copies; the feature student's by held-out loss.
    let separation = anomaly.separation.expect("a separation figure");
    assert!((0.0..=1.0).contains(&separation.auroc), "{separation:?}");
    assert!(separation.margin.is_finite());
    assert!(feature.separation.is_none());
    assert!(dir.0.join("ckpt/anomaly/state.json").is_file());

    let bundle = Bundle::read_from(&out).unwrap();
    assert_eq!(bundle.manifest.model, shared::bundle::ModelKind::Student);
    assert!(bundle.manifest.extra(ANOMALY_STUDENT_KEY).is_some());
    let teacher = FeatureExtractor::new(&weights, INPUT, 1).unwrap();
    let pair_macs = StudentArch::feature_student(teacher.output_shape().0)
        .macs((INPUT as usize, INPUT as usize))
        + StudentArch::anomaly_student(teacher.output_shape().0)
            .macs((INPUT as usize, INPUT as usize));
    assert!(
        fitted.macs_per_frame >= pair_macs,
        "{}",
        fitted.macs_per_frame
    );

    evaluates(&out, &data, &dir.0);
}

#[test]
fn the_pair_model_refuses_teacher_features() {
    let dir = TempDir::create("student-pair-teacher");
    let data = dataset(&dir.0);
    let weights = TeacherWeights::load_default().unwrap();
    let config = FitConfig {
        input: (INPUT, INPUT),
        model: ModelChoice::default_student(),
        features: FeatureSource::Teacher,
        ..FitConfig::default()
    };
    let out = dir.0.join("pair.bundle");
    let err = fit(&data, None, &out, &weights, &config).unwrap_err();
    assert!(
        matches!(
            err,
            FitError::Config {
                field: "features",
                ..
            }
        ),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn the_pair_graph_is_the_mean_squared_normalised_difference_of_its_students() {
    let weights = TeacherWeights::load_default().unwrap();
    let dir = TempDir::create("student-pair-graph");
    let data = dataset(&dir.0);
    let imgs = images(&data);
    let size = (INPUT as usize, INPUT as usize);
    let teacher = FeatureExtractor::new(&weights, INPUT, 2).unwrap();
    let (train, held) = sets(&teacher, &imgs);
    let feature = train_student(
        &StudentArch::feature_student(train.channels),
        &train,
        &held,
        &tiny(2),
        false,
    )
    .unwrap();
    let follow = FeatureExtractor::from_graph(student_graph(&feature, size).unwrap(), 1).unwrap();
    let (train_a, held_a) = sets(&follow, &imgs);
    let anomaly = train_student(
        &StudentArch::anomaly_student(train_a.channels),
        &train_a,
        &held_a,
        &tiny(2),
        false,
    )
    .unwrap();

    let pair =
        FeatureExtractor::from_graph(pair_graph(&feature, &anomaly, size).unwrap(), 1).unwrap();
    let anomaly_alone =
        FeatureExtractor::from_graph(student_graph(&anomaly, size).unwrap(), 1).unwrap();
    let (c, h, w) = follow.output_shape();
    assert_eq!(pair.output_shape(), (1, h, w));
    let image = &imgs[0];
    let f = follow.extract(image).unwrap().data;
    let a = anomaly_alone.extract(image).unwrap().data;
    let map = pair.extract(image).unwrap().data;
    let mut max_diff = 0.0f32;
    for p in 0..h * w {
        let expected: f32 = (0..c)
            .map(|ch| {
                let d = f[p * c + ch] - a[p * c + ch];
                d * d / (c as f32 * anomaly.std[ch] * anomaly.std[ch])
            })
            .sum();
        assert!(expected > 0.0);
        max_diff = max_diff.max((expected - map[p]).abs() / expected.max(1.0));
    }
    assert!(max_diff < 1e-4, "pair graph vs its students: {max_diff}");
}
