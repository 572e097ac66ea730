//! Golden bundles: pin the version-3 byte encoding and the score path's output, so an
//! accidental change (field order in `Manifest`, kernel arithmetic) fails here instead of
//! on a device, and keep a version-2 file (one smoothing σ) reading and scoring exactly
//! as it did when it was written. Regenerate the version-3 file deliberately with
//! `SHARED_BLESS=1 cargo test -p shared --test golden` only together with a
//! format-version bump or a documented score change; the version-2 file never changes.
#![cfg(feature = "alloc")]

mod common;

use std::path::PathBuf;

use shared::bundle::Bundle;
use shared::score::{normalise, ScorePipeline};

fn golden_path(version: u16) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("tests/data/golden-v{version}.bundle"))
}

/// Deterministic 32×28 anomaly map: a smooth background with one hot blob.
fn anomaly_map(width: u32, height: u32) -> Vec<f32> {
    (0..height)
        .flat_map(|y| (0..width).map(move |x| (x, y)))
        .map(|(x, y)| {
            let (dx, dy) = (x as f32 - 20.0, y as f32 - 9.0);
            // Only exactly rounded operations (no `exp`), so the map is identical on every
            // platform.
            0.3 + 0.01 * ((x * 7 + y * 3) % 11) as f32 + 6.0 / (1.0 + (dx * dx + dy * dy) / 4.0)
        })
        .collect()
}

#[test]
fn golden_bundle_bytes_are_stable() {
    let fixture = common::bundle();
    let bytes = fixture.to_bytes();
    if std::env::var_os("SHARED_BLESS").is_some() {
        std::fs::write(golden_path(3), &bytes).unwrap();
    }
    let golden = std::fs::read(golden_path(3)).expect("tests/data/golden-v3.bundle is committed");
    assert_eq!(
        bytes, golden,
        "encoding of the fixture changed: format change needs a version bump"
    );
    assert_eq!(Bundle::from_bytes(&golden).unwrap(), fixture);
}

#[test]
fn version_2_bundle_reads_with_one_sigma_for_both_maps() {
    let v2 = std::fs::read(golden_path(2)).expect("tests/data/golden-v2.bundle is committed");
    assert_eq!(&v2[8..10], &2u16.to_le_bytes());
    let mut expected = common::bundle();
    expected.manifest.score.image_sigma = expected.manifest.score.smoothing_sigma;
    assert_eq!(Bundle::from_bytes(&v2).unwrap(), expected);
}

/// Raw score, normalised score and largest heat-map pixel of `anomaly_map` through the
/// score path of the golden bundle of format `version`.
fn golden_scores(version: u16) -> (f32, f32, f32) {
    let golden = Bundle::from_bytes(&std::fs::read(golden_path(version)).unwrap()).unwrap();
    let m = &golden.manifest;
    let mut pipeline = ScorePipeline::new(m.score, m.input.width, m.input.height).unwrap();
    let map = anomaly_map(m.score.map_width, m.score.map_height);
    let mut heat = vec![0.0; (m.input.width * m.input.height) as usize];
    let raw = pipeline.run(&map, &mut heat).unwrap();
    let normalised = normalise(raw, m.thresholds.image, &m.score_stats);
    let heat_max = heat.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if std::env::var_os("SHARED_BLESS").is_some() {
        eprintln!(
            "v{version}: raw {raw:?} = {:#010x}, normalised {normalised:?}, heat max {heat_max:?}",
            raw.to_bits()
        );
    }
    (raw, normalised, heat_max)
}

#[test]
fn golden_scores_are_stable() {
    let (raw, normalised, heat_max) = golden_scores(3);
    assert_eq!(raw.to_bits(), GOLDEN_RAW_BITS, "raw score {raw}");
    assert_eq!(normalised, GOLDEN_NORMALISED);
    // The heat map's σ (4) is the version-2 file's one σ: the same heat map.
    assert_eq!(heat_max, V2_HEAT_MAX);
}

#[test]
fn version_2_scores_are_what_they_were() {
    let (raw, normalised, heat_max) = golden_scores(2);
    assert_eq!(raw.to_bits(), V2_RAW_BITS, "raw score {raw}");
    assert_eq!(normalised, V2_NORMALISED);
    assert_eq!(heat_max, V2_HEAT_MAX);
}

/// Raw top-10-mean score of `anomaly_map` smoothed with the fixture's image σ of 1.5
/// (3.4214072: the narrower σ keeps more of the blob's peak than version 2's σ of 4).
const GOLDEN_RAW_BITS: u32 = 0x405a_f856;
/// `normalise(raw, 1.25, stats{min 0.5, max 1.5})`: above the good maximum, saturated.
const GOLDEN_NORMALISED: f32 = 1.0;
/// Raw top-10-mean score of `anomaly_map` under the version-2 file's config, one σ of 4
/// for both maps (1.6924216).
const V2_RAW_BITS: u32 = 0x3fd8_a145;
/// `normalise(raw, 1.25, stats{min 0.5, max 1.5})`.
const V2_NORMALISED: f32 = 0.942_421_56;
/// Largest heat-map pixel (≥ the top-k mean, ≤ the smoothed map's max).
const V2_HEAT_MAX: f32 = 1.727_990_7;
