//! Golden bundle: pins the version-2 byte encoding and the score path's output, so an
//! accidental change (field order in `Manifest`, kernel arithmetic) fails here instead of
//! on a device. Regenerate deliberately with `SHARED_BLESS=1 cargo test -p shared --test
//! golden` only together with a format-version bump or a documented score change.
#![cfg(feature = "alloc")]

mod common;

use std::path::PathBuf;

use shared::bundle::Bundle;
use shared::score::{normalise, ScorePipeline};

fn golden_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/data/golden-v2.bundle")
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
        std::fs::write(golden_path(), &bytes).unwrap();
    }
    let golden = std::fs::read(golden_path()).expect("tests/data/golden-v2.bundle is committed");
    assert_eq!(
        bytes, golden,
        "encoding of the fixture changed: format change needs a version bump"
    );
    assert_eq!(Bundle::from_bytes(&golden).unwrap(), fixture);
}

#[test]
fn golden_scores_are_stable() {
    let golden = Bundle::from_bytes(&std::fs::read(golden_path()).unwrap()).unwrap();
    let m = &golden.manifest;
    let mut pipeline = ScorePipeline::new(m.score, m.input.width, m.input.height).unwrap();
    let map = anomaly_map(m.score.map_width, m.score.map_height);
    let mut heat = vec![0.0; (m.input.width * m.input.height) as usize];
    let raw = pipeline.run(&map, &mut heat).unwrap();
    let normalised = normalise(raw, m.thresholds.image, &m.score_stats);
    let heat_max = heat.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    if std::env::var_os("SHARED_BLESS").is_some() {
        eprintln!(
            "raw {raw:?} = {:#010x}, normalised {normalised:?}, heat max {heat_max:?}",
            raw.to_bits()
        );
    }
    assert_eq!(raw.to_bits(), GOLDEN_RAW_BITS, "raw score {raw}");
    assert_eq!(normalised, GOLDEN_NORMALISED);
    assert_eq!(heat_max, GOLDEN_HEAT_MAX);
}

/// Raw top-10-mean score of `anomaly_map` under the fixture's config (1.6924216).
const GOLDEN_RAW_BITS: u32 = 0x3fd8_a145;
/// `normalise(raw, 1.25, stats{min 0.5, max 1.5})`.
const GOLDEN_NORMALISED: f32 = 0.942_421_56;
/// Largest heat-map pixel (≥ the top-k mean, ≤ the smoothed map's max).
const GOLDEN_HEAT_MAX: f32 = 1.727_990_7;
