//! The synthetic generator's contract: byte-identical output for a seed, different output
//! for another seed, masks exactly for defect images and of their image's size, a layout
//! that `trainer::data` loads, and no writing into a non-empty folder without `force`.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::TempDir;
use trainer::data;
use trainer::synth::{generate, DefectKind, Scene, SynthConfig, SynthError, TextureKind};

fn small(seed: u64, scene: Scene) -> SynthConfig {
    SynthConfig {
        seed,
        scene,
        texture: TextureKind::Stone,
        size: 48,
        train: 3,
        test_good: 2,
        test_defect: 5,
        ..SynthConfig::default()
    }
}

/// Every file under `root` with its bytes, keyed by relative path.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(dir: &Path, root: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                walk(&path, root, out);
            } else {
                let rel = path.strip_prefix(root).unwrap().display().to_string();
                out.insert(rel, std::fs::read(&path).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(root, root, &mut out);
    out
}

#[test]
fn same_seed_gives_identical_bytes_and_another_seed_differs() {
    for scene in [Scene::Part, Scene::Texture] {
        let (a, b, c) = (
            TempDir::new("syn-a"),
            TempDir::new("syn-b"),
            TempDir::new("syn-c"),
        );
        generate(&small(7, scene), &a.0).unwrap();
        generate(&small(7, scene), &b.0).unwrap();
        generate(&small(8, scene), &c.0).unwrap();
        let (fa, fb, fc) = (files(&a.0), files(&b.0), files(&c.0));
        assert_eq!(fa.len(), 3 + 2 + 5 * 2 + 1);
        assert!(fa == fb, "{scene:?}: same seed, different files");
        assert_eq!(fa.keys().collect::<Vec<_>>(), fc.keys().collect::<Vec<_>>());
        let differing = fa
            .iter()
            .filter(|(k, v)| k.ends_with(".png") && fc[*k] != **v)
            .count();
        assert_eq!(
            differing,
            3 + 2 + 5 * 2,
            "{scene:?}: another seed must change every image"
        );
    }
}

#[test]
fn masks_exist_exactly_for_defect_images_and_match_their_size() {
    let dir = TempDir::new("syn-masks");
    let config = SynthConfig {
        test_defect: 10,
        ..small(3, Scene::Part)
    };
    let summary = generate(&config, &dir.0).unwrap();
    assert_eq!(summary.defects, DefectKind::ALL.map(|k| (k, 2)).to_vec());
    let ds = data::load_mvtec(&dir.0).unwrap();
    assert_eq!((ds.train.len(), ds.test.len()), (3, 12));
    assert_eq!(
        ds.defect_types(),
        ["contamination", "crack", "missing", "scratch", "spot"]
    );
    for s in &ds.test {
        assert_eq!(s.mask.is_some(), s.is_anomalous(), "{}", s.path.display());
        let img = data::load_rgb(&s.path).unwrap();
        assert_eq!(img.dimensions(), (48, 48));
        if let Some(mask) = data::load_mask(s, img.dimensions()).unwrap() {
            assert!(
                mask.iter().any(|&m| m),
                "empty mask for {}",
                s.path.display()
            );
        }
    }
    let ins = data::inspect(&dir.0).unwrap();
    assert!(ins
        .defects
        .iter()
        .all(|d| d.empty_masks == 0 && d.missing_masks == 0));
    assert!(ins.orphan_masks.is_empty());
}

#[test]
fn refuses_non_empty_folder_unless_forced_and_keeps_foreign_files() {
    let dir = TempDir::new("syn-force");
    std::fs::create_dir_all(&dir.0).unwrap();
    std::fs::write(dir.0.join("precious.txt"), "user data").unwrap();
    let err = generate(&small(1, Scene::Part), &dir.0).unwrap_err();
    assert!(matches!(err, SynthError::NotEmpty { .. }));
    assert!(
        err.to_string().contains("precious.txt") && err.to_string().contains("--force"),
        "{err}"
    );

    let forced = SynthConfig {
        force: true,
        ..small(1, Scene::Part)
    };
    generate(&forced, &dir.0).unwrap();
    // A smaller second run removes the files the first one listed, nothing else.
    let fewer = SynthConfig { train: 1, ..forced };
    generate(&fewer, &dir.0).unwrap();
    let names = files(&dir.0);
    assert!(names.contains_key("precious.txt"));
    assert!(names.contains_key("train/good/000.png") && !names.contains_key("train/good/001.png"));
}

#[test]
fn invalid_configuration_is_rejected_before_writing() {
    let dir = TempDir::new("syn-invalid");
    let tiny = SynthConfig {
        size: 8,
        ..SynthConfig::default()
    };
    assert!(matches!(
        generate(&tiny, &dir.0),
        Err(SynthError::Config(_))
    ));
    let no_kinds = SynthConfig {
        defects: vec![],
        ..SynthConfig::default()
    };
    assert!(matches!(
        generate(&no_kinds, &dir.0),
        Err(SynthError::Config(_))
    ));
    assert!(!dir.0.exists());
}
