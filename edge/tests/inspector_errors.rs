//! The inspector refuses bundles and frames it cannot handle with a typed error that
//! names the payload or manifest field, and never panics.

mod common;

use common::*;
use edge::bank::{BankModel, DirectMap};
use edge::inspector::{Inspector, InspectorError, REWEIGHT_NEIGHBOURS_KEY};
use edge::preprocess::PreprocessError;
use shared::bundle::{Bundle, ModelKind, Roi, BANK, FEATURES_ONNX};

fn message(err: &InspectorError) -> String {
    error_chain(err)
}

fn good() -> Bundle {
    bundle(
        manifest(ModelKind::MemoryBank),
        feature_graph(SIDE, DIM),
        int8_bank().to_bytes(),
    )
}

fn refused(b: &Bundle) -> (InspectorError, String) {
    let err = Inspector::new(b, 1).expect_err("bundle must be refused");
    let text = message(&err);
    (err, text)
}

#[test]
fn a_good_bundle_is_accepted() {
    let inspector = Inspector::new(&good(), 1).unwrap();
    assert_eq!(inspector.grid(), grid());
    assert_eq!(inspector.heatmap_size(), (SIDE, SIDE));
}

#[test]
fn missing_payloads_are_named() {
    for name in [FEATURES_ONNX, BANK] {
        let mut b = good();
        b.payloads.retain(|p| p.name != name);
        let (err, text) = refused(&b);
        assert!(
            matches!(err, InspectorError::MissingPayload { name: n, .. } if n == name),
            "{text}"
        );
        assert!(text.contains(name), "{text}");
    }
}

#[test]
fn payloads_that_do_not_decode_are_named() {
    let mut b = good();
    b.payloads[0].bytes = b"not an onnx graph".to_vec();
    let (err, text) = refused(&b);
    assert!(
        matches!(
            err,
            InspectorError::Graph {
                payload: FEATURES_ONNX,
                ..
            }
        ),
        "{text}"
    );
    assert!(text.contains("features.onnx"), "{text}");

    let mut b = good();
    b.payloads[1].bytes = b"XXXX\x01\x00".to_vec();
    let (err, text) = refused(&b);
    assert!(
        matches!(err, InspectorError::BankDecode { payload: BANK, .. }),
        "{text}"
    );
    assert!(
        text.contains("payload `bank`") && text.contains("magic"),
        "{text}"
    );
}

#[test]
fn graph_shapes_must_match_the_manifest() {
    // The graph takes 32×32 inputs, the manifest says 16×16.
    let b = bundle(
        manifest(ModelKind::MemoryBank),
        feature_graph(32, DIM),
        int8_bank().to_bytes(),
    );
    let (err, text) = refused(&b);
    assert!(matches!(err, InspectorError::GraphShape { .. }), "{text}");
    assert!(
        text.contains("input 0") && text.contains("manifest field `input`"),
        "{text}"
    );
    assert!(
        text.contains("[1, 3, 32, 32]") && text.contains("[1, 3, 16, 16]"),
        "{text}"
    );

    // The manifest's map is 8×8 but the graph outputs 4×4.
    let mut m = manifest(ModelKind::MemoryBank);
    m.score.map_width = 8;
    m.score.map_height = 8;
    let b = bundle(m, feature_graph(SIDE, DIM), int8_bank().to_bytes());
    let (err, text) = refused(&b);
    assert!(matches!(err, InspectorError::GraphShape { .. }), "{text}");
    assert!(
        text.contains("output 0") && text.contains("manifest field `score`"),
        "{text}"
    );
}

#[test]
fn a_bank_of_the_wrong_dimension_or_kind_is_refused() {
    // Graph outputs 8 channels; this bank has 6-dim entries.
    let narrow = edge::bank::F32Bank::new(vec![0.5; 6 * 10], 6).unwrap();
    let b = bundle(
        manifest(ModelKind::MemoryBank),
        feature_graph(SIDE, DIM),
        narrow.to_bytes(),
    );
    let (err, text) = refused(&b);
    assert!(
        matches!(err, InspectorError::BankMismatch { payload: BANK, .. }),
        "{text}"
    );
    assert!(
        text.contains("6 dimensions") && text.contains("8 channels"),
        "{text}"
    );

    // A position bank in a MemoryBank bundle, and a global bank in a Gaussian bundle.
    for (kind, model) in [
        (ModelKind::MemoryBank, BankModel::Position(position_bank())),
        (ModelKind::Gaussian, BankModel::Int8(int8_bank())),
    ] {
        let b = bundle(manifest(kind), feature_graph(SIDE, DIM), model.to_bytes());
        let (err, text) = refused(&b);
        assert!(matches!(err, InspectorError::BankMismatch { .. }), "{text}");
        assert!(text.contains("manifest field `model`"), "{text}");
    }

    // A position bank fitted to another grid.
    let other = edge::bank::PositionBank::from_parts(
        edge::bank::GridShape::new(2, 2, DIM),
        1,
        0,
        edge::bank::Int8Bank::quantize(&edge::bank::F32Bank::new(vec![0.0; 4 * DIM], DIM).unwrap()),
    )
    .unwrap();
    let b = bundle(
        manifest(ModelKind::PositionalBank),
        feature_graph(SIDE, DIM),
        other.to_bytes(),
    );
    let (err, text) = refused(&b);
    assert!(matches!(err, InspectorError::BankMismatch { .. }), "{text}");
    assert!(text.contains("2×2") && text.contains("4×4"), "{text}");
}

