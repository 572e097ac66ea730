//! The device refuses bundles it cannot use, with a message naming the file and field,
//! and accepts a well-formed one.

use std::error::Error as _;
use std::path::PathBuf;

use edge::bundle_check::{load_bundle, LoadError, Summary};
use shared::bundle::{Bundle, InputSpec, Manifest, ModelKind, Payload, Preprocess, Provenance};
use shared::score::{ImageScore, ScoreConfig, ScoreStats, Thresholds};

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("edge-bundle-check-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create scratch dir");
    dir
}

fn valid_bundle() -> Bundle {
    Bundle {
        manifest: Manifest {
            model: ModelKind::MemoryBank,
            input: InputSpec {
                width: 256,
                height: 256,
                channels: 3,
            },
            preprocess: Preprocess {
                roi: None,
                mean: [127.0; 3],
                std: [128.0; 3],
            },
            score: ScoreConfig {
                smoothing_sigma: 4.0,
                image_score: ImageScore::Max,
                map_width: 32,
                map_height: 32,
            },
            thresholds: Thresholds {
                image: 2.5,
                pixel: 2.0,
            },
            score_stats: ScoreStats {
                min: 1.0,
                max: 2.4,
                mean: 1.7,
                std: 0.3,
                count: 20,
            },
            provenance: Provenance {
                dataset_fingerprint: "ab".repeat(32),
                trainer_version: "0.1.0".into(),
                created_unix_s: 1_790_000_000,
                parent_bundle_sha256: None,
                metrics: vec![],
            },
            extra: vec![],
        },
        payloads: vec![Payload {
            name: "features.onnx".into(),
            bytes: vec![1, 2, 3],
        }],
    }
}

fn message(err: &LoadError) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

#[test]
fn accepts_a_valid_bundle_and_summarises_it() {
    let dir = scratch_dir("valid");
    let path = dir.join("model.bundle");
    valid_bundle().write_to(&path).expect("write");
    let loaded = load_bundle(&path).expect("valid bundle loads");
    assert_eq!(loaded, valid_bundle());
    let summary = Summary(&loaded).to_string();
    assert!(summary.contains("MemoryBank"), "{summary}");
    assert!(summary.contains("features.onnx (3 bytes)"), "{summary}");
}

#[test]
fn refuses_zero_std_naming_file_and_field() {
    let dir = scratch_dir("std");
    let path = dir.join("model.bundle");
    let mut bundle = valid_bundle();
    bundle.manifest.preprocess.std[1] = 0.0;
    bundle.write_to(&path).expect("write");
    let err = load_bundle(&path).expect_err("zero std must be refused");
    let text = message(&err);
    assert!(text.contains("preprocess.std[1]"), "{text}");
    assert!(text.contains("model.bundle"), "{text}");
}

/// A manifest field and an edit that breaks it.
type BrokenField = (&'static str, Box<dyn Fn(&mut Manifest)>);

#[test]
fn refuses_bad_channels_thresholds_and_score_settings() {
    let dir = scratch_dir("fields");
    let cases: Vec<BrokenField> = vec![
        ("input.channels", Box::new(|m| m.input.channels = 2)),
        (
            "thresholds.image",
            Box::new(|m| m.thresholds.image = f32::NAN),
        ),
        ("score_stats", Box::new(|m| m.score_stats.min = 5.0)),
        (
            "score",
            Box::new(|m| m.score.image_score = ImageScore::TopKMean { k: 0 }),
        ),
        (
            "preprocess.roi",
            Box::new(|m| {
                m.preprocess.roi = Some(shared::bundle::Roi {
                    x: 0,
                    y: 0,
                    width: 0,
                    height: 4,
                })
            }),
        ),
    ];
    for (field, spoil) in cases {
        let path = dir.join(format!("{field}.bundle"));
        let mut bundle = valid_bundle();
        spoil(&mut bundle.manifest);
        bundle.write_to(&path).expect("write");
        let text = message(&load_bundle(&path).expect_err(field));
        assert!(
            text.contains(&format!("`{field}`")) || text.contains(field),
            "{field}: {text}"
        );
    }
}

#[test]
fn corrupt_and_missing_files_name_the_file() {
    let dir = scratch_dir("corrupt");
    let path = dir.join("model.bundle");
    valid_bundle().write_to(&path).expect("write");
    let mut bytes = std::fs::read(&path).expect("read back");
    let last = bytes.len() - 1;
    bytes[last] ^= 0x40;
    std::fs::write(&path, &bytes).expect("corrupt");
    let text = message(&load_bundle(&path).expect_err("flipped bit"));
    assert!(text.contains("model.bundle"), "{text}");
    assert!(
        text.to_lowercase().contains("crc") || text.to_lowercase().contains("checksum"),
        "{text}"
    );

    let missing = dir.join("absent.bundle");
    let text = message(&load_bundle(&missing).expect_err("missing file"));
    assert!(text.contains("absent.bundle"), "{text}");
}
