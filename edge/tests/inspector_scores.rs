//! The inspector's scores are exactly what the pieces compute by hand (tract run on the
//! preprocessed frame, bank search, shared score path), defects score higher than clean
//! parts, and every supported model kind runs.

mod common;

use common::*;
use edge::bank::{BankModel, NearestNeighbours};
use edge::inspector::{Inspector, REWEIGHT_NEIGHBOURS_KEY};
use edge::preprocess::preprocess;
use image::imageops;
use shared::bundle::ModelKind;
use shared::score::{normalise, ScorePipeline};

/// Triangle-filter weights of source pixels `0..src` for output pixel `o` of `dst`,
/// written out directly (not separably, in f64) from the filter's definition.
fn weights(src: u32, dst: u32, o: u32) -> Vec<f64> {
    let scale = f64::from(src) / f64::from(dst);
    let support = scale.max(1.0);
    let centre = (f64::from(o) + 0.5) * scale;
    let w: Vec<f64> = (0..src)
        .map(|i| (1.0 - (f64::from(i) + 0.5 - centre).abs() / support).max(0.0))
        .collect();
    let sum: f64 = w.iter().sum();
    w.into_iter().map(|v| v / sum).collect()
}

/// The preprocessing written out independently: triangle resize as a full 2-D weighted
/// sum, then (v − 127) / 128.
fn independent_input(frame: &image::RgbImage) -> Vec<f32> {
    let (fw, fh) = frame.dimensions();
    let plane = (SIDE * SIDE) as usize;
    let mut out = vec![0.0; 3 * plane];
    for oy in 0..SIDE {
        let wy = weights(fh, SIDE, oy);
        for ox in 0..SIDE {
            let wx = weights(fw, SIDE, ox);
            for c in 0..3 {
                let mut v = 0.0;
                for (y, &a) in wy.iter().enumerate() {
                    for (x, &b) in wx.iter().enumerate() {
                        v += a * b * f64::from(frame.get_pixel(x as u32, y as u32)[c]);
                    }
                }
                out[c * plane + (oy * SIDE + ox) as usize] = ((v as f32) - 127.0) / 128.0;
            }
        }
    }
    out
}

fn memory_bank_bundle(extra: Vec<(String, String)>) -> shared::bundle::Bundle {
    let mut m = manifest(ModelKind::MemoryBank);
    m.extra = extra;
    bundle(m, feature_graph(SIDE, DIM), int8_bank().to_bytes())
}

#[test]
fn preprocessing_matches_an_independent_implementation() {
    let m = manifest(ModelKind::MemoryBank);
    for frame in [clean_frame(40), blob_frame(41)] {
        let ours = preprocess(&frame, m.input, &m.preprocess).unwrap();
        let theirs = independent_input(&frame);
        let worst = ours
            .iter()
            .zip(&theirs)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0f32, f32::max);
        // f32 accumulation against f64: far below one grey level (1/128).
        assert!(worst < 1e-4, "largest difference {worst}");
    }
}

#[test]
fn scores_equal_the_direct_computation_exactly() {
    let bank = int8_bank();
    let m = manifest(ModelKind::MemoryBank);
    let mut inspector = Inspector::new(&memory_bank_bundle(vec![]), 1).unwrap();
    let mut pipeline = ScorePipeline::new(m.score, SIDE, SIDE).unwrap();
    let mut heatmap = vec![0.0; (SIDE * SIDE) as usize];
    let mut expected_heatmap = vec![0.0; (SIDE * SIDE) as usize];
    for frame in [clean_frame(50), clean_frame(51), blob_frame(52)] {
        let rows = patch_rows(&frame);
        let nn = bank.search(&rows, 1).unwrap();
        let expected = pipeline.run(&nn.distances, &mut expected_heatmap).unwrap();

        let got = inspector.inspect(&frame).unwrap();
        assert_eq!(got.map, &nn.distances[..]);
        assert_eq!(got.raw_score, expected);
        assert_eq!(got.anomalous, expected >= m.thresholds.image);
        assert_eq!(
            got.normalised,
            normalise(expected, m.thresholds.image, &m.score_stats)
        );
        assert!(got.timings.total_us >= got.timings.network_us);

        let with_map = inspector
            .inspect_with_heatmap(&frame, &mut heatmap)
            .unwrap();
        assert_eq!(with_map.raw_score, expected);
        assert_eq!(heatmap, expected_heatmap);
    }
}

