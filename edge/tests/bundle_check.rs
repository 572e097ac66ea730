//! The device refuses bundles it cannot use, with a message naming the file and field,
//! and accepts a well-formed one.

mod common;

use common::{bundle, error_chain, manifest, scratch_dir};
use edge::bundle_check::{load_bundle, LoadError, Summary};
use shared::bundle::{Bundle, Manifest, ModelKind};
use shared::score::ImageScore;

fn valid_bundle() -> Bundle {
    bundle(manifest(ModelKind::MemoryBank), vec![1, 2, 3], vec![4, 5])
}

fn message(err: &LoadError) -> String {
    error_chain(err)
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
    assert!(summary.contains("bank (2 bytes)"), "{summary}");
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