#[test]
fn a_student_bundle_needs_a_direct_map_over_a_one_channel_graph() {
    let mut b = good();
    b.manifest.model = ModelKind::Student;
    let (err, text) = refused(&b);
    assert!(matches!(err, InspectorError::BankMismatch { .. }), "{text}");
    assert!(
        text.contains("global int8 bank") && text.contains("Student"),
        "{text}"
    );
    // A direct map over a graph with DIM channels: the map needs exactly one.
    let map = BankModel::Direct(DirectMap::new(MAP as usize, MAP as usize).unwrap());
    let b = bundle(
        manifest(ModelKind::Student),
        feature_graph(SIDE, DIM),
        map.to_bytes(),
    );
    let (err, text) = refused(&b);
    assert!(matches!(err, InspectorError::BankMismatch { .. }), "{text}");
    assert!(text.contains("direct anomaly map"), "{text}");
    // With a one-channel graph it is accepted, and the map is the graph's output.
    let b = bundle(
        manifest(ModelKind::Student),
        feature_graph(SIDE, 1),
        map.to_bytes(),
    );
    let mut inspector = Inspector::new(&b, 1).unwrap();
    assert!(inspector.describe_bank().contains("teacher–student"));
    let frame = image::RgbImage::from_fn(SIDE, SIDE, |x, y| {
        image::Rgb([(x * 9) as u8, (y * 7) as u8, 40])
    });
    let inspection = inspector.inspect(&frame).unwrap();
    assert_eq!(inspection.map.len(), (MAP * MAP) as usize);
    assert!(inspection.map.iter().all(|v| v.is_finite()));
    assert!(inspection.map.iter().any(|&v| v != 0.0));
}

#[test]
fn bad_settings_are_refused() {
    for value in ["1", "three", ""] {
        let mut b = good();
        b.manifest.extra = vec![(REWEIGHT_NEIGHBOURS_KEY.into(), value.into())];
        let (err, text) = refused(&b);
        assert!(matches!(err, InspectorError::InvalidExtra { .. }), "{text}");
        assert!(text.contains(REWEIGHT_NEIGHBOURS_KEY), "{text}");
    }
    let mut b = bundle(
        manifest(ModelKind::Gaussian),
        feature_graph(SIDE, DIM),
        BankModel::Gaussian(gaussian()).to_bytes(),
    );
    b.manifest.extra = vec![(REWEIGHT_NEIGHBOURS_KEY.into(), "3".into())];
    assert!(matches!(refused(&b).0, InspectorError::InvalidExtra { .. }));

    let mut b = good();
    b.manifest.preprocess.std[1] = 0.0;
    let (err, text) = refused(&b);
    assert!(matches!(err, InspectorError::Manifest(_)), "{text}");
    assert!(text.contains("preprocess.std[1]"), "{text}");

    assert!(matches!(
        Inspector::new(&good(), 0),
        Err(InspectorError::Threads { threads: 0, .. })
    ));
}

#[test]
fn a_roi_outside_the_frame_fails_the_frame_not_the_bundle() {
    let mut b = good();
    b.manifest.preprocess.roi = Some(Roi {
        x: 20,
        y: 0,
        width: 16,
        height: 16,
    });
    let mut inspector = Inspector::new(&b, 1).unwrap();
    let err = inspector
        .inspect(&clean_frame(1))
        .expect_err("ROI past the right edge");
    let text = message(&err);
    assert!(
        matches!(
            err,
            InspectorError::Preprocess(PreprocessError::RoiOutsideFrame { .. })
        ),
        "{text}"
    );
    assert!(
        text.contains("preprocess.roi") && text.contains("32×32 frame"),
        "{text}"
    );
    // A bigger frame holds the ROI.
    let big = image::RgbImage::from_pixel(40, 20, image::Rgb([100, 100, 100]));
    assert!(inspector.inspect(&big).is_ok());
}

#[test]
fn a_heatmap_buffer_of_the_wrong_size_is_refused() {
    let mut inspector = Inspector::new(&good(), 1).unwrap();
    let mut small = vec![0.0; 10];
    let err = inspector
        .inspect_with_heatmap(&clean_frame(1), &mut small)
        .expect_err("wrong length");
    assert!(
        matches!(
            err,
            InspectorError::HeatmapLength {
                expected: 256,
                got: 10,
                ..
            }
        ),
        "{err}"
    );
}

#[test]
fn a_network_producing_nan_fails_the_frame() {
    let b = bundle(
        manifest(ModelKind::MemoryBank),
        feature_graph_with(SIDE, DIM, "Log"),
        int8_bank().to_bytes(),
    );
    let mut inspector = Inspector::new(&b, 1).unwrap();
    let err = inspector
        .inspect(&clean_frame(1))
        .expect_err("NaN features");
    let text = message(&err);
    assert!(
        matches!(err, InspectorError::Bank { payload: BANK, .. }),
        "{text}"
    );
    assert!(text.contains("not finite"), "{text}");
}