#[test]
fn results_do_not_depend_on_the_thread_count() {
    let b = memory_bank_bundle(vec![]);
    let mut one = Inspector::new(&b, 1).unwrap();
    let mut two = Inspector::new(&b, 2).unwrap();
    for frame in [clean_frame(60), blob_frame(61)] {
        let a = one.inspect(&frame).unwrap().clone();
        let b = two.inspect(&frame).unwrap();
        assert_eq!((a.raw_score, a.map), (b.raw_score, b.map));
    }
}

#[test]
fn a_blob_scores_higher_than_every_clean_part() {
    let models = [
        (ModelKind::MemoryBank, BankModel::Int8(int8_bank())),
        (ModelKind::MemoryBank, BankModel::F32(f32_bank())),
        (
            ModelKind::PositionalBank,
            BankModel::Position(position_bank()),
        ),
        (ModelKind::Gaussian, BankModel::Gaussian(gaussian())),
    ];
    for (kind, model) in models {
        let b = bundle(manifest(kind), feature_graph(SIDE, DIM), model.to_bytes());
        let mut inspector = Inspector::new(&b, 1).unwrap();
        let clean_max = (100..108)
            .map(|s| inspector.inspect(&clean_frame(s)).unwrap().raw_score)
            .fold(f32::MIN, f32::max);
        for s in 200..203 {
            let blob = inspector.inspect(&blob_frame(s)).unwrap().raw_score;
            assert!(
                blob > 1.5 * clean_max,
                "{kind:?} {}: blob {blob} vs clean max {clean_max}",
                inspector.describe_bank()
            );
        }
    }
}

#[test]
fn patchcore_reweighting_multiplies_the_shared_score() {
    let bank = int8_bank();
    let m = manifest(ModelKind::MemoryBank);
    let extra = vec![(REWEIGHT_NEIGHBOURS_KEY.to_string(), "3".to_string())];
    let mut plain = Inspector::new(&memory_bank_bundle(vec![]), 1).unwrap();
    let mut reweighted = Inspector::new(&memory_bank_bundle(extra), 1).unwrap();
    for frame in [clean_frame(70), blob_frame(71)] {
        let rows = patch_rows(&frame);
        let scores = edge::bank::score_image(
            &bank,
            &rows,
            grid(),
            &edge::bank::PatchCoreConfig::default(),
        )
        .unwrap();
        let s = plain.inspect(&frame).unwrap().raw_score;
        let got = reweighted.inspect(&frame).unwrap();
        assert_eq!(got.raw_score, scores.weight * s);
        assert!(scores.weight > 0.0 && scores.weight < 1.0);
        assert_eq!(got.anomalous, got.raw_score >= m.thresholds.image);
    }
}

#[test]
fn a_roi_is_cropped_before_resizing() {
    let mut m = manifest(ModelKind::MemoryBank);
    m.preprocess.roi = Some(shared::bundle::Roi {
        x: 8,
        y: 4,
        width: 20,
        height: 24,
    });
    let frame = blob_frame(80);
    let crop = imageops::crop_imm(&frame, 8, 4, 20, 24).to_image();
    let cropped = preprocess(&frame, m.input, &m.preprocess).unwrap();
    let mut whole = m.clone();
    whole.preprocess.roi = None;
    assert_eq!(
        cropped,
        preprocess(&crop, whole.input, &whole.preprocess).unwrap()
    );

    let mut with_roi = Inspector::new(
        &bundle(m, feature_graph(SIDE, DIM), int8_bank().to_bytes()),
        1,
    )
    .unwrap();
    let mut without = Inspector::new(&memory_bank_bundle(vec![]), 1).unwrap();
    assert_eq!(
        with_roi.inspect(&frame).unwrap().raw_score,
        without.inspect(&crop).unwrap().raw_score
    );
}

#[test]
fn an_inspector_can_move_to_the_inspection_thread() {
    fn assert_send<T: Send>() {}
    assert_send::<Inspector>();
}
